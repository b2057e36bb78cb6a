/* abstain-account.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "abstain-control.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_ACCOUNT (abstain_account_get_type ())
#define ABSTAIN_TYPE_ORGANIZATION (abstain_organization_get_type ())

G_DECLARE_FINAL_TYPE (AbstainOrganization, abstain_organization, ABSTAIN, ORGANIZATION, GObject)
G_DECLARE_FINAL_TYPE (AbstainAccount, abstain_account, ABSTAIN, ACCOUNT, GObject)

typedef enum
{
  ABSTAIN_ACCOUNT_STATE_LOADING,       /* first fetch in flight; the cached state, if any, is shown */
  ABSTAIN_ACCOUNT_STATE_ONLINE,        /* last request reached the server */
  ABSTAIN_ACCOUNT_STATE_OFFLINE,       /* network down or server unreachable: cached, read-only view */
  ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN, /* 401 and no refresh possible; queued changes kept */
  ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR, /* the token could not be read; cached, read-only view */
} AbstainAccountState;

GType abstain_account_state_get_type (void);
#define ABSTAIN_TYPE_ACCOUNT_STATE (abstain_account_state_get_type ())

/* AbstainOrganization properties: "id", "name", "role" (strings). */
const char *abstain_organization_get_id   (AbstainOrganization *self);
const char *abstain_organization_get_name (AbstainOrganization *self);
const char *abstain_organization_get_role (AbstainOrganization *self);

/*
 * AbstainAccount properties (read-only for the faces):
 *   "id"             string   server account id
 *   "server"         string   base URL, e.g. "http://127.0.0.1:8080"
 *   "email"          string
 *   "display-name"   string
 *   "plan"           string   raw plan name ("free", "pro", "student", "team", "enterprise", ...)
 *   "state"          AbstainAccountState
 *   "busy"           boolean  a request for this account is in flight
 *   "last-error"     GError (boxed) nullable: the last failure of a refresh or sign-in
 *   "last-verified"  GDateTime nullable: when the server last confirmed the whole list
 *   "controls"       GListModel of AbstainControl (stable objects: updated in place)
 *   "organizations"  GListModel of AbstainOrganization
 */
const char          *abstain_account_get_id            (AbstainAccount *self);
const char          *abstain_account_get_server        (AbstainAccount *self);
const char          *abstain_account_get_email         (AbstainAccount *self);
const char          *abstain_account_get_display_name  (AbstainAccount *self);
const char          *abstain_account_get_plan          (AbstainAccount *self);
AbstainAccountState  abstain_account_get_state         (AbstainAccount *self);
gboolean             abstain_account_get_busy          (AbstainAccount *self);
const GError        *abstain_account_get_last_error    (AbstainAccount *self);
GDateTime           *abstain_account_get_last_verified (AbstainAccount *self);
GListModel          *abstain_account_get_controls      (AbstainAccount *self);
GListModel          *abstain_account_get_organizations (AbstainAccount *self);
AbstainControl      *abstain_account_find_control      (AbstainAccount *self,
                                                        const char     *id_or_kind);
AbstainOrganization *abstain_account_find_organization (AbstainAccount *self,
                                                        const char     *id);

/* Translated plan name for known plans ("Free", "Pro", ...), the raw name otherwise. */
char                *abstain_plan_get_display_name     (const char *plan);

G_END_DECLS
