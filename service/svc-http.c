/* svc-http.c: the reference service's HTTP side and its /v1 resources
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-service"

#include "config.h"

#include <string.h>

#include "svc-http.h"

#define MAX_JSON_DEPTH 64
#define HISTORY_DEFAULT 50
#define HISTORY_LIMIT 500

typedef void (*HandlerFunc) (SvcServer         *self,
                             SoupServerMessage *msg);

typedef struct
{
  const char  *path;
  gboolean     prefix;
  gboolean     test_hook;
  const char  *allow;
  HandlerFunc  get;
  HandlerFunc  post;
  HandlerFunc  patch;
  HandlerFunc  delete;
} Route;

static void handle_account       (SvcServer *self, SoupServerMessage *msg);
static void handle_controls      (SvcServer *self, SoupServerMessage *msg);
static void handle_control_get   (SvcServer *self, SoupServerMessage *msg);
static void handle_control_patch (SvcServer *self, SoupServerMessage *msg);
static void handle_history       (SvcServer *self, SoupServerMessage *msg);

static const Route routes[] = {
  { "/v1/account", FALSE, FALSE, "GET", handle_account, NULL, NULL, NULL },
  { "/v1/controls", FALSE, FALSE, "GET", handle_controls, NULL, NULL, NULL },
  { "/v1/controls/", TRUE, FALSE, "GET, PATCH", handle_control_get, NULL, handle_control_patch, NULL },
  { "/v1/history", FALSE, FALSE, "GET", handle_history, NULL, NULL, NULL },
  { "/oauth/device_authorization", FALSE, FALSE, "POST", NULL, svc_oauth_device_authorization, NULL, NULL },
  { "/oauth/token", FALSE, FALSE, "POST", NULL, svc_oauth_token, NULL, NULL },
  { "/oauth/revoke", FALSE, FALSE, "POST", NULL, svc_oauth_revoke, NULL, NULL },
  { "/device", FALSE, FALSE, "GET, POST", svc_oauth_device_page, svc_oauth_device_page, NULL, NULL },
  { "/_test/faults", FALSE, TRUE, "POST, DELETE", NULL, svc_hooks_faults, NULL, svc_hooks_faults },
  { "/_test/remote-change", FALSE, TRUE, "POST", NULL, svc_hooks_remote_change, NULL, NULL },
  { "/_test/expire-tokens", FALSE, TRUE, "POST", NULL, svc_hooks_expire_tokens, NULL, NULL },
  { "/_test/stats", FALSE, TRUE, "GET, DELETE", svc_hooks_stats, NULL, NULL, svc_hooks_stats },
  { "/_test/device/approve", FALSE, TRUE, "POST", NULL, svc_oauth_test_approve, NULL, NULL },
};

/* Responses */

static void
set_body (SoupServerMessage *msg,
          const char        *content_type,
          char              *data,
          gsize              len)
{
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, data, len);
}

void
svc_send_json (SoupServerMessage *msg,
               guint              status,
               JsonNode          *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  gsize len = 0;
  char *data;

  json_generator_set_root (gen, node);
  data = json_generator_to_data (gen, &len);
  soup_server_message_set_status (msg, status, NULL);
  set_body (msg, "application/json", data, len);
}

void
svc_send_error (SoupServerMessage *msg,
                guint              status,
                const char        *code,
                const char        *message,
                JsonNode          *control)
{
  g_autoptr(JsonNode) root = svc_json_take_object (json_object_new ());
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  if (control != NULL)
    json_object_set_member (error, "control", control);
  json_object_set_object_member (json_node_get_object (root), "error", error);
  svc_send_json (msg, status, root);
}

void
svc_send_oauth_error (SoupServerMessage *msg,
                      guint              status,
                      const char        *code,
                      const char        *description)
{
  g_autoptr(JsonNode) root = svc_json_take_object (json_object_new ());
  JsonObject *obj = json_node_get_object (root);

  json_object_set_string_member (obj, "error", code);
  json_object_set_string_member (obj, "error_description", description);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  svc_send_json (msg, status, root);
}

/* Requests */

/* The request body as text, or NULL when it is not UTF-8. */
char *
svc_request_text (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len > SVC_MAX_BODY || !g_utf8_validate (data ? data : "", len, NULL) ||
      memchr (data ? data : "", '\0', len) != NULL)
    return NULL;

  return g_strndup (data ? data : "", len);
}

GHashTable *
svc_request_form (SoupServerMessage *msg)
{
  g_autofree char *text = svc_request_text (msg);

  if (text == NULL)
    return NULL;

  return g_uri_parse_params (text, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
}

/* The request body as a JSON object (a new reference), or NULL. */
JsonObject *
svc_request_json_object (SoupServerMessage *msg)
{
  g_autofree char *text = svc_request_text (msg);
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (text == NULL || !svc_json_depth_ok (text, MAX_JSON_DEPTH))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

gboolean
svc_save_or_fail (SvcServer         *self,
                  SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;

  if (svc_state_save (self->state, &error))
    return TRUE;

  g_warning ("%s", error->message);
  svc_send_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "storage_failed",
                  "The change could not be stored.", NULL);
  return FALSE;
}

static const char *
request_header (SoupServerMessage *msg,
                const char        *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (msg), name);
}

static const char *
request_path (SoupServerMessage *msg)
{
  return g_uri_get_path (soup_server_message_get_uri (msg));
}

/* Authentication and rate limiting */

static gboolean
token_well_formed (const char *token)
{
  gsize len = strlen (token);

  if (len < 16 || len > 512)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (token[i] < 0x21 || token[i] > 0x7e)
      return FALSE;

  return TRUE;
}

static gboolean
rate_limited (SvcServer  *self,
              const char *hash)
{
  GQueue *times = g_hash_table_lookup (self->rates, hash);
  gint64 now = g_get_monotonic_time ();

  if (self->options.rate_limit == 0)
    return FALSE;

  if (times == NULL)
    {
      times = g_queue_new ();
      g_hash_table_insert (self->rates, g_strdup (hash), times);
    }
  while (!g_queue_is_empty (times) &&
         now - *(gint64 *) g_queue_peek_head (times) >= G_USEC_PER_SEC)
    g_free (g_queue_pop_head (times));

  if (g_queue_get_length (times) >= self->options.rate_limit)
    return TRUE;

  g_queue_push_tail (times, g_memdup2 (&now, sizeof now));
  return FALSE;
}

/* The user the request's bearer token belongs to; otherwise sends 401
 * (or 429) and returns NULL. */
static SvcUser *
authenticate (SvcServer         *self,
              SoupServerMessage *msg)
{
  const char *auth = request_header (msg, "Authorization");
  const char *token = NULL;
  SvcToken *t = NULL;

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    token = auth + 7;
  if (token != NULL && token_well_formed (token))
    t = svc_state_lookup_token (self->state, token, "access");

  if (t == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      svc_send_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                      "The access token is missing, unknown, expired or revoked.", NULL);
      return NULL;
    }

  if (rate_limited (self, t->hash))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "1");
      svc_send_error (msg, 429, "rate_limited",
                      "Too many requests; retry later.", NULL);
      return NULL;
    }

  return svc_state_find_user (self->state, t->user_id);
}

/* Resources */

JsonNode *
svc_control_to_json (SvcServer  *self,
                     SvcUser    *user,
                     SvcControl *c)
{
  JsonObject *obj = json_object_new ();
  const char *reason = svc_state_lock_reason (self->state, user, c);
  gboolean chat = g_str_equal (c->kind, "chat.training");
  g_autofree char *updated = svc_format_time (c->updated_at);

  json_object_set_string_member (obj, "id", c->id);
  json_object_set_string_member (obj, "kind", c->kind);
  json_object_set_string_member (obj, "product", chat ? "le_chat" : "la_plateforme");
  json_object_set_string_member (obj, "scope", c->org_scope ? "organization" : "account");
  if (c->org_scope)
    json_object_set_string_member (obj, "organization_id", c->owner);
  else
    json_object_set_null_member (obj, "organization_id");
  json_object_set_string_member (obj, "title", chat ? "Use my conversations to improve models"
                                                    : "Anonymous improvement data");
  json_object_set_string_member (obj, "description",
                                 chat ? "Prompts, answers and the documents you upload."
                                      : "Let API calls of this organization improve the services.");
  json_object_set_boolean_member (obj, "enabled", c->enabled);
  json_object_set_boolean_member (obj, "editable", reason == NULL);
  if (reason != NULL)
    json_object_set_string_member (obj, "locked_reason", reason);
  else
    json_object_set_null_member (obj, "locked_reason");
  json_object_set_int_member (obj, "revision", c->revision);
  json_object_set_string_member (obj, "updated_at", updated);

  return svc_json_take_object (obj);
}

static char *
control_etag (SvcControl *c)
{
  return g_strdup_printf ("\"%s-%" G_GINT64_FORMAT "\"", c->id, c->revision);
}

static void
handle_account (SvcServer         *self,
                SoupServerMessage *msg)
{
  SvcUser *user = authenticate (self, msg);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonArray *orgs;

  if (user == NULL)
    return;

  root = svc_json_take_object (json_object_new ());
  obj = json_node_get_object (root);
  orgs = json_array_new ();
  json_object_set_string_member (obj, "id", user->id);
  json_object_set_string_member (obj, "email", user->email);
  json_object_set_string_member (obj, "display_name", user->display_name);
  json_object_set_string_member (obj, "plan", user->plan);
  for (guint i = 0; i < user->memberships->len; i++)
    {
      SvcMembership *m = g_ptr_array_index (user->memberships, i);
      SvcOrg *org = svc_state_find_org (self->state, m->org_id);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "id", m->org_id);
      json_object_set_string_member (o, "name", org ? org->name : m->org_id);
      json_object_set_string_member (o, "role", m->role);
      json_array_add_object_element (orgs, o);
    }
  json_object_set_array_member (obj, "organizations", orgs);
  svc_send_json (msg, SOUP_STATUS_OK, root);
}

static gboolean
etag_listed (const char *header,
             const char *etag)
{
  g_auto(GStrv) parts = NULL;

  if (header == NULL)
    return FALSE;

  parts = g_strsplit (header, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);

      if (g_str_has_prefix (part, "W/"))
        part += 2;
      if (g_str_equal (part, etag) || g_str_equal (part, "*"))
        return TRUE;
    }

  return FALSE;
}

static void
handle_controls (SvcServer         *self,
                 SoupServerMessage *msg)
{
  SvcUser *user = authenticate (self, msg);
  g_autoptr(GPtrArray) controls = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) gen = NULL;
  g_autofree char *data = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *etag = NULL;
  JsonArray *array = json_array_new ();
  gint64 revision = 0;
  gsize len = 0;

  if (user == NULL)
    {
      json_array_unref (array);
      return;
    }

  controls = svc_state_user_controls (self->state, user);
  for (guint i = 0; i < controls->len; i++)
    {
      SvcControl *c = g_ptr_array_index (controls, i);

      revision += c->revision;
      json_array_add_element (array, svc_control_to_json (self, user, c));
    }
  root = svc_json_take_object (json_object_new ());
  json_object_set_int_member (json_node_get_object (root), "revision", revision);
  json_object_set_array_member (json_node_get_object (root), "controls", array);

  gen = json_generator_new ();
  json_generator_set_root (gen, root);
  data = json_generator_to_data (gen, &len);
  hash = svc_sha256_hex (data, len);
  etag = g_strdup_printf ("\"%.24s\"", hash);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  if (etag_listed (request_header (msg, "If-None-Match"), etag))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  set_body (msg, "application/json", g_steal_pointer (&data), len);
}

static void
send_control (SvcServer         *self,
              SoupServerMessage *msg,
              SvcUser           *user,
              SvcControl        *control)
{
  g_autoptr(JsonNode) node = svc_control_to_json (self, user, control);
  g_autofree char *etag = control_etag (control);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  svc_send_json (msg, SOUP_STATUS_OK, node);
}

static void
handle_control_get (SvcServer         *self,
                    SoupServerMessage *msg)
{
  SvcUser *user = authenticate (self, msg);
  const char *id = request_path (msg) + strlen ("/v1/controls/");
  SvcControl *control;

  if (user == NULL)
    return;

  control = svc_state_find_control (self->state, user, id);
  if (control == NULL || strchr (id, '/') != NULL || !g_str_equal (control->id, id))
    svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                    "There is no such control for this account.", NULL);
  else
    send_control (self, msg, user, control);
}

/* PATCH /v1/controls/{id} */

static gboolean
parse_patch_body (SoupServerMessage *msg,
                  gboolean          *out_enabled)
{
  g_autoptr(JsonObject) obj = svc_request_json_object (msg);
  JsonNode *node;

  if (obj == NULL)
    {
      svc_send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                      "The body is not a JSON object.", NULL);
      return FALSE;
    }

  node = json_object_get_member (obj, "enabled");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      svc_send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                      "The member “enabled” must be a boolean.", NULL);
      return FALSE;
    }

  *out_enabled = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
idempotency_key_valid (const char *key)
{
  gsize len = strlen (key);

  if (len == 0 || len > 255)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (key[i] < 0x21 || key[i] > 0x7e)
      return FALSE;

  return TRUE;
}

/* Answers a repeated request from its record; TRUE when it did. */
static gboolean
replay (SvcServer         *self,
        SoupServerMessage *msg,
        SvcUser           *user,
        const char        *key,
        const char        *request_hash)
{
  SvcIdempotency *record = svc_state_find_idempotency (self->state, user, key);

  if (record == NULL)
    return FALSE;

  if (!g_str_equal (record->request_hash, request_hash))
    {
      svc_send_error (msg, 422, "idempotency_mismatch",
                      "This Idempotency-Key was used for a different request.", NULL);
      return TRUE;
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "ETag", record->etag);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Idempotent-Replayed", "true");
  soup_server_message_set_status (msg, record->status, NULL);
  set_body (msg, "application/json", g_strdup (record->body), strlen (record->body));
  return TRUE;
}

/* Checks If-Match and the lock; sends the error and returns FALSE if the
 * change may not go ahead. */
static gboolean
check_preconditions (SvcServer         *self,
                     SoupServerMessage *msg,
                     SvcUser           *user,
                     SvcControl        *control)
{
  const char *if_match = request_header (msg, "If-Match");
  g_autofree char *etag = control_etag (control);

  if (if_match == NULL)
    {
      svc_send_error (msg, 428, "precondition_required",
                      "The request must carry If-Match with the control's ETag.", NULL);
      return FALSE;
    }
  if (svc_state_lock_reason (self->state, user, control) != NULL)
    {
      svc_send_error (msg, SOUP_STATUS_FORBIDDEN, "locked", "This control is locked.",
                      svc_control_to_json (self, user, control));
      return FALSE;
    }
  if (!etag_listed (if_match, etag))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
      svc_send_error (msg, SOUP_STATUS_PRECONDITION_FAILED, "conflict",
                      "The control changed since it was read.",
                      svc_control_to_json (self, user, control));
      return FALSE;
    }

  return TRUE;
}

/* Applies the change and its idempotency record, writes both to disk and
 * only then answers. */
static void
commit_patch (SvcServer         *self,
              SoupServerMessage *msg,
              SvcUser           *user,
              SvcControl        *control,
              gboolean           enabled,
              const char        *key,
              const char        *request_hash)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  g_autofree char *etag = NULL;
  SvcIdempotency *record = NULL;
  SvcEvent *event = NULL;
  gint64 old_updated_at = control->updated_at;
  gsize len;

  if (control->enabled != enabled)
    event = svc_state_apply (self->state, control, enabled, "desktop");

  node = svc_control_to_json (self, user, control);
  body = json_to_string (node, FALSE);
  etag = control_etag (control);
  if (key != NULL)
    record = svc_state_add_idempotency (self->state, user, key, request_hash,
                                        SOUP_STATUS_OK, body, etag);

  if (event != NULL || record != NULL)
    {
      if (!svc_save_or_fail (self, msg))
        {
          if (record != NULL)
            svc_state_remove_idempotency (self->state, record);
          if (event != NULL)
            svc_state_unapply (self->state, control, event, old_updated_at);
          return;
        }
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  len = strlen (body);
  set_body (msg, "application/json", g_steal_pointer (&body), len);
}

static void
handle_control_patch (SvcServer         *self,
                      SoupServerMessage *msg)
{
  SvcUser *user = authenticate (self, msg);
  const char *id = request_path (msg) + strlen ("/v1/controls/");
  const char *key = request_header (msg, "Idempotency-Key");
  g_autofree char *request_hash = NULL;
  g_autofree char *request_text = NULL;
  SvcControl *control;
  gboolean enabled = FALSE;

  if (user == NULL || !parse_patch_body (msg, &enabled))
    return;

  if (key != NULL && !idempotency_key_valid (key))
    {
      svc_send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                      "The Idempotency-Key is not valid.", NULL);
      return;
    }

  request_text = g_strdup_printf ("PATCH %s %s", id, enabled ? "true" : "false");
  request_hash = svc_sha256_hex (request_text, -1);
  if (key != NULL && replay (self, msg, user, key, request_hash))
    return;

  control = svc_state_find_control (self->state, user, id);
  if (control == NULL || !g_str_equal (control->id, id))
    {
      svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                      "There is no such control for this account.", NULL);
      return;
    }

  if (check_preconditions (self, msg, user, control))
    commit_patch (self, msg, user, control, enabled, key, request_hash);
}

static gboolean
parse_limit (SoupServerMessage *msg,
             guint             *out_limit)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) params = NULL;
  const char *value;
  guint64 limit;

  *out_limit = HISTORY_DEFAULT;
  if (query == NULL)
    return TRUE;

  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  value = params ? g_hash_table_lookup (params, "limit") : NULL;
  if (value == NULL)
    return params != NULL;
  if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT32, &limit, NULL))
    return FALSE;

  *out_limit = (guint) MIN (limit, HISTORY_LIMIT);
  return TRUE;
}

static JsonNode *
event_to_json (SvcEvent *e)
{
  JsonObject *obj = json_object_new ();
  g_autofree char *at = svc_format_time (e->at);

  json_object_set_string_member (obj, "control_id", e->control_id);
  json_object_set_string_member (obj, "kind", e->kind);
  json_object_set_boolean_member (obj, "from", e->from);
  json_object_set_boolean_member (obj, "to", e->to);
  json_object_set_string_member (obj, "at", at);
  json_object_set_string_member (obj, "source", e->source);

  return svc_json_take_object (obj);
}

static void
handle_history (SvcServer         *self,
                SoupServerMessage *msg)
{
  SvcUser *user = authenticate (self, msg);
  g_autoptr(JsonNode) root = NULL;
  JsonArray *events;
  guint limit;

  if (user == NULL)
    return;
  if (!parse_limit (msg, &limit))
    {
      svc_send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                      "The limit must be a positive integer.", NULL);
      return;
    }

  events = json_array_new ();
  for (guint i = self->state->history->len; i > 0 && json_array_get_length (events) < limit; i--)
    {
      SvcEvent *e = g_ptr_array_index (self->state->history, i - 1);

      if (svc_state_event_visible (self->state, user, e))
        json_array_add_element (events, event_to_json (e));
    }
  root = svc_json_take_object (json_object_new ());
  json_object_set_array_member (json_node_get_object (root), "events", events);
  svc_send_json (msg, SOUP_STATUS_OK, root);
}

/* Dispatch */

static const Route *
find_route (SvcServer  *self,
            const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const Route *r = &routes[i];

      if (r->test_hook && !self->options.test_hooks)
        continue;
      if (r->prefix ? (g_str_has_prefix (path, r->path) && path[strlen (r->path)] != '\0' &&
                       strchr (path + strlen (r->path), '/') == NULL)
                    : g_str_equal (path, r->path))
        return r;
    }

  return NULL;
}

static void
dispatch (SvcServer         *self,
          SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  const Route *route = find_route (self, request_path (msg));
  HandlerFunc handler = NULL;

  if (route == NULL)
    {
      svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is no such resource.", NULL);
      return;
    }

  if (g_str_equal (method, "GET"))
    handler = route->get;
  else if (g_str_equal (method, "POST"))
    handler = route->post;
  else if (g_str_equal (method, "PATCH"))
    handler = route->patch;
  else if (g_str_equal (method, "DELETE"))
    handler = route->delete;

  if (handler == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", route->allow);
      svc_send_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                      "This method is not allowed on this resource.", NULL);
      return;
    }

  handler (self, msg);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SvcServer *self = user_data;

  if (soup_server_message_get_status (msg) != 0)
    return;

  if (self->options.test_hooks && !g_str_has_prefix (path, "/_test/") &&
      svc_hooks_take_fault (self, msg, path, dispatch))
    return;

  dispatch (self, msg);
}

/* Refuses large or unbounded bodies before they are read. */
static void
early_callback (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > SVC_MAX_BODY)
    svc_send_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                    "The request body is larger than 64 KiB.", NULL);
  else if (encoding != SOUP_ENCODING_CONTENT_LENGTH && encoding != SOUP_ENCODING_NONE)
    svc_send_error (msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required",
                    "The request body must have a Content-Length.", NULL);
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  SvcServer *self = user_data;

  svc_hooks_record_stat (self, soup_server_message_get_method (msg), request_path (msg),
                         soup_server_message_get_status (msg));
}

static void
queue_free (gpointer data)
{
  g_queue_free_full (data, g_free);
}

SvcServer *
svc_server_new (SvcState         *state,
                const SvcOptions *options)
{
  SvcServer *self = g_new0 (SvcServer, 1);

  self->state = state;
  self->options = *options;
  /* Raw paths: ids are plain ASCII, and an encoded "/" or ".." is then
   * just an unknown id answered in JSON. */
  self->server = soup_server_new ("server-header", "abstain-service/" PACKAGE_VERSION,
                                  "raw-paths", TRUE, NULL);
  self->rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);

  soup_server_add_early_handler (self->server, NULL, early_callback, self, NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  if (options->test_hooks)
    g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished_cb), self);

  return self;
}

/* Listens on "HOST:PORT" (an IP address; port 0 picks a free one). */
gboolean
svc_server_listen (SvcServer   *self,
                   const char  *address,
                   GError     **error)
{
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *host = NULL;
  guint16 bound_port = 0;
  const char *colon = strrchr (address, ':');
  guint64 port = 0;

  g_return_val_if_fail (self->listener == NULL, FALSE);

  if (colon != NULL)
    {
      host = g_strndup (address, colon - address);
      if (host[0] == '[' && g_str_has_suffix (host, "]"))
        {
          char *inner = g_strndup (host + 1, strlen (host) - 2);
          g_free (host);
          host = inner;
        }
    }
  if (colon == NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL) ||
      (inet = g_inet_address_new_from_string (host)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address and port", address);
      return FALSE;
    }

  sockaddr = g_inet_socket_address_new (inet, (guint16) port);
  self->listener = svc_listener_new (self->server, sockaddr, &bound_port, error);
  if (self->listener == NULL)
    return FALSE;

  self->base_url = g_strdup_printf ("http://%s%s%s:%u",
                                    strchr (host, ':') ? "[" : "", host,
                                    strchr (host, ':') ? "]" : "",
                                    bound_port);
  return TRUE;
}

void
svc_server_free (SvcServer *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->listener, svc_listener_free);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  svc_hooks_free (self);
  svc_oauth_free_devices (self);
  g_hash_table_unref (self->rates);
  g_free (self->base_url);
  g_free (self);
}
