/*
 * check_classify.c - whole classification runs against llama.cpp.
 *
 * tools/oracle/gen_classify.py scored the first 200 SST-2 dev rows with
 * llama.cpp, zero-shot and 4-shot, on the exact token ids senti built, and
 * stored the label distributions (tests/data/classify/). Here senti runs the
 * same configuration through the library API and must
 *   - build exactly the same prompt token ids (prompt, demonstrations, chat
 *     wrapping and tokenizer are all in that), and
 *   - give raw label distributions within CLASSIFY_TOL of llama.cpp's on the
 *     quantized file and within CLASSIFY_F32_TOL of llama.cpp's on an F32 copy
 *     of it, with the same predicted label wherever llama.cpp's margin exceeds
 *     the tolerance.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "senti/classify.h"
#include "testutil.h"

/* Against llama.cpp on the quantized file: both sides use the same weights;
 * llama.cpp rounds the matmuls' input activations to 8 bits and K/V to F16
 * (see tests/check_model.c), which moves log-odds by up to ~0.2 here; on a
 * two-label softmax a log-odds error e moves p by at most e/4. Against
 * llama.cpp on an F32 copy with an F32 KV cache (the *_f32 fixtures) both
 * compute in float32 from the same numbers: measured max 6e-6 (zero-shot) and
 * 2e-6 (4-shot). */
#define CLASSIFY_TOL 0.05
/* The 1.5B model (make check-large): the same 8-bit rounding through 28 layers
 * moves its label probabilities further; measured max 0.087 (zero-shot). */
#define CLASSIFY_TOL_LARGE 0.12
#define CLASSIFY_F32_TOL 1e-4

static json_t *load_lines(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    json_t *arr = json_array();
    json_error_t je;
    json_t *o;
    while ((o = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je)) != NULL)
        json_array_append_new(arr, o);
    fclose(f);
    *n = json_array_size(arr);
    return arr;
}

static void check_ids(json_t *want, json_t *got, const char *what, size_t row)
{
    ck_assert_msg(json_array_size(want) == json_array_size(got), "row %zu: %s: %zu ids, llama.cpp side has %zu",
                  row, what, json_array_size(got), json_array_size(want));
    for (size_t i = 0; i < json_array_size(want); i++)
        ck_assert_msg(json_integer_value(json_array_get(want, i)) == json_integer_value(json_array_get(got, i)),
                      "row %zu: %s: id %zu differs", row, what, i);
}

static json_t *load_fixture(const char *name, size_t *rows)
{
    char path[512];
    snprintf(path, sizeof path, "classify/%s.jsonl", name);
    size_t n_fx;
    json_t *fx = load_lines(tu_data_path(path), &n_fx);
    *rows = (size_t)json_integer_value(json_object_get(json_array_get(fx, 0), "rows"));
    ck_assert_msg(n_fx == *rows + 1, "%s: %zu lines for %zu rows", name, n_fx, *rows);
    return fx;
}

/* senti's parameters from a fixture's first line. */
static senti_classify_params params_from_head(json_t *head, size_t rows)
{
    senti_classify_params p = senti_classify_default_params();
    p.model_path = tu_model_path(json_string_value(json_object_get(head, "model")));
    p.verbalizer_path = json_string_value(json_object_get(head, "verbalizer"));
    p.input_path = tu_dataset_path("sst2/dev.csv");
    p.data.text_col = p.train_data.text_col = "sentence";
    p.data.limit = rows;
    p.n_threads = 2;
    json_t *opts = json_object_get(head, "options");
    for (size_t i = 0; i + 1 < json_array_size(opts); i += 2) {
        const char *k = json_string_value(json_array_get(opts, i)), *v = json_string_value(json_array_get(opts, i + 1));
        if (!strcmp(k, "--shots"))
            p.demos.shots = (size_t)atoi(v);
        else if (!strcmp(k, "--seed"))
            p.demos.seed = (uint64_t)atoll(v);
        else if (!strcmp(k, "--train"))
            p.train_path = tu_dataset_path("sst2/train.csv"); /* the only train file the generator uses */
        else
            ck_abort_msg("unknown option %s in fixture", k);
    }
    return p;
}

/* senti's rows (out: raw label distributions, pr: the scored prompts)
 * against one fixture. */
static void compare_rows(const char *name, json_t *fx, json_t *out, json_t *pr, size_t rows, double tol)
{
    size_t n_pr = json_array_size(pr);
    json_t *labels = json_object_get(json_array_get(fx, 0), "labels");
    double max_diff = 0.0;
    for (size_t r = 0; r < rows; r++) {
        json_t *want = json_array_get(fx, r + 1), *got = json_array_get(out, r);
        json_t *gp = json_array_get(pr, n_pr - rows + r); /* calibration prompts, if any, come first */
        check_ids(json_object_get(want, "prefix_ids"), json_object_get(gp, "prefix_ids"), "prefix", r + 1);
        check_ids(json_object_get(want, "suffix_ids"), json_object_get(gp, "suffix_ids"), "suffix", r + 1);
        json_t *wp = json_object_get(want, "p"), *raw = json_object_get(got, "raw_p");
        int want_best = 0, got_best = 0;
        double want_top = -1, got_top = -1, second = -1;
        for (size_t l = 0; l < json_array_size(labels); l++) {
            double a = json_real_value(json_array_get(wp, l));
            double b = json_real_value(json_object_get(raw, json_string_value(json_array_get(labels, l))));
            max_diff = fmax(max_diff, fabs(a - b));
            if (a > want_top) {
                second = want_top;
                want_top = a;
                want_best = (int)l;
            } else if (a > second) {
                second = a;
            }
            if (b > got_top) {
                got_top = b;
                got_best = (int)l;
            }
        }
        if (want_top - second > 2 * tol)
            ck_assert_msg(want_best == got_best, "%s row %zu: predicted label differs", name, r + 1);
    }
    fprintf(stderr, "classify %s: max |p - p_llama.cpp| = %.6f over %zu rows\n", name, max_diff, rows);
    ck_assert_msg(max_diff <= tol, "%s: max difference %.6f exceeds %g", name, max_diff, tol);
}

/* One senti run of fixture `name`'s settings, held to both oracles: `name`
 * (llama.cpp on the quantized file, within tol) and `name`_f32 (on an F32
 * copy, CLASSIFY_F32_TOL), which must describe the same run. */
static void run_fixture_tol(const char *name, double tol)
{
    char f32name[256];
    snprintf(f32name, sizeof f32name, "%s_f32", name);
    size_t rows, rows32;
    json_t *fx = load_fixture(name, &rows), *fx32 = load_fixture(f32name, &rows32);
    json_t *head = json_array_get(fx, 0), *head32 = json_array_get(fx32, 0);
    ck_assert_uint_eq(rows, rows32);
    ck_assert_msg(json_equal(json_object_get(head, "model"), json_object_get(head32, "model")) &&
                      json_equal(json_object_get(head, "options"), json_object_get(head32, "options")) &&
                      json_equal(json_object_get(head, "verbalizer"), json_object_get(head32, "verbalizer")),
                  "%s and %s describe different runs", name, f32name);

    senti_classify_params p = params_from_head(head, rows);
    char *jsonl = tu_tmpfile(".jsonl"), *prompts = tu_tmpfile(".jsonl");
    p.jsonl_path = jsonl;
    p.prompts_path = prompts;
    senti_classify_summary sum;
    senti_err e = {0};
    ck_assert_msg(senti_classify_run(&p, &sum, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(sum.n_rows, rows);

    size_t n_out, n_pr;
    json_t *out = load_lines(jsonl, &n_out), *pr = load_lines(prompts, &n_pr);
    ck_assert_uint_eq(n_out, rows);
    ck_assert_uint_ge(n_pr, rows);
    compare_rows(name, fx, out, pr, rows, tol);
    compare_rows(f32name, fx32, out, pr, rows, CLASSIFY_F32_TOL);
    json_decref(out);
    json_decref(pr);
    json_decref(fx);
    json_decref(fx32);
    unlink(jsonl);
    unlink(prompts);
    free(jsonl);
    free(prompts);
}

static void run_fixture(const char *name) { run_fixture_tol(name, CLASSIFY_TOL); }

START_TEST(test_sst2_zero_shot) { run_fixture("sst2_dev200_0shot_smollm2"); }
END_TEST

START_TEST(test_sst2_four_shot) { run_fixture("sst2_dev200_4shot_smollm2"); }
END_TEST

START_TEST(test_qwen05_zero_shot) { run_fixture("sst2_dev64_0shot_qwen05"); }
END_TEST

START_TEST(test_qwen05_four_shot) { run_fixture("sst2_dev64_4shot_qwen05"); }
END_TEST

START_TEST(test_qwen15)
{
    if (!tu_optional_model(TU_QWEN15, "classify qwen15"))
        return;
    run_fixture_tol("sst2_dev32_0shot_qwen15", CLASSIFY_TOL_LARGE);
    run_fixture_tol("sst2_dev32_4shot_qwen15", CLASSIFY_TOL_LARGE);
}
END_TEST


Suite *classify_suite(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("llama.cpp");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_sst2_zero_shot);
    tcase_add_test(tc, test_sst2_four_shot);
    suite_add_tcase(s, tc);
    TCase *qwen = tcase_create("qwen05");
    tcase_set_timeout(qwen, 900);
    tcase_add_test(qwen, test_qwen05_zero_shot);
    tcase_add_test(qwen, test_qwen05_four_shot);
    suite_add_tcase(s, qwen);
    TCase *large = tcase_create("large"); /* make check-large: CK_RUN_CASE=large */
    tcase_set_timeout(large, 1800);
    tcase_add_test(large, test_qwen15);
    suite_add_tcase(s, large);
    return s;
}
