/* SPDX-License-Identifier: MIT */
/*
 * main of stratus-viewer, the GTK4 desktop client of stratus-collector: runs StApplication.
 */
#define G_LOG_DOMAIN "stratus-viewer"

#include "application.h"

int main(int argc, char **argv)
{
    g_autoptr(StApplication) app = st_application_new();
    int status = g_application_run(G_APPLICATION(app), argc, argv);
    return status ? status : st_application_exit_status(app);
}
