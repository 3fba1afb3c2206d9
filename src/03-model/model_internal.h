/*
 * model_internal.h - what model.c (loading) and forward.c (the forward pass)
 * share: the model's weight views and the context's cache and workspace.
 *
 * Weights stay in the GGUF map (read-only views); the small 1-D tensors
 * (norm weights, biases, rope frequency factors) are dequantized once at load
 * into f32 arrays owned by the model.
 */
#ifndef SENTI_MODEL_INTERNAL_H
#define SENTI_MODEL_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "senti/model.h"

/* A 2-D weight matrix: `rows` rows of `cols` elements of ggml type `type`,
 * row r starting at data + r * row_bytes. */
typedef struct {
    const void *data;
    int type;
    int64_t rows;
    int64_t cols;
    size_t row_bytes;
} senti_mat;

/* One transformer block. Optional parts have NULL data / NULL pointers. */
typedef struct {
    float *attn_norm;       /* [n_embd] */
    senti_mat wq, wk, wv;   /* [n_head*hd][n_embd], [n_kv*hd][n_embd] x2 */
    float *bq, *bk, *bv;    /* qwen2 biases or NULL */
    float *q_norm, *k_norm; /* gemma3 per-head norms [hd] or NULL */
    senti_mat wo;           /* [n_embd][n_head*hd] */
    float *post_attn_norm;  /* gemma3 [n_embd] or NULL */
    float *ffn_norm;        /* [n_embd] */
    senti_mat gate, up;     /* [n_ff][n_embd] */
    senti_mat down;         /* [n_embd][n_ff] */
    float *post_ffw_norm;   /* gemma3 [n_embd] or NULL */
    bool is_swa;            /* sliding-window (local) attention layer */
} senti_layer;

struct senti_model {
    senti_gguf *gguf;           /* owned; the weights are views into its map */
    senti_tokenizer *tok;       /* owned */
    senti_hparams hp;
    senti_mat tok_embd;         /* [n_vocab][n_embd] */
    senti_mat output;           /* [n_vocab][n_embd] (== tok_embd when tied) */
    float *output_norm;         /* [n_embd] */
    float *rope_freqs;          /* [rope_dim/2] frequency divisors or NULL */
    senti_layer *layers;        /* [n_layer] */
    float rope_freq_scale;      /* 1 / linear scaling factor */
    float attn_scale;           /* multiplies q.k */
    float embd_scale;           /* gemma: sqrt(n_embd), else 1 */
    float final_softcap;        /* 0 = none */
    bool gelu;                  /* GELU-tanh gate (gemma) instead of SiLU */
    bool sha_done;
    char sha[65];
    float **owned;              /* every f32 array above, for freeing */
    size_t n_owned;
};

/* senti_expf, senti_silu, senti_gelu_tanh and the GLU kernels live in
 * 01-tensor/act.h (the per-level kernel objects compile them too). */
#include "01-tensor/act.h"

/* Largest batch run through the layers at once; longer inputs go in chunks. */
#define SENTI_MAX_BATCH 512
/* Query rows per attention work item (its keys are packed once for all of them). */
#define SENTI_ATT_ROWS 64
/* Work is cut into a multiple of this many pieces (weight tiles, attention
 * blocks) whatever the thread count, so that results do not depend on it.
 * 2 balances the 2-core machines we measure on and keeps their bytes as they
 * were when the pieces followed the thread count; many-core machines get
 * fewer pieces than threads on small matrices (the price of equal bytes). */
#define SENTI_TILE_SPLIT 2
/* Vocabulary rows per block of the output projection. */
#define SENTI_OUT_BLOCK 4096

struct senti_context {
    const senti_model *m;
    int n_ctx;
    int n_past;
    int n_kv_dim;        /* n_head_kv * head_dim */
    float *k_cache;      /* [n_layer][n_ctx][n_kv_dim] */
    float *v_cache;      /* [n_layer][n_ctx][n_kv_dim] */
    void *arena;         /* the one allocation that every buffer here is a 64-byte aligned slice of */
    size_t arena_bytes;  /* its size */
    /* workspace, sized once for SENTI_MAX_BATCH tokens */
    float *x;            /* [B][n_embd] residual stream */
    float *xn;           /* [B][n_embd] normalized input of a sub-layer */
    float *q;            /* [B][n_head*hd] */
    float *k;            /* [B][n_kv_dim] */
    float *v;            /* [B][n_kv_dim] */
    float *att;          /* [B][n_head*hd] attention output before wo */
    float *tmp;          /* [B][max(n_embd, n_ff)] sub-layer output */
    float *ff_gate;      /* [B][n_ff] */
    float *ff_up;        /* [B][n_ff] */
    int max_threads;     /* per-thread scratch below exists for this many threads */
    int n_threads;       /* threads of the current decode call (<= max_threads) */
    float *scores;       /* [max_threads][scores_floats]: attention weights [G*SENTI_ATT_ROWS][n_ctx] */
    float *att_q;        /* [max_threads][att_qo_floats]: stacked queries [G*SENTI_ATT_ROWS][head_dim] */
    float *att_o;        /* [max_threads][att_qo_floats]: their outputs, same shape */
    size_t scores_floats, att_qo_floats; /* G = query heads per KV head */
    float *tile;         /* [max_threads][tile_floats] dequantized weight rows */
    size_t tile_floats;
    float *tile_out;     /* [B][SENTI_OUT_BLOCK] logits of one vocabulary block */
    float *hid;          /* [B][n_embd] normalized hidden states of the output rows */
    double *lse_max;     /* [B] running max for the logsumexp */
    double *lse_sum;     /* [B] running sum */
    int *out_idx;        /* [B] output row index of each gathered hidden state */
    int *seq_start;      /* [B] per token of the running chunk: index of its sequence's first
                            token (all 0 for one sequence; senti_decode_multi packs several) */
    int *par_start;      /* [B] per token: first index and length of the earlier sequence of the */
    int *par_len;        /*     chunk that its own continues (length 0: none) */
    int *keep;           /* [B] chunk rows the outputs read, ascending (run through the last layer) */
    int *kept_at;        /* [B] index of a chunk row among them, -1 if not kept */
    float *rope_cos;     /* [B][rope_dim/2] */
    float *rope_sin;     /* [B][rope_dim/2] */
    uint8_t *xq;         /* [B][xq_row_bytes] activations quantized to 8 bits */
    size_t xq_row_bytes; /* widest quantized activation row */
    bool matmul_f32;     /* f32 activations for every matmul (senti_get_numerics() at creation) */
};

/* ---- matmul.c: the matrix products (used by forward.c, model.c and tests) ---- */

/* Row sel[i] of W when sel is non-NULL, else row i. */
static inline const void *senti_mat_row(const senti_mat *W, const int32_t *sel, int64_t i)
{
    int64_t r = sel ? sel[i] : i;
    return (const char *)W->data + (size_t)r * W->row_bytes;
}

/* y[t][r] = sum_c W[r][c] * x[t][c] for t < T, r < W->rows (ldy = row stride of y). */
void senti_matmul(senti_context *ctx, const senti_mat *W, const float *x, int T, float *y, int64_t ldy);

/* y[t][i] = W[sel ? sel[i] : i] . x[t] for i < n_rows, t < T (the logits of a vocabulary subset). */
void senti_matmul_rows(senti_context *ctx, const senti_mat *W, const int32_t *sel, int64_t n_rows, const float *x,
                       int T, float *y, int64_t ldy);

/* One product of senti_matmul_shared: y = x W^T, rows of y ldy apart. */
typedef struct {
    const senti_mat *W;
    float *y;
    int64_t ldy;
} mm_job;

/* y_j = x W_j^T for the n <= 3 products of one input x (Q, K and V; gate and
 * up): with the q8 numerics x is quantized once for those of one weight type
 * and their tiles run in one parallel region; the same bytes as n calls of
 * senti_matmul. */
void senti_matmul_shared(senti_context *ctx, const mm_job *jobs, int n, const float *x, int T);

#endif /* SENTI_MODEL_INTERNAL_H */
