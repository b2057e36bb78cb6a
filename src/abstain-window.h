/* abstain-window.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-application.h"
#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_WINDOW (abstain_window_get_type ())

G_DECLARE_FINAL_TYPE (AbstainWindow, abstain_window, ABSTAIN, WINDOW, AdwApplicationWindow)

AbstainWindow  *abstain_window_new                 (AbstainApplication *application,
                                                    AbstainManager     *manager);
AbstainManager *abstain_window_get_manager         (AbstainWindow      *self);
AbstainAccount *abstain_window_get_account         (AbstainWindow      *self);
void            abstain_window_set_account         (AbstainWindow      *self,
                                                    AbstainAccount     *account);
void            abstain_window_show_page           (AbstainWindow      *self,
                                                    const char         *name);
void            abstain_window_add_toast           (AbstainWindow      *self,
                                                    const char         *message);
void            abstain_window_present_when_loaded (AbstainWindow      *self);

G_END_DECLS
