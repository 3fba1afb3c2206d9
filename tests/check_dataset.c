/*
 * check_dataset.c - the streaming CSV and JSON lines reader: RFC 4180 details, exact error
 * messages (file and line), streaming memory, row accounting and sampling.
 * Expected values are written by hand from the fixture bytes under tests/data/csv/.
 */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "senti/dataset.h"
#include "testutil.h"

/* Open a fixture and expect the first failing call to report `msg` exactly. */
static void expect_error(const char *rel, const senti_dataset_params *p, senti_status code, const char *msg)
{
    senti_dataset *d = NULL;
    senti_err e = {0};
    senti_status st = senti_dataset_open(tu_data_path(rel), p, &d, &e);
    if (st == SENTI_OK) {
        senti_row r;
        bool have = true;
        while (have && (st = senti_dataset_next(d, &r, &have, &e)) == SENTI_OK)
            ;
        senti_dataset_close(d);
    }
    ck_assert_int_eq(st, code);
    ck_assert_str_eq(e.msg, msg);
}

START_TEST(test_bom_crlf_quoted_newline)
{
    senti_dataset_params p = senti_dataset_default_params();
    p.id_col = "id";
    senti_dataset *d;
    senti_err e;
    ck_assert_int_eq(senti_dataset_open(tu_data_path("csv/bom_crlf.csv"), &p, &d, &e), SENTI_OK);
    ck_assert_str_eq(senti_dataset_col_name(d, 0), "id"); /* BOM stripped */
    ck_assert_str_eq(senti_dataset_text_col(d), "text");
    ck_assert_str_eq(senti_dataset_label_col(d), "label");
    senti_row r;
    bool have;
    ck_assert_int_eq(senti_dataset_next(d, &r, &have, &e), SENTI_OK);
    ck_assert(have);
    ck_assert_uint_eq(r.row, 1);
    ck_assert_uint_eq(r.line, 2);
    ck_assert_str_eq(r.id, "r1");
    ck_assert_str_eq(r.text, "Great, really great");
    ck_assert_str_eq(r.label, "positive");
    ck_assert_int_eq(senti_dataset_next(d, &r, &have, &e), SENTI_OK);
    ck_assert_uint_eq(r.row, 2);
    ck_assert_uint_eq(r.line, 3);
    ck_assert_str_eq(r.text, "two\r\nlines \"quoted\""); /* quoted line end kept as is */
    ck_assert_uint_eq(r.text_len, 19);
    ck_assert_str_eq(r.label, "negative");
    ck_assert_int_eq(senti_dataset_next(d, &r, &have, &e), SENTI_OK);
    ck_assert_uint_eq(r.row, 3);
    ck_assert_uint_eq(r.line, 6); /* after the two-line record and a blank line */
    ck_assert_str_eq(r.id, "r3");
    ck_assert_str_eq(r.text, "plain text");
    ck_assert_int_eq(senti_dataset_next(d, &r, &have, &e), SENTI_OK);
    ck_assert(!have);
    senti_dataset_close(d);
}
END_TEST

START_TEST(test_no_header_by_number)
{
    senti_dataset_params p = senti_dataset_default_params();
    p.no_header = true;
    senti_examples *ex;
    senti_err e;
    ck_assert_int_eq(senti_examples_load(tu_data_path("csv/no_header.csv"), &p, &ex, &e), SENTI_OK);
    ck_assert_uint_eq(ex->n, 3);
    ck_assert(ex->has_label);
    ck_assert_str_eq(ex->items[0].text, "one");
    ck_assert_uint_eq(ex->items[0].row, 1);
    ck_assert_uint_eq(ex->items[0].line, 1);
    ck_assert_str_eq(ex->items[1].text, "two, with comma");
    ck_assert_str_eq(ex->items[1].label, "negative");
    ck_assert_str_eq(ex->items[2].text, "three"); /* no final newline */
    ck_assert_uint_eq(ex->items[2].line, 3);
    senti_examples_free(ex);

    p.text_col = "2";
    p.label_col = "";
    ck_assert_int_eq(senti_examples_load(tu_data_path("csv/no_header.csv"), &p, &ex, &e), SENTI_OK);
    ck_assert(!ex->has_label);
    ck_assert_str_eq(ex->items[0].text, "positive");
    ck_assert_ptr_null(ex->items[0].label);
    senti_examples_free(ex);

    p.text_col = "3";
    expect_error("csv/no_header.csv", &p, SENTI_ERR_NOTFOUND,
                 "tests/data/csv/no_header.csv:1: no text column 3 (rows have 2 columns)");
}
END_TEST

START_TEST(test_error_messages)
{
    senti_dataset_params p = senti_dataset_default_params();
    expect_error("csv/unterminated.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/unterminated.csv:3: unterminated quoted field");
    expect_error("csv/ragged.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/ragged.csv:3: ragged row: row 2 has 3 fields, expected 2");
    expect_error("csv/bad_utf8.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/bad_utf8.csv:5: invalid UTF-8 in column 'text' (byte 4 of the field)");
    expect_error("csv/stray_quote.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/stray_quote.csv:3: malformed quoting (a quote inside an unquoted field, "
                 "or text after a closing quote)");
    expect_error("csv/no_text_col.csv", &p, SENTI_ERR_NOTFOUND,
                 "tests/data/csv/no_text_col.csv:1: no text column: looked for 'text' and 'sentence' "
                 "(columns: review, stars)");
    expect_error("csv/bare_cr.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/bare_cr.csv:2: bare CR line end (only LF and CRLF are supported)");
    /* Found by fuzzing: a bare CR with no LF after it anywhere; the fields after
     * it used to land in the header (or the ready row) before the error. */
    expect_error("csv/bare_cr_header.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/bare_cr_header.csv:1: bare CR line end (only LF and CRLF are supported)");
    expect_error("csv/bare_cr_eof.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/bare_cr_eof.csv:2: bare CR line end (only LF and CRLF are supported)");
    p.label_col = "stars";
    p.text_col = "review";
    p.id_col = "key";
    expect_error("csv/no_text_col.csv", &p, SENTI_ERR_NOTFOUND,
                 "tests/data/csv/no_text_col.csv:1: no id column 'key' in the header (columns: review, stars)");
    expect_error("csv/does_not_exist.csv", &p, SENTI_ERR_IO,
                 "tests/data/csv/does_not_exist.csv: cannot open: No such file or directory");
    /* Lenient mode accepts the stray quote as data. */
    p = senti_dataset_default_params();
    p.strict = false;
    senti_examples *ex;
    senti_err e;
    ck_assert_int_eq(senti_examples_load(tu_data_path("csv/stray_quote.csv"), &p, &ex, &e), SENTI_OK);
    ck_assert_str_eq(ex->items[1].text, "bad \"quote\" here");
    senti_examples_free(ex);
}
END_TEST

/* Tiny chunks put chunk boundaries inside quotes, CRLF pairs and the BOM's neighbourhood. */
START_TEST(test_tiny_chunks)
{
    senti_dataset_params p = senti_dataset_default_params();
    p.chunk_size = 16;
    p.id_col = "id";
    senti_examples *ex;
    senti_err e;
    ck_assert_int_eq(senti_examples_load(tu_data_path("csv/bom_crlf.csv"), &p, &ex, &e), SENTI_OK);
    ck_assert_uint_eq(ex->n, 3);
    ck_assert_str_eq(ex->items[1].text, "two\r\nlines \"quoted\"");
    ck_assert_uint_eq(ex->items[2].line, 6);
    senti_examples_free(ex);
    p.id_col = NULL;
    expect_error("csv/bad_utf8.csv", &p, SENTI_ERR_FORMAT,
                 "tests/data/csv/bad_utf8.csv:5: invalid UTF-8 in column 'text' (byte 4 of the field)");
}
END_TEST

/* A generated file of N rows: row i has text "row <i> ..." and label i % 3. */
static char *write_big(size_t n, size_t *bytes)
{
    char *path = tu_tmpfile(".csv");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("id,text,label\n", f);
    for (size_t i = 1; i <= n; i++)
        fprintf(f, "%zu,\"row %zu says \"\"hello\"\", with a comma and some padding text to make it long\",%zu\n",
                i, i, i % 3);
    *bytes = (size_t)ftell(f);
    fclose(f);
    return path;
}

START_TEST(test_stream_large_file)
{
    size_t bytes;
    const size_t n = 200000;
    char *path = write_big(n, &bytes);
    ck_assert_uint_gt(bytes, 16u << 20);
    senti_dataset_params p = senti_dataset_default_params();
    p.id_col = "id";
    senti_dataset *d;
    senti_err e;
    ck_assert_int_eq(senti_dataset_open(path, &p, &d, &e), SENTI_OK);
    size_t base = mallinfo2().uordblks, peak = base;
    senti_row r;
    bool have;
    size_t count = 0;
    char want[128];
    while (senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have) {
        count++;
        if (count % 9973 == 0) {
            snprintf(want, sizeof want, "row %zu says \"hello\", with a comma and some padding text to make it long",
                     count);
            ck_assert_str_eq(r.text, want);
            ck_assert_uint_eq(r.row, count);
            ck_assert_uint_eq(r.line, count + 1);
            ck_assert_uint_eq(strtoul(r.label, NULL, 10), count % 3);
            size_t now = mallinfo2().uordblks;
            peak = now > peak ? now : peak;
        }
    }
    ck_assert_uint_eq(count, n);
    ck_assert_uint_eq(senti_dataset_bytes_read(d), bytes);
    senti_dataset_close(d);
    /* Streaming: heap growth while reading a 16+ MB file stays under 256 KiB. */
    ck_assert_uint_lt(peak - base, 256u << 10);

    size_t counted;
    ck_assert_int_eq(senti_dataset_count(path, &p, &counted, &e), SENTI_OK);
    ck_assert_uint_eq(counted, n);
    remove(path);
    free(path);
}
END_TEST

/* Reference reservoir sampling written out independently (same RNG stream). */
/* A JSON lines file with `text` as its content (tu_tmpfile, caller frees the name). */
static char *write_jsonl(const char *text)
{
    char *path = tu_tmpfile(".jsonl");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The first failing call on a JSON lines text reports `msg` after "<path>:". */
static void expect_jsonl_error(const char *text, const senti_dataset_params *p, const char *msg)
{
    char *path = write_jsonl(text), want[4200];
    senti_dataset *d = NULL;
    senti_err e = {0};
    senti_status st = senti_dataset_open(path, p, &d, &e);
    if (st == SENTI_OK) {
        senti_row r;
        bool have = true;
        while (have && (st = senti_dataset_next(d, &r, &have, &e)) == SENTI_OK)
            ;
        senti_dataset_close(d);
    }
    ck_assert_int_ne(st, SENTI_OK);
    snprintf(want, sizeof want, "%s:%s", path, msg);
    ck_assert_str_eq(e.msg, want);
    remove(path);
    free(path);
}

/* JSON lines: fields chosen from the first record's keys, integers as
 * decimal text, blank lines skipped, a BOM dropped, limit applied; every
 * malformed line named with its number. */
START_TEST(test_jsonl)
{
    char *path = write_jsonl("\xEF\xBB\xBF{\"id\": 7, \"sentence\": \"a \\\"quoted\\\", text\", \"label\": 1}\n"
                             "\n   \n"
                             "{\"label\": \"neg\", \"sentence\": \"line\\nbreak \u00e9\", \"id\": \"x\", \"extra\": [1]}\n"
                             "{\"sentence\": \"third\", \"label\": 0, \"id\": 9}");
    senti_dataset_params p = senti_dataset_default_params();
    p.id_col = "id";
    senti_dataset *d;
    senti_err e = {0};
    ck_assert_msg(senti_dataset_open(path, &p, &d, &e) == SENTI_OK, "%s", e.msg);
    ck_assert(senti_dataset_is_jsonl(d));
    ck_assert_str_eq(senti_dataset_text_col(d), "sentence");
    ck_assert_str_eq(senti_dataset_label_col(d), "label");
    senti_row r;
    bool have;
    ck_assert(senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have);
    ck_assert_str_eq(r.text, "a \"quoted\", text");
    ck_assert_str_eq(r.label, "1");
    ck_assert_str_eq(r.id, "7");
    ck_assert_uint_eq(r.line, 1);
    ck_assert(senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have);
    ck_assert_str_eq(r.text, "line\nbreak \xC3\xA9");
    ck_assert_str_eq(r.label, "neg");
    ck_assert_uint_eq(r.line, 4);
    ck_assert_uint_eq(r.row, 2);
    ck_assert(senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have);
    ck_assert_str_eq(r.id, "9");
    ck_assert(senti_dataset_next(d, &r, &have, &e) == SENTI_OK && !have);
    senti_dataset_close(d);
    size_t n;
    ck_assert(senti_dataset_count(path, &p, &n, &e) == SENTI_OK);
    ck_assert_uint_eq(n, 3);
    p.limit = 1;
    senti_examples *ex;
    ck_assert(senti_examples_load(path, &p, &ex, &e) == SENTI_OK);
    ck_assert_uint_eq(ex->n, 1);
    senti_examples_free(ex);
    remove(path);
    free(path);

    senti_dataset_params q = senti_dataset_default_params();
    expect_jsonl_error("{\"text\": \"a\"}\n{\"text\": \"b\"\n", &q, "2: invalid JSON: '}' expected near end of file (byte 13 of the line)");
    expect_jsonl_error("{\"text\": \"a\"}\n[1]\n", &q, "2: not a JSON object");
    expect_jsonl_error("{\"text\": \"a\", \"label\": \"p\"}\n\n{\"text\": \"b\"}\n", &q, "3: no field 'label'");
    expect_jsonl_error("{\"text\": \"a\", \"label\": 0.5}\n", &q, "1: field 'label' must be a string or an integer");
    expect_jsonl_error("{\"text\": \"a\\u0000b\"}\n", &q, "1: invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"' (byte 19 of the line)");
    expect_jsonl_error("{\"text\": \"\xC3\x28\"}\n", &q, "1: invalid JSON: unable to decode byte 0xc3 near '\"' (byte 10 of the line)");
    expect_jsonl_error("{\"review\": \"a\"}\n", &q, "1: no text column: looked for 'text' and 'sentence' (columns: review)");
    q.label_col = "stars";
    expect_jsonl_error("{\"text\": \"a\"}\n", &q, "1: no label field 'stars' in the first record (fields: text)");
    q.label_col = NULL;
    expect_jsonl_error("", &q, " empty file (no records)");
    /* --input-format csv reads a .jsonl file as CSV */
    q.format = SENTI_DATA_CSV;
    expect_jsonl_error("{\"text\": \"a\"}\n", &q, "1: malformed quoting (a quote inside an unquoted field, or text after a closing quote)");
}
END_TEST

static void ref_reservoir(size_t n, size_t k, unsigned long seed, size_t *res)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (size_t i = 0; i < n; i++) {
        if (i < k) {
            res[i] = i + 1;
        } else {
            unsigned long j = gsl_rng_uniform_int(rng, i + 1);
            if (j < k)
                res[j] = i + 1;
        }
    }
    gsl_rng_free(rng);
    for (size_t a = 1; a < k; a++) /* insertion sort */
        for (size_t b = a; b > 0 && res[b - 1] > res[b]; b--) {
            size_t t = res[b];
            res[b] = res[b - 1];
            res[b - 1] = t;
        }
}

START_TEST(test_sample_and_limit)
{
    size_t bytes;
    char *path = write_big(1000, &bytes);
    senti_dataset_params p = senti_dataset_default_params();
    p.id_col = "id";
    p.sample = 25;
    p.seed = 7;
    senti_examples *a, *b, *c;
    senti_err e;
    ck_assert_int_eq(senti_examples_load(path, &p, &a, &e), SENTI_OK);
    ck_assert_int_eq(senti_examples_load(path, &p, &b, &e), SENTI_OK);
    p.seed = 8;
    ck_assert_int_eq(senti_examples_load(path, &p, &c, &e), SENTI_OK);
    size_t ref[25];
    ref_reservoir(1000, 25, 7, ref);
    ck_assert_uint_eq(a->n, 25);
    bool differs = false;
    for (size_t i = 0; i < 25; i++) {
        ck_assert_uint_eq(a->items[i].row, ref[i]); /* file order, reference rows */
        ck_assert_uint_eq(a->items[i].row, b->items[i].row);
        ck_assert_uint_eq(strtoul(a->items[i].id, NULL, 10), a->items[i].row);
        differs |= a->items[i].row != c->items[i].row;
    }
    ck_assert(differs);
    senti_examples_free(a);
    senti_examples_free(b);
    senti_examples_free(c);

    /* Sample bigger than the file: every row once. Limit applies after sampling. */
    p.sample = 5000;
    p.limit = 10;
    ck_assert_int_eq(senti_examples_load(path, &p, &a, &e), SENTI_OK);
    ck_assert_uint_eq(a->n, 10);
    ck_assert_uint_eq(a->items[9].row, 10);
    senti_examples_free(a);
    p.sample = 0;
    p.limit = 3;
    senti_dataset *d;
    ck_assert_int_eq(senti_dataset_open(path, &p, &d, &e), SENTI_OK);
    senti_row r;
    bool have;
    size_t n = 0;
    while (senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have)
        n++;
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(senti_dataset_rows_read(d), 3);
    senti_dataset_close(d);
    remove(path);
    free(path);
}
END_TEST

/* sample_rest: the rows a seeded sample does not draw, so that sample and rest
 * partition the file (a test split and its train pool from one file). */
START_TEST(test_sample_rest)
{
    size_t bytes;
    char *path = write_big(300, &bytes);
    senti_dataset_params p = senti_dataset_default_params();
    p.id_col = "id";
    p.sample = 40;
    p.seed = 11;
    p.sample_rest = true;
    senti_examples *rest;
    senti_err e;
    ck_assert_int_eq(senti_examples_load(path, &p, &rest, &e), SENTI_OK);
    size_t ref[40];
    ref_reservoir(300, 40, 11, ref);
    ck_assert_uint_eq(rest->n, 260);
    size_t k = 0, expect = 1;
    for (size_t i = 0; i < rest->n; i++, expect++) {
        while (k < 40 && ref[k] == expect) { /* skip the drawn rows */
            k++;
            expect++;
        }
        ck_assert_uint_eq(rest->items[i].row, expect);
        ck_assert_uint_eq(strtoul(rest->items[i].id, NULL, 10), expect);
    }
    senti_examples_free(rest);
    p.limit = 5; /* the limit counts returned rows of the rest */
    ck_assert_int_eq(senti_examples_load(path, &p, &rest, &e), SENTI_OK);
    ck_assert_uint_eq(rest->n, 5);
    senti_examples_free(rest);
    p.limit = 0;
    p.sample = 1000; /* a sample of the whole file leaves no rest */
    ck_assert_int_eq(senti_examples_load(path, &p, &rest, &e), SENTI_OK);
    ck_assert_uint_eq(rest->n, 0);
    senti_examples_free(rest);
    remove(path);
    free(path);
}
END_TEST

/* The shared datasets parse in strict mode with the documented row counts. */
START_TEST(test_shared_datasets)
{
    static const struct {
        const char *file, *label;
        size_t rows;
    } sets[] = {{"sst2/dev.csv", "label", 872}, {"tweeteval/val.csv", "label", 2000},
                {"uci/yelp.csv", "class", 1000}};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        const char *path = tu_dataset_path(sets[i].file);
        senti_dataset_params p = senti_dataset_default_params();
        p.label_col = sets[i].label;
        size_t n;
        senti_err e = {0};
        ck_assert_msg(senti_dataset_count(path, &p, &n, &e) == SENTI_OK, "%s", e.msg);
        ck_assert_uint_eq(n, sets[i].rows);
    }
    /* our own demo set: 100 rows, 50 per label, ids d001..d100 */
    senti_dataset_params p = senti_dataset_default_params();
    p.id_col = "id";
    senti_examples *ex;
    senti_err e = {0};
    ck_assert_msg(senti_examples_load("datasets/demo.csv", &p, &ex, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(ex->n, 100);
    size_t pos = 0;
    for (size_t i = 0; i < ex->n; i++)
        pos += strcmp(ex->items[i].label, "positive") == 0;
    ck_assert_uint_eq(pos, 50);
    ck_assert_str_eq(ex->items[99].id, "d100");
    senti_examples_free(ex);
}
END_TEST

Suite *dataset_suite(void);
Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, test_bom_crlf_quoted_newline);
    tcase_add_test(tc, test_no_header_by_number);
    tcase_add_test(tc, test_error_messages);
    tcase_add_test(tc, test_tiny_chunks);
    tcase_add_test(tc, test_stream_large_file);
    tcase_add_test(tc, test_sample_and_limit);
    tcase_add_test(tc, test_sample_rest);
    tcase_add_test(tc, test_shared_datasets);
    tcase_add_test(tc, test_jsonl);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
