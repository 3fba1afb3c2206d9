/*
 * base.c - helpers shared by the layers (see base.h): string copy, row
 * argmax, atomic file writer.
 */
#include "00-base/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *senti_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int senti_argmax_row(const double *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

senti_status senti_err_locate(senti_err *err, senti_status s, const char *where)
{
    if (!s || !err || !where)
        return s;
    size_t n = strlen(where);
    if (!strncmp(err->msg, where, n) && err->msg[n] == ':')
        return s;
    size_t cap = sizeof err->msg, m = strlen(err->msg);
    if (n + 3 >= cap)
        return s;
    if (m > cap - 1 - (n + 2))
        m = cap - 1 - (n + 2); /* the message's tail gives way */
    memmove(err->msg + n + 2, err->msg, m);
    err->msg[n + 2 + m] = '\0';
    memcpy(err->msg, where, n);
    memcpy(err->msg + n, ": ", 2);
    return s;
}

/* ---- atomic file writer ------------------------------------------------------ */

/* The mode fopen would give a new file: 0666 minus the umask (mkstemp's is
 * 0600). umask can only be read by setting it, so it is set back at once. */
static mode_t new_file_mode(void)
{
    mode_t m = umask(0);
    umask(m);
    return 0666 & ~m;
}

static void atomic_clear(senti_atomic_file *a)
{
    free(a->tmp);
    free(a->path);
    *a = (senti_atomic_file){0};
}

senti_status senti_atomic_open(senti_atomic_file *a, const char *path, senti_err *err)
{
    *a = (senti_atomic_file){0};
    size_t n = strlen(path) + sizeof ".tmpXXXXXX";
    a->tmp = malloc(n);
    a->path = senti_xstrdup(path);
    if (!a->tmp || !a->path) {
        atomic_clear(a);
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(a->tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0) {
        int e = errno;
        atomic_clear(a);
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot create a temporary file: %s", path, strerror(e));
    }
    if (fchmod(fd, new_file_mode()) != 0 || !(a->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        remove(a->tmp);
        atomic_clear(a);
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot open a temporary file: %s", path, strerror(e));
    }
    return SENTI_OK;
}

senti_status senti_atomic_commit(senti_atomic_file *a, senti_err *err)
{
    if (!a->f) {
        atomic_clear(a);
        return SENTI_OK;
    }
    const char *step = NULL;
    int e = 0;
    if (ferror(a->f))
        step = "write failed", e = EIO;
    else if (fflush(a->f) != 0)
        step = "flush failed", e = errno;
    else if (fsync(fileno(a->f)) != 0)
        step = "fsync failed", e = errno;
    if (fclose(a->f) != 0 && !step)
        step = "close failed", e = errno;
    a->f = NULL;
    if (!step && rename(a->tmp, a->path) != 0)
        step = "cannot rename into place", e = errno;
    senti_status s = SENTI_OK;
    if (step) {
        remove(a->tmp);
        s = senti_err_set(err, SENTI_ERR_IO, "%s: %s: %s", a->path, step, strerror(e));
    }
    atomic_clear(a);
    return s;
}

void senti_atomic_abort(senti_atomic_file *a)
{
    if (a->f) {
        fclose(a->f);
        remove(a->tmp);
    }
    atomic_clear(a);
}
