/*
 * check_shard.c - work units of sharded and MPI runs (src/11-experiment/shard.c,
 * senti/shard.h): the plan of tests/data/scale/small.json cut by hand, the
 * split into shards (contiguous, balanced by rows, every unit exactly once),
 * the gathering of score caches (senti_score_cache_import_dir), and the last
 * step of an MPI classify: a run over a cache the units filled, with
 * cache_is_work, writes a plain run's predictions and manifest byte for byte.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "senti/scorecache.h"
#include "senti/shard.h"
#include "testutil.h"

/* small.json: 70 demo rows; cells zs.none, zs.contextual (same score group as
 * zs.none: no units), fs.s3, fs.s4. */
START_TEST(test_plan)
{
    senti_experiment *x;
    senti_err e;
    ck_assert_msg(senti_experiment_load(tu_data_path("scale/small.json"), &x, &e) == SENTI_OK, "%s", e.msg);
    senti_work_plan p;
    ck_assert_msg(senti_work_plan_build(x, 64, &p, &e) == SENTI_OK, "%s", e.msg);
    static const senti_work_unit want[] = {{0, 0, 64}, {0, 64, 70}, {2, 0, 64}, {2, 64, 70}, {3, 0, 64}, {3, 64, 70}};
    ck_assert_uint_eq(p.n, 6);
    ck_assert_uint_eq(p.n_rows, 210);
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(!memcmp(&p.units[i], &want[i], sizeof want[i]), "unit %zu: cell %zu rows %zu..%zu", i,
                      p.units[i].cell, p.units[i].row_begin, p.units[i].row_end);
    senti_work_plan_free(&p);
    ck_assert_int_eq(senti_work_plan_build(x, 128, &p, &e), SENTI_OK);
    ck_assert_uint_eq(p.n, 3);
    ck_assert_uint_eq(p.units[1].cell, 2);
    ck_assert_uint_eq(p.units[1].row_end, 70);
    senti_work_plan_free(&p);
    ck_assert_int_eq(senti_work_plan_build(x, 100, &p, &e), SENTI_ERR_ARG); /* not on the row groups */
    ck_assert_msg(strstr(e.msg, "multiple of 64") != NULL, "%s", e.msg);
    ck_assert_int_eq(senti_work_plan_build(x, 0, &p, &e), SENTI_ERR_ARG);
    senti_experiment_free(x);
}
END_TEST

/* Units of 64, 6, 64, 6, 64, 6 rows start at rows 0, 64, 70, 134, 140, 204 of
 * 210: unit -> shard floor(start * N / 210). */
START_TEST(test_shard_split)
{
    senti_work_unit u[] = {{0, 0, 64}, {0, 64, 70}, {2, 0, 64}, {2, 64, 70}, {3, 0, 64}, {3, 64, 70}};
    senti_work_plan p = {u, 6, 210};
    size_t a, b;
    senti_work_plan_shard(&p, 0, 2, &a, &b); /* 0, 64 (128/210 = 0), 70 (140/210 = 0) */
    ck_assert_uint_eq(a, 0);
    ck_assert_uint_eq(b, 3);
    senti_work_plan_shard(&p, 1, 2, &a, &b); /* a cell cut between the shards */
    ck_assert_uint_eq(a, 3);
    ck_assert_uint_eq(b, 6);
    senti_work_plan_shard(&p, 1, 3, &a, &b); /* 70*3/210 = 1, 134*3/210 = 1.91 */
    ck_assert_uint_eq(a, 2);
    ck_assert_uint_eq(b, 4);
    for (size_t n = 1; n <= 12; n++) { /* every unit in exactly one shard, in order */
        size_t next = 0;
        for (size_t i = 0; i < n; i++) {
            senti_work_plan_shard(&p, i, n, &a, &b);
            ck_assert_uint_eq(a, next);
            ck_assert_uint_le(a, b);
            next = b;
        }
        ck_assert_uint_eq(next, 6);
    }
    senti_work_plan empty = {NULL, 0, 0};
    senti_work_plan_shard(&empty, 0, 2, &a, &b);
    ck_assert_uint_eq(a, 0);
    ck_assert_uint_eq(b, 0);
}
END_TEST

static void put(const char *dir, const char *sha, const char *text, double v)
{
    senti_score_cache *c;
    senti_err e;
    uint8_t k[32];
    double s[2] = {v, -2.385};
    ck_assert_msg(senti_score_cache_open(dir, sha, &c, &e) == SENTI_OK, "%s", e.msg);
    senti_score_cache_key(c, text, strlen(text), "x", 1, "a|b", k);
    ck_assert_int_eq(senti_score_cache_put(c, k, 2, s, 7, &e), SENTI_OK);
    senti_score_cache_close(c);
}

/* The score of `text` in dir's cache (NAN when absent). */
static double get(const char *dir, const char *sha, const char *text)
{
    senti_score_cache *c;
    senti_err e;
    uint8_t k[32];
    double s[2] = {NAN, NAN};
    ck_assert_int_eq(senti_score_cache_open(dir, sha, &c, &e), SENTI_OK);
    senti_score_cache_key(c, text, strlen(text), "x", 1, "a|b", k);
    senti_score_cache_get(c, k, 2, s, NULL);
    senti_score_cache_close(c);
    return s[0];
}

START_TEST(test_cache_gather)
{
    char a[] = "/tmp/senti-ga-XXXXXX", b[] = "/tmp/senti-gb-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(a));
    ck_assert_ptr_nonnull(mkdtemp(b));
    const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    put(a, sha, "row one", -0.123456789012345);
    put(a, sha, "row two", -1.5);
    put(b, sha, "row two", -9.25); /* already there: kept */
    senti_err e;
    size_t added = 99;
    ck_assert_msg(senti_score_cache_import_dir(b, a, &added, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(added, 1);
    ck_assert(get(b, sha, "row one") == -0.123456789012345); /* bit-exact */
    ck_assert(get(b, sha, "row two") == -9.25);
    ck_assert_int_eq(senti_score_cache_import_dir(b, a, &added, &e), SENTI_OK); /* idempotent */
    ck_assert_uint_eq(added, 0);
    ck_assert_int_eq(senti_score_cache_import_dir(b, "/tmp/senti-no-such-dir", &added, &e), SENTI_OK);
    ck_assert_uint_eq(added, 0);
    char path[256];
    snprintf(path, sizeof path, "%s/%s.scores", a, sha);
    remove(path);
    rmdir(a);
    snprintf(path, sizeof path, "%s/%s.scores", b, sha);
    remove(path);
    rmdir(b);
}
END_TEST

/* classify_file: run p, then read its output and manifest back (owned). */
static void classify_file(senti_classify_params p, const char *out, senti_classify_summary *sum, char **csv,
                          char **manifest)
{
    char mpath[512];
    senti_err e = {0};
    p.output_path = out;
    ck_assert_msg(senti_classify_run(&p, sum, &e) == SENTI_OK, "%s", e.msg);
    snprintf(mpath, sizeof mpath, "%s.manifest.json", out);
    ck_assert_ptr_nonnull(*csv = tu_read_file(out, NULL));
    ck_assert_ptr_nonnull(*manifest = tu_read_file(mpath, NULL));
    remove(out);
    remove(mpath);
}

/* 100 demo rows with contextual calibration: units [0, 64) and [64, end)
 * into a cache, then the whole run from it. With cache_is_work its counts
 * are a plain run's (tokens decoded, no prompts from the cache), so the
 * manifest has the same bytes; without it, the hits are counted as such. */
START_TEST(test_cache_is_work)
{
    char dir[] = "/tmp/senti-ciw-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    senti_classify_params p = senti_classify_default_params();
    p.model_path = tu_model_path(TU_SMOLLM2);
    p.verbalizer_path = "verbalizers/demo.json";
    p.input_path = "datasets/demo.csv";
    p.calib = SENTI_CALIB_CONTEXTUAL;
    p.n_threads = 1;
    senti_classify_summary s0, s1, s2, su;
    senti_err e = {0};
    char *out = tu_tmpfile(".csv"), *csv0, *man0, *csv1, *man1, *csv2, *man2;
    classify_file(p, out, &s0, &csv0, &man0);
    ck_assert_uint_eq(s0.n_rows, 100);
    senti_classify_params u = p;
    u.score_cache_dir = dir;
    u.row_end = 64;
    ck_assert_msg(senti_classify_run(&u, &su, &e) == SENTI_OK, "%s", e.msg);
    u.row_begin = 64, u.row_end = 0;
    ck_assert_msg(senti_classify_run(&u, &su, &e) == SENTI_OK, "%s", e.msg);
    p.score_cache_dir = dir;
    p.cache_is_work = true;
    classify_file(p, out, &s1, &csv1, &man1);
    ck_assert_uint_eq(s1.n_cached, 0);
    ck_assert_uint_eq(s1.n_tokens, s0.n_tokens);
    ck_assert_str_eq(csv1, csv0);
    ck_assert_str_eq(man1, man0);
    p.cache_is_work = false;
    classify_file(p, out, &s2, &csv2, &man2);
    ck_assert_str_eq(csv2, csv0);
    ck_assert_uint_ge(s2.n_cached, 100); /* every row, and the content-free prompts */
    ck_assert_uint_lt(s2.n_tokens, s0.n_tokens);
    free(csv0), free(man0), free(csv1), free(man1), free(csv2), free(man2);
    free(out);
    char path[512];
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

Suite *shard_suite(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_plan);
    tcase_add_test(tc, test_shard_split);
    tcase_add_test(tc, test_cache_gather);
    suite_add_tcase(s, tc);
    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 600);
    tcase_add_test(model, test_cache_is_work);
    suite_add_tcase(s, model);
    return s;
}
