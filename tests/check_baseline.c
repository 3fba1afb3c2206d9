/*
 * check_baseline.c - the bow-logreg baseline (src/07-finetune/bow.c) against
 * scikit-learn: TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) +
 * LogisticRegression(C) fitted to convergence, probabilities in
 * tests/data/bow/sklearn.json (tools/gen_bow_fixture.py). The binary case
 * trains on the first 80 rows of the shared SST-2 train split.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "senti/baseline.h"
#include "senti/dataset.h"
#include "testutil.h"

#define TOL 1e-6

static json_t *fixture(const char *key)
{
    json_error_t je;
    json_t *root = json_load_file(tu_data_path("bow/sklearn.json"), 0, &je);
    ck_assert_msg(root != NULL, "fixture: %s", je.text);
    json_t *o = json_incref(json_object_get(root, key));
    json_decref(root);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* The first n rows of a shared SST-2 file: texts (caller frees each) and 0/1 labels. */
static size_t read_sst2(const char *file, size_t n, char **texts, int *labels)
{
    const char *path = tu_dataset_path(file);
    senti_dataset_params p = senti_dataset_default_params();
    p.text_col = "sentence";
    p.limit = n;
    senti_dataset *d;
    senti_err e;
    ck_assert_msg(senti_dataset_open(path, &p, &d, &e) == SENTI_OK, "%s", e.msg);
    senti_row r;
    bool have;
    size_t m = 0;
    while (senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have) {
        texts[m] = strndup(r.text, r.text_len);
        labels[m++] = r.label && !strcmp(r.label, "1");
    }
    senti_dataset_close(d);
    ck_assert_uint_eq(m, n);
    return m;
}

static double max_diff(const senti_bow *b, const char *const *texts, size_t n, const json_t *prob)
{
    double worst = 0.0, p[8];
    int k = senti_bow_n_labels(b);
    for (size_t i = 0; i < n; i++) {
        senti_bow_predict(b, texts[i], strlen(texts[i]), p);
        for (int j = 0; j < k; j++) {
            double d = fabs(p[j] - json_real_value(json_array_get(json_array_get(prob, i), (size_t)j)));
            worst = d > worst ? d : worst;
        }
    }
    return worst;
}

static void check_binary(const char *key)
{
    json_t *fx = fixture(key);
    size_t n_train = (size_t)json_integer_value(json_object_get(fx, "n_train"));
    size_t n_test = (size_t)json_integer_value(json_object_get(fx, "n_test"));
    char *train[128], *test[128];
    int y[128], y_test[128];
    read_sst2("sst2/train.csv", n_train, train, y);
    read_sst2("sst2/dev.csv", n_test, test, y_test);
    const char *names[] = {"0", "1"};
    senti_bow_params p = senti_bow_default_params();
    p.C = json_real_value(json_object_get(fx, "C"));
    senti_bow *b;
    senti_err e;
    ck_assert_msg(senti_bow_train((const char *const *)train, y, n_train, 2, names, &p, &b, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_bow_n_terms(b), (size_t)json_integer_value(json_object_get(fx, "n_terms")));
    double d = max_diff(b, (const char *const *)test, n_test, json_object_get(fx, "prob"));
    fprintf(stderr, "baseline %s: max |p - p_sklearn| = %.2e over %zu rows\n", key, d, n_test);
    ck_assert_msg(d < TOL, "%s: max |dp| %g", key, d);

    /* saved and loaded: the same probabilities, bit for bit */
    char *path = tu_tmpfile(".json");
    ck_assert_msg(senti_bow_save(b, path, &e) == SENTI_OK, "%s", e.msg);
    senti_bow *c;
    ck_assert_msg(senti_bow_load(path, &c, &e) == SENTI_OK, "%s", e.msg);
    for (size_t i = 0; i < n_test; i++) {
        double p1[2], p2[2];
        senti_bow_predict(b, test[i], strlen(test[i]), p1);
        senti_bow_predict(c, test[i], strlen(test[i]), p2);
        ck_assert(p1[0] == p2[0] && p1[1] == p2[1]);
    }
    senti_bow_free(c);
    remove(path);
    free(path);
    senti_bow_free(b);
    for (size_t i = 0; i < n_train; i++)
        free(train[i]);
    for (size_t i = 0; i < n_test; i++)
        free(test[i]);
    json_decref(fx);
}

START_TEST(test_binary_matches_sklearn) { check_binary("binary_C1"); check_binary("binary_C10"); }
END_TEST

START_TEST(test_multiclass_matches_sklearn)
{
    json_t *fx = fixture("multi_C3");
    json_t *tx = json_object_get(fx, "train_texts"), *ty = json_object_get(fx, "train_labels"),
           *labels = json_object_get(fx, "labels"), *te = json_object_get(fx, "test_texts");
    size_t n = json_array_size(tx), m = json_array_size(te);
    const char *texts[32], *names[3], *test[16];
    int y[32];
    for (int j = 0; j < 3; j++)
        names[j] = json_string_value(json_array_get(labels, (size_t)j));
    for (size_t i = 0; i < n; i++) {
        texts[i] = json_string_value(json_array_get(tx, i));
        const char *l = json_string_value(json_array_get(ty, i));
        y[i] = !strcmp(l, names[0]) ? 0 : !strcmp(l, names[1]) ? 1 : 2;
    }
    for (size_t i = 0; i < m; i++)
        test[i] = json_string_value(json_array_get(te, i));
    senti_bow_params p = senti_bow_default_params();
    p.C = json_real_value(json_object_get(fx, "C"));
    senti_bow *b;
    senti_err e;
    ck_assert_msg(senti_bow_train(texts, y, n, 3, names, &p, &b, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_bow_n_terms(b), (size_t)json_integer_value(json_object_get(fx, "n_terms")));
    double d = max_diff(b, test, m, json_object_get(fx, "prob"));
    fprintf(stderr, "baseline multi_C3: max |p - p_sklearn| = %.2e over %zu rows\n", d, m);
    ck_assert_msg(d < TOL, "multi: max |dp| %g", d);
    senti_bow_free(b);
    json_decref(fx);
}
END_TEST

/* C chosen by cross-validation: from the grid, deterministic for a seed. */
START_TEST(test_cv_choice_deterministic)
{
    char *train[128];
    int y[128];
    read_sst2("sst2/train.csv", 60, train, y);
    const char *names[] = {"0", "1"};
    static const double grid[] = {0.1, 1.0, 10.0};
    senti_bow_params p = senti_bow_default_params();
    p.grid = grid;
    p.n_grid = 3;
    senti_bow *a, *b;
    senti_err e;
    ck_assert_int_eq(senti_bow_train((const char *const *)train, y, 60, 2, names, &p, &a, &e), SENTI_OK);
    ck_assert_int_eq(senti_bow_train((const char *const *)train, y, 60, 2, names, &p, &b, &e), SENTI_OK);
    ck_assert(senti_bow_C(a) == 0.1 || senti_bow_C(a) == 1.0 || senti_bow_C(a) == 10.0);
    ck_assert(senti_bow_C(a) == senti_bow_C(b));
    ck_assert(isfinite(senti_bow_cv_accuracy(a)) && senti_bow_cv_accuracy(a) == senti_bow_cv_accuracy(b));
    ck_assert(senti_bow_cv_accuracy(a) >= 0.0 && senti_bow_cv_accuracy(a) <= 1.0);
    senti_bow_free(a);
    senti_bow_free(b);
    for (int i = 0; i < 60; i++)
        free(train[i]);
}
END_TEST

START_TEST(test_bad_input)
{
    const char *texts[] = {"good", "bad"}, *names[] = {"a", "b"};
    int y[] = {0, 2};
    senti_bow *b;
    senti_err e;
    ck_assert_int_eq(senti_bow_train(texts, y, 2, 2, names, NULL, &b, &e), SENTI_ERR_ARG);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(senti_bow_train(texts, y, 1, 2, names, NULL, &b, &e), SENTI_ERR_ARG);
    char *path = tu_tmpfile(".json");
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"senti-bow-logreg\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"terms\": [\"x\"],"
          " \"idf\": [1.0], \"coef\": [[0.5], [\"no\"]], \"intercept\": [0, 0]}", f);
    fclose(f);
    ck_assert_int_eq(senti_bow_load(path, &b, &e), SENTI_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(e.msg, "coef[1]: need 1 finite numbers"));
    ck_assert_int_eq(senti_bow_load("/nonexistent/bow.json", &b, &e), SENTI_ERR_IO);
    remove(path);
    free(path);
}
END_TEST

Suite *baseline_suite(void);
Suite *baseline_suite(void)
{
    Suite *s = suite_create("baseline");
    TCase *tc = tcase_create("bow");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_binary_matches_sklearn);
    tcase_add_test(tc, test_multiclass_matches_sklearn);
    tcase_add_test(tc, test_cv_choice_deterministic);
    tcase_add_test(tc, test_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
