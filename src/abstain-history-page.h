/* abstain-history-page.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-manager.h"

G_BEGIN_DECLS

#define ABSTAIN_TYPE_HISTORY_PAGE (abstain_history_page_get_type ())

G_DECLARE_FINAL_TYPE (AbstainHistoryPage, abstain_history_page, ABSTAIN, HISTORY_PAGE, AdwBin)

void        abstain_history_page_reload      (AbstainHistoryPage *self);
GListModel *abstain_history_page_get_events  (AbstainHistoryPage *self);
void        abstain_history_page_export_async  (AbstainHistoryPage  *self,
                                                GFile               *file,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    abstain_history_page_export_finish (AbstainHistoryPage  *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
