/* service-test.h: helpers shared by the service's tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "abstain-test-service.h"

G_BEGIN_DECLS

JsonNode   *svc_test_parse           (GBytes             *body);
JsonObject *svc_test_error           (GBytes             *body,
                                      const char         *code);
guint       svc_test_patch           (AbstainTestService *svc,
                                      const char         *plan,
                                      const char         *id,
                                      const char         *if_match,
                                      const char         *key,
                                      const char         *body,
                                      GHashTable        **out_headers,
                                      GBytes            **out_body);
char       *svc_test_control_etag    (AbstainTestService *svc,
                                      const char         *plan,
                                      const char         *id);
gint64      svc_test_control_revision (AbstainTestService *svc,
                                      const char         *plan,
                                      const char         *id);
guint       svc_test_form            (AbstainTestService *svc,
                                      const char         *path,
                                      const char         *form,
                                      JsonObject        **out_object);
char       *svc_test_run_alone       (const char *const  *args,
                                      GSubprocess       **out_proc);
int         svc_test_exit_status     (GSubprocess        *proc,
                                      const char         *err);
GBytes     *svc_test_raw_request     (const char         *url,
                                      const char         *request);

G_END_DECLS
