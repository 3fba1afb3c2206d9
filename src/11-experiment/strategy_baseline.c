/*
 * strategy_baseline.c - cells of kind "baseline" (docs/experiments.md): the
 * majority or bow-logreg baseline trained on the dataset's train file, on
 * the rows `senti finetune --shots-per-class N --seed S` would use for the
 * cell's rows per class and seed (senti_baseline_fit_rows), or on every
 * labelled row. The adapter is kept in the cell folder (baseline.json, with
 * its rows and the train file's SHA-256), then applied exactly as
 * `senti classify --adapter baseline.json` applies it: same predictions file
 * and manifest, no language model loaded.
 */
#include <stdio.h>
#include <string.h>

#include "senti/classify.h"
#include "senti/finetune.h"

#include "experiment_internal.h"

/* The cell's training rows and adapter. */
static senti_status train_cell(const senti_cell *c, const char *adapter, int threads, senti_err *err)
{
    const senti_exp_dataset *d = c->dataset;
    const senti_exp_strategy *st = c->strategy;
    senti_dataset_params dp = senti_dataset_default_params();
    senti_exp_train_data(d, &dp);
    senti_verbalizer *v = NULL;
    senti_examples *all = NULL;
    senti_baseline_fit_params fp = {.per_class = st->train_all ? 0 : st->per_class, .seed = c->seed, .threads = threads};
    senti_status s = senti_baseline_method_parse(st->method, &fp.method, err); /* checked at parse */
    if (!s)
        s = senti_verbalizer_load(c->verbalizer->path, &v, err);
    if (!s)
        s = senti_examples_load(d->train.path, &dp, &all, err);
    if (!s)
        s = senti_baseline_fit_rows(all, v, &fp, adapter, NULL, err);
    senti_examples_free(all);
    senti_verbalizer_free(v);
    return s;
}

senti_status senti_exp_baseline_cell(const senti_cell *c, int threads, const char *pred_path,
                                     const char *manifest_path, senti_err *err)
{
    char adapter[4200];
    const char *slash = strrchr(pred_path, '/');
    int dir_len = slash ? (int)(slash - pred_path) : 1;
    snprintf(adapter, sizeof adapter, "%.*s/baseline.json", dir_len, slash ? pred_path : ".");
    senti_status s = train_cell(c, adapter, threads, err);
    if (s)
        return s;
    const senti_exp_dataset *d = c->dataset;
    senti_classify_params p = senti_classify_default_params();
    p.adapter_path = adapter;
    p.verbalizer_path = c->verbalizer->path;
    p.input_path = d->eval.path;
    senti_exp_eval_data(d, &p.data);
    p.output_path = pred_path;
    p.manifest_path = manifest_path;
    return senti_classify_run(&p, NULL, err);
}
