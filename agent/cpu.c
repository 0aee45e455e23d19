/* SPDX-License-Identifier: MIT */
/*
 * The cpu source: the "cpu" and "cpuN" lines of /proc/stat, as telegraf's cpu input (which the
 * CloudWatch agent runs) reports them. time_* are the cumulative times since boot in seconds
 * (ticks / USER_HZ), emitted on every collection; usage_* are percentages of the ticks that
 * passed since the previous collection, so the first collection emits none. Per cpu when percpu
 * (cpu=cpuN, filtered by resources) and for all together when totalcpu (cpu=cpu-total).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

/* The columns of a cpu line, in /proc/stat's order. */
enum {
    F_USER,
    F_NICE,
    F_SYSTEM,
    F_IDLE,
    F_IOWAIT,
    F_IRQ,
    F_SOFTIRQ,
    F_STEAL,
    F_GUEST,
    F_GUEST_NICE,
    F_N,
};

/* Kernels before 2.6.0 had four columns; later columns read as 0 when absent. */
#define MIN_COLUMNS 4
/* No machine has this many cpus; a larger id is garbage. */
#define MAX_CPU_ID 65535
#define BUF_SIZE   4096

struct cpu_slot {
    uint64_t t[F_N];
    bool has_prev; /* t holds the previous collection's reading */
    bool known;    /* selected has been decided */
    bool selected;
    bool seen; /* in this collection */
};

struct cpu_state {
    char *root;
    int fd_stat; /* kept open between collections (st_proc_open_kept), or -1 */
    bool totalcpu;
    bool percpu;
    double ticks_per_s;
    struct st_proc_filter filter;
    struct cpu_slot total;
    struct cpu_slot *cpus; /* indexed by cpu id */
    size_t n_cpus;
    char buf[BUF_SIZE];
};

static const char *const time_names[F_N] = {
    "time_user", "time_nice",    "time_system", "time_idle",  "time_iowait",
    "time_irq",  "time_softirq", "time_steal",  "time_guest", "time_guest_nice",
};

static void cpu_fini(void *state)
{
    struct cpu_state *s = state;
    if (!s) {
        return;
    }
    st_proc_filter_fini(&s->filter);
    st_free(s->cpus);
    st_proc_kept_close(&s->fd_stat);
    st_free(s->root);
    st_free(s);
}

static int cpu_init(const struct st_source_config *cfg, void **ret_state)
{
    struct cpu_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_stat = -1;
    s->filter.all = true;
    int r = st_proc_root_dup(cfg->root, &s->root);
    if (r < 0) {
        goto fail;
    }
    r = st_proc_filter_init(&s->filter, cfg);
    if (r < 0) {
        goto fail;
    }
    s->totalcpu = cfg->totalcpu;
    s->percpu = cfg->percpu;
    long hz = sysconf(_SC_CLK_TCK);
    s->ticks_per_s = hz > 0 ? (double)hz : 100.0;
    *ret_state = s;
    return 0;
fail:
    cpu_fini(s);
    return r;
}

/* Every column but guest and guest_nice, which user and nice already include. */
static uint64_t total_ticks(const uint64_t t[F_N])
{
    return t[F_USER] + t[F_NICE] + t[F_SYSTEM] + t[F_IDLE] + t[F_IOWAIT] + t[F_IRQ] + t[F_SOFTIRQ] +
           t[F_STEAL];
}

static void emit_usage(struct st_emitter *out, const char *name, bool ok, uint64_t part,
                       uint64_t total, const struct st_dim_kv *dim)
{
    /* A column that went backwards, or moved more than all of them together, is not a share. */
    if (!ok || part > total) {
        return;
    }
    st_emit(out, name, ST_UNIT_PERCENT, 100.0 * (double)part / (double)total, dim, 1);
}

static void emit_cpu(struct cpu_state *s, struct st_emitter *out, const char *name,
                     const uint64_t cur[F_N], const struct cpu_slot *prev)
{
    struct st_dim_kv dim = {"cpu", name};
    for (int i = 0; i < F_N; i++) {
        st_emit(out, time_names[i], ST_UNIT_NONE, (double)cur[i] / s->ticks_per_s, &dim, 1);
    }
    uint64_t total = total_ticks(cur);
    st_emit(out, "time_active", ST_UNIT_NONE, (double)(total - cur[F_IDLE]) / s->ticks_per_s, &dim,
            1);
    if (!prev->has_prev) {
        return;
    }
    uint64_t d_total;
    if (!st_proc_delta(total, total_ticks(prev->t), &d_total) || d_total == 0) {
        return;
    }
    uint64_t d[F_N];
    bool ok[F_N];
    for (int i = 0; i < F_N; i++) {
        ok[i] = st_proc_delta(cur[i], prev->t[i], &d[i]);
    }
    /* As telegraf: user and nice without the guest time they include. */
    bool user_ok = ok[F_USER] && ok[F_GUEST] && d[F_USER] >= d[F_GUEST];
    bool nice_ok = ok[F_NICE] && ok[F_GUEST_NICE] && d[F_NICE] >= d[F_GUEST_NICE];
    bool active_ok = ok[F_IDLE] && d[F_IDLE] <= d_total;
    emit_usage(out, "usage_active", active_ok, active_ok ? d_total - d[F_IDLE] : 0, d_total, &dim);
    emit_usage(out, "usage_guest", ok[F_GUEST], d[F_GUEST], d_total, &dim);
    emit_usage(out, "usage_guest_nice", ok[F_GUEST_NICE], d[F_GUEST_NICE], d_total, &dim);
    emit_usage(out, "usage_idle", ok[F_IDLE], d[F_IDLE], d_total, &dim);
    emit_usage(out, "usage_iowait", ok[F_IOWAIT], d[F_IOWAIT], d_total, &dim);
    emit_usage(out, "usage_irq", ok[F_IRQ], d[F_IRQ], d_total, &dim);
    emit_usage(out, "usage_nice", nice_ok, nice_ok ? d[F_NICE] - d[F_GUEST_NICE] : 0, d_total,
               &dim);
    emit_usage(out, "usage_softirq", ok[F_SOFTIRQ], d[F_SOFTIRQ], d_total, &dim);
    emit_usage(out, "usage_steal", ok[F_STEAL], d[F_STEAL], d_total, &dim);
    emit_usage(out, "usage_system", ok[F_SYSTEM], d[F_SYSTEM], d_total, &dim);
    emit_usage(out, "usage_user", user_ok, user_ok ? d[F_USER] - d[F_GUEST] : 0, d_total, &dim);
}

/* The slot for cpu id, growing the table when a cpu appears (hot-plug, or the first read). */
static struct cpu_slot *slot_for(struct cpu_state *s, uint64_t id)
{
    if (id > MAX_CPU_ID) {
        return NULL;
    }
    if (id >= s->n_cpus) {
        size_t n = s->n_cpus ? s->n_cpus : 8;
        while (n <= id) {
            n *= 2;
        }
        struct cpu_slot *cpus = st_realloc(s->cpus, n * sizeof(*cpus));
        if (!cpus) {
            return NULL;
        }
        memset(cpus + s->n_cpus, 0, (n - s->n_cpus) * sizeof(*cpus));
        s->cpus = cpus;
        s->n_cpus = n;
    }
    return &s->cpus[id];
}

/*
 * Parses "cpu[N] user nice system idle ..." into t. Returns 1 for the total line, 0 for cpuN
 * (with *ret_id), or -EBADMSG.
 */
static int parse_cpu_line(struct st_cursor *line, const struct st_cursor *label, uint64_t t[F_N],
                          uint64_t *ret_id)
{
    int is_total = st_cursor_left(label) == 3;
    if (!is_total) {
        struct st_cursor digits = *label;
        const uint8_t *prefix;
        if (st_cursor_take(&digits, 3, &prefix) < 0 || st_proc_parse_u64(&digits, ret_id) < 0) {
            return -EBADMSG;
        }
    }
    int n = 0;
    memset(t, 0, F_N * sizeof(*t));
    while (n < F_N) {
        struct st_cursor f;
        if (st_proc_field(line, &f) < 0) {
            break;
        }
        if (st_proc_parse_u64(&f, &t[n]) < 0) {
            return -EBADMSG;
        }
        n++;
    }
    if (n < MIN_COLUMNS) {
        return -EBADMSG;
    }
    return is_total;
}

static void update(struct cpu_slot *slot, const uint64_t t[F_N])
{
    memcpy(slot->t, t, sizeof(slot->t));
    slot->has_prev = true;
    slot->seen = true;
}

static int cpu_collect(void *state, struct st_emitter *out)
{
    struct cpu_state *s = state;
    struct st_proc_reader r;
    int ret = st_proc_open_kept(&r, &s->fd_stat, s->root, "/proc/stat", s->buf, sizeof(s->buf));
    if (ret < 0) {
        return ret;
    }
    for (size_t i = 0; i < s->n_cpus; i++) {
        s->cpus[i].seen = false;
    }
    bool any = false, bad = false, total_seen = false;
    struct st_cursor line;
    int more;
    while ((more = st_proc_next_line(&r, &line)) > 0) {
        struct st_cursor label;
        if (st_proc_field(&line, &label) < 0 || st_cursor_left(&label) < 3 ||
            memcmp(label.pos, "cpu", 3) != 0) {
            if (any) {
                /* The cpu lines come first; the rest (intr can be huge) is not ours. */
                break;
            }
            continue;
        }
        uint64_t t[F_N], id = 0;
        int kind = parse_cpu_line(&line, &label, t, &id);
        if (kind < 0) {
            bad = true;
            continue;
        }
        any = true;
        if (kind == 1) {
            if (total_seen) {
                bad = true;
                continue;
            }
            total_seen = true;
            if (s->totalcpu) {
                emit_cpu(s, out, "cpu-total", t, &s->total);
            }
            update(&s->total, t);
            continue;
        }
        struct cpu_slot *slot = slot_for(s, id);
        if (!slot) {
            bad = true;
            continue;
        }
        if (slot->seen) {
            /* The same cpu twice: keep the first. */
            bad = true;
            continue;
        }
        char name[32];
        snprintf(name, sizeof(name), "cpu%llu", (unsigned long long)id);
        if (!slot->known) {
            slot->selected = st_proc_filter_match(&s->filter, name);
            slot->known = true;
        }
        if (s->percpu && slot->selected) {
            emit_cpu(s, out, name, t, slot);
        }
        update(slot, t);
    }
    st_proc_close(&r);
    if (more < 0) {
        return more;
    }
    /* A cpu that went offline starts over when it comes back. */
    for (size_t i = 0; i < s->n_cpus; i++) {
        if (!s->cpus[i].seen) {
            s->cpus[i].has_prev = false;
        }
    }
    if (!total_seen) {
        s->total.has_prev = false;
    }
    /* An overlong line is never a cpu line (intr can be longer than the buffer): not an error. */
    if (!any || bad) {
        return -EBADMSG;
    }
    return 0;
}

const struct st_source_ops st_source_cpu = {
    .name = "cpu",
    .init = cpu_init,
    .collect = cpu_collect,
    .fini = cpu_fini,
};
