/* test-sync.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine through the manager API, against the real service and the real
 * keyring: each client obligation driven by the service's test hooks.
 */

#include "config.h"

#include <string.h>

#include "abstain-core.h"
#include "abstain-keyring.h"
#include "abstain-test-service.h"
#include "sync-test-util.h"

#define TIMEOUT_MS 20000

typedef struct
{
  AbstainTestService *svc;
  char               *dir;
  AbstainManager     *manager;
  AbstainAccount     *account;
  AbstainControl     *control;   /* chat.training of the free user */
  gboolean            target;    /* the opposite of its state at start */
  guint               failed;    /* "change-failed" emissions */
  GError             *failure;
} Fixture;

static void
on_change_failed (AbstainManager *manager,
                  AbstainControl *control,
                  const GError   *error,
                  Fixture        *fixture)
{
  fixture->failed++;
  g_clear_error (&fixture->failure);
  fixture->failure = g_error_copy (error);
}

static void
load_manager (Fixture *fixture)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  fixture->manager = abstain_manager_new (fixture->dir);
  g_signal_connect (fixture->manager, "change-failed", G_CALLBACK (on_change_failed), fixture);
  abstain_manager_load_async (fixture->manager, NULL, sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, TIMEOUT_MS);
  g_assert_true (abstain_manager_load_finish (fixture->manager, result, &error));
  g_assert_no_error (error);
}

static AbstainAccount *
sign_in_token (AbstainManager     *manager,
               AbstainTestService *svc,
               const char         *plan)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AbstainAccount *account;

  abstain_manager_sign_in_token_async (manager, abstain_test_service_get_url (svc),
                                       abstain_test_service_get_token (svc, plan),
                                       NULL, sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, TIMEOUT_MS);
  account = abstain_manager_sign_in_token_finish (manager, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_cmpstr (abstain_account_get_email (account), ==,
                   abstain_test_service_get_email (svc, plan));
  g_assert_cmpint (abstain_account_get_state (account), ==, ABSTAIN_ACCOUNT_STATE_ONLINE);

  /* The manager keeps its own reference. */
  g_object_unref (account);
  return account;
}

static void
pick_control (Fixture *fixture)
{
  fixture->control = abstain_account_find_control (fixture->account, "chat.training");
  g_assert_nonnull (fixture->control);
  g_assert_true (abstain_control_get_editable (fixture->control));
  fixture->target = !abstain_control_get_enabled (fixture->control);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = sync_test_make_dir ();
  load_manager (fixture);
  fixture->account = sign_in_token (fixture->manager, fixture->svc, "free");
  pick_control (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->manager);
  /* Let the last writes land before the folder goes. */
  sync_test_spin (300);
  g_clear_error (&fixture->failure);
  abstain_test_service_free (fixture->svc);
  sync_test_remove_dir (fixture->dir);
  g_free (fixture->dir);
}

static gboolean
control_settled (gpointer data)
{
  return !abstain_control_get_pending (data) && !abstain_account_get_busy (
           abstain_control_get_account (data));
}

static void
request_and_wait (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (abstain_manager_request (fixture->manager, fixture->control,
                                          fixture->target, &error));
  g_assert_no_error (error);
  /* Shown as pending, never as done, until the server confirms. */
  g_assert_true (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_control_get_enabled (fixture->control), ==, !fixture->target);
  g_assert_cmpint (abstain_control_get_requested (fixture->control), ==, fixture->target);

  sync_test_wait_until (control_settled, fixture->control, TIMEOUT_MS);
}

static guint
count_patches (Fixture *fixture)
{
  return abstain_test_service_count_requests (fixture->svc, "PATCH", "/v1/controls/");
}

static guint
server_history (Fixture *fixture)
{
  return abstain_test_service_history_count (fixture->svc, "free", "ctl_chat_training");
}

static void
assert_confirmed (Fixture *fixture)
{
  g_assert_false (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_control_get_enabled (fixture->control), ==, fixture->target);
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"),
                   ==, fixture->target);
  g_assert_false (abstain_manager_get_pending (fixture->manager));
}

static guint
local_history_count (Fixture *fixture)
{
  g_autofree char *text = sync_test_read_file (fixture->dir, "history.json");
  guint count = 0;

  for (const char *p = text; p && (p = strstr (p, "\"control_id\"")); p++)
    count++;

  return count;
}

/* Cases */

static void
test_confirmed (Fixture       *fixture,
                gconstpointer  data)
{
  guint before = server_history (fixture);

  request_and_wait (fixture);
  assert_confirmed (fixture);
  g_assert_cmpuint (count_patches (fixture), ==, 1);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
  g_assert_null (abstain_control_get_last_error (fixture->control));
  sync_test_spin (200);
  g_assert_cmpuint (local_history_count (fixture), ==, 1);
}

static void
test_server_error_then_success (Fixture       *fixture,
                                gconstpointer  data)
{
  guint before = server_history (fixture);

  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":2,\"fault\":\"status\","
    "\"status\":503,\"body\":\"<h1>down</h1>\"}");
  gint64 start = g_get_monotonic_time ();

  request_and_wait (fixture);
  assert_confirmed (fixture);
  /* Two back-offs (about 1 s, then 2 s, each within 20 %), then applied once. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2400000);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static void
test_rate_limited (Fixture       *fixture,
                   gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();

  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":1,\"fault\":\"status\","
    "\"status\":429,\"headers\":{\"Retry-After\":\"2\"},"
    "\"body\":\"{\\\"error\\\":{\\\"code\\\":\\\"rate_limited\\\",\\\"message\\\":\\\"slow\\\"}}\"}");
  request_and_wait (fixture);
  assert_confirmed (fixture);
  /* Retry-After: 2 is honoured (the plain back-off would retry after ~1 s). */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC - 100000);
}

static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  guint before = server_history (fixture);

  /* ABSTAIN_REQUEST_TIMEOUT=2: the first PATCH times out, the server still
   * applies it later; the retry reuses its Idempotency-Key. */
  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":1,\"fault\":\"delay\","
    "\"delay_ms\":4000}");
  gint64 start = g_get_monotonic_time ();

  request_and_wait (fixture);
  assert_confirmed (fixture);
  /* The first attempt gave up after the 2 s request timeout. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2 * G_USEC_PER_SEC);
  sync_test_spin (3000);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static void
test_connection_closed (Fixture       *fixture,
                        gconstpointer  data)
{
  guint before = server_history (fixture);

  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":1,\"fault\":\"close\"}");
  request_and_wait (fixture);
  assert_confirmed (fixture);
  g_assert_cmpuint (count_patches (fixture), >=, 2);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static void
test_conflict_already_done (Fixture       *fixture,
                            gconstpointer  data)
{
  /* Someone else sets the requested state: our ETag is stale. */
  abstain_test_service_remote_change (fixture->svc, "free", abstain_control_get_id (fixture->control),
                                      fixture->target, "web");
  request_and_wait (fixture);
  assert_confirmed (fixture);
  g_assert_cmpuint (count_patches (fixture), ==, 1);
  g_assert_cmpuint (fixture->failed, ==, 0);
}

static void
test_conflict_resend (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *id = abstain_control_get_id (fixture->control);
  guint before;

  /* The revision moves on but the state stays: the change is sent again. */
  abstain_test_service_remote_change (fixture->svc, "free", id, fixture->target, "mobile");
  abstain_test_service_remote_change (fixture->svc, "free", id, !fixture->target, "web");
  before = server_history (fixture);
  request_and_wait (fixture);
  assert_confirmed (fixture);
  g_assert_cmpuint (count_patches (fixture), ==, 2);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static void
on_busy_changed (AbstainAccount *account,
                 GParamSpec     *pspec,
                 guint          *runs)
{
  if (abstain_account_get_busy (account))
    (*runs)++;
}

static char *
locked_error_body (Fixture *fixture)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonArray *controls;
  JsonObject *control = NULL;
  guint status, index = 0;

  status = abstain_test_service_request (fixture->svc, "GET", "/v1/controls",
                                         abstain_test_service_get_token (fixture->svc, "free"),
                                         NULL, &body);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), NULL));
  controls = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "controls");
  for (guint i = 0; i < json_array_get_length (controls); i++)
    {
      JsonObject *item = json_array_get_object_element (controls, i);

      if (g_str_equal (json_object_get_string_member (item, "kind"), "chat.training"))
        {
          control = item;
          index = i;
        }
    }
  g_assert_nonnull (control);
  json_object_set_boolean_member (control, "editable", FALSE);
  json_object_set_string_member (control, "locked_reason", "organization_policy");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, "locked");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, "Locked by policy");
  json_builder_set_member_name (builder, "control");
  json_builder_add_value (builder, json_node_copy (json_array_get_element (controls, index)));
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static void
test_locked (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *body = locked_error_body (fixture);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *fault = NULL;
  g_autofree char *lock = NULL;
  guint runs = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, "PATCH");
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, "/v1/controls/*");
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "fault");
  json_builder_add_string_value (builder, "status");
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, 403);
  json_builder_set_member_name (builder, "body");
  json_builder_add_string_value (builder, body);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  fault = json_generator_to_data (generator, NULL);
  abstain_test_service_add_fault (fixture->svc, fault);

  request_and_wait (fixture);

  /* Dropped, the switch shows the server's state, and the row says why. */
  g_assert_false (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_control_get_enabled (fixture->control), ==, !fixture->target);
  g_assert_false (abstain_control_get_editable (fixture->control));
  g_assert_cmpstr (abstain_control_get_locked_reason (fixture->control), ==, "organization_policy");
  g_assert_error (abstain_control_get_last_error (fixture->control),
                  ABSTAIN_ERROR, ABSTAIN_ERROR_LOCKED);
  lock = abstain_control_describe_lock (fixture->control);
  g_assert_nonnull (lock);
  g_assert_cmpuint (fixture->failed, ==, 1);
  /* Dropped for good: no retry. */
  g_signal_connect (fixture->account, "notify::busy", G_CALLBACK (on_busy_changed), &runs);
  sync_test_spin (2000);
  g_assert_cmpuint (runs, ==, 0);
  g_assert_false (abstain_manager_get_pending (fixture->manager));
}

static void
test_cancel_out (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *outbox = NULL;

  g_assert_true (abstain_manager_request (fixture->manager, fixture->control, fixture->target, &error));
  g_assert_true (abstain_control_get_pending (fixture->control));
  g_assert_true (abstain_manager_request (fixture->manager, fixture->control, !fixture->target, &error));
  g_assert_no_error (error);
  g_assert_false (abstain_control_get_pending (fixture->control));
  g_assert_false (abstain_manager_get_pending (fixture->manager));

  sync_test_spin (1500);
  g_assert_cmpuint (count_patches (fixture), ==, 0);
  outbox = sync_test_read_file (fixture->dir, "outbox.json");
  g_assert_nonnull (outbox);
  g_assert_null (strstr (outbox, "ctl_"));
}

static gboolean
first_attempt_failed (gpointer data)
{
  Fixture *fixture = data;

  return abstain_control_get_last_error (fixture->control) != NULL &&
         !abstain_account_get_busy (fixture->account);
}


static void
test_withdraw (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint runs = 0;

  /* Withdrawn before sending: never sent. */
  g_assert_true (abstain_manager_request (fixture->manager, fixture->control, fixture->target, &error));
  abstain_manager_withdraw (fixture->manager, fixture->control);
  g_assert_false (abstain_control_get_pending (fixture->control));
  sync_test_spin (1500);
  g_assert_cmpuint (count_patches (fixture), ==, 0);

  /* Withdrawn while failing: no further attempt. */
  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":100,\"fault\":\"status\","
    "\"status\":500}");
  g_assert_true (abstain_manager_request (fixture->manager, fixture->control, fixture->target, &error));
  sync_test_wait_until (first_attempt_failed, fixture, TIMEOUT_MS);
  g_assert_error (abstain_control_get_last_error (fixture->control), ABSTAIN_ERROR, ABSTAIN_ERROR_SERVER);
  abstain_manager_withdraw (fixture->manager, fixture->control);
  g_signal_connect (fixture->account, "notify::busy", G_CALLBACK (on_busy_changed), &runs);
  sync_test_spin (3500);
  g_assert_cmpuint (runs, ==, 0);
  g_assert_false (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_control_get_enabled (fixture->control), ==, !fixture->target);
}

/* 401 with a refresh token: the device flow gives one. */

static AbstainAccount *
sign_in_device (AbstainManager     *manager,
                AbstainTestService *svc,
                const char         *plan)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) begun = NULL;
  g_autoptr(GAsyncResult) waited = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainDeviceFlow) flow = NULL;
  AbstainAccount *account;

  abstain_manager_device_begin_async (manager, abstain_test_service_get_url (svc), NULL,
                                      sync_test_store_result, &slot);
  begun = sync_test_wait_result (&slot, TIMEOUT_MS);
  flow = abstain_manager_device_begin_finish (manager, begun, &error);
  g_assert_no_error (error);
  g_assert_nonnull (abstain_device_flow_get_user_code (flow));

  abstain_manager_device_wait_async (manager, flow, NULL, sync_test_store_result, &slot);
  sync_test_spin (200);
  abstain_test_service_device_approve (svc, abstain_device_flow_get_user_code (flow), plan, TRUE);
  waited = sync_test_wait_result (&slot, TIMEOUT_MS);
  account = abstain_manager_device_wait_finish (manager, waited, &error);
  g_assert_no_error (error);
  g_object_unref (account);

  return account;
}

static char *
keyring_token (AbstainAccount *account)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainSecret) secret = NULL;

  abstain_keyring_lookup_async (abstain_account_get_server (account),
                                abstain_account_get_id (account), NULL,
                                sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, TIMEOUT_MS);
  secret = abstain_keyring_lookup_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (secret);

  return g_strdup (secret->access_token);
}

static void
test_auth_refresh (void)
{
  Fixture fixture_storage = { 0 }, *fixture = &fixture_storage;
  g_autofree char *before = NULL, *after = NULL;

  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = sync_test_make_dir ();
  load_manager (fixture);
  fixture->account = sign_in_device (fixture->manager, fixture->svc, "pro");
  fixture->control = abstain_account_find_control (fixture->account, "chat.training");
  g_assert_nonnull (fixture->control);
  fixture->target = !abstain_control_get_enabled (fixture->control);
  before = keyring_token (fixture->account);

  abstain_test_service_expire_tokens (fixture->svc, "pro");
  request_and_wait (fixture);

  g_assert_false (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_control_get_enabled (fixture->control), ==, fixture->target);
  g_assert_cmpint (abstain_account_get_state (fixture->account), ==, ABSTAIN_ACCOUNT_STATE_ONLINE);
  after = keyring_token (fixture->account);
  g_assert_cmpstr (before, !=, after);

  /* The demo tokens expired too: a restart gives the fixture fresh ones. */
  abstain_test_service_restart (fixture->svc);
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "pro", "chat.training"),
                   ==, fixture->target);

  fixture_tear_down (fixture, NULL);
}

static gboolean
needs_sign_in (gpointer data)
{
  return abstain_account_get_state (data) == ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN;
}

static gboolean
account_idle (gpointer data)
{
  return !abstain_account_get_busy (data);
}

static void
test_auth_no_refresh (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *outbox = NULL;

  g_autoptr(GError) error = NULL;

  abstain_test_service_expire_tokens (fixture->svc, "free");
  g_assert_true (abstain_manager_request (fixture->manager, fixture->control,
                                          fixture->target, &error));
  sync_test_wait_until (needs_sign_in, fixture->account, TIMEOUT_MS);
  sync_test_wait_until (account_idle, fixture->account, TIMEOUT_MS);

  /* Needs sign-in; the change stays queued, on disk. */
  g_assert_cmpint (abstain_account_get_state (fixture->account), ==,
                   ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN);
  g_assert_error (abstain_account_get_last_error (fixture->account), ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH);
  g_assert_cmpint (abstain_control_get_enabled (fixture->control), ==, !fixture->target);
  g_assert_true (abstain_manager_get_pending (fixture->manager));
  g_assert_true (abstain_control_get_pending (fixture->control));
  outbox = sync_test_read_file (fixture->dir, "outbox.json");
  g_assert_nonnull (strstr (outbox, abstain_control_get_id (fixture->control)));
}

static gboolean
outbox_holds_change (gpointer data)
{
  Fixture *fixture = data;
  g_autofree char *outbox = sync_test_read_file (fixture->dir, "outbox.json");

  return outbox != NULL && strstr (outbox, abstain_control_get_id (fixture->control)) != NULL;
}

static void
test_restart_keeps_outbox (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint before = server_history (fixture);
  g_autofree char *outbox = NULL;

  abstain_test_service_stop (fixture->svc);
  g_assert_true (abstain_manager_request (fixture->manager, fixture->control,
                                          fixture->target, &error));
  g_assert_no_error (error);
  sync_test_wait_until (outbox_holds_change, fixture, TIMEOUT_MS);
  sync_test_spin (500);
  sync_test_wait_until (account_idle, fixture->account, TIMEOUT_MS);
  g_assert_true (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_account_get_state (fixture->account), ==, ABSTAIN_ACCOUNT_STATE_OFFLINE);
  g_clear_object (&fixture->manager);
  fixture->control = NULL;
  fixture->account = NULL;
  outbox = sync_test_read_file (fixture->dir, "outbox.json");
  g_assert_nonnull (strstr (outbox, "ctl_chat_training"));

  /* A new process: the queued change comes back and is sent once. */
  abstain_test_service_restart (fixture->svc);
  load_manager (fixture);
  g_assert_true (abstain_manager_get_pending (fixture->manager));
  fixture->account = g_list_model_get_item (abstain_manager_get_accounts (fixture->manager), 0);
  g_object_unref (fixture->account);
  fixture->control = abstain_account_find_control (fixture->account, "chat.training");
  g_assert_true (abstain_control_get_pending (fixture->control));
  g_assert_cmpint (abstain_control_get_requested (fixture->control), ==, fixture->target);

  abstain_manager_sync_async (fixture->manager, NULL, NULL, sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, TIMEOUT_MS);
  g_assert_true (abstain_manager_sync_finish (fixture->manager, result, &error));
  g_assert_no_error (error);
  assert_confirmed (fixture);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static void
test_two_accounts (void)
{
  Fixture fixture_storage = { 0 }, *fixture = &fixture_storage;
  AbstainTestService *other = abstain_test_service_new (NULL);
  AbstainAccount *first, *second;
  AbstainControl *a, *b;
  g_autoptr(GError) error = NULL;
  gboolean target_a, target_b;

  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = sync_test_make_dir ();
  load_manager (fixture);
  first = sign_in_token (fixture->manager, fixture->svc, "free");
  second = sign_in_token (fixture->manager, other, "pro");
  g_assert_cmpuint (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)), ==, 2);
  g_assert_cmpstr (abstain_account_get_server (first), !=, abstain_account_get_server (second));

  a = abstain_account_find_control (first, "chat.training");
  b = abstain_account_find_control (second, "chat.training");
  target_a = !abstain_control_get_enabled (a);
  target_b = !abstain_control_get_enabled (b);
  g_assert_true (abstain_manager_request (fixture->manager, a, target_a, &error));
  g_assert_true (abstain_manager_request (fixture->manager, b, target_b, &error));
  sync_test_wait_until (control_settled, a, TIMEOUT_MS);
  sync_test_wait_until (control_settled, b, TIMEOUT_MS);

  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"), ==, target_a);
  g_assert_cmpint (abstain_test_service_control_enabled (other, "pro", "chat.training"), ==, target_b);
  g_assert_cmpuint (abstain_test_service_count_requests (fixture->svc, "PATCH", "/v1/controls/"), ==, 1);
  g_assert_cmpuint (abstain_test_service_count_requests (other, "PATCH", "/v1/controls/"), ==, 1);

  abstain_test_service_free (other);
  fixture_tear_down (fixture, NULL);
}

static void
on_store_error (AbstainManager *manager,
                const GError   *error,
                guint          *count)
{
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_STORE);
  (*count)++;
}

static void
test_corrupt_store (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "accounts.json", NULL);
  g_autoptr(AbstainManager) manager = abstain_manager_new (dir);
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint errors = 0;

  g_assert_true (g_file_set_contents (path, "{\"version\":1,\"accounts\":[{\"id\":[]}]}", -1, NULL));
  g_signal_connect (manager, "store-error", G_CALLBACK (on_store_error), &errors);
  abstain_manager_load_async (manager, NULL, sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, TIMEOUT_MS);
  g_assert_true (abstain_manager_load_finish (manager, result, &error));
  g_assert_cmpuint (errors, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (abstain_manager_get_accounts (manager)), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_clear_object (&manager);
  sync_test_spin (300);
  sync_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/abstain/sync/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("request/confirmed", test_confirmed);
  ADD ("retry/server-error", test_server_error_then_success);
  ADD ("retry/rate-limited", test_rate_limited);
  ADD ("retry/timeout", test_timeout);
  ADD ("retry/connection-closed", test_connection_closed);
  ADD ("conflict/already-done", test_conflict_already_done);
  ADD ("conflict/resend", test_conflict_resend);
  ADD ("locked", test_locked);
  ADD ("cancel-out", test_cancel_out);
  ADD ("withdraw", test_withdraw);
  ADD ("auth/no-refresh", test_auth_no_refresh);
  ADD ("outbox/survives-restart", test_restart_keeps_outbox);
  g_test_add_func ("/abstain/sync/auth/refresh", test_auth_refresh);
  g_test_add_func ("/abstain/sync/two-accounts", test_two_accounts);
  g_test_add_func ("/abstain/sync/store/corrupt", test_corrupt_store);

#undef ADD

  return g_test_run ();
}
