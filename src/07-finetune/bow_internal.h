/*
 * bow_internal.h - the bow-logreg model as a JSON object, for the baseline
 * adapter files (baseline.c) that add their provenance to it. Not installed.
 */
#ifndef SENTI_BOW_INTERNAL_H
#define SENTI_BOW_INTERNAL_H

#include <jansson.h>

#include "senti/baseline.h"

/* The model as saved by senti_bow_save (format "senti-bow-logreg", version 1);
 * a new reference, NULL when out of memory. */
json_t *senti_bow_to_json(const senti_bow *b);
/* Read a model from such an object (other keys are ignored); `path` names the
 * file in messages. */
senti_status senti_bow_from_json(senti_bow **out, const json_t *o, const char *path, senti_err *err);

/* Parse the JSON file at path (duplicate keys refused) into *o: a read
 * failure is SENTI_ERR_IO, a syntax error SENTI_ERR_FORMAT at "path:line:col". */
senti_status senti_bow_read_json(const char *path, json_t **o, senti_err *err);

/* Write o compactly (reals to 17 digits) to path through the atomic writer. */
senti_status senti_bow_write_json(const json_t *o, const char *path, senti_err *err);

/* A label_map object (dataset value -> one of the adapter's labels; NULL or null: none) into
 * the baseline; a bad one is SENTI_ERR_FORMAT naming `path`. */
senti_status senti_baseline_map_from_json(senti_baseline *b, const json_t *map, const char *path, senti_err *err);

#endif
