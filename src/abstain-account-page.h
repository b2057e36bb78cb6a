/* abstain-account-page.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_ACCOUNT_PAGE (abstain_account_page_get_type ())

G_DECLARE_FINAL_TYPE (AbstainAccountPage, abstain_account_page, ABSTAIN, ACCOUNT_PAGE, AdwBin)

void abstain_account_page_show_data_controls (AbstainAccountPage *self,
                                              gboolean            show);

G_END_DECLS
