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
/* A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernel table when it loads:
 * _quit forgets it, _init picks again (honouring OPENBLAS_CORETYPE) and sets
 * the core's block sizes. Weak, so an OpenBLAS built for one core still links. */
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

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

const char *senti_blas_core(void)
{
    const char *core = openblas_get_corename();
    return core ? core : "unknown";
}

/* Cores senti may select, with what each needs of the CPU (0: SSE3 only). */
static const struct {
    const char *name;
    int needs; /* 0: nothing beyond x86-64, 1: AVX2 + FMA, 2: AVX-512 F/BW/DQ/VL */
} k_cores[] = {{"Prescott", 0}, {"Core2", 0}, {"Nehalem", 0}, {"Haswell", 1}, {"Zen", 1}, {"SkylakeX", 2}};

static int cpu_level(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

senti_status senti_blas_set_core(const char *name, senti_err *err)
{
    size_t i = 0, n = sizeof k_cores / sizeof k_cores[0];
    while (i < n && (!name || strcmp(name, k_cores[i].name)))
        i++;
    if (i == n)
        return senti_err_set(err, SENTI_ERR_ARG, "OpenBLAS core \"%s\": expected Prescott, Core2, Nehalem, Haswell, "
                             "Zen or SkylakeX", name ? name : "");
    if (k_cores[i].needs > cpu_level())
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "OpenBLAS core %s: this CPU lacks %s", name,
                             k_cores[i].needs == 2 ? "AVX-512" : "AVX2/FMA");
    if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit)
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "OpenBLAS core %s: this OpenBLAS is built for one core "
                             "(no DYNAMIC_ARCH)", name);
    /* OpenBLAS reads the choice from the environment while it picks; the
     * caller's own setting (if any) is put back afterwards */
    const char *old = getenv("OPENBLAS_CORETYPE");
    char *saved = old ? strdup(old) : NULL;
    if ((old && !saved) || setenv("OPENBLAS_CORETYPE", name, 1)) {
        free(saved);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    if (saved)
        setenv("OPENBLAS_CORETYPE", saved, 1);
    else
        unsetenv("OPENBLAS_CORETYPE");
    free(saved);
    if (strcmp(senti_blas_core(), name))
        return senti_err_set(err, SENTI_ERR_STATE, "OpenBLAS core %s: OpenBLAS chose %s", name, senti_blas_core());
    return SENTI_OK;
}

const char *senti_blas_tune(void)
{
    const char *core = senti_blas_core_hint();
    senti_err e;
    return core && senti_blas_set_core(core, &e) == SENTI_OK ? core : NULL;
}

const char *senti_blas_core_hint(void)
{
    const char *core = openblas_get_corename();
    if (getenv("OPENBLAS_CORETYPE") || !core || (strcmp(core, "Prescott") && strcmp(core, "Core2") &&
                                                 strcmp(core, "Nehalem") && strcmp(core, "Sandybridge")))
        return NULL;
    const int level = cpu_level();
    return level == 2 ? "SkylakeX" : level == 1 ? "Haswell" : NULL;
}
