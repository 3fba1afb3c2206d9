/*
 * quant_kq.c - reference quantizers for the K-quant super-blocks (256
 * elements). Layouts: see quant_internal.h and the dequantizers in quant.c.
 *
 * Contract: straightforward, deterministic, round-to-nearest quantizers with
 * min/max (or signed absmax) sub-block scales quantized to the format's scale
 * bits. They are meant to build small test models with bounded error, not to
 * match ggml's quantizers (which search scales harder) bit for bit.
 */
#include "quant_internal.h"

#include <math.h>

static float senti_maxf(const float *v, int n)
{
    float m = 0.0f;
    for (int i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* Sub-block affine parameters: x ~ scale * q - mn with q in 0..maxq and
 * mn >= 0 (the range always includes 0, as in ggml). */
static void senti_affine_params(const float *x, int n, int maxq, float *scale, float *mn)
{
    float lo, hi;
    senti_minmax(x, n, &lo, &hi);
    lo = lo > 0.0f ? 0.0f : lo;
    *scale = (hi - lo) / (float)maxq;
    *mn = -lo;
}

/* Quantize n values against effective scale d and min m, levels 0..maxq. */
static void senti_affine_levels(const float *x, int n, float d, float m, int maxq, uint8_t *q)
{
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < n; i++)
        q[i] = (uint8_t)senti_qround((x[i] + m) * id, 0, maxq);
}

/* Pack eight 6-bit scales and mins into the 12-byte Q4_K/Q5_K layout. */
static void senti_pack_scale_min_k4(const uint8_t sc[8], const uint8_t m[8], uint8_t s[12])
{
    for (int j = 0; j < 4; j++) {
        s[j] = sc[j] & 63;
        s[j + 4] = m[j] & 63;
    }
    for (int j = 4; j < 8; j++) {
        s[j + 4] = (uint8_t)((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
        s[j - 4] |= (uint8_t)((sc[j] >> 4) << 6);
        s[j] |= (uint8_t)((m[j] >> 4) << 6);
    }
}

/* Shared body of Q4_K (maxq 15) and Q5_K (maxq 31): fills d, dmin, scales
 * and the 256 levels q. */
static void senti_qnt_k4(const float *x, uint8_t *b, int maxq, uint8_t q[256])
{
    float scale[8], mn[8]; /* [sub-block] */
    for (int j = 0; j < 8; j++)
        senti_affine_params(x + 32 * j, 32, maxq, &scale[j], &mn[j]);
    senti_put_half(b, senti_maxf(scale, 8) / 63.0f);
    senti_put_half(b + 2, senti_maxf(mn, 8) / 63.0f);
    float d = senti_q_half(b), dmin = senti_q_half(b + 2);
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; j++) {
        sc[j] = (uint8_t)(d > 0.0f ? senti_qround(scale[j] / d, 0, 63) : 0);
        m[j] = (uint8_t)(dmin > 0.0f ? senti_qround(mn[j] / dmin, 0, 63) : 0);
        senti_affine_levels(x + 32 * j, 32, d * sc[j], dmin * m[j], maxq, q + 32 * j);
    }
    memset(b + 4, 0, 12);
    senti_pack_scale_min_k4(sc, m, b + 4);
}

void senti_qnt_q4_k(const float *x, uint8_t *b)
{
    uint8_t q[256];
    senti_qnt_k4(x, b, 15, q);
    uint8_t *qs = b + 16;
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < 32; l++)
            qs[32 * k + l] = (uint8_t)(q[64 * k + l] | (q[64 * k + 32 + l] << 4));
}

void senti_qnt_q5_k(const float *x, uint8_t *b)
{
    uint8_t q[256];
    senti_qnt_k4(x, b, 31, q);
    uint8_t *qh = b + 16, *qs = b + 48;
    memset(qh, 0, 32);
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 32; l++)
            qh[l] |= (uint8_t)(((q[32 * j + l] >> 4) & 1) << j);
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < 32; l++)
            qs[32 * k + l] = (uint8_t)((q[64 * k + l] & 0xF) | ((q[64 * k + 32 + l] & 0xF) << 4));
}

/* Q2_K: sixteen 16-element sub-blocks, 2-bit levels, 4-bit scales and mins. */
void senti_qnt_q2_k(const float *x, uint8_t *b)
{
    float scale[16], mn[16]; /* [sub-block] */
    for (int j = 0; j < 16; j++)
        senti_affine_params(x + 16 * j, 16, 3, &scale[j], &mn[j]);
    senti_put_half(b + 80, senti_maxf(scale, 16) / 15.0f);
    senti_put_half(b + 82, senti_maxf(mn, 16) / 15.0f);
    float d = senti_q_half(b + 80), dmin = senti_q_half(b + 82);
    uint8_t q[256];
    for (int j = 0; j < 16; j++) {
        int sc = d > 0.0f ? senti_qround(scale[j] / d, 0, 15) : 0;
        int m = dmin > 0.0f ? senti_qround(mn[j] / dmin, 0, 15) : 0;
        b[j] = (uint8_t)(sc | (m << 4));
        senti_affine_levels(x + 16 * j, 16, d * (float)sc, dmin * (float)m, 3, q + 16 * j);
    }
    uint8_t *qs = b + 16;
    memset(qs, 0, 64);
    for (int i = 0; i < 256; i++)
        qs[32 * (i / 128) + i % 32] |= (uint8_t)(q[i] << (2 * ((i / 32) % 4)));
}

/* Q3_K: sixteen 16-element sub-blocks, levels -4..3, signed 6-bit scales. */
void senti_qnt_q3_k(const float *x, uint8_t *b)
{
    float scale[16], amax = 0.0f; /* [sub-block] */
    for (int j = 0; j < 16; j++) {
        scale[j] = senti_signed_amax(x + 16 * j, 16) / -4.0f;
        amax = fabsf(scale[j]) > amax ? fabsf(scale[j]) : amax;
    }
    senti_put_half(b + 108, amax / 31.0f);
    float d = senti_q_half(b + 108);
    uint8_t *hmask = b, *qs = b + 32, *s = b + 96;
    memset(b, 0, 108);
    for (int j = 0; j < 16; j++) {
        int sc = d > 0.0f ? senti_qround(scale[j] / d, -32, 31) : 0;
        int u = sc + 32; /* stored unsigned 6-bit */
        s[j % 8] |= (uint8_t)((u & 0xF) << (4 * (j / 8)));
        s[8 + j % 4] |= (uint8_t)((u >> 4) << (2 * (j / 4)));
        float dl = d * (float)sc, idl = dl != 0.0f ? 1.0f / dl : 0.0f;
        for (int k = 0; k < 16; k++) {
            int i = 16 * j + k;
            int v = senti_qround(x[i] * idl, -4, 3) + 4; /* 0..7 */
            qs[32 * (i / 128) + i % 32] |= (uint8_t)((v & 3) << (2 * ((i / 32) % 4)));
            hmask[i % 32] |= (uint8_t)((v >> 2) << (i / 32));
        }
    }
}

/* Q6_K: sixteen 16-element sub-blocks, levels -32..31, int8 scales. */
void senti_qnt_q6_k(const float *x, uint8_t *b)
{
    float scale[16], amax = 0.0f; /* [sub-block] */
    for (int j = 0; j < 16; j++) {
        scale[j] = senti_signed_amax(x + 16 * j, 16) / -32.0f;
        amax = fabsf(scale[j]) > amax ? fabsf(scale[j]) : amax;
    }
    senti_put_half(b + 208, amax / 127.0f);
    float d = senti_q_half(b + 208);
    uint8_t *ql = b, *qh = b + 128;
    memset(b, 0, 208);
    for (int j = 0; j < 16; j++) {
        int sc = d > 0.0f ? senti_qround(scale[j] / d, -127, 127) : 0;
        b[192 + j] = (uint8_t)(int8_t)sc;
        float dl = d * (float)sc, idl = dl != 0.0f ? 1.0f / dl : 0.0f;
        for (int k = 0; k < 16; k++) {
            int i = 16 * j + k, h = i / 128, r = (i / 32) % 4, l = i % 32;
            int v = senti_qround(x[i] * idl, -32, 31) + 32; /* 0..63 */
            ql[64 * h + 32 * (r % 2) + l] |= (uint8_t)((v & 0xF) << (4 * (r / 2)));
            qh[32 * h + l] |= (uint8_t)((v >> 4) << (2 * r));
        }
    }
}
