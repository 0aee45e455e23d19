/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch metric math (metric_math.h): a recursive-descent parser with capped length, depth
 * and argument counts, and an evaluator over dense series on one time grid. Everything is
 * allocated in the caller's arena.
 */
#include "stratus/metric_math.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---- */

struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    struct st_arena *a;
    struct st_error *err;
};

static int syntax(struct parser *p, const char *what)
{
    return st_error_set(p->err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "Error in expression at position %zu: %s.", p->pos + 1, what);
}

static void skip_space(struct parser *p)
{
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos])) {
        p->pos++;
    }
}

static int peek(struct parser *p)
{
    skip_space(p);
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static struct st_mm_node *new_node(struct parser *p, enum st_mm_node_kind kind)
{
    struct st_mm_node *n = st_arena_alloc(p->a, sizeof(*n));
    if (n) {
        memset(n, 0, sizeof(*n));
        n->kind = kind;
    }
    return n;
}

static char *copy(struct parser *p, const char *s, size_t n)
{
    char *c = st_arena_alloc(p->a, n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

static int parse_expr(struct parser *p, struct st_mm_node **ret);

static const char *const functions[] = {"SUM",
                                        "AVG",
                                        "MIN",
                                        "MAX",
                                        "METRICS",
                                        "RATE",
                                        "DIFF",
                                        "ABS",
                                        "FILL",
                                        "IF",
                                        "CEIL",
                                        "FLOOR",
                                        "LOG",
                                        "LOG10",
                                        "PERIOD",
                                        "RUNNING_SUM",
                                        "DATAPOINT_COUNT",
                                        "METRIC_COUNT",
                                        "TIME_SERIES",
                                        "EPOCH",
                                        "DIFF_TIME",
                                        NULL};

/* Whether the text at p->pos is the word w (upper case, not followed by an identifier char). */
static bool at_word(struct parser *p, const char *w)
{
    size_t n = strlen(w);
    if (peek(p) < 0 || p->len - p->pos < n || strncmp(p->s + p->pos, w, n) != 0) {
        return false;
    }
    return p->pos + n == p->len ||
           !(isalnum((unsigned char)p->s[p->pos + n]) || p->s[p->pos + n] == '_');
}

static int parse_primary(struct parser *p, struct st_mm_node **ret)
{
    int ch = peek(p);
    if (ch < 0) {
        return syntax(p, "unexpected end of the expression");
    }
    if (ch == '(') {
        p->pos++;
        int r = parse_expr(p, ret);
        if (r < 0) {
            return r;
        }
        if (peek(p) != ')') {
            return syntax(p, "expected ')'");
        }
        p->pos++;
        return 0;
    }
    if (isdigit(ch) || ch == '.') {
        char buf[64];
        size_t n = 0;
        while (p->pos < p->len && n + 1 < sizeof(buf) &&
               (isdigit((unsigned char)p->s[p->pos]) || p->s[p->pos] == '.' ||
                ((p->s[p->pos] == 'e' || p->s[p->pos] == 'E') && n > 0) ||
                ((p->s[p->pos] == '+' || p->s[p->pos] == '-') && n > 0 &&
                 (buf[n - 1] == 'e' || buf[n - 1] == 'E')))) {
            buf[n++] = p->s[p->pos++];
        }
        buf[n] = '\0';
        char *end;
        double v = strtod(buf, &end);
        if (end == buf || *end != '\0' || !isfinite(v)) {
            return syntax(p, "bad number");
        }
        struct st_mm_node *node = new_node(p, ST_MM_NUM);
        if (!node) {
            return -ENOMEM;
        }
        node->num = v;
        *ret = node;
        return 0;
    }
    if (ch == '"') {
        size_t start = ++p->pos;
        while (p->pos < p->len && p->s[p->pos] != '"') {
            p->pos++;
        }
        if (p->pos >= p->len) {
            return syntax(p, "unterminated string");
        }
        struct st_mm_node *node = new_node(p, ST_MM_STR);
        if (!node || !(node->name = copy(p, p->s + start, p->pos - start))) {
            return -ENOMEM;
        }
        p->pos++;
        *ret = node;
        return 0;
    }
    if (isalpha(ch) || ch == '_') {
        size_t start = p->pos;
        while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_')) {
            p->pos++;
        }
        size_t n = p->pos - start;
        if (peek(p) != '(') {
            struct st_mm_node *node = new_node(p, ST_MM_ID);
            if (!node || !(node->name = copy(p, p->s + start, n))) {
                return -ENOMEM;
            }
            *ret = node;
            return 0;
        }
        struct st_mm_node *node = new_node(p, ST_MM_CALL);
        if (!node || !(node->name = copy(p, p->s + start, n))) {
            return -ENOMEM;
        }
        bool known = false;
        for (size_t i = 0; functions[i]; i++) {
            known |= strcmp(node->name, functions[i]) == 0;
        }
        if (!known) {
            p->pos = start;
            return syntax(p, "unknown or unsupported function");
        }
        p->pos++; /* '(' */
        if (peek(p) == ')') {
            p->pos++;
            *ret = node;
            return 0;
        }
        for (;;) {
            if (node->n_args == ST_MM_MAX_ARGS) {
                return syntax(p, "too many arguments");
            }
            int r = parse_expr(p, &node->args[node->n_args]);
            if (r < 0) {
                return r;
            }
            node->n_args++;
            ch = peek(p);
            if (ch == ',') {
                p->pos++;
                continue;
            }
            if (ch != ')') {
                return syntax(p, "expected ',' or ')'");
            }
            p->pos++;
            break;
        }
        *ret = node;
        return 0;
    }
    return syntax(p, "unexpected character");
}

static int parse_unary(struct parser *p, struct st_mm_node **ret);

static int parse_power(struct parser *p, struct st_mm_node **ret)
{
    int r = parse_unary(p, ret);
    if (r < 0 || peek(p) != '^') {
        return r;
    }
    p->pos++;
    struct st_mm_node *node = new_node(p, ST_MM_BINOP);
    if (!node) {
        return -ENOMEM;
    }
    node->op = '^';
    node->args[0] = *ret;
    if (++p->depth > ST_MM_MAX_DEPTH) {
        return syntax(p, "the expression nests too deeply");
    }
    r = parse_power(p, &node->args[1]); /* right-associative */
    p->depth--;
    *ret = node;
    return r;
}

static int parse_unary(struct parser *p, struct st_mm_node **ret)
{
    if (++p->depth > ST_MM_MAX_DEPTH) {
        return syntax(p, "the expression nests too deeply");
    }
    int r;
    if (peek(p) == '-') {
        p->pos++;
        struct st_mm_node *node = new_node(p, ST_MM_NEG);
        if (!node) {
            return -ENOMEM;
        }
        r = parse_unary(p, &node->args[0]);
        *ret = node;
    } else {
        r = parse_primary(p, ret);
    }
    p->depth--;
    return r;
}

static int parse_binary(struct parser *p, struct st_mm_node **ret, int level)
{
    static const char *const ops[] = {"+-", "*/"};
    int r = level == 1 ? parse_power(p, ret) : parse_binary(p, ret, level + 1);
    while (r == 0) {
        int ch = peek(p);
        if (ch < 0 || !strchr(ops[level], ch)) {
            break;
        }
        p->pos++;
        struct st_mm_node *node = new_node(p, ST_MM_BINOP);
        if (!node) {
            return -ENOMEM;
        }
        node->op = (char)ch;
        node->args[0] = *ret;
        r = level == 1 ? parse_power(p, &node->args[1])
                       : parse_binary(p, &node->args[1], level + 1);
        *ret = node;
    }
    return r;
}

static struct st_mm_node *binop(struct parser *p, char op, struct st_mm_node *x)
{
    struct st_mm_node *node = new_node(p, ST_MM_BINOP);
    if (node) {
        node->op = op;
        node->args[0] = x;
    }
    return node;
}

/* The comparison operator at p->pos as its op char (0: none), and its length. */
static char comparison_op(struct parser *p, size_t *len)
{
    int ch = peek(p);
    char next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
    *len = next == '=' ? 2 : 1;
    switch (ch) {
    case '<':
        return next == '=' ? 'l' : '<';
    case '>':
        return next == '=' ? 'g' : '>';
    case '=':
        return next == '=' ? '=' : 0;
    case '!':
        return next == '=' ? '!' : 0;
    }
    return 0;
}

/* additive [comparison additive]: comparisons do not chain. */
static int parse_comparison(struct parser *p, struct st_mm_node **ret)
{
    int r = parse_binary(p, ret, 0);
    size_t len;
    char op;
    if (r < 0 || !(op = comparison_op(p, &len))) {
        return r;
    }
    p->pos += len;
    struct st_mm_node *node = binop(p, op, *ret);
    if (!node) {
        return -ENOMEM;
    }
    *ret = node;
    if ((r = parse_binary(p, &node->args[1], 0)) < 0) {
        return r;
    }
    if (comparison_op(p, &len)) {
        return syntax(p, "comparisons do not chain; use AND");
    }
    return 0;
}

/* NOT x (or !x) is x == 0. */
static int parse_not(struct parser *p, struct st_mm_node **ret)
{
    bool word = at_word(p, "NOT");
    size_t len;
    if (!word && !(peek(p) == '!' && !comparison_op(p, &len))) {
        return parse_comparison(p, ret);
    }
    if (++p->depth > ST_MM_MAX_DEPTH) {
        return syntax(p, "the expression nests too deeply");
    }
    p->pos += word ? 3 : 1;
    struct st_mm_node *zero = new_node(p, ST_MM_NUM);
    struct st_mm_node *node = binop(p, '=', NULL);
    if (!zero || !node) {
        return -ENOMEM;
    }
    node->args[1] = zero;
    int r = parse_not(p, &node->args[0]);
    p->depth--;
    *ret = node;
    return r;
}

/* x AND y (&&) binds tighter than x OR y (||). */
static int parse_logical(struct parser *p, struct st_mm_node **ret, bool or)
{
    const char *word = or ? "OR" : "AND", *sym = or ? "||" : "&&";
    int r = or ? parse_logical(p, ret, false) : parse_not(p, ret);
    while (r == 0) {
        size_t len;
        if (at_word(p, word)) {
            len = strlen(word);
        } else if (peek(p) >= 0 && p->len - p->pos >= 2 && strncmp(p->s + p->pos, sym, 2) == 0) {
            len = 2;
        } else {
            break;
        }
        p->pos += len;
        struct st_mm_node *node = binop(p, or ? '|' : '&', *ret);
        if (!node) {
            return -ENOMEM;
        }
        *ret = node;
        r = or ? parse_logical(p, &node->args[1], false) : parse_not(p, &node->args[1]);
    }
    return r;
}

static int parse_expr(struct parser *p, struct st_mm_node **ret)
{
    if (++p->depth > ST_MM_MAX_DEPTH) {
        return syntax(p, "the expression nests too deeply");
    }
    int r = parse_logical(p, ret, true);
    p->depth--;
    return r;
}

int st_mm_parse(const char *expr, size_t len, struct st_arena *arena, struct st_mm_node **ret,
                struct st_error *err)
{
    struct parser p = {.s = expr, .len = len, .a = arena, .err = err};
    if (len == 0 || len > ST_MM_MAX_EXPRESSION) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The expression must be 1 to %d characters.", ST_MM_MAX_EXPRESSION);
    }
    if (memchr(expr, '\0', len)) {
        return syntax(&p, "NUL character");
    }
    int r = parse_expr(&p, ret);
    if (r == 0 && peek(&p) >= 0) {
        r = syntax(&p, "unexpected text after the expression");
    }
    if (r == -ENOMEM) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    return r;
}

int st_mm_visit_ids(const struct st_mm_node *node, int (*fn)(void *ctx, const char *id), void *ctx)
{
    if (node->kind == ST_MM_ID) {
        return fn(ctx, node->name);
    }
    unsigned n = node->kind == ST_MM_NEG ? 1 : node->kind == ST_MM_BINOP ? 2 : node->n_args;
    if (node->kind == ST_MM_CALL && strcmp(node->name, "FILL") == 0 && n == 2 &&
        node->args[1]->kind == ST_MM_ID) {
        n = 1; /* REPEAT / LINEAR */
    }
    for (unsigned i = 0; i < n; i++) {
        int r = st_mm_visit_ids(node->args[i], fn, ctx);
        if (r) {
            return r;
        }
    }
    return 0;
}

/* ---- evaluation ---- */

struct eval {
    const struct st_mm_grid *g;
    const struct st_mm_env *env;
    struct st_arena *a;
    struct st_error *err;
};

static int type_error(struct eval *e, const char *fn, const char *what)
{
    return st_error_set(e->err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                        "Error in expression: %s %s.", fn, what);
}

static double *new_series(struct eval *e)
{
    double *v = st_arena_alloc(e->a, (e->g->n ? e->g->n : 1) * sizeof(double));
    if (v) {
        for (size_t i = 0; i < e->g->n; i++) {
            v[i] = NAN;
        }
    }
    return v;
}

static double apply(char op, double x, double y)
{
    switch (op) {
    case '+':
        return x + y;
    case '-':
        return x - y;
    case '*':
        return x * y;
    case '/':
        return y == 0 ? NAN : x / y;
    case '^':
        return pow(x, y);
    case '<':
        return x < y;
    case '>':
        return x > y;
    case 'l':
        return x <= y;
    case 'g':
        return x >= y;
    case '=':
        return x == y;
    case '!':
        return x != y;
    case '&':
        return x != 0 && y != 0;
    case '|':
        return x != 0 || y != 0;
    }
    return NAN;
}

static double finite_or_nan(double v)
{
    return isfinite(v) ? v : NAN;
}

/* Point i of a scalar (its value at every point) or of a series. */
static double point(const struct st_mm_value *x, size_t i)
{
    return x->kind == ST_MM_SCALAR ? x->scalar : x->v[i];
}

/* x op y where each is a scalar or a series. */
static int binary_simple(struct eval *e, char op, const struct st_mm_value *x,
                         const struct st_mm_value *y, struct st_mm_value *ret)
{
    if (x->kind == ST_MM_SCALAR && y->kind == ST_MM_SCALAR) {
        *ret = (struct st_mm_value){.kind = ST_MM_SCALAR,
                                    .scalar = finite_or_nan(apply(op, x->scalar, y->scalar))};
        return 0;
    }
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < e->g->n; i++) {
        double a = point(x, i), b = point(y, i);
        v[i] = isnan(a) || isnan(b) ? NAN : finite_or_nan(apply(op, a, b));
    }
    *ret = (struct st_mm_value){
        .kind = ST_MM_SERIES, .v = v, .label = x->kind == ST_MM_SERIES ? x->label : y->label};
    return 0;
}

static int binary(struct eval *e, char op, const struct st_mm_value *x, const struct st_mm_value *y,
                  struct st_mm_value *ret)
{
    if (x->kind == ST_MM_ARRAY && y->kind == ST_MM_ARRAY) {
        return type_error(e, "arithmetic", "between two arrays of time series is not supported");
    }
    if (x->kind != ST_MM_ARRAY && y->kind != ST_MM_ARRAY) {
        return binary_simple(e, op, x, y, ret);
    }
    const struct st_mm_value *arr = x->kind == ST_MM_ARRAY ? x : y;
    struct st_mm_value *items = st_arena_alloc(e->a, (arr->n_items + 1) * sizeof(*items));
    if (!items) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < arr->n_items; i++) {
        int r = x->kind == ST_MM_ARRAY ? binary_simple(e, op, &arr->items[i], y, &items[i])
                                       : binary_simple(e, op, x, &arr->items[i], &items[i]);
        if (r < 0) {
            return r;
        }
        items[i].label = arr->items[i].label;
    }
    *ret = (struct st_mm_value){.kind = ST_MM_ARRAY, .items = items, .n_items = arr->n_items};
    return 0;
}

/* Applies fn to a series or to each member of an array. */
static int each_series(struct eval *e, const char *name, const struct st_mm_value *x,
                       int (*fn)(struct eval *, const struct st_mm_value *, struct st_mm_value *,
                                 const void *),
                       const void *arg, struct st_mm_value *ret)
{
    if (x->kind == ST_MM_SCALAR) {
        return type_error(e, name, "takes a time series or an array of time series");
    }
    if (x->kind == ST_MM_SERIES) {
        return fn(e, x, ret, arg);
    }
    struct st_mm_value *items = st_arena_alloc(e->a, (x->n_items + 1) * sizeof(*items));
    if (!items) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < x->n_items; i++) {
        int r = fn(e, &x->items[i], &items[i], arg);
        if (r < 0) {
            return r;
        }
    }
    *ret = (struct st_mm_value){.kind = ST_MM_ARRAY, .items = items, .n_items = x->n_items};
    return 0;
}

static int rate_or_diff(struct eval *e, const struct st_mm_value *x, struct st_mm_value *ret,
                        const void *arg)
{
    bool rate = *(const bool *)arg;
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    size_t prev = SIZE_MAX;
    for (size_t i = 0; i < e->g->n; i++) {
        if (isnan(x->v[i])) {
            continue;
        }
        if (prev != SIZE_MAX) {
            double d = x->v[i] - x->v[prev];
            v[i] = finite_or_nan(rate ? d / ((double)(i - prev) * (double)e->g->period_ms / 1000.0)
                                      : d);
        }
        prev = i;
    }
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v, .label = x->label};
    return 0;
}

static int abs_series(struct eval *e, const struct st_mm_value *x, struct st_mm_value *ret,
                      const void *arg)
{
    (void)arg;
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < e->g->n; i++) {
        v[i] = fabs(x->v[i]);
    }
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v, .label = x->label};
    return 0;
}

struct fill_arg {
    int mode; /* 0 value, 1 REPEAT, 2 LINEAR */
    const struct st_mm_value *with;
};

static int fill_series(struct eval *e, const struct st_mm_value *x, struct st_mm_value *ret,
                       const void *arg)
{
    const struct fill_arg *fa = arg;
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < e->g->n; i++) {
        v[i] = x->v[i];
        if (!isnan(v[i])) {
            if (fa->mode == 2 && last != SIZE_MAX && last + 1 < i) {
                for (size_t j = last + 1; j < i; j++) {
                    v[j] = finite_or_nan(x->v[last] + (x->v[i] - x->v[last]) * (double)(j - last) /
                                                          (double)(i - last));
                }
            }
            last = i;
        } else if (fa->mode == 0) {
            v[i] = point(fa->with, i);
        } else if (fa->mode == 1 && last != SIZE_MAX) {
            v[i] = x->v[last];
        }
    }
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v, .label = x->label};
    return 0;
}

/* The reductions of SUM, AVG, MIN, MAX and DATAPOINT_COUNT, over the points that are not NaN. */
enum reduce_op { R_SUM, R_AVG, R_MIN, R_MAX, R_COUNT };

struct reducer {
    enum reduce_op op;
    double acc;
    size_t n;
};

static void reduce_add(struct reducer *r, double v)
{
    if (isnan(v)) {
        return;
    }
    r->acc = r->n == 0        ? v
             : r->op == R_MIN ? fmin(r->acc, v)
             : r->op == R_MAX ? fmax(r->acc, v)
                              : r->acc + v;
    r->n++;
}

/* NaN when there was no point. */
static double reduce_result(const struct reducer *r)
{
    if (r->n == 0) {
        return NAN;
    }
    if (r->op == R_COUNT) {
        return (double)r->n;
    }
    return finite_or_nan(r->op == R_AVG ? r->acc / (double)r->n : r->acc);
}

/* Of a series a scalar (DATAPOINT_COUNT: 0 when it has no point), of an array a series, time by
 * time over its members (no point where none of them has one). */
static int reduce(struct eval *e, enum reduce_op op, const struct st_mm_value *x,
                  struct st_mm_value *ret)
{
    if (x->kind == ST_MM_SERIES) {
        struct reducer r = {.op = op};
        for (size_t i = 0; i < e->g->n; i++) {
            reduce_add(&r, x->v[i]);
        }
        double v = op == R_COUNT ? (double)r.n : reduce_result(&r);
        *ret = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = v};
        return 0;
    }
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < e->g->n; i++) {
        struct reducer r = {.op = op};
        for (size_t k = 0; k < x->n_items; k++) {
            reduce_add(&r, x->items[k].v[i]);
        }
        v[i] = reduce_result(&r);
    }
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v};
    return 0;
}

static int eval_node(struct eval *e, const struct st_mm_node *node, struct st_mm_value *ret);

/* LOG and LOG10 leave no point where the logarithm is undefined. */
static double log_or_nan(double x)
{
    return x > 0 ? log(x) : NAN;
}

static double log10_or_nan(double x)
{
    return x > 0 ? log10(x) : NAN;
}

/* CEIL, FLOOR, LOG, LOG10: the function of one value, or NULL for another name. */
static double (*unary_fn(const char *fn))(double)
{
    return strcmp(fn, "CEIL") == 0    ? ceil
           : strcmp(fn, "FLOOR") == 0 ? floor
           : strcmp(fn, "LOG") == 0   ? log_or_nan
           : strcmp(fn, "LOG10") == 0 ? log10_or_nan
                                      : NULL;
}

struct unary_arg {
    double (*fn)(double);
};

static int unary_series(struct eval *e, const struct st_mm_value *x, struct st_mm_value *ret,
                        const void *arg)
{
    double (*fn)(double) = ((const struct unary_arg *)arg)->fn;
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < e->g->n; i++) {
        v[i] = isnan(x->v[i]) ? NAN : finite_or_nan(fn(x->v[i]));
    }
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v, .label = x->label};
    return 0;
}

/* RUNNING_SUM, EPOCH, DIFF_TIME: arg is the function's name. */
static int time_series_fn(struct eval *e, const struct st_mm_value *x, struct st_mm_value *ret,
                          const void *arg)
{
    const char *fn = arg;
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    double sum = 0;
    size_t prev = SIZE_MAX;
    for (size_t i = 0; i < e->g->n; i++) {
        if (isnan(x->v[i])) {
            continue;
        }
        if (fn[0] == 'R') {
            sum += x->v[i];
            v[i] = finite_or_nan(sum);
        } else if (fn[0] == 'E') {
            v[i] = (double)(e->g->start_ms + (int64_t)i * e->g->period_ms) / 1000.0;
        } else if (prev != SIZE_MAX) {
            v[i] = (double)((int64_t)(i - prev) * e->g->period_ms) / 1000.0;
        }
        prev = i;
    }
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v, .label = x->label};
    return 0;
}

/* IF(c, t[, f]) over scalars and series: t where c is non-zero, f (or no point) where it is 0,
 * no point where c has none. */
static int if_simple(struct eval *e, const struct st_mm_value *c, const struct st_mm_value *t,
                     const struct st_mm_value *f, struct st_mm_value *ret)
{
    if (c->kind == ST_MM_SCALAR && t->kind == ST_MM_SCALAR && (!f || f->kind == ST_MM_SCALAR)) {
        double v = isnan(c->scalar) ? NAN : c->scalar != 0 ? t->scalar : f ? f->scalar : NAN;
        *ret = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = v};
        return 0;
    }
    double *v = new_series(e);
    if (!v) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < e->g->n; i++) {
        double cv = point(c, i);
        const struct st_mm_value *pick = isnan(cv) ? NULL : cv != 0 ? t : f;
        v[i] = pick ? point(pick, i) : NAN;
    }
    const char *label = t->kind == ST_MM_SERIES        ? t->label
                        : f && f->kind == ST_MM_SERIES ? f->label
                        : c->kind == ST_MM_SERIES      ? c->label
                                                       : NULL;
    *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v, .label = label};
    return 0;
}

/* IF with arrays: the condition an array, each member with t and f (arrays of the same length
 * pair up member by member, as in IF(METRICS() > 10, METRICS())). */
static int eval_if(struct eval *e, const struct st_mm_value *c, const struct st_mm_value *t,
                   const struct st_mm_value *f, struct st_mm_value *ret)
{
    if (c->kind != ST_MM_ARRAY) {
        if (t->kind == ST_MM_ARRAY || (f && f->kind == ST_MM_ARRAY)) {
            return type_error(e, "IF",
                              "takes an array of time series as its values only when "
                              "the condition is an array of the same length");
        }
        return if_simple(e, c, t, f, ret);
    }
    if ((t->kind == ST_MM_ARRAY && t->n_items != c->n_items) ||
        (f && f->kind == ST_MM_ARRAY && f->n_items != c->n_items)) {
        return type_error(e, "IF", "takes arrays of time series of the same length");
    }
    struct st_mm_value *items = st_arena_alloc(e->a, (c->n_items + 1) * sizeof(*items));
    if (!items) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < c->n_items; i++) {
        const struct st_mm_value *ti = t->kind == ST_MM_ARRAY ? &t->items[i] : t;
        const struct st_mm_value *fi = f && f->kind == ST_MM_ARRAY ? &f->items[i] : f;
        int r = if_simple(e, &c->items[i], ti, fi, &items[i]);
        if (r < 0) {
            return r;
        }
        items[i].label = ti->kind == ST_MM_SERIES ? ti->label : c->items[i].label;
    }
    *ret = (struct st_mm_value){.kind = ST_MM_ARRAY, .items = items, .n_items = c->n_items};
    return 0;
}

static int eval_call(struct eval *e, const struct st_mm_node *node, struct st_mm_value *ret)
{
    const char *fn = node->name;
    if (strcmp(fn, "METRICS") == 0) {
        if (node->n_args > 1 || (node->n_args == 1 && node->args[0]->kind != ST_MM_STR)) {
            return type_error(e, fn, "takes no argument or one string");
        }
        return e->env->metrics(e->env->ctx, node->n_args ? node->args[0]->name : "", ret, e->err);
    }
    bool fill = strcmp(fn, "FILL") == 0, is_if = strcmp(fn, "IF") == 0;
    if (is_if ? node->n_args < 2 || node->n_args > 3 : node->n_args != (fill ? 2u : 1u)) {
        return type_error(e, fn,
                          is_if  ? "takes a condition, a value and an optional value if false"
                          : fill ? "takes two arguments"
                                 : "takes one argument");
    }
    if (strcmp(fn, "PERIOD") == 0) {
        if (node->args[0]->kind != ST_MM_ID) {
            return type_error(e, fn, "takes the id of a metric");
        }
    }
    struct st_mm_value x;
    int r = eval_node(e, node->args[0], &x);
    if (r < 0) {
        return r;
    }
    if (is_if) {
        struct st_mm_value t, f;
        if ((r = eval_node(e, node->args[1], &t)) < 0 ||
            (node->n_args == 3 && (r = eval_node(e, node->args[2], &f)) < 0)) {
            return r;
        }
        return eval_if(e, &x, &t, node->n_args == 3 ? &f : NULL, ret);
    }
    if (strcmp(fn, "RATE") == 0 || strcmp(fn, "DIFF") == 0) {
        bool rate = fn[0] == 'R';
        return each_series(e, fn, &x, rate_or_diff, &rate, ret);
    }
    if (strcmp(fn, "ABS") == 0) {
        if (x.kind == ST_MM_SCALAR) {
            *ret = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = fabs(x.scalar)};
            return 0;
        }
        return each_series(e, fn, &x, abs_series, NULL, ret);
    }
    struct unary_arg ua = {unary_fn(fn)};
    if (ua.fn) {
        if (x.kind == ST_MM_SCALAR) {
            double v = isnan(x.scalar) ? NAN : finite_or_nan(ua.fn(x.scalar));
            *ret = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = v};
            return 0;
        }
        return each_series(e, fn, &x, unary_series, &ua, ret);
    }
    if (strcmp(fn, "RUNNING_SUM") == 0 || strcmp(fn, "EPOCH") == 0 ||
        strcmp(fn, "DIFF_TIME") == 0) {
        return each_series(e, fn, &x, time_series_fn, fn, ret);
    }
    if (strcmp(fn, "PERIOD") == 0) {
        if (x.kind == ST_MM_SCALAR) {
            return type_error(e, fn, "takes the id of a metric");
        }
        *ret =
            (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = (double)e->g->period_ms / 1000.0};
        return 0;
    }
    if (strcmp(fn, "DATAPOINT_COUNT") == 0) {
        if (x.kind == ST_MM_SCALAR) {
            return type_error(e, fn, "takes a time series or an array of time series");
        }
        return reduce(e, R_COUNT, &x, ret);
    }
    if (strcmp(fn, "METRIC_COUNT") == 0) {
        if (x.kind != ST_MM_ARRAY) {
            return type_error(e, fn, "takes an array of time series");
        }
        *ret = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = (double)x.n_items};
        return 0;
    }
    if (strcmp(fn, "TIME_SERIES") == 0) {
        if (x.kind != ST_MM_SCALAR) {
            return type_error(e, fn, "takes a number");
        }
        double *v = new_series(e);
        if (!v) {
            return -ENOMEM;
        }
        for (size_t i = 0; i < e->g->n; i++) {
            v[i] = x.scalar;
        }
        *ret = (struct st_mm_value){.kind = ST_MM_SERIES, .v = v};
        return 0;
    }
    if (fill) {
        struct fill_arg fa = {0};
        struct st_mm_value with;
        const struct st_mm_node *a1 = node->args[1];
        if (a1->kind == ST_MM_ID && strcmp(a1->name, "REPEAT") == 0) {
            fa.mode = 1;
        } else if (a1->kind == ST_MM_ID && strcmp(a1->name, "LINEAR") == 0) {
            fa.mode = 2;
        } else {
            if ((r = eval_node(e, a1, &with)) < 0) {
                return r;
            }
            if (with.kind == ST_MM_ARRAY) {
                return type_error(e, fn, "fills with a number, a time series, REPEAT or LINEAR");
            }
            fa.with = &with;
        }
        return each_series(e, fn, &x, fill_series, &fa, ret);
    }
    /* SUM, AVG, MIN or MAX (the parser knows no other function): of a scalar, itself. */
    if (x.kind == ST_MM_SCALAR) {
        *ret = x;
        return 0;
    }
    enum reduce_op op = strcmp(fn, "SUM") == 0   ? R_SUM
                        : strcmp(fn, "AVG") == 0 ? R_AVG
                        : strcmp(fn, "MIN") == 0 ? R_MIN
                                                 : R_MAX;
    return reduce(e, op, &x, ret);
}

static int eval_node(struct eval *e, const struct st_mm_node *node, struct st_mm_value *ret)
{
    struct st_mm_value x, y;
    int r;
    switch (node->kind) {
    case ST_MM_NUM:
        *ret = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = node->num};
        return 0;
    case ST_MM_STR:
        return type_error(e, "a string", "is only allowed as the argument of METRICS");
    case ST_MM_ID:
        return e->env->lookup(e->env->ctx, node->name, ret, e->err);
    case ST_MM_NEG:
        if ((r = eval_node(e, node->args[0], &x)) < 0) {
            return r;
        }
        y = (struct st_mm_value){.kind = ST_MM_SCALAR, .scalar = -1};
        return binary(e, '*', &x, &y, ret);
    case ST_MM_BINOP:
        if ((r = eval_node(e, node->args[0], &x)) < 0 ||
            (r = eval_node(e, node->args[1], &y)) < 0) {
            return r;
        }
        return binary(e, node->op, &x, &y, ret);
    case ST_MM_CALL:
        return eval_call(e, node, ret);
    }
    return -EINVAL;
}

int st_mm_eval(const struct st_mm_node *node, const struct st_mm_grid *grid,
               const struct st_mm_env *env, struct st_arena *arena, struct st_mm_value *ret,
               struct st_error *err)
{
    struct eval e = {.g = grid, .env = env, .a = arena, .err = err};
    int r = eval_node(&e, node, ret);
    if (r == -ENOMEM) {
        st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory evaluating the expression");
    }
    return r;
}
