/*
 * base.c - helpers shared by the layers (see base.h): string copy, growing
 * arrays, row argmax, atomic file writer.
 */
#include "00-base/base.h"

#include <csv.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

double senti_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

void *senti_grow(void *buf, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (buf && need <= *cap)
        return buf;
    size_t n = first > need ? first : need;
    if (*cap <= SIZE_MAX / 2 && 2 * *cap > n)
        n = 2 * *cap;
    if (elem == 0 || n > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(buf, n * elem);
    if (p)
        *cap = n;
    return p;
}

int senti_argmax_row(const double *row, int k)
{
    int best = 0;
    for (int j = 1; j < k; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

double senti_logsumexp_f32(const float *x, size_t n)
{
    float mx = x[0];
    for (size_t i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += exp((double)x[i] - mx);
    return mx + log(sum);
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

/* A device, FIFO or socket (/dev/full, /dev/stdout, a pipe) is written in
 * place: renaming a temporary file over it would replace the device node. */
static senti_status open_special(senti_atomic_file *a, const char *path, senti_err *err)
{
    if (!(a->path = senti_xstrdup(path)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "%s: out of memory", path);
    if (!(a->f = fopen(path, "w"))) {
        int e = errno;
        atomic_clear(a);
        return senti_err_set(err, SENTI_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    return SENTI_OK;
}

senti_status senti_atomic_open(senti_atomic_file *a, const char *path, senti_err *err)
{
    *a = (senti_atomic_file){0};
    if (!strcmp(path, "-")) {
        if (!(a->path = senti_xstrdup(path)))
            return senti_err_set(err, SENTI_ERR_NOMEM, "standard output: out of memory");
        a->f = stdout;
        return SENTI_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return open_special(a, path, err);
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

/* Every step of a commit but the rename: check the stream, flush, fsync and
 * close it (stdout: flush only). On failure the temporary file is removed, *a
 * cleared and err set; on success *a keeps its names, closed, for the rename. */
static senti_status atomic_finish(senti_atomic_file *a, senti_err *err)
{
    const char *step = NULL;
    int e = 0;
    bool out = a->f == stdout;
    if (ferror(a->f)) /* an earlier write failed; flushing again usually says why (ENOSPC) */
        step = "write failed", e = fflush(a->f) != 0 && errno ? errno : EIO;
    else if (fflush(a->f) != 0)
        step = "flush failed", e = errno;
    else if (a->tmp && fsync(fileno(a->f)) != 0)
        step = "fsync failed", e = errno;
    if (!out && fclose(a->f) != 0 && !step)
        step = "close failed", e = errno;
    a->f = NULL;
    if (!step)
        return SENTI_OK;
    if (a->tmp)
        remove(a->tmp);
    senti_status s = senti_err_set(err, SENTI_ERR_IO, "%s: %s: %s", out ? "standard output" : a->path, step,
                                   strerror(e));
    atomic_clear(a);
    return s;
}

/* The rename of a finished file; *a is cleared either way. */
static senti_status atomic_rename(senti_atomic_file *a, senti_err *err)
{
    senti_status s = SENTI_OK;
    if (a->tmp && rename(a->tmp, a->path) != 0) {
        int e = errno;
        remove(a->tmp);
        s = senti_err_set(err, SENTI_ERR_IO, "%s: cannot rename into place: %s", a->path, strerror(e));
    }
    atomic_clear(a);
    return s;
}

senti_status senti_atomic_commit(senti_atomic_file *a, senti_err *err)
{
    if (!a->f) {
        atomic_clear(a);
        return SENTI_OK;
    }
    senti_status s = atomic_finish(a, err);
    return s ? s : atomic_rename(a, err);
}

senti_status senti_atomic_commit_all(senti_atomic_file *const *a, size_t n, senti_err *err)
{
    senti_status s = SENTI_OK;
    for (size_t i = 0; i < n && !s; i++)
        if (a[i]->f)
            s = atomic_finish(a[i], err);
    if (s) {
        senti_atomic_abort_all(a, n);
        return s;
    }
    for (size_t i = 0; i < n; i++) {
        senti_status r = a[i]->path ? atomic_rename(a[i], err) : SENTI_OK;
        s = s ? s : r;
    }
    return s;
}

void senti_atomic_abort_all(senti_atomic_file *const *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        senti_atomic_abort(a[i]);
}

void senti_atomic_abort(senti_atomic_file *a)
{
    if (a->f == stdout)
        fflush(stdout);
    else if (a->f)
        fclose(a->f);
    if (a->f != stdout && a->tmp) /* open, or finished by senti_atomic_commit_all */
        remove(a->tmp);
    atomic_clear(a);
}

/* The absolute form of a path that may not exist yet: its directory resolved
 * (links and "..") plus its last component. NULL when the directory is not there. */
static char *canonical(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *rdir = dir ? realpath(dir, NULL) : NULL;
    const char *base = slash ? slash + 1 : path;
    char *out = rdir ? malloc(strlen(rdir) + strlen(base) + 2) : NULL;
    if (out)
        sprintf(out, "%s/%s", strcmp(rdir, "/") ? rdir : "", base);
    free(dir);
    free(rdir);
    return out;
}

bool senti_same_file(const char *a, const char *b)
{
    if (!a || !b || !strcmp(a, "-") || !strcmp(b, "-"))
        return false;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ca = canonical(a), *cb = canonical(b);
    bool same = ca && cb && !strcmp(ca, cb);
    free(ca);
    free(cb);
    return same;
}

senti_status senti_check_outputs(const senti_path_role *out, size_t n_out, const senti_path_role *in, size_t n_in,
                                 senti_err *err)
{
    for (size_t i = 0; i < n_out; i++) {
        if (!out[i].path)
            continue;
        for (size_t j = 0; j < n_in; j++)
            if (senti_same_file(out[i].path, in[j].path))
                return senti_err_set(err, SENTI_ERR_ARG,
                                     "%s: the %s would replace the %s (%s): refusing to overwrite an input",
                                     out[i].path, out[i].role, in[j].role, in[j].path);
        for (size_t j = 0; j < i; j++)
            if (out[j].path && !strcmp(out[i].path, "-") && !strcmp(out[j].path, "-"))
                return senti_err_set(err, SENTI_ERR_ARG, "-: the %s and the %s would both go to standard output",
                                     out[j].role, out[i].role);
            else if (senti_same_file(out[i].path, out[j].path))
                return senti_err_set(err, SENTI_ERR_ARG, "%s: named as both the %s and the %s", out[i].path,
                                     out[j].role, out[i].role);
    }
    return SENTI_OK;
}

/* A name senti_atomic_open gives its temporary files: "<name>.tmp" + 6 characters of mkstemp. */
static bool is_atomic_tmp(const char *name)
{
    size_t n = strlen(name);
    if (n < 11 || memcmp(name + n - 10, ".tmp", 4))
        return false;
    for (size_t i = n - 6; i < n; i++)
        if (!isalnum((unsigned char)name[i]))
            return false;
    return true;
}

size_t senti_atomic_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t removed = 0;
    char path[4096];
    for (struct dirent *e; (e = readdir(d));)
        if (is_atomic_tmp(e->d_name) && (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < sizeof path)
            removed += unlink(path) == 0;
    closedir(d);
    return removed;
}

/* ---- inputs ------------------------------------------------------------------ */

void senti_csv_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    if (strpbrk(s, ",\"\r\n"))
        csv_fwrite(f, s, n);
    else
        fwrite(s, 1, n, f);
}

static char *stdin_copy;       /* standard input, read in full by the first senti_open_input("-") */
static size_t stdin_len;

char *senti_read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0)
        if ((n += got) == cap - 1) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    if (ferror(f)) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static bool read_stdin(void)
{
    stdin_copy = senti_read_stream(stdin, &stdin_len);
    return stdin_copy != NULL;
}

FILE *senti_open_input(const char *path)
{
    if (strcmp(path, "-"))
        return fopen(path, "rb");
    if (!stdin_copy && !read_stdin())
        return NULL;
    return fmemopen(stdin_copy, stdin_len, "r");
}

const char *senti_input_name(const char *path) { return path && !strcmp(path, "-") ? "<stdin>" : path; }

senti_status senti_file_sha256(const char *path, char out[65], senti_err *err)
{
    FILE *f = senti_open_input(path); /* "-": standard input */
    if (!f)
        return senti_err_set(err, SENTI_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return senti_err_set(err, buf ? SENTI_ERR_IO : SENTI_ERR_NOMEM, "%s: %s", path,
                             buf ? "read error" : "out of memory");
    }
    senti_sha256_hex(buf, len, out);
    free(buf);
    return SENTI_OK;
}
