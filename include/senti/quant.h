/*
 * senti/quant.h - ggml tensor types: block layouts, row dequantization and
 * dot products.
 *
 * A row of n elements of a block-quantized type is n / block_size blocks laid
 * end to end; senti_type_row_size() gives its byte size. Every kernel has a
 * scalar reference (`_ref`) that follows the format's definition literally,
 * and a fast path (SIMD where the CPU has it, chosen at run time: see
 * "kernel levels" below) that the tests hold to the reference.
 */
#ifndef SENTI_QUANT_H
#define SENTI_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ggml type ids (numbering fixed by the GGUF format). */
enum {
    SENTI_TYPE_F32 = 0,
    SENTI_TYPE_F16 = 1,
    SENTI_TYPE_Q4_0 = 2,
    SENTI_TYPE_Q4_1 = 3,
    SENTI_TYPE_Q5_0 = 6,
    SENTI_TYPE_Q5_1 = 7,
    SENTI_TYPE_Q8_0 = 8,
    SENTI_TYPE_Q8_1 = 9,
    SENTI_TYPE_Q2_K = 10,
    SENTI_TYPE_Q3_K = 11,
    SENTI_TYPE_Q4_K = 12,
    SENTI_TYPE_Q5_K = 13,
    SENTI_TYPE_Q6_K = 14,
    SENTI_TYPE_Q8_K = 15,
    SENTI_TYPE_BF16 = 30,
    SENTI_TYPE_COUNT = 40 /* ids below this may be known by name */
};

typedef struct {
    const char *name;   /* "Q4_K" */
    int block_size;     /* elements per block (1 for F32/F16/BF16) */
    size_t type_size;   /* bytes per block */
    bool supported;     /* we can dequantize and dot it */
} senti_type_traits;

/* Traits of a type id; NULL when the id is not a known ggml type. */
SENTI_API const senti_type_traits *senti_type_info(int type);
/* Name of a type id ("Q4_K"), or "unknown". */
SENTI_API const char *senti_type_name(int type);
/* Bytes in a row of n elements; 0 when n is not a multiple of the block size
 * or the type is unknown. */
SENTI_API size_t senti_type_row_size(int type, int64_t n);

/* Dequantize one row of n elements (n a multiple of the block size).
 * An unknown/unsupported type or a bad n writes NaN to dst[0..n) (and the dot
 * functions return NaN), so that misuse is loud. Reentrant, no allocation;
 * src needs no alignment. The fast path is bit-identical to the reference. */
SENTI_API void senti_dequant_row(int type, const void *src, float *dst, int64_t n);
SENTI_API void senti_dequant_row_ref(int type, const void *src, float *dst, int64_t n);

/* Dot product of one quantized row of n elements with an f32 vector. The
 * reference dequantizes and accumulates in double; the fast path keeps x in
 * f32 and differs only by summation order (relative to sum |w_i x_i|, ~1e-6). */
SENTI_API float senti_dot_row(int type, const void *row, const float *x, int64_t n);
SENTI_API float senti_dot_row_ref(int type, const void *row, const float *x, int64_t n);

/* fp16/bf16 scalar conversions (IEEE half, round to nearest even). */
SENTI_API float senti_fp16_to_f32(uint16_t h);
SENTI_API uint16_t senti_f32_to_fp16(float f);
SENTI_API float senti_bf16_to_f32(uint16_t h);
SENTI_API uint16_t senti_f32_to_bf16(float f);

/* Quantize a row of floats into `type` (reference quantizers, used by the tests
 * to build tiny models of every type, and by LoRA merging). Supported for every
 * type that senti_dequant_row supports. Returns bytes written, 0 if unsupported. */
SENTI_API size_t senti_quantize_row_ref(int type, const float *src, void *dst, int64_t n);

/* ---- kernel levels (src/01-tensor/quant_dispatch.c) ----
 * The fast kernels are compiled once per instruction-set level and the first
 * kernel call selects the highest level the running CPU supports, so one
 * binary runs on any x86-64. Levels, lowest first: */
typedef enum {
    SENTI_ISA_SCALAR,      /* the scalar references only */
    SENTI_ISA_AVX2,        /* AVX2 + FMA + F16C */
    SENTI_ISA_AVX512,      /* + AVX-512 F/BW/VL (512-bit float side) */
    SENTI_ISA_AVX512_VNNI, /* + AVX-512 VNNI (vpdpbusd in the q8 dots) */
    SENTI_ISA_COUNT
} senti_isa;

/* "scalar", "avx2", "avx512", "avx512vnni"; "unknown" out of range. */
SENTI_API const char *senti_isa_name(int isa);
/* The level named `name`, or -1. */
SENTI_API int senti_isa_parse(const char *name);
/* True when the running CPU (and OS) can run level isa. */
SENTI_API bool senti_isa_supported(int isa);
/* The highest level the running CPU supports. */
SENTI_API int senti_isa_best(void);
/* The level the kernels use: senti_isa_best() unless forced. */
SENTI_API int senti_isa_active(void);
/* Use level isa from now on (any level the CPU supports, e.g. a lower one
 * for tests and benchmarks); SENTI_ERR_UNSUPPORTED when the CPU lacks it.
 * Not to be called while kernels run on other threads. */
SENTI_API senti_status senti_isa_force(int isa, senti_err *err);
/* senti_isa_force(level named by the environment variable SENTI_ISA) when it
 * is set; SENTI_ERR_ARG for an unknown name. The library never reads SENTI_ISA
 * by itself: programs call this at start (the senti CLI does). */
SENTI_API senti_status senti_isa_from_env(senti_err *err);

/* ---- 8-bit activations and integer dot products (src/quant_q8.c) ----
 * ggml multiplies a quantized weight row with activations quantized to 8 bits
 * ("vec_dot_type"): Q8_1 for Q4_1/Q5_1, Q8_0 for Q4_0/Q5_0/Q8_0, Q8_K for
 * Q2_K..Q6_K. These follow ggml's layouts and rounding byte for byte. */

/* The activation type paired with weight type wtype, or -1 if none. */
SENTI_API int senti_q8_act_type(int wtype);
/* Quantize n floats (n a multiple of the block size) into Q8_0 / Q8_1 / Q8_K.
 * The fast versions write the same bytes as the _ref ones. */
SENTI_API void senti_quantize_row_q8_0(const float *x, void *dst, int64_t n);
SENTI_API void senti_quantize_row_q8_1(const float *x, void *dst, int64_t n);
SENTI_API void senti_quantize_row_q8_K(const float *x, void *dst, int64_t n);
SENTI_API void senti_quantize_row_q8_0_ref(const float *x, void *dst, int64_t n);
SENTI_API void senti_quantize_row_q8_1_ref(const float *x, void *dst, int64_t n);
SENTI_API void senti_quantize_row_q8_K_ref(const float *x, void *dst, int64_t n);
/* Quantize into senti_q8_act_type(wtype); returns bytes written (0: no pairing
 * or bad n). */
SENTI_API size_t senti_quantize_row_act(int wtype, const float *x, void *dst, int64_t n);
/* Dequantize a Q8_0 / Q8_1 / Q8_K row (atype) of n elements. */
SENTI_API void senti_dequant_row_q8(int atype, const void *src, float *dst, int64_t n);
/* Dot product of a weight row of type wtype with an activation row xq of its
 * paired type (n elements). The reference follows ggml's definition; the fast
 * path has exact integer block sums (K-quants: bit-identical result; legacy
 * types: float summation order differs, ~1e-6 relative). NaN on a bad type/n. */
SENTI_API float senti_dot_row_q8(int wtype, const void *row, const void *xq, int64_t n);
SENTI_API float senti_dot_row_q8_ref(int wtype, const void *row, const void *xq, int64_t n);
/* out[t] = row . xq_t for nt activation rows xq_t = xq + t * xq_stride bytes
 * (each weight block is unpacked once for all of them). */
SENTI_API void senti_dot_rows_q8(int wtype, const void *row, const void *xq, size_t xq_stride, int nt, int64_t n,
                                 float *out);

/* ---- int8 GEMM tiles (src/01-tensor/quant_gemm.c) ----
 * The matrix product of the q8 numerics at prefill sizes: weight rows
 * unpacked once per tile into interleaved 8-bit levels, activation rows
 * quantized to ggml's 8-bit values, then integer dot products for 8 rows x
 * up to 4 tokens per kernel step. The fast kernels are bit-identical to the
 * _ref ones (layouts and formula in quant_gemm.c). */

/* Bytes of a tile of nr rows of n elements of type wtype; 0 when the type
 * has no tile layout or n is not a whole number of its blocks. */
SENTI_API size_t senti_q8_tile_bytes(int wtype, int64_t n, int nr);
/* Unpack nr rows into a tile of senti_q8_tile_bytes(wtype, n, nr) bytes: row i
 * is w + (sel ? sel[i] : i) * row_bytes. */
SENTI_API void senti_q8_tile_pack(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr, int64_t n,
                                  void *tile);
SENTI_API void senti_q8_tile_pack_ref(int wtype, const void *w, size_t row_bytes, const int32_t *sel, int nr,
                                      int64_t n, void *tile);
/* Bytes of one activation row of n elements (n a multiple of 32). */
SENTI_API size_t senti_q8_act_bytes(int64_t n);
/* Quantize n floats for weights of type wtype into dst (senti_q8_act_bytes(n)). */
SENTI_API void senti_q8_act_row(int wtype, const float *x, int64_t n, void *dst);
/* y[t * ldy + i] = tile row i . activation row t (act + t * act_stride bytes)
 * for i < nr, t < T. */
SENTI_API void senti_q8_tile_matmul(int wtype, const void *tile, int nr, const void *act, size_t act_stride, int T,
                                    int64_t n, float *y, int64_t ldy);
SENTI_API void senti_q8_tile_matmul_ref(int wtype, const void *tile, int nr, const void *act, size_t act_stride,
                                        int T, int64_t n, float *y, int64_t ldy);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_QUANT_H */
