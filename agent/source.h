/* SPDX-License-Identifier: MIT */
/*
 * The interface of a metric source (cpu, mem, swap, disk, diskio, net, netstat, processes),
 * as fluent-bit's input plugins: each source is one file exporting a `const struct
 * st_source_ops`. A source reads the host's counters under a configurable root directory
 * (normally "/"; tests point it at fixture trees such as tests/data/proc-a), keeps whatever it
 * needs between collections (previous counters, to turn them into per-interval deltas and
 * percentages) and emits every measurement it knows; the agent core keeps the measurements the
 * configuration asks for, renames them, sets units and adds dimensions.
 *
 * Names follow the CloudWatch agent on Linux: the source emits the measurement ("usage_idle")
 * and the core prefixes the section ("cpu_usage_idle").
 */
#ifndef STRATUS_AGENT_SOURCE_H
#define STRATUS_AGENT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratus/metric.h"

#define ST_SOURCE_MAX_RESOURCES 64
#define ST_SOURCE_NAME_MAX      256

struct st_dim_kv {
    const char *name;
    const char *value;
};

/*
 * Where a source puts what it measured. emit() copies everything it is given; pointers need
 * only live for the call. dims are the source's own dimensions (cpu=cpu0, path=/, ...).
 */
struct st_emitter {
    void (*emit)(struct st_emitter *e, const char *measurement, enum st_unit unit, double value,
                 const struct st_dim_kv *dims, size_t n_dims);
};

static inline void st_emit(struct st_emitter *e, const char *measurement, enum st_unit unit,
                           double value, const struct st_dim_kv *dims, size_t n_dims)
{
    e->emit(e, measurement, unit, value, dims, n_dims);
}

/* The section's settings that sources use (the rest is the core's). */
struct st_source_config {
    const char *root;   /* "/" or a fixture tree; /proc, /sys and mounts are below it */
    bool all_resources; /* "resources": ["*"] or absent; an empty list means all too */
    char resources[ST_SOURCE_MAX_RESOURCES][ST_SOURCE_NAME_MAX]; /* cpu ids, mount paths,
                                                                    devices, interfaces, each
                                                                    an fnmatch(3) pattern */
    size_t n_resources;
    bool totalcpu;          /* cpu: also emit cpu=cpu-total (default true) */
    bool percpu;            /* cpu: emit each cpuN (default: when resources name any) */
    char ignore_fs[32][32]; /* disk: file system types to skip */
    size_t n_ignore_fs;
    bool drop_device; /* disk: no device dimension */
};

struct st_source_ops {
    const char *name; /* the config section and metric prefix: "cpu" */
    /*
     * Builds the source's state; returns 0 or a negative errno (-ENOMEM). cfg is borrowed for
     * the call only: the source copies what it keeps. init reads nothing under the root, so a
     * wrong root shows as collect's -ENOENT.
     */
    int (*init)(const struct st_source_config *cfg, void **ret_state);
    /*
     * Reads the counters and emits this interval's measurements. Counters that need a previous
     * reading (deltas, rates, cpu percentages) are not emitted on the first call. Returns 0 or
     * a negative errno (the agent logs it, rate-limited, and goes on). A source may have emitted
     * part of the interval before an error: lines it cannot parse are skipped, the rest is
     * emitted and the call returns -EBADMSG. One thread at a time per state.
     */
    int (*collect)(void *state, struct st_emitter *out);
    void (*fini)(void *state);
};

extern const struct st_source_ops st_source_cpu;
extern const struct st_source_ops st_source_mem;
extern const struct st_source_ops st_source_swap;
extern const struct st_source_ops st_source_disk;
extern const struct st_source_ops st_source_diskio;
extern const struct st_source_ops st_source_net;
extern const struct st_source_ops st_source_netstat;
extern const struct st_source_ops st_source_processes;
/* How many of the processes source's collections listed /proc (the others read kept fds only). */
uint64_t st_processes_listings(const void *state);

#endif
