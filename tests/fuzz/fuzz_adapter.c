/*
 * fuzz_adapter.c - adapter files as `senti classify --adapter` loads them for
 * the tiny model: a LoRA GGUF (recognized by its magic; read, checked against
 * the model's shapes and merged) or else a head JSON (checked against the
 * model's width and the verbalizer's labels), then freed (unmerged).
 *
 * A head that loads must turn finite scores into log-probabilities.
 */
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>

#include "senti/finetune.h"
#include "senti/model.h"
#include "senti/verbalizer.h"

static const senti_verbalizer *verbalizer(void)
{
    static senti_verbalizer *v;
    static const char json[] = "{\"labels\": {\"neg\": [\"bad\"], \"pos\": [\"good\"]}}";
    if (!v)
        fz_require(senti_verbalizer_parse(json, sizeof json - 1, "fuzz", &v, NULL) == SENTI_OK, "verbalizer");
    return v;
}

static void rescore(const senti_adapter *ad, int n_embd)
{
    float hidden[64];
    double scores[2] = {-0.4, -1.1};
    fz_require(n_embd <= 64, "tiny model wider than expected");
    for (int i = 0; i < n_embd; i++)
        hidden[i] = (float)(i % 5) * 0.25f - 0.5f;
    senti_adapter_rescore(ad, hidden, scores);
    fz_require(isfinite(scores[0]) && isfinite(scores[1]), "non-finite adapted score");
    if (senti_adapter_needs_hidden(ad))
        fz_require(fabs(exp(scores[0]) + exp(scores[1]) - 1) < 1e-6, "head scores are not log-probabilities");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_input_path(data, size);
    senti_model *m = fz_tiny_model();
    senti_adapter *ad;
    if (senti_adapter_load(path, m, verbalizer(), &ad, NULL) != SENTI_OK)
        return 0;
    (void)senti_adapter_kind(ad);
    rescore(ad, senti_model_hparams(m)->n_embd);
    senti_adapter_free(ad);
    return 0;
}
