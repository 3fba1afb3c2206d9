/*
 * check_calibrate.c - post-hoc calibration (src/09-eval/posthoc.c, senti/calibrate.h):
 * fits against scipy / scikit-learn (tests/data/metrics/calib.expected.json from
 * tools/gen_metric_fixtures.py), the fitted maps applied row by row against
 * their formulas written out here, method names, and refused arguments.
 */
#include <check.h>
#include <jansson.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/calibrate.h"
#include "senti/predfile.h"
#include "testutil.h"

/* Fits against scipy (temperature: bounded scalar search, xatol 1e-12; vector:
 * BFGS) and scikit-learn (unpenalised logistic regression for Platt). Both
 * sides stop at a tolerance, so parameters agree to ~1e-6 and the minimum NLL,
 * flat at the optimum, to ~1e-10. */
START_TEST(test_posthoc_fits)
{
    json_t *exp = tu_load_json("metrics/calib.expected.json");
    senti_predfile pf;
    tu_read_predfile("metrics/calib_fit.csv", &pf);
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_posthoc c;
    senti_err err = {0};
    ck_assert_msg(senti_posthoc_fit(SENTI_POSTHOC_TEMPERATURE, &in, &c, &err) == SENTI_OK, "%s",
                  err.msg);
    ck_assert_double_eq_tol(c.temperature, tu_json_num(exp, "temperature"), 1e-6);
    ck_assert_double_eq_tol(c.nll_after, tu_json_num(exp, "temperature_nll"), 1e-10);
    ck_assert_double_eq_tol(c.nll_before, tu_json_num(exp, "nll_before"), 1e-12);
    /* applying it: argmax unchanged, rows still sum to 1 */
    double *q = malloc(pf.n * 3 * sizeof *q);
    ck_assert(senti_posthoc_apply(&c, pf.prob, pf.n, 3, q, &err) == SENTI_OK);
    for (size_t i = 0; i < pf.n; i++) {
        double s = q[3 * i] + q[3 * i + 1] + q[3 * i + 2];
        ck_assert_double_eq_tol(s, 1.0, 1e-12);
    }
    free(q);
    senti_posthoc_free(&c);
    ck_assert(senti_posthoc_fit(SENTI_POSTHOC_VECTOR, &in, &c, &err) == SENTI_OK);
    ck_assert_double_eq_tol(c.nll_after, tu_json_num(exp, "vector_nll"), 1e-9);
    ck_assert_double_eq(c.b[0], 0.0);
    senti_posthoc_free(&c);
    ck_assert_int_eq(senti_posthoc_fit(SENTI_POSTHOC_PLATT, &in, &c, &err), SENTI_ERR_ARG);
    senti_predfile_free(&pf);

    tu_read_predfile("metrics/calib_bin.csv", &pf);
    in = (senti_eval_input){pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    ck_assert_msg(senti_posthoc_fit(SENTI_POSTHOC_PLATT, &in, &c, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_double_eq_tol(c.w[0], tu_json_num(exp, "platt_a"), 1e-5);
    ck_assert_double_eq_tol(c.b[0], tu_json_num(exp, "platt_b"), 1e-5);
    ck_assert(c.nll_after <= c.nll_before);
    senti_posthoc_free(&c);
    senti_predfile_free(&pf);
    json_decref(exp);
}
END_TEST

/* q = softmax(z) of one row, z[j] = scale[j] * log(p[j]) + shift[j], in double. */
static void softmax_scores(const double *p, const double *scale, const double *shift, int k, double *q)
{
    double z[8], mx = -INFINITY, sum = 0.0;
    for (int j = 0; j < k; j++) {
        z[j] = scale[j] * log(p[j] > 1e-300 ? p[j] : 1e-300) + shift[j];
        mx = z[j] > mx ? z[j] : mx;
    }
    for (int j = 0; j < k; j++)
        sum += exp(z[j] - mx);
    for (int j = 0; j < k; j++)
        q[j] = exp(z[j] - mx) / sum;
}

/* Each fitted map, applied by senti_posthoc_apply, is the formula of the
 * header's contract with the fitted parameters, on every row (in place too). */
START_TEST(test_apply_is_the_formula)
{
    senti_predfile pf;
    tu_read_predfile("metrics/calib_fit.csv", &pf);
    ck_assert_int_eq(pf.k, 3);
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_err err = {0};
    double *q = malloc(pf.n * 3 * sizeof *q), want[3];
    for (int m = SENTI_POSTHOC_TEMPERATURE; m <= SENTI_POSTHOC_VECTOR; m++) {
        senti_posthoc c;
        ck_assert_msg(senti_posthoc_fit((senti_posthoc_method)m, &in, &c, &err) == SENTI_OK, "%s", err.msg);
        ck_assert(senti_posthoc_apply(&c, pf.prob, pf.n, 3, q, &err) == SENTI_OK);
        const double invT = 1.0 / c.temperature;
        const double tw[3] = {invT, invT, invT}, zero[3] = {0, 0, 0};
        for (size_t i = 0; i < pf.n; i++) {
            if (m == SENTI_POSTHOC_TEMPERATURE)
                softmax_scores(pf.prob + 3 * i, tw, zero, 3, want);
            else
                softmax_scores(pf.prob + 3 * i, c.w, c.b, 3, want);
            for (int j = 0; j < 3; j++)
                ck_assert_double_eq_tol(q[3 * i + j], want[j], 1e-12);
        }
        /* in place gives the same numbers */
        double row[3];
        memcpy(row, pf.prob, sizeof row);
        ck_assert(senti_posthoc_apply(&c, row, 1, 3, row, &err) == SENTI_OK);
        for (int j = 0; j < 3; j++)
            ck_assert_double_eq(row[j], q[j]);
        /* fitted for 3 labels: 2 are refused, by name of both counts */
        ck_assert_int_eq(senti_posthoc_apply(&c, pf.prob, 1, 2, q, &err), SENTI_ERR_ARG);
        ck_assert_msg(strstr(err.msg, "fitted for 3 labels, data has 2") != NULL, "%s", err.msg);
        senti_posthoc_free(&c);
        senti_posthoc_free(&c); /* twice is harmless */
    }
    free(q);
    senti_predfile_free(&pf);

    /* platt: q_1 = sigmoid(a (l_1 - l_0) + c) */
    tu_read_predfile("metrics/calib_bin.csv", &pf);
    in = (senti_eval_input){pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_posthoc c;
    ck_assert_msg(senti_posthoc_fit(SENTI_POSTHOC_PLATT, &in, &c, &err) == SENTI_OK, "%s", err.msg);
    for (size_t i = 0; i < pf.n; i++) {
        double out[2];
        ck_assert(senti_posthoc_apply(&c, pf.prob + 2 * i, 1, 2, out, &err) == SENTI_OK);
        double l0 = log(pf.prob[2 * i] > 1e-300 ? pf.prob[2 * i] : 1e-300);
        double l1 = log(pf.prob[2 * i + 1] > 1e-300 ? pf.prob[2 * i + 1] : 1e-300);
        double q1 = 1.0 / (1.0 + exp(-(c.w[0] * (l1 - l0) + c.b[0])));
        ck_assert_double_eq_tol(out[1], q1, 1e-12);
        ck_assert_double_eq_tol(out[0] + out[1], 1.0, 1e-15);
    }
    senti_posthoc_free(&c);
    senti_predfile_free(&pf);
}
END_TEST

START_TEST(test_names_and_refusals)
{
    static const char *const names[] = {"temperature", "vector", "platt"};
    for (int m = 0; m < 3; m++) {
        ck_assert_str_eq(senti_posthoc_method_name((senti_posthoc_method)m), names[m]);
        senti_posthoc_method got = (senti_posthoc_method)-1;
        ck_assert_int_eq(senti_posthoc_method_parse(names[m], &got, NULL), SENTI_OK);
        ck_assert_int_eq(got, m);
    }
    ck_assert_ptr_null(senti_posthoc_method_name((senti_posthoc_method)3));
    senti_posthoc_method got;
    senti_err e;
    ck_assert_int_eq(senti_posthoc_method_parse("isotonic", &got, &e), SENTI_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(e.msg, "isotonic"));

    /* no probabilities to fit on */
    int gold[2] = {0, 1}, pred[2] = {0, 1};
    senti_eval_input in = {2, 2, gold, pred, NULL};
    senti_posthoc c;
    senti_err err = {0};
    ck_assert_int_ne(senti_posthoc_fit(SENTI_POSTHOC_TEMPERATURE, &in, &c, &err), SENTI_OK);
    ck_assert(err.msg[0] != '\0');
    ck_assert_int_eq(senti_posthoc_apply(NULL, NULL, 0, 2, NULL, &err), SENTI_ERR_ARG);
    senti_posthoc_free(NULL);
}
END_TEST

/* n identical binary rows scored (p, 1 - p) of which a fraction f has gold 0:
 * the best calibrated q_0 is f, so logit(p) / T = logit(f) and T is
 * logit(p) / logit(f) when f is on p's side of 1/2. When it is not (or f = 1/2),
 * a positive T can only flatten towards uniform and the fit is refused rather
 * than returning a negative T that would reverse every prediction. */
static senti_status fit_identical_rows(double p, int n0, int n1, senti_posthoc *c, senti_err *err)
{
    int n = n0 + n1, *gold = malloc((size_t)n * sizeof *gold), *pred = malloc((size_t)n * sizeof *pred);
    double *prob = malloc(2 * (size_t)n * sizeof *prob);
    ck_assert(gold && pred && prob);
    for (int i = 0; i < n; i++) {
        gold[i] = i < n0 ? 0 : 1;
        pred[i] = p >= 0.5 ? 0 : 1;
        prob[2 * i] = p;
        prob[2 * i + 1] = 1.0 - p;
    }
    senti_eval_input in = {(size_t)n, 2, gold, pred, prob};
    senti_status s = senti_posthoc_fit(SENTI_POSTHOC_TEMPERATURE, &in, c, err);
    free(gold), free(pred), free(prob);
    return s;
}

START_TEST(test_temperature_closed_form)
{
    senti_posthoc c;
    senti_err err = {0};
    ck_assert_msg(fit_identical_rows(0.9, 15, 5, &c, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_double_eq_tol(c.temperature, log(9.0) / log(3.0), 1e-6); /* = 2 */
    senti_posthoc_free(&c);
    ck_assert_msg(fit_identical_rows(0.6, 11, 9, &c, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_double_eq_tol(c.temperature, log(1.5) / log(11.0 / 9.0), 1e-6);
    senti_posthoc_free(&c);
    ck_assert_msg(fit_identical_rows(0.6, 19, 1, &c, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_double_eq_tol(c.temperature, log(1.5) / log(19.0), 1e-6); /* T < 1: sharpen */
    senti_posthoc_free(&c);
    /* gold 0 in 4 of 10 rows that all favour label 0; then exactly half */
    ck_assert_int_eq(fit_identical_rows(0.6, 4, 6, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "no finite temperature"));
    ck_assert_ptr_null(c.w);
    ck_assert_int_eq(fit_identical_rows(0.9, 5, 5, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_int_eq(fit_identical_rows(0.1, 5, 5, &c, &err), SENTI_ERR_FORMAT);
    /* exactly half, in sums whose rounding leans either way (5+5 and 500+500 rows) */
    ck_assert_int_eq(fit_identical_rows(0.9, 500, 500, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_int_eq(fit_identical_rows(0.7, 333, 333, &c, &err), SENTI_ERR_FORMAT);
    /* the favoured label always gold: the loss falls as T -> 0, no finite fit */
    ck_assert_int_eq(fit_identical_rows(0.9, 10, 0, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "always gold"));
}
END_TEST

/* Hard 0/1 probabilities (a tool rounding to 3 decimals): scores are clipped
 * at DBL_EPSILON, as the NLL metric clips them, so 5 confidently wrong rows
 * among 100 do not drown the 95 right ones (at 1e-300 the fit was refused as
 * "no better than chance"). The fitted T is the minimum of the NLL written out
 * here, and temperature never changes a prediction. */
START_TEST(test_temperature_hard_zeros)
{
    enum { N = 100 };
    int gold[N], pred[N];
    double prob[2 * N];
    for (int i = 0; i < N; i++) {
        gold[i] = i < 95 ? 0 : 1;
        pred[i] = 0;
        prob[2 * i] = i < 95 ? 0.999 : 1.0;
        prob[2 * i + 1] = i < 95 ? 0.001 : 0.0;
    }
    senti_eval_input in = {N, 2, gold, pred, prob};
    senti_posthoc c;
    senti_err err = {0};
    ck_assert_msg(senti_posthoc_fit(SENTI_POSTHOC_TEMPERATURE, &in, &c, &err) == SENTI_OK, "%s", err.msg);
    /* NLL(T) = 0.95 log(1 + e^(-r/T)) + 0.05 log(1 + e^(s/T)), r = log(999), s = log(1/eps) */
    const double r = log(999.0), sc = -log(DBL_EPSILON);
    double nll_at[3];
    for (int d = -1; d <= 1; d++) {
        double T = c.temperature * (1.0 + 1e-3 * d);
        nll_at[d + 1] = 0.95 * log1p(exp(-r / T)) + 0.05 * log1p(exp(sc / T));
    }
    ck_assert(nll_at[1] <= nll_at[0] && nll_at[1] <= nll_at[2]); /* a minimum */
    ck_assert_double_eq_tol(c.nll_after, nll_at[1], 1e-12);
    ck_assert(c.temperature > 1.0 && isfinite(c.temperature));
    double q[2 * N];
    ck_assert(senti_posthoc_apply(&c, prob, N, 2, q, &err) == SENTI_OK);
    for (int i = 0; i < N; i++)
        ck_assert(q[2 * i] > q[2 * i + 1]);
    /* a hand-set temperature that is not positive is refused */
    c.temperature = -1.0;
    ck_assert_int_eq(senti_posthoc_apply(&c, prob, N, 2, q, &err), SENTI_ERR_ARG);
    c.temperature = 0.0;
    ck_assert_int_eq(senti_posthoc_apply(&c, prob, N, 2, q, &err), SENTI_ERR_ARG);
    senti_posthoc_free(&c);
}
END_TEST

Suite *calibrate_suite(void)
{
    Suite *s = suite_create("calibrate");
    TCase *tc = tcase_create("posthoc");
    tcase_add_test(tc, test_posthoc_fits);
    tcase_add_test(tc, test_apply_is_the_formula);
    tcase_add_test(tc, test_names_and_refusals);
    tcase_add_test(tc, test_temperature_closed_form);
    tcase_add_test(tc, test_temperature_hard_zeros);
    suite_add_tcase(s, tc);
    return s;
}
