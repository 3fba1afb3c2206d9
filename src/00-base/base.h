/*
 * base.h - private helpers that several layers need: a NULL-tolerant string
 * copy, growing arrays, the argmax of a row of doubles, and the one atomic
 * file writer.
 *
 * Included as "00-base/base.h" from any layer (all are above 00-base).
 */
#ifndef SENTI_BASE_H
#define SENTI_BASE_H

#include <stdbool.h>
#include <stdio.h>

#include "senti/common.h"

/* A malloc'd copy of s (caller frees), or NULL when s is NULL or memory runs
 * out (callers that pass a non-NULL s treat NULL as out of memory). */
char *senti_xstrdup(const char *s);

/* Room for need elements of elem bytes each in the array buf, which holds
 * *cap of them: buf itself when need <= *cap, else buf reallocated to the
 * largest of 2 * *cap, need and first elements, *cap set to that count (the
 * caller stores the returned pointer; buf is no longer valid). NULL, with buf
 * and *cap as they were, when the size overflows size_t or memory runs out.
 *
 *   int32_t *p = senti_grow(out->ids, &out->cap, out->n + 1, sizeof *p, 64);
 *   if (!p)
 *       return SENTI_ERR_NOMEM;
 *   out->ids = p;
 */
void *senti_grow(void *buf, size_t *cap, size_t need, size_t elem, size_t first);

/* The rest of stream f in a malloc'ed, NUL-terminated buffer (*len bytes
 * before the NUL); NULL with errno EIO (read error) or ENOMEM. f stays open. */
char *senti_read_stream(FILE *f, size_t *len);

/* One CSV field s on f, quoted (RFC 4180, by libcsv) only when it holds a
 * comma, quote or line break; no separator. Write errors show in ferror(f). */
void senti_csv_field(FILE *f, const char *s);

/* Seconds on the monotonic clock (for durations and rates only). */
double senti_now(void);

/* Index of the largest entry of row[0..k), k >= 1; ties go to the lowest
 * index; NaN entries never win over an earlier entry. */
int senti_argmax_row(const double *row, int k);

/* log(sum exp(x[i])) over x[0..n), n >= 1, the maximum subtracted first and
 * the sum in double, in index order. */
double senti_logsumexp_f32(const float *x, size_t n);

/* OpenBLAS sums its reductions (ddot, dnrm2) in an order that depends on its
 * thread count, so an iterative fit through GSL's BLAS (bow-logreg's BFGS)
 * would depend on -t. on: OpenBLAS runs on one thread; off: back to
 * senti_set_threads's count. Not to be called inside a parallel region. */
void senti_blas_one_thread(bool on);

/* Locate an error: when s is an error, make err's message start with
 * "where: " (unless it already does), so that messages from code that only
 * knows the field read "file: field: problem". Returns s. */
senti_status senti_err_locate(senti_err *err, senti_status s, const char *where);

/*
 * Atomic file writer: the content goes to a temporary file created with
 * mkstemp next to the final name ("<path>.tmpXXXXXX", same directory, so the
 * rename cannot cross file systems, mode 0666 minus the umask like fopen), and
 * only senti_atomic_commit puts it in place (a path that names a device or
 * FIFO, such as /dev/full, is written in place instead, every write still
 * checked). Readers see the old file or the
 * whole new one, never a part. The path "-" is standard output: written in
 * place, flushed and checked at commit, never closed; abort cannot take back
 * what was written there.
 *
 *   senti_atomic_file a;
 *   if ((s = senti_atomic_open(&a, path, err))) return s;
 *   ... write to a.f ...
 *   return senti_atomic_commit(&a, err);   (or senti_atomic_abort(&a) to drop it)
 */
typedef struct {
    FILE *f;   /* the open temporary file; NULL when closed */
    char *tmp; /* its name (owned) */
    char *path; /* the final name (owned) */
} senti_atomic_file;

/* Create the temporary file. On failure *a is left closed (abort/commit are
 * no-ops on it) and err names the file and the reason. */
senti_status senti_atomic_open(senti_atomic_file *a, const char *path, senti_err *err);

/* Check the stream for earlier write errors, fflush, fsync, fclose (each
 * checked), then rename over the final name. On any failure the temporary
 * file is removed and err says "<path>: <step>: <reason>". Frees *a's names
 * either way; a closed *a gives SENTI_OK. */
senti_status senti_atomic_commit(senti_atomic_file *a, senti_err *err);

/* Commit the open files among a[0..n) as one: each is checked, flushed, synced
 * and closed first, and only when all of them were is any renamed into place;
 * when one fails every temporary file is removed (abort) and err names the
 * first failure. A rename failing part-way leaves the files before it in
 * place, and a device, FIFO or "-" among them was written as it went (only
 * regular files can be held back). Closed entries are skipped; every *a[i] is
 * cleared either way. */
senti_status senti_atomic_commit_all(senti_atomic_file *const *a, size_t n, senti_err *err);

/* senti_atomic_abort on each of a[0..n) (a failed run: none is kept). */
void senti_atomic_abort_all(senti_atomic_file *const *a, size_t n);

/* Remove the temporary files that writers killed before their commit left in
 * `dir` ("<name>.tmpXXXXXX"); returns how many. For resumed runs. */
size_t senti_atomic_sweep(const char *dir);

/* Close and remove the temporary file, keep the final name untouched, free
 * *a's names. Safe on a closed *a. */
void senti_atomic_abort(senti_atomic_file *a);

/* True when a and b name the same file: the same device and inode when both
 * exist, else the same absolute path (directory resolved); "-" (a standard
 * stream) and NULL are never the same as anything. */
bool senti_same_file(const char *a, const char *b);

/* A file a command reads or writes, and what it is ("predictions file", "input"). */
typedef struct {
    const char *path; /* NULL: not used this time */
    const char *role;
} senti_path_role;

/* Before anything is written: no output may be an input or another output
 * (two outputs named "-" would both go to standard output).
 * SENTI_ERR_ARG naming both files and their roles. */
senti_status senti_check_outputs(const senti_path_role *out, size_t n_out, const senti_path_role *in, size_t n_in,
                                 senti_err *err);

/* Open an input for reading. "-" is standard input: the first call reads it
 * in full into memory (once per process; not thread-safe) and every call
 * returns a new stream over that copy, so a reader may make several passes
 * (validation, then the rows). NULL with errno set when it cannot be opened.
 * The caller fcloses the stream. */
FILE *senti_open_input(const char *path);

/* How messages name an input: "<stdin>" for "-", else the path itself. */
const char *senti_input_name(const char *path);

/* SHA-256 (hex) of a whole file; located SENTI_ERR_IO / SENTI_ERR_NOMEM. */
senti_status senti_file_sha256(const char *path, char out[65], senti_err *err);

#endif /* SENTI_BASE_H */
