/*
 * cli_tokenize.c - `senti tokenize`: the token ids of a text.
 *
 *   senti tokenize [-m FILE] [--pieces] [--no-special] [--parse-special] TEXT
 *   senti tokenize [-m FILE] [...] -f FILE
 *
 * Prints the ids on one line, space separated, or with --pieces one
 * `id<TAB>piece` line per token, the piece written with C escapes (\n, \t,
 * \r, \\, \xNN for other bytes below 0x20 and 0x7f) so that every token is one
 * line. BOS/EOS are added as the model's metadata says unless --no-special;
 * --parse-special turns texts like <|im_start|> into their control tokens.
 * Only the GGUF metadata and the tokenizer are loaded, not the weights.
 *
 * Exit codes as in cli.h: 0 ok, 2 usage or unreadable input, 3 model error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "senti/gguf.h"
#include "senti/tokenizer.h"

static int usage_tokenize(FILE *f)
{
    fprintf(f, "usage: senti tokenize [-m FILE] [--pieces] [--no-special] [--parse-special] TEXT | -f FILE\n"
               "  -m, --model FILE     GGUF model (default: %s)\n"
               "  -f, --file FILE      tokenize the bytes of FILE instead of TEXT\n"
               "      --pieces         one 'id<TAB>piece' line per token\n"
               "      --no-special     do not add BOS/EOS (default: as the model's metadata says)\n"
               "      --parse-special  recognise special-token texts such as <|im_start|>\n"
               "  -h, --help           this help\n",
            senti_cli_model_shown());
    return f == stdout ? SENTI_EXIT_OK : SENTI_EXIT_USAGE;
}

/* Whole file into a malloc'ed buffer; NULL on error. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = senti_read_stream(f, len);
    fclose(f);
    return buf;
}

static void print_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\\')
            fputs("\\\\", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
}

static void print_tokens(const senti_tokenizer *tok, const int32_t *ids, size_t n, int pieces)
{
    char buf[512];
    for (size_t i = 0; i < n; i++) {
        if (!pieces) {
            printf(i ? " %d" : "%d", ids[i]);
            continue;
        }
        size_t k = senti_token_to_piece(tok, ids[i], true, buf, sizeof buf);
        printf("%d\t", ids[i]);
        print_escaped(buf, k < sizeof buf ? k : sizeof buf);
        putchar('\n');
    }
    if (!pieces)
        putchar('\n');
}

static int run_tokenize(const char *model, const char *text, size_t len, int flags, int pieces)
{
    senti_gguf *g = NULL;
    senti_tokenizer *tok = NULL;
    senti_err e;
    if (senti_gguf_open(model, &g, &e) || senti_tokenizer_load(g, &tok, &e)) {
        fprintf(stderr, "senti tokenize: %s\n", e.msg);
        senti_gguf_close(g);
        return SENTI_EXIT_MODEL;
    }
    senti_gguf_close(g);
    size_t cap = len + 8, n = 0;
    int32_t *ids = malloc(cap * sizeof *ids);
    senti_status s = ids ? senti_tokenize(tok, text, len, flags, ids, cap, &n, &e) : SENTI_ERR_NOMEM;
    if (s == SENTI_ERR_RANGE) { /* more tokens than guessed: retry at the exact size */
        free(ids);
        cap = n;
        ids = malloc(cap * sizeof *ids);
        s = ids ? senti_tokenize(tok, text, len, flags, ids, cap, &n, &e) : SENTI_ERR_NOMEM;
    }
    int rc = SENTI_EXIT_OK;
    if (s) {
        fprintf(stderr, "senti tokenize: %s\n", ids ? e.msg : "out of memory");
        rc = SENTI_EXIT_INTERNAL;
    } else {
        print_tokens(tok, ids, n, pieces);
    }
    free(ids);
    senti_tokenizer_free(tok);
    return rc;
}

enum { OPT_PIECES = 256, OPT_NO_SPECIAL, OPT_PARSE_SPECIAL };
static const struct option opts[] = {SENTI_LONGOPT_MODEL,
                                     {"file", required_argument, 0, 'f'},
                                     {"pieces", no_argument, 0, OPT_PIECES},
                                     {"no-special", no_argument, 0, OPT_NO_SPECIAL},
                                     {"parse-special", no_argument, 0, OPT_PARSE_SPECIAL},
                                     SENTI_LONGOPT_HELP,
                                     {0, 0, 0, 0}};
const senti_cli_opts senti_opts_tokenize = {"m:f:h", opts};

int senti_cmd_tokenize(int argc, char **argv)
{
    const char *model = senti_cli_default_model(), *file = NULL;
    int flags = SENTI_TOK_ADD_SPECIAL, pieces = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, senti_opts_tokenize.shorts, opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'f': file = optarg; break;
        case OPT_PIECES: pieces = 1; break;
        case OPT_NO_SPECIAL: flags &= ~SENTI_TOK_ADD_SPECIAL; break;
        case OPT_PARSE_SPECIAL: flags |= SENTI_TOK_PARSE_SPECIAL; break;
        default: return c == 'h' ? usage_tokenize(stdout) : senti_cli_try_help("tokenize");
        }
    }
    if ((file != NULL) == (optind < argc) || optind + 1 < argc)
        return usage_tokenize(stderr);
    if (!model)
        return senti_cli_model_missing("tokenize");
    if (!file)
        return run_tokenize(model, argv[optind], strlen(argv[optind]), flags, pieces);
    size_t len;
    char *text = read_all(file, &len);
    if (!text) {
        fprintf(stderr, "senti tokenize: cannot read %s\n", file);
        return SENTI_EXIT_USAGE;
    }
    int rc = run_tokenize(model, text, len, flags, pieces);
    free(text);
    return rc;
}
