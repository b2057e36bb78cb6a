/* test-cli.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The "abstain" command as a subprocess ($ABSTAIN_CLI), against the real
 * service and the real keyring.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "abstain-test-service.h"
#include "sync-test-util.h"

enum {
  EXIT_OK = 0,
  EXIT_ERROR = 1,
  EXIT_USAGE = 2,
  EXIT_SIGN_IN = 3,
  EXIT_QUEUED = 4,
};

typedef struct
{
  AbstainTestService *svc;
  char               *dir;
  gboolean            target; /* opposite of the free user's chat.training at start */
} Fixture;

static int
sign_in (Fixture    *fixture,
         const char *plan)
{
  g_autofree char *token = g_strdup_printf ("%s\n", abstain_test_service_get_token (fixture->svc, plan));

  return sync_test_run_cli (fixture->dir, token, NULL, NULL, NULL, "sign-in", "--server",
                            abstain_test_service_get_url (fixture->svc), "--token-stdin", NULL);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = sync_test_make_dir ();
  g_assert_cmpint (sign_in (fixture, "free"), ==, EXIT_OK);
  fixture->target = !abstain_test_service_control_enabled (fixture->svc, "free", "chat.training");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  abstain_test_service_free (fixture->svc);
  sync_test_remove_dir (fixture->dir);
  g_free (fixture->dir);
}

static const char *
switch_command (gboolean enabled)
{
  return enabled ? "opt-in" : "opt-out";
}

static guint
server_history (Fixture *fixture)
{
  return abstain_test_service_history_count (fixture->svc, "free", NULL);
}

static gboolean
outbox_has (Fixture    *fixture,
            const char *needle)
{
  g_autofree char *outbox = sync_test_read_file (fixture->dir, "outbox.json");

  return outbox != NULL && strstr (outbox, needle) != NULL;
}

/* Cases */

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  JsonNode *root;

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_node_get_object (root);
}

static void
test_status_json (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *account, *control;
  JsonArray *accounts, *controls;

  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, &out, NULL, "status", "--json", NULL),
                   ==, EXIT_OK);
  root = parse_object (parser, out);
  accounts = json_object_get_array_member (root, "accounts");
  g_assert_cmpuint (json_array_get_length (accounts), ==, 1);
  account = json_array_get_object_element (accounts, 0);
  g_assert_cmpstr (json_object_get_string_member (account, "email"), ==,
                   abstain_test_service_get_email (fixture->svc, "free"));
  g_assert_cmpstr (json_object_get_string_member (account, "server"), ==,
                   abstain_test_service_get_url (fixture->svc));
  g_assert_cmpstr (json_object_get_string_member (account, "plan"), ==, "free");
  g_assert_cmpstr (json_object_get_string_member (account, "state"), ==, "online");
  controls = json_object_get_array_member (account, "controls");
  g_assert_cmpuint (json_array_get_length (controls), >=, 1);
  control = json_array_get_object_element (controls, 0);
  for (guint i = 0; i < json_array_get_length (controls); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (controls, i), "kind"),
                     "chat.training"))
      control = json_array_get_object_element (controls, i);
  g_assert_cmpstr (json_object_get_string_member (control, "kind"), ==, "chat.training");
  g_assert_cmpint (json_object_get_boolean_member (control, "enabled"), ==, !fixture->target);
  g_assert_false (json_object_get_boolean_member (control, "pending"));
  g_assert_true (json_object_has_member (control, "locked_reason"));
  g_assert_true (json_object_has_member (control, "updated_at"));
  g_assert_true (json_object_has_member (control, "title"));
  g_assert_true (json_object_has_member (control, "requested"));
  g_assert_true (json_object_has_member (control, "editable"));
  g_assert_true (json_object_has_member (control, "id"));
}

static void
test_switch_confirmed (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *events;
  gboolean found = FALSE;
  guint before = server_history (fixture);

  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      switch_command (fixture->target), "chat.training", NULL),
                   ==, EXIT_OK);
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"),
                   ==, fixture->target);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);

  /* The local history has it, with the server's time. */
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, &out, NULL, "history", "--json", NULL),
                   ==, EXIT_OK);
  events = json_object_get_array_member (parse_object (parser, out), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      const char *origin = json_object_get_string_member (event, "origin");

      if (json_object_get_boolean_member (event, "to") == fixture->target &&
          (g_str_equal (origin, "local") || g_str_equal (origin, "both")))
        found = TRUE;
    }
  g_assert_true (found);
}

static void
test_opt_out_all_locked (void)
{
  Fixture fixture_storage = { 0 }, *fixture = &fixture_storage;
  g_autofree char *out = NULL;

  /* The team user's chat control is locked by the plan: listed, not an error. */
  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = sync_test_make_dir ();
  g_assert_cmpint (sign_in (fixture, "team"), ==, EXIT_OK);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, &out, NULL, "opt-out", "--all", NULL),
                   ==, EXIT_OK);
  g_assert_nonnull (strstr (out, "locked"));
  g_assert_nonnull (strstr (out, "Team"));
  fixture_tear_down (fixture, NULL);
}

static void
test_auth_no_refresh (Fixture       *fixture,
                      gconstpointer  data)
{
  abstain_test_service_expire_tokens (fixture->svc, "free");
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      switch_command (fixture->target), "chat.training", NULL),
                   ==, EXIT_SIGN_IN);
  g_assert_true (outbox_has (fixture, "ctl_chat_training"));

  /* A restart gives the fixture a fresh demo token to look with. */
  abstain_test_service_restart (fixture->svc);
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"),
                   ==, !fixture->target);

  /* Signing in again sends the kept change. */
  g_assert_cmpint (sign_in (fixture, "free"), ==, EXIT_OK);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL, "sync", NULL), ==, EXIT_OK);
  g_assert_false (outbox_has (fixture, "ctl_chat_training"));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"),
                   ==, fixture->target);
}

static void
test_offline_then_sync (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *out = NULL;
  guint before = server_history (fixture);

  abstain_test_service_stop (fixture->svc);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      switch_command (fixture->target), "chat.training", NULL),
                   ==, EXIT_QUEUED);
  g_assert_true (outbox_has (fixture, "ctl_chat_training"));

  /* status offline: the cached state, said to be cached. */
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, &out, NULL, "status", NULL),
                   ==, EXIT_OK);
  g_assert_nonnull (strstr (out, "cached"));
  g_assert_nonnull (strstr (out, "queued"));

  abstain_test_service_restart (fixture->svc);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL, "sync", NULL), ==, EXIT_OK);
  g_assert_false (outbox_has (fixture, "ctl_chat_training"));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"),
                   ==, fixture->target);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static gboolean
fixture_outbox_has_change (gpointer data)
{
  return outbox_has (data, "ctl_chat_training");
}

static void
test_killed_in_flight (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GSubprocess) cli = NULL;
  guint before = server_history (fixture);

  abstain_test_service_add_fault (fixture->svc,
    "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":1,\"fault\":\"delay\","
    "\"delay_ms\":3000}");
  cli = sync_test_spawn_cli (fixture->dir, switch_command (fixture->target), "chat.training", NULL);
  sync_test_wait_until (fixture_outbox_has_change, fixture, 10000);
  sync_test_spin (300);
  g_subprocess_send_signal (cli, SIGKILL);
  g_assert_true (g_subprocess_wait (cli, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (cli));
  g_assert_true (outbox_has (fixture, "ctl_chat_training"));

  /* The delayed PATCH may land meanwhile; sync resends the same key. */
  sync_test_spin (3500);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL, "sync", NULL), ==, EXIT_OK);
  g_assert_false (outbox_has (fixture, "ctl_chat_training"));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"),
                   ==, fixture->target);
  g_assert_cmpuint (server_history (fixture), ==, before + 1);
}

static const char *hostile_faults[] = {
  "truncated", "wrong_types", "oversized", "invalid_utf8", "deep", "html", "lying_length",
};

static void
test_hostile_bodies (Fixture       *fixture,
                     gconstpointer  data)
{
  /* Changed elsewhere, so the next GET carries a full body to spoil. */
  abstain_test_service_remote_change (fixture->svc, "free", "ctl_api_9w1", TRUE, "web");

  for (guint i = 0; i < G_N_ELEMENTS (hostile_faults); i++)
    {
      g_autofree char *fault = g_strdup_printf (
        "{\"method\":\"GET\",\"path\":\"/v1/controls\",\"count\":1,\"fault\":\"%s\"}",
        hostile_faults[i]);
      g_autoptr(GBytes) before = sync_test_read_tree (fixture->dir);
      g_autoptr(GBytes) after = NULL;
      g_autofree char *out = NULL, *err = NULL;
      gboolean transient = g_str_equal (hostile_faults[i], "html") ||
                           g_str_equal (hostile_faults[i], "lying_length") ||
                           g_str_equal (hostile_faults[i], "truncated");
      int status;

      g_test_message ("fault %s", hostile_faults[i]);
      abstain_test_service_add_fault (fixture->svc, fault);
      status = sync_test_run_cli (fixture->dir, NULL, NULL, &out, &err, "status", NULL);
      after = sync_test_read_tree (fixture->dir);

      /* A clear error, nothing changed on disk, never a crash. */
      g_assert_true (g_bytes_equal (before, after));
      g_assert_nonnull (strstr (out, "Last error"));
      if (transient)
        g_assert_true (status == EXIT_OK || status == EXIT_ERROR);
      else
        g_assert_cmpint (status, ==, EXIT_ERROR);
    }

  /* A hostile answer to the PATCH: the change is dropped, the store is as
   * before. One confirmed change first, so every store file exists. */
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      "opt-out", "ctl_api_9w1", NULL), ==, EXIT_OK);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL, "status", NULL), ==, EXIT_OK);
  {
    g_autoptr(GBytes) before = sync_test_read_tree (fixture->dir);
    g_autoptr(GBytes) after = NULL;
    g_autofree char *err = NULL;

    abstain_test_service_add_fault (fixture->svc,
      "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",\"count\":1,\"fault\":\"wrong_types\"}");
    g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, &err,
                                        switch_command (fixture->target), "chat.training", NULL),
                     ==, EXIT_ERROR);
    g_assert_true (strlen (err) > 0);
    after = sync_test_read_tree (fixture->dir);
    g_assert_true (g_bytes_equal (before, after));
  }
}

static void
scan_for (const char *token,
          GBytes     *bytes,
          const char *what)
{
  if (sync_test_bytes_contain (bytes, token))
    g_error ("the token leaked into %s", what);
}

static void
test_token_never_leaks (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *env[] = { "G_MESSAGES_DEBUG=all", NULL };
  const char *token = abstain_test_service_get_token (fixture->svc, "free");
  g_autofree char *line = g_strdup_printf ("%s\n", token);
  const char *xdg[] = { "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "HOME" };
  g_autoptr(GString) logs = g_string_new (NULL);
  const char *commands[][3] = {
    { "status", NULL }, { "status", "--json" }, { "history", NULL }, { "accounts", "--json" },
    { "sync", NULL },
  };

  g_assert_cmpint (sync_test_run_cli (fixture->dir, line, env, NULL, NULL, "sign-in", "--server",
                                      abstain_test_service_get_url (fixture->svc),
                                      "--token-stdin", NULL), ==, EXIT_OK);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL, *err = NULL;

      sync_test_run_cli (fixture->dir, NULL, env, &out, &err, commands[i][0], commands[i][1], NULL);
      g_string_append (logs, out);
      g_string_append (logs, err);
    }
  {
    g_autofree char *out = NULL, *err = NULL;

    sync_test_run_cli (fixture->dir, NULL, env, &out, &err, switch_command (fixture->target),
                       "chat.training", NULL);
    g_string_append (logs, out);
    g_string_append (logs, err);
  }
  g_assert_true (strstr (logs->str, "abstain") != NULL);

  {
    g_autoptr(GBytes) log_bytes = g_bytes_new (logs->str, logs->len);
    g_autoptr(GBytes) state = sync_test_read_tree (fixture->dir);

    scan_for (token, log_bytes, "the logs");
    scan_for (token, state, "the state folder");
    g_assert_cmpuint (g_bytes_get_size (state), >, 0);
  }

  for (guint i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      const char *dir = g_getenv (xdg[i]);
      g_autoptr(GBytes) tree = NULL;

      if (dir == NULL || g_str_equal (xdg[i], "HOME"))
        continue;
      tree = sync_test_read_tree (dir);
      scan_for (token, tree, xdg[i]);
    }
}

static void
test_corrupt_reported_once (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "history.json", NULL);
  g_autofree char *err1 = NULL, *err2 = NULL;

  g_assert_true (g_file_set_contents (path, "{\"version\":1,\"events\":[{]", -1, NULL));
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, &err1, "status", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (err1, "history.json"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, &err2, "status", NULL), ==, EXIT_OK);
  g_assert_null (strstr (err2, "history.json"));
}

static void
test_two_accounts_need_choice (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  const char *pro = abstain_test_service_get_email (fixture->svc, "pro");

  g_assert_cmpint (sign_in (fixture, "pro"), ==, EXIT_OK);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, &err,
                                      "opt-out", "chat.training", NULL), ==, EXIT_USAGE);
  g_assert_nonnull (strstr (err, "--account"));
  g_assert_nonnull (strstr (err, pro));
  g_assert_nonnull (strstr (err, abstain_test_service_get_email (fixture->svc, "free")));

  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, &out, NULL,
                                      "accounts", "--json", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (out, "\"organizations\""));
  g_assert_nonnull (strstr (out, pro));

  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      "sign-out", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      "sign-out", "--account", pro, NULL), ==, EXIT_OK);
  g_assert_cmpuint (abstain_test_service_count_requests (fixture->svc, "POST", "/oauth/revoke"), ==, 1);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, NULL, NULL,
                                      switch_command (fixture->target), "chat.training", NULL),
                   ==, EXIT_OK);
}

static void
test_sign_in_device (void)
{
  Fixture fixture_storage = { 0 }, *fixture = &fixture_storage;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *out = NULL;
  const char *code;

  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = sync_test_make_dir ();
  g_subprocess_launcher_setenv (launcher, "ABSTAIN_STATE_DIR", fixture->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  cli = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ABSTAIN_CLI"), "sign-in",
                                     "--server", abstain_test_service_get_url (fixture->svc),
                                     "--device", NULL);
  g_assert_no_error (error);

  /* The address and the code are printed; nothing is opened. */
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (cli));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, abstain_test_service_get_url (fixture->svc)));
  code = strrchr (line, ' ');
  g_assert_nonnull (code);
  abstain_test_service_device_approve (fixture->svc, code + 1, "student", TRUE);

  g_assert_true (g_subprocess_wait (cli, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (cli), ==, EXIT_OK);
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, NULL, &out, NULL, "accounts", "--json", NULL),
                   ==, EXIT_OK);
  g_assert_nonnull (strstr (out, abstain_test_service_get_email (fixture->svc, "student")));

  fixture_tear_down (fixture, NULL);
}

static void
test_keyring_unavailable (Fixture       *fixture,
                          gconstpointer  data)
{
  const char *env[] = { "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/abstain-bus", NULL };
  g_autofree char *out = NULL;

  /* The cached state, read-only, with a clear error. */
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, env, &out, NULL, "status", "--json", NULL),
                   ==, EXIT_ERROR);
  g_assert_nonnull (strstr (out, "keyring-error"));
  g_assert_cmpint (sync_test_run_cli (fixture->dir, NULL, env, NULL, NULL,
                                      switch_command (fixture->target), "chat.training", NULL),
                   ==, EXIT_ERROR);
  g_assert_false (outbox_has (fixture, "ctl_chat_training"));
}

static void
test_usage (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  const char *window_env[] = { "ABSTAIN_WINDOW=/bin/echo", NULL };
  g_autofree char *out = NULL, *err = NULL, *version = NULL, *help = NULL;

  g_assert_cmpint (sync_test_run_cli (dir, NULL, NULL, &help, NULL, "--help", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (help, "opt-out"));
  g_assert_cmpint (sync_test_run_cli (dir, NULL, NULL, &version, NULL, "--version", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (version, PACKAGE_VERSION));
  g_assert_cmpint (sync_test_run_cli (dir, NULL, NULL, NULL, NULL, "status", "--help", NULL), ==, EXIT_OK);
  g_assert_cmpint (sync_test_run_cli (dir, NULL, NULL, NULL, NULL, "opt-out", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (sync_test_run_cli (dir, NULL, NULL, NULL, NULL, "status", "--bogus", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (sync_test_run_cli (dir, NULL, NULL, NULL, NULL, "sign-in", "--token-stdin", NULL),
                   ==, EXIT_USAGE);
  g_assert_cmpint (sync_test_run_cli (dir, "short\n", NULL, NULL, &err, "sign-in", "--server",
                                      "http://127.0.0.1:9", "--token-stdin", NULL), ==, EXIT_ERROR);
  g_assert_nonnull (strstr (err, "16"));

  /* An option first: the window, with the same arguments. */
  g_assert_cmpint (sync_test_run_cli (dir, NULL, window_env, &out, NULL, "--gapplication-service", NULL),
                   ==, EXIT_OK);
  g_assert_nonnull (strstr (out, "--gapplication-service"));

  /* A word that is no command: a usage error naming it, never the window. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sync_test_run_cli (dir, NULL, window_env, &out, &err, "stauts", NULL), ==, EXIT_USAGE);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "“stauts”"));
  g_assert_nonnull (strstr (err, "opt-out"));

  sync_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/abstain/cli/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/abstain/cli/usage", test_usage);
  ADD ("status/json", test_status_json);
  ADD ("switch/confirmed", test_switch_confirmed);
  g_test_add_func ("/abstain/cli/opt-out/all-locked", test_opt_out_all_locked);
  ADD ("auth/no-refresh", test_auth_no_refresh);
  ADD ("offline/then-sync", test_offline_then_sync);
  ADD ("killed-in-flight", test_killed_in_flight);
  ADD ("hostile-bodies", test_hostile_bodies);
  ADD ("token-never-leaks", test_token_never_leaks);
  ADD ("store/corrupt-reported-once", test_corrupt_reported_once);
  ADD ("accounts/need-choice", test_two_accounts_need_choice);
  ADD ("keyring/unavailable", test_keyring_unavailable);
  g_test_add_func ("/abstain/cli/sign-in/device", test_sign_in_device);

#undef ADD

  return g_test_run ();
}
