/*
 * classify_out.c - the predictions file and its JSON lines twin, one row at a
 * time (see classify_out.h for the columns). Write errors are not checked
 * here: the atomic writer checks the stream once at commit.
 */
#include "classify_out.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "00-base/base.h"

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
    senti_csv_field(f, s);
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
            put_prefixed(f, pass ? "raw_p_" : "p_", L->labels[l]);
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
        const char *lab = L->labels[l];
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

senti_status senti_pred_layout_extra(const senti_classify_params *p, const char **names, senti_pred_layout *L,
                                     senti_err *err)
{
    size_t n = 0;
    if (p->data.n_keep_cols + (p->keep_text ? 1 : 0) > SENTI_CLASSIFY_MAX_KEEP)
        return senti_err_set(err, SENTI_ERR_RANGE, "%zu kept columns; at most %d", p->data.n_keep_cols,
                             SENTI_CLASSIFY_MAX_KEEP);
    if (p->keep_text)
        names[n++] = "text";
    for (size_t k = 0; k < p->data.n_keep_cols; k++)
        names[n++] = p->data.keep_cols[k];
    L->extra = names;
    L->n_extra = n;
    return senti_err_locate(err, senti_pred_check_extra(L, err), "kept columns");
}

void senti_pred_row_extra(const senti_classify_params *p, const senti_row *row, size_t n_extra, const char **vals)
{
    const size_t k0 = p->keep_text ? 1 : 0;
    for (size_t i = 0; i < n_extra; i++)
        vals[i] = i < k0 ? row->text : row->kept[i - k0];
}

const char *senti_pred_manifest_path(const senti_classify_params *p, char *buf, size_t cap)
{
    if (p->manifest_path || !p->output_path || !strcmp(p->output_path, "-"))
        return p->manifest_path;
    snprintf(buf, cap, "%s.manifest.json", p->output_path);
    return buf;
}

senti_status senti_pred_manifest_write(const senti_classify_params *p, const json_t *m, senti_atomic_file *a,
                                       senti_err *err)
{
    char buf[4096];
    const char *path = senti_pred_manifest_path(p, buf, sizeof buf);
    *a = (senti_atomic_file){0};
    if (!path)
        return SENTI_OK;
    senti_status s = senti_atomic_open(a, path, err);
    if (!s && json_dumpf(m, a->f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
        s = senti_err_set(err, SENTI_ERR_IO, "%s: cannot write the manifest", path);
    return s;
}

senti_status senti_pred_check_paths(const senti_classify_params *p, senti_err *err)
{
    char buf[4096];
    const senti_path_role out[] = {{p->output_path, "predictions file"},
                                   {p->jsonl_path, "JSON lines file"},
                                   {senti_pred_manifest_path(p, buf, sizeof buf), "manifest"},
                                   {p->prompts_path, "prompts file"}};
    const senti_path_role in[] = {{p->input_path, "input"},         {p->train_path, "training file"},
                                  {p->verbalizer_path, "verbalizer"}, {p->model_path, "model"},
                                  {p->adapter_path, "adapter"}};
    return senti_check_outputs(out, sizeof out / sizeof out[0], in, sizeof in / sizeof in[0], err);
}

static json_t *opt_string(const char *s) { return s ? json_string(s) : json_null(); }

json_t *senti_pred_manifest_input(const senti_dataset_params *dp, const char *path, bool jsonl,
                                  char *const cols[3], const senti_pred_layout *L)
{
    json_t *o = json_object(), *keep = json_array();
    json_object_set_new(o, "path", json_string(path));
    /* the content read, for provenance; a pipe or stdin cannot be read twice: null */
    struct stat st;
    char sha[65];
    senti_err e;
    bool regular = path && strcmp(path, "-") && !stat(path, &st) && S_ISREG(st.st_mode);
    json_object_set_new(o, "sha256", regular && !senti_file_sha256(path, sha, &e) ? json_string(sha) : json_null());
    json_object_set_new(o, "format", json_string(jsonl ? "jsonl" : "csv"));
    json_object_set_new(o, "text_col", opt_string(cols[0]));
    json_object_set_new(o, "label_col", opt_string(cols[1]));
    json_object_set_new(o, "id_col", opt_string(cols[2]));
    json_object_set_new(o, "limit", json_integer((json_int_t)dp->limit));
    json_object_set_new(o, "sample", json_integer((json_int_t)dp->sample));
    json_object_set_new(o, "sample_seed", json_integer((json_int_t)dp->seed));
    for (size_t i = 0; i < L->n_extra; i++)
        json_array_append_new(keep, json_string(L->extra[i]));
    json_object_set_new(o, "pass_through", keep);
    return o;
}

senti_status senti_pred_scan_input(const senti_classify_params *p, bool (*known)(const void *user, const char *label),
                                   const void *user, const char *what, size_t *n_rows, bool *jsonl, char *cols[3],
                                   senti_err *err)
{
    senti_dataset *d;
    senti_status s = senti_dataset_open(p->input_path, &p->data, &d, err);
    if (s)
        return s;
    senti_row row;
    bool have;
    *n_rows = 0;
    while (!(s = senti_dataset_next(d, &row, &have, err)) && have) {
        (*n_rows)++;
        if (row.label && !known(user, row.label)) {
            s = senti_err_set(err, SENTI_ERR_NOTFOUND, "%s:%zu: label '%s' (first seen in data row %zu) is not %s",
                              senti_input_name(p->input_path), row.line, row.label, row.row, what);
            break;
        }
    }
    *jsonl = senti_dataset_is_jsonl(d);
    const char *found[3] = {senti_dataset_text_col(d), senti_dataset_label_col(d), senti_dataset_id_col(d)};
    for (int i = 0; i < 3 && !s; i++)
        if (found[i] && !(cols[i] = senti_xstrdup(found[i])))
            s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    senti_dataset_close(d);
    return s;
}
