/* abstain-test-service.c: runs the reference service for a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-test"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "abstain-test-service.h"
#include "svc-listener.h"

#define START_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_MS 10000
#define N_DEMO_USERS 5

struct _AbstainTestService
{
  GSubprocess *proc;
  GThread     *out_thread;
  GThread     *err_thread;
  char        *tmpdir;
  char        *state_file;
  char        *url;
  guint16      port;
  GStrv        extra_args;

  GMutex       lock;
  GCond        cond;
  GHashTable  *tokens;       /* plan → token (strings owned by @strings) */
  GHashTable  *emails;       /* plan → email (strings owned by @strings) */
  GPtrArray   *strings;
  char        *listening;    /* URL from the latest "listening on" line */
  guint        n_tokens;     /* demo-token lines since the latest start */
  guint        n_eof;        /* pipes closed since the latest start */
};

typedef struct
{
  AbstainTestService *svc;
  GInputStream       *stream;
  gboolean            is_stderr;
} Reader;

static void
handle_line (AbstainTestService *svc,
             const char         *line,
             gboolean            is_stderr)
{
  g_auto(GStrv) parts = NULL;

  if (!is_stderr && g_str_has_prefix (line, "listening on "))
    {
      g_free (svc->listening);
      svc->listening = g_strdup (line + strlen ("listening on "));
      return;
    }

  if (is_stderr && g_str_has_prefix (line, "demo-token "))
    parts = g_strsplit (line, " ", 5);
  if (parts != NULL && g_strv_length (parts) == 4)
    {
      char *plan = g_strdup (parts[1]);
      char *email = g_strdup (parts[2]);
      char *token = g_strdup (parts[3]);

      g_ptr_array_add (svc->strings, plan);
      g_ptr_array_add (svc->strings, email);
      g_ptr_array_add (svc->strings, token);
      g_hash_table_replace (svc->emails, plan, email);
      g_hash_table_replace (svc->tokens, plan, token);
      svc->n_tokens++;
      return;
    }

  g_printerr ("[abstain-service] %s\n", line);
}

/* Reads one of the child's pipes to its end so the child never blocks. */
static gpointer
reader_thread (gpointer data)
{
  Reader *r = data;
  AbstainTestService *svc = r->svc;
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (r->stream);
  char *line;

  while ((line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL)) != NULL)
    {
      g_mutex_lock (&svc->lock);
      handle_line (svc, line, r->is_stderr);
      g_cond_broadcast (&svc->cond);
      g_mutex_unlock (&svc->lock);
      g_free (line);
    }

  g_mutex_lock (&svc->lock);
  svc->n_eof++;
  g_cond_broadcast (&svc->cond);
  g_mutex_unlock (&svc->lock);

  g_object_unref (r->stream);
  g_free (r);
  return NULL;
}

static GThread *
start_reader (AbstainTestService *svc,
              GInputStream       *stream,
              gboolean            is_stderr)
{
  Reader *r = g_new0 (Reader, 1);

  r->svc = svc;
  r->stream = g_object_ref (stream);
  r->is_stderr = is_stderr;

  return g_thread_new (is_stderr ? "service-stderr" : "service-stdout", reader_thread, r);
}

static GPtrArray *
build_argv (AbstainTestService *svc)
{
  const char *binary = g_getenv ("ABSTAIN_SERVICE");
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  if (binary == NULL || binary[0] == '\0')
    g_error ("ABSTAIN_SERVICE is not set to the abstain-service binary");

  g_ptr_array_add (argv, g_strdup (binary));
  g_ptr_array_add (argv, g_strdup_printf ("--listen=127.0.0.1:%u", svc->port));
  g_ptr_array_add (argv, g_strdup_printf ("--state=%s", svc->state_file));
  g_ptr_array_add (argv, g_strdup ("--seed=demo"));
  g_ptr_array_add (argv, g_strdup ("--test-hooks"));
  for (guint i = 0; svc->extra_args && svc->extra_args[i]; i++)
    g_ptr_array_add (argv, g_strdup (svc->extra_args[i]));
  g_ptr_array_add (argv, NULL);

  return argv;
}

static void
join_readers (AbstainTestService *svc)
{
  g_clear_pointer (&svc->out_thread, g_thread_join);
  g_clear_pointer (&svc->err_thread, g_thread_join);
}

static void
wait_ready_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *done = TRUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits for the child to exit, at most @timeout_ms; TRUE if it did. */
static gboolean
wait_exit (GSubprocess *proc,
           guint        timeout_ms)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  gboolean done = FALSE;
  gboolean timed_out = FALSE;

  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  g_subprocess_wait_async (proc, NULL, wait_ready_cb, &done);
  while (!done && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  while (!done)
    {
      /* The pending wait must finish before its context goes away. */
      g_subprocess_force_exit (proc);
      g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);

  return !timed_out;
}

/* The service exits 0 on SIGTERM; anything else is a crash or a
 * sanitizer's report, which its standard error (above) shows. */
static void
check_stopped_cleanly (GSubprocess *proc)
{
  if (g_subprocess_get_if_signaled (proc))
    {
      int sig = g_subprocess_get_term_sig (proc);

      g_test_fail_printf ("abstain-service was killed by signal %d (%s) when asked to stop",
                          sig, g_strsignal (sig));
    }
  else if (g_subprocess_get_exit_status (proc) != 0)
    {
      g_test_fail_printf ("abstain-service exited with status %d when asked to stop",
                          g_subprocess_get_exit_status (proc));
    }
}

static void
end_process (AbstainTestService *svc,
             int                 signum)
{
  gboolean stopped;

  if (svc->proc == NULL)
    return;

  g_subprocess_send_signal (svc->proc, signum);
  stopped = wait_exit (svc->proc, STOP_TIMEOUT_MS);
  join_readers (svc);
  if (!stopped)
    g_warning ("abstain-service did not stop within %d ms; killed", STOP_TIMEOUT_MS);
  else if (signum == SIGTERM)
    check_stopped_cleanly (svc->proc);
  g_clear_object (&svc->proc);
}

/* Reaps a child that did not become ready; its exit status or -1. */
static void
end_process_status (AbstainTestService *svc,
                    int                *out_status)
{
  int status = -1;

  if (!wait_exit (svc->proc, 2000))
    {
      g_subprocess_force_exit (svc->proc);
      wait_exit (svc->proc, STOP_TIMEOUT_MS);
    }
  else if (g_subprocess_get_if_exited (svc->proc))
    status = g_subprocess_get_exit_status (svc->proc);
  else
    g_test_message ("abstain-service was killed by signal %d (%s)",
                    g_subprocess_get_term_sig (svc->proc),
                    g_strsignal (g_subprocess_get_term_sig (svc->proc)));

  join_readers (svc);
  g_clear_object (&svc->proc);
  if (out_status != NULL)
    *out_status = status;
}

/* A test that dies (a timeout, a failed assertion) must not leave its
 * service running: the child gets SIGKILL when the test goes away. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Spawns the service once; TRUE when it printed its URL and tokens. */
static gboolean
spawn_once (AbstainTestService *svc,
            int                *out_status)
{
  g_autoptr(GPtrArray) argv = build_argv (svc);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_US;
  gboolean ready = FALSE;

  g_mutex_lock (&svc->lock);
  g_clear_pointer (&svc->listening, g_free);
  svc->n_tokens = 0;
  svc->n_eof = 0;
  g_mutex_unlock (&svc->lock);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  svc->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  svc->out_thread = start_reader (svc, g_subprocess_get_stdout_pipe (svc->proc), FALSE);
  svc->err_thread = start_reader (svc, g_subprocess_get_stderr_pipe (svc->proc), TRUE);

  g_mutex_lock (&svc->lock);
  while (!(ready = svc->listening != NULL && svc->n_tokens >= N_DEMO_USERS) &&
         svc->n_eof < 2 &&
         g_cond_wait_until (&svc->cond, &svc->lock, deadline))
    ;
  g_mutex_unlock (&svc->lock);

  if (ready)
    return TRUE;

  end_process_status (svc, out_status);
  return FALSE;
}

/* Starts on the saved port, retrying while the port is still taken. */
static gboolean
start_on_port (AbstainTestService *svc,
               int                *out_status)
{
  int status = -1;

  for (guint attempt = 0; attempt < 50; attempt++)
    {
      if (spawn_once (svc, &status))
        return TRUE;
      if (status != 3)
        break;
      g_usleep (100 * 1000);
    }

  if (out_status != NULL)
    *out_status = status;
  return FALSE;
}

AbstainTestService *
abstain_test_service_new (const char *const *extra_args)
{
  AbstainTestService *svc = g_new0 (AbstainTestService, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  int status = -1;

  g_mutex_init (&svc->lock);
  g_cond_init (&svc->cond);
  svc->tokens = g_hash_table_new (g_str_hash, g_str_equal);
  svc->emails = g_hash_table_new (g_str_hash, g_str_equal);
  svc->strings = g_ptr_array_new_with_free_func (g_free);
  svc->extra_args = g_strdupv ((char **) extra_args);
  svc->tmpdir = g_dir_make_tmp ("abstain-test-XXXXXX", &error);
  g_assert_no_error (error);
  svc->state_file = g_build_filename (svc->tmpdir, "service.json", NULL);

  if (!spawn_once (svc, &status))
    g_error ("abstain-service did not start within 10 s (exit status %d)", status);

  uri = g_uri_parse (svc->listening, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  svc->port = (guint16) g_uri_get_port (uri);
  svc->url = g_strdup (svc->listening);

  return svc;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, NULL);
  const char *name;

  while (gdir != NULL && (name = g_dir_read_name (gdir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

void
abstain_test_service_free (AbstainTestService *svc)
{
  if (svc == NULL)
    return;

  end_process (svc, SIGTERM);
  remove_tree (svc->tmpdir);
  g_hash_table_unref (svc->tokens);
  g_hash_table_unref (svc->emails);
  g_ptr_array_unref (svc->strings);
  g_strfreev (svc->extra_args);
  g_free (svc->tmpdir);
  g_free (svc->state_file);
  g_free (svc->url);
  g_free (svc->listening);
  g_mutex_clear (&svc->lock);
  g_cond_clear (&svc->cond);
  g_free (svc);
}

const char *
abstain_test_service_get_url (AbstainTestService *svc)
{
  g_return_val_if_fail (svc != NULL, NULL);
  return svc->url;
}

static const char *
lookup_plan (AbstainTestService *svc,
             GHashTable         *table,
             const char         *plan)
{
  const char *value;

  g_mutex_lock (&svc->lock);
  value = g_hash_table_lookup (table, plan);
  g_mutex_unlock (&svc->lock);
  if (value == NULL)
    g_error ("The service printed no demo user for plan “%s”", plan);

  return value;
}

const char *
abstain_test_service_get_token (AbstainTestService *svc,
                                const char         *plan)
{
  g_return_val_if_fail (svc != NULL, NULL);
  return lookup_plan (svc, svc->tokens, plan);
}

const char *
abstain_test_service_get_email (AbstainTestService *svc,
                                const char         *plan)
{
  g_return_val_if_fail (svc != NULL, NULL);
  return lookup_plan (svc, svc->emails, plan);
}

const char *
abstain_test_service_get_state_file (AbstainTestService *svc)
{
  g_return_val_if_fail (svc != NULL, NULL);
  return svc->state_file;
}

void
abstain_test_service_stop (AbstainTestService *svc)
{
  g_return_if_fail (svc != NULL);
  end_process (svc, SIGTERM);
}

void
abstain_test_service_kill (AbstainTestService *svc)
{
  g_return_if_fail (svc != NULL);
  end_process (svc, SIGKILL);
}

gboolean
abstain_test_service_try_restart (AbstainTestService *svc,
                                  int                *out_status)
{
  g_return_val_if_fail (svc != NULL, FALSE);

  end_process (svc, SIGTERM);
  return start_on_port (svc, out_status);
}

void
abstain_test_service_restart (AbstainTestService *svc)
{
  int status = -1;

  g_return_if_fail (svc != NULL);

  if (!abstain_test_service_try_restart (svc, &status))
    g_error ("abstain-service did not restart on port %u (exit status %d)", svc->port, status);
}

/* HTTP */

static void
collect_header (const char *name,
                const char *value,
                gpointer    user_data)
{
  g_hash_table_replace (user_data, g_ascii_strdown (name, -1), g_strdup (value));
}

guint
abstain_test_service_request_full (AbstainTestService  *svc,
                                   const char          *method,
                                   const char          *path,
                                   const char *const   *headers,
                                   const char          *content_type,
                                   GBytes              *body,
                                   GHashTable         **out_headers,
                                   GBytes             **out_body)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *request_headers;

  g_return_val_if_fail (svc != NULL, 0);

  /* A session per request: tests may call from any thread. */
  session = soup_session_new_with_options ("timeout", 60, "max-conns", 2, NULL);
  url = g_strconcat (svc->url, path, NULL);
  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  request_headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (request_headers, "Accept", "application/json");
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type ? content_type : "application/json",
                                              body);

  response = soup_session_send_and_read (session, msg, NULL, NULL);
  if (out_headers != NULL)
    {
      *out_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      soup_message_headers_foreach (soup_message_get_response_headers (msg), collect_header,
                                    *out_headers);
    }
  if (out_body != NULL)
    *out_body = response ? g_bytes_ref (response) : g_bytes_new (NULL, 0);

  return response ? soup_message_get_status (msg) : 0;
}

guint
abstain_test_service_request (AbstainTestService  *svc,
                              const char          *method,
                              const char          *path,
                              const char          *token,
                              const char          *json_body,
                              GBytes             **out_body)
{
  g_autofree char *auth = token ? g_strconcat ("Bearer ", token, NULL) : NULL;
  const char *headers[] = { "Authorization", auth, NULL };
  g_autoptr(GBytes) body = json_body ? g_bytes_new (json_body, strlen (json_body)) : NULL;

  return abstain_test_service_request_full (svc, method, path, auth ? headers : NULL,
                                            "application/json", body, NULL, out_body);
}

static void
post_hook (AbstainTestService *svc,
           const char         *path,
           JsonBuilder        *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *json = json_to_string (root, FALSE);
  g_autoptr(GBytes) body = NULL;
  guint status = abstain_test_service_request (svc, "POST", path, NULL, json, &body);

  if (status != 200)
    g_error ("POST %s %s: %u %.*s", path, json, status,
             (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
}

void
abstain_test_service_add_fault (AbstainTestService *svc,
                                const char         *fault_json)
{
  g_autoptr(GBytes) body = NULL;
  guint status;

  g_return_if_fail (svc != NULL);

  status = abstain_test_service_request (svc, "POST", "/_test/faults", NULL, fault_json, &body);
  if (status != 200)
    g_error ("POST /_test/faults %s: %u", fault_json, status);
}

void
abstain_test_service_remote_change (AbstainTestService *svc,
                                    const char         *plan,
                                    const char         *control_id,
                                    gboolean            enabled,
                                    const char         *source)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_if_fail (svc != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, abstain_test_service_get_email (svc, plan));
  json_builder_set_member_name (builder, "control_id");
  json_builder_add_string_value (builder, control_id);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, enabled);
  json_builder_set_member_name (builder, "source");
  json_builder_add_string_value (builder, source ? source : "web");
  json_builder_end_object (builder);
  post_hook (svc, "/_test/remote-change", builder);
}

void
abstain_test_service_expire_tokens (AbstainTestService *svc,
                                    const char         *plan)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_if_fail (svc != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, abstain_test_service_get_email (svc, plan));
  json_builder_end_object (builder);
  post_hook (svc, "/_test/expire-tokens", builder);
}

void
abstain_test_service_device_approve (AbstainTestService *svc,
                                     const char         *user_code,
                                     const char         *plan,
                                     gboolean            approve)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_if_fail (svc != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_code");
  json_builder_add_string_value (builder, user_code);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, abstain_test_service_get_email (svc, plan));
  json_builder_set_member_name (builder, "approve");
  json_builder_add_boolean_value (builder, approve);
  json_builder_end_object (builder);
  post_hook (svc, "/_test/device/approve", builder);
}

/* GETs @path and returns the member @array_name of the JSON object. */
static JsonArray *
get_array (AbstainTestService *svc,
           const char         *path,
           const char         *token,
           const char         *array_name)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint status = abstain_test_service_request (svc, "GET", path, token, NULL, &body);
  JsonNode *root;
  JsonNode *member;

  g_assert_cmpuint (status, ==, 200);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  member = json_object_get_member (json_node_get_object (root), array_name);
  g_assert_nonnull (member);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (member));

  return json_array_ref (json_node_get_array (member));
}

gboolean
abstain_test_service_control_enabled (AbstainTestService *svc,
                                      const char         *plan,
                                      const char         *control_id_or_kind)
{
  g_autoptr(JsonArray) controls = NULL;

  g_return_val_if_fail (svc != NULL, FALSE);

  controls = get_array (svc, "/v1/controls", abstain_test_service_get_token (svc, plan),
                        "controls");
  for (guint i = 0; i < json_array_get_length (controls); i++)
    {
      JsonObject *c = json_array_get_object_element (controls, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (c, "id", ""), control_id_or_kind) == 0 ||
          g_strcmp0 (json_object_get_string_member_with_default (c, "kind", ""), control_id_or_kind) == 0)
        return json_object_get_boolean_member (c, "enabled");
    }

  g_error ("%s has no control “%s”", plan, control_id_or_kind);
  return FALSE;
}

guint
abstain_test_service_history_count (AbstainTestService *svc,
                                    const char         *plan,
                                    const char         *control_id)
{
  g_autoptr(JsonArray) events = NULL;
  guint n = 0;

  g_return_val_if_fail (svc != NULL, 0);

  events = get_array (svc, "/v1/history?limit=500", abstain_test_service_get_token (svc, plan),
                      "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);

      if (control_id == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (e, "control_id", ""), control_id) == 0)
        n++;
    }

  return n;
}

guint
abstain_test_service_count_requests (AbstainTestService *svc,
                                     const char         *method,
                                     const char         *path_prefix)
{
  g_autoptr(JsonArray) requests = NULL;
  guint n = 0;

  g_return_val_if_fail (svc != NULL, 0);

  requests = get_array (svc, "/_test/stats", NULL, "requests");
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonObject *r = json_array_get_object_element (requests, i);
      const char *m = json_object_get_string_member_with_default (r, "method", "");
      const char *p = json_object_get_string_member_with_default (r, "path", "");

      if ((method == NULL || g_str_equal (method, "*") || g_str_equal (method, m)) &&
          g_str_has_prefix (p, path_prefix ? path_prefix : ""))
        n++;
    }

  return n;
}

/* A local SoupServer without libsoup's listener (see svc-listener.c) */

guint
abstain_test_soup_listen_local (SoupServer  *server,
                                GError     **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  SvcListener *listener;
  guint16 port = 0;

  g_return_val_if_fail (SOUP_IS_SERVER (server), 0);

  listener = svc_listener_new (server, address, &port, error);
  if (listener == NULL)
    return 0;

  g_object_set_data_full (G_OBJECT (server), "abstain-test-listener", listener,
                          (GDestroyNotify) svc_listener_free);
  return port;
}
