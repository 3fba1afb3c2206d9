/*
 * select_rows.c - the labelled rows a fine-tuned run or a baseline trains on
 * (senti_ft_select_rows in senti/finetune.h): one seeded draw per label, so
 * that `senti finetune` and the baseline strategy of an experiment given the
 * same file, rows per class and seed use exactly the same rows.
 */
#include "senti/finetune.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

senti_status senti_ft_select_rows(const senti_examples *all, const senti_verbalizer *v, size_t per_class, uint64_t seed,
                                  double val_frac, size_t *tr, size_t *n_tr, size_t *va, size_t *n_va, size_t *avail,
                                  senti_err *err)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    size_t *cls = malloc((all->n ? all->n : 1) * sizeof *cls);
    *n_tr = *n_va = 0;
    if (!rng || !cls) {
        gsl_rng_free(rng);
        free(cls);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    gsl_rng_set(rng, (unsigned long)seed);
    for (size_t l = 0; l < senti_verbalizer_n_labels(v); l++) {
        size_t c = 0;
        for (size_t i = 0; i < all->n; i++)
            if (all->items[i].label && senti_verbalizer_find(v, all->items[i].label) == (int)l)
                cls[c++] = i;
        if (c == 0) { /* a head or an adapter cannot learn a label it never sees */
            free(cls);
            gsl_rng_free(rng);
            return senti_err_set(err, SENTI_ERR_ARG, "label '%s' has no rows in the training data",
                                 senti_verbalizer_label(v, l));
        }
        if (c > 1) /* GSL's shuffle of 1 item draws nothing */
            gsl_ran_shuffle(rng, cls, c, sizeof *cls);
        if (avail)
            avail[l] = c;
        size_t take = per_class && per_class < c ? per_class : c;
        size_t nv = (size_t)floor(val_frac * (double)take + 0.5);
        if (nv >= take)
            nv = take ? take - 1 : 0;
        for (size_t i = 0; i < take; i++) {
            if (i < nv)
                va[(*n_va)++] = cls[i];
            else
                tr[(*n_tr)++] = cls[i];
        }
    }
    qsort(tr, *n_tr, sizeof *tr, cmp_size);
    qsort(va, *n_va, sizeof *va, cmp_size);
    free(cls);
    gsl_rng_free(rng);
    return SENTI_OK;
}
