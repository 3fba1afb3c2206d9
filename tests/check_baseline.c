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
#include "senti/finetune.h"
#include "senti/verbalizer.h"
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

/* Majority: counts / n for every text, ties to the first label in order. */
START_TEST(test_majority)
{
    const char *texts[] = {"a", "b", "c", "d", "e", "f"}, *names[] = {"neg", "neu", "pos"};
    int y[] = {1, 0, 1, 2, 1, 0};
    senti_baseline *b;
    senti_err e;
    ck_assert_int_eq(senti_baseline_train(SENTI_BASELINE_MAJORITY, texts, y, 6, 3, names, NULL, &b, &e), SENTI_OK);
    double p[3];
    senti_baseline_predict(b, "anything at all", 15, p);
    ck_assert(p[0] == 2.0 / 6 && p[1] == 3.0 / 6 && p[2] == 1.0 / 6);
    ck_assert_str_eq(senti_baseline_label(b, 1), "neu");
    ck_assert_int_eq(senti_baseline_get_method(b), SENTI_BASELINE_MAJORITY);
    ck_assert_ptr_null(senti_baseline_bow(b));
    senti_baseline_free(b);
    int tie[] = {1, 0, 0, 1}; /* 2 and 2: label 0 first; label 2 never seen: probability 0 */
    ck_assert_int_eq(senti_baseline_train(SENTI_BASELINE_MAJORITY, texts, tie, 4, 3, names, NULL, &b, &e), SENTI_OK);
    senti_baseline_predict(b, "", 0, p);
    ck_assert(p[0] == 0.5 && p[1] == 0.5 && p[2] == 0.0);
    senti_baseline_free(b);
    int bad[] = {0, 3};
    ck_assert_int_eq(senti_baseline_train(SENTI_BASELINE_MAJORITY, texts, bad, 2, 3, names, NULL, &b, &e), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_baseline_train(SENTI_BASELINE_MAJORITY, texts, tie, 0, 3, names, NULL, &b, &e), SENTI_ERR_ARG);
    senti_baseline_method m;
    ck_assert_int_eq(senti_baseline_method_parse("bow-logreg", &m, &e), SENTI_OK);
    ck_assert_int_eq(m, SENTI_BASELINE_BOW_LOGREG);
    ck_assert_int_eq(senti_baseline_method_parse("svm", &m, &e), SENTI_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(e.msg, "majority or bow-logreg"));
}
END_TEST

/* Saved and loaded adapters give the same probabilities, bit for bit, and keep their provenance. */
static void check_roundtrip(senti_baseline_method method, const char *const *texts, const int *y, size_t n,
                            const char *const *test, size_t m)
{
    const char *names[] = {"0", "1"};
    senti_bow_params bp = senti_bow_default_params();
    bp.C = 1.0;
    senti_baseline *b, *c;
    senti_err e;
    ck_assert_msg(senti_baseline_train(method, texts, y, n, 2, names, &bp, &b, &e) == SENTI_OK, "%s", e.msg);
    const char *from[] = {"neg", "pos", "bad"};
    const int to[] = {0, 1, 0}, out_of_range[] = {0, 2};
    ck_assert_int_eq(senti_baseline_set_label_map(b, from, out_of_range, 2, &e), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_baseline_find(b, "neg"), -1);
    const char *self[] = {"neg", "1"}; /* "1" is a label: mapping it would rewrite gold labels */
    ck_assert_int_eq(senti_baseline_set_label_map(b, self, to, 2, &e), SENTI_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(e.msg, "\"1\" is a label itself"));
    ck_assert_int_eq(senti_baseline_find(b, "neg"), -1);
    ck_assert_int_eq(senti_baseline_set_label_map(b, from, to, 3, &e), SENTI_OK);
    size_t rows[] = {3, 5, 8};
    senti_baseline_source src = {"train.csv", "ab12", 7, 16, rows, 3};
    char *path = tu_tmpfile(".json");
    ck_assert_msg(senti_baseline_save(b, &src, path, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(senti_baseline_probe(path), 1);
    ck_assert_msg(senti_baseline_load(path, &c, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(senti_baseline_get_method(c), method);
    ck_assert_int_eq(senti_baseline_n_labels(c), 2);
    /* the label map travels in the file; a label's own name still finds it */
    ck_assert_int_eq(senti_baseline_find(c, "neg"), 0);
    ck_assert_int_eq(senti_baseline_find(c, "pos"), 1);
    ck_assert_int_eq(senti_baseline_find(c, "bad"), 0);
    ck_assert_int_eq(senti_baseline_find(c, "1"), 1);
    ck_assert_int_eq(senti_baseline_find(c, "positive"), -1);
    for (size_t i = 0; i < m; i++) {
        double p1[2], p2[2];
        senti_baseline_predict(b, test[i], strlen(test[i]), p1);
        senti_baseline_predict(c, test[i], strlen(test[i]), p2);
        ck_assert(p1[0] == p2[0] && p1[1] == p2[1]);
    }
    json_t *o = json_load_file(path, 0, NULL), *t = json_object_get(o, "train");
    ck_assert_str_eq(json_string_value(json_object_get(o, "method")), senti_baseline_method_name(method));
    ck_assert_str_eq(json_string_value(json_object_get(t, "sha256")), "ab12");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "seed")), 7);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(t, "rows"), 2)), 8);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "label_map"), "pos")), "1");
    json_decref(o);
    senti_baseline_free(c);
    senti_baseline_free(b);
    remove(path);
    free(path);
}

START_TEST(test_adapter_roundtrip)
{
    char *train[128], *test[128];
    int y[128], yt[128];
    read_sst2("sst2/train.csv", 40, train, y);
    read_sst2("sst2/dev.csv", 30, test, yt);
    check_roundtrip(SENTI_BASELINE_BOW_LOGREG, (const char *const *)train, y, 40, (const char *const *)test, 30);
    check_roundtrip(SENTI_BASELINE_MAJORITY, (const char *const *)train, y, 40, (const char *const *)test, 30);
    for (int i = 0; i < 40; i++)
        free(train[i]);
    for (int i = 0; i < 30; i++)
        free(test[i]);
}
END_TEST

/* Bad adapter files: each a located SENTI_ERR_FORMAT, and the probe's answer. */
START_TEST(test_adapter_bad_files)
{
    static const struct {
        const char *text, *expect;
        int probe;
    } cases[] = {
        {"{\"format\": \"senti-majority\", \"version\": 1,\n \"labels\": [", ":2:", -1},
        {"{\"format\": \"senti-head\", \"version\": 1}", "format: not a baseline adapter", 0},
        {"{\"format\": \"senti-majority\", \"version\": 2, \"labels\": [\"a\", \"b\"], \"counts\": [1, 1]}",
         "version 1", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"counts\": [1, -1]}",
         "counts[1]: need a whole number", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"a\"], \"counts\": [1, 1]}",
         "labels[1]: \"a\" appears twice", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"counts\": [0, 0]}",
         "all zero", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"method\": \"bow-logreg\", \"labels\": [\"a\", \"b\"],"
         " \"counts\": [1, 0]}", "method: must be \"majority\"", 1},
        {"{\"format\": \"senti-bow-logreg\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"terms\": [\"x\"],"
         " \"idf\": [1.0], \"coef\": [[0.5], [\"x\"]], \"intercept\": [0, 0]}", "coef[1]: need 1 finite", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"counts\": [1, 0],"
         " \"label_map\": [\"x\"]}", "label_map: must be an object", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"counts\": [1, 0],"
         " \"label_map\": {\"x\": \"a\", \"y\": \"c\"}}", "label_map: \"y\" must name one", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"counts\": [1, 0],"
         " \"label_map\": {\"x\": 1}}", "label_map: \"x\" must name one", 1},
        {"{\"format\": \"senti-majority\", \"version\": 1, \"labels\": [\"a\", \"b\"], \"counts\": [1, 0],"
         " \"label_map\": {\"x\": \"a\", \"b\": \"a\"}}", "label_map: \"b\" is a label itself", 1},
        {"GGUF\3\0\0\0", "", 0},
    };
    char *path = tu_tmpfile(".json");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(cases[i].text, f);
        fclose(f);
        ck_assert_msg(senti_baseline_probe(path) == cases[i].probe, "case %zu: probe %d", i, senti_baseline_probe(path));
        if (cases[i].probe == 0 && !cases[i].expect[0])
            continue;
        senti_baseline *b = (senti_baseline *)1;
        senti_err e;
        ck_assert_msg(senti_baseline_load(path, &b, &e) == SENTI_ERR_FORMAT, "case %zu", i);
        ck_assert_ptr_null(b);
        ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, cases[i].expect), "case %zu: %s", i, e.msg);
    }
    ck_assert_int_eq(senti_baseline_probe("/nonexistent/a.json"), -1);
    remove(path);
    free(path);
}
END_TEST

/* The row draw: N per label in file order, deterministic for a seed, the
 * validation share split off per label, labels outside the verbalizer never used. */
START_TEST(test_select_rows)
{
    senti_dataset_params p = senti_dataset_default_params();
    p.text_col = "sentence";
    p.limit = 200;
    senti_examples *all;
    senti_verbalizer *v;
    senti_err e;
    ck_assert_msg(senti_examples_load(tu_dataset_path("sst2/train.csv"), &p, &all, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_msg(senti_verbalizer_load("verbalizers/sst2.json", &v, &e) == SENTI_OK, "%s", e.msg);
    size_t tr[200], va[200], tr2[200], va2[200], n_tr, n_va, n_tr2, n_va2, avail[2];
    ck_assert_int_eq(senti_ft_select_rows(all, v, 8, 5, 0.25, tr, &n_tr, va, &n_va, avail, &e), SENTI_OK);
    ck_assert_uint_eq(n_tr, 12);
    ck_assert_uint_eq(n_va, 4);
    ck_assert_uint_eq(avail[0] + avail[1], 200);
    size_t per[2] = {0, 0};
    for (size_t i = 0; i < n_tr; i++) {
        ck_assert(i == 0 || tr[i] > tr[i - 1]);
        per[senti_verbalizer_find(v, all->items[tr[i]].label)]++;
    }
    ck_assert(per[0] == 6 && per[1] == 6);
    ck_assert_int_eq(senti_ft_select_rows(all, v, 8, 5, 0.25, tr2, &n_tr2, va2, &n_va2, NULL, &e), SENTI_OK);
    ck_assert(n_tr2 == n_tr && !memcmp(tr, tr2, n_tr * sizeof *tr) && !memcmp(va, va2, n_va * sizeof *va));
    ck_assert_int_eq(senti_ft_select_rows(all, v, 8, 6, 0.25, tr2, &n_tr2, va2, &n_va2, NULL, &e), SENTI_OK);
    ck_assert(memcmp(tr, tr2, n_tr * sizeof *tr) != 0);
    ck_assert_int_eq(senti_ft_select_rows(all, v, 0, 1, 0.0, tr, &n_tr, va, &n_va, NULL, &e), SENTI_OK);
    ck_assert_uint_eq(n_tr, 200);
    ck_assert_uint_eq(n_va, 0);
    senti_verbalizer_free(v);
    senti_examples_free(all);
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
    tcase_add_test(tc, test_majority);
    tcase_add_test(tc, test_adapter_roundtrip);
    tcase_add_test(tc, test_adapter_bad_files);
    tcase_add_test(tc, test_select_rows);
    suite_add_tcase(s, tc);
    return s;
}
