/*
 * quant_internal.h - private interface of the tensor-type kernels: quant.c
 * (traits, scalar references, quantizer helpers) at the bottom; quant_simd.c
 * and quant_q8_simd.c (fast kernels, compiled once per instruction-set level,
 * see isa.h), quant_kq.c and quantize.c (reference quantizers) above it;
 * quant_dispatch.c (level selection, fast kernel or reference) on top.
 *
 * Block layouts, as ggml defines them (all multi-byte fields little-endian,
 * "fp16" is an IEEE half stored as uint16):
 *
 *   Q4_0  32 el, 18 B: fp16 d; u8 qs[16]              x = (nib - 8) * d
 *   Q4_1  32 el, 20 B: fp16 d, m; u8 qs[16]           x = nib * d + m
 *   Q5_0  32 el, 22 B: fp16 d; u8 qh[4]; u8 qs[16]    x = ((nib | hbit<<4) - 16) * d
 *   Q5_1  32 el, 24 B: fp16 d, m; u8 qh[4]; u8 qs[16] x = (nib | hbit<<4) * d + m
 *   Q8_0  32 el, 34 B: fp16 d; i8 qs[32]              x = q * d
 *   Q2_K 256 el, 84 B: u8 scales[16]; u8 qs[64]; fp16 d, dmin
 *   Q3_K 256 el,110 B: u8 hmask[32]; u8 qs[64]; u8 scales[12]; fp16 d
 *   Q4_K 256 el,144 B: fp16 d, dmin; u8 scales[12]; u8 qs[128]
 *   Q5_K 256 el,176 B: fp16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
 *   Q6_K 256 el,210 B: u8 ql[128]; u8 qh[64]; i8 scales[16]; fp16 d
 *
 * In the 32-element legacy blocks, element j < 16 is the low nibble of qs[j]
 * and element j + 16 its high nibble; the fifth bit of element j is bit j of
 * the little-endian u32 qh. The K-quant orderings are documented beside
 * their reference dequantizers in quant.c.
 */
#ifndef SENTI_QUANT_INTERNAL_H
#define SENTI_QUANT_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "senti/quant.h"

#define SENTI_QK 32   /* elements per legacy block */
#define SENTI_QK_K 256 /* elements per K-quant super-block */

/* Read a little-endian fp16 field at p (no alignment assumed). */
static inline float senti_q_half(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return senti_fp16_to_f32(h);
}

/* Read a little-endian f32 field at p (no alignment assumed). */
static inline float senti_q_f32(const uint8_t *p)
{
    float f;
    memcpy(&f, p, sizeof f);
    return f;
}

/* Unpack the 6-bit scale j and min j (j < 8) of a Q4_K/Q5_K scales[12]. */
static inline void senti_q_scale_min_k4(const uint8_t *s, int j, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
        *m = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

/* The 16 signed 6-bit scales of a Q3_K scales[12] (already minus 32). */
static inline void senti_q_scales_q3k(const uint8_t *s, int8_t out[16])
{
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
        int hi = (s[8 + (j % 4)] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((lo | (hi << 4)) - 32);
    }
}

/* True when `type` is supported and n is a whole number of its blocks. */
bool senti_quant_ok(int type, int64_t n);

/* Quantizer helpers (quant.c) shared by quantize.c and quant_kq.c. */
void senti_put_half(uint8_t *p, float f);            /* store f as fp16 at p */
int senti_qround(float v, int lo, int hi);           /* round, clamp; NaN -> lo */
float senti_signed_amax(const float *x, int n);      /* value of largest |x| */
void senti_minmax(const float *x, int n, float *lo, float *hi);

/* Reference K-quant quantizers (quant_kq.c): one 256-element super-block. */
void senti_qnt_q2_k(const float *x, uint8_t *b);
void senti_qnt_q3_k(const float *x, uint8_t *b);
void senti_qnt_q4_k(const float *x, uint8_t *b);
void senti_qnt_q5_k(const float *x, uint8_t *b);
void senti_qnt_q6_k(const float *x, uint8_t *b);

/* The Q8_K bsums (16-element sums of the quants) of block b (quant_q8.c). */
void senti_q8k_bsums(uint8_t *b);

/* ---- int8 GEMM tiles (quant_gemm.c; layout in its contract) ---- */
#define SENTI_G8_ROWS 8    /* weight rows per interleaved group */
#define SENTI_G8_BLOCK 416 /* bytes per 32-element block of a group */
#define SENTI_G8_META 8    /* 32-bit words per block of an activation row */

/* The level offset of the symmetric types (Q4_0 8, Q5_0 16, Q3_K 4, Q6_K 32), else 0. */
static inline int senti_g8_offset(int wtype)
{
    switch (wtype) {
    case SENTI_TYPE_Q4_0: return 8;
    case SENTI_TYPE_Q5_0: return 16;
    case SENTI_TYPE_Q3_K: return 4;
    case SENTI_TYPE_Q6_K: return 32;
    default: return 0;
    }
}

/* True when the two halves of a 32-block are summed in the same int16 lanes
 * of the int8 GEMM (the 4-bit types: 8 steps of products stay within int16;
 * see quant_q8_simd.c). */
static inline bool senti_g8_whole(int wtype)
{
    return wtype == SENTI_TYPE_Q4_0 || wtype == SENTI_TYPE_Q4_1 || wtype == SENTI_TYPE_Q4_K;
}

/* True when the halves of a 32-block share sc (every type but Q2_K, Q3_K and
 * Q6_K, whose scales are per 16): the block's two integer sums are added in
 * int32 and converted to float once, one multiply-add per block instead of
 * two (the conversion and the float multiply-add were a third of the int8
 * GEMM's instructions). */
static inline bool senti_g8_one_sum(int wtype)
{
    return wtype != SENTI_TYPE_Q2_K && wtype != SENTI_TYPE_Q3_K && wtype != SENTI_TYPE_Q6_K;
}

/* Integer sub-scales, multiplier d and min terms of one 32-block of a row. */
typedef struct {
    int sc[2];  /* per 16-element half */
    float d;    /* w = d * sc_h * u + m_h */
    float m[2]; /* per half */
} senti_g8_meta;

/* True when wtype has a tile layout and n is a whole number of its blocks. */
bool senti_g8_type_ok(int wtype, int64_t n);
/* The scales of 32-block b of a row (shared by the reference and fast packers). */
void senti_g8_block_meta(int wtype, const uint8_t *row, int64_t b, senti_g8_meta *mt);
/* Store them as row r of the group block at gb. */
void senti_g8_put_meta(uint8_t *gb, int r, const senti_g8_meta *mt);

/* ---- kernel levels (quant_dispatch.c) ----
 * The fast kernels of one instruction-set level. Each returns 0 when it has
 * no fast path for the type (the caller then uses the reference). The scalar
 * level has no entries. */
typedef struct senti_kernels {
    int (*dequant)(int type, const void *src, float *dst, int64_t n);           /* quant_simd.c */
    int (*dot)(int type, const void *row, const float *x, int64_t n, float *out); /* quant_simd.c */
    int (*quantize_q8)(int atype, const float *x, void *dst, int64_t n);         /* quant_q8_simd.c */
    int (*dot_rows_q8)(int wtype, const void *row, const void *xq, size_t xq_stride, int nt, int64_t n,
                       float *out); /* quant_q8_simd.c */
    int (*tile_pack)(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr, int64_t n,
                     void *tile); /* quant_q8_simd.c */
    int (*tile_matmul)(int wtype, const void *tile, int nr, const void *act, size_t act_stride, int T, int64_t n,
                       float *y, int64_t ldy); /* quant_q8_simd.c */
    int (*glu)(int gelu, float *gate, const float *up, size_t n); /* act_simd.c */
} senti_kernels;

/* The kernels of the selected level (the best the CPU runs unless
 * senti_isa_force chose another); never NULL. */
const senti_kernels *senti_kernels_active(void);

/* The entry points of one level's objects, named with its suffix (isa.h). */
#define SENTI_KERNELS_DECLARE(isa)                                                                        \
    int senti_quant_dequant_fast_##isa(int type, const void *src, float *dst, int64_t n);                 \
    int senti_quant_dot_fast_##isa(int type, const void *row, const float *x, int64_t n, float *out);     \
    int senti_q8_quantize_fast_##isa(int atype, const float *x, void *dst, int64_t n);                    \
    int senti_q8_dot_rows_fast_##isa(int wtype, const void *row, const void *xq, size_t xq_stride, int nt, \
                                     int64_t n, float *out);                                              \
    int senti_q8_tile_pack_fast_##isa(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr,  \
                                      int64_t n, void *tile);                                                 \
    int senti_q8_tile_matmul_fast_##isa(int wtype, const void *tile, int nr, const void *act, size_t act_stride, \
                                        int T, int64_t n, float *y, int64_t ldy);                \
    int senti_glu_fast_##isa(int gelu, float *gate, const float *up, size_t n)
SENTI_KERNELS_DECLARE(avx2);
SENTI_KERNELS_DECLARE(avx512);
SENTI_KERNELS_DECLARE(avx512vnni);

#endif
