/*
 * select_words.c - label-word search for `senti select` (automatic
 * verbalizers, after Schick, Schmid and Schütze 2020, "Automatically
 * Identifying Words That Can Serve as Labels for Few-Shot Text
 * Classification").
 *
 * Pool: the label names and their inflections (lower case, Capitalized) when
 * they are words, the words of every label-word set of the space, and a small
 * built-in list of sentiment and subjectivity words. The model scores every
 * pool word after the template for every labelled row (one classify pass with
 * the pool as a verbalizer of one-word "labels"), giving log P(w | x)
 * normalized over the pool.
 *
 * Criterion, per label y and word w, on the training rows only:
 *     LR(w, y) = mean_{x in y} log P(w | x) - mean_{x not in y} log P(w | x)
 * (the log-likelihood ratio of w under rows of y against the other rows).
 * Words go to labels greedily by decreasing LR, each word to one label, until
 * every label has `top` words (or the pool is spent).
 */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "select_internal.h"

static const char *const builtin[] = {
    "good", "great", "excellent", "wonderful", "amazing", "fantastic", "positive", "best", "love", "fun",
    "bad", "terrible", "awful", "horrible", "boring", "poor", "negative", "worst", "hate", "disappointing",
    "okay", "neutral", "fine", "average", "mixed", "objective", "subjective", "factual", "opinion",
};

static bool in_array(const json_t *a, const char *w)
{
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) if (!strcmp(json_string_value(x), w)) return true;
    return false;
}

static void add_word(json_t *a, const char *w)
{
    if (*w && strlen(w) < 64 && !in_array(a, w))
        json_array_append_new(a, json_string(w));
}

static bool is_word(const char *s)
{
    for (; *s; s++)
        if (!isalpha((unsigned char)*s))
            return false;
    return true;
}

json_t *sel_words_pool(const sel_space *s, char *const *labels, int k)
{
    json_t *a = json_array();
    char w[64];
    for (int i = 0; i < k; i++) {
        if (!is_word(labels[i]) || strlen(labels[i]) >= sizeof w)
            continue;
        snprintf(w, sizeof w, "%s", labels[i]);
        for (char *c = w; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        add_word(a, w);
        w[0] = (char)toupper((unsigned char)w[0]);
        add_word(a, w);
    }
    for (size_t j = 0; j < s->n_ws; j++) {
        const char *l;
        json_t *ws, *x;
        size_t i;
        json_object_foreach(s->ws[j], l, ws) json_array_foreach(ws, i, x) add_word(a, json_string_value(x));
    }
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        add_word(a, builtin[i]);
    return a;
}

void sel_words_choose(const double *logp, size_t n_words, const sel_rows *r, const bool *use, int top, int *words)
{
    int k = r->k;
    double *lr = malloc(n_words * (size_t)k * sizeof *lr);
    bool *taken = calloc(n_words, sizeof *taken);
    int *have = calloc((size_t)k, sizeof *have);
    for (int j = 0; j < k * top; j++)
        words[j] = -1;
    if (!lr || !taken || !have)
        goto done;
    for (size_t w = 0; w < n_words; w++)
        for (int y = 0; y < k; y++) {
            double in = 0, out = 0;
            size_t n_in = 0, n_out = 0;
            for (size_t i = 0; i < r->n; i++) {
                if (!use[i])
                    continue;
                double v = logp[i * n_words + w];
                if (r->y[i] == y)
                    in += v, n_in++;
                else
                    out += v, n_out++;
            }
            lr[w * (size_t)k + (size_t)y] = n_in && n_out ? in / (double)n_in - out / (double)n_out : -DBL_MAX;
        }
    for (int round = 0; round < k * top; round++) { /* the best remaining (word, label) pair, greedily */
        double best = -DBL_MAX;
        size_t bw = 0;
        int by = -1;
        for (size_t w = 0; w < n_words; w++)
            for (int y = 0; y < k; y++)
                if (!taken[w] && have[y] < top && lr[w * (size_t)k + (size_t)y] > best)
                    best = lr[w * (size_t)k + (size_t)y], bw = w, by = y;
        if (by < 0)
            break;
        taken[bw] = true;
        words[by * top + have[by]++] = (int)bw;
    }
done:
    free(lr), free(taken), free(have);
}

/* ---- the candidates ------------------------------------------------------------- */

static const char *const content_free[] = {"N/A", "[MASK]"};
#define N_CF 2

/* log P(w | x) over the pool for every labelled row, then the content-free rows. */
static senti_status score_pool(sel_run *s, int t, const json_t *pool, double *logp, double *sec, senti_err *err)
{
    size_t nw = json_array_size(pool);
    char verb[PATH_MAX], in[PATH_MAX], key[32];
    json_t *v = json_object(), *labels = json_object(), *order = json_array();
    for (size_t w = 0; w < nw; w++) {
        snprintf(key, sizeof key, "w%zu", w);
        json_object_set_new(labels, key, json_pack("[O]", json_array_get(pool, w)));
        json_array_append_new(order, json_string(key));
    }
    json_object_set_new(v, "name", json_string("select-pool"));
    json_object_set_new(v, "labels", labels);
    json_object_set_new(v, "label_order", order);
    json_object_set_new(v, "template", json_string(s->sp.tmpl[t]));
    snprintf(verb, sizeof verb, "%s/pool%d.json", s->work, t);
    senti_status st = sel_write_json(verb, v, err);
    json_decref(v);
    /* all rows with the fake label w0, then the content-free inputs */
    snprintf(in, sizeof in, "%s/pool_rows.csv", s->work);
    if (!st)
        st = sel_write_csv(in, &s->r, NULL, 0, "w0", err);
    if (!st) { /* append the content-free rows */
        FILE *f = fopen(in, "a");
        if (!f)
            return senti_err_set(err, SENTI_ERR_IO, "%s: %s", in, strerror(errno));
        for (int i = 0; i < N_CF; i++)
            fprintf(f, "cf%d,\"%s\",w0\n", i, content_free[i]);
        if (fclose(f))
            st = senti_err_set(err, SENTI_ERR_IO, "%s: write failed", in);
    }
    size_t *idx = malloc((s->r.n + N_CF) * sizeof *idx);
    double *p = malloc((s->r.n + N_CF) * nw * sizeof *p);
    if (!st && (!idx || !p))
        st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (!st) {
        for (size_t i = 0; i < s->r.n + N_CF; i++)
            idx[i] = i;
        senti_classify_params cp = sel_base_params(s, verb, in, SENTI_CALIB_NONE);
        st = sel_run_pass(s, &cp, idx, s->r.n + N_CF, p, (int)nw, sec, err);
    }
    for (size_t i = 0; !st && i < (s->r.n + N_CF) * nw; i++)
        logp[i] = log(p[i] > 1e-12 ? p[i] : 1e-12);
    free(idx), free(p);
    return st;
}

/* Label distribution of row i from the chosen words; with cf_mean, contextual. */
static void row_dist(const double *lrow, size_t nw, const int *words, int top, int k, const double *cf_mean,
                     double *out)
{
    double sc[SENTI_MAX_LABELS] = {0};
    for (int y = 0; y < k; y++) {
        double mx = -DBL_MAX, z = 0;
        for (int j = 0; j < top; j++)
            if (words[y * top + j] >= 0 && lrow[words[y * top + j]] > mx)
                mx = lrow[words[y * top + j]];
        for (int j = 0; j < top; j++)
            if (words[y * top + j] >= 0)
                z += exp(lrow[words[y * top + j]] - mx);
        sc[y] = mx + log(z);
    }
    (void)nw;
    sel_softmax(sc, k, out);
    if (!cf_mean)
        return;
    double z = 0;
    for (int y = 0; y < k; y++)
        z += (out[y] /= cf_mean[y]);
    for (int y = 0; y < k; y++)
        out[y] /= z;
}

static void cf_mean_of(const double *logp, size_t nw, size_t n, const int *words, int top, int k, double *mean)
{
    double d[SENTI_MAX_LABELS];
    for (int y = 0; y < k; y++)
        mean[y] = 0;
    for (int i = 0; i < N_CF; i++) {
        row_dist(logp + (n + (size_t)i) * nw, nw, words, top, k, NULL, d);
        for (int y = 0; y < k; y++)
            mean[y] += d[y] / N_CF;
    }
}

static json_t *words_json(const sel_rows *r, const json_t *pool, const int *words, int top)
{
    json_t *o = json_object();
    for (int y = 0; y < r->k; y++) {
        json_t *a = json_array();
        for (int j = 0; j < top; j++)
            if (words[y * top + j] >= 0)
                json_array_append(a, json_array_get(pool, (size_t)words[y * top + j]));
        json_object_set_new(o, r->labels[y], a);
    }
    return o;
}

void sel_eval_words(sel_run *s, sel_cand *none, sel_cand *ctx)
{
    senti_err e = {0};
    json_t *pool = sel_words_pool(&s->sp, s->r.labels, s->r.k);
    size_t nw = json_array_size(pool), n = s->r.n;
    int top = s->sp.words_top, k = s->r.k;
    double *logp = malloc((n + N_CF) * (nw ? nw : 1) * sizeof *logp), sec = 0, cfm[SENTI_MAX_LABELS];
    int *words = malloc((size_t)(k * top) * sizeof *words);
    bool *use = malloc(n * sizeof *use);
    senti_status st = logp && words && use ? sel_ensure_model(s, none->model, &e)
                                           : senti_err_set(&e, SENTI_ERR_NOMEM, "out of memory");
    if (!st)
        st = score_pool(s, none->tmpl, pool, logp, &sec, &e);
    for (int f = 0; f < s->r.n_folds && !st; f++) {
        for (size_t i = 0; i < n; i++)
            use[i] = s->r.fold[i] != f; /* the search sees the training folds only */
        sel_words_choose(logp, nw, &s->r, use, top, words);
        cf_mean_of(logp, nw, n, words, top, k, cfm);
        for (size_t i = 0; i < n; i++)
            if (!use[i]) {
                row_dist(logp + i * nw, nw, words, top, k, NULL, none->prob + i * (size_t)k);
                if (ctx)
                    row_dist(logp + i * nw, nw, words, top, k, cfm, ctx->prob + i * (size_t)k);
            }
    }
    if (!st) { /* the words of the recipe: searched on all labelled rows */
        for (size_t i = 0; i < n; i++)
            use[i] = true;
        sel_words_choose(logp, nw, &s->r, use, top, words);
        none->words = words_json(&s->r, pool, words, top);
        if (ctx)
            ctx->words = words_json(&s->r, pool, words, top);
        char *txt = json_dumps(none->words, JSON_COMPACT);
        snprintf(none->note, sizeof none->note, "words on all rows: %s", txt ? txt : "?");
        if (ctx)
            snprintf(ctx->note, sizeof ctx->note, "%s", none->note);
        free(txt);
    }
    sel_finish(s, none, st, &e, sec);
    if (ctx)
        sel_finish(s, ctx, st, &e, 0);
    free(logp), free(words), free(use);
    json_decref(pool);
}
