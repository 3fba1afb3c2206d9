/*
 * train_internal.h - what the fine-tuning files share (finetune_head.c,
 * lora.c, train.c, train_kernels.c, train_data.c) and what the gradient tests
 * call directly: the prompt builder for training rows, the forward/backward
 * kernels and the training forward pass that keeps activations.
 *
 * Conventions of the kernels: row-major float buffers, shapes in the comments;
 * a backward function ADDS into the gradients named d*_acc and OVERWRITES the
 * ones named d*; weights of the base model are frozen (no gradient).
 */
#ifndef SENTI_TRAIN_INTERNAL_H
#define SENTI_TRAIN_INTERNAL_H

#include "03-model/model_internal.h"
#include "senti/finetune.h"
#include "senti/prompt.h"

/* ---- prompts (train_data.c) ------------------------------------------------------ */

typedef struct {
    senti_model *m;
    const senti_verbalizer *v;
    senti_ft_prompt_params pp;
    int n_ctx;
    senti_chat_info chat;
    senti_prompt *prompt;
    int tok_flags;
    senti_label_words_buf lw;          /* owns the label words below */
    const senti_verbalizer_tokens *vt; /* = lw.vt */
    senti_label_words words;           /* = lw.w, flattened as the scorer takes them */
    int32_t *ids;            /* tokenizer buffer */
    size_t cap_ids;
} ft_prompter;

senti_status ft_prompter_new(senti_model *m, const senti_verbalizer *v, const senti_ft_prompt_params *pp,
                             ft_prompter **out, senti_err *err);
void ft_prompter_free(ft_prompter *pr);
/* Prefix (with BOS) and suffix tokens of a row's prompt; both malloc'ed (caller frees). */
senti_status ft_prompter_tokens(ft_prompter *pr, const char *text, size_t len, int32_t **prefix, int *n_prefix,
                                int32_t **suffix, int *n_suffix, senti_err *err);
/* Verbalizer index of example i's label (error naming the row when unknown). */
senti_status ft_example_label(const senti_verbalizer *v, const senti_examples *ex, size_t i, int *label,
                              senti_err *err);

/* ---- kernels (train_kernels.c) -------------------------------------------------------- */

/* out[t] = x[t] * rstd[t] * w, rstd[t] = 1/sqrt(mean(x[t]^2) + eps); x, out [T][n]. */
void tk_rmsnorm_fwd(float *out, float *rstd, const float *x, const float *w, int T, int n, float eps);
/* dx_acc[T][n] += d(out)/dx^T dout. */
void tk_rmsnorm_bwd(float *dx_acc, const float *dout, const float *x, const float *w, const float *rstd, int T,
                    int n);

/* Rotate n_heads heads of hd in each row t (row stride ld) by angles with
 * cos/sin tables cs/sn [T][half]; dir = +1 forward, -1 = the transpose
 * (the backward pass of the rotation). neox: pairs (i, i+half), else (2i, 2i+1). */
void tk_rope(float *x, const float *cs, const float *sn, int T, int n_heads, int hd, int half, bool neox,
             int64_t ld, int dir);

/* Causal self-attention with grouped KV heads over T positions:
 * q [T][H*hd], k, v [T][Hkv*hd] -> out [T][H*hd]; P [H][T][T] saved weights.
 * window > 0: position t sees keys j with t - j < window. */
void tk_attn_fwd(float *out, float *P, const float *q, const float *k, const float *v, int T, int H, int Hkv,
                 int hd, float scale, int window);
/* dq [T][H*hd], dk, dv [T][Hkv*hd] overwritten; scratch [T][T]. */
void tk_attn_bwd(float *dq, float *dk, float *dv, const float *dout, const float *P, const float *q,
                 const float *k, const float *v, int T, int H, int Hkv, int hd, float scale, float *scratch);

/* h = act(g) * u elementwise (act = SiLU, or GELU-tanh when gelu). */
void tk_glu_fwd(float *h, const float *g, const float *u, size_t n, bool gelu);
void tk_glu_bwd(float *dg, float *du, const float *dh, const float *g, const float *u, size_t n, bool gelu);

/* A frozen weight W [rows][cols] (quantized view) with an optional f32 copy. */
typedef struct {
    const senti_mat *W;
    const float *w32; /* [rows][cols] or NULL: rows are dequantized per use into tile */
} tk_weight;

/* LoRA factors of one projection, NULL A for none: A [r][in], B [out][r], scale s. */
typedef struct {
    const float *A, *B;
    int r;
    float s;
} tk_lora;

/* y [T][rows] = x [T][cols] W^T (+ s (x A^T) B^T, saving xa [T][r]).
 * tile: [tile_rows][cols] scratch for the per-use dequantization. */
void tk_linear_fwd(float *y, const tk_weight *w, const tk_lora *lo, const float *x, int T, float *xa, float *tile,
                   int tile_rows);
/* dx_acc [T][cols] += dy W (+ LoRA path); dA_acc, dB_acc (may be NULL) += the
 * LoRA gradients; dxa: [T][r] scratch. */
void tk_linear_bwd(float *dx_acc, const tk_weight *w, const tk_lora *lo, const float *dy, const float *x,
                   const float *xa, int T, float *dA_acc, float *dB_acc, float *dxa, float *tile, int tile_rows);

/* x [T][n] = embedding rows of tokens, times scale. */
void tk_embed_fwd(float *x, const senti_mat *E, const int32_t *tok, int T, float scale);
/* dE_acc [V][n] += scale * dx rows at the tokens' rows. */
void tk_embed_bwd(float *dE_acc, const float *dx, const int32_t *tok, int T, int n, float scale);

/* Label scores from per-word scores z [n_words] (logits or log-probs):
 * scores[l] = agg over the words of label l; loss = -log softmax(scores)[y];
 * dz [n_words] = d loss / dz (may be NULL). Returns the loss. */
double tk_label_loss(const float *z, const senti_label_words *w, senti_agg agg, int y, double *scores, float *dz);

/* ---- the training forward / backward (train.c) ------------------------------------------- */

typedef struct ft_trainer ft_trainer;

/* A trainer for prompts of up to T_max tokens scoring the label words `w`
 * (any number of tokens each; the longest adds its length - 1 positions),
 * aggregated with `agg`, each word's log-prob divided by its token count when
 * length_norm is set (as the scorer does). */
senti_status ft_trainer_new(const senti_model *m, const senti_label_words *w, senti_agg agg, bool length_norm,
                            int T_max, bool cache_f32, ft_trainer **out, senti_err *err);
void ft_trainer_free(ft_trainer *tr);
int ft_trainer_n_labels(const ft_trainer *tr);

/* Forward over the prompt tok[0..T-1] (T <= T_max) with adapters `lora` (may
 * be NULL; with multi-token words, once per such word over the prompt and the
 * word's leading tokens), label scores for the words after position T-1 into
 * scores[n_labels] (may be NULL: the scorer's up to a constant per prompt,
 * exactly its with length_norm), loss against `label` (-1: no loss, 0
 * returned). With `grad` non-NULL (same shapes as lora), the backward pass
 * adds d loss / d(A, B) into it. */
senti_status ft_trainer_run(ft_trainer *tr, const senti_lora *lora, const int32_t *tok, int T, int label,
                            double *loss, double *scores, senti_lora *grad, senti_err *err);

/* Zero every adapter array of a (gradient) lora. */
void ft_lora_zero(senti_lora *g);
/* A lora of the same shapes as `a`, all zero (gradients, Adam moments). */
senti_status ft_lora_like(const senti_lora *a, senti_lora **out, senti_err *err);
/* Copy values of `src` into `dst` (same shapes). */
void ft_lora_copy(senti_lora *dst, const senti_lora *src);

#endif /* SENTI_TRAIN_INTERNAL_H */
