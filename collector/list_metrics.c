/* SPDX-License-Identifier: MIT */
/*
 * ListMetrics over the in-memory series table. A metric (namespace, name, dimensions) is listed
 * once whatever units it has. Pages hold at most 500 metrics, in the order of their metric ids;
 * the NextToken is the last id returned (16 hex digits), so paging stays stable while metrics
 * are added.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_private.h"
#include "stratus/alloc.h"
#include "stratus/series_key.h"

#define PAGE_SIZE    500
#define RECENT_3H_MS (3LL * 3600 * 1000)

static bool str_eq(const char *s, const char *p, size_t len)
{
    return strlen(s) == len && memcmp(s, p, len) == 0;
}

static bool matches(const Stratus__ListMetricsRequest *req, const struct st_series_parts *p)
{
    if (req->namespace_ && !str_eq(req->namespace_, p->ns, p->ns_len)) {
        return false;
    }
    if (req->metric_name && !str_eq(req->metric_name, p->name, p->name_len)) {
        return false;
    }
    for (size_t i = 0; i < req->n_dimensions; i++) {
        const Stratus__DimensionFilter *f = req->dimensions[i];
        bool found = false;
        for (size_t k = 0; k < p->n_dims && !found; k++) {
            found = f->name && str_eq(f->name, p->dims[k].name, p->dims[k].name_len) &&
                    (!f->value || str_eq(f->value, p->dims[k].value, p->dims[k].value_len));
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static int cmp_series(const void *a, const void *b)
{
    uint64_t x = (*(const struct st_series *const *)a)->metric_id;
    uint64_t y = (*(const struct st_series *const *)b)->metric_id;
    return x < y ? -1 : x > y;
}

static char *dup_n(const char *s, size_t n)
{
    return st_strndup(s, n);
}

int st_list_metrics(const struct st_hot *h, const Stratus__ListMetricsRequest *req, int64_t now_ms,
                    uint8_t **ret_reply, size_t *ret_len, struct st_error *err)
{
    uint64_t after = 0;
    bool have_after = false;
    if (req->next_token) {
        char *end;
        errno = 0;
        after = strtoull(req->next_token, &end, 16);
        if (errno || strlen(req->next_token) != 16 || *end) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_NEXT_TOKEN,
                                "The service couldn't process the NextToken.");
        }
        have_after = true;
    }
    bool recent = false;
    if (req->recently_active) {
        if (strcmp(req->recently_active, "PT3H") != 0) {
            return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE,
                                "The value %s for parameter RecentlyActive is invalid.",
                                req->recently_active);
        }
        recent = true;
    }
    const struct st_series **hits =
        st_malloc((h->metrics.len ? h->metrics.len : 1) * sizeof(*hits));
    if (!hits) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    size_t n = 0;
    struct st_series_parts parts;
    for (size_t i = 0; i < h->metrics.cap; i++) {
        const struct st_series *s = h->metrics.slots[i].value;
        if (!s || (have_after && s->metric_id <= after)) {
            continue;
        }
        if (recent) {
            bool active = false;
            for (const struct st_series *u = s; u && !active; u = u->next_unit) {
                active = u->last_ms >= now_ms - RECENT_3H_MS;
            }
            if (!active) {
                continue;
            }
        }
        if (st_series_key_parse(s->key, s->key_len, &parts) == 0 && matches(req, &parts)) {
            hits[n++] = s;
        }
    }
    qsort(hits, n, sizeof(*hits), cmp_series);

    size_t page = n < PAGE_SIZE ? n : PAGE_SIZE;
    Stratus__ListMetricsResponse resp = STRATUS__LIST_METRICS_RESPONSE__INIT;
    Stratus__Metric *metrics = st_calloc(page ? page : 1, sizeof(*metrics));
    Stratus__Metric **mptrs = st_calloc(page ? page : 1, sizeof(*mptrs));
    Stratus__Dimension *dims = st_calloc(page * ST_MAX_DIMENSIONS + 1, sizeof(*dims));
    Stratus__Dimension **dptrs = st_calloc(page * ST_MAX_DIMENSIONS + 1, sizeof(*dptrs));
    char **strs = st_calloc(page * (2 + 2 * ST_MAX_DIMENSIONS) + 1, sizeof(*strs));
    size_t n_strs = 0;
    char token[17];
    int r = -ENOMEM;
    if (!metrics || !mptrs || !dims || !dptrs || !strs) {
        goto out;
    }
    for (size_t i = 0; i < page; i++) {
        st_series_key_parse(hits[i]->key, hits[i]->key_len, &parts);
        Stratus__Metric *m = &metrics[i];
        stratus__metric__init(m);
        if (!(m->namespace_ = strs[n_strs++] = dup_n(parts.ns, parts.ns_len)) ||
            !(m->metric_name = strs[n_strs++] = dup_n(parts.name, parts.name_len))) {
            goto out;
        }
        m->dimensions = dptrs + i * ST_MAX_DIMENSIONS;
        for (size_t k = 0; k < parts.n_dims; k++) {
            Stratus__Dimension *d = &dims[i * ST_MAX_DIMENSIONS + k];
            stratus__dimension__init(d);
            if (!(d->name = strs[n_strs++] = dup_n(parts.dims[k].name, parts.dims[k].name_len)) ||
                !(d->value = strs[n_strs++] =
                      dup_n(parts.dims[k].value, parts.dims[k].value_len))) {
                goto out;
            }
            m->dimensions[m->n_dimensions++] = d;
        }
        mptrs[i] = m;
    }
    resp.metrics = mptrs;
    resp.n_metrics = page;
    if (page < n) {
        snprintf(token, sizeof(token), "%016" PRIx64, hits[page - 1]->metric_id);
        resp.next_token = token;
    }
    size_t len = stratus__list_metrics_response__get_packed_size(&resp);
    *ret_reply = st_malloc(len ? len : 1);
    if (!*ret_reply) {
        goto out;
    }
    *ret_len = stratus__list_metrics_response__pack(&resp, *ret_reply);
    r = 0;
out:
    if (strs) {
        for (size_t i = 0; i < n_strs; i++) {
            st_free(strs[i]);
        }
    }
    st_free(strs);
    st_free(dptrs);
    st_free(dims);
    st_free(mptrs);
    st_free(metrics);
    st_free(hits);
    if (r < 0) {
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    return 0;
}
