/* abstain-account-private.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "abstain-account.h"
#include "abstain-protocol.h"

G_BEGIN_DECLS

/* For the engine only. */

AbstainAccount *abstain_account_new             (const char               *server,
                                                 const AbstainAccountData *data);
void            abstain_account_update          (AbstainAccount           *self,
                                                 const AbstainAccountData *data);
AbstainAccountData *abstain_account_to_data     (AbstainAccount           *self);
void            abstain_account_set_state       (AbstainAccount           *self,
                                                 AbstainAccountState       state);
void            abstain_account_set_busy        (AbstainAccount           *self,
                                                 gboolean                  busy);
void            abstain_account_set_last_error  (AbstainAccount           *self,
                                                 const GError             *error);
void            abstain_account_set_last_verified (AbstainAccount         *self,
                                                   GDateTime              *when);
/* Updates the controls in place from @controls (of AbstainControlData): known
 * ids are updated, new ones appended, vanished ones removed. */
void            abstain_account_set_controls    (AbstainAccount           *self,
                                                 GPtrArray                *controls);
AbstainControl *abstain_account_lookup_control  (AbstainAccount           *self,
                                                 const char               *id);
gboolean        abstain_account_matches         (AbstainAccount           *self,
                                                 const char               *server,
                                                 const char               *id);

G_END_DECLS
