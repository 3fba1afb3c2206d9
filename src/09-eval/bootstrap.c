/*
 * bootstrap.c - seeded percentile bootstrap intervals and the Wilson interval.
 *
 * Contract: resample r draws n row indices uniformly with replacement
 * (gsl_rng_uniform_int on a gsl mt19937) seeded with stream_seeds[r], the r-th
 * output of an mt19937 seeded with the user's seed. Each resample therefore
 * depends only on (seed, r), never on the thread count, and the whole
 * procedure can be replayed outside C (tools/gen_metric_fixtures.py does).
 * The replicate metrics come from senti_eval_prep_metrics in O(n * k).
 * Intervals are the (1-level)/2 and (1+level)/2 quantiles of the finite
 * replicates, interpolated linearly between order statistics.
 */
#include "senti/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#ifdef _OPENMP
#include <omp.h>
#endif

void senti_wilson_interval(size_t successes, size_t n, double level, double *lo, double *hi)
{
    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    double z = gsl_cdf_ugaussian_Pinv(0.5 + level / 2.0);
    double nn = (double)n, phat = (double)successes / nn, z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double center = (phat + z2 / (2.0 * nn)) / denom;
    double half = z * sqrt(phat * (1.0 - phat) / nn + z2 / (4.0 * nn * nn)) / denom;
    *lo = center - half;
    *hi = center + half;
}

void senti_bootstrap_stream_seeds(uint32_t seed, int B, uint32_t *out)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return;
    gsl_rng_set(r, seed);
    for (int i = 0; i < B; i++)
        out[i] = (uint32_t)gsl_rng_get(r);
    gsl_rng_free(r);
}

/* Fill w with the multiplicities of n draws from an already seeded mt19937.
 * Each draw is exactly gsl_rng_uniform_int(r, n) (inline in gsl_rng.h:
 * u / scale with scale = 0xffffffff / n, redrawn while >= n), with the
 * integer division done through a floating-point reciprocal and corrected to
 * the exact quotient: the division was the dearest step of a resample. */
static void draw_weights(gsl_rng *r, size_t n, uint8_t *w)
{
    const uint64_t scale = 0xffffffffu / (uint64_t)n;
    const double inv = 1.0 / (double)scale;
    memset(w, 0, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t u = gsl_rng_get(r), q = (uint64_t)((double)u * inv);
        q -= q * scale > u;           /* the estimate is off by at most one */
        q += (q + 1) * scale <= u;
        if (q >= n || w[q] == 255) { /* out of range, or the cap (metrics.h): draw again */
            i--;
            continue;
        }
        w[q]++;
    }
}

void senti_bootstrap_weights(size_t n, uint32_t stream_seed, uint8_t *w)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return;
    gsl_rng_set(r, stream_seed);
    draw_weights(r, n, w);
    gsl_rng_free(r);
}

senti_ci senti_percentile_ci(double *v, size_t m, double level)
{
    senti_ci ci = {NAN, NAN, NAN, 0};
    size_t ok = 0;
    for (size_t i = 0; i < m; i++)
        if (isfinite(v[i]))
            v[ok++] = v[i];
    ci.n_valid = (int)ok;
    if (ok == 0)
        return ci;
    gsl_sort(v, 1, ok);
    ci.lo = gsl_stats_quantile_from_sorted_data(v, 1, ok, (1.0 - level) / 2.0);
    ci.hi = gsl_stats_quantile_from_sorted_data(v, 1, ok, (1.0 + level) / 2.0);
    ci.se = ok > 1 ? gsl_stats_sd(v, 1, ok) : 0.0;
    return ci;
}

/* Replicates of one or two preps: rep[r * SENTI_M_COUNT + m] is metric m of
 * resample r, for b == NULL; else metric(b) - metric(a). */
static senti_status run_replicates(const senti_eval_prep *a, const senti_eval_prep *b, int B,
                                   uint32_t seed, int threads, double *rep)
{
    size_t n = senti_eval_prep_rows(a);
    uint32_t *seeds = malloc((size_t)B * sizeof *seeds);
    if (!seeds)
        return SENTI_ERR_NOMEM;
    senti_bootstrap_stream_seeds(seed, B, seeds);
    int failed = 0;
#ifdef _OPENMP
    int nt = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel num_threads(nt) reduction(| : failed)
#endif
    {
        uint8_t *w = malloc(n);
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        failed |= !w || !r;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (int i = 0; i < B; i++) {
            if (!w || !r)
                continue;
            double va[SENTI_M_COUNT], vb[SENTI_M_COUNT];
            double *out = rep + (size_t)i * SENTI_M_COUNT;
            gsl_rng_set(r, seeds[i]);
            draw_weights(r, n, w);
            failed |= senti_eval_prep_metrics(a, w, va) != SENTI_OK;
            if (b)
                failed |= senti_eval_prep_metrics(b, w, vb) != SENTI_OK;
            for (int m = 0; m < SENTI_M_COUNT; m++)
                out[m] = b ? vb[m] - va[m] : va[m];
        }
        gsl_rng_free(r);
        free(w);
    }
    (void)threads;
    free(seeds);
    return failed ? SENTI_ERR_NOMEM : SENTI_OK;
}

static senti_status bootstrap_common(const senti_eval_prep *a, const senti_eval_prep *b, int B,
                                     uint32_t seed, double level, int threads, senti_ci *ci,
                                     senti_err *err)
{
    if (B < 1 || !(level > 0 && level < 1))
        return senti_err_set(err, SENTI_ERR_ARG, "bootstrap: need B >= 1 and 0 < level < 1");
    if (b && senti_eval_prep_rows(b) != senti_eval_prep_rows(a))
        return senti_err_set(err, SENTI_ERR_ARG, "bootstrap: paired inputs differ in rows");
    double *rep = malloc((size_t)B * SENTI_M_COUNT * sizeof *rep);
    double *col = malloc((size_t)B * sizeof *col);
    senti_status st = rep && col ? run_replicates(a, b, B, seed, threads, rep) : SENTI_ERR_NOMEM;
    for (int m = 0; m < SENTI_M_COUNT && st == SENTI_OK; m++) {
        for (int i = 0; i < B; i++)
            col[i] = rep[(size_t)i * SENTI_M_COUNT + m];
        ci[m] = senti_percentile_ci(col, (size_t)B, level);
    }
    free(rep);
    free(col);
    if (st)
        return senti_err_set(err, st, "bootstrap: out of memory");
    return SENTI_OK;
}

senti_status senti_bootstrap_ci(const senti_eval_prep *p, int B, uint32_t seed, double level,
                                int threads, senti_ci ci[SENTI_M_COUNT], senti_err *err)
{
    return bootstrap_common(p, NULL, B, seed, level, threads, ci, err);
}

senti_status senti_bootstrap_paired(const senti_eval_prep *a, const senti_eval_prep *b, int B,
                                    uint32_t seed, double level, int threads,
                                    senti_ci diff[SENTI_M_COUNT], senti_err *err)
{
    return bootstrap_common(a, b, B, seed, level, threads, diff, err);
}
