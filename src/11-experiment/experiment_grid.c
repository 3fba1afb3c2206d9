/*
 * experiment_grid.c - an experiment's grid of cells: the reader settings of a
 * dataset, each cell's canonical JSON and hash, the expansion of models x
 * datasets x verbalizers x strategies into named cells, and the accessors of
 * senti/experiment.h. Parsing is in experiment.c.
 */
#include "senti/experiment.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "00-base/base.h"
#include "experiment_internal.h"

const char *senti_strategy_kind_name(senti_strategy_kind k)
{
    switch (k) {
    case SENTI_STRATEGY_ZERO_SHOT: return "zero-shot";
    case SENTI_STRATEGY_FEW_SHOT: return "few-shot";
    case SENTI_STRATEGY_ADAPTER: return "adapter";
    case SENTI_STRATEGY_BASELINE: return "baseline";
    case SENTI_STRATEGY_FINETUNE: return "finetune";
    case SENTI_STRATEGY_RECIPE: return "recipe";
    case SENTI_STRATEGY_SELECT: return "select";
    }
    return "unknown";
}

void senti_exp_eval_data(const senti_exp_dataset *d, senti_dataset_params *dp)
{
    dp->text_col = d->eval.text_col;
    dp->label_col = d->eval.label_col;
    dp->id_col = d->eval.id_col;
    dp->limit = d->limit;
    dp->sample = d->sample;
    dp->seed = d->sample_seed;
}

void senti_exp_train_data(const senti_exp_dataset *d, senti_dataset_params *dp)
{
    dp->text_col = d->train.text_col;
    dp->label_col = d->train.label_col;
    dp->id_col = d->train.id_col;
    if (d->train_rest) {
        dp->sample = d->sample;
        dp->seed = d->sample_seed;
        dp->sample_rest = true;
    }
}

/* ---- grid ------------------------------------------------------------------------ */

char *senti_cell_canonical_json(const senti_cell *c)
{
    const senti_exp_dataset *d = c->dataset;
    json_t *o = json_pack("{s:s?, s:s?, s:{s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s?}, s:s,"
                          " s:s, s:s, s:i, s:I, s:s, s:s?}",
                          "model", c->model ? c->model->path : NULL, "chat", c->model ? c->model->chat : NULL,
                          "dataset", "path", d->eval.path,
                          "text", d->eval.text_col, "label", d->eval.label_col, "id", d->eval.id_col, "limit",
                          (json_int_t)d->limit, "sample", (json_int_t)d->sample, "sample_seed",
                          (json_int_t)d->sample_seed, "train", d->train.path, "train_text", d->train.text_col,
                          "train_label", d->train.label_col, "train_id", d->train.id_col, "verbalizer",
                          c->verbalizer->path, "kind", senti_strategy_kind_name(c->strategy->kind), "strategy",
                          c->strategy->name, "shots", c->shots, "seed", (json_int_t)c->seed, "calibration",
                          c->calibration, "adapter", c->strategy->adapter);
    if (!o)
        return NULL;
    if (c->strategy->recipe)
        json_object_set_new(o, "recipe", json_string(c->strategy->recipe));
    /* demonstration options only when set, so the hashes of default cells stay as they were */
    if (d->train_rest)
        json_object_set_new(o, "train_rest", json_true());
    const senti_exp_strategy *st = c->strategy;
    if (st->sampling)
        json_object_set_new(o, "sampling", json_string(st->sampling));
    if (st->order)
        json_object_set_new(o, "order", json_string(st->order));
    if (st->per_row)
        json_object_set_new(o, "per_row", json_true());
    if (st->demo_turns)
        json_object_set_new(o, "demo_turns", json_true());
    if (st->kind == SENTI_STRATEGY_BASELINE || st->kind == SENTI_STRATEGY_FINETUNE) {
        json_object_set_new(o, "method", json_string(st->method));
        json_object_set_new(o, "per_class", json_integer((json_int_t)st->per_class));
        json_object_set_new(o, "train_all", json_boolean(st->train_all));
    }
    if (st->kind == SENTI_STRATEGY_SELECT) { /* the rows, the candidates, the budget, the space */
        json_t *cand = json_array();
        for (size_t i = 0; i < st->n_model_paths; i++)
            json_array_append_new(cand, json_string(st->model_paths[i]));
        json_object_set_new(o, "candidates", cand);
        json_object_set_new(o, "per_class", json_integer((json_int_t)st->per_class));
        json_object_set_new(o, "budget", json_real(st->budget_min));
        if (st->space)
            json_object_set_new(o, "space", json_string(st->space));
    }
    char *txt = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(o);
    return txt;
}

/* A cell's hash: the first 16 hex digits of the SHA-256 of its canonical JSON (freed here). */
static void set_hash(senti_cell *c, char *canon)
{
    char hex[65];
    senti_sha256_hex(canon, strlen(canon), hex);
    free(canon);
    memcpy(c->hash, hex, 16);
    c->hash[16] = '\0';
}

static senti_status add_cell(senti_experiment *x, size_t mi, size_t di, size_t vi, size_t si, int shots,
                             uint64_t seed, size_t ci, size_t group, senti_err *err)
{
    const senti_exp_strategy *st = &x->strategies[si];
    senti_cell *c = &x->cells[x->n_cells];
    char name[512], seedpart[32] = "";
    const bool base = st->kind == SENTI_STRATEGY_BASELINE, rec = st->kind == SENTI_STRATEGY_RECIPE,
               sel = st->kind == SENTI_STRATEGY_SELECT;
    if ((shots > 0 && st->kind == SENTI_STRATEGY_FEW_SHOT) || base || sel || st->kind == SENTI_STRATEGY_FINETUNE)
        snprintf(seedpart, sizeof seedpart, ".s%" PRIu64, seed);
    snprintf(name, sizeof name, "%s.%s.%s.%s.k%d%s.%s",
             base ? "baseline" : rec ? "recipe" : sel ? "select" : x->models[mi].name, x->datasets[di].name,
             x->verbalizers[vi].name, st->name, shots, seedpart, st->calibrations[ci]);
    *c = (senti_cell){.index = x->n_cells, .model = base || rec || sel ? NULL : &x->models[mi],
                      .dataset = &x->datasets[di],
                      .verbalizer = &x->verbalizers[vi], .strategy = st, .shots = shots, .seed = seed,
                      .calibration = st->calibrations[ci], .score_group = group};
    x->cell_names[x->n_cells] = senti_xstrdup(name);
    char *canon = senti_cell_canonical_json(c);
    if (!x->cell_names[x->n_cells] || !canon) {
        free(canon);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    c->name = x->cell_names[x->n_cells];
    set_hash(c, canon);
    x->n_cells++;
    return SENTI_OK;
}

static bool dataset_uses(const senti_exp_dataset *d, const senti_exp_verbalizer *v)
{
    return !d->verbalizer || !strcmp(d->verbalizer, v->name);
}

/* The first verbalizer that dataset di is classified with (parse checked that there is one). */
static size_t first_verbalizer(const senti_experiment *x, size_t di)
{
    size_t vi = 0;
    while (vi + 1 < x->n_verbalizers && !dataset_uses(&x->datasets[di], &x->verbalizers[vi]))
        vi++;
    return vi;
}

senti_status senti_experiment_set_rows(senti_experiment *x, size_t limit, size_t sample, senti_err *err)
{
    for (size_t i = 0; i < x->n_datasets; i++) {
        if (limit)
            x->datasets[i].limit = limit;
        if (sample)
            x->datasets[i].sample = sample;
    }
    x->rows_limit = limit;
    x->rows_sample = sample;
    for (size_t i = 0; i < x->n_cells; i++) {
        char *canon = senti_cell_canonical_json(&x->cells[i]);
        if (!canon)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        set_hash(&x->cells[i], canon);
    }
    return SENTI_OK;
}

void senti_experiment_rows_override(const senti_experiment *x, size_t *limit, size_t *sample)
{
    *limit = x->rows_limit;
    *sample = x->rows_sample;
}

/* The first model a strategy runs with (its cells without a model of the grid come with it). */
static size_t first_model(const senti_experiment *x, const senti_exp_strategy *st)
{
    size_t mi = 0;
    while (mi + 1 < x->n_models && !senti_exp_strategy_uses(st, &x->models[mi]))
        mi++;
    return mi;
}

/* Cells of one (model, dataset, verbalizer, strategy). */
static senti_status expand_strategy(senti_experiment *x, size_t mi, size_t di, size_t vi, size_t si, senti_err *err)
{
    const senti_exp_strategy *st = &x->strategies[si];
    senti_status s;
    if (st->kind == SENTI_STRATEGY_BASELINE || st->kind == SENTI_STRATEGY_RECIPE || st->kind == SENTI_STRATEGY_SELECT) {
        /* no model of the grid: once, with the first model (of the strategy) and verbalizer */
        for (size_t r = 0; mi == first_model(x, st) && vi == first_verbalizer(x, di) && r < st->n_seeds; r++)
            if ((s = add_cell(x, mi, di, vi, si, 0, st->seeds[r], 0, x->n_cells, err)))
                return s;
        return SENTI_OK;
    }
    if (st->kind == SENTI_STRATEGY_FINETUNE) { /* one adapter per model and seed */
        for (size_t r = 0; r < st->n_seeds; r++)
            if ((s = add_cell(x, mi, di, vi, si, 0, st->seeds[r], 0, x->n_cells, err)))
                return s;
        return SENTI_OK;
    }
    for (size_t k = 0; k < st->n_shots; k++) {
        /* no demonstrations, no randomness: one seed */
        size_t n_seeds = st->shots[k] == 0 ? 1 : st->n_seeds;
        for (size_t r = 0; r < n_seeds; r++) {
            uint64_t seed = st->shots[k] == 0 ? 0 : st->seeds[r];
            size_t group = x->n_cells;
            for (size_t ci = 0; ci < st->n_calibrations; ci++)
                if ((s = add_cell(x, mi, di, vi, si, st->shots[k], seed, ci, group, err)))
                    return s;
        }
    }
    return SENTI_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Cell names are directory names: no two alike (sorted, so O(n log n)). */
static senti_status check_unique_names(senti_experiment *x, senti_err *err)
{
    char **names = malloc((x->n_cells + 1) * sizeof *names);
    if (!names)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    memcpy(names, x->cell_names, x->n_cells * sizeof *names);
    qsort(names, x->n_cells, sizeof *names, cmp_name);
    senti_status s = SENTI_OK;
    for (size_t i = 1; i < x->n_cells && !s; i++)
        if (!strcmp(names[i - 1], names[i]))
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: two cells are both named %s", x->origin, names[i]);
    free(names);
    return s;
}

bool senti_exp_strategy_uses(const senti_exp_strategy *st, const senti_exp_model *m)
{
    for (size_t i = 0; i < st->n_models; i++)
        if (!strcmp(st->models[i], m->name))
            return true;
    return !st->models;
}

senti_status senti_exp_expand_grid(senti_experiment *x, senti_err *err)
{
    size_t per = 0;
    for (size_t si = 0; si < x->n_strategies; si++)
        per += x->strategies[si].n_shots * x->strategies[si].n_seeds * x->strategies[si].n_calibrations;
    size_t cap = per * x->n_models * x->n_datasets * x->n_verbalizers;
    if (cap > 100000)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: the grid has %zu cells (limit 100000)", x->origin, cap);
    x->cells = calloc(cap, sizeof *x->cells);
    x->cell_names = calloc(cap, sizeof *x->cell_names);
    if (!x->cells || !x->cell_names)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    senti_status s;
    for (size_t mi = 0; mi < x->n_models; mi++)
        for (size_t di = 0; di < x->n_datasets; di++)
            for (size_t vi = 0; vi < x->n_verbalizers; vi++)
                for (size_t si = 0; si < x->n_strategies && dataset_uses(&x->datasets[di], &x->verbalizers[vi]);
                     si++)
                    if (senti_exp_strategy_uses(&x->strategies[si], &x->models[mi]) &&
                        (s = expand_strategy(x, mi, di, vi, si, err)))
                        return s;
    return check_unique_names(x, err);
}

/* ---- accessors ----------------------------------------------------------------------- */

const char *senti_experiment_name(const senti_experiment *x) { return x->name; }
const char *senti_experiment_description(const senti_experiment *x) { return x->description; }
const char *senti_experiment_origin(const senti_experiment *x) { return x->origin; }
const char *senti_experiment_sha256(const senti_experiment *x) { return x->sha256; }
const senti_exp_eval *senti_experiment_eval(const senti_experiment *x) { return &x->eval; }
int senti_experiment_threads(const senti_experiment *x) { return x->threads; }
size_t senti_experiment_n_models(const senti_experiment *x) { return x->n_models; }
const senti_exp_model *senti_experiment_model(const senti_experiment *x, size_t i)
{
    return i < x->n_models ? &x->models[i] : NULL;
}
size_t senti_experiment_n_datasets(const senti_experiment *x) { return x->n_datasets; }
const senti_exp_dataset *senti_experiment_dataset(const senti_experiment *x, size_t i)
{
    return i < x->n_datasets ? &x->datasets[i] : NULL;
}
size_t senti_experiment_n_verbalizers(const senti_experiment *x) { return x->n_verbalizers; }
const senti_exp_verbalizer *senti_experiment_verbalizer(const senti_experiment *x, size_t i)
{
    return i < x->n_verbalizers ? &x->verbalizers[i] : NULL;
}
size_t senti_experiment_n_strategies(const senti_experiment *x) { return x->n_strategies; }
const senti_exp_strategy *senti_experiment_strategy(const senti_experiment *x, size_t i)
{
    return i < x->n_strategies ? &x->strategies[i] : NULL;
}
size_t senti_experiment_n_cells(const senti_experiment *x) { return x->n_cells; }
const senti_cell *senti_experiment_cell(const senti_experiment *x, size_t i)
{
    return i < x->n_cells ? &x->cells[i] : NULL;
}
long senti_experiment_find_cell(const senti_experiment *x, const char *name)
{
    for (size_t i = 0; i < x->n_cells; i++)
        if (!strcmp(x->cells[i].name, name))
            return (long)i;
    return -1;
}
