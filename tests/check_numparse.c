/*
 * check_numparse.c - the strict number parser behind every numeric option
 * (src/00-base/numparse.c): whole strings only, ranges without wrap-around,
 * finite reals only. Cases are the ones that slipped through atoi/strtoul.
 */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/numparse.h"
#include "testutil.h"

START_TEST(test_int_accepts)
{
    long long v = -1;
    ck_assert_int_eq(senti_parse_int("42", 0, 100, &v, NULL), SENTI_OK);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(senti_parse_int("-5", -10, 10, &v, NULL), SENTI_OK);
    ck_assert_int_eq(v, -5);
    ck_assert_int_eq(senti_parse_int("+7", 0, 10, &v, NULL), SENTI_OK);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(senti_parse_int("9223372036854775807", 0, LLONG_MAX, &v, NULL), SENTI_OK);
    ck_assert(v == LLONG_MAX);
}
END_TEST

START_TEST(test_int_refuses)
{
    static const char *const bad[] = {"", "abc", "12abc", "1e12", "0x10", " 5", "5 ", "-", "+", "1.0", "--1"};
    long long v = 123;
    senti_err e;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(senti_parse_int(bad[i], 0, 100, &v, &e), SENTI_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(e.msg, "is not a whole number"));
    }
    ck_assert_int_eq(v, 123); /* untouched */
    /* the values the old parsers wrapped: 4294967311 became 15, 4294967312 became 16 */
    ck_assert_int_eq(senti_parse_int("4294967311", 1, 1000, &v, &e), SENTI_ERR_RANGE);
    ck_assert_str_eq(e.msg, "4294967311 is not in [1, 1000]");
    ck_assert_int_eq(senti_parse_int("2305843009213693953", 1, 1000000, &v, NULL), SENTI_ERR_RANGE);
    ck_assert_int_eq(senti_parse_int("99999999999999999999999", 0, LLONG_MAX, &v, NULL), SENTI_ERR_RANGE);
    ck_assert_int_eq(senti_parse_int("-5", 1, 10, &v, NULL), SENTI_ERR_RANGE);
    ck_assert_int_eq(senti_parse_int("0", 1, 10, &v, NULL), SENTI_ERR_RANGE);
    ck_assert_int_eq(v, 123);
}
END_TEST

START_TEST(test_real)
{
    double v = -1;
    ck_assert_int_eq(senti_parse_real("0.5", 0, 1, &v, NULL), SENTI_OK);
    ck_assert(v == 0.5);
    ck_assert_int_eq(senti_parse_real("1e-3", 0, 1, &v, NULL), SENTI_OK);
    ck_assert(v == 1e-3);
    ck_assert_int_eq(senti_parse_real("-2", -5, 5, &v, NULL), SENTI_OK);
    ck_assert(v == -2.0);
    ck_assert_int_eq(senti_parse_real(".5", 0, 1, &v, NULL), SENTI_OK);
    ck_assert(v == 0.5);
    ck_assert_int_eq(senti_parse_real("5.", 0, 9, &v, NULL), SENTI_OK);
    ck_assert(v == 5.0);
    ck_assert_int_eq(senti_parse_real("+2.5E+1", 0, 99, &v, NULL), SENTI_OK);
    ck_assert(v == 25.0);
    /* what strtod would take but a decimal flag value is not: hex, spaces, words, bare parts */
    static const char *const bad[] = {"",      "abc",  "0.5x", "nan",     "NaN",  "inf",    "-inf",
                                      "0x10",  "0X1p-3", "0x0.F", "-0x1", "infinity", "1e",  "1e+",
                                      ".",     "-",    "+.e1", "e5",      "1.2.3", "5 ",    "\t5",
                                      " 0.5"};
    senti_err e;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(senti_parse_real(bad[i], -1e300, 1e300, &v, &e), SENTI_ERR_FORMAT);
    ck_assert_str_eq(e.msg, "' 0.5' is not a finite number");
    ck_assert_int_eq(senti_parse_real("-1", 0, 1, &v, &e), SENTI_ERR_RANGE);
    ck_assert_str_eq(e.msg, "-1 is not in [0, 1]");
    ck_assert_int_eq(senti_parse_real("1e9", 0, 1, &v, NULL), SENTI_ERR_RANGE);
    /* beyond a double: not read as inf, nor as 0 */
    ck_assert_int_eq(senti_parse_real("1e999", -1e300, 1e300, &v, NULL), SENTI_ERR_RANGE);
    ck_assert_int_eq(senti_parse_real("1e-400", 0, 1, &v, &e), SENTI_ERR_RANGE);
    ck_assert_str_eq(e.msg, "1e-400 is beyond the range of a double");
    ck_assert(v == 25.0);
    ck_assert(senti_real_syntax("0.5junk", 3));    /* only the first len bytes count */
    ck_assert(!senti_real_syntax("0.5\0junk", 8)); /* a NUL inside is not the end */
}
END_TEST

/* senti_fmt_real: hand-picked values, then many doubles: each reads back
 * exactly, and one digit less would not (the form is the shortest). */
START_TEST(test_fmt_real)
{
    char buf[32], shorter[400];
    ck_assert_str_eq(senti_fmt_real(0.34, buf, sizeof buf), "0.34");
    ck_assert_str_eq(senti_fmt_real(17.0 / 50.0, buf, sizeof buf), "0.34");
    ck_assert_str_eq(senti_fmt_real(0.1 + 0.2, buf, sizeof buf), "0.30000000000000004");
    ck_assert_str_eq(senti_fmt_real(1.0, buf, sizeof buf), "1");
    ck_assert_str_eq(senti_fmt_real(0.0, buf, sizeof buf), "0");
    ck_assert_str_eq(senti_fmt_real(-2.385, buf, sizeof buf), "-2.385");
    ck_assert_str_eq(senti_fmt_real(1.0 / 3.0, buf, sizeof buf), "0.3333333333333333");
    ck_assert_str_eq(senti_fmt_real(4.9406564584124654e-324, buf, sizeof buf), "5e-324");
    ck_assert_str_eq(senti_fmt_real(NAN, buf, sizeof buf), "nan");
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        double v = (double)(x >> 11) * 0x1p-53 * pow(10.0, (double)(int)(x % 40) - 20);
        senti_fmt_real(v, buf, sizeof buf);
        ck_assert_msg(strtod(buf, NULL) == v, "%s does not read back as %.17g", buf, v);
        const char *e = strpbrk(buf, "e");
        int digits = 0;
        for (const char *c = buf; *c && c != e; c++)
            digits += *c >= '0' && *c <= '9';
        int lead = 0; /* leading zeros of 0.000ddd are not significant */
        for (const char *c = buf; *c == '0' || *c == '.'; c++)
            lead += *c == '0';
        int sig = digits - lead;
        if (sig > 1) {
            snprintf(shorter, sizeof shorter, "%.*g", sig - 1, v);
            ck_assert_msg(strtod(shorter, NULL) != v, "%s: %s is shorter and reads back too", buf, shorter);
        }
    }
}
END_TEST

Suite *numparse_suite(void);
Suite *numparse_suite(void)
{
    Suite *s = suite_create("numparse");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_int_accepts);
    tcase_add_test(tc, test_int_refuses);
    tcase_add_test(tc, test_real);
    tcase_add_test(tc, test_fmt_real);
    suite_add_tcase(s, tc);
    return s;
}
