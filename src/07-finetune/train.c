/*
 * train.c - the LoRA trainer of one sequence: the training forward pass
 * (keeping every activation the backward pass needs) and the backward pass
 * into LoRA factors (the loop around it: train_loop.c).
 *
 * Contract:
 *   - One sequence at a time, all T positions through every layer (no KV
 *     cache). Single-token label words: outputs only at the last position,
 *     the label-word logits z_w = softcap(W_out[token_w] . rmsnorm(x_T-1));
 *     the label scores are aggregated from them exactly as the scorer
 *     aggregates log-probs (the full-vocabulary log-sum-exp is common to
 *     every label and cancels in the softmax over labels, so it is not
 *     computed).
 *   - A label word of n > 1 tokens is scored on its own sequence, the prompt
 *     followed by the word's first n - 1 tokens: its log-prob is z_w of its
 *     first token plus the full-vocabulary log-softmax of each later token at
 *     the position before it (the scorer's word branches). Positions up to
 *     T-1 are those of the prompt alone (causal attention), so the last
 *     word's sequence also carries the gradient of every first token. With
 *     length normalization the log-sum-exp at T-1 no longer cancels and is
 *     computed too.
 *   - Formulas are those of forward.c (llama, qwen2 biases, gemma3 q/k norms,
 *     post-norms, GELU-tanh, sliding window, embedding scale, final softcap).
 *   - Base weights are frozen; they are read as f32 copies made once
 *     (cache_f32) or dequantized tile by tile at every use.
 *   - The trainer allocates everything at creation for T_max prompt tokens
 *     plus the longest word's extra tokens, except the LoRA intermediates,
 *     sized at the first run for the adapter's rank.
 */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "senti/quant.h"

#include "00-base/base.h"

#define NT SENTI_LORA_N_TARGETS
#define VCHUNK 2048 /* vocabulary rows per block of the full log-softmax (fixed: sums do not depend on threads) */

/* Activations of one layer, each [T_cap][...] (shapes beside each). */
typedef struct {
    float *x_in;   /* [T][E] residual entering the layer */
    float *xn_a;   /* [T][E] attention input norm */
    float *rstd_a; /* [T] */
    float *q_raw;  /* [T][QD] projection output (+ bias) */
    float *k_raw;  /* [T][KV] */
    float *rstd_q; /* [T*H] gemma q norm */
    float *rstd_k; /* [T*Hkv] */
    float *q, *k;  /* [T][QD], [T][KV] normed and rotated */
    float *v;      /* [T][KV] */
    float *P;      /* [H][T][T] attention weights */
    float *att;    /* [T][QD] attention output */
    float *ao;     /* [T][E] output projection */
    float *rstd_pa;/* [T] gemma post-attention norm */
    float *x_mid;  /* [T][E] residual after attention */
    float *xn_f;   /* [T][E] */
    float *rstd_f; /* [T] */
    float *g, *u;  /* [T][F] gate / up */
    float *h;      /* [T][F] act(g) * u */
    float *fo;     /* [T][E] down projection */
    float *rstd_pf;/* [T] */
    float *xa[NT]; /* [T][rank] LoRA intermediates x A^T */
} layer_act;

struct ft_trainer {
    const senti_model *m;
    const senti_hparams *hp;
    senti_label_words w; /* one token per word (the first) for tk_label_loss */
    int32_t *word_tok;  /* [n_words] first token of each word */
    float *out_rows;    /* [n_words][E] output-matrix rows of those tokens */
    int *wlen;          /* [n_words] tokens of each word */
    int32_t *wtoks;     /* the words' tokens, word j from wfirst[j] */
    int *wfirst;        /* [n_words] */
    senti_agg agg;
    bool length_norm;   /* scores divide each word's log-prob by its length */
    bool multi;         /* some word has more than one token */
    int T_max, T_cap, rank; /* prompt tokens; prompt + longest word - 1 */
    int32_t *seq;       /* [T_cap] prompt + a word's leading tokens */
    float *vlog;        /* [n_vocab] softcapped logits at one position */
    float *vrow, *vpart;/* [n_chunks][E] dequantized row, partial d h per vocabulary chunk */
    float *hpos, *dhpos;/* [E] normed hidden state at one position, its gradient */
    float **w32;        /* [n_layer * NT] f32 copies, or NULL */
    float *tile;        /* [tile_rows][max cols] */
    int tile_rows;
    float *cs[2], *sn[2]; /* [T_cap][half] rope tables (global, local) */
    layer_act *acts;    /* [n_layer] */
    float *x_final;     /* [T][E] */
    float hfin_rstd;
    float *hfin;        /* [E] */
    /* backward scratch */
    float *dx;          /* [T][E] */
    float *d1, *d2;     /* [T][max(E, F, QD)] */
    float *dq, *dk, *dv;/* [T][QD], [T][KV] x2 */
    float *dg, *du;     /* [T][F] */
    float *scratch;     /* [T][T] */
    float *dxa;         /* [T][rank] */
    float **owned;      /* everything above, for freeing */
    size_t n_owned;
};

/* ---- set-up --------------------------------------------------------------------------------- */

static float *own(ft_trainer *tr, size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    if (p)
        tr->owned[tr->n_owned++] = p;
    return p;
}

static const senti_mat *target_mat(const senti_layer *ly, int t)
{
    const senti_mat *m[NT] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->gate, &ly->up, &ly->down};
    return m[t];
}

static senti_status alloc_acts(ft_trainer *tr)
{
    const senti_hparams *hp = tr->hp;
    const size_t T = (size_t)tr->T_cap, E = (size_t)hp->n_embd, F = (size_t)hp->n_ff;
    const size_t QD = (size_t)hp->n_head * hp->head_dim, KV = (size_t)hp->n_head_kv * hp->head_dim;
    for (int l = 0; l < hp->n_layer; l++) {
        layer_act *a = &tr->acts[l];
        float **bufs[] = {&a->x_in, &a->xn_a, &a->rstd_a, &a->q_raw, &a->k_raw, &a->rstd_q, &a->rstd_k, &a->q,
                          &a->k, &a->v, &a->P, &a->att, &a->ao, &a->rstd_pa, &a->x_mid, &a->xn_f, &a->rstd_f,
                          &a->g, &a->u, &a->h, &a->fo, &a->rstd_pf};
        size_t sizes[] = {T * E, T * E, T, T * QD, T * KV, T * hp->n_head, T * hp->n_head_kv, T * QD, T * KV,
                          T * KV, (size_t)hp->n_head * T * T, T * QD, T * E, T, T * E, T * E, T, T * F, T * F,
                          T * F, T * E, T};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            if (!(*bufs[i] = own(tr, sizes[i])))
                return SENTI_ERR_NOMEM;
    }
    size_t mx = E > F ? E : F;
    mx = mx > QD ? mx : QD;
    tr->x_final = own(tr, T * E);
    tr->hfin = own(tr, E);
    tr->dx = own(tr, T * E);
    tr->d1 = own(tr, T * mx);
    tr->d2 = own(tr, T * mx);
    tr->dq = own(tr, T * QD);
    tr->dk = own(tr, T * KV);
    tr->dv = own(tr, T * KV);
    tr->dg = own(tr, T * F);
    tr->du = own(tr, T * F);
    tr->scratch = own(tr, T * T);
    for (int s = 0; s < 2; s++) {
        tr->cs[s] = own(tr, T * (size_t)(hp->rope_dim / 2));
        tr->sn[s] = own(tr, T * (size_t)(hp->rope_dim / 2));
    }
    tr->tile_rows = 64;
    tr->tile = own(tr, (size_t)tr->tile_rows * mx);
    if (tr->multi) { /* full-vocabulary log-softmax at the words' later tokens */
        size_t nc = ((size_t)tr->m->output.rows + VCHUNK - 1) / VCHUNK;
        tr->vlog = own(tr, (size_t)tr->m->output.rows);
        tr->vrow = own(tr, nc * E);
        tr->vpart = own(tr, nc * E);
        tr->hpos = own(tr, E);
        tr->dhpos = own(tr, E);
        tr->seq = malloc(T * sizeof *tr->seq);
        if (!tr->vlog || !tr->vrow || !tr->vpart || !tr->hpos || !tr->dhpos || !tr->seq)
            return SENTI_ERR_NOMEM;
    }
    return tr->x_final && tr->hfin && tr->dx && tr->d1 && tr->d2 && tr->dq && tr->dk && tr->dv && tr->dg && tr->du &&
                   tr->scratch && tr->cs[1] && tr->sn[1] && tr->tile
               ? SENTI_OK
               : SENTI_ERR_NOMEM;
}

/* cos/sin tables as forward.c builds them: theta_i = pos * scale * base^(-2i/rope_dim) (/ freq factor). */
static void rope_tables(ft_trainer *tr)
{
    const senti_model *m = tr->m;
    const int half = m->hp.rope_dim / 2;
    const float bases[2] = {m->hp.rope_base, m->hp.rope_base_local};
    for (int set = 0; set < 2; set++) {
        float scale = set == 0 ? m->rope_freq_scale : 1.0f;
        for (int t = 0; t < tr->T_cap; t++)
            for (int i = 0; i < half; i++) {
                double inv = pow((double)bases[set], -2.0 * i / m->hp.rope_dim);
                double theta = (double)t * scale * inv;
                if (m->rope_freqs && set == 0)
                    theta /= m->rope_freqs[i];
                tr->cs[set][(size_t)t * half + i] = (float)cos(theta);
                tr->sn[set][(size_t)t * half + i] = (float)sin(theta);
            }
    }
}

static senti_status cache_weights(ft_trainer *tr)
{
    const senti_hparams *hp = tr->hp;
    tr->w32 = calloc((size_t)hp->n_layer * NT, sizeof *tr->w32);
    if (!tr->w32)
        return SENTI_ERR_NOMEM;
    for (int l = 0; l < hp->n_layer; l++)
        for (int t = 0; t < NT; t++) {
            const senti_mat *W = target_mat(&tr->m->layers[l], t);
            float *w = malloc((size_t)W->rows * (size_t)W->cols * sizeof *w);
            if (!w)
                return SENTI_ERR_NOMEM;
            tr->w32[(size_t)l * NT + t] = w;
            for (int64_t r = 0; r < W->rows; r++)
                senti_dequant_row(W->type, (const char *)W->data + (size_t)r * W->row_bytes, w + (size_t)r * W->cols,
                                  W->cols);
        }
    return SENTI_OK;
}

static senti_status label_rows(ft_trainer *tr, const senti_label_words *w, senti_err *err)
{
    const senti_model *m = tr->m;
    const int E = tr->hp->n_embd, n_tok = w->word_off[w->n_words];
    int *lab = malloc((size_t)w->n_words * sizeof *lab);
    int *off = malloc((size_t)(w->n_words + 1) * sizeof *off);
    tr->word_tok = malloc((size_t)w->n_words * sizeof *tr->word_tok);
    tr->out_rows = malloc((size_t)w->n_words * (size_t)E * sizeof *tr->out_rows);
    tr->wlen = malloc((size_t)w->n_words * sizeof *tr->wlen);
    tr->wfirst = malloc((size_t)w->n_words * sizeof *tr->wfirst);
    tr->wtoks = malloc((size_t)n_tok * sizeof *tr->wtoks);
    if (!lab || !off || !tr->word_tok || !tr->out_rows || !tr->wlen || !tr->wfirst || !tr->wtoks) {
        free(lab);
        free(off);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    memcpy(tr->wtoks, w->tokens, (size_t)n_tok * sizeof *tr->wtoks);
    for (int j = 0; j < w->n_words; j++) {
        lab[j] = w->word_label[j];
        off[j] = j;
        tr->wfirst[j] = w->word_off[j];
        tr->wlen[j] = w->word_off[j + 1] - w->word_off[j];
        tr->word_tok[j] = w->tokens[w->word_off[j]];
        senti_dequant_row(m->output.type, (const char *)m->output.data + (size_t)tr->word_tok[j] * m->output.row_bytes,
                          tr->out_rows + (size_t)j * E, E);
    }
    off[w->n_words] = w->n_words;
    tr->w = (senti_label_words){w->n_labels, w->n_words, lab, off, tr->word_tok};
    return SENTI_OK;
}

senti_status ft_trainer_new(const senti_model *m, const senti_label_words *w, senti_agg agg, bool length_norm,
                            int T_max, bool cache_f32, ft_trainer **out, senti_err *err)
{
    *out = NULL;
    int extra = 0;
    for (int j = 0; j < w->n_words; j++) {
        int n = w->word_off[j + 1] - w->word_off[j];
        if (n < 1)
            return senti_err_set(err, SENTI_ERR_ARG, "lora: label word %d has no tokens", j);
        for (int k = w->word_off[j]; k < w->word_off[j + 1]; k++)
            if (w->tokens[k] < 0 || w->tokens[k] >= m->hp.n_vocab || w->tokens[k] >= m->output.rows)
                return senti_err_set(err, SENTI_ERR_ARG, "lora: label word %d: token %d outside the vocabulary", j,
                                     w->tokens[k]);
        extra = n - 1 > extra ? n - 1 : extra;
    }
    if (T_max < 1 || T_max + extra > 4096 || w->n_words > 256)
        return senti_err_set(err, SENTI_ERR_ARG,
                             "lora: sequence length %d (+%d word tokens) outside 1..4096 or more than 256 label words",
                             T_max, extra);
    ft_trainer *tr = calloc(1, sizeof *tr);
    if (!tr)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    tr->m = m;
    tr->hp = &m->hp;
    tr->agg = agg;
    tr->length_norm = length_norm;
    tr->multi = extra > 0;
    tr->T_max = T_max;
    tr->T_cap = T_max + extra;
    tr->acts = calloc((size_t)m->hp.n_layer, sizeof *tr->acts);
    tr->owned = calloc((size_t)m->hp.n_layer * (22 + NT) + 32, sizeof *tr->owned);
    senti_status s = tr->acts && tr->owned ? alloc_acts(tr) : SENTI_ERR_NOMEM;
    if (!s && cache_f32)
        s = cache_weights(tr);
    if (s)
        senti_err_set(err, s, "lora: out of memory for a trainer of %d tokens", T_max + extra);
    if (!s)
        s = label_rows(tr, w, err);
    if (s) {
        ft_trainer_free(tr);
        return s;
    }
    rope_tables(tr);
    *out = tr;
    return SENTI_OK;
}

void ft_trainer_free(ft_trainer *tr)
{
    if (!tr)
        return;
    for (size_t i = 0; i < tr->n_owned; i++)
        free(tr->owned[i]);
    for (size_t i = 0; tr->w32 && i < (size_t)tr->hp->n_layer * NT; i++)
        free(tr->w32[i]);
    free(tr->w32);
    free(tr->owned);
    for (int l = 0; tr->acts && l < tr->hp->n_layer; l++)
        for (int t = 0; t < NT; t++)
            free(tr->acts[l].xa[t]); /* LoRA intermediates, see ensure_rank */
    free(tr->acts);
    free((void *)tr->w.word_label);
    free((void *)tr->w.word_off);
    free(tr->word_tok);
    free(tr->out_rows);
    free(tr->wlen);
    free(tr->wfirst);
    free(tr->wtoks);
    free(tr->seq);
    free(tr->dxa);
    free(tr);
}

int ft_trainer_n_labels(const ft_trainer *tr) { return tr->w.n_labels; }

/* LoRA intermediates for rank r (allocated once per rank). */
static senti_status ensure_rank(ft_trainer *tr, int r)
{
    if (r <= tr->rank)
        return SENTI_OK;
    const size_t T = (size_t)tr->T_cap;
    for (int l = 0; l < tr->hp->n_layer; l++)
        for (int t = 0; t < NT; t++) {
            float *p = realloc(tr->acts[l].xa[t], T * (size_t)r * sizeof *p);
            if (!p)
                return SENTI_ERR_NOMEM;
            tr->acts[l].xa[t] = p;
        }
    float *d = realloc(tr->dxa, T * (size_t)r * sizeof *d);
    if (!d)
        return SENTI_ERR_NOMEM;
    tr->dxa = d;
    tr->rank = r;
    return SENTI_OK;
}

/* ---- forward --------------------------------------------------------------------------------- */

typedef struct {
    tk_weight w;
    tk_lora lo;
    float *gA, *gB; /* gradients or NULL */
} proj;

static proj get_proj(const ft_trainer *tr, const senti_lora *lora, const senti_lora *grad, int l, int t)
{
    proj p;
    memset(&p, 0, sizeof p);
    p.w.W = target_mat(&tr->m->layers[l], t);
    p.w.w32 = tr->w32 ? tr->w32[(size_t)l * NT + t] : NULL;
    size_t k = (size_t)l * NT + (size_t)t;
    if (lora && lora->A[k]) {
        p.lo = (tk_lora){lora->A[k], lora->B[k], lora->rank, lora->alpha / (float)lora->rank};
        if (grad) {
            p.gA = grad->A[k];
            p.gB = grad->B[k];
        }
    }
    return p;
}

static void add_bias(float *y, const float *b, int T, int n)
{
    if (b)
        for (int t = 0; t < T; t++)
            for (int i = 0; i < n; i++)
                y[(size_t)t * n + i] += b[i];
}

static void linear(ft_trainer *tr, const proj *p, const float *x, int T, float *y, float *xa)
{
    tk_linear_fwd(y, &p->w, &p->lo, x, T, xa, tr->tile, tr->tile_rows);
}

static void attn_fwd(ft_trainer *tr, const senti_lora *lora, int l, int T, float *x_out)
{
    const senti_hparams *hp = tr->hp;
    const senti_layer *ly = &tr->m->layers[l];
    layer_act *a = &tr->acts[l];
    const int E = hp->n_embd, hd = hp->head_dim, H = hp->n_head, Hk = hp->n_head_kv;
    const int QD = H * hd, KV = Hk * hd, set = ly->is_swa;
    proj pq = get_proj(tr, lora, NULL, l, 0), pk = get_proj(tr, lora, NULL, l, 1), pv = get_proj(tr, lora, NULL, l, 2),
         po = get_proj(tr, lora, NULL, l, 3);
    tk_rmsnorm_fwd(a->xn_a, a->rstd_a, a->x_in, ly->attn_norm, T, E, hp->norm_eps);
    linear(tr, &pq, a->xn_a, T, a->q_raw, a->xa[0]);
    linear(tr, &pk, a->xn_a, T, a->k_raw, a->xa[1]);
    linear(tr, &pv, a->xn_a, T, a->v, a->xa[2]);
    add_bias(a->q_raw, ly->bq, T, QD);
    add_bias(a->k_raw, ly->bk, T, KV);
    add_bias(a->v, ly->bv, T, KV);
    if (ly->q_norm) {
        tk_rmsnorm_fwd(a->q, a->rstd_q, a->q_raw, ly->q_norm, T * H, hd, hp->norm_eps);
        tk_rmsnorm_fwd(a->k, a->rstd_k, a->k_raw, ly->k_norm, T * Hk, hd, hp->norm_eps);
    } else {
        memcpy(a->q, a->q_raw, (size_t)T * QD * sizeof(float));
        memcpy(a->k, a->k_raw, (size_t)T * KV * sizeof(float));
    }
    tk_rope(a->q, tr->cs[set], tr->sn[set], T, H, hd, hp->rope_dim / 2, hp->rope_neox, QD, 1);
    tk_rope(a->k, tr->cs[set], tr->sn[set], T, Hk, hd, hp->rope_dim / 2, hp->rope_neox, KV, 1);
    tk_attn_fwd(a->att, a->P, a->q, a->k, a->v, T, H, Hk, hd, tr->m->attn_scale, set ? hp->sliding_window : 0);
    linear(tr, &po, a->att, T, a->ao, a->xa[3]);
    const float *add = a->ao;
    if (ly->post_attn_norm) {
        tk_rmsnorm_fwd(tr->d1, a->rstd_pa, a->ao, ly->post_attn_norm, T, E, hp->norm_eps);
        add = tr->d1;
    }
    for (size_t i = 0; i < (size_t)T * E; i++)
        x_out[i] = a->x_in[i] + add[i];
}

static void ffn_fwd(ft_trainer *tr, const senti_lora *lora, int l, int T, float *x_out)
{
    const senti_hparams *hp = tr->hp;
    const senti_layer *ly = &tr->m->layers[l];
    layer_act *a = &tr->acts[l];
    const int E = hp->n_embd, F = hp->n_ff;
    proj pg = get_proj(tr, lora, NULL, l, 4), pu = get_proj(tr, lora, NULL, l, 5), pd = get_proj(tr, lora, NULL, l, 6);
    tk_rmsnorm_fwd(a->xn_f, a->rstd_f, a->x_mid, ly->ffn_norm, T, E, hp->norm_eps);
    linear(tr, &pg, a->xn_f, T, a->g, a->xa[4]);
    linear(tr, &pu, a->xn_f, T, a->u, a->xa[5]);
    tk_glu_fwd(a->h, a->g, a->u, (size_t)T * F, tr->m->gelu);
    linear(tr, &pd, a->h, T, a->fo, a->xa[6]);
    const float *add = a->fo;
    if (ly->post_ffw_norm) {
        tk_rmsnorm_fwd(tr->d1, a->rstd_pf, a->fo, ly->post_ffw_norm, T, E, hp->norm_eps);
        add = tr->d1;
    }
    for (size_t i = 0; i < (size_t)T * E; i++)
        x_out[i] = a->x_mid[i] + add[i];
}

static float softcap(const senti_model *m, float v)
{
    return m->final_softcap > 0.0f ? m->final_softcap * tanhf(v / m->final_softcap) : v;
}

/* The transformer over tok[0..T-1]: every layer's activations and x_final. */
static void forward(ft_trainer *tr, const senti_lora *lora, const int32_t *tok, int T)
{
    const int L = tr->hp->n_layer;
    tk_embed_fwd(tr->acts[0].x_in, &tr->m->tok_embd, tok, T, tr->m->embd_scale);
    for (int l = 0; l < L; l++) {
        attn_fwd(tr, lora, l, T, tr->acts[l].x_mid);
        ffn_fwd(tr, lora, l, T, l + 1 < L ? tr->acts[l + 1].x_in : tr->x_final);
    }
}

/* Logits of the words' first tokens at position p into z [n_words] (u: before the softcap). */
static void first_logits(ft_trainer *tr, int p, float *u, float *z)
{
    const int E = tr->hp->n_embd;
    tk_rmsnorm_fwd(tr->hfin, &tr->hfin_rstd, tr->x_final + (size_t)p * E, tr->m->output_norm, 1, E,
                   tr->hp->norm_eps);
    for (int j = 0; j < tr->w.n_words; j++) {
        double acc = 0.0;
        for (int i = 0; i < E; i++)
            acc += (double)tr->out_rows[(size_t)j * E + i] * tr->hfin[i];
        u[j] = (float)acc;
        z[j] = softcap(tr->m, u[j]);
    }
}

/* ---- the full vocabulary (multi-token label words) -------------------------------------------- */

static int n_chunks(const ft_trainer *tr) { return (int)((tr->m->output.rows + VCHUNK - 1) / VCHUNK); }

/* Rows [*lo, *hi) of vocabulary chunk c. */
static void chunk_rows(const ft_trainer *tr, int c, int64_t *lo, int64_t *hi)
{
    *lo = (int64_t)c * VCHUNK;
    *hi = *lo + VCHUNK < tr->m->output.rows ? *lo + VCHUNK : tr->m->output.rows;
}

/* Softcapped logits of every vocabulary row at position p into tr->vlog (the
 * normed hidden state into tr->hpos, its rstd into *rstd); returns their
 * log-sum-exp. One chunk is one thread's work and the sum runs in order: the
 * result does not depend on the thread count. */
static double vocab_logits(ft_trainer *tr, int p, float *rstd)
{
    const senti_mat *W = &tr->m->output;
    const int E = tr->hp->n_embd, nc = n_chunks(tr);
    tk_rmsnorm_fwd(tr->hpos, rstd, tr->x_final + (size_t)p * E, tr->m->output_norm, 1, E, tr->hp->norm_eps);
#pragma omp parallel for num_threads(senti_get_threads()) schedule(static) if (nc > 1)
    for (int c = 0; c < nc; c++) {
        float *row = tr->vrow + (size_t)c * E;
        int64_t lo, hi;
        chunk_rows(tr, c, &lo, &hi);
        for (int64_t v = lo; v < hi; v++) {
            senti_dequant_row(W->type, (const char *)W->data + (size_t)v * W->row_bytes, row, E);
            double acc = 0.0;
            for (int i = 0; i < E; i++)
                acc += (double)row[i] * tr->hpos[i];
            tr->vlog[v] = softcap(tr->m, (float)acc);
        }
    }
    return senti_logsumexp_f32(tr->vlog, (size_t)W->rows);
}

/* d x_final row p += the gradient of g * log softmax(logits at p)[t]; with
 * t < 0, of -g * log-sum-exp alone. */
static void vocab_bwd(ft_trainer *tr, int p, int32_t t, float g)
{
    const senti_mat *W = &tr->m->output;
    const int E = tr->hp->n_embd, nc = n_chunks(tr);
    const float cap = tr->m->final_softcap;
    float rstd;
    const double lse = vocab_logits(tr, p, &rstd);
#pragma omp parallel for num_threads(senti_get_threads()) schedule(static) if (nc > 1)
    for (int c = 0; c < nc; c++) {
        float *row = tr->vrow + (size_t)c * E, *part = tr->vpart + (size_t)c * E;
        int64_t lo, hi;
        chunk_rows(tr, c, &lo, &hi);
        memset(part, 0, (size_t)E * sizeof *part);
        for (int64_t v = lo; v < hi; v++) {
            double dz = -(double)g * exp((double)tr->vlog[v] - lse) + (v == t ? g : 0.0);
            if (cap > 0.0f) {
                double th = tr->vlog[v] / cap;
                dz *= 1.0 - th * th;
            }
            if (dz == 0.0)
                continue;
            senti_dequant_row(W->type, (const char *)W->data + (size_t)v * W->row_bytes, row, E);
            for (int i = 0; i < E; i++)
                part[i] += (float)dz * row[i];
        }
    }
    memset(tr->dhpos, 0, (size_t)E * sizeof *tr->dhpos);
    for (int c = 0; c < nc; c++)
        for (int i = 0; i < E; i++)
            tr->dhpos[i] += tr->vpart[(size_t)c * E + i];
    tk_rmsnorm_bwd(tr->dx + (size_t)p * E, tr->dhpos, tr->x_final + (size_t)p * E, tr->m->output_norm, &rstd, 1, E);
}

/* ---- backward --------------------------------------------------------------------------------- */

static void lin_bwd(ft_trainer *tr, const proj *p, float *dx_acc, const float *dy, const float *x, const float *xa,
                    int T)
{
    tk_linear_bwd(dx_acc, &p->w, &p->lo, dy, x, xa, T, p->gA, p->gB, tr->dxa, tr->tile, tr->tile_rows);
}

/* tr->dx holds d x_out of the FFN block; on return, d x_mid. */
static void ffn_bwd(ft_trainer *tr, const senti_lora *lora, const senti_lora *grad, int l, int T)
{
    const senti_hparams *hp = tr->hp;
    const senti_layer *ly = &tr->m->layers[l];
    layer_act *a = &tr->acts[l];
    const int E = hp->n_embd, F = hp->n_ff;
    proj pg = get_proj(tr, lora, grad, l, 4), pu = get_proj(tr, lora, grad, l, 5), pd = get_proj(tr, lora, grad, l, 6);
    const float *dfo = tr->dx;
    if (ly->post_ffw_norm) {
        memset(tr->d1, 0, (size_t)T * E * sizeof(float));
        tk_rmsnorm_bwd(tr->d1, tr->dx, a->fo, ly->post_ffw_norm, a->rstd_pf, T, E);
        dfo = tr->d1;
    }
    memset(tr->d2, 0, (size_t)T * F * sizeof(float)); /* d h */
    lin_bwd(tr, &pd, tr->d2, dfo, a->h, a->xa[6], T);
    tk_glu_bwd(tr->dg, tr->du, tr->d2, a->g, a->u, (size_t)T * F, tr->m->gelu);
    memset(tr->d1, 0, (size_t)T * E * sizeof(float)); /* d xn_f */
    lin_bwd(tr, &pg, tr->d1, tr->dg, a->xn_f, a->xa[4], T);
    lin_bwd(tr, &pu, tr->d1, tr->du, a->xn_f, a->xa[5], T);
    tk_rmsnorm_bwd(tr->dx, tr->d1, a->x_mid, ly->ffn_norm, a->rstd_f, T, E);
}

/* tr->dx holds d x_mid; on return, d x_in. */
static void attn_bwd(ft_trainer *tr, const senti_lora *lora, const senti_lora *grad, int l, int T)
{
    const senti_hparams *hp = tr->hp;
    const senti_layer *ly = &tr->m->layers[l];
    layer_act *a = &tr->acts[l];
    const int E = hp->n_embd, hd = hp->head_dim, H = hp->n_head, Hk = hp->n_head_kv;
    const int QD = H * hd, KV = Hk * hd, set = ly->is_swa, half = hp->rope_dim / 2;
    proj pq = get_proj(tr, lora, grad, l, 0), pk = get_proj(tr, lora, grad, l, 1), pv = get_proj(tr, lora, grad, l, 2),
         po = get_proj(tr, lora, grad, l, 3);
    const float *dao = tr->dx;
    if (ly->post_attn_norm) {
        memset(tr->d1, 0, (size_t)T * E * sizeof(float));
        tk_rmsnorm_bwd(tr->d1, tr->dx, a->ao, ly->post_attn_norm, a->rstd_pa, T, E);
        dao = tr->d1;
    }
    memset(tr->d2, 0, (size_t)T * QD * sizeof(float)); /* d att */
    lin_bwd(tr, &po, tr->d2, dao, a->att, a->xa[3], T);
    tk_attn_bwd(tr->dq, tr->dk, tr->dv, tr->d2, a->P, a->q, a->k, a->v, T, H, Hk, hd, tr->m->attn_scale, tr->scratch);
    tk_rope(tr->dq, tr->cs[set], tr->sn[set], T, H, hd, half, hp->rope_neox, QD, -1);
    tk_rope(tr->dk, tr->cs[set], tr->sn[set], T, Hk, hd, half, hp->rope_neox, KV, -1);
    const float *dqr = tr->dq, *dkr = tr->dk;
    if (ly->q_norm) { /* d1 = d q_raw, d2 = d k_raw */
        memset(tr->d1, 0, (size_t)T * QD * sizeof(float));
        memset(tr->d2, 0, (size_t)T * KV * sizeof(float));
        tk_rmsnorm_bwd(tr->d1, tr->dq, a->q_raw, ly->q_norm, a->rstd_q, T * H, hd);
        tk_rmsnorm_bwd(tr->d2, tr->dk, a->k_raw, ly->k_norm, a->rstd_k, T * Hk, hd);
        dqr = tr->d1;
        dkr = tr->d2;
    }
    float *dxn = tr->dg; /* [T][E] fits in [T][F] scratch... use du when F < E */
    if (hp->n_ff < E)
        dxn = tr->x_final; /* free after the output step */
    memset(dxn, 0, (size_t)T * E * sizeof(float));
    lin_bwd(tr, &pq, dxn, dqr, a->xn_a, a->xa[0], T);
    lin_bwd(tr, &pk, dxn, dkr, a->xn_a, a->xa[1], T);
    lin_bwd(tr, &pv, dxn, tr->dv, a->xn_a, a->xa[2], T);
    tk_rmsnorm_bwd(tr->dx, dxn, a->x_in, ly->attn_norm, a->rstd_a, T, E);
}

/* d x_final row p += the gradient through the first-token logits at p (first_logits ran last at p). */
static void first_bwd(ft_trainer *tr, int p, const float *u, const float *dz)
{
    const int E = tr->hp->n_embd;
    const senti_model *m = tr->m;
    float *dh = tr->d1; /* [E] d hfin */
    memset(dh, 0, (size_t)E * sizeof(float));
    for (int j = 0; j < tr->w.n_words; j++) {
        float du = dz[j];
        if (m->final_softcap > 0.0f) {
            float th = tanhf(u[j] / m->final_softcap);
            du *= 1.0f - th * th;
        }
        for (int i = 0; i < E; i++)
            dh[i] += du * tr->out_rows[(size_t)j * E + i];
    }
    tk_rmsnorm_bwd(tr->dx + (size_t)p * E, dh, tr->x_final + (size_t)p * E, m->output_norm, &tr->hfin_rstd, 1, E);
}

/* From d x_final in tr->dx through every layer into the LoRA gradients. */
static void backward(ft_trainer *tr, const senti_lora *lora, const senti_lora *grad, int T)
{
    for (int l = tr->hp->n_layer - 1; l >= 0; l--) {
        ffn_bwd(tr, lora, grad, l, T);
        attn_bwd(tr, lora, grad, l, T);
    }
}

/* Single-token words: one sequence, outputs at T-1. */
static double run_single(ft_trainer *tr, const senti_lora *lora, const int32_t *tok, int T, int label,
                         double *scores, senti_lora *grad)
{
    float u[256], z[256], dz[256]; /* n_words <= 256 (checked at creation) */
    forward(tr, lora, tok, T);
    first_logits(tr, T - 1, u, z);
    double L = tk_label_loss(z, &tr->w, tr->agg, label, scores, grad ? dz : NULL);
    if (isfinite(L) && grad && label >= 0) {
        memset(tr->dx, 0, (size_t)T * tr->hp->n_embd * sizeof(float));
        first_bwd(tr, T - 1, u, dz);
        backward(tr, lora, grad, T);
    }
    return L;
}

/* tr->seq = the prompt (already there) + the first n - 1 tokens of word j; its length. */
static int word_seq(ft_trainer *tr, int T, int j)
{
    memcpy(tr->seq + T, tr->wtoks + tr->wfirst[j], (size_t)(tr->wlen[j] - 1) * sizeof *tr->seq);
    return T + tr->wlen[j] - 1;
}

/* Multi-token words: one sequence per such word (see the contract). */
static double run_multi(ft_trainer *tr, const senti_lora *lora, const int32_t *tok, int T, int label,
                        double *scores, senti_lora *grad)
{
    const int nw = tr->w.n_words;
    float u[256], z[256], v[256], dv[256], rstd;
    double wlp[256] = {0}, lse0 = 0.0;
    int last = -1;
    for (int j = 0; j < nw; j++)
        last = tr->wlen[j] > 1 ? j : last;
    memcpy(tr->seq, tok, (size_t)T * sizeof *tr->seq);
    for (int j = 0; j <= last; j++) {
        if (tr->wlen[j] < 2)
            continue;
        forward(tr, lora, tr->seq, word_seq(tr, T, j));
        for (int k = 1; k < tr->wlen[j]; k++) {
            double lse = vocab_logits(tr, T - 1 + k, &rstd);
            wlp[j] += tr->vlog[tr->wtoks[tr->wfirst[j] + k]] - lse;
        }
    }
    /* the last word's sequence is resident: the first tokens from it */
    first_logits(tr, T - 1, u, z);
    if (tr->length_norm)
        lse0 = vocab_logits(tr, T - 1, &rstd);
    for (int j = 0; j < nw; j++) {
        wlp[j] += z[j] - lse0;
        v[j] = (float)(tr->length_norm ? wlp[j] / tr->wlen[j] : wlp[j]);
    }
    double L = tk_label_loss(v, &tr->w, tr->agg, label, scores, grad ? dv : NULL);
    if (!isfinite(L) || !grad || label < 0)
        return L;
    double G = 0.0;
    for (int j = 0; j < nw; j++) {
        dv[j] = tr->length_norm ? dv[j] / (float)tr->wlen[j] : dv[j];
        G += dv[j];
    }
    for (int j = last; j >= 0; j--) {
        if (tr->wlen[j] < 2)
            continue;
        int Tj = word_seq(tr, T, j);
        if (j != last)
            forward(tr, lora, tr->seq, Tj);
        memset(tr->dx, 0, (size_t)Tj * tr->hp->n_embd * sizeof(float));
        if (j == last) { /* still resident: u and hfin as first_logits left them above */
            first_bwd(tr, T - 1, u, dv);
            if (tr->length_norm)
                vocab_bwd(tr, T - 1, -1, (float)G);
        }
        for (int k = 1; k < tr->wlen[j]; k++)
            vocab_bwd(tr, T - 1 + k, tr->wtoks[tr->wfirst[j] + k], dv[j]);
        backward(tr, lora, grad, Tj);
    }
    return L;
}

senti_status ft_trainer_run(ft_trainer *tr, const senti_lora *lora, const int32_t *tok, int T, int label,
                            double *loss, double *scores, senti_lora *grad, senti_err *err)
{
    if (T < 1 || T > tr->T_max)
        return senti_err_set(err, SENTI_ERR_RANGE, "lora: %d tokens (trainer holds up to %d)", T, tr->T_max);
    for (int t = 0; t < T; t++)
        if (tok[t] < 0 || tok[t] >= tr->hp->n_vocab)
            return senti_err_set(err, SENTI_ERR_ARG, "lora: token %d outside the vocabulary", tok[t]);
    if (lora && ensure_rank(tr, lora->rank))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    senti_blas_one_thread(true); /* the kernels run their own fixed blocks (train_kernels.c, TK_BLOCK) */
    double L = tr->multi ? run_multi(tr, lora, tok, T, label, scores, grad) : run_single(tr, lora, tok, T, label, scores, grad);
    senti_blas_one_thread(false);
    if (!isfinite(L))
        return senti_err_set(err, SENTI_ERR_NUMERIC, "lora: non-finite loss");
    if (loss)
        *loss = L;
    return SENTI_OK;
}
