/*
 * report_internal.h - what the report writers share: the loaded results tree
 * and small formatting helpers. Not installed.
 */
#ifndef SENTI_REPORT_INTERNAL_H
#define SENTI_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdio.h>

#include "senti/report.h"

struct senti_results {
    json_t *root;        /* the whole file, owned */
    json_t *cells;       /* borrowed: root.cells (array of objects) */
    json_t *groups;      /* borrowed: root.groups (array) or NULL */
    json_t *comparisons; /* borrowed: root.comparisons (array) or NULL */
    json_t *source;      /* borrowed: root.source, set for a predictions file (report_pred.c), else NULL */
    char *path;          /* the results.json read */
};

/* Rows listed as the worst calibrated in a predictions report. */
#define REP_WORST_ROWS 10

/* Metrics shown in summaries, in order; `higher` 1 when larger is better. */
typedef struct {
    const char *key, *title;
    int higher;
} rep_metric;
extern const rep_metric senti_rep_metrics[];
extern const size_t senti_rep_n_metrics;

/* Number of a JSON value (NaN for null/missing/non-number). */
double rep_num(const json_t *v);
/* String member or "" (never NULL). */
const char *rep_str(const json_t *obj, const char *key);
/* metrics.<key>.value / .lo / .hi of a cell (NaN when absent). */
double rep_metric_value(const json_t *cell, const char *key);
void rep_metric_ci(const json_t *cell, const char *key, double *lo, double *hi);
/* "0.842" (3 decimals), a difference "+0.012", a p-value "0.0123" (%.4g), or
 * "n/a" for a value that is not finite; buf >= 32 bytes. */
const char *rep_fmt(double v, char *buf);
const char *rep_fmt_diff(double v, char *buf);
const char *rep_fmt_p(double v, char *buf);
/* Write text escaped for HTML/XML. */
void rep_xml_escape(FILE *f, const char *s);
/* Write text escaped for a Markdown table cell (| and newlines). */
void rep_md_escape(FILE *f, const char *s);
/* The cell object named `name`, or NULL. */
json_t *rep_find_cell(const senti_results *r, const char *name);

/* Rows where only cell a / only cell b is right, from their correct_bits:
 * 0, or -1 when they were scored on different rows (rows_sha256, n), -2 when
 * either lacks the bits. */
int rep_discordant(const json_t *a, const json_t *b, size_t *only_a, size_t *only_b);

/* One line of the summary: a group of cells that differ only by seed (or a
 * single cell when results.json has no groups). */
#define REP_MAX_METRICS 8
typedef struct {
    const json_t *group;      /* the group object, or NULL */
    const json_t *first;      /* its first cell */
    const char *name;
    size_t n_cells;           /* seeds */
    double mean[REP_MAX_METRICS], std[REP_MAX_METRICS]; /* over cells (std: ddof 1; 0 for one cell) */
    double min[REP_MAX_METRICS], max[REP_MAX_METRICS];
    double lo[REP_MAX_METRICS], hi[REP_MAX_METRICS];    /* CI of the single cell; NaN for several */
} rep_row;

/* The summary rows; caller frees the array. NULL on allocation failure. */
rep_row *rep_rows(const senti_results *r, size_t *n);
/* "0.640 [0.575, 0.705]" or "0.797 ± 0.025" (3 decimals); buf >= REP_FMT_ROW_MAX
 * bytes, room for three rep_fmt numbers (31 characters each) and the brackets. */
#define REP_FMT_ROW_MAX 100
const char *rep_fmt_row(const rep_row *row, size_t m, char *buf);

/* ---- against the best baseline (report_baseline.c) ---- */

/* A summary row next to the best baseline of its dataset: the baseline cell
 * (kind "baseline") with the highest accuracy on the same dataset (ties: the
 * first), each of the row's cells paired with it by the exact McNemar test. */
typedef struct {
    const rep_row *row;
    const json_t *base;   /* the best baseline cell */
    size_t n_cells;       /* cells of the row compared (same rows as the baseline) */
    size_t n_better, n_worse; /* significantly (p < 0.05) more / fewer rows right */
    double p_min, p_max;  /* over the compared cells */
    double diff;          /* row mean accuracy - baseline accuracy */
} rep_vs_base;

/* Fill out[] (room for n) for every row of a dataset that has a baseline,
 * except the best baseline's own row; returns how many (0: no baseline). */
size_t rep_vs_baseline(const senti_results *r, const rep_row *rows, size_t n, rep_vs_base *out);
/* 1 beats the baseline (every cell significantly better), -1 significantly
 * worse in every cell, 0 otherwise (no significant difference or mixed). */
int rep_vs_mark(const rep_vs_base *v);
/* The verdict in words, e.g. "better (McNemar p = 0.0021)" or "better in 3 of
 * 5 seeds, worse in 0 (p 0.0001-0.21)"; buf >= 128 bytes. */
const char *rep_vs_verdict(const rep_vs_base *v, char *buf, size_t cap);
/* The section (Markdown, HTML); nothing when no dataset has a baseline. */
void rep_md_vs_baseline(FILE *f, const senti_results *r, const rep_row *rows, size_t n);
void rep_html_vs_baseline(FILE *f, const senti_results *r, const rep_row *rows, size_t n);

#endif
