/* fuzz-protocol-error.c: error bodies (4xx, 5xx) through abstain_protocol_parse_error()
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
  g_autoptr(AbstainErrorBody) body = NULL;

  fuzz_init ();
  body = abstain_protocol_parse_error ((const char *) data, size, &error);
  if (body == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  fuzz_check_string (body->code, FALSE);
  fuzz_check_string (body->message, TRUE);
  if (body->control != NULL)
    {
      g_autoptr(AbstainControlData) copy = abstain_control_data_copy (body->control);

      fuzz_check_string (body->control->id, FALSE);
      g_assert_cmpstr (copy->id, ==, body->control->id);
    }

  return 0;
}
