/* abstain-client.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-client"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "abstain-client.h"
#include "abstain-error.h"

#define DEFAULT_TIMEOUT_SECONDS 30
#define IDLE_TIMEOUT_SECONDS    60
#define READ_CHUNK              (16 * 1024)
#define RETRY_AFTER_MAX         3600
#define DEVICE_GRANT            "urn:ietf:params:oauth:grant-type:device_code"
#define USER_AGENT              APPLICATION_ID "/" PACKAGE_VERSION

struct _AbstainClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *server;  /* scheme://host[:port][/path], no trailing slash */
  char        *host;    /* host[:port], for messages */
};

G_DEFINE_FINAL_TYPE (AbstainClient, abstain_client, G_TYPE_OBJECT)

/* What an endpoint does with the whole body once it is read. It must
 * return the task's value or error. */
typedef void (*ResponseHandler) (GTask       *task,
                                 SoupMessage *msg,
                                 const char  *data,
                                 gsize        length);

typedef struct
{
  SoupMessage        *msg;
  GCancellable       *cancellable;  /* ours: the caller's and the deadline's */
  gulong              caller_handler;
  GSource            *deadline;
  GInputStream       *stream;
  GByteArray         *body;
  ResponseHandler     handler;
  gboolean            timed_out;

  /* Endpoint results kept beside the task's value */
  char               *control_id;   /* PATCH: the control asked for */
  AbstainControlData *current;      /* PATCH: the server's control on 403/412 */
  char               *etag;         /* GET /v1/controls */
  gboolean            not_modified;
} Request;

static void
request_free (Request *req)
{
  g_clear_object (&req->msg);
  g_clear_object (&req->cancellable);
  g_clear_object (&req->stream);
  if (req->body != NULL)
    {
      /* Bodies of /oauth/token hold tokens. */
      if (req->body->len > 0)
        explicit_bzero (req->body->data, req->body->len);
      g_byte_array_unref (req->body);
    }
  g_clear_pointer (&req->current, abstain_control_data_free);
  g_free (req->control_id);
  g_free (req->etag);
  g_free (req);
}

static void
abstain_client_finalize (GObject *object)
{
  AbstainClient *self = (AbstainClient *)object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->host, g_free);

  G_OBJECT_CLASS (abstain_client_parent_class)->finalize (object);
}

static void
abstain_client_class_init (AbstainClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = abstain_client_finalize;
}

static void
abstain_client_init (AbstainClient *self)
{
}

/* The session */

static guint
request_timeout (void)
{
  const char *env = g_getenv ("ABSTAIN_REQUEST_TIMEOUT");
  guint64 seconds;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 3600, &seconds, NULL))
    return (guint) seconds;

  return DEFAULT_TIMEOUT_SECONDS;
}

static gboolean
debug_enabled (void)
{
  const char *domains = g_getenv ("G_MESSAGES_DEBUG");
  g_auto(GStrv) names = NULL;

  if (domains == NULL)
    return FALSE;

  names = g_strsplit_set (domains, " ,", -1);
  return g_strv_contains ((const char *const *) names, "all") ||
         g_strv_contains ((const char *const *) names, G_LOG_DOMAIN);
}

static void
print_redacted (SoupLogger         *logger,
                SoupLoggerLogLevel  level,
                char                direction,
                const char         *data,
                gpointer            user_data)
{
  static const char *const secret_headers[] = {
    "Authorization:", "Proxy-Authorization:", "Cookie:", "Set-Cookie:",
  };

  for (guint i = 0; i < G_N_ELEMENTS (secret_headers); i++)
    {
      if (g_ascii_strncasecmp (data, secret_headers[i], strlen (secret_headers[i])) == 0)
        {
          g_debug ("%c %s [redacted]", direction, secret_headers[i]);
          return;
        }
    }

  g_debug ("%c %s", direction, data);
}

static SoupLoggerLogLevel
headers_only (SoupLogger  *logger,
              SoupMessage *msg,
              gpointer     user_data)
{
  /* Never bodies: those of /oauth/token carry tokens. */
  return SOUP_LOGGER_LOG_HEADERS;
}

static void
attach_logger (SoupSession *session)
{
  g_autoptr(SoupLogger) logger = soup_logger_new (SOUP_LOGGER_LOG_HEADERS);

  soup_logger_set_printer (logger, print_redacted, NULL, NULL);
  soup_logger_set_request_filter (logger, headers_only, NULL, NULL);
  soup_logger_set_response_filter (logger, headers_only, NULL, NULL);
  soup_session_add_feature (session, SOUP_SESSION_FEATURE (logger));
}

/**
 * abstain_client_create_session:
 *
 * Returns: (transfer full): the session every client of the process shares
 */
SoupSession *
abstain_client_create_session (void)
{
  SoupSession *session;

  session = soup_session_new_with_options ("user-agent", USER_AGENT,
                                           "timeout", request_timeout (),
                                           "idle-timeout", IDLE_TIMEOUT_SECONDS,
                                           NULL);
  if (debug_enabled ())
    attach_logger (session);

  return session;
}

/* Construction */

static gboolean
is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static GUri *
parse_server (const char  *server,
              GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (server, SOUP_HTTP_URI_FLAGS, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0) ||
      g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INVALID,
                   _("“%s” is not a valid server address. It should look like "
                     "https://example.org."), server);
      return NULL;
    }

  if (g_str_equal (scheme, "http") && !is_loopback (g_uri_get_host (uri)))
    {
      g_set_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INSECURE,
                   _("The server address must start with https:// so that your sign-in "
                     "stays private."));
      return NULL;
    }

  return g_steal_pointer (&uri);
}

/**
 * abstain_client_new:
 * @session: the shared session, from abstain_client_create_session()
 * @server: the server's address
 * @error: %ABSTAIN_ERROR_INVALID or %ABSTAIN_ERROR_INSECURE
 *
 * Returns: (transfer full) (nullable): a client for @server
 */
AbstainClient *
abstain_client_new (SoupSession  *session,
                    const char   *server,
                    GError      **error)
{
  g_autoptr(GUri) uri = NULL;
  AbstainClient *self;
  gsize len;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(uri = parse_server (server, error)))
    return NULL;

  self = g_object_new (ABSTAIN_TYPE_CLIENT, NULL);
  self->session = g_object_ref (session);
  /* Endpoints are appended to the address: no trailing slash. */
  self->server = g_uri_to_string (uri);
  len = strlen (self->server);
  while (len > 0 && self->server[len - 1] == '/')
    self->server[--len] = '\0';
  if (g_uri_get_port (uri) > 0)
    self->host = g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  else
    self->host = g_strdup (g_uri_get_host (uri));

  return self;
}

const char *
abstain_client_get_server (AbstainClient *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CLIENT (self), NULL);

  return self->server;
}

/* Errors */

static AbstainClient *
task_client (GTask *task)
{
  return ABSTAIN_CLIENT (g_task_get_source_object (task));
}

static GError *new_error (int         code,
                          const char *format,
                          ...) G_GNUC_PRINTF (2, 3);

static GError *
new_error (int         code,
           const char *format,
           ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (ABSTAIN_ERROR, code, format, args);
  va_end (args);

  return error;
}

/* A failure of the connection or of reading the answer. */
static GError *
map_transport_error (GTask  *task,
                     GError *error)
{
  Request *req = g_task_get_task_data (task);
  const char *host = task_client (task)->host;
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !req->timed_out)
    return error;

  g_debug ("%s %s failed: %s", soup_message_get_method (req->msg),
           g_uri_get_path (soup_message_get_uri (req->msg)), error->message);

  if (req->timed_out || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    mapped = new_error (ABSTAIN_ERROR_TIMEOUT,
                        _("%s did not answer in time. Try again later."), host);
  else if (error->domain == G_TLS_ERROR)
    mapped = new_error (ABSTAIN_ERROR_INSECURE,
                        _("Could not connect securely to %s: its identity could not be "
                          "verified."), host);
  else if (g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING) ||
           g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_ENCODING))
    mapped = new_error (ABSTAIN_ERROR_PROTOCOL,
                        _("%s sent an answer that is not valid HTTP."), host);
  else if (req->stream != NULL)
    mapped = new_error (ABSTAIN_ERROR_OFFLINE,
                        _("The connection to %s was lost before the answer was complete. "
                          "Check your connection."), host);
  else
    mapped = new_error (ABSTAIN_ERROR_OFFLINE,
                        _("Could not reach %s. Check your connection."), host);

  g_error_free (error);
  return mapped;
}

/* Seconds from a Retry-After header: delta-seconds or an HTTP-date;
 * 0 when absent or unreadable. */
static guint
parse_retry_after (const char *value)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  guint64 seconds;
  GTimeSpan span;

  if (value == NULL)
    return 0;

  value += strspn (value, " \t");
  if (g_ascii_isdigit (value[0]))
    {
      g_autofree char *digits = g_strchomp (g_strdup (value));

      if (strspn (digits, "0123456789") != strlen (digits))
        return 0;
      /* Beyond 64 bits is still "a very long time". */
      if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXUINT64, &seconds, NULL))
        return RETRY_AFTER_MAX;
      return (guint) CLAMP (seconds, 1, RETRY_AFTER_MAX);
    }

  if (!(when = soup_date_time_new_from_http_string (value)))
    return 0;

  now = g_date_time_new_now_utc ();
  span = g_date_time_difference (when, now);
  return (guint) CLAMP ((span + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND, 1, RETRY_AFTER_MAX);
}

/* The error for a status the endpoint does not expect; on 403 and 412 the
 * error body's control is kept for abstain_client_patch_control_finish(). */
static GError *
status_error (GTask       *task,
              SoupMessage *msg,
              const char  *data,
              gsize        length)
{
  Request *req = g_task_get_task_data (task);
  const char *host = task_client (task)->host;
  guint status = soup_message_get_status (msg);
  g_autoptr(AbstainErrorBody) body = NULL;
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  if (status == SOUP_STATUS_FORBIDDEN || status == SOUP_STATUS_PRECONDITION_FAILED)
    {
      body = abstain_protocol_parse_error (data, length, NULL);
      if (body != NULL && body->control != NULL &&
          g_strcmp0 (body->control->id, req->control_id) == 0)
        req->current = g_steal_pointer (&body->control);
    }

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      return new_error (ABSTAIN_ERROR_AUTH,
                        _("Your sign-in to %s is no longer valid. Sign in again."), host);
    case SOUP_STATUS_FORBIDDEN:
      return new_error (ABSTAIN_ERROR_LOCKED,
                        _("This setting is locked by %s and cannot be changed from here."), host);
    case SOUP_STATUS_NOT_FOUND:
      return new_error (ABSTAIN_ERROR_NOT_FOUND,
                        _("%s does not know this setting or account."), host);
    case SOUP_STATUS_PRECONDITION_FAILED:
      return new_error (ABSTAIN_ERROR_CONFLICT,
                        _("This setting was changed elsewhere in the meantime on %s."), host);
    case 429: /* Too Many Requests */
      return abstain_error_new_rate_limited (
        parse_retry_after (soup_message_headers_get_one (headers, "Retry-After")));
    default:
      break;
    }

  if (status >= 500 && status <= 599)
    return new_error (ABSTAIN_ERROR_SERVER,
                      _("%s had a problem (error %u). Try again later."), host, status);

  return new_error (ABSTAIN_ERROR_PROTOCOL,
                    _("%s gave an answer the protocol does not allow (status %u)."),
                    host, status);
}

/* The common path: send, read a capped body, hand it to the endpoint */

static void
end_request (GTask *task)
{
  Request *req = g_task_get_task_data (task);
  GCancellable *caller = g_task_get_cancellable (task);

  if (req->deadline != NULL)
    {
      g_source_destroy (req->deadline);
      g_clear_pointer (&req->deadline, g_source_unref);
    }
  if (req->caller_handler != 0)
    g_cancellable_disconnect (caller, req->caller_handler);
  req->caller_handler = 0;
}

/* With the whole body read, or a failure of the transport. */
static void
finish_request (GTask  *task,
                GError *error)
{
  Request *req = g_task_get_task_data (task);

  end_request (task);
  if (error != NULL)
    {
      g_task_return_error (task, map_transport_error (task, error));
      return;
    }

  g_debug ("%s %s: %u", soup_message_get_method (req->msg),
           g_uri_get_path (soup_message_get_uri (req->msg)), soup_message_get_status (req->msg));
  req->handler (task, req->msg, (const char *) req->body->data, req->body->len);
}

/* Ends the request when the body (read or announced) is over the cap. */
static gboolean
body_too_large (GTask *task,
                goffset length)
{
  Request *req = g_task_get_task_data (task);

  if (length <= ABSTAIN_PROTOCOL_MAX_BODY)
    return FALSE;

  g_debug ("%s %s: the answer is over %u bytes", soup_message_get_method (req->msg),
           g_uri_get_path (soup_message_get_uri (req->msg)), ABSTAIN_PROTOCOL_MAX_BODY);
  /* Stop reading; dropping the stream closes the connection. */
  g_cancellable_cancel (req->cancellable);
  end_request (task);
  g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL,
                           _("%s sent an answer larger than %u KiB."),
                           task_client (task)->host, ABSTAIN_PROTOCOL_MAX_BODY / 1024);
  return TRUE;
}

/* libsoup ends a body cut short by a closed connection as if it were
 * complete: compare with Content-Length where the body is not encoded. */
static gboolean
body_short (Request *req)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);

  return soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
         soup_message_headers_get_one (headers, "Content-Encoding") == NULL &&
         (goffset) req->body->len < soup_message_headers_get_content_length (headers);
}

static void read_more (GTask *task);

static void
on_read (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              &error);

  if (chunk == NULL)
    {
      finish_request (task, error);
      return;
    }

  if (g_bytes_get_size (chunk) == 0)
    {
      finish_request (task, body_short (req) ? g_error_new_literal (G_IO_ERROR,
                                                                    G_IO_ERROR_PARTIAL_INPUT,
                                                                    "short body") : NULL);
      return;
    }

  g_byte_array_append (req->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  if (!body_too_large (task, req->body->len))
    read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  Request *req = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (req->stream, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   req->cancellable, on_read, task);
}

static void
on_sent (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  GError *error = NULL;
  goffset declared = 0;

  req->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (req->stream == NULL)
    {
      finish_request (task, error);
      return;
    }

  /* A declared length over the cap is refused before reading a byte. */
  headers = soup_message_get_response_headers (req->msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    declared = soup_message_headers_get_content_length (headers);

  if (!body_too_large (task, declared))
    read_more (g_steal_pointer (&task));
}

static gboolean
on_deadline (gpointer user_data)
{
  Request *req = user_data;

  req->timed_out = TRUE;
  g_cancellable_cancel (req->cancellable);
  g_clear_pointer (&req->deadline, g_source_unref);

  return G_SOURCE_REMOVE;
}

static void
on_caller_cancelled (GCancellable *caller,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* Sends @msg and hands the whole answer to @handler. Returns the request's
 * data, for endpoints that keep more than the task's value. */
static Request *
send_request (AbstainClient       *self,
              SoupMessage         *msg,
              ResponseHandler      handler,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  Request *req = g_new0 (Request, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);
  req->msg = msg;
  req->handler = handler;
  req->body = g_byte_array_new ();
  req->cancellable = g_cancellable_new ();

  /* Never follow a redirect: it could downgrade to http or leak the token. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_headers_replace (headers, "User-Agent", USER_AGENT);
  soup_message_headers_replace (headers, "Accept", "application/json");

  if (cancellable != NULL)
    req->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                 g_object_ref (req->cancellable), g_object_unref);

  req->deadline = g_timeout_source_new (request_timeout () * 1000);
  g_source_set_callback (req->deadline, on_deadline, req, NULL);
  g_source_set_static_name (req->deadline, "[abstain] request deadline");
  g_source_attach (req->deadline, g_task_get_context (task));

  soup_session_send_async (self->session, msg, G_PRIORITY_DEFAULT, req->cancellable,
                           on_sent, g_steal_pointer (&task));
  return req;
}

/* Requests */

static SoupMessage *
new_message (AbstainClient *self,
             const char    *method,
             const char    *path)
{
  g_autofree char *url = g_strconcat (self->server, path, NULL);

  return soup_message_new (method, url);
}

static SoupMessage *
new_api_message (AbstainClient *self,
                 const char    *method,
                 const char    *path,
                 const char    *token)
{
  SoupMessage *msg = new_message (self, method, path);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization", authorization);
  explicit_bzero (authorization, strlen (authorization));

  return msg;
}

static SoupMessage *
new_form_message (AbstainClient *self,
                  const char    *path,
                  GHashTable    *form)
{
  SoupMessage *msg = new_message (self, "POST", path);
  char *encoded = soup_form_encode_hash (form);
  gsize len = strlen (encoded);
  g_autoptr(GBytes) body = g_bytes_new_take (encoded, len);

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  return msg;
}

/* A token that is not one could inject headers: refuse it without a request. */
static gboolean
check_token (AbstainClient       *self,
             const char          *token,
             gpointer             source_tag,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  if (abstain_protocol_token_is_valid (token))
    return TRUE;

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_return_new_error (task, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH, "%s",
                           _("This token is not valid. Sign in again."));
  return FALSE;
}

static gpointer
propagate (AbstainClient  *self,
           GAsyncResult   *result,
           gpointer        source_tag,
           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
return_parsed (GTask          *task,
               gpointer        value,
               GDestroyNotify  free_func,
               GError         *error)
{
  if (value == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, free_func);
}

/* GET /v1/account */

static void
handle_account (GTask       *task,
                SoupMessage *msg,
                const char  *data,
                gsize        length)
{
  GError *error = NULL;
  AbstainAccountData *account;

  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_error (task, status_error (task, msg, data, length));
      return;
    }

  account = abstain_protocol_parse_account (data, length, &error);
  return_parsed (task, account, (GDestroyNotify) abstain_account_data_free, error);
}

void
abstain_client_get_account_async (AbstainClient       *self,
                                  const char          *token,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!check_token (self, token, abstain_client_get_account_async, callback, user_data))
    return;

  send_request (self, new_api_message (self, "GET", "/v1/account", token), handle_account,
                abstain_client_get_account_async, cancellable, callback, user_data);
}

AbstainAccountData *
abstain_client_get_account_finish (AbstainClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  return propagate (self, result, abstain_client_get_account_async, error);
}

/* GET /v1/controls */

static void
handle_controls (GTask       *task,
                 SoupMessage *msg,
                 const char  *data,
                 gsize        length)
{
  Request *req = g_task_get_task_data (task);
  const char *etag = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "ETag");
  const char *sent = soup_message_headers_get_one (soup_message_get_request_headers (msg),
                                                   "If-None-Match");
  GError *error = NULL;
  AbstainControlList *list;

  req->etag = g_strdup (etag);
  if (soup_message_get_status (msg) == SOUP_STATUS_NOT_MODIFIED && sent != NULL)
    {
      /* Unchanged: the ETag we hold stays valid even if none is repeated. */
      if (req->etag == NULL)
        req->etag = g_strdup (sent);
      req->not_modified = TRUE;
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_error (task, status_error (task, msg, data, length));
      return;
    }

  list = abstain_protocol_parse_controls (data, length, &error);
  return_parsed (task, list, (GDestroyNotify) abstain_control_list_free, error);
}

void
abstain_client_get_controls_async (AbstainClient       *self,
                                   const char          *token,
                                   const char          *etag,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  SoupMessage *msg;

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!check_token (self, token, abstain_client_get_controls_async, callback, user_data))
    return;

  msg = new_api_message (self, "GET", "/v1/controls", token);
  if (etag != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "If-None-Match", etag);
  send_request (self, msg, handle_controls, abstain_client_get_controls_async,
                cancellable, callback, user_data);
}

AbstainControlList *
abstain_client_get_controls_finish (AbstainClient  *self,
                                    GAsyncResult   *result,
                                    gboolean       *not_modified,
                                    char          **out_etag,
                                    GError        **error)
{
  Request *req = g_task_get_task_data (G_TASK (result));
  AbstainControlList *list = propagate (self, result, abstain_client_get_controls_async, error);

  if (not_modified != NULL)
    *not_modified = list == NULL && req != NULL && req->not_modified;
  if (out_etag != NULL)
    *out_etag = list != NULL || (req != NULL && req->not_modified) ? g_strdup (req->etag) : NULL;

  return list;
}

/* PATCH /v1/controls/{id} */

static void
handle_patch (GTask       *task,
              SoupMessage *msg,
              const char  *data,
              gsize        length)
{
  Request *req = g_task_get_task_data (task);
  const char *etag = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "ETag");
  GError *error = NULL;
  AbstainControlData *control;

  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      error = status_error (task, msg, data, length);
      if (req->current != NULL && etag != NULL &&
          soup_message_get_status (msg) == SOUP_STATUS_PRECONDITION_FAILED)
        {
          g_free (req->current->etag);
          req->current->etag = g_strdup (etag);
        }
      g_task_return_error (task, error);
      return;
    }

  control = abstain_protocol_parse_control (data, length, &error);
  if (control != NULL && !g_str_equal (control->id, req->control_id))
    {
      g_clear_pointer (&control, abstain_control_data_free);
      error = new_error (ABSTAIN_ERROR_PROTOCOL,
                         _("%s answered a change with another setting than the one changed."),
                         task_client (task)->host);
    }
  if (control != NULL && etag != NULL)
    {
      g_free (control->etag);
      control->etag = g_strdup (etag);
    }
  return_parsed (task, control, (GDestroyNotify) abstain_control_data_free, error);
}

void
abstain_client_patch_control_async (AbstainClient       *self,
                                    const char          *token,
                                    const char          *control_id,
                                    const char          *if_match,
                                    const char          *idempotency_key,
                                    gboolean             enabled,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GBytes) body = NULL;
  SoupMessageHeaders *headers;
  SoupMessage *msg;
  const char *text;
  Request *req;

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (control_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!check_token (self, token, abstain_client_patch_control_async, callback, user_data))
    return;

  escaped = g_uri_escape_string (control_id, NULL, FALSE);
  path = g_strconcat ("/v1/controls/", escaped, NULL);
  msg = new_api_message (self, "PATCH", path, token);
  headers = soup_message_get_request_headers (msg);
  if (if_match != NULL)
    soup_message_headers_replace (headers, "If-Match", if_match);
  key = idempotency_key != NULL ? g_strdup (idempotency_key) : g_uuid_string_random ();
  soup_message_headers_replace (headers, "Idempotency-Key", key);

  text = enabled ? "{\"enabled\":true}" : "{\"enabled\":false}";
  body = g_bytes_new_static (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  req = send_request (self, msg, handle_patch, abstain_client_patch_control_async,
                     cancellable, callback, user_data);
  req->control_id = g_strdup (control_id);
}

AbstainControlData *
abstain_client_patch_control_finish (AbstainClient       *self,
                                     GAsyncResult        *result,
                                     AbstainControlData **out_current,
                                     GError             **error)
{
  Request *req = g_task_get_task_data (G_TASK (result));

  if (out_current != NULL)
    *out_current = req != NULL && req->current != NULL
                   ? abstain_control_data_copy (req->current) : NULL;

  return propagate (self, result, abstain_client_patch_control_async, error);
}

/* GET /v1/history */

static void
handle_history (GTask       *task,
                SoupMessage *msg,
                const char  *data,
                gsize        length)
{
  GError *error = NULL;
  GPtrArray *events;

  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_error (task, status_error (task, msg, data, length));
      return;
    }

  events = abstain_protocol_parse_history (data, length, &error);
  return_parsed (task, events, (GDestroyNotify) g_ptr_array_unref, error);
}

void
abstain_client_get_history_async (AbstainClient       *self,
                                  const char          *token,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *path = NULL;

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!check_token (self, token, abstain_client_get_history_async, callback, user_data))
    return;

  path = limit > 0 ? g_strdup_printf ("/v1/history?limit=%u", limit) : g_strdup ("/v1/history");
  send_request (self, new_api_message (self, "GET", path, token), handle_history,
                abstain_client_get_history_async, cancellable, callback, user_data);
}

GPtrArray *
abstain_client_get_history_finish (AbstainClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  return propagate (self, result, abstain_client_get_history_async, error);
}

/* OAuth */

static GHashTable *
new_form (const char *first_name,
          ...)
{
  GHashTable *form = g_hash_table_new (g_str_hash, g_str_equal);
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL)
    {
      g_hash_table_insert (form, (gpointer) name, va_arg (args, char *));
      name = va_arg (args, const char *);
    }
  va_end (args);

  return form;
}

/* An OAuth error (RFC 6749 §5.2) as one of ours. */
static GError *
oauth_error (GTask       *task,
             SoupMessage *msg,
             const char  *data,
             gsize        length,
             gboolean     refreshing)
{
  const char *host = task_client (task)->host;
  guint status = soup_message_get_status (msg);
  g_autofree char *code = NULL;

  if (status != SOUP_STATUS_BAD_REQUEST && status != SOUP_STATUS_UNAUTHORIZED)
    return status_error (task, msg, data, length);

  code = abstain_protocol_parse_oauth_error (data, length, NULL);
  if (g_strcmp0 (code, "authorization_pending") == 0)
    return new_error (ABSTAIN_ERROR_DEVICE_PENDING,
                      _("The sign-in has not been approved on %s yet."), host);
  if (g_strcmp0 (code, "slow_down") == 0)
    return abstain_error_new_rate_limited (5);
  if (g_strcmp0 (code, "expired_token") == 0 ||
      (!refreshing && g_strcmp0 (code, "invalid_grant") == 0))
    return new_error (ABSTAIN_ERROR_DEVICE_EXPIRED,
                      _("The sign-in code for %s expired. Start again."), host);
  if (g_strcmp0 (code, "access_denied") == 0)
    return new_error (ABSTAIN_ERROR_DEVICE_DENIED,
                      _("The sign-in was denied on %s."), host);
  if (g_strcmp0 (code, "invalid_grant") == 0 || g_strcmp0 (code, "invalid_client") == 0 ||
      g_strcmp0 (code, "unauthorized_client") == 0 || status == SOUP_STATUS_UNAUTHORIZED)
    return new_error (ABSTAIN_ERROR_AUTH,
                      _("Your sign-in to %s is no longer valid. Sign in again."), host);

  return status_error (task, msg, data, length);
}

static void
handle_device_authorization (GTask       *task,
                             SoupMessage *msg,
                             const char  *data,
                             gsize        length)
{
  GError *error = NULL;
  AbstainDeviceAuthorization *auth;

  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_error (task, oauth_error (task, msg, data, length, FALSE));
      return;
    }

  auth = abstain_protocol_parse_device_auth (data, length, &error);
  return_parsed (task, auth, (GDestroyNotify) abstain_device_authorization_free, error);
}

void
abstain_client_device_authorize_async (AbstainClient       *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GHashTable) form = new_form ("client_id", APPLICATION_ID, NULL);

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  send_request (self, new_form_message (self, "/oauth/device_authorization", form),
                handle_device_authorization, abstain_client_device_authorize_async,
                cancellable, callback, user_data);
}

AbstainDeviceAuthorization *
abstain_client_device_authorize_finish (AbstainClient  *self,
                                        GAsyncResult   *result,
                                        GError        **error)
{
  return propagate (self, result, abstain_client_device_authorize_async, error);
}

static void
handle_token (GTask       *task,
              SoupMessage *msg,
              const char  *data,
              gsize        length,
              gboolean     refreshing)
{
  GError *error = NULL;
  AbstainTokenData *token;

  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_task_return_error (task, oauth_error (task, msg, data, length, refreshing));
      return;
    }

  token = abstain_protocol_parse_token (data, length, &error);
  return_parsed (task, token, (GDestroyNotify) abstain_token_data_free, error);
}

static void
handle_device_token (GTask       *task,
                     SoupMessage *msg,
                     const char  *data,
                     gsize        length)
{
  handle_token (task, msg, data, length, FALSE);
}

static void
handle_refreshed_token (GTask       *task,
                        SoupMessage *msg,
                        const char  *data,
                        gsize        length)
{
  handle_token (task, msg, data, length, TRUE);
}

void
abstain_client_device_poll_async (AbstainClient       *self,
                                  const char          *device_code,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GHashTable) form = NULL;

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (device_code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  form = new_form ("grant_type", DEVICE_GRANT, "device_code", device_code,
                   "client_id", APPLICATION_ID, NULL);
  send_request (self, new_form_message (self, "/oauth/token", form), handle_device_token,
                abstain_client_device_poll_async, cancellable, callback, user_data);
}

AbstainTokenData *
abstain_client_device_poll_finish (AbstainClient  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  return propagate (self, result, abstain_client_device_poll_async, error);
}

void
abstain_client_refresh_async (AbstainClient       *self,
                              const char          *refresh_token,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GHashTable) form = NULL;

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!check_token (self, refresh_token, abstain_client_refresh_async, callback, user_data))
    return;

  form = new_form ("grant_type", "refresh_token", "refresh_token", refresh_token,
                   "client_id", APPLICATION_ID, NULL);
  send_request (self, new_form_message (self, "/oauth/token", form), handle_refreshed_token,
                abstain_client_refresh_async, cancellable, callback, user_data);
}

AbstainTokenData *
abstain_client_refresh_finish (AbstainClient  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  return propagate (self, result, abstain_client_refresh_async, error);
}

static void
handle_revoke (GTask       *task,
               SoupMessage *msg,
               const char  *data,
               gsize        length)
{
  if (soup_message_get_status (msg) == SOUP_STATUS_OK)
    g_task_return_pointer (task, GINT_TO_POINTER (TRUE), NULL);
  else
    g_task_return_error (task, oauth_error (task, msg, data, length, TRUE));
}

void
abstain_client_revoke_async (AbstainClient       *self,
                             const char          *token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GHashTable) form = NULL;

  g_return_if_fail (ABSTAIN_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!check_token (self, token, abstain_client_revoke_async, callback, user_data))
    return;

  form = new_form ("token", token, "client_id", APPLICATION_ID, NULL);
  send_request (self, new_form_message (self, "/oauth/revoke", form), handle_revoke,
                abstain_client_revoke_async, cancellable, callback, user_data);
}

gboolean
abstain_client_revoke_finish (AbstainClient  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  return propagate (self, result, abstain_client_revoke_async, error) != NULL;
}
