/*
 * cli_finetune.c - `senti finetune`: train a head or LoRA adapters from
 * labelled rows, then `senti classify --adapter FILE` uses the result.
 *
 * Rows: the whole --train file, or --shots-per-class N rows of each label
 * drawn with --seed (file order kept). Writes the adapter to -o FILE and a
 * training log (JSON lines: the configuration, one line per step / epoch,
 * the summary) to FILE.log.jsonl.
 */
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "senti/baseline.h"
#include "senti/finetune.h"

typedef struct {
    const char *model, *verbalizer, *train, *output, *method;
    senti_dataset_params data;
    senti_ft_prompt_params pp;
    size_t per_class;
    uint64_t seed;
    double val_frac;
    senti_head_features features;
    senti_lora_train_params tp;
    int threads;
    bool quiet;
    bool model_given; /* -m on the command line (unused by the baselines: said so) */
    double C;         /* bow-logreg: fixed C, 0 = by cross-validation */
} ft_opts;

static void usage(FILE *f, const ft_opts *d)
{
    fprintf(f,
            "usage: senti finetune [-m MODEL] -v VERBALIZER --train FILE\n"
            "                      --method head|lora|bow-logreg|majority -o ADAPTER [options]\n\n"
            "  bow-logreg and majority are baselines without a language model (no -m; -v gives the labels\n"
            "  and their order); their adapter is a JSON file that senti classify --adapter applies alone.\n\n"
            "data:\n"
            "      --train FILE          labelled CSV\n"
            "      --text-col NAME       text column (default: text, else sentence)\n"
            "      --label-col NAME      label column (default: label)\n"
            "      --shots-per-class N   use N rows of each label drawn with --seed (default 0: all rows)\n"
            "      --seed N              row draw, split, LoRA init and order (default %" PRIu64 ")\n"
            "      --val-frac F          validation share per class (default %.2f)\n"
            "prompting (as senti classify):\n"
            "  -v, --verbalizer FILE     label words and template\n"
            "      --template TEXT  --instruction TEXT  --separator TEXT  --chat auto|on|off  --system TEXT\n"
            "method head:\n"
            "      --features hidden|hidden+scores   (default hidden)\n"
            "method lora:\n"
            "      --rank R (default %d)  --lora-alpha A (default %g; --alpha is deprecated)  --targets q,v[,k,o,gate,up,down,mlp,all]\n"
            "      --epochs N (default %d)  --batch N (default %d)  --lr X (default %g)  --weight-decay X (default %g)\n"
            "      --clip X (default %g)  --warmup F (default %g)  --schedule cosine|linear  --patience N (default %d)\n"
            "      --no-cache-f32        dequantize frozen weights per use (less memory, slower)\n"
            "method bow-logreg:\n"
            "      --C X                 inverse L2 strength, larger = less regularized (default: chosen\n"
            "                            by stratified cross-validation from 0.01, 0.1, 1, 10, 100)\n"
            "model and output:\n"
            "  -m, --model FILE          GGUF model (default: %s)\n"
            "  -t, --threads N           threads (default 2)\n"
            "  -o, --output FILE         adapter (head, baselines: JSON; lora: GGUF); head and lora log in\n"
            "                            FILE.log.jsonl\n"
            "  -q, --quiet               no progress bar\n"
            "  -h, --help                this help\n",
            d->seed, d->val_frac, d->tp.rank, (double)d->tp.alpha, d->tp.epochs, d->tp.batch, (double)d->tp.lr,
            (double)d->tp.weight_decay, (double)d->tp.clip, (double)d->tp.warmup_frac, d->tp.patience,
            senti_cli_model_shown());
}

enum {
    O_TRAIN = 256, O_TEXT, O_LABEL, O_SPC, O_SEED, O_VAL, O_TMPL, O_INSTR, O_SEP, O_CHAT, O_SYS, O_FEAT, O_RANK,
    O_ALPHA, O_TARGETS, O_EPOCHS, O_BATCH, O_LR, O_WD, O_CLIP, O_WARM, O_SCHED, O_PAT, O_NOCACHE, O_METHOD,
    O_C, O_ALPHA_OLD
};

static const struct option long_opts[] = {
    {"train", required_argument, 0, O_TRAIN}, {"text-col", required_argument, 0, O_TEXT},
    {"label-col", required_argument, 0, O_LABEL}, {"shots-per-class", required_argument, 0, O_SPC},
    {"seed", required_argument, 0, O_SEED}, {"val-frac", required_argument, 0, O_VAL},
    {"verbalizer", required_argument, 0, 'v'}, {"template", required_argument, 0, O_TMPL},
    {"instruction", required_argument, 0, O_INSTR}, {"separator", required_argument, 0, O_SEP},
    {"chat", required_argument, 0, O_CHAT}, {"system", required_argument, 0, O_SYS},
    {"method", required_argument, 0, O_METHOD}, {"features", required_argument, 0, O_FEAT},
    {"rank", required_argument, 0, O_RANK}, {"lora-alpha", required_argument, 0, O_ALPHA},
    {"alpha", required_argument, 0, O_ALPHA_OLD},
    {"targets", required_argument, 0, O_TARGETS}, {"epochs", required_argument, 0, O_EPOCHS},
    {"batch", required_argument, 0, O_BATCH}, {"lr", required_argument, 0, O_LR},
    {"weight-decay", required_argument, 0, O_WD}, {"clip", required_argument, 0, O_CLIP},
    {"warmup", required_argument, 0, O_WARM}, {"schedule", required_argument, 0, O_SCHED},
    {"patience", required_argument, 0, O_PAT}, {"no-cache-f32", no_argument, 0, O_NOCACHE},
    {"C", required_argument, 0, O_C},
    SENTI_LONGOPT_MODEL, SENTI_LONGOPT_THREADS, SENTI_LONGOPT_OUTPUT, SENTI_LONGOPT_QUIET, SENTI_LONGOPT_HELP,
    {0, 0, 0, 0}};
const senti_cli_opts senti_opts_finetune = {"m:v:o:t:qh", long_opts};

/* The numeric options: whole numbers or reals, each with its range. */
typedef struct {
    int code;
    const char *name;
    bool whole;
    double lo, hi;
} num_opt;

static const num_opt num_opts[] = {
    {O_SPC, "shots-per-class", true, 1, 1e6},  {O_VAL, "val-frac", false, 0, 0.9},        {O_RANK, "rank", true, 1, 256},
    {O_ALPHA, "lora-alpha", false, 1e-6, 1e6},      {O_EPOCHS, "epochs", true, 1, 100000},
    {O_BATCH, "batch", true, 1, 65536},        {O_LR, "lr", false, 1e-12, 10},
    {O_WD, "weight-decay", false, 0, 10},      {O_CLIP, "clip", false, 0, 1e6},
    {O_WARM, "warmup", false, 0, 1},           {O_PAT, "patience", true, 0, 100000},
    {O_C, "C", false, 1e-9, 1e9},
};

static bool is_numeric_opt(int c)
{
    for (size_t i = 0; i < sizeof num_opts / sizeof num_opts[0]; i++)
        if (num_opts[i].code == c)
            return true;
    return c == 't' || c == O_SEED;
}

/* Parse numeric option c; false (message printed) on a bad value. */
static bool parse_num_opt(int c, const char *arg, double *out)
{
    for (size_t i = 0; i < sizeof num_opts / sizeof num_opts[0]; i++) {
        const num_opt *n = &num_opts[i];
        if (n->code != c)
            continue;
        long long v;
        if (!n->whole)
            return senti_cli_real("finetune", n->name, arg, n->lo, n->hi, out);
        if (!senti_cli_int("finetune", n->name, arg, (long long)n->lo, (long long)n->hi, &v))
            return false;
        *out = (double)v;
        return true;
    }
    return false;
}

/* One option; returns false on a bad value (message printed). */
static bool set_opt(ft_opts *o, int c, const char *arg)
{
    double v = 0;
    senti_err e;
    switch (c) {
    case O_TRAIN: o->train = arg; return true;
    case O_TEXT: o->data.text_col = arg; return true;
    case O_LABEL: o->data.label_col = arg; return true;
    case 'v': o->verbalizer = arg; return true;
    case 'm': o->model = arg; o->model_given = true; return true;
    case 'o': o->output = arg; return true;
    case 'q': o->quiet = true; return true;
    case O_TMPL: o->pp.tmpl = arg; return true;
    case O_INSTR: o->pp.instruction = arg; return true;
    case O_SEP: o->pp.separator = arg; return true;
    case O_SYS: o->pp.system = arg; return true;
    case O_METHOD: {
        senti_baseline_method bm;
        o->method = arg;
        return !strcmp(arg, "head") || !strcmp(arg, "lora") || !senti_baseline_method_parse(arg, &bm, NULL);
    }
    case O_NOCACHE: o->tp.cache_f32 = false; return true;
    case O_CHAT:
        return senti_cli_chat_opt(arg, &o->pp.chat);
    case O_FEAT:
        o->features = !strcmp(arg, "hidden+scores") ? SENTI_HEAD_FEAT_HIDDEN_SCORES : SENTI_HEAD_FEAT_HIDDEN;
        return !strcmp(arg, "hidden") || !strcmp(arg, "hidden+scores");
    case O_SCHED: o->tp.cosine = !strcmp(arg, "cosine"); return !strcmp(arg, "cosine") || !strcmp(arg, "linear");
    case O_TARGETS: return senti_lora_targets_parse(arg, &o->tp.targets, &e) == SENTI_OK;
    default: break;
    }
    if (c == 't')
        return senti_cli_threads("finetune", arg, &o->threads);
    if (c == O_SEED) { /* all 64 bits */
        long long seed;
        if (!senti_cli_int("finetune", "seed", arg, 0, LLONG_MAX, &seed))
            return false;
        o->seed = o->tp.seed = (uint64_t)seed;
        return true;
    }
    if (!parse_num_opt(c, arg, &v))
        return false;
    switch (c) {
    case O_SPC: o->per_class = (size_t)v; break;
    case O_VAL: o->val_frac = v; break;
    case O_RANK: o->tp.rank = (int)v; break;
    case O_ALPHA: o->tp.alpha = (float)v; break;
    case O_EPOCHS: o->tp.epochs = (int)v; break;
    case O_BATCH: o->tp.batch = (int)v; break;
    case O_LR: o->tp.lr = (float)v; break;
    case O_WD: o->tp.weight_decay = (float)v; break;
    case O_CLIP: o->tp.clip = (float)v; break;
    case O_WARM: o->tp.warmup_frac = (float)v; break;
    case O_PAT: o->tp.patience = (int)v; break;
    case O_C: o->C = v; break;
    default: return false;
    }
    return true;
}

/* ---- rows ---------------------------------------------------------------------------------- */

/* A view of selected rows of `all` (items shared, only the array owned). */
/* A warning for each label with fewer rows than --shots-per-class asks. */
static void warn_short_labels(const ft_opts *o, const senti_verbalizer *v, const size_t *avail)
{
    for (size_t l = 0; o->per_class && l < senti_verbalizer_n_labels(v) && l < SENTI_MAX_HEAD_LABELS; l++)
        if (avail[l] < o->per_class)
            fprintf(stderr, "senti finetune: label '%s' has only %zu rows (asked %zu)\n", senti_verbalizer_label(v, l),
                    avail[l], o->per_class);
}

/* ---- progress and log ------------------------------------------------------------------------- */

typedef struct {
    FILE *log;
    bool bar;
    double t0;
    const ft_opts *o; /* for the configuration line, written once the rows are drawn */
    senti_model *m;
    const senti_verbalizer *v;
} reporter;

static void draw_bar(const reporter *r, size_t done, size_t total, const char *what, double loss)
{
    if (!r->bar)
        return;
    int w = 30, fill = total ? (int)((double)w * (double)done / (double)total) : 0;
    fprintf(stderr, "\r%-9s [", what);
    for (int i = 0; i < w; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %zu/%zu", done, total);
    if (!isnan(loss))
        fprintf(stderr, " loss %.4f", loss);
    fprintf(stderr, " %.0fs ", senti_now() - r->t0);
    fflush(stderr);
}

static void on_feature(void *user, size_t done, size_t total, double loss)
{
    draw_bar(user, done, total, "features", loss);
}

static void on_event(void *user, const senti_lora_event *ev)
{
    reporter *r = user;
    draw_bar(r, (size_t)ev->step, (size_t)ev->n_steps, "lora", ev->loss);
    if (r->bar && ev->epoch_end)
        fprintf(stderr, "\nepoch %d: train loss %.4f  val loss %.4f  val acc %.3f%s\n", ev->epoch, ev->loss,
                ev->val_loss, ev->val_acc, ev->best ? "  (best)" : "");
    json_t *o = json_pack("{s:s,s:i,s:i,s:f,s:f,s:f,s:f}", "event", ev->epoch_end ? "epoch" : "step", "epoch",
                          ev->epoch, "step", ev->step, "loss", ev->loss, "lr", ev->lr, "grad_norm", ev->grad_norm,
                          "tokens_per_s", ev->tokens_per_s);
    if (ev->epoch_end) {
        json_object_set_new(o, "val_loss", isnan(ev->val_loss) ? json_null() : json_real(ev->val_loss));
        json_object_set_new(o, "val_acc", isnan(ev->val_acc) ? json_null() : json_real(ev->val_acc));
        json_object_set_new(o, "best", json_boolean(ev->best));
    }
    if (r->log) {
        json_dumpf(o, r->log, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', r->log);
        fflush(r->log);
    }
    json_decref(o);
}

static void log_json(reporter *r, json_t *o)
{
    if (r->log) {
        json_dumpf(o, r->log, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fputc('\n', r->log);
        fflush(r->log);
    }
    json_decref(o);
}

static json_t *config_json(const ft_opts *o, senti_model *m, size_t n_tr, size_t n_va)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "event", "config", "senti_version", senti_version(), "method",
                          o->method, "model", o->model, "model_sha256", senti_model_sha256(m), "verbalizer",
                          o->verbalizer);
    json_object_set_new(c, "train", json_string(o->train));
    json_object_set_new(c, "shots_per_class", json_integer((json_int_t)o->per_class));
    json_object_set_new(c, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(c, "val_frac", json_real(o->val_frac));
    /* rows given to the method; the head splits its n_train again to choose lambda (summary) */
    json_object_set_new(c, "n_train", json_integer((json_int_t)n_tr));
    json_object_set_new(c, "n_val", json_integer((json_int_t)n_va));
    json_object_set_new(c, "template", o->pp.tmpl ? json_string(o->pp.tmpl) : json_null());
    json_object_set_new(c, "threads", json_integer(senti_get_threads()));
    if (!strcmp(o->method, "lora")) {
        json_object_set_new(c, "rank", json_integer(o->tp.rank));
        json_object_set_new(c, "alpha", json_real(o->tp.alpha));
        json_object_set_new(c, "targets", json_integer((json_int_t)o->tp.targets));
        json_object_set_new(c, "epochs", json_integer(o->tp.epochs));
        json_object_set_new(c, "batch", json_integer(o->tp.batch));
        json_object_set_new(c, "lr", json_real(o->tp.lr));
        json_object_set_new(c, "weight_decay", json_real(o->tp.weight_decay));
        json_object_set_new(c, "clip", json_real(o->tp.clip));
        json_object_set_new(c, "warmup_frac", json_real(o->tp.warmup_frac));
        json_object_set_new(c, "schedule", json_string(o->tp.cosine ? "cosine" : "linear"));
        json_object_set_new(c, "patience", json_integer(o->tp.patience));
    } else {
        json_object_set_new(c, "features", json_string(o->features ? "hidden+scores" : "hidden"));
    }
    return c;
}

/* ---- head and lora (senti_ft_train) ---------------------------------------------------------- */

/* The rows are drawn: warn about short labels, log the configuration. */
static void on_rows(void *user, const senti_ft_info *info)
{
    reporter *r = user;
    warn_short_labels(r->o, r->v, info->avail);
    log_json(r, config_json(r->o, r->m, info->n_train, info->n_val));
}

static void log_summary(const ft_opts *o, const senti_ft_info *info, reporter *r)
{
    if (!strcmp(o->method, "head")) {
        /* lambda is chosen on a train/validation split of the rows, then the head is refit on all of them */
        const senti_head_fit_info *h = &info->head;
        log_json(r, json_pack("{s:s,s:f,s:i,s:i,s:i,s:f,s:f,s:i,s:f}", "event", "summary", "lambda", info->lambda,
                              "n_rows", (int)info->n_train, "lambda_train", (int)h->n_train, "lambda_val",
                              (int)h->n_val, "train_loss", h->train_loss, "train_acc", h->train_acc, "iterations",
                              h->iterations, "seconds", senti_now() - r->t0));
        char how[96];
        if (h->n_val)
            snprintf(how, sizeof how, "chosen on %zu train / %zu validation rows", h->n_train, h->n_val);
        else
            snprintf(how, sizeof how, "no validation rows: the largest of the grid");
        printf("head: lambda = %g (%s), train accuracy = %.1f%% on all %zu rows, %d features, %.1f s -> %s\n",
               info->lambda, how, 100.0 * h->train_acc, info->n_train, info->n_features, senti_now() - r->t0,
               o->output);
        return;
    }
    const senti_lora_train_info *l = &info->lora;
    double tps = l->seconds > 0 ? l->tokens / l->seconds : 0.0;
    log_json(r, json_pack("{s:s,s:i,s:i,s:f,s:f,s:f,s:f,s:f,s:f}", "event", "summary", "steps", l->steps, "best_epoch",
                          l->best_epoch, "best_val_loss", l->best_val_loss, "best_val_acc", l->best_val_acc,
                          "zero_val_loss", l->zero_val_loss, "zero_val_acc", l->zero_val_acc, "seconds", l->seconds,
                          "tokens_per_s", tps));
    if (isfinite(l->best_val_acc) && isfinite(l->zero_val_acc))
        printf("lora: %d steps, best epoch %d, val accuracy %.1f%% (zero-shot %.1f%%), %.0f tokens/s, %.1f s -> %s\n",
               l->steps, l->best_epoch, 100.0 * l->best_val_acc, 100.0 * l->zero_val_acc, tps, l->seconds,
               o->output);
    else /* no validation rows: the last epoch is kept */
        printf("lora: %d steps, no validation rows (the last epoch kept), %.0f tokens/s, %.1f s -> %s\n", l->steps,
               tps, l->seconds, o->output);
}

static int run_adapter(const ft_opts *o, senti_model *m, const senti_verbalizer *v, const senti_examples *all,
                       reporter *r)
{
    senti_ft_params p = senti_ft_default_params();
    senti_ft_method_parse(o->method, &p.method, NULL); /* checked with the options */
    p.per_class = o->per_class;
    p.seed = o->seed;
    p.val_frac = o->val_frac;
    p.features = o->features;
    p.prompt = o->pp;
    p.lora = o->tp;
    p.on_rows = on_rows;
    p.on_feature = on_feature;
    p.on_lora = on_event;
    p.user = r;
    senti_ft_info info;
    senti_err e;
    senti_status s = senti_ft_train(m, v, all, &p, o->output, &info, &e);
    if (r->bar)
        fputc('\n', stderr);
    if (s) {
        fprintf(stderr, "senti finetune: %s\n", e.msg);
        return senti_cli_exit(s, false);
    }
    log_summary(o, &info, r);
    return SENTI_EXIT_OK;
}

/* A baseline adapter: no language model, no log file (the adapter records its rows). */
static int run_baseline(const ft_opts *o, const senti_verbalizer *v, const senti_examples *all)
{
    senti_baseline_fit_params p = {.per_class = o->per_class, .seed = o->seed, .C = o->C, .threads = o->threads};
    senti_baseline_method_parse(o->method, &p.method, NULL); /* checked with the options */
    senti_baseline_fit_info info;
    senti_err e;
    if (o->model_given)
        fprintf(stderr, "senti finetune: note: -m %s is not used by the %s baseline (no language model)\n", o->model,
                o->method);
    senti_status s = senti_baseline_fit_rows(all, v, &p, o->output, &info, &e);
    if (!s)
        warn_short_labels(o, v, info.avail);
    if (s) {
        fprintf(stderr, "senti finetune: %s\n", e.msg);
        return senti_cli_exit(s, false);
    }
    if (p.method == SENTI_BASELINE_BOW_LOGREG)
        printf("bow-logreg: C = %g (%s), %zu rows -> %s\n", info.C,
               isnan(info.cv_accuracy) ? "fixed" : "cross-validated", info.n_rows, o->output);
    else
        printf("majority: %zu rows -> %s\n", info.n_rows, o->output);
    return SENTI_EXIT_OK;
}

/* ---- main ------------------------------------------------------------------------------------------ */

/* The training log of a head or LoRA adapter: ADAPTER.log.jsonl. */
static void log_path_of(const ft_opts *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s.log.jsonl", o->output);
}

static int parse_args(int argc, char **argv, ft_opts *o)
{
    memset(o, 0, sizeof *o);
    o->data = senti_dataset_default_params();
    o->pp = senti_ft_prompt_default_params();
    o->tp = senti_lora_train_default_params();
    o->seed = 1;
    o->val_frac = 0.25;
    o->threads = SENTI_CLI_THREADS_DEFAULT;
    o->method = NULL;
    o->model = senti_cli_default_model();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_finetune.shorts, long_opts, NULL)) != -1) {
        if (c == O_ALPHA_OLD) {
            senti_cli_deprecated("finetune", "--alpha", "--lora-alpha", "--alpha is the significance level of "
                                 "compare and report");
            c = O_ALPHA;
        }
        if (c == 'h') {
            usage(stdout, o);
            return -1;
        }
        if (c == '?' || !set_opt(o, c, optarg)) {
            if (c != '?' && !is_numeric_opt(c))
                fprintf(stderr, "senti finetune: bad value '%s' for option %s\n", optarg, argv[optind - 1]);
            return senti_cli_try_help("finetune");
        }
    }
    if (!o->verbalizer || !o->train || !o->output || !o->method) {
        fprintf(stderr, "senti finetune: -v, --train, --method and -o are required\n");
        usage(stderr, o);
        return SENTI_EXIT_USAGE;
    }
    if (o->C > 0 && strcmp(o->method, "bow-logreg")) {
        fprintf(stderr, "senti finetune: --C applies to --method bow-logreg only\n");
        return SENTI_EXIT_USAGE;
    }
    senti_baseline_method bm;
    if (!o->model && senti_baseline_method_parse(o->method, &bm, NULL))
        return senti_cli_model_missing("finetune"); /* head and lora need one */
    if (!strcmp(o->output, "-")) { /* an adapter and its training log are files, never a stream */
        fprintf(stderr, "senti finetune: -o -: the adapter must be a file (its log goes beside it)\n");
        return SENTI_EXIT_USAGE;
    }
    char log_path[4096];
    log_path_of(o, log_path, sizeof log_path);
    const bool has_log = !strcmp(o->method, "head") || !strcmp(o->method, "lora");
    const senti_path_role out[] = {{o->output, "adapter"}, {has_log ? log_path : NULL, "training log"}},
                          in[] = {{o->train, "training file"}, {o->verbalizer, "verbalizer"}, {o->model, "model"}};
    senti_err e;
    if (senti_check_outputs(out, 2, in, 3, &e)) {
        fprintf(stderr, "senti finetune: %s\n", e.msg);
        return SENTI_EXIT_USAGE;
    }
    return 0;
}

int senti_cmd_finetune(int argc, char **argv)
{
    ft_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? SENTI_EXIT_OK : rc;
    senti_set_threads(o.threads);
    senti_err e;
    senti_verbalizer *v = NULL;
    senti_examples *all = NULL;
    senti_model *m = NULL;
    senti_status s = senti_verbalizer_load(o.verbalizer, &v, &e);
    if (!s)
        s = senti_examples_load(o.train, &o.data, &all, &e);
    if (s) {
        fprintf(stderr, "senti finetune: %s\n", e.msg);
        senti_verbalizer_free(v);
        return senti_cli_exit(s, false);
    }
    if (strcmp(o.method, "head") && strcmp(o.method, "lora")) {
        rc = run_baseline(&o, v, all);
        senti_examples_free(all);
        senti_verbalizer_free(v);
        return rc;
    }
    if ((s = senti_model_load(o.model, NULL, &m, &e))) {
        fprintf(stderr, "senti finetune: %s\n", e.msg);
        senti_examples_free(all);
        senti_verbalizer_free(v);
        return senti_cli_exit(s, true);
    }
    char log_path[4096];
    log_path_of(&o, log_path, sizeof log_path);
    reporter r = {.log = fopen(log_path, "w"), .bar = !o.quiet && isatty(2), .t0 = senti_now(), .o = &o, .m = m,
                  .v = v};
    if (!r.log)
        fprintf(stderr, "senti finetune: cannot write %s\n", log_path);
    rc = run_adapter(&o, m, v, all, &r);
    if (r.log && fclose(r.log) != 0 && rc == SENTI_EXIT_OK) {
        fprintf(stderr, "senti finetune: cannot write %s\n", log_path);
        rc = SENTI_EXIT_USAGE;
    }
    if (rc != SENTI_EXIT_OK && r.log) /* no adapter, so no log of one */
        remove(log_path);
    senti_model_free(m);
    senti_examples_free(all);
    senti_verbalizer_free(v);
    return rc;
}
