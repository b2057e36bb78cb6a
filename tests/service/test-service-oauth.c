/* test-service-oauth.c: the device authorization grant in each state,
 * the verification page, token expiry, refresh-token rotation and
 * revocation, over real sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-test"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "service-test.h"

#define DEVICE_GRANT "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"

typedef struct
{
  AbstainTestService *svc;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const char *const default_args[] = { "--device-interval=1", NULL };

  f->svc = abstain_test_service_new (data ? data : default_args);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->svc, abstain_test_service_free);
}

typedef struct
{
  char *device_code;
  char *user_code;
} Device;

static void
device_clear (Device *d)
{
  g_clear_pointer (&d->device_code, g_free);
  g_clear_pointer (&d->user_code, g_free);
}

static void
start_device (AbstainTestService *svc,
              Device             *out)
{
  g_autoptr(JsonObject) obj = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *complete = NULL;

  g_assert_cmpuint (svc_test_form (svc, "/oauth/device_authorization", "client_id=abstain-test",
                                   &obj), ==, 200);
  out->device_code = g_strdup (json_object_get_string_member (obj, "device_code"));
  out->user_code = g_strdup (json_object_get_string_member (obj, "user_code"));
  g_assert_cmpuint (strlen (out->user_code), ==, 9);
  g_assert_cmpint (out->user_code[4], ==, '-');
  uri = g_strconcat (abstain_test_service_get_url (svc), "/device", NULL);
  complete = g_strconcat (uri, "?user_code=", out->user_code, NULL);
  g_assert_cmpstr (json_object_get_string_member (obj, "verification_uri"), ==, uri);
  g_assert_cmpstr (json_object_get_string_member (obj, "verification_uri_complete"), ==, complete);
  g_assert_cmpint (json_object_get_int_member (obj, "interval"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (obj, "expires_in"), >, 0);
}

/* Polls the token endpoint once; returns the answer's "error", or NULL and
 * the tokens. */
static char *
poll_token (AbstainTestService  *svc,
            const char          *device_code,
            char               **out_access,
            char               **out_refresh)
{
  g_autofree char *escaped = g_uri_escape_string (device_code, NULL, TRUE);
  g_autofree char *form = g_strconcat ("grant_type=" DEVICE_GRANT "&device_code=", escaped,
                                       "&client_id=abstain-test", NULL);
  g_autoptr(JsonObject) obj = NULL;
  guint status = svc_test_form (svc, "/oauth/token", form, &obj);

  if (status == 200)
    {
      g_assert_cmpstr (json_object_get_string_member (obj, "token_type"), ==, "Bearer");
      g_assert_cmpint (json_object_get_int_member (obj, "expires_in"), >, 0);
      *out_access = g_strdup (json_object_get_string_member (obj, "access_token"));
      *out_refresh = g_strdup (json_object_get_string_member (obj, "refresh_token"));
      return NULL;
    }

  g_assert_cmpuint (status, ==, 400);
  return g_strdup (json_object_get_string_member (obj, "error"));
}

static char *
account_email (AbstainTestService *svc,
               const char         *token,
               guint              *out_status)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;

  *out_status = abstain_test_service_request (svc, "GET", "/v1/account", token, NULL, &body);
  if (*out_status != 200)
    return NULL;

  root = svc_test_parse (body);
  return g_strdup (json_object_get_string_member (json_node_get_object (root), "email"));
}

/* Signs in as @plan's user through the whole device flow. */
static void
sign_in (AbstainTestService  *svc,
         const char          *plan,
         char               **out_access,
         char               **out_refresh)
{
  Device d = { NULL, NULL };
  g_autofree char *error = NULL;

  start_device (svc, &d);
  error = poll_token (svc, d.device_code, out_access, out_refresh);
  g_assert_cmpstr (error, ==, "authorization_pending");
  abstain_test_service_device_approve (svc, d.user_code, plan, TRUE);
  g_usleep (1050 * 1000);
  g_clear_pointer (&error, g_free);
  error = poll_token (svc, d.device_code, out_access, out_refresh);
  g_assert_null (error);
  device_clear (&d);
}

static void
test_device_approved (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *email = NULL;
  guint status;

  sign_in (f->svc, "student", &access, &refresh);
  g_assert_true (strlen (access) >= 16 && strlen (access) <= 512);
  g_assert_cmpstr (access, !=, refresh);
  email = account_email (f->svc, access, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (email, ==, abstain_test_service_get_email (f->svc, "student"));

  /* A refresh token is not an access token. */
  g_assert_null (account_email (f->svc, refresh, &status));
  g_assert_cmpuint (status, ==, 401);

  /* The tokens are on disk only as hashes. */
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (abstain_test_service_get_state_file (f->svc), &contents,
                                        NULL, NULL));
    g_assert_null (strstr (contents, access));
    g_assert_null (strstr (contents, refresh));
    g_assert_null (strstr (contents, abstain_test_service_get_token (f->svc, "free")));
  }
}

static void
test_device_used_once (Fixture       *f,
                       gconstpointer  data)
{
  Device d = { NULL, NULL };
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *error = NULL;

  start_device (f->svc, &d);
  abstain_test_service_device_approve (f->svc, d.user_code, "pro", TRUE);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_null (error);
  g_usleep (1050 * 1000);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "invalid_grant");
  g_clear_pointer (&error, g_free);
  error = poll_token (f->svc, "dev_unknown", &access, &refresh);
  g_assert_cmpstr (error, ==, "invalid_grant");
  device_clear (&d);
}

static void
test_device_denied (Fixture       *f,
                    gconstpointer  data)
{
  Device d = { NULL, NULL };
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *error = NULL;

  start_device (f->svc, &d);
  abstain_test_service_device_approve (f->svc, d.user_code, "free", FALSE);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "access_denied");
  g_assert_null (access);
  device_clear (&d);
}

static void
test_device_slow_down (Fixture       *f,
                       gconstpointer  data)
{
  Device d = { NULL, NULL };
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *error = NULL;

  start_device (f->svc, &d);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "authorization_pending");
  g_clear_pointer (&error, g_free);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "slow_down");

  /* The interval grew by 5 s: polling after the old one is still too fast. */
  g_usleep (1100 * 1000);
  g_clear_pointer (&error, g_free);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "slow_down");
  device_clear (&d);
}

static void
test_device_expired (Fixture       *f,
                     gconstpointer  data)
{
  Device d = { NULL, NULL };
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *path = NULL;

  start_device (f->svc, &d);
  g_usleep (1500 * 1000);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "expired_token");

  /* Nobody can approve it any more. */
  path = g_strconcat ("/_test/device/approve", NULL);
  {
    g_autofree char *json = g_strdup_printf ("{\"user_code\":\"%s\",\"email\":\"%s\",\"approve\":true}",
                                             d.user_code,
                                             abstain_test_service_get_email (f->svc, "free"));

    g_assert_cmpuint (abstain_test_service_request (f->svc, "POST", path, NULL, json, &body), ==, 404);
  }
  device_clear (&d);
}

static void
test_device_bad_requests (Fixture       *f,
                          gconstpointer  data)
{
  static const struct { const char *path; const char *form; const char *error; } cases[] = {
    { "/oauth/device_authorization", "", "invalid_request" },
    { "/oauth/device_authorization", "client_id=", "invalid_request" },
    { "/oauth/device_authorization", "\xff\xfe", "invalid_request" },
    { "/oauth/token", "", "invalid_request" },
    { "/oauth/token", "grant_type=password&username=a&password=b", "unsupported_grant_type" },
    { "/oauth/token", "grant_type=" DEVICE_GRANT "&device_code=x", "invalid_request" },
    { "/oauth/token", "grant_type=refresh_token&refresh_token=abr_nope&client_id=x", "invalid_grant" },
    { "/oauth/token", "grant_type=refresh_token", "invalid_grant" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) obj = NULL;

      g_assert_cmpuint (svc_test_form (f->svc, cases[i].path, cases[i].form, &obj), ==, 400);
      g_assert_cmpstr (json_object_get_string_member (obj, "error"), ==, cases[i].error);
    }
}

static guint
get_page (AbstainTestService  *svc,
          const char          *method,
          const char          *path,
          const char          *form,
          char               **out_html)
{
  g_autoptr(GBytes) request = form ? g_bytes_new (form, strlen (form)) : NULL;
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  status = abstain_test_service_request_full (svc, method, path, NULL,
                                              "application/x-www-form-urlencoded", request,
                                              &headers, &body);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (headers, "content-type"), "text/html"));
  *out_html = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_true (g_utf8_validate (*out_html, -1, NULL));
  g_assert_null (strstr (*out_html, "<script"));

  return status;
}

static void
test_device_page (Fixture       *f,
                  gconstpointer  data)
{
  Device d = { NULL, NULL };
  g_autofree char *html = NULL;
  g_autofree char *path = NULL;
  g_autofree char *form = NULL;
  g_autofree char *email = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *error = NULL;
  g_autofree char *team_email = g_uri_escape_string (abstain_test_service_get_email (f->svc, "team"),
                                                     NULL, TRUE);
  guint status;

  start_device (f->svc, &d);
  path = g_strconcat ("/device?user_code=", d.user_code, NULL);
  g_assert_cmpuint (get_page (f->svc, "GET", path, NULL, &html), ==, 200);
  g_assert_nonnull (strstr (html, d.user_code));
  g_assert_nonnull (strstr (html, "<form method=\"post\""));
  g_assert_nonnull (strstr (html, "value=\"approve\""));
  g_assert_nonnull (strstr (html, "value=\"deny\""));
  g_assert_nonnull (strstr (html, abstain_test_service_get_email (f->svc, "team")));

  /* What it echoes is escaped. */
  g_clear_pointer (&html, g_free);
  g_assert_cmpuint (get_page (f->svc, "GET", "/device?user_code=%3Cb%3E%22x", NULL, &html), ==, 200);
  g_assert_null (strstr (html, "<b>"));
  g_assert_nonnull (strstr (html, "&lt;b&gt;&quot;x"));
  g_clear_pointer (&html, g_free);
  g_assert_cmpuint (get_page (f->svc, "GET", "/device?user_code=%FF%FE", NULL, &html), ==, 200);

  /* Approving with the form, typed in lower case with a space. */
  g_clear_pointer (&html, g_free);
  form = g_strdup_printf ("user_code=%c%c%c%c+%s&email=%s&action=approve",
                          g_ascii_tolower (d.user_code[0]), g_ascii_tolower (d.user_code[1]),
                          g_ascii_tolower (d.user_code[2]), g_ascii_tolower (d.user_code[3]),
                          d.user_code + 5, team_email);
  g_assert_cmpuint (get_page (f->svc, "POST", "/device", form, &html), ==, 200);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_null (error);
  email = account_email (f->svc, access, &status);
  g_assert_cmpstr (email, ==, abstain_test_service_get_email (f->svc, "team"));

  /* The code is spent. */
  g_clear_pointer (&html, g_free);
  g_assert_cmpuint (get_page (f->svc, "POST", "/device", form, &html), ==, 404);
  device_clear (&d);
}

static void
test_device_page_deny (Fixture       *f,
                       gconstpointer  data)
{
  Device d = { NULL, NULL };
  g_autofree char *html = NULL;
  g_autofree char *form = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *error = NULL;

  start_device (f->svc, &d);
  form = g_strdup_printf ("user_code=%s&email=nobody%%40example.org&action=approve", d.user_code);
  g_assert_cmpuint (get_page (f->svc, "POST", "/device", form, &html), ==, 400);
  g_clear_pointer (&form, g_free);
  g_clear_pointer (&html, g_free);
  form = g_strdup_printf ("user_code=%s&email=ada%%40example.org&action=deny", d.user_code);
  g_assert_cmpuint (get_page (f->svc, "POST", "/device", form, &html), ==, 200);
  error = poll_token (f->svc, d.device_code, &access, &refresh);
  g_assert_cmpstr (error, ==, "access_denied");
  device_clear (&d);
}

static guint
refresh_tokens (AbstainTestService  *svc,
                const char          *refresh,
                char               **out_access,
                char               **out_refresh)
{
  g_autofree char *escaped = g_uri_escape_string (refresh, NULL, TRUE);
  g_autofree char *form = g_strdup_printf ("grant_type=refresh_token&refresh_token=%s"
                                           "&client_id=abstain-test", escaped);
  g_autoptr(JsonObject) obj = NULL;
  guint status = svc_test_form (svc, "/oauth/token", form, &obj);

  if (status == 200)
    {
      *out_access = g_strdup (json_object_get_string_member (obj, "access_token"));
      *out_refresh = g_strdup (json_object_get_string_member (obj, "refresh_token"));
    }
  else
    g_assert_cmpstr (json_object_get_string_member (obj, "error"), ==, "invalid_grant");

  return status;
}

static void
test_refresh_rotation (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *access2 = NULL;
  g_autofree char *refresh2 = NULL;
  g_autofree char *access3 = NULL;
  g_autofree char *refresh3 = NULL;
  g_autofree char *email = NULL;
  guint status;

  sign_in (f->svc, "pro", &access, &refresh);
  g_assert_cmpuint (refresh_tokens (f->svc, refresh, &access2, &refresh2), ==, 200);
  g_assert_cmpstr (access2, !=, access);
  g_assert_cmpstr (refresh2, !=, refresh);
  email = account_email (f->svc, access2, &status);
  g_assert_cmpstr (email, ==, abstain_test_service_get_email (f->svc, "pro"));

  /* The rotated refresh token is spent, across a restart too. */
  g_assert_cmpuint (refresh_tokens (f->svc, refresh, &access3, &refresh3), ==, 400);
  abstain_test_service_restart (f->svc);
  g_assert_cmpuint (refresh_tokens (f->svc, refresh, &access3, &refresh3), ==, 400);
  g_assert_cmpuint (refresh_tokens (f->svc, refresh2, &access3, &refresh3), ==, 200);
  g_free (email);
  email = account_email (f->svc, access3, &status);
  g_assert_cmpuint (status, ==, 200);
}

static void
test_access_expiry (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *access2 = NULL;
  g_autofree char *refresh2 = NULL;
  g_autofree char *email = NULL;
  guint status;

  /* --token-lifetime=2: the service counts whole seconds, so a token lives
   * between 1 and 2 s, long enough for one request even under sanitizers. */
  sign_in (f->svc, "free", &access, &refresh);
  email = account_email (f->svc, access, &status);
  g_assert_cmpuint (status, ==, 200);
  g_usleep (3100 * 1000);
  g_assert_null (account_email (f->svc, access, &status));
  g_assert_cmpuint (status, ==, 401);

  /* The refresh token still works. */
  g_assert_cmpuint (refresh_tokens (f->svc, refresh, &access2, &refresh2), ==, 200);
  g_free (email);
  email = account_email (f->svc, access2, &status);
  g_assert_cmpuint (status, ==, 200);
}

static void
test_expire_hook (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *access2 = NULL;
  g_autofree char *refresh2 = NULL;
  g_autofree char *email = NULL;
  guint status;

  sign_in (f->svc, "free", &access, &refresh);
  abstain_test_service_expire_tokens (f->svc, "free");
  g_assert_null (account_email (f->svc, access, &status));
  g_assert_cmpuint (status, ==, 401);
  g_assert_null (account_email (f->svc, abstain_test_service_get_token (f->svc, "free"), &status));
  g_assert_cmpuint (status, ==, 401);
  email = account_email (f->svc, abstain_test_service_get_token (f->svc, "pro"), &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (refresh_tokens (f->svc, refresh, &access2, &refresh2), ==, 200);
}

static guint
revoke_token (AbstainTestService *svc,
        const char         *token)
{
  g_autofree char *escaped = g_uri_escape_string (token, NULL, TRUE);
  g_autofree char *form = g_strconcat ("token=", escaped, NULL);

  return svc_test_form (svc, "/oauth/revoke", form, NULL);
}

static void
test_revoke (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *access2 = NULL;
  g_autofree char *refresh2 = NULL;
  g_autofree char *email = NULL;
  guint status;

  sign_in (f->svc, "pro", &access, &refresh);
  g_assert_cmpuint (revoke_token (f->svc, access), ==, 200);
  g_assert_null (account_email (f->svc, access, &status));
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpuint (revoke_token (f->svc, refresh), ==, 200);
  g_assert_cmpuint (refresh_tokens (f->svc, refresh, &access2, &refresh2), ==, 400);

  /* Unknown, repeated or missing tokens: still 200. */
  g_assert_cmpuint (revoke_token (f->svc, access), ==, 200);
  g_assert_cmpuint (revoke_token (f->svc, "abr_never_issued_0000000000"), ==, 200);
  g_assert_cmpuint (svc_test_form (f->svc, "/oauth/revoke", "", NULL), ==, 200);

  /* A demo token can be revoked too. */
  g_assert_cmpuint (revoke_token (f->svc, abstain_test_service_get_token (f->svc, "student")), ==, 200);
  email = account_email (f->svc, abstain_test_service_get_token (f->svc, "student"), &status);
  g_assert_cmpuint (status, ==, 401);
}

int
main (int   argc,
      char *argv[])
{
  static const char *const expiring_code[] = { "--device-interval=1", "--device-code-lifetime=1", NULL };
  static const char *const short_tokens[] = { "--device-interval=1", "--token-lifetime=2", NULL };

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, args) \
  g_test_add ("/abstain/service/oauth/" path, Fixture, args, fixture_setup, func, fixture_teardown)

  ADD ("device/approved", test_device_approved, NULL);
  ADD ("device/used-once", test_device_used_once, NULL);
  ADD ("device/denied", test_device_denied, NULL);
  ADD ("device/slow-down", test_device_slow_down, NULL);
  ADD ("device/expired", test_device_expired, expiring_code);
  ADD ("device/bad-requests", test_device_bad_requests, NULL);
  ADD ("device/page", test_device_page, NULL);
  ADD ("device/page-deny", test_device_page_deny, NULL);
  ADD ("refresh/rotation", test_refresh_rotation, NULL);
  ADD ("access/expiry", test_access_expiry, short_tokens);
  ADD ("access/expire-hook", test_expire_hook, NULL);
  ADD ("revoke", test_revoke, NULL);

#undef ADD

  return g_test_run ();
}
