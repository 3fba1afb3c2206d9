/*
 * check_metrics.c - metrics against scikit-learn, netcal and NumPy references
 * (tests/data/metrics/NAME.expected.json, written by tools/gen_metric_fixtures.py),
 * plus a bootstrap replayed outside C. The predictions reader and its broken
 * files are tested in check_predfile.c.
 *
 * Tolerance: 1e-9 absolute on every metric (the references sum in a different
 * order, so bit equality is not expected; observed differences are ~1e-15).
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/metrics.h"
#include "senti/predfile.h"
#include "testutil.h"

#define TOL 1e-9

static const char *fixtures[] = {
    "bin_small",      "bin_500",        "bin_skewed",   "bin_5000",       "bin_edges",
    "c3_200",         "c3_pred_differs", "c3_no_pred",  "c5_300",         "c5_confident",
    "c5_lowconf",     "n1",             "one_class_gold", "one_class_pred", "ties_argmax",
    "ties_conf",      "extreme_01",     "classify_status", "foreign_cols", "quoted_labels",
    "c4_absent_class", "label_free",    "cmp_a",        "calib_fit",      "calib_test",
    "calib_bin",
};
#define N_FIXTURES ((int)(sizeof fixtures / sizeof fixtures[0]))

static json_t *load_expected(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "metrics/%s.expected.json", name);
    json_error_t je;
    json_t *j = json_load_file(tu_data_path(rel), 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", rel, je.text);
    return j;
}

/* A JSON number or null (= NaN). */
static double jnum(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void assert_close(double got, double want, const char *what, const char *name)
{
    if (isnan(want)) {
        ck_assert_msg(isnan(got), "%s %s: got %.17g, want NaN", name, what, got);
        return;
    }
    ck_assert_msg(fabs(got - want) <= TOL, "%s %s: got %.17g, want %.17g (diff %.3g)", name, what,
                  got, want, got - want);
}

static void read_fixture(const char *name, json_t *exp, senti_predfile *pf)
{
    senti_predfile_params P = senti_predfile_default_params();
    json_t *params = json_object_get(exp, "params");
    if (params) {
        P.gold_col = json_string_value(json_object_get(params, "gold_col"));
        P.pred_col = json_string_value(json_object_get(params, "pred_col"));
        P.prob_cols = json_string_value(json_object_get(params, "prob_cols"));
    }
    char rel[256];
    snprintf(rel, sizeof rel, "metrics/%s.csv", name);
    senti_err err = {0};
    senti_status st = senti_predfile_read(tu_data_path(rel), &P, pf, &err);
    ck_assert_msg(st == SENTI_OK, "%s: %s", name, err.msg);
}

static void check_metric_values(const char *name, json_t *want, const senti_metrics *m)
{
    for (int i = 0; i < SENTI_M_COUNT; i++) {
        json_t *v = json_object_get(want, senti_metric_name(i));
        ck_assert_msg(v != NULL, "%s: no expected %s", name, senti_metric_name(i));
        assert_close(m->value[i], jnum(v), senti_metric_name(i), name);
    }
}

static void check_details(const char *name, json_t *exp, const senti_metrics *m)
{
    size_t k = (size_t)m->k;
    json_t *conf = json_object_get(exp, "confusion"), *pc = json_object_get(exp, "per_class");
    for (size_t g = 0; g < k; g++)
        for (size_t p = 0; p < k; p++)
            ck_assert_uint_eq(m->confusion[g * k + p],
                              json_integer_value(json_array_get(json_array_get(conf, g), p)));
    for (size_t j = 0; j < k; j++) {
        json_t *c = json_array_get(pc, j);
        assert_close(m->per_class[j].precision, jnum(json_object_get(c, "precision")), "precision",
                     name);
        assert_close(m->per_class[j].recall, jnum(json_object_get(c, "recall")), "recall", name);
        assert_close(m->per_class[j].f1, jnum(json_object_get(c, "f1")), "f1", name);
        ck_assert_uint_eq(m->per_class[j].support, json_integer_value(json_object_get(c, "support")));
    }
    json_t *rel = json_object_get(exp, "reliability");
    for (int b = 0; rel && b < m->n_bins; b++) {
        json_t *r = json_array_get(rel, (size_t)b);
        ck_assert_uint_eq(m->reliability[b].count, json_integer_value(json_object_get(r, "count")));
        assert_close(m->reliability[b].confidence, jnum(json_object_get(r, "confidence")),
                     "bin confidence", name);
        assert_close(m->reliability[b].accuracy, jnum(json_object_get(r, "accuracy")),
                     "bin accuracy", name);
    }
    json_t *w = json_object_get(exp, "wilson95");
    assert_close(m->wilson_lo, jnum(json_array_get(w, 0)), "wilson lo", name);
    assert_close(m->wilson_hi, jnum(json_array_get(w, 1)), "wilson hi", name);
}

START_TEST(test_fixture)
{
    const char *name = fixtures[_i];
    json_t *exp = load_expected(name);
    senti_predfile pf;
    read_fixture(name, exp, &pf);
    ck_assert_uint_eq(pf.n, json_integer_value(json_object_get(exp, "n")));
    ck_assert_int_eq(pf.k, (int)json_integer_value(json_object_get(exp, "k")));
    json_t *labels = json_object_get(exp, "labels");
    for (int j = 0; j < pf.k; j++)
        ck_assert_str_eq(pf.labels[j], json_string_value(json_array_get(labels, (size_t)j)));
    if (json_object_get(exp, "n_skipped")) {
        ck_assert_uint_eq(pf.n_skipped, json_integer_value(json_object_get(exp, "n_skipped")));
        ck_assert_uint_eq(pf.first_skipped_row,
                          json_integer_value(json_object_get(exp, "first_skipped_row")));
    }
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_eval_params P = senti_eval_default_params();
    P.bootstrap = 0;
    senti_metrics m;
    senti_err err = {0};
    ck_assert_msg(senti_metrics_compute(&in, &P, &m, &err) == SENTI_OK, "%s", err.msg);
    check_metric_values(name, json_object_get(exp, "metrics"), &m);
    check_details(name, exp, &m);
    /* netcal cross-check: top-label ECE/MCE for k > 2; for two classes netcal
     * scores the positive-class probability, which is our class-wise ECE. */
    json_t *nc = json_object_get(exp, "netcal_ece");
    if (nc && pf.k > 2) {
        assert_close(m.value[SENTI_M_ECE], jnum(nc), "netcal ece", name);
        assert_close(m.value[SENTI_M_MCE], jnum(json_object_get(exp, "netcal_mce")), "netcal mce",
                     name);
    } else if (nc) {
        assert_close(m.value[SENTI_M_CLASSWISE_ECE], jnum(nc), "netcal ece (binary)", name);
    }
    senti_metrics_free(&m);
    /* The same with 10 bins for the binned metrics. */
    json_t *b10 = json_object_get(exp, "metrics_bins10");
    if (b10) {
        P.n_bins = 10;
        ck_assert(senti_metrics_compute(&in, &P, &m, &err) == SENTI_OK);
        const char *key;
        json_t *v;
        json_object_foreach(b10, key, v)
        {
            senti_metric id;
            ck_assert_int_eq(senti_metric_parse(key, &id, NULL), SENTI_OK);
            assert_close(m.value[id], jnum(v), key, name);
        }
        senti_metrics_free(&m);
    }
    senti_predfile_free(&pf);
    json_decref(exp);
}
END_TEST

/* ---- the 100 000-row case: generated by the splitmix64 recipe shared with
 * tools/gen_metric_fixtures.py, written as CSV and read back. ------------------- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void write_big(const char *path, size_t n, uint64_t seed)
{
    static const char *L[3] = {"neg", "neu", "pos"};
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fprintf(f, "id,gold,p_neg,p_neu,p_pos\n");
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t g = splitmix(&s) % 3, c[3], tot = 0;
        for (int j = 0; j < 3; j++)
            c[j] = 1 + splitmix(&s) % 1000;
        if (splitmix(&s) % 10 < 7)
            c[g] += splitmix(&s) % 3000;
        for (int j = 0; j < 3; j++)
            tot += c[j];
        fprintf(f, "%zu,%s", i, L[g]);
        for (int j = 0; j < 3; j++)
            fprintf(f, ",%.17g", (double)c[j] / (double)tot);
        fputc('\n', f);
    }
    fclose(f);
}

START_TEST(test_big_100k)
{
    json_t *exp = load_expected("big_100k");
    char *path = tu_tmpfile(".csv");
    write_big(path, 100000, 12345);
    senti_predfile pf;
    senti_err err = {0};
    ck_assert_msg(senti_predfile_read(path, NULL, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_uint_eq(pf.n, 100000);
    ck_assert_int_eq(pf.pred_from_file, 0);
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_eval_params P = senti_eval_default_params();
    P.bootstrap = 0;
    senti_metrics m;
    ck_assert(senti_metrics_compute(&in, &P, &m, &err) == SENTI_OK);
    check_metric_values("big_100k", json_object_get(exp, "metrics"), &m);
    check_details("big_100k", exp, &m);
    senti_metrics_free(&m);
    senti_predfile_free(&pf);
    remove(path);
    free(path);
    json_decref(exp);
}
END_TEST

/* ---- bootstrap --------------------------------------------------------------------- */

/* The bootstrap of bin_small (B = 200, seed 7) replayed in Python with numpy's
 * MT19937 and GSL's uniform_int rule, computing each metric on the explicitly
 * resampled rows: checks index sampling, the weighted evaluator and the
 * percentile rule in one go. */
START_TEST(test_bootstrap_replay)
{
    json_t *exp = load_expected("bin_small"), *bs = json_object_get(exp, "bootstrap");
    senti_predfile pf;
    read_fixture("bin_small", exp, &pf);
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_eval_prep *prep;
    senti_err err = {0};
    ck_assert(senti_eval_prep_new(&in, 15, &prep, &err) == SENTI_OK);
    senti_ci ci[SENTI_M_COUNT];
    ck_assert(senti_bootstrap_ci(prep, (int)json_integer_value(json_object_get(bs, "B")),
                                 (uint32_t)json_integer_value(json_object_get(bs, "seed")),
                                 jnum(json_object_get(bs, "level")), 2, ci, &err) == SENTI_OK);
    const char *key;
    json_t *v;
    int checked = 0;
    json_object_foreach(json_object_get(bs, "ci"), key, v)
    {
        senti_metric id;
        ck_assert_int_eq(senti_metric_parse(key, &id, NULL), SENTI_OK);
        assert_close(ci[id].lo, jnum(json_array_get(v, 0)), key, "bootstrap lo");
        assert_close(ci[id].hi, jnum(json_array_get(v, 1)), key, "bootstrap hi");
        checked++;
    }
    ck_assert_int_ge(checked, 10);
    senti_eval_prep_free(prep);
    senti_predfile_free(&pf);
    json_decref(exp);
}
END_TEST

/* Hand-computed: n = 2 rows, one right, one wrong. A resample has 0, 1 or 2
 * copies of the right row with probabilities 1/4, 1/2, 1/4, so accuracy
 * replicates are 0, 0.5, 1; over many resamples the 2.5% quantile is 0 and the
 * 97.5% quantile is 1, the mean about 0.5. All-correct data gives [1, 1]. */
START_TEST(test_bootstrap_hand)
{
    int gold[2] = {0, 1}, pred[2] = {0, 0};
    senti_eval_input in = {2, 2, gold, pred, NULL};
    senti_eval_prep *prep;
    ck_assert(senti_eval_prep_new(&in, 15, &prep, NULL) == SENTI_OK);
    senti_ci ci[SENTI_M_COUNT];
    ck_assert(senti_bootstrap_ci(prep, 4000, 99, 0.95, 1, ci, NULL) == SENTI_OK);
    ck_assert_double_eq(ci[SENTI_M_ACCURACY].lo, 0.0);
    ck_assert_double_eq(ci[SENTI_M_ACCURACY].hi, 1.0);
    /* sd of {0, .5, 1} with weights 1/4, 1/2, 1/4 is sqrt(1/8) = 0.3536 */
    ck_assert_double_eq_tol(ci[SENTI_M_ACCURACY].se, sqrt(0.125), 0.01);
    senti_eval_prep_free(prep);

    /* multiplicities: each resample draws exactly n rows */
    uint8_t w[37];
    unsigned sum = 0;
    senti_bootstrap_weights(37, 12345u, w);
    for (int i = 0; i < 37; i++)
        sum += w[i];
    ck_assert_uint_eq(sum, 37);

    int g3[3] = {1, 1, 0}, p3[3] = {1, 1, 0};
    in = (senti_eval_input){3, 2, g3, p3, NULL};
    ck_assert(senti_eval_prep_new(&in, 15, &prep, NULL) == SENTI_OK);
    ck_assert(senti_bootstrap_ci(prep, 50, 1, 0.9, 2, ci, NULL) == SENTI_OK);
    ck_assert_double_eq(ci[SENTI_M_ACCURACY].lo, 1.0);
    ck_assert_double_eq(ci[SENTI_M_ACCURACY].hi, 1.0);
    senti_eval_prep_free(prep);
}
END_TEST

/* The same seed gives the same intervals whatever the thread count. */
START_TEST(test_bootstrap_threads)
{
    json_t *exp = load_expected("c3_200");
    senti_predfile pf;
    read_fixture("c3_200", exp, &pf);
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_eval_prep *prep;
    ck_assert(senti_eval_prep_new(&in, 15, &prep, NULL) == SENTI_OK);
    senti_ci a[SENTI_M_COUNT], b[SENTI_M_COUNT];
    ck_assert(senti_bootstrap_ci(prep, 101, 5, 0.95, 1, a, NULL) == SENTI_OK);
    ck_assert(senti_bootstrap_ci(prep, 101, 5, 0.95, 2, b, NULL) == SENTI_OK);
    for (int m = 0; m < SENTI_M_COUNT; m++) {
        ck_assert(a[m].lo == b[m].lo || (isnan(a[m].lo) && isnan(b[m].lo)));
        ck_assert(a[m].hi == b[m].hi || (isnan(a[m].hi) && isnan(b[m].hi)));
    }
    senti_eval_prep_free(prep);
    senti_predfile_free(&pf);
    json_decref(exp);
}
END_TEST

/* Weights of 2 on every row give the same metrics as weights of 1, except
 * AURC: its discrete risk-coverage sum over 2n positions is not the one over n. */
START_TEST(test_weights_scale_free)
{
    json_t *exp = load_expected("c5_300");
    senti_predfile pf;
    read_fixture("c5_300", exp, &pf);
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_eval_prep *prep;
    ck_assert(senti_eval_prep_new(&in, 15, &prep, NULL) == SENTI_OK);
    uint8_t *w = malloc(pf.n);
    for (size_t i = 0; i < pf.n; i++)
        w[i] = 2;
    double a[SENTI_M_COUNT], b[SENTI_M_COUNT];
    ck_assert(senti_eval_prep_metrics(prep, NULL, a) == SENTI_OK);
    ck_assert(senti_eval_prep_metrics(prep, w, b) == SENTI_OK);
    for (int m = 0; m < SENTI_M_COUNT; m++)
        if (m != SENTI_M_AURC)
            assert_close(b[m], a[m], senti_metric_name(m), "weights x2");
    free(w);
    senti_eval_prep_free(prep);
    senti_predfile_free(&pf);
    json_decref(exp);
}
END_TEST

START_TEST(test_metric_names)
{
    senti_metric id = SENTI_M_COUNT;
    senti_err e = {0};
    for (int m = 0; m < SENTI_M_COUNT; m++) {
        ck_assert_int_eq(senti_metric_parse(senti_metric_name(m), &id, &e), SENTI_OK);
        ck_assert_int_eq(id, m);
    }
    ck_assert_int_eq(senti_metric_parse("nope", &id, &e), SENTI_ERR_ARG);
    ck_assert_str_eq(e.msg, "unknown metric \"nope\"");
    ck_assert_str_eq(senti_metric_name(SENTI_M_ECE_MASS), "ece_mass");
    ck_assert_int_eq(senti_metric_higher_is_better(SENTI_M_ACCURACY), 1);
    ck_assert_int_eq(senti_metric_higher_is_better(SENTI_M_NLL), 0);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("fixtures");
    tcase_add_loop_test(tc, test_fixture, 0, N_FIXTURES);
    tcase_add_test(tc, test_big_100k);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("bootstrap");
    tcase_add_test(tc, test_bootstrap_replay);
    tcase_add_test(tc, test_bootstrap_hand);
    tcase_add_test(tc, test_bootstrap_threads);
    tcase_add_test(tc, test_weights_scale_free);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_add_test(tc, test_metric_names);
    suite_add_tcase(s, tc);
    return s;
}
