/*
 * lora.c - LoRA adapters: creation, GGUF save/load, merging into a loaded
 * model for inference, and the adapter handle `senti classify --adapter`
 * uses (a LoRA GGUF or a head JSON).
 *
 * GGUF layout (docs/finetune.md; tensor names follow llama.cpp's adapters):
 *   general.type = "adapter", adapter.type = "lora", adapter.lora.alpha (f32),
 *   general.architecture = the base model's, senti.lora.rank (u32),
 *   senti.lora.targets (string, e.g. "q,v"), senti.base_model.sha256 (string);
 *   tensors blk.<l>.<proj>.weight.lora_a  F32 ne = [in, rank]   (A [rank][in])
 *           blk.<l>.<proj>.weight.lora_b  F32 ne = [rank, out]  (B [out][rank])
 *   with <proj> one of attn_q attn_k attn_v attn_output ffn_gate ffn_up ffn_down.
 *   Merged weight: W' = W + (alpha / rank) B A.
 */
#include "train_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "senti/gguf.h"
#include "senti/gguf_write.h"
#include "senti/quant.h"

static const char *const target_names[SENTI_LORA_N_TARGETS] = {"attn_q", "attn_k", "attn_v", "attn_output",
                                                               "ffn_gate", "ffn_up", "ffn_down"};
static const char *const target_short[SENTI_LORA_N_TARGETS] = {"q", "k", "v", "o", "gate", "up", "down"};

const char *senti_lora_target_name(int i) { return i >= 0 && i < SENTI_LORA_N_TARGETS ? target_names[i] : "?"; }

senti_status senti_lora_targets_parse(const char *s, unsigned *out, senti_err *err)
{
    unsigned t = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int i = 0; i < SENTI_LORA_N_TARGETS; i++)
            if (!strcmp(tok, target_short[i]) || !strcmp(tok, target_names[i]))
                found = i;
        if (found >= 0)
            t |= 1u << found;
        else if (!strcmp(tok, "mlp"))
            t |= SENTI_LORA_GATE | SENTI_LORA_UP | SENTI_LORA_DOWN;
        else if (!strcmp(tok, "all"))
            t |= (1u << SENTI_LORA_N_TARGETS) - 1;
        else
            return senti_err_set(err, SENTI_ERR_ARG, "--targets: unknown projection '%s' (q,k,v,o,gate,up,down,mlp,all)",
                                 tok);
    }
    if (!t)
        return senti_err_set(err, SENTI_ERR_ARG, "--targets: empty list");
    *out = t;
    return SENTI_OK;
}

static void targets_string(unsigned t, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; i < SENTI_LORA_N_TARGETS; i++)
        if (t & (1u << i)) {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, "%s%s", n ? "," : "", target_short[i]);
        }
}

/* The frozen matrix that target i of a layer adapts. */
static senti_mat *layer_mat(senti_layer *ly, int i)
{
    senti_mat *m[SENTI_LORA_N_TARGETS] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->gate, &ly->up, &ly->down};
    return m[i];
}

/* ---- allocation ---------------------------------------------------------------------------- */

static senti_lora *lora_alloc(const senti_model *m, int rank, float alpha, unsigned targets)
{
    const senti_hparams *hp = senti_model_hparams(m);
    senti_lora *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    const size_t nm = (size_t)hp->n_layer * SENTI_LORA_N_TARGETS;
    a->n_layer = hp->n_layer;
    a->rank = rank;
    a->alpha = alpha;
    a->targets = targets;
    a->A = calloc(nm, sizeof *a->A);
    a->B = calloc(nm, sizeof *a->B);
    a->in = calloc(SENTI_LORA_N_TARGETS, sizeof *a->in);
    a->out = calloc(SENTI_LORA_N_TARGETS, sizeof *a->out);
    if (!a->A || !a->B || !a->in || !a->out)
        goto fail;
    const int E = hp->n_embd, QD = hp->n_head * hp->head_dim, KV = hp->n_head_kv * hp->head_dim, F = hp->n_ff;
    const int in[] = {E, E, E, QD, E, E, F}, out[] = {QD, KV, KV, E, F, F, E};
    memcpy(a->in, in, sizeof in);
    memcpy(a->out, out, sizeof out);
    for (int l = 0; l < hp->n_layer; l++)
        for (int t = 0; t < SENTI_LORA_N_TARGETS; t++) {
            if (!(targets & (1u << t)))
                continue;
            size_t k = (size_t)l * SENTI_LORA_N_TARGETS + (size_t)t;
            a->A[k] = calloc((size_t)rank * (size_t)in[t], sizeof(float));
            a->B[k] = calloc((size_t)out[t] * (size_t)rank, sizeof(float));
            if (!a->A[k] || !a->B[k])
                goto fail;
        }
    return a;
fail:
    senti_lora_free(a);
    return NULL;
}

void senti_lora_free(senti_lora *a)
{
    if (!a)
        return;
    for (size_t k = 0; a->A && k < (size_t)a->n_layer * SENTI_LORA_N_TARGETS; k++) {
        free(a->A[k]);
        free(a->B[k]);
    }
    free(a->A);
    free(a->B);
    free(a->in);
    free(a->out);
    free(a);
}

senti_status senti_lora_new(const senti_model *m, int rank, float alpha, unsigned targets, uint64_t seed,
                            senti_lora **out, senti_err *err)
{
    *out = NULL;
    if (rank < 1 || rank > 1024 || !(alpha > 0) || !targets)
        return senti_err_set(err, SENTI_ERR_ARG, "lora: rank must be 1..1024, alpha > 0, at least one target");
    senti_lora *a = lora_alloc(m, rank, alpha, targets);
    if (!a)
        return senti_err_set(err, SENTI_ERR_NOMEM, "lora: out of memory");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)seed);
    for (int l = 0; l < a->n_layer; l++)
        for (int t = 0; t < SENTI_LORA_N_TARGETS; t++) {
            float *A = a->A[(size_t)l * SENTI_LORA_N_TARGETS + (size_t)t];
            if (!A)
                continue;
            double bound = 1.0 / sqrt((double)a->in[t]);
            for (size_t i = 0; i < (size_t)rank * (size_t)a->in[t]; i++)
                A[i] = (float)((2.0 * gsl_rng_uniform(rng) - 1.0) * bound);
        }
    gsl_rng_free(rng);
    snprintf(a->model_sha256, sizeof a->model_sha256, "%s", "");
    *out = a;
    return SENTI_OK;
}

senti_status ft_lora_like(const senti_lora *a, senti_lora **out, senti_err *err)
{
    *out = NULL;
    senti_lora *g = calloc(1, sizeof *g);
    if (!g)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    *g = *a;
    const size_t nm = (size_t)a->n_layer * SENTI_LORA_N_TARGETS;
    g->A = calloc(nm, sizeof *g->A);
    g->B = calloc(nm, sizeof *g->B);
    g->in = malloc(SENTI_LORA_N_TARGETS * sizeof *g->in);
    g->out = malloc(SENTI_LORA_N_TARGETS * sizeof *g->out);
    bool ok = g->A && g->B && g->in && g->out;
    if (ok) {
        memcpy(g->in, a->in, SENTI_LORA_N_TARGETS * sizeof *g->in);
        memcpy(g->out, a->out, SENTI_LORA_N_TARGETS * sizeof *g->out);
    }
    for (size_t k = 0; ok && k < nm; k++) {
        if (!a->A[k])
            continue;
        int t = (int)(k % SENTI_LORA_N_TARGETS);
        g->A[k] = calloc((size_t)a->rank * (size_t)a->in[t], sizeof(float));
        g->B[k] = calloc((size_t)a->out[t] * (size_t)a->rank, sizeof(float));
        ok = g->A[k] && g->B[k];
    }
    if (!ok) {
        senti_lora_free(g);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    *out = g;
    return SENTI_OK;
}

void ft_lora_zero(senti_lora *g)
{
    for (size_t k = 0; k < (size_t)g->n_layer * SENTI_LORA_N_TARGETS; k++) {
        if (!g->A[k])
            continue;
        int t = (int)(k % SENTI_LORA_N_TARGETS);
        memset(g->A[k], 0, (size_t)g->rank * (size_t)g->in[t] * sizeof(float));
        memset(g->B[k], 0, (size_t)g->out[t] * (size_t)g->rank * sizeof(float));
    }
}

void ft_lora_copy(senti_lora *dst, const senti_lora *src)
{
    for (size_t k = 0; k < (size_t)src->n_layer * SENTI_LORA_N_TARGETS; k++) {
        if (!src->A[k])
            continue;
        int t = (int)(k % SENTI_LORA_N_TARGETS);
        memcpy(dst->A[k], src->A[k], (size_t)src->rank * (size_t)src->in[t] * sizeof(float));
        memcpy(dst->B[k], src->B[k], (size_t)src->out[t] * (size_t)src->rank * sizeof(float));
    }
}

/* ---- GGUF ---------------------------------------------------------------------------------------- */

senti_status senti_lora_save(const senti_lora *a, const char *path, senti_err *err)
{
    senti_gguf_writer *w = senti_gguf_writer_new();
    if (!w)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    char tg[128], name[96];
    targets_string(a->targets, tg, sizeof tg);
    senti_status s = senti_gguf_writer_set_str(w, "general.type", "adapter");
    if (!s)
        s = senti_gguf_writer_set_str(w, "adapter.type", "lora");
    if (!s)
        s = senti_gguf_writer_set_f32(w, "adapter.lora.alpha", a->alpha);
    if (!s)
        s = senti_gguf_writer_set_u32(w, "senti.lora.rank", (uint32_t)a->rank);
    if (!s)
        s = senti_gguf_writer_set_str(w, "senti.lora.targets", tg);
    if (!s)
        s = senti_gguf_writer_set_str(w, "senti.base_model.sha256", a->model_sha256);
    for (int l = 0; l < a->n_layer && !s; l++)
        for (int t = 0; t < SENTI_LORA_N_TARGETS && !s; t++) {
            size_t k = (size_t)l * SENTI_LORA_N_TARGETS + (size_t)t;
            if (!a->A[k])
                continue;
            int64_t ne_a[2] = {a->in[t], a->rank}, ne_b[2] = {a->rank, a->out[t]};
            snprintf(name, sizeof name, "blk.%d.%s.weight.lora_a", l, target_names[t]);
            s = senti_gguf_writer_add_tensor(w, name, SENTI_TYPE_F32, 2, ne_a, a->A[k]);
            snprintf(name, sizeof name, "blk.%d.%s.weight.lora_b", l, target_names[t]);
            if (!s)
                s = senti_gguf_writer_add_tensor(w, name, SENTI_TYPE_F32, 2, ne_b, a->B[k]);
        }
    if (s)
        senti_err_set(err, s, "%s: cannot build the adapter", path);
    else
        s = senti_gguf_writer_write(w, path, err);
    senti_gguf_writer_free(w);
    return s;
}

static bool str_is(const senti_gguf *g, const char *key, const char *want)
{
    senti_str v;
    return senti_gguf_get_str(g, key, &v, NULL) == SENTI_OK && v.len == strlen(want) && !memcmp(v.ptr, want, v.len);
}

/* Parse "blk.<l>.<proj>.weight.lora_<a|b>". */
static bool parse_name(const char *name, int *layer, int *target, char *ab)
{
    char proj[32];
    int n = 0;
    if (sscanf(name, "blk.%d.%31[a-z_].weight.lora_%c%n", layer, proj, ab, &n) != 3 || name[n] != '\0')
        return false;
    for (int i = 0; i < SENTI_LORA_N_TARGETS; i++)
        if (!strcmp(proj, target_names[i])) {
            *target = i;
            return *ab == 'a' || *ab == 'b';
        }
    return false;
}

/* Rank, alpha and targets from the header and tensor names. */
static senti_status read_header(const senti_gguf *g, const char *path, int n_layer, int *rank, float *alpha,
                                unsigned *targets, senti_err *err)
{
    if (!str_is(g, "general.type", "adapter") || !str_is(g, "adapter.type", "lora"))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: not a LoRA adapter (general.type / adapter.type)", path);
    senti_status s = senti_gguf_get_f32(g, "adapter.lora.alpha", alpha, err);
    if (s)
        return s;
    *rank = 0;
    *targets = 0;
    for (size_t i = 0; i < senti_gguf_n_tensors(g); i++) {
        const senti_tensor *t = senti_gguf_tensor(g, i);
        int l, tg;
        char ab;
        if (!parse_name(t->name, &l, &tg, &ab) || l < 0 || l >= n_layer || t->type != SENTI_TYPE_F32 ||
            t->n_dims != 2)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: unexpected tensor '%s' in a LoRA adapter", path, t->name);
        int r = (int)(ab == 'a' ? t->ne[1] : t->ne[0]);
        if (*rank && r != *rank)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s' has rank %d, others %d", path, t->name, r,
                                 *rank);
        *rank = r;
        *targets |= 1u << tg;
    }
    if (*rank < 1 || !(*alpha > 0) || !isfinite(*alpha))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: no adapter tensors, or alpha <= 0", path);
    return SENTI_OK;
}

static senti_status read_tensors(const senti_gguf *g, const char *path, senti_lora *a, senti_err *err)
{
    char name[96];
    for (int l = 0; l < a->n_layer; l++)
        for (int t = 0; t < SENTI_LORA_N_TARGETS; t++) {
            size_t k = (size_t)l * SENTI_LORA_N_TARGETS + (size_t)t;
            if (!a->A[k])
                continue;
            for (int ab = 0; ab < 2; ab++) {
                snprintf(name, sizeof name, "blk.%d.%s.weight.lora_%c", l, target_names[t], ab ? 'b' : 'a');
                const senti_tensor *tt = senti_gguf_find_tensor(g, name);
                int64_t ne0 = ab ? a->rank : a->in[t], ne1 = ab ? a->out[t] : a->rank;
                if (!tt || tt->ne[0] != ne0 || tt->ne[1] != ne1)
                    return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s' missing or not [%lld, %lld]", path,
                                         name, (long long)ne0, (long long)ne1);
                const float *src = tt->data;
                float *dst = ab ? a->B[k] : a->A[k];
                for (size_t i = 0; i < (size_t)(ne0 * ne1); i++) {
                    if (!isfinite(src[i]))
                        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: '%s' holds a non-finite value", path, name);
                    dst[i] = src[i];
                }
            }
        }
    return SENTI_OK;
}

senti_status senti_lora_load(const char *path, const senti_model *m, senti_lora **out, senti_err *err)
{
    *out = NULL;
    senti_gguf *g;
    senti_status s = senti_gguf_open(path, &g, err);
    if (s)
        return s;
    int rank = 0;
    float alpha = 0.0f;
    unsigned targets = 0;
    senti_lora *a = NULL;
    s = read_header(g, path, senti_model_hparams(m)->n_layer, &rank, &alpha, &targets, err);
    if (!s && !(a = lora_alloc(m, rank, alpha, targets)))
        s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (!s)
        s = read_tensors(g, path, a, err);
    senti_str sha;
    if (!s && senti_gguf_get_str(g, "senti.base_model.sha256", &sha, NULL) == SENTI_OK && sha.len < 65) {
        memcpy(a->model_sha256, sha.ptr, sha.len);
        a->model_sha256[sha.len] = '\0';
    }
    senti_gguf_close(g);
    if (s) {
        senti_lora_free(a);
        return s;
    }
    *out = a;
    return SENTI_OK;
}

/* ---- adapters for classification -------------------------------------------------------------------- */

struct senti_adapter {
    senti_head *head;
    senti_lora *lora;
    senti_model *m;
    senti_mat *saved;   /* [n_layer * N_TARGETS] original views of merged matrices */
    float **merged;     /* [n_layer * N_TARGETS] f32 W + s B A, or NULL */
    double *x;          /* [n_feat] head features scratch */
};

/* Replace every adapted matrix of m by an f32 copy of W + (alpha/r) B A. */
static senti_status lora_merge(senti_adapter *ad, senti_err *err)
{
    const senti_lora *a = ad->lora;
    const size_t nm = (size_t)a->n_layer * SENTI_LORA_N_TARGETS;
    const float s = a->alpha / (float)a->rank;
    ad->saved = calloc(nm, sizeof *ad->saved);
    ad->merged = calloc(nm, sizeof *ad->merged);
    if (!ad->saved || !ad->merged)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nm; k++) {
        if (!a->A[k])
            continue;
        int l = (int)(k / SENTI_LORA_N_TARGETS), t = (int)(k % SENTI_LORA_N_TARGETS);
        senti_mat *W = layer_mat(&ad->m->layers[l], t);
        float *w = malloc((size_t)W->rows * (size_t)W->cols * sizeof *w);
        if (!w)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory merging the adapter");
        for (int64_t r = 0; r < W->rows; r++)
            senti_dequant_row(W->type, (const char *)W->data + (size_t)r * W->row_bytes, w + (size_t)r * W->cols,
                              W->cols);
        for (int64_t r = 0; r < W->rows; r++) /* w[r] += s sum_j B[r][j] A[j] */
            for (int j = 0; j < a->rank; j++) {
                float c = s * a->B[k][(size_t)r * a->rank + j];
                const float *Aj = a->A[k] + (size_t)j * W->cols;
                float *wr = w + (size_t)r * W->cols;
                for (int64_t i = 0; i < W->cols; i++)
                    wr[i] += c * Aj[i];
            }
        ad->saved[k] = *W;
        ad->merged[k] = w;
        W->data = w;
        W->type = SENTI_TYPE_F32;
        W->row_bytes = (size_t)W->cols * sizeof(float);
    }
    return SENTI_OK;
}

static senti_status check_head(senti_adapter *ad, const char *path, const senti_verbalizer *v, senti_err *err)
{
    const senti_head *h = ad->head;
    const int E = senti_model_hparams(ad->m)->n_embd;
    if ((size_t)h->n_labels != senti_verbalizer_n_labels(v))
        return senti_err_set(err, SENTI_ERR_ARG, "%s: head has %d labels, verbalizer %zu", path, h->n_labels,
                             senti_verbalizer_n_labels(v));
    for (int k = 0; k < h->n_labels; k++)
        if (strcmp(h->labels[k], senti_verbalizer_label(v, (size_t)k)) != 0)
            return senti_err_set(err, SENTI_ERR_ARG, "%s: head label %d is '%s', verbalizer has '%s'", path, k,
                                 h->labels[k], senti_verbalizer_label(v, (size_t)k));
    int want = E + (h->features == SENTI_HEAD_FEAT_HIDDEN_SCORES ? h->n_labels : 0);
    if (h->n_feat != want)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: head has %d features, this model gives %d", path, h->n_feat,
                             want);
    ad->x = malloc((size_t)h->n_feat * sizeof *ad->x);
    return ad->x ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
}

/* An adapter applies to the model it was trained on: the one whose SHA-256 it
 * records (an adapter that records none, as from before senti wrote it, is
 * taken on trust). Another file of the same shapes would run, silently wrong. */
static senti_status check_base_model(const char *path, const char *trained_on, senti_model *m, senti_err *err)
{
    const char *this_one = senti_model_sha256(m);
    if (!trained_on[0] || !this_one || !strcmp(trained_on, this_one))
        return SENTI_OK;
    return senti_err_set(err, SENTI_ERR_FORMAT, "%s: the adapter was trained on the model with SHA-256 %.16s..., "
                         "not on this one (%.16s...)", path, trained_on, this_one);
}

static bool is_gguf(const char *path)
{
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    if (!f)
        return false;
    size_t n = fread(magic, 1, 4, f);
    fclose(f);
    return n == 4 && !memcmp(magic, "GGUF", 4);
}

senti_status senti_adapter_load(const char *path, senti_model *m, const senti_verbalizer *v, senti_adapter **out,
                                senti_err *err)
{
    *out = NULL;
    senti_adapter *ad = calloc(1, sizeof *ad);
    if (!ad)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    ad->m = m;
    senti_status s;
    if (is_gguf(path)) {
        s = senti_lora_load(path, m, &ad->lora, err);
        if (!s)
            s = check_base_model(path, ad->lora->model_sha256, m, err);
        if (!s)
            s = lora_merge(ad, err);
    } else {
        s = senti_head_load(path, &ad->head, err);
        if (!s)
            s = check_base_model(path, ad->head->model_sha256, m, err);
        if (!s)
            s = check_head(ad, path, v, err);
    }
    if (s) {
        senti_adapter_free(ad);
        return s;
    }
    *out = ad;
    return SENTI_OK;
}

void senti_adapter_free(senti_adapter *ad)
{
    if (!ad)
        return;
    if (ad->merged) {
        for (size_t k = 0; k < (size_t)ad->lora->n_layer * SENTI_LORA_N_TARGETS; k++) {
            if (!ad->merged[k])
                continue;
            int l = (int)(k / SENTI_LORA_N_TARGETS), t = (int)(k % SENTI_LORA_N_TARGETS);
            *layer_mat(&ad->m->layers[l], t) = ad->saved[k]; /* unmerge */
            free(ad->merged[k]);
        }
    }
    free(ad->merged);
    free(ad->saved);
    free(ad->x);
    senti_lora_free(ad->lora);
    senti_head_free(ad->head);
    free(ad);
}

const char *senti_adapter_kind(const senti_adapter *a) { return a->head ? "head" : "lora"; }
bool senti_adapter_needs_hidden(const senti_adapter *a) { return a->head != NULL; }

void senti_adapter_rescore(const senti_adapter *a, const float *hidden, double *scores)
{
    const senti_head *h = a->head;
    if (!h)
        return;
    int E = h->n_feat - (h->features == SENTI_HEAD_FEAT_HIDDEN_SCORES ? h->n_labels : 0);
    for (int j = 0; j < E; j++)
        a->x[j] = hidden[j];
    if (h->features == SENTI_HEAD_FEAT_HIDDEN_SCORES)
        for (int k = 0; k < h->n_labels; k++)
            a->x[E + k] = scores[k];
    senti_head_predict(h, a->x, scores);
}
