/*
 * select_run.c - the plan of `senti select` (which candidate when, within the
 * budget), the recipe of the chosen candidate and its files, the holdout
 * check; senti_select_run. The steps are described in select.c.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "00-base/base.h"
#include "senti/baseline.h"
#include "senti/gguf.h"
#include "05-prompt/verbalizer_json.h"
#include "07-finetune/bow_internal.h"
#include "select_internal.h"

senti_select_params senti_select_default_params(void)
{
    senti_select_params p = {0};
    p.data = senti_dataset_default_params();
    p.budget_s = 900;
    p.seed = 1;
    p.n_threads = 2;
    return p;
}

/* ---- the plan -------------------------------------------------------------------- */

/* Estimated seconds of one uncached zero-shot pass of model m over all rows:
 * the rows' prompt tokens times 0.5 ms + 20 ms per billion parameters that a
 * token passes through (f32 prefill of 128 tokens on 2 cores: 2.4, 2.6, 7.1
 * and 26 ms per token for the four shipped models, whose 0.11, 0.10, 0.36 and
 * 1.31 billion such parameters give 2.6, 2.5, 7.7 and 26.7 ms). An estimate
 * from the inputs alone, never a measurement: the budget's decisions must not
 * depend on the machine. Loading a model is charged apart (sel_ensure_model). */
static double pass_cost(const sel_run *s, int m) { return s->row_tokens * (0.5e-3 + 20e-3 * s->gparams[m]); }

/* From one read of the model's GGUF: *gparams, the billions of parameters a
 * prompt token passes through (every tensor but the token embeddings and the
 * output matrix, of which the scorer reads only the label words' rows; the
 * file size in GB when the file cannot be read), and *chat, whether its
 * prompts are chat-wrapped (select's chat mode is auto; false when the file
 * cannot be read: the model fails to load later, with its message). */
static void model_facts(const char *path, double *gparams, bool *chat)
{
    senti_gguf *g;
    senti_err e;
    struct stat st;
    *chat = false;
    if (senti_gguf_open(path, &g, &e)) {
        *gparams = stat(path, &st) ? 1.0 : (double)st.st_size / 1e9;
        return;
    }
    senti_chat_info ci = {0};
    if (!senti_chat_from_gguf(g, &ci, &e))
        *chat = ci.format != SENTI_CHAT_NONE;
    senti_chat_info_clear(&ci);
    double n = 0;
    for (size_t i = 0; i < senti_gguf_n_tensors(g); i++) {
        const senti_tensor *t = senti_gguf_tensor(g, i);
        if (!strcmp(t->name, "token_embd.weight") || !strcmp(t->name, "output.weight"))
            continue;
        double k = 1;
        for (int d = 0; d < t->n_dims; d++)
            k *= (double)t->ne[d];
        n += k;
    }
    senti_gguf_close(g);
    *gparams = n / 1e9;
}

/* The inputs of pass_cost: prompt tokens of one pass (about 4 bytes of text
 * per token, plus 32 for the template) and each model's parameters; and
 * which models have a chat format (few-shot layouts). */
static void estimate_costs(sel_run *s)
{
    s->row_tokens = 0;
    for (size_t i = 0; i < s->r.n; i++)
        s->row_tokens += (double)strlen(s->r.text[i]) / 4.0 + 32.0;
    for (size_t m = 0; m < s->sp.n_models; m++) {
        model_facts(s->sp.models[m], &s->gparams[m], &s->chat[m]);
        sel_log(s, "select: %s: %.2f billion parameters per token, one pass estimated at %.1f s", s->sp.models[m],
                s->gparams[m], pass_cost(s, (int)m));
    }
}

/* Estimated seconds of the final fit should c be chosen: what the recipe
 * trains on all rows. Prompts, ensembles, few-shot and searched words only
 * write small files; bow-logreg refits in about one fold's time; a head needs
 * the features of every row (one pass when the model must be reloaded); LoRA
 * trains once more on all rows (a fold's training, scaled by the rows). */
double sel_final_fit_cost(const sel_run *s, const sel_cand *c)
{
    const double folds = s->r.n_folds, grow = folds / (folds - 1); /* all rows / training rows of a fold */
    switch (c->kind) {
    case SEL_BOW: return c->cost / folds * grow;
    case SEL_HEAD: return pass_cost(s, c->model);
    case SEL_LORA: return pass_cost(s, c->model) * 8 * 3 * grow; /* a fold's estimated training, scaled */
    default: return 0;
    }
}

/* The best evaluated candidate so far (NULL: none). */
static const sel_cand *best_so_far(const sel_run *s)
{
    const sel_cand *b = NULL;
    for (size_t i = 0; i < s->n_c; i++)
        if (s->c[i]->state == SEL_DONE && (!b || sel_cand_cmp(&s->c[i], &b) < 0))
            b = s->c[i];
    return b;
}

/* The final fit to keep in reserve while considering c: the best so far or c
 * may end up chosen, so the larger of their final fits. */
static double reserve(const sel_run *s, const sel_cand *c)
{
    const sel_cand *b = best_so_far(s);
    double rb = b ? sel_final_fit_cost(s, b) : 0, rc = c ? sel_final_fit_cost(s, c) : 0;
    return rb > rc ? rb : rc;
}

/* True when a step of `cost` seconds for c, and then the final fit, fit what
 * is left of the budget. */
bool sel_fits(const sel_run *s, const sel_cand *c, double cost) { return cost + reserve(s, c) <= sel_left(s); }

static void skip_for_budget(sel_run *s, sel_cand *c, double cost)
{
    char why[160];
    double left = sel_left(s) > 0 ? sel_left(s) : 0, res = reserve(s, c);
    if (res > 0)
        snprintf(why, sizeof why, "budget: needs ~%.1f s + ~%.1f s kept for the final fit, %.1f s left", cost, res,
                 left);
    else
        snprintf(why, sizeof why, "budget: needs ~%.1f s, %.1f s left", cost, left);
    sel_skip_budget(c, why);
    sel_log(s, "select: %s: skipped (%s)", c->name, why);
}

/* Evaluate, or skip when it would pass the budget. */
static void run_or_skip(sel_run *s, sel_cand *c, double cost, void (*eval)(sel_run *, sel_cand *))
{
    if (!c)
        return;
    if (!sel_fits(s, c, cost)) {
        skip_for_budget(s, c, cost);
        return;
    }
    c->cost = cost;
    eval(s, c);
}

/* The zero-shot prompt (t, w) of model m with every calibration, none first. */
static void prompt_all_calibs(sel_run *s, int m, int t, int w)
{
    bool cached = false; /* the first calibration's pass ran: the others reuse its scores */
    for (size_t j = 0; j < s->sp.n_calib; j++) {
        sel_cand *c = sel_new_cand(s, SEL_PROMPT, m, t, w, s->sp.calib[j], 0);
        run_or_skip(s, c, pass_cost(s, m) * (cached ? 0.2 : 1.0), sel_eval_prompt);
        cached |= c && c->state == SEL_DONE;
    }
}

static bool has_shots0(const sel_space *sp)
{
    for (size_t i = 0; i < sp->n_shots; i++)
        if (!sp->shots[i])
            return true;
    return false;
}

/* B: the first prompt of every model, every calibration. */
static void probe_models(sel_run *s)
{
    for (size_t m = 0; m < s->sp.n_models; m++) {
        prompt_all_calibs(s, (int)m, 0, 0);
        s->probe_acc[m] = -1;
        for (size_t i = 0; i < s->n_c; i++)
            if (s->c[i]->model == (int)m && s->c[i]->state == SEL_DONE && s->c[i]->acc_mean > s->probe_acc[m])
                s->probe_acc[m] = s->c[i]->acc_mean;
    }
}

/* The best evaluated zero-shot prompts of model m (up to n), best first. */
static size_t best_prompts(const sel_run *s, int m, sel_cand **out, size_t n)
{
    sel_cand *all[1024];
    size_t na = 0;
    for (size_t i = 0; i < s->n_c && na < 1024; i++)
        if (s->c[i]->model == m && s->c[i]->kind == SEL_PROMPT && s->c[i]->state == SEL_DONE)
            all[na++] = s->c[i];
    qsort(all, na, sizeof *all, sel_cand_cmp);
    n = na < n ? na : n;
    memcpy(out, all, n * sizeof *out);
    return n;
}

static int has_calib(const sel_space *sp, int cal)
{
    for (size_t i = 0; i < sp->n_calib; i++)
        if (sp->calib[i] == cal)
            return 1;
    return 0;
}

/* Few-shot candidates of prompt `from` with `shots` demonstrations, in each
 * layout of the space; a model without a chat format has one layout only. */
static void fewshot_cands(sel_run *s, int m, const sel_cand *from, int shots, double cost)
{
    for (int turns = 0; turns < 2; turns++) {
        bool want = s->chat[m] ? (turns ? s->sp.layout_turns : s->sp.layout_inline) : !turns;
        sel_cand *c = want ? sel_new_cand(s, SEL_FEWSHOT, m, from->tmpl, from->ws, from->calib, shots) : NULL;
        if (c && turns) {
            c->turns = true;
            size_t len = strlen(c->name);
            snprintf(c->name + len, sizeof c->name - len, ".turns");
        }
        run_or_skip(s, c, cost, sel_eval_fewshot);
    }
}

/* C: everything else of model m. */
static void model_rest(sel_run *s, int m)
{
    double pc = pass_cost(s, m);
    for (size_t t = 0; t < s->sp.n_tmpl; t++)
        for (size_t w = 0; w < s->sp.n_ws; w++)
            if (t || w)
                prompt_all_calibs(s, m, (int)t, (int)w);
    if (s->sp.ensemble)
        for (size_t j = 0; j < s->sp.n_calib; j++)
            sel_eval_ensemble(s, sel_new_cand(s, SEL_ENSEMBLE, m, -1, -1, s->sp.calib[j], 0));
    sel_cand *best[8];
    size_t nb = best_prompts(s, m, best, 8);
    int bt = nb ? best[0]->tmpl : 0;
    if (s->sp.head)
        run_or_skip(s, sel_new_cand(s, SEL_HEAD, m, bt, 0, SENTI_CALIB_NONE, 0), pc, sel_eval_head);
    if (s->sp.lora) /* ~ epochs x (forward + backward) over the training rows per fold */
        run_or_skip(s, sel_new_cand(s, SEL_LORA, m, bt, 0, SENTI_CALIB_NONE, 0), pc * 8 * 3 * s->r.n_folds,
                    sel_eval_lora);
    if (s->sp.words) {
        sel_cand *a = sel_new_cand(s, SEL_WORDS, m, bt, -1, SENTI_CALIB_NONE, 0);
        sel_cand *b = has_calib(&s->sp, SENTI_CALIB_CONTEXTUAL)
                          ? sel_new_cand(s, SEL_WORDS, m, bt, -1, SENTI_CALIB_CONTEXTUAL, 0) : NULL;
        if (a && sel_fits(s, a, pc * 1.5)) {
            a->cost = pc * 1.5; /* b comes from the same passes */
            sel_eval_words(s, a, b);
        }
        else if (a) {
            skip_for_budget(s, a, pc * 1.5);
            if (b)
                sel_skip_budget(b, a->note);
        }
    }
    for (size_t i = 0; i < nb && i < (size_t)s->sp.promote; i++)
        for (size_t j = 0; j < s->sp.n_shots; j++)
            if (s->sp.shots[j] > 0)
                fewshot_cands(s, m, best[i], s->sp.shots[j], pc * (1.0 + 0.8 * s->sp.shots[j]));
}

static int probe_cmp_ix(const sel_run *s, int a, int b)
{
    if (s->probe_acc[a] != s->probe_acc[b])
        return s->probe_acc[a] > s->probe_acc[b] ? -1 : 1;
    return a - b;
}

static void plan(sel_run *s)
{
    if (s->sp.bow)
        sel_eval_bow(s);
    if (!has_shots0(&s->sp))
        return; /* few-shot only spaces promote nothing; listed as a limitation in docs/select.md */
    probe_models(s);
    int order[SEL_MAX_ITEMS];
    size_t n = s->sp.n_models;
    for (size_t i = 0; i < n; i++)
        order[i] = (int)i;
    for (size_t i = 1; i < n; i++) /* insertion sort by probe accuracy, best first */
        for (size_t j = i; j > 0 && probe_cmp_ix(s, order[j - 1], order[j]) > 0; j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        if (s->probe_acc[order[i]] >= 0)
            model_rest(s, order[i]);
}

/* ---- the recipe ---------------------------------------------------------------------- */

typedef struct {
    char dir[PATH_MAX];  /* RECIPE.files (absolute or relative to cwd) */
    char rel[PATH_MAX];  /* the same relative to the recipe's folder */
} files_dir;

static senti_status file_ref(const files_dir *fd, const char *name, json_t **out, senti_err *err)
{
    char path[PATH_MAX + 64], rel[PATH_MAX + 64], sha[65];
    snprintf(path, sizeof path, "%s/%s", fd->dir, name);
    snprintf(rel, sizeof rel, "%s/%s", fd->rel, name);
    senti_status st = senti_file_sha256(path, sha, err);
    if (!st)
        *out = json_pack("{s:s, s:s}", "path", rel, "sha256", sha);
    return st;
}

static senti_status files_dir_make(const char *recipe, files_dir *fd, senti_err *err)
{
    size_t len = strlen(recipe);
    if (len > 5 && !strcmp(recipe + len - 5, ".json"))
        len -= 5;
    snprintf(fd->dir, sizeof fd->dir, "%.*s.files", (int)len, recipe);
    const char *slash = strrchr(fd->dir, '/');
    snprintf(fd->rel, sizeof fd->rel, "%s", slash ? slash + 1 : fd->dir);
    if (mkdir(fd->dir, 0777) && errno != EEXIST)
        return senti_err_set(err, SENTI_ERR_IO, "%s: %s", fd->dir, strerror(errno));
    return SENTI_OK;
}

/* One member: a verbalizer file (template t, words) and a calibration. */
static senti_status add_member(sel_run *s, const files_dir *fd, json_t *members, int t, const json_t *words, int cal,
                               senti_err *err)
{
    char name[64], path[PATH_MAX + 64];
    snprintf(name, sizeof name, "verbalizer%zu.json", json_array_size(members));
    snprintf(path, sizeof path, "%s/%s", fd->dir, name);
    senti_status st = sel_write_verbalizer(path, name, s->sp.tmpl[t], words, s->label_map, s->r.labels, s->r.k, err);
    json_t *ref = NULL;
    if (!st)
        st = file_ref(fd, name, &ref, err);
    if (!st)
        json_array_append_new(members, json_pack("{s:o, s:s}", "verbalizer", ref, "calibration",
                                                 senti_calib_name((senti_calib_method)cal)));
    return st;
}

static senti_status recipe_bow(sel_run *s, const files_dir *fd, json_t *rec, senti_err *err)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/bow-logreg.json", fd->dir);
    senti_bow_params bp = senti_bow_default_params();
    bp.seed = s->p->seed;
    senti_baseline *b = NULL;
    senti_status st = senti_baseline_train(SENTI_BASELINE_BOW_LOGREG, (const char *const *)s->r.text, s->r.y, s->r.n,
                                           s->r.k, (const char *const *)s->r.labels, &bp, &b, err);
    if (!st && s->label_map)
        st = senti_baseline_map_from_json(b, s->label_map, s->p->input_path, err);
    char sha[65] = "";
    if (!st)
        st = senti_file_sha256(s->p->input_path, sha, err);
    senti_baseline_source src = {.train_path = s->p->input_path, .train_sha256 = sha, .seed = s->p->seed,
                                 .rows = s->r.row, .n_rows = s->r.n};
    if (!st)
        st = senti_baseline_save(b, &src, path, err);
    senti_baseline_free(b);
    json_t *ref = NULL;
    if (!st && !(st = file_ref(fd, "bow-logreg.json", &ref, err)))
        json_object_set_new(rec, "adapter", ref);
    return st;
}

static senti_status recipe_head(sel_run *s, const sel_cand *c, const files_dir *fd, json_t *rec, senti_err *err)
{
    bool *use = malloc(s->r.n * sizeof *use);
    if (!use)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->r.n; i++)
        use[i] = true; /* the recipe's head: every labelled row */
    senti_head *h = NULL;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/head.json", fd->dir);
    senti_status st = sel_ensure_model(s, c->model, err);
    if (!st)
        st = sel_head_features(s, c->tmpl, err);
    if (!st)
        st = sel_head_fit(s, c->tmpl, use, &h, err);
    if (!st) {
        snprintf(h->model_sha256, sizeof h->model_sha256, "%s", senti_model_sha256(s->model));
        st = senti_head_save(h, path, err);
    }
    senti_head_free(h);
    free(use);
    json_t *ref = NULL;
    if (!st && !(st = file_ref(fd, "head.json", &ref, err)))
        json_object_set_new(rec, "adapter", ref);
    return st;
}

static senti_status recipe_members(sel_run *s, const sel_cand *c, const files_dir *fd, json_t *rec, senti_err *err)
{
    json_t *members = json_array();
    json_object_set_new(rec, "members", members);
    senti_status st = SENTI_OK;
    if (c->kind == SEL_ENSEMBLE) {
        for (size_t i = 0; i < s->n_c && !st; i++) {
            const sel_cand *m = s->c[i];
            if (m->kind == SEL_PROMPT && m->model == c->model && m->calib == c->calib && m->state == SEL_DONE)
                st = add_member(s, fd, members, m->tmpl, s->sp.ws[m->ws], m->calib, err);
        }
        return st;
    }
    const json_t *words = c->kind == SEL_WORDS ? c->words : s->sp.ws[c->ws >= 0 ? c->ws : 0];
    st = add_member(s, fd, members, c->tmpl, words,
                    c->kind == SEL_HEAD || c->kind == SEL_LORA ? SENTI_CALIB_NONE : c->calib, err);
    if (!st && c->kind == SEL_FEWSHOT) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/train.csv", fd->dir);
        json_t *ref = NULL;
        st = sel_write_csv(path, &s->r, NULL, 0, NULL, err);
        if (!st && !(st = file_ref(fd, "train.csv", &ref, err))) {
            json_t *demos = json_pack("{s:o, s:I, s:s}", "train", ref, "seed", (json_int_t)s->p->seed, "sampling",
                                      "balanced");
            if (c->turns)
                json_object_set_new(demos, "turns", json_true());
            json_object_set_new(rec, "shots", json_integer(c->shots));
            json_object_set_new(rec, "demonstrations", demos);
        }
    }
    if (!st && c->kind == SEL_HEAD)
        st = recipe_head(s, c, fd, rec, err);
    if (!st && c->kind == SEL_LORA) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/lora.gguf", fd->dir);
        json_t *ref = NULL;
        st = sel_lora_all(s, c, path, err);
        if (!st && !(st = file_ref(fd, "lora.gguf", &ref, err)))
            json_object_set_new(rec, "adapter", ref);
    }
    return st;
}

static const char *recipe_kind(sel_kind k)
{
    switch (k) {
    case SEL_BOW: return "bow-logreg";
    case SEL_HEAD: return "head";
    case SEL_LORA: return "lora";
    case SEL_ENSEMBLE: return "ensemble";
    default: return "prompt";
    }
}

static json_t *cv_json(const sel_run *s, const sel_cand *c, size_t n_done)
{
    char note[200];
    if (n_done > 1)
        snprintf(note, sizeof note, "the maximum over the %zu evaluated candidates, selected on the same rows: an "
                                    "optimistic estimate; see holdout", n_done);
    else
        snprintf(note, sizeof note, "the only evaluated candidate");
    return json_pack("{s:i, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:s}", "folds", s->r.n_folds, "rows",
                     (json_int_t)s->r.n, "accuracy", c->acc_mean, "accuracy_sd", c->acc_sd, "macro_f1", c->f1_mean,
                     "macro_f1_sd", c->f1_sd, "ece", c->ece_mean, "ece_sd", c->ece_sd, "optimistic", 1, "note", note);
}

static senti_status build_recipe(sel_run *s, const sel_cand *c, json_t **out, senti_err *err)
{
    files_dir fd;
    senti_status st = files_dir_make(s->p->output_path, &fd, err);
    json_t *rec = json_pack("{s:s, s:i, s:s, s:s}", "format", "senti-recipe", "version", 1, "candidate", c->name,
                            "kind", recipe_kind(c->kind));
    json_t *labels = json_array();
    for (int j = 0; j < s->r.k; j++)
        json_array_append_new(labels, json_string(s->r.labels[j]));
    json_object_set_new(rec, "labels", labels);
    if (!st && c->kind != SEL_BOW) {
        st = sel_ensure_model(s, c->model, err);
        if (!st)
            json_object_set_new(rec, "model", json_pack("{s:s, s:s}", "path", s->sp.models[c->model], "sha256",
                                                        senti_model_sha256(s->model)));
        json_object_set_new(rec, "chat", json_string("auto"));
    }
    if (!st)
        st = c->kind == SEL_BOW ? recipe_bow(s, &fd, rec, err) : recipe_members(s, c, &fd, rec, err);
    json_object_set_new(rec, "seed", json_integer((json_int_t)s->p->seed));
    *out = rec;
    return st;
}

/* The selection's times: total, search, final fit, holdout (rewritten after the holdout). */
static void set_times(sel_run *s, json_t *sel)
{
    json_object_set_new(sel, "seconds", json_real(sel_elapsed(s)));
    json_object_set_new(sel, "search_s", json_real(s->search_s));
    json_object_set_new(sel, "final_fit_s", json_real(s->final_fit_s));
    json_object_set_new(sel, "holdout_s", json_real(s->holdout_s));
}

static senti_status add_selection(sel_run *s, json_t *rec, const senti_select_summary *sum, const char *const out[3],
                                  senti_err *err)
{
    char sha[65];
    senti_status st = senti_file_sha256(s->p->input_path, sha, err);
    if (st)
        return st;
    json_object_set_new(rec, "cv", cv_json(s, s->c[0], sum->n_evaluated));
    json_t *sel = json_pack("{s:{s:s, s:s}, s:I, s:I, s:I, s:I, s:I, s:f, s:s, s:s, s:s}", "input", "path",
                            s->p->input_path, "sha256", sha, "candidates", (json_int_t)sum->n_candidates, "evaluated",
                            (json_int_t)sum->n_evaluated, "skipped", (json_int_t)sum->n_skipped, "skipped_budget",
                            (json_int_t)sum->n_skipped_budget, "failed", (json_int_t)sum->n_failed, "budget_s",
                            s->p->budget_s, "ranking_csv", out[0], "ranking_md", out[1], "cv_csv", out[2]);
    if (!sel)
        return senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    json_object_set_new(sel, "budget_charged_s", json_real(s->charged));
    set_times(s, sel);
    json_object_set_new(rec, "selection", sel);
    return SENTI_OK;
}

/* --holdout: the recipe applied to rows never used in selection. */
static senti_status holdout(sel_run *s, json_t *rec, senti_select_summary *sum, senti_err *err)
{
    senti_classify_params cp = senti_classify_default_params();
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/holdout.csv", s->work);
    cp.input_path = s->p->holdout_path;
    cp.data = s->p->data;
    cp.n_threads = s->p->n_threads;
    cp.output_path = out;
    cp.score_cache_dir = s->cache;
    senti_classify_summary cs = {0};
    senti_status st = senti_recipe_classify(s->p->output_path, &cp, &cs, err);
    s->model_error |= st && cs.model_error;
    if (st)
        return st;
    sum->holdout_n = cs.n_labelled;
    sum->holdout_correct = cs.n_correct;
    json_object_set_new(rec, "holdout", json_pack("{s:s, s:I, s:f}", "path", s->p->holdout_path, "rows",
                                                  (json_int_t)cs.n_labelled, "accuracy",
                                                  cs.n_labelled ? (double)cs.n_correct / (double)cs.n_labelled : NAN));
    sel_log(s, "select: holdout accuracy %.4f (%zu/%zu rows never used in selection)",
            cs.n_labelled ? (double)cs.n_correct / (double)cs.n_labelled : NAN, cs.n_correct, cs.n_labelled);
    return SENTI_OK;
}

static void out_name(const char *recipe, const char *given, const char *suffix, char *out)
{
    size_t len = strlen(recipe);
    if (len > 5 && !strcmp(recipe + len - 5, ".json"))
        len -= 5;
    if (given)
        snprintf(out, PATH_MAX, "%s", given);
    else
        snprintf(out, PATH_MAX, "%.*s%s", (int)len, recipe, suffix);
}

static void count_candidates(sel_run *s, senti_select_summary *sum)
{
    sel_counts k = sel_count(s->c, s->n_c);
    sum->n_candidates = s->n_c;
    sum->n_evaluated = k.done, sum->n_skipped = k.skipped, sum->n_skipped_budget = k.budget;
    sum->n_failed = k.failed;
}

/* The recipe (final fit), its selection record, the holdout, the ranking and
 * the chosen candidate's out-of-fold predictions. */
static senti_status finish_run(sel_run *s, senti_select_summary *sum, senti_err *err)
{
    qsort(s->c, s->n_c, sizeof *s->c, sel_cand_cmp);
    count_candidates(s, sum);
    if (!s->n_c || s->c[0]->state != SEL_DONE)
        return senti_err_set(err, s->model_error ? SENTI_ERR_IO : SENTI_ERR_STATE,
                             "select: no candidate could be evaluated%s%s", s->n_c ? ": " : "",
                             s->n_c ? s->c[0]->note : "");
    char csv[PATH_MAX], md[PATH_MAX], cv[PATH_MAX];
    out_name(s->p->output_path, s->p->ranking_csv, ".ranking.csv", csv);
    out_name(s->p->output_path, s->p->ranking_md, ".ranking.md", md);
    out_name(s->p->output_path, s->p->cv_csv, ".cv.csv", cv);
    const char *const outs[3] = {csv, md, cv};
    snprintf(sum->chosen, sizeof sum->chosen, "%s", s->c[0]->name);
    sum->cv_accuracy = s->c[0]->acc_mean;
    json_t *rec = NULL;
    double t = sel_elapsed(s);
    senti_status st = build_recipe(s, s->c[0], &rec, err);
    s->final_fit_s = sel_elapsed(s) - t;
    if (!st)
        st = add_selection(s, rec, sum, outs, err);
    if (!st)
        st = sel_write_json(s->p->output_path, rec, err);
    if (!st && s->p->holdout_path) {
        t = sel_elapsed(s);
        st = holdout(s, rec, sum, err);
        s->holdout_s = sel_elapsed(s) - t;
        set_times(s, json_object_get(rec, "selection"));
        if (!st)
            st = sel_write_json(s->p->output_path, rec, err);
    }
    if (!st)
        st = sel_write_ranking_csv(csv, s->c, s->n_c, err);
    if (!st)
        st = sel_write_ranking_md(md, s->c, s->n_c, &s->r, rec, err);
    if (!st)
        st = sel_write_cv_csv(cv, &s->r, s->c[0], err);
    json_decref(rec);
    return st;
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Drop every template and word set equal to an earlier one (-v's template is
 * often a default one, its words the label names): a duplicate scores the same
 * prompts again, at the budget's expense, and only repeats a ranking row. */
static void dedup_space(sel_run *s)
{
    sel_space *sp = &s->sp;
    size_t n = 0;
    for (size_t i = 0; i < sp->n_tmpl; i++) {
        size_t j = 0;
        while (j < n && strcmp(sp->tmpl[j], sp->tmpl[i]))
            j++;
        if (j < n) {
            sel_log(s, "select: template %s is template %s: dropped", sp->tmpl_name[i], sp->tmpl_name[j]);
            free(sp->tmpl[i]), free(sp->tmpl_name[i]);
            continue;
        }
        sp->tmpl[n] = sp->tmpl[i], sp->tmpl_name[n++] = sp->tmpl_name[i];
    }
    sp->n_tmpl = n;
    n = 0;
    for (size_t i = 0; i < sp->n_ws; i++) {
        size_t j = 0;
        while (j < n && !json_equal(sp->ws[j], sp->ws[i]))
            j++;
        if (j < n) {
            sel_log(s, "select: label words %s are label words %s: dropped", sp->ws_name[i], sp->ws_name[j]);
            json_decref(sp->ws[i]), free(sp->ws_name[i]);
            continue;
        }
        sp->ws[n] = sp->ws[i], sp->ws_name[n++] = sp->ws_name[i];
    }
    sp->n_ws = n;
}


/* A model named by -m or the space that cannot be read is a mistake to report
 * now, not a row of failed candidates under a recipe chosen without it. */
static senti_status check_models(sel_run *s, senti_err *err)
{
    for (size_t i = 0; i < s->sp.n_models; i++) {
        struct stat sb;
        FILE *f = fopen(s->sp.models[i], "rb");
        bool regular = f && !fstat(fileno(f), &sb) && S_ISREG(sb.st_mode); /* a directory opens too */
        senti_status st = SENTI_OK;
        if (!f)
            st = senti_err_set(err, SENTI_ERR_IO, "%s: cannot open: %s", s->sp.models[i], strerror(errno));
        else if (!regular)
            st = senti_err_set(err, SENTI_ERR_IO, "%s: not a model file (not a regular file)", s->sp.models[i]);
        if (f)
            fclose(f);
        if (st) {
            s->model_error = true;
            return st;
        }
    }
    return SENTI_OK;
}

static senti_status setup_space(sel_run *s, const senti_verbalizer *v, senti_err *err)
{
    const senti_select_params *p = s->p;
    senti_status st = sel_space_default(&s->sp, s->r.labels, s->r.k, err);
    if (!st && p->space_path)
        st = sel_space_load(&s->sp, p->space_path, s->r.labels, s->r.k, err);
    if (!st && v && senti_verbalizer_template(v) && s->sp.n_tmpl < SEL_MAX_ITEMS) { /* -v: its template first */
        memmove(s->sp.tmpl + 1, s->sp.tmpl, s->sp.n_tmpl * sizeof *s->sp.tmpl);
        memmove(s->sp.tmpl_name + 1, s->sp.tmpl_name, s->sp.n_tmpl * sizeof *s->sp.tmpl_name);
        s->sp.tmpl[0] = senti_xstrdup(senti_verbalizer_template(v));
        s->sp.tmpl_name[0] = senti_xstrdup("verbalizer");
        s->sp.n_tmpl++;
    }
    if (!st && v && s->sp.n_ws < SEL_MAX_ITEMS) { /* -v: its words first */
        json_t *ws = json_object();
        for (size_t j = 0; j < senti_verbalizer_n_labels(v); j++) {
            json_t *a = json_array();
            for (size_t w = 0; w < senti_verbalizer_n_words(v, j); w++)
                json_array_append_new(a, json_string(senti_verbalizer_word(v, j, w)));
            json_object_set_new(ws, senti_verbalizer_label(v, j), a);
        }
        memmove(s->sp.ws + 1, s->sp.ws, s->sp.n_ws * sizeof *s->sp.ws);
        memmove(s->sp.ws_name + 1, s->sp.ws_name, s->sp.n_ws * sizeof *s->sp.ws_name);
        s->sp.ws[0] = ws;
        s->sp.ws_name[0] = senti_xstrdup("verbalizer");
        s->sp.n_ws++;
    }
    if (!st && v) /* -v's label_map: the recipe reads the same dataset values */
        s->label_map = senti_verbalizer_map_json(v);
    if (!st)
        dedup_space(s);
    if (!st && p->n_models) {
        for (size_t i = 0; i < s->sp.n_models; i++)
            free(s->sp.models[i]);
        s->sp.n_models = 0;
        for (size_t i = 0; i < p->n_models && i < SEL_MAX_ITEMS && !st; i++)
            if (!(s->sp.models[s->sp.n_models++] = senti_xstrdup(p->models[i])))
                st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    } else if (!st && !s->sp.n_models)
        st = sel_space_scan_models(&s->sp, p->model_dir ? p->model_dir : "models", err);
    if (!st)
        st = check_models(s, err);
    return st;
}

static senti_status check_params(const senti_select_params *p, senti_err *err)
{
    if (!p->input_path || !p->output_path)
        return senti_err_set(err, SENTI_ERR_ARG, "select: an input and an output (recipe) path are required");
    if (!(p->budget_s > 0))
        return senti_err_set(err, SENTI_ERR_ARG, "select: the budget must be positive");
    const senti_path_role in[] = {{p->input_path, "the input"}, {p->holdout_path, "the holdout file"},
                                  {p->space_path, "the space file"}, {p->verbalizer_path, "the verbalizer"}};
    const senti_path_role out[] = {{p->output_path, "the recipe"}, {p->ranking_csv, "the ranking CSV"},
                                   {p->ranking_md, "the ranking Markdown"}, {p->cv_csv, "the CV predictions"}};
    return senti_check_outputs(out, 4, in, 4, err);
}

/* The temporary folder: its files (it has no subfolder), then itself. */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    char path[PATH_MAX + 256];
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

static void cleanup(sel_run *s)
{
    for (size_t i = 0; i < s->n_c; i++)
        sel_cand_free(s->c[i]);
    for (size_t t = 0; t < SEL_MAX_ITEMS; t++)
        free(s->head_x[t]);
    senti_model_free(s->model);
    sel_space_free(&s->sp);
    json_decref(s->label_map);
    for (size_t i = 0; i < s->r.n; i++)
        free(s->r.text[i]), free(s->r.id ? s->r.id[i] : NULL);
    for (int j = 0; s->r.labels && j < s->r.k; j++)
        free(s->r.labels[j]);
    free(s->r.text), free(s->r.y), free(s->r.row), free(s->r.fold), free(s->r.labels), free(s->r.id);
    if (s->work[0])
        remove_flat_dir(s->work);
}

senti_status senti_select_run(const senti_select_params *p, senti_select_summary *sum, senti_err *err)
{
    senti_select_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    sel_run *s = calloc(1, sizeof *s);
    if (!s)
        return senti_err_set(err, SENTI_ERR_NOMEM, "select: out of memory");
    s->p = p;
    s->t0 = senti_now();
    s->model_ix = -1;
    senti_verbalizer *v = NULL;
    senti_status st = check_params(p, err);
    if (!st && p->verbalizer_path)
        st = senti_verbalizer_load(p->verbalizer_path, &v, err);
    if (!st)
        st = sel_load_rows(s, v, err);
    if (!st)
        st = setup_space(s, v, err);
    senti_verbalizer_free(v);
    snprintf(s->work, sizeof s->work, "%s", "/tmp/senti-select-XXXXXX");
    if (!st && !mkdtemp(s->work)) {
        s->work[0] = 0;
        st = senti_err_set(err, SENTI_ERR_IO, "select: a temporary folder: %s", strerror(errno));
    } else if (st)
        s->work[0] = 0;
    if (!st)
        snprintf(s->cache, sizeof s->cache, "%s", p->score_cache_dir ? p->score_cache_dir : s->work);
    if (!st)
        st = sel_write_rows(s, err);
    if (!st)
        st = sel_write_verbalizers(s, err);
    if (!st) {
        sel_log(s, "select: %zu rows, %d labels, %d folds; %zu models, %zu templates, %zu label-word sets; "
                   "budget %.0f s",
                s->r.n, s->r.k, s->r.n_folds, s->sp.n_models, s->sp.n_tmpl, s->sp.n_ws, p->budget_s);
        estimate_costs(s);
        double t = sel_elapsed(s);
        plan(s);
        s->search_s = sel_elapsed(s) - t;
        st = finish_run(s, sum, err);
    }
    sum->n_rows = s->r.n, sum->n_labels = (size_t)s->r.k, sum->folds = s->r.n_folds;
    sum->seconds = sel_elapsed(s);
    sum->search_s = s->search_s, sum->final_fit_s = s->final_fit_s, sum->holdout_s = s->holdout_s;
    sum->charged_s = s->charged;
    sum->model_error = s->model_error;
    cleanup(s);
    free(s);
    return st;
}
