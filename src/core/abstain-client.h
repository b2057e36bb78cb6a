/* abstain-client.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "abstain-protocol.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_CLIENT (abstain_client_get_type ())

G_DECLARE_FINAL_TYPE (AbstainClient, abstain_client, ABSTAIN, CLIENT, GObject)

/*
 * Speaks the protocol to one server. Stateless apart from the shared
 * SoupSession: the caller passes the access token to each call. Every call
 * sends User-Agent and Accept, caps the body at 1 MiB (streamed, so a lying
 * Content-Length or an endless body is cut off), applies a per-request
 * timeout, and maps failures to ABSTAIN_ERROR codes:
 *   network unreachable/refused -> OFFLINE, timeout -> TIMEOUT, 401 -> AUTH,
 *   403 locked -> LOCKED, 404 -> NOT_FOUND, 412 -> CONFLICT, 429 -> RATE_LIMITED
 *   (Retry-After kept), 5xx -> SERVER, bad body/unexpected status -> PROTOCOL,
 *   TLS error -> INSECURE.
 * A connection lost in the middle of an answer is OFFLINE (the request may
 * have been applied: retry with the same Idempotency-Key). Redirects are
 * never followed. Cancelling the caller's cancellable ends the call with
 * G_IO_ERROR_CANCELLED. The per-request deadline (and libsoup's I/O
 * timeout) is 30 s, or $ABSTAIN_REQUEST_TIMEOUT seconds.
 */

/* The session every client of a process shares: timeouts set, a redacting
 * logger attached when G_MESSAGES_DEBUG asks for it. */
SoupSession   *abstain_client_create_session    (void);

/* Fails with ABSTAIN_ERROR_INSECURE for http:// to a non-loopback host, and
 * ABSTAIN_ERROR_INVALID for a URL that does not parse. */
AbstainClient *abstain_client_new               (SoupSession  *session,
                                                 const char   *server,
                                                 GError      **error);
const char    *abstain_client_get_server        (AbstainClient *self);

void                abstain_client_get_account_async   (AbstainClient       *self,
                                                        const char          *token,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
AbstainAccountData *abstain_client_get_account_finish  (AbstainClient       *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* @etag: nullable; with it, sends If-None-Match. On 304 the finish returns
 * NULL with no error and *not_modified = TRUE. @out_etag receives the list ETag. */
void                abstain_client_get_controls_async  (AbstainClient       *self,
                                                        const char          *token,
                                                        const char          *etag,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
AbstainControlList *abstain_client_get_controls_finish (AbstainClient       *self,
                                                        GAsyncResult        *result,
                                                        gboolean            *not_modified,
                                                        char               **out_etag,
                                                        GError             **error);

/* On 403/412 the error body's control (if any) is returned through
 * @out_current so the engine can show the server's state. */
void                abstain_client_patch_control_async  (AbstainClient       *self,
                                                         const char          *token,
                                                         const char          *control_id,
                                                         const char          *if_match,
                                                         const char          *idempotency_key,
                                                         gboolean             enabled,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
AbstainControlData *abstain_client_patch_control_finish (AbstainClient       *self,
                                                         GAsyncResult        *result,
                                                         AbstainControlData **out_current,
                                                         GError             **error);

void                abstain_client_get_history_async   (AbstainClient       *self,
                                                        const char          *token,
                                                        guint                limit,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GPtrArray          *abstain_client_get_history_finish  (AbstainClient       *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* OAuth. client_id is the application id. Poll failures: DEVICE_PENDING
 * (authorization_pending), RATE_LIMITED (slow_down), DEVICE_EXPIRED,
 * DEVICE_DENIED. */
void                        abstain_client_device_authorize_async  (AbstainClient       *self,
                                                                    GCancellable        *cancellable,
                                                                    GAsyncReadyCallback  callback,
                                                                    gpointer             user_data);
AbstainDeviceAuthorization *abstain_client_device_authorize_finish (AbstainClient       *self,
                                                                    GAsyncResult        *result,
                                                                    GError             **error);
void                        abstain_client_device_poll_async       (AbstainClient       *self,
                                                                    const char          *device_code,
                                                                    GCancellable        *cancellable,
                                                                    GAsyncReadyCallback  callback,
                                                                    gpointer             user_data);
AbstainTokenData           *abstain_client_device_poll_finish      (AbstainClient       *self,
                                                                    GAsyncResult        *result,
                                                                    GError             **error);
void                        abstain_client_refresh_async           (AbstainClient       *self,
                                                                    const char          *refresh_token,
                                                                    GCancellable        *cancellable,
                                                                    GAsyncReadyCallback  callback,
                                                                    gpointer             user_data);
AbstainTokenData           *abstain_client_refresh_finish          (AbstainClient       *self,
                                                                    GAsyncResult        *result,
                                                                    GError             **error);
void                        abstain_client_revoke_async            (AbstainClient       *self,
                                                                    const char          *token,
                                                                    GCancellable        *cancellable,
                                                                    GAsyncReadyCallback  callback,
                                                                    gpointer             user_data);
gboolean                    abstain_client_revoke_finish           (AbstainClient       *self,
                                                                    GAsyncResult        *result,
                                                                    GError             **error);

G_END_DECLS
