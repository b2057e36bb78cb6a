/* abstain-account-page.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-account-page"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-account-page.h"
#include "abstain-control-row.h"

/* The selected account: profile, plan, organizations, the other accounts,
 * sign out, and the Data & Account Controls subpage. */
struct _AbstainAccountPage
{
  AdwBin               parent_instance;

  AbstainManager      *manager;
  AbstainAccount      *account;
  AbstainControl      *chat_control;
  GtkWidget           *chat_row;
  GPtrArray           *dynamic_rows;
  GPtrArray           *watched;
  GCancellable        *cancellable;
  guint                update_id;

  GtkWidget           *accounts_group;
  GtkWidget           *add_account_row;
  AdwAvatar           *avatar;
  AdwPreferencesGroup *data_controls_group;
  GtkWidget           *data_controls_row;
  GtkLabel            *email_label;
  AdwLeaflet          *leaflet;
  GtkLabel            *name_label;
  GtkWidget           *organizations_group;
  GtkLabel            *plan_label;
  AdwActionRow        *server_row;
  GtkWidget           *sign_out_button;
};

G_DEFINE_FINAL_TYPE (AbstainAccountPage, abstain_account_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_dynamic_rows (AbstainAccountPage *self)
{
  for (guint i = 0; i < self->dynamic_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->dynamic_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->dynamic_rows, 0);
}

static GtkWidget *
add_row (AbstainAccountPage *self,
         GtkWidget          *group,
         const char         *title,
         const char         *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  g_ptr_array_add (self->dynamic_rows, row);

  return row;
}

static void
add_organizations (AbstainAccountPage *self)
{
  GListModel *orgs = abstain_account_get_organizations (self->account);
  guint n = g_list_model_get_n_items (orgs);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainOrganization) org = g_list_model_get_item (orgs, i);
      const char *role = abstain_organization_get_role (org);

      add_row (self, self->organizations_group, abstain_organization_get_name (org),
               g_strcmp0 (role, "admin") == 0 ? _("Admin")
               : g_strcmp0 (role, "member") == 0 ? _("Member") : role);
    }
  gtk_widget_set_visible (self->organizations_group, n > 0);
}

static void
add_accounts (AbstainAccountPage *self)
{
  GListModel *accounts = abstain_manager_get_accounts (self->manager);
  guint n = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainAccount) account = g_list_model_get_item (accounts, i);
      GtkWidget *row = add_row (self, self->accounts_group,
                                abstain_account_get_email (account),
                                abstain_account_get_server (account));
      GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

      gtk_widget_set_visible (check, account == self->account);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Selected"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), account != self->account);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", abstain_account_get_id (account));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.select-account");
    }

  /* Keep "Add Account…" last. */
  g_object_ref (self->add_account_row);
  adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self->accounts_group), self->add_account_row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->accounts_group), self->add_account_row);
  g_object_unref (self->add_account_row);
}

static void
update_chat_row (AbstainAccountPage *self)
{
  AbstainControl *control = NULL;

  if (self->account != NULL)
    control = abstain_account_find_control (self->account, "chat.training");

  gtk_widget_set_visible (self->data_controls_row, control != NULL);
  if (control == self->chat_control)
    return;

  if (self->chat_row != NULL)
    adw_preferences_group_remove (self->data_controls_group, self->chat_row);
  self->chat_row = NULL;
  g_set_object (&self->chat_control, control);

  if (control != NULL)
    {
      self->chat_row = g_object_new (ABSTAIN_TYPE_CONTROL_ROW,
                                     "manager", self->manager,
                                     "control", control,
                                     "title-override", _("Enable data sharing"),
                                     NULL);
      adw_preferences_group_add (self->data_controls_group, self->chat_row);
    }
  else
    abstain_account_page_show_data_controls (self, FALSE);
}

static void
update_profile (AbstainAccountPage *self)
{
  g_autofree char *plan = abstain_plan_get_display_name (abstain_account_get_plan (self->account));
  const char *name = abstain_account_get_display_name (self->account);
  const char *email = abstain_account_get_email (self->account);

  if (name == NULL || *name == '\0')
    name = email;

  adw_avatar_set_text (self->avatar, name);
  gtk_label_set_text (self->name_label, name);
  gtk_label_set_text (self->email_label, email);
  gtk_label_set_text (self->plan_label, plan);
  adw_action_row_set_subtitle (self->server_row, abstain_account_get_server (self->account));
}

static gboolean
update_now (gpointer user_data)
{
  AbstainAccountPage *self = user_data;

  self->update_id = 0;
  clear_dynamic_rows (self);
  gtk_widget_set_sensitive (self->sign_out_button, self->account != NULL);
  if (self->manager == NULL || self->account == NULL)
    return G_SOURCE_REMOVE;

  update_profile (self);
  add_organizations (self);
  add_accounts (self);
  update_chat_row (self);

  return G_SOURCE_REMOVE;
}

static void
queue_update (AbstainAccountPage *self)
{
  if (self->update_id == 0)
    /* Before GTK lays out and paints, so that no frame shows a stale page */
    self->update_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, update_now, self, NULL);
}

static void
unwatch_all (AbstainAccountPage *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->watched, i), queue_update, self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
watch (AbstainAccountPage *self,
       gpointer            object,
       const char         *signal)
{
  g_signal_connect_object (object, signal, G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
  g_ptr_array_add (self->watched, g_object_ref (object));
}

static void
rewatch (AbstainAccountPage *self)
{
  unwatch_all (self);
  if (self->manager != NULL)
    watch (self, abstain_manager_get_accounts (self->manager), "items-changed");
  if (self->account != NULL)
    {
      watch (self, self->account, "notify");
      watch (self, abstain_account_get_organizations (self->account), "items-changed");
      watch (self, abstain_account_get_controls (self->account), "items-changed");
    }
  queue_update (self);
}

static void
on_data_controls_activated (AbstainAccountPage *self)
{
  abstain_account_page_show_data_controls (self, TRUE);
}

static void
on_back_clicked (AbstainAccountPage *self)
{
  abstain_account_page_show_data_controls (self, FALSE);
}

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(AbstainAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!abstain_manager_sign_out_finish (ABSTAIN_MANAGER (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", error->message);
}

static void
on_sign_out_response (AbstainAccountPage *self,
                      const char         *response,
                      AdwMessageDialog   *dialog)
{
  AbstainAccount *account = g_object_get_data (G_OBJECT (dialog), "account");

  if (g_strcmp0 (response, "sign-out") != 0 || account == NULL)
    return;

  abstain_manager_sign_out_async (self->manager, account, self->cancellable,
                                  sign_out_cb, g_object_ref (self));
}

static void
on_sign_out_clicked (AbstainAccountPage *self)
{
  GtkWidget *dialog;

  if (self->account == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Sign Out?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Changes for %s that the server has not confirmed yet will be dropped. "
                                    "The history on this computer is kept."),
                                  abstain_account_get_email (self->account));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "account", g_object_ref (self->account), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
abstain_account_page_dispose (GObject *object)
{
  AbstainAccountPage *self = ABSTAIN_ACCOUNT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->update_id, g_source_remove);
  if (self->watched != NULL)
    unwatch_all (self);
  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->dynamic_rows, g_ptr_array_unref);
  self->chat_row = NULL;

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_ACCOUNT_PAGE);

  G_OBJECT_CLASS (abstain_account_page_parent_class)->dispose (object);
}

static void
abstain_account_page_finalize (GObject *object)
{
  AbstainAccountPage *self = ABSTAIN_ACCOUNT_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->chat_control);
  g_clear_object (&self->account);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_account_page_parent_class)->finalize (object);
}

static void
abstain_account_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  AbstainAccountPage *self = ABSTAIN_ACCOUNT_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_account_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  AbstainAccountPage *self = ABSTAIN_ACCOUNT_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      if (g_set_object (&self->manager, g_value_get_object (value)))
        {
          rewatch (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_ACCOUNT:
      if (g_set_object (&self->account, g_value_get_object (value)))
        {
          rewatch (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_account_page_class_init (AbstainAccountPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = abstain_account_page_dispose;
  object_class->finalize = abstain_account_page_finalize;
  object_class->get_property = abstain_account_page_get_property;
  object_class->set_property = abstain_account_page_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         ABSTAIN_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, accounts_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, add_account_row);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, avatar);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, data_controls_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, data_controls_row);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, email_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, name_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, organizations_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, plan_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, AbstainAccountPage, sign_out_button);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_data_controls_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_out_clicked);
}

static void
abstain_account_page_init (AbstainAccountPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->dynamic_rows = g_ptr_array_new ();
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * abstain_account_page_show_data_controls:
 * @self: an #AbstainAccountPage
 * @show: whether to show the Data & Account Controls subpage
 */
void
abstain_account_page_show_data_controls (AbstainAccountPage *self,
                                         gboolean            show)
{
  g_return_if_fail (ABSTAIN_IS_ACCOUNT_PAGE (self));

  adw_leaflet_set_visible_child_name (self->leaflet, show ? "data-controls" : "main");
}
