/*
 * fuzz_adapter.c - adapter files as `senti classify --adapter` loads them for
 * the tiny model: a LoRA GGUF (recognized by its magic; read, checked against
 * the model's shapes and merged) or else a head JSON (checked against the
 * model's width and the verbalizer's labels), then freed (unmerged).
 *
 * A head that loads must turn finite scores into log-probabilities. A
 * baseline adapter (majority, bow-logreg JSON), which classify loads with no
 * model, must give a finite distribution summing to 1 for any text.
 */
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "senti/baseline.h"
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

static void baseline(const char *path)
{
    senti_baseline *b;
    if (senti_baseline_load(path, &b, NULL) != SENTI_OK)
        return;
    static const char *const texts[] = {"", "good good film", "a bad , bad day \xc3\xa9t\xc3\xa9"};
    double p[256];
    for (size_t t = 0; t < 3; t++) {
        senti_baseline_predict(b, texts[t], strlen(texts[t]), p);
        double sum = 0;
        for (int j = 0; j < senti_baseline_n_labels(b); j++) {
            fz_require(isfinite(p[j]) && p[j] >= 0 && p[j] <= 1, "baseline probability outside [0, 1]");
            sum += p[j];
        }
        fz_require(fabs(sum - 1) < 1e-9, "baseline probabilities do not sum to 1");
    }
    senti_baseline_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_input_path(data, size);
    if (senti_baseline_probe(path) == 1) {
        baseline(path);
        return 0;
    }
    senti_model *m = fz_tiny_model();
    senti_adapter *ad;
    if (senti_adapter_load(path, m, verbalizer(), &ad, NULL) != SENTI_OK)
        return 0;
    (void)senti_adapter_kind(ad);
    rescore(ad, senti_model_hparams(m)->n_embd);
    senti_adapter_free(ad);
    return 0;
}
