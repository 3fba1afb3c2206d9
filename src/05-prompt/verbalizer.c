/*
 * verbalizer.c - verbalizer files (jansson) and label-word tokenization
 * (see senti/verbalizer.h for the format and the leading-space rule).
 *
 * Validation is strict so that a typo fails loudly: unknown top-level keys,
 * duplicate labels (JSON_REJECT_DUPLICATES), labels without words, empty or
 * repeated words, a word shared by two labels, a label_order that is not a
 * permutation of the labels, and templates without their placeholders.
 */
#include "senti/verbalizer.h"

#include "senti/prompt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "00-base/base.h"
#include "verbalizer_json.h"

typedef struct {
    char *key;     /* dataset label */
    char *display; /* display name (defaults to key) */
    char **words;  /* [n_words] */
    size_t n_words;
} vlabel;

struct senti_verbalizer {
    char *name, *description, *tmpl, *demo_tmpl, *instruction, *separator;
    char sha[65];
    vlabel *labels; /* [n_labels] in label order */
    size_t n_labels;
    char **map_from; /* [n_map] "label_map" keys: dataset values ... */
    int *map_to;     /* [n_map] ... and the labels they stand for (indices in label order) */
    size_t n_map;
};

/* ---- parsing pieces --------------------------------------------------------- */

/* Optional string member: absent/null -> NULL; a non-string is an error. */
static senti_status opt_str(json_t *root, const char *key, const char *origin, char **out, senti_err *err)
{
    *out = NULL;
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return SENTI_OK;
    if (!json_is_string(v))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"%s\" must be a string", origin, key);
    *out = senti_xstrdup(json_string_value(v));
    return *out ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
}

static senti_status check_keys(json_t *root, const char *origin, senti_err *err)
{
    static const char *known[] = {"name",        "description",   "labels",      "label_order", "display",
                                  "template",    "demo_template", "instruction", "separator",   "label_map",
                                  NULL};
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        bool ok = key[0] == '_' || key[0] == '$';
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: unknown key \"%s\"", origin, key);
    }
    return SENTI_OK;
}

/* One label: "key": ["w1", "w2"] (a single string is accepted as one word). */
static senti_status parse_label(vlabel *l, const char *key, json_t *words, const char *origin, senti_err *err)
{
    l->key = senti_xstrdup(key);
    if (!l->key)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (!*key)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: empty label key", origin);
    size_t n = json_is_string(words) ? 1 : json_is_array(words) ? json_array_size(words) : 0;
    if (!json_is_string(words) && !json_is_array(words))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label \"%s\": words must be an array of strings", origin,
                             key);
    if (n == 0)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label \"%s\" has no words", origin, key);
    l->words = calloc(n, sizeof *l->words);
    if (!l->words)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) {
        json_t *w = json_is_string(words) ? words : json_array_get(words, j);
        if (!json_is_string(w))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label \"%s\": word %zu is not a string", origin, key,
                                 j + 1);
        const char *s = json_string_value(w);
        bool blank = true;
        for (const char *c = s; *c && blank; c++)
            blank = isspace((unsigned char)*c) != 0;
        if (blank)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label \"%s\": word %zu is empty", origin, key, j + 1);
        for (size_t q = 0; q < j; q++)
            if (strcmp(l->words[q], s) == 0)
                return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label \"%s\": word \"%s\" is listed twice",
                                     origin, key, s);
        if (!(l->words[j] = senti_xstrdup(s)))
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        l->n_words++;
    }
    return SENTI_OK;
}

static senti_status parse_labels(senti_verbalizer *v, json_t *labels, const char *origin, senti_err *err)
{
    if (!json_is_object(labels))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"labels\" is missing or not an object", origin);
    size_t n = json_object_size(labels);
    if (n < 2)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"labels\" needs at least 2 labels, has %zu", origin, n);
    v->labels = calloc(n, sizeof *v->labels);
    if (!v->labels)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    const char *key;
    json_t *words;
    json_object_foreach(labels, key, words) {
        senti_status st = parse_label(&v->labels[v->n_labels++], key, words, origin, err);
        if (st != SENTI_OK)
            return st;
    }
    /* A word shared by two labels makes the scores of both identical. */
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            for (size_t i = 0; i < v->labels[a].n_words; i++)
                for (size_t j = 0; j < v->labels[b].n_words; j++)
                    if (strcmp(v->labels[a].words[i], v->labels[b].words[j]) == 0)
                        return senti_err_set(err, SENTI_ERR_FORMAT,
                                             "%s: word \"%s\" is used by labels \"%s\" and \"%s\"", origin,
                                             v->labels[a].words[i], v->labels[a].key, v->labels[b].key);
    return SENTI_OK;
}

/* Index of the label whose key is `key` (the map aside), or -1. */
static int find_key(const senti_verbalizer *v, const char *key)
{
    for (size_t i = 0; i < v->n_labels; i++)
        if (v->labels[i].key && strcmp(v->labels[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* "label_map": {"dataset value": "label", ...}; run after apply_order. */
static senti_status parse_map(senti_verbalizer *v, json_t *map, const char *origin, senti_err *err)
{
    if (!map || json_is_null(map))
        return SENTI_OK;
    if (!json_is_object(map))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"label_map\" must be an object", origin);
    size_t n = json_object_size(map);
    v->map_from = calloc(n ? n : 1, sizeof *v->map_from);
    v->map_to = calloc(n ? n : 1, sizeof *v->map_to);
    if (!v->map_from || !v->map_to)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    const char *key;
    json_t *to;
    json_object_foreach(map, key, to) {
        if (!json_is_string(to))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label_map: \"%s\" must map to a label (a string)",
                                 origin, key);
        int li = find_key(v, json_string_value(to));
        if (li < 0)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label_map: \"%s\" maps to \"%s\", which is not one of "
                                 "the labels", origin, key, json_string_value(to));
        if (find_key(v, key) >= 0)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: label_map: \"%s\" is a label itself; map only the "
                                 "dataset values that are not", origin, key);
        if (!(v->map_from[v->n_map] = senti_xstrdup(key)))
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        v->map_to[v->n_map++] = li;
    }
    return SENTI_OK;
}

/* Index of the slot a copied label came from (its words pointer is unique). */
static size_t find_taken(const senti_verbalizer *v, const vlabel *l)
{
    size_t i = 0;
    while (i < v->n_labels && v->labels[i].words != l->words)
        i++;
    return i;
}

/* Reorder the labels as "label_order" says (a permutation of the keys). */
static senti_status apply_order(senti_verbalizer *v, json_t *order, const char *origin, senti_err *err)
{
    if (!order || json_is_null(order))
        return SENTI_OK;
    if (!json_is_array(order) || json_array_size(order) != v->n_labels)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"label_order\" must list each of the %zu labels once",
                             origin, v->n_labels);
    vlabel *sorted = calloc(v->n_labels, sizeof *sorted);
    if (!sorted)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < v->n_labels; i++) {
        json_t *k = json_array_get(order, i);
        int at = json_is_string(k) ? senti_verbalizer_find(v, json_string_value(k)) : -1;
        bool repeated = false;
        for (size_t q = 0; q < i && json_is_string(k); q++)
            repeated |= strcmp(sorted[q].key, json_string_value(k)) == 0;
        if (at < 0) {
            for (size_t q = 0; q < i; q++) /* give the taken keys back */
                v->labels[find_taken(v, &sorted[q])].key = sorted[q].key;
            free(sorted);
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"label_order\" entry %zu (%s) is %s", origin, i + 1,
                                 json_is_string(k) ? json_string_value(k) : "?",
                                 repeated ? "repeated" : "not a label");
        }
        sorted[i] = v->labels[at];
        v->labels[at].key = NULL; /* marks it taken; restored below */
    }
    free(v->labels);
    v->labels = sorted;
    return SENTI_OK;
}

static senti_status parse_display(senti_verbalizer *v, json_t *disp, const char *origin, senti_err *err)
{
    if (disp && !json_is_null(disp) && !json_is_object(disp))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"display\" must be an object", origin);
    const char *key;
    json_t *val;
    if (disp && json_is_object(disp))
        json_object_foreach(disp, key, val) {
            if (senti_verbalizer_find(v, key) < 0 || !json_is_string(val))
                return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"display\": \"%s\" is %s", origin, key,
                                     json_is_string(val) ? "not a label" : "not a string");
        }
    for (size_t i = 0; i < v->n_labels; i++) {
        json_t *d = disp ? json_object_get(disp, v->labels[i].key) : NULL;
        v->labels[i].display = senti_xstrdup(d ? json_string_value(d) : v->labels[i].key);
        if (!v->labels[i].display)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    return SENTI_OK;
}

size_t senti_template_count(const char *s, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = strstr(s, needle); p; p = strstr(p + k, needle))
        n++;
    return n;
}

const char *senti_template_problem(const char *tmpl, bool demo)
{
    if (senti_template_count(tmpl, "{text}") != 1)
        return "must contain {text} exactly once";
    if (senti_template_count(tmpl, "{label}") != (demo ? 1u : 0u))
        return demo ? "must contain {label} exactly once" : "must not contain {label}";
    return NULL;
}

static senti_status check_templates(const senti_verbalizer *v, const char *origin, senti_err *err)
{
    const char *why;
    if (v->tmpl && (why = senti_template_problem(v->tmpl, false)))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"template\" %s", origin, why);
    if (v->demo_tmpl && (why = senti_template_problem(v->demo_tmpl, true)))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: \"demo_template\" %s", origin, why);
    return SENTI_OK;
}

/* Default name: the file's stem ("verbalizers/sst2.json" -> "sst2"). */
static char *stem(const char *origin)
{
    const char *b = strrchr(origin, '/');
    b = b ? b + 1 : origin;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

static senti_status parse_root(senti_verbalizer *v, json_t *root, const char *origin, senti_err *err)
{
    senti_status st;
    if (!json_is_object(root))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: the top level must be a JSON object", origin);
    if ((st = check_keys(root, origin, err)) || (st = opt_str(root, "name", origin, &v->name, err)) ||
        (st = opt_str(root, "description", origin, &v->description, err)) ||
        (st = opt_str(root, "template", origin, &v->tmpl, err)) ||
        (st = opt_str(root, "demo_template", origin, &v->demo_tmpl, err)) ||
        (st = opt_str(root, "instruction", origin, &v->instruction, err)) ||
        (st = opt_str(root, "separator", origin, &v->separator, err)) ||
        (st = parse_labels(v, json_object_get(root, "labels"), origin, err)) ||
        (st = apply_order(v, json_object_get(root, "label_order"), origin, err)) ||
        (st = parse_display(v, json_object_get(root, "display"), origin, err)) ||
        (st = parse_map(v, json_object_get(root, "label_map"), origin, err)) ||
        (st = check_templates(v, origin, err)))
        return st;
    if (!v->name && !(v->name = stem(origin)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    return SENTI_OK;
}

senti_status senti_verbalizer_parse(const char *json, size_t len, const char *origin, senti_verbalizer **out,
                                    senti_err *err)
{
    *out = NULL;
    if (!origin)
        origin = "verbalizer";
    json_error_t je;
    const size_t bom = len >= 3 && !memcmp(json, "\xEF\xBB\xBF", 3) ? 3 : 0; /* RFC 8259 lets us ignore one */
    json_t *root = json_loadb(json + bom, len - bom, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d:%d: %s", origin, je.line, je.column, je.text);
    senti_verbalizer *v = calloc(1, sizeof *v);
    senti_status st = v ? parse_root(v, root, origin, err) : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    json_decref(root);
    if (st != SENTI_OK) {
        senti_verbalizer_free(v);
        return st;
    }
    senti_sha256_hex(json, len, v->sha);
    *out = v;
    return SENTI_OK;
}

senti_status senti_verbalizer_load(const char *path, senti_verbalizer **out, senti_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot open verbalizer", path);
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char tmp[8192];
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            }
            buf = b;
        }
        memcpy(buf + len, tmp, n);
        len += n;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        free(buf);
        return senti_err_set(err, SENTI_ERR_IO, "%s: read error", path);
    }
    senti_status st = senti_verbalizer_parse(buf ? buf : "", len, path, out, err);
    free(buf);
    return st;
}

void senti_verbalizer_free(senti_verbalizer *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_labels; i++) {
        for (size_t j = 0; j < v->labels[i].n_words; j++)
            free(v->labels[i].words[j]);
        free(v->labels[i].words);
        free(v->labels[i].key);
        free(v->labels[i].display);
    }
    free(v->labels);
    for (size_t i = 0; i < v->n_map; i++)
        free(v->map_from[i]);
    free(v->map_from);
    free(v->map_to);
    free(v->name);
    free(v->description);
    free(v->tmpl);
    free(v->demo_tmpl);
    free(v->instruction);
    free(v->separator);
    free(v);
}

/* ---- accessors ----------------------------------------------------------------- */

const char *senti_verbalizer_name(const senti_verbalizer *v) { return v->name; }
const char *senti_verbalizer_description(const senti_verbalizer *v) { return v->description; }
const char *senti_verbalizer_template(const senti_verbalizer *v) { return v->tmpl; }
const char *senti_verbalizer_demo_template(const senti_verbalizer *v) { return v->demo_tmpl; }
const char *senti_verbalizer_instruction(const senti_verbalizer *v) { return v->instruction; }
const char *senti_verbalizer_separator(const senti_verbalizer *v) { return v->separator; }
const char *senti_verbalizer_sha256(const senti_verbalizer *v) { return v->sha; }
size_t senti_verbalizer_n_labels(const senti_verbalizer *v) { return v->n_labels; }
const char *senti_verbalizer_label(const senti_verbalizer *v, size_t i) { return v->labels[i].key; }
const char *senti_verbalizer_display(const senti_verbalizer *v, size_t i) { return v->labels[i].display; }
size_t senti_verbalizer_n_words(const senti_verbalizer *v, size_t i) { return v->labels[i].n_words; }
const char *senti_verbalizer_word(const senti_verbalizer *v, size_t i, size_t j) { return v->labels[i].words[j]; }

int senti_verbalizer_find(const senti_verbalizer *v, const char *label)
{
    for (size_t i = 0; i < v->n_map; i++)
        if (strcmp(v->map_from[i], label) == 0)
            return v->map_to[i];
    return find_key(v, label);
}

size_t senti_verbalizer_n_mapped(const senti_verbalizer *v) { return v->n_map; }

const char *senti_verbalizer_mapped(const senti_verbalizer *v, size_t i, size_t *label)
{
    *label = (size_t)v->map_to[i];
    return v->map_from[i];
}

json_t *senti_verbalizer_map_json(const senti_verbalizer *v)
{
    if (!v->n_map)
        return NULL;
    json_t *map = json_object();
    for (size_t i = 0; i < v->n_map; i++)
        json_object_set_new(map, v->map_from[i], json_string(v->labels[v->map_to[i]].key));
    return map;
}

/* ---- label words as token sequences ------------------------------------------- */

size_t senti_continuation_text(const char *prompt, size_t prompt_len, const char *word, char *buf, size_t cap)
{
    size_t wl = strlen(word);
    bool space = !isspace((unsigned char)word[0]) && prompt_len > 0 &&
                 !isspace((unsigned char)prompt[prompt_len - 1]);
    size_t n = wl + (space ? 1 : 0);
    if (cap > 0) {
        size_t k = 0;
        if (space && k + 1 < cap)
            buf[k++] = ' ';
        size_t m = wl < cap - 1 - k ? wl : cap - 1 - k;
        memcpy(buf + k, word, m);
        buf[k + m] = '\0';
    }
    return n;
}

/* Tokenize into a malloc'ed array (*ids, *n); flags as senti_tokenize. */
static senti_status tokenize_alloc(const senti_tokenizer *tok, const char *s, size_t len, int flags, int32_t **ids,
                                   size_t *n, senti_err *err)
{
    size_t cap = len + 8;
    *ids = malloc(cap * sizeof **ids);
    if (!*ids)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    senti_status st = senti_tokenize(tok, s, len, flags, *ids, cap, n, err);
    if (st == SENTI_ERR_RANGE && *n > cap) {
        int32_t *b = realloc(*ids, *n * sizeof **ids);
        if (!b)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        *ids = b;
        cap = *n;
        st = senti_tokenize(tok, s, len, flags, *ids, cap, n, err);
    }
    return st;
}

/* Tokens of one word's continuation after `prompt` (p_ids: its tokens). */
static senti_status word_tokens(const senti_tokenizer *tok, const char *prompt, size_t plen, const int32_t *p_ids,
                                size_t p_n, int flags, const char *label, const char *word, senti_label_tokens *w,
                                senti_err *err)
{
    size_t cl = senti_continuation_text(prompt, plen, word, NULL, 0);
    char *full = malloc(plen + cl + 1);
    if (!full || !(w->text = malloc(cl + 1))) {
        free(full);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    senti_continuation_text(prompt, plen, word, w->text, cl + 1);
    memcpy(full, prompt, plen);
    memcpy(full + plen, w->text, cl + 1);
    int32_t *f_ids = NULL;
    size_t f_n = 0;
    senti_status st = tokenize_alloc(tok, full, plen + cl, flags, &f_ids, &f_n, err);
    free(full);
    if (st == SENTI_OK && f_n > p_n && memcmp(f_ids, p_ids, p_n * sizeof *p_ids) == 0) {
        w->clean_split = true;
        w->n = f_n - p_n;
        memmove(f_ids, f_ids + p_n, w->n * sizeof *f_ids);
        w->ids = f_ids;
    } else if (st == SENTI_OK) {
        free(f_ids); /* not a clean split: the continuation alone */
        w->clean_split = false;
        st = tokenize_alloc(tok, w->text, cl, flags & SENTI_TOK_PARSE_SPECIAL, &w->ids, &w->n, err);
    } else {
        free(f_ids);
    }
    if (st == SENTI_OK && w->n == 0)
        st = senti_err_set(err, SENTI_ERR_FORMAT, "label \"%s\": word \"%s\" tokenizes to nothing", label, word);
    return st;
}

senti_status senti_verbalizer_tokenize(const senti_verbalizer *v, const senti_tokenizer *tok, const char *prompt,
                                       size_t prompt_len, int tok_flags, senti_verbalizer_tokens **out,
                                       senti_err *err)
{
    *out = NULL;
    int flags = tok_flags & SENTI_TOK_PARSE_SPECIAL;
    senti_verbalizer_tokens *t = calloc(1, sizeof *t);
    size_t total = 0;
    for (size_t i = 0; i < v->n_labels; i++)
        total += v->labels[i].n_words;
    if (t) {
        t->label_first = calloc(v->n_labels + 1, sizeof *t->label_first);
        t->words = calloc(total, sizeof *t->words);
    }
    if (!t || !t->label_first || !t->words) {
        senti_verbalizer_tokens_free(t);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    t->n_labels = v->n_labels;
    t->all_single = true;
    int32_t *p_ids = NULL;
    size_t p_n = 0;
    senti_status st = tokenize_alloc(tok, prompt, prompt_len, flags, &p_ids, &p_n, err);
    for (size_t i = 0; i < v->n_labels && st == SENTI_OK; i++) {
        t->label_first[i] = t->n_words;
        for (size_t j = 0; j < v->labels[i].n_words && st == SENTI_OK; j++) {
            senti_label_tokens *w = &t->words[t->n_words++];
            st = word_tokens(tok, prompt, prompt_len, p_ids, p_n, flags, v->labels[i].key, v->labels[i].words[j], w,
                             err);
            t->max_tokens = w->n > t->max_tokens ? w->n : t->max_tokens;
            t->all_single = t->all_single && w->n == 1;
        }
    }
    t->label_first[v->n_labels] = t->n_words;
    free(p_ids);
    if (st != SENTI_OK) {
        senti_verbalizer_tokens_free(t);
        return st;
    }
    *out = t;
    return SENTI_OK;
}

void senti_verbalizer_tokens_free(senti_verbalizer_tokens *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->words && i < t->n_words; i++) {
        free(t->words[i].ids);
        free(t->words[i].text);
    }
    free(t->words);
    free(t->label_first);
    free(t);
}
