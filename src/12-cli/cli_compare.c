/*
 * cli_compare.c - `senti compare`: paired comparison of two runs, or a summary
 * of many runs grouped by a manifest field.
 *
 *   senti compare [options] A.csv B.csv
 *   senti compare --aggregate [--group-by KEY] [options] RUN.csv...
 *
 * Paired mode prints both runs' metrics, the bootstrap CIs of B - A, McNemar's
 * test and one line starting "verdict: ". Aggregate mode reads each run's
 * manifest (run_manifest: RUN.csv.manifest.json as classify writes it, else
 * RUN.manifest.json, else manifest.json in its folder), takes the value at KEY (dotted path, e.g. params.shots) as the group
 * and prints mean, sd, min, max and worst case of every metric per group.
 * Exit codes: 0 ok, 2 usage or input error (files that do not match), 4 internal.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "senti/compare.h"

typedef struct {
    senti_predfile_params rd;
    senti_eval_params ev;
    const char *format, *output, *group_by;
    double alpha;
    int aggregate;
} cmp_opts;

static void compare_usage(FILE *f)
{
    senti_eval_params e = senti_cli_eval_defaults();
    fprintf(f,
            "usage: senti compare [options] A.csv B.csv\n"
            "       senti compare --aggregate [--group-by KEY] [options] RUN.csv...\n\n"
            "  --format text|json      output format (text)\n"
            "  -o, --output FILE       write there instead of stdout\n"
            "  --bootstrap N           paired bootstrap resamples (%d)\n"
            "  --bootstrap-seed N      bootstrap seed (%u; --seed is a deprecated spelling)\n"
            "  --ci LEVEL              confidence level (%g)\n"
            "  --alpha A               significance level of the verdict (0.05)\n"
            "  --bins N                calibration bins (%d)\n"
            "  -t, --threads N         bootstrap threads (%d)\n"
            "  --aggregate             summarise many runs\n"
            "  --group-by KEY          manifest field that groups runs (dotted path, e.g.\n"
            "                          demonstrations.shots); the manifest of RUN.csv is\n"
            "                          RUN.csv.manifest.json, else RUN.manifest.json, else\n"
            "                          manifest.json in its folder\n"
            "  --gold-col, --pred-col, --id-col, --status-col, --prob-prefix, --prob-cols,\n"
            "  --tol X  --renormalize  as in senti eval\n"
            "  -h, --help              this help\n"
            "Rows are matched by id when both files have an id column, else by position.\n",
            e.bootstrap, e.seed, e.ci_level, e.n_bins, e.threads);
}

enum { O_ALPHA = SENTI_OPT_EVAL_END, O_AGG, O_GROUP };
static const struct option longopts[] = {SENTI_CLI_EVAL_LONGOPTS,
                                         {"alpha", required_argument, 0, O_ALPHA},
                                         {"aggregate", no_argument, 0, O_AGG},
                                         {"group-by", required_argument, 0, O_GROUP},
                                         {0, 0, 0, 0}};
const senti_cli_opts senti_opts_compare = {"o:t:h", longopts};

static int parse_cmp_opts(int argc, char **argv, cmp_opts *o)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_compare.shorts, longopts, NULL)) != -1) {
        int shared = senti_cli_eval_opt("compare", c, optarg, &o->rd, &o->ev, &o->format, &o->output);
        if (shared < 0)
            return SENTI_EXIT_USAGE;
        if (shared)
            continue;
        switch (c) {
        case O_ALPHA: if (!senti_cli_real("compare", "alpha", optarg, 1e-12, 0.5, &o->alpha)) return SENTI_EXIT_USAGE; break;
        case O_AGG: o->aggregate = 1; break;
        case O_GROUP: o->group_by = optarg; break;
        case 'h': compare_usage(stdout); return -1;
        default: return senti_cli_try_help("compare");
        }
    }
    const char *bad = NULL;
    int nfiles = argc - optind;
    if (strcmp(o->format, "text") && strcmp(o->format, "json"))
        bad = "--format must be text or json";
    else if (!o->aggregate && nfiles != 2)
        bad = "need two predictions files (or --aggregate)";
    else if (o->aggregate && nfiles < 1)
        bad = "need at least one run";
    else if (o->ev.bootstrap < 0 || !(o->ev.ci_level > 0 && o->ev.ci_level < 1) ||
             !(o->alpha > 0 && o->alpha < 1) || o->ev.n_bins < 1)
        bad = "bad --bootstrap, --ci, --alpha or --bins";
    if (bad)
        fprintf(stderr, "senti compare: %s (see senti compare --help)\n", bad);
    return bad ? SENTI_EXIT_USAGE : 0;
}

static json_t *jreal(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* ---- paired ------------------------------------------------------------------------- */

static json_t *paired_json(const char *a, const char *b, const senti_comparison *c,
                           const char *verdict)
{
    json_t *o = json_object(), *mc = json_object(), *diff = json_object();
    json_object_set_new(o, "a", json_string(a));
    json_object_set_new(o, "b", json_string(b));
    json_object_set_new(o, "n", json_integer((json_int_t)c->n));
    json_object_set_new(o, "matched_by", json_string(c->matched_by_id ? "id" : "position"));
    json_object_set_new(mc, "b", json_integer((json_int_t)c->mcnemar.b));
    json_object_set_new(mc, "c", json_integer((json_int_t)c->mcnemar.c));
    json_object_set_new(mc, "method", json_string("exact"));
    json_object_set_new(mc, "p_value", jreal(c->mcnemar.p_value));
    json_object_set_new(o, "mcnemar", mc);
    for (int m = 0; m < SENTI_M_COUNT; m++) {
        json_t *e = json_object();
        json_object_set_new(e, "a", jreal(c->value_a[m]));
        json_object_set_new(e, "b", jreal(c->value_b[m]));
        json_object_set_new(e, "diff", jreal(c->value_b[m] - c->value_a[m]));
        json_object_set_new(e, "lo", jreal(c->diff[m].lo));
        json_object_set_new(e, "hi", jreal(c->diff[m].hi));
        json_object_set_new(diff, senti_metric_name(m), e);
    }
    json_object_set_new(o, "metrics", diff);
    json_object_set_new(o, "ci_level", json_real(c->ci_level));
    json_object_set_new(o, "bootstrap", json_integer(c->bootstrap));
    json_object_set_new(o, "verdict", json_string(verdict));
    return o;
}

static void paired_text(FILE *f, const char *a, const char *b, const senti_comparison *c,
                        const char *verdict)
{
    fprintf(f, "%s\nA: %s\nB: %s\nrows: %zu matched by %s\n", verdict, a, b, c->n,
            c->matched_by_id ? "id" : "position");
    fprintf(f, "McNemar: A right/B wrong %zu, A wrong/B right %zu, exact binomial p = %.4g\n\n",
            c->mcnemar.b, c->mcnemar.c, c->mcnemar.p_value);
    fprintf(f, "%-18s %10s %10s %10s   %s\n", "metric", "A", "B", "B - A",
            c->bootstrap ? "paired bootstrap CI" : "");
    for (int m = 0; m < SENTI_M_COUNT; m++) {
        if (isnan(c->value_a[m]) && isnan(c->value_b[m]))
            continue;
        const double v[3] = {c->value_a[m], c->value_b[m], c->value_b[m] - c->value_a[m]};
        fprintf(f, "%-18s", senti_metric_name(m));
        for (int t = 0; t < 3; t++) /* one side undefined (kappa, no probabilities): n/a, and so is B - A */
            isnan(v[t]) ? fprintf(f, " %10s", "n/a") : fprintf(f, t == 2 ? " %+10.4f" : " %10.4f", v[t]);
        if (!isnan(c->diff[m].lo))
            fprintf(f, "   [%+.4f, %+.4f]", c->diff[m].lo, c->diff[m].hi);
        fputc('\n', f);
    }
}

static int run_paired(const cmp_opts *o, const char *pa, const char *pb, FILE *f)
{
    senti_predfile a = {0}, b = {0};
    senti_comparison c;
    senti_err err = {0};
    int rc = 0;
    if (senti_predfile_read(pa, &o->rd, &a, &err) || senti_predfile_read(pb, &o->rd, &b, &err) ||
        senti_compare_runs(&a, &b, &o->ev, &c, &err)) {
        fprintf(stderr, "senti compare: %s\n", err.msg);
        rc = err.code == SENTI_ERR_NOMEM ? SENTI_EXIT_INTERNAL : SENTI_EXIT_USAGE;
    }
    if (!rc) {
        char verdict[512];
        senti_compare_verdict(&c, "A", "B", o->alpha, verdict, sizeof verdict);
        if (!strcmp(o->format, "json")) {
            json_t *j = paired_json(pa, pb, &c, verdict);
            json_dumpf(j, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
            fputc('\n', f);
            json_decref(j);
            if (f != stdout)
                printf("%s\n", verdict);
        } else {
            paired_text(f, pa, pb, &c, verdict);
        }
    }
    senti_predfile_free(&a);
    senti_predfile_free(&b);
    return rc;
}

/* ---- many runs ------------------------------------------------------------------------ */

/* The manifest of a run, loaded: RUN.csv.manifest.json (what `senti classify
 * -o RUN.csv` writes), else RUN.manifest.json (the name used before classify
 * wrote the former; kept as a fallback), else manifest.json in the run's
 * folder (an experiment cell). NULL when none is there or none parses. */
static json_t *run_manifest(const char *csv)
{
    size_t n = strlen(csv);
    char *path = malloc(n + 32);
    if (!path)
        return NULL;
    json_t *root = NULL;
    for (int step = 0; step < 3 && !root; step++) {
        strcpy(path, csv);
        if (step == 1 && n > 4 && !strcmp(path + n - 4, ".csv"))
            path[n - 4] = '\0';
        if (step < 2) {
            strcat(path, ".manifest.json");
        } else {
            char *slash = strrchr(path, '/');
            strcpy(slash ? slash + 1 : path, "manifest.json");
        }
        root = json_load_file(path, 0, NULL);
    }
    free(path);
    return root;
}

/* The group of a run: value at dotted `key` of its manifest; owned string
 * ("(missing)" with a note on stderr when the run has no manifest or the
 * manifest lacks the key). */
static char *run_group(const char *csv, const char *key)
{
    if (!key)
        return strdup("all");
    json_t *root = run_manifest(csv);
    if (!root)
        fprintf(stderr, "senti compare: note: %s: no manifest (%s.manifest.json or manifest.json beside it); "
                "group (missing)\n", csv, csv);
    json_t *v = root;
    char *keys = strdup(key), *save = NULL;
    for (char *part = strtok_r(keys, ".", &save); v && part; part = strtok_r(NULL, ".", &save))
        v = json_object_get(v, part);
    free(keys);
    char *out = NULL;
    if (json_is_string(v))
        out = strdup(json_string_value(v));
    else if (v)
        out = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(root);
    return out ? out : strdup("(missing)");
}

static void aggregate_output(FILE *f, const cmp_opts *o, const senti_compare_group *g, size_t ng)
{
    static const char *const what[5] = {"mean", "sd", "min", "max", "worst"};
    if (!strcmp(o->format, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < ng; i++) {
            json_t *e = json_object(), *ms = json_object();
            json_object_set_new(e, "group", json_string(g[i].group));
            json_object_set_new(e, "runs", json_integer((json_int_t)g[i].runs));
            for (int m = 0; m < SENTI_M_COUNT; m++) {
                const double v[5] = {g[i].mean[m], g[i].sd[m], g[i].min[m], g[i].max[m],
                                     g[i].worst[m]};
                json_t *s = json_object();
                for (int t = 0; t < 5; t++)
                    json_object_set_new(s, what[t], jreal(v[t]));
                json_object_set_new(ms, senti_metric_name(m), s);
            }
            json_object_set_new(e, "metrics", ms);
            json_array_append_new(arr, e);
        }
        json_t *root = json_object();
        json_object_set_new(root, "group_by", json_string(o->group_by ? o->group_by : ""));
        json_object_set_new(root, "groups", arr);
        json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        fputc('\n', f);
        json_decref(root);
        return;
    }
    for (size_t i = 0; i < ng; i++) {
        fprintf(f, "group %s = %s (%zu runs)\n", o->group_by ? o->group_by : "", g[i].group,
                g[i].runs);
        fprintf(f, "  %-18s %9s %9s %9s %9s %9s\n", "metric", what[0], what[1], what[2], what[3],
                what[4]);
        for (int m = 0; m < SENTI_M_COUNT; m++) {
            if (isnan(g[i].mean[m]))
                continue;
            fprintf(f, "  %-18s", senti_metric_name(m));
            const double v[5] = {g[i].mean[m], g[i].sd[m], g[i].min[m], g[i].max[m], g[i].worst[m]};
            for (int c = 0; c < 5; c++) /* sd of a one-run group is undefined */
                isnan(v[c]) ? fprintf(f, " %9s", "n/a") : fprintf(f, " %9.4f", v[c]);
            fputc('\n', f);
        }
    }
}

static int run_aggregate(const cmp_opts *o, char **files, size_t n, FILE *f)
{
    double *values = malloc(n * SENTI_M_COUNT * sizeof *values);
    char **groups = calloc(n, sizeof *groups);
    int rc = values && groups ? 0 : SENTI_EXIT_INTERNAL;
    senti_eval_params ev = o->ev;
    ev.bootstrap = 0;
    for (size_t r = 0; r < n && !rc; r++) {
        senti_predfile pf;
        senti_metrics m;
        senti_err err = {0};
        if (senti_predfile_read(files[r], &o->rd, &pf, &err)) {
            fprintf(stderr, "senti compare: %s\n", err.msg);
            rc = SENTI_EXIT_USAGE;
            break;
        }
        senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
        if (senti_metrics_compute(&in, &ev, &m, &err)) {
            fprintf(stderr, "senti compare: %s: %s\n", files[r], err.msg);
            rc = SENTI_EXIT_INTERNAL;
        } else {
            memcpy(values + r * SENTI_M_COUNT, m.value, sizeof m.value);
            senti_metrics_free(&m);
        }
        senti_predfile_free(&pf);
        groups[r] = run_group(files[r], o->group_by);
    }
    senti_compare_group *g = NULL;
    size_t ng = 0;
    if (!rc && senti_compare_aggregate(values, (const char *const *)groups, n, &g, &ng, NULL))
        rc = SENTI_EXIT_INTERNAL;
    if (!rc)
        aggregate_output(f, o, g, ng);
    senti_compare_groups_free(g, ng);
    for (size_t r = 0; groups && r < n; r++)
        free(groups[r]);
    free(groups);
    free(values);
    return rc;
}

/* -o must not replace one of the predictions files compared. */
static bool check_compare_paths(const cmp_opts *o, char **files, size_t n)
{
    senti_path_role out = {o->output, "output"}, in[64];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 64; i++)
        in[m++] = (senti_path_role){files[i], "predictions file"};
    senti_err e;
    if (!senti_check_outputs(&out, 1, in, m, &e))
        return true;
    fprintf(stderr, "senti compare: %s\n", e.msg);
    return false;
}

int senti_cmd_compare(int argc, char **argv)
{
    cmp_opts o = {.rd = senti_predfile_default_params(),
                  .ev = senti_cli_eval_defaults(),
                  .format = "text",
                  .alpha = 0.05};
    int rc = parse_cmp_opts(argc, argv, &o);
    if (rc)
        return rc < 0 ? SENTI_EXIT_OK : rc;
    senti_cli_out out;
    if (!check_compare_paths(&o, argv + optind, (size_t)(argc - optind)) || !senti_cli_out_open("compare", &out, o.output))
        return SENTI_EXIT_USAGE;
    if (o.aggregate)
        rc = run_aggregate(&o, argv + optind, (size_t)(argc - optind), out.f);
    else
        rc = run_paired(&o, argv[optind], argv[optind + 1], out.f);
    int wrc = senti_cli_out_close("compare", &out, rc == SENTI_EXIT_OK || rc == SENTI_EXIT_GATE);
    return rc ? rc : wrc;
}
