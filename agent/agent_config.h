/* SPDX-License-Identifier: MIT */
/*
 * stratus-agent's configuration: the Amazon CloudWatch agent's JSON file shape (agent,
 * metrics, traces sections) plus a few Stratus keys in `agent` (endpoint, endpoints, spool_dir,
 * spool_max_bytes, memory_max_bytes). Parsing rejects unknown keys, wrong types and values out
 * of range with the JSON path; keys the CloudWatch agent has but Stratus does not use (region,
 * credentials, logs, ...) are accepted and reported as ignored. The struct owns no pointers:
 * every string lives in a fixed buffer, so it is freed with one st_free.
 */
#ifndef STRATUS_AGENT_CONFIG_H
#define STRATUS_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"
#include "stratus/error.h"
#include "stratus/metric.h"

#define ST_AGENT_MAX_MEASUREMENTS 64
#define ST_AGENT_MAX_APPEND       16
#define ST_AGENT_MAX_AGG_SETS     8
#define ST_AGENT_MAX_ENDPOINTS    8
#define ST_AGENT_MAX_IGNORED      16
#define ST_AGENT_STR              256
#define ST_AGENT_PATH             1024

struct st_measure_cfg {
    char name[64]; /* the measurement without section prefix: "usage_idle" */
    char rename[ST_AGENT_STR];
    bool has_unit;
    enum st_unit unit;
};

struct st_kv_cfg {
    char key[ST_AGENT_STR];
    char value[ST_AGENT_STR];
};

struct st_section_cfg {
    const struct st_source_ops *ops; /* NULL: the section is not configured */
    int id;                          /* enum st_section_id */
    int64_t interval_s;              /* 0: the agent's */
    bool all_measurements;           /* no "measurement" key: everything the source emits */
    struct st_measure_cfg meas[ST_AGENT_MAX_MEASUREMENTS];
    size_t n_meas;
    struct st_kv_cfg append[ST_AGENT_MAX_APPEND];
    size_t n_append;
    struct st_source_config src;
};

/* The metric sections, in this order. */
enum st_section_id {
    ST_SEC_CPU,
    ST_SEC_MEM,
    ST_SEC_SWAP,
    ST_SEC_DISK,
    ST_SEC_DISKIO,
    ST_SEC_NET,
    ST_SEC_NETSTAT,
    ST_SEC_PROCESSES,
    ST_N_SECTIONS,
};

struct st_agg_set {
    char dims[ST_MAX_DIMENSIONS][ST_AGENT_STR];
    size_t n;
};

struct st_agent_config {
    /* agent */
    int64_t interval_s; /* metrics_collection_interval, default 60 */
    bool debug;
    char logfile[ST_AGENT_PATH];
    bool omit_hostname;
    char endpoints[ST_AGENT_MAX_ENDPOINTS][ST_AGENT_STR];
    size_t n_endpoints;
    char spool_dir[ST_AGENT_PATH];
    int64_t spool_max_bytes;
    int64_t memory_max_bytes;
    /* metrics */
    char namespace_[ST_AGENT_STR];
    struct st_kv_cfg append[ST_AGENT_MAX_APPEND];
    size_t n_append;
    struct st_agg_set agg[ST_AGENT_MAX_AGG_SETS];
    size_t n_agg;
    int64_t force_flush_s;
    struct st_section_cfg sections[ST_N_SECTIONS];
    /* metrics_collected.statsd */
    bool statsd;
    char statsd_address[ST_AGENT_STR];
    int64_t statsd_interval_s, statsd_aggregation_s, statsd_pending;
    /* metrics_collected.collectd */
    bool collectd;
    char collectd_address[ST_AGENT_STR];
    char collectd_prefix[64];
    char collectd_security[16];
    char collectd_auth_file[ST_AGENT_PATH];
    int64_t collectd_aggregation_s;
    /* traces.traces_collected.xray */
    bool xray;
    char xray_address[ST_AGENT_STR];
    /* keys accepted for compatibility but not used, for one warning each */
    char ignored[ST_AGENT_MAX_IGNORED][128];
    size_t n_ignored;
};

/* The section names ("cpu", ...) and their sources. */
const char *st_section_name(enum st_section_id id);

/* Fills the defaults: what the agent does with no configuration file (see docs/agent.md). */
void st_agent_config_default(struct st_agent_config *c);

/*
 * Parses a configuration file over the defaults. Returns 0, or a negative errno with err naming
 * the file and JSON path. `c` must come from st_agent_config_default first.
 */
int st_agent_config_load(const char *path, struct st_agent_config *c, struct st_error *err);
int st_agent_config_parse(const char *text, size_t len, struct st_agent_config *c,
                          struct st_error *err);

/* Whether `measurement` (without prefix) is one the section's source emits. */
bool st_section_has_measurement(enum st_section_id id, const char *measurement);

#endif
