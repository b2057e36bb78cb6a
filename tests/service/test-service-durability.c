/* test-service-durability.c: restarts, kill -9 at random instants,
 * corrupt state files, the command line and the scripted faults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-test"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "service-test.h"

#define KILL_ITERATIONS 30

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

static guint
flip (AbstainTestService *svc,
      const char         *plan,
      const char         *id,
      gboolean            enabled)
{
  g_autofree char *key = g_uuid_string_random ();

  return svc_test_patch (svc, plan, id, "*", key,
                         enabled ? "{\"enabled\":true}" : "{\"enabled\":false}", NULL, NULL);
}

static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *free_token = g_strdup (abstain_test_service_get_token (f->svc, "free"));

  g_assert_cmpuint (flip (f->svc, "free", "ctl_chat_training", FALSE), ==, 200);
  g_assert_cmpuint (flip (f->svc, "free", "ctl_api_9w1", TRUE), ==, 200);
  abstain_test_service_remote_change (f->svc, "pro", "ctl_chat_training", FALSE, "mobile");

  abstain_test_service_restart (f->svc);

  g_assert_false (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_api_9w1"));
  g_assert_false (abstain_test_service_control_enabled (f->svc, "pro", "ctl_chat_training"));
  g_assert_true (abstain_test_service_control_enabled (f->svc, "student", "ctl_chat_training"));
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "free", NULL), ==, 2);
  g_assert_cmpuint (abstain_test_service_history_count (f->svc, "pro", NULL), ==, 1);
  g_assert_cmpint (svc_test_control_revision (f->svc, "free", "ctl_chat_training"), ==, 2);

  /* A new token at each start; the older ones stay valid. */
  g_assert_cmpstr (free_token, !=, abstain_test_service_get_token (f->svc, "free"));
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/account", free_token,
                                                  NULL, NULL), ==, 200);

  /* Only the state file is left in its folder. */
  {
    g_autofree char *dir = g_path_get_dirname (abstain_test_service_get_state_file (f->svc));
    g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
    const char *name;
    guint n = 0;

    while ((name = g_dir_read_name (gdir)) != NULL)
      {
        g_assert_cmpstr (name, ==, "service.json");
        n++;
      }
    g_assert_cmpuint (n, ==, 1);
  }
}

typedef struct
{
  AbstainTestService *svc;
  guint               delay_ms;
  gint                done;
} Killer;

static gpointer
killer_thread (gpointer data)
{
  Killer *k = data;

  g_usleep (k->delay_ms * 1000);
  abstain_test_service_kill (k->svc);
  g_atomic_int_set (&k->done, 1);

  return NULL;
}

/* A stream of acknowledged writes, killed at a random instant: after a
 * restart every acknowledged change is there, plus at most the one that was
 * in flight. */
static void
test_kill_loop (Fixture       *f,
                gconstpointer  data)
{
  static const char *ids[] = { "ctl_chat_training", "ctl_api_9w1" };
  guint total_acked = 0;

  for (guint iter = 0; iter < KILL_ITERATIONS; iter++)
    {
      const char *id = ids[iter % G_N_ELEMENTS (ids)];
      gint64 revision = svc_test_control_revision (f->svc, "free", id);
      gboolean value = abstain_test_service_control_enabled (f->svc, "free", id);
      Killer killer = { f->svc, (guint) g_test_rand_int_range (1, 60), 0 };
      GThread *thread = g_thread_new ("killer", killer_thread, &killer);
      guint acked = 0;
      gint64 after;
      gboolean now;

      while (!g_atomic_int_get (&killer.done))
        {
          guint status = flip (f->svc, "free", id, !value);

          if (status == 0)
            break;
          g_assert_cmpuint (status, ==, 200);
          value = !value;
          acked++;
        }
      g_thread_join (thread);
      total_acked += acked;

      abstain_test_service_restart (f->svc);
      after = svc_test_control_revision (f->svc, "free", id);
      now = abstain_test_service_control_enabled (f->svc, "free", id);
      if (after == revision + acked)
        g_assert_cmpint (now, ==, value);
      else
        {
          /* The write in flight when the process died made it to disk. */
          g_assert_cmpint (after, ==, revision + acked + 1);
          g_assert_cmpint (now, ==, !value);
        }
    }

  g_test_message ("%u acknowledged writes over %u kills", total_acked, KILL_ITERATIONS);
  g_assert_cmpuint (total_acked, >, 0);
}

static char *
replace_once (const char *text,
              const char *from,
              const char *to)
{
  const char *at = strstr (text, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}

/* Runs the service on @state alone; returns its stderr and exit status. */
static char *
run_on_state (const char *state,
              int        *out_status)
{
  g_autofree char *state_arg = g_strconcat ("--state=", state, NULL);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  char *err = NULL;

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, g_getenv ("ABSTAIN_SERVICE"), "--listen=127.0.0.1:0",
                           state_arg, "--seed=demo", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  *out_status = svc_test_exit_status (proc, err);

  return err;
}

static void
test_corrupt_state (Fixture       *f,
                    gconstpointer  data)
{
  const char *state = abstain_test_service_get_state_file (f->svc);
  g_autofree char *good = NULL;
  gsize good_len = 0;
  g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpuint (flip (f->svc, "free", "ctl_chat_training", FALSE), ==, 200);
  abstain_test_service_stop (f->svc);
  g_assert_true (g_file_get_contents (state, &good, &good_len, NULL));

  g_ptr_array_add (bad, g_strdup (""));
  g_ptr_array_add (bad, g_strdup ("{"));
  g_ptr_array_add (bad, g_strdup ("not json at all"));
  g_ptr_array_add (bad, g_strdup ("[]"));
  g_ptr_array_add (bad, g_strdup ("{\"version\":1}"));
  g_ptr_array_add (bad, g_memdup2 ("\xff\xfe\x00\x01", 4));
  g_ptr_array_add (bad, g_strndup (good, good_len / 2));
  g_ptr_array_add (bad, g_strnfill (500000, '['));
  g_ptr_array_add (bad, replace_once (good, "\"version\":1", "\"version\":2"));
  g_ptr_array_add (bad, replace_once (good, "\"plan\":\"free\"", "\"plan\":\"platinum\""));
  g_ptr_array_add (bad, replace_once (good, "\"plan\":\"pro\"", "\"plan\":7"));
  g_ptr_array_add (bad, replace_once (good, "\"enabled\":false", "\"enabled\":\"no\""));
  g_ptr_array_add (bad, replace_once (good, "\"revision\":", "\"revision\":-"));
  g_ptr_array_add (bad, replace_once (good, "\"display_name\"", "\"displayname\""));
  g_ptr_array_add (bad, replace_once (good, "\"sha256\":\"", "\"sha256\":\"zz"));
  g_ptr_array_add (bad, replace_once (good, "\"role\":\"admin\"", "\"role\":\"owner\""));
  g_ptr_array_add (bad, replace_once (good, "\"owner\":\"acc_5kq2\"", "\"owner\":\"acc_gone\""));
  g_ptr_array_add (bad, replace_once (good, "\"source\":\"desktop\"", "\"source\":\"fax\""));

  for (guint i = 0; i < bad->len; i++)
    {
      const char *contents = g_ptr_array_index (bad, i);
      gsize len = i == 5 ? 4 : strlen (contents);
      g_autofree char *after = NULL;
      g_autofree char *err = NULL;
      gsize after_len = 0;
      int status = 0;

      g_assert_true (g_file_set_contents (state, contents, len, NULL));
      g_assert_false (abstain_test_service_try_restart (f->svc, &status));
      g_assert_cmpint (status, ==, 1);

      err = run_on_state (state, &status);
      g_assert_cmpint (status, ==, 1);
      g_assert_nonnull (strstr (err, state));
      g_assert_null (strstr (err, "demo-token"));

      /* Left exactly as it was. */
      g_assert_true (g_file_get_contents (state, &after, &after_len, NULL));
      g_assert_cmpmem (after, after_len, contents, len);
    }

  g_assert_true (g_file_set_contents (state, good, good_len, NULL));
  abstain_test_service_restart (f->svc);
  g_assert_false (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));
}

static void
test_command_line (void)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *options[] = { "--listen", "--state", "--seed", "--test-hooks", "--token-lifetime",
                            "--rate-limit", "--device-interval", "--device-code-lifetime" };
  const char *bad[] = { "--state", "--seed=nope", "--token-lifetime=0", "--no-such-option" };

  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                           g_getenv ("ABSTAIN_SERVICE"), "--help", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    g_assert_nonnull (strstr (out, options[i]));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GSubprocess) p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                   G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                                                   &error, g_getenv ("ABSTAIN_SERVICE"),
                                                   bad[i], NULL);
      g_autofree char *err = NULL;

      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error);
      g_assert_no_error (error);
      g_assert_cmpint (svc_test_exit_status (p, err), ==, 2);
    }
}

static void
test_clean_stop (void)
{
  const int signals[] = { SIGINT, SIGTERM };

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      g_autofree char *dir = g_dir_make_tmp ("abstain-test-XXXXXX", NULL);
      g_autofree char *state = g_build_filename (dir, "state.json", NULL);
      g_autofree char *state_arg = g_strconcat ("--state=", state, NULL);
      const char *args[] = { "--listen=127.0.0.1:0", state_arg, NULL };
      g_autoptr(GSubprocess) proc = NULL;
      g_autofree char *url = svc_test_run_alone (args, &proc);

      g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
      g_subprocess_send_signal (proc, signals[i]);
      g_assert_true (g_subprocess_wait (proc, NULL, NULL));
      g_assert_cmpint (svc_test_exit_status (proc, NULL), ==, 0);
      g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));
      g_unlink (state);
      g_rmdir (dir);
    }
}

/* Faults */

static void
test_fault_status (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *auth = g_strconcat ("Bearer ", abstain_test_service_get_token (f->svc, "free"), NULL);
  const char *headers[] = { "Authorization", auth, NULL };

  abstain_test_service_add_fault (f->svc, "{\"method\":\"GET\",\"path\":\"/v1/controls*\",\"count\":2,"
                                  "\"fault\":\"status\",\"status\":429,\"body\":\"slow down\","
                                  "\"headers\":{\"Retry-After\":\"2\"}}");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GHashTable) response_headers = NULL;
      g_autoptr(GBytes) body = NULL;
      guint status = abstain_test_service_request_full (f->svc, "GET", "/v1/controls", headers,
                                                        NULL, NULL, &response_headers, &body);

      if (i < 2)
        {
          g_assert_cmpuint (status, ==, 429);
          g_assert_cmpstr (g_hash_table_lookup (response_headers, "retry-after"), ==, "2");
          g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "slow down", 9);
        }
      else
        g_assert_cmpuint (status, ==, 200);
    }

  /* A status fault does not reach the resource. */
  abstain_test_service_add_fault (f->svc, "{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\","
                                  "\"fault\":\"status\",\"status\":503}");
  g_assert_cmpuint (flip (f->svc, "free", "ctl_chat_training", FALSE), ==, 503);
  g_assert_true (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));

  /* Other methods and paths are not matched; DELETE clears the script. */
  abstain_test_service_add_fault (f->svc, "{\"method\":\"PATCH\",\"path\":\"/v1/account\","
                                  "\"fault\":\"status\",\"status\":500}");
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/account",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  NULL, NULL), ==, 200);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "DELETE", "/_test/faults", NULL, NULL,
                                                  NULL), ==, 200);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "PATCH", "/v1/account",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  "{}", NULL), ==, 405);

  /* Malformed scripts are refused. */
  g_assert_cmpuint (abstain_test_service_request (f->svc, "POST", "/_test/faults", NULL,
                                                  "{\"fault\":\"explode\"}", NULL), ==, 400);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "POST", "/_test/faults", NULL,
                                                  "{\"fault\":\"status\"}", NULL), ==, 400);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "POST", "/_test/faults", NULL,
                                                  "[", NULL), ==, 400);
}

static void
test_fault_delay (Fixture       *f,
                  gconstpointer  data)
{
  gint64 start;

  abstain_test_service_add_fault (f->svc, "{\"method\":\"*\",\"path\":\"/v1/controls/*\","
                                  "\"fault\":\"delay\",\"delay_ms\":400}");
  start = g_get_monotonic_time ();
  g_assert_cmpuint (flip (f->svc, "free", "ctl_chat_training", FALSE), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 400 * 1000);
  g_assert_false (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"));

  /* A delay with another fault. */
  abstain_test_service_add_fault (f->svc, "{\"path\":\"/v1/account\",\"fault\":\"html\","
                                  "\"delay_ms\":200}");
  start = g_get_monotonic_time ();
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/account", NULL, NULL, NULL),
                    ==, 502);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 200 * 1000);
}

/* The body of a raw response and the Content-Length it claimed. */
static gsize
raw_body (GBytes  *response,
          gsize   *out_claimed)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (response, &len);
  const char *end = g_strstr_len (data, len, "\r\n\r\n");
  const char *cl = g_strstr_len (data, len, "Content-Length: ");

  g_assert_nonnull (end);
  g_assert_nonnull (cl);
  *out_claimed = (gsize) g_ascii_strtoull (cl + strlen ("Content-Length: "), NULL, 10);

  return len - (gsize) (end + 4 - data);
}

static void
test_fault_short_bodies (Fixture       *f,
                         gconstpointer  data)
{
  const char *kinds[] = { "close", "lying_length" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *fault = g_strdup_printf ("{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\","
                                                "\"fault\":\"%s\"}", kinds[i]);
      g_autofree char *request = g_strdup_printf ("PATCH /v1/controls/ctl_chat_training HTTP/1.1\r\n"
                                                  "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                                                  "If-Match: *\r\nIdempotency-Key: short-%u\r\n"
                                                  "Content-Type: application/json\r\n"
                                                  "Content-Length: %d\r\n\r\n%s",
                                                  abstain_test_service_get_token (f->svc, "free"), i,
                                                  i == 0 ? 17 : 16,
                                                  i == 0 ? "{\"enabled\":false}" : "{\"enabled\":true}");
      g_autoptr(GBytes) response = NULL;
      gsize claimed = 0;
      gsize got;

      abstain_test_service_add_fault (f->svc, fault);
      response = svc_test_raw_request (abstain_test_service_get_url (f->svc), request);
      got = raw_body (response, &claimed);
      g_assert_cmpuint (got, <, claimed);
      g_assert_cmpuint (got, >, 0);

      /* The change itself went through: only the answer was lost. */
      g_assert_cmpint (abstain_test_service_control_enabled (f->svc, "free", "ctl_chat_training"),
                       ==, i == 1);
    }
}

static void
test_fault_bodies (Fixture       *f,
                   gconstpointer  data)
{
  const char *kinds[] = { "truncated", "wrong_types", "oversized", "deep", "invalid_utf8", "html" };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *fault = g_strdup_printf ("{\"method\":\"GET\",\"path\":\"/v1/account\","
                                                "\"fault\":\"%s\"}", kinds[i]);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize len = 0;
      const char *data_ = NULL;
      guint status;

      abstain_test_service_add_fault (f->svc, fault);
      status = abstain_test_service_request (f->svc, "GET", "/v1/account",
                                             abstain_test_service_get_token (f->svc, "free"),
                                             NULL, &body);
      data_ = g_bytes_get_data (body, &len);
      g_assert_cmpuint (status, ==, g_str_equal (kinds[i], "html") ? 502 : 200);

      if (g_str_equal (kinds[i], "truncated"))
        {
          g_assert_true (len > 10 && data_[0] == '{');
          g_assert_false (json_parser_load_from_data (parser, data_, len, NULL));
        }
      else if (g_str_equal (kinds[i], "wrong_types"))
        {
          JsonObject *obj;

          g_assert_true (json_parser_load_from_data (parser, data_, len, NULL));
          obj = json_node_get_object (json_parser_get_root (parser));
          g_assert_true (json_object_has_member (obj, "email"));
          g_assert_cmpint (json_node_get_value_type (json_object_get_member (obj, "email")), !=,
                           G_TYPE_STRING);
          g_assert_false (JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "organizations")));
        }
      else if (g_str_equal (kinds[i], "oversized"))
        g_assert_cmpuint (len, >=, 2 * 1024 * 1024);
      else if (g_str_equal (kinds[i], "deep"))
        {
          g_assert_cmpuint (len, ==, 100000);
          g_assert_true (data_[0] == '[' && data_[len - 1] == '[');
        }
      else if (g_str_equal (kinds[i], "invalid_utf8"))
        g_assert_false (g_utf8_validate (data_, len, NULL));
      else
        g_assert_nonnull (g_strstr_len (data_, len, "<html>"));
    }

  /* Each fault applied once: the next request is served normally. */
  g_assert_cmpuint (abstain_test_service_request (f->svc, "GET", "/v1/account",
                                                  abstain_test_service_get_token (f->svc, "free"),
                                                  NULL, NULL), ==, 200);
}

static void
test_stats (Fixture       *f,
            gconstpointer  data)
{
  g_assert_cmpuint (abstain_test_service_count_requests (f->svc, "GET", "/v1/"), ==, 0);
  for (guint i = 0; i < 3; i++)
    abstain_test_service_request (f->svc, "GET", "/v1/account",
                                  abstain_test_service_get_token (f->svc, "pro"), NULL, NULL);
  g_assert_cmpuint (flip (f->svc, "pro", "ctl_chat_training", FALSE), ==, 200);
  g_assert_cmpuint (abstain_test_service_count_requests (f->svc, "GET", "/v1/account"), ==, 3);
  g_assert_cmpuint (abstain_test_service_count_requests (f->svc, "PATCH", "/v1/"), ==, 1);
  g_assert_cmpuint (abstain_test_service_count_requests (f->svc, NULL, "/v1/"), ==, 4);
  g_assert_cmpuint (abstain_test_service_request (f->svc, "DELETE", "/_test/stats", NULL, NULL,
                                                  NULL), ==, 200);
  g_assert_cmpuint (abstain_test_service_count_requests (f->svc, NULL, "/v1/"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/abstain/service/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("durability/restart", test_restart);
  ADD ("durability/kill-loop", test_kill_loop);
  ADD ("durability/corrupt-state", test_corrupt_state);
  g_test_add_func ("/abstain/service/command-line", test_command_line);
  g_test_add_func ("/abstain/service/clean-stop", test_clean_stop);
  ADD ("faults/status", test_fault_status);
  ADD ("faults/delay", test_fault_delay);
  ADD ("faults/short-bodies", test_fault_short_bodies);
  ADD ("faults/bodies", test_fault_bodies);
  ADD ("stats", test_stats);

#undef ADD

  return g_test_run ();
}
