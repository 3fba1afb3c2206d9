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

#include "senti/common.h"
#include "senti/verbalizer.h"

/* What every row of one run has. */
typedef struct {
    const senti_verbalizer *verb; /* label names, in verbalizer order */
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

void senti_pred_csv_header(FILE *f, const senti_pred_layout *L);
void senti_pred_csv_row(FILE *f, const senti_pred_layout *L, const senti_pred_row *row);
void senti_pred_jsonl_row(FILE *f, const senti_pred_layout *L, const senti_pred_row *row);

#endif
