/*
 * finetune_head.c - `--method head`: multinomial logistic regression with L2
 * on frozen features (the final hidden state at the scoring position, and
 * optionally the label scores), fitted with GSL's vector_bfgs2.
 *
 * Contract (see include/senti/finetune.h and docs/finetune.md):
 *   - features are standardized with the mean / standard deviation of the rows
 *     the head is fitted on (a constant feature gets scale 1);
 *   - the L2 strength is chosen on a seeded stratified validation split by
 *     validation log-loss (ties: the larger lambda), then the head is refitted
 *     on every row with it;
 *   - the bias is not penalized; the objective is the mean cross-entropy.
 */
#include "train_internal.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static const double default_lambdas[] = {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};

senti_head_fit_params senti_head_fit_default_params(void)
{
    senti_head_fit_params p = {.lambdas = NULL, .n_lambdas = 0, .val_frac = 0.25, .seed = 1, .max_iter = 500,
                               .grad_tol = 1e-6};
    return p;
}

/* ---- the objective -------------------------------------------------------------------- */

double senti_logreg_loss(const double *theta, const double *Z, const int *y, size_t n, int d, int K, double lambda,
                         double *grad)
{
    const double *W = theta, *b = theta + (size_t)K * d;
    double logits[SENTI_MAX_HEAD_LABELS], p[SENTI_MAX_HEAD_LABELS];
    double loss = 0.0;
    if (grad)
        memset(grad, 0, ((size_t)K * d + K) * sizeof *grad);
    for (size_t i = 0; i < n; i++) {
        const double *z = Z + i * (size_t)d;
        for (int k = 0; k < K; k++) {
            double a = b[k];
            for (int j = 0; j < d; j++)
                a += W[(size_t)k * d + j] * z[j];
            logits[k] = a;
        }
        senti_label_softmax(logits, K, p);
        loss -= log(p[y[i]] > 1e-300 ? p[y[i]] : 1e-300);
        if (!grad)
            continue;
        for (int k = 0; k < K; k++) {
            double g = (p[k] - (k == y[i])) / (double)n;
            for (int j = 0; j < d; j++)
                grad[(size_t)k * d + j] += g * z[j];
            grad[(size_t)K * d + k] += g;
        }
    }
    loss /= (double)(n ? n : 1);
    double pen = 0.0;
    for (size_t q = 0; q < (size_t)K * d; q++) {
        pen += W[q] * W[q];
        if (grad)
            grad[q] += lambda * W[q];
    }
    return loss + 0.5 * lambda * pen;
}

/* ---- minimizing it with GSL -------------------------------------------------------------- */

typedef struct {
    const double *Z;
    const int *y;
    size_t n;
    int d, K;
    double lambda;
} problem;

static double mm_f(const gsl_vector *x, void *u)
{
    const problem *pb = u;
    return senti_logreg_loss(x->data, pb->Z, pb->y, pb->n, pb->d, pb->K, pb->lambda, NULL);
}

static void mm_df(const gsl_vector *x, void *u, gsl_vector *g)
{
    const problem *pb = u;
    senti_logreg_loss(x->data, pb->Z, pb->y, pb->n, pb->d, pb->K, pb->lambda, g->data);
}

static void mm_fdf(const gsl_vector *x, void *u, double *f, gsl_vector *g)
{
    const problem *pb = u;
    *f = senti_logreg_loss(x->data, pb->Z, pb->y, pb->n, pb->d, pb->K, pb->lambda, g->data);
}

/* theta [K*d + K] in/out: minimize from its current value. Returns iterations or -1. */
static int minimize(const problem *pb, double *theta, int max_iter, double gtol)
{
    const size_t np = (size_t)pb->K * pb->d + pb->K;
    gsl_multimin_function_fdf fn = {mm_f, mm_df, mm_fdf, np, (void *)pb};
    gsl_vector_view x0 = gsl_vector_view_array(theta, np);
    gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, np);
    if (!s)
        return -1;
    gsl_multimin_fdfminimizer_set(s, &fn, &x0.vector, 0.1, 0.1);
    int it = 0, st = GSL_CONTINUE;
    while (st == GSL_CONTINUE && it < max_iter) {
        it++;
        if (gsl_multimin_fdfminimizer_iterate(s))
            break; /* no further progress possible: keep the best point */
        st = gsl_multimin_test_gradient(s->gradient, gtol);
    }
    memcpy(theta, s->x->data, np * sizeof *theta);
    gsl_multimin_fdfminimizer_free(s);
    return it;
}

/* ---- fitting --------------------------------------------------------------------------------- */

static void standardize_stats(const double *X, size_t n, int d, double *mean, double *scale)
{
    for (int j = 0; j < d; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += X[i * (size_t)d + j];
        m /= (double)(n ? n : 1);
        for (size_t i = 0; i < n; i++) {
            double c = X[i * (size_t)d + j] - m;
            v += c * c;
        }
        v = n ? sqrt(v / (double)n) : 0.0;
        mean[j] = m;
        scale[j] = v > 1e-12 ? v : 1.0;
    }
}

static void standardize(const double *X, const size_t *rows, size_t n, int d, const double *mean,
                        const double *scale, double *Z)
{
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            Z[i * (size_t)d + j] = (X[rows[i] * (size_t)d + j] - mean[j]) / scale[j];
}

/* Stratified split: in each class, round(val_frac * count) rows (at least one
 * when the class has two or more) go to validation, chosen with the seed. */
static void split_rows(const int *y, size_t n, int K, double frac, uint64_t seed, size_t *tr, size_t *n_tr,
                       size_t *va, size_t *n_va)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)seed);
    size_t *perm = malloc(n * sizeof *perm);
    *n_tr = *n_va = 0;
    for (int k = 0; k < K; k++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            if (y[i] == k)
                perm[c++] = i;
        if (c > 1) /* GSL's shuffle of 0 items reads out of bounds */
            gsl_ran_shuffle(rng, perm, c, sizeof *perm);
        size_t nv = (size_t)floor(frac * (double)c + 0.5);
        if (nv == 0 && c >= 2 && frac > 0)
            nv = 1;
        if (nv >= c)
            nv = c > 0 ? c - 1 : 0;
        for (size_t i = 0; i < c; i++) {
            if (i < nv)
                va[(*n_va)++] = perm[i];
            else
                tr[(*n_tr)++] = perm[i];
        }
    }
    free(perm);
    gsl_rng_free(rng);
}

static senti_head *head_alloc(int K, int d)
{
    senti_head *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->n_labels = K;
    h->n_feat = d;
    h->labels = calloc((size_t)K, sizeof *h->labels);
    h->mean = calloc((size_t)d, sizeof *h->mean);
    h->scale = calloc((size_t)d, sizeof *h->scale);
    h->W = calloc((size_t)K * d, sizeof *h->W);
    h->b = calloc((size_t)K, sizeof *h->b);
    if (!h->labels || !h->mean || !h->scale || !h->W || !h->b) {
        senti_head_free(h);
        return NULL;
    }
    return h;
}

void senti_head_free(senti_head *h)
{
    if (!h)
        return;
    for (int k = 0; h->labels && k < h->n_labels; k++)
        free(h->labels[k]);
    free(h->labels);
    free(h->mean);
    free(h->scale);
    free(h->W);
    free(h->b);
    free(h);
}

/* Fit on rows[0..n) with lambda; theta [K*d+K] receives the solution. The
 * standardization comes from the same rows. Returns iterations or -1. */
static int fit_rows(const double *X, const int *y, const size_t *rows, size_t n, int d, int K, double lambda,
                    const senti_head_fit_params *p, double *mean, double *scale, double *theta)
{
    double *Xs = malloc(n * (size_t)d * sizeof *Xs), *Z = malloc(n * (size_t)d * sizeof *Z);
    int *ys = malloc(n * sizeof *ys);
    size_t *id = malloc(n * sizeof *id);
    int it = -1;
    if (Xs && Z && ys && id) {
        for (size_t i = 0; i < n; i++) {
            memcpy(Xs + i * (size_t)d, X + rows[i] * (size_t)d, (size_t)d * sizeof *Xs);
            ys[i] = y[rows[i]];
            id[i] = i;
        }
        standardize_stats(Xs, n, d, mean, scale);
        standardize(Xs, id, n, d, mean, scale, Z);
        problem pb = {Z, ys, n, d, K, lambda};
        memset(theta, 0, ((size_t)K * d + K) * sizeof *theta);
        it = minimize(&pb, theta, p->max_iter, p->grad_tol);
    }
    free(Xs);
    free(Z);
    free(ys);
    free(id);
    return it;
}

/* Log-loss and accuracy of theta (with mean/scale) on rows. */
static void evaluate(const double *X, const int *y, const size_t *rows, size_t n, int d, int K, const double *mean,
                     const double *scale, const double *theta, double *loss, double *acc)
{
    senti_head h = {.n_labels = K, .n_feat = d, .mean = (double *)mean, .scale = (double *)scale,
                    .W = (double *)theta, .b = (double *)theta + (size_t)K * d};
    double lp[SENTI_MAX_HEAD_LABELS], L = 0.0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        senti_head_predict(&h, X + rows[i] * (size_t)d, lp);
        int best = 0;
        for (int k = 1; k < K; k++)
            best = lp[k] > lp[best] ? k : best;
        ok += best == y[rows[i]];
        L -= lp[y[rows[i]]];
    }
    *loss = n ? L / (double)n : NAN;
    *acc = n ? (double)ok / (double)n : NAN;
}

/* Choose lambda on the validation split (ties go to the larger lambda). */
static double choose_lambda(const double *X, const int *y, size_t n, int d, int K, const senti_head_fit_params *p,
                            senti_head_fit_info *info, double *theta, double *mean, double *scale)
{
    const double *grid = p->lambdas ? p->lambdas : default_lambdas;
    size_t ng = p->lambdas ? p->n_lambdas : sizeof default_lambdas / sizeof default_lambdas[0];
    if (ng == 0)
        return 0.0;
    size_t *tr = malloc(n * sizeof *tr), *va = malloc(n * sizeof *va), n_tr = 0, n_va = 0;
    if (!tr || !va || p->val_frac <= 0)
        goto done;
    split_rows(y, n, K, p->val_frac, p->seed, tr, &n_tr, va, &n_va);
    info->n_train = n_tr;
    info->n_val = n_va;
    double best_loss = INFINITY;
    size_t best = 0;
    for (size_t g = 0; g < ng && n_va > 0; g++) {
        double loss = NAN, acc = NAN;
        if (fit_rows(X, y, tr, n_tr, d, K, grid[g], p, mean, scale, theta) >= 0)
            evaluate(X, y, va, n_va, d, K, mean, scale, theta, &loss, &acc);
        if (g < 16) {
            info->val_loss[g] = loss;
            info->val_acc[g] = acc;
        }
        if (loss <= best_loss) {
            best_loss = loss;
            best = g;
        }
    }
    free(tr);
    free(va);
    return n_va ? grid[best] : grid[ng - 1];
done: /* no validation rows: every lambda ties, and ties go to the larger */
    free(tr);
    free(va);
    return grid[ng - 1];
}

senti_status senti_head_fit(const double *X, const int *y, size_t n, int d, int n_labels,
                            const char *const *labels, const senti_head_fit_params *p, senti_head **out,
                            senti_head_fit_info *info, senti_err *err)
{
    *out = NULL;
    senti_head_fit_params dp = senti_head_fit_default_params();
    senti_head_fit_info scratch;
    if (!p)
        p = &dp;
    if (!info)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (n < 2 || d < 1 || n_labels < 2 || n_labels > SENTI_MAX_HEAD_LABELS)
        return senti_err_set(err, SENTI_ERR_ARG, "head: need >= 2 rows, >= 1 feature, 2..%d labels",
                             SENTI_MAX_HEAD_LABELS);
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= n_labels)
            return senti_err_set(err, SENTI_ERR_ARG, "head: label %d of row %zu out of range", y[i], i);
    senti_head *h = head_alloc(n_labels, d);
    double *theta = calloc((size_t)n_labels * d + n_labels, sizeof *theta);
    size_t *all = malloc(n * sizeof *all);
    if (!h || !theta || !all) {
        senti_head_free(h);
        free(theta);
        free(all);
        return senti_err_set(err, SENTI_ERR_NOMEM, "head: out of memory");
    }
    h->lambda = choose_lambda(X, y, n, d, n_labels, p, info, theta, h->mean, h->scale);
    for (size_t i = 0; i < n; i++)
        all[i] = i;
    info->iterations = fit_rows(X, y, all, n, d, n_labels, h->lambda, p, h->mean, h->scale, theta);
    memcpy(h->W, theta, (size_t)n_labels * d * sizeof *theta);
    memcpy(h->b, theta + (size_t)n_labels * d, (size_t)n_labels * sizeof *theta);
    evaluate(X, y, all, n, d, n_labels, h->mean, h->scale, theta, &info->train_loss, &info->train_acc);
    free(theta);
    free(all);
    for (int k = 0; k < n_labels; k++) {
        char num[16];
        snprintf(num, sizeof num, "%d", k);
        h->labels[k] = strdup(labels ? labels[k] : num);
        if (!h->labels[k]) {
            senti_head_free(h);
            return senti_err_set(err, SENTI_ERR_NOMEM, "head: out of memory");
        }
    }
    if (!isfinite(info->train_loss)) {
        senti_head_free(h);
        return senti_err_set(err, SENTI_ERR_NUMERIC, "head: the fit produced a non-finite loss");
    }
    *out = h;
    return SENTI_OK;
}

void senti_head_predict(const senti_head *h, const double *x, double *logp)
{
    const int K = h->n_labels, d = h->n_feat;
    double p[SENTI_MAX_HEAD_LABELS];
    for (int k = 0; k < K; k++) {
        double a = h->b[k];
        for (int j = 0; j < d; j++)
            a += h->W[(size_t)k * d + j] * (x[j] - h->mean[j]) / h->scale[j];
        logp[k] = a;
    }
    senti_label_softmax(logp, K, p);
    for (int k = 0; k < K; k++)
        logp[k] = log(p[k] > 1e-300 ? p[k] : 1e-300);
}

/* ---- the file ------------------------------------------------------------------------------------ */

static const char *feat_name(senti_head_features f)
{
    return f == SENTI_HEAD_FEAT_HIDDEN_SCORES ? "hidden+label_scores" : "hidden";
}

static json_t *json_reals(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

senti_status senti_head_save(const senti_head *h, const char *path, senti_err *err)
{
    json_t *o = json_object(), *labels = json_array(), *W = json_array();
    json_object_set_new(o, "format", json_string("senti-head"));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "features", json_string(feat_name(h->features)));
    json_object_set_new(o, "n_features", json_integer(h->n_feat));
    for (int k = 0; k < h->n_labels; k++)
        json_array_append_new(labels, json_string(h->labels[k]));
    json_object_set_new(o, "labels", labels);
    json_object_set_new(o, "lambda", json_real(h->lambda));
    json_object_set_new(o, "model_sha256", json_string(h->model_sha256));
    json_object_set_new(o, "mean", json_reals(h->mean, (size_t)h->n_feat));
    json_object_set_new(o, "scale", json_reals(h->scale, (size_t)h->n_feat));
    for (int k = 0; k < h->n_labels; k++)
        json_array_append_new(W, json_reals(h->W + (size_t)k * h->n_feat, (size_t)h->n_feat));
    json_object_set_new(o, "weights", W);
    json_object_set_new(o, "bias", json_reals(h->b, (size_t)h->n_labels));
    int rc = json_dump_file(o, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (rc)
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot write the head file", path);
    return SENTI_OK;
}

/* n finite numbers from a JSON array into v. */
static senti_status read_reals(const json_t *a, size_t n, double *v, const char *path, const char *what,
                               senti_err *err)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: '%s' must be an array of %zu numbers", path, what, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x)))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: '%s'[%zu] is not a finite number", path, what, i);
        v[i] = json_number_value(x);
    }
    return SENTI_OK;
}

static senti_status parse_head(const json_t *o, const char *path, senti_head **out, senti_err *err)
{
    const json_t *fmt = json_object_get(o, "format"), *labels = json_object_get(o, "labels");
    const json_t *nf = json_object_get(o, "n_features"), *feat = json_object_get(o, "features");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "senti-head") != 0)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: not a senti head file (format != \"senti-head\")", path);
    if (json_integer_value(json_object_get(o, "version")) != 1)
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "%s: head file version is not 1", path);
    if (!json_is_array(labels) || json_array_size(labels) < 2 || json_array_size(labels) > SENTI_MAX_HEAD_LABELS ||
        !json_is_integer(nf) || json_integer_value(nf) < 1 || json_integer_value(nf) > (1 << 24) ||
        !json_is_string(feat))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: bad 'labels', 'n_features' or 'features'", path);
    int K = (int)json_array_size(labels), d = (int)json_integer_value(nf);
    /* The arrays are there before the allocation: a few bytes claiming 2^24
     * features and 64 labels must not allocate 8 GB. */
    const json_t *W = json_object_get(o, "weights");
    if (json_array_size(json_object_get(o, "mean")) != (size_t)d || json_array_size(W) != (size_t)K)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: 'mean' must hold n_features = %d numbers, 'weights' %d rows",
                             path, d, K);
    senti_head *h = head_alloc(K, d);
    if (!h)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    *out = h;
    const char *fn = json_string_value(feat);
    if (!strcmp(fn, "hidden"))
        h->features = SENTI_HEAD_FEAT_HIDDEN;
    else if (!strcmp(fn, "hidden+label_scores"))
        h->features = SENTI_HEAD_FEAT_HIDDEN_SCORES;
    else
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: unknown features '%s'", path, fn);
    for (int k = 0; k < K; k++) {
        const json_t *l = json_array_get(labels, (size_t)k);
        if (!json_is_string(l) || !(h->labels[k] = strdup(json_string_value(l))))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: labels[%d] is not a string", path, k);
    }
    const json_t *sha = json_object_get(o, "model_sha256");
    if (json_is_string(sha))
        snprintf(h->model_sha256, sizeof h->model_sha256, "%s", json_string_value(sha));
    h->lambda = json_number_value(json_object_get(o, "lambda"));
    senti_status s = read_reals(json_object_get(o, "mean"), (size_t)d, h->mean, path, "mean", err);
    if (!s)
        s = read_reals(json_object_get(o, "scale"), (size_t)d, h->scale, path, "scale", err);
    if (!s)
        s = read_reals(json_object_get(o, "bias"), (size_t)K, h->b, path, "bias", err);
    if (!s && (!json_is_array(W) || json_array_size(W) != (size_t)K))
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: 'weights' must hold %d rows", path, K);
    for (int k = 0; k < K && !s; k++)
        s = read_reals(json_array_get(W, (size_t)k), (size_t)d, h->W + (size_t)k * d, path, "weights", err);
    for (int j = 0; j < d && !s; j++)
        if (h->scale[j] <= 0)
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: scale[%d] is not positive", path, j);
    return s;
}

senti_status senti_head_load(const char *path, senti_head **out, senti_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d: %s", path, je.line, je.text);
    senti_head *h = NULL;
    senti_status s = json_is_object(o) ? parse_head(o, path, &h, err)
                                       : senti_err_set(err, SENTI_ERR_FORMAT, "%s: not a JSON object", path);
    json_decref(o);
    if (s) {
        senti_head_free(h);
        return s;
    }
    *out = h;
    return SENTI_OK;
}

/* ---- features of a training set ----------------------------------------------------------------- */

/* Features of one row: hidden state at the scoring position (+ label scores). */
static senti_status row_features(ft_prompter *pr, senti_scorer *sc, const senti_example *e, double *word_lp,
                                 const float *hidden, int n_embd, senti_head_features kind, double *x,
                                 senti_err *err)
{
    int32_t *pre, *suf;
    int np, ns;
    senti_status s = ft_prompter_tokens(pr, e->text, e->text_len, &pre, &np, &suf, &ns, err);
    if (s)
        return s;
    s = senti_scorer_set_prefix(sc, pre, np, err);
    if (!s)
        s = senti_scorer_score(sc, suf, ns, word_lp, err);
    free(pre);
    free(suf);
    if (s)
        return s;
    for (int j = 0; j < n_embd; j++)
        x[j] = hidden[j];
    if (kind == SENTI_HEAD_FEAT_HIDDEN_SCORES)
        senti_label_scores(&pr->words, word_lp, pr->pp.agg, pr->pp.length_norm, x + n_embd);
    return SENTI_OK;
}

senti_status senti_head_features_compute(senti_model *m, const senti_verbalizer *v, const senti_ft_prompt_params *pp,
                                         const senti_examples *ex, senti_head_features kind, double **X, int **y,
                                         int *n_feat, senti_ft_progress_fn progress, void *user, senti_err *err)
{
    *X = NULL;
    *y = NULL;
    ft_prompter *pr = NULL;
    senti_context *ctx = NULL;
    senti_scorer *sc = NULL;
    const int E = senti_model_hparams(m)->n_embd;
    senti_status s = ft_prompter_new(m, v, pp, &pr, err);
    if (s)
        return s;
    const int d = E + (kind == SENTI_HEAD_FEAT_HIDDEN_SCORES ? pr->words.n_labels : 0);
    float *hidden = malloc((size_t)E * sizeof *hidden);
    double *word_lp = malloc((size_t)pr->words.n_words * sizeof *word_lp);
    *X = malloc((ex->n ? ex->n : 1) * (size_t)d * sizeof **X);
    *y = malloc((ex->n ? ex->n : 1) * sizeof **y);
    if (!hidden || !word_lp || !*X || !*y)
        s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (!s)
        s = senti_context_new(m, pr->n_ctx, &ctx, err);
    if (!s)
        s = senti_scorer_new(ctx, &pr->words, &sc, err);
    if (!s)
        senti_scorer_set_hidden(sc, hidden);
    for (size_t i = 0; i < ex->n && !s; i++) {
        s = ft_example_label(v, ex, i, &(*y)[i], err);
        if (!s)
            s = row_features(pr, sc, &ex->items[i], word_lp, hidden, E, kind, *X + i * (size_t)d, err);
        if (progress)
            progress(user, i + 1, ex->n, NAN);
    }
    senti_scorer_free(sc);
    senti_context_free(ctx);
    ft_prompter_free(pr);
    free(hidden);
    free(word_lp);
    if (s) {
        free(*X);
        free(*y);
        *X = NULL;
        *y = NULL;
        return s;
    }
    *n_feat = d;
    return SENTI_OK;
}
