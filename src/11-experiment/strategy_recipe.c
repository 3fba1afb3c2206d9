/*
 * strategy_recipe.c - cells of kind "recipe" (docs/experiments.md): the
 * evaluated rows of the cell's dataset classified with a recipe of
 * `senti select`, exactly as `senti classify --recipe RECIPE` does (the
 * recipe is checked first: format, its files' and its model's SHA-256).
 */
#include "senti/classify.h"
#include "senti/select.h"

#include "experiment_internal.h"

senti_status senti_exp_recipe_cell(const senti_cell *c, int threads, const char *cache_dir, const char *pred_path,
                                   const char *manifest_path, bool *model_error, senti_err *err)
{
    return senti_exp_apply_recipe(c, c->strategy->recipe, threads, cache_dir, pred_path, manifest_path, model_error,
                                  err);
}

senti_status senti_exp_apply_recipe(const senti_cell *c, const char *recipe, int threads, const char *cache_dir,
                                    const char *pred_path, const char *manifest_path, bool *model_error,
                                    senti_err *err)
{
    const senti_exp_dataset *d = c->dataset;
    senti_classify_params p = senti_classify_default_params();
    p.n_threads = threads;
    p.score_cache_dir = cache_dir;
    p.input_path = d->eval.path;
    senti_exp_eval_data(d, &p.data);
    p.output_path = pred_path;
    p.manifest_path = manifest_path;
    senti_classify_summary sum = {0};
    senti_status s = senti_recipe_classify(recipe, &p, &sum, err);
    *model_error = s && sum.model_error;
    return s;
}
