/*
 * main.c - `senti <subcommand> [options]`: dispatch to the subcommands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "12-cli/cli.h"
#include "senti/common.h"
#include "senti/quant.h"

/* OpenMP threads that finish early wait for the others at every barrier;
 * libgomp's default is to spin about 300,000 times first. On a machine where
 * other work shares the cores (a CI runner, two senti runs) a spinning thread
 * holds the core its late sibling needs: classify measured 2x slower with two
 * threads than with one. 300 spins keep the quiet-machine speed (within the
 * noise of `make bench`) and recover that loss (README, Shared CPUs).
 * libgomp reads the setting once, in its initializer; senti links libgomp
 * statically (Makefile) so that this constructor, with its priority, runs
 * before that one. The user's OMP_WAIT_POLICY or GOMP_SPINCOUNT wins. */
__attribute__((constructor(101))) static void default_omp_wait(void)
{
    if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT"))
        setenv("GOMP_SPINCOUNT", "300", 0);
}

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
    const senti_cli_opts *opts; /* its parser's options (--dump-options) */
} command;

static const command commands[] = {
    {"model", senti_cmd_model, "inspect a GGUF model (senti model info -m FILE)", &senti_opts_model},
    {"tokenize", senti_cmd_tokenize, "print the token ids of a text", &senti_opts_tokenize},
    {"logits", senti_cmd_logits, "print the top next tokens after a text", &senti_opts_logits},
    {"classify", senti_cmd_classify, "label distributions for every row of a CSV file", &senti_opts_classify},
    {"finetune", senti_cmd_finetune, "train a head or LoRA adapters from labelled rows", &senti_opts_finetune},
    {"eval", senti_cmd_eval, "accuracy and calibration metrics of a predictions file", &senti_opts_eval},
    {"compare", senti_cmd_compare, "paired comparison of two or more predictions files", &senti_opts_compare},
    {"run", senti_cmd_run, "run an experiment grid (experiment file -> OUTDIR/results.json)", &senti_opts_run},
    {"merge", senti_cmd_merge, "assemble the shards of senti run --shard I/N into OUTDIR/results.json",
     &senti_opts_merge},
    {"select", senti_cmd_select, "choose a recipe from labelled rows by cross-validation (classify --recipe)",
     &senti_opts_select},
    {"report", senti_cmd_report, "HTML/Markdown/JSON/CSV/JUnit reports and CI gates from results.json",
     &senti_opts_report},
    {"bench-prefill", senti_cmd_bench_prefill, "prefill speed (used by make bench)", &senti_opts_bench_prefill},
    {"bench-kernels", senti_cmd_bench_kernels, "matrix-product peaks: f32 SGEMM and the int8 GEMM (make bench)",
     &senti_opts_bench_kernels},
};

/* `senti --dump-options` (hidden; tools/gen_cli_docs.sh makes the man page
 * and the shell completions from it), tab-separated lines:
 *   command NAME SUMMARY
 *   option  NAME SHORT LONG ARG     (SHORT/LONG "-" when absent; ARG required|none|optional)
 *   common  SHORT LONG ARGNAME MEANING   (the common-options table, cli.h) */
static void dump_options(void)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const command *c = &commands[i];
        printf("command\t%s\t%s\n", c->name, c->help);
        senti_cli_dump_opts(stdout, c->name, c->opts);
    }
    for (size_t i = 0; i < senti_cli_n_common_opts; i++) {
        const senti_cli_common_opt *o = &senti_cli_common_opts[i];
        printf("common\t%s%c\t--%s\t%s\t%s\n", o->short_name ? "-" : "", o->short_name ? o->short_name : '-',
               o->long_name, o->arg ? o->arg : "-", o->meaning);
    }
}

static void usage(FILE *f)
{
    fprintf(f, "senti %s - sentiment classification and evaluation with language models\n\n"
               "usage: senti <command> [options]   (senti <command> --help for details)\n\n",
            senti_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nthe model without -m: $SENTI_MODEL, else the first directory of $SENTI_MODEL_DIR,\n"
               "$XDG_DATA_HOME/senti/models (default ~/.local/share/senti/models), PREFIX/share/senti/models\n"
               "for an installed PREFIX/bin/senti (make install-models), %s/models, and the source\n"
               "tree's models/ (for <tree>/<build>/senti) that holds %s;\nnow: %s\n",
            SENTI_CLI_DATADIR, SENTI_CLI_DEFAULT_MODEL_FILE, senti_cli_model_shown());
    fprintf(f, "\nexit codes: 0 ok, 1 gate failed, 2 usage/input error, 3 model error, 4 internal error\n");
}


/* Every command's standard output is checked once more at the end (as GNU
 * tools do): a full disk or closed pipe is an error, never a silent success. */
static int close_stdout(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "senti: error writing standard output: %s\n", strerror(errno));
    return rc ? rc : SENTI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    senti_blas_tune(); /* OpenBLAS's kernels for this CPU where it fell back to SSE3 ones */
    gsl_set_error_handler_off();
    if (argc < 2) {
        usage(stderr);
        return SENTI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return SENTI_EXIT_OK;
    }
    senti_err e;
    if (senti_numerics_from_env(&e)) { /* SENTI_MATMUL=f32|q8, the same as --numerics */
        fprintf(stderr, "senti: %s\n", e.msg);
        return SENTI_EXIT_USAGE;
    }
    if (senti_isa_from_env(&e)) { /* SENTI_ISA=scalar|avx2|... forces a kernel level */
        fprintf(stderr, "senti: %s\n", e.msg);
        return SENTI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--dump-options")) {
        dump_options();
        return close_stdout(SENTI_EXIT_OK);
    }
    if (!strcmp(argv[1], "--version")) {
        printf("senti %s\nkernels: %s (best on this CPU: %s)\n", senti_version(), senti_isa_name(senti_isa_active()),
               senti_isa_name(senti_isa_best()));
        return SENTI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return close_stdout(commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "senti: unknown command '%s' (try senti --help)\n", argv[1]);
    return SENTI_EXIT_USAGE;
}
