/* service-test.c: helpers shared by the service's tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-test"

#include "config.h"

#include <string.h>

#include "service-test.h"

/* The body as JSON (a new node); fails the test if it is not JSON. */
JsonNode *
svc_test_parse (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (body);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_parser_get_root (parser));

  return json_node_ref (json_parser_get_root (parser));
}

/* Checks @body is a protocol error with @code; returns its "error" object
 * (a new reference). */
JsonObject *
svc_test_error (GBytes     *body,
                const char *code)
{
  JsonNode *root = svc_test_parse (body);
  JsonObject *error;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  error = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  json_object_ref (error);
  json_node_unref (root);

  return error;
}

guint
svc_test_patch (AbstainTestService  *svc,
                const char          *plan,
                const char          *id,
                const char          *if_match,
                const char          *key,
                const char          *body,
                GHashTable         **out_headers,
                GBytes             **out_body)
{
  g_autofree char *auth = NULL;
  g_autofree char *path = g_strconcat ("/v1/controls/", id, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  const char *headers[7] = { NULL };
  guint n = 0;

  if (plan != NULL)
    {
      auth = g_strconcat ("Bearer ", abstain_test_service_get_token (svc, plan), NULL);
      headers[n++] = "Authorization";
      headers[n++] = auth;
    }
  if (if_match != NULL)
    {
      headers[n++] = "If-Match";
      headers[n++] = if_match;
    }
  if (key != NULL)
    {
      headers[n++] = "Idempotency-Key";
      headers[n++] = key;
    }

  return abstain_test_service_request_full (svc, "PATCH", path, headers, "application/json",
                                            bytes, out_headers, out_body);
}

char *
svc_test_control_etag (AbstainTestService *svc,
                       const char         *plan,
                       const char         *id)
{
  g_autofree char *auth = g_strconcat ("Bearer ", abstain_test_service_get_token (svc, plan), NULL);
  g_autofree char *path = g_strconcat ("/v1/controls/", id, NULL);
  const char *headers[] = { "Authorization", auth, NULL };
  g_autoptr(GHashTable) response_headers = NULL;
  guint status;

  status = abstain_test_service_request_full (svc, "GET", path, headers, NULL, NULL,
                                              &response_headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (g_hash_table_lookup (response_headers, "etag"));

  return g_strdup (g_hash_table_lookup (response_headers, "etag"));
}

gint64
svc_test_control_revision (AbstainTestService *svc,
                           const char         *plan,
                           const char         *id)
{
  g_autofree char *path = g_strconcat ("/v1/controls/", id, NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status;

  status = abstain_test_service_request (svc, "GET", path,
                                         abstain_test_service_get_token (svc, plan), NULL, &body);
  g_assert_cmpuint (status, ==, 200);
  root = svc_test_parse (body);

  return json_object_get_int_member (json_node_get_object (root), "revision");
}

/* POSTs a form; *out_object gets the JSON object answered. */
guint
svc_test_form (AbstainTestService  *svc,
               const char          *path,
               const char          *form,
               JsonObject         **out_object)
{
  g_autoptr(GBytes) bytes = g_bytes_new (form, strlen (form));
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint status;

  status = abstain_test_service_request_full (svc, "POST", path, NULL,
                                              "application/x-www-form-urlencoded", bytes,
                                              NULL, &body);
  root = svc_test_parse (body);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  if (out_object != NULL)
    *out_object = json_object_ref (json_node_get_object (root));

  return status;
}

/* Starts $ABSTAIN_SERVICE with @args only; returns its URL. */
char *
svc_test_run_alone (const char *const  *args,
                    GSubprocess       **out_proc)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("ABSTAIN_SERVICE"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  *out_proc = g_subprocess_newv ((const char *const *) argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (*out_proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));

  return g_strdup (line + strlen ("listening on "));
}

/* The exit status of @proc, which has ended. A child ended by a signal (a
 * crash, or a sanitizer aborting it) fails the test instead, with @err
 * (its standard error, when the test captured it; nullable). */
int
svc_test_exit_status (GSubprocess *proc,
                      const char  *err)
{
  g_autofree char *message = NULL;
  int sig;

  if (g_subprocess_get_if_exited (proc))
    return g_subprocess_get_exit_status (proc);

  sig = g_subprocess_get_term_sig (proc);
  message = g_strdup_printf ("abstain-service was killed by signal %d (%s)%s%s", sig,
                             g_strsignal (sig), err ? "; its standard error:\n" : "",
                             err ? err : "");
  g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message);
  return -1;
}

/* Sends @request as is over a plain socket; returns all bytes received
 * until the server closed the connection. */
GBytes *
svc_test_raw_request (const char *url,
                      const char *request)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) received = g_byte_array_new ();
  GInputStream *in;
  guint8 buf[65536];
  gssize n;

  g_socket_client_set_timeout (client, 30);
  conn = g_socket_client_connect_to_host (client, g_uri_get_host (uri),
                                          (guint16) g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);

  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append (received, buf, (guint) n);

  return g_byte_array_free_to_bytes (g_steal_pointer (&received));
}
