/* SPDX-License-Identifier: MIT */
/*
 * The CloudWatch agent's configuration shape, read with the schema tables of lib/config.c plus
 * custom parsers for its dynamic parts (measurement lists, dimension maps, the sections of
 * metrics_collected). See agent_config.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "agent_config.h"
#include "stratus/config.h"
#include "stratus/series_key.h"

static const char *const section_names[ST_N_SECTIONS] = {
    "cpu", "mem", "swap", "disk", "diskio", "net", "netstat", "processes",
};

static const struct st_source_ops *const section_ops[ST_N_SECTIONS] = {
    &st_source_cpu,    &st_source_mem, &st_source_swap,    &st_source_disk,
    &st_source_diskio, &st_source_net, &st_source_netstat, &st_source_processes,
};

/* What each section's source can emit (docs/agent-metrics.md has units and dimensions). */
static const char *const measurements[ST_N_SECTIONS][32] = {
    [ST_SEC_CPU] = {"usage_active",
                    "usage_guest",
                    "usage_guest_nice",
                    "usage_idle",
                    "usage_iowait",
                    "usage_irq",
                    "usage_nice",
                    "usage_softirq",
                    "usage_steal",
                    "usage_system",
                    "usage_user",
                    "time_active",
                    "time_guest",
                    "time_guest_nice",
                    "time_idle",
                    "time_iowait",
                    "time_irq",
                    "time_nice",
                    "time_softirq",
                    "time_steal",
                    "time_system",
                    "time_user",
                    NULL},
    [ST_SEC_MEM] = {"active", "available", "available_percent", "buffered", "cached", "free",
                    "inactive", "total", "used", "used_percent", NULL},
    [ST_SEC_SWAP] = {"free", "used", "used_percent", "total", "in", "out", NULL},
    [ST_SEC_DISK] = {"free", "total", "used", "used_percent", "inodes_free", "inodes_used",
                     "inodes_total", NULL},
    [ST_SEC_DISKIO] = {"reads", "writes", "read_bytes", "write_bytes", "read_time", "write_time",
                       "io_time", "iops_in_progress", NULL},
    [ST_SEC_NET] = {"bytes_sent", "bytes_recv", "drop_in", "drop_out", "err_in", "err_out",
                    "packets_sent", "packets_recv", NULL},
    [ST_SEC_NETSTAT] = {"tcp_close", "tcp_close_wait", "tcp_closing", "tcp_established",
                        "tcp_fin_wait1", "tcp_fin_wait2", "tcp_last_ack", "tcp_listen", "tcp_none",
                        "tcp_syn_sent", "tcp_syn_recv", "tcp_time_wait", "udp_socket", NULL},
    [ST_SEC_PROCESSES] = {"blocked", "dead", "idle", "paging", "running", "sleeping", "stopped",
                          "total", "total_threads", "zombies", NULL},
};

const char *st_section_name(enum st_section_id id)
{
    return id < ST_N_SECTIONS ? section_names[id] : "?";
}

bool st_section_has_measurement(enum st_section_id id, const char *m)
{
    for (const char *const *p = measurements[id]; *p; p++) {
        if (strcmp(*p, m) == 0) {
            return true;
        }
    }
    return false;
}

static void section_default(struct st_section_cfg *s, enum st_section_id id)
{
    memset(s, 0, sizeof(*s));
    s->ops = section_ops[id];
    s->id = id;
    s->all_measurements = true;
    s->src.root = "/";
    s->src.all_resources = true;
    s->src.totalcpu = true;
}

void st_agent_config_default(struct st_agent_config *c)
{
    memset(c, 0, sizeof(*c));
    c->interval_s = 60;
    snprintf(c->endpoints[0], sizeof(c->endpoints[0]), "http://127.0.0.1:4780");
    c->n_endpoints = 1;
    c->spool_max_bytes = 256LL * 1024 * 1024;
    c->memory_max_bytes = 4LL * 1024 * 1024;
    snprintf(c->namespace_, sizeof(c->namespace_), "CWAgent");
    c->force_flush_s = 60;
    /* With no configuration file: cpu, mem, swap, disk, diskio, net and load... as the issue
     * names them; "load" is the processes section's neighbour in telegraf, not a CloudWatch
     * agent section, so the default is the seven metric sections below. */
    static const enum st_section_id defaults[] = {ST_SEC_CPU,      ST_SEC_MEM,    ST_SEC_SWAP,
                                                  ST_SEC_DISK,     ST_SEC_DISKIO, ST_SEC_NET,
                                                  ST_SEC_PROCESSES};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        section_default(&c->sections[defaults[i]], defaults[i]);
    }
    c->sections[ST_SEC_CPU].src.percpu = false;
    snprintf(c->statsd_address, sizeof(c->statsd_address), ":8125");
    c->statsd_interval_s = 10;
    c->statsd_aggregation_s = 60;
    c->statsd_pending = 10000;
    snprintf(c->collectd_address, sizeof(c->collectd_address), "udp://127.0.0.1:25826");
    snprintf(c->collectd_prefix, sizeof(c->collectd_prefix), "collectd_");
    snprintf(c->collectd_security, sizeof(c->collectd_security), "encrypt");
    snprintf(c->collectd_auth_file, sizeof(c->collectd_auth_file), "/etc/collectd/auth_file");
    c->collectd_aggregation_s = 60;
    snprintf(c->xray_address, sizeof(c->xray_address), "127.0.0.1:2000");
}

/*
 * Custom parsers get `dest`: the whole configuration for keys of the agent, metrics, traces,
 * statsd and collectd objects (their tables are relative to struct st_agent_config), the
 * section for keys of a metric section.
 */
static int fail(struct st_error *err, const char *path, const char *what)
{
    return st_error_set(err, -EINVAL, ST_ERR_INVALID_PARAMETER_VALUE, "%s: %s", path, what);
}

static int copy_str(json_object *v, const char *path, char *dst, size_t size, struct st_error *err)
{
    if (!json_object_is_type(v, json_type_string)) {
        return fail(err, path, "expected a string");
    }
    size_t len = (size_t)json_object_get_string_len(v);
    if (len == 0 || len >= size || strlen(json_object_get_string(v)) != len) {
        char msg[96];
        snprintf(msg, sizeof(msg), "expected a string of 1 to %zu bytes", size - 1);
        return fail(err, path, msg);
    }
    memcpy(dst, json_object_get_string(v), len + 1);
    return 0;
}

/* A CloudWatch agent key Stratus accepts and does not use (recorded for one warning). */
static int parse_ignored(json_object *v, const char *path, void *dest, struct st_error *err)
{
    (void)v, (void)err;
    struct st_agent_config *c = dest;
    if (c->n_ignored < ST_AGENT_MAX_IGNORED) {
        snprintf(c->ignored[c->n_ignored++], sizeof(c->ignored[0]), "%s", path);
    }
    return 0;
}

/* The same, inside a metric section (no warning: the section cannot reach the list). */
static int parse_accepted(json_object *v, const char *path, void *dest, struct st_error *err)
{
    (void)v, (void)path, (void)dest, (void)err;
    return 0;
}

static int parse_endpoint(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_agent_config *c = dest;
    int r = copy_str(v, path, c->endpoints[0], sizeof(c->endpoints[0]), err);
    if (r == 0) {
        c->n_endpoints = 1;
    }
    return r;
}

static int parse_endpoints(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_agent_config *c = dest;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
        json_object_array_length(v) > ST_AGENT_MAX_ENDPOINTS) {
        return fail(err, path, "expected an array of 1 to 8 endpoint URLs");
    }
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        int r = copy_str(json_object_array_get_idx(v, i), sub, c->endpoints[i],
                         sizeof(c->endpoints[i]), err);
        if (r < 0) {
            return r;
        }
    }
    c->n_endpoints = json_object_array_length(v);
    return 0;
}

/* "append_dimensions": {"Name": "value", ...} */
static int parse_kv(json_object *v, const char *path, struct st_kv_cfg *kv, size_t *n,
                    struct st_error *err)
{
    if (!json_object_is_type(v, json_type_object)) {
        return fail(err, path, "expected an object of dimension names to values");
    }
    *n = 0;
    json_object_object_foreach(v, key, value)
    {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        if (*n == ST_AGENT_MAX_APPEND) {
            return fail(err, path, "more than 16 dimensions");
        }
        if (strlen(key) == 0 || strlen(key) >= sizeof(kv->key)) {
            return fail(err, sub, "a dimension name must have 1 to 255 bytes");
        }
        snprintf(kv[*n].key, sizeof(kv[*n].key), "%s", key);
        int r = copy_str(value, sub, kv[*n].value, sizeof(kv[*n].value), err);
        if (r < 0) {
            return r;
        }
        (*n)++;
    }
    return 0;
}

static int parse_global_append(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_agent_config *c = dest;
    return parse_kv(v, path, c->append, &c->n_append, err);
}

static int parse_section_append(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_section_cfg *s = dest;
    return parse_kv(v, path, s->append, &s->n_append, err);
}

/* "aggregation_dimensions": [["host"], []] */
static int parse_aggregation(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_agent_config *c = dest;
    if (!json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) > ST_AGENT_MAX_AGG_SETS) {
        return fail(err, path, "expected an array of at most 8 arrays of dimension names");
    }
    c->n_agg = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *set = json_object_array_get_idx(v, i);
        char sub[600];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if (!json_object_is_type(set, json_type_array) ||
            json_object_array_length(set) > ST_MAX_DIMENSIONS) {
            return fail(err, sub, "expected an array of at most 30 dimension names");
        }
        struct st_agg_set *a = &c->agg[c->n_agg++];
        a->n = 0;
        for (size_t k = 0; k < json_object_array_length(set); k++) {
            char sub2[640];
            snprintf(sub2, sizeof(sub2), "%s[%zu]", sub, k);
            int r = copy_str(json_object_array_get_idx(set, k), sub2, a->dims[a->n],
                             sizeof(a->dims[0]), err);
            if (r < 0) {
                return r;
            }
            a->n++;
        }
    }
    return 0;
}

/* "measurement": ["usage_idle", "cpu_usage_user", {"name": ..., "rename": ..., "unit": ...}] */
static int parse_measurement(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_section_cfg *s = dest;
    enum st_section_id id = (enum st_section_id)s->id;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0 ||
        json_object_array_length(v) > ST_AGENT_MAX_MEASUREMENTS) {
        return fail(err, path, "expected an array of 1 to 64 measurement names or objects");
    }
    s->all_measurements = false;
    s->n_meas = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *m = json_object_array_get_idx(v, i);
        struct st_measure_cfg *mc = &s->meas[s->n_meas];
        memset(mc, 0, sizeof(*mc));
        char sub[600], name[ST_AGENT_STR];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        json_object *jname = m, *jrename = NULL, *junit = NULL;
        if (json_object_is_type(m, json_type_object)) {
            jname = NULL;
            json_object_object_foreach(m, key, value)
            {
                if (strcmp(key, "name") == 0) {
                    jname = value;
                } else if (strcmp(key, "rename") == 0) {
                    jrename = value;
                } else if (strcmp(key, "unit") == 0) {
                    junit = value;
                } else {
                    char sub2[700];
                    snprintf(sub2, sizeof(sub2), "%s.%s", sub, key);
                    return fail(err, sub2, "unknown key");
                }
            }
            if (!jname) {
                return fail(err, sub, "a measurement object needs \"name\"");
            }
        } else if (!json_object_is_type(m, json_type_string)) {
            return fail(err, sub,
                        "expected a measurement name or {\"name\", \"rename\", "
                        "\"unit\"}");
        }
        int r = copy_str(jname, sub, name, sizeof(name), err);
        if (r < 0) {
            return r;
        }
        /* The CloudWatch agent takes "cpu_usage_idle" and "usage_idle" alike. */
        const char *bare = name;
        size_t pl = strlen(section_names[id]);
        if (strncmp(name, section_names[id], pl) == 0 && name[pl] == '_' &&
            st_section_has_measurement(id, name + pl + 1)) {
            bare = name + pl + 1;
        }
        if (!st_section_has_measurement(id, bare)) {
            char msg[400];
            snprintf(msg, sizeof(msg), "unknown %s measurement \"%s\"", section_names[id], name);
            return fail(err, sub, msg);
        }
        snprintf(mc->name, sizeof(mc->name), "%.63s", bare);
        if (jrename) {
            char sub2[700];
            snprintf(sub2, sizeof(sub2), "%s.rename", sub);
            if ((r = copy_str(jrename, sub2, mc->rename, sizeof(mc->rename), err)) < 0) {
                return r;
            }
        }
        if (junit) {
            char sub2[700], unit[64];
            snprintf(sub2, sizeof(sub2), "%s.unit", sub);
            if ((r = copy_str(junit, sub2, unit, sizeof(unit), err)) < 0) {
                return r;
            }
            if (st_unit_parse(unit, &mc->unit) < 0) {
                return fail(err, sub2, "not a CloudWatch unit");
            }
            mc->has_unit = true;
        }
        s->n_meas++;
    }
    return 0;
}

static int parse_resources(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_section_cfg *s = dest;
    if (!json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) > ST_SOURCE_MAX_RESOURCES) {
        return fail(err, path, "expected an array of at most 64 resource names");
    }
    s->src.all_resources = false;
    s->src.n_resources = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        char *dst = s->src.resources[s->src.n_resources];
        int r = copy_str(json_object_array_get_idx(v, i), sub, dst, ST_SOURCE_NAME_MAX, err);
        if (r < 0) {
            return r;
        }
        if (strcmp(dst, "*") == 0) {
            s->src.all_resources = true;
        } else {
            s->src.n_resources++;
        }
    }
    if (s->id == ST_SEC_CPU) {
        s->src.percpu = s->src.all_resources || s->src.n_resources > 0;
    }
    return 0;
}

static int parse_ignore_fs(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_section_cfg *s = dest;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > 32) {
        return fail(err, path, "expected an array of at most 32 file system types");
    }
    s->src.n_ignore_fs = 0;
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        int r = copy_str(json_object_array_get_idx(v, i), sub, s->src.ignore_fs[i],
                         sizeof(s->src.ignore_fs[0]), err);
        if (r < 0) {
            return r;
        }
        s->src.n_ignore_fs++;
    }
    return 0;
}

#define SEC(k, t, m) .key = k, .type = t, .offset = offsetof(struct st_section_cfg, m)
#define SECTION_BASE                                                                               \
    {.key = "measurement", .type = ST_CFG_CUSTOM, .parse = parse_measurement},                     \
        {SEC("metrics_collection_interval", ST_CFG_INT, interval_s), .min = 1, .max = 172800},     \
        {.key = "append_dimensions", .type = ST_CFG_CUSTOM, .parse = parse_section_append},        \
    {                                                                                              \
        .key = "resources", .type = ST_CFG_CUSTOM, .parse = parse_resources                        \
    }

static const struct st_cfg_field cpu_fields[] = {
    SECTION_BASE,
    {SEC("totalcpu", ST_CFG_BOOL, src.totalcpu)},
    {.key = "report_active", .type = ST_CFG_CUSTOM, .parse = parse_accepted},
    {NULL},
};
static const struct st_cfg_field disk_fields[] = {
    SECTION_BASE,
    {.key = "ignore_file_system_types", .type = ST_CFG_CUSTOM, .parse = parse_ignore_fs},
    {SEC("drop_device", ST_CFG_BOOL, src.drop_device)},
    {NULL},
};
static const struct st_cfg_field plain_fields[] = {
    SECTION_BASE,
    {NULL},
};
#undef SEC

#define CFG(k, t, m) .key = k, .type = t, .offset = offsetof(struct st_agent_config, m)
static const struct st_cfg_field statsd_fields[] = {
    {CFG("service_address", ST_CFG_STRING, statsd_address), .size = ST_AGENT_STR},
    {CFG("metrics_collection_interval", ST_CFG_INT, statsd_interval_s), .min = 1, .max = 86400},
    {CFG("metrics_aggregation_interval", ST_CFG_INT, statsd_aggregation_s), .min = 0, .max = 86400},
    {CFG("allowed_pending_messages", ST_CFG_INT, statsd_pending), .min = 1, .max = 10000000},
    {NULL},
};
static const struct st_cfg_field collectd_fields[] = {
    {CFG("service_address", ST_CFG_STRING, collectd_address), .size = ST_AGENT_STR},
    {CFG("name_prefix", ST_CFG_STRING, collectd_prefix), .size = 64},
    {CFG("collectd_security_level", ST_CFG_STRING, collectd_security), .size = 16},
    {CFG("collectd_auth_file", ST_CFG_STRING, collectd_auth_file), .size = ST_AGENT_PATH},
    {.key = "collectd_typesdb", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {CFG("metrics_aggregation_interval", ST_CFG_INT, collectd_aggregation_s), .min = 0,
     .max = 86400},
    {NULL},
};

static int parse_metrics_collected(json_object *v, const char *path, void *dest,
                                   struct st_error *err)
{
    struct st_agent_config *c = dest;
    if (!json_object_is_type(v, json_type_object)) {
        return fail(err, path, "expected an object of sections");
    }
    /* A metrics_collected object replaces the default sections. */
    for (int i = 0; i < ST_N_SECTIONS; i++) {
        c->sections[i].ops = NULL;
    }
    json_object_object_foreach(v, key, value)
    {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        int r;
        if (strcmp(key, "statsd") == 0) {
            c->statsd = true;
            r = st_config_apply(value, sub, statsd_fields, c, err);
        } else if (strcmp(key, "collectd") == 0) {
            c->collectd = true;
            r = st_config_apply(value, sub, collectd_fields, c, err);
        } else {
            int id = 0;
            while (id < ST_N_SECTIONS && strcmp(section_names[id], key) != 0) {
                id++;
            }
            if (id == ST_N_SECTIONS) {
                return fail(err, sub,
                            "unknown section (cpu, mem, swap, disk, diskio, net, "
                            "netstat, processes, statsd, collectd)");
            }
            section_default(&c->sections[id], (enum st_section_id)id);
            const struct st_cfg_field *fields = id == ST_SEC_CPU    ? cpu_fields
                                                : id == ST_SEC_DISK ? disk_fields
                                                                    : plain_fields;
            r = st_config_apply(value, sub, fields, &c->sections[id], err);
        }
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

static int parse_namespace(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_agent_config *c = dest;
    int r = copy_str(v, path, c->namespace_, sizeof(c->namespace_), err);
    if (r < 0) {
        return r;
    }
    struct st_error verr;
    if (st_validate_namespace(c->namespace_, "namespace", NULL, &verr) < 0) {
        return fail(err, path, verr.message);
    }
    return 0;
}

static const struct st_cfg_field agent_fields[] = {
    {CFG("metrics_collection_interval", ST_CFG_INT, interval_s), .min = 1, .max = 172800},
    {CFG("debug", ST_CFG_BOOL, debug)},
    {CFG("logfile", ST_CFG_STRING, logfile), .size = ST_AGENT_PATH},
    {CFG("omit_hostname", ST_CFG_BOOL, omit_hostname)},
    {.key = "endpoint", .type = ST_CFG_CUSTOM, .parse = parse_endpoint},
    {.key = "endpoints", .type = ST_CFG_CUSTOM, .parse = parse_endpoints},
    {CFG("spool_dir", ST_CFG_STRING, spool_dir), .size = ST_AGENT_PATH},
    {CFG("spool_max_bytes", ST_CFG_INT, spool_max_bytes), .min = 65536, .max = 1LL << 40},
    {CFG("memory_max_bytes", ST_CFG_INT, memory_max_bytes), .min = 65536, .max = 1LL << 34},
    {.key = "run_as_user", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "region", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "credentials", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "aws_sdk_log_level", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "usage_data", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "quiet", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "logs_endpoint", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {NULL},
};

static const struct st_cfg_field metrics_fields[] = {
    {.key = "namespace", .type = ST_CFG_CUSTOM, .parse = parse_namespace},
    {.key = "append_dimensions", .type = ST_CFG_CUSTOM, .parse = parse_global_append},
    {.key = "aggregation_dimensions", .type = ST_CFG_CUSTOM, .parse = parse_aggregation},
    {CFG("force_flush_interval", ST_CFG_INT, force_flush_s), .min = 1, .max = 86400},
    {.key = "metrics_collected", .type = ST_CFG_CUSTOM, .parse = parse_metrics_collected},
    {.key = "endpoint_override", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "credentials", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {NULL},
};

static int parse_xray(json_object *v, const char *path, void *dest, struct st_error *err);

static const struct st_cfg_field xray_fields[] = {
    {CFG("bind_address", ST_CFG_STRING, xray_address), .size = ST_AGENT_STR},
    {.key = "tcp_proxy", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {NULL},
};

static int parse_xray(json_object *v, const char *path, void *dest, struct st_error *err)
{
    struct st_agent_config *c = dest;
    c->xray = true;
    return st_config_apply(v, path, xray_fields, c, err);
}

static const struct st_cfg_field traces_collected_fields[] = {
    {.key = "xray", .type = ST_CFG_CUSTOM, .parse = parse_xray},
    {.key = "otlp", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {NULL},
};

static int parse_traces_collected(json_object *v, const char *path, void *dest,
                                  struct st_error *err)
{
    return st_config_apply(v, path, traces_collected_fields, dest, err);
}

static const struct st_cfg_field traces_fields[] = {
    {.key = "traces_collected", .type = ST_CFG_CUSTOM, .parse = parse_traces_collected},
    {.key = "buffer_size_mb", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "concurrency", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "local_mode", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "insecure", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "endpoint_override", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {.key = "region_override", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {NULL},
};

static const struct st_cfg_field root_fields[] = {
    {.key = "agent", .type = ST_CFG_OBJECT, .fields = agent_fields},
    {.key = "metrics", .type = ST_CFG_OBJECT, .fields = metrics_fields},
    {.key = "traces", .type = ST_CFG_OBJECT, .fields = traces_fields},
    {.key = "logs", .type = ST_CFG_CUSTOM, .parse = parse_ignored},
    {NULL},
};
#undef CFG

static int validate(struct st_agent_config *c, struct st_error *err)
{
    if (strcmp(c->collectd_security, "none") != 0 && strcmp(c->collectd_security, "sign") != 0 &&
        strcmp(c->collectd_security, "encrypt") != 0) {
        return fail(err, "$.metrics.metrics_collected.collectd.collectd_security_level",
                    "expected \"none\", \"sign\" or \"encrypt\"");
    }
    for (size_t i = 0; i < c->n_endpoints; i++) {
        if (strncmp(c->endpoints[i], "http://", 7) != 0) {
            char path[64];
            snprintf(path, sizeof(path), "$.agent.endpoint[%zu]", i);
            return fail(err, path, "expected an http:// URL");
        }
    }
    return 0;
}

int st_agent_config_parse(const char *text, size_t len, struct st_agent_config *c,
                          struct st_error *err)
{
    json_object *root;
    int r = st_config_parse(text, len, &root, err);
    if (r < 0) {
        return r;
    }
    r = st_config_apply(root, "$", root_fields, c, err);
    json_object_put(root);
    return r < 0 ? r : validate(c, err);
}

int st_agent_config_load(const char *path, struct st_agent_config *c, struct st_error *err)
{
    json_object *root;
    int r = st_config_parse_file(path, &root, err);
    if (r < 0) {
        return r;
    }
    r = st_config_apply(root, "$", root_fields, c, err);
    json_object_put(root);
    if (r == 0) {
        r = validate(c, err);
    }
    if (r < 0 && err) {
        char msg[ST_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof(msg), "%s", err->message);
        st_error_set(err, r, err->code, "%s: %s", path, msg);
    }
    return r;
}
