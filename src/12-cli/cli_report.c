/*
 * cli_report.c - `senti report OUTDIR|results.json|predictions.csv [outputs] [gates]`.
 *
 * A predictions CSV (anything that is not a directory or JSON) is read as
 * `senti eval` reads it and reported on one page, without an experiment.
 *
 * Writes the requested reports (all or none: temporary files renamed into
 * place once every report was written), evaluates the gates and prints one summary line per gate on
 * stderr. Exit codes: 0 every gate passed (or none given), 1 a gate failed,
 * 2 usage or input error (bad option, unreadable results, gate naming an
 * unknown metric, label or cell pattern, baseline on different rows).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "00-base/base.h"
#include "cli.h"
#include "senti/report.h"

#define MAX_GATES 64

static void usage(FILE *f)
{
    senti_eval_params e = senti_cli_eval_defaults();
    senti_predfile_params r = senti_predfile_default_params();
    fputs("usage: senti report OUTDIR|results.json|PREDICTIONS.csv [options]\n\n"
          "input: an experiment's output directory or results.json (senti run), or one predictions\n"
          "CSV (senti classify; gold, p_<label> columns as senti eval reads them): metrics, reliability\n"
          "diagram, confusion matrix, per-class table and the worst-calibrated rows, nothing written\n"
          "but the reports asked for\n\n"
          "outputs (FILE '-' = stdout; with no output option the Markdown goes to stdout):\n"
          "  --html FILE          self-contained HTML report\n"
          "  --markdown FILE      Markdown summary (CI job summary, PR comment)\n"
          "  --json FILE          gate outcomes + summary (schema senti-report/1)\n"
          "  --csv FILE           one line per cell with metrics and CIs\n"
          "  --junit FILE         JUnit XML, one test case per gate\n"
          "gates (repeatable; METRIC[LABEL]@CELLS=VALUE, LABEL and @CELLS optional,\n"
          "CELLS an fnmatch pattern over cell names, default every cell):\n"
          "  --fail-under SPEC    fail when the metric is below VALUE (accuracy=0.8, recall[negative]=0.7)\n"
          "  --fail-over SPEC     fail when the metric is above VALUE (ece=0.1)\n"
          "  --baseline FILE      fail when a cell's accuracy is significantly lower than in FILE\n"
          "                       (exact McNemar test on the same rows)\n"
          "  --alpha X            significance level of the baseline gate (default 0.05)\n"
          "  --baseline-cells PAT cells the baseline gate applies to (default every common cell)\n"
          "a predictions CSV is read and evaluated as by senti eval:\n"
          "  --gold-col NAME --pred-col NAME --id-col NAME --status-col NAME --prob-prefix P\n"
          "  --prob-cols LIST --tol X --renormalize      columns, see senti eval --help\n",
          f);
    fprintf(f,
            "  --bins N             calibration bins (%d)\n"
            "  --bootstrap N        bootstrap resamples for the intervals, 0 = none (%d)\n"
            "  --bootstrap-seed N   bootstrap seed (%u; --seed is a deprecated spelling)\n"
            "  --ci LEVEL           interval level (%g)\n"
            "  -t, --threads N      bootstrap threads (%d)\n"
            "  -h, --help           this help\n"
            "  (defaults: --gold-col %s --pred-col %s --id-col %s --status-col %s --prob-prefix %s --tol %g)\n"
            "exit codes: 0 pass, 1 gate failed, 2 usage/input error\n",
            e.n_bins, e.bootstrap, e.seed, e.ci_level, e.threads, r.gold_col, r.pred_col, r.id_col, r.status_col,
            r.prob_prefix, r.tol);
}

typedef senti_status (*writer_fn)(const senti_results *, const senti_gate_result *, size_t, FILE *, senti_err *);

static senti_status csv_writer(const senti_results *r, const senti_gate_result *g, size_t n, FILE *f, senti_err *e)
{
    (void)g, (void)n;
    return senti_report_csv(r, f, e);
}

/* Write one report to standard output. */
static int write_stdout(writer_fn fn, const senti_results *r, const senti_gate_result *g, size_t n)
{
    senti_err e = {0};
    if (fn(r, g, n, stdout, &e)) {
        fprintf(stderr, "senti report: stdout: %s\n", e.msg);
        return -1;
    }
    return 0;
}

/* Write one report into a temporary file beside `path`; *a is open on success. */
static int write_temp(const char *path, writer_fn fn, const senti_results *r, const senti_gate_result *g, size_t n,
                      senti_atomic_file *a)
{
    senti_err e = {0};
    if (senti_atomic_open(a, path, &e)) {
        fprintf(stderr, "senti report: %s\n", e.msg);
        return -1;
    }
    if (fn(r, g, n, a->f, &e) != SENTI_OK) {
        fprintf(stderr, "senti report: %s: %s\n", path, e.msg);
        senti_atomic_abort(a);
        return -1;
    }
    return 0;
}

typedef struct {
    const char *html, *markdown, *json, *csv, *junit, *baseline, *baseline_cells;
    double alpha;
    senti_predfile_params rd; /* reading a predictions CSV */
    senti_eval_params ev;     /* evaluating it */
    int pred_opts;            /* a reader or evaluation option was given */
    senti_gate gates[MAX_GATES];
    size_t n_gates;
} report_opts;

static int add_gate(report_opts *o, const char *spec, senti_gate_kind kind)
{
    senti_err e;
    if (o->n_gates == MAX_GATES) {
        fprintf(stderr, "senti report: at most %d gates\n", MAX_GATES);
        return -1;
    }
    if (senti_gate_parse(spec, kind, &o->gates[o->n_gates], &e)) {
        fprintf(stderr, "senti report: %s\n", e.msg);
        return -1;
    }
    o->n_gates++;
    return 0;
}

static const struct option longs[] = {
        {"html", required_argument, 0, 'H'},     {"markdown", required_argument, 0, 'M'},
        {"json", required_argument, 0, 'J'},     {"csv", required_argument, 0, 'C'},
        {"junit", required_argument, 0, 'U'},    {"fail-under", required_argument, 0, 'u'},
        {"fail-over", required_argument, 0, 'o'}, {"baseline", required_argument, 0, 'b'},
        {"alpha", required_argument, 0, 'a'},    {"baseline-cells", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},
        /* the predictions reader and evaluation options shared with senti eval (cli_common.c) */
        {"bins", required_argument, 0, SENTI_OPT_BINS}, {"bootstrap", required_argument, 0, SENTI_OPT_BOOT},
        {"bootstrap-seed", required_argument, 0, SENTI_OPT_SEED}, {"seed", required_argument, 0, SENTI_OPT_SEED_OLD},
        {"ci", required_argument, 0, SENTI_OPT_CI}, SENTI_LONGOPT_THREADS, {"gold-col", required_argument, 0, SENTI_OPT_GOLD},
        {"pred-col", required_argument, 0, SENTI_OPT_PRED}, {"id-col", required_argument, 0, SENTI_OPT_ID},
        {"status-col", required_argument, 0, SENTI_OPT_STATUS}, {"prob-prefix", required_argument, 0, SENTI_OPT_PREFIX},
        {"prob-cols", required_argument, 0, SENTI_OPT_COLS}, {"tol", required_argument, 0, SENTI_OPT_TOL},
        {"renormalize", no_argument, 0, SENTI_OPT_RENORM}, {0, 0, 0, 0}};
const senti_cli_opts senti_opts_report = {"t:h", longs};

static int parse_args(int argc, char **argv, report_opts *o, const char **input)
{
    int c;
    const char *unused_format = NULL, *unused_output = NULL;
    o->alpha = 0.05;
    o->rd = senti_predfile_default_params();
    o->ev = senti_cli_eval_defaults();
    while ((c = getopt_long(argc, argv, senti_opts_report.shorts, longs, NULL)) != -1) {
        if (c >= SENTI_OPT_FORMAT || c == 't') {
            int shared = senti_cli_eval_opt("report", c, optarg, &o->rd, &o->ev, &unused_format, &unused_output);
            if (shared < 0)
                return -1;
            if (shared) {
                o->pred_opts = 1;
                continue;
            }
        }
        switch (c) {
        case 'H': o->html = optarg; break;
        case 'M': o->markdown = optarg; break;
        case 'J': o->json = optarg; break;
        case 'C': o->csv = optarg; break;
        case 'U': o->junit = optarg; break;
        case 'b': o->baseline = optarg; break;
        case 'c': o->baseline_cells = optarg; break;
        case 'u': if (add_gate(o, optarg, SENTI_GATE_UNDER)) return -1; break;
        case 'o': if (add_gate(o, optarg, SENTI_GATE_OVER)) return -1; break;
        case 'a':
            if (!senti_cli_real("report", "alpha", optarg, 1e-12, 0.5, &o->alpha))
                return -1;
            break;
        case 'h': usage(stdout); exit(SENTI_EXIT_OK);
        default: senti_cli_try_help("report"); return -1;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return -1;
    }
    const char *bad = NULL;
    if (o->ev.n_bins < 1 || o->ev.n_bins > 10000)
        bad = "--bins must be in 1..10000";
    else if (o->ev.bootstrap < 0)
        bad = "--bootstrap must be >= 0";
    else if (!(o->ev.ci_level > 0 && o->ev.ci_level < 1))
        bad = "--ci must be in (0, 1)";
    if (bad) {
        fprintf(stderr, "senti report: %s\n", bad);
        return -1;
    }
    *input = argv[optind];
    if (o->baseline) {
        char spec[64];
        snprintf(spec, sizeof spec, "accuracy=%g", o->alpha);
        if (add_gate(o, spec, SENTI_GATE_BASELINE))
            return -1;
        senti_gate *g = &o->gates[o->n_gates - 1];
        snprintf(g->spec, sizeof g->spec, "%s", o->baseline);
        if (o->baseline_cells)
            snprintf(g->cells, sizeof g->cells, "%s", o->baseline_cells);
    }
    return 0;
}

/* All or nothing: every report goes to a temporary file (or stdout for "-")
 * first, and the files are put in place only when every one was written. */
static int write_all(const report_opts *o, const senti_results *r, const senti_gate_result *res)
{
    const struct {
        const char *path;
        writer_fn fn;
    } outs[] = {{o->html, senti_report_html},   {o->markdown, senti_report_markdown}, {o->json, senti_report_json},
                {o->csv, csv_writer},           {o->junit, senti_report_junit}};
    enum { N_OUTS = sizeof outs / sizeof outs[0] };
    senti_atomic_file tmp[N_OUTS] = {{0}};
    bool any = false;
    int bad = 0;
    for (size_t i = 0; i < N_OUTS && !bad; i++) {
        any |= outs[i].path != NULL;
        if (outs[i].path && strcmp(outs[i].path, "-"))
            bad = write_temp(outs[i].path, outs[i].fn, r, res, o->n_gates, &tmp[i]);
    }
    for (size_t i = 0; i < N_OUTS && !bad; i++)
        if (outs[i].path && !strcmp(outs[i].path, "-"))
            bad = write_stdout(outs[i].fn, r, res, o->n_gates);
    if (!any)
        bad = write_stdout(senti_report_markdown, r, res, o->n_gates);
    senti_atomic_file *all[N_OUTS];
    for (size_t i = 0; i < N_OUTS; i++)
        all[i] = &tmp[i];
    senti_err e = {0};
    if (bad)
        senti_atomic_abort_all(all, N_OUTS);
    else if (senti_atomic_commit_all(all, N_OUTS, &e)) {
        fprintf(stderr, "senti report: %s\n", e.msg);
        bad = -1;
    }
    return bad;
}

/* No report may replace what it is made from (DIR/results.json, a results
 * or predictions file, the baseline) or another report. */
static bool check_report_paths(const report_opts *o, const char *input)
{
    char results[4096];
    snprintf(results, sizeof results, "%s/results.json", input);
    const senti_path_role out[] = {{o->html, "HTML report"}, {o->markdown, "Markdown report"}, {o->json, "JSON report"},
                                   {o->csv, "CSV report"},   {o->junit, "JUnit report"}};
    const senti_path_role in[] = {{input, "input"}, {results, "results"}, {o->baseline, "baseline"}};
    senti_err e;
    if (!senti_check_outputs(out, sizeof out / sizeof out[0], in, sizeof in / sizeof in[0], &e))
        return true;
    fprintf(stderr, "senti report: %s\n", e.msg);
    return false;
}

int senti_cmd_report(int argc, char **argv)
{
    report_opts o = {0};
    const char *input;
    if (parse_args(argc, argv, &o, &input) || !check_report_paths(&o, input))
        return SENTI_EXIT_USAGE;
    senti_results *r = NULL, *base = NULL;
    senti_err e;
    if (senti_results_open(input, &o.rd, &o.ev, &r, &e) ||
        (o.baseline && senti_results_load(o.baseline, &base, &e))) {
        fprintf(stderr, "senti report: %s\n", e.msg);
        senti_results_free(r);
        return SENTI_EXIT_USAGE;
    }
    if (o.pred_opts && !senti_results_is_predictions(r)) {
        fprintf(stderr, "senti report: %s: the reader and evaluation options (--bins, --gold-col, ...) apply to a "
                        "predictions CSV only\n", input);
        senti_results_free(base);
        senti_results_free(r);
        return SENTI_EXIT_USAGE;
    }
    senti_gate_result res[MAX_GATES];
    int rc = SENTI_EXIT_OK;
    if (senti_gates_eval(r, base, o.gates, o.n_gates, res, &e)) {
        fprintf(stderr, "senti report: %s\n", e.msg);
        rc = SENTI_EXIT_USAGE;
    } else {
        if (write_all(&o, r, res))
            rc = SENTI_EXIT_USAGE;
        size_t failed = 0;
        for (size_t i = 0; i < o.n_gates; i++) {
            failed += !res[i].passed;
            fprintf(stderr, "gate %-40s %s (%zu/%zu cells failed)\n", o.gates[i].spec, res[i].passed ? "pass" : "FAIL",
                    res[i].n_failed, res[i].n_checked);
            if (!res[i].passed)
                fputs(res[i].message ? res[i].message : "", stderr);
            senti_gate_result_clear(&res[i]);
        }
        if (rc == SENTI_EXIT_OK && failed)
            rc = SENTI_EXIT_GATE;
        if (o.n_gates)
            fprintf(stderr, "gates: %zu of %zu passed\n", o.n_gates - failed, o.n_gates);
    }
    senti_results_free(base);
    senti_results_free(r);
    return rc;
}
