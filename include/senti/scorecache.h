/*
 * senti/scorecache.h - a content-addressed cache of per-prompt label scores.
 *
 * Used by `senti run` so that a rerun that only changes calibration, metrics
 * or report options does no model work, and so that a killed run loses no
 * scored row (every record is appended and flushed as it is computed).
 *
 * Key: SHA-256 over a domain tag, the model's SHA-256, the prompt prefix and
 * suffix (exact text, lengths included) and a description of the label words
 * and the scoring rule (continuation texts, aggregation, length normalization,
 * tokenizer flags) chosen by the caller. Equal keys mean equal inputs to the
 * scorer, hence equal scores up to float rounding: classify packs several rows
 * into one forward pass, and a row computed among other neighbours, or at
 * another place among them, differs in its last bits. So classify stores a
 * packed row under a key of the row in its company (senti_score_cache_key_in):
 * its prompt key, the prompt keys of every row it is packed from, in order,
 * and its place. A hit is then the very bits a cold run computes, whatever
 * filled the cache: another file that scores the same prompt among other rows,
 * or a duplicate row of the same file, misses and is computed.
 * Value: the label scores (log space, as doubles, bit-exact) and the number of
 * tokens of the prompt.
 *
 * File: DIR/<model sha256>.scores, append-only records
 *     key[32] | u32 k | u32 n_tokens | f64 score[k] | check[8] | "SRC2"
 * in little-endian byte order, check = the first 8 bytes of the SHA-256 of
 * key, k, n_tokens and the scores. On open, records are read until the first
 * incomplete or damaged one (a bad marker or checksum); the file is truncated
 * there (a torn last record from a killed process, or a flipped bit, is
 * dropped, never misread). A file of version-1 records ("SREC", no checksum)
 * reads as empty.
 */
#ifndef SENTI_SCORECACHE_H
#define SENTI_SCORECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct senti_score_cache senti_score_cache;

/* Open (creating DIR and the file when missing) the cache of one model.
 * `model_sha256` is 64 hex digits. *out is owned: senti_score_cache_close(). */
SENTI_API senti_status senti_score_cache_open(const char *dir, const char *model_sha256, senti_score_cache **out,
                                              senti_err *err);
SENTI_API void senti_score_cache_close(senti_score_cache *c);

/* The key of one prompt (see above). `words_desc` is a NUL-terminated text. */
SENTI_API void senti_score_cache_key(const senti_score_cache *c, const char *prefix, size_t prefix_len,
                                     const char *suffix, size_t suffix_len, const char *words_desc, uint8_t key[32]);

/* The company of a packed call: a digest of the prompt keys of its rows
 * (keys: n * 32 bytes, in order) and whether rows are packed at all (`packed`
 * false: each is scored alone). */
SENTI_API void senti_score_cache_company(const uint8_t *keys, size_t n, bool packed, uint8_t company[32]);

/* The key of the prompt `prompt_key` scored as row `index` of `company`. */
SENTI_API void senti_score_cache_key_in(const uint8_t prompt_key[32], const uint8_t company[32], size_t index,
                                        uint8_t key[32]);

/* Look a key up: true and scores[0..k) (and *n_tokens when non-NULL) filled
 * when present with the same k. */
SENTI_API bool senti_score_cache_get(senti_score_cache *c, const uint8_t key[32], int k, double *scores,
                                     uint32_t *n_tokens);

/* Add a record and flush it to the file. A key already present is ignored. */
SENTI_API senti_status senti_score_cache_put(senti_score_cache *c, const uint8_t key[32], int k, const double *scores,
                                             uint32_t n_tokens, senti_err *err);

/* Add every record of another cache file of the same model (the records up
 * to its first incomplete or damaged one; the file itself is not changed),
 * as senti_score_cache_put does: keys already present are kept. Used to
 * gather the caches of the shards or MPI ranks of one run (senti/shard.h).
 * *added (may be NULL): records new to `c`. A missing file adds nothing. */
SENTI_API senti_status senti_score_cache_import(senti_score_cache *c, const char *path, size_t *added,
                                                senti_err *err);

/* Import every cache file of src_dir (DIR/<model sha256>.scores) into the
 * cache of the same model in dst_dir (created when missing), as above.
 * *added (may be NULL): records new to dst_dir. A missing src_dir adds nothing. */
SENTI_API senti_status senti_score_cache_import_dir(const char *dst_dir, const char *src_dir, size_t *added,
                                                    senti_err *err);

/* Counters since open: records loaded from the file, hits, misses, puts. */
typedef struct {
    size_t loaded, hits, misses, puts;
} senti_score_cache_stats;
SENTI_API senti_score_cache_stats senti_score_cache_get_stats(const senti_score_cache *c);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_SCORECACHE_H */
