/*
 * classify_bow.c - `senti classify --adapter` with a baseline adapter
 * (senti/baseline.h: majority or bow-logreg): the same predictions file,
 * JSON lines and manifest as a language-model run, without loading a model.
 *
 * Columns: id, gold, pred, p_<label>..., raw_p_<label>... (equal: a baseline
 * is not calibrated), n_tokens (0: no model tokens), status ("ok"). Labels
 * and their order are the adapter's; a verbalizer, when given, must list the
 * same labels in the same order. Options that need a language model
 * (demonstrations, calibration, a prompts file) are refused; the score cache
 * is not used.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "senti/baseline.h"
#include "senti/verbalizer.h"

#include "00-base/base.h"
#include "baseline_internal.h"
#include "classify_out.h"

typedef struct {
    const senti_classify_params *p;
    senti_baseline *b;
    senti_verbalizer *verb; /* NULL when none was given */
    int k;
    senti_pred_layout layout;       /* the predictions file's columns (classify_out.h) */
    const char *extra_names[SENTI_CLASSIFY_MAX_KEEP + 1];
    const char **label_names;       /* [k] layout.labels */
    char *cols[3];                  /* the input's text, label and id columns as found */
    bool in_jsonl;
    senti_atomic_file out_af, jsonl_af;
    FILE *out, *jsonl;
    senti_classify_summary sum;
} bl_run;

/* ---- checks ------------------------------------------------------------------- */

static senti_status check_params(const senti_classify_params *p, senti_err *err)
{
    if (p->train_path || p->demos.shots)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: a baseline adapter takes no demonstrations (--shots, --train)",
                             p->adapter_path);
    if (p->calib != SENTI_CALIB_NONE)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: a baseline adapter is not calibrated (--calibrate)",
                             p->adapter_path);
    if (p->prompts_path)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: a baseline adapter has no prompts to write (--prompts)",
                             p->adapter_path);
    return senti_pred_check_paths(p, err);
}

/* A verbalizer, when given, names the adapter's labels in the adapter's order. */
static senti_status check_labels(bl_run *r, senti_err *err)
{
    size_t k = senti_verbalizer_n_labels(r->verb);
    bool same = k == (size_t)r->k;
    for (size_t j = 0; same && j < k; j++)
        same = !strcmp(senti_verbalizer_label(r->verb, j), senti_baseline_label(r->b, (int)j));
    if (same)
        return SENTI_OK;
    char have[256] = "", want[256] = "";
    for (int j = 0; j < r->k; j++)
        snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", j ? ", " : "", senti_baseline_label(r->b, j));
    for (size_t j = 0; j < k; j++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", j ? ", " : "",
                 senti_verbalizer_label(r->verb, j));
    return senti_err_set(err, SENTI_ERR_ARG, "%s: labels (%s) differ from those of verbalizer %s (%s), or their order",
                         r->p->adapter_path, have, r->p->verbalizer_path, want);
}

/* The adapter's label a gold value names (through the verbalizer's label_map
 * when one was given, else the adapter's own), or NULL. */
static const char *gold_label(const bl_run *r, const char *value)
{
    long l = r->verb ? senti_verbalizer_find(r->verb, value) : senti_baseline_find(r->b, value);
    return l < 0 ? NULL : senti_baseline_label(r->b, (int)l);
}

static bool adapter_knows(const void *r, const char *label)
{
    return gold_label(r, label) != NULL;
}

/* Stream the input once: rows parse, gold labels are the adapter's. */
static senti_status validate_input(bl_run *r, size_t *n_rows, senti_err *err)
{
    char what[4200];
    snprintf(what, sizeof what, "a label of adapter %s", r->p->adapter_path);
    return senti_pred_scan_input(r->p, adapter_knows, r, what, n_rows, &r->in_jsonl, r->cols, err);
}

/* ---- rows --------------------------------------------------------------------- */

/* One row: its distribution, the prediction (ties: the first label), the outputs. */
static senti_status do_row(bl_run *r, const senti_row *row, double *prob, senti_err *err)
{
    senti_baseline_predict(r->b, row->text, row->text_len, prob);
    for (int j = 0; j < r->k; j++)
        if (!isfinite(prob[j]))
            return senti_err_set(err, SENTI_ERR_NOMEM, "%s:%zu: data row %zu: out of memory", senti_input_name(r->p->input_path),
                                 row->line, row->row);
    const char *pred = senti_baseline_label(r->b, senti_argmax_row(prob, r->k));
    char num[32];
    snprintf(num, sizeof num, "%zu", row->row);
    const char *id = row->id ? row->id : num;
    r->sum.n_rows++;
    r->sum.n_ok++;
    const char *gold = row->label ? gold_label(r, row->label) : NULL;
    if (gold) {
        r->sum.n_labelled++;
        r->sum.n_correct += !strcmp(gold, pred);
    }
    const char *extra[SENTI_CLASSIFY_MAX_KEEP + 1];
    senti_pred_row_extra(r->p, row, r->layout.n_extra, extra);
    const senti_pred_row pr = {.id = id, .gold = gold, .pred = pred, .p = prob, .raw = prob,
                               .n_tokens = 0, .status = "ok", .extra = extra};
    if (r->out)
        senti_pred_csv_row(r->out, &r->layout, &pr);
    if (r->jsonl)
        senti_pred_jsonl_row(r->jsonl, &r->layout, &pr);
    return SENTI_OK;
}

static senti_status run_rows(bl_run *r, size_t n_total, double t0, senti_err *err)
{
    senti_dataset *d;
    senti_status s = senti_dataset_open(r->p->input_path, &r->p->data, &d, err);
    double *prob = malloc((size_t)r->k * sizeof *prob);
    if (!s && !prob)
        s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    senti_row row;
    bool have;
    while (!s && !(s = senti_dataset_next(d, &row, &have, err)) && have) {
        s = do_row(r, &row, prob, err);
        if (r->p->progress && (r->sum.n_rows % 256 == 0 || r->sum.n_rows == n_total))
            r->p->progress(r->p->progress_user, r->sum.n_rows, n_total, senti_now() - t0);
    }
    free(prob);
    senti_dataset_close(d);
    return s;
}

/* ---- manifest ---------------------------------------------------------------------- */

static json_t *manifest_json(const bl_run *r)
{
    const senti_classify_params *p = r->p;
    json_t *m = json_object(), *labels = json_array(), *counts = json_object();
    char sha[65];
    json_object_set_new(m, "senti_version", json_string(senti_version()));
    json_object_set_new(m, "model", json_null()); /* no language model */
    json_object_set_new(m, "data", senti_pred_manifest_input(&p->data, p->input_path, r->in_jsonl, r->cols, &r->layout));
    json_object_set_new(
        m, "verbalizer",
        r->verb ? json_pack("{s:s, s:s}", "path", p->verbalizer_path, "sha256", senti_verbalizer_sha256(r->verb))
                : json_null());
    for (int j = 0; j < r->k; j++)
        json_array_append_new(labels, json_string(senti_baseline_label(r->b, j)));
    json_t *ad = json_pack("{s:s, s:s, s:s, s:o}", "path", p->adapter_path, "kind", "baseline", "method",
                           senti_baseline_method_name(senti_baseline_get_method(r->b)), "labels", labels);
    senti_err e;
    json_object_set_new(ad, "sha256", senti_file_sha256(p->adapter_path, sha, &e) ? json_null() : json_string(sha));
    json_object_set_new(m, "adapter", ad);
    json_object_set_new(m, "calibration", json_pack("{s:s}", "method", "none"));
    json_object_set_new(counts, "rows", json_integer((json_int_t)r->sum.n_rows));
    json_object_set_new(counts, "ok", json_integer((json_int_t)r->sum.n_ok));
    json_object_set_new(counts, "truncated", json_integer(0));
    json_object_set_new(counts, "errors", json_integer(0));
    json_object_set_new(counts, "labelled", json_integer((json_int_t)r->sum.n_labelled));
    json_object_set_new(counts, "correct", json_integer((json_int_t)r->sum.n_correct));
    json_object_set_new(counts, "tokens_decoded", json_integer(0));
    json_object_set_new(m, "counts", counts);
    return m;
}


/* ---- the run -------------------------------------------------------------------------- */

static senti_status open_out(const char *path, senti_atomic_file *a, FILE **f, senti_err *err)
{
    if (!path)
        return SENTI_OK;
    senti_status s = senti_atomic_open(a, path, err);
    *f = s ? NULL : a->f;
    return s;
}

/* The adapter's labels as the predictions file's probability columns. */
static senti_status labels_layout(bl_run *r, senti_err *err)
{
    r->k = senti_baseline_n_labels(r->b);
    if (!(r->label_names = malloc((size_t)r->k * sizeof *r->label_names)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (int j = 0; j < r->k; j++)
        r->label_names[j] = senti_baseline_label(r->b, j);
    r->layout.labels = r->label_names;
    r->layout.n_labels = r->k;
    return SENTI_OK;
}

static senti_status setup(bl_run *r, size_t *n_total, senti_err *err)
{
    const senti_classify_params *p = r->p;
    senti_status s =
        p->input_path ? check_params(p, err) : senti_err_set(err, SENTI_ERR_ARG, "classify: the input is required");
    if (!s)
        s = senti_baseline_load(p->adapter_path, &r->b, err);
    if (!s)
        s = labels_layout(r, err);
    if (!s)
        s = senti_pred_layout_extra(p, r->extra_names, &r->layout, err);
    if (!s && p->verbalizer_path && !(s = senti_verbalizer_load(p->verbalizer_path, &r->verb, err)))
        s = check_labels(r, err);
    if (!s)
        s = validate_input(r, n_total, err);
    if (!s)
        s = open_out(p->output_path, &r->out_af, &r->out, err);
    if (!s)
        s = open_out(p->jsonl_path, &r->jsonl_af, &r->jsonl, err);
    if (!s && r->out)
        senti_pred_csv_header(r->out, &r->layout);
    return s;
}

senti_status senti_classify_baseline_run(const senti_classify_params *p, senti_classify_summary *sum, senti_err *err)
{
    bl_run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.sum.no_model = true;
    double t0 = senti_now();
    size_t n_total = 0;
    senti_status s = setup(&r, &n_total, err);
    if (!s)
        s = run_rows(&r, n_total, t0, err);
    senti_atomic_file manifest = {0};
    if (!s) {
        json_t *m = manifest_json(&r);
        s = senti_pred_manifest_write(p, m, &manifest, err);
        json_decref(m);
    }
    /* every output or none: renamed into place together once all are written */
    senti_atomic_file *all[] = {&r.out_af, &r.jsonl_af, &manifest};
    r.out = r.jsonl = NULL;
    if (s)
        senti_atomic_abort_all(all, 3);
    else
        s = senti_atomic_commit_all(all, 3, err);
    r.sum.seconds = senti_now() - t0;
    if (sum)
        *sum = r.sum;
    senti_verbalizer_free(r.verb);
    senti_baseline_free(r.b);
    free(r.label_names);
    for (int i = 0; i < 3; i++)
        free(r.cols[i]);
    return s;
}
