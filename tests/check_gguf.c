/*
 * check_gguf.c - the GGUF reader and writer.
 *
 * Real files: facts about the shipped models checked against values read by
 * gguf-py (the reference reader from the llama.cpp project), noted inline.
 * Broken files: a small valid file is built, then damaged byte by byte; every
 * damage must give SENTI_ERR_FORMAT (or UNSUPPORTED) with a message naming the
 * problem, and no crash (the suite also runs under ASan/UBSan: `make asan`).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "senti/gguf.h"
#include "senti/gguf_write.h"
#include "senti/quant.h"
#include "testutil.h"

static int str_eq(senti_str s, const char *z) { return s.len == strlen(z) && !memcmp(s.ptr, z, s.len); }

/* ---- real models ------------------------------------------------------------ */

START_TEST(test_smollm2_metadata)
{
    senti_gguf *g;
    senti_err e;
    ck_assert_msg(senti_gguf_open(tu_model_path(TU_SMOLLM2), &g, &e) == SENTI_OK, "%s", e.msg);
    /* gguf-py: GGUF.version 3, tensor_count 272, kv_count 33 */
    ck_assert_uint_eq(senti_gguf_version(g), 3);
    ck_assert_uint_eq(senti_gguf_n_tensors(g), 272);
    ck_assert_uint_eq(senti_gguf_n_kv(g), 33);
    senti_str s;
    ck_assert_int_eq(senti_gguf_get_str(g, "general.architecture", &s, &e), SENTI_OK);
    ck_assert(str_eq(s, "llama"));
    uint32_t u;
    ck_assert_int_eq(senti_gguf_get_u32(g, "llama.block_count", &u, &e), SENTI_OK);
    ck_assert_uint_eq(u, 30);
    ck_assert_int_eq(senti_gguf_get_u32(g, "llama.embedding_length", &u, &e), SENTI_OK);
    ck_assert_uint_eq(u, 576);
    float f;
    ck_assert_int_eq(senti_gguf_get_f32(g, "llama.rope.freq_base", &f, &e), SENTI_OK);
    ck_assert_float_eq(f, 100000.0f);
    bool b;
    ck_assert_int_eq(senti_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &b, &e), SENTI_OK);
    ck_assert(!b);
    senti_gguf_array a;
    ck_assert_int_eq(senti_gguf_get_arr(g, "tokenizer.ggml.tokens", &a, &e), SENTI_OK);
    ck_assert_int_eq(a.type, SENTI_GGUF_STRING);
    ck_assert_uint_eq(a.count, 49152);
    ck_assert(str_eq(senti_gguf_arr_str(&a, 0), "<|endoftext|>"));
    ck_assert(str_eq(senti_gguf_arr_str(&a, 1), "<|im_start|>"));
    ck_assert_int_eq(senti_gguf_get_arr(g, "tokenizer.ggml.merges", &a, &e), SENTI_OK);
    ck_assert_uint_eq(a.count, 48900);
    /* wrong-type and missing keys are reported by name */
    ck_assert_int_eq(senti_gguf_get_u32(g, "general.architecture", &u, &e), SENTI_ERR_FORMAT);
    ck_assert(strstr(e.msg, "general.architecture") != NULL);
    ck_assert_int_eq(senti_gguf_get_u32(g, "no.such.key", &u, &e), SENTI_ERR_NOTFOUND);
    ck_assert(strstr(e.msg, "no.such.key") != NULL);
    /* gguf-py: token_embd.weight Q8_0 [576 49152]; blk.0.ffn_down.weight Q4_1 [1536 576] */
    const senti_tensor *t = senti_gguf_find_tensor(g, "token_embd.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->type, SENTI_TYPE_Q8_0);
    ck_assert_int_eq(t->ne[0], 576);
    ck_assert_int_eq(t->ne[1], 49152);
    ck_assert_uint_eq(t->nbytes, (size_t)576 / 32 * 34 * 49152);
    t = senti_gguf_find_tensor(g, "blk.0.ffn_down.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->type, SENTI_TYPE_Q4_1);
    ck_assert_int_eq(t->ne[0], 1536);
    ck_assert_int_eq(t->ne[1], 576);
    ck_assert_ptr_null(senti_gguf_find_tensor(g, "output.weight"));
    senti_gguf_close(g);
}
END_TEST

START_TEST(test_gemma3_metadata)
{
    senti_gguf *g;
    senti_err e;
    ck_assert_msg(senti_gguf_open(tu_model_path(TU_GEMMA3), &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_gguf_n_tensors(g), 236);
    senti_str s;
    ck_assert_int_eq(senti_gguf_get_str(g, "general.architecture", &s, &e), SENTI_OK);
    ck_assert(str_eq(s, "gemma3"));
    uint32_t u;
    ck_assert_int_eq(senti_gguf_get_u32(g, "gemma3.attention.sliding_window", &u, &e), SENTI_OK);
    ck_assert_uint_eq(u, 512);
    senti_gguf_array a;
    ck_assert_int_eq(senti_gguf_get_arr(g, "tokenizer.ggml.scores", &a, &e), SENTI_OK);
    ck_assert_int_eq(a.type, SENTI_GGUF_FLOAT32);
    ck_assert_uint_eq(a.count, 262144);
    /* count tensors per type; gguf-py: F32 109, Q5_0 81, Q4_K 27, Q8_0 10, Q6_K 9 */
    int counts[SENTI_TYPE_COUNT] = {0};
    for (size_t i = 0; i < senti_gguf_n_tensors(g); i++)
        counts[senti_gguf_tensor(g, i)->type]++;
    ck_assert_int_eq(counts[SENTI_TYPE_F32], 109);
    ck_assert_int_eq(counts[SENTI_TYPE_Q5_0], 81);
    ck_assert_int_eq(counts[SENTI_TYPE_Q4_K], 27);
    ck_assert_int_eq(counts[SENTI_TYPE_Q8_0], 10);
    ck_assert_int_eq(counts[SENTI_TYPE_Q6_K], 9);
    senti_gguf_close(g);
}
END_TEST

/* ---- writer round trip ------------------------------------------------------ */

START_TEST(test_writer_roundtrip)
{
    senti_gguf_writer *w = senti_gguf_writer_new();
    const char *strs[] = {"alpha", "", "gamma\xe2\x96\x81"};
    const int32_t ints[] = {-7, 0, 2147483647};
    const float fl[] = {2.385f, -0.5f};
    float data[2 * 64];
    for (int i = 0; i < 128; i++)
        data[i] = (float)i * 0.25f - 3.0f;
    ck_assert_int_eq(senti_gguf_writer_set_str(w, "general.architecture", "llama"), SENTI_OK);
    senti_gguf_writer_set_u32(w, "k.u32", 4000000000u);
    senti_gguf_writer_set_i32(w, "k.i32", -12);
    senti_gguf_writer_set_u64(w, "k.u64", 1ull << 40);
    senti_gguf_writer_set_f32(w, "k.f32", 2.385f);
    senti_gguf_writer_set_bool(w, "k.bool", true);
    senti_gguf_writer_set_arr_str(w, "k.strs", strs, 3);
    senti_gguf_writer_set_arr_i32(w, "k.ints", ints, 3);
    senti_gguf_writer_set_arr_f32(w, "k.fl", fl, 2);
    int64_t ne[2] = {64, 2};
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a.weight", SENTI_TYPE_F32, 2, ne, data), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "b.weight", SENTI_TYPE_F32, 1, ne, data), SENTI_OK);
    int64_t bad[1] = {33};
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "c", SENTI_TYPE_Q8_0, 1, bad, data), SENTI_ERR_ARG);
    char *path = tu_tmpfile(".gguf");
    senti_err e;
    ck_assert_int_eq(senti_gguf_writer_write(w, path, &e), SENTI_OK);
    senti_gguf_writer_free(w);

    senti_gguf *g;
    ck_assert_msg(senti_gguf_open(path, &g, &e) == SENTI_OK, "%s", e.msg);
    uint32_t u;
    int64_t i64;
    float f;
    bool b;
    senti_gguf_array a;
    ck_assert_int_eq(senti_gguf_get_u32(g, "k.u32", &u, &e), SENTI_OK);
    ck_assert_uint_eq(u, 4000000000u);
    ck_assert_int_eq(senti_gguf_get_u32(g, "k.i32", &u, &e), SENTI_ERR_FORMAT); /* negative */
    ck_assert_int_eq(senti_gguf_get_i64(g, "k.i32", &i64, &e), SENTI_OK);
    ck_assert_int_eq(i64, -12);
    ck_assert_int_eq(senti_gguf_get_i64(g, "k.u64", &i64, &e), SENTI_OK);
    ck_assert_int_eq(i64, 1ll << 40);
    ck_assert_int_eq(senti_gguf_get_f32(g, "k.f32", &f, &e), SENTI_OK);
    ck_assert_float_eq(f, 2.385f);
    ck_assert_int_eq(senti_gguf_get_bool(g, "k.bool", &b, &e), SENTI_OK);
    ck_assert(b);
    ck_assert_int_eq(senti_gguf_get_arr(g, "k.strs", &a, &e), SENTI_OK);
    ck_assert_uint_eq(a.count, 3);
    ck_assert(str_eq(senti_gguf_arr_str(&a, 0), "alpha"));
    ck_assert(str_eq(senti_gguf_arr_str(&a, 1), ""));
    ck_assert(str_eq(senti_gguf_arr_str(&a, 2), "gamma\xe2\x96\x81"));
    ck_assert_int_eq(senti_gguf_get_arr(g, "k.ints", &a, &e), SENTI_OK);
    ck_assert_int_eq(a.type, SENTI_GGUF_INT32);
    int32_t got[3];
    memcpy(got, a.data, sizeof got);
    ck_assert_int_eq(got[0], -7);
    ck_assert_int_eq(got[2], 2147483647);
    ck_assert_uint_eq(senti_gguf_n_tensors(g), 2);
    const senti_tensor *t = senti_gguf_find_tensor(g, "a.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->ne[0], 64);
    ck_assert_int_eq(t->ne[1], 2);
    ck_assert_uint_eq(t->nbytes, sizeof data);
    ck_assert_uint_eq(t->offset % 32, 0);
    ck_assert(!memcmp(t->data, data, sizeof data));
    t = senti_gguf_find_tensor(g, "b.weight");
    ck_assert_uint_eq(t->nbytes, 64 * sizeof(float));
    ck_assert_uint_eq(t->offset % 32, 0);
    ck_assert(!memcmp(t->data, data, 64 * sizeof(float)));
    senti_gguf_close(g);
    unlink(path);
    free(path);
}
END_TEST

/* ---- broken files ----------------------------------------------------------- */

/* A hand-laid file: one key "a" (u32 = 7), one tensor "t" F32 [8].
 *   0 magic | 4 version | 8 n_tensors | 16 n_kv
 *  24 key len | 32 'a' | 33 value type | 37 value
 *  41 name len | 49 't' | 50 n_dims | 54 ne0 | 62 type | 66 offset | 74 end, pad to 96
 *  96..128 data */
enum { O_MAGIC = 0, O_VER = 4, O_NT = 8, O_NKV = 16, O_KLEN = 24, O_VTYPE = 33, O_VAL = 37, O_NLEN = 41,
       O_NDIMS = 50, O_NE0 = 54, O_TTYPE = 62, O_TOFF = 66, FILE_LEN = 128 };

static void build_small(uint8_t *b)
{
    memset(b, 0, FILE_LEN);
    uint32_t u32;
    uint64_t u64;
#define PUT32(off, v) (u32 = (v), memcpy(b + (off), &u32, 4))
#define PUT64(off, v) (u64 = (v), memcpy(b + (off), &u64, 8))
    memcpy(b, "GGUF", 4);
    PUT32(O_VER, 3);
    PUT64(O_NT, 1);
    PUT64(O_NKV, 1);
    PUT64(O_KLEN, 1);
    b[32] = 'a';
    PUT32(O_VTYPE, SENTI_GGUF_UINT32);
    PUT32(O_VAL, 7);
    PUT64(O_NLEN, 1);
    b[49] = 't';
    PUT32(O_NDIMS, 1);
    PUT64(O_NE0, 8);
    PUT32(O_TTYPE, SENTI_TYPE_F32);
    PUT64(O_TOFF, 0);
    for (int i = 0; i < 8; i++) {
        float f = (float)i;
        memcpy(b + 96 + 4 * i, &f, 4);
    }
}

static senti_status open_bytes(const uint8_t *b, size_t n, senti_err *e)
{
    char *path = tu_tmpfile(".gguf");
    FILE *f = fopen(path, "wb");
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    fclose(f);
    senti_gguf *g = NULL;
    senti_status s = senti_gguf_open(path, &g, e);
    if (s == SENTI_OK) {
        uint32_t v;
        ck_assert_int_eq(senti_gguf_get_u32(g, "a", &v, e), SENTI_OK);
        ck_assert_uint_eq(v, 7);
        float x;
        memcpy(&x, (const uint8_t *)senti_gguf_find_tensor(g, "t")->data + 28, 4);
        ck_assert_float_eq(x, 7.0f);
    }
    senti_gguf_close(g);
    unlink(path);
    free(path);
    return s;
}

START_TEST(test_small_valid)
{
    uint8_t b[FILE_LEN];
    senti_err e;
    build_small(b);
    ck_assert_msg(open_bytes(b, FILE_LEN, &e) == SENTI_OK, "%s", e.msg);
}
END_TEST

/* Every truncation of a valid file fails cleanly. */
START_TEST(test_every_truncation)
{
    uint8_t b[FILE_LEN];
    senti_err e;
    build_small(b);
    for (size_t n = 0; n < FILE_LEN; n++) {
        senti_status s = open_bytes(b, n, &e);
        ck_assert_msg(s == SENTI_ERR_FORMAT, "truncated to %zu bytes: status %d", n, s);
    }
}
END_TEST

typedef struct {
    size_t off;
    int width;      /* 1, 4 or 8 */
    uint64_t value;
    const char *expect; /* substring of the message */
} damage;

static const damage damages[] = {
    {O_MAGIC, 4, 0x46554746u, "bad magic"},
    {O_VER, 4, 1, "version 1"},
    {O_VER, 4, 99, "version 99"},
    {O_NT, 8, 1ull << 60, "tensor count"},
    {O_NKV, 8, UINT64_MAX, "metadata count"},
    {O_KLEN, 8, 1ull << 62, "past the end"},
    {O_KLEN, 8, 0, "empty key"},
    {O_VTYPE, 4, 13, "unknown value type"},
    {O_VTYPE, 4, SENTI_GGUF_BOOL, "neither 0 nor 1"},
    {O_VTYPE, 4, SENTI_GGUF_ARRAY, "past the end"},
    {O_NLEN, 8, 1ull << 40, "past the end"},
    {O_NDIMS, 4, 0, "0 dimensions"},
    {O_NDIMS, 4, 5, "5 dimensions"},
    {O_NE0, 8, 0, "dimension 0"},
    {O_NE0, 8, 1ull << 63, "dimension 0"},
    {O_NE0, 8, 9, "past the end"},
    {O_TTYPE, 4, 4, "unknown tensor type"},
    {O_TTYPE, 4, 1000, "unknown tensor type"},
    {O_TTYPE, 4, SENTI_TYPE_Q8_0, "block size"},
    {O_TOFF, 8, 4, "alignment"},
    {O_TOFF, 8, 64, "past the end"},
    {O_TOFF, 8, UINT64_MAX - 31, "past the end"},
};

START_TEST(test_damaged)
{
    const damage *d = &damages[_i];
    uint8_t b[FILE_LEN];
    senti_err e;
    build_small(b);
    memcpy(b + d->off, &d->value, (size_t)d->width); /* little-endian host */
    senti_status s = open_bytes(b, FILE_LEN, &e);
    ck_assert_msg(s == SENTI_ERR_FORMAT || s == SENTI_ERR_UNSUPPORTED, "damage %d: status %d", _i, s);
    ck_assert_msg(strstr(e.msg, d->expect) != NULL, "damage %d: '%s' lacks '%s'", _i, e.msg, d->expect);
}
END_TEST

START_TEST(test_duplicates_and_alignment)
{
    senti_err e;
    float data[32] = {0};
    int64_t ne[1] = {32};
    /* duplicate key */
    senti_gguf_writer *w = senti_gguf_writer_new();
    senti_gguf_writer_set_u32(w, "dup", 1);
    senti_gguf_writer_set_u32(w, "dup", 2);
    char *path = tu_tmpfile(".gguf");
    senti_gguf_writer_write(w, path, &e);
    senti_gguf_writer_free(w);
    senti_gguf *g;
    ck_assert_int_eq(senti_gguf_open(path, &g, &e), SENTI_ERR_FORMAT);
    ck_assert(strstr(e.msg, "duplicate metadata key 'dup'"));
    /* duplicate tensor name */
    w = senti_gguf_writer_new();
    senti_gguf_writer_add_tensor(w, "x", SENTI_TYPE_F32, 1, ne, data);
    senti_gguf_writer_add_tensor(w, "x", SENTI_TYPE_F32, 1, ne, data);
    senti_gguf_writer_write(w, path, &e);
    senti_gguf_writer_free(w);
    ck_assert_int_eq(senti_gguf_open(path, &g, &e), SENTI_ERR_FORMAT);
    ck_assert(strstr(e.msg, "duplicate tensor name 'x'"));
    /* alignment that is not a power of two */
    w = senti_gguf_writer_new();
    senti_gguf_writer_set_u32(w, "general.alignment", 48);
    senti_gguf_writer_write(w, path, &e);
    senti_gguf_writer_free(w);
    ck_assert_int_eq(senti_gguf_open(path, &g, &e), SENTI_ERR_FORMAT);
    ck_assert(strstr(e.msg, "power of two"));
    /* missing file */
    ck_assert_int_eq(senti_gguf_open("/nonexistent/model.gguf", &g, &e), SENTI_ERR_IO);
    ck_assert(strstr(e.msg, "/nonexistent/model.gguf"));
    unlink(path);
    free(path);
}
END_TEST

/* Arrays of arrays and string arrays with hostile counts. */
START_TEST(test_nested_and_hostile_arrays)
{
    /* header + one kv: key "n", ARRAY of ARRAY (count 2) of u8 arrays (2 elems, 1 elem) */
    uint8_t b[256];
    size_t p = 0;
    uint32_t u32;
    uint64_t u64;
#define W32(v) (u32 = (v), memcpy(b + p, &u32, 4), p += 4)
#define W64(v) (u64 = (v), memcpy(b + p, &u64, 8), p += 8)
    memcpy(b, "GGUF", 4);
    p = 4;
    W32(3);
    W64(0);
    W64(1);
    W64(1);
    b[p++] = 'n';
    W32(SENTI_GGUF_ARRAY);
    W32(SENTI_GGUF_ARRAY);
    W64(2);
    W32(SENTI_GGUF_UINT8);
    W64(2);
    b[p++] = 10;
    b[p++] = 11;
    W32(SENTI_GGUF_UINT8);
    W64(1);
    b[p++] = 12;
    size_t n = p;
    char *path = tu_tmpfile(".gguf");
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
    senti_gguf *g;
    senti_err e;
    ck_assert_msg(senti_gguf_open(path, &g, &e) == SENTI_OK, "%s", e.msg);
    senti_gguf_array a;
    ck_assert_int_eq(senti_gguf_get_arr(g, "n", &a, &e), SENTI_OK);
    ck_assert_uint_eq(a.count, 2);
    senti_gguf_array k = senti_gguf_arr_arr(&a, 1);
    ck_assert_uint_eq(k.count, 1);
    ck_assert_uint_eq(((const uint8_t *)k.data)[0], 12);
    senti_gguf_close(g);
    /* the outer count claims far more elements than the file holds */
    u64 = 1ull << 50;
    memcpy(b + 4 + 4 + 8 + 8 + 8 + 1 + 4 + 4, &u64, 8);
    f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
    ck_assert_int_eq(senti_gguf_open(path, &g, &e), SENTI_ERR_FORMAT);
    ck_assert(strstr(e.msg, "array length"));
    unlink(path);
    free(path);
}
END_TEST

Suite *gguf_suite(void)
{
    Suite *s = suite_create("gguf");
    TCase *tc = tcase_create("real");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_smollm2_metadata);
    tcase_add_test(tc, test_gemma3_metadata);
    suite_add_tcase(s, tc);
    tc = tcase_create("synthetic");
    tcase_add_test(tc, test_writer_roundtrip);
    tcase_add_test(tc, test_small_valid);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_loop_test(tc, test_damaged, 0, (int)(sizeof damages / sizeof damages[0]));
    tcase_add_test(tc, test_duplicates_and_alignment);
    tcase_add_test(tc, test_nested_and_hostile_arrays);
    suite_add_tcase(s, tc);
    return s;
}
