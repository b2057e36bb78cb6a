/* abstain-sync.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "abstain-account.h"
#include "abstain-client.h"
#include "abstain-keyring.h"
#include "abstain-store.h"

G_BEGIN_DECLS

/*
 * The engine of one account: outbox -> client -> store -> models. It carries
 * out the client obligations of the protocol (see PROTOCOL.md): confirmed
 * state only, write before send, retries with back-off and the same
 * Idempotency-Key, 412 refetch and resend once, 403 drop, local history,
 * token refresh on 401. Internal to the core; the faces use AbstainManager.
 *
 * Signals:
 *   "change-failed" (AbstainControl *, const GError *)
 *   "outbox-changed" ()
 */

#define ABSTAIN_TYPE_SYNC (abstain_sync_get_type ())

G_DECLARE_FINAL_TYPE (AbstainSync, abstain_sync, ABSTAIN, SYNC, GObject)

/* Loopback servers are always reachable, whatever the network monitor says. */
gboolean        abstain_server_is_loopback     (const char          *server);

AbstainSync    *abstain_sync_new               (AbstainAccount      *account,
                                                AbstainStore        *store,
                                                AbstainClient       *client);
AbstainAccount *abstain_sync_get_account       (AbstainSync         *self);
AbstainClient  *abstain_sync_get_client        (AbstainSync         *self);
gboolean        abstain_sync_is_loopback       (AbstainSync         *self);
void            abstain_sync_set_network_available (AbstainSync     *self,
                                                    gboolean         available);
/* Keeps @secret in memory for the next run (after a sign-in). */
void            abstain_sync_set_secret        (AbstainSync         *self,
                                                const AbstainSecret *secret);
/* Stops every request and timer; waiters fail with G_IO_ERROR_CANCELLED. */
void            abstain_sync_stop              (AbstainSync         *self);

gboolean        abstain_sync_request           (AbstainSync         *self,
                                                AbstainControl      *control,
                                                gboolean             enabled,
                                                GError             **error);
void            abstain_sync_withdraw          (AbstainSync         *self,
                                                AbstainControl      *control);
gboolean        abstain_sync_has_queued        (AbstainSync         *self);

/* One conditional GET, then the outbox. */
void            abstain_sync_refresh_async     (AbstainSync         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        abstain_sync_refresh_finish    (AbstainSync         *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* Sends every queued change now; fails while one is still queued. */
void            abstain_sync_flush_async       (AbstainSync         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        abstain_sync_flush_finish      (AbstainSync         *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* GET /v1/history: a GPtrArray of AbstainHistoryData. */
void            abstain_sync_fetch_history_async  (AbstainSync         *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
GPtrArray      *abstain_sync_fetch_history_finish (AbstainSync         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Revokes the token (best effort) and deletes the keyring item. */
void            abstain_sync_sign_out_async    (AbstainSync         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        abstain_sync_sign_out_finish   (AbstainSync         *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
