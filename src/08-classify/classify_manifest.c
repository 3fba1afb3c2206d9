/*
 * classify_manifest.c - the manifest of a classification run (what
 * `FILE.manifest.json` records, README "Predictions file"):
 * everything needed to redo the run and check that it was redone.
 */
#include <jansson.h>

#include "senti/quant.h"
#include "senti/tokenizer.h"
#include "senti/verbalizer.h"

#include "05-prompt/verbalizer_json.h"
#include "classify_internal.h"

static json_t *manifest_verbalizer(const run *r)
{
    json_t *v = json_object(), *labels = json_array();
    json_object_set_new(v, "path", json_string(r->p->verbalizer_path));
    json_object_set_new(v, "name", json_string(senti_verbalizer_name(r->verb)));
    json_object_set_new(v, "sha256", json_string(senti_verbalizer_sha256(r->verb)));
    for (size_t l = 0; l < r->vt->n_labels; l++) {
        json_t *lab = json_object(), *words = json_array();
        json_object_set_new(lab, "label", json_string(senti_verbalizer_label(r->verb, l)));
        json_object_set_new(lab, "display", json_string(senti_verbalizer_display(r->verb, l)));
        for (size_t j = r->vt->label_first[l]; j < r->vt->label_first[l + 1]; j++) {
            const senti_label_tokens *w = &r->vt->words[j];
            json_t *wj = json_object(), *ids = json_array();
            json_object_set_new(wj, "text", json_string(w->text));
            for (size_t k = 0; k < w->n; k++)
                json_array_append_new(ids, json_integer(w->ids[k]));
            json_object_set_new(wj, "tokens", ids);
            json_object_set_new(wj, "clean_split", json_boolean(w->clean_split));
            json_array_append_new(words, wj);
        }
        json_object_set_new(lab, "words", words);
        json_array_append_new(labels, lab);
    }
    json_object_set_new(v, "labels", labels);
    json_t *map = senti_verbalizer_map_json(r->verb);
    json_object_set_new(v, "label_map", map ? map : json_null());
    return v;
}

static json_t *opt_string(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *manifest_prompt(const run *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "template", json_string(senti_prompt_template(r->prompt)));
    json_object_set_new(o, "demo_template", opt_string(senti_prompt_demo_template(r->prompt)));
    json_object_set_new(o, "instruction", opt_string(senti_prompt_instruction(r->prompt)));
    json_object_set_new(o, "separator", json_string(senti_prompt_separator(r->prompt)));
    json_object_set_new(o, "chat", json_string(senti_chat_format_name(senti_prompt_chat(r->prompt))));
    json_object_set_new(o, "system", opt_string(senti_prompt_system(r->prompt)));
    json_object_set_new(o, "demo_turns", json_boolean(senti_prompt_demo_turns(r->prompt)));
    json_object_set_new(o, "aggregation", json_string(senti_agg_name(r->p->agg)));
    json_object_set_new(o, "length_norm", json_boolean(r->p->length_norm));
    json_object_set_new(o, "leading_space_rule",
                        json_string("label word follows the prompt with one space unless the prompt ends "
                                    "with whitespace or the word starts with it"));
    return o;
}

static json_t *manifest_demos(const run *r)
{
    const senti_classify_params *p = r->p;
    json_t *o = json_object();
    json_object_set_new(o, "shots", json_integer((json_int_t)(r->sampler ? p->demos.shots : 0)));
    if (!r->sampler)
        return o;
    json_object_set_new(o, "train", json_string(p->train_path));
    json_object_set_new(o, "sampling", json_string(senti_demo_sampling_name(p->demos.sampling)));
    json_object_set_new(o, "order", json_string(senti_demo_order_name(p->demos.order)));
    json_object_set_new(o, "per_row", json_boolean(p->demos.per_row));
    json_object_set_new(o, "seed", json_integer((json_int_t)p->demos.seed));
    senti_demo_set ds = senti_demo_sampler_shared(r->sampler);
    json_t *rows = json_array();
    for (size_t i = 0; i < ds.n; i++)
        json_array_append_new(rows, json_integer((json_int_t)r->train->items[ds.idx[i]].row));
    json_object_set_new(o, "shared_rows_in_order", rows);
    return o;
}

void senti_classify_manifest_build(run *r, json_t *calib)
{
    const senti_hparams *hp = senti_model_hparams(r->model);
    json_t *m = json_object(), *model = json_object(), *tok = json_object(), *counts = json_object();
    json_object_set_new(m, "senti_version", json_string(senti_version()));
    json_object_set_new(model, "path", json_string(senti_gguf_path(senti_model_gguf(r->model))));
    json_object_set_new(model, "sha256", json_string(senti_model_sha256(r->model)));
    json_object_set_new(model, "architecture", json_string(hp->arch_name));
    json_object_set_new(model, "n_ctx", json_integer(senti_context_n_ctx(r->ctx)));
    json_object_set_new(m, "model", model);
    json_object_set_new(tok, "kind", json_string(senti_tokenizer_kind(r->tok) == SENTI_TOK_BPE ? "bpe" : "spm"));
    json_object_set_new(tok, "pre", json_string(senti_tokenizer_pre(r->tok)));
    json_object_set_new(tok, "add_bos", json_boolean(senti_tokenizer_add_bos(r->tok)));
    json_object_set_new(m, "tokenizer", tok);
    json_object_set_new(m, "data", senti_pred_manifest_input(&r->p->data, r->p->input_path, r->in_jsonl, r->cols, &r->layout));
    json_object_set_new(m, "verbalizer", manifest_verbalizer(r));
    json_object_set_new(m, "prompt", manifest_prompt(r));
    json_object_set_new(m, "demonstrations", manifest_demos(r));
    json_t *bias = json_array();
    for (int l = 0; l < r->n_labels; l++)
        json_array_append_new(bias, json_real(r->bias[l]));
    json_object_set_new(calib, "bias", bias);
    json_object_set_new(m, "calibration", calib);
    json_object_set_new(m, "threads", json_integer(senti_get_threads()));
    json_object_set_new(m, "kernels", json_string(senti_isa_name(senti_isa_active())));
    json_object_set_new(m, "blas_core", json_string(senti_blas_core())); /* f32 sums follow its kernels */
    json_object_set_new(m, "numerics", json_string(senti_numerics_name(senti_get_numerics())));
    json_object_set_new(m, "prefix_reuse", json_boolean(r->p->reuse_prefix));
    json_object_set_new(m, "adapter", r->adapter ? json_pack("{s:s,s:s}", "path", r->p->adapter_path, "kind",
                                                             senti_adapter_kind(r->adapter)) : json_null());
    json_object_set_new(counts, "rows", json_integer((json_int_t)r->sum.n_rows));
    json_object_set_new(counts, "ok", json_integer((json_int_t)(r->sum.n_rows - r->sum.n_truncated - r->sum.n_errors)));
    json_object_set_new(counts, "truncated", json_integer((json_int_t)r->sum.n_truncated));
    json_object_set_new(counts, "errors", json_integer((json_int_t)r->sum.n_errors));
    json_object_set_new(counts, "labelled", json_integer((json_int_t)r->sum.n_labelled));
    json_object_set_new(counts, "correct", json_integer((json_int_t)r->sum.n_correct));
    json_object_set_new(counts, "tokens_decoded", json_integer((json_int_t)r->sum.n_tokens));
    json_object_set_new(counts, "prompts_from_cache", json_integer((json_int_t)r->sum.n_cached));
    json_object_set_new(m, "counts", counts);
    r->manifest = m;
}
