/*
 * quant_q8_simd.c - the fast 8-bit activation quantizers and integer dot
 * products of quant_q8.c (whose contract they keep: same bytes as the
 * reference quantizers; K-quant dots bit-identical, legacy dots differing by
 * float summation order only).
 *
 * Compiled once per kernel level (Makefile, isa.h): the AVX2 object uses
 * maddubs/madd pairs for the u8 x i8 products, the AVX-512 object adds
 * AVX-512BW mask moves, the AVX-512 VNNI object vpdpbusd. quant_dispatch.c
 * picks one at run time.
 */
#include <math.h>

#include "isa.h"
#include "quant_internal.h"

/* ---- activation quantizers (same bytes as the references) ---------------- */

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

static void q8_0_fast(const float *x, void *dst, int64_t n)
{
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK <= n; i += SENTI_QK, b += 34)
        senti_put_half(b, q8_block32_fast(x + i, (int8_t *)(b + 2)));
}

static void q8_1_fast(const float *x, void *dst, int64_t n)
{
    uint8_t *b = dst;
    for (int64_t i = 0; i + SENTI_QK <= n; i += SENTI_QK, b += 36) {
        float d = q8_block32_fast(x + i, (int8_t *)(b + 4));
        __m256i q = _mm256_loadu_si256((const __m256i *)(b + 4));
        __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);
        int sum = hsum_i32x8(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)));
        senti_put_half(b, d);
        senti_put_half(b + 2, (float)sum * d);
    }
}

static void q8_K_fast(const float *x, void *dst, int64_t n)
{
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
        senti_q8k_bsums(b);
    }
}

/* ---- dot products ---------------------------------------------------------- */

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
            const float da = senti_q_f32(ab);
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

/* ---- entry points of this level ------------------------------------------ */

int SENTI_ISA_FN(senti_q8_quantize_fast)(int atype, const float *x, void *dst, int64_t n)
{
    switch (atype) {
    case SENTI_TYPE_Q8_0: q8_0_fast(x, dst, n); return 1;
    case SENTI_TYPE_Q8_1: q8_1_fast(x, dst, n); return 1;
    case SENTI_TYPE_Q8_K: q8_K_fast(x, dst, n); return 1;
    default: return 0;
    }
}

int SENTI_ISA_FN(senti_q8_dot_rows_fast)(int wtype, const void *row, const void *xq, size_t xq_stride, int nt,
                                         int64_t n, float *out)
{
    const dot_fn fn = fast_dot(wtype);
    if (!fn)
        return 0;
    const int64_t nb = n / senti_type_info(wtype)->block_size;
    for (int t0 = 0; t0 < nt; t0 += SQ_MAX_NT) {
        int k = nt - t0 < SQ_MAX_NT ? nt - t0 : SQ_MAX_NT;
        fn(row, (const uint8_t *)xq + (size_t)t0 * xq_stride, xq_stride, k, nb, out + t0);
    }
    return 1;
}

/* ---- int8 GEMM tiles (quant_gemm.c: layout, formula, reference) ------------------------ */

/* Transpose 8 rows of 8 dwords in place: v[s] becomes dword s of every row. */
SQ_INLINE void transpose8x8_epi32(__m256i v[8])
{
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int s = 0; s < 4; s++) {
        v[s] = _mm256_permute2x128_si256(u[s], u[s + 4], 0x20);
        v[s + 4] = _mm256_permute2x128_si256(u[s], u[s + 4], 0x31);
    }
}

/* True for the K-quants (256-element super-blocks, Q8_K activations). An
 * inline test: senti_q8_act_type is a call into another object, and the
 * packer asks once per row and block. */
SQ_INLINE bool g8_kq(int wtype) { return wtype >= SENTI_TYPE_Q2_K && wtype <= SENTI_TYPE_Q6_K; }

/* Levels of 32-block b of a row (the order of quant_gemm.c's block_levels). */
SQ_INLINE __m256i g8_levels(int wtype, const uint8_t *row, size_t bs, int64_t b)
{
    if (g8_kq(wtype))
        return k_unpack(wtype, row + (size_t)(b / 8) * bs, (int)(b % 8));
    return legacy_unpack(wtype, row + (size_t)b * bs);
}

/* Row r's scales of 32-block b of a K-quant row into the group block gb: the
 * values of senti_g8_block_meta (quant_gemm.c), with the fp16 fields
 * converted by F16C. */
SQ_INLINE void g8_meta_k(int wtype, const uint8_t *row, size_t bs, int64_t b, uint8_t *gb, int r)
{
    const uint8_t *k = row + (size_t)(b / 8) * bs;
    const int c = (int)(b % 8);
    int sc[2] = {1, 1};
    float d, m[2] = {0.0f, 0.0f};
    uint8_t s, mn;
    switch (wtype) {
    case SENTI_TYPE_Q4_K:
    case SENTI_TYPE_Q5_K:
        d = half_at(k);
        senti_q_scale_min_k4(k + 4, c, &s, &mn);
        sc[0] = sc[1] = s;
        m[0] = m[1] = -half_at(k + 2) * (float)mn;
        break;
    case SENTI_TYPE_Q6_K:
        d = half_at(k + 208);
        sc[0] = (int8_t)k[192 + 2 * c];
        sc[1] = (int8_t)k[192 + 2 * c + 1];
        break;
    default: { /* Q2_K, Q3_K: rare, the shared scalar decoder */
        senti_g8_meta mt;
        senti_g8_block_meta(wtype, row, b, &mt);
        senti_g8_put_meta(gb, r, &mt);
        return;
    }
    }
    for (int h = 0; h < 2; h++) {
        const uint32_t s2 = (uint16_t)sc[h] | (uint32_t)(uint16_t)sc[h] << 16;
        memcpy(gb + 256 + 32 * h + 4 * r, &s2, 4);
        memcpy(gb + 352 + 32 * h + 4 * r, &m[h], 4);
    }
    memcpy(gb + 320 + 4 * r, &d, 4);
}

/* The scales of 32-block b of all 8 rows of a legacy-type group at once: sc
 * is 1 (0 for the padding rows past nrow), d and (Q4_1/Q5_1) m are the
 * blocks' fp16 fields, gathered and converted by one vcvtph2ps each; a
 * scalar store per row and field was most of the packer's work. */
SQ_INLINE void g8_meta_legacy8(int wtype, const uint8_t *const rows[8], int nrow, size_t bs, int64_t b, uint8_t *gb)
{
    const bool affine = wtype == SENTI_TYPE_Q4_1 || wtype == SENTI_TYPE_Q5_1;
    uint16_t dh[8] = {0}, mh[8] = {0};
    for (int r = 0; r < nrow; r++) {
        memcpy(&dh[r], rows[r] + (size_t)b * bs, 2);
        if (affine)
            memcpy(&mh[r], rows[r] + (size_t)b * bs + 2, 2);
    }
    const __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(nrow), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i sc = _mm256_and_si256(live, _mm256_set1_epi32(0x00010001));
    const __m256 m = affine ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)mh)) : _mm256_setzero_ps();
    _mm256_storeu_si256((__m256i *)(gb + 256), sc);
    _mm256_storeu_si256((__m256i *)(gb + 288), sc);
    _mm256_storeu_ps((float *)(gb + 320), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)dh)));
    _mm256_storeu_ps((float *)(gb + 352), m);
    _mm256_storeu_ps((float *)(gb + 384), m);
}

/* Bytes ahead of the current block that the packer prefetches in each of its
 * 8 rows: the weights stream from memory (read once per matrix product), and
 * 8 interleaved row streams outrun the hardware prefetcher; without this the
 * packer waited on the loads of the weight bytes most of its time. */
#define G8_PREFETCH 512

/* One group of 8 rows (nrow real ones; the rest padding) into g. */
SQ_INLINE void g8_pack_group(int wtype, const uint8_t *const rows[8], int nrow, size_t bs, int64_t nb, uint8_t *g)
{
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *gb = g + (size_t)b * SENTI_G8_BLOCK;
        const size_t at = g8_kq(wtype) ? (size_t)b * bs / 8 : (size_t)b * bs; /* this block's bytes */
        __m256i v[8];
        for (int r = 0; r < nrow; r++)
            _mm_prefetch((const char *)rows[r] + at + G8_PREFETCH, _MM_HINT_T0);
        for (int r = 0; r < SENTI_G8_ROWS; r++)
            v[r] = r < nrow ? g8_levels(wtype, rows[r], bs, b) : _mm256_setzero_si256();
        transpose8x8_epi32(v);
        for (int s = 0; s < 8; s++)
            _mm256_storeu_si256((__m256i *)(gb + 32 * s), v[s]);
        if (!g8_kq(wtype)) {
            g8_meta_legacy8(wtype, rows, nrow, bs, b, gb);
            continue;
        }
        if (nrow < SENTI_G8_ROWS) /* zero scales for the padding rows */
            memset(gb + 256, 0, SENTI_G8_BLOCK - 256);
        for (int r = 0; r < nrow; r++)
            g8_meta_k(wtype, rows[r], bs, b, gb, r);
    }
}

SQ_INLINE void g8_pack_type(int wtype, const uint8_t *w, size_t row_bytes, const int32_t *sel, int nr, int64_t n,
                            uint8_t *tile)
{
    const int64_t nb = n / SENTI_QK;
    const size_t bs = senti_type_info(wtype)->type_size;
    for (int g0 = 0; g0 < nr; g0 += SENTI_G8_ROWS) {
        const uint8_t *rows[SENTI_G8_ROWS] = {0};
        const int nrow = nr - g0 < SENTI_G8_ROWS ? nr - g0 : SENTI_G8_ROWS;
        for (int r = 0; r < nrow; r++)
            rows[r] = w + (size_t)(sel ? sel[g0 + r] : g0 + r) * row_bytes;
        g8_pack_group(wtype, rows, nrow, bs, nb, tile + (size_t)(g0 / SENTI_G8_ROWS) * (size_t)nb * SENTI_G8_BLOCK);
    }
}

/* One copy of the packer per type, so the type tests fold away. */
static void g8_pack(int wtype, const uint8_t *w, size_t row_bytes, const int32_t *sel, int nr, int64_t n,
                    uint8_t *tile)
{
    switch (wtype) {
    case SENTI_TYPE_Q4_0: g8_pack_type(SENTI_TYPE_Q4_0, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q4_1: g8_pack_type(SENTI_TYPE_Q4_1, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q5_0: g8_pack_type(SENTI_TYPE_Q5_0, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q5_1: g8_pack_type(SENTI_TYPE_Q5_1, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q8_0: g8_pack_type(SENTI_TYPE_Q8_0, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q2_K: g8_pack_type(SENTI_TYPE_Q2_K, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q3_K: g8_pack_type(SENTI_TYPE_Q3_K, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q4_K: g8_pack_type(SENTI_TYPE_Q4_K, w, row_bytes, sel, nr, n, tile); break;
    case SENTI_TYPE_Q5_K: g8_pack_type(SENTI_TYPE_Q5_K, w, row_bytes, sel, nr, n, tile); break;
    default: g8_pack_type(SENTI_TYPE_Q6_K, w, row_bytes, sel, nr, n, tile); break;
    }
}

/* Steps (4 levels of each row) summed in int16 lanes before one vpmaddwd:
 * 8 (a whole block) for the 4-bit types, whose two halves share sc; 4 (a
 * half) for the other levels < 32; 2 for Q6_K (< 64); 1 for Q8_0 (signed,
 * sign trick). With the offset folded in (g8_fold) a lane still stays
 * within int16: |sum of 8 (u - off/2) q| + |off/2 * sum of the other q|
 * <= 8 * 23 * 127 + 8 * 8 * 127 for Q5_0, less for Q4_0 and Q3_K. */
SQ_INLINE int g8_span(int wtype)
{
    if (senti_g8_whole(wtype))
        return 8;
    switch (wtype) {
    case SENTI_TYPE_Q6_K: return 2;
    case SENTI_TYPE_Q8_0: return 1;
    default: return 4;
    }
}

/* The symmetric types whose offset starts the int16 sums (v pairs of the
 * activation meta); Q6_K adds it with a vpmaddwd of its own. */
SQ_INLINE bool g8_fold(int wtype)
{
    return senti_g8_offset(wtype) > 0 && wtype != SENTI_TYPE_Q6_K;
}

#define G8_UNROLL _Pragma("GCC unroll 8")

/* out[t][r] for NT activation rows and the 8 rows of group g (one kernel step:
 * each level vector is loaded once for all NT tokens). */
SQ_INLINE void g8_kernel(int wtype, const uint8_t *g, const uint8_t *a, size_t as, int NT, int64_t n,
                         float out[SQ_MAX_NT][8])
{
    const int64_t nb = n / SENTI_QK;
    const int span = g8_span(wtype), n_half = span == 8 ? 1 : 2, n_group = (span == 8 ? 8 : 4) / span;
    const bool sgn = wtype == SENTI_TYPE_Q8_0, off = senti_g8_offset(wtype) > 0, fold = g8_fold(wtype);
    const bool one = senti_g8_one_sum(wtype);
    const size_t mo = (size_t)n; /* the activation meta after the levels */
    __m256 acc[SQ_MAX_NT];
    SQ_UNROLL
    for (int t = 0; t < NT; t++)
        acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *gb = g + (size_t)b * SENTI_G8_BLOCK;
        const size_t mb = mo + (size_t)b * SENTI_G8_META * 4;
        const __m256 d = _mm256_loadu_ps((const float *)(gb + 320));
        /* one integer sum per half, or per block where the halves share sc
         * (senti_g8_one_sum), converted to float at its end */
        __m256i isum[SQ_MAX_NT];
        G8_UNROLL
        for (int h = 0; h < n_half; h++) {
            const __m256i sc = _mm256_loadu_si256((const __m256i *)(gb + 256 + 32 * h));
            SQ_UNROLL
            for (int t = 0; t < NT; t++)
                if (h == 0 || !one)
                    isum[t] = _mm256_setzero_si256();
            G8_UNROLL
            for (int gi = 0; gi < n_group; gi++) {
                const int s0 = 4 * h + gi * span;
                __m256i p16[SQ_MAX_NT];
                SQ_UNROLL
                for (int t = 0; t < NT; t++) {
                    int32_t v2 = 0; /* whole block: word 6, a half: word 4 + h */
                    if (fold)
                        memcpy(&v2, a + (size_t)t * as + mb + 4 * (span == 8 ? 6 : 4 + (size_t)h), 4);
                    p16[t] = _mm256_set1_epi32(v2);
                }
                G8_UNROLL
                for (int k = 0; k < span; k++) {
                    const int s = s0 + k;
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)(gb + 32 * s));
                    const __m256i uv = sgn ? _mm256_sign_epi8(wv, wv) : wv;
                    SQ_UNROLL
                    for (int t = 0; t < NT; t++) {
                        int32_t a4;
                        memcpy(&a4, a + (size_t)t * as + (size_t)b * SENTI_QK + 4 * (size_t)s, 4);
                        __m256i av = _mm256_set1_epi32(a4);
                        if (sgn)
                            av = _mm256_sign_epi8(av, wv);
                        p16[t] = _mm256_add_epi16(p16[t], _mm256_maddubs_epi16(uv, av));
                    }
                }
                SQ_UNROLL
                for (int t = 0; t < NT; t++) {
                    const __m256i p = _mm256_madd_epi16(p16[t], sc);
                    isum[t] = _mm256_add_epi32(isum[t], p);
                }
            }
            if (one && h + 1 < n_half)
                continue; /* the second half adds to the same sums */
            SQ_UNROLL
            for (int t = 0; t < NT; t++) {
                if (off && !fold) { /* Q6_K: sc * 2v = -sc * 32 * sum(q) of the half */
                    int32_t v2;
                    memcpy(&v2, a + (size_t)t * as + mb + 4 * (4 + (size_t)h), 4);
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(sc, _mm256_set1_epi32(v2)));
                }
                float da;
                memcpy(&da, a + (size_t)t * as + mb, 4);
                const __m256 dd = _mm256_mul_ps(d, _mm256_set1_ps(da));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), dd, acc[t]);
            }
        }
        if (!sgn && !off) {
            const __m256 m0 = _mm256_loadu_ps((const float *)(gb + 352));
            const __m256 m1 = _mm256_loadu_ps((const float *)(gb + 384));
            SQ_UNROLL
            for (int t = 0; t < NT; t++) {
                const float *meta = (const float *)(a + (size_t)t * as + mb);
                acc[t] = _mm256_fmadd_ps(m0, _mm256_set1_ps(meta[1]), acc[t]);
                acc[t] = _mm256_fmadd_ps(m1, _mm256_set1_ps(meta[2]), acc[t]);
            }
        }
    }
    SQ_UNROLL
    for (int t = 0; t < NT; t++)
        _mm256_storeu_ps(out[t], acc[t]);
}

/* One specialization per (type, token count). */
#define G8_DEF(name, type)                                                                                   \
    static void name(const uint8_t *g, const uint8_t *a, size_t as, int nt, int64_t n, float out[SQ_MAX_NT][8]) \
    {                                                                                                        \
        switch (nt) {                                                                                        \
        case 1: g8_kernel(type, g, a, as, 1, n, out); break;                                                 \
        case 2: g8_kernel(type, g, a, as, 2, n, out); break;                                                 \
        case 3: g8_kernel(type, g, a, as, 3, n, out); break;                                                 \
        default: g8_kernel(type, g, a, as, 4, n, out); break;                                                \
        }                                                                                                    \
    }
G8_DEF(g8_q4_0, SENTI_TYPE_Q4_0)
G8_DEF(g8_q4_1, SENTI_TYPE_Q4_1)
G8_DEF(g8_q5_0, SENTI_TYPE_Q5_0)
G8_DEF(g8_q5_1, SENTI_TYPE_Q5_1)
G8_DEF(g8_q8_0, SENTI_TYPE_Q8_0)
G8_DEF(g8_q2_k, SENTI_TYPE_Q2_K)
G8_DEF(g8_q3_k, SENTI_TYPE_Q3_K)
G8_DEF(g8_q4_k, SENTI_TYPE_Q4_K)
G8_DEF(g8_q5_k, SENTI_TYPE_Q5_K)
G8_DEF(g8_q6_k, SENTI_TYPE_Q6_K)

typedef void (*g8_fn)(const uint8_t *g, const uint8_t *a, size_t as, int nt, int64_t n, float out[SQ_MAX_NT][8]);

static g8_fn g8_kernel_of(int wtype)
{
    switch (wtype) {
    case SENTI_TYPE_Q4_0: return g8_q4_0;
    case SENTI_TYPE_Q4_1: return g8_q4_1;
    case SENTI_TYPE_Q5_0: return g8_q5_0;
    case SENTI_TYPE_Q5_1: return g8_q5_1;
    case SENTI_TYPE_Q8_0: return g8_q8_0;
    case SENTI_TYPE_Q2_K: return g8_q2_k;
    case SENTI_TYPE_Q3_K: return g8_q3_k;
    case SENTI_TYPE_Q4_K: return g8_q4_k;
    case SENTI_TYPE_Q5_K: return g8_q5_k;
    default: return g8_q6_k;
    }
}

/* All T tokens against every group of the tile, SQ_MAX_NT tokens at a time
 * (the activation rows stay in L1 while the tile streams from L2). */
static void g8_matmul(int wtype, const uint8_t *tile, int nr, const uint8_t *act, size_t as, int T, int64_t n,
                      float *y, int64_t ldy)
{
    const g8_fn fn = g8_kernel_of(wtype);
    const size_t gbytes = (size_t)(n / SENTI_QK) * SENTI_G8_BLOCK;
    float out[SQ_MAX_NT][8];
    for (int t0 = 0; t0 < T; t0 += SQ_MAX_NT) {
        const int nt = T - t0 < SQ_MAX_NT ? T - t0 : SQ_MAX_NT;
        const uint8_t *at = act + (size_t)t0 * as;
        for (int g0 = 0; g0 < nr; g0 += SENTI_G8_ROWS) {
            const uint8_t *g = tile + (size_t)(g0 / SENTI_G8_ROWS) * gbytes;
            fn(g, at, as, nt, n, out);
            float *yg = y + (size_t)t0 * (size_t)ldy + (size_t)g0;
            if (nr - g0 >= SENTI_G8_ROWS) {
                for (int k = 0; k < nt; k++)
                    _mm256_storeu_ps(yg + (size_t)k * (size_t)ldy, _mm256_loadu_ps(out[k]));
                continue;
            }
            for (int k = 0; k < nt; k++)
                memcpy(yg + (size_t)k * (size_t)ldy, out[k], (size_t)(nr - g0) * sizeof(float));
        }
    }
}

int SENTI_ISA_FN(senti_q8_tile_pack_fast)(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr,
                                          int64_t n, void *tile)
{
    g8_pack(wtype, w, row_bytes, sel, nr, n, tile);
    return 1;
}

int SENTI_ISA_FN(senti_q8_tile_matmul_fast)(int wtype, const void *tile, int nr, const void *act, size_t act_stride,
                                            int T, int64_t n, float *y, int64_t ldy)
{
    g8_matmul(wtype, tile, nr, act, act_stride, T, n, y, ldy);
    return 1;
}
