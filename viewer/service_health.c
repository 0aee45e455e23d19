/* SPDX-License-Identifier: MIT */
/* Node and edge health shares (service_health.h). */
#include "service_health.h"

#include <math.h>

const double st_health_rgb[ST_HEALTH_N][3] = {
    [ST_HEALTH_OK] = {0x2e / 255.0, 0xc2 / 255.0, 0x7e / 255.0},
    [ST_HEALTH_ERROR] = {0xf5 / 255.0, 0xa6 / 255.0, 0x0a / 255.0},
    [ST_HEALTH_THROTTLE] = {0x91 / 255.0, 0x41 / 255.0, 0xac / 255.0},
    [ST_HEALTH_FAULT] = {0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0},
};

static int64_t nonneg(int64_t v)
{
    return v < 0 ? 0 : v;
}

void st_health_compute(int64_t ok, int64_t error_total, int64_t throttle, int64_t fault_total,
                       int64_t total_count, struct st_health *ret)
{
    ok = nonneg(ok);
    error_total = nonneg(error_total);
    throttle = nonneg(throttle);
    fault_total = nonneg(fault_total);
    if (throttle > error_total) {
        error_total = throttle;
    }
    int64_t sum = ok + error_total + fault_total;
    int64_t total = nonneg(total_count) > sum ? nonneg(total_count) : sum;
    struct st_health h = {.total = total};
    if (total > 0) {
        /* Requests the counts do not classify (total above the sum) count as ok. */
        h.share[ST_HEALTH_OK] = (double)(total - error_total - fault_total) / (double)total;
        h.share[ST_HEALTH_ERROR] = (double)(error_total - throttle) / (double)total;
        h.share[ST_HEALTH_THROTTLE] = (double)throttle / (double)total;
        h.share[ST_HEALTH_FAULT] = (double)fault_total / (double)total;
    }
    *ret = h;
}

void st_health_arc(const struct st_health *h, int k, double angle0, double *ret_a0, double *ret_a1)
{
    double before = 0;
    for (int i = 0; i < k && i < ST_HEALTH_N; i++) {
        before += h->share[i];
    }
    double share = k >= 0 && k < ST_HEALTH_N ? h->share[k] : 0;
    *ret_a0 = angle0 + before * 2 * M_PI;
    *ret_a1 = angle0 + (before + share) * 2 * M_PI;
}
