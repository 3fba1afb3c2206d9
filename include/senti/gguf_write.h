/*
 * senti/gguf_write.h - build a GGUF v3 file in memory and write it out.
 *
 * Used for LoRA adapters and by the tests to build tiny models and broken
 * files. Values and tensor data are copied into the writer; the writer owns
 * everything until senti_gguf_writer_free().
 *
 *     senti_gguf_writer *w = senti_gguf_writer_new();
 *     senti_gguf_writer_set_str(w, "general.architecture", "llama");
 *     senti_gguf_writer_add_tensor(w, "output_norm.weight", SENTI_TYPE_F32, 1, (int64_t[]){64}, data);
 *     senti_gguf_writer_write(w, "tiny.gguf", &err);
 *     senti_gguf_writer_free(w);
 */
#ifndef SENTI_GGUF_WRITE_H
#define SENTI_GGUF_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"
#include "senti/gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_gguf_writer senti_gguf_writer;

/* NULL when out of memory. */
SENTI_API senti_gguf_writer *senti_gguf_writer_new(void);
SENTI_API void senti_gguf_writer_free(senti_gguf_writer *w);

/* Metadata setters; keys are appended in call order (no duplicate check).
 * Each returns SENTI_ERR_NOMEM on allocation failure. */
SENTI_API senti_status senti_gguf_writer_set_u32(senti_gguf_writer *w, const char *key, uint32_t v);
SENTI_API senti_status senti_gguf_writer_set_i32(senti_gguf_writer *w, const char *key, int32_t v);
SENTI_API senti_status senti_gguf_writer_set_u64(senti_gguf_writer *w, const char *key, uint64_t v);
SENTI_API senti_status senti_gguf_writer_set_f32(senti_gguf_writer *w, const char *key, float v);
SENTI_API senti_status senti_gguf_writer_set_bool(senti_gguf_writer *w, const char *key, bool v);
SENTI_API senti_status senti_gguf_writer_set_str(senti_gguf_writer *w, const char *key, const char *v);
SENTI_API senti_status senti_gguf_writer_set_arr_str(senti_gguf_writer *w, const char *key, const char *const *v,
                                                     size_t n);
SENTI_API senti_status senti_gguf_writer_set_arr_i32(senti_gguf_writer *w, const char *key, const int32_t *v, size_t n);
SENTI_API senti_status senti_gguf_writer_set_arr_f32(senti_gguf_writer *w, const char *key, const float *v, size_t n);

/* Add a tensor of ggml type `type` with n_dims dimensions ne[0..n_dims-1]
 * (ne[0] = row length). `data` holds senti_type_row_size(type, ne[0]) * rows
 * bytes and is copied. SENTI_ERR_ARG for a bad shape or unknown type. */
SENTI_API senti_status senti_gguf_writer_add_tensor(senti_gguf_writer *w, const char *name, int type, int n_dims,
                                                    const int64_t *ne, const void *data);

/* Write the file (v3, alignment 32). */
SENTI_API senti_status senti_gguf_writer_write(const senti_gguf_writer *w, const char *path, senti_err *err);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_GGUF_WRITE_H */
