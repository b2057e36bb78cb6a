/* svc-state.h: the reference service's model and its durable copy on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *org_id;
  char *role;           /* "admin" or "member" */
} SvcMembership;

typedef struct
{
  char      *id;
  char      *email;
  char      *display_name;
  char      *plan;
  GPtrArray *memberships; /* of SvcMembership */
} SvcUser;

typedef struct
{
  char *id;
  char *name;
} SvcOrg;

typedef struct
{
  char     *id;
  char     *kind;
  char     *owner;      /* a user id (account scope) or an organization id */
  gboolean  org_scope;
  gboolean  enabled;
  gint64    revision;
  gint64    updated_at; /* seconds since the epoch */
} SvcControl;

typedef struct
{
  char    *hash;        /* SHA-256 of the token, lowercase hex */
  char    *kind;        /* "access" or "refresh" */
  char    *user_id;
  gint64   expires_at;  /* seconds since the epoch, 0 for never */
} SvcToken;

typedef struct
{
  char   *key;
  char   *user_id;
  char   *request_hash;
  guint   status;
  char   *body;
  char   *etag;
  gint64  at;
} SvcIdempotency;

typedef struct
{
  char     *control_id;
  char     *kind;
  char     *owner;
  gboolean  from;
  gboolean  to;
  gint64    at;
  char     *source;
} SvcEvent;

typedef struct
{
  char      *path;
  GPtrArray *users;       /* of SvcUser */
  GPtrArray *orgs;        /* of SvcOrg */
  GPtrArray *controls;    /* of SvcControl */
  GPtrArray *tokens;      /* of SvcToken */
  GPtrArray *idempotency; /* of SvcIdempotency */
  GPtrArray *history;     /* of SvcEvent, oldest first */
} SvcState;

#define SVC_IDEMPOTENCY_SECONDS (24 * 60 * 60)

SvcState       *svc_state_new              (const char  *path);
void            svc_state_free             (SvcState    *state);
gboolean        svc_state_load             (SvcState    *state,
                                            gboolean    *out_existed,
                                            GError     **error);
gboolean        svc_state_save             (SvcState    *state,
                                            GError     **error);
void            svc_state_seed_demo        (SvcState    *state);
gboolean        svc_state_is_demo_user     (SvcUser     *user);

SvcUser        *svc_state_find_user        (SvcState    *state,
                                            const char  *id);
SvcUser        *svc_state_find_user_by_email (SvcState  *state,
                                            const char  *email);
SvcOrg         *svc_state_find_org         (SvcState    *state,
                                            const char  *id);
const char     *svc_user_role              (SvcUser     *user,
                                            const char  *org_id);

GPtrArray      *svc_state_user_controls    (SvcState    *state,
                                            SvcUser     *user);
SvcControl     *svc_state_find_control     (SvcState    *state,
                                            SvcUser     *user,
                                            const char  *id_or_kind);
const char     *svc_state_lock_reason      (SvcState    *state,
                                            SvcUser     *user,
                                            SvcControl  *control);
gboolean        svc_state_event_visible    (SvcState    *state,
                                            SvcUser     *user,
                                            SvcEvent    *event);
SvcEvent       *svc_state_apply            (SvcState    *state,
                                            SvcControl  *control,
                                            gboolean     enabled,
                                            const char  *source);
void            svc_state_unapply          (SvcState    *state,
                                            SvcControl  *control,
                                            SvcEvent    *event,
                                            gint64       old_updated_at);

char           *svc_state_issue_token      (SvcState    *state,
                                            SvcUser     *user,
                                            const char  *kind,
                                            gint64       lifetime);
SvcToken       *svc_state_lookup_token     (SvcState    *state,
                                            const char  *token,
                                            const char  *kind);
gboolean        svc_state_remove_token     (SvcState    *state,
                                            const char  *token);
guint           svc_state_expire_tokens    (SvcState    *state,
                                            SvcUser     *user);

SvcIdempotency *svc_state_find_idempotency (SvcState    *state,
                                            SvcUser     *user,
                                            const char  *key);
SvcIdempotency *svc_state_add_idempotency  (SvcState    *state,
                                            SvcUser     *user,
                                            const char  *key,
                                            const char  *request_hash,
                                            guint        status,
                                            const char  *body,
                                            const char  *etag);
void            svc_state_remove_idempotency (SvcState  *state,
                                            SvcIdempotency *record);

char           *svc_random_string          (const char  *prefix,
                                            gsize        n_bytes);
char           *svc_sha256_hex             (const char  *data,
                                            gssize       len);
gboolean        svc_hash_equal             (const char  *a,
                                            const char  *b);
gboolean        svc_json_depth_ok          (const char  *data,
                                            guint        max_depth);
gint64          svc_now                    (void);
char           *svc_format_time            (gint64       when);

G_END_DECLS
