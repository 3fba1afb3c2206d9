/*
 * senti/report.h - reports and CI gates from an experiment's results.json.
 *
 * Input: the results.json written by `senti run` (schema "senti-results/1",
 * documented in docs/reports.md). The report
 * reads only that file: every number shown is in it. Or one predictions CSV
 * (senti/predfile.h, as `senti eval` reads it): evaluated in memory into a
 * one-cell results tree, reported on one page (metrics with CIs, reliability
 * diagram, confusion matrix, per-class table, the worst-calibrated rows).
 *
 * Outputs, all deterministic (same results.json + same gates = same bytes):
 *   - HTML: one self-contained file (inline CSS and SVG, no script, no
 *     network): summary table with CIs, accuracy vs shots with error bars,
 *     seed variance, reliability diagrams, confusion heat maps, per-class
 *     metrics, paired verdicts, gates, manifest. Responsive and printable.
 *   - Markdown: the summary, comparisons and gates (CI job summaries, PR comments).
 *   - CSV: one line per cell with the headline metrics and CIs.
 *   - JSON: the gate outcomes plus the summary (schema "senti-report/1").
 *   - JUnit XML: one <testcase> per gate.
 *
 * Gates (senti_gate): a metric of every selected cell must be >= (under) or
 * <= (over) a threshold; per-class metrics (precision, recall, f1) take a
 * label in brackets. A baseline gate fails a cell whose accuracy is lower
 * than in the baseline results and significantly so by the exact McNemar test
 * on the same rows (p < alpha), using the per-row correctness bits stored in
 * both files.
 */
#ifndef SENTI_REPORT_H
#define SENTI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "senti/common.h"
#include "senti/metrics.h"
#include "senti/predfile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_results senti_results;

/* Load results: `path` is a results.json or a directory holding one.
 * *out is owned by the caller: senti_results_free(). Errors name the file
 * and, for content errors, the JSON path. */
SENTI_API senti_status senti_results_load(const char *path, senti_results **out, senti_err *err);
SENTI_API void senti_results_free(senti_results *r);
/* Results of one predictions CSV, evaluated in memory (nothing is written):
 * one cell named after the file, with the fields of a results.json cell plus
 * "worst_calibrated" (up to 10 rows, largest |p(pred) - correct| first).
 * rd, ev: NULL = defaults. Errors are the reader's and the metrics'. */
SENTI_API senti_status senti_results_from_predictions(const char *path, const senti_predfile_params *rd,
                                            const senti_eval_params *ev, senti_results **out, senti_err *err);
/* Any input of `senti report`: a directory holding results.json, a JSON file
 * (first non-blank byte '{' or '['; senti_results_load), or else a
 * predictions CSV (senti_results_from_predictions). A file that is neither
 * fails with a message naming the three accepted inputs and the reason. */
/* true for results made by senti_results_from_predictions. */
SENTI_API bool senti_results_is_predictions(const senti_results *r);
SENTI_API senti_status senti_results_open(const char *path, const senti_predfile_params *rd, const senti_eval_params *ev,
                                senti_results **out, senti_err *err);
SENTI_API size_t senti_results_n_cells(const senti_results *r);
SENTI_API const char *senti_results_cell_name(const senti_results *r, size_t i);
/* A headline metric of a cell (NaN when missing or null). */
SENTI_API double senti_results_metric(const senti_results *r, size_t cell, const char *metric);

typedef enum { SENTI_GATE_UNDER = 0, SENTI_GATE_OVER, SENTI_GATE_BASELINE } senti_gate_kind;

typedef struct {
    senti_gate_kind kind;
    char metric[64];   /* "accuracy", "ece", "recall", ...; "accuracy" for baseline */
    char label[64];    /* class label for per-class metrics ("" = none) */
    char cells[128];   /* fnmatch pattern over cell names (default "*") */
    double threshold;  /* under/over: the bound; baseline: alpha (default 0.05) */
    char spec[256];    /* the option text, for messages */
} senti_gate;

/* Parse "metric=x", "metric[label]=x", "metric@cells=x", "metric[label]@cells=x". */
SENTI_API senti_status senti_gate_parse(const char *spec, senti_gate_kind kind, senti_gate *out, senti_err *err);

/* Outcome of one gate over the cells it selects. */
typedef struct {
    const senti_gate *gate;
    bool passed;
    size_t n_checked; /* cells the gate applied to */
    size_t n_failed;
    char *message;    /* one line per failing cell, or a pass summary; owned */
} senti_gate_result;

/* Evaluate gates (baseline gates need `baseline`, may be NULL otherwise).
 * res: [n] filled; release each with senti_gate_result_clear(). A gate that
 * selects no cell, names an unknown metric or label, or a baseline whose rows
 * differ, fails with SENTI_ERR_ARG / SENTI_ERR_NOTFOUND (an input error, not a
 * failed gate). */
SENTI_API senti_status senti_gates_eval(const senti_results *r, const senti_results *baseline, const senti_gate *gates,
                              size_t n, senti_gate_result *res, senti_err *err);
SENTI_API void senti_gate_result_clear(senti_gate_result *g);

/* Writers. `gates` may be NULL when n_gates is 0. */
SENTI_API senti_status senti_report_html(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                               senti_err *err);
SENTI_API senti_status senti_report_markdown(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                                   senti_err *err);
SENTI_API senti_status senti_report_csv(const senti_results *r, FILE *f, senti_err *err);
SENTI_API senti_status senti_report_json(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                               senti_err *err);
SENTI_API senti_status senti_report_junit(const senti_results *r, const senti_gate_result *gates, size_t n_gates, FILE *f,
                                senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_REPORT_H */
