/*
 * check_report.c - results loading, gates, the McNemar test and the text
 * writers, on the committed fixture tests/data/report/results.json.
 *
 * References: the fixture's numbers were computed with scikit-learn / numpy
 * (tools/gen_report_fixture.py); the gate outcomes and McNemar p-values below
 * were computed from the fixture with Python and scipy.stats.binomtest
 * (two-sided, p = 0.5), independently of this code.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/compare.h"
#include "senti/report.h"
#include "testutil.h"

static senti_results *load(const char *rel)
{
    senti_results *r;
    senti_err e;
    ck_assert_msg(senti_results_load(tu_data_path(rel), &r, &e) == SENTI_OK, "%s", e.msg);
    return r;
}

START_TEST(test_load_fixture)
{
    senti_results *r = load("report/results.json");
    ck_assert_uint_eq(senti_results_n_cells(r), 28);
    ck_assert_str_eq(senti_results_cell_name(r, 0), "smollm2.sst2.cbu.zero.k0.none");
    ck_assert_double_eq_tol(senti_results_metric(r, 0, "accuracy"), 0.64, 1e-12);
    ck_assert(isnan(senti_results_metric(r, 0, "no_such_metric")));
    senti_results_free(r);
    /* a directory holding results.json works too */
    senti_results *d;
    senti_err e;
    ck_assert_int_eq(senti_results_load("tests/data/report", &d, &e), SENTI_OK);
    senti_results_free(d);
    ck_assert_int_eq(senti_results_load("tests/data/report/nope.json", &d, &e), SENTI_ERR_IO);
    ck_assert_int_eq(senti_results_load("tests/data/report/grid.json", &d, &e), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(e.msg, "schema") != NULL, "%s", e.msg);
    ck_assert_int_eq(senti_results_load("tests/data/report/bad_syntax.json", &d, &e), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(e.msg, "bad_syntax.json:5:") != NULL, "%s", e.msg);
}
END_TEST

/* Metric values on load: each metric's whole range is accepted (its edges
 * included; null; a key senti does not know), one step outside is refused
 * naming the cell, metric and part. */
static senti_status load_metrics(const char *metrics, senti_err *e)
{
    char *path = tu_tmpfile(".json");
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"schema\": \"senti-results/1\", \"cells\": [{\"name\": \"a\"}, {\"name\": \"b\", \"metrics\": %s}]}",
            metrics);
    fclose(f);
    senti_results *r = NULL;
    senti_status s = senti_results_load(path, &r, e);
    senti_results_free(r);
    remove(path);
    free(path);
    return s;
}

START_TEST(test_load_metric_ranges)
{
    senti_err e;
    static const char *const ok[] = {
        "{\"accuracy\": {\"value\": 1, \"lo\": 0, \"hi\": 1}, \"mcc\": {\"value\": -1}, \"kappa\": {\"value\": -1}}",
        "{\"brier\": {\"value\": 2}, \"nll\": {\"value\": 36.04}, \"aurc\": {\"value\": 0}, \"ece\": {\"value\": 1}}",
        "{\"accuracy\": {\"value\": 0.5, \"lo\": null, \"hi\": null}, \"kappa\": {\"value\": null}}",
        "{\"my_metric\": {\"value\": -1234.5}}", "{}"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        ck_assert_msg(load_metrics(ok[i], &e) == SENTI_OK, "%s: %s", ok[i], e.msg);
    static const struct {
        const char *metrics, *want;
    } bad[] = {
        {"{\"accuracy\": {\"value\": 1.0000001}}", "cells[1].metrics.accuracy.value: must be a number in [0, 1]"},
        {"{\"mcc\": {\"value\": 0.1, \"lo\": -1.01}}", "cells[1].metrics.mcc.lo: must be a number in [-1, 1]"},
        {"{\"brier\": {\"value\": 2.1}}", "metrics.brier.value: must be a number in [0, 2]"},
        {"{\"nll\": {\"value\": -0.5}}", "metrics.nll.value: must be a number in [0, inf]"},
        {"{\"ece\": {\"value\": \"0.1\"}}", "metrics.ece.value: must be a number"},
        {"{\"accuracy\": {\"value\": 1.7e308}}", "metrics.accuracy.value"},
        {"{\"accuracy\": 0.5}", "metrics.accuracy: must be an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(load_metrics(bad[i].metrics, &e), SENTI_ERR_FORMAT);
        ck_assert_msg(strstr(e.msg, bad[i].want) != NULL, "%s: %s", bad[i].metrics, e.msg);
    }
}
END_TEST

START_TEST(test_gate_parse)
{
    senti_gate g;
    senti_err e;
    ck_assert_int_eq(senti_gate_parse("accuracy=0.8", SENTI_GATE_UNDER, &g, &e), SENTI_OK);
    ck_assert_str_eq(g.metric, "accuracy");
    ck_assert_str_eq(g.label, "");
    ck_assert_str_eq(g.cells, "*");
    ck_assert_double_eq(g.threshold, 0.8);
    ck_assert_int_eq(senti_gate_parse("recall[negative]@gemma3.*=0.7", SENTI_GATE_UNDER, &g, &e), SENTI_OK);
    ck_assert_str_eq(g.metric, "recall");
    ck_assert_str_eq(g.label, "negative");
    ck_assert_str_eq(g.cells, "gemma3.*");
    ck_assert_double_eq(g.threshold, 0.7);
    static const char *const bad[] = {"accuracy", "accuracy=", "accuracy=x", "=0.5", "recall[neg=0.5",
                                      "recall[]=0.5", "accuracy@=0.5", "recall[a]b=0.5",
                                      "accuracy= 0.5", "accuracy=0x0.8", "accuracy=inf", "accuracy=0.5 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(senti_gate_parse(bad[i], SENTI_GATE_OVER, &g, &e) == SENTI_ERR_ARG, "%s accepted", bad[i]);
    static const char *const bad_alpha[] = {"accuracy=0x0.1", "accuracy= 0.05", "accuracy=1", "accuracy=0",
                                            "accuracy=", "accuracy=nan"};
    for (size_t i = 0; i < sizeof bad_alpha / sizeof bad_alpha[0]; i++)
        ck_assert_msg(senti_gate_parse(bad_alpha[i], SENTI_GATE_BASELINE, &g, &e) == SENTI_ERR_ARG, "%s accepted",
                      bad_alpha[i]);
    ck_assert_int_eq(senti_gate_parse("accuracy=.01", SENTI_GATE_BASELINE, &g, &e), SENTI_OK);
    ck_assert_double_eq(g.threshold, 0.01);
}
END_TEST

static senti_gate_result eval_one(const senti_results *r, const senti_results *base, const char *spec,
                                  senti_gate_kind kind, senti_gate *g)
{
    senti_err e;
    senti_gate_result res;
    ck_assert_int_eq(senti_gate_parse(spec, kind, g, &e), SENTI_OK);
    ck_assert_msg(senti_gates_eval(r, base, g, 1, &res, &e) == SENTI_OK, "%s", e.msg);
    return res;
}

START_TEST(test_gates_thresholds)
{
    senti_results *r = load("report/results.json");
    senti_gate g;
    /* Python: 3 cells have ece > 0.1 */
    senti_gate_result res = eval_one(r, NULL, "ece=0.1", SENTI_GATE_OVER, &g);
    ck_assert(!res.passed);
    ck_assert_uint_eq(res.n_checked, 28);
    ck_assert_uint_eq(res.n_failed, 3);
    ck_assert(strstr(res.message, "smollm2.sst2.cbu.zero.k0.none: ece = 0.183") != NULL);
    senti_gate_result_clear(&res);
    /* Python: 3 cells have recall of label 0 ("negative") below 0.5; by key or display name */
    res = eval_one(r, NULL, "recall[negative]=0.5", SENTI_GATE_UNDER, &g);
    ck_assert_uint_eq(res.n_failed, 3);
    senti_gate_result_clear(&res);
    res = eval_one(r, NULL, "recall[0]=0.5", SENTI_GATE_UNDER, &g);
    ck_assert_uint_eq(res.n_failed, 3);
    senti_gate_result_clear(&res);
    /* Python: 2 gemma3 cells have accuracy < 0.8; 14 gemma3 cells in all */
    res = eval_one(r, NULL, "accuracy@gemma3.*=0.8", SENTI_GATE_UNDER, &g);
    ck_assert_uint_eq(res.n_checked, 14);
    ck_assert_uint_eq(res.n_failed, 2);
    senti_gate_result_clear(&res);
    res = eval_one(r, NULL, "accuracy@gemma3.*k4*=0.85", SENTI_GATE_UNDER, &g);
    ck_assert(res.passed);
    ck_assert_uint_eq(res.n_checked, 6);
    senti_gate_result_clear(&res);
    /* input errors, not failed gates */
    senti_err e;
    ck_assert_int_eq(senti_gate_parse("accuracy@nomatch*=0.5", SENTI_GATE_UNDER, &g, &e), SENTI_OK);
    ck_assert_int_eq(senti_gates_eval(r, NULL, &g, 1, &res, &e), SENTI_ERR_NOTFOUND);
    ck_assert_int_eq(senti_gate_parse("acuracy=0.5", SENTI_GATE_UNDER, &g, &e), SENTI_OK);
    ck_assert_int_eq(senti_gates_eval(r, NULL, &g, 1, &res, &e), SENTI_ERR_NOTFOUND);
    ck_assert_int_eq(senti_gate_parse("recall[neutral]=0.5", SENTI_GATE_UNDER, &g, &e), SENTI_OK);
    ck_assert_int_eq(senti_gates_eval(r, NULL, &g, 1, &res, &e), SENTI_ERR_NOTFOUND);
    senti_results_free(r);
}
END_TEST

START_TEST(test_mcnemar)
{
    /* the gate's McNemar is compare.h's; scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue */
    ck_assert_double_eq_tol(senti_mcnemar_test(2, 5).p_value, 0.453125, 1e-12);
    ck_assert_double_eq_tol(senti_mcnemar_test(10, 25).p_value, 0.016673847800120715, 1e-12);
    ck_assert_double_eq_tol(senti_mcnemar_test(25, 10).p_value, 0.016673847800120715, 1e-12);
    ck_assert_double_eq_tol(senti_mcnemar_test(3, 0).p_value, 0.25, 1e-12);
    ck_assert_double_eq_tol(senti_mcnemar_test(0, 1).p_value, 1.0, 1e-12);
    ck_assert_double_eq_tol(senti_mcnemar_test(0, 0).p_value, 1.0, 1e-12);
}
END_TEST

START_TEST(test_gate_baseline)
{
    senti_results *r = load("report/results.json");
    senti_results *b = load("report/results_baseline.json");
    senti_gate g;
    /* Python + scipy on the correct_bits: 27 of 28 cells significantly worse than the baseline */
    senti_gate_result res = eval_one(r, b, "accuracy=0.05", SENTI_GATE_BASELINE, &g);
    ck_assert(!res.passed);
    ck_assert_uint_eq(res.n_checked, 28);
    ck_assert_uint_eq(res.n_failed, 27);
    ck_assert(strstr(res.message, "McNemar") != NULL);
    senti_gate_result_clear(&res);
    /* against itself nothing is worse; the better run against the worse one passes */
    res = eval_one(r, r, "accuracy", SENTI_GATE_BASELINE, &g);
    ck_assert(res.passed);
    senti_gate_result_clear(&res);
    res = eval_one(b, r, "accuracy", SENTI_GATE_BASELINE, &g);
    ck_assert(res.passed);
    ck_assert_uint_eq(res.n_checked, 28);
    senti_gate_result_clear(&res);
    senti_results_free(b);
    senti_results_free(r);
}
END_TEST

/* Run a writer into a memory buffer. */
static char *render(senti_status (*fn)(const senti_results *, const senti_gate_result *, size_t, FILE *, senti_err *),
                    const senti_results *r, const senti_gate_result *g, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    senti_err e;
    ck_assert_msg(fn(r, g, n, f, &e) == SENTI_OK, "%s", e.msg);
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(test_writers)
{
    senti_results *r = load("report/results.json");
    senti_gate gates[2];
    senti_gate_result res[2];
    senti_err e;
    ck_assert_int_eq(senti_gate_parse("ece=0.1", SENTI_GATE_OVER, &gates[0], &e), SENTI_OK);
    ck_assert_int_eq(senti_gate_parse("accuracy=0.5", SENTI_GATE_UNDER, &gates[1], &e), SENTI_OK);
    ck_assert_int_eq(senti_gates_eval(r, NULL, gates, 2, res, &e), SENTI_OK);
    /* Markdown: 12 configurations; the best is gemma3 4-shot contextual, mean of seeds
     * 0.91, 0.945, 0.9 (numpy: mean 0.918333, std ddof=1 0.005774 -> "0.918 ± 0.006") */
    char *md = render(senti_report_markdown, r, res, 2);
    ck_assert_msg(strstr(md, "Best accuracy: **0.918 ± 0.006**") != NULL, "%s", md);
    ck_assert(strstr(md, "| smollm2 | sst2 | cbu | zero | 0 | none | 1 | 0.640 [0.575, 0.705] |") != NULL);
    ck_assert(strstr(md, "## Gates: FAILED") != NULL);
    /* table lines: header + 12 summary rows, header + 14 comparisons, header + 2 gates */
    ck_assert_uint_eq(count(md, "\n| "), (1 + 12) + (1 + 14) + (1 + 2));
    free(md);
    /* HTML: self-contained (no external reference, no script) */
    char *html = render(senti_report_html, r, res, 2);
    ck_assert(strstr(html, "<script") == NULL);
    ck_assert(strstr(html, "http://") == NULL && strstr(html, "https://") == NULL);
    /* the spread on a second line of the cell: "0.918 <span class="ci">± 0.006</span>" */
    ck_assert(strstr(html, "0.918 <span class=\"ci\">± 0.006</span>") != NULL);
    ck_assert_uint_eq(count(html, "aria-label=\"reliability diagram\""), 12);
    ck_assert_uint_eq(count(html, "aria-label=\"confusion matrix\""), 12);
    ck_assert_uint_eq(count(html, "aria-label=\"accuracy vs shots\""), 2);
    free(html);
    /* JUnit: one testcase per gate, one failure */
    char *xml = render(senti_report_junit, r, res, 2);
    ck_assert_uint_eq(count(xml, "<testcase "), 2);
    ck_assert_uint_eq(count(xml, "<failure "), 1);
    ck_assert(strstr(xml, "tests=\"2\" failures=\"1\"") != NULL);
    free(xml);
    /* JSON: passed false */
    char *js = render(senti_report_json, r, res, 2);
    ck_assert(strstr(js, "\"passed\": false") != NULL);
    free(js);
    /* CSV: header + 28 lines */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(senti_report_csv(r, f, &e), SENTI_OK);
    fclose(f);
    ck_assert_uint_eq(count(buf, "\n"), 29);
    ck_assert(strncmp(buf, "name,hash,model,", 16) == 0);
    free(buf);
    senti_gate_result_clear(&res[0]);
    senti_gate_result_clear(&res[1]);
    senti_results_free(r);
}
END_TEST

/* Against the best baseline, on 16 rows (correct_bits in hex, row 0 = the
 * first bit). Baselines of dataset d: B1 ff00 (rows 0-7, 0.5, the best), B2
 * fe00, M f000. By hand: Z ffff vs B1 has 0 / 8 discordant rows, exact
 * McNemar p = 2 * 0.5^8 = 0.0078125 (better); W 0000 8 / 0 (worse); M 4 / 0,
 * p = 2 * 0.5^4 = 0.125 (no difference); F has seeds ffff (better) and f0f0
 * (4 / 4, p = 1). Dataset e has no baseline: X is not listed. */
#define VS_CELL(name, kind, ds, acc, bits)                                                                           \
    "{\"name\":\"" name "\",\"kind\":\"" kind "\",\"dataset\":\"" ds "\",\"n\":16,\"rows_sha256\":\"r\","                   \
    "\"correct_bits\":\"" bits "\",\"metrics\":{\"accuracy\":{\"value\":" acc "}}}"
#define VS_GROUP(name, ...) "{\"name\":\"" name "\",\"cells\":[" __VA_ARGS__ "]}"
static const char vs_json[] =
    "{\"schema\":\"senti-results/1\",\"experiment\":{\"name\":\"vs\"},\"cells\":["
    VS_CELL("Z", "zero-shot", "d", "1.0", "ffff") "," VS_CELL("W", "zero-shot", "d", "0.0", "0000") ","
    VS_CELL("F1", "few-shot", "d", "1.0", "ffff") "," VS_CELL("F2", "few-shot", "d", "0.5", "f0f0") ","
    VS_CELL("B1", "baseline", "d", "0.5", "ff00") "," VS_CELL("B2", "baseline", "d", "0.4375", "fe00") ","
    VS_CELL("M", "baseline", "d", "0.25", "f000") "," VS_CELL("X", "zero-shot", "e", "0.5", "ff00") "],"
    "\"groups\":[" VS_GROUP("z", "\"Z\"") "," VS_GROUP("w", "\"W\"") "," VS_GROUP("f", "\"F1\",\"F2\"") ","
    VS_GROUP("bow", "\"B2\",\"B1\"") "," VS_GROUP("maj", "\"M\"") "," VS_GROUP("x", "\"X\"") "]}";

static char *write_tmp(const char *suffix, const char *text);

START_TEST(test_vs_baseline)
{
    char *path = write_tmp(".json", vs_json);
    senti_results *r;
    senti_err e;
    ck_assert_msg(senti_results_load(path, &r, &e) == SENTI_OK, "%s", e.msg);
    char *md = render(senti_report_markdown, r, NULL, 0);
    ck_assert_msg(strstr(md, "## Against the best baseline"), "%s", md);
    ck_assert_msg(strstr(md, "| z | B1 | 1.000 | 0.500 | +0.500 | better (McNemar p = 0.0078) | **yes** |\n"), "%s", md);
    ck_assert(strstr(md, "| w | B1 | 0.000 | 0.500 | -0.500 | worse (McNemar p = 0.0078) | no, worse |\n"));
    ck_assert(strstr(md, "| f | B1 | 0.750 | 0.500 | +0.250 | better in 1 of 2 seeds, worse in 0 (McNemar p 0.0078-1) | no |\n"));
    ck_assert(strstr(md, "| maj | B1 | 0.250 | 0.500 | -0.250 | no significant difference (McNemar p = 0.12) | no |\n"));
    ck_assert(!strstr(md, "| x | ") && !strstr(md, "| bow | "));
    /* table lines: the summary (header + 6) and the section (header + 4) */
    ck_assert_uint_eq(count(md, "\n| "), (1 + 6) + (1 + 4));
    free(md);
    char *html = render(senti_report_html, r, NULL, 0);
    ck_assert(strstr(html, "<table id=\"baseline-table\">"));
    ck_assert_uint_eq(count(html, "&#10003;"), 1);
    free(html);
    senti_results_free(r);
    remove(path);
    free(path);
}
END_TEST

/* One predictions CSV: 12 rows of labels a, b with hand-computed gaps
 * |p(pred) - correct| (binary fractions, exact): row 1 0.25, rows 2 and 5
 * 0.75 (a tie: file order), row 3 0.5, row 4 0, rows 6-12 0.125. Top 10:
 * 2 5 3 1 6 7 8 9 10 11. Correct: rows 1, 4, 6-12 = 9 of 12. */
static const char pred_csv[] = "id,gold,pred,p_a,p_b\n"
                               "r1,a,a,0.75,0.25\nr2,a,b,0.25,0.75\nr3,b,a,0.5,0.5\nr4,b,b,0,1\nr5,a,b,0.25,0.75\n"
                               "r6,a,a,0.875,0.125\nr7,a,a,0.875,0.125\nr8,a,a,0.875,0.125\nr9,a,a,0.875,0.125\n"
                               "r10,a,a,0.875,0.125\nr11,a,a,0.875,0.125\nr12,a,a,0.875,0.125\n";

static char *write_tmp(const char *suffix, const char *text)
{
    char *path = tu_tmpfile(suffix);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(test_predictions)
{
    char *path = write_tmp(".csv", pred_csv);
    senti_eval_params ev = senti_eval_default_params();
    ev.bootstrap = 0;
    senti_results *r;
    senti_err e;
    ck_assert_msg(senti_results_open(path, NULL, &ev, &r, &e) == SENTI_OK, "%s", e.msg);
    ck_assert(senti_results_is_predictions(r));
    ck_assert_uint_eq(senti_results_n_cells(r), 1);
    ck_assert_double_eq_tol(senti_results_metric(r, 0, "accuracy"), 0.75, 1e-15);
    /* the worst-calibrated rows, through the JSON writer */
    char *js = render(senti_report_json, r, NULL, 0);
    const char *w = strstr(js, "\"worst_calibrated\"");
    ck_assert_ptr_nonnull(w);
    static const char *const order[] = {"\"r2\"", "\"r5\"", "\"r3\"", "\"r1\"", "\"r6\"", "\"r7\"",
                                        "\"r8\"", "\"r9\"", "\"r10\"", "\"r11\""};
    for (size_t i = 0; i < 10; i++) {
        const char *next = strstr(w, order[i]);
        ck_assert_msg(next != NULL, "row %s missing or out of order", order[i]);
        w = next + 1;
    }
    ck_assert(strstr(js, "\"r12\"") == NULL && strstr(js, "\"r4\"") == NULL);
    free(js);
    /* a gate applies to the one cell */
    senti_gate g;
    senti_gate_result res;
    ck_assert_int_eq(senti_gate_parse("accuracy=0.75", SENTI_GATE_UNDER, &g, &e), SENTI_OK);
    ck_assert_int_eq(senti_gates_eval(r, NULL, &g, 1, &res, &e), SENTI_OK);
    ck_assert(res.passed && res.n_checked == 1);
    senti_gate_result_clear(&res);
    senti_results_free(r);
    remove(path);
    free(path);
    /* dispatch: a directory and a JSON file are results; a CSV without gold is neither */
    ck_assert_int_eq(senti_results_open("tests/data/report", NULL, NULL, &r, &e), SENTI_OK);
    ck_assert(!senti_results_is_predictions(r));
    senti_results_free(r);
    ck_assert_int_eq(senti_results_open("tests/data/report/bad_syntax.json", NULL, NULL, &r, &e), SENTI_ERR_FORMAT);
    path = write_tmp(".csv", "review,stars\nnice,5\n");
    ck_assert_int_ne(senti_results_open(path, NULL, &ev, &r, &e), SENTI_OK);
    ck_assert_msg(strstr(e.msg, "a predictions CSV") != NULL, "%s", e.msg);
    ck_assert_ptr_null(r);
    remove(path);
    free(path);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_load_fixture);
    tcase_add_test(tc, test_load_metric_ranges);
    tcase_add_test(tc, test_gate_parse);
    tcase_add_test(tc, test_gates_thresholds);
    tcase_add_test(tc, test_mcnemar);
    tcase_add_test(tc, test_gate_baseline);
    tcase_add_test(tc, test_writers);
    tcase_add_test(tc, test_predictions);
    tcase_add_test(tc, test_vs_baseline);
    suite_add_tcase(s, tc);
    return s;
}
