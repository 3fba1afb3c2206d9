/*
 * gguf_write.c - build a GGUF v3 file in memory and write it out.
 *
 * Metadata is serialised as it is set, into one growing byte buffer laid out
 * exactly as in the file; tensors are kept as a list of copies and laid out at
 * write time, each at an offset aligned to 32 bytes.
 */
#include "senti/gguf_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"
#include "senti/quant.h"

#define WRITE_ALIGNMENT 32

typedef struct {
    char *name;
    int type;
    int n_dims;
    int64_t ne[SENTI_GGUF_MAX_DIMS];
    void *data;
    size_t nbytes;
} wtensor;

typedef struct {
    uint8_t *p;
    size_t len, cap;
} bytes;

struct senti_gguf_writer {
    bytes kv;          /* serialised key-value pairs */
    uint64_t n_kv;
    wtensor *tensors;
    size_t n_tensors, cap_tensors;
};

static senti_status put(bytes *b, const void *src, size_t n)
{
    if (n == 0) /* an empty array may come as NULL; memcpy must not see it */
        return SENTI_OK;
    uint8_t *p = senti_grow(b->p, &b->cap, b->len + n, 1, 256);
    if (!p)
        return SENTI_ERR_NOMEM;
    b->p = p;
    memcpy(b->p + b->len, src, n);
    b->len += n;
    return SENTI_OK;
}

static senti_status put_u32(bytes *b, uint32_t v) { return put(b, &v, 4); }
static senti_status put_u64(bytes *b, uint64_t v) { return put(b, &v, 8); }

static senti_status put_str(bytes *b, const char *s)
{
    size_t n = strlen(s);
    senti_status st = put_u64(b, n);
    return st ? st : put(b, s, n);
}

/* key, then value type: the common start of every setter. */
static senti_status put_key(senti_gguf_writer *w, const char *key, senti_gguf_type type)
{
    senti_status s = put_str(&w->kv, key);
    if (!s)
        s = put_u32(&w->kv, (uint32_t)type);
    if (!s)
        w->n_kv++;
    return s;
}

senti_gguf_writer *senti_gguf_writer_new(void) { return calloc(1, sizeof(senti_gguf_writer)); }

void senti_gguf_writer_free(senti_gguf_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_tensors; i++) {
        free(w->tensors[i].name);
        free(w->tensors[i].data);
    }
    free(w->tensors);
    free(w->kv.p);
    free(w);
}

static senti_status set_scalar(senti_gguf_writer *w, const char *key, senti_gguf_type t, const void *v, size_t n)
{
    senti_status s = put_key(w, key, t);
    return s ? s : put(&w->kv, v, n);
}

senti_status senti_gguf_writer_set_u32(senti_gguf_writer *w, const char *key, uint32_t v)
{
    return set_scalar(w, key, SENTI_GGUF_UINT32, &v, 4);
}

senti_status senti_gguf_writer_set_i32(senti_gguf_writer *w, const char *key, int32_t v)
{
    return set_scalar(w, key, SENTI_GGUF_INT32, &v, 4);
}

senti_status senti_gguf_writer_set_u64(senti_gguf_writer *w, const char *key, uint64_t v)
{
    return set_scalar(w, key, SENTI_GGUF_UINT64, &v, 8);
}

senti_status senti_gguf_writer_set_f32(senti_gguf_writer *w, const char *key, float v)
{
    return set_scalar(w, key, SENTI_GGUF_FLOAT32, &v, 4);
}

senti_status senti_gguf_writer_set_bool(senti_gguf_writer *w, const char *key, bool v)
{
    uint8_t b = v ? 1 : 0;
    return set_scalar(w, key, SENTI_GGUF_BOOL, &b, 1);
}

senti_status senti_gguf_writer_set_str(senti_gguf_writer *w, const char *key, const char *v)
{
    senti_status s = put_key(w, key, SENTI_GGUF_STRING);
    return s ? s : put_str(&w->kv, v);
}

static senti_status put_arr_header(senti_gguf_writer *w, const char *key, senti_gguf_type et, size_t n)
{
    senti_status s = put_key(w, key, SENTI_GGUF_ARRAY);
    if (!s)
        s = put_u32(&w->kv, (uint32_t)et);
    if (!s)
        s = put_u64(&w->kv, n);
    return s;
}

senti_status senti_gguf_writer_set_arr_str(senti_gguf_writer *w, const char *key, const char *const *v, size_t n)
{
    senti_status s = put_arr_header(w, key, SENTI_GGUF_STRING, n);
    for (size_t i = 0; i < n && !s; i++)
        s = put_str(&w->kv, v[i]);
    return s;
}

senti_status senti_gguf_writer_set_arr_i32(senti_gguf_writer *w, const char *key, const int32_t *v, size_t n)
{
    senti_status s = put_arr_header(w, key, SENTI_GGUF_INT32, n);
    return s ? s : put(&w->kv, v, n * 4);
}

senti_status senti_gguf_writer_set_arr_f32(senti_gguf_writer *w, const char *key, const float *v, size_t n)
{
    senti_status s = put_arr_header(w, key, SENTI_GGUF_FLOAT32, n);
    return s ? s : put(&w->kv, v, n * 4);
}

senti_status senti_gguf_writer_add_tensor(senti_gguf_writer *w, const char *name, int type, int n_dims,
                                          const int64_t *ne, const void *data)
{
    if (n_dims < 1 || n_dims > SENTI_GGUF_MAX_DIMS || !senti_type_info(type))
        return SENTI_ERR_ARG;
    int64_t rows = 1;
    for (int d = 1; d < n_dims; d++)
        rows *= ne[d];
    size_t row = senti_type_row_size(type, ne[0]);
    if (row == 0 || rows < 1)
        return SENTI_ERR_ARG;
    wtensor *ts = senti_grow(w->tensors, &w->cap_tensors, w->n_tensors + 1, sizeof *ts, 16);
    if (!ts)
        return SENTI_ERR_NOMEM;
    w->tensors = ts;
    wtensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    t->nbytes = row * (size_t)rows;
    t->name = strdup(name);
    t->data = malloc(t->nbytes);
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        return SENTI_ERR_NOMEM;
    }
    memcpy(t->data, data, t->nbytes);
    t->type = type;
    t->n_dims = n_dims;
    for (int d = 0; d < SENTI_GGUF_MAX_DIMS; d++)
        t->ne[d] = d < n_dims ? ne[d] : 1;
    w->n_tensors++;
    return SENTI_OK;
}

static size_t align_up(size_t x) { return (x + WRITE_ALIGNMENT - 1) / WRITE_ALIGNMENT * WRITE_ALIGNMENT; }

/* Header, metadata and tensor infos, padded to the alignment. */
static senti_status build_head(const senti_gguf_writer *w, bytes *h)
{
    senti_status s = put_u32(h, 0x46554747u);
    if (!s) s = put_u32(h, 3);
    if (!s) s = put_u64(h, w->n_tensors);
    if (!s) s = put_u64(h, w->n_kv);
    if (!s && w->kv.len) s = put(h, w->kv.p, w->kv.len);
    size_t offset = 0;
    for (size_t i = 0; i < w->n_tensors && !s; i++) {
        const wtensor *t = &w->tensors[i];
        s = put_str(h, t->name);
        if (!s) s = put_u32(h, (uint32_t)t->n_dims);
        for (int d = 0; d < t->n_dims && !s; d++)
            s = put_u64(h, (uint64_t)t->ne[d]);
        if (!s) s = put_u32(h, (uint32_t)t->type);
        if (!s) s = put_u64(h, offset);
        offset = align_up(offset + t->nbytes);
    }
    static const uint8_t zeros[WRITE_ALIGNMENT];
    if (!s)
        s = put(h, zeros, align_up(h->len) - h->len);
    return s;
}

senti_status senti_gguf_writer_write(const senti_gguf_writer *w, const char *path, senti_err *err)
{
    bytes h = {0};
    if (build_head(w, &h)) {
        free(h.p);
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(h.p);
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    static const uint8_t zeros[WRITE_ALIGNMENT];
    int ok = fwrite(h.p, 1, h.len, f) == h.len;
    for (size_t i = 0; i < w->n_tensors && ok; i++) {
        const wtensor *t = &w->tensors[i];
        size_t pad = align_up(t->nbytes) - t->nbytes;
        ok = fwrite(t->data, 1, t->nbytes, f) == t->nbytes && fwrite(zeros, 1, pad, f) == pad;
    }
    free(h.p);
    if (fclose(f) != 0 || !ok)
        return senti_err_set(err, SENTI_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return SENTI_OK;
}
