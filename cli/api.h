/* SPDX-License-Identifier: MIT */
/*
 * One call of the collector's native API from the client: the request encoded as protobuf,
 * POSTed to /v1/<Operation>, and the reply decoded or turned into the aws CLI's error line.
 */
#ifndef STRATUS_CLI_API_H
#define STRATUS_CLI_API_H

#include <protobuf-c/protobuf-c.h>

#include "cli.h"
#include "pb.h"

/*
 * Calls operation ("PutMetricData") with req and decodes a 2xx reply as resp_desc into
 * *ret_resp, which the caller owns (free with st_pb_free). Otherwise returns -EIO when the
 * collector answered with an error, -ECONNREFUSED or -ETIMEDOUT when it could not be reached,
 * -EBADMSG when its reply does not decode, or -ENOMEM; err->message is then the line to print:
 * "An error occurred (CODE) when calling the OPERATION operation: MESSAGE", or
 * "Could not connect to the endpoint URL: \"http://host:port/v1/OPERATION\"".
 */
int st_api_call(const struct st_cli *cli, const char *operation, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret_resp,
                struct st_error *err);

/* st_api_call for an operation whose reply carries nothing the caller needs: the reply is
 * decoded (so a bad one is still an error) and dropped. */
int st_api_call_empty(const struct st_cli *cli, const char *operation, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *resp_desc, struct st_error *err);

/* One list a paged call gathers: a repeated message field of the reply, named as in the
 * .proto ("metric_alarms"), whose items from every page are appended to *items (st_malloc'd,
 * the caller frees it with st_free) and counted in *n. */
struct st_api_list {
    const char *field;
    void ***items;
    size_t *n;
};

/*
 * Follows a paged operation as the aws CLI's paginator does: calls it with req, and while the
 * reply has a non-empty next_token and fewer than max_pages pages were read, calls it again with
 * req's next_token set to the reply's. Both messages must have a string field next_token; req's
 * is restored when the call returns. Every reply is kept in *pages (the gathered items point into
 * them: free them with st_pb_pages_fini after use). With limit > 0 it stops once the first list
 * holds at least limit items (it may hold more). Returns 0 or st_api_call's error, with what was
 * gathered so far still in *pages and the lists.
 */
int st_api_call_pages(const struct st_cli *cli, const char *operation, ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *resp_desc, const struct st_api_list *lists,
                      size_t n_lists, size_t limit, size_t max_pages, struct st_pb_pages *pages,
                      struct st_error *err);

#endif
