/* svc-state.c: the reference service's model and its durable copy on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-service"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "abstain-json-scan.h"
#include "svc-json.h"
#include "svc-state.h"

#define STATE_VERSION 1
#define HISTORY_MAX 5000

/* Helpers */

gint64
svc_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

char *
svc_format_time (gint64 when)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (when);

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

char *
svc_random_string (const char *prefix,
                   gsize       n_bytes)
{
  g_autofree guint8 *bytes = g_malloc (n_bytes);
  GString *str = g_string_new (prefix);
  gsize done = 0;

  while (done < n_bytes)
    {
      ssize_t n = getrandom (bytes + done, n_bytes - done, 0);

      if (n < 0 && errno != EINTR)
        g_error ("No system randomness: %s", g_strerror (errno));
      if (n > 0)
        done += (gsize) n;
    }

  for (gsize i = 0; i < n_bytes; i++)
    g_string_append_printf (str, "%02x", bytes[i]);

  return g_string_free (str, FALSE);
}

char *
svc_sha256_hex (const char *data,
                gssize      len)
{
  if (len < 0)
    len = strlen (data);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);
}

/* Compares two hex digests in time independent of where they differ. */
gboolean
svc_hash_equal (const char *a,
                const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);
  guint8 diff = la != lb;

  for (gsize i = 0; i < la && i < lb; i++)
    diff |= (guint8) (a[i] ^ b[i]);

  return diff == 0;
}

/* Refuses, before json-glib sees it, whatever json-glib mishandles:
 * deep nesting, comments, single quotes, a second value after the first,
 * half surrogate pairs (see abstain-json-scan.c). */
gboolean
svc_json_depth_ok (const char *data,
                   guint       max_depth)
{
  return abstain_json_scan (data, strlen (data), max_depth) == ABSTAIN_JSON_SCAN_OK;
}

/* Freeing */

static void
membership_free (gpointer data)
{
  SvcMembership *m = data;

  g_free (m->org_id);
  g_free (m->role);
  g_free (m);
}

static void
user_free (gpointer data)
{
  SvcUser *u = data;

  g_free (u->id);
  g_free (u->email);
  g_free (u->display_name);
  g_free (u->plan);
  g_ptr_array_unref (u->memberships);
  g_free (u);
}

static void
org_free (gpointer data)
{
  SvcOrg *o = data;

  g_free (o->id);
  g_free (o->name);
  g_free (o);
}

static void
control_free (gpointer data)
{
  SvcControl *c = data;

  g_free (c->id);
  g_free (c->kind);
  g_free (c->owner);
  g_free (c);
}

static void
token_free (gpointer data)
{
  SvcToken *t = data;

  g_free (t->hash);
  g_free (t->kind);
  g_free (t->user_id);
  g_free (t);
}

static void
idempotency_free (gpointer data)
{
  SvcIdempotency *r = data;

  g_free (r->key);
  g_free (r->user_id);
  g_free (r->request_hash);
  g_free (r->body);
  g_free (r->etag);
  g_free (r);
}

static void
event_free (gpointer data)
{
  SvcEvent *e = data;

  g_free (e->control_id);
  g_free (e->kind);
  g_free (e->owner);
  g_free (e->source);
  g_free (e);
}

SvcState *
svc_state_new (const char *path)
{
  SvcState *state = g_new0 (SvcState, 1);

  state->path = g_strdup (path);
  state->users = g_ptr_array_new_with_free_func (user_free);
  state->orgs = g_ptr_array_new_with_free_func (org_free);
  state->controls = g_ptr_array_new_with_free_func (control_free);
  state->tokens = g_ptr_array_new_with_free_func (token_free);
  state->idempotency = g_ptr_array_new_with_free_func (idempotency_free);
  state->history = g_ptr_array_new_with_free_func (event_free);

  return state;
}

void
svc_state_free (SvcState *state)
{
  if (state == NULL)
    return;

  g_ptr_array_unref (state->users);
  g_ptr_array_unref (state->orgs);
  g_ptr_array_unref (state->controls);
  g_ptr_array_unref (state->tokens);
  g_ptr_array_unref (state->idempotency);
  g_ptr_array_unref (state->history);
  g_free (state->path);
  g_free (state);
}

/* Loading and validating */

typedef struct
{
  const char *file;
  GError     *error;
} Loader;

G_GNUC_PRINTF (3, 4) static void
loader_fail (Loader     *loader,
             const char *where,
             const char *format,
             ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  if (loader->error != NULL)
    return;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (&loader->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s: %s: %s", loader->file, where, msg);
}

static JsonNode *
loader_member (Loader     *loader,
               JsonObject *obj,
               const char *where,
               const char *name,
               GType       type)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    {
      loader_fail (loader, where, "missing member “%s”", name);
      return NULL;
    }
  if (type == JSON_TYPE_OBJECT && !JSON_NODE_HOLDS_OBJECT (node))
    loader_fail (loader, where, "“%s” is not an object", name);
  else if (type == JSON_TYPE_ARRAY && !JSON_NODE_HOLDS_ARRAY (node))
    loader_fail (loader, where, "“%s” is not an array", name);
  else if ((type == G_TYPE_STRING || type == G_TYPE_INT64 || type == G_TYPE_BOOLEAN) &&
           (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type))
    loader_fail (loader, where, "“%s” has the wrong type", name);
  else
    return node;

  return NULL;
}

static char *
load_string (Loader      *loader,
             JsonObject  *obj,
             const char  *where,
             const char  *name,
             const char **allowed)
{
  JsonNode *node = loader_member (loader, obj, where, name, G_TYPE_STRING);
  const char *value;

  if (node == NULL)
    return NULL;

  value = json_node_get_string (node);
  if (value[0] == '\0' || strlen (value) > 65536)
    {
      loader_fail (loader, where, "“%s” is empty or too long", name);
      return NULL;
    }
  if (allowed != NULL && !g_strv_contains (allowed, value))
    {
      loader_fail (loader, where, "“%s” has the unknown value “%s”", name, value);
      return NULL;
    }

  return g_strdup (value);
}

static gint64
load_int (Loader     *loader,
          JsonObject *obj,
          const char *where,
          const char *name)
{
  JsonNode *node = loader_member (loader, obj, where, name, G_TYPE_INT64);
  gint64 value;

  if (node == NULL)
    return 0;

  value = json_node_get_int (node);
  if (value < 0)
    loader_fail (loader, where, "“%s” is negative", name);

  return value;
}

static gboolean
load_bool (Loader     *loader,
           JsonObject *obj,
           const char *where,
           const char *name)
{
  JsonNode *node = loader_member (loader, obj, where, name, G_TYPE_BOOLEAN);

  return node != NULL && json_node_get_boolean (node);
}

static const char *plans[] = { "free", "pro", "student", "team", "enterprise", NULL };
static const char *roles[] = { "admin", "member", NULL };
static const char *token_kinds[] = { "access", "refresh", NULL };
static const char *scopes[] = { "account", "organization", NULL };
static const char *sources[] = { "web", "mobile", "desktop", "api", "system", NULL };

typedef void (*LoadItemFunc) (Loader     *loader,
                              SvcState   *state,
                              JsonObject *obj,
                              const char *where);

static void
load_membership (Loader     *loader,
                 JsonObject *obj,
                 const char *where,
                 SvcUser    *user)
{
  SvcMembership *m = g_new0 (SvcMembership, 1);

  g_ptr_array_add (user->memberships, m);
  m->org_id = load_string (loader, obj, where, "organization_id", NULL);
  m->role = load_string (loader, obj, where, "role", roles);
}

static void
load_user (Loader     *loader,
           SvcState   *state,
           JsonObject *obj,
           const char *where)
{
  SvcUser *u = g_new0 (SvcUser, 1);
  JsonNode *node;

  u->memberships = g_ptr_array_new_with_free_func (membership_free);
  g_ptr_array_add (state->users, u);
  u->id = load_string (loader, obj, where, "id", NULL);
  u->email = load_string (loader, obj, where, "email", NULL);
  u->display_name = load_string (loader, obj, where, "display_name", NULL);
  u->plan = load_string (loader, obj, where, "plan", plans);
  node = loader_member (loader, obj, where, "memberships", JSON_TYPE_ARRAY);
  if (node == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (node), i);
      g_autofree char *item_where = g_strdup_printf ("%s.memberships[%u]", where, i);

      if (!JSON_NODE_HOLDS_OBJECT (item))
        loader_fail (loader, item_where, "not an object");
      else
        load_membership (loader, json_node_get_object (item), item_where, u);
    }
}

static void
load_org (Loader     *loader,
          SvcState   *state,
          JsonObject *obj,
          const char *where)
{
  SvcOrg *o = g_new0 (SvcOrg, 1);

  g_ptr_array_add (state->orgs, o);
  o->id = load_string (loader, obj, where, "id", NULL);
  o->name = load_string (loader, obj, where, "name", NULL);
}

static void
load_control (Loader     *loader,
              SvcState   *state,
              JsonObject *obj,
              const char *where)
{
  SvcControl *c = g_new0 (SvcControl, 1);
  g_autofree char *scope = NULL;

  g_ptr_array_add (state->controls, c);
  c->id = load_string (loader, obj, where, "id", NULL);
  c->kind = load_string (loader, obj, where, "kind", NULL);
  c->owner = load_string (loader, obj, where, "owner", NULL);
  scope = load_string (loader, obj, where, "scope", scopes);
  c->org_scope = g_strcmp0 (scope, "organization") == 0;
  c->enabled = load_bool (loader, obj, where, "enabled");
  c->revision = load_int (loader, obj, where, "revision");
  c->updated_at = load_int (loader, obj, where, "updated_at");
}

static void
load_token (Loader     *loader,
            SvcState   *state,
            JsonObject *obj,
            const char *where)
{
  SvcToken *t = g_new0 (SvcToken, 1);

  g_ptr_array_add (state->tokens, t);
  t->hash = load_string (loader, obj, where, "sha256", NULL);
  t->kind = load_string (loader, obj, where, "kind", token_kinds);
  t->user_id = load_string (loader, obj, where, "user_id", NULL);
  t->expires_at = load_int (loader, obj, where, "expires_at");
  if (t->hash != NULL && (strlen (t->hash) != 64 ||
                          strspn (t->hash, "0123456789abcdef") != 64))
    loader_fail (loader, where, "“sha256” is not a SHA-256 digest");
}

static void
load_idempotency (Loader     *loader,
                  SvcState   *state,
                  JsonObject *obj,
                  const char *where)
{
  SvcIdempotency *r = g_new0 (SvcIdempotency, 1);

  g_ptr_array_add (state->idempotency, r);
  r->key = load_string (loader, obj, where, "key", NULL);
  r->user_id = load_string (loader, obj, where, "user_id", NULL);
  r->request_hash = load_string (loader, obj, where, "request_sha256", NULL);
  r->status = (guint) load_int (loader, obj, where, "status");
  r->body = load_string (loader, obj, where, "body", NULL);
  r->etag = load_string (loader, obj, where, "etag", NULL);
  r->at = load_int (loader, obj, where, "at");
  if (r->status < 100 || r->status > 599)
    loader_fail (loader, where, "“status” is not an HTTP status");
}

static void
load_event (Loader     *loader,
            SvcState   *state,
            JsonObject *obj,
            const char *where)
{
  SvcEvent *e = g_new0 (SvcEvent, 1);

  g_ptr_array_add (state->history, e);
  e->control_id = load_string (loader, obj, where, "control_id", NULL);
  e->kind = load_string (loader, obj, where, "kind", NULL);
  e->owner = load_string (loader, obj, where, "owner", NULL);
  e->from = load_bool (loader, obj, where, "from");
  e->to = load_bool (loader, obj, where, "to");
  e->at = load_int (loader, obj, where, "at");
  e->source = load_string (loader, obj, where, "source", sources);
}

static void
load_list (Loader       *loader,
           SvcState     *state,
           JsonObject   *root,
           const char   *name,
           LoadItemFunc  func)
{
  JsonNode *node = loader_member (loader, root, "$", name, JSON_TYPE_ARRAY);
  JsonArray *array;

  if (node == NULL)
    return;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array) && loader->error == NULL; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      g_autofree char *where = g_strdup_printf ("$.%s[%u]", name, i);

      if (!JSON_NODE_HOLDS_OBJECT (item))
        loader_fail (loader, where, "not an object");
      else
        func (loader, state, json_node_get_object (item), where);
    }
}

/* Checks what single records cannot: references and unique ids. */
static void
check_references (Loader   *loader,
                  SvcState *state)
{
  for (guint i = 0; i < state->users->len && loader->error == NULL; i++)
    {
      SvcUser *u = g_ptr_array_index (state->users, i);
      g_autofree char *where = g_strdup_printf ("$.users[%u]", i);

      for (guint j = 0; j < i; j++)
        {
          SvcUser *other = g_ptr_array_index (state->users, j);

          if (g_str_equal (other->id, u->id) || g_str_equal (other->email, u->email))
            loader_fail (loader, where, "duplicate user");
        }
      for (guint j = 0; j < u->memberships->len; j++)
        {
          SvcMembership *m = g_ptr_array_index (u->memberships, j);

          if (svc_state_find_org (state, m->org_id) == NULL)
            loader_fail (loader, where, "unknown organization “%s”", m->org_id);
        }
    }

  for (guint i = 0; i < state->controls->len && loader->error == NULL; i++)
    {
      SvcControl *c = g_ptr_array_index (state->controls, i);
      g_autofree char *where = g_strdup_printf ("$.controls[%u]", i);

      if (c->org_scope ? svc_state_find_org (state, c->owner) == NULL
                       : svc_state_find_user (state, c->owner) == NULL)
        loader_fail (loader, where, "unknown owner “%s”", c->owner);
    }

  for (guint i = 0; i < state->tokens->len && loader->error == NULL; i++)
    {
      SvcToken *t = g_ptr_array_index (state->tokens, i);
      g_autofree char *where = g_strdup_printf ("$.tokens[%u]", i);

      if (svc_state_find_user (state, t->user_id) == NULL)
        loader_fail (loader, where, "unknown user “%s”", t->user_id);
    }
}

static gboolean
load_document (SvcState    *state,
               const char  *data,
               gsize        len,
               GError     **error)
{
  Loader loader = { state->path, NULL };
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;

  if (!g_utf8_validate (data, len, NULL) || memchr (data, '\0', len) != NULL)
    loader_fail (&loader, "$", "not UTF-8 text");
  else if (!svc_json_depth_ok (data, 32))
    loader_fail (&loader, "$", "not one JSON object, or nested too deeply");
  else if (!json_parser_load_from_data (parser, data, len, &local_error))
    loader_fail (&loader, "$", "not JSON: %s", local_error->message);
  else if (json_parser_get_root (parser) == NULL ||
           !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    loader_fail (&loader, "$", "not a JSON object");

  if (loader.error == NULL)
    {
      root = json_node_get_object (json_parser_get_root (parser));
      if (load_int (&loader, root, "$", "version") != STATE_VERSION && loader.error == NULL)
        loader_fail (&loader, "$", "unsupported version");
      load_list (&loader, state, root, "organizations", load_org);
      load_list (&loader, state, root, "users", load_user);
      load_list (&loader, state, root, "controls", load_control);
      load_list (&loader, state, root, "tokens", load_token);
      load_list (&loader, state, root, "idempotency", load_idempotency);
      load_list (&loader, state, root, "history", load_event);
    }
  if (loader.error == NULL)
    check_references (&loader, state);

  if (loader.error != NULL)
    {
      g_propagate_error (error, loader.error);
      return FALSE;
    }

  return TRUE;
}

/* Removes temporary files left behind by a write that was interrupted. */
static void
remove_stale_temporaries (SvcState *state)
{
  g_autofree char *dir = g_path_get_dirname (state->path);
  g_autofree char *base = g_path_get_basename (state->path);
  g_autofree char *prefix = g_strconcat (base, ".tmp-", NULL);
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  const char *name;

  while (gdir != NULL && (name = g_dir_read_name (gdir)))
    {
      if (g_str_has_prefix (name, prefix) && strlen (name) == strlen (prefix) + 6)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_unlink (path);
        }
    }
}

/**
 * svc_state_load:
 *
 * Reads the state file. A missing file is an empty state (@out_existed
 * FALSE); a file that does not parse or validate is an error naming the
 * file and the fault, and the file is left as it is.
 */
gboolean
svc_state_load (SvcState  *state,
                gboolean  *out_existed,
                GError   **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;

  *out_existed = FALSE;

  if (!g_file_get_contents (state->path, &data, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          remove_stale_temporaries (state);
          return TRUE;
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: %s", state->path, local_error->message);
      return FALSE;
    }

  *out_existed = TRUE;
  if (!load_document (state, data, len, error))
    return FALSE;

  remove_stale_temporaries (state);
  return TRUE;
}

/* Saving */

static JsonNode *
users_to_json (SvcState *state)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < state->users->len; i++)
    {
      SvcUser *u = g_ptr_array_index (state->users, i);
      JsonObject *obj = json_object_new ();
      JsonArray *members = json_array_new ();

      json_object_set_string_member (obj, "id", u->id);
      json_object_set_string_member (obj, "email", u->email);
      json_object_set_string_member (obj, "display_name", u->display_name);
      json_object_set_string_member (obj, "plan", u->plan);
      for (guint j = 0; j < u->memberships->len; j++)
        {
          SvcMembership *m = g_ptr_array_index (u->memberships, j);
          JsonObject *mo = json_object_new ();

          json_object_set_string_member (mo, "organization_id", m->org_id);
          json_object_set_string_member (mo, "role", m->role);
          json_array_add_object_element (members, mo);
        }
      json_object_set_array_member (obj, "memberships", members);
      json_array_add_object_element (array, obj);
    }

  return svc_json_take_array (array);
}

static JsonNode *
orgs_to_json (SvcState *state)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < state->orgs->len; i++)
    {
      SvcOrg *o = g_ptr_array_index (state->orgs, i);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "id", o->id);
      json_object_set_string_member (obj, "name", o->name);
      json_array_add_object_element (array, obj);
    }

  return svc_json_take_array (array);
}

static JsonNode *
controls_to_json (SvcState *state)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < state->controls->len; i++)
    {
      SvcControl *c = g_ptr_array_index (state->controls, i);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "id", c->id);
      json_object_set_string_member (obj, "kind", c->kind);
      json_object_set_string_member (obj, "owner", c->owner);
      json_object_set_string_member (obj, "scope", c->org_scope ? "organization" : "account");
      json_object_set_boolean_member (obj, "enabled", c->enabled);
      json_object_set_int_member (obj, "revision", c->revision);
      json_object_set_int_member (obj, "updated_at", c->updated_at);
      json_array_add_object_element (array, obj);
    }

  return svc_json_take_array (array);
}

static JsonNode *
tokens_to_json (SvcState *state)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < state->tokens->len; i++)
    {
      SvcToken *t = g_ptr_array_index (state->tokens, i);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "sha256", t->hash);
      json_object_set_string_member (obj, "kind", t->kind);
      json_object_set_string_member (obj, "user_id", t->user_id);
      json_object_set_int_member (obj, "expires_at", t->expires_at);
      json_array_add_object_element (array, obj);
    }

  return svc_json_take_array (array);
}

static JsonNode *
idempotency_to_json (SvcState *state)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < state->idempotency->len; i++)
    {
      SvcIdempotency *r = g_ptr_array_index (state->idempotency, i);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "key", r->key);
      json_object_set_string_member (obj, "user_id", r->user_id);
      json_object_set_string_member (obj, "request_sha256", r->request_hash);
      json_object_set_int_member (obj, "status", r->status);
      json_object_set_string_member (obj, "body", r->body);
      json_object_set_string_member (obj, "etag", r->etag);
      json_object_set_int_member (obj, "at", r->at);
      json_array_add_object_element (array, obj);
    }

  return svc_json_take_array (array);
}

static JsonNode *
history_to_json (SvcState *state)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < state->history->len; i++)
    {
      SvcEvent *e = g_ptr_array_index (state->history, i);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "control_id", e->control_id);
      json_object_set_string_member (obj, "kind", e->kind);
      json_object_set_string_member (obj, "owner", e->owner);
      json_object_set_boolean_member (obj, "from", e->from);
      json_object_set_boolean_member (obj, "to", e->to);
      json_object_set_int_member (obj, "at", e->at);
      json_object_set_string_member (obj, "source", e->source);
      json_array_add_object_element (array, obj);
    }

  return svc_json_take_array (array);
}

/* Drops what no request can use any more: expired access tokens and
 * idempotency records older than a day. */
static void
prune (SvcState *state)
{
  gint64 now = svc_now ();

  for (guint i = state->tokens->len; i > 0; i--)
    {
      SvcToken *t = g_ptr_array_index (state->tokens, i - 1);

      if (t->expires_at != 0 && t->expires_at + 60 < now)
        g_ptr_array_remove_index (state->tokens, i - 1);
    }
  for (guint i = state->idempotency->len; i > 0; i--)
    {
      SvcIdempotency *r = g_ptr_array_index (state->idempotency, i - 1);

      if (r->at + SVC_IDEMPOTENCY_SECONDS < now)
        g_ptr_array_remove_index (state->idempotency, i - 1);
    }
  if (state->history->len > HISTORY_MAX)
    g_ptr_array_remove_range (state->history, 0, state->history->len - HISTORY_MAX);
}

static char *
state_to_data (SvcState *state,
               gsize    *len)
{
  g_autoptr(JsonNode) root = svc_json_take_object (json_object_new ());
  JsonObject *obj = json_node_get_object (root);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_object_set_int_member (obj, "version", STATE_VERSION);
  json_object_set_member (obj, "organizations", orgs_to_json (state));
  json_object_set_member (obj, "users", users_to_json (state));
  json_object_set_member (obj, "controls", controls_to_json (state));
  json_object_set_member (obj, "tokens", tokens_to_json (state));
  json_object_set_member (obj, "idempotency", idempotency_to_json (state));
  json_object_set_member (obj, "history", history_to_json (state));
  json_generator_set_root (gen, root);

  return json_generator_to_data (gen, len);
}

static gboolean
write_all_fd (int          fd,
              const char  *data,
              gsize        len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }

  return TRUE;
}

static gboolean
fsync_directory (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);

  return ok;
}

/**
 * svc_state_save:
 *
 * Writes the whole state to a temporary file beside the state file, syncs
 * it, renames it over the state file and syncs the folder, so that a crash
 * at any instant leaves the old or the new state.
 */
gboolean
svc_state_save (SvcState  *state,
                GError   **error)
{
  g_autofree char *tmp = g_strconcat (state->path, ".tmp-XXXXXX", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  int fd;
  int saved_errno;

  prune (state);
  data = state_to_data (state, &len);

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    goto fail;
  if (!write_all_fd (fd, data, len) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp);
      errno = saved_errno;
      goto fail;
    }
  if (close (fd) != 0 || rename (tmp, state->path) != 0)
    {
      saved_errno = errno;
      g_unlink (tmp);
      errno = saved_errno;
      goto fail;
    }
  if (!fsync_directory (state->path))
    goto fail;

  return TRUE;

fail:
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not write %s: %s", state->path, g_strerror (saved_errno));
  return FALSE;
}

/* The demo seed */

typedef struct
{
  const char *id;
  const char *email;
  const char *name;
  const char *plan;
} SeedUser;

static const SeedUser seed_users[] = {
  { "acc_5kq2", "ada@example.org", "Ada Lovelace", "free" },
  { "acc_7hp4", "grace@example.org", "Grace Hopper", "pro" },
  { "acc_2sm8", "katherine@example.edu", "Katherine Johnson", "student" },
  { "acc_9tl3", "hedy@example.com", "Hedy Lamarr", "team" },
  { "acc_4ev6", "margaret@example.com", "Margaret Hamilton", "enterprise" },
};

static SvcControl *
add_control (SvcState   *state,
             const char *id,
             const char *kind,
             const char *owner,
             gboolean    org_scope,
             gboolean    enabled)
{
  SvcControl *c = g_new0 (SvcControl, 1);

  c->id = g_strdup (id);
  c->kind = g_strdup (kind);
  c->owner = g_strdup (owner);
  c->org_scope = org_scope;
  c->enabled = enabled;
  c->revision = 1;
  c->updated_at = svc_now ();
  g_ptr_array_add (state->controls, c);

  return c;
}

static void
add_org (SvcState   *state,
         const char *id,
         const char *name,
         gboolean    enabled)
{
  SvcOrg *o = g_new0 (SvcOrg, 1);
  g_autofree char *control_id = g_strconcat ("ctl_api_", id + strlen ("org_"), NULL);

  o->id = g_strdup (id);
  o->name = g_strdup (name);
  g_ptr_array_add (state->orgs, o);
  add_control (state, control_id, "api.anonymous_improvement", id, TRUE, enabled);
}

static void
add_membership (SvcUser    *user,
                const char *org_id,
                const char *role)
{
  SvcMembership *m = g_new0 (SvcMembership, 1);

  m->org_id = g_strdup (org_id);
  m->role = g_strdup (role);
  g_ptr_array_add (user->memberships, m);
}

gboolean
svc_state_is_demo_user (SvcUser *user)
{
  for (guint i = 0; i < G_N_ELEMENTS (seed_users); i++)
    if (g_str_equal (seed_users[i].email, user->email))
      return TRUE;

  return FALSE;
}

void
svc_state_seed_demo (SvcState *state)
{
  add_org (state, "org_9w1", "Analytical Engines", FALSE);
  add_org (state, "org_3kd", "Harvard Computation Lab", TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (seed_users); i++)
    {
      SvcUser *u = g_new0 (SvcUser, 1);
      gboolean opted_in = !g_str_equal (seed_users[i].plan, "team") &&
                          !g_str_equal (seed_users[i].plan, "enterprise");

      u->id = g_strdup (seed_users[i].id);
      u->email = g_strdup (seed_users[i].email);
      u->display_name = g_strdup (seed_users[i].name);
      u->plan = g_strdup (seed_users[i].plan);
      u->memberships = g_ptr_array_new_with_free_func (membership_free);
      g_ptr_array_add (state->users, u);
      add_control (state, "ctl_chat_training", "chat.training", u->id, FALSE, opted_in);
    }

  add_membership (g_ptr_array_index (state->users, 0), "org_9w1", "admin");
  add_membership (g_ptr_array_index (state->users, 0), "org_3kd", "member");
  add_membership (g_ptr_array_index (state->users, 1), "org_3kd", "admin");
}

/* Queries */

SvcUser *
svc_state_find_user (SvcState   *state,
                     const char *id)
{
  for (guint i = 0; i < state->users->len; i++)
    {
      SvcUser *u = g_ptr_array_index (state->users, i);

      if (g_strcmp0 (u->id, id) == 0)
        return u;
    }

  return NULL;
}

SvcUser *
svc_state_find_user_by_email (SvcState   *state,
                              const char *email)
{
  for (guint i = 0; i < state->users->len; i++)
    {
      SvcUser *u = g_ptr_array_index (state->users, i);

      if (email != NULL && g_ascii_strcasecmp (u->email, email) == 0)
        return u;
    }

  return NULL;
}

SvcOrg *
svc_state_find_org (SvcState   *state,
                    const char *id)
{
  for (guint i = 0; i < state->orgs->len; i++)
    {
      SvcOrg *o = g_ptr_array_index (state->orgs, i);

      if (g_strcmp0 (o->id, id) == 0)
        return o;
    }

  return NULL;
}

const char *
svc_user_role (SvcUser    *user,
               const char *org_id)
{
  for (guint i = 0; i < user->memberships->len; i++)
    {
      SvcMembership *m = g_ptr_array_index (user->memberships, i);

      if (g_strcmp0 (m->org_id, org_id) == 0)
        return m->role;
    }

  return NULL;
}

static gboolean
control_visible (SvcUser    *user,
                 SvcControl *control)
{
  if (control->org_scope)
    return svc_user_role (user, control->owner) != NULL;
  return g_str_equal (control->owner, user->id);
}

/* The user's controls: the account's first, then each organization's in
 * the order of the memberships. The array does not own them. */
GPtrArray *
svc_state_user_controls (SvcState *state,
                         SvcUser  *user)
{
  GPtrArray *result = g_ptr_array_new ();

  for (guint i = 0; i < state->controls->len; i++)
    {
      SvcControl *c = g_ptr_array_index (state->controls, i);

      if (!c->org_scope && g_str_equal (c->owner, user->id))
        g_ptr_array_add (result, c);
    }
  for (guint j = 0; j < user->memberships->len; j++)
    {
      SvcMembership *m = g_ptr_array_index (user->memberships, j);

      for (guint i = 0; i < state->controls->len; i++)
        {
          SvcControl *c = g_ptr_array_index (state->controls, i);

          if (c->org_scope && g_str_equal (c->owner, m->org_id))
            g_ptr_array_add (result, c);
        }
    }

  return result;
}

SvcControl *
svc_state_find_control (SvcState   *state,
                        SvcUser    *user,
                        const char *id_or_kind)
{
  for (guint i = 0; i < state->controls->len; i++)
    {
      SvcControl *c = g_ptr_array_index (state->controls, i);

      if (g_str_equal (c->id, id_or_kind) && control_visible (user, c))
        return c;
    }
  for (guint i = 0; i < state->controls->len; i++)
    {
      SvcControl *c = g_ptr_array_index (state->controls, i);

      if (g_str_equal (c->kind, id_or_kind) && control_visible (user, c))
        return c;
    }

  return NULL;
}

/* NULL when @user may change @control, else the protocol's locked_reason. */
const char *
svc_state_lock_reason (SvcState   *state,
                       SvcUser    *user,
                       SvcControl *control)
{
  if (control->org_scope)
    return g_strcmp0 (svc_user_role (user, control->owner), "admin") == 0 ? NULL : "role";

  if (g_str_equal (control->kind, "chat.training") &&
      (g_str_equal (user->plan, "team") || g_str_equal (user->plan, "enterprise")))
    return "plan_default";

  return NULL;
}

gboolean
svc_state_event_visible (SvcState *state,
                         SvcUser  *user,
                         SvcEvent *event)
{
  if (g_str_equal (event->owner, user->id))
    return TRUE;

  return svc_user_role (user, event->owner) != NULL;
}

/* Changes @control and records the change in the history. */
SvcEvent *
svc_state_apply (SvcState   *state,
                 SvcControl *control,
                 gboolean    enabled,
                 const char *source)
{
  SvcEvent *e = g_new0 (SvcEvent, 1);

  e->control_id = g_strdup (control->id);
  e->kind = g_strdup (control->kind);
  e->owner = g_strdup (control->owner);
  e->from = control->enabled;
  e->to = enabled;
  e->at = svc_now ();
  e->source = g_strdup (source);
  g_ptr_array_add (state->history, e);

  control->enabled = enabled;
  control->revision++;
  control->updated_at = e->at;

  return e;
}

/* Undoes svc_state_apply() when the change could not be saved. */
void
svc_state_unapply (SvcState   *state,
                   SvcControl *control,
                   SvcEvent   *event,
                   gint64      old_updated_at)
{
  control->enabled = event->from;
  control->revision--;
  control->updated_at = old_updated_at;
  g_ptr_array_remove (state->history, event);
}

/* Tokens */

char *
svc_state_issue_token (SvcState   *state,
                       SvcUser    *user,
                       const char *kind,
                       gint64      lifetime)
{
  SvcToken *t = g_new0 (SvcToken, 1);
  char *token = svc_random_string (g_str_equal (kind, "refresh") ? "abr_" : "aba_", 24);

  t->hash = svc_sha256_hex (token, -1);
  t->kind = g_strdup (kind);
  t->user_id = g_strdup (user->id);
  t->expires_at = lifetime > 0 ? svc_now () + lifetime : 0;
  g_ptr_array_add (state->tokens, t);

  return token;
}

static SvcToken *
find_token (SvcState   *state,
            const char *token,
            guint      *out_index)
{
  g_autofree char *hash = svc_sha256_hex (token, -1);
  SvcToken *found = NULL;

  /* Every stored hash is compared, in constant time, whatever matches. */
  for (guint i = 0; i < state->tokens->len; i++)
    {
      SvcToken *t = g_ptr_array_index (state->tokens, i);

      if (svc_hash_equal (t->hash, hash) && found == NULL)
        {
          found = t;
          *out_index = i;
        }
    }

  return found;
}

/* A token of that kind that has not expired, or NULL. */
SvcToken *
svc_state_lookup_token (SvcState   *state,
                        const char *token,
                        const char *kind)
{
  guint index;
  SvcToken *t = find_token (state, token, &index);

  if (t == NULL || !g_str_equal (t->kind, kind))
    return NULL;
  if (t->expires_at != 0 && t->expires_at <= svc_now ())
    return NULL;

  return t;
}

gboolean
svc_state_remove_token (SvcState   *state,
                        const char *token)
{
  guint index;

  if (find_token (state, token, &index) == NULL)
    return FALSE;

  g_ptr_array_remove_index (state->tokens, index);
  return TRUE;
}

guint
svc_state_expire_tokens (SvcState *state,
                         SvcUser  *user)
{
  gint64 now = svc_now ();
  guint n = 0;

  for (guint i = 0; i < state->tokens->len; i++)
    {
      SvcToken *t = g_ptr_array_index (state->tokens, i);

      if (g_str_equal (t->user_id, user->id) && g_str_equal (t->kind, "access"))
        {
          t->expires_at = now;
          n++;
        }
    }

  return n;
}

/* Idempotency records */

SvcIdempotency *
svc_state_find_idempotency (SvcState   *state,
                            SvcUser    *user,
                            const char *key)
{
  gint64 now = svc_now ();

  for (guint i = 0; i < state->idempotency->len; i++)
    {
      SvcIdempotency *r = g_ptr_array_index (state->idempotency, i);

      if (r->at + SVC_IDEMPOTENCY_SECONDS >= now &&
          g_str_equal (r->user_id, user->id) && g_str_equal (r->key, key))
        return r;
    }

  return NULL;
}

SvcIdempotency *
svc_state_add_idempotency (SvcState   *state,
                           SvcUser    *user,
                           const char *key,
                           const char *request_hash,
                           guint       status,
                           const char *body,
                           const char *etag)
{
  SvcIdempotency *r = g_new0 (SvcIdempotency, 1);

  r->key = g_strdup (key);
  r->user_id = g_strdup (user->id);
  r->request_hash = g_strdup (request_hash);
  r->status = status;
  r->body = g_strdup (body);
  r->etag = g_strdup (etag);
  r->at = svc_now ();
  g_ptr_array_add (state->idempotency, r);

  return r;
}

void
svc_state_remove_idempotency (SvcState       *state,
                              SvcIdempotency *record)
{
  g_ptr_array_remove (state->idempotency, record);
}
