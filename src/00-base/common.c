/*
 * common.c - status strings, error reports, hashing and thread settings.
 */
#include "senti/common.h"

#include "base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

/* OpenBLAS's own control functions; not part of the CBLAS interface header. */
extern void openblas_set_num_threads(int num_threads);
extern char *openblas_get_corename(void);

#ifndef SENTI_VERSION
#define SENTI_VERSION "0.1.0"
#endif

const char *senti_version(void) { return SENTI_VERSION; }

const char *senti_strerror(senti_status s)
{
    switch (s) {
    case SENTI_OK: return "ok";
    case SENTI_ERR_IO: return "input/output error";
    case SENTI_ERR_FORMAT: return "malformed input";
    case SENTI_ERR_UNSUPPORTED: return "unsupported";
    case SENTI_ERR_NOMEM: return "out of memory";
    case SENTI_ERR_ARG: return "invalid argument";
    case SENTI_ERR_RANGE: return "out of range";
    case SENTI_ERR_NOTFOUND: return "not found";
    case SENTI_ERR_NUMERIC: return "numerical error";
    case SENTI_ERR_STATE: return "invalid state";
    }
    return "unknown status";
}

senti_status senti_err_set(senti_err *err, senti_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void senti_sha256_hex(const void *data, size_t len, char out[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    static const char hex[] = "0123456789abcdef";

    sha256_init(&ctx);
    /* nettle takes size_t lengths; feed in 1 GiB pieces to stay conservative. */
    const uint8_t *p = data;
    while (len > 0) {
        size_t n = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
        sha256_update(&ctx, n, p);
        p += n;
        len -= n;
    }
    sha256_digest(&ctx, sizeof digest, digest);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
}

static int g_threads = 2;

void senti_set_threads(int n)
{
    if (n < 1)
        n = 1;
    g_threads = n;
    openblas_set_num_threads(n);
}

int senti_get_threads(void) { return g_threads; }

void senti_blas_one_thread(bool on) { openblas_set_num_threads(on ? 1 : g_threads); }

static int g_numerics = -1; /* -1: not set, SENTI_MATMUL decides */
static const char *const k_numerics[SENTI_NUMERICS_COUNT] = {"f32", "q8"};

void senti_set_numerics(int numerics)
{
    g_numerics = numerics >= 0 && numerics < SENTI_NUMERICS_COUNT ? numerics : SENTI_NUMERICS_F32;
}

int senti_get_numerics(void)
{
    if (g_numerics >= 0)
        return g_numerics;
    const int env = senti_numerics_parse(getenv("SENTI_MATMUL"));
    return env >= 0 ? env : SENTI_NUMERICS_F32;
}

const char *senti_numerics_name(int numerics)
{
    return numerics >= 0 && numerics < SENTI_NUMERICS_COUNT ? k_numerics[numerics] : "unknown";
}

int senti_numerics_parse(const char *name)
{
    for (int i = 0; name && i < SENTI_NUMERICS_COUNT; i++)
        if (!strcmp(name, k_numerics[i]))
            return i;
    return -1;
}

senti_status senti_numerics_from_env(senti_err *err)
{
    const char *v = getenv("SENTI_MATMUL");
    if (!v || !*v)
        return SENTI_OK;
    const int n = senti_numerics_parse(v);
    if (n < 0)
        return senti_err_set(err, SENTI_ERR_ARG, "SENTI_MATMUL=%s: unknown numerics (f32, q8)", v);
    senti_set_numerics(n);
    return SENTI_OK;
}

const char *senti_blas_core_hint(void)
{
    const char *core = openblas_get_corename();
    if (getenv("OPENBLAS_CORETYPE") || !core || (strcmp(core, "Prescott") && strcmp(core, "Core2") &&
                                                 strcmp(core, "Nehalem") && strcmp(core, "Sandybridge")))
        return NULL;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}
