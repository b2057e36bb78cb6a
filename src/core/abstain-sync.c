/* abstain-sync.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-sync"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-account-private.h"
#include "abstain-control-private.h"
#include "abstain-error.h"
#include "abstain-history-private.h"
#include "abstain-sync.h"

/*
 * One switch flip, as it travels through this file:
 *   abstain_sync_request ()  the change goes to the outbox, the control turns
 *                            "pending", the outbox is written to disk
 *   on_request_saved ()      only once it is on disk does a run start
 *   send_entry ()            PATCH with the entry's Idempotency-Key and the
 *                            control's ETag
 *   on_patched ()            confirmed: apply_control () updates the store,
 *                            the model and the local history; remove_entry ()
 *                            ends "pending". Otherwise handle_patch_error ()
 *                            (403, 404, bad answers: dropped; 5xx, 429,
 *                            timeouts: back-off), on_conflict_refetched ()
 *                            (412) or handle_auth () (401).
 *
 * A run takes the token from the keyring, does the wanted GET, then tries
 * each persisted outbox entry of the account once, and ends: the secret is
 * dropped and the waiters complete. A transient failure ends the run and
 * arms one back-off timer; nothing else keeps a timer alive.
 */

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   (5 * 60 * 1000)

typedef enum {
  WAIT_REFRESH,
  WAIT_FLUSH,
} WaitKind;

struct _AbstainSync
{
  GObject             parent_instance;

  AbstainAccount     *account;
  AbstainStore       *store;
  AbstainClient      *client;
  AbstainSecret      *secret;
  GCancellable       *cancellable;
  GPtrArray          *waiters;   /* of GTask */
  GHashTable         *tried;     /* entries tried in this run */
  GHashTable         *resent;    /* entries resent after a 412 in this run */
  AbstainOutboxEntry *inflight;
  GError             *run_error;
  GError             *refresh_error;
  guint               retry_source;
  guint               failures;
  guint               retry_after;
  guint               running : 1;
  guint               stopping : 1;
  guint               backoff_wanted : 1;
  guint               refresh_wanted : 1;
  guint               token_refreshed : 1;
  guint               network_available : 1;
  guint               loopback : 1;
  guint               inflight_withdrawn : 1;
  guint               waiting_for_save : 1;
};

G_DEFINE_FINAL_TYPE (AbstainSync, abstain_sync, G_TYPE_OBJECT)

enum {
  CHANGE_FAILED,
  OUTBOX_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void step (AbstainSync *self);
static void run (AbstainSync *self);

static void
abstain_sync_dispose (GObject *object)
{
  AbstainSync *self = (AbstainSync *)object;

  abstain_sync_stop (self);

  G_OBJECT_CLASS (abstain_sync_parent_class)->dispose (object);
}

static void
abstain_sync_finalize (GObject *object)
{
  AbstainSync *self = (AbstainSync *)object;

  g_clear_object (&self->account);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_pointer (&self->secret, abstain_secret_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_clear_pointer (&self->tried, g_hash_table_unref);
  g_clear_pointer (&self->resent, g_hash_table_unref);
  g_clear_pointer (&self->inflight, abstain_outbox_entry_unref);
  g_clear_error (&self->run_error);
  g_clear_error (&self->refresh_error);

  G_OBJECT_CLASS (abstain_sync_parent_class)->finalize (object);
}

static void
abstain_sync_class_init (AbstainSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = abstain_sync_dispose;
  object_class->finalize = abstain_sync_finalize;

  signals[CHANGE_FAILED] =
    g_signal_new ("change-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  ABSTAIN_TYPE_CONTROL, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[OUTBOX_CHANGED] =
    g_signal_new ("outbox-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
abstain_sync_init (AbstainSync *self)
{
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->tried = g_hash_table_new_full (NULL, NULL, (GDestroyNotify)abstain_outbox_entry_unref, NULL);
  self->resent = g_hash_table_new_full (NULL, NULL, (GDestroyNotify)abstain_outbox_entry_unref, NULL);
  self->network_available = TRUE;
}

gboolean
abstain_server_is_loopback (const char *server)
{
  g_autoptr(GUri) uri = g_uri_parse (server, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) address = NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

AbstainSync *
abstain_sync_new (AbstainAccount *account,
                  AbstainStore   *store,
                  AbstainClient  *client)
{
  AbstainSync *self;

  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (ABSTAIN_IS_STORE (store), NULL);
  g_return_val_if_fail (ABSTAIN_IS_CLIENT (client), NULL);

  self = g_object_new (ABSTAIN_TYPE_SYNC, NULL);
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  self->client = g_object_ref (client);
  self->loopback = abstain_server_is_loopback (abstain_account_get_server (account));

  return self;
}

AbstainAccount *
abstain_sync_get_account (AbstainSync *self)
{
  g_return_val_if_fail (ABSTAIN_IS_SYNC (self), NULL);
  return self->account;
}

AbstainClient *
abstain_sync_get_client (AbstainSync *self)
{
  g_return_val_if_fail (ABSTAIN_IS_SYNC (self), NULL);
  return self->client;
}

gboolean
abstain_sync_is_loopback (AbstainSync *self)
{
  g_return_val_if_fail (ABSTAIN_IS_SYNC (self), FALSE);
  return self->loopback;
}

/* The outbox of this account */

static gboolean
entry_is_mine (AbstainSync        *self,
               AbstainOutboxEntry *entry)
{
  return g_str_equal (entry->server, abstain_account_get_server (self->account)) &&
         g_str_equal (entry->account_id, abstain_account_get_id (self->account));
}

static AbstainOutboxEntry *
lookup_entry (AbstainSync *self,
              const char  *control_id)
{
  return abstain_store_outbox_lookup (self->store,
                                      abstain_account_get_server (self->account),
                                      abstain_account_get_id (self->account),
                                      control_id);
}

gboolean
abstain_sync_has_queued (AbstainSync *self)
{
  GPtrArray *outbox;

  g_return_val_if_fail (ABSTAIN_IS_SYNC (self), FALSE);

  outbox = abstain_store_get_outbox (self->store);
  for (guint i = 0; i < outbox->len; i++)
    if (entry_is_mine (self, g_ptr_array_index (outbox, i)))
      return TRUE;

  return FALSE;
}

static AbstainOutboxEntry *
next_entry (AbstainSync *self)
{
  GPtrArray *outbox = abstain_store_get_outbox (self->store);

  for (guint i = 0; i < outbox->len; i++)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (outbox, i);

      if (entry_is_mine (self, entry) && entry->persisted &&
          !g_hash_table_contains (self->tried, entry))
        return entry;
    }

  return NULL;
}

static gboolean
has_unpersisted (AbstainSync *self)
{
  GPtrArray *outbox = abstain_store_get_outbox (self->store);

  for (guint i = 0; i < outbox->len; i++)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (outbox, i);

      if (entry_is_mine (self, entry) && !entry->persisted)
        return TRUE;
    }

  return FALSE;
}

static void
update_pending (AbstainSync    *self,
                AbstainControl *control)
{
  AbstainOutboxEntry *entry = lookup_entry (self, abstain_control_get_id (control));

  abstain_control_set_request (control, entry != NULL, entry ? entry->enabled : FALSE);
}

static void
update_all_pending (AbstainSync *self)
{
  GListModel *controls = abstain_account_get_controls (self->account);
  guint n = g_list_model_get_n_items (controls);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);
      update_pending (self, control);
    }
}

/* Saving */

static void
on_saved (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!abstain_store_save_finish (ABSTAIN_STORE (object), result, &error))
    {
      g_warning ("%s", error->message);
      abstain_account_set_last_error (self->account, error);
    }
}

static void
save (AbstainSync       *self,
      AbstainStoreFiles  files)
{
  abstain_store_save_async (self->store, files, NULL, on_saved, g_object_ref (self));
}

/* Drops @entry from the outbox: it was confirmed, withdrawn or refused. */
static void
remove_entry (AbstainSync        *self,
              AbstainOutboxEntry *entry)
{
  AbstainControl *control;
  g_autoptr(AbstainOutboxEntry) hold = abstain_outbox_entry_ref (entry);

  abstain_store_outbox_remove (self->store, entry);
  if ((control = abstain_account_lookup_control (self->account, hold->control_id)))
    update_pending (self, control);

  /* Nothing left to retry: no timer stays behind. */
  if (!abstain_sync_has_queued (self))
    {
      g_clear_handle_id (&self->retry_source, g_source_remove);
      self->failures = 0;
    }

  g_signal_emit (self, signals[OUTBOX_CHANGED], 0);
}

/* Confirmed state: the store, the model and the local history */

static void
append_history (AbstainSync              *self,
                const AbstainControlData *data,
                gboolean                  from)
{
  g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (data->updated_at, NULL);
  g_autoptr(AbstainHistoryEvent) event = NULL;

  if (at == NULL)
    at = g_date_time_new_now_utc ();

  event = abstain_history_event_new (abstain_account_get_server (self->account),
                                     abstain_account_get_id (self->account),
                                     data->id, data->kind, from, data->enabled,
                                     at, "desktop", "local");
  abstain_store_history_append (self->store, event);
}

static AbstainStoreAccount *
store_account (AbstainSync *self)
{
  return abstain_store_lookup_account (self->store,
                                       abstain_account_get_server (self->account),
                                       abstain_account_get_id (self->account));
}

static void
apply_control (AbstainSync              *self,
               const AbstainControlData *data,
               gboolean                  by_us)
{
  AbstainControl *control = abstain_account_lookup_control (self->account, data->id);
  gboolean from = control ? abstain_control_get_enabled (control) : !data->enabled;
  AbstainStoreAccount *stored = store_account (self);

  if (stored != NULL)
    abstain_store_account_update_control (stored, data);

  if (control != NULL)
    abstain_control_update (control, data);

  if (by_us && from != data->enabled)
    append_history (self, data, from);
}

static void
apply_list (AbstainSync        *self,
            AbstainControlList *list,
            const char         *etag)
{
  AbstainStoreAccount *stored = store_account (self);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (stored != NULL)
    abstain_store_account_set_controls (stored, list->controls, etag);

  abstain_account_set_controls (self->account, list->controls);
  abstain_account_set_last_verified (self->account, now);
  update_all_pending (self);
}

/* Runs, waiters and back-off */

static gboolean
is_reachable (AbstainSync *self)
{
  return self->loopback || self->network_available;
}

static guint
backoff_delay_ms (AbstainSync *self)
{
  guint shift = MIN (self->failures > 0 ? self->failures - 1 : 0, 16);
  guint64 base = MIN ((guint64)BACKOFF_FIRST_MS << shift, BACKOFF_MAX_MS);
  guint64 delay = base * g_random_double_range (0.8, 1.2);

  return MAX (delay, (guint64)self->retry_after * 1000);
}

static gboolean
on_retry_timeout (gpointer user_data)
{
  AbstainSync *self = user_data;

  self->retry_source = 0;
  g_debug ("Retrying the queued changes of %s", abstain_account_get_id (self->account));
  run (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_retry (AbstainSync *self)
{
  guint delay = backoff_delay_ms (self);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_debug ("Next attempt in %u ms", delay);
  self->retry_source = g_timeout_add (delay, on_retry_timeout, self);
}

static void
complete_waiter (AbstainSync  *self,
                 GTask        *task,
                 const GError *run_error,
                 const GError *refresh_error)
{
  WaitKind kind = GPOINTER_TO_INT (g_task_get_task_data (task));

  if (kind == WAIT_REFRESH && refresh_error != NULL)
    g_task_return_error (task, g_error_copy (refresh_error));
  else if (kind == WAIT_FLUSH && run_error != NULL)
    g_task_return_error (task, g_error_copy (run_error));
  else if (kind == WAIT_FLUSH && abstain_sync_has_queued (self))
    g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE, "%s",
                             _("The change is queued and will be sent later"));
  else
    g_task_return_boolean (task, TRUE);
}

static void
finish_run (AbstainSync *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);
  g_autoptr(GError) run_error = g_steal_pointer (&self->run_error);
  g_autoptr(GError) refresh_error = g_steal_pointer (&self->refresh_error);

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->running = FALSE;
  self->stopping = FALSE;
  self->refresh_wanted = FALSE;
  self->waiting_for_save = FALSE;
  g_clear_pointer (&self->secret, abstain_secret_free);
  g_hash_table_remove_all (self->tried);
  g_hash_table_remove_all (self->resent);
  abstain_account_set_busy (self->account, FALSE);

  if (self->backoff_wanted && abstain_sync_has_queued (self))
    schedule_retry (self);
  self->backoff_wanted = FALSE;

  /* Last: a callback may start the next run. */
  for (guint i = 0; i < waiters->len; i++)
    complete_waiter (self, g_ptr_array_index (waiters, i), run_error, refresh_error);
}

static void
set_run_error (AbstainSync  *self,
               const GError *error)
{
  if (self->run_error == NULL)
    self->run_error = g_error_copy (error);
}

/* Ends the run after the current step. */
static void
stop_run (AbstainSync  *self,
          const GError *error)
{
  set_run_error (self, error);
  self->stopping = TRUE;
}

static void
fail_unreachable (AbstainSync *self)
{
  g_autoptr(GError) error =
    g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE,
                         _("No network connection; showing the last confirmed state"));

  abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_OFFLINE);
  if (self->refresh_wanted)
    self->refresh_error = g_error_copy (error);
  set_run_error (self, error);
  finish_run (self);
}

/* After abstain_sync_stop (), late answers are ignored. */
static gboolean
run_is_gone (AbstainSync  *self,
             const GError *error)
{
  return !self->running || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
on_secret_found (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;
  AbstainSecret *secret = abstain_keyring_lookup_finish (result, &error);

  if (run_is_gone (self, error))
    return;

  if (secret == NULL)
    {
      AbstainAccountState state = ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR;

      if (error == NULL)
        {
          state = ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN;
          error = g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH,
                                       _("No sign-in found for this account; sign in again"));
        }
      abstain_account_set_state (self->account, state);
      abstain_account_set_last_error (self->account, error);
      if (self->refresh_wanted)
        self->refresh_error = g_error_copy (error);
      set_run_error (self, error);
      finish_run (self);
      return;
    }

  self->secret = secret;
  step (self);
}

static void
run (AbstainSync *self)
{
  if (self->running)
    return;

  g_clear_handle_id (&self->retry_source, g_source_remove);

  if (!is_reachable (self))
    {
      fail_unreachable (self);
      return;
    }

  self->running = TRUE;
  self->token_refreshed = FALSE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  abstain_account_set_busy (self->account, TRUE);

  if (self->secret != NULL)
    step (self);
  else
    abstain_keyring_lookup_async (abstain_account_get_server (self->account),
                                  abstain_account_get_id (self->account),
                                  self->cancellable, on_secret_found, g_object_ref (self));
}

static void
add_waiter (AbstainSync         *self,
            WaitKind             kind,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, GINT_TO_POINTER (kind), NULL);
  g_ptr_array_add (self->waiters, task);

  if (kind == WAIT_REFRESH)
    self->refresh_wanted = TRUE;

  run (self);
}

/* Errors that end a request */

static void
set_state_for_error (AbstainSync  *self,
                     const GError *error)
{
  if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE) ||
      g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_TIMEOUT))
    abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_OFFLINE);
  else
    abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_ONLINE);
}

static void
fail_transient (AbstainSync  *self,
                const GError *error)
{
  self->failures++;
  self->retry_after = abstain_error_get_retry_after (error);
  self->backoff_wanted = TRUE;
  set_state_for_error (self, error);
  stop_run (self, error);
}

static void
needs_sign_in (AbstainSync    *self,
               AbstainControl *control,
               const GError   *error)
{
  abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN);
  abstain_account_set_last_error (self->account, error);
  if (control != NULL)
    {
      abstain_control_set_last_error (control, error);
      g_signal_emit (self, signals[CHANGE_FAILED], 0, control, error);
    }
  stop_run (self, error);
  step (self);
}

static void
on_secret_stored (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;

  gboolean stored = abstain_keyring_store_finish (result, &error);

  if (run_is_gone (self, error))
    return;

  /* The new pair works for this run even when the keyring refused it. */
  if (!stored)
    {
      g_warning ("Could not store the renewed token: %s", error->message);
      abstain_account_set_last_error (self->account, error);
    }

  step (self);
}

static AbstainSecret *
secret_from_token (const AbstainTokenData *token,
                   const char             *old_refresh_token)
{
  AbstainSecret *secret = g_new0 (AbstainSecret, 1);

  secret->access_token = g_strdup (token->access_token);
  secret->refresh_token = g_strdup (token->refresh_token ? token->refresh_token : old_refresh_token);
  if (token->expires_in > 0)
    secret->expires_at = g_get_real_time () / G_USEC_PER_SEC + token->expires_in;

  return secret;
}

static void
on_token_refreshed (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainTokenData) token = abstain_client_refresh_finish (self->client, result, &error);
  AbstainSecret *secret;

  if (run_is_gone (self, error))
    return;

  if (token == NULL)
    {
      if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH) ||
          !abstain_error_is_transient (error))
        needs_sign_in (self, NULL, error);
      else
        {
          fail_transient (self, error);
          step (self);
        }
      return;
    }

  g_debug ("Renewed the access token of %s", abstain_account_get_id (self->account));
  secret = secret_from_token (token, self->secret ? self->secret->refresh_token : NULL);
  g_clear_pointer (&self->secret, abstain_secret_free);
  self->secret = secret;
  abstain_keyring_store_async (abstain_account_get_server (self->account),
                               abstain_account_get_id (self->account),
                               secret, self->cancellable, on_secret_stored, g_object_ref (self));
}

/* 401: renew the token once per run when a refresh token exists. */
static void
handle_auth (AbstainSync    *self,
             AbstainControl *control,
             const GError   *error)
{
  if (self->token_refreshed || self->secret == NULL || self->secret->refresh_token == NULL)
    {
      needs_sign_in (self, control, error);
      return;
    }

  self->token_refreshed = TRUE;
  abstain_client_refresh_async (self->client, self->secret->refresh_token,
                                self->cancellable, on_token_refreshed, g_object_ref (self));
}

/* Step 1 of a run: GET /v1/controls */

static void
on_controls (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  gboolean not_modified = FALSE;
  g_autoptr(AbstainControlList) list =
    abstain_client_get_controls_finish (self->client, result, &not_modified, &etag, &error);

  if (run_is_gone (self, error))
    return;

  if (error != NULL)
    {
      if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH))
        {
          self->refresh_wanted = TRUE;
          handle_auth (self, NULL, error);
          return;
        }
      g_clear_error (&self->refresh_error);
      self->refresh_error = g_error_copy (error);
      abstain_account_set_last_error (self->account, error);
      if (abstain_error_is_transient (error))
        fail_transient (self, error);
      else
        stop_run (self, error);
      step (self);
      return;
    }

  if (list != NULL)
    {
      apply_list (self, list, etag);
      save (self, ABSTAIN_STORE_STATE);
    }
  else
    {
      /* Not modified: the time is kept in memory; it reaches the disk with
       * the next real change. */
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      AbstainStoreAccount *stored = store_account (self);

      if (stored != NULL)
        stored->last_verified = g_date_time_to_unix (now);
      abstain_account_set_last_verified (self->account, now);
    }

  abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_ONLINE);
  abstain_account_set_last_error (self->account, NULL);
  step (self);
}

static void
start_refresh (AbstainSync *self,
               gboolean     conditional)
{
  AbstainStoreAccount *stored = store_account (self);
  const char *etag = NULL;

  if (conditional && stored != NULL && stored->controls != NULL)
    etag = stored->list_etag;

  abstain_client_get_controls_async (self->client, self->secret->access_token, etag,
                                     self->cancellable, on_controls, g_object_ref (self));
}

/* Step 2 of a run: PATCH each queued change */

static void send_entry (AbstainSync *self, AbstainOutboxEntry *entry);

static void
drop_entry (AbstainSync        *self,
            AbstainOutboxEntry *entry,
            AbstainControl     *control,
            const GError       *error)
{
  remove_entry (self, entry);
  save (self, ABSTAIN_STORE_OUTBOX);
  set_run_error (self, error);
  if (control != NULL)
    {
      abstain_control_set_last_error (control, error);
      g_signal_emit (self, signals[CHANGE_FAILED], 0, control, error);
    }
}

static void
on_resend_saved (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!abstain_store_save_finish (ABSTAIN_STORE (object), result, &error))
    stop_run (self, error);

  if (self->running)
    step (self);
}

/* 412: the refetched list is applied; the change is done, or sent once more
 * against the new ETag (a new request, so a new Idempotency-Key). */
static void
on_conflict_refetched (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  gboolean not_modified = FALSE;
  g_autoptr(AbstainControlList) list =
    abstain_client_get_controls_finish (self->client, result, &not_modified, &etag, &error);
  g_autoptr(AbstainOutboxEntry) entry = g_steal_pointer (&self->inflight);
  AbstainControl *control;

  if (run_is_gone (self, error))
    return;

  if (list == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_CONFLICT,
                                     _("The setting was changed elsewhere meanwhile"));
      fail_transient (self, error);
      step (self);
      return;
    }

  apply_list (self, list, etag);
  save (self, ABSTAIN_STORE_STATE);
  control = abstain_account_lookup_control (self->account, entry->control_id);

  if (self->inflight_withdrawn || control == NULL ||
      abstain_control_get_enabled (control) == entry->enabled)
    {
      if (!self->inflight_withdrawn)
        remove_entry (self, entry);
      save (self, ABSTAIN_STORE_OUTBOX);
      step (self);
      return;
    }

  if (g_hash_table_contains (self->resent, entry))
    {
      g_autoptr(GError) conflict =
        g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_CONFLICT,
                             _("The setting keeps changing elsewhere; will try again"));
      abstain_control_set_last_error (control, conflict);
      fail_transient (self, conflict);
      step (self);
      return;
    }

  g_hash_table_add (self->resent, abstain_outbox_entry_ref (entry));
  g_hash_table_remove (self->tried, entry);
  abstain_store_outbox_rekey (self->store, entry);
  abstain_store_save_async (self->store, ABSTAIN_STORE_OUTBOX, NULL,
                            on_resend_saved, g_object_ref (self));
}

static void
handle_patch_error (AbstainSync        *self,
                    AbstainOutboxEntry *entry,
                    AbstainControl     *control,
                    AbstainControlData *current,
                    const GError       *error)
{
  if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH))
    {
      g_hash_table_remove (self->tried, entry);
      handle_auth (self, control, error);
      return;
    }

  if (current != NULL)
    apply_control (self, current, FALSE);

  if (self->inflight_withdrawn)
    {
      save (self, ABSTAIN_STORE_STATE);
      step (self);
      return;
    }

  if (abstain_error_is_transient (error))
    {
      if (control != NULL)
        abstain_control_set_last_error (control, error);
      fail_transient (self, error);
    }
  else
    {
      /* Locked, not found or an answer we cannot trust: the change is
       * dropped and the switch shows the server's state. */
      drop_entry (self, entry, control, error);
      if (current != NULL)
        save (self, ABSTAIN_STORE_STATE);
      if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_NOT_FOUND))
        self->refresh_wanted = TRUE;
    }

  step (self);
}

static void
on_patched (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainControlData) current = NULL;
  g_autoptr(AbstainControlData) data =
    abstain_client_patch_control_finish (self->client, result, &current, &error);
  AbstainOutboxEntry *entry = self->inflight;
  AbstainControl *control;

  if (run_is_gone (self, error))
    return;

  control = abstain_account_lookup_control (self->account, entry->control_id);

  if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_CONFLICT))
    {
      abstain_client_get_controls_async (self->client, self->secret->access_token, NULL,
                                         self->cancellable, on_conflict_refetched,
                                         g_object_ref (self));
      return;
    }

  self->inflight = NULL;

  if (data == NULL)
    handle_patch_error (self, entry, control, current, error);
  else
    {
      /* Confirmed: recorded even when the change was withdrawn in flight. */
      apply_control (self, data, TRUE);
      if (!self->inflight_withdrawn)
        remove_entry (self, entry);
      if (control != NULL)
        abstain_control_set_last_error (control, NULL);
      self->failures = 0;
      abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_ONLINE);
      save (self, ABSTAIN_STORE_STATE | ABSTAIN_STORE_OUTBOX | ABSTAIN_STORE_HISTORY);
      step (self);
    }

  abstain_outbox_entry_unref (entry);
}

static void
send_entry (AbstainSync        *self,
            AbstainOutboxEntry *entry)
{
  AbstainControl *control = abstain_account_lookup_control (self->account, entry->control_id);
  AbstainStoreAccount *stored = store_account (self);

  if (control == NULL && stored != NULL && stored->controls == NULL)
    {
      /* Nothing confirmed yet: fetch the list first. */
      start_refresh (self, FALSE);
      return;
    }

  g_hash_table_add (self->tried, abstain_outbox_entry_ref (entry));

  if (control == NULL)
    {
      g_autoptr(GError) error =
        g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_NOT_FOUND,
                             _("This setting no longer exists on the server"));
      drop_entry (self, entry, NULL, error);
      step (self);
      return;
    }

  if (abstain_control_get_enabled (control) == entry->enabled)
    {
      remove_entry (self, entry);
      save (self, ABSTAIN_STORE_OUTBOX);
      step (self);
      return;
    }

  entry->attempts++;
  self->inflight = abstain_outbox_entry_ref (entry);
  self->inflight_withdrawn = FALSE;
  g_debug ("Sending %s = %s (attempt %u)", entry->control_id,
           entry->enabled ? "true" : "false", entry->attempts);
  abstain_client_patch_control_async (self->client, self->secret->access_token,
                                      entry->control_id, abstain_control_get_etag (control),
                                      entry->idempotency_key, entry->enabled,
                                      self->cancellable, on_patched, g_object_ref (self));
}

static void
step (AbstainSync *self)
{
  AbstainOutboxEntry *entry;

  g_assert (self->running);

  if (self->stopping || !is_reachable (self))
    {
      if (!is_reachable (self))
        abstain_account_set_state (self->account, ABSTAIN_ACCOUNT_STATE_OFFLINE);
      finish_run (self);
      return;
    }

  if (self->refresh_wanted)
    {
      self->refresh_wanted = FALSE;
      start_refresh (self, TRUE);
      return;
    }

  if ((entry = next_entry (self)))
    {
      send_entry (self, entry);
      return;
    }

  /* A change still being written: it is sent as soon as it is on disk. */
  if (has_unpersisted (self))
    {
      self->waiting_for_save = TRUE;
      return;
    }

  finish_run (self);
}

/* Public API */

void
abstain_sync_set_network_available (AbstainSync *self,
                                    gboolean     available)
{
  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  if (self->network_available == !!available)
    return;

  self->network_available = !!available;
  /* Back online: one conditional GET tells whether anything changed
   * meanwhile, and the same run sends what was queued. */
  if (available && !self->loopback)
    {
      self->failures = 0;
      self->refresh_wanted = TRUE;
      run (self);
    }
}

void
abstain_sync_set_secret (AbstainSync         *self,
                         const AbstainSecret *secret)
{
  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  g_clear_pointer (&self->secret, abstain_secret_free);
  if (secret != NULL)
    self->secret = abstain_secret_copy (secret);
}

void
abstain_sync_stop (AbstainSync *self)
{
  g_autoptr(GPtrArray) waiters = NULL;

  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->inflight, abstain_outbox_entry_unref);
  g_clear_pointer (&self->secret, abstain_secret_free);

  if (self->running)
    {
      self->running = FALSE;
      self->stopping = FALSE;
      abstain_account_set_busy (self->account, FALSE);
    }

  waiters = g_steal_pointer (&self->waiters);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_new_error (g_ptr_array_index (waiters, i), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "%s", _("The account was signed out"));
}

static void
on_request_saved (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AbstainSync) self = user_data;
  g_autoptr(GError) error = NULL;

  gboolean waiting = self->running && self->waiting_for_save;

  self->waiting_for_save = FALSE;

  if (!abstain_store_save_finish (ABSTAIN_STORE (object), result, &error))
    {
      /* Not on disk, so never sent. */
      g_warning ("%s", error->message);
      abstain_account_set_last_error (self->account, error);
      if (waiting)
        {
          stop_run (self, error);
          step (self);
        }
      return;
    }

  if (waiting)
    step (self);
  else if (abstain_sync_has_queued (self))
    {
      self->failures = 0;
      run (self);
    }
}

static gboolean
check_editable (AbstainSync     *self,
                AbstainControl  *control,
                GError         **error)
{
  g_autofree char *lock = NULL;

  if (abstain_account_get_state (self->account) == ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR)
    {
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_UNAVAILABLE,
                           _("The keyring could not be opened, so this account is read-only"));
      return FALSE;
    }

  if (abstain_control_get_editable (control))
    return TRUE;

  lock = abstain_control_describe_lock (control);
  g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_LOCKED, lock);
  return FALSE;
}

gboolean
abstain_sync_request (AbstainSync     *self,
                      AbstainControl  *control,
                      gboolean         enabled,
                      GError         **error)
{
  const char *id;
  AbstainOutboxEntry *entry;

  g_return_val_if_fail (ABSTAIN_IS_SYNC (self), FALSE);
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (control), FALSE);

  if (!check_editable (self, control, error))
    return FALSE;

  id = abstain_control_get_id (control);
  entry = lookup_entry (self, id);

  if (entry != NULL && !entry->enabled == !enabled)
    return TRUE;
  if (entry == NULL && abstain_control_get_enabled (control) == !!enabled)
    return TRUE;

  if (entry != NULL)
    {
      /* The reverse of a queued change: both cancel out, unless the first
       * one is already on the wire; then the reverse is queued after it. */
      gboolean on_wire = entry == self->inflight;

      if (on_wire)
        self->inflight_withdrawn = TRUE;
      remove_entry (self, entry);
      if (on_wire)
        abstain_store_outbox_add (self->store, abstain_account_get_server (self->account),
                                  abstain_account_get_id (self->account), id, enabled);
    }
  else
    abstain_store_outbox_add (self->store, abstain_account_get_server (self->account),
                              abstain_account_get_id (self->account), id, enabled);

  update_pending (self, control);
  abstain_control_set_last_error (control, NULL);
  g_signal_emit (self, signals[OUTBOX_CHANGED], 0);
  abstain_store_save_async (self->store, ABSTAIN_STORE_OUTBOX, NULL,
                            on_request_saved, g_object_ref (self));

  return TRUE;
}

void
abstain_sync_withdraw (AbstainSync    *self,
                       AbstainControl *control)
{
  AbstainOutboxEntry *entry;

  g_return_if_fail (ABSTAIN_IS_SYNC (self));
  g_return_if_fail (ABSTAIN_IS_CONTROL (control));

  if (!(entry = lookup_entry (self, abstain_control_get_id (control))))
    return;

  if (entry == self->inflight)
    self->inflight_withdrawn = TRUE;
  remove_entry (self, entry);
  abstain_control_set_last_error (control, NULL);
  save (self, ABSTAIN_STORE_OUTBOX);
}

void
abstain_sync_refresh_async (AbstainSync         *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  self->failures = 0;
  add_waiter (self, WAIT_REFRESH, abstain_sync_refresh_async, cancellable, callback, user_data);
}

gboolean
abstain_sync_refresh_finish (AbstainSync   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
abstain_sync_flush_async (AbstainSync         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  self->failures = 0;
  add_waiter (self, WAIT_FLUSH, abstain_sync_flush_async, cancellable, callback, user_data);
}

gboolean
abstain_sync_flush_finish (AbstainSync   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Operations outside runs: they read the token themselves. */

static void
lookup_secret (AbstainSync         *self,
               GTask               *task,
               GAsyncReadyCallback  callback)
{
  abstain_keyring_lookup_async (abstain_account_get_server (self->account),
                                abstain_account_get_id (self->account),
                                g_task_get_cancellable (task), callback, task);
}

static AbstainSecret *
lookup_secret_finish (GAsyncResult  *result,
                      GError       **error)
{
  AbstainSecret *secret = abstain_keyring_lookup_finish (result, error);

  if (secret == NULL && error != NULL && *error == NULL)
    g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH,
                         _("No sign-in found for this account; sign in again"));

  return secret;
}

static void
on_history_fetched (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *events = abstain_client_get_history_finish (ABSTAIN_CLIENT (object), result, &error);

  if (events == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, events, (GDestroyNotify)g_ptr_array_unref);
}

static void
on_history_secret (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  AbstainSync *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(AbstainSecret) secret = lookup_secret_finish (result, &error);

  if (secret == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  abstain_client_get_history_async (self->client, secret->access_token, 100,
                                    g_task_get_cancellable (task), on_history_fetched, task);
}

void
abstain_sync_fetch_history_async (AbstainSync         *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_sync_fetch_history_async);

  if (!is_reachable (self))
    {
      g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE, "%s",
                               _("No network connection"));
      g_object_unref (task);
      return;
    }

  lookup_secret (self, task, on_history_secret);
}

GPtrArray *
abstain_sync_fetch_history_finish (AbstainSync   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_keyring_cleared (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!abstain_keyring_clear_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
clear_keyring (GTask *task)
{
  AbstainSync *self = g_task_get_source_object (task);

  abstain_keyring_clear_async (abstain_account_get_server (self->account),
                               abstain_account_get_id (self->account),
                               g_task_get_cancellable (task), on_keyring_cleared, task);
}

static void
on_revoked (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  /* Best effort: the item goes from the keyring either way. */
  if (!abstain_client_revoke_finish (ABSTAIN_CLIENT (object), result, &error))
    g_debug ("Could not revoke the token: %s", error->message);

  clear_keyring (task);
}

static void
on_sign_out_secret (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  AbstainSync *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainSecret) secret = lookup_secret_finish (result, &error);

  if (secret == NULL || !is_reachable (self))
    {
      if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_UNAVAILABLE) ||
          g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_LOCKED) ||
          g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_DISMISSED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      clear_keyring (task);
      return;
    }

  abstain_client_revoke_async (self->client, secret->access_token,
                               g_task_get_cancellable (task), on_revoked, task);
}

void
abstain_sync_sign_out_async (AbstainSync         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_SYNC (self));

  abstain_sync_stop (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_sync_sign_out_async);
  lookup_secret (self, task, on_sign_out_secret);
}

gboolean
abstain_sync_sign_out_finish (AbstainSync   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
