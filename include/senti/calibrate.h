/*
 * senti/calibrate.h - post-hoc calibration of label distributions, fitted on
 * one labelled split and applied to another.
 *
 * Contract:
 *   - Scores are l_j = log(max(p_j, DBL_EPSILON)) of the input probabilities
 *     (clipped as the NLL metric clips them).
 *   - temperature: q = softmax(l / T), one parameter T > 0 (argmax unchanged),
 *                  fitted as log(1/T); SENTI_ERR_FORMAT when the best T is not
 *                  finite: infinite (the scores favour the gold label no more
 *                  than chance) or 0 (the favoured label is gold in every row).
 *                  apply refuses a T that is not positive and finite.
 *   - vector:      q = softmax(w .* l + b), w and b per label, b_0 = 0 fixed
 *                  (softmax ignores a common shift, so b_0 would not be identified).
 *   - platt:       two labels only; q_1 = sigmoid(a * (l_1 - l_0) + c).
 *   - Parameters minimise the mean negative log-likelihood of the gold labels
 *     on the fitting rows (GSL vector_bfgs2 with the analytic gradient; stops
 *     when the gradient norm is below 1e-10 or after 1000 iterations).
 */
#ifndef SENTI_CALIBRATE_H
#define SENTI_CALIBRATE_H

#include <stddef.h>

#include "senti/common.h"
#include "senti/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SENTI_POSTHOC_TEMPERATURE = 0, SENTI_POSTHOC_VECTOR, SENTI_POSTHOC_PLATT } senti_posthoc_method;

/* "temperature", "vector", "platt"; NULL if out of range. */
SENTI_API const char *senti_posthoc_method_name(senti_posthoc_method m);
/* Name -> method; SENTI_ERR_ARG naming the value (and the choices) if unknown. */
SENTI_API senti_status senti_posthoc_method_parse(const char *name, senti_posthoc_method *out, senti_err *err);

typedef struct {
    senti_posthoc_method method;
    int k;                 /* labels */
    double temperature;    /* T (temperature scaling) */
    double *w, *b;         /* [k] owned (vector scaling); platt: a = w[0], c = b[0] */
    double nll_before;     /* mean NLL of the fitting rows before */
    double nll_after;      /* and after */
    int iterations;        /* minimiser iterations */
} senti_posthoc;

/* Fit on rows with probabilities (in->prob required). *out must be released
 * with senti_posthoc_free. */
SENTI_API senti_status senti_posthoc_fit(senti_posthoc_method method, const senti_eval_input *in,
                               senti_posthoc *out, senti_err *err);

/* Calibrated probabilities of n rows: prob, out: [n * k] (may alias). */
SENTI_API senti_status senti_posthoc_apply(const senti_posthoc *c, const double *prob, size_t n, int k,
                                 double *out, senti_err *err);

SENTI_API void senti_posthoc_free(senti_posthoc *c);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_CALIBRATE_H */
