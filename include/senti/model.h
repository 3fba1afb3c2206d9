/*
 * senti/model.h - transformer language models from GGUF files and their
 * forward pass (llama family, qwen2, gemma3).
 *
 * A senti_model holds the read-only weights (views into the GGUF map), the
 * hyper-parameters and the tokenizer; it can be shared by several contexts.
 * A senti_context holds one sequence's KV cache and a workspace sized once
 * from the hyper-parameters: nothing is allocated per token.
 *
 * Basic usage:
 *     senti_model *m; senti_context *ctx; senti_err e;
 *     senti_model_load("model.gguf", NULL, &m, &e);
 *     senti_context_new(m, 1024, &ctx, &e);
 *     int pos = n - 1; float logits[n_vocab];
 *     senti_outputs out = { .n_out = 1, .pos = &pos, .logits = logits };
 *     senti_decode(ctx, ids, n, &out, &e);          // prefill, logits of the last token
 *     senti_context_truncate(ctx, k);               // keep the first k cached positions
 *     senti_context_free(ctx); senti_model_free(m);
 */
#ifndef SENTI_MODEL_H
#define SENTI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/gguf.h"
#include "senti/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_model senti_model;
typedef struct senti_context senti_context;

typedef enum { SENTI_ARCH_LLAMA = 1, SENTI_ARCH_QWEN2 = 2, SENTI_ARCH_GEMMA3 = 3 } senti_arch;

/* Hyper-parameters as read from the GGUF metadata. */
typedef struct {
    senti_arch arch;
    char arch_name[32];     /* general.architecture */
    int n_vocab;
    int n_ctx_train;
    int n_embd;
    int n_layer;
    int n_head;
    int n_head_kv;
    int head_dim;           /* key/value length per head */
    int n_ff;
    float norm_eps;
    float rope_base;        /* global layers */
    float rope_base_local;  /* gemma3 sliding-window layers */
    int rope_dim;
    bool rope_neox;         /* NeoX (half-split) rotation instead of interleaved pairs */
    int sliding_window;     /* 0 = none */
    int swa_pattern;        /* gemma3: every swa_pattern-th layer is global */
    bool tied_output;       /* output projection shares token_embd */
    int64_t n_params;
} senti_hparams;

typedef struct {
    int n_threads; /* BLAS and kernel threads; 0 = keep the current setting */
} senti_model_params;

SENTI_API senti_model_params senti_model_default_params(void);

/* Load and validate a model. `params` may be NULL for the defaults.
 * Unsupported architectures and tensor types are refused by name. */
SENTI_API senti_status senti_model_load(const char *path, const senti_model_params *params, senti_model **out,
                                        senti_err *err);
SENTI_API void senti_model_free(senti_model *m);

SENTI_API const senti_hparams *senti_model_hparams(const senti_model *m);
SENTI_API const senti_tokenizer *senti_model_tokenizer(const senti_model *m);
SENTI_API const senti_gguf *senti_model_gguf(const senti_model *m);
/* SHA-256 of the model file (computed once, lazily); static for the model's life. */
SENTI_API const char *senti_model_sha256(senti_model *m);

/* A context of up to n_ctx positions (<= 0: min(n_ctx_train, 4096)). */
SENTI_API senti_status senti_context_new(const senti_model *m, int n_ctx, senti_context **out, senti_err *err);
SENTI_API void senti_context_free(senti_context *ctx);
SENTI_API int senti_context_n_ctx(const senti_context *ctx);
/* The model a context runs. */
SENTI_API const senti_model *senti_context_model(const senti_context *ctx);
/* Positions currently held in the KV cache. */
SENTI_API int senti_context_n_past(const senti_context *ctx);
/* Forget cached positions >= n_past (n_past <= current). Used to branch:
 * compute a prefix once, then continue from it with several suffixes. */
SENTI_API void senti_context_truncate(senti_context *ctx, int n_past);

/* What senti_decode should return. Any pointer may be NULL. */
typedef struct {
    int n_out;              /* number of output rows */
    const int *pos;         /* [n_out] indices into this call's tokens (0..n-1) */
    const int32_t *vocab;   /* [n_vocab_sel] vocabulary rows to compute, or NULL for all */
    int n_vocab_sel;
    float *logits;          /* [n_out][n_vocab_sel or n_vocab] raw logits */
    float *logsumexp;       /* [n_out] log sum exp over the FULL vocabulary (forces full rows) */
    float *hidden;          /* [n_out][n_embd] final hidden state after the output norm */
    int n_hidden;           /* 0: hidden holds every output row; else only the first n_hidden */
} senti_outputs;

/* Append `n` tokens after the cached positions and run the forward pass over
 * them in one batch. Returns SENTI_ERR_RANGE when they do not fit in n_ctx,
 * SENTI_ERR_ARG for an id outside the vocabulary. */
SENTI_API senti_status senti_decode(senti_context *ctx, const int32_t *tokens, int n, const senti_outputs *out,
                                    senti_err *err);

/* Several independent sequences in one forward pass: sequence i has
 * seq_len[i] tokens (concatenated in `tokens`), continues the cached positions
 * (a shared prefix) and sees only them and its own tokens, at the positions
 * it would have alone. With seq_parent (may be NULL), sequence i continues the
 * cache and then sequence seq_parent[i], an earlier one whose own parent is
 * -1 (-1: none; SENTI_ERR_ARG otherwise): that is how the continuations of
 * one row (multi-token label words) are scored in the same pass. out->pos
 * index the concatenated tokens. The cache is left as it was (the sequences'
 * keys and values are dropped), so this is for scoring, not for continuing.
 * At most senti_decode_multi_max_tokens() tokens in all (SENTI_ERR_RANGE
 * beyond). Batching short rows this way runs the weight matrices over more
 * rows at once, which is what makes it faster. */
SENTI_API senti_status senti_decode_multi(senti_context *ctx, const int32_t *tokens, const int *seq_len,
                                          const int *seq_parent, int n_seq, const senti_outputs *out, senti_err *err);
SENTI_API int senti_decode_multi_max_tokens(void);

/* Stable in-place log-softmax over n values (max subtracted, sum in double). */
SENTI_API void senti_log_softmax(float *x, int n);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_MODEL_H */
