/*
 * fuzz_verbalizer.c - verbalizer JSON: parsing and validation, then the label
 * words tokenized as continuations of a prompt with the tiny model's
 * tokenizer (the step that runs on every user-written word).
 *
 * A verbalizer that parses must keep its contract: at least two labels, each
 * found by its own key, each with at least one non-empty word, and a template
 * (when given) that passes the template rule.
 */
#include "fuzz.h"

#include <string.h>

#include "senti/model.h"
#include "senti/verbalizer.h"

static void check(const senti_verbalizer *v)
{
    size_t n = senti_verbalizer_n_labels(v);
    fz_require(n >= 2, "fewer than two labels");
    for (size_t i = 0; i < n; i++) {
        fz_require(senti_verbalizer_find(v, senti_verbalizer_label(v, i)) == (int)i, "label not found by its key");
        fz_require(senti_verbalizer_display(v, i) != NULL, "label without a display name");
        fz_require(senti_verbalizer_n_words(v, i) >= 1, "label without words");
        for (size_t j = 0; j < senti_verbalizer_n_words(v, i); j++)
            fz_require(senti_verbalizer_word(v, i, j)[0] != '\0', "empty label word");
    }
    const char *t = senti_verbalizer_template(v), *d = senti_verbalizer_demo_template(v);
    fz_require(!t || !senti_template_problem(t, false), "template breaks the template rule");
    fz_require(!d || !senti_template_problem(d, true), "demo template breaks the template rule");
    (void)senti_verbalizer_name(v);
    (void)senti_verbalizer_description(v);
    (void)senti_verbalizer_instruction(v);
    (void)senti_verbalizer_separator(v);
    fz_require(strlen(senti_verbalizer_sha256(v)) == 64, "SHA-256 not 64 hex digits");
}

static void tokenize(const senti_verbalizer *v)
{
    static const char prompt[] = "Review: good\nSentiment:";
    const senti_tokenizer *tok = senti_model_tokenizer(fz_tiny_model());
    senti_verbalizer_tokens *vt;
    if (senti_verbalizer_tokenize(v, tok, prompt, sizeof prompt - 1, 0, &vt, NULL) != SENTI_OK)
        return;
    fz_require(vt->n_labels == senti_verbalizer_n_labels(v), "tokens for another number of labels");
    fz_require(vt->label_first[vt->n_labels] == vt->n_words, "word ranges do not cover the words");
    for (size_t i = 0; i < vt->n_words; i++)
        fz_require(vt->words[i].n >= 1 && vt->words[i].n <= vt->max_tokens, "word token count out of range");
    senti_verbalizer_tokens_free(vt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    senti_verbalizer *v;
    if (senti_verbalizer_parse((const char *)data, size, "fuzz.json", &v, NULL) != SENTI_OK)
        return 0;
    check(v);
    tokenize(v);
    senti_verbalizer_free(v);
    return 0;
}
