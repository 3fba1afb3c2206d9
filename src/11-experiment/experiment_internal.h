/*
 * experiment_internal.h - what the runner calls in other files of the
 * experiment layer. Not installed.
 */
#ifndef SENTI_EXPERIMENT_INTERNAL_H
#define SENTI_EXPERIMENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "senti/dataset.h"
#include "senti/experiment.h"

/* An experiment as parsed (experiment.c) and expanded (experiment_grid.c). */
struct senti_experiment {
    char *origin, *name, *description;
    char sha256[65];
    char *base_dir;
    senti_exp_eval eval;
    int threads;
    senti_exp_model *models;
    size_t n_models;
    senti_exp_dataset *datasets;
    size_t n_datasets;
    senti_exp_verbalizer *verbalizers;
    size_t n_verbalizers;
    senti_exp_strategy *strategies;
    size_t n_strategies;
    senti_cell *cells;
    size_t n_cells;
    char **cell_names; /* [n_cells], owned */
    size_t rows_limit, rows_sample; /* senti_experiment_set_rows overrides (0: none) */
};

/* Whether strategy st runs with model m (its "models" list, or every model when it has none). */
bool senti_exp_strategy_uses(const senti_exp_strategy *st, const senti_exp_model *m);

/* Expand the parsed models x datasets x verbalizers x strategies into x->cells, named and hashed;
 * an error when the grid exceeds 100000 cells or two cells share a name. */
senti_status senti_exp_expand_grid(senti_experiment *x, senti_err *err);

/* The reader settings of a dataset's train file: its columns and, for
 * "train": "rest", the rows the test sample leaves (the rest of the seeded
 * split). Other fields of *dp are kept. */
void senti_exp_train_data(const senti_exp_dataset *d, senti_dataset_params *dp);

/* The reader settings of a dataset's evaluated rows: columns, limit and seeded sample. */
void senti_exp_eval_data(const senti_exp_dataset *d, senti_dataset_params *dp);

/* A baseline cell (strategy kind baseline): train its adapter on the
 * dataset's train file, save it beside the predictions as baseline.json,
 * classify the eval rows with it (senti_classify_run, no model loaded) into
 * `pred_path` and `manifest_path`. `threads`: bow-logreg's cross-validation
 * folds at once (the adapter does not depend on it). */
senti_status senti_exp_baseline_cell(const senti_cell *c, int threads, const char *pred_path,
                                     const char *manifest_path, senti_err *err);

/* A finetune cell's adapter file beside its predictions: adapter.json (head) or adapter.gguf (lora). */
void senti_exp_finetune_adapter_path(const senti_cell *c, const char *pred_path, char *buf, size_t cap);

/* Train a finetune cell's adapter (strategy_finetune.c) into that file;
 * *model_error is set when the model does not load. */
senti_status senti_exp_finetune_train(const senti_cell *c, const char *pred_path, bool *model_error,
                                      senti_err *err);

/* A recipe cell (strategy_recipe.c): the dataset's evaluated rows through
 * senti_recipe_classify into `pred_path` and `manifest_path`. */
senti_status senti_exp_recipe_cell(const senti_cell *c, int threads, const char *cache_dir, const char *pred_path,
                                   const char *manifest_path, bool *model_error, senti_err *err);

/* `recipe` applied to the cell's evaluated rows (senti_recipe_classify) into
 * `pred_path` and `manifest_path`: recipe and select cells. `cache_dir` (may
 * be NULL) is the run's score cache: a recipe whose prompts other cells of the
 * run scored (a select cell that chose a model's zero-shot prompt) reads
 * them from it; the predictions do not depend on it. */
senti_status senti_exp_apply_recipe(const senti_cell *c, const char *recipe, int threads, const char *cache_dir,
                                    const char *pred_path, const char *manifest_path, bool *model_error,
                                    senti_err *err);

/* A select cell (strategy_select.c): per_class rows per label drawn from the
 * train file with the cell's seed (labelled.csv), senti select on them
 * (recipe.json and its files, ranking, CV predictions in the cell folder),
 * the recipe applied to the evaluated rows into `pred_path`, `manifest_path`. */
senti_status senti_exp_select_cell(const senti_cell *c, int threads, const char *cache_dir, const char *pred_path,
                                   const char *manifest_path, bool *model_error, senti_err *err);

#endif
