/*
 * senti/experiment.h - experiment files and their grid of cells.
 *
 * An experiment is a JSON file (format: docs/experiments.md) naming models,
 * datasets, verbalizers and strategies. Expanding it gives the grid: every
 * combination model x dataset x verbalizer x strategy x shots x seed x
 * calibration is one *cell*, run and reported on its own.
 *
 * Contract:
 *   - Parsing is strict: unknown keys, wrong types, duplicate names, names
 *     outside [A-Za-z0-9_-], empty lists and out-of-range numbers fail with
 *     SENTI_ERR_FORMAT and a message "<file>:<line>:<col>: ..." for JSON syntax
 *     errors, "<file>: <json path>: ..." for content errors (e.g.
 *     "cbu.json: strategies[1].shots[2]: must be an integer in 0..64").
 *   - Paths in the file may use ${VAR} and ${VAR:-default}; relative paths are
 *     relative to the working directory of the process (like every path given
 *     to the CLI and like $SENTI_MODEL_DIR); run experiments from the
 *     repository root.
 *   - Grid order is fixed: models, datasets, verbalizers, strategies, shots,
 *     seeds, calibrations (innermost). Cells differing only by calibration are
 *     adjacent, so the second one finds every row in the score cache.
 *   - A zero-shot cell (and a few-shot cell with 0 shots) has no seed: its
 *     seeds collapse to one cell with seed 0.
 *   - A baseline strategy trains on the dataset's train file: `per_class` rows
 *     of each label drawn with each seed (the rows `senti finetune` uses for
 *     the same numbers), or every labelled row ("train": "all"); one cell per
 *     seed (default seeds {1}), calibration "none" only.
 *   - A finetune strategy draws its rows the same way and trains a head or
 *     LoRA adapter for each model with `senti finetune`'s defaults (the
 *     verbalizer's template; the seed is also LoRA's), then classifies with
 *     it: one cell per model and seed, calibration "none" only.
 *   - A recipe strategy applies a recipe of senti select (senti classify
 *     --recipe): its model is the recipe's, so like a baseline it has one
 *     cell per dataset, named "recipe.<dataset>.<verbalizer>.<strategy>.k0.none".
 *   - A select strategy draws `per_class` rows of each label from the train
 *     file with each seed (the baseline/finetune draw), runs senti select on
 *     them (the experiment's models, or the strategy's "models", as
 *     candidates; its "budget" and "space"; the cell's verbalizer and seed)
 *     and applies the recipe to the evaluated rows: one cell per dataset and
 *     seed, named "select.<dataset>.<verbalizer>.<strategy>.k0.s<seed>.none".
 *   - Cell names are "<model>.<dataset>.<verbalizer>.<strategy>.k<shots>[.s<seed>].<calibration>"
 *     and are unique. The cell hash is the first 16 hex digits of the SHA-256
 *     of the cell's canonical JSON (sorted keys, compact, paths as resolved):
 *     the same configuration always gives the same hash.
 *
 * Basic usage:
 *     senti_experiment *x; senti_err e;
 *     if (senti_experiment_load("experiments/cbu-sst2.json", &x, &e)) { ... e.msg ... }
 *     for (size_t i = 0; i < senti_experiment_n_cells(x); i++)
 *         run(senti_experiment_cell(x, i));
 *     senti_experiment_free(x);
 */
#ifndef SENTI_EXPERIMENT_H
#define SENTI_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SENTI_EXP_MAX_SHOTS 64

typedef enum {
    SENTI_STRATEGY_ZERO_SHOT = 0,
    SENTI_STRATEGY_FEW_SHOT,
    SENTI_STRATEGY_ADAPTER,
    SENTI_STRATEGY_BASELINE, /* majority or bow-logreg, trained in the cell; no model */
    SENTI_STRATEGY_FINETUNE, /* a head or LoRA adapter trained in the cell for its model, then applied */
    SENTI_STRATEGY_RECIPE,   /* a recipe from senti select (it names its own model) */
    SENTI_STRATEGY_SELECT    /* senti select on rows drawn in the cell, then its recipe applied */
} senti_strategy_kind;

/* Stable names: "zero-shot", "few-shot", "adapter", "baseline", "finetune", "recipe", "select". */
SENTI_API const char *senti_strategy_kind_name(senti_strategy_kind k);

typedef struct {
    char *name;   /* [A-Za-z0-9_-]+ */
    char *path;   /* resolved GGUF path */
    char *chat;   /* "auto" (default), "on", "off": wrap prompts in the chat template */
} senti_exp_model;

/* Columns and selection of a CSV file. */
typedef struct {
    char *path;      /* resolved */
    char *text_col;  /* NULL: dataset default ("text", then "sentence") */
    char *label_col; /* NULL: "label" */
    char *id_col;    /* NULL: none */
} senti_exp_csv;

typedef struct {
    char *name;
    char *split;        /* informational ("test", "dev"); NULL if absent */
    senti_exp_csv eval; /* the rows classified */
    senti_exp_csv train; /* demonstration pool; path NULL when absent */
    bool train_rest;    /* "train": "rest": the pool is the rows of eval.path that the sample does not draw */
    char *verbalizer;   /* the one verbalizer (by name) this dataset is classified with; NULL = every one */
    size_t limit;       /* 0 = all rows */
    size_t sample;      /* 0 = all rows; else a seeded sample */
    uint64_t sample_seed;
} senti_exp_dataset;

typedef struct {
    char *name;
    char *path; /* resolved verbalizer JSON */
} senti_exp_verbalizer;

typedef struct {
    char *name;
    senti_strategy_kind kind;
    int *shots;          /* [n_shots]; {0} for zero-shot and adapter */
    size_t n_shots;
    uint64_t *seeds;     /* [n_seeds]; {0} when the strategy has no randomness */
    size_t n_seeds;
    char **calibrations; /* [n_calibrations]; default {"none"} */
    size_t n_calibrations;
    char *adapter;       /* resolved adapter path (kind adapter), else NULL */
    char *recipe;        /* resolved recipe path (kind recipe), else NULL */
    char *sampling;      /* few-shot: "random" | "balanced", NULL = the classifier's default (random) */
    char *order;         /* few-shot: "random" | "fixed" | "interleaved", NULL = default (random) */
    bool per_row;        /* few-shot: redraw the demonstrations for every row (default false) */
    bool demo_turns;     /* few-shot: demonstrations as chat turns (senti/prompt.h; default false) */
    char **models;       /* names of the models this strategy runs with ([n_models]); NULL = every model */
    size_t n_models;
    char *method;        /* baseline: "majority" | "bow-logreg"; finetune: "head" | "lora"; else NULL */
    size_t per_class;    /* baseline, finetune: rows per label drawn from the train file with each seed,
                            as `senti finetune --shots-per-class N --seed S` draws them; 0 with train_all */
    bool train_all;      /* baseline, finetune: every labelled row of the train file ("train": "all") */
    double budget_min;   /* select: senti select's --budget in minutes (default 15) */
    char *space;         /* select: resolved search-space file, NULL = select's default space */
    const char **model_paths; /* select: [n_model_paths] the candidate models' paths (the models it uses) */
    size_t n_model_paths;
} senti_exp_strategy;

/* Evaluation settings applied to every cell. */
typedef struct {
    int bootstrap;   /* resamples (default 1000) */
    uint32_t seed;   /* bootstrap seed (default 20240917) */
    int n_bins;      /* reliability bins (default 15) */
    double ci_level; /* default 0.95 */
} senti_exp_eval;

/* One cell of the grid. Pointers point into the experiment (not owned).
 * Baseline cells have no model (model NULL, "baseline" in place of the model
 * name in the cell name; "recipe" and "select" cells likewise) and exist once per dataset, for the first verbalizer
 * (which gives the labels and their order), before the first model's other
 * cells of that dataset: they never load a language model. */
typedef struct {
    const char *name;           /* unique, see the contract */
    char hash[17];              /* 16 hex digits + NUL */
    size_t index;               /* position in the grid */
    const senti_exp_model *model;
    const senti_exp_dataset *dataset;
    const senti_exp_verbalizer *verbalizer;
    const senti_exp_strategy *strategy;
    int shots;
    uint64_t seed;
    const char *calibration;
    /* Cells that share everything but the calibration share `score_group`
     * (the index of the first such cell). */
    size_t score_group;
} senti_cell;

typedef struct senti_experiment senti_experiment;

/* Load, validate and expand an experiment file. *out is owned by the caller:
 * senti_experiment_free(). */
SENTI_API senti_status senti_experiment_load(const char *path, senti_experiment **out, senti_err *err);
/* The same from JSON text; `origin` names it in messages and relative paths
 * are resolved against `base_dir` (NULL: the current directory). */
SENTI_API senti_status senti_experiment_parse(const char *json, size_t len, const char *origin, const char *base_dir,
                                              senti_experiment **out, senti_err *err);
SENTI_API void senti_experiment_free(senti_experiment *x);

/* All strings are owned by the experiment. */
SENTI_API const char *senti_experiment_name(const senti_experiment *x);
SENTI_API const char *senti_experiment_description(const senti_experiment *x); /* NULL if absent */
SENTI_API const char *senti_experiment_origin(const senti_experiment *x);      /* the path or origin */
SENTI_API const char *senti_experiment_sha256(const senti_experiment *x);      /* of the file bytes */
SENTI_API const senti_exp_eval *senti_experiment_eval(const senti_experiment *x);
SENTI_API int senti_experiment_threads(const senti_experiment *x); /* 0 = not set */

SENTI_API size_t senti_experiment_n_models(const senti_experiment *x);
SENTI_API const senti_exp_model *senti_experiment_model(const senti_experiment *x, size_t i);
SENTI_API size_t senti_experiment_n_datasets(const senti_experiment *x);
SENTI_API const senti_exp_dataset *senti_experiment_dataset(const senti_experiment *x, size_t i);
SENTI_API size_t senti_experiment_n_verbalizers(const senti_experiment *x);
SENTI_API const senti_exp_verbalizer *senti_experiment_verbalizer(const senti_experiment *x, size_t i);
SENTI_API size_t senti_experiment_n_strategies(const senti_experiment *x);
SENTI_API const senti_exp_strategy *senti_experiment_strategy(const senti_experiment *x, size_t i);

SENTI_API size_t senti_experiment_n_cells(const senti_experiment *x);
SENTI_API const senti_cell *senti_experiment_cell(const senti_experiment *x, size_t i);
/* Index of the cell with this name, or -1. */
SENTI_API long senti_experiment_find_cell(const senti_experiment *x, const char *name);

/* Override the rows every dataset of the experiment selects (senti run --limit
 * / --sample): limit > 0 replaces each dataset's "limit", sample > 0 its
 * "sample" (0 keeps the file's value). The cell hashes follow (they cover the
 * selection). Recorded for results.json (senti_experiment_rows_override). */
SENTI_API senti_status senti_experiment_set_rows(senti_experiment *x, size_t limit, size_t sample, senti_err *err);
/* The overrides given to senti_experiment_set_rows (0: none). */
SENTI_API void senti_experiment_rows_override(const senti_experiment *x, size_t *limit, size_t *sample);

/* The canonical JSON of a cell (sorted keys, compact), the text its hash is
 * computed from. Caller frees with free(). NULL on allocation failure. */
SENTI_API char *senti_cell_canonical_json(const senti_cell *c);

/* Expand ${VAR} and ${VAR:-default} in `in` from the environment. Caller frees
 * *out. An unset variable without default, or an unterminated ${, fails with
 * SENTI_ERR_FORMAT naming the variable. */
SENTI_API senti_status senti_expand_env(const char *in, char **out, senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_EXPERIMENT_H */
