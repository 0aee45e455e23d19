/* SPDX-License-Identifier: MIT */
/*
 * Line-oriented logging to stderr with a UTC timestamp and level, and a small rate limiter for
 * messages that a peer can trigger (see log.h). One write(2) per line keeps lines whole when
 * several threads log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stratus/log.h"
#include "stratus/time_util.h"

static enum st_log_level current_level = ST_LOG_INFO;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void st_log_set_level(enum st_log_level level)
{
    current_level = level;
}

enum st_log_level st_log_get_level(void)
{
    return current_level;
}

int st_log_level_parse(const char *s, enum st_log_level *ret_level)
{
    for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *ret_level = (enum st_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

void st_log(enum st_log_level level, const char *fmt, ...)
{
    if (level > current_level) {
        return;
    }
    int saved_errno = errno;
    char line[2048];
    char ts[40];
    st_time_format(st_wall_ms(), ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %s ", ts, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    errno = saved_errno;
}

bool st_ratelimit_allow(struct st_ratelimit *rl)
{
    uint64_t now = st_mono_us() / 1000;
    if (rl->window_start_ms == 0 || now - rl->window_start_ms >= rl->interval_ms) {
        rl->window_start_ms = now ? now : 1;
        rl->emitted = 0;
    }
    if (rl->emitted < rl->burst) {
        rl->emitted++;
        return true;
    }
    rl->suppressed++;
    return false;
}
