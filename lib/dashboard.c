/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch dashboard bodies (see dashboard.h): a json-c parse with a depth limit, then a
 * walk that validates each member against CloudWatch's dashboard-body structure and copies
 * what the viewer draws into an arena-backed model. Fatal problems stop the walk with one
 * InvalidParameterInput error; the rest become validation messages. The edit functions work
 * on the json-c tree so that members Stratus does not model survive a round trip.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "stratus/alloc.h"
#include "stratus/dashboard.h"

#define DASH_MAX_DEPTH 16
/* Tokens of one metric row: namespace, name, 30 name/value pairs and the options object. */
#define DASH_MAX_ROW_TOKENS (2 + 2 * ST_DASH_MAX_DIMENSIONS + 1)

struct walk {
    struct st_dashboard *d;
    struct st_dash_messages *msgs;
    struct st_error *err;
    char path[128];
};

static void add_message(struct st_dash_messages *msgs, const char *path, const char *fmt,
                        va_list ap) __attribute__((format(printf, 3, 0)));
static void add_message(struct st_dash_messages *msgs, const char *path, const char *fmt,
                        va_list ap)
{
    if (!msgs || msgs->n >= ST_DASH_MAX_MESSAGES) {
        return;
    }
    struct st_dash_message *m = &msgs->items[msgs->n++];
    snprintf(m->data_path, sizeof(m->data_path), "%s", path);
    vsnprintf(m->message, sizeof(m->message), fmt, ap);
}

static void warn(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct walk *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_message(w->msgs, w->path, fmt, ap);
    va_end(ap);
}

/* A fatal problem at w->path: returns -EINVAL. */
static int invalid(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(struct walk *w, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (w->msgs && w->msgs->n < ST_DASH_MAX_MESSAGES) {
        struct st_dash_message *m = &w->msgs->items[w->msgs->n++];
        snprintf(m->data_path, sizeof(m->data_path), "%s", w->path);
        snprintf(m->message, sizeof(m->message), "%s", text);
    }
    return st_error_set(w->err, -EINVAL, ST_ERR_INVALID_PARAMETER_INPUT,
                        "The dashboard body is invalid, there are 1 validation errors: "
                        "%s: %s",
                        w->path[0] ? w->path : "/", text);
}

static int oom(struct walk *w)
{
    return st_error_set(w->err, -ENOMEM, "InternalServiceError", "out of memory");
}

/* Appends "/seg" to the path; returns the old length so that pop can restore it. */
static size_t push(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct walk *w, const char *fmt, ...)
{
    size_t old = strlen(w->path);
    if (old + 1 < sizeof(w->path)) {
        w->path[old] = '/';
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->path + old + 1, sizeof(w->path) - old - 1, fmt, ap);
        va_end(ap);
    }
    return old;
}

static void pop(struct walk *w, size_t old)
{
    w->path[old] = '\0';
}

static const char *dup_str(struct walk *w, const char *s)
{
    size_t n = strlen(s);
    char *c = st_arena_alloc(&w->d->arena, n + 1);
    if (c) {
        memcpy(c, s, n + 1);
    }
    return c;
}

/* A string member into *ret (arena copy). Absent: 0 and *ret untouched. */
static int get_string(struct walk *w, json_object *obj, const char *key, const char **ret)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v)) {
        return 0;
    }
    size_t old = push(w, "%s", key);
    if (!json_object_is_type(v, json_type_string)) {
        return invalid(w, "Should be string");
    }
    const char *s = dup_str(w, json_object_get_string(v));
    if (!s) {
        return oom(w);
    }
    pop(w, old);
    *ret = s;
    return 0;
}

/* An integer member in [min, max]. Integral doubles (6.0) count as integers. */
static int get_int(struct walk *w, json_object *obj, const char *key, int min, int max, int *ret,
                   bool *ret_seen)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v)) {
        return 0;
    }
    size_t old = push(w, "%s", key);
    double d;
    if (json_object_is_type(v, json_type_int)) {
        d = (double)json_object_get_int64(v);
    } else if (json_object_is_type(v, json_type_double)) {
        d = json_object_get_double(v);
        if (!isfinite(d) || d != floor(d)) {
            return invalid(w, "Should be integer");
        }
    } else {
        return invalid(w, "Should be integer");
    }
    if (d < min || d > max) {
        return invalid(w, "Should be between %d and %d", min, max);
    }
    pop(w, old);
    *ret = (int)d;
    if (ret_seen) {
        *ret_seen = true;
    }
    return 0;
}

static int get_bool(struct walk *w, json_object *obj, const char *key, bool *ret)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v)) {
        return 0;
    }
    size_t old = push(w, "%s", key);
    if (!json_object_is_type(v, json_type_boolean)) {
        return invalid(w, "Should be boolean");
    }
    pop(w, old);
    *ret = json_object_get_boolean(v);
    return 0;
}

static bool one_of(const char *s, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Warns about members of obj that are not in known. */
static void check_members(struct walk *w, json_object *obj, const char *const *known)
{
    json_object_object_foreach(obj, key, val)
    {
        (void)val;
        if (!one_of(key, known)) {
            size_t old = push(w, "%s", key);
            warn(w, "Unknown member, ignored");
            pop(w, old);
        }
    }
}

/* CloudWatch periods: 1, 5, 10, 30 or a multiple of 60, up to 30 days... in seconds. */
static bool period_valid(int p)
{
    return p == 1 || p == 5 || p == 10 || p == 30 || (p >= 60 && p % 60 == 0);
}

static bool stat_supported(const char *s)
{
    static const char *const basic[] = {"Average", "Sum",         "Minimum",
                                        "Maximum", "SampleCount", NULL};
    if (one_of(s, basic)) {
        return true;
    }
    if (s[0] != 'p' || s[1] < '0' || s[1] > '9') {
        return false;
    }
    char *end;
    double v = strtod(s + 1, &end);
    return *end == '\0' && v >= 0 && v <= 100;
}

static int get_period(struct walk *w, json_object *obj, int *ret)
{
    int p = *ret;
    int r = get_int(w, obj, "period", 1, 86400 * 30, &p, NULL);
    if (r < 0) {
        return r;
    }
    if (!period_valid(p)) {
        size_t old = push(w, "period");
        r = invalid(w, "Should be 1, 5, 10, 30 or a multiple of 60");
        pop(w, old);
        return r;
    }
    *ret = p;
    return 0;
}

static int get_stat(struct walk *w, json_object *obj, const char **ret)
{
    const char *s = NULL;
    int r = get_string(w, obj, "stat", &s);
    if (r < 0 || !s) {
        return r;
    }
    if (!s[0]) {
        size_t old = push(w, "stat");
        r = invalid(w, "Should NOT be shorter than 1 characters");
        pop(w, old);
        return r;
    }
    if (!stat_supported(s)) {
        size_t old = push(w, "stat");
        warn(w, "Statistic %s is not supported by Stratus; the metric shows no data", s);
        pop(w, old);
    }
    *ret = s;
    return 0;
}

static int parse_metric_options(struct walk *w, json_object *o, struct st_dash_metric *m)
{
    static const char *const known[] = {
        "stat",   "period",    "label",      "color", "yAxis",      "visible", "id",
        "region", "accountId", "expression", "unit",  "returnData", NULL};
    int r;
    if ((r = get_stat(w, o, &m->stat)) < 0 || (r = get_string(w, o, "label", &m->label)) < 0 ||
        (r = get_string(w, o, "color", &m->color)) < 0 ||
        (r = get_string(w, o, "id", &m->id)) < 0 ||
        (r = get_string(w, o, "expression", &m->expression)) < 0 ||
        (r = get_bool(w, o, "visible", &m->visible)) < 0) {
        return r;
    }
    if (json_object_object_get_ex(o, "period", NULL)) {
        int p = ST_DASH_DEFAULT_PERIOD;
        if ((r = get_period(w, o, &p)) < 0) {
            return r;
        }
        m->period = p;
    }
    const char *axis = NULL;
    if ((r = get_string(w, o, "yAxis", &axis)) < 0) {
        return r;
    }
    if (axis) {
        if (strcmp(axis, "left") != 0 && strcmp(axis, "right") != 0) {
            size_t old = push(w, "yAxis");
            r = invalid(w, "Should be equal to one of the allowed values [left, right]");
            pop(w, old);
            return r;
        }
        m->right_axis = strcmp(axis, "right") == 0;
    }
    if (m->color) {
        bool ok = m->color[0] == '#' && strlen(m->color) == 7;
        for (size_t i = 1; ok && i < 7; i++) {
            ok = strchr("0123456789abcdefABCDEF", m->color[i]) != NULL;
        }
        if (!ok) {
            size_t old = push(w, "color");
            r = invalid(w, "Should match pattern \"^#[0-9a-fA-F]{6}$\"");
            pop(w, old);
            return r;
        }
    }
    check_members(w, o, known);
    return 0;
}

/*
 * One metric row. prev/n_prev are the previous row's string tokens (for "." and "..."); the
 * expanded tokens of this row are written to toks (DASH_MAX_ROW_TOKENS) and *ret_n.
 */
static int parse_metric_row(struct walk *w, json_object *row, const char **prev, size_t n_prev,
                            const char **toks, size_t *ret_n, struct st_dash_metric *m)
{
    if (!json_object_is_type(row, json_type_array)) {
        return invalid(w, "Should be array");
    }
    size_t len = json_object_array_length(row);
    if (len == 0) {
        return invalid(w, "Should NOT have fewer than 1 items");
    }
    json_object *opts = NULL;
    json_object *last = json_object_array_get_idx(row, len - 1);
    if (json_object_is_type(last, json_type_object)) {
        opts = last;
        len--;
    }
    if (len > DASH_MAX_ROW_TOKENS - 1) {
        return invalid(w, "Should NOT have more than %d items", DASH_MAX_ROW_TOKENS);
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        json_object *t = json_object_array_get_idx(row, i);
        size_t old = push(w, "%zu", i);
        if (!json_object_is_type(t, json_type_string)) {
            return invalid(w, "Should be string");
        }
        const char *s = json_object_get_string(t);
        if (strcmp(s, "...") == 0) {
            if (i != 0) {
                return invalid(w, "\"...\" may only start a metric row");
            }
            size_t rest = len - 1;
            if (n_prev < rest) {
                return invalid(w, "\"...\" needs a longer metric row above");
            }
            for (size_t k = 0; k < n_prev - rest; k++) {
                toks[n++] = prev[k];
            }
        } else if (strcmp(s, ".") == 0) {
            if (n >= n_prev) {
                return invalid(w, "\".\" has no token in the metric row above");
            }
            toks[n] = prev[n];
            n++;
        } else {
            const char *c = dup_str(w, s);
            if (!c) {
                return oom(w);
            }
            toks[n++] = c;
        }
        if (n > DASH_MAX_ROW_TOKENS - 1) {
            return invalid(w, "Should NOT have more than %d items", DASH_MAX_ROW_TOKENS);
        }
        pop(w, old);
    }
    m->visible = true;
    if (opts) {
        size_t old = push(w, "%zu", len);
        int r = parse_metric_options(w, opts, m);
        if (r < 0) {
            return r;
        }
        pop(w, old);
    }
    if (n == 0) {
        if (!m->expression) {
            return invalid(w, "A metric row needs a namespace and a metric name, or an "
                              "expression");
        }
        warn(w, "Metric math is not evaluated by Stratus; the expression shows no data");
    } else {
        if (n < 2 || n % 2 != 0) {
            return invalid(w, "A metric row is [namespace, metric name, dimension name, "
                              "dimension value, ..., {options}]");
        }
        for (size_t i = 0; i < n; i++) {
            if (!toks[i][0]) {
                (void)push(w, "%zu", i);
                return invalid(w, "Should NOT be shorter than 1 characters");
            }
        }
        m->namespace_ = toks[0];
        m->metric_name = toks[1];
        m->n_dimensions = (n - 2) / 2;
        if (m->n_dimensions) {
            m->dimensions = st_arena_alloc(&w->d->arena, m->n_dimensions * sizeof(*m->dimensions));
            if (!m->dimensions) {
                return oom(w);
            }
            for (size_t k = 0; k < m->n_dimensions; k++) {
                m->dimensions[k].name = toks[2 + 2 * k];
                m->dimensions[k].value = toks[3 + 2 * k];
            }
        }
    }
    *ret_n = n;
    return 0;
}

static int parse_metrics(struct walk *w, json_object *props, struct st_dash_widget *wd)
{
    json_object *arr;
    if (!json_object_object_get_ex(props, "metrics", &arr)) {
        return 0;
    }
    size_t old = push(w, "metrics");
    if (!json_object_is_type(arr, json_type_array)) {
        return invalid(w, "Should be array");
    }
    size_t n = json_object_array_length(arr);
    if (n > ST_DASH_MAX_METRICS) {
        return invalid(w, "Should NOT have more than %d items", ST_DASH_MAX_METRICS);
    }
    wd->metrics = st_arena_alloc(&w->d->arena, (n ? n : 1) * sizeof(*wd->metrics));
    if (!wd->metrics) {
        return oom(w);
    }
    memset(wd->metrics, 0, (n ? n : 1) * sizeof(*wd->metrics));
    const char *a[DASH_MAX_ROW_TOKENS], *b[DASH_MAX_ROW_TOKENS];
    const char **prev = a, **cur = b;
    size_t n_prev = 0;
    for (size_t i = 0; i < n; i++) {
        size_t o2 = push(w, "%zu", i);
        size_t n_cur = 0;
        int r = parse_metric_row(w, json_object_array_get_idx(arr, i), prev, n_prev, cur, &n_cur,
                                 &wd->metrics[i]);
        if (r < 0) {
            return r;
        }
        pop(w, o2);
        const char **t = prev;
        prev = cur;
        cur = t;
        n_prev = n_cur;
    }
    wd->n_metrics = n;
    pop(w, old);
    return 0;
}

static int parse_axis(struct walk *w, json_object *y, const char *key, struct st_dash_axis *ax)
{
    json_object *o;
    if (!json_object_object_get_ex(y, key, &o)) {
        return 0;
    }
    static const char *const known[] = {"min", "max", "label", "showUnits", NULL};
    size_t old = push(w, "%s", key);
    if (!json_object_is_type(o, json_type_object)) {
        return invalid(w, "Should be object");
    }
    const char *names[2] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        json_object *v;
        if (!json_object_object_get_ex(o, names[i], &v)) {
            continue;
        }
        size_t o2 = push(w, "%s", names[i]);
        if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
            return invalid(w, "Should be number");
        }
        double d = json_object_get_double(v);
        if (!isfinite(d)) {
            return invalid(w, "Should be number");
        }
        if (i == 0) {
            ax->has_min = true;
            ax->min = d;
        } else {
            ax->has_max = true;
            ax->max = d;
        }
        pop(w, o2);
    }
    int r = get_string(w, o, "label", &ax->label);
    if (r < 0) {
        return r;
    }
    bool show = true;
    if ((r = get_bool(w, o, "showUnits", &show)) < 0) {
        return r;
    }
    if (ax->has_min && ax->has_max && ax->min >= ax->max) {
        return invalid(w, "min should be less than max");
    }
    check_members(w, o, known);
    pop(w, old);
    return 0;
}

static int parse_properties(struct walk *w, json_object *p, struct st_dash_widget *wd)
{
    static const char *const known[] = {"metrics",
                                        "view",
                                        "stacked",
                                        "region",
                                        "period",
                                        "stat",
                                        "title",
                                        "yAxis",
                                        "markdown",
                                        "alarms",
                                        "query",
                                        "annotations",
                                        "legend",
                                        "liveData",
                                        "setPeriodToTimeRange",
                                        "sparkline",
                                        "timezone",
                                        "table",
                                        "singleValueFullPrecision",
                                        "trend",
                                        "labels",
                                        "background",
                                        "sortBy",
                                        "states",
                                        "endpoint",
                                        "params",
                                        "updateOn",
                                        NULL};
    int r;
    if ((r = get_string(w, p, "title", &wd->title)) < 0 ||
        (r = get_string(w, p, "region", &wd->region)) < 0 ||
        (r = get_bool(w, p, "stacked", &wd->stacked)) < 0 || (r = get_stat(w, p, &wd->stat)) < 0 ||
        (r = get_period(w, p, &wd->period)) < 0 ||
        (r = get_string(w, p, "markdown", &wd->markdown)) < 0) {
        return r;
    }
    const char *view = NULL;
    if ((r = get_string(w, p, "view", &view)) < 0) {
        return r;
    }
    if (view) {
        static const char *const views[] = {"timeSeries", "singleValue", "gauge", "bar",
                                            "pie",        "table",       NULL};
        size_t i = 0;
        while (views[i] && strcmp(views[i], view) != 0) {
            i++;
        }
        if (!views[i]) {
            (void)push(w, "view");
            return invalid(w, "Should be equal to one of the allowed values [timeSeries, "
                              "singleValue, gauge, bar, pie, table]");
        }
        wd->view = (enum st_dash_view)i;
    }
    if ((r = parse_metrics(w, p, wd)) < 0) {
        return r;
    }
    json_object *y;
    if (json_object_object_get_ex(p, "yAxis", &y)) {
        size_t old = push(w, "yAxis");
        if (!json_object_is_type(y, json_type_object)) {
            return invalid(w, "Should be object");
        }
        if ((r = parse_axis(w, y, "left", &wd->left)) < 0 ||
            (r = parse_axis(w, y, "right", &wd->right)) < 0) {
            return r;
        }
        pop(w, old);
    }
    json_object *alarms;
    if (json_object_object_get_ex(p, "alarms", &alarms)) {
        size_t old = push(w, "alarms");
        if (!json_object_is_type(alarms, json_type_array)) {
            return invalid(w, "Should be array");
        }
        size_t n = json_object_array_length(alarms);
        if (n > ST_DASH_MAX_ALARMS) {
            return invalid(w, "Should NOT have more than %d items", ST_DASH_MAX_ALARMS);
        }
        wd->alarms = st_arena_alloc(&w->d->arena, (n ? n : 1) * sizeof(*wd->alarms));
        if (!wd->alarms) {
            return oom(w);
        }
        for (size_t i = 0; i < n; i++) {
            json_object *a = json_object_array_get_idx(alarms, i);
            size_t o2 = push(w, "%zu", i);
            if (!json_object_is_type(a, json_type_string)) {
                return invalid(w, "Should be string");
            }
            if (!(wd->alarms[i] = dup_str(w, json_object_get_string(a)))) {
                return oom(w);
            }
            pop(w, o2);
        }
        wd->n_alarms = n;
        pop(w, old);
    }
    check_members(w, p, known);
    return 0;
}

static int parse_widget(struct walk *w, json_object *o, struct st_dash_widget *wd, bool *has_pos)
{
    static const char *const known[] = {"type", "x", "y", "width", "height", "properties", NULL};
    static const char *const types[] = {"metric",   "text",   "alarm", "log",
                                        "explorer", "custom", NULL};
    if (!json_object_is_type(o, json_type_object)) {
        return invalid(w, "Should be object");
    }
    const char *type = NULL;
    int r = get_string(w, o, "type", &type);
    if (r < 0) {
        return r;
    }
    if (!type) {
        return invalid(w, "Should have required property 'type'");
    }
    size_t t = 0;
    while (types[t] && strcmp(types[t], type) != 0) {
        t++;
    }
    if (!types[t]) {
        (void)push(w, "type");
        return invalid(w, "Should be equal to one of the allowed values [metric, text, alarm, "
                          "log, explorer, custom]");
    }
    wd->type = (enum st_dash_widget_type)t;
    wd->width = wd->height = ST_DASH_DEFAULT_SIZE;
    wd->period = ST_DASH_DEFAULT_PERIOD;
    bool has_x = false, has_y = false;
    if ((r = get_int(w, o, "x", 0, ST_DASH_GRID_COLUMNS - 1, &wd->x, &has_x)) < 0 ||
        (r = get_int(w, o, "y", 0, 1000000, &wd->y, &has_y)) < 0 ||
        (r = get_int(w, o, "width", 1, ST_DASH_GRID_COLUMNS, &wd->width, NULL)) < 0 ||
        (r = get_int(w, o, "height", 1, ST_DASH_MAX_HEIGHT, &wd->height, NULL)) < 0) {
        return r;
    }
    if (has_x != has_y) {
        return invalid(w, "Should have both 'x' and 'y', or neither");
    }
    *has_pos = has_x;
    if (has_x && wd->x + wd->width > ST_DASH_GRID_COLUMNS) {
        size_t old = push(w, "width");
        warn(w, "The widget is wider than the grid; it is cut at column %d", ST_DASH_GRID_COLUMNS);
        pop(w, old);
        wd->width = ST_DASH_GRID_COLUMNS - wd->x;
    }
    json_object *props;
    if (!json_object_object_get_ex(o, "properties", &props)) {
        return invalid(w, "Should have required property 'properties'");
    }
    size_t old = push(w, "properties");
    if (!json_object_is_type(props, json_type_object)) {
        return invalid(w, "Should be object");
    }
    if ((r = parse_properties(w, props, wd)) < 0) {
        return r;
    }
    if (wd->type == ST_DASH_WIDGET_METRIC && !json_object_object_get_ex(props, "metrics", NULL)) {
        return invalid(w, "Should have required property 'metrics'");
    }
    if (wd->type == ST_DASH_WIDGET_TEXT && !wd->markdown) {
        return invalid(w, "Should have required property 'markdown'");
    }
    if (wd->type == ST_DASH_WIDGET_ALARM && !wd->n_alarms) {
        return invalid(w, "Should have required property 'alarms'");
    }
    pop(w, old);
    if (wd->type == ST_DASH_WIDGET_LOG || wd->type == ST_DASH_WIDGET_EXPLORER ||
        wd->type == ST_DASH_WIDGET_CUSTOM) {
        warn(w, "Widgets of type %s are kept but not drawn by Stratus", type);
    }
    if (!wd->stat) {
        wd->stat = "Average";
    }
    check_members(w, o, known);
    return 0;
}

/* Places widgets without a position left to right after the lowest placed row. */
static void auto_place(struct st_dashboard *d, const bool *has_pos)
{
    int bottom = 0;
    for (size_t i = 0; i < d->n_widgets; i++) {
        if (has_pos[i] && d->widgets[i].y + d->widgets[i].height > bottom) {
            bottom = d->widgets[i].y + d->widgets[i].height;
        }
    }
    int cx = 0, cy = bottom, row_h = 0;
    for (size_t i = 0; i < d->n_widgets; i++) {
        struct st_dash_widget *wd = &d->widgets[i];
        if (has_pos[i]) {
            continue;
        }
        if (cx + wd->width > ST_DASH_GRID_COLUMNS) {
            cx = 0;
            cy += row_h;
            row_h = 0;
        }
        wd->x = cx;
        wd->y = cy;
        cx += wd->width;
        if (wd->height > row_h) {
            row_h = wd->height;
        }
    }
}

static int parse_time_member(struct walk *w, json_object *root, const char *key, const char **ret)
{
    int r = get_string(w, root, key, ret);
    if (r < 0 || !*ret) {
        return r;
    }
    int64_t ms;
    if (st_dashboard_parse_relative(*ret, &ms) == 0) {
        return 0;
    }
    /* Absolute: 2026-11-23T18:00:00Z (or with a fraction / offset). */
    int y, mo, dd, h, mi;
    if (sscanf(*ret, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &dd, &h, &mi) == 5 && mo >= 1 && mo <= 12 &&
        dd >= 1 && dd <= 31 && h >= 0 && h < 24 && mi >= 0 && mi < 60) {
        return 0;
    }
    size_t old = push(w, "%s", key);
    r = invalid(w, "Should be a relative time such as -PT3H or an ISO 8601 time");
    pop(w, old);
    return r;
}

static int walk_root(struct walk *w, json_object *root)
{
    static const char *const known[] = {"widgets", "start", "end", "periodOverride", NULL};
    struct st_dashboard *d = w->d;
    if (!json_object_is_type(root, json_type_object)) {
        return invalid(w, "Should be object");
    }
    int r;
    if ((r = parse_time_member(w, root, "start", &d->start)) < 0 ||
        (r = parse_time_member(w, root, "end", &d->end)) < 0 ||
        (r = get_string(w, root, "periodOverride", &d->period_override)) < 0) {
        return r;
    }
    if (d->period_override && strcmp(d->period_override, "auto") != 0 &&
        strcmp(d->period_override, "inherit") != 0) {
        (void)push(w, "periodOverride");
        return invalid(w, "Should be equal to one of the allowed values [auto, inherit]");
    }
    if (d->end && !d->start) {
        return invalid(w, "'end' needs 'start'");
    }
    json_object *widgets;
    if (!json_object_object_get_ex(root, "widgets", &widgets)) {
        return invalid(w, "Should have required property 'widgets'");
    }
    size_t old = push(w, "widgets");
    if (!json_object_is_type(widgets, json_type_array)) {
        return invalid(w, "Should be array");
    }
    size_t n = json_object_array_length(widgets);
    if (n > ST_DASH_MAX_WIDGETS) {
        return invalid(w, "Should NOT have more than %d items", ST_DASH_MAX_WIDGETS);
    }
    size_t cap = n ? n : 1;
    d->widgets = st_arena_alloc(&d->arena, cap * sizeof(*d->widgets));
    bool *has_pos = st_calloc(cap, sizeof(*has_pos));
    if (!d->widgets || !has_pos) {
        st_free(has_pos);
        return oom(w);
    }
    memset(d->widgets, 0, cap * sizeof(*d->widgets));
    for (size_t i = 0; i < n; i++) {
        size_t o2 = push(w, "%zu", i);
        if ((r = parse_widget(w, json_object_array_get_idx(widgets, i), &d->widgets[i],
                              &has_pos[i])) < 0) {
            st_free(has_pos);
            return r;
        }
        pop(w, o2);
    }
    d->n_widgets = n;
    pop(w, old);
    auto_place(d, has_pos);
    st_free(has_pos);
    check_members(w, root, known);
    return 0;
}

/* Parses JSON text with the depth limit; *ret owns a reference. */
static int parse_json(const char *text, size_t len, json_object **ret, struct walk *w)
{
    if (len > ST_DASH_MAX_BODY_BYTES) {
        return invalid(w, "The dashboard body is larger than %d bytes", ST_DASH_MAX_BODY_BYTES);
    }
    if (memchr(text, '\0', len)) {
        return invalid(w, "The dashboard body is not valid JSON");
    }
    json_tokener *tok = json_tokener_new_ex(DASH_MAX_DEPTH);
    if (!tok) {
        return oom(w);
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t off = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return invalid(w, "The dashboard body is not valid JSON at offset %zu: %s", off,
                       jerr == json_tokener_continue ? "unexpected end"
                                                     : json_tokener_error_desc(jerr));
    }
    for (size_t i = off; i < len; i++) {
        if (!strchr(" \t\r\n", text[i])) {
            json_object_put(root);
            return invalid(w, "The dashboard body has text after its JSON value");
        }
    }
    *ret = root;
    return 0;
}

int st_dashboard_parse(const uint8_t *buf, size_t len, struct st_dashboard **ret,
                       struct st_dash_messages *msgs, struct st_error *err)
{
    struct st_dashboard *d = st_calloc(1, sizeof(*d));
    if (!d) {
        return st_error_set(err, -ENOMEM, "InternalServiceError", "out of memory");
    }
    st_arena_init(&d->arena, 16 * 1024, 0);
    struct walk w = {.d = d, .msgs = msgs, .err = err};
    json_object *root = NULL;
    int r = parse_json((const char *)buf, len, &root, &w);
    if (r == 0) {
        r = walk_root(&w, root);
    }
    json_object_put(root);
    if (r < 0 || !ret) {
        st_dashboard_free(d);
        return r;
    }
    *ret = d;
    return 0;
}

void st_dashboard_free(struct st_dashboard *d)
{
    if (!d) {
        return;
    }
    st_arena_fini(&d->arena);
    st_free(d);
}

bool st_dashboard_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > ST_DASH_MAX_NAME_LEN) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_')) {
            return false;
        }
    }
    return true;
}

int st_dashboard_parse_relative(const char *s, int64_t *ret_ms)
{
    if (s[0] != '-' || s[1] != 'P') {
        return -EINVAL;
    }
    const char *p = s + 2;
    bool in_time = false, any = false;
    int64_t total_s = 0;
    while (*p) {
        if (*p == 'T') {
            if (in_time) {
                return -EINVAL;
            }
            in_time = true;
            p++;
            continue;
        }
        if (*p < '0' || *p > '9') {
            return -EINVAL;
        }
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p - '0');
            if (v > 100000000) {
                return -EINVAL;
            }
            p++;
        }
        int64_t unit;
        switch (*p) {
        case 'W':
            unit = in_time ? -1 : 7 * 86400;
            break;
        case 'D':
            unit = in_time ? -1 : 86400;
            break;
        case 'H':
            unit = in_time ? 3600 : -1;
            break;
        case 'M':
            unit = in_time ? 60 : 30 * 86400;
            break;
        case 'S':
            unit = in_time ? 1 : -1;
            break;
        default:
            return -EINVAL;
        }
        if (unit < 0) {
            return -EINVAL;
        }
        total_s += v * unit;
        any = true;
        p++;
    }
    if (!any || total_s > (int64_t)10 * 366 * 86400) {
        return -EINVAL;
    }
    *ret_ms = -total_s * 1000;
    return 0;
}

/* The edits. */

static int edit_begin(const char *body, json_object **ret_root, json_object **ret_widgets)
{
    json_object *root;
    if (body) {
        struct walk w = {0};
        int r = parse_json(body, strlen(body), &root, &w);
        if (r < 0) {
            return r;
        }
        if (!json_object_is_type(root, json_type_object)) {
            json_object_put(root);
            return -EINVAL;
        }
    } else if (!(root = json_object_new_object())) {
        return -ENOMEM;
    }
    json_object *widgets;
    if (!json_object_object_get_ex(root, "widgets", &widgets)) {
        widgets = json_object_new_array();
        if (!widgets || json_object_object_add(root, "widgets", widgets) < 0) {
            json_object_put(widgets);
            json_object_put(root);
            return -ENOMEM;
        }
    }
    if (!json_object_is_type(widgets, json_type_array)) {
        json_object_put(root);
        return -EINVAL;
    }
    *ret_root = root;
    *ret_widgets = widgets;
    return 0;
}

static int edit_end(json_object *root, char **ret_body)
{
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    char *copy = s ? st_strdup(s) : NULL;
    json_object_put(root);
    if (!copy) {
        return -ENOMEM;
    }
    *ret_body = copy;
    return 0;
}

static bool geometry_valid(int x, int y, int width, int height)
{
    return x >= 0 && y >= 0 && y <= 1000000 && width >= 1 && height >= 1 &&
           height <= ST_DASH_MAX_HEIGHT && x + width <= ST_DASH_GRID_COLUMNS;
}

static int set_int(json_object *o, const char *key, int v)
{
    json_object *n = json_object_new_int(v);
    if (!n || json_object_object_add(o, key, n) < 0) {
        json_object_put(n);
        return -ENOMEM;
    }
    return 0;
}

static int set_geometry(json_object *wd, int x, int y, int width, int height)
{
    int r;
    if ((r = set_int(wd, "x", x)) < 0 || (r = set_int(wd, "y", y)) < 0 ||
        (r = set_int(wd, "width", width)) < 0 || (r = set_int(wd, "height", height)) < 0) {
        return r;
    }
    return 0;
}

int st_dashboard_body_set_geometry(const char *body, size_t idx, int x, int y, int width,
                                   int height, char **ret_body)
{
    if (!geometry_valid(x, y, width, height)) {
        return -EINVAL;
    }
    json_object *root, *widgets;
    int r = edit_begin(body, &root, &widgets);
    if (r < 0) {
        return r;
    }
    json_object *wd =
        idx < json_object_array_length(widgets) ? json_object_array_get_idx(widgets, idx) : NULL;
    if (!wd || !json_object_is_type(wd, json_type_object)) {
        json_object_put(root);
        return -EINVAL;
    }
    if ((r = set_geometry(wd, x, y, width, height)) < 0) {
        json_object_put(root);
        return r;
    }
    return edit_end(root, ret_body);
}

int st_dashboard_body_remove_widget(const char *body, size_t idx, char **ret_body)
{
    json_object *root, *widgets;
    int r = edit_begin(body, &root, &widgets);
    if (r < 0) {
        return r;
    }
    if (idx >= json_object_array_length(widgets)) {
        json_object_put(root);
        return -EINVAL;
    }
    json_object_array_del_idx(widgets, idx, 1);
    return edit_end(root, ret_body);
}

static int add_string(json_object *arr, const char *s)
{
    json_object *v = json_object_new_string(s);
    if (!v || json_object_array_add(arr, v) < 0) {
        json_object_put(v);
        return -ENOMEM;
    }
    return 0;
}

static json_object *metric_widget(const char *title, const char *ns, const char *metric_name,
                                  const struct st_dash_dimension *dims, size_t n_dims,
                                  const char *stat, int period)
{
    json_object *wd = json_object_new_object();
    json_object *props = json_object_new_object();
    json_object *metrics = json_object_new_array();
    json_object *row = json_object_new_array();
    bool ok = wd && props && metrics && row;
    ok = ok && json_object_object_add(wd, "properties", props) == 0;
    if (!ok) {
        json_object_put(wd);
        json_object_put(props);
        json_object_put(metrics);
        json_object_put(row);
        return NULL;
    }
    ok = json_object_object_add(props, "metrics", metrics) == 0;
    if (!ok) {
        json_object_put(metrics);
        json_object_put(row);
        json_object_put(wd);
        return NULL;
    }
    ok = json_object_array_add(metrics, row) == 0;
    if (!ok) {
        json_object_put(row);
        json_object_put(wd);
        return NULL;
    }
    json_object *type = json_object_new_string("metric");
    ok = type && json_object_object_add(wd, "type", type) == 0;
    if (!ok) {
        json_object_put(type);
    }
    ok = ok && add_string(row, ns) == 0 && add_string(row, metric_name) == 0;
    for (size_t i = 0; ok && i < n_dims; i++) {
        ok = add_string(row, dims[i].name) == 0 && add_string(row, dims[i].value) == 0;
    }
    const char *skeys[] = {"view", "title", "stat", "region"};
    const char *svals[] = {"timeSeries", title ? title : metric_name, stat ? stat : "Average",
                           "local"};
    for (size_t i = 0; ok && i < 4; i++) {
        json_object *v = json_object_new_string(svals[i]);
        ok = v && json_object_object_add(props, skeys[i], v) == 0;
        if (!ok) {
            json_object_put(v);
        }
    }
    json_object *st = json_object_new_boolean(false);
    ok = ok && st && json_object_object_add(props, "stacked", st) == 0;
    if (!ok) {
        json_object_put(st);
    }
    ok = ok && set_int(props, "period", period) == 0;
    if (!ok) {
        json_object_put(wd);
        return NULL;
    }
    return wd;
}

int st_dashboard_body_add_metric_widget(const char *body, const char *title, const char *ns,
                                        const char *metric_name,
                                        const struct st_dash_dimension *dims, size_t n_dims,
                                        const char *stat, int period, int x, int y, int width,
                                        int height, char **ret_body)
{
    if (!geometry_valid(x, y, width, height) || !ns || !ns[0] || !metric_name || !metric_name[0] ||
        n_dims > ST_DASH_MAX_DIMENSIONS || !period_valid(period)) {
        return -EINVAL;
    }
    json_object *root, *widgets;
    int r = edit_begin(body, &root, &widgets);
    if (r < 0) {
        return r;
    }
    if (json_object_array_length(widgets) >= ST_DASH_MAX_WIDGETS) {
        json_object_put(root);
        return -EINVAL;
    }
    json_object *wd = metric_widget(title, ns, metric_name, dims, n_dims, stat, period);
    if (!wd || set_geometry(wd, x, y, width, height) < 0 ||
        json_object_array_add(widgets, wd) < 0) {
        json_object_put(wd);
        json_object_put(root);
        return -ENOMEM;
    }
    return edit_end(root, ret_body);
}
