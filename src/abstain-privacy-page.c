/* abstain-privacy-page.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-privacy-page"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-control-row.h"
#include "abstain-privacy-page.h"

/* The Preferences panel's Privacy section: one row per control of the
 * selected account, grouped by product. */
struct _AbstainPrivacyPage
{
  AdwBin                parent_instance;

  AbstainManager       *manager;
  AbstainAccount       *account;
  GListModel           *controls;
  GPtrArray            *rows;

  GtkWidget            *account_group;
  AdwActionRow         *account_row;
  AdwPreferencesGroup  *api_group;
  AdwAvatar            *avatar;
  AdwPreferencesGroup  *chat_group;
  AdwPreferencesGroup  *other_group;
  GtkStack             *stack;
};

G_DEFINE_FINAL_TYPE (AbstainPrivacyPage, abstain_privacy_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_rows (AbstainPrivacyPage *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP)), row);
    }
  g_ptr_array_set_size (self->rows, 0);
}

static AdwPreferencesGroup *
group_for (AbstainPrivacyPage *self,
           AbstainControl     *control)
{
  const char *kind = abstain_control_get_kind (control);

  if (g_strcmp0 (kind, "chat.training") == 0)
    return self->chat_group;
  if (g_strcmp0 (kind, "api.anonymous_improvement") == 0)
    return self->api_group;

  return self->other_group;
}

static void
rebuild (AbstainPrivacyPage *self)
{
  guint n = self->controls != NULL ? g_list_model_get_n_items (self->controls) : 0;
  gboolean used[3] = { FALSE, FALSE, FALSE };
  AdwPreferencesGroup *groups[3] = { self->chat_group, self->api_group, self->other_group };

  clear_rows (self);
  if (self->manager == NULL)
    n = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (self->controls, i);
      AdwPreferencesGroup *group = group_for (self, control);
      GtkWidget *row = abstain_control_row_new (self->manager, control, group == self->api_group);

      adw_preferences_group_add (group, row);
      g_ptr_array_add (self->rows, row);
      for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
        used[g] |= groups[g] == group;
    }

  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    gtk_widget_set_visible (GTK_WIDGET (groups[g]), used[g]);

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "controls" : "empty");
}

/* With several accounts, a row at the top says whose settings these are. */
static void
update_account_row (AbstainPrivacyPage *self)
{
  GListModel *accounts = self->manager != NULL ? abstain_manager_get_accounts (self->manager) : NULL;
  g_autofree char *plan = NULL;

  gtk_widget_set_visible (self->account_group,
                          self->account != NULL && accounts != NULL && g_list_model_get_n_items (accounts) > 1);
  if (self->account == NULL)
    return;

  plan = abstain_plan_get_display_name (abstain_account_get_plan (self->account));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->account_row), abstain_account_get_email (self->account));
  adw_action_row_set_subtitle (self->account_row, plan);
  adw_avatar_set_text (self->avatar, abstain_account_get_display_name (self->account));
}

static void
set_account (AbstainPrivacyPage *self,
             AbstainAccount     *account)
{
  if (!g_set_object (&self->account, account))
    return;

  if (self->controls != NULL)
    g_signal_handlers_disconnect_by_func (self->controls, rebuild, self);
  g_clear_object (&self->controls);

  if (account != NULL)
    {
      self->controls = g_object_ref (abstain_account_get_controls (account));
      g_signal_connect_object (self->controls, "items-changed",
                               G_CALLBACK (rebuild), self, G_CONNECT_SWAPPED);
    }

  rebuild (self);
  update_account_row (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT]);
}

static void
abstain_privacy_page_dispose (GObject *object)
{
  AbstainPrivacyPage *self = ABSTAIN_PRIVACY_PAGE (object);

  if (self->controls != NULL)
    g_signal_handlers_disconnect_by_func (self->controls, rebuild, self);
  g_clear_object (&self->controls);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_PRIVACY_PAGE);

  G_OBJECT_CLASS (abstain_privacy_page_parent_class)->dispose (object);
}

static void
abstain_privacy_page_finalize (GObject *object)
{
  AbstainPrivacyPage *self = ABSTAIN_PRIVACY_PAGE (object);

  g_clear_object (&self->account);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_privacy_page_parent_class)->finalize (object);
}

static void
abstain_privacy_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  AbstainPrivacyPage *self = ABSTAIN_PRIVACY_PAGE (object);

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
abstain_privacy_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  AbstainPrivacyPage *self = ABSTAIN_PRIVACY_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      if (self->manager == NULL && g_value_get_object (value) != NULL)
        {
          self->manager = g_value_dup_object (value);
          g_signal_connect_object (abstain_manager_get_accounts (self->manager), "items-changed",
                                   G_CALLBACK (update_account_row), self, G_CONNECT_SWAPPED);
          rebuild (self);
          update_account_row (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_ACCOUNT:
      set_account (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_privacy_page_class_init (AbstainPrivacyPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = abstain_privacy_page_dispose;
  object_class->finalize = abstain_privacy_page_finalize;
  object_class->get_property = abstain_privacy_page_get_property;
  object_class->set_property = abstain_privacy_page_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         ABSTAIN_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-privacy-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, account_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, account_row);
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, api_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, avatar);
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, chat_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, other_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainPrivacyPage, stack);
}

static void
abstain_privacy_page_init (AbstainPrivacyPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = g_ptr_array_new ();
}
