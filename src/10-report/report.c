/*
 * report.c - load results.json, evaluate CI gates (thresholds, per-class
 * thresholds, McNemar against a baseline). The writers are in report_text.c
 * (Markdown, CSV, JSON, JUnit) and report_html.c.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "00-base/base.h"
#include "00-base/numparse.h"
#include "senti/compare.h"

#include "report_internal.h"

const rep_metric senti_rep_metrics[] = {
    {"accuracy", "Accuracy", 1}, {"macro_f1", "Macro-F1", 1}, {"balanced_accuracy", "Bal. acc.", 1},
    {"mcc", "MCC", 1},           {"ece", "ECE", 0},           {"nll", "NLL", 0},
    {"brier", "Brier", 0},
};
const size_t senti_rep_n_metrics = sizeof senti_rep_metrics / sizeof senti_rep_metrics[0];

/* ---- helpers ------------------------------------------------------------------ */

double rep_num(const json_t *v) { return json_is_number(v) ? json_number_value(v) : NAN; }

const char *rep_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

double rep_metric_value(const json_t *cell, const char *key)
{
    return rep_num(json_object_get(json_object_get(json_object_get(cell, "metrics"), key), "value"));
}

void rep_metric_ci(const json_t *cell, const char *key, double *lo, double *hi)
{
    json_t *m = json_object_get(json_object_get(cell, "metrics"), key);
    *lo = rep_num(json_object_get(m, "lo"));
    *hi = rep_num(json_object_get(m, "hi"));
}

/* Reports never print inf or nan: a value that is not finite reads "n/a". */
const char *rep_fmt(double v, char *buf)
{
    if (!isfinite(v))
        return "n/a";
    snprintf(buf, 32, "%.3f", v);
    return buf;
}

const char *rep_fmt_diff(double v, char *buf)
{
    if (!isfinite(v))
        return "n/a";
    snprintf(buf, 32, "%+.3f", v);
    return buf;
}

const char *rep_fmt_p(double v, char *buf)
{
    if (!isfinite(v))
        return "n/a";
    snprintf(buf, 32, "%.4g", v);
    return buf;
}

void rep_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* XML 1.0 forbids most control characters even as references */
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' && *s != '\r')
                fputc(' ', f);
            else
                fputc(*s, f);
        }
    }
}

void rep_md_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

json_t *rep_find_cell(const senti_results *r, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(r->cells, i, c) if (!strcmp(rep_str(c, "name"), name)) return c;
    return NULL;
}

/* ---- loading ------------------------------------------------------------------ */

/* The values a metric can take: [-1, 1] for the correlations, [0, 2] for the
 * Brier score, [0, inf) for NLL, [0, 1] for every other metric senti writes;
 * a key it does not know is only checked to be a number. */
static void metric_range(const char *key, double *lo, double *hi)
{
    *lo = -HUGE_VAL;
    *hi = HUGE_VAL;
    for (int m = 0; m < SENTI_M_COUNT; m++)
        if (!strcmp(key, senti_metric_name((senti_metric)m))) {
            *lo = m == SENTI_M_MCC || m == SENTI_M_KAPPA ? -1.0 : 0.0;
            *hi = m == SENTI_M_NLL ? HUGE_VAL : m == SENTI_M_BRIER ? 2.0 : 1.0;
        }
}

/* metrics: {key: {value, lo, hi, ...}}, each of the three a number in the
 * metric's range or null; a bad value would poison every mean and chart. */
static senti_status check_metrics(const char *path, size_t i, json_t *m, senti_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(m, key, v) {
        if (!json_is_object(v))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: cells[%zu].metrics.%s: must be an object", path, i, key);
        double lo, hi;
        metric_range(key, &lo, &hi);
        static const char *const parts[] = {"value", "lo", "hi"};
        for (size_t p = 0; p < 3; p++) {
            json_t *x = json_object_get(v, parts[p]);
            if (!x || json_is_null(x))
                continue;
            double d = json_is_number(x) ? json_number_value(x) : NAN;
            if (!(d >= lo - 1e-9 && d <= hi + 1e-9))
                return senti_err_set(err, SENTI_ERR_FORMAT, "%s: cells[%zu].metrics.%s.%s: must be a number in "
                                     "[%g, %g] or null", path, i, key, parts[p], lo, hi);
        }
    }
    return SENTI_OK;
}

static senti_status check_cell(const char *path, size_t i, json_t *c, senti_err *err)
{
    if (!json_is_object(c) || !json_is_string(json_object_get(c, "name")))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: cells[%zu]: must be an object with a \"name\"", path, i);
    json_t *m = json_object_get(c, "metrics");
    if (m && !json_is_object(m))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: cells[%zu].metrics: must be an object", path, i);
    senti_status st = m ? check_metrics(path, i, m, err) : SENTI_OK;
    if (st)
        return st;
    static const char *const arrays[] = {"labels", "per_class", "confusion", "reliability"};
    for (size_t k = 0; k < 4; k++) {
        json_t *a = json_object_get(c, arrays[k]);
        if (a && !json_is_array(a))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: cells[%zu].%s: must be an array", path, i, arrays[k]);
    }
    return SENTI_OK;
}

senti_status senti_results_load(const char *path, senti_results **out, senti_err *err)
{
    *out = NULL;
    struct stat st;
    char buf[4096];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(buf, sizeof buf, "%s/results.json", path);
        path = buf;
    }
    json_error_t je;
    FILE *f = senti_open_input(path); /* "-": standard input */
    if (!f)
        return senti_err_set(err, SENTI_ERR_IO, "%s: %s", senti_input_name(path), strerror(errno));
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!root) {
        if (je.line < 1)
            return senti_err_set(err, SENTI_ERR_IO, "%s: %s", path, je.text);
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    senti_status s = SENTI_OK;
    const char *schema = json_string_value(json_object_get(root, "schema"));
    json_t *cells = json_object_get(root, "cells");
    if (!schema || strcmp(schema, "senti-results/1"))
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: schema: expected \"senti-results/1\"", path);
    else if (!json_is_array(cells))
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: cells: must be an array", path);
    for (size_t i = 0; !s && i < json_array_size(cells); i++)
        s = check_cell(path, i, json_array_get(cells, i), err);
    senti_results *r = s ? NULL : calloc(1, sizeof *r);
    if (!s && (!r || !(r->path = strdup(path)))) {
        free(r);
        s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    if (s) {
        json_decref(root);
        return s;
    }
    r->root = root;
    r->cells = cells;
    r->groups = json_is_array(json_object_get(root, "groups")) ? json_object_get(root, "groups") : NULL;
    r->comparisons =
        json_is_array(json_object_get(root, "comparisons")) ? json_object_get(root, "comparisons") : NULL;
    *out = r;
    return SENTI_OK;
}

void senti_results_free(senti_results *r)
{
    if (!r)
        return;
    json_decref(r->root);
    free(r->path);
    free(r);
}

size_t senti_results_n_cells(const senti_results *r) { return json_array_size(r->cells); }
const char *senti_results_cell_name(const senti_results *r, size_t i)
{
    return rep_str(json_array_get(r->cells, i), "name");
}
double senti_results_metric(const senti_results *r, size_t cell, const char *metric)
{
    return rep_metric_value(json_array_get(r->cells, cell), metric);
}

/* ---- gates ---------------------------------------------------------------------- */

senti_status senti_gate_parse(const char *spec, senti_gate_kind kind, senti_gate *g, senti_err *err)
{
    memset(g, 0, sizeof *g);
    g->kind = kind;
    snprintf(g->spec, sizeof g->spec, "%s", spec);
    strcpy(g->cells, "*");
    const char *eq = strrchr(spec, '=');
    if (kind == SENTI_GATE_BASELINE) { /* "accuracy" or "accuracy=alpha" or "" */
        strcpy(g->metric, "accuracy");
        g->threshold = 0.05;
        bool bad = eq && (senti_parse_real(eq + 1, 0.0, 1.0, &g->threshold, NULL) ||
                          !(g->threshold > 0 && g->threshold < 1));
        if (bad)
            return senti_err_set(err, SENTI_ERR_ARG, "baseline alpha \"%s\": expected a number in (0, 1)", eq + 1);
        return SENTI_OK;
    }
    if (!eq || eq == spec)
        return senti_err_set(err, SENTI_ERR_ARG, "gate \"%s\": expected metric=value", spec);
    if (senti_parse_real(eq + 1, -HUGE_VAL, HUGE_VAL, &g->threshold, NULL))
        return senti_err_set(err, SENTI_ERR_ARG, "gate \"%s\": \"%s\" is not a number", spec, eq + 1);
    size_t n = (size_t)(eq - spec);
    char lhs[256];
    if (n >= sizeof lhs)
        return senti_err_set(err, SENTI_ERR_ARG, "gate \"%s\": too long", spec);
    memcpy(lhs, spec, n);
    lhs[n] = '\0';
    char *at = strchr(lhs, '@');
    if (at) {
        *at = '\0';
        if (!at[1] || strlen(at + 1) >= sizeof g->cells)
            return senti_err_set(err, SENTI_ERR_ARG, "gate \"%s\": bad cell pattern", spec);
        strcpy(g->cells, at + 1);
    }
    char *br = strchr(lhs, '[');
    if (br) {
        char *close = strchr(br, ']');
        if (!close || close[1] || close == br + 1 || (size_t)(close - br) > sizeof g->label)
            return senti_err_set(err, SENTI_ERR_ARG, "gate \"%s\": expected metric[label]", spec);
        *close = '\0';
        strcpy(g->label, br + 1);
        *br = '\0';
    }
    if (!lhs[0] || strlen(lhs) >= sizeof g->metric)
        return senti_err_set(err, SENTI_ERR_ARG, "gate \"%s\": missing metric name", spec);
    strcpy(g->metric, lhs);
    return SENTI_OK;
}

/* Value a gate looks at in one cell; *found = 0 when the cell lacks it. */
static double gate_value(const senti_gate *g, const json_t *cell, int *found)
{
    *found = 0;
    if (!g->label[0]) {
        json_t *m = json_object_get(json_object_get(cell, "metrics"), g->metric);
        *found = m != NULL;
        return rep_num(json_object_get(m, "value"));
    }
    size_t i;
    json_t *pc;
    json_array_foreach(json_object_get(cell, "per_class"), i, pc)
    {
        if (strcmp(rep_str(pc, "label"), g->label) && strcmp(rep_str(pc, "display"), g->label))
            continue;
        json_t *v = json_object_get(pc, g->metric);
        *found = v != NULL;
        return rep_num(v);
    }
    return NAN;
}

/* Append a printf line to a growing message. */
static void msg_add(char **msg, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msg_add(char **msg, size_t *len, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    char *m = realloc(*msg, *len + (size_t)n + 1);
    if (!m)
        return;
    memcpy(m + *len, line, (size_t)n + 1);
    *msg = m;
    *len += (size_t)n;
}

static senti_status eval_threshold(const senti_results *r, const senti_gate *g, senti_gate_result *res,
                                   senti_err *err)
{
    size_t i, len = 0, any_found = 0;
    json_t *cell;
    char a[32];
    json_array_foreach(r->cells, i, cell)
    {
        const char *name = rep_str(cell, "name");
        if (fnmatch(g->cells, name, 0) != 0)
            continue;
        int found;
        double v = gate_value(g, cell, &found);
        any_found += found;
        res->n_checked++;
        int ok = g->kind == SENTI_GATE_UNDER ? v >= g->threshold : v <= g->threshold; /* NaN fails */
        if (!ok) {
            res->n_failed++;
            msg_add(&res->message, &len, "%s: %s%s%s%s = %s, %s %g\n", name, g->metric, g->label[0] ? "[" : "",
                    g->label, g->label[0] ? "]" : "", rep_fmt(v, a),
                    g->kind == SENTI_GATE_UNDER ? "required >=" : "required <=", g->threshold);
        }
    }
    if (res->n_checked == 0)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "gate \"%s\": no cell matches \"%s\"", g->spec, g->cells);
    if (!any_found)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "gate \"%s\": no cell has %s%s%s%s", g->spec, g->metric,
                             g->label[0] ? "[" : "", g->label, g->label[0] ? "]" : "");
    if (res->n_failed == 0)
        msg_add(&res->message, &len, "%zu cell(s) pass %s\n", res->n_checked, g->spec);
    return SENTI_OK;
}

/* Bit i (row i) of a hex string, most significant bit of each digit first. */
static int hex_bit(const char *hex, size_t i)
{
    char ch = hex[i / 4];
    int d = ch >= 'a' ? ch - 'a' + 10 : ch >= 'A' ? ch - 'A' + 10 : ch - '0';
    return (d >> (3 - (int)(i % 4))) & 1;
}

int rep_discordant(const json_t *a, const json_t *b, size_t *only_a, size_t *only_b)
{
    const char *ba = rep_str(a, "correct_bits"), *bb = rep_str(b, "correct_bits");
    size_t n = (size_t)json_integer_value(json_object_get(a, "n"));
    if (strcmp(rep_str(a, "rows_sha256"), rep_str(b, "rows_sha256")) ||
        n != (size_t)json_integer_value(json_object_get(b, "n")))
        return -1;
    if (strlen(ba) < (n + 3) / 4 || strlen(bb) < (n + 3) / 4)
        return -2;
    *only_a = *only_b = 0;
    for (size_t i = 0; i < n; i++) {
        int x = hex_bit(ba, i), y = hex_bit(bb, i);
        *only_a += x && !y;
        *only_b += y && !x;
    }
    return 0;
}

static senti_status baseline_cell(const senti_gate *g, const json_t *cell, const json_t *base, senti_gate_result *res,
                                  size_t *len, senti_err *err)
{
    const char *name = rep_str(cell, "name");
    size_t only_old = 0, only_new = 0;
    int d = rep_discordant(base, cell, &only_old, &only_new);
    if (d == -1)
        return senti_err_set(err, SENTI_ERR_ARG, "baseline: cell %s was evaluated on different rows", name);
    if (d == -2)
        return senti_err_set(err, SENTI_ERR_FORMAT, "baseline: cell %s lacks per-row correct_bits", name);
    double p = senti_mcnemar_test(only_old, only_new).p_value;
    res->n_checked++;
    char a[32], b[32];
    double acc_new = rep_metric_value(cell, "accuracy"), acc_old = rep_metric_value(base, "accuracy");
    if (only_old > only_new && p < g->threshold) {
        res->n_failed++;
        msg_add(&res->message, len, "%s: accuracy %s < baseline %s (McNemar p = %.4g, %zu vs %zu discordant rows)\n",
                name, rep_fmt(acc_new, a), rep_fmt(acc_old, b), p, only_new, only_old);
    }
    return SENTI_OK;
}

static senti_status eval_baseline(const senti_results *r, const senti_results *base, const senti_gate *g,
                                  senti_gate_result *res, senti_err *err)
{
    if (!base)
        return senti_err_set(err, SENTI_ERR_ARG, "baseline gate without baseline results");
    size_t i, len = 0;
    json_t *cell;
    senti_status s;
    json_array_foreach(r->cells, i, cell)
    {
        json_t *b = rep_find_cell(base, rep_str(cell, "name"));
        if (b && fnmatch(g->cells, rep_str(cell, "name"), 0) == 0 && (s = baseline_cell(g, cell, b, res, &len, err)))
            return s;
    }
    if (res->n_checked == 0)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: baseline: no cell in common", base->path);
    if (res->n_failed == 0)
        msg_add(&res->message, &len, "%zu cell(s) not significantly worse than %s (McNemar, alpha %g)\n",
                res->n_checked, base->path, g->threshold);
    return SENTI_OK;
}

senti_status senti_gates_eval(const senti_results *r, const senti_results *baseline, const senti_gate *gates,
                              size_t n, senti_gate_result *res, senti_err *err)
{
    memset(res, 0, n * sizeof *res);
    for (size_t i = 0; i < n; i++) {
        res[i].gate = &gates[i];
        senti_status s = gates[i].kind == SENTI_GATE_BASELINE ? eval_baseline(r, baseline, &gates[i], &res[i], err)
                                                               : eval_threshold(r, &gates[i], &res[i], err);
        if (s) {
            for (size_t j = 0; j <= i; j++)
                senti_gate_result_clear(&res[j]);
            return s;
        }
        res[i].passed = res[i].n_failed == 0;
    }
    return SENTI_OK;
}

void senti_gate_result_clear(senti_gate_result *g)
{
    if (!g)
        return;
    free(g->message);
    g->message = NULL;
}

/* ---- summary rows ------------------------------------------------------------------ */

static void row_stats(const senti_results *r, rep_row *row, const json_t *names)
{
    for (size_t m = 0; m < senti_rep_n_metrics; m++) {
        double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
        size_t k = 0, i;
        json_t *nm;
        json_array_foreach(names, i, nm)
        {
            const json_t *c = rep_find_cell(r, json_string_value(nm) ? json_string_value(nm) : "");
            double v = rep_metric_value(c, senti_rep_metrics[m].key);
            if (isnan(v))
                continue;
            sum += v, k++;
            mn = v < mn ? v : mn, mx = v > mx ? v : mx;
        }
        double mean = k ? sum / (double)k : NAN;
        json_array_foreach(names, i, nm)
        {
            double v = rep_metric_value(rep_find_cell(r, json_string_value(nm) ? json_string_value(nm) : ""),
                                        senti_rep_metrics[m].key);
            if (!isnan(v))
                sq += (v - mean) * (v - mean);
        }
        row->mean[m] = mean;
        row->std[m] = k > 1 ? sqrt(sq / (double)(k - 1)) : (k ? 0.0 : NAN);
        row->min[m] = k ? mn : NAN, row->max[m] = k ? mx : NAN;
        row->lo[m] = row->hi[m] = NAN;
        if (row->n_cells == 1)
            rep_metric_ci(row->first, senti_rep_metrics[m].key, &row->lo[m], &row->hi[m]);
    }
}

rep_row *rep_rows(const senti_results *r, size_t *n)
{
    size_t ng = r->groups ? json_array_size(r->groups) : json_array_size(r->cells);
    rep_row *rows = calloc(ng ? ng : 1, sizeof *rows);
    if (!rows)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < ng; i++) {
        rep_row *row = &rows[*n];
        json_t *names, *tmp = NULL;
        if (r->groups) {
            row->group = json_array_get(r->groups, i);
            names = json_object_get(row->group, "cells");
            row->name = rep_str(row->group, "name");
        } else {
            json_t *c = json_array_get(r->cells, i);
            names = tmp = json_pack("[s]", rep_str(c, "name"));
            row->name = rep_str(c, "name");
        }
        row->n_cells = json_array_size(names);
        row->first = row->n_cells ? rep_find_cell(r, json_string_value(json_array_get(names, 0))) : NULL;
        if (row->first) {
            row_stats(r, row, names);
            (*n)++;
        }
        json_decref(tmp);
    }
    return rows;
}

const char *rep_fmt_row(const rep_row *row, size_t m, char *buf)
{
    char a[32], b[32], c[32];
    if (isnan(row->mean[m]))
        snprintf(buf, REP_FMT_ROW_MAX, "n/a");
    else if (row->n_cells > 1)
        snprintf(buf, REP_FMT_ROW_MAX, "%s ± %s", rep_fmt(row->mean[m], a), rep_fmt(row->std[m], b));
    else if (!isnan(row->lo[m]))
        snprintf(buf, REP_FMT_ROW_MAX, "%s [%s, %s]", rep_fmt(row->mean[m], a), rep_fmt(row->lo[m], b), rep_fmt(row->hi[m], c));
    else
        snprintf(buf, REP_FMT_ROW_MAX, "%s", rep_fmt(row->mean[m], a));
    return buf;
}
