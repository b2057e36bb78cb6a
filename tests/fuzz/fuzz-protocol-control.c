/* fuzz-protocol-control.c: GET and PATCH /v1/controls/{id} bodies through abstain_protocol_parse_control()
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
  g_autoptr(AbstainControlData) control = NULL;
  g_autoptr(AbstainControlData) copy = NULL;

  fuzz_init ();
  control = abstain_protocol_parse_control ((const char *) data, size, &error);
  if (control == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  fuzz_check_string (control->id, FALSE);
  fuzz_check_string (control->kind, FALSE);
  fuzz_check_string (control->product, TRUE);
  fuzz_check_string (control->scope, TRUE);
  fuzz_check_string (control->organization_id, TRUE);
  fuzz_check_string (control->title, TRUE);
  fuzz_check_string (control->description, TRUE);
  fuzz_check_string (control->locked_reason, TRUE);
  fuzz_check_string (control->updated_at, TRUE);
  fuzz_check_string (control->etag, TRUE);

  copy = abstain_control_data_copy (control);
  g_assert_cmpstr (copy->id, ==, control->id);
  g_assert_cmpstr (copy->updated_at, ==, control->updated_at);
  g_assert_cmpint (copy->enabled, ==, control->enabled);

  return 0;
}
