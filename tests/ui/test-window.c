/* test-window.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real window on the real service and the real keyring: each switch
 * state of the issue, driven as a person would.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "abstain-account-page.h"
#include "abstain-application.h"
#include "abstain-control-row.h"
#include "abstain-history-page.h"
#include "abstain-privacy-page.h"
#include "abstain-window.h"
#include "ui-test-util.h"

typedef struct
{
  AbstainTestService *svc;
  char               *dir;
  AbstainManager     *manager;
  GtkWidget          *window;
  AbstainAccount     *account;
} Fixture;

static const char *
visible_child (GtkWidget  *window,
               const char *stack_name)
{
  GtkWidget *stack = ui_find_by_name (window, stack_name);

  g_assert_nonnull (stack);
  if (ADW_IS_VIEW_STACK (stack))
    return adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack));

  return gtk_stack_get_visible_child_name (GTK_STACK (stack));
}

static void
open_window (Fixture *fixture)
{
  fixture->manager = abstain_manager_new (fixture->dir);
  fixture->window = GTK_WIDGET (abstain_window_new (NULL, fixture->manager));
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 760, 680);
  gtk_window_present (GTK_WINDOW (fixture->window));
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "loading") != 0);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->svc = abstain_test_service_new (NULL);
  fixture->dir = g_dir_make_tmp ("abstain-ui-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
  open_window (fixture);
}

static void
fixture_sign_in (Fixture    *fixture,
                 const char *plan)
{
  g_clear_object (&fixture->account);
  fixture->account = ui_sign_in (fixture->manager, fixture->svc, plan);
  abstain_window_set_account (ABSTAIN_WINDOW (fixture->window), fixture->account);
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "main") == 0);
}

/* Closes the window and drops the manager; each must be finalized, and
 * with them every account. */
static void
close_window (Fixture *fixture)
{
  gpointer account = fixture->account;

  if (account != NULL)
    g_object_add_weak_pointer (account, &account);
  ui_destroy_window (&fixture->window);
  g_clear_object (&fixture->account);
  ui_clear_finalized (&fixture->manager);
  UI_WAIT_FOR (account == NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  close_window (fixture);
  g_clear_pointer (&fixture->svc, abstain_test_service_free);
  ui_rm_rf (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
}

static void
clear_faults (Fixture *fixture)
{
  g_assert_cmpuint (abstain_test_service_request (fixture->svc, "DELETE", "/_test/faults",
                                                  NULL, NULL, NULL), ==, 200);
}

static void
add_patch_fault (Fixture    *fixture,
                 const char *fault)
{
  g_autofree char *json = g_strdup_printf ("{\"method\":\"PATCH\",\"path\":\"/v1/controls/*\",%s}", fault);

  abstain_test_service_add_fault (fixture->svc, json);
}

typedef struct {
  GtkWidget      *row;
  GtkSwitch      *sw;
  AbstainControl *control;
} Row;

static Row
privacy_row (Fixture    *fixture,
             const char *kind,
             const char *org)
{
  GtkWidget *page;
  Row row;

  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "privacy");
  page = ui_find_by_type (fixture->window, ABSTAIN_TYPE_PRIVACY_PAGE);
  UI_WAIT_FOR ((row.row = ui_find_control_row (page, kind, org)) != NULL);
  row.sw = abstain_control_row_get_switch (ABSTAIN_CONTROL_ROW (row.row));
  row.control = abstain_control_row_get_control (ABSTAIN_CONTROL_ROW (row.row));

  return row;
}

static const char *
row_subtitle (Row *row)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row->row));
}

static gboolean
row_widget_visible (Row        *row,
                    const char *name)
{
  return gtk_widget_get_visible (ui_find_by_name (row->row, name));
}

static gboolean
row_is_pending (Row     *row,
                gboolean target)
{
  return gtk_switch_get_active (row->sw) == target &&
         gtk_switch_get_state (row->sw) != target &&
         row_widget_visible (row, "spinner") &&
         row_widget_visible (row, "withdraw-button");
}

static gboolean
row_is_confirmed (Row     *row,
                  gboolean target)
{
  return gtk_switch_get_active (row->sw) == target &&
         gtk_switch_get_state (row->sw) == target &&
         !row_widget_visible (row, "spinner") &&
         !abstain_control_get_pending (row->control);
}

static gboolean
banner_revealed (Fixture    *fixture,
                 const char *name)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (ui_find_by_name (fixture->window, name)));
}

static void
refresh (Fixture *fixture)
{
  gtk_widget_activate_action (fixture->window, "win.refresh", NULL);
}

/* Flips @row through the window and checks pending, then confirmed on the server. */
static void
flip_and_confirm (Fixture    *fixture,
                  Row        *row,
                  const char *server_id)
{
  gboolean target = !gtk_switch_get_state (row->sw);

  add_patch_fault (fixture, "\"count\":1,\"fault\":\"delay\",\"delay_ms\":800");
  gtk_switch_set_active (row->sw, target);

  g_assert_true (row_is_pending (row, target));
  g_assert_cmpstr (row_subtitle (row), ==, "Waiting for the server");

  UI_WAIT_FOR (row_is_confirmed (row, target));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", server_id), ==, target);
}

static GtkWindow *
find_about_window (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (const GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_ABOUT_WINDOW (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

static void
test_app_presents (void)
{
  g_autofree char *dir = g_dir_make_tmp ("abstain-ui-XXXXXX", NULL);
  g_autoptr(AbstainApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) accels = NULL;
  GtkWindow *window;

  g_setenv ("ABSTAIN_STATE_DIR", dir, TRUE);
  app = abstain_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (ABSTAIN_IS_WINDOW (window));
  UI_WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)));
  UI_WAIT_FOR (g_strcmp0 (visible_child (GTK_WIDGET (window), "main-stack"), "sign-in") == 0);

  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "quit"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.refresh");
  g_assert_cmpstr (accels[0], ==, "<Control>r");
  g_strfreev (accels);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
  g_assert_cmpstr (accels[0], ==, "<Control>q");
  g_strfreev (accels);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "window.close");
  g_assert_cmpstr (accels[0], ==, "<Control>w");
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  UI_WAIT_FOR (find_about_window () != NULL);
  g_assert_true (gtk_window_get_transient_for (find_about_window ()) == window);

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  UI_WAIT_FOR (gtk_application_get_windows (GTK_APPLICATION (app)) == NULL);
  UI_WAIT_FOR (find_about_window () == NULL);
  g_unsetenv ("ABSTAIN_STATE_DIR");
  ui_rm_rf (dir);
}

static void
test_switch_pending_then_confirmed (Fixture       *fixture,
                                    gconstpointer  data)
{
  Row chat;
  GListModel *controls;
  guint n;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  flip_and_confirm (fixture, &chat, "chat.training");

  /* Every editable la Plateforme row, one per organization. */
  controls = abstain_account_get_controls (fixture->account);
  n = g_list_model_get_n_items (controls);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);
      Row row;

      if (g_strcmp0 (abstain_control_get_kind (control), "api.anonymous_improvement") != 0 ||
          !abstain_control_get_editable (control))
        continue;

      row = privacy_row (fixture, "api.anonymous_improvement", abstain_control_get_organization_id (control));
      flip_and_confirm (fixture, &row, abstain_control_get_id (control));
    }
}

static void
test_switches_follow (Fixture       *fixture,
                      gconstpointer  data)
{
  Row chat, sharing;
  GtkWidget *account_page;
  gboolean target;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);

  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "data-controls");
  account_page = ui_find_by_type (fixture->window, ABSTAIN_TYPE_ACCOUNT_PAGE);
  UI_WAIT_FOR ((sharing.row = ui_find_control_row (account_page, "chat.training", NULL)) != NULL);
  sharing.sw = abstain_control_row_get_switch (ABSTAIN_CONTROL_ROW (sharing.row));
  sharing.control = abstain_control_row_get_control (ABSTAIN_CONTROL_ROW (sharing.row));
  g_assert_true (sharing.control == chat.control);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (sharing.row)), ==, "Enable data sharing");

  /* Flip the Preferences switch: the Data & Account Controls one follows. */
  target = !gtk_switch_get_state (chat.sw);
  gtk_switch_set_active (chat.sw, target);
  g_assert_true (gtk_switch_get_active (sharing.sw) == target);
  UI_WAIT_FOR (row_is_confirmed (&sharing, target) && row_is_confirmed (&chat, target));

  /* And the other way round. */
  gtk_switch_set_active (sharing.sw, !target);
  g_assert_true (gtk_switch_get_active (chat.sw) == !target);
  UI_WAIT_FOR (row_is_confirmed (&chat, !target) && row_is_confirmed (&sharing, !target));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"), ==, !target);
}

static void
test_server_error_then_retry (Fixture       *fixture,
                              gconstpointer  data)
{
  Row chat;
  gboolean target;
  const GError *error;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  target = !gtk_switch_get_state (chat.sw);

  add_patch_fault (fixture, "\"count\":1000,\"fault\":\"status\",\"status\":500");
  gtk_switch_set_active (chat.sw, target);
  UI_WAIT_FOR (abstain_control_get_last_error (chat.control) != NULL);

  error = abstain_control_get_last_error (chat.control);
  g_assert_true (row_is_pending (&chat, target));
  g_assert_nonnull (strstr (row_subtitle (&chat), error->message));
  g_assert_true (row_widget_visible (&chat, "retry-button"));
  g_assert_false (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training") == target);

  clear_faults (fixture);
  g_signal_emit_by_name (ui_find_by_name (chat.row, "retry-button"), "clicked");
  UI_WAIT_FOR (row_is_confirmed (&chat, target));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"), ==, target);
  g_assert_false (row_widget_visible (&chat, "retry-button"));
}

static void
test_withdraw (Fixture       *fixture,
               gconstpointer  data)
{
  Row chat;
  gboolean before;
  guint fetched;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  before = gtk_switch_get_state (chat.sw);

  add_patch_fault (fixture, "\"count\":1000,\"fault\":\"status\",\"status\":503");
  gtk_switch_set_active (chat.sw, !before);
  UI_WAIT_FOR (abstain_control_get_last_error (chat.control) != NULL);
  g_assert_true (row_is_pending (&chat, !before));

  g_signal_emit_by_name (ui_find_by_name (chat.row, "withdraw-button"), "clicked");
  UI_WAIT_FOR (row_is_confirmed (&chat, before));

  /* Once the server answered a refresh, nothing of the withdrawn change is left. */
  clear_faults (fixture);
  fetched = abstain_test_service_count_requests (fixture->svc, "GET", "/v1/controls");
  refresh (fixture);
  UI_WAIT_FOR (abstain_test_service_count_requests (fixture->svc, "GET", "/v1/controls") > fetched &&
               !abstain_account_get_busy (fixture->account));
  g_assert_true (row_is_confirmed (&chat, before));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"), ==, before);
}

static void
check_locked (Fixture    *fixture,
              const char *plan,
              const char *reason)
{
  g_autoptr(AbstainAccount) account = ui_sign_in (fixture->manager, fixture->svc, plan);
  Row chat;

  abstain_window_set_account (ABSTAIN_WINDOW (fixture->window), account);
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "main") == 0);
  chat = privacy_row (fixture, "chat.training", NULL);
  UI_WAIT_FOR (abstain_control_get_account (chat.control) == account);

  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (chat.sw)));
  g_assert_true (row_widget_visible (&chat, "lock-icon"));
  g_assert_cmpstr (row_subtitle (&chat), ==, reason);
}

static void
test_locked_rows (Fixture       *fixture,
                  gconstpointer  data)
{
  GListModel *controls;
  guint n, locked_orgs = 0;

  check_locked (fixture, "team", "Opted out by default on Team plans");
  check_locked (fixture, "enterprise", "Opted out by default on Enterprise plans");

  /* The free user is only a member of one organization. */
  fixture_sign_in (fixture, "free");
  controls = abstain_account_get_controls (fixture->account);
  n = g_list_model_get_n_items (controls);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);
      Row row;

      if (abstain_control_get_editable (control))
        continue;
      row = privacy_row (fixture, abstain_control_get_kind (control),
                         abstain_control_get_organization_id (control));
      g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (row.sw)));
      g_assert_cmpstr (row_subtitle (&row), ==, "Only organization admins can change this");
      locked_orgs++;
    }
  g_assert_cmpuint (locked_orgs, ==, 1);

  /* Three accounts: the Privacy page says whose settings it shows, and
   * leads to the Account page to choose another. */
  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "privacy");
  g_assert_true (gtk_widget_get_visible (ui_find_by_name (fixture->window, "account-row")));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (ui_find_by_name (fixture->window, "account-row"))),
                   ==, abstain_test_service_get_email (fixture->svc, "free"));
  ui_screenshot (fixture->window, "privacy-several-accounts");
  gtk_widget_activate (ui_find_by_name (fixture->window, "account-row"));
  g_assert_cmpstr (visible_child (fixture->window, "view-stack"), ==, "account");
}

static void
test_sign_in_again (Fixture       *fixture,
                    gconstpointer  data)
{
  Row chat;
  gboolean target;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  target = !gtk_switch_get_state (chat.sw);

  abstain_test_service_expire_tokens (fixture->svc, "free");
  gtk_switch_set_active (chat.sw, target);
  UI_WAIT_FOR (banner_revealed (fixture, "sign-in-banner"));
  g_assert_true (row_is_pending (&chat, target));
  g_assert_cmpstr (row_subtitle (&chat), ==, "Will apply when you sign in again");
  ui_screenshot (fixture->window, "sign-in-again");

  /* The banner's button opens the sign-in page; a fresh token sends the change. */
  gtk_widget_activate_action (fixture->window, "win.sign-in-again", NULL);
  g_assert_cmpstr (visible_child (fixture->window, "main-stack"), ==, "sign-in");
  abstain_test_service_restart (fixture->svc);
  g_object_unref (ui_sign_in (fixture->manager, fixture->svc, "free"));
  gtk_widget_activate_action (fixture->window, "win.cancel-sign-in", NULL);
  UI_WAIT_FOR (row_is_confirmed (&chat, target));
  UI_WAIT_FOR (!banner_revealed (fixture, "sign-in-banner"));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"), ==, target);
}

static void
test_offline (Fixture       *fixture,
              gconstpointer  data)
{
  Row chat;
  gboolean target;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  target = !gtk_switch_get_state (chat.sw);

  abstain_test_service_stop (fixture->svc);
  refresh (fixture);
  UI_WAIT_FOR (banner_revealed (fixture, "offline-banner"));

  gtk_switch_set_active (chat.sw, target);
  UI_WAIT_FOR (g_strcmp0 (row_subtitle (&chat), "Will apply when you are back online") == 0);
  g_assert_true (row_is_pending (&chat, target));
  ui_screenshot (fixture->window, "offline");

  abstain_test_service_restart (fixture->svc);
  refresh (fixture);
  UI_WAIT_FOR (row_is_confirmed (&chat, target));
  UI_WAIT_FOR (!banner_revealed (fixture, "offline-banner"));
  g_assert_cmpint (abstain_test_service_control_enabled (fixture->svc, "free", "chat.training"), ==, target);
}

static void
start_device_flow (Fixture *fixture)
{
  GtkWidget *server_row;

  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "sign-in") == 0);
  server_row = ui_find_by_name (fixture->window, "server-row");
  gtk_editable_set_text (GTK_EDITABLE (server_row), abstain_test_service_get_url (fixture->svc));
  g_signal_emit_by_name (ui_find_by_name (fixture->window, "browser-button"), "clicked");
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "sign-in-stack"), "device") == 0);
}

static void
test_device_flow_approved (Fixture       *fixture,
                           gconstpointer  data)
{
  GtkWidget *code;

  start_device_flow (fixture);
  code = ui_find_by_name (fixture->window, "code-label");
  g_assert_cmpuint (strlen (gtk_label_get_text (GTK_LABEL (code))), >, 0);
  ui_screenshot (fixture->window, "device-code");

  abstain_test_service_device_approve (fixture->svc, gtk_label_get_text (GTK_LABEL (code)), "free", TRUE);
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "main") == 0);
  g_assert_cmpuint (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)), ==, 1);
  g_assert_cmpstr (abstain_account_get_email (abstain_window_get_account (ABSTAIN_WINDOW (fixture->window))),
                   ==, abstain_test_service_get_email (fixture->svc, "free"));
}

static void
test_device_flow_denied (Fixture       *fixture,
                         gconstpointer  data)
{
  GtkWidget *code, *status;

  start_device_flow (fixture);
  code = ui_find_by_name (fixture->window, "code-label");
  abstain_test_service_device_approve (fixture->svc, gtk_label_get_text (GTK_LABEL (code)), "free", FALSE);
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "sign-in-stack"), "device-error") == 0);

  status = ui_find_by_name (fixture->window, "device-error-status");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "Sign-In Denied");
  g_assert_cmpuint (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)), ==, 0);

  /* Start over goes back to the first step. */
  g_signal_emit_by_name (ui_find_by_type (status, GTK_TYPE_BUTTON), "clicked");
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "sign-in-stack"), "choose") == 0);
}

static void
test_token_sign_in (Fixture       *fixture,
                    gconstpointer  data)
{
  GtkWidget *token_row, *button, *error_label;

  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "sign-in") == 0);
  gtk_editable_set_text (GTK_EDITABLE (ui_find_by_name (fixture->window, "server-row")),
                         abstain_test_service_get_url (fixture->svc));
  g_signal_emit_by_name (ui_find_by_name (fixture->window, "use-token-button"), "clicked");
  g_assert_cmpstr (visible_child (fixture->window, "sign-in-stack"), ==, "token");

  token_row = ui_find_by_name (fixture->window, "token-row");
  button = ui_find_by_name (fixture->window, "token-sign-in-button");
  g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (token_row));
  g_assert_false (gtk_widget_get_sensitive (button));

  /* A token the server does not know: a clear message, still on the page. */
  gtk_editable_set_text (GTK_EDITABLE (token_row), "aba_0000000000000000000000000000000000000000");
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  error_label = ui_find_by_name (fixture->window, "token-error-label");
  UI_WAIT_FOR (gtk_widget_get_visible (error_label));
  g_assert_cmpuint (strlen (gtk_label_get_text (GTK_LABEL (error_label))), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)), ==, 0);
  ui_screenshot (fixture->window, "sign-in-token-error");

  gtk_editable_set_text (GTK_EDITABLE (token_row), abstain_test_service_get_token (fixture->svc, "pro"));
  g_assert_false (gtk_widget_get_visible (error_label));
  g_signal_emit_by_name (button, "clicked");
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "main") == 0);
  UI_WAIT_FOR (abstain_window_get_account (ABSTAIN_WINDOW (fixture->window)) != NULL);
  g_assert_cmpstr (abstain_account_get_email (abstain_window_get_account (ABSTAIN_WINDOW (fixture->window))),
                   ==, abstain_test_service_get_email (fixture->svc, "pro"));
  /* The token field does not keep the secret around. */
  UI_WAIT_FOR (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (token_row)), "") == 0);
}

static const char *
verdict (Fixture *fixture)
{
  return adw_status_page_get_title (ADW_STATUS_PAGE (ui_find_by_name (fixture->window, "status-page")));
}

static const char *
verdict_description (Fixture *fixture)
{
  return adw_status_page_get_description (ADW_STATUS_PAGE (ui_find_by_name (fixture->window, "status-page")));
}

static gboolean
all_editable_enabled (GListModel *controls)
{
  guint n = g_list_model_get_n_items (controls);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);

      if (abstain_control_get_editable (control) && !abstain_control_get_enabled (control))
        return FALSE;
    }

  return TRUE;
}

static void
test_opt_out_everywhere (Fixture       *fixture,
                         gconstpointer  data)
{
  GListModel *controls;
  GtkWidget *button;
  guint n;

  fixture_sign_in (fixture, "free");
  controls = abstain_account_get_controls (fixture->account);
  n = g_list_model_get_n_items (controls);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);

      if (abstain_control_get_editable (control))
        abstain_test_service_remote_change (fixture->svc, "free", abstain_control_get_id (control), TRUE, "web");
    }
  refresh (fixture);
  UI_WAIT_FOR (all_editable_enabled (controls));
  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "overview");
  UI_WAIT_FOR (g_str_has_prefix (verdict (fixture), "Training is on for le Chat"));

  button = ui_find_by_name (fixture->window, "opt-out-button");
  g_assert_true (gtk_widget_get_sensitive (button));
  add_patch_fault (fixture, "\"count\":1,\"fault\":\"delay\",\"delay_ms\":600");
  g_signal_emit_by_name (button, "clicked");
  UI_WAIT_FOR (gtk_widget_get_visible (ui_find_by_name (fixture->window, "progress-box")));
  g_assert_true (g_str_has_prefix (verdict (fixture), "Training is on"));

  UI_WAIT_FOR (g_strcmp0 (gtk_label_get_text (GTK_LABEL (ui_find_by_name (fixture->window, "progress-label"))),
                          "Every opt-out is confirmed.") == 0);
  g_assert_false (abstain_manager_get_pending (fixture->manager));
  g_assert_false (gtk_widget_get_sensitive (button));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);

      if (abstain_control_get_editable (control))
        g_assert_false (abstain_test_service_control_enabled (fixture->svc, "free", abstain_control_get_id (control)));
    }

  /* Only the organization where the user is a member stays on, and the
   * verdict says so rather than claiming more than the server confirmed. */
  g_assert_cmpstr (verdict (fixture), ==, "Training is on for la Plateforme (Harvard Computation Lab)");
  g_assert_cmpstr (verdict_description (fixture), ==, "Only organization admins can change this.");
  ui_screenshot (fixture->window, "overview-after-opt-out");

  /* The pro user has nothing locked: opted out everywhere. */
  g_clear_object (&fixture->account);
  fixture->account = ui_sign_in (fixture->manager, fixture->svc, "pro");
  abstain_window_set_account (ABSTAIN_WINDOW (fixture->window), fixture->account);
  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "overview");
  UI_WAIT_FOR (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  UI_WAIT_FOR (!abstain_manager_get_pending (fixture->manager) &&
               !abstain_test_service_control_enabled (fixture->svc, "pro", "chat.training"));
  UI_WAIT_FOR (g_str_has_prefix (verdict (fixture), "Training is on for la Plateforme (Harvard"));
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_history_and_export (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "export.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  GtkWidget *page;
  GListModel *events = NULL;
  Row chat;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  gtk_switch_set_active (chat.sw, !gtk_switch_get_state (chat.sw));
  UI_WAIT_FOR (!abstain_control_get_pending (chat.control));

  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "history");
  page = ui_find_by_type (fixture->window, ABSTAIN_TYPE_HISTORY_PAGE);
  refresh (fixture);
  UI_WAIT_FOR ((events = abstain_history_page_get_events (ABSTAIN_HISTORY_PAGE (page))) != NULL &&
               g_list_model_get_n_items (events) > 0);
  UI_WAIT_FOR (g_strcmp0 (visible_child (page, "stack"), "events") == 0);
  g_assert_nonnull (ui_find_label (page, "Opted out of training for le Chat") != NULL
                    ? ui_find_label (page, "Opted out of training for le Chat")
                    : ui_find_label (page, "Training turned on for le Chat"));

  abstain_history_page_export_async (ABSTAIN_HISTORY_PAGE (page), file, NULL, store_result, &result);
  UI_WAIT_FOR (result != NULL);
  g_assert_true (abstain_history_page_export_finish (ABSTAIN_HISTORY_PAGE (page), result, &error));
  g_assert_no_error (error);

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  events = abstain_history_page_get_events (ABSTAIN_HISTORY_PAGE (page));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "events")), ==,
                    g_list_model_get_n_items (events));
}

static void
shoot_main_pages (Fixture    *fixture,
                  const char *suffix)
{
  static const char *pages[] = { "overview", "privacy", "account", "data-controls", "history" };

  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_autofree char *name = g_strconcat (pages[i], suffix, NULL);

      abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), pages[i]);
      ui_screenshot (fixture->window, name);
    }
}

/* Every page as a person sees it, saved under the build folder. Light and
 * dark by default; French when run with LANGUAGE=fr. */
static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *language = g_getenv ("LANGUAGE");
  gboolean french = language != NULL && g_str_has_prefix (language, "fr");
  AdwStyleManager *style = adw_style_manager_get_default ();
  Row chat;

  /* The French screenshots must show French, not English under a French
   * name. */
  if (french)
    g_assert_cmpstr (_("Privacy"), ==, "Confidentialité");

  for (guint dark = 0; dark < (french ? 1 : 2); dark++)
    {
      adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                      : ADW_COLOR_SCHEME_FORCE_LIGHT);
      gtk_window_set_default_size (GTK_WINDOW (fixture->window), 760, 680);
      if (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)) == 0)
        {
          ui_screenshot (fixture->window, "sign-in");
          fixture_sign_in (fixture, "free");
          /* Some history from elsewhere, as a real account has. */
          abstain_test_service_remote_change (fixture->svc, "free", "ctl_chat_training", FALSE, "mobile");
          abstain_test_service_remote_change (fixture->svc, "free", "ctl_chat_training", TRUE, "web");
          refresh (fixture);
          UI_WAIT_FOR (abstain_test_service_history_count (fixture->svc, "free", NULL) >= 2 &&
                       !abstain_account_get_busy (fixture->account));
        }
      shoot_main_pages (fixture, "");

      /* A pending change, as the row shows it. */
      chat = privacy_row (fixture, "chat.training", NULL);
      add_patch_fault (fixture, "\"count\":1000,\"fault\":\"status\",\"status\":503");
      gtk_switch_set_active (chat.sw, !gtk_switch_get_state (chat.sw));
      UI_WAIT_FOR (abstain_control_get_last_error (chat.control) != NULL);
      ui_screenshot (fixture->window, "privacy-pending");
      g_signal_emit_by_name (ui_find_by_name (chat.row, "withdraw-button"), "clicked");
      clear_faults (fixture);

      /* Narrow: the view switcher moves to the bottom. */
      gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 640);
      UI_WAIT_FOR (gtk_widget_get_width (fixture->window) <= 400);
      shoot_main_pages (fixture, "-narrow");

      add_patch_fault (fixture, "\"count\":1000,\"fault\":\"status\",\"status\":503");
      chat = privacy_row (fixture, "chat.training", NULL);
      gtk_switch_set_active (chat.sw, !gtk_switch_get_state (chat.sw));
      UI_WAIT_FOR (abstain_control_get_last_error (chat.control) != NULL);
      ui_screenshot (fixture->window, "privacy-pending-narrow");
      g_signal_emit_by_name (ui_find_by_name (chat.row, "withdraw-button"), "clicked");
      clear_faults (fixture);
    }
}

/* Start-up shows the last confirmed state from the store at once, even
 * with the server gone, then says it is offline. */
static void
test_startup_from_store (Fixture       *fixture,
                         gconstpointer  data)
{
  Row chat;
  gboolean target;

  fixture_sign_in (fixture, "free");
  chat = privacy_row (fixture, "chat.training", NULL);
  target = !gtk_switch_get_state (chat.sw);
  gtk_switch_set_active (chat.sw, target);
  UI_WAIT_FOR (row_is_confirmed (&chat, target));

  close_window (fixture);
  abstain_test_service_stop (fixture->svc);

  open_window (fixture);
  g_assert_cmpstr (visible_child (fixture->window, "main-stack"), ==, "main");
  chat = privacy_row (fixture, "chat.training", NULL);
  g_assert_true (gtk_switch_get_state (chat.sw) == target);
  g_assert_false (abstain_control_get_pending (chat.control));
  UI_WAIT_FOR (banner_revealed (fixture, "offline-banner"));
  g_assert_true (gtk_switch_get_state (chat.sw) == target);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (const GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

/* Clicks the button of @response, as a person would: the dialog closes. */
static void
respond (AdwMessageDialog *dialog,
         const char       *response)
{
  const char *label = adw_message_dialog_get_response_label (dialog, response);
  GtkWidget *button = ui_find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  UI_WAIT_FOR (find_message_dialog () == NULL);
}

static void
test_sign_out (Fixture       *fixture,
               gconstpointer  data)
{
  AdwMessageDialog *dialog;
  guint before;

  fixture_sign_in (fixture, "free");

  /* Ctrl+R's action asks the server again. */
  before = abstain_test_service_count_requests (fixture->svc, "GET", "/v1/controls");
  refresh (fixture);
  UI_WAIT_FOR (abstain_test_service_count_requests (fixture->svc, "GET", "/v1/controls") > before);

  abstain_window_show_page (ABSTAIN_WINDOW (fixture->window), "account");
  g_signal_emit_by_name (ui_find_by_name (fixture->window, "sign-out-button"), "clicked");
  UI_WAIT_FOR ((dialog = find_message_dialog ()) != NULL);
  ui_screenshot (GTK_WIDGET (dialog), "sign-out");

  /* Cancel keeps the account; Sign Out removes it and shows the sign-in page. */
  respond (dialog, "cancel");
  g_assert_cmpuint (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)), ==, 1);

  g_signal_emit_by_name (ui_find_by_name (fixture->window, "sign-out-button"), "clicked");
  UI_WAIT_FOR ((dialog = find_message_dialog ()) != NULL);
  respond (dialog, "sign-out");
  UI_WAIT_FOR (g_list_model_get_n_items (abstain_manager_get_accounts (fixture->manager)) == 0);
  UI_WAIT_FOR (g_strcmp0 (visible_child (fixture->window, "main-stack"), "sign-in") == 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *po_dir = NULL;
  g_autoptr(GtkCssProvider) provider = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  /* gtk_test_init() sets the locale to en_US.UTF-8, under which gettext
   * ignores LANGUAGE: the French run takes the environment's locale back. */
  if (g_getenv ("LANGUAGE") != NULL && g_str_has_prefix (g_getenv ("LANGUAGE"), "fr"))
    g_assert_nonnull (setlocale (LC_ALL, ""));

  /* What AdwApplication loads from the resources for the real app. */
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, APPLICATION_PATH "/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  po_dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR") != NULL ? g_getenv ("G_TEST_BUILDDIR") : ".",
                             "..", "po", NULL);
  bindtextdomain (GETTEXT_PACKAGE, po_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (g_getenv ("ABSTAIN_UI_SCREENSHOTS_ONLY") != NULL)
    {
      g_test_add ("/abstain/ui/screenshots", Fixture, NULL, fixture_set_up, test_screenshots, fixture_tear_down);
      return g_test_run ();
    }

  g_test_add_func ("/abstain/ui/app/presents", test_app_presents);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/abstain/ui/switch/pending-then-confirmed", test_switch_pending_then_confirmed);
  ADD ("/abstain/ui/switch/follow", test_switches_follow);
  ADD ("/abstain/ui/switch/server-error-retry", test_server_error_then_retry);
  ADD ("/abstain/ui/switch/withdraw", test_withdraw);
  ADD ("/abstain/ui/switch/locked", test_locked_rows);
  ADD ("/abstain/ui/banner/sign-in-again", test_sign_in_again);
  ADD ("/abstain/ui/banner/offline", test_offline);
  ADD ("/abstain/ui/sign-in/device-approved", test_device_flow_approved);
  ADD ("/abstain/ui/sign-in/device-denied", test_device_flow_denied);
  ADD ("/abstain/ui/sign-in/token", test_token_sign_in);
  ADD ("/abstain/ui/overview/opt-out-everywhere", test_opt_out_everywhere);
  ADD ("/abstain/ui/history/export", test_history_and_export);
  ADD ("/abstain/ui/account/sign-out", test_sign_out);
  ADD ("/abstain/ui/startup/from-store", test_startup_from_store);
#undef ADD

  return g_test_run ();
}
