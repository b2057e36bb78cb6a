/* abstain-history-private.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "abstain-history.h"

G_BEGIN_DECLS

/* For the engine only. */

AbstainHistoryEvent *abstain_history_event_new        (const char *server,
                                                       const char *account_id,
                                                       const char *control_id,
                                                       const char *kind,
                                                       gboolean    from,
                                                       gboolean    to,
                                                       GDateTime  *at,
                                                       const char *source,
                                                       const char *origin);
const char          *abstain_history_event_get_server (AbstainHistoryEvent *self);
AbstainHistoryEvent *abstain_history_event_copy_with_origin (AbstainHistoryEvent *self,
                                                             const char          *origin);
/* Same account, control, direction and time: the same change seen twice. */
gboolean             abstain_history_event_same       (AbstainHistoryEvent *a,
                                                       AbstainHistoryEvent *b);
/* Newest first. */
int                  abstain_history_event_compare    (gconstpointer a,
                                                       gconstpointer b,
                                                       gpointer      user_data);

G_END_DECLS
