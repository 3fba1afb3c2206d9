/*
 * cli_merge.c - `senti merge OUTDIR [EXPERIMENT] [--resume] [--threads N]`.
 *
 * After the N shards of `senti run EXPERIMENT -o OUTDIR --shard I/N` are done:
 * gathers their score caches and writes cells/ and results.json exactly as a
 * single `senti run` does (senti/shard.h). Exit codes as senti run; a missing
 * shard is an input error (2) naming it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "senti/experiment.h"
#include "senti/shard.h"

static void usage(FILE *f)
{
    fputs("usage: senti merge OUTDIR [EXPERIMENT.json] [options]\n\n"
          "  assemble the shards of `senti run EXPERIMENT -o OUTDIR --shard I/N` into OUTDIR/cells and\n"
          "  OUTDIR/results.json, byte-identical to one `senti run` (timing aside). EXPERIMENT defaults\n"
          "  to the file recorded in OUTDIR/shards.json; it must have the same SHA-256.\n"
          "  --resume           keep cells already merged (same cell hash)\n"
          "  -t, --threads N    threads (default: the experiment's \"threads\", else 2)\n"
          "  -q, --quiet        accepted for symmetry (merge prints no progress)\n"
          "  -h, --help         this help\n"
          "exit codes: 0 ok, 2 usage/input error (e.g. a shard not finished), 3 model error, 4 internal error\n",
          f);
}

static const struct option longs[] = {{"resume", no_argument, 0, 'r'}, SENTI_LONGOPT_THREADS, SENTI_LONGOPT_QUIET,
                                      SENTI_LONGOPT_HELP, {0, 0, 0, 0}};
const senti_cli_opts senti_opts_merge = {"t:qh", longs};

int senti_cmd_merge(int argc, char **argv)
{
    senti_run_params p = senti_run_default_params();
    int c;
    while ((c = getopt_long(argc, argv, senti_opts_merge.shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'q': break;
        case 'r': p.resume = true; break;
        case 't': if (!senti_cli_threads("merge", optarg, &p.threads)) return SENTI_EXIT_USAGE; break;
        case 'h': usage(stdout); return SENTI_EXIT_OK;
        default: return senti_cli_try_help("merge");
        }
    }
    if (optind != argc - 1 && optind != argc - 2) {
        usage(stderr);
        return SENTI_EXIT_USAGE;
    }
    p.outdir = argv[optind];
    char *file = NULL;
    senti_experiment *x = NULL;
    senti_err e;
    senti_status s = optind == argc - 2 ? SENTI_OK : senti_shard_experiment_file(p.outdir, &file, &e);
    if (!s)
        s = senti_experiment_load(file ? file : argv[optind + 1], &x, &e);
    free(file);
    senti_run_summary sum = {0};
    if (!s) {
        if (!p.threads)
            p.threads = senti_experiment_threads(x);
        if (!p.threads)
            p.threads = SENTI_CLI_THREADS_DEFAULT;
        s = senti_shard_merge(x, &p, &sum, &e);
    }
    if (s)
        fprintf(stderr, "senti merge: %s\n", e.msg);
    else
        printf("merge: %zu cells (%zu run, %zu resumed) in %.1fs -> %s/results.json\n", sum.n_cells, sum.n_run,
               sum.n_skipped, sum.seconds, p.outdir);
    senti_experiment_free(x);
    return senti_cli_exit(s, sum.model_error);
}
