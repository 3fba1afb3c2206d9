/*
 * dataset.c - streaming CSV datasets on libcsv (see senti/dataset.h).
 *
 * How the pull API sits on libcsv's push parser: the file is read in chunks,
 * and each chunk is fed to csv_parse() one physical line (up to and including
 * '\n') at a time. A record ends at a line end, so after each line at most one
 * record has completed; we stop feeding as soon as one is ready and hand it
 * out. Counting the '\n' we feed gives line numbers; the line where a record
 * starts is the first non-blank line fed after the previous record ended.
 *
 * Only the chosen columns (text, label, id) of a data record are copied, into
 * buffers that grow to the longest field seen; the header keeps all names.
 */
#include "senti/dataset.h"

#include "00-base/base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>
#include <utf8proc.h>

/* A growable byte buffer holding one field (NUL-terminated). */
typedef struct {
    char *p;
    size_t len, cap;
    bool set; /* the field occurred in the current record */
} sbuf;

struct senti_dataset {
    char *path;
    FILE *f;
    bool jsonl;            /* JSON lines (the CSV parser stays idle) */
    char *jl_buf;          /* its current line (getline) */
    size_t jl_cap;
    uint64_t file_size, consumed;
    struct csv_parser csv;
    senti_dataset_params prm;

    unsigned char *chunk; /* [prm.chunk_size] */
    size_t chunk_len, chunk_pos;
    bool file_eof, fini_done, failed, first_chunk;

    size_t line;           /* current physical line (1-based) */
    bool between;          /* no record in progress */
    bool cr_end;           /* the last record ended at a CR (the next byte fed must be an LF) */
    size_t rec_line;       /* line where the current record started */

    /* header */
    bool in_header;        /* the record being parsed is the header (or the first no_header row) */
    char **cols;           /* [n_cols] names (no_header: the first row's fields) */
    size_t n_cols, cap_cols;
    int text_i, label_i, id_i; /* 0-based column indices, -1 = none */
    char *text_name, *label_name, *id_name;

    /* the record being parsed / the ready record */
    size_t field_i;
    sbuf text, label, id;
    int *keep_i;           /* [prm.n_keep_cols] indices of the kept columns */
    sbuf *keep;            /* [prm.n_keep_cols] their values in the current record */
    const char **kept;     /* [prm.n_keep_cols] = keep[k].p, handed out as row.kept */
    bool ready;
    size_t ready_line, ready_fields;
    size_t rows_read; /* data rows completed */

    /* error raised inside a libcsv callback */
    senti_status cb_status;
    char cb_msg[SENTI_ERR_MSG_MAX];

    /* selection */
    size_t *sel, n_sel, sel_pos; /* sorted row numbers (sample), NULL = all */
    size_t returned;
};

senti_dataset_params senti_dataset_default_params(void)
{
    senti_dataset_params p;
    memset(&p, 0, sizeof p);
    p.strict = true;
    p.chunk_size = 65536;
    p.seed = 1;
    return p;
}

/* ---- small helpers ------------------------------------------------------------ */

static senti_status sbuf_set(sbuf *b, const void *s, size_t len)
{
    char *p = senti_grow(b->p, &b->cap, len + 1, 1, 64);
    if (!p)
        return SENTI_ERR_NOMEM;
    b->p = p;
    if (len)
        memcpy(b->p, s, len);
    b->p[len] = '\0';
    b->len = len;
    b->set = true;
    return SENTI_OK;
}

static char *dup_bytes(const void *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* Record the first error seen inside a callback; later ones are ignored. */
static void cb_fail(senti_dataset *d, senti_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void cb_fail(senti_dataset *d, senti_status code, const char *fmt, ...)
{
    if (d->cb_status != SENTI_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->cb_msg, sizeof d->cb_msg, fmt, ap);
    va_end(ap);
    d->cb_status = code;
}

/* Byte offset of the first invalid UTF-8 sequence or NUL byte, or -1 if none.
 * *is_nul tells which. */
static long bad_utf8_at(const unsigned char *s, size_t len, bool *is_nul)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) {
            if (s[i] == 0) {
                *is_nul = true;
                return (long)i;
            }
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) {
            *is_nul = false;
            return (long)i;
        }
        i += (size_t)n;
    }
    return -1;
}

/* Validate one field of the current record; name is the column name. */
static bool check_field(senti_dataset *d, const void *s, size_t len, const char *name)
{
    bool is_nul = false;
    long at = bad_utf8_at(s, len, &is_nul);
    if (at < 0)
        return true;
    cb_fail(d, SENTI_ERR_FORMAT, "%s:%zu: %s in column '%s' (byte %ld of the field)", d->path, d->rec_line,
            is_nul ? "NUL byte" : "invalid UTF-8", name, at);
    return false;
}

/* ---- libcsv callbacks -------------------------------------------------------- */

static void on_header_field(senti_dataset *d, const void *s, size_t len)
{
    char label[32];
    snprintf(label, sizeof label, "%zu", d->field_i + 1);
    if (!check_field(d, s, len, d->prm.no_header ? label : "(header)"))
        return;
    char **c = senti_grow(d->cols, &d->cap_cols, d->n_cols + 1, sizeof *c, 16);
    if (!c) {
        cb_fail(d, SENTI_ERR_NOMEM, "%s: out of memory reading the header", d->path);
        return;
    }
    d->cols = c;
    d->cols[d->n_cols] = dup_bytes(s, len);
    if (!d->cols[d->n_cols]) {
        cb_fail(d, SENTI_ERR_NOMEM, "%s: out of memory reading the header", d->path);
        return;
    }
    d->n_cols++;
}

static void on_field(void *s, size_t len, void *data)
{
    senti_dataset *d = data;
    if (d->cb_status != SENTI_OK)
        return;
    if (d->ready) { /* a record ended inside the piece fed: at a bare CR; its fields must stay as they are */
        cb_fail(d, SENTI_ERR_FORMAT, "%s:%zu: bare CR line end (only LF and CRLF are supported)", d->path,
                d->line);
        return;
    }
    if (d->in_header) {
        on_header_field(d, s, len);
    } else {
        int i = (int)d->field_i;
        sbuf *b = i == d->text_i ? &d->text : i == d->label_i ? &d->label : i == d->id_i ? &d->id : NULL;
        const char *name = i == d->text_i ? d->text_name : i == d->label_i ? d->label_name : d->id_name;
        if (b && check_field(d, s, len, name) && sbuf_set(b, s, len) != SENTI_OK)
            cb_fail(d, SENTI_ERR_NOMEM, "%s:%zu: out of memory", d->path, d->rec_line);
        for (size_t k = 0; k < d->prm.n_keep_cols; k++)
            if (i == d->keep_i[k] && check_field(d, s, len, d->cols[i]) && sbuf_set(&d->keep[k], s, len) != SENTI_OK)
                cb_fail(d, SENTI_ERR_NOMEM, "%s:%zu: out of memory", d->path, d->rec_line);
    }
    d->field_i++;
}

static void on_record(int c, void *data)
{
    senti_dataset *d = data;
    d->cr_end = c == '\r';
    size_t n_fields = d->field_i;
    d->field_i = 0;
    d->between = true;
    if (d->cb_status != SENTI_OK)
        return;
    if (d->ready) {
        cb_fail(d, SENTI_ERR_FORMAT, "%s:%zu: bare CR line end (only LF and CRLF are supported)", d->path,
                d->line);
        return;
    }
    d->ready = true;
    d->ready_line = d->rec_line;
    d->ready_fields = n_fields;
}

/* ---- feeding ------------------------------------------------------------------ */

static senti_status parse_error(senti_dataset *d, senti_err *err)
{
    int e = csv_error(&d->csv);
    d->failed = true;
    if (e == CSV_EPARSE)
        return senti_err_set(err, SENTI_ERR_FORMAT,
                             "%s:%zu: malformed quoting (a quote inside an unquoted field, or text after a "
                             "closing quote)",
                             d->path, d->line);
    if (e == CSV_ENOMEM)
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s:%zu: out of memory", d->path, d->line);
    if (e == CSV_ETOOBIG)
        return senti_err_set(err, SENTI_ERR_RANGE, "%s:%zu: field too big", d->path, d->line);
    return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: %s", d->path, d->line, csv_strerror(e));
}

/* Read the next chunk; strips a UTF-8 BOM from the first one. */
static senti_status read_chunk(senti_dataset *d, senti_err *err)
{
    d->chunk_len = fread(d->chunk, 1, d->prm.chunk_size, d->f);
    d->chunk_pos = 0;
    if (d->chunk_len < d->prm.chunk_size) {
        if (ferror(d->f)) {
            d->failed = true;
            return senti_err_set(err, SENTI_ERR_IO, "%s: read error: %s", d->path, strerror(errno));
        }
        d->file_eof = true;
    }
    d->consumed += d->chunk_len;
    if (d->first_chunk) {
        d->first_chunk = false;
        if (d->chunk_len >= 3 && memcmp(d->chunk, "\xEF\xBB\xBF", 3) == 0)
            d->chunk_pos = 3;
    }
    return SENTI_OK;
}

/* Feed one line (or the rest of the chunk) to libcsv. Sets *done at the end of
 * the file (after csv_fini). */
static senti_status feed_some(senti_dataset *d, bool *done, senti_err *err)
{
    *done = false;
    if (d->chunk_pos == d->chunk_len) {
        if (d->file_eof) {
            if (!d->fini_done) {
                d->fini_done = true;
                if (csv_fini(&d->csv, on_field, on_record, d) != 0) {
                    d->failed = true;
                    return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: unterminated quoted field", d->path,
                                         d->rec_line);
                }
                return SENTI_OK;
            }
            *done = true;
            return SENTI_OK;
        }
        return read_chunk(d, err);
    }
    const unsigned char *s = d->chunk + d->chunk_pos;
    size_t avail = d->chunk_len - d->chunk_pos;
    if (d->cr_end && s[0] != '\n') { /* the last record ended at a CR that no LF follows */
        d->failed = true;
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: bare CR line end (only LF and CRLF are supported)",
                             d->path, d->line);
    }
    d->cr_end = false;
    const unsigned char *nl = memchr(s, '\n', avail);
    size_t n = nl ? (size_t)(nl - s) + 1 : avail;
    /* Feed up to a CR alone: when a record ends there, what follows it (next
     * call) must be an LF. */
    const unsigned char *cr = memchr(s, '\r', n);
    if (cr && (size_t)(cr - s) + 1 < n) {
        n = (size_t)(cr - s) + 1;
        nl = NULL;
    }
    if (d->between) {
        for (size_t i = 0; i < n; i++)
            if (s[i] != '\r' && s[i] != '\n') {
                d->between = false;
                d->rec_line = d->line;
                break;
            }
    }
    size_t used = csv_parse(&d->csv, s, n, on_field, on_record, d);
    d->chunk_pos += n;
    if (used != n)
        return parse_error(d, err);
    if (nl)
        d->line++;
    return SENTI_OK;
}

/* ---- JSON lines ------------------------------------------------------------------ */

senti_status senti_data_format_parse(const char *name, senti_data_format *out, senti_err *err)
{
    static const char *const names[] = {"auto", "csv", "jsonl"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *out = (senti_data_format)i;
            return SENTI_OK;
        }
    return senti_err_set(err, SENTI_ERR_ARG, "unknown input format \"%s\" (auto, csv, jsonl)", name);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* The next non-blank line as a JSON object in *obj (NULL at the end of the file). */
static senti_status jsonl_object(senti_dataset *d, json_t **obj, senti_err *err)
{
    *obj = NULL;
    for (;;) {
        ssize_t got = getline(&d->jl_buf, &d->jl_cap, d->f);
        if (got < 0)
            return ferror(d->f) ? senti_err_set(err, SENTI_ERR_IO, "%s: read error: %s", d->path, strerror(errno))
                                : SENTI_OK;
        d->consumed += (uint64_t)got;
        d->rec_line = d->line++;
        const char *s = d->jl_buf;
        size_t len = (size_t)got, i = 0;
        if (d->rec_line == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
            s += 3, len -= 3;
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            i++;
        if (i == len)
            continue; /* a blank line */
        json_error_t je;
        if (!(*obj = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je)))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: invalid JSON: %s (byte %d of the line)", d->path, d->rec_line,
                                 je.text, je.position);
        if (json_is_object(*obj))
            return SENTI_OK;
        json_decref(*obj);
        *obj = NULL;
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: not a JSON object", d->path, d->rec_line);
    }
}

/* One field of a record into b: a string, or an integer in decimal. */
static senti_status jsonl_field(senti_dataset *d, json_t *obj, const char *name, sbuf *b, senti_err *err)
{
    json_t *v = json_object_get(obj, name);
    char num[32];
    const char *s = num;
    size_t len;
    if (json_is_string(v))
        s = json_string_value(v), len = json_string_length(v);
    else if (json_is_integer(v))
        len = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        return senti_err_set(err, SENTI_ERR_FORMAT, v ? "%s:%zu: field '%s' must be a string or an integer"
                                                      : "%s:%zu: no field '%s'", d->path, d->rec_line, name);
    if (memchr(s, '\0', len))
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: NUL byte in field '%s'", d->path, d->rec_line, name);
    return sbuf_set(b, s, len) ? senti_err_set(err, SENTI_ERR_NOMEM, "out of memory") : SENTI_OK;
}

/* The chosen fields of a record, as the ready record. */
static senti_status jsonl_take(senti_dataset *d, json_t *obj, senti_err *err)
{
    senti_status st = jsonl_field(d, obj, d->cols[d->text_i], &d->text, err);
    if (!st && d->label_i >= 0)
        st = jsonl_field(d, obj, d->cols[d->label_i], &d->label, err);
    if (!st && d->id_i >= 0)
        st = jsonl_field(d, obj, d->cols[d->id_i], &d->id, err);
    for (size_t k = 0; !st && k < d->prm.n_keep_cols; k++)
        st = jsonl_field(d, obj, d->cols[d->keep_i[k]], &d->keep[k], err);
    d->ready = !st;
    d->ready_line = d->rec_line;
    d->ready_fields = d->n_cols;
    return st;
}

static senti_status jsonl_next(senti_dataset *d, bool *have, senti_err *err)
{
    *have = false;
    if (!d->ready) {
        json_t *obj;
        senti_status st = jsonl_object(d, &obj, err);
        if (!st && obj)
            st = jsonl_take(d, obj, err);
        json_decref(obj);
        if (st) {
            d->failed = true;
            return st;
        }
    }
    *have = d->ready;
    return SENTI_OK;
}

/* Parse until a record is ready (*have) or the file ends. */
static senti_status next_record(senti_dataset *d, bool *have, senti_err *err)
{
    if (d->jsonl)
        return jsonl_next(d, have, err);
    *have = false;
    while (!d->ready) {
        bool done;
        senti_status st = feed_some(d, &done, err);
        if (st == SENTI_OK && d->cb_status != SENTI_OK)
            st = senti_err_set(err, d->cb_status, "%s", d->cb_msg);
        if (st != SENTI_OK) {
            d->failed = true;
            return st;
        }
        if (done)
            return SENTI_OK;
    }
    *have = true;
    return SENTI_OK;
}

/* ---- columns ---------------------------------------------------------------------- */

/* Comma-separated header names, for error messages. */
static void list_cols(const senti_dataset *d, char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n_cols && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? ", " : "", d->cols[i]);
}

/* Index of column `name` (a header name, or a 1-based number with no_header), -1 if absent. */
static int find_col(const senti_dataset *d, const char *name)
{
    if (d->prm.no_header) {
        char *end;
        errno = 0;
        unsigned long k = strtoul(name, &end, 10);
        if (errno || *end || end == name || k == 0 || k > d->n_cols)
            return -1;
        return (int)(k - 1);
    }
    for (size_t i = 0; i < d->n_cols; i++)
        if (strcmp(d->cols[i], name) == 0)
            return (int)i;
    return -1;
}

static senti_status missing_col(const senti_dataset *d, const char *what, const char *name, senti_err *err)
{
    char cols[256];
    list_cols(d, cols, sizeof cols);
    if (d->jsonl)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s:%zu: no %s field '%s' in the first record (fields: %s)",
                             d->path, d->ready_line, what, name, cols);
    if (d->prm.no_header)
        return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s:1: no %s column %s (rows have %zu columns)", d->path,
                             what, name, d->n_cols);
    return senti_err_set(err, SENTI_ERR_NOTFOUND, "%s:1: no %s column '%s' in the header (columns: %s)", d->path,
                         what, name, cols);
}

/* Resolve one optional column: NULL -> default (if present), "" -> none. */
static senti_status resolve_opt(senti_dataset *d, const char *what, const char *want, const char *dflt, int *idx,
                                char **name, senti_err *err)
{
    *idx = -1;
    if (want && !*want)
        return SENTI_OK;
    const char *n = want ? want : dflt;
    if (!n)
        return SENTI_OK;
    *idx = find_col(d, n);
    if (*idx < 0)
        return want ? missing_col(d, what, want, err) : SENTI_OK;
    for (size_t i = (size_t)*idx + 1; !d->prm.no_header && i < d->n_cols; i++)
        if (!strcmp(d->cols[i], n))
            return senti_err_set(err, SENTI_ERR_FORMAT, "%s:1: %s column '%s' appears twice (columns %d and %zu)",
                                 d->path, what, n, *idx + 1, i + 1);
    *name = dup_bytes(d->cols[*idx], strlen(d->cols[*idx]));
    if (d->prm.no_header) {
        free(*name);
        *name = dup_bytes(n, strlen(n));
    }
    return *name ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
}

/* The kept columns (p->keep_cols): each must be in the header. */
static senti_status resolve_keep(senti_dataset *d, senti_err *err)
{
    size_t n = d->prm.n_keep_cols;
    if (!n)
        return SENTI_OK;
    d->keep_i = calloc(n, sizeof *d->keep_i);
    d->keep = calloc(n, sizeof *d->keep);
    d->kept = calloc(n, sizeof *d->kept);
    if (!d->keep_i || !d->keep || !d->kept)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++)
        if ((d->keep_i[k] = find_col(d, d->prm.keep_cols[k])) < 0)
            return missing_col(d, "kept", d->prm.keep_cols[k], err);
    return SENTI_OK;
}

static senti_status resolve_cols(senti_dataset *d, senti_err *err)
{
    const senti_dataset_params *p = &d->prm;
    senti_status st;
    if (p->text_col) {
        st = resolve_opt(d, "text", p->text_col, NULL, &d->text_i, &d->text_name, err);
    } else if (p->no_header) {
        st = resolve_opt(d, "text", "1", NULL, &d->text_i, &d->text_name, err);
    } else {
        st = resolve_opt(d, "text", NULL, "text", &d->text_i, &d->text_name, err);
        if (st == SENTI_OK && d->text_i < 0)
            st = resolve_opt(d, "text", NULL, "sentence", &d->text_i, &d->text_name, err);
        if (st == SENTI_OK && d->text_i < 0) {
            char cols[256];
            list_cols(d, cols, sizeof cols);
            return senti_err_set(err, SENTI_ERR_NOTFOUND,
                                 "%s:1: no text column: looked for 'text' and 'sentence' (columns: %s)", d->path,
                                 cols);
        }
    }
    if (st == SENTI_OK)
        st = resolve_opt(d, "label", p->label_col, p->no_header ? "2" : "label", &d->label_i, &d->label_name, err);
    if (st == SENTI_OK)
        st = resolve_opt(d, "id", p->id_col ? p->id_col : "", NULL, &d->id_i, &d->id_name, err);
    if (st == SENTI_OK && (d->label_i == d->text_i || (d->id_i >= 0 && d->id_i == d->text_i)))
        return senti_err_set(err, SENTI_ERR_ARG, "%s: the text column is also used as label or id", d->path);
    return st == SENTI_OK ? resolve_keep(d, err) : st;
}

/* ---- open / next / close ------------------------------------------------------------- */

static int no_space(unsigned char c)
{
    (void)c;
    return 0; /* keep spaces around unquoted fields (RFC 4180) */
}

static senti_status open_file(senti_dataset *d, const char *path, senti_err *err)
{
    const char *name = senti_input_name(path); /* "-" is standard input (00-base/base.h) */
    d->path = dup_bytes(name, strlen(name));
    d->chunk = malloc(d->prm.chunk_size);
    if (!d->path || !d->chunk)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    d->jsonl = d->prm.format == SENTI_DATA_JSONL ||
               (d->prm.format == SENTI_DATA_AUTO && (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")));
    d->f = senti_open_input(path);
    if (!d->f)
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    if (fseek(d->f, 0, SEEK_END) == 0) {
        long sz = ftell(d->f);
        d->file_size = sz > 0 ? (uint64_t)sz : 0;
        rewind(d->f);
    }
    unsigned char opts = CSV_APPEND_NULL;
    if (d->prm.strict)
        opts |= CSV_STRICT | CSV_STRICT_FINI;
    if (csv_init(&d->csv, opts) != 0)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    csv_set_space_func(&d->csv, no_space);
    return SENTI_OK;
}

/* Read the header (or the first row with no_header) and choose the columns.
 * With no_header the first row is then re-offered as data. */
/* JSON lines: the first record's keys are the header, and it is the first row. */
static senti_status jsonl_header(senti_dataset *d, senti_err *err)
{
    json_t *obj, *v;
    const char *key;
    senti_status st = jsonl_object(d, &obj, err);
    if (st || !obj)
        return st ? st : senti_err_set(err, SENTI_ERR_FORMAT, "%s: empty file (no records)", d->path);
    d->ready_line = d->rec_line;
    if (!(d->cols = calloc(json_object_size(obj) + 1, sizeof *d->cols)))
        st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    json_object_foreach(obj, key, v) {
        if (!st && !(d->cols[d->n_cols++] = dup_bytes(key, strlen(key))))
            st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    if (!st)
        st = resolve_cols(d, err);
    if (!st)
        st = jsonl_take(d, obj, err);
    json_decref(obj);
    return st;
}

static senti_status read_header(senti_dataset *d, senti_err *err)
{
    if (d->jsonl)
        return jsonl_header(d, err);
    bool have;
    d->in_header = true;
    senti_status st = next_record(d, &have, err);
    d->in_header = false;
    if (st != SENTI_OK)
        return st;
    if (!have)
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s: empty file (no %s)", d->path,
                             d->prm.no_header ? "rows" : "header");
    d->ready = false;
    if ((st = resolve_cols(d, err)) != SENTI_OK)
        return st;
    if (!d->prm.no_header)
        return SENTI_OK;
    /* The first row is data: copy its chosen fields as if just parsed. */
    if ((d->text_i >= 0 && sbuf_set(&d->text, d->cols[d->text_i], strlen(d->cols[d->text_i])) != SENTI_OK) ||
        (d->label_i >= 0 && sbuf_set(&d->label, d->cols[d->label_i], strlen(d->cols[d->label_i])) != SENTI_OK) ||
        (d->id_i >= 0 && sbuf_set(&d->id, d->cols[d->id_i], strlen(d->cols[d->id_i])) != SENTI_OK))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < d->prm.n_keep_cols; k++)
        if (sbuf_set(&d->keep[k], d->cols[d->keep_i[k]], strlen(d->cols[d->keep_i[k]])) != SENTI_OK)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    d->ready = true;
    d->ready_fields = d->n_cols;
    return SENTI_OK;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

senti_status senti_dataset_open(const char *path, const senti_dataset_params *p, senti_dataset **out,
                                senti_err *err)
{
    *out = NULL;
    senti_dataset_params dp = p ? *p : senti_dataset_default_params();
    if (dp.chunk_size < 16)
        dp.chunk_size = dp.chunk_size ? 16 : 65536;
    senti_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    d->prm = dp;
    d->line = 1;
    d->between = true;
    d->first_chunk = true;
    d->text_i = d->label_i = d->id_i = -1;
    senti_status st = open_file(d, path, err);
    if (st == SENTI_OK)
        st = read_header(d, err);
    if (st == SENTI_OK && dp.sample > 0) {
        /* a sample of k >= n rows is all n rows (Algorithm R draws nothing
         * then), so the buffer never needs more slots than the file has rows,
         * whatever k the caller asked for */
        size_t n_rows = 0;
        st = senti_dataset_count(path, &dp, &n_rows, err);
        size_t k = dp.sample < n_rows ? dp.sample : n_rows;
        if (st == SENTI_OK && k > 0 && !(d->sel = malloc(k * sizeof *d->sel)))
            st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        else if (st == SENTI_OK && k > 0)
            st = senti_dataset_sample_rows(path, &dp, k, dp.seed, d->sel, &d->n_sel, err);
    }
    if (st != SENTI_OK) {
        senti_dataset_close(d);
        return st;
    }
    *out = d;
    return SENTI_OK;
}

/* Check the ready record and turn it into the next data row. */
static senti_status take_row(senti_dataset *d, senti_row *row, senti_err *err)
{
    d->ready = false;
    d->rows_read++;
    if (d->ready_fields != d->n_cols) {
        d->failed = true;
        return senti_err_set(err, SENTI_ERR_FORMAT, "%s:%zu: ragged row: row %zu has %zu field%s, expected %zu",
                             d->path, d->ready_line, d->rows_read, d->ready_fields,
                             d->ready_fields == 1 ? "" : "s", d->n_cols);
    }
    row->row = d->rows_read;
    row->line = d->ready_line;
    row->text = d->text.p;
    row->text_len = d->text.len;
    row->label = d->label_i >= 0 ? d->label.p : NULL;
    row->id = d->id_i >= 0 ? d->id.p : NULL;
    for (size_t k = 0; k < d->prm.n_keep_cols; k++)
        d->kept[k] = d->keep[k].p ? d->keep[k].p : "";
    row->kept = d->kept;
    return SENTI_OK;
}

senti_status senti_dataset_next(senti_dataset *d, senti_row *row, bool *have, senti_err *err)
{
    *have = false;
    if (!d || d->failed)
        return senti_err_set(err, SENTI_ERR_STATE, "dataset: next() after an error");
    for (;;) {
        if (d->prm.limit && d->returned >= d->prm.limit)
            return SENTI_OK;
        if (d->sel && d->sel_pos >= d->n_sel && !d->prm.sample_rest)
            return SENTI_OK;
        bool got;
        senti_status st = next_record(d, &got, err);
        if (st != SENTI_OK || !got)
            return st;
        if ((st = take_row(d, row, err)) != SENTI_OK)
            return st;
        if (d->sel) {
            bool drawn = d->sel_pos < d->n_sel && row->row == d->sel[d->sel_pos];
            d->sel_pos += drawn;
            if (drawn == d->prm.sample_rest)
                continue;
        }
        d->returned++;
        *have = true;
        return SENTI_OK;
    }
}

void senti_dataset_close(senti_dataset *d)
{
    if (!d)
        return;
    if (d->f) {
        fclose(d->f);
        csv_free(&d->csv);
    }
    for (size_t i = 0; i < d->n_cols; i++)
        free(d->cols[i]);
    free(d->cols);
    free(d->text_name);
    free(d->label_name);
    free(d->id_name);
    free(d->text.p);
    free(d->label.p);
    free(d->id.p);
    for (size_t k = 0; d->keep && k < d->prm.n_keep_cols; k++)
        free(d->keep[k].p);
    free(d->keep);
    free(d->keep_i);
    free(d->kept);
    free(d->chunk);
    free(d->jl_buf);
    free(d->sel);
    free(d->path);
    free(d);
}

const char *senti_dataset_path(const senti_dataset *d) { return d->path; }
bool senti_dataset_is_jsonl(const senti_dataset *d) { return d->jsonl; }
bool senti_dataset_has_label(const senti_dataset *d) { return d->label_i >= 0; }
bool senti_dataset_has_id(const senti_dataset *d) { return d->id_i >= 0; }
const char *senti_dataset_text_col(const senti_dataset *d) { return d->text_name; }
const char *senti_dataset_label_col(const senti_dataset *d) { return d->label_name; }
const char *senti_dataset_id_col(const senti_dataset *d) { return d->id_name; }
size_t senti_dataset_n_cols(const senti_dataset *d) { return d->n_cols; }
const char *senti_dataset_col_name(const senti_dataset *d, size_t i) { return i < d->n_cols ? d->cols[i] : NULL; }
size_t senti_dataset_rows_read(const senti_dataset *d) { return d->rows_read; }
uint64_t senti_dataset_bytes_read(const senti_dataset *d) { return d->consumed; }
uint64_t senti_dataset_file_size(const senti_dataset *d) { return d->file_size; }

/* ---- whole-file helpers ------------------------------------------------------------- */

/* Open for a full pass: no limit, no sample. */
static senti_status open_all(const char *path, const senti_dataset_params *p, senti_dataset **d, senti_err *err)
{
    senti_dataset_params q = p ? *p : senti_dataset_default_params();
    q.limit = 0;
    q.sample = 0;
    return senti_dataset_open(path, &q, d, err);
}

senti_status senti_dataset_count(const char *path, const senti_dataset_params *p, size_t *n_rows, senti_err *err)
{
    senti_dataset *d;
    senti_status st = open_all(path, p, &d, err);
    *n_rows = 0;
    if (st != SENTI_OK)
        return st;
    senti_row r;
    bool have = true;
    while (have && (st = senti_dataset_next(d, &r, &have, err)) == SENTI_OK)
        ;
    *n_rows = d->rows_read;
    senti_dataset_close(d);
    return st;
}

senti_status senti_dataset_sample_rows(const char *path, const senti_dataset_params *p, size_t k, uint64_t seed,
                                       size_t *rows, size_t *n_out, senti_err *err)
{
    *n_out = 0;
    senti_dataset *d;
    senti_status st = open_all(path, p, &d, err);
    if (st != SENTI_OK)
        return st;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        senti_dataset_close(d);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    gsl_rng_set(rng, (unsigned long)seed);
    /* Algorithm R: row i (0-based) replaces a uniform slot j < i+1 when j < k. */
    senti_row r;
    bool have = true;
    size_t i = 0;
    while ((st = senti_dataset_next(d, &r, &have, err)) == SENTI_OK && have) {
        if (i < k) {
            rows[i] = r.row;
        } else if (i >= 0xFFFFFFFFul) {
            st = senti_err_set(err, SENTI_ERR_RANGE, "%s: too many rows to sample", senti_input_name(path));
            break;
        } else {
            unsigned long j = gsl_rng_uniform_int(rng, (unsigned long)i + 1);
            if (j < k)
                rows[j] = r.row;
        }
        i++;
    }
    gsl_rng_free(rng);
    senti_dataset_close(d);
    if (st != SENTI_OK)
        return st;
    *n_out = i < k ? i : k;
    qsort(rows, *n_out, sizeof *rows, cmp_size);
    return SENTI_OK;
}

static senti_status copy_example(senti_example *e, const senti_row *r)
{
    e->row = r->row;
    e->line = r->line;
    e->text_len = r->text_len;
    e->text = dup_bytes(r->text, r->text_len);
    e->label = r->label ? dup_bytes(r->label, strlen(r->label)) : NULL;
    e->id = r->id ? dup_bytes(r->id, strlen(r->id)) : NULL;
    if (!e->text || (r->label && !e->label) || (r->id && !e->id))
        return SENTI_ERR_NOMEM;
    return SENTI_OK;
}

senti_status senti_examples_load(const char *path, const senti_dataset_params *p, senti_examples **out,
                                 senti_err *err)
{
    *out = NULL;
    senti_dataset *d;
    senti_status st = senti_dataset_open(path, p, &d, err);
    if (st != SENTI_OK)
        return st;
    senti_examples *ex = calloc(1, sizeof *ex);
    size_t cap = 0;
    if (!ex || !(ex->path = dup_bytes(senti_input_name(path), strlen(senti_input_name(path))))) {
        st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        goto done;
    }
    ex->has_label = senti_dataset_has_label(d);
    ex->has_id = senti_dataset_has_id(d);
    senti_row r;
    bool have;
    while ((st = senti_dataset_next(d, &r, &have, err)) == SENTI_OK && have) {
        senti_example *it = senti_grow(ex->items, &cap, ex->n + 1, sizeof *it, 64);
        if (!it) {
            st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            break;
        }
        ex->items = it;
        memset(&ex->items[ex->n], 0, sizeof ex->items[0]);
        ex->n++;
        if (copy_example(&ex->items[ex->n - 1], &r) != SENTI_OK) {
            st = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
            break;
        }
    }
done:
    senti_dataset_close(d);
    if (st != SENTI_OK) {
        senti_examples_free(ex);
        return st;
    }
    *out = ex;
    return SENTI_OK;
}

void senti_examples_free(senti_examples *ex)
{
    if (!ex)
        return;
    for (size_t i = 0; i < ex->n; i++) {
        free(ex->items[i].id);
        free(ex->items[i].text);
        free(ex->items[i].label);
    }
    free(ex->items);
    free(ex->path);
    free(ex);
}
