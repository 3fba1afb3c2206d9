/*
 * tokenizer.c - loading a tokenizer from GGUF metadata, special-token
 * splitting, decoding and the accessors.
 *
 * Contract: behave exactly like llama.cpp's llama_tokenize /
 * llama_token_to_piece on the same file (checked against golden outputs in
 * tests/data/tokenizer/). The algorithms themselves live in tok_bpe.c and
 * tok_spm.c; this file does what both share:
 *   1. load: vocabulary (copied), scores, token types -> attributes (with the
 *      same text-based fix-ups llama.cpp applies), BOS/EOS and add_* flags;
 *   2. tokenize: split the text at special-token texts (control and unknown
 *      tokens only with SENTI_TOK_PARSE_SPECIAL, user-defined tokens always),
 *      longest token text first, then encode each raw fragment;
 *   3. decode: token -> piece, sequence -> text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"
#include "tokenizer_impl.h"

static uint64_t table_size_for(uint64_t n)
{
    uint64_t size = 16;
    while (size < 2 * n)
        size *= 2;
    return size;
}

/* ---- loading ----------------------------------------------------------------- */

/* Copy the token strings into one blob and index them by text. llama.cpp
 * renames an empty token to "[EMPTY_<id>]" and refuses duplicates. */
static senti_status load_vocab(senti_tokenizer *t, const senti_gguf_array *a, senti_err *err)
{
    uint64_t total = 0;
    for (uint64_t i = 0; i < a->count; i++)
        total += senti_gguf_arr_str(a, i).len + 24;
    t->blob = malloc(total ? total : 1);
    t->off = malloc(a->count * sizeof *t->off);
    t->len = malloc(a->count * sizeof *t->len);
    t->vocab_mask = table_size_for(a->count) - 1;
    t->vocab_slot = malloc((t->vocab_mask + 1) * sizeof *t->vocab_slot);
    if (!t->blob || !t->off || !t->len || !t->vocab_slot)
        return senti_err_set(err, SENTI_ERR_NOMEM, "tokenizer: out of memory for %llu tokens",
                             (unsigned long long)a->count);
    memset(t->vocab_slot, 0xff, (t->vocab_mask + 1) * sizeof *t->vocab_slot);
    uint64_t pos = 0;
    for (uint64_t i = 0; i < a->count; i++) {
        senti_str s = senti_gguf_arr_str(a, i);
        t->off[i] = pos;
        if (s.len == 0) {
            int k = snprintf(t->blob + pos, 24, "[EMPTY_%llu]", (unsigned long long)i);
            s.ptr = t->blob + pos;
            s.len = (size_t)k;
        } else {
            memcpy(t->blob + pos, s.ptr, s.len);
        }
        t->len[i] = (uint32_t)s.len;
        if (tok_vocab_find(t, t->blob + pos, s.len) >= 0)
            return senti_err_set(err, SENTI_ERR_FORMAT,
                                 "tokenizer.ggml.tokens: duplicate token '%.*s' at index %llu",
                                 (int)(s.len > 64 ? 64 : s.len), t->blob + pos, (unsigned long long)i);
        uint64_t h = tok_hash(TOK_FNV_INIT, t->blob + pos, s.len) & t->vocab_mask;
        while (t->vocab_slot[h] != TOK_EMPTY_SLOT)
            h = (h + 1) & t->vocab_mask;
        t->vocab_slot[h] = (uint32_t)i;
        pos += s.len;
    }
    return SENTI_OK;
}

/* Texts llama.cpp treats as control tokens whatever their stored type
 * (end-of-turn / end-of-generation / fill-in-the-middle markers). */
static const char *const forced_control[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<end_of_utterance>", "<|eom_id|>", "<|return|>",
    "<|call|>", "<|flush|>", "<|calls|>", "</s>", "<eos>", "<turn|>", "<|tool_response>",
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>",
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>",
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>",
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", "<|fim_repo|>", "<|repo_name|>",
    "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
};

/* Token types (GGUF: 1 normal, 2 unknown, 3 control, 4 user-defined,
 * 5 unused, 6 byte) -> attributes, then llama.cpp's fix-ups by text. */
static senti_status load_attrs(senti_tokenizer *t, const senti_gguf *g, senti_err *err)
{
    static const uint8_t by_type[7] = {0, TOK_ATTR_NORMAL, TOK_ATTR_UNKNOWN, TOK_ATTR_CONTROL,
                                       TOK_ATTR_USER_DEFINED, TOK_ATTR_UNUSED, TOK_ATTR_BYTE};
    senti_gguf_array a;
    bool have = senti_gguf_find_key(g, "tokenizer.ggml.token_type") >= 0;
    if (have) {
        senti_status s = senti_gguf_get_arr(g, "tokenizer.ggml.token_type", &a, err);
        if (s)
            return s;
        if (a.type != SENTI_GGUF_INT32 || a.count < (uint64_t)t->n_vocab)
            return senti_err_set(err, SENTI_ERR_FORMAT,
                                 "tokenizer.ggml.token_type: want %d int32 values, got %llu of type %s",
                                 t->n_vocab, (unsigned long long)a.count, senti_gguf_type_name(a.type));
    }
    for (int32_t i = 0; i < t->n_vocab; i++) {
        int32_t ty = TOK_ATTR_NORMAL;
        if (have) {
            memcpy(&ty, (const char *)a.data + 4 * (size_t)i, 4);
            ty = (ty >= 0 && ty <= 6) ? by_type[ty] : 0;
        }
        t->attr[i] = (uint8_t)ty;
    }
    for (size_t k = 0; k < sizeof forced_control / sizeof forced_control[0]; k++) {
        int32_t id = tok_vocab_find(t, forced_control[k], strlen(forced_control[k]));
        if (id >= 0)
            t->attr[id] |= TOK_ATTR_CONTROL;
    }
    static const char *const user_defined[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};
    for (size_t k = 0; k < 4; k++) {
        int32_t id = tok_vocab_find(t, user_defined[k], strlen(user_defined[k]));
        if (id >= 0)
            t->attr[id] = TOK_ATTR_USER_DEFINED;
    }
    for (int32_t i = 0; i < t->n_vocab; i++)
        if ((t->attr[i] & TOK_ATTR_CONTROL) && t->len[i] >= 6 &&
            tok_find(t->blob + t->off[i], t->len[i], "unused", 6))
            t->attr[i] |= TOK_ATTR_UNUSED;
    return SENTI_OK;
}

static senti_status load_scores(senti_tokenizer *t, const senti_gguf *g, senti_err *err)
{
    if (senti_gguf_find_key(g, "tokenizer.ggml.scores") < 0)
        return SENTI_OK; /* calloc'ed: all zero */
    senti_gguf_array a;
    senti_status s = senti_gguf_get_arr(g, "tokenizer.ggml.scores", &a, err);
    if (s)
        return s;
    if (a.count < (uint64_t)t->n_vocab || (a.type != SENTI_GGUF_FLOAT32 && a.type != SENTI_GGUF_INT32))
        return senti_err_set(err, SENTI_ERR_FORMAT, "tokenizer.ggml.scores: want %d float32 values, got %llu of type %s",
                             t->n_vocab, (unsigned long long)a.count, senti_gguf_type_name(a.type));
    for (int32_t i = 0; i < t->n_vocab; i++) {
        if (a.type == SENTI_GGUF_FLOAT32) {
            memcpy(&t->score[i], (const char *)a.data + 4 * (size_t)i, 4);
        } else {
            int32_t v;
            memcpy(&v, (const char *)a.data + 4 * (size_t)i, 4);
            t->score[i] = (float)v;
        }
    }
    return SENTI_OK;
}

/* Special-token list: control, user-defined and unknown tokens, longest text
 * first (ties by id; llama.cpp's order among equal lengths is unspecified).
 * Sorted as packed keys (inverted length << 32 | id) to keep qsort context-free. */
static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

static senti_status build_special(senti_tokenizer *t, senti_err *err)
{
    uint64_t *keys = malloc(((size_t)t->n_vocab + 1) * sizeof *keys);
    t->special = malloc(((size_t)t->n_vocab + 1) * sizeof *t->special);
    if (!keys || !t->special) {
        free(keys);
        return senti_err_set(err, SENTI_ERR_NOMEM, "tokenizer: out of memory");
    }
    for (int32_t i = 0; i < t->n_vocab; i++)
        if (t->attr[i] & (TOK_ATTR_CONTROL | TOK_ATTR_USER_DEFINED | TOK_ATTR_UNKNOWN))
            keys[t->n_special++] = ((uint64_t)(UINT32_MAX - t->len[i]) << 32) | (uint32_t)i;
    qsort(keys, t->n_special, sizeof *keys, cmp_u64);
    for (size_t k = 0; k < t->n_special; k++)
        t->special[k] = (int32_t)(keys[k] & 0xffffffffu);
    free(keys);
    return SENTI_OK;
}

/* Byte-fallback table: "<0xNN>" tokens (SPM), else the single byte itself. */
static void build_byte_tokens(senti_tokenizer *t)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) {
        char buf[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
        int32_t id = -1;
        if (t->kind == SENTI_TOK_SPM)
            id = tok_vocab_find(t, buf, 6);
        if (id < 0 && t->kind == SENTI_TOK_SPM) {
            char c = (char)b;
            id = tok_vocab_find(t, &c, 1);
        }
        if (t->kind == SENTI_TOK_BPE)
            id = tok_vocab_find(t, t->byte_utf8[b], t->byte_utf8_len[b]);
        t->byte_token[b] = id;
    }
}

static int32_t get_id(const senti_gguf *g, const char *key, int32_t def, int32_t n_vocab)
{
    uint32_t v;
    if (senti_gguf_get_u32(g, key, &v, NULL) == SENTI_OK && v < (uint32_t)n_vocab)
        return (int32_t)v;
    return def >= 0 && def < n_vocab ? def : -1;
}

static bool get_flag(const senti_gguf *g, const char *key, bool def)
{
    bool b;
    return senti_gguf_get_bool(g, key, &b, NULL) == SENTI_OK ? b : def;
}

/* Model kind, special ids and add_* flags with llama.cpp's defaults. */
static senti_status load_kind(senti_tokenizer *t, const senti_gguf *g, senti_err *err)
{
    senti_str model, pre = {"", 0};
    senti_status s = senti_gguf_get_str(g, "tokenizer.ggml.model", &model, err);
    if (s)
        return s;
    if (model.len == 4 && !memcmp(model.ptr, "gpt2", 4)) {
        t->kind = SENTI_TOK_BPE;
        if (senti_gguf_find_key(g, "tokenizer.ggml.pre") >= 0 &&
            (s = senti_gguf_get_str(g, "tokenizer.ggml.pre", &pre, err)))
            return s;
        if (pre.len >= sizeof t->pre)
            return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "tokenizer.ggml.pre: name too long");
        memcpy(t->pre, pre.ptr, pre.len);
        t->pre[pre.len] = 0;
        if (!t->pre[0])
            strcpy(t->pre, "default");
    } else if (model.len == 5 && !memcmp(model.ptr, "llama", 5)) {
        t->kind = SENTI_TOK_SPM;
    } else {
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "tokenizer.ggml.model: '%.*s' is not supported (gpt2, llama)",
                             (int)(model.len > 64 ? 64 : model.len), model.ptr);
    }
    bool spm = t->kind == SENTI_TOK_SPM;
    t->bos = get_id(g, "tokenizer.ggml.bos_token_id", spm ? 1 : 11, t->n_vocab);
    t->eos = get_id(g, "tokenizer.ggml.eos_token_id", spm ? 2 : 11, t->n_vocab);
    t->unk = get_id(g, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1, t->n_vocab);
    t->add_space_prefix = get_flag(g, "tokenizer.ggml.add_space_prefix", spm);
    t->add_bos = get_flag(g, "tokenizer.ggml.add_bos_token", spm);
    t->add_eos = get_flag(g, "tokenizer.ggml.add_eos_token", false);
    return SENTI_OK;
}

senti_status senti_tokenizer_load(const senti_gguf *g, senti_tokenizer **out, senti_err *err)
{
    *out = NULL;
    senti_gguf_array toks;
    senti_status s = senti_gguf_get_arr(g, "tokenizer.ggml.tokens", &toks, err);
    if (s)
        return s;
    if (toks.type != SENTI_GGUF_STRING || toks.count == 0 || toks.count > INT32_MAX)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tokenizer.ggml.tokens: want a non-empty string array",
                             senti_gguf_path(g));
    senti_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return senti_err_set(err, SENTI_ERR_NOMEM, "tokenizer: out of memory");
    t->n_vocab = (int32_t)toks.count;
    t->score = calloc((size_t)t->n_vocab, sizeof *t->score);
    t->attr = calloc((size_t)t->n_vocab, 1);
    if (!t->score || !t->attr)
        s = senti_err_set(err, SENTI_ERR_NOMEM, "tokenizer: out of memory");
    if (!s)
        s = load_kind(t, g, err);
    if (!s)
        s = load_vocab(t, &toks, err);
    if (!s)
        s = load_scores(t, g, err);
    if (!s)
        s = load_attrs(t, g, err);
    if (!s)
        s = build_special(t, err);
    if (!s && t->kind == SENTI_TOK_BPE) {
        senti_gguf_array merges;
        s = tok_bpe_init(t, err);
        if (!s)
            s = senti_gguf_get_arr(g, "tokenizer.ggml.merges", &merges, err);
        if (!s)
            s = tok_bpe_load_merges(t, &merges, err);
    }
    if (s) {
        senti_tokenizer_free(t);
        return senti_err_locate(err, s, senti_gguf_path(g)); /* "file: tokenizer.ggml.x: problem" */
    }
    build_byte_tokens(t);
    *out = t;
    return SENTI_OK;
}

void senti_tokenizer_free(senti_tokenizer *t)
{
    if (!t)
        return;
    tok_bpe_free(t);
    free(t->blob);
    free(t->off);
    free(t->len);
    free(t->score);
    free(t->attr);
    free(t->vocab_slot);
    free(t->special);
    free(t);
}

/* ---- special-token partition ------------------------------------------------ */

/* A piece of the input: raw text [off, off+len) or one special token. */
typedef struct {
    size_t off, len;
    int32_t tok; /* -1 for raw text */
} frag;

/* Split every raw fragment of `in` at the non-overlapping occurrences (left to
 * right) of token `id`'s text; returns the new count written to `out`. */
static size_t split_at(const senti_tokenizer *t, const char *text, const frag *in, size_t n, int32_t id,
                       frag *out)
{
    const char *tt = t->blob + t->off[id];
    size_t tl = t->len[id], m = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].tok >= 0 || in[i].len < tl) {
            out[m++] = in[i];
            continue;
        }
        size_t pos = in[i].off, end = in[i].off + in[i].len;
        for (;;) {
            const char *hit = tok_find(text + pos, end - pos, tt, tl);
            if (!hit)
                break;
            size_t at = (size_t)(hit - text);
            if (at > pos)
                out[m++] = (frag){pos, at - pos, -1};
            out[m++] = (frag){at, tl, id};
            pos = at + tl;
        }
        if (pos < end)
            out[m++] = (frag){pos, end - pos, -1};
    }
    return m;
}

/* Fragments of `text` after special-token splitting, in a malloc'ed array
 * (caller frees); NULL on allocation failure. */
static frag *partition(const senti_tokenizer *t, const char *text, size_t len, bool parse_special, size_t *n_out)
{
    size_t cap = 2 * len + 2;
    frag *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    size_t n = 0;
    if (len > 0)
        a[n++] = (frag){0, len, -1};
    bool present[256] = {false}; /* bytes that occur: cheap rejection of most tokens */
    for (size_t i = 0; i < len; i++)
        present[(unsigned char)text[i]] = true;
    for (size_t k = 0; k < t->n_special && n > 0; k++) {
        int32_t id = t->special[k];
        if (!parse_special && (t->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN)))
            continue;
        if (t->len[id] > len || !present[(unsigned char)t->blob[t->off[id]]])
            continue;
        if (!tok_find(text, len, t->blob + t->off[id], t->len[id]))
            continue;
        n = split_at(t, text, a, n, id, b);
        frag *tmp = a;
        a = b;
        b = tmp;
    }
    free(b);
    *n_out = n;
    return a;
}

/* ---- tokenize ------------------------------------------------------------------ */

static senti_status encode_all(const senti_tokenizer *t, const char *text, size_t len, int flags, tok_out *out,
                               senti_err *err)
{
    size_t nf;
    frag *f = partition(t, text, len, (flags & SENTI_TOK_PARSE_SPECIAL) != 0, &nf);
    if (!f)
        return senti_err_set(err, SENTI_ERR_NOMEM, "tokenize: out of memory");
    bool add = (flags & SENTI_TOK_ADD_SPECIAL) != 0;
    senti_status s = SENTI_OK;
    if (add && t->add_bos && t->bos >= 0)
        tok_out_push(out, t->bos);
    bool prev_special = true; /* SPM: a space prefix goes before the first raw fragment */
    for (size_t i = 0; i < nf && !s; i++) {
        if (f[i].tok >= 0) {
            tok_out_push(out, f[i].tok);
            prev_special = true;
        } else if (t->kind == SENTI_TOK_BPE) {
            s = tok_bpe_encode(t, text + f[i].off, f[i].len, out, err);
        } else {
            s = tok_spm_encode(t, text + f[i].off, f[i].len, t->add_space_prefix && prev_special, out, err);
            prev_special = false;
        }
    }
    if (!s && add && t->add_eos && t->eos >= 0)
        tok_out_push(out, t->eos);
    free(f);
    if (!s && out->oom)
        s = senti_err_set(err, SENTI_ERR_NOMEM, "tokenize: out of memory");
    return s;
}

senti_status senti_tokenize(const senti_tokenizer *t, const char *text, size_t len, int flags, int32_t *ids,
                            size_t cap, size_t *n_out, senti_err *err)
{
    *n_out = 0;
    if (!t || (!text && len > 0))
        return senti_err_set(err, SENTI_ERR_ARG, "tokenize: NULL tokenizer or text");
    tok_out out = {0};
    senti_status s = encode_all(t, text, len, flags, &out, err);
    if (!s) {
        *n_out = out.n;
        if (ids && out.n)
            memcpy(ids, out.ids, (out.n < cap ? out.n : cap) * sizeof *ids);
        if (out.n > cap)
            s = senti_err_set(err, SENTI_ERR_RANGE, "tokenize: %zu tokens do not fit in %zu", out.n, cap);
    }
    free(out.ids);
    return s;
}

/* ---- decode ---------------------------------------------------------------------- */

static size_t copy_out(const char *s, size_t n, char *buf, size_t cap)
{
    if (buf && cap)
        memcpy(buf, s, n < cap ? n : cap);
    return n;
}

/* SentencePiece normal token: U+2581 -> ' '. */
static size_t spm_unescape(const char *s, size_t n, char *buf, size_t cap)
{
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        if (i + 3 <= n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
            if (buf && m < cap)
                buf[m] = ' ';
            m++;
            i += 3;
        } else {
            if (buf && m < cap)
                buf[m] = s[i];
            m++;
            i++;
        }
    }
    return m;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 0;
}

size_t senti_token_to_piece(const senti_tokenizer *t, int32_t id, bool special, char *buf, size_t cap)
{
    if (!t || id < 0 || id >= t->n_vocab)
        return 0;
    uint8_t a = t->attr[id];
    const char *s = t->blob + t->off[id];
    size_t n = t->len[id];
    if (a & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL))
        return special ? copy_out(s, n, buf, cap) : 0;
    if (a & TOK_ATTR_USER_DEFINED)
        return copy_out(s, n, buf, cap);
    if (a & TOK_ATTR_NORMAL)
        return t->kind == SENTI_TOK_SPM ? spm_unescape(s, n, buf, cap) : tok_bpe_decode_text(t, s, n, buf, cap);
    if (a & TOK_ATTR_BYTE) {
        char byte = n >= 5 ? (char)(hexval(s[3]) * 16 + hexval(s[4])) : 0;
        return copy_out(&byte, 1, buf, cap);
    }
    return 0; /* unused / undefined tokens decode to nothing */
}

size_t senti_detokenize(const senti_tokenizer *t, const int32_t *ids, size_t n, bool special, char *buf,
                        size_t cap)
{
    size_t total = 0;
    char tmp[8];
    for (size_t i = 0; i < n; i++) {
        size_t room = total < cap ? cap - total : 0;
        char *dst = room ? buf + total : NULL;
        size_t k = senti_token_to_piece(t, ids[i], special, dst, room);
        /* llama.cpp drops the space an SPM add_space_prefix put before the first word */
        if (i == 0 && t->add_space_prefix && k > 0) {
            senti_token_to_piece(t, ids[i], special, tmp, 1);
            if (tmp[0] == ' ') {
                if (dst && room)
                    memmove(dst, dst + 1, (k < room ? k : room) - 1);
                k--;
            }
        }
        total += k;
    }
    if (buf && cap)
        buf[total < cap ? total : cap - 1] = 0;
    return total;
}

/* ---- accessors -------------------------------------------------------------------- */

senti_tok_kind senti_tokenizer_kind(const senti_tokenizer *t) { return t->kind; }
const char *senti_tokenizer_pre(const senti_tokenizer *t) { return t->pre; }
int32_t senti_tokenizer_n_vocab(const senti_tokenizer *t) { return t->n_vocab; }
int32_t senti_token_bos(const senti_tokenizer *t) { return t->bos; }
int32_t senti_token_eos(const senti_tokenizer *t) { return t->eos; }
bool senti_tokenizer_add_bos(const senti_tokenizer *t) { return t->add_bos; }
bool senti_tokenizer_add_eos(const senti_tokenizer *t) { return t->add_eos; }

senti_str senti_token_text(const senti_tokenizer *t, int32_t id)
{
    senti_str s = {"", 0};
    if (id >= 0 && id < t->n_vocab) {
        s.ptr = t->blob + t->off[id];
        s.len = t->len[id];
    }
    return s;
}

int32_t senti_token_lookup(const senti_tokenizer *t, const char *text, size_t len)
{
    return tok_vocab_find(t, text, len);
}
