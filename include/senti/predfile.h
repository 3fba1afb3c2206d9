/*
 * senti/predfile.h - read a predictions CSV (ours or another tool's) into
 * label indices and a probability matrix for the metrics.
 *
 * Contract:
 *   - The first record is a header. Columns are found by name:
 *       gold    gold label (required; default name "gold")
 *       p_<L>   probability of label L (default: every column named with the
 *               prefix "p_", in file order; or an explicit list, see prob_cols)
 *       pred    predicted label (optional; absent = argmax of the probabilities,
 *               ties to the first label column)
 *       id      row id (optional)
 *       status  optional; rows whose status is neither "ok" nor "truncated" are
 *               skipped and counted (senti classify writes error text there)
 *   - The label space is the probability columns. Without any probability
 *     column, the labels are the sorted distinct gold and pred values and the
 *     probabilistic metrics are unavailable.
 *   - Probabilities must be finite, in [0, 1] (a value up to 1 + `tol` is read
 *     as 1), and each row must sum to 1 within `tol`; otherwise it is an error naming the file and the data row (data
 *     rows count from 1 after the header), unless `renormalize` is set, in which
 *     case rows with a positive finite sum are divided by it (and counted).
 *   - Gold or pred values outside the label space are errors naming the row.
 */
#ifndef SENTI_PREDFILE_H
#define SENTI_PREDFILE_H

#include <stddef.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most labels a predictions file may have: metrics keep k x k confusion
 * matrices for every bootstrap replicate, so more is refused (a located
 * SENTI_ERR_RANGE) rather than taking minutes and gigabytes. */
#define SENTI_PREDFILE_MAX_LABELS 1000

typedef struct {
    const char *gold_col;    /* default "gold" */
    const char *pred_col;    /* default "pred"; NULL or "" = always argmax */
    const char *id_col;      /* default "id"; absent column = no ids */
    const char *status_col;  /* default "status"; absent column = every row counts */
    const char *prob_prefix; /* default "p_" */
    const char *prob_cols;   /* NULL = by prefix; else comma-separated "col" or
                                "label=col" items (label defaults to col minus
                                the prefix when it has it); one naming no
                                column ("", ",") is SENTI_ERR_ARG */
    double tol;              /* row-sum tolerance, default 1e-6 */
    int renormalize;         /* divide rows by their sum instead of failing */
} senti_predfile_params;

SENTI_API senti_predfile_params senti_predfile_default_params(void);

typedef struct {
    char *path;        /* owned copy of the file name */
    size_t n;          /* rows kept */
    int k;             /* labels */
    char **labels;     /* [k] owned label names */
    char **ids;        /* [n] owned row ids, or NULL without an id column */
    int *gold;         /* [n] */
    int *pred;         /* [n] from the pred column, or argmax */
    double *prob;      /* [n * k] row-major, or NULL without probability columns */
    int pred_from_file; /* 1 when a pred column was used */
    size_t n_skipped;  /* rows skipped for their status */
    size_t first_skipped_row; /* data row of the first skipped row (0 = none) */
    size_t n_renormalized; /* rows divided by their sum */
} senti_predfile;

/* Read `path` (params NULL = defaults). On success fills *out; release with
 * senti_predfile_free. On error *out is empty and err names file and row. */
SENTI_API senti_status senti_predfile_read(const char *path, const senti_predfile_params *params,
                                           senti_predfile *out, senti_err *err);
SENTI_API void senti_predfile_free(senti_predfile *pf);

/* Label index of `name`, or -1. */
SENTI_API int senti_predfile_label_index(const senti_predfile *pf, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_PREDFILE_H */
