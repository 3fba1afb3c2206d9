/*
 * check_verbalizer.c - verbalizer files: the shipped ones load, validation
 * errors are exact, the leading-space rule, and label-word token ids against
 * llama.cpp (tools/gen_label_tokens.py, llama-cpp-python 0.3.36).
 */
#include <check.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "senti/gguf.h"
#include "senti/tokenizer.h"
#include "senti/verbalizer.h"
#include "testutil.h"

START_TEST(test_shipped_verbalizers_load)
{
    glob_t g;
    ck_assert_int_eq(glob("verbalizers/*.json", 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 10);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        senti_verbalizer *v;
        senti_err e = {0};
        ck_assert_msg(senti_verbalizer_load(g.gl_pathv[i], &v, &e) == SENTI_OK, "%s", e.msg);
        ck_assert_uint_ge(senti_verbalizer_n_labels(v), 2);
        senti_verbalizer_free(v);
    }
    globfree(&g);

    senti_verbalizer *v;
    senti_err e;
    ck_assert_int_eq(senti_verbalizer_load("verbalizers/sst5.json", &v, &e), SENTI_OK);
    ck_assert_str_eq(senti_verbalizer_name(v), "sst5");
    ck_assert_uint_eq(senti_verbalizer_n_labels(v), 5);
    for (size_t i = 0; i < 5; i++) {
        char k[2] = {(char)('0' + i), 0};
        ck_assert_str_eq(senti_verbalizer_label(v, i), k);
        ck_assert_int_eq(senti_verbalizer_find(v, k), (int)i);
    }
    ck_assert_str_eq(senti_verbalizer_display(v, 4), "very positive");
    ck_assert_str_eq(senti_verbalizer_template(v), "Review: {text}\nThe movie was");
    ck_assert_int_eq(senti_verbalizer_find(v, "5"), -1);
    senti_verbalizer_free(v);

    ck_assert_int_eq(senti_verbalizer_load("verbalizers/tweeteval.json", &v, &e), SENTI_OK);
    ck_assert_str_eq(senti_verbalizer_label(v, 1), "neutral");
    ck_assert_str_eq(senti_verbalizer_display(v, 1), "neutral"); /* defaults to the key */
    senti_verbalizer_free(v);
}
END_TEST

START_TEST(test_order_and_fields)
{
    const char *j = "{\"labels\": {\"pos\": [\"good\", \"fine\"], \"neg\": \"bad\", \"mid\": [\"so-so\"]},"
                    " \"label_order\": [\"neg\", \"mid\", \"pos\"], \"separator\": \"\\n---\\n\","
                    " \"_comment\": \"ignored\"}";
    senti_verbalizer *v;
    senti_err e;
    ck_assert_int_eq(senti_verbalizer_parse(j, strlen(j), "dir/three.json", &v, &e), SENTI_OK);
    ck_assert_str_eq(senti_verbalizer_name(v), "three");
    ck_assert_str_eq(senti_verbalizer_label(v, 0), "neg");
    ck_assert_str_eq(senti_verbalizer_label(v, 2), "pos");
    ck_assert_uint_eq(senti_verbalizer_n_words(v, 2), 2);
    ck_assert_str_eq(senti_verbalizer_word(v, 2, 1), "fine");
    ck_assert_str_eq(senti_verbalizer_word(v, 0, 0), "bad");
    ck_assert_str_eq(senti_verbalizer_separator(v), "\n---\n");
    ck_assert_ptr_null(senti_verbalizer_template(v));
    /* sha256 of the JSON text, from Python's hashlib */
    ck_assert_str_eq(senti_verbalizer_sha256(v), "dd32b124506332e6a40ccf796bee8fbeddba9064974418d891897b9b9d6bf002");
    senti_verbalizer_free(v);

    /* Without label_order: file order. */
    const char *k = "{\"labels\": {\"b\": [\"x\"], \"a\": [\"y\"]}}";
    ck_assert_int_eq(senti_verbalizer_parse(k, strlen(k), "k.json", &v, &e), SENTI_OK);
    ck_assert_str_eq(senti_verbalizer_label(v, 0), "b");
    ck_assert_str_eq(senti_verbalizer_label(v, 1), "a");
    senti_verbalizer_free(v);
}
END_TEST

static void expect_bad(const char *json, const char *msg)
{
    senti_verbalizer *v = NULL;
    senti_err e = {0};
    ck_assert_int_eq(senti_verbalizer_parse(json, strlen(json), "v.json", &v, &e), SENTI_ERR_FORMAT);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(e.msg, msg);
}

START_TEST(test_validation_errors)
{
    expect_bad("{\"labels\": {\"0\": [], \"1\": [\"good\"]}}", "v.json: label \"0\" has no words");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\" \"]}}", "v.json: label \"1\": word 1 is empty");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"0\": [\"good\"]}}",
               "v.json:1:29: duplicate object key near '\"0\"'");
    expect_bad("{\"labels\": {\"0\": [\"bad\", \"bad\"], \"1\": [\"good\"]}}",
               "v.json: label \"0\": word \"bad\" is listed twice");
    expect_bad("{\"labels\": {\"0\": [\"ok\"], \"1\": [\"ok\"]}}", "v.json: word \"ok\" is used by labels \"0\" and \"1\"");
    expect_bad("{\"labels\": {\"0\": [\"bad\"]}}", "v.json: \"labels\" needs at least 2 labels, has 1");
    expect_bad("{\"label\": {\"0\": [\"bad\"]}}", "v.json: unknown key \"label\"");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [7]}}", "v.json: label \"1\": word 1 is not a string");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"label_order\": [\"0\", \"2\"]}",
               "v.json: \"label_order\" entry 2 (2) is not a label");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"label_order\": [\"0\", \"0\"]}",
               "v.json: \"label_order\" entry 2 (0) is repeated");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"template\": \"Review:\"}",
               "v.json: \"template\" must contain {text} exactly once");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"display\": {\"2\": \"x\"}}",
               "v.json: \"display\": \"2\" is not a label");
    expect_bad("[1]", "v.json: the top level must be a JSON object");
    expect_bad("{\"labels\": ", "v.json:1:11: unexpected token near end of file");
}
END_TEST

/* label_map: dataset values stand for labels (after label_order), labels still
 * match themselves, anything else is unknown; bad maps are named. */
START_TEST(test_label_map)
{
    const char *j = "{\"labels\": {\"pos\": \"good\", \"neg\": \"bad\"}, \"label_order\": [\"neg\", \"pos\"],"
                    " \"label_map\": {\"1\": \"neg\", \"2\": \"neg\", \"5\": \"pos\"}}";
    senti_verbalizer *v;
    senti_err e;
    ck_assert_int_eq(senti_verbalizer_parse(j, strlen(j), "m.json", &v, &e), SENTI_OK);
    ck_assert_int_eq(senti_verbalizer_find(v, "1"), 0);
    ck_assert_int_eq(senti_verbalizer_find(v, "2"), 0);
    ck_assert_int_eq(senti_verbalizer_find(v, "5"), 1);
    ck_assert_int_eq(senti_verbalizer_find(v, "pos"), 1);
    ck_assert_int_eq(senti_verbalizer_find(v, "3"), -1);
    ck_assert_uint_eq(senti_verbalizer_n_mapped(v), 3);
    size_t l;
    ck_assert_str_eq(senti_verbalizer_mapped(v, 2, &l), "5");
    ck_assert_uint_eq(l, 1);
    senti_verbalizer_free(v);
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"label_map\": {\"a\": \"2\"}}",
               "v.json: label_map: \"a\" maps to \"2\", which is not one of the labels");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"label_map\": {\"a\": 1}}",
               "v.json: label_map: \"a\" must map to a label (a string)");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"label_map\": {\"1\": \"0\"}}",
               "v.json: label_map: \"1\" is a label itself; map only the dataset values that are not");
    expect_bad("{\"labels\": {\"0\": [\"bad\"], \"1\": [\"good\"]}, \"label_map\": [\"0\"]}",
               "v.json: \"label_map\" must be an object");
}
END_TEST

START_TEST(test_continuation_rule)
{
    char buf[64];
    ck_assert_uint_eq(senti_continuation_text("Sentiment:", 10, "great", buf, sizeof buf), 6);
    ck_assert_str_eq(buf, " great");
    ck_assert_uint_eq(senti_continuation_text("assistant\n", 10, "great", buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "great");
    ck_assert_uint_eq(senti_continuation_text("", 0, "great", buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "great");
    ck_assert_uint_eq(senti_continuation_text("It was", 6, " great", buf, sizeof buf), 6);
    ck_assert_str_eq(buf, " great"); /* the author's own leading space is kept, not doubled */
    ck_assert_uint_eq(senti_continuation_text("x:", 2, "great", buf, 4), 6);
    ck_assert_str_eq(buf, " gr"); /* truncated to cap, full length returned */
}
END_TEST

/* Tokenize the label words of `json` after `prompt` with a real model and
 * compare with llama.cpp's ids for prompt + continuation. */
static void check_model_tokens(const char *model, const char *json, const char *prompt, int flags,
                               const int32_t *want, const char *const *texts)
{
    senti_gguf *g;
    senti_tokenizer *tok;
    senti_verbalizer *v;
    senti_verbalizer_tokens *t;
    senti_err e = {0};
    ck_assert_msg(senti_gguf_open(tu_model_path(model), &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_msg(senti_tokenizer_load(g, &tok, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(senti_verbalizer_parse(json, strlen(json), "t.json", &v, &e), SENTI_OK);
    ck_assert_msg(senti_verbalizer_tokenize(v, tok, prompt, strlen(prompt), flags, &t, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(t->n_words, 2);
    ck_assert(t->all_single);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_uint_eq(t->label_first[i], i);
        ck_assert_uint_eq(t->words[i].n, 1);
        ck_assert_int_eq(t->words[i].ids[0], want[i]);
        ck_assert(t->words[i].clean_split);
        ck_assert_str_eq(t->words[i].text, texts[i]);
    }
    senti_verbalizer_tokens_free(t);
    senti_verbalizer_free(v);
    senti_tokenizer_free(tok);
    senti_gguf_close(g);
}

START_TEST(test_label_tokens_smollm2)
{
    static const int32_t plain[] = {26990, 20085}, chat[] = {17728, 16185};
    static const char *const plain_t[] = {" Negative", " Positive"}, *const chat_t[] = {"negative", "positive"};
    check_model_tokens(TU_SMOLLM2, "{\"labels\": {\"0\": [\"Negative\"], \"1\": [\"Positive\"]}}",
                       "Review: fine\nSentiment:", SENTI_TOK_ADD_SPECIAL, plain, plain_t);
    check_model_tokens(TU_SMOLLM2, "{\"labels\": {\"0\": [\"negative\"], \"1\": [\"positive\"]}}",
                       "<|im_start|>user\nReview: fine\nSentiment:<|im_end|>\n<|im_start|>assistant\n",
                       SENTI_TOK_ADD_SPECIAL | SENTI_TOK_PARSE_SPECIAL, chat, chat_t);
}
END_TEST

START_TEST(test_label_tokens_gemma3)
{
    static const int32_t plain[] = {57647, 44771}, adj[] = {21832, 1822};
    static const char *const plain_t[] = {" Negative", " Positive"}, *const adj_t[] = {" terrible", " great"};
    check_model_tokens(TU_GEMMA3, "{\"labels\": {\"0\": [\"Negative\"], \"1\": [\"Positive\"]}}",
                       "Review: fine\nSentiment:", SENTI_TOK_ADD_SPECIAL, plain, plain_t);
    check_model_tokens(TU_GEMMA3, "{\"labels\": {\"0\": [\"terrible\"], \"1\": [\"great\"]}}", "fine It was",
                       SENTI_TOK_ADD_SPECIAL, adj, adj_t);
}
END_TEST

Suite *verbalizer_suite(void);
Suite *verbalizer_suite(void)
{
    Suite *s = suite_create("verbalizer");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, test_shipped_verbalizers_load);
    tcase_add_test(tc, test_order_and_fields);
    tcase_add_test(tc, test_validation_errors);
    tcase_add_test(tc, test_label_map);
    tcase_add_test(tc, test_continuation_rule);
    suite_add_tcase(s, tc);
    TCase *tm = tcase_create("tokens");
    tcase_add_test(tm, test_label_tokens_smollm2);
    tcase_add_test(tm, test_label_tokens_gemma3);
    tcase_set_timeout(tm, 60);
    suite_add_tcase(s, tm);
    return s;
}
