/*
 * eval_internal.h - private interface between metrics.c (metrics as weighted
 * sums over precomputed rows) and evaluate.c (the full report).
 */
#ifndef SENTI_EVAL_INTERNAL_H
#define SENTI_EVAL_INTERNAL_H

#include "senti/metrics.h"

/* The point estimates of every metric (all row weights 1) into m->value, and
 * the details beside them: per-class table, confusion matrix, reliability
 * bins (when m->reliability is allocated) and top_pred_disagree. m->n_bins,
 * m->per_class and m->confusion are set by the caller. SENTI_ERR_NOMEM is the
 * only failure. */
senti_status senti_eval_prep_point(const senti_eval_prep *p, const senti_eval_input *in, senti_metrics *m);

#endif
