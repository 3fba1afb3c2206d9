/*
 * scorecache.c - the content-addressed label-score cache (see
 * senti/scorecache.h): an append-only file plus an in-memory open-addressing
 * hash table keyed by the SHA-256 key.
 */
#include "senti/scorecache.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>

#define REC_END "SRC2" /* version 2: a checksum before the marker ("SREC" records had none) */
#define MAX_K 4096

typedef struct {
    uint8_t key[32];
    int k;          /* 0 = empty slot */
    uint32_t n_tokens;
    double *scores; /* [k] owned */
} entry;

struct senti_score_cache {
    char model[65];
    char *path;
    FILE *f;          /* opened for appending */
    entry *slots;     /* [cap], cap a power of two */
    size_t cap, used;
    senti_score_cache_stats stats;
};

static size_t slot_of(const senti_score_cache *c, const uint8_t key[32])
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    size_t i = (size_t)h & (c->cap - 1);
    while (c->slots[i].k && memcmp(c->slots[i].key, key, 32))
        i = (i + 1) & (c->cap - 1);
    return i;
}

static int grow(senti_score_cache *c)
{
    size_t old = c->cap;
    entry *os = c->slots;
    c->cap = old ? 2 * old : 1024;
    c->slots = calloc(c->cap, sizeof *c->slots);
    if (!c->slots) {
        c->slots = os, c->cap = old;
        return -1;
    }
    for (size_t i = 0; i < old; i++)
        if (os[i].k)
            c->slots[slot_of(c, os[i].key)] = os[i];
    free(os);
    return 0;
}

/* Insert without writing; takes ownership of `scores`. */
static int insert(senti_score_cache *c, const uint8_t key[32], int k, double *scores, uint32_t n_tokens)
{
    if (2 * (c->used + 1) > c->cap && grow(c))
        return -1;
    size_t i = slot_of(c, key);
    if (c->slots[i].k) {
        free(scores);
        return 0;
    }
    memcpy(c->slots[i].key, key, 32);
    c->slots[i].k = k;
    c->slots[i].n_tokens = n_tokens;
    c->slots[i].scores = scores;
    c->used++;
    return 0;
}

/* The first 8 bytes of the SHA-256 of a record's contents, as stored after
 * the scores: a flipped bit anywhere makes the record damaged. */
static void record_check(const uint8_t key[32], uint32_t k, uint32_t nt, const double *s, uint8_t check[8])
{
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, 32, key);
    sha256_update(&h, 4, (const uint8_t *)&k);
    sha256_update(&h, 4, (const uint8_t *)&nt);
    sha256_update(&h, k * sizeof *s, (const uint8_t *)s);
    sha256_digest(&h, 8, check);
}

/* Read one record into key, *k, *nt and a new *s (owned by the caller);
 * false at EOF or on a damaged record. */
static bool read_record(FILE *f, uint8_t key[32], uint32_t *k, uint32_t *nt, double **s)
{
    char end[4];
    uint8_t check[8], want[8];
    *s = NULL;
    if (fread(key, 1, 32, f) != 32 || fread(k, 4, 1, f) != 1 || fread(nt, 4, 1, f) != 1 || *k == 0 || *k > MAX_K)
        return false;
    *s = malloc(*k * sizeof **s);
    if (!*s || fread(*s, sizeof **s, *k, f) != *k || fread(check, 1, 8, f) != 8 || fread(end, 1, 4, f) != 4 ||
        memcmp(end, REC_END, 4) || (record_check(key, *k, *nt, *s, want), memcmp(check, want, 8))) {
        free(*s);
        *s = NULL;
        return false;
    }
    return true;
}

/* Read records until EOF or the first damaged one; returns the good length. */
static long load_records(senti_score_cache *c, FILE *f)
{
    long good = 0;
    for (;;) {
        uint8_t key[32];
        uint32_t k, nt;
        double *s;
        if (!read_record(f, key, &k, &nt, &s))
            break;
        if (insert(c, key, (int)k, s, nt))
            break;
        c->stats.loaded++;
        good = ftell(f);
    }
    return good;
}

senti_status senti_score_cache_open(const char *dir, const char *model_sha256, senti_score_cache **out,
                                    senti_err *err)
{
    *out = NULL;
    if (!model_sha256 || strlen(model_sha256) != 64)
        return senti_err_set(err, SENTI_ERR_ARG, "score cache: model SHA-256 must be 64 hex digits");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return senti_err_set(err, SENTI_ERR_IO, "%s: %s", dir, strerror(errno));
    senti_score_cache *c = calloc(1, sizeof *c);
    size_t n = strlen(dir) + 80;
    if (!c || !(c->path = malloc(n)) || grow(c)) {
        senti_score_cache_close(c);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    memcpy(c->model, model_sha256, 65);
    snprintf(c->path, n, "%s/%s.scores", dir, model_sha256);
    FILE *r = fopen(c->path, "rb");
    if (r) {
        long good = load_records(c, r);
        fclose(r);
        if (truncate(c->path, good) != 0) { /* drop a torn tail */
            senti_err_set(err, SENTI_ERR_IO, "%s: %s", c->path, strerror(errno));
            senti_score_cache_close(c);
            return SENTI_ERR_IO;
        }
    }
    c->f = fopen(c->path, "ab");
    if (!c->f) {
        senti_err_set(err, SENTI_ERR_IO, "%s: %s", c->path, strerror(errno));
        senti_score_cache_close(c);
        return SENTI_ERR_IO;
    }
    *out = c;
    return SENTI_OK;
}

void senti_score_cache_close(senti_score_cache *c)
{
    if (!c)
        return;
    if (c->f)
        fclose(c->f);
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].scores);
    free(c->slots);
    free(c->path);
    free(c);
}

static void hash_part(struct sha256_ctx *h, const void *p, size_t len)
{
    uint64_t l = len; /* lengths make the concatenation unambiguous */
    sha256_update(h, sizeof l, (const uint8_t *)&l);
    sha256_update(h, len, p);
}

void senti_score_cache_key(const senti_score_cache *c, const char *prefix, size_t prefix_len, const char *suffix,
                           size_t suffix_len, const char *words_desc, uint8_t key[32])
{
    struct sha256_ctx h;
    sha256_init(&h);
    hash_part(&h, "senti-score-v1", 14);
    hash_part(&h, c->model, 64);
    hash_part(&h, prefix, prefix_len);
    hash_part(&h, suffix, suffix_len);
    hash_part(&h, words_desc, strlen(words_desc));
    sha256_digest(&h, 32, key);
}

void senti_score_cache_company(const uint8_t *keys, size_t n, bool packed, uint8_t company[32])
{
    struct sha256_ctx h;
    sha256_init(&h);
    hash_part(&h, packed ? "senti-company-packed-v1" : "senti-company-alone-v1", packed ? 23 : 22);
    uint64_t count = n;
    sha256_update(&h, sizeof count, (const uint8_t *)&count);
    sha256_update(&h, 32 * n, keys);
    sha256_digest(&h, 32, company);
}

void senti_score_cache_key_in(const uint8_t prompt_key[32], const uint8_t company[32], size_t index, uint8_t key[32])
{
    struct sha256_ctx h;
    sha256_init(&h);
    hash_part(&h, "senti-score-in-company-v1", 25);
    sha256_update(&h, 32, prompt_key);
    sha256_update(&h, 32, company);
    uint64_t at = index;
    sha256_update(&h, sizeof at, (const uint8_t *)&at);
    sha256_digest(&h, 32, key);
}

bool senti_score_cache_get(senti_score_cache *c, const uint8_t key[32], int k, double *scores, uint32_t *n_tokens)
{
    const entry *e = &c->slots[slot_of(c, key)];
    if (!e->k || e->k != k) {
        c->stats.misses++;
        return false;
    }
    memcpy(scores, e->scores, (size_t)k * sizeof *scores);
    if (n_tokens)
        *n_tokens = e->n_tokens;
    c->stats.hits++;
    return true;
}

senti_status senti_score_cache_put(senti_score_cache *c, const uint8_t key[32], int k, const double *scores,
                                   uint32_t n_tokens, senti_err *err)
{
    if (k <= 0 || k > MAX_K)
        return senti_err_set(err, SENTI_ERR_ARG, "score cache: %d labels", k);
    if (c->slots[slot_of(c, key)].k)
        return SENTI_OK;
    double *copy = malloc((size_t)k * sizeof *copy);
    if (!copy)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    memcpy(copy, scores, (size_t)k * sizeof *copy);
    uint32_t uk = (uint32_t)k;
    uint8_t check[8];
    record_check(key, uk, n_tokens, scores, check);
    if (fwrite(key, 1, 32, c->f) != 32 || fwrite(&uk, 4, 1, c->f) != 1 || fwrite(&n_tokens, 4, 1, c->f) != 1 ||
        fwrite(scores, sizeof *scores, (size_t)k, c->f) != (size_t)k || fwrite(check, 1, 8, c->f) != 8 ||
        fwrite(REC_END, 1, 4, c->f) != 4 || fflush(c->f) != 0) {
        free(copy);
        return senti_err_set(err, SENTI_ERR_IO, "%s: write failed", c->path);
    }
    if (insert(c, key, k, copy, n_tokens))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    c->stats.puts++;
    return SENTI_OK;
}

senti_status senti_score_cache_import(senti_score_cache *c, const char *path, size_t *added, senti_err *err)
{
    size_t n = 0;
    senti_status st = SENTI_OK;
    FILE *f = fopen(path, "rb");
    if (!f && errno != ENOENT)
        st = senti_err_set(err, SENTI_ERR_IO, "%s: %s", path, strerror(errno));
    uint8_t key[32];
    uint32_t k, nt;
    double *s;
    while (f && !st && read_record(f, key, &k, &nt, &s)) {
        size_t before = c->used;
        st = senti_score_cache_put(c, key, (int)k, s, nt, err);
        n += c->used > before;
        free(s);
    }
    if (f)
        fclose(f);
    if (added)
        *added = n;
    return st;
}

/* "<64 hex digits>.scores": the model's SHA-256 into sha. */
static bool cache_file_name(const char *name, char sha[65])
{
    if (strlen(name) != 64 + 7 || strcmp(name + 64, ".scores"))
        return false;
    for (int i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", name[i]))
            return false;
    memcpy(sha, name, 64);
    sha[64] = '\0';
    return true;
}

senti_status senti_score_cache_import_dir(const char *dst_dir, const char *src_dir, size_t *added, senti_err *err)
{
    size_t total = 0;
    senti_status s = SENTI_OK;
    DIR *d = opendir(src_dir);
    if (!d && errno != ENOENT)
        s = senti_err_set(err, SENTI_ERR_IO, "%s: %s", src_dir, strerror(errno));
    struct dirent *e;
    char sha[65], path[4096];
    while (d && !s && (e = readdir(d))) {
        senti_score_cache *c;
        size_t n = 0;
        if (!cache_file_name(e->d_name, sha))
            continue;
        snprintf(path, sizeof path, "%s/%s", src_dir, e->d_name);
        if (!(s = senti_score_cache_open(dst_dir, sha, &c, err)))
            s = senti_score_cache_import(c, path, &n, err);
        senti_score_cache_close(c);
        total += n;
    }
    if (d)
        closedir(d);
    if (added)
        *added = total;
    return s;
}

senti_score_cache_stats senti_score_cache_get_stats(const senti_score_cache *c) { return c->stats; }
