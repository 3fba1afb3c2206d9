/*
 * select_internal.h - what the files of `senti select` share: the labelled
 * rows, the search space, the candidates and their out-of-fold results.
 *
 *   select.c         the driver: rows, folds, candidates in cost order, budget
 *   select_space.c   the default space and the space JSON (docs/select.md)
 *   select_cv.c      folds, per-fold metrics, ranking order and writers, small files
 *   select_words.c   label-word search (likelihood ratio on training folds)
 *   select_recipe.c  recipe JSON: write, check, apply (classify --recipe)
 */
#ifndef SENTI_SELECT_INTERNAL_H
#define SENTI_SELECT_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "senti/finetune.h"
#include "senti/model.h"
#include "senti/select.h"
#include "senti/verbalizer.h"

#define SEL_MAX_FOLDS 10
#define SEL_MAX_ITEMS 32 /* templates, label-word sets, models, calibrations per space */

/* The labelled rows in memory. */
typedef struct {
    size_t n;
    int k;
    char **text;   /* [n] */
    int *y;        /* [n] label index */
    size_t *row;   /* [n] data row number in the input file */
    char **id;     /* [n] the id column's value, NULL entries without one (classify's id: the row number) */
    char **labels; /* [k] label keys */
    int *fold;     /* [n] */
    int n_folds;
} sel_rows;

/* The search space (docs/select.md). Strings owned. */
typedef struct {
    char *models[SEL_MAX_ITEMS];
    size_t n_models;
    char *tmpl_name[SEL_MAX_ITEMS], *tmpl[SEL_MAX_ITEMS];
    size_t n_tmpl;
    char *ws_name[SEL_MAX_ITEMS];
    json_t *ws[SEL_MAX_ITEMS]; /* {"label": ["word", ...], ...} for every label */
    size_t n_ws;
    int calib[4];              /* senti_calib_method, none first */
    size_t n_calib;
    int shots[4];              /* 0 and/or > 0 */
    size_t n_shots;
    bool layout_inline, layout_turns; /* few-shot demonstrations in one user turn / as chat turns */
    bool head, lora, bow, ensemble, words;
    int words_top;             /* label words kept per label by the search */
    int promote;               /* zero-shot prompts per model promoted to few-shot */
} sel_space;

typedef enum { SEL_BOW, SEL_PROMPT, SEL_FEWSHOT, SEL_HEAD, SEL_ENSEMBLE, SEL_WORDS, SEL_LORA } sel_kind;
typedef enum { SEL_PENDING, SEL_DONE, SEL_SKIPPED, SEL_FAILED } sel_state;

typedef struct {
    sel_kind kind;
    int model, tmpl, ws, calib, shots; /* indices into the space (-1: none) */
    bool turns;                        /* SEL_FEWSHOT: demonstrations as chat turns */
    char name[200];
    sel_state state;
    char note[600];                    /* why skipped or failed */
    bool by_budget;                    /* skipped because it would pass the budget */
    double *prob;                      /* [n * k] out-of-fold label distributions */
    double acc_mean, acc_sd, f1_mean, f1_sd, ece_mean, ece_sd;
    double seconds;                    /* measured (reports only) */
    double cost;                       /* estimated seconds, charged to the budget when evaluated */
    json_t *words;                     /* SEL_WORDS: the words searched on all rows (for the recipe) */
} sel_cand;

#define SEL_MAX_CANDS 1024

typedef struct {
    const senti_select_params *p;
    sel_rows r;
    sel_space sp;
    json_t *label_map;      /* -v's label_map (dataset value -> label), NULL without: every written verbalizer keeps it */
    char work[64];          /* temporary folder */
    char cache[PATH_MAX];
    sel_cand *c[SEL_MAX_CANDS];
    size_t n_c;
    double t0;
    double charged;         /* the budget's clock: estimated seconds of the steps taken (select_run.c) */
    double row_tokens;      /* estimated prompt tokens of one pass over the rows */
    double gparams[SEL_MAX_ITEMS]; /* billions of parameters a token passes through, per model */
    bool chat[SEL_MAX_ITEMS];      /* the model has a chat format (its prompts are wrapped) */
    double probe_acc[SEL_MAX_ITEMS];
    senti_model *model;     /* the model loaded now */
    int model_ix;
    double *head_x[SEL_MAX_ITEMS]; /* head features of the current model per template */
    int head_d;
    bool model_error;
    double search_s, final_fit_s, holdout_s; /* seconds of the three phases (summary, recipe) */
} sel_run;

/* ---- select.c: rows, passes and candidates ---- */
void sel_log(sel_run *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wall-clock seconds since the start (reports only). */
double sel_elapsed(const sel_run *s);
/* What is left of the budget: the budget minus the estimated cost of the
 * steps taken, never the measured time, so the same inputs take the same
 * steps on any machine, load, thread count or cache state. */
double sel_left(const sel_run *s);
sel_cand *sel_new_cand(sel_run *s, sel_kind kind, int m, int t, int w, int cal, int shots);
void sel_cand_free(sel_cand *c);
void sel_skip(sel_cand *c, const char *why);
/* Skipped because it would pass the budget (counted apart in the ranking). */
void sel_skip_budget(sel_cand *c, const char *why);
/* Rows, labels (verbalizer v may be NULL), counts checked, folds dealt. */
senti_status sel_load_rows(sel_run *s, const senti_verbalizer *v, senti_err *err);
senti_status sel_write_verbalizers(sel_run *s, senti_err *err);
senti_status sel_write_rows(sel_run *s, senti_err *err);
void sel_verb_path(const sel_run *s, int t, int w, char *out);
senti_status sel_ensure_model(sel_run *s, int m, senti_err *err);
/* classify parameters of a pass over `input` with the loaded model. */
senti_classify_params sel_base_params(sel_run *s, const char *verb, const char *input, int cal);
senti_status sel_run_pass(sel_run *s, const senti_classify_params *cp, const size_t *idx, size_t n_idx,
                          double *prob, int k, double *seconds, senti_err *err);
/* Score the candidate's out-of-fold predictions (or record its failure). */
void sel_finish(sel_run *s, sel_cand *c, senti_status st, const senti_err *e, double seconds);
void sel_eval_bow(sel_run *s);
void sel_eval_prompt(sel_run *s, sel_cand *c);
void sel_eval_fewshot(sel_run *s, sel_cand *c);
void sel_eval_head(sel_run *s, sel_cand *c);
void sel_eval_ensemble(sel_run *s, sel_cand *c);
/* LoRA adapters trained on the training folds (label words of set 0); with
 * `out` set, trained on all rows and saved there instead. */
void sel_eval_lora(sel_run *s, sel_cand *c);
senti_status sel_lora_all(sel_run *s, const sel_cand *c, const char *out, senti_err *err);
senti_status sel_head_features(sel_run *s, int t, senti_err *err);
senti_status sel_head_fit(sel_run *s, int t, const bool *use, senti_head **out, senti_err *err);

/* ---- select_run.c: the budget ---- */
/* Estimated seconds of the final fit should c be chosen (the recipe trained on all rows). */
double sel_final_fit_cost(const sel_run *s, const sel_cand *c);
/* True when a step of `cost` seconds for c, plus the final fit of the best
 * candidate so far or of c (the larger), fits what is left of the budget. */
bool sel_fits(const sel_run *s, const sel_cand *c, double cost);

/* ---- select_words.c ---- */
/* Label-word search candidates of template c->tmpl (calibration none or contextual). */
void sel_eval_words(sel_run *s, sel_cand *none, sel_cand *contextual);

/* ---- select_space.c ---- */
void sel_space_free(sel_space *s);
/* The default space for these labels (templates, label words from the label
 * names, calibrations none/contextual/pmi, shots 0/4, head, bow, ensembles,
 * word search), without models. */
senti_status sel_space_default(sel_space *s, char *const *labels, int k, senti_err *err);
/* Apply a space file over the defaults (keys it names replace them). */
senti_status sel_space_load(sel_space *s, const char *path, char *const *labels, int k, senti_err *err);
/* Every *.gguf under dir, by ascending size then name, into s->models. */
senti_status sel_space_scan_models(sel_space *s, const char *dir, senti_err *err);

/* ---- select_cv.c ---- */
/* Per-fold accuracy, macro-F1 and ECE of c->prob, their means and spreads. */
senti_status sel_cv_score(const sel_rows *r, sel_cand *c, senti_err *err);
/* Ranking order: comparator over pointers to candidates. */
int sel_cand_cmp(const void *a, const void *b);
senti_status sel_write_ranking_csv(const char *path, sel_cand *const *c, size_t n, senti_err *err);
senti_status sel_write_ranking_md(const char *path, sel_cand *const *c, size_t n, const sel_rows *r,
                                  const json_t *recipe, senti_err *err);
/* Counts of a candidate list: evaluated, skipped (of which by the budget), failed. */
typedef struct {
    size_t done, skipped, budget, failed;
} sel_counts;
sel_counts sel_count(sel_cand *const *c, size_t n);
/* "N of M candidates evaluated (K skipped by the budget, ...)" into out. */
void sel_counts_text(const sel_counts *k, size_t n, char *out, size_t cap);
/* The out-of-fold predictions of c (every row predicted by the model of the
 * fold that held it out) as a predictions file: id,gold,pred,p_<label>...,
 * fold,status, probabilities as classify writes them (%.9g). */
senti_status sel_write_cv_csv(const char *path, const sel_rows *r, const sel_cand *c, senti_err *err);
/* A CSV of rows `idx` (all when NULL) with columns id,text,label; `fake_label`
 * (may be NULL) replaces every label. */
senti_status sel_write_csv(const char *path, const sel_rows *r, const size_t *idx, size_t n_idx,
                           const char *fake_label, senti_err *err);
/* A verbalizer file: template + label words (label order of r). */
senti_status sel_write_verbalizer(const char *path, const char *name, const char *tmpl, const json_t *words,
                                  const json_t *label_map, char *const *labels, int k, senti_err *err);
/* A JSON value written atomically (sorted keys off, indented). */
senti_status sel_write_json(const char *path, const json_t *j, senti_err *err);
/* p[k] = softmax(s[k]). */
void sel_softmax(const double *s, int k, double *p);

/* ---- select_words.c ---- */
/* The candidate words for the search (label names, inflections, built-in
 * sentiment words), as a JSON array of strings. */
json_t *sel_words_pool(const sel_space *s, char *const *labels, int k);
/* From logp [n_rows * n_words] (log P(word | row) over the pool) of the
 * labelled rows, choose `top` words per label on the rows where use[i] is
 * true; words[label*top + j] receive pool indices (-1 when fewer). */
void sel_words_choose(const double *logp, size_t n_words, const sel_rows *r, const bool *use, int top, int *words);

#endif
