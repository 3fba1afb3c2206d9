/*
 * check_backward.c - gradients of the training pass (src/07-finetune/train_kernels.c,
 * src/07-finetune/train.c) against central finite differences, and the training forward
 * against the inference forward (src/03-model/forward.c, written independently).
 *
 * Every kernel: f = sum_i r_i out_i for a fixed random r; the analytic
 * gradient is the backward pass fed with d out = r; the reference is
 * (f(x + h e_j) - f(x - h e_j)) / 2h per input element. The whole model:
 * tiny random llama and gemma3 GGUF files written with senti_gguf_write,
 * gradient of the label cross-entropy with respect to every LoRA factor.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "07-finetune/train_internal.h"
#include "senti/gguf_write.h"
#include "senti/quant.h"
#include "senti/scorer.h"
#include "testutil.h"

/* Shared with check_finetune.c: a tiny random model file (caller frees the
 * path): gemma 0 llama, 1 gemma3 with a sliding-window layer, 2 gemma3
 * without one and with a final logit soft-cap. */
char *ft_tiny_model(int gemma, unsigned seed);

/* ---- helpers ------------------------------------------------------------------------------ */

static unsigned rng_state = 12345u;
static float frand(void) /* uniform in [-1, 1), deterministic */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) / 8388608.0 - 1.0);
}
static void fill(float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * frand();
}

typedef double (*objective)(void);

/* Compare analytic gradient g of f w.r.t. x[0..n) with central differences. */
static void check_grad(float *x, size_t n, const float *g, objective f, double h, double tol, const char *what)
{
    double dd = 0.0, ff = 0.0; /* |g - fd|^2, |fd|^2 */
    for (size_t j = 0; j < n; j++) {
        float keep = x[j];
        x[j] = (float)(keep + h);
        double fp = f();
        x[j] = (float)(keep - h);
        double fm = f();
        x[j] = keep;
        double fd = (fp - fm) / (2.0 * h), err = fabs(fd - g[j]) / (1.0 + fabs(fd));
        dd += (fd - g[j]) * (fd - g[j]);
        ff += fd * fd;
        ck_assert_msg(err < tol, "%s: d/dx[%zu]: analytic %.6g vs finite difference %.6g", what, j, g[j], fd);
    }
    /* the whole vector too, relative to its size: small gradients would pass the test above */
    ck_assert_msg(ff < 1e-12 || sqrt(dd / ff) < 20 * tol, "%s: |g - fd| / |fd| = %.3g over %zu elements", what,
                  sqrt(dd / ff), n);
}

static double dotr(const float *a, const float *r, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * r[i];
    return s;
}

/* ---- RMSNorm ---------------------------------------------------------------------------------- */

enum { RT = 3, RN = 7 };
static float rn_x[RT * RN], rn_w[RN], rn_r[RT * RN];

static double f_rms(void)
{
    float out[RT * RN], rstd[RT];
    tk_rmsnorm_fwd(out, rstd, rn_x, rn_w, RT, RN, 1e-5f);
    return dotr(out, rn_r, RT * RN);
}

START_TEST(test_rmsnorm)
{
    fill(rn_x, RT * RN, 1.5f);
    fill(rn_w, RN, 1.0f);
    fill(rn_r, RT * RN, 1.0f);
    float out[RT * RN], rstd[RT], dx[RT * RN] = {0};
    tk_rmsnorm_fwd(out, rstd, rn_x, rn_w, RT, RN, 1e-5f);
    tk_rmsnorm_bwd(dx, rn_r, rn_x, rn_w, rstd, RT, RN);
    check_grad(rn_x, RT * RN, dx, f_rms, 1e-3, 2e-3, "rmsnorm");
}
END_TEST

/* ---- RoPE ---------------------------------------------------------------------------------------- */

enum { PT = 3, PH = 2, PD = 6 };
static float rp_x[PT * PH * PD], rp_r[PT * PH * PD], rp_cs[PT * 2], rp_sn[PT * 2];
static bool rp_neox;

static double f_rope(void)
{
    float y[PT * PH * PD];
    memcpy(y, rp_x, sizeof y);
    tk_rope(y, rp_cs, rp_sn, PT, PH, PD, 2, rp_neox, PH * PD, 1); /* rope_dim 4 < head_dim 6 */
    return dotr(y, rp_r, PT * PH * PD);
}

START_TEST(test_rope)
{
    for (int neox = 0; neox < 2; neox++) {
        rp_neox = neox;
        fill(rp_x, sizeof rp_x / sizeof *rp_x, 1.0f);
        fill(rp_r, sizeof rp_r / sizeof *rp_r, 1.0f);
        for (int i = 0; i < PT * 2; i++) {
            double th = 0.37 * (i + 1);
            rp_cs[i] = (float)cos(th);
            rp_sn[i] = (float)sin(th);
        }
        float g[PT * PH * PD];
        memcpy(g, rp_r, sizeof g);
        tk_rope(g, rp_cs, rp_sn, PT, PH, PD, 2, rp_neox, PH * PD, -1);
        check_grad(rp_x, PT * PH * PD, g, f_rope, 1e-2, 1e-3, neox ? "rope neox" : "rope interleaved");
    }
}
END_TEST

/* ---- attention ---------------------------------------------------------------------------------------- */

enum { AT = 5, AH = 4, AK = 2, AD = 3 };
static float at_q[AT * AH * AD], at_k[AT * AK * AD], at_v[AT * AK * AD], at_r[AT * AH * AD];
static int at_window;

static double f_attn(void)
{
    float out[AT * AH * AD], P[AH * AT * AT];
    tk_attn_fwd(out, P, at_q, at_k, at_v, AT, AH, AK, AD, 0.577f, at_window);
    return dotr(out, at_r, AT * AH * AD);
}

START_TEST(test_attention)
{
    for (at_window = 0; at_window <= 2; at_window += 2) {
        fill(at_q, sizeof at_q / sizeof *at_q, 1.0f);
        fill(at_k, sizeof at_k / sizeof *at_k, 1.0f);
        fill(at_v, sizeof at_v / sizeof *at_v, 1.0f);
        fill(at_r, sizeof at_r / sizeof *at_r, 1.0f);
        float out[AT * AH * AD], P[AH * AT * AT], scratch[AT * AT];
        float dq[AT * AH * AD], dk[AT * AK * AD], dv[AT * AK * AD];
        tk_attn_fwd(out, P, at_q, at_k, at_v, AT, AH, AK, AD, 0.577f, at_window);
        /* causal mask: the first position sees only itself */
        for (int h = 0; h < AH; h++)
            ck_assert_float_eq_tol(P[h * AT * AT], 1.0f, 1e-6f);
        tk_attn_bwd(dq, dk, dv, at_r, P, at_q, at_k, at_v, AT, AH, AK, AD, 0.577f, scratch);
        check_grad(at_q, AT * AH * AD, dq, f_attn, 1e-3, 3e-3, "attention dq");
        check_grad(at_k, AT * AK * AD, dk, f_attn, 1e-3, 3e-3, "attention dk");
        check_grad(at_v, AT * AK * AD, dv, f_attn, 1e-3, 3e-3, "attention dv");
    }
}
END_TEST

/* ---- SwiGLU / GELU-tanh ------------------------------------------------------------------------------ */

enum { GN = 11 };
static float gl_g[GN], gl_u[GN], gl_r[GN];
static bool gl_gelu;

static double f_glu(void)
{
    float h[GN];
    tk_glu_fwd(h, gl_g, gl_u, GN, gl_gelu);
    return dotr(h, gl_r, GN);
}

/* The inline exp used by softmax and the gates: against libm's expf (double
 * exp as the reference) over the whole useful range, and its clamped ends. */
START_TEST(test_fast_exp)
{
    double worst = 0.0;
    for (float x = -87.0f; x <= 88.0f; x += 0.001953125f * 7.0f) {
        double ref = exp((double)x), got = (double)senti_expf(x);
        double rel = fabs(got - ref) / ref;
        worst = rel > worst ? rel : worst;
    }
    ck_assert_msg(worst < 3e-7, "senti_expf relative error %g", worst);
    ck_assert(senti_expf(-1000.0f) >= 0.0f && senti_expf(-1000.0f) < 1e-37f);
    ck_assert(senti_expf(1000.0f) > 1e38f);
    ck_assert_float_eq(senti_expf(0.0f), 1.0f);
    /* the gates at a few points, against their textbook forms in double */
    const float xs[] = {-9.0f, -1.5f, -0.01f, 0.0f, 0.3f, 2.0f, 11.0f};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i], u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        ck_assert(fabs(senti_silu(xs[i]) - x / (1.0 + exp(-x))) < 1e-6 * (1.0 + fabs(x)));
        ck_assert(fabs(senti_gelu_tanh(xs[i]) - 0.5 * x * (1.0 + tanh(u))) < 1e-6 * (1.0 + fabs(x)));
    }
}
END_TEST

START_TEST(test_glu)
{
    for (int gelu = 0; gelu < 2; gelu++) {
        gl_gelu = gelu;
        fill(gl_g, GN, 3.0f);
        fill(gl_u, GN, 1.0f);
        fill(gl_r, GN, 1.0f);
        float dg[GN], du[GN];
        tk_glu_bwd(dg, du, gl_r, gl_g, gl_u, GN, gl_gelu);
        check_grad(gl_g, GN, dg, f_glu, 1e-3, 2e-3, gelu ? "gelu dg" : "silu dg");
        check_grad(gl_u, GN, du, f_glu, 1e-3, 2e-3, gelu ? "gelu du" : "silu du");
    }
    /* SiLU(1) = 1 / (1 + e^-1); GELU-tanh(1) from its formula, by hand */
    float g1 = 1.0f, u1 = 1.0f, h;
    tk_glu_fwd(&h, &g1, &u1, 1, false);
    ck_assert_float_eq_tol(h, 0.7310586f, 1e-6f);
    tk_glu_fwd(&h, &g1, &u1, 1, true);
    ck_assert_float_eq_tol(h, 0.8411920f, 1e-6f);
}
END_TEST

/* ---- linear with LoRA (frozen F32 or Q8_0 weight) ------------------------------------------------------- */

enum { LT = 3, LI = 32, LO = 5, LR = 2 };
static float ln_x[LT * LI], ln_A[LR * LI], ln_B[LO * LR], ln_r[LT * LO], ln_w32[LO * LI];
static uint8_t ln_wq[LO * 34];
static senti_mat ln_W;
static tk_weight ln_w;

static double f_linear(void)
{
    float y[LT * LO], xa[LT * LR], tile[2 * LI];
    tk_lora lo = {ln_A, ln_B, LR, 1.5f};
    tk_linear_fwd(y, &ln_w, &lo, ln_x, LT, xa, tile, 2);
    return dotr(y, ln_r, LT * LO);
}

START_TEST(test_linear_lora)
{
    fill(ln_x, LT * LI, 1.0f);
    fill(ln_A, LR * LI, 0.5f);
    fill(ln_B, LO * LR, 0.5f);
    fill(ln_r, LT * LO, 1.0f);
    fill(ln_w32, LO * LI, 0.3f);
    for (int quant = 0; quant < 2; quant++) {
        if (quant) { /* the same matrix as Q8_0 rows, dequantized per tile of 2 rows */
            ck_assert_uint_gt(senti_quantize_row_ref(SENTI_TYPE_Q8_0, ln_w32, ln_wq, LO * LI), 0);
            ln_W = (senti_mat){ln_wq, SENTI_TYPE_Q8_0, LO, LI, senti_type_row_size(SENTI_TYPE_Q8_0, LI)};
            ln_w = (tk_weight){&ln_W, NULL};
        } else {
            ln_W = (senti_mat){ln_w32, SENTI_TYPE_F32, LO, LI, LI * sizeof(float)};
            ln_w = (tk_weight){&ln_W, ln_w32};
        }
        float y[LT * LO], xa[LT * LR], tile[2 * LI], dxa[LT * LR];
        float dx[LT * LI] = {0}, dA[LR * LI] = {0}, dB[LO * LR] = {0};
        tk_lora lo = {ln_A, ln_B, LR, 1.5f};
        tk_linear_fwd(y, &ln_w, &lo, ln_x, LT, xa, tile, 2);
        /* independent reference of the forward: y = x W^T + 1.5 x A^T B^T, in double */
        float wrow[LI];
        for (int t = 0; t < LT; t++)
            for (int o = 0; o < LO; o++) {
                senti_dequant_row(ln_W.type, (const char *)ln_W.data + o * ln_W.row_bytes, wrow, LI);
                double ref = 0.0;
                for (int i = 0; i < LI; i++)
                    ref += (double)wrow[i] * ln_x[t * LI + i];
                for (int r = 0; r < LR; r++) {
                    double xa_r = 0.0;
                    for (int i = 0; i < LI; i++)
                        xa_r += (double)ln_A[r * LI + i] * ln_x[t * LI + i];
                    ref += 1.5 * ln_B[o * LR + r] * xa_r;
                }
                ck_assert_double_eq_tol(y[t * LO + o], ref, 1e-4);
            }
        tk_linear_bwd(dx, &ln_w, &lo, ln_r, ln_x, xa, LT, dA, dB, dxa, tile, 2);
        check_grad(ln_x, LT * LI, dx, f_linear, 1e-3, 2e-3, "linear dx");
        check_grad(ln_A, LR * LI, dA, f_linear, 1e-3, 2e-3, "lora dA");
        check_grad(ln_B, LO * LR, dB, f_linear, 1e-3, 2e-3, "lora dB");
    }
}
END_TEST

/* ---- embedding --------------------------------------------------------------------------------------- */

enum { EV = 6, EN = 4, ET = 4 };
static float em_tab[EV * EN], em_r[ET * EN];
static const int32_t em_tok[ET] = {3, 1, 3, 5};

static double f_embed(void)
{
    senti_mat E = {em_tab, SENTI_TYPE_F32, EV, EN, EN * sizeof(float)};
    float x[ET * EN];
    tk_embed_fwd(x, &E, em_tok, ET, 2.5f);
    return dotr(x, em_r, ET * EN);
}

START_TEST(test_embedding)
{
    fill(em_tab, EV * EN, 1.0f);
    fill(em_r, ET * EN, 1.0f);
    float dE[EV * EN] = {0};
    tk_embed_bwd(dE, em_r, em_tok, ET, EN, 2.5f);
    check_grad(em_tab, EV * EN, dE, f_embed, 1e-2, 1e-3, "embedding");
    for (int i = 0; i < EN; i++) /* rows 0, 2, 4 are never used */
        ck_assert_float_eq(dE[0 * EN + i] + dE[2 * EN + i] + dE[4 * EN + i], 0.0f);
}
END_TEST

/* ---- log-softmax over label scores ----------------------------------------------------------------------- */

static float ll_z[5];
static senti_agg ll_agg;
static const int ll_lab[5] = {0, 0, 1, 2, 2}, ll_off[6] = {0, 1, 2, 3, 4, 5};
static const int32_t ll_tok[5] = {0, 1, 2, 3, 4};
static const senti_label_words ll_w = {3, 5, ll_lab, ll_off, ll_tok};

static double f_label(void) { return tk_label_loss(ll_z, &ll_w, ll_agg, 2, NULL, NULL); }

START_TEST(test_label_loss)
{
    for (int agg = 0; agg < 3; agg++) {
        ll_agg = (senti_agg)agg;
        fill(ll_z, 5, 2.0f);
        float dz[5];
        double sc[3];
        tk_label_loss(ll_z, &ll_w, ll_agg, 2, sc, dz);
        check_grad(ll_z, 5, dz, f_label, 1e-3, 2e-3, senti_agg_name(ll_agg));
        /* the scores match the scorer's aggregation of the same word values */
        double wl[5], ref[3];
        for (int j = 0; j < 5; j++)
            wl[j] = ll_z[j];
        senti_label_scores(&ll_w, wl, ll_agg, false, ref);
        for (int l = 0; l < 3; l++)
            ck_assert_double_eq_tol(sc[l], ref[l], 1e-9);
    }
    /* hand-computed: two labels, z = (0, log 3): p = (1/4, 3/4), loss for label 0 = log 4 */
    const int lab2[2] = {0, 1}, off2[3] = {0, 1, 2};
    const int32_t tok2[2] = {0, 1};
    senti_label_words w2 = {2, 2, lab2, off2, tok2};
    float z2[2] = {0.0f, (float)log(3.0)}, dz2[2];
    ck_assert_double_eq_tol(tk_label_loss(z2, &w2, SENTI_AGG_LOGSUMEXP, 0, NULL, dz2), log(4.0), 1e-6);
    ck_assert_float_eq_tol(dz2[0], -0.75f, 1e-6f);
    ck_assert_float_eq_tol(dz2[1], 0.75f, 1e-6f);
}
END_TEST

/* ---- tiny models ------------------------------------------------------------------------------------------ */

static void add_f32(senti_gguf_writer *w, const char *name, int64_t ne0, int64_t ne1, float scale, float offset)
{
    size_t n = (size_t)(ne0 * ne1);
    float *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = offset + scale * frand();
    int64_t ne[2] = {ne0, ne1};
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, name, SENTI_TYPE_F32, ne1 > 1 ? 2 : 1, ne, d), SENTI_OK);
    free(d);
}

/* Vocabulary: 3 specials, "▁", the letters, a few words and symbols (SentencePiece style). */
static void add_vocab(senti_gguf_writer *w, int *n_vocab)
{
    static char buf[64][16];
    const char *tok[64];
    int n = 0;
    const char *fixed[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "\xe2\x96\x81" "good", "\xe2\x96\x81" "bad", ":", "\n",
                           "\xe2\x96\x81Review", "\xe2\x96\x81Sentiment"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        tok[n++] = fixed[i];
    for (char c = 'a'; c <= 'z'; c++) {
        snprintf(buf[n], sizeof buf[n], "%c", c);
        tok[n] = buf[n];
        n++;
    }
    float score[64];
    int32_t type[64];
    for (int i = 0; i < n; i++) {
        score[i] = i < 10 ? 0.0f : -1.0f;
        type[i] = i == 0 ? 2 : i < 3 ? 3 : 1;
    }
    senti_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama");
    senti_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", tok, (size_t)n);
    senti_gguf_writer_set_arr_f32(w, "tokenizer.ggml.scores", score, (size_t)n);
    senti_gguf_writer_set_arr_i32(w, "tokenizer.ggml.token_type", type, (size_t)n);
    *n_vocab = n;
}

char *ft_tiny_model(int gemma, unsigned seed)
{
    const int E = 16, H = 4, KV = 2, hd = 4, F = 24, L = 2;
    rng_state = seed;
    senti_gguf_writer *w = senti_gguf_writer_new();
    const char *arch = gemma ? "gemma3" : "llama";
    char key[96], name[64];
    int V;
    senti_gguf_writer_set_str(w, "general.architecture", arch);
#define KEY(s) (snprintf(key, sizeof key, "%s.%s", arch, s), key)
    senti_gguf_writer_set_u32(w, KEY("embedding_length"), E);
    senti_gguf_writer_set_u32(w, KEY("block_count"), L);
    senti_gguf_writer_set_u32(w, KEY("attention.head_count"), H);
    senti_gguf_writer_set_u32(w, KEY("attention.head_count_kv"), KV);
    senti_gguf_writer_set_u32(w, KEY("feed_forward_length"), F);
    senti_gguf_writer_set_u32(w, KEY("context_length"), 256);
    senti_gguf_writer_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    if (gemma == 1) { /* layer 0 local with a window of 3, layer 1 global */
        senti_gguf_writer_set_u32(w, KEY("attention.sliding_window"), 3);
        senti_gguf_writer_set_u32(w, KEY("attention.sliding_window_pattern"), 2);
    } else if (gemma == 2) { /* no sliding window: the final logits are soft-capped (as llama.cpp does) */
        senti_gguf_writer_set_f32(w, KEY("final_logit_softcapping"), 0.3f);
    }
    if (gemma) {
        senti_gguf_writer_set_u32(w, KEY("attention.key_length"), hd);
        senti_gguf_writer_set_u32(w, KEY("attention.value_length"), hd);
    }
#undef KEY
    add_vocab(w, &V);
    add_f32(w, "token_embd.weight", E, V, 0.5f, 0.0f);
    add_f32(w, "output_norm.weight", E, 1, 0.2f, 1.0f);
    for (int l = 0; l < L; l++) {
        const struct { const char *n; int64_t a, b; float s, o; } t[] = {
            {"attn_norm.weight", E, 1, 0.2f, 1.0f}, {"attn_q.weight", E, H * hd, 0.4f, 0},
            {"attn_k.weight", E, KV * hd, 0.4f, 0}, {"attn_v.weight", E, KV * hd, 0.4f, 0},
            {"attn_output.weight", H * hd, E, 0.4f, 0}, {"ffn_norm.weight", E, 1, 0.2f, 1.0f},
            {"ffn_gate.weight", E, F, 0.4f, 0}, {"ffn_up.weight", E, F, 0.4f, 0}, {"ffn_down.weight", F, E, 0.3f, 0},
            {"attn_q_norm.weight", hd, 1, 0.2f, 1.0f}, {"attn_k_norm.weight", hd, 1, 0.2f, 1.0f},
            {"post_attention_norm.weight", E, 1, 0.2f, 1.0f}, {"post_ffw_norm.weight", E, 1, 0.2f, 1.0f}};
        for (int i = 0; i < (gemma ? 13 : 9); i++) {
            snprintf(name, sizeof name, "blk.%d.%s", l, t[i].n);
            add_f32(w, name, t[i].a, t[i].b, t[i].s, t[i].o);
        }
    }
    char *path = tu_tmpfile(".gguf");
    senti_err e;
    ck_assert_msg(senti_gguf_writer_write(w, path, &e) == SENTI_OK, "%s", e.msg);
    senti_gguf_writer_free(w);
    return path;
}

/* Label words "▁good" (label 0) and "▁bad" (label 1) of the tiny vocabulary. */
static const int tw_lab[2] = {0, 1}, tw_off[3] = {0, 1, 2};
static const int32_t tw_tok[2] = {4, 5};
static const senti_label_words tiny_words = {2, 2, tw_lab, tw_off, tw_tok};
static const int32_t tiny_seq[9] = {1, 8, 12, 20, 6, 7, 9, 6, 3};

/* Multi-token label words of the tiny vocabulary: label 0 "▁good" and the
 * letters "g o o d", label 1 "▁bad :" and "n". */
static const int mw_lab[4] = {0, 0, 1, 1}, mw_off[5] = {0, 1, 5, 7, 8};
static const int32_t mw_tok[8] = {4, 16, 24, 24, 13, 5, 6, 23};
static const senti_label_words multi_words = {2, 4, mw_lab, mw_off, mw_tok};

/* The inference label distribution on tiny_seq: the scorer (full log-softmax,
 * word branches), aggregated as classify aggregates. */
static void scorer_probs(senti_model *m, const senti_label_words *w, bool length_norm, double *p)
{
    senti_context *ctx;
    senti_scorer *scr;
    senti_err e;
    double wlp[8], s[2];
    ck_assert_int_eq(senti_context_new(m, 64, &ctx, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_new(ctx, w, &scr, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_set_prefix(scr, tiny_seq, 1, &e), SENTI_OK);
    ck_assert_msg(senti_scorer_score(scr, tiny_seq + 1, 8, wlp, &e) == SENTI_OK, "%s", e.msg);
    senti_label_scores(w, wlp, SENTI_AGG_LOGSUMEXP, length_norm, s);
    senti_label_softmax(s, 2, p);
    senti_scorer_free(scr);
    senti_context_free(ctx);
}

static senti_model *tiny;
static ft_trainer *tiny_tr;
static senti_lora *tiny_lora;

static double f_model(void)
{
    double loss;
    senti_err e;
    ck_assert_msg(ft_trainer_run(tiny_tr, tiny_lora, tiny_seq, 9, 1, &loss, NULL, NULL, &e) == SENTI_OK, "%s", e.msg);
    return loss;
}

/* On a tiny model with label words w: the training forward gives the
 * inference distribution, the whole-model LoRA gradient is the finite
 * difference, and the merged adapter gives the trainer's distribution in
 * inference (and unmerged, it differs again). */
static void whole_model(int gemma, bool cache, const senti_label_words *w, bool length_norm, unsigned seed)
{
    char *path = ft_tiny_model(gemma, seed + (unsigned)gemma);
    senti_err e;
    ck_assert_msg(senti_model_load(path, NULL, &tiny, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(ft_trainer_new(tiny, w, SENTI_AGG_LOGSUMEXP, length_norm, 16, cache, &tiny_tr, &e), SENTI_OK);
    ck_assert_msg((gemma == 2) == (tiny->final_softcap > 0.0f), "soft-cap %g", tiny->final_softcap);
    double sc[2], p[2], pref[2], loss;
    ck_assert_int_eq(ft_trainer_run(tiny_tr, NULL, tiny_seq, 9, 0, &loss, sc, NULL, &e), SENTI_OK);
    senti_label_softmax(sc, 2, p);
    scorer_probs(tiny, w, length_norm, pref);
    ck_assert_msg(fabs(p[0] - pref[0]) < 1e-5, "trainer p=%.8f scorer p=%.8f", p[0], pref[0]);
    ck_assert_double_eq_tol(loss, -log(pref[0]), 1e-4);

    ck_assert_int_eq(senti_lora_new(tiny, 2, 3.0f, (1u << SENTI_LORA_N_TARGETS) - 1, 5, &tiny_lora, &e),
                     SENTI_OK);
    for (size_t k = 0; k < (size_t)tiny_lora->n_layer * SENTI_LORA_N_TARGETS; k++) /* B = 0 would hide dA */
        fill(tiny_lora->B[k], (size_t)tiny_lora->out[k % SENTI_LORA_N_TARGETS] * 2, 0.3f);
    senti_lora *g;
    ck_assert_int_eq(ft_lora_like(tiny_lora, &g, &e), SENTI_OK);
    ck_assert_int_eq(ft_trainer_run(tiny_tr, tiny_lora, tiny_seq, 9, 1, &loss, NULL, g, &e), SENTI_OK);
    for (size_t k = 0; k < (size_t)tiny_lora->n_layer * SENTI_LORA_N_TARGETS; k++) {
        int t = (int)(k % SENTI_LORA_N_TARGETS);
        char what[96];
        snprintf(what, sizeof what, "%s %d-word%s layer %zu %s A", gemma ? "gemma3" : "llama", w->n_words,
                 length_norm ? " length-normed" : "", k / SENTI_LORA_N_TARGETS, senti_lora_target_name(t));
        check_grad(tiny_lora->A[k], (size_t)2 * tiny_lora->in[t], g->A[k], f_model, 1e-2, 5e-3, what);
        what[strlen(what) - 1] = 'B';
        check_grad(tiny_lora->B[k], (size_t)tiny_lora->out[t] * 2, g->B[k], f_model, 1e-2, 5e-3, what);
    }
    char *apath = tu_tmpfile(".gguf");
    ck_assert_int_eq(senti_lora_save(tiny_lora, apath, &e), SENTI_OK);
    senti_adapter *ad; /* (the trainer reads the model's views: run it before merging) */
    ck_assert_int_eq(ft_trainer_run(tiny_tr, tiny_lora, tiny_seq, 9, 0, &loss, sc, NULL, &e), SENTI_OK);
    senti_label_softmax(sc, 2, p);
    ck_assert_msg(senti_adapter_load(apath, tiny, NULL, &ad, &e) == SENTI_OK, "%s", e.msg);
    scorer_probs(tiny, w, length_norm, pref);
    ck_assert_msg(fabs(p[0] - pref[0]) < 1e-5, "adapted: trainer p=%.8f scorer p=%.8f", p[0], pref[0]);
    senti_adapter_free(ad);
    scorer_probs(tiny, w, length_norm, pref); /* unmerged again: differs */
    ck_assert(fabs(p[0] - pref[0]) > 1e-4);
    /* a prompt longer than the trainer was made for is refused */
    int32_t long_seq[17] = {0};
    ck_assert_int_eq(ft_trainer_run(tiny_tr, NULL, long_seq, 17, 0, &loss, sc, NULL, &e), SENTI_ERR_RANGE);
    remove(apath);
    free(apath);
    senti_lora_free(g);
    senti_lora_free(tiny_lora);
    ft_trainer_free(tiny_tr);
    senti_model_free(tiny);
    remove(path);
    free(path);
}

START_TEST(test_whole_model_llama) { whole_model(0, true, &tiny_words, false, 777u); }
END_TEST

START_TEST(test_whole_model_gemma3) { whole_model(1, false, &tiny_words, false, 777u); }
END_TEST

/* multi-token words: each such word its own sequence (train.c) */
START_TEST(test_multi_token_llama) { whole_model(0, false, &multi_words, false, 991u); }
END_TEST

START_TEST(test_multi_token_gemma3_length_norm) { whole_model(1, true, &multi_words, true, 991u); }
END_TEST

/* the final logit soft-cap (gemma3 without sliding-window layers) on both output paths */
START_TEST(test_softcap_gemma3) { whole_model(2, false, &multi_words, false, 313u); }
END_TEST

/* One small real-model check: SmolLM2's training forward agrees with the scorer. */
START_TEST(test_real_model_forward)
{
    senti_model *m;
    senti_err e;
    ck_assert_msg(senti_model_load(tu_model_path(TU_SMOLLM2), NULL, &m, &e) == SENTI_OK, "%s", e.msg);
    const senti_tokenizer *tk = senti_model_tokenizer(m);
    int32_t ids[64], wid[2];
    size_t n, nw;
    const char *text = "Review: a gorgeous, witty, seductive movie.\nSentiment:";
    ck_assert_int_eq(senti_tokenize(tk, text, strlen(text), SENTI_TOK_ADD_SPECIAL, ids, 64, &n, &e), SENTI_OK);
    ck_assert_int_eq(senti_tokenize(tk, " positive", 9, 0, wid, 1, &nw, &e), SENTI_OK);
    ck_assert_int_eq(senti_tokenize(tk, " negative", 9, 0, wid + 1, 1, &nw, &e), SENTI_OK);
    const int off[3] = {0, 1, 2}, lab[2] = {0, 1};
    senti_label_words w = {2, 2, lab, off, wid};
    ft_trainer *tr;
    ck_assert_int_eq(ft_trainer_new(m, &w, SENTI_AGG_LOGSUMEXP, false, (int)n, false, &tr, &e), SENTI_OK);
    double sc[2], p[2], pref[2], lp[2];
    ck_assert_int_eq(ft_trainer_run(tr, NULL, ids, (int)n, -1, NULL, sc, NULL, &e), SENTI_OK);
    senti_label_softmax(sc, 2, p);
    senti_context *ctx;
    senti_scorer *scr;
    ck_assert_int_eq(senti_context_new(m, 128, &ctx, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_new(ctx, &w, &scr, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_set_prefix(scr, ids, 1, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_score(scr, ids + 1, (int)n - 1, lp, &e), SENTI_OK);
    senti_label_softmax(lp, 2, pref);
    ck_assert_msg(fabs(p[0] - pref[0]) < 2e-3, "trainer p=%g scorer p=%g", p[0], pref[0]);
    ck_assert_msg(pref[0] > 0.5, "the positive review should lean positive (p=%g)", pref[0]);
    /* label-score differences (the full-vocabulary lse cancels) agree too */
    ck_assert_double_eq_tol(sc[0] - sc[1], lp[0] - lp[1], 2e-2);
    senti_scorer_free(scr);
    ft_trainer_free(tr);

    /* a multi-token word: its later tokens through the whole vocabulary (24 blocks of rows) */
    int32_t mid[8];
    size_t nm;
    ck_assert_int_eq(senti_tokenize(tk, " thoroughly disappointing", 25, 0, mid + 1, 7, &nm, &e), SENTI_OK);
    ck_assert_msg(nm >= 2, "\" thoroughly disappointing\" is %zu token(s)", nm);
    mid[0] = wid[0];
    const int moff[3] = {0, 1, 1 + (int)nm};
    senti_label_words mw = {2, 2, lab, moff, mid};
    ck_assert_int_eq(ft_trainer_new(m, &mw, SENTI_AGG_LOGSUMEXP, false, (int)n, false, &tr, &e), SENTI_OK);
    ck_assert_int_eq(ft_trainer_run(tr, NULL, ids, (int)n, -1, NULL, sc, NULL, &e), SENTI_OK);
    senti_label_softmax(sc, 2, p);
    ck_assert_int_eq(senti_scorer_new(ctx, &mw, &scr, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_set_prefix(scr, ids, 1, &e), SENTI_OK);
    ck_assert_int_eq(senti_scorer_score(scr, ids + 1, (int)n - 1, lp, &e), SENTI_OK);
    senti_label_softmax(lp, 2, pref);
    ck_assert_msg(fabs(p[0] - pref[0]) < 2e-3, "multi-token: trainer p=%g scorer p=%g", p[0], pref[0]);
    ck_assert_double_eq_tol(sc[0] - sc[1], lp[0] - lp[1], 2e-2);
    senti_scorer_free(scr);
    senti_context_free(ctx);
    ft_trainer_free(tr);
    senti_model_free(m);
}
END_TEST

Suite *backward_suite(void)
{
    Suite *s = suite_create("backward");
    TCase *k = tcase_create("kernels");
    tcase_add_test(k, test_rmsnorm);
    tcase_add_test(k, test_rope);
    tcase_add_test(k, test_attention);
    tcase_add_test(k, test_fast_exp);
    tcase_add_test(k, test_glu);
    tcase_add_test(k, test_linear_lora);
    tcase_add_test(k, test_embedding);
    tcase_add_test(k, test_label_loss);
    suite_add_tcase(s, k);
    TCase *m = tcase_create("model");
    tcase_set_timeout(m, 60);
    tcase_add_test(m, test_whole_model_llama);
    tcase_add_test(m, test_whole_model_gemma3);
    tcase_add_test(m, test_multi_token_llama);
    tcase_add_test(m, test_multi_token_gemma3_length_norm);
    tcase_add_test(m, test_softcap_gemma3);
    tcase_add_test(m, test_real_model_forward);
    suite_add_tcase(s, m);
    return s;
}
