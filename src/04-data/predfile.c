/*
 * predfile.c - predictions CSV reader (libcsv, streaming).
 *
 * Contract: see include/senti/predfile.h. The file is parsed in 1 MiB chunks;
 * every field is handled in the libcsv field callback by the role of its
 * column (decided from the header), and each data row is validated and
 * appended in the end-of-record callback. Errors are recorded once in the
 * parser state and stop all further processing.
 */
#include "senti/predfile.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "00-base/base.h"
#include "00-base/numparse.h"

enum { ROLE_NONE = 0, ROLE_GOLD, ROLE_PRED, ROLE_ID, ROLE_STATUS, ROLE_PROB };

typedef struct {
    char *s;
    size_t cap;
} strbuf;

typedef struct {
    const senti_predfile_params *P;
    senti_predfile *pf;
    senti_err *err;
    senti_status st;   /* first error, SENTI_OK while parsing goes well */
    size_t record;     /* finished records: 0 in the header, then the data row number */
    size_t col;        /* field index in the current record */
    size_t n_header;   /* columns in the header */
    int *role;         /* [n_header] */
    int *role_label;   /* [n_header] label index for ROLE_PROB */
    char **header;     /* [n_header] owned column names */
    size_t cap;        /* row capacity of the output arrays */
    /* current row */
    strbuf gold, pred, id, status;
    int has_id;        /* the header has the id column */
    int seen_status;   /* the header has the status column */
    double *row;       /* [k] probabilities of the current row */
    int bad_col;       /* first probability column of the row that did not parse, or -1 */
    strbuf bad;        /* its text */
    bool bad_nul;      /* which holds a NUL byte */
    /* label-free mode: raw strings, mapped at the end */
    char **gold_str, **pred_str;
} parser;

senti_predfile_params senti_predfile_default_params(void)
{
    senti_predfile_params p = {.gold_col = "gold",
                               .pred_col = "pred",
                               .id_col = "id",
                               .status_col = "status",
                               .prob_prefix = "p_",
                               .prob_cols = NULL,
                               .tol = 1e-6,
                               .renormalize = 0};
    return p;
}

static senti_status fail(parser *ps, senti_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first error, prefixed with the file and the row (or "header"). */
static senti_status fail(parser *ps, senti_status code, const char *fmt, ...)
{
    if (ps->st == SENTI_OK) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (ps->record == 0)
            ps->st = senti_err_set(ps->err, code, "%s: header: %s", senti_input_name(ps->pf->path), msg);
        else
            ps->st = senti_err_set(ps->err, code, "%s: row %zu: %s", senti_input_name(ps->pf->path), ps->record, msg);
    }
    return ps->st;
}

static int strbuf_set(strbuf *b, const char *s, size_t len)
{
    if (len + 1 > b->cap) {
        size_t cap = len + 64;
        char *p = realloc(b->s, cap);
        if (!p)
            return -1;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s, s, len);
    b->s[len] = '\0';
    return 0;
}

int senti_predfile_label_index(const senti_predfile *pf, const char *name)
{
    for (int j = 0; j < pf->k; j++)
        if (!strcmp(pf->labels[j], name))
            return j;
    return -1;
}

/* ---- header ---------------------------------------------------------------- */

static int header_index(const parser *ps, const char *name)
{
    for (size_t c = 0; c < ps->n_header; c++)
        if (name && *name && !strcmp(ps->header[c], name))
            return (int)c;
    return -1;
}

static senti_status add_label(parser *ps, const char *label, int col)
{
    senti_predfile *pf = ps->pf;
    if (senti_predfile_label_index(pf, label) >= 0)
        return fail(ps, SENTI_ERR_FORMAT, "duplicate label '%s'", label);
    if (ps->role[col] != ROLE_NONE)
        return fail(ps, SENTI_ERR_FORMAT, "column '%s' used twice", ps->header[col]);
    if (pf->k == SENTI_PREDFILE_MAX_LABELS)
        return fail(ps, SENTI_ERR_RANGE, "more than %d probability columns (labels)", SENTI_PREDFILE_MAX_LABELS);
    char **l = realloc(pf->labels, (size_t)(pf->k + 1) * sizeof *l);
    if (!l || !(l[pf->k] = strdup(label)))
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    pf->labels = l;
    ps->role[col] = ROLE_PROB;
    ps->role_label[col] = pf->k++;
    return SENTI_OK;
}

/* Explicit "col" / "label=col" list. */
static senti_status map_prob_list(parser *ps, const char *list)
{
    const char *pre = ps->P->prob_prefix ? ps->P->prob_prefix : "";
    if (strspn(list, ",") == strlen(list)) /* "", ",": naming no column is a mistake, not a choice */
        return fail(ps, SENTI_ERR_ARG, "the probability column list '%s' names no column", list);
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    for (char *item = strtok_r(copy, ",", &save); item && !ps->st;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '='), *col = eq ? eq + 1 : item, *label = item;
        if (eq)
            *eq = '\0';
        else if (*pre && !strncmp(item, pre, strlen(pre)) && item[strlen(pre)])
            label = item + strlen(pre);
        int c = header_index(ps, col);
        if (c < 0)
            fail(ps, SENTI_ERR_NOTFOUND, "no probability column '%s'", col);
        else
            add_label(ps, label, c);
    }
    free(copy);
    return ps->st;
}

/* Two columns of one name would make every lookup by name ambiguous. */
static senti_status check_header_names(parser *ps)
{
    for (size_t c = 0; c < ps->n_header; c++)
        for (size_t d = 0; d < c; d++)
            if (!strcmp(ps->header[c], ps->header[d]))
                return fail(ps, SENTI_ERR_FORMAT, "column '%s' appears twice (columns %zu and %zu)", ps->header[c],
                            d + 1, c + 1);
    return SENTI_OK;
}

static senti_status map_header(parser *ps)
{
    const senti_predfile_params *P = ps->P;
    size_t nh = ps->n_header;
    if (check_header_names(ps))
        return ps->st;
    ps->role = calloc(nh, sizeof *ps->role);
    ps->role_label = calloc(nh, sizeof *ps->role_label);
    if (!ps->role || !ps->role_label)
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    int g = header_index(ps, P->gold_col);
    if (g < 0)
        return fail(ps, SENTI_ERR_NOTFOUND, "no gold column '%s' in the header", P->gold_col);
    ps->role[g] = ROLE_GOLD;
    int c;
    if ((c = header_index(ps, P->pred_col)) >= 0 && ps->role[c] == ROLE_NONE)
        ps->role[c] = ROLE_PRED;
    if ((c = header_index(ps, P->id_col)) >= 0 && ps->role[c] == ROLE_NONE)
        ps->role[c] = ROLE_ID;
    if ((c = header_index(ps, P->status_col)) >= 0 && ps->role[c] == ROLE_NONE)
        ps->role[c] = ROLE_STATUS;
    if (P->prob_cols) {
        if (map_prob_list(ps, P->prob_cols))
            return ps->st;
    } else if (P->prob_prefix && *P->prob_prefix) {
        size_t pl = strlen(P->prob_prefix);
        for (size_t i = 0; i < nh && !ps->st; i++)
            if (ps->role[i] == ROLE_NONE && !strncmp(ps->header[i], P->prob_prefix, pl) &&
                ps->header[i][pl])
                add_label(ps, ps->header[i] + pl, (int)i);
    }
    if (ps->st)
        return ps->st;
    ps->pf->pred_from_file = header_index(ps, P->pred_col) >= 0 &&
                             ps->role[header_index(ps, P->pred_col)] == ROLE_PRED;
    ps->pf->ids = NULL;
    if (ps->pf->k == 0 && !ps->pf->pred_from_file)
        return fail(ps, SENTI_ERR_NOTFOUND, "no probability columns and no pred column");
    if (ps->pf->k > 0 && !(ps->row = calloc((size_t)ps->pf->k, sizeof *ps->row)))
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    return SENTI_OK;
}

/* ---- rows ---------------------------------------------------------------------- */

static int grow(parser *ps)
{
    senti_predfile *pf = ps->pf;
    if (pf->n < ps->cap)
        return 0;
    size_t cap = ps->cap ? 2 * ps->cap : 1024, k = (size_t)pf->k;
    int *g = realloc(pf->gold, cap * sizeof *g);
    if (g)
        pf->gold = g;
    int *p = realloc(pf->pred, cap * sizeof *p);
    if (p)
        pf->pred = p;
    if (!g || !p)
        return -1;
    if (k) {
        double *pr = realloc(pf->prob, cap * k * sizeof *pr);
        if (!pr)
            return -1;
        pf->prob = pr;
    } else {
        char **gs = realloc(ps->gold_str, cap * sizeof *gs);
        if (gs)
            ps->gold_str = gs;
        char **psr = realloc(ps->pred_str, cap * sizeof *psr);
        if (psr)
            ps->pred_str = psr;
        if (!gs || !psr)
            return -1;
    }
    if (ps->has_id) {
        char **ids = realloc(pf->ids, cap * sizeof *ids);
        if (!ids)
            return -1;
        pf->ids = ids;
    }
    ps->cap = cap;
    return 0;
}

/* Names and labels are text: valid UTF-8 without NUL bytes (a NUL would cut
 * the value silently, invalid UTF-8 would be dropped by the JSON writers). */
static bool check_text(parser *ps, const char *s, size_t len, size_t col)
{
    const char *what = ps->record == 0 ? "column name" : "value";
    if (memchr(s, '\0', len))
        return fail(ps, SENTI_ERR_FORMAT, "column %zu: %s with a NUL byte", col + 1, what), false;
    utf8proc_int32_t cp;
    for (size_t i = 0; i < len;) {
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return fail(ps, SENTI_ERR_FORMAT, "column %zu: %s with invalid UTF-8 at byte %zu", col + 1, what, i),
                   false;
        i += (size_t)n;
    }
    return true;
}

static void on_field(void *data, size_t len, void *ctx)
{
    parser *ps = ctx;
    const char *s = data ? data : "";
    size_t c = ps->col++;
    if (ps->st)
        return;
    if ((ps->record == 0 || (c < ps->n_header && ps->role[c] != ROLE_PROB && ps->role[c] != ROLE_NONE)) &&
        !check_text(ps, s, len, c))
        return;
    if (ps->record == 0) {
        char **h = realloc(ps->header, (c + 1) * sizeof *h);
        if (!h || !(h[c] = strndup(s, len))) {
            fail(ps, SENTI_ERR_NOMEM, "out of memory");
            return;
        }
        ps->header = h;
        ps->n_header = c + 1;
        return;
    }
    if (c >= ps->n_header)
        return; /* reported at the end of the record */
    int r = 0;
    switch (ps->role[c]) {
    case ROLE_GOLD: r = strbuf_set(&ps->gold, s, len); break;
    case ROLE_PRED: r = strbuf_set(&ps->pred, s, len); break;
    case ROLE_ID: r = strbuf_set(&ps->id, s, len); break;
    case ROLE_STATUS: r = strbuf_set(&ps->status, s, len); break;
    case ROLE_PROB: {
        /* Decimal only (no spaces, hex, NUL bytes); a probability that underflows
         * reads as 0 or a subnormal, as written. Judged at the end of the row: a
         * skipped (error) row may be empty. */
        double v = senti_real_syntax(s, len) ? strtod(s, NULL) : NAN;
        if ((!isfinite(v) || v < 0.0 || v > 1.0 + ps->P->tol) && ps->bad_col < 0) {
            ps->bad_col = (int)c;
            ps->bad_nul = memchr(s, '\0', len) != NULL;
            r = strbuf_set(&ps->bad, s, len);
        }
        ps->row[ps->role_label[c]] = v > 1.0 ? 1.0 : v; /* (1, 1 + tol]: rounding, read as 1 */
        break;
    }
    default: break;
    }
    if (r)
        fail(ps, SENTI_ERR_NOMEM, "out of memory");
}

static int status_kept(const char *s) { return !*s || !strcmp(s, "ok") || !strcmp(s, "truncated"); }

/* Check the sum of the current row, renormalizing when asked. */
static void check_row_sum(parser *ps)
{
    int k = ps->pf->k;
    double sum = 0;
    for (int j = 0; j < k; j++)
        sum += ps->row[j];
    if (fabs(sum - 1.0) <= ps->P->tol)
        return;
    if (ps->P->renormalize && sum > 0) {
        for (int j = 0; j < k; j++)
            ps->row[j] /= sum;
        ps->pf->n_renormalized++;
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", sum);
    fail(ps, SENTI_ERR_FORMAT, "probabilities sum to %s, not 1 (use --renormalize)", buf);
}

static void store_row(parser *ps)
{
    senti_predfile *pf = ps->pf;
    size_t i = pf->n, k = (size_t)pf->k;
    if (grow(ps)) {
        fail(ps, SENTI_ERR_NOMEM, "out of memory");
        return;
    }
    int g = 0, p = 0;
    if (k > 0 && (g = senti_predfile_label_index(pf, ps->gold.s)) < 0) {
        fail(ps, SENTI_ERR_FORMAT, "gold label '%s' is not a label of the file", ps->gold.s);
        return;
    }
    if (k > 0)
        p = senti_argmax_row(ps->row, pf->k);
    if (k > 0 && pf->pred_from_file && (p = senti_predfile_label_index(pf, ps->pred.s)) < 0) {
        fail(ps, SENTI_ERR_FORMAT, "pred label '%s' is not a label of the file", ps->pred.s);
        return;
    }
    /* The id only now: a row refused above must not leave one behind (row i
     * is not counted in pf->n, so senti_predfile_free would not see it). */
    if (ps->has_id && !(pf->ids[i] = strdup(ps->id.s))) {
        fail(ps, SENTI_ERR_NOMEM, "out of memory");
        return;
    }
    if (k == 0) {
        ps->gold_str[i] = strdup(ps->gold.s);
        ps->pred_str[i] = strdup(ps->pred.s);
        pf->gold[i] = pf->pred[i] = 0;
        pf->n++;
        if (!ps->gold_str[i] || !ps->pred_str[i])
            fail(ps, SENTI_ERR_NOMEM, "out of memory");
        return;
    }
    pf->gold[i] = g;
    pf->pred[i] = p;
    memcpy(pf->prob + i * k, ps->row, k * sizeof *ps->row);
    pf->n++;
}

/* One finished record: the header (record 0) or data row `ps->record`. */
static void handle_record(parser *ps, size_t fields)
{
    if (ps->record == 0) {
        map_header(ps);
        if (!ps->st) {
            int c = header_index(ps, ps->P->id_col);
            ps->has_id = c >= 0 && ps->role[c] == ROLE_ID;
            c = header_index(ps, ps->P->status_col);
            ps->seen_status = c >= 0 && ps->role[c] == ROLE_STATUS;
        }
        return;
    }
    if (fields != ps->n_header) {
        fail(ps, SENTI_ERR_FORMAT, "%zu fields, the header has %zu", fields, ps->n_header);
        return;
    }
    if (!ps->gold.s || !*ps->gold.s) {
        fail(ps, SENTI_ERR_FORMAT, "empty gold label");
        return;
    }
    if (ps->seen_status && !status_kept(ps->status.s)) {
        if (!ps->pf->n_skipped++)
            ps->pf->first_skipped_row = ps->record;
        return;
    }
    if (ps->pf->pred_from_file && !*ps->pred.s) {
        fail(ps, SENTI_ERR_FORMAT, "empty pred label");
        return;
    }
    if (ps->bad_col >= 0) {
        if (ps->bad_nul) /* the text would stop at the NUL */
            fail(ps, SENTI_ERR_FORMAT, "probability column '%s' has a value with a NUL byte",
                 ps->header[ps->bad_col]);
        else
            fail(ps, SENTI_ERR_FORMAT, "probability column '%s' has '%s' (need a number in [0, 1])",
                 ps->header[ps->bad_col], ps->bad.s);
        return;
    }
    if (ps->pf->k > 0)
        check_row_sum(ps);
    if (!ps->st)
        store_row(ps);
}

static void on_record(int term, void *ctx)
{
    parser *ps = ctx;
    (void)term;
    size_t fields = ps->col;
    ps->col = 0;
    if (!ps->st)
        handle_record(ps, fields);
    ps->bad_col = -1;
    ps->record++;
}

/* ---- label-free files: labels are the sorted distinct gold/pred values ---------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static senti_status map_label_free(parser *ps)
{
    senti_predfile *pf = ps->pf;
    char **all = malloc(2 * pf->n * sizeof *all + 1);
    if (!all)
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    memcpy(all, ps->gold_str, pf->n * sizeof *all);
    memcpy(all + pf->n, ps->pred_str, pf->n * sizeof *all);
    qsort(all, 2 * pf->n, sizeof *all, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < 2 * pf->n; i++)
        if (k == 0 || strcmp(all[k - 1], all[i]))
            all[k++] = all[i];
    if (k > SENTI_PREDFILE_MAX_LABELS) {
        free(all);
        senti_err_set(ps->err, SENTI_ERR_RANGE, "%s: %zu distinct gold/pred labels, more than the %d senti evaluates",
                      pf->path, k, SENTI_PREDFILE_MAX_LABELS);
        return ps->st = SENTI_ERR_RANGE;
    }
    pf->labels = calloc(k, sizeof *pf->labels);
    for (size_t j = 0; pf->labels && j < k; j++)
        pf->labels[j] = strdup(all[j]);
    pf->k = (int)k;
    for (size_t i = 0; pf->labels && i < pf->n; i++) {
        char **g = bsearch(&ps->gold_str[i], all, k, sizeof *all, cmp_str);
        char **p = bsearch(&ps->pred_str[i], all, k, sizeof *all, cmp_str);
        pf->gold[i] = (int)(g - all);
        pf->pred[i] = (int)(p - all);
    }
    free(all);
    if (!pf->labels)
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    return SENTI_OK;
}

/* ---- the reader -------------------------------------------------------------------- */

static senti_status parse_stream(parser *ps, FILE *f)
{
    struct csv_parser csv;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return fail(ps, SENTI_ERR_NOMEM, "csv_init failed");
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    if (!buf) {
        csv_free(&csv);
        return fail(ps, SENTI_ERR_NOMEM, "out of memory");
    }
    size_t got, skip = 0;
    for (bool first = true; !ps->st && (got = fread(buf, 1, cap, f)) > 0; first = false, skip = 0) {
        if (first && got >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
            skip = 3; /* a UTF-8 byte order mark is not part of the first column's name */
        if (csv_parse(&csv, buf + skip, got - skip, on_field, on_record, ps) != got - skip)
            fail(ps, SENTI_ERR_FORMAT, "CSV syntax: %s", csv_strerror(csv_error(&csv)));
    }
    if (!ps->st && ferror(f))
        fail(ps, SENTI_ERR_IO, "read error");
    if (!ps->st && csv_fini(&csv, on_field, on_record, ps) != 0)
        fail(ps, SENTI_ERR_FORMAT, "CSV syntax at end of file: %s",
             csv_strerror(csv_error(&csv)));
    csv_free(&csv);
    free(buf);
    return ps->st;
}

static void parser_free(parser *ps)
{
    for (size_t c = 0; c < ps->n_header; c++)
        free(ps->header[c]);
    free(ps->header);
    free(ps->role);
    free(ps->role_label);
    free(ps->gold.s);
    free(ps->pred.s);
    free(ps->id.s);
    free(ps->status.s);
    free(ps->bad.s);
    free(ps->row);
    if (ps->gold_str)
        for (size_t i = 0; i < ps->pf->n; i++) {
            free(ps->gold_str[i]);
            free(ps->pred_str[i]);
        }
    free(ps->gold_str);
    free(ps->pred_str);
}

senti_status senti_predfile_read(const char *path, const senti_predfile_params *params,
                                 senti_predfile *out, senti_err *err)
{
    senti_predfile_params P = params ? *params : senti_predfile_default_params();
    memset(out, 0, sizeof *out);
    parser ps = {.P = &P, .pf = out, .err = err, .bad_col = -1};
    if (!(out->path = strdup(path)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    FILE *f = senti_open_input(path); /* "-": standard input */
    if (!f) {
        senti_err_set(err, SENTI_ERR_IO, "%s: cannot open: %s", senti_input_name(path), strerror(errno));
        senti_predfile_free(out);
        return SENTI_ERR_IO;
    }
    parse_stream(&ps, f);
    fclose(f);
    if (!ps.st && ps.record == 0)
        senti_err_set(err, ps.st = SENTI_ERR_FORMAT, "%s: empty file (no header)", senti_input_name(path));
    if (!ps.st && out->n == 0)
        senti_err_set(err, ps.st = SENTI_ERR_FORMAT, "%s: no usable data rows (%zu skipped)", senti_input_name(path),
                      out->n_skipped);
    if (!ps.st && out->k == 0)
        map_label_free(&ps);
    parser_free(&ps);
    if (ps.st)
        senti_predfile_free(out);
    return ps.st;
}

void senti_predfile_free(senti_predfile *pf)
{
    if (!pf)
        return;
    for (int j = 0; j < pf->k; j++)
        free(pf->labels[j]);
    if (pf->ids)
        for (size_t i = 0; i < pf->n; i++)
            free(pf->ids[i]);
    free(pf->labels);
    free(pf->ids);
    free(pf->gold);
    free(pf->pred);
    free(pf->prob);
    free(pf->path);
    memset(pf, 0, sizeof *pf);
}
