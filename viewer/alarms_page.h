/* SPDX-License-Identifier: MIT */
/*
 * StAlarmsPage: the collector's alarms (DescribeAlarms, every page) with their state colours
 * (ALARM red, OK green, INSUFFICIENT_DATA grey), filtered by state (asked of the collector) and
 * by a search text (matched in the name, case-insensitively). Selecting an alarm shows its
 * rule, state reason and StateReasonData, its metric charted with the threshold line and the
 * breaching periods marked, and its history (DescribeAlarmHistory) with each item's data. The
 * list refreshes every minute and after a reconnect; it keeps its last data while the collector
 * is away.
 */
#ifndef STRATUS_VIEWER_ALARMS_PAGE_H
#define STRATUS_VIEWER_ALARMS_PAGE_H

#include <adwaita.h>

#include "api_client.h"

G_BEGIN_DECLS

#define ST_TYPE_ALARMS_PAGE (st_alarms_page_get_type())
G_DECLARE_FINAL_TYPE(StAlarmsPage, st_alarms_page, ST, ALARMS_PAGE, GtkWidget)

/* The page keeps a reference on client. */
void st_alarms_page_set_client(StAlarmsPage *self, StApiClient *client);
/* Lists the alarms again and reloads the selected one. */
void st_alarms_page_reload(StAlarmsPage *self);
/* Selects the alarm name once it is listed. */
void st_alarms_page_select(StAlarmsPage *self, const char *name);

/* The CSS class of a StateValue's colour ("st-state-alarm", "-ok", "-insufficient"), and the
 * words the console uses for it ("In alarm", ...); static strings, unknown states grey. */
const char *st_alarm_state_css_class(const char *state_value);
const char *st_alarm_state_label(const char *state_value);

G_END_DECLS

#endif
