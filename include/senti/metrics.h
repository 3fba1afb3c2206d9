/*
 * senti/metrics.h - classification and calibration metrics of labelled
 * predictions, reliability data, risk-coverage, bootstrap intervals.
 *
 * Contract:
 *   - Input is a senti_eval_input: n rows, k labels, gold and predicted label
 *     indices in [0, k), and optionally a row-major n x k probability matrix
 *     whose rows sum to 1 (the reader in predfile.h checks this).
 *   - Every headline metric has an id (senti_metric) and a stable JSON name
 *     (senti_metric_name); results hold them in `value[SENTI_M_COUNT]`.
 *     Metrics that cannot be computed (no probabilities, undefined kappa) are NaN.
 *   - Definitions are in docs/eval.md and follow scikit-learn where it has the
 *     metric (labels = those present in gold or predicted, zero_division = 0).
 *   - Calibration metrics use the top label = argmax of the probabilities with
 *     ties broken towards the lowest label index; classification metrics use
 *     the `pred` column.
 *   - Bootstrap resamples are O(n) each: every per-row contribution is
 *     precomputed once in a senti_eval_prep; a resample is a vector of
 *     multiplicities (index sampling with a seeded GSL mt19937) and every
 *     metric is a weighted sum over rows (plus one pass in presorted order for
 *     the equal-mass bins and the risk-coverage curve).
 */
#ifndef SENTI_METRICS_H
#define SENTI_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Headline metrics, in the order of the JSON output. */
typedef enum {
    SENTI_M_ACCURACY = 0,
    SENTI_M_BALANCED_ACCURACY,
    SENTI_M_MACRO_F1,
    SENTI_M_MICRO_F1,
    SENTI_M_WEIGHTED_F1,
    SENTI_M_MCC,
    SENTI_M_KAPPA,
    SENTI_M_NLL,
    SENTI_M_BRIER,
    SENTI_M_ECE,
    SENTI_M_ECE_MASS,
    SENTI_M_MCE,
    SENTI_M_RMSCE,
    SENTI_M_CLASSWISE_ECE,
    SENTI_M_ACE,
    SENTI_M_AURC,
    SENTI_M_COUNT
} senti_metric;

/* Stable JSON key of a metric ("accuracy", "ece_mass", ...); NULL if out of range. */
SENTI_API const char *senti_metric_name(senti_metric m);
/* Metric id from its name; SENTI_ERR_ARG naming the value if unknown. */
SENTI_API senti_status senti_metric_parse(const char *name, senti_metric *out, senti_err *err);
/* 1 if larger is better (accuracy, F1, MCC, kappa), 0 for losses and errors. */
SENTI_API int senti_metric_higher_is_better(senti_metric m);
/* 1 if the metric needs probabilities. */
SENTI_API int senti_metric_needs_prob(senti_metric m);

/* A view of labelled predictions; nothing is owned. */
typedef struct {
    size_t n;           /* rows, >= 1 */
    int k;              /* labels, >= 1 */
    const int *gold;    /* [n] gold label index */
    const int *pred;    /* [n] predicted label index */
    const double *prob; /* [n * k] row-major probabilities, or NULL */
} senti_eval_input;

typedef struct {
    int n_bins;          /* bins of ECE/MCE/RMSCE/classwise ECE/ACE (default 15) */
    int bootstrap;       /* resamples for CIs (default 1000; 0 = none) */
    uint32_t seed;       /* bootstrap seed (default 20240917) */
    double ci_level;     /* two-sided level of the percentile CIs (default 0.95) */
    int min_rows_per_bin; /* warn when n / n_bins is below this (default 10) */
    int threads;         /* OpenMP threads for the bootstrap (default 0 = library setting) */
} senti_eval_params;

SENTI_API senti_eval_params senti_eval_default_params(void);

typedef struct {
    double precision, recall, f1; /* zero_division = 0 */
    size_t support;               /* gold rows of this label */
    size_t predicted;             /* rows predicted as this label */
    double gold_frac, pred_frac;  /* support/n, predicted/n: label bias */
} senti_class_metrics;

/* One equal-width bin of the top-label reliability diagram. */
typedef struct {
    double lo, hi;     /* bin edges: lo < confidence <= hi (the first bin also holds 0) */
    size_t count;      /* rows in the bin */
    double confidence; /* mean top-label confidence (NaN when empty) */
    double accuracy;   /* fraction of rows whose top label is gold (NaN when empty) */
} senti_reliability_bin;

/* A percentile bootstrap interval. */
typedef struct {
    double lo, hi; /* NaN when not computed */
    double se;     /* standard deviation of the bootstrap replicates */
    int n_valid;   /* replicates that were finite */
} senti_ci;

typedef struct {
    size_t n;
    int k;
    size_t correct;                  /* rows with pred == gold */
    double value[SENTI_M_COUNT];     /* headline metrics (NaN = not available) */
    senti_ci ci[SENTI_M_COUNT];      /* bootstrap CIs (NaN when bootstrap = 0) */
    double wilson_lo, wilson_hi;     /* Wilson score interval of accuracy */
    double ci_level;
    int bootstrap;                   /* resamples used */
    uint32_t seed;
    senti_class_metrics *per_class;  /* [k], owned */
    size_t *confusion;               /* [k * k], row = gold, column = predicted; owned */
    int n_bins;
    senti_reliability_bin *reliability; /* [n_bins], owned; NULL without probabilities */
    int has_prob;
    size_t top_pred_disagree;        /* rows where pred != argmax of probabilities */
    int few_rows_per_bin;            /* 1 when n / n_bins < min_rows_per_bin */
} senti_metrics;

/* Compute every metric (and the bootstrap CIs when params->bootstrap > 0).
 * params may be NULL (defaults). On success *out is filled; release it with
 * senti_metrics_free. */
SENTI_API senti_status senti_metrics_compute(const senti_eval_input *in, const senti_eval_params *params,
                                   senti_metrics *out, senti_err *err);
SENTI_API void senti_metrics_free(senti_metrics *m);

/* Wilson score interval for `successes` out of `n` at two-sided `level`. */
SENTI_API void senti_wilson_interval(size_t successes, size_t n, double level, double *lo, double *hi);

/* ---- the weighted evaluator behind point values and the bootstrap ------------ */

/* Per-row contributions precomputed once (opaque). */
typedef struct senti_eval_prep senti_eval_prep;

/* Build the precomputed data; `in` must outlive the prep. Caller frees with
 * senti_eval_prep_free. */
SENTI_API senti_status senti_eval_prep_new(const senti_eval_input *in, int n_bins, senti_eval_prep **out,
                                 senti_err *err);
SENTI_API void senti_eval_prep_free(senti_eval_prep *p);
SENTI_API size_t senti_eval_prep_rows(const senti_eval_prep *p);

/* All headline metrics of the rows taken with multiplicities w[i] (w == NULL:
 * every row once). sum(w) must be > 0. out: [SENTI_M_COUNT]. Thread-safe for
 * distinct `out`. Multiplicities are bytes so that the random reads of the
 * sorted passes stay in cache (see senti_bootstrap_weights for the cap). */
SENTI_API senti_status senti_eval_prep_metrics(const senti_eval_prep *p, const uint8_t *w,
                                     double out[SENTI_M_COUNT]);

/* Resample r of a seeded bootstrap: w[0..n) = multiplicities of n uniform
 * draws with replacement from a gsl mt19937 seeded with `stream_seed`
 * (see senti_bootstrap_stream_seeds). A multiplicity is capped at 255: a draw
 * that would exceed it is dropped and drawn again. For any n the chance that
 * a row is drawn 256 times is below 1e-490, so this never happens in practice
 * and the weights equal the plain multinomial ones. */
SENTI_API void senti_bootstrap_weights(size_t n, uint32_t stream_seed, uint8_t *w);

/* The per-resample seeds: the first B outputs of mt19937 seeded with `seed`.
 * out: [B]. This makes results independent of the thread count. */
SENTI_API void senti_bootstrap_stream_seeds(uint32_t seed, int B, uint32_t *out);

/* Percentile CIs of every metric over B resamples. ci: [SENTI_M_COUNT]. */
SENTI_API senti_status senti_bootstrap_ci(const senti_eval_prep *p, int B, uint32_t seed, double level,
                                int threads, senti_ci ci[SENTI_M_COUNT], senti_err *err);

/* Paired bootstrap: the same resamples applied to a and b (same n); CIs of
 * metric(b) - metric(a). diff: [SENTI_M_COUNT]. */
SENTI_API senti_status senti_bootstrap_paired(const senti_eval_prep *a, const senti_eval_prep *b, int B,
                                    uint32_t seed, double level, int threads,
                                    senti_ci diff[SENTI_M_COUNT], senti_err *err);

/* Percentile interval of v[0..m) (NaNs dropped; v is reordered) with GSL's
 * linear interpolation between order statistics (numpy's default). */
SENTI_API senti_ci senti_percentile_ci(double *v, size_t m, double level);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_METRICS_H */
