/* SPDX-License-Identifier: MIT */
/*
 * Clocks and timestamps. Metric timestamps are wall-clock milliseconds since the epoch; timers
 * and durations use the monotonic clock. ISO 8601 is what the aws CLI prints and takes.
 */
#ifndef STRATUS_TIME_UTIL_H
#define STRATUS_TIME_UTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t st_wall_ms(void);
uint64_t st_mono_us(void);

/*
 * Parses an ISO 8601 time as the aws CLI accepts it: "2026-11-23T18:00:00Z",
 * "2026-11-23T18:00:00.250Z", "2026-11-23T18:00:00+01:00", "2026-11-23 18:00:00" (UTC),
 * "2026-11-23" or a number of seconds since the epoch. Returns 0 or -EINVAL.
 */
int st_time_parse(const char *s, int64_t *ret_ms);

/* Writes "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (milliseconds only when not zero); buf >= 32 bytes. */
void st_time_format(int64_t ms, char *buf, size_t len);

#endif
