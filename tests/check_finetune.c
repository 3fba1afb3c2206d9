/*
 * check_finetune.c - the logistic-regression head (objective, gradient, fit,
 * file), LoRA adapter files, and the head adapter inside a classification
 * run on a tiny model.
 *
 * References: finite differences for the gradient; a hand-derived optimum
 * for a symmetric two-point problem (lambda w = 1 - sigmoid(2w)); a
 * separable problem that must be fitted perfectly; the head applied by hand
 * to features computed separately for the classify check.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/classify.h"
#include "senti/finetune.h"
#include "senti/predfile.h"
#include "testutil.h"

char *ft_tiny_model(int gemma, unsigned seed); /* check_backward.c */

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 65536.0;
}

START_TEST(test_logreg_gradient)
{
    enum { N = 7, D = 4, K = 3 };
    unsigned s = 9;
    double Z[N * D], th[K * D + K], g[K * D + K];
    int y[N] = {0, 2, 1, 1, 0, 2, 2};
    for (int i = 0; i < N * D; i++)
        Z[i] = 2 * urand(&s) - 1;
    for (int i = 0; i < K * D + K; i++)
        th[i] = 2.385 * (urand(&s) - 0.5);
    senti_logreg_loss(th, Z, y, N, D, K, 0.37, g);
    for (int i = 0; i < K * D + K; i++) {
        double keep = th[i], h = 1e-6;
        th[i] = keep + h;
        double fp = senti_logreg_loss(th, Z, y, N, D, K, 0.37, NULL);
        th[i] = keep - h;
        double fm = senti_logreg_loss(th, Z, y, N, D, K, 0.37, NULL);
        th[i] = keep;
        ck_assert_double_eq_tol(g[i], (fp - fm) / (2 * h), 1e-7);
    }
    /* zero parameters: loss = log K, penalty 0 */
    double zero[K * D + K] = {0};
    ck_assert_double_eq_tol(senti_logreg_loss(zero, Z, y, N, D, K, 5.0, NULL), log(3.0), 1e-12);
}
END_TEST

/* Two points x = -1 (label 0) and x = +1 (label 1), one feature (already
 * standardized: mean 0, sd 1). By symmetry b0 = b1 and W = (-w, w); the
 * objective is -log sigmoid(2w) + lambda w^2, whose optimum solves
 * lambda w = 1 - sigmoid(2w). */
START_TEST(test_head_hand_case)
{
    const double X[2] = {-1.0, 1.0}, lambda = 0.1;
    const int y[2] = {0, 1};
    double lo = 0, hi = 100; /* bisection on lambda w - (1 - sigmoid(2w)) */
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        double f = lambda * mid - (1.0 - 1.0 / (1.0 + exp(-2 * mid)));
        if (f > 0)
            hi = mid;
        else
            lo = mid;
    }
    double w = 0.5 * (lo + hi);
    senti_head_fit_params p = senti_head_fit_default_params();
    p.lambdas = &lambda;
    p.n_lambdas = 1;
    p.val_frac = 0;
    senti_head *h;
    senti_head_fit_info info;
    senti_err e;
    ck_assert_int_eq(senti_head_fit(X, y, 2, 1, 2, NULL, &p, &h, &info, &e), SENTI_OK);
    ck_assert_double_eq_tol(h->mean[0], 0.0, 1e-12);
    ck_assert_double_eq_tol(h->scale[0], 1.0, 1e-12);
    ck_assert_double_eq_tol(h->W[1] - h->W[0], 2 * w, 1e-5);
    ck_assert_double_eq_tol(h->b[1] - h->b[0], 0.0, 1e-6);
    double lp[2];
    senti_head_predict(h, &X[1], lp);
    ck_assert_double_eq_tol(exp(lp[1]), 1.0 / (1.0 + exp(-2 * w)), 1e-5);
    ck_assert_str_eq(h->labels[1], "1");
    senti_head_free(h);
}
END_TEST

/* Three Gaussian blobs far apart in 5-D: perfectly separable. */
static void blobs(double *X, int *y, int n, unsigned seed)
{
    for (int i = 0; i < n; i++) {
        y[i] = i % 3;
        for (int j = 0; j < 5; j++)
            X[i * 5 + j] = (j == y[i] ? 6.0 : 0.0) + 100.0 * (j == 4) + (urand(&seed) - 0.5);
    }
}

START_TEST(test_head_separable)
{
    enum { N = 60 };
    double X[N * 5];
    int y[N];
    blobs(X, y, N, 3);
    senti_head *h;
    senti_head_fit_info info;
    senti_err e;
    const char *labels[3] = {"neg", "neu", "pos"};
    ck_assert_int_eq(senti_head_fit(X, y, N, 5, 3, labels, NULL, &h, &info, &e), SENTI_OK);
    ck_assert_double_eq(info.train_acc, 1.0);
    ck_assert_uint_eq(info.n_val, 15); /* round(0.25 * 20) = 5 per class */
    ck_assert_uint_eq(info.n_train, 45);
    ck_assert_double_eq(info.val_acc[0], 1.0);
    /* fresh rows from the same blobs are classified right too */
    double X2[30 * 5];
    int y2[30];
    blobs(X2, y2, 30, 77);
    for (int i = 0; i < 30; i++) {
        double lp[3];
        senti_head_predict(h, X2 + i * 5, lp);
        int best = lp[1] > lp[0] ? 1 : 0;
        best = lp[2] > lp[best] ? 2 : best;
        ck_assert_int_eq(best, y2[i]);
    }
    /* the constant-ish offset feature is standardized, not ignored */
    ck_assert(h->scale[4] > 0.1 && h->scale[4] < 1.0);
    ck_assert_str_eq(h->labels[2], "pos");
    senti_head_free(h);
}
END_TEST

START_TEST(test_head_file)
{
    enum { N = 30 };
    double X[N * 5];
    int y[N];
    blobs(X, y, N, 5);
    senti_head *h, *h2;
    senti_err e;
    ck_assert_int_eq(senti_head_fit(X, y, N, 5, 3, NULL, NULL, &h, NULL, &e), SENTI_OK);
    h->features = SENTI_HEAD_FEAT_HIDDEN_SCORES;
    snprintf(h->model_sha256, sizeof h->model_sha256, "%s", "abc");
    char *path = tu_tmpfile(".json");
    ck_assert_int_eq(senti_head_save(h, path, &e), SENTI_OK);
    ck_assert_msg(senti_head_load(path, &h2, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(h2->features, SENTI_HEAD_FEAT_HIDDEN_SCORES);
    ck_assert_str_eq(h2->model_sha256, "abc");
    ck_assert_double_eq(h2->lambda, h->lambda);
    for (int i = 0; i < N; i++) {
        double a[3], b[3];
        senti_head_predict(h, X + i * 5, a);
        senti_head_predict(h2, X + i * 5, b);
        for (int k = 0; k < 3; k++)
            ck_assert_double_eq(a[k], b[k]); /* 17 significant digits: exact */
    }
    senti_head_free(h2);
    /* broken files are refused by name */
    const char *bad[] = {"{\"format\":\"other\"}", "[1,2]",
                         "{\"format\":\"senti-head\",\"version\":1,\"features\":\"hidden\",\"n_features\":1,"
                         "\"labels\":[\"a\",\"b\"],\"mean\":[0],\"scale\":[0],\"weights\":[[1],[2]],\"bias\":[0,0]}",
                         "{\"format\":\"senti-head\",\"version\":1,\"features\":\"hidden\",\"n_features\":2,"
                         "\"labels\":[\"a\",\"b\"],\"mean\":[0],\"scale\":[1],\"weights\":[[1],[2]],\"bias\":[0,0]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        ck_assert_int_ne(senti_head_load(path, &h2, &e), SENTI_OK);
        ck_assert_ptr_null(h2);
        ck_assert_ptr_nonnull(strstr(e.msg, path));
    }
    remove(path);
    free(path);
    senti_head_free(h);
}
END_TEST

START_TEST(test_lora_file)
{
    char *mpath = ft_tiny_model(0, 4242u), *apath = tu_tmpfile(".gguf");
    senti_model *m;
    senti_lora *a, *b;
    senti_err e;
    unsigned t;
    ck_assert_int_eq(senti_lora_targets_parse("q,v,mlp", &t, &e), SENTI_OK);
    ck_assert_uint_eq(t, SENTI_LORA_Q | SENTI_LORA_V | SENTI_LORA_GATE | SENTI_LORA_UP | SENTI_LORA_DOWN);
    ck_assert_int_eq(senti_lora_targets_parse("q,x", &t, &e), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_model_load(mpath, NULL, &m, &e), SENTI_OK);
    ck_assert_int_eq(senti_lora_new(m, 3, 6.0f, SENTI_LORA_Q | SENTI_LORA_DOWN, 11, &a, &e), SENTI_OK);
    for (int i = 0; i < 16 * 3; i++)
        a->B[6][i] = 0.01f * (float)i; /* layer 0 down: B [16][3] */
    ck_assert_int_eq(senti_lora_save(a, apath, &e), SENTI_OK);
    ck_assert_msg(senti_lora_load(apath, m, &b, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(b->rank, 3);
    ck_assert_float_eq(b->alpha, 6.0f);
    ck_assert_uint_eq(b->targets, SENTI_LORA_Q | SENTI_LORA_DOWN);
    ck_assert_ptr_null(b->A[1]);
    ck_assert_int_eq(memcmp(a->A[0], b->A[0], 3 * 16 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(a->B[6], b->B[6], 16 * 3 * sizeof(float)), 0);
    /* tensor names follow the documented scheme */
    senti_gguf *g;
    ck_assert_int_eq(senti_gguf_open(apath, &g, &e), SENTI_OK);
    ck_assert_ptr_nonnull(senti_gguf_find_tensor(g, "blk.1.attn_q.weight.lora_a"));
    ck_assert_ptr_nonnull(senti_gguf_find_tensor(g, "blk.0.ffn_down.weight.lora_b"));
    ck_assert_uint_eq(senti_gguf_n_tensors(g), 8);
    senti_gguf_close(g);
    senti_lora_free(b);
    /* a model file is not an adapter */
    ck_assert_int_eq(senti_lora_load(mpath, m, &b, &e), SENTI_ERR_FORMAT);
    senti_lora_free(a);
    senti_model_free(m);
    remove(apath);
    remove(mpath);
    free(apath);
    free(mpath);
}
END_TEST

/* Head features on the tiny model, a fitted head, then senti classify
 * --adapter: its probabilities equal the head applied to the features. */
START_TEST(test_head_in_classify)
{
    char *mpath = ft_tiny_model(0, 99u), *vpath = tu_tmpfile(".json"), *cpath = tu_tmpfile(".csv");
    char *hpath = tu_tmpfile(".json"), *opath = tu_tmpfile(".csv");
    FILE *f = fopen(vpath, "w");
    fputs("{\"labels\":{\"0\":[\"bad\"],\"1\":[\"good\"]},\"template\":\"Review: {text}\\nSentiment:\"}", f);
    fclose(f);
    const char *rows[] = {"abc", "zzz", "good cab", "bad day", "dig", "fed", "hi", "jk"};
    f = fopen(cpath, "w");
    fputs("text,label\n", f);
    for (int i = 0; i < 8; i++)
        fprintf(f, "%s,%d\n", rows[i], i % 2);
    fclose(f);
    senti_model *m;
    senti_verbalizer *v;
    senti_examples *ex;
    senti_err e;
    ck_assert_int_eq(senti_model_load(mpath, NULL, &m, &e), SENTI_OK);
    ck_assert_int_eq(senti_verbalizer_load(vpath, &v, &e), SENTI_OK);
    ck_assert_int_eq(senti_examples_load(cpath, NULL, &ex, &e), SENTI_OK);
    double *X;
    int *y, d;
    senti_ft_prompt_params pp = senti_ft_prompt_default_params();
    ck_assert_msg(senti_head_features_compute(m, v, &pp, ex, SENTI_HEAD_FEAT_HIDDEN_SCORES, &X, &y, &d, NULL, NULL,
                                              &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(d, 16 + 2);
    ck_assert_int_eq(y[3], 1);
    senti_head *h;
    const char *labels[2] = {"0", "1"};
    ck_assert_int_eq(senti_head_fit(X, y, 8, d, 2, labels, NULL, &h, NULL, &e), SENTI_OK);
    h->features = SENTI_HEAD_FEAT_HIDDEN_SCORES;
    ck_assert_int_eq(senti_head_save(h, hpath, &e), SENTI_OK);
    senti_classify_params p = senti_classify_default_params();
    p.model = m;
    p.verbalizer_path = vpath;
    p.input_path = cpath;
    p.output_path = opath;
    p.adapter_path = hpath;
    senti_classify_summary sum;
    ck_assert_msg(senti_classify_run(&p, &sum, &e) == SENTI_OK, "%s", e.msg);
    senti_predfile pf;
    ck_assert_msg(senti_predfile_read(opath, NULL, &pf, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(pf.n, 8);
    for (int i = 0; i < 8; i++) {
        double lp[2];
        senti_head_predict(h, X + i * d, lp);
        ck_assert_double_eq_tol(pf.prob[i * 2 + 1], exp(lp[1]), 1e-6);
    }
    senti_predfile_free(&pf);
    senti_head_free(h);
    free(X);
    free(y);
    senti_examples_free(ex);
    senti_verbalizer_free(v);
    senti_model_free(m);
    const char *paths[] = {mpath, vpath, cpath, hpath, opath};
    for (int i = 0; i < 5; i++) {
        remove(paths[i]);
        free((void *)paths[i]);
    }
}
END_TEST

Suite *finetune_suite(void)
{
    Suite *s = suite_create("finetune");
    TCase *c = tcase_create("head");
    tcase_set_timeout(c, 30);
    tcase_add_test(c, test_logreg_gradient);
    tcase_add_test(c, test_head_hand_case);
    tcase_add_test(c, test_head_separable);
    tcase_add_test(c, test_head_file);
    tcase_add_test(c, test_lora_file);
    tcase_add_test(c, test_head_in_classify);
    suite_add_tcase(s, c);
    return s;
}
