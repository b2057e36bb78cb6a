/* abstain-application.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_APPLICATION (abstain_application_get_type ())

G_DECLARE_FINAL_TYPE (AbstainApplication, abstain_application, ABSTAIN, APPLICATION, AdwApplication)

AbstainApplication *abstain_application_new         (const char        *application_id,
                                                     GApplicationFlags  flags);
AbstainManager     *abstain_application_get_manager (AbstainApplication *self);

G_END_DECLS
