/* test-service-api.c: the /v1 resources of the reference service, over
 * real sockets: every row of the PATCH table, 304, idempotent replay,
 * history, 405, 413, bad bodies and racing clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-test"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "service-test.h"

typedef struct
{
  AbstainTestService *svc;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->svc = abstain_test_service_new (data);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->svc, abstain_test_service_free);
}

static JsonObject *
get_object (AbstainTestService *svc,
            const char         *plan,
            const char         *path)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status;

  status = abstain_test_service_request (svc, "GET", path,
                                         abstain_test_service_get_token (svc, plan), NULL, &body);
  g_assert_cmpuint (status, ==, 200);
  root = svc_test_parse (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
find_control (JsonObject *list,
              const char *id)
{
  JsonArray *controls = json_object_get_array_member (list, "controls");

  for (guint i = 0; i < json_array_get_length (controls); i++)
    {
      JsonObject *c = json_array_get_object_element (controls, i);

      if (g_str_equal (json_object_get_string_member (c, "id"), id))
        return c;
    }

  g_assert_not_reached ();
}

static void
test_account (Fixture       *f,
              gconstpointer  data)
{
  static const char *plans[] = { "free", "pro", "student", "team", "enterprise" };

  for (guint i = 0; i < G_N_ELEMENTS (plans); i++)
    {
      g_autoptr(JsonObject) account = get_object (f->svc, plans[i], "/v1/account");

      g_assert_cmpstr (json_object_get_string_member (account, "plan"), ==, plans[i]);
      g_assert_cmpstr (json_object_get_string_member (account, "email"), ==,
                       abstain_test_service_get_email (f->svc, plans[i]));
      g_assert_true (strlen (json_object_get_string_member (account, "display_name")) > 3);
      g_assert_true (g_str_has_prefix (json_object_get_string_member (account, "id"), "acc_"));
    }

  {
    g_autoptr(JsonObject) account = get_object (f->svc, "free", "/v1/account");
    JsonArray *orgs = json_object_get_array_member (account, "organizations");

    g_assert_cmpuint (json_array_get_length (orgs), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (orgs, 0), "role"),
                     ==, "admin");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (orgs, 1), "role"),
                     ==, "member");
  }
}

static void
test_controls_plans (Fixture       *f,
                     gconstpointer  data)
{
  static const struct { const char *plan; gboolean opted_in; } cases[] = {
    { "free", TRUE }, { "pro", TRUE }, { "student", TRUE },
    { "team", FALSE }, { "enterprise", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) list = get_object (f->svc, cases[i].plan, "/v1/controls");
      JsonObject *chat = find_control (list, "ctl_chat_training");

      g_assert_cmpstr (json_object_get_string_member (chat, "kind"), ==, "chat.training");
      g_assert_cmpstr (json_object_get_string_member (chat, "product"), ==, "le_chat");
      g_assert_true (json_object_get_null_member (chat, "organization_id"));
      g_assert_cmpint (json_object_get_boolean_member (chat, "enabled"), ==, cases[i].opted_in);
      g_assert_cmpint (json_object_get_boolean_member (chat, "editable"), ==, cases[i].opted_in);
      if (cases[i].opted_in)
        g_assert_true (json_object_get_null_member (chat, "locked_reason"));
      else
        g_assert_cmpstr (json_object_get_string_member (chat, "locked_reason"), ==, "plan_default");
      g_assert_true (json_object_has_member (list, "revision"));
    }

  {
    g_autoptr(JsonObject) list = get_object (f->svc, "free", "/v1/controls");
    JsonObject *admin = find_control (list, "ctl_api_9w1");
    JsonObject *member = find_control (list, "ctl_api_3kd");

    g_assert_cmpstr (json_object_get_string_member (admin, "kind"), ==, "api.anonymous_improvement");
    g_assert_cmpstr (json_object_get_string_member (admin, "organization_id"), ==, "org_9w1");
    g_assert_true (json_object_get_boolean_member (admin, "editable"));
    g_assert_false (json_object_get_boolean_member (member, "editable"));
    g_assert_cmpstr (json_object_get_string_member (member, "locked_reason"), ==, "role");
  }
}

static guint
get_controls (AbstainTestService  *svc,
              const char          *if_none_match,
              char               **out_etag)
{
  g_autofree char *auth = g_strconcat ("Bearer ", abstain_test_service_get_token (svc, "free"), NULL);
  const char *headers[] = { "Authorization", auth, "If-None-Match", if_none_match, NULL };
  g_autoptr(GHashTable) response_headers = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  status = abstain_test_service_request_full (svc, "GET", "/v1/controls", headers, NULL, NULL,
                                              &response_headers, &body);
  *out_etag = g_strdup (g_hash_table_lookup (response_headers, "etag"));
  g_assert_nonnull (*out_etag);
  if (status == 304)
    g_assert_cmpuint (g_bytes_get_size (body), ==, 0);

  return status;
}

static void
test_controls_not_modified (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *etag = NULL;
  g_autofree char *etag2 = NULL;
  g_autofree char *etag3 = NULL;

  g_assert_cmpuint (get_controls (f->svc, NULL, &etag), ==, 200);
  g_assert_cmpuint (get_controls (f->svc, etag, &etag2), ==, 304);
  g_assert_cmpstr (etag, ==, etag2);

  abstain_test_service_remote_change (f->svc, "free", "ctl_chat_training", FALSE, "web");
  g_clear_pointer (&etag2, g_free);
  g_assert_cmpuint (get_controls (f->svc, etag, &etag2), ==, 200);
  g_assert_cmpstr (etag, !=, etag2);
  g_assert_cmpuint (get_controls (f->svc, etag2, &etag3), ==, 304);
}

static void
test_patch_ok (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  g_autofree char *new_etag = NULL;
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonObject) history = NULL;
  JsonObject *event;
  gint64 revision = svc_test_control_revision (f->svc, "free", "ctl_chat_training");
  guint status;

  status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, "key-ok",
                           "{\"enabled\": false, \"future\": 1}", &headers, &body);
  g_assert_cmpuint (status, ==, 200);
  root = svc_test_parse (body);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (root), "enabled"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "revision"), ==,
                   revision + 1);
  g_assert_cmpstr (g_hash_table_lookup (headers, "etag"), !=, etag);
  new_etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  g_assert_cmpstr (g_hash_table_lookup (headers, "etag"), ==, new_etag);
  g_assert_false (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));

  history = get_object (f->svc, "free", "/v1/history");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (history, "events")), ==, 1);
  event = json_array_get_object_element (json_object_get_array_member (history, "events"), 0);
  g_assert_cmpstr (json_object_get_string_member (event, "control_id"), ==, "ctl_chat_training");
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "chat.training");
  g_assert_true (json_object_get_boolean_member (event, "from"));
  g_assert_false (json_object_get_boolean_member (event, "to"));
  g_assert_cmpstr (json_object_get_string_member (event, "source"), ==, "desktop");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (event, "at"), "Z"));

  /* Another account's control of the same id is untouched. */
  g_assert_true (abstain_test_service_control_enabled (f->svc, "pro", "ctl_chat_training"));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "pro", NULL), ==, 0);
}

static void
test_patch_already_in_state (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  g_autoptr(GHashTable) headers = NULL;
  guint status;

  status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, "key-same",
                           "{\"enabled\":true}", &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (g_hash_table_lookup (headers, "etag"), ==, etag);
  g_assert_cmpint (svc_test_control_revision (f->svc, "free", "ctl_chat_training"), ==, 1);
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 0);
}

static void
test_patch_organization (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_api_9w1");
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) error = NULL;
  guint status;

  status = svc_test_patch (f->svc, "free", "ctl_api_9w1", etag, "key-org",
                           "{\"enabled\":true}", NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_api_9w1"));

  /* A member may not change it: locked for the role. */
  g_free (etag);
  etag = svc_test_control_etag (f->svc, "free", "ctl_api_3kd");
  status = svc_test_patch (f->svc, "free", "ctl_api_3kd", etag, "key-member",
                           "{\"enabled\":false}", NULL, &body);
  g_assert_cmpuint (status, ==, 403);
  error = svc_test_error (body, "locked");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (error, "control"),
                                                  "locked_reason"), ==, "role");
  g_assert_true (abstain_test_service_control_enabled (f->svc, "pro", "ctl_api_3kd"));

  /* Its admin may, and the member sees the change and its history. */
  g_free (etag);
  etag = svc_test_control_etag (f->svc, "pro", "ctl_api_3kd");
  status = svc_test_patch (f->svc, "pro", "ctl_api_3kd", etag, "key-admin",
                           "{\"enabled\":false}", NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_false (abstain_test_service_control_enabled (f->svc, "free", "ctl_api_3kd"));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", "ctl_api_3kd"), ==, 1);
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "student", NULL), ==, 0);
}

static void
test_patch_bad_body (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *deep = g_strnfill (20000, '[');
  const char *bodies[] = {
    "{", "", "null", "[]", "42", "\"enabled\"", "{\"enabled\":\"false\"}",
    "{\"enabled\":0}", "{\"enabled\":null}", "{\"Enabled\":false}", "{\"enabled\":false",
    "{\"enabled\":false}}", "{\"enabled\":\"\xff\xfe\"}", "{\"x\":\"\xc3\x28\",\"enabled\":false}",
    "{\"enabled\":tru}", deep,
  };
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonObject) error = NULL;
      g_autofree char *key = g_strdup_printf ("key-bad-%u", i);
      guint status;

      status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, key, bodies[i],
                               NULL, &body);
      g_assert_cmpuint (status, ==, 400);
      error = svc_test_error (body, "invalid_request");
    }

  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 0);
}

static void
test_patch_oversized (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *padding = g_strnfill (70 * 1024, 'x');
  g_autofree char *json = g_strdup_printf ("{\"enabled\":false,\"pad\":\"%s\"}", padding);
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) error = NULL;
  guint status;

  status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, "key-big", json,
                           NULL, &body);
  g_assert_cmpuint (status, ==, 413);
  error = svc_test_error (body, "payload_too_large");
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));

  /* Just under the limit is read. */
  g_free (json);
  g_free (padding);
  padding = g_strnfill (60 * 1024, 'x');
  json = g_strdup_printf ("{\"enabled\":false,\"pad\":\"%s\"}", padding);
  status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, "key-big2", json,
                           NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
}

static void
test_patch_unauthorized (Fixture       *f,
                         gconstpointer  data)
{
  const char *tokens[] = { NULL, "", "short", "aba_0000000000000000000000000000000000000000000000",
                           "aba_with space in it 0000000000" };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonObject) error = NULL;
      guint status;

      status = abstain_test_service_request (f->svc, "GET", "/v1/account", tokens[i], NULL, &body);
      g_assert_cmpuint (status, ==, 401);
      error = svc_test_error (body, "unauthorized");
      g_clear_pointer (&body, g_bytes_unref);
      g_clear_pointer (&error, json_object_unref);

      status = abstain_test_service_request (f->svc, "PATCH", "/v1/controls/ctl_chat_training",
                                             tokens[i], "{\"enabled\":false}", &body);
      g_assert_cmpuint (status, ==, 401);
      error = svc_test_error (body, "unauthorized");
    }

  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
}

static void
test_patch_locked (Fixture       *f,
                   gconstpointer  data)
{
  static const char *plans[] = { "team", "enterprise" };

  for (guint i = 0; i < G_N_ELEMENTS (plans); i++)
    {
      g_autofree char *etag = svc_test_control_etag (f->svc, plans[i], "ctl_chat_training");
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonObject) error = NULL;
      JsonObject *control;
      guint status;

      status = svc_test_patch (f->svc, plans[i], "ctl_chat_training", etag, "key-locked",
                               "{\"enabled\":true}", NULL, &body);
      g_assert_cmpuint (status, ==, 403);
      error = svc_test_error (body, "locked");
      control = json_object_get_object_member (error, "control");
      g_assert_nonnull (control);
      g_assert_cmpstr (json_object_get_string_member (control, "id"), ==, "ctl_chat_training");
      g_assert_false (json_object_get_boolean_member (control, "enabled"));
      g_assert_cmpstr (json_object_get_string_member (control, "locked_reason"), ==, "plan_default");
      g_assert_false (abstain_test_service_control_enabled (f->svc, plans[i], "chat.training"));
      g_assert_cmpuint (abstain_test_service_history_count (f->svc, plans[i], NULL), ==, 0);
    }
}

static void
test_patch_not_found (Fixture       *f,
                      gconstpointer  data)
{
  const char *ids[] = { "ctl_nope", "ctl_api_9w1", "chat.training", "%2e%2e" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonObject) error = NULL;
      guint status;

      /* The pro user is not in org_9w1. */
      status = svc_test_patch (f->svc, "pro", ids[i], "\"x-1\"", "key-404",
                               "{\"enabled\":false}", NULL, &body);
      g_assert_cmpuint (status, ==, 404);
      error = svc_test_error (body, "not_found");
    }
}

static void
test_patch_conflict (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) error = NULL;
  JsonObject *control;
  guint status;

  abstain_test_service_remote_change (f->svc, "free", "ctl_chat_training", FALSE, "mobile");
  status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, "key-412",
                           "{\"enabled\":true}", NULL, &body);
  g_assert_cmpuint (status, ==, 412);
  error = svc_test_error (body, "conflict");
  control = json_object_get_object_member (error, "control");
  g_assert_false (json_object_get_boolean_member (control, "enabled"));
  g_assert_cmpint (json_object_get_int_member (control, "revision"), ==, 2);
  g_assert_false (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 1);

  /* The same key against the new ETag goes through: a 412 is not replayed. */
  g_free (etag);
  etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  status = svc_test_patch (f->svc, "free", "ctl_chat_training", etag, "key-412",
                           "{\"enabled\":true}", NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
}

static void
test_patch_precondition_required (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) error = NULL;
  guint status;

  status = svc_test_patch (f->svc, "free", "ctl_chat_training", NULL, "key-428",
                           "{\"enabled\":false}", NULL, &body);
  g_assert_cmpuint (status, ==, 428);
  error = svc_test_error (body, "precondition_required");
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
}

static void
test_patch_rate_limited (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GHashTable) headers = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) error = NULL;
  guint status = 0;
  guint n;

  /* --rate-limit 5: the sixth request within a second is refused. */
  for (n = 0; n < 20 && status != 429; n++)
    {
      g_clear_pointer (&headers, g_hash_table_unref);
      g_clear_pointer (&body, g_bytes_unref);
      status = svc_test_patch (f->svc, "free", "ctl_chat_training", "\"ctl_chat_training-1\"",
                               "key-rate", "{\"enabled\":false}", &headers, &body);
    }
  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpstr (g_hash_table_lookup (headers, "retry-after"), ==, "1");
  error = svc_test_error (body, "rate_limited");

  /* Another token is counted apart, and the limit lifts. */
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/account",
                                                  abstain_test_service_get_token (f->svc, "pro"),
                                                  NULL, NULL), ==, 200);
  g_usleep (1100 * 1000);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/account",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  NULL, NULL), ==, 200);
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 1);
}

static void
test_patch_idempotent (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) after_restart = NULL;
  g_autoptr(GBytes) mismatch = NULL;
  g_autoptr(JsonObject) error = NULL;
  const char *key = "0b9f7c1e-3c55-4a8a-9a57-6d1c8a1f2e11";

  g_assert_cmpuint (svc_test_patch (f->svc, "free", "ctl_chat_training", etag, key,
                                    "{\"enabled\":false}", NULL, &first), ==, 200);
  /* The retry carries the old ETag: it is answered from the record. */
  g_assert_cmpuint (svc_test_patch (f->svc, "free", "ctl_chat_training", etag, key,
                                    "{ \"enabled\" : false }", NULL, &again), ==, 200);
  g_assert_true (g_bytes_equal (first, again));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 1);
  g_assert_cmpint (svc_test_control_revision (f->svc, "free", "ctl_chat_training"), ==, 2);

  /* Even after a change from elsewhere and a restart, no second change. */
  abstain_test_service_remote_change (f->svc, "free", "ctl_chat_training", TRUE, "web");
  abstain_test_service_restart (f->svc);
  g_assert_cmpuint (svc_test_patch (f->svc, "free", "ctl_chat_training", etag, key,
                                    "{\"enabled\":false}", NULL, &after_restart), ==, 200);
  g_assert_true (g_bytes_equal (first, after_restart));
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 2);

  /* The same key for another request is an error. */
  g_assert_cmpuint (svc_test_patch (f->svc, "free", "ctl_chat_training", etag, key,
                                    "{\"enabled\":true}", NULL, &mismatch), ==, 422);
  error = svc_test_error (mismatch, "idempotency_mismatch");

  /* Keys belong to their user. */
  g_free (etag);
  etag = svc_test_control_etag (f->svc, "pro", "ctl_chat_training");
  g_assert_cmpuint (svc_test_patch (f->svc, "pro", "ctl_chat_training", etag, key,
                                    "{\"enabled\":false}", NULL, NULL), ==, 200);
  g_assert_false (abstain_test_service_control_enabled (f->svc, "pro", "ctl_chat_training"));
}

static void
test_history (Fixture       *f,
              gconstpointer  data)
{
  static const char *sources[] = { "web", "mobile", "api", "system" };
  g_autoptr(JsonObject) history = NULL;
  JsonArray *events;
  g_autoptr(GBytes) body = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    abstain_test_service_remote_change (f->svc, "free", "ctl_chat_training", i % 2 == 1,
                                        sources[i]);

  history = get_object (f->svc, "free", "/v1/history?limit=3");
  events = json_object_get_array_member (history, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);

      /* Newest first. */
      g_assert_cmpstr (json_object_get_string_member (e, "source"), ==, sources[3 - i]);
      g_assert_cmpint (json_object_get_boolean_member (e, "to"), ==, (3 - i) % 2 == 1);
      g_assert_cmpint (json_object_get_boolean_member (e, "from"), !=,
                       json_object_get_boolean_member (e, "to"));
    }
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 4);

  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/history?limit=0",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  NULL, &body), ==, 400);
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/history?limit=abc",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  NULL, &body), ==, 400);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/history?limit=100000",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  NULL, NULL), ==, 200);
}

static void
test_method_not_allowed (Fixture       *f,
                         gconstpointer  data)
{
  static const struct { const char *method; const char *path; const char *allow; } cases[] = {
    { "DELETE", "/v1/controls", "GET" },
    { "POST", "/v1/account", "GET" },
    { "PUT", "/v1/controls/ctl_chat_training", "GET, PATCH" },
    { "PATCH", "/v1/history", "GET" },
    { "GET", "/oauth/token", "POST" },
    { "DELETE", "/device", "GET, POST" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", abstain_test_service_get_token (f->svc, "free"), NULL);
      const char *headers[] = { "Authorization", auth, NULL };
      g_autoptr(GHashTable) response_headers = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonObject) error = NULL;
      guint status;

      status = abstain_test_service_request_full (f->svc, cases[i].method, cases[i].path, headers,
                                                  NULL, NULL, &response_headers, &body);
      g_assert_cmpuint (status, ==, 405);
      g_assert_cmpstr (g_hash_table_lookup (response_headers, "allow"), ==, cases[i].allow);
      error = svc_test_error (body, "method_not_allowed");
    }

  {
    g_autoptr(GBytes) body = NULL;
    g_autoptr(JsonObject) error = NULL;

    g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v2/nothing", NULL, NULL,
                                                    &body), ==, 404);
    error = svc_test_error (body, "not_found");
  }
}

static void
test_hooks_absent (void)
{
  g_autofree char *dir = g_dir_make_tmp ("abstain-test-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (dir, "state.json", NULL);
  g_autofree char *state_arg = g_strconcat ("--state=", state, NULL);
  const char *args[] = { "--listen=127.0.0.1:0", state_arg, NULL };
  const char *paths[] = { "/_test/faults", "/_test/remote-change", "/_test/expire-tokens",
                          "/_test/stats", "/_test/device/approve" };
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *url = svc_test_run_alone (args, &proc);
  g_autoptr(SoupSession) session = soup_session_new ();

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      const char *methods[] = { "GET", "POST", "DELETE" };

      for (guint j = 0; j < G_N_ELEMENTS (methods); j++)
        {
          g_autofree char *uri = g_strconcat (url, paths[i], NULL);
          g_autoptr(SoupMessage) msg = soup_message_new (methods[j], uri);
          g_autoptr(GBytes) request = g_bytes_new_static ("{}", 2);
          g_autoptr(GBytes) body = NULL;

          if (!g_str_equal (methods[j], "GET"))
            soup_message_set_request_body_from_bytes (msg, "application/json", request);
          body = soup_session_send_and_read (session, msg, NULL, NULL);
          g_assert_nonnull (body);
          g_assert_cmpuint (soup_message_get_status (msg), ==, 404);
        }
    }

  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (g_subprocess_wait (proc, NULL, NULL));
  g_assert_cmpint (svc_test_exit_status (proc, NULL), ==, 0);
  g_unlink (state);
  g_rmdir (dir);
}

typedef struct
{
  AbstainTestService *svc;
  const char         *etag;
  gboolean            enabled;
  char               *key;
  GMutex             *lock;
  GCond              *cond;
  guint              *ready;
  guint               status;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *r = data;
  g_autofree char *body = g_strdup_printf ("{\"enabled\":%s}", r->enabled ? "true" : "false");

  /* Start together. */
  g_mutex_lock (r->lock);
  (*r->ready)++;
  g_cond_broadcast (r->cond);
  while (*r->ready < 2)
    g_cond_wait (r->cond, r->lock);
  g_mutex_unlock (r->lock);

  r->status = svc_test_patch (r->svc, "free", "ctl_chat_training", r->etag, r->key, body,
                              NULL, NULL);
  return NULL;
}

static void
test_race (Fixture       *f,
           gconstpointer  data)
{
  guint winners = 0;

  for (guint round = 0; round < 10; round++)
    {
      g_autofree char *etag = svc_test_control_etag (f->svc, "free", "ctl_chat_training");
      gboolean current = abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training");
      GMutex lock;
      GCond cond;
      guint ready = 0;
      Racer racers[2];
      GThread *threads[2];
      g_autoptr(JsonObject) history = NULL;
      JsonObject *latest;

      g_mutex_init (&lock);
      g_cond_init (&cond);
      for (guint i = 0; i < 2; i++)
        {
          racers[i] = (Racer) { f->svc, etag, !current, g_strdup_printf ("race-%u-%u", round, i),
                                &lock, &cond, &ready, 0 };
          threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
        }
      for (guint i = 0; i < 2; i++)
        g_thread_join (threads[i]);

      /* Exactly one wins; the other is told the ETag is stale. */
      g_assert_cmpuint (racers[0].status + racers[1].status, ==, 200 + 412);
      winners++;

      g_assert_cmpint (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"),
                       ==, !current);
      g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", "ctl_chat_training"),
                        ==, winners);
      history = get_object (f->svc, "free", "/v1/history?limit=1");
      latest = json_array_get_object_element (json_object_get_array_member (history, "events"), 0);
      g_assert_cmpint (json_object_get_boolean_member (latest, "to"), ==, !current);
      g_assert_cmpint (svc_test_control_revision (f->svc, "free", "ctl_chat_training"), ==,
                       1 + winners);

      for (guint i = 0; i < 2; i++)
        g_free (racers[i].key);
      g_mutex_clear (&lock);
      g_cond_clear (&cond);
    }
}

int
main (int   argc,
      char *argv[])
{
  static const char *const rate_args[] = { "--rate-limit=5", NULL };

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, args) \
  g_test_add ("/abstain/service/" path, Fixture, args, fixture_setup, func, fixture_teardown)

  ADD ("account", test_account, NULL);
  ADD ("controls/plans", test_controls_plans, NULL);
  ADD ("controls/not-modified", test_controls_not_modified, NULL);
  ADD ("patch/ok", test_patch_ok, NULL);
  ADD ("patch/already-in-state", test_patch_already_in_state, NULL);
  ADD ("patch/organization", test_patch_organization, NULL);
  ADD ("patch/bad-body", test_patch_bad_body, NULL);
  ADD ("patch/oversized", test_patch_oversized, NULL);
  ADD ("patch/unauthorized", test_patch_unauthorized, NULL);
  ADD ("patch/locked", test_patch_locked, NULL);
  ADD ("patch/not-found", test_patch_not_found, NULL);
  ADD ("patch/conflict", test_patch_conflict, NULL);
  ADD ("patch/precondition-required", test_patch_precondition_required, NULL);
  ADD ("patch/rate-limited", test_patch_rate_limited, rate_args);
  ADD ("patch/idempotent-replay", test_patch_idempotent, NULL);
  ADD ("patch/race", test_race, NULL);
  ADD ("history", test_history, NULL);
  ADD ("method-not-allowed", test_method_not_allowed, NULL);
  g_test_add_func ("/abstain/service/hooks-absent-without-flag", test_hooks_absent);

#undef ADD

  return g_test_run ();
}
