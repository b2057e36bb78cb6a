/* fuzz-secret.c: the keyring secret's JSON through abstain_secret_parse()
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A secret that parses must also survive a round trip through
 * abstain_secret_serialize() unchanged.
 */

#include "config.h"

#include <libsecret/secret.h>

#include "abstain-error.h"
#include "abstain-keyring.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainSecret) secret = NULL;
  g_autoptr(AbstainSecret) again = NULL;
  g_autoptr(AbstainSecret) copy = NULL;
  g_autofree char *text = NULL;
  char *serialized;

  fuzz_init ();
  text = fuzz_strndup (data, size);
  secret = abstain_secret_parse (text, &error);
  if (secret == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }

  g_assert_no_error (error);
  fuzz_check_string (secret->access_token, FALSE);
  fuzz_check_string (secret->refresh_token, TRUE);

  copy = abstain_secret_copy (secret);
  serialized = abstain_secret_serialize (copy);
  g_assert_nonnull (serialized);
  again = abstain_secret_parse (serialized, &error);
  secret_password_free (serialized);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_cmpstr (again->access_token, ==, secret->access_token);
  g_assert_cmpstr (again->refresh_token, ==, secret->refresh_token);
  g_assert_cmpint (again->expires_at, ==, secret->expires_at);

  return 0;
}
