/* SPDX-License-Identifier: MIT */
/*
 * alarms.db and its worker thread (alarm_db.h). One connection, WAL journal, synchronous=FULL:
 * each job's transaction is on disk before its done callback runs on the loop thread. Jobs run
 * in submission order; finished jobs go back to the loop through one event, as the query pool
 * does.
 */
#include "alarm_db.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "stratus/alloc.h"

#define HISTORY_RETENTION_MS (30LL * 24 * 3600 * 1000) /* CloudWatch keeps 30 days */
#define PRUNE_EVERY          1024

struct job {
    struct job *next;
    st_alarm_db_run_fn run;
    st_alarm_db_done_fn done;
    void *data;
};

struct st_alarm_db {
    sqlite3 *db;
    struct event *done_ev;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards head/tail/stop; never held with done_lock */
    pthread_cond_t cond;
    struct job *head, *tail;
    bool stop;
    pthread_mutex_t done_lock;
    struct job *done_head, *done_tail;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS alarms ("
    "  name TEXT PRIMARY KEY, composite INTEGER NOT NULL, definition BLOB NOT NULL,"
    "  config_updated_ms INTEGER NOT NULL, state INTEGER NOT NULL, reason TEXT NOT NULL,"
    "  reason_data TEXT NOT NULL, state_updated_ms INTEGER NOT NULL,"
    "  state_transitioned_ms INTEGER NOT NULL, actions_enabled INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS history ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, alarm_name TEXT NOT NULL,"
    "  alarm_type TEXT NOT NULL, ts_ms INTEGER NOT NULL, item_type TEXT NOT NULL,"
    "  summary TEXT NOT NULL, data TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS history_by_name ON history (alarm_name, ts_ms);"
    "CREATE INDEX IF NOT EXISTS history_by_ts ON history (ts_ms);"
    "CREATE TABLE IF NOT EXISTS scaling_groups ("
    "  name TEXT PRIMARY KEY, definition BLOB NOT NULL, desired INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS scaling_policies ("
    "  arn TEXT PRIMARY KEY, group_name TEXT NOT NULL, definition BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS scaling_activities ("
    "  id TEXT PRIMARY KEY, group_name TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, status TEXT NOT NULL,"
    "  status_message TEXT NOT NULL, description TEXT NOT NULL, cause TEXT NOT NULL,"
    "  details TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS activities_by_group ON scaling_activities (group_name, seq);";

int st_alarm_db_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

int st_alarm_db_begin(sqlite3 *db)
{
    return st_alarm_db_exec(db, "BEGIN IMMEDIATE");
}

int st_alarm_db_commit(sqlite3 *db)
{
    return st_alarm_db_exec(db, "COMMIT");
}

void st_alarm_db_rollback(sqlite3 *db)
{
    st_alarm_db_exec(db, "ROLLBACK");
}

static void push(struct job **head, struct job **tail, struct job *j)
{
    j->next = NULL;
    if (*tail) {
        (*tail)->next = j;
    } else {
        *head = j;
    }
    *tail = j;
}

static void *worker(void *arg)
{
    struct st_alarm_db *d = arg;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        while (!d->head && !d->stop) {
            pthread_cond_wait(&d->cond, &d->lock);
        }
        struct job *j = d->head;
        if (j) {
            d->head = j->next;
            if (!d->head) {
                d->tail = NULL;
            }
        }
        pthread_mutex_unlock(&d->lock);
        if (!j) {
            break;
        }
        j->run(d->db, j->data);
        pthread_mutex_lock(&d->done_lock);
        push(&d->done_head, &d->done_tail, j);
        pthread_mutex_unlock(&d->done_lock);
        event_active(d->done_ev, EV_READ, 0);
    }
    return NULL;
}

static void run_done(struct st_alarm_db *d)
{
    pthread_mutex_lock(&d->done_lock);
    struct job *list = d->done_head;
    d->done_head = d->done_tail = NULL;
    pthread_mutex_unlock(&d->done_lock);
    for (struct job *j = list, *next; j; j = next) {
        next = j->next;
        j->done(j->data);
        st_free(j);
    }
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_done(arg);
}

int st_alarm_db_open(struct event_base *base, const char *path, struct st_alarm_db **ret,
                     struct st_error *err)
{
    struct st_alarm_db *d = st_calloc(1, sizeof(*d));
    if (!d) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    pthread_mutex_init(&d->done_lock, NULL);
    int r;
    if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "cannot open %s: %s", path,
                         d->db ? sqlite3_errmsg(d->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(d->db, 5000);
    if (st_alarm_db_exec(d->db, schema) < 0 ||
        st_alarm_db_exec(d->db, "PRAGMA synchronous=FULL") < 0) {
        r = st_error_set(err, -EIO, ST_ERR_INTERNAL_FAILURE, "cannot set up %s: %s", path,
                         sqlite3_errmsg(d->db));
        goto fail;
    }
    d->done_ev = event_new(base, -1, 0, on_done, d);
    if (!d->done_ev) {
        r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
        goto fail;
    }
    if (pthread_create(&d->thread, NULL, worker, d) != 0) {
        r = st_error_set(err, -EAGAIN, ST_ERR_INTERNAL_FAILURE, "cannot start the alarm writer");
        goto fail;
    }
    d->started = true;
    *ret = d;
    return 0;
fail:
    st_alarm_db_free(d);
    return r;
}

sqlite3 *st_alarm_db_handle(struct st_alarm_db *db)
{
    return db->db;
}

int st_alarm_db_submit(struct st_alarm_db *d, st_alarm_db_run_fn run, st_alarm_db_done_fn done,
                       void *data)
{
    struct job *j = st_calloc(1, sizeof(*j));
    if (!j) {
        return -ENOMEM;
    }
    j->run = run;
    j->done = done;
    j->data = data;
    pthread_mutex_lock(&d->lock);
    push(&d->head, &d->tail, j);
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

void st_alarm_db_free(struct st_alarm_db *d)
{
    if (!d) {
        return;
    }
    if (d->started) {
        pthread_mutex_lock(&d->lock);
        d->stop = true;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
        run_done(d);
    }
    if (d->done_ev) {
        event_free(d->done_ev);
    }
    sqlite3_close(d->db);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->done_lock);
    st_free(d);
}

/* --- SQL --- */

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return NULL;
    }
    return st;
}

int st_alarm_db_put(sqlite3 *db, const struct st_alarm_row *row)
{
    sqlite3_stmt *st = prepare(
        db, "INSERT INTO alarms (name, composite, definition, config_updated_ms, state, reason,"
            " reason_data, state_updated_ms, state_transitioned_ms, actions_enabled)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            " ON CONFLICT(name) DO UPDATE SET composite = excluded.composite,"
            " definition = excluded.definition, config_updated_ms = excluded.config_updated_ms,"
            " actions_enabled = excluded.actions_enabled");
    if (!st) {
        return -EIO;
    }
    sqlite3_bind_text(st, 1, row->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, row->composite);
    sqlite3_bind_blob(st, 3, row->def_len ? row->def : (const uint8_t *)"", (int)row->def_len,
                      SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, row->config_updated_ms);
    sqlite3_bind_int(st, 5, row->state);
    sqlite3_bind_text(st, 6, row->reason ? row->reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, row->reason_data ? row->reason_data : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, row->state_updated_ms);
    sqlite3_bind_int64(st, 9, row->state_transitioned_ms);
    sqlite3_bind_int(st, 10, row->actions_enabled);
    return step_done(st);
}

int st_alarm_db_set_state(sqlite3 *db, const struct st_alarm_row *row)
{
    sqlite3_stmt *st = prepare(db, "UPDATE alarms SET state = ?2, reason = ?3, reason_data = ?4,"
                                   " state_updated_ms = ?5, state_transitioned_ms = ?6"
                                   " WHERE name = ?1");
    if (!st) {
        return -EIO;
    }
    sqlite3_bind_text(st, 1, row->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, row->state);
    sqlite3_bind_text(st, 3, row->reason ? row->reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, row->reason_data ? row->reason_data : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, row->state_updated_ms);
    sqlite3_bind_int64(st, 6, row->state_transitioned_ms);
    return step_done(st);
}

int st_alarm_db_set_actions_enabled(sqlite3 *db, const char *name, bool enabled)
{
    sqlite3_stmt *st = prepare(db, "UPDATE alarms SET actions_enabled = ?2 WHERE name = ?1");
    if (!st) {
        return -EIO;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, enabled);
    return step_done(st);
}

int st_alarm_db_delete(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = prepare(db, "DELETE FROM alarms WHERE name = ?1");
    if (!st) {
        return -EIO;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return step_done(st);
}

static int prune(sqlite3 *db, int64_t now_ms)
{
    sqlite3_stmt *st = prepare(db, "DELETE FROM history WHERE ts_ms < ?1");
    if (!st) {
        return -EIO;
    }
    sqlite3_bind_int64(st, 1, now_ms - HISTORY_RETENTION_MS);
    return step_done(st);
}

int st_alarm_db_add_history(sqlite3 *db, const struct st_alarm_history_row *row)
{
    static unsigned inserts; /* only the thread owning the connection gets here */
    sqlite3_stmt *st = prepare(db, "INSERT INTO history (alarm_name, alarm_type, ts_ms,"
                                   " item_type, summary, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) {
        return -EIO;
    }
    sqlite3_bind_text(st, 1, row->alarm_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, row->alarm_type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, row->timestamp_ms);
    sqlite3_bind_text(st, 4, row->item_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, row->summary ? row->summary : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, row->data ? row->data : "", -1, SQLITE_STATIC);
    int r = step_done(st);
    if (r == 0 && ++inserts % PRUNE_EVERY == 0) {
        r = prune(db, row->timestamp_ms);
    }
    return r;
}

int st_alarm_db_query_history(sqlite3 *db, const struct st_alarm_history_query *q,
                              int (*fn)(const struct st_alarm_history_row *row, void *data),
                              void *data)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT alarm_name, alarm_type, ts_ms, item_type, summary, data FROM history"
             " WHERE (?1 IS NULL OR alarm_name = ?1) AND (?2 IS NULL OR item_type = ?2)"
             " AND ts_ms >= ?3 AND ts_ms < ?4 AND (?5 = 0 OR (?5 & 1 AND alarm_type ="
             " 'MetricAlarm') OR (?5 & 2 AND alarm_type = 'CompositeAlarm'))"
             " ORDER BY ts_ms %s, id %s LIMIT ?6 OFFSET ?7",
             q->ascending ? "ASC" : "DESC", q->ascending ? "ASC" : "DESC");
    sqlite3_stmt *st = prepare(db, sql);
    if (!st) {
        return -EIO;
    }
    if (q->alarm_name) {
        sqlite3_bind_text(st, 1, q->alarm_name, -1, SQLITE_STATIC);
    }
    if (q->item_type) {
        sqlite3_bind_text(st, 2, q->item_type, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 3, q->start_ms);
    sqlite3_bind_int64(st, 4, q->end_ms);
    sqlite3_bind_int(st, 5, (int)q->types);
    sqlite3_bind_int64(st, 6, (int64_t)q->limit + 1);
    sqlite3_bind_int64(st, 7, (int64_t)q->offset);
    int rc, r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct st_alarm_history_row row = {
            .alarm_name = (const char *)sqlite3_column_text(st, 0),
            .alarm_type = (const char *)sqlite3_column_text(st, 1),
            .timestamp_ms = sqlite3_column_int64(st, 2),
            .item_type = (const char *)sqlite3_column_text(st, 3),
            .summary = (const char *)sqlite3_column_text(st, 4),
            .data = (const char *)sqlite3_column_text(st, 5),
        };
        if ((r = fn(&row, data)) < 0) {
            break;
        }
    }
    sqlite3_finalize(st);
    if (r < 0) {
        return r;
    }
    return rc == SQLITE_DONE ? 0 : -EIO;
}

int st_alarm_db_load(sqlite3 *db, int (*fn)(const struct st_alarm_row *row, void *data), void *data)
{
    sqlite3_stmt *st =
        prepare(db, "SELECT name, composite, definition, config_updated_ms, state, reason,"
                    " reason_data, state_updated_ms, state_transitioned_ms, actions_enabled"
                    " FROM alarms ORDER BY name");
    if (!st) {
        return -EIO;
    }
    int rc, r = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct st_alarm_row row = {
            .name = (const char *)sqlite3_column_text(st, 0),
            .composite = sqlite3_column_int(st, 1) != 0,
            .def = sqlite3_column_blob(st, 2),
            .def_len = (size_t)sqlite3_column_bytes(st, 2),
            .config_updated_ms = sqlite3_column_int64(st, 3),
            .state = sqlite3_column_int(st, 4),
            .reason = (const char *)sqlite3_column_text(st, 5),
            .reason_data = (const char *)sqlite3_column_text(st, 6),
            .state_updated_ms = sqlite3_column_int64(st, 7),
            .state_transitioned_ms = sqlite3_column_int64(st, 8),
            .actions_enabled = sqlite3_column_int(st, 9) != 0,
        };
        if ((r = fn(&row, data)) < 0) {
            break;
        }
    }
    sqlite3_finalize(st);
    if (r < 0) {
        return r;
    }
    return rc == SQLITE_DONE ? 0 : -EIO;
}
