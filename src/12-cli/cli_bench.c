/*
 * cli_bench.c - `senti bench-prefill`: prefill speed, for tools/bench.sh.
 *
 * Tokenizes a text file as `senti tokenize` does (BOS per the model's
 * metadata), takes the first N ids, and times the prefill of those N ids on
 * a cleared KV cache with logits at the last position only: one untimed
 * warm-up, then R timed runs; prints {"tokens": N, "tokens_per_s": N / median,
 * "gflops": achieved GFLOP/s of the weight matrices, "numerics": f32|q8,
 * "peak_rss_mb": the process's peak resident set, "model_mb": the GGUF file's size}
 * (--numerics picks them, README "Numerics").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "00-base/base.h"
#include "cli.h"
#include "senti/model.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = senti_read_stream(f, len);
    int e = errno;
    fclose(f);
    errno = e;
    return buf;
}

/* Multiply-adds of the weight matrices per prefilled token (attention
 * scores and the one output row left out): what GFLOP/s counts. */
static double macs_per_token(const senti_hparams *hp)
{
    const double E = hp->n_embd, QD = (double)hp->n_head * hp->head_dim, KVD = (double)hp->n_head_kv * hp->head_dim;
    return hp->n_layer * (E * QD + 2.0 * E * KVD + QD * E + 3.0 * E * hp->n_ff);
}

/* Time `reps` prefills of ids[0..n) after one warm-up; returns the median seconds. */
static int time_prefill(senti_context *ctx, const int32_t *ids, int n, int reps, int n_vocab, double *median)
{
    float *logits = malloc((size_t)n_vocab * sizeof *logits);
    double *secs = malloc((size_t)(reps + 1) * sizeof *secs);
    int last = n - 1, rc = 0;
    senti_outputs out = {.n_out = 1, .pos = &last, .logits = logits};
    senti_err e;
    for (int r = 0; r <= reps && logits && secs; r++) {
        senti_context_truncate(ctx, 0);
        double t = senti_now();
        if (senti_decode(ctx, ids, n, &out, &e) != SENTI_OK) {
            fprintf(stderr, "senti bench-prefill: %s\n", e.msg);
            rc = 1;
            break;
        }
        secs[r] = senti_now() - t; /* secs[0] is the warm-up */
    }
    if (!rc && logits && secs) {
        qsort(secs + 1, (size_t)reps, sizeof *secs, cmp_double);
        *median = secs[1 + reps / 2];
    }
    free(logits);
    free(secs);
    return rc || !logits || !secs;
}

enum { O_NUMERICS = 256 }; /* long only */

static const struct option opts[] = {SENTI_LONGOPT_MODEL,
                                     {"tokens", required_argument, 0, 'n'},
                                     {"reps", required_argument, 0, 'r'},
                                     SENTI_LONGOPT_THREADS,
                                     {"text-file", required_argument, 0, 'f'},
                                     {"numerics", required_argument, 0, O_NUMERICS},
                                     SENTI_LONGOPT_HELP,
                                     {0, 0, 0, 0}};
const senti_cli_opts senti_opts_bench_prefill = {"m:n:r:t:f:h", opts};

static int usage(FILE *f)
{
    fprintf(f, "usage: senti bench-prefill [-m MODEL] [-n N] [-r R] [-t T] [--numerics f32|q8] -f TEXT_FILE\n"
               "prefill speed of the first N tokens of TEXT_FILE, median of R runs (used by make bench):\n"
               "prints {\"tokens\": N, \"tokens_per_s\": ...}\n"
               "  -m, --model FILE      GGUF model (default: %s)\n"
               "  -n, --tokens N        tokens to prefill (default 128)\n"
               "  -r, --reps R          timed runs after one warm-up (default 5)\n"
               "  -t, --threads N       threads (default %d)\n"
               "  -f, --text-file FILE  the text to tokenize (required)\n"
               "      --numerics f32|q8 matrix products with quantized weights (default f32; README Numerics)\n"
               "  -h, --help            this help\n",
            senti_cli_model_shown(), SENTI_CLI_THREADS_DEFAULT);
    return f == stdout ? SENTI_EXIT_OK : SENTI_EXIT_USAGE;
}

int senti_cmd_bench_prefill(int argc, char **argv)
{
    const char *model_path = senti_cli_default_model(), *text_path = NULL;
    int n = 128, reps = 5, threads = SENTI_CLI_THREADS_DEFAULT, c;
    long long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_bench_prefill.shorts, opts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'n': if (!senti_cli_int("bench-prefill", "tokens", optarg, 1, 1 << 20, &v)) return SENTI_EXIT_USAGE; n = (int)v; break;
        case 'r': if (!senti_cli_int("bench-prefill", "reps", optarg, 1, 100000, &v)) return SENTI_EXIT_USAGE; reps = (int)v; break;
        case 't': if (!senti_cli_threads("bench-prefill", optarg, &threads)) return SENTI_EXIT_USAGE; break;
        case 'f': text_path = optarg; break;
        case O_NUMERICS:
            if (senti_numerics_parse(optarg) < 0) {
                fprintf(stderr, "senti bench-prefill: --numerics %s: f32 or q8\n", optarg);
                return SENTI_EXIT_USAGE;
            }
            senti_set_numerics(senti_numerics_parse(optarg));
            break;
        case 'h': return usage(stdout);
        default: return senti_cli_try_help("bench-prefill");
        }
    }
    if (n < 1 || reps < 1 || threads < 1 || !text_path || optind != argc) {
        fprintf(stderr, "senti bench-prefill: -f TEXT_FILE is required (and no positional arguments)\n");
        return usage(stderr);
    }
    if (!model_path)
        return senti_cli_model_missing("bench-prefill");
    size_t len;
    char *text = read_text(text_path, &len);
    if (!text) {
        fprintf(stderr, "senti bench-prefill: %s: %s\n", text_path, strerror(errno));
        return SENTI_EXIT_USAGE;
    }
    senti_model_params mp = senti_model_default_params();
    mp.n_threads = threads;
    senti_model *m = NULL;
    senti_context *ctx = NULL;
    senti_err e;
    int rc = SENTI_EXIT_MODEL;
    size_t n_ids = 0;
    int32_t *ids = malloc((len + 2) * sizeof *ids);
    if (ids && senti_model_load(model_path, &mp, &m, &e) == SENTI_OK &&
        senti_tokenize(senti_model_tokenizer(m), text, len, SENTI_TOK_ADD_SPECIAL, ids, len + 2, &n_ids, &e) == SENTI_OK &&
        senti_context_new(m, n, &ctx, &e) == SENTI_OK) {
        double median = 0.0;
        if ((size_t)n > n_ids)
            fprintf(stderr, "senti bench-prefill: the text has only %zu tokens\n", n_ids);
        else if (!time_prefill(ctx, ids, n, reps, senti_model_hparams(m)->n_vocab, &median)) {
            struct rusage ru;
            struct stat st;
            getrusage(RUSAGE_SELF, &ru); /* the peak resident set: touched weight pages + buffers */
            int w = printf("{\"tokens\": %d, \"tokens_per_s\": %.3f, \"median_s\": %.6f, \"threads\": %d, "
                           "\"numerics\": \"%s\", \"gflops\": %.1f, \"peak_rss_mb\": %.1f, \"model_mb\": %.1f}\n",
                           n, (double)n / median, median, threads, senti_numerics_name(senti_get_numerics()),
                           2.0 * macs_per_token(senti_model_hparams(m)) * n / median * 1e-9,
                           (double)ru.ru_maxrss / 1024.0,
                           stat(model_path, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0) : 0.0);
            if (w < 0 || fflush(stdout) != 0) {
                fprintf(stderr, "senti bench-prefill: standard output: %s\n", strerror(errno));
                rc = senti_cli_exit(SENTI_ERR_IO, false);
            } else
                rc = SENTI_EXIT_OK;
        }
    } else {
        fprintf(stderr, "senti bench-prefill: %s\n", e.msg);
    }
    senti_context_free(ctx);
    senti_model_free(m);
    free(ids);
    free(text);
    return rc;
}
