/*
 * fuzz_csv.c - the dataset reader: CSV (libcsv underneath) streaming with
 * the default parameters, then headerless and lenient with a tiny read size
 * (records cut across chunk boundaries), then the same bytes as JSON lines
 * (jansson, one record per line) with a tiny read size and a kept column,
 * then the in-memory loader with a seeded sample and its rest (one extra
 * pass each) and the row counter.
 *
 * Every returned row must keep the contract: text_len is the length of a
 * NUL-free string, rows are numbered 1, 2, ... and lines never go backwards.
 */
#include "fuzz.h"

#include <string.h>

#include "senti/dataset.h"

static void check_row(const senti_row *r, size_t want_row, size_t *last_line)
{
    fz_require(r->text != NULL && strlen(r->text) == r->text_len, "row text length or NUL byte");
    fz_require(r->row == want_row, "rows not numbered 1, 2, ...");
    fz_require(r->line >= *last_line && r->line >= 1, "row lines go backwards");
    *last_line = r->line;
}

static void stream(const char *path, const senti_dataset_params *p)
{
    senti_dataset *d;
    if (senti_dataset_open(path, p, &d, NULL) != SENTI_OK)
        return;
    for (size_t i = 0; i < senti_dataset_n_cols(d); i++)
        fz_require(senti_dataset_col_name(d, i) != NULL, "column without a name");
    senti_row r;
    bool have;
    size_t n = 0, line = 0;
    while (senti_dataset_next(d, &r, &have, NULL) == SENTI_OK && have)
        check_row(&r, p->sample ? r.row : ++n, &line);
    fz_require(senti_dataset_bytes_read(d) <= senti_dataset_file_size(d), "read more bytes than the file has");
    senti_dataset_close(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_input_path(data, size);
    senti_dataset_params p = senti_dataset_default_params();
    stream(path, &p);

    p.no_header = true;
    p.strict = false;
    p.chunk_size = 1 + size % 17;
    stream(path, &p);

    p = senti_dataset_default_params();
    p.format = SENTI_DATA_JSONL;
    p.chunk_size = 1 + size % 13;
    const char *keep[] = {"id"};
    p.keep_cols = keep;
    p.n_keep_cols = size % 2;
    stream(path, &p);

    p = senti_dataset_default_params();
    p.chunk_size = 1 + size % 5;
    p.sample = 3;
    p.seed = size;
    senti_examples *ex;
    if (senti_examples_load(path, &p, &ex, NULL) == SENTI_OK) {
        fz_require(ex->n <= 3, "sample larger than asked");
        senti_examples_free(ex);
    }
    p.sample_rest = true;
    if (senti_examples_load(path, &p, &ex, NULL) == SENTI_OK)
        senti_examples_free(ex);
    p.sample_rest = false;
    size_t n_rows;
    (void)senti_dataset_count(path, &p, &n_rows, NULL);
    return 0;
}
