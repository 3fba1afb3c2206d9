/*
 * fuzz_gguf.c - the GGUF reader (header, metadata, tensor table) and, when a
 * file opens, the model loader on top of it (hyper-parameters, tensor shapes
 * and types, the tokenizer built from the metadata).
 *
 * Beyond "no crash", every view the reader hands out must lie inside the
 * mapped file: keys, string values, array elements and tensor data.
 */
#include "fuzz.h"

#include "senti/gguf.h"
#include "senti/model.h"

static const char *base;
static size_t base_size;

static void require_inside(const void *p, size_t n, const char *what)
{
    const char *c = p;
    fz_require(n == 0 || (c >= base && n <= base_size && (size_t)(c - base) <= base_size - n), what);
}

/* Walk an array value, nested arrays included (depth-limited). */
static void walk_array(const senti_gguf_array *a, int depth)
{
    fz_require(depth < 8, "array nesting deeper than the reader allows");
    for (uint64_t i = 0; i < a->count && i < 4096; i++) {
        if (a->type == SENTI_GGUF_STRING) {
            senti_str s = senti_gguf_arr_str(a, i);
            require_inside(s.ptr, s.len, "string array element outside the file");
        } else if (a->type == SENTI_GGUF_ARRAY) {
            senti_gguf_array sub = senti_gguf_arr_arr(a, i);
            walk_array(&sub, depth + 1);
        }
    }
}

static void walk_metadata(const senti_gguf *g)
{
    for (size_t i = 0; i < senti_gguf_n_kv(g); i++) {
        senti_str key = senti_gguf_kv_key(g, i);
        require_inside(key.ptr, key.len, "key outside the file");
        (void)senti_gguf_type_name(senti_gguf_kv_type(g, i));
        uint64_t u;
        double d;
        senti_str s;
        senti_gguf_array a;
        (void)senti_gguf_kv_u64(g, i, &u);
        (void)senti_gguf_kv_f64(g, i, &d);
        if (senti_gguf_kv_str(g, i, &s) == SENTI_OK)
            require_inside(s.ptr, s.len, "string value outside the file");
        if (senti_gguf_kv_arr(g, i, &a) == SENTI_OK)
            walk_array(&a, 0);
    }
}

static void walk_tensors(const senti_gguf *g)
{
    for (size_t i = 0; i < senti_gguf_n_tensors(g); i++) {
        const senti_tensor *t = senti_gguf_tensor(g, i);
        fz_require(t->n_dims >= 1 && t->n_dims <= SENTI_GGUF_MAX_DIMS, "tensor rank out of range");
        require_inside(t->data, t->nbytes, "tensor data outside the file");
        fz_require(senti_gguf_find_tensor(g, t->name) != NULL, "a listed tensor is not found by name");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_input_path(data, size);
    senti_gguf *g;
    if (senti_gguf_open(path, &g, NULL) != SENTI_OK)
        return 0;
    base = senti_gguf_data(g, &base_size);
    fz_require(base_size == size, "mapped size differs from the file size");
    walk_metadata(g);
    walk_tensors(g);
    uint32_t u;
    senti_str s;
    (void)senti_gguf_get_u32(g, "general.alignment", &u, NULL);
    (void)senti_gguf_get_str(g, "general.architecture", &s, NULL);
    senti_gguf_close(g);

    senti_model *m;
    if (senti_model_load(path, NULL, &m, NULL) == SENTI_OK)
        senti_model_free(m);
    return 0;
}
