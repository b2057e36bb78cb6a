/* abstain-window.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-window"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-account-page.h"
#include "abstain-error.h"
#include "abstain-history-page.h"
#include "abstain-overview-page.h"
#include "abstain-privacy-page.h"
#include "abstain-sign-in-page.h"
#include "abstain-window.h"

struct _AbstainWindow
{
  AdwApplicationWindow  parent_instance;

  AbstainManager       *manager;
  AbstainAccount       *account;
  GSettings            *settings;
  GCancellable         *cancellable;
  AbstainControl       *failed_control;

  /* Built on first show, owned by their bins */
  AbstainAccountPage   *account_page;
  AbstainHistoryPage   *history_page;
  AbstainSignInPage    *sign_in_page;

  AdwBin               *account_bin;
  GtkButton            *cancel_sign_in_button;
  AdwBin               *history_bin;
  GtkStack             *main_stack;
  GtkRevealer          *offline_banner;
  AbstainOverviewPage  *overview_page;
  AbstainPrivacyPage   *privacy_page;
  GtkRevealer          *sign_in_banner;
  AdwBin               *sign_in_bin;
  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *view_stack;

  guint                 present_timeout_id;

  guint                 loaded : 1;
  guint                 present_when_loaded : 1;
  guint                 signing_in : 1;
  guint                 failed_wanted : 1;
};

G_DEFINE_FINAL_TYPE (AbstainWindow, abstain_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_MANAGER,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* An answer that arrives after the window closed is dropped. */
static gboolean
is_closed (AbstainWindow *self)
{
  return g_cancellable_is_cancelled (self->cancellable);
}

void
abstain_window_add_toast (AbstainWindow *self,
                          const char    *message)
{
  g_return_if_fail (ABSTAIN_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static char *
account_key (AbstainAccount *account)
{
  return g_strdup_printf ("%s %s",
                          abstain_account_get_server (account),
                          abstain_account_get_id (account));
}

static AbstainAccount *
find_account (AbstainWindow *self,
              gboolean     (*match) (AbstainAccount *, gconstpointer),
              gconstpointer  data)
{
  GListModel *accounts = abstain_manager_get_accounts (self->manager);
  guint n = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainAccount) account = g_list_model_get_item (accounts, i);

      if (match (account, data))
        return account; /* the model keeps it alive */
    }

  return NULL;
}

static gboolean
match_pointer (AbstainAccount *account,
               gconstpointer   data)
{
  return account == data;
}

static gboolean
match_key (AbstainAccount *account,
           gconstpointer   data)
{
  g_autofree char *key = account_key (account);

  return g_strcmp0 (key, data) == 0;
}

static gboolean
match_id (AbstainAccount *account,
          gconstpointer   data)
{
  return g_strcmp0 (abstain_account_get_id (account), data) == 0;
}

static gboolean
match_state (AbstainAccount *account,
             gconstpointer   data)
{
  return abstain_account_get_state (account) == (AbstainAccountState) GPOINTER_TO_UINT (data);
}

static void on_signed_in (AbstainWindow     *self,
                          AbstainAccount    *account,
                          AbstainSignInPage *page);

/* The pages not shown at start-up are built when first needed: laying out
 * their text is most of what a start-up would otherwise spend. */
static AbstainSignInPage *
ensure_sign_in_page (AbstainWindow *self)
{
  if (self->sign_in_page == NULL)
    {
      self->sign_in_page = g_object_new (ABSTAIN_TYPE_SIGN_IN_PAGE,
                                         "manager", self->manager,
                                         NULL);
      g_signal_connect_object (self->sign_in_page, "signed-in",
                               G_CALLBACK (on_signed_in), self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->sign_in_bin, GTK_WIDGET (self->sign_in_page));
    }

  return self->sign_in_page;
}

static AbstainAccountPage *
ensure_account_page (AbstainWindow *self)
{
  if (self->account_page == NULL)
    {
      self->account_page = g_object_new (ABSTAIN_TYPE_ACCOUNT_PAGE,
                                         "manager", self->manager,
                                         NULL);
      g_object_bind_property (self, "account", self->account_page, "account", G_BINDING_SYNC_CREATE);
      adw_bin_set_child (self->account_bin, GTK_WIDGET (self->account_page));
    }

  return self->account_page;
}

static AbstainHistoryPage *
ensure_history_page (AbstainWindow *self)
{
  if (self->history_page == NULL)
    {
      self->history_page = g_object_new (ABSTAIN_TYPE_HISTORY_PAGE,
                                         "manager", self->manager,
                                         NULL);
      adw_bin_set_child (self->history_bin, GTK_WIDGET (self->history_page));
    }

  return self->history_page;
}

static void
on_view_stack_visible_child (AbstainWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (name, "account") == 0)
    ensure_account_page (self);
  else if (g_strcmp0 (name, "history") == 0)
    ensure_history_page (self);
}

static void
update_banners (AbstainWindow *self)
{
  gboolean offline = !abstain_manager_get_online (self->manager);
  gboolean expired;

  offline |= find_account (self, match_state, GUINT_TO_POINTER (ABSTAIN_ACCOUNT_STATE_OFFLINE)) != NULL;
  expired = find_account (self, match_state, GUINT_TO_POINTER (ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN)) != NULL;

  gtk_revealer_set_reveal_child (self->offline_banner, offline);
  gtk_revealer_set_reveal_child (self->sign_in_banner, expired && !offline);
}

static void
update_mode (AbstainWindow *self)
{
  guint n = g_list_model_get_n_items (abstain_manager_get_accounts (self->manager));
  const char *name = "main";

  if (!self->loaded)
    name = "loading";
  else if (n == 0 || self->signing_in)
    name = "sign-in";

  if (n == 0 && self->loaded &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "sign-in") != 0)
    abstain_sign_in_page_reset (ensure_sign_in_page (self), g_getenv ("ABSTAIN_DEMO_SERVER"));
  else if (g_str_equal (name, "sign-in"))
    ensure_sign_in_page (self);

  gtk_widget_set_visible (GTK_WIDGET (self->cancel_sign_in_button), n > 0);
  gtk_stack_set_visible_child_name (self->main_stack, name);
}

void
abstain_window_set_account (AbstainWindow  *self,
                            AbstainAccount *account)
{
  g_return_if_fail (ABSTAIN_IS_WINDOW (self));
  g_return_if_fail (account == NULL || ABSTAIN_IS_ACCOUNT (account));

  if (!g_set_object (&self->account, account))
    return;

  if (account != NULL)
    {
      g_autofree char *key = account_key (account);

      g_settings_set_string (self->settings, "selected-account", key);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT]);
}

static void
choose_account (AbstainWindow *self)
{
  GListModel *accounts = abstain_manager_get_accounts (self->manager);
  g_autofree char *saved = g_settings_get_string (self->settings, "selected-account");
  g_autoptr(AbstainAccount) first = g_list_model_get_item (accounts, 0);
  AbstainAccount *account;

  if (self->account != NULL && find_account (self, match_pointer, self->account) != NULL)
    return;

  account = find_account (self, match_key, saved);
  abstain_window_set_account (self, account != NULL ? account : first);
}

static void
on_accounts_changed (AbstainWindow *self,
                     guint          position,
                     guint          removed,
                     guint          added,
                     GListModel    *accounts)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(AbstainAccount) account = g_list_model_get_item (accounts, i);

      g_signal_handlers_disconnect_by_func (account, update_banners, self);
      g_signal_connect_object (account, "notify::state",
                               G_CALLBACK (update_banners), self, G_CONNECT_SWAPPED);
    }

  choose_account (self);
  update_banners (self);
  update_mode (self);
}

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AbstainWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Being offline is the banner's to say, not a toast's. */
  if (!abstain_manager_refresh_finish (ABSTAIN_MANAGER (object), result, &error) &&
      !is_cancelled (error) && !is_closed (self) &&
      !g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_OFFLINE))
    abstain_window_add_toast (self, error->message);

  /* The history is fetched when its page is shown, not behind its back. */
  if (!is_closed (self) && self->history_page != NULL &&
      gtk_widget_get_mapped (GTK_WIDGET (self->history_page)))
    abstain_history_page_reload (self->history_page);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  AbstainWindow *self = ABSTAIN_WINDOW (widget);

  if (g_list_model_get_n_items (abstain_manager_get_accounts (self->manager)) == 0)
    return;

  abstain_manager_refresh_async (self->manager, NULL, self->cancellable,
                                 refresh_cb, g_object_ref (self));
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(AbstainWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!abstain_manager_load_finish (ABSTAIN_MANAGER (object), result, &error))
    {
      if (is_cancelled (error) || is_closed (self))
        return;
      abstain_window_add_toast (self, error->message);
    }
  if (is_closed (self))
    return;

  self->loaded = TRUE;
  on_accounts_changed (self, 0, 0, 0, abstain_manager_get_accounts (self->manager));
  if (self->present_when_loaded)
    {
      self->present_when_loaded = FALSE;
      g_clear_handle_id (&self->present_timeout_id, g_source_remove);
      gtk_window_present (GTK_WINDOW (self));
    }
  gtk_widget_activate_action (GTK_WIDGET (self), "win.refresh", NULL);
}

static void
show_toast_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  abstain_window_add_toast (ABSTAIN_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
start_sign_in (AbstainWindow *self,
               const char    *server)
{
  self->signing_in = TRUE;
  abstain_sign_in_page_reset (ensure_sign_in_page (self), server);
  update_mode (self);
}

static void
add_account_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  start_sign_in (ABSTAIN_WINDOW (widget), g_getenv ("ABSTAIN_DEMO_SERVER"));
}

static void
sign_in_again_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  AbstainWindow *self = ABSTAIN_WINDOW (widget);
  AbstainAccount *account;

  account = find_account (self, match_state, GUINT_TO_POINTER (ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN));
  start_sign_in (self, account != NULL ? abstain_account_get_server (account) : NULL);
}

static void
cancel_sign_in_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  AbstainWindow *self = ABSTAIN_WINDOW (widget);

  self->signing_in = FALSE;
  if (self->sign_in_page != NULL)
    abstain_sign_in_page_cancel (self->sign_in_page);
  update_mode (self);
}

static void
select_account_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  AbstainWindow *self = ABSTAIN_WINDOW (widget);
  AbstainAccount *account;

  account = find_account (self, match_id, g_variant_get_string (parameter, NULL));
  if (account != NULL)
    abstain_window_set_account (self, account);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  abstain_window_show_page (ABSTAIN_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
retry_sync_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(AbstainWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!abstain_manager_sync_finish (ABSTAIN_MANAGER (object), result, &error) &&
      !is_cancelled (error) && !is_closed (self))
    abstain_window_add_toast (self, error->message);
}

static void
retry_change_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  AbstainWindow *self = ABSTAIN_WINDOW (widget);
  g_autoptr(AbstainControl) control = g_steal_pointer (&self->failed_control);
  g_autoptr(GError) error = NULL;

  if (control == NULL)
    return;

  if (!abstain_control_get_pending (control) &&
      !abstain_manager_request (self->manager, control, self->failed_wanted, &error))
    {
      abstain_window_add_toast (self, error->message);
      return;
    }

  abstain_manager_sync_async (self->manager,
                              ABSTAIN_ACCOUNT (abstain_control_get_account (control)),
                              self->cancellable, retry_sync_cb, g_object_ref (self));
}

static void
on_change_failed (AbstainWindow  *self,
                  AbstainControl *control,
                  const GError   *error,
                  AbstainManager *manager)
{
  g_autofree char *title = NULL;
  AdwToast *toast;

  /* Translators: the first %s is a setting, the second why it failed */
  title = g_strdup_printf (_("Could not change “%s”: %s"),
                           abstain_control_get_title (control), error->message);
  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 10);

  if (!g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_LOCKED) &&
      !g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_NOT_FOUND))
    {
      g_set_object (&self->failed_control, control);
      self->failed_wanted = abstain_control_get_pending (control)
                          ? abstain_control_get_requested (control)
                          : !abstain_control_get_enabled (control);
      adw_toast_set_button_label (toast, _("_Retry"));
      adw_toast_set_action_name (toast, "win.retry-change");
    }

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
on_store_error (AbstainWindow  *self,
                const GError   *error,
                AbstainManager *manager)
{
  abstain_window_add_toast (self, error->message);
}

static void
on_signed_in (AbstainWindow     *self,
              AbstainAccount    *account,
              AbstainSignInPage *page)
{
  g_autofree char *message = NULL;

  self->signing_in = FALSE;
  abstain_window_set_account (self, account);
  update_mode (self);
  adw_view_stack_set_visible_child_name (self->view_stack, "overview");

  /* Translators: %s is an email address */
  message = g_strdup_printf (_("Signed in as %s"), abstain_account_get_email (account));
  abstain_window_add_toast (self, message);
}

static void
restore_size (AbstainWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), MAX (width, 360), MAX (height, 294));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
abstain_window_close_request (GtkWindow *window)
{
  AbstainWindow *self = ABSTAIN_WINDOW (window);
  int width, height;

  g_cancellable_cancel (self->cancellable);

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (abstain_window_parent_class)->close_request (window);
}

static void
abstain_window_constructed (GObject *object)
{
  AbstainWindow *self = ABSTAIN_WINDOW (object);
  GListModel *accounts;

  G_OBJECT_CLASS (abstain_window_parent_class)->constructed (object);

  g_assert (ABSTAIN_IS_MANAGER (self->manager));
  accounts = abstain_manager_get_accounts (self->manager);

  g_signal_connect_object (accounts, "items-changed",
                           G_CALLBACK (on_accounts_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "notify::online",
                           G_CALLBACK (update_banners), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "change-failed",
                           G_CALLBACK (on_change_failed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "store-error",
                           G_CALLBACK (on_store_error), self, G_CONNECT_SWAPPED);

  g_object_set (self->overview_page, "manager", self->manager, NULL);
  g_object_set (self->privacy_page, "manager", self->manager, NULL);
  g_object_bind_property (self, "account", self->privacy_page, "account", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (on_view_stack_visible_child), self, G_CONNECT_SWAPPED);

  update_mode (self);
  abstain_manager_load_async (self->manager, self->cancellable, load_cb, g_object_ref (self));
}

static void
abstain_window_dispose (GObject *object)
{
  AbstainWindow *self = ABSTAIN_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->present_timeout_id, g_source_remove);

  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), NULL);
  self->account_page = NULL;
  self->history_page = NULL;
  self->sign_in_page = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_WINDOW);

  g_clear_object (&self->failed_control);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (abstain_window_parent_class)->dispose (object);
}

static void
abstain_window_finalize (GObject *object)
{
  AbstainWindow *self = ABSTAIN_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_window_parent_class)->finalize (object);
}

static void
abstain_window_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  AbstainWindow *self = ABSTAIN_WINDOW (object);

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
abstain_window_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  AbstainWindow *self = ABSTAIN_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;
    case PROP_ACCOUNT:
      abstain_window_set_account (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
abstain_window_class_init (AbstainWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = abstain_window_constructed;
  object_class->dispose = abstain_window_dispose;
  object_class->finalize = abstain_window_finalize;
  object_class->get_property = abstain_window_get_property;
  object_class->set_property = abstain_window_set_property;

  window_class->close_request = abstain_window_close_request;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         ABSTAIN_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, account_bin);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, cancel_sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, history_bin);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, offline_banner);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, overview_page);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, privacy_page);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, sign_in_banner);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, sign_in_bin);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, AbstainWindow, view_stack);

  gtk_widget_class_install_action (widget_class, "win.add-account", NULL, add_account_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-sign-in", NULL, cancel_sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.retry-change", NULL, retry_change_action);
  gtk_widget_class_install_action (widget_class, "win.select-account", "s", select_account_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-toast", "s", show_toast_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in-again", NULL, sign_in_again_action);

  g_type_ensure (ABSTAIN_TYPE_OVERVIEW_PAGE);
  g_type_ensure (ABSTAIN_TYPE_PRIVACY_PAGE);
}

static void
abstain_window_init (AbstainWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APPLICATION_ID);

  if (g_strcmp0 (PROFILE, "development") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  restore_size (self);
}

AbstainWindow *
abstain_window_new (AbstainApplication *application,
                    AbstainManager     *manager)
{
  g_return_val_if_fail (application == NULL || ABSTAIN_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (ABSTAIN_IS_MANAGER (manager), NULL);

  return g_object_new (ABSTAIN_TYPE_WINDOW,
                       "application", application,
                       "manager", manager,
                       NULL);
}

AbstainManager *
abstain_window_get_manager (AbstainWindow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_WINDOW (self), NULL);

  return self->manager;
}

AbstainAccount *
abstain_window_get_account (AbstainWindow *self)
{
  g_return_val_if_fail (ABSTAIN_IS_WINDOW (self), NULL);

  return self->account;
}

/**
 * abstain_window_show_page:
 * @self: an #AbstainWindow
 * @name: "overview", "privacy", "account", "data-controls" or "history"
 *
 * Shows one page of the main view.
 */
void
abstain_window_show_page (AbstainWindow *self,
                          const char    *name)
{
  g_return_if_fail (ABSTAIN_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  if (g_str_equal (name, "data-controls"))
    {
      adw_view_stack_set_visible_child_name (self->view_stack, "account");
      abstain_account_page_show_data_controls (ensure_account_page (self), TRUE);
      return;
    }

  if (g_str_equal (name, "account"))
    abstain_account_page_show_data_controls (ensure_account_page (self), FALSE);
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static gboolean
present_timeout_cb (gpointer user_data)
{
  AbstainWindow *self = user_data;

  self->present_timeout_id = 0;
  self->present_when_loaded = FALSE;
  gtk_window_present (GTK_WINDOW (self));

  return G_SOURCE_REMOVE;
}

/**
 * abstain_window_present_when_loaded:
 * @self: an #AbstainWindow
 *
 * Presents the window once the cached state is loaded, so that its first
 * frame shows the accounts rather than a loading page; after a short
 * delay it is presented anyway, so that a slow disk cannot keep it hidden.
 */
void
abstain_window_present_when_loaded (AbstainWindow *self)
{
  g_return_if_fail (ABSTAIN_IS_WINDOW (self));

  if (self->loaded || gtk_widget_get_visible (GTK_WIDGET (self)))
    {
      gtk_window_present (GTK_WINDOW (self));
      return;
    }

  self->present_when_loaded = TRUE;
  if (self->present_timeout_id == 0)
    self->present_timeout_id = g_timeout_add (300, present_timeout_cb, self);
}
