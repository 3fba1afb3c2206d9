/*
 * cell_inputs.c - the files a cell reads, by role, with their SHA-256. The
 * runner records them in each cell.json ("inputs") and compares them on
 * --resume and --collect: a cell's hash covers the paths of its inputs, not
 * their contents, so a data, train, verbalizer, adapter or recipe file edited
 * in place would otherwise leave a stale result looking finished. Each file
 * is hashed once per run (the memo). The model file is not hashed here: its
 * SHA-256 is in every manifest already, and hashing gigabytes per run would
 * cost more than the check is worth for pinned files.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "00-base/base.h"
#include "runner_internal.h"

struct senti_sha_memo {
    char **path;
    char (*sha)[65];
    size_t n, cap;
};

senti_sha_memo *senti_sha_memo_new(void) { return calloc(1, sizeof(senti_sha_memo)); }

void senti_sha_memo_free(senti_sha_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->path[i]);
    free(m->path);
    free(m->sha);
    free(m);
}

/* The file's SHA-256, from the memo when hashed before in this run. */
static senti_status memo_sha(senti_sha_memo *m, const char *path, const char **out, senti_err *err)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->path[i], path)) {
            *out = m->sha[i];
            return SENTI_OK;
        }
    if (m->n == m->cap) { /* two arrays, one capacity: it counts once both have grown */
        size_t cap_path = m->cap, cap_sha = m->cap;
        char **p = senti_grow(m->path, &cap_path, m->n + 1, sizeof *p, 8);
        if (p)
            m->path = p;
        char(*s)[65] = p ? senti_grow(m->sha, &cap_sha, m->n + 1, sizeof *s, 8) : NULL;
        if (!s)
            return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
        m->sha = s, m->cap = cap_path;
    }
    senti_status st = senti_file_sha256(path, m->sha[m->n], err);
    if (st)
        return st;
    if (!(m->path[m->n] = senti_xstrdup(path)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    *out = m->sha[m->n++];
    return SENTI_OK;
}

/* Whether the cell draws rows from its dataset's train file. */
static bool reads_train(const senti_cell *c)
{
    senti_strategy_kind k = c->strategy->kind;
    return c->shots > 0 || k == SENTI_STRATEGY_BASELINE || k == SENTI_STRATEGY_FINETUNE || k == SENTI_STRATEGY_SELECT;
}

senti_status senti_cell_inputs(const senti_cell *c, senti_sha_memo *m, json_t **out, senti_err *err)
{
    const char *role[5] = {"data", "train", "verbalizer", "adapter", "recipe"};
    const char *path[5] = {c->dataset->eval.path, reads_train(c) ? c->dataset->train.path : NULL,
                           c->verbalizer->path,
                           c->strategy->kind == SENTI_STRATEGY_ADAPTER ? c->strategy->adapter : NULL,
                           c->strategy->kind == SENTI_STRATEGY_RECIPE ? c->strategy->recipe : NULL};
    json_t *o = json_object();
    senti_status s = o ? SENTI_OK : senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (int i = 0; !s && i < 5; i++) {
        const char *sha = NULL;
        if (path[i] && !(s = memo_sha(m, path[i], &sha, err)) && json_object_set_new(o, role[i], json_string(sha)))
            s = senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    }
    if (s) {
        json_decref(o);
        return s;
    }
    *out = o;
    return SENTI_OK;
}

bool senti_cell_inputs_current(const json_t *recorded, const senti_cell *c, senti_sha_memo *m)
{
    json_t *now;
    senti_err e;
    if (senti_cell_inputs(c, m, &now, &e))
        return false; /* an input that cannot be read now: the cell must run (and will say why) */
    bool same = json_equal(recorded, now);
    json_decref(now);
    return same;
}
