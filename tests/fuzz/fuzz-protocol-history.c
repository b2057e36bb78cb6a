/* fuzz-protocol-history.c: GET /v1/history bodies through abstain_protocol_parse_history()
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
  g_autoptr(GPtrArray) events = NULL;

  fuzz_init ();
  events = abstain_protocol_parse_history ((const char *) data, size, &error);
  if (events == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    {
      AbstainHistoryData *event = g_ptr_array_index (events, i);

      fuzz_check_string (event->control_id, FALSE);
      fuzz_check_string (event->kind, TRUE);
      fuzz_check_string (event->at, FALSE);
      fuzz_check_string (event->source, TRUE);
    }

  return 0;
}
