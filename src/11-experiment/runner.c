/*
 * runner.c - execute an experiment's grid (see senti/runner.h): classify each
 * cell, evaluate its predictions, keep per-cell results (cell.json) so that a
 * killed run resumes where it stopped, and assemble results.json with seed
 * groups, paired comparisons and a separate timing section.
 */
#include "senti/runner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "senti/classify.h"
#include "senti/compare.h"
#include "senti/metrics.h"
#include "senti/predfile.h"
#include "senti/report.h"
#include "senti/verbalizer.h"

#include "00-base/base.h"
#include "09-eval/eval_json.h"
#include "runner_internal.h"
#include "experiment_internal.h"

senti_run_params senti_run_default_params(void)
{
    senti_run_params p = {0};
    p.outdir = "results";
    return p;
}

/* ---- files ------------------------------------------------------------------- */

senti_status senti_run_mkdirs(const char *path, senti_err *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return senti_err_set(err, SENTI_ERR_IO, "%s: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return SENTI_OK;
}

/* Write JSON to path through a temporary file and rename (atomic). */
senti_status senti_run_write_json(json_t *o, const char *path, senti_err *err)
{
    senti_atomic_file a;
    senti_status s = senti_atomic_open(&a, path, err);
    if (s)
        return s;
    if (json_dumpf(o, a.f, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) != 0 ||
        fputc('\n', a.f) == EOF) {
        senti_atomic_abort(&a);
        return senti_err_set(err, SENTI_ERR_IO, "%s: write failed", path);
    }
    return senti_atomic_commit(&a, err);
}

static void cell_path(char *buf, size_t cap, const char *outdir, const senti_cell *c, const char *file)
{
    snprintf(buf, cap, "%s/cells/%s%s%s", outdir, c->name, file ? "/" : "", file ? file : "");
}

/* ---- the default executor: senti_classify_run ------------------------------------ */

typedef struct {
    const senti_run_params *p;
    bool model_error; /* set by a failing classify_cell, as senti_classify_summary says */
    senti_sha_memo *memo; /* the cells' input files, hashed once per run */
} exec_ctx;

senti_status senti_run_cell_params(const senti_cell *c, int threads, const char *cache_dir,
                                   senti_classify_params *out, senti_err *err)
{
    const senti_exp_dataset *d = c->dataset;
    senti_classify_params p = senti_classify_default_params();
    p.model_path = c->model->path;
    p.n_threads = threads;
    p.verbalizer_path = c->verbalizer->path;
    p.input_path = d->eval.path;
    senti_exp_eval_data(d, &p.data);
    if (c->shots > 0) {
        p.train_path = d->train.path;
        senti_exp_train_data(d, &p.train_data);
        p.demos.shots = (size_t)c->shots;
        p.demos.seed = c->seed;
        p.demos.same_file = !strcmp(d->train.path, d->eval.path);
        if (c->strategy->sampling)
            senti_demo_sampling_parse(c->strategy->sampling, &p.demos.sampling, NULL); /* checked at parse */
        if (c->strategy->order)
            senti_demo_order_parse(c->strategy->order, &p.demos.order, NULL);
        p.demos.per_row = c->strategy->per_row;
        p.demo_turns = c->strategy->demo_turns;
    }
    senti_chat_mode chat = SENTI_CHAT_MODE_AUTO;
    senti_chat_mode_parse(c->model->chat, &chat, NULL); /* checked at parse */
    p.chat = (int)chat;
    senti_err e2;
    if (senti_calib_parse(c->calibration, &p.calib, &e2))
        return senti_err_set(err, SENTI_ERR_ARG, "%s", e2.msg); /* run_cell names the cell */
    p.score_cache_dir = cache_dir;
    if (c->strategy->kind == SENTI_STRATEGY_ADAPTER)
        p.adapter_path = c->strategy->adapter; /* cached only for a head (senti/classify.h) */
    *out = p;
    return SENTI_OK;
}

/* The run's score cache: OUTDIR/cache. */
static void cache_path(const char *outdir, char *buf, size_t cap) { snprintf(buf, cap, "%s/cache", outdir); }

static senti_status classify_cell(void *user, const senti_cell *c, const char *pred, const char *manifest,
                                  senti_err *err)
{
    const senti_run_params *rp = ((exec_ctx *)user)->p;
    char cache[4200];
    cache_path(rp->outdir, cache, sizeof cache);
    senti_classify_params p;
    senti_status s = senti_run_cell_params(c, rp->threads, cache, &p, err);
    if (s)
        return s;
    char adapter[4200];
    if (c->strategy->kind == SENTI_STRATEGY_FINETUNE) { /* trained by run_cell beside the predictions */
        senti_exp_finetune_adapter_path(c, pred, adapter, sizeof adapter);
        p.adapter_path = adapter;
    }
    p.output_path = pred;
    p.manifest_path = manifest;
    p.progress = rp->on_rows;
    p.progress_user = rp->on_rows_user;
    senti_classify_summary sum = {0};
    s = senti_classify_run(&p, &sum, err);
    ((exec_ctx *)user)->model_error = s && sum.model_error;
    return s;
}

/* ---- evaluating one cell ---------------------------------------------------------- */

static json_t *cell_head(const senti_cell *c)
{
    char pred[512], man[512];
    snprintf(pred, sizeof pred, "cells/%s/predictions.csv", c->name);
    snprintf(man, sizeof man, "cells/%s/manifest.json", c->name);
    return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:s}", "name", c->name, "hash",
                     c->hash, "model", c->model ? c->model->name : NULL, "dataset", c->dataset->name, "verbalizer",
                     c->verbalizer->name,
                     "strategy", c->strategy->name, "kind", senti_strategy_kind_name(c->strategy->kind), "shots",
                     c->shots, "seed", (json_int_t)c->seed, "calibration", c->calibration, "status", "ok",
                     "predictions", pred, "manifest", man);
}

/* Evaluate the cell's predictions into its results object (*out, owned). */
static senti_status evaluate_cell(const senti_experiment *x, const senti_cell *c, const char *pred_path,
                                  json_t **out, senti_err *err)
{
    senti_predfile pf;
    senti_status s = senti_predfile_read(pred_path, NULL, &pf, err);
    if (s)
        return s;
    const senti_exp_eval *ev = senti_experiment_eval(x);
    senti_eval_params ep = senti_eval_default_params();
    ep.bootstrap = ev->bootstrap, ep.seed = ev->seed, ep.n_bins = ev->n_bins, ep.ci_level = ev->ci_level;
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_metrics m;
    if ((s = senti_metrics_compute(&in, &ep, &m, err))) {
        senti_predfile_free(&pf);
        return s;
    }
    senti_verbalizer *v = NULL;
    senti_err ve;
    if (senti_verbalizer_load(c->verbalizer->path, &v, &ve))
        v = NULL; /* display names are optional */
    json_t *o = cell_head(c);
    const char **display = calloc((size_t)pf.k + 1, sizeof *display);
    for (int k = 0; display && k < pf.k; k++) {
        int vi = v ? senti_verbalizer_find(v, pf.labels[k]) : -1;
        display[k] = vi >= 0 ? senti_verbalizer_display(v, (size_t)vi) : pf.labels[k];
    }
    senti_eval_cell_json(o, &pf, &m, display);
    free(display);
    senti_verbalizer_free(v);
    senti_metrics_free(&m);
    senti_predfile_free(&pf);
    *out = o;
    return SENTI_OK;
}

/* ---- the grid ------------------------------------------------------------------------ */

/* For a cell.json written before senti recorded its "inputs": whether the
 * verbalizer file the cell's manifest records (its SHA-256) is the one at its
 * path now (an edited label_map or label word changes the gold labels or
 * scores). A manifest that names another verbalizer path is not compared. */
static bool same_verbalizer(const char *outdir, const senti_cell *c)
{
    char path[4096], sha[65];
    senti_err e;
    cell_path(path, sizeof path, outdir, c, "manifest.json");
    json_t *m = json_load_file(path, 0, NULL);
    const json_t *v = json_object_get(m, "verbalizer");
    const char *was = json_string_value(json_object_get(v, "sha256")), *at = json_string_value(json_object_get(v, "path"));
    /* recipe and select cells classify with the recipe's verbalizer: another path, not compared */
    bool same = !was || !at || strcmp(at, c->verbalizer->path) ||
                (!senti_file_sha256(c->verbalizer->path, sha, &e) && !strcmp(was, sha));
    json_decref(m);
    return same;
}

/* Whether `doc` (a cell.json, may be NULL) holds this cell's result: the
 * same hash, made from its input files as they are now (cell_inputs.c). */
static bool result_current(const json_t *doc, const char *outdir, const senti_cell *c, senti_sha_memo *memo)
{
    const char *h = json_string_value(json_object_get(json_object_get(doc, "result"), "hash"));
    if (!h || strcmp(h, c->hash))
        return false;
    const json_t *inputs = json_object_get(doc, "inputs");
    return inputs ? senti_cell_inputs_current(inputs, c, memo) : same_verbalizer(outdir, c);
}

/* 1 when OUTDIR/cells/<name>/cell.json holds this cell's current result. */
static int cell_done(const char *outdir, const senti_cell *c, senti_sha_memo *memo)
{
    char path[4096];
    cell_path(path, sizeof path, outdir, c, "cell.json");
    json_t *o = json_load_file(path, 0, NULL);
    int ok = result_current(o, outdir, c, memo);
    json_decref(o);
    return ok;
}

/* --resume: a cell whose manifest says it read another row selection (the
 * experiment's limit/sample changed, or senti run --limit/--sample differ)
 * would mix two selections in one results.json: refused. */
static senti_status check_resume_rows(const char *outdir, const senti_cell *c, senti_err *err)
{
    char path[4096];
    cell_path(path, sizeof path, outdir, c, "manifest.json");
    json_t *o = json_load_file(path, 0, NULL), *d = json_object_get(o, "data");
    json_t *lim = json_object_get(d, "limit"), *smp = json_object_get(d, "sample");
    senti_status s = SENTI_OK;
    if (json_is_integer(lim) && json_is_integer(smp) &&
        ((size_t)json_integer_value(lim) != c->dataset->limit || (size_t)json_integer_value(smp) != c->dataset->sample))
        s = senti_err_set(err, SENTI_ERR_ARG, "%s: this cell was run with limit %lld and sample %lld; resuming with "
                          "limit %zu and sample %zu would mix two row selections (resume with the same --limit and "
                          "--sample, or run into a new directory)", path, (long long)json_integer_value(lim),
                          (long long)json_integer_value(smp), c->dataset->limit, c->dataset->sample);
    json_decref(o);
    return s;
}

static senti_status run_cell(const senti_experiment *x, const senti_run_params *p, const senti_cell *c,
                             exec_ctx *ctx, senti_err *err)
{
    char dir[4096], pred[4200], man[4200], cj[4200], cache[4200];
    cell_path(dir, sizeof dir, p->outdir, c, NULL);
    senti_status s = senti_run_mkdirs(dir, err);
    if (s)
        return s;
    cache_path(p->outdir, cache, sizeof cache);
    snprintf(pred, sizeof pred, "%s/predictions.csv", dir);
    snprintf(man, sizeof man, "%s/manifest.json", dir);
    snprintf(cj, sizeof cj, "%s/cell.json", dir);
    json_t *inputs; /* hashed before the cell reads them */
    if ((s = senti_cell_inputs(c, ctx->memo, &inputs, err)))
        return s;
    double t0 = senti_now();
    senti_err e2 = {0};
    if (c->strategy->kind == SENTI_STRATEGY_BASELINE) /* trained and applied here, no model (strategy_baseline.c) */
        s = senti_exp_baseline_cell(c, p->threads, pred, man, &e2);
    else if (c->strategy->kind == SENTI_STRATEGY_RECIPE) /* the recipe's own model (strategy_recipe.c) */
        s = senti_exp_recipe_cell(c, p->threads, cache, pred, man, &ctx->model_error, &e2);
    else if (c->strategy->kind == SENTI_STRATEGY_SELECT) /* select on drawn rows, then its recipe (strategy_select.c) */
        s = senti_exp_select_cell(c, p->threads, cache, pred, man, &ctx->model_error, &e2);
    else {
        if (c->strategy->kind == SENTI_STRATEGY_FINETUNE) /* its adapter first (strategy_finetune.c) */
            s = senti_exp_finetune_train(c, pred, &ctx->model_error, &e2);
        if (!s)
            s = p->exec ? p->exec(p->exec_user, c, pred, man, &e2) : classify_cell(ctx, c, pred, man, &e2);
    }
    double secs = senti_now() - t0;
    json_t *res = NULL;
    if (!s)
        s = evaluate_cell(x, c, pred, &res, &e2);
    if (s) {
        json_decref(inputs);
        return senti_err_set(err, s, "cell %s: %s", c->name, e2.msg);
    }
    size_t n = (size_t)json_integer_value(json_object_get(res, "n"));
    json_t *doc = json_pack("{s:o, s:o, s:{s:f, s:f}}", "result", res, "inputs", inputs, "timing", "seconds", secs,
                            "rows_per_second", secs > 0 ? (double)n / secs : 0.0);
    s = senti_run_write_json(doc, cj, err);
    json_decref(doc);
    return s;
}

/* What a killed run left half-written: temporary files beside results.json
 * and in the cell folders (the finished files are whole, see 00-base/base.h). */
static void sweep_tmp(const senti_experiment *x, const char *outdir)
{
    char dir[4200];
    senti_atomic_sweep(outdir);
    for (size_t i = 0; i < senti_experiment_n_cells(x); i++) {
        snprintf(dir, sizeof dir, "%s/cells/%s", outdir, senti_experiment_cell(x, i)->name);
        senti_atomic_sweep(dir);
    }
}

static senti_status write_results(const senti_experiment *x, const char *outdir, double seconds, bool partial,
                                  const bool *failed, senti_sha_memo *memo, size_t *n_pending, senti_err *err);

senti_status senti_run_experiment(const senti_experiment *x, const senti_run_params *p, senti_run_summary *sum,
                                  senti_err *err)
{
    senti_run_summary local = {0};
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    double t0 = senti_now();
    exec_ctx ctx = {p, false, senti_sha_memo_new()};
    senti_status s = ctx.memo ? senti_run_mkdirs(p->outdir, err) : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    size_t n = senti_experiment_n_cells(x);
    sum->n_cells = n;
    if (!s && p->resume)
        sweep_tmp(x, p->outdir);
    for (size_t i = 0; !s && p->resume && i < n; i++)
        s = check_resume_rows(p->outdir, senti_experiment_cell(x, i), err);
    senti_status first = SENTI_OK; /* keep_going: the first failure */
    senti_err first_err = {0}, cell_err;
    bool first_model = false, *failed = p->keep_going ? calloc(n ? n : 1, sizeof *failed) : NULL;
    if (!s && p->keep_going && !failed)
        s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < n; i++) {
        const senti_cell *c = senti_experiment_cell(x, i);
        int skip = p->resume && cell_done(p->outdir, c, ctx.memo);
        if (p->on_cell)
            p->on_cell(p->on_cell_user, c, i, n, 0, skip, 0);
        double tc = senti_now();
        if (!skip)
            s = run_cell(x, p, c, &ctx, &cell_err);
        sum->n_skipped += skip;
        sum->n_run += !skip && !s;
        if (!s && p->on_cell)
            p->on_cell(p->on_cell_user, c, i, n, 1, skip, senti_now() - tc);
        if (s && p->keep_going && s != SENTI_ERR_NOMEM) {
            if (p->on_fail)
                p->on_fail(p->on_fail_user, c, i, n, &cell_err);
            if (!sum->n_failed++)
                first = s, first_err = cell_err, first_model = ctx.model_error;
            failed[i] = true; /* pending in results.json even where an older result of it is on disk */
            ctx.model_error = false;
            s = SENTI_OK;
        } else if (s && err) {
            *err = cell_err;
        }
    }
    sum->seconds = senti_now() - t0;
    sum->model_error = s && ctx.model_error;
    size_t n_pending;
    if (!s) {
        s = write_results(x, p->outdir, sum->seconds, sum->n_failed > 0, failed, ctx.memo, &n_pending, err);
        sum->results_written = !s;
    }
    if (sum->n_failed && (!s || s == SENTI_ERR_NOTFOUND)) { /* NOTFOUND: no cell finished, no results.json */
        if (s)
            s = senti_err_set(err, first, "no cell finished (%zu failed); the first failure: %s", sum->n_failed,
                              first_err.msg);
        else
            s = senti_err_set(err, first, "%zu of %zu cells failed (results.json lists them as pending); the first: %s",
                              sum->n_failed, n, first_err.msg);
        sum->model_error = first_model;
    }
    free(failed);
    senti_sha_memo_free(ctx.memo);
    return s;
}

/* ---- results.json ---------------------------------------------------------------------------- */

static int hex_bit(const char *hex, size_t i)
{
    char ch = hex[i / 4];
    int d = ch >= 'a' ? ch - 'a' + 10 : ch - '0';
    return (d >> (3 - (int)(i % 4))) & 1;
}

/* Paired comparison of cells a (reference) and b, or NULL when not comparable. */
static json_t *compare_cells(const json_t *a, const json_t *b, const char *factor)
{
    const char *ra = json_string_value(json_object_get(a, "rows_sha256"));
    const char *rb = json_string_value(json_object_get(b, "rows_sha256"));
    const char *ba = json_string_value(json_object_get(a, "correct_bits"));
    const char *bb = json_string_value(json_object_get(b, "correct_bits"));
    size_t n = (size_t)json_integer_value(json_object_get(a, "n"));
    if (!ra || !rb || !ba || !bb || strcmp(ra, rb) || strlen(ba) < (n + 3) / 4 || strlen(bb) < (n + 3) / 4)
        return NULL;
    size_t only_a = 0, only_b = 0;
    for (size_t i = 0; i < n; i++) {
        int x = hex_bit(ba, i), y = hex_bit(bb, i);
        only_a += x && !y, only_b += y && !x;
    }
    double p = senti_mcnemar_test(only_a, only_b).p_value;
    double va = json_number_value(json_object_get(json_object_get(json_object_get(a, "metrics"), "accuracy"), "value"));
    double vb = json_number_value(json_object_get(json_object_get(json_object_get(b, "metrics"), "accuracy"), "value"));
    const char *verdict = p >= 0.05 ? "no significant difference" : only_b > only_a ? "b better" : "a better";
    return json_pack("{s:O, s:O, s:s, s:s, s:f, s:f, s:f, s:I, s:I, s:f, s:s}", "a", json_object_get(a, "name"), "b",
                     json_object_get(b, "name"), "factor", factor, "metric", "accuracy", "a_value", va, "b_value", vb,
                     "diff", vb - va, "a_only", (json_int_t)only_a, "b_only", (json_int_t)only_b, "p_value", p,
                     "verdict", verdict);
}

/* Index of the cell equal to c except for one factor set to a reference value. */
static long reference_cell(const senti_experiment *x, const senti_cell *c, int factor)
{
    for (size_t i = 0; i < senti_experiment_n_cells(x); i++) {
        const senti_cell *o = senti_experiment_cell(x, i);
        int same_model = o->model == c->model, same_verb = o->verbalizer == c->verbalizer,
            same_cal = !strcmp(o->calibration, c->calibration);
        if (o == c || o->dataset != c->dataset || o->strategy != c->strategy || o->shots != c->shots ||
            o->seed != c->seed)
            continue;
        if (factor == 0 && same_model && same_verb && !strcmp(o->calibration, "none"))
            return (long)i;
        if (factor == 1 && same_model && same_cal && o->verbalizer == senti_experiment_verbalizer(x, 0))
            return (long)i;
        if (factor == 2 && same_verb && same_cal && o->model == senti_experiment_model(x, 0))
            return (long)i;
    }
    return -1;
}

static json_t *build_comparisons(const senti_experiment *x, json_t *cells)
{
    static const char *const factors[] = {"calibration", "verbalizer", "model"};
    json_t *a = json_array();
    for (int f = 0; f < 3; f++)
        for (size_t i = 0; i < senti_experiment_n_cells(x); i++) {
            long r = reference_cell(x, senti_experiment_cell(x, i), f);
            json_t *cmp = r >= 0 ? compare_cells(json_array_get(cells, (size_t)r), json_array_get(cells, i), factors[f])
                                 : NULL;
            if (cmp)
                json_array_append_new(a, cmp);
        }
    return a;
}

/* Seed groups: cells equal up to the seed, in grid order (cells without a
 * model of the grid: the kind, baseline, recipe or select, in its place).
 * cells[i] is cell i's result, null when it is pending. */
static json_t *build_groups(const senti_experiment *x, json_t *cells)
{
    json_t *a = json_array();
    size_t n = senti_experiment_n_cells(x);
    for (size_t i = 0; i < n; i++) {
        const senti_cell *c = senti_experiment_cell(x, i);
        if (json_is_null(json_array_get(cells, i))) /* pending (senti_run_collect) */
            continue;
        char name[512];
        snprintf(name, sizeof name, "%s.%s.%s.%s.k%d.%s", c->model ? c->model->name : senti_strategy_kind_name(c->strategy->kind), c->dataset->name,
                 c->verbalizer->name, c->strategy->name, c->shots, c->calibration);
        json_t *g = NULL, *it;
        size_t j;
        json_array_foreach(a, j, it) if (!strcmp(json_string_value(json_object_get(it, "name")), name)) g = it;
        if (!g) {
            g = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:i, s:s, s:[]}", "name", name, "model",
                          c->model ? c->model->name : NULL,
                          "dataset", c->dataset->name, "verbalizer", c->verbalizer->name, "strategy", c->strategy->name,
                          "shots", c->shots, "calibration", c->calibration, "cells");
            json_array_append_new(a, g);
        }
        json_array_append_new(json_object_get(g, "cells"), json_string(c->name));
    }
    return a;
}

static json_t *build_manifest(const senti_experiment *x, json_t *cells)
{
    json_t *models = json_array(), *datasets = json_array(), *verbs = json_array();
    char sha[65];
    senti_err e;
    for (size_t i = 0; i < senti_experiment_n_models(x); i++) {
        const senti_exp_model *m = senti_experiment_model(x, i);
        json_t *o = json_pack("{s:s, s:s}", "name", m->name, "path", m->path);
        /* the classifier's manifest of the first cell with this model has its hash */
        for (size_t c = 0; c < senti_experiment_n_cells(x); c++) {
            if (senti_experiment_cell(x, c)->model != m)
                continue;
            json_t *mf = json_object_get(json_array_get(cells, c), "_manifest");
            json_t *mm = json_object_get(mf, "model");
            json_object_set(o, "architecture", json_object_get(mm, "architecture") ? json_object_get(mm, "architecture") : json_null());
            json_object_set(o, "sha256", json_object_get(mm, "sha256") ? json_object_get(mm, "sha256") : json_null());
            break;
        }
        json_array_append_new(models, o);
    }
    for (size_t i = 0; i < senti_experiment_n_datasets(x); i++) {
        const senti_exp_dataset *d = senti_experiment_dataset(x, i);
        json_t *o = json_pack("{s:s, s:s?, s:s, s:I, s:I, s:I}", "name", d->name, "split", d->split, "path",
                              d->eval.path, "limit", (json_int_t)d->limit, "sample", (json_int_t)d->sample,
                              "sample_seed", (json_int_t)d->sample_seed);
        json_object_set_new(o, "sha256", senti_file_sha256(d->eval.path, sha, &e) ? json_null() : json_string(sha));
        /* rows read from the file: n + skipped of its first cell */
        for (size_t c = 0; c < senti_experiment_n_cells(x); c++) {
            json_t *cell = json_array_get(cells, c);
            if (senti_experiment_cell(x, c)->dataset != d || !json_is_integer(json_object_get(cell, "n")))
                continue;
            json_object_set_new(o, "rows", json_integer(json_integer_value(json_object_get(cell, "n")) +
                                                        json_integer_value(json_object_get(cell, "skipped"))));
            break;
        }
        if (d->train.path) {
            json_object_set_new(o, "train", json_string(d->train.path));
            json_object_set_new(o, "train_sha256",
                                senti_file_sha256(d->train.path, sha, &e) ? json_null() : json_string(sha));
        }
        json_array_append_new(datasets, o);
    }
    for (size_t i = 0; i < senti_experiment_n_verbalizers(x); i++) {
        const senti_exp_verbalizer *v = senti_experiment_verbalizer(x, i);
        json_t *o = json_pack("{s:s, s:s}", "name", v->name, "path", v->path);
        json_object_set_new(o, "sha256", senti_file_sha256(v->path, sha, &e) ? json_null() : json_string(sha));
        json_array_append_new(verbs, o);
    }
    return json_pack("{s:o, s:o, s:o}", "models", models, "datasets", datasets, "verbalizers", verbs);
}

/* results.json from the cell.json files. With `partial`, a cell not (or not
 * validly: another hash or changed input files) finished, or failed[i] (may
 * be NULL), is listed under "pending" and left out of the cells, groups and
 * comparisons; without, it is an error. `memo`: the run's hashed inputs, or
 * NULL for a memo of its own. */
static senti_status write_results(const senti_experiment *x, const char *outdir, double seconds, bool partial,
                                  const bool *failed, senti_sha_memo *memo, size_t *n_pending, senti_err *err)
{
    senti_sha_memo *own = memo ? NULL : senti_sha_memo_new();
    if (!memo && !(memo = own))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    json_t *cells = json_array(), *timing_cells = json_object(), *pending = json_array();
    senti_status s = SENTI_OK;
    char path[4096];
    size_t n_done = 0;
    for (size_t i = 0; !s && i < senti_experiment_n_cells(x); i++) {
        const senti_cell *c = senti_experiment_cell(x, i);
        cell_path(path, sizeof path, outdir, c, "cell.json");
        json_error_t je;
        json_t *doc = json_load_file(path, 0, &je);
        json_t *res = json_object_get(doc, "result");
        if ((failed && failed[i]) || !result_current(doc, outdir, c, memo)) {
            json_decref(doc);
            if (!partial) {
                s = senti_err_set(err, SENTI_ERR_STATE, "%s: missing or stale cell result (run the cell first)", path);
                break;
            }
            json_array_append_new(cells, json_null());
            json_array_append_new(pending, json_string(c->name));
            continue;
        }
        cell_path(path, sizeof path, outdir, c, "manifest.json");
        json_t *mf = json_load_file(path, 0, NULL);
        json_object_set_new(res, "_manifest", mf ? mf : json_null());
        json_array_append(cells, res);
        json_object_set(timing_cells, c->name, json_object_get(doc, "timing"));
        json_decref(doc);
        n_done++;
    }
    if (!s && partial && !n_done)
        s = senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: no cell of %s has finished yet (nothing to collect)", outdir,
                          senti_experiment_origin(x));
    *n_pending = json_array_size(pending);
    json_t *root = NULL;
    if (!s) {
        const senti_exp_eval *ev = senti_experiment_eval(x);
        json_t *manifest = build_manifest(x, cells);
        size_t i;
        json_t *c;
        json_t *done = json_array(); /* the finished cells */
        json_array_foreach(cells, i, c) {
            json_object_del(c, "_manifest");
            if (!json_is_null(c))
                json_array_append(done, c);
        }
        root = json_pack("{s:s, s:s, s:{s:s, s:s?, s:s, s:s}, s:{s:i, s:I, s:i, s:f}, s:o, s:o, s:o, s:o, s:{s:f, s:O}}",
                         "schema", "senti-results/1", "senti_version", senti_version(), "experiment", "name",
                         senti_experiment_name(x), "description", senti_experiment_description(x), "file",
                         senti_experiment_origin(x), "sha256", senti_experiment_sha256(x), "eval", "bootstrap",
                         ev->bootstrap, "seed", (json_int_t)ev->seed, "bins", ev->n_bins, "ci_level", ev->ci_level,
                         "manifest", manifest, "cells", done, "groups", build_groups(x, cells),
                         "comparisons", build_comparisons(x, cells), "timing", "total_seconds", seconds, "cells",
                         timing_cells);
        if (root && json_array_size(pending))
            json_object_set(root, "pending", pending);
        size_t limit, sample;
        senti_experiment_rows_override(x, &limit, &sample);
        if (root && (limit || sample))
            json_object_set_new(json_object_get(root, "experiment"), "rows_override",
                                json_pack("{s:I, s:I}", "limit", (json_int_t)limit, "sample", (json_int_t)sample));
        snprintf(path, sizeof path, "%s/results.json", outdir);
        s = root ? senti_run_write_json(root, path, err) : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    json_decref(root);
    json_decref(cells);
    json_decref(timing_cells);
    json_decref(pending);
    senti_sha_memo_free(own);
    return s;
}

senti_status senti_run_write_results(const senti_experiment *x, const char *outdir, double seconds, senti_err *err)
{
    size_t n_pending;
    return write_results(x, outdir, seconds, false, NULL, NULL, &n_pending, err);
}

senti_status senti_run_collect(const senti_experiment *x, const char *outdir, senti_run_summary *sum,
                               senti_err *err)
{
    size_t n_pending = 0;
    double t0 = senti_now();
    senti_status s = write_results(x, outdir, 0, true, NULL, NULL, &n_pending, err);
    if (sum) {
        memset(sum, 0, sizeof *sum);
        sum->n_cells = senti_experiment_n_cells(x);
        sum->n_skipped = sum->n_cells - n_pending;
        sum->seconds = senti_now() - t0;
    }
    return s;
}
