/*
 * check_headers.c - the public umbrella header compiles on its own (it is the
 * first include here) and every public header compiles alone in a C11
 * translation unit (checked by compiling each one at test time).
 */
#include "senti.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

static const char *const headers[] = {
    "senti/common.h", "senti/gguf.h", "senti/gguf_write.h", "senti/quant.h", "senti/tokenizer.h",
    "senti/model.h", "senti/scorer.h", "senti/dataset.h", "senti/verbalizer.h", "senti/prompt.h",
    "senti/classify.h", "senti/metrics.h", "senti/predfile.h", "senti/calibrate.h", "senti/compare.h",
    "senti/experiment.h", "senti/runner.h", "senti/report.h", "senti/scorecache.h", "senti/finetune.h",
    "senti/select.h", "senti.h"};

START_TEST(test_header_alone)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "printf '#include \"%s\"\\nint senti_header_probe;\\n' | "
             "cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only -x c - 2>&1",
             headers[_i]);
    ck_assert_msg(system(cmd) == 0, "%s does not compile on its own", headers[_i]);
}
END_TEST

START_TEST(test_umbrella_usable)
{
    /* something from each end of the stack is declared through senti.h */
    ck_assert_str_eq(senti_strerror(SENTI_OK), "ok");
    senti_agg agg = SENTI_AGG_MEAN;
    senti_calib_method cal = SENTI_CALIB_NONE;
    ck_assert_int_eq(senti_agg_parse("max", &agg, NULL), SENTI_OK);
    ck_assert_int_eq(agg, SENTI_AGG_MAX);
    ck_assert_int_eq(senti_calib_parse("contextual", &cal, NULL), SENTI_OK);
    ck_assert_int_eq(cal, SENTI_CALIB_CONTEXTUAL);
}
END_TEST

Suite *headers_suite(void)
{
    Suite *s = suite_create("headers");
    TCase *tc = tcase_create("compile");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_header_alone, 0, (int)(sizeof headers / sizeof headers[0]));
    tcase_add_test(tc, test_umbrella_usable);
    suite_add_tcase(s, tc);
    return s;
}
