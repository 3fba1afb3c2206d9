/*
 * metrics.c - every headline metric as a weighted sum over precomputed rows.
 *
 * Contract: senti_eval_prep_new() computes, once, everything that depends on a
 * single row (top label, confidence, NLL and Brier terms, bin ids, sort orders).
 * senti_eval_prep_metrics() then evaluates all metrics for a vector of row
 * multiplicities in O(n * k) without sorting, which is what makes a bootstrap
 * of 1000 resamples over a million rows affordable. The point estimate is the
 * same function with every multiplicity 1, so point values and bootstrap
 * replicates can never disagree on a definition.
 *
 * Bin conventions (docs/eval.md): equal-width bin of a value v in [0, 1] with M
 * bins is ceil(v * M) - 1 computed in double, clamped to [0, M-1], so bin b
 * holds b/M < v <= (b+1)/M and v = 0 falls in bin 0. Equal-mass bins split the
 * rows sorted by ascending value (ties by row index) so that sorted position
 * j goes to bin floor(j * M / n).
 */
#include "eval_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"

/* ---- metric names --------------------------------------------------------- */

static const struct {
    const char *name;
    int higher_better;
    int needs_prob;
} metric_info[SENTI_M_COUNT] = {
    [SENTI_M_ACCURACY] = {"accuracy", 1, 0},
    [SENTI_M_BALANCED_ACCURACY] = {"balanced_accuracy", 1, 0},
    [SENTI_M_MACRO_F1] = {"macro_f1", 1, 0},
    [SENTI_M_MICRO_F1] = {"micro_f1", 1, 0},
    [SENTI_M_WEIGHTED_F1] = {"weighted_f1", 1, 0},
    [SENTI_M_MCC] = {"mcc", 1, 0},
    [SENTI_M_KAPPA] = {"kappa", 1, 0},
    [SENTI_M_NLL] = {"nll", 0, 1},
    [SENTI_M_BRIER] = {"brier", 0, 1},
    [SENTI_M_ECE] = {"ece", 0, 1},
    [SENTI_M_ECE_MASS] = {"ece_mass", 0, 1},
    [SENTI_M_MCE] = {"mce", 0, 1},
    [SENTI_M_RMSCE] = {"rmsce", 0, 1},
    [SENTI_M_CLASSWISE_ECE] = {"classwise_ece", 0, 1},
    [SENTI_M_ACE] = {"ace", 0, 1},
    [SENTI_M_AURC] = {"aurc", 0, 1},
};

const char *senti_metric_name(senti_metric m)
{
    return (unsigned)m < SENTI_M_COUNT ? metric_info[m].name : NULL;
}

senti_status senti_metric_parse(const char *name, senti_metric *out, senti_err *err)
{
    for (int m = 0; m < SENTI_M_COUNT; m++)
        if (name && !strcmp(name, metric_info[m].name)) {
            *out = (senti_metric)m;
            return SENTI_OK;
        }
    return senti_err_set(err, SENTI_ERR_ARG, "unknown metric \"%s\"", name ? name : "");
}

int senti_metric_higher_is_better(senti_metric m)
{
    return (unsigned)m < SENTI_M_COUNT ? metric_info[m].higher_better : 0;
}

int senti_metric_needs_prob(senti_metric m)
{
    return (unsigned)m < SENTI_M_COUNT ? metric_info[m].needs_prob : 0;
}

senti_eval_params senti_eval_default_params(void)
{
    senti_eval_params p = {.n_bins = 15,
                           .bootstrap = 1000,
                           .seed = 20240917u,
                           .ci_level = 0.95,
                           .min_rows_per_bin = 10,
                           .threads = 0};
    return p;
}

/* ---- precomputed rows -------------------------------------------------------- */

struct senti_eval_prep {
    size_t n;
    int k, M, has_prob;
    const int *gold, *pred; /* [n] views of the input */
    const double *prob;     /* [n * k] view, or NULL */
    uint8_t *top_ok;        /* [n] argmax(prob) == gold */
    double *conf;           /* [n] max probability */
    double *nll;            /* [n] -log(clip(p_gold, eps, 1 - eps)) */
    double *brier;          /* [n] sum_j (p_j - [j == gold])^2 */
    uint32_t *order;        /* [n] rows by ascending conf, ties by row */
    uint32_t *corder;       /* [k * n] rows by ascending p_ij, per class j */
    /* The same data laid out in sorted order, so the sorted passes read memory
     * sequentially and only gather the 1-byte weights (n bytes, cache-resident). */
    double *s_conf;         /* [n] conf[order[s]] */
    uint8_t *s_ok;          /* [n] top_ok[order[s]] */
    double *s_p;            /* [k * n] p[corder[j][s]][j] */
    uint8_t *s_hit;         /* [k * n] gold[corder[j][s]] == j */
    uint32_t *wend;         /* [(k + 1) * M] end of each equal-width bin in sorted order:
                               top label first, then class j at (j + 1) * M */
    double *inv;            /* [n + 1] inv[i] = 1 / i (inv[0] unused) */
};

static int width_bin(double v, int M)
{
    double c = ceil(v * (double)M) - 1.0;
    if (!(c > 0.0))
        return 0;
    return c >= (double)(M - 1) ? M - 1 : (int)c;
}

typedef struct {
    double v;
    uint32_t i;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->v < y->v)
        return -1;
    if (x->v > y->v)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* order[0..n) = rows sorted by ascending v[i * stride], ties by row index. */
static int sort_rows(const double *v, size_t stride, size_t n, uint32_t *order)
{
    keyed *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t i = 0; i < n; i++) {
        tmp[i].v = v[i * stride];
        tmp[i].i = (uint32_t)i;
    }
    qsort(tmp, n, sizeof *tmp, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        order[i] = tmp[i].i;
    free(tmp);
    return 0;
}

static void prep_rows(senti_eval_prep *p)
{
    const double eps = DBL_EPSILON;
    for (size_t i = 0; i < p->n; i++) {
        const double *row = p->prob + i * (size_t)p->k;
        int top = senti_argmax_row(row, p->k), g = p->gold[i];
        double pg = row[g], br = 0.0;
        pg = pg < eps ? eps : (pg > 1.0 - eps ? 1.0 - eps : pg);
        for (int j = 0; j < p->k; j++) {
            double d = row[j] - (j == g ? 1.0 : 0.0);
            br += d * d;
        }
        p->top_ok[i] = top == g;
        p->conf[i] = row[top];
        p->nll[i] = -log(pg);
        p->brier[i] = br;
    }
}

/* wend[b] = number of sorted values whose equal-width bin is <= b. */
static void width_ends(const double *sv, size_t n, int M, uint32_t *wend)
{
    size_t s = 0;
    for (int b = 0; b < M; b++) {
        while (s < n && width_bin(sv[s], M) <= b)
            s++;
        wend[b] = (uint32_t)s;
    }
}

static void fill_sorted(senti_eval_prep *p)
{
    size_t n = p->n, k = (size_t)p->k;
    for (size_t s = 0; s < n; s++) {
        p->s_conf[s] = p->conf[p->order[s]];
        p->s_ok[s] = p->top_ok[p->order[s]];
    }
    for (size_t j = 0; j < k; j++)
        for (size_t s = 0; s < n; s++) {
            uint32_t r = p->corder[j * n + s];
            p->s_p[j * n + s] = p->prob[(size_t)r * k + j];
            p->s_hit[j * n + s] = (size_t)p->gold[r] == j;
        }
    width_ends(p->s_conf, n, p->M, p->wend);
    for (size_t j = 0; j < k; j++)
        width_ends(p->s_p + j * n, n, p->M, p->wend + (j + 1) * (size_t)p->M);
}

/* Checks the input: rows, bins and every label index in range. */
static senti_status check_input(const senti_eval_input *in, int n_bins, senti_err *err)
{
    if (!in || in->n == 0 || in->k < 1 || !in->gold || !in->pred)
        return senti_err_set(err, SENTI_ERR_ARG, "eval: empty input");
    if (in->n >= UINT32_MAX || n_bins < 1 || n_bins > 65535)
        return senti_err_set(err, SENTI_ERR_RANGE, "eval: %zu rows / %d bins out of range", in->n,
                             n_bins);
    for (size_t i = 0; i < in->n; i++)
        if (in->gold[i] < 0 || in->gold[i] >= in->k || in->pred[i] < 0 || in->pred[i] >= in->k)
            return senti_err_set(err, SENTI_ERR_RANGE, "eval: row %zu: label index out of range",
                                 i + 1);
    return SENTI_OK;
}

/* The per-row and sorted arrays of a prep with probabilities; 0, or -1 when
 * one allocation failed (senti_eval_prep_free frees the others). */
static int alloc_rows(senti_eval_prep *p)
{
    size_t n = p->n, k = (size_t)p->k;
    p->top_ok = malloc(n);
    p->conf = malloc(n * sizeof(double));
    p->nll = malloc(n * sizeof(double));
    p->brier = malloc(n * sizeof(double));
    p->order = malloc(n * sizeof(uint32_t));
    p->corder = malloc(n * k * sizeof(uint32_t));
    p->inv = malloc((n + 1) * sizeof(double));
    p->s_conf = malloc(n * sizeof(double));
    p->s_ok = malloc(n);
    p->s_p = malloc(n * k * sizeof(double));
    p->s_hit = malloc(n * k);
    p->wend = malloc((k + 1) * (size_t)p->M * sizeof(uint32_t));
    return !p->top_ok || !p->conf || !p->nll || !p->brier || !p->order || !p->corder || !p->inv ||
                   !p->s_conf || !p->s_ok || !p->s_p || !p->s_hit || !p->wend
               ? -1
               : 0;
}

/* Everything that depends on one row, the k + 1 sort orders and the sorted
 * copies; 0, or -1 when a sort ran out of memory. */
static int compute_rows(senti_eval_prep *p)
{
    size_t n = p->n, k = (size_t)p->k;
    int bad = 0;
    prep_rows(p);
    /* k + 1 independent sorts: the top label's, then each class's */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) reduction(| : bad)
#endif
    for (long j = -1; j < (long)k; j++)
        bad |= j < 0 ? sort_rows(p->conf, 1, n, p->order)
                     : sort_rows(p->prob + j, k, n, p->corder + (size_t)j * n);
    if (bad)
        return -1;
    fill_sorted(p);
    p->inv[0] = 0.0;
    for (size_t i = 1; i <= n; i++)
        p->inv[i] = 1.0 / (double)i;
    return 0;
}

senti_status senti_eval_prep_new(const senti_eval_input *in, int n_bins, senti_eval_prep **out,
                                 senti_err *err)
{
    *out = NULL;
    senti_status st = check_input(in, n_bins, err);
    if (st)
        return st;
    senti_eval_prep *p = calloc(1, sizeof *p);
    if (!p)
        return senti_err_set(err, SENTI_ERR_NOMEM, "eval: out of memory");
    p->n = in->n;
    p->k = in->k;
    p->M = n_bins;
    p->gold = in->gold;
    p->pred = in->pred;
    p->prob = in->prob;
    p->has_prob = in->prob != NULL;
    if (p->has_prob && (alloc_rows(p) || compute_rows(p))) {
        senti_eval_prep_free(p);
        return senti_err_set(err, SENTI_ERR_NOMEM, "eval: out of memory for %zu rows", in->n);
    }
    *out = p;
    return SENTI_OK;
}

void senti_eval_prep_free(senti_eval_prep *p)
{
    if (!p)
        return;
    free(p->top_ok);
    free(p->conf);
    free(p->nll);
    free(p->brier);
    free(p->order);
    free(p->corder);
    free(p->inv);
    free(p->s_conf);
    free(p->s_ok);
    free(p->s_p);
    free(p->s_hit);
    free(p->wend);
    free(p);
}

size_t senti_eval_prep_rows(const senti_eval_prep *p) { return p ? p->n : 0; }

/* ---- classification metrics from a (weighted) confusion matrix ---------------- */

/* C: [k * k] row = gold, column = predicted. Fills the classification metrics
 * of out[]; per-class values go to pc (may be NULL). */
static void classification_from_confusion(const double *C, int k, double *out,
                                          senti_class_metrics *pc)
{
    double n = 0, trace = 0, tp_sum = 0, tp_pos = 0, n_present = 0, n_supported = 0;
    double macro = 0, weighted = 0, recall_sum = 0, dot_tt = 0, dot_pp = 0, dot_tp = 0;
    for (int j = 0; j < k; j++) {
        double t = 0, pr = 0, tp = C[j * k + j];
        for (int c = 0; c < k; c++) {
            t += C[j * k + c];
            pr += C[c * k + j];
        }
        double prec = pr > 0 ? tp / pr : 0.0, rec = t > 0 ? tp / t : 0.0;
        double f1 = t + pr > 0 ? 2.0 * tp / (t + pr) : 0.0;
        n += t;
        trace += tp;
        dot_tt += t * t;
        dot_pp += pr * pr;
        dot_tp += t * pr;
        if (t > 0 || pr > 0) {
            n_present += 1;
            macro += f1;
            tp_sum += tp;
            tp_pos += t + pr;
        }
        if (t > 0) {
            n_supported += 1;
            recall_sum += rec;
        }
        weighted += t * f1;
        if (pc) {
            pc[j].precision = prec;
            pc[j].recall = rec;
            pc[j].f1 = f1;
            pc[j].support = (size_t)t;
            pc[j].predicted = (size_t)pr;
        }
    }
    out[SENTI_M_ACCURACY] = trace / n;
    out[SENTI_M_BALANCED_ACCURACY] = recall_sum / n_supported;
    out[SENTI_M_MACRO_F1] = macro / n_present;
    out[SENTI_M_MICRO_F1] = 2.0 * tp_sum / tp_pos;
    out[SENTI_M_WEIGHTED_F1] = weighted / n;
    /* MCC (Gorodkin's R_K), written as scikit-learn does; 0 when undefined. */
    double cov_tp = trace * n - dot_tp, cov_pp = n * n - dot_pp, cov_tt = n * n - dot_tt;
    out[SENTI_M_MCC] = cov_pp * cov_tt == 0 ? 0.0 : cov_tp / sqrt(cov_tt * cov_pp);
    /* Cohen's kappa: 1 - observed disagreement / chance disagreement; NaN when undefined. */
    double expected_dis = (n * n - dot_tp) / n;
    out[SENTI_M_KAPPA] = expected_dis == 0 ? NAN : 1.0 - (n - trace) / expected_dis;
}

/* ---- calibration passes ---------------------------------------------------------- */

static inline double weight_of(const uint8_t *w, size_t i) { return w ? (double)w[i] : 1.0; }

/* Start of equal-mass bin b of M over W positions: ceil(b * W / M). */
static inline uint64_t mass_start(uint64_t b, uint64_t W, uint64_t M) { return (b * W + M - 1) / M; }

/* Sums over sorted positions [a, b) of the weight, weight * value and weight *
 * hit (ws == NULL: every weight 1). Weights and hits are integers and summed
 * exactly; the value sum uses eight partial sums so the loop is not bound by
 * the latency of one floating-point add per row. */
typedef struct {
    uint64_t w, h;
    double v;
} range_sum;

__attribute__((optimize("O3"))) static range_sum range_sums(const uint8_t *ws, const double *sv, const uint8_t *sh, size_t a, size_t b)
{
    double acc[8] = {0};
    uint64_t sw = 0, shit = 0;
    size_t s = a;
    if (ws) {
        for (; s + 8 <= b; s += 8)
            for (int l = 0; l < 8; l++)
                acc[l] += (double)ws[s + l] * sv[s + l];
        for (; s < b; s++)
            acc[0] += (double)ws[s] * sv[s];
        for (s = a; s < b; s++) {
            sw += ws[s];
            shit += (uint64_t)ws[s] * sh[s];
        }
    } else {
        for (; s + 8 <= b; s += 8)
            for (int l = 0; l < 8; l++)
                acc[l] += sv[s + l];
        for (; s < b; s++)
            acc[0] += sv[s];
        for (s = a; s < b; s++)
            shit += sh[s];
        sw = b > a ? b - a : 0;
    }
    range_sum r = {sw, shit, ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))};
    return r;
}

/* The first sorted position r >= s whose weight carries the running total
 * past `end` (*pos: the total before s, updated to the total before r); n when
 * none does. Whole blocks of 64 rows are skipped by their sum. */
static size_t find_crossing(const uint8_t *ws, size_t s, size_t n, uint64_t *pos, uint64_t end)
{
    uint64_t p = *pos;
    if (!ws) {
        size_t r = s + (size_t)(end - p);
        r = r < n ? r : n;
        *pos = p + (r - s);
        return r;
    }
    while (s + 64 <= n) {
        uint64_t t = 0;
        for (int l = 0; l < 64; l++)
            t += ws[s + l];
        if (p + t > end)
            break;
        p += t;
        s += 64;
    }
    while (s < n && p + ws[s] <= end)
        p += ws[s++];
    *pos = p;
    return s;
}

static void put_bin(double *bin, uint64_t w, double v, uint64_t h)
{
    bin[0] += (double)w;
    bin[1] += v;
    bin[2] += (double)h;
}

/* Equal-width and equal-mass bins over rows in a sorted order, whose weights,
 * values and hits are given in that order (ws, or NULL for all ones; sv, sh):
 * per bin, the sum of weights, of values and of hits, into `width` and `mass`
 * [M * 3], zeroed by the caller. Both kinds of bins are read in one sweep (the
 * sweep is bound by memory traffic): the equal-width bins are fixed segments
 * of the order (wend); an equal-mass boundary may cut a row's multiplicity in
 * two (or more, for bins smaller than one row's weight) and each part goes to
 * its bin. */
typedef struct {
    const uint8_t *ws;
    const double *sv;
    const uint8_t *sh;
    const uint32_t *wend;
    double *width;
    size_t wb; /* equal-width bin of the sweep's position */
} bin_sweep;

/* Whole rows [a, b) into the equal-mass bin `mbin` and their equal-width bins. */
static void sweep_rows(bin_sweep *bs, size_t a, size_t b, double *mbin)
{
    while (a < b) {
        while (a >= bs->wend[bs->wb])
            bs->wb++;
        size_t e = b < bs->wend[bs->wb] ? b : bs->wend[bs->wb];
        range_sum t = range_sums(bs->ws, bs->sv, bs->sh, a, e);
        put_bin(mbin, t.w, t.v, t.h);
        put_bin(bs->width + 3 * bs->wb, t.w, t.v, t.h);
        a = e;
    }
}

static void mass_bins(const senti_eval_prep *p, const uint8_t *ws, uint64_t W, const double *sv,
                      const uint8_t *sh, const uint32_t *wend, double *mass, double *width)
{
    size_t n = p->n, M = (size_t)p->M, s = 0;
    bin_sweep bs = {ws, sv, sh, wend, width, 0};
    /* pos: multiplicity assigned so far; carry: what is left of row s - 1. */
    uint64_t pos = 0, carry = 0;
    for (size_t b = 0; b < M && (s < n || carry > 0); b++) {
        double *bin = mass + 3 * b;
        uint64_t end = b + 1 < M ? mass_start(b + 1, W, M) : W;
        if (carry > 0) {
            uint64_t take = pos + carry > end && b + 1 < M ? end - pos : carry;
            put_bin(bin, take, (double)take * sv[s - 1], take * sh[s - 1]);
            pos += take;
            carry -= take;
            if (carry > 0)
                continue; /* the row also fills the next bin */
        }
        size_t r = b + 1 < M ? find_crossing(ws, s, n, &pos, end) : n;
        sweep_rows(&bs, s, r, bin);
        if (r == n)
            break;
        uint64_t wr = ws ? ws[r] : 1, take = end - pos;
        put_bin(bin, take, (double)take * sv[r], take * sh[r]);
        while (r >= wend[bs.wb])
            bs.wb++;
        put_bin(width + 3 * bs.wb, wr, (double)wr * sv[r], wr * sh[r]);
        pos = end;
        carry = wr - take;
        s = r + 1;
    }
}

static inline double inv_of(const senti_eval_prep *p, uint64_t i)
{
    return i <= p->n ? p->inv[i] : 1.0 / (double)i; /* sum(w) may exceed n outside the bootstrap */
}

static double aurc_weighted(const senti_eval_prep *p, const uint8_t *ws, uint64_t W)
{
    double total = 0.0;
    uint64_t before = 0, err_before = 0;
    size_t s = p->n;
    while (s > 0) {
        double c = p->s_conf[s - 1];
        if (s == 1 || p->s_conf[s - 2] != c) {
            s--;
            uint64_t m = ws ? ws[s] : 1, bad = !p->s_ok[s];
            for (uint64_t j = 1; j <= m; j++)
                total += (double)(err_before + j * bad) * inv_of(p, before + j);
            before += m;
            err_before += m * bad;
            continue;
        }
        uint64_t bw = 0, be = 0;
        while (s > 0 && p->s_conf[s - 1] == c) {
            s--;
            uint64_t wr = ws ? ws[s] : 1;
            bw += wr;
            be += wr * (1 - p->s_ok[s]);
        }
        if (bw == 0)
            continue;
        double rate = (double)be / (double)bw;
        for (uint64_t j = 1; j <= bw; j++)
            total += ((double)err_before + (double)j * rate) * inv_of(p, before + j);
        before += bw;
        err_before += be;
    }
    return total / (double)W;
}

/* Weighted sums of the per-row NLL and Brier terms. */
static void loss_pass(const senti_eval_prep *p, const uint8_t *w, double *nll, double *brier)
{
    double a[4] = {0}, b[4] = {0}; /* partial sums: four independent add chains */
    size_t i = 0, n = p->n;
    for (; i + 4 <= n; i += 4)
        for (int l = 0; l < 4; l++) {
            double wi = weight_of(w, i + l); /* rows of weight 0 add 0: no branch */
            a[l] += wi * p->nll[i + l];
            b[l] += wi * p->brier[i + l];
        }
    for (; i < n; i++) {
        a[0] += weight_of(w, i) * p->nll[i];
        b[0] += weight_of(w, i) * p->brier[i];
    }
    *nll = (a[0] + a[1]) + (a[2] + a[3]);
    *brier = (b[0] + b[1]) + (b[2] + b[3]);
}

/* sum_b |hits_b - values_b| over bins [M * 3] (the ECE numerator). */
static double abs_gap_sum(const double *sums, int M)
{
    double s = 0;
    for (int b = 0; b < M; b++)
        s += fabs(sums[3 * b + 2] - sums[3 * b + 1]);
    return s;
}

/* ws[s] = w[order[s]]: the one random-access pass of each sorted order. Kept
 * apart from the binning loop, whose branches would otherwise wait on it. */
static const uint8_t *gather_weights(const uint8_t *w, const uint32_t *order, size_t n, uint8_t *ws)
{
    if (!w)
        return NULL;
    for (size_t s = 0; s < n; s++)
        ws[s] = w[order[s]];
    return ws;
}

/* ws: scratch [n] (unused when w is NULL). */
static void calibration_metrics(const senti_eval_prep *p, const uint8_t *w, double W, double *out,
                                double *top, double *cls, double *mass, uint8_t *ws)
{
    int M = p->M, k = p->k;
    double s_nll, s_brier;
    size_t Ms = (size_t)M, n = p->n;
    loss_pass(p, w, &s_nll, &s_brier);
    out[SENTI_M_NLL] = s_nll / W;
    out[SENTI_M_BRIER] = s_brier / W;
    /* top label: equal-mass into `mass`, equal-width into `top`, and the AURC */
    const uint8_t *wt = gather_weights(w, p->order, n, ws);
    mass_bins(p, wt, (uint64_t)W, p->s_conf, p->s_ok, p->wend, mass, top);
    out[SENTI_M_AURC] = aurc_weighted(p, wt, (uint64_t)W);
    out[SENTI_M_ECE_MASS] = abs_gap_sum(mass, M) / W;
    double ace = 0, nonempty = 0;
    for (size_t j = 0; j < (size_t)k; j++) {
        memset(mass, 0, 3 * Ms * sizeof *mass);
        size_t off = j * n;
        const uint8_t *wc = gather_weights(w, p->corder + off, n, ws);
        mass_bins(p, wc, (uint64_t)W, p->s_p + off, p->s_hit + off, p->wend + (j + 1) * Ms, mass, cls + 3 * j * Ms);
        for (int b = 0; b < M; b++)
            if (mass[3 * b] > 0) {
                ace += fabs(mass[3 * b + 2] - mass[3 * b + 1]) / mass[3 * b];
                nonempty += 1;
            }
    }
    out[SENTI_M_ACE] = ace / nonempty;
    double mce = 0, sq = 0, cw = 0;
    for (int b = 0; b < M; b++) {
        double cnt = top[3 * b];
        if (cnt == 0)
            continue;
        double gap = fabs(top[3 * b + 2] - top[3 * b + 1]) / cnt;
        mce = gap > mce ? gap : mce;
        sq += cnt * gap * gap;
    }
    out[SENTI_M_ECE] = abs_gap_sum(top, M) / W;
    out[SENTI_M_MCE] = mce;
    out[SENTI_M_RMSCE] = sqrt(sq / W);
    for (int j = 0; j < k; j++)
        cw += abs_gap_sum(cls + 3 * (size_t)j * (size_t)M, M);
    out[SENTI_M_CLASSWISE_ECE] = cw / (W * k);
}

/* The evaluator; `C` [k*k] and `top` [M*3] are returned to the caller when
 * non-NULL pointers are given (for the confusion matrix and reliability bins). */
static senti_status eval_weighted(const senti_eval_prep *p, const uint8_t *w, double *out,
                                  double *C_out, double *top_out)
{
    size_t k = (size_t)p->k, M = (size_t)p->M;
    double *C = calloc(k * k + 3 * M + 3 * k * M + 3 * M, sizeof(double));
    uint64_t *cnt = calloc(k * k, sizeof *cnt);
    uint8_t *ws = w && p->has_prob ? malloc(p->n) : NULL;
    senti_status st = C && cnt && (ws || !w || !p->has_prob) ? SENTI_OK : SENTI_ERR_NOMEM;
    double *top = C + k * k, *cls = top + 3 * M, *mass = cls + 3 * k * M;
    uint64_t W = 0; /* multiplicities are integers: count exactly */
    for (size_t i = 0; i < p->n && st == SENTI_OK; i++) {
        uint64_t wi = w ? w[i] : 1;
        cnt[(size_t)p->gold[i] * k + (size_t)p->pred[i]] += wi;
        W += wi;
    }
    if (st == SENTI_OK && W == 0)
        st = SENTI_ERR_ARG;
    if (st) {
        free(C);
        free(cnt);
        free(ws);
        return st;
    }
    for (size_t c = 0; c < k * k; c++)
        C[c] = (double)cnt[c];
    for (int m = 0; m < SENTI_M_COUNT; m++)
        out[m] = NAN;
    classification_from_confusion(C, p->k, out, NULL);
    if (p->has_prob)
        calibration_metrics(p, w, (double)W, out, top, cls, mass, ws);
    if (C_out)
        memcpy(C_out, C, k * k * sizeof *C);
    if (top_out)
        memcpy(top_out, top, 3 * M * sizeof *C);
    free(C);
    free(cnt);
    free(ws);
    return SENTI_OK;
}

senti_status senti_eval_prep_metrics(const senti_eval_prep *p, const uint8_t *w,
                                     double out[SENTI_M_COUNT])
{
    return eval_weighted(p, w, out, NULL, NULL);
}

/* ---- the full report ----------------------------------------------------------- */

static void fill_details(const senti_eval_input *in, const double *C, const double *top,
                         senti_metrics *m)
{
    size_t k = (size_t)in->k;
    double tmp[SENTI_M_COUNT];
    classification_from_confusion(C, in->k, tmp, m->per_class);
    for (size_t j = 0; j < k; j++) {
        m->per_class[j].gold_frac = (double)m->per_class[j].support / (double)in->n;
        m->per_class[j].pred_frac = (double)m->per_class[j].predicted / (double)in->n;
        for (size_t c = 0; c < k; c++)
            m->confusion[j * k + c] = (size_t)C[j * k + c];
    }
    m->correct = 0;
    for (size_t j = 0; j < k; j++)
        m->correct += m->confusion[j * k + j];
    if (!m->reliability)
        return;
    for (int b = 0; b < m->n_bins; b++) {
        senti_reliability_bin *r = &m->reliability[b];
        r->lo = (double)b / m->n_bins;
        r->hi = (double)(b + 1) / m->n_bins;
        r->count = (size_t)top[3 * b];
        r->confidence = r->count ? top[3 * b + 1] / top[3 * b] : NAN;
        r->accuracy = r->count ? top[3 * b + 2] / top[3 * b] : NAN;
    }
    for (size_t i = 0; i < in->n; i++)
        m->top_pred_disagree += senti_argmax_row(in->prob + i * k, in->k) != in->pred[i];
}

senti_status senti_eval_prep_point(const senti_eval_prep *p, const senti_eval_input *in, senti_metrics *m)
{
    size_t k = (size_t)in->k, M = (size_t)m->n_bins;
    double *C = malloc((k * k + 3 * M) * sizeof *C);
    if (!C || eval_weighted(p, NULL, m->value, C, C + k * k)) {
        free(C);
        return SENTI_ERR_NOMEM;
    }
    fill_details(in, C, C + k * k, m);
    free(C);
    return SENTI_OK;
}

void senti_metrics_free(senti_metrics *m)
{
    if (!m)
        return;
    free(m->per_class);
    free(m->confusion);
    free(m->reliability);
    m->per_class = NULL;
    m->confusion = NULL;
    m->reliability = NULL;
}
