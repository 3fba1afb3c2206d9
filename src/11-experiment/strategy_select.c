/*
 * strategy_select.c - cells of kind "select" (docs/experiments.md): the
 * select-then-apply protocol inside `senti run`. Per dataset and seed:
 *   1. draw `per_class` rows of each label of the cell's verbalizer from the
 *      dataset's train file with the cell's seed, exactly the rows a
 *      baseline or finetune strategy with the same numbers trains on
 *      (senti_ft_select_rows), and keep them as labelled.csv (id = the row's
 *      data row number in the train file, text, label);
 *   2. `senti select` on them: the strategy's candidate models, budget and
 *      space, the cell's verbalizer (labels, their order, its template and
 *      words joining the space) and seed, a temporary score cache; the
 *      recipe, its files, the ranking and the out-of-fold predictions are
 *      kept in the cell folder (recipe.json, recipe.files/, recipe.ranking.csv,
 *      recipe.ranking.md, recipe.cv.csv);
 *   3. the recipe applied to the evaluated rows exactly as
 *      `senti classify --recipe` does (strategy_recipe.c), with the run's
 *      score cache: predictions.csv and manifest.json like every other cell.
 * So a cell equals `senti select -i labelled.csv --text-col text -v VERB
 * -m MODEL... --space SPACE --budget B --seed S` followed by
 * `senti classify --recipe` run by hand (tests/cli/t_select_strategy.sh).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"
#include "senti/finetune.h"
#include "senti/select.h"
#include "senti/verbalizer.h"

#include "experiment_internal.h"

/* dir/name into out (PATH_MAX), dir being the folder of pred_path. */
static void cell_file(const char *pred_path, const char *name, char *out)
{
    const char *slash = strrchr(pred_path, '/');
    int dir_len = slash ? (int)(slash - pred_path) : 1;
    snprintf(out, PATH_MAX, "%.*s/%s", dir_len, slash ? pred_path : ".", name);
}

/* The drawn rows of `all` (indices idx[0..n)) as id,text,label. */
static senti_status write_rows(const char *path, const senti_examples *all, const size_t *idx, size_t n,
                               senti_err *err)
{
    senti_atomic_file af;
    senti_status s = senti_atomic_open(&af, path, err);
    if (s)
        return s;
    fprintf(af.f, "id,text,label\n");
    for (size_t j = 0; j < n; j++) {
        const senti_example *e = &all->items[idx[j]];
        fprintf(af.f, "%zu,", e->row);
        senti_csv_field(af.f, e->text);
        fputc(',', af.f);
        senti_csv_field(af.f, e->label);
        fputc('\n', af.f);
    }
    return senti_atomic_commit(&af, err);
}

/* Step 1: the cell's labelled rows into `path`. */
static senti_status draw_rows(const senti_cell *c, const char *path, senti_err *err)
{
    senti_dataset_params dp = senti_dataset_default_params();
    senti_exp_train_data(c->dataset, &dp);
    senti_verbalizer *v = NULL;
    senti_examples *all = NULL;
    size_t *tr = NULL, *va = NULL, n_tr = 0, n_va = 0;
    senti_status s = senti_verbalizer_load(c->verbalizer->path, &v, err);
    if (!s)
        s = senti_examples_load(c->dataset->train.path, &dp, &all, err);
    if (!s) {
        tr = malloc((all->n + 1) * sizeof *tr), va = malloc((all->n + 1) * sizeof *va);
        s = tr && va ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    if (!s) /* the rows of a baseline / finetune strategy with the same per_class and seed */
        s = senti_ft_select_rows(all, v, c->strategy->per_class, c->seed, 0.0, tr, &n_tr, va, &n_va, NULL, err);
    if (!s)
        s = write_rows(path, all, tr, n_tr, err);
    free(tr), free(va);
    senti_examples_free(all);
    senti_verbalizer_free(v);
    return s;
}

/* Step 2: senti select on the drawn rows, the recipe into `recipe`. */
static senti_status select_recipe(const senti_cell *c, int threads, const char *rows, const char *recipe,
                                  bool *model_error, senti_err *err)
{
    const senti_exp_strategy *st = c->strategy;
    senti_select_params p = senti_select_default_params();
    p.input_path = rows;
    p.data.text_col = "text", p.data.label_col = "label", p.data.id_col = "id";
    p.models = st->model_paths;
    p.n_models = st->n_model_paths;
    p.space_path = st->space;
    p.verbalizer_path = c->verbalizer->path;
    p.budget_s = st->budget_min * 60.0;
    p.seed = c->seed;
    if (threads > 0)
        p.n_threads = threads;
    p.output_path = recipe;
    senti_select_summary sum = {0};
    senti_status s = senti_select_run(&p, &sum, err);
    *model_error = s && sum.model_error;
    return s;
}

senti_status senti_exp_select_cell(const senti_cell *c, int threads, const char *cache_dir, const char *pred_path,
                                   const char *manifest_path, bool *model_error, senti_err *err)
{
    char rows[PATH_MAX], recipe[PATH_MAX];
    cell_file(pred_path, "labelled.csv", rows);
    cell_file(pred_path, "recipe.json", recipe);
    senti_status s = draw_rows(c, rows, err);
    if (!s)
        s = select_recipe(c, threads, rows, recipe, model_error, err);
    if (!s) /* step 3, as a recipe cell applies its recipe */
        s = senti_exp_apply_recipe(c, recipe, threads, cache_dir, pred_path, manifest_path, model_error, err);
    return s;
}
