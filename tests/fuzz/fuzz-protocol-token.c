/* fuzz-protocol-token.c: POST /oauth/token bodies through abstain_protocol_parse_token()
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "abstain-protocol.h"
#include "abstain-error.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainTokenData) token = NULL;

  fuzz_init ();
  token = abstain_protocol_parse_token ((const char *) data, size, &error);
  if (token == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  g_assert_true (abstain_protocol_token_is_valid (token->access_token));
  g_assert_true (token->refresh_token == NULL ||
                 abstain_protocol_token_is_valid (token->refresh_token));
  g_assert_cmpint (token->expires_in, >=, 0);

  return 0;
}
