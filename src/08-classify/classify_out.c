/*
 * classify_out.c - the predictions file and its JSON lines twin, one row at a
 * time (see classify_out.h for the columns). Write errors are not checked
 * here: the atomic writer checks the stream once at commit.
 */
#include "classify_out.h"

#include <csv.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static const char *const own_cols[] = {"id", "gold", "pred", "p", "raw_p", "n_tokens", "status"};

senti_status senti_pred_check_extra(const senti_pred_layout *L, senti_err *err)
{
    for (size_t i = 0; i < L->n_extra; i++) {
        const char *name = L->extra[i];
        for (size_t j = 0; j < sizeof own_cols / sizeof own_cols[0]; j++)
            if (!strcmp(name, own_cols[j]))
                return senti_err_set(err, SENTI_ERR_ARG, "column '%s' clashes with senti's own '%s' column of the "
                                     "predictions file", name, own_cols[j]);
        if (!strncmp(name, "p_", 2) || !strncmp(name, "raw_p_", 6))
            return senti_err_set(err, SENTI_ERR_ARG, "column '%s' clashes with senti's probability columns "
                                 "(p_<label>, raw_p_<label>)", name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(name, L->extra[j]))
                return senti_err_set(err, SENTI_ERR_ARG, "column '%s' would be in the predictions file twice",
                                     name);
    }
    return SENTI_OK;
}

/* One CSV field, quoted (by libcsv) only when it holds a comma, quote or line break. */
static void put_field(FILE *f, const char *s, bool last)
{
    size_t n = strlen(s);
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(f, s, n);
    else
        fwrite(s, 1, n, f);
    fputc(last ? '\n' : ',', f);
}

/* A header field "<prefix><label>" of any length (prefix: plain ASCII), quoted as put_field would. */
static void put_prefixed(FILE *f, const char *prefix, const char *s)
{
    const bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', f);
    fputs(prefix, f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputs(quote ? "\"," : ",", f);
}

void senti_pred_csv_header(FILE *f, const senti_pred_layout *L)
{
    put_field(f, "id", false);
    put_field(f, "gold", false);
    put_field(f, "pred", false);
    for (int pass = 0; pass < 2; pass++)
        for (int l = 0; l < L->n_labels; l++)
            put_prefixed(f, pass ? "raw_p_" : "p_", senti_verbalizer_label(L->verb, (size_t)l));
    put_field(f, "n_tokens", false);
    put_field(f, "status", L->n_extra == 0);
    for (size_t i = 0; i < L->n_extra; i++)
        put_field(f, L->extra[i], i + 1 == L->n_extra);
}

void senti_pred_csv_row(FILE *f, const senti_pred_layout *L, const senti_pred_row *row)
{
    char buf[64];
    put_field(f, row->id, false);
    put_field(f, row->gold ? row->gold : "", false);
    put_field(f, row->pred ? row->pred : "", false);
    for (int pass = 0; pass < 2; pass++)
        for (int l = 0; l < L->n_labels; l++) {
            buf[0] = '\0';
            if (row->p)
                snprintf(buf, sizeof buf, "%.9g", pass ? row->raw[l] : row->p[l]);
            put_field(f, buf, false);
        }
    snprintf(buf, sizeof buf, "%zu", row->n_tokens);
    put_field(f, buf, false);
    put_field(f, row->status, L->n_extra == 0);
    for (size_t i = 0; i < L->n_extra; i++)
        put_field(f, row->extra[i], i + 1 == L->n_extra);
}

void senti_pred_jsonl_row(FILE *f, const senti_pred_layout *L, const senti_pred_row *row)
{
    json_t *o = json_object(), *pj = json_object(), *rj = json_object();
    json_object_set_new(o, "id", json_string(row->id));
    json_object_set_new(o, "gold", row->gold ? json_string(row->gold) : json_null());
    json_object_set_new(o, "pred", row->pred ? json_string(row->pred) : json_null());
    for (int l = 0; row->p && l < L->n_labels; l++) {
        const char *lab = senti_verbalizer_label(L->verb, (size_t)l);
        json_object_set_new(pj, lab, json_real(row->p[l]));
        json_object_set_new(rj, lab, json_real(row->raw[l]));
    }
    json_object_set_new(o, "p", pj);
    json_object_set_new(o, "raw_p", rj);
    json_object_set_new(o, "n_tokens", json_integer((json_int_t)row->n_tokens));
    json_object_set_new(o, "status", json_string(row->status));
    for (size_t i = 0; i < L->n_extra; i++)
        json_object_set_new(o, L->extra[i], json_string(row->extra[i]));
    json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(o);
}
