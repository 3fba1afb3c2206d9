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
#include <csv.h>
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

typedef struct {
    const senti_classify_params *p;
    senti_baseline *b;
    senti_verbalizer *verb; /* NULL when none was given */
    int k;
    senti_atomic_file out_af, jsonl_af;
    FILE *out, *jsonl;
    senti_classify_summary sum;
} bl_run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
    char buf[4096];
    const char *manifest = p->manifest_path;
    if (!manifest && p->output_path) {
        snprintf(buf, sizeof buf, "%s.manifest.json", p->output_path);
        manifest = buf;
    }
    const senti_path_role out[] = {
        {p->output_path, "predictions file"}, {p->jsonl_path, "JSON lines file"}, {manifest, "manifest"}};
    const senti_path_role in[] = {
        {p->input_path, "input"}, {p->verbalizer_path, "verbalizer"}, {p->adapter_path, "adapter"}};
    return senti_check_outputs(out, 3, in, 3, err);
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

static int label_index(const bl_run *r, const char *label)
{
    for (int j = 0; j < r->k; j++)
        if (!strcmp(senti_baseline_label(r->b, j), label))
            return j;
    return -1;
}

/* Stream the input once: rows parse, gold labels are the adapter's. */
static senti_status validate_input(const bl_run *r, size_t *n_rows, senti_err *err)
{
    senti_dataset *d;
    senti_status s = senti_dataset_open(r->p->input_path, &r->p->data, &d, err);
    senti_row row;
    bool have;
    *n_rows = 0;
    while (!s && !(s = senti_dataset_next(d, &row, &have, err)) && have) {
        (*n_rows)++;
        if (row.label && label_index(r, row.label) < 0)
            s = senti_err_set(err, SENTI_ERR_NOTFOUND,
                              "%s:%zu: label '%s' (first seen in data row %zu) is not a label of adapter %s",
                              r->p->input_path, row.line, row.label, row.row, r->p->adapter_path);
    }
    senti_dataset_close(d);
    return s;
}

/* ---- rows --------------------------------------------------------------------- */

static void put_field(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(f, s, strlen(s));
    else
        fputs(s, f);
    fputc(last ? '\n' : ',', f);
}

static senti_status write_header(bl_run *r, senti_err *err)
{
    put_field(r->out, "id", false);
    put_field(r->out, "gold", false);
    put_field(r->out, "pred", false);
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < r->k; j++) {
            const char *label = senti_baseline_label(r->b, j);
            char *name = malloc(strlen(label) + 7);
            if (!name)
                return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            sprintf(name, "%s%s", pass ? "raw_p_" : "p_", label);
            put_field(r->out, name, false);
            free(name);
        }
    put_field(r->out, "n_tokens", false);
    put_field(r->out, "status", true);
    return SENTI_OK;
}

static void write_csv_row(bl_run *r, const char *id, const char *gold, const char *pred, const double *prob)
{
    char buf[64];
    put_field(r->out, id, false);
    put_field(r->out, gold ? gold : "", false);
    put_field(r->out, pred, false);
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < r->k; j++) {
            snprintf(buf, sizeof buf, "%.9g", prob[j]);
            put_field(r->out, buf, false);
        }
    put_field(r->out, "0", false);
    put_field(r->out, "ok", true);
}

static void write_jsonl_row(bl_run *r, const char *id, const char *gold, const char *pred, const double *prob)
{
    json_t *o = json_object(), *pj = json_object(), *rj = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "gold", gold ? json_string(gold) : json_null());
    json_object_set_new(o, "pred", json_string(pred));
    for (int j = 0; j < r->k; j++) {
        json_object_set_new(pj, senti_baseline_label(r->b, j), json_real(prob[j]));
        json_object_set_new(rj, senti_baseline_label(r->b, j), json_real(prob[j]));
    }
    json_object_set_new(o, "p", pj);
    json_object_set_new(o, "raw_p", rj);
    json_object_set_new(o, "n_tokens", json_integer(0));
    json_object_set_new(o, "status", json_string("ok"));
    json_dumpf(o, r->jsonl, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', r->jsonl);
    json_decref(o);
}

/* One row: its distribution, the prediction (ties: the first label), the outputs. */
static senti_status do_row(bl_run *r, const senti_row *row, double *prob, senti_err *err)
{
    senti_baseline_predict(r->b, row->text, row->text_len, prob);
    for (int j = 0; j < r->k; j++)
        if (!isfinite(prob[j]))
            return senti_err_set(err, SENTI_ERR_NOMEM, "%s:%zu: data row %zu: out of memory", r->p->input_path,
                                 row->line, row->row);
    const char *pred = senti_baseline_label(r->b, senti_argmax_row(prob, r->k));
    char num[32];
    snprintf(num, sizeof num, "%zu", row->row);
    const char *id = row->id ? row->id : num;
    r->sum.n_rows++;
    r->sum.n_ok++;
    if (row->label) {
        r->sum.n_labelled++;
        r->sum.n_correct += !strcmp(row->label, pred);
    }
    if (r->out)
        write_csv_row(r, id, row->label, pred, prob);
    if (r->jsonl)
        write_jsonl_row(r, id, row->label, pred, prob);
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
            r->p->progress(r->p->progress_user, r->sum.n_rows, n_total, now_s() - t0);
    }
    free(prob);
    senti_dataset_close(d);
    return s;
}

/* ---- manifest ---------------------------------------------------------------------- */

static json_t *opt_str(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *manifest_json(const bl_run *r)
{
    const senti_classify_params *p = r->p;
    json_t *m = json_object(), *data = json_object(), *labels = json_array(), *counts = json_object();
    char sha[65];
    json_object_set_new(m, "senti_version", json_string(senti_version()));
    json_object_set_new(m, "model", json_null()); /* no language model */
    json_object_set_new(data, "path", json_string(p->input_path));
    json_object_set_new(data, "text_col", opt_str(p->data.text_col));
    json_object_set_new(data, "label_col", opt_str(p->data.label_col));
    json_object_set_new(data, "id_col", opt_str(p->data.id_col));
    json_object_set_new(data, "limit", json_integer((json_int_t)p->data.limit));
    json_object_set_new(data, "sample", json_integer((json_int_t)p->data.sample));
    json_object_set_new(data, "sample_seed", json_integer((json_int_t)p->data.seed));
    json_object_set_new(m, "data", data);
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

static senti_status write_manifest(const bl_run *r, senti_err *err)
{
    char buf[4096];
    const char *path = r->p->manifest_path;
    if (!path && r->p->output_path) {
        snprintf(buf, sizeof buf, "%s.manifest.json", r->p->output_path);
        path = buf;
    }
    if (!path)
        return SENTI_OK;
    json_t *m = manifest_json(r);
    senti_atomic_file a;
    senti_status s = senti_atomic_open(&a, path, err);
    if (!s && json_dumpf(m, a.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        senti_atomic_abort(&a);
        s = senti_err_set(err, SENTI_ERR_IO, "%s: cannot write the manifest", path);
    } else if (!s) {
        s = senti_atomic_commit(&a, err);
    }
    json_decref(m);
    return s;
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

static senti_status setup(bl_run *r, size_t *n_total, senti_err *err)
{
    const senti_classify_params *p = r->p;
    senti_status s =
        p->input_path ? check_params(p, err) : senti_err_set(err, SENTI_ERR_ARG, "classify: the input is required");
    if (!s)
        s = senti_baseline_load(p->adapter_path, &r->b, err);
    if (!s)
        r->k = senti_baseline_n_labels(r->b);
    if (!s && p->verbalizer_path && !(s = senti_verbalizer_load(p->verbalizer_path, &r->verb, err)))
        s = check_labels(r, err);
    if (!s)
        s = validate_input(r, n_total, err);
    if (!s)
        s = open_out(p->output_path, &r->out_af, &r->out, err);
    if (!s)
        s = open_out(p->jsonl_path, &r->jsonl_af, &r->jsonl, err);
    if (!s && r->out)
        s = write_header(r, err);
    return s;
}

senti_status senti_classify_baseline_run(const senti_classify_params *p, senti_classify_summary *sum, senti_err *err)
{
    bl_run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.sum.no_model = true;
    double t0 = now_s();
    size_t n_total = 0;
    senti_status s = setup(&r, &n_total, err);
    if (!s)
        s = run_rows(&r, n_total, t0, err);
    if (!s && r.out) {
        r.out = NULL;
        s = senti_atomic_commit(&r.out_af, err);
    }
    if (!s && r.jsonl) {
        r.jsonl = NULL;
        s = senti_atomic_commit(&r.jsonl_af, err);
    }
    if (!s)
        s = write_manifest(&r, err);
    if (r.out)
        senti_atomic_abort(&r.out_af);
    if (r.jsonl)
        senti_atomic_abort(&r.jsonl_af);
    r.sum.seconds = now_s() - t0;
    if (sum)
        *sum = r.sum;
    senti_verbalizer_free(r.verb);
    senti_baseline_free(r.b);
    return s;
}
