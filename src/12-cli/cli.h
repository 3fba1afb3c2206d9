/*
 * cli.h - the senti command line: one function per subcommand.
 *
 * Each `senti_cmd_<name>` receives argv with argv[0] = "<name>", parses its
 * options with getopt_long, prints results on stdout, diagnostics on stderr,
 * and returns the process exit code:
 *   0 success, 1 a gate or threshold failed, 2 usage or input error,
 *   3 model/engine error, 4 internal error.
 */
#ifndef SENTI_CLI_H
#define SENTI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "00-base/base.h"
#include "senti/classify.h"
#include "senti/common.h"
#include "senti/metrics.h"
#include "senti/predfile.h"
#include "senti/runner.h"

enum { SENTI_EXIT_OK = 0, SENTI_EXIT_GATE = 1, SENTI_EXIT_USAGE = 2, SENTI_EXIT_MODEL = 3, SENTI_EXIT_INTERNAL = 4 };

/* The one map from a library status to the exit code (README's table):
 * SENTI_OK 0; out of memory and invalid state 4 (internal); unsupported
 * (model features, file versions) and numerical failures 3 (model/engine);
 * the rest (argument, format, not found, I/O, range) 2 (usage or input),
 * or 3 when model_error says the failure came from loading or running the
 * model (a truncated GGUF is a format error of the model, not of the input). */
int senti_cli_exit(senti_status s, bool model_error);
/* After getopt named a bad option: "Try 'senti CMD --help' ..." on stderr (as
 * GNU tools do, instead of the whole usage); returns SENTI_EXIT_USAGE. */
int senti_cli_try_help(const char *cmd);

/* ---- the common options (docs/cli.md): one spelling, one meaning -------------------
 * Every parser takes the common flags it has a use for from these entries,
 * with the same short letter, argument and default:
 *   -m, --model FILE    GGUF model (default: the model search, senti_cli_default_model)
 *   -t, --threads N     worker threads: model, training or bootstrap (default 2)
 *   -q, --quiet         no progress on standard error
 *   -k, --shots K       demonstrations per prompt
 *   -o, --output PATH   the command's main output (file, or directory for run); - is stdout
 *   -i, --input FILE    the rows to read; - is stdin
 *   -v, --verbalizer FILE   label words and template
 *       --seed N        the seed of the command's own sampling (demonstrations, training split)
 *       --calibrate M   calibration at prompt time (classify: none|contextual|pmi|batch)
 *   -h, --help          usage with defaults, exit 0
 * A spelling whose meaning changed stays as a deprecated alias that warns
 * (senti_cli_deprecated). */
#define SENTI_CLI_THREADS_DEFAULT 2
#define SENTI_LONGOPT_MODEL {"model", required_argument, 0, 'm'}
#define SENTI_LONGOPT_THREADS {"threads", required_argument, 0, 't'}
#define SENTI_LONGOPT_QUIET {"quiet", no_argument, 0, 'q'}
#define SENTI_LONGOPT_SHOTS {"shots", required_argument, 0, 'k'}
#define SENTI_LONGOPT_OUTPUT {"output", required_argument, 0, 'o'}
#define SENTI_LONGOPT_INPUT {"input", required_argument, 0, 'i'}
#define SENTI_LONGOPT_VERBALIZER {"verbalizer", required_argument, 0, 'v'}
#define SENTI_LONGOPT_HELP {"help", no_argument, 0, 'h'}

/* One row of the common-options table (for --dump-options, the man page). */
typedef struct {
    char short_name; /* 0: none */
    const char *long_name, *arg, *meaning;
} senti_cli_common_opt;
extern const senti_cli_common_opt senti_cli_common_opts[];
extern const size_t senti_cli_n_common_opts;

/* A subcommand's options as its parser takes them: the getopt optstring and
 * getopt_long table (completion and the man page are generated from these). */
typedef struct {
    const char *shorts;
    const struct option *longs;
} senti_cli_opts;
extern const senti_cli_opts senti_opts_model, senti_opts_tokenize, senti_opts_logits, senti_opts_classify,
    senti_opts_finetune, senti_opts_eval, senti_opts_compare, senti_opts_run, senti_opts_merge, senti_opts_report,
    senti_opts_bench_prefill, senti_opts_bench_kernels, senti_opts_select;

/* The "option" lines of `senti --dump-options` for one command (main.c):
 * every long option of o->longs with its short letter when o->shorts has it,
 * then the short letters that have no long option. */
void senti_cli_dump_opts(FILE *f, const char *cmd, const senti_cli_opts *o);

/* "senti CMD: warning: OLD is deprecated: use NOW (WHY)" on stderr. */
void senti_cli_deprecated(const char *cmd, const char *old, const char *now, const char *why);

/* --chat auto|on|off (senti_chat_mode_parse) into an `int chat` field; false
 * for another value (the caller prints its usage message). */
bool senti_cli_chat_opt(const char *arg, int *chat);

int senti_cmd_model(int argc, char **argv);
int senti_cmd_tokenize(int argc, char **argv);
int senti_cmd_logits(int argc, char **argv);
int senti_cmd_classify(int argc, char **argv);
int senti_cmd_finetune(int argc, char **argv);
int senti_cmd_eval(int argc, char **argv);
int senti_cmd_compare(int argc, char **argv);
int senti_cmd_bench_prefill(int argc, char **argv);
int senti_cmd_bench_kernels(int argc, char **argv);
int senti_cmd_report(int argc, char **argv);
int senti_cmd_run(int argc, char **argv);
int senti_cmd_merge(int argc, char **argv);
int senti_cmd_select(int argc, char **argv);

/* MPI runs (cli_mpi.c; MPI itself only when built with SENTI_HAVE_MPI, i.e.
 * when mpicc was found). senti_cli_mpi_launched: the environment says an MPI
 * launcher (mpirun, srun) started this process. senti_cli_run_mpi: run the
 * experiment over the ranks (docs/scale.md; quiet: no log line per work
 * unit) and return the exit code, or -1
 * when the job has a single rank (the caller runs it as one process); a build
 * without MPI refuses a job of several ranks with a usage error. */
bool senti_cli_mpi_launched(void);
/* The job size the launcher announces (0 when it does not say), and whether
 * this process is rank 0 (true when the launcher does not say): for checks
 * made before MPI starts, reported once. */
long senti_cli_mpi_size(void);
bool senti_cli_mpi_rank0(void);
int senti_cli_run_mpi(const senti_experiment *x, const senti_run_params *p, size_t unit_rows, bool quiet);

/* `mpirun -n N senti classify`: the rows of p's input in work units of
 * unit_rows rows over the ranks, scored into rank caches under the shared
 * work directory senti_cli_classify_mpi_dir(p) (the first output file +
 * ".mpi"), then rank 0 writes p's outputs from them (the bytes of a
 * single-process run), calls done(p, summary), and removes that directory.
 * The exit code, or -1 when the job has a single rank. The caller has checked
 * that p has a file output, no stdin input, no adapter and no score cache. */
typedef void (*senti_cli_classify_done)(const senti_classify_params *p, const senti_classify_summary *sum);
int senti_cli_classify_mpi(const senti_classify_params *p, size_t unit_rows, bool quiet,
                           senti_cli_classify_done done);
void senti_cli_classify_mpi_dir(const senti_classify_params *p, char *buf, size_t cap);

/* The model used when -m is not given (README, "Where senti finds its
 * model"): $SENTI_MODEL as it is, else the first of these directories that
 * holds SENTI_CLI_DEFAULT_MODEL_FILE:
 *   1. $SENTI_MODEL_DIR;
 *   2. $XDG_DATA_HOME/senti/models (default ~/.local/share/senti/models);
 *   3. PREFIX/share/senti/models of the installed executable (PREFIX/bin/senti),
 *      where make install-models puts the models, whatever PREFIX was;
 *   4. $(PREFIX)/share/senti/models compiled in (the same place for a binary
 *      installed with the PREFIX it was built with);
 *   5. the source tree of the executable: <tree>/models when the executable
 *      is <tree>/<build dir>/senti and <tree>/src/main.c exists (never the
 *      current directory).
 * NULL when there is none (static storage, searched once). */
#define SENTI_CLI_DEFAULT_MODEL_FILE "SmolLM2-135M-Instruct.Q4_1.gguf"
extern const char *const SENTI_CLI_DATADIR; /* $(PREFIX)/share/senti */
const char *senti_cli_default_model(void);
/* For --help texts: the model found, or a note that there is none. */
const char *senti_cli_model_shown(void);
/* No -m and nothing found: print every place the search looked and how to
 * fill one; returns SENTI_EXIT_USAGE. */
int senti_cli_model_missing(const char *cmd);

/* Options shared by `senti eval` and `senti compare`: the predictions reader
 * (senti/predfile.h) and the evaluation settings (senti/metrics.h). Each
 * command puts SENTI_CLI_EVAL_LONGOPTS first in its option table, numbers its
 * own options from SENTI_OPT_EVAL_END, and hands every code it does not know
 * to senti_cli_eval_opt(). */
enum {
    SENTI_OPT_FORMAT = 256, SENTI_OPT_BINS, SENTI_OPT_BOOT, SENTI_OPT_SEED, SENTI_OPT_CI, SENTI_OPT_THREADS,
    SENTI_OPT_GOLD, SENTI_OPT_PRED, SENTI_OPT_ID, SENTI_OPT_STATUS, SENTI_OPT_PREFIX, SENTI_OPT_COLS,
    SENTI_OPT_TOL, SENTI_OPT_RENORM, SENTI_OPT_SEED_OLD, SENTI_OPT_EVAL_END
};
#define SENTI_CLI_EVAL_LONGOPTS                                                                                   \
    {"format", required_argument, 0, SENTI_OPT_FORMAT}, {"output", required_argument, 0, 'o'},                    \
        {"bins", required_argument, 0, SENTI_OPT_BINS}, {"bootstrap", required_argument, 0, SENTI_OPT_BOOT},      \
        {"bootstrap-seed", required_argument, 0, SENTI_OPT_SEED}, {"seed", required_argument, 0, SENTI_OPT_SEED_OLD}, \
        {"ci", required_argument, 0, SENTI_OPT_CI}, SENTI_LONGOPT_THREADS,                                          \
        {"gold-col", required_argument, 0, SENTI_OPT_GOLD},                                                       \
        {"pred-col", required_argument, 0, SENTI_OPT_PRED}, {"id-col", required_argument, 0, SENTI_OPT_ID},       \
        {"status-col", required_argument, 0, SENTI_OPT_STATUS},                                                   \
        {"prob-prefix", required_argument, 0, SENTI_OPT_PREFIX},                                                  \
        {"prob-cols", required_argument, 0, SENTI_OPT_COLS}, {"tol", required_argument, 0, SENTI_OPT_TOL},        \
        {"renormalize", no_argument, 0, SENTI_OPT_RENORM}, SENTI_LONGOPT_HELP

/* The evaluation settings of eval, compare and report: the library's defaults
 * with the common thread default (SENTI_CLI_THREADS_DEFAULT). */
senti_eval_params senti_cli_eval_defaults(void);

/* Apply shared option `c` (with `arg`) to the reader and evaluation settings
 * (-t is --threads; --seed is the deprecated spelling of --bootstrap-seed):
 * 1 when applied, 0 when `c` is not a shared option, -1 when its value is bad
 * (reported on stderr as "senti CMD: --opt: problem"). `format` and `output`
 * receive --format and -o/--output. */
int senti_cli_eval_opt(const char *cmd, int c, const char *arg, senti_predfile_params *rd, senti_eval_params *ev,
                       const char **format, const char **output);

/* Numeric option values, strictly (00-base/numparse.h): the whole string, in
 * [lo, hi]. On a bad value print "senti CMD: --OPT: <problem>" and return
 * false (the caller exits with SENTI_EXIT_USAGE). */
bool senti_cli_int(const char *cmd, const char *opt, const char *arg, long long lo, long long hi, long long *out);
bool senti_cli_real(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *out);

/* Thread counts: 1 .. 4 x the online CPUs (senti_cli_max_threads()). */
long long senti_cli_max_threads(void);
bool senti_cli_threads(const char *cmd, const char *arg, int *out);

/* An output of a command: a file written atomically (complete or not there)
 * or, for NULL or "-", standard output. */
typedef struct {
    FILE *f;
    senti_atomic_file af;
} senti_cli_out;

/* Open; false (message printed) when the file cannot be created. */
bool senti_cli_out_open(const char *cmd, senti_cli_out *o, const char *path);
/* Close: with keep, every write checked and the file put in place, else the
 * file dropped. Returns 0, or the exit code of a failed write (message printed). */
int senti_cli_out_close(const char *cmd, senti_cli_out *o, bool keep);

/* Progress of a long job on stderr (--progress auto|bar|lines|none):
 *   bar    one line redrawn in place, at most twice a second;
 *   lines  a plain log line every SENTI_CLI_PROGRESS_LINE_S seconds
 *          ($SENTI_PROGRESS_INTERVAL overrides) and at the end of a job that
 *          printed one (CI logs, files);
 *   auto   bar when stderr is a terminal, else lines; none: nothing.
 * Rates and ETAs come from a moving window of the last ~30 s of samples, so
 * a slow start (model load, shared prefix) does not skew them for long. */
typedef enum { SENTI_PROGRESS_AUTO, SENTI_PROGRESS_BAR, SENTI_PROGRESS_LINES, SENTI_PROGRESS_NONE } senti_progress_mode;
#define SENTI_CLI_PROGRESS_LINE_S 10.0
#define SENTI_CLI_PROGRESS_SAMPLES 64
typedef struct {
    senti_progress_mode mode;    /* BAR, LINES or NONE once resolved */
    const char *what;            /* "rows" */
    double last_draw, last_line; /* seconds of the last redraw / log line (-1: none yet) */
    double interval;             /* seconds between log lines */
    double t[SENTI_CLI_PROGRESS_SAMPLES]; /* the window: a ring of (seconds, done) samples */
    size_t done[SENTI_CLI_PROGRESS_SAMPLES];
    size_t n, head;
} senti_cli_progress;

/* --progress NAME into *mode; false for another value. */
bool senti_cli_progress_opt(const char *arg, senti_progress_mode *mode);
/* Resolve AUTO (isatty(stderr)) and reset. */
void senti_cli_progress_init(senti_cli_progress *p, senti_progress_mode mode, const char *what);
/* `done` of `total` (0: unknown) after `seconds`; draws when it is time. */
void senti_cli_progress_update(senti_cli_progress *p, size_t done, size_t total, double seconds);

#endif
