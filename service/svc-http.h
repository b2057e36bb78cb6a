/* svc-http.h: the reference service's HTTP side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "svc-json.h"
#include "svc-listener.h"
#include "svc-state.h"

G_BEGIN_DECLS

#define SVC_MAX_BODY (64 * 1024)

typedef struct
{
  guint   token_lifetime;
  guint   rate_limit;
  guint   device_interval;
  guint   device_lifetime;
  gboolean test_hooks;
} SvcOptions;

typedef struct
{
  SvcState       *state;
  SvcOptions      options;
  SoupServer     *server;
  SvcListener    *listener;
  char           *base_url;
  GPtrArray      *faults;   /* of SvcFault */
  GPtrArray      *stats;    /* of SvcStat */
  GHashTable     *rates;    /* token hash → GQueue of monotonic times */
  GPtrArray      *devices;  /* of SvcDevice */
} SvcServer;

typedef void (*SvcDispatchFunc) (SvcServer         *self,
                                 SoupServerMessage *msg);

SvcServer *svc_server_new           (SvcState          *state,
                                     const SvcOptions  *options);
gboolean   svc_server_listen        (SvcServer         *self,
                                     const char        *address,
                                     GError           **error);
void       svc_server_free          (SvcServer         *self);

/* Shared by the handlers */
void       svc_send_json            (SoupServerMessage *msg,
                                     guint              status,
                                     JsonNode          *node);
void       svc_send_error           (SoupServerMessage *msg,
                                     guint              status,
                                     const char        *code,
                                     const char        *message,
                                     JsonNode          *control);
void       svc_send_oauth_error     (SoupServerMessage *msg,
                                     guint              status,
                                     const char        *code,
                                     const char        *description);
char      *svc_request_text         (SoupServerMessage *msg);
GHashTable *svc_request_form        (SoupServerMessage *msg);
JsonObject *svc_request_json_object (SoupServerMessage *msg);
gboolean   svc_save_or_fail         (SvcServer         *self,
                                     SoupServerMessage *msg);
JsonNode  *svc_control_to_json      (SvcServer         *self,
                                     SvcUser           *user,
                                     SvcControl        *control);

/* svc-oauth.c */
void       svc_oauth_device_authorization (SvcServer         *self,
                                           SoupServerMessage *msg);
void       svc_oauth_token          (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_oauth_revoke         (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_oauth_device_page    (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_oauth_test_approve   (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_oauth_free_devices   (SvcServer         *self);

/* svc-hooks.c */
void       svc_hooks_faults         (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_hooks_remote_change  (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_hooks_expire_tokens  (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_hooks_stats          (SvcServer         *self,
                                     SoupServerMessage *msg);
void       svc_hooks_record_stat    (SvcServer         *self,
                                     const char        *method,
                                     const char        *path,
                                     guint              status);
gboolean   svc_hooks_take_fault     (SvcServer         *self,
                                     SoupServerMessage *msg,
                                     const char        *path,
                                     SvcDispatchFunc    dispatch);
void       svc_hooks_free           (SvcServer         *self);

G_END_DECLS
