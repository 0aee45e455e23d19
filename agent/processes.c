/* SPDX-License-Identifier: MIT */
/*
 * The processes source: every /proc/<pid>/stat under the root, counted by state as telegraf's
 * processes input does on Linux (R running, S sleeping, D blocked, Z zombies, X dead, T and t
 * stopped, W paging, I idle; any other state, such as P parked, counts in total only), and
 * total_threads summed from num_threads. All gauges, from the first collection. /proc is listed
 * with getdents64 into a buffer the state owns, so a collection allocates nothing.
 *
 * On a real procfs the stat file of each of the first MAX_KEPT processes stays open between
 * collections and is re-read with one pread at offset 0 (the kernel regenerates it), instead of
 * openat, two reads and close each time. procfs lists pids in ascending order, so the kept fds
 * are matched to the listing by a merge; a process that exited makes its fd's read fail with
 * ESRCH and is dropped, and a reused pid is opened anew. Under a fixture root (regular files)
 * every read opens the file.
 *
 * Listing /proc costs more than reading the stat files of a quiet host, and a new process is
 * the only thing a listing finds that the kept fds do not. Every new process (and thread) takes
 * a pid, and the last pid handed out is the fifth field of /proc/loadavg: while it stays the
 * same and every process of the last listing is kept, a collection reads the kept fds only. That
 * counter is of the reader's pid namespace, so the shortcut is taken only when root/proc is of
 * that namespace (its /proc/self/status has one NSpid); other roots list /proc every time. A
 * pid counter that wrapped all the way round to the same value within one interval would hide
 * the new processes until the next pid is taken; a full listing every RELIST_EVERY collections
 * bounds even that. (See may_skip_listing for the moment between taking a pid and appearing.)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "proc_read.h"
#include "source.h"
#include "stratus/alloc.h"

#define DENTS_SIZE 16384
/* A stat line is about 300 bytes; comm is at most 64. */
#define STAT_SIZE 1024
/* num_threads is the 18th field after the state (proc(5): field 20, the state being 3). */
#define THREADS_FIELD 17
/* Stat fds kept open between collections (the rest are opened each time). */
#define MAX_KEPT 256
/* Collections between two listings of /proc at most. */
#define RELIST_EVERY 60

enum {
    C_BLOCKED,
    C_DEAD,
    C_IDLE,
    C_PAGING,
    C_RUNNING,
    C_SLEEPING,
    C_STOPPED,
    C_TOTAL,
    C_TOTAL_THREADS,
    C_ZOMBIES,
    C_N,
};

static const char *const names[C_N] = {
    "blocked",  "dead",    "idle",  "paging",        "running",
    "sleeping", "stopped", "total", "total_threads", "zombies",
};

struct kept {
    uint64_t pid;
    int fd;
};

struct processes_state {
    char *root;
    bool procfs;       /* root/proc is a real procfs: stat fds may be kept */
    int fd_loadavg;    /* root/proc/loadavg when its last pid is ours to watch, or -1 */
    uint64_t last_pid; /* as the previous collection read it */
    bool has_last_pid;
    bool settled;           /* the last listing began a whole interval after a pid was taken */
    bool all_kept;          /* the last listing kept an fd for every process it found */
    unsigned since_listing; /* collections since the last listing */
    uint64_t listings;
    struct kept *kept, *next_kept; /* sorted by pid: this collection's and the next's */
    size_t n_kept, n_next;
    _Alignas(struct dirent64) char dents[DENTS_SIZE];
    char stat[STAT_SIZE];
};

static void processes_fini(void *state)
{
    struct processes_state *s = state;
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n_kept; i++) {
        close(s->kept[i].fd);
    }
    if (s->fd_loadavg >= 0) {
        close(s->fd_loadavg);
    }
    st_free(s->kept);
    st_free(s->next_kept);
    st_free(s->root);
    st_free(s);
}

/*
 * Reads a procfs file that one read returns whole (a single_open file such as a stat or
 * loadavg) from offset 0, which makes the kernel generate it afresh. Returns 0, -EFBIG when it
 * fills buf (it may not be all), -ENOENT when empty, or a negative errno (-ESRCH: the process
 * of a stat file has exited).
 */
static int pread_whole(int fd, char *buf, size_t cap, size_t *ret_len)
{
    ssize_t n;
    do {
        n = pread(fd, buf, cap, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0 || (size_t)n >= cap) {
        return n < 0 ? -errno : n == 0 ? -ENOENT : -EFBIG;
    }
    *ret_len = (size_t)n;
    return 0;
}

/*
 * Whether root/proc shows the pids of the agent's own pid namespace: its /proc/self/status
 * lists the agent's pid in that procfs's namespace and in each one below it down to the agent's
 * ("NSpid:\t812\t1" in a container), so one entry means the same namespace.
 */
static bool own_pid_namespace(struct processes_state *s)
{
    struct st_proc_reader r;
    char buf[512];
    if (st_proc_open(&r, s->root, "/proc/self/status", buf, sizeof(buf)) < 0) {
        return false;
    }
    int n = -1;
    struct st_cursor line, f;
    while (n < 0 && st_proc_next_line(&r, &line) > 0) {
        if (st_proc_field(&line, &f) < 0 || !st_proc_field_eq(&f, "NSpid:")) {
            continue;
        }
        for (n = 0; st_proc_field(&line, &f) == 0; n++) {
        }
    }
    st_proc_close(&r);
    return n == 1;
}

static int processes_init(const struct st_source_config *cfg, void **ret_state)
{
    struct processes_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->fd_loadavg = -1;
    int r = st_proc_root_dup(cfg->root, &s->root);
    char path[ST_PROC_PATH_MAX];
    struct statfs sf;
    if (r == 0 && st_proc_path(path, sizeof(path), s->root, "/proc") == 0 &&
        statfs(path, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
        s->procfs = true;
        s->kept = st_malloc(MAX_KEPT * sizeof(*s->kept));
        s->next_kept = st_malloc(MAX_KEPT * sizeof(*s->next_kept));
        r = s->kept && s->next_kept ? 0 : -ENOMEM;
        if (r == 0 && own_pid_namespace(s)) {
            st_proc_path(path, sizeof(path), s->root, "/proc/loadavg");
            s->fd_loadavg = open(path, O_RDONLY | O_CLOEXEC);
        }
    }
    if (r < 0) {
        processes_fini(s);
        return r;
    }
    *ret_state = s;
    return 0;
}

/*
 * The last pid taken in the reader's pid namespace: the fifth field of /proc/loadavg,
 * "0.00 0.01 0.05 1/180 12345". Returns 0 or a negative errno.
 */
static int read_last_pid(struct processes_state *s, uint64_t *ret)
{
    size_t len = 0;
    int r = pread_whole(s->fd_loadavg, s->stat, sizeof(s->stat), &len);
    if (r < 0) {
        return r;
    }
    struct st_cursor c, f;
    st_cursor_init(&c, (const uint8_t *)s->stat, len);
    for (int i = 0; i < 4; i++) {
        if (st_proc_field(&c, &f) < 0) {
            return -EBADMSG;
        }
    }
    return st_proc_field_u64(&c, ret);
}

static int state_counter(uint8_t state)
{
    switch (state) {
    case 'R':
        return C_RUNNING;
    case 'S':
        return C_SLEEPING;
    case 'D':
        return C_BLOCKED;
    case 'Z':
        return C_ZOMBIES;
    case 'X':
        return C_DEAD;
    case 'T':
    case 't':
        return C_STOPPED;
    case 'W':
        return C_PAGING;
    case 'I':
        return C_IDLE;
    default:
        return -1;
    }
}

/*
 * Parses "pid (comm) S f1 f2 ... num_threads ..." into the state and the thread count. comm may
 * hold anything, ')' and newlines included, so the state follows the last ')'. Returns 0 or
 * -EBADMSG.
 */
static int parse_stat(const char *buf, size_t len, uint8_t *ret_state, uint64_t *ret_threads)
{
    const char *close_paren = NULL;
    for (size_t i = len; i > 0; i--) {
        if (buf[i - 1] == ')') {
            close_paren = buf + i - 1;
            break;
        }
    }
    if (!close_paren) {
        return -EBADMSG;
    }
    struct st_cursor c, f;
    st_cursor_init(&c, (const uint8_t *)close_paren + 1, (size_t)(buf + len - close_paren - 1));
    if (st_proc_field(&c, &f) < 0 || st_cursor_left(&f) != 1) {
        return -EBADMSG;
    }
    uint8_t state = f.pos[0];
    for (int i = 1; i < THREADS_FIELD; i++) {
        if (st_proc_field(&c, &f) < 0) {
            return -EBADMSG;
        }
    }
    uint64_t threads;
    if (st_proc_field_u64(&c, &threads) < 0) {
        return -EBADMSG;
    }
    *ret_state = state;
    *ret_threads = threads;
    return 0;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/*
 * Reads one process's stat into s->stat, through its kept fd when there is one (and keeps a new
 * one when there is room). Returns 0, -EFBIG, or a negative errno when the process is gone.
 */
static int read_stat(struct processes_state *s, int dfd, const char *pid, size_t pid_len,
                     size_t *ki, size_t *ret_len)
{
    uint64_t id = 0;
    for (size_t i = 0; i < pid_len; i++) {
        id = id * 10 + (uint64_t)(pid[i] - '0');
    }
    if (s->procfs) {
        /* Fds of pids below this one are of processes that have exited. */
        while (*ki < s->n_kept && s->kept[*ki].pid < id) {
            close(s->kept[(*ki)++].fd);
        }
        if (*ki < s->n_kept && s->kept[*ki].pid == id) {
            struct kept k = s->kept[(*ki)++];
            if (pread_whole(k.fd, s->stat, sizeof(s->stat), ret_len) == 0) {
                if (s->n_next < MAX_KEPT) {
                    s->next_kept[s->n_next++] = k;
                } else {
                    close(k.fd); /* new pids listed first took the room */
                    s->all_kept = false;
                }
                return 0;
            }
            close(k.fd); /* exited (ESRCH), or the pid was reused: open it anew */
        }
    }
    char rel[64];
    snprintf(rel, sizeof(rel), "%.*s/stat", (int)pid_len, pid);
    if (s->procfs && s->n_next < MAX_KEPT) {
        int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return -errno;
        }
        int r = pread_whole(fd, s->stat, sizeof(s->stat), ret_len);
        if (r < 0) {
            close(fd);
            return r;
        }
        s->next_kept[s->n_next++] = (struct kept){id, fd};
        return 0;
    }
    s->all_kept = false;
    return st_proc_read_at(dfd, rel, s->stat, sizeof(s->stat), ret_len);
}

/* Counts the stat line in s->stat. Returns 0, or -EBADMSG when it could not be parsed. */
static int count_stat(struct processes_state *s, size_t len, uint64_t counts[C_N])
{
    uint8_t state;
    uint64_t threads;
    if (parse_stat(s->stat, len, &state, &threads) < 0) {
        return -EBADMSG;
    }
    int k = state_counter(state);
    if (k >= 0) {
        counts[k]++;
    }
    counts[C_TOTAL]++;
    counts[C_TOTAL_THREADS] += threads;
    return 0;
}

/* Counts one pid directory's stat. Returns 0, or -EBADMSG when it could not be parsed. */
static int count_pid(struct processes_state *s, int dfd, const char *pid, size_t pid_len,
                     size_t *ki, uint64_t counts[C_N])
{
    if (pid_len > 19) {
        return -EBADMSG;
    }
    size_t len;
    int r = read_stat(s, dfd, pid, pid_len, ki, &len);
    if (r == -EFBIG) {
        return -EBADMSG;
    }
    if (r < 0) {
        /* Exited since the listing (ENOENT, ESRCH), or hidden from us: not an error. */
        return 0;
    }
    return count_stat(s, len, counts);
}

/* Counts the processes of a listing of root/proc into counts. Returns 0 or a negative errno. */
static int count_listed(struct processes_state *s, uint64_t counts[C_N])
{
    char path[ST_PROC_PATH_MAX];
    int ret = st_proc_path(path, sizeof(path), s->root, "/proc");
    if (ret < 0) {
        return ret;
    }
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        return -errno;
    }
    int err = 0;
    size_t ki = 0;
    s->all_kept = s->procfs;
    for (;;) {
        ssize_t n = getdents64(dfd, s->dents, sizeof(s->dents));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            err = -errno;
            break;
        }
        if (n == 0) {
            break;
        }
        size_t off = 0;
        while (off + offsetof(struct dirent64, d_name) < (size_t)n) {
            const struct dirent64 *d = (const struct dirent64 *)(s->dents + off);
            size_t reclen = d->d_reclen;
            if (reclen <= offsetof(struct dirent64, d_name) || reclen > (size_t)n - off) {
                break;
            }
            const char *name = d->d_name;
            size_t name_len = strnlen(name, reclen - offsetof(struct dirent64, d_name));
            off += reclen;
            if ((d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) || !all_digits(name, name_len)) {
                continue;
            }
            if (count_pid(s, dfd, name, name_len, &ki, counts) < 0) {
                err = -EBADMSG;
            }
        }
    }
    close(dfd);
    /* What was kept and not listed again has exited. */
    while (ki < s->n_kept) {
        close(s->kept[ki++].fd);
    }
    if (err < 0 && err != -EBADMSG) {
        s->all_kept = false;
    }
    return err;
}

/* Counts the processes of the kept fds alone; one that cannot be read has exited. */
static int count_kept(struct processes_state *s, uint64_t counts[C_N])
{
    int err = 0;
    for (size_t i = 0; i < s->n_kept; i++) {
        struct kept k = s->kept[i];
        size_t len = 0;
        int r = pread_whole(k.fd, s->stat, sizeof(s->stat), &len);
        if (r == 0 || r == -EFBIG) {
            s->next_kept[s->n_next++] = k;
            if (r < 0 || count_stat(s, len, counts) < 0) {
                err = -EBADMSG;
            }
        } else {
            close(k.fd);
        }
    }
    return err;
}

/*
 * Whether this collection may read the kept fds without listing /proc: no pid has been taken
 * since the previous collection, and the last listing kept every process it found and was
 * settled. A process is visible in /proc a moment after its pid is taken, so a listing counts as
 * settled only when no pid had been taken in the interval before it either: a process whose pid
 * was the last one taken has had a whole interval to appear.
 */
static bool may_skip_listing(struct processes_state *s, bool *ret_quiet)
{
    uint64_t last_pid;
    bool ok = s->fd_loadavg >= 0 && read_last_pid(s, &last_pid) == 0;
    *ret_quiet = ok && s->has_last_pid && last_pid == s->last_pid;
    s->has_last_pid = ok;
    s->last_pid = ok ? last_pid : 0;
    return *ret_quiet && s->settled && s->all_kept && s->since_listing < RELIST_EVERY;
}

static int processes_collect(void *state, struct st_emitter *out)
{
    struct processes_state *s = state;
    uint64_t counts[C_N] = {0};
    bool quiet;
    int err;
    s->n_next = 0;
    if (may_skip_listing(s, &quiet)) {
        err = count_kept(s, counts);
        s->since_listing++;
    } else {
        err = count_listed(s, counts);
        s->listings++;
        s->settled = quiet;
        s->since_listing = 1;
    }
    struct kept *t = s->kept;
    s->kept = s->next_kept;
    s->next_kept = t;
    s->n_kept = s->n_next;
    if (err < 0 && err != -EBADMSG) {
        return err;
    }
    for (int i = 0; i < C_N; i++) {
        st_emit(out, names[i], ST_UNIT_COUNT, (double)counts[i], NULL, 0);
    }
    return err;
}

uint64_t st_processes_listings(const void *state)
{
    return ((const struct processes_state *)state)->listings;
}

const struct st_source_ops st_source_processes = {
    .name = "processes",
    .init = processes_init,
    .collect = processes_collect,
    .fini = processes_fini,
};
