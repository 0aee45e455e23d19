/* SPDX-License-Identifier: MIT */
/*
 * Time-axis ticks (time_axis.h). Steps come from a fixed ladder of round durations; ticks are
 * aligned in local time so that "every 6 hours" lands on 00:00, 06:00, ... as the user reads
 * the clock. Labels are formatted with gmtime_r on the shifted time: no locale or TZ lookups.
 */
#include <stdio.h>
#include <time.h>

#include "time_axis.h"

static const int64_t steps_s[] = {
    1,    2,    5,    10,    15,    30,    60,    120,    300,    600,     900,
    1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2419200,
};

#define N_STEPS (sizeof(steps_s) / sizeof(steps_s[0]))

int64_t st_time_axis_step_ms(int64_t span_ms, double width_px, double min_spacing_px)
{
    if (span_ms <= 0 || width_px < 1 || min_spacing_px <= 0) {
        return 0;
    }
    double ms_per_px = (double)span_ms / width_px;
    double want_ms = ms_per_px * min_spacing_px;
    for (size_t i = 0; i < N_STEPS; i++) {
        if ((double)steps_s[i] * 1000.0 >= want_ms) {
            return steps_s[i] * 1000;
        }
    }
    /* Wider than every step: a multiple of four weeks. */
    int64_t four_weeks = steps_s[N_STEPS - 1] * 1000;
    int64_t k = (int64_t)(want_ms / (double)four_weeks) + 1;
    return k * four_weeks;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void format_label(int64_t t_ms, int64_t step_ms, int64_t tz_offset_s, char *buf, size_t len)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(floor_div(t_ms, 1000) + tz_offset_s);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (step_ms < 60000) {
        snprintf(buf, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    } else if (step_ms < 86400000 && !(tm.tm_hour == 0 && tm.tm_min == 0)) {
        snprintf(buf, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
    } else {
        /* Midnight, or day steps: the date. */
        snprintf(buf, len, "%s %02d", months[tm.tm_mon], tm.tm_mday);
    }
}

size_t st_time_axis_ticks(int64_t t0_ms, int64_t t1_ms, double width_px, double min_spacing_px,
                          int64_t tz_offset_s, struct st_time_tick *ticks, size_t max)
{
    if (max > ST_TIME_AXIS_MAX_TICKS) {
        max = ST_TIME_AXIS_MAX_TICKS;
    }
    int64_t step = st_time_axis_step_ms(t1_ms - t0_ms, width_px, min_spacing_px);
    if (step == 0 || max == 0) {
        return 0;
    }
    /* Week steps align on Mondays: the epoch was a Thursday. */
    int64_t offset_ms = tz_offset_s * 1000;
    int64_t anchor_ms = step >= 604800000 ? 4 * 86400000LL : 0;
    int64_t local0 = t0_ms + offset_ms - anchor_ms;
    int64_t first = floor_div(local0, step) * step;
    if (first < local0) {
        first += step;
    }
    size_t n = 0;
    for (int64_t lt = first; n < max; lt += step) {
        int64_t t = lt - offset_ms + anchor_ms;
        if (t > t1_ms) {
            break;
        }
        ticks[n].t_ms = t;
        format_label(t, step, tz_offset_s, ticks[n].label, sizeof(ticks[n].label));
        n++;
    }
    return n;
}
