/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: dashboard bodies (CloudWatch dashboard JSON) parsed into the model, and the
 * viewer's edits applied to whatever parses. Odd inputs also run with allocation failures
 * injected. It must never crash, leak or read out of bounds, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stratus/alloc.h"
#include "stratus/dashboard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct st_dashboard *d = NULL;
    struct st_dash_messages msgs = {0};
    struct st_error err;
    if (size > 0 && data[0] % 2) {
        st_alloc_fail_after(data[size - 1]);
    }
    int r = st_dashboard_parse(data, size, &d, &msgs, &err);
    st_alloc_fail_disarm();
    if (r == 0) {
        char *body = st_malloc(size + 1);
        if (body) {
            memcpy(body, data, size);
            body[size] = '\0';
            char *out = NULL;
            if (st_dashboard_body_set_geometry(body, 0, 0, 0, 6, 6, &out) == 0) {
                st_free(out);
            }
            out = NULL;
            if (st_dashboard_body_remove_widget(body, d->n_widgets / 2, &out) == 0) {
                st_free(out);
            }
            st_free(body);
        }
        st_dashboard_free(d);
    }
    return 0;
}
