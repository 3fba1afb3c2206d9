/*
 * senti/common.h - status codes, error reports and small shared types.
 *
 * Contract (applies to the whole library):
 *   - Every fallible function returns a senti_status. SENTI_OK is 0.
 *   - Most take a trailing `senti_err *err` that may be NULL. On failure it is
 *     filled with the status and a one-line message naming what failed and where
 *     (file, offset/line, key). On success it is left untouched.
 *   - The library never prints, never calls exit() or abort().
 *   - `x_free(NULL)` / `x_close(NULL)` is always a no-op.
 */
#ifndef SENTI_COMMON_H
#define SENTI_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Marks every function of the public API in include/senti/: the library is
 * built with -fvisibility=hidden, so these are the only symbols libsenti.so
 * exports; everything else stays internal to it. */
#if defined(__GNUC__)
#define SENTI_API __attribute__((visibility("default")))
#else
#define SENTI_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SENTI_OK = 0,
    SENTI_ERR_IO,          /* open/read/write/mmap failed */
    SENTI_ERR_FORMAT,      /* malformed input file or value */
    SENTI_ERR_UNSUPPORTED, /* valid input we do not handle (architecture, type) */
    SENTI_ERR_NOMEM,       /* allocation failed */
    SENTI_ERR_ARG,         /* bad argument from the caller */
    SENTI_ERR_RANGE,       /* value out of range (context full, index too big) */
    SENTI_ERR_NOTFOUND,    /* key, tensor, column or label not found */
    SENTI_ERR_NUMERIC,     /* NaN/Inf or a failed numerical routine */
    SENTI_ERR_STATE        /* call out of order */
} senti_status;

#define SENTI_ERR_MSG_MAX 512

typedef struct {
    senti_status code;
    char msg[SENTI_ERR_MSG_MAX];
} senti_err;

/* A static English description of a status code. Never NULL. */
SENTI_API const char *senti_strerror(senti_status s);

/* Fill `err` (if non-NULL) with `code` and a printf-style message; returns `code`
 * so that callers can write `return senti_err_set(err, SENTI_ERR_IO, "...")`. */
SENTI_API senti_status senti_err_set(senti_err *err, senti_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A non-owning view of bytes that are not NUL-terminated (GGUF strings). */
typedef struct {
    const char *ptr;
    size_t len;
} senti_str;

/* SHA-256 of a buffer (nettle), written as 64 lowercase hex digits + NUL. */
SENTI_API void senti_sha256_hex(const void *data, size_t len, char out[65]);

/* Set the number of threads used by BLAS and by our own kernels (>= 1). */
SENTI_API void senti_set_threads(int n);
SENTI_API int senti_get_threads(void);

/* The numerics of the matrix products with quantized weights (README
 * "Numerics"), process-wide like the thread count; a context takes the
 * numerics in force when it is created:
 *   SENTI_NUMERICS_F32  weights dequantized to float32, OpenBLAS SGEMM (default)
 *   SENTI_NUMERICS_Q8   activations rounded to 8 bits as llama.cpp does, integer
 *                       dot products and the int8 GEMM (src/01-tensor/quant_gemm.c)
 * Until senti_set_numerics is called, the environment variable SENTI_MATMUL
 * (f32|q8, a developer knob kept for compatibility) decides. */
typedef enum { SENTI_NUMERICS_F32, SENTI_NUMERICS_Q8, SENTI_NUMERICS_COUNT } senti_numerics;
SENTI_API void senti_set_numerics(int numerics);
SENTI_API int senti_get_numerics(void);
/* "f32", "q8"; "unknown" out of range. */
SENTI_API const char *senti_numerics_name(int numerics);
/* The numerics named `name`, or -1. */
SENTI_API int senti_numerics_parse(const char *name);
/* senti_set_numerics(SENTI_MATMUL) when that variable is set; SENTI_ERR_ARG
 * (and nothing set) for an unknown name. Programs call it at start. */
SENTI_API senti_status senti_numerics_from_env(senti_err *err);

/* OpenBLAS picks its kernels for the CPU once, when it loads. Debian 12's
 * build (0.3.21) does not recognise recent Intel server CPUs and falls back to
 * its SSE3 kernels, 3-4x slower there. senti_blas_core_hint returns the core to
 * use instead when OpenBLAS chose such a fallback, the CPU has AVX2 or AVX-512
 * and OPENBLAS_CORETYPE is not set (the user's choice wins), else NULL. */
SENTI_API const char *senti_blas_core_hint(void);

/* Select OpenBLAS's kernels for `name` (Prescott, Core2, Nehalem, Haswell, Zen,
 * SkylakeX) in this process, explicitly, with no environment variable left
 * set and no re-execution. Call it before any BLAS work, from one thread.
 * SENTI_ERR_ARG for another name, SENTI_ERR_UNSUPPORTED when the CPU lacks the
 * core's instructions or OpenBLAS is built for one core only. */
SENTI_API senti_status senti_blas_set_core(const char *name, senti_err *err);

/* The core whose kernels OpenBLAS runs now ("unknown" if it does not say). */
SENTI_API const char *senti_blas_core(void);

/* senti_blas_set_core(senti_blas_core_hint()) when there is a hint: the core
 * selected, else NULL. Programs call it first thing (senti and the test
 * runner do); library users may. */
SENTI_API const char *senti_blas_tune(void);

/* Library version string, e.g. "0.1.0". */
SENTI_API const char *senti_version(void);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_COMMON_H */
