/* fuzz-protocol-account.c: GET /v1/account bodies through abstain_protocol_parse_account()
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
  g_autoptr(AbstainAccountData) account = NULL;

  fuzz_init ();
  account = abstain_protocol_parse_account ((const char *) data, size, &error);
  if (account == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      return 0;
    }

  g_assert_no_error (error);
  fuzz_check_string (account->id, FALSE);
  fuzz_check_string (account->email, FALSE);
  fuzz_check_string (account->display_name, TRUE);
  fuzz_check_string (account->plan, FALSE);
  g_assert_nonnull (account->organizations);
  for (guint i = 0; i < account->organizations->len; i++)
    {
      AbstainOrganizationData *org = g_ptr_array_index (account->organizations, i);

      fuzz_check_string (org->id, FALSE);
      fuzz_check_string (org->name, TRUE);
      fuzz_check_string (org->role, FALSE);
    }

  return 0;
}
