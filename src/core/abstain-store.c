/* abstain-store.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-store"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "abstain-error.h"
#include "abstain-history-private.h"
#include "abstain-json-scan.h"
#include "abstain-store.h"

#define STORE_VERSION      1
#define MAX_FILE_SIZE      (16 * 1024 * 1024)
#define MAX_DEPTH          64
#define MAX_HISTORY        10000
#define MAX_STRING         4096

typedef struct
{
  const char *name;
  GMutex      mutex;
  guint64     queued;  /* main thread: generation of the last snapshot */
  guint64     written; /* under mutex: generation on disk */
} StoreFile;

struct _AbstainStore
{
  GObject    parent_instance;

  char      *dir;
  GPtrArray *accounts; /* of AbstainStoreAccount */
  GPtrArray *outbox;   /* of AbstainOutboxEntry */
  GPtrArray *history;  /* of AbstainHistoryEvent, oldest first */
  GPtrArray *idle_waiters; /* of GTask */
  GHashTable *removed_keys; /* idempotency keys this process took out of the outbox */
  GHashTable *removed_accounts; /* "server\nid" of accounts this process signed out */
  guint      saving;
  StoreFile  files[4];
};

G_DEFINE_FINAL_TYPE (AbstainStore, abstain_store, G_TYPE_OBJECT)

static const char *file_names[4] = { "accounts.json", "state.json", "outbox.json", "history.json" };

static AbstainAccountData *account_data_copy (const AbstainAccountData *data);

/* Entries and accounts */

static void
outbox_entry_clear (gpointer data)
{
  AbstainOutboxEntry *entry = data;

  g_free (entry->server);
  g_free (entry->account_id);
  g_free (entry->control_id);
  g_free (entry->idempotency_key);
}

AbstainOutboxEntry *
abstain_outbox_entry_ref (AbstainOutboxEntry *entry)
{
  return g_rc_box_acquire (entry);
}

void
abstain_outbox_entry_unref (AbstainOutboxEntry *entry)
{
  g_rc_box_release_full (entry, outbox_entry_clear);
}

static void
store_account_free (AbstainStoreAccount *account)
{
  g_free (account->server);
  g_clear_pointer (&account->account, abstain_account_data_free);
  g_free (account->list_etag);
  g_clear_pointer (&account->controls, g_ptr_array_unref);
  g_free (account);
}

static GPtrArray *
control_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_control_data_free);
}

/* GObject */

static void
abstain_store_finalize (GObject *object)
{
  AbstainStore *self = (AbstainStore *)object;

  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->outbox, g_ptr_array_unref);
  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_clear_pointer (&self->idle_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->removed_keys, g_hash_table_unref);
  g_clear_pointer (&self->removed_accounts, g_hash_table_unref);
  for (guint i = 0; i < G_N_ELEMENTS (self->files); i++)
    g_mutex_clear (&self->files[i].mutex);

  G_OBJECT_CLASS (abstain_store_parent_class)->finalize (object);
}

static void
abstain_store_class_init (AbstainStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = abstain_store_finalize;
}

static void
abstain_store_init (AbstainStore *self)
{
  self->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify)store_account_free);
  self->outbox = g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_outbox_entry_unref);
  self->history = g_ptr_array_new_with_free_func (g_object_unref);
  self->idle_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->removed_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->removed_accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (self->files); i++)
    {
      self->files[i].name = file_names[i];
      g_mutex_init (&self->files[i].mutex);
    }
}

AbstainStore *
abstain_store_new (const char *dir)
{
  AbstainStore *self;

  g_return_val_if_fail (dir != NULL, NULL);

  self = g_object_new (ABSTAIN_TYPE_STORE, NULL);
  self->dir = g_strdup (dir);

  return self;
}

const char *
abstain_store_get_dir (AbstainStore *self)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);
  return self->dir;
}

char *
abstain_store_default_dir (void)
{
  const char *env = g_getenv ("ABSTAIN_STATE_DIR");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);

  return g_build_filename (g_get_user_state_dir (), "abstain", NULL);
}

/* Validation of what we read back: every field is checked. */

static gboolean
is_identifier (const char *s)
{
  gsize len;

  if (s == NULL || (len = strlen (s)) == 0 || len > 256)
    return FALSE;

  for (const char *p = s; *p; p++)
    if (*p <= ' ' || *p > '~')
      return FALSE;

  return TRUE;
}

static gboolean
is_text (const char *s)
{
  if (s == NULL || strlen (s) > MAX_STRING || !g_utf8_validate (s, -1, NULL))
    return FALSE;

  for (const char *p = s; *p; p++)
    if ((guchar)*p < ' ')
      return FALSE;

  return TRUE;
}

static gboolean
is_server (const char *s)
{
  g_autoptr(GUri) uri = NULL;

  if (!is_identifier (s))
    return FALSE;
  if (!(uri = g_uri_parse (s, G_URI_FLAGS_NONE, NULL)))
    return FALSE;

  return g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 ||
         g_strcmp0 (g_uri_get_scheme (uri), "https") == 0;
}

static GDateTime *
parse_timestamp (const char *s)
{
  return is_identifier (s) ? g_date_time_new_from_iso8601 (s, NULL) : NULL;
}

static gboolean
is_timestamp (const char *s)
{
  g_autoptr(GDateTime) dt = parse_timestamp (s);

  return dt != NULL;
}

/* The times the store keeps as seconds since 1970 (0 stands for "never"):
 * an earlier one could not be written back. */
static gboolean
is_unix_timestamp (const char *s)
{
  g_autoptr(GDateTime) dt = parse_timestamp (s);

  return dt != NULL && g_date_time_to_unix (dt) > 0;
}

/* Reader helpers: each sets *ok to FALSE on a bad member. */

typedef struct
{
  JsonObject *object;
  gboolean    ok;
} Reader;

static JsonNode *
reader_member (Reader     *r,
               const char *name,
               gboolean    nullable)
{
  JsonNode *node = json_object_get_member (r->object, name);

  if (node == NULL || (JSON_NODE_HOLDS_NULL (node) && !nullable))
    r->ok = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return node;
}

static const char *
reader_string (Reader     *r,
               const char *name,
               gboolean    nullable)
{
  JsonNode *node = reader_member (r, name, nullable);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      r->ok = FALSE;
      return NULL;
    }

  return json_node_get_string (node);
}

static char *
reader_dup_checked (Reader      *r,
                    const char  *name,
                    gboolean     nullable,
                    gboolean   (*check) (const char *))
{
  const char *value = reader_string (r, name, nullable);

  if (value != NULL && !check (value))
    r->ok = FALSE;

  return r->ok ? g_strdup (value) : NULL;
}

static gboolean
reader_boolean (Reader     *r,
                const char *name)
{
  JsonNode *node = reader_member (r, name, FALSE);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      r->ok = FALSE;
      return FALSE;
    }

  return json_node_get_boolean (node);
}

static gint64
reader_int (Reader     *r,
            const char *name,
            gint64      max)
{
  JsonNode *node = reader_member (r, name, FALSE);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    {
      r->ok = FALSE;
      return 0;
    }

  value = json_node_get_int (node);
  if (value < 0 || value > max)
    r->ok = FALSE;

  return value;
}

static JsonArray *
object_get_array (JsonObject *object,
                  const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  return json_node_get_array (node);
}

static JsonObject *
array_get_object (JsonArray *array,
                  guint      i)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

/* Parsing each file (in a worker thread) */

typedef struct
{
  GPtrArray *accounts;
  GPtrArray *outbox;
  GPtrArray *history;
  GPtrArray *problems;
} LoadResult;

static void
load_result_free (LoadResult *result)
{
  g_clear_pointer (&result->accounts, g_ptr_array_unref);
  g_clear_pointer (&result->outbox, g_ptr_array_unref);
  g_clear_pointer (&result->history, g_ptr_array_unref);
  g_clear_pointer (&result->problems, g_ptr_array_unref);
  g_free (result);
}

static AbstainOrganizationData *
parse_organization (JsonObject *object)
{
  Reader r = { object, object != NULL };
  g_autofree char *id = NULL, *name = NULL, *role = NULL;
  AbstainOrganizationData *org;

  if (!r.ok)
    return NULL;

  id = reader_dup_checked (&r, "id", FALSE, is_identifier);
  name = reader_dup_checked (&r, "name", FALSE, is_text);
  role = reader_dup_checked (&r, "role", FALSE, is_identifier);
  if (!r.ok)
    return NULL;

  org = g_new0 (AbstainOrganizationData, 1);
  org->id = g_steal_pointer (&id);
  org->name = g_steal_pointer (&name);
  org->role = g_steal_pointer (&role);
  return org;
}

static GPtrArray *
parse_organizations (JsonArray *array)
{
  g_autoptr(GPtrArray) orgs =
    g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_organization_data_free);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      AbstainOrganizationData *org = parse_organization (array_get_object (array, i));

      if (org == NULL)
        return NULL;
      g_ptr_array_add (orgs, org);
    }

  return array ? g_steal_pointer (&orgs) : NULL;
}

static AbstainStoreAccount *
parse_account (JsonObject *object)
{
  Reader r = { object, object != NULL };
  g_autoptr(AbstainAccountData) data = g_new0 (AbstainAccountData, 1);
  AbstainStoreAccount *account;
  g_autofree char *server = NULL;

  if (!r.ok)
    return NULL;

  server = reader_dup_checked (&r, "server", FALSE, is_server);
  data->id = reader_dup_checked (&r, "id", FALSE, is_identifier);
  data->email = reader_dup_checked (&r, "email", FALSE, is_text);
  data->display_name = reader_dup_checked (&r, "display_name", FALSE, is_text);
  data->plan = reader_dup_checked (&r, "plan", FALSE, is_identifier);
  data->organizations = parse_organizations (object_get_array (object, "organizations"));
  if (!r.ok || data->organizations == NULL)
    return NULL;

  account = g_new0 (AbstainStoreAccount, 1);
  account->server = g_steal_pointer (&server);
  account->account = g_steal_pointer (&data);
  return account;
}

static gboolean
find_duplicate_account (GPtrArray           *accounts,
                        AbstainStoreAccount *account)
{
  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainStoreAccount *other = g_ptr_array_index (accounts, i);

      if (g_str_equal (other->server, account->server) &&
          g_str_equal (other->account->id, account->account->id))
        return TRUE;
    }

  return FALSE;
}

static gboolean
parse_accounts_file (JsonObject *root,
                     LoadResult *result)
{
  JsonArray *array = object_get_array (root, "accounts");

  if (array == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      AbstainStoreAccount *account = parse_account (array_get_object (array, i));

      if (account == NULL || find_duplicate_account (result->accounts, account))
        {
          g_clear_pointer (&account, store_account_free);
          return FALSE;
        }
      g_ptr_array_add (result->accounts, account);
    }

  return TRUE;
}

static AbstainControlData *
parse_control (JsonObject *object)
{
  Reader r = { object, object != NULL };
  g_autoptr(AbstainControlData) data = g_new0 (AbstainControlData, 1);

  if (!r.ok)
    return NULL;

  data->id = reader_dup_checked (&r, "id", FALSE, is_identifier);
  data->kind = reader_dup_checked (&r, "kind", FALSE, is_identifier);
  data->product = reader_dup_checked (&r, "product", FALSE, is_identifier);
  data->scope = reader_dup_checked (&r, "scope", FALSE, is_identifier);
  data->organization_id = reader_dup_checked (&r, "organization_id", TRUE, is_identifier);
  data->title = reader_dup_checked (&r, "title", FALSE, is_text);
  data->description = reader_dup_checked (&r, "description", FALSE, is_text);
  data->enabled = reader_boolean (&r, "enabled");
  data->editable = reader_boolean (&r, "editable");
  data->locked_reason = reader_dup_checked (&r, "locked_reason", TRUE, is_identifier);
  data->revision = reader_int (&r, "revision", G_MAXINT64);
  data->updated_at = reader_dup_checked (&r, "updated_at", FALSE, is_timestamp);
  data->etag = reader_dup_checked (&r, "etag", TRUE, is_identifier);

  return r.ok ? g_steal_pointer (&data) : NULL;
}

static GPtrArray *
parse_controls (JsonArray *array)
{
  g_autoptr(GPtrArray) controls = control_array_new ();

  if (array == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      AbstainControlData *control = parse_control (array_get_object (array, i));

      if (control == NULL)
        return NULL;
      g_ptr_array_add (controls, control);
    }

  return g_steal_pointer (&controls);
}

static AbstainStoreAccount *
find_account (GPtrArray  *accounts,
              const char *server,
              const char *account_id)
{
  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (accounts, i);

      if (g_strcmp0 (account->server, server) == 0 &&
          g_strcmp0 (account->account->id, account_id) == 0)
        return account;
    }

  return NULL;
}

static gboolean
parse_state_entry (JsonObject *object,
                   LoadResult *result)
{
  Reader r = { object, object != NULL };
  g_autofree char *server = NULL, *account_id = NULL, *etag = NULL, *verified = NULL;
  g_autoptr(GPtrArray) controls = NULL;
  AbstainStoreAccount *account;

  if (!r.ok)
    return FALSE;

  server = reader_dup_checked (&r, "server", FALSE, is_server);
  account_id = reader_dup_checked (&r, "account_id", FALSE, is_identifier);
  etag = reader_dup_checked (&r, "etag", TRUE, is_identifier);
  verified = reader_dup_checked (&r, "last_verified", TRUE, is_unix_timestamp);
  controls = parse_controls (object_get_array (object, "controls"));
  if (!r.ok || controls == NULL)
    return FALSE;

  /* State of an account we no longer know is dropped. */
  if ((account = find_account (result->accounts, server, account_id)))
    {
      g_autoptr(GDateTime) dt = verified ? g_date_time_new_from_iso8601 (verified, NULL) : NULL;

      account->controls = g_steal_pointer (&controls);
      account->list_etag = g_steal_pointer (&etag);
      account->last_verified = dt ? g_date_time_to_unix (dt) : 0;
    }

  return TRUE;
}

static gboolean
parse_state_file (JsonObject *root,
                  LoadResult *result)
{
  JsonArray *array = object_get_array (root, "accounts");

  if (array == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!parse_state_entry (array_get_object (array, i), result))
      return FALSE;

  return TRUE;
}

static AbstainOutboxEntry *
parse_outbox_entry (JsonObject *object)
{
  Reader r = { object, object != NULL };
  g_autofree char *created = NULL;
  g_autoptr(GDateTime) dt = NULL;
  AbstainOutboxEntry *entry;

  if (!r.ok)
    return NULL;

  entry = g_rc_box_new0 (AbstainOutboxEntry);
  entry->server = reader_dup_checked (&r, "server", FALSE, is_server);
  entry->account_id = reader_dup_checked (&r, "account_id", FALSE, is_identifier);
  entry->control_id = reader_dup_checked (&r, "control_id", FALSE, is_identifier);
  entry->idempotency_key = reader_dup_checked (&r, "idempotency_key", FALSE, g_uuid_string_is_valid);
  entry->enabled = reader_boolean (&r, "enabled");
  entry->attempts = reader_int (&r, "attempts", 1000000);
  created = reader_dup_checked (&r, "created_at", FALSE, is_unix_timestamp);
  if (created != NULL && (dt = g_date_time_new_from_iso8601 (created, NULL)))
    entry->created_at = g_date_time_to_unix (dt);
  entry->persisted = TRUE;

  if (!r.ok)
    g_clear_pointer (&entry, abstain_outbox_entry_unref);

  return entry;
}

static gboolean
parse_outbox_file (JsonObject *root,
                   LoadResult *result)
{
  JsonArray *array = object_get_array (root, "changes");

  if (array == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      AbstainOutboxEntry *entry = parse_outbox_entry (array_get_object (array, i));

      if (entry == NULL)
        return FALSE;
      g_ptr_array_add (result->outbox, entry);
    }

  return TRUE;
}

static AbstainHistoryEvent *
parse_history_event (JsonObject *object)
{
  Reader r = { object, object != NULL };
  g_autofree char *server = NULL, *account_id = NULL, *control_id = NULL;
  g_autofree char *kind = NULL, *at = NULL, *source = NULL;
  g_autoptr(GDateTime) dt = NULL;
  gboolean from, to;

  if (!r.ok)
    return NULL;

  server = reader_dup_checked (&r, "server", FALSE, is_server);
  account_id = reader_dup_checked (&r, "account_id", FALSE, is_identifier);
  control_id = reader_dup_checked (&r, "control_id", FALSE, is_identifier);
  kind = reader_dup_checked (&r, "kind", FALSE, is_identifier);
  from = reader_boolean (&r, "from");
  to = reader_boolean (&r, "to");
  at = reader_dup_checked (&r, "at", FALSE, is_timestamp);
  source = reader_dup_checked (&r, "source", FALSE, is_identifier);
  if (!r.ok || !(dt = g_date_time_new_from_iso8601 (at, NULL)))
    return NULL;

  return abstain_history_event_new (server, account_id, control_id, kind,
                                    from, to, dt, source, "local");
}

static gboolean
parse_history_file (JsonObject *root,
                    LoadResult *result)
{
  JsonArray *array = object_get_array (root, "events");

  if (array == NULL || json_array_get_length (array) > MAX_HISTORY)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      AbstainHistoryEvent *event = parse_history_event (array_get_object (array, i));

      if (event == NULL)
        return FALSE;
      g_ptr_array_add (result->history, event);
    }

  return TRUE;
}

/* Reading files */

static JsonObject *
parse_root (const char  *data,
            gsize        length,
            JsonParser  *parser)
{
  JsonNode *root;
  JsonObject *object;
  JsonNode *version;

  if (length > MAX_FILE_SIZE || !g_utf8_validate (data, length, NULL) ||
      abstain_json_scan (data, length, MAX_DEPTH) != ABSTAIN_JSON_SCAN_OK ||
      !json_parser_load_from_data (parser, data, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  object = json_node_get_object (root);
  version = json_object_get_member (object, "version");
  if (version == NULL || !JSON_NODE_HOLDS_VALUE (version) ||
      json_node_get_value_type (version) != G_TYPE_INT64 ||
      json_node_get_int (version) != STORE_VERSION)
    return NULL;

  return object;
}

static void
move_aside (const char *path,
            LoadResult *result)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *aside = g_strdup_printf ("%s.corrupt-%s", path, stamp);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *aside_name = g_path_get_basename (aside);

  if (g_rename (path, aside) != 0)
    {
      int saved = errno;
      g_ptr_array_add (result->problems,
                       g_error_new (ABSTAIN_ERROR, ABSTAIN_ERROR_STORE,
                                    _("The file “%s” is damaged and could not be moved aside: %s"),
                                    name, g_strerror (saved)));
      return;
    }

  g_ptr_array_add (result->problems,
                   g_error_new (ABSTAIN_ERROR, ABSTAIN_ERROR_STORE,
                                _("The file “%s” was damaged; it was kept as “%s” and "
                                  "Abstain carries on without it"),
                                name, aside_name));
}

typedef gboolean (*FileParser) (JsonObject *root, LoadResult *result);

static void
load_file (const char *dir,
           const char *name,
           FileParser  parse,
           LoadResult *result)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_ptr_array_add (result->problems,
                         g_error_new (ABSTAIN_ERROR, ABSTAIN_ERROR_STORE,
                                      _("Could not read “%s”: %s"), name, error->message));
      return;
    }

  if ((root = parse_root (data, length, parser)) != NULL && parse (root, result))
    return;

  g_debug ("%s does not validate; moving it aside", name);
  move_aside (path, result);
}

static void
reset_result_part (LoadResult *result,
                   guint       before_accounts,
                   guint       before_outbox,
                   guint       before_history)
{
  g_ptr_array_set_size (result->accounts, before_accounts);
  g_ptr_array_set_size (result->outbox, before_outbox);
  g_ptr_array_set_size (result->history, before_history);
}

static void
load_file_atomically (const char *dir,
                      const char *name,
                      FileParser  parse,
                      LoadResult *result)
{
  guint n_problems = result->problems->len;
  guint a = result->accounts->len, o = result->outbox->len, h = result->history->len;

  load_file (dir, name, parse, result);

  /* A file that fails halfway contributes nothing. */
  if (result->problems->len != n_problems)
    reset_result_part (result, a, o, h);
}

static void
clear_partial_state (LoadResult *result)
{
  for (guint i = 0; i < result->accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (result->accounts, i);

      g_clear_pointer (&account->controls, g_ptr_array_unref);
      g_clear_pointer (&account->list_etag, g_free);
      account->last_verified = 0;
    }
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *dir = task_data;
  LoadResult *result = g_new0 (LoadResult, 1);
  guint n_problems;

  result->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify)store_account_free);
  result->outbox = g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_outbox_entry_unref);
  result->history = g_ptr_array_new_with_free_func (g_object_unref);
  result->problems = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);

  load_file_atomically (dir, "accounts.json", parse_accounts_file, result);
  n_problems = result->problems->len;
  load_file (dir, "state.json", parse_state_file, result);
  if (result->problems->len != n_problems)
    clear_partial_state (result);
  load_file_atomically (dir, "outbox.json", parse_outbox_file, result);
  load_file_atomically (dir, "history.json", parse_history_file, result);

  g_task_return_pointer (task, result, (GDestroyNotify)load_result_free);
}

void
abstain_store_load_async (AbstainStore        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ABSTAIN_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_store_load_async);
  g_task_set_task_data (task, g_strdup (self->dir), g_free);
  g_task_run_in_thread (task, load_thread);
}

static gboolean
outbox_entry_has_account (AbstainStore       *self,
                          AbstainOutboxEntry *entry)
{
  return find_account (self->accounts, entry->server, entry->account_id) != NULL;
}

gboolean
abstain_store_load_finish (AbstainStore  *self,
                           GAsyncResult  *result,
                           GPtrArray    **out_problems,
                           GError       **error)
{
  LoadResult *loaded;

  g_return_val_if_fail (ABSTAIN_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!(loaded = g_task_propagate_pointer (G_TASK (result), error)))
    return FALSE;

  g_ptr_array_set_size (self->accounts, 0);
  g_ptr_array_extend_and_steal (self->accounts, g_steal_pointer (&loaded->accounts));
  g_ptr_array_set_size (self->outbox, 0);
  for (guint i = 0; i < loaded->outbox->len; i++)
    if (outbox_entry_has_account (self, g_ptr_array_index (loaded->outbox, i)))
      g_ptr_array_add (self->outbox, abstain_outbox_entry_ref (g_ptr_array_index (loaded->outbox, i)));
  g_ptr_array_set_size (self->history, 0);
  g_ptr_array_extend_and_steal (self->history, g_steal_pointer (&loaded->history));

  if (out_problems != NULL)
    *out_problems = g_steal_pointer (&loaded->problems);
  load_result_free (loaded);

  return TRUE;
}

/* Serializing (main thread) */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *name,
             gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       unix_time)
{
  g_autoptr(GDateTime) dt = unix_time > 0 ? g_date_time_new_from_unix_utc (unix_time) : NULL;
  g_autofree char *text = dt ? g_date_time_format_iso8601 (dt) : NULL;

  add_string (builder, name, text);
}

static void
begin_file (JsonBuilder *builder,
            const char  *array_name)
{
  json_builder_begin_object (builder);
  add_int (builder, "version", STORE_VERSION);
  json_builder_set_member_name (builder, array_name);
  json_builder_begin_array (builder);
}

static char *
end_file (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);

  return json_generator_to_data (generator, NULL);
}

static void
serialize_organization (JsonBuilder                   *builder,
                        const AbstainOrganizationData *org)
{
  json_builder_begin_object (builder);
  add_string (builder, "id", org->id);
  add_string (builder, "name", org->name);
  add_string (builder, "role", org->role);
  json_builder_end_object (builder);
}

/* Thread-safe on copies of the accounts. */
static char *
serialize_accounts (GPtrArray *accounts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  begin_file (builder, "accounts");
  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (accounts, i);
      GPtrArray *orgs = account->account->organizations;

      json_builder_begin_object (builder);
      add_string (builder, "server", account->server);
      add_string (builder, "id", account->account->id);
      add_string (builder, "email", account->account->email);
      add_string (builder, "display_name", account->account->display_name);
      add_string (builder, "plan", account->account->plan);
      json_builder_set_member_name (builder, "organizations");
      json_builder_begin_array (builder);
      for (guint j = 0; orgs != NULL && j < orgs->len; j++)
        serialize_organization (builder, g_ptr_array_index (orgs, j));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }

  return end_file (builder);
}

static void
serialize_control (JsonBuilder              *builder,
                   const AbstainControlData *control)
{
  json_builder_begin_object (builder);
  add_string (builder, "id", control->id);
  add_string (builder, "kind", control->kind);
  add_string (builder, "product", control->product);
  add_string (builder, "scope", control->scope);
  add_string (builder, "organization_id", control->organization_id);
  add_string (builder, "title", control->title);
  add_string (builder, "description", control->description);
  add_boolean (builder, "enabled", control->enabled);
  add_boolean (builder, "editable", control->editable);
  add_string (builder, "locked_reason", control->locked_reason);
  add_int (builder, "revision", control->revision);
  add_string (builder, "updated_at", control->updated_at);
  add_string (builder, "etag", control->etag);
  json_builder_end_object (builder);
}

static char *
serialize_state (AbstainStore *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  begin_file (builder, "accounts");
  for (guint i = 0; i < self->accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (self->accounts, i);

      if (account->controls == NULL)
        continue;

      json_builder_begin_object (builder);
      add_string (builder, "server", account->server);
      add_string (builder, "account_id", account->account->id);
      add_string (builder, "etag", account->list_etag);
      add_time (builder, "last_verified", account->last_verified);
      json_builder_set_member_name (builder, "controls");
      json_builder_begin_array (builder);
      for (guint j = 0; j < account->controls->len; j++)
        serialize_control (builder, g_ptr_array_index (account->controls, j));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }

  return end_file (builder);
}

/* Thread-safe on copies of the entries. */
static char *
serialize_outbox_entries (GPtrArray *entries)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  begin_file (builder, "changes");
  for (guint i = 0; i < entries->len; i++)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (builder);
      add_string (builder, "server", entry->server);
      add_string (builder, "account_id", entry->account_id);
      add_string (builder, "control_id", entry->control_id);
      add_boolean (builder, "enabled", entry->enabled);
      add_string (builder, "idempotency_key", entry->idempotency_key);
      add_time (builder, "created_at", entry->created_at);
      add_int (builder, "attempts", entry->attempts);
      json_builder_end_object (builder);
    }

  return end_file (builder);
}

/* Thread-safe: events are immutable. */
static char *
serialize_history_events (GPtrArray *events)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  begin_file (builder, "events");
  for (guint i = 0; i < events->len; i++)
    {
      AbstainHistoryEvent *event = g_ptr_array_index (events, i);
      g_autofree char *at = g_date_time_format_iso8601 (abstain_history_event_get_at (event));

      json_builder_begin_object (builder);
      add_string (builder, "server", abstain_history_event_get_server (event));
      add_string (builder, "account_id", abstain_history_event_get_account_id (event));
      add_string (builder, "control_id", abstain_history_event_get_control_id (event));
      add_string (builder, "kind", abstain_history_event_get_kind (event));
      add_boolean (builder, "from", abstain_history_event_get_from (event));
      add_boolean (builder, "to", abstain_history_event_get_to (event));
      add_string (builder, "at", at);
      add_string (builder, "source", abstain_history_event_get_source (event));
      json_builder_end_object (builder);
    }

  return end_file (builder);
}

/* Writing (worker thread) */

typedef struct
{
  StoreFile *file;
  guint64    generation;
  char      *contents;
  GPtrArray *history;   /* the history file is merged with the disk when written */
  GPtrArray *outbox;    /* so is the outbox, less what this process removed */
  GPtrArray *accounts;  /* and the accounts */
  GHashTable *removed;
} Snapshot;

typedef struct
{
  char      *dir;
  GArray    *snapshots; /* of Snapshot */
  GPtrArray *entries;   /* outbox entries the snapshot holds */
  GTask     *outer;
} SaveData;

static void
save_data_free (SaveData *data)
{
  for (guint i = 0; i < data->snapshots->len; i++)
    {
      Snapshot *snapshot = &g_array_index (data->snapshots, Snapshot, i);

      g_free (snapshot->contents);
      g_clear_pointer (&snapshot->history, g_ptr_array_unref);
      g_clear_pointer (&snapshot->outbox, g_ptr_array_unref);
      g_clear_pointer (&snapshot->accounts, g_ptr_array_unref);
      g_clear_pointer (&snapshot->removed, g_hash_table_unref);
    }
  g_array_unref (data->snapshots);
  g_ptr_array_unref (data->entries);
  g_free (data->dir);
  g_clear_object (&data->outer);
  g_free (data);
}

static gboolean
sync_directory (const char  *dir,
                GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd >= 0 && fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }

  saved = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_STORE,
               _("Could not save the state folder “%s”: %s"), dir, g_strerror (saved));
  return FALSE;
}

static char *
event_key (AbstainHistoryEvent *event)
{
  return g_strdup_printf ("%s\n%s\n%s\n%d\n%" G_GINT64_FORMAT,
                          abstain_history_event_get_server (event),
                          abstain_history_event_get_account_id (event),
                          abstain_history_event_get_control_id (event),
                          abstain_history_event_get_to (event),
                          g_date_time_to_unix (abstain_history_event_get_at (event)));
}

static int
compare_oldest_first (gconstpointer a,
                      gconstpointer b)
{
  return -abstain_history_event_compare (*(gpointer *)a, *(gpointer *)b, NULL);
}

/* The history is append-only and another process (the command line while
 * the window runs) may have added to it: what is on disk is kept. */
static char *
merge_history (const char *path,
               GPtrArray  *events)
{
  g_autoptr(GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) merged = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *data = NULL;
  LoadResult disk = { 0 };
  JsonObject *root;
  gsize length = 0;

  disk.history = g_ptr_array_new_with_free_func (g_object_unref);
  if (g_file_get_contents (path, &data, &length, NULL) &&
      (root = parse_root (data, length, parser)) != NULL &&
      parse_history_file (root, &disk))
    g_ptr_array_extend (merged, disk.history, (GCopyFunc)(void (*) (void))g_object_ref, NULL);
  g_ptr_array_unref (disk.history);

  for (guint i = 0; i < merged->len; i++)
    g_hash_table_add (known, event_key (g_ptr_array_index (merged, i)));
  for (guint i = 0; i < events->len; i++)
    if (g_hash_table_add (known, event_key (g_ptr_array_index (events, i))))
      g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (events, i)));

  g_ptr_array_sort (merged, compare_oldest_first);
  if (merged->len > MAX_HISTORY)
    g_ptr_array_remove_range (merged, 0, merged->len - MAX_HISTORY);

  return serialize_history_events (merged);
}

/* Changes another process queued meanwhile stay queued. */
static char *
merge_outbox (const char *path,
              GPtrArray  *entries,
              GHashTable *removed)
{
  g_autoptr(GPtrArray) merged =
    g_ptr_array_copy (entries, (GCopyFunc)(void (*) (void))abstain_outbox_entry_ref, NULL);
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *data = NULL;
  LoadResult disk = { 0 };
  JsonObject *root;
  gsize length = 0;

  g_ptr_array_set_free_func (merged, (GDestroyNotify)abstain_outbox_entry_unref);
  for (guint i = 0; i < entries->len; i++)
    g_hash_table_add (known, ((AbstainOutboxEntry *)g_ptr_array_index (entries, i))->idempotency_key);

  disk.outbox = g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_outbox_entry_unref);
  if (g_file_get_contents (path, &data, &length, NULL) &&
      (root = parse_root (data, length, parser)) != NULL &&
      parse_outbox_file (root, &disk))
    for (guint i = 0; i < disk.outbox->len; i++)
      {
        AbstainOutboxEntry *entry = g_ptr_array_index (disk.outbox, i);

        if (!g_hash_table_contains (known, entry->idempotency_key) &&
            !g_hash_table_contains (removed, entry->idempotency_key))
          g_ptr_array_add (merged, abstain_outbox_entry_ref (entry));
      }

  g_ptr_array_unref (disk.outbox);

  return serialize_outbox_entries (merged);
}

static char *
account_key (const char *server,
             const char *account_id)
{
  return g_strconcat (server, "\n", account_id, NULL);
}

/* Accounts another process signed in meanwhile stay signed in. */
static char *
merge_accounts (const char *path,
                GPtrArray  *accounts,
                GHashTable *removed)
{
  g_autoptr(GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *data = NULL;
  LoadResult disk = { 0 };
  JsonObject *root;
  gsize length = 0;
  char *text;

  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (accounts, i);
      g_hash_table_add (known, account_key (account->server, account->account->id));
    }

  disk.accounts = g_ptr_array_new_with_free_func ((GDestroyNotify)store_account_free);
  if (g_file_get_contents (path, &data, &length, NULL) &&
      (root = parse_root (data, length, parser)) != NULL &&
      parse_accounts_file (root, &disk))
    for (guint i = disk.accounts->len; i > 0; i--)
      {
        AbstainStoreAccount *account = g_ptr_array_index (disk.accounts, i - 1);
        g_autofree char *key = account_key (account->server, account->account->id);

        if (!g_hash_table_contains (known, key) && !g_hash_table_contains (removed, key))
          g_ptr_array_add (accounts, g_ptr_array_steal_index (disk.accounts, i - 1));
      }

  text = serialize_accounts (accounts);
  g_ptr_array_unref (disk.accounts);

  return text;
}

static gboolean
write_snapshot (const char  *dir,
                Snapshot    *snapshot,
                GError     **error)
{
  g_autofree char *path = g_build_filename (dir, snapshot->file->name, NULL);
  g_autoptr(GError) local_error = NULL;
  gboolean ok = TRUE;

  g_mutex_lock (&snapshot->file->mutex);
  /* A newer snapshot already reached the disk: it contains this one. */
  if (snapshot->generation > snapshot->file->written)
    {
      if (snapshot->history != NULL)
        snapshot->contents = merge_history (path, snapshot->history);
      else if (snapshot->outbox != NULL)
        snapshot->contents = merge_outbox (path, snapshot->outbox, snapshot->removed);
      else if (snapshot->accounts != NULL)
        snapshot->contents = merge_accounts (path, snapshot->accounts, snapshot->removed);
      ok = g_file_set_contents_full (path, snapshot->contents, -1,
                                     G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                     0600, &local_error) &&
           sync_directory (dir, &local_error);
      if (ok)
        snapshot->file->written = snapshot->generation;
    }
  g_mutex_unlock (&snapshot->file->mutex);

  if (!ok)
    g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_STORE,
                 _("Could not save “%s”: %s"), snapshot->file->name, local_error->message);
  return ok;
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData *data = task_data;
  GError *error = NULL;

  if (g_mkdir_with_parents (data->dir, 0700) != 0)
    {
      int saved = errno;
      g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_STORE,
                               _("Could not create the state folder “%s”: %s"),
                               data->dir, g_strerror (saved));
      return;
    }

  for (guint i = 0; i < data->snapshots->len; i++)
    if (!write_snapshot (data->dir, &g_array_index (data->snapshots, Snapshot, i), &error))
      {
        g_task_return_error (task, error);
        return;
      }

  g_task_return_boolean (task, TRUE);
}

static void
complete_idle_waiters (AbstainStore *self)
{
  g_autoptr(GPtrArray) waiters = NULL;

  if (self->saving > 0 || self->idle_waiters->len == 0)
    return;

  waiters = g_steal_pointer (&self->idle_waiters);
  self->idle_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_remove_all (self->removed_keys);
  g_hash_table_remove_all (self->removed_accounts);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

static void
save_thread_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  AbstainStore *self = ABSTAIN_STORE (object);
  SaveData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GTask) outer = g_steal_pointer (&data->outer);
  GError *error = NULL;

  self->saving--;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (outer, error);
  else
    {
      for (guint i = 0; i < data->entries->len; i++)
        ((AbstainOutboxEntry *)g_ptr_array_index (data->entries, i))->persisted = TRUE;
      g_task_return_boolean (outer, TRUE);
    }

  complete_idle_waiters (self);
}

/* Completes once every write started so far has finished. */
void
abstain_store_wait_idle_async (AbstainStore        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ABSTAIN_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_store_wait_idle_async);
  g_ptr_array_add (self->idle_waiters, task);
  complete_idle_waiters (self);
}

gboolean
abstain_store_wait_idle_finish (AbstainStore  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
take_snapshot (AbstainStore      *self,
               SaveData          *data,
               AbstainStoreFiles  files,
               guint              index,
               char            *(*serialize) (AbstainStore *))
{
  Snapshot snapshot = { 0 };

  if (!(files & (1 << index)))
    return;

  snapshot.file = &self->files[index];
  snapshot.generation = ++self->files[index].queued;
  snapshot.contents = serialize (self);
  g_array_append_val (data->snapshots, snapshot);
}

static GHashTable *
copy_key_set (GHashTable *set)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (copy, g_strdup (key));

  return copy;
}

static AbstainOutboxEntry *
outbox_entry_copy (const AbstainOutboxEntry *entry)
{
  AbstainOutboxEntry *copy = g_rc_box_new0 (AbstainOutboxEntry);

  copy->server = g_strdup (entry->server);
  copy->account_id = g_strdup (entry->account_id);
  copy->control_id = g_strdup (entry->control_id);
  copy->idempotency_key = g_strdup (entry->idempotency_key);
  copy->created_at = entry->created_at;
  copy->attempts = entry->attempts;
  copy->enabled = entry->enabled;

  return copy;
}

/* Copies: the entries change on the main thread while the worker writes. */
static void
take_outbox_snapshot (AbstainStore      *self,
                      SaveData          *data,
                      AbstainStoreFiles  files)
{
  Snapshot snapshot = { 0 };

  if (!(files & ABSTAIN_STORE_OUTBOX))
    return;

  snapshot.file = &self->files[2];
  snapshot.generation = ++self->files[2].queued;
  snapshot.outbox = g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_outbox_entry_unref);
  for (guint i = 0; i < self->outbox->len; i++)
    g_ptr_array_add (snapshot.outbox, outbox_entry_copy (g_ptr_array_index (self->outbox, i)));
  snapshot.removed = copy_key_set (self->removed_keys);
  g_array_append_val (data->snapshots, snapshot);
}

static void
take_accounts_snapshot (AbstainStore      *self,
                        SaveData          *data,
                        AbstainStoreFiles  files)
{
  Snapshot snapshot = { 0 };

  if (!(files & ABSTAIN_STORE_ACCOUNTS))
    return;

  snapshot.file = &self->files[0];
  snapshot.generation = ++self->files[0].queued;
  snapshot.accounts = g_ptr_array_new_with_free_func ((GDestroyNotify)store_account_free);
  for (guint i = 0; i < self->accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (self->accounts, i);
      AbstainStoreAccount *copy = g_new0 (AbstainStoreAccount, 1);

      copy->server = g_strdup (account->server);
      copy->account = account_data_copy (account->account);
      g_ptr_array_add (snapshot.accounts, copy);
    }
  snapshot.removed = copy_key_set (self->removed_accounts);
  g_array_append_val (data->snapshots, snapshot);
}

static void
take_history_snapshot (AbstainStore      *self,
                       SaveData          *data,
                       AbstainStoreFiles  files)
{
  Snapshot snapshot = { 0 };

  if (!(files & ABSTAIN_STORE_HISTORY))
    return;

  snapshot.file = &self->files[3];
  snapshot.generation = ++self->files[3].queued;
  snapshot.history = g_ptr_array_copy (self->history, (GCopyFunc)(void (*) (void))g_object_ref, NULL);
  g_ptr_array_set_free_func (snapshot.history, g_object_unref);
  g_array_append_val (data->snapshots, snapshot);
}

void
abstain_store_save_async (AbstainStore        *self,
                          AbstainStoreFiles    files,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  SaveData *data;

  g_return_if_fail (ABSTAIN_IS_STORE (self));

  data = g_new0 (SaveData, 1);
  data->dir = g_strdup (self->dir);
  data->snapshots = g_array_new (FALSE, FALSE, sizeof (Snapshot));
  data->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_outbox_entry_unref);
  data->outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (data->outer, abstain_store_save_async);

  take_accounts_snapshot (self, data, files);
  take_snapshot (self, data, files, 1, serialize_state);
  take_outbox_snapshot (self, data, files);
  take_history_snapshot (self, data, files);
  if (files & ABSTAIN_STORE_OUTBOX)
    for (guint i = 0; i < self->outbox->len; i++)
      g_ptr_array_add (data->entries, abstain_outbox_entry_ref (g_ptr_array_index (self->outbox, i)));

  /* Never cancelled halfway: a write that started finishes. */
  self->saving++;
  inner = g_task_new (self, NULL, save_thread_done, NULL);
  g_task_set_task_data (inner, data, (GDestroyNotify)save_data_free);
  g_task_run_in_thread (inner, save_thread);
}

gboolean
abstain_store_save_finish (AbstainStore  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The in-memory mirror */

GPtrArray *
abstain_store_get_accounts (AbstainStore *self)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);
  return self->accounts;
}

AbstainStoreAccount *
abstain_store_lookup_account (AbstainStore *self,
                              const char   *server,
                              const char   *account_id)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);
  return find_account (self->accounts, server, account_id);
}

static AbstainAccountData *
account_data_copy (const AbstainAccountData *data)
{
  AbstainAccountData *copy = g_new0 (AbstainAccountData, 1);

  copy->id = g_strdup (data->id);
  copy->email = g_strdup (data->email);
  copy->display_name = g_strdup (data->display_name);
  copy->plan = g_strdup (data->plan);
  copy->organizations =
    g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_organization_data_free);
  for (guint i = 0; data->organizations != NULL && i < data->organizations->len; i++)
    {
      const AbstainOrganizationData *org = g_ptr_array_index (data->organizations, i);
      AbstainOrganizationData *org_copy = g_new0 (AbstainOrganizationData, 1);

      org_copy->id = g_strdup (org->id);
      org_copy->name = g_strdup (org->name);
      org_copy->role = g_strdup (org->role);
      g_ptr_array_add (copy->organizations, org_copy);
    }

  return copy;
}

AbstainStoreAccount *
abstain_store_add_account (AbstainStore             *self,
                           const char               *server,
                           const AbstainAccountData *data)
{
  g_autofree char *removed = NULL;
  AbstainStoreAccount *account;

  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);
  g_return_val_if_fail (server != NULL && data != NULL, NULL);

  removed = account_key (server, data->id);
  g_hash_table_remove (self->removed_accounts, removed);

  if ((account = find_account (self->accounts, server, data->id)))
    {
      abstain_account_data_free (account->account);
      account->account = account_data_copy (data);
      return account;
    }

  account = g_new0 (AbstainStoreAccount, 1);
  account->server = g_strdup (server);
  account->account = account_data_copy (data);
  g_ptr_array_add (self->accounts, account);

  return account;
}

void
abstain_store_remove_account (AbstainStore *self,
                              const char   *server,
                              const char   *account_id)
{
  AbstainStoreAccount *account;

  g_return_if_fail (ABSTAIN_IS_STORE (self));

  for (guint i = self->outbox->len; i > 0; i--)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (self->outbox, i - 1);

      if (g_str_equal (entry->server, server) && g_str_equal (entry->account_id, account_id))
        {
          g_hash_table_add (self->removed_keys, g_strdup (entry->idempotency_key));
          g_ptr_array_remove_index (self->outbox, i - 1);
        }
    }

  g_hash_table_add (self->removed_accounts, account_key (server, account_id));
  if ((account = find_account (self->accounts, server, account_id)))
    g_ptr_array_remove (self->accounts, account);
}

void
abstain_store_account_set_controls (AbstainStoreAccount *account,
                                    GPtrArray           *controls,
                                    const char          *list_etag)
{
  g_autoptr(GPtrArray) copy = control_array_new ();

  g_return_if_fail (account != NULL && controls != NULL);

  for (guint i = 0; i < controls->len; i++)
    g_ptr_array_add (copy, abstain_control_data_copy (g_ptr_array_index (controls, i)));

  g_clear_pointer (&account->controls, g_ptr_array_unref);
  account->controls = g_steal_pointer (&copy);
  g_free (account->list_etag);
  account->list_etag = g_strdup (list_etag);
  account->last_verified = g_get_real_time () / G_USEC_PER_SEC;
}

const AbstainControlData *
abstain_store_account_lookup_control (AbstainStoreAccount *account,
                                      const char          *control_id)
{
  g_return_val_if_fail (account != NULL, NULL);

  for (guint i = 0; account->controls != NULL && i < account->controls->len; i++)
    {
      AbstainControlData *data = g_ptr_array_index (account->controls, i);

      if (g_strcmp0 (data->id, control_id) == 0)
        return data;
    }

  return NULL;
}

/* The list ETag no longer matches once one control changed alone. */
void
abstain_store_account_update_control (AbstainStoreAccount      *account,
                                      const AbstainControlData *control)
{
  g_return_if_fail (account != NULL && control != NULL);

  if (account->controls == NULL)
    account->controls = control_array_new ();

  g_clear_pointer (&account->list_etag, g_free);
  for (guint i = 0; i < account->controls->len; i++)
    {
      AbstainControlData *data = g_ptr_array_index (account->controls, i);

      if (g_strcmp0 (data->id, control->id) == 0)
        {
          account->controls->pdata[i] = abstain_control_data_copy (control);
          abstain_control_data_free (data);
          return;
        }
    }

  g_ptr_array_add (account->controls, abstain_control_data_copy (control));
}

GPtrArray *
abstain_store_get_outbox (AbstainStore *self)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);
  return self->outbox;
}

AbstainOutboxEntry *
abstain_store_outbox_lookup (AbstainStore *self,
                             const char   *server,
                             const char   *account_id,
                             const char   *control_id)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);

  for (guint i = 0; i < self->outbox->len; i++)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (self->outbox, i);

      if (g_str_equal (entry->server, server) &&
          g_str_equal (entry->account_id, account_id) &&
          g_str_equal (entry->control_id, control_id))
        return entry;
    }

  return NULL;
}

AbstainOutboxEntry *
abstain_store_outbox_add (AbstainStore *self,
                          const char   *server,
                          const char   *account_id,
                          const char   *control_id,
                          gboolean      enabled)
{
  AbstainOutboxEntry *entry;

  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);

  entry = g_rc_box_new0 (AbstainOutboxEntry);
  entry->server = g_strdup (server);
  entry->account_id = g_strdup (account_id);
  entry->control_id = g_strdup (control_id);
  entry->idempotency_key = g_uuid_string_random ();
  entry->created_at = g_get_real_time () / G_USEC_PER_SEC;
  entry->enabled = !!enabled;
  g_ptr_array_add (self->outbox, entry);

  return entry;
}

void
abstain_store_outbox_remove (AbstainStore       *self,
                             AbstainOutboxEntry *entry)
{
  g_return_if_fail (ABSTAIN_IS_STORE (self));

  g_hash_table_add (self->removed_keys, g_strdup (entry->idempotency_key));
  g_ptr_array_remove (self->outbox, entry);
}

/* A new request for the same change (after a 412): a new key, and the old
 * one is not resurrected from the disk. */
void
abstain_store_outbox_rekey (AbstainStore       *self,
                            AbstainOutboxEntry *entry)
{
  g_return_if_fail (ABSTAIN_IS_STORE (self));

  g_hash_table_add (self->removed_keys, g_steal_pointer (&entry->idempotency_key));
  entry->idempotency_key = g_uuid_string_random ();
  entry->persisted = FALSE;
}

GPtrArray *
abstain_store_get_history (AbstainStore *self)
{
  g_return_val_if_fail (ABSTAIN_IS_STORE (self), NULL);
  return self->history;
}

void
abstain_store_history_append (AbstainStore        *self,
                              AbstainHistoryEvent *event)
{
  g_return_if_fail (ABSTAIN_IS_STORE (self));
  g_return_if_fail (ABSTAIN_IS_HISTORY_EVENT (event));

  g_ptr_array_add (self->history, g_object_ref (event));
  if (self->history->len > MAX_HISTORY)
    g_ptr_array_remove_index (self->history, 0);
}
