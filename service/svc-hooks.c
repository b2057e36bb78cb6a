/* svc-hooks.c: test hooks (only with --test-hooks): scripted faults,
 * changes made elsewhere, token expiry and request statistics
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-service"

#include "config.h"

#include <string.h>

#include "svc-http.h"

#define STATS_MAX 500000
#define OVERSIZED_BYTES (2 * 1024 * 1024)
#define DEEP_LEVELS 100000

typedef struct
{
  char       *method;
  char       *path;
  char       *kind;
  char       *body;
  JsonObject *headers;
  guint       count;
  guint       status;
  guint       delay_ms;
} SvcFault;

typedef struct
{
  char  *method;
  char  *path;
  guint  status;
} SvcStat;

typedef struct
{
  SvcServer         *self;
  SoupServerMessage *msg;
  SvcFault          *fault;
  SvcDispatchFunc    dispatch;
} DelayedFault;

static const char *fault_kinds[] = {
  "status", "delay", "close", "truncated", "wrong_types", "oversized",
  "deep", "invalid_utf8", "html", "lying_length", NULL
};

static void
fault_clear (gpointer data)
{
  SvcFault *f = data;

  g_free (f->method);
  g_free (f->path);
  g_free (f->kind);
  g_free (f->body);
  g_clear_pointer (&f->headers, json_object_unref);
}

static void
fault_unref (gpointer data)
{
  g_rc_box_release_full (data, fault_clear);
}

static void
stat_free (gpointer data)
{
  SvcStat *s = data;

  g_free (s->method);
  g_free (s->path);
  g_free (s);
}

static void
ensure_arrays (SvcServer *self)
{
  if (self->faults == NULL)
    self->faults = g_ptr_array_new_with_free_func (fault_unref);
  if (self->stats == NULL)
    self->stats = g_ptr_array_new_with_free_func (stat_free);
}

void
svc_hooks_free (SvcServer *self)
{
  g_clear_pointer (&self->faults, g_ptr_array_unref);
  g_clear_pointer (&self->stats, g_ptr_array_unref);
}

static void
send_ok (SoupServerMessage *msg)
{
  g_autoptr(JsonNode) root = svc_json_take_object (json_object_new ());

  json_object_set_boolean_member (json_node_get_object (root), "ok", TRUE);
  svc_send_json (msg, SOUP_STATUS_OK, root);
}

static void
send_bad_request (SoupServerMessage *msg,
                  const char        *message)
{
  svc_send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", message, NULL);
}

/* Reads an optional member of the expected type; FALSE if it has another. */
static gboolean
optional_member (JsonObject *obj,
                 const char *name,
                 GType       type,
                 JsonNode  **out_node)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out_node = NULL;
  if (node == NULL)
    return TRUE;
  if (type == JSON_TYPE_OBJECT)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return FALSE;
    }
  else if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return FALSE;

  *out_node = node;
  return TRUE;
}

static SvcFault *
parse_fault (JsonObject *obj)
{
  JsonNode *method, *path, *kind, *body, *headers, *count, *status, *delay;
  SvcFault *f;

  if (!optional_member (obj, "method", G_TYPE_STRING, &method) ||
      !optional_member (obj, "path", G_TYPE_STRING, &path) ||
      !optional_member (obj, "fault", G_TYPE_STRING, &kind) ||
      !optional_member (obj, "body", G_TYPE_STRING, &body) ||
      !optional_member (obj, "headers", JSON_TYPE_OBJECT, &headers) ||
      !optional_member (obj, "count", G_TYPE_INT64, &count) ||
      !optional_member (obj, "status", G_TYPE_INT64, &status) ||
      !optional_member (obj, "delay_ms", G_TYPE_INT64, &delay))
    return NULL;
  if (kind == NULL || !g_strv_contains (fault_kinds, json_node_get_string (kind)))
    return NULL;
  if ((count && (json_node_get_int (count) < 1 || json_node_get_int (count) > 100000)) ||
      (status && (json_node_get_int (status) < 100 || json_node_get_int (status) > 599)) ||
      (delay && (json_node_get_int (delay) < 0 || json_node_get_int (delay) > 600000)) ||
      (g_str_equal (json_node_get_string (kind), "status") && status == NULL))
    return NULL;

  f = g_rc_box_new0 (SvcFault);
  f->method = g_strdup (method ? json_node_get_string (method) : "*");
  f->path = g_strdup (path ? json_node_get_string (path) : "*");
  f->kind = g_strdup (json_node_get_string (kind));
  f->body = body ? g_strdup (json_node_get_string (body)) : NULL;
  f->headers = headers ? json_object_ref (json_node_get_object (headers)) : NULL;
  f->count = count ? (guint) json_node_get_int (count) : 1;
  f->status = status ? (guint) json_node_get_int (status) : 0;
  f->delay_ms = delay ? (guint) json_node_get_int (delay) : 0;

  return f;
}

void
svc_hooks_faults (SvcServer         *self,
                  SoupServerMessage *msg)
{
  g_autoptr(JsonObject) obj = NULL;
  SvcFault *f;

  ensure_arrays (self);
  if (g_str_equal (soup_server_message_get_method (msg), "DELETE"))
    {
      g_ptr_array_set_size (self->faults, 0);
      send_ok (msg);
      return;
    }

  obj = svc_request_json_object (msg);
  f = obj ? parse_fault (obj) : NULL;
  if (f == NULL)
    {
      send_bad_request (msg, "Not a valid fault.");
      return;
    }

  g_ptr_array_add (self->faults, f);
  send_ok (msg);
}

/* Applying faults */

static void
add_fault_headers (SoupServerMessage *msg,
                   SvcFault          *fault)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (fault->headers == NULL)
    return;

  json_object_iter_init (&iter, fault->headers);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        soup_message_headers_replace (headers, name, json_node_get_string (value));
    }
}

static GBytes *
response_bytes (SoupServerMessage *msg)
{
  return soup_message_body_flatten (soup_server_message_get_response_body (msg));
}

/* Takes the connection over and writes a response whose body stops short
 * of its Content-Length, then closes. */
static void
send_short_and_close (SvcServer         *self,
                      SoupServerMessage *msg,
                      gboolean           half)
{
  g_autoptr(GBytes) bytes = response_bytes (msg);
  g_autoptr(GIOStream) stream = NULL;
  g_autofree char *head = NULL;
  GOutputStream *out;
  guint status = soup_server_message_get_status (msg);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  gsize claimed = half ? len : len + 100;
  gsize sent = half ? len / 2 : len;

  svc_hooks_record_stat (self, soup_server_message_get_method (msg),
                         g_uri_get_path (soup_server_message_get_uri (msg)), status);
  head = g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                          status, soup_status_get_phrase (status), claimed);
  stream = soup_server_message_steal_connection (msg);
  out = g_io_stream_get_output_stream (stream);
  if (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL) && sent > 0)
    g_output_stream_write_all (out, data, sent, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
}

static void
truncate_response (SoupServerMessage *msg)
{
  g_autoptr(GBytes) bytes = response_bytes (msg);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len < 2)
    return;
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, data, len / 2);
}

static JsonNode *
mistype (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GList) names = json_object_get_members (obj);

      for (GList *l = names; l != NULL; l = l->next)
        json_object_set_member (obj, l->data, mistype (json_object_get_member (obj, l->data)));
      return json_node_ref (node);
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    return json_node_init_string (json_node_alloc (), "not an array");
  if (JSON_NODE_HOLDS_NULL (node))
    return json_node_init_boolean (json_node_alloc (), TRUE);
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_init_int (json_node_alloc (), 42);

  return json_node_init_string (json_node_alloc (), "wrong type");
}

/* Keeps the response's shape but gives its members the wrong types. */
static void
mistype_response (SoupServerMessage *msg)
{
  g_autoptr(GBytes) bytes = response_bytes (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) mistyped = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL))
    return;

  mistyped = mistype (json_parser_get_root (parser));
  text = json_to_string (mistyped, FALSE);
  len = strlen (text);
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), len);
}

static void
send_generated (SoupServerMessage *msg,
                guint              status,
                const char        *content_type,
                GString           *body)
{
  gsize len = body->len;

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE,
                                    g_string_free (body, FALSE), len);
}

static void
send_oversized (SoupServerMessage *msg)
{
  GString *body = g_string_sized_new (OVERSIZED_BYTES + 32);

  g_string_append (body, "{\"padding\":\"");
  while (body->len < OVERSIZED_BYTES)
    g_string_append (body, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (body, "\"}");
  send_generated (msg, SOUP_STATUS_OK, "application/json", body);
}

static void
send_deep (SoupServerMessage *msg)
{
  GString *body = g_string_sized_new (DEEP_LEVELS + 1);

  for (guint i = 0; i < DEEP_LEVELS; i++)
    g_string_append_c (body, '[');
  send_generated (msg, SOUP_STATUS_OK, "application/json", body);
}

static void
send_invalid_utf8 (SoupServerMessage *msg)
{
  GString *body = g_string_new ("{\"id\":\"acc_\xff\xfe\xc3\x28\",\"email\":\"\xed\xa0\x80@x\"}");

  send_generated (msg, SOUP_STATUS_OK, "application/json", body);
}

static void
send_html (SoupServerMessage *msg)
{
  GString *body = g_string_new ("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>"
                                "</head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>\n");

  send_generated (msg, SOUP_STATUS_BAD_GATEWAY, "text/html", body);
}

static void
send_status (SoupServerMessage *msg,
             SvcFault          *fault)
{
  const char *body = fault->body;

  if (body == NULL)
    {
      svc_send_error (msg, fault->status, "injected_fault", "A scripted fault.", NULL);
      return;
    }

  soup_server_message_set_status (msg, fault->status, NULL);
  soup_server_message_set_response (msg,
                                    (body[0] == '{' || body[0] == '[') ? "application/json"
                                                                       : "text/plain",
                                    SOUP_MEMORY_COPY, body, strlen (body));
}

/* Runs @fault; returns FALSE when the connection was taken over. */
static gboolean
run_fault (SvcServer         *self,
           SoupServerMessage *msg,
           SvcFault          *fault,
           SvcDispatchFunc    dispatch)
{
  const char *kind = fault->kind;
  gboolean real = g_str_equal (kind, "delay") || g_str_equal (kind, "close") ||
                  g_str_equal (kind, "truncated") || g_str_equal (kind, "wrong_types") ||
                  g_str_equal (kind, "lying_length");

  if (real)
    dispatch (self, msg);
  add_fault_headers (msg, fault);

  if (g_str_equal (kind, "close") || g_str_equal (kind, "lying_length"))
    {
      send_short_and_close (self, msg, g_str_equal (kind, "close"));
      return FALSE;
    }
  if (g_str_equal (kind, "truncated"))
    truncate_response (msg);
  else if (g_str_equal (kind, "wrong_types"))
    mistype_response (msg);
  else if (g_str_equal (kind, "status"))
    send_status (msg, fault);
  else if (g_str_equal (kind, "oversized"))
    send_oversized (msg);
  else if (g_str_equal (kind, "deep"))
    send_deep (msg);
  else if (g_str_equal (kind, "invalid_utf8"))
    send_invalid_utf8 (msg);
  else if (g_str_equal (kind, "html"))
    send_html (msg);

  return TRUE;
}

static gboolean
delayed_fault_cb (gpointer data)
{
  DelayedFault *d = data;

  if (run_fault (d->self, d->msg, d->fault, d->dispatch))
    soup_server_message_unpause (d->msg);

  g_object_unref (d->msg);
  fault_unref (d->fault);
  g_free (d);

  return G_SOURCE_REMOVE;
}

static SvcFault *
next_fault (SvcServer  *self,
            const char *method,
            const char *path)
{
  for (guint i = 0; self->faults != NULL && i < self->faults->len; i++)
    {
      SvcFault *f = g_ptr_array_index (self->faults, i);

      if ((g_str_equal (f->method, "*") || g_ascii_strcasecmp (f->method, method) == 0) &&
          g_pattern_match_simple (f->path, path))
        {
          SvcFault *taken = g_rc_box_acquire (f);

          if (--f->count == 0)
            g_ptr_array_remove_index (self->faults, i);
          return taken;
        }
    }

  return NULL;
}

/* Applies the next scripted fault matching the request, if any. */
gboolean
svc_hooks_take_fault (SvcServer         *self,
                      SoupServerMessage *msg,
                      const char        *path,
                      SvcDispatchFunc    dispatch)
{
  SvcFault *fault = next_fault (self, soup_server_message_get_method (msg), path);
  DelayedFault *d;

  if (fault == NULL)
    return FALSE;

  if (fault->delay_ms == 0)
    {
      run_fault (self, msg, fault, dispatch);
      fault_unref (fault);
      return TRUE;
    }

  d = g_new0 (DelayedFault, 1);
  d->self = self;
  d->msg = g_object_ref (msg);
  d->fault = fault;
  d->dispatch = dispatch;
  soup_server_message_pause (msg);
  g_timeout_add (fault->delay_ms, delayed_fault_cb, d);

  return TRUE;
}

/* Other hooks */

static SvcUser *
user_from_body (SvcServer         *self,
                SoupServerMessage *msg,
                JsonObject        *obj)
{
  JsonNode *email;
  SvcUser *user = NULL;

  if (obj != NULL && optional_member (obj, "email", G_TYPE_STRING, &email) && email != NULL)
    user = svc_state_find_user_by_email (self->state, json_node_get_string (email));
  if (user == NULL)
    svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is no such user.", NULL);

  return user;
}

void
svc_hooks_remote_change (SvcServer         *self,
                         SoupServerMessage *msg)
{
  static const char *sources[] = { "web", "mobile", "desktop", "api", "system", NULL };
  g_autoptr(JsonObject) obj = svc_request_json_object (msg);
  g_autoptr(JsonNode) node = NULL;
  JsonNode *id, *enabled, *source;
  SvcControl *control;
  SvcUser *user;

  if ((user = user_from_body (self, msg, obj)) == NULL)
    return;
  if (!optional_member (obj, "control_id", G_TYPE_STRING, &id) || id == NULL ||
      !optional_member (obj, "enabled", G_TYPE_BOOLEAN, &enabled) || enabled == NULL ||
      !optional_member (obj, "source", G_TYPE_STRING, &source) ||
      (source != NULL && !g_strv_contains (sources, json_node_get_string (source))))
    {
      send_bad_request (msg, "Expected control_id, enabled and a known source.");
      return;
    }

  control = svc_state_find_control (self->state, user, json_node_get_string (id));
  if (control == NULL)
    {
      svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is no such control.", NULL);
      return;
    }

  if (control->enabled != json_node_get_boolean (enabled))
    {
      svc_state_apply (self->state, control, json_node_get_boolean (enabled),
                       source ? json_node_get_string (source) : "web");
      if (!svc_save_or_fail (self, msg))
        return;
    }

  node = svc_control_to_json (self, user, control);
  svc_send_json (msg, SOUP_STATUS_OK, node);
}

void
svc_hooks_expire_tokens (SvcServer         *self,
                         SoupServerMessage *msg)
{
  g_autoptr(JsonObject) obj = svc_request_json_object (msg);
  g_autoptr(JsonNode) root = NULL;
  SvcUser *user;
  guint n;

  if ((user = user_from_body (self, msg, obj)) == NULL)
    return;

  n = svc_state_expire_tokens (self->state, user);
  if (!svc_save_or_fail (self, msg))
    return;

  root = svc_json_take_object (json_object_new ());
  json_object_set_int_member (json_node_get_object (root), "expired", n);
  svc_send_json (msg, SOUP_STATUS_OK, root);
}

void
svc_hooks_record_stat (SvcServer  *self,
                       const char *method,
                       const char *path,
                       guint       status)
{
  SvcStat *s;

  ensure_arrays (self);
  if (self->stats->len >= STATS_MAX)
    return;

  s = g_new0 (SvcStat, 1);
  s->method = g_strdup (method);
  s->path = g_strdup (path);
  s->status = status;
  g_ptr_array_add (self->stats, s);
}

void
svc_hooks_stats (SvcServer         *self,
                 SoupServerMessage *msg)
{
  g_autoptr(JsonNode) root = NULL;
  JsonArray *requests;

  ensure_arrays (self);
  if (g_str_equal (soup_server_message_get_method (msg), "DELETE"))
    {
      g_ptr_array_set_size (self->stats, 0);
      send_ok (msg);
      return;
    }

  requests = json_array_new ();
  for (guint i = 0; i < self->stats->len; i++)
    {
      SvcStat *s = g_ptr_array_index (self->stats, i);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "method", s->method);
      json_object_set_string_member (obj, "path", s->path);
      json_object_set_int_member (obj, "status", s->status);
      json_array_add_object_element (requests, obj);
    }
  root = svc_json_take_object (json_object_new ());
  json_object_set_array_member (json_node_get_object (root), "requests", requests);
  svc_send_json (msg, SOUP_STATUS_OK, root);
}
