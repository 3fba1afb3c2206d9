/*
 * cli_run.c - `senti run EXPERIMENT -o OUTDIR [--resume] [--keep-going] [--list] [--threads N]
 *              [--shard I/N] [--unit-rows R] [--limit N] [--sample N]`.
 *
 * Runs every cell of an experiment (senti/runner.h); with --shard, only the
 * I-th of N parts of its row scoring (senti/shard.h, then `senti merge`);
 * started by mpirun with several ranks, the MPI run of cli_mpi.c. Progress goes to stderr:
 * on a terminal an overall + per-cell line with rows/s and ETA redrawn in
 * place, otherwise one plain log line per cell. Exit codes: 0 done, 2 usage
 * or input error (bad experiment file, missing data), 3 model error, 4 other.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "senti/experiment.h"
#include "senti/runner.h"
#include "senti/shard.h"

typedef struct {
    int tty;
    size_t index, n_cells;
    const char *cell;
} progress;

static void on_rows(void *user, size_t done, size_t total, double seconds)
{
    progress *p = user;
    if (!p->tty)
        return;
    double rate = seconds > 0 ? (double)done / seconds : 0;
    double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
    int width = 24, fill = total ? (int)(width * (double)done / (double)total) : 0;
    fprintf(stderr, "\r\033[K[%zu/%zu] %-.48s [%.*s%*s] %zu/%zu rows %.1f rows/s ETA %.0fs", p->index + 1,
            p->n_cells, p->cell, fill, "########################", width - fill, "", done, total, rate, eta);
}

static void on_cell(void *user, const senti_cell *c, size_t i, size_t n, int done, int skipped, double seconds)
{
    progress *p = user;
    p->index = i, p->n_cells = n, p->cell = c->name;
    if (!done)
        return;
    if (p->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "[%zu/%zu] %s %s (%.1fs)\n", i + 1, n, c->name, skipped ? "already done (resume)" : "done",
            seconds);
}

static void on_fail(void *user, const senti_cell *c, size_t i, size_t n, const senti_err *err)
{
    progress *p = user;
    if (p->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "[%zu/%zu] FAILED: %s\n", i + 1, n, err->msg); /* the message names the cell */
}

static void usage(FILE *f)
{
    fputs("usage: senti run EXPERIMENT.json -o OUTDIR [options]\n\n"
          "  -o, --output DIR   results directory (cells/, results.json)\n"
          "  --resume           keep cells already completed in OUTDIR (same cell hash)\n"
          "  --keep-going       a failing cell does not stop the run: the others run, results.json\n"
          "                     lists the failed ones as pending, the exit code is the first failure's\n"
          "  --list             print the cells (name and hash) and exit\n"
          "  --collect          run nothing: write results.json from the cells already finished in\n"
          "                     OUTDIR, listing the others as pending (reports say so); exit 2 when\n"
          "                     none has finished\n"
          "  -t, --threads N    threads (default: the experiment's \"threads\", else 2)\n"
          "  -q, --quiet        no progress on standard error\n"
          "  -h, --help         this help\n"
          "  --shard I/N        score only part I of N (I from 0 to N-1) into OUTDIR/shards/I-of-N;\n"
          "                     when all N are done, `senti merge OUTDIR` writes cells/ and results.json\n"
          "  --unit-rows R      under mpirun: rows per work unit handed to a rank, a multiple of 64\n"
          "                     (default 512)\n"
          "under mpirun -n N (N > 1): rank 0 hands out work units, ranks 1..N-1 score them (docs/scale.md)\n"
          "  --limit N          every dataset: only the first N rows (replaces the experiment's)\n"
          "  --sample N         every dataset: a seeded sample of N rows (replaces the experiment's);\n"
          "                     both are recorded in the manifests and results.json, and --resume\n"
          "                     refuses an OUTDIR run with another selection\n"
          "exit codes: 0 ok, 2 usage/input error, 3 model error, 4 internal error\n"
          "format of EXPERIMENT: docs/experiments.md\n",
          f);
}

/* --shard I/N: N in 1..100000, I in 0..N-1 (0-based, like SLURM's --array=0-N-1). */
static bool parse_shard(const char *arg, size_t *index, size_t *n)
{
    const char *slash = strchr(arg, '/');
    char head[32];
    long long i, k;
    if (!slash || (size_t)(slash - arg) >= sizeof head) {
        fprintf(stderr, "senti run: --shard %s: expected I/N (e.g. 0/4: the first of 4 parts)\n", arg);
        return false;
    }
    memcpy(head, arg, (size_t)(slash - arg));
    head[slash - arg] = '\0';
    if (!senti_cli_int("run", "shard N", slash + 1, 1, 100000, &k) ||
        !senti_cli_int("run", "shard I", head, 0, LLONG_MAX, &i))
        return false;
    if (i >= k) {
        fprintf(stderr, "senti run: --shard %s: the index must be in 0..%lld (shards are numbered from 0)\n", arg,
                k - 1);
        return false;
    }
    *index = (size_t)i, *n = (size_t)k;
    return true;
}

static void on_unit(void *user, const senti_work_unit *u, size_t i, size_t n, int done, double seconds)
{
    const senti_experiment *x = user;
    if (done)
        fprintf(stderr, "[%zu/%zu] %s rows %zu..%zu done (%.1fs)\n", i, n, senti_experiment_cell(x, u->cell)->name,
                u->row_begin, u->row_end, seconds);
}

static int run_shard(const senti_experiment *x, const senti_run_params *p, size_t index, size_t n)
{
    senti_shard_params sp = {p->outdir, index, n, p->threads, on_unit, (void *)x};
    senti_shard_summary sum;
    senti_err e;
    senti_status s = senti_shard_run(x, &sp, &sum, &e);
    if (s)
        fprintf(stderr, "senti run: %s\n", e.msg);
    else
        printf("run: shard %zu/%zu: %zu rows in %zu ranges (%zu prompts from its cache) in %.1fs -> "
               "%s/shards/%zu-of-%zu; when all %zu shards are done: senti merge %s\n",
               index, n, sum.n_rows, sum.n_units, sum.n_cached, sum.seconds, p->outdir, index, n, n, p->outdir);
    return senti_cli_exit(s, sum.model_error);
}

/* --collect: results.json from the finished cells; the pending ones named. */
static int collect_results(senti_experiment *x, const char *outdir)
{
    senti_run_summary sum;
    senti_err e;
    senti_status s = senti_run_collect(x, outdir, &sum, &e);
    if (s)
        fprintf(stderr, "senti run: %s\n", e.msg);
    else
        printf("run: collected %zu of %zu cells (%zu pending) -> %s/results.json\n", sum.n_skipped, sum.n_cells,
               sum.n_cells - sum.n_skipped, outdir);
    senti_experiment_free(x);
    return senti_cli_exit(s, false);
}

static const struct option longs[] = {SENTI_LONGOPT_OUTPUT,
                                      {"resume", no_argument, 0, 'r'},
                                      {"list", no_argument, 0, 'l'},
                                      {"collect", no_argument, 0, 'c'},
                                      {"keep-going", no_argument, 0, 'k'},
                                      SENTI_LONGOPT_THREADS,
                                      {"shard", required_argument, 0, 's'},
                                      {"unit-rows", required_argument, 0, 'u'},
                                      {"limit", required_argument, 0, 'L'},
                                      {"sample", required_argument, 0, 'S'},
                                      SENTI_LONGOPT_QUIET,
                                      SENTI_LONGOPT_HELP,
                                      {0, 0, 0, 0}};
const senti_cli_opts senti_opts_run = {"o:t:qh", longs};

int senti_cmd_run(int argc, char **argv)
{
    long long limit = 0, sample = 0;
    senti_run_params p = senti_run_default_params();
    const char *outdir = NULL;
    int list = 0, quiet = 0, collect = 0, c;
    size_t shard = 0, n_shards = 0;
    long long unit_rows = 512;
    while ((c = getopt_long(argc, argv, senti_opts_run.shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'q': quiet = 1; break;
        case 'r': p.resume = true; break;
        case 'l': list = 1; break;
        case 'c': collect = 1; break;
        case 'k': p.keep_going = true; break;
        case 't': if (!senti_cli_threads("run", optarg, &p.threads)) return SENTI_EXIT_USAGE; break;
        case 's': if (!parse_shard(optarg, &shard, &n_shards)) return SENTI_EXIT_USAGE; break;
        case 'u':
            if (!senti_cli_int("run", "unit-rows", optarg, SENTI_CLASSIFY_GROUP, 1 << 24, &unit_rows))
                return SENTI_EXIT_USAGE;
            if (unit_rows % SENTI_CLASSIFY_GROUP) {
                fprintf(stderr, "senti run: --unit-rows %s: must be a multiple of %d (the classifier's row group)\n",
                        optarg, SENTI_CLASSIFY_GROUP);
                return SENTI_EXIT_USAGE;
            }
            break;
        case 'L': if (!senti_cli_int("run", "limit", optarg, 1, 100000000, &limit)) return SENTI_EXIT_USAGE; break;
        case 'S': if (!senti_cli_int("run", "sample", optarg, 1, 100000000, &sample)) return SENTI_EXIT_USAGE; break;
        case 'h': usage(stdout); return SENTI_EXIT_OK;
        default: return senti_cli_try_help("run");
        }
    }
    if (optind != argc - 1 || (!outdir && !list)) {
        usage(stderr);
        return SENTI_EXIT_USAGE;
    }
    if (outdir && !strcmp(outdir, "-")) {
        fprintf(stderr, "senti run: -o -: the results are a directory, not a stream\n");
        return SENTI_EXIT_USAGE;
    }
    if (p.keep_going && (collect || n_shards || senti_cli_mpi_launched())) {
        fprintf(stderr, "senti run: --keep-going: not with --collect, --shard or mpirun\n");
        return SENTI_EXIT_USAGE;
    }
    if (collect && (list || n_shards || senti_cli_mpi_launched())) {
        fprintf(stderr, "senti run: --collect runs nothing: not with --list, --shard or mpirun\n");
        return SENTI_EXIT_USAGE;
    }
    senti_experiment *x;
    senti_err e;
    senti_status s = senti_experiment_load(argv[optind], &x, &e);
    if (!s && (limit || sample) && (s = senti_experiment_set_rows(x, (size_t)limit, (size_t)sample, &e)))
        senti_experiment_free(x);
    if (s) {
        fprintf(stderr, "senti run: %s\n", e.msg);
        return senti_cli_exit(s, false);
    }
    if (list) {
        for (size_t i = 0; i < senti_experiment_n_cells(x); i++)
            printf("%s %s\n", senti_experiment_cell(x, i)->hash, senti_experiment_cell(x, i)->name);
        senti_experiment_free(x);
        return SENTI_EXIT_OK;
    }
    if (!p.threads)
        p.threads = senti_experiment_threads(x);
    if (!p.threads)
        p.threads = SENTI_CLI_THREADS_DEFAULT;
    p.outdir = outdir;
    if (collect)
        return collect_results(x, outdir);
    int rc = -1;
    if (n_shards)
        rc = run_shard(x, &p, shard, n_shards);
    else if (senti_cli_mpi_launched())
        rc = senti_cli_run_mpi(x, &p, (size_t)unit_rows, quiet);
    if (rc >= 0) { /* -1: an MPI job of one rank runs as one process */
        senti_experiment_free(x);
        return rc;
    }
    progress prog = {isatty(STDERR_FILENO), 0, 0, ""};
    if (!quiet) {
        p.on_cell = on_cell, p.on_cell_user = &prog;
        p.on_rows = on_rows, p.on_rows_user = &prog;
    }
    p.on_fail = on_fail, p.on_fail_user = &prog; /* even with -q: a failure is never silent */
    senti_run_summary sum;
    s = senti_run_experiment(x, &p, &sum, &e);
    if (s && sum.results_written) /* --keep-going: the finished cells are in results.json */
        printf("run: %zu cells (%zu run, %zu resumed, %zu failed) in %.1fs -> %s/results.json\n", sum.n_cells,
               sum.n_run, sum.n_skipped, sum.n_failed, sum.seconds, outdir);
    if (s)
        fprintf(stderr, "%ssenti run: %s\n", prog.tty ? "\r\033[K" : "", e.msg);
    else
        printf("run: %zu cells (%zu run, %zu resumed) in %.1fs -> %s/results.json\n", sum.n_cells, sum.n_run,
               sum.n_skipped, sum.seconds, outdir);
    senti_experiment_free(x);
    return senti_cli_exit(s, sum.model_error);
}
