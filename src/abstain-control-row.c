/* abstain-control-row.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-control-row"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-control-row.h"

/* One remote switch. The GtkSwitch's "state" is always what the server
 * confirmed and its "active" what the user asked for: they differ exactly
 * while the change is pending. */
struct _AbstainControlRow
{
  AdwActionRow    parent_instance;

  AbstainManager *manager;
  AbstainControl *control;
  GCancellable   *cancellable;

  GtkImage       *lock_icon;
  GtkButton      *retry_button;
  GtkSpinner     *spinner;
  GtkSwitch      *switch_;
  GtkButton      *withdraw_button;

  char           *title_override;

  guint           show_organization : 1;
  guint           syncing : 1;
};

G_DEFINE_FINAL_TYPE (AbstainControlRow, abstain_control_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_CONTROL,
  PROP_SHOW_ORGANIZATION,
  PROP_TITLE_OVERRIDE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static AbstainAccount *
get_account (AbstainControlRow *self)
{
  return ABSTAIN_ACCOUNT (abstain_control_get_account (self->control));
}

static char *
describe_pending (AbstainControlRow *self)
{
  AbstainAccount *account = get_account (self);
  const GError *error = abstain_control_get_last_error (self->control);
  AbstainAccountState state;

  state = account != NULL ? abstain_account_get_state (account) : ABSTAIN_ACCOUNT_STATE_ONLINE;

  if (!abstain_manager_get_online (self->manager) || state == ABSTAIN_ACCOUNT_STATE_OFFLINE)
    return g_strdup (_("Will apply when you are back online"));
  if (state == ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN)
    return g_strdup (_("Will apply when you sign in again"));
  if (error != NULL)
    /* Translators: %s is why the server did not confirm the change yet */
    return g_strdup_printf (_("Not confirmed yet: %s"), error->message);

  return g_strdup (_("Waiting for the server"));
}

static char *
describe (AbstainControlRow *self)
{
  if (abstain_control_get_pending (self->control))
    return describe_pending (self);
  if (!abstain_control_get_editable (self->control))
    return abstain_control_describe_lock (self->control);
  if (get_account (self) != NULL &&
      abstain_account_get_state (get_account (self)) == ABSTAIN_ACCOUNT_STATE_LOADING)
    return g_strdup (_("Checking with the server…"));
  if (self->show_organization)
    return NULL;

  return g_strdup (abstain_control_get_description (self->control));
}

static char *
get_row_title (AbstainControlRow *self)
{
  AbstainAccount *account = get_account (self);
  const char *org_id = abstain_control_get_organization_id (self->control);
  AbstainOrganization *org = NULL;

  if (self->title_override != NULL)
    return g_strdup (self->title_override);
  if (self->show_organization && account != NULL && org_id != NULL)
    org = abstain_account_find_organization (account, org_id);
  if (org != NULL)
    return g_strdup (abstain_organization_get_name (org));

  return g_strdup (abstain_control_get_title (self->control));
}

static void
abstain_control_row_sync (AbstainControlRow *self)
{
  g_autofree char *title = get_row_title (self);
  g_autofree char *subtitle = describe (self);
  gboolean pending = abstain_control_get_pending (self->control);
  gboolean editable = abstain_control_get_editable (self->control);
  gboolean failed = abstain_control_get_last_error (self->control) != NULL;

  /* The state first (GtkSwitch also moves "active" to it), then the request;
   * on_switch_state_set ignores both while syncing. */
  self->syncing = TRUE;
  gtk_switch_set_state (self->switch_, abstain_control_get_enabled (self->control));
  gtk_switch_set_active (self->switch_, abstain_control_get_requested (self->control));
  self->syncing = FALSE;

  gtk_widget_set_sensitive (GTK_WIDGET (self->switch_), editable || pending);
  gtk_widget_set_visible (GTK_WIDGET (self->lock_icon), !editable && !pending);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), pending);
  gtk_spinner_set_spinning (self->spinner, pending);
  gtk_widget_set_visible (GTK_WIDGET (self->withdraw_button), pending);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), pending && failed);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle != NULL ? subtitle : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->switch_),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle != NULL ? subtitle : "",
                                  -1);
}

static gboolean
on_switch_state_set (AbstainControlRow *self,
                     gboolean           state,
                     GtkSwitch         *switch_)
{
  g_autoptr(GError) error = NULL;

  if (self->syncing || self->control == NULL)
    return TRUE;

  if (state != abstain_control_get_requested (self->control) &&
      !abstain_manager_request (self->manager, self->control, state, &error))
    {
      g_autofree char *message = g_strdup (error->message);

      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", message);
    }

  abstain_control_row_sync (self);

  /* Never let GtkSwitch move "state" itself: only the server does. */
  return TRUE;
}

static void
on_withdraw_clicked (AbstainControlRow *self)
{
  abstain_manager_withdraw (self->manager, self->control);
  abstain_control_row_sync (self);
}

static void
sync_finished_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failure lands in the control's "last-error", which the row shows. */
  if (!abstain_manager_sync_finish (ABSTAIN_MANAGER (object), result, &error))
    g_debug ("Retry did not go through: %s", error->message);
}

static void
on_retry_clicked (AbstainControlRow *self)
{
  abstain_manager_sync_async (self->manager,
                              get_account (self),
                              self->cancellable,
                              sync_finished_cb,
                              NULL);
}

static void
watch (AbstainControlRow *self)
{
  static const char *control_props[] = {
    "notify::enabled", "notify::requested", "notify::pending", "notify::editable",
    "notify::locked-reason", "notify::last-error", "notify::title", "notify::description",
  };
  AbstainAccount *account = get_account (self);

  for (guint i = 0; i < G_N_ELEMENTS (control_props); i++)
    g_signal_connect_object (self->control, control_props[i],
                             G_CALLBACK (abstain_control_row_sync), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->manager, "notify::online",
                           G_CALLBACK (abstain_control_row_sync), self, G_CONNECT_SWAPPED);
  if (account != NULL)
    g_signal_connect_object (account, "notify::state",
                             G_CALLBACK (abstain_control_row_sync), self, G_CONNECT_SWAPPED);
}

static void
abstain_control_row_constructed (GObject *object)
{
  AbstainControlRow *self = ABSTAIN_CONTROL_ROW (object);

  G_OBJECT_CLASS (abstain_control_row_parent_class)->constructed (object);

  g_assert (ABSTAIN_IS_MANAGER (self->manager));
  g_assert (ABSTAIN_IS_CONTROL (self->control));

  watch (self);
  abstain_control_row_sync (self);
}

static void
abstain_control_row_dispose (GObject *object)
{
  AbstainControlRow *self = ABSTAIN_CONTROL_ROW (object);

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_CONTROL_ROW);

  G_OBJECT_CLASS (abstain_control_row_parent_class)->dispose (object);
}

static void
abstain_control_row_finalize (GObject *object)
{
  AbstainControlRow *self = ABSTAIN_CONTROL_ROW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->control);
  g_clear_pointer (&self->title_override, g_free);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_control_row_parent_class)->finalize (object);
}

static void
abstain_control_row_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  AbstainControlRow *self = ABSTAIN_CONTROL_ROW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    case PROP_CONTROL:
      g_value_set_object (value, self->control);
      break;
    case PROP_SHOW_ORGANIZATION:
      g_value_set_boolean (value, self->show_organization);
      break;
    case PROP_TITLE_OVERRIDE:
      g_value_set_string (value, self->title_override);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_control_row_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  AbstainControlRow *self = ABSTAIN_CONTROL_ROW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;
    case PROP_CONTROL:
      self->control = g_value_dup_object (value);
      break;
    case PROP_SHOW_ORGANIZATION:
      self->show_organization = g_value_get_boolean (value);
      break;
    case PROP_TITLE_OVERRIDE:
      self->title_override = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_control_row_class_init (AbstainControlRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = abstain_control_row_constructed;
  object_class->dispose = abstain_control_row_dispose;
  object_class->finalize = abstain_control_row_finalize;
  object_class->get_property = abstain_control_row_get_property;
  object_class->set_property = abstain_control_row_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTROL] =
    g_param_spec_object ("control", NULL, NULL,
                         ABSTAIN_TYPE_CONTROL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_ORGANIZATION] =
    g_param_spec_boolean ("show-organization", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE_OVERRIDE] =
    g_param_spec_string ("title-override", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-control-row.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainControlRow, lock_icon);
  gtk_widget_class_bind_template_child (widget_class, AbstainControlRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, AbstainControlRow, spinner);
  gtk_widget_class_bind_template_child_full (widget_class, "switch", FALSE,
                                             G_STRUCT_OFFSET (AbstainControlRow, switch_));
  gtk_widget_class_bind_template_child (widget_class, AbstainControlRow, withdraw_button);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_state_set);
  gtk_widget_class_bind_template_callback (widget_class, on_withdraw_clicked);
}

static void
abstain_control_row_init (AbstainControlRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
}

GtkWidget *
abstain_control_row_new (AbstainManager *manager,
                         AbstainControl *control,
                         gboolean        show_organization)
{
  g_return_val_if_fail (ABSTAIN_IS_MANAGER (manager), NULL);
  g_return_val_if_fail (ABSTAIN_IS_CONTROL (control), NULL);

  return g_object_new (ABSTAIN_TYPE_CONTROL_ROW,
                       "manager", manager,
                       "control", control,
                       "show-organization", show_organization,
                       NULL);
}

AbstainControl *
abstain_control_row_get_control (AbstainControlRow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL_ROW (self), NULL);

  return self->control;
}

GtkSwitch *
abstain_control_row_get_switch (AbstainControlRow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_CONTROL_ROW (self), NULL);

  return self->switch_;
}
