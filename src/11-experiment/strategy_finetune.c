/*
 * strategy_finetune.c - cells of kind "finetune" (docs/experiments.md): a head
 * or LoRA adapter for the cell's model, trained on the rows that
 * `senti finetune --method M --shots-per-class N --seed S` would use (the
 * draw of the baseline strategy with the same numbers), with that command's
 * defaults and the verbalizer's template; LoRA's own seed is the cell's seed,
 * as --seed sets both. The adapter is kept in the cell folder (adapter.json
 * for a head, adapter.gguf for LoRA) and the runner then classifies the
 * evaluated rows with it as an adapter cell does (a head through the score
 * cache: the model's scores and hidden states before the head, shared by
 * the seeds; LoRA without).
 */
#include <stdio.h>
#include <string.h>

#include "senti/finetune.h"
#include "senti/model.h"
#include "senti/prompt.h"
#include "senti/verbalizer.h"

#include "experiment_internal.h"

void senti_exp_finetune_adapter_path(const senti_cell *c, const char *pred_path, char *buf, size_t cap)
{
    const char *slash = strrchr(pred_path, '/');
    int dir_len = slash ? (int)(slash - pred_path) : 1;
    snprintf(buf, cap, "%.*s/adapter.%s", dir_len, slash ? pred_path : ".",
             !strcmp(c->strategy->method, "lora") ? "gguf" : "json");
}

static senti_status train(const senti_cell *c, senti_model *m, const senti_verbalizer *v, const char *adapter,
                          senti_err *err)
{
    const senti_exp_dataset *d = c->dataset;
    const senti_exp_strategy *st = c->strategy;
    senti_ft_params p = senti_ft_default_params();
    senti_status s = senti_ft_method_parse(st->method, &p.method, err); /* checked at parse */
    p.per_class = st->train_all ? 0 : st->per_class;
    p.seed = p.lora.seed = c->seed;
    senti_chat_mode chat = SENTI_CHAT_MODE_AUTO;
    senti_chat_mode_parse(c->model->chat, &chat, NULL); /* checked at parse */
    p.prompt.chat = (int)chat;
    senti_dataset_params dp = senti_dataset_default_params();
    senti_exp_train_data(d, &dp);
    senti_examples *all = NULL;
    if (!s)
        s = senti_examples_load(d->train.path, &dp, &all, err);
    if (!s)
        s = senti_ft_train(m, v, all, &p, adapter, NULL, err);
    senti_examples_free(all);
    return s;
}

senti_status senti_exp_finetune_train(const senti_cell *c, const char *pred_path, bool *model_error, senti_err *err)
{
    char adapter[4200];
    senti_exp_finetune_adapter_path(c, pred_path, adapter, sizeof adapter);
    senti_verbalizer *v = NULL;
    senti_model *m = NULL;
    senti_status s = senti_verbalizer_load(c->verbalizer->path, &v, err);
    if (!s && (s = senti_model_load(c->model->path, NULL, &m, err)))
        *model_error = true;
    if (!s)
        s = train(c, m, v, adapter, err);
    senti_model_free(m);
    senti_verbalizer_free(v);
    return s;
}
