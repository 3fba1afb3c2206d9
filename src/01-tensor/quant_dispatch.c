/*
 * quant_dispatch.c - the public row kernels: the fast kernel of quant_simd.c
 * where the type has one, else the scalar reference of quant.c. The contract
 * (bit-identical dequantization, dots that differ only by summation order,
 * NaN for unsupported types) is in quant.c.
 */
#include "quant_internal.h"

void senti_dequant_row(int type, const void *src, float *dst, int64_t n)
{
    if (senti_quant_ok(type, n) && senti_quant_dequant_fast(type, src, dst, n))
        return;
    senti_dequant_row_ref(type, src, dst, n);
}

float senti_dot_row(int type, const void *row, const float *x, int64_t n)
{
    float out;
    if (senti_quant_ok(type, n) && senti_quant_dot_fast(type, row, x, n, &out))
        return out;
    return senti_dot_row_ref(type, row, x, n);
}
