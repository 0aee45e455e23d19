/* SPDX-License-Identifier: MIT */
/*
 * Ticks of a chart's time axis, GUI-free so that it is unit-tested: given the visible range
 * and the width in pixels, picks the smallest "round" step (1 s ... 1 week) that keeps labels
 * at least min_spacing_px apart, and lists the ticks at multiples of that step in local time
 * (tz_offset_s east of UTC), each with its label ("14:05:30", "14:05", "Dec 03"). The caller
 * owns the output array.
 */
#ifndef STRATUS_VIEWER_TIME_AXIS_H
#define STRATUS_VIEWER_TIME_AXIS_H

#include <stddef.h>
#include <stdint.h>

#define ST_TIME_AXIS_MAX_TICKS 64

struct st_time_tick {
    int64_t t_ms;
    char label[24];
};

/* The step chosen for a range of span_ms over width_px; 0 when the input is not usable. */
int64_t st_time_axis_step_ms(int64_t span_ms, double width_px, double min_spacing_px);

/*
 * Writes the ticks in [t0_ms, t1_ms] to ticks (room for max, at most ST_TIME_AXIS_MAX_TICKS)
 * and returns how many. Returns 0 for an empty or reversed range or a width under 1 px.
 */
size_t st_time_axis_ticks(int64_t t0_ms, int64_t t1_ms, double width_px, double min_spacing_px,
                          int64_t tz_offset_s, struct st_time_tick *ticks, size_t max);

#endif
