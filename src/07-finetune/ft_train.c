/*
 * ft_train.c - one fine-tuning run from labelled rows to an adapter file
 * (senti_ft_train in senti/finetune.h): `senti finetune --method head|lora`
 * and the finetune strategy of an experiment both call it, so that the same
 * file, rows per class, seed and options give the same adapter.
 *
 * Steps: the rows (senti_ft_select_rows; the head takes no validation rows
 * there, it splits its own to choose lambda), p->on_rows, then
 *   head  features of every row, senti_head_fit, senti_head_save (JSON);
 *   lora  senti_lora_train on the train rows with the validation rows for
 *         epoch selection, senti_lora_save (GGUF).
 * Fewer than 2 training rows is an SENTI_ERR_ARG error naming the file.
 */
#include "senti/finetune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

senti_ft_params senti_ft_default_params(void)
{
    senti_ft_params p = {0};
    p.method = SENTI_FT_HEAD;
    p.seed = 1;
    p.val_frac = 0.25;
    p.features = SENTI_HEAD_FEAT_HIDDEN;
    p.prompt = senti_ft_prompt_default_params();
    p.lora = senti_lora_train_default_params();
    return p;
}

senti_status senti_ft_method_parse(const char *s, senti_ft_method *out, senti_err *err)
{
    if (s && !strcmp(s, "head"))
        *out = SENTI_FT_HEAD;
    else if (s && !strcmp(s, "lora"))
        *out = SENTI_FT_LORA;
    else
        return senti_err_set(err, SENTI_ERR_ARG, "unknown fine-tuning method '%s' (head or lora)", s ? s : "");
    return SENTI_OK;
}

/* A view of the rows idx[0..n) of `all` (items shared, not copied). */
static senti_examples *subset(const senti_examples *all, const size_t *idx, size_t n)
{
    senti_examples *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    *s = *all;
    s->n = n;
    s->items = malloc((n ? n : 1) * sizeof *s->items);
    if (!s->items) {
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        s->items[i] = all->items[idx[i]];
    return s;
}

static void subset_free(senti_examples *s)
{
    if (s)
        free(s->items);
    free(s);
}

static senti_status train_head(senti_model *m, const senti_verbalizer *v, const senti_examples *rows,
                               const senti_ft_params *p, const char *path, senti_ft_info *info, senti_err *err)
{
    double *X = NULL;
    int *y = NULL, d = 0;
    senti_status s = senti_head_features_compute(m, v, &p->prompt, rows, p->features, &X, &y, &d, p->on_feature,
                                                 p->user, err);
    if (s)
        return s;
    size_t K = senti_verbalizer_n_labels(v);
    const char *labels[SENTI_MAX_HEAD_LABELS];
    for (size_t k = 0; k < K && k < SENTI_MAX_HEAD_LABELS; k++)
        labels[k] = senti_verbalizer_label(v, k);
    senti_head_fit_params fp = senti_head_fit_default_params();
    fp.val_frac = p->val_frac;
    fp.seed = p->seed;
    senti_head *h = NULL;
    s = senti_head_fit(X, y, rows->n, d, (int)K, labels, &fp, &h, &info->head, err);
    free(X);
    free(y);
    if (!s) {
        h->features = p->features;
        snprintf(h->model_sha256, sizeof h->model_sha256, "%s", senti_model_sha256(m));
        info->lambda = h->lambda;
        info->n_features = d;
        s = senti_head_save(h, path, err);
    }
    senti_head_free(h);
    return s;
}

static senti_status train_lora(senti_model *m, const senti_verbalizer *v, const senti_examples *tr,
                               const senti_examples *va, const senti_ft_params *p, const char *path,
                               senti_ft_info *info, senti_err *err)
{
    senti_lora *a = NULL;
    senti_status s = senti_lora_train(m, v, &p->prompt, tr, va, &p->lora, p->on_lora, p->user, &a, &info->lora, err);
    if (!s)
        s = senti_lora_save(a, path, err);
    senti_lora_free(a);
    return s;
}

senti_status senti_ft_train(senti_model *m, const senti_verbalizer *v, const senti_examples *all,
                            const senti_ft_params *p, const char *path, senti_ft_info *info, senti_err *err)
{
    senti_ft_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    info->lambda = NAN;
    if (senti_verbalizer_n_labels(v) > SENTI_MAX_HEAD_LABELS)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: more than %d labels", all->path, SENTI_MAX_HEAD_LABELS);
    size_t *tr = malloc((all->n + 1) * sizeof *tr), *va = malloc((all->n + 1) * sizeof *va);
    if (!tr || !va) {
        free(tr);
        free(va);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    const bool head = p->method == SENTI_FT_HEAD;
    senti_status s = senti_ft_select_rows(all, v, p->per_class, p->seed, head ? 0.0 : p->val_frac, tr,
                                          &info->n_train, va, &info->n_val, info->avail, err);
    senti_examples *trs = s ? NULL : subset(all, tr, info->n_train), *vas = s ? NULL : subset(all, va, info->n_val);
    if (!s && (!trs || !vas))
        s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (!s && info->n_train < 2)
        s = senti_err_set(err, SENTI_ERR_ARG, "%s: too few labelled rows to train on (%zu)", all->path,
                          info->n_train);
    if (!s && p->on_rows)
        p->on_rows(p->user, info);
    if (!s)
        s = head ? train_head(m, v, trs, p, path, info, err) : train_lora(m, v, trs, vas, p, path, info, err);
    subset_free(trs);
    subset_free(vas);
    free(tr);
    free(va);
    return s;
}
