/* abstain-keyring.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Tokens in the Secret Service (or the Secret portal inside Flatpak), through
 * libsecret's async password API only. Schema "io.github.abstain.Abstain.Token",
 * attributes "server" and "account" (neither secret). The secret is JSON:
 * {"access_token","refresh_token","expires_at"}. Failures: KEYRING_UNAVAILABLE,
 * KEYRING_LOCKED, KEYRING_DISMISSED, PROTOCOL (a secret that does not parse).
 */

typedef struct
{
  char   *access_token;
  char   *refresh_token; /* nullable */
  gint64  expires_at;    /* unix seconds, 0 = unknown */
} AbstainSecret;

void           abstain_secret_free          (AbstainSecret *secret); /* wipes */
AbstainSecret *abstain_secret_copy          (const AbstainSecret *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainSecret, abstain_secret_free)

/* Exposed for tests and fuzzing: the secret's JSON both ways. Free what
 * abstain_secret_serialize() returns with secret_password_free() (wipes). */
char          *abstain_secret_serialize     (const AbstainSecret *secret);
AbstainSecret *abstain_secret_parse         (const char          *text,
                                             GError             **error);

void           abstain_keyring_store_async  (const char          *server,
                                             const char          *account_id,
                                             const AbstainSecret *secret,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* Like abstain_keyring_store_async() with the label keyring managers show
 * (nullable: a default naming the account id and server). Finish with
 * abstain_keyring_store_finish(). */
void           abstain_keyring_store_full_async (const char          *server,
                                                 const char          *account_id,
                                                 const char          *label,
                                                 const AbstainSecret *secret,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean       abstain_keyring_store_finish (GAsyncResult        *result,
                                             GError             **error);

/* Returns NULL with no error when there is no item. */
void           abstain_keyring_lookup_async  (const char          *server,
                                              const char          *account_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
AbstainSecret *abstain_keyring_lookup_finish (GAsyncResult        *result,
                                              GError             **error);

void           abstain_keyring_clear_async   (const char          *server,
                                              const char          *account_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean       abstain_keyring_clear_finish  (GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
