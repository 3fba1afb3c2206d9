/*
 * experiment.c - parse and validate experiment files (JSON, jansson) and
 * expand them into the grid of cells. See senti/experiment.h for the contract
 * and docs/experiments.md for the format.
 */
#include "senti/experiment.h"
#include "senti/baseline.h"
#include "senti/classify.h"
#include "senti/finetune.h"
#include "senti/prompt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "00-base/base.h"
#include "experiment_internal.h"


/* ---- small helpers -------------------------------------------------------- */

/* Parsing context: the origin for messages and the JSON path of the value. */
typedef struct {
    const char *origin;
    const char *base_dir;
    senti_err *err;
} pctx;

static senti_status bad(pctx *c, const char *where, const char *what)
{
    return senti_err_set(c->err, SENTI_ERR_FORMAT, "%s: %s: %s", c->origin, where, what);
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return 0;
    return 1;
}

/* Reject keys not in the NULL-terminated list `allowed`. */
static senti_status check_keys(pctx *c, const char *where, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= !strcmp(*a, key);
        if (!ok) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown key \"%.80s\"", key);
            return bad(c, where, msg);
        }
    }
    return SENTI_OK;
}

/* Optional string member: *out = copy or NULL. */
static senti_status get_str(pctx *c, const char *where, json_t *obj, const char *key, int required, char **out)
{
    json_t *v = json_object_get(obj, key);
    char path[256];
    snprintf(path, sizeof path, "%s.%s", where, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? bad(c, path, "required string is missing") : SENTI_OK;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(c, path, "must be a non-empty string");
    *out = senti_xstrdup(json_string_value(v));
    return *out ? SENTI_OK : senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
}

/* Optional member: a string or a non-empty array of distinct strings; *out = NULL when absent. */
static senti_status get_str_list(pctx *c, const char *where, json_t *obj, const char *key, char ***out, size_t *n)
{
    json_t *v = json_object_get(obj, key);
    char path[256];
    snprintf(path, sizeof path, "%s.%s", where, key);
    *out = NULL;
    *n = 0;
    if (!v)
        return SENTI_OK;
    size_t m = json_is_string(v) ? 1 : json_is_array(v) ? json_array_size(v) : 0;
    if (m == 0)
        return bad(c, path, "must be a name or a non-empty array of names");
    if (!(*out = calloc(m, sizeof **out)))
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    *n = m;
    for (size_t i = 0; i < m; i++) {
        const char *e = json_string_value(json_is_string(v) ? v : json_array_get(v, i));
        char ep[288];
        snprintf(ep, sizeof ep, "%s[%zu]", path, i);
        if (!e || !*e)
            return bad(c, ep, "must be a non-empty string");
        for (size_t j = 0; j < i; j++)
            if (!strcmp((*out)[j], e))
                return bad(c, ep, "duplicate value");
        if (!((*out)[i] = senti_xstrdup(e)))
            return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    }
    return SENTI_OK;
}

static senti_status get_name(pctx *c, const char *where, json_t *obj, char **out)
{
    senti_status s = get_str(c, where, obj, "name", 1, out);
    if (s)
        return s;
    char path[256];
    snprintf(path, sizeof path, "%s.name", where);
    return valid_name(*out) ? SENTI_OK : bad(c, path, "names use only A-Z a-z 0-9 _ - (1..64 characters)");
}

/* Optional integer member in [lo, hi]; *out keeps its default when absent. */
static senti_status get_int(pctx *c, const char *where, json_t *obj, const char *key, long long lo, long long hi,
                            long long *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return SENTI_OK;
    char path[256], msg[128];
    snprintf(path, sizeof path, "%s.%s", where, key);
    snprintf(msg, sizeof msg, "must be an integer in %lld..%lld", lo, hi);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return bad(c, path, msg);
    *out = json_integer_value(v);
    return SENTI_OK;
}

/* ---- environment expansion and paths --------------------------------------- */

senti_status senti_expand_env(const char *in, char **out, senti_err *err)
{
    size_t cap = strlen(in) + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (const char *p = in; *p;) {
        const char *add = p;
        size_t n = 1;
        char name[128];
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p, '}');
            if (!end) {
                free(buf);
                return senti_err_set(err, SENTI_ERR_FORMAT, "unterminated ${ in \"%s\"", in);
            }
            const char *colon = strstr(p, ":-");
            size_t nl = (colon && colon < end ? colon : end) - (p + 2);
            if (nl == 0 || nl >= sizeof name) {
                free(buf);
                return senti_err_set(err, SENTI_ERR_FORMAT, "bad variable name in \"%s\"", in);
            }
            memcpy(name, p + 2, nl);
            name[nl] = '\0';
            const char *val = getenv(name);
            if (val && *val) {
                add = val;
                n = strlen(val);
            } else if (colon && colon < end) {
                add = colon + 2;
                n = (size_t)(end - add);
            } else {
                free(buf);
                return senti_err_set(err, SENTI_ERR_FORMAT, "environment variable %s is not set (in \"%s\")",
                                     name, in);
            }
            p = end + 1;
        } else {
            p++;
        }
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            }
            buf = nb;
        }
        memcpy(buf + len, add, n);
        len += n;
    }
    buf[len] = '\0';
    *out = buf;
    return SENTI_OK;
}

/* A path member: env-expanded, then joined to base_dir when relative. */
static senti_status get_path(pctx *c, const char *where, json_t *obj, const char *key, int required, char **out)
{
    char *raw, *exp;
    senti_status s = get_str(c, where, obj, key, required, &raw);
    if (s || !raw)
        return s;
    senti_err e2;
    s = senti_expand_env(raw, &exp, &e2);
    free(raw);
    if (s) {
        char path[256];
        snprintf(path, sizeof path, "%s.%s", where, key);
        return bad(c, path, e2.msg);
    }
    if (exp[0] == '/' || !c->base_dir || !*c->base_dir || !strcmp(c->base_dir, ".")) {
        *out = exp;
        return SENTI_OK;
    }
    size_t n = strlen(c->base_dir) + strlen(exp) + 2;
    *out = malloc(n);
    if (*out)
        snprintf(*out, n, "%s/%s", c->base_dir, exp);
    free(exp);
    return *out ? SENTI_OK : senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
}

/* ---- sections ------------------------------------------------------------------ */

/* Check that `v` is a non-empty array of objects with unique names. */
static senti_status check_list(pctx *c, const char *key, json_t *v)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return bad(c, key, "must be a non-empty array of objects");
    for (size_t i = 0; i < json_array_size(v); i++) {
        char where[64];
        snprintf(where, sizeof where, "%s[%zu]", key, i);
        if (!json_is_object(json_array_get(v, i)))
            return bad(c, where, "must be an object");
        json_t *ni = json_object_get(json_array_get(v, i), "name");
        for (size_t j = 0; j < i && json_is_string(ni); j++)
            if (json_equal(ni, json_object_get(json_array_get(v, j), "name")))
                return bad(c, where, "duplicate name");
    }
    return SENTI_OK;
}

static senti_status parse_model(pctx *c, const char *where, json_t *o, void *item)
{
    senti_exp_model *m = item;
    static const char *const keys[] = {"name", "path", "chat", NULL};
    senti_status s;
    if ((s = check_keys(c, where, o, keys)) || (s = get_name(c, where, o, &m->name)) ||
        (s = get_path(c, where, o, "path", 1, &m->path)) || (s = get_str(c, where, o, "chat", 0, &m->chat)))
        return s;
    if (!strcmp(m->name, "baseline") || !strcmp(m->name, "recipe") || !strcmp(m->name, "select")) {
        char path[128], msg[96];
        snprintf(path, sizeof path, "%s.name", where);
        snprintf(msg, sizeof msg, "\"%s\" is reserved (the model part of %s cell names)", m->name, m->name);
        return bad(c, path, msg);
    }
    if (!m->chat)
        m->chat = senti_xstrdup("auto");
    senti_chat_mode mode;
    if (senti_chat_mode_parse(m->chat, &mode, NULL)) {
        char path[128];
        snprintf(path, sizeof path, "%s.chat", where);
        return bad(c, path, "must be \"auto\", \"on\" or \"off\"");
    }
    return SENTI_OK;
}

static senti_status parse_csv(pctx *c, const char *where, json_t *o, const char *path_key, senti_exp_csv *csv)
{
    senti_status s;
    if ((s = get_path(c, where, o, path_key, 1, &csv->path)) || (s = get_str(c, where, o, "text", 0, &csv->text_col)) ||
        (s = get_str(c, where, o, "label", 0, &csv->label_col)) || (s = get_str(c, where, o, "id", 0, &csv->id_col)))
        return s;
    return SENTI_OK;
}

static senti_status parse_dataset(pctx *c, const char *where, json_t *o, void *item)
{
    senti_exp_dataset *d = item;
    static const char *const keys[] = {"name", "path", "split", "text", "label", "id", "limit", "sample", "seed",
                                       "train", "verbalizer", NULL};
    static const char *const train_keys[] = {"path", "text", "label", "id", NULL};
    long long limit = 0, sample = 0, seed = 1;
    senti_status s;
    if ((s = check_keys(c, where, o, keys)) || (s = get_name(c, where, o, &d->name)) ||
        (s = get_str(c, where, o, "split", 0, &d->split)) || (s = parse_csv(c, where, o, "path", &d->eval)) ||
        (s = get_str(c, where, o, "verbalizer", 0, &d->verbalizer)) ||
        (s = get_int(c, where, o, "limit", 0, 100000000, &limit)) ||
        (s = get_int(c, where, o, "sample", 0, 100000000, &sample)) ||
        (s = get_int(c, where, o, "seed", 0, INT64_MAX, &seed)))
        return s;
    d->limit = (size_t)limit;
    d->sample = (size_t)sample;
    d->sample_seed = (uint64_t)seed;
    json_t *t = json_object_get(o, "train");
    if (!t)
        return SENTI_OK;
    char tw[128];
    snprintf(tw, sizeof tw, "%s.train", where);
    if (json_is_string(t) && !strcmp(json_string_value(t), "rest")) { /* a seeded split of one file */
        if (!d->sample)
            return bad(c, tw, "\"rest\" (the rows the sample leaves) needs \"sample\": the number of test rows");
        d->train_rest = true;
        d->train.path = senti_xstrdup(d->eval.path);
        d->train.text_col = senti_xstrdup(d->eval.text_col);
        d->train.label_col = senti_xstrdup(d->eval.label_col);
        d->train.id_col = senti_xstrdup(d->eval.id_col);
        return SENTI_OK;
    }
    if (json_is_string(t)) { /* shorthand: same columns as the eval file */
        json_t *wrap = json_pack("{sO}", "path", t);
        s = wrap ? get_path(c, where, wrap, "path", 1, &d->train.path) : SENTI_ERR_NOMEM;
        json_decref(wrap);
        if (s)
            return s;
        d->train.text_col = senti_xstrdup(d->eval.text_col);
        d->train.label_col = senti_xstrdup(d->eval.label_col);
        return SENTI_OK;
    }
    if (!json_is_object(t))
        return bad(c, tw, "must be a path or an object {path, text, label, id}");
    if ((s = check_keys(c, tw, t, train_keys)) || (s = parse_csv(c, tw, t, "path", &d->train)))
        return s;
    return SENTI_OK;
}

static senti_status parse_verbalizer(pctx *c, const char *where, json_t *o, void *item)
{
    senti_exp_verbalizer *v = item;
    static const char *const keys[] = {"name", "path", NULL};
    senti_status s;
    if ((s = check_keys(c, where, o, keys)) || (s = get_name(c, where, o, &v->name)) ||
        (s = get_path(c, where, o, "path", 1, &v->path)))
        return s;
    return SENTI_OK;
}

/* An optional array of integers in [lo, hi] (no duplicates); default {dflt}. */
static senti_status get_int_list(pctx *c, const char *where, json_t *o, const char *key, long long lo,
                                 long long hi, long long dflt, long long **out, size_t *n)
{
    json_t *v = json_object_get(o, key);
    char path[160], msg[96];
    snprintf(path, sizeof path, "%s.%s", where, key);
    size_t m = v ? json_array_size(v) : 1;
    if (v && (!json_is_array(v) || m == 0))
        return bad(c, path, "must be a non-empty array of integers");
    *out = calloc(m, sizeof **out);
    if (!*out)
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    *n = m;
    if (!v) {
        (*out)[0] = dflt;
        return SENTI_OK;
    }
    for (size_t i = 0; i < m; i++) {
        json_t *e = json_array_get(v, i);
        char ep[192];
        snprintf(ep, sizeof ep, "%s[%zu]", path, i);
        snprintf(msg, sizeof msg, "must be an integer in %lld..%lld", lo, hi);
        senti_status st = SENTI_OK;
        if (!json_is_integer(e) || json_integer_value(e) < lo || json_integer_value(e) > hi)
            st = bad(c, ep, msg);
        else
            (*out)[i] = json_integer_value(e);
        for (size_t j = 0; j < i && !st; j++)
            if ((*out)[j] == (*out)[i])
                st = bad(c, ep, "duplicate value");
        if (st) {
            free(*out);
            *out = NULL;
            return st;
        }
    }
    return SENTI_OK;
}

static senti_status parse_calibrations(pctx *c, const char *where, json_t *o, senti_exp_strategy *st)
{
    json_t *v = json_object_get(o, "calibration");
    char path[160];
    snprintf(path, sizeof path, "%s.calibration", where);
    if (v && json_is_string(v)) {
        json_t *arr = json_pack("[O]", v);
        json_object_set_new(o, "calibration", arr);
        v = arr;
    }
    size_t m = v ? json_array_size(v) : 1;
    if (v && (!json_is_array(v) || m == 0))
        return bad(c, path, "must be a method name or a non-empty array of them");
    st->calibrations = calloc(m, sizeof *st->calibrations);
    if (!st->calibrations)
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    st->n_calibrations = m;
    for (size_t i = 0; i < m; i++) {
        const char *name = v ? json_string_value(json_array_get(v, i)) : "none";
        char ep[192];
        snprintf(ep, sizeof ep, "%s[%zu]", path, i);
        senti_calib_method method;
        if (!name || senti_calib_parse(name, &method, NULL))
            return bad(c, ep, "must be a calibration method: none, contextual, pmi or batch");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(st->calibrations[j], name))
                return bad(c, ep, "duplicate value");
        if (!(st->calibrations[i] = senti_xstrdup(name)))
            return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    }
    return SENTI_OK;
}

/* Few-shot demonstration options, checked with the classifier's own parsers. */
static senti_status parse_demo_options(pctx *c, const char *where, json_t *o, senti_exp_strategy *st)
{
    senti_status s;
    char kp[160];
    senti_demo_sampling ds;
    senti_demo_order dord;
    if ((s = get_str(c, where, o, "sampling", 0, &st->sampling)) || (s = get_str(c, where, o, "order", 0, &st->order)))
        return s;
    snprintf(kp, sizeof kp, "%s.sampling", where);
    if (st->sampling && senti_demo_sampling_parse(st->sampling, &ds, NULL))
        return bad(c, kp, "must be \"random\" or \"balanced\"");
    snprintf(kp, sizeof kp, "%s.order", where);
    if (st->order && senti_demo_order_parse(st->order, &dord, NULL))
        return bad(c, kp, "must be \"random\", \"fixed\" or \"interleaved\"");
    static const char *const flags[] = {"per_row", "demo_turns"};
    bool *dst[] = {&st->per_row, &st->demo_turns};
    for (int i = 0; i < 2; i++) {
        json_t *f = json_object_get(o, flags[i]);
        snprintf(kp, sizeof kp, "%s.%s", where, flags[i]);
        if (f && !json_is_boolean(f))
            return bad(c, kp, "must be true or false");
        *dst[i] = f && json_is_true(f);
    }
    return SENTI_OK;
}

static int is_none(const json_t *v) { return json_is_string(v) && !strcmp(json_string_value(v), "none"); }

/* Kind select: "per_class" rows per label (at least 2: select's folds),
 * "budget" in minutes, "space" (a path); no "method" nor "train"; calibration
 * "none" only (the recipe sets its own). Other kinds may not have "budget" or
 * "space". */
static senti_status parse_select(pctx *c, const char *where, json_t *o, senti_exp_strategy *st)
{
    json_t *b = json_object_get(o, "budget"), *cal = json_object_get(o, "calibration");
    char kp[160];
    if (st->kind != SENTI_STRATEGY_SELECT)
        return b || json_object_get(o, "space") ? bad(c, where, "\"budget\" and \"space\" belong to select strategies only")
                                                : SENTI_OK;
    if (json_object_get(o, "method"))
        return bad(c, where, "\"method\" does not apply to a select strategy (select chooses the method)");
    if (json_object_get(o, "train"))
        return bad(c, where, "a select strategy draws \"per_class\" rows of each label (no \"train\")");
    if (!json_object_get(o, "per_class"))
        return bad(c, where, "a select strategy needs \"per_class\"");
    long long n = 0;
    senti_status s = get_int(c, where, o, "per_class", 2, 1000000, &n);
    if (s)
        return s;
    st->per_class = (size_t)n;
    snprintf(kp, sizeof kp, "%s.budget", where);
    if (b && (!json_is_number(b) || !(json_number_value(b) >= 0.01) || json_number_value(b) > 10080))
        return bad(c, kp, "must be a number of minutes in 0.01..10080");
    st->budget_min = b ? json_number_value(b) : 15.0;
    snprintf(kp, sizeof kp, "%s.calibration", where);
    if (cal && !is_none(cal) &&
        !(json_is_array(cal) && json_array_size(cal) == 1 && is_none(json_array_get(cal, 0))))
        return bad(c, kp, "the chosen recipe sets its own calibration: only \"none\"");
    return get_path(c, where, o, "space", 0, &st->space);
}

/* Options of the strategies that train in the cell (baseline, finetune):
 * "method", and "per_class" N or "train": "all" (one of them); calibration
 * "none" only. Other kinds may not have them. */
static senti_status parse_trained(pctx *c, const char *where, json_t *o, senti_exp_strategy *st)
{
    json_t *pc = json_object_get(o, "per_class"), *tr = json_object_get(o, "train"),
           *cal = json_object_get(o, "calibration");
    const bool base = st->kind == SENTI_STRATEGY_BASELINE;
    char kp[160];
    if (st->kind == SENTI_STRATEGY_SELECT)
        return parse_select(c, where, o, st);
    senti_status s0 = parse_select(c, where, o, st); /* "budget", "space": select only */
    if (s0)
        return s0;
    if (!base && st->kind != SENTI_STRATEGY_FINETUNE)
        return json_object_get(o, "method") || pc || tr
                   ? bad(c, where, "\"method\", \"per_class\" and \"train\" belong to baseline and finetune "
                                   "strategies only")
                   : SENTI_OK;
    senti_status s = get_str(c, where, o, "method", 1, &st->method);
    senti_baseline_method bm;
    senti_ft_method fm;
    snprintf(kp, sizeof kp, "%s.method", where);
    if (!s && base && senti_baseline_method_parse(st->method, &bm, NULL))
        s = bad(c, kp, "must be \"majority\" or \"bow-logreg\"");
    if (!s && !base && senti_ft_method_parse(st->method, &fm, NULL))
        s = bad(c, kp, "must be \"head\" or \"lora\"");
    if (!s && !pc == !tr)
        s = bad(c, where, base ? "a baseline strategy needs either \"per_class\" or \"train\": \"all\""
                               : "a finetune strategy needs either \"per_class\" or \"train\": \"all\"");
    snprintf(kp, sizeof kp, "%s.train", where);
    if (!s && tr && (!json_is_string(tr) || strcmp(json_string_value(tr), "all")))
        s = bad(c, kp, "must be \"all\" (every labelled row of the dataset's train file)");
    long long n = 0;
    if (!s && pc && !(s = get_int(c, where, o, "per_class", 1, 1000000, &n)))
        st->per_class = (size_t)n;
    st->train_all = tr != NULL;
    if (!s && base && json_object_get(o, "models"))
        s = bad(c, where, "\"models\" does not apply to a baseline strategy (it uses no model)");
    snprintf(kp, sizeof kp, "%s.calibration", where);
    if (!s && cal && !is_none(cal) &&
        !(json_is_array(cal) && json_array_size(cal) == 1 && is_none(json_array_get(cal, 0))))
        s = bad(c, kp, base ? "a baseline is not calibrated: only \"none\""
                            : "a fine-tuned adapter is not calibrated: only \"none\"");
    return s;
}

/* Kind recipe: "recipe" (a path) and nothing that the recipe sets itself. */
static senti_status parse_recipe(pctx *c, const char *where, json_t *o, senti_exp_strategy *st)
{
    const bool rec = st->kind == SENTI_STRATEGY_RECIPE;
    json_t *cal = json_object_get(o, "calibration");
    if (rec != (json_object_get(o, "recipe") != NULL))
        return bad(c, where, "\"recipe\" is required for, and only allowed with, kind \"recipe\"");
    if (!rec)
        return SENTI_OK;
    if (json_object_get(o, "models"))
        return bad(c, where, "\"models\" does not apply to a recipe strategy (the recipe names its model)");
    if (json_object_get(o, "seeds"))
        return bad(c, where, "\"seeds\" do not apply to a recipe strategy (the recipe has its own)");
    char kp[160];
    snprintf(kp, sizeof kp, "%s.calibration", where);
    if (cal && !is_none(cal) &&
        !(json_is_array(cal) && json_array_size(cal) == 1 && is_none(json_array_get(cal, 0))))
        return bad(c, kp, "a recipe sets its own calibration: only \"none\"");
    return get_path(c, where, o, "recipe", 1, &st->recipe);
}

static senti_status parse_strategy(pctx *c, const char *where, json_t *o, void *item)
{
    senti_exp_strategy *st = item;
    static const char *const keys[] = {"name",    "kind",     "shots", "seeds",   "calibration", "adapter",
                                       "sampling", "order",   "per_row", "demo_turns", "method", "per_class",   "train", "models", "recipe",
                                       "budget",  "space",    NULL};
    char *kind = NULL;
    senti_status s;
    if ((s = check_keys(c, where, o, keys)) || (s = get_name(c, where, o, &st->name)) ||
        (s = get_str(c, where, o, "kind", 1, &kind)))
        return s;
    char kp[160];
    snprintf(kp, sizeof kp, "%s.kind", where);
    if (!strcmp(kind, "zero-shot"))
        st->kind = SENTI_STRATEGY_ZERO_SHOT;
    else if (!strcmp(kind, "few-shot"))
        st->kind = SENTI_STRATEGY_FEW_SHOT;
    else if (!strcmp(kind, "adapter"))
        st->kind = SENTI_STRATEGY_ADAPTER;
    else if (!strcmp(kind, "baseline"))
        st->kind = SENTI_STRATEGY_BASELINE;
    else if (!strcmp(kind, "finetune"))
        st->kind = SENTI_STRATEGY_FINETUNE;
    else if (!strcmp(kind, "recipe"))
        st->kind = SENTI_STRATEGY_RECIPE;
    else if (!strcmp(kind, "select"))
        st->kind = SENTI_STRATEGY_SELECT;
    else
        s = bad(c, kp, "must be \"zero-shot\", \"few-shot\", \"adapter\", \"baseline\", \"finetune\", \"recipe\" or "
                       "\"select\"");
    free(kind);
    if (s)
        return s;
    int few = st->kind == SENTI_STRATEGY_FEW_SHOT,
        base = st->kind == SENTI_STRATEGY_BASELINE || st->kind == SENTI_STRATEGY_FINETUNE ||
               st->kind == SENTI_STRATEGY_SELECT; /* trained in the cell, on rows drawn with each seed */
    if ((s = parse_trained(c, where, o, st)))
        return s;
    if (!few && json_object_get(o, "shots"))
        return bad(c, where, "\"shots\" belong to few-shot strategies only");
    if (!few && !base && json_object_get(o, "seeds"))
        return bad(c, where, "\"seeds\" belong to few-shot, baseline, finetune and select strategies only");
    if ((st->kind == SENTI_STRATEGY_ADAPTER) != (json_object_get(o, "adapter") != NULL))
        return bad(c, where, "\"adapter\" is required for, and only allowed with, kind \"adapter\"");
    if ((s = parse_recipe(c, where, o, st)))
        return s;
    if (few && !json_object_get(o, "shots"))
        return bad(c, where, "a few-shot strategy needs \"shots\"");
    if (!few && (json_object_get(o, "sampling") || json_object_get(o, "order") || json_object_get(o, "per_row") ||
                 json_object_get(o, "demo_turns")))
        return bad(c, where, "\"sampling\", \"order\", \"per_row\" and \"demo_turns\" belong to few-shot strategies only");
    if ((s = parse_demo_options(c, where, o, st)))
        return s;
    long long *shots, *seeds;
    if ((s = get_int_list(c, where, o, "shots", 0, SENTI_EXP_MAX_SHOTS, 0, &shots, &st->n_shots)))
        return s;
    st->shots = malloc(st->n_shots * sizeof *st->shots);
    for (size_t i = 0; st->shots && i < st->n_shots; i++)
        st->shots[i] = (int)shots[i];
    free(shots);
    if ((s = get_int_list(c, where, o, "seeds", 0, INT64_MAX, few || base ? 1 : 0, &seeds, &st->n_seeds)))
        return s;
    st->seeds = malloc(st->n_seeds * sizeof *st->seeds);
    for (size_t i = 0; st->seeds && i < st->n_seeds; i++)
        st->seeds[i] = (uint64_t)seeds[i];
    free(seeds);
    if (!st->shots || !st->seeds)
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    if ((s = parse_calibrations(c, where, o, st)) || (s = get_path(c, where, o, "adapter", 0, &st->adapter)) ||
        (s = get_str_list(c, where, o, "models", &st->models, &st->n_models)))
        return s;
    return SENTI_OK;
}

static senti_status parse_eval(pctx *c, json_t *o, senti_exp_eval *ev)
{
    static const char *const keys[] = {"bootstrap", "seed", "bins", "ci_level", NULL};
    long long boot = 1000, seed = 20240917, bins = 15;
    ev->ci_level = 0.95;
    if (!o) {
        ev->bootstrap = (int)boot, ev->seed = (uint32_t)seed, ev->n_bins = (int)bins;
        return SENTI_OK;
    }
    senti_status s;
    if (!json_is_object(o))
        return bad(c, "eval", "must be an object");
    if ((s = check_keys(c, "eval", o, keys)) || (s = get_int(c, "eval", o, "bootstrap", 0, 100000, &boot)) ||
        (s = get_int(c, "eval", o, "seed", 0, UINT32_MAX, &seed)) || (s = get_int(c, "eval", o, "bins", 1, 1000, &bins)))
        return s;
    json_t *l = json_object_get(o, "ci_level");
    if (l && (!json_is_number(l) || json_number_value(l) <= 0 || json_number_value(l) >= 1))
        return bad(c, "eval.ci_level", "must be a number in (0, 1)");
    if (l)
        ev->ci_level = json_number_value(l);
    ev->bootstrap = (int)boot, ev->seed = (uint32_t)seed, ev->n_bins = (int)bins;
    return SENTI_OK;
}

/* Parse every element of list `key` with `fn` into an array of `size`-byte items. */
typedef senti_status (*item_fn)(pctx *, const char *, json_t *, void *);

static senti_status parse_list(pctx *c, json_t *root, const char *key, size_t size, item_fn fn, void **items,
                               size_t *n)
{
    json_t *v = json_object_get(root, key);
    senti_status s = v ? check_list(c, key, v) : bad(c, key, "required list is missing");
    if (s)
        return s;
    *n = json_array_size(v);
    *items = calloc(*n, size);
    if (!*items)
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        char where[64];
        snprintf(where, sizeof where, "%s[%zu]", key, i);
        if ((s = fn(c, where, json_array_get(v, i), (char *)*items + i * size)))
            return s;
    }
    return SENTI_OK;
}

/* ---- top level ------------------------------------------------------------------------ */

static senti_status check_baseline_data(pctx *c, const senti_experiment *x);

/* A select strategy's candidate models: the paths of the models it uses, in the experiment's order. */
static senti_status select_candidates(pctx *c, const senti_experiment *x, senti_exp_strategy *st)
{
    st->model_paths = calloc(x->n_models + 1, sizeof *st->model_paths);
    if (!st->model_paths)
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t mi = 0; mi < x->n_models; mi++)
        if (senti_exp_strategy_uses(st, &x->models[mi]))
            st->model_paths[st->n_model_paths++] = x->models[mi].path;
    return SENTI_OK;
}

static senti_status parse_root(pctx *c, json_t *root, senti_experiment *x)
{
    static const char *const keys[] = {"name", "description", "models", "datasets", "verbalizers", "strategies",
                                       "eval", "threads", NULL};
    if (!json_is_object(root))
        return bad(c, "(top)", "must be a JSON object");
    senti_status s;
    long long threads = 0;
    if ((s = check_keys(c, "(top)", root, keys)) || (s = get_name(c, "(top)", root, &x->name)) ||
        (s = get_str(c, "(top)", root, "description", 0, &x->description)) ||
        (s = get_int(c, "(top)", root, "threads", 0, 1024, &threads)) ||
        (s = parse_eval(c, json_object_get(root, "eval"), &x->eval)))
        return s;
    x->threads = (int)threads;
    if ((s = parse_list(c, root, "models", sizeof *x->models, parse_model, (void **)&x->models,
                        &x->n_models)) ||
        (s = parse_list(c, root, "datasets", sizeof *x->datasets, parse_dataset, (void **)&x->datasets,
                        &x->n_datasets)) ||
        (s = parse_list(c, root, "verbalizers", sizeof *x->verbalizers, parse_verbalizer,
                        (void **)&x->verbalizers, &x->n_verbalizers)) ||
        (s = parse_list(c, root, "strategies", sizeof *x->strategies, parse_strategy,
                        (void **)&x->strategies, &x->n_strategies)))
        return s;
    for (size_t di = 0; di < x->n_datasets; di++) {
        const char *vn = x->datasets[di].verbalizer;
        size_t vi = 0;
        while (vn && vi < x->n_verbalizers && strcmp(vn, x->verbalizers[vi].name))
            vi++;
        if (vn && vi == x->n_verbalizers) {
            char where[64];
            snprintf(where, sizeof where, "datasets[%zu].verbalizer", di);
            return bad(c, where, "names no verbalizer of \"verbalizers\"");
        }
    }
    for (size_t si = 0; si < x->n_strategies; si++)
        for (size_t i = 0; i < x->strategies[si].n_models; i++) {
            size_t mi = 0;
            while (mi < x->n_models && strcmp(x->strategies[si].models[i], x->models[mi].name))
                mi++;
            if (mi == x->n_models) {
                char where[96];
                snprintf(where, sizeof where, "strategies[%zu].models[%zu]", si, i);
                return bad(c, where, "names no model of \"models\"");
            }
        }
    for (size_t si = 0; si < x->n_strategies; si++)
        if (x->strategies[si].kind == SENTI_STRATEGY_SELECT && (s = select_candidates(c, x, &x->strategies[si])))
            return s;
    for (size_t si = 0; si < x->n_strategies; si++)
        for (size_t k = 0; k < x->strategies[si].n_shots; k++)
            for (size_t di = 0; di < x->n_datasets; di++)
                if (x->strategies[si].shots[k] > 0 && !x->datasets[di].train.path) {
                    char where[64];
                    snprintf(where, sizeof where, "datasets[%zu]", di);
                    return bad(c, where, "few-shot strategies need a \"train\" file for demonstrations");
                }
    return check_baseline_data(c, x);
}

/* Baseline and finetune strategies train on each dataset's train file, never on all of the rows they are
 * scored on. */
static senti_status check_baseline_data(pctx *c, const senti_experiment *x)
{
    for (size_t si = 0; si < x->n_strategies; si++) {
        const senti_exp_strategy *st = &x->strategies[si];
        if (st->kind != SENTI_STRATEGY_BASELINE && st->kind != SENTI_STRATEGY_FINETUNE &&
            st->kind != SENTI_STRATEGY_SELECT)
            continue;
        const bool base = st->kind == SENTI_STRATEGY_BASELINE;
        const char *what = base ? "baseline" : st->kind == SENTI_STRATEGY_SELECT ? "select" : "finetune";
        for (size_t di = 0; di < x->n_datasets; di++) {
            const senti_exp_dataset *d = &x->datasets[di];
            char where[64];
            snprintf(where, sizeof where, "datasets[%zu]", di);
            if (!d->train.path)
                return senti_err_set(c->err, SENTI_ERR_FORMAT, "%s: %s: %s strategies need a \"train\" file to "
                                     "train on", c->origin, where, what);
            if (st->train_all && !d->train_rest && !strcmp(d->train.path, d->eval.path))
                return senti_err_set(c->err, SENTI_ERR_FORMAT, "%s: %s: \"train\": \"all\" would train the %s on "
                                     "the rows it is scored on (the train file is the evaluated file)", c->origin,
                                     where, base ? "baseline" : "adapter");
        }
    }
    return SENTI_OK;
}

senti_status senti_experiment_parse(const char *json, size_t len, const char *origin, const char *base_dir,
                                    senti_experiment **out, senti_err *err)
{
    *out = NULL;
    senti_experiment *x = calloc(1, sizeof *x);
    if (!x)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    x->origin = senti_xstrdup(origin ? origin : "(experiment)");
    x->base_dir = senti_xstrdup(base_dir ? base_dir : ".");
    senti_sha256_hex(json, len, x->sha256);
    json_error_t je;
    const size_t bom = len >= 3 && !memcmp(json, "\xEF\xBB\xBF", 3) ? 3 : 0; /* RFC 8259 lets us ignore one */
    json_t *root = json_loadb(json + bom, len - bom, JSON_REJECT_DUPLICATES, &je);
    senti_status s;
    if (!root) {
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d:%d: %s", x->origin, je.line, je.column, je.text);
    } else {
        pctx c = {x->origin, x->base_dir, err};
        s = parse_root(&c, root, x);
        if (!s)
            s = senti_exp_expand_grid(x, err);
    }
    json_decref(root);
    if (s) {
        senti_experiment_free(x);
        return s;
    }
    *out = x;
    return SENTI_OK;
}

senti_status senti_experiment_load(const char *path, senti_experiment **out, senti_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return senti_err_set(err, SENTI_ERR_IO, "%s: %s", path, strerror(errno));
    size_t len = 0;
    char *buf = senti_read_stream(f, &len);
    const int read_errno = errno;
    fclose(f);
    if (!buf)
        return read_errno == ENOMEM ? senti_err_set(err, SENTI_ERR_NOMEM, "out of memory")
                               : senti_err_set(err, SENTI_ERR_IO, "%s: read error", path);
    /* relative paths stay relative to the working directory, like every other
     * path given to the CLI (and like $SENTI_MODEL_DIR) */
    senti_status s = senti_experiment_parse(buf, len, path, NULL, out, err);
    free(buf);
    return s;
}

static void free_csv(senti_exp_csv *c)
{
    free(c->path);
    free(c->text_col);
    free(c->label_col);
    free(c->id_col);
}

void senti_experiment_free(senti_experiment *x)
{
    if (!x)
        return;
    for (size_t i = 0; x->models && i < x->n_models; i++)
        free(x->models[i].name), free(x->models[i].path), free(x->models[i].chat);
    for (size_t i = 0; x->datasets && i < x->n_datasets; i++) {
        free(x->datasets[i].name);
        free(x->datasets[i].split);
        free(x->datasets[i].verbalizer);
        free_csv(&x->datasets[i].eval);
        free_csv(&x->datasets[i].train);
    }
    for (size_t i = 0; x->verbalizers && i < x->n_verbalizers; i++)
        free(x->verbalizers[i].name), free(x->verbalizers[i].path);
    for (size_t i = 0; x->strategies && i < x->n_strategies; i++) {
        senti_exp_strategy *st = &x->strategies[i];
        free(st->name), free(st->shots), free(st->seeds), free(st->adapter), free(st->recipe), free(st->sampling), free(st->order);
        free(st->space);
        free(st->model_paths); /* pointers into the models */
        for (size_t j = 0; j < st->n_models; j++)
            free(st->models[j]);
        free(st->models);
        free(st->method);
        for (size_t j = 0; st->calibrations && j < st->n_calibrations; j++)
            free(st->calibrations[j]);
        free(st->calibrations);
    }
    for (size_t i = 0; x->cell_names && i < x->n_cells; i++)
        free(x->cell_names[i]);
    free(x->cell_names), free(x->cells);
    free(x->models), free(x->datasets), free(x->verbalizers), free(x->strategies);
    free(x->origin), free(x->name), free(x->description), free(x->base_dir);
    free(x);
}
