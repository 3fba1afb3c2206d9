/*
 * select_space.c - the search space of `senti select`: the default one, built
 * from the label names, and space files that replace parts of it
 * (docs/select.md). Parsing is strict: unknown keys, wrong types, labels that
 * are not the data's, out-of-range numbers fail with SENTI_ERR_FORMAT and
 * "<file>: <key>: <problem>" (JSON syntax: "<file>:<line>:<col>: ...").
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "00-base/base.h"
#include "senti/verbalizer.h"
#include "select_internal.h"

/* ---- defaults ------------------------------------------------------------- */

static const char *const default_tmpl[][2] = {
    {"review", "Review: {text}\nSentiment:"},
    {"itwas", "{text} It was"},
    {"question", "Text: {text}\nQuestion: What is the sentiment of this text?\nAnswer:"},
};

void sel_space_free(sel_space *s)
{
    for (size_t i = 0; i < s->n_models; i++)
        free(s->models[i]);
    for (size_t i = 0; i < s->n_tmpl; i++) {
        free(s->tmpl_name[i]);
        free(s->tmpl[i]);
    }
    for (size_t i = 0; i < s->n_ws; i++) {
        free(s->ws_name[i]);
        json_decref(s->ws[i]);
    }
    memset(s, 0, sizeof *s);
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* The English sense of label i: the label itself when it is a word, else by
 * position for integer labels (2: negative/positive, 3: + neutral,
 * 5: very negative .. very positive). NULL when unknown. */
static const char *label_sense(char *const *labels, int k, int i)
{
    static const char *const two[] = {"negative", "positive"};
    static const char *const three[] = {"negative", "neutral", "positive"};
    static const char *const five[] = {"terrible", "bad", "okay", "good", "great"};
    if (!all_digits(labels[i]))
        return labels[i];
    if (k == 2)
        return two[i];
    if (k == 3)
        return three[i];
    if (k == 5)
        return five[i];
    return NULL;
}

/* The polar adjective of a sense ("negative" -> "terrible"), NULL if none. */
static const char *sense_adjective(const char *sense)
{
    static const char *const map[][2] = {
        {"negative", "terrible"}, {"positive", "great"}, {"neutral", "okay"},
        {"neg", "terrible"},      {"pos", "great"},      {"objective", "factual"},
        {"subjective", "personal"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(sense, map[i][0]))
            return map[i][1];
    return NULL;
}

/* style 0: Capitalized, 1: lower case, 2: adjective. NULL when a label has no word. */
static json_t *words_from_names(char *const *labels, int k, int style)
{
    json_t *o = json_object();
    for (int i = 0; o && i < k; i++) {
        const char *sense = label_sense(labels, k, i);
        if (sense && style == 2)
            sense = all_digits(labels[i]) && k == 5 ? sense : sense_adjective(sense);
        if (!sense) {
            json_decref(o);
            return NULL;
        }
        char w[128];
        snprintf(w, sizeof w, "%s", sense);
        for (char *c = w; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (style == 0)
            w[0] = (char)toupper((unsigned char)w[0]);
        json_object_set_new(o, labels[i], json_pack("[s]", w));
    }
    return o;
}

/* True when two labels share a word (a verbalizer would refuse it). */
static bool words_clash(const json_t *ws)
{
    const char *l1, *l2;
    json_t *a, *b, *w, *x;
    size_t i, j;
    json_object_foreach((json_t *)ws, l1, a) json_object_foreach((json_t *)ws, l2, b)
    {
        if (strcmp(l1, l2) >= 0)
            continue;
        json_array_foreach(a, i, w) json_array_foreach(b, j, x) if (!strcmp(json_string_value(w),
                                                                             json_string_value(x))) return true;
    }
    return false;
}

static void add_ws(sel_space *s, const char *name, json_t *ws)
{
    if (!ws || s->n_ws == SEL_MAX_ITEMS || words_clash(ws)) {
        json_decref(ws);
        return;
    }
    s->ws_name[s->n_ws] = senti_xstrdup(name);
    s->ws[s->n_ws++] = ws;
}

senti_status sel_space_default(sel_space *s, char *const *labels, int k, senti_err *err)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < sizeof default_tmpl / sizeof default_tmpl[0]; i++) {
        s->tmpl_name[s->n_tmpl] = senti_xstrdup(default_tmpl[i][0]);
        s->tmpl[s->n_tmpl++] = senti_xstrdup(default_tmpl[i][1]);
    }
    add_ws(s, "names", words_from_names(labels, k, 0));
    add_ws(s, "lower", words_from_names(labels, k, 1));
    add_ws(s, "adjectives", words_from_names(labels, k, 2));
    if (!s->n_ws) { /* labels without a known sense: the label keys themselves */
        json_t *o = json_object();
        for (int i = 0; i < k; i++)
            json_object_set_new(o, labels[i], json_pack("[s]", labels[i]));
        add_ws(s, "keys", o);
    }
    s->calib[0] = SENTI_CALIB_NONE, s->calib[1] = SENTI_CALIB_CONTEXTUAL, s->calib[2] = SENTI_CALIB_PMI;
    s->n_calib = 3;
    s->shots[0] = 0, s->shots[1] = 4;
    s->n_shots = 2;
    s->layout_inline = s->layout_turns = true;
    s->head = s->bow = s->ensemble = s->words = true;
    s->words_top = 2;
    s->promote = 1;
    if (!s->n_ws)
        return senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory building the default space");
    return SENTI_OK;
}

/* ---- models ------------------------------------------------------------- */

typedef struct {
    char *path;
    off_t size;
} model_file;

static int model_cmp(const void *a, const void *b)
{
    const model_file *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return strcmp(x->path, y->path);
}

senti_status sel_space_scan_models(sel_space *s, const char *dir, senti_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: cannot list the model directory (give -m MODEL)", dir);
    model_file mf[SEL_MAX_ITEMS];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < SEL_MAX_ITEMS;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".gguf") || e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        mf[n].path = senti_xstrdup(path);
        mf[n++].size = st.st_size;
    }
    closedir(d);
    qsort(mf, n, sizeof mf[0], model_cmp);
    for (size_t i = 0; i < n; i++)
        s->models[s->n_models++] = mf[i].path;
    if (!s->n_models)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: no *.gguf model there (give -m MODEL)", dir);
    return SENTI_OK;
}

/* ---- space files ----------------------------------------------------------- */

static senti_status bad(senti_err *err, const char *path, const char *key, const char *what)
{
    return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: %s", path, key, what);
}

static senti_status parse_strings(const json_t *a, const char *path, const char *key, char **out, size_t *n,
                                  senti_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > SEL_MAX_ITEMS)
        return bad(err, path, key, "must be a non-empty array (at most 32 items)");
    json_array_foreach(a, i, x) if (!json_is_string(x) || !*json_string_value(x)) return bad(
        err, path, key, "every item must be a non-empty string");
    for (size_t j = 0; j < *n; j++)
        free(out[j]);
    *n = 0;
    json_array_foreach(a, i, x) out[(*n)++] = senti_xstrdup(json_string_value(x));
    return SENTI_OK;
}

static senti_status parse_templates(sel_space *s, const json_t *o, const char *path, senti_err *err)
{
    const char *name;
    json_t *t;
    if (!json_is_object(o) || !json_object_size(o) || json_object_size(o) > SEL_MAX_ITEMS)
        return bad(err, path, "templates", "must be a non-empty object name -> template (at most 32)");
    json_object_foreach((json_t *)o, name, t)
    {
        const char *problem = json_is_string(t) ? senti_template_problem(json_string_value(t), false)
                                                : "must be a string";
        if (problem)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: templates.%s: %s", path, name, problem);
    }
    for (size_t i = 0; i < s->n_tmpl; i++)
        free(s->tmpl_name[i]), free(s->tmpl[i]);
    s->n_tmpl = 0;
    json_object_foreach((json_t *)o, name, t)
    {
        s->tmpl_name[s->n_tmpl] = senti_xstrdup(name);
        s->tmpl[s->n_tmpl++] = senti_xstrdup(json_string_value(t));
    }
    return SENTI_OK;
}

/* One label-word set: every label of the data, a word or a list of words each. */
static senti_status parse_one_ws(const json_t *o, const char *path, const char *name, char *const *labels, int k,
                                 json_t **out, senti_err *err)
{
    char key[300];
    snprintf(key, sizeof key, "label_words.%s", name);
    if (!json_is_object(o))
        return bad(err, path, key, "must be an object label -> word(s)");
    json_t *ws = json_object();
    const char *l;
    json_t *v;
    json_object_foreach((json_t *)o, l, v)
    {
        bool known = false;
        for (int i = 0; i < k; i++)
            known |= !strcmp(labels[i], l);
        json_t *arr = json_is_string(v) ? json_pack("[O]", v) : json_deep_copy(v);
        size_t j;
        json_t *w;
        bool ok = json_is_array(arr) && json_array_size(arr) > 0;
        json_array_foreach(arr, j, w) ok &= json_is_string(w) && *json_string_value(w);
        if (!known || !ok) {
            json_decref(arr), json_decref(ws);
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s.%s: %s", path, key, l,
                                 known ? "must be a word or a non-empty array of words"
                                       : "is not a label of the data");
        }
        json_object_set_new(ws, l, arr);
    }
    for (int i = 0; i < k; i++)
        if (!json_object_get(ws, labels[i])) {
            json_decref(ws);
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: label '%s' has no word", path, key, labels[i]);
        }
    if (words_clash(ws)) {
        json_decref(ws);
        return bad(err, path, key, "two labels share a word");
    }
    *out = ws;
    return SENTI_OK;
}

static senti_status parse_wordsets(sel_space *s, const json_t *o, const char *path, char *const *labels, int k,
                                   senti_err *err)
{
    if (!json_is_object(o) || !json_object_size(o) || json_object_size(o) > SEL_MAX_ITEMS)
        return bad(err, path, "label_words", "must be a non-empty object name -> {label: words} (at most 32)");
    json_t *got[SEL_MAX_ITEMS];
    size_t n = 0;
    const char *name;
    json_t *x;
    json_object_foreach((json_t *)o, name, x)
    {
        senti_status st = parse_one_ws(x, path, name, labels, k, &got[n], err);
        if (st) {
            while (n)
                json_decref(got[--n]);
            return st;
        }
        n++;
    }
    for (size_t i = 0; i < s->n_ws; i++)
        free(s->ws_name[i]), json_decref(s->ws[i]);
    s->n_ws = 0;
    json_object_foreach((json_t *)o, name, x)
    {
        s->ws_name[s->n_ws] = senti_xstrdup(name);
        s->ws[s->n_ws] = got[s->n_ws];
        s->n_ws++;
    }
    return SENTI_OK;
}

static senti_status parse_calibs(sel_space *s, const json_t *a, const char *path, senti_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > 3)
        return bad(err, path, "calibrations", "must be a non-empty array of none, contextual, pmi");
    s->n_calib = 0;
    json_array_foreach(a, i, x)
    {
        senti_calib_method m;
        if (!json_is_string(x) || senti_calib_parse(json_string_value(x), &m, NULL) || m == SENTI_CALIB_BATCH)
            return bad(err, path, "calibrations", "every item must be one of none, contextual, pmi");
        for (size_t j = 0; j < s->n_calib; j++)
            if (s->calib[j] == (int)m)
                return bad(err, path, "calibrations", "a calibration is listed twice");
        s->calib[s->n_calib++] = (int)m;
    }
    return SENTI_OK;
}

static senti_status parse_shots(sel_space *s, const json_t *a, const char *path, senti_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(a) || !json_array_size(a) || json_array_size(a) > 4)
        return bad(err, path, "shots", "must be a non-empty array of at most 4 integers in 0..16");
    s->n_shots = 0;
    json_array_foreach(a, i, x)
    {
        if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 16)
            return bad(err, path, "shots", "every item must be an integer in 0..16");
        s->shots[s->n_shots++] = (int)json_integer_value(x);
    }
    return SENTI_OK;
}

/* "demo_layouts": a non-empty array of "inline" and/or "turns". */
static senti_status parse_layouts(sel_space *s, const json_t *a, const char *path, senti_err *err)
{
    size_t i;
    json_t *x;
    static const char *what = "must be a non-empty array of \"inline\" and/or \"turns\"";
    if (!json_is_array(a) || !json_array_size(a))
        return bad(err, path, "demo_layouts", what);
    s->layout_inline = s->layout_turns = false;
    json_array_foreach(a, i, x)
    {
        const char *n = json_string_value(x);
        bool *flag = !n ? NULL : !strcmp(n, "inline") ? &s->layout_inline : !strcmp(n, "turns") ? &s->layout_turns : NULL;
        if (!flag)
            return bad(err, path, "demo_layouts", what);
        if (*flag)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: demo_layouts: \"%s\" is listed twice", path, n);
        *flag = true;
    }
    return SENTI_OK;
}

/* "adapters": ["head"], "baselines": ["bow-logreg"] (empty arrays: none). */
static senti_status parse_flag_list(const json_t *a, const char *path, const char *key, const char *only,
                                    bool *flag, senti_err *err)
{
    size_t i;
    json_t *x;
    char what[160];
    snprintf(what, sizeof what, "must be an array holding \"%s\" or nothing", only);
    if (!json_is_array(a))
        return bad(err, path, key, what);
    *flag = false;
    json_array_foreach(a, i, x)
    {
        if (!json_is_string(x) || strcmp(json_string_value(x), only))
            return bad(err, path, key, what);
        *flag = true;
    }
    return SENTI_OK;
}

/* "adapters": any of "head", "lora" (an empty array: none). */
static senti_status parse_adapters(sel_space *s, const json_t *a, const char *path, senti_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(a))
        return bad(err, path, "adapters", "must be an array of \"head\" and/or \"lora\"");
    s->head = s->lora = false;
    json_array_foreach(a, i, x)
    {
        const char *n = json_string_value(x);
        if (n && !strcmp(n, "head"))
            s->head = true;
        else if (n && !strcmp(n, "lora"))
            s->lora = true;
        else
            return bad(err, path, "adapters", "must be an array of \"head\" and/or \"lora\"");
    }
    return SENTI_OK;
}

static senti_status parse_search(sel_space *s, const json_t *v, const char *path, senti_err *err)
{
    if (json_is_boolean(v)) {
        s->words = json_is_true(v);
        return SENTI_OK;
    }
    const json_t *top = json_object_get(v, "top");
    if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_integer(top) || json_integer_value(top) < 1 ||
        json_integer_value(top) > 8)
        return bad(err, path, "label_word_search", "must be true, false or {\"top\": 1..8}");
    s->words = true;
    s->words_top = (int)json_integer_value(top);
    return SENTI_OK;
}

static senti_status parse_key(sel_space *s, const char *key, const json_t *v, const char *path,
                              char *const *labels, int k, senti_err *err)
{
    if (!strcmp(key, "models"))
        return parse_strings(v, path, key, s->models, &s->n_models, err);
    if (!strcmp(key, "templates"))
        return parse_templates(s, v, path, err);
    if (!strcmp(key, "label_words"))
        return parse_wordsets(s, v, path, labels, k, err);
    if (!strcmp(key, "calibrations"))
        return parse_calibs(s, v, path, err);
    if (!strcmp(key, "shots"))
        return parse_shots(s, v, path, err);
    if (!strcmp(key, "demo_layouts"))
        return parse_layouts(s, v, path, err);
    if (!strcmp(key, "adapters"))
        return parse_adapters(s, v, path, err);
    if (!strcmp(key, "baselines"))
        return parse_flag_list(v, path, key, "bow-logreg", &s->bow, err);
    if (!strcmp(key, "ensembles")) {
        if (!json_is_boolean(v))
            return bad(err, path, key, "must be true or false");
        s->ensemble = json_is_true(v);
        return SENTI_OK;
    }
    if (!strcmp(key, "label_word_search"))
        return parse_search(s, v, path, err);
    if (!strcmp(key, "promote")) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 8)
            return bad(err, path, key, "must be an integer in 0..8");
        s->promote = (int)json_integer_value(v);
        return SENTI_OK;
    }
    return senti_err_set(err, SENTI_ERR_FORMAT,
                         "%s: unknown key '%s' (known: models, templates, label_words, calibrations, shots, "
                         "demo_layouts, adapters, baselines, ensembles, label_word_search, promote)",
                         path, key);
}

senti_status sel_space_load(sel_space *s, const char *path, char *const *labels, int k, senti_err *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return senti_err_set(err, SENTI_ERR_IO, "%s: cannot open the space file", path);
        fclose(f);
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    senti_status st = SENTI_OK;
    if (!json_is_object(root))
        st = senti_err_set(err, SENTI_ERR_FORMAT, "%s: a space must be a JSON object", path);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (st)
            break;
        if (key[0] == '_' || key[0] == '$')
            continue;
        st = parse_key(s, key, v, path, labels, k, err);
    }
    json_decref(root);
    return st;
}
