/*
 * classify_internal.h - the state of one classification run, private to
 * 08-classify: classify.c sets it up and runs the rows, classify_manifest.c
 * describes it in the manifest.
 */
#ifndef SENTI_CLASSIFY_INTERNAL_H
#define SENTI_CLASSIFY_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "senti/classify.h"
#include "senti/finetune.h"
#include "senti/scorecache.h"

#include "00-base/base.h"
#include "classify_out.h"

/* One scored (or failed) row, kept until it is written. */
typedef struct {
    char *id;       /* row id, or the row number as text */
    char *gold;     /* NULL without a label column */
    char *status;   /* "ok", "truncated" or "error: ..." */
    size_t n_tokens;
    double *raw;    /* [n_labels] raw distribution (NULL on error) */
    double *score;  /* [n_labels] label scores (log space) */
    char **extra;   /* [layout.n_extra + 1] pass-through values, NULL-terminated (NULL: none) */
} row_record;

typedef struct {
    const senti_classify_params *p;
    senti_model *model;
    bool own_model;
    const senti_tokenizer *tok;
    senti_context *ctx;
    senti_verbalizer *verb;
    senti_chat_info chat;
    senti_prompt *prompt;
    senti_prompt *premise_prompt;   /* pmi: renders the domain premise as the row */
    senti_examples *train;
    senti_demo_sampler *sampler;
    senti_label_words_buf lw;       /* owns the label words below */
    const senti_verbalizer_tokens *vt; /* = lw.vt */
    senti_label_words words;        /* = lw.w, flattened for the scorer */
    senti_scorer *sc;
    int n_labels;
    int tok_flags;
    int32_t *ids;                   /* token buffer */
    size_t cap_ids;
    char *last_prefix;              /* text of the current prefix (NULL: none yet) */
    int32_t *prefix_ids;            /* its tokens, handed to the scorer when a row needs the model */
    size_t n_prefix_ids, cap_prefix_ids;
    double *word_lp;                /* [n_words] */
    double *bias;                   /* [n_labels] subtracted from label scores when calibrating */
    row_record *held;               /* batch calibration: all rows */
    size_t n_held, cap_held;
    FILE *out, *jsonl, *prompts;
    senti_atomic_file out_af, jsonl_af, prompts_af; /* the files behind out, jsonl, prompts */
    json_t *manifest;
    char *cols[3];                  /* the input's text, label and id columns as found (NULL: none) */
    bool in_jsonl;                  /* the input is JSON lines */
    senti_pred_layout layout;       /* the predictions file's columns (classify_out.h) */
    const char *extra_names[SENTI_CLASSIFY_MAX_KEEP + 1]; /* layout.extra: "text" (keep_text), kept columns */
    const char *label_names[SENTI_MAX_LABELS];             /* layout.labels */
    senti_classify_summary sum;
    size_t n_total, progress_done;  /* rows to do, rows last reported done */
    double t0;
    senti_adapter *adapter;         /* --adapter (senti/finetune.h) or NULL */
    senti_score_cache *cache;       /* --score-cache or NULL */
    char *words_desc;               /* the cache key's description of the scoring rule */
    int cache_k;                    /* values per cache record: label scores, then the hidden state for a head
                                       adapter that reads it (the scores before any adapter) */
    double *cache_rec;              /* [cache_k] one record */
    float *hidden;                  /* [n_embd] hidden state for a head adapter */
    float *hidden_rows;             /* [SENTI_CLASSIFY_GROUP][n_embd] the same for a group of rows */
} run;

/* The run's manifest (r->manifest): model, tokenizer, data, verbalizer with
 * its label tokens, prompt, demonstrations, calibration (`calib`, with its
 * "method" set, taken over; gains "bias"), threads, kernels, numerics,
 * adapter and counts. */
void senti_classify_manifest_build(run *r, json_t *calib);

#endif
