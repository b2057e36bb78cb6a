/* abstain-history-page.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-history-page"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-history-page.h"

#define MAX_ROWS 500

/* Confirmed changes, local and the server's, newest first; export to JSON. */
struct _AbstainHistoryPage
{
  AdwBin               parent_instance;

  AbstainManager      *manager;
  GListModel          *events;
  GPtrArray           *rows;
  GCancellable        *cancellable;
  GtkFileChooserNative *chooser;

  AdwPreferencesGroup *events_group;
  GtkSpinner          *spinner;
  GtkStack            *stack;
};

G_DEFINE_FINAL_TYPE (AbstainHistoryPage, abstain_history_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
describe_place (AbstainHistoryPage  *self,
                AbstainHistoryEvent *event)
{
  const char *kind = abstain_history_event_get_kind (event);
  AbstainAccount *account;
  AbstainControl *control = NULL;
  AbstainOrganization *org = NULL;

  if (g_strcmp0 (kind, "chat.training") == 0)
    return g_strdup (_("le Chat"));

  account = abstain_manager_find_account (self->manager, abstain_history_event_get_account_id (event));
  if (account != NULL)
    control = abstain_account_find_control (account, abstain_history_event_get_control_id (event));
  if (control != NULL && abstain_control_get_organization_id (control) != NULL)
    org = abstain_account_find_organization (account, abstain_control_get_organization_id (control));
  if (org != NULL)
    return g_strdup_printf (_("la Plateforme (%s)"), abstain_organization_get_name (org));
  if (control != NULL)
    return g_strdup (abstain_control_get_title (control));

  return g_strdup (abstain_history_event_get_control_id (event));
}

static GtkWidget *
create_row (AbstainHistoryPage  *self,
            AbstainHistoryEvent *event)
{
  g_autofree char *place = describe_place (self, event);
  g_autofree char *source = abstain_history_source_describe (abstain_history_event_get_source (event));
  g_autofree char *title = NULL;
  g_autofree char *when = NULL;
  g_autofree char *subtitle = NULL;
  GDateTime *at = abstain_history_event_get_at (event);
  GtkWidget *row = adw_action_row_new ();

  if (abstain_history_event_get_to (event))
    /* Translators: %s is a product, e.g. "le Chat" */
    title = g_strdup_printf (_("Training turned on for %s"), place);
  else
    /* Translators: %s is a product, e.g. "le Chat" */
    title = g_strdup_printf (_("Opted out of training for %s"), place);

  if (at != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (at);

      /* Translators: a date and time, see g_date_time_format() */
      when = g_date_time_format (local, _("%-d %B %Y, %H:%M"));
    }
  subtitle = g_strdup_printf ("%s · %s", when != NULL ? when : _("Unknown time"), source);
  if (g_list_model_get_n_items (abstain_manager_get_accounts (self->manager)) > 1)
    {
      AbstainAccount *account = abstain_manager_find_account (self->manager,
                                                              abstain_history_event_get_account_id (event));
      g_autofree char *with_account = NULL;

      if (account != NULL)
        with_account = g_strdup_printf ("%s · %s", abstain_account_get_email (account), subtitle);
      if (with_account != NULL)
        {
          g_free (subtitle);
          subtitle = g_steal_pointer (&with_account);
        }
    }

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row),
                                abstain_history_event_get_to (event) ? "security-low-symbolic"
                                                                     : "security-high-symbolic");
  return row;
}

static void
show_events (AbstainHistoryPage *self)
{
  guint n = self->events != NULL ? g_list_model_get_n_items (self->events) : 0;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->events_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  for (guint i = 0; i < MIN (n, MAX_ROWS); i++)
    {
      g_autoptr(AbstainHistoryEvent) event = g_list_model_get_item (self->events, i);
      GtkWidget *row = create_row (self, event);

      adw_preferences_group_add (self->events_group, row);
      g_ptr_array_add (self->rows, row);
    }

  gtk_spinner_set_spinning (self->spinner, FALSE);
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "events" : "empty");
}

static void
history_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AbstainHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) events = NULL;

  events = abstain_manager_history_finish (ABSTAIN_MANAGER (object), result, &error);
  if (gtk_widget_get_root (GTK_WIDGET (self)) == NULL)
    return;
  if (events == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", error->message);
    }
  else
    g_set_object (&self->events, events);

  show_events (self);
}

void
abstain_history_page_reload (AbstainHistoryPage *self)
{
  g_return_if_fail (ABSTAIN_IS_HISTORY_PAGE (self));

  if (self->manager == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->events == NULL)
    {
      gtk_spinner_set_spinning (self->spinner, TRUE);
      gtk_stack_set_visible_child_name (self->stack, "loading");
    }

  abstain_manager_history_async (self->manager, NULL, self->cancellable,
                                 history_cb, g_object_ref (self));
}

GListModel *
abstain_history_page_get_events (AbstainHistoryPage *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_PAGE (self), NULL);

  return self->events;
}

static void
replace_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
abstain_history_page_export_async (AbstainHistoryPage  *self,
                                   GFile               *file,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(GListStore) empty = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;
  char *text;

  g_return_if_fail (ABSTAIN_IS_HISTORY_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, abstain_history_page_export_async);

  empty = g_list_store_new (ABSTAIN_TYPE_HISTORY_EVENT);
  node = abstain_history_to_json (self->events != NULL ? self->events : G_LIST_MODEL (empty));
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, &length);
  bytes = g_bytes_new_take (text, length);

  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION,
                                       cancellable, replace_cb, g_steal_pointer (&task));
}

gboolean
abstain_history_page_export_finish (AbstainHistoryPage  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_PAGE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
export_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  AbstainHistoryPage *self = ABSTAIN_HISTORY_PAGE (object);
  g_autoptr(GError) error = NULL;

  if (abstain_history_page_export_finish (self, result, &error))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", _("History exported"));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", error->message);
}

static void
on_chooser_response (AbstainHistoryPage   *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    abstain_history_page_export_async (self, file, self->cancellable, export_cb, NULL);

  g_clear_object (&self->chooser);
}

static void
on_export_clicked (AbstainHistoryPage *self)
{
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));

  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (_("Export History"), window,
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), "abstain-history.json");
  g_signal_connect_object (self->chooser, "response",
                           G_CALLBACK (on_chooser_response), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
abstain_history_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (abstain_history_page_parent_class)->map (widget);

  abstain_history_page_reload (ABSTAIN_HISTORY_PAGE (widget));
}

static void
abstain_history_page_dispose (GObject *object)
{
  AbstainHistoryPage *self = ABSTAIN_HISTORY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_HISTORY_PAGE);

  G_OBJECT_CLASS (abstain_history_page_parent_class)->dispose (object);
}

static void
abstain_history_page_finalize (GObject *object)
{
  AbstainHistoryPage *self = ABSTAIN_HISTORY_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->events);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_history_page_parent_class)->finalize (object);
}

static void
abstain_history_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  AbstainHistoryPage *self = ABSTAIN_HISTORY_PAGE (object);

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
abstain_history_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  AbstainHistoryPage *self = ABSTAIN_HISTORY_PAGE (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      if (g_set_object (&self->manager, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_history_page_class_init (AbstainHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = abstain_history_page_dispose;
  object_class->finalize = abstain_history_page_finalize;
  object_class->get_property = abstain_history_page_get_property;
  object_class->set_property = abstain_history_page_set_property;

  widget_class->map = abstain_history_page_map;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainHistoryPage, events_group);
  gtk_widget_class_bind_template_child (widget_class, AbstainHistoryPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, AbstainHistoryPage, stack);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
}

static void
abstain_history_page_init (AbstainHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
}
