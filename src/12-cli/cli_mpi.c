/*
 * cli_mpi.c - `mpirun -n N senti run EXPERIMENT -o OUTDIR` and `mpirun -n N
 * senti classify -i BIG.csv -o PRED.csv`: one job over the ranks of an MPI
 * job (docs/scale.md). MPI stays in this file: the library only knows work
 * units (senti/shard.h) and score caches (senti/scorecache.h).
 *
 * Both commands are one `mpi_job`: a shared directory DIR (run: OUTDIR;
 * classify: PRED.csv.mpi beside the first output file), a plan of work units
 * of rows cut on the classifier's row groups, a way to score one unit into a
 * score cache, and a last step that writes the outputs from the gathered
 * cache as one process would.
 *   1. Every rank checks that DIR is shared: rank 0 writes a token file
 *      there, every rank must read the same token and create its own
 *      DIR/ranks/<rank>/ (else all stop with an error naming the ranks).
 *   2. Rank 0 gathers the score caches left by earlier ranks (a killed job)
 *      into DIR/cache, builds the plan of work units and broadcasts it;
 *      the other ranks copy DIR/cache into their own cache, so a resumed
 *      job computes no row twice.
 *   3. Rank 0 is the queue: each other rank asks for a unit, scores it into
 *      DIR/ranks/<rank>/cache with its -t threads and asks again with the
 *      result, so a slow node takes fewer units. A failure stops the handing
 *      out; rank 0 reports it.
 *   4. Rank 0 gathers the rank caches and runs the job as one process from
 *      them (run: cells/, results.json; classify: the predictions and their
 *      manifest, then DIR is removed): the bytes of a single-process run.
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

long senti_cli_mpi_size(void)
{
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(launcher_vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return 0;
}

bool senti_cli_mpi_rank0(void)
{
    static const char *const rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof rank_vars / sizeof rank_vars[0]; i++) {
        const char *v = getenv(rank_vars[i]);
        if (v && *v)
            return strtol(v, NULL, 10) == 0;
    }
    return true;
}

#ifndef SENTI_HAVE_MPI

static int refuse(const char *cmd, const char *what)
{
    long n = senti_cli_mpi_size();
    if (n <= 1)
        return -1;
    fprintf(stderr, "senti %s: started by an MPI launcher with %ld ranks, but this senti was built without MPI "
                    "(each rank would %s): install Open MPI (make deps) and rebuild%s\n",
            cmd, n, what, strcmp(cmd, "run") ? "" : ", or use --shard I/N");
    return SENTI_EXIT_USAGE;
}

int senti_cli_run_mpi(const senti_experiment *x, const senti_run_params *p, size_t unit_rows, bool quiet)
{
    (void)x, (void)p, (void)unit_rows, (void)quiet;
    return refuse("run", "run the whole experiment");
}

int senti_cli_classify_mpi(const senti_classify_params *p, size_t unit_rows, bool quiet,
                           senti_cli_classify_done done)
{
    (void)p, (void)unit_rows, (void)quiet, (void)done;
    return refuse("classify", "classify the whole file");
}

#else /* SENTI_HAVE_MPI */

#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "11-experiment/runner_internal.h"
#include "senti/dataset.h"
#include "senti/scorecache.h"

enum { TAG_ASK = 1, TAG_UNIT = 2 };
#define HOST_MAX 64
#define TOKEN_MAX 160
#define PATH_CAP 4200

/* One MPI job (see the top of the file); the command's own state follows it
 * in a larger struct. */
typedef struct mpi_job mpi_job;
struct mpi_job {
    const char *cmd;  /* "run", "classify": the messages' "senti CMD:" */
    const char *what; /* the shared directory in messages: "output directory" */
    const char *dir;  /* the shared directory */
    size_t unit_rows; /* rows per work unit, a multiple of SENTI_CLASSIFY_GROUP */
    bool quiet;       /* no log line per unit (-q) */
    /* rank 0, after gathering the caches of earlier ranks: the units */
    senti_status (*plan)(mpi_job *j, senti_work_plan *plan, senti_err *err);
    /* ranks 1..: score one unit into the score cache in `cache` */
    senti_status (*unit)(mpi_job *j, const senti_work_unit *u, const char *cache, senti_classify_summary *cs,
                         senti_err *err);
    /* rank 0: what precedes "rows B..E" in the log line of a unit ("" or "CELL ") */
    const char *(*unit_name)(const mpi_job *j, const senti_work_unit *u);
    /* rank 0, every unit done: the outputs from DIR/cache; the exit code */
    int (*assemble)(mpi_job *j, const senti_work_plan *plan, int size, size_t rows, size_t cached);
    /* every rank, at the end (may be NULL) */
    void (*cleanup)(mpi_job *j);
};

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

/* ---- 1. the shared directory --------------------------------------------------- */

/* Rank 0: DIR and a fresh token in it ("" on failure, message printed). */
static void write_token(const mpi_job *j, const char *host, char token[TOKEN_MAX])
{
    char path[PATH_CAP];
    senti_err e;
    senti_atomic_file a;
    snprintf(token, TOKEN_MAX, "%s-%ld-%ld", host, (long)getpid(), (long)time(NULL));
    snprintf(path, sizeof path, "%s/.senti-mpi-token", j->dir);
    senti_status s = senti_run_mkdirs(j->dir, &e);
    if (!s && !(s = senti_atomic_open(&a, path, &e))) {
        fputs(token, a.f);
        s = senti_atomic_commit(&a, &e);
    }
    if (s) {
        fprintf(stderr, "senti %s: rank 0: %s\n", j->cmd, e.msg);
        token[0] = '\0';
    }
}

/* Any rank: the token is readable and the rank's folder (with rank.json, for
 * whoever must find its process) can be created. */
static bool see_token(const char *dir, const char *token, int rank, const char *host)
{
    char path[PATH_CAP], seen[TOKEN_MAX] = "";
    senti_err e;
    senti_atomic_file a;
    snprintf(path, sizeof path, "%s/.senti-mpi-token", dir);
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(seen, sizeof seen, f) && !strcmp(seen, token);
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/ranks/%d/cache", dir, rank);
    if (!ok || senti_run_mkdirs(path, &e))
        return false;
    snprintf(path, sizeof path, "%s/ranks/%d/rank.json", dir, rank);
    if (senti_atomic_open(&a, path, &e))
        return false;
    fprintf(a.f, "{\"rank\": %d, \"pid\": %ld, \"host\": \"%s\"}\n", rank, (long)getpid(), host);
    return senti_atomic_commit(&a, &e) == SENTI_OK;
}

/* Collectively: true on every rank when all share DIR, else false on all
 * (rank 0 names the ranks that do not). */
static bool check_shared_dir(const mpi_job *j, int rank, int size)
{
    char host[HOST_MAX] = "?", token[TOKEN_MAX] = "";
    gethostname(host, sizeof host - 1);
    if (rank == 0)
        write_token(j, host, token);
    MPI_Bcast(token, TOKEN_MAX, MPI_CHAR, 0, MPI_COMM_WORLD);
    int ok = token[0] && see_token(j->dir, token, rank, host), all = 1;
    int *oks = rank == 0 ? calloc((size_t)size, sizeof *oks) : NULL;
    char *hosts = rank == 0 ? calloc((size_t)size, HOST_MAX) : NULL;
    MPI_Gather(&ok, 1, MPI_INT, oks, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Gather(host, HOST_MAX, MPI_CHAR, hosts, HOST_MAX, MPI_CHAR, 0, MPI_COMM_WORLD);
    for (int r = 0; rank == 0 && token[0] && r < size; r++)
        if (!oks || !oks[r]) {
            if (all)
                fprintf(stderr, "senti %s: the %s %s is not shared and writable by every rank (put it on a file "
                                "system all nodes mount, docs/scale.md):\n", j->cmd, j->what, j->dir);
            all = 0;
            fprintf(stderr, "  rank %d on %s cannot read %s/.senti-mpi-token written by rank 0 on %s, or cannot "
                            "create %s/ranks/%d/\n", r, hosts ? hosts + (size_t)r * HOST_MAX : "?", j->dir,
                    hosts ? hosts : "?", j->dir, r);
        }
    if (rank == 0 && token[0]) {
        char path[PATH_CAP];
        snprintf(path, sizeof path, "%s/.senti-mpi-token", j->dir);
        unlink(path);
    }
    all = all && token[0];
    free(oks);
    free(hosts);
    MPI_Bcast(&all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return all;
}

/* ---- 2. caches and the plan ------------------------------------------------------ */

/* Import DIR/ranks/<r>/cache of every rank folder there into DIR/cache. */
static senti_status gather_ranks(const char *dir, senti_err *err)
{
    char ranks[PATH_CAP], src[PATH_CAP + 300], dst[PATH_CAP];
    snprintf(ranks, sizeof ranks, "%s/ranks", dir);
    snprintf(dst, sizeof dst, "%s/cache", dir);
    DIR *d = opendir(ranks);
    struct dirent *e;
    senti_status s = SENTI_OK;
    while (d && !s && (e = readdir(d)))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9') {
            snprintf(src, sizeof src, "%s/%s/cache", ranks, e->d_name);
            s = senti_score_cache_import_dir(dst, src, NULL, err);
        }
    if (d)
        closedir(d);
    return s;
}

/* Rank 0 builds the plan (after gathering old rank caches), every rank gets it. */
static senti_status share_plan(mpi_job *j, int rank, senti_work_plan *plan, senti_err *err)
{
    int st = SENTI_OK;
    unsigned long long n[2] = {0, 0};
    memset(plan, 0, sizeof *plan);
    if (rank == 0) {
        st = gather_ranks(j->dir, err);
        if (!st)
            st = j->plan(j, plan, err);
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

/* Rows [0, n_rows) of one cell in units of unit_rows (the plan of a classify job). */
static senti_status plan_rows(size_t cell, size_t n_rows, size_t unit_rows, senti_work_plan *plan, senti_err *err)
{
    size_t n = (n_rows + unit_rows - 1) / unit_rows;
    memset(plan, 0, sizeof *plan);
    if (n && !(plan->units = malloc(n * sizeof *plan->units)))
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory");
    for (size_t b = 0; b < n_rows; b += unit_rows)
        plan->units[plan->n++] = (senti_work_unit){cell, b, b + unit_rows < n_rows ? b + unit_rows : n_rows};
    plan->n_rows = n_rows;
    return SENTI_OK;
}

/* ---- 3. the queue ------------------------------------------------------------------- */

typedef struct {
    int status, model_error, failed_rank;
    char msg[SENTI_ERR_MSG_MAX];
    size_t rows, cached;
} outcome;

static void note_report(const mpi_job *j, const senti_work_plan *plan, const report_msg *m, int from, size_t *done,
                        outcome *o)
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
    ++*done;
    if (!j->quiet)
        fprintf(stderr, "[%zu/%zu] %srows %zu..%zu done by rank %d (%.1fs)\n", *done, plan->n, j->unit_name(j, u),
            u->row_begin, u->row_end, from, m->seconds);
}

/* Rank 0: hand out the units in plan order until done or a failure. */
static void coordinate(const mpi_job *j, const senti_work_plan *plan, int size, outcome *o)
{
    size_t next = 0, done = 0;
    for (int active = size - 1; active > 0;) {
        report_msg m;
        MPI_Request rq;
        MPI_Status st;
        MPI_Irecv(&m, (int)sizeof m, MPI_BYTE, MPI_ANY_SOURCE, TAG_ASK, MPI_COMM_WORLD, &rq);
        wait_gently(&rq, &st);
        note_report(j, plan, &m, st.MPI_SOURCE, &done, o);
        long long give = !o->status && next < plan->n ? (long long)next++ : -1;
        active -= give < 0;
        MPI_Send(&give, 1, MPI_LONG_LONG, st.MPI_SOURCE, TAG_UNIT, MPI_COMM_WORLD);
    }
}

/* Ranks 1..: score units into DIR/ranks/<rank>/cache until told to stop. */
static int work(mpi_job *j, const senti_work_plan *plan, int rank)
{
    char cache[PATH_CAP], shared[PATH_CAP];
    snprintf(cache, sizeof cache, "%s/ranks/%d/cache", j->dir, rank);
    snprintf(shared, sizeof shared, "%s/cache", j->dir);
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
        memset(&cs, 0, sizeof cs);
        m.unit = u;
        m.status = j->unit(j, &plan->units[u], cache, &cs, &e);
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

/* ---- the job ------------------------------------------------------------------------- */

/* Steps 1-4 on every rank: the exit code, or -1 for a job of one rank. */
static int run_job(mpi_job *j)
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
    if (check_shared_dir(j, rank, size)) {
        senti_status s = share_plan(j, rank, &plan, &e);
        if (s && rank == 0)
            fprintf(stderr, "senti %s: %s\n", j->cmd, e.msg);
        if (s)
            rc = senti_cli_exit(s, false);
        else if (rank == 0) {
            outcome o = {0};
            coordinate(j, &plan, size, &o);
            if (o.status) {
                fprintf(stderr, "senti %s: %s\n", j->cmd, o.msg);
                rc = senti_cli_exit(o.status, o.model_error);
            } else
                rc = j->assemble(j, &plan, size, o.rows, o.cached);
        } else
            rc = work(j, &plan, rank);
    }
    MPI_Request rq; /* the workers wait, sleeping, while rank 0 writes the results */
    MPI_Ibarrier(MPI_COMM_WORLD, &rq);
    wait_gently(&rq, MPI_STATUS_IGNORE);
    senti_work_plan_free(&plan);
    if (j->cleanup)
        j->cleanup(j);
    MPI_Finalize();
    return rc;
}

/* ---- senti run ------------------------------------------------------------------------ */

typedef struct {
    mpi_job job;
    const senti_experiment *x;
    const senti_run_params *p;
    char name[256];
} run_job_state;

static senti_status run_plan(mpi_job *j, senti_work_plan *plan, senti_err *err)
{
    return senti_work_plan_build(((run_job_state *)j)->x, j->unit_rows, plan, err);
}

static senti_status run_unit(mpi_job *j, const senti_work_unit *u, const char *cache, senti_classify_summary *cs,
                             senti_err *err)
{
    run_job_state *r = (run_job_state *)j;
    return senti_work_unit_run(r->x, u, cache, r->p->threads, cs, err);
}

static const char *run_unit_name(const mpi_job *j, const senti_work_unit *u)
{
    run_job_state *r = (run_job_state *)j;
    snprintf(r->name, sizeof r->name, "%s ", senti_experiment_cell(r->x, u->cell)->name);
    return r->name;
}

static int run_assemble(mpi_job *j, const senti_work_plan *plan, int size, size_t rows, size_t cached)
{
    run_job_state *r = (run_job_state *)j;
    senti_err e;
    senti_run_summary sum = {0};
    senti_status s = gather_ranks(j->dir, &e);
    if (!s)
        s = senti_run_experiment(r->x, r->p, &sum, &e);
    if (s) {
        fprintf(stderr, "senti run: %s\n", e.msg);
        return senti_cli_exit(s, sum.model_error);
    }
    printf("run: %zu cells (%zu run, %zu resumed) in %.1fs -> %s/results.json\n", sum.n_cells, sum.n_run,
           sum.n_skipped, sum.seconds, r->p->outdir);
    printf("mpi: %zu units of rows on %d ranks: %zu rows, %zu prompts from the caches\n", plan->n, size - 1, rows,
           cached);
    return SENTI_EXIT_OK;
}

int senti_cli_run_mpi(const senti_experiment *x, const senti_run_params *p, size_t unit_rows, bool quiet)
{
    run_job_state r = {{"run", "output directory", p->outdir, unit_rows, quiet, run_plan, run_unit, run_unit_name,
                        run_assemble, NULL},
                       x, p, ""};
    return run_job(&r.job);
}

/* ---- senti classify -------------------------------------------------------------------- */

typedef struct {
    mpi_job job;
    const senti_classify_params *p;
    senti_cli_classify_done done;
    senti_model *model; /* a worker's, loaded at its first unit */
    double t0;          /* the job's start: the summary's rows/s are the whole job's */
    char dir[PATH_CAP];
} classify_job_state;

static senti_status classify_plan(mpi_job *j, senti_work_plan *plan, senti_err *err)
{
    const senti_classify_params *p = ((classify_job_state *)j)->p;
    senti_dataset *d = NULL;
    senti_row row;
    bool have = true;
    size_t n = 0;
    senti_status s = senti_dataset_open(p->input_path, &p->data, &d, err);
    while (!s && !(s = senti_dataset_next(d, &row, &have, err)) && have)
        n++;
    senti_dataset_close(d);
    return s ? s : plan_rows(0, n, j->unit_rows, plan, err);
}

/* One unit: the rows [b, e) of the input, scored into the rank's cache with
 * the model the rank loaded once; no output is written. */
static senti_status classify_unit(mpi_job *j, const senti_work_unit *u, const char *cache, senti_classify_summary *cs,
                                  senti_err *err)
{
    classify_job_state *c = (classify_job_state *)j;
    senti_classify_params q = *c->p;
    senti_model_params mp = senti_model_default_params();
    mp.n_threads = q.n_threads;
    if (!c->model && !q.model) {
        senti_status s = senti_model_load(q.model_path, &mp, &c->model, err);
        if (s) {
            cs->model_error = true;
            return s;
        }
    }
    if (!q.model)
        q.model = c->model;
    q.output_path = q.jsonl_path = q.manifest_path = q.prompts_path = NULL;
    q.score_cache_dir = cache;
    q.row_begin = u->row_begin, q.row_end = u->row_end;
    q.progress = NULL;
    return senti_classify_run(&q, cs, err);
}

static const char *classify_unit_name(const mpi_job *j, const senti_work_unit *u)
{
    (void)j, (void)u;
    return "";
}

/* Remove DIR (its rank folders and caches) after a job that succeeded. */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[PATH_CAP + 300];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            if (unlink(sub) != 0)
                remove_tree(sub);
        }
    if (d)
        closedir(d);
    rmdir(path);
}

static int classify_assemble(mpi_job *j, const senti_work_plan *plan, int size, size_t rows, size_t cached)
{
    classify_job_state *c = (classify_job_state *)j;
    char cache[PATH_CAP];
    senti_err e = {0};
    senti_classify_summary sum;
    memset(&sum, 0, sizeof sum);
    senti_classify_params q = *c->p;
    snprintf(cache, sizeof cache, "%s/cache", j->dir);
    q.score_cache_dir = cache;
    q.cache_is_work = true;
    senti_status s = gather_ranks(j->dir, &e);
    if (!s)
        s = senti_classify_run(&q, &sum, &e);
    if (s) {
        fprintf(stderr, "senti classify: %s\n", e.msg[0] ? e.msg : senti_strerror(s));
        return senti_cli_exit(s, sum.model_error);
    }
    remove_tree(j->dir);
    sum.seconds = senti_now() - c->t0;
    fprintf(stderr, "mpi: %zu units of rows on %d ranks: %zu rows, %zu prompts from the caches\n", plan->n, size - 1,
            rows, cached);
    if (c->done)
        c->done(c->p, &sum);
    return SENTI_EXIT_OK;
}

static void classify_cleanup(mpi_job *j)
{
    senti_model_free(((classify_job_state *)j)->model);
}

int senti_cli_classify_mpi(const senti_classify_params *p, size_t unit_rows, bool quiet,
                           senti_cli_classify_done done)
{
    classify_job_state c = {{"classify", "work directory", NULL, unit_rows, quiet, classify_plan, classify_unit,
                             classify_unit_name, classify_assemble, classify_cleanup},
                            p, done, NULL, senti_now(), ""};
    senti_cli_classify_mpi_dir(p, c.dir, sizeof c.dir);
    c.job.dir = c.dir;
    return run_job(&c.job);
}

#endif /* SENTI_HAVE_MPI */

void senti_cli_classify_mpi_dir(const senti_classify_params *p, char *buf, size_t cap)
{
    const char *out = p->output_path && strcmp(p->output_path, "-") ? p->output_path : p->jsonl_path;
    snprintf(buf, cap, "%s.mpi", out ? out : "senti-classify");
}
