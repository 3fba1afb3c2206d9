/*
 * testutil.h - helpers shared by the test suites.
 */
#ifndef SENTI_TESTUTIL_H
#define SENTI_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "senti/predfile.h"

/* Declarations of every suite constructor (generated list, see the Makefile). */
#define SUITE(name) Suite *name##_suite(void);
#include "suites.inc"
#undef SUITE

/* Path of a real model under $SENTI_MODEL_DIR (default "models"); static storage.
 * `make check` fetches the models first, so a missing file is a test failure. */
const char *tu_model_path(const char *file);
#define TU_SMOLLM2 "SmolLM2-135M-Instruct.Q4_1.gguf"
#define TU_GEMMA3 "gemma-3-270m-q4_k_m.gguf"
#define TU_QWEN05 "qwen2.5-coder-0.5b-instruct.gguf" /* fetched by make check, like Gemma 3 */
#define TU_QWEN15 "qwen2.5-coder-1.5b-instruct.gguf" /* optional: make models-large */

/* Whether an optional model file (TU_QWEN15) is present under $SENTI_MODEL_DIR.
 * When it is not, prints "SKIP <test>: <path> not present (make check-large
 * fetches it and runs this test)" to stderr and returns false, so the caller
 * returns without checking anything. With SENTI_REQUIRE_LARGE=1 (set by make
 * check-large) a missing file fails the test instead of skipping it. */
bool tu_optional_model(const char *file, const char *test);

/* Path of a committed fixture under tests/data/ (the runner is started from
 * the repository root); static storage. */
const char *tu_data_path(const char *rel);

/* Path of a file of the shared datasets (e.g. "sst2/dev.csv") under
 * $SENTI_DATASETS, default "../shared/datasets" (relative to the repository
 * root, where the runner starts). Static storage that stays valid for the next
 * three calls too, so that an input and a train path can be held together. */
const char *tu_dataset_path(const char *rel);
#define TU_DATASETS_DEFAULT "../shared/datasets"

/* A fresh temporary file path (mkstemp) in $TMPDIR; caller frees with free(). */
char *tu_tmpfile(const char *suffix);

/* Read a whole file; caller frees. NULL on error. */
char *tu_read_file(const char *path, size_t *len);

/* A committed JSON fixture under tests/data/ (the test fails naming the file
 * when it cannot be read); caller json_decref()s it. */
json_t *tu_load_json(const char *rel);
/* The number at `key` of a JSON object (0 when absent). */
double tu_json_num(json_t *o, const char *key);

/* A committed predictions fixture under tests/data/, read with the default
 * reader settings (the test fails with the reader's message otherwise). */
void tu_read_predfile(const char *rel, senti_predfile *pf);

/* ---- kernel levels (senti_isa_*) ----
 * The kernel tests loop over every level the running CPU supports, scalar
 * first and the best (the default) last. tu_isa_levels fills levels[] with
 * them and returns how many; it prints on stderr, naming them, the levels
 * this CPU lacks: those are not tested (and not counted). */
int tu_isa_levels(const char *suite, int levels[]);
/* Force kernel level isa for the rest of the test (fails the test if refused). */
void tu_isa_use(int isa);
/* Back to the default level (a checked fixture's teardown). */
void tu_isa_reset(void);

#endif
