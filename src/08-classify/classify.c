/*
 * classify.c - one classification run: CSV rows -> prompts -> label word
 * scores -> calibrated label distributions -> predictions CSV + manifest.
 * See include/senti/classify.h for the contract and calibration definitions.
 *
 * The run state lives in one `run` struct, set up step by step (open_model,
 * open_data, build_scoring, calibrate_...), then the row loop, then finish().
 * Every input row produces exactly one output row: ok, truncated, or (with
 * on_error_skip) an error status; any other failure aborts the run and removes
 * the temporary outputs, so nothing incomplete is left at the output path.
 */
#include "senti/classify.h"

#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "senti/baseline.h"
#include "senti/tokenizer.h"
#include "senti/verbalizer.h"
#include "senti/finetune.h"
#include "senti/scorecache.h"
#include "senti/quant.h"

#include "00-base/base.h"
#include "baseline_internal.h"
#include "classify_internal.h"
#include "classify_out.h"

static const char *const default_content_free[] = {"N/A", "", "[MASK]"};

const char *senti_calib_name(senti_calib_method m)
{
    switch (m) {
    case SENTI_CALIB_NONE: return "none";
    case SENTI_CALIB_CONTEXTUAL: return "contextual";
    case SENTI_CALIB_PMI: return "pmi";
    case SENTI_CALIB_BATCH: return "batch";
    }
    return "unknown";
}

senti_status senti_calib_parse(const char *name, senti_calib_method *out, senti_err *err)
{
    for (int m = SENTI_CALIB_NONE; m <= SENTI_CALIB_BATCH; m++)
        if (!strcmp(name, senti_calib_name((senti_calib_method)m))) {
            *out = (senti_calib_method)m;
            return SENTI_OK;
        }
    return senti_err_set(err, SENTI_ERR_ARG, "unknown calibration \"%s\" (none, contextual, pmi, batch)", name);
}

senti_classify_params senti_classify_default_params(void)
{
    senti_classify_params p;
    memset(&p, 0, sizeof p);
    p.data = senti_dataset_default_params();
    p.train_data = senti_dataset_default_params();
    p.demos = senti_demo_default_params();
    p.chat = -1;
    p.agg = SENTI_AGG_LOGSUMEXP;
    p.calib = SENTI_CALIB_NONE;
    p.reuse_prefix = true;
    return p;
}

/* ---- tokens ------------------------------------------------------------------ */

/* Tokenize into r->ids, growing it as needed; *n receives the count. */
static senti_status tokenize(run *r, const char *text, size_t len, int flags, size_t *n, senti_err *err)
{
    for (;;) {
        senti_status s = senti_tokenize(r->tok, text, len, flags, r->ids, r->cap_ids, n, err);
        if (s != SENTI_ERR_RANGE || *n <= r->cap_ids)
            return s;
        int32_t *ids = realloc(r->ids, *n * sizeof *ids);
        if (!ids)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        r->ids = ids;
        r->cap_ids = *n;
    }
}

static size_t count_tokens(void *user, const char *text, size_t len)
{
    run *r = user;
    size_t n;
    return tokenize(r, text, len, r->tok_flags, &n, NULL) == SENTI_OK ? n : SIZE_MAX;
}

/* ---- set-up ------------------------------------------------------------------ */

static bool verbalizer_knows(const void *verb, const char *label)
{
    return senti_verbalizer_find(verb, label) >= 0;
}

/* Stream the input once: rows parse, gold labels are known to the verbalizer. */
static senti_status validate_input(run *r, size_t *n_rows, senti_err *err)
{
    char what[4200];
    snprintf(what, sizeof what, "in verbalizer '%s'%s", r->p->verbalizer_path,
             senti_verbalizer_n_mapped(r->verb) ? " (neither a label nor in its label_map)" : "");
    return senti_pred_scan_input(r->p, verbalizer_knows, r->verb, what, n_rows, &r->in_jsonl, r->cols, err);
}

static senti_status open_model(run *r, senti_err *err)
{
    const senti_classify_params *p = r->p;
    senti_status s;
    if (p->n_threads > 0)
        senti_set_threads(p->n_threads);
    r->model = p->model;
    if (!r->model) {
        senti_model_params mp = senti_model_default_params();
        mp.n_threads = p->n_threads;
        if ((s = senti_model_load(p->model_path, &mp, &r->model, err)))
            return s;
        r->own_model = true;
    }
    r->tok = senti_model_tokenizer(r->model);
    int n_ctx = p->n_ctx;
    if (n_ctx <= 0) {
        n_ctx = senti_model_hparams(r->model)->n_ctx_train;
        n_ctx = n_ctx > 2048 ? 2048 : n_ctx;
    }
    return senti_context_new(r->model, n_ctx, &r->ctx, err);
}

static senti_status make_prompt(run *r, const char *tmpl, senti_prompt **out, senti_err *err)
{
    const senti_classify_params *p = r->p;
    senti_prompt_params pp = senti_prompt_default_params();
    pp.tmpl = tmpl;
    pp.instruction = p->instruction;
    pp.separator = p->separator;
    pp.system = p->system;
    pp.chat = r->chat.format;
    pp.chat_default_system = r->chat.default_system;
    pp.demo_turns = p->demo_turns;
    return senti_prompt_create(&pp, r->verb, out, err);
}

static senti_status open_prompts(run *r, senti_err *err)
{
    const senti_classify_params *p = r->p;
    senti_status s = senti_chat_setup(senti_model_gguf(r->model), p->chat, &r->chat, err);
    if (s)
        return s;
    if ((s = make_prompt(r, p->tmpl, &r->prompt, err)))
        return s;
    r->tok_flags = senti_prompt_tok_flags(r->prompt);
    if (p->calib == SENTI_CALIB_PMI && (s = make_prompt(r, "{text}", &r->premise_prompt, err)))
        return s;
    if (p->train_path && p->demos.shots > 0) {
        if ((s = senti_examples_load(p->train_path, &p->train_data, &r->train, err)))
            return s;
        if ((s = senti_demo_sampler_create(r->train, r->verb, &p->demos, &r->sampler, err)))
            return s;
    } else if (p->demos.shots > 0) {
        return senti_err_set(err, SENTI_ERR_ARG, "--shots %zu needs --train FILE", p->demos.shots);
    }
    return SENTI_OK;
}

/* The label words, tokenized as continuations of the prompt, and the scorer. */
/* The score cache (senti/scorecache.h). The key's rule description names
 * everything besides the prompt text that decides the label scores: the label
 * words' token ids, their labels, the aggregation, length normalization, the
 * tokenizer flags the prefix is read with, and the matmul numerics (with the
 * kernel level for q8). Records hold the label scores before any adapter: a
 * head adapter reads the frozen model's scores (and, most heads, its last
 * hidden state, then recorded after the scores under a "senti-features-v2"
 * key; v1 records came from a senti that scored such rows one at a time), so
 * the heads of several seeds or folds share one decoding of each prompt. LoRA
 * changes the model itself: not cached. */
static senti_status open_cache(run *r, senti_err *err)
{
    if (!r->p->score_cache_dir || (r->adapter && strcmp(senti_adapter_kind(r->adapter), "head")))
        return SENTI_OK;
    const int E = r->hidden ? senti_model_hparams(r->model)->n_embd : 0;
    r->cache_k = r->n_labels + E;
    if (!(r->cache_rec = malloc((size_t)r->cache_k * sizeof *r->cache_rec)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    const senti_label_words *w = &r->words;
    size_t cap = 160 + (size_t)w->n_words * 16 + (size_t)w->word_off[w->n_words] * 12, len = 0;
    char *d = malloc(cap);
    if (!d)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    /* the f32 path gives the same bytes at every kernel level, the q8 path not */
    const bool q8 = senti_get_numerics() == SENTI_NUMERICS_Q8;
    if (E)
        len += (size_t)snprintf(d + len, cap - len, "senti-features-v2 hidden=%d ", E);
    len += (size_t)snprintf(d + len, cap - len, "senti-scores-v1 agg=%s norm=%d flags=%d matmul=%s%s%s words=",
                            senti_agg_name(r->p->agg), (int)r->p->length_norm, r->tok_flags, q8 ? "q8" : "f32",
                            q8 ? "/" : "", q8 ? senti_isa_name(senti_isa_active()) : "");
    for (int j = 0; j < w->n_words; j++) {
        len += (size_t)snprintf(d + len, cap - len, "%d:", w->word_label[j]);
        for (int t = w->word_off[j]; t < w->word_off[j + 1]; t++)
            len += (size_t)snprintf(d + len, cap - len, "%d,", (int)w->tokens[t]);
        len += (size_t)snprintf(d + len, cap - len, ";");
    }
    r->words_desc = d;
    return senti_score_cache_open(r->p->score_cache_dir, senti_model_sha256(r->model), &r->cache, err);
}

/* Rows scored inside a group's pass, reported as progress (never backwards). */
static void on_scored(void *user, int rows)
{
    run *r = user;
    size_t done = r->sum.n_rows + (size_t)rows;
    if (done <= r->progress_done)
        return;
    r->progress_done = done;
    r->p->progress(r->p->progress_user, done, r->n_total, senti_now() - r->t0);
}

static senti_status build_scoring(run *r, senti_err *err)
{
    senti_status s = senti_label_words_build(r->prompt, r->verb, r->tok, r->tok_flags, &r->lw, err);
    if (s)
        return s;
    r->vt = r->lw.vt;
    r->words = r->lw.w;
    r->n_labels = r->layout.n_labels = r->words.n_labels;
    if (r->n_labels > SENTI_MAX_LABELS)
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "%s: %d labels; at most %d are supported",
                             r->p->verbalizer_path, r->n_labels, SENTI_MAX_LABELS);
    for (int l = 0; l < r->n_labels; l++)
        r->label_names[l] = senti_verbalizer_label(r->verb, (size_t)l);
    r->layout.labels = r->label_names;
    r->word_lp = malloc((size_t)r->words.n_words * sizeof *r->word_lp);
    r->bias = calloc((size_t)r->n_labels, sizeof *r->bias);
    if (!r->word_lp || !r->bias)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if ((s = senti_scorer_new(r->ctx, &r->words, &r->sc, err)))
        return s;
    senti_scorer_set_reuse(r->sc, r->p->reuse_prefix);
    if (r->p->progress)
        senti_scorer_set_progress(r->sc, on_scored, r);
    if (r->hidden)
        senti_scorer_set_hidden(r->sc, r->hidden);
    return open_cache(r, err);
}

/* ---- scoring ----------------------------------------------------------------- */

static json_t *ids_json(const int32_t *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(ids[i]));
    return a;
}

/* --prompts: one JSON line per scored prompt, with the exact token ids. */
static void dump_prompt(run *r, const senti_prompt_text *pt, const int32_t *row, size_t n_row)
{
    size_t n_pre;
    json_t *o = json_object();
    json_object_set_new(o, "prefix", json_stringn(pt->prefix, pt->prefix_len));
    json_object_set_new(o, "suffix", json_stringn(pt->suffix, pt->suffix_len));
    json_object_set_new(o, "suffix_ids", ids_json(row, n_row));
    int32_t *copy = malloc((n_row ? n_row : 1) * sizeof *copy); /* tokenize() reuses r->ids */
    if (copy) {
        memcpy(copy, row, n_row * sizeof *copy);
        if (tokenize(r, pt->prefix, pt->prefix_len, r->tok_flags, &n_pre, NULL) == SENTI_OK)
            json_object_set_new(o, "prefix_ids", ids_json(r->ids, n_pre));
        memcpy(r->ids, copy, n_row * sizeof *copy);
        free(copy);
    }
    json_dumpf(o, r->prompts, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', r->prompts);
    json_decref(o);
}

/* Make `pt`'s prefix the current one (tokenized once per change). The model
 * decodes it only when a row needs scoring (use_prefix). */
static senti_status note_prefix(run *r, const senti_prompt_text *pt, senti_err *err)
{
    if (r->last_prefix && strcmp(r->last_prefix, pt->prefix) == 0)
        return SENTI_OK;
    size_t n;
    senti_status s = tokenize(r, pt->prefix, pt->prefix_len, r->tok_flags, &n, err);
    if (s)
        return s;
    if (n > r->cap_prefix_ids) {
        int32_t *p = realloc(r->prefix_ids, n * sizeof *p);
        if (!p)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        r->prefix_ids = p;
        r->cap_prefix_ids = n;
    }
    if (n)
        memcpy(r->prefix_ids, r->ids, n * sizeof *r->ids);
    r->n_prefix_ids = n;
    char *copy = strdup(pt->prefix); /* pt's buffers belong to the prompt */
    if (!copy)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    free(r->last_prefix);
    r->last_prefix = copy;
    return SENTI_OK;
}

/* The scorer holds the current prefix (free when it already does). */
static senti_status use_prefix(run *r, senti_err *err)
{
    return senti_scorer_set_prefix(r->sc, r->prefix_ids, (int)r->n_prefix_ids, err);
}

/* The final label scores from the model's (in place) and, for a head
 * adapter, the hidden state. A non-finite score (a NaN or infinite weight
 * upstream) is a model error, never a prediction. */
static senti_status adapt_scores(run *r, const float *hidden, double *scores, senti_err *err)
{
    if (r->adapter)
        senti_adapter_rescore(r->adapter, hidden, scores);
    for (int l = 0; l < r->n_labels; l++)
        if (!isfinite(scores[l]))
            return senti_err_set(err, SENTI_ERR_NUMERIC, "non-finite score %g for label %s (NaN or infinity in the "
                                 "model output; senti model info --check scans the weights)", scores[l],
                                 senti_verbalizer_label(r->verb, (size_t)l));
    return SENTI_OK;
}

/* Label scores from word log-probabilities and the hidden state; with a
 * cache, its record (r->cache_rec) is filled before any adapter applies. */
static senti_status label_scores(run *r, const double *word_lp, const float *hidden, double *scores,
                                 senti_err *err)
{
    senti_label_scores(&r->words, word_lp, r->p->agg, r->p->length_norm, scores);
    if (r->cache) {
        memcpy(r->cache_rec, scores, (size_t)r->n_labels * sizeof *scores);
        for (int i = r->n_labels; i < r->cache_k; i++)
            r->cache_rec[i] = hidden[i - r->n_labels];
    }
    return adapt_scores(r, hidden, scores, err);
}

/* A cached record as label scores: true on a hit (scores set, adapter
 * applied; the hidden state goes through r->hidden, free between rows). */
static senti_status cache_lookup(run *r, const uint8_t key[32], double *scores, uint32_t *n_tokens, bool *hit,
                                 senti_err *err)
{
    *hit = senti_score_cache_get(r->cache, key, r->cache_k, r->cache_rec, n_tokens);
    if (!*hit)
        return SENTI_OK;
    memcpy(scores, r->cache_rec, (size_t)r->n_labels * sizeof *scores);
    for (int i = r->n_labels; i < r->cache_k; i++)
        r->hidden[i - r->n_labels] = (float)r->cache_rec[i]; /* stored from a float: exact */
    return adapt_scores(r, r->hidden, scores, err);
}

/* A score-cache hit whose record says n_tokens were decoded to compute it:
 * a prompt from the cache, or, when the ranks of an MPI run filled the cache
 * for this very run (cache_is_work), the work it stands for. */
static void count_hit(run *r, uint32_t n_tokens)
{
    if (r->p->cache_is_work)
        r->sum.n_tokens += n_tokens;
    else
        r->sum.n_cached++;
}

/* Label scores of one prompt (calibration inputs): from the score cache when
 * it has them, else from the model, and remembered. */
static senti_status score_prompt(run *r, const senti_prompt_text *pt, double *scores, senti_err *err)
{
    size_t n;
    senti_status s;
    uint8_t key[32];
    if (r->cache) {
        senti_score_cache_key(r->cache, pt->prefix, pt->prefix_len, pt->suffix, pt->suffix_len, r->words_desc, key);
        uint32_t nt = 0;
        bool hit;
        if ((s = cache_lookup(r, key, scores, &nt, &hit, err)))
            return s;
        if (hit) {
            count_hit(r, nt);
            if (r->prompts) {
                if ((s = tokenize(r, pt->suffix, pt->suffix_len, r->tok_flags & ~SENTI_TOK_ADD_SPECIAL, &n, err)))
                    return s;
                dump_prompt(r, pt, r->ids, n);
            }
            return SENTI_OK;
        }
    }
    if ((s = note_prefix(r, pt, err)) || (s = use_prefix(r, err)))
        return s;
    if ((s = tokenize(r, pt->suffix, pt->suffix_len, r->tok_flags & ~SENTI_TOK_ADD_SPECIAL, &n, err)))
        return s;
    if (r->prompts)
        dump_prompt(r, pt, r->ids, n);
    if ((s = senti_scorer_score(r->sc, r->ids, (int)n, r->word_lp, err)))
        return s;
    int decoded = senti_scorer_last_tokens(r->sc);
    r->sum.n_tokens += (size_t)decoded;
    if ((s = label_scores(r, r->word_lp, r->hidden, scores, err)))
        return s;
    if (r->cache)
        return senti_score_cache_put(r->cache, key, r->cache_k, r->cache_rec, (uint32_t)decoded, err);
    return SENTI_OK;
}

/* The demonstrations for a row (NULL set for zero-shot). */
static senti_status draw_demos(run *r, size_t row, const char *id, senti_demo_set *ds, senti_err *err)
{
    if (!r->sampler) {
        memset(ds, 0, sizeof *ds);
        return SENTI_OK;
    }
    return senti_demo_sampler_draw(r->sampler, row, id, ds, err);
}

/* Label scores for a text placed in the row slot of `prompt`, with the demos of row 0. */
static senti_status score_text(run *r, senti_prompt *prompt, const char *text, double *scores, senti_err *err)
{
    senti_demo_set ds;
    senti_prompt_text pt;
    senti_status s = draw_demos(r, 0, NULL, &ds, err);
    if (!s)
        s = senti_prompt_build(prompt, r->train, r->sampler ? &ds : NULL, text, strlen(text), &pt, err);
    return s ? s : score_prompt(r, &pt, scores, err);
}

/* contextual: bias = log of the mean content-free distribution;
 * pmi: bias = label scores after the domain premise. */
static senti_status calibrate_before(run *r, json_t *info, senti_err *err)
{
    const senti_classify_params *p = r->p;
    double *scores = malloc((size_t)r->n_labels * sizeof *scores);
    double *prob = malloc((size_t)r->n_labels * sizeof *prob);
    senti_status s = scores && prob ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    if (!s && p->calib == SENTI_CALIB_CONTEXTUAL) {
        const char *const *cf = p->content_free ? p->content_free : default_content_free;
        size_t n_cf = p->content_free ? p->n_content_free : 3;
        json_t *inputs = json_array();
        for (size_t i = 0; i < n_cf && !s; i++) {
            if (!(s = score_text(r, r->prompt, cf[i], scores, err))) {
                senti_label_softmax(scores, r->n_labels, prob);
                for (int l = 0; l < r->n_labels; l++)
                    r->bias[l] += prob[l] / (double)n_cf;
                json_array_append_new(inputs, json_string(cf[i]));
            }
        }
        for (int l = 0; l < r->n_labels; l++)
            r->bias[l] = log(r->bias[l]);
        json_object_set_new(info, "content_free_inputs", inputs);
    } else if (!s && p->calib == SENTI_CALIB_PMI) {
        const char *tmpl = senti_prompt_template(r->prompt);
        const char *after = strstr(tmpl, "{text}") + 6;
        while (*after == ' ' || *after == '\n' || *after == '\t')
            after++;
        if (!(s = score_text(r, r->premise_prompt, after, r->bias, err)))
            json_object_set_new(info, "domain_premise", json_string(after));
    }
    free(scores);
    free(prob);
    return s;
}

/* ---- output ------------------------------------------------------------------ */

/* Calibrated distribution: softmax(score - bias) (bias 0 for none). */
static int calibrated(const run *r, const row_record *rec, double *p)
{
    double *s = p; /* reuse p as scratch for the shifted scores */
    for (int l = 0; l < r->n_labels; l++)
        s[l] = rec->score[l] - r->bias[l];
    senti_label_softmax(s, r->n_labels, p);
    int best = 0; /* ties: the first label in verbalizer order */
    for (int l = 1; l < r->n_labels; l++)
        if (p[l] > p[best])
            best = l;
    return best;
}

static void write_row(run *r, const row_record *rec)
{
    double p[SENTI_MAX_LABELS];
    senti_pred_row row = {.id = rec->id, .gold = rec->gold, .n_tokens = rec->n_tokens,
                          .status = rec->status ? rec->status : "error: out of memory",
                          .extra = (const char *const *)rec->extra};
    if (rec->raw) {
        row.pred = senti_verbalizer_label(r->verb, (size_t)calibrated(r, rec, p));
        row.p = p;
        row.raw = rec->raw;
        if (rec->gold) {
            r->sum.n_labelled++;
            r->sum.n_correct += !strcmp(rec->gold, row.pred);
        }
    }
    if (r->out)
        senti_pred_csv_row(r->out, &r->layout, &row);
    if (r->jsonl)
        senti_pred_jsonl_row(r->jsonl, &r->layout, &row);
}

static void record_free(row_record *rec)
{
    for (size_t i = 0; rec->extra && rec->extra[i]; i++)
        free(rec->extra[i]);
    free(rec->extra);
    free(rec->id);
    free(rec->gold);
    free(rec->status);
    free(rec->raw);
    free(rec->score);
}

/* A row's pass-through values (NULL-terminated copies); NULL when out of memory. */
static char **keep_values(const run *r, const senti_row *row)
{
    size_t n = r->layout.n_extra, k0 = r->p->keep_text ? 1 : 0;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = strdup(i < k0 ? row->text : row->kept[i - k0]))) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return NULL;
        }
    return v;
}

/* ---- the row loop -------------------------------------------------------------- */

/* Rows are read in groups of up to SENTI_CLASSIFY_GROUP. Each row's prompt is
 * built and looked up in the score cache at once. The rows that share a prefix
 * are scored together: senti_scorer_score_many packs them into a few forward
 * passes, cutting the packs from all of those rows, cached or not, and running
 * only the packs that hold an uncached row. So every row is computed in the
 * same company in every run, and a run resumed from the cache gives the same
 * bits as an uninterrupted one. The group is then written in input order. */
typedef struct {
    row_record rec;
    size_t line, row;   /* for messages */
    int32_t *ids;       /* the row part's tokens, until the group is scored */
    int n_ids;
    bool cached;        /* its scores came from the score cache */
    uint8_t prompt[32]; /* its prompt's score-cache key */
    uint8_t key[32];    /* its key in the company it is scored with (senti_score_cache_key_in) */
} group_row;

static void mark_error(run *r, group_row *g, const char *msg)
{
    free(g->rec.raw);
    free(g->rec.score);
    free(g->rec.status);
    g->rec.raw = g->rec.score = NULL;
    size_t n = strlen(msg) + 16;
    g->rec.status = malloc(n);
    if (g->rec.status)
        snprintf(g->rec.status, n, "error: %s", msg);
    r->sum.n_errors++;
}

/* Label scores of a waiting row from its word log-probabilities (and, for a
 * head adapter, its hidden state). */
static senti_status finish_row(run *r, group_row *g, const double *word_lp, const float *hidden, int decoded,
                               senti_err *err)
{
    senti_status s = label_scores(r, word_lp, hidden, g->rec.score, err);
    if (s)
        return s;
    senti_label_softmax(g->rec.score, r->n_labels, g->rec.raw);
    r->sum.n_tokens += (size_t)decoded;
    if (r->cache)
        return senti_score_cache_put(r->cache, g->key, r->cache_k, r->cache_rec, (uint32_t)decoded, err);
    return SENTI_OK;
}

/* The group's rows that wait for the model, as senti_scorer_score_many takes
 * them: every row with tokens (a pack is cut from all of them), need[] set for
 * those the score cache did not have. */
typedef struct {
    const int32_t *rows[SENTI_CLASSIFY_GROUP];
    int lens[SENTI_CLASSIFY_GROUP], decoded[SENTI_CLASSIFY_GROUP];
    bool need[SENTI_CLASSIFY_GROUP];
    size_t idx[SENTI_CLASSIFY_GROUP]; /* index in the group */
    size_t k, n_need;
} waiting_rows;

static void collect_waiting(const group_row *grp, size_t n, waiting_rows *w)
{
    w->k = w->n_need = 0;
    for (size_t i = 0; i < n; i++)
        if (grp[i].ids) {
            w->rows[w->k] = grp[i].ids;
            w->lens[w->k] = grp[i].n_ids;
            w->need[w->k] = !grp[i].cached;
            w->n_need += w->need[w->k];
            w->idx[w->k++] = i;
        }
}

/* Fallback after a failed packed call: score the uncached rows one at a time
 * so that an error names its row. A row that fails is marked and passed over
 * with --on-error skip (unless out of memory or an I/O error), else it stops
 * the run. lp: room for one row's word log-probabilities. */
/* A row the model could not score: under --on-error skip its status says why
 * (not for memory or I/O, which stop the run), else the run stops naming it. */
static senti_status row_failed(run *r, group_row *g, senti_status s, const senti_err *e, senti_err *err)
{
    if (!r->p->on_error_skip || s == SENTI_ERR_NOMEM || s == SENTI_ERR_IO)
        return senti_err_set(err, s, "%s:%zu: data row %zu: %s", r->p->input_path, g->line, g->row, e->msg);
    mark_error(r, g, e->msg);
    return SENTI_OK;
}

static senti_status score_one_by_one(run *r, group_row *grp, const waiting_rows *w, double *lp, senti_err *err)
{
    for (size_t i = 0; i < w->k; i++) {
        group_row *g = &grp[w->idx[i]];
        if (!w->need[i])
            continue;
        senti_err e = {0};
        senti_status s = senti_scorer_score(r->sc, g->ids, g->n_ids, lp, &e);
        if (!s)
            s = finish_row(r, g, lp, r->hidden, senti_scorer_last_tokens(r->sc), &e);
        if (s && (s = row_failed(r, g, s, &e, err)))
            return s;
    }
    return SENTI_OK;
}

/* The waiting rows in packs (senti_scorer_score_many); when that fails for a
 * reason other than memory or I/O, one by one. lp: [k][n_words]. */
static senti_status score_packed(run *r, group_row *grp, waiting_rows *w, double *lp, senti_err *err)
{
    const size_t nw = (size_t)r->words.n_words, E = (size_t)senti_model_hparams(r->model)->n_embd;
    senti_err e = {0};
    senti_status s = senti_scorer_score_many(r->sc, w->rows, w->lens, (int)w->k, w->need, lp, w->decoded,
                                             r->hidden_rows, &e);
    if (s == SENTI_ERR_NOMEM)
        return senti_err_set(err, s, "out of memory");
    if (s == SENTI_ERR_IO)
        return senti_err_set(err, s, "%s", e.msg);
    if (s)
        return score_one_by_one(r, grp, w, lp, err);
    for (size_t i = 0; i < w->k && !s; i++) {
        if (!w->need[i]) {
            if (!r->p->cache_is_work) /* (else counted by count_hit) */
                r->sum.n_tokens += (size_t)w->decoded[i]; /* computed with its pack */
            continue;
        }
        group_row *g = &grp[w->idx[i]];
        senti_err e2 = {0};
        senti_status s2 = finish_row(r, g, lp + i * nw, r->hidden_rows ? r->hidden_rows + i * E : NULL,
                                     w->decoded[i], &e2);
        if (s2)
            s = row_failed(r, g, s2, &e2, err);
    }
    return s;
}

/* The score cache for the waiting rows of grp[0, n): each row's key is its
 * prompt in the company of every waiting row (packed together, or, without
 * prefix reuse, alone), so that a hit holds the bits this very call computes. */
static senti_status lookup_company(run *r, group_row *grp, size_t n, senti_err *err)
{
    if (!r->cache)
        return SENTI_OK;
    uint8_t keys[SENTI_CLASSIFY_GROUP * 32], company[32];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (grp[i].ids)
            memcpy(keys + 32 * k++, grp[i].prompt, 32);
    if (k == 0)
        return SENTI_OK;
    bool packed = r->p->reuse_prefix;
    senti_score_cache_company(keys, packed ? k : 0, packed, company);
    for (size_t i = 0, at = 0; i < n; i++) {
        group_row *g = &grp[i];
        if (!g->ids)
            continue;
        senti_score_cache_key_in(g->prompt, company, packed ? at++ : 0, g->key);
        uint32_t nt = 0;
        senti_status s = cache_lookup(r, g->key, g->rec.score, &nt, &g->cached, err);
        if (s)
            return s;
        if (g->cached) {
            count_hit(r, nt);
            senti_label_softmax(g->rec.score, r->n_labels, g->rec.raw);
        }
    }
    return SENTI_OK;
}

/* Score the group's rows [0, n) that the model has not scored yet (they share
 * the current prefix); their tokens are freed either way. */
static senti_status score_waiting(run *r, group_row *grp, size_t n, senti_err *err)
{
    waiting_rows w;
    senti_status s = lookup_company(r, grp, n, err);
    if (!s)
        collect_waiting(grp, n, &w);
    if (!s && w.n_need) {
        double *lp = malloc(w.k * (size_t)r->words.n_words * sizeof *lp);
        if (!lp)
            s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        else if (!(s = use_prefix(r, err)))
            s = score_packed(r, grp, &w, lp, err);
        free(lp);
    }
    for (size_t i = 0; i < n; i++) {
        free(grp[i].ids);
        grp[i].ids = NULL;
    }
    return s;
}

/* Build a row's prompt; take its scores from the cache, or queue it for the
 * model (scoring the rows already waiting first when the prefix changes). */
static senti_status prepare_row(run *r, group_row *grp, size_t gi, const senti_row *row, senti_err *err)
{
    group_row *g = &grp[gi];
    row_record *rec = &g->rec;
    senti_demo_set ds;
    senti_prompt_text pt;
    senti_status s = draw_demos(r, row->row, row->id, &ds, err);
    if (s)
        return s;
    size_t reserve = r->vt->max_tokens, n;
    s = senti_prompt_fit(r->prompt, r->train, r->sampler ? &ds : NULL, row->text, row->text_len,
                         (size_t)senti_context_n_ctx(r->ctx), reserve, count_tokens, r, &pt, err);
    if (s)
        return s;
    rec->score = malloc((size_t)r->n_labels * sizeof *rec->score);
    rec->raw = malloc((size_t)r->n_labels * sizeof *rec->raw);
    bool cut = pt.truncated || pt.n_dropped > 0;
    rec->status = strdup(cut ? "truncated" : "ok");
    if (!rec->score || !rec->raw || !rec->status)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    rec->n_tokens = pt.n_tokens;
    r->sum.n_truncated += cut;
    if (r->cache) /* looked up with the rows it is scored with (lookup_company) */
        senti_score_cache_key(r->cache, pt.prefix, pt.prefix_len, pt.suffix, pt.suffix_len, r->words_desc, g->prompt);
    if (!r->last_prefix || strcmp(r->last_prefix, pt.prefix) != 0) {
        if ((s = score_waiting(r, grp, gi, err)) || (s = note_prefix(r, &pt, err)))
            return s;
    }
    if ((s = tokenize(r, pt.suffix, pt.suffix_len, r->tok_flags & ~SENTI_TOK_ADD_SPECIAL, &n, err)))
        return s;
    if (r->prompts)
        dump_prompt(r, &pt, r->ids, n);
    if (n < 1)
        return senti_err_set(err, SENTI_ERR_ARG, "scorer: the row part of the prompt is empty");
    g->ids = malloc(n * sizeof *g->ids);
    if (!g->ids)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    memcpy(g->ids, r->ids, n * sizeof *g->ids);
    g->n_ids = (int)n;
    return SENTI_OK;
}

static senti_status keep_record(run *r, row_record *rec)
{
    row_record *h = senti_grow(r->held, &r->cap_held, r->n_held + 1, sizeof *h, 1024);
    if (!h)
        return SENTI_ERR_NOMEM;
    r->held = h;
    r->held[r->n_held++] = *rec;
    return SENTI_OK;
}

/* Score what waits, then write (or hold, for batch calibration) the group in order. */
static senti_status flush_group(run *r, group_row *grp, size_t *n, size_t n_total, senti_err *err)
{
    senti_status s = score_waiting(r, grp, *n, err);
    for (size_t i = 0; i < *n; i++) {
        row_record *rec = &grp[i].rec;
        free(grp[i].ids);
        grp[i].ids = NULL;
        if (s) {
            record_free(rec);
            continue;
        }
        r->sum.n_rows++;
        if (r->p->calib == SENTI_CALIB_BATCH) {
            if (keep_record(r, rec)) {
                record_free(rec);
                s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            }
        } else {
            write_row(r, rec);
            record_free(rec);
        }
        if (r->p->progress && r->sum.n_rows > r->progress_done) {
            r->progress_done = r->sum.n_rows;
            r->p->progress(r->p->progress_user, r->sum.n_rows, n_total, senti_now() - r->t0);
        }
    }
    *n = 0;
    return s;
}

static senti_status run_rows(run *r, size_t n_total, senti_err *err)
{
    senti_dataset *d;
    senti_status s = senti_dataset_open(r->p->input_path, &r->p->data, &d, err);
    if (s)
        return s;
    const size_t group = SENTI_CLASSIFY_GROUP;
    group_row *grp = calloc(SENTI_CLASSIFY_GROUP, sizeof *grp);
    if (!grp) {
        senti_dataset_close(d);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    size_t n = 0, k = 0;
    senti_row row;
    bool have;
    char num[32];
    while (!(s = senti_dataset_next(d, &row, &have, err)) && have) {
        if (k++ < r->p->row_begin)
            continue; /* before the unit's rows (senti/shard.h) */
        if (r->p->row_end && k > r->p->row_end)
            break;
        group_row *g = &grp[n++];
        memset(g, 0, sizeof *g);
        snprintf(num, sizeof num, "%zu", row.row);
        g->rec.id = strdup(row.id ? row.id : num);
        /* the gold label under the verbalizer's name for it (label_map) */
        int gi = row.label ? senti_verbalizer_find(r->verb, row.label) : -1;
        g->rec.gold = row.label ? strdup(gi >= 0 ? senti_verbalizer_label(r->verb, (size_t)gi) : row.label) : NULL;
        g->line = row.line;
        g->row = row.row;
        if (r->layout.n_extra && !(g->rec.extra = keep_values(r, &row))) {
            s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            break;
        }
        senti_err rerr = {0};
        s = prepare_row(r, grp, n - 1, &row, &rerr);
        if (s && r->p->on_error_skip && s != SENTI_ERR_NOMEM) {
            free(g->ids);
            g->ids = NULL;
            mark_error(r, g, rerr.msg);
            s = SENTI_OK;
        } else if (s) {
            senti_err_set(err, s, "%s:%zu: data row %zu: %s", r->p->input_path, row.line, row.row, rerr.msg);
            break;
        }
        if (n == group && (s = flush_group(r, grp, &n, n_total, err)))
            break;
    }
    if (!s)
        s = flush_group(r, grp, &n, n_total, err);
    for (size_t i = 0; i < n; i++) { /* after an error */
        free(grp[i].ids);
        record_free(&grp[i].rec);
    }
    free(grp);
    senti_dataset_close(d);
    return s;
}

/* batch: bias = log of the mean raw distribution over the scored rows. */
static void flush_batch(run *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_held; i++)
        if (r->held[i].raw) {
            for (int l = 0; l < r->n_labels; l++)
                r->bias[l] += r->held[i].raw[l];
            n++;
        }
    for (int l = 0; l < r->n_labels; l++)
        r->bias[l] = n ? log(r->bias[l] / (double)n) : 0.0;
    for (size_t i = 0; i < r->n_held; i++) {
        write_row(r, &r->held[i]);
        record_free(&r->held[i]);
    }
    r->n_held = 0;
}

/* ---- files ------------------------------------------------------------------- */

/* Output files go through the atomic writer (00-base/base.h): a failed or
 * interrupted run leaves no partial file under the final name. */
static senti_status open_tmp(const char *path, senti_atomic_file *a, FILE **f, senti_err *err)
{
    if (!path)
        return SENTI_OK;
    senti_status s = senti_atomic_open(a, path, err);
    *f = a->f;
    return s;
}

/* A run that failed: its temporary file goes, the final name stays untouched. */
static void drop_tmp(senti_atomic_file *a, FILE **f)
{
    *f = NULL;
    senti_atomic_abort(a);
}

/* Every output or none: the predictions, JSON lines, prompts and manifest are
 * renamed into place together, once all of them are written. */
static senti_status commit_outputs(run *r, senti_err *err)
{
    senti_atomic_file manifest;
    senti_status s = senti_pred_manifest_write(r->p, r->manifest, &manifest, err);
    senti_atomic_file *all[] = {&r->out_af, &r->jsonl_af, &r->prompts_af, &manifest};
    r->out = r->jsonl = r->prompts = NULL;
    if (s) {
        senti_atomic_abort_all(all, 4);
        return s;
    }
    return senti_atomic_commit_all(all, 4, err);
}

static void run_free(run *r)
{
    for (size_t i = 0; i < r->n_held; i++)
        record_free(&r->held[i]);
    free(r->held);
    drop_tmp(&r->out_af, &r->out);
    drop_tmp(&r->jsonl_af, &r->jsonl);
    drop_tmp(&r->prompts_af, &r->prompts);
    json_decref(r->manifest);
    for (int i = 0; i < 3; i++)
        free(r->cols[i]);
    senti_scorer_free(r->sc);
    senti_score_cache_close(r->cache);
    free(r->words_desc);
    free(r->cache_rec);
    senti_label_words_buf_free(&r->lw);
    free(r->word_lp);
    free(r->bias);
    free(r->ids);
    free(r->last_prefix);
    free(r->prefix_ids);
    senti_demo_sampler_free(r->sampler);
    senti_examples_free(r->train);
    senti_prompt_free(r->premise_prompt);
    senti_prompt_free(r->prompt);
    senti_chat_info_clear(&r->chat);
    senti_verbalizer_free(r->verb);
    senti_adapter_free(r->adapter); /* unmerges a LoRA adapter: before the model goes */
    free(r->hidden);
    free(r->hidden_rows);
    senti_context_free(r->ctx);
    if (r->own_model)
        senti_model_free(r->model);
}

senti_status senti_classify_run(const senti_classify_params *p, senti_classify_summary *sum, senti_err *err)
{
    run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    r.t0 = senti_now();
    size_t n_total = 0;
    if (p->adapter_path && senti_baseline_probe(p->adapter_path) != 0) /* unreadable: its loader says why */
        return senti_classify_baseline_run(p, sum, err);
    json_t *calib = json_object();
    senti_status s;
    if (!p->input_path || !p->verbalizer_path || (!p->model && !p->model_path))
        s = senti_err_set(err, SENTI_ERR_ARG, "classify: model, verbalizer and input are required");
    else if (!(s = senti_pred_check_paths(p, err)) && !(s = senti_pred_layout_extra(p, r.extra_names, &r.layout, err)))
        s = senti_verbalizer_load(p->verbalizer_path, &r.verb, err);
    if (!s)
        s = validate_input(&r, &n_total, err);
    r.n_total = n_total;
    if (!s && (s = open_model(&r, err)))
        r.sum.model_error = true;
    if (!s && p->adapter_path) {
        s = senti_adapter_load(p->adapter_path, r.model, r.verb, &r.adapter, err);
        size_t E = (size_t)senti_model_hparams(r.model)->n_embd;
        if (!s && senti_adapter_needs_hidden(r.adapter) &&
            (!(r.hidden = malloc(E * sizeof *r.hidden)) ||
             !(r.hidden_rows = malloc(SENTI_CLASSIFY_GROUP * E * sizeof *r.hidden_rows))))
            s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    if (!s && !(s = open_prompts(&r, err)))
        r.sum.chat = (int)senti_prompt_chat(r.prompt);
    if (!s)
        s = build_scoring(&r, err);
    if (!s)
        s = open_tmp(p->prompts_path, &r.prompts_af, &r.prompts, err);
    if (!s)
        s = calibrate_before(&r, calib, err);
    if (!s)
        s = open_tmp(p->output_path, &r.out_af, &r.out, err);
    if (!s)
        s = open_tmp(p->jsonl_path, &r.jsonl_af, &r.jsonl, err);
    if (!s && r.out)
        senti_pred_csv_header(r.out, &r.layout);
    if (!s)
        s = run_rows(&r, n_total, err);
    if (!s && p->calib == SENTI_CALIB_BATCH)
        flush_batch(&r);
    r.sum.seconds = senti_now() - r.t0;
    if (!s) {
        json_object_set_new(calib, "method", json_string(senti_calib_name(r.p->calib)));
        senti_classify_manifest_build(&r, calib);
        calib = NULL;
        s = commit_outputs(&r, err);
    }
    json_decref(calib);
    if (sum)
        *sum = r.sum;
    run_free(&r);
    return s;
}
