/*
 * baseline_fit.c - a baseline adapter from labelled rows of a CSV file
 * (senti_baseline_fit_rows in senti/finetune.h): the same row draw as
 * `senti finetune`, then majority or bow-logreg, saved with the provenance.
 * `senti finetune --method bow-logreg|majority` and the baseline strategy of
 * an experiment both call it, so the two train on the same rows.
 */
#include "senti/finetune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"
#include "05-prompt/verbalizer_json.h"
#include "bow_internal.h"

/* Texts, label indices and 1-based file rows of the selected examples. */
typedef struct {
    const char **texts;
    int *labels;
    size_t *rows;
} picked;

static void picked_free(picked *pk)
{
    free(pk->texts);
    free(pk->labels);
    free(pk->rows);
}

static senti_status pick(const senti_examples *all, const senti_verbalizer *v, const size_t *idx, size_t n, picked *pk,
                         senti_err *err)
{
    pk->texts = malloc((n + 1) * sizeof *pk->texts);
    pk->labels = malloc((n + 1) * sizeof *pk->labels);
    pk->rows = malloc((n + 1) * sizeof *pk->rows);
    if (!pk->texts || !pk->labels || !pk->rows)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const senti_example *ex = &all->items[idx[i]];
        pk->texts[i] = ex->text;
        pk->labels[i] = senti_verbalizer_find(v, ex->label);
        pk->rows[i] = ex->row;
    }
    return SENTI_OK;
}

/* The verbalizer's label_map goes into the adapter: it reads the values it was trained on. */
static senti_status copy_map(senti_baseline *b, const senti_verbalizer *v, senti_err *err)
{
    json_t *map = senti_verbalizer_map_json(v);
    senti_status s = senti_baseline_map_from_json(b, map, senti_verbalizer_name(v), err);
    json_decref(map);
    return s;
}

static senti_status train_and_save(const senti_examples *all, const senti_verbalizer *v,
                                   const senti_baseline_fit_params *p, const picked *pk, size_t n, const char *out_path,
                                   senti_baseline_fit_info *info, senti_err *err)
{
    size_t k = senti_verbalizer_n_labels(v);
    const char **names = malloc((k + 1) * sizeof *names);
    if (!names)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < k; j++)
        names[j] = senti_verbalizer_label(v, j);
    senti_bow_params bp = senti_bow_default_params();
    bp.C = p->C;
    bp.seed = p->seed;
    bp.threads = p->threads > 1 ? p->threads : 1;
    senti_baseline *b = NULL;
    senti_status s = senti_baseline_train(p->method, pk->texts, pk->labels, n, (int)k, names, &bp, &b, err);
    free(names);
    char sha[65];
    if (!s)
        s = copy_map(b, v, err);
    if (!s)
        s = senti_file_sha256(all->path, sha, err);
    if (!s) {
        senti_baseline_source src = {all->path, sha, p->seed, p->per_class, pk->rows, n};
        s = senti_baseline_save(b, &src, out_path, err);
    }
    if (!s && info) {
        const senti_bow *bow = senti_baseline_bow(b);
        info->C = bow ? senti_bow_C(bow) : NAN;
        info->cv_accuracy = bow ? senti_bow_cv_accuracy(bow) : NAN;
    }
    senti_baseline_free(b);
    return s;
}

senti_status senti_baseline_fit_rows(const senti_examples *all, const senti_verbalizer *v,
                                     const senti_baseline_fit_params *p, const char *out_path,
                                     senti_baseline_fit_info *info, senti_err *err)
{
    size_t k = senti_verbalizer_n_labels(v), avail[256] = {0}, n = 0, n_va = 0;
    if (k < 2 || k > 256)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: a baseline needs 2 to 256 labels (%zu)", senti_verbalizer_name(v),
                             k);
    size_t *idx = malloc((all->n + 1) * sizeof *idx), *va = malloc((all->n + 1) * sizeof *va);
    picked pk = {0};
    senti_status s = idx && va
                         ? senti_ft_select_rows(all, v, p->per_class, p->seed, 0.0, idx, &n, va, &n_va, avail, err)
                         : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    size_t need = p->method == SENTI_BASELINE_MAJORITY ? 1 : 2;
    if (!s && n < need)
        s = senti_err_set(err, SENTI_ERR_ARG, "%s: %zu rows with a label of %s (need at least %zu)", all->path, n,
                          senti_verbalizer_name(v), need);
    if (!s)
        s = pick(all, v, idx, n, &pk, err);
    if (!s)
        s = train_and_save(all, v, p, &pk, n, out_path, info, err);
    if (info) {
        info->n_rows = n;
        for (size_t j = 0; j < k && j < SENTI_MAX_HEAD_LABELS; j++)
            info->avail[j] = avail[j];
    }
    picked_free(&pk);
    free(idx);
    free(va);
    return s;
}
