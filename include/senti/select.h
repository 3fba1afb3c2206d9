/*
 * senti/select.h - choose a classifier from a few labelled rows (`senti select`)
 * and apply the choice (`senti classify --recipe`).
 *
 * Selection, per run:
 *   1. read the labelled rows; the labels are the -v verbalizer's (in its
 *      order) or the distinct values of the label column (numeric order when
 *      all are integers, else byte order). A label with fewer than 2 rows is
 *      an error (SENTI_ERR_ARG naming it);
 *   2. assign stratified folds (senti_select_folds): k = min(5, smallest
 *      class count) unless given, deterministic in the seed;
 *   3. evaluate candidates, cheapest first, each by the out-of-fold
 *      predictions of every labelled row:
 *        bow-logreg   trained on the training folds only;
 *        prompt       model x template x label words x calibration, 0 shots:
 *                     the zero-shot score of a row does not depend on the fold
 *                     and calibration (contextual, pmi) uses no labels, so one
 *                     classify pass over all rows serves every fold (score cache);
 *        few-shot     4 balanced demonstrations drawn from the training folds
 *                     only (one classify pass per fold), for the best zero-shot
 *                     prompt of each model (promotion, successive-halving style);
 *        head         logistic head on the frozen hidden state, features once
 *                     per row, fitted on the training folds only;
 *        ensemble     mean of the per-member-calibrated label distributions of
 *                     every prompt of one model and calibration;
 *        words        label words searched on the training folds only
 *                     (likelihood ratio, Schick et al. 2020) among the label
 *                     names, their inflections and a built-in word list;
 *      a candidate whose estimated cost would pass the budget is skipped and
 *      listed as such; the ranking is by mean CV accuracy, then macro-F1, then
 *      ECE, then name;
 *      The budget covers the search and the final fit: a step is taken only
 *      when its estimated cost plus the estimated final fit of whichever
 *      candidate could then be chosen (the best so far or this one) fits in
 *      what is left;
 *   4. write the ranking (CSV, Markdown), the recipe of the first candidate
 *      (JSON, docs/select.md) and its files (verbalizers, adapters,
 *      demonstration pool) into RECIPE.files/; adapters and demonstrations of
 *      the recipe come from all labelled rows (the final fit). The chosen
 *      candidate's out-of-fold predictions (every row predicted by the model
 *      of the fold that held it out) go to RECIPE.cv.csv. The recipe's CV
 *      estimate is marked optimistic (the maximum over the candidates);
 *      --holdout rows, never used in selection, are classified with the
 *      recipe and reported (outside the budget, timed apart).
 * Results do not depend on the thread count nor on the score cache's state.
 */
#ifndef SENTI_SELECT_H
#define SENTI_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/classify.h"
#include "senti/common.h"
#include "senti/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line of progress (no newline); the CLI prints it on stderr. */
typedef void (*senti_select_log_fn)(void *user, const char *line);

typedef struct {
    const char *input_path;        /* labelled rows (CSV or JSON lines) */
    senti_dataset_params data;     /* columns (the same for --holdout) */
    const char *const *models;     /* [n_models] GGUF paths; none: the space's, else every *.gguf of model_dir */
    size_t n_models;
    const char *model_dir;         /* NULL: "models" */
    const char *space_path;        /* NULL: the default space (docs/select.md) */
    const char *verbalizer_path;   /* NULL: labels from the data; else its labels, order, template and words */
    double budget_s;               /* default 900, in estimated seconds (docs/select.md: the budget) */
    int folds;                     /* 0: min(5, smallest class count) */
    uint64_t seed;                 /* folds, demonstrations, heads (default 1) */
    int n_threads;                 /* default 2 */
    const char *holdout_path;      /* NULL: none */
    const char *output_path;       /* recipe JSON (required) */
    const char *ranking_csv;       /* NULL: RECIPE minus .json + ".ranking.csv" */
    const char *ranking_md;        /* NULL: ... ".ranking.md" */
    const char *cv_csv;            /* NULL: ... ".cv.csv": the chosen candidate's out-of-fold predictions */
    const char *score_cache_dir;   /* NULL: a temporary one, removed at the end */
    senti_select_log_fn log;
    void *log_user;
} senti_select_params;

SENTI_API senti_select_params senti_select_default_params(void);

typedef struct {
    size_t n_rows, n_labels;
    int folds;
    size_t n_candidates, n_evaluated, n_skipped, n_failed;
    size_t n_skipped_budget; /* of n_skipped: skipped because they would pass the budget */
    char chosen[200];        /* the chosen candidate's name */
    double cv_accuracy;      /* its mean CV accuracy (optimistic: the selected maximum) */
    double seconds;          /* search_s + final_fit_s + holdout_s (and the setup before the search) */
    double search_s;         /* cross-validation of the candidates */
    double final_fit_s;      /* the recipe: the chosen candidate refitted on all rows, its files written */
    double holdout_s;        /* --holdout: the recipe applied to those rows (0 without) */
    size_t holdout_n, holdout_correct;
    bool model_error;
    double charged_s;        /* the budget's clock: estimated seconds of the search's steps and model loads */
} senti_select_summary;

SENTI_API senti_status senti_select_run(const senti_select_params *p, senti_select_summary *sum, senti_err *err);

/* Stratified folds: rows of each label (y[i] in 0..k-1) shuffled with GSL's
 * mt19937 seeded with `seed`, then dealt round robin into n_folds folds, the
 * deal of each label continuing where the previous label's stopped, so fold
 * sizes differ by at most one. fold[i] receives row i's fold. SENTI_ERR_ARG
 * when a label has fewer rows than n_folds or n_folds < 2. */
SENTI_API senti_status senti_select_folds(const int *y, size_t n, int k, int n_folds, uint64_t seed, int *fold,
                                          senti_err *err);

/* Apply a recipe: `user` gives the data, outputs, threads, progress (its
 * model, verbalizer, prompt, shots, calibration and adapter fields must be
 * left at their defaults: the recipe sets them). Checks the recipe (format,
 * unknown keys, its files' and the model's SHA-256) first. A model whose
 * SHA-256 differs is an error with sum->model_error set. */
SENTI_API senti_status senti_recipe_classify(const char *recipe_path, const senti_classify_params *user,
                                             senti_classify_summary *sum, senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_SELECT_H */
