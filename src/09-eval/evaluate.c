/*
 * evaluate.c - senti_metrics_compute: the full report of one predictions set,
 * composed from the point estimates of metrics.c, the Wilson interval and the
 * bootstrap intervals of bootstrap.c (which sits above metrics.c: every
 * replicate is a metrics.c evaluation under resampled row weights).
 */
#include "eval_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

senti_status senti_metrics_compute(const senti_eval_input *in, const senti_eval_params *params,
                                   senti_metrics *m, senti_err *err)
{
    senti_eval_params P = params ? *params : senti_eval_default_params();
    memset(m, 0, sizeof *m);
    senti_eval_prep *prep = NULL;
    senti_status st = senti_eval_prep_new(in, P.n_bins, &prep, err);
    if (st)
        return st;
    size_t k = (size_t)in->k, M = (size_t)P.n_bins;
    m->per_class = calloc(k, sizeof *m->per_class);
    m->confusion = calloc(k * k, sizeof *m->confusion);
    m->reliability = in->prob ? calloc(M, sizeof *m->reliability) : NULL;
    if (!m->per_class || !m->confusion || (in->prob && !m->reliability)) {
        st = senti_err_set(err, SENTI_ERR_NOMEM, "eval: out of memory");
        goto done;
    }
    m->n = in->n;
    m->k = in->k;
    m->n_bins = P.n_bins;
    m->has_prob = in->prob != NULL;
    m->ci_level = P.ci_level;
    m->bootstrap = P.bootstrap;
    m->seed = P.seed;
    m->few_rows_per_bin = (double)in->n / P.n_bins < P.min_rows_per_bin;
    if (senti_eval_prep_point(prep, in, m)) {
        st = senti_err_set(err, SENTI_ERR_NOMEM, "eval: out of memory");
        goto done;
    }
    senti_wilson_interval(m->correct, m->n, P.ci_level, &m->wilson_lo, &m->wilson_hi);
    for (int i = 0; i < SENTI_M_COUNT; i++)
        m->ci[i] = (senti_ci){NAN, NAN, NAN, 0};
    if (P.bootstrap > 0)
        st = senti_bootstrap_ci(prep, P.bootstrap, P.seed, P.ci_level, P.threads, m->ci, err);
done:
    senti_eval_prep_free(prep);
    if (st)
        senti_metrics_free(m);
    return st;
}
