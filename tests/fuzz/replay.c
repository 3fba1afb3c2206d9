/*
 * replay.c - run a fuzz harness over the files named on the command line,
 * without a fuzzing engine: `make check` replays the committed corpora and
 * regression inputs this way under the normal build (and `make asan` under
 * the sanitizers). A finding aborts, so the exit status says it all.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "00-base/base.h"

/* The whole file in a malloc'ed buffer (NUL-terminated, so an empty file
 * still gets a non-NULL pointer); NULL on error. */
static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = senti_read_stream(f, size);
    fclose(f);
    return (uint8_t *)buf;
}

int main(int argc, char **argv)
{
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        uint8_t *data = read_all(argv[i], &size);
        if (!data) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            failed = 1;
            continue;
        }
        /* An exact-size copy, as libFuzzer passes it, so that the sanitizers
         * see a read past the end. */
        uint8_t *exact = malloc(size ? size : 1);
        if (!exact) {
            free(data);
            fprintf(stderr, "replay: out of memory\n");
            return 1;
        }
        memcpy(exact, data, size);
        free(data);
        (void)LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    printf("replay: %d inputs\n", argc - 1);
    return failed;
}
