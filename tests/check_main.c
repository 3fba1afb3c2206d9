/*
 * check_main.c - the one test runner: every tests/check_<name>.c contributes
 * `Suite *<name>_suite(void)`, listed in the generated suites.inc.
 * Select one suite with CK_RUN_SUITE=<name>, one case with CK_RUN_CASE.
 */
#include <check.h>
#include <stdlib.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "senti/common.h"
#include "testutil.h"

/* Re-run once with OPENBLAS_CORETYPE set when OpenBLAS fell back to slow
 * kernels on this CPU (see senti_blas_core_hint); harmless if exec fails. */
static void tune_blas(char **argv)
{
    const char *core = senti_blas_core_hint();
    if (core && setenv("OPENBLAS_CORETYPE", core, 1) == 0)
        execv("/proc/self/exe", argv);
}

int main(int argc, char **argv)
{
    (void)argc;
    tune_blas(argv);
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
