/*
 * senti/classify.h - label distributions for every row of a CSV file under one
 * prompting strategy (zero-shot or few-shot, with or without calibration).
 *
 * The pipeline, per run:
 *   1. validate the input CSV in one streaming pass: every row parses and every
 *      gold label is known to the verbalizer (else an error naming the label and
 *      the first row where it occurs), so no model work is spent on a file that
 *      would fail half-way;
 *   2. build the prompt parts (senti/prompt.h), tokenize the label words
 *      (senti/verbalizer.h), decode the shared prefix once (senti/scorer.h);
 *   3. for each row: fit the prompt to the context, score the label words, turn
 *      the label scores into the raw distribution, apply calibration, write the
 *      predictions row (in input order, one per input row, with a status);
 *   4. write the manifest (JSON) beside the predictions.
 * The predictions file is written to a temporary name and renamed at the end:
 * a file at the output path is always complete.
 *
 * Calibration methods (Zhao et al. 2021; Holtzman et al. 2021):
 *   none        p = softmax(label scores)
 *   contextual  p ∝ p_raw / mean_i p_cf(i), p_cf from content-free inputs
 *               ("N/A", "", "[MASK]" by default) in the same prompt
 *   pmi         label scores minus the label scores after the domain premise
 *               (the template's text after {text}, e.g. "Sentiment:")
 *   batch       p ∝ p_raw / mean over all scored rows of p_raw
 *               (holds every row's label probabilities, not its text, in memory)
 */
#ifndef SENTI_CLASSIFY_H
#define SENTI_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/dataset.h"
#include "senti/model.h"
#include "senti/prompt.h"
#include "senti/scorer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SENTI_MAX_LABELS 64
#define SENTI_CLASSIFY_MAX_KEEP 64 /* pass-through columns (keep_text + data.keep_cols) */

/* Rows are scored in groups of this many selected rows (rows [64 g, 64 g + 64));
 * the forward-pass packs are cut inside a group only. A run restricted to a
 * row range that starts on a group boundary (row_begin below) therefore
 * computes every row in the same company, with the same bits, as a whole run. */
#define SENTI_CLASSIFY_GROUP 64

typedef enum {
    SENTI_CALIB_NONE = 0,
    SENTI_CALIB_CONTEXTUAL = 1,
    SENTI_CALIB_PMI = 2,
    SENTI_CALIB_BATCH = 3
} senti_calib_method;

SENTI_API const char *senti_calib_name(senti_calib_method m);
/* Name -> method; SENTI_ERR_ARG naming the value (and the choices) if unknown. */
SENTI_API senti_status senti_calib_parse(const char *name, senti_calib_method *out, senti_err *err);

/* Progress callback: rows done so far (of n_total, 0 when unknown). */
typedef void (*senti_progress_fn)(void *user, size_t done, size_t n_total, double seconds);

typedef struct {
    /* model: either an already loaded model, or a path to load */
    senti_model *model;
    const char *model_path;
    int n_ctx;                    /* 0: min(n_ctx_train, 2048) */
    int n_threads;                /* 0: keep */
    /* data */
    const char *verbalizer_path;
    const char *input_path;       /* "-": standard input (read once into memory) */
    senti_dataset_params data;    /* columns, limit, sample, seed; data.keep_cols are copied into the
                                     outputs after senti's own columns, under their header names */
    bool keep_text;               /* copy each row's text into the outputs, as column "text" (before the
                                     kept columns); a pass-through name that is one of senti's own
                                     columns (id, gold, pred, p, raw_p, n_tokens, status, p_*, raw_p_*)
                                     or comes twice fails with SENTI_ERR_ARG */
    /* few-shot */
    const char *train_path;       /* NULL: zero-shot */
    senti_dataset_params train_data;
    senti_demo_params demos;      /* shots, sampling, order, per_row, seed */
    /* prompt */
    const char *tmpl;             /* NULL: verbalizer's or default */
    const char *instruction;
    const char *separator;
    int chat;                     /* -1 auto (from the GGUF), 0 off, 1 on */
    const char *system;
    bool demo_turns;              /* demonstrations as chat turns (senti/prompt.h; chat prompts only) */
    /* scoring */
    senti_agg agg;
    bool length_norm;
    senti_calib_method calib;
    const char *const *content_free; /* NULL: "N/A", "", "[MASK]" */
    size_t n_content_free;
    bool reuse_prefix;            /* default true; false for benchmarks */
    bool on_error_skip;           /* a row that cannot be scored gets status "error: ..." */
    /* outputs (any may be NULL; "-" is standard output, and at most one may be "-") */
    const char *output_path;      /* predictions CSV */
    const char *jsonl_path;       /* the same rows as JSON lines */
    const char *manifest_path;    /* NULL: output_path + ".manifest.json" when output_path is a file
                                     (none when it is "-") */
    const char *prompts_path;     /* JSON lines: each row's prompt text and token ids (for oracles) */
    const char *adapter_path;     /* NULL: none; a head (JSON) or LoRA (GGUF) adapter from senti finetune,
                                     or a baseline adapter (senti/baseline.h: majority, bow-logreg), which
                                     needs no model or verbalizer: the model is not loaded, the labels are
                                     the adapter's (a verbalizer, if given, must list the same, in order),
                                     and demonstrations, calibration and prompts files are refused */
    const char *score_cache_dir;  /* NULL: none; else label scores are looked up and stored in a
                                     content-addressed cache there (senti/scorecache.h), so rerunning
                                     the same prompts costs no model work. With a head adapter it holds
                                     the model's scores and hidden state before the head (heads of other
                                     seeds reuse them); not used with LoRA or baseline adapters. */
    /* Work units of a sharded or MPI run (senti/shard.h): classify only the
     * selected rows [row_begin, row_end) (row_end 0: to the end); the other
     * rows are read but not prompted nor scored. row_begin a multiple of
     * SENTI_CLASSIFY_GROUP keeps scores bit-identical to a whole run. */
    size_t row_begin, row_end;
    /* The last step of an MPI run (`mpirun senti classify`, docs/scale.md):
     * the ranks filled score_cache_dir for this very run, so a cache hit counts
     * as the work it stands for (n_tokens gets the tokens recorded with it,
     * n_cached does not count it) and the manifest has the bytes of a
     * single-process run's. */
    bool cache_is_work;
    senti_progress_fn progress;
    void *progress_user;
} senti_classify_params;

SENTI_API senti_classify_params senti_classify_default_params(void);

typedef struct {
    size_t n_rows;       /* rows in the output (= selected input rows) */
    size_t n_ok;
    size_t n_truncated;  /* scored with demonstrations dropped or text cut */
    size_t n_errors;     /* rows with an error status (only with on_error_skip) */
    size_t n_labelled;   /* scored rows with a gold label */
    size_t n_correct;
    size_t n_tokens;     /* tokens decoded by the model, all rows */
    size_t n_cached;     /* prompts (rows and calibration inputs) answered by the score cache */
    double seconds;
    bool model_error;    /* the failure came from loading or running the model */
    bool no_model;       /* a baseline adapter ran: no language model was loaded */
    int chat;            /* the prompts' chat format (senti_chat_format; SENTI_CHAT_NONE: plain text) */
} senti_classify_summary;

SENTI_API senti_status senti_classify_run(const senti_classify_params *p, senti_classify_summary *sum, senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_CLASSIFY_H */
