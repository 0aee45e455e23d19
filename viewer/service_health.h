/* SPDX-License-Identifier: MIT */
/*
 * The health of a service map node or edge, GUI-free so that it is unit-tested: X-Ray's
 * summary statistics (ok, errors of which throttles, faults) as shares that sum to 1, in the
 * order the ring around a node draws them (ok, error, throttle, fault), and the arcs they span.
 */
#ifndef STRATUS_VIEWER_SERVICE_HEALTH_H
#define STRATUS_VIEWER_SERVICE_HEALTH_H

#include <stdint.h>

enum { ST_HEALTH_OK, ST_HEALTH_ERROR, ST_HEALTH_THROTTLE, ST_HEALTH_FAULT, ST_HEALTH_N };

/* The colours of the parts (sRGB, 0..1): green, amber, purple, red, as the ring draws them; the
 * trace waterfall colours its bars with the same. */
extern const double st_health_rgb[ST_HEALTH_N][3];

struct st_health {
    int64_t total;
    double share[ST_HEALTH_N]; /* all 0 when total is 0 */
};

/*
 * From X-Ray's counts: error_total includes the throttles. The total is the larger of
 * total_count and ok + errors + faults, so that shares never exceed 1; negative counts are 0.
 */
void st_health_compute(int64_t ok, int64_t error_total, int64_t throttle, int64_t fault_total,
                       int64_t total_count, struct st_health *ret);

/* The arc of part k on a ring starting at angle0 (radians, clockwise): [*ret_a0, *ret_a1). */
void st_health_arc(const struct st_health *h, int k, double angle0, double *ret_a0, double *ret_a1);

#endif
