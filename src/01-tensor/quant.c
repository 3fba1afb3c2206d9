/*
 * quant.c - ggml tensor types: traits, fp16/bf16 conversions, scalar reference
 * dequantizers and dot products, and the helpers of the reference quantizers.
 * The bottom of the tensor layer: quant_simd.c, quant_kq.c, quantize.c and
 * quant_dispatch.c build on it.
 *
 * Contract:
 *   - The `_ref` kernels follow each format's definition literally, one block
 *     at a time, with the same float operations (and order) as ggml's scalar
 *     dequantizers, so that they agree bit for bit with gguf-py's numpy
 *     dequantizers (checked by tests/check_quant.c against committed fixtures).
 *   - senti_dot_row_ref is "dequantize, then dot in double".
 *   - The fast kernels produce bit-identical dequantized values; fast dots
 *     differ from the reference only by float summation order.
 *   - An unknown or unsupported type (or n not a multiple of the block size)
 *     dequantizes to NaN and dots to NaN: wrong calls are loud, never silent.
 *   - Everything here is reentrant; nothing allocates.
 */
#include "quant_internal.h"

#include <math.h>

/* ---- traits ------------------------------------------------------------ */

#define T(id, nm, bs, ts, ok) [id] = {nm, bs, ts, ok}
static const senti_type_traits senti_traits[SENTI_TYPE_COUNT] = {
    T(0, "F32", 1, 4, true),         T(1, "F16", 1, 2, true),
    T(2, "Q4_0", 32, 18, true),      T(3, "Q4_1", 32, 20, true),
    T(6, "Q5_0", 32, 22, true),      T(7, "Q5_1", 32, 24, true),
    T(8, "Q8_0", 32, 34, true),      T(9, "Q8_1", 32, 36, false),
    T(10, "Q2_K", 256, 84, true),    T(11, "Q3_K", 256, 110, true),
    T(12, "Q4_K", 256, 144, true),   T(13, "Q5_K", 256, 176, true),
    T(14, "Q6_K", 256, 210, true),   T(15, "Q8_K", 256, 292, false),
    T(16, "IQ2_XXS", 256, 66, false), T(17, "IQ2_XS", 256, 74, false),
    T(18, "IQ3_XXS", 256, 98, false), T(19, "IQ1_S", 256, 50, false),
    T(20, "IQ4_NL", 32, 18, false),  T(21, "IQ3_S", 256, 110, false),
    T(22, "IQ2_S", 256, 82, false),  T(23, "IQ4_XS", 256, 136, false),
    T(24, "I8", 1, 1, false),        T(25, "I16", 1, 2, false),
    T(26, "I32", 1, 4, false),       T(27, "I64", 1, 8, false),
    T(28, "F64", 1, 8, false),       T(29, "IQ1_M", 256, 56, false),
    T(30, "BF16", 1, 2, true),       T(34, "TQ1_0", 256, 54, false),
    T(35, "TQ2_0", 256, 66, false),  T(39, "MXFP4", 32, 17, false),
};
#undef T

const senti_type_traits *senti_type_info(int type)
{
    if (type < 0 || type >= SENTI_TYPE_COUNT || !senti_traits[type].name)
        return NULL;
    return &senti_traits[type];
}

const char *senti_type_name(int type)
{
    const senti_type_traits *t = senti_type_info(type);
    return t ? t->name : "unknown";
}

size_t senti_type_row_size(int type, int64_t n)
{
    const senti_type_traits *t = senti_type_info(type);
    if (!t || n < 0 || n % t->block_size != 0)
        return 0;
    return (size_t)(n / t->block_size) * t->type_size;
}

/* True when (type, n) is something the kernels can process. */
bool senti_quant_ok(int type, int64_t n)
{
    const senti_type_traits *t = senti_type_info(type);
    return t && t->supported && n >= 0 && n % t->block_size == 0;
}

/* ---- fp16 / bf16 ------------------------------------------------------- */

static float senti_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t senti_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float senti_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
    if (exp == 0) { /* zero or subnormal: man * 2^-24, exact in float */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    if (exp == 31) /* inf / NaN, payload kept */
        return senti_bits_f32(sign | 0x7F800000u | (man << 13));
    return senti_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/* Round m >> shift to nearest, ties to even (shift >= 1). */
static uint32_t senti_rne_shift(uint32_t m, int shift)
{
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    return q;
}

uint16_t senti_f32_to_fp16(float f)
{
    uint32_t x = senti_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) /* NaN: quiet, keep the top payload bits */
        return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
    if (ax >= 0x477FF000u) /* >= 65520 rounds to infinity */
        return (uint16_t)(sign | 0x7C00u);
    if (ax < 0x38800000u) { /* below 2^-14: subnormal half or zero */
        int e = (int)(ax >> 23);
        int shift = 126 - e; /* value * 2^24 = m * 2^-shift */
        if (shift > 24)
            return sign;
        uint32_t m = (ax & 0x7FFFFFu) | 0x800000u;
        return (uint16_t)(sign | senti_rne_shift(m, shift));
    }
    uint32_t h = (((ax >> 23) - 112) << 10) | ((ax & 0x7FFFFFu) >> 13);
    uint32_t rem = ax & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* a carry into the exponent is still the right encoding */
    return (uint16_t)(sign | h);
}

float senti_bf16_to_f32(uint16_t h)
{
    return senti_bits_f32((uint32_t)h << 16);
}

uint16_t senti_f32_to_bf16(float f)
{
    uint32_t x = senti_f32_bits(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) /* NaN: force quiet */
        return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* ---- reference dequantizers, one block each ----------------------------- */

typedef void (*senti_deq_block_fn)(const uint8_t *b, float *y);

static void senti_deq_f32(const uint8_t *b, float *y)
{
    memcpy(y, b, sizeof *y);
}

static void senti_deq_f16(const uint8_t *b, float *y)
{
    y[0] = senti_q_half(b);
}

static void senti_deq_bf16(const uint8_t *b, float *y)
{
    uint16_t h;
    memcpy(&h, b, sizeof h);
    y[0] = senti_bf16_to_f32(h);
}

static void senti_deq_q4_0(const uint8_t *b, float *y)
{
    float d = senti_q_half(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((qs[j] & 0xF) - 8) * d;
        y[j + 16] = (float)((qs[j] >> 4) - 8) * d;
    }
}

static void senti_deq_q4_1(const uint8_t *b, float *y)
{
    float d = senti_q_half(b), m = senti_q_half(b + 2);
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(qs[j] & 0xF) * d + m;
        y[j + 16] = (float)(qs[j] >> 4) * d + m;
    }
}

/* The 5-bit value of element j of a Q5 block (nibbles qs, high bits qh). */
static int senti_q5_value(const uint8_t *qs, uint32_t qh, int j)
{
    int nib = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
    return nib | (int)(((qh >> j) & 1u) << 4);
}

static void senti_deq_q5_0(const uint8_t *b, float *y)
{
    float d = senti_q_half(b);
    uint32_t qh;
    memcpy(&qh, b + 2, sizeof qh);
    for (int j = 0; j < 32; j++)
        y[j] = (float)(senti_q5_value(b + 6, qh, j) - 16) * d;
}

static void senti_deq_q5_1(const uint8_t *b, float *y)
{
    float d = senti_q_half(b), m = senti_q_half(b + 2);
    uint32_t qh;
    memcpy(&qh, b + 4, sizeof qh);
    for (int j = 0; j < 32; j++)
        y[j] = (float)senti_q5_value(b + 8, qh, j) * d + m;
}

static void senti_deq_q8_0(const uint8_t *b, float *y)
{
    float d = senti_q_half(b);
    const int8_t *qs = (const int8_t *)(b + 2);
    for (int j = 0; j < 32; j++)
        y[j] = (float)qs[j] * d;
}

/* Q2_K: element i = 128c + 32s + l (c < 2, s < 4, l < 32) is bits 2s..2s+1 of
 * qs[32c + l]; sub-block i / 16 has scale (low nibble) and min (high nibble)
 * in scales[i / 16]: x = d * sc * q - dmin * mn. */
static void senti_deq_q2_k(const uint8_t *b, float *y)
{
    const uint8_t *sc = b, *qs = b + 16;
    float d = senti_q_half(b + 80), dmin = senti_q_half(b + 82);
    for (int i = 0; i < SENTI_QK_K; i++) {
        int c = i / 128, s = (i / 32) % 4, l = i % 32;
        int q = (qs[32 * c + l] >> (2 * s)) & 3;
        float dl = d * (float)(sc[i / 16] & 0xF), ml = dmin * (float)(sc[i / 16] >> 4);
        y[i] = dl * (float)q - ml;
    }
}

/* Q3_K: the two low bits as in Q2_K; element i's high bit is bit i / 32 of
 * hmask[i % 32], and q = low - (high ? 0 : 4); sub-block i / 16 has a signed
 * 6-bit scale: x = (d * sc) * q. */
static void senti_deq_q3_k(const uint8_t *b, float *y)
{
    const uint8_t *hmask = b, *qs = b + 32;
    float d = senti_q_half(b + 108);
    int8_t sc[16];
    senti_q_scales_q3k(b + 96, sc);
    for (int i = 0; i < SENTI_QK_K; i++) {
        int c = i / 128, s = (i / 32) % 4, l = i % 32;
        int q = (qs[32 * c + l] >> (2 * s)) & 3;
        if (!((hmask[l] >> (i / 32)) & 1))
            q -= 4;
        y[i] = (d * (float)sc[i / 16]) * (float)q;
    }
}

/* Q4_K: chunk k < 4 of 64 elements uses qs[32k..32k+31]: low nibbles are
 * sub-block 2k, high nibbles sub-block 2k+1; x = (d * sc) * q - dmin * m. */
static void senti_deq_q4_k(const uint8_t *b, float *y)
{
    float d = senti_q_half(b), dmin = senti_q_half(b + 2);
    const uint8_t *scales = b + 4, *qs = b + 16;
    for (int k = 0; k < 4; k++) {
        uint8_t sc0, m0, sc1, m1;
        senti_q_scale_min_k4(scales, 2 * k, &sc0, &m0);
        senti_q_scale_min_k4(scales, 2 * k + 1, &sc1, &m1);
        float d0 = d * sc0, dm0 = dmin * m0, d1 = d * sc1, dm1 = dmin * m1;
        for (int l = 0; l < 32; l++) {
            y[64 * k + l] = d0 * (float)(qs[32 * k + l] & 0xF) - dm0;
            y[64 * k + 32 + l] = d1 * (float)(qs[32 * k + l] >> 4) - dm1;
        }
    }
}

/* Q5_K: as Q4_K, plus a fifth bit: element 32j + l (sub-block j) has bit j of
 * qh[l]. */
static void senti_deq_q5_k(const uint8_t *b, float *y)
{
    float d = senti_q_half(b), dmin = senti_q_half(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *qs = b + 48;
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        senti_q_scale_min_k4(scales, j, &sc, &m);
        float dj = d * sc, dmj = dmin * m;
        for (int l = 0; l < 32; l++) {
            int nib = (qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF;
            int q = nib | (((qh[l] >> j) & 1) << 4);
            y[32 * j + l] = dj * (float)q - dmj;
        }
    }
}

/* Q6_K: half h < 2 covers elements 128h..128h+127 with ql[64h..], qh[32h..];
 * element 128h + 32r + l (r < 4) takes nibble (r / 2) of ql[64h + 32(r % 2) + l]
 * and bits 2r..2r+1 of qh[32h + l] as its top two bits; q = v - 32 and
 * x = (d * scales[i / 16]) * q. */
static void senti_deq_q6_k(const uint8_t *b, float *y)
{
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    float d = senti_q_half(b + 208);
    for (int i = 0; i < SENTI_QK_K; i++) {
        int h = i / 128, r = (i / 32) % 4, l = i % 32;
        int lo = (ql[64 * h + 32 * (r % 2) + l] >> (4 * (r / 2))) & 0xF;
        int hi = (qh[32 * h + l] >> (2 * r)) & 3;
        y[i] = (d * (float)sc[i / 16]) * (float)((lo | (hi << 4)) - 32);
    }
}

static senti_deq_block_fn senti_deq_block(int type)
{
    switch (type) {
    case SENTI_TYPE_F32: return senti_deq_f32;
    case SENTI_TYPE_F16: return senti_deq_f16;
    case SENTI_TYPE_BF16: return senti_deq_bf16;
    case SENTI_TYPE_Q4_0: return senti_deq_q4_0;
    case SENTI_TYPE_Q4_1: return senti_deq_q4_1;
    case SENTI_TYPE_Q5_0: return senti_deq_q5_0;
    case SENTI_TYPE_Q5_1: return senti_deq_q5_1;
    case SENTI_TYPE_Q8_0: return senti_deq_q8_0;
    case SENTI_TYPE_Q2_K: return senti_deq_q2_k;
    case SENTI_TYPE_Q3_K: return senti_deq_q3_k;
    case SENTI_TYPE_Q4_K: return senti_deq_q4_k;
    case SENTI_TYPE_Q5_K: return senti_deq_q5_k;
    case SENTI_TYPE_Q6_K: return senti_deq_q6_k;
    default: return NULL;
    }
}

static void senti_fill_nan(float *dst, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = NAN;
}

void senti_dequant_row_ref(int type, const void *src, float *dst, int64_t n)
{
    senti_deq_block_fn fn = senti_deq_block(type);
    if (!fn || !senti_quant_ok(type, n)) {
        senti_fill_nan(dst, n);
        return;
    }
    const senti_type_traits *t = senti_type_info(type);
    const uint8_t *b = src;
    for (int64_t i = 0; i < n; i += t->block_size, b += t->type_size)
        fn(b, dst + i);
}

float senti_dot_row_ref(int type, const void *row, const float *x, int64_t n)
{
    senti_deq_block_fn fn = senti_deq_block(type);
    if (!fn || !senti_quant_ok(type, n))
        return NAN;
    const senti_type_traits *t = senti_type_info(type);
    const uint8_t *b = row;
    float y[SENTI_QK_K]; /* [block_size] */
    double acc = 0.0;
    for (int64_t i = 0; i < n; i += t->block_size, b += t->type_size) {
        fn(b, y);
        for (int j = 0; j < t->block_size; j++)
            acc += (double)y[j] * (double)x[i + j];
    }
    return (float)acc;
}

/* ---- helpers of the reference quantizers (quantize.c, quant_kq.c) ------- */

void senti_put_half(uint8_t *p, float f)
{
    uint16_t h = senti_f32_to_fp16(f);
    memcpy(p, &h, sizeof h);
}

int senti_qround(float v, int lo, int hi)
{
    float r = roundf(v);
    if (!(r >= (float)lo))
        return lo;
    return r > (float)hi ? hi : (int)r;
}

float senti_signed_amax(const float *x, int n)
{
    float best = 0.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(x[i]) > fabsf(best))
            best = x[i];
    return best;
}

void senti_minmax(const float *x, int n, float *lo, float *hi)
{
    *lo = *hi = x[0];
    for (int i = 1; i < n; i++) {
        *lo = x[i] < *lo ? x[i] : *lo;
        *hi = x[i] > *hi ? x[i] : *hi;
    }
}
