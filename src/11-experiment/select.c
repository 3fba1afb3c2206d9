/*
 * select.c - `senti select`: choose a recipe by cross-validation on a few
 * labelled rows (contract in senti/select.h, formats in docs/select.md).
 *
 * Steps: read the rows and their labels, deal stratified folds, write the
 * row files the candidates run on into a temporary folder, then evaluate in
 * cost order within the budget:
 *   A  bow-logreg (no model);
 *   B  a probe of every model (ascending file size): the first template and
 *      label words with every calibration; it measures the model's speed;
 *   C  the models by probe accuracy, best first: the other prompts, the
 *      ensembles, the head, the label-word search on the best template, and
 *      few-shot for the best zero-shot prompt(s) (promotion);
 * then rank, write the ranking and the recipe (select_recipe.c reads it back)
 * and apply it to the --holdout rows.
 * Only the training folds reach bow-logreg, heads, demonstrations and the
 * word search; zero-shot prompts and their calibrations use no labels, so
 * one classify pass over all rows gives every fold's predictions.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "00-base/base.h"
#include "senti/baseline.h"
#include "senti/finetune.h"
#include "senti/model.h"
#include "senti/predfile.h"
#include "senti/verbalizer.h"
#include "select_internal.h"


/* ---- small helpers ------------------------------------------------------------ */

void sel_log(sel_run *s, const char *fmt, ...)
{
    if (!s->p->log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->p->log(s->p->log_user, line);
}

double sel_elapsed(const sel_run *s) { return senti_now() - s->t0; }
double sel_left(const sel_run *s) { return s->p->budget_s - s->charged; }

static const char *model_short(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

sel_cand *sel_new_cand(sel_run *s, sel_kind kind, int m, int t, int w, int cal, int shots)
{
    if (s->n_c == SEL_MAX_CANDS)
        return NULL;
    sel_cand *c = calloc(1, sizeof *c);
    if (!c || !(c->prob = calloc(s->r.n * (size_t)s->r.k, sizeof *c->prob))) {
        free(c);
        return NULL;
    }
    c->kind = kind, c->model = m, c->tmpl = t, c->ws = w, c->calib = cal, c->shots = shots;
    char mname[96];
    if (m >= 0) {
        snprintf(mname, sizeof mname, "%s", model_short(s->sp.models[m]));
        char *dot = strstr(mname, ".gguf");
        if (dot)
            *dot = 0;
    }
    const char *cn = cal >= 0 ? senti_calib_name((senti_calib_method)cal) : "";
    switch (kind) {
    case SEL_BOW: snprintf(c->name, sizeof c->name, "bow-logreg"); break;
    case SEL_PROMPT: snprintf(c->name, sizeof c->name, "%s.%s.%s.%s.k0", mname, s->sp.tmpl_name[t], s->sp.ws_name[w], cn); break;
    case SEL_FEWSHOT: snprintf(c->name, sizeof c->name, "%s.%s.%s.%s.k%d", mname, s->sp.tmpl_name[t], s->sp.ws_name[w], cn, shots); break;
    case SEL_HEAD: snprintf(c->name, sizeof c->name, "%s.%s.head", mname, s->sp.tmpl_name[t]); break;
    case SEL_ENSEMBLE: snprintf(c->name, sizeof c->name, "%s.ensemble.%s", mname, cn); break;
    case SEL_LORA: snprintf(c->name, sizeof c->name, "%s.%s.lora", mname, s->sp.tmpl_name[t]); break;
    case SEL_WORDS: snprintf(c->name, sizeof c->name, "%s.%s.searched-words.%s.k0", mname, s->sp.tmpl_name[t], cn); break;
    }
    s->c[s->n_c++] = c;
    return c;
}

void sel_cand_free(sel_cand *c)
{
    if (!c)
        return;
    free(c->prob);
    json_decref(c->words);
    free(c);
}

void sel_skip(sel_cand *c, const char *why)
{
    c->state = SEL_SKIPPED;
    snprintf(c->note, sizeof c->note, "%s", why);
}

void sel_skip_budget(sel_cand *c, const char *why)
{
    sel_skip(c, why);
    c->by_budget = true;
}

/* ---- rows ----------------------------------------------------------------------- */

static int label_cmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    char *ex, *ey;
    long long vx = strtoll(x, &ex, 10), vy = strtoll(y, &ey, 10);
    if (*x && *y && !*ex && !*ey && vx != vy)
        return vx < vy ? -1 : 1;
    return strcmp(x, y);
}

static int find_label(const sel_rows *r, const char *l)
{
    for (int j = 0; j < r->k; j++)
        if (!strcmp(r->labels[j], l))
            return j;
    return -1;
}

/* Labels from the verbalizer (its order) or the data (sorted). */
static senti_status collect_labels(sel_run *s, const senti_examples *ex, const senti_verbalizer *v, senti_err *err)
{
    sel_rows *r = &s->r;
    r->labels = calloc(SENTI_MAX_LABELS, sizeof *r->labels);
    if (!r->labels)
        return senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    if (v) {
        for (size_t j = 0; j < senti_verbalizer_n_labels(v) && j < SENTI_MAX_LABELS; j++)
            r->labels[r->k++] = senti_xstrdup(senti_verbalizer_label(v, j));
        return SENTI_OK;
    }
    for (size_t i = 0; i < ex->n; i++) {
        if (find_label(r, ex->items[i].label) >= 0)
            continue;
        if (r->k == SENTI_MAX_LABELS)
            return senti_err_set(err, SENTI_ERR_RANGE, "%s: more than %d labels", ex->path, SENTI_MAX_LABELS);
        r->labels[r->k++] = senti_xstrdup(ex->items[i].label);
    }
    qsort(r->labels, (size_t)r->k, sizeof *r->labels, label_cmp);
    return SENTI_OK;
}

static senti_status check_counts(const sel_run *s, senti_err *err)
{
    const sel_rows *r = &s->r;
    if (r->k < 2)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: %d label%s in the data; select needs at least 2",
                             s->p->input_path, r->k, r->k == 1 ? "" : "s");
    for (int j = 0; j < r->k; j++) {
        size_t c = 0;
        for (size_t i = 0; i < r->n; i++)
            c += r->y[i] == j;
        if (c < 2)
            return senti_err_set(err, SENTI_ERR_ARG,
                                 "%s: label '%s' has %zu labelled row%s; select needs at least 2 per label "
                                 "(8 or more recommended)",
                                 s->p->input_path, r->labels[j], c, c == 1 ? "" : "s");
        if (s->p->folds && c < (size_t)s->p->folds)
            return senti_err_set(err, SENTI_ERR_ARG, "%s: label '%s' has %zu rows, fewer than --folds %d",
                                 s->p->input_path, r->labels[j], c, s->p->folds);
    }
    return SENTI_OK;
}

static int auto_folds(const sel_rows *r)
{
    size_t lo = SIZE_MAX;
    for (int j = 0; j < r->k; j++) {
        size_t c = 0;
        for (size_t i = 0; i < r->n; i++)
            c += r->y[i] == j;
        lo = c < lo ? c : lo;
    }
    return lo < 5 ? (int)lo : 5;
}

senti_status sel_load_rows(sel_run *s, const senti_verbalizer *v, senti_err *err)
{
    senti_examples *ex = NULL;
    senti_status st = senti_examples_load(s->p->input_path, &s->p->data, &ex, err);
    if (!st && !ex->has_label)
        st = senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: no label column (--label-col)", s->p->input_path);
    if (!st)
        st = collect_labels(s, ex, v, err);
    sel_rows *r = &s->r;
    if (!st) {
        r->text = calloc(ex->n ? ex->n : 1, sizeof *r->text);
        r->y = calloc(ex->n ? ex->n : 1, sizeof *r->y);
        r->row = calloc(ex->n ? ex->n : 1, sizeof *r->row);
        r->fold = calloc(ex->n ? ex->n : 1, sizeof *r->fold);
        r->id = calloc(ex->n ? ex->n : 1, sizeof *r->id);
        if (!r->text || !r->y || !r->row || !r->fold || !r->id)
            st = senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    }
    for (size_t i = 0; !st && i < ex->n; i++) {
        const senti_example *e = &ex->items[i];
        int y = v ? senti_verbalizer_find(v, e->label) : find_label(r, e->label);
        if (y < 0)
            st = senti_err_set(err, SENTI_ERR_NOTFOUND, "%s:%zu: label '%s' is not in verbalizer %s",
                               s->p->input_path, e->line, e->label, s->p->verbalizer_path);
        else if (!e->text_len)
            st = senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: empty text", s->p->input_path, e->line);
        else {
            r->text[r->n] = senti_xstrdup(e->text);
            r->id[r->n] = e->id ? senti_xstrdup(e->id) : NULL;
            r->y[r->n] = y;
            r->row[r->n++] = e->row;
        }
    }
    senti_examples_free(ex);
    if (!st)
        st = check_counts(s, err);
    if (!st) {
        r->n_folds = s->p->folds ? s->p->folds : auto_folds(r);
        st = senti_select_folds(r->y, r->n, r->k, r->n_folds, s->p->seed, r->fold, err);
    }
    return st;
}

/* ---- running a classify pass ------------------------------------------------------ */

senti_classify_params sel_base_params(sel_run *s, const char *verb, const char *input, int cal)
{
    senti_classify_params cp = senti_classify_default_params();
    cp.model = s->model;
    cp.n_threads = s->p->n_threads;
    cp.verbalizer_path = verb;
    cp.input_path = input;
    cp.data.text_col = "text";
    cp.data.label_col = "label";
    cp.data.id_col = "id";
    cp.calib = (senti_calib_method)cal;
    cp.score_cache_dir = s->cache;
    static char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/out.csv", s->work);
    cp.output_path = out;
    return cp;
}

/* Run a pass and copy its label distributions into prob rows idx (all rows
 * when idx is NULL), in the order of its input file. */
senti_status sel_run_pass(sel_run *s, const senti_classify_params *cp, const size_t *idx, size_t n_idx,
                             double *prob, int k, double *seconds, senti_err *err)
{
    senti_classify_summary sum = {0};
    double t = senti_now();
    senti_status st = senti_classify_run(cp, &sum, err);
    if (seconds)
        *seconds = senti_now() - t;
    s->model_error |= st && sum.model_error;
    senti_predfile pf;
    if (st || (st = senti_predfile_read(cp->output_path, NULL, &pf, err)))
        return st;
    size_t n = idx ? n_idx : s->r.n;
    if (pf.n != n || pf.k != k || !pf.prob)
        st = senti_err_set(err, SENTI_ERR_STATE, "select: a classify pass returned %zu rows of %d labels", pf.n, pf.k);
    for (size_t i = 0; !st && i < n; i++)
        memcpy(prob + (idx ? idx[i] : i) * (size_t)k, pf.prob + i * (size_t)k, (size_t)k * sizeof *prob);
    senti_predfile_free(&pf);
    return st;
}

void sel_verb_path(const sel_run *s, int t, int w, char *out)
{
    snprintf(out, PATH_MAX, "%s/v%d_%d.json", s->work, t, w);
}

senti_status sel_write_verbalizers(sel_run *s, senti_err *err)
{
    char path[PATH_MAX], name[64];
    for (size_t t = 0; t < s->sp.n_tmpl; t++)
        for (size_t w = 0; w < s->sp.n_ws; w++) {
            sel_verb_path(s, (int)t, (int)w, path);
            snprintf(name, sizeof name, "select-%zu-%zu", t, w);
            senti_status st = sel_write_verbalizer(path, name, s->sp.tmpl[t], s->sp.ws[w], s->label_map, s->r.labels, s->r.k, err);
            if (st)
                return st;
        }
    return SENTI_OK;
}

/* The row files: all rows, and each fold's training and test rows. */
senti_status sel_write_rows(sel_run *s, senti_err *err)
{
    char path[PATH_MAX];
    size_t *tr = malloc(s->r.n * sizeof *tr), *te = malloc(s->r.n * sizeof *te);
    senti_status st = tr && te ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    snprintf(path, sizeof path, "%s/all.csv", s->work);
    if (!st)
        st = sel_write_csv(path, &s->r, NULL, 0, NULL, err);
    for (int f = 0; f < s->r.n_folds && !st; f++) {
        size_t ntr = 0, nte = 0;
        for (size_t i = 0; i < s->r.n; i++)
            if (s->r.fold[i] == f)
                te[nte++] = i;
            else
                tr[ntr++] = i;
        snprintf(path, sizeof path, "%s/f%d.train.csv", s->work, f);
        st = sel_write_csv(path, &s->r, tr, ntr, NULL, err);
        snprintf(path, sizeof path, "%s/f%d.test.csv", s->work, f);
        if (!st)
            st = sel_write_csv(path, &s->r, te, nte, NULL, err);
    }
    free(tr), free(te);
    return st;
}

/* ---- candidates ------------------------------------------------------------------ */

void sel_finish(sel_run *s, sel_cand *c, senti_status st, const senti_err *e, double seconds)
{
    senti_err e2;
    c->seconds += seconds;
    s->charged += c->cost;
    if (!st)
        st = sel_cv_score(&s->r, c, &e2), e = &e2;
    if (st) {
        c->state = SEL_FAILED;
        snprintf(c->note, sizeof c->note, "%s", e->msg);
        sel_log(s, "select: %s: failed: %s", c->name, e->msg);
        return;
    }
    c->state = SEL_DONE;
    sel_log(s, "select: [%zu] %-60s acc %.3f ± %.3f  F1 %.3f  ECE %.3f  (%.1f s; budget %.1f of %.1f s, %.0f s "
               "elapsed)", s->n_c, c->name, c->acc_mean, c->acc_sd, c->f1_mean, c->ece_mean, c->seconds, s->charged,
          s->p->budget_s, sel_elapsed(s));
}

void sel_eval_bow(sel_run *s)
{
    sel_cand *c = sel_new_cand(s, SEL_BOW, -1, -1, -1, -1, 0);
    if (!c)
        return;
    c->cost = 0.002 * (double)s->r.n * s->r.n_folds; /* estimated: milliseconds per row and fold */
    sel_rows *r = &s->r;
    const char **tx = malloc(r->n * sizeof *tx);
    int *ty = malloc(r->n * sizeof *ty);
    senti_err e = {0};
    senti_status st = tx && ty ? SENTI_OK : senti_err_set(&e, SENTI_ERR_NOMEM, "out of memory");
    double t = senti_now();
    for (int f = 0; f < r->n_folds && !st; f++) {
        size_t m = 0;
        for (size_t i = 0; i < r->n; i++)
            if (r->fold[i] != f)
                tx[m] = r->text[i], ty[m++] = r->y[i]; /* training folds only */
        senti_bow_params bp = senti_bow_default_params();
        bp.seed = s->p->seed;
        senti_bow *b = NULL;
        st = senti_bow_train(tx, ty, m, r->k, (const char *const *)r->labels, &bp, &b, &e);
        for (size_t i = 0; !st && i < r->n; i++)
            if (r->fold[i] == f)
                senti_bow_predict(b, r->text[i], strlen(r->text[i]), c->prob + i * (size_t)r->k);
        senti_bow_free(b);
    }
    free(tx), free(ty);
    sel_finish(s, c, st, &e, senti_now() - t);
}

senti_status sel_ensure_model(sel_run *s, int m, senti_err *err)
{
    if (s->model && s->model_ix == m)
        return SENTI_OK;
    for (size_t t = 0; t < SEL_MAX_ITEMS; t++)
        free(s->head_x[t]), s->head_x[t] = NULL;
    senti_model_free(s->model);
    s->model = NULL;
    struct stat fst; /* charged: about 0.2 s + 2 s per GB (the mapping read in, its SHA-256) */
    s->charged += 0.2 + (stat(s->sp.models[m], &fst) ? 0.0 : 2.0 * (double)fst.st_size / 1e9);
    senti_model_params mp = senti_model_default_params();
    mp.n_threads = s->p->n_threads;
    senti_status st = senti_model_load(s->sp.models[m], &mp, &s->model, err);
    s->model_error |= st != SENTI_OK;
    s->model_ix = m;
    return st;
}

/* One zero-shot prompt over all rows. */
void sel_eval_prompt(sel_run *s, sel_cand *c)
{
    senti_err e = {0};
    char verb[PATH_MAX], all[PATH_MAX];
    sel_verb_path(s, c->tmpl, c->ws, verb);
    snprintf(all, sizeof all, "%s/all.csv", s->work);
    senti_status st = sel_ensure_model(s, c->model, &e);
    double sec = 0;
    if (!st) {
        senti_classify_params cp = sel_base_params(s, verb, all, c->calib);
        st = sel_run_pass(s, &cp, NULL, 0, c->prob, s->r.k, &sec, &e);
    }
    sel_finish(s, c, st, &e, sec);
}

/* Few-shot: demonstrations from the training folds only, one pass per fold. */
/* Fold f: its rows into idx (the count is returned) and the paths of its
 * training-fold and test-fold files (PATH_MAX each) under the work folder. */
static size_t fold_rows(const sel_run *s, int f, size_t *idx, char *tr, char *te)
{
    size_t n = 0;
    for (size_t i = 0; i < s->r.n; i++)
        if (s->r.fold[i] == f)
            idx[n++] = i;
    snprintf(tr, PATH_MAX, "%s/f%d.train.csv", s->work, f);
    snprintf(te, PATH_MAX, "%s/f%d.test.csv", s->work, f);
    return n;
}

void sel_eval_fewshot(sel_run *s, sel_cand *c)
{
    senti_err e = {0};
    char verb[PATH_MAX], tr[PATH_MAX], te[PATH_MAX];
    sel_verb_path(s, c->tmpl, c->ws, verb);
    size_t *idx = malloc(s->r.n * sizeof *idx);
    senti_status st = idx ? sel_ensure_model(s, c->model, &e) : senti_err_set(&e, SENTI_ERR_NOMEM, "out of memory");
    double sec = 0, t;
    for (int f = 0; f < s->r.n_folds && !st; f++) {
        const size_t n = fold_rows(s, f, idx, tr, te);
        senti_classify_params cp = sel_base_params(s, verb, te, c->calib);
        cp.train_path = tr;
        cp.train_data = cp.data;
        cp.demos.shots = (size_t)c->shots;
        cp.demos.seed = s->p->seed;
        cp.demos.sampling = SENTI_DEMO_BALANCED;
        cp.demo_turns = c->turns;
        st = sel_run_pass(s, &cp, idx, n, c->prob, s->r.k, &t, &e);
        sec += t;
    }
    free(idx);
    sel_finish(s, c, st, &e, sec);
}

/* Head features of every row for template t (once per model and template). */
senti_status sel_head_features(sel_run *s, int t, senti_err *err)
{
    if (s->head_x[t])
        return SENTI_OK;
    char verb[PATH_MAX], all[PATH_MAX];
    sel_verb_path(s, t, 0, verb);
    snprintf(all, sizeof all, "%s/all.csv", s->work);
    senti_verbalizer *v = NULL;
    senti_examples *ex = NULL;
    senti_dataset_params dp = senti_dataset_default_params();
    dp.text_col = "text", dp.label_col = "label", dp.id_col = "id";
    senti_ft_prompt_params pp = senti_ft_prompt_default_params();
    pp.tmpl = s->sp.tmpl[t];
    int *y = NULL;
    senti_status st = senti_verbalizer_load(verb, &v, err);
    if (!st)
        st = senti_examples_load(all, &dp, &ex, err);
    if (!st)
        st = senti_head_features_compute(s->model, v, &pp, ex, SENTI_HEAD_FEAT_HIDDEN, &s->head_x[t], &y,
                                         &s->head_d, NULL, NULL, err);
    free(y);
    senti_examples_free(ex);
    senti_verbalizer_free(v);
    return st;
}

senti_status sel_head_fit(sel_run *s, int t, const bool *use, senti_head **out, senti_err *err)
{
    size_t n = 0, d = (size_t)s->head_d;
    double *X = malloc(s->r.n * d * sizeof *X);
    int *y = malloc(s->r.n * sizeof *y);
    senti_status st = X && y ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !st && i < s->r.n; i++)
        if (use[i]) {
            memcpy(X + n * d, s->head_x[t] + i * d, d * sizeof *X);
            y[n++] = s->r.y[i];
        }
    senti_head_fit_params fp = senti_head_fit_default_params();
    fp.seed = s->p->seed;
    if (!st)
        st = senti_head_fit(X, y, n, s->head_d, s->r.k, (const char *const *)s->r.labels, &fp, out, NULL, err);
    free(X), free(y);
    return st;
}

void sel_eval_head(sel_run *s, sel_cand *c)
{
    senti_err e = {0};
    double t = senti_now();
    bool *use = malloc(s->r.n * sizeof *use);
    senti_status st = use ? sel_ensure_model(s, c->model, &e) : senti_err_set(&e, SENTI_ERR_NOMEM, "out of memory");
    if (!st)
        st = sel_head_features(s, c->tmpl, &e);
    double lp[SENTI_MAX_LABELS];
    for (int f = 0; f < s->r.n_folds && !st; f++) {
        for (size_t i = 0; i < s->r.n; i++)
            use[i] = s->r.fold[i] != f; /* fitted on the training folds only */
        senti_head *h = NULL;
        st = sel_head_fit(s, c->tmpl, use, &h, &e);
        for (size_t i = 0; !st && i < s->r.n; i++) {
            if (use[i])
                continue;
            senti_head_predict(h, s->head_x[c->tmpl] + i * (size_t)s->head_d, lp);
            for (int j = 0; j < s->r.k; j++)
                c->prob[i * (size_t)s->r.k + (size_t)j] = exp(lp[j]);
        }
        senti_head_free(h);
    }
    free(use);
    sel_finish(s, c, st, &e, senti_now() - t);
}

/* Ensemble: the mean of the evaluated prompts of one model and calibration. */
void sel_eval_ensemble(sel_run *s, sel_cand *c)
{
    size_t n_m = 0, nk = s->r.n * (size_t)s->r.k;
    for (size_t i = 0; i < s->n_c; i++) {
        const sel_cand *m = s->c[i];
        if (m->kind != SEL_PROMPT || m->model != c->model || m->calib != c->calib || m->state != SEL_DONE)
            continue;
        for (size_t j = 0; j < nk; j++)
            c->prob[j] += m->prob[j];
        n_m++;
    }
    if (n_m < 2) {
        sel_skip(c, "fewer than 2 evaluated members");
        return;
    }
    for (size_t j = 0; j < nk; j++)
        c->prob[j] /= (double)n_m;
    snprintf(c->note, sizeof c->note, "%zu members", n_m);
    sel_finish(s, c, SENTI_OK, NULL, 0);
}


/* ---- LoRA ---------------------------------------------------------------------------- */

/* Train on the rows of `rows_csv` with template c->tmpl and label words of
 * set 0: `senti finetune --method lora` on every row of that file (no
 * validation rows: senti_ft_train with per_class 0 and val_frac 0). */
static senti_status lora_train_file(sel_run *s, const sel_cand *c, const char *rows_csv, const char *out,
                                    senti_err *err)
{
    char verb[PATH_MAX];
    sel_verb_path(s, c->tmpl, 0, verb);
    senti_verbalizer *v = NULL;
    senti_examples *ex = NULL;
    senti_dataset_params dp = senti_dataset_default_params();
    dp.text_col = "text", dp.label_col = "label", dp.id_col = "id";
    senti_ft_params fp = senti_ft_default_params();
    fp.method = SENTI_FT_LORA;
    fp.per_class = 0;  /* every row of the file */
    fp.val_frac = 0.0; /* no validation rows: the last epoch */
    fp.seed = fp.lora.seed = s->p->seed;
    fp.prompt.tmpl = s->sp.tmpl[c->tmpl];
    senti_status st = sel_ensure_model(s, c->model, err);
    if (!st)
        st = senti_verbalizer_load(verb, &v, err);
    if (!st)
        st = senti_examples_load(rows_csv, &dp, &ex, err);
    if (!st)
        st = senti_ft_train(s->model, v, ex, &fp, out, NULL, err);
    senti_examples_free(ex);
    senti_verbalizer_free(v);
    return st;
}

senti_status sel_lora_all(sel_run *s, const sel_cand *c, const char *out, senti_err *err)
{
    char all[PATH_MAX];
    snprintf(all, sizeof all, "%s/all.csv", s->work);
    return lora_train_file(s, c, all, out, err);
}

void sel_eval_lora(sel_run *s, sel_cand *c)
{
    senti_err e = {0};
    char verb[PATH_MAX], tr[PATH_MAX], te[PATH_MAX], ad[PATH_MAX];
    sel_verb_path(s, c->tmpl, 0, verb);
    snprintf(ad, sizeof ad, "%s/lora.gguf", s->work);
    size_t *idx = malloc(s->r.n * sizeof *idx);
    senti_status st = idx ? SENTI_OK : senti_err_set(&e, SENTI_ERR_NOMEM, "out of memory");
    double t0 = senti_now();
    for (int f = 0; f < s->r.n_folds && !st; f++) {
        const size_t n = fold_rows(s, f, idx, tr, te);
        st = lora_train_file(s, c, tr, ad, &e); /* the training folds only */
        if (!st) {
            senti_classify_params cp = sel_base_params(s, verb, te, SENTI_CALIB_NONE);
            cp.adapter_path = ad;
            cp.score_cache_dir = NULL; /* the adapter changes the scores */
            st = sel_run_pass(s, &cp, idx, n, c->prob, s->r.k, NULL, &e);
        }
    }
    free(idx);
    sel_finish(s, c, st, &e, senti_now() - t0);
}
