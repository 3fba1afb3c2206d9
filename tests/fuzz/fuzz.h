/*
 * fuzz.h - what the fuzz harnesses share (tests/fuzz/README.md).
 *
 * Every tests/fuzz/fuzz_<parser>.c defines LLVMFuzzerTestOneInput for one
 * parser of user files. The same harness is linked twice: with libFuzzer
 * (clang -fsanitize=fuzzer, `make fuzz`) and with replay.c under the normal
 * build, which `make check` runs over the committed corpora and regression
 * inputs. A harness returns 0 for every input; a crash, a sanitizer report, a
 * leak or a broken invariant (fz_require) is a finding.
 */
#ifndef SENTI_FUZZ_H
#define SENTI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path whose file holds exactly data[0..size): a memfd of this process
 * reached through /proc/self/fd, rewritten on every call (static storage).
 * Aborts when the file cannot be written: the harness cannot go on. */
const char *fz_input_path(const uint8_t *data, size_t size);

/* A fresh private directory in $TMPDIR (created once per process; static
 * storage), for parsers that read a file in a directory they are given. */
const char *fz_scratch_dir(void);

/* Abort with `what` on stderr unless `ok`: an invariant of the parser's
 * contract that the input broke (the fuzzer saves the input). */
void fz_require(int ok, const char *what);

/* Write the tiny random llama model (2 layers, 16 wide, 37 tokens) that the
 * adapter harness loads and the GGUF seed corpus starts from. 0 on success. */
int fz_tiny_model_write(const char *path);

/* That model, written to the scratch directory and loaded once per process
 * (kept until exit). Aborts when it cannot be built. */
struct senti_model;
struct senti_model *fz_tiny_model(void);

#endif
