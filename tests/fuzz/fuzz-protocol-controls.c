/* fuzz-protocol-controls.c: GET /v1/controls bodies through abstain_protocol_parse_controls()
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "abstain-protocol.h"
#include "abstain-error.h"
#include "fuzz-common.h"

static void
check_control (const AbstainControlData *control)
{
  g_autoptr(AbstainControlData) copy = NULL;

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
  g_assert_cmpint (copy->revision, ==, control->revision);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainControlList) list = NULL;

  fuzz_init ();
  list = abstain_protocol_parse_controls ((const char *) data, size, &error);
  if (list == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  g_assert_nonnull (list->controls);
  for (guint i = 0; i < list->controls->len; i++)
    check_control (g_ptr_array_index (list->controls, i));

  return 0;
}
