/*
 * isa.h - included by the kernel sources that the Makefile compiles once per
 * instruction-set level (quant_simd.c, quant_q8_simd.c). Each object is built
 * with -DSENTI_ISA=<level> and that level's -m flags; SENTI_ISA_FN(name)
 * gives every exported kernel the level's suffix (name_avx2, ...), so the
 * objects link side by side and quant_dispatch.c picks one at run time.
 * Inside a source, the level's features are the compiler's own macros
 * (__AVX512F__, __AVX512VNNI__, ...), which the per-object flags set.
 */
#ifndef SENTI_ISA_H
#define SENTI_ISA_H

#ifndef SENTI_ISA
#error "a per-level kernel source: build it with -DSENTI_ISA=<level> (see the Makefile)"
#endif
#if !(defined(__AVX2__) && defined(__FMA__) && defined(__F16C__))
#error "every kernel level needs at least AVX2, FMA and F16C (-mavx2 -mfma -mf16c)"
#endif

#include <immintrin.h>

#define SENTI_ISA_CAT2(a, b) a##_##b
#define SENTI_ISA_CAT(a, b) SENTI_ISA_CAT2(a, b)
#define SENTI_ISA_FN(name) SENTI_ISA_CAT(name, SENTI_ISA)

#endif
