/* test-client.c: the protocol client against the reference service
 *
 * Real loopback sockets, the real service and its fault hooks; a small
 * in-process SoupServer only where the service cannot misbehave the way a
 * case needs (headers as sent, an endless or trickling body).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "abstain-client.h"
#include "abstain-error.h"
#include "abstain-test-service.h"
#include "client-test-util.h"

#define WAIT_MS     20000
#define CHILD_USEC  (30 * G_USEC_PER_SEC)
#define CHAT        "ctl_chat_training"

typedef struct
{
  AbstainTestService *svc;
  SoupSession        *session;
  AbstainClient      *client;
  const char         *token;   /* the free user's */
} Fixture;

static void
fixture_start (Fixture            *fixture,
               const char *const  *extra_args)
{
  g_autoptr(GError) error = NULL;

  fixture->svc = abstain_test_service_new (extra_args);
  fixture->session = abstain_client_create_session ();
  fixture->client = abstain_client_new (fixture->session,
                                        abstain_test_service_get_url (fixture->svc), &error);
  g_assert_no_error (error);
  fixture->token = abstain_test_service_get_token (fixture->svc, "free");
  g_assert_nonnull (fixture->token);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture_start (fixture, data);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_finalize_object (fixture->client);
  g_clear_object (&fixture->session);
  g_clear_pointer (&fixture->svc, abstain_test_service_free);
}

/* Blocking wrappers */

static AbstainAccountData *
get_account (AbstainClient  *client,
             const char     *token,
             GError        **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_get_account_async (client, token, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_get_account_finish (client, result, error);
}

static AbstainControlList *
get_controls (Fixture     *fixture,
              const char  *etag,
              gboolean    *not_modified,
              char       **out_etag,
              GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_get_controls_async (fixture->client, fixture->token, etag, NULL,
                                     client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_get_controls_finish (fixture->client, result, not_modified, out_etag,
                                             error);
}

static AbstainControlData *
patch_with_key (Fixture             *fixture,
                const char          *control_id,
                const char          *if_match,
                const char          *key,
                gboolean             enabled,
                AbstainControlData **out_current,
                GError             **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_patch_control_async (fixture->client, fixture->token, control_id, if_match, key,
                                      enabled, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_patch_control_finish (fixture->client, result, out_current, error);
}

static AbstainControlData *
patch (Fixture             *fixture,
       const char          *control_id,
       const char          *if_match,
       gboolean             enabled,
       AbstainControlData **out_current,
       GError             **error)
{
  g_autofree char *key = g_uuid_string_random ();

  return patch_with_key (fixture, control_id, if_match, key, enabled, out_current, error);
}

static AbstainControlData *
find_control (AbstainControlList *list,
              const char         *id)
{
  for (guint i = 0; i < list->controls->len; i++)
    {
      AbstainControlData *control = g_ptr_array_index (list->controls, i);

      if (g_str_equal (control->id, id))
        return control;
    }

  return NULL;
}

/* The free user's chat control as the server has it now. */
static AbstainControlData *
current_chat (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainControlList) list = get_controls (fixture, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return abstain_control_data_copy (find_control (list, CHAT));
}

/* Resources */

static void
test_account (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainAccountData) account = get_account (fixture->client, fixture->token, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (account->email, ==, abstain_test_service_get_email (fixture->svc, "free"));
  g_assert_cmpstr (account->plan, ==, "free");
  g_assert_cmpuint (account->organizations->len, ==, 2);
  g_assert_cmpuint (abstain_test_service_count_requests (fixture->svc, "GET", "/v1/account"), ==, 1);
}

static void
test_controls_etag (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainControlList) list = NULL;
  g_autoptr(AbstainControlList) again = NULL;
  g_autoptr(AbstainControlList) changed = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *etag_again = NULL;
  g_autofree char *etag_changed = NULL;
  gboolean not_modified = TRUE;
  AbstainControlData *chat;

  list = get_controls (fixture, NULL, &not_modified, &etag, &error);
  g_assert_no_error (error);
  g_assert_false (not_modified);
  g_assert_nonnull (etag);
  chat = find_control (list, CHAT);
  g_assert_nonnull (chat);
  g_assert_cmpstr (chat->kind, ==, "chat.training");

  /* 304: no list, no error. */
  again = get_controls (fixture, etag, &not_modified, &etag_again, &error);
  g_assert_no_error (error);
  g_assert_null (again);
  g_assert_true (not_modified);
  g_assert_cmpstr (etag_again, ==, etag);

  abstain_test_service_remote_change (fixture->svc, "free", CHAT, !chat->enabled, "web");
  changed = get_controls (fixture, etag, &not_modified, &etag_changed, &error);
  g_assert_no_error (error);
  g_assert_false (not_modified);
  g_assert_cmpstr (etag_changed, !=, etag);
  g_assert_cmpint (find_control (changed, CHAT)->enabled, ==, !chat->enabled);
  g_assert_cmpint (find_control (changed, CHAT)->revision, >, chat->revision);
}

static void
test_patch_ok (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(AbstainControlData) chat = current_chat (fixture);
  g_autoptr(AbstainControlData) done = NULL;
  g_autoptr(AbstainControlData) replayed = NULL;
  g_autoptr(AbstainControlData) current = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected_etag = NULL;
  g_autofree char *key = g_uuid_string_random ();
  guint history = abstain_test_service_history_count (fixture->svc, "free", CHAT);

  done = patch_with_key (fixture, CHAT, chat->etag, key, !chat->enabled, &current, &error);
  g_assert_no_error (error);
  g_assert_null (current);
  g_assert_cmpint (done->enabled, ==, !chat->enabled);
  g_assert_cmpint (done->revision, >, chat->revision);
  expected_etag = g_strdup_printf ("\"%s-%" G_GINT64_FORMAT "\"", CHAT, done->revision);
  g_assert_cmpstr (done->etag, ==, expected_etag);
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", CHAT), ==,
                   !chat->enabled);

  /* The same change with the same key is answered again, not applied again. */
  replayed = patch_with_key (fixture, CHAT, chat->etag, key, !chat->enabled, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (replayed->revision, ==, done->revision);
  g_assert_cmpuint (abstain_test_service_history_count (fixture->svc, "free", CHAT), ==,
                    history + 1);
}

static void
test_patch_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(AbstainControlList) list = get_controls (fixture, NULL, NULL, NULL, NULL);
  g_autoptr(AbstainControlData) chat = abstain_control_data_copy (find_control (list, CHAT));
  AbstainControlData *locked = NULL;

  for (guint i = 0; i < list->controls->len; i++)
    {
      AbstainControlData *control = g_ptr_array_index (list->controls, i);

      if (!control->editable)
        locked = control;
    }
  g_assert_nonnull (locked);

  /* 403: the server's control comes back with the error. */
  {
    g_autoptr(AbstainControlData) current = NULL;
    g_autoptr(AbstainControlData) done = NULL;
    g_autoptr(GError) error = NULL;

    done = patch (fixture, locked->id, locked->etag, !locked->enabled, &current, &error);
    g_assert_null (done);
    g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_LOCKED);
    g_assert_nonnull (current);
    g_assert_cmpstr (current->id, ==, locked->id);
    g_assert_nonnull (current->locked_reason);
    g_assert_false (abstain_error_is_transient (error));
  }

  /* 404 */
  {
    g_autoptr(AbstainControlData) current = NULL;
    g_autoptr(AbstainControlData) done = NULL;
    g_autoptr(GError) error = NULL;

    done = patch (fixture, "ctl_no_such_control", "\"x-1\"", TRUE, &current, &error);
    g_assert_null (done);
    g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_NOT_FOUND);
    g_assert_null (current);
  }

  /* 412: someone else changed it; the current control and its ETag come back. */
  {
    g_autoptr(AbstainControlData) current = NULL;
    g_autoptr(AbstainControlData) done = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *expected_etag = NULL;

    abstain_test_service_remote_change (fixture->svc, "free", CHAT, !chat->enabled, "mobile");
    done = patch (fixture, CHAT, chat->etag, chat->enabled, &current, &error);
    g_assert_null (done);
    g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_CONFLICT);
    g_assert_nonnull (current);
    g_assert_cmpint (current->enabled, ==, !chat->enabled);
    expected_etag = g_strdup_printf ("\"%s-%" G_GINT64_FORMAT "\"", CHAT, current->revision);
    g_assert_cmpstr (current->etag, ==, expected_etag);
    g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", CHAT), ==,
                     !chat->enabled);
  }

  /* 401 */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(AbstainAccountData) account =
      get_account (fixture->client, "unknown_token_0123456789", &error);

    g_assert_null (account);
    g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
  }
}

static char *
http_date_in (int seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) when = g_date_time_add_seconds (now, seconds);

  return soup_date_time_to_string (when, SOUP_DATE_HTTP);
}

static void
test_rate_limited (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *date = http_date_in (20);
  struct { const char *header; guint min, max; } cases[] = {
    { "7", 7, 7 },
    { "0", 1, 1 },
    { "99999999999999999999999", 3600, 3600 },
    { "86400", 3600, 3600 },
    { "soon", 0, 0 },
    { date, 18, 21 },
    { "Thu, 01 Jan 1970 00:00:00 GMT", 1, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(AbstainControlData) done = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *fault = g_strdup_printf (
        "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"fault\":\"status\",\"status\":429,"
        "\"headers\":{\"Retry-After\":\"%s\"},"
        "\"body\":\"{\\\"error\\\":{\\\"code\\\":\\\"rate_limited\\\",\\\"message\\\":\\\"x\\\"}}\"}",
        cases[i].header);

      abstain_test_service_add_fault (fixture->svc, fault);
      done = patch (fixture, CHAT, "\"x-1\"", TRUE, NULL, &error);
      g_assert_null (done);
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED);
      g_assert_true (abstain_error_is_transient (error));
      g_test_message ("Retry-After: %s -> %u", cases[i].header, abstain_error_get_retry_after (error));
      g_assert_cmpuint (abstain_error_get_retry_after (error), >=, cases[i].min);
      g_assert_cmpuint (abstain_error_get_retry_after (error), <=, cases[i].max);
    }
}

static void
test_server_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  static const char *const faults[] = {
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"fault\":\"status\",\"status\":503,"
    "\"body\":\"<h1>down</h1>\"}",
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"fault\":\"status\",\"status\":500}",
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"fault\":\"html\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(AbstainControlData) done = NULL;
      g_autoptr(GError) error = NULL;

      abstain_test_service_add_fault (fixture->svc, faults[i]);
      done = patch (fixture, CHAT, "\"x-1\"", TRUE, NULL, &error);
      g_assert_null (done);
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_SERVER);
      g_assert_true (abstain_error_is_transient (error));
    }

  /* A status the protocol does not have. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(AbstainAccountData) account = NULL;

    abstain_test_service_add_fault (fixture->svc,
      "{\"method\":\"GET\",\"path\":\"/v1/account\",\"fault\":\"status\",\"status\":302}");
    account = get_account (fixture->client, fixture->token, &error);
    g_assert_null (account);
    g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
  }
}

/* Every hostile answer of the fault hooks, on every kind of request */

typedef struct
{
  const char *fault;
  int         code;
} Hostile;

static const Hostile hostile[] = {
  { "truncated", ABSTAIN_ERROR_PROTOCOL },
  { "wrong_types", ABSTAIN_ERROR_PROTOCOL },
  { "oversized", ABSTAIN_ERROR_PROTOCOL },
  { "deep", ABSTAIN_ERROR_PROTOCOL },
  { "invalid_utf8", ABSTAIN_ERROR_PROTOCOL },
  { "html", ABSTAIN_ERROR_SERVER },
  { "lying_length", ABSTAIN_ERROR_OFFLINE },
  { "close", ABSTAIN_ERROR_OFFLINE },
};

static void
assert_hostile_error (const GError *error,
                      const Hostile *h,
                      const char    *what)
{
  g_test_message ("%s %s: %s", what, h->fault, error ? error->message : "(none)");
  g_assert_error (error, ABSTAIN_ERROR, h->code);
  /* A sentence of ours about the server, not a library's message. */
  g_assert_true (strstr (error->message, "127.0.0.1") != NULL ||
                 strstr (error->message, "The server sent") != NULL);
}

static void
test_hostile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(AbstainControlData) chat = current_chat (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *on_account = g_strdup_printf (
        "{\"method\":\"GET\",\"path\":\"/v1/account\",\"fault\":\"%s\"}", hostile[i].fault);
      g_autofree char *on_controls = g_strdup_printf (
        "{\"method\":\"GET\",\"path\":\"/v1/controls\",\"fault\":\"%s\"}", hostile[i].fault);
      g_autofree char *on_patch = g_strdup_printf (
        "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"fault\":\"%s\"}", hostile[i].fault);
      g_autoptr(AbstainAccountData) account = NULL;
      g_autoptr(AbstainControlList) list = NULL;
      g_autoptr(AbstainControlData) done = NULL;
      g_autoptr(GError) e1 = NULL;
      g_autoptr(GError) e2 = NULL;
      g_autoptr(GError) e3 = NULL;
      gint64 start = g_get_monotonic_time ();

      abstain_test_service_add_fault (fixture->svc, on_account);
      account = get_account (fixture->client, fixture->token, &e1);
      g_assert_null (account);
      assert_hostile_error (e1, &hostile[i], "account");

      abstain_test_service_add_fault (fixture->svc, on_controls);
      list = get_controls (fixture, NULL, NULL, NULL, &e2);
      g_assert_null (list);
      assert_hostile_error (e2, &hostile[i], "controls");

      /* The fault is applied after the real request: the PATCH may have
       * taken effect, and the next one needs the new ETag. */
      abstain_test_service_add_fault (fixture->svc, on_patch);
      done = patch (fixture, CHAT, chat->etag, !chat->enabled, NULL, &e3);
      g_assert_null (done);
      assert_hostile_error (e3, &hostile[i], "patch");
      g_clear_pointer (&chat, abstain_control_data_free);
      chat = current_chat (fixture);

      /* None of this waits for a timeout. */
      g_assert_cmpint (g_get_monotonic_time () - start, <, 1500 * 1000);
    }
}

static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainAccountData) account = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"GET\",\"path\":\"/v1/account\",\"fault\":\"delay\",\"delay_ms\":5000}");
  account = get_account (fixture->client, fixture->token, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_null (account);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_TIMEOUT);
  g_assert_true (abstain_error_is_transient (error));
  g_assert_cmpint (elapsed, >=, 1900 * 1000);
  g_assert_cmpint (elapsed, <, 4500 * 1000);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainAccountData) account = NULL;
  GAsyncResult *slot = NULL;

  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"GET\",\"path\":\"/v1/account\",\"fault\":\"delay\",\"delay_ms\":1500}");
  abstain_client_get_account_async (fixture->client, fixture->token, cancellable,
                                    client_test_keep_result, &slot);
  g_timeout_add_once (200, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  result = client_test_wait (&slot, WAIT_MS);
  account = abstain_client_get_account_finish (fixture->client, result, &error);
  g_assert_null (account);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Addresses */

static void
test_insecure (void)
{
  static const char *const refused[] = {
    "http://example.org", "http://10.0.0.1:8080", "http://localhost.example.org",
    "http://[::2]:80", "http://192.168.1.1",
  };
  static const char *const invalid[] = {
    "", "example.org", "ftp://example.org", "https://", "https://user:secret@example.org",
    "https://example.org/?a=1", "https://example.org/#x", "not a url at all",
  };
  static const char *const accepted[] = {
    "https://example.org", "https://example.org/api/", "http://localhost:8080",
    "http://127.0.0.1:1", "http://127.9.9.9", "http://[::1]:8080",
  };
  g_autoptr(SoupSession) session = abstain_client_create_session ();

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AbstainClient) client = abstain_client_new (session, refused[i], &error);

      g_assert_null (client);
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INSECURE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AbstainClient) client = abstain_client_new (session, invalid[i], &error);

      g_assert_null (client);
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INVALID);
    }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AbstainClient) client = abstain_client_new (session, accepted[i], &error);

      g_assert_no_error (error);
      g_assert_nonnull (client);
    }

  {
    g_autoptr(AbstainClient) client = abstain_client_new (session, "https://example.org/api/", NULL);

    g_assert_cmpstr (abstain_client_get_server (client), ==, "https://example.org/api");
  }
}

static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_offline (void)
{
  g_autoptr(SoupSession) session = abstain_client_create_session ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(AbstainClient) client = abstain_client_new (session, url, NULL);
  g_autoptr(AbstainAccountData) account = NULL;
  g_autoptr(GError) error = NULL;

  account = get_account (client, "token_0123456789abcdef", &error);
  g_assert_null (account);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE);
  g_assert_nonnull (strstr (error->message, url + strlen ("http://")));
}

static void
test_bad_token_not_sent (Fixture       *fixture,
                         gconstpointer  data)
{
  static const char *const bad[] = { "short", "has space 0123456789", "new\r\nline_0123456789" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AbstainAccountData) account = get_account (fixture->client, bad[i], &error);

      g_assert_null (account);
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
    }
  g_assert_cmpuint (abstain_test_service_count_requests (fixture->svc, "GET", "/v1/account"), ==, 0);
}

/* History */

static void
test_history (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(AbstainControlData) chat = current_chat (fixture);
  g_autoptr(AbstainControlData) done = patch (fixture, CHAT, chat->etag, !chat->enabled, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  AbstainHistoryData *newest;

  g_assert_nonnull (done);
  abstain_client_get_history_async (fixture->client, fixture->token, 5, NULL,
                                    client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  events = abstain_client_get_history_finish (fixture->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, >=, 1);
  g_assert_cmpuint (events->len, <=, 5);
  newest = g_ptr_array_index (events, 0);
  g_assert_cmpstr (newest->control_id, ==, CHAT);
  g_assert_cmpstr (newest->source, ==, "desktop");
  g_assert_cmpint (newest->to, ==, !chat->enabled);
}

/* OAuth */

static const char *const device_args[] = { "--device-interval", "1", NULL };

static AbstainDeviceAuthorization *
authorize (AbstainClient *client)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AbstainDeviceAuthorization *auth;

  abstain_client_device_authorize_async (client, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  auth = abstain_client_device_authorize_finish (client, result, &error);
  g_assert_no_error (error);
  return auth;
}

static AbstainTokenData *
poll_once (AbstainClient  *client,
           const char     *device_code,
           GError        **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_device_poll_async (client, device_code, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_device_poll_finish (client, result, error);
}

static AbstainTokenData *
refresh (AbstainClient  *client,
         const char     *refresh_token,
         GError        **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_refresh_async (client, refresh_token, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_refresh_finish (client, result, error);
}

static gboolean
revoke_token (AbstainClient  *client,
        const char     *token,
        GError        **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_revoke_async (client, token, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_revoke_finish (client, result, error);
}

static void
wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}

static void
test_device_flow (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(AbstainDeviceAuthorization) auth = authorize (fixture->client);
  g_autoptr(AbstainTokenData) token = NULL;
  g_autoptr(AbstainTokenData) renewed = NULL;
  g_autoptr(AbstainAccountData) account = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (auth->interval, ==, 1);
  g_assert_cmpuint (auth->expires_in, >, 0);
  g_assert_true (g_str_has_prefix (auth->verification_uri, abstain_test_service_get_url (fixture->svc)));

  token = poll_once (fixture->client, auth->device_code, &error);
  g_assert_null (token);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_PENDING);
  g_clear_error (&error);

  abstain_test_service_device_approve (fixture->svc, auth->user_code, "pro", TRUE);
  wait_ms (1100);
  token = poll_once (fixture->client, auth->device_code, &error);
  g_assert_no_error (error);
  g_assert_true (abstain_protocol_token_is_valid (token->access_token));
  g_assert_nonnull (token->refresh_token);
  g_assert_cmpint (token->expires_in, >, 0);

  account = get_account (fixture->client, token->access_token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->email, ==, abstain_test_service_get_email (fixture->svc, "pro"));
  g_clear_pointer (&account, abstain_account_data_free);

  /* Refresh: a new pair that works once the old access token expired. */
  abstain_test_service_expire_tokens (fixture->svc, "pro");
  account = get_account (fixture->client, token->access_token, &error);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
  g_clear_error (&error);
  renewed = refresh (fixture->client, token->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (renewed->access_token, !=, token->access_token);
  account = get_account (fixture->client, renewed->access_token, &error);
  g_assert_no_error (error);
  g_clear_pointer (&account, abstain_account_data_free);

  /* Revoke: the token stops working. */
  g_assert_true (revoke_token (fixture->client, renewed->access_token, &error));
  g_assert_no_error (error);
  account = get_account (fixture->client, renewed->access_token, &error);
  g_assert_null (account);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
}

static void
test_refresh_invalid (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainTokenData) token = refresh (fixture->client, "unknown_refresh_0123456789",
                                               &error);

  g_assert_null (token);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
  g_assert_false (abstain_error_is_transient (error));
}

static void
test_device_denied (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(AbstainDeviceAuthorization) auth = authorize (fixture->client);
  g_autoptr(AbstainTokenData) token = NULL;
  g_autoptr(GError) error = NULL;

  abstain_test_service_device_approve (fixture->svc, auth->user_code, "free", FALSE);
  token = poll_once (fixture->client, auth->device_code, &error);
  g_assert_null (token);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_DENIED);
}

static void
test_device_slow_down (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(AbstainDeviceAuthorization) auth = authorize (fixture->client);
  g_autoptr(AbstainTokenData) first = NULL;
  g_autoptr(AbstainTokenData) second = NULL;
  g_autoptr(GError) error = NULL;

  first = poll_once (fixture->client, auth->device_code, &error);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_PENDING);
  g_clear_error (&error);
  second = poll_once (fixture->client, auth->device_code, &error);
  g_assert_null (second);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED);
  g_assert_cmpuint (abstain_error_get_retry_after (error), ==, 5);
}

static const char *const expiry_args[] = { "--device-code-lifetime", "1", NULL };

static void
test_device_expired (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(AbstainDeviceAuthorization) auth = authorize (fixture->client);
  g_autoptr(AbstainTokenData) token = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (auth->expires_in, ==, 1);
  wait_ms (1500);
  token = poll_once (fixture->client, auth->device_code, &error);
  g_assert_null (token);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_EXPIRED);
  g_clear_error (&error);

  token = poll_once (fixture->client, "dev_never_issued_000000000000", &error);
  g_assert_null (token);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_EXPIRED);
}

/* Redaction: with every debug message on, the token never shows, the
 * Authorization header does, redacted. */
static void
test_redaction (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *pattern = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(SoupSession) session = NULL;
      g_autoptr(AbstainClient) client = NULL;
      g_autoptr(AbstainAccountData) account = NULL;
      g_autoptr(AbstainTokenData) token = NULL;
      g_autoptr(GError) error = NULL;

      session = abstain_client_create_session ();
      client = abstain_client_new (session, g_getenv ("ABSTAIN_TEST_URL"), &error);
      g_assert_no_error (error);
      account = get_account (client, g_getenv ("ABSTAIN_TEST_TOKEN"), &error);
      g_assert_no_error (error);
      token = refresh (client, g_getenv ("ABSTAIN_TEST_TOKEN"), &error);
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
      g_clear_error (&error);
      /* Revoking an unknown token succeeds (RFC 7009); its body is not logged. */
      g_assert_true (revoke_token (client, "unknown_but_well_formed_0000", &error));
      return;
    }

  fixture_start (fixture, NULL);
  g_setenv ("ABSTAIN_TEST_URL", abstain_test_service_get_url (fixture->svc), TRUE);
  g_setenv ("ABSTAIN_TEST_TOKEN", fixture->token, TRUE);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_test_trap_subprocess (NULL, CHILD_USEC, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_test_trap_assert_passed ();

  pattern = g_strdup_printf ("*%s*", fixture->token);
  g_test_trap_assert_stdout_unmatched (pattern);
  g_test_trap_assert_stderr_unmatched (pattern);
  g_test_trap_assert_stdout_unmatched ("*unknown_but_well_formed_0000*");
  g_test_trap_assert_stderr_unmatched ("*unknown_but_well_formed_0000*");
  g_test_trap_assert_stdout ("*Authorization: [redacted]*");
  g_test_trap_assert_stdout ("*GET /v1/account*");
}

static void
redaction_teardown (Fixture       *fixture,
                    gconstpointer  data)
{
  if (fixture->client != NULL)
    fixture_teardown (fixture, data);
}

/* An in-process server for what the reference service does not do */

typedef enum
{
  LOCAL_CONTROL,    /* 200, a control and a custom ETag */
  LOCAL_ENDLESS,    /* 200, chunks without end */
  LOCAL_TRICKLE,    /* 200, one byte every 100 ms */
  LOCAL_REDIRECT,   /* 302 to another path of the same server */
} LocalMode;

typedef struct
{
  SoupServer *server;
  char       *url;
  LocalMode   mode;
  guint       requests;
  char       *method;
  char       *path;
  GHashTable *headers;  /* lowercase name -> value */
  char       *body;
  SoupServerMessage *trickling;
  guint       trickle_id;
} LocalServer;

#define LOCAL_CONTROL_JSON \
  "{\"id\":\"ctl_x\",\"kind\":\"chat.training\",\"product\":\"le_chat\"," \
  "\"scope\":\"account\",\"organization_id\":null,\"title\":\"T\",\"description\":\"D\"," \
  "\"enabled\":false,\"editable\":true,\"locked_reason\":null,\"revision\":3," \
  "\"updated_at\":\"2026-11-28T09:14:03Z\"}"

static void
record_request (LocalServer       *local,
                SoupServerMessage *msg)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);

  local->requests++;
  g_free (local->method);
  local->method = g_strdup (soup_server_message_get_method (msg));
  g_free (local->path);
  local->path = g_strdup (g_uri_get_path (soup_server_message_get_uri (msg)));
  g_hash_table_remove_all (local->headers);
  soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_hash_table_insert (local->headers, g_ascii_strdown (name, -1), g_strdup (value));
  g_free (local->body);
  local->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  static char chunk[64 * 1024];

  memset (chunk, ' ', sizeof chunk);
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                            chunk, sizeof chunk);
}

static gboolean
trickle_byte (gpointer user_data)
{
  LocalServer *local = user_data;
  SoupServerMessage *msg = local->trickling;

  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                            " ", 1);
  soup_server_message_unpause (msg);
  return G_SOURCE_CONTINUE;
}

static void
stop_trickle (LocalServer *local)
{
  g_clear_handle_id (&local->trickle_id, g_source_remove);
  if (local->trickling != NULL)
    g_signal_handlers_disconnect_by_data (local->trickling, local);
  g_clear_object (&local->trickling);
}

static void
start_chunked (SoupServerMessage *msg)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
}

static void
local_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  LocalServer *local = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  record_request (local, msg);
  switch (local->mode)
    {
    case LOCAL_CONTROL:
      soup_message_headers_replace (headers, "ETag", "\"custom-etag\"");
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        LOCAL_CONTROL_JSON, strlen (LOCAL_CONTROL_JSON));
      break;

    case LOCAL_ENDLESS:
      start_chunked (msg);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), NULL);
      on_wrote_chunk (msg, NULL);
      break;

    case LOCAL_TRICKLE:
      start_chunked (msg);
      soup_server_message_pause (msg);
      local->trickling = g_object_ref (msg);
      local->trickle_id = g_timeout_add (100, trickle_byte, local);
      g_signal_connect_swapped (msg, "finished", G_CALLBACK (stop_trickle), local);
      g_signal_connect_swapped (msg, "disconnected", G_CALLBACK (stop_trickle), local);
      break;

    case LOCAL_REDIRECT:
    default:
      soup_message_headers_replace (headers, "Location", "/elsewhere");
      soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
      break;
    }
}

static LocalServer *
local_server_new (LocalMode mode)
{
  LocalServer *local = g_new0 (LocalServer, 1);
  g_autoptr(GError) error = NULL;
  guint port;

  local->mode = mode;
  local->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  local->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (local->server, NULL, local_handler, local, NULL);
  port = abstain_test_soup_listen_local (local->server, &error);
  g_assert_no_error (error);
  local->url = g_strdup_printf ("http://127.0.0.1:%u", port);

  return local;
}

static void
local_server_free (LocalServer *local)
{
  stop_trickle (local);
  soup_server_disconnect (local->server);
  g_object_unref (local->server);
  g_hash_table_unref (local->headers);
  g_free (local->url);
  g_free (local->method);
  g_free (local->path);
  g_free (local->body);
  g_free (local);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LocalServer, local_server_free)

static AbstainClient *
local_client (LocalServer *local,
              SoupSession *session)
{
  g_autoptr(GError) error = NULL;
  AbstainClient *client = abstain_client_new (session, local->url, &error);

  g_assert_no_error (error);
  return client;
}

static AbstainControlData *
local_patch_id (AbstainClient  *client,
                const char     *control_id,
                GError        **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_client_patch_control_async (client, "token_0123456789abcdef", control_id, "\"ctl_x-2\"",
                                      "key-1", FALSE, NULL, client_test_keep_result, &slot);
  result = client_test_wait (&slot, WAIT_MS);
  return abstain_client_patch_control_finish (client, result, NULL, error);
}

static AbstainControlData *
local_patch (AbstainClient  *client,
             GError        **error)
{
  return local_patch_id (client, "ctl_x", error);
}

static void
assert_header (LocalServer *local,
               const char  *name,
               const char  *expected)
{
  g_assert_cmpstr (g_hash_table_lookup (local->headers, name), ==, expected);
}

static void
test_request_headers (void)
{
  g_autoptr(LocalServer) local = local_server_new (LOCAL_CONTROL);
  g_autoptr(SoupSession) session = abstain_client_create_session ();
  g_autoptr(AbstainClient) client = local_client (local, session);
  g_autoptr(AbstainControlData) control = NULL;
  g_autoptr(AbstainTokenData) token = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;

  control = local_patch (client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (control->etag, ==, "\"custom-etag\"");
  g_assert_cmpstr (local->method, ==, "PATCH");
  g_assert_cmpstr (local->path, ==, "/v1/controls/ctl_x");
  assert_header (local, "user-agent", APPLICATION_ID "/" PACKAGE_VERSION);
  assert_header (local, "accept", "application/json");
  assert_header (local, "authorization", "Bearer token_0123456789abcdef");
  assert_header (local, "if-match", "\"ctl_x-2\"");
  assert_header (local, "idempotency-key", "key-1");
  assert_header (local, "content-type", "application/json");
  g_assert_cmpstr (local->body, ==, "{\"enabled\":false}");
  g_clear_pointer (&control, abstain_control_data_free);

  /* An answer about another control than the one changed is not trusted. */
  control = local_patch_id (client, "ctl_y", &error);
  g_assert_null (control);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* OAuth: a form, the app id as client, no bearer token. */
  token = poll_once (client, "dev_code_0123456789", &error);
  g_assert_null (token);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
  g_assert_cmpstr (local->path, ==, "/oauth/token");
  assert_header (local, "content-type", "application/x-www-form-urlencoded");
  assert_header (local, "authorization", NULL);
  form = soup_form_decode (local->body);
  g_assert_cmpstr (g_hash_table_lookup (form, "grant_type"), ==,
                   "urn:ietf:params:oauth:grant-type:device_code");
  g_assert_cmpstr (g_hash_table_lookup (form, "device_code"), ==, "dev_code_0123456789");
  g_assert_cmpstr (g_hash_table_lookup (form, "client_id"), ==, APPLICATION_ID);
}

static void
test_endless_body (void)
{
  g_autoptr(LocalServer) local = local_server_new (LOCAL_ENDLESS);
  g_autoptr(SoupSession) session = abstain_client_create_session ();
  g_autoptr(AbstainClient) client = local_client (local, session);
  g_autoptr(AbstainControlData) control = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  control = local_patch (client, &error);
  g_assert_null (control);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "1024 KiB"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1900 * 1000);
}

static void
test_trickle (void)
{
  g_autoptr(LocalServer) local = local_server_new (LOCAL_TRICKLE);
  g_autoptr(SoupSession) session = abstain_client_create_session ();
  g_autoptr(AbstainClient) client = local_client (local, session);
  g_autoptr(AbstainControlData) control = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  /* Each byte arrives well within libsoup's own I/O timeout: only the
   * per-request deadline ends it. */
  control = local_patch (client, &error);
  g_assert_null (control);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 4000 * 1000);
}

static void
test_no_redirect (void)
{
  g_autoptr(LocalServer) local = local_server_new (LOCAL_REDIRECT);
  g_autoptr(SoupSession) session = abstain_client_create_session ();
  g_autoptr(AbstainClient) client = local_client (local, session);
  g_autoptr(AbstainControlData) control = NULL;
  g_autoptr(GError) error = NULL;

  control = local_patch (client, &error);
  g_assert_null (control);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
  g_assert_cmpuint (local->requests, ==, 1);
}

/* TLS: a certificate nobody vouches for is fatal, with no way around it. */
static void
tls_untrusted (void)
{
  g_autofree char *dir = g_dir_make_tmp ("abstain-test-tls-XXXXXX", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(AbstainClient) client = NULL;
  g_autoptr(AbstainAccountData) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  int status = -1;
  GSList *uris;

  if (openssl == NULL || !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("needs openssl and a TLS backend");
      return;
    }

  g_spawn_sync (NULL, (char *[]) { openssl, (char *) "req", (char *) "-x509",
                                   (char *) "-newkey", (char *) "ec", (char *) "-pkeyopt",
                                   (char *) "ec_paramgen_curve:prime256v1", (char *) "-nodes",
                                   (char *) "-keyout", key, (char *) "-out", cert,
                                   (char *) "-days", (char *) "1",
                                   (char *) "-subj", (char *) "/CN=127.0.0.1", NULL },
                NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);

  server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS,
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  /* A handshake can be slow under sanitizers: this is not about timeouts. */
  g_setenv ("ABSTAIN_REQUEST_TIMEOUT", "20", TRUE);
  session = abstain_client_create_session ();
  client = abstain_client_new (session, url, &error);
  g_assert_no_error (error);
  account = get_account (client, "token_0123456789abcdef", &error);
  g_setenv ("ABSTAIN_REQUEST_TIMEOUT", "2", TRUE);
  g_assert_null (account);
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INSECURE);
  g_assert_false (abstain_error_is_transient (error));

  g_unlink (key);
  g_unlink (cert);
  g_rmdir (dir);
}

/* In a subprocess: under AddressSanitizer, LeakSanitizer cannot stop the
 * TLS backend's threads at exit and crashes, so the child runs without
 * leak detection (memory errors are still caught). */
static void
trap_child (gpointer unused1,
            gpointer unused2)
{
  g_test_trap_subprocess (NULL, CHILD_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
}

static void
test_tls_untrusted (void)
{
  if (g_test_subprocess ())
    {
      tls_untrusted ();
      return;
    }

  client_test_without_leak_checks (trap_child, NULL);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("ABSTAIN_REQUEST_TIMEOUT", "2", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, args) \
  g_test_add ("/abstain/client/" path, Fixture, args, fixture_setup, func, fixture_teardown)

  ADD ("account", test_account, NULL);
  ADD ("controls/etag", test_controls_etag, NULL);
  ADD ("patch/ok", test_patch_ok, NULL);
  ADD ("patch/errors", test_patch_errors, NULL);
  ADD ("patch/rate-limited", test_rate_limited, NULL);
  ADD ("patch/server-errors", test_server_errors, NULL);
  ADD ("hostile", test_hostile, NULL);
  ADD ("timeout", test_timeout, NULL);
  ADD ("cancel", test_cancel, NULL);
  ADD ("bad-token-not-sent", test_bad_token_not_sent, NULL);
  ADD ("history", test_history, NULL);
  ADD ("device/flow", test_device_flow, device_args);
  ADD ("device/denied", test_device_denied, device_args);
  ADD ("device/slow-down", test_device_slow_down, NULL);
  ADD ("device/expired", test_device_expired, expiry_args);
  ADD ("refresh/invalid", test_refresh_invalid, NULL);
  g_test_add ("/abstain/client/redaction", Fixture, NULL, NULL, test_redaction,
              redaction_teardown);
  g_test_add_func ("/abstain/client/insecure", test_insecure);
  g_test_add_func ("/abstain/client/offline", test_offline);
  g_test_add_func ("/abstain/client/local/request-headers", test_request_headers);
  g_test_add_func ("/abstain/client/local/endless-body", test_endless_body);
  g_test_add_func ("/abstain/client/local/trickle", test_trickle);
  g_test_add_func ("/abstain/client/local/no-redirect", test_no_redirect);
  g_test_add_func ("/abstain/client/local/tls-untrusted", test_tls_untrusted);

#undef ADD

  return g_test_run ();
}
