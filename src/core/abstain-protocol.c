/* abstain-protocol.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-protocol"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "abstain-error.h"
#include "abstain-json-scan.h"
#include "abstain-protocol.h"

#define MAX_IDENTIFIER 256
#define MAX_TEXT       4096
#define MAX_URI        2048
#define MAX_ITEMS      10000
#define TOKEN_MIN      16
#define TOKEN_MAX      512

/* Free functions */

static void
wipe_string (char **s)
{
  if (*s != NULL)
    {
      explicit_bzero (*s, strlen (*s));
      g_clear_pointer (s, g_free);
    }
}

void
abstain_organization_data_free (AbstainOrganizationData *data)
{
  if (data == NULL)
    return;

  g_free (data->id);
  g_free (data->name);
  g_free (data->role);
  g_free (data);
}

void
abstain_account_data_free (AbstainAccountData *data)
{
  if (data == NULL)
    return;

  g_free (data->id);
  g_free (data->email);
  g_free (data->display_name);
  g_free (data->plan);
  g_clear_pointer (&data->organizations, g_ptr_array_unref);
  g_free (data);
}

void
abstain_control_data_free (AbstainControlData *data)
{
  if (data == NULL)
    return;

  g_free (data->id);
  g_free (data->kind);
  g_free (data->product);
  g_free (data->scope);
  g_free (data->organization_id);
  g_free (data->title);
  g_free (data->description);
  g_free (data->locked_reason);
  g_free (data->updated_at);
  g_free (data->etag);
  g_free (data);
}

AbstainControlData *
abstain_control_data_copy (const AbstainControlData *data)
{
  AbstainControlData *copy;

  g_return_val_if_fail (data != NULL, NULL);

  copy = g_new0 (AbstainControlData, 1);
  copy->id = g_strdup (data->id);
  copy->kind = g_strdup (data->kind);
  copy->product = g_strdup (data->product);
  copy->scope = g_strdup (data->scope);
  copy->organization_id = g_strdup (data->organization_id);
  copy->title = g_strdup (data->title);
  copy->description = g_strdup (data->description);
  copy->enabled = data->enabled;
  copy->editable = data->editable;
  copy->locked_reason = g_strdup (data->locked_reason);
  copy->revision = data->revision;
  copy->updated_at = g_strdup (data->updated_at);
  copy->etag = g_strdup (data->etag);

  return copy;
}

void
abstain_control_list_free (AbstainControlList *data)
{
  if (data == NULL)
    return;

  g_clear_pointer (&data->controls, g_ptr_array_unref);
  g_free (data);
}

void
abstain_history_data_free (AbstainHistoryData *data)
{
  if (data == NULL)
    return;

  g_free (data->control_id);
  g_free (data->kind);
  g_free (data->at);
  g_free (data->source);
  g_free (data);
}

void
abstain_error_body_free (AbstainErrorBody *data)
{
  if (data == NULL)
    return;

  g_free (data->code);
  g_free (data->message);
  g_clear_pointer (&data->control, abstain_control_data_free);
  g_free (data);
}

void
abstain_device_authorization_free (AbstainDeviceAuthorization *data)
{
  if (data == NULL)
    return;

  wipe_string (&data->device_code);
  g_free (data->user_code);
  g_free (data->verification_uri);
  g_free (data->verification_uri_complete);
  g_free (data);
}

void
abstain_token_data_free (AbstainTokenData *data)
{
  if (data == NULL)
    return;

  wipe_string (&data->access_token);
  wipe_string (&data->refresh_token);
  g_free (data);
}

/* Checks on the raw bytes */

static gboolean
fail (GError **error)
{
  g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                       _("The server sent an answer that does not follow the protocol."));
  return FALSE;
}

static gboolean
fail_member (const char  *name,
             GError     **error)
{
  g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
               _("The server sent an answer that does not follow the protocol: "
                 "“%s” is missing or not valid."),
               name);
  return FALSE;
}

gboolean
abstain_protocol_check_body (const char  *data,
                             gsize        length,
                             GError     **error)
{
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (length > ABSTAIN_PROTOCOL_MAX_BODY)
    {
      g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                   _("The server sent an answer larger than %u KiB."),
                   ABSTAIN_PROTOCOL_MAX_BODY / 1024);
      return FALSE;
    }

  if (length == 0)
    {
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an empty answer."));
      return FALSE;
    }

  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an answer that is not valid text."));
      return FALSE;
    }

  switch (abstain_json_scan (data, length, ABSTAIN_PROTOCOL_MAX_DEPTH))
    {
    case ABSTAIN_JSON_SCAN_TOO_DEEP:
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an answer that is nested too deeply."));
      return FALSE;

    case ABSTAIN_JSON_SCAN_BAD_NUMBER:
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an answer with a number too large to read."));
      return FALSE;

    case ABSTAIN_JSON_SCAN_NOT_JSON:
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an answer that is not valid JSON."));
      return FALSE;

    case ABSTAIN_JSON_SCAN_NUL:
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an answer that is not valid text."));
      return FALSE;

    case ABSTAIN_JSON_SCAN_OK:
    default:
      break;
    }

  return TRUE;
}

/* The root object of a checked body, or NULL. */
static JsonObject *
parse_root (const char  *data,
            gsize        length,
            GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (!abstain_protocol_check_body (data, length, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, NULL))
    {
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("The server sent an answer that is not valid JSON."));
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      fail (error);
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* Validators of member values */

static gboolean
is_identifier (const char *s)
{
  gsize len = strlen (s);

  if (len == 0 || len > MAX_IDENTIFIER)
    return FALSE;

  for (const char *p = s; *p != '\0'; p++)
    if (*p <= ' ' || *p > '~')
      return FALSE;

  return TRUE;
}

static gboolean
is_text (const char *s)
{
  if (strlen (s) > MAX_TEXT || !g_utf8_validate (s, -1, NULL))
    return FALSE;

  for (const char *p = s; *p != '\0'; p++)
    if ((guchar) *p < ' ')
      return FALSE;

  return TRUE;
}

static gboolean
is_timestamp (const char *s)
{
  g_autoptr(GDateTime) dt = NULL;

  if (!is_identifier (s))
    return FALSE;

  dt = g_date_time_new_from_iso8601 (s, NULL);
  return dt != NULL;
}

static gboolean
is_uri (const char *s)
{
  g_autoptr(GUri) uri = NULL;

  if (!is_identifier (s) || strlen (s) > MAX_URI)
    return FALSE;

  uri = g_uri_parse (s, G_URI_FLAGS_NONE, NULL);
  return uri != NULL &&
         (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ||
          g_strcmp0 (g_uri_get_scheme (uri), "http") == 0);
}

/* Device codes and tokens: opaque, printable ASCII. */
static gboolean
is_opaque (const char *s)
{
  gsize len = strnlen (s, TOKEN_MAX + 1);

  if (len == 0 || len > TOKEN_MAX)
    return FALSE;

  for (const char *p = s; *p != '\0'; p++)
    if (*p <= ' ' || *p > '~')
      return FALSE;

  return TRUE;
}

gboolean
abstain_protocol_token_is_valid (const char *token)
{
  return token != NULL && is_opaque (token) && strlen (token) >= TOKEN_MIN;
}

/* Member readers: each fails with a message naming the member. */

typedef gboolean (*StringCheck) (const char *s);

static gboolean
read_string (JsonObject   *obj,
             const char   *name,
             gboolean      nullable,
             StringCheck   check,
             char        **out,
             GError      **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *value;

  g_assert (*out == NULL);

  if (nullable && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    return TRUE;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return fail_member (name, error);

  value = json_node_get_string (node);
  if (value == NULL || !check (value))
    return fail_member (name, error);

  *out = g_strdup (value);
  return TRUE;
}

static gboolean
read_boolean (JsonObject  *obj,
              const char  *name,
              gboolean    *out,
              GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail_member (name, error);

  *out = json_node_get_boolean (node);
  return TRUE;
}

/* An integer in min…max; when @optional, an absent member reads as 0. */
static gboolean
read_int (JsonObject  *obj,
          const char  *name,
          gboolean     optional,
          gint64       min,
          gint64       max,
          gint64      *out,
          GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  gint64 value;

  if (optional && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    {
      *out = 0;
      return TRUE;
    }

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return fail_member (name, error);

  value = json_node_get_int (node);
  if (value < min || value > max)
    return fail_member (name, error);

  *out = value;
  return TRUE;
}

static JsonArray *
read_array (JsonObject  *obj,
            const char  *name,
            GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) > MAX_ITEMS)
    {
      fail_member (name, error);
      return NULL;
    }

  return json_node_get_array (node);
}

static JsonObject *
read_object (JsonObject  *obj,
             const char  *name,
             GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      fail_member (name, error);
      return NULL;
    }

  return json_node_get_object (node);
}

static JsonObject *
array_object (JsonArray   *array,
              guint        index,
              const char  *name,
              GError     **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail_member (name, error);
      return NULL;
    }

  return json_node_get_object (node);
}

/* Account */

static AbstainOrganizationData *
organization_from_object (JsonObject  *obj,
                          GError     **error)
{
  AbstainOrganizationData *org = g_new0 (AbstainOrganizationData, 1);

  if (!read_string (obj, "id", FALSE, is_identifier, &org->id, error) ||
      !read_string (obj, "name", FALSE, is_text, &org->name, error) ||
      !read_string (obj, "role", FALSE, is_identifier, &org->role, error))
    g_clear_pointer (&org, abstain_organization_data_free);

  return org;
}

static GPtrArray *
organizations_from_object (JsonObject  *obj,
                           GError     **error)
{
  g_autoptr(GPtrArray) orgs = NULL;
  JsonArray *array = read_array (obj, "organizations", error);

  if (array == NULL)
    return NULL;

  orgs = g_ptr_array_new_with_free_func ((GDestroyNotify) abstain_organization_data_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = array_object (array, i, "organizations", error);
      AbstainOrganizationData *org;

      if (item == NULL || !(org = organization_from_object (item, error)))
        return NULL;
      g_ptr_array_add (orgs, org);
    }

  return g_steal_pointer (&orgs);
}

AbstainAccountData *
abstain_protocol_parse_account (const char  *data,
                                gsize        length,
                                GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  g_autoptr(AbstainAccountData) account = NULL;

  if (obj == NULL)
    return NULL;

  account = g_new0 (AbstainAccountData, 1);
  if (!read_string (obj, "id", FALSE, is_identifier, &account->id, error) ||
      !read_string (obj, "email", FALSE, is_text, &account->email, error) ||
      !read_string (obj, "display_name", FALSE, is_text, &account->display_name, error) ||
      !read_string (obj, "plan", FALSE, is_identifier, &account->plan, error) ||
      !(account->organizations = organizations_from_object (obj, error)))
    return NULL;

  return g_steal_pointer (&account);
}

/* Controls */

static AbstainControlData *
control_from_object (JsonObject  *obj,
                     GError     **error)
{
  g_autoptr(AbstainControlData) control = g_new0 (AbstainControlData, 1);

  if (!read_string (obj, "id", FALSE, is_identifier, &control->id, error) ||
      !read_string (obj, "kind", FALSE, is_identifier, &control->kind, error) ||
      !read_string (obj, "product", FALSE, is_identifier, &control->product, error) ||
      !read_string (obj, "scope", FALSE, is_identifier, &control->scope, error) ||
      !read_string (obj, "organization_id", TRUE, is_identifier, &control->organization_id, error) ||
      !read_string (obj, "title", FALSE, is_text, &control->title, error) ||
      !read_string (obj, "description", FALSE, is_text, &control->description, error) ||
      !read_boolean (obj, "enabled", &control->enabled, error) ||
      !read_boolean (obj, "editable", &control->editable, error) ||
      !read_string (obj, "locked_reason", TRUE, is_identifier, &control->locked_reason, error) ||
      !read_int (obj, "revision", FALSE, 0, G_MAXINT64, &control->revision, error) ||
      !read_string (obj, "updated_at", FALSE, is_timestamp, &control->updated_at, error))
    return NULL;

  /* The ETag the server gives each control; a response header replaces it
   * where there is one. */
  control->etag = g_strdup_printf ("\"%s-%" G_GINT64_FORMAT "\"", control->id, control->revision);

  return g_steal_pointer (&control);
}

AbstainControlList *
abstain_protocol_parse_controls (const char  *data,
                                 gsize        length,
                                 GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  g_autoptr(AbstainControlList) list = NULL;
  JsonArray *array;

  if (obj == NULL)
    return NULL;

  list = g_new0 (AbstainControlList, 1);
  list->controls = g_ptr_array_new_with_free_func ((GDestroyNotify) abstain_control_data_free);
  if (!read_int (obj, "revision", FALSE, 0, G_MAXINT64, &list->revision, error) ||
      !(array = read_array (obj, "controls", error)))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = array_object (array, i, "controls", error);
      AbstainControlData *control;

      if (item == NULL || !(control = control_from_object (item, error)))
        return NULL;
      g_ptr_array_add (list->controls, control);
    }

  return g_steal_pointer (&list);
}

AbstainControlData *
abstain_protocol_parse_control (const char  *data,
                                gsize        length,
                                GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);

  if (obj == NULL)
    return NULL;

  return control_from_object (obj, error);
}

/* History */

static AbstainHistoryData *
history_from_object (JsonObject  *obj,
                     GError     **error)
{
  g_autoptr(AbstainHistoryData) event = g_new0 (AbstainHistoryData, 1);

  if (!read_string (obj, "control_id", FALSE, is_identifier, &event->control_id, error) ||
      !read_string (obj, "kind", FALSE, is_identifier, &event->kind, error) ||
      !read_boolean (obj, "from", &event->from, error) ||
      !read_boolean (obj, "to", &event->to, error) ||
      !read_string (obj, "at", FALSE, is_timestamp, &event->at, error) ||
      !read_string (obj, "source", FALSE, is_identifier, &event->source, error))
    return NULL;

  return g_steal_pointer (&event);
}

GPtrArray *
abstain_protocol_parse_history (const char  *data,
                                gsize        length,
                                GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  g_autoptr(GPtrArray) events = NULL;
  JsonArray *array;

  if (obj == NULL || !(array = read_array (obj, "events", error)))
    return NULL;

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) abstain_history_data_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = array_object (array, i, "events", error);
      AbstainHistoryData *event;

      if (item == NULL || !(event = history_from_object (item, error)))
        return NULL;
      g_ptr_array_add (events, event);
    }

  return g_steal_pointer (&events);
}

/* Error bodies */

AbstainErrorBody *
abstain_protocol_parse_error (const char  *data,
                              gsize        length,
                              GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  g_autoptr(AbstainErrorBody) body = NULL;
  JsonObject *inner;
  JsonObject *control;

  if (obj == NULL || !(inner = read_object (obj, "error", error)))
    return NULL;

  body = g_new0 (AbstainErrorBody, 1);
  if (!read_string (inner, "code", FALSE, is_identifier, &body->code, error) ||
      !read_string (inner, "message", TRUE, is_text, &body->message, error))
    return NULL;

  if (json_object_has_member (inner, "control") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (inner, "control")))
    {
      if (!(control = read_object (inner, "control", error)) ||
          !(body->control = control_from_object (control, error)))
        return NULL;
    }

  return g_steal_pointer (&body);
}

/* OAuth */

AbstainDeviceAuthorization *
abstain_protocol_parse_device_auth (const char  *data,
                                    gsize        length,
                                    GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  g_autoptr(AbstainDeviceAuthorization) auth = NULL;
  gint64 expires_in = 0, interval = 0;

  if (obj == NULL)
    return NULL;

  auth = g_new0 (AbstainDeviceAuthorization, 1);
  if (!read_string (obj, "device_code", FALSE, is_opaque, &auth->device_code, error) ||
      !read_string (obj, "user_code", FALSE, is_identifier, &auth->user_code, error) ||
      !read_string (obj, "verification_uri", FALSE, is_uri, &auth->verification_uri, error) ||
      !read_string (obj, "verification_uri_complete", TRUE, is_uri,
                    &auth->verification_uri_complete, error) ||
      !read_int (obj, "expires_in", FALSE, 1, 24 * 3600, &expires_in, error) ||
      !read_int (obj, "interval", TRUE, 0, 3600, &interval, error))
    return NULL;

  auth->expires_in = (guint) expires_in;
  /* RFC 8628 §3.2: five seconds when the server does not say; never a busy loop. */
  if (!json_object_has_member (obj, "interval") ||
      JSON_NODE_HOLDS_NULL (json_object_get_member (obj, "interval")))
    auth->interval = 5;
  else
    auth->interval = MAX ((guint) interval, 1);

  return g_steal_pointer (&auth);
}

char *
abstain_protocol_parse_oauth_error (const char  *data,
                                    gsize        length,
                                    GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  char *code = NULL;

  if (obj == NULL || !read_string (obj, "error", FALSE, is_identifier, &code, error))
    return NULL;

  return code;
}

AbstainTokenData *
abstain_protocol_parse_token (const char  *data,
                              gsize        length,
                              GError     **error)
{
  g_autoptr(JsonObject) obj = parse_root (data, length, error);
  g_autoptr(AbstainTokenData) token = NULL;
  g_autofree char *token_type = NULL;

  if (obj == NULL)
    return NULL;

  token = g_new0 (AbstainTokenData, 1);
  if (!read_string (obj, "access_token", FALSE, abstain_protocol_token_is_valid, &token->access_token, error) ||
      !read_string (obj, "token_type", FALSE, is_identifier, &token_type, error) ||
      !read_string (obj, "refresh_token", TRUE, abstain_protocol_token_is_valid, &token->refresh_token, error) ||
      !read_int (obj, "expires_in", TRUE, 0, G_MAXINT32, &token->expires_in, error))
    return NULL;

  if (g_ascii_strcasecmp (token_type, "Bearer") != 0)
    {
      fail_member ("token_type", error);
      return NULL;
    }

  return g_steal_pointer (&token);
}
