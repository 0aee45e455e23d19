/* SPDX-License-Identifier: MIT */
/*
 * Printers of the X-Ray responses (trace_output.h), one function per X-Ray structure, each
 * writing members in the order botocore's service model lists them.
 */
#include "trace_output.h"
#include "json_writer.h"
#include "output.h"

static void time_member(struct st_json_writer *w, const char *key, bool has, int64_t ms)
{
    if (!has) {
        return;
    }
    char buf[48];
    st_output_format_time(ms, buf, sizeof(buf));
    st_json_key(w, key);
    st_json_string(w, buf);
}

static void str_member(struct st_json_writer *w, const char *key, const char *v)
{
    if (v) {
        st_json_key(w, key);
        st_json_string(w, v);
    }
}

static void strings_member(struct st_json_writer *w, const char *key, char *const *v, size_t n)
{
    st_json_key(w, key);
    st_json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        st_json_string(w, v[i]);
    }
    st_json_end_array(w);
}

static void int_member(struct st_json_writer *w, const char *key, bool has, int64_t v)
{
    if (has) {
        st_json_key(w, key);
        st_json_int(w, v);
    }
}

static void double_member(struct st_json_writer *w, const char *key, bool has, double v)
{
    if (has) {
        st_json_key(w, key);
        st_json_double(w, v);
    }
}

static void bool_member(struct st_json_writer *w, const char *key, bool has, bool v)
{
    if (has) {
        st_json_key(w, key);
        st_json_bool(w, v);
    }
}

static void histogram(struct st_json_writer *w, const char *key, Stratus__HistogramEntry *const *e,
                      size_t n)
{
    st_json_key(w, key);
    st_json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        st_json_begin_object(w);
        double_member(w, "Value", e[i]->has_value, e[i]->value);
        int_member(w, "Count", e[i]->has_count, e[i]->count);
        st_json_end_object(w);
    }
    st_json_end_array(w);
}

static void error_stats(struct st_json_writer *w, const Stratus__ErrorStatistics *e)
{
    if (!e) {
        return;
    }
    st_json_key(w, "ErrorStatistics");
    st_json_begin_object(w);
    int_member(w, "ThrottleCount", e->has_throttle_count, e->throttle_count);
    int_member(w, "OtherCount", e->has_other_count, e->other_count);
    int_member(w, "TotalCount", e->has_total_count, e->total_count);
    st_json_end_object(w);
}

static void fault_stats(struct st_json_writer *w, const Stratus__FaultStatistics *e)
{
    if (!e) {
        return;
    }
    st_json_key(w, "FaultStatistics");
    st_json_begin_object(w);
    int_member(w, "OtherCount", e->has_other_count, e->other_count);
    int_member(w, "TotalCount", e->has_total_count, e->total_count);
    st_json_end_object(w);
}

/* EdgeStatistics and ServiceStatistics have the same members. */
#define STATS(w, s)                                                                                \
    do {                                                                                           \
        st_json_key(w, "SummaryStatistics");                                                       \
        st_json_begin_object(w);                                                                   \
        int_member(w, "OkCount", (s)->has_ok_count, (s)->ok_count);                                \
        error_stats(w, (s)->error_statistics);                                                     \
        fault_stats(w, (s)->fault_statistics);                                                     \
        int_member(w, "TotalCount", (s)->has_total_count, (s)->total_count);                       \
        double_member(w, "TotalResponseTime", (s)->has_total_response_time,                        \
                      (s)->total_response_time);                                                   \
        st_json_end_object(w);                                                                     \
    } while (0)

static void edge(struct st_json_writer *w, const Stratus__Edge *e)
{
    st_json_begin_object(w);
    int_member(w, "ReferenceId", e->has_reference_id, e->reference_id);
    time_member(w, "StartTime", e->has_start_time_ms, e->start_time_ms);
    time_member(w, "EndTime", e->has_end_time_ms, e->end_time_ms);
    if (e->summary_statistics) {
        STATS(w, e->summary_statistics);
    }
    histogram(w, "ResponseTimeHistogram", e->response_time_histogram, e->n_response_time_histogram);
    st_json_key(w, "Aliases");
    st_json_begin_array(w);
    for (size_t i = 0; i < e->n_aliases; i++) {
        st_json_begin_object(w);
        str_member(w, "Name", e->aliases[i]->name);
        strings_member(w, "Names", e->aliases[i]->names, e->aliases[i]->n_names);
        str_member(w, "Type", e->aliases[i]->type);
        st_json_end_object(w);
    }
    st_json_end_array(w);
    str_member(w, "EdgeType", e->edge_type);
    st_json_end_object(w);
}

static void service(struct st_json_writer *w, const Stratus__Service *s)
{
    st_json_begin_object(w);
    int_member(w, "ReferenceId", s->has_reference_id, s->reference_id);
    str_member(w, "Name", s->name);
    strings_member(w, "Names", s->names, s->n_names);
    bool_member(w, "Root", s->has_root, s->root);
    str_member(w, "AccountId", s->account_id);
    str_member(w, "Type", s->type);
    str_member(w, "State", s->state);
    time_member(w, "StartTime", s->has_start_time_ms, s->start_time_ms);
    time_member(w, "EndTime", s->has_end_time_ms, s->end_time_ms);
    st_json_key(w, "Edges");
    st_json_begin_array(w);
    for (size_t i = 0; i < s->n_edges; i++) {
        edge(w, s->edges[i]);
    }
    st_json_end_array(w);
    if (s->summary_statistics) {
        STATS(w, s->summary_statistics);
        histogram(w, "DurationHistogram", s->duration_histogram, s->n_duration_histogram);
        histogram(w, "ResponseTimeHistogram", s->response_time_histogram,
                  s->n_response_time_histogram);
    }
    st_json_end_object(w);
}

void st_output_service_graph(FILE *f, const Stratus__GetServiceGraphResponse *resp)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    time_member(&w, "StartTime", resp->has_start_time_ms, resp->start_time_ms);
    time_member(&w, "EndTime", resp->has_end_time_ms, resp->end_time_ms);
    st_json_key(&w, "Services");
    st_json_begin_array(&w);
    for (size_t i = 0; i < resp->n_services; i++) {
        service(&w, resp->services[i]);
    }
    st_json_end_array(&w);
    bool_member(&w, "ContainsOldGroupVersions", resp->has_contains_old_group_versions,
                resp->contains_old_group_versions);
    st_json_end_object(&w);
    st_json_end(&w);
}

static void service_id(struct st_json_writer *w, const Stratus__ServiceId *s)
{
    st_json_begin_object(w);
    str_member(w, "Name", s->name);
    strings_member(w, "Names", s->names, s->n_names);
    str_member(w, "AccountId", s->account_id);
    str_member(w, "Type", s->type);
    st_json_end_object(w);
}

static void service_ids(struct st_json_writer *w, Stratus__ServiceId *const *ids, size_t n)
{
    st_json_key(w, "ServiceIds");
    st_json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        service_id(w, ids[i]);
    }
    st_json_end_array(w);
}

static void summary(struct st_json_writer *w, const Stratus__TraceSummary *t)
{
    st_json_begin_object(w);
    str_member(w, "Id", t->id);
    time_member(w, "StartTime", t->has_start_time_ms, t->start_time_ms);
    double_member(w, "Duration", t->has_duration, t->duration);
    double_member(w, "ResponseTime", t->has_response_time, t->response_time);
    bool_member(w, "HasFault", t->has_has_fault, t->has_fault);
    bool_member(w, "HasError", t->has_has_error, t->has_error);
    bool_member(w, "HasThrottle", t->has_has_throttle, t->has_throttle);
    bool_member(w, "IsPartial", t->has_is_partial, t->is_partial);
    if (t->http) {
        st_json_key(w, "Http");
        st_json_begin_object(w);
        str_member(w, "HttpURL", t->http->http_url);
        int_member(w, "HttpStatus", t->http->has_http_status, t->http->http_status);
        str_member(w, "HttpMethod", t->http->http_method);
        str_member(w, "UserAgent", t->http->user_agent);
        str_member(w, "ClientIp", t->http->client_ip);
        st_json_end_object(w);
    }
    st_json_key(w, "Annotations");
    st_json_begin_object(w);
    for (size_t i = 0; i < t->n_annotations; i++) {
        const Stratus__AnnotationsEntry *e = t->annotations[i];
        st_json_key(w, e->key);
        st_json_begin_array(w);
        for (size_t k = 0; k < e->n_value; k++) {
            const Stratus__ValueWithServiceIds *v = e->value[k];
            st_json_begin_object(w);
            if (v->annotation_value) {
                const Stratus__AnnotationValue *av = v->annotation_value;
                st_json_key(w, "AnnotationValue");
                st_json_begin_object(w);
                double_member(w, "NumberValue", av->has_number_value, av->number_value);
                bool_member(w, "BooleanValue", av->has_boolean_value, av->boolean_value);
                str_member(w, "StringValue", av->string_value);
                st_json_end_object(w);
            }
            service_ids(w, v->service_ids, v->n_service_ids);
            st_json_end_object(w);
        }
        st_json_end_array(w);
    }
    st_json_end_object(w);
    st_json_key(w, "Users");
    st_json_begin_array(w);
    for (size_t i = 0; i < t->n_users; i++) {
        st_json_begin_object(w);
        str_member(w, "UserName", t->users[i]->user_name);
        service_ids(w, t->users[i]->service_ids, t->users[i]->n_service_ids);
        st_json_end_object(w);
    }
    st_json_end_array(w);
    service_ids(w, t->service_ids, t->n_service_ids);
    if (t->entry_point) {
        st_json_key(w, "EntryPoint");
        service_id(w, t->entry_point);
    }
    int_member(w, "Revision", t->has_revision, t->revision);
    time_member(w, "MatchedEventTime", t->has_matched_event_time_ms, t->matched_event_time_ms);
    st_json_end_object(w);
}

void st_output_trace_summaries(FILE *f, Stratus__TraceSummary *const *items, size_t n,
                               const Stratus__GetTraceSummariesResponse *first)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    st_json_key(&w, "TraceSummaries");
    st_json_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        summary(&w, items[i]);
    }
    st_json_end_array(&w);
    if (first) {
        time_member(&w, "ApproximateTime", first->has_approximate_time_ms,
                    first->approximate_time_ms);
        int_member(&w, "TracesProcessedCount", first->has_traces_processed_count,
                   first->traces_processed_count);
    }
    st_json_end_object(&w);
    st_json_end(&w);
}

void st_output_traces(FILE *f, Stratus__BatchGetTracesResponse *const *replies, size_t n)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    st_json_key(&w, "Traces");
    st_json_begin_array(&w);
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < replies[r]->n_traces; i++) {
            const Stratus__Trace *t = replies[r]->traces[i];
            st_json_begin_object(&w);
            str_member(&w, "Id", t->id);
            double_member(&w, "Duration", t->has_duration, t->duration);
            bool_member(&w, "LimitExceeded", t->has_limit_exceeded, t->limit_exceeded);
            st_json_key(&w, "Segments");
            st_json_begin_array(&w);
            for (size_t k = 0; k < t->n_segments; k++) {
                st_json_begin_object(&w);
                str_member(&w, "Id", t->segments[k]->id);
                str_member(&w, "Document", t->segments[k]->document);
                st_json_end_object(&w);
            }
            st_json_end_array(&w);
            st_json_end_object(&w);
        }
    }
    st_json_end_array(&w);
    st_json_key(&w, "UnprocessedTraceIds");
    st_json_begin_array(&w);
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < replies[r]->n_unprocessed_trace_ids; i++) {
            st_json_string(&w, replies[r]->unprocessed_trace_ids[i]);
        }
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
}

void st_output_put_trace_segments(FILE *f, const Stratus__PutTraceSegmentsResponse *resp)
{
    struct st_json_writer w;
    st_json_writer_init(&w, f);
    st_json_begin_object(&w);
    st_json_key(&w, "UnprocessedTraceSegments");
    st_json_begin_array(&w);
    for (size_t i = 0; i < resp->n_unprocessed_trace_segments; i++) {
        const Stratus__UnprocessedTraceSegment *u = resp->unprocessed_trace_segments[i];
        st_json_begin_object(&w);
        str_member(&w, "Id", u->id);
        str_member(&w, "ErrorCode", u->error_code);
        str_member(&w, "Message", u->message);
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
}
