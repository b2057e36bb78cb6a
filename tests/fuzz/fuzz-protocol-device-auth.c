/* fuzz-protocol-device-auth.c: POST /oauth/device_authorization bodies through abstain_protocol_parse_device_auth()
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
  g_autoptr(AbstainDeviceAuthorization) auth = NULL;

  fuzz_init ();
  auth = abstain_protocol_parse_device_auth ((const char *) data, size, &error);
  if (auth == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  fuzz_check_string (auth->device_code, FALSE);
  fuzz_check_string (auth->user_code, FALSE);
  fuzz_check_string (auth->verification_uri, FALSE);
  fuzz_check_string (auth->verification_uri_complete, TRUE);

  return 0;
}
