/*
 * tok_spm.c - SentencePiece-style tokenization (tokenizer.ggml.model =
 * "llama": Llama 2, Gemma), the algorithm llama.cpp uses:
 *
 *   1. optional ' ' prefix (tokenizer.ggml.add_space_prefix), then every ' '
 *      becomes U+2581 ('▁');
 *   2. split into characters by the UTF-8 lead byte only (no validation: an
 *      invalid byte simply starts a short "character");
 *   3. repeatedly merge the adjacent pair whose concatenation is a vocabulary
 *      token with the highest score (ties: leftmost first);
 *   4. each final symbol is its token, or else one byte-fallback token
 *      <0xNN> per byte.
 * Special and user-defined tokens were split out before (tokenizer.c).
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

typedef struct {
    int prev, next; /* neighbours in the live chain, -1 at the ends */
    size_t start, n; /* bytes of the escaped text; n == 0 once merged away */
} spm_sym;

/* Queue the pair (left, right) when their concatenation is a token. */
static bool try_bigram(const senti_tokenizer *t, const char *text, const spm_sym *sym, int left, int right,
                       tok_heap *h)
{
    if (left < 0 || right < 0)
        return true;
    size_t n = sym[left].n + sym[right].n;
    int32_t id = tok_vocab_find(t, text + sym[left].start, n);
    if (id < 0)
        return true;
    tok_bigram b = {left, right, -(double)t->score[id], n, 0}; /* higher score first */
    return tok_heap_push(h, b);
}

/* Escaped text: optional leading space, every ' ' -> U+2581. Caller frees. */
static char *spm_escape(const char *text, size_t len, bool space_prefix, size_t *n_out)
{
    size_t spaces = space_prefix;
    for (size_t i = 0; i < len; i++)
        spaces += text[i] == ' ';
    char *s = malloc(len + 2 * spaces + 1 + space_prefix);
    if (!s)
        return NULL;
    size_t m = 0;
    if (space_prefix) {
        memcpy(s, "\xe2\x96\x81", 3);
        m = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(s + m, "\xe2\x96\x81", 3);
            m += 3;
        } else {
            s[m++] = text[i];
        }
    }
    *n_out = m;
    return s;
}

/* Merge pairs by score until none is left (step 3). */
static bool spm_merge(const senti_tokenizer *t, const char *s, spm_sym *sym, int nsym, tok_heap *h)
{
    for (int i = 1; i < nsym; i++)
        if (!try_bigram(t, s, sym, i - 1, i, h))
            return false;
    while (h->n) {
        tok_bigram b = tok_heap_pop(h);
        spm_sym *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.a)
            continue; /* stale: one side changed since it was queued */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = b.left;
        if (!try_bigram(t, s, sym, l->prev, b.left, h) || !try_bigram(t, s, sym, b.left, l->next, h))
            return false;
    }
    return true;
}

senti_status tok_spm_encode(const senti_tokenizer *t, const char *text, size_t len, bool space_prefix,
                            tok_out *out, senti_err *err)
{
    size_t n = 0;
    char *s = spm_escape(text, len, space_prefix, &n);
    spm_sym *sym = malloc((n + 1) * sizeof *sym);
    tok_heap h = {0};
    bool ok = s && sym;
    int nsym = 0;
    for (size_t off = 0; ok && off < n; nsym++) {
        size_t cl = tok_utf8_lead_len((unsigned char)s[off]);
        if (cl > n - off)
            cl = n - off;
        sym[nsym] = (spm_sym){nsym - 1, off + cl == n ? -1 : nsym + 1, off, cl};
        off += cl;
    }
    ok = ok && spm_merge(t, s, sym, nsym, &h);
    for (int i = 0; ok && nsym > 0 && i != -1; i = sym[i].next) {
        int32_t id = tok_vocab_find(t, s + sym[i].start, sym[i].n);
        if (id >= 0) {
            tok_out_push(out, id);
            continue;
        }
        for (size_t k = 0; k < sym[i].n; k++) {
            int32_t b = t->byte_token[(unsigned char)s[sym[i].start + k]];
            if (b < 0)
                b = t->unk; /* no byte token (llama.cpp throws here) */
            if (b >= 0)
                tok_out_push(out, b);
        }
    }
    free(s);
    free(sym);
    free(h.v);
    return ok ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "tokenize: out of memory");
}
