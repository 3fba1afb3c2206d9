/*
 * matmul.c - the matrix products of the forward pass, y = x W^T for the T
 * activation rows x of a batch and the rows of a (usually quantized) weight
 * matrix W, on the context's threads and per-thread tile buffers.
 *
 * Contract:
 *   - With the q8 numerics (senti_get_numerics() when the context is
 *     created: --numerics q8, SENTI_MATMUL=q8) matrix products y = x W^T with
 *     quantized weights follow llama.cpp: the T activation rows are quantized
 *     once to the weight type's 8-bit partner (Q8_0 / Q8_1 / Q8_K values,
 *     senti_q8_act_type) into the context's workspace, then
 *       T <= SENTI_DOT_MAX_T  each thread takes blocks of weight rows (small
 *                             enough to stay in L1) and integer dot products
 *                             (senti_dot_rows_q8), four tokens per row;
 *       larger T              the int8 GEMM (src/01-tensor/quant_gemm.c): each
 *                             thread takes whole tiles of rows (a multiple of 8,
 *                             ~SENTI_G8_TILE_BYTES unpacked, fixed by the matrix
 *                             alone), unpacks them into its tile buffer
 *                             (interleaved 8-bit levels, ~1.6 bytes per weight,
 *                             per call: the weights stay mmapped, nothing is
 *                             repacked at load) and multiplies all T tokens,
 *                             8 rows x 4 tokens per kernel step. Each output
 *                             depends on its row and token only: the same
 *                             bytes for any thread count. The products of one
 *                             input with one weight type (K, V, Q; gate, up)
 *                             share its quantization and one parallel region
 *                             (senti_matmul_shared).
 *     Not the default: measured against llama.cpp it does not bring the
 *     log-probabilities closer (README "Numerics", tests/check_model.c), and
 *     the f32 path is the one checked against llama.cpp in float32.
 *   - By default (and always for F32/F16/BF16 weights) the f32 path:
 *       T <= SENTI_DOT_MAX_T  per-row dot products straight from the weights
 *                             (senti_dot_row), rows split over threads;
 *       larger T              a tile of weight rows is dequantized into f32 and
 *                             multiplied against all T tokens with cblas_sgemm.
 */
#include "model_internal.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <omp.h>

#include "senti/quant.h"

#include "00-base/base.h"

/* Token counts up to this use the dot-product path in senti_matmul. */
#define SENTI_DOT_MAX_T 4

/* Bytes of quantized weight rows per block of the q8 path (fits in L1). */
#define SENTI_Q8_BLOCK_BYTES (16 * 1024)

/* Bytes of one unpacked tile of the int8 GEMM (matmul_q8_tiles). */
#define SENTI_G8_TILE_BYTES (256 * 1024)

/* Tokens per call of the q8 row kernel. */
#define SENTI_Q8_TOKENS 4

/* Products of one input that matmul_shared runs together (Q, K, V). */
#define SENTI_MM_SHARED 3

/* y[t][i] = W[row i] . x[t] straight from the quantized rows. */
static void matmul_dot(const senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows, const float *x, int T, float *y,
                       int64_t ldy)
{
    const int64_t C = W->cols;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(static)
    for (int64_t i = 0; i < n_rows; i++) {
        const void *row = senti_mat_row(W, sel, i);
        for (int t = 0; t < T; t++)
            y[(size_t)t * ldy + i] = senti_dot_row(W->type, row, x + (size_t)t * C, C);
    }
}

/* y = x W^T through dequantized tiles and cblas_sgemm. Each thread takes
 * whole tiles: it dequantizes rows into its own tile (still in its cache)
 * and multiplies them against all T tokens with a single-threaded sgemm.
 * The tiles depend on the matrix alone, never on the thread count, so every
 * output is the same sgemm call whatever the threads (same bytes for -t 1..N). */
static void matmul_gemm(senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows,
                        const float *x, int T, float *y, int64_t ldy)
{
    const int64_t C = W->cols;
    int64_t tr = (int64_t)(ctx->tile_floats / (size_t)C); /* >= 16 */
    /* equal tiles, a multiple of SENTI_TILE_SPLIT of them: few threads idle at the end */
    int64_t n_tiles = (n_rows + tr - 1) / tr;
    n_tiles = (n_tiles + SENTI_TILE_SPLIT - 1) / SENTI_TILE_SPLIT * SENTI_TILE_SPLIT;
    n_tiles = n_tiles < n_rows ? n_tiles : n_rows;
    tr = (n_rows + n_tiles - 1) / n_tiles;
    n_tiles = (n_rows + tr - 1) / tr;
    const bool direct = W->type == SENTI_TYPE_F32 && !sel;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(dynamic, 1)
    for (int64_t it = 0; it < n_tiles; it++) {
        const int64_t r0 = it * tr, nr = n_rows - r0 < tr ? n_rows - r0 : tr;
        const float *tile = (const float *)senti_mat_row(W, NULL, r0); /* F32: the weights themselves */
        if (!direct) {
            float *own = ctx->tile + (size_t)omp_get_thread_num() * ctx->tile_floats; /* [nr][C] */
            for (int64_t i = 0; i < nr; i++)
                senti_dequant_row(W->type, senti_mat_row(W, sel, r0 + i), own + (size_t)i * C, C);
            tile = own;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, (int)nr, (int)C, 1.0f, x, (int)C, tile, (int)C,
                    0.0f, y + r0, (int)ldy);
    }
}

/* y = x W^T with 8-bit activations (see the file-top contract). One parallel
 * region: the threads quantize the T rows of x into ctx->xq ([T][ab] bytes),
 * then take blocks of rb weight rows; for each block all T tokens pass over
 * it, SENTI_Q8_TOKENS at a time. */
static void matmul_q8(senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows, const float *x,
                      int T, float *y, int64_t ldy)
{
    const int64_t C = W->cols;
    const size_t ab = senti_type_row_size(senti_q8_act_type(W->type), C);
    int64_t rb = SENTI_Q8_BLOCK_BYTES / (int64_t)W->row_bytes;
    rb = rb < 1 ? 1 : rb;
    /* at least a few blocks per thread for balance */
    int64_t want = (n_rows + 4 * ctx->n_threads - 1) / (4 * ctx->n_threads);
    rb = rb > want ? (want > 0 ? want : 1) : rb;
    const int64_t n_blk = (n_rows + rb - 1) / rb;
    uint8_t *xq = ctx->xq;
#pragma omp parallel num_threads(ctx->n_threads)
    {
#pragma omp for schedule(static)
        for (int t = 0; t < T; t++)
            senti_quantize_row_act(W->type, x + (size_t)t * C, xq + (size_t)t * ab, C);
#pragma omp for schedule(dynamic, 1)
        for (int64_t ib = 0; ib < n_blk; ib++) {
            const int64_t r0 = ib * rb, r1 = r0 + rb < n_rows ? r0 + rb : n_rows;
            float out[SENTI_Q8_TOKENS];
            for (int t0 = 0; t0 < T; t0 += SENTI_Q8_TOKENS) {
                const int nt = T - t0 < SENTI_Q8_TOKENS ? T - t0 : SENTI_Q8_TOKENS;
                for (int64_t r = r0; r < r1; r++) {
                    senti_dot_rows_q8(W->type, senti_mat_row(W, sel, r), xq + (size_t)t0 * ab, ab, nt, C, out);
                    for (int k = 0; k < nt; k++)
                        y[(size_t)(t0 + k) * ldy + r] = out[k];
                }
            }
        }
    }
}

/* Rows per tile of the int8 GEMM: a multiple of 8 whose packed levels
 * (~1.6 bytes per weight) fit SENTI_G8_TILE_BYTES (half of this CPU's L2),
 * then split like matmul_gemm's tiles. Depends on the matrix only. */
static int64_t q8_tile_rows(const senti_context *ctx, const senti_mat *W, int64_t n_rows)
{
    const size_t per8 = senti_q8_tile_bytes(W->type, W->cols, 8);
    const size_t cap = ctx->tile_floats * sizeof(float);
    int64_t tr = (int64_t)((SENTI_G8_TILE_BYTES < cap ? SENTI_G8_TILE_BYTES : cap) / per8) * 8;
    tr = tr < 8 ? 8 : tr;
    int64_t n_tiles = (n_rows + tr - 1) / tr;
    n_tiles = (n_tiles + SENTI_TILE_SPLIT - 1) / SENTI_TILE_SPLIT * SENTI_TILE_SPLIT;
    tr = (n_rows + n_tiles - 1) / n_tiles;
    return (tr + 7) / 8 * 8;
}

/* Tile `it` of the int8 GEMM (rows it * tr ..): unpack it into the calling
 * thread's tile buffer and multiply all T quantized rows of xq against it. */
static void q8_tile_job(senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows, int64_t tr,
                        int64_t it, const uint8_t *xq, int T, float *y, int64_t ldy)
{
    const int64_t C = W->cols, r0 = it * tr, nr = n_rows - r0 < tr ? n_rows - r0 : tr;
    void *tile = ctx->tile + (size_t)omp_get_thread_num() * ctx->tile_floats;
    /* with a selection, row i is sel[r0 + i] of W; else row r0 + i */
    senti_q8_tile_pack(W->type, sel ? W->data : senti_mat_row(W, NULL, r0), W->row_bytes, sel ? sel + r0 : NULL, (int)nr, C,
                       tile);
    senti_q8_tile_matmul(W->type, tile, (int)nr, xq, senti_q8_act_bytes(C), T, C, y + r0, ldy);
}

/* y = x W^T through the int8 GEMM (senti_q8_tile_*): the T rows of x are
 * quantized once into ctx->xq, then each thread takes whole tiles of weight
 * rows, unpacks them into its own tile buffer and multiplies all T tokens. */
static void matmul_q8_tiles(senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows,
                            const float *x, int T, float *y, int64_t ldy)
{
    const int64_t C = W->cols, tr = q8_tile_rows(ctx, W, n_rows);
    const size_t ab = senti_q8_act_bytes(C);
    const int64_t n_tiles = (n_rows + tr - 1) / tr;
    uint8_t *xq = ctx->xq;
#pragma omp parallel num_threads(ctx->n_threads)
    {
#pragma omp for schedule(static)
        for (int t = 0; t < T; t++)
            senti_q8_act_row(W->type, x + (size_t)t * C, C, xq + (size_t)t * ab);
#pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < n_tiles; it++)
            q8_tile_job(ctx, W, sel, n_rows, tr, it, xq, T, y, ldy);
    }
}

/* y[t][i] = W[sel ? sel[i] : i] . x[t] for i < n_rows, t < T. */
void senti_matmul_rows(senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows,
                        const float *x, int T, float *y, int64_t ldy)
{
    if (!ctx->matmul_f32 && T > SENTI_DOT_MAX_T && senti_q8_tile_bytes(W->type, W->cols, 8) > 0)
        matmul_q8_tiles(ctx, W, sel, n_rows, x, T, y, ldy);
    else if (!ctx->matmul_f32 && senti_q8_act_type(W->type) >= 0)
        matmul_q8(ctx, W, sel, n_rows, x, T, y, ldy);
    else if (T <= SENTI_DOT_MAX_T)
        matmul_dot(ctx, W, sel, n_rows, x, T, y, ldy);
    else
        matmul_gemm(ctx, W, sel, n_rows, x, T, y, ldy);
}

void senti_matmul(senti_context *ctx, const senti_mat *W, const float *x, int T, float *y, int64_t ldy)
{
    senti_matmul_rows(ctx, W, NULL, W->rows, x, T, y, ldy);
}

/* True when the products of W with T tokens take the int8 GEMM. */
static bool q8_tiles_apply(const senti_context *ctx, const senti_mat *W, int T)
{
    return !ctx->matmul_f32 && T > SENTI_DOT_MAX_T && senti_q8_tile_bytes(W->type, W->cols, 8) > 0;
}

/* The n products of jobs (one input x, one weight type, all through the
 * int8 GEMM): x is quantized once for all of them (the activation rows
 * depend on the weight type alone), and their tiles are one work list of one
 * parallel region. Each output is the same kernel call on the same tile as
 * in senti_matmul, so the bytes do not change. */
static void q8_tiles_shared(senti_context *ctx, const mm_job *jobs, int n, const float *x, int T)
{
    const int64_t C = jobs[0].W->cols;
    const size_t ab = senti_q8_act_bytes(C);
    int64_t tr[SENTI_MM_SHARED], first[SENTI_MM_SHARED + 1] = {0}; /* tile rows; first tile of each job */
    for (int j = 0; j < n; j++) {
        tr[j] = q8_tile_rows(ctx, jobs[j].W, jobs[j].W->rows);
        first[j + 1] = first[j] + (jobs[j].W->rows + tr[j] - 1) / tr[j];
    }
    uint8_t *xq = ctx->xq;
#pragma omp parallel num_threads(ctx->n_threads)
    {
#pragma omp for schedule(static)
        for (int t = 0; t < T; t++)
            senti_q8_act_row(jobs[0].W->type, x + (size_t)t * C, C, xq + (size_t)t * ab);
#pragma omp for schedule(dynamic, 1)
        for (int64_t it = 0; it < first[n]; it++) {
            int j = 0;
            while (it >= first[j + 1])
                j++;
            q8_tile_job(ctx, jobs[j].W, NULL, jobs[j].W->rows, tr[j], it - first[j], xq, T, jobs[j].y, jobs[j].ldy);
        }
    }
}

/* y_j = x W_j^T for the n <= SENTI_MM_SHARED products of one input x (Q, K
 * and V of the attention-norm output; gate and up of the FFN-norm output).
 * Those that take the int8 GEMM with the first one's weight type run
 * together (q8_tiles_shared: x quantized once, one parallel region), the rest
 * the same way in turn; a product that takes another path (f32, short T) is
 * one senti_matmul. */
void senti_matmul_shared(senti_context *ctx, const mm_job *jobs, int n, const float *x, int T)
{
    if (n == 0)
        return;
    if (!q8_tiles_apply(ctx, jobs[0].W, T)) {
        senti_matmul(ctx, jobs[0].W, x, T, jobs[0].y, jobs[0].ldy);
        senti_matmul_shared(ctx, jobs + 1, n - 1, x, T);
        return;
    }
    mm_job same[SENTI_MM_SHARED], rest[SENTI_MM_SHARED];
    int ns = 0, nr = 0;
    for (int j = 0; j < n; j++) {
        const senti_mat *W = jobs[j].W;
        if (q8_tiles_apply(ctx, W, T) && W->type == jobs[0].W->type && W->cols == jobs[0].W->cols)
            same[ns++] = jobs[j];
        else
            rest[nr++] = jobs[j];
    }
    q8_tiles_shared(ctx, same, ns, x, T);
    senti_matmul_shared(ctx, rest, nr, x, T);
}
