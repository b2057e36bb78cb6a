/* abstain-account.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-account"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-account-private.h"
#include "abstain-control-private.h"

G_DEFINE_ENUM_TYPE (AbstainAccountState, abstain_account_state,
  G_DEFINE_ENUM_VALUE (ABSTAIN_ACCOUNT_STATE_LOADING, "loading"),
  G_DEFINE_ENUM_VALUE (ABSTAIN_ACCOUNT_STATE_ONLINE, "online"),
  G_DEFINE_ENUM_VALUE (ABSTAIN_ACCOUNT_STATE_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN, "needs-sign-in"),
  G_DEFINE_ENUM_VALUE (ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR, "keyring-error"))

/* AbstainOrganization */

struct _AbstainOrganization
{
  GObject  parent_instance;
  char    *id;
  char    *name;
  char    *role;
};

G_DEFINE_FINAL_TYPE (AbstainOrganization, abstain_organization, G_TYPE_OBJECT)

enum {
  ORG_PROP_0,
  ORG_PROP_ID,
  ORG_PROP_NAME,
  ORG_PROP_ROLE,
  ORG_N_PROPS
};

static GParamSpec *org_properties[ORG_N_PROPS];

static void
abstain_organization_finalize (GObject *object)
{
  AbstainOrganization *self = (AbstainOrganization *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->role, g_free);

  G_OBJECT_CLASS (abstain_organization_parent_class)->finalize (object);
}

static void
abstain_organization_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  AbstainOrganization *self = ABSTAIN_ORGANIZATION (object);

  switch (prop_id)
    {
    case ORG_PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case ORG_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case ORG_PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_organization_class_init (AbstainOrganizationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = abstain_organization_finalize;
  object_class->get_property = abstain_organization_get_property;

  org_properties[ORG_PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  org_properties[ORG_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  org_properties[ORG_PROP_ROLE] =
    g_param_spec_string ("role", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, ORG_N_PROPS, org_properties);
}

static void
abstain_organization_init (AbstainOrganization *self)
{
}

static AbstainOrganization *
abstain_organization_new (const AbstainOrganizationData *data)
{
  AbstainOrganization *self = g_object_new (ABSTAIN_TYPE_ORGANIZATION, NULL);

  self->id = g_strdup (data->id);
  self->name = g_strdup (data->name);
  self->role = g_strdup (data->role);

  return self;
}

const char *
abstain_organization_get_id (AbstainOrganization *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ORGANIZATION (self), NULL);
  return self->id;
}

const char *
abstain_organization_get_name (AbstainOrganization *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ORGANIZATION (self), NULL);
  return self->name;
}

const char *
abstain_organization_get_role (AbstainOrganization *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ORGANIZATION (self), NULL);
  return self->role;
}

/* AbstainAccount */

struct _AbstainAccount
{
  GObject              parent_instance;

  char                *id;
  char                *server;
  char                *email;
  char                *display_name;
  char                *plan;
  GError              *last_error;
  GDateTime           *last_verified;
  GListStore          *controls;
  GListStore          *organizations;
  AbstainAccountState  state;
  guint                busy : 1;
};

G_DEFINE_FINAL_TYPE (AbstainAccount, abstain_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BUSY,
  PROP_CONTROLS,
  PROP_DISPLAY_NAME,
  PROP_EMAIL,
  PROP_ID,
  PROP_LAST_ERROR,
  PROP_LAST_VERIFIED,
  PROP_ORGANIZATIONS,
  PROP_PLAN,
  PROP_SERVER,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
abstain_account_finalize (GObject *object)
{
  AbstainAccount *self = (AbstainAccount *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->email, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->plan, g_free);
  g_clear_error (&self->last_error);
  g_clear_pointer (&self->last_verified, g_date_time_unref);
  g_clear_object (&self->controls);
  g_clear_object (&self->organizations);

  G_OBJECT_CLASS (abstain_account_parent_class)->finalize (object);
}

static void
abstain_account_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  AbstainAccount *self = ABSTAIN_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_CONTROLS:
      g_value_set_object (value, self->controls);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_LAST_ERROR:
      g_value_set_boxed (value, self->last_error);
      break;
    case PROP_LAST_VERIFIED:
      g_value_set_boxed (value, self->last_verified);
      break;
    case PROP_ORGANIZATIONS:
      g_value_set_object (value, self->organizations);
      break;
    case PROP_PLAN:
      g_value_set_string (value, self->plan);
      break;
    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define READ_ONLY (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
abstain_account_class_init (AbstainAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = abstain_account_finalize;
  object_class->get_property = abstain_account_get_property;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, READ_ONLY);
  properties[PROP_CONTROLS] =
    g_param_spec_object ("controls", NULL, NULL, G_TYPE_LIST_MODEL, READ_ONLY);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_LAST_ERROR] =
    g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR, READ_ONLY);
  properties[PROP_LAST_VERIFIED] =
    g_param_spec_boxed ("last-verified", NULL, NULL, G_TYPE_DATE_TIME, READ_ONLY);
  properties[PROP_ORGANIZATIONS] =
    g_param_spec_object ("organizations", NULL, NULL, G_TYPE_LIST_MODEL, READ_ONLY);
  properties[PROP_PLAN] = g_param_spec_string ("plan", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_SERVER] = g_param_spec_string ("server", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, ABSTAIN_TYPE_ACCOUNT_STATE,
                       ABSTAIN_ACCOUNT_STATE_LOADING, READ_ONLY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
abstain_account_init (AbstainAccount *self)
{
  self->controls = g_list_store_new (ABSTAIN_TYPE_CONTROL);
  self->organizations = g_list_store_new (ABSTAIN_TYPE_ORGANIZATION);
  self->state = ABSTAIN_ACCOUNT_STATE_LOADING;
}

AbstainAccount *
abstain_account_new (const char               *server,
                     const AbstainAccountData *data)
{
  AbstainAccount *self;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (data != NULL && data->id != NULL, NULL);

  self = g_object_new (ABSTAIN_TYPE_ACCOUNT, NULL);
  self->server = g_strdup (server);
  self->id = g_strdup (data->id);
  abstain_account_update (self, data);

  return self;
}

static void
update_string (AbstainAccount  *self,
               char           **field,
               const char      *value,
               guint            prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
update_organizations (AbstainAccount *self,
                      GPtrArray      *organizations)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; organizations != NULL && i < organizations->len; i++)
    g_ptr_array_add (items, abstain_organization_new (g_ptr_array_index (organizations, i)));

  g_list_store_splice (self->organizations, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->organizations)),
                       items->pdata, items->len);
}

void
abstain_account_update (AbstainAccount           *self,
                        const AbstainAccountData *data)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (self));
  g_return_if_fail (data != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  update_string (self, &self->email, data->email, PROP_EMAIL);
  update_string (self, &self->display_name, data->display_name, PROP_DISPLAY_NAME);
  update_string (self, &self->plan, data->plan, PROP_PLAN);
  update_organizations (self, data->organizations);
  g_object_thaw_notify (G_OBJECT (self));
}

static AbstainOrganizationData *
organization_to_data (AbstainOrganization *org)
{
  AbstainOrganizationData *data = g_new0 (AbstainOrganizationData, 1);

  data->id = g_strdup (org->id);
  data->name = g_strdup (org->name);
  data->role = g_strdup (org->role);

  return data;
}

AbstainAccountData *
abstain_account_to_data (AbstainAccount *self)
{
  AbstainAccountData *data;
  guint n;

  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);

  data = g_new0 (AbstainAccountData, 1);
  data->id = g_strdup (self->id);
  data->email = g_strdup (self->email);
  data->display_name = g_strdup (self->display_name);
  data->plan = g_strdup (self->plan);
  data->organizations =
    g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_organization_data_free);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->organizations));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainOrganization) org =
        g_list_model_get_item (G_LIST_MODEL (self->organizations), i);
      g_ptr_array_add (data->organizations, organization_to_data (org));
    }

  return data;
}

void
abstain_account_set_state (AbstainAccount      *self,
                           AbstainAccountState  state)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (self));

  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
abstain_account_set_busy (AbstainAccount *self,
                          gboolean        busy)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (self));

  if (self->busy == !!busy)
    return;

  self->busy = !!busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

void
abstain_account_set_last_error (AbstainAccount *self,
                                const GError   *error)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (self));

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

void
abstain_account_set_last_verified (AbstainAccount *self,
                                   GDateTime      *when)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (self));

  if (when == self->last_verified)
    return;
  if (when != NULL && self->last_verified != NULL && g_date_time_equal (when, self->last_verified))
    return;

  g_clear_pointer (&self->last_verified, g_date_time_unref);
  if (when != NULL)
    self->last_verified = g_date_time_ref (when);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_VERIFIED]);
}

static gboolean
data_has_id (GPtrArray  *controls,
             const char *id)
{
  for (guint i = 0; i < controls->len; i++)
    {
      const AbstainControlData *data = g_ptr_array_index (controls, i);

      if (g_strcmp0 (data->id, id) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
remove_vanished_controls (AbstainAccount *self,
                          GPtrArray      *controls)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->controls));

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (G_LIST_MODEL (self->controls), i - 1);

      if (!data_has_id (controls, abstain_control_get_id (control)))
        g_list_store_remove (self->controls, i - 1);
    }
}

void
abstain_account_set_controls (AbstainAccount *self,
                              GPtrArray      *controls)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT (self));
  g_return_if_fail (controls != NULL);

  remove_vanished_controls (self, controls);

  for (guint i = 0; i < controls->len; i++)
    {
      const AbstainControlData *data = g_ptr_array_index (controls, i);
      AbstainControl *control = abstain_account_lookup_control (self, data->id);

      if (control != NULL)
        abstain_control_update (control, data);
      else
        {
          g_autoptr(AbstainControl) created = abstain_control_new (self, data);
          g_list_store_append (self->controls, created);
        }
    }
}

/* Returns: (transfer none) (nullable): the control with that id */
AbstainControl *
abstain_account_lookup_control (AbstainAccount *self,
                                const char     *id)
{
  guint n;

  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->controls));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (G_LIST_MODEL (self->controls), i);

      if (g_strcmp0 (abstain_control_get_id (control), id) == 0)
        return control;
    }

  return NULL;
}

gboolean
abstain_account_matches (AbstainAccount *self,
                         const char     *server,
                         const char     *id)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), FALSE);

  return g_strcmp0 (self->server, server) == 0 && g_strcmp0 (self->id, id) == 0;
}

const char *
abstain_account_get_id (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->id;
}

const char *
abstain_account_get_server (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->server;
}

const char *
abstain_account_get_email (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->email;
}

const char *
abstain_account_get_display_name (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->display_name;
}

const char *
abstain_account_get_plan (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->plan;
}

AbstainAccountState
abstain_account_get_state (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), ABSTAIN_ACCOUNT_STATE_LOADING);
  return self->state;
}

gboolean
abstain_account_get_busy (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), FALSE);
  return self->busy;
}

const GError *
abstain_account_get_last_error (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->last_error;
}

GDateTime *
abstain_account_get_last_verified (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return self->last_verified;
}

GListModel *
abstain_account_get_controls (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return G_LIST_MODEL (self->controls);
}

GListModel *
abstain_account_get_organizations (AbstainAccount *self)
{
  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  return G_LIST_MODEL (self->organizations);
}

/* Returns: (transfer none) (nullable): the control with that id, else the
 * first control of that kind */
AbstainControl *
abstain_account_find_control (AbstainAccount *self,
                              const char     *id_or_kind)
{
  AbstainControl *control;
  guint n;

  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (id_or_kind != NULL, NULL);

  if ((control = abstain_account_lookup_control (self, id_or_kind)))
    return control;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->controls));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) item = g_list_model_get_item (G_LIST_MODEL (self->controls), i);

      if (g_strcmp0 (abstain_control_get_kind (item), id_or_kind) == 0)
        return item;
    }

  return NULL;
}

/* Returns: (transfer none) (nullable) */
AbstainOrganization *
abstain_account_find_organization (AbstainAccount *self,
                                   const char     *id)
{
  guint n;

  g_return_val_if_fail (ABSTAIN_IS_ACCOUNT (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->organizations));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainOrganization) org =
        g_list_model_get_item (G_LIST_MODEL (self->organizations), i);

      if (g_strcmp0 (org->id, id) == 0)
        return org;
    }

  return NULL;
}

char *
abstain_plan_get_display_name (const char *plan)
{
  if (plan == NULL)
    return g_strdup (_("Unknown plan"));
  if (g_str_equal (plan, "free"))
    return g_strdup (C_("plan", "Free"));
  if (g_str_equal (plan, "pro"))
    return g_strdup (C_("plan", "Pro"));
  if (g_str_equal (plan, "student"))
    return g_strdup (C_("plan", "Student"));
  if (g_str_equal (plan, "team"))
    return g_strdup (C_("plan", "Team"));
  if (g_str_equal (plan, "enterprise"))
    return g_strdup (C_("plan", "Enterprise"));

  return g_strdup (plan);
}
