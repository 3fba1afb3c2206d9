/*
 * report_html.c - the self-contained HTML report: inline CSS and SVG, no
 * script, no external resource. Sections: gates, summary table with CIs,
 * accuracy vs shots (error bars), seed variance, reliability diagrams and
 * confusion heat maps (pooled over seeds), per-class metrics, paired verdicts,
 * manifest. Readable on a phone (fluid SVG, scrolling tables) and printable.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "senti/metrics.h"

static const char *const palette[] = {"#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8d6a9f",
                                      "#555555"};
#define N_PALETTE (sizeof palette / sizeof palette[0])

/* Layout rules the report keeps (tools/report_layout.py checks them at 1280
 * and 390 px): the page never scrolls sideways (wide tables scroll inside
 * their own .scroll box); charts take the full width of their grid cell and
 * the grids wrap to fewer columns instead of shrinking them; text columns
 * wrap at spaces and after the dots of cell names (<wbr>), never inside a
 * word; numbers stay on one line, an interval goes on a second line. */
static const char css[] =
    ":root{--fg:#1d2330;--muted:#5b6475;--line:#d5d9e0;--bg:#fff;--accent:#1b6ca8;--bad:#b3261e;--ok:#1e7b34}"
    "*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;"
    "color:var(--fg);background:var(--bg)}main{max-width:1200px;margin:0 auto;padding:16px}"
    "h1,p,figcaption{overflow-wrap:anywhere}"
    "h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line)}"
    "h3{font-size:1em;margin:.8em 0 .3em}.muted{color:var(--muted)}code{font-size:.9em;word-break:break-all}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}table{border-collapse:collapse;"
    "width:100%;font-size:.9em;font-variant-numeric:tabular-nums}th,td{padding:4px 6px;border-bottom:1px solid "
    "var(--line);text-align:left;vertical-align:top}td.num,th.num{text-align:right}td.num{white-space:nowrap}"
    ".ci{display:block;font-size:.85em;color:var(--muted)}tr.best td{background:#eaf3fb;font-weight:600}"
    ".banner{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}.partial{background:#fff4e5}"
    ".pass{background:#e6f4ea;"
    "color:var(--ok)}.fail{background:#fdecea;color:var(--bad)}.grid{display:grid;grid-template-columns:"
    "repeat(auto-fill,minmax(min(100%,260px),1fr));gap:14px}.grid.wide{grid-template-columns:"
    "repeat(auto-fit,minmax(min(100%,480px),1fr))}.wide svg{max-width:760px}.grid.pair{grid-template-columns:repeat(auto-fill,minmax(min(100%,300px),400px))}"
    "table.fit{width:auto;min-width:min(100%,480px)}figure{margin:0;min-width:0}"
    "figcaption{font-size:.8em;color:var(--muted)}svg{width:100%;height:auto;display:block}"
    "svg text{font-family:inherit;fill:var(--fg)}"
    ".axis{stroke:#8a93a3;stroke-width:1}.gridl{stroke:#e6e9ee;stroke-width:1}.diag{stroke:#9aa3b2;"
    "stroke-dasharray:4 3}pre{white-space:pre-wrap;font-size:.85em;margin:0}details{margin:.5em 0}"
    "summary{cursor:pointer}"
    "@media (max-width:600px){body{font-size:14px}main{padding:10px}th,td{padding:3px 5px}}"
    "@media print{main{max-width:none}.scroll{overflow:visible}table{font-size:8pt}h2{break-after:avoid}"
    "figure,tr{break-inside:avoid}}";

/* ---- small helpers ------------------------------------------------------------- */

static void esc(FILE *f, const char *s) { rep_xml_escape(f, s); }

/* A cell or file name, escaped, with a line-break opportunity (<wbr>) after
 * each dot and slash, so long names wrap between their parts. HTML text only
 * (not inside SVG). */
static void esc_name(FILE *f, const char *s)
{
    char part[2] = {0, 0};
    for (; *s; s++) {
        part[0] = *s;
        esc(f, part);
        if (*s == '.' || *s == '/')
            fputs("<wbr>", f);
    }
}

/* A summary value: the number, then its spread ("[lo, hi]" or "± sd") on a
 * second line; the text reads as rep_fmt_row's "0.640 [0.575, 0.705]". */
static void html_value(FILE *f, const rep_row *row, size_t m)
{
    char buf[REP_FMT_ROW_MAX];
    const char *s = rep_fmt_row(row, m, buf), *sp = strchr(s, ' ');
    if (!sp) {
        fputs(s, f);
        return;
    }
    fprintf(f, "%.*s <span class=\"ci\">%s</span>", (int)(sp - s), s, sp + 1);
}

static long long jint(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

/* The cells of a summary row. */
static size_t row_cells(const senti_results *r, const rep_row *row, const json_t **out, size_t cap)
{
    if (!row->group) {
        out[0] = row->first;
        return 1;
    }
    size_t n = 0, i;
    json_t *nm;
    json_array_foreach(json_object_get(row->group, "cells"), i, nm)
    {
        const json_t *c = rep_find_cell(r, json_string_value(nm) ? json_string_value(nm) : "");
        if (c && n < cap)
            out[n++] = c;
    }
    return n;
}

/* ---- header, gates, summary ----------------------------------------------------- */

static void html_head(FILE *f, const senti_results *r)
{
    const json_t *exp = json_object_get(r->root, "experiment");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
          "<title>senti report: ",
          f);
    esc(f, rep_str(exp, "name"));
    fprintf(f, "</title><style>%s</style></head>\n<body><main>\n<h1>senti report: ", css);
    esc(f, rep_str(exp, "name"));
    fputs("</h1>\n", f);
    if (*rep_str(exp, "description")) {
        fputs("<p>", f);
        esc(f, rep_str(exp, "description"));
        fputs("</p>\n", f);
    }
    if (r->source)
        fputs("<p class=\"muted\">predictions file <code>", f);
    else
        fprintf(f, "<p class=\"muted\">%zu cells &middot; experiment <code>", json_array_size(r->cells));
    esc(f, rep_str(exp, "file"));
    fputs("</code> &middot; senti ", f);
    esc(f, rep_str(r->root, "senti_version"));
    fputs("</p>\n", f);
    const json_t *pending = json_object_get(r->root, "pending");
    if (json_array_size(pending)) {
        fprintf(f, "<div id=\"partial\" class=\"banner partial\">Partial results: %zu of %zu cells have finished; %zu "
                "are pending (<code>senti run --resume</code> runs them): ", json_array_size(r->cells),
                json_array_size(r->cells) + json_array_size(pending), json_array_size(pending));
        for (size_t i = 0; i < json_array_size(pending); i++) {
            fputs(i ? ", <code>" : "<code>", f);
            esc(f, json_string_value(json_array_get(pending, i)));
            fputs("</code>", f);
        }
        fputs(".</div>\n", f);
    }
}

static void html_gates(FILE *f, const senti_gate_result *g, size_t n)
{
    if (n == 0)
        return;
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += !g[i].passed;
    fprintf(f, "<div id=\"gates-status\" class=\"banner %s\">Gates: %s (%zu of %zu passed)</div>\n",
            failed ? "fail" : "pass", failed ? "FAILED" : "passed", n - failed, n);
    fputs("<h2 id=\"gates\">Gates</h2><div class=\"scroll\"><table><tr><th>Gate</th><th>Result</th>"
          "<th class=\"num\">Failed cells</th><th>Details</th></tr>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        static const char *const kinds[] = {"fail-under", "fail-over", "baseline"};
        fprintf(f, "<tr><td><code>--%s ", kinds[g[i].gate->kind]);
        esc(f, g[i].gate->spec);
        fprintf(f, "</code></td><td>%s</td><td class=\"num\">%zu/%zu</td><td><pre>",
                g[i].passed ? "pass" : "<strong>FAIL</strong>", g[i].n_failed, g[i].n_checked);
        esc(f, g[i].message ? g[i].message : "");
        fputs("</pre></td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

/* 1 when every row has the same value of `key` (a column not worth a column). */
static int same_everywhere(const rep_row *rows, size_t n, const char *key)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(rep_str(rows[i].first, key), rep_str(rows[0].first, key)))
            return 0;
    return n > 1;
}

static void html_summary(FILE *f, const rep_row *rows, size_t n)
{
    static const char *const keys[] = {"model", "dataset", "verbalizer", "strategy"};
    static const char *const heads[] = {"Model", "Dataset", "Verbalizer", "Strategy"};
    int show[4], shared = 0;
    const rep_row *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (!isnan(rows[i].mean[0]) && (!best || rows[i].mean[0] > best->mean[0]))
            best = &rows[i];
    fputs("<h2 id=\"summary\">Summary</h2>\n<p class=\"muted\">One line per configuration. A single cell shows "
          "the value and its 95% bootstrap interval [lo, hi]; several seeds show mean &plusmn; standard "
          "deviation. The best accuracy is highlighted.",
          f);
    /* a column with one value for every row becomes a sentence above the table */
    for (size_t k = 0; k < 4; k++) {
        show[k] = !same_everywhere(rows, n, keys[k]);
        if (show[k])
            continue;
        fprintf(f, "%s%s <strong>", shared++ ? ", " : " Every line: ", keys[k]);
        esc(f, rep_str(rows[0].first, keys[k]));
        fputs("</strong>", f);
    }
    fputs(shared ? ".</p>\n" : "</p>\n", f);
    fputs("<div class=\"scroll\"><table id=\"summary-table\"><tr>", f);
    for (size_t k = 0; k < 4; k++)
        if (show[k])
            fprintf(f, "<th>%s</th>", heads[k]);
    fputs("<th class=\"num\">Shots</th><th>Calibration</th><th class=\"num\">Seeds</th>", f);
    for (size_t m = 0; m < senti_rep_n_metrics; m++)
        fprintf(f, "<th class=\"num\">%s %s</th>", senti_rep_metrics[m].title,
                senti_rep_metrics[m].higher ? "&uarr;" : "&darr;");
    fputs("</tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = rows[i].first;
        fprintf(f, "<tr%s>", &rows[i] == best ? " class=\"best\"" : "");
        for (size_t k = 0; k < 4; k++) {
            if (!show[k])
                continue;
            fputs("<td>", f);
            esc(f, rep_str(c, keys[k]));
            fputs("</td>", f);
        }
        fprintf(f, "<td class=\"num\">%lld</td><td>", jint(c, "shots"));
        esc(f, rep_str(c, "calibration"));
        fprintf(f, "</td><td class=\"num\">%zu</td>", rows[i].n_cells);
        for (size_t m = 0; m < senti_rep_n_metrics; m++) {
            fputs("<td class=\"num\">", f);
            html_value(f, &rows[i], m);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

/* ---- accuracy vs shots ------------------------------------------------------------ */

/* Distinct sorted shot counts of rows [0, n) matching `panel` (same model, dataset, verbalizer). */
static size_t panel_shots(const rep_row *rows, size_t n, const json_t *panel, long long *shots, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = rows[i].first;
        if (strcmp(rep_str(c, "model"), rep_str(panel, "model")) ||
            strcmp(rep_str(c, "dataset"), rep_str(panel, "dataset")) ||
            strcmp(rep_str(c, "verbalizer"), rep_str(panel, "verbalizer")))
            continue;
        long long s = jint(c, "shots");
        size_t j = 0;
        while (j < k && shots[j] < s)
            j++;
        if ((j < k && shots[j] == s) || k == cap)
            continue;
        memmove(shots + j + 1, shots + j, (k - j) * sizeof *shots);
        shots[j] = s;
        k++;
    }
    return k;
}

static int same_panel(const json_t *a, const json_t *b)
{
    return !strcmp(rep_str(a, "model"), rep_str(b, "model")) && !strcmp(rep_str(a, "dataset"), rep_str(b, "dataset")) &&
           !strcmp(rep_str(a, "verbalizer"), rep_str(b, "verbalizer"));
}

/* Series of a panel: one per distinct calibration. */
static size_t panel_series(const rep_row *rows, size_t n, const json_t *panel, const char **names, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!same_panel(rows[i].first, panel))
            continue;
        const char *cal = rep_str(rows[i].first, "calibration");
        size_t j = 0;
        while (j < k && strcmp(names[j], cal))
            j++;
        if (j == k && k < cap)
            names[k++] = cal;
    }
    return k;
}

/* Plot geometry: data box inside a 560x300 view box. */
enum { PW = 560, PH = 300, PL = 58, PR = 130, PT = 14, PB = 42 };

static double py(double v, double lo, double hi) { return PT + (PH - PT - PB) * (1.0 - (v - lo) / (hi - lo)); }

static void plot_frame(FILE *f, double lo, double hi, size_t ns, const long long *shots)
{
    for (int t = 0; t <= 5; t++) {
        double v = lo + (hi - lo) * t / 5.0, y = py(v, lo, hi);
        fprintf(f, "<line class=\"gridl\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%d\" y=\"%.1f\" font-size=\"13\" text-anchor=\"end\">%.2f</text>\n",
                PL, PW - PR, y, y, PL - 6, y + 4, v);
    }
    fprintf(f, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>", PL, PW - PR, PH - PB, PH - PB);
    fprintf(f, "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>\n", PL, PL, PT, PH - PB);
    for (size_t j = 0; j < ns; j++) {
        double x = PL + (PW - PR - PL) * (j + 0.5) / (double)ns;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\">%lld</text>\n", x, PH - PB + 17,
                shots[j]);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"14\" text-anchor=\"middle\">shots (demonstrations)</text>"
               "<text x=\"14\" y=\"%d\" font-size=\"14\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">"
               "accuracy</text>\n",
            (PL + PW - PR) / 2, PH - 6, (PT + PH - PB) / 2, (PT + PH - PB) / 2);
}

/* Lower / upper ends of a row's error bar for metric 0 (accuracy). */
static void row_bar(const rep_row *row, double *lo, double *hi)
{
    if (row->n_cells > 1) {
        *lo = row->mean[0] - row->std[0];
        *hi = row->mean[0] + row->std[0];
    } else {
        *lo = isnan(row->lo[0]) ? row->mean[0] : row->lo[0];
        *hi = isnan(row->hi[0]) ? row->mean[0] : row->hi[0];
    }
}

static void plot_series(FILE *f, const rep_row *rows, size_t n, const json_t *panel, const char *cal, size_t si,
                        const long long *shots, size_t ns, double lo, double hi)
{
    const char *col = palette[si % N_PALETTE];
    double off = ((double)si - 0.5) * 4.0; /* separate overlapping error bars */
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
    for (size_t j = 0; j < ns; j++)
        for (size_t i = 0; i < n; i++) {
            const json_t *c = rows[i].first;
            if (same_panel(c, panel) && !strcmp(rep_str(c, "calibration"), cal) && jint(c, "shots") == shots[j] &&
                !isnan(rows[i].mean[0])) {
                fprintf(f, "%.1f,%.1f ", PL + (PW - PR - PL) * (j + 0.5) / (double)ns + off, py(rows[i].mean[0], lo, hi));
                break;
            }
        }
    fputs("\"/>\n", f);
    for (size_t j = 0; j < ns; j++)
        for (size_t i = 0; i < n; i++) {
            const json_t *c = rows[i].first;
            if (!same_panel(c, panel) || strcmp(rep_str(c, "calibration"), cal) || jint(c, "shots") != shots[j] ||
                isnan(rows[i].mean[0]))
                continue;
            double x = PL + (PW - PR - PL) * (j + 0.5) / (double)ns + off, a, b;
            row_bar(&rows[i], &a, &b);
            fprintf(f, "<line stroke=\"%s\" stroke-width=\"1.5\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<circle fill=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
                    col, x, x, py(a, lo, hi), py(b, lo, hi), col, x, py(rows[i].mean[0], lo, hi));
            esc(f, rows[i].name);
            fprintf(f, ": accuracy %.3f (bar %.3f to %.3f)</title></circle>\n", rows[i].mean[0], a, b);
        }
    fprintf(f, "<rect x=\"%d\" y=\"%zu\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%zu\" "
               "font-size=\"14\">",
            PW - PR + 12, PT + 4 + 20 * si, col, PW - PR + 30, PT + 14 + 20 * si);
    esc(f, cal);
    fputs("</text>\n", f);
}

static void html_shots(FILE *f, const rep_row *rows, size_t n)
{
    fputs("<h2 id=\"shots\">Accuracy vs shots</h2>\n<p class=\"muted\">Error bars: &plusmn; one standard deviation "
          "across seeds, or the 95% bootstrap interval for a single cell.</p>\n<div class=\"grid wide\">\n",
          f);
    for (size_t p = 0; p < n; p++) {
        size_t q = 0;
        while (q < p && !same_panel(rows[q].first, rows[p].first))
            q++;
        if (q < p)
            continue; /* panel already drawn */
        long long shots[64];
        const char *series[N_PALETTE];
        size_t ns = panel_shots(rows, n, rows[p].first, shots, 64);
        size_t nser = panel_series(rows, n, rows[p].first, series, N_PALETTE);
        double lo = 1.0, hi = 1.0;
        for (size_t i = 0; i < n; i++) {
            double a, b;
            row_bar(&rows[i], &a, &b);
            if (same_panel(rows[i].first, rows[p].first) && !isnan(a) && a < lo)
                lo = a;
        }
        lo = floor(lo * 10.0 - 0.5) / 10.0;
        lo = lo < 0 ? 0 : lo;
        fprintf(f, "<figure><svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"accuracy vs shots\">\n", PW, PH);
        plot_frame(f, lo, hi, ns, shots);
        for (size_t s = 0; s < nser; s++)
            plot_series(f, rows, n, rows[p].first, series[s], s, shots, ns, lo, hi);
        fputs("</svg><figcaption>", f);
        esc(f, rep_str(rows[p].first, "model"));
        fputs(" &middot; ", f);
        esc(f, rep_str(rows[p].first, "dataset"));
        fputs(" &middot; ", f);
        esc(f, rep_str(rows[p].first, "verbalizer"));
        fputs("</figcaption></figure>\n", f);
    }
    fputs("</div>\n", f);
}

/* ---- seed variance ------------------------------------------------------------------- */

static void html_seeds(FILE *f, const senti_results *r, const rep_row *rows, size_t n)
{
    size_t multi = 0;
    for (size_t i = 0; i < n; i++)
        multi += rows[i].n_cells > 1;
    if (!multi)
        return;
    int h = 24 * (int)multi + 40, lw = 300, w = 760;
    fprintf(f, "<h2 id=\"seeds\">Variance across seeds</h2>\n<p class=\"muted\">Accuracy of each demonstration "
               "seed (dots), mean (bar) and range.</p>\n<div class=\"scroll\"><svg viewBox=\"0 0 %d %d\" "
               "style=\"min-width:560px\" role=\"img\" aria-label=\"seed variance\">\n",
            w, h);
    double lo = 1.0; /* axis from the lowest seed (rounded down to 0.1) to 1 */
    for (size_t i = 0; i < n; i++)
        if (rows[i].n_cells > 1 && rows[i].min[0] < lo)
            lo = rows[i].min[0];
    lo = floor(lo * 10.0 - 1e-9) / 10.0;
    lo = lo < 0 ? 0 : lo >= 1 ? 0.9 : lo;
#define SX(v) (lw + (w - lw - 20) * ((v) - lo) / (1.0 - lo))
    for (int t = 0; t <= 5; t++) {
        double v = lo + (1.0 - lo) * t / 5.0, x = SX(v);
        fprintf(f, "<line class=\"gridl\" x1=\"%.1f\" x2=\"%.1f\" y1=\"8\" y2=\"%d\"/><text x=\"%.1f\" y=\"%d\" "
                   "font-size=\"11\" text-anchor=\"middle\">%.2f</text>\n",
                x, x, h - 26, x, h - 10, v);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].n_cells < 2)
            continue;
        double y = 20 + 24.0 * (double)k;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">", lw - 8, y + 4);
        esc(f, rows[i].name);
        fputs("</text>\n", f);
        double x0 = SX(rows[i].min[0]), x1 = SX(rows[i].max[0]);
        const char *col = palette[k % N_PALETTE];
        fprintf(f, "<line stroke=\"%s\" stroke-opacity=\".4\" stroke-width=\"6\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                   "y2=\"%.1f\"/>",
                col, x0, x1, y, y);
        const json_t *cells[256];
        size_t nc = row_cells(r, &rows[i], cells, 256);
        for (size_t c = 0; c < nc; c++) {
            double v = rep_metric_value(cells[c], "accuracy");
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>seed %lld: %.3f</title></circle>",
                    SX(v), y, col, jint(cells[c], "seed"), v);
        }
        double xm = SX(rows[i].mean[0]);
        fprintf(f, "<line stroke=\"#1d2330\" stroke-width=\"2\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>\n",
                xm, xm, y - 8, y + 8);
        k++;
    }
    fputs("</svg></div>\n", f);
#undef SX
}

/* ---- reliability and confusion (pooled over the seeds of a row) ------------------------ */

static void reliability_svg(FILE *f, const json_t *const *cells, size_t nc)
{
    size_t nb = json_array_size(json_object_get(cells[0], "reliability"));
    fputs("<svg viewBox=\"0 0 240 240\" role=\"img\" aria-label=\"reliability diagram\">"
          "<line class=\"axis\" x1=\"30\" y1=\"210\" x2=\"230\" y2=\"210\"/><line class=\"axis\" x1=\"30\" y1=\"10\" "
          "x2=\"30\" y2=\"210\"/><line class=\"diag\" x1=\"30\" y1=\"210\" x2=\"230\" y2=\"10\"/>"
          "<text x=\"130\" y=\"236\" font-size=\"11\" text-anchor=\"middle\">confidence</text>"
          "<text x=\"10\" y=\"110\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 10 110)\">"
          "accuracy</text>",
          f);
    for (size_t b = 0; b < nb; b++) {
        double cnt = 0, conf = 0, acc = 0, lo = NAN, hi = NAN;
        for (size_t c = 0; c < nc; c++) {
            const json_t *bin = json_array_get(json_object_get(cells[c], "reliability"), b);
            double k = rep_num(json_object_get(bin, "count"));
            lo = rep_num(json_object_get(bin, "lo")), hi = rep_num(json_object_get(bin, "hi"));
            if (k > 0)
                cnt += k, conf += k * rep_num(json_object_get(bin, "confidence")),
                    acc += k * rep_num(json_object_get(bin, "accuracy"));
        }
        if (cnt <= 0 || isnan(lo) || isnan(hi))
            continue;
        acc /= cnt, conf /= cnt;
        double x = 30 + 200 * lo, w = 200 * (hi - lo), y = 210 - 200 * acc;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1b6ca8\" fill-opacity=\".75\" "
                   "stroke=\"#fff\"><title>confidence %.3f, accuracy %.3f, %.0f rows</title></rect>",
                x, y, w, 210 - y, conf, acc, cnt);
    }
    fputs("<text x=\"26\" y=\"214\" font-size=\"9\" text-anchor=\"end\">0</text><text x=\"26\" y=\"14\" "
          "font-size=\"9\" text-anchor=\"end\">1</text><text x=\"230\" y=\"222\" font-size=\"9\" "
          "text-anchor=\"middle\">1</text></svg>",
          f);
}

static void confusion_svg(FILE *f, const json_t *const *cells, size_t nc)
{
    const json_t *labels = json_object_get(cells[0], "display");
    if (!json_is_array(labels))
        labels = json_object_get(cells[0], "labels");
    size_t k = json_array_size(json_object_get(cells[0], "confusion"));
    if (k == 0 || k > 20)
        return;
    double cell = 160.0 / (double)k, m[400] = {0}, rowsum[20] = {0};
    for (size_t c = 0; c < nc; c++)
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++) {
                double v = rep_num(json_array_get(json_array_get(json_object_get(cells[c], "confusion"), i), j));
                m[i * k + j] += isnan(v) ? 0 : v;
                rowsum[i] += isnan(v) ? 0 : v;
            }
    fputs("<svg viewBox=\"0 0 240 240\" role=\"img\" aria-label=\"confusion matrix\">"
          "<text x=\"150\" y=\"12\" font-size=\"11\" text-anchor=\"middle\">predicted</text>"
          "<text x=\"10\" y=\"130\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 10 130)\">gold"
          "</text>",
          f);
    for (size_t i = 0; i < k; i++) {
        const char *lab = json_string_value(json_array_get(labels, i));
        fprintf(f, "<text x=\"%.1f\" y=\"232\" font-size=\"9\" text-anchor=\"middle\">", 70 + cell * (i + 0.5));
        esc(f, lab ? lab : "?");
        fprintf(f, "</text><text x=\"66\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\">", 24 + cell * (i + 0.5));
        esc(f, lab ? lab : "?");
        fputs("</text>", f);
        for (size_t j = 0; j < k; j++) {
            double frac = rowsum[i] > 0 ? m[i * k + j] / rowsum[i] : 0;
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"%.3f\" "
                       "stroke=\"#fff\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"middle\"%s>%.0f"
                       "</text>",
                    70 + cell * j, 20 + cell * i, cell, cell, i == j ? "#2e933c" : "#d1495b", 0.1 + 0.85 * frac,
                    70 + cell * (j + 0.5), 24 + cell * (i + 0.5), k > 6 ? 8 : 12,
                    frac > 0.55 ? " style=\"fill:#fff\"" : "", m[i * k + j]);
        }
    }
    fputs("</svg>", f);
}

static void html_small_multiples(FILE *f, const senti_results *r, const rep_row *rows, size_t n, int confusion)
{
    fprintf(f, "<h2 id=\"%s\">%s</h2>\n<p class=\"muted\">%s Pooled over the seeds of each configuration.</p>\n"
               "<div class=\"grid\">\n",
            confusion ? "confusion" : "reliability", confusion ? "Confusion matrices" : "Reliability diagrams",
            confusion ? "Rows: gold label; columns: predicted; counts, shaded by row fraction."
                      : "Top-label confidence vs accuracy per bin; the diagonal is perfect calibration.");
    for (size_t i = 0; i < n; i++) {
        const json_t *cells[256];
        size_t nc = row_cells(r, &rows[i], cells, 256);
        if (!nc || !json_array_size(json_object_get(cells[0], confusion ? "confusion" : "reliability")))
            continue;
        fputs("<figure>", f);
        if (confusion)
            confusion_svg(f, cells, nc);
        else
            reliability_svg(f, cells, nc);
        fputs("<figcaption>", f);
        esc_name(f, rows[i].name);
        char a[32];
        if (!confusion)
            fprintf(f, " &middot; ECE %s", rep_fmt(rows[i].mean[4], a));
        fputs("</figcaption></figure>\n", f);
    }
    fputs("</div>\n", f);
}

/* ---- per class, comparisons, manifest --------------------------------------------------------- */

static void html_per_class(FILE *f, const senti_results *r)
{
    fprintf(f, "<h2 id=\"per-class\">Per-class metrics</h2>\n<details%s><summary>Precision, recall and F1 of every "
               "label in every cell</summary>",
            json_array_size(r->cells) == 1 ? " open" : "");
    fputs("<div class=\"scroll\"><table id=\"per-class-table\"><tr><th>Cell</th><th>Label</th>"
          "<th class=\"num\">Precision</th><th class=\"num\">Recall</th><th class=\"num\">F1</th>"
          "<th class=\"num\">Support</th><th class=\"num\">Predicted</th></tr>\n",
          f);
    size_t i, j;
    json_t *c, *pc;
    char a[32], b[32], d[32];
    json_array_foreach(r->cells, i, c) json_array_foreach(json_object_get(c, "per_class"), j, pc)
    {
        fputs("<tr><td>", f);
        esc_name(f, rep_str(c, "name"));
        fputs("</td><td>", f);
        esc(f, *rep_str(pc, "display") ? rep_str(pc, "display") : rep_str(pc, "label"));
        fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
                   "<td class=\"num\">%lld</td><td class=\"num\">%lld</td></tr>\n",
                rep_fmt(rep_num(json_object_get(pc, "precision")), a), rep_fmt(rep_num(json_object_get(pc, "recall")), b),
                rep_fmt(rep_num(json_object_get(pc, "f1")), d), jint(pc, "support"), jint(pc, "predicted"));
    }
    fputs("</table></div></details>\n", f);
}

static void html_comparisons(FILE *f, const senti_results *r)
{
    if (!r->comparisons || !json_array_size(r->comparisons))
        return;
    fputs("<h2 id=\"comparisons\">Paired comparisons</h2>\n<p class=\"muted\">Cells that differ in one factor, "
          "scored on the same rows: exact McNemar test on the rows where exactly one is right (p &lt; 0.05 is a "
          "verdict).</p>\n<details open><summary>Verdicts</summary><div class=\"scroll\"><table id=\"comparisons-table\">"
          "<tr><th>A</th><th>B</th><th>Factor</th><th class=\"num\">Acc. A</th><th class=\"num\">Acc. B</th>"
          "<th class=\"num\">&Delta;</th><th class=\"num\">only A / only B</th><th class=\"num\">p</th>"
          "<th>Verdict</th></tr>\n",
          f);
    size_t i;
    json_t *c;
    char a[32], b[32], d[32], p[32];
    json_array_foreach(r->comparisons, i, c)
    {
        fputs("<tr><td>", f);
        esc_name(f, rep_str(c, "a"));
        fputs("</td><td>", f);
        esc_name(f, rep_str(c, "b"));
        fputs("</td><td>", f);
        esc(f, rep_str(c, "factor"));
        const char *v = rep_str(c, "verdict");
        fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
                   "<td class=\"num\">%lld / %lld</td><td class=\"num\">%s</td><td>%s",
                rep_fmt(rep_num(json_object_get(c, "a_value")), a), rep_fmt(rep_num(json_object_get(c, "b_value")), b),
                rep_fmt_diff(rep_num(json_object_get(c, "diff")), d), jint(c, "a_only"), jint(c, "b_only"),
                rep_fmt_p(rep_num(json_object_get(c, "p_value")), p), strcmp(v, "no significant difference") ? "<strong>" : "");
        esc(f, v);
        fprintf(f, "%s</td></tr>\n", strcmp(v, "no significant difference") ? "</strong>" : "");
    }
    fputs("</table></div></details>\n", f);
}

/* Rows of a dataset for results.json files whose manifest lacks "rows"
 * (written by senti before 0.2): n + skipped of its first cell; -1 if none. */
static long long dataset_rows(const senti_results *r, const json_t *d)
{
    json_t *v = json_object_get(d, "rows");
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    size_t i;
    json_t *c;
    json_array_foreach(r->cells, i, c)
    {
        if (!strcmp(rep_str(c, "dataset"), rep_str(d, "name")) && json_is_integer(json_object_get(c, "n")))
            return jint(c, "n") + jint(c, "skipped");
    }
    return -1;
}

/* One manifest table; a missing or null value shows as a dash. "rows" of a
 * dataset comes from dataset_rows(). */
static void manifest_table(FILE *f, const senti_results *r, const json_t *list, const char *title,
                           const char *const *keys, size_t nk)
{
    if (!json_array_size(list))
        return;
    fprintf(f, "<h3>%s</h3><div class=\"scroll\"><table id=\"manifest-%s\"><tr>", title, title);
    for (size_t k = 0; k < nk; k++)
        fprintf(f, "<th%s>%s</th>", !strcmp(keys[k], "rows") || !strcmp(keys[k], "n") || !strcmp(keys[k], "correct")
                                      ? " class=\"num\""
                                      : "",
                keys[k]);
    fputs("</tr>\n", f);
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        fputs("<tr>", f);
        for (size_t k = 0; k < nk; k++) {
            json_t *v = json_object_get(o, keys[k]);
            long long rows = !strcmp(keys[k], "rows") ? dataset_rows(r, o) : -1;
            if (rows >= 0)
                fprintf(f, "<td class=\"num\">%lld</td>", rows);
            else if (json_is_integer(v))
                fprintf(f, "<td class=\"num\">%lld</td>", (long long)json_integer_value(v));
            else if (json_string_value(v) && *json_string_value(v)) {
                fputs("<td><code>", f);
                esc(f, json_string_value(v));
                fputs("</code></td>", f);
            } else
                fputs("<td class=\"muted\">&ndash;</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

static void html_manifest(FILE *f, const senti_results *r)
{
    const json_t *m = json_object_get(r->root, "manifest"), *exp = json_object_get(r->root, "experiment"),
                 *ev = json_object_get(r->root, "eval");
    fputs("<h2 id=\"manifest\">Manifest</h2>\n<p>Experiment <code>", f);
    esc(f, rep_str(exp, "file"));
    fputs("</code> sha256 <code>", f);
    esc(f, rep_str(exp, "sha256"));
    fprintf(f, "</code>. Bootstrap: %lld resamples, seed %lld, level %.2f; %lld reliability bins.</p>\n",
            jint(ev, "bootstrap"), jint(ev, "seed"), rep_num(json_object_get(ev, "ci_level")), jint(ev, "bins"));
    static const char *const mk[] = {"name", "path", "architecture", "sha256"};
    static const char *const dk[] = {"name", "split", "path", "rows", "sha256"};
    static const char *const vk[] = {"name", "path", "sha256"};
    manifest_table(f, r, json_object_get(m, "models"), "Models", mk, 4);
    manifest_table(f, r, json_object_get(m, "datasets"), "Datasets", dk, 5);
    manifest_table(f, r, json_object_get(m, "verbalizers"), "Verbalizers", vk, 3);
    static const char *const ck[] = {"name", "hash", "n", "correct", "predictions"};
    fputs("<details><summary>All cells</summary>", f);
    manifest_table(f, r, r->cells, "Cells", ck, 5);
    fputs("</details>\n", f);
}

/* ---- one predictions file (report_pred.c builds its one-cell tree) ----------------------- */

static void pred_head(FILE *f, const senti_results *r, const json_t *cell)
{
    const json_t *src = r->source;
    html_head(f, r);
    fprintf(f, "<p id=\"headline\"><strong>accuracy = %.4f (%lld/%lld)</strong></p>\n",
            rep_metric_value(cell, "accuracy"), jint(cell, "correct"), jint(cell, "n"));
    if (jint(src, "skipped") || jint(src, "renormalized"))
        fprintf(f, "<p class=\"muted\">%lld rows skipped for their status, %lld renormalized.</p>\n",
                jint(src, "skipped"), jint(src, "renormalized"));
}

static void pred_metrics(FILE *f, const senti_results *r, const json_t *cell)
{
    fprintf(f, "<h2 id=\"metrics\">Metrics</h2>\n<p class=\"muted\">%.0f%% percentile bootstrap intervals "
               "(%lld resamples, seed %lld); calibration metrics over %lld equal-width bins of the top-label "
               "confidence.</p>\n<div class=\"scroll\"><table id=\"metrics-table\" class=\"fit\"><tr><th>Metric</th>"
               "<th class=\"num\">Value</th><th class=\"num\">Interval</th></tr>\n",
            100 * rep_num(json_object_get(json_object_get(r->root, "eval"), "ci_level")),
            jint(json_object_get(r->root, "eval"), "bootstrap"), jint(json_object_get(r->root, "eval"), "seed"),
            jint(json_object_get(r->root, "eval"), "bins"));
    for (int m = 0; m < SENTI_M_COUNT; m++) {
        const char *key = senti_metric_name((senti_metric)m);
        double lo, hi;
        char a[32], b[32], c[32];
        rep_metric_ci(cell, key, &lo, &hi);
        fprintf(f, "<tr><td>%s %s</td><td class=\"num\">%s</td><td class=\"num\">", key,
                senti_metric_higher_is_better((senti_metric)m) ? "&uarr;" : "&darr;",
                rep_fmt(rep_metric_value(cell, key), a));
        if (!isnan(lo) && !isnan(hi))
            fprintf(f, "[%s, %s]", rep_fmt(lo, b), rep_fmt(hi, c));
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

static void pred_charts(FILE *f, const json_t *cell)
{
    char a[32];
    fputs("<h2 id=\"charts\">Calibration and errors</h2>\n<div class=\"grid pair\">\n", f);
    if (json_array_size(json_object_get(cell, "reliability"))) {
        fputs("<figure>", f);
        reliability_svg(f, &cell, 1);
        fprintf(f, "<figcaption>Reliability: top-label confidence vs accuracy per bin; ECE %s</figcaption></figure>\n",
                rep_fmt(rep_metric_value(cell, "ece"), a));
    }
    fputs("<figure>", f);
    confusion_svg(f, &cell, 1);
    fputs("<figcaption>Confusion matrix: rows gold, columns predicted, shaded by row fraction</figcaption>"
          "</figure>\n</div>\n",
          f);
    if (!json_array_size(json_object_get(cell, "reliability")))
        fputs("<p class=\"muted\">No probability columns: no reliability diagram.</p>\n", f);
}

static void pred_worst(FILE *f, const json_t *cell)
{
    const json_t *w = json_object_get(cell, "worst_calibrated");
    if (!json_is_array(w))
        return;
    fputs("<h2 id=\"worst\">Worst-calibrated rows</h2>\n<p class=\"muted\">The rows whose confidence in the "
          "predicted label is furthest from being right: |confidence &minus; correct|, largest first.</p>\n"
          "<div class=\"scroll\"><table id=\"worst-table\"><tr><th class=\"num\">Row</th><th>Id</th><th>Gold</th>"
          "<th>Predicted</th><th class=\"num\">Confidence</th><th>Correct</th><th class=\"num\">Gap</th></tr>\n",
          f);
    size_t i;
    json_t *o;
    char a[32], b[32];
    json_array_foreach(w, i, o)
    {
        fprintf(f, "<tr><td class=\"num\">%lld</td><td>", jint(o, "row"));
        esc_name(f, rep_str(o, "id"));
        fputs("</td><td>", f);
        esc(f, rep_str(o, "gold"));
        fputs("</td><td>", f);
        esc(f, rep_str(o, "pred"));
        fprintf(f, "</td><td class=\"num\">%s</td><td>%s</td><td class=\"num\">%s</td></tr>\n",
                rep_fmt(rep_num(json_object_get(o, "confidence")), a),
                json_is_true(json_object_get(o, "correct")) ? "yes" : "<strong>no</strong>",
                rep_fmt(rep_num(json_object_get(o, "gap")), b));
    }
    fputs("</table></div>\n", f);
}

static void pred_manifest(FILE *f, const senti_results *r)
{
    json_t *src = r->source;
    fputs("<h2 id=\"manifest\">Manifest</h2>\n", f);
    static const char *const keys[] = {"path", "rows", "skipped", "renormalized", "sha256"};
    json_t *list = json_pack("[O]", src);
    manifest_table(f, r, list, "Predictions", keys, 5);
    json_decref(list);
}

static senti_status html_predictions(const senti_results *r, const senti_gate_result *gates, size_t n_gates,
                                     FILE *f, senti_err *err)
{
    const json_t *cell = json_array_get(r->cells, 0);
    pred_head(f, r, cell);
    html_gates(f, gates, n_gates);
    pred_metrics(f, r, cell);
    pred_charts(f, cell);
    html_per_class(f, r);
    pred_worst(f, cell);
    pred_manifest(f, r);
    fputs("<p class=\"muted\">Generated by <code>senti report</code> from <code>", f);
    esc(f, r->path);
    fputs("</code>.</p>\n</main></body></html>\n", f);
    return ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}

senti_status senti_report_html(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                               senti_err *err)
{
    if (r->source && json_array_size(r->cells) == 1)
        return html_predictions(r, gates, n_gates, f, err);
    size_t n;
    rep_row *rows = rep_rows(r, &n);
    if (!rows)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    html_head(f, r);
    html_gates(f, gates, n_gates);
    html_summary(f, rows, n);
    rep_html_vs_baseline(f, r, rows, n);
    html_shots(f, rows, n);
    html_seeds(f, r, rows, n);
    html_small_multiples(f, r, rows, n, 0);
    html_small_multiples(f, r, rows, n, 1);
    html_per_class(f, r);
    html_comparisons(f, r);
    html_manifest(f, r);
    fputs("<p class=\"muted\">Generated by <code>senti report</code> from <code>", f);
    esc(f, r->path);
    fputs("</code>.</p>\n</main></body></html>\n", f);
    free(rows);
    return ferror(f) ? senti_err_set(err, SENTI_ERR_IO, "write error") : SENTI_OK;
}
