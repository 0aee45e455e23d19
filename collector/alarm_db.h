/* SPDX-License-Identifier: MIT */
/*
 * The alarms' SQLite database (data_dir/alarms.db) and the worker thread that owns it after
 * startup: alarm definitions (the packed Put*Alarm request), their state, the alarm history,
 * and the tables of scaling.c (groups, policies, activities), whose SQL lives there. The loop
 * thread never touches SQLite once the worker runs: it submits jobs, whose `run` executes on the
 * worker with the connection and whose `done` then runs on the loop thread, in submission order. A
 * job's commit is durable (synchronous=FULL) before its `done` runs, which is what lets state
 * changes be durable before their actions run.
 *
 * The st_alarm_db_* SQL helpers take the connection and run on whichever thread owns it: the
 * loop thread at startup (loading), the worker afterwards (from a job's run).
 */
#ifndef STRATUS_COLLECTOR_ALARM_DB_H
#define STRATUS_COLLECTOR_ALARM_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "stratus/error.h"

struct st_alarm_db;

/* Runs on the worker thread with the connection. */
typedef void (*st_alarm_db_run_fn)(sqlite3 *db, void *data);
/* Runs on the loop thread after run; owns data from then on. */
typedef void (*st_alarm_db_done_fn)(void *data);

/* Opens (creating) path and its schema; the worker starts at once, idle. */
int st_alarm_db_open(struct event_base *base, const char *path, struct st_alarm_db **ret,
                     struct st_error *err);
/* The connection, for loading at startup before the first submit (loop thread). */
sqlite3 *st_alarm_db_handle(struct st_alarm_db *db);
/* Queues a job. Returns 0 or -ENOMEM (then neither callback runs). */
int st_alarm_db_submit(struct st_alarm_db *db, st_alarm_db_run_fn run, st_alarm_db_done_fn done,
                       void *data);
/* Runs every queued job and its done callback, stops the worker, closes. NULL ok. */
void st_alarm_db_free(struct st_alarm_db *db);

/* --- SQL helpers (the thread that owns the connection) --- */

/* Runs sql (no parameters, no rows). 0 or -EIO. */
int st_alarm_db_exec(sqlite3 *db, const char *sql);
/* BEGIN / COMMIT / ROLLBACK. */
int st_alarm_db_begin(sqlite3 *db);
int st_alarm_db_commit(sqlite3 *db);
void st_alarm_db_rollback(sqlite3 *db);

/* One row of the alarms table. Strings borrowed for the call. */
struct st_alarm_row {
    const char *name;
    bool composite;
    const uint8_t *def; /* the packed PutMetricAlarmRequest or PutCompositeAlarmRequest */
    size_t def_len;
    int64_t config_updated_ms;
    int state; /* enum st_alarm_state */
    const char *reason;
    const char *reason_data;
    int64_t state_updated_ms;
    int64_t state_transitioned_ms;
    bool actions_enabled;
};

/* Inserts the alarm, or replaces its definition and actions_enabled keeping its state. */
int st_alarm_db_put(sqlite3 *db, const struct st_alarm_row *row);
/* Writes the state columns of the alarm named row->name. */
int st_alarm_db_set_state(sqlite3 *db, const struct st_alarm_row *row);
int st_alarm_db_set_actions_enabled(sqlite3 *db, const char *name, bool enabled);
/* Deletes the alarm (its history stays, as CloudWatch keeps it). */
int st_alarm_db_delete(sqlite3 *db, const char *name);

struct st_alarm_history_row {
    const char *alarm_name;
    const char *alarm_type; /* MetricAlarm, CompositeAlarm */
    int64_t timestamp_ms;
    const char *item_type; /* ConfigurationUpdate, StateUpdate, Action */
    const char *summary;
    const char *data; /* JSON */
};

/* Appends a history item; prunes items older than 30 days now and then. */
int st_alarm_db_add_history(sqlite3 *db, const struct st_alarm_history_row *row);

struct st_alarm_history_query {
    const char *alarm_name; /* NULL: every alarm */
    const char *item_type;  /* NULL: every type */
    unsigned types;         /* bit 0 MetricAlarm, bit 1 CompositeAlarm; 0: both */
    int64_t start_ms, end_ms;
    bool ascending;
    unsigned limit;
    uint64_t offset;
};

/* Calls fn for each matching item in order, at most q->limit + 1 of them (the extra one says
 * there are more). Returns 0 or -EIO; fn returning < 0 stops with that value. */
int st_alarm_db_query_history(sqlite3 *db, const struct st_alarm_history_query *q,
                              int (*fn)(const struct st_alarm_history_row *row, void *data),
                              void *data);

/* Calls fn for every alarm row (startup). */
int st_alarm_db_load(sqlite3 *db, int (*fn)(const struct st_alarm_row *row, void *data),
                     void *data);

#endif
