/*
 * senti/runner.h - run an experiment's grid and write its results.
 *
 * Layout of OUTDIR:
 *   cells/<cell name>/predictions.csv   written by the classifier (temp + rename)
 *   cells/<cell name>/manifest.json     the classifier's run manifest
 *   cells/<cell name>/cell.json         the cell's evaluated results (temp + rename);
 *                                       its presence with the same cell hash marks
 *                                       the cell as done for --resume
 *   results.json                        every cell, seed groups, paired comparisons,
 *                                       manifest, and a separate "timing" section
 *                                       (temp + rename); from senti_run_collect,
 *                                       also "pending": the cells not finished
 * Everything in results.json outside "timing" depends only on the inputs: the
 * same experiment run twice, or killed and resumed, gives the same bytes.
 *
 * Comparisons: every cell is paired with the cell that differs only in one
 * factor set to its reference value (calibration "none", the first verbalizer,
 * the first model) and tested with the exact McNemar test on accuracy
 * (rows where exactly one of the two is right); p < 0.05 gives a verdict.
 */
#ifndef SENTI_RUNNER_H
#define SENTI_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "senti/common.h"
#include "senti/experiment.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Produce a cell's predictions CSV and manifest. The default runs
 * senti_classify_run; tests substitute their own. */
typedef senti_status (*senti_cell_exec_fn)(void *user, const senti_cell *cell, const char *pred_path,
                                           const char *manifest_path, senti_err *err);

/* Called before (done = 0) and after (done = 1) each cell. */
typedef void (*senti_cell_event_fn)(void *user, const senti_cell *cell, size_t index, size_t n_cells, int done,
                                    int skipped, double seconds);

typedef struct {
    const char *outdir;
    bool resume;                 /* skip cells whose cell.json has the same hash and inputs */
    int threads;                 /* 0: the experiment's, else the library default */
    senti_cell_exec_fn exec;     /* NULL: senti_classify_run; baseline cells never use it (they train
                                    and apply their adapter themselves, without a model) */
    void *exec_user;
    senti_cell_event_fn on_cell; /* may be NULL */
    void *on_cell_user;
    void (*on_rows)(void *user, size_t done, size_t total, double seconds); /* classifier progress; may be NULL */
    void *on_rows_user;
    bool keep_going;             /* a failing cell does not stop the run (make -k): the others run, results.json
                                    lists the failed ones as pending, and the first failure is returned */
    void (*on_fail)(void *user, const senti_cell *cell, size_t index, size_t n_cells, const senti_err *err);
    void *on_fail_user;          /* on_fail: each failing cell under keep_going; may be NULL */
} senti_run_params;

SENTI_API senti_run_params senti_run_default_params(void);

typedef struct {
    size_t n_cells, n_run; /* cells in the grid; cells run (and finished) by this call */
    size_t n_skipped;      /* cells not run because their result was on disk (resumed; for
                              senti_run_collect, every finished cell) */
    double seconds;
    bool model_error; /* the failing cell's error came from loading or running its model */
    size_t n_failed;  /* keep_going: cells that failed (pending in results.json) */
    bool results_written; /* results.json was written (with keep_going, also when cells failed) */
} senti_run_summary;

/* Run every cell and write results.json. A failing cell stops the run,
 * unless p->keep_going: then every other cell still runs, results.json is
 * written with the failed cells pending (as senti_run_collect writes it), and
 * the first failure's status is returned, its message naming how many failed. */
SENTI_API senti_status senti_run_experiment(const senti_experiment *x, const senti_run_params *p,
                                            senti_run_summary *sum, senti_err *err);

/* Rebuild results.json from the cell.json files alone (no model work). */
SENTI_API senti_status senti_run_write_results(const senti_experiment *x, const char *outdir, double seconds,
                                               senti_err *err);

/* results.json from the cells already finished in outdir, nothing run: the
 * others are listed under "pending" (names, grid order) and left out of the
 * cells, seed groups and comparisons, and reports say so. sum->n_skipped
 * counts the finished cells (all of them reused, none run). SENTI_ERR_NOTFOUND when none has finished. */
SENTI_API senti_status senti_run_collect(const senti_experiment *x, const char *outdir, senti_run_summary *sum,
                                         senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_RUNNER_H */
