/*
 * runner_internal.h - what the runner shares with the sharded and MPI runs of
 * the same layer (shard.c): the classifier's settings of a cell and two file
 * helpers. Not installed.
 */
#ifndef SENTI_RUNNER_INTERNAL_H
#define SENTI_RUNNER_INTERNAL_H

#include <jansson.h>

#include "senti/classify.h"
#include "senti/experiment.h"

/* The classifier's parameters of cell c exactly as `senti run` sets them
 * (model, data, demonstrations, chat, calibration, adapter), with the score
 * cache in cache_dir and no outputs, row range or progress set. Fails only on
 * a calibration name the parser let through (SENTI_ERR_ARG). */
senti_status senti_run_cell_params(const senti_cell *c, int threads, const char *cache_dir,
                                   senti_classify_params *out, senti_err *err);

/* mkdir -p (every missing component created). */
senti_status senti_run_mkdirs(const char *path, senti_err *err);

/* o as indented JSON (the results.json style) into path, atomically. */
senti_status senti_run_write_json(json_t *o, const char *path, senti_err *err);

#endif
