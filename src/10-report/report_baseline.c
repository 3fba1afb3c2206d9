/*
 * report_baseline.c - "Against the best baseline": for every dataset of an
 * experiment that has baseline cells (strategy kind "baseline": majority,
 * bow-logreg), whether each other configuration beats the best of them,
 * with the exact McNemar test (senti_mcnemar_test, the one implementation)
 * on the rows where exactly one of the two is right.
 *
 * The best baseline of a dataset is its baseline *cell* with the highest
 * accuracy (ties: the first in the file), so with several seeds the
 * comparison is against the luckiest draw. A configuration with several
 * seeds is compared cell by cell; it "beats" the baseline when every one of
 * its cells is significantly better (p < 0.05), "loses" when every one is
 * significantly worse. Nothing is written when no cell is a baseline.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/compare.h"

#include "report_internal.h"

#define REP_ALPHA 0.05

static bool is_baseline(const json_t *cell) { return !strcmp(rep_str(cell, "kind"), "baseline"); }

/* The best baseline cell of `dataset`, or NULL. */
static const json_t *best_baseline(const senti_results *r, const char *dataset)
{
    const json_t *best = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(r->cells, i, c)
    {
        double acc = rep_metric_value(c, "accuracy");
        if (is_baseline(c) && !strcmp(rep_str(c, "dataset"), dataset) && !isnan(acc) &&
            (!best || acc > rep_metric_value(best, "accuracy")))
            best = c;
    }
    return best;
}

/* The cells of a summary row: its group's cells, or its one cell. */
static size_t row_cell(const senti_results *r, const rep_row *row, size_t i, const json_t **out)
{
    const json_t *names = row->group ? json_object_get(row->group, "cells") : NULL;
    if (!names) {
        *out = row->first;
        return 1;
    }
    *out = i < json_array_size(names) ? rep_find_cell(r, json_string_value(json_array_get(names, i))) : NULL;
    return json_array_size(names);
}

/* Pair every cell of the row with the baseline; false when the row holds the baseline. */
static bool compare_row(const senti_results *r, const rep_row *row, const json_t *base, rep_vs_base *v)
{
    *v = (rep_vs_base){.row = row, .base = base, .p_min = 1.0, .p_max = 0.0};
    const json_t *c;
    size_t n = row_cell(r, row, 0, &c);
    for (size_t i = 0; i < n; i++) {
        row_cell(r, row, i, &c);
        size_t only_base = 0, only_row = 0;
        if (c == base)
            return false;
        if (!c || rep_discordant(base, c, &only_base, &only_row))
            continue; /* scored on other rows, or without per-row bits: not compared */
        double p = senti_mcnemar_test(only_base, only_row).p_value;
        v->n_cells++;
        v->n_better += only_row > only_base && p < REP_ALPHA;
        v->n_worse += only_base > only_row && p < REP_ALPHA;
        v->p_min = p < v->p_min ? p : v->p_min;
        v->p_max = p > v->p_max ? p : v->p_max;
    }
    v->diff = row->mean[0] - rep_metric_value(base, "accuracy");
    return true;
}

size_t rep_vs_baseline(const senti_results *r, const rep_row *rows, size_t n, rep_vs_base *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *base = best_baseline(r, rep_str(rows[i].first, "dataset"));
        if (base && compare_row(r, &rows[i], base, &out[m]))
            m++;
    }
    return m;
}

int rep_vs_mark(const rep_vs_base *v)
{
    if (v->n_cells == 0)
        return 0;
    return v->n_better == v->n_cells ? 1 : v->n_worse == v->n_cells ? -1 : 0;
}

const char *rep_vs_verdict(const rep_vs_base *v, char *buf, size_t cap)
{
    static const char *const words[] = {"worse", "no significant difference", "better"};
    if (v->n_cells == 0)
        snprintf(buf, cap, "not comparable (other rows or no per-row results)");
    else if (v->n_cells == 1)
        snprintf(buf, cap, "%s (McNemar p = %.2g)", words[1 + (v->n_better ? 1 : v->n_worse ? -1 : 0)], v->p_min);
    else
        snprintf(buf, cap, "better in %zu of %zu seeds, worse in %zu (McNemar p %.2g-%.2g)", v->n_better, v->n_cells,
                 v->n_worse, v->p_min, v->p_max);
    return buf;
}

static const char *mark_word(int mark) { return mark > 0 ? "yes" : mark < 0 ? "no, worse" : "no"; }

/* ---- writers ---------------------------------------------------------------------- */

/* The comparisons, or NULL when there are none (*m = 0); caller frees. */
static rep_vs_base *collect(const senti_results *r, const rep_row *rows, size_t n, size_t *m)
{
    rep_vs_base *v = malloc((n + 1) * sizeof *v);
    *m = v ? rep_vs_baseline(r, rows, n, v) : 0;
    if (*m == 0) {
        free(v);
        return NULL;
    }
    return v;
}

void rep_md_vs_baseline(FILE *f, const senti_results *r, const rep_row *rows, size_t n)
{
    size_t m;
    rep_vs_base *v = collect(r, rows, n, &m);
    if (!v)
        return;
    fputs(
        "\n## Against the best baseline\n\nPer dataset, each configuration against the baseline cell with the "
        "highest accuracy, paired on the same rows (exact McNemar test, p < 0.05). \"Beats\" means every seed "
        "is significantly better.\n\n| Configuration | Best baseline | Accuracy | Baseline | Δ | Verdict | Beats it |\n"
        "|---|---|---:|---:|---:|---|---|\n",
        f);
    char a[32], b[32], d[32], verdict[160];
    for (size_t i = 0; i < m; i++) {
        fputs("| ", f);
        rep_md_escape(f, v[i].row->name);
        fputs(" | ", f);
        rep_md_escape(f, rep_str(v[i].base, "name"));
        fprintf(f, " | %s | %s | %s | %s | %s |\n", rep_fmt(v[i].row->mean[0], a),
                rep_fmt(rep_metric_value(v[i].base, "accuracy"), b), rep_fmt_diff(v[i].diff, d),
                rep_vs_verdict(&v[i], verdict, sizeof verdict),
                rep_vs_mark(&v[i]) > 0 ? "**yes**" : mark_word(rep_vs_mark(&v[i])));
    }
    free(v);
}

void rep_html_vs_baseline(FILE *f, const senti_results *r, const rep_row *rows, size_t n)
{
    size_t m;
    rep_vs_base *v = collect(r, rows, n, &m);
    if (!v)
        return;
    fputs("<h2 id=\"baseline\">Against the best baseline</h2>\n<p class=\"muted\">Per dataset, each configuration "
          "against the baseline cell with the highest accuracy, paired on the same rows (exact McNemar test, "
          "p &lt; 0.05). &ldquo;Beats&rdquo; means every seed is significantly better.</p>\n"
          "<div class=\"scroll\"><table id=\"baseline-table\"><tr><th>Configuration</th><th>Best baseline</th>"
          "<th class=\"num\">Accuracy</th><th class=\"num\">Baseline</th><th class=\"num\">&Delta;</th>"
          "<th>Verdict</th><th>Beats it</th></tr>\n",
          f);
    char a[32], b[32], d[32], verdict[160];
    for (size_t i = 0; i < m; i++) {
        int mark = rep_vs_mark(&v[i]);
        fputs("<tr><td>", f);
        rep_xml_escape(f, v[i].row->name);
        fputs("</td><td>", f);
        rep_xml_escape(f, rep_str(v[i].base, "name"));
        fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
                rep_fmt(v[i].row->mean[0], a), rep_fmt(rep_metric_value(v[i].base, "accuracy"), b),
                rep_fmt_diff(v[i].diff, d));
        rep_xml_escape(f, rep_vs_verdict(&v[i], verdict, sizeof verdict));
        fprintf(f, "</td><td>%s%s%s</td></tr>\n", mark > 0 ? "<strong>&#10003; " : "", mark_word(mark),
                mark > 0 ? "</strong>" : "");
    }
    fputs("</table></div>\n", f);
    free(v);
}
