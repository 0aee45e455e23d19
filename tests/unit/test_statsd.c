/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the StatsD parser and aggregator (lib/statsd.c): every metric type, sample
 * rates, DogStatsD and bucket tags, signed gauges, multi-sample lines, each malformed shape
 * counted under its reason without stopping the datagram, and the aggregator's results for
 * known sequences: counter scaling, gauge last and relative values, set cardinality, timer
 * Values/Counts (exact up to 150 values, then 10 % exponential buckets, then chunks), the key
 * and cell limits, flush semantics and allocation failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/statsd.h"

/* assert_int_equal's shape for doubles: |got - want| <= eps (cmocka 1.1.5 only has floats). */
#define assert_near(got, want, eps) near((got), (want), (eps), __FILE__, __LINE__)

static void near(double got, double want, double eps, const char *file, int line)
{
    if (!(fabs(got - want) <= eps)) {
        print_error("%.17g != %.17g (+- %g)\n", got, want, eps);
        _fail(file, line);
    }
}

#define MAX_EVENTS  64
#define MAX_METRICS 512
#define TAGS_LEN    4096

struct ev_copy {
    char name[ST_STATSD_MAX_NAME_LEN + 1];
    enum st_statsd_type type;
    double value;
    bool relative;
    double rate;
    char member[ST_STATSD_MAX_SET_LEN + 1];
    size_t n_tags;
    char tags[TAGS_LEN]; /* "k=v,k=v" in event order */
};

struct metric_copy {
    char name[ST_STATSD_MAX_NAME_LEN + 1];
    char metric_type[16];
    enum st_statsd_type type;
    char tags[TAGS_LEN]; /* "k=v,k=v" as reported (sorted) */
    double value;
    size_t n_values;
    double values[ST_STATSD_AGG_MAX_VALUES];
    double counts[ST_STATSD_AGG_MAX_VALUES];
    double count, sum, min, max;
};

struct fixture {
    struct ev_copy events[MAX_EVENTS];
    size_t n_events;
    int stop_after; /* event callback returns -ECANCELED after this many (0: never) */
    struct st_statsd_stats stats;
    struct st_statsd_agg *agg;
    struct metric_copy *metrics; /* MAX_METRICS */
    size_t n_metrics;
    int refuse_at; /* flush callback refuses the n-th metric (0: never) */
    char *buf;     /* scratch for long inputs */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) {
        return -1;
    }
    *state = f;
    f->metrics = calloc(MAX_METRICS, sizeof(*f->metrics));
    f->buf = calloc(1, 128 * 1024);
    if (!f->metrics || !f->buf) {
        return -1;
    }
    return st_statsd_agg_new(NULL, &f->agg);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    st_alloc_fail_disarm();
    if (!f) {
        return 0;
    }
    st_statsd_agg_free(f->agg);
    free(f->metrics);
    free(f->buf);
    free(f);
    return 0;
}

static void join_tags(char *out, const struct st_statsd_tag *tags, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(out + len, TAGS_LEN - len, "%s%.*s=%.*s", i ? "," : "",
                                (int)tags[i].key_len, tags[i].key, (int)tags[i].value_len,
                                tags[i].value);
        if (len >= TAGS_LEN) {
            return;
        }
    }
}

static int on_event(const struct st_statsd_event *ev, void *data)
{
    struct fixture *f = data;
    assert_true(f->n_events < MAX_EVENTS);
    struct ev_copy *e = &f->events[f->n_events++];
    snprintf(e->name, sizeof(e->name), "%.*s", (int)ev->name_len, ev->name);
    e->type = ev->type;
    e->value = ev->value;
    e->relative = ev->relative;
    e->rate = ev->sample_rate;
    snprintf(e->member, sizeof(e->member), "%.*s", (int)ev->set_member_len,
             ev->set_member ? ev->set_member : "");
    e->n_tags = ev->n_tags;
    join_tags(e->tags, ev->tags, ev->n_tags);
    if (f->stop_after && (int)f->n_events == f->stop_after) {
        return -ECANCELED;
    }
    return 0;
}

static int parse(struct fixture *f, const char *s)
{
    return st_statsd_parse((const uint8_t *)s, strlen(s), on_event, f, &f->stats);
}

/* Parses s and checks it was one bad line of the given reason, with no event. */
static void assert_bad(struct fixture *f, const char *s, enum st_statsd_bad reason)
{
    assert_int_equal(parse(f, s), 0);
    assert_int_equal(f->n_events, 0);
    assert_int_equal(f->stats.bad_lines, 1);
    assert_int_equal(f->stats.bad[reason], 1);
}

static int on_metric(const struct st_statsd_metric *m, void *data)
{
    struct fixture *f = data;
    if (f->refuse_at && (int)f->n_metrics + 1 == f->refuse_at) {
        return -EAGAIN;
    }
    assert_true(f->n_metrics < MAX_METRICS);
    struct metric_copy *c = &f->metrics[f->n_metrics++];
    snprintf(c->name, sizeof(c->name), "%s", m->name);
    snprintf(c->metric_type, sizeof(c->metric_type), "%s", m->metric_type);
    c->type = m->type;
    join_tags(c->tags, m->tags, m->n_tags);
    c->value = m->value;
    c->n_values = m->n_values;
    assert_true(m->n_values <= ST_STATSD_AGG_MAX_VALUES);
    if (m->n_values) {
        memcpy(c->values, m->values, m->n_values * sizeof(double));
        memcpy(c->counts, m->counts, m->n_values * sizeof(double));
    }
    c->count = m->count, c->sum = m->sum, c->min = m->min, c->max = m->max;
    return 0;
}

/* Parses s into the aggregator. */
static void feed(struct fixture *f, const char *s)
{
    assert_int_equal(
        st_statsd_parse((const uint8_t *)s, strlen(s), st_statsd_agg_add_fn, f->agg, &f->stats), 0);
}

static void flush(struct fixture *f)
{
    f->n_metrics = 0;
    assert_int_equal(st_statsd_agg_flush(f->agg, on_metric, f), 0);
}

static const struct metric_copy *find_metric(const struct fixture *f, const char *name,
                                             const char *metric_type)
{
    for (size_t i = 0; i < f->n_metrics; i++) {
        if (strcmp(f->metrics[i].name, name) == 0 &&
            strcmp(f->metrics[i].metric_type, metric_type) == 0) {
            return &f->metrics[i];
        }
    }
    fail_msg("no metric %s (%s)", name, metric_type);
    return NULL;
}

static void set_agg(struct fixture *f, const struct st_statsd_agg_config *cfg)
{
    st_statsd_agg_free(f->agg);
    f->agg = NULL;
    assert_int_equal(st_statsd_agg_new(cfg, &f->agg), 0);
}

static struct st_statsd_agg_stats agg_stats(const struct fixture *f)
{
    struct st_statsd_agg_stats s;
    st_statsd_agg_get_stats(f->agg, &s);
    return s;
}

/* --- parser: one line of each type --- */

static void counter_line_gives_counter_event(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "page.views:3|c"), 0);
    assert_int_equal(f->n_events, 1);
    assert_string_equal(f->events[0].name, "page.views");
    assert_int_equal(f->events[0].type, ST_STATSD_COUNTER);
    assert_near(f->events[0].value, 3, 0);
    assert_near(f->events[0].rate, 1, 0);
    assert_int_equal(f->events[0].n_tags, 0);
    assert_int_equal(f->stats.lines, 1);
    assert_int_equal(f->stats.events, 1);
}

static void gauge_line_gives_gauge_event(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "fuel.level:0.5|g"), 0);
    assert_int_equal(f->events[0].type, ST_STATSD_GAUGE);
    assert_near(f->events[0].value, 0.5, 0);
    assert_false(f->events[0].relative);
}

static void gauge_with_plus_sign_is_relative(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "gaugor:+5|g"), 0);
    assert_near(f->events[0].value, 5, 0);
    assert_true(f->events[0].relative);
}

static void gauge_with_minus_sign_is_relative(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "gaugor:-3|g"), 0);
    assert_near(f->events[0].value, -3, 0);
    assert_true(f->events[0].relative);
}

static void negative_counter_is_accepted_and_not_relative(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "c:-2|c"), 0);
    assert_near(f->events[0].value, -2, 0);
    assert_false(f->events[0].relative);
}

static void timing_line_gives_timing_event(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "glork:320|ms"), 0);
    assert_int_equal(f->events[0].type, ST_STATSD_TIMING);
    assert_near(f->events[0].value, 320, 0);
}

static void histogram_line_gives_histogram_event(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "load.time:1.5|h"), 0);
    assert_int_equal(f->events[0].type, ST_STATSD_HISTOGRAM);
    assert_near(f->events[0].value, 1.5, 0);
}

static void set_line_gives_member(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "users.unique:alice|s"), 0);
    assert_int_equal(f->events[0].type, ST_STATSD_SET);
    assert_string_equal(f->events[0].member, "alice");
}

static void distribution_line_is_parsed(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "lat:12|d"), 0);
    assert_int_equal(f->events[0].type, ST_STATSD_DISTRIBUTION);
}

static void exponent_and_fraction_forms_are_numbers(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1.5e3|g\nb:.25|g\nc:7.|g\nd:2E-2|ms"), 0);
    assert_int_equal(f->n_events, 4);
    assert_near(f->events[0].value, 1500, 0);
    assert_near(f->events[1].value, 0.25, 0);
    assert_near(f->events[2].value, 7, 0);
    assert_near(f->events[3].value, 0.02, 1e-15);
}

static void sample_rate_is_parsed(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "hits:1|c|@0.1"), 0);
    assert_near(f->events[0].rate, 0.1, 0);
}

static void dogstatsd_tags_become_tags(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "users.online:1|c|@0.5|#country:china,environment:production"), 0);
    assert_int_equal(f->events[0].n_tags, 2);
    assert_string_equal(f->events[0].tags, "country=china,environment=production");
    assert_near(f->events[0].rate, 0.5, 0);
}

static void tag_without_value_is_true(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c|#sometagwithnovalue,empty:"), 0);
    assert_string_equal(f->events[0].tags, "sometagwithnovalue=true,empty=true");
}

static void tag_value_may_hold_colons(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c|#url:http://x:80/y"), 0);
    assert_string_equal(f->events[0].tags, "url=http://x:80/y");
}

static void repeated_tag_key_keeps_last_value(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c|#env:a,env:b"), 0);
    assert_int_equal(f->events[0].n_tags, 1);
    assert_string_equal(f->events[0].tags, "env=b");
}

static void tags_before_rate_are_accepted(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c|#k:v|@0.5"), 0);
    assert_string_equal(f->events[0].tags, "k=v");
    assert_near(f->events[0].rate, 0.5, 0);
}

static void bucket_tags_become_tags(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "users.current,service=payroll,region=us-west:32|g"), 0);
    assert_string_equal(f->events[0].name, "users.current");
    assert_string_equal(f->events[0].tags, "service=payroll,region=us-west");
}

static void multiple_lines_give_one_event_each(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c\nb:2|g\nc:3|ms\nd:x|s\n"), 0);
    assert_int_equal(f->n_events, 4);
    assert_string_equal(f->events[3].name, "d");
    assert_int_equal(f->stats.lines, 4);
}

static void crlf_and_blank_lines_are_skipped(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "\r\n  a:1|c \r\n\n\t\nb:2|c\r\n"), 0);
    assert_int_equal(f->n_events, 2);
    assert_int_equal(f->stats.lines, 2);
    assert_int_equal(f->stats.bad_lines, 0);
}

static void multi_sample_line_gives_one_event_per_sample(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "foo:1|c:200|ms:+10|g"), 0);
    assert_int_equal(f->n_events, 3);
    assert_int_equal(f->events[0].type, ST_STATSD_COUNTER);
    assert_int_equal(f->events[1].type, ST_STATSD_TIMING);
    assert_near(f->events[1].value, 200, 0);
    assert_true(f->events[2].relative);
    assert_string_equal(f->events[2].name, "foo");
}

static void sample_rate_belongs_to_its_sample(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "deploys:1|c:101|c:1|c|@0.1"), 0);
    assert_int_equal(f->n_events, 3);
    assert_near(f->events[0].rate, 1, 0);
    assert_near(f->events[1].rate, 1, 0);
    assert_near(f->events[2].rate, 0.1, 0);
}

static void tags_apply_to_every_sample(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "t:1|ms|@0.5:2|ms|#k:v"), 0);
    assert_int_equal(f->n_events, 2);
    assert_string_equal(f->events[0].tags, "k=v");
    assert_string_equal(f->events[1].tags, "k=v");
}

static void container_and_timestamp_fields_are_ignored(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c|#k:v|c:abc123|T1700000000"), 0);
    assert_int_equal(f->n_events, 1);
    assert_string_equal(f->events[0].tags, "k=v");
}

static void dogstatsd_events_and_service_checks_are_ignored(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "_e{5,4}:title|text\n_sc|check|0\na:1|c"), 0);
    assert_int_equal(f->n_events, 1);
    assert_int_equal(f->stats.ignored_lines, 2);
    assert_int_equal(f->stats.bad_lines, 0);
}

static void longest_name_is_accepted(void **state)
{
    struct fixture *f = *state;
    memset(f->buf, 'n', ST_STATSD_MAX_NAME_LEN);
    strcpy(f->buf + ST_STATSD_MAX_NAME_LEN, ":1|c");
    assert_int_equal(parse(f, f->buf), 0);
    assert_int_equal(f->n_events, 1);
    assert_int_equal(strlen(f->events[0].name), ST_STATSD_MAX_NAME_LEN);
}

static void most_tags_are_accepted(void **state)
{
    struct fixture *f = *state;
    size_t n = (size_t)sprintf(f->buf, "a:1|c|#");
    for (int i = 0; i < ST_STATSD_MAX_TAGS; i++) {
        n += (size_t)sprintf(f->buf + n, "%sk%d:v", i ? "," : "", i);
    }
    assert_int_equal(parse(f, f->buf), 0);
    assert_int_equal(f->n_events, 1);
    assert_int_equal(f->events[0].n_tags, ST_STATSD_MAX_TAGS);
}

static void utf8_name_and_tags_are_accepted(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "caf\xc3\xa9.requ\xc3\xaates:1|c|#r\xc3\xa9gion:\xe2\x82\xac"), 0);
    assert_int_equal(f->n_events, 1);
}

static void callback_error_stops_the_parse(void **state)
{
    struct fixture *f = *state;
    f->stop_after = 2;
    assert_int_equal(parse(f, "a:1|c\nb:1|c\nc:1|c"), -ECANCELED);
    assert_int_equal(f->n_events, 2);
}

/* --- parser: malformed lines, each counted under its reason --- */

static void line_without_colon_is_bad_syntax(void **state)
{
    assert_bad(*state, "just.a.name", ST_STATSD_BAD_SYNTAX);
}

static void line_without_pipe_is_bad_syntax(void **state)
{
    assert_bad(*state, "a:1", ST_STATSD_BAD_SYNTAX);
}

static void empty_name_is_bad_syntax(void **state)
{
    assert_bad(*state, ":1|c", ST_STATSD_BAD_SYNTAX);
}

static void empty_value_is_bad_syntax(void **state)
{
    assert_bad(*state, "a:|c", ST_STATSD_BAD_SYNTAX);
}

static void name_with_bar_is_bad_syntax(void **state)
{
    assert_bad(*state, "a|b:1|c", ST_STATSD_BAD_SYNTAX);
}

static void dogstatsd_multi_value_is_bad_syntax(void **state)
{
    assert_bad(*state, "a:1:2:3|c", ST_STATSD_BAD_SYNTAX);
}

static void trailing_colon_is_bad_syntax(void **state)
{
    assert_bad(*state, "a:1|c:", ST_STATSD_BAD_SYNTAX);
}

static void unknown_type_is_bad_type(void **state)
{
    assert_bad(*state, "a:1|x", ST_STATSD_BAD_TYPE);
}

static void empty_type_is_bad_type(void **state)
{
    assert_bad(*state, "a:1|", ST_STATSD_BAD_TYPE);
}

static void word_is_bad_value(void **state)
{
    assert_bad(*state, "a:abc|c", ST_STATSD_BAD_VALUE);
}

static void nan_is_bad_value(void **state)
{
    assert_bad(*state, "a:NaN|g", ST_STATSD_BAD_VALUE);
}

static void inf_is_bad_value(void **state)
{
    assert_bad(*state, "a:Inf|g", ST_STATSD_BAD_VALUE);
}

static void overflowing_number_is_bad_value(void **state)
{
    assert_bad(*state, "a:1e999|g", ST_STATSD_BAD_VALUE);
}

static void hex_number_is_bad_value(void **state)
{
    assert_bad(*state, "a:0x10|g", ST_STATSD_BAD_VALUE);
}

static void number_with_junk_is_bad_value(void **state)
{
    assert_bad(*state, "a:12abc|c", ST_STATSD_BAD_VALUE);
}

static void signed_timing_is_bad_value(void **state)
{
    assert_bad(*state, "a:-5|ms", ST_STATSD_BAD_VALUE);
}

static void signed_set_member_is_bad_value(void **state)
{
    assert_bad(*state, "a:+5|s", ST_STATSD_BAD_VALUE);
}

static void huge_number_is_too_long(void **state)
{
    struct fixture *f = *state;
    strcpy(f->buf, "a:");
    memset(f->buf + 2, '1', 100);
    strcpy(f->buf + 102, "|c");
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_LONG);
}

static void zero_rate_is_bad_rate(void **state)
{
    assert_bad(*state, "a:1|c|@0", ST_STATSD_BAD_RATE);
}

static void rate_above_one_is_bad_rate(void **state)
{
    assert_bad(*state, "a:1|c|@1.5", ST_STATSD_BAD_RATE);
}

static void rate_that_is_no_number_is_bad_rate(void **state)
{
    assert_bad(*state, "a:1|c|@fast", ST_STATSD_BAD_RATE);
}

static void second_rate_is_bad_field(void **state)
{
    assert_bad(*state, "a:1|c|@0.5|@0.5", ST_STATSD_BAD_FIELD);
}

static void trailing_junk_is_bad_field(void **state)
{
    assert_bad(*state, "a:1|c|junk", ST_STATSD_BAD_FIELD);
}

static void trailing_pipe_is_bad_field(void **state)
{
    assert_bad(*state, "a:1|c|", ST_STATSD_BAD_FIELD);
}

static void bad_timestamp_is_bad_field(void **state)
{
    assert_bad(*state, "a:1|c|T12x", ST_STATSD_BAD_FIELD);
}

static void tag_with_empty_key_is_bad_tag(void **state)
{
    assert_bad(*state, "a:1|c|#:v", ST_STATSD_BAD_TAG);
}

static void bucket_tag_without_equals_is_bad_tag(void **state)
{
    assert_bad(*state, "a,novalue:1|c", ST_STATSD_BAD_TAG);
}

static void tag_with_control_byte_is_bad_tag(void **state)
{
    assert_bad(*state, "a:1|c|#k:v\x01", ST_STATSD_BAD_TAG);
}

static void name_too_long_is_too_long(void **state)
{
    struct fixture *f = *state;
    memset(f->buf, 'n', ST_STATSD_MAX_NAME_LEN + 1);
    strcpy(f->buf + ST_STATSD_MAX_NAME_LEN + 1, ":1|c");
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_LONG);
}

static void huge_name_is_too_long(void **state)
{
    struct fixture *f = *state;
    memset(f->buf, 'n', 60000);
    strcpy(f->buf + 60000, ":1|c");
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_LONG);
}

static void tag_value_too_long_is_too_long(void **state)
{
    struct fixture *f = *state;
    size_t n = (size_t)sprintf(f->buf, "a:1|c|#k:");
    memset(f->buf + n, 'v', ST_STATSD_MAX_TAG_VAL_LEN + 1);
    f->buf[n + ST_STATSD_MAX_TAG_VAL_LEN + 1] = '\0';
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_LONG);
}

static void set_member_too_long_is_too_long(void **state)
{
    struct fixture *f = *state;
    size_t n = (size_t)sprintf(f->buf, "a:");
    memset(f->buf + n, 'm', ST_STATSD_MAX_SET_LEN + 1);
    strcpy(f->buf + n + ST_STATSD_MAX_SET_LEN + 1, "|s");
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_LONG);
}

static void too_many_tags_is_too_many(void **state)
{
    struct fixture *f = *state;
    size_t n = (size_t)sprintf(f->buf, "a:1|c|#");
    for (int i = 0; i <= ST_STATSD_MAX_TAGS; i++) {
        n += (size_t)sprintf(f->buf + n, "%sk%d:v", i ? "," : "", i);
    }
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_MANY);
}

static void too_many_samples_is_too_many(void **state)
{
    struct fixture *f = *state;
    size_t n = (size_t)sprintf(f->buf, "a");
    for (int i = 0; i <= ST_STATSD_MAX_SAMPLES; i++) {
        n += (size_t)sprintf(f->buf + n, ":1|c");
    }
    assert_bad(f, f->buf, ST_STATSD_BAD_TOO_MANY);
}

static void name_with_control_byte_is_bad_encoding(void **state)
{
    assert_bad(*state, "a\tb:1|c", ST_STATSD_BAD_ENCODING);
}

static void name_with_invalid_utf8_is_bad_encoding(void **state)
{
    assert_bad(*state, "a\xff:1|c", ST_STATSD_BAD_ENCODING);
}

static void overlong_utf8_is_bad_encoding(void **state)
{
    assert_bad(*state, "a\xc0\xaf:1|c", ST_STATSD_BAD_ENCODING);
}

static void nul_byte_in_line_is_bad(void **state)
{
    struct fixture *f = *state;
    static const uint8_t line[] = {'a', 0, 'b', ':', '1', '|', 'c'};
    assert_int_equal(st_statsd_parse(line, sizeof(line), on_event, f, &f->stats), 0);
    assert_int_equal(f->n_events, 0);
    assert_int_equal(f->stats.bad[ST_STATSD_BAD_ENCODING], 1);
}

static void bad_sample_makes_the_whole_line_bad(void **state)
{
    assert_bad(*state, "a:1|c:x|c", ST_STATSD_BAD_VALUE);
}

static void bad_line_does_not_stop_the_datagram(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "a:1|c\ngarbage\nb:2|c\nc:3|zz\nd:4|g"), 0);
    assert_int_equal(f->n_events, 3);
    assert_int_equal(f->stats.lines, 5);
    assert_int_equal(f->stats.bad_lines, 2);
    assert_int_equal(f->stats.bad[ST_STATSD_BAD_SYNTAX], 1);
    assert_int_equal(f->stats.bad[ST_STATSD_BAD_TYPE], 1);
}

static void oversized_datagram_is_rejected(void **state)
{
    struct fixture *f = *state;
    size_t len = ST_STATSD_MAX_DATAGRAM + 1;
    memset(f->buf, '\n', len);
    memcpy(f->buf, "a:1|c", 5);
    assert_int_equal(st_statsd_parse((uint8_t *)f->buf, len, on_event, f, &f->stats), -EMSGSIZE);
    assert_int_equal(f->n_events, 0);
    assert_int_equal(f->stats.datagrams, 1);
}

static void type_names_match_telegraf(void **state)
{
    (void)state;
    assert_string_equal(st_statsd_type_name(ST_STATSD_COUNTER), "counter");
    assert_string_equal(st_statsd_type_name(ST_STATSD_GAUGE), "gauge");
    assert_string_equal(st_statsd_type_name(ST_STATSD_TIMING), "timing");
    assert_string_equal(st_statsd_type_name(ST_STATSD_HISTOGRAM), "histogram");
    assert_string_equal(st_statsd_type_name(ST_STATSD_SET), "set");
}

/* --- aggregator --- */

static void counter_sums_values_scaled_by_sample_rate(void **state)
{
    struct fixture *f = *state;
    feed(f, "hits:1|c|@0.1\nhits:2|c\nhits:1|c|@0.5");
    flush(f);
    assert_int_equal(f->n_metrics, 1);
    const struct metric_copy *m = find_metric(f, "hits", "counter");
    assert_near(m->value, 14, 1e-12);
}

static void counter_keeps_fractions_of_scaled_values(void **state)
{
    struct fixture *f = *state;
    feed(f, "hits:1|c|@0.3");
    flush(f);
    assert_near(f->metrics[0].value, 1 / 0.3, 1e-12);
}

static void counter_sign_subtracts(void **state)
{
    struct fixture *f = *state;
    feed(f, "c:5|c\nc:-2|c\nc:+1|c");
    flush(f);
    assert_near(f->metrics[0].value, 4, 0);
}

static void gauge_takes_the_last_value(void **state)
{
    struct fixture *f = *state;
    feed(f, "g:10|g\ng:7|g\ng:3|g");
    flush(f);
    assert_near(find_metric(f, "g", "gauge")->value, 3, 0);
}

static void relative_gauge_adjusts_the_value(void **state)
{
    struct fixture *f = *state;
    feed(f, "g:10|g\ng:+5|g\ng:-3|g");
    flush(f);
    assert_near(f->metrics[0].value, 12, 0);
}

static void relative_gauge_without_base_starts_from_zero(void **state)
{
    struct fixture *f = *state;
    feed(f, "g:-4|g");
    flush(f);
    assert_near(f->metrics[0].value, -4, 0);
}

static void gauge_is_forgotten_after_flush(void **state)
{
    struct fixture *f = *state;
    feed(f, "g:10|g");
    flush(f);
    flush(f);
    assert_int_equal(f->n_metrics, 0);
    feed(f, "g:+1|g");
    flush(f);
    assert_near(f->metrics[0].value, 1, 0);
}

static void kept_gauge_is_reported_every_flush(void **state)
{
    struct fixture *f = *state;
    set_agg(f, &(struct st_statsd_agg_config){.keep_gauges = true});
    feed(f, "g:10|g\nc:1|c");
    flush(f);
    flush(f);
    assert_int_equal(f->n_metrics, 1);
    assert_near(find_metric(f, "g", "gauge")->value, 10, 0);
    feed(f, "g:+2|g");
    flush(f);
    assert_near(f->metrics[0].value, 12, 0);
}

static void set_counts_distinct_members(void **state)
{
    struct fixture *f = *state;
    feed(f, "u:101|s\nu:101|s\nu:102|s\nu:alice|s:bob|s:alice|s");
    flush(f);
    assert_near(find_metric(f, "u", "set")->value, 4, 0);
}

static void large_set_counts_every_member(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof(line), "u:member%d|s", i % 2500);
        feed(f, line);
    }
    flush(f);
    assert_near(f->metrics[0].value, 2500, 0);
}

static void timer_reports_exact_values_and_counts(void **state)
{
    struct fixture *f = *state;
    feed(f, "t:30|ms\nt:10|ms\nt:20|ms\nt:10|ms\nt:0|ms");
    flush(f);
    const struct metric_copy *m = find_metric(f, "t", "timing");
    assert_int_equal(m->n_values, 4);
    double values[] = {0, 10, 20, 30}, counts[] = {1, 2, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_near(m->values[i], values[i], 0);
        assert_near(m->counts[i], counts[i], 0);
    }
    assert_near(m->count, 5, 0);
    assert_near(m->sum, 70, 0);
    assert_near(m->min, 0, 0);
    assert_near(m->max, 30, 0);
}

static void timer_sample_rate_weights_counts(void **state)
{
    struct fixture *f = *state;
    feed(f, "t:200|ms|@0.1\nt:100|ms|@0.5");
    flush(f);
    const struct metric_copy *m = &f->metrics[0];
    assert_near(m->counts[0], 2, 1e-12);
    assert_near(m->counts[1], 10, 1e-12);
    assert_near(m->count, 12, 1e-12);
    assert_near(m->sum, 2200, 1e-9);
}

static void timer_with_150_distinct_values_stays_exact(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 1; i <= ST_STATSD_AGG_MAX_VALUES; i++) {
        snprintf(line, sizeof(line), "t:%d|ms", i);
        feed(f, line);
    }
    flush(f);
    assert_int_equal(f->metrics[0].n_values, ST_STATSD_AGG_MAX_VALUES);
    for (int i = 0; i < ST_STATSD_AGG_MAX_VALUES; i++) {
        assert_near(f->metrics[0].values[i], i + 1, 0);
        assert_near(f->metrics[0].counts[i], 1, 0);
    }
}

/*
 * 1000 distinct values 1..1000 fall in 58 exponential buckets of 1.1 (buckets 0..72 of
 * floor(ln v / ln 1.1), those between 1 and 2 empty).
 */
static void timer_beyond_150_values_is_bucketed(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 1; i <= 1000; i++) {
        snprintf(line, sizeof(line), "t:%d|ms", i);
        feed(f, line);
    }
    flush(f);
    assert_int_equal(f->n_metrics, 1);
    const struct metric_copy *m = &f->metrics[0];
    assert_int_equal(m->n_values, 58);
    double total = 0;
    for (size_t i = 0; i < m->n_values; i++) {
        total += m->counts[i];
        assert_true(i == 0 || m->values[i] > m->values[i - 1]);
    }
    assert_near(total, 1000, 0);
    assert_near(m->count, 1000, 0);
    assert_near(m->sum, 500500, 0);
    assert_near(m->min, 1, 0);
    assert_near(m->max, 1000, 0);
}

/*
 * Every value lands in a bucket of factor 1.1 reported at its geometric middle: at most
 * sqrt(1.1) - 1 (4.9 %) from the value, so well inside the 10 % bucket.
 */
static void bucketed_value_is_within_ten_percent_bucket(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 0; i < 400; i++) {
        snprintf(line, sizeof(line), "t:%.17g|ms", 3.7 * pow(1.013, i));
        feed(f, line);
    }
    flush(f);
    const struct metric_copy *m = &f->metrics[0];
    assert_true(m->n_values < ST_STATSD_AGG_MAX_VALUES);
    /* Walk the values in order: each goes to the first reported value not below its bucket. */
    size_t j = 0;
    double seen = 0;
    for (int i = 0; i < 400; i++) {
        double v = 3.7 * pow(1.013, i);
        while (seen >= m->counts[j] - 1e-9) {
            seen -= m->counts[j];
            j++;
        }
        seen += 1;
        double err = fabs(m->values[j] - v) / v;
        assert_true(err <= sqrt(1.1) - 1 + 1e-12);
        assert_true(err < 0.1);
    }
}

static void zero_timer_value_is_its_own_value_when_bucketed(void **state)
{
    struct fixture *f = *state;
    char line[64];
    feed(f, "t:0|ms\nt:0|ms");
    for (int i = 1; i <= 200; i++) {
        snprintf(line, sizeof(line), "t:%d|ms", i);
        feed(f, line);
    }
    flush(f);
    const struct metric_copy *m = &f->metrics[0];
    assert_near(m->values[0], 0, 0);
    assert_near(m->counts[0], 2, 0);
    assert_true(m->values[1] >= 1);
}

/* Values from 1e-6 to 1e6 fill 290 buckets of 1.1: reported in two calls of <= 150 values. */
static void wide_timer_is_reported_in_chunks(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 0; i <= 300; i++) {
        snprintf(line, sizeof(line), "t:%.17g|ms", 1e-6 * pow(1e12, i / 300.0));
        feed(f, line);
    }
    flush(f);
    assert_int_equal(f->n_metrics, 2);
    assert_int_equal(f->metrics[0].n_values + f->metrics[1].n_values, 290);
    double total = 0;
    for (size_t k = 0; k < 2; k++) {
        const struct metric_copy *m = &f->metrics[k];
        assert_true(m->n_values > 0 && m->n_values <= ST_STATSD_AGG_MAX_VALUES);
        for (size_t i = 0; i < m->n_values; i++) {
            total += m->counts[i];
        }
    }
    assert_near(total, 301, 0);
    assert_near(f->metrics[0].count + f->metrics[1].count, 301, 0);
    assert_near(f->metrics[0].min, 1e-6, 1e-18);
    assert_near(f->metrics[1].max, 1e6, 1e-6);
    assert_true(f->metrics[0].max < f->metrics[1].min);
}

static void timer_over_cloudwatch_range_is_invalid(void **state)
{
    struct fixture *f = *state;
    feed(f, "t:1e300|ms");
    assert_int_equal(agg_stats(f).invalid, 1);
    flush(f);
    assert_int_equal(f->n_metrics, 0);
}

static void timing_and_histogram_are_different_metrics(void **state)
{
    struct fixture *f = *state;
    feed(f, "x:1|ms\nx:2|h");
    flush(f);
    assert_int_equal(f->n_metrics, 2);
    assert_near(find_metric(f, "x", "timing")->values[0], 1, 0);
    assert_near(find_metric(f, "x", "histogram")->values[0], 2, 0);
}

static void tag_order_does_not_matter(void **state)
{
    struct fixture *f = *state;
    feed(f, "c:1|c|#b:2,a:1\nc:1|c|#a:1,b:2\nc,b=2:1|c|#a:1");
    flush(f);
    assert_int_equal(f->n_metrics, 1);
    assert_string_equal(f->metrics[0].tags, "a=1,b=2");
    assert_near(f->metrics[0].value, 3, 0);
}

static void different_tags_are_different_metrics(void **state)
{
    struct fixture *f = *state;
    feed(f, "c:1|c|#env:a\nc:1|c|#env:b\nc:1|c");
    flush(f);
    assert_int_equal(f->n_metrics, 3);
}

static void dots_become_the_separator(void **state)
{
    struct fixture *f = *state;
    feed(f, "users.current.den001:1|g");
    flush(f);
    assert_string_equal(f->metrics[0].name, "users_current_den001");
}

static void custom_separator_is_used(void **state)
{
    struct fixture *f = *state;
    set_agg(f, &(struct st_statsd_agg_config){.metric_separator = "."});
    feed(f, "a.b:1|g");
    flush(f);
    assert_string_equal(f->metrics[0].name, "a.b");
}

static void name_too_long_after_separator_is_invalid(void **state)
{
    struct fixture *f = *state;
    set_agg(f, &(struct st_statsd_agg_config){.metric_separator = "__"});
    memset(f->buf, '.', 200);
    strcpy(f->buf + 200, ":1|g");
    feed(f, f->buf);
    assert_int_equal(agg_stats(f).invalid, 1);
}

static void long_separator_is_refused(void **state)
{
    (void)state;
    struct st_statsd_agg *agg = NULL;
    assert_int_equal(
        st_statsd_agg_new(&(struct st_statsd_agg_config){.metric_separator = "123456789"}, &agg),
        -EINVAL);
    assert_null(agg);
}

static void metric_type_tag_is_dropped(void **state)
{
    struct fixture *f = *state;
    feed(f, "c:1|c|#metric_type:bogus,env:a");
    flush(f);
    assert_string_equal(f->metrics[0].tags, "env=a");
    assert_string_equal(f->metrics[0].metric_type, "counter");
}

static void distribution_is_dropped_and_counted(void **state)
{
    struct fixture *f = *state;
    feed(f, "d:1|d");
    assert_int_equal(agg_stats(f).unsupported, 1);
    flush(f);
    assert_int_equal(f->n_metrics, 0);
}

static void key_limit_drops_new_keys_only(void **state)
{
    struct fixture *f = *state;
    set_agg(f, &(struct st_statsd_agg_config){.max_keys = 3});
    feed(f, "a:1|c\nb:1|c\nc:1|c\nd:1|c\na:1|c");
    struct st_statsd_agg_stats s = agg_stats(f);
    assert_int_equal(s.keys, 3);
    assert_int_equal(s.keys_dropped, 1);
    flush(f);
    assert_int_equal(f->n_metrics, 3);
    assert_near(find_metric(f, "a", "counter")->value, 2, 0);
    feed(f, "d:1|c");
    flush(f);
    assert_int_equal(f->n_metrics, 1);
}

static int count_metric(const struct st_statsd_metric *m, void *data)
{
    (void)m;
    (*(size_t *)data)++;
    return 0;
}

static void default_key_limit_is_ten_thousand(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 0; i < ST_STATSD_AGG_DEFAULT_KEYS + 5; i++) {
        snprintf(line, sizeof(line), "k%d:1|c", i);
        feed(f, line);
    }
    struct st_statsd_agg_stats s = agg_stats(f);
    assert_int_equal(s.keys, ST_STATSD_AGG_DEFAULT_KEYS);
    assert_int_equal(s.keys_dropped, 5);
    size_t n = 0;
    assert_int_equal(st_statsd_agg_flush(f->agg, count_metric, &n), 0);
    assert_int_equal(n, ST_STATSD_AGG_DEFAULT_KEYS);
    assert_int_equal(agg_stats(f).keys, 0);
}

static void cell_limit_drops_new_members(void **state)
{
    struct fixture *f = *state;
    set_agg(f, &(struct st_statsd_agg_config){.max_cells = 3});
    feed(f, "s:a|s\ns:b|s\ns:a|s\nt:1|ms\nt:1|ms\ns:c|s\nt:2|ms\nu:x|s");
    struct st_statsd_agg_stats s = agg_stats(f);
    assert_int_equal(s.cells_dropped, 3);
    flush(f);
    assert_int_equal(f->n_metrics, 2);
    assert_near(find_metric(f, "s", "set")->value, 2, 0);
    assert_near(find_metric(f, "t", "timing")->counts[0], 2, 0);
    /* The flush gave the cells back. */
    feed(f, "u:x|s");
    flush(f);
    assert_int_equal(f->n_metrics, 1);
}

static void flush_forgets_every_metric(void **state)
{
    struct fixture *f = *state;
    feed(f, "c:1|c\ng:1|g\ns:a|s\nt:1|ms");
    flush(f);
    assert_int_equal(f->n_metrics, 4);
    assert_int_equal(agg_stats(f).keys, 0);
    flush(f);
    assert_int_equal(f->n_metrics, 0);
}

static void refused_metric_is_kept_for_next_flush(void **state)
{
    struct fixture *f = *state;
    feed(f, "a:1|c\nb:2|c\nc:3|c");
    f->refuse_at = 2;
    f->n_metrics = 0;
    assert_int_equal(st_statsd_agg_flush(f->agg, on_metric, f), -EAGAIN);
    assert_int_equal(f->n_metrics, 1);
    assert_int_equal(agg_stats(f).keys, 2);
    char delivered[ST_STATSD_MAX_NAME_LEN + 1];
    snprintf(delivered, sizeof(delivered), "%s", f->metrics[0].name);
    f->refuse_at = 0;
    feed(f, "a:1|c\nb:2|c\nc:3|c");
    flush(f);
    assert_int_equal(f->n_metrics, 3);
    /* The one delivered restarted from zero; the two kept ones hold both rounds. */
    for (size_t i = 0; i < 3; i++) {
        double once = f->metrics[i].name[0] - 'a' + 1;
        bool restarted = strcmp(f->metrics[i].name, delivered) == 0;
        assert_near(f->metrics[i].value, restarted ? once : 2 * once, 0);
    }
}

static void invalid_events_from_the_api_are_refused(void **state)
{
    struct fixture *f = *state;
    struct st_statsd_event ev = {
        .name = "t", .name_len = 1, .type = ST_STATSD_TIMING, .value = -1, .sample_rate = 1};
    assert_int_equal(st_statsd_agg_add(f->agg, &ev), -EINVAL);
    ev.value = 1;
    ev.sample_rate = 0;
    assert_int_equal(st_statsd_agg_add(f->agg, &ev), -EINVAL);
    ev.sample_rate = 1;
    ev.n_tags = 2;
    ev.tags[0] = (struct st_statsd_tag){"k", 1, "v", 1};
    ev.tags[1] = (struct st_statsd_tag){"k", 1, "w", 1};
    assert_int_equal(st_statsd_agg_add(f->agg, &ev), -EINVAL);
    ev.type = ST_STATSD_COUNTER;
    ev.n_tags = 0;
    ev.value = 1e308;
    ev.sample_rate = 1e-10;
    assert_int_equal(st_statsd_agg_add(f->agg, &ev), -EINVAL);
    assert_int_equal(agg_stats(f).invalid, 4);
    assert_int_equal(agg_stats(f).keys, 0);
}

static void add_on_oom_changes_nothing(void **state)
{
    struct fixture *f = *state;
    feed(f, "t:1|ms\ns:a|s");
    struct st_statsd_event ev = {
        .name = "n", .name_len = 1, .type = ST_STATSD_SET, .sample_rate = 1};
    char member[16];
    /* A new key, then new members until the set grows: each fails cleanly under OOM. */
    for (int i = 0; i < 40; i++) {
        snprintf(member, sizeof(member), "m%d", i);
        ev.set_member = member;
        ev.set_member_len = strlen(member);
        st_alloc_fail_after(1);
        int r = st_statsd_agg_add(f->agg, &ev);
        st_alloc_fail_disarm();
        assert_true(r == 0 || r == -ENOMEM);
        if (r == -ENOMEM) {
            assert_int_equal(st_statsd_agg_add(f->agg, &ev), 0);
        }
    }
    flush(f);
    assert_near(find_metric(f, "n", "set")->value, 40, 0);
    assert_near(find_metric(f, "t", "timing")->count, 1, 0);
}

static void timer_conversion_on_oom_keeps_the_values(void **state)
{
    struct fixture *f = *state;
    char line[64];
    for (int i = 1; i <= ST_STATSD_AGG_MAX_VALUES; i++) {
        snprintf(line, sizeof(line), "t:%d|ms", i);
        feed(f, line);
    }
    struct st_statsd_event ev = {
        .name = "t", .name_len = 1, .type = ST_STATSD_TIMING, .value = 1000, .sample_rate = 1};
    st_alloc_fail_after(1);
    assert_int_equal(st_statsd_agg_add(f->agg, &ev), -ENOMEM);
    st_alloc_fail_disarm();
    flush(f);
    assert_int_equal(f->metrics[0].n_values, ST_STATSD_AGG_MAX_VALUES);
    assert_near(f->metrics[0].count, ST_STATSD_AGG_MAX_VALUES, 0);
}

static void new_on_oom_fails_cleanly(void **state)
{
    (void)state;
    for (unsigned long k = 1; k <= 2; k++) {
        struct st_statsd_agg *agg = NULL;
        st_alloc_fail_after(k);
        assert_int_equal(st_statsd_agg_new(NULL, &agg), -ENOMEM);
        st_alloc_fail_disarm();
        assert_null(agg);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(counter_line_gives_counter_event),
        T(gauge_line_gives_gauge_event),
        T(gauge_with_plus_sign_is_relative),
        T(gauge_with_minus_sign_is_relative),
        T(negative_counter_is_accepted_and_not_relative),
        T(timing_line_gives_timing_event),
        T(histogram_line_gives_histogram_event),
        T(set_line_gives_member),
        T(distribution_line_is_parsed),
        T(exponent_and_fraction_forms_are_numbers),
        T(sample_rate_is_parsed),
        T(dogstatsd_tags_become_tags),
        T(tag_without_value_is_true),
        T(tag_value_may_hold_colons),
        T(repeated_tag_key_keeps_last_value),
        T(tags_before_rate_are_accepted),
        T(bucket_tags_become_tags),
        T(multiple_lines_give_one_event_each),
        T(crlf_and_blank_lines_are_skipped),
        T(multi_sample_line_gives_one_event_per_sample),
        T(sample_rate_belongs_to_its_sample),
        T(tags_apply_to_every_sample),
        T(container_and_timestamp_fields_are_ignored),
        T(dogstatsd_events_and_service_checks_are_ignored),
        T(longest_name_is_accepted),
        T(most_tags_are_accepted),
        T(utf8_name_and_tags_are_accepted),
        T(callback_error_stops_the_parse),
        T(line_without_colon_is_bad_syntax),
        T(line_without_pipe_is_bad_syntax),
        T(empty_name_is_bad_syntax),
        T(empty_value_is_bad_syntax),
        T(name_with_bar_is_bad_syntax),
        T(dogstatsd_multi_value_is_bad_syntax),
        T(trailing_colon_is_bad_syntax),
        T(unknown_type_is_bad_type),
        T(empty_type_is_bad_type),
        T(word_is_bad_value),
        T(nan_is_bad_value),
        T(inf_is_bad_value),
        T(overflowing_number_is_bad_value),
        T(hex_number_is_bad_value),
        T(number_with_junk_is_bad_value),
        T(signed_timing_is_bad_value),
        T(signed_set_member_is_bad_value),
        T(huge_number_is_too_long),
        T(zero_rate_is_bad_rate),
        T(rate_above_one_is_bad_rate),
        T(rate_that_is_no_number_is_bad_rate),
        T(second_rate_is_bad_field),
        T(trailing_junk_is_bad_field),
        T(trailing_pipe_is_bad_field),
        T(bad_timestamp_is_bad_field),
        T(tag_with_empty_key_is_bad_tag),
        T(bucket_tag_without_equals_is_bad_tag),
        T(tag_with_control_byte_is_bad_tag),
        T(name_too_long_is_too_long),
        T(huge_name_is_too_long),
        T(tag_value_too_long_is_too_long),
        T(set_member_too_long_is_too_long),
        T(too_many_tags_is_too_many),
        T(too_many_samples_is_too_many),
        T(name_with_control_byte_is_bad_encoding),
        T(name_with_invalid_utf8_is_bad_encoding),
        T(overlong_utf8_is_bad_encoding),
        T(nul_byte_in_line_is_bad),
        T(bad_sample_makes_the_whole_line_bad),
        T(bad_line_does_not_stop_the_datagram),
        T(oversized_datagram_is_rejected),
        T(type_names_match_telegraf),
        T(counter_sums_values_scaled_by_sample_rate),
        T(counter_keeps_fractions_of_scaled_values),
        T(counter_sign_subtracts),
        T(gauge_takes_the_last_value),
        T(relative_gauge_adjusts_the_value),
        T(relative_gauge_without_base_starts_from_zero),
        T(gauge_is_forgotten_after_flush),
        T(kept_gauge_is_reported_every_flush),
        T(set_counts_distinct_members),
        T(large_set_counts_every_member),
        T(timer_reports_exact_values_and_counts),
        T(timer_sample_rate_weights_counts),
        T(timer_with_150_distinct_values_stays_exact),
        T(timer_beyond_150_values_is_bucketed),
        T(bucketed_value_is_within_ten_percent_bucket),
        T(zero_timer_value_is_its_own_value_when_bucketed),
        T(wide_timer_is_reported_in_chunks),
        T(timer_over_cloudwatch_range_is_invalid),
        T(timing_and_histogram_are_different_metrics),
        T(tag_order_does_not_matter),
        T(different_tags_are_different_metrics),
        T(dots_become_the_separator),
        T(custom_separator_is_used),
        T(name_too_long_after_separator_is_invalid),
        T(long_separator_is_refused),
        T(metric_type_tag_is_dropped),
        T(distribution_is_dropped_and_counted),
        T(key_limit_drops_new_keys_only),
        T(default_key_limit_is_ten_thousand),
        T(cell_limit_drops_new_members),
        T(flush_forgets_every_metric),
        T(refused_metric_is_kept_for_next_flush),
        T(invalid_events_from_the_api_are_refused),
        T(add_on_oom_changes_nothing),
        T(timer_conversion_on_oom_keeps_the_values),
        T(new_on_oom_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
