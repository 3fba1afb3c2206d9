/*
 * senti/tokenizer.h - tokenizers built from GGUF metadata, matching llama.cpp.
 *
 *   tokenizer.ggml.model = "gpt2"  -> byte-level BPE, pre-tokenizer chosen by
 *                                     tokenizer.ggml.pre (smollm, llama3, qwen2, gpt2...)
 *   tokenizer.ggml.model = "llama" -> SentencePiece-style BPE over scores with
 *                                     byte fallback (Llama 2, Gemma)
 *
 * Basic usage:
 *     senti_tokenizer *tok;
 *     senti_tokenizer_load(gguf, &tok, &err);
 *     int32_t ids[256]; size_t n;
 *     senti_tokenize(tok, "great movie", 11, SENTI_TOK_ADD_SPECIAL, ids, 256, &n, &err);
 *     senti_tokenizer_free(tok);
 *
 * Invalid UTF-8 input is handled as llama.cpp handles it, deterministically
 * for every byte string:
 *   - byte-level BPE: the text is decoded leniently (a lead byte followed by
 *     the continuation bytes it announces is one code point, overlong forms
 *     and surrogates included); each byte that does not start such a sequence
 *     becomes U+FFFD, and the code points are re-encoded before
 *     pre-tokenization. So invalid bytes come back as "\xEF\xBF\xBD" when
 *     decoding, and e.g. the overlong "\xC0\xAF" as "/". Code points above
 *     U+10FFFF (on which llama.cpp aborts) also become U+FFFD.
 *   - SentencePiece: bytes are kept as they are; characters are delimited by
 *     the lead byte's announced length, and any piece that is not a
 *     vocabulary token falls back to one <0xNN> token per byte, so decoding
 *     gives the input bytes back.
 * Special-token texts are matched on raw bytes before any of this.
 *
 * Decoding (senti_token_to_piece, senti_detokenize) is llama.cpp's
 * llama_token_to_piece; senti_detokenize concatenates the pieces (dropping
 * the leading space an SPM add_space_prefix introduced, as llama_detokenize
 * does) but does not apply llama_detokenize's clean-up of spaces before
 * punctuation. So decoding the tokens of a valid UTF-8 text gives the text
 * back (plus the BOS/EOS texts when `special`), except that a literal U+2581
 * in SentencePiece input comes back as a space, as in llama.cpp.
 */
#ifndef SENTI_TOKENIZER_H
#define SENTI_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_tokenizer senti_tokenizer;

typedef enum {
    SENTI_TOK_BPE = 1, /* "gpt2" */
    SENTI_TOK_SPM = 2  /* "llama" */
} senti_tok_kind;

/* Flags for senti_tokenize. */
enum {
    SENTI_TOK_ADD_SPECIAL = 1,   /* add BOS/EOS as the model's metadata says */
    SENTI_TOK_PARSE_SPECIAL = 2  /* recognise special/control token texts (<|im_start|>) */
};

/* Build from an open GGUF file. The tokenizer copies what it needs: it stays
 * valid after senti_gguf_close(). */
SENTI_API senti_status senti_tokenizer_load(const senti_gguf *g, senti_tokenizer **out, senti_err *err);
SENTI_API void senti_tokenizer_free(senti_tokenizer *t);

/* Tokenize `len` bytes of `text`. Writes at most `cap` ids; *n_out receives the
 * full count (when it exceeds cap, returns SENTI_ERR_RANGE and the caller can
 * retry with a bigger buffer). */
SENTI_API senti_status senti_tokenize(const senti_tokenizer *t, const char *text, size_t len, int flags,
                                      int32_t *ids, size_t cap, size_t *n_out, senti_err *err);

/* The text of one token as it decodes (byte-level BPE bytes restored,
 * SentencePiece '▁' turned into a space, <0xNN> into that byte). Writes at
 * most cap bytes, returns the full length. Special tokens decode to their text
 * only when `special` is true, else to nothing. */
SENTI_API size_t senti_token_to_piece(const senti_tokenizer *t, int32_t id, bool special, char *buf, size_t cap);

/* Decode a sequence into `buf` (NUL-terminated if cap > 0); returns the full length. */
SENTI_API size_t senti_detokenize(const senti_tokenizer *t, const int32_t *ids, size_t n, bool special, char *buf,
                                  size_t cap);

SENTI_API senti_tok_kind senti_tokenizer_kind(const senti_tokenizer *t);
SENTI_API const char *senti_tokenizer_pre(const senti_tokenizer *t); /* pre-tokenizer name, "" for SPM */
SENTI_API int32_t senti_tokenizer_n_vocab(const senti_tokenizer *t);
SENTI_API int32_t senti_token_bos(const senti_tokenizer *t); /* -1 when none */
SENTI_API int32_t senti_token_eos(const senti_tokenizer *t);
SENTI_API bool senti_tokenizer_add_bos(const senti_tokenizer *t);
SENTI_API bool senti_tokenizer_add_eos(const senti_tokenizer *t);
/* The raw vocabulary string of a token (as stored in the GGUF). */
SENTI_API senti_str senti_token_text(const senti_tokenizer *t, int32_t id);
/* Id of an exact vocabulary string, or -1. */
SENTI_API int32_t senti_token_lookup(const senti_tokenizer *t, const char *text, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_TOKENIZER_H */
