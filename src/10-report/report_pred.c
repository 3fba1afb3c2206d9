/*
 * report_pred.c - a report for one predictions file: the CSV that `senti
 * classify` writes (or another tool's; the reader of `senti eval`,
 * senti/predfile.h) becomes an in-memory results tree with one cell, so the
 * same writers and gates apply. Nothing is written to disk.
 *
 * The cell has the fields of a results.json cell (docs/reports.md) plus
 * "worst_calibrated": the rows whose confidence is furthest from being right,
 * |p(pred) - [pred == gold]|, largest first (ties: file order). The root
 * carries "source": {"kind": "predictions", path, sha256, rows, skipped,
 * renormalized}, which the writers use to lay out a one-file report.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_internal.h"
#include "senti/metrics.h"
#include "00-base/base.h"
#include "09-eval/eval_json.h"

/* Miscalibration of row i: |p(pred) - [pred == gold]|. */
static double row_gap(const senti_predfile *pf, size_t i)
{
    double conf = pf->prob[i * (size_t)pf->k + (size_t)pf->pred[i]];
    return fabs(conf - (pf->gold[i] == pf->pred[i] ? 1.0 : 0.0));
}

/* The `cap` rows with the largest gap, largest first, ties in file order
 * (an insertion into a short sorted list: one pass over the rows). */
static json_t *worst_rows(const senti_predfile *pf, size_t cap)
{
    size_t top[REP_WORST_ROWS], n = 0;
    cap = cap > REP_WORST_ROWS ? REP_WORST_ROWS : cap;
    for (size_t i = 0; pf->prob && i < pf->n; i++) {
        double g = row_gap(pf, i);
        size_t j = n < cap ? n : cap;
        while (j > 0 && row_gap(pf, top[j - 1]) < g) /* strictly less: an earlier row wins a tie */
            j--;
        if (j >= cap)
            continue;
        size_t end = n < cap ? n : cap - 1;
        memmove(top + j + 1, top + j, (end - j) * sizeof *top);
        top[j] = i;
        n += n < cap;
    }
    json_t *a = json_array();
    for (size_t t = 0; t < n; t++) {
        size_t i = top[t];
        char no[24];
        snprintf(no, sizeof no, "%zu", i + 1);
        json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:f, s:b, s:f}", "row", (json_int_t)(i + 1), "id",
                                           pf->ids ? pf->ids[i] : no, "gold", pf->labels[pf->gold[i]], "pred",
                                           pf->labels[pf->pred[i]], "confidence",
                                           pf->prob[i * (size_t)pf->k + (size_t)pf->pred[i]], "correct",
                                           pf->gold[i] == pf->pred[i], "gap", row_gap(pf, i)));
    }
    return a;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static json_t *pred_cell(const senti_predfile *pf, const senti_metrics *m)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "name", base_name(pf->path), "model", "",
                          "dataset", "", "verbalizer", "", "strategy", "", "kind", "predictions", "shots", 0,
                          "calibration", "", "status", "ok");
    senti_eval_cell_json(o, pf, m, NULL);
    if (pf->prob)
        json_object_set_new(o, "worst_calibrated", worst_rows(pf, REP_WORST_ROWS));
    return o;
}

/* ---- the tree ------------------------------------------------------------------- */

static senti_status pred_tree(const senti_predfile *pf, const senti_metrics *m, const senti_eval_params *ev,
                              json_t **out, senti_err *err)
{
    char sha[65];
    senti_status s = senti_file_sha256(pf->path, sha, err);
    if (s)
        return s;
    *out = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:I, s:I, s:I}, s:{s:s, s:s, s:s, s:s}, "
                     "s:{s:i, s:I, s:i, s:f}, s:[o]}",
                     "schema", "senti-results/1", "senti_version", senti_version(), "source", "kind", "predictions",
                     "path", pf->path, "sha256", sha, "rows", (json_int_t)(pf->n + pf->n_skipped), "skipped",
                     (json_int_t)pf->n_skipped, "renormalized", (json_int_t)pf->n_renormalized, "experiment", "name",
                     base_name(pf->path), "description", "", "file", pf->path, "sha256", sha, "eval", "bootstrap",
                     ev->bootstrap, "seed", (json_int_t)ev->seed, "bins", ev->n_bins, "ci_level", ev->ci_level,
                     "cells", pred_cell(pf, m));
    return *out ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
}

senti_status senti_results_from_predictions(const char *path, const senti_predfile_params *rd,
                                            const senti_eval_params *ev, senti_results **out, senti_err *err)
{
    *out = NULL;
    senti_eval_params e = ev ? *ev : senti_eval_default_params();
    senti_predfile pf;
    senti_status s = senti_predfile_read(path, rd, &pf, err);
    if (s)
        return s;
    if (pf.n == 0) {
        senti_predfile_free(&pf);
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: no rows to evaluate", path);
    }
    senti_eval_input in = {pf.n, pf.k, pf.gold, pf.pred, pf.prob};
    senti_metrics m;
    json_t *root = NULL;
    if (!(s = senti_metrics_compute(&in, &e, &m, err))) {
        s = pred_tree(&pf, &m, &e, &root, err);
        senti_metrics_free(&m);
    }
    senti_predfile_free(&pf);
    if (s)
        return s;
    senti_results *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        json_decref(root);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    r->root = root;
    r->cells = json_object_get(root, "cells");
    r->source = json_object_get(root, "source");
    *out = r;
    return SENTI_OK;
}

bool senti_results_is_predictions(const senti_results *r) { return r && r->source; }

/* ---- which kind of input -------------------------------------------------------- */

/* First byte that is not white space (or a UTF-8 byte order mark); EOF if none. */
static int first_byte(const char *path, senti_err *err, senti_status *s)
{
    FILE *f = senti_open_input(path); /* "-": standard input */
    if (!f) {
        *s = senti_err_set(err, SENTI_ERR_IO, "%s: %s", path, strerror(errno));
        return EOF;
    }
    int c;
    while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xEF || c == 0xBB ||
                                      c == 0xBF))
        ;
    fclose(f);
    *s = SENTI_OK;
    return c;
}

senti_status senti_results_open(const char *path, const senti_predfile_params *rd, const senti_eval_params *ev,
                                senti_results **out, senti_err *err)
{
    *out = NULL;
    struct stat st;
    senti_status s;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return senti_results_load(path, out, err);
    int c = first_byte(path, err, &s);
    if (s)
        return s;
    if (c == '{' || c == '[')
        return senti_results_load(path, out, err);
    s = senti_results_from_predictions(path, rd, ev, out, err);
    if (s == SENTI_ERR_FORMAT || s == SENTI_ERR_ARG || s == SENTI_ERR_NOTFOUND) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return senti_err_set(err, s,
                             "%s: expected an experiment directory, a results.json (senti run) or a predictions CSV "
                             "(senti classify: gold, p_<label> columns; see senti eval --help): %s",
                             path, why);
    }
    return s;
}
