/*
 * model.c - load a transformer from a GGUF file: architecture, hyper-parameters,
 * tokenizer and weight views, each tensor checked for presence, type and shape.
 *
 * Contract:
 *   - Only the architectures llama, qwen2 and gemma3 are accepted; any other
 *     general.architecture is refused by name (SENTI_ERR_UNSUPPORTED).
 *   - Every tensor the architecture needs must be present with the exact shape
 *     the hyper-parameters imply and a type senti/quant.h supports; a tensor
 *     the architecture does not use is refused too (as llama.cpp does), so a
 *     file is either understood completely or not at all.
 *   - Facts that the GGUF does not store are taken from llama.cpp's loader:
 *     gemma3 layers are local (sliding window, rope base 10000) except every
 *     6th, attention scale 1/sqrt(key_length), embeddings scaled by sqrt(n_embd);
 *     the converter has already added 1 to gemma's norm weights.
 *   - Large matrices stay in the read-only map; 1-D tensors are dequantized
 *     once into f32 arrays owned by the model.
 */
#include "model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/quant.h"

/* ---- loader state --------------------------------------------------------- */

typedef struct {
    senti_model *m;
    const senti_gguf *g;
    char prefix[40];               /* "<arch>." for metadata keys */
    const senti_tensor **used;     /* [n_tensors] tensors consumed so far */
    size_t n_used;
} loader;

senti_model_params senti_model_default_params(void)
{
    senti_model_params p = {.n_threads = 0};
    return p;
}

/* ---- metadata helpers ------------------------------------------------------- */

static const char *arch_key(loader *L, const char *suffix, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s", L->prefix, suffix);
    return buf;
}

/* Required positive integer "<arch>.<suffix>". */
static senti_status req_int(loader *L, const char *suffix, int *out, senti_err *err)
{
    char key[128];
    uint32_t v;
    senti_status s = senti_gguf_get_u32(L->g, arch_key(L, suffix, key, sizeof key), &v, err);
    if (s)
        return s;
    if (v == 0 || v > (1u << 30))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: value %u out of range", senti_gguf_path(L->g), key, v);
    *out = (int)v;
    return SENTI_OK;
}

/* Optional integer: *out unchanged when the key is absent. */
static senti_status opt_int(loader *L, const char *suffix, int *out, senti_err *err)
{
    char key[128];
    arch_key(L, suffix, key, sizeof key);
    if (senti_gguf_find_key(L->g, key) < 0)
        return SENTI_OK;
    uint32_t v;
    senti_status s = senti_gguf_get_u32(L->g, key, &v, err);
    if (s)
        return s;
    if (v > (1u << 30))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: value %u out of range", senti_gguf_path(L->g), key, v);
    *out = (int)v;
    return SENTI_OK;
}

static senti_status opt_f32(loader *L, const char *suffix, float *out, senti_err *err)
{
    char key[128];
    arch_key(L, suffix, key, sizeof key);
    if (senti_gguf_find_key(L->g, key) < 0)
        return SENTI_OK;
    float v;
    senti_status s = senti_gguf_get_f32(L->g, key, &v, err);
    if (s)
        return s;
    if (!isfinite(v))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: not a finite number", senti_gguf_path(L->g), key);
    *out = v;
    return SENTI_OK;
}

/* ---- tensor helpers ---------------------------------------------------------- */

static bool type_ok(int type) { return senti_type_info(type) && senti_type_info(type)->supported; }

/* Look up `name`; check dims == (ne0[, ne1]) and a supported type.
 * Returns NULL with *st = OK when absent and optional. */
static const senti_tensor *find_checked(loader *L, const char *name, int n_dims, int64_t ne0, int64_t ne1,
                                        bool required, senti_status *st, senti_err *err)
{
    *st = SENTI_OK;
    const senti_tensor *t = senti_gguf_find_tensor(L->g, name);
    if (!t) {
        if (required)
            *st = senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: missing tensor '%s' (architecture %s)",
                                senti_gguf_path(L->g), name, L->m->hp.arch_name);
        return NULL;
    }
    int64_t want[SENTI_GGUF_MAX_DIMS] = {ne0, n_dims > 1 ? ne1 : 1, 1, 1};
    bool shape_ok = t->n_dims <= 2 || (t->ne[2] == 1 && t->ne[3] == 1);
    for (int d = 0; d < 2; d++)
        shape_ok = shape_ok && t->ne[d] == want[d];
    if (!shape_ok) {
        *st = senti_err_set(err, SENTI_ERR_FORMAT,
                            "%s: tensor '%s' has shape [%lld, %lld], expected [%lld, %lld] for %s",
                            senti_gguf_path(L->g), name, (long long)t->ne[0], (long long)t->ne[1],
                            (long long)want[0], (long long)want[1], L->m->hp.arch_name);
        return NULL;
    }
    if (!type_ok(t->type) || senti_type_row_size(t->type, t->ne[0]) == 0) {
        *st = senti_err_set(err, SENTI_ERR_UNSUPPORTED, "%s: tensor '%s' has unsupported type %s (id %d)",
                            senti_gguf_path(L->g), name, senti_type_name(t->type), t->type);
        return NULL;
    }
    for (size_t i = 0; i < L->n_used; i++)
        if (L->used[i] == t)
            return t; /* tied output: token_embd used twice */
    L->used[L->n_used++] = t;
    return t;
}

static senti_status get_mat(loader *L, const char *name, int64_t cols, int64_t rows, bool required,
                            senti_mat *out, senti_err *err)
{
    senti_status st;
    memset(out, 0, sizeof *out);
    const senti_tensor *t = find_checked(L, name, 2, cols, rows, required, &st, err);
    if (!t)
        return st;
    out->data = t->data;
    out->type = t->type;
    out->rows = rows;
    out->cols = cols;
    out->row_bytes = senti_type_row_size(t->type, cols);
    return SENTI_OK;
}

/* Dequantize a 1-D tensor of n elements into an f32 array owned by the model. */
static senti_status get_vec(loader *L, const char *name, int64_t n, bool required, float **out,
                            senti_err *err)
{
    senti_status st;
    *out = NULL;
    const senti_tensor *t = find_checked(L, name, 1, n, 1, required, &st, err);
    if (!t)
        return st;
    float *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory for tensor '%s'", name);
    senti_dequant_row(t->type, t->data, v, n);
    senti_model *m = L->m;
    m->owned[m->n_owned++] = v;
    *out = v;
    return SENTI_OK;
}

/* ---- hyper-parameters ---------------------------------------------------------- */

static senti_status read_arch(loader *L, senti_err *err)
{
    senti_hparams *hp = &L->m->hp;
    senti_str a;
    senti_status s = senti_gguf_get_str(L->g, "general.architecture", &a, err);
    if (s)
        return s;
    if (a.len >= sizeof hp->arch_name)
        a.len = sizeof hp->arch_name - 1;
    memcpy(hp->arch_name, a.ptr, a.len);
    hp->arch_name[a.len] = '\0';
    if (!strcmp(hp->arch_name, "llama"))
        hp->arch = SENTI_ARCH_LLAMA;
    else if (!strcmp(hp->arch_name, "qwen2"))
        hp->arch = SENTI_ARCH_QWEN2;
    else if (!strcmp(hp->arch_name, "gemma3"))
        hp->arch = SENTI_ARCH_GEMMA3;
    else
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED,
                             "%s: architecture '%s' is not supported (supported: llama, qwen2, gemma3)",
                             senti_gguf_path(L->g), hp->arch_name);
    snprintf(L->prefix, sizeof L->prefix, "%s.", hp->arch_name);
    return SENTI_OK;
}

/* Rope scaling: "none" or "linear" (factor f divides positions); others refused. */
static senti_status read_rope_scaling(loader *L, senti_err *err)
{
    senti_model *m = L->m;
    char key[128];
    float factor = 0.0f;
    senti_status s;
    m->rope_freq_scale = 1.0f;
    arch_key(L, "rope.scaling.type", key, sizeof key);
    if (senti_gguf_find_key(L->g, key) >= 0) {
        senti_str t;
        if ((s = senti_gguf_get_str(L->g, key, &t, err)))
            return s;
        bool none = t.len == 4 && !memcmp(t.ptr, "none", 4);
        bool linear = t.len == 6 && !memcmp(t.ptr, "linear", 6);
        if (!none && !linear)
            return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "%s: %s: rope scaling '%.*s' is not supported",
                                 senti_gguf_path(L->g), key, (int)t.len, t.ptr);
        if (none)
            return SENTI_OK;
    }
    if ((s = opt_f32(L, "rope.scaling.factor", &factor, err)))
        return s;
    if (factor == 0.0f && (s = opt_f32(L, "rope.scale_linear", &factor, err)))
        return s;
    if (factor < 0.0f)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %srope.scaling.factor: negative", senti_gguf_path(L->g),
                             L->prefix);
    if (factor > 0.0f)
        m->rope_freq_scale = 1.0f / factor;
    return SENTI_OK;
}

static senti_status read_gemma3(loader *L, senti_err *err)
{
    senti_model *m = L->m;
    senti_hparams *hp = &m->hp;
    senti_status s;
    hp->rope_neox = true;
    hp->rope_base_local = 10000.0f;
    hp->swa_pattern = 6;
    if ((s = opt_int(L, "attention.sliding_window", &hp->sliding_window, err)) ||
        (s = opt_int(L, "attention.sliding_window_pattern", &hp->swa_pattern, err)) ||
        (s = opt_f32(L, "rope.freq_base_swa", &hp->rope_base_local, err)))
        return s;
    if (hp->sliding_window > 0 && hp->swa_pattern < 1)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %sattention.sliding_window_pattern: 0 with a sliding window",
                             senti_gguf_path(L->g), L->prefix);
    if (hp->sliding_window == 0) {
        /* Without sliding-window layers llama.cpp applies the final softcap. */
        if ((s = opt_f32(L, "final_logit_softcapping", &m->final_softcap, err)))
            return s;
    }
    m->embd_scale = sqrtf((float)hp->n_embd);
    m->gelu = true;
    /* 27B (62 layers) scales by n_embd / n_head instead of the key length. */
    int scale_dim = hp->n_layer == 62 ? hp->n_embd / hp->n_head : hp->head_dim;
    m->attn_scale = 1.0f / sqrtf((float)scale_dim);
    return SENTI_OK;
}

static senti_status read_hparams(loader *L, senti_err *err)
{
    senti_model *m = L->m;
    senti_hparams *hp = &m->hp;
    senti_status s;
    if ((s = req_int(L, "embedding_length", &hp->n_embd, err)) || (s = req_int(L, "block_count", &hp->n_layer, err)) ||
        (s = req_int(L, "attention.head_count", &hp->n_head, err)) ||
        (s = req_int(L, "feed_forward_length", &hp->n_ff, err)))
        return s;
    /* Every layer has at least 9 tensors; a larger count would only size
     * allocations (found by fuzzing: a 20 KB file asked for a 5.8 GB calloc). */
    if ((size_t)hp->n_layer > senti_gguf_n_tensors(L->g) / 9)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: block_count %d, but %zu tensors hold at most %zu layers",
                             senti_gguf_path(L->g), hp->n_layer, senti_gguf_n_tensors(L->g),
                             senti_gguf_n_tensors(L->g) / 9);
    hp->n_head_kv = hp->n_head;
    hp->n_ctx_train = 2048;
    hp->norm_eps = 1e-5f;
    hp->rope_base = 10000.0f;
    if ((s = opt_int(L, "attention.head_count_kv", &hp->n_head_kv, err)) ||
        (s = opt_int(L, "context_length", &hp->n_ctx_train, err)) ||
        (s = opt_f32(L, "attention.layer_norm_rms_epsilon", &hp->norm_eps, err)) ||
        (s = opt_f32(L, "rope.freq_base", &hp->rope_base, err)))
        return s;
    if (hp->n_ctx_train < 1)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: context_length %d: need at least 1",
                             senti_gguf_path(L->g), hp->n_ctx_train);
    if (hp->n_head_kv < 1 || hp->n_head % hp->n_head_kv != 0)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: head_count %d is not a multiple of head_count_kv %d",
                             senti_gguf_path(L->g), hp->n_head, hp->n_head_kv);
    hp->head_dim = hp->n_embd / hp->n_head;
    int v_len = 0;
    if ((s = opt_int(L, "attention.key_length", &hp->head_dim, err)) ||
        (s = opt_int(L, "attention.value_length", &v_len, err)))
        return s;
    if (v_len && v_len != hp->head_dim)
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "%s: key_length %d != value_length %d",
                             senti_gguf_path(L->g), hp->head_dim, v_len);
    hp->rope_dim = hp->head_dim;
    if ((s = opt_int(L, "rope.dimension_count", &hp->rope_dim, err)))
        return s;
    if (hp->head_dim < 2 || hp->rope_dim < 2 || hp->rope_dim % 2 || hp->rope_dim > hp->head_dim ||
        hp->norm_eps <= 0.0f || hp->rope_base <= 0.0f)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: inconsistent head_dim %d / rope_dim %d / eps / base",
                             senti_gguf_path(L->g), hp->head_dim, hp->rope_dim);
    hp->rope_base_local = hp->rope_base;
    hp->rope_neox = hp->arch != SENTI_ARCH_LLAMA;
    m->embd_scale = 1.0f;
    m->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
    if ((s = read_rope_scaling(L, err)))
        return s;
    if (hp->arch == SENTI_ARCH_GEMMA3 && (s = read_gemma3(L, err)))
        return s;
    return SENTI_OK;
}

/* ---- tensors --------------------------------------------------------------------- */

static senti_status load_layer(loader *L, int il, senti_err *err)
{
    senti_model *m = L->m;
    const senti_hparams *hp = &m->hp;
    senti_layer *ly = &m->layers[il];
    const int64_t E = hp->n_embd, Q = (int64_t)hp->n_head * hp->head_dim;
    const int64_t KV = (int64_t)hp->n_head_kv * hp->head_dim, F = hp->n_ff;
    const bool qwen = hp->arch == SENTI_ARCH_QWEN2, gemma = hp->arch == SENTI_ARCH_GEMMA3;
    char n[18][64];
    const char *suffix[18] = {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
                              "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_q_norm.weight",
                              "attn_k_norm.weight", "attn_output.weight", "post_attention_norm.weight",
                              "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
                              "post_ffw_norm.weight", "", ""};
    for (int i = 0; i < 16; i++)
        snprintf(n[i], sizeof n[i], "blk.%d.%s", il, suffix[i]);
    senti_status s;
    if ((s = get_vec(L, n[0], E, true, &ly->attn_norm, err)) || (s = get_mat(L, n[1], E, Q, true, &ly->wq, err)) ||
        (s = get_mat(L, n[2], E, KV, true, &ly->wk, err)) || (s = get_mat(L, n[3], E, KV, true, &ly->wv, err)) ||
        (s = get_vec(L, n[4], Q, qwen, &ly->bq, err)) || (s = get_vec(L, n[5], KV, qwen, &ly->bk, err)) ||
        (s = get_vec(L, n[6], KV, qwen, &ly->bv, err)) ||
        (s = get_vec(L, n[7], hp->head_dim, gemma, &ly->q_norm, err)) ||
        (s = get_vec(L, n[8], hp->head_dim, gemma, &ly->k_norm, err)) ||
        (s = get_mat(L, n[9], Q, E, true, &ly->wo, err)) ||
        (s = get_vec(L, n[10], E, gemma, &ly->post_attn_norm, err)) ||
        (s = get_vec(L, n[11], E, true, &ly->ffn_norm, err)) || (s = get_mat(L, n[12], E, F, true, &ly->gate, err)) ||
        (s = get_mat(L, n[13], E, F, true, &ly->up, err)) || (s = get_mat(L, n[14], F, E, true, &ly->down, err)) ||
        (s = get_vec(L, n[15], E, gemma, &ly->post_ffw_norm, err)))
        return s;
    /* gemma3: every swa_pattern-th layer (counting from 1) is global. */
    ly->is_swa = gemma && hp->sliding_window > 0 && (il % hp->swa_pattern) < hp->swa_pattern - 1;
    return SENTI_OK;
}

static senti_status load_tensors(loader *L, senti_err *err)
{
    senti_model *m = L->m;
    senti_hparams *hp = &m->hp;
    senti_status s;
    const size_t n_t = senti_gguf_n_tensors(L->g);
    /* Each layer owns at most 12 f32 arrays, plus output_norm and rope_freqs. */
    m->owned = calloc((size_t)hp->n_layer * 12 + 4, sizeof *m->owned);
    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    L->used = calloc(n_t + 1, sizeof *L->used);
    if (!m->owned || !m->layers || !L->used)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory loading %s", senti_gguf_path(L->g));
    if ((s = get_mat(L, "token_embd.weight", hp->n_embd, hp->n_vocab, true, &m->tok_embd, err)) ||
        (s = get_vec(L, "output_norm.weight", hp->n_embd, true, &m->output_norm, err)) ||
        (s = get_mat(L, "output.weight", hp->n_embd, hp->n_vocab, false, &m->output, err)) ||
        (s = get_vec(L, "rope_freqs.weight", hp->rope_dim / 2, false, &m->rope_freqs, err)))
        return s;
    hp->tied_output = m->output.data == NULL;
    if (hp->tied_output)
        m->output = m->tok_embd;
    for (int il = 0; il < hp->n_layer; il++)
        if ((s = load_layer(L, il, err)))
            return s;
    hp->n_params = 0;
    for (size_t i = 0; i < n_t; i++) {
        const senti_tensor *t = senti_gguf_tensor(L->g, i);
        hp->n_params += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
        bool used = false;
        for (size_t j = 0; j < L->n_used && !used; j++)
            used = L->used[j] == t;
        if (!used)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: unexpected tensor '%s' for architecture %s",
                                 senti_gguf_path(L->g), t->name, hp->arch_name);
    }
    return SENTI_OK;
}

/* ---- public API ---------------------------------------------------------------------- */

static senti_status load_all(loader *L, const char *path, senti_err *err)
{
    senti_model *m = L->m;
    senti_status s;
    if ((s = senti_gguf_open(path, &m->gguf, err)))
        return s;
    L->g = m->gguf;
    if ((s = read_arch(L, err)) || (s = read_hparams(L, err)))
        return s;
    if ((s = senti_tokenizer_load(m->gguf, &m->tok, err)))
        return s;
    m->hp.n_vocab = (int)senti_tokenizer_n_vocab(m->tok);
    int meta_vocab = 0;
    if ((s = opt_int(L, "vocab_size", &meta_vocab, err)))
        return s;
    if (meta_vocab && meta_vocab != m->hp.n_vocab)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %svocab_size %d != %d tokens in the vocabulary", path,
                             L->prefix, meta_vocab, m->hp.n_vocab);
    return load_tensors(L, err);
}

senti_status senti_model_load(const char *path, const senti_model_params *params, senti_model **out,
                              senti_err *err)
{
    if (!path || !out)
        return senti_err_set(err, SENTI_ERR_ARG, "senti_model_load: NULL argument");
    *out = NULL;
    senti_model *m = calloc(1, sizeof *m);
    if (!m)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    loader L = {.m = m};
    senti_status s = load_all(&L, path, err);
    free(L.used);
    if (s) {
        senti_model_free(m);
        return s;
    }
    if (params && params->n_threads > 0)
        senti_set_threads(params->n_threads);
    *out = m;
    return SENTI_OK;
}

void senti_model_free(senti_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_owned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    senti_tokenizer_free(m->tok);
    senti_gguf_close(m->gguf);
    free(m);
}

const senti_hparams *senti_model_hparams(const senti_model *m) { return &m->hp; }
const senti_tokenizer *senti_model_tokenizer(const senti_model *m) { return m->tok; }
const senti_gguf *senti_model_gguf(const senti_model *m) { return m->gguf; }

const char *senti_model_sha256(senti_model *m)
{
    if (!m->sha_done) {
        size_t size = 0;
        const void *data = senti_gguf_data(m->gguf, &size);
        senti_sha256_hex(data, size, m->sha);
        m->sha_done = true;
    }
    return m->sha;
}
