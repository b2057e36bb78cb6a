/* abstain-history.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define ABSTAIN_TYPE_HISTORY_EVENT (abstain_history_event_get_type ())

G_DECLARE_FINAL_TYPE (AbstainHistoryEvent, abstain_history_event, ABSTAIN, HISTORY_EVENT, GObject)

/*
 * One confirmed change. Properties (read-only): "account-id", "control-id",
 * "kind", "from" (boolean), "to" (boolean), "at" (GDateTime, the server's
 * updated_at/at), "source" ("web", "mobile", "desktop", "api", "system", or
 * another), "origin" ("local": confirmed by this device, "server": from
 * GET /v1/history, "both").
 */
const char *abstain_history_event_get_account_id (AbstainHistoryEvent *self);
const char *abstain_history_event_get_control_id (AbstainHistoryEvent *self);
const char *abstain_history_event_get_kind       (AbstainHistoryEvent *self);
gboolean    abstain_history_event_get_from       (AbstainHistoryEvent *self);
gboolean    abstain_history_event_get_to         (AbstainHistoryEvent *self);
GDateTime  *abstain_history_event_get_at         (AbstainHistoryEvent *self);
const char *abstain_history_event_get_source     (AbstainHistoryEvent *self);
const char *abstain_history_event_get_origin     (AbstainHistoryEvent *self);

/* Translated words for a source ("on the web", "in the mobile app", "on this computer", ...). */
char       *abstain_history_source_describe      (const char *source);

/* The stable export shape (also what "abstain history --json" prints):
 * {"events":[{"account_id","control_id","kind","from","to","at","source","origin"}]} */
JsonNode   *abstain_history_to_json              (GListModel *events);

G_END_DECLS
