/*
 * tok_util.c - what tokenizer.c, tok_bpe.c and tok_spm.c share: string
 * hashing, the vocabulary lookup, UTF-8 lead bytes, the output buffer and the
 * merge queue (a binary heap of candidate pairs). The bottom of the tokenizer
 * layer: it calls nothing else in it.
 */
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"
#include "tokenizer_impl.h"

/* ---- small shared helpers ------------------------------------------------- */

uint64_t tok_hash(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

size_t tok_utf8_lead_len(unsigned char c)
{
    static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[c >> 4];
}

const char *tok_find(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0 || nn > hn)
        return NULL;
    const char *end = hay + (hn - nn) + 1;
    for (const char *p = hay; p < end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p)
            return NULL;
        if (!memcmp(p, needle, nn))
            return p;
    }
    return NULL;
}

void tok_out_push(tok_out *out, int32_t id)
{
    if (out->oom)
        return;
    int32_t *p = senti_grow(out->ids, &out->cap, out->n + 1, sizeof *p, 64);
    if (!p) {
        out->oom = true;
        return;
    }
    out->ids = p;
    out->ids[out->n++] = id;
}

int32_t tok_vocab_find(const senti_tokenizer *t, const char *s, size_t n)
{
    uint64_t i = tok_hash(TOK_FNV_INIT, s, n) & t->vocab_mask;
    for (;; i = (i + 1) & t->vocab_mask) {
        uint32_t id = t->vocab_slot[i];
        if (id == TOK_EMPTY_SLOT)
            return -1;
        if (t->len[id] == n && !memcmp(t->blob + t->off[id], s, n))
            return (int32_t)id;
    }
}

/* ---- merge queue ------------------------------------------------------------- */

static bool tok_before(const tok_bigram *x, const tok_bigram *y)
{
    return x->key < y->key || (x->key == y->key && x->left < y->left);
}

bool tok_heap_push(tok_heap *h, tok_bigram x)
{
    tok_bigram *p = senti_grow(h->v, &h->cap, h->n + 1, sizeof *p, 64);
    if (!p)
        return false;
    h->v = p;
    size_t i = h->n++;
    while (i > 0 && tok_before(&x, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = x;
    return true;
}

tok_bigram tok_heap_pop(tok_heap *h)
{
    tok_bigram top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && tok_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!tok_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}
