/*
 * quant_simd.c - fast dequantization and dot kernels (AVX2/FMA/F16C, wider
 * with AVX-512F). Compiled once per kernel level (Makefile, isa.h); on a CPU
 * without AVX2 quant_dispatch.c uses the scalar references of quant.c.
 *
 * Contract (held by tests/check_quant.c):
 *   - dequantization is bit-identical to senti_dequant_row_ref: the same
 *     float operations (scale times level, then plus the negated min) are
 *     done lane-wise, never fused;
 *   - dot products keep the f32 vector in float: each block's levels are
 *     widened int8 -> f32 and multiplied with x, then the block sum is scaled
 *     (and the min term added as min * sum(x)). They differ from the
 *     reference only by summation order.
 *
 * Structure: every block format is first unpacked into int8 levels with
 * 256-bit byte operations (shared by AVX2 and AVX-512); the "vf" helpers then
 * widen 16 levels at a time to float with the widest vectors available.
 */
#include "isa.h"
#include "quant_internal.h"

/* ---- float side: 16 levels at a time ------------------------------------ */

#if defined(__AVX512F__)
typedef __m512 senti_vf; /* 16 float lanes */

static inline senti_vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline float vf_sum(senti_vf a) { return _mm512_reduce_add_ps(a); }
static inline senti_vf vf_fma_s(float s, senti_vf p, senti_vf acc)
{
    return _mm512_fmadd_ps(_mm512_set1_ps(s), p, acc);
}
static inline __m512 vf_cvt16(__m128i q)
{
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
}
/* acc + q[0..16) * x[0..16) */
static inline senti_vf vq16_fma(__m128i q, const float *x, senti_vf acc)
{
    return _mm512_fmadd_ps(vf_cvt16(q), _mm512_loadu_ps(x), acc);
}
/* acc + x[0..16) */
static inline senti_vf vx16_add(const float *x, senti_vf acc)
{
    return _mm512_add_ps(_mm512_loadu_ps(x), acc);
}
/* y[0..16) = d * q */
static inline void vq16_store(__m128i q, float d, float *y)
{
    _mm512_storeu_ps(y, _mm512_mul_ps(_mm512_set1_ps(d), vf_cvt16(q)));
}
/* y[0..16) = d * q + m (rounded twice, like the reference) */
static inline void vq16_store_affine(__m128i q, float d, float m, float *y)
{
    __m512 p = _mm512_mul_ps(_mm512_set1_ps(d), vf_cvt16(q));
    _mm512_storeu_ps(y, _mm512_add_ps(p, _mm512_set1_ps(m)));
}
#else
typedef __m256 senti_vf; /* 8 float lanes */

static inline senti_vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline float vf_sum(senti_vf a)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline senti_vf vf_fma_s(float s, senti_vf p, senti_vf acc)
{
    return _mm256_fmadd_ps(_mm256_set1_ps(s), p, acc);
}
static inline __m256 vf_cvt8(__m128i q) /* low 8 bytes of q */
{
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
}
static inline senti_vf vq16_fma(__m128i q, const float *x, senti_vf acc)
{
    acc = _mm256_fmadd_ps(vf_cvt8(q), _mm256_loadu_ps(x), acc);
    return _mm256_fmadd_ps(vf_cvt8(_mm_unpackhi_epi64(q, q)), _mm256_loadu_ps(x + 8), acc);
}
static inline senti_vf vx16_add(const float *x, senti_vf acc)
{
    return _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)), acc);
}
static inline void vq16_store(__m128i q, float d, float *y)
{
    __m256 vd = _mm256_set1_ps(d);
    _mm256_storeu_ps(y, _mm256_mul_ps(vd, vf_cvt8(q)));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(vd, vf_cvt8(_mm_unpackhi_epi64(q, q))));
}
static inline void vq16_store_affine(__m128i q, float d, float m, float *y)
{
    __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
    _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(vd, vf_cvt8(q)), vm));
    __m256 hi = vf_cvt8(_mm_unpackhi_epi64(q, q));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(vd, hi), vm));
}
#endif

/* 32-level helpers built on the 16-level ones. */
static inline __m128i lo128(__m256i q) { return _mm256_castsi256_si128(q); }
static inline __m128i hi128(__m256i q) { return _mm256_extracti128_si256(q, 1); }

static inline senti_vf vq32_dot(__m256i q, const float *x)
{
    return vq16_fma(hi128(q), x + 16, vq16_fma(lo128(q), x, vf_zero()));
}
static inline senti_vf vx32_sum(const float *x)
{
    return vx16_add(x + 16, vx16_add(x, vf_zero()));
}
static inline void vq32_store(__m256i q, float d, float *y)
{
    vq16_store(lo128(q), d, y);
    vq16_store(hi128(q), d, y + 16);
}
static inline void vq32_store_affine(__m256i q, float d, float m, float *y)
{
    vq16_store_affine(lo128(q), d, m, y);
    vq16_store_affine(hi128(q), d, m, y + 16);
}

/* ---- byte side: unpacking levels ---------------------------------------- */

static inline float h2f(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

static inline __m256i load32(const uint8_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* 16 bytes of nibbles -> 32 levels: low nibbles first, then high nibbles. */
static inline __m256i unpack_nib16(const uint8_t *qs)
{
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)qs);
    __m128i m = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), m), _mm_and_si128(b, m));
}

/* Byte j = 0x10 where bit j of the little-endian u32 at p is set, else 0. */
static inline __m256i unpack_bit5(const uint8_t *p)
{
    uint32_t bits;
    memcpy(&bits, p, sizeof bits);
    const __m256i shuf = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                          2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i sel = _mm256_set1_epi64x(0x8040201008040201LL);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuf);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, sel), sel);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

/* (v >> shift) & mask on every byte (shift by a runtime count). */
static inline __m256i shr_mask(__m256i v, int shift, int mask)
{
    return _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(shift)),
                            _mm256_set1_epi8((char)mask));
}

/* 0xFF where bit k of the byte is clear. */
static inline __m256i bit_clear(__m256i v, int k)
{
    __m256i b = _mm256_set1_epi8((char)(1 << k));
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, b), _mm256_setzero_si256());
}

/* ---- legacy 32-element blocks ------------------------------------------- */

/* Levels of block b of type t, already centred for the symmetric types. */
static inline __m256i levels_q32(int t, const uint8_t *b)
{
    switch (t) {
    case SENTI_TYPE_Q4_0: return _mm256_sub_epi8(unpack_nib16(b + 2), _mm256_set1_epi8(8));
    case SENTI_TYPE_Q4_1: return unpack_nib16(b + 4);
    case SENTI_TYPE_Q5_0:
        return _mm256_sub_epi8(_mm256_or_si256(unpack_nib16(b + 6), unpack_bit5(b + 2)),
                               _mm256_set1_epi8(16));
    case SENTI_TYPE_Q5_1: return _mm256_or_si256(unpack_nib16(b + 8), unpack_bit5(b + 4));
    default: return load32(b + 2); /* Q8_0 */
    }
}

static inline bool has_min(int t)
{
    return t == SENTI_TYPE_Q4_1 || t == SENTI_TYPE_Q5_1;
}

/* The type argument is a compile-time constant at every call site below, so
 * each instantiation keeps only its own branch. */
static inline float dot_q32(int t, size_t ts, const uint8_t *b, const float *x, int64_t nb)
{
    senti_vf acc0 = vf_zero(), acc1 = vf_zero();
    int64_t i = 0;
    for (; i + 1 < nb; i += 2, b += 2 * ts, x += 64) {
        acc0 = vf_fma_s(h2f(b), vq32_dot(levels_q32(t, b), x), acc0);
        acc1 = vf_fma_s(h2f(b + ts), vq32_dot(levels_q32(t, b + ts), x + 32), acc1);
        if (has_min(t)) {
            acc0 = vf_fma_s(h2f(b + 2), vx32_sum(x), acc0);
            acc1 = vf_fma_s(h2f(b + ts + 2), vx32_sum(x + 32), acc1);
        }
    }
    if (i < nb) {
        acc0 = vf_fma_s(h2f(b), vq32_dot(levels_q32(t, b), x), acc0);
        if (has_min(t))
            acc1 = vf_fma_s(h2f(b + 2), vx32_sum(x), acc1);
    }
    return vf_sum(acc0) + vf_sum(acc1);
}

static inline void deq_q32(int t, size_t ts, const uint8_t *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, b += ts, y += 32) {
        if (has_min(t))
            vq32_store_affine(levels_q32(t, b), h2f(b), h2f(b + 2), y);
        else
            vq32_store(levels_q32(t, b), h2f(b), y);
    }
}

/* ---- K-quants ------------------------------------------------------------ */

/* Q2_K: sub-block j (16 levels) has scale d*(sc&15) and min dmin*(sc>>4). */
static float dot_q2_k(const uint8_t *b, const float *x, int64_t nb)
{
    senti_vf acc = vf_zero();
    for (int64_t i = 0; i < nb; i++, b += 84, x += 256) {
        float d = h2f(b + 80), dmin = h2f(b + 82);
        senti_vf dot = vf_zero();
        for (int c = 0; c < 2; c++) {
            __m256i raw = load32(b + 16 + 32 * c);
            for (int s = 0; s < 4; s++) {
                __m256i q = shr_mask(raw, 2 * s, 3);
                int j = 8 * c + 2 * s; /* sub-block of the first 16 levels */
                const float *xs = x + 16 * j;
                dot = vf_fma_s((float)(b[j] & 0xF), vq16_fma(lo128(q), xs, vf_zero()), dot);
                dot = vf_fma_s((float)(b[j + 1] & 0xF), vq16_fma(hi128(q), xs + 16, vf_zero()), dot);
                acc = vf_fma_s(-dmin * (float)(b[j] >> 4), vx16_add(xs, vf_zero()), acc);
                acc = vf_fma_s(-dmin * (float)(b[j + 1] >> 4), vx16_add(xs + 16, vf_zero()), acc);
            }
        }
        acc = vf_fma_s(d, dot, acc);
    }
    return vf_sum(acc);
}

static void deq_q2_k(const uint8_t *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, b += 84, y += 256) {
        float d = h2f(b + 80), dmin = h2f(b + 82);
        for (int c = 0; c < 2; c++) {
            __m256i raw = load32(b + 16 + 32 * c);
            for (int s = 0; s < 4; s++) {
                __m256i q = shr_mask(raw, 2 * s, 3);
                int j = 8 * c + 2 * s;
                float d0 = d * (float)(b[j] & 0xF), m0 = dmin * (float)(b[j] >> 4);
                float d1 = d * (float)(b[j + 1] & 0xF), m1 = dmin * (float)(b[j + 1] >> 4);
                vq16_store_affine(lo128(q), d0, -m0, y + 16 * j);
                vq16_store_affine(hi128(q), d1, -m1, y + 16 * j + 16);
            }
        }
    }
}

/* Q3_K levels of the 32 elements 128c + 32s + l. */
static inline __m256i levels_q3_k(const uint8_t *b, __m256i hm, int c, int s)
{
    __m256i q = shr_mask(load32(b + 32 + 32 * c), 2 * s, 3);
    return _mm256_sub_epi8(q, _mm256_and_si256(bit_clear(hm, 4 * c + s), _mm256_set1_epi8(4)));
}

static float dot_q3_k(const uint8_t *b, const float *x, int64_t nb)
{
    senti_vf acc = vf_zero();
    int8_t sc[16];
    for (int64_t i = 0; i < nb; i++, b += 110, x += 256) {
        float d = h2f(b + 108);
        senti_q_scales_q3k(b + 96, sc);
        __m256i hm = load32(b);
        senti_vf dot = vf_zero();
        for (int k = 0; k < 8; k++) {
            __m256i q = levels_q3_k(b, hm, k / 4, k % 4);
            dot = vf_fma_s((float)sc[2 * k], vq16_fma(lo128(q), x + 32 * k, vf_zero()), dot);
            dot = vf_fma_s((float)sc[2 * k + 1], vq16_fma(hi128(q), x + 32 * k + 16, vf_zero()), dot);
        }
        acc = vf_fma_s(d, dot, acc);
    }
    return vf_sum(acc);
}

static void deq_q3_k(const uint8_t *b, float *y, int64_t nb)
{
    int8_t sc[16];
    for (int64_t i = 0; i < nb; i++, b += 110, y += 256) {
        float d = h2f(b + 108);
        senti_q_scales_q3k(b + 96, sc);
        __m256i hm = load32(b);
        for (int k = 0; k < 8; k++) {
            __m256i q = levels_q3_k(b, hm, k / 4, k % 4);
            vq16_store(lo128(q), d * (float)sc[2 * k], y + 32 * k);
            vq16_store(hi128(q), d * (float)sc[2 * k + 1], y + 32 * k + 16);
        }
    }
}

/* Q4_K/Q5_K levels of sub-block j (32 elements); hi5 is 0 for Q4_K. */
static inline __m256i levels_k4(const uint8_t *qs, __m256i qh, int j, bool five)
{
    __m256i q = shr_mask(load32(qs + 32 * (j / 2)), 4 * (j % 2), 0xF);
    if (five) {
        __m256i set = _mm256_andnot_si256(bit_clear(qh, j), _mm256_set1_epi8(0x10));
        q = _mm256_or_si256(q, set);
    }
    return q;
}

static inline float dot_k4(const uint8_t *b, size_t ts, const float *x, int64_t nb, bool five)
{
    senti_vf acc = vf_zero();
    for (int64_t i = 0; i < nb; i++, b += ts, x += 256) {
        float d = h2f(b), dmin = h2f(b + 2);
        const uint8_t *qs = b + (five ? 48 : 16);
        __m256i qh = five ? load32(b + 16) : _mm256_setzero_si256();
        senti_vf dot = vf_zero(), mins = vf_zero();
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            senti_q_scale_min_k4(b + 4, j, &sc, &m);
            dot = vf_fma_s((float)sc, vq32_dot(levels_k4(qs, qh, j, five), x + 32 * j), dot);
            mins = vf_fma_s((float)m, vx32_sum(x + 32 * j), mins);
        }
        acc = vf_fma_s(d, dot, acc);
        acc = vf_fma_s(-dmin, mins, acc);
    }
    return vf_sum(acc);
}

static inline void deq_k4(const uint8_t *b, size_t ts, float *y, int64_t nb, bool five)
{
    for (int64_t i = 0; i < nb; i++, b += ts, y += 256) {
        float d = h2f(b), dmin = h2f(b + 2);
        const uint8_t *qs = b + (five ? 48 : 16);
        __m256i qh = five ? load32(b + 16) : _mm256_setzero_si256();
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            senti_q_scale_min_k4(b + 4, j, &sc, &m);
            float dj = d * sc, mj = dmin * m;
            vq32_store_affine(levels_k4(qs, qh, j, five), dj, -mj, y + 32 * j);
        }
    }
}

/* Q6_K levels of the 32 elements 128h + 32r + l, centred (minus 32). */
static inline __m256i levels_q6_k(const uint8_t *b, int h, int r)
{
    __m256i lo = shr_mask(load32(b + 64 * h + 32 * (r % 2)), 4 * (r / 2), 0xF);
    __m256i hi = shr_mask(load32(b + 128 + 32 * h), 2 * r, 3);
    __m256i v = _mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)); /* hi <= 3: no spill */
    return _mm256_sub_epi8(v, _mm256_set1_epi8(32));
}

static float dot_q6_k(const uint8_t *b, const float *x, int64_t nb)
{
    senti_vf acc = vf_zero();
    for (int64_t i = 0; i < nb; i++, b += 210, x += 256) {
        const int8_t *sc = (const int8_t *)(b + 192);
        senti_vf dot = vf_zero();
        for (int k = 0; k < 8; k++) {
            __m256i q = levels_q6_k(b, k / 4, k % 4);
            dot = vf_fma_s((float)sc[2 * k], vq16_fma(lo128(q), x + 32 * k, vf_zero()), dot);
            dot = vf_fma_s((float)sc[2 * k + 1], vq16_fma(hi128(q), x + 32 * k + 16, vf_zero()), dot);
        }
        acc = vf_fma_s(h2f(b + 208), dot, acc);
    }
    return vf_sum(acc);
}

static void deq_q6_k(const uint8_t *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, b += 210, y += 256) {
        const int8_t *sc = (const int8_t *)(b + 192);
        float d = h2f(b + 208);
        for (int k = 0; k < 8; k++) {
            __m256i q = levels_q6_k(b, k / 4, k % 4);
            vq16_store(lo128(q), d * (float)sc[2 * k], y + 32 * k);
            vq16_store(hi128(q), d * (float)sc[2 * k + 1], y + 32 * k + 16);
        }
    }
}

/* ---- float types ---------------------------------------------------------- */

/* 8 floats from 8 halves / bfloats at p. */
static inline __m256 load8_f16(const uint8_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)p));
}
static inline __m256 load8_bf16(const uint8_t *p)
{
    __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
static inline __m256 load8_f32(const uint8_t *p)
{
    return _mm256_loadu_ps((const float *)(const void *)p);
}

static float scalar_at(int t, const uint8_t *p)
{
    uint16_t h;
    if (t == SENTI_TYPE_F32) {
        float f;
        memcpy(&f, p, sizeof f);
        return f;
    }
    memcpy(&h, p, sizeof h);
    return t == SENTI_TYPE_F16 ? _cvtsh_ss(h) : senti_bf16_to_f32(h);
}

static inline __m256 load8_t(int t, const uint8_t *p)
{
    return t == SENTI_TYPE_F32 ? load8_f32(p) : t == SENTI_TYPE_F16 ? load8_f16(p) : load8_bf16(p);
}

static inline float dot_flt(int t, size_t es, const uint8_t *b, const float *x, int64_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(load8_t(t, b + es * i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load8_t(t, b + es * (i + 8)), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(load8_t(t, b + es * (i + 16)), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(load8_t(t, b + es * (i + 24)), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8)
        a0 = _mm256_fmadd_ps(load8_t(t, b + es * i), _mm256_loadu_ps(x + i), a0);
    __m256 a = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++)
        sum += scalar_at(t, b + es * i) * x[i];
    return sum;
}

static inline void deq_flt(int t, size_t es, const uint8_t *b, float *y, int64_t n)
{
    int64_t i = 0;
    if (t == SENTI_TYPE_F32) {
        memcpy(y, b, (size_t)n * sizeof *y);
        return;
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, load8_t(t, b + es * i));
    for (; i < n; i++)
        y[i] = scalar_at(t, b + es * i);
}

/* ---- dispatch -------------------------------------------------------------- */

int SENTI_ISA_FN(senti_quant_dot_fast)(int type, const void *row, const float *x, int64_t n, float *out)
{
    const uint8_t *b = row;
    switch (type) {
    case SENTI_TYPE_F32: *out = dot_flt(SENTI_TYPE_F32, 4, b, x, n); return 1;
    case SENTI_TYPE_F16: *out = dot_flt(SENTI_TYPE_F16, 2, b, x, n); return 1;
    case SENTI_TYPE_BF16: *out = dot_flt(SENTI_TYPE_BF16, 2, b, x, n); return 1;
    case SENTI_TYPE_Q4_0: *out = dot_q32(SENTI_TYPE_Q4_0, 18, b, x, n / 32); return 1;
    case SENTI_TYPE_Q4_1: *out = dot_q32(SENTI_TYPE_Q4_1, 20, b, x, n / 32); return 1;
    case SENTI_TYPE_Q5_0: *out = dot_q32(SENTI_TYPE_Q5_0, 22, b, x, n / 32); return 1;
    case SENTI_TYPE_Q5_1: *out = dot_q32(SENTI_TYPE_Q5_1, 24, b, x, n / 32); return 1;
    case SENTI_TYPE_Q8_0: *out = dot_q32(SENTI_TYPE_Q8_0, 34, b, x, n / 32); return 1;
    case SENTI_TYPE_Q2_K: *out = dot_q2_k(b, x, n / 256); return 1;
    case SENTI_TYPE_Q3_K: *out = dot_q3_k(b, x, n / 256); return 1;
    case SENTI_TYPE_Q4_K: *out = dot_k4(b, 144, x, n / 256, false); return 1;
    case SENTI_TYPE_Q5_K: *out = dot_k4(b, 176, x, n / 256, true); return 1;
    case SENTI_TYPE_Q6_K: *out = dot_q6_k(b, x, n / 256); return 1;
    default: return 0;
    }
}

int SENTI_ISA_FN(senti_quant_dequant_fast)(int type, const void *src, float *dst, int64_t n)
{
    const uint8_t *b = src;
    switch (type) {
    case SENTI_TYPE_F32: deq_flt(SENTI_TYPE_F32, 4, b, dst, n); return 1;
    case SENTI_TYPE_F16: deq_flt(SENTI_TYPE_F16, 2, b, dst, n); return 1;
    case SENTI_TYPE_BF16: deq_flt(SENTI_TYPE_BF16, 2, b, dst, n); return 1;
    case SENTI_TYPE_Q4_0: deq_q32(SENTI_TYPE_Q4_0, 18, b, dst, n / 32); return 1;
    case SENTI_TYPE_Q4_1: deq_q32(SENTI_TYPE_Q4_1, 20, b, dst, n / 32); return 1;
    case SENTI_TYPE_Q5_0: deq_q32(SENTI_TYPE_Q5_0, 22, b, dst, n / 32); return 1;
    case SENTI_TYPE_Q5_1: deq_q32(SENTI_TYPE_Q5_1, 24, b, dst, n / 32); return 1;
    case SENTI_TYPE_Q8_0: deq_q32(SENTI_TYPE_Q8_0, 34, b, dst, n / 32); return 1;
    case SENTI_TYPE_Q2_K: deq_q2_k(b, dst, n / 256); return 1;
    case SENTI_TYPE_Q3_K: deq_q3_k(b, dst, n / 256); return 1;
    case SENTI_TYPE_Q4_K: deq_k4(b, 144, dst, n / 256, false); return 1;
    case SENTI_TYPE_Q5_K: deq_k4(b, 176, dst, n / 256, true); return 1;
    case SENTI_TYPE_Q6_K: deq_q6_k(b, dst, n / 256); return 1;
    default: return 0;
    }
}
