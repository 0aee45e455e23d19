/* SPDX-License-Identifier: MIT */
/*
 * The client side of one native API call (see api.h), over the blocking st_http_post.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "pb.h"
#include "stratus/alloc.h"

#define CONTENT_TYPE "application/x-protobuf"

int st_api_call(const struct st_cli *cli, const char *operation, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret_resp,
                struct st_error *err)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/%s", operation);

    size_t len = protobuf_c_message_get_packed_size(req);
    /* One spare byte: a request with every field absent packs to nothing. */
    uint8_t *body = st_malloc(len + 1);
    if (!body) {
        return st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    protobuf_c_message_pack(req, body);

    struct st_http_response resp = {0};
    struct st_error http_err = {{0}};
    int r =
        st_http_post(&cli->ep, path, CONTENT_TYPE, body, len, cli->timeout_ms, &resp, &http_err);
    st_free(body);
    if (r == -ENOMEM) {
        return st_error_set(err, r, ST_ERR_INTERNAL_FAILURE, "out of memory");
    }
    if (r == -ETIMEDOUT) {
        return st_error_set(err, r, "RequestTimeout", "Read timeout on endpoint URL: \"%s%s\"",
                            cli->url, path);
    }
    if (r < 0) {
        return st_error_set(err, r, "ConnectionRefused",
                            "Could not connect to the endpoint URL: \"%s%s\"", cli->url, path);
    }
    if (resp.status < 200 || resp.status > 299) {
        struct st_error reply = {{0}};
        st_http_error_from_reply(&resp, &reply);
        st_http_response_fini(&resp);
        return st_error_set(err, -EIO, reply.code,
                            "An error occurred (%s) when calling the %s operation: %s", reply.code,
                            operation, reply.message);
    }
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(resp_desc, st_pb_allocator(), resp.len, resp.body);
    st_http_response_fini(&resp);
    if (!msg) {
        /* protobuf-c does not tell a bad message from a failed allocation; both end the call. */
        return st_error_set(err, -EBADMSG, ST_ERR_INTERNAL_FAILURE,
                            "Could not decode the %s reply from \"%s%s\"", operation, cli->url,
                            path);
    }
    *ret_resp = msg;
    return 0;
}

int st_api_call_empty(const struct st_cli *cli, const char *operation, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *resp_desc, struct st_error *err)
{
    ProtobufCMessage *resp = NULL;
    int r = st_api_call(cli, operation, req, resp_desc, &resp, err);
    st_pb_free(resp);
    return r;
}

/* The string field next_token of desc (the .proto's optional string next_token). */
static const ProtobufCFieldDescriptor *token_field(const ProtobufCMessageDescriptor *desc)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(desc, "next_token");
    assert(f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED);
    return f;
}

static char **string_at(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    return (char **)((char *)m + f->offset);
}

static int gather(ProtobufCMessage *page, const struct st_api_list *list)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(page->descriptor, list->field);
    assert(f && f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE);
    size_t n = *(size_t *)((char *)page + f->quantifier_offset);
    void *const *items = *(void *const **)((char *)page + f->offset);
    return st_ptr_append(list->items, list->n, items, n);
}

int st_api_call_pages(const struct st_cli *cli, const char *operation, ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *resp_desc, const struct st_api_list *lists,
                      size_t n_lists, size_t limit, size_t max_pages, struct st_pb_pages *pages,
                      struct st_error *err)
{
    const ProtobufCFieldDescriptor *req_token = token_field(req->descriptor);
    const ProtobufCFieldDescriptor *resp_token = token_field(resp_desc);
    char **token = string_at(req, req_token);
    char *start = *token;
    int r = 0;
    for (size_t page = 0; page < max_pages; page++) {
        ProtobufCMessage *msg = NULL;
        if ((r = st_api_call(cli, operation, req, resp_desc, &msg, err)) < 0) {
            break;
        }
        if (st_pb_pages_keep(pages, msg) < 0) {
            r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
            break;
        }
        for (size_t i = 0; i < n_lists && r == 0; i++) {
            if (gather(msg, &lists[i]) < 0) {
                r = st_error_set(err, -ENOMEM, ST_ERR_INTERNAL_FAILURE, "out of memory");
            }
        }
        char *next = *string_at(msg, resp_token);
        if (r < 0 || !next || !next[0] || (limit && n_lists && *lists[0].n >= limit)) {
            break;
        }
        *token = next;
    }
    *token = start;
    return r;
}
