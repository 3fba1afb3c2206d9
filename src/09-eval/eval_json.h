/*
 * eval_json.h - one evaluated predictions file as the JSON of a results.json
 * cell, for the runner (11-experiment) and the one-file report (10-report).
 *
 * Included as "09-eval/eval_json.h" from the layers above.
 */
#ifndef SENTI_EVAL_JSON_H
#define SENTI_EVAL_JSON_H

#include <jansson.h>

#include "senti/metrics.h"
#include "senti/predfile.h"

/* Append to `cell`, in this order: labels, display (display[k], or the label
 * when display is NULL), n, correct, skipped, metrics {value, lo, hi} (null for
 * non-finite), per_class, confusion, reliability, rows_sha256 (SHA-256 of the
 * rows' "id\tgold" lines) and correct_bits (row correctness as hex, 4 rows a
 * digit, first row = high bit). */
void senti_eval_cell_json(json_t *cell, const senti_predfile *pf, const senti_metrics *m,
                          const char *const *display);

#endif
