/*
 * check_compare.c - McNemar (hand-computed and scipy), paired comparison of two
 * runs matched by id and many-run aggregation (numpy)
 * (tests/data/metrics/compare_ab.expected.json from tools/gen_metric_fixtures.py).
 * Post-hoc calibration is tested in check_calibrate.c.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/compare.h"
#include "testutil.h"

/* Hand-computed: b = 3, c = 10, n = 13: P[X <= 3] = (1 + 13 + 78 + 286) / 8192
 * = 378 / 8192, two-sided p = 756 / 8192. b = 1, c = 29, n = 30: P[X <= 1] =
 * (1 + 30) / 2^30, two-sided p = 62 / 2^30 (exact also at n >= 25: no
 * chi-square switch, which would give 8.2e-7 here). */
START_TEST(test_mcnemar_hand)
{
    senti_mcnemar r = senti_mcnemar_test(3, 10);
    ck_assert_uint_eq(r.b, 3);
    ck_assert_uint_eq(r.c, 10);
    ck_assert_double_eq_tol(r.p_value, 756.0 / 8192.0, 1e-14);
    r = senti_mcnemar_test(10, 3);
    ck_assert_double_eq_tol(r.p_value, 756.0 / 8192.0, 1e-14);
    r = senti_mcnemar_test(0, 0);
    ck_assert_double_eq(r.p_value, 1.0);
    r = senti_mcnemar_test(5, 5); /* symmetric: 2 * P[X <= 5] > 1, capped */
    ck_assert_double_eq(r.p_value, 1.0);
    r = senti_mcnemar_test(1, 29);
    ck_assert_double_eq_tol(r.p_value / (62.0 / 1073741824.0), 1.0, 1e-12);
}
END_TEST

START_TEST(test_mcnemar_scipy)
{
    json_t *exp = tu_load_json("metrics/compare_ab.expected.json");
    json_t *cases = json_object_get(exp, "mcnemar_cases"), *c;
    size_t i;
    json_array_foreach(cases, i, c)
    {
        size_t b = (size_t)json_integer_value(json_array_get(c, 0));
        size_t cc = (size_t)json_integer_value(json_array_get(c, 1));
        double want = json_number_value(json_array_get(c, 2));
        senti_mcnemar r = senti_mcnemar_test(b, cc);
        /* relative: the tails of large n are small numbers (GSL: ~1e-12 at n = 4300) */
        ck_assert_msg(fabs(r.p_value - want) <= 1e-10 * want, "McNemar(%zu, %zu) = %.17g, want %.17g",
                      b, cc, r.p_value, want);
    }
    json_decref(exp);
}
END_TEST

/* cmp_b is cmp_a's rows shuffled with other probabilities; matched by id. */
START_TEST(test_compare_runs)
{
    json_t *exp = tu_load_json("metrics/compare_ab.expected.json");
    senti_predfile a, b;
    tu_read_predfile("metrics/cmp_a.csv", &a);
    tu_read_predfile("metrics/cmp_b.csv", &b);
    senti_eval_params P = senti_eval_default_params();
    P.bootstrap = 200;
    senti_comparison c;
    senti_err err = {0};
    ck_assert_msg(senti_compare_runs(&a, &b, &P, &c, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_int_eq(c.matched_by_id, 1);
    ck_assert_uint_eq(c.mcnemar.b, json_integer_value(json_object_get(exp, "b")));
    ck_assert_uint_eq(c.mcnemar.c, json_integer_value(json_object_get(exp, "c")));
    ck_assert_double_eq_tol(c.mcnemar.p_value, tu_json_num(exp, "p"), 1e-12);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(exp, "diff"), key, v)
    {
        senti_metric m = SENTI_M_ACCURACY;
        ck_assert_int_eq(senti_metric_parse(key, &m, NULL), SENTI_OK);
        double d = c.value_b[m] - c.value_a[m];
        ck_assert_msg(fabs(d - json_number_value(v)) < 1e-9, "%s diff %g vs %g", key, d,
                      json_number_value(v));
        ck_assert(c.diff[m].lo <= c.diff[m].hi);
    }
    char line[512];
    senti_compare_verdict(&c, "A", "B", 0.05, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "verdict: "));
    /* A against itself: no discordant pairs, every difference exactly 0 */
    ck_assert(senti_compare_runs(&a, &a, &P, &c, &err) == SENTI_OK);
    ck_assert_double_eq(c.mcnemar.p_value, 1.0);
    ck_assert_double_eq(c.diff[SENTI_M_ACCURACY].lo, 0.0);
    ck_assert_double_eq(c.diff[SENTI_M_NLL].hi, 0.0);
    senti_compare_verdict(&c, "A", "A", 0.05, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "no significant difference"));
    senti_predfile_free(&a);
    senti_predfile_free(&b);
    json_decref(exp);
}
END_TEST

START_TEST(test_compare_refuses)
{
    senti_predfile a, b;
    senti_comparison c;
    senti_err err = {0};
    tu_read_predfile("metrics/cmp_a.csv", &a);
    tu_read_predfile("metrics/c3_200.csv", &b); /* other labels, other rows */
    ck_assert_int_eq(senti_compare_runs(&a, &b, NULL, &c, &err), SENTI_ERR_FORMAT);
    senti_predfile_free(&b);
    tu_read_predfile("metrics/calib_fit.csv", &b); /* same labels, 600 rows */
    ck_assert_int_eq(senti_compare_runs(&a, &b, NULL, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "rows"));
    senti_predfile_free(&b);
    /* same ids, one gold label changed */
    tu_read_predfile("metrics/cmp_a.csv", &b);
    b.gold[7] = (b.gold[7] + 1) % 3;
    ck_assert_int_eq(senti_compare_runs(&a, &b, NULL, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "gold labels differ"));
    free(b.ids[3]);
    b.ids[3] = strdup("nope");
    ck_assert_int_eq(senti_compare_runs(&a, &b, NULL, &c, &err), SENTI_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "is not in"));
    senti_predfile_free(&a);
    senti_predfile_free(&b);
}
END_TEST

START_TEST(test_aggregate)
{
    json_t *exp = tu_load_json("metrics/compare_ab.expected.json"), *ag = json_object_get(exp, "aggregate");
    json_t *vals = json_object_get(ag, "values"), *grp = json_object_get(ag, "groups");
    size_t n = json_array_size(vals);
    double *values = calloc(n * SENTI_M_COUNT, sizeof *values);
    const char *groups[16];
    for (size_t r = 0; r < n; r++) {
        for (int m = 0; m < SENTI_M_COUNT; m++)
            values[r * SENTI_M_COUNT + (size_t)m] = NAN;
        values[r * SENTI_M_COUNT + SENTI_M_ACCURACY] = json_number_value(json_array_get(vals, r));
        values[r * SENTI_M_COUNT + SENTI_M_NLL] = json_number_value(json_array_get(vals, r));
        groups[r] = json_string_value(json_array_get(grp, r));
    }
    senti_compare_group *g;
    size_t ng;
    ck_assert(senti_compare_aggregate(values, groups, n, &g, &ng, NULL) == SENTI_OK);
    ck_assert_uint_eq(ng, 2);
    for (size_t i = 0; i < ng; i++) {
        json_t *e = json_object_get(ag, g[i].group);
        ck_assert_ptr_nonnull(e);
        ck_assert_double_eq_tol(g[i].mean[SENTI_M_ACCURACY], tu_json_num(e, "mean"), 1e-12);
        ck_assert_double_eq_tol(g[i].sd[SENTI_M_ACCURACY], tu_json_num(e, "sd"), 1e-12);
        ck_assert_double_eq_tol(g[i].min[SENTI_M_ACCURACY], tu_json_num(e, "min"), 1e-15);
        ck_assert_double_eq_tol(g[i].max[SENTI_M_ACCURACY], tu_json_num(e, "max"), 1e-15);
        ck_assert_double_eq(g[i].worst[SENTI_M_ACCURACY], g[i].min[SENTI_M_ACCURACY]);
        ck_assert_double_eq(g[i].worst[SENTI_M_NLL], g[i].max[SENTI_M_NLL]);
        ck_assert(isnan(g[i].mean[SENTI_M_ECE]));
    }
    ck_assert_str_eq(g[0].group, "a");
    ck_assert_uint_eq(g[0].runs, 4);
    senti_compare_groups_free(g, ng);
    free(values);
    json_decref(exp);
}
END_TEST

Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("mcnemar");
    tcase_add_test(tc, test_mcnemar_hand);
    tcase_add_test(tc, test_mcnemar_scipy);
    suite_add_tcase(s, tc);
    tc = tcase_create("runs");
    tcase_add_test(tc, test_compare_runs);
    tcase_add_test(tc, test_compare_refuses);
    tcase_add_test(tc, test_aggregate);
    suite_add_tcase(s, tc);
    return s;
}
