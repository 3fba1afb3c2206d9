/*
 * cli_bench_kernels.c - `senti bench-kernels`: the matrix-product peaks of
 * this machine, for tools/bench.sh.
 *
 * Prints one JSON object with achieved GFLOP/s (2 flops per multiply-add),
 * each the best of R timed repetitions after a warm-up, so that a busy
 * machine shows its quiet moments rather than its average:
 *   - sgemm_peak: OpenBLAS SGEMM on SIZE^3 with the given threads (the f32
 *     ceiling of the default numerics) and the OpenBLAS core whose kernels ran;
 *   - per weight type (random rows quantized with the reference quantizer), a
 *     tile of ROWS rows x COLS x TOKENS on one thread, as the two numerics
 *     compute it in src/03-model/forward.c:
 *       f32_tile   dequantize the rows, then a single-threaded sgemm;
 *       q8_tile    unpack the rows (senti_q8_tile_pack), then the int8 GEMM;
 *       q8_kernel  the int8 GEMM alone on an unpacked tile (the int8 peak
 *                  probe: kernel-only, the tile in L2, the tokens in L1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "cli.h"
#include "senti/quant.h"

extern void openblas_set_num_threads(int num_threads);

typedef struct {
    int rows, cols, tokens, reps;
} kb_shape;

static double rnd(uint64_t *s) /* uniform in [-1, 1) */
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) - 1.0;
}

static double gflops(double macs, double secs) { return secs > 0 ? 2.0 * macs / secs * 1e-9 : 0.0; }

/* Best seconds of reps runs of the SIZE^3 sgemm with `threads` threads. */
static double sgemm_peak(int size, int reps, int threads)
{
    const size_t nn = (size_t)size * (size_t)size;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    double best = 1e30;
    uint64_t s = 7;
    for (size_t i = 0; a && b && c && i < nn; i++) {
        a[i] = (float)rnd(&s);
        b[i] = (float)rnd(&s);
    }
    openblas_set_num_threads(threads);
    for (int r = 0; a && b && c && r <= reps; r++) {
        double t = senti_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, size, size, size, 1.0f, a, size, b, size, 0.0f, c, size);
        t = senti_now() - t;
        if (r > 0 && t < best)
            best = t;
    }
    free(a), free(b), free(c);
    return best;
}

/* The three tile timings of one weight type; returns 0 when it has no tile layout. */
static int tile_bench(int type, const kb_shape *sh, double best[3])
{
    const int N = sh->rows, C = sh->cols, T = sh->tokens;
    const size_t rb = senti_type_row_size(type, C), tb = senti_q8_tile_bytes(type, C, N), ab = senti_q8_act_bytes(C);
    if (!rb || !tb)
        return 0;
    uint8_t *w = malloc(rb * (size_t)N), *tile = malloc(tb), *act = malloc(ab * (size_t)T);
    float *x = malloc((size_t)T * C * sizeof *x), *row = malloc((size_t)C * sizeof *row);
    float *wf = malloc((size_t)N * C * sizeof *wf), *y = malloc((size_t)T * N * sizeof *y);
    uint64_t s = 11;
    int ok = w && tile && act && x && row && wf && y;
    for (int i = 0; ok && i < N; i++) {
        for (int j = 0; j < C; j++)
            row[j] = (float)rnd(&s);
        senti_quantize_row_ref(type, row, w + (size_t)i * rb, C);
    }
    for (size_t i = 0; ok && i < (size_t)T * C; i++)
        x[i] = (float)rnd(&s);
    for (int t = 0; ok && t < T; t++)
        senti_q8_act_row(type, x + (size_t)t * C, C, act + (size_t)t * ab);
    openblas_set_num_threads(1);
    best[0] = best[1] = best[2] = 1e30;
    for (int r = 0; ok && r <= sh->reps; r++) {
        double t0 = senti_now();
        for (int i = 0; i < N; i++)
            senti_dequant_row(type, w + (size_t)i * rb, wf + (size_t)i * C, C);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, N, C, 1.0f, x, C, wf, C, 0.0f, y, N);
        double t1 = senti_now();
        senti_q8_tile_pack(type, w, rb, NULL, N, C, tile);
        senti_q8_tile_matmul(type, tile, N, act, ab, T, C, y, N);
        double t2 = senti_now();
        senti_q8_tile_matmul(type, tile, N, act, ab, T, C, y, N);
        double t3 = senti_now();
        if (r > 0) { /* r == 0 warms up */
            best[0] = t1 - t0 < best[0] ? t1 - t0 : best[0];
            best[1] = t2 - t1 < best[1] ? t2 - t1 : best[1];
            best[2] = t3 - t2 < best[2] ? t3 - t2 : best[2];
        }
    }
    free(w), free(tile), free(act), free(x), free(row), free(wf), free(y);
    return ok;
}

static const struct option opts[] = {{"reps", required_argument, 0, 'r'}, SENTI_LONGOPT_THREADS,
                                     {"size", required_argument, 0, 's'},   {"cols", required_argument, 0, 'c'},
                                     {"tokens", required_argument, 0, 'n'}, SENTI_LONGOPT_HELP,
                                     {0, 0, 0, 0}};
const senti_cli_opts senti_opts_bench_kernels = {"r:t:s:c:n:h", opts};

static int usage(FILE *f)
{
    fprintf(f, "usage: senti bench-kernels [-r R] [-t T] [-s S] [-c C] [-n N]\n"
               "matrix-product peaks (used by make bench), one JSON object on stdout:\n"
               "  -r, --reps R      timed runs, the best is kept (default 20)\n"
               "  -t, --threads N   threads of the SGEMM peak (default %d)\n"
               "  -s, --size S      SGEMM peak: S x S x S (64..8192, default 2048)\n"
               "  -c, --cols C      tile columns, a multiple of 256 (default 896)\n"
               "  -n, --tokens N    tile tokens (1..4096, default 64)\n"
               "  -h, --help        this help\n",
            SENTI_CLI_THREADS_DEFAULT);
    return f == stdout ? SENTI_EXIT_OK : SENTI_EXIT_USAGE;
}

int senti_cmd_bench_kernels(int argc, char **argv)
{
    kb_shape sh = {.rows = 128, .cols = 896, .tokens = 64, .reps = 20};
    int threads = SENTI_CLI_THREADS_DEFAULT, size = 2048, c;
    long long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_bench_kernels.shorts, opts, NULL)) != -1) {
        switch (c) {
        case 'r': if (!senti_cli_int("bench-kernels", "reps", optarg, 1, 100000, &v)) return SENTI_EXIT_USAGE; sh.reps = (int)v; break;
        case 't': if (!senti_cli_threads("bench-kernels", optarg, &threads)) return SENTI_EXIT_USAGE; break;
        case 's': if (!senti_cli_int("bench-kernels", "size", optarg, 64, 8192, &v)) return SENTI_EXIT_USAGE; size = (int)v; break;
        case 'c':
            if (!senti_cli_int("bench-kernels", "cols", optarg, 256, 1 << 16, &v))
                return SENTI_EXIT_USAGE;
            if (v % 256) {
                fprintf(stderr, "senti bench-kernels: --cols %lld: must be a multiple of 256\n", v);
                return SENTI_EXIT_USAGE;
            }
            sh.cols = (int)v;
            break;
        case 'n': if (!senti_cli_int("bench-kernels", "tokens", optarg, 1, 4096, &v)) return SENTI_EXIT_USAGE; sh.tokens = (int)v; break;
        case 'h': return usage(stdout);
        default: return senti_cli_try_help("bench-kernels");
        }
    }
    if (optind != argc)
        return usage(stderr);
    const double peak = sgemm_peak(size, sh.reps < 3 ? sh.reps : 3, threads);
    printf("{\"sgemm_peak\": {\"size\": %d, \"threads\": %d, \"gflops\": %.1f, \"blas_core\": \"%s\"},\n \"tile\": "
           "{\"rows\": %d, \"cols\": %d, \"tokens\": %d, \"threads\": 1},\n \"types\": {",
           size, threads, gflops((double)size * size * size, peak), senti_blas_core(), sh.rows, sh.cols, sh.tokens);
    static const int types[] = {SENTI_TYPE_Q4_0, SENTI_TYPE_Q4_1, SENTI_TYPE_Q5_0, SENTI_TYPE_Q8_0,
                                SENTI_TYPE_Q4_K, SENTI_TYPE_Q5_K, SENTI_TYPE_Q6_K};
    const double macs = (double)sh.rows * sh.cols * sh.tokens;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        double best[3];
        if (!tile_bench(types[i], &sh, best))
            continue;
        printf("%s\n  \"%s\": {\"f32_tile\": %.1f, \"q8_tile\": %.1f, \"q8_kernel\": %.1f}", i ? "," : "",
               senti_type_name(types[i]), gflops(macs, best[0]), gflops(macs, best[1]), gflops(macs, best[2]));
    }
    printf("}}\n");
    openblas_set_num_threads(threads);
    return SENTI_EXIT_OK;
}
