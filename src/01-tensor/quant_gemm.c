/*
 * quant_gemm.c - the int8 GEMM of the q8 numerics: quantized weight rows
 * unpacked into tiles of interleaved 8-bit levels, multiplied by activation
 * rows quantized to 8 bits, several tokens x 8 weight rows per kernel call.
 *
 * Contract:
 *   - A tile holds nr weight rows of n elements (n a multiple of the type's
 *     block size), in groups of SENTI_G8_ROWS = 8 rows (the last group padded
 *     with zero rows). Every row is written as w = d * sc_h * u + m_h per
 *     32-element block and 16-element half h: u an unsigned level (Q8_0: the
 *     signed byte itself), sc_h a small integer (the K-quants' sub-block
 *     scale, else 1), d and m_h floats (m_h = the min, or -offset * d * sc_h
 *     for the symmetric types; Q8_0 has none). The layout of one block of a
 *     group (SENTI_G8_BLOCK = 416 bytes):
 *        u   [8 steps][8 rows][4 bytes]  step s = elements 4s..4s+3
 *        sc  [2 halves][8 rows] i32      (sc_h | sc_h << 16), for vpmaddwd
 *        d   [8 rows] f32
 *        m   [2 halves][8 rows] f32
 *     so one 32-byte load gives four levels of each of the 8 rows, and one
 *     broadcast of four activation bytes multiplies all of them (vpmaddubsw).
 *     The symmetric types (Q4_0, Q5_0, Q3_K, Q6_K: level = u - offset) keep
 *     the offset in the integer sum instead (no m; no float cancellation).
 *   - An activation row (senti_q8_act_row) holds ggml's own 8-bit values for
 *     the weight type (senti_q8_act_type: Q8_0 levels and fp16 scale for the
 *     legacy types, Q8_K levels and f32 scale for the K-quants; the same
 *     bytes llama.cpp multiplies), laid out as q[n] int8, then per 32-block
 *     SENTI_G8_META words: f32 {da, ds0 = da * sum(q of half 0), ds1 = the
 *     same for half 1, 0} (Q4_1/Q5_1, whose min is the same in both halves:
 *     {da, ggml's fp16 s = da * sum(q), 0, 0}, so the min term is ggml's
 *     m * s), then per half the int16 pair (v, v), v = -offset/2 * sum(q),
 *     then the same pair for the whole block (Q4_0 and Q3_K only).
 *   - Result: y[t][r] = sum over blocks of
 *         acc = fma((float)(sc0 * isum0), d * da, acc);
 *         acc = fma((float)(sc1 * isum1), d * da, acc);
 *         acc = fma(m0, ds0, acc); acc = fma(m1, ds1, acc);
 *     with isum_h = the exact integer sum of u * q over half h, minus
 *     offset * sum(q) for the symmetric types, which (like Q8_0) skip the
 *     two m terms; the types whose halves share sc (senti_g8_one_sum: all
 *     but Q2_K, Q3_K, Q6_K) convert the block's sum once:
 *         acc = fma((float)(sc0 * isum0 + sc1 * isum1), d * da, acc);
 *     The fast kernels (quant_q8_simd.c, per kernel level)
 *     perform the same float operations in the same order per output, so
 *     they are bit-identical to the references here, and their tiles are the
 *     same bytes. Every output depends only on its weight row and its
 *     activation row (never on nr, T, the tile or the thread), so any split
 *     of the rows over threads gives the same bytes.
 *   - Types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K (senti_q8_tile_bytes
 *     returns 0 for the others).
 */
#include <math.h>

#include "quant_internal.h"

/* ---- sizes ------------------------------------------------------------------ */

bool senti_g8_type_ok(int wtype, int64_t n)
{
    return senti_q8_act_type(wtype) >= 0 && senti_quant_ok(wtype, n);
}

size_t senti_q8_tile_bytes(int wtype, int64_t n, int nr)
{
    if (!senti_g8_type_ok(wtype, n) || nr <= 0)
        return 0;
    const size_t groups = ((size_t)nr + SENTI_G8_ROWS - 1) / SENTI_G8_ROWS;
    return groups * (size_t)(n / SENTI_QK) * SENTI_G8_BLOCK;
}

size_t senti_q8_act_bytes(int64_t n) { return (size_t)n + (size_t)(n / SENTI_QK) * SENTI_G8_META * 4; }

/* ---- one weight block: levels and scales ------------------------------------ */

/* Nibble j of a legacy 32-element qs[16]. */
static int nib(const uint8_t *qs, int j) { return (j < 16 ? qs[j] : qs[j - 16] >> 4) & 0xF; }

/* Levels u[32] of 32-block b of a row (the element order of the reference
 * dequantizers in quant.c). */
static void block_levels(int wtype, const uint8_t *row, int64_t b, uint8_t u[32])
{
    const size_t bs = senti_type_info(wtype)->type_size;
    const uint8_t *k = row + (size_t)(b / 8) * bs; /* K-quant super-block */
    const int c = (int)(b % 8);                    /* its 32-chunk */
    const uint8_t *p = row + (size_t)b * bs;       /* legacy block */
    uint32_t qh = 0;
    for (int j = 0; j < 32; j++) {
        int v;
        switch (wtype) {
        case SENTI_TYPE_Q4_0: v = nib(p + 2, j); break;
        case SENTI_TYPE_Q4_1: v = nib(p + 4, j); break;
        case SENTI_TYPE_Q5_0: memcpy(&qh, p + 2, 4); v = nib(p + 6, j) | (int)((qh >> j) & 1) << 4; break;
        case SENTI_TYPE_Q5_1: memcpy(&qh, p + 4, 4); v = nib(p + 8, j) | (int)((qh >> j) & 1) << 4; break;
        case SENTI_TYPE_Q8_0: v = p[2 + j]; break;
        case SENTI_TYPE_Q2_K: v = (k[16 + 32 * (c / 4) + j] >> (2 * (c % 4))) & 3; break;
        case SENTI_TYPE_Q3_K:
            v = ((k[32 + 32 * (c / 4) + j] >> (2 * (c % 4))) & 3) | ((k[j] >> c) & 1) << 2;
            break;
        case SENTI_TYPE_Q4_K: v = (k[16 + 32 * (c / 2) + j] >> (4 * (c % 2))) & 0xF; break;
        case SENTI_TYPE_Q5_K:
            v = ((k[48 + 32 * (c / 2) + j] >> (4 * (c % 2))) & 0xF) | ((k[16 + j] >> c) & 1) << 4;
            break;
        default: /* Q6_K */
            v = (k[64 * (c / 4) + 32 * (c % 2) + j] >> (4 * ((c % 4) / 2))) & 0xF;
            v |= ((k[128 + 32 * (c / 4) + j] >> (2 * (c % 4))) & 3) << 4;
        }
        u[j] = (uint8_t)v;
    }
}

void senti_g8_block_meta(int wtype, const uint8_t *row, int64_t b, senti_g8_meta *mt)
{
    const size_t bs = senti_type_info(wtype)->type_size;
    const uint8_t *k = row + (size_t)(b / 8) * bs, *p = row + (size_t)b * bs;
    const int c = (int)(b % 8);
    int8_t s3[16];
    uint8_t s, mn;
    mt->sc[0] = mt->sc[1] = 1;
    mt->m[0] = mt->m[1] = 0.0f;
    switch (wtype) {
    case SENTI_TYPE_Q4_0:
    case SENTI_TYPE_Q5_0: mt->d = senti_q_half(p); return;
    case SENTI_TYPE_Q4_1:
    case SENTI_TYPE_Q5_1: mt->d = senti_q_half(p); mt->m[0] = mt->m[1] = senti_q_half(p + 2); return;
    case SENTI_TYPE_Q8_0: mt->d = senti_q_half(p); return;
    case SENTI_TYPE_Q2_K:
        mt->d = senti_q_half(k + 80);
        for (int h = 0; h < 2; h++) {
            mt->sc[h] = k[2 * c + h] & 0xF;
            mt->m[h] = -senti_q_half(k + 82) * (float)(k[2 * c + h] >> 4);
        }
        return;
    case SENTI_TYPE_Q3_K:
        mt->d = senti_q_half(k + 108);
        senti_q_scales_q3k(k + 96, s3);
        for (int h = 0; h < 2; h++)
            mt->sc[h] = s3[2 * c + h];
        return;
    case SENTI_TYPE_Q4_K:
    case SENTI_TYPE_Q5_K:
        mt->d = senti_q_half(k);
        senti_q_scale_min_k4(k + 4, c, &s, &mn);
        mt->sc[0] = mt->sc[1] = s;
        mt->m[0] = mt->m[1] = -senti_q_half(k + 2) * (float)mn;
        return;
    default: /* Q6_K */
        mt->d = senti_q_half(k + 208);
        for (int h = 0; h < 2; h++)
            mt->sc[h] = (int8_t)k[192 + 2 * c + h];
    }
}

void senti_g8_put_meta(uint8_t *gb, int r, const senti_g8_meta *mt)
{
    for (int h = 0; h < 2; h++) {
        uint32_t s2 = (uint16_t)mt->sc[h] | (uint32_t)(uint16_t)mt->sc[h] << 16;
        memcpy(gb + 256 + 32 * h + 4 * r, &s2, 4);
        memcpy(gb + 352 + 32 * h + 4 * r, &mt->m[h], 4);
    }
    memcpy(gb + 320 + 4 * r, &mt->d, 4);
}

/* ---- tiles ---------------------------------------------------------------------- */

void senti_q8_tile_pack_ref(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr, int64_t n,
                            void *tile)
{
    const int64_t nb = n / SENTI_QK;
    uint8_t *out = tile;
    memset(out, 0, senti_q8_tile_bytes(wtype, n, nr));
    for (int i = 0; i < nr; i++) {
        const uint8_t *row = (const uint8_t *)w + (size_t)(sel ? sel[i] : i) * row_bytes;
        uint8_t *g = out + (size_t)(i / SENTI_G8_ROWS) * (size_t)nb * SENTI_G8_BLOCK;
        const int r = i % SENTI_G8_ROWS;
        for (int64_t b = 0; b < nb; b++) {
            uint8_t u[32], *gb = g + (size_t)b * SENTI_G8_BLOCK;
            senti_g8_meta mt;
            block_levels(wtype, row, b, u);
            for (int s = 0; s < 8; s++)
                memcpy(gb + 32 * s + 4 * r, u + 4 * s, 4);
            senti_g8_block_meta(wtype, row, b, &mt);
            senti_g8_put_meta(gb, r, &mt);
        }
    }
}

void senti_q8_tile_pack(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr, int64_t n,
                        void *tile)
{
    const senti_kernels *k = senti_kernels_active();
    if (k->tile_pack && senti_g8_type_ok(wtype, n) && k->tile_pack(wtype, w, row_bytes, sel, nr, n, tile))
        return;
    senti_q8_tile_pack_ref(wtype, w, row_bytes, sel, nr, n, tile);
}

/* ---- activation rows ---------------------------------------------------------------- */

/* The 8-word meta of one activation block: da, the float half sums (or
 * ggml's s: s81, else NULL), and the integer offset pairs of the symmetric weight types. */
static void act_meta(int wtype, const int8_t *q, float da, const float *s81, uint32_t *meta)
{
    int s[2] = {0, 0};
    for (int h = 0; h < 2; h++)
        for (int j = 16 * h; j < 16 * h + 16; j++) /* vectorized by the compiler */
            s[h] += q[j];
    const float f[4] = {da, s81 ? *s81 : da * (float)s[0], s81 ? 0.0f : da * (float)s[1], 0.0f};
    memcpy(meta, f, sizeof f);
    for (int h = 0; h < 2; h++) {
        const int v = -(senti_g8_offset(wtype) / 2) * s[h]; /* |v| <= 16 * 16 * 127 */
        meta[4 + h] = (uint16_t)v | (uint32_t)(uint16_t)v << 16;
    }
    if (senti_g8_offset(wtype) > 8) { /* Q5_0, Q6_K: the whole-block pair would not fit */
        meta[6] = meta[7] = 0;
        return;
    }
    const int v = -(senti_g8_offset(wtype) / 2) * (s[0] + s[1]); /* the whole block's, |v| <= 16256 */
    meta[6] = (uint16_t)v | (uint32_t)(uint16_t)v << 16;
    meta[7] = 0;
}

void senti_q8_act_row(int wtype, const float *x, int64_t n, void *dst)
{
    const int at = senti_q8_act_type(wtype);
    const int64_t nb = n / SENTI_QK;
    int8_t *q = dst;
    uint32_t *meta = (uint32_t *)((uint8_t *)dst + n);
    uint8_t tmp[292];
    for (int64_t b = 0; b < nb; b++) {
        int8_t *qb = q + b * SENTI_QK;
        if (at == SENTI_TYPE_Q8_K) { /* one scale per 256: quantized at the super-block's first 32-block */
            if (b % 8 == 0) {
                senti_quantize_row_q8_K(x + b * SENTI_QK, tmp, SENTI_QK_K);
                memcpy(qb, tmp + 4, SENTI_QK_K);
            }
            act_meta(wtype, qb, senti_q_f32(tmp), NULL, meta + SENTI_G8_META * b);
        } else if (at == SENTI_TYPE_Q8_1) { /* ggml's fp16 s = d * sum(q) for the min term */
            senti_quantize_row_q8_1(x + b * SENTI_QK, tmp, SENTI_QK);
            memcpy(qb, tmp + 4, SENTI_QK);
            const float s81 = senti_q_half(tmp + 2);
            act_meta(wtype, qb, senti_q_half(tmp), &s81, meta + SENTI_G8_META * b);
        } else {
            senti_quantize_row_q8_0(x + b * SENTI_QK, tmp, SENTI_QK);
            memcpy(qb, tmp + 2, SENTI_QK);
            act_meta(wtype, qb, senti_q_half(tmp), NULL, meta + SENTI_G8_META * b);
        }
    }
}

/* ---- the reference product ----------------------------------------------------------- */

static int32_t get_i32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Row r of a tile group against one activation row (the contract's formula). */
static float tile_dot_ref(int wtype, const uint8_t *g, int r, const uint8_t *a, int64_t n)
{
    const int64_t nb = n / SENTI_QK;
    const uint8_t *meta = a + n;
    const bool sgn = wtype == SENTI_TYPE_Q8_0, off = senti_g8_offset(wtype) > 0;
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *gb = g + (size_t)b * SENTI_G8_BLOCK, *mb = meta + (size_t)b * SENTI_G8_META * 4;
        const int8_t *q = (const int8_t *)a + b * SENTI_QK;
        const float d = senti_q_f32(gb + 320 + 4 * r), m0 = senti_q_f32(gb + 352 + 4 * r),
                    m1 = senti_q_f32(gb + 384 + 4 * r);
        int32_t isum[2];
        for (int h = 0; h < 2; h++) {
            int32_t s = 0;
            for (int j = 16 * h; j < 16 * h + 16; j++) {
                const uint8_t u = gb[32 * (j / 4) + 4 * r + j % 4];
                s += (sgn ? (int8_t)u : (int)u) * q[j];
            }
            if (off) /* minus offset * sum(q) */
                s += 2 * (int16_t)get_i32(mb + 16 + 4 * h);
            isum[h] = (int16_t)get_i32(gb + 256 + 32 * h + 4 * r) * s;
        }
        if (senti_g8_one_sum(wtype)) {
            acc = fmaf((float)(isum[0] + isum[1]), d * senti_q_f32(mb), acc);
        } else {
            acc = fmaf((float)isum[0], d * senti_q_f32(mb), acc);
            acc = fmaf((float)isum[1], d * senti_q_f32(mb), acc);
        }
        if (!sgn && !off) {
            acc = fmaf(m0, senti_q_f32(mb + 4), acc);
            acc = fmaf(m1, senti_q_f32(mb + 8), acc);
        }
    }
    return acc;
}

void senti_q8_tile_matmul_ref(int wtype, const void *tile, int nr, const void *act, size_t act_stride, int T,
                              int64_t n, float *y, int64_t ldy)
{
    const size_t gbytes = (size_t)(n / SENTI_QK) * SENTI_G8_BLOCK;
    for (int i = 0; i < nr; i++) {
        const uint8_t *g = (const uint8_t *)tile + (size_t)(i / SENTI_G8_ROWS) * gbytes;
        for (int t = 0; t < T; t++)
            y[(size_t)t * (size_t)ldy + (size_t)i] =
                tile_dot_ref(wtype, g, i % SENTI_G8_ROWS, (const uint8_t *)act + (size_t)t * act_stride, n);
    }
}

void senti_q8_tile_matmul(int wtype, const void *tile, int nr, const void *act, size_t act_stride, int T,
                          int64_t n, float *y, int64_t ldy)
{
    const senti_kernels *k = senti_kernels_active();
    if (k->tile_matmul && senti_g8_type_ok(wtype, n) &&
        k->tile_matmul(wtype, tile, nr, act, act_stride, T, n, y, ldy))
        return;
    senti_q8_tile_matmul_ref(wtype, tile, nr, act, act_stride, T, n, y, ldy);
}
