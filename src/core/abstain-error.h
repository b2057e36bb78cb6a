/* abstain-error.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ABSTAIN_ERROR (abstain_error_quark ())

/**
 * AbstainError:
 * @ABSTAIN_ERROR_OFFLINE: the server could not be reached
 * @ABSTAIN_ERROR_TIMEOUT: the server did not answer in time
 * @ABSTAIN_ERROR_AUTH: the token is missing, expired or revoked (sign in again)
 * @ABSTAIN_ERROR_LOCKED: the control cannot be changed from here
 * @ABSTAIN_ERROR_CONFLICT: someone changed the control meanwhile (412)
 * @ABSTAIN_ERROR_RATE_LIMITED: too many requests; see abstain_error_get_retry_after()
 * @ABSTAIN_ERROR_SERVER: the server failed (5xx)
 * @ABSTAIN_ERROR_PROTOCOL: the server answered something the protocol does not allow
 * @ABSTAIN_ERROR_NOT_FOUND: no such control or account
 * @ABSTAIN_ERROR_INSECURE: plain http to a host that is not loopback, or a TLS failure
 * @ABSTAIN_ERROR_KEYRING_UNAVAILABLE: no Secret Service to store the token in
 * @ABSTAIN_ERROR_KEYRING_LOCKED: the keyring is locked
 * @ABSTAIN_ERROR_KEYRING_DISMISSED: the user dismissed the unlock prompt
 * @ABSTAIN_ERROR_INVALID: bad input from the user (a malformed token or address)
 * @ABSTAIN_ERROR_STORE: a file in the state directory could not be read or written
 * @ABSTAIN_ERROR_DEVICE_PENDING: device flow: not approved yet (internal, never shown)
 * @ABSTAIN_ERROR_DEVICE_DENIED: device flow: the user denied the request
 * @ABSTAIN_ERROR_DEVICE_EXPIRED: device flow: the code expired
 *
 * Error codes the faces can phrase for a person.
 */
typedef enum
{
  ABSTAIN_ERROR_OFFLINE,
  ABSTAIN_ERROR_TIMEOUT,
  ABSTAIN_ERROR_AUTH,
  ABSTAIN_ERROR_LOCKED,
  ABSTAIN_ERROR_CONFLICT,
  ABSTAIN_ERROR_RATE_LIMITED,
  ABSTAIN_ERROR_SERVER,
  ABSTAIN_ERROR_PROTOCOL,
  ABSTAIN_ERROR_NOT_FOUND,
  ABSTAIN_ERROR_INSECURE,
  ABSTAIN_ERROR_KEYRING_UNAVAILABLE,
  ABSTAIN_ERROR_KEYRING_LOCKED,
  ABSTAIN_ERROR_KEYRING_DISMISSED,
  ABSTAIN_ERROR_INVALID,
  ABSTAIN_ERROR_STORE,
  ABSTAIN_ERROR_DEVICE_PENDING,
  ABSTAIN_ERROR_DEVICE_DENIED,
  ABSTAIN_ERROR_DEVICE_EXPIRED,
} AbstainError;

GQuark   abstain_error_quark           (void);

/* Seconds the server asked to wait (Retry-After), clamped to a sane range;
 * 0 when @error is not ABSTAIN_ERROR_RATE_LIMITED or carries no hint. */
guint    abstain_error_get_retry_after (const GError *error);

/* An ABSTAIN_ERROR_RATE_LIMITED error carrying the hint (0: none) for
 * abstain_error_get_retry_after(). The domain is an extended GError domain,
 * so the hint survives g_error_copy() and travels through GTask. */
GError  *abstain_error_new_rate_limited (guint retry_after_seconds);

/* Whether the sync engine should keep the change queued and retry later. */
gboolean abstain_error_is_transient    (const GError *error);

G_END_DECLS
