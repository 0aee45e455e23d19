/* SPDX-License-Identifier: MIT */
/*
 * CloudWatch over AWS JSON 1.0 and X-Ray over REST-JSON (aws.h). JSON 1.0: POST / with
 * X-Amz-Target: GraniteServiceVersion20100801.<Op> and an application/x-amz-json-1.0 body of
 * the op's input members; the reply is the output members, errors are {"__type", "message"}
 * with CloudWatch's shape name as __type and, because CloudWatch is "awsQueryCompatible",
 * the Query error code in x-amzn-query-error ("InvalidParameterValue;Sender"), which is what
 * the aws CLI and the SDKs print. X-Ray: POST /TraceSegments etc. with a JSON body; errors
 * carry the code in x-amzn-ErrorType and __type.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "aws.h"
#include "aws_shape.h"
#include "collector_private.h"

#define TARGET_PREFIX "GraniteServiceVersion20100801."
#define CW_SHAPE_NS   "com.amazonaws.cloudwatch#"

/* CloudWatch's error shape names for its Query error codes (its service model). */
static const struct {
    const char *code;
    const char *shape;
} cw_shapes[] = {
    {"InvalidParameterValue", "InvalidParameterValueException"},
    {"MissingParameter", "MissingRequiredParameterException"},
    {"InvalidParameterCombination", "InvalidParameterCombinationException"},
    {"InternalServiceError", "InternalServiceFault"},
    {"InvalidFormat", "InvalidFormatFault"},
    {"LimitExceeded", "LimitExceededFault"},
    {"InvalidParameterInput", "DashboardInvalidInputError"},
};

int st_aws_json_parse(const uint8_t *buf, size_t len, json_object **ret_tree, struct st_error *err)
{
    if (len == 0) {
        *ret_tree = json_object_new_object();
        return *ret_tree ? 0 : -ENOMEM;
    }
    if (len > (size_t)INT32_MAX) {
        return st_error_set(err, -EINVAL, "SerializationException", "The body is too large.");
    }
    json_tokener *tok = json_tokener_new_ex(ST_AWS_MAX_DEPTH * 2 + 4);
    if (!tok) {
        return -ENOMEM;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!o || je != json_tokener_success || used != len) {
        json_object_put(o);
        return st_error_set(
            err, -EINVAL, "SerializationException", "The request body is not valid JSON: %s",
            je == json_tokener_success ? "trailing bytes" : json_tokener_error_desc(je));
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return st_error_set(err, -EINVAL, "SerializationException",
                            "The request body must be a JSON object.");
    }
    *ret_tree = o;
    return 0;
}

void st_aws_json_error(struct evhttp_request *req, enum st_aws_proto proto,
                       enum st_aws_service service, int status, const char *code,
                       const char *message, const char *request_id)
{
    char type[160];
    snprintf(type, sizeof(type), "%s", code);
    bool cw = proto == ST_AWS_JSON10 && service == ST_AWS_CLOUDWATCH;
    if (cw) {
        for (size_t i = 0; i < sizeof(cw_shapes) / sizeof(cw_shapes[0]); i++) {
            if (strcmp(code, cw_shapes[i].code) == 0) {
                snprintf(type, sizeof(type), CW_SHAPE_NS "%s", cw_shapes[i].shape);
            }
        }
    }
    json_object *o = json_object_new_object();
    struct evbuffer *out = evbuffer_new();
    if (o && out) {
        json_object_object_add(o, "__type", json_object_new_string(type));
        json_object_object_add(o, "message", json_object_new_string(message));
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        evbuffer_add(out, s, strlen(s));
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type",
                      proto == ST_AWS_JSON10 ? "application/x-amz-json-1.0" : "application/json");
    evhttp_add_header(h, "x-amzn-RequestId", request_id);
    evhttp_add_header(h, "x-amzn-ErrorType", code);
    if (cw) {
        char qe[160];
        snprintf(qe, sizeof(qe), "%s;%s", code, status >= 500 ? "Receiver" : "Sender");
        evhttp_add_header(h, "x-amzn-query-error", qe);
    }
    evhttp_send_reply(req, status, st_api_status_reason(status), out);
    if (out) {
        evbuffer_free(out);
    }
    json_object_put(o);
}

void st_aws_json_reply(struct st_aws_req *ar, json_object *result)
{
    struct evbuffer *out = evbuffer_new();
    const char *s = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN);
    if (!out || !s || evbuffer_add(out, s, strlen(s)) < 0) {
        st_aws_json_error(ar->req, ar->proto, ar->service, 500, ST_ERR_INTERNAL_FAILURE,
                          "out of memory", ar->request_id);
    } else {
        struct evkeyvalq *h = evhttp_request_get_output_headers(ar->req);
        evhttp_add_header(h, "Content-Type",
                          ar->proto == ST_AWS_JSON10 ? "application/x-amz-json-1.0"
                                                     : "application/json");
        evhttp_add_header(h, "x-amzn-RequestId", ar->request_id);
        evhttp_send_reply(ar->req, 200, "OK", out);
    }
    if (out) {
        evbuffer_free(out);
    }
}

static void handle_json_body(struct st_collector *c, struct evhttp_request *req,
                             enum st_aws_proto proto, enum st_aws_service service,
                             const struct st_op *op)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        st_aws_send_error(req, proto, service, 405, "InvalidAction",
                          "This operation takes POST requests.");
        return;
    }
    size_t len;
    const uint8_t *body = st_aws_body(c, req, proto, service, &len);
    if (!body) {
        return;
    }
    json_object *tree;
    struct st_error err;
    if (st_aws_json_parse(body, len, &tree, &err) < 0) {
        st_aws_send_error(req, proto, service, 400, err.code, err.message);
        return;
    }
    st_aws_run(c, req, proto, service, op, tree);
    json_object_put(tree);
}

void st_aws_json_handle(struct st_collector *c, struct evhttp_request *req, const char *target)
{
    size_t pl = strlen(TARGET_PREFIX);
    const struct st_op *op = NULL;
    if (strncmp(target, TARGET_PREFIX, pl) == 0) {
        op = st_op_find(target + pl, strlen(target + pl));
    }
    if (!op) {
        char msg[200];
        snprintf(msg, sizeof(msg), "Unknown operation %.120s", target);
        st_aws_send_error(req, ST_AWS_JSON10, ST_AWS_CLOUDWATCH, 400, "UnknownOperationException",
                          msg);
        return;
    }
    handle_json_body(c, req, ST_AWS_JSON10, ST_AWS_CLOUDWATCH, op);
}

void st_aws_xray_handle(struct st_collector *c, struct evhttp_request *req, const char *op_name)
{
    const struct st_op *op = st_op_find(op_name, strlen(op_name));
    if (!op) {
        char msg[200];
        snprintf(msg, sizeof(msg), "The operation %s is not served by this collector.", op_name);
        st_aws_send_error(req, ST_AWS_REST_JSON, ST_AWS_XRAY, 404, "UnknownOperationException",
                          msg);
        return;
    }
    handle_json_body(c, req, ST_AWS_REST_JSON, ST_AWS_XRAY, op);
}
