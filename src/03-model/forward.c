/*
 * forward.c - contexts (KV cache + workspace) and the transformer forward pass.
 *
 * Contract:
 *   - senti_context_new allocates everything a decode will ever need: the f32
 *     KV cache [n_layer][n_ctx][n_head_kv*head_dim] and a workspace for a batch
 *     of SENTI_MAX_BATCH tokens, as 64-byte aligned slices of one arena
 *     (one allocation, one free). senti_decode allocates nothing; inputs longer
 *     than SENTI_MAX_BATCH run in chunks (same result as one batch).
 *   - Matrix products y = x W^T (f32 and q8 numerics): matmul.c, whose
 *     file-top comment has their contract.
 *   - Attention runs per head through cblas_sgemm over the cached keys, with
 *     the causal mask and (gemma3 local layers) the sliding window applied to
 *     the scores before a max-subtracted softmax.
 *   - The last layer runs its queries, attention and feed-forward only for the
 *     rows whose outputs are asked for (keys and values for all: they go to
 *     the cache); a prefix decoded without outputs computes just its keys and
 *     values there.
 *   - Logits are computed only for the requested positions and, when asked,
 *     only for the requested vocabulary rows; the full-vocabulary logsumexp is
 *     accumulated block by block in double without storing the full row.
 */
#include "model_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <omp.h>

#include "senti/quant.h"

#include "00-base/base.h"


/* f32 elements in one dequantized weight tile (2 MiB): large enough that each
 * thread takes one or two tiles of a SmolLM2 matrix, as every tile costs
 * OpenBLAS a fresh packing of the activations. */
#define SENTI_TILE_FLOATS (1 << 19)

/* ---- context ------------------------------------------------------------------ */

static int64_t max3(int64_t a, int64_t b, int64_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

/* Bytes of one quantized activation row of n elements, for any pairing. */
static size_t act_row_bytes(int64_t n)
{
    size_t k = senti_type_row_size(SENTI_TYPE_Q8_K, (n + 255) / 256 * 256);
    size_t l = senti_type_row_size(SENTI_TYPE_Q8_1, (n + 31) / 32 * 32);
    size_t g = senti_q8_act_bytes((n + 31) / 32 * 32); /* the tile GEMM's rows */
    k = k > l ? k : l;
    return k > g ? k : g;
}

/* Alignment of every slice of the context's arena (a cache line; AVX-512 rows). */
#define SENTI_ARENA_ALIGN 64

/* Under AddressSanitizer each slice is followed by a poisoned gap, so that an
 * overrun into the next buffer is still reported as with separate mallocs. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_GUARD SENTI_ARENA_ALIGN
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_GUARD 0
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The next slice of `bytes` from an arena at base (NULL: only measure), moving
 * *off past it rounded up to SENTI_ARENA_ALIGN (plus the guard gap). */
static void *carve(char *base, size_t *off, size_t bytes)
{
    void *p = base ? base + *off : NULL;
    const size_t end = *off + bytes;
    *off = (end + SENTI_ARENA_ALIGN - 1) / SENTI_ARENA_ALIGN * SENTI_ARENA_ALIGN + ARENA_GUARD;
    if (base)
        ARENA_POISON(base + end, *off - end);
    return p;
}

/* Sizes that the workspace depends on besides the hyper-parameters: thread
 * count, tile and quantized-row widths, attention scratch. */
static void size_context(senti_context *c)
{
    const senti_hparams *hp = &c->m->hp;
    const int64_t QD = (int64_t)hp->n_head * hp->head_dim;
    const int64_t widest = max3(hp->n_embd, hp->n_ff, QD);
    const size_t tile_min = 16 * (size_t)widest; /* at least 16 rows of the widest matrix */
    c->n_kv_dim = hp->n_head_kv * hp->head_dim;
    c->tile_floats = (size_t)SENTI_TILE_FLOATS > tile_min ? (size_t)SENTI_TILE_FLOATS : tile_min;
    c->xq_row_bytes = act_row_bytes(widest);
    c->max_threads = omp_get_num_procs() > senti_get_threads() ? omp_get_num_procs() : senti_get_threads();
    /* attention scratch per thread: one block of rows of a group of query heads */
    const size_t group_rows = (size_t)(hp->n_head / hp->n_head_kv) * SENTI_ATT_ROWS;
    c->scores_floats = group_rows * (size_t)c->n_ctx;
    c->att_qo_floats = group_rows * (size_t)hp->head_dim;
}

/* Point every cache and workspace buffer at its slice of the arena at base
 * (NULL: pointers stay NULL); returns the arena's size in bytes. The one
 * place that lists the buffers, so measuring and carving cannot disagree. */
static size_t carve_context(senti_context *c, char *base)
{
    const senti_hparams *hp = &c->m->hp;
    const size_t B = SENTI_MAX_BATCH, E = (size_t)hp->n_embd, F = (size_t)hp->n_ff;
    const size_t QD = (size_t)hp->n_head * hp->head_dim, half = (size_t)hp->rope_dim / 2;
    const size_t cache = (size_t)hp->n_layer * (size_t)c->n_ctx * (size_t)c->n_kv_dim;
    const size_t nth = (size_t)c->max_threads, fl = sizeof(float);
    size_t off = 0;
    c->k_cache = carve(base, &off, cache * fl);
    c->v_cache = carve(base, &off, cache * fl);
    c->x = carve(base, &off, B * E * fl);
    c->xn = carve(base, &off, B * E * fl);
    c->q = carve(base, &off, B * QD * fl);
    c->att = carve(base, &off, B * QD * fl);
    c->tmp = carve(base, &off, B * (E > F ? E : F) * fl);
    c->ff_gate = carve(base, &off, B * F * fl);
    c->ff_up = carve(base, &off, B * F * fl);
    c->scores = carve(base, &off, nth * c->scores_floats * fl);
    c->att_q = carve(base, &off, nth * c->att_qo_floats * fl);
    c->att_o = carve(base, &off, nth * c->att_qo_floats * fl);
    c->tile = carve(base, &off, nth * c->tile_floats * fl);
    c->xq = carve(base, &off, B * c->xq_row_bytes);
    c->tile_out = carve(base, &off, B * SENTI_OUT_BLOCK * fl);
    c->hid = carve(base, &off, B * E * fl);
    c->lse_max = carve(base, &off, B * sizeof(double));
    c->lse_sum = carve(base, &off, B * sizeof(double));
    c->out_idx = carve(base, &off, B * sizeof(int));
    c->seq_start = carve(base, &off, B * sizeof(int));
    c->par_start = carve(base, &off, B * sizeof(int));
    c->par_len = carve(base, &off, B * sizeof(int));
    c->keep = carve(base, &off, B * sizeof(int));
    c->kept_at = carve(base, &off, B * sizeof(int));
    c->rope_cos = carve(base, &off, 2 * B * (half ? half : 1) * fl);
    c->rope_sin = carve(base, &off, 2 * B * (half ? half : 1) * fl);
    return off;
}

senti_status senti_context_new(const senti_model *m, int n_ctx, senti_context **out, senti_err *err)
{
    if (!m || !out)
        return senti_err_set(err, SENTI_ERR_ARG, "senti_context_new: NULL argument");
    if (n_ctx <= 0)
        n_ctx = m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
    senti_context *c = calloc(1, sizeof *c);
    if (!c)
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory for a context");
    c->m = m;
    c->n_ctx = n_ctx;
    c->matmul_f32 = senti_get_numerics() == SENTI_NUMERICS_F32;
    size_context(c);
    /* calloc: the zeroed cache pages are mapped lazily, as before the arena */
    const size_t bytes = carve_context(c, NULL);
    c->arena = calloc(1, bytes + SENTI_ARENA_ALIGN);
    if (!c->arena) {
        free(c);
        return senti_err_set(err, SENTI_ERR_NOMEM, "out of memory for a context of %d positions", n_ctx);
    }
    uintptr_t a = ((uintptr_t)c->arena + SENTI_ARENA_ALIGN - 1) & ~(uintptr_t)(SENTI_ARENA_ALIGN - 1);
    carve_context(c, (char *)a);
    c->arena_bytes = bytes + SENTI_ARENA_ALIGN;
    *out = c;
    return SENTI_OK;
}

void senti_context_free(senti_context *c)
{
    if (!c)
        return;
    ARENA_UNPOISON(c->arena, c->arena_bytes);
    free(c->arena);
    free(c);
}

int senti_context_n_ctx(const senti_context *ctx) { return ctx->n_ctx; }
const senti_model *senti_context_model(const senti_context *ctx) { return ctx->m; }
int senti_context_n_past(const senti_context *ctx) { return ctx->n_past; }

void senti_context_truncate(senti_context *ctx, int n_past)
{
    if (n_past < 0)
        n_past = 0;
    if (n_past < ctx->n_past)
        ctx->n_past = n_past;
}

/* ---- elementwise pieces ----------------------------------------------------------- */

/* out[t] = x[t] / rms(x[t]) * w, for T rows of n (sum of squares in double). */
static void rmsnorm(float *out, const float *x, const float *w, int T, int n, float eps)
{
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * n;
        float *ot = out + (size_t)t * n;
        double ss = 0.0;
#pragma omp simd reduction(+ : ss)
        for (int i = 0; i < n; i++)
            ss += (double)xt[i] * xt[i];
        const float scale = 1.0f / sqrtf((float)(ss / n) + eps);
#pragma omp simd
        for (int i = 0; i < n; i++)
            ot[i] = xt[i] * scale * w[i];
    }
}

static void add_bias(float *y, const float *b, int T, int n, int64_t ld)
{
    if (!b)
        return;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++)
            y[(size_t)t * ld + i] += b[i];
}

/* gate[i] = act(gate[i]) * up[i] over n values, in one contiguous piece
 * per thread (senti_glu: the selected kernel level's vectorized loop; every
 * element's bytes are the scalar reference's, whatever the split). */
static void glu(const senti_context *ctx, float *gate, const float *up, size_t n)
{
    const int gelu = ctx->m->gelu;
#pragma omp parallel num_threads(ctx->n_threads)
    {
        const size_t nth = (size_t)omp_get_num_threads(), me = (size_t)omp_get_thread_num();
        const size_t per = ((n + nth - 1) / nth + 7) / 8 * 8, i0 = me * per < n ? me * per : n;
        const size_t i1 = i0 + per < n ? i0 + per : n;
        senti_glu(gelu, gate + i0, up + i0, i1 - i0);
    }
}

/* ---- rotary position embedding ------------------------------------------------------ */

/* Position of chunk token t: after the p0 cached positions, its parent run
 * (if any), then its own run up to itself. */
static int token_pos(const senti_context *ctx, int p0, int t)
{
    return p0 + ctx->par_len[t] + t - ctx->seq_start[t];
}

/* cos/sin tables [2][T][rope_dim/2] for the chunk's tokens (at the positions
 * token_pos gives) with the global (set 0) and local (set 1) bases.
 * theta_i = pos * scale * base^(-2i/rope_dim) / ff[i]. */
static void rope_tables(senti_context *ctx, int p0, int T)
{
    const senti_model *m = ctx->m;
    const int half = m->hp.rope_dim / 2;
    const float bases[2] = {m->hp.rope_base, m->hp.rope_base_local};
    for (int set = 0; set < 2; set++) {
        float scale = set == 0 ? m->rope_freq_scale : 1.0f;
        for (int t = 0; t < T; t++) {
            size_t o = ((size_t)set * SENTI_MAX_BATCH + (size_t)t) * (size_t)half;
            for (int i = 0; i < half; i++) {
                double inv = pow((double)bases[set], -2.0 * i / m->hp.rope_dim);
                double theta = (double)token_pos(ctx, p0, t) * scale * inv;
                if (m->rope_freqs && set == 0)
                    theta /= m->rope_freqs[i];
                ctx->rope_cos[o + (size_t)i] = (float)cos(theta);
                ctx->rope_sin[o + (size_t)i] = (float)sin(theta);
            }
        }
    }
}

/* Rotate n_heads heads of head_dim in each of T rows (row stride ld); row t
 * is chunk token rows[t] (rows NULL: token t). */
static void rope_apply(const senti_context *ctx, float *x, int T, const int *rows, int n_heads, int64_t ld, int set)
{
    const senti_hparams *hp = &ctx->m->hp;
    const int half = hp->rope_dim / 2, hd = hp->head_dim;
    for (int t = 0; t < T; t++) {
        size_t o = ((size_t)set * SENTI_MAX_BATCH + (size_t)(rows ? rows[t] : t)) * (size_t)half;
        const float *cs = ctx->rope_cos + o, *sn = ctx->rope_sin + o;
        for (int h = 0; h < n_heads; h++) {
            float *v = x + (size_t)t * ld + (size_t)h * hd;
            for (int i = 0; i < half; i++) {
                /* NeoX pairs (i, i+half); the original llama pairs (2i, 2i+1). */
                int a = hp->rope_neox ? i : 2 * i, b = hp->rope_neox ? i + half : 2 * i + 1;
                float x0 = v[a], x1 = v[b];
                v[a] = x0 * cs[i] - x1 * sn[i];
                v[b] = x0 * sn[i] + x1 * cs[i];
            }
        }
    }
}

/* ---- attention ------------------------------------------------------------------------ */

/* A half-open range [lo, hi) of key indices. */
typedef struct {
    int lo, hi;
} key_run;

/* Softmax of one row of scores over the keys it may see, the n_runs ranges
 * in `runs` (disjoint, in increasing order, possibly empty), zero elsewhere. */
static void softmax_runs(float *row, int n_keys, const key_run *runs, int n_runs)
{
    float mx = -INFINITY;
    for (int r = 0; r < n_runs; r++)
#pragma omp simd reduction(max : mx)
        for (int j = runs[r].lo; j < runs[r].hi; j++)
            mx = row[j] > mx ? row[j] : mx;
    double sum = 0.0;
    for (int r = 0; r < n_runs; r++) {
        float sr = 0.0f;
#pragma omp simd reduction(+ : sr)
        for (int j = runs[r].lo; j < runs[r].hi; j++) {
            row[j] = senti_expf(row[j] - mx);
            sr += row[j];
        }
        sum += sr;
    }
    const float inv = (float)(1.0 / sum);
    int j = 0;
    for (int r = 0; r < n_runs; r++) {
        for (; j < runs[r].lo; j++)
            row[j] = 0.0f;
#pragma omp simd
        for (int k = runs[r].lo; k < runs[r].hi; k++)
            row[k] *= inv;
        j = runs[r].hi > j ? runs[r].hi : j;
    }
    for (; j < n_keys; j++)
        row[j] = 0.0f;
}

/* The cache rows that chunk token t may attend to, as three runs: the cached
 * positions before the chunk, its parent run in the chunk and its own run up
 * to itself (a run may be empty). A sliding window of W keeps the keys at
 * positions > p - W, p = token_pos(t). */
static void visible_keys(const senti_context *ctx, int p0, int t, bool swa, key_run run[3])
{
    const int W = ctx->m->hp.sliding_window, s = ctx->seq_start[t], ps = ctx->par_start[t], pl = ctx->par_len[t];
    const int p = token_pos(ctx, p0, t);
    const int lo = swa && p - W + 1 > 0 ? p - W + 1 : 0; /* first visible position */
    int skip;
    run[0] = (key_run){lo < p0 ? lo : p0, p0};
    skip = lo > p0 ? lo - p0 : 0; /* parent token i sits at position p0 + i */
    run[1] = (key_run){p0 + ps + (skip < pl ? skip : pl), p0 + ps + pl};
    skip = lo > p0 + pl ? lo - p0 - pl : 0; /* own token i at position p0 + pl + i */
    run[2] = (key_run){p0 + s + skip, p0 + t + 1};
}

/* Rows t0..t0+nt-1 of the G = n_head / n_head_kv query heads that share KV
 * head kh, stacked into one [G*nt][hd] block (row j*nt + r is head kh*G + j
 * of row r) so the keys and values are packed once for all of them:
 * S = scale * Q K^T over the keys those rows may see, masked softmax, then
 * S V, scattered back into att. The keys are at most two runs of cache rows:
 * [ka, ka + na) before the chunk and [kb, kb + nb) from the first chunk key
 * any of the rows sees. For one sequence they touch and are one run (na = 0);
 * for packed sequences the keys of the sequences before are skipped.
 * S, Qs and Os are the calling thread's scratch. */
static void attention_rows(senti_context *ctx, int il, int p0, const int *rows, int t0, int nt, int kh, bool swa,
                           float *S, float *Qs, float *Os)
{
    const senti_model *m = ctx->m;
    const senti_hparams *hp = &m->hp;
    const int hd = hp->head_dim, kvd = ctx->n_kv_dim, G = hp->n_head / hp->n_head_kv;
    const int qd = hp->n_head * hd, kend = p0 + (rows ? rows[t0 + nt - 1] : t0 + nt - 1) + 1, M = G * nt;
    int ka = p0, kb = kend;
    key_run run[3];
    for (int r = 0; r < nt; r++) {
        visible_keys(ctx, p0, rows ? rows[t0 + r] : t0 + r, swa, run);
        ka = run[0].lo < run[0].hi && run[0].lo < ka ? run[0].lo : ka;
        for (int k = 1; k < 3; k++)
            kb = run[k].lo < run[k].hi && run[k].lo < kb ? run[k].lo : kb;
    }
    int na = p0 - ka;
    if (na > 0 && kb == p0) { /* the runs touch: one run */
        kb = ka;
        na = 0;
    }
    const int nb = kend - kb, n_keys = na + nb;
    const float *Kc = ctx->k_cache + (size_t)il * ctx->n_ctx * kvd + (size_t)kh * hd;
    const float *Vc = ctx->v_cache + (size_t)il * ctx->n_ctx * kvd + (size_t)kh * hd;
    for (int j = 0; j < G; j++)
        for (int r = 0; r < nt; r++)
            memcpy(Qs + ((size_t)j * nt + r) * hd, ctx->q + (size_t)(t0 + r) * qd + (size_t)(kh * G + j) * hd,
                   (size_t)hd * sizeof(float));
    if (na > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, na, hd, m->attn_scale, Qs, hd, Kc + (size_t)ka * kvd,
                    kvd, 0.0f, S, n_keys);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, nb, hd, m->attn_scale, Qs, hd, Kc + (size_t)kb * kvd, kvd,
                0.0f, S + na, n_keys);
    for (int r = 0; r < nt; r++) {
        visible_keys(ctx, p0, rows ? rows[t0 + r] : t0 + r, swa, run);
        /* columns: cached key c < p0 at c - ka when it has its own run, else (and
         * for every key of the chunk) at na + c - kb */
        for (int k = 0; k < 3; k++) {
            const int off = k == 0 && na > 0 ? -ka : na - kb;
            run[k] = run[k].lo < run[k].hi ? (key_run){run[k].lo + off, run[k].hi + off} : (key_run){0, 0};
        }
        for (int j = 0; j < G; j++)
            softmax_runs(S + ((size_t)j * nt + r) * n_keys, n_keys, run, 3);
    }
    if (na > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, hd, na, 1.0f, S, n_keys, Vc + (size_t)ka * kvd, kvd,
                    0.0f, Os, hd);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, hd, nb, 1.0f, S + na, n_keys, Vc + (size_t)kb * kvd,
                kvd, na > 0 ? 1.0f : 0.0f, Os, hd);
    for (int j = 0; j < G; j++)
        for (int r = 0; r < nt; r++)
            memcpy(ctx->att + (size_t)(t0 + r) * qd + (size_t)(kh * G + j) * hd, Os + ((size_t)j * nt + r) * hd,
                   (size_t)hd * sizeof(float));
}

/* att[t][h] = softmax(scale * q[t][h] . K^T) V over the cached keys of layer il,
 * for T query rows of the chunk at positions p0.. (their keys already in the
 * cache); query row t is chunk token rows[t] (ascending; NULL: token t). Work
 * items are (KV head, block of query rows), spread over the threads; the
 * blocks are small enough that there are at least 2 * SENTI_TILE_SPLIT items
 * (the split depends on T and the model alone, not on the thread count). */
static void attention(senti_context *ctx, int il, int p0, int T, const int *rows, bool swa)
{
    const int n_kv = ctx->m->hp.n_head_kv, want = (2 * SENTI_TILE_SPLIT + n_kv - 1) / n_kv;
    int n_blk = (T + SENTI_ATT_ROWS - 1) / SENTI_ATT_ROWS;
    n_blk = n_blk < want ? (want < T ? want : T) : n_blk;
    const int per = (T + n_blk - 1) / n_blk; /* query rows per block */
    n_blk = (T + per - 1) / per;
#pragma omp parallel for num_threads(ctx->n_threads) schedule(dynamic, 1)
    for (int item = 0; item < n_kv * n_blk; item++) {
        const int kh = item / n_blk, t0 = (item % n_blk) * per, nt = T - t0 < per ? T - t0 : per;
        const size_t me = (size_t)omp_get_thread_num();
        attention_rows(ctx, il, p0, rows, t0, nt, kh, swa, ctx->scores + me * ctx->scores_floats,
                       ctx->att_q + me * ctx->att_qo_floats, ctx->att_o + me * ctx->att_qo_floats);
    }
}

/* ---- one transformer block ------------------------------------------------------------- */

/* Move rows rows[0..n) of a [T][E] array to its first n rows (rows ascending,
 * so no row is overwritten before it is read; NULL: nothing to do). */
static void gather_rows(float *a, const int *rows, int n, int E)
{
    for (int t = 0; rows && t < n; t++)
        if (rows[t] != t)
            memcpy(a + (size_t)t * E, a + (size_t)rows[t] * E, (size_t)E * sizeof(float));
}

/* Attention sub-layer of layer il for the T chunk tokens. Keys and values are
 * computed for all of them (they go to the cache); queries, attention and the
 * output projection only for the nq rows listed in `rows` (ascending; NULL:
 * all T, nq = T), whose residual rows get the result. */
static void attn_block(senti_context *ctx, int il, int p0, int T, const int *rows, int nq)
{
    const senti_model *m = ctx->m;
    const senti_hparams *hp = &m->hp;
    const senti_layer *ly = &m->layers[il];
    const int E = hp->n_embd, hd = hp->head_dim, qd = hp->n_head * hd, kvd = ctx->n_kv_dim;
    float *kc = ctx->k_cache + ((size_t)il * ctx->n_ctx + (size_t)p0) * kvd; /* [T][kvd] */
    float *vc = ctx->v_cache + ((size_t)il * ctx->n_ctx + (size_t)p0) * kvd;

    rmsnorm(ctx->xn, ctx->x, ly->attn_norm, T, E, hp->norm_eps);
    /* 1. K and V straight into the cache rows of the new positions, with the
     * gemma3 per-head RMSNorm of k and the rotary embedding (local layers use
     * their own base); with every row wanted, Q from the same input too */
    const bool all_q = !rows && nq == T;
    const mm_job kvq[3] = {{&ly->wk, kc, kvd}, {&ly->wv, vc, kvd}, {&ly->wq, ctx->q, qd}};
    senti_matmul_shared(ctx, kvq, all_q ? 3 : 2, ctx->xn, T);
    add_bias(kc, ly->bk, T, kvd, kvd);
    add_bias(vc, ly->bv, T, kvd, kvd);
    if (ly->k_norm)
        rmsnorm(kc, kc, ly->k_norm, T * hp->n_head_kv, hd, hp->norm_eps);
    rope_apply(ctx, kc, T, NULL, hp->n_head_kv, kvd, ly->is_swa);
    if (nq == 0)
        return;
    /* 2. the same for the queries of the listed rows (gathered to the front of xn) */
    gather_rows(ctx->xn, rows, nq, E);
    if (!all_q)
        senti_matmul(ctx, &ly->wq, ctx->xn, nq, ctx->q, qd);
    add_bias(ctx->q, ly->bq, nq, qd, qd);
    if (ly->q_norm)
        rmsnorm(ctx->q, ctx->q, ly->q_norm, nq * hp->n_head, hd, hp->norm_eps);
    rope_apply(ctx, ctx->q, nq, rows, hp->n_head, qd, ly->is_swa);
    /* 3. attention and output projection */
    attention(ctx, il, p0, nq, rows, ly->is_swa);
    senti_matmul(ctx, &ly->wo, ctx->att, nq, ctx->tmp, E);
    if (ly->post_attn_norm)
        rmsnorm(ctx->tmp, ctx->tmp, ly->post_attn_norm, nq, E, hp->norm_eps);
    for (int t = 0; t < nq; t++) {
        float *xt = ctx->x + (size_t)(rows ? rows[t] : t) * E;
        const float *dt = ctx->tmp + (size_t)t * E;
        for (int i = 0; i < E; i++)
            xt[i] += dt[i];
    }
}

static void ffn_block(senti_context *ctx, int il, int T)
{
    const senti_model *m = ctx->m;
    const senti_hparams *hp = &m->hp;
    const senti_layer *ly = &m->layers[il];
    const int E = hp->n_embd, F = hp->n_ff;

    rmsnorm(ctx->xn, ctx->x, ly->ffn_norm, T, E, hp->norm_eps);
    const mm_job gate_up[2] = {{&ly->gate, ctx->ff_gate, F}, {&ly->up, ctx->ff_up, F}};
    senti_matmul_shared(ctx, gate_up, 2, ctx->xn, T);
    glu(ctx, ctx->ff_gate, ctx->ff_up, (size_t)T * F);
    senti_matmul(ctx, &ly->down, ctx->ff_gate, T, ctx->tmp, E);
    if (ly->post_ffw_norm)
        rmsnorm(ctx->tmp, ctx->tmp, ly->post_ffw_norm, T, E, hp->norm_eps);
    for (size_t i = 0; i < (size_t)T * E; i++)
        ctx->x[i] += ctx->tmp[i];
}

/* Run T tokens (T <= SENTI_MAX_BATCH) through every layer. Only the nq rows
 * listed in `rows` (ascending; NULL: all, nq = T) are wanted at the end: the
 * last layer computes just the keys and values of the others, and leaves the
 * wanted rows at the front of x (row t of the chunk at x[kept_at[t]]). */
static void run_layers(senti_context *ctx, const int32_t *tokens, int T, const int *rows, int nq)
{
    const senti_model *m = ctx->m;
    const int E = m->hp.n_embd, p0 = ctx->n_past;
    for (int t = 0; t < T; t++) {
        float *xt = ctx->x + (size_t)t * E;
        senti_dequant_row(m->tok_embd.type, senti_mat_row(&m->tok_embd, NULL, tokens[t]), xt, E);
        if (m->embd_scale != 1.0f)
            for (int i = 0; i < E; i++)
                xt[i] *= m->embd_scale;
    }
    rope_tables(ctx, p0, T);
    const int last = m->hp.n_layer - 1;
    for (int il = 0; il < last; il++) {
        attn_block(ctx, il, p0, T, NULL, T);
        ffn_block(ctx, il, T);
    }
    attn_block(ctx, last, p0, T, rows, nq);
    gather_rows(ctx->x, rows, nq, E);
    if (nq > 0)
        ffn_block(ctx, last, nq);
    ctx->n_past += T;
}

/* ---- outputs --------------------------------------------------------------------------- */

static float softcap(const senti_model *m, float v)
{
    return m->final_softcap > 0.0f ? m->final_softcap * tanhf(v / m->final_softcap) : v;
}

/* Full-vocabulary pass over the n gathered hidden rows: copies the logits when
 * the caller wants all rows, accumulates the logsumexp when asked. */
static void outputs_full(senti_context *ctx, int n, const senti_outputs *out)
{
    const senti_model *m = ctx->m;
    const int64_t V = m->hp.n_vocab, tr = SENTI_OUT_BLOCK;
    const bool copy = out->logits && !out->vocab;
    for (int k = 0; k < n; k++) {
        ctx->lse_max[k] = -INFINITY;
        ctx->lse_sum[k] = 0.0;
    }
    for (int64_t r0 = 0; r0 < V; r0 += tr) {
        int64_t nr = V - r0 < tr ? V - r0 : tr;
        senti_mat blk = m->output;
        blk.data = senti_mat_row(&m->output, NULL, r0);
        blk.rows = nr;
        senti_matmul_rows(ctx, &blk, NULL, nr, ctx->hid, n, ctx->tile_out, nr); /* [n][nr] */
        for (int k = 0; k < n; k++) {
            float *row = ctx->tile_out + (size_t)k * nr;
            double mx = ctx->lse_max[k], sum = ctx->lse_sum[k];
            for (int64_t j = 0; j < nr; j++) {
                row[j] = softcap(m, row[j]);
                if (row[j] > mx) {
                    sum *= exp(mx - row[j]);
                    mx = row[j];
                }
                sum += exp(row[j] - mx);
            }
            ctx->lse_max[k] = mx;
            ctx->lse_sum[k] = sum;
            if (copy)
                memcpy(out->logits + (size_t)ctx->out_idx[k] * V + r0, row, (size_t)nr * sizeof(float));
        }
    }
    if (out->logsumexp)
        for (int k = 0; k < n; k++)
            out->logsumexp[ctx->out_idx[k]] = (float)(ctx->lse_max[k] + log(ctx->lse_sum[k]));
}

/* Logits of the selected vocabulary rows only. */
static void outputs_subset(senti_context *ctx, int n, const senti_outputs *out)
{
    const senti_model *m = ctx->m;
    const int64_t tr = SENTI_OUT_BLOCK, ns = out->n_vocab_sel;
    for (int64_t r0 = 0; r0 < ns; r0 += tr) {
        int64_t nr = ns - r0 < tr ? ns - r0 : tr;
        senti_matmul_rows(ctx, &m->output, out->vocab + r0, nr, ctx->hid, n, ctx->tile_out, nr);
        for (int k = 0; k < n; k++)
            for (int64_t j = 0; j < nr; j++)
                out->logits[(size_t)ctx->out_idx[k] * ns + r0 + j] = softcap(m, ctx->tile_out[(size_t)k * nr + j]);
    }
}

/* Outputs whose positions fall in this chunk [c0, c0+T), in groups of at most B rows. */
static void chunk_outputs(senti_context *ctx, int c0, int T, const senti_outputs *out)
{
    const senti_model *m = ctx->m;
    const int E = m->hp.n_embd;
    int n = 0;
    for (int i = 0; i <= out->n_out; i++) {
        bool flush = i == out->n_out || n == SENTI_MAX_BATCH;
        if (flush && n > 0) {
            if (out->logsumexp || (out->logits && !out->vocab))
                outputs_full(ctx, n, out);
            if (out->logits && out->vocab)
                outputs_subset(ctx, n, out);
            n = 0;
        }
        if (i == out->n_out)
            break;
        int p = out->pos[i] - c0;
        if (p < 0 || p >= T)
            continue;
        float *h = ctx->hid + (size_t)n * E;
        rmsnorm(h, ctx->x + (size_t)ctx->kept_at[p] * E, m->output_norm, 1, E, m->hp.norm_eps);
        if (out->hidden && (!out->n_hidden || i < out->n_hidden))
            memcpy(out->hidden + (size_t)i * E, h, (size_t)E * sizeof(float));
        ctx->out_idx[n++] = i;
    }
}

/* ---- decode ------------------------------------------------------------------------------ */

/* The chunk rows [c0, c0 + T) that outputs read, ascending, into ctx->keep
 * (and kept_at[t] = index of row t among them); returns how many. */
static int wanted_rows(senti_context *ctx, int c0, int T, const senti_outputs *out)
{
    for (int t = 0; t < T; t++)
        ctx->kept_at[t] = -1;
    for (int i = 0; out && i < out->n_out; i++)
        if (out->pos[i] >= c0 && out->pos[i] < c0 + T)
            ctx->kept_at[out->pos[i] - c0] = 0;
    int n = 0;
    for (int t = 0; t < T; t++)
        if (ctx->kept_at[t] == 0) {
            ctx->kept_at[t] = n;
            ctx->keep[n++] = t;
        }
    return n;
}

static senti_status check_args(const senti_context *ctx, const int32_t *tokens, int n, const senti_outputs *out,
                               senti_err *err)
{
    const senti_hparams *hp = &ctx->m->hp;
    if (!tokens || n <= 0)
        return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: no tokens");
    if (n > ctx->n_ctx - ctx->n_past)
        return senti_err_set(err, SENTI_ERR_RANGE, "senti_decode: %d tokens after %d do not fit in a context of %d",
                             n, ctx->n_past, ctx->n_ctx);
    for (int t = 0; t < n; t++)
        if (tokens[t] < 0 || tokens[t] >= hp->n_vocab)
            return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: token %d at index %d outside the vocabulary (%d)",
                                 tokens[t], t, hp->n_vocab);
    if (!out || out->n_out == 0)
        return SENTI_OK;
    if (out->n_out < 0 || !out->pos)
        return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: n_out %d without positions", out->n_out);
    for (int i = 0; i < out->n_out; i++)
        if (out->pos[i] < 0 || out->pos[i] >= n)
            return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: output position %d outside 0..%d", out->pos[i],
                                 n - 1);
    if (out->vocab) {
        if (out->n_vocab_sel <= 0)
            return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: empty vocabulary selection");
        for (int j = 0; j < out->n_vocab_sel; j++)
            if (out->vocab[j] < 0 || out->vocab[j] >= hp->n_vocab)
                return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: selected token %d outside the vocabulary",
                                     out->vocab[j]);
    }
    return SENTI_OK;
}

/* Our threads call single-threaded BLAS on their own tiles; returns the
 * caller's BLAS thread count for threads_end(). */
static int threads_begin(senti_context *ctx)
{
    int nt = senti_get_threads();
    ctx->n_threads = nt < ctx->max_threads ? nt : ctx->max_threads;
    if (nt > 1)
        senti_blas_one_thread(true);
    return nt;
}

static void threads_end(int nt)
{
    if (nt > 1)
        senti_blas_one_thread(false);
}

senti_status senti_decode(senti_context *ctx, const int32_t *tokens, int n, const senti_outputs *out,
                          senti_err *err)
{
    if (!ctx)
        return senti_err_set(err, SENTI_ERR_ARG, "senti_decode: NULL context");
    senti_status s = check_args(ctx, tokens, n, out, err);
    if (s)
        return s;
    int nt = threads_begin(ctx);
    for (int c0 = 0; c0 < n; c0 += SENTI_MAX_BATCH) {
        int T = n - c0 < SENTI_MAX_BATCH ? n - c0 : SENTI_MAX_BATCH;
        /* one sequence */
        memset(ctx->seq_start, 0, (size_t)T * sizeof *ctx->seq_start);
        memset(ctx->par_len, 0, (size_t)T * sizeof *ctx->par_len);
        memset(ctx->par_start, 0, (size_t)T * sizeof *ctx->par_start);
        run_layers(ctx, tokens + c0, T, ctx->keep, wanted_rows(ctx, c0, T, out));
        if (out && out->n_out > 0)
            chunk_outputs(ctx, c0, T, out);
    }
    threads_end(nt);
    return SENTI_OK;
}

senti_status senti_decode_multi(senti_context *ctx, const int32_t *tokens, const int *seq_len, const int *seq_parent,
                                int n_seq, const senti_outputs *out, senti_err *err)
{
    if (!ctx || !seq_len || n_seq < 1)
        return senti_err_set(err, SENTI_ERR_ARG, "senti_decode_multi: no sequences");
    int n = 0;
    for (int i = 0; i < n_seq; i++) {
        if (seq_len[i] < 1)
            return senti_err_set(err, SENTI_ERR_ARG, "senti_decode_multi: sequence %d is empty", i);
        int par = seq_parent ? seq_parent[i] : -1;
        if (par < -1 || par >= i || (par >= 0 && seq_parent[par] >= 0))
            return senti_err_set(err, SENTI_ERR_ARG,
                                 "senti_decode_multi: sequence %d continues %d, which is not an earlier sequence "
                                 "that continues only the cache",
                                 i, par);
        if (seq_len[i] > SENTI_MAX_BATCH - n)
            return senti_err_set(err, SENTI_ERR_RANGE, "senti_decode_multi: more than %d tokens in one call",
                                 SENTI_MAX_BATCH);
        n += seq_len[i];
    }
    senti_status s = check_args(ctx, tokens, n, out, err);
    if (s)
        return s;
    for (int i = 0, t0 = 0; i < n_seq; t0 += seq_len[i++]) {
        const int par = seq_parent ? seq_parent[i] : -1;
        int ps = 0;
        for (int k = 0; k < par; k++)
            ps += seq_len[k];
        for (int j = 0; j < seq_len[i]; j++) {
            ctx->seq_start[t0 + j] = t0;
            ctx->par_start[t0 + j] = ps;
            ctx->par_len[t0 + j] = par >= 0 ? seq_len[par] : 0;
        }
    }
    int nt = threads_begin(ctx), p0 = ctx->n_past;
    run_layers(ctx, tokens, n, ctx->keep, wanted_rows(ctx, 0, n, out));
    if (out && out->n_out > 0)
        chunk_outputs(ctx, 0, n, out);
    ctx->n_past = p0; /* the sequences' keys and values are dropped */
    threads_end(nt);
    return SENTI_OK;
}

int senti_decode_multi_max_tokens(void) { return SENTI_MAX_BATCH; }

void senti_log_softmax(float *x, int n)
{
    if (n <= 0)
        return;
    float lse = (float)senti_logsumexp_f32(x, (size_t)n);
    for (int i = 0; i < n; i++)
        x[i] -= lse;
}
