/* SPDX-License-Identifier: MIT */
/*
 * The AWS shapes of the collector's messages, derived from the protobuf-c descriptors: every
 * AWS protocol front end (Query, JSON 1.0, Smithy RPC v2 CBOR, X-Ray REST-JSON) turns its wire
 * format into a json-c value tree with the AWS member names, and st_aws_decode() fills the op's
 * request message from that tree; st_aws_encode() turns a response message back into such a
 * tree, which the front end writes as XML, JSON or CBOR. The mapping is mechanical (op.h): the
 * field `alarm_name` is the member `AlarmName`, an int64 `start_time_ms` is the timestamp
 * `StartTime`, a repeated field is a list, a repeated message of exactly `key` and `value` is a
 * map. Member names that are not the CamelCase of their field (OKActions, HttpURL, ...) are in
 * a small override table. Unmodelled request members are ignored, as AWS does.
 */
#ifndef STRATUS_COLLECTOR_AWS_SHAPE_H
#define STRATUS_COLLECTOR_AWS_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#include "stratus/arena.h"
#include "stratus/error.h"

/* How a tree written by st_aws_encode carries timestamps. */
enum st_aws_time_format {
    ST_AWS_TIME_EPOCH_SECONDS, /* a double: JSON 1.0, REST-JSON, CBOR (tagged there) */
    ST_AWS_TIME_ISO8601,       /* "2026-12-03T15:04:05.123Z": Query XML */
};

/* The deepest nesting st_aws_decode accepts, and the most list members in one request. */
#define ST_AWS_MAX_DEPTH   16
#define ST_AWS_MAX_MEMBERS 100000

/*
 * Fills a new message of type d, allocated in arena, from the tree `in` (an object whose keys
 * are AWS member names). Values may be typed (JSON, CBOR) or strings (Query): numbers and
 * booleans are accepted as strings too, timestamps as epoch seconds (number or string) or ISO
 * 8601. On a value of the wrong type returns -EINVAL with an InvalidParameterValue (or
 * MalformedInput for a wrong structure) naming the member path as AWS does
 * ("MetricData.member.1.Value"); -ENOMEM when the arena is full.
 */
int st_aws_decode(const ProtobufCMessageDescriptor *d, json_object *in, struct st_arena *arena,
                  ProtobufCMessage **ret, struct st_error *err);

/* The tree of a message, or NULL on OOM. The caller owns it (json_object_put). */
json_object *st_aws_encode(const ProtobufCMessage *m, enum st_aws_time_format tf);

/* True when a node of a tree written by st_aws_encode is a timestamp (epoch seconds). */
bool st_aws_is_timestamp(json_object *o);

/* True when an object node of a tree written by st_aws_encode is an AWS map (Query writes its
 * members as <entry><key/><value/></entry>). */
bool st_aws_is_map(json_object *o);

/* The AWS member name of field f of message d into buf (size >= 2 * strlen(name) + 1). */
void st_aws_member_name(const ProtobufCFieldDescriptor *f, char *buf, size_t size);

/* Milliseconds since the epoch of an ISO 8601 date-time ("2026-12-03T15:04:05Z", fractions and
 * +hh:mm offsets allowed) or of decimal epoch seconds; -EINVAL when it is neither. */
int st_aws_parse_time(const char *s, int64_t *ret_ms);

/* Writes "2026-12-03T15:04:05.123Z" into buf (at least 32 bytes). */
void st_aws_format_time(int64_t ms, char *buf, size_t size);

/* The shortest decimal text of d that reads back as d ("7.0" style is not needed: "7"). */
void st_aws_format_double(double d, char *buf, size_t size);

#endif
