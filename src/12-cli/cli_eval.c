/*
 * cli_eval.c - `senti eval`: accuracy and calibration metrics of a predictions
 * file, with bootstrap intervals, optionally before/after post-hoc calibration.
 *
 *   senti eval [options] FILE.csv
 *
 * Output (--format): text (default), json (docs/eval-json.schema.json) or csv
 * (metric,label,value,ci_lo,ci_hi). The first line of text output, and a line
 * on stdout (or stderr when the JSON/CSV goes to stdout), is the headline
 *   accuracy = 0.9120 (912/1000)
 * Exit codes: 0 ok, 2 usage or input error, 4 internal error.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "00-base/numparse.h"
#include "cli.h"
#include "senti/calibrate.h"
#include "senti/metrics.h"
#include "senti/predfile.h"

typedef struct {
    senti_predfile_params rd;
    senti_eval_params ev;
    const char *format, *output, *calibrate, *calib_file;
} eval_opts;

static void eval_usage(FILE *f)
{
    senti_eval_params e = senti_cli_eval_defaults();
    senti_predfile_params r = senti_predfile_default_params();
    fprintf(f,
            "usage: senti eval [options] FILE.csv\n\n"
            "  --format text|json|csv  output format (text)\n"
            "  -o, --output FILE       write there instead of stdout\n"
            "  --bins N                calibration bins (%d)\n"
            "  --bootstrap N           bootstrap resamples, 0 = none (%d)\n"
            "  --bootstrap-seed N      bootstrap seed (%u; --seed is a deprecated spelling)\n"
            "  --ci LEVEL              confidence level (%g)\n"
            "  -t, --threads N         bootstrap threads (%d)\n"
            "  --gold-col NAME         gold label column (%s)\n"
            "  --pred-col NAME         predicted label column, '' = argmax (%s)\n"
            "  --id-col NAME           row id column (%s)\n"
            "  --status-col NAME       status column; rows not ok/truncated are skipped (%s)\n"
            "  --prob-prefix P         probability columns are P<label> (%s)\n"
            "  --prob-cols LIST        explicit columns: col,... or label=col,...\n"
            "  --tol X                 allowed |row sum - 1| (%g)\n"
            "  --renormalize           divide rows by their sum instead of failing\n"
            "  --posthoc METHOD        post-hoc calibration temperature|vector|platt, fitted on --calib-file\n"
            "                          (--calibrate is a deprecated spelling: it is classify's prompt-time\n"
            "                          calibration)\n"
            "  --calib-file FILE       labelled predictions to fit the calibration on\n"
            "  -h, --help              this help\n",
            e.n_bins, e.bootstrap, e.seed, e.ci_level, e.threads, r.gold_col, r.pred_col, r.id_col,
            r.status_col, r.prob_prefix, r.tol);
}

enum { O_CAL = SENTI_OPT_EVAL_END, O_CALFILE, O_CAL_OLD };
static const struct option longopts[] = {SENTI_CLI_EVAL_LONGOPTS,
                                         {"posthoc", required_argument, 0, O_CAL},
                                         {"calibrate", required_argument, 0, O_CAL_OLD},
                                         {"calib-file", required_argument, 0, O_CALFILE},
                                         {0, 0, 0, 0}};
const senti_cli_opts senti_opts_eval = {"o:t:h", longopts};

static int parse_eval_opts(int argc, char **argv, eval_opts *o)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_eval.shorts, longopts, NULL)) != -1) {
        int shared = senti_cli_eval_opt("eval", c, optarg, &o->rd, &o->ev, &o->format, &o->output);
        if (shared < 0)
            return SENTI_EXIT_USAGE;
        if (shared)
            continue;
        switch (c) {
        case O_CAL_OLD:
            senti_cli_deprecated("eval", "--calibrate", "--posthoc", "--calibrate is classify's prompt-time calibration");
            /* fall through */
        case O_CAL: o->calibrate = optarg; break;
        case O_CALFILE: o->calib_file = optarg; break;
        case 'h': eval_usage(stdout); return -1;
        default: return senti_cli_try_help("eval");
        }
    }
    return 0;
}

static int check_eval_opts(int argc, const eval_opts *o)
{
    const char *bad = NULL;
    if (optind != argc - 1)
        bad = "need exactly one predictions file";
    else if (strcmp(o->format, "text") && strcmp(o->format, "json") && strcmp(o->format, "csv"))
        bad = "--format must be text, json or csv";
    else if (o->ev.n_bins < 1 || o->ev.n_bins > 10000)
        bad = "--bins must be in 1..10000";
    else if (o->ev.bootstrap < 0)
        bad = "--bootstrap must be >= 0";
    else if (!(o->ev.ci_level > 0 && o->ev.ci_level < 1))
        bad = "--ci must be in (0, 1)";
    else if ((o->calibrate != NULL) != (o->calib_file != NULL))
        bad = "--posthoc and --calib-file go together";
    else if (o->calibrate && senti_posthoc_method_parse(o->calibrate, &(senti_posthoc_method){0}, NULL))
        bad = "--posthoc must be temperature, vector or platt";
    if (bad)
        fprintf(stderr, "senti eval: %s (see senti eval --help)\n", bad);
    return bad ? SENTI_EXIT_USAGE : 0;
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *jreal(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *metrics_json(const senti_metrics *m, const senti_predfile *pf)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)m->n));
    json_object_set_new(o, "correct", json_integer((json_int_t)m->correct));
    for (int i = 0; i < SENTI_M_COUNT; i++)
        json_object_set_new(o, senti_metric_name(i), jreal(m->value[i]));
    json_t *ci = json_object();
    for (int i = 0; i < SENTI_M_COUNT; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "lo", jreal(m->ci[i].lo));
        json_object_set_new(c, "hi", jreal(m->ci[i].hi));
        json_object_set_new(c, "se", jreal(m->ci[i].se));
        json_object_set_new(ci, senti_metric_name(i), c);
    }
    json_t *w = json_object();
    json_object_set_new(w, "lo", jreal(m->wilson_lo));
    json_object_set_new(w, "hi", jreal(m->wilson_hi));
    json_object_set_new(ci, "accuracy_wilson", w);
    json_object_set_new(o, "ci", ci);
    json_t *pc = json_array(), *conf = json_array();
    for (int j = 0; j < m->k; j++) {
        const senti_class_metrics *c = &m->per_class[j];
        json_t *e = json_object(), *row = json_array();
        json_object_set_new(e, "label", json_string(pf->labels[j]));
        json_object_set_new(e, "precision", jreal(c->precision));
        json_object_set_new(e, "recall", jreal(c->recall));
        json_object_set_new(e, "f1", jreal(c->f1));
        json_object_set_new(e, "support", json_integer((json_int_t)c->support));
        json_object_set_new(e, "predicted", json_integer((json_int_t)c->predicted));
        json_object_set_new(e, "gold_frac", jreal(c->gold_frac));
        json_object_set_new(e, "pred_frac", jreal(c->pred_frac));
        json_array_append_new(pc, e);
        for (int p = 0; p < m->k; p++)
            json_array_append_new(row, json_integer((json_int_t)m->confusion[j * m->k + p]));
        json_array_append_new(conf, row);
    }
    json_object_set_new(o, "per_class", pc);
    json_object_set_new(o, "confusion", conf);
    json_t *rel = json_array();
    for (int b = 0; m->reliability && b < m->n_bins; b++) {
        const senti_reliability_bin *r = &m->reliability[b];
        json_t *e = json_object();
        json_object_set_new(e, "lo", json_real(r->lo));
        json_object_set_new(e, "hi", json_real(r->hi));
        json_object_set_new(e, "count", json_integer((json_int_t)r->count));
        json_object_set_new(e, "confidence", jreal(r->confidence));
        json_object_set_new(e, "accuracy", jreal(r->accuracy));
        json_array_append_new(rel, e);
    }
    json_object_set_new(o, "reliability", rel);
    return o;
}

static json_t *report_json(const senti_predfile *pf, const senti_metrics *m, json_t *warnings)
{
    json_t *o = json_object(), *labels = json_array();
    json_object_set_new(o, "file", json_string(pf->path));
    for (int j = 0; j < pf->k; j++)
        json_array_append_new(labels, json_string(pf->labels[j]));
    json_object_set_new(o, "labels", labels);
    json_object_set_new(o, "k", json_integer(pf->k));
    json_object_set_new(o, "pred_source", json_string(pf->pred_from_file ? "column" : "argmax"));
    json_object_set_new(o, "skipped_rows", json_integer((json_int_t)pf->n_skipped));
    json_object_set_new(o, "renormalized_rows", json_integer((json_int_t)pf->n_renormalized));
    json_object_set_new(o, "bins", json_integer(m->n_bins));
    json_object_set_new(o, "bootstrap", json_integer(m->bootstrap));
    json_object_set_new(o, "seed", json_integer(m->seed));
    json_object_set_new(o, "ci_level", json_real(m->ci_level));
    json_t *mj = metrics_json(m, pf);
    json_object_update(o, mj);
    json_decref(mj);
    json_object_set(o, "warnings", warnings);
    return o;
}

/* ---- text and CSV ------------------------------------------------------------- */

static void headline(FILE *f, const senti_metrics *m)
{
    fprintf(f, "accuracy = %.4f (%zu/%zu)\n", m->value[SENTI_M_ACCURACY], m->correct, m->n);
}

static void text_metrics(FILE *f, const senti_metrics *m)
{
    fprintf(f, "%-18s %10s   %s\n", "metric", "value",
            m->bootstrap > 0 ? "bootstrap CI" : "(no bootstrap)");
    for (int i = 0; i < SENTI_M_COUNT; i++) {
        if (!m->has_prob && senti_metric_needs_prob(i))
            continue;
        if (isnan(m->value[i])) { /* undefined on these rows (kappa when chance agreement is 1) */
            fprintf(f, "%-18s %10s\n", senti_metric_name(i), "n/a");
            continue;
        }
        fprintf(f, "%-18s %10.4f", senti_metric_name(i), m->value[i]);
        if (!isnan(m->ci[i].lo))
            fprintf(f, "   [%.4f, %.4f]", m->ci[i].lo, m->ci[i].hi);
        fputc('\n', f);
    }
    fprintf(f, "%-18s %10s   [%.4f, %.4f]\n", "accuracy (Wilson)", "", m->wilson_lo, m->wilson_hi);
}

static void text_details(FILE *f, const senti_metrics *m, const senti_predfile *pf)
{
    fprintf(f, "\n%-16s %9s %9s %9s %8s %9s %7s %7s\n", "label", "precision", "recall", "f1",
            "support", "predicted", "gold%", "pred%");
    for (int j = 0; j < m->k; j++) {
        const senti_class_metrics *c = &m->per_class[j];
        fprintf(f, "%-16s %9.4f %9.4f %9.4f %8zu %9zu %6.1f%% %6.1f%%\n", pf->labels[j],
                c->precision, c->recall, c->f1, c->support, c->predicted, 100 * c->gold_frac,
                100 * c->pred_frac);
    }
    fprintf(f, "\nconfusion (rows gold, columns predicted, label order as above):\n");
    for (int j = 0; j < m->k; j++) {
        fprintf(f, "  %-14s", pf->labels[j]);
        for (int p = 0; p < m->k; p++)
            fprintf(f, " %8zu", m->confusion[j * m->k + p]);
        fputc('\n', f);
    }
    if (!m->reliability)
        return;
    fprintf(f, "\nreliability (%d equal-width bins of top-label confidence, lo < c <= hi):\n",
            m->n_bins);
    fprintf(f, "  %-13s %8s %10s %10s\n", "bin", "count", "confidence", "accuracy");
    for (int b = 0; b < m->n_bins; b++) {
        const senti_reliability_bin *r = &m->reliability[b];
        if (r->count)
            fprintf(f, "  (%.3f,%.3f] %8zu %10.4f %10.4f\n", r->lo, r->hi, r->count, r->confidence,
                    r->accuracy);
    }
}

static void text_report(FILE *f, const senti_predfile *pf, const senti_metrics *m)
{
    headline(f, m);
    fprintf(f, "file: %s   rows: %zu   labels: %d   pred: %s", pf->path, m->n, m->k,
            pf->pred_from_file ? "column" : "argmax");
    if (pf->n_skipped)
        fprintf(f, "   skipped: %zu", pf->n_skipped);
    fprintf(f, "\nbins: %d   bootstrap: %d (seed %u, %g%% CI)\n\n", m->n_bins, m->bootstrap, m->seed,
            100 * m->ci_level);
    text_metrics(f, m);
    text_details(f, m, pf);
}

static void csv_row(FILE *f, const char *metric, const char *label, double v, double lo, double hi)
{
    fprintf(f, "%s,", metric);
    if (label) {
        fputc('"', f);
        for (const char *p = label; *p; p++)
            fputs(*p == '"' ? "\"\"" : (char[]){*p, 0}, f);
        fputc('"', f);
    }
    char a[32], b[32];
    if (isnan(v)) { /* undefined, or needs probabilities the file lacks: an empty cell, as JSON's null */
        fputs(",,,\n", f);
        return;
    }
    fprintf(f, ",%s,", senti_fmt_real(v, a, sizeof a)); /* shortest decimal that reads back exactly */
    if (!isnan(lo))
        fprintf(f, "%s,%s\n", senti_fmt_real(lo, a, sizeof a), senti_fmt_real(hi, b, sizeof b));
    else
        fprintf(f, ",\n");
}

static void csv_report(FILE *f, const senti_predfile *pf, const senti_metrics *m, const char *tag)
{
    char name[64];
    for (int i = 0; i < SENTI_M_COUNT; i++) {
        snprintf(name, sizeof name, "%s%s", tag, senti_metric_name(i));
        csv_row(f, name, NULL, m->value[i], m->ci[i].lo, m->ci[i].hi);
    }
    snprintf(name, sizeof name, "%saccuracy_wilson", tag);
    csv_row(f, name, NULL, m->value[SENTI_M_ACCURACY], m->wilson_lo, m->wilson_hi);
    for (int j = 0; j < m->k; j++) {
        const senti_class_metrics *c = &m->per_class[j];
        const double v[5] = {c->precision, c->recall, c->f1, (double)c->support,
                             (double)c->predicted};
        static const char *const what[5] = {"precision", "recall", "f1", "support", "predicted"};
        for (int t = 0; t < 5; t++) {
            snprintf(name, sizeof name, "%s%s", tag, what[t]);
            csv_row(f, name, pf->labels[j], v[t], NAN, NAN);
        }
    }
}

/* ---- the command ---------------------------------------------------------------- */

static void warn_reading(const senti_predfile *pf, json_t *warnings)
{
    char msg[512];
    if (pf->n_skipped) {
        snprintf(msg, sizeof msg, "%s: %zu rows skipped for their status (first: row %zu)",
                 pf->path, pf->n_skipped, pf->first_skipped_row);
        fprintf(stderr, "senti eval: warning: %s\n", msg);
        json_array_append_new(warnings, json_string(msg));
    }
    if (pf->n_renormalized) {
        snprintf(msg, sizeof msg, "%s: %zu rows renormalized", pf->path, pf->n_renormalized);
        fprintf(stderr, "senti eval: warning: %s\n", msg);
        json_array_append_new(warnings, json_string(msg));
    }
}

static void warn_metrics(const senti_metrics *m, const senti_eval_params *ev, json_t *warnings)
{
    char msg[512];
    if (m->has_prob && m->few_rows_per_bin) {
        snprintf(msg, sizeof msg,
                 "calibration estimates rest on few rows: %zu rows over %d bins (< %d per bin)",
                 m->n, m->n_bins, ev->min_rows_per_bin);
        fprintf(stderr, "senti eval: warning: %s\n", msg);
        json_array_append_new(warnings, json_string(msg));
    }
    if (m->top_pred_disagree) {
        snprintf(msg, sizeof msg,
                 "%zu rows have a pred different from the argmax of the probabilities "
                 "(classification metrics use pred, calibration metrics the argmax)",
                 m->top_pred_disagree);
        fprintf(stderr, "senti eval: warning: %s\n", msg);
        json_array_append_new(warnings, json_string(msg));
    }
}

static int eval_file(const eval_opts *o, const char *path, senti_predfile *pf, senti_metrics *m,
                     json_t *warnings)
{
    senti_err err = {0};
    if (senti_predfile_read(path, &o->rd, pf, &err)) {
        fprintf(stderr, "senti eval: %s\n", err.msg);
        return SENTI_EXIT_USAGE;
    }
    warn_reading(pf, warnings);
    senti_eval_input in = {pf->n, pf->k, pf->gold, pf->pred, pf->prob};
    if (senti_metrics_compute(&in, &o->ev, m, &err)) {
        fprintf(stderr, "senti eval: %s\n", err.msg);
        senti_predfile_free(pf);
        return SENTI_EXIT_INTERNAL;
    }
    warn_metrics(m, &o->ev, warnings);
    return 0;
}

/* ---- post-hoc calibration: fit on --calib-file, apply to the evaluated file ------- */

typedef struct {
    senti_posthoc ph;
    senti_metrics after;
    size_t fit_rows;
    int done;
} calib_result;

static int fit_and_apply(const eval_opts *o, const senti_predfile *pf, calib_result *cr,
                         json_t *warnings)
{
    senti_predfile cf;
    senti_err err = {0};
    if (senti_predfile_read(o->calib_file, &o->rd, &cf, &err)) {
        fprintf(stderr, "senti eval: %s\n", err.msg);
        return SENTI_EXIT_USAGE;
    }
    warn_reading(&cf, warnings);
    int rc = 0;
    for (int j = 0; j < pf->k && !rc; j++)
        if (cf.k != pf->k || strcmp(cf.labels[j], pf->labels[j]) || !cf.prob || !pf->prob) {
            fprintf(stderr, "senti eval: %s and %s need the same probability columns\n", cf.path,
                    pf->path);
            rc = SENTI_EXIT_USAGE;
        }
    senti_eval_input fit = {cf.n, cf.k, cf.gold, cf.pred, cf.prob};
    senti_posthoc_method method = SENTI_POSTHOC_TEMPERATURE;
    senti_posthoc_method_parse(o->calibrate, &method, NULL); /* checked with the options */
    if (!rc && senti_posthoc_fit(method, &fit, &cr->ph, &err)) {
        fprintf(stderr, "senti eval: %s: %s\n", cf.path, err.msg);
        rc = SENTI_EXIT_USAGE;
    }
    cr->fit_rows = cf.n;
    senti_predfile_free(&cf);
    if (rc)
        return rc;
    size_t n = pf->n, k = (size_t)pf->k;
    double *q = malloc(n * k * sizeof *q);
    int *pred = malloc(n * sizeof *pred);
    rc = q && pred ? 0 : SENTI_EXIT_INTERNAL;
    if (!rc && senti_posthoc_apply(&cr->ph, pf->prob, n, pf->k, q, &err))
        rc = SENTI_EXIT_INTERNAL;
    for (size_t i = 0; !rc && i < n; i++) {
        int best = 0;
        for (size_t j = 1; j < k; j++)
            if (q[i * k + j] > q[i * k + (size_t)best])
                best = (int)j;
        pred[i] = best;
    }
    senti_eval_input in = {n, pf->k, pf->gold, pred, q};
    if (!rc && senti_metrics_compute(&in, &o->ev, &cr->after, &err))
        rc = SENTI_EXIT_INTERNAL;
    if (rc)
        fprintf(stderr, "senti eval: calibration failed: %s\n", err.msg);
    cr->done = !rc;
    free(q);
    free(pred);
    return rc;
}

static json_t *calib_json(const eval_opts *o, const senti_predfile *pf, const calib_result *cr)
{
    json_t *c = json_object(), *w = json_array(), *b = json_array();
    json_object_set_new(c, "method", json_string(o->calibrate));
    json_object_set_new(c, "fit_file", json_string(o->calib_file));
    json_object_set_new(c, "fit_rows", json_integer((json_int_t)cr->fit_rows));
    if (cr->ph.method == SENTI_POSTHOC_TEMPERATURE)
        json_object_set_new(c, "temperature", json_real(cr->ph.temperature));
    for (int j = 0; cr->ph.method != SENTI_POSTHOC_TEMPERATURE && j < cr->ph.k; j++) {
        if (cr->ph.method == SENTI_POSTHOC_PLATT && j > 0)
            break;
        json_array_append_new(w, json_real(cr->ph.w[j]));
        json_array_append_new(b, json_real(cr->ph.b[j]));
    }
    json_object_set_new(c, "scale", w);
    json_object_set_new(c, "bias", b);
    json_object_set_new(c, "fit_nll_before", jreal(cr->ph.nll_before));
    json_object_set_new(c, "fit_nll_after", jreal(cr->ph.nll_after));
    json_object_set_new(c, "iterations", json_integer(cr->ph.iterations));
    json_object_set_new(c, "after", metrics_json(&cr->after, pf));
    return c;
}

static void text_calibration(FILE *f, const eval_opts *o, const senti_metrics *m,
                             const calib_result *cr)
{
    fprintf(f, "\npost-hoc calibration: %s fitted on %s (%zu rows", o->calibrate, o->calib_file,
            cr->fit_rows);
    if (cr->ph.method == SENTI_POSTHOC_TEMPERATURE)
        fprintf(f, ", T = %.4f", cr->ph.temperature);
    fprintf(f, ", fit NLL %.4f -> %.4f)\n", cr->ph.nll_before, cr->ph.nll_after);
    fprintf(f, "%-18s %10s %10s   %s\n", "metric", "before", "after", "after CI");
    for (int i = 0; i < SENTI_M_COUNT; i++) {
        fprintf(f, "%-18s %10.4f %10.4f", senti_metric_name(i), m->value[i], cr->after.value[i]);
        if (!isnan(cr->after.ci[i].lo))
            fprintf(f, "   [%.4f, %.4f]", cr->after.ci[i].lo, cr->after.ci[i].hi);
        fputc('\n', f);
    }
}

static int write_output(const eval_opts *o, const senti_predfile *pf, const senti_metrics *m,
                        const calib_result *cr, json_t *warnings)
{
    senti_cli_out out;
    if (!senti_cli_out_open("eval", &out, o->output))
        return SENTI_EXIT_USAGE;
    FILE *f = out.f;
    int structured = strcmp(o->format, "text") != 0;
    if (structured)
        headline(f != stdout ? stdout : stderr, m);
    if (!strcmp(o->format, "json")) {
        json_t *j = report_json(pf, m, warnings);
        if (cr->done)
            json_object_set_new(j, "calibration", calib_json(o, pf, cr));
        json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', f);
        json_decref(j);
    } else if (!strcmp(o->format, "csv")) {
        fprintf(f, "metric,label,value,ci_lo,ci_hi\n");
        csv_report(f, pf, m, "");
        if (cr->done)
            csv_report(f, pf, &cr->after, "calibrated_");
    } else {
        text_report(f, pf, m);
        if (cr->done)
            text_calibration(f, o, m, cr);
    }
    return senti_cli_out_close("eval", &out, true);
}

int senti_cmd_eval(int argc, char **argv)
{
    eval_opts o = {.rd = senti_predfile_default_params(),
                   .ev = senti_cli_eval_defaults(),
                   .format = "text"};
    int rc = parse_eval_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? SENTI_EXIT_OK : rc;
    if ((rc = check_eval_opts(argc, &o)))
        return rc;
    senti_path_role out = {o.output, "output"}, in[] = {{argv[optind], "predictions file"}, {o.calib_file, "calibration file"}};
    senti_err pe;
    if (senti_check_outputs(&out, 1, in, 2, &pe)) {
        fprintf(stderr, "senti eval: %s\n", pe.msg);
        return SENTI_EXIT_USAGE;
    }
    senti_predfile pf;
    senti_metrics m;
    calib_result cr = {0};
    json_t *warnings = json_array();
    rc = eval_file(&o, argv[optind], &pf, &m, warnings);
    if (!rc && o.calibrate)
        rc = fit_and_apply(&o, &pf, &cr, warnings);
    if (!rc)
        rc = write_output(&o, &pf, &m, &cr, warnings);
    if (cr.done)
        senti_metrics_free(&cr.after);
    senti_posthoc_free(&cr.ph);
    if (pf.path) {
        senti_metrics_free(&m);
        senti_predfile_free(&pf);
    }
    json_decref(warnings);
    return rc;
}
