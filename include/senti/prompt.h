/*
 * senti/prompt.h - prompt templates, chat wrapping and few-shot demonstrations.
 *
 * A prompt is built in two parts so that the scorer can compute the shared
 * part once and reuse its KV cache:
 *
 *   prefix = [chat head] [instruction SEP] demo_1 SEP demo_2 ... SEP demo_k
 *   suffix = [SEP, when k > 0 or there is an instruction] row [chat tail]
 *
 *   row    = template with {text} replaced by the row's text
 *   demo_i = demo_template with {text} and {label} replaced, where {label}
 *            is the first word of the demonstration's label; without a
 *            demo_template, demo_i = row rendering of its text followed by
 *            the label word's continuation text (senti_continuation_text), so
 *            a demonstration reads exactly like a scored prompt + its answer.
 *   SEP    = separator (default "\n\n").
 *
 * The prefix never ends with the separator: the cut falls right after a label
 * word (or after the chat head), where tokenizers do not merge across.
 * The scored label word follows the suffix. Placeholders are the exact
 * strings "{text}" and "{label}"; other braces are literal.
 *
 * Chat wrapping (instruction-tuned models), detected from the GGUF key
 * tokenizer.chat_template:
 *   ChatML (contains "<|im_start|>", SmolLM2, Qwen):
 *     head = "<|im_start|>system\n" SYSTEM "<|im_end|>\n<|im_start|>user\n"
 *            (the system block is left out when there is no system text)
 *     tail = "<|im_end|>\n<|im_start|>assistant\n"
 *     SYSTEM = the caller's system text, else the default system message the
 *     template inserts when none is given (parsed from the template).
 *   Gemma (contains "<start_of_turn>"):
 *     head = "<start_of_turn>user\n" [SYSTEM "\n\n"]
 *     tail = "<end_of_turn>\n<start_of_turn>model\n"
 *     the user content is trimmed of surrounding whitespace, as Gemma's template does.
 *   Demonstrations as turns (demo_turns, chat formats only): each one becomes
 *   a user turn (its template rendering) and an assistant turn (its label's
 *   first word, as the scored word follows the tail), the way chat templates
 *   render a conversation (ChatML below; Gemma alike, every content trimmed):
 *     prefix = head [instruction SEP] row_1 tail word_1 NEXT ... NEXT row_k tail word_k
 *     suffix = NEXT row tail
 *     NEXT   = "<|im_end|>\n<|im_start|>user\n"
 *   A demo_template cannot be combined with it (SENTI_ERR_ARG). Without
 *   demonstrations the prompt is the same as without demo_turns.
 *   No template: plain text. BOS is not part of the text: the tokenizer adds it
 *   (SENTI_TOK_ADD_SPECIAL); chat prompts must be tokenized with
 *   SENTI_TOK_PARSE_SPECIAL (senti_prompt_tok_flags()).
 *
 * Demonstrations (--shots K --train FILE): drawn from a training set held in
 * memory under a seed (GSL mt19937). Sampling `random` (K rows uniformly
 * without replacement) or `balanced` (floor(K/C) per class, the K mod C extra
 * shots to classes drawn at random; a class with too few rows is an error).
 * Order `random` (seeded permutation), `fixed` (file order), `interleaved`
 * (round robin over the classes in verbalizer label order, each class in file
 * order). One shared set per run (default) or a set redrawn for every row from
 * a generator seeded by (seed, row number), so results do not depend on which
 * rows are processed. When train and test are the same file, a demonstration
 * is never the scored row (same row number, or same id when both have ids):
 * in shared mode such a demonstration is replaced, at the same position, by a
 * spare of the same class drawn with the set, and the row is flagged as not
 * using the shared prefix.
 *
 * Context budget (senti_prompt_fit): while the prompt plus the longest label
 * word exceeds the budget, drop demonstrations from the end (the one nearest
 * the row first); when none is left, cut the row's text at a UTF-8 character
 * boundary, keeping its beginning, to the longest length that fits. Both are
 * reported per row. If the empty text does not fit either: SENTI_ERR_RANGE.
 */
#ifndef SENTI_PROMPT_H
#define SENTI_PROMPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/dataset.h"
#include "senti/gguf.h"
#include "senti/verbalizer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SENTI_DEFAULT_TEMPLATE "Review: {text}\nSentiment:"
#define SENTI_DEFAULT_SEPARATOR "\n\n"

/* ---- chat formats ---------------------------------------------------------- */

typedef enum {
    SENTI_CHAT_NONE = 0,
    SENTI_CHAT_CHATML = 1,
    SENTI_CHAT_GEMMA = 2
} senti_chat_format;

typedef struct {
    senti_chat_format format;
    char *default_system; /* system text the template inserts when none is given; NULL if none. Owned:
                             senti_chat_info_clear() */
} senti_chat_info;

/* Detect the format of a chat template text (NULL/empty -> NONE) and, for
 * ChatML, the default system message. */
SENTI_API senti_status senti_chat_detect(const char *tmpl, size_t len, senti_chat_info *out, senti_err *err);
/* The same from a GGUF's tokenizer.chat_template (absent -> NONE). */
SENTI_API senti_status senti_chat_from_gguf(const senti_gguf *g, senti_chat_info *out, senti_err *err);
SENTI_API void senti_chat_info_clear(senti_chat_info *c);
SENTI_API const char *senti_chat_format_name(senti_chat_format f); /* "none", "chatml", "gemma" */

/* Whether prompts are wrapped in the model's chat format (--chat, an
 * experiment's "chat"); the values are those of the `int chat` fields of
 * senti_classify_params and senti_ft_prompt_params. */
typedef enum { SENTI_CHAT_MODE_AUTO = -1, SENTI_CHAT_MODE_OFF = 0, SENTI_CHAT_MODE_ON = 1 } senti_chat_mode;

/* "auto", "on", "off" -> *out; SENTI_ERR_ARG naming the value otherwise. */
senti_status senti_chat_mode_parse(const char *name, senti_chat_mode *out, senti_err *err);

/* The chat part of the prompt set-up, shared by classify and fine-tuning:
 * read g's chat template into *chat (free with senti_chat_info_clear),
 * refuse SENTI_CHAT_MODE_ON when the model has none (SENTI_ERR_ARG), and set
 * chat->format to SENTI_CHAT_NONE for SENTI_CHAT_MODE_OFF, so that
 * chat->format and chat->default_system go into senti_prompt_params as they are. */
senti_status senti_chat_setup(const senti_gguf *g, int mode, senti_chat_info *chat, senti_err *err);

/* ---- prompt builder -------------------------------------------------------- */

typedef struct {
    const char *tmpl;          /* NULL: verbalizer's, else SENTI_DEFAULT_TEMPLATE */
    const char *demo_template; /* NULL: verbalizer's, else derived from template */
    const char *instruction;   /* NULL: verbalizer's, else none; "" = none */
    const char *separator;     /* NULL: verbalizer's, else SENTI_DEFAULT_SEPARATOR */
    senti_chat_format chat;    /* SENTI_CHAT_NONE: plain text */
    const char *system;        /* chat system text; NULL: the template's default (chat_default_system) */
    const char *chat_default_system; /* from senti_chat_info.default_system; may be NULL */
    bool demo_turns;           /* demonstrations as user/assistant turns (chat formats only; see above) */
} senti_prompt_params;

SENTI_API senti_prompt_params senti_prompt_default_params(void);

typedef struct senti_prompt senti_prompt;

/* Validate templates ({text} exactly once; demo_template also {label} once)
 * and keep copies. The verbalizer must outlive the prompt. */
SENTI_API senti_status senti_prompt_create(const senti_prompt_params *p, const senti_verbalizer *v, senti_prompt **out,
                                           senti_err *err);
SENTI_API void senti_prompt_free(senti_prompt *p);

/* The effective settings (owned by the prompt), for the manifest. */
SENTI_API const char *senti_prompt_template(const senti_prompt *p);
SENTI_API const char *senti_prompt_demo_template(const senti_prompt *p); /* NULL when derived */
SENTI_API const char *senti_prompt_instruction(const senti_prompt *p);   /* NULL when none */
SENTI_API const char *senti_prompt_separator(const senti_prompt *p);
SENTI_API const char *senti_prompt_system(const senti_prompt *p);        /* NULL when none */
SENTI_API senti_chat_format senti_prompt_chat(const senti_prompt *p);
SENTI_API bool senti_prompt_demo_turns(const senti_prompt *p); /* demo_turns in effect (a chat format is on) */
SENTI_API int senti_prompt_tok_flags(const senti_prompt *p); /* SENTI_TOK_ADD_SPECIAL [| SENTI_TOK_PARSE_SPECIAL] */

/* Render `template` with {text} (and {label}) replaced; `label` may be NULL
 * when the template has no {label}. Returns a malloc'ed string (caller frees)
 * or NULL when out of memory. */
SENTI_API char *senti_template_render(const char *tmpl, const char *text, size_t text_len, const char *label);

/* One built prompt. The buffers are owned by the senti_prompt and stay valid
 * until its next build/fit call. */
typedef struct {
    const char *prefix; /* NUL-terminated */
    size_t prefix_len;
    const char *suffix;
    size_t suffix_len;
    size_t n_demos;         /* demonstrations in the prefix */
    size_t n_dropped;       /* demonstrations dropped for the context budget */
    bool truncated;         /* the row's text was cut for the budget */
    size_t text_len_used;   /* bytes of the row's text in the prompt */
    size_t n_tokens;        /* tokens of prefix+suffix (senti_prompt_fit only; else 0) */
} senti_prompt_text;

/* Indices into a training set, in prompt order. */
typedef struct {
    const size_t *idx; /* [n] indices into senti_examples.items; owned by whoever returned it */
    size_t n;
    bool shared;       /* the run's shared set, unchanged: its prefix cache may be reused */
} senti_demo_set;

/* Build prefix and suffix for one row. `train`/`demos` may be NULL (zero-shot). */
SENTI_API senti_status senti_prompt_build(senti_prompt *p, const senti_examples *train, const senti_demo_set *demos,
                                          const char *text, size_t text_len, senti_prompt_text *out, senti_err *err);

/* Counts the tokens of a text as the scorer will (BOS included when the
 * tokenizer adds one). Return SIZE_MAX on error. */
typedef size_t (*senti_token_count_fn)(void *ctx, const char *text, size_t len);

/* senti_prompt_build under a context budget of `n_ctx` tokens, keeping
 * `reserve` tokens free for the longest label continuation (rule above). */
SENTI_API senti_status senti_prompt_fit(senti_prompt *p, const senti_examples *train, const senti_demo_set *demos,
                                        const char *text, size_t text_len, size_t n_ctx, size_t reserve,
                                        senti_token_count_fn count, void *count_ctx, senti_prompt_text *out,
                                        senti_err *err);

/* ---- demonstration sampling ------------------------------------------------- */

typedef enum { SENTI_DEMO_RANDOM = 0, SENTI_DEMO_BALANCED = 1 } senti_demo_sampling;
typedef enum { SENTI_ORDER_RANDOM = 0, SENTI_ORDER_FIXED = 1, SENTI_ORDER_INTERLEAVED = 2 } senti_demo_order;

typedef struct {
    size_t shots;                 /* K; 0 = zero-shot */
    senti_demo_sampling sampling; /* default random */
    senti_demo_order order;       /* default random */
    bool per_row;                 /* redraw for every row (default false: one shared set) */
    uint64_t seed;                /* default 1 */
    bool same_file;               /* train and test are the same file: exclude the scored row */
} senti_demo_params;

SENTI_API senti_demo_params senti_demo_default_params(void);

/* Parse option words: "random"/"balanced", "random"/"fixed"/"interleaved". */
SENTI_API senti_status senti_demo_sampling_parse(const char *s, senti_demo_sampling *out, senti_err *err);
SENTI_API senti_status senti_demo_order_parse(const char *s, senti_demo_order *out, senti_err *err);
SENTI_API const char *senti_demo_sampling_name(senti_demo_sampling s);
SENTI_API const char *senti_demo_order_name(senti_demo_order o);

typedef struct senti_demo_sampler senti_demo_sampler;

/* Check the training set (labels present and known to the verbalizer, enough
 * rows for K) and draw the shared set. `train` and `v` must outlive the sampler. */
SENTI_API senti_status senti_demo_sampler_create(const senti_examples *train, const senti_verbalizer *v,
                                                 const senti_demo_params *p, senti_demo_sampler **out, senti_err *err);
SENTI_API void senti_demo_sampler_free(senti_demo_sampler *s);

/* The demonstrations for the scored row `row` (1-based row number of the test
 * file; `id` may be NULL). out->idx is owned by the sampler and valid until the
 * next draw. */
SENTI_API senti_status senti_demo_sampler_draw(senti_demo_sampler *s, size_t row, const char *id, senti_demo_set *out,
                                               senti_err *err);
/* The shared set as drawn (per_row: empty), for the manifest: indices into
 * train (train->items[idx[i]].row gives the file row number). */
SENTI_API senti_demo_set senti_demo_sampler_shared(const senti_demo_sampler *s);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_PROMPT_H */
