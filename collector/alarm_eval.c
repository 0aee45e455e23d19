/* SPDX-License-Identifier: MIT */
/*
 * The alarm evaluator (alarm_eval.h): CloudWatch's rules over the datapoints of one evaluation
 * range, with the StateReason text and StateReasonData JSON CloudWatch writes. The rules, in
 * the order applied (docs/alarms.md has the table of examples):
 *   - percentile alarms with EvaluateLowSampleCountPercentile=ignore keep their state when a
 *     datapoint they would evaluate has too few samples;
 *   - at least N real datapoints in the range: the newest N are evaluated, ALARM when M of them
 *     breach, else OK; TreatMissingData plays no part;
 *   - fewer (k = N - real missing): breaching / notBreaching fill the newest k missing periods
 *     as bad / good and evaluate N; missing / ignore evaluate the real ones: ALARM when M
 *     breach, OK when one does not; when every real one breaches but fewer than M, `missing`
 *     goes to ALARM if the oldest of them is at least M periods old (premature ALARM) and
 *     otherwise, like `ignore`, keeps the state; no real datapoint at all is INSUFFICIENT_DATA
 *     for `missing` and keeps the state for `ignore`.
 * No I/O: pure functions of their arguments.
 */
#include "alarm_eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratus/alloc.h"

static const char *const state_names[] = {"OK", "ALARM", "INSUFFICIENT_DATA"};
static const char *const cmp_names[] = {"GreaterThanOrEqualToThreshold", "GreaterThanThreshold",
                                        "LessThanThreshold", "LessThanOrEqualToThreshold"};
static const char *const cmp_words[] = {"greater than or equal to", "greater than", "less than",
                                        "less than or equal to"};
static const char *const missing_names[] = {"missing", "notBreaching", "breaching", "ignore"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int parse_name(const char *const *names, size_t n, const char *s, int *ret)
{
    if (!s) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            *ret = (int)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *st_alarm_state_name(enum st_alarm_state s)
{
    return (unsigned)s < N_OF(state_names) ? state_names[s] : "INSUFFICIENT_DATA";
}

const char *st_alarm_cmp_name(enum st_alarm_cmp c)
{
    return (unsigned)c < N_OF(cmp_names) ? cmp_names[c] : "GreaterThanThreshold";
}

const char *st_alarm_missing_name(enum st_alarm_missing m)
{
    return (unsigned)m < N_OF(missing_names) ? missing_names[m] : "missing";
}

int st_alarm_state_parse(const char *s, enum st_alarm_state *ret)
{
    int v;
    int r = parse_name(state_names, N_OF(state_names), s, &v);
    if (r == 0) {
        *ret = (enum st_alarm_state)v;
    }
    return r;
}

int st_alarm_cmp_parse(const char *s, enum st_alarm_cmp *ret)
{
    int v;
    int r = parse_name(cmp_names, N_OF(cmp_names), s, &v);
    if (r == 0) {
        *ret = (enum st_alarm_cmp)v;
    }
    return r;
}

int st_alarm_missing_parse(const char *s, enum st_alarm_missing *ret)
{
    int v;
    int r = parse_name(missing_names, N_OF(missing_names), s, &v);
    if (r == 0) {
        *ret = (enum st_alarm_missing)v;
    }
    return r;
}

bool st_alarm_breaches(enum st_alarm_cmp c, double value, double threshold)
{
    switch (c) {
    case ST_ALARM_CMP_GE:
        return value >= threshold;
    case ST_ALARM_CMP_GT:
        return value > threshold;
    case ST_ALARM_CMP_LT:
        return value < threshold;
    case ST_ALARM_CMP_LE:
        return value <= threshold;
    }
    return false;
}

unsigned st_alarm_eval_range(unsigned n)
{
    return n + 2;
}

double st_alarm_low_sample_limit(double q)
{
    if (q >= 0.5) {
        return q >= 1.0 ? INFINITY : 10.0 / (1.0 - q);
    }
    return q <= 0.0 ? INFINITY : 10.0 / q;
}

void st_alarm_format_reason_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Two-digit years, as CloudWatch writes them. */
    snprintf(buf, len, "%02d/%02d/%02d %02d:%02d:%02d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void st_alarm_format_iso_time(int64_t ms, char *buf, size_t len)
{
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[24];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03d+0000", day, (int)(ms - s * 1000));
}

void st_alarm_format_double(double v, char *buf, size_t len)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "%s", isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
        return;
    }
    /* The shortest significant digits that read back as v, in fixed notation for decimal
     * exponents -4 .. 15 as Java and Python print doubles. */
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, len, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    snprintf(buf, len, "%.*e", prec - 1, v);
    int exp10 = atoi(strchr(buf, 'e') + 1);
    if (exp10 >= -4 && exp10 < 16) {
        int decimals = prec - 1 - exp10;
        snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, v);
        if (!strchr(buf, '.')) {
            size_t l = strlen(buf);
            if (l + 2 < len) {
                memcpy(buf + l, ".0", 3);
            }
        }
    }
}

/* A bounded string builder: appends what fits and remembers that something did not. */
struct sb {
    char *buf;
    size_t len, cap;
    bool full;
};

static void sb_init(struct sb *b, char *buf, size_t cap)
{
    *b = (struct sb){.buf = buf, .cap = cap};
    buf[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static bool sb_printf(struct sb *b, const char *fmt, ...)
{
    if (b->full) {
        return false;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->buf[b->len] = '\0';
        b->full = true;
        return false;
    }
    b->len += (size_t)n;
    return true;
}

/* What the evaluation looked at: indices into points, newest first, real or filled. */
struct picked {
    size_t idx;
    bool real;
};

enum fill {
    FILL_NONE,    /* missing periods are not evaluated */
    FILL_BAD,     /* treated as breaching */
    FILL_GOOD,    /* treated as not breaching */
    FILL_UNKNOWN, /* shown as unknown (INSUFFICIENT_DATA) */
};

static void reason_list(struct sb *b, const struct st_alarm_eval_in *in, const struct picked *p,
                        size_t n_p, bool want_breaching)
{
    bool first = true;
    for (size_t i = 0; i < n_p; i++) {
        const struct st_alarm_point *pt = &in->points[p[i].idx];
        if (!p[i].real || st_alarm_breaches(in->cmp, pt->value, in->threshold) != want_breaching) {
            continue;
        }
        char v[32], t[24];
        st_alarm_format_double(pt->value, v, sizeof(v));
        st_alarm_format_reason_time(pt->t_ms, t, sizeof(t));
        /* Keep room for the rest of the sentence: stop the list early rather than cut it. */
        if (b->cap - b->len < 260) {
            sb_printf(b, "%s...", first ? "" : ", ");
            return;
        }
        sb_printf(b, "%s%s (%s)", first ? "" : ", ", v, t);
        first = false;
    }
}

static void reason_text(struct sb *b, const struct st_alarm_eval_in *in, enum st_alarm_state to,
                        const struct picked *p, size_t n_p, enum fill fill, unsigned n_filled)
{
    if (to == ST_ALARM_STATE_INSUFFICIENT_DATA) {
        sb_printf(b, "Insufficient Data: %zu datapoint%s were unknown.", in->n_points,
                  in->n_points == 1 ? "" : "s");
        return;
    }
    bool alarm = to == ST_ALARM_STATE_ALARM;
    unsigned listed = 0, real = 0;
    for (size_t i = 0; i < n_p; i++) {
        if (p[i].real) {
            real++;
            const struct st_alarm_point *pt = &in->points[p[i].idx];
            listed += st_alarm_breaches(in->cmp, pt->value, in->threshold) == alarm;
        }
    }
    const char *fill_name = fill == FILL_BAD ? "Breaching" : "NotBreaching";
    if (listed == 0) {
        sb_printf(b,
                  "Threshold Crossed: no datapoints were received for %u period%s and %u "
                  "missing datapoint%s %s treated as [%s].",
                  n_filled, n_filled == 1 ? "" : "s", n_filled, n_filled == 1 ? "" : "s",
                  n_filled == 1 ? "was" : "were", fill_name);
        return;
    }
    unsigned minimum = alarm ? in->m : in->n - in->m + 1;
    char thr[32];
    st_alarm_format_double(in->threshold, thr, sizeof(thr));
    sb_printf(b, "Threshold Crossed: %u out of the last %u datapoints [", listed, real);
    reason_list(b, in, p, n_p, alarm);
    sb_printf(b, "] %s %s%s the threshold (%s) (minimum %u datapoint%s for %s -> %s transition).",
              listed == 1 ? "was" : "were", alarm ? "" : "not ", cmp_words[in->cmp], thr, minimum,
              minimum == 1 ? "" : "s", st_alarm_state_name(in->state), st_alarm_state_name(to));
    if ((fill == FILL_BAD || fill == FILL_GOOD) && n_filled > 0) {
        sb_printf(b, " %u missing datapoint%s %s treated as [%s].", n_filled,
                  n_filled == 1 ? "" : "s", n_filled == 1 ? "was" : "were", fill_name);
    }
}

static void reason_data(struct sb *b, const struct st_alarm_eval_in *in, const struct picked *p,
                        size_t n_p)
{
    char t[32], v[32];
    st_alarm_format_iso_time(in->query_ms, t, sizeof(t));
    sb_printf(b, "{\"version\":\"1.0\",\"queryDate\":\"%s\"", t);
    st_alarm_format_iso_time(in->points[0].t_ms, t, sizeof(t));
    sb_printf(b, ",\"startDate\":\"%s\",\"%s\":\"%s\",\"period\":%d,\"recentDatapoints\":[", t,
              in->percentile ? "extendedStatistic" : "statistic", in->statistic, in->period_s);
    bool first = true;
    /* The closing part needs at most this much; datapoints that would not leave room for it
     * are left out (CloudWatch caps StateReasonData at 4000 characters too). */
    const size_t reserve = 96;
    for (size_t i = 0; i < in->n_points; i++) {
        if (in->points[i].present && b->cap - b->len > 2 * reserve + 40) {
            st_alarm_format_double(in->points[i].value, v, sizeof(v));
            sb_printf(b, "%s%s", first ? "" : ",", v);
            first = false;
        }
    }
    st_alarm_format_double(in->threshold, v, sizeof(v));
    sb_printf(b, "],\"threshold\":%s,\"evaluatedDatapoints\":[", v);
    for (size_t i = 0; i < n_p; i++) {
        if (b->cap - b->len < reserve) {
            break;
        }
        const struct st_alarm_point *pt = &in->points[p[i].idx];
        st_alarm_format_iso_time(pt->t_ms, t, sizeof(t));
        sb_printf(b, "%s{\"timestamp\":\"%s\"", i ? "," : "", t);
        if (p[i].real) {
            char c[32];
            st_alarm_format_double(pt->sample_count, c, sizeof(c));
            st_alarm_format_double(pt->value, v, sizeof(v));
            sb_printf(b, ",\"sampleCount\":%s,\"value\":%s", c, v);
        }
        sb_printf(b, "}");
    }
    sb_printf(b, "]}");
}

int st_alarm_eval(const struct st_alarm_eval_in *in, struct st_alarm_eval_out *out)
{
    out->state = in->state;
    out->changed = false;
    out->reason[0] = out->reason_data[0] = '\0';
    if (in->n == 0 || in->m == 0 || in->m > in->n || in->n_points == 0 ||
        (unsigned)in->cmp > ST_ALARM_CMP_LE || (unsigned)in->missing > ST_ALARM_MISSING_IGNORE) {
        return -EINVAL;
    }
    struct picked *p = st_calloc(in->n_points, sizeof(*p));
    if (!p) {
        return -ENOMEM;
    }
    size_t n_real = 0;
    for (size_t i = 0; i < in->n_points; i++) {
        n_real += in->points[i].present;
    }
    /* Newest first: the newest N real datapoints, or every real one when there are fewer. */
    size_t n_p = 0;
    unsigned bad = 0, good = 0;
    for (size_t i = in->n_points; i-- > 0 && n_p < in->n;) {
        const struct st_alarm_point *pt = &in->points[i];
        if (pt->present) {
            p[n_p++] = (struct picked){i, true};
            if (st_alarm_breaches(in->cmp, pt->value, in->threshold)) {
                bad++;
            } else {
                good++;
            }
        }
    }
    enum st_alarm_state to = in->state;
    enum fill fill = FILL_NONE;
    unsigned k = n_real >= in->n ? 0 : in->n - (unsigned)n_real;
    bool keep = false;
    if (in->percentile && in->low_sample_ignore) {
        double limit = st_alarm_low_sample_limit(in->quantile);
        for (size_t i = 0; i < n_p; i++) {
            if (in->points[p[i].idx].sample_count < limit) {
                keep = true;
            }
        }
    }
    if (keep) {
        /* Too few samples for a meaningful percentile: the state is kept. */
    } else if (k == 0) {
        to = bad >= in->m ? ST_ALARM_STATE_ALARM : ST_ALARM_STATE_OK;
    } else if (in->missing == ST_ALARM_MISSING_BREACHING ||
               in->missing == ST_ALARM_MISSING_NOT_BREACHING) {
        fill = in->missing == ST_ALARM_MISSING_BREACHING ? FILL_BAD : FILL_GOOD;
        if (fill == FILL_BAD) {
            bad += k;
        }
        to = bad >= in->m ? ST_ALARM_STATE_ALARM : ST_ALARM_STATE_OK;
    } else if (n_real == 0) {
        if (in->missing == ST_ALARM_MISSING_MISSING) {
            to = ST_ALARM_STATE_INSUFFICIENT_DATA;
            fill = FILL_UNKNOWN;
        }
    } else if (bad >= in->m) {
        to = ST_ALARM_STATE_ALARM;
    } else if (good > 0) {
        to = ST_ALARM_STATE_OK;
    } else if (in->missing == ST_ALARM_MISSING_MISSING && in->n_points - p[n_p - 1].idx >= in->m) {
        /* Premature ALARM: every real datapoint breaches and the oldest is M periods old. */
        to = ST_ALARM_STATE_ALARM;
    }
    if (to != in->state) {
        /* The filled (or unknown) periods are the newest missing ones, k of them. */
        unsigned n_filled = 0;
        if (fill != FILL_NONE) {
            for (size_t i = in->n_points; i-- > 0 && n_filled < k;) {
                if (!in->points[i].present) {
                    p[n_p++] = (struct picked){i, false};
                    n_filled++;
                }
            }
        }
        struct sb b;
        sb_init(&b, out->reason, sizeof(out->reason));
        reason_text(&b, in, to, p, n_p, fill, n_filled);
        /* Newest first in the data, as CloudWatch lists evaluatedDatapoints. */
        for (size_t i = 1; i < n_p; i++) {
            struct picked x = p[i];
            size_t j = i;
            for (; j > 0 && p[j - 1].idx < x.idx; j--) {
                p[j] = p[j - 1];
            }
            p[j] = x;
        }
        sb_init(&b, out->reason_data, sizeof(out->reason_data));
        reason_data(&b, in, p, n_p);
        out->state = to;
        out->changed = true;
    }
    st_free(p);
    return 0;
}
