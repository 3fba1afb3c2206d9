/*
 * train_data.c - prompts for fine-tuning, built exactly as classify.c builds
 * them (zero-shot): prompt parts from senti/prompt.h fitted to the context,
 * label words tokenized as continuations of a representative prompt, the
 * prefix tokenized with the prompt's flags and the suffix without BOS.
 */
#include "train_internal.h"

#include <stdlib.h>
#include <string.h>

senti_ft_prompt_params senti_ft_prompt_default_params(void)
{
    senti_ft_prompt_params p;
    memset(&p, 0, sizeof p);
    p.chat = -1;
    p.agg = SENTI_AGG_LOGSUMEXP;
    return p;
}

/* Tokenize into pr->ids (grown as needed). */
static senti_status tokenize(ft_prompter *pr, const char *text, size_t len, int flags, size_t *n, senti_err *err)
{
    for (;;) {
        senti_status s = senti_tokenize(senti_model_tokenizer(pr->m), text, len, flags, pr->ids, pr->cap_ids, n, err);
        if (s != SENTI_ERR_RANGE || *n <= pr->cap_ids)
            return s;
        int32_t *ids = realloc(pr->ids, *n * sizeof *ids);
        if (!ids)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        pr->ids = ids;
        pr->cap_ids = *n;
    }
}

static size_t count_tokens(void *user, const char *text, size_t len)
{
    ft_prompter *pr = user;
    size_t n;
    return tokenize(pr, text, len, pr->tok_flags, &n, NULL) == SENTI_OK ? n : SIZE_MAX;
}

static senti_status make_prompt(ft_prompter *pr, senti_err *err)
{
    const senti_ft_prompt_params *p = &pr->pp;
    senti_status s = senti_chat_setup(senti_model_gguf(pr->m), p->chat, &pr->chat, err);
    if (s)
        return s;
    senti_prompt_params pp = senti_prompt_default_params();
    pp.tmpl = p->tmpl;
    pp.instruction = p->instruction;
    pp.separator = p->separator;
    pp.system = p->system;
    pp.chat = pr->chat.format;
    pp.chat_default_system = pr->chat.default_system;
    if ((s = senti_prompt_create(&pp, pr->v, &pr->prompt, err)))
        return s;
    pr->tok_flags = senti_prompt_tok_flags(pr->prompt);
    return SENTI_OK;
}

/* Label words as continuations of the prompt, flattened (as classify does). */
static senti_status make_words(ft_prompter *pr, senti_err *err)
{
    senti_status s = senti_label_words_build(pr->prompt, pr->v, senti_model_tokenizer(pr->m), pr->tok_flags,
                                             &pr->lw, err);
    pr->vt = pr->lw.vt;
    pr->words = pr->lw.w;
    return s;
}

senti_status ft_prompter_new(senti_model *m, const senti_verbalizer *v, const senti_ft_prompt_params *pp,
                             ft_prompter **out, senti_err *err)
{
    *out = NULL;
    ft_prompter *pr = calloc(1, sizeof *pr);
    if (!pr)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    pr->m = m;
    pr->v = v;
    pr->pp = pp ? *pp : senti_ft_prompt_default_params();
    pr->n_ctx = pr->pp.n_ctx;
    if (pr->n_ctx <= 0) {
        pr->n_ctx = senti_model_hparams(m)->n_ctx_train;
        pr->n_ctx = pr->n_ctx > 2048 ? 2048 : pr->n_ctx;
    }
    senti_status s = make_prompt(pr, err);
    if (!s)
        s = make_words(pr, err);
    if (s) {
        ft_prompter_free(pr);
        return s;
    }
    *out = pr;
    return SENTI_OK;
}

void ft_prompter_free(ft_prompter *pr)
{
    if (!pr)
        return;
    senti_label_words_buf_free(&pr->lw);
    free(pr->ids);
    senti_prompt_free(pr->prompt);
    senti_chat_info_clear(&pr->chat);
    free(pr);
}

senti_status ft_prompter_tokens(ft_prompter *pr, const char *text, size_t len, int32_t **prefix, int *n_prefix,
                                int32_t **suffix, int *n_suffix, senti_err *err)
{
    senti_prompt_text pt;
    *prefix = *suffix = NULL;
    senti_status s = senti_prompt_fit(pr->prompt, NULL, NULL, text, len, (size_t)pr->n_ctx, pr->vt->max_tokens,
                                      count_tokens, pr, &pt, err);
    size_t n;
    if (!s)
        s = tokenize(pr, pt.prefix, pt.prefix_len, pr->tok_flags, &n, err);
    if (!s) {
        *n_prefix = (int)n;
        *prefix = malloc((n ? n : 1) * sizeof **prefix);
        if (!*prefix)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        memcpy(*prefix, pr->ids, n * sizeof **prefix);
        s = tokenize(pr, pt.suffix, pt.suffix_len, pr->tok_flags & ~SENTI_TOK_ADD_SPECIAL, &n, err);
    }
    if (!s) {
        *n_suffix = (int)n;
        *suffix = malloc((n ? n : 1) * sizeof **suffix);
        if (!*suffix)
            s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        else
            memcpy(*suffix, pr->ids, n * sizeof **suffix);
    }
    if (s) {
        free(*prefix);
        free(*suffix);
        *prefix = *suffix = NULL;
    }
    return s;
}

senti_status ft_example_label(const senti_verbalizer *v, const senti_examples *ex, size_t i, int *label,
                              senti_err *err)
{
    const senti_example *e = &ex->items[i];
    *label = e->label ? senti_verbalizer_find(v, e->label) : -1;
    if (*label < 0)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s:%zu: label '%s' is not in verbalizer '%s'",
                             ex->path ? ex->path : "train", e->line, e->label ? e->label : "(none)",
                             senti_verbalizer_name(v));
    return SENTI_OK;
}
