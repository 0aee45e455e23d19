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
    bool procfs;                   /* root/proc is a real procfs: stat fds may be kept */
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
    st_free(s->kept);
    st_free(s->next_kept);
    st_free(s->root);
    st_free(s);
}

static int processes_init(const struct st_source_config *cfg, void **ret_state)
{
    struct processes_state *s = st_calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    int r = st_proc_root_dup(cfg->root, &s->root);
    char path[ST_PROC_PATH_MAX];
    struct statfs sf;
    if (r == 0 && st_proc_path(path, sizeof(path), s->root, "/proc") == 0 &&
        statfs(path, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
        s->procfs = true;
        s->kept = st_malloc(MAX_KEPT * sizeof(*s->kept));
        s->next_kept = st_malloc(MAX_KEPT * sizeof(*s->next_kept));
        r = s->kept && s->next_kept ? 0 : -ENOMEM;
    }
    if (r < 0) {
        processes_fini(s);
        return r;
    }
    *ret_state = s;
    return 0;
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
            ssize_t n;
            do {
                n = pread(k.fd, s->stat, sizeof(s->stat), 0);
            } while (n < 0 && errno == EINTR);
            if (n > 0 && (size_t)n < sizeof(s->stat)) {
                if (s->n_next < MAX_KEPT) {
                    s->next_kept[s->n_next++] = k;
                } else {
                    close(k.fd); /* new pids listed first took the room */
                }
                *ret_len = (size_t)n;
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
        ssize_t n;
        do {
            n = pread(fd, s->stat, sizeof(s->stat), 0);
        } while (n < 0 && errno == EINTR);
        if (n <= 0 || (size_t)n >= sizeof(s->stat)) {
            /* A single read of a procfs stat file returns all of it: n fills the buffer only
             * when it does not fit. */
            close(fd);
            return n < 0 ? -errno : n == 0 ? -ENOENT : -EFBIG;
        }
        s->next_kept[s->n_next++] = (struct kept){id, fd};
        *ret_len = (size_t)n;
        return 0;
    }
    return st_proc_read_at(dfd, rel, s->stat, sizeof(s->stat), ret_len);
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

static int processes_collect(void *state, struct st_emitter *out)
{
    struct processes_state *s = state;
    char path[ST_PROC_PATH_MAX];
    int ret = st_proc_path(path, sizeof(path), s->root, "/proc");
    if (ret < 0) {
        return ret;
    }
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        return -errno;
    }
    uint64_t counts[C_N] = {0};
    int err = 0;
    size_t ki = 0;
    s->n_next = 0;
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

const struct st_source_ops st_source_processes = {
    .name = "processes",
    .init = processes_init,
    .collect = processes_collect,
    .fini = processes_fini,
};
