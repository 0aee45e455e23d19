/* SPDX-License-Identifier: MIT */
/*
 * GetMetricData (op.h): up to 500 MetricDataQueries, each a MetricStat (one metric, period
 * and statistic) or a metric math Expression over the others (stratus/metric_math.h). Every
 * MetricStat becomes a GetMetricStatistics query on the query pool, all submitted at once;
 * when the last one is back (loop thread) the expressions are evaluated in dependency order on
 * one time grid (the rounded start time, the MetricStats' period) and the results are sorted
 * as ScanBy asks. MaxDatapoints (default 100,800) caps the points of one reply, counted over
 * the results in query order; the rest is paged with NextToken. The token is stateless: the
 * number of points sent so far and a hash of the request (without NextToken and MaxDatapoints),
 * so every page recomputes the whole answer and a token used with another request is
 * InvalidNextToken. Not supported: cross-account queries, LabelOptions.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_private.h"
#include "metric_data.pb-c.h"
#include "op.h"
#include "stratus/metric.h"
#include "stratus/metric_math.h"
#include "stratus/time_util.h"

#define MAX_QUERIES       500
#define DEFAULT_MAX_POINT 100800

struct gmd;

struct gmd_query {
    const Stratus__MetricDataQuery *mq;
    Stratus__GetMetricStatisticsRequest req; /* MetricStat */
    struct st_stats_query sq;
    Stratus__GetMetricStatisticsResponse *resp;
    struct st_mm_node *expr; /* Expression */
    struct st_mm_value val;  /* evaluated (Expression) or dense (MetricStat) */
    bool have_val, evaluating;
    struct gmd *g;
};

struct gmd {
    struct st_call *call;
    const Stratus__GetMetricDataRequest *msg;
    struct gmd_query *qs;
    size_t n;
    size_t pending;
    bool failed;
    struct st_mm_grid grid;
    char next_token[40];
    uint64_t hash; /* of the request, for NextToken */
    uint64_t skip; /* points sent by the pages before (NextToken) */
};

static int bad(struct st_error *err, const char *code, size_t i, const char *what)
{
    return st_error_set(err, -EINVAL, code, "The value for MetricDataQueries.member.%zu %s", i + 1,
                        what);
}

static bool valid_id(const char *id)
{
    if (!id || !islower((unsigned char)id[0]) || strlen(id) > 255) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_') {
            return false;
        }
    }
    return true;
}

static struct gmd_query *find(struct gmd *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++) {
        if (strcmp(g->qs[i].mq->id, id) == 0) {
            return &g->qs[i];
        }
    }
    return NULL;
}

static int check_ref(void *ctx, const char *id)
{
    struct gmd *g = ctx;
    if (strcmp(id, "REPEAT") == 0 || strcmp(id, "LINEAR") == 0) {
        return 0;
    }
    return find(g, id) ? 0 : -ENOENT;
}

/* The value of a MetricStat's statistic in datapoint p, or NaN. */
static double stat_value(const char *stat, const Stratus__Datapoint *p)
{
    if (strcmp(stat, "SampleCount") == 0) {
        return p->has_sample_count ? p->sample_count : NAN;
    }
    if (strcmp(stat, "Average") == 0) {
        return p->has_average ? p->average : NAN;
    }
    if (strcmp(stat, "Sum") == 0) {
        return p->has_sum ? p->sum : NAN;
    }
    if (strcmp(stat, "Minimum") == 0) {
        return p->has_minimum ? p->minimum : NAN;
    }
    if (strcmp(stat, "Maximum") == 0) {
        return p->has_maximum ? p->maximum : NAN;
    }
    return p->n_extended_statistics && p->extended_statistics[0]->has_value
               ? p->extended_statistics[0]->value
               : NAN;
}

static int dense_metric(struct gmd *g, struct gmd_query *q, struct st_error *err)
{
    if (q->have_val) {
        return 0;
    }
    double *v = st_arena_alloc(&g->call->arena, (g->grid.n + 1) * sizeof(double));
    if (!v) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    for (size_t i = 0; i < g->grid.n; i++) {
        v[i] = NAN;
    }
    for (size_t i = 0; q->resp && i < q->resp->n_datapoints; i++) {
        const Stratus__Datapoint *p = q->resp->datapoints[i];
        int64_t off = p->timestamp_ms - g->grid.start_ms;
        if (off >= 0 && off / g->grid.period_ms < (int64_t)g->grid.n) {
            v[off / g->grid.period_ms] = stat_value(q->mq->metric_stat->stat, p);
        }
    }
    q->val = (struct st_mm_value){.kind = ST_MM_SERIES,
                                  .v = v,
                                  .label = q->mq->label ? q->mq->label
                                                        : q->mq->metric_stat->metric->metric_name};
    q->have_val = true;
    return 0;
}

static int eval_query(struct gmd *g, struct gmd_query *q, struct st_error *err);

static int env_lookup(void *ctx, const char *id, struct st_mm_value *ret, struct st_error *err)
{
    struct gmd *g = ctx;
    struct gmd_query *q = find(g, id);
    if (!q) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "Error in expression: Unrecognized metric or expression id %s.", id);
    }
    int r = q->expr ? eval_query(g, q, err) : dense_metric(g, q, err);
    if (r == 0) {
        *ret = q->val;
    }
    return r;
}

static int env_metrics(void *ctx, const char *filter, struct st_mm_value *ret, struct st_error *err)
{
    struct gmd *g = ctx;
    struct st_mm_value *items = st_arena_alloc(&g->call->arena, (g->n + 1) * sizeof(*items));
    if (!items) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++) {
        struct gmd_query *q = &g->qs[i];
        if (q->expr) {
            continue;
        }
        const char *label = q->mq->label ? q->mq->label : q->mq->metric_stat->metric->metric_name;
        if (filter[0] && !strstr(label, filter) && !strstr(q->mq->id, filter)) {
            continue;
        }
        int r = dense_metric(g, q, err);
        if (r < 0) {
            return r;
        }
        items[n++] = q->val;
    }
    *ret = (struct st_mm_value){.kind = ST_MM_ARRAY, .items = items, .n_items = n};
    return 0;
}

static int eval_query(struct gmd *g, struct gmd_query *q, struct st_error *err)
{
    if (q->have_val) {
        return 0;
    }
    if (q->evaluating) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "Error in expression %s: circular dependency.", q->mq->id);
    }
    q->evaluating = true;
    struct st_mm_env env = {env_lookup, env_metrics, g};
    int r = st_mm_eval(q->expr, &g->grid, &env, &g->call->arena, &q->val, err);
    q->evaluating = false;
    q->have_val = r == 0;
    return r;
}

struct point {
    int64_t t;
    double v;
};

static int cmp_asc(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static int cmp_desc(const void *a, const void *b)
{
    return cmp_asc(b, a);
}

/* Fills result r with the points pts[0..n) sorted as ScanBy asks. */
static int fill_result(struct gmd *g, Stratus__MetricDataResult *r, struct point *pts, size_t n)
{
    struct st_arena *a = &g->call->arena;
    bool asc = g->msg->scan_by && strcmp(g->msg->scan_by, "TimestampAscending") == 0;
    qsort(pts, n, sizeof(*pts), asc ? cmp_asc : cmp_desc);
    r->status_code = "Complete";
    r->timestamps_ms = st_arena_alloc(a, (n + 1) * sizeof(int64_t));
    r->values = st_arena_alloc(a, (n + 1) * sizeof(double));
    if (!r->timestamps_ms || !r->values) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        r->timestamps_ms[i] = pts[i].t;
        r->values[i] = pts[i].v;
    }
    r->n_timestamps_ms = r->n_values = n;
    return 0;
}

static int series_points(struct gmd *g, const struct st_mm_value *v, struct point *pts, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < g->grid.n; i++) {
        double x = v->kind == ST_MM_SCALAR ? v->scalar : v->v[i];
        if (!isnan(x)) {
            pts[(*n)++] = (struct point){g->grid.start_ms + (int64_t)i * g->grid.period_ms, x};
        }
    }
    return 0;
}

/*
 * Cuts the full answer results[0..n) to this page: the points after the g->skip sent before, up
 * to budget of them, in query order. A page holds the results with points on it (and, on the
 * first page, those without any point); a result with points left for later pages is
 * PartialData. Sets g->next_token while points remain. Returns the results kept (compacted).
 */
static size_t page(struct gmd *g, Stratus__MetricDataResult **results, size_t n, size_t budget)
{
    uint64_t skip = g->skip, sent = 0, total = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        Stratus__MetricDataResult *r = results[i];
        size_t all = r->n_values;
        size_t s = skip < all ? (size_t)skip : all;
        skip -= s;
        size_t take = all - s < budget ? all - s : budget;
        budget -= take;
        total += all;
        sent += s + take;
        r->timestamps_ms += s;
        r->values += s;
        r->n_timestamps_ms = r->n_values = take;
        r->status_code = s + take < all ? "PartialData" : "Complete";
        if (take > 0 || (all == 0 && g->skip == 0)) {
            results[kept++] = r;
        }
    }
    g->next_token[0] = '\0';
    if (sent < total) {
        snprintf(g->next_token, sizeof(g->next_token), "%016" PRIx64 "%016" PRIx64, g->hash, sent);
    }
    return kept;
}

/* FNV-1a of the request's encoding without NextToken and MaxDatapoints. */
static int request_hash(struct gmd *g, uint64_t *ret)
{
    Stratus__GetMetricDataRequest m = *g->msg;
    m.next_token = NULL;
    m.has_max_datapoints = false;
    m.max_datapoints = 0;
    size_t len = protobuf_c_message_get_packed_size(&m.base);
    uint8_t *buf = st_arena_alloc(&g->call->arena, len + 1);
    if (!buf) {
        return -ENOMEM;
    }
    protobuf_c_message_pack(&m.base, buf);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ buf[i]) * 1099511628211ull;
    }
    *ret = h;
    return 0;
}

/* Reads a NextToken of ours for this request into g->skip. */
static int parse_token(struct gmd *g, const char *tok, struct st_error *err)
{
    uint64_t h = 0, skip = 0;
    bool ok = strlen(tok) == 32;
    for (size_t i = 0; ok && i < 32; i++) {
        int d = isdigit((unsigned char)tok[i])   ? tok[i] - '0'
                : tok[i] >= 'a' && tok[i] <= 'f' ? tok[i] - 'a' + 10
                                                 : -1;
        ok = d >= 0;
        if (i < 16) {
            h = h << 4 | (uint64_t)(d & 15);
        } else {
            skip = skip << 4 | (uint64_t)(d & 15);
        }
    }
    if (!ok || h != g->hash) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_NEXT_TOKEN,
                            "The NextToken is not one of this request's.");
    }
    g->skip = skip;
    return 0;
}

static void finish(struct gmd *g)
{
    struct st_call *call = g->call;
    struct st_arena *a = &call->arena;
    struct st_error err;
    if (g->failed) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "a query failed");
        return;
    }
    size_t cap = g->n * 4 + 4, nr = 0;
    Stratus__MetricDataResult **results = st_arena_alloc(a, cap * sizeof(*results));
    struct point *pts = st_arena_alloc(a, (g->grid.n + 1440 + 1) * sizeof(*pts));
    size_t budget = g->msg->has_max_datapoints && g->msg->max_datapoints > 0
                        ? (size_t)g->msg->max_datapoints
                        : DEFAULT_MAX_POINT;
    if (!results || !pts) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    for (size_t i = 0; i < g->n; i++) {
        struct gmd_query *q = &g->qs[i];
        if (q->expr && eval_query(g, q, &err) < 0) {
            st_call_fail(call, &err);
            return;
        }
        if (q->mq->has_return_data && !q->mq->return_data) {
            continue;
        }
        size_t n_series = q->expr && q->val.kind == ST_MM_ARRAY ? q->val.n_items : 1;
        for (size_t k = 0; k < n_series; k++) {
            if (nr == cap) {
                break;
            }
            Stratus__MetricDataResult *r = st_arena_alloc(a, sizeof(*r));
            if (!r) {
                st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
                return;
            }
            stratus__metric_data_result__init(r);
            r->id = (char *)q->mq->id;
            size_t n = 0;
            if (!q->expr) {
                r->label =
                    (char *)(q->mq->label ? q->mq->label : q->mq->metric_stat->metric->metric_name);
                for (size_t j = 0; q->resp && j < q->resp->n_datapoints; j++) {
                    double v = stat_value(q->mq->metric_stat->stat, q->resp->datapoints[j]);
                    if (!isnan(v)) {
                        pts[n++] = (struct point){q->resp->datapoints[j]->timestamp_ms, v};
                    }
                }
            } else {
                const struct st_mm_value *v =
                    q->val.kind == ST_MM_ARRAY ? &q->val.items[k] : &q->val;
                r->label = (char *)(q->mq->label                             ? q->mq->label
                                    : q->val.kind == ST_MM_ARRAY && v->label ? v->label
                                                                             : q->mq->id);
                series_points(g, v, pts, &n);
            }
            if (fill_result(g, r, pts, n) < 0) {
                st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
                return;
            }
            results[nr++] = r;
        }
    }
    Stratus__GetMetricDataResponse resp = STRATUS__GET_METRIC_DATA_RESPONSE__INIT;
    resp.metric_data_results = results;
    resp.n_metric_data_results = page(g, results, nr, budget);
    if (g->next_token[0]) {
        resp.next_token = g->next_token;
    }
    st_call_reply(call, &resp.base);
}

struct gmd_ref {
    struct gmd *g;
    struct gmd_query *q;
};

static void on_stat_done(struct st_query *qr, void *data)
{
    struct gmd_ref *ref = data;
    struct gmd *g = ref->g;
    if (qr->status < 0) {
        g->failed = true;
    } else {
        ref->q->resp = (Stratus__GetMetricStatisticsResponse *)protobuf_c_message_unpack(
            &stratus__get_metric_statistics_response__descriptor,
            st_arena_protobuf(&g->call->arena), qr->reply_len,
            qr->reply ? qr->reply : (uint8_t *)"");
        g->failed |= ref->q->resp == NULL;
    }
    st_query_free(qr);
    if (--g->pending == 0) {
        finish(g);
    }
}

static const char *const basic_stats[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};

/* Builds and validates the GetMetricStatistics request of MetricStat query i. */
static int prepare_stat(struct gmd *g, size_t i, int64_t now, struct st_error *err)
{
    struct gmd_query *q = &g->qs[i];
    const Stratus__MetricStat *ms = q->mq->metric_stat;
    if (!ms->metric || !ms->metric->namespace_ || !ms->metric->metric_name) {
        return bad(err, ST_ERR_MISSING_PARAMETER, i,
                   "MetricStat needs Metric with Namespace "
                   "and MetricName.");
    }
    if (!ms->has_period || !ms->stat) {
        return bad(err, ST_ERR_MISSING_PARAMETER, i, "MetricStat needs Period and Stat.");
    }
    Stratus__GetMetricStatisticsRequest *r = &q->req;
    stratus__get_metric_statistics_request__init(r);
    r->namespace_ = ms->metric->namespace_;
    r->metric_name = ms->metric->metric_name;
    r->dimensions = ms->metric->dimensions;
    r->n_dimensions = ms->metric->n_dimensions;
    r->has_start_time_ms = r->has_end_time_ms = r->has_period = 1;
    r->start_time_ms = g->msg->start_time_ms;
    r->end_time_ms = g->msg->end_time_ms;
    r->period = ms->period;
    r->unit = ms->unit;
    char **stat = st_arena_alloc(&g->call->arena, sizeof(char *));
    if (!stat) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    stat[0] = ms->stat;
    bool basic = false;
    for (size_t k = 0; k < sizeof(basic_stats) / sizeof(basic_stats[0]); k++) {
        basic |= strcmp(ms->stat, basic_stats[k]) == 0;
    }
    if (basic) {
        r->statistics = stat;
        r->n_statistics = 1;
    } else if (ms->stat[0] == 'p') {
        r->extended_statistics = stat;
        r->n_extended_statistics = 1;
    } else {
        char what[200];
        snprintf(what, sizeof(what),
                 "MetricStat.Stat %.64s is not supported (SampleCount, "
                 "Average, Sum, Minimum, Maximum, pNN.NN).",
                 ms->stat);
        return bad(err, ST_ERR_INVALID_PARAMETER_VALUE, i, what);
    }
    struct st_error e2;
    if (st_validate_get_metric_statistics(r, now, &q->sq, &e2) < 0) {
        return st_error_set(err, -EINVAL, e2.code, "MetricDataQueries.member.%zu: %s", i + 1,
                            e2.message);
    }
    return 0;
}

static int validate(struct gmd *g, int64_t now, struct st_error *err)
{
    const Stratus__GetMetricDataRequest *m = g->msg;
    if (m->n_metric_data_queries == 0) {
        return st_error_set(err, -EINVAL, ST_ERR_MISSING_PARAMETER,
                            "The parameter MetricDataQueries is required.");
    }
    if (m->n_metric_data_queries > MAX_QUERIES) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The collection MetricDataQueries must not have a size greater than "
                            "%d.",
                            MAX_QUERIES);
    }
    if (!m->has_start_time_ms || !m->has_end_time_ms) {
        return st_error_set(err, -EINVAL, ST_ERR_MISSING_PARAMETER,
                            "The parameters StartTime and EndTime are required.");
    }
    if (m->start_time_ms >= m->end_time_ms) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter StartTime must be less than the parameter EndTime.");
    }
    if (m->scan_by && strcmp(m->scan_by, "TimestampAscending") != 0 &&
        strcmp(m->scan_by, "TimestampDescending") != 0) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter ScanBy must be TimestampAscending or "
                            "TimestampDescending.");
    }
    g->n = m->n_metric_data_queries;
    g->qs = st_arena_alloc(&g->call->arena, g->n * sizeof(*g->qs));
    if (!g->qs) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    memset(g->qs, 0, g->n * sizeof(*g->qs));
    int64_t period = 0;
    bool mixed = false, any_expr = false;
    for (size_t i = 0; i < g->n; i++) {
        struct gmd_query *q = &g->qs[i];
        q->mq = m->metric_data_queries[i];
        q->g = g;
        if (!valid_id(q->mq->id)) {
            return bad(err, ST_ERR_INVALID_PARAMETER_VALUE, i,
                       "Id must start with a lower-case letter and hold only letters, digits "
                       "and underscores.");
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(g->qs[k].mq->id, q->mq->id) == 0) {
                return bad(err, ST_ERR_INVALID_PARAMETER_VALUE, i, "Id is not unique.");
            }
        }
        if (!q->mq->metric_stat == !q->mq->expression) {
            return bad(err, ST_ERR_INVALID_PARAMETER_COMBINATION, i,
                       "must have exactly one of MetricStat and Expression.");
        }
        if (q->mq->metric_stat) {
            int r = prepare_stat(g, i, now, err);
            if (r < 0) {
                return r;
            }
            mixed |= period && period != q->sq.period_s;
            period = q->sq.period_s;
            if (i == 0 || !g->grid.start_ms) {
                g->grid.start_ms = q->sq.start_ms;
            }
        } else {
            any_expr = true;
            int r = st_mm_parse(q->mq->expression, strlen(q->mq->expression), &g->call->arena,
                                &q->expr, err);
            if (r < 0) {
                return r;
            }
        }
    }
    for (size_t i = 0; i < g->n; i++) {
        if (g->qs[i].expr && st_mm_visit_ids(g->qs[i].expr, check_ref, g) != 0) {
            return bad(err, ST_ERR_INVALID_PARAMETER_VALUE, i,
                       "Expression names an Id that is not in the request.");
        }
    }
    if (any_expr && mixed) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                            "Metric math needs every MetricStat of the request to have the same "
                            "Period.");
    }
    if (!period) { /* expressions only: the query's Period, else a minute */
        for (size_t i = 0; i < g->n && !period; i++) {
            period = g->qs[i].mq->has_period && g->qs[i].mq->period > 0 ? g->qs[i].mq->period : 0;
        }
        period = period ? period : 60;
        g->grid.start_ms = m->start_time_ms / (period * 1000) * (period * 1000);
    }
    g->grid.period_ms = period * 1000;
    int64_t cells = (m->end_time_ms - g->grid.start_ms + g->grid.period_ms - 1) / g->grid.period_ms;
    if (cells > DEFAULT_MAX_POINT) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_COMBINATION,
                            "The time range holds more than %d periods.", DEFAULT_MAX_POINT);
    }
    g->grid.n = (size_t)(cells > 0 ? cells : 0);
    if (m->has_max_datapoints && m->max_datapoints < 1) {
        return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                            "The parameter MaxDatapoints must be greater than 0.");
    }
    if (request_hash(g, &g->hash) < 0) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    return m->next_token ? parse_token(g, m->next_token, err) : 0;
}

void st_op_get_metric_data(struct st_collector *c, struct st_call *call)
{
    struct gmd *g = st_arena_alloc(&call->arena, sizeof(*g));
    if (!g) {
        st_call_fail_status(call, 500, ST_ERR_INTERNAL_FAILURE, "out of memory");
        return;
    }
    memset(g, 0, sizeof(*g));
    g->call = call;
    g->msg = (const Stratus__GetMetricDataRequest *)call->request;
    int64_t now = st_wall_ms();
    struct st_error err;
    if (validate(g, now, &err) < 0) {
        st_call_fail(call, &err);
        return;
    }
    /* Count first, then submit: a callback may not finish the call before all are queued. */
    g->pending = 1;
    for (size_t i = 0; i < g->n; i++) {
        struct gmd_query *q = &g->qs[i];
        if (!q->mq->metric_stat) {
            continue;
        }
        struct gmd_ref *ref = st_arena_alloc(&call->arena, sizeof(*ref));
        struct st_query *qr = ref ? st_query_snapshot(&c->hot, &q->req, &q->sq, now) : NULL;
        if (!qr) {
            g->failed = true;
            break;
        }
        ref->g = g;
        ref->q = q;
        qr->done = on_stat_done;
        qr->data = ref;
        g->pending++;
        st_query_pool_submit(c->qpool, qr);
    }
    if (--g->pending == 0) {
        finish(g);
    }
}
