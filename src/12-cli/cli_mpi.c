/*
 * cli_mpi.c - `mpirun -n N senti run EXPERIMENT -o OUTDIR`: one experiment
 * over the ranks of an MPI job (docs/scale.md). MPI stays in this file: the
 * library only knows work units (senti/shard.h).
 *
 *   1. Every rank checks that OUTDIR is shared: rank 0 writes a token file
 *      there, every rank must read the same token and create its own
 *      OUTDIR/ranks/<rank>/ (else all stop with an error naming the ranks).
 *   2. Rank 0 gathers the score caches left by earlier ranks (a killed job)
 *      into OUTDIR/cache, builds the plan of work units and broadcasts it;
 *      the other ranks copy OUTDIR/cache into their own cache, so a resumed
 *      job computes no row twice.
 *   3. Rank 0 is the queue: each other rank asks for a unit, scores it into
 *      OUTDIR/ranks/<rank>/cache with its -t threads and asks again with the
 *      result, so a slow node takes fewer units. A failure stops the handing
 *      out; rank 0 reports it.
 *   4. Rank 0 gathers the rank caches and runs the experiment as one process
 *      from them (cells/, results.json: the bytes of a single-process run).
 * Messages are raw structs: the ranks must share one binary and byte order.
 * Waiting ranks sleep between polls instead of spinning a core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "senti/shard.h"

static const char *const launcher_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"};

bool senti_cli_mpi_launched(void)
{
    for (size_t i = 0; i < sizeof launcher_vars / sizeof launcher_vars[0]; i++) {
        const char *v = getenv(launcher_vars[i]);
        if (v && *v)
            return true;
    }
    return false;
}

#ifndef SENTI_HAVE_MPI

/* The job size the launcher announces (0 when it does not say). */
static long launcher_size(void)
{
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(launcher_vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return 0;
}

int senti_cli_run_mpi(const senti_experiment *x, const senti_run_params *p, size_t unit_rows)
{
    long n = launcher_size();
    if (n <= 1)
        return -1;
    fprintf(stderr, "senti run: started by an MPI launcher with %ld ranks, but this senti was built without MPI "
                    "(each rank would run the whole experiment): install Open MPI (make deps) and rebuild, or use "
                    "--shard I/N\n", n);
    return SENTI_EXIT_USAGE;
}

#else /* SENTI_HAVE_MPI */

#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "11-experiment/runner_internal.h"
#include "senti/scorecache.h"

enum { TAG_ASK = 1, TAG_UNIT = 2 };
#define HOST_MAX 64
#define TOKEN_MAX 160

/* A rank's request for work, with the result of its previous unit. */
typedef struct {
    long long unit; /* the unit just done; -1 in the first request */
    int status;     /* its senti_status */
    int model_error;
    unsigned long long rows, cached;
    double seconds;
    char msg[SENTI_ERR_MSG_MAX];
} report_msg;

/* Complete a request, testing it every millisecond: Open MPI's blocking
 * calls poll without pause and would take a core from the scoring ranks. */
static void wait_gently(MPI_Request *rq, MPI_Status *st)
{
    const struct timespec ms = {0, 1000000};
    int done = 0;
    while (MPI_Test(rq, &done, st) == MPI_SUCCESS && !done)
        nanosleep(&ms, NULL);
}

/* ---- 1. the shared output directory ---------------------------------------------- */

/* Rank 0: OUTDIR and a fresh token in it ("" on failure, message printed). */
static void write_token(const char *outdir, const char *host, char token[TOKEN_MAX])
{
    char path[4200];
    senti_err e;
    senti_atomic_file a;
    snprintf(token, TOKEN_MAX, "%s-%ld-%ld", host, (long)getpid(), (long)time(NULL));
    snprintf(path, sizeof path, "%s/.senti-mpi-token", outdir);
    senti_status s = senti_run_mkdirs(outdir, &e);
    if (!s && !(s = senti_atomic_open(&a, path, &e))) {
        fputs(token, a.f);
        s = senti_atomic_commit(&a, &e);
    }
    if (s) {
        fprintf(stderr, "senti run: rank 0: %s\n", e.msg);
        token[0] = '\0';
    }
}

/* Any rank: the token is readable and the rank's folder (with rank.json, for
 * whoever must find its process) can be created. */
static bool see_token(const char *outdir, const char *token, int rank, const char *host)
{
    char path[4200], seen[TOKEN_MAX] = "";
    senti_err e;
    senti_atomic_file a;
    snprintf(path, sizeof path, "%s/.senti-mpi-token", outdir);
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(seen, sizeof seen, f) && !strcmp(seen, token);
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/ranks/%d/cache", outdir, rank);
    if (!ok || senti_run_mkdirs(path, &e))
        return false;
    snprintf(path, sizeof path, "%s/ranks/%d/rank.json", outdir, rank);
    if (senti_atomic_open(&a, path, &e))
        return false;
    fprintf(a.f, "{\"rank\": %d, \"pid\": %ld, \"host\": \"%s\"}\n", rank, (long)getpid(), host);
    return senti_atomic_commit(&a, &e) == SENTI_OK;
}

/* Collectively: true on every rank when all share OUTDIR, else false on all
 * (rank 0 names the ranks that do not). */
static bool check_shared_dir(const char *outdir, int rank, int size)
{
    char host[HOST_MAX] = "?", token[TOKEN_MAX] = "";
    gethostname(host, sizeof host - 1);
    if (rank == 0)
        write_token(outdir, host, token);
    MPI_Bcast(token, TOKEN_MAX, MPI_CHAR, 0, MPI_COMM_WORLD);
    int ok = token[0] && see_token(outdir, token, rank, host), all = 1;
    int *oks = rank == 0 ? calloc((size_t)size, sizeof *oks) : NULL;
    char *hosts = rank == 0 ? calloc((size_t)size, HOST_MAX) : NULL;
    MPI_Gather(&ok, 1, MPI_INT, oks, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Gather(host, HOST_MAX, MPI_CHAR, hosts, HOST_MAX, MPI_CHAR, 0, MPI_COMM_WORLD);
    for (int r = 0; rank == 0 && token[0] && r < size; r++)
        if (!oks || !oks[r]) {
            if (all)
                fprintf(stderr, "senti run: the output directory %s is not shared and writable by every rank "
                                "(put it on a file system all nodes mount, docs/scale.md):\n", outdir);
            all = 0;
            fprintf(stderr, "  rank %d on %s cannot read %s/.senti-mpi-token written by rank 0 on %s, or cannot "
                            "create %s/ranks/%d/\n", r, hosts ? hosts + (size_t)r * HOST_MAX : "?", outdir,
                    hosts ? hosts : "?", outdir, r);
        }
    if (rank == 0 && token[0]) {
        char path[4200];
        snprintf(path, sizeof path, "%s/.senti-mpi-token", outdir);
        unlink(path);
    }
    all = all && token[0];
    free(oks);
    free(hosts);
    MPI_Bcast(&all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return all;
}

/* ---- 2. caches and the plan ------------------------------------------------------ */

/* Import OUTDIR/ranks/<r>/cache of every rank folder there into OUTDIR/cache. */
static senti_status gather_ranks(const char *outdir, senti_err *err)
{
    char dir[4200], src[4500], dst[4200];
    snprintf(dir, sizeof dir, "%s/ranks", outdir);
    snprintf(dst, sizeof dst, "%s/cache", outdir);
    DIR *d = opendir(dir);
    struct dirent *e;
    senti_status s = SENTI_OK;
    while (d && !s && (e = readdir(d)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') {
            snprintf(src, sizeof src, "%s/%s/cache", dir, e->d_name);
            s = senti_score_cache_import_dir(dst, src, NULL, err);
        }
    if (d)
        closedir(d);
    return s;
}

/* Rank 0 builds the plan (after gathering old rank caches), every rank gets it. */
static senti_status share_plan(const senti_experiment *x, const char *outdir, size_t unit_rows, int rank,
                               senti_work_plan *plan, senti_err *err)
{
    int st = SENTI_OK;
    unsigned long long n[2] = {0, 0};
    memset(plan, 0, sizeof *plan);
    if (rank == 0) {
        st = gather_ranks(outdir, err);
        if (!st)
            st = senti_work_plan_build(x, unit_rows, plan, err);
        n[0] = plan->n, n[1] = plan->n_rows;
    }
    MPI_Bcast(&st, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast(n, 2, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    if (st)
        return senti_err_set(err, st, "%s", rank == 0 ? err->msg : "rank 0 could not build the plan");
    if (rank && n[0] && !(plan->units = malloc(n[0] * sizeof *plan->units)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory"); /* (the job aborts in the Bcast below) */
    plan->n = n[0], plan->n_rows = n[1];
    MPI_Bcast(plan->units, (int)(n[0] * sizeof *plan->units), MPI_BYTE, 0, MPI_COMM_WORLD);
    return SENTI_OK;
}

/* ---- 3. the queue ------------------------------------------------------------------- */

typedef struct {
    int status, model_error, failed_rank;
    char msg[SENTI_ERR_MSG_MAX];
    size_t rows, cached;
} outcome;

static void note_report(const senti_experiment *x, const senti_work_plan *plan, const report_msg *m, int from,
                        size_t *done, outcome *o)
{
    if (m->status) {
        if (!o->status) {
            o->status = m->status, o->model_error = m->model_error, o->failed_rank = from;
            snprintf(o->msg, sizeof o->msg, "%s", m->msg);
        }
        return;
    }
    if (m->unit < 0 || (size_t)m->unit >= plan->n)
        return; /* a first request */
    const senti_work_unit *u = &plan->units[m->unit];
    o->rows += m->rows, o->cached += m->cached;
    fprintf(stderr, "[%zu/%zu] %s rows %zu..%zu done by rank %d (%.1fs)\n", ++*done, plan->n,
            senti_experiment_cell(x, u->cell)->name, u->row_begin, u->row_end, from, m->seconds);
}

/* Rank 0: hand out the units in plan order until done or a failure. */
static void coordinate(const senti_experiment *x, const senti_work_plan *plan, int size, outcome *o)
{
    size_t next = 0, done = 0;
    for (int active = size - 1; active > 0;) {
        report_msg m;
        MPI_Request rq;
        MPI_Status st;
        MPI_Irecv(&m, (int)sizeof m, MPI_BYTE, MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &rq);
        wait_gently(&rq, &st);
        note_report(x, plan, &m, st.MPI_SOURCE, &done, o);
        long long give = !o->status && next < plan->n ? (long long)next++ : -1;
        active -= give < 0;
        MPI_Send(&give, 1, MPI_LONG_LONG, st.MPI_SOURCE, TAG_UNIT, MPI_COMM_WORLD);
    }
}

/* Ranks 1..: score units into OUTDIR/ranks/<rank>/cache until told to stop. */
static int work(const senti_experiment *x, const senti_run_params *p, const senti_work_plan *plan, int rank)
{
    char cache[4200], shared[4200];
    snprintf(cache, sizeof cache, "%s/ranks/%d/cache", p->outdir, rank);
    snprintf(shared, sizeof shared, "%s/cache", p->outdir);
    report_msg m;
    memset(&m, 0, sizeof m);
    m.unit = -1;
    senti_err e = {0};
    m.status = senti_score_cache_import_dir(cache, shared, NULL, &e); /* what earlier ranks scored */
    snprintf(m.msg, sizeof m.msg, "rank %d: %.480s", rank, e.msg);
    int rc = m.status ? senti_cli_exit(m.status, false) : SENTI_EXIT_OK;
    for (;;) {
        long long u;
        MPI_Request rq;
        MPI_Send(&m, (int)sizeof m, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
        MPI_Irecv(&u, 1, MPI_LONG_LONG, 0, TAG_UNIT, MPI_COMM_WORLD, &rq);
        wait_gently(&rq, MPI_STATUS_IGNORE);
        if (u < 0 || (size_t)u >= plan->n)
            break;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        senti_classify_summary cs;
        m.unit = u;
        m.status = senti_work_unit_run(x, &plan->units[u], cache, p->threads, &cs, &e);
        clock_gettime(CLOCK_MONOTONIC, &b);
        m.model_error = m.status && cs.model_error;
        m.rows = plan->units[u].row_end - plan->units[u].row_begin, m.cached = cs.n_cached;
        m.seconds = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        if (m.status) {
            snprintf(m.msg, sizeof m.msg, "rank %d: %.480s", rank, e.msg);
            rc = senti_cli_exit(m.status, m.model_error);
        }
    }
    return rc;
}

/* ---- 4. the results ------------------------------------------------------------------ */

static int assemble(const senti_experiment *x, const senti_run_params *p, const senti_work_plan *plan, int size,
                    const outcome *o)
{
    senti_err e;
    senti_run_summary sum = {0};
    if (o->status) {
        fprintf(stderr, "senti run: %s\n", o->msg);
        return senti_cli_exit(o->status, o->model_error);
    }
    senti_status s = gather_ranks(p->outdir, &e);
    if (!s)
        s = senti_run_experiment(x, p, &sum, &e);
    if (s) {
        fprintf(stderr, "senti run: %s\n", e.msg);
        return senti_cli_exit(s, sum.model_error);
    }
    printf("run: %zu cells (%zu run, %zu resumed) in %.1fs -> %s/results.json\n", sum.n_cells, sum.n_run,
           sum.n_skipped, sum.seconds, p->outdir);
    printf("mpi: %zu units of rows on %d ranks: %zu rows, %zu prompts from the caches\n", plan->n, size - 1, o->rows,
           o->cached);
    return SENTI_EXIT_OK;
}

int senti_cli_run_mpi(const senti_experiment *x, const senti_run_params *p, size_t unit_rows)
{
    int rank = 0, size = 1, rc = SENTI_EXIT_USAGE;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size == 1) {
        MPI_Finalize();
        return -1;
    }
    senti_work_plan plan = {0};
    senti_err e;
    if (check_shared_dir(p->outdir, rank, size)) {
        senti_status s = share_plan(x, p->outdir, unit_rows, rank, &plan, &e);
        if (s && rank == 0)
            fprintf(stderr, "senti run: %s\n", e.msg);
        if (s)
            rc = senti_cli_exit(s, false);
        else if (rank == 0) {
            outcome o = {0};
            coordinate(x, &plan, size, &o);
            rc = assemble(x, p, &plan, size, &o);
        } else
            rc = work(x, p, &plan, rank);
    }
    MPI_Request rq; /* the workers wait, sleeping, while rank 0 writes the results */
    MPI_Ibarrier(MPI_COMM_WORLD, &rq);
    wait_gently(&rq, MPI_STATUS_IGNORE);
    senti_work_plan_free(&plan);
    MPI_Finalize();
    return rc;
}

#endif /* SENTI_HAVE_MPI */
