/*
 * select_cv.c - cross-validation pieces of `senti select`: stratified folds,
 * the per-fold metrics of a candidate's out-of-fold predictions, the ranking
 * order and its CSV / Markdown, and the small files the candidates run on
 * (row subsets as CSV, verbalizers). Every file is written through a
 * temporary name and renamed, every write checked.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "00-base/base.h"
#include "senti/metrics.h"
#include "select_internal.h"

/* ---- folds ------------------------------------------------------------------ */

senti_status senti_select_folds(const int *y, size_t n, int k, int n_folds, uint64_t seed, int *fold, senti_err *err)
{
    if (n_folds < 2 || n_folds > SEL_MAX_FOLDS)
        return senti_err_set(err, SENTI_ERR_ARG, "select: %d folds (2..%d)", n_folds, SEL_MAX_FOLDS);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!idx || !rng) {
        free(idx), gsl_rng_free(rng);
        return senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    }
    gsl_rng_set(rng, (unsigned long)seed);
    senti_status st = SENTI_OK;
    size_t deal = 0; /* the next fold to deal to, continued across labels */
    for (int l = 0; l < k && !st; l++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (y[i] == l)
                idx[c++] = i;
        if (c < (size_t)n_folds) {
            st = senti_err_set(err, SENTI_ERR_ARG, "select: label %d has %zu rows, fewer than the %d folds", l, c,
                               n_folds);
            break;
        }
        gsl_ran_shuffle(rng, idx, c, sizeof *idx);
        for (size_t j = 0; j < c; j++)
            fold[idx[j]] = (int)(deal++ % (size_t)n_folds);
    }
    free(idx);
    gsl_rng_free(rng);
    return st;
}

/* ---- metrics ------------------------------------------------------------------- */

static void mean_sd(const double *v, int n, double *mean, double *sd)
{
    double s = 0, q = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        q += (v[i] - *mean) * (v[i] - *mean);
    *sd = n > 1 ? sqrt(q / (n - 1)) : 0.0;
}

senti_status sel_cv_score(const sel_rows *r, sel_cand *c, senti_err *err)
{
    double acc[SEL_MAX_FOLDS], f1[SEL_MAX_FOLDS], ece[SEL_MAX_FOLDS];
    int *gold = malloc(r->n * sizeof *gold), *pred = malloc(r->n * sizeof *pred);
    double *prob = malloc(r->n * (size_t)r->k * sizeof *prob);
    senti_status st = gold && pred && prob ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    senti_eval_params ep = senti_eval_default_params();
    ep.bootstrap = 0;
    ep.n_bins = 10;
    for (int f = 0; f < r->n_folds && !st; f++) {
        size_t m = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (r->fold[i] != f)
                continue;
            memcpy(prob + m * (size_t)r->k, c->prob + i * (size_t)r->k, (size_t)r->k * sizeof *prob);
            gold[m] = r->y[i];
            pred[m] = senti_argmax_row(c->prob + i * (size_t)r->k, r->k);
            m++;
        }
        senti_eval_input in = {.n = m, .k = r->k, .gold = gold, .pred = pred, .prob = prob};
        senti_metrics mt;
        if ((st = senti_metrics_compute(&in, &ep, &mt, err)))
            break;
        acc[f] = mt.value[SENTI_M_ACCURACY];
        f1[f] = mt.value[SENTI_M_MACRO_F1];
        ece[f] = mt.value[SENTI_M_ECE];
        senti_metrics_free(&mt);
    }
    if (!st) {
        mean_sd(acc, r->n_folds, &c->acc_mean, &c->acc_sd);
        mean_sd(f1, r->n_folds, &c->f1_mean, &c->f1_sd);
        mean_sd(ece, r->n_folds, &c->ece_mean, &c->ece_sd);
    }
    free(gold), free(pred), free(prob);
    return st;
}

/* Evaluated first (by accuracy, macro-F1, ECE, name), then the others by name. */
int sel_cand_cmp(const void *a, const void *b)
{
    const sel_cand *x = *(sel_cand *const *)a, *y = *(sel_cand *const *)b;
    bool dx = x->state == SEL_DONE, dy = y->state == SEL_DONE;
    if (dx != dy)
        return dx ? -1 : 1;
    if (dx) {
        if (x->acc_mean != y->acc_mean)
            return x->acc_mean > y->acc_mean ? -1 : 1;
        if (x->f1_mean != y->f1_mean)
            return x->f1_mean > y->f1_mean ? -1 : 1;
        if (x->ece_mean != y->ece_mean)
            return x->ece_mean < y->ece_mean ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

static const char *state_name(sel_state s)
{
    static const char *const n[] = {"pending", "evaluated", "skipped", "failed"};
    return n[s];
}

static const char *kind_name(sel_kind k)
{
    static const char *const n[] = {"bow-logreg", "prompt", "few-shot", "head", "ensemble", "label-words", "lora"};
    return n[k];
}

senti_status sel_write_ranking_csv(const char *path, sel_cand *const *c, size_t n, senti_err *err)
{
    senti_atomic_file af;
    senti_status st = senti_atomic_open(&af, path, err);
    if (st)
        return st;
    fprintf(af.f, "rank,candidate,kind,state,cv_accuracy,cv_accuracy_sd,cv_macro_f1,cv_macro_f1_sd,cv_ece,"
                  "cv_ece_sd,seconds,note\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(af.f, "%zu,", i + 1);
        senti_csv_field(af.f, c[i]->name);
        fprintf(af.f, ",%s,%s,", kind_name(c[i]->kind), state_name(c[i]->state));
        if (c[i]->state == SEL_DONE)
            fprintf(af.f, "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,", c[i]->acc_mean, c[i]->acc_sd, c[i]->f1_mean,
                    c[i]->f1_sd, c[i]->ece_mean, c[i]->ece_sd);
        else
            fprintf(af.f, ",,,,,,");
        fprintf(af.f, "%.1f,", c[i]->seconds);
        senti_csv_field(af.f, c[i]->note);
        fputc('\n', af.f);
    }
    return senti_atomic_commit(&af, err);
}

senti_status sel_write_ranking_md(const char *path, sel_cand *const *c, size_t n, const sel_rows *r,
                                  const json_t *recipe, senti_err *err)
{
    senti_atomic_file af;
    senti_status st = senti_atomic_open(&af, path, err);
    if (st)
        return st;
    const json_t *cv = json_object_get(recipe, "cv");
    fprintf(af.f, "# senti select: ranking\n\n%zu labelled rows, %d labels, %d-fold stratified cross-validation "
                  "(seed %" PRIu64 "). Chosen: **%s**, CV accuracy %.4f.\n\n",
            r->n, r->k, r->n_folds, (uint64_t)json_integer_value(json_object_get(recipe, "seed")), c[0]->name,
            json_real_value(json_object_get(cv, "accuracy")));
    sel_counts k = sel_count(c, n);
    char counts[256];
    sel_counts_text(&k, n, counts, sizeof counts);
    const json_t *sel = json_object_get(recipe, "selection");
    fprintf(af.f, "Candidates: %s. Time: %.1f s = search %.1f s + final fit %.1f s + holdout %.1f s (budget %.0f s "
                  "for the search and the final fit).\n\n",
            counts, json_real_value(json_object_get(sel, "seconds")), json_real_value(json_object_get(sel, "search_s")),
            json_real_value(json_object_get(sel, "final_fit_s")), json_real_value(json_object_get(sel, "holdout_s")),
            json_real_value(json_object_get(sel, "budget_s")));
    fprintf(af.f, "The chosen candidate's CV accuracy is **optimistic**: it is the maximum over the %zu evaluated "
                  "candidate%s, selected on the same rows. Only rows never used in selection "
                  "(`--holdout`) estimate it without that bias.\n\n",
            k.done, k.done == 1 ? "" : "s");
    const json_t *ho = json_object_get(recipe, "holdout");
    if (ho)
        fprintf(af.f, "Holdout: accuracy %.4f on %" PRIu64 " rows never used in selection (%s).\n\n",
                json_real_value(json_object_get(ho, "accuracy")), (uint64_t)json_integer_value(json_object_get(ho, "rows")),
                json_string_value(json_object_get(ho, "path")));
    fprintf(af.f, "| rank | candidate | kind | accuracy | macro-F1 | ECE | seconds | note |\n"
                  "|---:|---|---|---|---|---|---:|---|\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(af.f, "| %zu | `%s` | %s | ", i + 1, c[i]->name, kind_name(c[i]->kind));
        if (c[i]->state == SEL_DONE)
            fprintf(af.f, "%.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | ", c[i]->acc_mean, c[i]->acc_sd,
                    c[i]->f1_mean, c[i]->f1_sd, c[i]->ece_mean, c[i]->ece_sd);
        else
            fprintf(af.f, "%s | | | ", state_name(c[i]->state));
        fprintf(af.f, "%.1f | %s |\n", c[i]->seconds, c[i]->note);
    }
    return senti_atomic_commit(&af, err);
}

sel_counts sel_count(sel_cand *const *c, size_t n)
{
    sel_counts k = {0};
    for (size_t i = 0; i < n; i++) {
        k.done += c[i]->state == SEL_DONE;
        k.skipped += c[i]->state == SEL_SKIPPED;
        k.budget += c[i]->state == SEL_SKIPPED && c[i]->by_budget;
        k.failed += c[i]->state == SEL_FAILED;
    }
    return k;
}

void sel_counts_text(const sel_counts *k, size_t n, char *out, size_t cap)
{
    snprintf(out, cap, "%zu of %zu evaluated (%zu skipped by the budget, %zu skipped for another reason, %zu failed)",
             k->done, n, k->budget, k->skipped - k->budget, k->failed);
}

senti_status sel_write_cv_csv(const char *path, const sel_rows *r, const sel_cand *c, senti_err *err)
{
    senti_atomic_file af;
    senti_status st = senti_atomic_open(&af, path, err);
    if (st)
        return st;
    fprintf(af.f, "id,gold,pred");
    for (int j = 0; j < r->k; j++) {
        char name[300];
        snprintf(name, sizeof name, "p_%s", r->labels[j]);
        fputc(',', af.f);
        senti_csv_field(af.f, name);
    }
    fprintf(af.f, ",fold,status\n");
    for (size_t i = 0; i < r->n; i++) {
        const double *p = c->prob + i * (size_t)r->k;
        if (r->id[i])
            senti_csv_field(af.f, r->id[i]);
        else
            fprintf(af.f, "%zu", r->row[i]);
        fputc(',', af.f);
        senti_csv_field(af.f, r->labels[r->y[i]]);
        fputc(',', af.f);
        senti_csv_field(af.f, r->labels[senti_argmax_row(p, r->k)]);
        for (int j = 0; j < r->k; j++)
            fprintf(af.f, ",%.9g", p[j]);
        fprintf(af.f, ",%d,ok\n", r->fold[i]);
    }
    return senti_atomic_commit(&af, err);
}

/* ---- files for the candidates --------------------------------------------------- */

senti_status sel_write_csv(const char *path, const sel_rows *r, const size_t *idx, size_t n_idx,
                           const char *fake_label, senti_err *err)
{
    senti_atomic_file af;
    senti_status st = senti_atomic_open(&af, path, err);
    if (st)
        return st;
    fprintf(af.f, "id,text,label\n");
    size_t n = idx ? n_idx : r->n;
    for (size_t j = 0; j < n; j++) {
        size_t i = idx ? idx[j] : j;
        fprintf(af.f, "r%zu,", r->row[i]);
        senti_csv_field(af.f, r->text[i]);
        fputc(',', af.f);
        senti_csv_field(af.f, fake_label ? fake_label : r->labels[r->y[i]]);
        fputc('\n', af.f);
    }
    return senti_atomic_commit(&af, err);
}

senti_status sel_write_json(const char *path, const json_t *j, senti_err *err)
{
    senti_atomic_file af;
    senti_status st = senti_atomic_open(&af, path, err);
    if (st)
        return st;
    if (json_dumpf(j, af.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', af.f) == EOF) {
        senti_atomic_abort(&af);
        return senti_err_set(err, SENTI_ERR_IO, "%s: write failed", path);
    }
    return senti_atomic_commit(&af, err);
}

senti_status sel_write_verbalizer(const char *path, const char *name, const char *tmpl, const json_t *words,
                                  const json_t *label_map, char *const *labels, int k, senti_err *err)
{
    json_t *v = json_object(), *order = json_array(), *lw = json_object();
    for (int i = 0; i < k; i++) {
        json_array_append_new(order, json_string(labels[i]));
        json_object_set(lw, labels[i], json_object_get(words, labels[i]));
    }
    json_object_set_new(v, "name", json_string(name));
    json_object_set_new(v, "labels", lw);
    json_object_set_new(v, "label_order", order);
    if (label_map)
        json_object_set(v, "label_map", (json_t *)label_map);
    json_object_set_new(v, "template", json_string(tmpl));
    senti_status st = sel_write_json(path, v, err);
    json_decref(v);
    return st;
}

void sel_softmax(const double *s, int k, double *p)
{
    double mx = s[0], z = 0;
    for (int j = 1; j < k; j++)
        mx = s[j] > mx ? s[j] : mx;
    for (int j = 0; j < k; j++)
        z += (p[j] = exp(s[j] - mx));
    for (int j = 0; j < k; j++)
        p[j] /= z;
}
