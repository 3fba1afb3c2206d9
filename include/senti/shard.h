/*
 * senti/shard.h - one experiment split into work units, for job-array shards
 * (`senti run --shard I/N` then `senti merge`) and MPI ranks (docs/scale.md).
 *
 * Work unit: (cell, selected rows [row_begin, row_end)) with row_begin on a
 * boundary of the classifier's row groups (SENTI_CLASSIFY_GROUP), so the rows
 * of a unit are packed into forward passes exactly as in a whole run and get
 * the same bits. A unit only fills a score cache (senti/scorecache.h): it
 * writes no predictions. Units exist for the first cell of each score group
 * (cells that differ only by calibration share their row prompts) of the
 * zero-shot and few-shot kinds; the merge step runs the experiment as one
 * process over the gathered caches, so every cell's predictions, manifest
 * and results.json come from the same code as a single-process run (the few
 * calibration prompts, and cells of kinds that do not use the score cache,
 * such as adapters, are computed there).
 *
 * Layout of OUTDIR for shards (I counted from 0, N the number of shards):
 *   shards.json              the experiment (name, file, SHA-256) and N;
 *                            written by the first shard, checked by the others
 *   shards/I-of-N/cache/     shard I's score cache (appended as rows are scored,
 *                            so a killed shard rerun loses no scored row)
 *   shards/I-of-N/shard.json written when shard I has scored all its units
 *   cache/, cells/, results.json   written by the merge, as by `senti run`
 */
#ifndef SENTI_SHARD_H
#define SENTI_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include "senti/classify.h"
#include "senti/common.h"
#include "senti/experiment.h"
#include "senti/runner.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t cell;      /* grid index of the cell whose rows are scored */
    size_t row_begin; /* selected rows [row_begin, row_end) of its dataset */
    size_t row_end;
} senti_work_unit;

typedef struct {
    senti_work_unit *units; /* [n] in grid order, rows ascending within a cell */
    size_t n;
    size_t n_rows; /* rows over all units */
} senti_work_plan;

/* The units of an experiment, each of at most unit_rows rows (a positive
 * multiple of SENTI_CLASSIFY_GROUP, else SENTI_ERR_ARG). Reads every dataset
 * once to count its selected rows. *out owned: senti_work_plan_free(). */
SENTI_API senti_status senti_work_plan_build(const senti_experiment *x, size_t unit_rows, senti_work_plan *out,
                                             senti_err *err);
SENTI_API void senti_work_plan_free(senti_work_plan *p);

/* Shard `index` (0-based) of n_shards: units [*first, *end), contiguous and
 * balanced by rows (a unit goes to the shard its first row falls in). */
SENTI_API void senti_work_plan_shard(const senti_work_plan *p, size_t index, size_t n_shards, size_t *first,
                                     size_t *end);

/* Score one unit (or several consecutive units of one cell merged into one
 * range) into the score cache in cache_dir with `threads` threads. sum: the
 * classifier's summary (rows, prompts from the cache, model_error). */
SENTI_API senti_status senti_work_unit_run(const senti_experiment *x, const senti_work_unit *u,
                                           const char *cache_dir, int threads, senti_classify_summary *sum,
                                           senti_err *err);

/* ---- job-array shards ------------------------------------------------------------ */

typedef struct {
    const char *outdir;
    size_t index, n_shards; /* 0 <= index < n_shards */
    int threads;            /* 0: the library default */
    /* Called before (done = 0) and after (done = 1) each range of units; may be NULL. */
    void (*on_unit)(void *user, const senti_work_unit *u, size_t i, size_t n, int done, double seconds);
    void *on_unit_user;
} senti_shard_params;

typedef struct {
    size_t n_units, n_rows; /* ranges scored, rows in them */
    size_t n_cached;        /* prompts the shard's cache already had (a rerun) */
    double seconds;
    bool model_error;
} senti_shard_summary;

/* Check or create OUTDIR/shards.json (SENTI_ERR_ARG when it names another
 * experiment or another N), score the shard's units, write its shard.json. */
SENTI_API senti_status senti_shard_run(const senti_experiment *x, const senti_shard_params *p,
                                       senti_shard_summary *sum, senti_err *err);

/* The experiment file recorded in OUTDIR/shards.json (*path owned: free()). */
SENTI_API senti_status senti_shard_experiment_file(const char *outdir, char **path, senti_err *err);

/* Check that OUTDIR holds every shard of x, finished (SENTI_ERR_NOTFOUND naming
 * the missing ones), gather their caches into OUTDIR/cache, and run x over
 * OUTDIR as senti_run_experiment does (p->outdir is the shards' OUTDIR). */
SENTI_API senti_status senti_shard_merge(const senti_experiment *x, const senti_run_params *p,
                                         senti_run_summary *sum, senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_SHARD_H */
