/* SPDX-License-Identifier: MIT */
/*
 * put-dashboard, get-dashboard, list-dashboards and delete-dashboards (cmd_dashboards.h).
 * The requests borrow strings from argv, so only the replies are freed. --dashboard-body takes
 * the JSON itself or file://PATH, as the aws CLI does; the collector validates the body.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api.h"
#include "args.h"
#include "cmd_dashboards.h"
#include "dashboards.pb-c.h"
#include "json_writer.h"
#include "output.h"
#include "pb.h"
#include "stratus/alloc.h"
#include "stratus/dashboard.h"

/* The aws CLI follows NextToken; a collector that never ends a listing stops here. */
#define LIST_MAX_PAGES 10000

/* Reads file://PATH for --dashboard-body into a NUL-terminated buffer. */
static int read_body_file(const char *path, char **ret, struct st_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return st_args_usage(err, "argument --dashboard-body: cannot open '%s': %s", path,
                             strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > 2 * ST_DASH_MAX_BODY_BYTES) {
        fclose(f);
        return st_args_usage(err,
                             "argument --dashboard-body: '%s' is not a regular file of at "
                             "most 2 MiB",
                             path);
    }
    size_t size = (size_t)st.st_size;
    char *buf = st_malloc(size + 1);
    if (!buf) {
        fclose(f);
        return st_args_oom(err);
    }
    size_t len = fread(buf, 1, size, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        st_free(buf);
        return st_args_usage(err, "argument --dashboard-body: cannot read '%s'", path);
    }
    buf[len] = '\0';
    *ret = buf;
    return 0;
}

enum { PD_NAME, PD_BODY, PD__COUNT };
static const struct st_args_flag pd_flags[PD__COUNT] = {
    [PD_NAME] = {"--dashboard-name", ST_ARGS_ONE},
    [PD_BODY] = {"--dashboard-body", ST_ARGS_ONE},
};

int st_cmd_put_dashboard(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[PD__COUNT];
    int r = st_args_parse(argc, argv, pd_flags, PD__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[PD_NAME].seen || !v[PD_BODY].seen) {
        return st_args_usage(err, "the following arguments are required: --dashboard-name, "
                                  "--dashboard-body");
    }
    char *file_body = NULL;
    const char *body = v[PD_BODY].one;
    if (strncmp(body, "file://", 7) == 0 || strncmp(body, "fileb://", 8) == 0) {
        r = read_body_file(body + (body[4] == 'b' ? 8 : 7), &file_body, err);
        if (r < 0) {
            return r;
        }
        body = file_body;
    }
    Stratus__PutDashboardRequest req = STRATUS__PUT_DASHBOARD_REQUEST__INIT;
    req.dashboard_name = (char *)v[PD_NAME].one;
    req.dashboard_body = (char *)body;
    ProtobufCMessage *msg = NULL;
    r = st_api_call(cli, "PutDashboard", &req.base, &stratus__put_dashboard_response__descriptor,
                    &msg, err);
    st_free(file_body);
    if (r < 0) {
        return r;
    }
    const Stratus__PutDashboardResponse *resp = (const Stratus__PutDashboardResponse *)msg;
    struct st_json_writer w;
    st_json_writer_init(&w, cli->out);
    st_json_begin_object(&w);
    st_json_key(&w, "DashboardValidationMessages");
    st_json_begin_array(&w);
    for (size_t i = 0; i < resp->n_dashboard_validation_messages; i++) {
        const Stratus__DashboardValidationMessage *m = resp->dashboard_validation_messages[i];
        st_json_begin_object(&w);
        if (m->data_path) {
            st_json_key(&w, "DataPath");
            st_json_string(&w, m->data_path);
        }
        if (m->message) {
            st_json_key(&w, "Message");
            st_json_string(&w, m->message);
        }
        st_json_end_object(&w);
    }
    st_json_end_array(&w);
    st_json_end_object(&w);
    st_json_end(&w);
    st_pb_free(msg);
    return 0;
}

enum { GD_NAME, GD__COUNT };
static const struct st_args_flag gd_flags[GD__COUNT] = {
    [GD_NAME] = {"--dashboard-name", ST_ARGS_ONE},
};

int st_cmd_get_dashboard(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[GD__COUNT];
    int r = st_args_parse(argc, argv, gd_flags, GD__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[GD_NAME].seen) {
        return st_args_usage(err, "the following arguments are required: --dashboard-name");
    }
    Stratus__GetDashboardRequest req = STRATUS__GET_DASHBOARD_REQUEST__INIT;
    req.dashboard_name = (char *)v[GD_NAME].one;
    ProtobufCMessage *msg = NULL;
    r = st_api_call(cli, "GetDashboard", &req.base, &stratus__get_dashboard_response__descriptor,
                    &msg, err);
    if (r < 0) {
        return r;
    }
    const Stratus__GetDashboardResponse *resp = (const Stratus__GetDashboardResponse *)msg;
    struct st_json_writer w;
    st_json_writer_init(&w, cli->out);
    st_json_begin_object(&w);
    const char *keys[] = {"DashboardArn", "DashboardBody", "DashboardName"};
    const char *vals[] = {resp->dashboard_arn, resp->dashboard_body, resp->dashboard_name};
    for (size_t i = 0; i < 3; i++) {
        if (vals[i]) {
            st_json_key(&w, keys[i]);
            st_json_string(&w, vals[i]);
        }
    }
    st_json_end_object(&w);
    st_json_end(&w);
    st_pb_free(msg);
    return 0;
}

enum { LD_PREFIX, LD__COUNT };
static const struct st_args_flag ld_flags[LD__COUNT] = {
    [LD_PREFIX] = {"--dashboard-name-prefix", ST_ARGS_ONE},
};

static void print_entry(struct st_json_writer *w, const Stratus__DashboardEntry *e)
{
    st_json_begin_object(w);
    if (e->dashboard_name) {
        st_json_key(w, "DashboardName");
        st_json_string(w, e->dashboard_name);
    }
    if (e->dashboard_arn) {
        st_json_key(w, "DashboardArn");
        st_json_string(w, e->dashboard_arn);
    }
    if (e->has_last_modified_ms) {
        char ts[40];
        st_output_format_time(e->last_modified_ms, ts, sizeof(ts));
        st_json_key(w, "LastModified");
        st_json_string(w, ts);
    }
    if (e->has_size) {
        st_json_key(w, "Size");
        st_json_int(w, e->size);
    }
    st_json_end_object(w);
}

int st_cmd_list_dashboards(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[LD__COUNT];
    int r = st_args_parse(argc, argv, ld_flags, LD__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    /* Pages are printed as they come, so a long listing needs no memory for all of it. */
    ProtobufCMessage *pages[2] = {NULL, NULL};
    struct st_json_writer w;
    bool begun = false;
    Stratus__ListDashboardsRequest req = STRATUS__LIST_DASHBOARDS_REQUEST__INIT;
    req.dashboard_name_prefix = v[LD_PREFIX].seen ? (char *)v[LD_PREFIX].one : NULL;
    for (unsigned page = 0; page < LIST_MAX_PAGES; page++) {
        ProtobufCMessage *msg = NULL;
        r = st_api_call(cli, "ListDashboards", &req.base,
                        &stratus__list_dashboards_response__descriptor, &msg, err);
        if (r < 0) {
            break;
        }
        const Stratus__ListDashboardsResponse *resp = (const Stratus__ListDashboardsResponse *)msg;
        if (!begun) {
            st_json_writer_init(&w, cli->out);
            st_json_begin_object(&w);
            st_json_key(&w, "DashboardEntries");
            st_json_begin_array(&w);
            begun = true;
        }
        for (size_t i = 0; i < resp->n_dashboard_entries; i++) {
            print_entry(&w, resp->dashboard_entries[i]);
        }
        /* The previous page holds the token this request borrowed. */
        st_pb_free(pages[0]);
        pages[0] = pages[1];
        pages[1] = msg;
        req.next_token = resp->next_token;
        if (!resp->next_token) {
            break;
        }
    }
    if (begun) {
        st_json_end_array(&w);
        st_json_end_object(&w);
        st_json_end(&w);
    }
    st_pb_free(pages[0]);
    st_pb_free(pages[1]);
    return r;
}

enum { DD_NAMES, DD__COUNT };
static const struct st_args_flag dd_flags[DD__COUNT] = {
    [DD_NAMES] = {"--dashboard-names", ST_ARGS_MANY},
};

int st_cmd_delete_dashboards(const struct st_cli *cli, int argc, char **argv, struct st_error *err)
{
    struct st_args_value v[DD__COUNT];
    int r = st_args_parse(argc, argv, dd_flags, DD__COUNT, v, err);
    if (r < 0) {
        return r;
    }
    if (!v[DD_NAMES].seen || v[DD_NAMES].n_many == 0) {
        return st_args_usage(err, "the following arguments are required: --dashboard-names");
    }
    Stratus__DeleteDashboardsRequest req = STRATUS__DELETE_DASHBOARDS_REQUEST__INIT;
    req.dashboard_names = (char **)v[DD_NAMES].many;
    req.n_dashboard_names = v[DD_NAMES].n_many;
    ProtobufCMessage *msg = NULL;
    r = st_api_call(cli, "DeleteDashboards", &req.base,
                    &stratus__delete_dashboards_response__descriptor, &msg, err);
    st_pb_free(msg);
    return r;
}
