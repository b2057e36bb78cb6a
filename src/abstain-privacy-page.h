/* abstain-privacy-page.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_PRIVACY_PAGE (abstain_privacy_page_get_type ())

G_DECLARE_FINAL_TYPE (AbstainPrivacyPage, abstain_privacy_page, ABSTAIN, PRIVACY_PAGE, AdwBin)

G_END_DECLS
