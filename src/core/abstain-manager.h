/* abstain-manager.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "abstain-account.h"
#include "abstain-control.h"
#include "abstain-history.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_MANAGER (abstain_manager_get_type ())
#define ABSTAIN_TYPE_DEVICE_FLOW (abstain_device_flow_get_type ())

G_DECLARE_FINAL_TYPE (AbstainManager, abstain_manager, ABSTAIN, MANAGER, GObject)
G_DECLARE_FINAL_TYPE (AbstainDeviceFlow, abstain_device_flow, ABSTAIN, DEVICE_FLOW, GObject)

/*
 * The one object both faces talk to. It owns the accounts (each with its own
 * sync engine), the store and the HTTP session.
 *
 * Properties:
 *   "state-dir"   string, construct-only: where the store lives
 *                 (default: g_get_user_state_dir()/abstain; $ABSTAIN_STATE_DIR overrides)
 *   "accounts"    GListModel of AbstainAccount
 *   "online"      boolean: what GNetworkMonitor says; no request is made while FALSE
 *   "pending"     boolean: some change of some account is still queued
 * Signals:
 *   "store-error" (const GError *error): a store file was unreadable and was moved aside;
 *                 emitted once per file, so a face can tell the user.
 *   "change-failed" (AbstainControl *control, const GError *error): a queued change was
 *                 dropped for good (locked, not found) or needs the user (auth).
 */

AbstainManager *abstain_manager_new                (const char *state_dir);

GListModel     *abstain_manager_get_accounts       (AbstainManager *self);
gboolean        abstain_manager_get_online         (AbstainManager *self);
gboolean        abstain_manager_get_pending        (AbstainManager *self);
AbstainAccount *abstain_manager_find_account       (AbstainManager *self,
                                                    const char     *account_id);

/* Reads the store and fills "accounts" with the last confirmed state. Async
 * because it reads files; no network, no keyring. */
void            abstain_manager_load_async         (AbstainManager      *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        abstain_manager_load_finish        (AbstainManager      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* One conditional GET per account (If-None-Match), then flushes each outbox.
 * @account: or NULL for every account. Completes when every account answered
 * or failed; per-account failures land in the account's "state"/"last-error"
 * and the task fails only when every account failed (first error). */
void            abstain_manager_refresh_async      (AbstainManager      *self,
                                                    AbstainAccount      *account,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        abstain_manager_refresh_finish     (AbstainManager      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Queues "set @control to @enabled": written to the outbox on disk before
 * anything is sent, the control turns "pending", then the account's engine
 * sends it. A request back to the confirmed state before the first one was
 * sent cancels it. Returns FALSE with @error when the control is not editable. */
gboolean        abstain_manager_request            (AbstainManager  *self,
                                                    AbstainControl  *control,
                                                    gboolean         enabled,
                                                    GError         **error);

/* Withdraws the queued change of @control; it is never sent afterwards. */
void            abstain_manager_withdraw           (AbstainManager  *self,
                                                    AbstainControl  *control);

/* Sends every queued change now (ignoring back-off) and completes when each
 * outbox is empty, or with the first error that stopped one (the changes stay
 * queued on disk). Used by "abstain sync", Retry and the CLI's opt-in/opt-out. */
void            abstain_manager_sync_async         (AbstainManager      *self,
                                                    AbstainAccount      *account,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        abstain_manager_sync_finish        (AbstainManager      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Validates @token with GET /v1/account, stores it in the keyring, adds (or
 * updates) the account and fetches its controls. */
void            abstain_manager_sign_in_token_async  (AbstainManager      *self,
                                                      const char          *server,
                                                      const char          *token,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
AbstainAccount *abstain_manager_sign_in_token_finish (AbstainManager      *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* Device flow: begin gives the code to show; then wait polls (honouring
 * interval and slow_down) until approved, denied, expired or cancelled. */
void               abstain_manager_device_begin_async  (AbstainManager      *self,
                                                        const char          *server,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
AbstainDeviceFlow *abstain_manager_device_begin_finish (AbstainManager      *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void               abstain_manager_device_wait_async   (AbstainManager      *self,
                                                        AbstainDeviceFlow   *flow,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
AbstainAccount    *abstain_manager_device_wait_finish  (AbstainManager      *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Revokes the token (best effort), deletes the keyring item, removes the
 * account from "accounts"; keeps the local history. Queued changes of the
 * account are dropped. */
void            abstain_manager_sign_out_async     (AbstainManager      *self,
                                                    AbstainAccount      *account,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        abstain_manager_sign_out_finish    (AbstainManager      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Local history of confirmed changes merged with the server's history
 * (GET /v1/history) where reachable, newest first, duplicates folded.
 * @account: or NULL for all. Returns a GListModel of AbstainHistoryEvent. */
void            abstain_manager_history_async      (AbstainManager      *self,
                                                    AbstainAccount      *account,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GListModel     *abstain_manager_history_finish     (AbstainManager      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Completes once every change to the state folder started so far is on
 * disk. A face calls it before it exits (the command line after each
 * command, the window on shutdown). */
void            abstain_manager_wait_saved_async   (AbstainManager      *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean        abstain_manager_wait_saved_finish  (AbstainManager      *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* AbstainDeviceFlow properties: "server", "user-code", "verification-uri",
 * "verification-uri-complete", "expires-at" (GDateTime), "interval" (uint). */
const char *abstain_device_flow_get_server                    (AbstainDeviceFlow *self);
const char *abstain_device_flow_get_user_code                 (AbstainDeviceFlow *self);
const char *abstain_device_flow_get_verification_uri          (AbstainDeviceFlow *self);
const char *abstain_device_flow_get_verification_uri_complete (AbstainDeviceFlow *self);
GDateTime  *abstain_device_flow_get_expires_at                (AbstainDeviceFlow *self);

G_END_DECLS
