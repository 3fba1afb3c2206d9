/*
 * quantize.c - reference quantizers, one block at a time, for the legacy
 * 32-element types (here) and the K-quants (quant_kq.c).
 *
 * They are simple (round to nearest, min/max scales): they exist to build test
 * models and LoRA-merged weights, not to match ggml's quantizers bit for bit.
 * Reentrant; nothing allocates.
 */
#include "quant_internal.h"

#include <math.h>

typedef void (*senti_qnt_block_fn)(const float *x, uint8_t *b);

static void senti_qnt_f32(const float *x, uint8_t *b)
{
    memcpy(b, x, sizeof *x);
}

static void senti_qnt_f16(const float *x, uint8_t *b)
{
    senti_put_half(b, x[0]);
}

static void senti_qnt_bf16(const float *x, uint8_t *b)
{
    uint16_t h = senti_f32_to_bf16(x[0]);
    memcpy(b, &h, sizeof h);
}

/* Symmetric 4/5-bit block: d = amax / -half so the extreme maps to -half;
 * writes the levels (0..2*half-1) into q[32] and returns the stored d. */
static float senti_qnt_sym(const float *x, uint8_t *b, int half, uint8_t q[32])
{
    float d = senti_signed_amax(x, 32) / (float)-half;
    senti_put_half(b, d);
    d = senti_q_half(b); /* quantize against the stored scale */
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++)
        q[j] = (uint8_t)senti_qround(x[j] * id + (float)half, 0, 2 * half - 1);
    return d;
}

/* Affine block: x ~ q * d + m with m = min; levels 0..maxq. */
static void senti_qnt_affine(const float *x, uint8_t *b, int maxq, uint8_t q[32])
{
    float lo, hi;
    senti_minmax(x, 32, &lo, &hi);
    senti_put_half(b, (hi - lo) / (float)maxq);
    senti_put_half(b + 2, lo);
    float d = senti_q_half(b), m = senti_q_half(b + 2);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++)
        q[j] = (uint8_t)senti_qround((x[j] - m) * id, 0, maxq);
}

static void senti_pack_nibbles(const uint8_t q[32], uint8_t *qs)
{
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
}

static void senti_pack_q5(const uint8_t q[32], uint8_t *qh_out, uint8_t *qs)
{
    uint32_t qh = 0;
    for (int j = 0; j < 32; j++)
        qh |= (uint32_t)((q[j] >> 4) & 1) << j;
    memcpy(qh_out, &qh, sizeof qh);
    senti_pack_nibbles(q, qs);
}

static void senti_qnt_q4_0(const float *x, uint8_t *b)
{
    uint8_t q[32];
    senti_qnt_sym(x, b, 8, q);
    senti_pack_nibbles(q, b + 2);
}

static void senti_qnt_q4_1(const float *x, uint8_t *b)
{
    uint8_t q[32];
    senti_qnt_affine(x, b, 15, q);
    senti_pack_nibbles(q, b + 4);
}

static void senti_qnt_q5_0(const float *x, uint8_t *b)
{
    uint8_t q[32];
    senti_qnt_sym(x, b, 16, q);
    senti_pack_q5(q, b + 2, b + 6);
}

static void senti_qnt_q5_1(const float *x, uint8_t *b)
{
    uint8_t q[32];
    senti_qnt_affine(x, b, 31, q);
    senti_pack_q5(q, b + 4, b + 8);
}

static void senti_qnt_q8_0(const float *x, uint8_t *b)
{
    float amax = fabsf(senti_signed_amax(x, 32));
    senti_put_half(b, amax / 127.0f);
    float d = senti_q_half(b), id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++)
        b[2 + j] = (uint8_t)(int8_t)senti_qround(x[j] * id, -127, 127);
}

static senti_qnt_block_fn senti_qnt_block(int type)
{
    switch (type) {
    case SENTI_TYPE_F32: return senti_qnt_f32;
    case SENTI_TYPE_F16: return senti_qnt_f16;
    case SENTI_TYPE_BF16: return senti_qnt_bf16;
    case SENTI_TYPE_Q4_0: return senti_qnt_q4_0;
    case SENTI_TYPE_Q4_1: return senti_qnt_q4_1;
    case SENTI_TYPE_Q5_0: return senti_qnt_q5_0;
    case SENTI_TYPE_Q5_1: return senti_qnt_q5_1;
    case SENTI_TYPE_Q8_0: return senti_qnt_q8_0;
    case SENTI_TYPE_Q2_K: return senti_qnt_q2_k;
    case SENTI_TYPE_Q3_K: return senti_qnt_q3_k;
    case SENTI_TYPE_Q4_K: return senti_qnt_q4_k;
    case SENTI_TYPE_Q5_K: return senti_qnt_q5_k;
    case SENTI_TYPE_Q6_K: return senti_qnt_q6_k;
    default: return NULL;
    }
}

size_t senti_quantize_row_ref(int type, const float *src, void *dst, int64_t n)
{
    senti_qnt_block_fn fn = senti_qnt_block(type);
    if (!fn || !senti_quant_ok(type, n))
        return 0;
    const senti_type_traits *t = senti_type_info(type);
    uint8_t *b = dst;
    for (int64_t i = 0; i < n; i += t->block_size, b += t->type_size)
        fn(src + i, b);
    return senti_type_row_size(type, n);
}
