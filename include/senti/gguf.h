/*
 * senti/gguf.h - a strict, read-only GGUF (v2, v3) reader over mmap.
 *
 * The whole file is mapped read-only; strings, arrays and tensor data are
 * views into the map and live as long as the senti_gguf handle. Every count,
 * length and offset is checked against the file size before it is used, so a
 * truncated or hostile file yields SENTI_ERR_FORMAT with a message naming the
 * byte offset and the field, never a crash.
 *
 * Basic usage:
 *     senti_gguf *g; senti_err e;
 *     if (senti_gguf_open("model.gguf", &g, &e)) { fprintf(stderr, "%s\n", e.msg); ... }
 *     uint32_t n_layer; senti_gguf_get_u32(g, "llama.block_count", &n_layer, &e);
 *     const senti_tensor *t = senti_gguf_find_tensor(g, "token_embd.weight");
 *     senti_gguf_close(g);
 */
#ifndef SENTI_GGUF_H
#define SENTI_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Metadata value types, numbered as in the GGUF specification. */
typedef enum {
    SENTI_GGUF_UINT8 = 0,
    SENTI_GGUF_INT8 = 1,
    SENTI_GGUF_UINT16 = 2,
    SENTI_GGUF_INT16 = 3,
    SENTI_GGUF_UINT32 = 4,
    SENTI_GGUF_INT32 = 5,
    SENTI_GGUF_FLOAT32 = 6,
    SENTI_GGUF_BOOL = 7,
    SENTI_GGUF_STRING = 8,
    SENTI_GGUF_ARRAY = 9,
    SENTI_GGUF_UINT64 = 10,
    SENTI_GGUF_INT64 = 11,
    SENTI_GGUF_FLOAT64 = 12,
    SENTI_GGUF_TYPE_COUNT
} senti_gguf_type;

#define SENTI_GGUF_MAX_DIMS 4

/* A tensor: a view into the mapped file. ne[0] is the row length (fastest
 * varying), as in ggml; unused dimensions are 1. `type` is a ggml type id
 * (see senti/quant.h). */
typedef struct {
    const char *name;  /* NUL-terminated copy owned by the handle */
    int type;          /* ggml type id */
    int n_dims;
    int64_t ne[SENTI_GGUF_MAX_DIMS];
    uint64_t offset;   /* offset of the data from the start of the file */
    size_t nbytes;
    const void *data;  /* points into the map */
} senti_tensor;

/* An array value. For numeric arrays `data` points at `count` packed
 * little-endian elements in the map. For string arrays use senti_gguf_arr_str(). */
typedef struct {
    senti_gguf_type type; /* element type */
    uint64_t count;
    const void *data;
    const void *priv;     /* internal: string offsets or nested arrays */
} senti_gguf_array;

typedef struct senti_gguf senti_gguf;

/* Open and validate `path`. On success *out owns the map; free with senti_gguf_close. */
SENTI_API senti_status senti_gguf_open(const char *path, senti_gguf **out, senti_err *err);
SENTI_API void senti_gguf_close(senti_gguf *g);

SENTI_API uint32_t senti_gguf_version(const senti_gguf *g);
SENTI_API const char *senti_gguf_path(const senti_gguf *g);
/* The whole mapped file (for hashing). */
SENTI_API const void *senti_gguf_data(const senti_gguf *g, size_t *size);
/* The alignment in force (general.alignment, default 32). */
SENTI_API uint32_t senti_gguf_alignment(const senti_gguf *g);

/* ---- metadata ---- */
SENTI_API size_t senti_gguf_n_kv(const senti_gguf *g);
/* Index of `key`, or -1 when absent. */
SENTI_API int64_t senti_gguf_find_key(const senti_gguf *g, const char *key);
SENTI_API senti_str senti_gguf_kv_key(const senti_gguf *g, size_t i);
SENTI_API senti_gguf_type senti_gguf_kv_type(const senti_gguf *g, size_t i);
SENTI_API const char *senti_gguf_type_name(senti_gguf_type t);

/* Typed getters. Return SENTI_ERR_NOTFOUND when the key is absent (err names
 * the key), SENTI_ERR_FORMAT when its type does not fit. Integer getters
 * accept any integer type whose value fits the destination. */
SENTI_API senti_status senti_gguf_get_u32(const senti_gguf *g, const char *key, uint32_t *out, senti_err *err);
SENTI_API senti_status senti_gguf_get_i64(const senti_gguf *g, const char *key, int64_t *out, senti_err *err);
SENTI_API senti_status senti_gguf_get_f32(const senti_gguf *g, const char *key, float *out, senti_err *err);
SENTI_API senti_status senti_gguf_get_bool(const senti_gguf *g, const char *key, bool *out, senti_err *err);
SENTI_API senti_status senti_gguf_get_str(const senti_gguf *g, const char *key, senti_str *out, senti_err *err);
SENTI_API senti_status senti_gguf_get_arr(const senti_gguf *g, const char *key, senti_gguf_array *out, senti_err *err);

/* Same getters by index (for listing all metadata). */
SENTI_API senti_status senti_gguf_kv_u64(const senti_gguf *g, size_t i,
                                         uint64_t *out); /* any unsigned/non-negative int */
SENTI_API senti_status senti_gguf_kv_f64(const senti_gguf *g, size_t i, double *out);   /* any number */
SENTI_API senti_status senti_gguf_kv_str(const senti_gguf *g, size_t i, senti_str *out);
SENTI_API senti_status senti_gguf_kv_arr(const senti_gguf *g, size_t i, senti_gguf_array *out);

/* Element i of a string array (i < count). */
SENTI_API senti_str senti_gguf_arr_str(const senti_gguf_array *a, uint64_t i);
/* Element i of an array of arrays. */
SENTI_API senti_gguf_array senti_gguf_arr_arr(const senti_gguf_array *a, uint64_t i);

/* ---- tensors ---- */
SENTI_API size_t senti_gguf_n_tensors(const senti_gguf *g);
SENTI_API const senti_tensor *senti_gguf_tensor(const senti_gguf *g, size_t i);

/* Scan every tensor of a supported type for NaN or infinite values (each row
 * dequantized as inference would). SENTI_ERR_NUMERIC names the first bad
 * tensor, row and element; *n_checked (may be NULL) counts the tensors that
 * were scanned and found finite. Reads the whole file: seconds for 1 GB. */
SENTI_API senti_status senti_gguf_check_finite(const senti_gguf *g, size_t *n_checked, senti_err *err);
/* NULL when absent. */
SENTI_API const senti_tensor *senti_gguf_find_tensor(const senti_gguf *g, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_GGUF_H */
