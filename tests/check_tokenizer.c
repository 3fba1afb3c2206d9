/*
 * check_tokenizer.c - the tokenizers against llama.cpp.
 *
 * Golden files tests/data/tokenizer/{smollm2,gemma3,qwen05,qwen15}.jsonl were written by
 * tools/gen_tokenizer_golden.py with llama-cpp-python (llama.cpp's own
 * tokenizer) on the same GGUF files: every entry must give exactly the same
 * ids, and decoding those ids (special tokens shown) must give exactly
 * llama.cpp's concatenated token_to_piece output. Where llama.cpp round-trips
 * (the pieces equal the input text), we must round-trip too.
 * Metadata facts are checked against values read with gguf-py (noted inline).
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/gguf.h"
#include "senti/tokenizer.h"
#include "testutil.h"

static senti_tokenizer *load_tok(const char *model)
{
    senti_gguf *g;
    senti_tokenizer *t;
    senti_err e;
    ck_assert_msg(senti_gguf_open(tu_model_path(model), &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_msg(senti_tokenizer_load(g, &t, &e) == SENTI_OK, "%s", e.msg);
    senti_gguf_close(g); /* the tokenizer must not depend on the map */
    return t;
}

/* Bytes of a JSON string, or of a hex string; caller frees. */
static char *entry_bytes(json_t *o, const char *key, const char *hexkey, size_t *len)
{
    json_t *v = json_object_get(o, key);
    if (v) {
        *len = json_string_length(v);
        char *s = malloc(*len + 1);
        memcpy(s, json_string_value(v), *len + 1);
        return s;
    }
    const char *h = json_string_value(json_object_get(o, hexkey));
    ck_assert_ptr_nonnull(h);
    *len = strlen(h) / 2;
    char *s = malloc(*len + 1);
    for (size_t i = 0; i < *len; i++) {
        unsigned x;
        sscanf(h + 2 * i, "%2x", &x);
        s[i] = (char)x;
    }
    s[*len] = 0;
    return s;
}

/* Compare one golden entry; returns 1 on mismatch (after printing it). */
static int check_entry(const senti_tokenizer *t, json_t *o, int line, int *roundtrips)
{
    size_t len, plen;
    char *text = entry_bytes(o, "text", "hex", &len);
    char *pieces = entry_bytes(o, "pieces", "pieces_hex", &plen);
    int flags = (json_is_true(json_object_get(o, "add_special")) ? SENTI_TOK_ADD_SPECIAL : 0) |
                (json_is_true(json_object_get(o, "parse_special")) ? SENTI_TOK_PARSE_SPECIAL : 0);
    json_t *want = json_object_get(o, "ids");
    size_t nwant = json_array_size(want), n = 0;
    int32_t ids[4096];
    senti_err e;
    int bad = senti_tokenize(t, text, len, flags, ids, 4096, &n, &e) != SENTI_OK || n != nwant;
    for (size_t i = 0; !bad && i < n; i++)
        bad = ids[i] != json_integer_value(json_array_get(want, i));
    char dec[8192];
    size_t dn = senti_detokenize(t, ids, n, true, dec, sizeof dec);
    if (!bad && (dn != plen || memcmp(dec, pieces, plen))) {
        fprintf(stderr, "line %d: decode differs: '%.*s' vs '%s'\n", line, (int)dn, dec, pieces);
        bad = 1;
    }
    /* round trip where llama.cpp has one (BOS text aside) */
    size_t skip = 0, bos_len = 0;
    if (n && ids[0] == senti_token_bos(t) && (flags & SENTI_TOK_ADD_SPECIAL) && senti_tokenizer_add_bos(t)) {
        skip = 1;
        bos_len = senti_token_text(t, ids[0]).len;
    }
    if (!bad && plen >= bos_len && plen - bos_len == len && !memcmp(pieces + bos_len, text, len)) {
        dn = senti_detokenize(t, ids + skip, n - skip, true, dec, sizeof dec);
        bad = dn != len || memcmp(dec, text, len);
        (*roundtrips)++;
    }
    if (bad) {
        char *js = json_dumps(o, JSON_COMPACT);
        fprintf(stderr, "line %d mismatch: %s\n  got %zu ids:", line, js, n);
        for (size_t i = 0; i < n && i < 64; i++)
            fprintf(stderr, " %d", ids[i]);
        fprintf(stderr, "\n");
        free(js);
    }
    free(text);
    free(pieces);
    return bad;
}

static void run_golden(const char *model, const char *file, int min_entries)
{
    senti_tokenizer *t = load_tok(model);
    FILE *f = fopen(tu_data_path(file), "r");
    ck_assert_msg(f != NULL, "missing %s", tu_data_path(file));
    char *line = NULL;
    size_t cap = 0;
    int n = 0, bad = 0, roundtrips = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *o = json_loads(line, JSON_ALLOW_NUL, &je);
        ck_assert_msg(o != NULL, "%s:%d: %s", file, n + 1, je.text);
        bad += check_entry(t, o, n + 1, &roundtrips);
        json_decref(o);
        n++;
    }
    free(line);
    fclose(f);
    senti_tokenizer_free(t);
    ck_assert_int_ge(n, min_entries);
    ck_assert_int_ge(roundtrips, min_entries / 2);
    ck_assert_msg(bad == 0, "%s: %d of %d entries differ from llama.cpp", file, bad, n);
}

START_TEST(test_golden_smollm2) { run_golden(TU_SMOLLM2, "tokenizer/smollm2.jsonl", 300); }
END_TEST

START_TEST(test_golden_gemma3) { run_golden(TU_GEMMA3, "tokenizer/gemma3.jsonl", 300); }
END_TEST

START_TEST(test_golden_qwen05) { run_golden(TU_QWEN05, "tokenizer/qwen05.jsonl", 300); }
END_TEST

START_TEST(test_golden_qwen15)
{
    if (tu_optional_model(TU_QWEN15, "tokenizer golden qwen15"))
        run_golden(TU_QWEN15, "tokenizer/qwen15.jsonl", 300);
}
END_TEST

/* gguf-py: tokenizer.ggml.model gpt2, pre smollm, 49152 tokens, bos 1, eos 2,
 * add_bos_token false; token 1 is '<|im_start|>' (control). */
START_TEST(test_smollm2_facts)
{
    senti_tokenizer *t = load_tok(TU_SMOLLM2);
    ck_assert_int_eq(senti_tokenizer_kind(t), SENTI_TOK_BPE);
    ck_assert_str_eq(senti_tokenizer_pre(t), "smollm");
    ck_assert_int_eq(senti_tokenizer_n_vocab(t), 49152);
    ck_assert_int_eq(senti_token_bos(t), 1);
    ck_assert_int_eq(senti_token_eos(t), 2);
    ck_assert(!senti_tokenizer_add_bos(t));
    ck_assert(!senti_tokenizer_add_eos(t));
    ck_assert_int_eq(senti_token_lookup(t, "<|im_start|>", 12), 1);
    ck_assert_int_eq(senti_token_lookup(t, "no such token at all", 20), -1);
    char buf[32];
    /* control tokens decode to nothing unless asked */
    ck_assert_uint_eq(senti_token_to_piece(t, 1, false, buf, sizeof buf), 0);
    ck_assert_uint_eq(senti_token_to_piece(t, 1, true, buf, sizeof buf), 12);
    ck_assert(!memcmp(buf, "<|im_start|>", 12));
    /* byte-level text: 'Ġ' (U+0120) stands for the space byte */
    int32_t id = senti_token_lookup(t, "\xc4\xa0the", 5);
    ck_assert_int_ge(id, 0);
    ck_assert_uint_eq(senti_token_to_piece(t, id, false, buf, sizeof buf), 4);
    ck_assert(!memcmp(buf, " the", 4));
    senti_tokenizer_free(t);
}
END_TEST

/* gguf-py: model llama, 262144 tokens, bos 2, eos 1, add_bos true,
 * add_space_prefix false; <0x41> is a byte token, '\n' (107) user-defined. */
START_TEST(test_gemma3_facts)
{
    senti_tokenizer *t = load_tok(TU_GEMMA3);
    ck_assert_int_eq(senti_tokenizer_kind(t), SENTI_TOK_SPM);
    ck_assert_str_eq(senti_tokenizer_pre(t), "");
    ck_assert_int_eq(senti_tokenizer_n_vocab(t), 262144);
    ck_assert_int_eq(senti_token_bos(t), 2);
    ck_assert_int_eq(senti_token_eos(t), 1);
    ck_assert(senti_tokenizer_add_bos(t));
    char buf[8];
    int32_t id = senti_token_lookup(t, "<0x41>", 6);
    ck_assert_int_ge(id, 0);
    ck_assert_uint_eq(senti_token_to_piece(t, id, false, buf, sizeof buf), 1);
    ck_assert_int_eq(buf[0], 'A');
    ck_assert_int_eq(senti_token_lookup(t, "\n", 1), 107);
    /* '▁' decodes to a space */
    id = senti_token_lookup(t, "\xe2\x96\x81great", 8);
    ck_assert_int_ge(id, 0);
    ck_assert_uint_eq(senti_token_to_piece(t, id, false, buf, sizeof buf), 6);
    ck_assert(!memcmp(buf, " great", 6));
    senti_tokenizer_free(t);
}
END_TEST

/* gguf-py, the same for both Qwen2.5-Coder files: model gpt2, pre qwen2,
 * 151936 tokens, bos 151643 (<|endoftext|>), eos 151645 (<|im_end|>),
 * add_bos_token false; <|im_start|> 151644 and <|fim_prefix|> 151659 are
 * control tokens (type 3); 'Ġpositive' is 6785. */
static void qwen_facts(const char *model)
{
    senti_tokenizer *t = load_tok(model);
    ck_assert_int_eq(senti_tokenizer_kind(t), SENTI_TOK_BPE);
    ck_assert_str_eq(senti_tokenizer_pre(t), "qwen2");
    ck_assert_int_eq(senti_tokenizer_n_vocab(t), 151936);
    ck_assert_int_eq(senti_token_bos(t), 151643);
    ck_assert_int_eq(senti_token_eos(t), 151645);
    ck_assert(!senti_tokenizer_add_bos(t));
    ck_assert(!senti_tokenizer_add_eos(t));
    ck_assert_int_eq(senti_token_lookup(t, "<|im_start|>", 12), 151644);
    ck_assert_int_eq(senti_token_lookup(t, "<|fim_prefix|>", 14), 151659);
    char buf[32];
    ck_assert_uint_eq(senti_token_to_piece(t, 151644, false, buf, sizeof buf), 0);
    ck_assert_int_eq(senti_token_lookup(t, "\xc4\xa0positive", 10), 6785);
    ck_assert_uint_eq(senti_token_to_piece(t, 6785, false, buf, sizeof buf), 9);
    ck_assert(!memcmp(buf, " positive", 9));
    senti_tokenizer_free(t);
}

START_TEST(test_qwen05_facts) { qwen_facts(TU_QWEN05); }
END_TEST

START_TEST(test_qwen15_facts)
{
    if (tu_optional_model(TU_QWEN15, "tokenizer facts qwen15"))
        qwen_facts(TU_QWEN15);
}
END_TEST

/* Output buffer contract: RANGE with the full count, then a retry fits. */
START_TEST(test_buffer_too_small)
{
    senti_tokenizer *t = load_tok(TU_SMOLLM2);
    const char *text = "a b c d e f g";
    int32_t ids[16];
    size_t n;
    senti_err e;
    ck_assert_int_eq(senti_tokenize(t, text, strlen(text), 0, ids, 3, &n, &e), SENTI_ERR_RANGE);
    ck_assert_uint_eq(n, 7); /* 'a' then ' b' ... ' g' */
    ck_assert_int_eq(senti_tokenize(t, text, strlen(text), 0, ids, 16, &n, &e), SENTI_OK);
    ck_assert_uint_eq(n, 7);
    char out[4];
    /* detokenize reports the full length and truncates with a NUL */
    ck_assert_uint_eq(senti_detokenize(t, ids, n, false, out, sizeof out), strlen(text));
    ck_assert_str_eq(out, "a b");
    ck_assert_int_eq(senti_tokenize(t, "", 0, SENTI_TOK_ADD_SPECIAL, ids, 16, &n, &e), SENTI_OK);
    ck_assert_uint_eq(n, 0);
    senti_tokenizer_free(t);
}
END_TEST

Suite *tokenizer_suite(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("real");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_golden_smollm2);
    tcase_add_test(tc, test_golden_gemma3);
    tcase_add_test(tc, test_smollm2_facts);
    tcase_add_test(tc, test_gemma3_facts);
    tcase_add_test(tc, test_buffer_too_small);
    tcase_add_test(tc, test_golden_qwen05);
    tcase_add_test(tc, test_qwen05_facts);
    suite_add_tcase(s, tc);
    TCase *large = tcase_create("large"); /* make check-large: CK_RUN_CASE=large */
    tcase_set_timeout(large, 120);
    tcase_add_test(large, test_golden_qwen15);
    tcase_add_test(large, test_qwen15_facts);
    suite_add_tcase(s, large);
    return s;
}
