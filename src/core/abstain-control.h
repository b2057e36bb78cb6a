/* abstain-control.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ABSTAIN_TYPE_CONTROL (abstain_control_get_type ())

G_DECLARE_FINAL_TYPE (AbstainControl, abstain_control, ABSTAIN, CONTROL, GObject)

/*
 * One remote switch, as the faces see it. Every property is read-only for the
 * faces: they change it only through AbstainManager. Properties (all notify
 * only on a real change):
 *
 *   "id"               string   server id, e.g. "ctl_chat_training"
 *   "kind"             string   "chat.training", "api.anonymous_improvement", or another
 *   "product"          string   "le_chat", "la_plateforme", or another
 *   "scope"            string   "account" or "organization"
 *   "organization-id"  string   nullable
 *   "title"            string   localized for known kinds, else the server's title
 *   "description"      string   localized for known kinds, else the server's description
 *   "enabled"          boolean  the state the server last confirmed (TRUE = shared for training)
 *   "requested"        boolean  the state the user asked for; equals "enabled" unless "pending"
 *   "pending"          boolean  a requested change is queued or in flight
 *   "editable"         boolean
 *   "locked-reason"    string   nullable: "plan_default", "organization_policy", "role" or other
 *   "revision"         int64
 *   "etag"             string   nullable
 *   "updated-at"       GDateTime  nullable, the server's updated_at
 *   "last-error"       GError (boxed, G_TYPE_ERROR) nullable: why the pending change is not
 *                      confirmed yet, or why the last change failed
 *   "account"          AbstainAccount (weak, construct-only)
 */

const char *abstain_control_get_id              (AbstainControl *self);
const char *abstain_control_get_kind            (AbstainControl *self);
const char *abstain_control_get_product         (AbstainControl *self);
const char *abstain_control_get_scope           (AbstainControl *self);
const char *abstain_control_get_organization_id (AbstainControl *self);
const char *abstain_control_get_title           (AbstainControl *self);
const char *abstain_control_get_description     (AbstainControl *self);
gboolean    abstain_control_get_enabled         (AbstainControl *self);
gboolean    abstain_control_get_requested       (AbstainControl *self);
gboolean    abstain_control_get_pending         (AbstainControl *self);
gboolean    abstain_control_get_editable        (AbstainControl *self);
const char *abstain_control_get_locked_reason   (AbstainControl *self);
gint64      abstain_control_get_revision        (AbstainControl *self);
const char *abstain_control_get_etag            (AbstainControl *self);
GDateTime  *abstain_control_get_updated_at      (AbstainControl *self);
const GError *abstain_control_get_last_error    (AbstainControl *self);
gpointer    abstain_control_get_account         (AbstainControl *self);

/* A sentence for a person, translated: "Opted out by default on Team plans",
 * "Only organization admins can change this", ... or NULL when editable. */
char       *abstain_control_describe_lock       (AbstainControl *self);

G_END_DECLS
