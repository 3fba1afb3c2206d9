/*
 * cli_common.c - what several subcommands share: the model search, numeric
 * and thread options, the option table of the predictions reader and
 * evaluation settings, outputs and progress.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "00-base/base.h"
#include "00-base/numparse.h"
#include "cli.h"
#include "senti/prompt.h"

bool senti_cli_int(const char *cmd, const char *opt, const char *arg, long long lo, long long hi, long long *out)
{
    senti_err e;
    if (!senti_parse_int(arg, lo, hi, out, &e))
        return true;
    fprintf(stderr, "senti %s: --%s: %s\n", cmd, opt, e.msg);
    return false;
}

bool senti_cli_real(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *out)
{
    senti_err e;
    if (!senti_parse_real(arg, lo, hi, out, &e))
        return true;
    fprintf(stderr, "senti %s: --%s: %s\n", cmd, opt, e.msg);
    return false;
}

long long senti_cli_max_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return 4 * (n > 0 ? n : 1);
}

bool senti_cli_threads(const char *cmd, const char *arg, int *out)
{
    long long v;
    if (!senti_cli_int(cmd, "threads", arg, 1, senti_cli_max_threads(), &v))
        return false;
    *out = (int)v;
    return true;
}

/* ---- the model search ------------------------------------------------------------ */

#ifndef SENTI_DATADIR
#define SENTI_DATADIR "/usr/local/share/senti" /* the Makefile passes $(PREFIX)/share/senti */
#endif
const char *const SENTI_CLI_DATADIR = SENTI_DATADIR;

/* The directory of this executable into buf ("" when unknown). */
static void exe_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    char *slash = n > 0 ? (buf[n] = '\0', strrchr(buf, '/')) : NULL;
    if (slash)
        *slash = '\0';
    else
        buf[0] = '\0';
}

/* The places of the search in order (cli.h): for place i, its directory into
 * dir ("" when the place does not apply, why says so) and a label. */
static const char *search_place(int i, char *dir, size_t cap, const char **why)
{
    const char *v;
    char exe[4000], probe[4200];
    *dir = '\0', *why = "not set";
    switch (i) {
    case 0:
        if ((v = getenv("SENTI_MODEL_DIR")) && *v)
            snprintf(dir, cap, "%s", v);
        return "$SENTI_MODEL_DIR";
    case 1:
        if ((v = getenv("XDG_DATA_HOME")) && *v)
            snprintf(dir, cap, "%s/senti/models", v);
        else if ((v = getenv("HOME")) && *v)
            snprintf(dir, cap, "%s/.local/share/senti/models", v);
        return "$XDG_DATA_HOME/senti/models, default ~/.local/share/senti/models";
    case 2: {
        /* an installed senti: PREFIX/bin/senti -> PREFIX/share/senti/models, whatever PREFIX */
        exe_dir(exe, sizeof exe);
        char *slash = strrchr(exe, '/');
        *why = "unknown";
        if (slash) {
            *slash = '\0';
            snprintf(dir, cap, "%s/share/senti/models", exe);
        }
        return "the prefix this senti is installed in: PREFIX/share/senti/models (make install-models)";
    }
    case 3: snprintf(dir, cap, "%s/models", SENTI_DATADIR); return "$(PREFIX)/share/senti/models of the build";
    default: {
        /* a build tree: the executable is <tree>/<build dir>/senti and <tree>/src/main.c exists */
        exe_dir(exe, sizeof exe);
        char *slash = strrchr(exe, '/');
        *why = "the executable is not in one";
        if (slash) {
            *slash = '\0';
            snprintf(probe, sizeof probe, "%s/src/main.c", exe);
            if (access(probe, F_OK) == 0)
                snprintf(dir, cap, "%s/models", exe);
        }
        return "the source tree of this executable: <tree>/models for <tree>/<build>/senti";
    }
    }
}
enum { N_PLACES = 5 };

const char *senti_cli_default_model(void)
{
    static char path[4200];
    static int done;
    const char *env = getenv("SENTI_MODEL");
    if (env && *env)
        return env;
    if (done)
        return path[0] ? path : NULL;
    done = 1;
    char dir[4096];
    const char *why;
    for (int i = 0; i < N_PLACES; i++) {
        search_place(i, dir, sizeof dir, &why);
        snprintf(path, sizeof path, "%s/%s", dir, SENTI_CLI_DEFAULT_MODEL_FILE);
        if (dir[0] && access(path, R_OK) == 0)
            return path;
    }
    path[0] = '\0';
    return NULL;
}

const char *senti_cli_model_shown(void)
{
    const char *m = senti_cli_default_model();
    return m ? m : "none found (the model search: senti --help)";
}

int senti_cli_model_missing(const char *cmd)
{
    char dir[4096];
    const char *why;
    fprintf(stderr, "senti %s: no model: no -m FILE, $SENTI_MODEL is not set, and %s is in none of these "
                    "places:\n", cmd, SENTI_CLI_DEFAULT_MODEL_FILE);
    for (int i = 0; i < N_PLACES; i++) {
        const char *label = search_place(i, dir, sizeof dir, &why);
        if (dir[0])
            fprintf(stderr, "  %s/  (%s)\n", dir, label);
        else
            fprintf(stderr, "  %s: %s\n", label, why);
    }
    fprintf(stderr, "fetch it with `make models` (into the source tree's models/), then `make install-models` "
                    "copies it to %s/models; or pass -m FILE\n", SENTI_DATADIR);
    return SENTI_EXIT_USAGE;
}

senti_eval_params senti_cli_eval_defaults(void)
{
    senti_eval_params e = senti_eval_default_params();
    e.threads = SENTI_CLI_THREADS_DEFAULT;
    return e;
}

/* ---- the common options ------------------------------------------------------------ */

const senti_cli_common_opt senti_cli_common_opts[] = {
    {'m', "model", "FILE", "GGUF model; default: the model search (senti --help)"},
    {'t', "threads", "N", "worker threads: model, training or bootstrap (default 2)"},
    {'q', "quiet", NULL, "no progress on standard error"},
    {'k', "shots", "K", "demonstrations per prompt (few-shot)"},
    {'o', "output", "PATH", "the command's main output: a file (a directory for run); - is standard output"},
    {'i', "input", "FILE", "the rows to classify; - is standard input"},
    {'v', "verbalizer", "FILE", "label words and template (JSON)"},
    {0, "seed", "N", "the seed of the command's own sampling: demonstrations (classify), split and "
                     "initialization (finetune); the bootstrap's is --bootstrap-seed"},
    {0, "calibrate", "METHOD", "calibration at prompt time (classify: none|contextual|pmi|batch); post-hoc "
                               "calibration of a predictions file is eval --posthoc"},
    {0, "bootstrap-seed", "N", "the seed of the bootstrap resamples (eval, compare, report)"},
    {0, "limit", "N", "only the first N rows (classify, run)"},
    {0, "sample", "N", "a seeded sample of N rows (classify, run)"},
    {'h', "help", NULL, "usage with the defaults; exit 0"},
};
const size_t senti_cli_n_common_opts = sizeof senti_cli_common_opts / sizeof senti_cli_common_opts[0];

/* The short letter of a long option: its val when o->shorts lists it. */
static bool short_of(const senti_cli_opts *o, int val)
{
    return val > 0 && val < 128 && val != ':' && strchr(o->shorts, val);
}

static const char *arg_kind(int has_arg)
{
    return has_arg == required_argument ? "required" : has_arg == optional_argument ? "optional" : "none";
}

void senti_cli_dump_opts(FILE *f, const char *cmd, const senti_cli_opts *o)
{
    for (const struct option *l = o->longs; l->name; l++) {
        if (short_of(o, l->val))
            fprintf(f, "option\t%s\t-%c\t--%s\t%s\n", cmd, l->val, l->name, arg_kind(l->has_arg));
        else
            fprintf(f, "option\t%s\t-\t--%s\t%s\n", cmd, l->name, arg_kind(l->has_arg));
    }
    for (const char *s = o->shorts; *s; s++) {
        if (*s == ':')
            continue;
        bool has_long = false;
        for (const struct option *l = o->longs; l->name && !has_long; l++)
            has_long = l->val == *s;
        if (!has_long)
            fprintf(f, "option\t%s\t-%c\t-\t%s\n", cmd, *s, s[1] == ':' ? "required" : "none");
    }
}

void senti_cli_deprecated(const char *cmd, const char *old, const char *now, const char *why)
{
    fprintf(stderr, "senti %s: warning: %s is deprecated, use %s (%s)\n", cmd, old, now, why);
}

int senti_cli_eval_opt(const char *cmd, int c, const char *arg, senti_predfile_params *rd, senti_eval_params *ev,
                       const char **format, const char **output)
{
    long long v;
    bool ok = true;
    switch (c) {
    case SENTI_OPT_FORMAT: *format = arg; break;
    case 'o': *output = arg; break;
    case SENTI_OPT_BINS: ok = senti_cli_int(cmd, "bins", arg, 1, 10000, &v) && ((ev->n_bins = (int)v), true); break;
    case SENTI_OPT_BOOT:
        ok = senti_cli_int(cmd, "bootstrap", arg, 0, 1000000, &v) && ((ev->bootstrap = (int)v), true);
        break;
    case SENTI_OPT_SEED_OLD:
        senti_cli_deprecated(cmd, "--seed", "--bootstrap-seed", "--seed is the seed of a command's own sampling");
        /* fall through */
    case SENTI_OPT_SEED:
        ok = senti_cli_int(cmd, "bootstrap-seed", arg, 0, UINT32_MAX, &v) && ((ev->seed = (uint32_t)v), true);
        break;
    case SENTI_OPT_CI: ok = senti_cli_real(cmd, "ci", arg, 0.5, 0.9999, &ev->ci_level); break;
    case 't': ok = senti_cli_threads(cmd, arg, &ev->threads); break;
    case SENTI_OPT_GOLD: rd->gold_col = arg; break;
    case SENTI_OPT_PRED: rd->pred_col = arg; break;
    case SENTI_OPT_ID: rd->id_col = arg; break;
    case SENTI_OPT_STATUS: rd->status_col = arg; break;
    case SENTI_OPT_PREFIX: rd->prob_prefix = arg; break;
    case SENTI_OPT_COLS: rd->prob_cols = arg; break;
    case SENTI_OPT_TOL: ok = senti_cli_real(cmd, "tol", arg, 0.0, 0.1, &rd->tol); break;
    case SENTI_OPT_RENORM: rd->renormalize = 1; break;
    default: return 0;
    }
    return ok ? 1 : -1;
}

int senti_cli_try_help(const char *cmd)
{
    fprintf(stderr, "Try 'senti %s --help' for more information.\n", cmd);
    return SENTI_EXIT_USAGE;
}

int senti_cli_exit(senti_status s, bool model_error)
{
    switch (s) {
    case SENTI_OK: return SENTI_EXIT_OK;
    case SENTI_ERR_NOMEM:
    case SENTI_ERR_STATE: return SENTI_EXIT_INTERNAL;
    case SENTI_ERR_UNSUPPORTED:
    case SENTI_ERR_NUMERIC: return SENTI_EXIT_MODEL;
    case SENTI_ERR_IO:
    case SENTI_ERR_FORMAT:
    case SENTI_ERR_ARG:
    case SENTI_ERR_RANGE:
    case SENTI_ERR_NOTFOUND: break;
    }
    return model_error ? SENTI_EXIT_MODEL : SENTI_EXIT_USAGE;
}

bool senti_cli_chat_opt(const char *arg, int *chat)
{
    senti_chat_mode m;
    if (senti_chat_mode_parse(arg, &m, NULL))
        return false;
    *chat = (int)m;
    return true;
}

bool senti_cli_out_open(const char *cmd, senti_cli_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        return true;
    }
    senti_err e;
    if (senti_atomic_open(&o->af, path, &e)) {
        fprintf(stderr, "senti %s: %s\n", cmd, e.msg);
        return false;
    }
    o->f = o->af.f;
    return true;
}

int senti_cli_out_close(const char *cmd, senti_cli_out *o, bool keep)
{
    if (o->f == stdout) { /* main() checks standard output once more at exit */
        o->f = NULL;
        if (fflush(stdout) == 0 && !ferror(stdout))
            return SENTI_EXIT_OK;
        fprintf(stderr, "senti %s: error writing standard output: %s\n", cmd, strerror(errno));
        return senti_cli_exit(SENTI_ERR_IO, false);
    }
    o->f = NULL;
    if (!keep) {
        senti_atomic_abort(&o->af);
        return SENTI_EXIT_OK;
    }
    senti_err e;
    if (!senti_atomic_commit(&o->af, &e))
        return SENTI_EXIT_OK;
    fprintf(stderr, "senti %s: %s\n", cmd, e.msg);
    return senti_cli_exit(SENTI_ERR_IO, false);
}

/* ---- progress ----------------------------------------------------------------- */

bool senti_cli_progress_opt(const char *arg, senti_progress_mode *mode)
{
    static const char *const names[] = {"auto", "bar", "lines", "none"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(arg, names[i])) {
            *mode = (senti_progress_mode)i;
            return true;
        }
    return false;
}

void senti_cli_progress_init(senti_cli_progress *p, senti_progress_mode mode, const char *what)
{
    memset(p, 0, sizeof *p);
    if (mode == SENTI_PROGRESS_AUTO)
        mode = isatty(STDERR_FILENO) ? SENTI_PROGRESS_BAR : SENTI_PROGRESS_LINES;
    p->mode = mode;
    p->what = what;
    p->last_draw = p->last_line = -1.0;
    const char *iv = getenv("SENTI_PROGRESS_INTERVAL");
    double v;
    p->interval = iv && !senti_parse_real(iv, 0.01, 3600.0, &v, NULL) ? v : SENTI_CLI_PROGRESS_LINE_S;
}

/* Rate over the window: from the oldest sample no older than 30 s to now; 0 when unknown. */
static double window_rate(const senti_cli_progress *p, size_t done, double now)
{
    for (size_t k = p->n; k > 0; k--) {
        size_t i = (p->head + SENTI_CLI_PROGRESS_SAMPLES - k) % SENTI_CLI_PROGRESS_SAMPLES;
        if (now - p->t[i] <= 30.0 && now > p->t[i] && done > p->done[i])
            return (double)(done - p->done[i]) / (now - p->t[i]);
    }
    return 0.0;
}

static void add_sample(senti_cli_progress *p, size_t done, double now)
{
    p->t[p->head] = now;
    p->done[p->head] = done;
    p->head = (p->head + 1) % SENTI_CLI_PROGRESS_SAMPLES;
    if (p->n < SENTI_CLI_PROGRESS_SAMPLES)
        p->n++;
}

/* "ETA 4m05s", "ETA 12s", or "ETA ?" before the window has a rate. */
static void fmt_eta(char *buf, size_t cap, double rate, size_t done, size_t total)
{
    if (!(rate > 0) || !total || done >= total) {
        snprintf(buf, cap, done >= total && total ? "done" : "ETA ?");
        return;
    }
    double s = (double)(total - done) / rate;
    if (s >= 3600)
        snprintf(buf, cap, "ETA %dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, cap, "ETA %dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, cap, "ETA %.0fs", s);
}

void senti_cli_progress_update(senti_cli_progress *p, size_t done, size_t total, double seconds)
{
    bool end = total && done >= total;
    if (p->mode == SENTI_PROGRESS_NONE || (p->mode == SENTI_PROGRESS_BAR && !end && seconds - p->last_draw < 0.5) ||
        (p->mode == SENTI_PROGRESS_LINES && !end && p->last_line >= 0 && seconds - p->last_line < p->interval))
        return;
    if (p->mode == SENTI_PROGRESS_LINES && end && p->last_line <= 0)
        return; /* a job shorter than one interval: its summary line says it all */
    double rate = window_rate(p, done, seconds);
    add_sample(p, done, seconds);
    char eta[32];
    fmt_eta(eta, sizeof eta, rate, done, total);
    if (p->mode == SENTI_PROGRESS_LINES) {
        if (p->last_line < 0 && !end && seconds < p->interval) {
            p->last_line = 0.0; /* the first line after one interval */
            return;
        }
        p->last_line = seconds;
        fprintf(stderr, "progress: %zu/%zu %s (%.0f%%), %.1f %s/s, %s, %.0fs elapsed\n", done, total, p->what,
                total ? 100.0 * (double)done / (double)total : 0.0, rate, p->what, eta, seconds);
        return;
    }
    p->last_draw = seconds;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : 0;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu %s  %.1f %s/s  %s \033[K", fill, "##############################",
            width - fill, "", done, total, p->what, rate, p->what, eta);
    if (end)
        fputc('\n', stderr);
}
