/* abstain-keyring.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-keyring"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <string.h>

#include "abstain-error.h"
#include "abstain-keyring.h"
#include "abstain-protocol.h"

#define MAX_SECRET_TEXT 4096

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    TOKEN_SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

static GHashTable *
token_attributes (const char *server,
                  const char *account_id)
{
  return secret_attributes_build (token_schema (),
                                  "server", server,
                                  "account", account_id,
                                  NULL);
}

/* The secret */

static void
wipe_free (char *s)
{
  if (s != NULL)
    {
      explicit_bzero (s, strlen (s));
      g_free (s);
    }
}

void
abstain_secret_free (AbstainSecret *secret)
{
  if (secret == NULL)
    return;

  wipe_free (secret->access_token);
  wipe_free (secret->refresh_token);
  g_free (secret);
}

AbstainSecret *
abstain_secret_copy (const AbstainSecret *secret)
{
  AbstainSecret *copy;

  g_return_val_if_fail (secret != NULL, NULL);

  copy = g_new0 (AbstainSecret, 1);
  copy->access_token = g_strdup (secret->access_token);
  copy->refresh_token = g_strdup (secret->refresh_token);
  copy->expires_at = secret->expires_at;

  return copy;
}

/* Appends @s as a JSON string without going through a builder, so that no
 * copy of the token is left unwiped. */
static void
append_json_string (GString    *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      if ((guchar) *p < ' ')
        g_string_append_printf (out, "\\u%04x", (guint) (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/**
 * abstain_secret_serialize:
 * @secret: a secret with an access token
 *
 * Returns: (transfer full): the JSON kept in the keyring; free it with
 *   secret_password_free(), which wipes it.
 */
char *
abstain_secret_serialize (const AbstainSecret *secret)
{
  GString *out;

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (secret->access_token != NULL, NULL);

  /* Sized up front so that the buffer never moves and leaves a copy behind. */
  out = g_string_sized_new (128 + 6 * strlen (secret->access_token) +
                            (secret->refresh_token ? 6 * strlen (secret->refresh_token) : 0));
  g_string_append (out, "{\"access_token\":");
  append_json_string (out, secret->access_token);
  g_string_append (out, ",\"refresh_token\":");
  if (secret->refresh_token != NULL)
    append_json_string (out, secret->refresh_token);
  else
    g_string_append (out, "null");
  g_string_append_printf (out, ",\"expires_at\":%" G_GINT64_FORMAT "}", secret->expires_at);

  return g_string_free (out, FALSE);
}

static AbstainSecret *
fail_parse (GError **error)
{
  g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                       _("The sign-in kept in the keyring cannot be read. Sign in again."));
  return NULL;
}

static gboolean
read_token (JsonObject  *obj,
            const char  *name,
            gboolean     nullable,
            char       **out)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (nullable && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING ||
      !abstain_protocol_token_is_valid (json_node_get_string (node)))
    return FALSE;

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_expiry (JsonObject *obj,
             gint64     *out)
{
  JsonNode *node = json_object_get_member (obj, "expires_at");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < 0)
    return FALSE;

  *out = json_node_get_int (node);
  return TRUE;
}

/**
 * abstain_secret_parse:
 * @text: the JSON kept in the keyring
 * @error: an %ABSTAIN_ERROR_PROTOCOL error when it does not parse
 *
 * Returns: (transfer full) (nullable): the secret
 */
AbstainSecret *
abstain_secret_parse (const char  *text,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(AbstainSecret) secret = NULL;
  JsonNode *root;
  JsonObject *obj;
  gsize len;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  len = text != NULL ? strnlen (text, MAX_SECRET_TEXT + 1) : 0;
  if (len == 0 || len > MAX_SECRET_TEXT || !abstain_protocol_check_body (text, len, NULL))
    return fail_parse (error);

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL) ||
      !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    return fail_parse (error);

  obj = json_node_get_object (root);
  secret = g_new0 (AbstainSecret, 1);
  if (!read_token (obj, "access_token", FALSE, &secret->access_token) ||
      !read_token (obj, "refresh_token", TRUE, &secret->refresh_token) ||
      !read_expiry (obj, &secret->expires_at))
    return fail_parse (error);

  return g_steal_pointer (&secret);
}

/* Errors */

static GError *
locked_error (void)
{
  return g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_LOCKED,
                              _("The keyring is locked. Unlock it to use your sign-in."));
}

/* Takes @error; returns what a person can act on. A cancellation we asked
 * for stays G_IO_ERROR_CANCELLED so that callers can ignore it. */
static GError *
map_error (GError       *error,
           GCancellable *cancellable)
{
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      g_cancellable_is_cancelled (cancellable))
    return error;

  g_debug ("Keyring error: %s (%s %d)", error->message,
           g_quark_to_string (error->domain), error->code);

  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    mapped = locked_error ();
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    mapped = g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_DISMISSED,
                                  _("The keyring was not unlocked, so your sign-in "
                                    "could not be used."));
  else
    mapped = g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_KEYRING_UNAVAILABLE,
                                  _("No keyring is available to keep your sign-in. "
                                    "Check that a Secret Service such as GNOME Keyring "
                                    "is running."));

  g_error_free (error);
  return mapped;
}

static void
return_mapped_error (GTask  *task,
                     GError *error)
{
  g_task_return_error (task, map_error (error, g_task_get_cancellable (task)));
}

/* Store */

static void
on_stored (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    return_mapped_error (task, error);
}

/**
 * abstain_keyring_store_full_async:
 * @server: the server's address
 * @account_id: the account's id on that server
 * @label: (nullable): what keyring managers show, e.g. with the account's
 *   email; a default naming @account_id when %NULL
 * @secret: the tokens
 *
 * Like abstain_keyring_store_async() with a label of your choice. Finish
 * with abstain_keyring_store_finish().
 */
void
abstain_keyring_store_full_async (const char          *server,
                                  const char          *account_id,
                                  const char          *label,
                                  const AbstainSecret *secret,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autofree char *default_label = NULL;
  char *text;

  g_return_if_fail (server != NULL);
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (secret != NULL && secret->access_token != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_keyring_store_async);

  if (label == NULL)
    label = default_label = g_strdup_printf (_("Abstain sign-in for %s on %s"), account_id, server);

  attributes = token_attributes (server, account_id);
  text = abstain_secret_serialize (secret);
  secret_password_storev (token_schema (), attributes, SECRET_COLLECTION_DEFAULT, label, text,
                          cancellable, on_stored, g_steal_pointer (&task));
  secret_password_free (text);
}

void
abstain_keyring_store_async (const char          *server,
                             const char          *account_id,
                             const AbstainSecret *secret,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  abstain_keyring_store_full_async (server, account_id, NULL, secret,
                                    cancellable, callback, user_data);
}

gboolean
abstain_keyring_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == abstain_keyring_store_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Lookup */

/* libsecret answers a lookup of a locked item that it could not unlock
 * (no prompt, or a prompt dismissed) with nothing at all: tell that apart
 * from a missing item, which means "signed out". */
static gboolean
any_locked (GList *items)
{
  for (GList *l = items; l != NULL; l = l->next)
    {
      /* The Secret portal gives plain retrievables: nothing is locked there. */
      if (SECRET_IS_ITEM (l->data) && secret_item_get_locked (SECRET_ITEM (l->data)))
        return TRUE;
    }

  return FALSE;
}

static void
on_searched (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GList *items = secret_password_search_finish (result, &error);

  if (error != NULL)
    return_mapped_error (task, error);
  else if (any_locked (items))
    g_task_return_error (task, locked_error ());
  else
    g_task_return_pointer (task, NULL, NULL);

  g_list_free_full (items, g_object_unref);
}

static void
search_locked (GTask *task)
{
  GHashTable *attributes = g_task_get_task_data (task);

  secret_password_searchv (token_schema (), attributes, SECRET_SEARCH_ALL,
                           g_task_get_cancellable (task), on_searched, task);
}

static void
on_looked_up (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *text = secret_password_lookup_finish (result, &error);
  AbstainSecret *secret;

  if (error != NULL)
    {
      return_mapped_error (task, error);
      return;
    }

  if (text == NULL)
    {
      search_locked (g_steal_pointer (&task));
      return;
    }

  secret = abstain_secret_parse (text, &error);
  secret_password_free (text);
  if (secret == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, secret, (GDestroyNotify) abstain_secret_free);
}

void
abstain_keyring_lookup_async (const char          *server,
                              const char          *account_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;

  g_return_if_fail (server != NULL);
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_keyring_lookup_async);

  attributes = token_attributes (server, account_id);
  g_task_set_task_data (task, g_hash_table_ref (attributes), (GDestroyNotify) g_hash_table_unref);
  secret_password_lookupv (token_schema (), attributes, cancellable,
                           on_looked_up, g_steal_pointer (&task));
}

AbstainSecret *
abstain_keyring_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == abstain_keyring_lookup_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clear */

static void
on_cleared (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error: there was nothing to remove, which is fine. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    return_mapped_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
abstain_keyring_clear_async (const char          *server,
                             const char          *account_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;

  g_return_if_fail (server != NULL);
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_keyring_clear_async);

  attributes = token_attributes (server, account_id);
  secret_password_clearv (token_schema (), attributes, cancellable,
                          on_cleared, g_steal_pointer (&task));
}

gboolean
abstain_keyring_clear_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == abstain_keyring_clear_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
