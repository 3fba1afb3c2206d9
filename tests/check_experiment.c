/*
 * check_experiment.c - experiment files: parsing, strict validation with
 * file/line or JSON-path messages, ${VAR} expansion, grid expansion, names and
 * hashes. (The score cache, which `senti run` uses, is tested in check_scorecache.c.)
 *
 * References: the expected cell count is worked out by hand in the fixture's
 * description; the expected cell hashes were computed independently with
 * Python (hashlib.sha256 of json.dumps(cell, sort_keys=True,
 * separators=(',', ':'))[:16]) from the canonical form in experiment.h.
 */
#include <check.h>
#include <stdio.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/experiment.h"
#include "testutil.h"

static senti_experiment *load_grid(void)
{
    unsetenv("SENTI_TEST_MODEL_DIR");
    senti_experiment *x;
    senti_err e;
    ck_assert_msg(senti_experiment_load(tu_data_path("report/grid.json"), &x, &e) == SENTI_OK, "%s", e.msg);
    return x;
}

START_TEST(test_grid_expansion)
{
    senti_experiment *x = load_grid();
    ck_assert_str_eq(senti_experiment_name(x), "grid-test");
    ck_assert_uint_eq(senti_experiment_n_models(x), 2);
    ck_assert_uint_eq(senti_experiment_n_verbalizers(x), 2);
    /* per model x verbalizer: zs 1x2 + fs (k0: 1 seed x 2 cal, k4: 2 seeds x 2 cal) = 2 + 2 + 4 = 8 */
    ck_assert_uint_eq(senti_experiment_n_cells(x), 32);
    const senti_cell *c0 = senti_experiment_cell(x, 0);
    ck_assert_str_eq(c0->name, "base.sst2.posneg.zs.k0.none");
    ck_assert_str_eq(senti_experiment_cell(x, 1)->name, "base.sst2.posneg.zs.k0.contextual");
    ck_assert_str_eq(senti_experiment_cell(x, 2)->name, "base.sst2.posneg.fs.k0.none");
    ck_assert_str_eq(senti_experiment_cell(x, 4)->name, "base.sst2.posneg.fs.k4.s1.none");
    ck_assert_str_eq(senti_experiment_cell(x, 7)->name, "base.sst2.posneg.fs.k4.s2.contextual");
    ck_assert_str_eq(senti_experiment_cell(x, 8)->name, "base.sst2.greatterrible.zs.k0.none");
    ck_assert_str_eq(senti_experiment_cell(x, 16)->name, "inst.sst2.posneg.zs.k0.none");
    /* calibration variants share their score group, and only they do */
    ck_assert_uint_eq(senti_experiment_cell(x, 7)->score_group, 6);
    ck_assert_uint_eq(senti_experiment_cell(x, 6)->score_group, 6);
    ck_assert_uint_eq(senti_experiment_cell(x, 5)->score_group, 4);
    ck_assert_int_eq(senti_experiment_cell(x, 7)->shots, 4);
    ck_assert_uint_eq(senti_experiment_cell(x, 7)->seed, 2);
    ck_assert_uint_eq(senti_experiment_cell(x, 2)->seed, 0);
    ck_assert_str_eq(senti_experiment_cell(x, 7)->calibration, "contextual");
    /* names are unique and found back */
    for (size_t i = 0; i < senti_experiment_n_cells(x); i++)
        ck_assert_int_eq(senti_experiment_find_cell(x, senti_experiment_cell(x, i)->name), (long)i);
    ck_assert_int_eq(senti_experiment_find_cell(x, "nope"), -1);
    /* other settings */
    ck_assert_int_eq(senti_experiment_eval(x)->bootstrap, 200);
    ck_assert_int_eq(senti_experiment_eval(x)->n_bins, 10);
    ck_assert_uint_eq(senti_experiment_dataset(x, 0)->limit, 100);
    ck_assert_str_eq(senti_experiment_dataset(x, 0)->train.path, "sst2/train.csv");
    ck_assert_str_eq(senti_experiment_dataset(x, 0)->train.text_col, "sentence");
    ck_assert_str_eq(senti_experiment_model(x, 0)->path, "models/base.gguf");
    ck_assert_str_eq(senti_experiment_model(x, 1)->chat, "off");
    senti_experiment_free(x);
}
END_TEST

START_TEST(test_cell_hash_stable)
{
    senti_experiment *x = load_grid();
    /* Python reference values (see the file comment) */
    ck_assert_str_eq(senti_experiment_cell(x, 7)->hash, "07d2391c10f70bc4");
    long i = senti_experiment_find_cell(x, "inst.sst2.greatterrible.zs.k0.none");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(senti_experiment_cell(x, (size_t)i)->hash, "337284eaec184ee5");
    /* all hashes differ */
    for (size_t a = 0; a < senti_experiment_n_cells(x); a++)
        for (size_t b = a + 1; b < senti_experiment_n_cells(x); b++)
            ck_assert_str_ne(senti_experiment_cell(x, a)->hash, senti_experiment_cell(x, b)->hash);
    /* loading again gives the same hashes; a changed env var changes the model path and the hash */
    senti_experiment *y = load_grid();
    ck_assert_str_eq(senti_experiment_cell(y, 7)->hash, "07d2391c10f70bc4");
    senti_experiment_free(y);
    setenv("SENTI_TEST_MODEL_DIR", "/elsewhere", 1);
    senti_err e;
    ck_assert_int_eq(senti_experiment_load(tu_data_path("report/grid.json"), &y, &e), SENTI_OK);
    ck_assert_str_eq(senti_experiment_model(y, 0)->path, "/elsewhere/base.gguf");
    ck_assert_str_ne(senti_experiment_cell(y, 7)->hash, "07d2391c10f70bc4");
    unsetenv("SENTI_TEST_MODEL_DIR");
    senti_experiment_free(y);
    senti_experiment_free(x);
}
END_TEST

START_TEST(test_syntax_error_has_line)
{
    senti_experiment *x;
    senti_err e;
    ck_assert_int_eq(senti_experiment_load(tu_data_path("report/bad_syntax.json"), &x, &e), SENTI_ERR_FORMAT);
    ck_assert_ptr_null(x);
    /* the trailing comma before ']' is on line 5 of the file */
    ck_assert_msg(strstr(e.msg, "tests/data/report/bad_syntax.json:5:") != NULL, "%s", e.msg);
    ck_assert_int_eq(senti_experiment_load("tests/data/report/no-such.json", &x, &e), SENTI_ERR_IO);
    ck_assert_msg(strstr(e.msg, "no-such.json") != NULL, "%s", e.msg);
}
END_TEST

/* `json` (called `origin` in messages) is refused as malformed, with nothing
 * returned and a message that contains `needle`. */
static void expect_refused(const char *json, const char *origin, const char *needle)
{
    senti_experiment *x = NULL;
    senti_err e;
    ck_assert_int_eq(senti_experiment_parse(json, strlen(json), origin, NULL, &x, &e), SENTI_ERR_FORMAT);
    ck_assert_ptr_null(x);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "%s", e.msg);
}

/* A valid minimal experiment with one piece replaced. */
static senti_status parse_variant(const char *strategies, const char *extra, senti_err *e)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"name\":\"t\",%s\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"
             "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\",\"train\":\"t.csv\"}],"
             "\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],\"strategies\":%s}",
             extra, strategies);
    senti_experiment *x = NULL;
    senti_status s = senti_experiment_parse(buf, strlen(buf), "x.json", NULL, &x, e);
    senti_experiment_free(x);
    return s;
}

START_TEST(test_content_errors_have_paths)
{
    static const struct {
        const char *strategies, *extra, *expect;
    } cases[] = {
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\"}]", "", NULL},
        {"[{\"name\":\"a\",\"kind\":\"one-shot\"}]", "", "x.json: strategies[0].kind: must be"},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[1,65]}]", "", "strategies[0].shots[1]: must be an integer in 0..64"},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[4,4]}]", "", "strategies[0].shots[1]: duplicate value"},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\"}]", "", "needs \"shots\""},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"shots\":[1]}]", "", "belong to few-shot"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"colour\":1}]", "", "strategies[0]: unknown key \"colour\""},
        {"[{\"name\":\"a b\",\"kind\":\"zero-shot\"}]", "", "strategies[0].name: names use only"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\"},{\"name\":\"a\",\"kind\":\"zero-shot\"}]", "", "strategies[1]: duplicate name"},
        {"[]", "", "strategies: must be a non-empty array"},
        {"[{\"name\":\"a\",\"kind\":\"adapter\"}]", "", "\"adapter\" is required"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"calibration\":[\"none\",\"none\"]}]", "", "calibration[1]: duplicate"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\"}]", "\"eval\":{\"bins\":0},", "eval.bins: must be an integer in 1..1000"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\"}]", "\"threads\":\"2\",", "(top).threads: must be an integer"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\"}]", "\"models\":[],", "duplicate"}, /* jansson: duplicate key */
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[2],\"sampling\":\"balanced\",\"order\":\"interleaved\","
         "\"per_row\":true}]", "", NULL},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[2],\"sampling\":\"stratified\"}]", "",
         "strategies[0].sampling: must be \"random\" or \"balanced\""},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[2],\"order\":\"sorted\"}]", "", "strategies[0].order: must be"},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[2],\"per_row\":1}]", "", "strategies[0].per_row: must be true"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"order\":\"fixed\"}]", "", "belong to few-shot strategies only"},
        {"[{\"name\":\"a\",\"kind\":\"few-shot\",\"shots\":[2],\"demo_turns\":\"yes\"}]", "",
         "strategies[0].demo_turns: must be true or false"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"demo_turns\":true}]", "",
         "\"sampling\", \"order\", \"per_row\" and \"demo_turns\" belong to few-shot strategies only"},
        /* baselines */
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"bow-logreg\",\"per_class\":16,\"seeds\":[1,2]}]", "", NULL},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"train\":\"all\",\"calibration\":\"none\"}]", "", NULL},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"per_class\":16}]", "", "strategies[0].method: required string"},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"svm\",\"per_class\":16}]", "",
         "strategies[0].method: must be \"majority\" or \"bow-logreg\""},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\"}]", "", "either \"per_class\" or \"train\""},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":4,\"train\":\"all\"}]", "",
         "either \"per_class\" or \"train\""},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"train\":\"some\"}]", "",
         "strategies[0].train: must be \"all\""},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":0}]", "",
         "strategies[0].per_class: must be an integer in 1..1000000"},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":4,\"calibration\":[\"contextual\"]}]",
         "", "strategies[0].calibration: a baseline is not calibrated"},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":4,\"shots\":[4]}]", "",
         "\"shots\" belong to few-shot"},
        /* recipes of senti select */
        {"[{\"name\":\"r\",\"kind\":\"recipe\",\"recipe\":\"r.json\"}]", "", NULL},
        {"[{\"name\":\"r\",\"kind\":\"recipe\"}]", "", "\"recipe\" is required for, and only allowed with"},
        {"[{\"name\":\"r\",\"kind\":\"zero-shot\",\"recipe\":\"r.json\"}]", "", "only allowed with, kind \"recipe\""},
        {"[{\"name\":\"r\",\"kind\":\"recipe\",\"recipe\":\"r.json\",\"calibration\":[\"pmi\"]}]", "",
         "strategies[0].calibration: a recipe sets its own calibration"},
        {"[{\"name\":\"r\",\"kind\":\"recipe\",\"recipe\":\"r.json\",\"seeds\":[1]}]", "",
         "\"seeds\" belong to few-shot"},
        /* fine-tuned adapters trained in the cell */
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"head\",\"per_class\":16,\"seeds\":[1,2]}]", "", NULL},
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"lora\",\"train\":\"all\",\"models\":[\"m\"]}]", "", NULL},
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"bow-logreg\",\"per_class\":16}]", "",
         "strategies[0].method: must be \"head\" or \"lora\""},
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"head\"}]", "",
         "a finetune strategy needs either \"per_class\" or \"train\""},
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"head\",\"per_class\":4,\"calibration\":\"pmi\"}]", "",
         "strategies[0].calibration: a fine-tuned adapter is not calibrated"},
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"head\",\"per_class\":4,\"shots\":[4]}]", "",
         "\"shots\" belong to few-shot strategies only"},
        {"[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"head\",\"per_class\":4,\"adapter\":\"a.json\"}]", "",
         "\"adapter\" is required for, and only allowed with, kind \"adapter\""},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"method\":\"majority\"}]", "", "belong to baseline and finetune strategies only"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"seeds\":[1]}]", "",
         "\"seeds\" belong to few-shot, baseline, finetune and select"},
        /* select on rows drawn in the cell, then its recipe */
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":16,\"seeds\":[1,2,3],\"budget\":2.5,\"space\":\"sp.json\"}]", "",
         NULL},
        {"[{\"name\":\"s\",\"kind\":\"select\"}]", "", "strategies[0]: a select strategy needs \"per_class\""},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":1}]", "", "strategies[0].per_class: must be an integer in 2.."},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":4,\"budget\":\"5\"}]", "",
         "strategies[0].budget: must be a number of minutes in 0.01..10080"},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":4,\"budget\":0}]", "", "strategies[0].budget: must be"},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":4,\"method\":\"head\"}]", "", "\"method\" does not apply"},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"train\":\"all\"}]", "", "(no \"train\")"},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":4,\"calibration\":[\"pmi\"]}]", "",
         "strategies[0].calibration: the chosen recipe sets its own calibration"},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":4,\"shots\":[4]}]", "", "\"shots\" belong to few-shot"},
        {"[{\"name\":\"s\",\"kind\":\"select\",\"per_class\":4,\"space\":3}]", "", "strategies[0].space"},
        {"[{\"name\":\"a\",\"kind\":\"zero-shot\",\"space\":\"sp.json\"}]", "", "\"budget\" and \"space\" belong to select"},
        {"[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":4,\"budget\":3}]", "",
         "\"budget\" and \"space\" belong to select"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        senti_err e = {0};
        senti_status s = parse_variant(cases[i].strategies, cases[i].extra, &e);
        if (!cases[i].expect) {
            ck_assert_msg(s == SENTI_OK, "case %zu: %s", i, e.msg);
            continue;
        }
        ck_assert_msg(s == SENTI_ERR_FORMAT, "case %zu: status %d", i, s);
        ck_assert_msg(strstr(e.msg, cases[i].expect) != NULL, "case %zu: '%s' lacks '%s'", i, e.msg,
                      cases[i].expect);
    }
}
END_TEST

/* Demonstration options are part of a cell's identity; leaving them out keeps the hash of a default cell. */
START_TEST(test_demo_options_in_hash)
{
#define DEMO_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"                \
                      "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\",\"train\":\"t.csv\"}],"    \
                      "\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"                          \
                      "\"strategies\":[{\"name\":\"f\",\"kind\":\"few-shot\",\"shots\":[2]%s}]}"
    const char *opts[] = {"", ",\"sampling\":\"balanced\"", ",\"order\":\"fixed\"", ",\"per_row\":true",
                          ",\"demo_turns\":true"};
    char hashes[5][17], buf[1024];
    for (int i = 0; i < 5; i++) {
        senti_experiment *x;
        senti_err e;
        snprintf(buf, sizeof buf, DEMO_FMT, opts[i]);
        ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "h.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
        const senti_cell *c = senti_experiment_cell(x, 0);
        snprintf(hashes[i], sizeof hashes[i], "%s", c->hash);
        char *canon = senti_cell_canonical_json(c);
        ck_assert_int_eq(strstr(canon, "\"sampling\"") != NULL, i == 1);
        ck_assert_int_eq(strstr(canon, "\"per_row\"") != NULL, i == 3);
        ck_assert_int_eq(strstr(canon, "\"demo_turns\"") != NULL, i == 4);
        ck_assert_int_eq(c->strategy->demo_turns, i == 4);
        free(canon);
        senti_experiment_free(x);
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            ck_assert_str_ne(hashes[i], hashes[j]);
#undef DEMO_FMT
}
END_TEST

/* "train": "rest": the pool is the same file less the seeded test sample; it needs a sample and
 * is part of the cell's hash. */
START_TEST(test_train_rest)
{
#define REST_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"                  \
                 "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\",\"text\":\"x\"%s,\"train\":%s}],"    \
                 "\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"                               \
                 "\"strategies\":[{\"name\":\"f\",\"kind\":\"few-shot\",\"shots\":[2]}]}"
    char buf[1024];
    senti_experiment *x, *y;
    senti_err e;
    snprintf(buf, sizeof buf, REST_FMT, ",\"sample\":100,\"seed\":3", "\"rest\"");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "r.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    const senti_exp_dataset *d = senti_experiment_dataset(x, 0);
    ck_assert(d->train_rest);
    ck_assert_str_eq(d->train.path, "d.csv");
    ck_assert_str_eq(d->train.text_col, "x");
    char *canon = senti_cell_canonical_json(senti_experiment_cell(x, 0));
    ck_assert_ptr_nonnull(strstr(canon, "\"train_rest\":true"));
    free(canon);
    /* the same file named as a plain train path is another pool, so another cell */
    snprintf(buf, sizeof buf, REST_FMT, ",\"sample\":100,\"seed\":3", "\"d.csv\"");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "r.json", NULL, &y, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_str_ne(senti_experiment_cell(x, 0)->hash, senti_experiment_cell(y, 0)->hash);
    senti_experiment_free(x);
    senti_experiment_free(y);
    snprintf(buf, sizeof buf, REST_FMT, "", "\"rest\"");
    ck_assert_int_eq(senti_experiment_parse(buf, strlen(buf), "r.json", NULL, &x, &e), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(e.msg, "r.json: datasets[0].train: \"rest\"") && strstr(e.msg, "needs \"sample\""), "%s",
                  e.msg);
#undef REST_FMT
}
END_TEST

/* A dataset's "verbalizer" pairs it with one verbalizer: the grid has no cell of it with another. */
START_TEST(test_dataset_verbalizer)
{
#define DV_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"                 \
               "\"datasets\":[{\"name\":\"a\",\"path\":\"a.csv\"%s},{\"name\":\"b\",\"path\":\"b.csv\"}]," \
               "\"verbalizers\":[{\"name\":\"u\",\"path\":\"u.json\"},{\"name\":\"v\",\"path\":\"v.json\"}]," \
               "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\"}]}"
    char buf[1024];
    senti_experiment *x;
    senti_err e;
    snprintf(buf, sizeof buf, DV_FMT, "");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "v.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_experiment_n_cells(x), 4); /* 2 datasets x 2 verbalizers */
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, DV_FMT, ",\"verbalizer\":\"v\"");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "v.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_experiment_n_cells(x), 3);
    ck_assert_str_eq(senti_experiment_cell(x, 0)->name, "m.a.v.z.k0.none");
    ck_assert_str_eq(senti_experiment_cell(x, 1)->name, "m.b.u.z.k0.none");
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, DV_FMT, ",\"verbalizer\":\"w\"");
    expect_refused(buf, "v.json", "v.json: datasets[0].verbalizer: names no verbalizer");
#undef DV_FMT
}
END_TEST

/* A strategy's "models" restricts it to those models. */
START_TEST(test_strategy_models)
{
#define SM_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"},{\"name\":\"n\",\"path\":\"n.gguf\"}]," \
               "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}]," \
               "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\"},{\"name\":\"y\",\"kind\":\"zero-shot\"%s}]}"
    static const struct {
        const char *opt;
        size_t cells;
        const char *expect;
    } cases[] = {
        {"", 4, NULL},
        {",\"models\":\"n\"", 3, NULL},
        {",\"models\":[\"n\",\"m\"]", 4, NULL},
        {",\"models\":[\"n\",\"x\"]", 0, "x.json: strategies[1].models[1]: names no model"},
        {",\"models\":[\"n\",\"n\"]", 0, "strategies[1].models[1]: duplicate value"},
        {",\"models\":[]", 0, "strategies[1].models: must be a name or a non-empty array"},
        {",\"models\":[1]", 0, "strategies[1].models[0]: must be a non-empty string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[1024];
        senti_experiment *x;
        senti_err e = {0};
        snprintf(buf, sizeof buf, SM_FMT, cases[i].opt);
        senti_status s = senti_experiment_parse(buf, strlen(buf), "x.json", NULL, &x, &e);
        if (cases[i].expect) {
            ck_assert_int_eq(s, SENTI_ERR_FORMAT);
            ck_assert_msg(strstr(e.msg, cases[i].expect) != NULL, "case %zu: %s", i, e.msg);
            continue;
        }
        ck_assert_msg(s == SENTI_OK, "case %zu: %s", i, e.msg);
        ck_assert_uint_eq(senti_experiment_n_cells(x), cases[i].cells);
        if (cases[i].cells == 3) /* m runs z only; n runs both */
            ck_assert_str_eq(senti_experiment_cell(x, 1)->name, "n.d.v.z.k0.none");
        senti_experiment_free(x);
    }
#undef SM_FMT
}
END_TEST

/* Baseline cells follow a dataset's verbalizer, and "train": "all" may use the rest of a seeded split
 * (never the scored rows); "models" has no meaning for them. */
START_TEST(test_baseline_split_and_verbalizer)
{
#define BS_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"                                 \
               "\"datasets\":[{\"name\":\"a\",\"path\":\"a.csv\",\"verbalizer\":\"v\"%s}],"                       \
               "\"verbalizers\":[{\"name\":\"u\",\"path\":\"u.json\"},{\"name\":\"v\",\"path\":\"v.json\"}],"      \
               "\"strategies\":[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"train\":\"all\"%s}]}"
    char buf[1024];
    senti_experiment *x;
    senti_err e;
    snprintf(buf, sizeof buf, BS_FMT, ",\"sample\":10,\"train\":\"rest\"", "");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "b.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_experiment_n_cells(x), 1);
    ck_assert_str_eq(senti_experiment_cell(x, 0)->name, "baseline.a.v.b.k0.s1.none");
    ck_assert_ptr_null(senti_experiment_cell(x, 0)->model);
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, BS_FMT, ",\"train\":\"a.csv\"", "");
    expect_refused(buf, "b.json", "would train the baseline on the rows it is scored on");
    snprintf(buf, sizeof buf, BS_FMT, ",\"sample\":10,\"train\":\"rest\"", ",\"models\":\"m\"");
    expect_refused(buf, "b.json", "strategies[0]: \"models\" does not apply to a baseline");
#undef BS_FMT
}
END_TEST

START_TEST(test_few_shot_needs_train)
{
    const char *j = "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"
                    "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],"
                    "\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"
                    "\"strategies\":[{\"name\":\"f\",\"kind\":\"few-shot\",\"shots\":[0,1]}]}";
    senti_experiment *x;
    senti_err e;
    expect_refused(j, "y.json", "y.json: datasets[0]: few-shot strategies need a \"train\"");
    /* a base directory is prefixed to relative paths only */
    const char *k = "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"/abs/m.gguf\"}],"
                    "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],"
                    "\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"
                    "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\",\"calibration\":\"contextual\"}]}";
    ck_assert_int_eq(senti_experiment_parse(k, strlen(k), "k.json", "base", &x, &e), SENTI_OK);
    ck_assert_str_eq(senti_experiment_model(x, 0)->path, "/abs/m.gguf");
    ck_assert_str_eq(senti_experiment_dataset(x, 0)->eval.path, "base/d.csv");
    ck_assert_uint_eq(senti_experiment_n_cells(x), 1);
    ck_assert_str_eq(senti_experiment_cell(x, 0)->name, "m.d.v.z.k0.contextual");
    senti_experiment_free(x);
}
END_TEST

/* Baseline cells: no model, once per dataset (first verbalizer), one per seed,
 * after the first model's cells of the dataset; the method is in the hash. */
START_TEST(test_baseline_cells)
{
#define BASE_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m1\",\"path\":\"m1.gguf\"},{\"name\":\"m2\",\"path\":\"m2.gguf\"}]," \
                 "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\",\"train\":\"%s\"}],"                        \
                 "\"verbalizers\":[{\"name\":\"v1\",\"path\":\"v1.json\"},{\"name\":\"v2\",\"path\":\"v2.json\"}],"   \
                 "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\"},"                                       \
                 "{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"%s\",%s}]}"
    char buf[1024];
    senti_experiment *x;
    senti_err e;
    snprintf(buf, sizeof buf, BASE_FMT, "t.csv", "bow-logreg", "\"per_class\":16,\"seeds\":[3,1]");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "b.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    /* 2 models x 2 verbalizers zero-shot + 2 baseline seeds */
    static const char *const names[] = {"m1.d.v1.z.k0.none", "baseline.d.v1.b.k0.s3.none", "baseline.d.v1.b.k0.s1.none",
                                        "m1.d.v2.z.k0.none", "m2.d.v1.z.k0.none", "m2.d.v2.z.k0.none"};
    ck_assert_uint_eq(senti_experiment_n_cells(x), 6);
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(senti_experiment_cell(x, i)->name, names[i]);
    const senti_cell *c = senti_experiment_cell(x, 1);
    ck_assert_ptr_null(c->model);
    ck_assert_int_eq(c->strategy->kind, SENTI_STRATEGY_BASELINE);
    ck_assert_uint_eq(c->strategy->per_class, 16);
    ck_assert_uint_eq(c->seed, 3);
    ck_assert_str_eq(senti_strategy_kind_name(c->strategy->kind), "baseline");
    char *canon = senti_cell_canonical_json(c);
    ck_assert_msg(strstr(canon, "\"method\":\"bow-logreg\"") && strstr(canon, "\"model\":null") &&
                      strstr(canon, "\"per_class\":16"), "%s", canon);
    free(canon);
    char h1[17];
    snprintf(h1, sizeof h1, "%s", c->hash);
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, BASE_FMT, "t.csv", "majority", "\"per_class\":16,\"seeds\":[3,1]");
    ck_assert_int_eq(senti_experiment_parse(buf, strlen(buf), "b.json", NULL, &x, &e), SENTI_OK);
    ck_assert_str_ne(senti_experiment_cell(x, 1)->hash, h1);
    senti_experiment_free(x);
    /* never every row of the file it is scored on; a train file is needed; "baseline" is no model name */
    snprintf(buf, sizeof buf, BASE_FMT, "d.csv", "majority", "\"train\":\"all\"");
    expect_refused(buf, "b.json", "b.json: datasets[0]: \"train\": \"all\" would train the baseline on the rows");
    snprintf(buf, sizeof buf, BASE_FMT, "d.csv", "majority", "\"per_class\":2");
    ck_assert_int_eq(senti_experiment_parse(buf, strlen(buf), "b.json", NULL, &x, &e), SENTI_OK);
    senti_experiment_free(x);
    const char *j = "{\"name\":\"t\",\"models\":[{\"name\":\"baseline\",\"path\":\"m.gguf\"}],"
                    "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"
                    "\"strategies\":[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":2}]}";
    expect_refused(j, "c.json", "c.json: models[0].name: \"baseline\" is reserved");
    const char *k = "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"
                    "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"
                    "\"strategies\":[{\"name\":\"b\",\"kind\":\"baseline\",\"method\":\"majority\",\"per_class\":2}]}";
    expect_refused(k, "c.json", "c.json: datasets[0]: baseline strategies need a \"train\" file");
#undef BASE_FMT
}
END_TEST

/* Finetune cells: one per model (of "models") and seed, named like few-shot
 * cells with k0; method, rows and seed are in the hash; a train file is needed. */
START_TEST(test_finetune_cells)
{
#define FT_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m1\",\"path\":\"m1.gguf\"},{\"name\":\"m2\",\"path\":\"m2.gguf\"}]," \
               "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"%s}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}]," \
               "\"strategies\":[{\"name\":\"f\",\"kind\":\"finetune\",\"method\":\"%s\",%s}]}"
    char buf[1024];
    senti_experiment *x;
    senti_err e;
    snprintf(buf, sizeof buf, FT_FMT, ",\"train\":\"t.csv\"", "lora", "\"per_class\":8,\"seeds\":[2,1],\"models\":[\"m2\"]");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "f.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_experiment_n_cells(x), 2);
    ck_assert_str_eq(senti_experiment_cell(x, 0)->name, "m2.d.v.f.k0.s2.none");
    ck_assert_str_eq(senti_experiment_cell(x, 1)->name, "m2.d.v.f.k0.s1.none");
    const senti_cell *c = senti_experiment_cell(x, 0);
    ck_assert_str_eq(senti_strategy_kind_name(c->strategy->kind), "finetune");
    ck_assert_str_eq(c->model->name, "m2");
    ck_assert_uint_eq(c->seed, 2);
    char *canon = senti_cell_canonical_json(c);
    ck_assert_msg(strstr(canon, "\"method\":\"lora\"") && strstr(canon, "\"per_class\":8") &&
                      strstr(canon, "\"kind\":\"finetune\""), "%s", canon);
    free(canon);
    char h[17];
    snprintf(h, sizeof h, "%s", c->hash);
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, FT_FMT, ",\"train\":\"t.csv\"", "head", "\"per_class\":8,\"seeds\":[2,1],\"models\":[\"m2\"]");
    ck_assert_int_eq(senti_experiment_parse(buf, strlen(buf), "f.json", NULL, &x, &e), SENTI_OK);
    ck_assert_str_ne(senti_experiment_cell(x, 0)->hash, h);
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, FT_FMT, "", "head", "\"per_class\":8");
    expect_refused(buf, "f.json", "f.json: datasets[0]: finetune strategies need a \"train\" file");
    /* a recipe cell: no model of the grid, one per dataset */
    const char *r = "{\"name\":\"t\",\"models\":[{\"name\":\"m\",\"path\":\"m.gguf\"}],"
                    "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"
                    "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\"},{\"name\":\"sel\",\"kind\":\"recipe\",\"recipe\":\"r.json\"}]}";
    ck_assert_msg(senti_experiment_parse(r, strlen(r), "r.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_experiment_n_cells(x), 2);
    ck_assert_str_eq(senti_experiment_cell(x, 1)->name, "recipe.d.v.sel.k0.none");
    ck_assert_ptr_null(senti_experiment_cell(x, 1)->model);
    ck_assert_str_eq(senti_strategy_kind_name(senti_experiment_cell(x, 1)->strategy->kind), "recipe");
    senti_experiment_free(x);
    snprintf(buf, sizeof buf, FT_FMT, ",\"train\":\"d.csv\"", "head", "\"train\":\"all\"");
    expect_refused(buf, "f.json", "would train the adapter on the rows it is scored on");
#undef FT_FMT
}
END_TEST

START_TEST(test_expand_env)
{
    char *o;
    senti_err e;
    setenv("SENTI_T_A", "alpha", 1);
    unsetenv("SENTI_T_B");
    ck_assert_int_eq(senti_expand_env("x/${SENTI_T_A}/y", &o, &e), SENTI_OK);
    ck_assert_str_eq(o, "x/alpha/y");
    free(o);
    ck_assert_int_eq(senti_expand_env("${SENTI_T_B:-def}/${SENTI_T_A:-no}", &o, &e), SENTI_OK);
    ck_assert_str_eq(o, "def/alpha");
    free(o);
    ck_assert_int_eq(senti_expand_env("$HOME-less $x", &o, &e), SENTI_OK);
    ck_assert_str_eq(o, "$HOME-less $x");
    free(o);
    ck_assert_int_eq(senti_expand_env("${SENTI_T_B}", &o, &e), SENTI_ERR_FORMAT);
    ck_assert(strstr(e.msg, "SENTI_T_B") != NULL);
    ck_assert_int_eq(senti_expand_env("${SENTI_T_A", &o, &e), SENTI_ERR_FORMAT);
}
END_TEST

/* Select cells: no model of the grid, one per dataset and seed (with the
 * strategy's first model), named select.<dataset>.<verbalizer>.<strategy>.k0.s<seed>.none;
 * the candidates are the strategy's models; the hash covers them, the rows
 * per class, the budget and the space. */
START_TEST(test_select_cells)
{
#define SEL_FMT "{\"name\":\"t\",\"models\":[{\"name\":\"m1\",\"path\":\"m1.gguf\"},{\"name\":\"m2\",\"path\":\"m2.gguf\"}]," \
                "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"%s}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}]," \
                "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\"},{\"name\":\"s\",\"kind\":\"select\",%s}]}"
    char buf[1024];
    senti_experiment *x;
    senti_err e;
    snprintf(buf, sizeof buf, SEL_FMT, ",\"train\":\"t.csv\"", "\"per_class\":16,\"seeds\":[1,2,3],\"models\":[\"m2\"]");
    ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "s.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(senti_experiment_n_cells(x), 5); /* z for m1 and m2, 3 select cells */
    const char *want[] = {"m1.d.v.z.k0.none", "m2.d.v.z.k0.none", "select.d.v.s.k0.s1.none", "select.d.v.s.k0.s2.none",
                          "select.d.v.s.k0.s3.none"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(senti_experiment_cell(x, i)->name, want[i]);
    const senti_cell *c = senti_experiment_cell(x, 3);
    ck_assert_ptr_null(c->model);
    ck_assert_str_eq(senti_strategy_kind_name(c->strategy->kind), "select");
    ck_assert_uint_eq(c->seed, 2);
    ck_assert_uint_eq(c->strategy->per_class, 16);
    ck_assert_double_eq(c->strategy->budget_min, 15.0); /* the default, as senti select's */
    ck_assert_uint_eq(c->strategy->n_model_paths, 1);
    ck_assert_str_eq(c->strategy->model_paths[0], "m2.gguf");
    char *canon = senti_cell_canonical_json(c);
    ck_assert_msg(strstr(canon, "\"candidates\":[\"m2.gguf\"]") && strstr(canon, "\"per_class\":16") &&
                      strstr(canon, "\"budget\":15") && strstr(canon, "\"kind\":\"select\""), "%s", canon);
    free(canon);
    char h[17];
    snprintf(h, sizeof h, "%s", c->hash);
    senti_experiment_free(x);
    /* every model a candidate; another budget, a space: other hashes */
    const char *variants[] = {"\"per_class\":16,\"seeds\":[1,2,3]", "\"per_class\":16,\"seeds\":[1,2,3],\"models\":[\"m2\"],\"budget\":5",
                              "\"per_class\":16,\"seeds\":[1,2,3],\"models\":[\"m2\"],\"space\":\"sp.json\""};
    for (size_t i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, SEL_FMT, ",\"train\":\"t.csv\"", variants[i]);
        ck_assert_msg(senti_experiment_parse(buf, strlen(buf), "s.json", NULL, &x, &e) == SENTI_OK, "%s", e.msg);
        ck_assert_str_ne(senti_experiment_cell(x, 3)->hash, h);
        if (i == 0)
            ck_assert_uint_eq(senti_experiment_cell(x, 3)->strategy->n_model_paths, 2);
        senti_experiment_free(x);
    }
    snprintf(buf, sizeof buf, SEL_FMT, "", "\"per_class\":4");
    expect_refused(buf, "s.json", "s.json: datasets[0]: select strategies need a \"train\" file");
    const char *res = "{\"name\":\"t\",\"models\":[{\"name\":\"select\",\"path\":\"m.gguf\"}],"
                      "\"datasets\":[{\"name\":\"d\",\"path\":\"d.csv\"}],\"verbalizers\":[{\"name\":\"v\",\"path\":\"v.json\"}],"
                      "\"strategies\":[{\"name\":\"z\",\"kind\":\"zero-shot\"}]}";
    expect_refused(res, "r.json", "\"select\" is reserved");
#undef SEL_FMT
}
END_TEST

START_TEST(test_shipped_experiments_parse)
{
    static const struct {
        const char *file;
        size_t cells;
    } shipped[] = {{"experiments/cbu-sst2.json", 64},     {"experiments/base-vs-instruct.json", 0},
                   {"experiments/verbalizers.json", 0},   {"experiments/demo.json", 8},
                   {"experiments/tweeteval.json", 44},    {"experiments/finetune-sst2.json", 22},
                   {"experiments/select.json", 36}};
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        senti_experiment *x;
        senti_err e;
        ck_assert_msg(senti_experiment_load(shipped[i].file, &x, &e) == SENTI_OK, "%s", e.msg);
        ck_assert_uint_gt(senti_experiment_n_cells(x), 0);
        if (shipped[i].cells) /* the grid the docs and the README describe */
            ck_assert_uint_eq(senti_experiment_n_cells(x), shipped[i].cells);
        senti_experiment_free(x);
    }
}
END_TEST

Suite *experiment_suite(void)
{
    Suite *s = suite_create("experiment");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_grid_expansion);
    tcase_add_test(tc, test_cell_hash_stable);
    tcase_add_test(tc, test_syntax_error_has_line);
    tcase_add_test(tc, test_content_errors_have_paths);
    tcase_add_test(tc, test_few_shot_needs_train);
    tcase_add_test(tc, test_train_rest);
    tcase_add_test(tc, test_dataset_verbalizer);
    tcase_add_test(tc, test_strategy_models);
    tcase_add_test(tc, test_baseline_split_and_verbalizer);
    tcase_add_test(tc, test_demo_options_in_hash);
    tcase_add_test(tc, test_expand_env);
    tcase_add_test(tc, test_baseline_cells);
    tcase_add_test(tc, test_finetune_cells);
    tcase_add_test(tc, test_select_cells);
    tcase_add_test(tc, test_shipped_experiments_parse);
    suite_add_tcase(s, tc);
    return s;
}
