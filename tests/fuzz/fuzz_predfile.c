/*
 * fuzz_predfile.c - the predictions reader: with the default parameters, then
 * renormalizing with an explicit "label=col" probability list.
 *
 * On success the result must be self-consistent: every gold and pred index is
 * a label, every probability row is finite, in [0, 1] and sums to 1.
 */
#include "fuzz.h"

#include <math.h>

#include "senti/predfile.h"

static void check(const senti_predfile *pf)
{
    fz_require(pf->k >= 1 || pf->n == 0, "rows without labels");
    for (size_t i = 0; i < pf->n; i++) {
        fz_require(pf->gold[i] >= 0 && pf->gold[i] < pf->k, "gold index outside the labels");
        fz_require(pf->pred[i] >= 0 && pf->pred[i] < pf->k, "pred index outside the labels");
        if (!pf->prob)
            continue;
        double sum = 0;
        for (int j = 0; j < pf->k; j++) {
            double p = pf->prob[i * (size_t)pf->k + (size_t)j];
            fz_require(isfinite(p) && p >= 0 && p <= 1, "probability not in [0, 1]");
            sum += p;
        }
        fz_require(fabs(sum - 1) < 1e-3, "probability row does not sum to 1");
    }
    for (int j = 0; j < pf->k; j++)
        fz_require(senti_predfile_label_index(pf, pf->labels[j]) >= 0, "label not found by name");
}

static void read_one(const char *path, const senti_predfile_params *p)
{
    senti_predfile pf;
    if (senti_predfile_read(path, p, &pf, NULL) != SENTI_OK)
        return;
    check(&pf);
    senti_predfile_free(&pf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_input_path(data, size);
    senti_predfile_params p = senti_predfile_default_params();
    read_one(path, &p);
    p.renormalize = 1;
    p.prob_cols = "neg=p_0,pos=p_1,p_2";
    read_one(path, &p);
    return 0;
}
