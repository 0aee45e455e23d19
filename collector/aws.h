/* SPDX-License-Identifier: MIT */
/*
 * The AWS protocol front ends of the collector, beside the native API on the same port:
 * CloudWatch and Auto Scaling over the Query protocol (aws_query.c), CloudWatch over JSON 1.0
 * and X-Ray over REST-JSON (aws_json.c), CloudWatch over Smithy RPC v2 CBOR (aws_cbor.c). Each
 * turns its request into a json-c tree of AWS members, and aws.c decodes that tree into the
 * op's request message (aws_shape.h), checks the request's SigV4 signature (sigv4.h), runs the
 * op and hands its response, as a tree, back to the protocol's writer. Loop thread only.
 */
#ifndef STRATUS_COLLECTOR_AWS_H
#define STRATUS_COLLECTOR_AWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <json-c/json.h>

#include "op.h"
#include "stratus/error.h"

struct st_collector;

enum st_aws_proto {
    ST_AWS_QUERY,
    ST_AWS_JSON10,
    ST_AWS_REST_JSON,
    ST_AWS_CBOR,
};

/* The AWS service a request addresses (its XML namespace and error shapes follow). */
enum st_aws_service {
    ST_AWS_CLOUDWATCH,
    ST_AWS_AUTOSCALING,
    ST_AWS_XRAY,
};

/* One AWS request in flight: lives in its call's arena. */
struct st_aws_req {
    struct evhttp_request *req;
    enum st_aws_proto proto;
    enum st_aws_service service;
    char request_id[40];
};

/*
 * Routes AWS-protocol requests (POST / with a form or X-Amz-Target, /service/.../operation/...,
 * the X-Ray paths). Returns true when it answered (or will answer) req.
 */
bool st_aws_route(struct st_collector *c, struct evhttp_request *req, const char *path,
                  size_t path_len);

/* Decodes tree (borrowed) into a request of op and runs it; every error is answered in the
 * protocol's shape. Called by the protocol front ends. */
void st_aws_run(struct st_collector *c, struct evhttp_request *req, enum st_aws_proto proto,
                enum st_aws_service service, const struct st_op *op, json_object *tree);

/* Answers an error in the shape of proto before any call exists. */
void st_aws_send_error(struct evhttp_request *req, enum st_aws_proto proto,
                       enum st_aws_service service, int status, const char *code,
                       const char *message);

/* The body of req (contiguous) if it is within the collector's limit, else NULL after
 * answering 413 in the protocol's shape. */
const uint8_t *st_aws_body(struct st_collector *c, struct evhttp_request *req,
                           enum st_aws_proto proto, enum st_aws_service service, size_t *ret_len);

/* Protocol writers (aws_query.c, aws_json.c, aws_cbor.c): result is the response tree. */
void st_aws_query_reply(struct st_aws_req *ar, const struct st_op *op, json_object *result);
void st_aws_query_error(struct evhttp_request *req, enum st_aws_service service, int status,
                        const char *code, const char *message, const char *request_id);
void st_aws_json_reply(struct st_aws_req *ar, json_object *result);
void st_aws_json_error(struct evhttp_request *req, enum st_aws_proto proto,
                       enum st_aws_service service, int status, const char *code,
                       const char *message, const char *request_id);
void st_aws_cbor_reply(struct st_aws_req *ar, json_object *result);
void st_aws_cbor_error(struct evhttp_request *req, int status, const char *code,
                       const char *message, const char *request_id);

/* Protocol entry points (routed by aws.c). */
void st_aws_query_handle(struct st_collector *c, struct evhttp_request *req);
void st_aws_json_handle(struct st_collector *c, struct evhttp_request *req, const char *target);
void st_aws_xray_handle(struct st_collector *c, struct evhttp_request *req, const char *op_name);
void st_aws_cbor_handle(struct st_collector *c, struct evhttp_request *req, const char *op_name,
                        size_t op_len);

/* ---- parsers of outside bytes, exposed for unit tests and fuzz targets ---- */

/* The most form fields and the longest form key st_aws_form_parse accepts. */
#define ST_AWS_FORM_MAX_FIELDS 20000
#define ST_AWS_FORM_MAX_KEY    512

/*
 * Parses an application/x-www-form-urlencoded Query request into a tree: "A.B=1" becomes
 * {"A": {"B": "1"}}, "L.member.2.N=x" a list whose second element is {"N": "x"},
 * "M.entry.1.key=k&M.entry.1.value=v" a list of {"key", "value"} objects. Missing list members
 * (member.1 and member.3 without member.2) are an error. *ret_tree is a new object (the caller
 * puts it). -EINVAL with a MalformedQueryString error on bad input.
 */
int st_aws_form_parse(const uint8_t *buf, size_t len, json_object **ret_tree, struct st_error *err);

/* Writes tree as the XML children of an element (lists as <member>, maps as <entry>) into a
 * new string the caller frees; NULL on OOM. */
char *st_aws_xml_write(json_object *tree, size_t *ret_len);

/* Parses a JSON 1.0 body (an object, at most ST_AWS_MAX_DEPTH deep) into a tree. */
int st_aws_json_parse(const uint8_t *buf, size_t len, json_object **ret_tree, struct st_error *err);

/* Decodes an RPC v2 CBOR body (a map) into a tree: text and byte strings become strings
 * (bytes base64), tag 1 epoch times numbers, indefinite lengths are accepted. */
int st_aws_cbor_parse(const uint8_t *buf, size_t len, json_object **ret_tree, struct st_error *err);
/* Encodes a tree as CBOR (timestamps as tag 1 doubles) into a new buffer the caller frees. */
int st_aws_cbor_write(json_object *tree, uint8_t **ret, size_t *ret_len);

#endif
