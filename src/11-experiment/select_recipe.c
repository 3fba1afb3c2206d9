/*
 * select_recipe.c - recipes (docs/select.md): the JSON that `senti select`
 * writes and `senti classify --recipe` applies.
 *
 * A recipe names its model by path and SHA-256 and its own files (verbalizers,
 * adapters, the demonstration pool) by a path relative to the recipe's folder
 * and their SHA-256. Applying one first checks everything: unknown keys, a
 * wrong format or version (SENTI_ERR_FORMAT), a missing file
 * (SENTI_ERR_NOTFOUND), a file or model whose SHA-256 differs
 * (SENTI_ERR_FORMAT; for the model with model_error set), and only then runs
 * senti_classify_run with the recipe's settings. An ensemble runs each member
 * into a temporary folder and writes the mean of the members' (calibrated)
 * label distributions as the predictions file, with a manifest holding the
 * members' manifests.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "00-base/base.h"
#include "08-classify/classify_out.h"
#include "senti/predfile.h"
#include "select_internal.h"

#define RECIPE_MAX_MEMBERS 32

typedef struct {
    char dir[PATH_MAX];         /* the recipe's folder */
    const char *path;
    json_t *root;
    const char *kind;
    const char *model, *adapter, *train;
    char verb[RECIPE_MAX_MEMBERS][PATH_MAX];
    senti_calib_method calib[RECIPE_MAX_MEMBERS];
    size_t n_members;
    int shots, chat;
    uint64_t demo_seed;
    senti_demo_sampling sampling;
    bool demo_turns;
    char adapter_path[PATH_MAX], train_path[PATH_MAX];
} recipe;

static const char *const known_keys[] = {"format", "version", "candidate", "kind", "labels", "model", "chat",
                                         "members", "shots", "demonstrations", "adapter", "seed", "cv",
                                         "selection", "holdout", "note"};

static senti_status fmt(senti_err *err, const recipe *r, const char *what)
{
    return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s", r->path, what);
}

/* {"path": relative to the recipe's folder, "sha256": hex}: resolved into out, checked. */
static senti_status check_file(const recipe *r, const json_t *o, const char *key, char *out, senti_err *err)
{
    const char *rel = json_string_value(json_object_get(o, "path"));
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    if (!json_is_object(o) || !rel || !sha || json_object_size(o) != 2)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: must be {\"path\": ..., \"sha256\": ...}", r->path, key);
    snprintf(out, PATH_MAX, "%s%s", rel[0] == '/' ? "" : r->dir, rel);
    if (access(out, R_OK))
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: %s: %s: %s", r->path, key, out, strerror(errno));
    char got[65];
    senti_status st = senti_file_sha256(out, got, err);
    if (!st && strcmp(got, sha))
        st = senti_err_set(err, SENTI_ERR_FORMAT, "%s: %s: %s has SHA-256 %.12s..., the recipe says %.12s...",
                           r->path, key, out, got, sha);
    return st;
}

static senti_status parse_members(recipe *r, senti_err *err)
{
    const json_t *m = json_object_get(r->root, "members");
    size_t i;
    json_t *x;
    if (!json_is_array(m) || !json_array_size(m) || json_array_size(m) > RECIPE_MAX_MEMBERS)
        return fmt(err, r, "members: must be a non-empty array (at most 32)");
    json_array_foreach(m, i, x)
    {
        const char *cal = json_string_value(json_object_get(x, "calibration"));
        if (!json_is_object(x) || json_object_size(x) != 2 || !cal || senti_calib_parse(cal, &r->calib[i], NULL))
            return fmt(err, r, "members: each must be {\"verbalizer\": {path, sha256}, \"calibration\": NAME}");
        char key[64];
        snprintf(key, sizeof key, "members[%zu].verbalizer", i);
        senti_status st = check_file(r, json_object_get(x, "verbalizer"), key, r->verb[i], err);
        if (st)
            return st;
    }
    r->n_members = json_array_size(m);
    return SENTI_OK;
}

static senti_status parse_demos(recipe *r, senti_err *err)
{
    const json_t *sh = json_object_get(r->root, "shots"), *d = json_object_get(r->root, "demonstrations");
    if (!sh)
        return SENTI_OK;
    if (!json_is_integer(sh) || json_integer_value(sh) < 0 || json_integer_value(sh) > 64)
        return fmt(err, r, "shots: must be an integer in 0..64");
    r->shots = (int)json_integer_value(sh);
    if (!r->shots)
        return SENTI_OK;
    const json_t *seed = json_object_get(d, "seed"), *turns = json_object_get(d, "turns");
    const char *samp = json_string_value(json_object_get(d, "sampling"));
    if (!json_is_object(d) || !json_is_integer(seed) || json_integer_value(seed) < 0 || !samp ||
        senti_demo_sampling_parse(samp, &r->sampling, NULL) || (turns && !json_is_boolean(turns)) ||
        json_object_size(d) != (turns ? 4u : 3u))
        return fmt(err, r, "demonstrations: must be {\"train\": {path, sha256}, \"seed\": N, \"sampling\": NAME}, "
                           "and optionally \"turns\": true|false");
    r->demo_turns = json_is_true(turns);
    r->demo_seed = (uint64_t)json_integer_value(seed);
    r->train = r->train_path;
    return check_file(r, json_object_get(d, "train"), "demonstrations.train", r->train_path, err);
}

/* The model: present, and the file the recipe was made with. */
static senti_status check_model(recipe *r, senti_classify_summary *sum, senti_err *err)
{
    const json_t *m = json_object_get(r->root, "model");
    const char *path = json_string_value(json_object_get(m, "path"));
    const char *sha = json_string_value(json_object_get(m, "sha256"));
    if (!json_is_object(m) || !path || !sha)
        return fmt(err, r, "model: must be {\"path\": ..., \"sha256\": ...}");
    r->model = path;
    char got[65];
    senti_status st = senti_file_sha256(path, got, err);
    if (!st && strcmp(got, sha))
        st = senti_err_set(err, SENTI_ERR_FORMAT, "%s: model %s has SHA-256 %.12s..., the recipe was made with %.12s...",
                           r->path, path, got, sha);
    if (st && sum)
        sum->model_error = true;
    return st;
}

static senti_status parse_recipe(recipe *r, senti_classify_summary *sum, senti_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(r->root, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
            known |= !strcmp(key, known_keys[i]);
        if (!known)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: unknown key '%s'", r->path, key);
    }
    if (strcmp(json_string_value(json_object_get(r->root, "format")) ? json_string_value(json_object_get(r->root, "format")) : "", "senti-recipe"))
        return fmt(err, r, "format: not \"senti-recipe\"");
    if (json_integer_value(json_object_get(r->root, "version")) != 1)
        return fmt(err, r, "version: this senti reads version 1");
    r->kind = json_string_value(json_object_get(r->root, "kind"));
    if (!r->kind || (strcmp(r->kind, "prompt") && strcmp(r->kind, "ensemble") && strcmp(r->kind, "head") &&
                     strcmp(r->kind, "lora") && strcmp(r->kind, "bow-logreg")))
        return fmt(err, r, "kind: must be prompt, ensemble, head, lora or bow-logreg");
    const char *chat = json_string_value(json_object_get(r->root, "chat"));
    senti_chat_mode cm = SENTI_CHAT_MODE_AUTO;
    if (chat && senti_chat_mode_parse(chat, &cm, NULL))
        return fmt(err, r, "chat: must be auto, on or off");
    r->chat = (int)cm;
    senti_status st = SENTI_OK;
    if (strcmp(r->kind, "bow-logreg"))
        st = parse_members(r, err);
    if (!st && json_object_get(r->root, "adapter")) {
        r->adapter = r->adapter_path;
        st = check_file(r, json_object_get(r->root, "adapter"), "adapter", r->adapter_path, err);
    }
    if (!st && (!strcmp(r->kind, "head") || !strcmp(r->kind, "lora") || !strcmp(r->kind, "bow-logreg")) &&
        !r->adapter)
        st = fmt(err, r, "adapter: missing (a head, lora or bow-logreg recipe needs one)");
    if (!st)
        st = parse_demos(r, err);
    if (!st && strcmp(r->kind, "bow-logreg"))
        st = check_model(r, sum, err);
    return st;
}

static senti_status recipe_open(recipe *r, const char *path, senti_classify_summary *sum, senti_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    const char *slash = strrchr(path, '/');
    snprintf(r->dir, sizeof r->dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
    json_error_t je;
    if (!(r->root = json_load_file(path, JSON_REJECT_DUPLICATES, &je))) {
        if (access(path, R_OK))
            return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: %s", path, strerror(errno));
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    if (!json_is_object(r->root))
        return fmt(err, r, "a recipe must be a JSON object");
    return parse_recipe(r, sum, err);
}

/* The classify parameters of member i. */
static senti_classify_params member_params(const recipe *r, const senti_classify_params *user, size_t i)
{
    senti_classify_params p = *user;
    p.model_path = r->model;
    p.chat = r->chat;
    if (!strcmp(r->kind, "bow-logreg")) {
        p.adapter_path = r->adapter;
        return p;
    }
    p.verbalizer_path = r->verb[i];
    p.calib = r->calib[i];
    p.adapter_path = r->adapter;
    if (r->shots) {
        p.train_path = r->train;
        p.train_data = senti_dataset_default_params();
        p.train_data.text_col = "text";
        p.train_data.label_col = "label";
        p.demos.shots = (size_t)r->shots;
        p.demos.seed = r->demo_seed;
        p.demos.sampling = r->sampling;
        p.demo_turns = r->demo_turns;
    }
    return p;
}

/* ---- ensembles ----------------------------------------------------------------- */

/* The predictions file: the mean of the members' label distributions. */
static void write_mean_rows(FILE *f, const senti_predfile *pf, size_t n_m, senti_classify_summary *sum)
{
    int k = pf[0].k;
    fputs("id,gold,pred", f);
    for (int j = 0; j < k; j++) {
        fputc(',', f);
        char name[512];
        snprintf(name, sizeof name, "p_%s", pf[0].labels[j]);
        senti_csv_field(f, name);
    }
    fputs(",status\n", f);
    double p[SENTI_MAX_LABELS];
    for (size_t i = 0; i < pf[0].n; i++) {
        for (int j = 0; j < k; j++) {
            p[j] = 0;
            for (size_t m = 0; m < n_m; m++)
                p[j] += pf[m].prob[i * (size_t)k + (size_t)j] / (double)n_m;
        }
        int pred = senti_argmax_row(p, k);
        senti_csv_field(f, pf[0].ids ? pf[0].ids[i] : "");
        fputc(',', f);
        senti_csv_field(f, pf[0].labels[pf[0].gold[i]]);
        fputc(',', f);
        senti_csv_field(f, pf[0].labels[pred]);
        for (int j = 0; j < k; j++)
            fprintf(f, ",%.9f", p[j]);
        fputs(",ok\n", f);
        sum->n_labelled++;
        sum->n_correct += pred == pf[0].gold[i];
    }
    sum->n_rows = sum->n_ok = pf[0].n;
}

/* The manifest: the recipe, each member's own manifest, the rows it read (the
 * first member's "data") and the counts. Steals `members`. */
static json_t *ensemble_manifest(const recipe *r, json_t *members, const senti_classify_summary *sum)
{
    json_t *m = json_object();
    json_object_set_new(m, "senti_version", json_string(senti_version()));
    json_object_set_new(m, "ensemble", json_pack("{s:s, s:o}", "recipe", r->path, "members", members));
    json_t *data = json_object_get(json_array_get(members, 0), "data");
    if (data)
        json_object_set(m, "data", data);
    json_object_set_new(m, "counts", json_pack("{s:I, s:I, s:I, s:I}", "rows", (json_int_t)sum->n_rows, "ok",
                                               (json_int_t)sum->n_ok, "labelled", (json_int_t)sum->n_labelled,
                                               "correct", (json_int_t)sum->n_correct));
    return m;
}

/* Predictions and manifest, every output or none (senti_atomic_commit_all). */
static senti_status write_mean(const recipe *r, const senti_classify_params *user, senti_predfile *pf, size_t n_m,
                               json_t *members, senti_classify_summary *sum, senti_err *err)
{
    senti_atomic_file out = {0}, man = {0};
    senti_status st = senti_atomic_open(&out, user->output_path, err);
    if (!st)
        write_mean_rows(out.f, pf, n_m, sum);
    json_t *m = ensemble_manifest(r, members, sum);
    if (!st)
        st = senti_pred_manifest_write(user, m, &man, err);
    json_decref(m);
    senti_atomic_file *all[] = {&out, &man};
    if (st) {
        senti_atomic_abort_all(all, 2);
        return st;
    }
    return senti_atomic_commit_all(all, 2, err);
}

/* A member's manifest from its temporary folder (null when it wrote none). */
static json_t *member_manifest(const char *pred_path)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s.manifest.json", pred_path);
    json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    return m ? m : json_null();
}

static senti_status run_ensemble(const recipe *r, const senti_classify_params *user, senti_classify_summary *sum,
                                 senti_err *err)
{
    char tmpl[] = "/tmp/senti-recipe-XXXXXX", out[PATH_MAX];
    if (!user->output_path)
        return senti_err_set(err, SENTI_ERR_ARG, "%s: an ensemble recipe needs an output file (-o)", r->path);
    if (!mkdtemp(tmpl))
        return senti_err_set(err, SENTI_ERR_IO, "a temporary folder: %s", strerror(errno));
    senti_predfile pf[RECIPE_MAX_MEMBERS];
    size_t n_read = 0;
    senti_status st = SENTI_OK;
    json_t *members = json_array();
    double t0 = senti_now();
    for (size_t i = 0; i < r->n_members && !st; i++) {
        senti_classify_params p = member_params(r, user, i);
        senti_classify_summary ms = {0};
        snprintf(out, sizeof out, "%s/m%zu.csv", tmpl, i);
        p.output_path = out;
        p.jsonl_path = p.prompts_path = NULL;
        p.manifest_path = NULL;
        st = senti_classify_run(&p, &ms, err);
        sum->model_error |= ms.model_error;
        sum->n_tokens += ms.n_tokens;
        sum->n_cached += ms.n_cached;
        if (!st)
            json_array_append_new(members, member_manifest(out));
        if (!st && !(st = senti_predfile_read(out, NULL, &pf[n_read], err)))
            n_read++;
        if (!st && (pf[i].n != pf[0].n || pf[i].k != pf[0].k || !pf[i].prob))
            st = senti_err_set(err, SENTI_ERR_STATE, "%s: ensemble members disagree on the rows", r->path);
    }
    if (!st)
        st = write_mean(r, user, pf, n_read, json_incref(members), sum, err);
    json_decref(members);
    for (size_t i = 0; i < r->n_members; i++) {
        snprintf(out, sizeof out, "%s/m%zu.csv", tmpl, i);
        unlink(out);
        snprintf(out, sizeof out, "%s/m%zu.csv.manifest.json", tmpl, i);
        unlink(out);
    }
    rmdir(tmpl);
    while (n_read)
        senti_predfile_free(&pf[--n_read]);
    sum->seconds = senti_now() - t0;
    return st;
}

senti_status senti_recipe_classify(const char *recipe_path, const senti_classify_params *user,
                                   senti_classify_summary *sum, senti_err *err)
{
    senti_classify_summary local;
    if (!sum)
        sum = &local;
    memset(sum, 0, sizeof *sum);
    recipe r;
    senti_status st = recipe_open(&r, recipe_path, sum, err);
    if (!st && !strcmp(r.kind, "ensemble") && r.n_members > 1)
        st = run_ensemble(&r, user, sum, err);
    else if (!st) {
        senti_classify_params p = member_params(&r, user, 0);
        st = senti_classify_run(&p, sum, err);
    }
    json_decref(r.root);
    return st;
}
