/*
 * senti/finetune.h - fine-tuned runs: a linear head on frozen features
 * (`--method head`) and LoRA adapters trained by our own backward pass
 * (`--method lora`), and the adapters that `senti classify --adapter` applies.
 *
 * Prompts are built exactly as senti_classify_run builds them (senti/prompt.h,
 * senti/verbalizer.h, zero-shot): the scoring position is the last token of
 * the prompt, right before the label word.
 *
 * Head (file format in docs/finetune.md, JSON):
 *   features  x = final hidden state at the scoring position [n_embd]
 *                 (+ the label scores log P(label word | prompt) [n_labels]
 *                 with SENTI_HEAD_FEAT_HIDDEN_SCORES)
 *   z         = (x - mean) / scale            (standardized on the training rows)
 *   logits    = W z + b                       W [n_labels][n_feat], b [n_labels]
 *   fit       minimize (1/n) sum_i -log softmax(logits_i)[y_i] + lambda/2 |W|^2
 *             with GSL's vector_bfgs2; lambda chosen on a seeded stratified
 *             validation split among a grid by validation log-loss, then the
 *             head is refitted on all rows with that lambda.
 *
 * LoRA (GGUF tensor names in docs/finetune.md): for an adapted projection
 * y = x W^T (W frozen [out][in], quantized), y += (alpha/r) (x A^T) B^T with
 * A [r][in], B [out][r]. Loss: cross-entropy over the label scores at the
 * scoring position, the same scores senti_classify_run computes (label
 * words of several tokens included: docs/finetune.md).
 */
#ifndef SENTI_FINETUNE_H
#define SENTI_FINETUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/baseline.h"
#include "senti/common.h"
#include "senti/dataset.h"
#include "senti/model.h"
#include "senti/scorer.h"
#include "senti/verbalizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- logistic-regression head -------------------------------------------------------- */

#define SENTI_MAX_HEAD_LABELS 64

typedef enum {
    SENTI_HEAD_FEAT_HIDDEN = 0,       /* hidden state only */
    SENTI_HEAD_FEAT_HIDDEN_SCORES = 1 /* hidden state then the label scores */
} senti_head_features;

/* A fitted head. Plain struct; every array is owned: senti_head_free(). */
typedef struct {
    int n_labels;
    int n_feat;
    senti_head_features features;
    char **labels;      /* [n_labels] dataset label keys, verbalizer order */
    double *mean;       /* [n_feat] */
    double *scale;      /* [n_feat] (> 0) */
    double *W;          /* [n_labels][n_feat] on standardized features */
    double *b;          /* [n_labels] */
    double lambda;      /* chosen L2 strength */
    char model_sha256[65]; /* base model the features come from ("" unknown) */
} senti_head;

typedef struct {
    const double *lambdas; /* grid; NULL: 1e-4 .. 10 in decades */
    size_t n_lambdas;
    double val_frac;       /* fraction of rows held out per class to choose lambda (default 0.25); 0 = use lambdas[0] */
    uint64_t seed;         /* split seed (default 1) */
    int max_iter;          /* BFGS iterations (default 500) */
    double grad_tol;       /* stop when |grad| < grad_tol (default 1e-6) */
} senti_head_fit_params;

SENTI_API senti_head_fit_params senti_head_fit_default_params(void);

/* What the fit did, for the training log. */
typedef struct {
    size_t n_train, n_val;   /* rows used for the lambda search */
    double val_loss[16];     /* per grid lambda (first 16) */
    double val_acc[16];
    double train_loss;       /* final refit objective without the penalty */
    double train_acc;
    int iterations;          /* of the final refit */
} senti_head_fit_info;

/* The objective and its gradient on standardized features Z [n][d] with
 * labels y [n] in 0..K-1, at theta = [W (K*d) | b (K)]. grad may be NULL.
 * Returns the loss (mean cross-entropy + lambda/2 |W|^2). */
SENTI_API double senti_logreg_loss(const double *theta, const double *Z, const int *y, size_t n, int d, int K,
                                   double lambda, double *grad);

/* Fit a head on raw features X [n][d] (labels y in 0..n_labels-1). `labels`
 * (may be NULL) are copied as the label keys. *out is owned by the caller. */
SENTI_API senti_status senti_head_fit(const double *X, const int *y, size_t n, int d, int n_labels,
                                      const char *const *labels, const senti_head_fit_params *p, senti_head **out,
                                      senti_head_fit_info *info, senti_err *err);
SENTI_API void senti_head_free(senti_head *h);

/* logp[n_labels] = log softmax(W z + b) for raw features x [n_feat]. */
SENTI_API void senti_head_predict(const senti_head *h, const double *x, double *logp);

/* JSON file (docs/finetune.md). Load validates shapes, finiteness, format tag. */
SENTI_API senti_status senti_head_save(const senti_head *h, const char *path, senti_err *err);
SENTI_API senti_status senti_head_load(const char *path, senti_head **out, senti_err *err);

/* ---- the labelled rows a run trains on ------------------------------------------------- */

/* The rows `senti finetune --shots-per-class N --seed S` uses, and the rows a
 * baseline strategy of an experiment trains on (the same draw): for each label
 * of `v` in order, its rows of `all` (rows with another label, or none, are
 * never used) shuffled with GSL's mt19937 seeded with `seed` (one generator
 * for all labels), the first `per_class` of them (all when 0 or fewer exist);
 * round(val_frac * taken) of each label (at most taken - 1) go to `va`, the
 * rest to `tr`. Both lists are indices into all->items in file order; tr and
 * va need room for all->n entries. `avail` (may be NULL) receives each
 * label's row count [n_labels of v]. A label with no row at all is
 * SENTI_ERR_ARG naming it. */
SENTI_API senti_status senti_ft_select_rows(const senti_examples *all, const senti_verbalizer *v, size_t per_class,
                                            uint64_t seed, double val_frac, size_t *tr, size_t *n_tr, size_t *va,
                                            size_t *n_va, size_t *avail, senti_err *err);

/* ---- baselines trained from labelled rows (senti/baseline.h) ---------------------------- */

typedef struct {
    senti_baseline_method method;
    size_t per_class;  /* rows per label drawn with `seed` (senti_ft_select_rows); 0: every labelled row */
    uint64_t seed;     /* the draw, and bow-logreg's cross-validation folds */
    double C;          /* bow-logreg: > 0 fixes C, 0 chooses it by cross-validation */
    int threads;       /* bow-logreg: cross-validation folds fitted at once (0 or 1: one); same result */
} senti_baseline_fit_params;

typedef struct {
    size_t n_rows;     /* rows trained on */
    double C;          /* bow-logreg: the C used (NaN for majority) */
    double cv_accuracy; /* bow-logreg: its mean CV accuracy (NaN when C was fixed or for majority) */
    size_t avail[SENTI_MAX_HEAD_LABELS]; /* rows of each label in the file (first 64 labels) */
} senti_baseline_fit_info;

/* Draw the rows of `all` (labels and their order from `v`; no validation
 * split), train the baseline and save it to `out_path` with its provenance
 * (`all->path`, its SHA-256, the seed, rows per class and the file rows).
 * Fewer than 1 (majority) or 2 (bow-logreg) rows: SENTI_ERR_ARG. `info` may be NULL. */
SENTI_API senti_status senti_baseline_fit_rows(const senti_examples *all, const senti_verbalizer *v,
                                               const senti_baseline_fit_params *p, const char *out_path,
                                               senti_baseline_fit_info *info, senti_err *err);

/* ---- prompts for training (as classify builds them) ------------------------------------ */

typedef struct {
    const char *tmpl;        /* NULL: verbalizer's or default */
    const char *instruction;
    const char *separator;
    int chat;                /* -1 auto, 0 off, 1 on */
    const char *system;
    senti_agg agg;           /* default logsumexp */
    bool length_norm;
    int n_ctx;               /* 0: min(n_ctx_train, 2048) */
} senti_ft_prompt_params;

SENTI_API senti_ft_prompt_params senti_ft_prompt_default_params(void);

/* Head features of every example, computed once each: X [n][n_feat] (malloc,
 * caller frees) and y [n] (verbalizer label indices; rows without a known
 * label are an error). `progress` may be NULL. */
typedef void (*senti_ft_progress_fn)(void *user, size_t done, size_t total, double loss);
SENTI_API senti_status senti_head_features_compute(senti_model *m, const senti_verbalizer *v,
                                                   const senti_ft_prompt_params *pp, const senti_examples *ex,
                                                   senti_head_features kind, double **X, int **y, int *n_feat,
                                                   senti_ft_progress_fn progress, void *user, senti_err *err);

/* ---- adapters for classification (head JSON or LoRA GGUF) --------------------------------- */

typedef struct senti_adapter senti_adapter;

/* Load an adapter file (GGUF magic -> LoRA, else head JSON) for `m` and the
 * verbalizer `v` (labels must match, in order). A LoRA adapter is merged into
 * `m` at once (the adapted projections point at f32 copies owned by the
 * adapter) and unmerged by senti_adapter_free(), which must come before
 * senti_model_free(m). */
SENTI_API senti_status senti_adapter_load(const char *path, senti_model *m, const senti_verbalizer *v,
                                          senti_adapter **out, senti_err *err);
SENTI_API void senti_adapter_free(senti_adapter *a);
SENTI_API const char *senti_adapter_kind(const senti_adapter *a); /* "head" or "lora" */
/* True when senti_adapter_rescore needs the hidden state (heads). */
SENTI_API bool senti_adapter_needs_hidden(const senti_adapter *a);
/* Replace label scores[n_labels] (log space) by the head's log-probabilities,
 * given the hidden state at the scoring position. No-op for LoRA. */
SENTI_API void senti_adapter_rescore(const senti_adapter *a, const float *hidden, double *scores);

/* ---- LoRA ---------------------------------------------------------------------------------- */

/* Projections that can carry an adapter (bit flags). */
enum {
    SENTI_LORA_Q = 1, SENTI_LORA_K = 2, SENTI_LORA_V = 4, SENTI_LORA_O = 8,
    SENTI_LORA_GATE = 16, SENTI_LORA_UP = 32, SENTI_LORA_DOWN = 64
};
#define SENTI_LORA_N_TARGETS 7

/* Parse "q,v,o,mlp" style lists (mlp = gate,up,down; all = everything). */
SENTI_API senti_status senti_lora_targets_parse(const char *s, unsigned *out, senti_err *err);
/* GGUF tensor base name of target bit index i ("attn_q", ..., "ffn_down"). */
SENTI_API const char *senti_lora_target_name(int i);

/* Adapter weights. A[l][t] is [rank][in], B[l][t] is [out][rank]; NULL when
 * layer l / target t is not adapted. Everything owned: senti_lora_free(). */
typedef struct {
    int n_layer;
    int rank;
    float alpha;
    unsigned targets;
    float **A;  /* [n_layer * SENTI_LORA_N_TARGETS] */
    float **B;
    int *in;    /* [SENTI_LORA_N_TARGETS] input size of each target */
    int *out;   /* [SENTI_LORA_N_TARGETS] output size */
    char model_sha256[65];
} senti_lora;

/* Adapters for every layer of `m`: A ~ U(-1/sqrt(in), 1/sqrt(in)) from `seed`, B = 0. */
SENTI_API senti_status senti_lora_new(const senti_model *m, int rank, float alpha, unsigned targets, uint64_t seed,
                                      senti_lora **out, senti_err *err);
SENTI_API void senti_lora_free(senti_lora *a);
SENTI_API senti_status senti_lora_save(const senti_lora *a, const char *path, senti_err *err);
SENTI_API senti_status senti_lora_load(const char *path, const senti_model *m, senti_lora **out, senti_err *err);

/* Training options. */
typedef struct {
    int rank;            /* default 8 */
    float alpha;         /* default 16 */
    unsigned targets;    /* default Q|V */
    int epochs;          /* default 8 */
    int batch;           /* examples per optimizer step (default 8) */
    float lr;            /* peak learning rate (default 1e-3) */
    float weight_decay;  /* AdamW decoupled decay (default 0.0) */
    float beta1, beta2, eps; /* default 0.9, 0.999, 1e-8 */
    float clip;          /* global gradient-norm clip (default 1.0; 0 = off) */
    float warmup_frac;   /* linear warmup over this fraction of steps (default 0.1) */
    bool cosine;         /* cosine decay to 0 after warmup (default true), else linear */
    int patience;        /* early stop after this many epochs without val improvement (default 3; 0 = off) */
    bool cache_f32;      /* dequantize the frozen weights to f32 once (default true), else per use */
    uint64_t seed;       /* init and shuffling (default 1) */
} senti_lora_train_params;

SENTI_API senti_lora_train_params senti_lora_train_default_params(void);

/* One progress event: after every step (epoch_end false) and after every
 * epoch's validation (epoch_end true). */
typedef struct {
    int epoch, step, n_steps;
    bool epoch_end;
    double loss;         /* mean train loss of this step / epoch */
    double val_loss;     /* epoch_end: validation loss (NAN without validation rows) */
    double val_acc;
    double lr;
    double grad_norm;    /* before clipping */
    double tokens_per_s; /* training tokens (forward + backward) per second so far */
    bool best;           /* epoch_end: this epoch's adapter is the best so far (kept) */
} senti_lora_event;
typedef void (*senti_lora_event_fn)(void *user, const senti_lora_event *ev);

/* Summary of a training run. */
typedef struct {
    int steps;
    int best_epoch;
    double best_val_loss, best_val_acc;
    double zero_val_loss, zero_val_acc; /* before training (adapter = identity) */
    double seconds;
    double tokens;                     /* tokens through forward + backward */
} senti_lora_train_info;

/* Train LoRA adapters for `m` on `train` (validation on `val`, may be NULL
 * or empty): prompts as classify builds them. *out owned by the caller. */
SENTI_API senti_status senti_lora_train(senti_model *m, const senti_verbalizer *v, const senti_ft_prompt_params *pp,
                                        const senti_examples *train, const senti_examples *val,
                                        const senti_lora_train_params *tp, senti_lora_event_fn cb, void *user,
                                        senti_lora **out, senti_lora_train_info *info, senti_err *err);

/* ---- one fine-tuning run: labelled rows -> adapter file ------------------------------------ */

typedef enum { SENTI_FT_HEAD, SENTI_FT_LORA } senti_ft_method;

SENTI_API senti_status senti_ft_method_parse(const char *s, senti_ft_method *out, senti_err *err);

typedef struct {
    size_t n_train, n_val;               /* rows drawn (the head: all train, it splits them itself) */
    size_t avail[SENTI_MAX_HEAD_LABELS]; /* rows of each label in the file */
    double lambda;                       /* head: the chosen L2 strength (NaN for lora) */
    int n_features;                      /* head */
    senti_head_fit_info head;
    senti_lora_train_info lora;
} senti_ft_info;

typedef struct {
    senti_ft_method method;        /* default head */
    size_t per_class;              /* rows per label (senti_ft_select_rows); 0: every labelled row */
    uint64_t seed;                 /* the draw, the head's lambda split (default 1); lora.seed is its own */
    double val_frac;               /* default 0.25: lora's validation rows per label; the head's lambda split */
    senti_head_features features;  /* head (default hidden) */
    senti_ft_prompt_params prompt;
    senti_lora_train_params lora;
    /* optional hooks, all called with `user`: after the draw (info has n_train, n_val, avail), per
     * head feature row, per LoRA step and epoch */
    void (*on_rows)(void *user, const senti_ft_info *info);
    senti_ft_progress_fn on_feature;
    senti_lora_event_fn on_lora;
    void *user;
} senti_ft_params;

SENTI_API senti_ft_params senti_ft_default_params(void);

/* Draw the rows of `all` as p says, train a head (JSON) or LoRA adapters
 * (GGUF) for `m` and save them to `path`. `info` may be NULL. */
SENTI_API senti_status senti_ft_train(senti_model *m, const senti_verbalizer *v, const senti_examples *all,
                                      const senti_ft_params *p, const char *path, senti_ft_info *info,
                                      senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_FINETUNE_H */
