/*
 * classify_out.h - the writers of the predictions file (CSV) and its JSON
 * lines twin, private to 08-classify (classify_out.c). classify.c decides
 * what a row holds; these functions only lay it out.
 *
 * CSV columns: id, gold, pred, p_<label>..., raw_p_<label>..., n_tokens,
 * status, then the pass-through columns (--keep-text, --keep-cols) in order.
 * A JSON line has the keys id, gold, pred, p, raw_p, n_tokens, status, then
 * the pass-through columns.
 */
#ifndef SENTI_CLASSIFY_OUT_H
#define SENTI_CLASSIFY_OUT_H

#include <stdio.h>

#include <jansson.h>

#include "00-base/base.h"
#include "senti/classify.h"
#include "senti/common.h"
#include "senti/dataset.h"

/* What every row of one run has. */
typedef struct {
    const char *const *labels;    /* [n_labels] label names, in verbalizer (or adapter) order */
    int n_labels;
    const char *const *extra;     /* [n_extra] names of the pass-through columns */
    size_t n_extra;
} senti_pred_layout;

/* One row. A failed row has pred, p and raw NULL (empty fields, JSON null). */
typedef struct {
    const char *id;
    const char *gold;             /* NULL: no gold label */
    const char *pred;
    const double *p, *raw;        /* [n_labels] calibrated and raw distributions */
    size_t n_tokens;
    const char *status;
    const char *const *extra;     /* [n_extra] values of the pass-through columns */
} senti_pred_row;

/* SENTI_ERR_ARG naming the first pass-through column whose name is one of
 * senti's own (id, gold, pred, p, raw_p, n_tokens, status, or a name that
 * starts with p_ or raw_p_, the probability columns), or that comes twice. */
senti_status senti_pred_check_extra(const senti_pred_layout *L, senti_err *err);

/* The pass-through columns of p (keep_text's "text", then data.keep_cols)
 * into names[] (room for SENTI_CLASSIFY_MAX_KEEP + 1) and L->extra, checked
 * with senti_pred_check_extra. */
senti_status senti_pred_layout_extra(const senti_classify_params *p, const char **names, senti_pred_layout *L,
                                     senti_err *err);

/* A row's pass-through values, pointing into row (vals: room for L->n_extra). */
void senti_pred_row_extra(const senti_classify_params *p, const senti_row *row, size_t n_extra, const char **vals);

/* The manifest's path: --manifest, else OUTPUT.manifest.json; NULL when
 * there is neither or the predictions go to standard output. */
const char *senti_pred_manifest_path(const senti_classify_params *p, char *buf, size_t cap);

/* The manifest m written to a temporary file at that path, left open in *a for
 * the caller to commit with the predictions (senti_atomic_commit_all); *a stays
 * closed when there is no manifest path. */
senti_status senti_pred_manifest_write(const senti_classify_params *p, const json_t *m, senti_atomic_file *a,
                                       senti_err *err);

/* No output of p may replace an input or another output (before anything is written). */
senti_status senti_pred_check_paths(const senti_classify_params *p, senti_err *err);

/* Stream p's input once: count its rows (*n_rows), note whether it is JSON
 * lines and its text, label and id columns as found (cols[3], copies the
 * caller frees; NULL: none), and stop at the first gold label that known()
 * rejects: SENTI_ERR_NOTFOUND "<input>:<line>: label '<x>' (first seen in
 * data row <n>) is not <what>". */
senti_status senti_pred_scan_input(const senti_classify_params *p, bool (*known)(const void *user, const char *label),
                                   const void *user, const char *what, size_t *n_rows, bool *jsonl, char *cols[3],
                                   senti_err *err);

/* The manifest's "data" object of an input read with dp: its format and
 * columns as found (cols: text, label, id; NULL: none) and the pass-through
 * columns of L. */
json_t *senti_pred_manifest_input(const senti_dataset_params *dp, const char *path, bool jsonl,
                                  char *const cols[3], const senti_pred_layout *L);

void senti_pred_csv_header(FILE *f, const senti_pred_layout *L);
void senti_pred_csv_row(FILE *f, const senti_pred_layout *L, const senti_pred_row *row);
void senti_pred_jsonl_row(FILE *f, const senti_pred_layout *L, const senti_pred_row *row);

#endif
