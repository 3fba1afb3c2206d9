/*
 * quant_dispatch.c - the kernel level and the public row kernels.
 *
 * The fast kernels (quant_simd.c, quant_q8_simd.c) are compiled once per
 * instruction-set level (Makefile, isa.h); the rest of the library is built
 * for baseline x86-64. The first kernel call picks the highest level that the
 * running CPU supports (__builtin_cpu_supports, which also checks that the OS
 * saves the wider registers) and caches it; senti_isa_force may choose a lower
 * one. The row kernels below use the selected level's fast kernel where the
 * type has one, else the scalar reference of quant.c; the contract
 * (bit-identical dequantization, dots that differ only by summation order,
 * NaN for unsupported types) is in quant.c.
 */
#include <cpuid.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "quant_internal.h"

#define SENTI_KERNELS_OF(isa)                                                                                   \
    {                                                                                                           \
        senti_quant_dequant_fast_##isa, senti_quant_dot_fast_##isa, senti_q8_quantize_fast_##isa,             \
            senti_q8_dot_rows_fast_##isa, senti_q8_tile_pack_fast_##isa, senti_q8_tile_matmul_fast_##isa,     \
            senti_glu_fast_##isa                                                                                \
    }

static const senti_kernels k_levels[SENTI_ISA_COUNT] = {
    [SENTI_ISA_SCALAR] = {0},
    [SENTI_ISA_AVX2] = SENTI_KERNELS_OF(avx2),
    [SENTI_ISA_AVX512] = SENTI_KERNELS_OF(avx512),
    [SENTI_ISA_AVX512_VNNI] = SENTI_KERNELS_OF(avx512vnni),
};

static const char *const k_names[SENTI_ISA_COUNT] = {"scalar", "avx2", "avx512", "avx512vnni"};

/* The selected level, -1 until the first use. */
static atomic_int g_active = -1;

const char *senti_isa_name(int isa)
{
    return isa >= 0 && isa < SENTI_ISA_COUNT ? k_names[isa] : "unknown";
}

int senti_isa_parse(const char *name)
{
    for (int i = 0; name && i < SENTI_ISA_COUNT; i++)
        if (!strcmp(name, k_names[i]))
            return i;
    return -1;
}

/* F16C from cpuid leaf 1 (clang's __builtin_cpu_supports does not know it);
 * the OS support for the registers it uses comes with the AVX2 check. */
static bool cpu_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

bool senti_isa_supported(int isa)
{
    __builtin_cpu_init();
    switch (isa) {
    case SENTI_ISA_SCALAR: return true;
    case SENTI_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_f16c();
    case SENTI_ISA_AVX512:
        return senti_isa_supported(SENTI_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    case SENTI_ISA_AVX512_VNNI:
        return senti_isa_supported(SENTI_ISA_AVX512) && __builtin_cpu_supports("avx512vnni");
    default: return false;
    }
}

int senti_isa_best(void)
{
    int isa = SENTI_ISA_COUNT - 1;
    while (isa > SENTI_ISA_SCALAR && !senti_isa_supported(isa))
        isa--;
    return isa;
}

int senti_isa_active(void)
{
    int isa = atomic_load_explicit(&g_active, memory_order_relaxed);
    if (isa < 0) { /* every racing thread computes the same level */
        isa = senti_isa_best();
        atomic_store_explicit(&g_active, isa, memory_order_relaxed);
    }
    return isa;
}

const senti_kernels *senti_kernels_active(void) { return &k_levels[senti_isa_active()]; }

senti_status senti_isa_force(int isa, senti_err *err)
{
    if (isa < 0 || isa >= SENTI_ISA_COUNT)
        return senti_err_set(err, SENTI_ERR_ARG, "kernel level %d: no such level", isa);
    if (!senti_isa_supported(isa))
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "kernel level %s: this CPU lacks it (best here: %s)",
                             k_names[isa], k_names[senti_isa_best()]);
    atomic_store_explicit(&g_active, isa, memory_order_relaxed);
    return SENTI_OK;
}

senti_status senti_isa_from_env(senti_err *err)
{
    const char *v = getenv("SENTI_ISA");
    if (!v || !*v)
        return SENTI_OK;
    int isa = senti_isa_parse(v);
    if (isa < 0)
        return senti_err_set(err, SENTI_ERR_ARG, "SENTI_ISA=%s: unknown kernel level (scalar, avx2, avx512, avx512vnni)",
                             v);
    senti_status s = senti_isa_force(isa, err);
    if (s != SENTI_OK && err)
        senti_err_set(err, s, "SENTI_ISA=%s: this CPU lacks that kernel level (best here: %s)", v,
                      k_names[senti_isa_best()]);
    return s;
}

void senti_dequant_row(int type, const void *src, float *dst, int64_t n)
{
    const senti_kernels *k = senti_kernels_active();
    if (k->dequant && senti_quant_ok(type, n) && k->dequant(type, src, dst, n))
        return;
    senti_dequant_row_ref(type, src, dst, n);
}

float senti_dot_row(int type, const void *row, const float *x, int64_t n)
{
    float out;
    const senti_kernels *k = senti_kernels_active();
    if (k->dot && senti_quant_ok(type, n) && k->dot(type, row, x, n, &out))
        return out;
    return senti_dot_row_ref(type, row, x, n);
}
