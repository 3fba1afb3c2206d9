/*
 * scorer.c - log-probabilities of label words after a prompt, reusing the
 * KV cache (see include/senti/scorer.h for the semantics).
 *
 * Cache layout during a score call:
 *   [0, n_prefix)                 shared prefix, decoded once
 *   [n_prefix, n_prefix + n)      the row, decoded once per row
 *   [base, base + m - 1)          a branch for one multi-token word, truncated after use
 * A packed pass (senti_scorer_score_many) lays out, after the prefix, each row
 * followed by one branch sequence per multi-token word (all but the word's
 * last token), each branch continuing its row (senti_decode_multi's
 * seq_parent), so one pass scores every word of every row.
 * All buffers are sized at creation from the label words; a score call
 * allocates nothing.
 */
#include "senti/scorer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct senti_scorer {
    senti_context *ctx;       /* borrowed */
    senti_label_words w;      /* points at the owned copies below */
    int *word_label;          /* [n_words] */
    int *word_off;            /* [n_words + 1] */
    int32_t *tokens;          /* [word_off[n_words]] */
    int max_word;             /* tokens in the longest word */
    int branch_tokens;        /* sum over the words of (tokens - 1): a row's branches */
    int32_t *sel;             /* [n_sel] distinct tokens of all the words (the vocabulary rows read) */
    int n_sel;
    int *tok_sel;             /* [word_off[n_words]] index of each word token in sel[] */
    float *logits;            /* [max(n_sel, (max_word-1)^2)] output workspace */
    float *lse;               /* [max_word] log-sum-exp per output row */
    int *pos;                 /* [max_word] output positions of a branch */
    int32_t *prefix;          /* [cap_prefix] the current prefix */
    int n_prefix, cap_prefix;
    bool prefix_ready;        /* the cache holds exactly the prefix's positions */
    bool reuse;
    int last_tokens;
    float *hidden_out;        /* [n_embd] caller's buffer for the row's last hidden state, or NULL */
    /* packing rows into one senti_decode_multi call (senti_scorer_score_many) */
    int pack_tokens;          /* token budget of one pass (default SENTI_SCORER_PACK) */
    int32_t *pack;            /* [max multi tokens] the packed rows */
    int *pack_len;            /* [max multi tokens] sequence lengths (rows and branches) */
    int *pack_parent;         /* [max multi tokens] the row a branch continues, -1 for a row */
    int *pack_pos;            /* [max multi tokens] output positions: the rows' last, then the branches' */
    float *pack_logits;       /* [max multi tokens][n_sel] */
    float *pack_lse;          /* [max multi tokens] */
    void (*progress)(void *user, int rows); /* senti_scorer_set_progress, or NULL */
    void *progress_user;
};

/* Default token budget of one packed pass. Measured on SST-2 dev, zero-shot,
 * 2 threads (rows/s for budgets 0 / 128 / 256 / 512): SmolLM2 9.9 / 13.9 /
 * 16.1 / 17.5, Gemma 3 8.9 / 14.4 / 19.7 / 21.3: the largest pass wins
 * (attention over the packed neighbours is skipped, see forward.c). */
#define SENTI_SCORER_PACK 512

static senti_status copy_words(senti_scorer *sc, const senti_label_words *w, senti_err *err)
{
    if (w->n_labels < 1 || w->n_words < 1)
        return senti_err_set(err, SENTI_ERR_ARG, "scorer: no labels or no label words");
    int n_tok = w->word_off[w->n_words];
    sc->word_label = malloc((size_t)w->n_words * sizeof *sc->word_label);
    sc->word_off = malloc((size_t)(w->n_words + 1) * sizeof *sc->word_off);
    sc->tokens = malloc((size_t)n_tok * sizeof *sc->tokens);
    sc->sel = malloc((size_t)n_tok * sizeof *sc->sel);
    sc->tok_sel = malloc((size_t)n_tok * sizeof *sc->tok_sel);
    if (!sc->word_label || !sc->word_off || !sc->tokens || !sc->sel || !sc->tok_sel)
        return senti_err_set(err, SENTI_ERR_NOMEM, "scorer: out of memory");
    memcpy(sc->word_label, w->word_label, (size_t)w->n_words * sizeof *sc->word_label);
    memcpy(sc->word_off, w->word_off, (size_t)(w->n_words + 1) * sizeof *sc->word_off);
    memcpy(sc->tokens, w->tokens, (size_t)n_tok * sizeof *sc->tokens);
    sc->w = (senti_label_words){w->n_labels, w->n_words, sc->word_label, sc->word_off, sc->tokens};

    int *has_word = calloc((size_t)w->n_labels, sizeof *has_word);
    if (!has_word)
        return senti_err_set(err, SENTI_ERR_NOMEM, "scorer: out of memory");
    senti_status s = SENTI_OK;
    for (int j = 0; j < w->n_words && !s; j++) {
        int len = w->word_off[j + 1] - w->word_off[j];
        if (len < 1 || w->word_label[j] < 0 || w->word_label[j] >= w->n_labels)
            s = senti_err_set(err, SENTI_ERR_ARG, "scorer: word %d is empty or has a bad label", j);
        else
            has_word[w->word_label[j]] = 1;
        if (len > sc->max_word)
            sc->max_word = len;
        sc->branch_tokens += len - 1;
    }
    for (int l = 0; l < w->n_labels && !s; l++)
        if (!has_word[l])
            s = senti_err_set(err, SENTI_ERR_ARG, "scorer: label %d has no word", l);
    free(has_word);
    return s;
}

/* The distinct tokens of all words, so one output pass at a row's end (and
 * at its branches' tokens in a packed pass) serves every word. */
static void index_tokens(senti_scorer *sc)
{
    for (int k = 0; k < sc->word_off[sc->w.n_words]; k++) {
        int32_t t = sc->tokens[k];
        int i = 0;
        while (i < sc->n_sel && sc->sel[i] != t)
            i++;
        if (i == sc->n_sel)
            sc->sel[sc->n_sel++] = t;
        sc->tok_sel[k] = i;
    }
}

senti_status senti_scorer_new(senti_context *ctx, const senti_label_words *words, senti_scorer **out,
                              senti_err *err)
{
    *out = NULL;
    senti_scorer *sc = calloc(1, sizeof *sc);
    if (!sc)
        return senti_err_set(err, SENTI_ERR_NOMEM, "scorer: out of memory");
    sc->ctx = ctx;
    sc->reuse = true;
    senti_status s = copy_words(sc, words, err);
    if (!s) {
        index_tokens(sc);
        size_t branch = (size_t)(sc->max_word - 1) * (size_t)(sc->max_word - 1);
        size_t n_logits = branch > (size_t)sc->n_sel ? branch : (size_t)sc->n_sel;
        sc->logits = malloc(n_logits * sizeof *sc->logits);
        sc->lse = malloc((size_t)sc->max_word * sizeof *sc->lse);
        sc->pos = malloc((size_t)sc->max_word * sizeof *sc->pos);
        size_t mt = (size_t)senti_decode_multi_max_tokens();
        sc->pack_tokens = SENTI_SCORER_PACK;
        sc->pack = malloc(mt * sizeof *sc->pack);
        sc->pack_len = malloc(mt * sizeof *sc->pack_len);
        sc->pack_parent = malloc(mt * sizeof *sc->pack_parent);
        sc->pack_pos = malloc(mt * sizeof *sc->pack_pos);
        sc->pack_logits = malloc(mt * (size_t)sc->n_sel * sizeof *sc->pack_logits);
        sc->pack_lse = malloc(mt * sizeof *sc->pack_lse);
        if (!sc->logits || !sc->lse || !sc->pos || !sc->pack || !sc->pack_len || !sc->pack_parent ||
            !sc->pack_pos || !sc->pack_logits || !sc->pack_lse)
            s = senti_err_set(err, SENTI_ERR_NOMEM, "scorer: out of memory");
    }
    if (s) {
        senti_scorer_free(sc);
        return s;
    }
    *out = sc;
    return SENTI_OK;
}

void senti_scorer_free(senti_scorer *sc)
{
    if (!sc)
        return;
    free(sc->word_label);
    free(sc->word_off);
    free(sc->tokens);
    free(sc->sel);
    free(sc->tok_sel);
    free(sc->logits);
    free(sc->lse);
    free(sc->pos);
    free(sc->prefix);
    free(sc->pack);
    free(sc->pack_len);
    free(sc->pack_parent);
    free(sc->pack_pos);
    free(sc->pack_logits);
    free(sc->pack_lse);
    free(sc);
}

void senti_scorer_set_reuse(senti_scorer *sc, bool reuse) { sc->reuse = reuse; }
void senti_scorer_set_pack_tokens(senti_scorer *sc, int n)
{
    int mt = senti_decode_multi_max_tokens();
    sc->pack_tokens = n < 0 ? 0 : n > mt ? mt : n;
}
void senti_scorer_set_hidden(senti_scorer *sc, float *hidden) { sc->hidden_out = hidden; }
int senti_scorer_last_tokens(const senti_scorer *sc) { return sc->last_tokens; }

int senti_scorer_max_row(const senti_scorer *sc)
{
    return senti_context_n_ctx(sc->ctx) - sc->n_prefix - (sc->max_word - 1);
}

/* Decode the prefix into an empty cache (no outputs). */
static senti_status decode_prefix(senti_scorer *sc, senti_err *err)
{
    senti_context_truncate(sc->ctx, 0);
    sc->prefix_ready = false;
    if (sc->n_prefix > 0) {
        senti_outputs none = {0};
        senti_status s = senti_decode(sc->ctx, sc->prefix, sc->n_prefix, &none, err);
        if (s)
            return s;
    }
    sc->prefix_ready = true;
    return SENTI_OK;
}

senti_status senti_scorer_set_prefix(senti_scorer *sc, const int32_t *ids, int n, senti_err *err)
{
    if (n < 0)
        return senti_err_set(err, SENTI_ERR_ARG, "scorer: negative prefix length");
    if (sc->prefix_ready && n == sc->n_prefix && (n == 0 || !memcmp(ids, sc->prefix, (size_t)n * sizeof *ids)))
        return SENTI_OK;
    if (n > sc->cap_prefix) {
        int32_t *p = realloc(sc->prefix, (size_t)n * sizeof *p);
        if (!p)
            return senti_err_set(err, SENTI_ERR_NOMEM, "scorer: out of memory");
        sc->prefix = p;
        sc->cap_prefix = n;
    }
    if (n > 0)
        memcpy(sc->prefix, ids, (size_t)n * sizeof *ids);
    sc->n_prefix = n;
    if (!sc->reuse) {
        sc->prefix_ready = false;
        return SENTI_OK;
    }
    return decode_prefix(sc, err);
}

/* Continue a multi-token word from the row's end: decode c_1..c_{m-1}, read
 * log P(c_{i+1} | ..., c_i) at each, then drop the branch from the cache. */
static senti_status score_branch(senti_scorer *sc, const int32_t *word, int m, int base, double *lp,
                                 senti_err *err)
{
    int nb = m - 1;
    for (int i = 0; i < nb; i++)
        sc->pos[i] = i;
    senti_outputs out = {.n_out = nb, .pos = sc->pos, .vocab = word + 1, .n_vocab_sel = nb,
                         .logits = sc->logits, .logsumexp = sc->lse};
    senti_status s = senti_decode(sc->ctx, word, nb, &out, err);
    senti_context_truncate(sc->ctx, base);
    if (s)
        return s;
    for (int i = 0; i < nb; i++) /* row i holds the logit of token word[i+1] in column i */
        *lp += (double)sc->logits[(size_t)i * (size_t)nb + (size_t)i] - (double)sc->lse[i];
    sc->last_tokens += nb;
    return SENTI_OK;
}

senti_status senti_scorer_score(senti_scorer *sc, const int32_t *row, int n, double *word_lp, senti_err *err)
{
    if (n < 1)
        return senti_err_set(err, SENTI_ERR_ARG, "scorer: the row part of the prompt is empty");
    if (n > senti_scorer_max_row(sc))
        return senti_err_set(err, SENTI_ERR_RANGE, "scorer: %d prompt tokens + %d prefix tokens exceed the context of %d",
                             n, sc->n_prefix, senti_context_n_ctx(sc->ctx));
    sc->last_tokens = 0;
    senti_status s;
    if (!sc->reuse || !sc->prefix_ready) {
        if ((s = decode_prefix(sc, err)))
            return s;
        sc->last_tokens += sc->n_prefix;
    }
    senti_context_truncate(sc->ctx, sc->n_prefix);
    int last = n - 1;
    senti_outputs out = {.n_out = 1, .pos = &last, .vocab = sc->sel, .n_vocab_sel = sc->n_sel,
                         .logits = sc->logits, .logsumexp = sc->lse, .hidden = sc->hidden_out};
    if ((s = senti_decode(sc->ctx, row, n, &out, err)))
        return s;
    sc->last_tokens += n;
    int base = sc->n_prefix + n;
    double lse = sc->lse[0];
    /* first tokens, read before any branch overwrites the workspace */
    for (int j = 0; j < sc->w.n_words; j++)
        word_lp[j] = (double)sc->logits[sc->tok_sel[sc->word_off[j]]] - lse;
    for (int j = 0; j < sc->w.n_words; j++) {
        int m = sc->word_off[j + 1] - sc->word_off[j];
        if (m > 1 && (s = score_branch(sc, sc->tokens + sc->word_off[j], m, base, &word_lp[j], err)))
            return s;
    }
    if (!sc->reuse)
        sc->prefix_ready = false;
    return SENTI_OK;
}

/* Tokens a row of n tokens takes in a packed pass: itself and its branches. */
static int packed_len(const senti_scorer *sc, int n) { return n + sc->branch_tokens; }

/* Rows [i0, i1) in one multi-sequence pass after the cached prefix: each row,
 * then one branch per multi-token word continuing it. Outputs: the k rows'
 * last positions first (hidden[], when asked, holds those k only), then every
 * branch token, in order. */
static senti_status score_pack(senti_scorer *sc, const int32_t *const *rows, const int *lens, int i0, int i1,
                               double *word_lp, int *decoded, float *hidden, senti_err *err)
{
    const int k = i1 - i0, nw = sc->w.n_words, ns = sc->n_sel;
    int n = 0, n_seq = 0, n_out = k;
    senti_context_truncate(sc->ctx, sc->n_prefix); /* a row scored alone may have left its positions */
    for (int i = i0; i < i1; i++) {
        const int row_seq = n_seq;
        memcpy(sc->pack + n, rows[i], (size_t)lens[i] * sizeof *sc->pack);
        sc->pack_len[n_seq] = lens[i];
        sc->pack_parent[n_seq++] = -1;
        n += lens[i];
        sc->pack_pos[i - i0] = n - 1;
        for (int j = 0; j < nw; j++) {
            const int m = sc->word_off[j + 1] - sc->word_off[j];
            if (m < 2)
                continue;
            memcpy(sc->pack + n, sc->tokens + sc->word_off[j], (size_t)(m - 1) * sizeof *sc->pack);
            sc->pack_len[n_seq] = m - 1;
            sc->pack_parent[n_seq++] = row_seq;
            for (int c = 0; c < m - 1; c++)
                sc->pack_pos[n_out++] = n + c;
            n += m - 1;
        }
    }
    senti_outputs out = {.n_out = n_out, .pos = sc->pack_pos, .vocab = sc->sel, .n_vocab_sel = ns,
                         .logits = sc->pack_logits, .logsumexp = sc->pack_lse, .hidden = hidden, .n_hidden = k};
    senti_status s = senti_decode_multi(sc->ctx, sc->pack, sc->pack_len, sc->pack_parent, n_seq, &out, err);
    if (s)
        return s;
    for (int i = i0, o = k; i < i1; i++) {
        const float *lg = sc->pack_logits + (size_t)(i - i0) * (size_t)ns;
        const double lse = sc->pack_lse[i - i0];
        double *lp = word_lp + (size_t)i * (size_t)nw;
        for (int j = 0; j < nw; j++) {
            const int w0 = sc->word_off[j], m = sc->word_off[j + 1] - w0;
            lp[j] = (double)lg[sc->tok_sel[w0]] - lse;
            for (int c = 1; c < m; c++, o++) /* output o predicts token c of word j */
                lp[j] += (double)sc->pack_logits[(size_t)o * (size_t)ns + (size_t)sc->tok_sel[w0 + c]] -
                         (double)sc->pack_lse[o];
        }
        if (decoded)
            decoded[i] = packed_len(sc, lens[i]);
    }
    return SENTI_OK;
}

/* Row i scored by itself: its word_lp row, decoded[i] and (if asked) its
 * hidden state. */
static senti_status score_one(senti_scorer *sc, const int32_t *const *rows, const int *lens, int i, double *word_lp,
                              int *decoded, float *hidden, senti_err *err)
{
    const size_t E = (size_t)senti_model_hparams(senti_context_model(sc->ctx))->n_embd;
    float *keep = sc->hidden_out;
    if (hidden)
        sc->hidden_out = hidden + (size_t)i * E;
    senti_status s = senti_scorer_score(sc, rows[i], lens[i], word_lp + (size_t)i * (size_t)sc->w.n_words, err);
    sc->hidden_out = keep;
    if (!s && decoded)
        decoded[i] = sc->last_tokens;
    return s;
}

void senti_scorer_set_progress(senti_scorer *sc, void (*fn)(void *user, int rows), void *user)
{
    sc->progress = fn;
    sc->progress_user = user;
}

static void report_rows(const senti_scorer *sc, int rows)
{
    if (sc->progress)
        sc->progress(sc->progress_user, rows);
}

senti_status senti_scorer_score_many(senti_scorer *sc, const int32_t *const *rows, const int *lens, int n_rows,
                                     const bool *need, double *word_lp, int *decoded, float *hidden, senti_err *err)
{
    const size_t E = (size_t)senti_model_hparams(senti_context_model(sc->ctx))->n_embd;
    senti_status s;
    int budget = sc->pack_tokens < senti_scorer_max_row(sc) ? sc->pack_tokens : senti_scorer_max_row(sc);
    if (decoded)
        memset(decoded, 0, (size_t)n_rows * sizeof *decoded);
    /* one row at a time without prefix reuse */
    if (!sc->reuse || budget < 2) {
        for (int i = 0; i < n_rows; i++) {
            if ((!need || need[i]) && (s = score_one(sc, rows, lens, i, word_lp, decoded, hidden, err)))
                return s;
            report_rows(sc, i + 1);
        }
        return SENTI_OK;
    }
    if (!sc->prefix_ready && (s = decode_prefix(sc, err)))
        return s;
    for (int i0 = 0; i0 < n_rows;) {
        if (lens[i0] < 1)
            return senti_err_set(err, SENTI_ERR_ARG, "scorer: the row part of the prompt is empty");
        if (lens[i0] > senti_scorer_max_row(sc))
            return senti_err_set(err, SENTI_ERR_RANGE,
                                 "scorer: %d prompt tokens + %d prefix tokens exceed the context of %d", lens[i0],
                                 sc->n_prefix, senti_context_n_ctx(sc->ctx));
        if (packed_len(sc, lens[i0]) > budget) { /* a long row goes alone */
            if ((!need || need[i0]) && (s = score_one(sc, rows, lens, i0, word_lp, decoded, hidden, err)))
                return s;
            report_rows(sc, ++i0);
            continue;
        }
        /* the pack is [i0, i1) whatever is needed, so that a row is always
         * computed in the same company (see senti_scorer_score_many) */
        int i1 = i0, n = 0, wanted = 0;
        while (i1 < n_rows && lens[i1] >= 1 && packed_len(sc, lens[i1]) <= budget - n) {
            wanted |= !need || need[i1];
            n += packed_len(sc, lens[i1++]);
        }
        if (wanted &&
            (s = score_pack(sc, rows, lens, i0, i1, word_lp, decoded, hidden ? hidden + (size_t)i0 * E : NULL, err)))
            return s;
        report_rows(sc, i0 = i1);
    }
    return SENTI_OK;
}

/* ---- label words from a verbalizer ------------------------------------------------ */

senti_status senti_label_words_build(senti_prompt *prompt, const senti_verbalizer *v, const senti_tokenizer *tok,
                                     int tok_flags, senti_label_words_buf *out, senti_err *err)
{
    memset(out, 0, sizeof *out);
    senti_prompt_text pt;
    senti_status s = senti_prompt_build(prompt, NULL, NULL, "x", 1, &pt, err);
    if (s)
        return s;
    size_t len = pt.prefix_len + pt.suffix_len;
    char *full = malloc(len + 1);
    if (!full)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    memcpy(full, pt.prefix, pt.prefix_len);
    memcpy(full + pt.prefix_len, pt.suffix, pt.suffix_len);
    full[len] = '\0';
    s = senti_verbalizer_tokenize(v, tok, full, len, tok_flags, &out->vt, err);
    free(full);
    if (s)
        return s;
    const senti_verbalizer_tokens *vt = out->vt;
    size_t n_tok = 0;
    for (size_t j = 0; j < vt->n_words; j++)
        n_tok += vt->words[j].n;
    out->word_label = malloc(vt->n_words * sizeof *out->word_label);
    out->word_off = malloc((vt->n_words + 1) * sizeof *out->word_off);
    out->tokens = malloc(n_tok * sizeof *out->tokens);
    if (!out->word_label || !out->word_off || !out->tokens)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    int off = 0;
    for (size_t l = 0; l < vt->n_labels; l++)
        for (size_t j = vt->label_first[l]; j < vt->label_first[l + 1]; j++) {
            out->word_label[j] = (int)l;
            out->word_off[j] = off;
            memcpy(out->tokens + off, vt->words[j].ids, vt->words[j].n * sizeof *out->tokens);
            off += (int)vt->words[j].n;
        }
    out->word_off[vt->n_words] = off;
    out->w = (senti_label_words){(int)vt->n_labels, (int)vt->n_words, out->word_label, out->word_off, out->tokens};
    return SENTI_OK;
}

void senti_label_words_buf_free(senti_label_words_buf *b)
{
    senti_verbalizer_tokens_free(b->vt);
    free(b->word_label);
    free(b->word_off);
    free(b->tokens);
    memset(b, 0, sizeof *b);
}

/* ---- aggregation ------------------------------------------------------------- */

/* Word j's log-probability, divided by its token count under length_norm. */
static double word_score(const senti_label_words *w, const double *word_lp, int j, bool length_norm)
{
    double v = word_lp[j];
    return length_norm ? v / (double)(w->word_off[j + 1] - w->word_off[j]) : v;
}

void senti_label_scores(const senti_label_words *w, const double *word_lp, senti_agg agg, bool length_norm,
                        double *scores)
{
    for (int l = 0; l < w->n_labels; l++) {
        double best = -INFINITY, sum = 0.0;
        int count = 0;
        for (int j = 0; j < w->n_words; j++) {
            if (w->word_label[j] != l)
                continue;
            double v = word_score(w, word_lp, j, length_norm);
            best = v > best ? v : best;
            sum += v;
            count++;
        }
        if (agg == SENTI_AGG_MAX || count == 1) {
            scores[l] = best;
        } else if (agg == SENTI_AGG_MEAN) {
            scores[l] = sum / count;
        } else { /* logsumexp, max subtracted */
            double acc = 0.0;
            for (int j = 0; j < w->n_words; j++)
                if (w->word_label[j] == l)
                    acc += exp(word_score(w, word_lp, j, length_norm) - best);
            scores[l] = best + log(acc);
        }
    }
}

void senti_label_softmax(const double *scores, int n, double *p)
{
    double mx = -INFINITY;
    for (int i = 0; i < n; i++)
        mx = scores[i] > mx ? scores[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        p[i] = exp(scores[i] - mx);
        sum += p[i];
    }
    for (int i = 0; i < n; i++)
        p[i] /= sum;
}

const char *senti_agg_name(senti_agg a)
{
    switch (a) {
    case SENTI_AGG_LOGSUMEXP: return "logsumexp";
    case SENTI_AGG_MEAN: return "mean";
    case SENTI_AGG_MAX: return "max";
    }
    return "unknown";
}

senti_status senti_agg_parse(const char *name, senti_agg *out, senti_err *err)
{
    if (!strcmp(name, "logsumexp"))
        *out = SENTI_AGG_LOGSUMEXP;
    else if (!strcmp(name, "mean"))
        *out = SENTI_AGG_MEAN;
    else if (!strcmp(name, "max"))
        *out = SENTI_AGG_MAX;
    else
        return senti_err_set(err, SENTI_ERR_ARG, "unknown aggregation \"%s\" (logsumexp, mean, max)", name);
    return SENTI_OK;
}
