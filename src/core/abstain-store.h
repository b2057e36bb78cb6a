/* abstain-store.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "abstain-history.h"
#include "abstain-protocol.h"

G_BEGIN_DECLS

/*
 * The state directory, mirrored in memory: accounts (nothing secret), the
 * last confirmed state of each account, the outbox of changes not confirmed
 * yet, and the local history of confirmed changes. Main thread only; files
 * are read and written in worker threads, each write atomic and durable
 * (temporary file, fsync, rename, fsync of the folder).
 */

#define ABSTAIN_TYPE_STORE (abstain_store_get_type ())

G_DECLARE_FINAL_TYPE (AbstainStore, abstain_store, ABSTAIN, STORE, GObject)

typedef enum
{
  ABSTAIN_STORE_ACCOUNTS = 1 << 0, /* accounts.json */
  ABSTAIN_STORE_STATE    = 1 << 1, /* state.json */
  ABSTAIN_STORE_OUTBOX   = 1 << 2, /* outbox.json */
  ABSTAIN_STORE_HISTORY  = 1 << 3, /* history.json */
  ABSTAIN_STORE_ALL      = 0xf,
} AbstainStoreFiles;

/* One queued change. Reference counted (g_rc_box); "persisted" says a write
 * that contains it has reached the disk, so it may be sent. */
typedef struct
{
  char     *server;
  char     *account_id;
  char     *control_id;
  char     *idempotency_key;
  gint64    created_at;  /* unix seconds */
  guint     attempts;
  gboolean  enabled;
  gboolean  persisted;
} AbstainOutboxEntry;

AbstainOutboxEntry *abstain_outbox_entry_ref   (AbstainOutboxEntry *entry);
void                abstain_outbox_entry_unref (AbstainOutboxEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainOutboxEntry, abstain_outbox_entry_unref)

typedef struct
{
  char               *server;
  AbstainAccountData *account;
  char               *list_etag;     /* nullable */
  gint64              last_verified; /* unix seconds, 0 = never */
  GPtrArray          *controls;      /* of AbstainControlData; NULL = never fetched */
} AbstainStoreAccount;

AbstainStore        *abstain_store_new                (const char          *dir);
const char          *abstain_store_get_dir            (AbstainStore        *self);
/* The default folder: $ABSTAIN_STATE_DIR, else g_get_user_state_dir()/abstain. */
char                *abstain_store_default_dir        (void);

/* Reads every file. A file that does not parse or validate is moved aside as
 * NAME.corrupt-<timestamp>; each such problem is returned in @out_problems
 * (GError of ABSTAIN_ERROR_STORE) and loading carries on. */
void                 abstain_store_load_async         (AbstainStore        *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean             abstain_store_load_finish        (AbstainStore        *self,
                                                       GAsyncResult        *result,
                                                       GPtrArray          **out_problems,
                                                       GError             **error);

void                 abstain_store_save_async         (AbstainStore        *self,
                                                       AbstainStoreFiles    files,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean             abstain_store_save_finish        (AbstainStore        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

void                 abstain_store_wait_idle_async    (AbstainStore        *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean             abstain_store_wait_idle_finish   (AbstainStore        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

GPtrArray           *abstain_store_get_accounts       (AbstainStore        *self);
AbstainStoreAccount *abstain_store_lookup_account     (AbstainStore        *self,
                                                       const char          *server,
                                                       const char          *account_id);
AbstainStoreAccount *abstain_store_add_account        (AbstainStore        *self,
                                                       const char          *server,
                                                       const AbstainAccountData *data);
/* Also drops the account's queued changes; keeps its history. */
void                 abstain_store_remove_account     (AbstainStore        *self,
                                                       const char          *server,
                                                       const char          *account_id);
void                 abstain_store_account_set_controls (AbstainStoreAccount *account,
                                                         GPtrArray           *controls,
                                                         const char          *list_etag);
void                 abstain_store_account_update_control (AbstainStoreAccount      *account,
                                                           const AbstainControlData *control);
const AbstainControlData *abstain_store_account_lookup_control (AbstainStoreAccount *account,
                                                                const char          *control_id);

GPtrArray           *abstain_store_get_outbox         (AbstainStore        *self);
AbstainOutboxEntry  *abstain_store_outbox_lookup      (AbstainStore        *self,
                                                       const char          *server,
                                                       const char          *account_id,
                                                       const char          *control_id);
AbstainOutboxEntry  *abstain_store_outbox_add         (AbstainStore        *self,
                                                       const char          *server,
                                                       const char          *account_id,
                                                       const char          *control_id,
                                                       gboolean             enabled);
void                 abstain_store_outbox_remove      (AbstainStore        *self,
                                                       AbstainOutboxEntry  *entry);
void                 abstain_store_outbox_rekey       (AbstainStore        *self,
                                                       AbstainOutboxEntry  *entry);

GPtrArray           *abstain_store_get_history        (AbstainStore        *self);
void                 abstain_store_history_append     (AbstainStore        *self,
                                                       AbstainHistoryEvent *event);

G_END_DECLS
