/* SPDX-License-Identifier: MIT */
/*
 * StApplication: the stratus-viewer application. Parses the command line (--endpoint URL,
 * else $STRATUS_ENDPOINT, else http://127.0.0.1:4780; --page and --dashboard to open a view;
 * --edit; --screenshot FILE to render the window to a PNG once every call has settled and
 * quit, which the screenshot tests use), creates the API client and the window.
 */
#ifndef STRATUS_VIEWER_APPLICATION_H
#define STRATUS_VIEWER_APPLICATION_H

#include <adwaita.h>

G_BEGIN_DECLS

#define ST_TYPE_APPLICATION (st_application_get_type())
G_DECLARE_FINAL_TYPE(StApplication, st_application, ST, APPLICATION, AdwApplication)

StApplication *st_application_new(void);
/* 0, or 1 when --screenshot could not be saved. */
int st_application_exit_status(StApplication *self);

G_END_DECLS

#endif
