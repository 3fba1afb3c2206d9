/*
 * tok_bpe.c - byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp
 * does it:
 *
 *   1. decode the fragment into code points with llama.cpp's lenient decoder
 *      (a byte that does not start a complete sequence becomes U+FFFD) and
 *      re-encode it as UTF-8;
 *   2. pre-tokenize: the regexes of tokenizer.ggml.pre are applied one after
 *      the other, each splitting the pieces the previous one produced (the
 *      text between matches is kept as pieces too);
 *   3. byte-encode each piece: every byte becomes its GPT-2 stand-in code
 *      point (printable bytes stand for themselves, the others map to
 *      U+0100...);
 *   4. merge adjacent symbols by merge rank (lowest first, then leftmost)
 *      until no ranked pair is left; emit each symbol's token.
 *
 * The regexes are llama.cpp's, compiled with PCRE2 in UTF mode. llama.cpp's
 * \s is the Unicode White_Space set (it includes U+0085, which PCRE2's \s does
 * not), so the patterns spell that set out as WS below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

/* ---- pre-tokenizer regexes ---------------------------------------------------- */

#define WS "\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static const char RE_GPT2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS
                              "]+(?![^" WS "])|[" WS "]+";
/* Llama 3 (numbers in runs of up to 3) and Qwen 2 (single digits). */
#define RE_LLAMA3_HEAD                                                                                       \
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
#define RE_LLAMA3_TAIL                                                                                       \
    "| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*|[" WS "]*[\\r\\n]+|[" WS "]+(?![^" WS "])|[" WS "]+"
static const char RE_LLAMA3[] = RE_LLAMA3_HEAD "\\p{N}{1,3}" RE_LLAMA3_TAIL;
static const char RE_QWEN2[] = RE_LLAMA3_HEAD "\\p{N}" RE_LLAMA3_TAIL;
static const char RE_DIGIT[] = "\\p{N}";

typedef struct {
    const char *names; /* '|'-separated tokenizer.ggml.pre values */
    const char *re[TOK_MAX_REGEX];
    bool ignore_merges;
} pre_spec;

static const pre_spec PRE_SPECS[] = {
    {"|smollm|starcoder|refact|command-r|codeshell|exaone|minerva|", {RE_DIGIT, RE_GPT2}, false},
    {"|gpt-2|phi-2|jina-es|jina-de|gigachat|jina-v2-es|jina-v2-de|mpt|olmo|jais|roberta-bpe|jina-v1-en|"
     "jina-v2-code|",
     {RE_GPT2}, false},
    {"|llama3|llama-v3|llama-bpe|falcon3|pixtral|", {RE_LLAMA3}, true},
    {"|dbrx|smaug-bpe|", {RE_LLAMA3}, false},
    {"|qwen2|deepseek-r1-qwen|stablelm2|", {RE_QWEN2}, false},
};

static const pre_spec *find_pre(const char *name)
{
    char key[80];
    snprintf(key, sizeof key, "|%s|", name);
    for (size_t i = 0; i < sizeof PRE_SPECS / sizeof PRE_SPECS[0]; i++)
        if (strstr(PRE_SPECS[i].names, key))
            return &PRE_SPECS[i];
    return NULL;
}

/* GPT-2's byte <-> code point table: the printable bytes '!'..'~', 0xA1..0xAC,
 * 0xAE..0xFF stand for themselves, the other 68 bytes take U+0100 onwards. */
static void build_byte_map(senti_tokenizer *t)
{
    int next = 256;
    for (int i = 0; i < 324; i++)
        t->cpt_byte[i] = -1;
    for (int b = 0; b < 256; b++) {
        bool self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        int cp = self ? b : next++;
        t->cpt_byte[cp] = (int16_t)b;
        if (cp < 0x80) {
            t->byte_utf8[b][0] = (char)cp;
            t->byte_utf8_len[b] = 1;
        } else {
            t->byte_utf8[b][0] = (char)(0xC0 | (cp >> 6));
            t->byte_utf8[b][1] = (char)(0x80 | (cp & 0x3F));
            t->byte_utf8_len[b] = 2;
        }
    }
}

senti_status tok_bpe_init(senti_tokenizer *t, senti_err *err)
{
    const pre_spec *spec = find_pre(t->pre);
    if (!spec)
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "tokenizer.ggml.pre: '%s' is not supported", t->pre);
    build_byte_map(t);
    t->ignore_merges = spec->ignore_merges;
    for (int i = 0; i < TOK_MAX_REGEX && spec->re[i]; i++) {
        int code;
        PCRE2_SIZE at;
        t->re[i] = pcre2_compile((PCRE2_SPTR)spec->re[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &at, NULL);
        if (!t->re[i])
            return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "pre-tokenizer regex %d does not compile (offset %zu)",
                                 i, (size_t)at);
        t->n_re = i + 1;
        (void)pcre2_jit_compile(t->re[i], PCRE2_JIT_COMPLETE); /* optional speed-up */
    }
    return SENTI_OK;
}

void tok_bpe_free(senti_tokenizer *t)
{
    for (int i = 0; i < t->n_re; i++)
        pcre2_code_free(t->re[i]);
    t->n_re = 0;
    free(t->mblob);
    free(t->moff);
    free(t->mlen);
    free(t->msplit);
    free(t->merge_slot);
}

/* ---- merges -------------------------------------------------------------------- */

/* Rank of the merge (left, right), or -1. */
static int64_t merge_rank(const senti_tokenizer *t, const char *l, size_t ln, const char *r, size_t rn)
{
    uint64_t h = tok_hash(tok_hash(tok_hash(TOK_FNV_INIT, l, ln), " ", 1), r, rn);
    for (uint64_t i = h & t->merge_mask;; i = (i + 1) & t->merge_mask) {
        uint32_t m = t->merge_slot[i];
        if (m == TOK_EMPTY_SLOT)
            return -1;
        const char *s = t->mblob + t->moff[m];
        if (t->msplit[m] == ln && t->mlen[m] == ln + 1 + rn && !memcmp(s, l, ln) && !memcmp(s + ln + 1, r, rn))
            return m;
    }
}

senti_status tok_bpe_load_merges(senti_tokenizer *t, const senti_gguf_array *a, senti_err *err)
{
    if (a->type != SENTI_GGUF_STRING || a->count >= UINT32_MAX / 2)
        return senti_err_set(err, SENTI_ERR_FORMAT, "tokenizer.ggml.merges: want a string array");
    uint64_t total = 0;
    for (uint64_t i = 0; i < a->count; i++)
        total += senti_gguf_arr_str(a, i).len;
    t->n_merges = (uint32_t)a->count;
    t->mblob = malloc(total ? total : 1);
    t->moff = malloc((a->count + 1) * sizeof *t->moff);
    t->mlen = malloc((a->count + 1) * sizeof *t->mlen);
    t->msplit = malloc((a->count + 1) * sizeof *t->msplit);
    uint64_t size = 16;
    while (size < 2 * a->count)
        size *= 2;
    t->merge_mask = size - 1;
    t->merge_slot = malloc(size * sizeof *t->merge_slot);
    if (!t->mblob || !t->moff || !t->mlen || !t->msplit || !t->merge_slot)
        return senti_err_set(err, SENTI_ERR_NOMEM, "tokenizer: out of memory for %u merges", t->n_merges);
    memset(t->merge_slot, 0xff, size * sizeof *t->merge_slot);
    uint64_t pos = 0;
    for (uint32_t i = 0; i < t->n_merges; i++) {
        senti_str s = senti_gguf_arr_str(a, i);
        memcpy(t->mblob + pos, s.ptr, s.len);
        t->moff[i] = pos;
        t->mlen[i] = (uint32_t)s.len;
        pos += s.len;
        /* "left right", split at the first space after the first byte (as llama.cpp) */
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', s.len - 1) : NULL;
        if (!sp)
            continue; /* unusable merge: never matches */
        size_t ln = (size_t)(sp - s.ptr);
        t->msplit[i] = (uint32_t)ln;
        if (merge_rank(t, s.ptr, ln, sp + 1, s.len - ln - 1) >= 0)
            continue; /* duplicate: the first rank wins */
        uint64_t h = tok_hash(TOK_FNV_INIT, s.ptr, s.len) & t->merge_mask;
        while (t->merge_slot[h] != TOK_EMPTY_SLOT)
            h = (h + 1) & t->merge_mask;
        t->merge_slot[h] = i;
    }
    return SENTI_OK;
}

/* ---- step 1: lenient UTF-8 decoding ---------------------------------------------- */

/* One code point at s[0..n) the way llama.cpp's unicode_cpt_from_utf8 reads
 * it (no overlong or surrogate checks); *used gets its length; returns
 * 0xFFFD (used = 1) for a byte that does not start a complete sequence. */
static uint32_t decode_cpt(const unsigned char *s, size_t n, size_t *used)
{
    unsigned c = s[0];
    size_t need = !(c & 0x80) ? 1 : !(c & 0x40) ? 0 : !(c & 0x20) ? 2 : !(c & 0x10) ? 3 : !(c & 0x08) ? 4 : 0;
    if (need == 1) {
        *used = 1;
        return c;
    }
    bool ok = need > 0 && need <= n;
    for (size_t k = 1; ok && k < need; k++)
        ok = (s[k] & 0xC0) == 0x80;
    *used = 1;
    if (!ok)
        return 0xFFFD;
    static const unsigned lead_mask[5] = {0, 0, 0x1F, 0x0F, 0x07};
    uint32_t cp = c & lead_mask[need];
    for (size_t k = 1; k < need; k++)
        cp = (cp << 6) | (s[k] & 0x3F);
    *used = need;
    return cp;
}

static size_t put_utf8(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* norm: the re-encoded code points (what llama.cpp tokenizes); subj: the same
 * with surrogates as U+FFFD (same byte length) so PCRE2 accepts it. Code
 * points above U+10FFFF, on which llama.cpp aborts, become U+FFFD in both.
 * Both buffers hold 3 * len bytes. Returns the byte length. */
static size_t normalize(const char *text, size_t len, char *norm, char *subj)
{
    size_t m = 0;
    for (size_t i = 0; i < len;) {
        size_t used;
        uint32_t cp = decode_cpt((const unsigned char *)text + i, len - i, &used);
        i += used;
        if (cp > 0x10FFFF)
            cp = 0xFFFD;
        size_t k = put_utf8(cp, norm + m);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            put_utf8(0xFFFD, subj + m);
        else
            memcpy(subj + m, norm + m, k);
        m += k;
    }
    return m;
}

/* ---- step 2: regex splitting --------------------------------------------------------- */

/* Split the pieces [cut[i], cut[i+1]) of subj with `re`; `cut` holds n+1
 * boundaries and `next` room for 2*len+2. Returns the new boundary count. */
static size_t regex_split(const pcre2_code *re, pcre2_match_data *md, const char *subj, const size_t *cut,
                          size_t nb, size_t *next)
{
    size_t m = 0;
    next[m++] = cut[0];
    for (size_t i = 0; i + 1 < nb; i++) {
        size_t s = cut[i], len = cut[i + 1] - cut[i], pos = 0;
        while (pos < len) {
            int rc = pcre2_match(re, (PCRE2_SPTR)(subj + s), len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
            if (rc < 0)
                break;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            if (ov[0] > next[m - 1] - s)
                next[m++] = s + ov[0]; /* the unmatched gap before the match */
            if (ov[1] > ov[0]) {
                next[m++] = s + ov[1];
                pos = ov[1];
            } else { /* empty match: step over one character */
                pos = ov[1] + tok_utf8_lead_len((unsigned char)subj[s + ov[1]]);
            }
        }
        if (next[m - 1] < s + len)
            next[m++] = s + len;
    }
    return m;
}

/* ---- step 4: merges ------------------------------------------------------------------ */

typedef struct {
    int prev, next;
    size_t start, n;
} bpe_sym;

static bool add_bigram(const senti_tokenizer *t, const char *w, const bpe_sym *sym, int l, int r, tok_heap *h)
{
    if (l < 0 || r < 0)
        return true;
    int64_t rank = merge_rank(t, w + sym[l].start, sym[l].n, w + sym[r].start, sym[r].n);
    if (rank < 0)
        return true;
    tok_bigram b = {l, r, (double)rank, sym[l].n, sym[r].n};
    return tok_heap_push(h, b);
}

/* BPE over one byte-encoded word w[0..n); emits its tokens. */
static bool bpe_word(const senti_tokenizer *t, const char *w, size_t n, bpe_sym *sym, tok_heap *h, tok_out *out)
{
    int ns = 0;
    h->n = 0;
    if (t->ignore_merges && tok_vocab_find(t, w, n) >= 0) {
        sym[ns++] = (bpe_sym){-1, -1, 0, n};
    } else {
        for (size_t off = 0; off < n; ns++) {
            size_t cl = tok_utf8_lead_len((unsigned char)w[off]);
            cl = cl > n - off ? n - off : cl;
            sym[ns] = (bpe_sym){ns - 1, off + cl == n ? -1 : ns + 1, off, cl};
            off += cl;
        }
    }
    for (int i = 1; i < ns; i++)
        if (!add_bigram(t, w, sym, i - 1, i, h))
            return false;
    while (h->n) {
        tok_bigram b = tok_heap_pop(h);
        bpe_sym *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n != b.a || r->n != b.b)
            continue; /* outdated pair */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = b.left;
        if (!add_bigram(t, w, sym, l->prev, b.left, h) || !add_bigram(t, w, sym, b.left, l->next, h))
            return false;
    }
    for (int i = 0; i < ns; i++) {
        if (sym[i].n == 0)
            continue;
        int32_t id = tok_vocab_find(t, w + sym[i].start, sym[i].n);
        if (id >= 0) {
            tok_out_push(out, id);
            continue;
        }
        for (size_t k = 0; k < sym[i].n; k++) { /* llama.cpp: each byte as a one-byte token, if any */
            int32_t b = tok_vocab_find(t, w + sym[i].start + k, 1);
            if (b >= 0)
                tok_out_push(out, b);
        }
    }
    return true;
}

senti_status tok_bpe_encode(const senti_tokenizer *t, const char *text, size_t len, tok_out *out, senti_err *err)
{
    char *norm = malloc(3 * len + 1), *subj = malloc(3 * len + 1);
    size_t *cut = malloc((6 * len + 4) * sizeof *cut), *next = malloc((6 * len + 4) * sizeof *next);
    char *word = malloc(6 * len + 1);
    bpe_sym *sym = malloc((6 * len + 1) * sizeof *sym);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    tok_heap h = {0};
    bool ok = norm && subj && cut && next && word && sym && md;
    if (ok) {
        size_t n = normalize(text, len, norm, subj);
        size_t nb = 2;
        cut[0] = 0;
        cut[1] = n;
        for (int r = 0; r < t->n_re && n > 0; r++) {
            nb = regex_split(t->re[r], md, subj, cut, nb, next);
            size_t *tmp = cut;
            cut = next;
            next = tmp;
        }
        for (size_t i = 0; ok && n > 0 && i + 1 < nb; i++) {
            size_t wn = 0; /* step 3: byte-encode the piece */
            for (size_t k = cut[i]; k < cut[i + 1]; k++) {
                unsigned char b = (unsigned char)norm[k];
                memcpy(word + wn, t->byte_utf8[b], t->byte_utf8_len[b]);
                wn += t->byte_utf8_len[b];
            }
            ok = bpe_word(t, word, wn, sym, &h, out);
        }
    }
    free(norm);
    free(subj);
    free(cut);
    free(next);
    free(word);
    free(sym);
    free(h.v);
    pcre2_match_data_free(md);
    return ok ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "tokenize: out of memory");
}

/* ---- decoding ------------------------------------------------------------------------ */

size_t tok_bpe_decode_text(const senti_tokenizer *t, const char *s, size_t n, char *buf, size_t cap)
{
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t used;
        uint32_t cp = decode_cpt((const unsigned char *)s + i, n - i, &used);
        if (cp < 324 && t->cpt_byte[cp] >= 0) {
            if (buf && m < cap)
                buf[m] = (char)t->cpt_byte[cp];
            m++;
        } else { /* not a stand-in: llama.cpp writes "[UNK_BYTE_0x<hex><token text>]" */
            char tmp[64];
            int k = snprintf(tmp, sizeof tmp, "[UNK_BYTE_0x");
            for (size_t j = 0; j < used; j++)
                k += snprintf(tmp + k, sizeof tmp - (size_t)k, "%02x", (unsigned char)s[i + j]);
            for (int j = 0; j < k; j++, m++)
                if (buf && m < cap)
                    buf[m] = tmp[j];
            for (size_t j = 0; j < n; j++, m++)
                if (buf && m < cap)
                    buf[m] = s[j];
            if (buf && m < cap)
                buf[m] = ']';
            m++;
        }
        i += used;
    }
    return m;
}
