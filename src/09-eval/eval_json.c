/*
 * eval_json.c - the results.json form of one evaluated predictions file (see
 * eval_json.h): the same keys, in the same order, for every writer.
 */
#include "eval_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *metrics_json(const senti_metrics *m)
{
    json_t *o = json_object();
    for (int i = 0; i < SENTI_M_COUNT; i++)
        json_object_set_new(o, senti_metric_name((senti_metric)i),
                            json_pack("{s:o, s:o, s:o}", "value", num(m->value[i]), "lo", num(m->ci[i].lo), "hi",
                                      num(m->ci[i].hi)));
    return o;
}

static json_t *per_class_json(const senti_metrics *m, const senti_predfile *pf, const char *const *display)
{
    json_t *a = json_array();
    for (int k = 0; k < pf->k; k++) {
        const senti_class_metrics *c = &m->per_class[k];
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:I}", "label", pf->labels[k], "display",
                                           display ? display[k] : pf->labels[k], "precision", num(c->precision),
                                           "recall", num(c->recall), "f1", num(c->f1), "support",
                                           (json_int_t)c->support, "predicted", (json_int_t)c->predicted));
    }
    return a;
}

static json_t *confusion_json(const senti_metrics *m)
{
    json_t *a = json_array();
    for (int i = 0; i < m->k; i++) {
        json_t *row = json_array();
        for (int j = 0; j < m->k; j++)
            json_array_append_new(row, json_integer((json_int_t)m->confusion[i * m->k + j]));
        json_array_append_new(a, row);
    }
    return a;
}

static json_t *reliability_json(const senti_metrics *m)
{
    json_t *a = json_array();
    for (int b = 0; m->reliability && b < m->n_bins; b++) {
        const senti_reliability_bin *r = &m->reliability[b];
        json_array_append_new(a, json_pack("{s:o, s:o, s:I, s:o, s:o}", "lo", num(r->lo), "hi", num(r->hi), "count",
                                           (json_int_t)r->count, "confidence", num(r->confidence), "accuracy",
                                           num(r->accuracy)));
    }
    return a;
}

/* rows_sha256 and correct_bits (see eval_json.h). */
static void row_facts(const senti_predfile *pf, json_t *cell)
{
    size_t nd = (pf->n + 3) / 4, len = 0;
    char *bits = calloc(nd + 1, 1);
    for (size_t d = 0; bits && d < nd; d++) {
        int v = 0;
        for (size_t b = 0; b < 4; b++) {
            size_t i = 4 * d + b;
            v = (v << 1) | (i < pf->n && pf->gold[i] == pf->pred[i]);
        }
        bits[d] = "0123456789abcdef"[v];
    }
    for (size_t i = 0; i < pf->n; i++)
        len += (pf->ids ? strlen(pf->ids[i]) : 20) + strlen(pf->labels[pf->gold[i]]) + 2;
    char *buf = malloc(len + 1), *p = buf, sha[65];
    for (size_t i = 0; buf && i < pf->n; i++) {
        char no[24];
        snprintf(no, sizeof no, "%zu", i + 1);
        p += sprintf(p, "%s%s\t%s", i ? "\n" : "", pf->ids ? pf->ids[i] : no, pf->labels[pf->gold[i]]);
    }
    senti_sha256_hex(buf ? buf : "", buf ? (size_t)(p - buf) : 0, sha);
    json_object_set_new(cell, "rows_sha256", json_string(sha));
    json_object_set_new(cell, "correct_bits", json_string(bits ? bits : ""));
    free(buf);
    free(bits);
}

void senti_eval_cell_json(json_t *cell, const senti_predfile *pf, const senti_metrics *m,
                          const char *const *display)
{
    json_t *labels = json_array(), *disp = json_array();
    for (int k = 0; k < pf->k; k++) {
        json_array_append_new(labels, json_string(pf->labels[k]));
        json_array_append_new(disp, json_string(display ? display[k] : pf->labels[k]));
    }
    json_object_set_new(cell, "labels", labels);
    json_object_set_new(cell, "display", disp);
    json_object_set_new(cell, "n", json_integer((json_int_t)pf->n));
    json_object_set_new(cell, "correct", json_integer((json_int_t)m->correct));
    json_object_set_new(cell, "skipped", json_integer((json_int_t)pf->n_skipped));
    json_object_set_new(cell, "metrics", metrics_json(m));
    json_object_set_new(cell, "per_class", per_class_json(m, pf, display));
    json_object_set_new(cell, "confusion", confusion_json(m));
    json_object_set_new(cell, "reliability", reliability_json(m));
    row_facts(pf, cell);
}
