/* SPDX-License-Identifier: MIT */
/*
 * The StatsD protocol as stratus-agent's UDP listener (port 8125) accepts it, and the aggregator
 * that turns its events into one value per metric and interval. Both are pure logic: no I/O, no
 * clock, no globals. The semantics are those of the CloudWatch agent, i.e. of telegraf's statsd
 * input with parse_data_dog_tags on, except where noted below.
 *
 * A datagram holds lines separated by '\n' (a trailing '\r' and surrounding blanks are
 * trimmed; empty lines are skipped). A line is
 *
 *   name[,key=value...]:sample[:sample...][|#tag,tag...]
 *   sample = value|type[|@rate][|c:container][|T<unix seconds>]
 *
 * with type c (counter), g (gauge), ms (timing), h (histogram), s (set) or d (DogStatsD
 * distribution). Several samples on one line share the name and tags (telegraf's
 * `foo:1|c:200|ms`); a sample rate belongs to the sample it follows. Tags come from
 * DogStatsD `#k:v,k2` (a tag without ':' gets the value "true", as telegraf does) and from
 * telegraf's influx-style `name,k=v` bucket suffix; a later tag with the same key replaces an
 * earlier one. A value with an explicit sign ("+5", "-3") is a relative change for gauges and
 * allowed for counters, and makes any other type malformed. Values must be finite decimal
 * numbers; rates must be in (0, 1]. DogStatsD events (`_e{`) and service checks (`_sc|`) are
 * counted as ignored. Any other line that does not match is skipped whole and counted by
 * reason; it never stops the datagram.
 *
 * Where this differs from telegraf, deliberately:
 * - A line is all or nothing: telegraf aggregates the samples before a bad one.
 * - Unknown `|field`s, a tag segment before the type, a rate outside (0, 1] or one that is not
 *   a number make the line malformed; telegraf ignores a bad rate and trailing fields.
 * - Counters keep fractions (1|c|@0.3 adds 3.33...); telegraf truncates to an integer per line.
 *   Timers are weighted by 1/rate (the CloudWatch agent's distributions), not repeated
 *   int(1/rate) times.
 * - Names and tags must be valid UTF-8 without control characters and fit CloudWatch's limits.
 */
#ifndef STRATUS_STATSD_H
#define STRATUS_STATSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_STATSD_MAX_DATAGRAM    65535 /* longer input is rejected whole (-EMSGSIZE) */
#define ST_STATSD_MAX_NAME_LEN    255   /* CloudWatch metric name */
#define ST_STATSD_MAX_TAG_KEY_LEN 255   /* CloudWatch dimension name */
#define ST_STATSD_MAX_TAG_VAL_LEN 1024  /* CloudWatch dimension value */
#define ST_STATSD_MAX_SET_LEN     255   /* a set member */
#define ST_STATSD_MAX_SAMPLES     32    /* samples on one line */
#define ST_STATSD_MAX_NUMBER_LEN  64    /* characters of a value or rate */
/*
 * Tags per line: CloudWatch's 30 dimensions per metric, less the metric_type and host
 * dimensions the agent adds.
 */
#define ST_STATSD_MAX_TAGS 28

enum st_statsd_type {
    ST_STATSD_COUNTER,
    ST_STATSD_GAUGE,
    ST_STATSD_TIMING,    /* ms */
    ST_STATSD_HISTOGRAM, /* h: aggregated like timings, reported as "histogram" */
    ST_STATSD_SET,
    ST_STATSD_DISTRIBUTION, /* d: parsed; the aggregator drops it, as the CloudWatch agent does */
};

/* Why a line was skipped; each has a counter in struct st_statsd_stats. */
enum st_statsd_bad {
    ST_STATSD_BAD_SYNTAX,   /* no ':' or '|', empty name or value, stray bytes */
    ST_STATSD_BAD_TYPE,     /* unknown type letter */
    ST_STATSD_BAD_VALUE,    /* not a finite decimal number, or a sign where none is allowed */
    ST_STATSD_BAD_RATE,     /* @rate not a number in (0, 1] */
    ST_STATSD_BAD_FIELD,    /* unknown |field after the type */
    ST_STATSD_BAD_TAG,      /* empty key, or a tag that is not valid text */
    ST_STATSD_BAD_TOO_LONG, /* name, tag, set member or number over its limit */
    ST_STATSD_BAD_TOO_MANY, /* more than ST_STATSD_MAX_TAGS tags or ST_STATSD_MAX_SAMPLES */
    ST_STATSD_BAD_ENCODING, /* name or set member not valid UTF-8, or control characters */
    ST_STATSD__BAD_MAX,
};

/* Counters a caller keeps across datagrams; st_statsd_parse adds to them. */
struct st_statsd_stats {
    uint64_t datagrams;
    uint64_t lines;         /* non-empty lines */
    uint64_t events;        /* events delivered */
    uint64_t ignored_lines; /* DogStatsD events and service checks */
    uint64_t bad_lines;     /* sum of bad[] */
    uint64_t bad[ST_STATSD__BAD_MAX];
};

/* A string borrowed from the datagram: not NUL-terminated, use the length. */
struct st_statsd_tag {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
};

struct st_statsd_event {
    const char *name; /* borrowed, name_len bytes, not NUL-terminated */
    size_t name_len;
    enum st_statsd_type type;
    double value;           /* finite; unused for sets */
    bool relative;          /* gauges: the value had an explicit sign and adjusts the gauge */
    double sample_rate;     /* in (0, 1]; 1 when absent */
    const char *set_member; /* sets: the member as sent (borrowed, set_member_len bytes) */
    size_t set_member_len;
    size_t n_tags; /* unique keys, in the order first seen */
    struct st_statsd_tag tags[ST_STATSD_MAX_TAGS];
};

/*
 * Called once per valid sample, in datagram order. ev and every string it points to are
 * borrowed and valid only during the call. Return 0 to go on, or a negative errno to stop the
 * parse, which then returns it. It runs on the parsing thread and must not block.
 */
typedef int (*st_statsd_event_fn)(const struct st_statsd_event *ev, void *data);

/*
 * Parses one datagram and calls fn for each valid sample. stats (required) is added to.
 * Returns 0 even when lines were malformed (they are counted), -EMSGSIZE if len exceeds
 * ST_STATSD_MAX_DATAGRAM (nothing parsed, counted as a datagram only), or what fn returned.
 */
int st_statsd_parse(const uint8_t *buf, size_t len, st_statsd_event_fn fn, void *data,
                    struct st_statsd_stats *stats);

/* "counter", "gauge", "timing", "histogram", "set" or "distribution" (telegraf's metric_type). */
const char *st_statsd_type_name(enum st_statsd_type type);

/*
 * The aggregator: state per (type, name, sorted tags) over one interval, flushed by the caller
 * every metrics_collection_interval.
 * - Counters sum value / sample_rate.
 * - Gauges take the last value; a relative event adds to the current value (0 if none).
 * - Sets count distinct members (compared by their 64-bit XXH3 hash).
 * - Timings and histograms keep a distribution weighted by 1 / sample_rate. While it has at
 *   most ST_STATSD_AGG_MAX_VALUES distinct values they are kept exactly; past that every
 *   value goes to an exponential bucket of factor 1.1 (the CloudWatch agent's SEH1: bucket
 *   floor(ln v / ln 1.1), reported as exp((bucket + 0.5) ln 1.1), so at most 4.9 % off, well
 *   inside a 10 % bucket). Zero is its own value. Values above 2^360 (what CloudWatch accepts)
 *   are rejected; positive values below 2^-360 count as 0.
 * After a flush every key is forgotten (telegraf's delete_counters, delete_sets,
 * delete_timings, and delete_gauges, all true in the CloudWatch agent): a metric not updated in
 * an interval is not reported, and a relative gauge update then starts from 0. With
 * keep_gauges, gauges instead persist and are reported every flush (etsy statsd, telegraf
 * delete_gauges = false).
 * A tag named metric_type is dropped: the type is reported apart (telegraf would let the tag
 * replace it). Memory is bounded by max_keys and by max_cells, the total of set members and
 * distribution values held; events beyond either are dropped and counted.
 */
#define ST_STATSD_AGG_MAX_VALUES    150 /* CloudWatch Values/Counts per datum */
#define ST_STATSD_AGG_DEFAULT_KEYS  10000
#define ST_STATSD_AGG_DEFAULT_CELLS 1000000
#define ST_STATSD_AGG_MAX_SEPARATOR 8

struct st_statsd_agg_config {
    size_t max_keys;              /* 0: ST_STATSD_AGG_DEFAULT_KEYS */
    size_t max_cells;             /* 0: ST_STATSD_AGG_DEFAULT_CELLS */
    const char *metric_separator; /* replaces '.' in names (telegraf); NULL: "_" */
    bool keep_gauges;
};

struct st_statsd_agg_stats {
    uint64_t events;        /* events aggregated */
    uint64_t keys;          /* keys held now */
    uint64_t keys_dropped;  /* events dropped: max_keys reached */
    uint64_t cells_dropped; /* set members or timer values dropped: max_cells reached */
    uint64_t invalid;       /* events rejected: bad value for the type, name too long */
    uint64_t unsupported;   /* distributions (d) dropped */
    uint64_t nomem;         /* events dropped: out of memory (st_statsd_agg_add_fn only) */
};

/* One aggregated metric as flush reports it. */
struct st_statsd_metric {
    const char *name; /* NUL-terminated, separator applied */
    enum st_statsd_type type;
    const char *metric_type;          /* st_statsd_type_name(type): the metric_type dimension */
    const struct st_statsd_tag *tags; /* sorted by key; strings also NUL-terminated */
    size_t n_tags;
    /* Counters: the sum; gauges: the value; sets: the number of members. */
    double value;
    /*
     * Timings and histograms: n_values (1..ST_STATSD_AGG_MAX_VALUES) ascending values with
     * their weighted counts, and count, sum, min and max of those. A distribution with more
     * buckets than that (values spanning more than a factor 1.1^150, about 1.6e6) is reported
     * in several calls, as the CloudWatch agent splits it into several datums; then sum uses
     * the bucket values, and min and max are exact only in the first and last call.
     */
    const double *values;
    const double *counts;
    size_t n_values;
    double count, sum, min, max;
};

/*
 * Called by st_statsd_agg_flush once per metric. m and everything it points to are valid only
 * during the call. Return 0, or a negative errno to stop the flush: metrics already reported
 * are reset, the others (including the one refused) keep their state for the next flush.
 */
typedef int (*st_statsd_metric_fn)(const struct st_statsd_metric *m, void *data);

struct st_statsd_agg;

/*
 * Creates an aggregator; cfg may be NULL for the defaults. Returns 0, -EINVAL (separator longer
 * than ST_STATSD_AGG_MAX_SEPARATOR) or -ENOMEM; *ret_agg is set on success only. The caller
 * owns it and frees it with st_statsd_agg_free (NULL is a no-op). Not thread-safe.
 */
int st_statsd_agg_new(const struct st_statsd_agg_config *cfg, struct st_statsd_agg **ret_agg);
void st_statsd_agg_free(struct st_statsd_agg *agg);

/*
 * Adds one event (copied; ev may be freed after). Returns 0, -ENOSPC (key or cell limit
 * reached: dropped and counted), -EINVAL (value not valid for the type, more than
 * ST_STATSD_MAX_TAGS tags or a repeated tag key, name too long once the separator is applied:
 * counted), -EOPNOTSUPP (distribution: counted) or -ENOMEM (the event is not added).
 */
int st_statsd_agg_add(struct st_statsd_agg *agg, const struct st_statsd_event *ev);

/* st_statsd_event_fn adapter: data is the struct st_statsd_agg. Never stops the parse. */
int st_statsd_agg_add_fn(const struct st_statsd_event *ev, void *data);

/*
 * Reports every metric updated since the last flush (and kept gauges) through fn, in no
 * particular order, then forgets them as described above. Returns 0 or what fn returned.
 */
int st_statsd_agg_flush(struct st_statsd_agg *agg, st_statsd_metric_fn fn, void *data);

void st_statsd_agg_get_stats(const struct st_statsd_agg *agg, struct st_statsd_agg_stats *ret);

#endif
