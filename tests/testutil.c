/*
 * testutil.c - helpers shared by the test suites.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "senti/quant.h"

const char *tu_model_path(const char *file)
{
    static char buf[4096];
    const char *dir = getenv("SENTI_MODEL_DIR");
    snprintf(buf, sizeof buf, "%s/%s", dir && *dir ? dir : "models", file);
    return buf;
}

bool tu_optional_model(const char *file, const char *test)
{
    const char *path = tu_model_path(file);
    if (access(path, R_OK) == 0)
        return true;
    const char *req = getenv("SENTI_REQUIRE_LARGE");
    ck_assert_msg(!(req && !strcmp(req, "1")), "%s: %s not present (SENTI_REQUIRE_LARGE=1)", test, path);
    fprintf(stderr, "SKIP %s: %s not present (make check-large fetches it and runs this test)\n", test, path);
    return false;
}

const char *tu_data_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "tests/data/%s", rel);
    return buf;
}

const char *tu_dataset_path(const char *rel)
{
    static char buf[4][4096];
    static unsigned next;
    char *b = buf[next++ % 4];
    const char *dir = getenv("SENTI_DATASETS");
    snprintf(b, sizeof buf[0], "%s/%s", dir && *dir ? dir : TU_DATASETS_DEFAULT, rel);
    return b;
}

char *tu_tmpfile(const char *suffix)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t n = strlen(dir) + strlen(suffix) + 32;
    char *path = malloc(n);
    if (!path)
        return NULL;
    strcpy(path, dir);
    strcat(path, "/senti-test-XXXXXX");
    strcat(path, suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) {
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

json_t *tu_load_json(const char *rel)
{
    json_error_t je;
    json_t *j = json_load_file(tu_data_path(rel), 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", rel, je.text);
    return j;
}

double tu_json_num(json_t *o, const char *key) { return json_number_value(json_object_get(o, key)); }

void tu_read_predfile(const char *rel, senti_predfile *pf)
{
    senti_err err = {0};
    ck_assert_msg(senti_predfile_read(tu_data_path(rel), NULL, pf, &err) == SENTI_OK, "%s", err.msg);
}

int tu_isa_levels(const char *suite, int levels[])
{
    int n = 0;
    for (int isa = 0; isa < SENTI_ISA_COUNT; isa++) {
        if (senti_isa_supported(isa))
            levels[n++] = isa;
        else
            fprintf(stderr, "%s: kernel level %s NOT TESTED: this CPU lacks it\n", suite, senti_isa_name(isa));
    }
    return n;
}

void tu_isa_use(int isa)
{
    senti_err e;
    ck_assert_msg(senti_isa_force(isa, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(senti_isa_active(), isa);
}

void tu_isa_reset(void) { senti_isa_force(senti_isa_best(), NULL); }
