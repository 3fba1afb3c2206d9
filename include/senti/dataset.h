/*
 * senti/dataset.h - streaming CSV datasets (libcsv), one row at a time.
 *
 * Contract:
 *   - The file is read in fixed-size chunks and parsed by libcsv; only the row
 *     being returned is held in memory (plus the header), so a file of any
 *     number of rows needs O(longest row) memory.
 *   - RFC 4180: comma-separated, '"' quoting with "" escapes, quoted fields may
 *     hold commas and newlines. Line ends LF or CRLF. A leading UTF-8 BOM is
 *     dropped. Blank lines between records are skipped. A bare CR (old Mac)
 *     line end is an error.
 *   - Strict by default: a quote inside an unquoted field, text after a closing
 *     quote, an unterminated quote at end of file, a row whose field count
 *     differs from the header's (a "ragged row"), invalid UTF-8 or a NUL byte in
 *     a field all fail with SENTI_ERR_FORMAT and a message of the form
 *         "<path>:<line>: <problem>"
 *     where <line> is the 1-based physical line (a record spanning lines is
 *     reported at the line where it starts, except a parse error which is
 *     reported at the line where the parser stopped).
 *   - Columns are chosen by header name; with no_header by 1-based column
 *     number given as a decimal string ("1", "2"). Defaults: text column
 *     "text", else "sentence"; label column "label" when present, else none
 *     (rows then have label == NULL); no id column. A column asked for by name
 *     that is not there fails with SENTI_ERR_NOTFOUND naming the header.
 *   - Row numbers are 1-based data rows (the header is not counted); they are
 *     the file's numbers even when --sample/--limit skip rows.
 *
 * Basic usage:
 *     senti_dataset_params p = senti_dataset_default_params();
 *     p.text_col = "sentence";
 *     senti_dataset *d; senti_row r; bool have; senti_err e;
 *     if (senti_dataset_open("dev.csv", &p, &d, &e)) { ... e.msg ... }
 *     while (senti_dataset_next(d, &r, &have, &e) == SENTI_OK && have)
 *         use(r.row, r.text, r.label);
 *     senti_dataset_close(d);
 */
#ifndef SENTI_DATASET_H
#define SENTI_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "senti/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The file's format: CSV, or JSON lines (one JSON object per line, the
 * columns being its fields; a string or integer value each). AUTO: JSON
 * lines when the path ends in ".jsonl" or ".ndjson", else CSV. */
typedef enum { SENTI_DATA_AUTO = 0, SENTI_DATA_CSV = 1, SENTI_DATA_JSONL = 2 } senti_data_format;

/* Name -> format ("auto", "csv", "jsonl"); SENTI_ERR_ARG naming the value otherwise. */
SENTI_API senti_status senti_data_format_parse(const char *name, senti_data_format *out, senti_err *err);

typedef struct {
    const char
        *text_col; /* header name (or 1-based number with no_header); NULL: "text" then "sentence" (no_header: "1") */
    const char *label_col; /* NULL: "label" if present (no_header: "2" if the rows have >= 2 fields); "" = no label */
    const char *id_col;    /* NULL or "": no id column */
    bool no_header;        /* the first line is data; columns by number */
    bool strict;           /* default true: libcsv CSV_STRICT + CSV_STRICT_FINI */
    size_t chunk_size;     /* read size in bytes; default 65536 */
    size_t limit;          /* stop after this many returned rows; 0 = all */
    size_t sample;         /* > 0: return a seeded uniform sample of this many rows (in file order);
                              costs one extra streaming pass at open; 0 = all rows */
    uint64_t seed;         /* seed of the sample (GSL mt19937) */
    bool sample_rest;      /* with sample > 0: return the rows that sample does NOT draw instead (the
                              rest of a seeded split of one file: test = sample, train pool = rest) */
    const char *const *keep_cols; /* [n_keep_cols] more columns whose values each row carries (row.kept),
                                     by header name (or number with no_header); one not there fails with
                                     SENTI_ERR_NOTFOUND naming it. NULL: none */
    size_t n_keep_cols;
    senti_data_format format; /* default AUTO. JSON lines: the columns are fields, chosen as for CSV with
                                 the first record's keys as the header (every record must have the
                                 chosen fields; blank lines are skipped); errors say "<path>:<line>:" */
} senti_dataset_params;

SENTI_API senti_dataset_params senti_dataset_default_params(void);

/* One data row. All pointers are owned by the dataset handle and stay valid
 * until the next senti_dataset_next() or senti_dataset_close(). Strings are
 * NUL-terminated, valid UTF-8 and contain no NUL byte. */
typedef struct {
    size_t row;        /* 1-based data row number in the file */
    size_t line;       /* 1-based physical line where the record starts */
    const char *id;    /* NULL when there is no id column */
    const char *text;
    size_t text_len;   /* bytes */
    const char *label; /* NULL when there is no label column */
    const char *const *kept; /* [p->n_keep_cols] the kept columns' values, in the order asked */
} senti_row;

typedef struct senti_dataset senti_dataset;

/* Open and read the header. With p->sample > 0, first streams the whole file
 * once to draw the sample (reservoir sampling, O(sample) memory); errors in any
 * row are reported then. `p` may be NULL for the defaults. */
SENTI_API senti_status senti_dataset_open(const char *path, const senti_dataset_params *p, senti_dataset **out,
                                          senti_err *err);

/* The next (selected) row. On success sets *have to false at the end of the
 * data (or of --limit), else fills *row. After an error the handle only
 * accepts senti_dataset_close(). */
SENTI_API senti_status senti_dataset_next(senti_dataset *d, senti_row *row, bool *have, senti_err *err);

SENTI_API void senti_dataset_close(senti_dataset *d);

SENTI_API const char *senti_dataset_path(const senti_dataset *d);
SENTI_API bool senti_dataset_is_jsonl(const senti_dataset *d);
SENTI_API bool senti_dataset_has_label(const senti_dataset *d);
SENTI_API bool senti_dataset_has_id(const senti_dataset *d);
/* Names of the chosen columns as found in the header ("1", "2" with no_header);
 * label/id names are NULL when absent. Owned by the handle. */
SENTI_API const char *senti_dataset_text_col(const senti_dataset *d);
SENTI_API const char *senti_dataset_label_col(const senti_dataset *d);
SENTI_API const char *senti_dataset_id_col(const senti_dataset *d);
/* Header: number of columns and their names (owned by the handle). */
SENTI_API size_t senti_dataset_n_cols(const senti_dataset *d);
SENTI_API const char *senti_dataset_col_name(const senti_dataset *d, size_t i);
/* Rows parsed so far, including rows skipped by sample (for progress). */
SENTI_API size_t senti_dataset_rows_read(const senti_dataset *d);
/* Bytes of the file consumed so far and the file size (for progress / ETA). */
SENTI_API uint64_t senti_dataset_bytes_read(const senti_dataset *d);
SENTI_API uint64_t senti_dataset_file_size(const senti_dataset *d);

/* Count the data rows of a file in one streaming pass (validating every row).
 * p->limit and p->sample are ignored. */
SENTI_API senti_status senti_dataset_count(const char *path, const senti_dataset_params *p, size_t *n_rows,
                                           senti_err *err);

/* Reservoir sampling (Vitter's algorithm R) of k row numbers out of n_rows
 * known only as the stream goes by; a helper exposed for tests and callers
 * that stream themselves. Fills rows[0..min(k, n)-1] with 1-based row numbers
 * in ascending order; *n_out receives min(k, n). Deterministic in `seed`. */
SENTI_API senti_status senti_dataset_sample_rows(const char *path, const senti_dataset_params *p, size_t k,
                                                 uint64_t seed, size_t *rows, size_t *n_out, senti_err *err);

/* ---- whole files in memory (training sets for demonstrations) ------------ */

typedef struct {
    size_t row;  /* 1-based data row number in the file */
    size_t line; /* 1-based line where the record starts */
    char *id;    /* NULL without an id column */
    char *text;
    size_t text_len;
    char *label; /* NULL without a label column */
} senti_example;

typedef struct {
    senti_example *items; /* [n] in file order (or sample order = file order) */
    size_t n;
    char *path;           /* copy of the path it came from */
    bool has_label, has_id;
} senti_examples;

/* Load the (selected) rows of a file into memory. Honours p->limit and
 * p->sample. *out is owned by the caller: senti_examples_free(). */
SENTI_API senti_status senti_examples_load(const char *path, const senti_dataset_params *p, senti_examples **out,
                                           senti_err *err);
SENTI_API void senti_examples_free(senti_examples *ex);

#ifdef __cplusplus
}
#endif
#endif /* SENTI_DATASET_H */
