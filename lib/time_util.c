/* SPDX-License-Identifier: MIT */
/*
 * Clocks and ISO 8601 timestamps as the aws CLI reads and prints them (see time_util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stratus/time_util.h"

int64_t st_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t st_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return -EINVAL;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *ret = v;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_number(const char *s)
{
    if (*s == '-') {
        s++;
    }
    int dots = 0, any = 0;
    for (; *s; s++) {
        if (*s == '.') {
            dots++;
        } else if (isdigit((unsigned char)*s)) {
            any = 1;
        } else {
            return 0;
        }
    }
    return any && dots <= 1;
}

int st_time_parse(const char *s, int64_t *ret_ms)
{
    if (is_number(s)) {
        char *end;
        errno = 0;
        double secs = strtod(s, &end);
        if (errno || *end || secs > 1e13 || secs < -1e13) {
            return -EINVAL;
        }
        *ret_ms = (int64_t)(secs * 1000.0);
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    const char *p = s;
    if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' ||
        digits(&p, 2, &d) < 0) {
        return -EINVAL;
    }
    int64_t offset_s = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0) {
            return -EINVAL;
        }
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec) < 0) {
                return -EINVAL;
            }
            if (*p == '.') {
                p++;
                int scale = 100, nd = 0;
                while (isdigit((unsigned char)*p)) {
                    if (nd < 3) {
                        ms += (*p - '0') * scale;
                        scale /= 10;
                    }
                    nd++;
                    p++;
                }
                if (nd == 0 || nd > 9) {
                    return -EINVAL;
                }
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (digits(&p, 2, &oh) < 0) {
                return -EINVAL;
            }
            if (*p == ':') {
                p++;
            }
            if (*p && digits(&p, 2, &om) < 0) {
                return -EINVAL;
            }
            if (oh > 23 || om > 59) {
                return -EINVAL;
            }
            offset_s = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0') {
        return -EINVAL;
    }
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60) {
        return -EINVAL;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) {
        return -EINVAL;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *ret_ms = t * 1000 + ms;
    return 0;
}

void st_time_format(int64_t ms, char *buf, size_t len)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (frac) {
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    } else {
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
}
