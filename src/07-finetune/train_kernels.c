/*
 * train_kernels.c - forward and backward kernels of the training pass.
 *
 * Each forward matches the inference kernel of forward.c (same formulas, same
 * accumulation choices where they matter); each backward is the exact
 * transpose of its forward and is checked against central finite differences
 * in tests/check_backward.c. Base weights are frozen: only activations and
 * LoRA factors receive gradients.
 */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "senti/quant.h"

/* ---- RMSNorm ------------------------------------------------------------------------ */

void tk_rmsnorm_fwd(float *out, float *rstd, const float *x, const float *w, int T, int n, float eps)
{
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * n;
        float *ot = out + (size_t)t * n;
        double ss = 0.0;
        for (int i = 0; i < n; i++)
            ss += (double)xt[i] * xt[i];
        float r = 1.0f / sqrtf((float)(ss / n) + eps);
        rstd[t] = r;
        for (int i = 0; i < n; i++)
            ot[i] = xt[i] * r * w[i];
    }
}

/* out_i = x_i r w_i with r = (mean x^2 + eps)^-1/2, so
 * dx_i = r w_i g_i - (r^3 / n) x_i sum_j g_j w_j x_j. */
void tk_rmsnorm_bwd(float *dx_acc, const float *dout, const float *x, const float *w, const float *rstd, int T,
                    int n)
{
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * n, *gt = dout + (size_t)t * n;
        float *dt = dx_acc + (size_t)t * n;
        double dot = 0.0;
        for (int i = 0; i < n; i++)
            dot += (double)gt[i] * w[i] * xt[i];
        double r = rstd[t], c = r * r * r * dot / n;
        for (int i = 0; i < n; i++)
            dt[i] += (float)(r * w[i] * gt[i] - c * xt[i]);
    }
}

/* ---- rotary embedding ------------------------------------------------------------------ */

void tk_rope(float *x, const float *cs, const float *sn, int T, int n_heads, int hd, int half, bool neox,
             int64_t ld, int dir)
{
    for (int t = 0; t < T; t++) {
        const float *c = cs + (size_t)t * half, *s = sn + (size_t)t * half;
        for (int h = 0; h < n_heads; h++) {
            float *v = x + (size_t)t * ld + (size_t)h * hd;
            for (int i = 0; i < half; i++) {
                int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                float x0 = v[a], x1 = v[b], si = dir > 0 ? s[i] : -s[i];
                v[a] = x0 * c[i] - x1 * si;
                v[b] = x0 * si + x1 * c[i];
            }
        }
    }
}

/* ---- attention ------------------------------------------------------------------------- */

void tk_attn_fwd(float *out, float *P, const float *q, const float *k, const float *v, int T, int H, int Hkv,
                 int hd, float scale, int window)
{
    const int qd = H * hd, kvd = Hkv * hd, group = H / Hkv;
    for (int h = 0; h < H; h++) {
        const int kh = h / group;
        float *S = P + (size_t)h * T * T; /* [T][T] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, scale, q + (size_t)h * hd, qd,
                    k + (size_t)kh * hd, kvd, 0.0f, S, T);
        for (int t = 0; t < T; t++) {
            float *row = S + (size_t)t * T;
            int lo = window > 0 && t - window + 1 > 0 ? t - window + 1 : 0;
            float mx = -INFINITY;
            for (int j = lo; j <= t; j++)
                mx = row[j] > mx ? row[j] : mx;
            double sum = 0.0;
            for (int j = lo; j <= t; j++) {
                row[j] = expf(row[j] - mx);
                sum += row[j];
            }
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < T; j++)
                row[j] = (j >= lo && j <= t) ? row[j] * inv : 0.0f;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, 1.0f, S, T, v + (size_t)kh * hd, kvd, 0.0f,
                    out + (size_t)h * hd, qd);
    }
}

/* Per head: dP = dO V^T; dS = P * (dP - rowsum(P * dP)); dQ = scale dS K;
 * dK += scale dS^T Q; dV += P^T dO (K/V heads shared by `group` query heads). */
void tk_attn_bwd(float *dq, float *dk, float *dv, const float *dout, const float *P, const float *q,
                 const float *k, const float *v, int T, int H, int Hkv, int hd, float scale, float *scratch)
{
    const int qd = H * hd, kvd = Hkv * hd, group = H / Hkv;
    memset(dk, 0, (size_t)T * kvd * sizeof *dk);
    memset(dv, 0, (size_t)T * kvd * sizeof *dv);
    for (int h = 0; h < H; h++) {
        const int kh = h / group;
        const float *Ph = P + (size_t)h * T * T;
        float *dS = scratch; /* [T][T] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, 1.0f, dout + (size_t)h * hd, qd,
                    v + (size_t)kh * hd, kvd, 0.0f, dS, T);
        for (int t = 0; t < T; t++) {
            float *row = dS + (size_t)t * T;
            const float *pr = Ph + (size_t)t * T;
            double dot = 0.0;
            for (int j = 0; j < T; j++)
                dot += (double)pr[j] * row[j];
            for (int j = 0; j < T; j++)
                row[j] = pr[j] * (row[j] - (float)dot);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, scale, dS, T, k + (size_t)kh * hd, kvd, 0.0f,
                    dq + (size_t)h * hd, qd);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, scale, dS, T, q + (size_t)h * hd, qd, 1.0f,
                    dk + (size_t)kh * hd, kvd);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, 1.0f, Ph, T, dout + (size_t)h * hd, qd, 1.0f,
                    dv + (size_t)kh * hd, kvd);
    }
}

/* ---- gated activations ------------------------------------------------------------------ */

static const float GELU_K = 0.7978845608028654f; /* sqrt(2/pi) */

void tk_glu_fwd(float *h, const float *g, const float *u, size_t n, bool gelu)
{
    for (size_t i = 0; i < n; i++) {
        float x = g[i], a;
        a = gelu ? senti_gelu_tanh(x) : senti_silu(x);
        h[i] = a * u[i];
    }
}

void tk_glu_bwd(float *dg, float *du, const float *dh, const float *g, const float *u, size_t n, bool gelu)
{
    for (size_t i = 0; i < n; i++) {
        float x = g[i], a, da;
        if (gelu) {
            float th = tanhf(GELU_K * (x + 0.044715f * x * x * x));
            a = 0.5f * x * (1.0f + th);
            da = 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
        } else {
            float s = 1.0f / (1.0f + expf(-x));
            a = x * s;
            da = s * (1.0f + x * (1.0f - s));
        }
        dg[i] = dh[i] * u[i] * da;
        du[i] = dh[i] * a;
    }
}

/* ---- frozen linear layers with LoRA -------------------------------------------------------- */

/* The frozen matmuls run in fixed blocks of TK_BLOCK output rows (forward)
 * or columns (backward), each one single-threaded sgemm on one OpenMP
 * thread: every output comes from the same call whatever the thread count.
 * (OpenBLAS's own threading sums in a thread-dependent order, so
 * ft_trainer_run runs it on one thread; forward.c does the same.) */
#define TK_BLOCK 64
/* Multiply-adds below which a matmul's blocks run on the calling thread: a
 * parallel region costs more than it saves on the tiny test models (the
 * blocks, and so the bytes, are the same either way). */
#define TK_PAR_MIN (1 << 20)

/* Rows r0..r0+nr of W as f32: the cached copy, or dequantized into tile. */
static const float *weight_rows(const tk_weight *w, int64_t r0, int64_t nr, float *tile)
{
    const senti_mat *W = w->W;
    if (w->w32)
        return w->w32 + (size_t)r0 * (size_t)W->cols;
#pragma omp parallel for num_threads(senti_get_threads()) schedule(static) if (nr * W->cols >= TK_PAR_MIN / 8)
    for (int64_t i = 0; i < nr; i++)
        senti_dequant_row(W->type, (const char *)W->data + (size_t)(r0 + i) * W->row_bytes,
                          tile + (size_t)i * (size_t)W->cols, W->cols);
    return tile;
}

void tk_linear_fwd(float *y, const tk_weight *w, const tk_lora *lo, const float *x, int T, float *xa, float *tile,
                   int tile_rows)
{
    const int64_t R = w->W->rows, C = w->W->cols;
    const int64_t step = w->w32 ? R : tile_rows;
    for (int64_t r0 = 0; r0 < R; r0 += step) {
        const int64_t nr = R - r0 < step ? R - r0 : step, nb = (nr + TK_BLOCK - 1) / TK_BLOCK;
        const float *Wr = weight_rows(w, r0, nr, tile);
#pragma omp parallel for num_threads(senti_get_threads()) schedule(static) if ((int64_t)T * nr * C >= TK_PAR_MIN)
        for (int64_t b = 0; b < nb; b++) { /* y[:, r0 + b0 ..] = x Wr[b0 ..]^T */
            const int64_t b0 = b * TK_BLOCK, n = nr - b0 < TK_BLOCK ? nr - b0 : TK_BLOCK;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, (int)n, (int)C, 1.0f, x, (int)C,
                        Wr + (size_t)b0 * (size_t)C, (int)C, 0.0f, y + r0 + b0, (int)R);
        }
    }
    if (lo && lo->A) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, lo->r, (int)C, 1.0f, x, (int)C, lo->A, (int)C, 0.0f,
                    xa, lo->r);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, (int)R, lo->r, lo->s, xa, lo->r, lo->B, lo->r, 1.0f,
                    y, (int)R);
    }
}

void tk_linear_bwd(float *dx_acc, const tk_weight *w, const tk_lora *lo, const float *dy, const float *x,
                   const float *xa, int T, float *dA_acc, float *dB_acc, float *dxa, float *tile, int tile_rows)
{
    const int64_t R = w->W->rows, C = w->W->cols, nb = (C + TK_BLOCK - 1) / TK_BLOCK;
    const int64_t step = w->w32 ? R : tile_rows;
    for (int64_t r0 = 0; r0 < R; r0 += step) {
        const int64_t nr = R - r0 < step ? R - r0 : step;
        const float *Wr = weight_rows(w, r0, nr, tile);
#pragma omp parallel for num_threads(senti_get_threads()) schedule(static) if ((int64_t)T * nr * C >= TK_PAR_MIN)
        for (int64_t b = 0; b < nb; b++) { /* dx[:, c0 ..] += dy[:, r0 ..] Wr[:, c0 ..] */
            const int64_t c0 = b * TK_BLOCK, n = C - c0 < TK_BLOCK ? C - c0 : TK_BLOCK;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, (int)n, (int)nr, 1.0f, dy + r0, (int)R,
                        Wr + c0, (int)C, 1.0f, dx_acc + c0, (int)C);
        }
    }
    if (!lo || !lo->A)
        return;
    const int r = lo->r;
    if (dB_acc) /* dB [R][r] += s dy^T xa */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)R, r, T, lo->s, dy, (int)R, xa, r, 1.0f, dB_acc, r);
    /* dxa [T][r] = s dy B */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, r, (int)R, lo->s, dy, (int)R, lo->B, r, 0.0f, dxa, r);
    if (dA_acc) /* dA [r][C] += dxa^T x */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, (int)C, T, 1.0f, dxa, r, x, (int)C, 1.0f, dA_acc,
                    (int)C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, (int)C, r, 1.0f, dxa, r, lo->A, (int)C, 1.0f, dx_acc,
                (int)C);
}

/* ---- embedding ------------------------------------------------------------------------------ */

void tk_embed_fwd(float *x, const senti_mat *E, const int32_t *tok, int T, float scale)
{
    const int64_t n = E->cols;
    for (int t = 0; t < T; t++) {
        float *xt = x + (size_t)t * n;
        senti_dequant_row(E->type, (const char *)E->data + (size_t)tok[t] * E->row_bytes, xt, n);
        if (scale != 1.0f)
            for (int64_t i = 0; i < n; i++)
                xt[i] *= scale;
    }
}

void tk_embed_bwd(float *dE_acc, const float *dx, const int32_t *tok, int T, int n, float scale)
{
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++)
            dE_acc[(size_t)tok[t] * n + i] += scale * dx[(size_t)t * n + i];
}

/* ---- label scores and the loss -------------------------------------------------------------- */

double tk_label_loss(const float *z, const senti_label_words *w, senti_agg agg, int y, double *scores, float *dz)
{
    double s[256], p[256];
    const int L = w->n_labels < 256 ? w->n_labels : 256;
    for (int l = 0; l < L; l++) {
        double best = -INFINITY, sum = 0.0;
        int cnt = 0;
        for (int j = 0; j < w->n_words; j++)
            if (w->word_label[j] == l) {
                best = z[j] > best ? z[j] : best;
                sum += z[j];
                cnt++;
            }
        if (agg == SENTI_AGG_MAX || cnt == 1)
            s[l] = best;
        else if (agg == SENTI_AGG_MEAN)
            s[l] = sum / cnt;
        else {
            double acc = 0.0;
            for (int j = 0; j < w->n_words; j++)
                if (w->word_label[j] == l)
                    acc += exp(z[j] - best);
            s[l] = best + log(acc);
        }
    }
    senti_label_softmax(s, L, p);
    if (scores)
        memcpy(scores, s, (size_t)L * sizeof *scores);
    double loss = y >= 0 ? -log(p[y] > 1e-300 ? p[y] : 1e-300) : 0.0;
    if (!dz)
        return loss;
    /* d loss / d s_l = p_l - [l == y]; then through the aggregation. */
    for (int j = 0; j < w->n_words; j++) {
        int l = w->word_label[j];
        double ds = y >= 0 ? p[l] - (l == y) : 0.0;
        int cnt = 0;
        bool first_max = true;
        for (int i = 0; i < w->n_words; i++)
            if (w->word_label[i] == l) {
                cnt++;
                if (i < j && z[i] == s[l])
                    first_max = false;
            }
        double dsdz;
        if (agg == SENTI_AGG_MAX || cnt == 1)
            dsdz = (z[j] == s[l] && first_max) ? 1.0 : 0.0;
        else if (agg == SENTI_AGG_MEAN)
            dsdz = 1.0 / cnt;
        else
            dsdz = exp(z[j] - s[l]);
        dz[j] = (float)(ds * dsdz);
    }
    return loss;
}
