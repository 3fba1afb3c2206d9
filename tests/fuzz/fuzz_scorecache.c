/*
 * fuzz_scorecache.c - the score cache file: load its records, drop a damaged
 * tail, append one record, and load it again.
 *
 * The cache must be usable whatever the file held: the new record is found
 * at once, and after reopening the file holds exactly the records loaded the
 * first time plus the new one.
 */
#include "fuzz.h"

#include <stdio.h>

#include "senti/scorecache.h"

#define SHA "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static void write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    fz_require(f != NULL, "cannot create the cache file");
    fz_require(fwrite(data, 1, size, f) == size, "cannot write the cache file");
    fz_require(fclose(f) == 0, "cannot close the cache file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fz_scratch_dir();
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.scores", dir, SHA);
    write_file(path, data, size);

    senti_score_cache *c;
    if (senti_score_cache_open(dir, SHA, &c, NULL) != SENTI_OK)
        return 0;
    uint8_t key[32];
    senti_score_cache_key(c, "fuzz prefix", 11, " suffix", 7, "words", key);
    const double put[2] = {-0.25, -1.5};
    double got[2];
    size_t loaded = senti_score_cache_get_stats(c).loaded;
    int added = !senti_score_cache_get(c, key, 2, got, NULL);
    fz_require(senti_score_cache_put(c, key, 2, put, 9, NULL) == SENTI_OK, "put failed");
    fz_require(senti_score_cache_get(c, key, 2, got, NULL), "the record just put is not found");
    senti_score_cache_close(c);

    fz_require(senti_score_cache_open(dir, SHA, &c, NULL) == SENTI_OK, "the cache does not reopen");
    fz_require(senti_score_cache_get_stats(c).loaded == loaded + (size_t)added, "records lost on reopening");
    uint32_t nt = 0;
    fz_require(senti_score_cache_get(c, key, 2, got, &nt) && (!added || (nt == 9 && got[1] == -1.5)),
               "the record put is not found after reopening");
    senti_score_cache_close(c);
    return 0;
}
