/*
 * tokenizer_impl.h - private layout of senti_tokenizer, shared by
 * tokenizer.c (loading, special tokens, decoding), tok_bpe.c (byte-level BPE),
 * tok_spm.c (SentencePiece-style merges by score) and tok_util.c (the helpers
 * the other three share).
 *
 * Everything is copied out of the GGUF at load time, so the tokenizer outlives
 * the file. Lookups are hash tables built once (open addressing, linear
 * probing, power-of-two sizes, load factor <= 1/2).
 */
#ifndef SENTI_TOKENIZER_IMPL_H
#define SENTI_TOKENIZER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "senti/tokenizer.h"

/* Token attributes, as llama.cpp derives them from tokenizer.ggml.token_type
 * plus a few fix-ups by token text (see tokenizer.c). */
enum {
    TOK_ATTR_UNKNOWN = 1 << 0,
    TOK_ATTR_UNUSED = 1 << 1,
    TOK_ATTR_NORMAL = 1 << 2,
    TOK_ATTR_CONTROL = 1 << 3,
    TOK_ATTR_USER_DEFINED = 1 << 4,
    TOK_ATTR_BYTE = 1 << 5
};

#define TOK_MAX_REGEX 4
#define TOK_EMPTY_SLOT UINT32_MAX

/* A growable list of token ids (the output of one tokenize call). */
typedef struct {
    int32_t *ids;
    size_t n, cap;
    bool oom;
} tok_out;

struct senti_tokenizer {
    senti_tok_kind kind;
    char pre[64];          /* tokenizer.ggml.pre ("" for SPM) */
    int32_t n_vocab;

    /* vocabulary: token i is blob[off[i] .. off[i]+len[i]) */
    char *blob;
    uint64_t *off;         /* [n_vocab] */
    uint32_t *len;         /* [n_vocab] */
    float *score;          /* [n_vocab], 0 when the file has none */
    uint8_t *attr;         /* [n_vocab], TOK_ATTR_* bits */
    uint32_t *vocab_slot;  /* [vocab_mask+1] token ids, TOK_EMPTY_SLOT when free */
    uint64_t vocab_mask;

    /* BPE merges: merge r is "left right" = mblob[moff[r] .. +mlen[r]), split
     * after msplit[r] bytes (left part), the space skipped. */
    char *mblob;
    uint64_t *moff;        /* [n_merges] */
    uint32_t *mlen;        /* [n_merges] */
    uint32_t *msplit;      /* [n_merges] */
    uint32_t n_merges;
    uint32_t *merge_slot;  /* [merge_mask+1] merge ranks */
    uint64_t merge_mask;

    /* special tokens (control, user-defined, unknown), longest text first */
    int32_t *special;      /* [n_special] */
    size_t n_special;

    /* BPE: pre-tokenizer regexes applied in sequence; byte <-> unicode map */
    pcre2_code *re[TOK_MAX_REGEX];
    int n_re;
    bool ignore_merges;    /* a whole pre-token found in the vocab is kept as is */
    char byte_utf8[256][3]; /* byte -> UTF-8 of its stand-in code point */
    uint8_t byte_utf8_len[256];
    int16_t cpt_byte[324]; /* stand-in code point (< 324) -> byte, -1 if none */

    /* byte fallback: token for each raw byte, -1 when absent */
    int32_t byte_token[256];

    int32_t bos, eos, unk; /* -1 when absent */
    bool add_bos, add_eos, add_space_prefix;
};

/* ---- helpers from tokenizer.c ---- */

/* Id of the exact vocabulary string, or -1. */
int32_t tok_vocab_find(const senti_tokenizer *t, const char *s, size_t n);
/* 64-bit FNV-1a of bytes, continuing from `h` (start with TOK_FNV_INIT). */
#define TOK_FNV_INIT 1469598103934665603ULL
uint64_t tok_hash(uint64_t h, const char *s, size_t n);
/* Append one id; sets out->oom on allocation failure. */
void tok_out_push(tok_out *out, int32_t id);
/* Length in bytes of the UTF-8 sequence that lead byte `c` announces, as
 * llama.cpp's unicode_len_utf8 reads it (1 for continuation bytes). */
size_t tok_utf8_lead_len(unsigned char c);
/* First occurrence of needle (nn > 0 bytes) in hay, or NULL (portable memmem). */
const char *tok_find(const char *hay, size_t hn, const char *needle, size_t nn);

/* ---- tok_bpe.c ---- */

/* Set up the pre-tokenizer regexes and byte map for t->pre. */
senti_status tok_bpe_init(senti_tokenizer *t, senti_err *err);
/* Index the merges of tokenizer.ggml.merges (a string array). */
senti_status tok_bpe_load_merges(senti_tokenizer *t, const senti_gguf_array *merges, senti_err *err);
void tok_bpe_free(senti_tokenizer *t);
/* Tokenize one raw-text fragment (no special tokens in it). */
senti_status tok_bpe_encode(const senti_tokenizer *t, const char *text, size_t len, tok_out *out,
                            senti_err *err);
/* Decode a NORMAL token's byte-level text into raw bytes; returns the length
 * (written up to cap). */
size_t tok_bpe_decode_text(const senti_tokenizer *t, const char *s, size_t n, char *buf, size_t cap);

/* ---- tok_spm.c ---- */

/* Tokenize one raw-text fragment; `space_prefix` prepends a space first. */
senti_status tok_spm_encode(const senti_tokenizer *t, const char *text, size_t len, bool space_prefix,
                            tok_out *out, senti_err *err);

/* ---- merge queue shared by both BPE flavours (tokenizer.c) ---- */

/* A pair of adjacent symbols queued for merging. Pops in increasing `key`
 * (byte-level BPE: the merge rank; SentencePiece: minus the score), ties by
 * the smaller left symbol index. a and b record the symbols' lengths when the
 * pair was queued, so that a stale entry can be recognised when popped. */
typedef struct {
    int left, right;
    double key;
    size_t a, b;
} tok_bigram;

typedef struct {
    tok_bigram *v;
    size_t n, cap;
} tok_heap;

bool tok_heap_push(tok_heap *h, tok_bigram x); /* false when out of memory */
tok_bigram tok_heap_pop(tok_heap *h);           /* h->n > 0 */

#endif
