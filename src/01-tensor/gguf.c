/*
 * gguf.c - strict, read-only GGUF v2/v3 reader over mmap.
 *
 * File layout (all little-endian):
 *   u32 magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
 *   n_kv      x { string key | u32 type | value }
 *   n_tensors x { string name | u32 n_dims | u64 ne[n_dims] | u32 type | u64 offset }
 *   padding to `general.alignment` (default 32)
 *   tensor data; each tensor at data_start + offset, offset aligned.
 * A string is { u64 length | bytes }; an array is { u32 elem type | u64 count | elems }.
 *
 * Every read goes through a cursor that knows how many bytes remain, so a
 * count or length that points past the end of the file is reported with its
 * byte offset instead of being followed. Strings and arrays are views into the
 * map; only the index tables (key list, tensor list, string-array offsets) are
 * allocated, and all of them are released by senti_gguf_close().
 */
#include "senti/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "00-base/base.h"
#include "senti/quant.h"

#define GGUF_MAGIC 0x46554747u /* "GGUF" read as a little-endian u32 */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_NAME 64       /* tensor names, as in ggml */
#define GGUF_MAX_DEPTH 4       /* nesting of arrays of arrays */

typedef struct {
    senti_str key;
    senti_gguf_type type;
    const uint8_t *val;     /* start of the value's bytes in the map */
    senti_gguf_array arr;   /* when type == ARRAY */
} gguf_kv;

struct senti_gguf {
    char *path;
    const uint8_t *map;
    size_t size;
    uint32_t version;
    uint32_t alignment;
    size_t n_kv;
    gguf_kv *kv;
    size_t n_tensors;
    senti_tensor *tensors;
    char *names;            /* n_tensors NUL-terminated names, GGUF_MAX_NAME each */
    void **allocs;          /* index tables for string arrays and nested arrays */
    size_t n_allocs, cap_allocs;
};

/* A bounded reader over the map. `what` names the field being read for errors. */
typedef struct {
    const senti_gguf *g;
    size_t pos;
    senti_err *err;
} cursor;

static senti_status fail(cursor *c, const char *what, const char *problem)
{
    return senti_err_set(c->err, SENTI_ERR_FORMAT, "%s: offset %zu: %s: %s", c->g->path, c->pos, what,
                         problem);
}

static senti_status need(cursor *c, uint64_t n, const char *what)
{
    if (n > c->g->size - c->pos)
        return fail(c, what, "runs past the end of the file (truncated or corrupt)");
    return SENTI_OK;
}

static senti_status read_bytes(cursor *c, void *dst, size_t n, const char *what)
{
    senti_status s = need(c, n, what);
    if (s)
        return s;
    memcpy(dst, c->g->map + c->pos, n);
    c->pos += n;
    return SENTI_OK;
}

static senti_status read_u32(cursor *c, uint32_t *v, const char *what) { return read_bytes(c, v, 4, what); }
static senti_status read_u64(cursor *c, uint64_t *v, const char *what) { return read_bytes(c, v, 8, what); }

static senti_status read_str(cursor *c, senti_str *s, const char *what)
{
    uint64_t len;
    senti_status st = read_u64(c, &len, what);
    if (st)
        return st;
    if ((st = need(c, len, what)))
        return st;
    s->ptr = (const char *)c->g->map + c->pos;
    s->len = (size_t)len;
    c->pos += (size_t)len;
    return SENTI_OK;
}

static size_t scalar_size(senti_gguf_type t)
{
    switch (t) {
    case SENTI_GGUF_UINT8: case SENTI_GGUF_INT8: case SENTI_GGUF_BOOL: return 1;
    case SENTI_GGUF_UINT16: case SENTI_GGUF_INT16: return 2;
    case SENTI_GGUF_UINT32: case SENTI_GGUF_INT32: case SENTI_GGUF_FLOAT32: return 4;
    case SENTI_GGUF_UINT64: case SENTI_GGUF_INT64: case SENTI_GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

static void *track(senti_gguf *g, size_t bytes)
{
    void **a = senti_grow(g->allocs, &g->cap_allocs, g->n_allocs + 1, sizeof *a, 16);
    if (!a)
        return NULL;
    g->allocs = a;
    void *p = malloc(bytes ? bytes : 1);
    if (p)
        g->allocs[g->n_allocs++] = p;
    return p;
}

static senti_status read_value(cursor *c, senti_gguf_type type, senti_gguf_array *arr, int depth);

/* An array: elem type, count, then the elements. String arrays get an index
 * of string starts; arrays of arrays get a table of child descriptors. */
static senti_status read_array(cursor *c, senti_gguf_array *arr, int depth)
{
    senti_gguf *g = (senti_gguf *)c->g;
    uint32_t et;
    uint64_t count;
    senti_status s;
    if ((s = read_u32(c, &et, "array element type")) || (s = read_u64(c, &count, "array length")))
        return s;
    if (et >= SENTI_GGUF_TYPE_COUNT)
        return fail(c, "array element type", "unknown value type");
    if (depth >= GGUF_MAX_DEPTH)
        return fail(c, "array", "arrays nested too deeply");
    arr->type = (senti_gguf_type)et;
    arr->count = count;
    arr->data = g->map + c->pos;
    arr->priv = NULL;
    size_t es = scalar_size(arr->type);
    if (es) {
        if (count > (g->size - c->pos) / es)
            return fail(c, "array length", "larger than the rest of the file");
        c->pos += (size_t)(count * es);
        return SENTI_OK;
    }
    /* Variable-size elements: each takes at least 8 bytes (a string length or
     * an array header), which bounds the count before we allocate for it. */
    if (count > (g->size - c->pos) / 8)
        return fail(c, "array length", "larger than the rest of the file");
    if (arr->type == SENTI_GGUF_STRING) {
        const char **starts = track(g, (size_t)count * sizeof *starts);
        if (!starts)
            return senti_err_set(c->err, SENTI_ERR_NOMEM, "%s: out of memory indexing an array", g->path);
        for (uint64_t i = 0; i < count; i++) {
            starts[i] = (const char *)g->map + c->pos;
            senti_str tmp;
            if ((s = read_str(c, &tmp, "string in array")))
                return s;
        }
        arr->priv = starts;
        return SENTI_OK;
    }
    /* array of arrays */
    senti_gguf_array *kids = track(g, (size_t)count * sizeof *kids);
    if (!kids)
        return senti_err_set(c->err, SENTI_ERR_NOMEM, "%s: out of memory indexing an array", g->path);
    for (uint64_t i = 0; i < count; i++)
        if ((s = read_value(c, SENTI_GGUF_ARRAY, &kids[i], depth + 1)))
            return s;
    arr->priv = kids;
    return SENTI_OK;
}

static senti_status read_value(cursor *c, senti_gguf_type type, senti_gguf_array *arr, int depth)
{
    if (type == SENTI_GGUF_STRING) {
        senti_str tmp;
        return read_str(c, &tmp, "string value");
    }
    if (type == SENTI_GGUF_ARRAY)
        return read_array(c, arr, depth);
    size_t n = scalar_size(type);
    if (!n)
        return fail(c, "value type", "unknown value type");
    senti_status s = need(c, n, "value");
    if (s)
        return s;
    if (type == SENTI_GGUF_BOOL && c->g->map[c->pos] > 1)
        return fail(c, "bool value", "neither 0 nor 1");
    c->pos += n;
    return SENTI_OK;
}

static int cmp_str(const void *a, const void *b)
{
    const senti_str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->ptr, y->ptr, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Names must be unique: sort a copy and compare neighbours (O(n log n), so a
 * hostile file with millions of entries cannot make us quadratic). */
static senti_status check_unique(senti_gguf *g, senti_str *names, size_t n, const char *what, senti_err *err)
{
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 1; i < n; i++)
        if (!cmp_str(&names[i - 1], &names[i]))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: duplicate %s '%.*s'", g->path, what,
                                 (int)names[i].len, names[i].ptr);
    return SENTI_OK;
}

static senti_status read_kvs(senti_gguf *g, cursor *c, uint64_t n_kv, senti_err *err)
{
    /* each key-value takes at least 8 (key length) + 4 (type) + 1 bytes */
    if (n_kv > (g->size - c->pos) / 13)
        return fail(c, "metadata count", "larger than the file can hold");
    g->kv = calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv);
    senti_str *keys = malloc((n_kv ? (size_t)n_kv : 1) * sizeof *keys);
    if (!g->kv || !keys) {
        free(keys);
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", g->path);
    }
    senti_status s = SENTI_OK;
    for (uint64_t i = 0; i < n_kv && !s; i++) {
        gguf_kv *kv = &g->kv[i];
        uint32_t type;
        if ((s = read_str(c, &kv->key, "metadata key")) || (s = read_u32(c, &type, "metadata value type")))
            break;
        if (kv->key.len == 0) {
            s = fail(c, "metadata key", "empty key");
            break;
        }
        if (type >= SENTI_GGUF_TYPE_COUNT) {
            s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: offset %zu: metadata '%.*s': unknown value type %u",
                              g->path, c->pos - 4, (int)kv->key.len, kv->key.ptr, type);
            break;
        }
        kv->type = (senti_gguf_type)type;
        kv->val = g->map + c->pos;
        s = read_value(c, kv->type, &kv->arr, 0);
        keys[i] = kv->key;
        g->n_kv = (size_t)i + 1;
    }
    if (!s)
        s = check_unique(g, keys, g->n_kv, "metadata key", err);
    free(keys);
    return s;
}

static senti_status read_tensor_info(senti_gguf *g, cursor *c, size_t i, senti_err *err)
{
    senti_tensor *t = &g->tensors[i];
    senti_str name;
    uint32_t n_dims, type;
    senti_status s;
    if ((s = read_str(c, &name, "tensor name")))
        return s;
    if (name.len == 0 || name.len >= GGUF_MAX_NAME || memchr(name.ptr, 0, name.len))
        return fail(c, "tensor name", "empty, too long (>= 64 bytes) or contains NUL");
    char *dst = g->names + i * GGUF_MAX_NAME;
    memcpy(dst, name.ptr, name.len);
    dst[name.len] = '\0';
    t->name = dst;
    if ((s = read_u32(c, &n_dims, "tensor dimension count")))
        return s;
    if (n_dims < 1 || n_dims > SENTI_GGUF_MAX_DIMS)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': %u dimensions (1..%d allowed)", g->path,
                             dst, n_dims, SENTI_GGUF_MAX_DIMS);
    t->n_dims = (int)n_dims;
    uint64_t nel = 1;
    for (int d = 0; d < SENTI_GGUF_MAX_DIMS; d++) {
        uint64_t ne = 1;
        if (d < (int)n_dims && (s = read_u64(c, &ne, "tensor dimension")))
            return s;
        if (ne == 0 || ne > (uint64_t)INT64_MAX || nel > (uint64_t)INT64_MAX / ne)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': dimension %d is %llu (zero or overflowing)",
                                 g->path, dst, d, (unsigned long long)ne);
        nel *= ne;
        t->ne[d] = (int64_t)ne;
    }
    if ((s = read_u32(c, &type, "tensor type")) || (s = read_u64(c, &t->offset, "tensor data offset")))
        return s;
    const senti_type_traits *tr = senti_type_info((int)type);
    if (!tr)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': unknown tensor type %u", g->path, dst, type);
    t->type = (int)type;
    if (t->ne[0] % tr->block_size)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': row length %lld is not a multiple of %s's block size %d",
                             g->path, dst, (long long)t->ne[0], tr->name, tr->block_size);
    uint64_t rows = nel / (uint64_t)t->ne[0];
    uint64_t row_bytes = (uint64_t)(t->ne[0] / tr->block_size) * tr->type_size;
    if (row_bytes && rows > UINT64_MAX / row_bytes)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': size overflows", g->path, dst);
    t->nbytes = (size_t)(rows * row_bytes);
    return SENTI_OK;
}

/* Place each tensor: its offset must be aligned and its bytes inside the file. */
static senti_status place_tensors(senti_gguf *g, size_t data_start, senti_err *err)
{
    for (size_t i = 0; i < g->n_tensors; i++) {
        senti_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': data offset %llu is not a multiple of the alignment %u",
                                 g->path, t->name, (unsigned long long)t->offset, g->alignment);
        if (t->offset > g->size - data_start || t->nbytes > g->size - data_start - t->offset)
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s: tensor '%s': data [%llu, +%zu) lies past the end of the file (%zu bytes; truncated?)",
                                 g->path, t->name, (unsigned long long)(data_start + t->offset), t->nbytes, g->size);
        t->data = g->map + data_start + t->offset;
    }
    return SENTI_OK;
}

static senti_status read_tensors(senti_gguf *g, cursor *c, uint64_t n_tensors, senti_err *err)
{
    /* each tensor info takes at least 8 + 1 + 4 + 8 + 4 + 8 bytes */
    if (n_tensors > (g->size - c->pos) / 33)
        return fail(c, "tensor count", "larger than the file can hold");
    size_t n = (size_t)n_tensors;
    g->tensors = calloc(n ? n : 1, sizeof *g->tensors);
    g->names = calloc(n ? n : 1, GGUF_MAX_NAME);
    senti_str *names = malloc((n ? n : 1) * sizeof *names);
    if (!g->tensors || !g->names || !names) {
        free(names);
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", g->path);
    }
    senti_status s = SENTI_OK;
    for (size_t i = 0; i < n && !s; i++) {
        s = read_tensor_info(g, c, i, err);
        g->n_tensors = i + 1;
        names[i].ptr = g->tensors[i].name ? g->tensors[i].name : "";
        names[i].len = strlen(names[i].ptr);
    }
    if (!s)
        s = check_unique(g, names, g->n_tensors, "tensor name", err);
    free(names);
    if (s)
        return s;
    size_t data_start = c->pos + (g->alignment - c->pos % g->alignment) % g->alignment;
    if (n > 0 && data_start > g->size)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: the tensor data section starts past the end of the file", g->path);
    return place_tensors(g, data_start, err);
}

static senti_status read_alignment(senti_gguf *g, senti_err *err)
{
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (senti_gguf_find_key(g, "general.alignment") < 0)
        return SENTI_OK;
    uint32_t a;
    senti_status s = senti_gguf_get_u32(g, "general.alignment", &a, err);
    if (s)
        return s;
    if (a == 0 || (a & (a - 1)))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: general.alignment = %u is not a power of two", g->path, a);
    g->alignment = a;
    return SENTI_OK;
}

static senti_status parse(senti_gguf *g, senti_err *err)
{
    cursor c = {g, 0, err};
    uint32_t magic;
    uint64_t n_tensors, n_kv;
    senti_status s;
    if ((s = read_u32(&c, &magic, "magic")))
        return s;
    if (magic != GGUF_MAGIC)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: not a GGUF file (bad magic at offset 0)", g->path);
    if ((s = read_u32(&c, &g->version, "version")))
        return s;
    if (g->version != 2 && g->version != 3)
        return senti_err_set(err, SENTI_ERR_UNSUPPORTED, "%s: GGUF version %u is not supported (2 and 3 are)",
                             g->path, g->version);
    if ((s = read_u64(&c, &n_tensors, "tensor count")) || (s = read_u64(&c, &n_kv, "metadata count")))
        return s;
    if ((s = read_kvs(g, &c, n_kv, err)) || (s = read_alignment(g, err)))
        return s;
    return read_tensors(g, &c, n_tensors, err);
}

senti_status senti_gguf_open(const char *path, senti_gguf **out, senti_err *err)
{
    *out = NULL;
    senti_gguf *g = calloc(1, sizeof *g);
    if (!g || !(g->path = strdup(path))) {
        free(g);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        senti_err_set(err, SENTI_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        senti_gguf_close(g);
        return SENTI_ERR_IO;
    }
    struct stat st;
    senti_status s = SENTI_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        s = senti_err_set(err, SENTI_ERR_IO, "%s: not a regular file", path);
    else if (st.st_size < 24)
        s = senti_err_set(err, SENTI_ERR_FORMAT, "%s: %lld bytes is too short for a GGUF header", path,
                          (long long)st.st_size);
    if (!s) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            s = senti_err_set(err, SENTI_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
        else {
            g->map = m;
            g->size = (size_t)st.st_size;
        }
    }
    close(fd);
    if (!s)
        s = parse(g, err);
    if (s) {
        senti_gguf_close(g);
        return s;
    }
    *out = g;
    return SENTI_OK;
}

void senti_gguf_close(senti_gguf *g)
{
    if (!g)
        return;
    if (g->map)
        munmap((void *)g->map, g->size);
    for (size_t i = 0; i < g->n_allocs; i++)
        free(g->allocs[i]);
    free(g->allocs);
    free(g->kv);
    free(g->tensors);
    free(g->names);
    free(g->path);
    free(g);
}

/* ---- accessors ------------------------------------------------------------ */

uint32_t senti_gguf_version(const senti_gguf *g) { return g->version; }
const char *senti_gguf_path(const senti_gguf *g) { return g->path; }
uint32_t senti_gguf_alignment(const senti_gguf *g) { return g->alignment; }
size_t senti_gguf_n_kv(const senti_gguf *g) { return g->n_kv; }
size_t senti_gguf_n_tensors(const senti_gguf *g) { return g->n_tensors; }

const void *senti_gguf_data(const senti_gguf *g, size_t *size)
{
    if (size)
        *size = g->size;
    return g->map;
}

int64_t senti_gguf_find_key(const senti_gguf *g, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < g->n_kv; i++)
        if (g->kv[i].key.len == n && !memcmp(g->kv[i].key.ptr, key, n))
            return (int64_t)i;
    return -1;
}

senti_str senti_gguf_kv_key(const senti_gguf *g, size_t i) { return g->kv[i].key; }
senti_gguf_type senti_gguf_kv_type(const senti_gguf *g, size_t i) { return g->kv[i].type; }

const char *senti_gguf_type_name(senti_gguf_type t)
{
    static const char *names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                  "bool", "str", "arr", "u64", "i64", "f64"};
    return (unsigned)t < SENTI_GGUF_TYPE_COUNT ? names[t] : "unknown";
}

const senti_tensor *senti_gguf_tensor(const senti_gguf *g, size_t i)
{
    return i < g->n_tensors ? &g->tensors[i] : NULL;
}

const senti_tensor *senti_gguf_find_tensor(const senti_gguf *g, const char *name)
{
    for (size_t i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name))
            return &g->tensors[i];
    return NULL;
}

/* Read a signed or unsigned integer of any width as int64 (u64 > INT64_MAX fails). */
static int kv_int(const gguf_kv *kv, int64_t *v)
{
    const uint8_t *p = kv->val;
    switch (kv->type) {
    case SENTI_GGUF_UINT8: *v = *p; return 1;
    case SENTI_GGUF_INT8: *v = (int8_t)*p; return 1;
    case SENTI_GGUF_UINT16: { uint16_t x; memcpy(&x, p, 2); *v = x; return 1; }
    case SENTI_GGUF_INT16: { int16_t x; memcpy(&x, p, 2); *v = x; return 1; }
    case SENTI_GGUF_UINT32: { uint32_t x; memcpy(&x, p, 4); *v = x; return 1; }
    case SENTI_GGUF_INT32: { int32_t x; memcpy(&x, p, 4); *v = x; return 1; }
    case SENTI_GGUF_UINT64: { uint64_t x; memcpy(&x, p, 8); if (x > (uint64_t)INT64_MAX) return 0; *v = (int64_t)x; return 1; }
    case SENTI_GGUF_INT64: { int64_t x; memcpy(&x, p, 8); *v = x; return 1; }
    default: return 0;
    }
}

static senti_status lookup(const senti_gguf *g, const char *key, const gguf_kv **kv, senti_err *err)
{
    int64_t i = senti_gguf_find_key(g, key);
    if (i < 0)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s: metadata key '%s' not found", g->path, key);
    *kv = &g->kv[i];
    return SENTI_OK;
}

static senti_status wrong_type(const senti_gguf *g, const char *key, const gguf_kv *kv, const char *want,
                               senti_err *err)
{
    return senti_err_set(err, SENTI_ERR_FORMAT, "%s: metadata '%s' has type %s, expected %s", g->path, key,
                         senti_gguf_type_name(kv->type), want);
}

senti_status senti_gguf_get_i64(const senti_gguf *g, const char *key, int64_t *out, senti_err *err)
{
    const gguf_kv *kv = NULL;
    senti_status s = lookup(g, key, &kv, err);
    if (s)
        return s;
    if (!kv_int(kv, out))
        return wrong_type(g, key, kv, "an integer", err);
    return SENTI_OK;
}

senti_status senti_gguf_get_u32(const senti_gguf *g, const char *key, uint32_t *out, senti_err *err)
{
    int64_t v;
    senti_status s = senti_gguf_get_i64(g, key, &v, err);
    if (s)
        return s;
    if (v < 0 || v > (int64_t)UINT32_MAX)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: metadata '%s' = %lld is out of range", g->path, key,
                             (long long)v);
    *out = (uint32_t)v;
    return SENTI_OK;
}

senti_status senti_gguf_kv_f64(const senti_gguf *g, size_t i, double *out)
{
    const gguf_kv *kv = &g->kv[i];
    int64_t iv;
    if (kv->type == SENTI_GGUF_FLOAT32) {
        float f;
        memcpy(&f, kv->val, 4);
        *out = f;
    } else if (kv->type == SENTI_GGUF_FLOAT64) {
        memcpy(out, kv->val, 8);
    } else if (kv_int(kv, &iv)) {
        *out = (double)iv;
    } else {
        return SENTI_ERR_FORMAT;
    }
    return SENTI_OK;
}

senti_status senti_gguf_get_f32(const senti_gguf *g, const char *key, float *out, senti_err *err)
{
    const gguf_kv *kv = NULL;
    senti_status s = lookup(g, key, &kv, err);
    if (s)
        return s;
    double d;
    if (senti_gguf_kv_f64(g, (size_t)(kv - g->kv), &d))
        return wrong_type(g, key, kv, "a number", err);
    *out = (float)d;
    return SENTI_OK;
}

senti_status senti_gguf_get_bool(const senti_gguf *g, const char *key, bool *out, senti_err *err)
{
    const gguf_kv *kv = NULL;
    senti_status s = lookup(g, key, &kv, err);
    if (s)
        return s;
    if (kv->type != SENTI_GGUF_BOOL)
        return wrong_type(g, key, kv, "bool", err);
    *out = kv->val[0] != 0;
    return SENTI_OK;
}

senti_status senti_gguf_kv_str(const senti_gguf *g, size_t i, senti_str *out)
{
    const gguf_kv *kv = &g->kv[i];
    if (kv->type != SENTI_GGUF_STRING)
        return SENTI_ERR_FORMAT;
    uint64_t len;
    memcpy(&len, kv->val, 8);
    out->ptr = (const char *)kv->val + 8;
    out->len = (size_t)len;
    return SENTI_OK;
}

senti_status senti_gguf_get_str(const senti_gguf *g, const char *key, senti_str *out, senti_err *err)
{
    const gguf_kv *kv = NULL;
    senti_status s = lookup(g, key, &kv, err);
    if (s)
        return s;
    if (senti_gguf_kv_str(g, (size_t)(kv - g->kv), out))
        return wrong_type(g, key, kv, "str", err);
    return SENTI_OK;
}

senti_status senti_gguf_kv_arr(const senti_gguf *g, size_t i, senti_gguf_array *out)
{
    if (g->kv[i].type != SENTI_GGUF_ARRAY)
        return SENTI_ERR_FORMAT;
    *out = g->kv[i].arr;
    return SENTI_OK;
}

senti_status senti_gguf_get_arr(const senti_gguf *g, const char *key, senti_gguf_array *out, senti_err *err)
{
    const gguf_kv *kv = NULL;
    senti_status s = lookup(g, key, &kv, err);
    if (s)
        return s;
    if (kv->type != SENTI_GGUF_ARRAY)
        return wrong_type(g, key, kv, "arr", err);
    *out = kv->arr;
    return SENTI_OK;
}

senti_status senti_gguf_kv_u64(const senti_gguf *g, size_t i, uint64_t *out)
{
    const gguf_kv *kv = &g->kv[i];
    if (kv->type == SENTI_GGUF_UINT64) {
        memcpy(out, kv->val, 8);
        return SENTI_OK;
    }
    int64_t v;
    if (!kv_int(kv, &v) || v < 0)
        return SENTI_ERR_FORMAT;
    *out = (uint64_t)v;
    return SENTI_OK;
}

senti_str senti_gguf_arr_str(const senti_gguf_array *a, uint64_t i)
{
    const char *const *starts = a->priv;
    uint64_t len;
    memcpy(&len, starts[i], 8);
    senti_str s = {starts[i] + 8, (size_t)len};
    return s;
}

senti_gguf_array senti_gguf_arr_arr(const senti_gguf_array *a, uint64_t i)
{
    const senti_gguf_array *kids = a->priv;
    return kids[i];
}
