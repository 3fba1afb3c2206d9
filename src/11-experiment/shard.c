/*
 * shard.c - an experiment cut into work units (see senti/shard.h): the plan,
 * one unit's scoring into a score cache, job-array shards and their merge.
 *
 * Exactness rests on two facts of the classifier: a row range that starts on
 * a row-group boundary packs its rows as the whole run does, and a run whose
 * score cache holds every row prompt gives the same bytes as a run that
 * computed them (senti/scorecache.h). The merge is that second run.
 */
#include "senti/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "senti/dataset.h"
#include "senti/scorecache.h"

#include "00-base/base.h"
#include "runner_internal.h"

/* ---- the plan ------------------------------------------------------------------ */

/* Cells whose row scores go through the score cache, once per score group. */
static bool cell_has_units(const senti_cell *c)
{
    senti_strategy_kind k = c->strategy->kind;
    return c->score_group == c->index && (k == SENTI_STRATEGY_ZERO_SHOT || k == SENTI_STRATEGY_FEW_SHOT);
}

/* Selected rows of the cell's dataset, as the classifier reads them. */
static senti_status count_rows(const senti_cell *c, size_t *n, senti_err *err)
{
    senti_classify_params p;
    senti_status s = senti_run_cell_params(c, 0, NULL, &p, err);
    senti_dataset *d = NULL;
    if (!s)
        s = senti_dataset_open(p.input_path, &p.data, &d, err);
    senti_row row;
    bool have = true;
    for (*n = 0; !s && !(s = senti_dataset_next(d, &row, &have, err)) && have;)
        (*n)++;
    senti_dataset_close(d);
    return s;
}

static senti_status plan_add(senti_work_plan *p, size_t *cap, size_t cell, size_t b, size_t e)
{
    if (p->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        senti_work_unit *u = realloc(p->units, nc * sizeof *u);
        if (!u)
            return SENTI_ERR_NOMEM;
        p->units = u, *cap = nc;
    }
    p->units[p->n++] = (senti_work_unit){cell, b, e};
    p->n_rows += e - b;
    return SENTI_OK;
}

senti_status senti_work_plan_build(const senti_experiment *x, size_t unit_rows, senti_work_plan *out,
                                   senti_err *err)
{
    memset(out, 0, sizeof *out);
    if (unit_rows == 0 || unit_rows % SENTI_CLASSIFY_GROUP)
        return senti_err_set(err, SENTI_ERR_ARG, "rows per work unit: %zu is not a positive multiple of %d", unit_rows,
                             SENTI_CLASSIFY_GROUP);
    size_t cap = 0, n_cells = senti_experiment_n_cells(x);
    const senti_exp_dataset **seen = calloc(n_cells + 1, sizeof *seen); /* row counts per dataset */
    size_t *rows = calloc(n_cells + 1, sizeof *rows), n_seen = 0;
    senti_status s = seen && rows ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < n_cells; i++) {
        const senti_cell *c = senti_experiment_cell(x, i);
        if (!cell_has_units(c))
            continue;
        size_t k = 0;
        while (k < n_seen && seen[k] != c->dataset)
            k++;
        if (k == n_seen && !(s = count_rows(c, &rows[k], err)))
            seen[n_seen++] = c->dataset;
        for (size_t b = 0; !s && b < rows[k]; b += unit_rows)
            if (plan_add(out, &cap, i, b, b + unit_rows < rows[k] ? b + unit_rows : rows[k]))
                s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    free(seen);
    free(rows);
    if (s)
        senti_work_plan_free(out);
    return s;
}

void senti_work_plan_free(senti_work_plan *p)
{
    if (!p)
        return;
    free(p->units);
    memset(p, 0, sizeof *p);
}

void senti_work_plan_shard(const senti_work_plan *p, size_t index, size_t n_shards, size_t *first, size_t *end)
{
    size_t before = 0, i = 0;
    *first = *end = 0;
    if (!p->n_rows)
        return;
    /* unit i belongs to shard floor(rows before it * N / all rows): monotonic, so contiguous */
    for (; i < p->n && (before * n_shards) / p->n_rows < index; i++)
        before += p->units[i].row_end - p->units[i].row_begin;
    *first = i;
    for (; i < p->n && (before * n_shards) / p->n_rows == index; i++)
        before += p->units[i].row_end - p->units[i].row_begin;
    *end = i;
}

senti_status senti_work_unit_run(const senti_experiment *x, const senti_work_unit *u, const char *cache_dir,
                                 int threads, senti_classify_summary *sum, senti_err *err)
{
    const senti_cell *c = senti_experiment_cell(x, u->cell);
    senti_classify_params p;
    senti_err e2;
    memset(sum, 0, sizeof *sum);
    senti_status s = senti_run_cell_params(c, threads, cache_dir, &p, &e2);
    if (!s && u->row_begin == u->row_end)
        return SENTI_OK; /* nothing to score (an empty range would mean "all rows") */
    p.row_begin = u->row_begin;
    p.row_end = u->row_end;
    if (!s)
        s = senti_classify_run(&p, sum, &e2);
    if (s)
        return senti_err_set(err, s, "cell %s, rows %zu..%zu: %s", c->name, u->row_begin, u->row_end, e2.msg);
    return SENTI_OK;
}

/* ---- shards ------------------------------------------------------------------------ */

static void shard_dir(char *buf, size_t cap, const char *outdir, size_t i, size_t n, const char *file)
{
    snprintf(buf, cap, "%s/shards/%zu-of-%zu%s%s", outdir, i, n, file ? "/" : "", file ? file : "");
}

/* OUTDIR/shards.json: created when absent, else it must name x and N. */
static senti_status claim_dir(const senti_experiment *x, const char *outdir, size_t n_shards, senti_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/shards.json", outdir);
    json_error_t je;
    struct stat st;
    json_t *o = json_load_file(path, 0, &je);
    if (!o && stat(path, &st) == 0) /* another shard may have put it in place just now: read it again */
        o = json_load_file(path, 0, &je);
    senti_status s = SENTI_OK;
    if (!o) {
        if (stat(path, &st) == 0)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        o = json_pack("{s:s, s:s, s:s, s:I}", "experiment", senti_experiment_name(x), "file",
                      senti_experiment_origin(x), "sha256", senti_experiment_sha256(x), "shards",
                      (json_int_t)n_shards);
        s = o ? senti_run_write_json(o, path, err) : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        json_decref(o);
        return s;
    }
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    const char *name = json_string_value(json_object_get(o, "experiment"));
    json_int_t n = json_integer_value(json_object_get(o, "shards"));
    if (!sha || !name || strcmp(sha, senti_experiment_sha256(x)) || n != (json_int_t)n_shards)
        s = senti_err_set(err, SENTI_ERR_ARG,
                          "%s: this directory holds %lld shards of experiment '%s' (sha256 %.12s); this is '%s' "
                          "(sha256 %.12s) in %zu shards: use another output directory",
                          path, (long long)n, name ? name : "?", sha ? sha : "?", senti_experiment_name(x),
                          senti_experiment_sha256(x), n_shards);
    json_decref(o);
    return s;
}

/* Score units [first, end), consecutive units of one cell as one range. */
static senti_status run_units(const senti_experiment *x, const senti_shard_params *p, const senti_work_plan *plan,
                              size_t first, size_t end, const char *cache, senti_shard_summary *sum, senti_err *err)
{
    senti_status s = SENTI_OK;
    for (size_t i = first; !s && i < end;) {
        senti_work_unit u = plan->units[i];
        while (++i < end && plan->units[i].cell == u.cell)
            u.row_end = plan->units[i].row_end;
        if (p->on_unit)
            p->on_unit(p->on_unit_user, &u, i - first, end - first, 0, 0);
        double t0 = senti_now();
        senti_classify_summary cs;
        s = senti_work_unit_run(x, &u, cache, p->threads, &cs, err);
        sum->model_error = s && cs.model_error;
        sum->n_units++, sum->n_rows += u.row_end - u.row_begin, sum->n_cached += cs.n_cached;
        if (!s && p->on_unit)
            p->on_unit(p->on_unit_user, &u, i - first, end - first, 1, senti_now() - t0);
    }
    return s;
}

senti_status senti_shard_run(const senti_experiment *x, const senti_shard_params *p, senti_shard_summary *sum,
                             senti_err *err)
{
    senti_shard_summary local;
    sum = sum ? sum : &local;
    memset(sum, 0, sizeof *sum);
    if (p->n_shards < 1 || p->index >= p->n_shards)
        return senti_err_set(err, SENTI_ERR_ARG, "shard %zu/%zu: the index must be in 0..N-1", p->index, p->n_shards);
    double t0 = senti_now();
    char dir[4096], cache[4200], path[4200];
    shard_dir(dir, sizeof dir, p->outdir, p->index, p->n_shards, NULL);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(path, sizeof path, "%s/shard.json", dir);
    senti_work_plan plan = {0};
    size_t first = 0, end = 0;
    senti_status s = senti_run_mkdirs(p->outdir, err);
    if (!s)
        s = claim_dir(x, p->outdir, p->n_shards, err);
    if (!s)
        s = senti_run_mkdirs(cache, err);
    if (!s)
        senti_atomic_sweep(dir);
    if (!s)
        s = senti_work_plan_build(x, SENTI_CLASSIFY_GROUP, &plan, err);
    if (!s) {
        senti_work_plan_shard(&plan, p->index, p->n_shards, &first, &end);
        s = run_units(x, p, &plan, first, end, cache, sum, err);
    }
    sum->seconds = senti_now() - t0;
    if (!s && !(s = claim_dir(x, p->outdir, p->n_shards, err))) { /* still ours at the end */
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:{s:f}}", "sha256", senti_experiment_sha256(x), "shard",
                              (json_int_t)p->index, "of", (json_int_t)p->n_shards, "units", (json_int_t)(end - first),
                              "rows", (json_int_t)sum->n_rows, "timing", "seconds", sum->seconds);
        s = o ? senti_run_write_json(o, path, err) : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        json_decref(o);
    }
    senti_work_plan_free(&plan);
    return s;
}

senti_status senti_shard_experiment_file(const char *outdir, char **path, senti_err *err)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/shards.json", outdir);
    json_error_t je;
    json_t *o = json_load_file(p, 0, &je);
    if (!o)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: %s (not the output directory of senti run --shard?)", p,
                             je.text);
    const char *f = json_string_value(json_object_get(o, "file"));
    *path = f ? senti_xstrdup(f) : NULL;
    json_decref(o);
    if (!f)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: no \"file\" string", p);
    return *path ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
}

/* 1 when shard i's shard.json is there and names x and N. */
static int shard_done(const senti_experiment *x, const char *outdir, size_t i, size_t n)
{
    char path[4096];
    shard_dir(path, sizeof path, outdir, i, n, "shard.json");
    json_t *o = json_load_file(path, 0, NULL);
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    int ok = sha && !strcmp(sha, senti_experiment_sha256(x)) &&
             json_integer_value(json_object_get(o, "shard")) == (json_int_t)i &&
             json_integer_value(json_object_get(o, "of")) == (json_int_t)n;
    json_decref(o);
    return ok;
}

/* SENTI_ERR_NOTFOUND naming every unfinished shard, or SENTI_OK. */
static senti_status check_shards(const senti_experiment *x, const char *outdir, size_t n, senti_err *err)
{
    char missing[256] = "";
    size_t n_missing = 0, len = 0;
    for (size_t i = 0; i < n; i++)
        if (!shard_done(x, outdir, i, n) && n_missing++ < 8 && len < sizeof missing - 32)
            len += (size_t)snprintf(missing + len, sizeof missing - len, "%s%zu/%zu", len ? ", " : "", i, n);
    if (!n_missing)
        return SENTI_OK;
    return senti_err_set(err, SENTI_ERR_NOTFOUND,
                         "%s: %zu of %zu shards not finished (no shards/I-of-N/shard.json): %s%s; run "
                         "`senti run %s -o %s --shard I/%zu` for each",
                         outdir, n_missing, n, missing, n_missing > 8 ? ", ..." : "", senti_experiment_origin(x),
                         outdir, n);
}

senti_status senti_shard_merge(const senti_experiment *x, const senti_run_params *p, senti_run_summary *sum,
                               senti_err *err)
{
    char path[4096], cache[4200];
    snprintf(path, sizeof path, "%s/shards.json", p->outdir);
    json_t *o = json_load_file(path, 0, NULL);
    json_int_t n = json_integer_value(json_object_get(o, "shards"));
    json_decref(o);
    if (n < 1)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: missing or without a shard count", path);
    senti_status s = claim_dir(x, p->outdir, (size_t)n, err);
    if (!s)
        s = check_shards(x, p->outdir, (size_t)n, err);
    snprintf(cache, sizeof cache, "%s/cache", p->outdir);
    for (size_t i = 0; !s && i < (size_t)n; i++) {
        shard_dir(path, sizeof path, p->outdir, i, (size_t)n, "cache");
        s = senti_score_cache_import_dir(cache, path, NULL, err);
    }
    return s ? s : senti_run_experiment(x, p, sum, err);
}
