/*
 * check_predfile.c - the predictions reader (src/04-data/predfile.c,
 * senti/predfile.h): columns found by name, the label space, pred from the file
 * or argmax, explicit probability columns, the row-sum tolerance, renormalizing,
 * rows skipped by status, and broken files refused with the file and the data
 * row in the message. Every expected value is written out by hand from the
 * small CSV text beside it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/predfile.h"
#include "testutil.h"

static senti_status read_text(const char *text, const senti_predfile_params *P, senti_predfile *pf,
                              senti_err *err)
{
    char *path = tu_tmpfile(".csv");
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    senti_status st = senti_predfile_read(path, P, pf, err);
    remove(path);
    free(path);
    return st;
}

static void expect_error(const char *text, senti_status code, const char *needle)
{
    senti_predfile pf;
    senti_err err = {0};
    senti_status st = read_text(text, NULL, &pf, &err);
    ck_assert_msg(st == code, "want status %d, got %d (%s)", code, st, err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
}

START_TEST(test_reader_errors)
{
    expect_error("gold,p_a,p_b\na,0.5,0.5\nb,0.7,0.2\n", SENTI_ERR_FORMAT, "row 2: probabilities sum");
    expect_error("gold,p_a,p_b\na,0.5,0.5\nb,nan,0.2\n", SENTI_ERR_FORMAT, "row 2: probability");
    expect_error("gold,p_a,p_b\na,-0.5,1.5\n", SENTI_ERR_FORMAT, "row 1: probability");
    expect_error("gold,p_a,p_b\na,0.5,0.5\na,0.5,0.5\nc,0.5,0.5\n", SENTI_ERR_FORMAT,
                 "row 3: gold label 'c'");
    expect_error("gold,pred,p_a,p_b\na,z,0.5,0.5\n", SENTI_ERR_FORMAT, "row 1: pred label 'z'");
    expect_error("label,p_a,p_b\na,0.5,0.5\n", SENTI_ERR_NOTFOUND, "header: no gold column");
    expect_error("gold,p_a,p_b\na,0.5\n", SENTI_ERR_FORMAT, "row 1: 2 fields");
    expect_error("gold,p_a,p_b\n,0.5,0.5\n", SENTI_ERR_FORMAT, "row 1: empty gold");
    expect_error("gold,p_a,p_b\n\"a,0.5,0.5\n", SENTI_ERR_FORMAT, "CSV syntax");
    expect_error("gold,p_a,p_b\n", SENTI_ERR_FORMAT, "no usable data rows");
    expect_error("gold,x\na,1\n", SENTI_ERR_NOTFOUND, "no probability columns");
    expect_error("", SENTI_ERR_FORMAT, "empty file");
    /* probabilities are decimal numbers: no hex, words or spaces inside */
    expect_error("gold,p_a,p_b\na,0.5,0x0.8p0\n", SENTI_ERR_FORMAT, "row 1: probability column 'p_b' has '0x0.8p0'");
    expect_error("gold,p_a,p_b\na,0.5,0.5\nb,inf,0\n", SENTI_ERR_FORMAT, "row 2: probability column 'p_a'");
    expect_error("gold,p_a,p_b\na,0.5,0.5\nb,\"0. 5\",0.5\n", SENTI_ERR_FORMAT, "row 2: probability");
    /* the file name is part of every message */
    expect_error("gold,p_a,p_b\na,0.5,0.6\n", SENTI_ERR_FORMAT, "senti-test-");
    senti_predfile pf;
    senti_err err = {0};
    /* every form senti's writers print ("%.9g", "%.9f": exponents, -0, a subnormal, 1, 5.) reads back */
    {
        senti_predfile ok;
        const char *text = "gold,p_a,p_b\na,1,0\na,0.99999,1e-05\nb,-0,1.000000000\na,1,4.94065646e-324\n"
                           "b,.5,5.e-1\n";
        ck_assert_msg(read_text(text, NULL, &ok, &err) == SENTI_OK, "%s", err.msg);
        ck_assert_uint_eq(ok.n, 5);
        ck_assert_double_eq(ok.prob[3], 1e-05);
        ck_assert_double_eq(ok.prob[4], 0.0);
        ck_assert(ok.prob[7] > 0 && ok.prob[7] < 1e-300);
        ck_assert_double_eq(ok.prob[8], 0.5);
        ck_assert_double_eq(ok.prob[9], 0.5);
        senti_predfile_free(&ok);
    }
    /* a NUL inside a probability cell: the number before it is not the cell */
    static const char nul[] = "gold,p_a,p_b\na,0.5\0junk,0.5\n";
    char *path = tu_tmpfile(".csv");
    FILE *f = fopen(path, "wb");
    fwrite(nul, 1, sizeof nul - 1, f);
    fclose(f);
    ck_assert_int_eq(senti_predfile_read(path, NULL, &pf, &err), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(err.msg, "row 1: probability column 'p_a' has a value with a NUL byte"), "%s", err.msg);
    remove(path);
    free(path);
    ck_assert_int_eq(senti_predfile_read("/nonexistent/x.csv", NULL, &pf, &err), SENTI_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.csv"));
}
END_TEST

START_TEST(test_reader_renormalize_and_status)
{
    senti_predfile_params P = senti_predfile_default_params();
    P.renormalize = 1;
    senti_predfile pf;
    senti_err err = {0};
    const char *text = "id,gold,p_a,p_b,status\n"
                       "1,a,2,2,ok\n"          /* 2 > 1: still an error */
                       "2,b,0.2,0.6,ok\n";
    ck_assert_int_eq(read_text(text, &P, &pf, &err), SENTI_ERR_FORMAT);
    text = "id,gold,p_a,p_b,status\n"
           "1,a,0.3,0.6,ok\n"
           "2,b,,,error: boom\n"
           "3,b,0.25,0.75,truncated\n"
           "4,a,0.5,0.5,\"error: x, y\"\n";
    ck_assert_msg(read_text(text, &P, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_uint_eq(pf.n, 2);
    ck_assert_uint_eq(pf.n_skipped, 2);
    ck_assert_uint_eq(pf.first_skipped_row, 2);
    ck_assert_uint_eq(pf.n_renormalized, 1);
    ck_assert_double_eq_tol(pf.prob[0], 1.0 / 3.0, 1e-15);
    ck_assert_double_eq_tol(pf.prob[1], 2.0 / 3.0, 1e-15);
    ck_assert_str_eq(pf.ids[1], "3");
    /* ties: argmax goes to the first label column */
    ck_assert_int_eq(pf.pred[1], 1);
    senti_predfile_free(&pf);
    text = "gold,p_b,p_a\na,0.5,0.5\n";
    ck_assert(read_text(text, NULL, &pf, &err) == SENTI_OK);
    ck_assert_str_eq(pf.labels[pf.pred[0]], "b");
    senti_predfile_free(&pf);
}
END_TEST

/* Our own classify output: every role by its default name. */
START_TEST(test_reader_columns)
{
    senti_predfile pf;
    senti_err err = {0};
    const char *text = "id,gold,pred,p_neg,p_pos,raw_p_neg,raw_p_pos,n_tokens,status\n"
                       "r1,pos,pos,0.25,0.75,0.5,0.5,12,ok\n"
                       "r2,neg,pos,0.375,0.625,0.5,0.5,9,truncated\n"
                       "r3,neg,neg,0.875,0.125,0.5,0.5,7,ok\n";
    ck_assert_msg(read_text(text, NULL, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_uint_eq(pf.n, 3);
    ck_assert_int_eq(pf.k, 2); /* raw_p_* does not start with the prefix */
    ck_assert_str_eq(pf.labels[0], "neg");
    ck_assert_str_eq(pf.labels[1], "pos");
    ck_assert_int_eq(pf.pred_from_file, 1);
    const int gold[3] = {1, 0, 0}, pred[3] = {1, 1, 0};
    const double prob[6] = {0.25, 0.75, 0.375, 0.625, 0.875, 0.125};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(pf.gold[i], gold[i]);
        ck_assert_int_eq(pf.pred[i], pred[i]);
        ck_assert_double_eq(pf.prob[2 * i], prob[2 * i]);
        ck_assert_double_eq(pf.prob[2 * i + 1], prob[2 * i + 1]);
    }
    ck_assert_str_eq(pf.ids[0], "r1");
    ck_assert_str_eq(pf.ids[2], "r3");
    ck_assert_int_eq(senti_predfile_label_index(&pf, "pos"), 1);
    ck_assert_int_eq(senti_predfile_label_index(&pf, "neutral"), -1);
    ck_assert_ptr_nonnull(strstr(pf.path, "senti-test-"));
    senti_predfile_free(&pf);
    senti_predfile_free(&pf); /* twice is harmless */

    /* without a pred column the prediction is the argmax */
    senti_predfile_params P = senti_predfile_default_params();
    P.pred_col = "";
    ck_assert_msg(read_text(text, &P, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_int_eq(pf.pred_from_file, 0);
    ck_assert_int_eq(pf.pred[1], 1);
    ck_assert_int_eq(pf.pred[2], 0);
    senti_predfile_free(&pf);

    /* no probability columns: labels are the sorted distinct gold and pred values */
    text = "gold,pred\nzeta,alpha\nmid,zeta\n";
    ck_assert_msg(read_text(text, NULL, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_int_eq(pf.k, 3);
    ck_assert_str_eq(pf.labels[0], "alpha");
    ck_assert_str_eq(pf.labels[1], "mid");
    ck_assert_str_eq(pf.labels[2], "zeta");
    ck_assert_ptr_null(pf.prob);
    ck_assert_ptr_null(pf.ids);
    ck_assert_int_eq(pf.gold[0], 2);
    ck_assert_int_eq(pf.pred[0], 0);
    senti_predfile_free(&pf);
}
END_TEST

/* Another tool's file: probability columns listed, with and without labels. */
START_TEST(test_reader_prob_cols)
{
    senti_predfile_params P = senti_predfile_default_params();
    P.gold_col = "y";
    P.prob_cols = "prob_b,a=prob_a";
    P.prob_prefix = "prob_";
    senti_predfile pf;
    senti_err err = {0};
    const char *text = "y,prob_a,prob_b\na,0.625,0.375\nb,0.125,0.875\n";
    ck_assert_msg(read_text(text, &P, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_int_eq(pf.k, 2);
    ck_assert_str_eq(pf.labels[0], "b"); /* list order, prefix taken off */
    ck_assert_str_eq(pf.labels[1], "a");
    ck_assert_double_eq(pf.prob[0], 0.375);
    ck_assert_double_eq(pf.prob[1], 0.625);
    ck_assert_int_eq(pf.gold[0], 1);
    ck_assert_int_eq(pf.pred[0], 1); /* argmax: a */
    ck_assert_int_eq(pf.pred[1], 0);
    senti_predfile_free(&pf);
    P.prob_cols = "prob_a,prob_c";
    ck_assert_int_eq(read_text(text, &P, &pf, &err), SENTI_ERR_NOTFOUND);
    ck_assert_msg(strstr(err.msg, "header: no probability column 'prob_c'") != NULL, "%s", err.msg);
    P.prob_cols = "x=prob_a,x=prob_b";
    ck_assert_int_eq(read_text(text, &P, &pf, &err), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(err.msg, "duplicate label 'x'") != NULL, "%s", err.msg);
    /* a list that names no column is a mistake, not "no probabilities" */
    static const char *const empty[] = {"", ",", ",,"};
    for (size_t i = 0; i < 3; i++) {
        P.prob_cols = empty[i];
        ck_assert_int_eq(read_text(text, &P, &pf, &err), SENTI_ERR_ARG);
        ck_assert_msg(strstr(err.msg, "names no column") != NULL, "%s", err.msg);
    }
}
END_TEST

/* Row sums within tol pass untouched; beyond it they are an error naming the
 * row and the sum, unless the tolerance is widened. */
START_TEST(test_reader_tol)
{
    senti_predfile pf;
    senti_err err = {0};
    const char *near = "gold,p_a,p_b\na,0.5,0.5000005\n";  /* sum 1 + 5e-7 */
    const char *far = "gold,p_a,p_b\na,0.5,0.5\nb,0.5,0.50002\n"; /* row 2: 1 + 2e-5 */
    ck_assert_msg(read_text(near, NULL, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_double_eq(pf.prob[1], 0.5000005); /* not renormalized */
    ck_assert_uint_eq(pf.n_renormalized, 0);
    senti_predfile_free(&pf);
    ck_assert_int_eq(read_text(far, NULL, &pf, &err), SENTI_ERR_FORMAT);
    ck_assert_msg(strstr(err.msg, "row 2: probabilities sum to 1.00002") != NULL, "%s", err.msg);
    senti_predfile_params P = senti_predfile_default_params();
    ck_assert_double_eq(P.tol, 1e-6);
    P.tol = 1e-4;
    ck_assert_msg(read_text(far, &P, &pf, &err) == SENTI_OK, "%s", err.msg);
    ck_assert_double_eq(pf.prob[3], 0.50002);
    senti_predfile_free(&pf);
    P.tol = 1e-7;
    ck_assert_int_eq(read_text(near, &P, &pf, &err), SENTI_ERR_FORMAT);
}
END_TEST

Suite *predfile_suite(void)
{
    Suite *s = suite_create("predfile");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_reader_columns);
    tcase_add_test(tc, test_reader_prob_cols);
    tcase_add_test(tc, test_reader_tol);
    tcase_add_test(tc, test_reader_errors);
    tcase_add_test(tc, test_reader_renormalize_and_status);
    suite_add_tcase(s, tc);
    return s;
}
