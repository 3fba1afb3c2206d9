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

/* The files a cell reads, hashed at most once per run (cell_inputs.c). */
typedef struct senti_sha_memo senti_sha_memo;
senti_sha_memo *senti_sha_memo_new(void); /* NULL when out of memory */
void senti_sha_memo_free(senti_sha_memo *m);

/* {"data": SHA-256, "train": ..., "verbalizer": ..., "adapter": ..., "recipe": ...}:
 * the files cell c reads, by role (roles it does not read are absent).
 * Fails (located) on a file that cannot be read. */
senti_status senti_cell_inputs(const senti_cell *c, senti_sha_memo *m, json_t **out, senti_err *err);

/* Whether `recorded` (a cell.json's "inputs") equals the cell's inputs now. */
bool senti_cell_inputs_current(const json_t *recorded, const senti_cell *c, senti_sha_memo *m);

/* mkdir -p (every missing component created). */
senti_status senti_run_mkdirs(const char *path, senti_err *err);

/* o as indented JSON (the results.json style) into path, atomically. */
senti_status senti_run_write_json(json_t *o, const char *path, senti_err *err);

#endif
