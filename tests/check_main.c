/*
 * check_main.c - the one test runner: every tests/check_<name>.c contributes
 * `Suite *<name>_suite(void)`, listed in the generated suites.inc.
 * Select one suite with CK_RUN_SUITE=<name>, one case with CK_RUN_CASE.
 */
#include <check.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "senti/common.h"
#include "testutil.h"


int main(int argc, char **argv)
{
    (void)argc;
    senti_blas_tune(); /* OpenBLAS's kernels for this CPU where it fell back to SSE3 ones */
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(NULL);
#define SUITE(name) srunner_add_suite(sr, name##_suite());
#include "suites.inc"
#undef SUITE
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
