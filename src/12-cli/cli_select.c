/*
 * cli_select.c - `senti select`: choose a recipe from labelled rows by
 * cross-validation (senti/select.h, docs/select.md).
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "senti/select.h"

static void usage(FILE *f, const senti_select_params *d)
{
    fprintf(f,
            "usage: senti select -i LABELLED.csv [-m MODEL]... [options] -o RECIPE.json\n\n"
            "Chooses model, template, label words, calibration, shots, adapter or the bow-logreg baseline by\n"
            "stratified cross-validation on the labelled rows; writes the recipe (+ RECIPE.files/), the\n"
            "ranking of every candidate (RECIPE.ranking.csv and .md). Apply: senti classify --recipe.\n\n"
            "  -i, --input FILE        labelled rows (CSV with a header, or JSON lines)\n"
            "      --text-col NAME     text column (default: text, else sentence)\n"
            "      --label-col NAME    label column (default: label)\n"
            "      --id-col NAME       id column: the ids of RECIPE.cv.csv (default: none; the row number)\n"
            "  -m, --model FILE        a candidate model (repeatable; default: the space's, else every\n"
            "                          *.gguf beside the model the model search finds, smallest first)\n"
            "  -v, --verbalizer FILE   labels and their order; its template and words join the space\n"
            "      --space FILE        search space (JSON, docs/select.md; default: built in)\n"
            "      --budget MINUTES    time budget (default %.0f) in estimated minutes, so the same inputs take\n"
            "                          the same steps anywhere; candidates that would pass it are skipped\n"
            "      --folds K           cross-validation folds, 2..10 (default min(5, smallest class))\n"
            "      --seed N            folds, demonstrations, heads (default %" PRIu64 ")\n"
            "      --holdout FILE      rows never used in selection: the recipe's accuracy on them\n"
            "      --score-cache DIR   keep label scores for later runs (default: a temporary one)\n"
            "      --ranking-csv FILE, --ranking-md FILE   (default: RECIPE.ranking.csv / .md)\n"
            "      --cv-csv FILE       the chosen candidate's out-of-fold predictions (default: RECIPE.cv.csv)\n"
            "  -t, --threads N         threads (default %d; results do not depend on it)\n"
            "  -o, --output FILE       the recipe (JSON)\n"
            "  -q, --quiet             no progress lines on standard error\n"
            "  -h, --help              this help\n",
            d->budget_s / 60.0, d->seed, d->n_threads);
}

enum { O_TEXT = 256, O_LABEL, O_SPACE, O_BUDGET, O_FOLDS, O_SEED, O_HOLDOUT, O_CACHE, O_RCSV, O_RMD, O_CVCSV, O_ID };

static const struct option long_opts[] = {
    SENTI_LONGOPT_INPUT,                       {"text-col", required_argument, 0, O_TEXT},
    {"label-col", required_argument, 0, O_LABEL}, {"id-col", required_argument, 0, O_ID},
    SENTI_LONGOPT_MODEL,
    SENTI_LONGOPT_VERBALIZER,                  {"space", required_argument, 0, O_SPACE},
    {"budget", required_argument, 0, O_BUDGET}, {"folds", required_argument, 0, O_FOLDS},
    {"seed", required_argument, 0, O_SEED},    {"holdout", required_argument, 0, O_HOLDOUT},
    {"score-cache", required_argument, 0, O_CACHE}, {"ranking-csv", required_argument, 0, O_RCSV},
    {"ranking-md", required_argument, 0, O_RMD}, {"cv-csv", required_argument, 0, O_CVCSV},
    SENTI_LONGOPT_THREADS,
    SENTI_LONGOPT_OUTPUT,                      SENTI_LONGOPT_QUIET,
    SENTI_LONGOPT_HELP,                        {0, 0, 0, 0}};
const senti_cli_opts senti_opts_select = {"i:m:v:t:o:qh", long_opts};

static void on_log(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}

#define MAX_MODELS 32

int senti_cmd_select(int argc, char **argv)
{
    senti_select_params p = senti_select_default_params();
    const char *models[MAX_MODELS];
    size_t n_models = 0;
    bool quiet = false;
    long long v;
    double d;
    int c, ix;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_select.shorts, long_opts, &ix)) != -1) {
        switch (c) {
        case 'i': p.input_path = optarg; break;
        case O_TEXT: p.data.text_col = optarg; break;
        case O_LABEL: p.data.label_col = optarg; break;
        case O_ID: p.data.id_col = optarg; break;
        case 'm':
            if (n_models == MAX_MODELS) {
                fprintf(stderr, "senti select: more than %d models\n", MAX_MODELS);
                return SENTI_EXIT_USAGE;
            }
            models[n_models++] = optarg;
            break;
        case 'v': p.verbalizer_path = optarg; break;
        case O_SPACE: p.space_path = optarg; break;
        case O_BUDGET: if (!senti_cli_real("select", "budget", optarg, 0.01, 10080, &d)) return SENTI_EXIT_USAGE; p.budget_s = d * 60.0; break;
        case O_FOLDS: if (!senti_cli_int("select", "folds", optarg, 2, 10, &v)) return SENTI_EXIT_USAGE; p.folds = (int)v; break;
        case O_SEED: if (!senti_cli_int("select", "seed", optarg, 0, LLONG_MAX, &v)) return SENTI_EXIT_USAGE; p.seed = (uint64_t)v; break;
        case O_HOLDOUT: p.holdout_path = optarg; break;
        case O_CACHE: p.score_cache_dir = optarg; break;
        case O_RCSV: p.ranking_csv = optarg; break;
        case O_RMD: p.ranking_md = optarg; break;
        case O_CVCSV: p.cv_csv = optarg; break;
        case 't': if (!senti_cli_threads("select", optarg, &p.n_threads)) return SENTI_EXIT_USAGE; break;
        case 'o': p.output_path = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout, &p); return SENTI_EXIT_OK;
        default: return senti_cli_try_help("select");
        }
    }
    if (optind < argc || !p.input_path || !p.output_path) {
        fprintf(stderr, "senti select: -i LABELLED and -o RECIPE are required%s\n",
                optind < argc ? " (and no positional arguments)" : "");
        usage(stderr, &p);
        return SENTI_EXIT_USAGE;
    }
    if (!strcmp(p.output_path, "-")) {
        fprintf(stderr, "senti select: -o: the recipe must be a file (its files go beside it)\n");
        return SENTI_EXIT_USAGE;
    }
    p.models = models;
    p.n_models = n_models;
    /* no -m: the models of the space, else every model beside the one the model search finds */
    char dir[4096] = "";
    const char *found = senti_cli_default_model();
    if (found) {
        const char *slash = strrchr(found, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - found) : 1, slash ? found : ".");
        p.model_dir = dir;
    }
    if (!quiet)
        p.log = on_log;
    senti_select_summary sum;
    senti_err err = {0};
    senti_status s = senti_select_run(&p, &sum, &err);
    if (s) {
        fprintf(stderr, "senti select: %s\n", err.msg[0] ? err.msg : senti_strerror(s));
        return senti_cli_exit(s, sum.model_error);
    }
    printf("chosen = %s, cv accuracy = %.4f (optimistic: the best of %zu evaluated candidates, %d folds, %zu rows)\n",
           sum.chosen, sum.cv_accuracy, sum.n_evaluated, sum.folds, sum.n_rows);
    if (sum.holdout_n)
        printf("holdout accuracy = %.4f (%zu/%zu)\n", (double)sum.holdout_correct / (double)sum.holdout_n,
               sum.holdout_correct, sum.holdout_n);
    fprintf(stderr, "select: %zu of %zu candidates evaluated (%zu skipped by the budget, %zu skipped for another "
                    "reason, %zu failed); %.1f s = search %.1f s + final fit %.1f s + holdout %.1f s; budget: %.1f of "
                    "%.1f estimated s\n",
            sum.n_evaluated, sum.n_candidates, sum.n_skipped_budget, sum.n_skipped - sum.n_skipped_budget,
            sum.n_failed, sum.seconds, sum.search_s, sum.final_fit_s, sum.holdout_s, sum.charged_s, p.budget_s);
    return SENTI_EXIT_OK;
}
