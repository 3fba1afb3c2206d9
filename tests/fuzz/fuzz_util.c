/*
 * fuzz_util.c - helpers of the fuzz harnesses: the input as a file, a scratch
 * directory, invariant checks, and the tiny model the adapter harness needs.
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "senti/gguf_write.h"
#include "senti/model.h"
#include "senti/quant.h"

/* ---- the input as a file -------------------------------------------------- */

void fz_require(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz: invariant broken: %s\n", what);
    abort();
}

const char *fz_input_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("senti-fuzz-input", 0);
        fz_require(fd >= 0, "memfd_create");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    fz_require(ftruncate(fd, 0) == 0, "ftruncate of the input file");
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        fz_require(n > 0, "write of the input file");
        done += (size_t)n;
    }
    return path;
}

static char scratch[4096];

/* The scratch directory holds only plain files of ours: unlink them, then it. */
static void scratch_remove(void)
{
    DIR *d = opendir(scratch);
    struct dirent *e;
    char path[4400];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(scratch);
}

const char *fz_scratch_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/senti-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fz_require(mkdtemp(scratch) != NULL, "mkdtemp of the scratch directory");
    atexit(scratch_remove);
    return scratch;
}

/* ---- the tiny model --------------------------------------------------------- */

static uint32_t rng = 20240917u;

/* Uniform in [-1, 1), from a fixed LCG: the same model on every machine. */
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / (float)(1u << 23) - 1.0f;
}

static int add_f32(senti_gguf_writer *w, const char *name, int64_t ne0, int64_t ne1, float scale, float offset)
{
    size_t n = (size_t)(ne0 * ne1);
    float *d = malloc(n * sizeof *d);
    if (!d)
        return -1;
    for (size_t i = 0; i < n; i++)
        d[i] = offset + scale * frand();
    int64_t ne[2] = {ne0, ne1};
    senti_status s = senti_gguf_writer_add_tensor(w, name, SENTI_TYPE_F32, ne1 > 1 ? 2 : 1, ne, d);
    free(d);
    return s == SENTI_OK ? 0 : -1;
}

/* SentencePiece-style vocabulary: 3 specials, "▁", a few words, the letters. */
static int add_vocab(senti_gguf_writer *w, int *n_vocab)
{
    /* "\342\226\201" is U+2581, SentencePiece's space (octal: a hex escape would eat the "b" of "bad"). */
    static const char *const words[] = {
        "<unk>",           "<s>", "</s>", "\342\226\201",       "\342\226\201good",
        "\342\226\201bad", ":",   "\n",   "\342\226\201Review", "\342\226\201Sentiment"};
    static char letters[26][2];
    const char *tok[64];
    float score[64];
    int32_t type[64];
    int n = 0;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        tok[n++] = words[i];
    for (int c = 0; c < 26; c++) {
        letters[c][0] = (char)('a' + c);
        tok[n++] = letters[c];
    }
    for (int i = 0; i < n; i++) {
        score[i] = i < 10 ? 0.0f : -1.0f;
        type[i] = i == 0 ? 2 : i < 3 ? 3 : 1; /* unknown, control, normal */
    }
    *n_vocab = n;
    return senti_gguf_writer_set_str(w, "tokenizer.ggml.model", "llama") ||
           senti_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", tok, (size_t)n) ||
           senti_gguf_writer_set_arr_f32(w, "tokenizer.ggml.scores", score, (size_t)n) ||
           senti_gguf_writer_set_arr_i32(w, "tokenizer.ggml.token_type", type, (size_t)n);
}

static int add_hparams(senti_gguf_writer *w, int E, int H, int KV, int F, int L)
{
    return senti_gguf_writer_set_str(w, "general.architecture", "llama") ||
           senti_gguf_writer_set_u32(w, "llama.embedding_length", (uint32_t)E) ||
           senti_gguf_writer_set_u32(w, "llama.block_count", (uint32_t)L) ||
           senti_gguf_writer_set_u32(w, "llama.attention.head_count", (uint32_t)H) ||
           senti_gguf_writer_set_u32(w, "llama.attention.head_count_kv", (uint32_t)KV) ||
           senti_gguf_writer_set_u32(w, "llama.feed_forward_length", (uint32_t)F) ||
           senti_gguf_writer_set_u32(w, "llama.context_length", 64) ||
           senti_gguf_writer_set_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
}

static int add_layers(senti_gguf_writer *w, int E, int H, int KV, int F, int L, int hd)
{
    const struct {
        const char *n;
        int64_t a, b;
        float s, o;
    } t[] = {{"attn_norm.weight", E, 1, 0.2f, 1.0f},     {"attn_q.weight", E, H * hd, 0.4f, 0},
             {"attn_k.weight", E, KV * hd, 0.4f, 0},     {"attn_v.weight", E, KV * hd, 0.4f, 0},
             {"attn_output.weight", H * hd, E, 0.4f, 0}, {"ffn_norm.weight", E, 1, 0.2f, 1.0f},
             {"ffn_gate.weight", E, F, 0.4f, 0},         {"ffn_up.weight", E, F, 0.4f, 0},
             {"ffn_down.weight", F, E, 0.3f, 0}};
    char name[64];
    for (int l = 0; l < L; l++)
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
            snprintf(name, sizeof name, "blk.%d.%s", l, t[i].n);
            if (add_f32(w, name, t[i].a, t[i].b, t[i].s, t[i].o))
                return -1;
        }
    return 0;
}

int fz_tiny_model_write(const char *path)
{
    const int E = 16, H = 4, KV = 2, hd = 4, F = 24, L = 2;
    senti_gguf_writer *w = senti_gguf_writer_new();
    int V = 0;
    rng = 20240917u;
    int bad = !w || add_hparams(w, E, H, KV, F, L) || add_vocab(w, &V) ||
              add_f32(w, "token_embd.weight", E, V, 0.5f, 0.0f) || add_f32(w, "output_norm.weight", E, 1, 0.2f, 1.0f) ||
              add_layers(w, E, H, KV, F, L, hd);
    senti_err e;
    if (!bad && senti_gguf_writer_write(w, path, &e) != SENTI_OK) {
        fprintf(stderr, "fuzz: %s\n", e.msg);
        bad = 1;
    }
    senti_gguf_writer_free(w);
    return bad ? -1 : 0;
}

senti_model *fz_tiny_model(void)
{
    static senti_model *m;
    if (m)
        return m;
    char path[4200];
    snprintf(path, sizeof path, "%s/tiny.gguf", fz_scratch_dir());
    fz_require(fz_tiny_model_write(path) == 0, "writing the tiny model");
    senti_err e;
    if (senti_model_load(path, NULL, &m, &e) != SENTI_OK) {
        fprintf(stderr, "fuzz: %s\n", e.msg);
        abort();
    }
    return m;
}
