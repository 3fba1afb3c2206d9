/*
 * fuzz_experiment.c - experiment JSON: strict parsing, ${VAR} expansion of
 * paths, and the expansion into the grid of cells.
 *
 * A grid that comes out must keep its contract: unique cell names found by
 * name, 16-hex-digit hashes, a canonical JSON for every cell, score groups
 * pointing at an earlier (or the same) cell, shots within the limit.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "senti/experiment.h"

static void check_cell(const senti_experiment *x, size_t i)
{
    const senti_cell *c = senti_experiment_cell(x, i);
    fz_require(c->index == i, "cell index differs from its position");
    fz_require(senti_experiment_find_cell(x, c->name) == (long)i, "cell not found by its name");
    fz_require(strlen(c->hash) == 16 && strspn(c->hash, "0123456789abcdef") == 16, "cell hash not 16 hex digits");
    fz_require(c->score_group <= i, "score group after the cell");
    fz_require(c->shots >= 0 && c->shots <= SENTI_EXP_MAX_SHOTS, "shots out of range");
    fz_require(c->model && c->dataset && c->verbalizer && c->strategy && c->calibration, "cell part missing");
    char *json = senti_cell_canonical_json(c);
    fz_require(json != NULL, "no canonical JSON");
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    senti_experiment *x;
    if (senti_experiment_parse((const char *)data, size, "fuzz.json", "/base", &x, NULL) != SENTI_OK)
        return 0;
    fz_require(senti_experiment_name(x) != NULL, "experiment without a name");
    for (size_t i = 0; i < senti_experiment_n_cells(x); i++)
        check_cell(x, i);
    senti_experiment_free(x);
    return 0;
}
