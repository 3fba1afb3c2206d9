/*
 * cli_model.c - `senti model info` (what a GGUF model is) and `senti logits`
 * (the top next tokens after a text; a debugging aid).
 *
 *   senti model info [-m FILE] [--check]
 *   senti logits [-m FILE] [--top K] [--threads N] [--parse-special] TEXT
 *
 * Exit codes as in cli.h: 0 ok, 2 usage, 3 the model could not be loaded or run.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "senti/model.h"
#include "senti/quant.h"

/* ---- senti model info ---------------------------------------------------------- */

static void print_tensor_types(const senti_gguf *g)
{
    size_t count[SENTI_TYPE_COUNT + 1] = {0};
    int64_t elems[SENTI_TYPE_COUNT + 1] = {0};
    size_t n = senti_gguf_n_tensors(g);
    for (size_t i = 0; i < n; i++) {
        const senti_tensor *t = senti_gguf_tensor(g, i);
        int ty = t->type >= 0 && t->type < SENTI_TYPE_COUNT ? t->type : SENTI_TYPE_COUNT;
        count[ty]++;
        elems[ty] += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    }
    printf("tensors:        %zu\n", n);
    for (int ty = 0; ty <= SENTI_TYPE_COUNT; ty++)
        if (count[ty])
            printf("  %-6s        %4zu tensors, %lld parameters\n", senti_type_name(ty), count[ty],
                   (long long)elems[ty]);
}

static void print_hparams(const senti_hparams *hp)
{
    printf("architecture:   %s\n", hp->arch_name);
    printf("parameters:     %lld\n", (long long)hp->n_params);
    printf("context_length: %d\n", hp->n_ctx_train);
    printf("vocab_size:     %d\n", hp->n_vocab);
    printf("n_embd:         %d\n", hp->n_embd);
    printf("n_layer:        %d\n", hp->n_layer);
    printf("n_head:         %d\n", hp->n_head);
    printf("n_head_kv:      %d\n", hp->n_head_kv);
    printf("head_dim:       %d\n", hp->head_dim);
    printf("n_ff:           %d\n", hp->n_ff);
    printf("norm_eps:       %g\n", (double)hp->norm_eps);
    printf("rope_base:      %g\n", (double)hp->rope_base);
    printf("rope_dim:       %d\n", hp->rope_dim);
    printf("rope_order:     %s\n", hp->rope_neox ? "neox" : "normal");
    if (hp->sliding_window > 0) {
        printf("rope_base_swa:  %g\n", (double)hp->rope_base_local);
        printf("sliding_window: %d\n", hp->sliding_window);
        printf("swa_pattern:    %d (every %dth layer global)\n", hp->swa_pattern, hp->swa_pattern);
    }
    printf("tied_output:    %s\n", hp->tied_output ? "yes" : "no");
}

static void print_tokenizer(const senti_tokenizer *tok)
{
    senti_tok_kind kind = senti_tokenizer_kind(tok);
    printf("tokenizer:      %s\n", kind == SENTI_TOK_BPE ? "byte-level BPE (gpt2)" : "SentencePiece (llama)");
    if (kind == SENTI_TOK_BPE)
        printf("pre_tokenizer:  %s\n", senti_tokenizer_pre(tok));
    printf("bos:            %d (%s)\n", senti_token_bos(tok), senti_tokenizer_add_bos(tok) ? "added" : "not added");
    printf("eos:            %d\n", senti_token_eos(tok));
}

static int usage_model(FILE *f)
{
    fprintf(f, "usage: senti model info [-m FILE] [--check]\n"
               "  -m, --model FILE   GGUF model (default: %s)\n"
               "  --check            also scan every weight for NaN or infinity (exit 3 naming the first)\n"
               "  -h, --help         this help\n",
            senti_cli_model_shown());
    return f == stdout ? SENTI_EXIT_OK : SENTI_EXIT_USAGE;
}

static const struct option model_opts[] = {SENTI_LONGOPT_MODEL, {"check", no_argument, 0, 'c'}, SENTI_LONGOPT_HELP,
                                           {0, 0, 0, 0}};
const senti_cli_opts senti_opts_model = {"m:h", model_opts};

int senti_cmd_model(int argc, char **argv)
{
    const char *path = senti_cli_default_model();
    bool check = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_model.shorts, model_opts, NULL)) != -1) {
        if (c == 'm')
            path = optarg;
        else if (c == 'c')
            check = true;
        else
            return c == 'h' ? usage_model(stdout) : senti_cli_try_help("model");
    }
    if (optind >= argc || strcmp(argv[optind], "info") != 0)
        return usage_model(stderr);
    if (!path)
        return senti_cli_model_missing("model");
    senti_model *m;
    senti_err e;
    senti_status s = senti_model_load(path, NULL, &m, &e);
    if (s) {
        fprintf(stderr, "senti model: %s\n", e.msg);
        return senti_cli_exit(s, true);
    }
    printf("file:           %s\n", path);
    printf("sha256:         %s\n", senti_model_sha256(m));
    print_hparams(senti_model_hparams(m));
    print_tokenizer(senti_model_tokenizer(m));
    print_tensor_types(senti_model_gguf(m));
    printf("kernels:        %s (best on this CPU: %s)\n", senti_isa_name(senti_isa_active()),
           senti_isa_name(senti_isa_best()));
    size_t n_ok = 0;
    if (check && senti_gguf_check_finite(senti_model_gguf(m), &n_ok, &e)) {
        fprintf(stderr, "senti model: %s: %s\n", path, e.msg);
        senti_model_free(m);
        return SENTI_EXIT_MODEL;
    }
    if (check)
        printf("check:          %zu tensors, every value finite\n", n_ok);
    senti_model_free(m);
    return SENTI_EXIT_OK;
}

/* ---- senti logits ----------------------------------------------------------------- */

typedef struct {
    const char *model;
    int top;
    int threads;
    bool parse_special;
    const char *text;
} logits_args;

static int usage_logits(FILE *f)
{
    fprintf(f, "usage: senti logits [-m FILE] [--top K] [--threads N] [--parse-special] TEXT\n"
               "  -m, --model FILE     GGUF model (default: %s)\n"
               "      --top K          how many next tokens to print (default 10; -k is a deprecated\n"
               "                       spelling: -k is --shots everywhere else)\n"
               "  -t, --threads N      threads (default %d)\n"
               "      --parse-special  recognise special token texts such as <|im_start|>\n"
               "  -h, --help           this help\n"
               "BOS is added when the model's metadata says so.\n",
            senti_cli_model_shown(), SENTI_CLI_THREADS_DEFAULT);
    return f == stdout ? SENTI_EXIT_OK : SENTI_EXIT_USAGE;
}

enum { O_TOP = 256 };
static const struct option logits_opts[] = {SENTI_LONGOPT_MODEL,   {"top", required_argument, 0, O_TOP},
                                            SENTI_LONGOPT_THREADS, {"parse-special", no_argument, 0, 'p'},
                                            SENTI_LONGOPT_HELP,    {0, 0, 0, 0}};
const senti_cli_opts senti_opts_logits = {"m:k:t:h", logits_opts};

static int parse_logits_args(int argc, char **argv, logits_args *a)
{
    *a = (logits_args){.model = senti_cli_default_model(), .top = 10, .threads = SENTI_CLI_THREADS_DEFAULT};
    long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_logits.shorts, logits_opts, NULL)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'k':
            senti_cli_deprecated("logits", "-k", "--top", "-k is --shots everywhere else");
            /* fall through */
        case O_TOP: if (!senti_cli_int("logits", "top", optarg, 1, 1000000, &v)) return SENTI_EXIT_USAGE; a->top = (int)v; break;
        case 't': if (!senti_cli_threads("logits", optarg, &a->threads)) return SENTI_EXIT_USAGE; break;
        case 'p': a->parse_special = true; break;
        case 'h': return usage_logits(stdout) == 0 ? -1 : SENTI_EXIT_USAGE;
        default: return senti_cli_try_help("logits");
        }
    }
    if (optind != argc - 1 || a->top < 1 || a->threads < 1)
        return usage_logits(stderr);
    a->text = argv[optind];
    return a->model ? SENTI_EXIT_OK : senti_cli_model_missing("logits");
}

static bool all_finite(const float *x, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return false;
    return true;
}

/* Print the K most likely next tokens (log-probabilities) after ids[0..n). */
static int print_top(senti_model *m, const int32_t *ids, int n, int top)
{
    const senti_hparams *hp = senti_model_hparams(m);
    senti_context *ctx;
    senti_err e;
    senti_status s = senti_context_new(m, n, &ctx, &e);
    if (s) {
        fprintf(stderr, "senti logits: %s\n", e.msg);
        return senti_cli_exit(s, true);
    }
    float *lp = malloc((size_t)hp->n_vocab * sizeof *lp);
    int pos = n - 1, rc = SENTI_EXIT_OK;
    senti_outputs out = {.n_out = 1, .pos = &pos, .logits = lp};
    if (!lp || senti_decode(ctx, ids, n, &out, &e)) {
        fprintf(stderr, "senti logits: %s\n", lp ? e.msg : "out of memory");
        rc = SENTI_EXIT_MODEL;
    } else if (!all_finite(lp, hp->n_vocab)) {
        fprintf(stderr, "senti logits: NaN or infinity in the model output (senti model info --check scans the "
                        "weights)\n");
        rc = SENTI_EXIT_MODEL;
    } else {
        senti_log_softmax(lp, hp->n_vocab);
        if (top > hp->n_vocab)
            top = hp->n_vocab;
        for (int k = 0; k < top; k++) {
            int best = 0;
            for (int i = 1; i < hp->n_vocab; i++)
                if (lp[i] > lp[best])
                    best = i;
            char piece[256];
            size_t len = senti_token_to_piece(senti_model_tokenizer(m), best, true, piece, sizeof piece - 1);
            piece[len < sizeof piece - 1 ? len : sizeof piece - 1] = '\0';
            printf("%d\t%d\t%.6f\t\"%s\"\n", k + 1, best, (double)lp[best], piece);
            lp[best] = -INFINITY;
        }
    }
    free(lp);
    senti_context_free(ctx);
    return rc;
}

int senti_cmd_logits(int argc, char **argv)
{
    logits_args a;
    int rc = parse_logits_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? SENTI_EXIT_OK : rc;
    senti_model_params mp = senti_model_default_params();
    mp.n_threads = a.threads;
    senti_model *m;
    senti_err e;
    senti_status s = senti_model_load(a.model, &mp, &m, &e);
    if (s) {
        fprintf(stderr, "senti logits: %s\n", e.msg);
        return senti_cli_exit(s, true);
    }
    const senti_tokenizer *tok = senti_model_tokenizer(m);
    size_t len = strlen(a.text), n = 0, cap = len + 8;
    int32_t *ids = malloc(cap * sizeof *ids);
    int flags = SENTI_TOK_ADD_SPECIAL | (a.parse_special ? SENTI_TOK_PARSE_SPECIAL : 0);
    if (!ids || senti_tokenize(tok, a.text, len, flags, ids, cap, &n, &e)) {
        fprintf(stderr, "senti logits: %s\n", ids ? e.msg : "out of memory");
        rc = SENTI_EXIT_USAGE;
    } else if (n == 0) {
        fprintf(stderr, "senti logits: the text gives no tokens\n");
        rc = SENTI_EXIT_USAGE;
    } else {
        printf("# %zu tokens:", n);
        for (size_t i = 0; i < n; i++)
            printf(" %d", ids[i]);
        printf("\n# rank\tid\tlogprob\tpiece\n");
        rc = print_top(m, ids, (int)n, a.top);
    }
    free(ids);
    senti_model_free(m);
    return rc;
}
