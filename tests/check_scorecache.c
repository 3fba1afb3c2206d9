/*
 * check_scorecache.c - the score cache (src/06-score/scorecache.c,
 * senti/scorecache.h): keys, bit-exact records across a reopen, a torn or
 * damaged record dropped with the file kept appendable, and the record layout
 * of the header read back byte by byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "senti/scorecache.h"
#include "testutil.h"

/* The score cache: records survive a reopen bit-exactly; a torn last record
 * (a killed writer) is dropped and the file stays appendable. */
START_TEST(test_score_cache)
{
    char dir[] = "/tmp/senti-cache-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *sha = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
    senti_score_cache *c;
    senti_err e;
    ck_assert_msg(senti_score_cache_open(dir, sha, &c, &e) == SENTI_OK, "%s", e.msg);
    uint8_t k1[32], k2[32], k3[32];
    senti_score_cache_key(c, "Review: a\n", 10, "Sentiment:", 10, "Negative|Positive", k1);
    senti_score_cache_key(c, "Review: a\n", 10, "Sentiment:", 10, "negative|positive", k2);
    senti_score_cache_key(c, "Review: a\nS", 11, "entiment:", 9, "Negative|Positive", k3);
    ck_assert(memcmp(k1, k2, 32) != 0); /* label words are part of the key */
    ck_assert(memcmp(k1, k3, 32) != 0); /* so is where prefix and suffix split */
    double s1[2] = {-0.1234567890123, -2.385}, out[2];
    uint32_t nt;
    ck_assert(!senti_score_cache_get(c, k1, 2, out, &nt));
    ck_assert_int_eq(senti_score_cache_put(c, k1, 2, s1, 17, &e), SENTI_OK);
    ck_assert(senti_score_cache_get(c, k1, 2, out, &nt));
    ck_assert(!senti_score_cache_get(c, k1, 3, out, &nt)); /* other label count */
    senti_score_cache_close(c);
    char path[256];
    snprintf(path, sizeof path, "%s/%s.scores", dir, sha);
    FILE *f = fopen(path, "ab"); /* a torn record */
    fwrite("0123456789", 1, 10, f);
    fclose(f);
    ck_assert_int_eq(senti_score_cache_open(dir, sha, &c, &e), SENTI_OK);
    ck_assert_uint_eq(senti_score_cache_get_stats(c).loaded, 1);
    ck_assert(senti_score_cache_get(c, k1, 2, out, &nt));
    ck_assert(memcmp(out, s1, sizeof s1) == 0);
    ck_assert_uint_eq(nt, 17);
    ck_assert_int_eq(senti_score_cache_put(c, k2, 2, s1, 3, &e), SENTI_OK);
    senti_score_cache_close(c);
    ck_assert_int_eq(senti_score_cache_open(dir, sha, &c, &e), SENTI_OK);
    ck_assert_uint_eq(senti_score_cache_get_stats(c).loaded, 2);
    senti_score_cache_close(c);
    remove(path);
    rmdir(dir);
}
END_TEST

/* A row's key in its company: the same prompt, company and place give the
 * same key; another place, another company or packing on/off give another.
 * Scored alone (no packing), the company is empty and the place 0. */
START_TEST(test_key_in_company)
{
    uint8_t p[3 * 32], c1[32], c2[32], c3[32], alone[32], k[6][32];
    for (int i = 0; i < 3 * 32; i++)
        p[i] = (uint8_t)(i * 7 + 1);
    senti_score_cache_company(p, 3, true, c1);
    senti_score_cache_company(p, 2, true, c2); /* the first two rows only */
    senti_score_cache_company(p, 3, true, c3);
    senti_score_cache_company(NULL, 0, false, alone);
    ck_assert(memcmp(c1, c3, 32) == 0);
    ck_assert(memcmp(c1, c2, 32) != 0);
    senti_score_cache_key_in(p, c1, 0, k[0]);
    senti_score_cache_key_in(p, c1, 0, k[1]);
    senti_score_cache_key_in(p, c1, 2, k[2]);  /* a duplicate of row 0 at place 2 */
    senti_score_cache_key_in(p, c2, 0, k[3]);
    senti_score_cache_key_in(p, alone, 0, k[4]);
    senti_score_cache_key_in(p + 32, c1, 1, k[5]);
    ck_assert(memcmp(k[0], k[1], 32) == 0);
    for (int a = 1; a < 6; a++)
        for (int b = a + 1; b < 6; b++)
            ck_assert_msg(memcmp(k[a], k[b], 32) != 0, "keys %d and %d", a, b);
    ck_assert(memcmp(k[0], p, 32) != 0); /* never the bare prompt key */
}
END_TEST

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* One record as the header writes it: key[32] | u32 k | u32 n_tokens |
 * f64 score[k] | check[8] | "SRC2", little-endian; a record whose end marker
 * or checksum is damaged is where the file is cut on the next open (the
 * records before it stay). */
START_TEST(test_record_layout)
{
    char dir[] = "/tmp/senti-cache-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    senti_score_cache *c;
    senti_err e = {0};
    ck_assert_msg(senti_score_cache_open(dir, sha, &c, &e) == SENTI_OK, "%s", e.msg);
    uint8_t k1[32], k2[32];
    senti_score_cache_key(c, "P", 1, "S", 1, "a|b|c", k1);
    senti_score_cache_key(c, "P", 1, "T", 1, "a|b|c", k2);
    double s1[3] = {-0.5, -1.25, -2.385}, s2[3] = {-3.0, -0.001, -7.75}, out[3];
    ck_assert_int_eq(senti_score_cache_put(c, k1, 3, s1, 42, &e), SENTI_OK);
    ck_assert_int_eq(senti_score_cache_put(c, k1, 3, s2, 43, &e), SENTI_OK); /* present: ignored */
    ck_assert_int_eq(senti_score_cache_put(c, k2, 3, s2, 7, &e), SENTI_OK);
    senti_score_cache_stats st = senti_score_cache_get_stats(c);
    ck_assert_uint_eq(st.puts, 2);
    senti_score_cache_close(c);

    char path[256];
    snprintf(path, sizeof path, "%s/%s.scores", dir, sha);
    size_t len;
    unsigned char *b = (unsigned char *)tu_read_file(path, &len);
    ck_assert_ptr_nonnull(b);
    const size_t rec = 32 + 4 + 4 + 3 * 8 + 8 + 4;
    ck_assert_uint_eq(len, 2 * rec);
    ck_assert(memcmp(b, k1, 32) == 0);
    ck_assert_uint_eq(le32(b + 32), 3);
    ck_assert_uint_eq(le32(b + 36), 42);
    for (int j = 0; j < 3; j++) {
        uint64_t bits = 0, want;
        for (int i = 7; i >= 0; i--)
            bits = bits << 8 | b[40 + 8 * j + i];
        memcpy(&want, &s1[j], 8);
        ck_assert(bits == want);
    }
    ck_assert(memcmp(b + rec - 4, "SRC2", 4) == 0);
    ck_assert(memcmp(b + rec, k2, 32) == 0);
    free(b);

    /* damage the second record's end marker: only the first is loaded, the
     * file is cut after it and takes new records again */
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (long)(2 * rec - 4), SEEK_SET), 0);
    ck_assert_int_eq(fputc('X', f), 'X');
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(senti_score_cache_open(dir, sha, &c, &e), SENTI_OK);
    ck_assert_uint_eq(senti_score_cache_get_stats(c).loaded, 1);
    ck_assert(senti_score_cache_get(c, k1, 3, out, NULL));
    ck_assert(memcmp(out, s1, sizeof s1) == 0);
    ck_assert(!senti_score_cache_get(c, k2, 3, out, NULL));
    ck_assert_int_eq(senti_score_cache_put(c, k2, 3, s2, 7, &e), SENTI_OK);
    senti_score_cache_close(c);
    b = (unsigned char *)tu_read_file(path, &len);
    ck_assert_uint_eq(len, 2 * rec);
    ck_assert(memcmp(b + 2 * rec - 4, "SRC2", 4) == 0);
    free(b);
    /* a flipped bit inside the first record's scores: its checksum no longer
     * holds, so nothing from it on is loaded (it was served as a score) */
    f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 46, SEEK_SET), 0);
    int byte = fgetc(f);
    ck_assert_int_eq(fseek(f, 46, SEEK_SET), 0);
    ck_assert_int_eq(fputc(byte ^ 0x10, f), byte ^ 0x10);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(senti_score_cache_open(dir, sha, &c, &e), SENTI_OK);
    ck_assert_uint_eq(senti_score_cache_get_stats(c).loaded, 0);
    ck_assert(!senti_score_cache_get(c, k1, 3, out, NULL));
    senti_score_cache_close(c);
    remove(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_refusals)
{
    senti_score_cache *c = NULL;
    senti_err e = {0};
    ck_assert_int_eq(senti_score_cache_open("/tmp", "abc", &c, &e), SENTI_ERR_ARG);
    ck_assert_msg(strstr(e.msg, "64 hex digits") != NULL, "%s", e.msg);
    ck_assert_int_eq(senti_score_cache_open("/proc/senti-no-such/dir",
                                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &c,
                                            &e),
                     SENTI_ERR_IO);
    ck_assert_msg(strstr(e.msg, "/proc/senti-no-such/dir") != NULL, "%s", e.msg);
    senti_score_cache_close(NULL);
}
END_TEST

Suite *scorecache_suite(void)
{
    Suite *s = suite_create("scorecache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_score_cache);
    tcase_add_test(tc, test_key_in_company);
    tcase_add_test(tc, test_record_layout);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}
