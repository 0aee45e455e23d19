/* SPDX-License-Identifier: MIT */
/*
 * Logging for the daemons and the CLI: one line per message on stderr (or a file), prefixed with
 * an ISO 8601 time and the level. lib/ and the storage layer log at debug level only; the daemon
 * code that decides what to do logs once. Messages start with their component ("wal: ...").
 */
#ifndef STRATUS_LOG_H
#define STRATUS_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum st_log_level {
    ST_LOG_ERROR = 0,
    ST_LOG_WARNING = 1,
    ST_LOG_INFO = 2,
    ST_LOG_DEBUG = 3,
};

void st_log_set_level(enum st_log_level level);
enum st_log_level st_log_get_level(void);
/* Parses "error", "warning", "info" or "debug"; returns 0 or -EINVAL. */
int st_log_level_parse(const char *s, enum st_log_level *ret_level);

void st_log(enum st_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define st_log_error(...)   st_log(ST_LOG_ERROR, __VA_ARGS__)
#define st_log_warning(...) st_log(ST_LOG_WARNING, __VA_ARGS__)
#define st_log_info(...)    st_log(ST_LOG_INFO, __VA_ARGS__)
#define st_log_debug(...)   st_log(ST_LOG_DEBUG, __VA_ARGS__)

/*
 * A rate limiter for messages a peer can trigger: at most `burst` messages per `interval_ms`.
 * Embed one per call site (zero-initialised with ST_RATELIMIT_INIT). Not thread-safe: one per
 * thread. `suppressed` counts the messages dropped since the last one let through.
 */
struct st_ratelimit {
    uint64_t interval_ms;
    unsigned burst;
    uint64_t window_start_ms;
    unsigned emitted;
    uint64_t suppressed;
};
#define ST_RATELIMIT_INIT(interval, n)                                                             \
    {                                                                                              \
        .interval_ms = (interval), .burst = (n)                                                    \
    }

/* Returns true if a message may be logged now. */
bool st_ratelimit_allow(struct st_ratelimit *rl);

#endif
