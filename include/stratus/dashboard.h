/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch's dashboard-body JSON: {"start", "end", "periodOverride", "widgets": [{"type",
 * "x", "y", "width", "height", "properties": {"metrics", "view", "stacked", "region",
 * "period", "stat", "title", "yAxis", ...}}]}. The collector validates a PutDashboard body
 * with st_dashboard_parse; the viewer parses stored bodies into the same model and edits them
 * (move, resize, add and remove widgets) with the st_dashboard_body_* functions, which keep
 * every member they do not know. Metric rows use CloudWatch's array form
 * ["Namespace", "MetricName", "DimName", "DimValue", ..., {options}], with "." (same token as
 * the row above) and "..." (the row above's leading tokens) expanded. Widgets without x and y
 * are placed left to right, then top to bottom, on the 24-column grid, as CloudWatch does.
 * No I/O, logging or globals.
 */
#ifndef STRATUS_DASHBOARD_H
#define STRATUS_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/arena.h"
#include "stratus/error.h"

#define ST_DASH_MAX_BODY_BYTES (1024 * 1024)
#define ST_DASH_MAX_WIDGETS    500
#define ST_DASH_MAX_METRICS    500 /* per widget */
#define ST_DASH_MAX_DIMENSIONS 30  /* per metric */
#define ST_DASH_MAX_ALARMS     100 /* per alarm widget */
#define ST_DASH_MAX_MESSAGES   32
#define ST_DASH_GRID_COLUMNS   24
#define ST_DASH_MAX_HEIGHT     1000
#define ST_DASH_MAX_NAME_LEN   255
#define ST_DASH_DEFAULT_SIZE   6
#define ST_DASH_DEFAULT_PERIOD 300
/* The AWS error code of a body that fails validation (DashboardInvalidInputError). */
#define ST_ERR_INVALID_PARAMETER_INPUT "InvalidParameterInput"

enum st_dash_widget_type {
    ST_DASH_WIDGET_METRIC,
    ST_DASH_WIDGET_TEXT,
    ST_DASH_WIDGET_ALARM,
    ST_DASH_WIDGET_LOG,
    ST_DASH_WIDGET_EXPLORER,
    ST_DASH_WIDGET_CUSTOM,
};

enum st_dash_view {
    ST_DASH_VIEW_TIME_SERIES,
    ST_DASH_VIEW_SINGLE_VALUE,
    ST_DASH_VIEW_GAUGE,
    ST_DASH_VIEW_BAR,
    ST_DASH_VIEW_PIE,
    ST_DASH_VIEW_TABLE,
};

struct st_dash_dimension {
    const char *name;
    const char *value;
};

/* One metric row. Strings live in the dashboard's arena; NULL when the row does not set them. */
struct st_dash_metric {
    const char *namespace_; /* NULL for a math expression row */
    const char *metric_name;
    struct st_dash_dimension *dimensions;
    size_t n_dimensions;
    const char *expression; /* metric math: kept, not evaluated by Stratus */
    const char *id;
    const char *label;
    const char *color; /* "#rrggbb" */
    const char *stat;  /* NULL: the widget's */
    int period;        /* 0: the widget's */
    bool right_axis;
    bool visible;
};

struct st_dash_axis {
    bool has_min, has_max;
    double min, max;
    const char *label;
};

struct st_dash_widget {
    enum st_dash_widget_type type;
    int x, y, width, height;
    const char *title;
    enum st_dash_view view;
    bool stacked;
    const char *region;
    int period;       /* seconds; ST_DASH_DEFAULT_PERIOD when not given */
    const char *stat; /* "Average" when not given */
    struct st_dash_metric *metrics;
    size_t n_metrics;
    struct st_dash_axis left, right;
    const char *markdown; /* text widgets */
    const char **alarms;  /* alarm widgets: alarm ARNs or names */
    size_t n_alarms;
};

struct st_dashboard {
    struct st_arena arena; /* everything the model points to */
    struct st_dash_widget *widgets;
    size_t n_widgets;
    const char *start; /* "-PT3H" or an ISO 8601 time; NULL when not given */
    const char *end;
    const char *period_override; /* "auto" or "inherit"; NULL when not given */
};

/* A CloudWatch DashboardValidationMessage: where (a JSON path such as
 * "/widgets/0/properties/metrics/1") and what. */
struct st_dash_message {
    char data_path[128];
    char message[256];
};

struct st_dash_messages {
    struct st_dash_message items[ST_DASH_MAX_MESSAGES];
    size_t n;
};

/*
 * Parses and validates a dashboard body (at most ST_DASH_MAX_BODY_BYTES). On success *ret is a
 * new model, freed with st_dashboard_free; ret may be NULL to validate only. Messages that do
 * not make the body invalid (unknown members, a statistic or widget type Stratus cannot draw)
 * go to msgs (NULL allowed). On a body that is not valid, returns -EINVAL with err code
 * ST_ERR_INVALID_PARAMETER_INPUT, its message naming the data path, and that message added to
 * msgs too; -ENOMEM on OOM.
 */
int st_dashboard_parse(const uint8_t *buf, size_t len, struct st_dashboard **ret,
                       struct st_dash_messages *msgs, struct st_error *err);
/* NULL is a no-op. */
void st_dashboard_free(struct st_dashboard *d);

/* Whether name is a valid dashboard name: 1..255 of A-Z a-z 0-9 - _ (CloudWatch's rule). */
bool st_dashboard_name_valid(const char *name);

/*
 * Parses a relative time as dashboards write it: "-PT3H", "-P7D", "-P1W", "-PT15M",
 * "-P1DT12H" (ISO 8601 duration, negative: before now) into *ret_ms (negative). Returns 0 or
 * -EINVAL.
 */
int st_dashboard_parse_relative(const char *s, int64_t *ret_ms);

/*
 * Edits of a stored body, for the viewer. Each parses body (NUL-terminated), changes it and
 * writes a new NUL-terminated body (st_malloc'ed, caller frees with st_free) to *ret_body; every
 * member the edit does not touch is kept. idx counts widgets in body order. Returns 0, -EINVAL
 * (body not JSON, no such widget, geometry off the grid) or -ENOMEM.
 */
int st_dashboard_body_set_geometry(const char *body, size_t idx, int x, int y, int width,
                                   int height, char **ret_body);
int st_dashboard_body_remove_widget(const char *body, size_t idx, char **ret_body);
/* Appends a metric widget showing one metric (n_dims dimensions), at (x, y, width, height);
 * body NULL starts an empty dashboard. */
int st_dashboard_body_add_metric_widget(const char *body, const char *title, const char *ns,
                                        const char *metric_name,
                                        const struct st_dash_dimension *dims, size_t n_dims,
                                        const char *stat, int period, int x, int y, int width,
                                        int height, char **ret_body);

#endif
