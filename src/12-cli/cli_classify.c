/*
 * cli_classify.c - `senti classify`: label distributions for every row of a CSV.
 * Started by mpirun with several ranks, the MPI job of cli_mpi.c: the same
 * outputs, written once by rank 0.
 */
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "senti/baseline.h"
#include "senti/classify.h"
#include "senti/experiment.h"
#include "senti/select.h"

static void usage(FILE *f, const senti_classify_params *d)
{
    fprintf(f,
            "usage: senti classify [-m MODEL] -v VERBALIZER -i INPUT.csv [options] [-o PREDICTIONS.csv]\n\n"
            "data:\n"
            "  -i, --input FILE        CSV with a header row (UTF-8, RFC 4180), or JSON lines (FILE.jsonl,\n"
            "                          one object per line); - reads standard input\n"
            "      --input-format auto|csv|jsonl   (default auto: jsonl for .jsonl/.ndjson, else csv)\n"
            "      --text-col NAME     text column or field (default: text, else sentence)\n"
            "      --label-col NAME    gold label column or field (default: label if present)\n"
            "      --text-field NAME, --label-field NAME   the same, named for JSON lines\n"
            "      --id-col NAME       id column (default: none; the row number is used)\n"
            "      --no-header         columns by 1-based number\n"
            "      --limit N           only the first N rows\n"
            "      --sample N          a seeded uniform sample of N rows (--sample-seed, default %" PRIu64 ")\n"
            "prompting:\n"
            "  -v, --verbalizer FILE   label words and template (JSON; see verbalizers/README.md)\n"
            "      --template TEXT     override the template (must contain {text})\n"
            "      --instruction TEXT  text before the demonstrations\n"
            "      --separator TEXT    between demonstrations (default \"\\n\\n\")\n"
            "      --chat auto|on|off  wrap in the model's chat format (default auto: when the model has one)\n"
            "      --system TEXT       chat system message\n"
            "few-shot:\n"
            "  -k, --shots K           demonstrations per prompt (default 0)\n"
            "      --train FILE        labelled CSV to draw them from (same columns as the input)\n"
            "      --seed N            demonstration seed (default %" PRIu64 ")\n"
            "      --sampling random|balanced   (default random)\n"
            "      --order random|fixed|interleaved   (default random)\n"
            "      --per-row           redraw demonstrations for every row (default: one shared set)\n"
            "      --demo-turns        each demonstration as a user turn and an assistant turn (chat\n"
            "                          prompts; default: all of them inside the one user turn)\n"
            "scoring:\n"
            "      --word-agg logsumexp|mean|max   words of one label (default logsumexp; --aggregate\n"
            "                          is a deprecated spelling)\n"
            "      --length-norm       divide word log-probs by their token count\n"
            "      --calibrate none|contextual|pmi|batch   (default none)\n"
            "      --content-free TEXT content-free input for contextual calibration (repeatable;\n"
            "                          default \"N/A\", \"\", \"[MASK]\")\n"
            "      --no-prefix-reuse   decode the shared prefix again for every row (benchmarks)\n"
            "      --on-error fail|skip   a row that cannot be scored (default fail)\n"
            "model:\n"
            "  -m, --model FILE        GGUF model (default: %s)\n"
            "      --ctx N             context size (default min(training context, 2048))\n"
            "  -t, --threads N         threads (default %d)\n"
            "      --numerics f32|q8   matrix products with quantized weights: float32 SGEMM, or 8-bit\n"
            "                          activations and int8 kernels as llama.cpp (default f32; README Numerics)\n",
            d->data.seed, d->demos.seed, senti_cli_model_shown(), SENTI_CLI_THREADS_DEFAULT);
    fprintf(f, /* two strings: C11 compilers need only take 4095 characters in one */
            "output:\n"
            "  -o, --output FILE       predictions CSV (+ FILE.manifest.json)\n"
            "      --jsonl FILE        the same rows as JSON lines\n"
            "      --manifest FILE     manifest path (needed for one with -o -)\n"
            "      --keep-cols C1,C2   copy these input columns into the outputs (after status)\n"
            "      --keep-text         copy the text into the outputs, as column \"text\"\n"
            "      --prompts FILE      every scored prompt with its token ids (JSON lines)\n"
            "      --adapter FILE      apply a head (JSON) or LoRA (GGUF) adapter from senti finetune, or a\n"
            "                          baseline (majority, bow-logreg): no model is loaded (-m is not used)\n"
            "                          and -v is optional (if given, its labels must be the adapter's)\n"
            "      --score-cache DIR   reuse label scores of prompts already scored with this model\n"
            "      --recipe FILE       apply a recipe from senti select: it sets the model, verbalizer,\n"
            "                          template, shots, calibration and adapter (giving any of them too\n"
            "                          is an error)\n"
            "      --progress auto|bar|lines|none   progress on stderr: a bar redrawn twice a second,\n"
            "                          or a log line every 10 s (default auto: bar on a terminal,\n"
            "                          else lines)\n"
            "  -q, --quiet             no progress (--progress none)\n"
            "  -h, --help              this help\n"
            "An output FILE of - is standard output (one output at most); the accuracy line then\n"
            "goes to standard error.\n"
            "under mpirun -n N (N > 1; docs/scale.md): rank 0 hands out work units of rows, ranks 1..N-1 score\n"
            "them, rank 0 writes the outputs (the bytes of a one-process run; files only, no -i -)\n"
            "      --unit-rows R       rows per work unit, a multiple of 64 (default 512)\n");
}

enum {
    O_TEXT = 256, O_LABEL, O_ID, O_NOHDR, O_LIMIT, O_SAMPLE, O_SSEED, O_TMPL, O_INSTR, O_SEP, O_CHAT, O_SYS,
    O_TRAIN, O_SEED, O_SAMPLING, O_ORDER, O_PERROW, O_TURNS, O_AGG, O_LNORM, O_CALIB, O_CF, O_NOREUSE, O_ONERR, O_CTX,
    O_JSONL, O_MANIFEST, O_ADAPTER,
    O_SCORE_CACHE, O_PROMPTS, O_KEEP_COLS, O_KEEP_TEXT, O_INFMT, O_PROGRESS, O_UNIT_ROWS, O_AGG_OLD, O_NUMERICS, O_RECIPE
};

static const struct option long_opts[] = {
    {"input", required_argument, 0, 'i'}, {"text-col", required_argument, 0, O_TEXT},
    {"label-col", required_argument, 0, O_LABEL}, {"id-col", required_argument, 0, O_ID},
    {"text-field", required_argument, 0, O_TEXT}, {"label-field", required_argument, 0, O_LABEL},
    {"input-format", required_argument, 0, O_INFMT}, {"progress", required_argument, 0, O_PROGRESS},
    {"no-header", no_argument, 0, O_NOHDR}, {"limit", required_argument, 0, O_LIMIT},
    {"sample", required_argument, 0, O_SAMPLE}, {"sample-seed", required_argument, 0, O_SSEED},
    {"verbalizer", required_argument, 0, 'v'}, {"template", required_argument, 0, O_TMPL},
    {"instruction", required_argument, 0, O_INSTR}, {"separator", required_argument, 0, O_SEP},
    {"chat", required_argument, 0, O_CHAT}, {"system", required_argument, 0, O_SYS},
    {"shots", required_argument, 0, 'k'}, {"train", required_argument, 0, O_TRAIN},
    {"seed", required_argument, 0, O_SEED}, {"sampling", required_argument, 0, O_SAMPLING},
    {"order", required_argument, 0, O_ORDER}, {"per-row", no_argument, 0, O_PERROW},
    {"demo-turns", no_argument, 0, O_TURNS},
    {"word-agg", required_argument, 0, O_AGG},
    {"aggregate", required_argument, 0, O_AGG_OLD}, {"length-norm", no_argument, 0, O_LNORM},
    {"calibrate", required_argument, 0, O_CALIB}, {"content-free", required_argument, 0, O_CF},
    {"no-prefix-reuse", no_argument, 0, O_NOREUSE}, {"on-error", required_argument, 0, O_ONERR},
    {"model", required_argument, 0, 'm'}, {"ctx", required_argument, 0, O_CTX},
    {"threads", required_argument, 0, 't'}, {"output", required_argument, 0, 'o'},
    {"numerics", required_argument, 0, O_NUMERICS},
    {"jsonl", required_argument, 0, O_JSONL}, {"manifest", required_argument, 0, O_MANIFEST},
    {"prompts", required_argument, 0, O_PROMPTS},
    {"adapter", required_argument, 0, O_ADAPTER},
    {"score-cache", required_argument, 0, O_SCORE_CACHE}, {"recipe", required_argument, 0, O_RECIPE},
    {"keep-cols", required_argument, 0, O_KEEP_COLS}, {"keep-text", no_argument, 0, O_KEEP_TEXT},
    {"unit-rows", required_argument, 0, O_UNIT_ROWS},
    SENTI_LONGOPT_QUIET, SENTI_LONGOPT_HELP, {0, 0, 0, 0}};
const senti_cli_opts senti_opts_classify = {"i:v:k:m:t:o:qh", long_opts};

/* The library's progress callback into the stderr renderer (cli.h). */
static void on_progress(void *user, size_t done, size_t total, double seconds)
{
    senti_cli_progress_update(user, done, total, seconds);
}

static bool is_stdout(const char *path) { return path && !strcmp(path, "-"); }

static int bad_value(const char *opt, const char *val)
{
    fprintf(stderr, "senti classify: invalid value '%s' for --%s\n", val, opt);
    return SENTI_EXIT_USAGE;
}

/* What the command line asks for; cf holds the --content-free texts that
 * p.content_free points to. */
typedef struct {
    senti_classify_params p;
    const char *cf[64];
    bool model_given; /* -m on the command line: said to be unused with a baseline adapter */
    const char *keep[SENTI_CLASSIFY_MAX_KEEP]; /* --keep-cols, split; point into keep_buf */
    char *keep_buf;
    senti_progress_mode progress;
    size_t unit_rows; /* --unit-rows, under mpirun */
    const char *recipe; /* --recipe FILE */
} classify_opts;

/* The option of p that a recipe also sets, or NULL: giving both is an error. */
static const char *recipe_conflict(const classify_opts *o, const senti_classify_params *p)
{
    senti_classify_params d = senti_classify_default_params();
    if (o->model_given) return "model";
    if (p->verbalizer_path) return "verbalizer";
    if (p->tmpl) return "template";
    if (p->instruction) return "instruction";
    if (p->separator) return "separator";
    if (p->chat != d.chat) return "chat";
    if (p->system) return "system";
    if (p->demos.shots != d.demos.shots) return "shots";
    if (p->train_path) return "train";
    if (p->demos.seed != d.demos.seed) return "seed";
    if (p->demos.sampling != d.demos.sampling) return "sampling";
    if (p->demos.order != d.demos.order) return "order";
    if (p->demos.per_row) return "per-row";
    if (p->demo_turns) return "demo-turns";
    if (p->agg != d.agg) return "word-agg";
    if (p->length_norm) return "length-norm";
    if (p->calib != d.calib) return "calibrate";
    if (p->content_free) return "content-free";
    if (p->adapter_path) return "adapter";
    return NULL;
}

/* --keep-cols C1,C2,...: the names into o->keep (p.data.keep_cols); false on
 * an empty name or too many (reported). */
static bool keep_cols_opt(classify_opts *o, senti_classify_params *p, const char *arg)
{
    free(o->keep_buf);
    if (!(o->keep_buf = strdup(arg)))
        return false;
    size_t n = 0;
    char *save = NULL, *tok = o->keep_buf;
    for (const char *c = arg; *c; c++)
        if (*c == ',' && (c == arg || c[1] == '\0' || c[1] == ','))
            tok = NULL;
    for (char *name = tok ? strtok_r(tok, ",", &save) : NULL; name; name = strtok_r(NULL, ",", &save)) {
        if (n == SENTI_CLASSIFY_MAX_KEEP) {
            fprintf(stderr, "senti classify: --keep-cols: more than %d columns\n", SENTI_CLASSIFY_MAX_KEEP);
            return false;
        }
        o->keep[n++] = name;
    }
    if (!n) {
        fprintf(stderr, "senti classify: --keep-cols: '%s': an empty column name\n", arg);
        return false;
    }
    p->data.keep_cols = o->keep;
    p->data.n_keep_cols = n;
    return true;
}

/* The command line into o. Returns -1 to go on and run, else the exit code
 * (--help, or a usage error already reported). */
static int parse_args(int argc, char **argv, classify_opts *o)
{
    senti_classify_params p = senti_classify_default_params();
    const char **cf = o->cf;
    size_t n_cf = 0;
    long long v;
    int c, ix;
    p.model_path = senti_cli_default_model();
    p.n_threads = SENTI_CLI_THREADS_DEFAULT;
    o->model_given = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_classify.shorts, long_opts, &ix)) != -1) {
        switch (c) {
        case 'i': p.input_path = optarg; break;
        case O_TEXT: p.data.text_col = p.train_data.text_col = optarg; break;
        case O_LABEL: p.data.label_col = p.train_data.label_col = optarg; break;
        case O_ID: p.data.id_col = p.train_data.id_col = optarg; break;
        case O_INFMT: if (senti_data_format_parse(optarg, &p.data.format, NULL)) return bad_value("input-format", optarg); break;
        case O_NOHDR: p.data.no_header = p.train_data.no_header = true; break;
        case O_LIMIT: if (!senti_cli_int("classify", "limit", optarg, 1, LLONG_MAX, &v)) return SENTI_EXIT_USAGE; p.data.limit = (size_t)v; break;
        case O_SAMPLE: if (!senti_cli_int("classify", "sample", optarg, 1, LLONG_MAX, &v)) return SENTI_EXIT_USAGE; p.data.sample = (size_t)v; break;
        case O_SSEED: if (!senti_cli_int("classify", "sample-seed", optarg, 0, LLONG_MAX, &v)) return SENTI_EXIT_USAGE; p.data.seed = (uint64_t)v; break;
        case 'v': p.verbalizer_path = optarg; break;
        case O_TMPL: p.tmpl = optarg; break;
        case O_INSTR: p.instruction = optarg; break;
        case O_SEP: p.separator = optarg; break;
        case O_CHAT: if (!senti_cli_chat_opt(optarg, &p.chat)) return bad_value("chat", optarg); break;
        case O_SYS: p.system = optarg; break;
        case 'k': if (!senti_cli_int("classify", "shots", optarg, 0, SENTI_EXP_MAX_SHOTS, &v)) return SENTI_EXIT_USAGE; p.demos.shots = (size_t)v; break;
        case O_TRAIN: p.train_path = optarg; break;
        case O_SEED: if (!senti_cli_int("classify", "seed", optarg, 0, LLONG_MAX, &v)) return SENTI_EXIT_USAGE; p.demos.seed = (uint64_t)v; break;
        case O_SAMPLING: if (senti_demo_sampling_parse(optarg, &p.demos.sampling, NULL)) return bad_value("sampling", optarg); break;
        case O_ORDER: if (senti_demo_order_parse(optarg, &p.demos.order, NULL)) return bad_value("order", optarg); break;
        case O_PERROW: p.demos.per_row = true; break;
        case O_TURNS: p.demo_turns = true; break;
        case O_AGG_OLD:
            senti_cli_deprecated("classify", "--aggregate", "--word-agg", "--aggregate is compare's summary of "
                                 "many runs");
            /* fall through */
        case O_AGG: if (senti_agg_parse(optarg, &p.agg, NULL)) return bad_value("word-agg", optarg); break;
        case O_LNORM: p.length_norm = true; break;
        case O_CALIB: if (senti_calib_parse(optarg, &p.calib, NULL)) return bad_value("calibrate", optarg); break;
        case O_CF: if (n_cf == 64) return bad_value("content-free", optarg); cf[n_cf++] = optarg; break;
        case O_NOREUSE: p.reuse_prefix = false; break;
        case O_ONERR:
            if (!strcmp(optarg, "skip")) p.on_error_skip = true;
            else if (strcmp(optarg, "fail")) return bad_value("on-error", optarg);
            break;
        case 'm': p.model_path = optarg; o->model_given = true; break;
        case O_CTX: if (!senti_cli_int("classify", "ctx", optarg, 16, 1 << 20, &v)) return SENTI_EXIT_USAGE; p.n_ctx = (int)v; break;
        case 't': if (!senti_cli_threads("classify", optarg, &p.n_threads)) return SENTI_EXIT_USAGE; break;
        case O_NUMERICS:
            if (senti_numerics_parse(optarg) < 0) return bad_value("numerics", optarg);
            senti_set_numerics(senti_numerics_parse(optarg));
            break;
        case 'o': p.output_path = optarg; break;
        case O_JSONL: p.jsonl_path = optarg; break;
        case O_MANIFEST: p.manifest_path = optarg; break;
        case O_PROMPTS: p.prompts_path = optarg; break;
        case O_ADAPTER: p.adapter_path = optarg; break;
        case O_SCORE_CACHE: p.score_cache_dir = optarg; break;
        case O_RECIPE: o->recipe = optarg; break;
        case O_KEEP_COLS: if (!keep_cols_opt(o, &p, optarg)) return SENTI_EXIT_USAGE; break;
        case O_KEEP_TEXT: p.keep_text = true; break;
        case O_UNIT_ROWS:
            if (!senti_cli_int("classify", "unit-rows", optarg, SENTI_CLASSIFY_GROUP, 1 << 24, &v))
                return SENTI_EXIT_USAGE;
            if (v % SENTI_CLASSIFY_GROUP) {
                fprintf(stderr, "senti classify: --unit-rows %s: must be a multiple of %d (the classifier's row "
                                "group)\n", optarg, SENTI_CLASSIFY_GROUP);
                return SENTI_EXIT_USAGE;
            }
            o->unit_rows = (size_t)v;
            break;
        case 'q': o->progress = SENTI_PROGRESS_NONE; break;
        case O_PROGRESS: if (!senti_cli_progress_opt(optarg, &o->progress)) return bad_value("progress", optarg); break;
        case 'h': usage(stdout, &p); return SENTI_EXIT_OK;
        default: return senti_cli_try_help("classify");
        }
    }
    if (n_cf) {
        p.content_free = cf;
        p.n_content_free = n_cf;
    }
    if (o->recipe && recipe_conflict(o, &p)) {
        fprintf(stderr, "senti classify: --%s cannot be given with --recipe (the recipe sets it)\n",
                recipe_conflict(o, &p));
        return SENTI_EXIT_USAGE;
    }
    if (optind < argc || !p.input_path || (!p.verbalizer_path && !p.adapter_path && !o->recipe)) {
        fprintf(stderr,
                "senti classify: -i INPUT and -v VERBALIZER are required (-v is optional with a baseline "
                "adapter)%s\n",
                optind < argc ? " (and no positional arguments)" : "");
        usage(stderr, &p);
        return SENTI_EXIT_USAGE;
    }
    if (p.train_path && !strcmp(p.train_path, p.input_path))
        p.demos.same_file = true;
    if (is_stdout(p.output_path) && !p.manifest_path)
        fprintf(stderr, "senti classify: note: predictions on standard output, so no manifest is written "
                "(--manifest FILE writes one)\n");
    o->p = p;
    return -1;
}

/* The one-line summary on stderr and the accuracy line on stdout (on stderr
 * when an output goes to stdout). */
static void print_summary(const senti_classify_params *p, const senti_classify_summary *sum)
{
    FILE *acc = is_stdout(p->output_path) || is_stdout(p->jsonl_path) || is_stdout(p->manifest_path) ||
                        is_stdout(p->prompts_path)
                    ? stderr
                    : stdout;
    fprintf(stderr, "rows = %zu (ok %zu, truncated %zu, errors %zu), %.1f rows/s, %zu tokens decoded", sum->n_rows,
            sum->n_rows - sum->n_truncated - sum->n_errors, sum->n_truncated, sum->n_errors,
            sum->seconds > 0 ? (double)sum->n_rows / sum->seconds : 0.0, sum->n_tokens);
    if (p->score_cache_dir)
        fprintf(stderr, ", %zu prompts from the score cache", sum->n_cached);
    fputc('\n', stderr);
    if (sum->n_labelled)
        fprintf(acc, "accuracy = %.4f (%zu/%zu)\n", (double)sum->n_correct / (double)sum->n_labelled,
                sum->n_correct, sum->n_labelled);
}

/* Under mpirun with several ranks (docs/scale.md): -1 when p can be split
 * over the ranks, else the usage error (reported by rank 0 only). */
static int mpi_check(const classify_opts *o, const senti_classify_params *p)
{
    const char *why = NULL, *flag = NULL;
    if (is_stdout(p->input_path))
        flag = "-i -", why = "standard input cannot be read by every rank: give a file";
    else if (is_stdout(p->output_path) || is_stdout(p->jsonl_path) || is_stdout(p->manifest_path) ||
             is_stdout(p->prompts_path))
        flag = "-", why = "outputs go to files under mpirun (rank 0 writes them, the ranks share a work "
                          "directory beside them): give a file";
    else if (!p->output_path && !p->jsonl_path)
        flag = "-o", why = "needed under mpirun: -o FILE or --jsonl FILE (the ranks share FILE.mpi/ as their "
                           "work directory)";
    else if (p->adapter_path)
        flag = "--adapter", why = "the ranks hand their work over through the score cache, which holds no LoRA "
                                  "scores and no head adapter's final ones: run it as one process";
    else if (p->score_cache_dir)
        flag = "--score-cache", why = "not supported under mpirun (the job keeps its own cache in FILE.mpi/ "
                                      "until it succeeds)";
    else if (o->recipe)
        flag = "--recipe", why = "not supported under mpirun (a recipe may hold an adapter or an ensemble): run "
                                 "it as one process";
    if (!why)
        return -1;
    if (senti_cli_mpi_rank0())
        fprintf(stderr, "senti classify: under mpirun with several ranks: %s: %s\n", flag, why);
    return SENTI_EXIT_USAGE;
}

int senti_cmd_classify(int argc, char **argv)
{
    classify_opts o = {0};
    o.unit_rows = 512;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) {
        free(o.keep_buf);
        return rc;
    }
    senti_classify_params p = o.p;
    if (!p.model_path && !o.recipe && !(p.adapter_path && senti_baseline_probe(p.adapter_path) != 0)) {
        free(o.keep_buf);
        return senti_cli_model_missing("classify");
    }
    if (senti_cli_mpi_launched() && senti_cli_mpi_size() != 1) {
        rc = mpi_check(&o, &p);
        if (rc < 0)
            rc = senti_cli_classify_mpi(&p, o.unit_rows, o.progress == SENTI_PROGRESS_NONE, print_summary);
        if (rc >= 0) { /* -1: an MPI job of one rank runs as one process */
            free(o.keep_buf);
            return rc;
        }
    }
    senti_cli_progress prog;
    senti_cli_progress_init(&prog, o.progress, "rows");
    if (prog.mode != SENTI_PROGRESS_NONE) {
        p.progress = on_progress;
        p.progress_user = &prog;
    }
    senti_classify_summary sum;
    senti_err err = {0};
    senti_status s = o.recipe ? senti_recipe_classify(o.recipe, &p, &sum, &err) : senti_classify_run(&p, &sum, &err);
    free(o.keep_buf);
    if (s) {
        fprintf(stderr, "senti classify: %s\n", err.msg[0] ? err.msg : senti_strerror(s));
        return senti_cli_exit(s, sum.model_error);
    }
    if (sum.no_model && o.model_given)
        fprintf(stderr, "senti classify: note: -m %s is not used with a baseline adapter (no language model loaded)\n",
                p.model_path);
    if (p.demo_turns && !sum.no_model && sum.chat == SENTI_CHAT_NONE)
        fprintf(stderr, "senti classify: note: --demo-turns has no effect: the prompts have no chat format "
                        "(the model has none, or --chat off)\n");
    print_summary(&p, &sum);
    return SENTI_EXIT_OK;
}
