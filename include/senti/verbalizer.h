/*
 * senti/verbalizer.h - verbalizer files: dataset labels -> label words.
 *
 * A verbalizer is a JSON object (format in verbalizers/README.md):
 *   {
 *     "name": "sst2",                                   optional, default: file stem
 *     "description": "...",                             optional
 *     "labels": { "0": ["terrible"], "1": ["great"] },  required, >= 2 labels
 *     "label_order": ["0", "1"],                        optional, default: file order
 *     "display": { "0": "negative", "1": "positive" },  optional, default: the key
 *     "template": "Review: {text}\nSentiment:",         optional, exactly one {text}
 *     "demo_template": "Review: {text}\nSentiment: {label}",  optional, {text} and {label}
 *     "instruction": "...", "separator": "\n\n"          optional
 *     "label_map": { "5": "1", "4": "1", "1": "0" }      optional: dataset value -> label
 *   }
 * Label keys are the dataset's label strings, matched exactly. With a
 * label_map, a dataset value it lists stands for the label it maps to (every
 * target must be a label; a key may not be a label itself); any other value
 * must be a label key (an unknown one is the caller's row error). Every label has
 * at least one non-empty word; labels and a label's words are unique.
 *
 * Label words and the leading-space rule (decided once, used everywhere):
 *   the continuation text of word w after a prompt p is
 *     - w itself when w starts with whitespace (the file author decided), or
 *       when p is empty or ends with whitespace (e.g. "...assistant\n");
 *     - " " + w otherwise (e.g. "Sentiment:" -> "Sentiment: great").
 *   Its tokens are tokens(p + cont) minus tokens(p) when tokens(p) is a prefix
 *   of tokens(p + cont) ("clean split"), else tokens(cont) alone; which one
 *   held is recorded in senti_label_tokens.clean_split. A word whose
 *   continuation tokenizes to nothing is an error.
 */
#ifndef SENTI_VERBALIZER_H
#define SENTI_VERBALIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_verbalizer senti_verbalizer;

/* Load and validate a verbalizer file. Errors name the file and the label. */
SENTI_API senti_status senti_verbalizer_load(const char *path, senti_verbalizer **out, senti_err *err);
/* The same from a JSON text; `origin` names it in error messages. */
SENTI_API senti_status senti_verbalizer_parse(const char *json, size_t len, const char *origin, senti_verbalizer **out,
                                              senti_err *err);
SENTI_API void senti_verbalizer_free(senti_verbalizer *v);

/* All strings below are owned by the verbalizer. Optional ones are NULL when absent. */
SENTI_API const char *senti_verbalizer_name(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_description(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_template(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_demo_template(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_instruction(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_separator(const senti_verbalizer *v);
/* SHA-256 (hex) of the file bytes / parsed text, for the manifest. */
SENTI_API const char *senti_verbalizer_sha256(const senti_verbalizer *v);

SENTI_API size_t senti_verbalizer_n_labels(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_label(const senti_verbalizer *v, size_t i);   /* dataset label key */
SENTI_API const char *senti_verbalizer_display(const senti_verbalizer *v, size_t i); /* display name */
SENTI_API size_t senti_verbalizer_n_words(const senti_verbalizer *v, size_t i);
SENTI_API const char *senti_verbalizer_word(const senti_verbalizer *v, size_t i, size_t j);
/* Index of a dataset label string (through the label_map), or -1. */
SENTI_API int senti_verbalizer_find(const senti_verbalizer *v, const char *label);
/* The label_map: its size, and entry i's dataset value (returned) and label index (*label). */
SENTI_API size_t senti_verbalizer_n_mapped(const senti_verbalizer *v);
SENTI_API const char *senti_verbalizer_mapped(const senti_verbalizer *v, size_t i, size_t *label);

/* The continuation text of `word` after the prompt `prompt` (only its last
 * byte matters; see the rule above). Writes into buf (NUL-terminated if cap > 0), returns
 * the full length. */
SENTI_API size_t senti_continuation_text(const char *prompt, size_t prompt_len, const char *word, char *buf,
                                         size_t cap);

/* Tokens of one label word continuing a prompt. */
typedef struct {
    int32_t *ids;     /* [n] owned by the enclosing senti_verbalizer_tokens */
    size_t n;
    char *text;       /* the continuation text, e.g. " great"; owned likewise */
    bool clean_split; /* tokens(p + text) == tokens(p) ++ ids */
} senti_label_tokens;

typedef struct {
    size_t n_labels;
    size_t n_words;            /* all labels together */
    size_t *label_first;       /* [n_labels + 1]: words of label i are words[label_first[i] .. label_first[i+1]) */
    senti_label_tokens *words; /* [n_words], label order, word order within a label */
    size_t max_tokens;         /* longest word in tokens */
    bool all_single;           /* every word is exactly one token */
} senti_verbalizer_tokens;

/* Tokenize every label word as a continuation of `prompt` (a representative
 * prompt ending the way every scored prompt ends, e.g. the rendered suffix of
 * any row). `tok_flags` are the senti_tokenize flags the prompt is tokenized
 * with (SENTI_TOK_PARSE_SPECIAL for chat prompts); SENTI_TOK_ADD_SPECIAL is
 * ignored here. *out is owned by the caller: senti_verbalizer_tokens_free(). */
SENTI_API senti_status senti_verbalizer_tokenize(const senti_verbalizer *v, const senti_tokenizer *tok,
                                                 const char *prompt, size_t prompt_len, int tok_flags,
                                                 senti_verbalizer_tokens **out, senti_err *err);
SENTI_API void senti_verbalizer_tokens_free(senti_verbalizer_tokens *t);

#ifdef __cplusplus
}
#endif
/* ---- templates ----------------------------------------------------------- */

/* Non-overlapping occurrences of `placeholder` ("{text}", "{label}") in `tmpl`. */
SENTI_API size_t senti_template_count(const char *tmpl, const char *placeholder);

/* The one rule for templates: exactly one {text}; a demonstration template
 * (demo) also exactly one {label}, a query template none. NULL when `tmpl`
 * follows it, else what is wrong ("must contain {text} exactly once"), for the
 * caller to prefix with where the template came from. */
SENTI_API const char *senti_template_problem(const char *tmpl, bool demo);

#endif /* SENTI_VERBALIZER_H */
