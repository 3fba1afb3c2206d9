/*
 * baseline_internal.h - the classifier's path for baseline adapters
 * (classify_bow.c), taken by senti_classify_run when --adapter names one.
 * Not installed.
 */
#ifndef SENTI_CLASSIFY_BASELINE_INTERNAL_H
#define SENTI_CLASSIFY_BASELINE_INTERNAL_H

#include "senti/classify.h"

/* senti_classify_run for p->adapter_path a baseline adapter: no model is
 * loaded (p->model, p->model_path are not used). */
senti_status senti_classify_baseline_run(const senti_classify_params *p, senti_classify_summary *sum, senti_err *err);

#endif
