/*
 * check_gguf_write.c - the GGUF writer (src/01-tensor/gguf_write.c,
 * senti/gguf_write.h) against the strict reader (check_gguf.c tests that one
 * on hand-laid and damaged files): a file with every kind of value and a few
 * tensors reads back with every key, type, value, shape and data byte
 * identical and the data aligned; bad tensors and unwritable paths are refused.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/gguf.h"
#include "senti/gguf_write.h"
#include "senti/quant.h"
#include "testutil.h"

static const char *const words[] = {"alpha", "", "g\xc3\xa4mma"};
static const int32_t ints[] = {-7, 0, 2147483647, -2147483647 - 1};
static const float floats[] = {2.385f, -0.0f, 1e-30f};

/* A 3 x 5 F32 matrix, a 64-element Q8_0 row pair (raw bytes), a 1-D F16 vector. */
typedef struct {
    float f32[15];
    unsigned char q8[2 * 34 * 2];
    uint16_t f16[7];
} tensors;

static void fill(tensors *t)
{
    for (int i = 0; i < 15; i++)
        t->f32[i] = (float)i * 0.375f - 2.0f;
    for (size_t i = 0; i < sizeof t->q8; i++)
        t->q8[i] = (unsigned char)(i * 37 + 11);
    for (int i = 0; i < 7; i++)
        t->f16[i] = (uint16_t)(0x3c00 + i);
}

static char *write_sample(const tensors *t)
{
    senti_gguf_writer *w = senti_gguf_writer_new();
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(senti_gguf_writer_set_str(w, "general.architecture", "llama"), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_u32(w, "k.u32", 4000000000u), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_i32(w, "k.i32", -123456), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_u64(w, "k.u64", 0x123456789abcdefull), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_f32(w, "k.f32", 2.385f), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_bool(w, "k.bool", true), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_arr_str(w, "k.arr_str", words, 3), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_arr_i32(w, "k.arr_i32", ints, 4), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_arr_f32(w, "k.arr_f32", floats, 3), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_set_arr_i32(w, "k.empty", NULL, 0), SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "m.f32", SENTI_TYPE_F32, 2, (int64_t[]){5, 3}, t->f32),
                     SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "m.q8", SENTI_TYPE_Q8_0, 3, (int64_t[]){64, 1, 2}, t->q8),
                     SENTI_OK);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "v.f16", SENTI_TYPE_F16, 1, (int64_t[]){7}, t->f16),
                     SENTI_OK);
    char *path = tu_tmpfile(".gguf");
    senti_err e = {0};
    ck_assert_msg(senti_gguf_writer_write(w, path, &e) == SENTI_OK, "%s", e.msg);
    senti_gguf_writer_free(w);
    return path;
}

static void check_key(const senti_gguf *g, size_t i, const char *key, senti_gguf_type type)
{
    senti_str k = senti_gguf_kv_key(g, i);
    ck_assert_msg(k.len == strlen(key) && !memcmp(k.ptr, key, k.len), "key %zu: %.*s", i, (int)k.len, k.ptr);
    ck_assert_int_eq(senti_gguf_kv_type(g, i), type);
    ck_assert_int_eq(senti_gguf_find_key(g, key), (int64_t)i);
}

static void check_tensor(const senti_gguf *g, size_t i, const char *name, int type, int n_dims, const int64_t *ne,
                         const void *data, size_t nbytes)
{
    const senti_tensor *t = senti_gguf_tensor(g, i);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->name, name);
    ck_assert_ptr_eq(senti_gguf_find_tensor(g, name), t);
    ck_assert_int_eq(t->type, type);
    ck_assert_int_eq(t->n_dims, n_dims);
    for (int d = 0; d < SENTI_GGUF_MAX_DIMS; d++)
        ck_assert_int_eq(t->ne[d], d < n_dims ? ne[d] : 1);
    ck_assert_uint_eq(t->nbytes, nbytes);
    ck_assert_uint_eq(t->offset % 32, 0);
    ck_assert(memcmp(t->data, data, nbytes) == 0);
}

START_TEST(test_round_trip)
{
    tensors t;
    fill(&t);
    char *path = write_sample(&t);
    senti_gguf *g;
    senti_err e = {0};
    ck_assert_msg(senti_gguf_open(path, &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_gguf_version(g), 3);
    ck_assert_uint_eq(senti_gguf_alignment(g), 32);
    ck_assert_uint_eq(senti_gguf_n_kv(g), 10);
    check_key(g, 0, "general.architecture", SENTI_GGUF_STRING);
    check_key(g, 1, "k.u32", SENTI_GGUF_UINT32);
    check_key(g, 2, "k.i32", SENTI_GGUF_INT32);
    check_key(g, 3, "k.u64", SENTI_GGUF_UINT64);
    check_key(g, 4, "k.f32", SENTI_GGUF_FLOAT32);
    check_key(g, 5, "k.bool", SENTI_GGUF_BOOL);
    check_key(g, 6, "k.arr_str", SENTI_GGUF_ARRAY);
    check_key(g, 7, "k.arr_i32", SENTI_GGUF_ARRAY);
    check_key(g, 8, "k.arr_f32", SENTI_GGUF_ARRAY);
    check_key(g, 9, "k.empty", SENTI_GGUF_ARRAY);

    senti_str s;
    ck_assert_int_eq(senti_gguf_get_str(g, "general.architecture", &s, &e), SENTI_OK);
    ck_assert(s.len == 5 && !memcmp(s.ptr, "llama", 5));
    uint32_t u32;
    ck_assert_int_eq(senti_gguf_get_u32(g, "k.u32", &u32, &e), SENTI_OK);
    ck_assert_uint_eq(u32, 4000000000u);
    int64_t i64;
    ck_assert_int_eq(senti_gguf_get_i64(g, "k.i32", &i64, &e), SENTI_OK);
    ck_assert_int_eq(i64, -123456);
    uint64_t u64;
    ck_assert_int_eq(senti_gguf_kv_u64(g, 3, &u64), SENTI_OK);
    ck_assert(u64 == 0x123456789abcdefull);
    float f;
    ck_assert_int_eq(senti_gguf_get_f32(g, "k.f32", &f, &e), SENTI_OK);
    ck_assert(f == 2.385f);
    bool b = false;
    ck_assert_int_eq(senti_gguf_get_bool(g, "k.bool", &b, &e), SENTI_OK);
    ck_assert(b);

    senti_gguf_array a;
    ck_assert_int_eq(senti_gguf_get_arr(g, "k.arr_str", &a, &e), SENTI_OK);
    ck_assert_int_eq(a.type, SENTI_GGUF_STRING);
    ck_assert_uint_eq(a.count, 3);
    for (uint64_t i = 0; i < 3; i++) {
        s = senti_gguf_arr_str(&a, i);
        ck_assert(s.len == strlen(words[i]) && !memcmp(s.ptr, words[i], s.len));
    }
    ck_assert_int_eq(senti_gguf_get_arr(g, "k.arr_i32", &a, &e), SENTI_OK);
    ck_assert_int_eq(a.type, SENTI_GGUF_INT32);
    ck_assert_uint_eq(a.count, 4);
    ck_assert(memcmp(a.data, ints, sizeof ints) == 0);
    ck_assert_int_eq(senti_gguf_get_arr(g, "k.arr_f32", &a, &e), SENTI_OK);
    ck_assert_int_eq(a.type, SENTI_GGUF_FLOAT32);
    ck_assert_uint_eq(a.count, 3);
    ck_assert(memcmp(a.data, floats, sizeof floats) == 0); /* bit for bit, -0.0 included */
    ck_assert_int_eq(senti_gguf_get_arr(g, "k.empty", &a, &e), SENTI_OK);
    ck_assert_uint_eq(a.count, 0);

    ck_assert_uint_eq(senti_gguf_n_tensors(g), 3);
    check_tensor(g, 0, "m.f32", SENTI_TYPE_F32, 2, (int64_t[]){5, 3}, t.f32, sizeof t.f32);
    check_tensor(g, 1, "m.q8", SENTI_TYPE_Q8_0, 3, (int64_t[]){64, 1, 2}, t.q8, sizeof t.q8);
    check_tensor(g, 2, "v.f16", SENTI_TYPE_F16, 1, (int64_t[]){7}, t.f16, sizeof t.f16);
    ck_assert_uint_eq(senti_type_row_size(SENTI_TYPE_Q8_0, 64), 68); /* the layout the q8 bytes assume */
    senti_gguf_close(g);
    remove(path);
    free(path);
}
END_TEST

START_TEST(test_refusals)
{
    senti_gguf_writer *w = senti_gguf_writer_new();
    const float x[64] = {0};
    /* dimensions out of range, unknown type, a row that is not whole blocks, no rows */
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a", SENTI_TYPE_F32, 0, (int64_t[]){4}, x), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a", SENTI_TYPE_F32, 5, (int64_t[]){4, 1, 1, 1, 1}, x),
                     SENTI_ERR_ARG);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a", 99, 1, (int64_t[]){4}, x), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a", SENTI_TYPE_Q8_0, 1, (int64_t[]){33}, x), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a", SENTI_TYPE_F32, 2, (int64_t[]){4, 0}, x), SENTI_ERR_ARG);
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "a", SENTI_TYPE_F32, 2, (int64_t[]){4, -2}, x), SENTI_ERR_ARG);
    /* nothing refused was added: the file holds only what follows */
    ck_assert_int_eq(senti_gguf_writer_add_tensor(w, "ok", SENTI_TYPE_F32, 1, (int64_t[]){4}, x), SENTI_OK);
    senti_err e = {0};
    ck_assert_int_eq(senti_gguf_writer_write(w, "/nonexistent-dir/x.gguf", &e), SENTI_ERR_IO);
    ck_assert_msg(strstr(e.msg, "/nonexistent-dir/x.gguf") != NULL, "%s", e.msg);
    char *path = tu_tmpfile(".gguf");
    ck_assert_msg(senti_gguf_writer_write(w, path, &e) == SENTI_OK, "%s", e.msg);
    senti_gguf *g;
    ck_assert_msg(senti_gguf_open(path, &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_gguf_n_tensors(g), 1);
    ck_assert_uint_eq(senti_gguf_n_kv(g), 0);
    senti_gguf_close(g);
    remove(path);
    free(path);
    senti_gguf_writer_free(w);
    senti_gguf_writer_free(NULL);
}
END_TEST

Suite *gguf_write_suite(void)
{
    Suite *s = suite_create("gguf_write");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}
