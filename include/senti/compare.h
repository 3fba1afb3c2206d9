/*
 * senti/compare.h - paired comparison of two runs over the same rows, and
 * summaries of many runs.
 *
 * Contract:
 *   - Two predictions files describe the same rows when both have ids and the
 *     id sets are equal (each id once), or, without ids, when they have the same
 *     row count; in both cases the gold labels must agree row by row and the
 *     label sets must be equal (B's columns are reordered to A's label order).
 *     Anything else is refused with a message naming the first offending row.
 *   - McNemar's test on the discordant pairs b (A right, B wrong) and c (A
 *     wrong, B right): always the exact two-sided binomial test,
 *     p = min(1, 2 P[X <= min(b,c)]), X ~ Bin(b + c, 1/2). GSL's binomial CDF
 *     (an incomplete beta function) keeps it accurate for any b + c, so there
 *     is no chi-square switch; `senti compare`, `senti run`'s comparisons and
 *     `senti report`'s baseline gate all call senti_mcnemar_test.
 *   - Paired bootstrap: the same resamples for both runs; CIs of B - A.
 */
#ifndef SENTI_COMPARE_H
#define SENTI_COMPARE_H

#include <stddef.h>

#include "senti/common.h"
#include "senti/metrics.h"
#include "senti/predfile.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t b, c;    /* discordant pairs: A right & B wrong, A wrong & B right */
    double p_value; /* exact two-sided binomial p; 1 when b + c == 0 */
} senti_mcnemar;

/* The one McNemar test of the suite (see the contract above). */
SENTI_API senti_mcnemar senti_mcnemar_test(size_t b, size_t c);

typedef struct {
    size_t n;
    int k;
    int matched_by_id;               /* 1 by id, 0 by position */
    senti_mcnemar mcnemar;
    double value_a[SENTI_M_COUNT];   /* metrics of A and B */
    double value_b[SENTI_M_COUNT];
    senti_ci diff[SENTI_M_COUNT];    /* paired bootstrap CIs of B - A (NaN without bootstrap) */
    double ci_level;
    int bootstrap;
} senti_comparison;

/* Match, test and bootstrap (params: bins, bootstrap, seed, level, threads;
 * NULL = defaults). */
SENTI_API senti_status senti_compare_runs(const senti_predfile *a, const senti_predfile *b,
                                const senti_eval_params *params, senti_comparison *out,
                                senti_err *err);

/* One plain-language sentence about metric m (accuracy for the verdict line),
 * e.g. "B is better than A: accuracy +0.031 (95% CI +0.012 to +0.050), McNemar
 * p = 0.0021 (exact)". Writes at most size bytes. */
SENTI_API void senti_compare_verdict(const senti_comparison *c, const char *name_a, const char *name_b,
                           double alpha, char *buf, size_t size);

/* ---- many runs ------------------------------------------------------------------ */

typedef struct {
    char *group;                   /* owned group value */
    size_t runs;
    double mean[SENTI_M_COUNT], sd[SENTI_M_COUNT]; /* sd: sample (n - 1); NaN for one run */
    double min[SENTI_M_COUNT], max[SENTI_M_COUNT];
    double worst[SENTI_M_COUNT];   /* min for higher-is-better metrics, max otherwise */
} senti_compare_group;

/* Group runs by their group string (in order of first appearance) and
 * summarise each metric over the finite values. values: [n_runs * SENTI_M_COUNT].
 * *out: [*n_groups], free with senti_compare_groups_free. */
SENTI_API senti_status senti_compare_aggregate(const double *values, const char *const *groups,
                                     size_t n_runs, senti_compare_group **out, size_t *n_groups,
                                     senti_err *err);
SENTI_API void senti_compare_groups_free(senti_compare_group *g, size_t n_groups);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_COMPARE_H */
