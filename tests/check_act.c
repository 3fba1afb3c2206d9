/*
 * check_act.c - the GLU kernel (src/01-tensor/act.c, act_simd.c).
 *
 *   - at every kernel level the CPU supports, senti_glu writes the same bytes
 *     as the scalar reference senti_glu_ref, for SiLU and GELU-tanh, over
 *     values that reach the clamps of senti_expf (|x| up to 200), zeros of
 *     both signs, and a length that leaves a tail of a partial vector;
 *   - the reference is the function it claims: within 1e-5 relative of the
 *     same formula in double precision with libm's exp (values below 1e-30,
 *     where senti_expf clamps, count as equal).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "01-tensor/act.h"
#include "senti/quant.h"
#include "testutil.h"

#define N 1037 /* 129 vectors of 8 and a tail of 5 */

static int g_levels[SENTI_ISA_COUNT], g_nlevels;

static double urand(uint64_t *s) /* uniform in [-1, 1) */
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) - 1.0;
}

/* Gates over several scales (up to the clamps), up values around 1. */
static void fill(float *gate, float *up, uint64_t seed)
{
    for (int i = 0; i < N; i++) {
        const double scale = i % 7 == 0 ? 200.0 : i % 3 == 0 ? 12.0 : 3.0;
        gate[i] = (float)(scale * urand(&seed));
        up[i] = (float)(1.0 + 2.385 * urand(&seed));
    }
    gate[0] = 0.0f;
    gate[1] = -0.0f;
    gate[2] = 88.5f;
    gate[3] = -87.5f;
}

START_TEST(test_glu_fast_eq_ref)
{
    const int gelu = _i % 2, lv = g_levels[_i / 2];
    float *gate = malloc(N * sizeof *gate), *up = malloc(N * sizeof *up), *a = malloc(N * sizeof *a),
          *b = malloc(N * sizeof *b);
    ck_assert(gate && up && a && b);
    fill(gate, up, 77 + (uint64_t)_i);
    tu_isa_use(lv);
    for (size_t n = N - 8; n <= N; n++) { /* every tail length */
        memcpy(a, gate, n * sizeof *a);
        memcpy(b, gate, n * sizeof *b);
        senti_glu_ref(gelu, a, up, n);
        senti_glu(gelu, b, up, n);
        ck_assert_msg(memcmp(a, b, n * sizeof *a) == 0, "%s glu: fast != reference (kernels %s, n %zu)",
                      gelu ? "GELU" : "SiLU", senti_isa_name(lv), n);
    }
    free(gate), free(up), free(a), free(b);
}
END_TEST

START_TEST(test_glu_ref_formula)
{
    const int gelu = _i;
    float gate[N], up[N], y[N];
    fill(gate, up, 5 + (uint64_t)_i);
    memcpy(y, gate, sizeof y);
    senti_glu_ref(gelu, y, up, N);
    for (int i = 0; i < N; i++) {
        const double x = gate[i];
        /* 0.5 x (1 + tanh u) as x / (1 + exp(-2u)): the same function, without
         * the cancellation of 1 + tanh u in the far negative tail */
        const double u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
        const double act = gelu ? x / (1.0 + exp(-2.0 * u)) : x / (1.0 + exp(-x));
        const double want = act * up[i];
        ck_assert_msg(fabs(y[i] - want) <= 1e-5 * fabs(want) + 1e-30, "%s(%g) * %g = %g, double %g",
                      gelu ? "gelu" : "silu", x, (double)up[i], (double)y[i], want);
    }
}
END_TEST

Suite *act_suite(void)
{
    Suite *s = suite_create("act");
    g_nlevels = tu_isa_levels("act", g_levels);
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, tu_isa_reset);
    tcase_add_loop_test(tc, test_glu_fast_eq_ref, 0, 2 * g_nlevels);
    tcase_add_loop_test(tc, test_glu_ref_formula, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
