/*
 * check_select.c - `senti select` without a model (src/11-experiment/select*.c,
 * senti/select.h): stratified folds (every fold holds each label in
 * proportion, sizes within one, deterministic by seed, different seeds deal
 * differently), the checks on the labelled rows (too few rows per label, an
 * unknown label), space files (unknown key, bad label words, JSON syntax:
 * located errors), the bow-logreg-only selection end to end (training folds
 * only: a row whose text appears in no training fold gets no help from it;
 * its out-of-fold predictions file holds the fold models' predictions, not
 * the refitted recipe's), the counts and times of the ranking and the recipe
 * (evaluated N of M, K skipped by the budget; search, final fit, holdout),
 * the budget rule (the final fit kept in reserve),
 * and bad recipes (unknown key, missing file, wrong SHA-256).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "00-base/base.h"
#include "11-experiment/select_internal.h"
#include "senti/predfile.h"
#include "senti/select.h"
#include "testutil.h"

START_TEST(test_folds_stratified)
{
    int y[30], fold[30], fold2[30], fold3[30];
    for (int i = 0; i < 30; i++)
        y[i] = i < 12 ? 0 : i < 24 ? 1 : 2; /* 12 / 12 / 6 */
    senti_err e;
    ck_assert_int_eq(senti_select_folds(y, 30, 3, 3, 7, fold, &e), SENTI_OK);
    for (int f = 0; f < 3; f++) {
        int n[3] = {0}, tot = 0;
        for (int i = 0; i < 30; i++)
            if (fold[i] == f)
                n[y[i]]++, tot++;
        ck_assert_int_eq(n[0], 4);
        ck_assert_int_eq(n[1], 4);
        ck_assert_int_eq(n[2], 2);
        ck_assert_int_eq(tot, 10);
    }
    ck_assert_int_eq(senti_select_folds(y, 30, 3, 3, 7, fold2, &e), SENTI_OK);
    ck_assert_int_eq(memcmp(fold, fold2, sizeof fold), 0); /* same seed, same folds */
    ck_assert_int_eq(senti_select_folds(y, 30, 3, 3, 8, fold3, &e), SENTI_OK);
    ck_assert_int_ne(memcmp(fold, fold3, sizeof fold), 0);
    /* uneven: 7 + 5 rows in 5 folds: sizes within one */
    int y2[12] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, f2[12], size[5] = {0};
    ck_assert_int_eq(senti_select_folds(y2, 12, 2, 5, 1, f2, &e), SENTI_OK);
    for (int i = 0; i < 12; i++)
        size[f2[i]]++;
    for (int f = 0; f < 5; f++)
        ck_assert(size[f] == 2 || size[f] == 3);
    ck_assert_int_eq(senti_select_folds(y, 30, 3, 7, 1, fold, &e), SENTI_ERR_ARG); /* label 2 has 6 rows */
    ck_assert_ptr_nonnull(strstr(e.msg, "fewer than the 7 folds"));
}
END_TEST

/* Write text into a fresh temporary file; returns its path (malloc). */
static char *write_tmp(const char *suffix, const char *text)
{
    char *path = tu_tmpfile(suffix);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* n rows per label: label 0 texts "awful dull N", label 1 "lovely fine N". */
static char *labelled(int n, const char *extra)
{
    char buf[8192] = "text,label\n";
    for (int i = 0; i < n; i++) {
        char line[128];
        snprintf(line, sizeof line, "awful dull movie %d,neg\nlovely fine movie %d,pos\n", i, i);
        strcat(buf, line);
    }
    strcat(buf, extra);
    return write_tmp(".csv", buf);
}

static senti_status run_bow(const char *input, const char *space, const char *out, senti_err *e)
{
    senti_select_params p = senti_select_default_params();
    p.input_path = input;
    p.space_path = space;
    p.output_path = out;
    /* never loaded (these spaces skip every prompt), but select checks that each
     * named model can be read before it starts */
    char *placeholder = write_tmp(".gguf", "not a model");
    const char *models[] = {placeholder};
    p.models = models;
    p.n_models = 1;
    senti_status s = senti_select_run(&p, NULL, e);
    unlink(placeholder);
    free(placeholder);
    return s;
}

START_TEST(test_too_few_rows)
{
    char *in = write_tmp(".csv", "text,label\ngood,pos\nbad,neg\nfine,pos\n");
    char *out = tu_tmpfile(".json");
    senti_err e;
    ck_assert_int_eq(run_bow(in, NULL, out, &e), SENTI_ERR_ARG);
    ck_assert_msg(strstr(e.msg, "label 'neg' has 1 labelled row") != NULL, "%s", e.msg);
    size_t len = 1;
    free(tu_read_file(out, &len));
    ck_assert_uint_eq(len, 0); /* nothing written */
    free(in), free(out);
}
END_TEST

START_TEST(test_bad_space)
{
    char *in = labelled(4, "");
    char *out = tu_tmpfile(".json");
    static const struct {
        const char *space, *want; /* want: a part of the message; "FILE" stands for the space's path */
    } cases[] = {
        {"{\"shots\": [0], \"colour\": 1}", "unknown key 'colour'"},
        {"{\"label_words\": {\"a\": {\"neg\": \"bad\", \"happy\": \"good\"}}}",
         "label_words.a.happy: is not a label of the data"},
        {"{\"shots\": [0,\n 99]}", "shots: every item must be an integer in 0..16"},
        {"{\"demo_layouts\": [\"inline\", \"inline\"]}", "demo_layouts: \"inline\" is listed twice"},
        {"{\"demo_layouts\": [\"rounds\"]}", "demo_layouts: must be a non-empty array of \"inline\" and/or \"turns\""},
        {"{\"demo_layouts\": []}", "demo_layouts: must be a non-empty array"},
        {"{\"shots\": [0,\n }", ":2:"}, /* line of the syntax error */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        senti_err e;
        char *sp = write_tmp(".json", cases[i].space);
        ck_assert_int_eq(run_bow(in, sp, out, &e), SENTI_ERR_FORMAT);
        ck_assert_msg(strstr(e.msg, cases[i].want) && strstr(e.msg, sp), "case %zu: %s", i, e.msg);
        free(sp);
    }
    free(in), free(out);
}
END_TEST

/* bow-logreg alone (shots [] would be refused; "shots": [4] skips every prompt). */
START_TEST(test_bow_only_recipe)
{
    char *in = labelled(6, "");
    char *out = tu_tmpfile(".json");
    char *sp = write_tmp(".json", "{\"shots\": [4], \"adapters\": [], \"ensembles\": false, \"label_word_search\": false}");
    senti_err e;
    ck_assert_msg(run_bow(in, sp, out, &e) == SENTI_OK, "%s", e.msg);
    json_error_t je;
    json_t *r = json_load_file(out, 0, &je);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(json_string_value(json_object_get(r, "kind")), "bow-logreg");
    ck_assert(json_is_true(json_object_get(json_object_get(r, "cv"), "optimistic")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "cv"), "folds")), 5);
    /* apply it: the training texts come back with their labels */
    senti_classify_params cp = senti_classify_default_params();
    char *pred = tu_tmpfile(".csv");
    cp.input_path = in;
    cp.output_path = pred;
    senti_classify_summary sum;
    ck_assert_msg(senti_recipe_classify(out, &cp, &sum, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(sum.n_correct, 12);
    /* bad recipes: an unknown key; a missing adapter; a changed adapter */
    char *adapter = malloc(8192);
    const char *rel = json_string_value(json_object_get(json_object_get(r, "adapter"), "path"));
    const char *slash = strrchr(out, '/');
    snprintf(adapter, 8192, "%.*s/%s", (int)(slash - out), out, rel);
    json_object_set_new(r, "flavour", json_string("x"));
    char *bad = tu_tmpfile(".json");
    json_dump_file(r, bad, 0);
    ck_assert_int_eq(senti_recipe_classify(bad, &cp, &sum, &e), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(e.msg, "unknown key 'flavour'"), "%s", e.msg);
    FILE *f = fopen(adapter, "a");
    fputs(" ", f);
    fclose(f);
    ck_assert_int_eq(senti_recipe_classify(out, &cp, &sum, &e), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(e.msg, "SHA-256"), "%s", e.msg);
    unlink(adapter);
    ck_assert_int_eq(senti_recipe_classify(out, &cp, &sum, &e), SENTI_ERR_NOTFOUND);
    ck_assert_msg(strstr(e.msg, "adapter"), "%s", e.msg);
    json_decref(r);
    free(adapter), free(bad), free(pred), free(sp), free(in), free(out);
}
END_TEST

/* No leakage: every text is "film movie" plus a word no other row has. A
 * model that saw the test row would get it right; trained on the other folds
 * only, it sees the same features for every test row and balanced training
 * labels, so every fold scores exactly 0.5. */
START_TEST(test_no_leakage)
{
    char buf[4096] = "text,label\n";
    for (int i = 0; i < 20; i++) {
        char line[64];
        snprintf(line, sizeof line, "film movie w%c%cx,%s\n", 'a' + i / 26, 'a' + i % 26, i % 2 ? "pos" : "neg");
        strcat(buf, line);
    }
    char *in = write_tmp(".csv", buf), *out = tu_tmpfile(".json");
    char *sp = write_tmp(".json", "{\"shots\": [4], \"adapters\": [], \"ensembles\": false, \"label_word_search\": false}");
    senti_err e;
    ck_assert_msg(run_bow(in, sp, out, &e) == SENTI_OK, "%s", e.msg);
    json_error_t je;
    json_t *r = json_load_file(out, 0, &je);
    ck_assert_ptr_nonnull(r);
    ck_assert_double_eq(json_real_value(json_object_get(json_object_get(r, "cv"), "accuracy")), 0.5);
    ck_assert_double_eq(json_real_value(json_object_get(json_object_get(r, "cv"), "accuracy_sd")), 0.0);
    /* the times: search + final fit + holdout (none) within the total */
    const json_t *sel = json_object_get(r, "selection");
    double tot = json_real_value(json_object_get(sel, "seconds")), se = json_real_value(json_object_get(sel, "search_s"));
    double ff = json_real_value(json_object_get(sel, "final_fit_s"));
    ck_assert(json_is_real(json_object_get(sel, "final_fit_s")) && json_is_real(json_object_get(sel, "holdout_s")));
    ck_assert(se >= 0 && ff >= 0 && se + ff <= tot + 1e-9);
    ck_assert_double_eq(json_real_value(json_object_get(sel, "holdout_s")), 0.0);
    /* the out-of-fold predictions: every row predicted by its fold's model
     * (accuracy 0.5, as the CV says) while the refitted recipe knows every
     * training row's unique word (accuracy 1 on the same rows) */
    const char *cv = json_string_value(json_object_get(sel, "cv_csv"));
    ck_assert_ptr_nonnull(cv);
    senti_predfile pf;
    ck_assert_msg(senti_predfile_read(cv, NULL, &pf, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(pf.n, 20);
    size_t ok = 0;
    for (size_t i = 0; i < pf.n; i++)
        ok += pf.pred[i] == pf.gold[i];
    ck_assert_uint_eq(ok, 10);
    ck_assert_str_eq(pf.ids[0], "1"); /* classify's id without an id column: the data row */
    senti_predfile_free(&pf);
    size_t len;
    char *txt = tu_read_file(cv, &len);
    ck_assert_msg(strncmp(txt, "id,gold,pred,p_neg,p_pos,fold,status\n", strlen("id,gold,pred,p_neg,p_pos,fold,status\n")) == 0, "%s", txt);
    free(txt);
    senti_classify_params cp = senti_classify_default_params();
    char *pred = tu_tmpfile(".csv");
    cp.input_path = in;
    cp.output_path = pred;
    senti_classify_summary sum;
    ck_assert_msg(senti_recipe_classify(out, &cp, &sum, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_uint_eq(sum.n_correct, 20);
    json_decref(r);
    free(in), free(out), free(sp), free(pred);
}
END_TEST

/* Ranking: evaluated first by accuracy, then macro-F1, then ECE (lower), then
 * name; skipped and failed after, by name. */
START_TEST(test_ranking_order)
{
    sel_cand c[6] = {0};
    const char *names[] = {"e", "d", "c", "b", "a", "f"};
    double acc[] = {0.8, 0.9, 0.8, 0.8, 0, 0.8}, f1[] = {0.7, 0.1, 0.7, 0.75, 0, 0.7}, ece[] = {0.2, 0.5, 0.1, 0.3, 0, 0.2};
    sel_state st[] = {SEL_DONE, SEL_DONE, SEL_DONE, SEL_DONE, SEL_SKIPPED, SEL_DONE};
    sel_cand *p[6];
    for (int i = 0; i < 6; i++) {
        snprintf(c[i].name, sizeof c[i].name, "%s", names[i]);
        c[i].acc_mean = acc[i], c[i].f1_mean = f1[i], c[i].ece_mean = ece[i], c[i].state = st[i];
        p[i] = &c[i];
    }
    qsort(p, 6, sizeof *p, sel_cand_cmp);
    const char *want[] = {"d", "b", "c", "e", "f", "a"};
    for (int i = 0; i < 6; i++)
        ck_assert_str_eq(p[i]->name, want[i]);
}
END_TEST

/* The Markdown ranking counts what was evaluated, what the budget skipped
 * and what was skipped for another reason or failed, apart (the chosen CV
 * accuracy is the maximum over the evaluated ones only). */
START_TEST(test_ranking_counts)
{
    sel_cand c[7] = {0};
    sel_cand *p[7];
    for (int i = 0; i < 7; i++) {
        snprintf(c[i].name, sizeof c[i].name, "c%d", i);
        c[i].state = i < 2 ? SEL_DONE : i < 6 ? SEL_SKIPPED : SEL_FAILED;
        c[i].by_budget = i >= 2 && i < 5;
        c[i].acc_mean = 0.5 + 0.1 * i;
        p[i] = &c[i];
    }
    qsort(p, 7, sizeof *p, sel_cand_cmp);
    sel_counts k = sel_count(p, 7);
    ck_assert_uint_eq(k.done, 2);
    ck_assert_uint_eq(k.skipped, 4);
    ck_assert_uint_eq(k.budget, 3);
    ck_assert_uint_eq(k.failed, 1);
    char *lab[] = {"neg", "pos"};
    sel_rows r = {.n = 4, .k = 2, .labels = lab, .n_folds = 2};
    json_t *rec = json_pack("{s:i, s:{s:f}, s:{s:f, s:f, s:f, s:f, s:f}}", "seed", 1, "cv", "accuracy", 0.6,
                            "selection", "seconds", 12.5, "search_s", 10.0, "final_fit_s", 2.0, "holdout_s", 0.5,
                            "budget_s", 60.0);
    char *md = tu_tmpfile(".md");
    senti_err e;
    ck_assert_msg(sel_write_ranking_md(md, p, 7, &r, rec, &e) == SENTI_OK, "%s", e.msg);
    size_t len;
    char *txt = tu_read_file(md, &len);
    ck_assert_msg(strstr(txt, "Candidates: 2 of 7 evaluated (3 skipped by the budget, 1 skipped for another reason, "
                              "1 failed)"), "%s", txt);
    ck_assert_msg(strstr(txt, "the maximum over the 2 evaluated candidates"), "%s", txt);
    ck_assert_msg(strstr(txt, "Time: 12.5 s = search 10.0 s + final fit 2.0 s + holdout 0.5 s"), "%s", txt);
    ck_assert_ptr_null(strstr(txt, "over 7"));
    free(txt), free(md);
    json_decref(rec);
}
END_TEST

/* The budget keeps the final fit in reserve: a step fits when its cost plus
 * the larger of the final fits of the best candidate so far and of the
 * candidate considered fits in what is left. What is left is the budget less
 * the estimated costs charged, never the measured time. */
START_TEST(test_budget_reserve)
{
    senti_select_params p = senti_select_default_params();
    p.budget_s = 100;
    sel_run *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    s->p = &p;
    s->t0 = senti_now();
    s->charged = 50; /* 50 s left */
    s->r.n_folds = 5;
    s->sp.n_models = 1;
    s->gparams[0] = 0.5; /* 0.5 ms + 20 ms x 0.5: 10.5 ms per token */
    s->row_tokens = 4.0 / 10.5e-3; /* one pass of model 0 over the rows: 4 s */
    sel_cand lora = {.kind = SEL_LORA, .model = 0}, head = {.kind = SEL_HEAD, .model = 0};
    sel_cand prompt = {.kind = SEL_PROMPT, .model = 0}, bow = {.kind = SEL_BOW, .state = SEL_DONE, .cost = 1};
    ck_assert_double_eq_tol(sel_final_fit_cost(s, &lora), 120.0, 1e-9); /* 4 s x 8 epochs x 3 x 5/4 */
    ck_assert_double_eq_tol(sel_final_fit_cost(s, &head), 4.0, 1e-9);   /* the features: one pass */
    ck_assert_double_eq_tol(sel_final_fit_cost(s, &bow), 0.25, 1e-9);   /* a fold's cost x 5/4 */
    ck_assert_double_eq(sel_final_fit_cost(s, &prompt), 0.0);           /* small files only */
    /* nothing evaluated yet: only the candidate's own final fit */
    ck_assert(sel_fits(s, &prompt, 45));
    ck_assert(!sel_fits(s, &lora, 1)); /* its own final fit (120 s) does not fit */
    ck_assert(sel_fits(s, &head, 40));
    ck_assert(!sel_fits(s, &head, 47));
    /* the head evaluated and best: its 4 s stay in reserve for every step */
    head.state = SEL_DONE, head.acc_mean = 0.9;
    s->c[0] = &head, s->n_c = 1;
    ck_assert(sel_fits(s, &prompt, 46));
    ck_assert(!sel_fits(s, &prompt, 47));
    /* time spent does not count, however long */
    s->t0 = senti_now() - 1e6;
    ck_assert(sel_fits(s, &prompt, 46));
    free(s);
}
END_TEST

Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_folds_stratified);
    tcase_add_test(tc, test_too_few_rows);
    tcase_add_test(tc, test_bad_space);
    tcase_add_test(tc, test_bow_only_recipe);
    tcase_add_test(tc, test_no_leakage);
    tcase_add_test(tc, test_ranking_order);
    tcase_add_test(tc, test_ranking_counts);
    tcase_add_test(tc, test_budget_reserve);
    suite_add_tcase(s, tc);
    return s;
}
