/*
 * posthoc.c - temperature, vector and Platt scaling fitted by minimising the
 * mean NLL with GSL's vector_bfgs2 (analytic gradient).
 *
 * Contract: see include/senti/calibrate.h. Parameter vectors theta:
 *   temperature  [t]                      z_j = beta * l_j, beta = 1/T = exp(t)
 *   vector       [w_0..w_{k-1}, b_1..b_{k-1}]  z_j = w_j * l_j + b_j (b_0 = 0)
 *   platt        [a, c]                   z_0 = 0, z_1 = a * (l_1 - l_0) + c
 * The fitted model is q = softmax(z). The gradient of the mean NLL in z is
 * q - onehot(gold); the chain rule to the linear parameters (beta, w, b, a, c)
 * is in accumulate_grad(), and from beta to t in nll_and_grad().
 *
 * The temperature is fitted in log space so that it stays positive: a negative
 * one would reverse every ranking. The mean NLL is convex in beta. Its
 * infimum is at beta -> 0 (T infinite: every row uniform) when the slope at
 * beta = 0 is not negative, and at beta -> infinity (T = 0) when the gold label
 * has the highest score in every row; both fits are refused, as no finite T
 * is best. Otherwise the minimum is finite and interior.
 */
#include "senti/calibrate.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

static const char *const method_names[] = {"temperature", "vector", "platt"};

const char *senti_posthoc_method_name(senti_posthoc_method m)
{
    return (unsigned)m < 3 ? method_names[m] : NULL;
}

senti_status senti_posthoc_method_parse(const char *name, senti_posthoc_method *out, senti_err *err)
{
    for (int m = 0; m < 3; m++)
        if (name && !strcmp(name, method_names[m])) {
            *out = (senti_posthoc_method)m;
            return SENTI_OK;
        }
    return senti_err_set(err, SENTI_ERR_ARG, "unknown post-hoc calibration \"%s\" (temperature, vector, platt)",
                         name ? name : "");
}

typedef struct {
    senti_posthoc_method method;
    size_t n;
    int k;
    const int *gold;  /* [n] */
    const double *l;  /* [n * k] log-probabilities (clipped) */
} fit_ctx;

static int n_params(senti_posthoc_method m, int k)
{
    return m == SENTI_POSTHOC_TEMPERATURE ? 1 : m == SENTI_POSTHOC_VECTOR ? 2 * k - 1 : 2;
}

/* z[0..k) for one row of log-probabilities l under parameters th. */
static void scores(senti_posthoc_method m, int k, const double *th, const double *l, double *z)
{
    switch (m) {
    case SENTI_POSTHOC_TEMPERATURE:
        for (int j = 0; j < k; j++)
            z[j] = th[0] * l[j];
        break;
    case SENTI_POSTHOC_VECTOR:
        for (int j = 0; j < k; j++)
            z[j] = th[j] * l[j] + (j > 0 ? th[k + j - 1] : 0.0);
        break;
    case SENTI_POSTHOC_PLATT:
        z[0] = 0.0;
        z[1] = th[0] * (l[1] - l[0]) + th[1];
        break;
    }
}

/* In place: z becomes softmax(z); returns log-sum-exp of the input. */
static double softmax_inplace(double *z, int k)
{
    double mx = z[0], s = 0.0;
    for (int j = 1; j < k; j++)
        mx = z[j] > mx ? z[j] : mx;
    for (int j = 0; j < k; j++)
        s += exp(z[j] - mx);
    double lse = mx + log(s);
    for (int j = 0; j < k; j++)
        z[j] = exp(z[j] - lse);
    return lse;
}

/* g += d NLL_row / d theta, with dz = q - onehot(gold). */
static void accumulate_grad(senti_posthoc_method m, int k, const double *l, const double *dz, double *g)
{
    switch (m) {
    case SENTI_POSTHOC_TEMPERATURE:
        for (int j = 0; j < k; j++)
            g[0] += dz[j] * l[j];
        break;
    case SENTI_POSTHOC_VECTOR:
        for (int j = 0; j < k; j++) {
            g[j] += dz[j] * l[j];
            if (j > 0)
                g[k + j - 1] += dz[j];
        }
        break;
    case SENTI_POSTHOC_PLATT:
        g[0] += dz[1] * (l[1] - l[0]);
        g[1] += dz[1];
        break;
    }
}

/* The temperature's log-space parameter t, kept where exp(t) and the scores
 * it multiplies stay finite (a line search may try far-off points). */
#define LOG_BETA_MAX 50.0

static double beta_of(double t)
{
    return exp(t < -LOG_BETA_MAX ? -LOG_BETA_MAX : t > LOG_BETA_MAX ? LOG_BETA_MAX : t);
}

/* Mean NLL at the minimiser's parameters x; gradient into g when non-NULL
 * (length n_params). */
static double nll_and_grad(const fit_ctx *c, const double *x, double *g)
{
    int k = c->k, np = n_params(c->method, k);
    double z[k > 2 ? k : 2], total = 0.0, lin[2 * k];
    memcpy(lin, x, (size_t)np * sizeof *lin); /* the linear parameters */
    if (c->method == SENTI_POSTHOC_TEMPERATURE)
        lin[0] = beta_of(x[0]);
    const double *th = lin;
    if (g)
        memset(g, 0, (size_t)np * sizeof *g);
    for (size_t i = 0; i < c->n; i++) {
        const double *l = c->l + i * (size_t)k;
        scores(c->method, k, th, l, z);
        int y = c->gold[i];
        double zy = z[y], lse = softmax_inplace(z, k);
        total += lse - zy;
        if (g) {
            z[y] -= 1.0;
            accumulate_grad(c->method, k, l, z, g);
        }
    }
    if (g) {
        for (int j = 0; j < np; j++)
            g[j] /= (double)c->n;
        if (c->method == SENTI_POSTHOC_TEMPERATURE)
            g[0] *= lin[0]; /* d beta / d t = beta */
    }
    return total / (double)c->n;
}

static double f_cb(const gsl_vector *x, void *p) { return nll_and_grad(p, x->data, NULL); }

static void df_cb(const gsl_vector *x, void *p, gsl_vector *g) { nll_and_grad(p, x->data, g->data); }

static void fdf_cb(const gsl_vector *x, void *p, double *f, gsl_vector *g)
{
    *f = nll_and_grad(p, x->data, g->data);
}

static void initial_params(senti_posthoc_method m, int k, gsl_vector *x)
{
    gsl_vector_set_zero(x); /* temperature: theta = 0 is T = 1 */
    if (m == SENTI_POSTHOC_PLATT)
        gsl_vector_set(x, 0, 1.0);
    else if (m == SENTI_POSTHOC_VECTOR)
        for (int j = 0; j < k; j++)
            gsl_vector_set(x, (size_t)j, 1.0);
}

/* Run the minimiser; theta [n_params] receives the result. */
static senti_status minimise(fit_ctx *c, double *theta, int *iters, senti_err *err)
{
    int np = n_params(c->method, c->k);
    gsl_multimin_function_fdf fn = {f_cb, df_cb, fdf_cb, (size_t)np, c};
    gsl_vector *x = gsl_vector_alloc((size_t)np);
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, (size_t)np);
    if (!x || !s) {
        gsl_vector_free(x);
        gsl_multimin_fdfminimizer_free(s);
        return senti_err_set(err, SENTI_ERR_NOMEM, "posthoc: out of memory");
    }
    initial_params(c->method, c->k, x);
    gsl_multimin_fdfminimizer_set(s, &fn, x, 0.01, 0.1);
    int status = GSL_CONTINUE, it = 0;
    while (status == GSL_CONTINUE && it < 1000) {
        it++;
        if (gsl_multimin_fdfminimizer_iterate(s))
            break; /* no further progress possible: keep the best point */
        status = gsl_multimin_test_gradient(s->gradient, 1e-10);
    }
    for (int j = 0; j < np; j++)
        theta[j] = gsl_vector_get(s->x, (size_t)j);
    *iters = it;
    gsl_vector_free(x);
    gsl_multimin_fdfminimizer_free(s);
    for (int j = 0; j < np; j++)
        if (!isfinite(theta[j]))
            return senti_err_set(err, SENTI_ERR_NUMERIC, "posthoc: the fit diverged");
    return SENTI_OK;
}

/* d NLL / d beta at beta = 0, where every row is uniform: the mean over rows of
 * mean_j l_j - l_gold, against the mean of its magnitude. The fit has a finite
 * T only when the slope is negative; sums of rounded terms decide that only
 * beyond a relative margin. */
static bool slope_negative_at_infinite_temperature(const fit_ctx *c)
{
    double s = 0.0, scale = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        const double *l = c->l + i * (size_t)c->k;
        double mean = 0.0;
        for (int j = 0; j < c->k; j++)
            mean += l[j];
        double d = mean / c->k - l[c->gold[i]];
        s += d;
        scale += fabs(d);
    }
    return s < -1e-9 * scale;
}

/* Whether the gold label has the highest score (ties included) in every row:
 * then the NLL falls for ever as T -> 0. */
static bool gold_always_top(const fit_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const double *l = c->l + i * (size_t)c->k;
        for (int j = 0; j < c->k; j++)
            if (l[j] > l[c->gold[i]])
                return false;
    }
    return true;
}

/* Refuse a temperature fit whose best T is not finite. */
static senti_status check_temperature_fit(const fit_ctx *c, senti_err *err)
{
    if (!slope_negative_at_infinite_temperature(c))
        return senti_err_set(err, SENTI_ERR_FORMAT,
                             "temperature scaling: on these rows the scores favour the gold label no more than "
                             "chance, so no finite temperature fits (the best is uniform, T infinite)");
    if (gold_always_top(c))
        return senti_err_set(err, SENTI_ERR_FORMAT,
                             "temperature scaling: on these rows the favoured label is always gold, so no finite "
                             "temperature fits (the loss keeps falling as T -> 0); calibrate on rows with errors");
    return SENTI_OK;
}

/* A score: the log of a probability clipped at DBL_EPSILON, as the NLL metric
 * clips it (a hard 0 would weigh -690 and drown every other row). */
static double score_of(double p)
{
    return log(p > DBL_EPSILON ? p : DBL_EPSILON);
}

static double *log_probs(const double *prob, size_t n, int k)
{
    double *l = malloc(n * (size_t)k * sizeof *l);
    for (size_t i = 0; l && i < n * (size_t)k; i++)
        l[i] = score_of(prob[i]);
    return l;
}

senti_status senti_posthoc_fit(senti_posthoc_method method, const senti_eval_input *in,
                               senti_posthoc *out, senti_err *err)
{
    memset(out, 0, sizeof *out);
    if (!in || !in->prob || in->n == 0 || in->k < 2 || (unsigned)method > 2)
        return senti_err_set(err, SENTI_ERR_ARG, "posthoc: need probabilities of >= 2 labels");
    if (method == SENTI_POSTHOC_PLATT && in->k != 2)
        return senti_err_set(err, SENTI_ERR_ARG, "posthoc: Platt scaling needs 2 labels, not %d",
                             in->k);
    fit_ctx c = {method, in->n, in->k, in->gold, log_probs(in->prob, in->n, in->k)};
    out->w = calloc((size_t)in->k, sizeof *out->w);
    out->b = calloc((size_t)in->k, sizeof *out->b);
    double theta[2 * in->k];
    if (!c.l || !out->w || !out->b) {
        free((void *)c.l);
        senti_posthoc_free(out);
        return senti_err_set(err, SENTI_ERR_NOMEM, "posthoc: out of memory");
    }
    out->method = method;
    out->k = in->k;
    gsl_vector_view tv = gsl_vector_view_array(theta, (size_t)n_params(method, in->k));
    initial_params(method, in->k, &tv.vector);
    out->nll_before = nll_and_grad(&c, theta, NULL); /* the start point is the identity map */
    senti_status st = method == SENTI_POSTHOC_TEMPERATURE ? check_temperature_fit(&c, err) : SENTI_OK;
    if (st == SENTI_OK)
        st = minimise(&c, theta, &out->iterations, err);
    if (st == SENTI_OK) {
        out->nll_after = nll_and_grad(&c, theta, NULL);
        if (method == SENTI_POSTHOC_TEMPERATURE) {
            out->temperature = 1.0 / beta_of(theta[0]);
        } else if (method == SENTI_POSTHOC_VECTOR) {
            for (int j = 0; j < in->k; j++) {
                out->w[j] = theta[j];
                out->b[j] = j > 0 ? theta[in->k + j - 1] : 0.0;
            }
        } else {
            out->w[0] = theta[0];
            out->b[0] = theta[1];
        }
    }
    free((void *)c.l);
    if (st)
        senti_posthoc_free(out);
    return st;
}

/* The linear parameters of a fitted model (beta = 1/T, w, b, a, c). */
static void pack_params(const senti_posthoc *c, double *theta)
{
    if (c->method == SENTI_POSTHOC_TEMPERATURE) {
        theta[0] = 1.0 / c->temperature;
    } else if (c->method == SENTI_POSTHOC_VECTOR) {
        for (int j = 0; j < c->k; j++) {
            theta[j] = c->w[j];
            if (j > 0)
                theta[c->k + j - 1] = c->b[j];
        }
    } else {
        theta[0] = c->w[0];
        theta[1] = c->b[0];
    }
}

senti_status senti_posthoc_apply(const senti_posthoc *c, const double *prob, size_t n, int k,
                                 double *out, senti_err *err)
{
    if (!c || k != c->k || !c->w)
        return senti_err_set(err, SENTI_ERR_ARG, "posthoc: fitted for %d labels, data has %d",
                             c ? c->k : 0, k);
    if (c->method == SENTI_POSTHOC_TEMPERATURE && !(c->temperature > 0 && isfinite(c->temperature)))
        return senti_err_set(err, SENTI_ERR_ARG, "posthoc: the temperature must be positive and finite, not %g",
                             c->temperature);
    double theta[2 * k], l[k], z[k > 2 ? k : 2];
    pack_params(c, theta);
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < k; j++) {
            l[j] = score_of(prob[i * (size_t)k + (size_t)j]);
        }
        scores(c->method, k, theta, l, z);
        softmax_inplace(z, k);
        memcpy(out + i * (size_t)k, z, (size_t)k * sizeof *z);
    }
    return SENTI_OK;
}

void senti_posthoc_free(senti_posthoc *c)
{
    if (!c)
        return;
    free(c->w);
    free(c->b);
    c->w = c->b = NULL;
}
