/* abstain-sign-in-page.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_SIGN_IN_PAGE (abstain_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (AbstainSignInPage, abstain_sign_in_page, ABSTAIN, SIGN_IN_PAGE, AdwBin)

void abstain_sign_in_page_reset  (AbstainSignInPage *self,
                                  const char        *server);
void abstain_sign_in_page_cancel (AbstainSignInPage *self);

G_END_DECLS
