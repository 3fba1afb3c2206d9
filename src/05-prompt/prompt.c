/*
 * prompt.c - templates, chat wrapping, prompt assembly under a context
 * budget, and few-shot demonstration sampling (see senti/prompt.h for the
 * layout and the rules; this file implements them as written there).
 */
#include "senti/prompt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <utf8proc.h>

#include "senti/tokenizer.h"

#include "00-base/base.h"

/* ---- a growable string ------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    char *p = senti_grow(b->p, &b->cap, b->len + n + 1, 1, 256);
    if (!p) {
        b->oom = true;
        return;
    }
    b->p = p;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_reset(sbuf *b) { b->len = 0, b->oom = false, sb_add(b, "", 0); }

/* ---- chat formats -------------------------------------------------------------- */

const char *senti_chat_format_name(senti_chat_format f)
{
    switch (f) {
    case SENTI_CHAT_CHATML: return "chatml";
    case SENTI_CHAT_GEMMA: return "gemma";
    case SENTI_CHAT_NONE: break;
    }
    return "none";
}

/* The literal system text a ChatML template inserts when no system message is
 * given: '<|im_start|>system\n' LITERAL '<|im_end|>' inside one string literal.
 * NULL when there is none (or it is an expression, not a literal). */
static char *chatml_default_system(const char *t, size_t len)
{
    static const char open[] = "<|im_start|>system";
    static const char close[] = "<|im_end|>";
    const char *end = t + len;
    for (const char *p = t; p + sizeof open - 1 <= end; p++) {
        if (memcmp(p, open, sizeof open - 1) != 0)
            continue;
        const char *s = p + sizeof open - 1;
        if (s < end && *s == '\n')
            s += 1;
        else if (s + 1 < end && s[0] == '\\' && s[1] == 'n')
            s += 2;
        else
            continue;
        const char *e = s;
        while (e + sizeof close - 1 <= end && memcmp(e, close, sizeof close - 1) != 0)
            e++;
        if (e + sizeof close - 1 > end || e == s)
            continue;
        bool literal = true;
        for (const char *c = s; c < e && literal; c++)
            literal = !strchr("'\"{}+\\", *c);
        if (!literal)
            continue;
        char *out = malloc((size_t)(e - s) + 1);
        if (out) {
            memcpy(out, s, (size_t)(e - s));
            out[e - s] = '\0';
        }
        return out;
    }
    return NULL;
}

static bool contains(const char *t, size_t len, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(t + i, needle, k) == 0)
            return true;
    return false;
}

senti_status senti_chat_detect(const char *tmpl, size_t len, senti_chat_info *out, senti_err *err)
{
    memset(out, 0, sizeof *out);
    if (!tmpl || !len)
        return SENTI_OK;
    if (contains(tmpl, len, "<|im_start|>")) {
        out->format = SENTI_CHAT_CHATML;
        out->default_system = chatml_default_system(tmpl, len);
    } else if (contains(tmpl, len, "<start_of_turn>")) {
        out->format = SENTI_CHAT_GEMMA;
    }
    return SENTI_OK;
}

senti_status senti_chat_from_gguf(const senti_gguf *g, senti_chat_info *out, senti_err *err)
{
    memset(out, 0, sizeof *out);
    if (senti_gguf_find_key(g, "tokenizer.chat_template") < 0)
        return SENTI_OK;
    senti_str s;
    senti_status st = senti_gguf_get_str(g, "tokenizer.chat_template", &s, err);
    if (st != SENTI_OK)
        return st;
    return senti_chat_detect(s.ptr, s.len, out, err);
}

senti_status senti_chat_mode_parse(const char *name, senti_chat_mode *out, senti_err *err)
{
    if (!strcmp(name, "auto"))
        *out = SENTI_CHAT_MODE_AUTO;
    else if (!strcmp(name, "on"))
        *out = SENTI_CHAT_MODE_ON;
    else if (!strcmp(name, "off"))
        *out = SENTI_CHAT_MODE_OFF;
    else
        return senti_err_set(err, SENTI_ERR_ARG, "unknown chat mode \"%s\" (auto, on, off)", name);
    return SENTI_OK;
}

senti_status senti_chat_setup(const senti_gguf *g, int mode, senti_chat_info *chat, senti_err *err)
{
    senti_status s = senti_chat_from_gguf(g, chat, err);
    if (s)
        return s;
    if (mode == SENTI_CHAT_MODE_ON && chat->format == SENTI_CHAT_NONE)
        return senti_err_set(err, SENTI_ERR_ARG, "--chat: the model has no chat template in its metadata");
    if (mode == SENTI_CHAT_MODE_OFF)
        chat->format = SENTI_CHAT_NONE;
    return SENTI_OK;
}

void senti_chat_info_clear(senti_chat_info *c)
{
    if (!c)
        return;
    free(c->default_system);
    memset(c, 0, sizeof *c);
}

/* ---- templates -------------------------------------------------------------------- */

char *senti_template_render(const char *tmpl, const char *text, size_t text_len, const char *label)
{
    sbuf b = {0};
    const char *p = tmpl;
    sb_add(&b, "", 0);
    while (*p) {
        if (strncmp(p, "{text}", 6) == 0) {
            sb_add(&b, text, text_len);
            p += 6;
        } else if (label && strncmp(p, "{label}", 7) == 0) {
            sb_str(&b, label);
            p += 7;
        } else {
            sb_add(&b, p, 1);
            p++;
        }
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

struct senti_prompt {
    const senti_verbalizer *v;
    char *tmpl, *demo_tmpl, *instruction, *separator, *system;
    senti_chat_format chat;
    bool demo_turns; /* demonstrations as user/assistant turns (only with a chat format) */
    sbuf prefix, suffix, full, work;
};

senti_prompt_params senti_prompt_default_params(void)
{
    senti_prompt_params p;
    memset(&p, 0, sizeof p);
    return p;
}

static senti_status check_template(const char *t, bool demo, senti_err *err)
{
    const char *why = senti_template_problem(t, demo);
    return why ? senti_err_set(err, SENTI_ERR_ARG, "%s \"%s\": %s", demo ? "demonstration template" : "template", t, why)
               : SENTI_OK;
}

senti_status senti_prompt_create(const senti_prompt_params *p, const senti_verbalizer *v, senti_prompt **out,
                                 senti_err *err)
{
    *out = NULL;
    senti_prompt_params d = p ? *p : senti_prompt_default_params();
    senti_prompt *pr = calloc(1, sizeof *pr);
    if (!pr)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    pr->v = v;
    pr->chat = d.chat;
    pr->demo_turns = d.demo_turns && d.chat != SENTI_CHAT_NONE;
    const char *t = d.tmpl ? d.tmpl : v && senti_verbalizer_template(v) ? senti_verbalizer_template(v)
                                                                         : SENTI_DEFAULT_TEMPLATE;
    const char *dt = d.demo_template ? d.demo_template : v ? senti_verbalizer_demo_template(v) : NULL;
    const char *in = d.instruction ? d.instruction : v ? senti_verbalizer_instruction(v) : NULL;
    const char *sep = d.separator ? d.separator : v && senti_verbalizer_separator(v) ? senti_verbalizer_separator(v)
                                                                                      : SENTI_DEFAULT_SEPARATOR;
    const char *sys = d.chat == SENTI_CHAT_NONE ? NULL : d.system ? d.system : d.chat_default_system;
    pr->tmpl = senti_xstrdup(t);
    pr->demo_tmpl = senti_xstrdup(dt);
    pr->instruction = in && *in ? senti_xstrdup(in) : NULL;
    pr->separator = senti_xstrdup(sep);
    pr->system = sys && *sys ? senti_xstrdup(sys) : NULL;
    senti_status st = SENTI_OK;
    if (!pr->tmpl || !pr->separator || (dt && !pr->demo_tmpl) || (in && *in && !pr->instruction) ||
        (sys && *sys && !pr->system))
        st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (st == SENTI_OK)
        st = check_template(pr->tmpl, false, err);
    if (st == SENTI_OK && pr->demo_tmpl)
        st = check_template(pr->demo_tmpl, true, err);
    if (st == SENTI_OK && pr->demo_turns && pr->demo_tmpl)
        st = senti_err_set(err, SENTI_ERR_ARG, "demonstrations as chat turns take the question from the template and the "
                                               "answer from the label word: drop the demonstration template \"%s\"",
                           pr->demo_tmpl);
    if (st != SENTI_OK) {
        senti_prompt_free(pr);
        return st;
    }
    *out = pr;
    return SENTI_OK;
}

void senti_prompt_free(senti_prompt *p)
{
    if (!p)
        return;
    free(p->tmpl);
    free(p->demo_tmpl);
    free(p->instruction);
    free(p->separator);
    free(p->system);
    free(p->prefix.p);
    free(p->suffix.p);
    free(p->full.p);
    free(p->work.p);
    free(p);
}

const char *senti_prompt_template(const senti_prompt *p) { return p->tmpl; }
const char *senti_prompt_demo_template(const senti_prompt *p) { return p->demo_tmpl; }
const char *senti_prompt_instruction(const senti_prompt *p) { return p->instruction; }
const char *senti_prompt_separator(const senti_prompt *p) { return p->separator; }
const char *senti_prompt_system(const senti_prompt *p) { return p->system; }
senti_chat_format senti_prompt_chat(const senti_prompt *p) { return p->chat; }
bool senti_prompt_demo_turns(const senti_prompt *p) { return p->demo_turns; }

int senti_prompt_tok_flags(const senti_prompt *p)
{
    return SENTI_TOK_ADD_SPECIAL | (p->chat != SENTI_CHAT_NONE ? SENTI_TOK_PARSE_SPECIAL : 0);
}

/* ---- building ------------------------------------------------------------------------ */

/* The first word of demonstration e's label into *word. */
static senti_status demo_word(const senti_prompt *p, const senti_example *e, const char **word, senti_err *err)
{
    int li = e->label && p->v ? senti_verbalizer_find(p->v, e->label) : -1;
    if (li < 0)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "demonstration row %zu: label \"%s\" is not in the verbalizer",
                             e->row, e->label ? e->label : "(none)");
    *word = senti_verbalizer_word(p->v, (size_t)li, 0);
    return SENTI_OK;
}

/* Append demonstration `e` (template + its label's first word) to b. */
static senti_status add_demo(senti_prompt *p, const senti_example *e, sbuf *b, senti_err *err)
{
    const char *word;
    senti_status st = demo_word(p, e, &word, err);
    if (st)
        return st;
    if (p->demo_tmpl) {
        char *r = senti_template_render(p->demo_tmpl, e->text, e->text_len, word);
        if (!r)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        sb_str(b, r);
        free(r);
        return SENTI_OK;
    }
    char *r = senti_template_render(p->tmpl, e->text, e->text_len, NULL);
    if (!r)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    size_t rl = strlen(r), cl = senti_continuation_text(r, rl, word, NULL, 0);
    char *c = malloc(cl + 1);
    if (c) {
        senti_continuation_text(r, rl, word, c, cl + 1);
        sb_str(b, r);
        sb_add(b, c, cl);
    }
    free(r);
    free(c);
    return c ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
}

static void chat_head(const senti_prompt *p, sbuf *b)
{
    if (p->chat == SENTI_CHAT_CHATML) {
        if (p->system) {
            sb_str(b, "<|im_start|>system\n");
            sb_str(b, p->system);
            sb_str(b, "<|im_end|>\n");
        }
        sb_str(b, "<|im_start|>user\n");
    } else if (p->chat == SENTI_CHAT_GEMMA) {
        sb_str(b, "<start_of_turn>user\n");
        if (p->system) {
            sb_str(b, p->system);
            sb_str(b, "\n\n");
        }
    }
}

static const char *chat_tail(const senti_prompt *p)
{
    return p->chat == SENTI_CHAT_CHATML  ? "<|im_end|>\n<|im_start|>assistant\n"
           : p->chat == SENTI_CHAT_GEMMA ? "<end_of_turn>\n<start_of_turn>model\n"
                                         : "";
}

/* What closes an assistant turn and opens the next user turn. */
static const char *chat_next_user(const senti_prompt *p)
{
    return p->chat == SENTI_CHAT_CHATML ? "<|im_end|>\n<|im_start|>user\n" : "<end_of_turn>\n<start_of_turn>user\n";
}

/* Whitespace as jinja's `trim` (Python's str.strip) sees it: general
 * category Zs, or bidirectional class WS, B or S. That takes in what C's
 * isspace does not: no-break and ideographic spaces, U+0085, U+2028/9, and
 * the separators U+001C-U+001F. */
static bool is_jinja_space(utf8proc_int32_t cp)
{
    const utf8proc_property_t *q = utf8proc_get_property(cp);
    return q->category == UTF8PROC_CATEGORY_ZS || q->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
           q->bidi_class == UTF8PROC_BIDI_CLASS_B || q->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

/* Length of the whitespace character at s[0..n), 0 when there is none (or
 * the bytes are not UTF-8). */
static size_t space_at(const char *s, size_t n)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &cp);
    return k > 0 && is_jinja_space(cp) ? (size_t)k : 0;
}

/* Drop b's leading / trailing whitespace. */
static void trim_lead(sbuf *b)
{
    size_t k = 0, n;
    while ((n = space_at(b->p + k, b->len - k)) > 0)
        k += n;
    memmove(b->p, b->p + k, b->len - k + 1);
    b->len -= k;
}

static void trim_tail(sbuf *b)
{
    for (;;) {
        size_t start = b->len; /* the last character starts at the last byte that is not 10xxxxxx */
        while (start > 0 && b->len - start < 4 && ((unsigned char)b->p[start - 1] & 0xC0) == 0x80)
            start--;
        if (start == 0 || space_at(b->p + start - 1, b->len - start + 1) != b->len - start + 1)
            return;
        b->len = start - 1;
        b->p[b->len] = '\0';
    }
}

/* Gemma's template trims the content of every message. */
static void trim_both(sbuf *b) { trim_lead(b), trim_tail(b); }

/* Demonstration `e` as a user turn (its template rendering, after the
 * instruction for the first one; after the next user turn is opened for the
 * others) and an assistant turn (its label's first word, exactly as the
 * scored word follows the chat tail): appended to b, which so ends with the
 * label word. */
static senti_status add_demo_turns(senti_prompt *p, const senti_example *e, bool first, sbuf *b, senti_err *err)
{
    const char *tail = chat_tail(p), *word;
    senti_status st = demo_word(p, e, &word, err);
    if (st)
        return st;
    sbuf user = {0}, answer = {0};
    sb_add(&user, "", 0);
    sb_add(&answer, "", 0);
    if (first && p->instruction) {
        sb_str(&user, p->instruction);
        sb_str(&user, p->separator);
    }
    char *r = senti_template_render(p->tmpl, e->text, e->text_len, NULL);
    if (r)
        sb_str(&user, r);
    free(r);
    size_t cl = senti_continuation_text(tail, strlen(tail), word, NULL, 0);
    char *c = malloc(cl + 1);
    if (c) {
        senti_continuation_text(tail, strlen(tail), word, c, cl + 1);
        sb_add(&answer, c, cl);
    }
    free(c);
    bool oom = !r || !c || user.oom || answer.oom;
    if (oom) {
        free(user.p);
        free(answer.p);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    if (p->chat == SENTI_CHAT_GEMMA)
        trim_both(&user), trim_both(&answer);
    if (!first)
        sb_str(b, chat_next_user(p));
    sb_add(b, user.p, user.len);
    sb_str(b, tail);
    sb_add(b, answer.p, answer.len);
    free(user.p);
    free(answer.p);
    return SENTI_OK;
}

/* Gemma's template trims the user content: drop leading whitespace of the
 * body (prefix body, or suffix when the prefix body is empty) and trailing
 * whitespace of the suffix body. */
static void gemma_trim(sbuf *pre_body, sbuf *suf_body)
{
    sbuf *first = pre_body->len ? pre_body : suf_body;
    trim_lead(first);
    if (first == pre_body && pre_body->len == 0) /* all blank: trim the suffix too */
        gemma_trim(pre_body, suf_body);
    trim_tail(suf_body);
}

/* Build with the first n_demos of `demos` and text_len bytes of text. */
static senti_status build(senti_prompt *p, const senti_examples *train, const senti_demo_set *demos, size_t n_demos,
                          const char *text, size_t text_len, senti_err *err)
{
    sbuf body = {0};
    senti_status st = SENTI_OK;
    bool turns = p->demo_turns && n_demos > 0;
    sb_reset(&p->prefix);
    sb_reset(&p->suffix);
    sb_add(&body, "", 0);
    if (p->instruction && !turns)
        sb_str(&body, p->instruction);
    for (size_t i = 0; i < n_demos && st == SENTI_OK; i++) {
        if (demos->idx[i] >= train->n) {
            st = senti_err_set(err, SENTI_ERR_RANGE, "demonstration index %zu out of range", demos->idx[i]);
            break;
        }
        if (turns) {
            st = add_demo_turns(p, &train->items[demos->idx[i]], i == 0, &body, err);
            continue;
        }
        if (body.len)
            sb_str(&body, p->separator);
        st = add_demo(p, &train->items[demos->idx[i]], &body, err);
    }
    sbuf row = {0};
    char *r = senti_template_render(p->tmpl, text, text_len, NULL);
    sb_add(&row, "", 0);
    if (body.len && !turns)
        sb_str(&row, p->separator);
    if (r)
        sb_str(&row, r);
    free(r);
    if (p->chat == SENTI_CHAT_GEMMA && turns && !row.oom)
        trim_both(&row);
    else if (p->chat == SENTI_CHAT_GEMMA && !body.oom && !row.oom)
        gemma_trim(&body, &row);
    chat_head(p, &p->prefix);
    sb_add(&p->prefix, body.p ? body.p : "", body.len);
    if (turns) /* the cut falls after the last demonstration's label word */
        sb_str(&p->suffix, chat_next_user(p));
    sb_add(&p->suffix, row.p ? row.p : "", row.len);
    sb_str(&p->suffix, chat_tail(p));
    bool oom = !r || body.oom || row.oom || p->prefix.oom || p->suffix.oom;
    free(body.p);
    free(row.p);
    if (st == SENTI_OK && oom)
        st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    return st;
}

static void fill_out(const senti_prompt *p, size_t n_demos, size_t n_dropped, size_t text_len, bool truncated,
                     size_t n_tokens, senti_prompt_text *out)
{
    out->prefix = p->prefix.p;
    out->prefix_len = p->prefix.len;
    out->suffix = p->suffix.p;
    out->suffix_len = p->suffix.len;
    out->n_demos = n_demos;
    out->n_dropped = n_dropped;
    out->truncated = truncated;
    out->text_len_used = text_len;
    out->n_tokens = n_tokens;
}

senti_status senti_prompt_build(senti_prompt *p, const senti_examples *train, const senti_demo_set *demos,
                                const char *text, size_t text_len, senti_prompt_text *out, senti_err *err)
{
    size_t nd = demos && train ? demos->n : 0;
    senti_status st = build(p, train, demos, nd, text, text_len, err);
    if (st == SENTI_OK)
        fill_out(p, nd, 0, text_len, false, 0, out);
    return st;
}

/* Tokens of the prompt as last built (prefix + suffix). */
static size_t count_built(senti_prompt *p, senti_token_count_fn count, void *ctx)
{
    sb_reset(&p->full);
    sb_add(&p->full, p->prefix.p, p->prefix.len);
    sb_add(&p->full, p->suffix.p, p->suffix.len);
    return p->full.oom ? SIZE_MAX : count(ctx, p->full.p, p->full.len);
}

/* Largest prefix length <= n of text that ends on a UTF-8 character boundary. */
static size_t utf8_floor(const char *text, size_t n, size_t len)
{
    while (n > 0 && n < len && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    return n;
}

senti_status senti_prompt_fit(senti_prompt *p, const senti_examples *train, const senti_demo_set *demos,
                              const char *text, size_t text_len, size_t n_ctx, size_t reserve,
                              senti_token_count_fn count, void *count_ctx, senti_prompt_text *out, senti_err *err)
{
    size_t nd = demos && train ? demos->n : 0, keep = nd, n_tok;
    senti_status st;
    /* 1. drop demonstrations from the end while the prompt does not fit */
    for (;;) {
        if ((st = build(p, train, demos, keep, text, text_len, err)) != SENTI_OK)
            return st;
        if ((n_tok = count_built(p, count, count_ctx)) == SIZE_MAX)
            return senti_err_set(err, SENTI_ERR_ARG, "prompt: token counting failed");
        if (n_tok + reserve <= n_ctx) {
            fill_out(p, keep, nd - keep, text_len, false, n_tok, out);
            return SENTI_OK;
        }
        if (keep == 0)
            break;
        keep--;
    }
    /* 2. cut the text: binary search for the longest head that fits */
    size_t lo = 0, hi = text_len; /* invariant: length lo fits (checked below), hi+1.. does not */
    if ((st = build(p, train, demos, 0, text, 0, err)) != SENTI_OK)
        return st;
    n_tok = count_built(p, count, count_ctx);
    if (n_tok == SIZE_MAX || n_tok + reserve > n_ctx)
        return senti_err_set(err, SENTI_ERR_RANGE,
                             "prompt: even without text the prompt needs %zu tokens + %zu for the label, context is %zu",
                             n_tok, reserve, n_ctx);
    while (lo < hi) {
        size_t mid = utf8_floor(text, lo + (hi - lo + 1) / 2, text_len);
        if (mid <= lo) { /* no character boundary between lo and hi's midpoint: step one char */
            mid = lo + 1;
            while (mid < hi && ((unsigned char)text[mid] & 0xC0) == 0x80)
                mid++;
        }
        if ((st = build(p, train, demos, 0, text, mid, err)) != SENTI_OK)
            return st;
        n_tok = count_built(p, count, count_ctx);
        if (n_tok != SIZE_MAX && n_tok + reserve <= n_ctx)
            lo = mid;
        else
            hi = mid - 1;
    }
    lo = utf8_floor(text, lo, text_len);
    if ((st = build(p, train, demos, 0, text, lo, err)) != SENTI_OK)
        return st;
    n_tok = count_built(p, count, count_ctx);
    fill_out(p, 0, nd, lo, true, n_tok, out);
    return SENTI_OK;
}

/* ---- demonstration sampling ----------------------------------------------------------- */

senti_demo_params senti_demo_default_params(void)
{
    senti_demo_params p;
    memset(&p, 0, sizeof p);
    p.sampling = SENTI_DEMO_RANDOM;
    p.order = SENTI_ORDER_RANDOM;
    p.seed = 1;
    return p;
}

const char *senti_demo_sampling_name(senti_demo_sampling s) { return s == SENTI_DEMO_BALANCED ? "balanced" : "random"; }

const char *senti_demo_order_name(senti_demo_order o)
{
    return o == SENTI_ORDER_FIXED ? "fixed" : o == SENTI_ORDER_INTERLEAVED ? "interleaved" : "random";
}

senti_status senti_demo_sampling_parse(const char *s, senti_demo_sampling *out, senti_err *err)
{
    if (strcmp(s, "random") == 0)
        *out = SENTI_DEMO_RANDOM;
    else if (strcmp(s, "balanced") == 0)
        *out = SENTI_DEMO_BALANCED;
    else
        return senti_err_set(err, SENTI_ERR_ARG, "unknown demonstration sampling \"%s\" (random, balanced)", s);
    return SENTI_OK;
}

senti_status senti_demo_order_parse(const char *s, senti_demo_order *out, senti_err *err)
{
    if (strcmp(s, "random") == 0)
        *out = SENTI_ORDER_RANDOM;
    else if (strcmp(s, "fixed") == 0)
        *out = SENTI_ORDER_FIXED;
    else if (strcmp(s, "interleaved") == 0)
        *out = SENTI_ORDER_INTERLEAVED;
    else
        return senti_err_set(err, SENTI_ERR_ARG, "unknown demonstration order \"%s\" (random, fixed, interleaved)", s);
    return SENTI_OK;
}

struct senti_demo_sampler {
    const senti_examples *train;
    const senti_verbalizer *v;
    senti_demo_params p;
    size_t n_classes;
    size_t *cls;        /* [train->n] class (verbalizer label index) of each row */
    size_t *by_class;   /* [train->n] row indices grouped by class, file order within */
    size_t *class_first;/* [n_classes + 1] offsets into by_class */
    size_t *shared;     /* [shots] the run's shared set, prompt order */
    size_t *spare;      /* [n_classes] a same-class replacement per class, SIZE_MAX if none */
    size_t *out;        /* [shots] the set handed out by draw() */
    size_t *pool;       /* [train->n] scratch */
    size_t *pick;       /* [shots] scratch */
    gsl_rng *rng;
};

void senti_demo_sampler_free(senti_demo_sampler *s)
{
    if (!s)
        return;
    free(s->cls);
    free(s->by_class);
    free(s->class_first);
    free(s->shared);
    free(s->spare);
    free(s->out);
    free(s->pool);
    free(s->pick);
    if (s->rng)
        gsl_rng_free(s->rng);
    free(s);
}

static int cmp_idx(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Class of every training row; errors name the file, line and label. */
static senti_status classify_rows(senti_demo_sampler *s, senti_err *err)
{
    const senti_examples *t = s->train;
    for (size_t i = 0; i < t->n; i++) {
        const senti_example *e = &t->items[i];
        int c = e->label ? senti_verbalizer_find(s->v, e->label) : -1;
        if (!e->label)
            return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: demonstrations need a label column", t->path);
        if (c < 0)
            return senti_err_set(err, SENTI_ERR_NOTFOUND,
                                 "%s:%zu: label \"%s\" (row %zu) is not in verbalizer \"%s\"", t->path, e->line,
                                 e->label, e->row, senti_verbalizer_name(s->v));
        s->cls[i] = (size_t)c;
        s->class_first[c + 1]++;
    }
    for (size_t c = 0; c < s->n_classes; c++)
        s->class_first[c + 1] += s->class_first[c];
    size_t *fill = calloc(s->n_classes, sizeof *fill);
    if (!fill)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < t->n; i++)
        s->by_class[s->class_first[s->cls[i]] + fill[s->cls[i]]++] = i;
    free(fill);
    return SENTI_OK;
}

/* gsl_ran_choose k of the rows in src[0..n) except `skip`, in src order. */
static senti_status choose_from(senti_demo_sampler *s, const size_t *src, size_t n, size_t skip, size_t k,
                                size_t *dst, const char *what, senti_err *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (src[i] != skip)
            s->pool[m++] = src[i];
    if (k > m)
        return senti_err_set(err, SENTI_ERR_RANGE, "%s: %zu demonstrations needed from %s, only %zu rows available",
                             s->train->path, k, what, m);
    if (k > 0)
        gsl_ran_choose(s->rng, dst, k, s->pool, m, sizeof *dst);
    return SENTI_OK;
}

/* Draw K rows (never `skip`) into s->pick, sorted by file position. */
static senti_status draw_rows(senti_demo_sampler *s, size_t skip, senti_err *err)
{
    size_t k = s->p.shots;
    if (s->p.sampling == SENTI_DEMO_RANDOM) {
        size_t *all = s->by_class; /* every row once; re-sorted below */
        senti_status st = choose_from(s, all, s->train->n, skip, k, s->pick, "the training set", err);
        qsort(s->pick, k, sizeof *s->pick, cmp_idx);
        return st;
    }
    /* balanced: floor(K/C) per class, K mod C extra shots to random classes */
    size_t C = s->n_classes, extra = k % C, got = 0;
    size_t *cidx = malloc(C * sizeof *cidx), *plus = calloc(C, sizeof *plus), *chosen = malloc((extra + 1) * sizeof *chosen);
    senti_status st = cidx && plus && chosen ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (st == SENTI_OK && extra) {
        for (size_t c = 0; c < C; c++)
            cidx[c] = c;
        gsl_ran_choose(s->rng, chosen, extra, cidx, C, sizeof *chosen);
        for (size_t i = 0; i < extra; i++)
            plus[chosen[i]] = 1;
    }
    for (size_t c = 0; c < C && st == SENTI_OK; c++) {
        char what[160];
        snprintf(what, sizeof what, "class \"%s\"", senti_verbalizer_label(s->v, c));
        size_t q = k / C + plus[c];
        st = choose_from(s, s->by_class + s->class_first[c], s->class_first[c + 1] - s->class_first[c], skip, q,
                         s->pick + got, what, err);
        got += q;
    }
    free(cidx);
    free(plus);
    free(chosen);
    if (st == SENTI_OK)
        qsort(s->pick, k, sizeof *s->pick, cmp_idx);
    return st;
}

/* Put s->pick (file order) into prompt order in dst. */
static void order_rows(senti_demo_sampler *s, size_t *dst)
{
    size_t k = s->p.shots;
    if (s->p.order == SENTI_ORDER_INTERLEAVED) {
        size_t n = 0;
        for (size_t round = 0; n < k; round++) /* round r takes each class's r-th pick */
            for (size_t c = 0; c < s->n_classes; c++) {
                size_t seen = 0;
                for (size_t i = 0; i < k; i++)
                    if (s->cls[s->pick[i]] == c && seen++ == round)
                        dst[n++] = s->pick[i];
            }
        return;
    }
    memcpy(dst, s->pick, k * sizeof *dst);
    if (s->p.order == SENTI_ORDER_RANDOM && k > 1)
        gsl_ran_shuffle(s->rng, dst, k, sizeof *dst);
}

/* One spare per class for the shared set: a row of that class outside it. */
static void draw_spares(senti_demo_sampler *s)
{
    for (size_t c = 0; c < s->n_classes; c++) {
        size_t m = 0;
        for (size_t j = s->class_first[c]; j < s->class_first[c + 1]; j++) {
            size_t r = s->by_class[j];
            bool used = false;
            for (size_t i = 0; i < s->p.shots && !used; i++)
                used = s->shared[i] == r;
            if (!used)
                s->pool[m++] = r;
        }
        s->spare[c] = m ? s->pool[gsl_rng_uniform_int(s->rng, m)] : SIZE_MAX;
    }
}

/* The seed of row `row`'s own demonstration draw (per_row mode): a
 * splitmix64 mix of (seed, row), folded to the 32 bits mt19937 uses. */
static unsigned long row_seed(uint64_t seed, size_t row)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * ((uint64_t)row + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (unsigned long)((z ^ (z >> 32)) & 0xFFFFFFFFul);
}

static senti_status sampler_alloc(senti_demo_sampler *s, senti_err *err)
{
    size_t n = s->train->n, k = s->p.shots ? s->p.shots : 1;
    s->n_classes = senti_verbalizer_n_labels(s->v);
    s->cls = calloc(n ? n : 1, sizeof *s->cls);
    s->by_class = calloc(n ? n : 1, sizeof *s->by_class);
    s->pool = calloc(n ? n : 1, sizeof *s->pool);
    s->class_first = calloc(s->n_classes + 1, sizeof *s->class_first);
    s->spare = calloc(s->n_classes, sizeof *s->spare);
    s->shared = calloc(k, sizeof *s->shared);
    s->out = calloc(k, sizeof *s->out);
    s->pick = calloc(k, sizeof *s->pick);
    s->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!s->cls || !s->by_class || !s->pool || !s->class_first || !s->spare || !s->shared || !s->out || !s->pick ||
        !s->rng)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    return SENTI_OK;
}

senti_status senti_demo_sampler_create(const senti_examples *train, const senti_verbalizer *v,
                                       const senti_demo_params *p, senti_demo_sampler **out, senti_err *err)
{
    *out = NULL;
    senti_demo_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    s->train = train;
    s->v = v;
    s->p = p ? *p : senti_demo_default_params();
    senti_status st = sampler_alloc(s, err);
    if (st == SENTI_OK)
        st = classify_rows(s, err);
    if (st == SENTI_OK && !s->p.per_row && s->p.shots > 0) {
        /* The shared set: drawn once from the whole file, plus the spares. */
        gsl_rng_set(s->rng, (unsigned long)(s->p.seed & 0xFFFFFFFFul));
        st = draw_rows(s, SIZE_MAX, err);
        if (st == SENTI_OK) {
            order_rows(s, s->shared);
            draw_spares(s);
        }
    } else if (st == SENTI_OK && s->p.shots > 0) {
        /* per_row: check once that a draw is possible (excluding one row) */
        gsl_rng_set(s->rng, row_seed(s->p.seed, 0));
        st = draw_rows(s, train->n ? 0 : SIZE_MAX, err);
    }
    if (st != SENTI_OK) {
        senti_demo_sampler_free(s);
        return st;
    }
    *out = s;
    return SENTI_OK;
}

/* Index of the training row that is the scored row (same file), or SIZE_MAX. */
static size_t find_scored(const senti_demo_sampler *s, size_t row, const char *id)
{
    const senti_examples *t = s->train;
    size_t lo = 0, hi = t->n; /* items are in ascending row order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->items[mid].row < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->n && t->items[lo].row == row)
        return lo;
    if (id && t->has_id)
        for (size_t i = 0; i < t->n; i++)
            if (t->items[i].id && strcmp(t->items[i].id, id) == 0)
                return i;
    return SIZE_MAX;
}

senti_status senti_demo_sampler_draw(senti_demo_sampler *s, size_t row, const char *id, senti_demo_set *out,
                                     senti_err *err)
{
    size_t k = s->p.shots, skip = s->p.same_file ? find_scored(s, row, id) : SIZE_MAX;
    out->idx = s->out;
    out->n = k;
    out->shared = false;
    if (k == 0) {
        out->shared = !s->p.per_row;
        return SENTI_OK;
    }
    if (s->p.per_row) {
        gsl_rng_set(s->rng, row_seed(s->p.seed, row));
        senti_status st = draw_rows(s, skip, err);
        if (st == SENTI_OK)
            order_rows(s, s->out);
        return st;
    }
    memcpy(s->out, s->shared, k * sizeof *s->out);
    out->shared = true;
    for (size_t i = 0; i < k && skip != SIZE_MAX; i++) {
        if (s->out[i] != skip)
            continue;
        size_t c = s->cls[skip];
        if (s->spare[c] == SIZE_MAX)
            return senti_err_set(err, SENTI_ERR_RANGE,
                                 "%s: row %zu is a demonstration and class \"%s\" has no other row to replace it",
                                 s->train->path, row, senti_verbalizer_label(s->v, c));
        s->out[i] = s->spare[c];
        out->shared = false;
    }
    return SENTI_OK;
}

senti_demo_set senti_demo_sampler_shared(const senti_demo_sampler *s)
{
    senti_demo_set d;
    d.idx = s ? s->shared : NULL;
    d.n = !s || s->p.per_row ? 0 : s->p.shots;
    d.shared = true;
    return d;
}
