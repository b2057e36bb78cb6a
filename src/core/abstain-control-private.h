/* abstain-control-private.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "abstain-control.h"
#include "abstain-protocol.h"

G_BEGIN_DECLS

/* For the engine only: the faces never change a control themselves. */

AbstainControl *abstain_control_new           (gpointer                  account,
                                               const AbstainControlData *data);
void            abstain_control_update        (AbstainControl           *self,
                                               const AbstainControlData *data);
void            abstain_control_set_request   (AbstainControl           *self,
                                               gboolean                  pending,
                                               gboolean                  requested);
void            abstain_control_set_last_error (AbstainControl          *self,
                                                const GError            *error);
const char     *abstain_control_get_server_title       (AbstainControl *self);
const char     *abstain_control_get_server_description (AbstainControl *self);

G_END_DECLS
