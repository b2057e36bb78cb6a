/* abstain-control-row.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_CONTROL_ROW (abstain_control_row_get_type ())

G_DECLARE_FINAL_TYPE (AbstainControlRow, abstain_control_row, ABSTAIN, CONTROL_ROW, AdwActionRow)

GtkWidget      *abstain_control_row_new         (AbstainManager *manager,
                                                 AbstainControl *control,
                                                 gboolean        show_organization);
AbstainControl *abstain_control_row_get_control (AbstainControlRow *self);
GtkSwitch      *abstain_control_row_get_switch  (AbstainControlRow *self);

G_END_DECLS
