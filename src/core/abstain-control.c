/* abstain-control.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-control"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-account.h"
#include "abstain-control-private.h"

struct _AbstainControl
{
  GObject    parent_instance;

  GWeakRef   account;
  char      *id;
  char      *kind;
  char      *product;
  char      *scope;
  char      *organization_id;
  char      *server_title;
  char      *server_description;
  char      *locked_reason;
  char      *etag;
  GDateTime *updated_at;
  GError    *last_error;
  gint64     revision;
  guint      enabled : 1;
  guint      requested : 1;
  guint      pending : 1;
  guint      editable : 1;
};

G_DEFINE_FINAL_TYPE (AbstainControl, abstain_control, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_DESCRIPTION,
  PROP_EDITABLE,
  PROP_ENABLED,
  PROP_ETAG,
  PROP_ID,
  PROP_KIND,
  PROP_LAST_ERROR,
  PROP_LOCKED_REASON,
  PROP_ORGANIZATION_ID,
  PROP_PENDING,
  PROP_PRODUCT,
  PROP_REQUESTED,
  PROP_REVISION,
  PROP_SCOPE,
  PROP_TITLE,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
abstain_control_finalize (GObject *object)
{
  AbstainControl *self = (AbstainControl *)object;

  g_weak_ref_clear (&self->account);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->product, g_free);
  g_clear_pointer (&self->scope, g_free);
  g_clear_pointer (&self->organization_id, g_free);
  g_clear_pointer (&self->server_title, g_free);
  g_clear_pointer (&self->server_description, g_free);
  g_clear_pointer (&self->locked_reason, g_free);
  g_clear_pointer (&self->etag, g_free);
  g_clear_pointer (&self->updated_at, g_date_time_unref);
  g_clear_error (&self->last_error);

  G_OBJECT_CLASS (abstain_control_parent_class)->finalize (object);
}

static void
abstain_control_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  AbstainControl *self = ABSTAIN_CONTROL (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_take_object (value, g_weak_ref_get (&self->account));
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, abstain_control_get_description (self));
      break;
    case PROP_EDITABLE:
      g_value_set_boolean (value, self->editable);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_ETAG:
      g_value_set_string (value, self->etag);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_LAST_ERROR:
      g_value_set_boxed (value, self->last_error);
      break;
    case PROP_LOCKED_REASON:
      g_value_set_string (value, self->locked_reason);
      break;
    case PROP_ORGANIZATION_ID:
      g_value_set_string (value, self->organization_id);
      break;
    case PROP_PENDING:
      g_value_set_boolean (value, self->pending);
      break;
    case PROP_PRODUCT:
      g_value_set_string (value, self->product);
      break;
    case PROP_REQUESTED:
      g_value_set_boolean (value, self->requested);
      break;
    case PROP_REVISION:
      g_value_set_int64 (value, self->revision);
      break;
    case PROP_SCOPE:
      g_value_set_string (value, self->scope);
      break;
    case PROP_TITLE:
      g_value_set_string (value, abstain_control_get_title (self));
      break;
    case PROP_UPDATED_AT:
      g_value_set_boxed (value, self->updated_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_control_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  AbstainControl *self = ABSTAIN_CONTROL (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_weak_ref_set (&self->account, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
boolean_property (const char *name)
{
  return g_param_spec_boolean (name, NULL, NULL, FALSE,
                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
abstain_control_class_init (AbstainControlClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = abstain_control_finalize;
  object_class->get_property = abstain_control_get_property;
  object_class->set_property = abstain_control_set_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, ABSTAIN_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DESCRIPTION] = string_property ("description");
  properties[PROP_EDITABLE] = boolean_property ("editable");
  properties[PROP_ENABLED] = boolean_property ("enabled");
  properties[PROP_ETAG] = string_property ("etag");
  properties[PROP_ID] = string_property ("id");
  properties[PROP_KIND] = string_property ("kind");
  properties[PROP_LAST_ERROR] =
    g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOCKED_REASON] = string_property ("locked-reason");
  properties[PROP_ORGANIZATION_ID] = string_property ("organization-id");
  properties[PROP_PENDING] = boolean_property ("pending");
  properties[PROP_PRODUCT] = string_property ("product");
  properties[PROP_REQUESTED] = boolean_property ("requested");
  properties[PROP_REVISION] =
    g_param_spec_int64 ("revision", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SCOPE] = string_property ("scope");
  properties[PROP_TITLE] = string_property ("title");
  properties[PROP_UPDATED_AT] =
    g_param_spec_boxed ("updated-at", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
abstain_control_init (AbstainControl *self)
{
  g_weak_ref_init (&self->account, NULL);
}

static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
update_string (AbstainControl  *self,
               char           **field,
               const char      *value,
               guint            prop_id)
{
  if (replace_string (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
update_boolean (AbstainControl *self,
                gboolean        old_value,
                gboolean        value,
                guint           prop_id)
{
  if (!old_value != !value)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
update_updated_at (AbstainControl *self,
                   const char     *iso8601)
{
  g_autoptr(GDateTime) at = NULL;

  if (iso8601 != NULL)
    at = g_date_time_new_from_iso8601 (iso8601, NULL);

  if (at == NULL && self->updated_at == NULL)
    return;
  if (at != NULL && self->updated_at != NULL && g_date_time_equal (at, self->updated_at))
    return;

  g_clear_pointer (&self->updated_at, g_date_time_unref);
  self->updated_at = g_steal_pointer (&at);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED_AT]);
}

/*
 * abstain_control_new:
 * @account: (type AbstainAccount): the account the control belongs to (weak)
 * @data: the confirmed state
 */
AbstainControl *
abstain_control_new (gpointer                  account,
                     const AbstainControlData *data)
{
  AbstainControl *self;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (data->id != NULL, NULL);

  self = g_object_new (ABSTAIN_TYPE_CONTROL, "account", account, NULL);
  self->id = g_strdup (data->id);
  abstain_control_update (self, data);

  return self;
}

/* Sets the state the server confirmed. The request follows it unless a
 * change is pending. */
void
abstain_control_update (AbstainControl           *self,
                        const AbstainControlData *data)
{
  gboolean old_enabled, old_editable, old_requested;
  gboolean title_changed, description_changed;

  g_return_if_fail (ABSTAIN_IS_CONTROL (self));
  g_return_if_fail (data != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  old_enabled = self->enabled;
  old_editable = self->editable;
  old_requested = self->requested;

  update_string (self, &self->kind, data->kind, PROP_KIND);
  update_string (self, &self->product, data->product, PROP_PRODUCT);
  update_string (self, &self->scope, data->scope, PROP_SCOPE);
  update_string (self, &self->organization_id, data->organization_id, PROP_ORGANIZATION_ID);
  update_string (self, &self->locked_reason, data->locked_reason, PROP_LOCKED_REASON);
  update_string (self, &self->etag, data->etag, PROP_ETAG);
  title_changed = replace_string (&self->server_title, data->title);
  description_changed = replace_string (&self->server_description, data->description);
  update_updated_at (self, data->updated_at);

  self->enabled = !!data->enabled;
  self->editable = !!data->editable;
  if (!self->pending)
    self->requested = self->enabled;

  if (self->revision != data->revision)
    {
      self->revision = data->revision;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
    }

  update_boolean (self, old_enabled, self->enabled, PROP_ENABLED);
  update_boolean (self, old_editable, self->editable, PROP_EDITABLE);
  update_boolean (self, old_requested, self->requested, PROP_REQUESTED);
  if (title_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  if (description_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);

  g_object_thaw_notify (G_OBJECT (self));
}

/* @pending FALSE makes "requested" follow "enabled" again. */
void
abstain_control_set_request (AbstainControl *self,
                             gboolean        pending,
                             gboolean        requested)
{
  gboolean old_pending, old_requested;

  g_return_if_fail (ABSTAIN_IS_CONTROL (self));

  old_pending = self->pending;
  old_requested = self->requested;
  self->pending = !!pending;
  self->requested = pending ? !!requested : self->enabled;

  g_object_freeze_notify (G_OBJECT (self));
  update_boolean (self, old_pending, self->pending, PROP_PENDING);
  update_boolean (self, old_requested, self->requested, PROP_REQUESTED);
  g_object_thaw_notify (G_OBJECT (self));
}

void
abstain_control_set_last_error (AbstainControl *self,
                                const GError   *error)
{
  g_return_if_fail (ABSTAIN_IS_CONTROL (self));

  if (error == NULL && self->last_error == NULL)
    return;
  if (error != NULL && self->last_error != NULL &&
      g_error_matches (self->last_error, error->domain, error->code) &&
      g_strcmp0 (self->last_error->message, error->message) == 0)
    return;

  g_clear_error (&self->last_error);
  if (error != NULL)
    self->last_error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

const char *
abstain_control_get_id (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->id;
}

const char *
abstain_control_get_kind (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->kind;
}

const char *
abstain_control_get_product (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->product;
}

const char *
abstain_control_get_scope (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->scope;
}

const char *
abstain_control_get_organization_id (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->organization_id;
}

const char *
abstain_control_get_title (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);

  if (g_strcmp0 (self->kind, "chat.training") == 0)
    return _("Train on my conversations");
  if (g_strcmp0 (self->kind, "api.anonymous_improvement") == 0)
    return _("Anonymous improvement data");

  return self->server_title;
}

const char *
abstain_control_get_description (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);

  if (g_strcmp0 (self->kind, "chat.training") == 0)
    return _("Allow your prompts, the answers and the documents you upload to be used "
             "to train models. The same setting as Privacy in le Chat on the web and "
             "Data & Account Controls in the mobile app.");
  if (g_strcmp0 (self->kind, "api.anonymous_improvement") == 0)
    return _("Allow anonymized data from this organization’s API calls to be used to "
             "improve the services.");

  return self->server_description;
}

const char *
abstain_control_get_server_title (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->server_title;
}

const char *
abstain_control_get_server_description (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->server_description;
}

gboolean
abstain_control_get_enabled (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), FALSE);
  return self->enabled;
}

gboolean
abstain_control_get_requested (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), FALSE);
  return self->requested;
}

gboolean
abstain_control_get_pending (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), FALSE);
  return self->pending;
}

gboolean
abstain_control_get_editable (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), FALSE);
  return self->editable;
}

const char *
abstain_control_get_locked_reason (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->locked_reason;
}

gint64
abstain_control_get_revision (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), 0);
  return self->revision;
}

const char *
abstain_control_get_etag (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->etag;
}

GDateTime *
abstain_control_get_updated_at (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->updated_at;
}

const GError *
abstain_control_get_last_error (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);
  return self->last_error;
}

/*
 * abstain_control_get_account:
 *
 * Returns: (transfer none) (nullable) (type AbstainAccount): the account, or
 *   %NULL once it is gone
 */
gpointer
abstain_control_get_account (AbstainControl *self)
{
  g_autoptr(GObject) account = NULL;

  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);

  /* The account owns its controls, so it outlives this borrowed pointer. */
  account = g_weak_ref_get (&self->account);
  return account;
}

static char *
describe_plan_default (AbstainControl *self)
{
  AbstainAccount *account = abstain_control_get_account (self);
  const char *plan = account ? abstain_account_get_plan (account) : NULL;

  if (g_strcmp0 (plan, "team") == 0)
    return g_strdup (_("Opted out by default on Team plans"));
  if (g_strcmp0 (plan, "enterprise") == 0)
    return g_strdup (_("Opted out by default on Enterprise plans"));

  return g_strdup (_("Opted out by default on Team and Enterprise plans"));
}

char *
abstain_control_describe_lock (AbstainControl *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (self), NULL);

  if (self->editable)
    return NULL;

  if (g_strcmp0 (self->locked_reason, "plan_default") == 0)
    return describe_plan_default (self);
  if (g_strcmp0 (self->locked_reason, "role") == 0)
    return g_strdup (_("Only organization admins can change this"));
  if (g_strcmp0 (self->locked_reason, "organization_policy") == 0)
    return g_strdup (_("Set by your organization’s policy"));

  return g_strdup (_("This setting cannot be changed from here"));
}
