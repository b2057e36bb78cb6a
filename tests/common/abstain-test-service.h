/* abstain-test-service.h: runs the reference service for a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _AbstainTestService AbstainTestService;

/* Starts $ABSTAIN_SERVICE on 127.0.0.1:0 with a temporary state file,
 * --seed demo --test-hooks plus @extra_args (NULL-terminated, nullable);
 * g_assert()s it started within 10 s. */
AbstainTestService *abstain_test_service_new            (const char *const   *extra_args);
/* Stops the service and deletes its temporary files. */
void                abstain_test_service_free           (AbstainTestService  *svc);
/* http://127.0.0.1:PORT */
const char         *abstain_test_service_get_url        (AbstainTestService  *svc);
/* The demo token of @plan's user printed at the latest start. */
const char         *abstain_test_service_get_token      (AbstainTestService  *svc,
                                                         const char          *plan);
const char         *abstain_test_service_get_email      (AbstainTestService  *svc,
                                                         const char          *plan);
const char         *abstain_test_service_get_state_file (AbstainTestService  *svc);
/* SIGTERM, waits. */
void                abstain_test_service_stop           (AbstainTestService  *svc);
/* SIGKILL, waits. */
void                abstain_test_service_kill           (AbstainTestService  *svc);
/* Starts again (stopping first if running) on the same port with the same
 * state file; re-reads the demo tokens (older ones stay valid). */
void                abstain_test_service_restart        (AbstainTestService  *svc);
/* Starts again like abstain_test_service_restart() but returns FALSE,
 * with the service's exit status in @out_status, if it refuses to start. */
gboolean            abstain_test_service_try_restart    (AbstainTestService  *svc,
                                                         int                 *out_status);

/* Blocking HTTP with a private session (never the client under test).
 * Return the status (0 when the transport failed); *out_body (nullable)
 * gets the body. @token and @json_body are nullable. */
guint               abstain_test_service_request        (AbstainTestService  *svc,
                                                         const char          *method,
                                                         const char          *path,
                                                         const char          *token,
                                                         const char          *json_body,
                                                         GBytes             **out_body);
/* Like abstain_test_service_request() with extra request headers
 * (@headers: NULL-terminated name, value, name, value...), a content type
 * for @body, and the response headers in *out_headers (a table of
 * lowercase name to value; nullable). */
guint               abstain_test_service_request_full   (AbstainTestService  *svc,
                                                         const char          *method,
                                                         const char          *path,
                                                         const char *const   *headers,
                                                         const char          *content_type,
                                                         GBytes              *body,
                                                         GHashTable         **out_headers,
                                                         GBytes             **out_body);
/* POST /_test/faults; g_error()s unless the service accepted it. Faults
 * "delay", "close", "truncated", "wrong_types" and "lying_length" let the
 * request reach the resource (a PATCH is applied, only its answer is
 * damaged); "status", "oversized", "deep", "invalid_utf8" and "html"
 * answer instead of it (nothing changes). /_test/ paths are never faulted. */
void                abstain_test_service_add_fault      (AbstainTestService  *svc,
                                                         const char          *fault_json);
void                abstain_test_service_remote_change  (AbstainTestService  *svc,
                                                         const char          *plan,
                                                         const char          *control_id,
                                                         gboolean             enabled,
                                                         const char          *source);
void                abstain_test_service_expire_tokens  (AbstainTestService  *svc,
                                                         const char          *plan);
void                abstain_test_service_device_approve (AbstainTestService  *svc,
                                                         const char          *user_code,
                                                         const char          *plan,
                                                         gboolean             approve);
/* GET /v1/controls as @plan's user, parsed: the control's "enabled". */
gboolean            abstain_test_service_control_enabled (AbstainTestService *svc,
                                                          const char         *plan,
                                                          const char         *control_id_or_kind);
/* Number of history events for @plan (server side) matching @control_id
 * (NULL: all). */
guint               abstain_test_service_history_count  (AbstainTestService  *svc,
                                                         const char          *plan,
                                                         const char          *control_id);
/* Requests served since start matching @method (NULL or "*": any) and
 * @path_prefix (from /_test/stats; the fixture's own requests count too). */
guint               abstain_test_service_count_requests (AbstainTestService  *svc,
                                                         const char          *method,
                                                         const char          *path_prefix);

/* Makes @server listen on 127.0.0.1, on a free port, which it returns.
 * The connections are accepted here and handed to @server: libsoup 3.2's
 * own listener leaks the socket of each one. */
guint               abstain_test_soup_listen_local      (SoupServer          *server,
                                                         GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainTestService, abstain_test_service_free)

G_END_DECLS
