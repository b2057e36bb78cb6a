/* abstain-protocol.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Plain data parsed from (and only from) the protocol's JSON. Every parser
 * takes untrusted bytes, refuses bodies over ABSTAIN_PROTOCOL_MAX_BODY, checks
 * the nesting depth before json-glib sees the text, checks every member's type,
 * ignores unknown members, and fails with ABSTAIN_ERROR_PROTOCOL and a clear,
 * translated message. They never abort on any input.
 */

#define ABSTAIN_PROTOCOL_MAX_BODY  (1024 * 1024)
#define ABSTAIN_PROTOCOL_MAX_DEPTH 32

typedef struct
{
  char *id;
  char *name;
  char *role;
} AbstainOrganizationData;

typedef struct
{
  char      *id;
  char      *email;
  char      *display_name;
  char      *plan;
  GPtrArray *organizations; /* of AbstainOrganizationData */
} AbstainAccountData;

typedef struct
{
  char      *id;
  char      *kind;
  char      *product;
  char      *scope;
  char      *organization_id; /* nullable */
  char      *title;
  char      *description;
  gboolean   enabled;
  gboolean   editable;
  char      *locked_reason;   /* nullable */
  gint64     revision;
  char      *updated_at;      /* ISO 8601 as sent, validated parseable */
  char      *etag;            /* the control's ETag: "\"<id>-<revision>\"" as the
                               * protocol gives it, replaced by the ETag
                               * header of the answer where there is one */
} AbstainControlData;

typedef struct
{
  gint64     revision;
  GPtrArray *controls;        /* of AbstainControlData */
} AbstainControlList;

typedef struct
{
  char     *control_id;
  char     *kind;
  gboolean  from;
  gboolean  to;
  char     *at;
  char     *source;
} AbstainHistoryData;

typedef struct
{
  char               *code;
  char               *message;
  AbstainControlData *control; /* nullable */
} AbstainErrorBody;

typedef struct
{
  char  *device_code;
  char  *user_code;
  char  *verification_uri;
  char  *verification_uri_complete; /* nullable */
  guint  expires_in;
  guint  interval;
} AbstainDeviceAuthorization;

typedef struct
{
  char   *access_token;
  char   *refresh_token; /* nullable */
  gint64  expires_in;    /* 0 when absent */
} AbstainTokenData;

void abstain_organization_data_free    (AbstainOrganizationData    *data);
void abstain_account_data_free         (AbstainAccountData         *data);
void abstain_control_data_free         (AbstainControlData         *data);
AbstainControlData *abstain_control_data_copy (const AbstainControlData *data);
void abstain_control_list_free         (AbstainControlList         *data);
void abstain_history_data_free         (AbstainHistoryData         *data);
void abstain_error_body_free           (AbstainErrorBody           *data);
void abstain_device_authorization_free (AbstainDeviceAuthorization *data);
void abstain_token_data_free           (AbstainTokenData           *data); /* wipes the tokens */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainAccountData, abstain_account_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainControlData, abstain_control_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainControlList, abstain_control_list_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainHistoryData, abstain_history_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainErrorBody, abstain_error_body_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainDeviceAuthorization, abstain_device_authorization_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AbstainTokenData, abstain_token_data_free)

/* Checks size, valid UTF-8 and nesting depth without building a tree. */
gboolean                    abstain_protocol_check_body          (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);

AbstainAccountData         *abstain_protocol_parse_account       (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
AbstainControlList         *abstain_protocol_parse_controls      (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
AbstainControlData         *abstain_protocol_parse_control       (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
GPtrArray                  *abstain_protocol_parse_history       (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
AbstainErrorBody           *abstain_protocol_parse_error         (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
AbstainDeviceAuthorization *abstain_protocol_parse_device_auth   (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
/* On 400 answers, the OAuth error string ("authorization_pending", ...). */
char                       *abstain_protocol_parse_oauth_error   (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);
AbstainTokenData           *abstain_protocol_parse_token         (const char  *data,
                                                                  gsize        length,
                                                                  GError     **error);

/* Tokens: 16 to 512 printable ASCII characters. */
gboolean                    abstain_protocol_token_is_valid      (const char  *token);

G_END_DECLS
