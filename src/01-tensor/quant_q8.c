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
 */
#include <math.h>

#include "quant_internal.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define SENTI_Q8_SIMD 1
#include <immintrin.h>
#endif

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

static float get_f32(const uint8_t *p)
{
    float f;
    memcpy(&f, p, sizeof f);
    return f;
}

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

/* The Q8_K bsums from the quants. */
static void q8k_bsums(uint8_t *b)
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
        q8k_bsums(b);
    }
}

/* ---- fast activation quantizers (same bytes as the references) ---------- */

#ifdef SENTI_Q8_SIMD
static float hmax8(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* roundf (half away from zero) of 8 floats, exactly: truncate, then step
 * away from zero when the dropped fraction is at least one half. */
static __m256i round_away8(__m256 v)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
    __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    __m256 one = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f));
    return _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_and_ps(up, one)));
}

/* Pack 4 x 8 int32 (each in -128..127) into 32 int8 in order. */
static void pack_store32(__m256i a, __m256i b, __m256i c, __m256i d, int8_t *out)
{
    __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    __m256i v = _mm256_packs_epi16(ab, cd);
    v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, v);
}

static float q8_block32_fast(const float *x, int8_t *qs)
{
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 v[4], m = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        m = _mm256_max_ps(m, _mm256_and_ps(v[k], abs_mask));
    }
    const float d = hmax8(m) / 127.0f;
    const __m256 id = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    __m256i q[4];
    for (int k = 0; k < 4; k++)
        q[k] = round_away8(_mm256_mul_ps(v[k], id));
    pack_store32(q[0], q[1], q[2], q[3], qs);
    return d;
}

static int hsum_i32x8(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}
#endif

void senti_quantize_row_q8_0(const float *x, void *dst, int64_t n)
{
#ifdef SENTI_Q8_SIMD
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK <= n; i += SENTI_QK, b += 34)
        senti_put_half(b, q8_block32_fast(x + i, (int8_t *)(b + 2)));
#else
    senti_quantize_row_q8_0_ref(x, dst, n);
#endif
}

void senti_quantize_row_q8_1(const float *x, void *dst, int64_t n)
{
#ifdef SENTI_Q8_SIMD
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK <= n; i += SENTI_QK, b += 36) {
        float d = q8_block32_fast(x + i, (int8_t *)(b + 4));
        __m256i q = _mm256_loadu_si256((const __m256i *)(b + 4));
        __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);
        int sum = hsum_i32x8(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
        senti_put_half(b, d);
        senti_put_half(b + 2, (float)sum * d);
    }
#else
    senti_quantize_row_q8_1_ref(x, dst, n);
#endif
}

void senti_quantize_row_q8_K(const float *x, void *dst, int64_t n)
{
#ifdef SENTI_Q8_SIMD
    uint8_t *b = dst;
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int64_t i = 0; i + SENTI_QK_K <= n; i += SENTI_QK_K, b += 292) {
        const float *xb = x + i;
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < SENTI_QK_K; j += 8)
            m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(xb + j), abs_mask));
        const float amax = hmax8(m);
        if (amax == 0.0f) { /* rare: let the reference write the zero block */
            senti_quantize_row_q8_K_ref(xb, b, SENTI_QK_K);
            continue;
        }
        int first = 0;
        while (fabsf(xb[first]) != amax)
            first++;
        const float iscale = -127.0f / xb[first], d = 1.0f / iscale;
        const __m256 is = _mm256_set1_ps(iscale);
        for (int j = 0; j < SENTI_QK_K; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++) {
                __m256 v = _mm256_mul_ps(is, _mm256_loadu_ps(xb + j + 8 * k));
                v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(127));
            }
            pack_store32(q[0], q[1], q[2], q[3], (int8_t *)(b + 4 + j));
        }
        memcpy(b, &d, sizeof d);
        q8k_bsums(b);
    }
#else
    senti_quantize_row_q8_K_ref(x, dst, n);
#endif
}

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
                dst[i + j] = get_f32(b) * (float)(int8_t)b[4 + j];
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
        const float da = get_f32(a);
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

#ifdef SENTI_Q8_SIMD
#define SQ_INLINE static inline __attribute__((always_inline))
#define SQ_MAX_NT 4
/* The token loops must be unrolled so that the accumulators live in registers. */
#define SQ_UNROLL _Pragma("GCC unroll 4")

/* acc + sum of 4 (u8 * i8) products per int32 lane. u must be <= 128 on the
 * AVX2 fallback (pairs are summed in int16 there). */
SQ_INLINE __m256i dpbusd(__m256i acc, __m256i u, __m256i s)
{
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpbusd_epi32(acc, u, s);
#elif defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(acc, u, s);
#else
    __m256i p = _mm256_maddubs_epi16(u, s);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
#endif
}

SQ_INLINE float half_at(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

SQ_INLINE float hsum_f8(__m256 a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 32 bytes: 0xFF where bit j of x is set (byte j). */
SQ_INLINE __m256i bits_to_bytes(uint32_t x)
{
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    return _mm256_movm_epi8(x);
#else
    const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3,
                                          3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), shuf);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
#endif
}

/* 16 packed bytes -> 32 nibbles: low nibbles first, then high nibbles. */
SQ_INLINE __m256i nibbles32(const uint8_t *qs)
{
    __m128i b = _mm_loadu_si128((const __m128i *)qs);
    __m256i v = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

/* One legacy weight block as unsigned levels u (level = u - off for the
 * symmetric types; Q8_0 keeps its signed bytes in u). */
SQ_INLINE __m256i legacy_unpack(int wtype, const uint8_t *b)
{
    uint32_t qh;
    switch (wtype) {
    case SENTI_TYPE_Q4_0: return nibbles32(b + 2);
    case SENTI_TYPE_Q4_1: return nibbles32(b + 4);
    case SENTI_TYPE_Q5_0:
        memcpy(&qh, b + 2, 4);
        return _mm256_or_si256(nibbles32(b + 6), _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(16)));
    case SENTI_TYPE_Q5_1:
        memcpy(&qh, b + 4, 4);
        return _mm256_or_si256(nibbles32(b + 8), _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(16)));
    default: return _mm256_loadu_si256((const __m256i *)(b + 2));
    }
}

/* Integer block sum of weight levels (unpacked in u) times activation q. */
SQ_INLINE __m256i legacy_isum(int wtype, __m256i u, __m256i q)
{
    const __m256i z = _mm256_setzero_si256();
    switch (wtype) {
    case SENTI_TYPE_Q4_0: return _mm256_sub_epi32(dpbusd(z, u, q), dpbusd(z, _mm256_set1_epi8(8), q));
    case SENTI_TYPE_Q5_0: return _mm256_sub_epi32(dpbusd(z, u, q), dpbusd(z, _mm256_set1_epi8(16), q));
    case SENTI_TYPE_Q8_0: return dpbusd(z, _mm256_sign_epi8(u, u), _mm256_sign_epi8(q, u));
    default: return dpbusd(z, u, q);
    }
}

/* out[t] = W . A_t for NT activation rows A_t = a + t * as. */
SQ_INLINE void dot_legacy_fast(int wtype, const uint8_t *w, const uint8_t *a, size_t as, int NT, int64_t nb,
                               float *out)
{
    const size_t wbs = wtype == SENTI_TYPE_Q4_0 ? 18 : wtype == SENTI_TYPE_Q4_1 ? 20 :
                       wtype == SENTI_TYPE_Q5_0 ? 22 : wtype == SENTI_TYPE_Q5_1 ? 24 : 34;
    const bool affine = wtype == SENTI_TYPE_Q4_1 || wtype == SENTI_TYPE_Q5_1;
    const size_t abs_ = affine ? 36 : 34, qo = abs_ - 32;
    __m256 acc[SQ_MAX_NT];
    float macc[SQ_MAX_NT];
    SQ_UNROLL
    for (int t = 0; t < NT; t++) {
        acc[t] = _mm256_setzero_ps();
        macc[t] = 0.0f;
    }
    for (int64_t ib = 0; ib < nb; ib++) {
        const uint8_t *wb = w + (size_t)ib * wbs;
        const __m256i u = legacy_unpack(wtype, wb);
        const float dw = half_at(wb), mw = affine ? half_at(wb + 2) : 0.0f;
        SQ_UNROLL
    for (int t = 0; t < NT; t++) {
            const uint8_t *ab = a + (size_t)t * as + (size_t)ib * abs_;
            __m256i s = legacy_isum(wtype, u, _mm256_loadu_si256((const __m256i *)(ab + qo)));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * half_at(ab)), _mm256_cvtepi32_ps(s), acc[t]);
            if (affine)
                macc[t] += mw * half_at(ab + 2);
        }
    }
    SQ_UNROLL
    for (int t = 0; t < NT; t++)
        out[t] = hsum_f8(acc[t]) + macc[t];
}

/* Unsigned levels of chunk c (elements 32c..32c+31) of a K-quant super-block;
 * the signed level is u - kq_offset(wtype). */
SQ_INLINE __m256i k_unpack(int wtype, const uint8_t *b, int c)
{
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3), m1 = _mm256_set1_epi8(1);
    __m256i v, h;
    switch (wtype) {
    case SENTI_TYPE_Q2_K:
        v = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * (c / 4)));
        return _mm256_and_si256(_mm256_srli_epi16(v, 2 * (c % 4)), m2);
    case SENTI_TYPE_Q3_K:
        v = _mm256_loadu_si256((const __m256i *)(b + 32 + 32 * (c / 4)));
        v = _mm256_and_si256(_mm256_srli_epi16(v, 2 * (c % 4)), m2);
        h = _mm256_and_si256(_mm256_srli_epi16(_mm256_loadu_si256((const __m256i *)b), c), m1);
        return _mm256_or_si256(v, _mm256_slli_epi16(h, 2));
    case SENTI_TYPE_Q4_K:
        v = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * (c / 2)));
        return _mm256_and_si256(_mm256_srli_epi16(v, 4 * (c % 2)), m4);
    case SENTI_TYPE_Q5_K:
        v = _mm256_loadu_si256((const __m256i *)(b + 48 + 32 * (c / 2)));
        v = _mm256_and_si256(_mm256_srli_epi16(v, 4 * (c % 2)), m4);
        h = _mm256_and_si256(_mm256_srli_epi16(_mm256_loadu_si256((const __m256i *)(b + 16)), c), m1);
        return _mm256_or_si256(v, _mm256_slli_epi16(h, 4));
    default: /* Q6_K */
        v = _mm256_loadu_si256((const __m256i *)(b + 64 * (c / 4) + 32 * (c % 2)));
        v = _mm256_and_si256(_mm256_srli_epi16(v, 4 * ((c % 4) / 2)), m4);
        h = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * (c / 4)));
        h = _mm256_and_si256(_mm256_srli_epi16(h, 2 * (c % 4)), m2);
        return _mm256_or_si256(v, _mm256_slli_epi16(h, 4));
    }
}

SQ_INLINE int kq_offset(int wtype)
{
    return wtype == SENTI_TYPE_Q3_K ? 4 : wtype == SENTI_TYPE_Q6_K ? 32 : 0;
}

/* Per 16-group scale and min of a K super-block, and the weights that the
 * activation bsums get: offset * scale for the symmetric types, min for the
 * others (each type has one or the other). */
SQ_INLINE void k_scales(int wtype, const uint8_t *b, int sc[16], int16_t bw[16], float *d, float *dmin)
{
    int8_t s3[16];
    switch (wtype) {
    case SENTI_TYPE_Q2_K:
        for (int g = 0; g < 16; g++) {
            sc[g] = b[g] & 0xF;
            bw[g] = (int16_t)(b[g] >> 4);
        }
        *d = half_at(b + 80);
        *dmin = half_at(b + 82);
        return;
    case SENTI_TYPE_Q3_K:
        senti_q_scales_q3k(b + 96, s3);
        for (int g = 0; g < 16; g++) {
            sc[g] = s3[g];
            bw[g] = (int16_t)(4 * s3[g]);
        }
        *d = half_at(b + 108);
        *dmin = 0.0f;
        return;
    case SENTI_TYPE_Q6_K:
        for (int g = 0; g < 16; g++) {
            sc[g] = (int8_t)b[192 + g];
            bw[g] = (int16_t)(32 * sc[g]);
        }
        *d = half_at(b + 208);
        *dmin = 0.0f;
        return;
    default:
        for (int c = 0; c < 8; c++) {
            uint8_t s, m;
            senti_q_scale_min_k4(b + 4, c, &s, &m);
            sc[2 * c] = sc[2 * c + 1] = s;
            bw[2 * c] = bw[2 * c + 1] = m;
        }
        *d = half_at(b);
        *dmin = half_at(b + 2);
    }
}

SQ_INLINE void dot_k_fast(int wtype, const uint8_t *w, const uint8_t *a, size_t as, int NT, int64_t nb,
                          float *out)
{
    const size_t wbs = senti_type_info(wtype)->type_size;
    const bool has_min = kq_offset(wtype) == 0;
    float sum[SQ_MAX_NT] = {0};
    for (int64_t ib = 0; ib < nb; ib++) {
        const uint8_t *wb = w + (size_t)ib * wbs;
        int sc[16];
        int16_t bw[16];
        float dw, dminw;
        k_scales(wtype, wb, sc, bw, &dw, &dminw);
        __m256i isum[SQ_MAX_NT];
        SQ_UNROLL
    for (int t = 0; t < NT; t++)
            isum[t] = _mm256_setzero_si256();
        for (int c = 0; c < 8; c++) {
            const __m256i u = k_unpack(wtype, wb, c);
            const __m256i scv = _mm256_set_m128i(_mm_set1_epi32(sc[2 * c + 1]), _mm_set1_epi32(sc[2 * c]));
            SQ_UNROLL
    for (int t = 0; t < NT; t++) {
                const uint8_t *q = a + (size_t)t * as + (size_t)ib * 292 + 4 + 32 * c;
                __m256i p = dpbusd(_mm256_setzero_si256(), u, _mm256_loadu_si256((const __m256i *)q));
                isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(p, scv));
            }
        }
        const __m256i bwv = _mm256_loadu_si256((const __m256i *)bw);
        SQ_UNROLL
    for (int t = 0; t < NT; t++) {
            const uint8_t *ab = a + (size_t)t * as + (size_t)ib * 292;
            __m256i bs = _mm256_loadu_si256((const __m256i *)(ab + 4 + SENTI_QK_K));
            int corr = hsum_i32x8(_mm256_madd_epi16(bs, bwv));
            int is = hsum_i32x8(isum[t]) - (has_min ? 0 : corr), summs = has_min ? corr : 0;
            const float da = get_f32(ab);
            sum[t] += (da * dw) * (float)is - (da * dminw) * (float)summs;
        }
    }
    SQ_UNROLL
    for (int t = 0; t < NT; t++)
        out[t] = sum[t];
}

/* Specializations: one function per (type, token count). */
#define SQ_DEF(name, fn, type)                                                                               \
    static void name(const uint8_t *w, const uint8_t *a, size_t as, int nt, int64_t nb, float *out)         \
    {                                                                                                        \
        switch (nt) {                                                                                        \
        case 1: fn(type, w, a, as, 1, nb, out); break;                                                      \
        case 2: fn(type, w, a, as, 2, nb, out); break;                                                      \
        case 3: fn(type, w, a, as, 3, nb, out); break;                                                      \
        default: fn(type, w, a, as, 4, nb, out); break;                                                     \
        }                                                                                                    \
    }
SQ_DEF(dot_q4_0, dot_legacy_fast, SENTI_TYPE_Q4_0)
SQ_DEF(dot_q4_1, dot_legacy_fast, SENTI_TYPE_Q4_1)
SQ_DEF(dot_q5_0, dot_legacy_fast, SENTI_TYPE_Q5_0)
SQ_DEF(dot_q5_1, dot_legacy_fast, SENTI_TYPE_Q5_1)
SQ_DEF(dot_q8_0, dot_legacy_fast, SENTI_TYPE_Q8_0)
SQ_DEF(dot_q2_k, dot_k_fast, SENTI_TYPE_Q2_K)
SQ_DEF(dot_q3_k, dot_k_fast, SENTI_TYPE_Q3_K)
SQ_DEF(dot_q4_k, dot_k_fast, SENTI_TYPE_Q4_K)
SQ_DEF(dot_q5_k, dot_k_fast, SENTI_TYPE_Q5_K)
SQ_DEF(dot_q6_k, dot_k_fast, SENTI_TYPE_Q6_K)

typedef void (*dot_fn)(const uint8_t *w, const uint8_t *a, size_t as, int nt, int64_t nb, float *out);

static dot_fn fast_dot(int wtype)
{
    switch (wtype) {
    case SENTI_TYPE_Q4_0: return dot_q4_0;
    case SENTI_TYPE_Q4_1: return dot_q4_1;
    case SENTI_TYPE_Q5_0: return dot_q5_0;
    case SENTI_TYPE_Q5_1: return dot_q5_1;
    case SENTI_TYPE_Q8_0: return dot_q8_0;
    case SENTI_TYPE_Q2_K: return dot_q2_k;
    case SENTI_TYPE_Q3_K: return dot_q3_k;
    case SENTI_TYPE_Q4_K: return dot_q4_k;
    case SENTI_TYPE_Q5_K: return dot_q5_k;
    case SENTI_TYPE_Q6_K: return dot_q6_k;
    default: return NULL;
    }
}
#endif /* SENTI_Q8_SIMD */

void senti_dot_rows_q8(int wtype, const void *row, const void *xq, size_t xq_stride, int nt, int64_t n, float *out)
{
    if (!dot_args_ok(wtype, n)) {
        for (int t = 0; t < nt; t++)
            out[t] = NAN;
        return;
    }
#ifdef SENTI_Q8_SIMD
    const dot_fn fn = fast_dot(wtype);
    const int64_t nb = n / senti_type_info(wtype)->block_size;
    for (int t0 = 0; t0 < nt; t0 += SQ_MAX_NT) {
        int k = nt - t0 < SQ_MAX_NT ? nt - t0 : SQ_MAX_NT;
        fn(row, (const uint8_t *)xq + (size_t)t0 * xq_stride, xq_stride, k, nb, out + t0);
    }
#else
    for (int t = 0; t < nt; t++)
        out[t] = senti_dot_row_q8_ref(wtype, row, (const uint8_t *)xq + (size_t)t * xq_stride, n);
#endif
}

float senti_dot_row_q8(int wtype, const void *row, const void *xq, int64_t n)
{
    float out;
    senti_dot_rows_q8(wtype, row, xq, 0, 1, n, &out);
    return out;
}
