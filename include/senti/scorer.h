/*
 * senti/scorer.h - log-probabilities of label words after a prompt, reusing
 * the KV cache.
 *
 * Semantics (decided once, used everywhere):
 *   - A label word w = (c_1..c_m) after a prompt p scores
 *         log P(w | p) = sum_i log softmax(logits(p, c_1..c_{i-1}))[c_i]
 *     over the FULL vocabulary (exact, not renormalised over label tokens).
 *   - A label with several words aggregates its words' scores: logsumexp
 *     (default: the probability of saying any of them), mean or max; with
 *     length normalisation each word's score is first divided by m.
 *   - The label distribution is the softmax over the label scores.
 *
 * Work reuse: the prompt is split into a shared prefix (instruction and
 * demonstrations) and a per-row part. The prefix is decoded once and stays in
 * the context's KV cache; each row is decoded once after it; the first tokens
 * of all words are read off the row's last position in the same pass; each
 * multi-token word continues from there in a short branch that is then
 * truncated away. With reuse disabled every row re-decodes the prefix (for
 * benchmarking the saving).
 *
 *     senti_scorer *sc;
 *     senti_scorer_new(ctx, &words, &sc, &err);
 *     senti_scorer_set_prefix(sc, prefix_ids, n_prefix, &err);
 *     senti_scorer_score(sc, row_ids, n_row, word_lp, &err);   // word_lp[n_words]
 *     senti_label_scores(&words, word_lp, SENTI_AGG_LOGSUMEXP, false, label_score);
 *     senti_label_softmax(label_score, words.n_labels, probs);
 */
#ifndef SENTI_SCORER_H
#define SENTI_SCORER_H

#include <stdbool.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/model.h"
#include "senti/prompt.h"
#include "senti/verbalizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SENTI_AGG_LOGSUMEXP = 0, SENTI_AGG_MEAN = 1, SENTI_AGG_MAX = 2 } senti_agg;

/* Label words as token sequences, flattened. Word j belongs to label
 * word_label[j] and has tokens[word_off[j] .. word_off[j+1]-1] (at least one). */
typedef struct {
    int n_labels;
    int n_words;
    const int *word_label;  /* [n_words] */
    const int *word_off;    /* [n_words + 1] */
    const int32_t *tokens;  /* [word_off[n_words]] */
} senti_label_words;

/* Label words with the arrays they point at (owned). */
typedef struct {
    senti_label_words w;         /* views into the arrays below */
    senti_verbalizer_tokens *vt; /* the tokenized words (text, ids, clean_split) */
    int *word_label;
    int *word_off;
    int32_t *tokens;
} senti_label_words_buf;

/* Tokenize the verbalizer's words as continuations of `prompt` (its ending is
 * what matters: it is rendered for a one-character text) and flatten them for
 * the scorer. `tok_flags` as the prompt is tokenized with. On success the
 * caller frees *out with senti_label_words_buf_free (also after a failure). */
SENTI_API senti_status senti_label_words_build(senti_prompt *prompt, const senti_verbalizer *v, const senti_tokenizer *tok,
                                     int tok_flags, senti_label_words_buf *out, senti_err *err);
SENTI_API void senti_label_words_buf_free(senti_label_words_buf *b);

typedef struct senti_scorer senti_scorer;

/* A scorer on `ctx` (borrowed: the scorer owns its KV cache contents from now
 * on). The label words are copied. SENTI_ERR_ARG when a word is empty or a
 * label has no word. */
SENTI_API senti_status senti_scorer_new(senti_context *ctx, const senti_label_words *words, senti_scorer **out,
                              senti_err *err);
SENTI_API void senti_scorer_free(senti_scorer *sc);

/* Decode the shared prefix (may be empty). A prefix equal to the current one
 * costs nothing. */
SENTI_API senti_status senti_scorer_set_prefix(senti_scorer *sc, const int32_t *ids, int n, senti_err *err);

/* When false, every senti_scorer_score() decodes the prefix again (benchmarks). */
SENTI_API void senti_scorer_set_reuse(senti_scorer *sc, bool reuse);

/* When `hidden` is non-NULL, every later senti_scorer_score() also writes the
 * final hidden state (after the output norm) at the row's last position into
 * hidden[0..n_embd-1] (borrowed buffer; NULL turns it off). Used by fine-tuned
 * heads (senti/finetune.h). */
SENTI_API void senti_scorer_set_hidden(senti_scorer *sc, float *hidden);

/* Progress inside senti_scorer_score_many: fn(user, rows) after each pass,
 * with the rows of that call scored so far (NULL turns it off). It only
 * reports; the scores do not depend on it. */
SENTI_API void senti_scorer_set_progress(senti_scorer *sc, void (*fn)(void *user, int rows), void *user);

/* Largest row that fits with the prefix and the longest word. */
SENTI_API int senti_scorer_max_row(const senti_scorer *sc);

/* Score every word after prefix + row: word_lp[j] = log P(word j | prefix, row).
 * n >= 1 unless the prefix is non-empty. SENTI_ERR_RANGE when it does not fit. */
SENTI_API senti_status senti_scorer_score(senti_scorer *sc, const int32_t *row, int n, double *word_lp, senti_err *err);

/* Score n_rows rows after the prefix: word_lp[i * n_words + j] = log P(word j
 * | prefix, row i); decoded[i] (may be NULL) = tokens decoded for row i;
 * hidden (may be NULL) [n_rows][n_embd] = each row's final hidden state at its
 * last position (what senti_scorer_set_hidden gives for one row).
 * When the prefix is reused, the rows are packed into multi-sequence forward
 * passes (senti_decode_multi) of at most the pack budget in tokens, each row
 * followed by the branches of its multi-token words; without reuse, for a row
 * that does not fit the budget with its branches, and when hidden states are
 * asked for words of several tokens, rows are scored one by one. Equal to
 * senti_scorer_score row by row up to float rounding (other matrix shapes).
 * need (may be NULL: all) marks the rows wanted; an unwanted row is computed
 * only when it shares a pack with a wanted one (its word_lp row is then
 * written, else left alone; decoded counts what was computed). Packs are cut
 * from the row list alone, never from `need`: a row's scores depend
 * only on the rows passed, not on which of them were wanted (so a run resumed
 * from a score cache reproduces the uninterrupted run bit for bit). */
SENTI_API senti_status senti_scorer_score_many(senti_scorer *sc, const int32_t *const *rows, const int *lens, int n_rows,
                                     const bool *need, double *word_lp, int *decoded, float *hidden, senti_err *err);
/* Token budget of one packed pass (default 512, the most; 0 or 1 = no packing). */
SENTI_API void senti_scorer_set_pack_tokens(senti_scorer *sc, int n);
/* Forward-pass work of the last call (tokens decoded), for reporting. */
SENTI_API int senti_scorer_last_tokens(const senti_scorer *sc);

/* Aggregate word scores into label scores[n_labels]. */
SENTI_API void senti_label_scores(const senti_label_words *w, const double *word_lp, senti_agg agg, bool length_norm,
                        double *scores);

/* Softmax over n scores into p (max subtracted, double). */
SENTI_API void senti_label_softmax(const double *scores, int n, double *p);

/* "logsumexp" / "mean" / "max" and back; parse gives SENTI_ERR_ARG naming
 * the value (and the choices) for an unknown name. */
SENTI_API const char *senti_agg_name(senti_agg a);
SENTI_API senti_status senti_agg_parse(const char *name, senti_agg *out, senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_SCORER_H */
