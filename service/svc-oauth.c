/* svc-oauth.c: OAuth 2.0 device authorization (RFC 8628), refresh-token
 * rotation, revocation (RFC 7009) and the verification page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-service"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sys/random.h>

#include "svc-http.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define SLOW_DOWN_STEP 5
#define REFRESH_LIFETIME (30 * 24 * 60 * 60)
#define MAX_DEVICES 1000
/* Polls that arrive this much early still count as on time (network jitter). */
#define POLL_TOLERANCE_US (100 * 1000)

typedef enum
{
  DEVICE_PENDING,
  DEVICE_APPROVED,
  DEVICE_DENIED,
} DeviceStatus;

typedef enum
{
  APPROVE_OK,
  APPROVE_UNKNOWN_CODE,
  APPROVE_UNKNOWN_USER,
} ApproveResult;

typedef struct
{
  char         *device_code;
  char         *user_code;
  char         *client_id;
  char         *user_id;
  DeviceStatus  status;
  gint64        expires_at;  /* monotonic µs */
  gint64        last_poll;   /* monotonic µs, 0 before the first poll */
  guint         interval;
} SvcDevice;

static void
device_free (gpointer data)
{
  SvcDevice *d = data;

  g_free (d->device_code);
  g_free (d->user_code);
  g_free (d->client_id);
  g_free (d->user_id);
  g_free (d);
}

void
svc_oauth_free_devices (SvcServer *self)
{
  g_clear_pointer (&self->devices, g_ptr_array_unref);
}

static void
ensure_devices (SvcServer *self)
{
  if (self->devices == NULL)
    self->devices = g_ptr_array_new_with_free_func (device_free);
}

static void
prune_devices (SvcServer *self)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = self->devices->len; i > 0; i--)
    {
      SvcDevice *d = g_ptr_array_index (self->devices, i - 1);

      if (d->expires_at + 60 * G_USEC_PER_SEC < now)
        g_ptr_array_remove_index (self->devices, i - 1);
    }
}

static char *
new_user_code (void)
{
  static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
  guint8 bytes[8] = { 0 };
  GString *code = g_string_new (NULL);

  while (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    ;
  for (guint i = 0; i < sizeof bytes; i++)
    {
      if (i == 4)
        g_string_append_c (code, '-');
      g_string_append_c (code, alphabet[bytes[i] % (sizeof alphabet - 1)]);
    }

  return g_string_free (code, FALSE);
}

/* "bcdf ghjk" and "BCDF-GHJK" are the same code. */
static char *
normalize_user_code (const char *input)
{
  GString *code = g_string_new (NULL);

  for (const char *p = input ? input : ""; *p && code->len < 16; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (code, g_ascii_toupper (*p));
  if (code->len == 8)
    g_string_insert_c (code, 4, '-');

  return g_string_free (code, FALSE);
}

static SvcDevice *
find_device_by_user_code (SvcServer  *self,
                          const char *user_code)
{
  g_autofree char *code = normalize_user_code (user_code);
  gint64 now = g_get_monotonic_time ();

  ensure_devices (self);
  for (guint i = 0; i < self->devices->len; i++)
    {
      SvcDevice *d = g_ptr_array_index (self->devices, i);

      if (g_str_equal (d->user_code, code) && d->expires_at > now)
        return d;
    }

  return NULL;
}

static const char *
form_value (GHashTable *form,
            const char *name)
{
  return form != NULL ? g_hash_table_lookup (form, name) : NULL;
}

void
svc_oauth_device_authorization (SvcServer         *self,
                                SoupServerMessage *msg)
{
  g_autoptr(GHashTable) form = svc_request_form (msg);
  const char *client_id = form_value (form, "client_id");
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *complete = NULL;
  JsonObject *obj;
  SvcDevice *d;

  if (client_id == NULL || client_id[0] == '\0')
    {
      svc_send_oauth_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                            "client_id is required.");
      return;
    }

  ensure_devices (self);
  prune_devices (self);
  if (self->devices->len >= MAX_DEVICES)
    {
      svc_send_oauth_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "slow_down",
                            "Too many pending authorizations.");
      return;
    }

  d = g_new0 (SvcDevice, 1);
  d->device_code = svc_random_string ("dev_", 24);
  d->user_code = new_user_code ();
  d->client_id = g_strdup (client_id);
  d->status = DEVICE_PENDING;
  d->expires_at = g_get_monotonic_time () + (gint64) self->options.device_lifetime * G_USEC_PER_SEC;
  d->interval = self->options.device_interval;
  g_ptr_array_add (self->devices, d);

  uri = g_strdup_printf ("%s/device", self->base_url);
  complete = g_strdup_printf ("%s?user_code=%s", uri, d->user_code);
  root = svc_json_take_object (json_object_new ());
  obj = json_node_get_object (root);
  json_object_set_string_member (obj, "device_code", d->device_code);
  json_object_set_string_member (obj, "user_code", d->user_code);
  json_object_set_string_member (obj, "verification_uri", uri);
  json_object_set_string_member (obj, "verification_uri_complete", complete);
  json_object_set_int_member (obj, "expires_in", self->options.device_lifetime);
  json_object_set_int_member (obj, "interval", d->interval);
  svc_send_json (msg, SOUP_STATUS_OK, root);
}

/* Issues a new access and refresh token for @user and answers with them. */
static void
send_token_pair (SvcServer         *self,
                 SoupServerMessage *msg,
                 SvcUser           *user)
{
  g_autofree char *access = svc_state_issue_token (self->state, user, "access",
                                                   self->options.token_lifetime);
  g_autofree char *refresh = svc_state_issue_token (self->state, user, "refresh",
                                                    REFRESH_LIFETIME);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;

  if (!svc_save_or_fail (self, msg))
    return;

  root = svc_json_take_object (json_object_new ());
  obj = json_node_get_object (root);
  json_object_set_string_member (obj, "access_token", access);
  json_object_set_string_member (obj, "token_type", "Bearer");
  json_object_set_int_member (obj, "expires_in", self->options.token_lifetime);
  json_object_set_string_member (obj, "refresh_token", refresh);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  svc_send_json (msg, SOUP_STATUS_OK, root);
}

static SvcDevice *
find_device_by_code (SvcServer  *self,
                     const char *device_code,
                     guint      *out_index)
{
  SvcDevice *found = NULL;

  ensure_devices (self);
  for (guint i = 0; i < self->devices->len; i++)
    {
      SvcDevice *d = g_ptr_array_index (self->devices, i);

      if (svc_hash_equal (d->device_code, device_code) && found == NULL)
        {
          found = d;
          *out_index = i;
        }
    }

  return found;
}

/* The device grant's answer for a poll that is too early, or NULL. */
static const char *
poll_too_early (SvcDevice *d)
{
  gint64 now = g_get_monotonic_time ();
  gint64 min_gap = (gint64) d->interval * G_USEC_PER_SEC - POLL_TOLERANCE_US;
  gboolean early = d->last_poll != 0 && now - d->last_poll < min_gap;

  d->last_poll = now;
  if (!early)
    return NULL;

  d->interval += SLOW_DOWN_STEP;
  return "slow_down";
}

/* The error a poll gets, or NULL when the grant is approved. */
static const char *
device_poll_error (SvcDevice  *d,
                   const char *client_id)
{
  if (client_id == NULL || client_id[0] == '\0')
    return "invalid_request";
  if (d == NULL || !g_str_equal (d->client_id, client_id))
    return "invalid_grant";
  if (d->expires_at <= g_get_monotonic_time ())
    return "expired_token";
  if (poll_too_early (d) != NULL)
    return "slow_down";
  if (d->status == DEVICE_DENIED)
    return "access_denied";
  if (d->status == DEVICE_PENDING)
    return "authorization_pending";

  return NULL;
}

static void
grant_device_code (SvcServer         *self,
                   SoupServerMessage *msg,
                   GHashTable        *form)
{
  const char *code = form_value (form, "device_code");
  const char *error;
  SvcDevice *d;
  SvcUser *user;
  guint index = 0;

  d = code ? find_device_by_code (self, code, &index) : NULL;
  error = device_poll_error (d, form_value (form, "client_id"));
  if (error != NULL)
    {
      svc_send_oauth_error (msg, SOUP_STATUS_BAD_REQUEST, error, error);
      return;
    }

  /* A device code gives one pair of tokens. */
  user = svc_state_find_user (self->state, d->user_id);
  g_ptr_array_remove_index (self->devices, index);
  if (user == NULL)
    svc_send_oauth_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant", "Unknown user.");
  else
    send_token_pair (self, msg, user);
}

static void
grant_refresh_token (SvcServer         *self,
                     SoupServerMessage *msg,
                     GHashTable        *form)
{
  const char *refresh = form_value (form, "refresh_token");
  SvcToken *t = refresh ? svc_state_lookup_token (self->state, refresh, "refresh") : NULL;
  SvcUser *user = t ? svc_state_find_user (self->state, t->user_id) : NULL;

  if (user == NULL)
    {
      svc_send_oauth_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_grant",
                            "The refresh token is unknown, expired, used or revoked.");
      return;
    }

  /* Rotation: a refresh token works once. */
  svc_state_remove_token (self->state, refresh);
  send_token_pair (self, msg, user);
}

void
svc_oauth_token (SvcServer         *self,
                 SoupServerMessage *msg)
{
  g_autoptr(GHashTable) form = svc_request_form (msg);
  const char *grant_type = form_value (form, "grant_type");

  if (g_strcmp0 (grant_type, DEVICE_GRANT) == 0)
    grant_device_code (self, msg, form);
  else if (g_strcmp0 (grant_type, "refresh_token") == 0)
    grant_refresh_token (self, msg, form);
  else if (grant_type == NULL)
    svc_send_oauth_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                          "grant_type is required.");
  else
    svc_send_oauth_error (msg, SOUP_STATUS_BAD_REQUEST, "unsupported_grant_type",
                          "This grant type is not supported.");
}

void
svc_oauth_revoke (SvcServer         *self,
                  SoupServerMessage *msg)
{
  g_autoptr(GHashTable) form = svc_request_form (msg);
  const char *token = form_value (form, "token");
  g_autoptr(JsonNode) root = svc_json_take_object (json_object_new ());

  if (token != NULL && svc_state_remove_token (self->state, token) &&
      !svc_save_or_fail (self, msg))
    return;

  svc_send_json (msg, SOUP_STATUS_OK, root);
}

/* Approval, from the page or from the test hook */

static ApproveResult
approve_device (SvcServer  *self,
                const char *user_code,
                const char *email,
                gboolean    approve)
{
  SvcDevice *d = find_device_by_user_code (self, user_code);
  SvcUser *user = svc_state_find_user_by_email (self->state, email);

  if (d == NULL || d->status != DEVICE_PENDING)
    return APPROVE_UNKNOWN_CODE;
  if (user == NULL)
    return APPROVE_UNKNOWN_USER;

  d->status = approve ? DEVICE_APPROVED : DEVICE_DENIED;
  g_free (d->user_id);
  d->user_id = g_strdup (user->id);

  return APPROVE_OK;
}

static const char *
string_member (JsonObject *obj,
               const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

void
svc_oauth_test_approve (SvcServer         *self,
                        SoupServerMessage *msg)
{
  g_autoptr(JsonObject) obj = svc_request_json_object (msg);
  g_autoptr(JsonNode) root = NULL;
  const char *code = string_member (obj, "user_code");
  const char *email = string_member (obj, "email");
  JsonNode *approve_node = obj ? json_object_get_member (obj, "approve") : NULL;
  gboolean approve = TRUE;

  if (approve_node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (approve_node) ||
          json_node_get_value_type (approve_node) != G_TYPE_BOOLEAN)
        code = NULL;
      else
        approve = json_node_get_boolean (approve_node);
    }

  if (code == NULL || email == NULL)
    {
      svc_send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                      "Expected user_code, email and approve.", NULL);
      return;
    }

  switch (approve_device (self, code, email, approve))
    {
    case APPROVE_OK:
      root = svc_json_take_object (json_object_new ());
      json_object_set_boolean_member (json_node_get_object (root), "ok", TRUE);
      svc_send_json (msg, SOUP_STATUS_OK, root);
      break;
    case APPROVE_UNKNOWN_USER:
      svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is no such user.", NULL);
      break;
    case APPROVE_UNKNOWN_CODE:
    default:
      svc_send_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                      "The code is unknown, expired or already used.", NULL);
      break;
    }
}

/* The verification page: plain HTML, a form, no scripts */

static void
page_start (GString    *html,
            const char *title)
{
  g_autofree char *escaped = g_markup_escape_text (title, -1);

  g_string_append_printf (html,
                          "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
                          "<meta name=\"viewport\" content=\"width=device-width\">\n"
                          "<title>%s</title>\n"
                          "<style>body{font-family:sans-serif;max-width:32em;margin:3em auto;"
                          "padding:0 1em}.code{font-size:2em;letter-spacing:.1em;"
                          "font-family:monospace}</style>\n"
                          "</head>\n<body>\n<h1>%s</h1>\n", escaped, escaped);
}

static void
append_paragraph (GString    *html,
                  const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_string_append_printf (html, "<p>%s</p>\n", escaped);
}

static void
append_user_select (SvcServer *self,
                    GString   *html)
{
  g_autofree char *label = g_markup_escape_text (_("Signed in as"), -1);

  g_string_append_printf (html, "<p><label>%s<br>\n<select name=\"email\">\n", label);
  for (guint i = 0; i < self->state->users->len; i++)
    {
      SvcUser *u = g_ptr_array_index (self->state->users, i);
      g_autofree char *email = g_markup_escape_text (u->email, -1);
      g_autofree char *name = g_markup_escape_text (u->display_name, -1);
      g_autofree char *plan = g_markup_escape_text (u->plan, -1);

      g_string_append_printf (html, "<option value=\"%s\">%s &lt;%s&gt; (%s)</option>\n",
                              email, name, email, plan);
    }
  g_string_append (html, "</select></label></p>\n");
}

static void
append_form (SvcServer  *self,
             GString    *html,
             const char *user_code)
{
  g_autofree char *code = NULL;
  g_autofree char *code_label = g_markup_escape_text (_("Code shown by the app"), -1);
  g_autofree char *approve = g_markup_escape_text (_("Approve"), -1);
  g_autofree char *deny = g_markup_escape_text (_("Deny"), -1);

  if (user_code != NULL && (!g_utf8_validate (user_code, -1, NULL) || strlen (user_code) > 64))
    user_code = NULL;
  code = g_markup_escape_text (user_code ? user_code : "", -1);

  if (user_code != NULL && find_device_by_user_code (self, user_code) != NULL)
    {
      append_paragraph (html, _("Check that this code is the one the app shows, then approve "
                                "to let it see and change your data controls."));
      g_string_append_printf (html, "<p class=\"code\">%s</p>\n", code);
    }
  else
    append_paragraph (html, _("Enter the code the app shows."));

  g_string_append (html, "<form method=\"post\" action=\"/device\">\n");
  g_string_append_printf (html, "<p><label>%s<br>\n<input name=\"user_code\" value=\"%s\" "
                          "autocomplete=\"off\" required></label></p>\n", code_label, code);
  append_user_select (self, html);
  g_string_append_printf (html, "<p><button type=\"submit\" name=\"action\" value=\"approve\">%s"
                          "</button>\n<button type=\"submit\" name=\"action\" value=\"deny\">%s"
                          "</button></p>\n</form>\n", approve, deny);
}

static void
send_page (SoupServerMessage *msg,
           guint              status,
           GString           *html)
{
  gsize len;

  g_string_append (html, "</body>\n</html>\n");
  len = html->len;
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (html, FALSE), len);
}

static void
device_page_post (SvcServer         *self,
                  SoupServerMessage *msg,
                  GString           *html)
{
  g_autoptr(GHashTable) form = svc_request_form (msg);
  const char *code = form_value (form, "user_code");
  const char *action = form_value (form, "action");
  gboolean approve = g_strcmp0 (action, "approve") == 0;

  if (code == NULL || (!approve && g_strcmp0 (action, "deny") != 0))
    {
      page_start (html, _("Connect a Device"));
      append_form (self, html, code);
      send_page (msg, SOUP_STATUS_BAD_REQUEST, html);
      return;
    }

  switch (approve_device (self, code, form_value (form, "email"), approve))
    {
    case APPROVE_OK:
      page_start (html, approve ? _("Device Connected") : _("Request Denied"));
      append_paragraph (html, approve ? _("You can close this page and return to the app.")
                                      : _("The app was not given access. You can close this page."));
      send_page (msg, SOUP_STATUS_OK, html);
      break;
    case APPROVE_UNKNOWN_USER:
      page_start (html, _("Unknown Account"));
      append_form (self, html, code);
      send_page (msg, SOUP_STATUS_BAD_REQUEST, html);
      break;
    case APPROVE_UNKNOWN_CODE:
    default:
      page_start (html, _("Code Not Valid"));
      append_paragraph (html, _("This code is unknown, has expired or was already used. "
                                "Start signing in again in the app."));
      send_page (msg, SOUP_STATUS_NOT_FOUND, html);
      break;
    }
}

void
svc_oauth_device_page (SvcServer         *self,
                       SoupServerMessage *msg)
{
  GString *html = g_string_new (NULL);
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) params = NULL;

  if (g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      device_page_post (self, msg, html);
      return;
    }

  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  page_start (html, _("Connect a Device"));
  append_form (self, html, form_value (params, "user_code"));
  send_page (msg, SOUP_STATUS_OK, html);
}
