/*
 * bow.c - the bag-of-words logistic-regression baseline (senti/baseline.h):
 * TF-IDF features of word unigrams and bigrams, an L2-regularized softmax
 * fitted with GSL's BFGS, C chosen by stratified cross-validation (each fold
 * walks the C grid upwards with warm starts; folds run on `threads`).
 *
 * Data: a vocabulary (terms -> column, an open-addressing hash table over one
 * string blob), idf [V], rows as sparse vectors (CSR), weights W [k][V], b [k].
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "senti/baseline.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <pcre2.h>
#include <utf8proc.h>

#include "00-base/base.h"
#include "bow_internal.h"

static const double default_grid[] = {0.01, 0.1, 1.0, 10.0, 100.0};

/* ---- vocabulary ---------------------------------------------------------------- */

typedef struct {
    char **terms;  /* [n] owned */
    size_t n, cap;
    int64_t *slot; /* [mask + 1] term index or -1 */
    size_t mask;
} vocab;

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int64_t vocab_find(const vocab *v, const char *s, size_t n)
{
    if (!v->slot)
        return -1;
    for (size_t i = hash_str(s, n) & v->mask;; i = (i + 1) & v->mask) {
        int64_t t = v->slot[i];
        if (t < 0)
            return -1;
        if (!strncmp(v->terms[t], s, n) && v->terms[t][n] == '\0')
            return t;
    }
}

static bool vocab_rehash(vocab *v, size_t want)
{
    size_t size = 64;
    while (size < 2 * want)
        size *= 2;
    int64_t *slot = malloc(size * sizeof *slot);
    if (!slot)
        return false;
    for (size_t i = 0; i < size; i++)
        slot[i] = -1;
    for (size_t t = 0; t < v->n; t++) {
        size_t i = hash_str(v->terms[t], strlen(v->terms[t])) & (size - 1);
        while (slot[i] >= 0)
            i = (i + 1) & (size - 1);
        slot[i] = (int64_t)t;
    }
    free(v->slot);
    v->slot = slot;
    v->mask = size - 1;
    return true;
}

/* Index of term s[0..n), added when absent; -1 when out of memory. */
static int64_t vocab_add(vocab *v, const char *s, size_t n)
{
    int64_t t = vocab_find(v, s, n);
    if (t >= 0)
        return t;
    char **p = senti_grow(v->terms, &v->cap, v->n + 1, sizeof *p, 1024);
    if (!p)
        return -1;
    v->terms = p;
    if (!(v->terms[v->n] = strndup(s, n)))
        return -1;
    v->n++;
    if (2 * v->n > v->mask) { /* grow: the rehash places every term, the new one too */
        if (!vocab_rehash(v, v->n)) {
            free(v->terms[--v->n]);
            return -1;
        }
    } else {
        size_t i = hash_str(s, n) & v->mask;
        while (v->slot[i] >= 0)
            i = (i + 1) & v->mask;
        v->slot[i] = (int64_t)(v->n - 1);
    }
    return (int64_t)(v->n - 1);
}

static void vocab_free(vocab *v)
{
    for (size_t t = 0; t < v->n; t++)
        free(v->terms[t]);
    free(v->terms);
    free(v->slot);
    memset(v, 0, sizeof *v);
}

/* ---- terms of a text ----------------------------------------------------------- */

/* The terms of one text: "w1", "w2", ..., "w1 w2", "w2 w3", ... laid out in
 * `buf` (NUL-separated), offsets in `off`. */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t *off;
    size_t n, cap_off;
} terms;

static bool terms_push(terms *t, const char *a, size_t na, const char *b, size_t nb)
{
    size_t need = na + (b ? nb + 1 : 0) + 1;
    char *p = senti_grow(t->buf, &t->cap, t->len + need, 1, 256);
    if (!p)
        return false;
    t->buf = p;
    size_t *o = senti_grow(t->off, &t->cap_off, t->n + 1, sizeof *o, 64);
    if (!o)
        return false;
    t->off = o;
    t->off[t->n++] = t->len;
    memcpy(t->buf + t->len, a, na);
    t->len += na;
    if (b) {
        t->buf[t->len++] = ' ';
        memcpy(t->buf + t->len, b, nb);
        t->len += nb;
    }
    t->buf[t->len++] = '\0';
    return true;
}

typedef struct {
    pcre2_code *re;
    pcre2_match_data *md;
} tokenizer;

static senti_status tokenizer_init(tokenizer *tk, senti_err *err)
{
    int code;
    PCRE2_SIZE at;
    tk->re = pcre2_compile((PCRE2_SPTR) "\\b\\w\\w+\\b", PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code, &at,
                           NULL);
    tk->md = tk->re ? pcre2_match_data_create_from_pattern(tk->re, NULL) : NULL;
    if (!tk->md)
        return senti_err_set(err, SENTI_ERR_NOMEM, "bow: cannot compile the token pattern");
    return SENTI_OK;
}

static void tokenizer_free(tokenizer *tk)
{
    pcre2_match_data_free(tk->md);
    pcre2_code_free(tk->re);
}

/* Lowercase a UTF-8 text (invalid bytes become U+FFFD, as a decoder with
 * errors="replace" would). Returns a malloc'd string and its length. */
static char *lower_utf8(const char *s, size_t n, size_t *out_len)
{
    char *out = malloc(4 * n + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            cp = 0xFFFD;
            k = 1;
        }
        i += (size_t)k;
        o += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)out + o);
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* The unigram and bigram terms of a text into t (reset first). */
static bool text_terms(const tokenizer *tk, const char *text, size_t len, terms *t)
{
    t->len = t->n = 0;
    size_t n;
    char *low = lower_utf8(text, len, &n);
    if (!low)
        return false;
    size_t prev_at = 0, prev_n = 0;
    bool have_prev = false, ok = true;
    PCRE2_SIZE start = 0;
    uint32_t opts = 0; /* the first match checks the UTF-8 of the whole text; later ones need not
                          (checking again at every match made the scan quadratic in the length) */
    while (ok && pcre2_match(tk->re, (PCRE2_SPTR)low, n, start, opts, tk->md, NULL) > 0) {
        opts = PCRE2_NO_UTF_CHECK;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tk->md);
        size_t a = ov[0], b = ov[1];
        ok = terms_push(t, low + a, b - a, NULL, 0);
        if (ok && have_prev)
            ok = terms_push(t, low + prev_at, prev_n, low + a, b - a);
        prev_at = a;
        prev_n = b - a;
        have_prev = true;
        start = b;
    }
    free(low);
    return ok;
}

/* ---- sparse rows ----------------------------------------------------------------- */

typedef struct {
    size_t n;          /* rows */
    size_t *row;       /* [n + 1] offsets */
    int64_t *col;      /* [nnz] */
    double *val;       /* [nnz] */
    size_t nnz, cap;
} csr;

static void csr_free(csr *m)
{
    free(m->row);
    free(m->col);
    free(m->val);
    memset(m, 0, sizeof *m);
}

static bool csr_push(csr *m, int64_t c, double v)
{
    if (m->nnz == m->cap) { /* two arrays, one capacity: it counts once both have grown */
        size_t cap_col = m->cap, cap_val = m->cap;
        int64_t *pc = senti_grow(m->col, &cap_col, m->nnz + 1, sizeof *pc, 4096);
        if (pc)
            m->col = pc;
        double *pv = senti_grow(m->val, &cap_val, m->nnz + 1, sizeof *pv, 4096);
        if (pv)
            m->val = pv;
        if (!pc || !pv)
            return false;
        m->cap = cap_col;
    }
    m->col[m->nnz] = c;
    m->val[m->nnz++] = v;
    return true;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Append one row from the term columns cols[0..n) (repeats = counts), with
 * (1 + ln tf) * idf and L2 normalization. Sorts cols in place. */
static bool csr_add_row(csr *m, int64_t *cols, size_t n, const double *idf)
{
    qsort(cols, n, sizeof *cols, cmp_i64);
    size_t start = m->nnz;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && cols[j] == cols[i])
            j++;
        if (!csr_push(m, cols[i], (1.0 + log((double)(j - i))) * idf[cols[i]]))
            return false;
        i = j;
    }
    double ss = 0.0;
    for (size_t i = start; i < m->nnz; i++)
        ss += m->val[i] * m->val[i];
    if (ss > 0.0)
        for (size_t i = start; i < m->nnz; i++)
            m->val[i] /= sqrt(ss);
    m->row[++m->n] = m->nnz;
    return true;
}

/* ---- the model ------------------------------------------------------------------- */

struct senti_bow {
    int k;
    char **labels;  /* [k] */
    vocab v;
    double *idf;    /* [V] */
    double *W;      /* [k][V] */
    double *b;      /* [k] */
    double C, cv_acc;
    tokenizer tk;
};

senti_bow_params senti_bow_default_params(void)
{
    return (senti_bow_params){.C = 0.0, .grid = NULL, .n_grid = 0, .seed = 1, .max_iter = 2000, .threads = 1};
}

/* Vocabulary and idf from the rows `idx[0..n)`; then their CSR rows. */
static senti_status featurize_fit(senti_bow *b, const char *const *texts, const size_t *idx, size_t n, csr *X,
                                  senti_err *err)
{
    terms t = {0};
    size_t *df = NULL, df_cap = 0;
    int64_t **doc_cols = calloc(n, sizeof *doc_cols);
    size_t *doc_n = calloc(n, sizeof *doc_n);
    senti_status s = doc_cols && doc_n ? SENTI_OK : SENTI_ERR_NOMEM;
    for (size_t i = 0; i < n && !s; i++) {
        const char *text = texts[idx[i]];
        if (!text_terms(&b->tk, text, strlen(text), &t) || !(doc_cols[i] = malloc((t.n + 1) * sizeof **doc_cols))) {
            s = SENTI_ERR_NOMEM;
            break;
        }
        doc_n[i] = t.n;
        for (size_t j = 0; j < t.n && !s; j++)
            if ((doc_cols[i][j] = vocab_add(&b->v, t.buf + t.off[j], strlen(t.buf + t.off[j]))) < 0)
                s = SENTI_ERR_NOMEM;
        if (!s && b->v.n > df_cap) {
            size_t cap = 2 * b->v.n;
            size_t *p = realloc(df, cap * sizeof *p);
            if (!p)
                s = SENTI_ERR_NOMEM;
            else {
                memset(p + df_cap, 0, (cap - df_cap) * sizeof *p);
                df = p;
                df_cap = cap;
            }
        }
        if (!s) { /* document frequency: each distinct term once */
            qsort(doc_cols[i], doc_n[i], sizeof **doc_cols, cmp_i64);
            for (size_t j = 0; j < doc_n[i]; j++)
                if (j == 0 || doc_cols[i][j] != doc_cols[i][j - 1])
                    df[doc_cols[i][j]]++;
        }
    }
    if (!s && !(b->idf = malloc((b->v.n + 1) * sizeof *b->idf)))
        s = SENTI_ERR_NOMEM;
    for (size_t c = 0; !s && c < b->v.n; c++)
        b->idf[c] = log((1.0 + (double)n) / (1.0 + (double)df[c])) + 1.0;
    if (!s && !(X->row = calloc(n + 1, sizeof *X->row)))
        s = SENTI_ERR_NOMEM;
    for (size_t i = 0; i < n && !s; i++)
        if (!csr_add_row(X, doc_cols[i], doc_n[i], b->idf))
            s = SENTI_ERR_NOMEM;
    for (size_t i = 0; doc_cols && i < n; i++)
        free(doc_cols[i]);
    free(doc_cols);
    free(doc_n);
    free(df);
    free(t.buf);
    free(t.off);
    return s ? senti_err_set(err, s, "bow: out of memory") : SENTI_OK;
}

/* Sparse row of one text against the fitted vocabulary. */
static bool featurize(const senti_bow *b, const char *text, size_t len, terms *t, int64_t **cols, size_t *cap,
                      csr *X)
{
    if (!text_terms(&b->tk, text, len, t))
        return false;
    if (t->n + 1 > *cap) {
        int64_t *p = realloc(*cols, (t->n + 1) * sizeof *p);
        if (!p)
            return false;
        *cols = p;
        *cap = t->n + 1;
    }
    size_t m = 0;
    for (size_t j = 0; j < t->n; j++) {
        int64_t c = vocab_find(&b->v, t->buf + t->off[j], strlen(t->buf + t->off[j]));
        if (c >= 0)
            (*cols)[m++] = c;
    }
    return csr_add_row(X, *cols, m, b->idf);
}

/* ---- the fit ----------------------------------------------------------------------- */

typedef struct {
    const csr *X;
    const int *y; /* [X->n] */
    int k;
    size_t V;
    double lam;   /* L2 strength on the mean loss: 1 / (C_eff n) */
    double *z;    /* [k] scratch */
} fit_ctx;

/* f = mean_i -log softmax(W x_i + b)[y_i] + lam/2 |W|^2; params [W (k*V) | b (k)]. */
static void fit_fdf(const gsl_vector *w, void *vp, double *f, gsl_vector *g)
{
    fit_ctx *c = vp;
    const size_t V = c->V, K = (size_t)c->k, n = c->X->n;
    const double *W = w->data, *b = w->data + K * V;
    double *gW = g ? g->data : NULL, *gb = g ? g->data + K * V : NULL, loss = 0.0;
    if (g)
        gsl_vector_set_zero(g);
    for (size_t i = 0; i < n; i++) {
        double mx = -DBL_MAX;
        for (size_t j = 0; j < K; j++) {
            double z = b[j];
            for (size_t p = c->X->row[i]; p < c->X->row[i + 1]; p++)
                z += W[j * V + (size_t)c->X->col[p]] * c->X->val[p];
            c->z[j] = z;
            mx = z > mx ? z : mx;
        }
        double se = 0.0;
        for (size_t j = 0; j < K; j++)
            se += exp(c->z[j] - mx);
        double lse = mx + log(se);
        loss += lse - c->z[c->y[i]];
        if (!g)
            continue;
        for (size_t j = 0; j < K; j++) {
            double r = (exp(c->z[j] - lse) - (j == (size_t)c->y[i])) / (double)n;
            gb[j] += r;
            for (size_t p = c->X->row[i]; p < c->X->row[i + 1]; p++)
                gW[j * V + (size_t)c->X->col[p]] += r * c->X->val[p];
        }
    }
    double reg = 0.0;
    for (size_t q = 0; q < K * V; q++) {
        reg += W[q] * W[q];
        if (g)
            gW[q] += c->lam * W[q];
    }
    *f = loss / (double)n + 0.5 * c->lam * reg;
}

static double fit_f(const gsl_vector *w, void *c)
{
    double f;
    fit_fdf(w, c, &f, NULL);
    return f;
}

static void fit_df(const gsl_vector *w, void *c, gsl_vector *g)
{
    double f;
    fit_fdf(w, c, &f, g);
}

/* Fit W, b on X, y with strength C; binary problems use C / 2 (see the header).
 * *g0 == 0: a start from 0, run until the gradient norm is below 1e-9 x its
 * norm there (at least 1) or the line search makes no progress, which is how
 * the final model and a fixed C are fitted; *g0 is set to that norm (it does
 * not depend on C). *g0 > 0: a warm start from the W, b given (the previous C
 * of a cross-validation path), stopped at 1e-5 x *g0: the path's fits only
 * count held-out hits, and GSL's BFGS takes hundreds of iterations for the
 * last digits at large C (3000 MR rows: 17 s instead of 27 s for the choice). */
static senti_status fit(const csr *X, const int *y, int k, size_t V, double C, int max_iter, double *g0, double *W,
                        double *b, senti_err *err)
{
    const bool warm = *g0 > 0.0;
    const size_t dim = (size_t)k * V + (size_t)k;
    const double C_eff = k == 2 ? C / 2.0 : C;
    double z[256];
    fit_ctx c = {X, y, k, V, 1.0 / (C_eff * (double)X->n), z};
    gsl_multimin_function_fdf fn = {fit_f, fit_df, fit_fdf, dim, &c};
    gsl_vector *x0 = gsl_vector_calloc(dim);
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, dim);
    if (!x0 || !m) {
        gsl_vector_free(x0);
        gsl_multimin_fdfminimizer_free(m);
        return senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    }
    if (warm) {
        memcpy(x0->data, W, (size_t)k * V * sizeof *W);
        memcpy(x0->data + (size_t)k * V, b, (size_t)k * sizeof *b);
    }
    gsl_multimin_fdfminimizer_set(m, &fn, x0, 0.01, 0.1);
    if (!warm)
        *g0 = gsl_blas_dnrm2(m->gradient);
    const double tol = warm ? 1e-5 * *g0 : 1e-9 * (*g0 > 1.0 ? *g0 : 1.0);
    for (int it = 0; it < max_iter && gsl_blas_dnrm2(m->gradient) > tol; it++)
        if (gsl_multimin_fdfminimizer_iterate(m))
            break; /* no further progress along the line: at the optimum to rounding */
    memcpy(W, m->x->data, (size_t)k * V * sizeof *W);
    memcpy(b, m->x->data + (size_t)k * V, (size_t)k * sizeof *b);
    gsl_vector_free(x0);
    gsl_multimin_fdfminimizer_free(m);
    return SENTI_OK;
}

/* ---- training with the choice of C --------------------------------------------------- */

static void bow_clear(senti_bow *b)
{
    vocab_free(&b->v);
    free(b->idf);
    free(b->W);
    free(b->b);
    b->idf = b->W = b->b = NULL;
}

/* The vocabulary and idf of rows idx[0..n), their features X and labels y
 * (owned by the caller), and zero weights. */
static senti_status prepare_rows(senti_bow *b, const char *const *texts, const int *labels, const size_t *idx,
                                 size_t n, csr *X, int **y, senti_err *err)
{
    bow_clear(b);
    memset(X, 0, sizeof *X);
    if (!(*y = malloc((n + 1) * sizeof **y)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    for (size_t i = 0; i < n; i++)
        (*y)[i] = labels[idx[i]];
    senti_status s = featurize_fit(b, texts, idx, n, X, err);
    const size_t V = b->v.n, K = (size_t)b->k;
    if (!s && (!(b->W = calloc(K * V + 1, sizeof *b->W)) || !(b->b = calloc(K, sizeof *b->b))))
        s = senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    return s;
}

/* Fit the vocabulary, idf and weights on rows idx[0..n). */
static senti_status fit_rows(senti_bow *b, const char *const *texts, const int *labels, const size_t *idx, size_t n,
                             double C, int max_iter, senti_err *err)
{
    csr X;
    int *y = NULL;
    senti_status s = prepare_rows(b, texts, labels, idx, n, &X, &y, err);
    if (!s)
        s = fit(&X, y, b->k, b->v.n, C, max_iter, &(double){0.0}, b->W, b->b, err);
    free(y);
    csr_free(&X);
    return s;
}

/* Stratified folds: each class's rows shuffled (seeded), then dealt round-robin. */
static void make_folds(const int *labels, size_t n, int k, int n_folds, uint64_t seed, int *fold)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)seed);
    size_t *rows = malloc((n + 1) * sizeof *rows);
    int next = 0;
    for (int c = 0; c < k && rows && r; c++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (labels[i] == c)
                rows[m++] = i;
        for (size_t i = m; i > 1; i--) { /* Fisher-Yates */
            size_t j = (size_t)gsl_rng_uniform_int(r, (unsigned long)i);
            size_t t = rows[i - 1];
            rows[i - 1] = rows[j];
            rows[j] = t;
        }
        for (size_t i = 0; i < m; i++, next = (next + 1) % n_folds)
            fold[rows[i]] = next;
    }
    free(rows);
    gsl_rng_free(r);
}

static senti_bow *bow_new(int k, const char *const *names, senti_err *err);

/* Fold f's fits along the C grid: the vocabulary and features of its training
 * rows once, then C in ascending order (`order`), each fit starting from the
 * previous C's weights, as along a regularization path. acc[g]: the accuracy
 * on the fold's held-out rows with grid[g]. The fold has its own model, so
 * folds may run in parallel. */
static senti_status cv_fold(const senti_bow *proto, const char *const *texts, const int *labels, size_t n,
                            const int *fold, int f, const double *grid, const size_t *order, size_t n_grid,
                            int max_iter, double *acc, senti_err *err)
{
    senti_bow *b = bow_new(proto->k, (const char *const *)proto->labels, err);
    size_t *idx = malloc((n + 1) * sizeof *idx), m = 0, tests = 0;
    double *prob = malloc((size_t)proto->k * sizeof *prob);
    csr X = {0};
    int *y = NULL;
    double g0 = 0.0; /* set by the first (cold) fit of the path */
    senti_status s = !b ? SENTI_ERR_NOMEM : idx && prob ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    for (size_t i = 0; !s && i < n; i++)
        if (fold[i] != f)
            idx[m++] = i;
    if (!s)
        s = prepare_rows(b, texts, labels, idx, m, &X, &y, err);
    for (size_t q = 0; !s && q < n_grid; q++) {
        const size_t g = order[q];
        size_t hits = 0;
        if ((s = fit(&X, y, b->k, b->v.n, grid[g], max_iter, &g0, b->W, b->b, err)))
            break;
        tests = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] == f) {
                senti_bow_predict(b, texts[i], strlen(texts[i]), prob);
                hits += senti_argmax_row(prob, b->k) == labels[i];
                tests++;
            }
        acc[g] = tests ? (double)hits / (double)tests : 0.0;
    }
    free(y);
    csr_free(&X);
    free(idx);
    free(prob);
    senti_bow_free(b);
    return s;
}

/* The grid's indices by ascending C (a stable insertion sort: grids are short). */
static void grid_order(const double *grid, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && grid[order[j - 1]] > grid[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
}

/* acc[f * n_grid + g] for every fold f and grid point g; folds over `threads`. */
static senti_status cv_all(const senti_bow *b, const char *const *texts, const int *labels, size_t n, const int *fold,
                           int n_folds, const double *grid, size_t n_grid, const senti_bow_params *p, double *acc,
                           senti_err *err)
{
    size_t *order = malloc(n_grid * sizeof *order);
    senti_status *st = calloc((size_t)n_folds, sizeof *st);
    senti_err *errs = calloc((size_t)n_folds, sizeof *errs);
    if (!order || !st || !errs) {
        free(order), free(st), free(errs);
        return senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    }
    grid_order(grid, n_grid, order);
    const int threads = p->threads > 1 ? p->threads : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int f = 0; f < n_folds; f++)
        st[f] = cv_fold(b, texts, labels, n, fold, f, grid, order, n_grid, p->max_iter, acc + (size_t)f * n_grid,
                        &errs[f]);
    senti_status s = SENTI_OK;
    for (int f = 0; f < n_folds && !s; f++) /* the first failing fold's message, whatever the threads */
        if ((s = st[f]))
            senti_err_set(err, s, "%s", errs[f].msg);
    free(order), free(st), free(errs);
    return s;
}

static senti_status choose_C(senti_bow *b, const char *const *texts, const int *labels, size_t n,
                             const senti_bow_params *p, senti_err *err)
{
    int min_count = (int)n;
    for (int c = 0; c < b->k; c++) {
        int m = 0;
        for (size_t i = 0; i < n; i++)
            m += labels[i] == c;
        if (m > 0 && m < min_count)
            min_count = m;
    }
    const double *grid = p->grid ? p->grid : default_grid;
    size_t n_grid = p->grid ? p->n_grid : sizeof default_grid / sizeof default_grid[0];
    int n_folds = min_count < 5 ? min_count : 5;
    b->C = grid[n_grid / 2];
    b->cv_acc = NAN;
    if (n_folds < 2)
        return SENTI_OK; /* too few rows of some class to cross-validate: the middle of the grid */
    int *fold = malloc(n * sizeof *fold);
    double *acc = malloc((size_t)n_folds * n_grid * sizeof *acc);
    senti_status s = fold && acc ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    if (!s) {
        make_folds(labels, n, b->k, n_folds, p->seed, fold);
        s = cv_all(b, texts, labels, n, fold, n_folds, grid, n_grid, p, acc, err);
    }
    for (size_t g = 0; g < n_grid && !s; g++) {
        double mean = 0.0;
        for (int f = 0; f < n_folds; f++)
            mean += acc[(size_t)f * n_grid + g];
        mean /= n_folds;
        if (g == 0 || mean > b->cv_acc) { /* ties: the first in the grid */
            b->cv_acc = mean;
            b->C = grid[g];
        }
    }
    free(fold);
    free(acc);
    return s;
}

static senti_bow *bow_new(int k, const char *const *names, senti_err *err)
{
    senti_bow *b = calloc(1, sizeof *b);
    if (!b || !(b->labels = calloc((size_t)k, sizeof *b->labels))) {
        free(b);
        senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
        return NULL;
    }
    b->k = k;
    for (int j = 0; j < k; j++)
        if (!(b->labels[j] = strdup(names[j]))) {
            senti_bow_free(b);
            senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
            return NULL;
        }
    if (tokenizer_init(&b->tk, err)) {
        senti_bow_free(b);
        return NULL;
    }
    return b;
}

senti_status senti_bow_train(const char *const *texts, const int *labels, size_t n, int k,
                             const char *const *names, const senti_bow_params *params, senti_bow **out, senti_err *err)
{
    *out = NULL;
    senti_bow_params p = params ? *params : senti_bow_default_params();
    if (k < 2 || k > 256)
        return senti_err_set(err, SENTI_ERR_ARG, "bow: %d labels (need 2 to 256)", k);
    if (n < 2)
        return senti_err_set(err, SENTI_ERR_ARG, "bow: %zu training rows (need at least 2)", n);
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= k || !texts[i])
            return senti_err_set(err, SENTI_ERR_ARG, "bow: row %zu: label %d outside [0, %d)", i, labels[i], k);
    if (!(p.C >= 0.0) || (p.grid && p.n_grid == 0))
        return senti_err_set(err, SENTI_ERR_ARG, "bow: C must be >= 0 and the grid non-empty");
    senti_bow *b = bow_new(k, names, err);
    if (!b)
        return SENTI_ERR_NOMEM;
    senti_blas_one_thread(true); /* the same weights whatever -t (base.h) */
    senti_status s = SENTI_OK;
    if (p.C > 0.0) {
        b->C = p.C;
        b->cv_acc = NAN;
    } else {
        s = choose_C(b, texts, labels, n, &p, err);
    }
    size_t *idx = s ? NULL : malloc(n * sizeof *idx);
    if (!s && !idx)
        s = senti_err_set(err, SENTI_ERR_NOMEM, "bow: out of memory");
    for (size_t i = 0; !s && i < n; i++)
        idx[i] = i;
    if (!s)
        s = fit_rows(b, texts, labels, idx, n, b->C, p.max_iter, err);
    senti_blas_one_thread(false);
    free(idx);
    if (s) {
        senti_bow_free(b);
        return s;
    }
    *out = b;
    return SENTI_OK;
}

/* ---- prediction ------------------------------------------------------------------------ */

void senti_bow_predict(const senti_bow *b, const char *text, size_t len, double *prob)
{
    terms t = {0};
    int64_t *cols = NULL;
    size_t cap = 0, row[2] = {0, 0};
    csr X = {.row = row};
    const size_t V = b->v.n;
    if (!featurize(b, text, len, &t, &cols, &cap, &X)) {
        for (int j = 0; j < b->k; j++)
            prob[j] = NAN; /* out of memory: loud, never a silent answer */
    } else {
        double mx = -DBL_MAX, se = 0.0;
        for (int j = 0; j < b->k; j++) {
            double z = b->b[j];
            for (size_t p = 0; p < X.nnz; p++)
                z += b->W[(size_t)j * V + (size_t)X.col[p]] * X.val[p];
            prob[j] = z;
            mx = z > mx ? z : mx;
        }
        for (int j = 0; j < b->k; j++)
            se += (prob[j] = exp(prob[j] - mx));
        for (int j = 0; j < b->k; j++)
            prob[j] /= se;
    }
    free(X.col);
    free(X.val);
    free(cols);
    free(t.buf);
    free(t.off);
}

int senti_bow_n_labels(const senti_bow *b) { return b->k; }
const char *senti_bow_label(const senti_bow *b, int j) { return j >= 0 && j < b->k ? b->labels[j] : NULL; }
size_t senti_bow_n_terms(const senti_bow *b) { return b->v.n; }
double senti_bow_C(const senti_bow *b) { return b->C; }
double senti_bow_cv_accuracy(const senti_bow *b) { return b->cv_acc; }

void senti_bow_free(senti_bow *b)
{
    if (!b)
        return;
    bow_clear(b);
    for (int j = 0; b->labels && j < b->k; j++)
        free(b->labels[j]);
    free(b->labels);
    tokenizer_free(&b->tk);
    free(b);
}

/* ---- files ------------------------------------------------------------------------------- */

static json_t *real_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *senti_bow_to_json(const senti_bow *b)
{
    const size_t V = b->v.n;
    json_t *o = json_object(), *labels = json_array(), *jterms = json_array(), *coef = json_array();
    for (int j = 0; j < b->k; j++) {
        json_array_append_new(labels, json_string(b->labels[j]));
        json_array_append_new(coef, real_array(b->W + (size_t)j * V, V));
    }
    for (size_t t = 0; t < V; t++)
        json_array_append_new(jterms, json_string(b->v.terms[t]));
    json_object_set_new(o, "format", json_string("senti-bow-logreg"));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "features", json_string("tfidf word 1-2 grams, sublinear tf, smooth idf, l2 norm"));
    json_object_set_new(o, "labels", labels);
    json_object_set_new(o, "C", json_real(b->C));
    json_object_set_new(o, "cv_accuracy", isfinite(b->cv_acc) ? json_real(b->cv_acc) : json_null());
    json_object_set_new(o, "terms", jterms);
    json_object_set_new(o, "idf", real_array(b->idf, V));
    json_object_set_new(o, "coef", coef);
    json_object_set_new(o, "intercept", real_array(b->b, (size_t)b->k));
    return o;
}

senti_status senti_bow_write_json(const json_t *o, const char *path, senti_err *err)
{
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if (!text)
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    senti_atomic_file f;
    senti_status s = senti_atomic_open(&f, path, err);
    if (!s) {
        fputs(text, f.f);
        s = senti_atomic_commit(&f, err);
    }
    free(text);
    return s;
}

senti_status senti_bow_save(const senti_bow *b, const char *path, senti_err *err)
{
    json_t *o = senti_bow_to_json(b);
    senti_status s = senti_bow_write_json(o, path, err);
    json_decref(o);
    return s;
}

/* Largest magnitude a loaded idf, weight or intercept may have: rows are
 * L2-normalized, so every logit is then finite (|z| <= (V + 1) 1e100) and so
 * is every probability, whatever a damaged file holds. */
#define BOW_MAX_ABS 1e100

/* Read `n` numbers of array `a` into v; false when a is not such an array. */
static bool read_reals(const json_t *a, double *v, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x) || !isfinite(v[i] = json_number_value(x)) || fabs(v[i]) > BOW_MAX_ABS)
            return false;
    }
    return true;
}

senti_status senti_bow_from_json(senti_bow **out, const json_t *o, const char *path, senti_err *err)
{
    const json_t *labels = json_object_get(o, "labels"), *jterms = json_object_get(o, "terms"),
                 *coef = json_object_get(o, "coef");
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "format")) ||
        strcmp(json_string_value(json_object_get(o, "format")), "senti-bow-logreg") ||
        json_integer_value(json_object_get(o, "version")) != 1)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: not a senti-bow-logreg file (version 1)", path);
    size_t k = json_array_size(labels), V = json_array_size(jterms);
    if (!json_is_array(labels) || k < 2 || k > 256 || !json_is_array(jterms) || !json_is_array(coef) ||
        json_array_size(coef) != k)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: labels, terms and coef must be arrays (2..256 labels, one coef row each)", path);
    const char *names[256];
    for (size_t j = 0; j < k; j++)
        if (!(names[j] = json_string_value(json_array_get(labels, j))))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: labels[%zu]: not a string", path, j);
    senti_bow *b = bow_new((int)k, names, err);
    if (!b)
        return SENTI_ERR_NOMEM;
    senti_status s = SENTI_OK;
    b->C = json_number_value(json_object_get(o, "C"));
    b->cv_acc = json_is_number(json_object_get(o, "cv_accuracy")) ? json_number_value(json_object_get(o, "cv_accuracy")) : NAN;
    if (!(b->idf = malloc((V + 1) * sizeof *b->idf)) || !(b->W = malloc((k * V + 1) * sizeof *b->W)) ||
        !(b->b = malloc(k * sizeof *b->b)) || !vocab_rehash(&b->v, V))
        s = senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    for (size_t t = 0; !s && t < V; t++) {
        const char *term = json_string_value(json_array_get(jterms, t));
        if (!term)
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: terms[%zu]: not a string", path, t);
        else if (vocab_find(&b->v, term, strlen(term)) >= 0)
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: terms[%zu]: \"%s\" appears twice", path, t, term);
        else if (vocab_add(&b->v, term, strlen(term)) < 0)
            s = senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    }
    if (!s && !read_reals(json_object_get(o, "idf"), b->idf, V))
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: idf: need %zu finite numbers (|x| <= 1e100)", path, V);
    for (size_t j = 0; !s && j < k; j++)
        if (!read_reals(json_array_get(coef, j), b->W + j * V, V))
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: coef[%zu]: need %zu finite numbers (|x| <= 1e100)", path, j, V);
    if (!s && !read_reals(json_object_get(o, "intercept"), b->b, k))
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: intercept: need %zu finite numbers (|x| <= 1e100)", path, k);
    if (s) {
        senti_bow_free(b);
        return s;
    }
    *out = b;
    return SENTI_OK;
}

senti_status senti_bow_read_json(const char *path, json_t **o, senti_err *err)
{
    json_error_t je;
    *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!*o)
        return senti_err_set(err, je.line < 0 ? SENTI_ERR_IO : SENTI_ERR_FORMAT, "%s:%d:%d: %s", path, je.line,
                             je.column, je.text);
    return SENTI_OK;
}

senti_status senti_bow_load(const char *path, senti_bow **out, senti_err *err)
{
    *out = NULL;
    json_t *o;
    senti_status s = senti_bow_read_json(path, &o, err);
    if (s)
        return s;
    s = senti_bow_from_json(out, o, path, err);
    json_decref(o);
    return s;
}
