/*
 * quant_internal.h - private interface of the tensor-type kernels: quant.c
 * (traits, scalar references, quantizer helpers) at the bottom; quant_simd.c
 * (fast kernels), quant_kq.c and quantize.c (reference quantizers) above it;
 * quant_dispatch.c (fast kernel or reference) on top.
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

/* Fast kernels (quant_simd.c). Return 0 when the type has no fast path, in
 * which case the caller falls back to the reference. */
int senti_quant_dequant_fast(int type, const void *src, float *dst, int64_t n);
int senti_quant_dot_fast(int type, const void *row, const float *x, int64_t n, float *out);

#endif
