/*
 * tensor_check.c - scan every tensor of a GGUF file for non-finite values.
 *
 * Each row is dequantized (the same numbers inference
 * would compute from) and checked with isfinite; for quantized types a NaN or
 * infinite scale shows up in every value of its block. Unsupported tensor
 * types are skipped (the model loader refuses them by name anyway). One row
 * buffer, freed before returning.
 */
#include <math.h>
#include <stdlib.h>

#include "senti/gguf.h"
#include "senti/quant.h"

senti_status senti_gguf_check_finite(const senti_gguf *g, size_t *n_checked, senti_err *err)
{
    size_t n = senti_gguf_n_tensors(g), checked = 0, cap = 0;
    float *row = NULL;
    senti_status s = SENTI_OK;
    for (size_t i = 0; i < n && !s; i++) {
        const senti_tensor *t = senti_gguf_tensor(g, i);
        const senti_type_traits *tr = senti_type_info(t->type);
        if (!tr || !tr->supported || t->ne[0] % tr->block_size)
            continue;
        const int64_t cols = t->ne[0], rows = t->ne[1] * t->ne[2] * t->ne[3];
        if ((size_t)cols > cap) {
            float *p = realloc(row, (size_t)cols * sizeof *p);
            if (!p) {
                s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
                break;
            }
            row = p;
            cap = (size_t)cols;
        }
        const size_t row_bytes = senti_type_row_size(t->type, cols);
        for (int64_t r = 0; r < rows && !s; r++) {
            senti_dequant_row(t->type, (const char *)t->data + (size_t)r * row_bytes, row, cols);
            for (int64_t c = 0; c < cols; c++)
                if (!isfinite(row[c])) {
                    s = senti_err_set(err, SENTI_ERR_NUMERIC,
                                      "tensor \"%s\" (data at byte %llu): row %lld, element %lld is %g", t->name,
                                      (unsigned long long)t->offset, (long long)r, (long long)c, (double)row[c]);
                    break;
                }
        }
        checked += !s;
    }
    free(row);
    if (n_checked)
        *n_checked = checked;
    return s;
}
