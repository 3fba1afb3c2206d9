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

#include <stdbool.h>

#include "00-base/base.h"
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
int senti_cmd_report(int argc, char **argv);
int senti_cmd_run(int argc, char **argv);
int senti_cmd_merge(int argc, char **argv);
int senti_cmd_select(int argc, char **argv);

/* MPI runs (cli_mpi.c; MPI itself only when built with SENTI_HAVE_MPI, i.e.
 * when mpicc was found). senti_cli_mpi_launched: the environment says an MPI
 * launcher (mpirun, srun) started this process. senti_cli_run_mpi: run the
 * experiment over the ranks (docs/scale.md) and return the exit code, or -1
 * when the job has a single rank (the caller runs it as one process); a build
 * without MPI refuses a job of several ranks with a usage error. */
bool senti_cli_mpi_launched(void);
int senti_cli_run_mpi(const senti_experiment *x, const senti_run_params *p, size_t unit_rows);

/* The model path used when -m is not given: $SENTI_MODEL, else the default
 * model under $SENTI_MODEL_DIR (default "models"). Static storage. */
const char *senti_cli_default_model(void);

/* Options shared by `senti eval` and `senti compare`: the predictions reader
 * (senti/predfile.h) and the evaluation settings (senti/metrics.h). Each
 * command puts SENTI_CLI_EVAL_LONGOPTS first in its option table, numbers its
 * own options from SENTI_OPT_EVAL_END, and hands every code it does not know
 * to senti_cli_eval_opt(). */
enum {
    SENTI_OPT_FORMAT = 256, SENTI_OPT_BINS, SENTI_OPT_BOOT, SENTI_OPT_SEED, SENTI_OPT_CI, SENTI_OPT_THREADS,
    SENTI_OPT_GOLD, SENTI_OPT_PRED, SENTI_OPT_ID, SENTI_OPT_STATUS, SENTI_OPT_PREFIX, SENTI_OPT_COLS,
    SENTI_OPT_TOL, SENTI_OPT_RENORM, SENTI_OPT_EVAL_END
};
#define SENTI_CLI_EVAL_LONGOPTS                                                                                   \
    {"format", required_argument, 0, SENTI_OPT_FORMAT}, {"output", required_argument, 0, 'o'},                    \
        {"bins", required_argument, 0, SENTI_OPT_BINS}, {"bootstrap", required_argument, 0, SENTI_OPT_BOOT},      \
        {"seed", required_argument, 0, SENTI_OPT_SEED}, {"ci", required_argument, 0, SENTI_OPT_CI},               \
        {"threads", required_argument, 0, SENTI_OPT_THREADS}, {"gold-col", required_argument, 0, SENTI_OPT_GOLD}, \
        {"pred-col", required_argument, 0, SENTI_OPT_PRED}, {"id-col", required_argument, 0, SENTI_OPT_ID},       \
        {"status-col", required_argument, 0, SENTI_OPT_STATUS},                                                   \
        {"prob-prefix", required_argument, 0, SENTI_OPT_PREFIX},                                                  \
        {"prob-cols", required_argument, 0, SENTI_OPT_COLS}, {"tol", required_argument, 0, SENTI_OPT_TOL},        \
        {"renormalize", no_argument, 0, SENTI_OPT_RENORM}, {"help", no_argument, 0, 'h'}

/* Apply shared option `c` (with `arg`) to the reader and evaluation settings:
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
