/* fuzz-protocol-oauth-error.c: OAuth 400 bodies through abstain_protocol_parse_oauth_error()
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
  g_autofree char *code = NULL;

  fuzz_init ();
  code = abstain_protocol_parse_oauth_error ((const char *) data, size, &error);
  if (code == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  fuzz_check_string (code, FALSE);

  return 0;
}
