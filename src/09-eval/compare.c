/*
 * compare.c - paired comparison of two runs (row matching, McNemar, paired
 * bootstrap, verdict) and summaries of many runs grouped by a field.
 *
 * Contract: see include/senti/compare.h. B is aligned to A (rows and label
 * columns) into fresh arrays, then both go through the same weighted
 * evaluator as `senti eval`, so "accuracy" means the same thing everywhere.
 */
#include "senti/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

/* Exact two-sided binomial test of b against c: the smaller count's lower
 * tail, doubled (the null distribution Bin(b + c, 1/2) is symmetric). GSL
 * computes the tail as an incomplete beta function, accurate in relative
 * terms even far out in the tail of a large n. */
senti_mcnemar senti_mcnemar_test(size_t b, size_t c)
{
    senti_mcnemar r = {b, c, 1.0};
    size_t m = b + c;
    if (m == 0)
        return r;
    double tail = gsl_cdf_binomial_P((unsigned)(b < c ? b : c), 0.5, (unsigned)m);
    r.p_value = 2.0 * tail < 1.0 ? 2.0 * tail : 1.0;
    return r;
}

/* ---- row matching ----------------------------------------------------------------- */

typedef struct {
    const char *id;
    size_t row;
} id_row;

static int id_cmp(const void *x, const void *y)
{
    return strcmp(((const id_row *)x)->id, ((const id_row *)y)->id);
}

/* perm[i] = row of b holding a's row i, matched by id. */
static senti_status match_ids(const senti_predfile *a, const senti_predfile *b, size_t *perm,
                              senti_err *err)
{
    id_row *sb = malloc(b->n * sizeof *sb);
    if (!sb)
        return senti_err_set(err, SENTI_ERR_NOMEM, "compare: out of memory");
    for (size_t i = 0; i < b->n; i++)
        sb[i] = (id_row){b->ids[i], i};
    qsort(sb, b->n, sizeof *sb, id_cmp);
    senti_status st = SENTI_OK;
    for (size_t i = 1; i < b->n && !st; i++)
        if (!strcmp(sb[i - 1].id, sb[i].id))
            st = senti_err_set(err, SENTI_ERR_FORMAT, "%s: id '%s' appears twice", b->path,
                               sb[i].id);
    uint8_t *used = calloc(b->n, 1);
    for (size_t i = 0; i < a->n && !st; i++) {
        id_row key = {a->ids[i], 0};
        id_row *hit = used ? bsearch(&key, sb, b->n, sizeof *sb, id_cmp) : NULL;
        if (!used)
            st = senti_err_set(err, SENTI_ERR_NOMEM, "compare: out of memory");
        else if (!hit)
            st = senti_err_set(err, SENTI_ERR_FORMAT, "%s: row %zu: id '%s' is not in %s", a->path,
                               i + 1, a->ids[i], b->path);
        else if (used[hit->row]++)
            st = senti_err_set(err, SENTI_ERR_FORMAT, "%s: id '%s' appears twice", a->path,
                               a->ids[i]);
        else
            perm[i] = hit->row;
    }
    free(used);
    free(sb);
    return st;
}

/* map[j] = column of b for a's label j. */
static senti_status match_labels(const senti_predfile *a, const senti_predfile *b, int *map,
                                 senti_err *err)
{
    if (a->k != b->k)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s has %d labels, %s has %d", a->path, a->k,
                             b->path, b->k);
    for (int j = 0; j < a->k; j++)
        if ((map[j] = senti_predfile_label_index(b, a->labels[j])) < 0)
            return senti_err_set(err, SENTI_ERR_FORMAT, "label '%s' of %s is not in %s",
                                 a->labels[j], a->path, b->path);
    if ((a->prob == NULL) != (b->prob == NULL))
        return senti_err_set(err, SENTI_ERR_FORMAT, "only one of %s and %s has probabilities",
                             a->path, b->path);
    return SENTI_OK;
}

/* B's rows and labels in A's order: gold, pred [n], prob [n * k] (or NULL). */
static senti_status align_b(const senti_predfile *a, const senti_predfile *b, const size_t *perm,
                            const int *map, int *gold, int *pred, double *prob, senti_err *err)
{
    int inv[a->k];
    for (int j = 0; j < a->k; j++)
        inv[map[j]] = j;
    size_t k = (size_t)a->k;
    for (size_t i = 0; i < a->n; i++) {
        size_t r = perm[i];
        gold[i] = inv[b->gold[r]];
        pred[i] = inv[b->pred[r]];
        if (gold[i] != a->gold[i])
            return senti_err_set(err, SENTI_ERR_FORMAT,
                                 "gold labels differ: %s row %zu has '%s', %s row %zu has '%s'",
                                 a->path, i + 1, a->labels[a->gold[i]], b->path, r + 1,
                                 b->labels[b->gold[r]]);
        for (size_t j = 0; prob && j < k; j++)
            prob[i * k + j] = b->prob[r * k + (size_t)map[j]];
    }
    return SENTI_OK;
}

static senti_status compare_aligned(const senti_predfile *a, const int *gold_b, const int *pred_b,
                                    const double *prob_b, const senti_eval_params *P,
                                    senti_comparison *out, senti_err *err)
{
    senti_eval_input ia = {a->n, a->k, a->gold, a->pred, a->prob};
    senti_eval_input ib = {a->n, a->k, gold_b, pred_b, prob_b};
    senti_eval_prep *pa = NULL, *pb = NULL;
    senti_status st = senti_eval_prep_new(&ia, P->n_bins, &pa, err);
    if (!st)
        st = senti_eval_prep_new(&ib, P->n_bins, &pb, err);
    if (!st && (senti_eval_prep_metrics(pa, NULL, out->value_a) ||
                senti_eval_prep_metrics(pb, NULL, out->value_b)))
        st = senti_err_set(err, SENTI_ERR_NOMEM, "compare: out of memory");
    size_t bb = 0, cc = 0;
    for (size_t i = 0; i < a->n; i++) {
        int ra = a->pred[i] == a->gold[i], rb = pred_b[i] == gold_b[i];
        bb += ra && !rb;
        cc += !ra && rb;
    }
    out->mcnemar = senti_mcnemar_test(bb, cc);
    for (int m = 0; m < SENTI_M_COUNT; m++)
        out->diff[m] = (senti_ci){NAN, NAN, NAN, 0};
    if (!st && P->bootstrap > 0)
        st = senti_bootstrap_paired(pa, pb, P->bootstrap, P->seed, P->ci_level, P->threads,
                                    out->diff, err);
    senti_eval_prep_free(pa);
    senti_eval_prep_free(pb);
    return st;
}

senti_status senti_compare_runs(const senti_predfile *a, const senti_predfile *b,
                                const senti_eval_params *params, senti_comparison *out,
                                senti_err *err)
{
    senti_eval_params P = params ? *params : senti_eval_default_params();
    memset(out, 0, sizeof *out);
    int map[a->k > 0 ? a->k : 1];
    senti_status st = match_labels(a, b, map, err);
    if (st)
        return st;
    out->matched_by_id = a->ids && b->ids;
    if (a->n != b->n)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s has %zu rows, %s has %zu", a->path, a->n,
                             b->path, b->n);
    size_t k = (size_t)a->k, n = a->n;
    size_t *perm = malloc(n * sizeof *perm);
    int *gold = malloc(n * sizeof *gold), *pred = malloc(n * sizeof *pred);
    double *prob = a->prob ? malloc(n * k * sizeof *prob) : NULL;
    if (!perm || !gold || !pred || (a->prob && !prob))
        st = senti_err_set(err, SENTI_ERR_NOMEM, "compare: out of memory");
    for (size_t i = 0; !st && !out->matched_by_id && i < n; i++)
        perm[i] = i;
    if (!st && out->matched_by_id)
        st = match_ids(a, b, perm, err);
    if (!st)
        st = align_b(a, b, perm, map, gold, pred, prob, err);
    out->n = n;
    out->k = a->k;
    out->ci_level = P.ci_level;
    out->bootstrap = P.bootstrap;
    if (!st)
        st = compare_aligned(a, gold, pred, prob, &P, out, err);
    free(perm);
    free(gold);
    free(pred);
    free(prob);
    return st;
}

void senti_compare_verdict(const senti_comparison *c, const char *name_a, const char *name_b,
                           double alpha, char *buf, size_t size)
{
    double d = c->value_b[SENTI_M_ACCURACY] - c->value_a[SENTI_M_ACCURACY];
    const senti_ci *ci = &c->diff[SENTI_M_ACCURACY];
    int significant = c->mcnemar.p_value < alpha;
    const char *head;
    char cis[96] = "";
    if (!significant)
        head = "no significant difference in accuracy between";
    else
        head = d > 0 ? "better than" : "worse than";
    if (!isnan(ci->lo))
        snprintf(cis, sizeof cis, " (%g%% CI %+.4f to %+.4f)", 100.0 * c->ci_level, ci->lo, ci->hi);
    if (significant)
        snprintf(buf, size, "verdict: %s is %s %s: accuracy %+.4f%s, McNemar p = %.4g (exact)", name_b,
                 head, name_a, d, cis, c->mcnemar.p_value);
    else
        snprintf(buf, size, "verdict: %s %s and %s: accuracy %+.4f%s, McNemar p = %.4g (exact)", head,
                 name_a, name_b, d, cis, c->mcnemar.p_value);
}

/* ---- many runs -------------------------------------------------------------------------- */

static void summarise(const double *values, const size_t *rows, size_t m, senti_compare_group *g)
{
    for (int k = 0; k < SENTI_M_COUNT; k++) {
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        size_t cnt = 0;
        for (size_t i = 0; i < m; i++) {
            double v = values[rows[i] * SENTI_M_COUNT + (size_t)k];
            if (!isfinite(v))
                continue;
            sum += v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
            cnt++;
        }
        double mean = cnt ? sum / (double)cnt : NAN, ss = 0;
        for (size_t i = 0; i < m && cnt > 1; i++) {
            double v = values[rows[i] * SENTI_M_COUNT + (size_t)k];
            if (isfinite(v))
                ss += (v - mean) * (v - mean);
        }
        g->mean[k] = mean;
        g->sd[k] = cnt > 1 ? sqrt(ss / (double)(cnt - 1)) : NAN;
        g->min[k] = cnt ? mn : NAN;
        g->max[k] = cnt ? mx : NAN;
        g->worst[k] = senti_metric_higher_is_better((senti_metric)k) ? g->min[k] : g->max[k];
    }
}

senti_status senti_compare_aggregate(const double *values, const char *const *groups,
                                     size_t n_runs, senti_compare_group **out, size_t *n_groups,
                                     senti_err *err)
{
    *out = NULL;
    *n_groups = 0;
    senti_compare_group *g = calloc(n_runs ? n_runs : 1, sizeof *g);
    size_t *rows = malloc((n_runs ? n_runs : 1) * sizeof *rows), ng = 0;
    if (!g || !rows) {
        free(g);
        free(rows);
        return senti_err_set(err, SENTI_ERR_NOMEM, "aggregate: out of memory");
    }
    for (size_t r = 0; r < n_runs; r++) {
        const char *name = groups && groups[r] ? groups[r] : "";
        size_t j = 0;
        while (j < ng && strcmp(g[j].group, name))
            j++;
        if (j < ng)
            continue; /* summarised with its first member */
        g[ng].group = strdup(name);
        size_t m = 0;
        for (size_t s = r; s < n_runs; s++)
            if (!strcmp(groups && groups[s] ? groups[s] : "", name))
                rows[m++] = s;
        g[ng].runs = m;
        summarise(values, rows, m, &g[ng]);
        if (!g[ng++].group) {
            senti_compare_groups_free(g, ng);
            free(rows);
            return senti_err_set(err, SENTI_ERR_NOMEM, "aggregate: out of memory");
        }
    }
    free(rows);
    *out = g;
    *n_groups = ng;
    return SENTI_OK;
}

void senti_compare_groups_free(senti_compare_group *g, size_t n_groups)
{
    if (!g)
        return;
    for (size_t i = 0; i < n_groups; i++)
        free(g[i].group);
    free(g);
}
