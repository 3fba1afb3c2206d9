/*
 * act.c - the GLU kernel's scalar reference and its dispatch to the selected
 * kernel level (contract in act.h).
 */
#include "act.h"

#include "quant_internal.h"

void senti_glu_ref(int gelu, float *gate, const float *up, size_t n)
{
    if (gelu) {
        for (size_t i = 0; i < n; i++)
            gate[i] = senti_gelu_tanh(gate[i]) * up[i];
    } else {
        for (size_t i = 0; i < n; i++)
            gate[i] = senti_silu(gate[i]) * up[i];
    }
}

void senti_glu(int gelu, float *gate, const float *up, size_t n)
{
    const senti_kernels *k = senti_kernels_active();
    if (k->glu && k->glu(gelu, gate, up, n))
        return;
    senti_glu_ref(gelu, gate, up, n);
}
