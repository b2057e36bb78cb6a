/* abstain-error.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-error"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-error.h"

#define RETRY_AFTER_MAX 3600

/* An extended error domain: a GError of ours carries the Retry-After hint
 * with it through GTask, g_error_copy() and g_propagate_error(). */
typedef struct
{
  guint retry_after;
} AbstainErrorPrivate;

static void
abstain_error_private_init (AbstainErrorPrivate *priv)
{
  priv->retry_after = 0;
}

static void
abstain_error_private_copy (const AbstainErrorPrivate *src_priv,
                            AbstainErrorPrivate       *dest_priv)
{
  dest_priv->retry_after = src_priv->retry_after;
}

static void
abstain_error_private_clear (AbstainErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (AbstainError, abstain_error)

guint
abstain_error_get_retry_after (const GError *error)
{
  AbstainErrorPrivate *priv;

  if (!g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED))
    return 0;

  priv = abstain_error_get_private (error);
  return priv != NULL ? priv->retry_after : 0;
}

/**
 * abstain_error_new_rate_limited:
 * @retry_after_seconds: what the server asked for; 0 when it gave no hint
 *
 * Returns: (transfer full): an %ABSTAIN_ERROR_RATE_LIMITED error whose hint,
 *   clamped to 1…3600 seconds, abstain_error_get_retry_after() returns.
 */
GError *
abstain_error_new_rate_limited (guint retry_after_seconds)
{
  guint seconds = MIN (retry_after_seconds, RETRY_AFTER_MAX);
  GError *error;

  if (seconds == 0)
    return g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED,
                                _("The server received too many requests. Try again later."));

  error = g_error_new (ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED,
                       ngettext ("The server received too many requests. "
                                 "Try again in %u second.",
                                 "The server received too many requests. "
                                 "Try again in %u seconds.",
                                 seconds),
                       seconds);
  abstain_error_get_private (error)->retry_after = seconds;

  return error;
}

gboolean
abstain_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != ABSTAIN_ERROR)
    return FALSE;

  switch ((AbstainError) error->code)
    {
    case ABSTAIN_ERROR_OFFLINE:
    case ABSTAIN_ERROR_TIMEOUT:
    case ABSTAIN_ERROR_RATE_LIMITED:
    case ABSTAIN_ERROR_SERVER:
      return TRUE;

    case ABSTAIN_ERROR_AUTH:
    case ABSTAIN_ERROR_LOCKED:
    case ABSTAIN_ERROR_CONFLICT:
    case ABSTAIN_ERROR_PROTOCOL:
    case ABSTAIN_ERROR_NOT_FOUND:
    case ABSTAIN_ERROR_INSECURE:
    case ABSTAIN_ERROR_KEYRING_UNAVAILABLE:
    case ABSTAIN_ERROR_KEYRING_LOCKED:
    case ABSTAIN_ERROR_KEYRING_DISMISSED:
    case ABSTAIN_ERROR_INVALID:
    case ABSTAIN_ERROR_STORE:
    case ABSTAIN_ERROR_DEVICE_PENDING:
    case ABSTAIN_ERROR_DEVICE_DENIED:
    case ABSTAIN_ERROR_DEVICE_EXPIRED:
    default:
      return FALSE;
    }
}
