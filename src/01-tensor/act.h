/*
 * act.h - the activation functions of the gated MLP and the GLU kernel that
 * applies them, gate[i] = act(gate[i]) * up[i].
 *
 * Contract:
 *   - senti_expf, senti_silu and senti_gelu_tanh are inline, shared by
 *     inference (forward.c), training (train_kernels.c) and the per-level GLU
 *     kernels (act_simd.c), so all of them compute the same function.
 *   - senti_glu_ref is the scalar reference; senti_glu runs the selected
 *     kernel level's vectorized copy of the same C code (act_simd.c) and is
 *     bit-identical to the reference for every input: the same IEEE float
 *     operations in the same order per element, no contraction into FMAs
 *     (-std=c11 keeps -ffp-contract=off), only 8 elements at once.
 */
#ifndef SENTI_ACT_H
#define SENTI_ACT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Gated-MLP activations, shared by inference (forward.c) and training
 * (train_kernels.c) so both compute the same function.
 * GELU with the tanh approximation, 0.5 x (1 + tanh(u)), u = sqrt(2/pi)(x + 0.044715 x^3),
 * is written as x / (1 + exp(-2u)) (the same function: 0.5 (1 + tanh(u)) is the
 * logistic of 2u), which costs one expf instead of a tanhf. */
/* exp(x) in float, within 2 ulp of expf for x in [-87, 88] (clamped outside:
 * 0-ish and inf-ish, which is all softmax and the gates need): x = n ln2 + r
 * with |r| <= ln2/2, exp(r) by the degree-6 minimax polynomial of Cephes'
 * expf, times 2^n built in the exponent bits. Inline and free of calls, so
 * the loops that call it can vectorize, unlike calls to libm; GCC does so
 * only under -fno-trapping-math (else it keeps the clamps as branches and
 * the loop scalar), which the Makefile gives act_simd.c's objects alone. */
static inline float senti_expf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float n = __builtin_rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* 2^n from its bits; memcpy, not a union, or GCC will not vectorize it */
    const int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float senti_silu(float x) { return x / (1.0f + senti_expf(-x)); }

static inline float senti_gelu_tanh(float x)
{
    const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
    return x / (1.0f + senti_expf(-2.0f * u));
}

/* gate[i] = act(gate[i]) * up[i] for i < n, act = GELU-tanh (gelu) or SiLU:
 * the scalar reference, and the selected kernel level's copy (the same
 * bytes; see the contract above). */
void senti_glu_ref(int gelu, float *gate, const float *up, size_t n);
void senti_glu(int gelu, float *gate, const float *up, size_t n);

#endif
