/*
 * gen_corpus.c - writes the binary seeds of the fuzz corpora with the
 * project's own writers (`make fuzz-corpus`; the outputs are committed):
 *   corpus/gguf/tiny.gguf        the tiny model (fuzz_util.c)
 *   corpus/adapter/lora.gguf     a rank-2 LoRA adapter (q, v) for it
 *   corpus/adapter/head.json     a head for it (16 features, neg/pos)
 *   corpus/scorecache/two.scores two records and a torn third one
 * Text seeds (CSV, JSON) are written by hand and live beside these.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/finetune.h"
#include "senti/model.h"
#include "senti/scorecache.h"

static int fail(const char *what, const senti_err *e)
{
    fprintf(stderr, "gen_corpus: %s: %s\n", what, e ? e->msg : "failed");
    return 1;
}

static int write_lora(const senti_model *m, const char *path)
{
    senti_lora *a;
    senti_err e;
    if (senti_lora_new(m, 2, 4.0f, SENTI_LORA_Q | SENTI_LORA_V, 7, &a, &e))
        return fail("senti_lora_new", &e);
    for (size_t k = 0; k < (size_t)a->n_layer * SENTI_LORA_N_TARGETS; k++) /* B = 0 merges to nothing */
        if (a->B[k])
            for (int i = 0; i < a->out[k % SENTI_LORA_N_TARGETS] * a->rank; i++)
                a->B[k][i] = 0.01f * (float)(i % 7 - 3);
    senti_status s = senti_lora_save(a, path, &e);
    senti_lora_free(a);
    return s ? fail(path, &e) : 0;
}

static int write_head(int n_feat, const char *path)
{
    senti_head h = {.n_labels = 2, .n_feat = n_feat, .features = SENTI_HEAD_FEAT_HIDDEN, .lambda = 0.01};
    char *labels[2] = {"neg", "pos"};
    double mean[64], scale[64], W[128], b[2] = {0.125, -0.125};
    if (n_feat > 64)
        return fail("head wider than 64", NULL);
    for (int j = 0; j < n_feat; j++) {
        mean[j] = 0.01 * (j % 3);
        scale[j] = 1.0 + 0.1 * (j % 4);
        W[j] = 0.2 * (j % 5) - 0.4;
        W[n_feat + j] = -W[j];
    }
    h.labels = labels, h.mean = mean, h.scale = scale, h.W = W, h.b = b;
    senti_err e;
    return senti_head_save(&h, path, &e) ? fail(path, &e) : 0;
}

/* Two good records, then the first 20 bytes of a third (a torn tail). */
static int write_scores(const char *dir)
{
    static const char sha[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    senti_score_cache *c;
    senti_err e;
    if (senti_score_cache_open(dir, sha, &c, &e))
        return fail(dir, &e);
    uint8_t key[32];
    const double s2[2] = {-0.5, -0.9}, s3[3] = {-1.0, -2.0, -3.0};
    senti_score_cache_key(c, "Review: fine\n", 13, "Sentiment:", 10, "neg:bad|pos:good", key);
    senti_status s = senti_score_cache_put(c, key, 2, s2, 12, &e);
    senti_score_cache_key(c, "Review: dull\n", 13, "Sentiment:", 10, "a|b|c", key);
    if (!s)
        s = senti_score_cache_put(c, key, 3, s3, 11, &e);
    senti_score_cache_close(c);
    if (s)
        return fail("put", &e);
    char path[4400], out[4400];
    snprintf(path, sizeof path, "%s/%s.scores", dir, sha);
    snprintf(out, sizeof out, "%s/two.scores", dir);
    FILE *f = fopen(path, "ab");
    int bad = !f || fwrite(key, 1, 20, f) != 20;
    if (f && fclose(f))
        bad = 1;
    return bad || rename(path, out) ? fail("torn tail", NULL) : 0;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    char path[4200];
    snprintf(path, sizeof path, "%s/gguf/tiny.gguf", root);
    if (fz_tiny_model_write(path))
        return fail(path, NULL);
    senti_model *m;
    senti_err e;
    if (senti_model_load(path, NULL, &m, &e))
        return fail(path, &e);
    snprintf(path, sizeof path, "%s/adapter/lora.gguf", root);
    int bad = write_lora(m, path);
    snprintf(path, sizeof path, "%s/adapter/head.json", root);
    bad = bad || write_head(senti_model_hparams(m)->n_embd, path);
    senti_model_free(m);
    snprintf(path, sizeof path, "%s/scorecache", root);
    return bad || write_scores(path);
}
