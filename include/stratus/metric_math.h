/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch metric math: the expressions of GetMetricData's MetricDataQueries ("m1 + m2",
 * "SUM(METRICS())", "RATE(m1) * 60", "FILL(m1, 0)"). st_mm_parse turns an expression into a
 * tree; st_mm_eval evaluates it over time series on one time grid (start, period, n cells;
 * a missing point is NaN), looking query ids up through a caller's callback.
 *
 * Supported: numbers, ids, + - * / ^ and unary minus with the usual precedence, parentheses,
 * and the functions SUM, AVG, MIN, MAX (of a time series: a scalar; of an array of series: a
 * series), METRICS() and METRICS("text") (the metric queries whose label or id contains
 * text), RATE (per second, between consecutive points), DIFF, ABS, FILL(x, number | REPEAT |
 * LINEAR). Arithmetic on two series is point by point and missing where either is missing;
 * on a series and an array it applies to each member. Not supported: SEARCH, INSIGHTS
 * queries, IF, string functions, ANOMALY_DETECTION_BAND and the others.
 */
#ifndef STRATUS_METRIC_MATH_H
#define STRATUS_METRIC_MATH_H

#include <stddef.h>
#include <stdint.h>

#include "stratus/arena.h"
#include "stratus/error.h"

#define ST_MM_MAX_EXPRESSION 2048
#define ST_MM_MAX_DEPTH      32
#define ST_MM_MAX_ARGS       16
#define ST_MM_MAX_ARRAY      500

enum st_mm_node_kind {
    ST_MM_NUM,
    ST_MM_ID,
    ST_MM_STR,
    ST_MM_NEG,
    ST_MM_BINOP, /* op: + - * / ^ */
    ST_MM_CALL,  /* name: upper case */
};

struct st_mm_node {
    enum st_mm_node_kind kind;
    char op;
    double num;
    const char *name; /* ST_MM_ID, ST_MM_STR, ST_MM_CALL (NUL-terminated, in the arena) */
    struct st_mm_node *args[ST_MM_MAX_ARGS]; /* NEG: [0]; BINOP: [0], [1]; CALL: n_args */
    unsigned n_args;
};

/* Parses expr[0..len) into a tree allocated in arena; -EINVAL with a ValidationError-style
 * InvalidParameterValue naming the position on a syntax error. */
int st_mm_parse(const char *expr, size_t len, struct st_arena *arena, struct st_mm_node **ret,
                struct st_error *err);

enum st_mm_kind {
    ST_MM_SCALAR,
    ST_MM_SERIES,
    ST_MM_ARRAY,
};

/* A series is the grid's n cells (NaN: no value). An array is a list of labelled series. */
struct st_mm_value {
    enum st_mm_kind kind;
    double scalar;
    double *v;                 /* ST_MM_SERIES: n values */
    const char *label;         /* ST_MM_SERIES: the source's label, when one */
    struct st_mm_value *items; /* ST_MM_ARRAY */
    size_t n_items;
};

struct st_mm_grid {
    int64_t start_ms;
    int64_t period_ms;
    size_t n;
};

/* How st_mm_eval finds what an expression names. Both return 0 or -ENOENT (unknown id); they
 * fill *ret with a value that stays valid for the evaluation (series on the same grid). */
struct st_mm_env {
    int (*lookup)(void *ctx, const char *id, struct st_mm_value *ret, struct st_error *err);
    /* METRICS(filter): every metric query whose label or id contains filter ("" = all). */
    int (*metrics)(void *ctx, const char *filter, struct st_mm_value *ret, struct st_error *err);
    void *ctx;
};

/* Evaluates node on grid; results are allocated in arena. -EINVAL with err on a type or
 * name error ("RATE takes a time series"), -ENOMEM when the arena is full. */
int st_mm_eval(const struct st_mm_node *node, const struct st_mm_grid *grid,
               const struct st_mm_env *env, struct st_arena *arena, struct st_mm_value *ret,
               struct st_error *err);

/* Calls fn for every id node reads (for dependency ordering); stops at and returns the first
 * non-zero result of fn. */
int st_mm_visit_ids(const struct st_mm_node *node, int (*fn)(void *ctx, const char *id), void *ctx);

#endif
