/* SPDX-License-Identifier: MIT */
/*
 * One call of the collector's native API from the client: the request encoded as protobuf,
 * POSTed to /v1/<Operation>, and the reply decoded or turned into the aws CLI's error line.
 */
#ifndef STRATUS_CLI_API_H
#define STRATUS_CLI_API_H

#include <protobuf-c/protobuf-c.h>

#include "cli.h"

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

#endif
