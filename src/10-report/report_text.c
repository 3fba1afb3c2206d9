/*
 * report_text.c - the plain-text reports: Markdown summary, CSV summary, JSON
 * gate outcomes and JUnit XML (one <testcase> per gate). See senti/report.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"
#include "report_internal.h"
#include "senti/metrics.h"

static const char *gate_kind_name(senti_gate_kind k)
{
    return k == SENTI_GATE_UNDER ? "fail-under" : k == SENTI_GATE_OVER ? "fail-over" : "baseline";
}

static size_t n_failed_gates(const senti_gate_result *g, size_t n)
{
    size_t f = 0;
    for (size_t i = 0; i < n; i++)
        f += !g[i].passed;
    return f;
}

/* The summary row with the highest mean accuracy (first on ties), or NULL. */
static const rep_row *best_row(const rep_row *rows, size_t n)
{
    const rep_row *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (!isnan(rows[i].mean[0]) && (!best || rows[i].mean[0] > best->mean[0]))
            best = &rows[i];
    return best;
}

/* ---- Markdown ------------------------------------------------------------------ */

static void md_summary(FILE *f, const rep_row *rows, size_t n)
{
    fputs("| Model | Dataset | Verbalizer | Strategy | Shots | Calibration | Seeds | Accuracy | Macro-F1 | ECE |\n"
          "|---|---|---|---|---:|---|---:|---|---|---|\n",
          f);
    static const size_t show[] = {0, 1, 4}; /* accuracy, macro-F1, ECE */
    for (size_t i = 0; i < n; i++) {
        const json_t *c = rows[i].first;
        static const char *const keys[] = {"model", "dataset", "verbalizer", "strategy"};
        fputc('|', f);
        for (size_t k = 0; k < 4; k++) {
            fputc(' ', f);
            rep_md_escape(f, rep_str(c, keys[k]));
            fputs(" |", f);
        }
        fprintf(f, " %lld | ", (long long)json_integer_value(json_object_get(c, "shots")));
        rep_md_escape(f, rep_str(c, "calibration"));
        fprintf(f, " | %zu |", rows[i].n_cells);
        char buf[REP_FMT_ROW_MAX];
        for (size_t k = 0; k < 3; k++)
            fprintf(f, " %s |", rep_fmt_row(&rows[i], show[k], buf));
        fputc('\n', f);
    }
}

static void md_comparisons(FILE *f, const senti_results *r)
{
    if (!r->comparisons || json_array_size(r->comparisons) == 0)
        return;
    fputs("\n## Paired comparisons (McNemar exact test on accuracy)\n\n"
          "| A | B | Accuracy A | Accuracy B | Δ | p | Verdict |\n|---|---|---:|---:|---:|---:|---|\n",
          f);
    size_t i;
    json_t *c;
    char a[32], b[32], d[32], p[32];
    json_array_foreach(r->comparisons, i, c)
    {
        fputs("| ", f);
        rep_md_escape(f, rep_str(c, "a"));
        fputs(" | ", f);
        rep_md_escape(f, rep_str(c, "b"));
        fprintf(f, " | %s | %s | %s | %s | %s |\n", rep_fmt(rep_num(json_object_get(c, "a_value")), a),
                rep_fmt(rep_num(json_object_get(c, "b_value")), b), rep_fmt_diff(rep_num(json_object_get(c, "diff")), d),
                rep_fmt_p(rep_num(json_object_get(c, "p_value")), p), rep_str(c, "verdict"));
    }
}

static void md_gates(FILE *f, const senti_gate_result *g, size_t n)
{
    if (n == 0)
        return;
    fprintf(f, "\n## Gates: %s\n\n| Gate | Result | Cells | Details |\n|---|---|---:|---|\n",
            n_failed_gates(g, n) ? "FAILED" : "passed");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "| `--%s %s` | %s | %zu/%zu failed | ", gate_kind_name(g[i].gate->kind), g[i].gate->spec,
                g[i].passed ? "✅ pass" : "❌ FAIL", g[i].n_failed, g[i].n_checked);
        /* message lines become <br> separated in one table cell */
        for (const char *p = g[i].message ? g[i].message : ""; *p; p++) {
            if (*p == '\n')
                fputs(p[1] ? "<br>" : "", f);
            else if (*p == '|')
                fputs("\\|", f);
            else
                fputc(*p, f);
        }
        fputs(" |\n", f);
    }
}

/* ---- Markdown for one predictions file ------------------------------------------ */

static void md_pred_metrics(FILE *f, const senti_results *r, const json_t *cell)
{
    fprintf(f, "| Metric | Value | %.0f%% interval |\n|---|---:|---:|\n",
            100 * rep_num(json_object_get(json_object_get(r->root, "eval"), "ci_level")));
    for (int m = 0; m < SENTI_M_COUNT; m++) {
        const char *key = senti_metric_name((senti_metric)m);
        double lo, hi;
        char a[32], b[32], c[32];
        rep_metric_ci(cell, key, &lo, &hi);
        fprintf(f, "| %s | %s |", key, rep_fmt(rep_metric_value(cell, key), a));
        if (!isnan(lo) && !isnan(hi))
            fprintf(f, " [%s, %s]", rep_fmt(lo, b), rep_fmt(hi, c));
        fputs(" |\n", f);
    }
}

static void md_pred_classes(FILE *f, const json_t *cell)
{
    fputs("\n## Per class\n\n| Label | Precision | Recall | F1 | Support | Predicted |\n"
          "|---|---:|---:|---:|---:|---:|\n",
          f);
    size_t i;
    json_t *pc;
    char a[32], b[32], c[32];
    json_array_foreach(json_object_get(cell, "per_class"), i, pc)
    {
        fputs("| ", f);
        rep_md_escape(f, rep_str(pc, "label"));
        fprintf(f, " | %s | %s | %s | %lld | %lld |\n", rep_fmt(rep_num(json_object_get(pc, "precision")), a),
                rep_fmt(rep_num(json_object_get(pc, "recall")), b), rep_fmt(rep_num(json_object_get(pc, "f1")), c),
                (long long)json_integer_value(json_object_get(pc, "support")),
                (long long)json_integer_value(json_object_get(pc, "predicted")));
    }
}

static void md_pred_worst(FILE *f, const json_t *cell)
{
    const json_t *w = json_object_get(cell, "worst_calibrated");
    if (!json_is_array(w))
        return;
    fputs("\n## Worst-calibrated rows (|confidence - correct|, largest first)\n\n"
          "| Row | Id | Gold | Predicted | Confidence | Correct | Gap |\n|---:|---|---|---|---:|---|---:|\n",
          f);
    size_t i;
    json_t *o;
    char a[32], b[32];
    json_array_foreach(w, i, o)
    {
        fprintf(f, "| %lld | ", (long long)json_integer_value(json_object_get(o, "row")));
        rep_md_escape(f, rep_str(o, "id"));
        fputs(" | ", f);
        rep_md_escape(f, rep_str(o, "gold"));
        fputs(" | ", f);
        rep_md_escape(f, rep_str(o, "pred"));
        fprintf(f, " | %s | %s | %s |\n", rep_fmt(rep_num(json_object_get(o, "confidence")), a),
                json_is_true(json_object_get(o, "correct")) ? "yes" : "no",
                rep_fmt(rep_num(json_object_get(o, "gap")), b));
    }
}

static senti_status md_predictions(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                                   senti_err *err)
{
    const json_t *cell = json_array_get(r->cells, 0);
    fputs("# senti report: ", f);
    rep_md_escape(f, rep_str(json_object_get(r->root, "experiment"), "name"));
    fputs("\n\nPredictions file `", f);
    rep_md_escape(f, rep_str(r->source, "path"));
    fprintf(f, "`: accuracy = %.4f (%lld/%lld).\n\n", rep_metric_value(cell, "accuracy"),
            (long long)json_integer_value(json_object_get(cell, "correct")),
            (long long)json_integer_value(json_object_get(cell, "n")));
    md_pred_metrics(f, r, cell);
    md_pred_classes(f, cell);
    md_pred_worst(f, cell);
    md_gates(f, gates, n_gates);
    return ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}

/* Results collected before the run finished (senti run --collect): say so, and which cells are missing. */
static void md_pending(FILE *f, const json_t *pending, size_t n_done)
{
    const size_t n = json_array_size(pending), shown = n < 12 ? n : 12;
    if (!n)
        return;
    fprintf(f, "**Partial results:** %zu of %zu cells have finished; %zu are pending (`senti run --resume` runs "
            "them): ", n_done, n_done + n, n);
    for (size_t i = 0; i < shown; i++) {
        fputs(i ? ", `" : "`", f);
        rep_md_escape(f, json_string_value(json_array_get(pending, i)));
        fputs("`", f);
    }
    if (shown < n)
        fprintf(f, " and %zu more", n - shown);
    fputs(".\n\n", f);
}

senti_status senti_report_markdown(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                                   senti_err *err)
{
    if (r->source && json_array_size(r->cells) == 1)
        return md_predictions(r, gates, n_gates, f, err);
    size_t n;
    rep_row *rows = rep_rows(r, &n);
    if (!rows)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    json_t *exp = json_object_get(r->root, "experiment");
    fputs("# senti report: ", f);
    rep_md_escape(f, rep_str(exp, "name"));
    fputs("\n\n", f);
    if (*rep_str(exp, "description")) {
        rep_md_escape(f, rep_str(exp, "description"));
        fputs("\n\n", f);
    }
    md_pending(f, json_object_get(r->root, "pending"), json_array_size(r->cells));
    const rep_row *best = best_row(rows, n);
    char buf[REP_FMT_ROW_MAX];
    fprintf(f, "%zu cells in %zu configurations.", json_array_size(r->cells), n);
    if (best)
        fprintf(f, " Best accuracy: **%s** (`%s`).", rep_fmt_row(best, 0, buf), best->name);
    fputs(" Intervals are 95% bootstrap CIs for one cell; mean ± standard deviation across seeds otherwise.\n\n",
          f);
    md_summary(f, rows, n);
    rep_md_vs_baseline(f, r, rows, n);
    md_comparisons(f, r);
    md_gates(f, gates, n_gates);
    free(rows);
    return ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}

/* ---- CSV ------------------------------------------------------------------------- */

static void csv_num(FILE *f, double v)
{
    if (isnan(v))
        fputs(",", f);
    else
        fprintf(f, ",%.6g", v);
}

senti_status senti_report_csv(const senti_results *r, FILE *f, senti_err *err)
{
    static const char *const cols[] = {"name", "hash", "model", "dataset", "verbalizer", "strategy", "kind",
                                       "calibration"};
    for (size_t k = 0; k < 8; k++)
        fprintf(f, "%s%s", k ? "," : "", cols[k]);
    fputs(",shots,seed,n,correct", f);
    for (size_t m = 0; m < senti_rep_n_metrics; m++)
        fprintf(f, ",%s,%s_lo,%s_hi", senti_rep_metrics[m].key, senti_rep_metrics[m].key, senti_rep_metrics[m].key);
    fputc('\n', f);
    size_t i;
    json_t *c;
    json_array_foreach(r->cells, i, c)
    {
        for (size_t k = 0; k < 8; k++) {
            if (k)
                fputc(',', f);
            senti_csv_field(f, rep_str(c, cols[k]));
        }
        static const char *const ints[] = {"shots", "seed", "n", "correct"};
        for (size_t k = 0; k < 4; k++)
            fprintf(f, ",%lld", (long long)json_integer_value(json_object_get(c, ints[k])));
        for (size_t m = 0; m < senti_rep_n_metrics; m++) {
            double lo, hi;
            rep_metric_ci(c, senti_rep_metrics[m].key, &lo, &hi);
            csv_num(f, rep_metric_value(c, senti_rep_metrics[m].key));
            csv_num(f, lo);
            csv_num(f, hi);
        }
        fputc('\n', f);
    }
    return ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}

/* ---- JSON -------------------------------------------------------------------------- */

/* JSON has no inf or nan (and json_real refuses them): an undefined value is null. */
static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *json_gates(const senti_gate_result *g, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const senti_gate *gt = g[i].gate;
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s?, s:s, s:f, s:b, s:I, s:I, s:s}", "spec", gt->spec, "kind",
                         gate_kind_name(gt->kind), "metric", gt->metric, "label", gt->label[0] ? gt->label : NULL,
                         "cells", gt->cells, "threshold", gt->threshold, "passed", g[i].passed, "n_checked",
                         (json_int_t)g[i].n_checked, "n_failed", (json_int_t)g[i].n_failed, "message",
                         g[i].message ? g[i].message : ""));
    }
    return a;
}

static json_t *json_summary(const rep_row *rows, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:I}", "name", rows[i].name, "n_seeds", (json_int_t)rows[i].n_cells);
        for (size_t m = 0; m < senti_rep_n_metrics; m++)
            json_object_set_new(o, senti_rep_metrics[m].key,
                                json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "mean", num_or_null(rows[i].mean[m]),
                                          "std", num_or_null(rows[i].std[m]), "min", num_or_null(rows[i].min[m]),
                                          "max", num_or_null(rows[i].max[m]), "lo", num_or_null(rows[i].lo[m]),
                                          "hi", num_or_null(rows[i].hi[m])));
        json_array_append_new(a, o);
    }
    return a;
}

senti_status senti_report_json(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                               senti_err *err)
{
    size_t n;
    rep_row *rows = rep_rows(r, &n);
    if (!rows)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    json_t *o = json_pack("{s:s, s:s, s:O?, s:b, s:o, s:o}", "schema", "senti-report/1", "results", r->path,
                          "experiment", json_object_get(r->root, "experiment"), "passed",
                          n_failed_gates(gates, n_gates) == 0, "gates", json_gates(gates, n_gates), "summary",
                          json_summary(rows, n));
    free(rows);
    if (!o)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (json_array_size(json_object_get(r->root, "pending"))) /* a partial run (senti run --collect) */
        json_object_set(o, "pending", json_object_get(r->root, "pending"));
    if (r->source) { /* one predictions file: where it came from and its worst-calibrated rows */
        json_object_set(o, "source", r->source);
        json_t *w = json_object_get(json_array_get(r->cells, 0), "worst_calibrated");
        if (w)
            json_object_set(o, "worst_calibrated", w);
    }
    int rc = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    fputc('\n', f);
    return rc || ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}

/* ---- JUnit XML ------------------------------------------------------------------------ */

senti_status senti_report_junit(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                                senti_err *err)
{
    size_t failed = n_failed_gates(gates, n_gates);
    const char *exp = rep_str(json_object_get(r->root, "experiment"), "name");
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"senti\" tests=\"%zu\" "
               "failures=\"%zu\" errors=\"0\" time=\"0\">\n",
            n_gates, failed);
    fputs("  <testsuite name=\"senti.gates.", f);
    rep_xml_escape(f, exp);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\">\n", n_gates, failed);
    for (size_t i = 0; i < n_gates; i++) {
        fputs("    <testcase classname=\"senti.gates.", f);
        rep_xml_escape(f, exp);
        fprintf(f, "\" name=\"--%s ", gate_kind_name(gates[i].gate->kind));
        rep_xml_escape(f, gates[i].gate->spec);
        fputs("\" time=\"0\"", f);
        if (gates[i].passed) {
            fputs(">\n      <system-out>", f);
            rep_xml_escape(f, gates[i].message ? gates[i].message : "");
            fputs("</system-out>\n    </testcase>\n", f);
            continue;
        }
        fprintf(f, ">\n      <failure type=\"gate\" message=\"%zu of %zu cells failed\">", gates[i].n_failed,
                gates[i].n_checked);
        rep_xml_escape(f, gates[i].message ? gates[i].message : "");
        fputs("</failure>\n    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    return ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}
