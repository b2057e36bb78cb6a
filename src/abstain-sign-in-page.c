/* abstain-sign-in-page.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-sign-in-page"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-error.h"
#include "abstain-sign-in-page.h"

/* The first-run page: sign in through the browser (device flow) or with a
 * pasted access token. Emits "signed-in" with the account once done. */
struct _AbstainSignInPage
{
  AdwBin             parent_instance;

  AbstainManager    *manager;
  AbstainDeviceFlow *flow;
  GCancellable      *cancellable;

  GtkButton         *browser_button;
  GtkLabel          *choose_error_label;
  GtkSpinner        *choose_spinner;
  GtkLabel          *code_label;
  AdwStatusPage     *device_error_status;
  AdwStatusPage     *device_status;
  AdwEntryRow       *server_row;
  GtkStack          *stack;
  GtkLabel          *token_error_label;
  AdwPasswordEntryRow *token_row;
  GtkButton         *token_sign_in_button;
  GtkSpinner        *token_spinner;
  GtkButton         *use_token_button;
};

G_DEFINE_FINAL_TYPE (AbstainSignInPage, abstain_sign_in_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

enum {
  SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* TRUE once the page left its window: nobody is there to see an answer. */
static gboolean
is_gone (AbstainSignInPage *self)
{
  return gtk_widget_get_root (GTK_WIDGET (self)) == NULL;
}

static void
set_busy (AbstainSignInPage *self,
          gboolean           busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->choose_spinner), busy);
  gtk_spinner_set_spinning (self->choose_spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->token_spinner), busy);
  gtk_spinner_set_spinning (self->token_spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->browser_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->use_token_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->token_sign_in_button),
                            !busy && *gtk_editable_get_text (GTK_EDITABLE (self->token_row)) != '\0');
}

static void
show_error (GtkLabel   *label,
            const char *message)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

static void
restart (AbstainSignInPage *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->flow);

  set_busy (self, FALSE);
  show_error (self->choose_error_label, NULL);
  show_error (self->token_error_label, NULL);
}

/* Returns the trimmed server address, or NULL after telling the user. */
static char *
get_server (AbstainSignInPage *self,
            GtkLabel          *error_label)
{
  g_autofree char *server = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->server_row))));

  if (*server == '\0')
    {
      show_error (error_label, _("Enter the address of the server first."));
      return NULL;
    }

  return g_steal_pointer (&server);
}

static void
signed_in (AbstainSignInPage *self,
           AbstainAccount    *account)
{
  g_signal_emit (self, signals[SIGNED_IN], 0, account);
  abstain_sign_in_page_reset (self, NULL);
}

static void
show_device_error (AbstainSignInPage *self,
                   const GError      *error)
{
  if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_DENIED))
    {
      adw_status_page_set_title (self->device_error_status, _("Sign-In Denied"));
      adw_status_page_set_description (self->device_error_status,
                                       _("The request was denied in the browser. Start over to try again."));
    }
  else if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_DEVICE_EXPIRED))
    {
      adw_status_page_set_title (self->device_error_status, _("Code Expired"));
      adw_status_page_set_description (self->device_error_status,
                                       _("The code was not entered in time. Start over to get a new one."));
    }
  else
    {
      adw_status_page_set_title (self->device_error_status, _("Could Not Sign In"));
      adw_status_page_set_description (self->device_error_status, error->message);
    }

  gtk_stack_set_visible_child_name (self->stack, "device-error");
}

static void
device_wait_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(AbstainSignInPage) self = user_data;
  g_autoptr(AbstainAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  account = abstain_manager_device_wait_finish (ABSTAIN_MANAGER (object), result, &error);
  if (is_gone (self))
    return;
  if (account != NULL)
    signed_in (self, account);
  else if (!is_cancelled (error))
    show_device_error (self, error);
}

static void
launch_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The address stays on the page for the user to open themselves. */
  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_debug ("Could not open the browser: %s", error->message);
}

static void
open_verification_page (AbstainSignInPage *self)
{
  g_autoptr(GdkAppLaunchContext) context = NULL;
  const char *uri;

  g_return_if_fail (self->flow != NULL);

  uri = abstain_device_flow_get_verification_uri_complete (self->flow);
  if (uri == NULL || *uri == '\0')
    uri = abstain_device_flow_get_verification_uri (self->flow);

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context),
                                           self->cancellable, launch_cb, NULL);
}

static void
show_code (AbstainSignInPage *self)
{
  g_autofree char *description = NULL;

  /* Translators: %s is a web address */
  description = g_strdup_printf (_("Your browser opens %s. Check that it shows this code, then approve."),
                                 abstain_device_flow_get_verification_uri (self->flow));
  adw_status_page_set_description (self->device_status, description);
  gtk_label_set_text (self->code_label, abstain_device_flow_get_user_code (self->flow));
  gtk_stack_set_visible_child_name (self->stack, "device");
}

static void
device_begin_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(AbstainSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;
  AbstainDeviceFlow *flow;

  flow = abstain_manager_device_begin_finish (ABSTAIN_MANAGER (object), result, &error);
  if (flow == NULL)
    {
      if (!is_cancelled (error) && !is_gone (self))
        {
          set_busy (self, FALSE);
          show_error (self->choose_error_label, error->message);
        }
      return;
    }

  if (is_gone (self) || g_cancellable_is_cancelled (self->cancellable))
    {
      g_object_unref (flow);
      return;
    }

  g_clear_object (&self->flow);
  self->flow = flow;
  set_busy (self, FALSE);
  show_code (self);
  open_verification_page (self);
  abstain_manager_device_wait_async (self->manager, flow, self->cancellable,
                                     device_wait_cb, g_object_ref (self));
}

static void
on_browser_clicked (AbstainSignInPage *self)
{
  g_autofree char *server = NULL;

  restart (self);
  server = get_server (self, self->choose_error_label);
  if (server == NULL)
    return;

  set_busy (self, TRUE);
  abstain_manager_device_begin_async (self->manager, server, self->cancellable,
                                      device_begin_cb, g_object_ref (self));
}

static void
on_use_token_clicked (AbstainSignInPage *self)
{
  restart (self);
  gtk_stack_set_visible_child_name (self->stack, "token");
  gtk_widget_grab_focus (GTK_WIDGET (self->token_row));
}

static void
on_token_changed (AbstainSignInPage *self)
{
  show_error (self->token_error_label, NULL);
  set_busy (self, gtk_widget_get_visible (GTK_WIDGET (self->token_spinner)));
}

static void
token_sign_in_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(AbstainSignInPage) self = user_data;
  g_autoptr(AbstainAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  account = abstain_manager_sign_in_token_finish (ABSTAIN_MANAGER (object), result, &error);
  if (is_cancelled (error) || is_gone (self))
    return;

  set_busy (self, FALSE);
  if (account != NULL)
    signed_in (self, account);
  else if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH))
    show_error (self->token_error_label,
                _("The server did not accept this token. Check that you copied all of it."));
  else
    show_error (self->token_error_label, error->message);
}

static void
on_token_sign_in_clicked (AbstainSignInPage *self)
{
  g_autofree char *server = NULL;
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));

  if (*token == '\0' || gtk_widget_get_visible (GTK_WIDGET (self->token_spinner)))
    return;

  show_error (self->token_error_label, NULL);
  server = get_server (self, self->token_error_label);
  if (server == NULL)
    return;

  set_busy (self, TRUE);
  abstain_manager_sign_in_token_async (self->manager, server, token, self->cancellable,
                                       token_sign_in_cb, g_object_ref (self));
}

static void
on_copy_clicked (AbstainSignInPage *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));

  gdk_clipboard_set_text (clipboard, gtk_label_get_text (self->code_label));
  gtk_widget_activate_action (GTK_WIDGET (self), "win.show-toast", "s", _("Code copied"));
}

static void
on_open_page_clicked (AbstainSignInPage *self)
{
  open_verification_page (self);
}

static void
on_start_over_clicked (AbstainSignInPage *self)
{
  abstain_sign_in_page_reset (self, NULL);
}

static void
abstain_sign_in_page_dispose (GObject *object)
{
  AbstainSignInPage *self = ABSTAIN_SIGN_IN_PAGE (object);

  g_cancellable_cancel (self->cancellable);

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ABSTAIN_TYPE_SIGN_IN_PAGE);

  G_OBJECT_CLASS (abstain_sign_in_page_parent_class)->dispose (object);
}

static void
abstain_sign_in_page_finalize (GObject *object)
{
  AbstainSignInPage *self = ABSTAIN_SIGN_IN_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->flow);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_sign_in_page_parent_class)->finalize (object);
}

static void
abstain_sign_in_page_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  AbstainSignInPage *self = ABSTAIN_SIGN_IN_PAGE (object);

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
abstain_sign_in_page_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  AbstainSignInPage *self = ABSTAIN_SIGN_IN_PAGE (object);

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
abstain_sign_in_page_class_init (AbstainSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = abstain_sign_in_page_dispose;
  object_class->finalize = abstain_sign_in_page_finalize;
  object_class->get_property = abstain_sign_in_page_get_property;
  object_class->set_property = abstain_sign_in_page_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL,
                         ABSTAIN_TYPE_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNED_IN] =
    g_signal_new ("signed-in",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, ABSTAIN_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/abstain/Abstain/abstain-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, browser_button);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, choose_error_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, choose_spinner);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, code_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, device_error_status);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, device_status);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, stack);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, token_error_label);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, token_row);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, token_sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, token_spinner);
  gtk_widget_class_bind_template_child (widget_class, AbstainSignInPage, use_token_button);
  gtk_widget_class_bind_template_callback (widget_class, on_browser_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_open_page_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_start_over_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_token_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_token_sign_in_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_use_token_clicked);
}

static void
abstain_sign_in_page_init (AbstainSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
}

/**
 * abstain_sign_in_page_reset:
 * @self: an #AbstainSignInPage
 * @server: (nullable): a server address to fill in, or %NULL to keep the one typed
 *
 * Stops any sign-in in progress and goes back to the first step.
 */
void
abstain_sign_in_page_reset (AbstainSignInPage *self,
                            const char        *server)
{
  g_return_if_fail (ABSTAIN_IS_SIGN_IN_PAGE (self));

  restart (self);
  if (server != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  gtk_stack_set_visible_child_name (self->stack, "choose");
}

void
abstain_sign_in_page_cancel (AbstainSignInPage *self)
{
  g_return_if_fail (ABSTAIN_IS_SIGN_IN_PAGE (self));

  abstain_sign_in_page_reset (self, NULL);
}
