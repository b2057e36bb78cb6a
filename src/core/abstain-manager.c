/* abstain-manager.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-manager"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-account-private.h"
#include "abstain-client.h"
#include "abstain-control-private.h"
#include "abstain-error.h"
#include "abstain-history-private.h"
#include "abstain-keyring.h"
#include "abstain-manager.h"
#include "abstain-store.h"
#include "abstain-sync.h"

/* AbstainDeviceFlow */

struct _AbstainDeviceFlow
{
  GObject    parent_instance;

  char      *server;
  char      *device_code;
  char      *user_code;
  char      *verification_uri;
  char      *verification_uri_complete;
  GDateTime *expires_at;
  guint      interval;
};

G_DEFINE_FINAL_TYPE (AbstainDeviceFlow, abstain_device_flow, G_TYPE_OBJECT)

enum {
  FLOW_PROP_0,
  FLOW_PROP_EXPIRES_AT,
  FLOW_PROP_INTERVAL,
  FLOW_PROP_SERVER,
  FLOW_PROP_USER_CODE,
  FLOW_PROP_VERIFICATION_URI,
  FLOW_PROP_VERIFICATION_URI_COMPLETE,
  FLOW_N_PROPS
};

static GParamSpec *flow_properties[FLOW_N_PROPS];

static void
abstain_device_flow_finalize (GObject *object)
{
  AbstainDeviceFlow *self = (AbstainDeviceFlow *)object;

  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->device_code, g_free);
  g_clear_pointer (&self->user_code, g_free);
  g_clear_pointer (&self->verification_uri, g_free);
  g_clear_pointer (&self->verification_uri_complete, g_free);
  g_clear_pointer (&self->expires_at, g_date_time_unref);

  G_OBJECT_CLASS (abstain_device_flow_parent_class)->finalize (object);
}

static void
abstain_device_flow_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  AbstainDeviceFlow *self = ABSTAIN_DEVICE_FLOW (object);

  switch (prop_id)
    {
    case FLOW_PROP_EXPIRES_AT:
      g_value_set_boxed (value, self->expires_at);
      break;
    case FLOW_PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case FLOW_PROP_SERVER:
      g_value_set_string (value, self->server);
      break;
    case FLOW_PROP_USER_CODE:
      g_value_set_string (value, self->user_code);
      break;
    case FLOW_PROP_VERIFICATION_URI:
      g_value_set_string (value, self->verification_uri);
      break;
    case FLOW_PROP_VERIFICATION_URI_COMPLETE:
      g_value_set_string (value, self->verification_uri_complete);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define FLOW_READ_ONLY (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
abstain_device_flow_class_init (AbstainDeviceFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = abstain_device_flow_finalize;
  object_class->get_property = abstain_device_flow_get_property;

  flow_properties[FLOW_PROP_EXPIRES_AT] =
    g_param_spec_boxed ("expires-at", NULL, NULL, G_TYPE_DATE_TIME, FLOW_READ_ONLY);
  flow_properties[FLOW_PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 0, G_MAXUINT, 5, FLOW_READ_ONLY);
  flow_properties[FLOW_PROP_SERVER] =
    g_param_spec_string ("server", NULL, NULL, NULL, FLOW_READ_ONLY);
  flow_properties[FLOW_PROP_USER_CODE] =
    g_param_spec_string ("user-code", NULL, NULL, NULL, FLOW_READ_ONLY);
  flow_properties[FLOW_PROP_VERIFICATION_URI] =
    g_param_spec_string ("verification-uri", NULL, NULL, NULL, FLOW_READ_ONLY);
  flow_properties[FLOW_PROP_VERIFICATION_URI_COMPLETE] =
    g_param_spec_string ("verification-uri-complete", NULL, NULL, NULL, FLOW_READ_ONLY);

  g_object_class_install_properties (object_class, FLOW_N_PROPS, flow_properties);
}

static void
abstain_device_flow_init (AbstainDeviceFlow *self)
{
}

static AbstainDeviceFlow *
abstain_device_flow_new (const char                       *server,
                         const AbstainDeviceAuthorization *auth)
{
  AbstainDeviceFlow *self = g_object_new (ABSTAIN_TYPE_DEVICE_FLOW, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  self->server = g_strdup (server);
  self->device_code = g_strdup (auth->device_code);
  self->user_code = g_strdup (auth->user_code);
  self->verification_uri = g_strdup (auth->verification_uri);
  self->verification_uri_complete = g_strdup (auth->verification_uri_complete);
  self->expires_at = g_date_time_add_seconds (now, MAX (auth->expires_in, 1));
  self->interval = CLAMP (auth->interval, 1, 60);

  return self;
}

const char *
abstain_device_flow_get_server (AbstainDeviceFlow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_DEVICE_FLOW (self), NULL);
  return self->server;
}

const char *
abstain_device_flow_get_user_code (AbstainDeviceFlow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_DEVICE_FLOW (self), NULL);
  return self->user_code;
}

const char *
abstain_device_flow_get_verification_uri (AbstainDeviceFlow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_DEVICE_FLOW (self), NULL);
  return self->verification_uri;
}

const char *
abstain_device_flow_get_verification_uri_complete (AbstainDeviceFlow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_DEVICE_FLOW (self), NULL);
  return self->verification_uri_complete;
}

GDateTime *
abstain_device_flow_get_expires_at (AbstainDeviceFlow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_DEVICE_FLOW (self), NULL);
  return self->expires_at;
}

/* AbstainManager */

struct _AbstainManager
{
  GObject          parent_instance;

  char            *state_dir;
  AbstainStore    *store;
  SoupSession     *session;
  GHashTable      *clients;  /* server -> AbstainClient */
  GListStore      *accounts;
  GPtrArray       *syncs;    /* of AbstainSync */
  GNetworkMonitor *monitor;
  gulong           network_changed_id;
  guint            online : 1;
  guint            pending : 1;
};

G_DEFINE_FINAL_TYPE (AbstainManager, abstain_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNTS,
  PROP_ONLINE,
  PROP_PENDING,
  PROP_STATE_DIR,
  N_PROPS
};

enum {
  CHANGE_FAILED,
  STORE_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
abstain_manager_dispose (GObject *object)
{
  AbstainManager *self = (AbstainManager *)object;

  g_clear_signal_handler (&self->network_changed_id, self->monitor);
  if (self->syncs != NULL)
    for (guint i = 0; i < self->syncs->len; i++)
      abstain_sync_stop (g_ptr_array_index (self->syncs, i));

  G_OBJECT_CLASS (abstain_manager_parent_class)->dispose (object);
}

static void
abstain_manager_finalize (GObject *object)
{
  AbstainManager *self = (AbstainManager *)object;

  g_clear_pointer (&self->syncs, g_ptr_array_unref);
  g_clear_object (&self->accounts);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->state_dir, g_free);

  G_OBJECT_CLASS (abstain_manager_parent_class)->finalize (object);
}

static void
abstain_manager_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  AbstainManager *self = ABSTAIN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS:
      g_value_set_object (value, self->accounts);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;
    case PROP_PENDING:
      g_value_set_boolean (value, self->pending);
      break;
    case PROP_STATE_DIR:
      g_value_set_string (value, self->state_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_manager_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  AbstainManager *self = ABSTAIN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_STATE_DIR:
      self->state_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         available,
                    AbstainManager  *self)
{
  if (self->online == !!available)
    return;

  g_debug ("Network %s", available ? "available" : "unavailable");
  self->online = !!available;
  for (guint i = 0; i < self->syncs->len; i++)
    abstain_sync_set_network_available (g_ptr_array_index (self->syncs, i), available);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
}

static void
abstain_manager_constructed (GObject *object)
{
  AbstainManager *self = (AbstainManager *)object;

  G_OBJECT_CLASS (abstain_manager_parent_class)->constructed (object);

  if (self->state_dir == NULL)
    self->state_dir = abstain_store_default_dir ();

  self->store = abstain_store_new (self->state_dir);
  self->session = abstain_client_create_session ();
  self->monitor = g_object_ref (g_network_monitor_get_default ());
  self->online = g_network_monitor_get_network_available (self->monitor);
  self->network_changed_id =
    g_signal_connect (self->monitor, "network-changed", G_CALLBACK (on_network_changed), self);
}

static void
abstain_manager_class_init (AbstainManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = abstain_manager_constructed;
  object_class->dispose = abstain_manager_dispose;
  object_class->finalize = abstain_manager_finalize;
  object_class->get_property = abstain_manager_get_property;
  object_class->set_property = abstain_manager_set_property;

  properties[PROP_ACCOUNTS] =
    g_param_spec_object ("accounts", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATE_DIR] =
    g_param_spec_string ("state-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGE_FAILED] =
    g_signal_new ("change-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  ABSTAIN_TYPE_CONTROL, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[STORE_ERROR] =
    g_signal_new ("store-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
abstain_manager_init (AbstainManager *self)
{
  self->accounts = g_list_store_new (ABSTAIN_TYPE_ACCOUNT);
  self->syncs = g_ptr_array_new_with_free_func (g_object_unref);
  self->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * abstain_manager_new:
 * @state_dir: (nullable): where the store lives; %NULL for the default
 */
AbstainManager *
abstain_manager_new (const char *state_dir)
{
  return g_object_new (ABSTAIN_TYPE_MANAGER, "state-dir", state_dir, NULL);
}

GListModel *
abstain_manager_get_accounts (AbstainManager *self)
{
  g_return_val_if_fail (ABSTAIN_IS_MANAGER (self), NULL);
  return G_LIST_MODEL (self->accounts);
}

gboolean
abstain_manager_get_online (AbstainManager *self)
{
  g_return_val_if_fail (ABSTAIN_IS_MANAGER (self), FALSE);
  return self->online;
}

gboolean
abstain_manager_get_pending (AbstainManager *self)
{
  g_return_val_if_fail (ABSTAIN_IS_MANAGER (self), FALSE);
  return self->pending;
}

/* Returns: (transfer none) (nullable): the first account with that id */
AbstainAccount *
abstain_manager_find_account (AbstainManager *self,
                              const char     *account_id)
{
  g_return_val_if_fail (ABSTAIN_IS_MANAGER (self), NULL);
  g_return_val_if_fail (account_id != NULL, NULL);

  for (guint i = 0; i < self->syncs->len; i++)
    {
      AbstainAccount *account = abstain_sync_get_account (g_ptr_array_index (self->syncs, i));

      if (g_strcmp0 (abstain_account_get_id (account), account_id) == 0)
        return account;
    }

  return NULL;
}

/* Accounts and their engines */

static AbstainSync *
find_sync (AbstainManager *self,
           AbstainAccount *account)
{
  for (guint i = 0; account != NULL && i < self->syncs->len; i++)
    {
      AbstainSync *sync = g_ptr_array_index (self->syncs, i);

      if (abstain_sync_get_account (sync) == account)
        return sync;
    }

  return NULL;
}

static AbstainSync *
find_sync_by_identity (AbstainManager *self,
                       const char     *server,
                       const char     *account_id)
{
  for (guint i = 0; i < self->syncs->len; i++)
    {
      AbstainSync *sync = g_ptr_array_index (self->syncs, i);

      if (abstain_account_matches (abstain_sync_get_account (sync), server, account_id))
        return sync;
    }

  return NULL;
}

static AbstainClient *
get_client (AbstainManager  *self,
            const char      *server,
            GError         **error)
{
  AbstainClient *client = g_hash_table_lookup (self->clients, server);

  if (client == NULL && (client = abstain_client_new (self->session, server, error)))
    g_hash_table_insert (self->clients, g_strdup (server), client);

  return client;
}

/* The client of @server, for a request made now: none while offline. */
static AbstainClient *
get_reachable_client (AbstainManager  *self,
                      const char      *server,
                      GError         **error)
{
  if (!self->online && !abstain_server_is_loopback (server))
    {
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE,
                           _("No network connection; try again when you are online"));
      return NULL;
    }

  return get_client (self, server, error);
}

static void
update_pending (AbstainManager *self)
{
  gboolean pending = abstain_store_get_outbox (self->store)->len > 0;

  if (self->pending == pending)
    return;

  self->pending = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
}

static void
on_outbox_changed (AbstainSync    *sync,
                   AbstainManager *self)
{
  update_pending (self);
}

static void
on_change_failed (AbstainSync    *sync,
                  AbstainControl *control,
                  const GError   *error,
                  AbstainManager *self)
{
  g_signal_emit (self, signals[CHANGE_FAILED], 0, control, error);
}

static void
show_cached_state (AbstainManager      *self,
                   AbstainAccount      *account,
                   AbstainStoreAccount *stored)
{
  if (stored->controls == NULL)
    return;

  abstain_account_set_controls (account, stored->controls);
  if (stored->last_verified > 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (stored->last_verified);
      abstain_account_set_last_verified (account, when);
    }
  /* The cached state is shown while the first request checks it; only a
   * failed request makes the account offline. */
  abstain_account_set_state (account, ABSTAIN_ACCOUNT_STATE_LOADING);
}

static AbstainSync *
add_account (AbstainManager      *self,
             AbstainStoreAccount *stored,
             GError             **error)
{
  AbstainClient *client = get_client (self, stored->server, error);
  g_autoptr(AbstainAccount) account = NULL;
  AbstainSync *sync;

  if (client == NULL)
    return NULL;

  account = abstain_account_new (stored->server, stored->account);
  show_cached_state (self, account, stored);

  sync = abstain_sync_new (account, self->store, client);
  abstain_sync_set_network_available (sync, self->online);
  g_signal_connect_object (sync, "outbox-changed", G_CALLBACK (on_outbox_changed), self, 0);
  g_signal_connect_object (sync, "change-failed", G_CALLBACK (on_change_failed), self, 0);
  g_ptr_array_add (self->syncs, sync);
  g_list_store_append (self->accounts, account);

  return sync;
}

static void
set_pending_from_outbox (AbstainManager *self)
{
  GPtrArray *outbox = abstain_store_get_outbox (self->store);

  for (guint i = 0; i < outbox->len; i++)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (outbox, i);
      AbstainSync *sync = find_sync_by_identity (self, entry->server, entry->account_id);
      AbstainControl *control = NULL;

      if (sync != NULL)
        control = abstain_account_lookup_control (abstain_sync_get_account (sync),
                                                  entry->control_id);
      if (control != NULL)
        abstain_control_set_request (control, TRUE, entry->enabled);
    }

  update_pending (self);
}

/* Loading */

static void
on_store_loaded (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AbstainManager *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) problems = NULL;
  GPtrArray *accounts;
  GError *error = NULL;

  if (!abstain_store_load_finish (self->store, result, &problems, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  accounts = abstain_store_get_accounts (self->store);
  for (guint i = 0; i < accounts->len; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!add_account (self, g_ptr_array_index (accounts, i), &local_error))
        g_warning ("Skipping a stored account: %s", local_error->message);
    }

  set_pending_from_outbox (self);

  for (guint i = 0; problems != NULL && i < problems->len; i++)
    g_signal_emit (self, signals[STORE_ERROR], 0, g_ptr_array_index (problems, i));

  g_task_return_boolean (task, TRUE);
}

void
abstain_manager_load_async (AbstainManager      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_manager_load_async);
  abstain_store_load_async (self->store, cancellable, on_store_loaded, task);
}

gboolean
abstain_manager_load_finish (AbstainManager  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Fan-out over the accounts: completes when each answered; fails only when
 * every one failed. */

typedef struct
{
  guint   outstanding;
  guint   succeeded;
  GError *first_error;
  gboolean all_must_succeed;
} FanOut;

static void
fan_out_free (FanOut *fan)
{
  g_clear_error (&fan->first_error);
  g_free (fan);
}

static GTask *
fan_out_new (AbstainManager      *self,
             gpointer             source_tag,
             gboolean             all_must_succeed,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  FanOut *fan = g_new0 (FanOut, 1);

  fan->outstanding = 1; /* released by fan_out_release () */
  fan->all_must_succeed = all_must_succeed;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, fan, (GDestroyNotify)fan_out_free);

  return task;
}

static void
fan_out_unhold (GTask *task)
{
  FanOut *fan = g_task_get_task_data (task);

  if (--fan->outstanding > 0)
    {
      g_object_unref (task);
      return;
    }

  if (fan->first_error != NULL && (fan->all_must_succeed || fan->succeeded == 0))
    g_task_return_error (task, g_steal_pointer (&fan->first_error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
fan_out_release (GTask  *task,
                 GError *error)
{
  FanOut *fan = g_task_get_task_data (task);

  if (error == NULL)
    fan->succeeded++;
  else if (fan->first_error == NULL)
    fan->first_error = g_error_copy (error);

  fan_out_unhold (task);
}

static void
on_account_refreshed (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  abstain_sync_refresh_finish (ABSTAIN_SYNC (object), result, &error);
  fan_out_release (user_data, error);
}

void
abstain_manager_refresh_async (AbstainManager      *self,
                               AbstainAccount      *account,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (account == NULL || ABSTAIN_IS_ACCOUNT (account));

  task = fan_out_new (self, abstain_manager_refresh_async, FALSE, cancellable, callback, user_data);
  for (guint i = 0; i < self->syncs->len; i++)
    {
      AbstainSync *sync = g_ptr_array_index (self->syncs, i);
      FanOut *fan = g_task_get_task_data (task);

      if (account != NULL && abstain_sync_get_account (sync) != account)
        continue;
      fan->outstanding++;
      abstain_sync_refresh_async (sync, cancellable, on_account_refreshed, g_object_ref (task));
    }
  fan_out_unhold (task);
}

gboolean
abstain_manager_refresh_finish (AbstainManager  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_account_flushed (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  abstain_sync_flush_finish (ABSTAIN_SYNC (object), result, &error);
  fan_out_release (user_data, error);
}

void
abstain_manager_sync_async (AbstainManager      *self,
                            AbstainAccount      *account,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (account == NULL || ABSTAIN_IS_ACCOUNT (account));

  task = fan_out_new (self, abstain_manager_sync_async, TRUE, cancellable, callback, user_data);
  for (guint i = 0; i < self->syncs->len; i++)
    {
      AbstainSync *sync = g_ptr_array_index (self->syncs, i);
      FanOut *fan = g_task_get_task_data (task);

      if ((account != NULL && abstain_sync_get_account (sync) != account) ||
          !abstain_sync_has_queued (sync))
        continue;
      fan->outstanding++;
      abstain_sync_flush_async (sync, cancellable, on_account_flushed, g_object_ref (task));
    }
  fan_out_unhold (task);
}

gboolean
abstain_manager_sync_finish (AbstainManager  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Changes */

gboolean
abstain_manager_request (AbstainManager  *self,
                         AbstainControl  *control,
                         gboolean         enabled,
                         GError         **error)
{
  AbstainSync *sync;

  g_return_val_if_fail (ABSTAIN_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (control), FALSE);

  if (!(sync = find_sync (self, abstain_control_get_account (control))))
    {
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_NOT_FOUND,
                           _("This setting belongs to an account that is no longer signed in"));
      return FALSE;
    }

  return abstain_sync_request (sync, control, enabled, error);
}

void
abstain_manager_withdraw (AbstainManager *self,
                          AbstainControl *control)
{
  AbstainSync *sync;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (ABSTAIN_IS_CONTROL (control));

  if ((sync = find_sync (self, abstain_control_get_account (control))))
    abstain_sync_withdraw (sync, control);
}

/* Signing in: validate, keep the token in the keyring, add the account. */

typedef struct
{
  char               *server;
  AbstainSecret      *secret;
  AbstainAccountData *data;
  AbstainDeviceFlow  *flow;
  AbstainAccount     *account;
  guint               poll_source;
  guint               interval;
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_clear_handle_id (&sign_in->poll_source, g_source_remove);
  g_free (sign_in->server);
  g_clear_pointer (&sign_in->secret, abstain_secret_free);
  g_clear_pointer (&sign_in->data, abstain_account_data_free);
  g_clear_object (&sign_in->flow);
  g_clear_object (&sign_in->account);
  g_free (sign_in);
}

static void
on_first_refresh (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A failed first fetch shows in the account's state, not as a failed sign-in. */
  if (!abstain_sync_refresh_finish (ABSTAIN_SYNC (object), result, &error))
    g_debug ("First refresh failed: %s", error->message);

  g_task_return_pointer (task, g_object_ref (sign_in->account), g_object_unref);
}

static AbstainSync *
install_account (AbstainManager  *self,
                 SignIn          *sign_in,
                 GError         **error)
{
  AbstainStoreAccount *stored = abstain_store_add_account (self->store, sign_in->server,
                                                           sign_in->data);
  AbstainSync *sync = find_sync_by_identity (self, sign_in->server, sign_in->data->id);

  if (sync != NULL)
    abstain_account_update (abstain_sync_get_account (sync), sign_in->data);
  else if (!(sync = add_account (self, stored, error)))
    return NULL;

  abstain_account_set_state (abstain_sync_get_account (sync),
                             stored->controls ? ABSTAIN_ACCOUNT_STATE_ONLINE
                                              : ABSTAIN_ACCOUNT_STATE_LOADING);
  abstain_account_set_last_error (abstain_sync_get_account (sync), NULL);
  abstain_store_save_async (self->store, ABSTAIN_STORE_ACCOUNTS, NULL, NULL, NULL);

  return sync;
}

static void
on_sign_in_stored (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  AbstainManager *self = g_task_get_source_object (task);
  SignIn *sign_in = g_task_get_task_data (task);
  GError *error = NULL;
  AbstainSync *sync;

  if (!abstain_keyring_store_finish (result, &error) ||
      !(sync = install_account (self, sign_in, &error)))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  sign_in->account = g_object_ref (abstain_sync_get_account (sync));
  abstain_sync_set_secret (sync, sign_in->secret);
  g_clear_pointer (&sign_in->secret, abstain_secret_free);
  abstain_sync_refresh_async (sync, g_task_get_cancellable (task), on_first_refresh, task);
}

static void
on_sign_in_account (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  GError *error = NULL;

  sign_in->data = abstain_client_get_account_finish (ABSTAIN_CLIENT (object), result, &error);
  if (sign_in->data == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  abstain_keyring_store_async (sign_in->server, sign_in->data->id, sign_in->secret,
                               g_task_get_cancellable (task), on_sign_in_stored, task);
}

/* Takes @task: validates the secret with GET /v1/account, then stores it. */
static void
sign_in_with_secret (AbstainManager *self,
                     GTask          *task)
{
  SignIn *sign_in = g_task_get_task_data (task);
  GError *error = NULL;
  AbstainClient *client = get_reachable_client (self, sign_in->server, &error);

  if (client == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  abstain_client_get_account_async (client, sign_in->secret->access_token,
                                    g_task_get_cancellable (task), on_sign_in_account, task);
}

static char *
normalize_server (const char  *server,
                  GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (server, G_URI_FLAGS_NONE, NULL);
  gsize len;

  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INVALID,
                   _("“%s” is not a server address; use one like https://example.org"), server);
      return NULL;
    }

  len = strlen (server);
  while (len > 0 && server[len - 1] == '/')
    len--;

  return g_strndup (server, len);
}

static GTask *
sign_in_task_new (AbstainManager      *self,
                  const char          *server,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  GError             **error)
{
  SignIn *sign_in;
  GTask *task;
  g_autofree char *normalized = normalize_server (server, error);

  if (normalized == NULL)
    return NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  sign_in = g_new0 (SignIn, 1);
  sign_in->server = g_steal_pointer (&normalized);
  g_task_set_task_data (task, sign_in, (GDestroyNotify)sign_in_free);

  return task;
}

void
abstain_manager_sign_in_token_async (AbstainManager      *self,
                                     const char          *server,
                                     const char          *token,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GError *error = NULL;
  GTask *task;
  SignIn *sign_in;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (server != NULL);
  g_return_if_fail (token != NULL);

  task = sign_in_task_new (self, server, abstain_manager_sign_in_token_async,
                           cancellable, callback, user_data, &error);
  if (task == NULL)
    {
      g_task_report_error (self, callback, user_data, abstain_manager_sign_in_token_async, error);
      return;
    }

  if (!abstain_protocol_token_is_valid (token))
    {
      g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_INVALID, "%s",
                               _("This is not a valid token: a token is 16 to 512 printable "
                                 "ASCII characters"));
      g_object_unref (task);
      return;
    }

  sign_in = g_task_get_task_data (task);
  sign_in->secret = g_new0 (AbstainSecret, 1);
  sign_in->secret->access_token = g_strdup (token);
  sign_in_with_secret (self, task);
}

AbstainAccount *
abstain_manager_sign_in_token_finish (AbstainManager  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Device flow */

static void
on_device_authorized (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(AbstainDeviceAuthorization) auth =
    abstain_client_device_authorize_finish (ABSTAIN_CLIENT (object), result, &error);

  if (auth == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, abstain_device_flow_new (sign_in->server, auth), g_object_unref);
}

void
abstain_manager_device_begin_async (AbstainManager      *self,
                                    const char          *server,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GError *error = NULL;
  AbstainClient *client;
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (server != NULL);

  task = sign_in_task_new (self, server, abstain_manager_device_begin_async,
                           cancellable, callback, user_data, &error);
  if (task == NULL)
    {
      g_task_report_error (self, callback, user_data, abstain_manager_device_begin_async, error);
      return;
    }

  if (!(client = get_reachable_client (self, ((SignIn *)g_task_get_task_data (task))->server,
                                       &error)))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  abstain_client_device_authorize_async (client, cancellable, on_device_authorized, task);
}

AbstainDeviceFlow *
abstain_manager_device_begin_finish (AbstainManager  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void poll_device (GTask *task);

static gboolean
on_poll_timeout (gpointer user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);

  sign_in->poll_source = 0;
  poll_device (task);

  return G_SOURCE_REMOVE;
}

static void
schedule_poll (GTask *task)
{
  SignIn *sign_in = g_task_get_task_data (task);

  sign_in->poll_source = g_timeout_add_seconds (sign_in->interval, on_poll_timeout, task);
}

static void
on_device_polled (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  AbstainManager *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(AbstainTokenData) token =
    abstain_client_device_poll_finish (ABSTAIN_CLIENT (object), result, &error);

  if (token != NULL)
    {
      sign_in->secret = g_new0 (AbstainSecret, 1);
      sign_in->secret->access_token = g_strdup (token->access_token);
      sign_in->secret->refresh_token = g_strdup (token->refresh_token);
      if (token->expires_in > 0)
        sign_in->secret->expires_at = g_get_real_time () / G_USEC_PER_SEC + token->expires_in;
      sign_in_with_secret (self, task);
      return;
    }

  if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_PENDING) ||
      g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED))
    {
      if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED))
        sign_in->interval = MIN (sign_in->interval + 5, 60);
      g_clear_error (&error);
      schedule_poll (task);
      return;
    }

  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
poll_device (GTask *task)
{
  SignIn *sign_in = g_task_get_task_data (task);
  AbstainManager *self = g_task_get_source_object (task);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GError *error = NULL;
  AbstainClient *client;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (g_date_time_compare (now, sign_in->flow->expires_at) > 0)
    {
      g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_EXPIRED, "%s",
                               _("The sign-in code expired; start again"));
      g_object_unref (task);
      return;
    }

  if (!(client = get_reachable_client (self, sign_in->server, &error)))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  abstain_client_device_poll_async (client, sign_in->flow->device_code,
                                    g_task_get_cancellable (task), on_device_polled, task);
}

void
abstain_manager_device_wait_async (AbstainManager      *self,
                                   AbstainDeviceFlow   *flow,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  SignIn *sign_in;
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (ABSTAIN_IS_DEVICE_FLOW (flow));

  task = sign_in_task_new (self, flow->server, abstain_manager_device_wait_async,
                           cancellable, callback, user_data, &error);
  if (task == NULL)
    {
      g_task_report_error (self, callback, user_data, abstain_manager_device_wait_async, error);
      return;
    }

  sign_in = g_task_get_task_data (task);
  sign_in->flow = g_object_ref (flow);
  sign_in->interval = flow->interval;
  schedule_poll (task);
}

AbstainAccount *
abstain_manager_device_wait_finish (AbstainManager  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Signing out */

static void
remove_account (AbstainManager *self,
                AbstainSync    *sync)
{
  AbstainAccount *account = abstain_sync_get_account (sync);
  guint position;

  abstain_store_remove_account (self->store, abstain_account_get_server (account),
                                abstain_account_get_id (account));
  abstain_store_save_async (self->store,
                            ABSTAIN_STORE_ACCOUNTS | ABSTAIN_STORE_STATE | ABSTAIN_STORE_OUTBOX,
                            NULL, NULL, NULL);

  if (g_list_store_find (self->accounts, account, &position))
    g_list_store_remove (self->accounts, position);
  g_ptr_array_remove (self->syncs, sync);
  update_pending (self);
}

static void
on_signed_out (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AbstainManager *self = g_task_get_source_object (task);
  AbstainSync *sync = ABSTAIN_SYNC (object);
  GError *error = NULL;

  if (!abstain_sync_sign_out_finish (sync, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  remove_account (self, sync);
  g_task_return_boolean (task, TRUE);
}

void
abstain_manager_sign_out_async (AbstainManager      *self,
                                AbstainAccount      *account,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AbstainSync *sync;
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_manager_sign_out_async);

  if (!(sync = find_sync (self, account)))
    {
      g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_NOT_FOUND, "%s",
                               _("This account is not signed in"));
      g_object_unref (task);
      return;
    }

  abstain_sync_sign_out_async (sync, cancellable, on_signed_out, task);
}

gboolean
abstain_manager_sign_out_finish (AbstainManager  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* History: the local log merged with each reachable server's */

typedef struct
{
  GPtrArray *events; /* of AbstainHistoryEvent */
  guint      outstanding;
} HistoryMerge;

static void
history_merge_free (HistoryMerge *merge)
{
  g_ptr_array_unref (merge->events);
  g_free (merge);
}

static gboolean
fold_duplicate (GPtrArray           *events,
                AbstainHistoryEvent *event)
{
  for (guint i = 0; i < events->len; i++)
    {
      AbstainHistoryEvent *known = g_ptr_array_index (events, i);

      if (abstain_history_event_same (known, event))
        {
          if (g_strcmp0 (abstain_history_event_get_origin (known), "local") == 0)
            events->pdata[i] = abstain_history_event_copy_with_origin (known, "both");
          else
            return TRUE;
          g_object_unref (known);
          return TRUE;
        }
    }

  return FALSE;
}

static void
merge_server_events (HistoryMerge   *merge,
                     AbstainAccount *account,
                     GPtrArray      *data)
{
  for (guint i = 0; i < data->len; i++)
    {
      AbstainHistoryData *item = g_ptr_array_index (data, i);
      g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (item->at, NULL);
      g_autoptr(AbstainHistoryEvent) event = NULL;

      if (at == NULL)
        continue;

      event = abstain_history_event_new (abstain_account_get_server (account),
                                         abstain_account_get_id (account),
                                         item->control_id, item->kind, item->from, item->to,
                                         at, item->source, "server");
      if (!fold_duplicate (merge->events, event))
        g_ptr_array_add (merge->events, g_steal_pointer (&event));
    }
}

static void
history_release (GTask *task)
{
  HistoryMerge *merge = g_task_get_task_data (task);
  GListStore *store;

  if (--merge->outstanding > 0)
    {
      g_object_unref (task);
      return;
    }

  store = g_list_store_new (ABSTAIN_TYPE_HISTORY_EVENT);
  g_list_store_splice (store, 0, 0, merge->events->pdata, merge->events->len);
  g_list_store_sort (store, abstain_history_event_compare, NULL);
  g_task_return_pointer (task, store, g_object_unref);
  g_object_unref (task);
}

static void
on_history_fetched (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  AbstainSync *sync = ABSTAIN_SYNC (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) data = abstain_sync_fetch_history_finish (sync, result, &error);

  /* The local history stands on its own when a server is out of reach. */
  if (data != NULL)
    merge_server_events (g_task_get_task_data (task), abstain_sync_get_account (sync), data);
  else
    g_debug ("No server history: %s", error->message);

  history_release (task);
}

static void
collect_local_history (AbstainManager *self,
                       AbstainAccount *account,
                       HistoryMerge   *merge)
{
  GPtrArray *history = abstain_store_get_history (self->store);

  for (guint i = 0; i < history->len; i++)
    {
      AbstainHistoryEvent *event = g_ptr_array_index (history, i);

      if (account == NULL ||
          abstain_account_matches (account, abstain_history_event_get_server (event),
                                   abstain_history_event_get_account_id (event)))
        g_ptr_array_add (merge->events, g_object_ref (event));
    }
}

void
abstain_manager_history_async (AbstainManager      *self,
                               AbstainAccount      *account,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  HistoryMerge *merge;
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));
  g_return_if_fail (account == NULL || ABSTAIN_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_manager_history_async);
  merge = g_new0 (HistoryMerge, 1);
  merge->events = g_ptr_array_new_with_free_func (g_object_unref);
  merge->outstanding = 1;
  g_task_set_task_data (task, merge, (GDestroyNotify)history_merge_free);

  collect_local_history (self, account, merge);

  for (guint i = 0; i < self->syncs->len; i++)
    {
      AbstainSync *sync = g_ptr_array_index (self->syncs, i);

      if (account != NULL && abstain_sync_get_account (sync) != account)
        continue;
      merge->outstanding++;
      abstain_sync_fetch_history_async (sync, cancellable, on_history_fetched, g_object_ref (task));
    }

  history_release (task);
}

GListModel *
abstain_manager_history_finish (AbstainManager  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Flushing the store */

static void
on_store_idle (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!abstain_store_wait_idle_finish (ABSTAIN_STORE (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
abstain_manager_wait_saved_async (AbstainManager      *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_manager_wait_saved_async);
  abstain_store_wait_idle_async (self->store, cancellable, on_store_idle, task);
}

gboolean
abstain_manager_wait_saved_finish (AbstainManager  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
