/*
 * senti.h - the whole public API of libsenti in one include.
 *
 * Layers, bottom up (each header starts with its contract):
 *   senti/common.h      status codes, senti_err, SHA-256, threads
 *   senti/gguf.h        strict read-only GGUF reader (mmap); senti/gguf_write.h builds files
 *   senti/quant.h       tensor types: dequantization and dot products
 *   senti/tokenizer.h   byte-level BPE and SentencePiece-style tokenizers from GGUF metadata
 *   senti/model.h       llama / qwen2 / gemma3 models, contexts with a KV cache, senti_decode
 *   senti/scorer.h      log-probabilities of label words after a prompt, with KV reuse
 *   senti/dataset.h     streaming CSV rows;  senti/verbalizer.h label words;  senti/prompt.h prompts
 *   senti/classify.h    one classification run: CSV -> predictions CSV + manifest
 *   senti/metrics.h     accuracy, calibration, bootstrap;  senti/predfile.h, calibrate.h, compare.h
 *   senti/experiment.h, runner.h, report.h, scorecache.h   experiments and reports
 *   senti/finetune.h    logistic heads and LoRA adapters
 *   senti/select.h      choosing a recipe by cross-validation (senti select), applying it
 *
 * Basic usage (link with `pkg-config --libs senti`):
 *
 *     #include <senti.h>
 *
 *     senti_classify_params p = senti_classify_default_params();
 *     p.model_path = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
 *     p.verbalizer_path = "verbalizers/sst2.json";
 *     p.input_path = "dev.csv";
 *     p.data.text_col = "sentence";
 *     p.output_path = "pred.csv";
 *     senti_classify_summary sum;
 *     senti_err err;
 *     if (senti_classify_run(&p, &sum, &err) != SENTI_OK)
 *         fprintf(stderr, "%s\n", err.msg);
 *     else
 *         printf("accuracy = %.3f\n", (double)sum.n_correct / (double)sum.n_labelled);
 */
#ifndef SENTI_H
#define SENTI_H

#include "senti/common.h"
#include "senti/gguf.h"
#include "senti/gguf_write.h"
#include "senti/quant.h"
#include "senti/tokenizer.h"
#include "senti/model.h"
#include "senti/scorer.h"
#include "senti/dataset.h"
#include "senti/verbalizer.h"
#include "senti/prompt.h"
#include "senti/classify.h"
#include "senti/metrics.h"
#include "senti/predfile.h"
#include "senti/calibrate.h"
#include "senti/compare.h"
#include "senti/experiment.h"
#include "senti/runner.h"
#include "senti/shard.h"
#include "senti/report.h"
#include "senti/scorecache.h"
#include "senti/finetune.h"
#include "senti/select.h"

#endif /* SENTI_H */
