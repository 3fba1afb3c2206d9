/*
 * check_base.c - the private helpers of src/00-base (base.h): string copy,
 * growing arrays, row argmax, and the atomic file writer (content in place only after
 * commit, old file kept on abort or failure, no temporary file left behind,
 * fopen's file mode, located errors) and "-" as the standard streams; and
 * the explicit choice of OpenBLAS's kernels (senti_blas_set_core, _tune).
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_cblas.h>

#include "00-base/base.h"
#include "testutil.h"

START_TEST(test_xstrdup)
{
    ck_assert_ptr_null(senti_xstrdup(NULL));
    char *s = senti_xstrdup("négatif");
    ck_assert_str_eq(s, "négatif");
    free(s);
}
END_TEST

START_TEST(test_grow)
{
    size_t cap = 0;
    int *a = senti_grow(NULL, &cap, 1, sizeof *a, 4); /* from nothing: the first size */
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(cap, 4);
    for (int i = 0; i < 4; i++)
        a[i] = i;
    ck_assert_ptr_eq(senti_grow(a, &cap, 4, sizeof *a, 4), a); /* room left: the same array */
    ck_assert_uint_eq(cap, 4);
    a = senti_grow(a, &cap, 5, sizeof *a, 4); /* doubled, contents kept */
    ck_assert_uint_eq(cap, 8);
    ck_assert_int_eq(a[3], 3);
    a = senti_grow(a, &cap, 100, sizeof *a, 4); /* more than double: what is needed */
    ck_assert_uint_eq(cap, 100);
    ck_assert_int_eq(a[0] + a[1] + a[2], 3);
    /* overflow of the byte count: NULL, the array and its capacity untouched */
    ck_assert_ptr_null(senti_grow(a, &cap, SIZE_MAX / 2, sizeof *a, 4));
    ck_assert_ptr_null(senti_grow(a, &cap, 101, SIZE_MAX / 64, 4));
    ck_assert_uint_eq(cap, 100);
    ck_assert_int_eq(a[2], 2);
    free(a);
}
END_TEST

START_TEST(test_argmax_row)
{
    const double a[] = {0.125, 0.5, 0.375}, tie[] = {0.25, 0.75, 0.75}, nan0[] = {NAN, 0.5};
    ck_assert_int_eq(senti_argmax_row(a, 3), 1);
    ck_assert_int_eq(senti_argmax_row(tie, 3), 1); /* ties: lowest index */
    ck_assert_int_eq(senti_argmax_row(a, 1), 0);
    ck_assert_int_eq(senti_argmax_row(nan0, 2), 0); /* NaN first: comparisons are false */
}
END_TEST

START_TEST(test_err_locate)
{
    senti_err e = {0};
    senti_err_set(&e, SENTI_ERR_FORMAT, "tokenizer.ggml.scores: want 3 values");
    ck_assert_int_eq(senti_err_locate(&e, SENTI_ERR_FORMAT, "m.gguf"), SENTI_ERR_FORMAT);
    ck_assert_str_eq(e.msg, "m.gguf: tokenizer.ggml.scores: want 3 values");
    senti_err_locate(&e, SENTI_ERR_FORMAT, "m.gguf"); /* already located: unchanged */
    ck_assert_str_eq(e.msg, "m.gguf: tokenizer.ggml.scores: want 3 values");
    ck_assert_int_eq(senti_err_locate(&e, SENTI_OK, "other"), SENTI_OK);
    ck_assert_str_eq(e.msg, "m.gguf: tokenizer.ggml.scores: want 3 values");
    memset(e.msg, 'x', sizeof e.msg - 1); /* a full message: the tail gives way */
    e.msg[sizeof e.msg - 1] = '\0';
    senti_err_locate(&e, SENTI_ERR_FORMAT, "m.gguf");
    ck_assert_uint_eq(strlen(e.msg), sizeof e.msg - 1);
    ck_assert(!strncmp(e.msg, "m.gguf: xxx", 11));
}
END_TEST

/* A fresh empty directory; caller removes it. */
static char *tmp_dir(void)
{
    char *d = tu_tmpfile("");
    ck_assert(remove(d) == 0 && mkdir(d, 0700) == 0);
    return d;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void write_plain(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert(fputs(text, f) >= 0 && fclose(f) == 0);
}

static void assert_file_is(const char *path, const char *want)
{
    char *got = tu_read_file(path, NULL);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_atomic_commit_abort)
{
    char *dir = tmp_dir(), path[4096];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    write_plain(path, "old\n");
    senti_err err = {0};
    senti_atomic_file a;
    /* while open, the final name still holds the old content */
    ck_assert_int_eq(senti_atomic_open(&a, path, &err), SENTI_OK);
    ck_assert(fputs("new 2.385\n", a.f) >= 0);
    ck_assert_uint_eq(count_entries(dir), 2);
    assert_file_is(path, "old\n");
    ck_assert_int_eq(senti_atomic_commit(&a, &err), SENTI_OK);
    assert_file_is(path, "new 2.385\n");
    ck_assert_uint_eq(count_entries(dir), 1);
    /* fopen's mode: 0666 minus the umask, not mkstemp's 0600 */
    mode_t um = umask(022);
    ck_assert_int_eq(senti_atomic_open(&a, path, &err), SENTI_OK);
    ck_assert_int_eq(senti_atomic_commit(&a, &err), SENTI_OK);
    struct stat st;
    ck_assert(stat(path, &st) == 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    umask(um);
    /* abort: the old content (now empty) stays, the temporary file goes */
    ck_assert_int_eq(senti_atomic_open(&a, path, &err), SENTI_OK);
    ck_assert(fputs("dropped\n", a.f) >= 0);
    senti_atomic_abort(&a);
    senti_atomic_abort(&a); /* a closed writer: no-op */
    ck_assert_int_eq(senti_atomic_commit(&a, &err), SENTI_OK);
    ck_assert_uint_eq(count_entries(dir), 1);
    ck_assert(stat(path, &st) == 0);
    ck_assert_int_eq(st.st_size, 0);
    remove(path);
    ck_assert(rmdir(dir) == 0);
    free(dir);
}
END_TEST

START_TEST(test_atomic_failures)
{
    char *dir = tmp_dir(), path[4096];
    senti_err err = {0};
    senti_atomic_file a;
    /* no such directory: a located error, nothing created */
    snprintf(path, sizeof path, "%s/missing/out.csv", dir);
    ck_assert_int_eq(senti_atomic_open(&a, path, &err), SENTI_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    ck_assert_ptr_null(a.f);
    /* the final name is a non-empty directory: rename fails at commit, the
     * temporary file is removed and the error names the path and the step */
    snprintf(path, sizeof path, "%s/taken", dir);
    ck_assert(mkdir(path, 0700) == 0);
    char inner[4200];
    snprintf(inner, sizeof inner, "%s/x", path);
    write_plain(inner, "x");
    ck_assert_int_eq(senti_atomic_open(&a, path, &err), SENTI_OK);
    ck_assert(fputs("content\n", a.f) >= 0);
    ck_assert_int_eq(senti_atomic_commit(&a, &err), SENTI_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    ck_assert_ptr_nonnull(strstr(err.msg, "rename"));
    ck_assert_uint_eq(count_entries(dir), 1);
    /* a write that failed before the commit (more than a buffer to /dev/full):
     * the reason is the device's, not a bare "Input/output error" */
    ck_assert_int_eq(senti_atomic_open(&a, "/dev/full", &err), SENTI_OK);
    for (int i = 0; i < 100000; i++)
        fputs("x", a.f);
    ck_assert(ferror(a.f));
    ck_assert_int_eq(senti_atomic_commit(&a, &err), SENTI_ERR_IO);
    ck_assert_msg(strstr(err.msg, "/dev/full: write failed: No space left on device"), "%s", err.msg);
    remove(inner);
    rmdir(path);
    ck_assert(rmdir(dir) == 0);
    free(dir);
}
END_TEST

/* Several files as one: all renamed into place, or (one failing at its flush:
 * /dev/full) none, every temporary file removed. */
START_TEST(test_atomic_commit_all)
{
    char *dir = tmp_dir(), a_path[4096], b_path[4096];
    snprintf(a_path, sizeof a_path, "%s/a.csv", dir);
    snprintf(b_path, sizeof b_path, "%s/b.json", dir);
    write_plain(a_path, "old a\n");
    senti_err err = {0};
    senti_atomic_file a, b, full, unused = {0};
    ck_assert_int_eq(senti_atomic_open(&a, a_path, &err), SENTI_OK);
    ck_assert_int_eq(senti_atomic_open(&b, b_path, &err), SENTI_OK);
    ck_assert_int_eq(senti_atomic_open(&full, "/dev/full", &err), SENTI_OK);
    ck_assert(fputs("new a\n", a.f) >= 0 && fputs("{}\n", b.f) >= 0 && fputs("lost\n", full.f) >= 0);
    senti_atomic_file *bad[] = {&a, &unused, &b, &full};
    ck_assert_int_eq(senti_atomic_commit_all(bad, 4, &err), SENTI_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/dev/full"));
    assert_file_is(a_path, "old a\n"); /* untouched, b never created, no temporary file left */
    ck_assert_uint_eq(count_entries(dir), 1);
    for (size_t i = 0; i < 4; i++)
        ck_assert(bad[i]->f == NULL && bad[i]->tmp == NULL && bad[i]->path == NULL);
    senti_atomic_abort(&a); /* cleared: a no-op */

    ck_assert_int_eq(senti_atomic_open(&a, a_path, &err), SENTI_OK);
    ck_assert_int_eq(senti_atomic_open(&b, b_path, &err), SENTI_OK);
    ck_assert(fputs("new a\n", a.f) >= 0 && fputs("{}\n", b.f) >= 0);
    senti_atomic_file *good[] = {&a, &unused, &b};
    ck_assert_int_eq(senti_atomic_commit_all(good, 3, &err), SENTI_OK);
    assert_file_is(a_path, "new a\n");
    assert_file_is(b_path, "{}\n");
    ck_assert_uint_eq(count_entries(dir), 2);
    remove(a_path);
    remove(b_path);
    ck_assert(rmdir(dir) == 0);
    free(dir);
}
END_TEST

/* "-": standard input read once and served to every open (several passes),
 * standard output written in place and left open, and two outputs on
 * standard output refused. */
START_TEST(test_standard_streams)
{
    char *dir = tmp_dir(), path[4096], buf[64];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    write_plain(path, "text,label\ngood,positive\n");
    ck_assert_ptr_nonnull(freopen(path, "r", stdin));
    for (int pass = 0; pass < 2; pass++) {
        FILE *f = senti_open_input("-");
        ck_assert_ptr_nonnull(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        ck_assert_str_eq(buf, "text,label\ngood,positive\n");
        fclose(f);
    }
    ck_assert_str_eq(senti_input_name("-"), "<stdin>");
    ck_assert_str_eq(senti_input_name(path), path);
    senti_atomic_file a;
    senti_err err = {0};
    ck_assert_int_eq(senti_atomic_open(&a, "-", &err), SENTI_OK);
    ck_assert_ptr_eq(a.f, stdout);
    ck_assert_int_eq(senti_atomic_commit(&a, &err), SENTI_OK);
    ck_assert_int_ne(fflush(stdout), EOF); /* still open */
    const senti_path_role two[] = {{"-", "predictions file"}, {"-", "JSON lines file"}};
    const senti_path_role in[] = {{"-", "input"}};
    ck_assert_int_eq(senti_check_outputs(two, 1, in, 1, &err), SENTI_OK);
    ck_assert_int_eq(senti_check_outputs(two, 2, in, 1, &err), SENTI_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err.msg, "predictions file and the JSON lines file would both go to standard output"));
    remove(path);
    ck_assert(rmdir(dir) == 0);
    free(dir);
}
END_TEST

/* max |C - A B^T| of one SGEMM on the current OpenBLAS core against a double reference. */
static double sgemm_error(void)
{
    enum { M = 37, N = 53, K = 96 };
    static float a[M * K], b[N * K], c[M * N];
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((i * 7919 % 211) - 105) / 64.0f;
    for (int i = 0; i < N * K; i++)
        b[i] = (float)((i * 104729 % 199) - 99) / 64.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
    double worst = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double ref = 0;
            for (int k = 0; k < K; k++)
                ref += (double)a[i * K + k] * b[j * K + k];
            worst = fmax(worst, fabs(ref - c[i * N + j]));
        }
    return worst;
}

/* The kernels are chosen in this process: the name OpenBLAS reports changes,
 * products stay right, the environment is as it was; a CPU without the
 * core's instructions or an unknown name is refused. Then the fallback that
 * Debian's OpenBLAS takes on CPUs it does not know is simulated (Prescott)
 * and senti_blas_tune replaces it with the core the CPU can run. */
START_TEST(test_blas_core)
{
    senti_err err;
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    ck_assert_str_ne(senti_blas_core(), "unknown");
    char orig[32]; /* put back at the end: without fork (make asan) later tests run on it */
    snprintf(orig, sizeof orig, "%s", senti_blas_core());
    ck_assert_int_eq(setenv("OPENBLAS_CORETYPE", "Atom", 1), 0);
    ck_assert_ptr_null(senti_blas_core_hint()); /* the user's choice wins */
    ck_assert_msg(senti_blas_set_core("Prescott", &err) == SENTI_OK, "%s", err.msg);
    ck_assert_str_eq(senti_blas_core(), "Prescott");
    ck_assert_str_eq(getenv("OPENBLAS_CORETYPE"), "Atom");
    ck_assert_msg(sgemm_error() < 1e-3, "Prescott kernels: error %g", sgemm_error());
    ck_assert_int_eq(senti_blas_set_core("Haswell", &err), avx2 ? SENTI_OK : SENTI_ERR_UNSUPPORTED);
    ck_assert_str_eq(senti_blas_core(), avx2 ? "Haswell" : "Prescott");
    ck_assert_msg(sgemm_error() < 1e-3, "%s kernels: error %g", senti_blas_core(), sgemm_error());
    ck_assert_int_eq(senti_blas_set_core("Zen", &err), avx2 ? SENTI_OK : SENTI_ERR_UNSUPPORTED);
    ck_assert_str_eq(senti_blas_core(), avx2 ? "Zen" : "Prescott");
    ck_assert_int_eq(senti_blas_set_core("SkylakeX", &err), avx512 ? SENTI_OK : SENTI_ERR_UNSUPPORTED);
    if (!avx512)
        ck_assert_ptr_nonnull(strstr(err.msg, "OpenBLAS core SkylakeX: this CPU lacks AVX-512"));
    ck_assert_int_eq(senti_blas_set_core("Pentium4", &err), SENTI_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(err.msg, "OpenBLAS core \"Pentium4\": expected Prescott"));
    ck_assert_int_eq(senti_blas_set_core(NULL, &err), SENTI_ERR_ARG);
    /* the fallback, then the repair senti and the test runner make at start */
    ck_assert_int_eq(senti_blas_set_core("Prescott", &err), SENTI_OK);
    ck_assert_int_eq(unsetenv("OPENBLAS_CORETYPE"), 0);
    const char *want = avx512 ? "SkylakeX" : avx2 ? "Haswell" : NULL;
    if (want) {
        ck_assert_str_eq(senti_blas_core_hint(), want);
        ck_assert_str_eq(senti_blas_tune(), want);
        ck_assert_str_eq(senti_blas_core(), want);
        ck_assert_ptr_null(getenv("OPENBLAS_CORETYPE"));
    } else {
        ck_assert_ptr_null(senti_blas_tune());
    }
    ck_assert_ptr_null(senti_blas_core_hint()); /* nothing left to repair */
    ck_assert_msg(sgemm_error() < 1e-3, "%s kernels: error %g", senti_blas_core(), sgemm_error());
    if (senti_blas_set_core(orig, &err) == SENTI_OK)
        ck_assert_str_eq(senti_blas_core(), orig);
}
END_TEST

Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("helpers");
    tcase_add_test(tc, test_xstrdup);
    tcase_add_test(tc, test_grow);
    tcase_add_test(tc, test_argmax_row);
    tcase_add_test(tc, test_err_locate);
    suite_add_tcase(s, tc);
    tc = tcase_create("atomic");
    tcase_add_test(tc, test_atomic_commit_abort);
    tcase_add_test(tc, test_atomic_failures);
    tcase_add_test(tc, test_atomic_commit_all);
    tcase_add_test(tc, test_standard_streams);
    suite_add_tcase(s, tc);
    tc = tcase_create("blas");
    tcase_add_test(tc, test_blas_core);
    suite_add_tcase(s, tc);
    return s;
}
