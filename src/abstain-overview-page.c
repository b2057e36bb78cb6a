/* abstain-overview-page.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-overview-page"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-overview-page.h"

/* One verdict over every control of every account, from confirmed states
 * only, and the Opt out everywhere button. */
struct _AbstainOverviewPage
{
  AdwBin               parent_instance;

  AbstainManager      *manager;
  GListModel          *all_controls;
  GPtrArray           *watched;
  GPtrArray           *account_rows;
  GPtrArray           *opt_out_targets;
  GCancellable        *cancellable;
  guint                update_id;

  AdwPreferencesGroup *accounts_group;
  GtkButton           *opt_out_button;
  GtkBox              *progress_box;
  GtkProgressBar      *progress_bar;
  GtkLabel            *progress_label;
  AdwStatusPage       *status_page;
};

G_DEFINE_FINAL_TYPE (AbstainOverviewPage, abstain_overview_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
control_place (AbstainControl *control)
{
  AbstainAccount *account = abstain_control_get_account (control);
  const char *org_id = abstain_control_get_organization_id (control);
  AbstainOrganization *org = NULL;

  if (g_strcmp0 (abstain_control_get_kind (control), "chat.training") == 0)
    return g_strdup (_("le Chat"));
  if (account != NULL && org_id != NULL)
    org = abstain_account_find_organization (account, org_id);
  if (org != NULL)
    /* Translators: %s is an organization on la Plateforme */
    return g_strdup_printf (_("la Plateforme (%s)"), abstain_organization_get_name (org));

  return g_strdup (abstain_control_get_title (control));
}

static void
update_verdict (AbstainOverviewPage *self)
{
  guint n = self->all_controls != NULL ? g_list_model_get_n_items (self->all_controls) : 0;
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;
  g_autofree char *lock = NULL;
  gboolean all_locked = TRUE;
  guint pending = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (self->all_controls, i);
      g_autofree char *place = control_place (control);

      pending += abstain_control_get_pending (control);
      if (abstain_control_get_enabled (control))
        {
          all_locked &= !abstain_control_get_editable (control);
          if (lock == NULL)
            lock = abstain_control_describe_lock (control);
        }
      if (abstain_control_get_enabled (control) &&
          !g_ptr_array_find_with_equal_func (places, place, g_str_equal, NULL))
        g_ptr_array_add (places, g_steal_pointer (&place));
    }
  g_ptr_array_add (places, NULL);

  if (n == 0)
    {
      title = g_strdup (_("Waiting for the Server"));
      description = g_strdup (_("Your settings appear once the server has answered."));
    }
  else if (places->len > 1)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) places->pdata);

      /* Translators: %s is a list of products, e.g. "le Chat" */
      title = g_strdup_printf (_("Training is on for %s"), list);
      if (all_locked && lock != NULL)
        /* Translators: %s says who can change it, e.g. "Only organization admins can change this" */
        description = g_strdup_printf (_("%s."), lock);
      else
        description = g_strdup (_("Your data from there may be used to train models."));
    }
  else
    {
      title = g_strdup (_("You are opted out everywhere"));
      description = g_strdup (_("The servers confirmed that none of your data is used for training."));
    }

  if (pending > 0)
    {
      g_autofree char *with_pending = NULL;

      with_pending = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                   "%s One change is waiting for the server.",
                                                   "%s %u changes are waiting for the server.",
                                                   pending),
                                      description, pending);
      g_free (description);
      description = g_steal_pointer (&with_pending);
    }

  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  adw_status_page_set_icon_name (self->status_page,
                                 places->len > 1 ? "security-low-symbolic" : "security-high-symbolic");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_page), "verdict-on");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_page), "verdict-off");
  if (n > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_page),
                              places->len > 1 ? "verdict-on" : "verdict-off");
}

static gboolean
wants_opt_out (AbstainControl *control)
{
  return abstain_control_get_editable (control) && abstain_control_get_requested (control);
}

static void
update_opt_out (AbstainOverviewPage *self)
{
  guint n = self->all_controls != NULL ? g_list_model_get_n_items (self->all_controls) : 0;
  guint targets = self->opt_out_targets->len, done = 0;
  gboolean any = FALSE;
  g_autofree char *label = NULL;

  for (guint i = 0; i < n && !any; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (self->all_controls, i);

      any = wants_opt_out (control);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->opt_out_button), any);

  for (guint i = 0; i < targets; i++)
    {
      AbstainControl *control = g_ptr_array_index (self->opt_out_targets, i);

      done += !abstain_control_get_enabled (control) && !abstain_control_get_pending (control);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->progress_box), targets > 0);
  if (targets == 0)
    return;

  gtk_progress_bar_set_fraction (self->progress_bar, (double) done / targets);
  if (done == targets)
    label = g_strdup (_("Every opt-out is confirmed."));
  else
    /* Translators: opt-outs confirmed by the server, e.g. "1 of 3 confirmed" */
    label = g_strdup_printf (_("%u of %u confirmed"), done, targets);
  gtk_label_set_text (self->progress_label, label);
}

static char *
describe_state (AbstainAccount *account)
{
  switch (abstain_account_get_state (account))
    {
    case ABSTAIN_ACCOUNT_STATE_LOADING:
      return g_strdup (_("Loading…"));
    case ABSTAIN_ACCOUNT_STATE_OFFLINE:
      return g_strdup (_("Offline: showing the last confirmed state"));
    case ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN:
      return g_strdup (_("Sign in again to see changes"));
    case ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR:
      return g_strdup (_("The keyring could not be read"));
    case ABSTAIN_ACCOUNT_STATE_ONLINE:
    default:
      return g_strdup (_("Up to date"));
    }
}

static void
update_accounts (AbstainOverviewPage *self)
{
  GListModel *accounts = abstain_manager_get_accounts (self->manager);
  guint n = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < self->account_rows->len; i++)
    adw_preferences_group_remove (self->accounts_group, g_ptr_array_index (self->account_rows, i));
  g_ptr_array_set_size (self->account_rows, 0);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainAccount) account = g_list_model_get_item (accounts, i);
      g_autofree char *plan = abstain_plan_get_display_name (abstain_account_get_plan (account));
      g_autofree char *state = describe_state (account);
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", plan, state);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), abstain_account_get_email (account));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_group_add (self->accounts_group, row);
      g_ptr_array_add (self->account_rows, row);
    }
}

static gboolean
update_now (gpointer user_data)
{
  AbstainOverviewPage *self = user_data;

  self->update_id = 0;
  update_verdict (self);
  update_opt_out (self);
  update_accounts (self);

  return G_SOURCE_REMOVE;
}

static void
queue_update (AbstainOverviewPage *self)
{
  if (self->update_id == 0)
    /* Before GTK lays out and paints, so that no frame shows a stale page */
    self->update_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, update_now, self, NULL);
}

static void
unwatch_all (AbstainOverviewPage *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->watched, i), queue_update, self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
watch (AbstainOverviewPage *self,
       GObject             *object)
{
  g_signal_connect_object (object, "notify", G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
  g_ptr_array_add (self->watched, g_object_ref (object));
}

static void
rewatch (AbstainOverviewPage *self)
{
  GListModel *accounts = abstain_manager_get_accounts (self->manager);
  guint n = g_list_model_get_n_items (self->all_controls);

  unwatch_all (self);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) control = g_list_model_get_item (self->all_controls, i);
      watch (self, control);
    }
  n = g_list_model_get_n_items (accounts);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) account = g_list_model_get_item (accounts, i);
      watch (self, account);
    }

  queue_update (self);
}

static gpointer
map_account_to_controls (gpointer item,
                         gpointer user_data)
{
  g_autoptr(AbstainAccount) account = item;

  return g_object_ref (abstain_account_get_controls (account));
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Failures stay visible on each row and in the progress. */
  if (!abstain_manager_sync_finish (ABSTAIN_MANAGER (object), result, &error))
    g_debug ("Opt out everywhere not confirmed yet: %s", error->message);
}

static void
on_opt_out_clicked (AbstainOverviewPage *self)
{
  guint n = g_list_model_get_n_items (self->all_controls);

  g_ptr_array_set_size (self->opt_out_targets, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (self->all_controls, i);
      g_autoptr(GError) error = NULL;

      if (!wants_opt_out (control))
        continue;
      if (abstain_manager_request (self->manager, control, FALSE, &error))
        g_ptr_array_add (self->opt_out_targets, g_object_ref (control));
      else
        gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", error->message);
    }

  abstain_manager_sync_async (self->manager, NULL, self->cancellable, sync_cb, NULL);
  queue_update (self);
}

static void
set_manager (AbstainOverviewPage *self,
             AbstainManager      *manager)
{
  GtkMapListModel *map;
  GListModel *accounts;

  g_assert (self->manager == NULL);
  self->manager = g_object_ref (manager);
  accounts = abstain_manager_get_accounts (manager);

  map = gtk_map_list_model_new (g_object_ref (accounts), map_account_to_controls, NULL, NULL);
  self->all_controls = G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (map)));
  g_signal_connect_object (self->all_controls, "items-changed",
                           G_CALLBACK (rewatch), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (accounts, "items-changed",
                           G_CALLBACK (rewatch), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (manager, "notify::pending",
                           G_CALLBACK (queue_update), self, G_CONNECT_SWAPPED);
  rewatch (self);
}

static void
abstain_overview_page_dispose (GObject *object)
{
  AbstainOverviewPage *self = ABSTAIN_OVERVIEW_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->update_id, g_source_remove);
  if (self->watched != NULL)
    unwatch_all (self);
  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->account_rows, g_ptr_array_unref);
  g_clear_pointer (&self->opt_out_targets, g_ptr_array_unref);
  g_clear_object (&self->all_controls);

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_OVERVIEW_PAGE);

  G_OBJECT_CLASS (abstain_overview_page_parent_class)->dispose (object);
}

static void
abstain_overview_page_finalize (GObject *object)
{
  AbstainOverviewPage *self = ABSTAIN_OVERVIEW_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_overview_page_parent_class)->finalize (object);
}

static void
abstain_overview_page_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  AbstainOverviewPage *self = ABSTAIN_OVERVIEW_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_overview_page_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  AbstainOverviewPage *self = ABSTAIN_OVERVIEW_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      if (self->manager == NULL && g_value_get_object (value) != NULL)
        {
          set_manager (self, g_value_get_object (value));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_overview_page_class_init (AbstainOverviewPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = abstain_overview_page_dispose;
  object_class->finalize = abstain_overview_page_finalize;
  object_class->get_property = abstain_overview_page_get_property;
  object_class->set_property = abstain_overview_page_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-overview-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainOverviewPage, accounts_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainOverviewPage, opt_out_button);
  gtk_widget_class_bind_template_child (widget_class, AbstainOverviewPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, AbstainOverviewPage, progress_box);
  gtk_widget_class_bind_template_child (widget_class, AbstainOverviewPage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainOverviewPage, status_page);
  gtk_widget_class_bind_template_callback (widget_class, on_opt_out_clicked);
}

static void
abstain_overview_page_init (AbstainOverviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  self->account_rows = g_ptr_array_new ();
  self->opt_out_targets = g_ptr_array_new_with_free_func (g_object_unref);
}
