/*
 * senti/baseline.h - the cheap baseline every language-model result is held
 * against: a bag-of-words logistic regression (`bow-logreg`), no model needed.
 *
 * Features, as scikit-learn's TfidfVectorizer(ngram_range=(1, 2),
 * sublinear_tf=True) computes them:
 *   tokens   the text lowercased (utf8proc), then every match of \b\w\w+\b
 *            (PCRE2, Unicode properties): words of two or more characters;
 *   terms    the tokens and each pair of neighbours joined by one space;
 *   vocab    every term of the training rows;
 *   value    (1 + ln tf) * idf, idf = ln((1 + n) / (1 + df)) + 1, then the
 *            row divided by its L2 norm; terms outside the vocabulary ignored.
 * Classifier, as LogisticRegression(C) (lbfgs, L2, intercept not penalized):
 *   k > 2    softmax over W x + b minimizing C sum_i -log p(y_i) + |W|^2 / 2;
 *   k = 2    the binary model, which is the same softmax with C / 2 (the
 *            optimum puts w_0 = -w_1), so probabilities match scikit-learn's.
 * Minimized with GSL's vector_bfgs2 to a gradient norm of 1e-9 (relative),
 * so the probabilities agree with a converged scikit-learn fit to ~1e-6
 * (tests/check_baseline.c, fixture from tools/gen_bow_fixture.py).
 * C is chosen by stratified k-fold cross-validation (k = min(5, smallest class
 * count); the vocabulary is rebuilt inside every fold) from a grid, unless
 * the caller fixes it.
 *
 *   senti_bow *b;
 *   senti_bow_params p = senti_bow_default_params();
 *   if (senti_bow_train(texts, labels, n, k, names, &p, &b, &err)) ...
 *   senti_bow_predict(b, "a fine film", 11, prob);   // prob[k]
 *   senti_bow_save(b, "bow.json", &err); senti_bow_free(b);
 *
 * Baseline adapters (senti_baseline): `majority` or `bow-logreg` behind one
 * handle, saved with where their training rows came from (file, SHA-256,
 * seed, rows per class, the rows themselves). `senti finetune --method
 * bow-logreg|majority` writes them, `senti classify --adapter` applies them
 * without a language model, and experiment strategies of kind "baseline"
 * train them (docs/finetune.md, docs/experiments.md).
 *   majority   the most frequent label of the training rows (ties: the first
 *              in label order); its distribution is the training rows' label
 *              frequencies, the same for every text, so calibration metrics
 *              measure how far the test labels are from the training prior
 *              (a one-hot answer would make NLL the clipping constant).
 *   file       JSON, "format" "senti-majority" (labels, counts) or
 *              "senti-bow-logreg" (as senti_bow_save), both with "method"
 *              and "train" {path, sha256, seed, shots_per_class, rows}.
 */
#ifndef SENTI_BASELINE_H
#define SENTI_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_bow senti_bow;

typedef struct {
    double C;            /* > 0: use this C; 0: choose from `grid` by cross-validation (default) */
    const double *grid;  /* NULL: 0.01, 0.1, 1, 10, 100 */
    size_t n_grid;
    uint64_t seed;       /* fold assignment (default 1) */
    int max_iter;        /* BFGS iterations per fit (default 2000) */
    int threads;         /* cross-validation folds fitted at once (default 1); the result does not depend on it */
} senti_bow_params;

SENTI_API senti_bow_params senti_bow_default_params(void);

/* Fit on n texts (UTF-8, NUL-terminated) with labels[i] in [0, k); `names`
 * are the k label names kept in the model. Needs n >= 2 and every label in
 * [0, k); a label with no row is allowed (it gets low probabilities). */
SENTI_API senti_status senti_bow_train(const char *const *texts, const int *labels, size_t n, int k,
                             const char *const *names, const senti_bow_params *p, senti_bow **out, senti_err *err);

/* prob[k]: the label distribution of one text. Reentrant; allocates only for
 * texts of more than a few thousand terms. */
SENTI_API void senti_bow_predict(const senti_bow *b, const char *text, size_t len, double *prob);

SENTI_API int senti_bow_n_labels(const senti_bow *b);
SENTI_API const char *senti_bow_label(const senti_bow *b, int j);
SENTI_API size_t senti_bow_n_terms(const senti_bow *b);
SENTI_API double senti_bow_C(const senti_bow *b);          /* the C used for the final fit */
SENTI_API double senti_bow_cv_accuracy(const senti_bow *b); /* mean CV accuracy of that C; NaN when C was fixed */

/* JSON file (format "senti-bow-logreg", version 1): labels, C, terms, idf,
 * coef [k][V], intercept [k]. Written atomically. */
SENTI_API senti_status senti_bow_save(const senti_bow *b, const char *path, senti_err *err);
SENTI_API senti_status senti_bow_load(const char *path, senti_bow **out, senti_err *err);
SENTI_API void senti_bow_free(senti_bow *b);

/* ---- baseline adapters ------------------------------------------------------- */

typedef enum { SENTI_BASELINE_MAJORITY = 0, SENTI_BASELINE_BOW_LOGREG = 1 } senti_baseline_method;

/* "majority", "bow-logreg"; parse fails with SENTI_ERR_ARG naming the choices. */
SENTI_API const char *senti_baseline_method_name(senti_baseline_method m);
SENTI_API senti_status senti_baseline_method_parse(const char *s, senti_baseline_method *out, senti_err *err);

/* Where the training rows came from; recorded in the file (any member may be
 * NULL / 0: not recorded). */
typedef struct {
    const char *train_path;
    const char *train_sha256; /* hex */
    uint64_t seed;            /* row draw, and bow-logreg's folds */
    size_t shots_per_class;   /* 0: every labelled row */
    const size_t *rows;       /* [n_rows] 1-based data rows of the training file */
    size_t n_rows;
} senti_baseline_source;

typedef struct senti_baseline senti_baseline;

/* Fit on n rows (n >= 1 for majority, >= 2 for bow-logreg; labels in [0, k),
 * 2 <= k <= 256). `bp` (NULL: defaults) is used by bow-logreg only. */
SENTI_API senti_status senti_baseline_train(senti_baseline_method m, const char *const *texts, const int *labels,
                                            size_t n, int k, const char *const *names, const senti_bow_params *bp,
                                            senti_baseline **out, senti_err *err);
/* prob[k] for one text (majority: the same for every text). */
SENTI_API void senti_baseline_predict(const senti_baseline *b, const char *text, size_t len, double *prob);
SENTI_API senti_baseline_method senti_baseline_get_method(const senti_baseline *b);
SENTI_API int senti_baseline_n_labels(const senti_baseline *b);
SENTI_API const char *senti_baseline_label(const senti_baseline *b, int j);
SENTI_API const senti_bow *senti_baseline_bow(const senti_baseline *b); /* NULL for majority */

/* Dataset values that stand for labels (a verbalizer's "label_map": value from[i]
 * means label to[i]), kept in the adapter file so that `classify --adapter` reads
 * the values it was trained on; replaces any earlier map. */
SENTI_API senti_status senti_baseline_set_label_map(senti_baseline *b, const char *const *from, const int *to,
                                                    size_t n, senti_err *err);
/* The label a dataset value names: through the label map, else the label's own
 * name; -1 when neither. */
SENTI_API int senti_baseline_find(const senti_baseline *b, const char *value);

/* Written atomically; load validates format, version, shapes and numbers and
 * names the file (and line:column for JSON syntax errors). */
SENTI_API senti_status senti_baseline_save(const senti_baseline *b, const senti_baseline_source *src,
                                           const char *path, senti_err *err);
SENTI_API senti_status senti_baseline_load(const char *path, senti_baseline **out, senti_err *err);
SENTI_API void senti_baseline_free(senti_baseline *b);

/* What an adapter file is, without loading it: 1 a baseline adapter (JSON
 * whose "format" is "senti-majority" or "senti-bow-logreg"), 0 another kind
 * (GGUF, or JSON of another format), -1 unreadable or not JSON (then
 * senti_baseline_load gives the located error). */
SENTI_API int senti_baseline_probe(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* SENTI_BASELINE_H */
