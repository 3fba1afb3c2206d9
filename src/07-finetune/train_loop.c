/*
 * train_loop.c - the LoRA training loop (senti_lora_train): the rows as token
 * sequences, AdamW over mini-batches with gradient clipping, warmup + cosine
 * or linear decay, and early stopping on a validation split; each sequence's
 * loss and gradient come from the trainer of train.c.
 */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "00-base/base.h"

#define NT SENTI_LORA_N_TARGETS

/* ---- the training loop ---------------------------------------------------------------------------- */

senti_lora_train_params senti_lora_train_default_params(void)
{
    senti_lora_train_params p = {.rank = 8, .alpha = 16.0f, .targets = SENTI_LORA_Q | SENTI_LORA_V, .epochs = 8,
                                 .batch = 4, .lr = 2e-3f, .weight_decay = 0.0f, .beta1 = 0.9f, .beta2 = 0.999f,
                                 .eps = 1e-8f, .clip = 1.0f, .warmup_frac = 0.1f, .cosine = true, .patience = 3,
                                 .cache_f32 = true, .seed = 1};
    return p;
}

/* Token sequences and labels of a set of examples. */
typedef struct {
    int32_t **tok; /* [n][len[i]] */
    int *len;
    int *label;
    size_t n;
    int max_len;
} seqs;

static void seqs_free(seqs *s)
{
    for (size_t i = 0; s->tok && i < s->n; i++)
        free(s->tok[i]);
    free(s->tok);
    free(s->len);
    free(s->label);
    memset(s, 0, sizeof *s);
}

static senti_status make_seqs(ft_prompter *pr, const senti_examples *ex, seqs *s, senti_err *err)
{
    memset(s, 0, sizeof *s);
    size_t n = ex ? ex->n : 0;
    s->tok = calloc(n + 1, sizeof *s->tok);
    s->len = calloc(n + 1, sizeof *s->len);
    s->label = calloc(n + 1, sizeof *s->label);
    if (!s->tok || !s->len || !s->label)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        int32_t *pre, *suf;
        int np, ns;
        senti_status st = ft_example_label(pr->v, ex, i, &s->label[i], err);
        if (!st)
            st = ft_prompter_tokens(pr, ex->items[i].text, ex->items[i].text_len, &pre, &np, &suf, &ns, err);
        if (st)
            return st;
        s->tok[i] = malloc((size_t)(np + ns) * sizeof **s->tok);
        if (!s->tok[i]) {
            free(pre);
            free(suf);
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        }
        memcpy(s->tok[i], pre, (size_t)np * sizeof *pre);
        memcpy(s->tok[i] + np, suf, (size_t)ns * sizeof *suf);
        s->len[i] = np + ns;
        s->max_len = s->len[i] > s->max_len ? s->len[i] : s->max_len;
        free(pre);
        free(suf);
    }
    return SENTI_OK;
}

/* Mean loss and accuracy of the adapter on a set (NAN when empty). */
static senti_status evaluate(ft_trainer *tr, const senti_lora *a, const seqs *s, double *loss, double *acc,
                             senti_err *err)
{
    double L = 0.0, sc[256];
    size_t ok = 0;
    for (size_t i = 0; i < s->n; i++) {
        double li;
        senti_status st = ft_trainer_run(tr, a, s->tok[i], s->len[i], s->label[i], &li, sc, NULL, err);
        if (st)
            return st;
        L += li;
        ok += senti_argmax_row(sc, ft_trainer_n_labels(tr)) == s->label[i];
    }
    *loss = s->n ? L / (double)s->n : NAN;
    *acc = s->n ? (double)ok / (double)s->n : NAN;
    return SENTI_OK;
}

/* Elements of array ab (0 = A, 1 = B) of adapter k, 0 when not adapted. */
static size_t n_elems(const senti_lora *a, size_t k, int ab)
{
    int t = (int)(k % NT);
    if (!a->A[k])
        return 0;
    return ab ? (size_t)a->out[t] * (size_t)a->rank : (size_t)a->rank * (size_t)a->in[t];
}

static float *arr(const senti_lora *a, size_t k, int ab) { return ab ? a->B[k] : a->A[k]; }

static double grad_norm(const senti_lora *g, double scale)
{
    double ss = 0.0;
    for (size_t k = 0; k < (size_t)g->n_layer * NT; k++)
        for (int ab = 0; ab < 2; ab++) {
            const float *x = arr(g, k, ab);
            for (size_t i = 0, n = n_elems(g, k, ab); i < n; i++)
                ss += (double)x[i] * x[i];
        }
    return sqrt(ss) * scale;
}

/* One AdamW step on a with gradient g * gscale (moments m1, m2; step t >= 1). */
static void adamw(senti_lora *a, const senti_lora *g, senti_lora *m1, senti_lora *m2, const senti_lora_train_params *p,
                  double lr, double gscale, int t)
{
    const double bc1 = 1.0 - pow(p->beta1, t), bc2 = 1.0 - pow(p->beta2, t);
    for (size_t k = 0; k < (size_t)a->n_layer * NT; k++)
        for (int ab = 0; ab < 2; ab++) {
            float *x = arr(a, k, ab), *mm = arr(m1, k, ab), *vv = arr(m2, k, ab);
            const float *gg = arr(g, k, ab);
            for (size_t i = 0, n = n_elems(a, k, ab); i < n; i++) {
                double gi = gg[i] * gscale;
                mm[i] = (float)(p->beta1 * mm[i] + (1.0 - p->beta1) * gi);
                vv[i] = (float)(p->beta2 * vv[i] + (1.0 - p->beta2) * gi * gi);
                double upd = (mm[i] / bc1) / (sqrt(vv[i] / bc2) + p->eps) + p->weight_decay * x[i];
                x[i] = (float)(x[i] - lr * upd);
            }
        }
}

/* Learning rate of step s (1-based) out of n: linear warmup, then cosine or linear decay to 0. */
static double lr_at(const senti_lora_train_params *p, int s, int n)
{
    int warm = (int)floor(p->warmup_frac * n + 0.5);
    if (warm > 0 && s <= warm)
        return p->lr * (double)s / warm;
    double prog = n > warm ? (double)(s - warm) / (double)(n - warm) : 1.0;
    return p->cosine ? p->lr * 0.5 * (1.0 + cos(M_PI * prog)) : p->lr * (1.0 - prog);
}

typedef struct {
    const senti_lora_train_params *p;
    ft_trainer *tr;
    seqs trs, vas;
    senti_lora *a, *g, *m1, *m2, *best;
    gsl_rng *rng;
    size_t *order;
    senti_lora_event_fn cb;
    void *user;
    senti_lora_train_info *info;
    double t0;
} loop;

/* One optimizer step over examples order[b0 .. b0+nb). */
static senti_status train_step(loop *L, size_t b0, size_t nb, int step, int n_steps, int epoch, double *loss_sum,
                               senti_err *err)
{
    ft_lora_zero(L->g);
    double loss = 0.0;
    for (size_t i = b0; i < b0 + nb; i++) {
        size_t r = L->order[i];
        double li;
        senti_status s = ft_trainer_run(L->tr, L->a, L->trs.tok[r], L->trs.len[r], L->trs.label[r], &li, NULL, L->g, err);
        if (s)
            return s;
        loss += li;
        L->info->tokens += L->trs.len[r];
    }
    double scale = 1.0 / (double)nb, gn = grad_norm(L->g, scale);
    if (L->p->clip > 0 && gn > L->p->clip)
        scale *= L->p->clip / gn;
    double lr = lr_at(L->p, step, n_steps);
    adamw(L->a, L->g, L->m1, L->m2, L->p, lr, scale, step);
    *loss_sum += loss;
    if (L->cb) {
        senti_lora_event ev = {.epoch = epoch, .step = step, .n_steps = n_steps, .loss = loss / (double)nb,
                               .val_loss = NAN, .val_acc = NAN, .lr = lr, .grad_norm = gn,
                               .tokens_per_s = L->info->tokens / (senti_now() - L->t0)};
        L->cb(L->user, &ev);
    }
    return SENTI_OK;
}

static senti_status train_epochs(loop *L, senti_err *err)
{
    const senti_lora_train_params *p = L->p;
    const size_t n = L->trs.n, bs = (size_t)p->batch;
    const int per_epoch = (int)((n + bs - 1) / bs), n_steps = per_epoch * p->epochs;
    double best = INFINITY;
    int step = 0, since = 0;
    for (int ep = 1; ep <= p->epochs; ep++) {
        gsl_ran_shuffle(L->rng, L->order, n, sizeof *L->order);
        double loss_sum = 0.0;
        for (size_t b0 = 0; b0 < n; b0 += bs) {
            senti_status s = train_step(L, b0, n - b0 < bs ? n - b0 : bs, ++step, n_steps, ep, &loss_sum, err);
            if (s)
                return s;
        }
        double vl, va;
        senti_status s = evaluate(L->tr, L->a, &L->vas, &vl, &va, err);
        if (s)
            return s;
        double key = L->vas.n ? vl : loss_sum / (double)n; /* without validation: the last epoch wins */
        bool is_best = L->vas.n ? vl < best : true;
        if (is_best) {
            best = key;
            ft_lora_copy(L->best, L->a);
            L->info->best_epoch = ep;
            L->info->best_val_loss = vl;
            L->info->best_val_acc = va;
            since = 0;
        } else {
            since++;
        }
        L->info->steps = step;
        if (L->cb) {
            senti_lora_event ev = {.epoch = ep, .step = step, .n_steps = n_steps, .epoch_end = true,
                                   .loss = loss_sum / (double)n, .val_loss = vl, .val_acc = va,
                                   .lr = lr_at(p, step, n_steps), .tokens_per_s = L->info->tokens / (senti_now() - L->t0),
                                   .best = is_best};
            L->cb(L->user, &ev);
        }
        if (p->patience > 0 && L->vas.n && since >= p->patience)
            break;
    }
    return SENTI_OK;
}

static void loop_free(loop *L)
{
    seqs_free(&L->trs);
    seqs_free(&L->vas);
    ft_trainer_free(L->tr);
    senti_lora_free(L->g);
    senti_lora_free(L->m1);
    senti_lora_free(L->m2);
    senti_lora_free(L->a);
    if (L->rng)
        gsl_rng_free(L->rng);
    free(L->order);
}

static senti_status loop_setup(loop *L, senti_model *m, ft_prompter *pr, const senti_examples *train,
                               const senti_examples *val, senti_err *err)
{
    const senti_lora_train_params *p = L->p;
    senti_status s = make_seqs(pr, train, &L->trs, err);
    if (!s)
        s = make_seqs(pr, val, &L->vas, err);
    if (s)
        return s;
    if (L->trs.n == 0)
        return senti_err_set(err, SENTI_ERR_ARG, "lora: no training rows");
    int T_max = L->trs.max_len > L->vas.max_len ? L->trs.max_len : L->vas.max_len;
    if ((s = ft_trainer_new(m, &pr->words, pr->pp.agg, pr->pp.length_norm, T_max, p->cache_f32, &L->tr, err)) ||
        (s = senti_lora_new(m, p->rank, p->alpha, p->targets, p->seed, &L->a, err)) ||
        (s = ft_lora_like(L->a, &L->g, err)) || (s = ft_lora_like(L->a, &L->m1, err)) ||
        (s = ft_lora_like(L->a, &L->m2, err)) || (s = ft_lora_like(L->a, &L->best, err)))
        return s;
    L->rng = gsl_rng_alloc(gsl_rng_mt19937);
    L->order = malloc(L->trs.n * sizeof *L->order);
    if (!L->rng || !L->order)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    gsl_rng_set(L->rng, (unsigned long)p->seed);
    for (size_t i = 0; i < L->trs.n; i++)
        L->order[i] = i;
    snprintf(L->best->model_sha256, sizeof L->best->model_sha256, "%s", senti_model_sha256(m));
    return SENTI_OK;
}

senti_status senti_lora_train(senti_model *m, const senti_verbalizer *v, const senti_ft_prompt_params *pp,
                              const senti_examples *train, const senti_examples *val,
                              const senti_lora_train_params *tp, senti_lora_event_fn cb, void *user,
                              senti_lora **out, senti_lora_train_info *info, senti_err *err)
{
    *out = NULL;
    senti_lora_train_params dp = senti_lora_train_default_params();
    senti_lora_train_info scratch;
    if (!tp)
        tp = &dp;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (tp->batch < 1 || tp->epochs < 1 || !(tp->lr > 0))
        return senti_err_set(err, SENTI_ERR_ARG, "lora: batch, epochs and lr must be positive");
    ft_prompter *pr;
    senti_status s = ft_prompter_new(m, v, pp, &pr, err);
    if (s)
        return s;
    loop L = {.p = tp, .cb = cb, .user = user, .info = info, .t0 = senti_now()};
    s = loop_setup(&L, m, pr, train, val, err);
    if (!s)
        s = evaluate(L.tr, L.a, &L.vas, &info->zero_val_loss, &info->zero_val_acc, err);
    if (!s)
        s = train_epochs(&L, err);
    info->seconds = senti_now() - L.t0;
    ft_prompter_free(pr);
    if (!s) {
        *out = L.best;
        L.best = NULL;
    }
    senti_lora_free(L.best);
    loop_free(&L);
    return s;
}
