/*
 * check_scorer.c - label word scoring with KV-cache reuse.
 *
 * Reference: the same log-probabilities computed the plain way, one fresh
 * context per word, decoding prefix + row + word in one pass and summing the
 * full-vocabulary log-softmax at each of the word's positions. The scorer's
 * cached prefix, first-token shortcut and branches must agree with it.
 * Aggregation and softmax are checked against hand-computed values.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "senti/model.h"
#include "senti/scorer.h"
#include "senti/tokenizer.h"
#include "testutil.h"

static senti_model *model;

static void load_model(void)
{
    senti_err e;
    ck_assert_msg(senti_model_load(tu_model_path(TU_SMOLLM2), NULL, &model, &e) == SENTI_OK, "%s", e.msg);
}

static void free_model(void) { senti_model_free(model); }

static int tok(const char *text, int flags, int32_t *ids, int cap)
{
    size_t n;
    senti_err e;
    ck_assert_msg(senti_tokenize(senti_model_tokenizer(model), text, strlen(text), flags, ids, (size_t)cap, &n,
                                 &e) == SENTI_OK, "%s", e.msg);
    return (int)n;
}

/* log P(word | prefix row) the plain way: one full decode, full log-softmax. */
static double reference_lp(const int32_t *pre, int np, const int32_t *row, int nr, const int32_t *w, int nw)
{
    int n = np + nr + nw;
    int n_vocab = senti_model_hparams(model)->n_vocab;
    int32_t *all = malloc((size_t)n * sizeof *all);
    int *pos = malloc((size_t)nw * sizeof *pos);
    float *logits = malloc((size_t)nw * (size_t)n_vocab * sizeof *logits);
    memcpy(all, pre, (size_t)np * sizeof *all);
    memcpy(all + np, row, (size_t)nr * sizeof *all);
    memcpy(all + np + nr, w, (size_t)nw * sizeof *all);
    for (int i = 0; i < nw; i++)
        pos[i] = np + nr - 1 + i;
    senti_context *ctx;
    senti_err e;
    ck_assert_int_eq(senti_context_new(model, 512, &ctx, &e), SENTI_OK);
    senti_outputs out = {.n_out = nw, .pos = pos, .logits = logits};
    ck_assert_msg(senti_decode(ctx, all, n, &out, &e) == SENTI_OK, "%s", e.msg);
    double lp = 0.0;
    for (int i = 0; i < nw; i++) {
        float *row_logits = logits + (size_t)i * (size_t)n_vocab;
        senti_log_softmax(row_logits, n_vocab);
        lp += row_logits[w[i]];
    }
    senti_context_free(ctx);
    free(all);
    free(pos);
    free(logits);
    return lp;
}

/* A scorer for `lw` on a fresh context, with `pre` decoded as its prefix. */
static senti_scorer *scorer_after(const senti_label_words *lw, const int32_t *pre, int np, senti_context **ctx)
{
    senti_scorer *sc;
    senti_err e;
    ck_assert_int_eq(senti_context_new(model, 512, ctx, &e), SENTI_OK);
    ck_assert_msg(senti_scorer_new(*ctx, lw, &sc, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_msg(senti_scorer_set_prefix(sc, pre, np, &e) == SENTI_OK, "%s", e.msg);
    return sc;
}

START_TEST(test_scorer_matches_plain_decoding)
{
    int32_t pre[128], row1[64], row2[64], wtok[3][16];
    int np = tok("Review: a gripping, beautifully acted film.\nSentiment: positive\n\n", SENTI_TOK_ADD_SPECIAL, pre, 128);
    int nr1 = tok("Review: dull, and far too long.\nSentiment:", 0, row1, 64);
    int nr2 = tok("Review: I laughed all the way through.\nSentiment:", 0, row2, 64);
    const char *words[3] = {" negative", " positive", " absolutely wonderful"};
    int nw[3], label_of[3] = {0, 1, 1}, off[4] = {0};
    int32_t flat[48];
    for (int j = 0; j < 3; j++) {
        nw[j] = tok(words[j], 0, wtok[j], 16);
        memcpy(flat + off[j], wtok[j], (size_t)nw[j] * sizeof *flat);
        off[j + 1] = off[j] + nw[j];
    }
    ck_assert_int_gt(nw[2], 1); /* the branch path is exercised */
    senti_label_words lw = {2, 3, label_of, off, flat};
    senti_context *ctx;
    senti_scorer *sc = scorer_after(&lw, pre, np, &ctx);
    senti_err e;
    double lp[3];
    for (int pass = 0; pass < 2; pass++) { /* pass 1: without prefix reuse */
        senti_scorer_set_reuse(sc, pass == 0);
        for (int r = 0; r < 2; r++) {
            const int32_t *row = r ? row2 : row1;
            int nr = r ? nr2 : nr1;
            ck_assert_msg(senti_scorer_score(sc, row, nr, lp, &e) == SENTI_OK, "%s", e.msg);
            int expect_tokens = nr + (nw[2] - 1) + (pass ? np : 0);
            ck_assert_int_eq(senti_scorer_last_tokens(sc), expect_tokens);
            for (int j = 0; j < 3; j++) {
                double ref = reference_lp(pre, np, row, nr, wtok[j], nw[j]);
                ck_assert_msg(fabs(lp[j] - ref) < 2e-3, "pass %d row %d word %d: %f vs %f", pass, r, j, lp[j], ref);
                ck_assert(lp[j] < 0.0);
            }
        }
    }
    senti_scorer_free(sc);
    senti_context_free(ctx);
}
END_TEST

/* senti_scorer_score_many packs single-token words' rows into multi-sequence
 * passes: the same log-probabilities as the plain way, rows of every length
 * (one longer than a small pack budget goes alone), tokens accounted per row. */
START_TEST(test_score_many_matches_plain_decoding)
{
    static const char *texts[] = {"Review: dull, and far too long.\nSentiment:",
                                  "Review: I laughed all the way through.\nSentiment:",
                                  "Review: meh.\nSentiment:",
                                  "Review: a sprawling, overlong, occasionally brilliant and often baffling epic that "
                                  "never quite decides what it wants to be, yet stays with you.\nSentiment:",
                                  "Review: great.\nSentiment:"};
    enum { NR = 5 };
    int32_t pre[128], rows[NR][64], wtok[2][16];
    int np = tok("Review: a gripping, beautifully acted film.\nSentiment: positive\n\n", SENTI_TOK_ADD_SPECIAL, pre, 128);
    int lens[NR], decoded[NR], label_of[2] = {0, 1}, off[3] = {0, 1, 2};
    const int32_t *rp[NR];
    for (int r = 0; r < NR; r++) {
        lens[r] = tok(texts[r], 0, rows[r], 64);
        rp[r] = rows[r];
    }
    ck_assert_int_eq(tok(" negative", 0, wtok[0], 16), 1);
    ck_assert_int_eq(tok(" positive", 0, wtok[1], 16), 1);
    int32_t flat[2] = {wtok[0][0], wtok[1][0]};
    senti_label_words lw = {2, 2, label_of, off, flat};
    senti_context *ctx;
    senti_scorer *sc = scorer_after(&lw, pre, np, &ctx);
    senti_err e;
    const int E = senti_model_hparams(model)->n_embd;
    float *hid = malloc((size_t)NR * E * sizeof *hid);
    for (int budget = 512; budget > 0; budget = budget == 512 ? 30 : 0) {
        senti_scorer_set_pack_tokens(sc, budget); /* 30: short rows pack, row 3 goes alone */
        double lp[NR * 2];
        ck_assert_msg(senti_scorer_score_many(sc, rp, lens, NR, NULL, lp, decoded, hid, &e) == SENTI_OK, "%s", e.msg);
        for (int r = 0; r < NR; r++) {
            ck_assert_int_eq(decoded[r], lens[r]);
            for (int j = 0; j < 2; j++) {
                double ref = reference_lp(pre, np, rows[r], lens[r], wtok[j], 1);
                ck_assert_msg(fabs(lp[r * 2 + j] - ref) < 2e-3, "budget %d row %d word %d: %f vs %f", budget, r, j,
                              lp[r * 2 + j], ref);
            }
        }
        ck_assert_int_gt(lens[3], 30);
        /* only some rows wanted: those come out bit for bit the same (same packs) */
        const bool need[NR] = {false, true, false, false, true};
        double lp2[NR * 2];
        for (int i = 0; i < NR * 2; i++)
            lp2[i] = 1.0; /* not a log-probability */
        ck_assert_msg(senti_scorer_score_many(sc, rp, lens, NR, need, lp2, decoded, NULL, &e) == SENTI_OK, "%s",
                      e.msg);
        for (int r = 0; r < NR; r++)
            for (int j = 0; j < 2; j++)
                if (need[r])
                    ck_assert(lp2[r * 2 + j] == lp[r * 2 + j]);
                else
                    ck_assert(lp2[r * 2 + j] == 1.0 || lp2[r * 2 + j] == lp[r * 2 + j]);
    }
    /* the cache still holds the prefix: a plain score afterwards agrees, and so
     * do the hidden states the packed pass returned for every row */
    double one[2];
    float *h1 = malloc((size_t)E * sizeof *h1);
    senti_scorer_set_hidden(sc, h1);
    for (int r = 0; r < NR; r++) {
        ck_assert_msg(senti_scorer_score(sc, rows[r], lens[r], one, &e) == SENTI_OK, "%s", e.msg);
        ck_assert(fabs(one[1] - reference_lp(pre, np, rows[r], lens[r], wtok[1], 1)) < 2e-3);
        for (int i = 0; i < E; i++)
            ck_assert_msg(fabsf(h1[i] - hid[(size_t)r * E + i]) < 1e-3f * (1.0f + fabsf(h1[i])),
                          "row %d hidden %d: %f vs %f", r, i, h1[i], hid[(size_t)r * E + i]);
    }
    senti_scorer_set_hidden(sc, NULL);
    free(h1);
    free(hid);
    senti_scorer_free(sc);
    senti_context_free(ctx);
}
END_TEST

/* Words of several tokens in packed passes: each row is followed by one
 * branch per multi-token word (two here, which must not see each other), all
 * in one pass; the same log-probabilities as the plain way, with and without
 * hidden states asked, and the rows' hidden states (not the branches') those
 * of the plain way. */
START_TEST(test_score_many_multi_token_words)
{
    static const char *texts[] = {"Review: dull, and far too long.\nSentiment:",
                                  "Review: I laughed all the way through.\nSentiment:", "Review: meh.\nSentiment:",
                                  "Review: great.\nSentiment:"};
    static const char *words[] = {" negative", " not good at all", " positive", " absolutely wonderful"};
    enum { NR = 4, NW = 4 };
    int32_t pre[128], rows[NR][64], wtok[NW][16], flat[64];
    int np = tok("Review: a gripping, beautifully acted film.\nSentiment: positive\n\n", SENTI_TOK_ADD_SPECIAL, pre, 128);
    int lens[NR], decoded[NR], label_of[NW] = {0, 0, 1, 1}, off[NW + 1] = {0}, nw[NW], branches = 0;
    const int32_t *rp[NR];
    for (int r = 0; r < NR; r++) {
        lens[r] = tok(texts[r], 0, rows[r], 64);
        rp[r] = rows[r];
    }
    for (int j = 0; j < NW; j++) {
        nw[j] = tok(words[j], 0, wtok[j], 16);
        memcpy(flat + off[j], wtok[j], (size_t)nw[j] * sizeof *flat);
        off[j + 1] = off[j] + nw[j];
        branches += nw[j] - 1;
    }
    ck_assert_int_gt(nw[1], 1);
    ck_assert_int_gt(nw[3], 1);
    senti_label_words lw = {2, NW, label_of, off, flat};
    senti_context *ctx;
    senti_scorer *sc = scorer_after(&lw, pre, np, &ctx);
    senti_err e;
    const int E = senti_model_hparams(model)->n_embd;
    float *hid = malloc((size_t)NR * E * sizeof *hid);
    for (int pass = 0; pass < 3; pass++) {
        /* 0: one pass; 1: a budget that packs the short rows and sends the
         * longest alone; 2: hidden states asked */
        senti_scorer_set_pack_tokens(sc, pass == 1 ? lens[1] + branches - 1 : 512);
        double lp[NR * NW];
        ck_assert_msg(senti_scorer_score_many(sc, rp, lens, NR, NULL, lp, decoded, pass == 2 ? hid : NULL, &e) ==
                          SENTI_OK,
                      "%s", e.msg);
        for (int r = 0; r < NR; r++) {
            ck_assert_int_eq(decoded[r], lens[r] + branches);
            for (int j = 0; j < NW; j++) {
                double ref = reference_lp(pre, np, rows[r], lens[r], wtok[j], nw[j]);
                ck_assert_msg(fabs(lp[r * NW + j] - ref) < 2e-3, "pass %d row %d word %d: %f vs %f", pass, r, j,
                              lp[r * NW + j], ref);
            }
        }
    }
    float *h1 = malloc((size_t)E * sizeof *h1);
    double one[NW];
    senti_scorer_set_hidden(sc, h1);
    for (int r = 0; r < NR; r++) {
        ck_assert_msg(senti_scorer_score(sc, rows[r], lens[r], one, &e) == SENTI_OK, "%s", e.msg);
        for (int i = 0; i < E; i++)
            ck_assert_msg(fabsf(h1[i] - hid[(size_t)r * E + i]) < 1e-3f * (1.0f + fabsf(h1[i])),
                          "row %d hidden %d: %f vs %f", r, i, h1[i], hid[(size_t)r * E + i]);
    }
    senti_scorer_set_hidden(sc, NULL);
    free(h1);
    free(hid);
    senti_scorer_free(sc);
    senti_context_free(ctx);
}
END_TEST

START_TEST(test_scorer_rejects_bad_words)
{
    int label_of[2] = {0, 0}, off[3] = {0, 1, 2};
    int32_t flat[2] = {10, 11};
    senti_label_words lw = {2, 2, label_of, off, flat}; /* label 1 has no word */
    senti_context *ctx;
    senti_scorer *sc;
    senti_err e;
    ck_assert_int_eq(senti_context_new(model, 64, &ctx, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_new(ctx, &lw, &sc, &e), SENTI_ERR_ARG);
    ck_assert(strstr(e.msg, "label 1 has no word"));
    int off2[3] = {0, 0, 2}; /* an empty word */
    int label2[2] = {0, 1};
    senti_label_words lw2 = {2, 2, label2, off2, flat};
    ck_assert_int_eq(senti_scorer_new(ctx, &lw2, &sc, &e), SENTI_ERR_ARG);
    /* a row too long for the context */
    senti_label_words ok = {2, 2, label2, off, flat};
    ck_assert_int_eq(senti_scorer_new(ctx, &ok, &sc, &e), SENTI_OK);
    int32_t row[80] = {0};
    double lp[2];
    ck_assert_int_eq(senti_scorer_score(sc, row, 80, lp, &e), SENTI_ERR_RANGE);
    senti_scorer_free(sc);
    senti_context_free(ctx);
}
END_TEST

/* Hand-computed: label 0 words lp {-1, -2} (1 and 2 tokens), label 1 word lp {-0.5} (3 tokens). */
START_TEST(test_aggregation)
{
    int label_of[3] = {0, 0, 1}, off[4] = {0, 1, 3, 6};
    int32_t flat[6] = {0};
    senti_label_words lw = {2, 3, label_of, off, flat};
    double lp[3] = {-1.0, -2.0, -0.5}, s[2], p[2];
    senti_label_scores(&lw, lp, SENTI_AGG_LOGSUMEXP, false, s);
    ck_assert_double_eq_tol(s[0], log(exp(-1.0) + exp(-2.0)), 1e-12); /* -0.686738... */
    ck_assert_double_eq_tol(s[1], -0.5, 1e-12);
    senti_label_scores(&lw, lp, SENTI_AGG_MEAN, false, s);
    ck_assert_double_eq_tol(s[0], -1.5, 1e-12);
    senti_label_scores(&lw, lp, SENTI_AGG_MAX, true, s);
    ck_assert_double_eq_tol(s[0], -1.0, 1e-12);       /* max(-1/1, -2/2) */
    ck_assert_double_eq_tol(s[1], -0.5 / 3.0, 1e-12);
    double sc2[2] = {-0.686738, -0.5};
    senti_label_softmax(sc2, 2, p);
    ck_assert_double_eq_tol(p[0], 1.0 / (1.0 + exp(-0.5 + 0.686738)), 1e-12);
    ck_assert_double_eq_tol(p[0] + p[1], 1.0, 1e-15);
    double big[2] = {1000.0, 999.0}; /* no overflow */
    senti_label_softmax(big, 2, p);
    ck_assert_double_eq_tol(p[0], 1.0 / (1.0 + exp(-1.0)), 1e-12);
    senti_agg a = SENTI_AGG_MAX;
    senti_err e = {0};
    ck_assert_int_eq(senti_agg_parse("mean", &a, &e), SENTI_OK);
    ck_assert_int_eq(a, SENTI_AGG_MEAN);
    ck_assert_int_eq(senti_agg_parse("median", &a, &e), SENTI_ERR_ARG);
    ck_assert_str_eq(e.msg, "unknown aggregation \"median\" (logsumexp, mean, max)");
    ck_assert_int_eq(a, SENTI_AGG_MEAN);
}
END_TEST

Suite *scorer_suite(void)
{
    Suite *s = suite_create("scorer");
    TCase *tc = tcase_create("model");
    /* a guard against hangs, not a speed test: the naive references take ~1-2 min of CPU, and CI machines
     * share their cores */
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, load_model, free_model);
    tcase_add_test(tc, test_scorer_matches_plain_decoding);
    tcase_add_test(tc, test_score_many_matches_plain_decoding);
    tcase_add_test(tc, test_score_many_multi_token_words);
    tcase_add_test(tc, test_scorer_rejects_bad_words);
    suite_add_tcase(s, tc);
    tc = tcase_create("math");
    tcase_add_test(tc, test_aggregation);
    suite_add_tcase(s, tc);
    return s;
}
