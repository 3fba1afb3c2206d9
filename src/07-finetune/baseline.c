/*
 * baseline.c - baseline adapters (senti/baseline.h): the majority class and
 * the bow-logreg model behind one handle, and their files with the
 * provenance of the training rows.
 *
 * A majority adapter keeps the label counts of its training rows; its
 * distribution is counts / n for every text. A bow-logreg adapter is a
 * senti_bow (bow.c) whose JSON gets "method" and "train" added.
 */
#include "senti/baseline.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "00-base/base.h"
#include "bow_internal.h"

#define MAJORITY_FORMAT "senti-majority"
#define BOW_FORMAT "senti-bow-logreg"

struct senti_baseline {
    senti_baseline_method method;
    int k;
    char **labels;  /* [k] majority only (bow keeps its own) */
    double *prob;   /* [k] majority: counts / n */
    size_t *counts; /* [k] majority */
    senti_bow *bow; /* bow-logreg */
    char **map_from; /* [n_map] dataset values ... */
    int *map_to;     /* [n_map] ... and the labels they stand for */
    size_t n_map;
};

const char *senti_baseline_method_name(senti_baseline_method m)
{
    return m == SENTI_BASELINE_BOW_LOGREG ? "bow-logreg" : "majority";
}

senti_status senti_baseline_method_parse(const char *s, senti_baseline_method *out, senti_err *err)
{
    if (s && !strcmp(s, "majority"))
        *out = SENTI_BASELINE_MAJORITY;
    else if (s && !strcmp(s, "bow-logreg"))
        *out = SENTI_BASELINE_BOW_LOGREG;
    else
        return senti_err_set(err, SENTI_ERR_ARG, "unknown baseline method \"%s\" (choose majority or bow-logreg)",
                             s ? s : "");
    return SENTI_OK;
}

void senti_baseline_free(senti_baseline *b)
{
    if (!b)
        return;
    for (int j = 0; b->labels && j < b->k; j++)
        free(b->labels[j]);
    free(b->labels);
    free(b->prob);
    free(b->counts);
    senti_bow_free(b->bow);
    for (size_t i = 0; i < b->n_map; i++)
        free(b->map_from[i]);
    free(b->map_from);
    free(b->map_to);
    free(b);
}

/* A majority adapter over k labels with these counts (their sum > 0). */
static senti_baseline *majority_new(int k, const char *const *names, const size_t *counts, senti_err *err)
{
    senti_baseline *b = calloc(1, sizeof *b);
    if (b) {
        b->method = SENTI_BASELINE_MAJORITY;
        b->k = k;
        b->labels = calloc((size_t)k, sizeof *b->labels);
        b->prob = calloc((size_t)k, sizeof *b->prob);
        b->counts = calloc((size_t)k, sizeof *b->counts);
    }
    bool ok = b && b->labels && b->prob && b->counts;
    size_t n = 0;
    for (int j = 0; ok && j < k; j++) {
        ok = (b->labels[j] = senti_xstrdup(names[j])) != NULL;
        n += b->counts[j] = counts[j];
    }
    for (int j = 0; ok && j < k; j++)
        b->prob[j] = (double)counts[j] / (double)n;
    if (!ok) {
        senti_baseline_free(b);
        senti_err_set(err, SENTI_ERR_NOMEM, "baseline: out of memory");
        return NULL;
    }
    return b;
}

senti_status senti_baseline_train(senti_baseline_method m, const char *const *texts, const int *labels, size_t n, int k,
                                  const char *const *names, const senti_bow_params *bp, senti_baseline **out,
                                  senti_err *err)
{
    *out = NULL;
    if (m == SENTI_BASELINE_BOW_LOGREG) {
        senti_baseline *b = calloc(1, sizeof *b);
        if (!b)
            return senti_err_set(err, SENTI_ERR_NOMEM, "baseline: out of memory");
        b->method = m;
        b->k = k;
        senti_status s = senti_bow_train(texts, labels, n, k, names, bp, &b->bow, err);
        if (s) {
            free(b);
            return s;
        }
        *out = b;
        return SENTI_OK;
    }
    if (k < 2 || k > 256)
        return senti_err_set(err, SENTI_ERR_ARG, "majority: %d labels (need 2 to 256)", k);
    if (n < 1)
        return senti_err_set(err, SENTI_ERR_ARG, "majority: no training rows");
    size_t counts[256] = {0};
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= k)
            return senti_err_set(err, SENTI_ERR_ARG, "majority: row %zu: label %d outside [0, %d)", i, labels[i], k);
        counts[labels[i]]++;
    }
    *out = majority_new(k, names, counts, err);
    return *out ? SENTI_OK : SENTI_ERR_NOMEM;
}

void senti_baseline_predict(const senti_baseline *b, const char *text, size_t len, double *prob)
{
    if (b->bow)
        senti_bow_predict(b->bow, text, len, prob);
    else
        memcpy(prob, b->prob, (size_t)b->k * sizeof *prob);
}

senti_baseline_method senti_baseline_get_method(const senti_baseline *b) { return b->method; }
int senti_baseline_n_labels(const senti_baseline *b) { return b->k; }
const senti_bow *senti_baseline_bow(const senti_baseline *b) { return b->bow; }

const char *senti_baseline_label(const senti_baseline *b, int j)
{
    if (b->bow)
        return senti_bow_label(b->bow, j);
    return j >= 0 && j < b->k ? b->labels[j] : NULL;
}

/* Index of the label spelled name, or -1. */
static int label_index(const senti_baseline *b, const char *name)
{
    for (int l = 0; name && l < b->k; l++)
        if (!strcmp(senti_baseline_label(b, l), name))
            return l;
    return -1;
}

senti_status senti_baseline_set_label_map(senti_baseline *b, const char *const *from, const int *to, size_t n,
                                          senti_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!from[i] || to[i] < 0 || to[i] >= b->k)
            return senti_err_set(err, SENTI_ERR_ARG, "label_map[%zu]: no value, or label %d outside [0, %d)", i, to[i],
                                 b->k);
        if (label_index(b, from[i]) >= 0) /* it would rewrite gold labels that are already labels */
            return senti_err_set(err, SENTI_ERR_ARG, "label_map: \"%s\" is a label itself", from[i]);
    }
    char **f = calloc(n + 1, sizeof *f);
    int *t = malloc((n + 1) * sizeof *t);
    bool ok = f && t;
    for (size_t i = 0; ok && i < n; i++) {
        ok = (f[i] = senti_xstrdup(from[i])) != NULL;
        t[i] = to[i];
    }
    if (!ok) {
        for (size_t i = 0; f && i < n; i++)
            free(f[i]);
        free(f);
        free(t);
        return senti_err_set(err, SENTI_ERR_NOMEM, "baseline: out of memory");
    }
    for (size_t i = 0; i < b->n_map; i++)
        free(b->map_from[i]);
    free(b->map_from);
    free(b->map_to);
    b->map_from = f;
    b->map_to = t;
    b->n_map = n;
    return SENTI_OK;
}

int senti_baseline_find(const senti_baseline *b, const char *value)
{
    for (size_t i = 0; i < b->n_map; i++)
        if (!strcmp(b->map_from[i], value))
            return b->map_to[i];
    for (int j = 0; j < b->k; j++)
        if (!strcmp(senti_baseline_label(b, j), value))
            return j;
    return -1;
}

/* ---- files ---------------------------------------------------------------------- */

static json_t *source_json(const senti_baseline_source *src)
{
    json_t *o = json_object(), *rows = json_array();
    json_object_set_new(o, "path", src && src->train_path ? json_string(src->train_path) : json_null());
    json_object_set_new(o, "sha256", src && src->train_sha256 ? json_string(src->train_sha256) : json_null());
    json_object_set_new(o, "seed", json_integer(src ? (json_int_t)src->seed : 0));
    json_object_set_new(o, "shots_per_class", json_integer(src ? (json_int_t)src->shots_per_class : 0));
    for (size_t i = 0; src && src->rows && i < src->n_rows; i++)
        json_array_append_new(rows, json_integer((json_int_t)src->rows[i]));
    json_object_set_new(o, "n_rows", json_integer(src ? (json_int_t)src->n_rows : 0));
    json_object_set_new(o, "rows", rows);
    return o;
}

static json_t *majority_json(const senti_baseline *b)
{
    json_t *o = json_object(), *labels = json_array(), *counts = json_array();
    for (int j = 0; j < b->k; j++) {
        json_array_append_new(labels, json_string(b->labels[j]));
        json_array_append_new(counts, json_integer((json_int_t)b->counts[j]));
    }
    json_object_set_new(o, "format", json_string(MAJORITY_FORMAT));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "labels", labels);
    json_object_set_new(o, "counts", counts);
    return o;
}

senti_status senti_baseline_save(const senti_baseline *b, const senti_baseline_source *src, const char *path,
                                 senti_err *err)
{
    json_t *o = b->bow ? senti_bow_to_json(b->bow) : majority_json(b);
    if (o) {
        json_object_set_new(o, "method", json_string(senti_baseline_method_name(b->method)));
        json_object_set_new(o, "train", source_json(src));
        if (b->n_map) {
            json_t *map = json_object();
            for (size_t i = 0; i < b->n_map; i++)
                json_object_set_new(map, b->map_from[i], json_string(senti_baseline_label(b, b->map_to[i])));
            json_object_set_new(o, "label_map", map);
        }
    }
    senti_status s = senti_bow_write_json(o, path, err);
    json_decref(o);
    return s;
}

static senti_status majority_from_json(const json_t *o, const char *path, senti_baseline **out, senti_err *err)
{
    const json_t *labels = json_object_get(o, "labels"), *counts = json_object_get(o, "counts");
    size_t k = json_array_size(labels);
    if (json_integer_value(json_object_get(o, "version")) != 1)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: not a senti-majority file (version 1)", path);
    if (!json_is_array(labels) || k < 2 || k > 256 || !json_is_array(counts) || json_array_size(counts) != k)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: labels and counts must be arrays of the same length (2..256)",
                             path);
    const char *names[256];
    size_t c[256], n = 0;
    for (size_t j = 0; j < k; j++) {
        const json_t *cj = json_array_get(counts, j);
        if (!(names[j] = json_string_value(json_array_get(labels, j))))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: labels[%zu]: not a string", path, j);
        for (size_t i = 0; i < j; i++)
            if (!strcmp(names[i], names[j]))
                return senti_err_set(err, SENTI_ERR_FORMAT, "%s: labels[%zu]: \"%s\" appears twice", path, j, names[j]);
        if (!json_is_integer(cj) || json_integer_value(cj) < 0 || json_integer_value(cj) > (json_int_t)1 << 48)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: counts[%zu]: need a whole number in 0..2^48", path, j);
        n += c[j] = (size_t)json_integer_value(cj);
    }
    if (n == 0)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: counts: all zero (no training rows)", path);
    *out = majority_new((int)k, names, c, err);
    return *out ? SENTI_OK : SENTI_ERR_NOMEM;
}

/* The method named in the file must agree with its format. */
static senti_status check_method(const json_t *o, senti_baseline_method want, const char *path, senti_err *err)
{
    const json_t *m = json_object_get(o, "method");
    senti_baseline_method got;
    if (m && (!json_is_string(m) || senti_baseline_method_parse(json_string_value(m), &got, NULL) || got != want))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: method: must be \"%s\" for this format", path,
                             senti_baseline_method_name(want));
    return SENTI_OK;
}

senti_status senti_baseline_map_from_json(senti_baseline *b, const json_t *map, const char *path, senti_err *err)
{
    if (!map || json_is_null(map))
        return SENTI_OK;
    if (!json_is_object(map))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label_map: must be an object (dataset value -> label)", path);
    size_t n = json_object_size(map), i = 0;
    const char **from = malloc((n + 1) * sizeof *from);
    int *to = malloc((n + 1) * sizeof *to);
    senti_status s = from && to ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)map, key, val) {
        if (s)
            break;
        int j = label_index(b, json_string_value(val));
        if (j < 0)
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: label_map: \"%s\" must name one of the adapter's labels", path,
                              key);
        else if (label_index(b, key) >= 0)
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: label_map: \"%s\" is a label itself; map only the dataset "
                              "values that are not", path, key);
        from[i] = key;
        to[i++] = j;
    }
    if (!s)
        s = senti_baseline_set_label_map(b, from, to, n, err);
    free(from);
    free(to);
    return s;
}

senti_status senti_baseline_load(const char *path, senti_baseline **out, senti_err *err)
{
    *out = NULL;
    json_t *o;
    senti_status s = senti_bow_read_json(path, &o, err);
    if (s)
        return s;
    const char *format = json_string_value(json_object_get(o, "format"));
    if (format && !strcmp(format, MAJORITY_FORMAT)) {
        if (!(s = check_method(o, SENTI_BASELINE_MAJORITY, path, err)))
            s = majority_from_json(o, path, out, err);
    } else if (format && !strcmp(format, BOW_FORMAT)) {
        senti_baseline *b = calloc(1, sizeof *b);
        s = b ? check_method(o, SENTI_BASELINE_BOW_LOGREG, path, err)
              : senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
        if (!s)
            s = senti_bow_from_json(&b->bow, o, path, err);
        if (!s) {
            b->method = SENTI_BASELINE_BOW_LOGREG;
            b->k = senti_bow_n_labels(b->bow);
            *out = b;
        } else {
            free(b);
        }
    } else {
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: format: not a baseline adapter (need \"%s\" or \"%s\")", path,
                          MAJORITY_FORMAT, BOW_FORMAT);
    }
    if (!s && (s = senti_baseline_map_from_json(*out, json_object_get(o, "label_map"), path, err))) {
        senti_baseline_free(*out);
        *out = NULL;
    }
    json_decref(o);
    return s;
}

int senti_baseline_probe(const char *path)
{
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    size_t got = f ? fread(magic, 1, 4, f) : 0;
    if (f)
        fclose(f);
    if (!f)
        return -1;
    if (got == 4 && !memcmp(magic, "GGUF", 4))
        return 0;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    if (!o)
        return -1;
    const char *format = json_string_value(json_object_get(o, "format"));
    int is = format && (!strcmp(format, MAJORITY_FORMAT) || !strcmp(format, BOW_FORMAT));
    json_decref(o);
    return is;
}
