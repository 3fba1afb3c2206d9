/*
 * quant_q8.c - 8-bit activation quantizers and integer dot products
 * (quantized weight row x quantized activation row), as ggml computes them.
 *
 * Contract:
 *   - The activation formats are ggml's "vec_dot_type"s, byte for byte:
 *       Q8_0  32 el, 34 B: fp16 d; i8 qs[32]               d = amax/127, q = roundf(x/d)
 *       Q8_1  32 el, 36 B: fp16 d, s; i8 qs[32]            as Q8_0, s = d * sum(q)
 *       Q8_K 256 el,292 B: f32 d; i8 qs[256]; i16 bsums[16] q = nearest_int(-127 x / max),
 *                                                            d = 1/(-127/max), bsums = 16-sums
 *     (roundf: half away from zero; nearest_int: half to even; max is the
 *     signed value of the first largest |x|). The fast quantizers write the
 *     same bytes as the references.
 *   - Pairing (senti_q8_act_type): Q4_1, Q5_1 -> Q8_1; Q4_0, Q5_0, Q8_0 -> Q8_0;
 *     Q2_K..Q6_K -> Q8_K.
 *   - Dot products: per block the integer sum of weight level times activation
 *     level is exact; the float combination is ggml's:
 *       Q4_0/Q5_0/Q8_0:  sum += (dw * da) * isum
 *       Q4_1/Q5_1:       sum += (dw * da) * isum + mw * sa
 *       K-quants:        sum += (da * dw) * isum - (da * dminw) * summs
 *     where for K-quants isum already carries the 6/8-bit sub-block scales and
 *     summs = sum over 16-groups of min * bsum. The K-quant fast paths are
 *     bit-identical to the references (integer sums, then the same float
 *     operations); the legacy fast paths accumulate blocks in float vectors
 *     with FMA and differ by summation order only.
 *   - senti_dot_rows_q8 does one weight row against several activation rows,
 *     unpacking each weight block once for all of them.
 * The fast kernels are in quant_q8_simd.c (one object per kernel level); the
 * entry points here call the selected level's, else the references.
 */
#include <math.h>

#include "quant_internal.h"

/* ---- types and sizes ---------------------------------------------------- */

int senti_q8_act_type(int wtype)
{
    switch (wtype) {
    case SENTI_TYPE_Q4_1:
    case SENTI_TYPE_Q5_1:
        return SENTI_TYPE_Q8_1;
    case SENTI_TYPE_Q4_0:
    case SENTI_TYPE_Q5_0:
    case SENTI_TYPE_Q8_0:
        return SENTI_TYPE_Q8_0;
    case SENTI_TYPE_Q2_K:
    case SENTI_TYPE_Q3_K:
    case SENTI_TYPE_Q4_K:
    case SENTI_TYPE_Q5_K:
    case SENTI_TYPE_Q6_K:
        return SENTI_TYPE_Q8_K;
    default:
        return -1;
    }
}

static bool is_k_type(int wtype) { return senti_q8_act_type(wtype) == SENTI_TYPE_Q8_K; }

static int16_t get_i16(const uint8_t *p)
{
    int16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* ---- reference activation quantizers ------------------------------------- */

/* One 32-element block: qs and the f32 scale d (before fp16 rounding). */
static float q8_block32_ref(const float *x, int8_t *qs)
{
    float amax = 0.0f;
    for (int j = 0; j < SENTI_QK; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < SENTI_QK; j++)
        qs[j] = (int8_t)roundf(x[j] * id);
    return d;
}

void senti_quantize_row_q8_0_ref(const float *x, void *dst, int64_t n)
{
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK <= n; i += SENTI_QK, b += 34)
        senti_put_half(b, q8_block32_ref(x + i, (int8_t *)(b + 2)));
}

void senti_quantize_row_q8_1_ref(const float *x, void *dst, int64_t n)
{
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK <= n; i += SENTI_QK, b += 36) {
        const int8_t *qs = (const int8_t *)(b + 4);
        float d = q8_block32_ref(x + i, (int8_t *)(b + 4));
        int sum = 0;
        for (int j = 0; j < SENTI_QK; j++)
            sum += qs[j];
        senti_put_half(b, d);
        senti_put_half(b + 2, (float)sum * d);
    }
}

/* ggml's nearest_int: round half to even (valid for |v| < 2^22). */
static int nearest_int(float v)
{
    float r = v + 12582912.0f;
    int32_t i;
    memcpy(&i, &r, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* The Q8_K bsums from the quants (quant_internal.h). */
void senti_q8k_bsums(uint8_t *b)
{
    const int8_t *qs = (const int8_t *)(b + 4);
    for (int g = 0; g < SENTI_QK_K / 16; g++) {
        int16_t s = 0;
        for (int j = 0; j < 16; j++)
            s = (int16_t)(s + qs[16 * g + j]);
        memcpy(b + 4 + SENTI_QK_K + 2 * g, &s, sizeof s);
    }
}

void senti_quantize_row_q8_K_ref(const float *x, void *dst, int64_t n)
{
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK_K <= n; i += SENTI_QK_K, b += 292) {
        const float *xb = x + i;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < SENTI_QK_K; j++)
            if (fabsf(xb[j]) > amax) {
                amax = fabsf(xb[j]);
                max = xb[j];
            }
        float d = 0.0f;
        if (amax == 0.0f) {
            memset(b + 4, 0, SENTI_QK_K);
        } else {
            const float iscale = -127.0f / max;
            for (int j = 0; j < SENTI_QK_K; j++) {
                int v = nearest_int(iscale * xb[j]);
                b[4 + j] = (uint8_t)(int8_t)(v < 127 ? v : 127);
            }
            d = 1.0f / iscale;
        }
        memcpy(b, &d, sizeof d);
        senti_q8k_bsums(b);
    }
}

/* ---- fast activation quantizers (same bytes as the references) ---------- */


/* ---- entry points: the fast kernels of the selected level, else the reference */

/* Quantize into activation type at with the fast kernel when the level has one. */
static void quantize_q8(int at, const float *x, void *dst, int64_t n)
{
    const senti_kernels *k = senti_kernels_active();
    if (k->quantize_q8 && k->quantize_q8(at, x, dst, n))
        return;
    if (at == SENTI_TYPE_Q8_0)
        senti_quantize_row_q8_0_ref(x, dst, n);
    else if (at == SENTI_TYPE_Q8_1)
        senti_quantize_row_q8_1_ref(x, dst, n);
    else
        senti_quantize_row_q8_K_ref(x, dst, n);
}

void senti_quantize_row_q8_0(const float *x, void *dst, int64_t n) { quantize_q8(SENTI_TYPE_Q8_0, x, dst, n); }

void senti_quantize_row_q8_1(const float *x, void *dst, int64_t n) { quantize_q8(SENTI_TYPE_Q8_1, x, dst, n); }

void senti_quantize_row_q8_K(const float *x, void *dst, int64_t n) { quantize_q8(SENTI_TYPE_Q8_K, x, dst, n); }

size_t senti_quantize_row_act(int wtype, const float *x, void *dst, int64_t n)
{
    const int at = senti_q8_act_type(wtype);
    const size_t bytes = at < 0 ? 0 : senti_type_row_size(at, n);
    if (bytes == 0)
        return 0;
    if (at == SENTI_TYPE_Q8_0)
        senti_quantize_row_q8_0(x, dst, n);
    else if (at == SENTI_TYPE_Q8_1)
        senti_quantize_row_q8_1(x, dst, n);
    else
        senti_quantize_row_q8_K(x, dst, n);
    return bytes;
}

void senti_dequant_row_q8(int atype, const void *src, float *dst, int64_t n)
{
    const uint8_t *b = src;
    if (atype == SENTI_TYPE_Q8_K) {
        for (int64_t i = 0; i < n; i += SENTI_QK_K, b += 292)
            for (int j = 0; j < SENTI_QK_K; j++)
                dst[i + j] = senti_q_f32(b) * (float)(int8_t)b[4 + j];
        return;
    }
    const size_t bs = atype == SENTI_TYPE_Q8_1 ? 36 : 34, qo = bs - 32;
    for (int64_t i = 0; i < n; i += SENTI_QK, b += bs)
        for (int j = 0; j < SENTI_QK; j++)
            dst[i + j] = senti_q_half(b) * (float)(int8_t)b[qo + j];
}

/* ---- reference dot products ------------------------------------------------ */

/* Signed level of element j of a legacy block (Q4_1/Q5_1: unsigned level). */
static int legacy_level(int wtype, const uint8_t *b, int j)
{
    uint32_t qh;
    switch (wtype) {
    case SENTI_TYPE_Q4_0:
        return ((j < 16 ? b[2 + j] : b[2 + j - 16] >> 4) & 0xF) - 8;
    case SENTI_TYPE_Q4_1:
        return (j < 16 ? b[4 + j] : b[4 + j - 16] >> 4) & 0xF;
    case SENTI_TYPE_Q5_0:
        memcpy(&qh, b + 2, 4);
        return (((j < 16 ? b[6 + j] : b[6 + j - 16] >> 4) & 0xF) | (int)((qh >> j) & 1) << 4) - 16;
    case SENTI_TYPE_Q5_1:
        memcpy(&qh, b + 4, 4);
        return ((j < 16 ? b[8 + j] : b[8 + j - 16] >> 4) & 0xF) | (int)((qh >> j) & 1) << 4;
    default: /* Q8_0 */
        return (int8_t)b[2 + j];
    }
}

static float dot_legacy_ref(int wtype, const uint8_t *w, const uint8_t *a, int64_t n)
{
    const size_t wbs = senti_type_info(wtype)->type_size;
    const bool affine = wtype == SENTI_TYPE_Q4_1 || wtype == SENTI_TYPE_Q5_1;
    const size_t abs_ = affine ? 36 : 34, qo = abs_ - 32;
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / SENTI_QK; ib++, w += wbs, a += abs_) {
        int isum = 0;
        for (int j = 0; j < SENTI_QK; j++)
            isum += legacy_level(wtype, w, j) * (int8_t)a[qo + j];
        float d = senti_q_half(w) * senti_q_half(a);
        sum += d * (float)isum;
        if (affine)
            sum += senti_q_half(w + 2) * senti_q_half(a + 2);
    }
    return sum;
}

/* A K-quant super-block decoded for the integer dot: signed levels, one scale
 * and one min per 16-group, and the float super-scales. */
typedef struct {
    int lv[SENTI_QK_K];
    int sc[16], mn[16];
    float d, dmin;
} kblock;

static void kblock_q2(const uint8_t *b, kblock *k)
{
    for (int i = 0; i < SENTI_QK_K; i++) {
        int c = i / 32, l = i % 32; /* chunk c = 4n + j */
        k->lv[i] = (b[16 + 32 * (c / 4) + l] >> (2 * (c % 4))) & 3;
    }
    for (int g = 0; g < 16; g++) {
        k->sc[g] = b[g] & 0xF;
        k->mn[g] = b[g] >> 4;
    }
    k->d = senti_q_half(b + 80);
    k->dmin = senti_q_half(b + 82);
}

static void kblock_q3(const uint8_t *b, kblock *k)
{
    int8_t sc[16];
    senti_q_scales_q3k(b + 96, sc);
    for (int i = 0; i < SENTI_QK_K; i++) {
        int c = i / 32, l = i % 32;
        int lo = (b[32 + 32 * (c / 4) + l] >> (2 * (c % 4))) & 3;
        k->lv[i] = lo - ((b[l] >> c) & 1 ? 0 : 4);
    }
    for (int g = 0; g < 16; g++) {
        k->sc[g] = sc[g];
        k->mn[g] = 0;
    }
    k->d = senti_q_half(b + 108);
    k->dmin = 0.0f;
}

/* Q4_K (five = false) and Q5_K (five = true). */
static void kblock_q45(const uint8_t *b, kblock *k, bool five)
{
    const uint8_t *qh = b + 16, *qs = b + (five ? 48 : 16);
    for (int i = 0; i < SENTI_QK_K; i++) {
        int c = i / 32, l = i % 32;
        int v = (qs[32 * (c / 2) + l] >> (4 * (c % 2))) & 0xF;
        k->lv[i] = five ? v | ((qh[l] >> c) & 1) << 4 : v;
    }
    for (int c = 0; c < 8; c++) {
        uint8_t s, m;
        senti_q_scale_min_k4(b + 4, c, &s, &m);
        k->sc[2 * c] = k->sc[2 * c + 1] = s;
        k->mn[2 * c] = k->mn[2 * c + 1] = m;
    }
    k->d = senti_q_half(b);
    k->dmin = senti_q_half(b + 2);
}

static void kblock_q6(const uint8_t *b, kblock *k)
{
    for (int i = 0; i < SENTI_QK_K; i++) {
        int h = i / 128, r = (i / 32) % 4, l = i % 32;
        int lo = (b[64 * h + 32 * (r % 2) + l] >> (4 * (r / 2))) & 0xF;
        int hi = (b[128 + 32 * h + l] >> (2 * r)) & 3;
        k->lv[i] = (lo | hi << 4) - 32;
    }
    for (int g = 0; g < 16; g++) {
        k->sc[g] = (int8_t)b[192 + g];
        k->mn[g] = 0;
    }
    k->d = senti_q_half(b + 208);
    k->dmin = 0.0f;
}

static void kblock_decode(int wtype, const uint8_t *b, kblock *k)
{
    switch (wtype) {
    case SENTI_TYPE_Q2_K: kblock_q2(b, k); break;
    case SENTI_TYPE_Q3_K: kblock_q3(b, k); break;
    case SENTI_TYPE_Q4_K: kblock_q45(b, k, false); break;
    case SENTI_TYPE_Q5_K: kblock_q45(b, k, true); break;
    default: kblock_q6(b, k); break;
    }
}

static float dot_k_ref(int wtype, const uint8_t *w, const uint8_t *a, int64_t n)
{
    const size_t wbs = senti_type_info(wtype)->type_size;
    kblock k;
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / SENTI_QK_K; ib++, w += wbs, a += 292) {
        kblock_decode(wtype, w, &k);
        const int8_t *q = (const int8_t *)(a + 4);
        int isum = 0, summs = 0;
        for (int g = 0; g < 16; g++) {
            int gs = 0;
            for (int j = 0; j < 16; j++)
                gs += k.lv[16 * g + j] * q[16 * g + j];
            isum += k.sc[g] * gs;
            summs += k.mn[g] * get_i16(a + 4 + SENTI_QK_K + 2 * g);
        }
        const float da = senti_q_f32(a);
        sum += (da * k.d) * (float)isum - (da * k.dmin) * (float)summs;
    }
    return sum;
}

static bool dot_args_ok(int wtype, int64_t n)
{
    const int at = senti_q8_act_type(wtype);
    return at >= 0 && n >= 0 && n % senti_type_info(at)->block_size == 0;
}

float senti_dot_row_q8_ref(int wtype, const void *row, const void *xq, int64_t n)
{
    if (!dot_args_ok(wtype, n))
        return NAN;
    return is_k_type(wtype) ? dot_k_ref(wtype, row, xq, n) : dot_legacy_ref(wtype, row, xq, n);
}

/* ---- fast dot products ---------------------------------------------------------- */

void senti_dot_rows_q8(int wtype, const void *row, const void *xq, size_t xq_stride, int nt, int64_t n, float *out)
{
    if (!dot_args_ok(wtype, n)) {
        for (int t = 0; t < nt; t++)
            out[t] = NAN;
        return;
    }
    const senti_kernels *k = senti_kernels_active();
    if (k->dot_rows_q8 && k->dot_rows_q8(wtype, row, xq, xq_stride, nt, n, out))
        return;
    for (int t = 0; t < nt; t++)
        out[t] = senti_dot_row_q8_ref(wtype, row, (const uint8_t *)xq + (size_t)t * xq_stride, n);
}

float senti_dot_row_q8(int wtype, const void *row, const void *xq, int64_t n)
{
    float out;
    senti_dot_rows_q8(wtype, row, xq, 0, 1, n, &out);
    return out;
}
