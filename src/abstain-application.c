/* abstain-application.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-application"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-application.h"
#include "abstain-window.h"

struct _AbstainApplication
{
  AdwApplication  parent_instance;

  AbstainManager *manager;
};

G_DEFINE_FINAL_TYPE (AbstainApplication, abstain_application, ADW_TYPE_APPLICATION)

static void
abstain_application_activate (GApplication *app)
{
  AbstainApplication *self = ABSTAIN_APPLICATION (app);
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    {
      window = GTK_WINDOW (abstain_window_new (self, abstain_application_get_manager (self)));
      abstain_window_present_when_loaded (ABSTAIN_WINDOW (window));
      return;
    }

  gtk_window_present (window);
}

static void
abstain_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *refresh_accels[] = { "<Control>r", "F5", NULL };

  G_APPLICATION_CLASS (abstain_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (APPLICATION_ID);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.refresh", refresh_accels);
}

static void
abstain_application_dispose (GObject *object)
{
  AbstainApplication *self = ABSTAIN_APPLICATION (object);

  g_clear_object (&self->manager);

  G_OBJECT_CLASS (abstain_application_parent_class)->dispose (object);
}

static void
abstain_application_class_init (AbstainApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = abstain_application_dispose;

  app_class->activate = abstain_application_activate;
  app_class->startup = abstain_application_startup;
}

static void
abstain_application_about_action (GSimpleAction *action,
                                  GVariant      *parameter,
                                  gpointer       user_data)
{
  static const char *developers[] = { "The Abstain authors", NULL };
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "destroy-with-parent", TRUE,
                        "application-name", _("Abstain"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Abstain authors"),
                        "version", PACKAGE_VERSION,
                        "website", PACKAGE_WEBSITE,
                        "issue-url", PACKAGE_ISSUES,
                        "comments", _("See and change whether AI assistants may train on your data"),
                        "copyright", _("© 2026 The Abstain authors"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
abstain_application_quit_action (GSimpleAction *action,
                                 GVariant      *parameter,
                                 gpointer       user_data)
{
  GApplication *app = G_APPLICATION (user_data);
  g_autoptr(GList) windows = NULL;

  /* Close the windows first so each saves its size and cancels its work. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));

  g_application_quit (app);
}

static const GActionEntry app_actions[] = {
  { "about", abstain_application_about_action, NULL, NULL, NULL, { 0 } },
  { "quit", abstain_application_quit_action, NULL, NULL, NULL, { 0 } },
};

static void
abstain_application_init (AbstainApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);
}

AbstainApplication *
abstain_application_new (const char        *application_id,
                         GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (ABSTAIN_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       /* The Devel id differs; the resources do not. */
                       "resource-base-path", APPLICATION_PATH,
                       NULL);
}

/**
 * abstain_application_get_manager:
 * @self: an #AbstainApplication
 *
 * Returns: (transfer none): the manager shared by every window, created on
 * first use in the default state directory.
 */
AbstainManager *
abstain_application_get_manager (AbstainApplication *self)
{
  g_return_val_if_fail (ABSTAIN_IS_APPLICATION (self), NULL);

  if (self->manager == NULL)
    self->manager = abstain_manager_new (NULL);

  return self->manager;
}
