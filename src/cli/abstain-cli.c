/* abstain-cli.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The "abstain" command: the same manager as the window, over GIO only (no
 * GTK), so it starts fast and needs no display. With no subcommand, or with
 * an argument that is not one (such as --gapplication-service), it executes
 * the window: $ABSTAIN_WINDOW, else LIBEXECDIR/abstain-window.
 *
 * Exit codes:
 *   0  every requested change was confirmed (or nothing was asked)
 *   1  error (a change refused, a protocol error, the keyring, ...)
 *   2  usage
 *   3  sign-in needed (queued changes are kept)
 *   4  a change is queued but not confirmed yet (offline, server trouble)
 *
 * Stable --json shapes (documented in docs/cli.md too):
 *
 * abstain status --json
 *   {"accounts":[{"id":S,"server":S,"email":S,"plan":S,
 *                 "state":"loading"|"online"|"offline"|"needs-sign-in"|"keyring-error",
 *                 "controls":[{"id":S,"kind":S,"title":S,"enabled":B,"editable":B,
 *                              "locked_reason":S|null,"pending":B,"requested":B,
 *                              "updated_at":S|null}]}]}
 *   "title" is the server's own title (not translated); "enabled" is the
 *   state the server confirmed (true = shared for training); "requested" is
 *   what was asked, equal to "enabled" unless "pending".
 *
 * abstain history --json
 *   {"events":[{"account_id":S,"control_id":S,"kind":S,"from":B,"to":B,
 *               "at":S,"source":S,"origin":"local"|"server"|"both"}]}
 *   newest first.
 *
 * abstain accounts --json
 *   {"accounts":[{"id":S,"server":S,"email":S,"display_name":S,"plan":S,
 *                 "organizations":[{"id":S,"name":S,"role":S}]}]}
 */

#define G_LOG_DOMAIN "abstain-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "abstain-control-private.h"
#include "abstain-core.h"
#include "abstain-protocol.h"

enum {
  EXIT_OK = 0,
  EXIT_ERROR = 1,
  EXIT_USAGE = 2,
  EXIT_SIGN_IN = 3,
  EXIT_QUEUED = 4,
};

/* Bounded retries of queued changes: a few tries within a few seconds. */
#define CLI_ATTEMPTS      3
#define CLI_MAX_WAIT_S    5
#define TOKEN_READ_LIMIT  4096

typedef struct
{
  AbstainManager *manager;
  GAsyncResult   *result;
  GPtrArray      *failures; /* of char *: changes refused for good */
  char           *account_filter;
  gboolean        json;
} Cli;

typedef int (*CommandFunc) (Cli *cli, int argc, char **argv);

typedef struct
{
  const char  *name;
  CommandFunc  func;
  const char  *summary;
} Command;

/* Helpers */

static void
on_async_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cli *cli = user_data;

  cli->result = g_object_ref (result);
}

/* Runs the main context until the pending operation completes. */
static GAsyncResult *
wait_for_result (Cli *cli)
{
  while (cli->result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return g_steal_pointer (&cli->result);
}

static void
print_error (const char *message)
{
  /* Translators: the prefix of error messages of the command line */
  g_printerr (_("abstain: %s\n"), message);
}

static void
on_store_error (AbstainManager *manager,
                const GError   *error,
                Cli            *cli)
{
  /* Once per damaged file: the file was moved aside, so it is not seen again. */
  g_printerr (_("abstain: warning: %s\n"), error->message);
}

static void
on_change_failed (AbstainManager *manager,
                  AbstainControl *control,
                  const GError   *error,
                  Cli            *cli)
{
  if (g_error_matches (error, ABSTAIN_ERROR, ABSTAIN_ERROR_AUTH))
    return;

  g_ptr_array_add (cli->failures,
                   g_strdup_printf ("%s: %s", abstain_control_get_title (control), error->message));
}

static gboolean
load (Cli *cli)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  abstain_manager_load_async (cli->manager, NULL, on_async_done, cli);
  result = wait_for_result (cli);

  if (!abstain_manager_load_finish (cli->manager, result, &error))
    {
      print_error (error->message);
      return FALSE;
    }

  return TRUE;
}

static guint
n_accounts (Cli *cli)
{
  return g_list_model_get_n_items (abstain_manager_get_accounts (cli->manager));
}

static AbstainAccount *
account_at (Cli   *cli,
            guint  i)
{
  g_autoptr(AbstainAccount) account =
    g_list_model_get_item (abstain_manager_get_accounts (cli->manager), i);

  return account;
}

static gboolean
account_matches_filter (AbstainAccount *account,
                        const char     *filter)
{
  return filter == NULL ||
         g_strcmp0 (abstain_account_get_id (account), filter) == 0 ||
         g_ascii_strcasecmp (abstain_account_get_email (account), filter) == 0;
}

static char *
list_accounts_inline (Cli *cli)
{
  GString *list = g_string_new (NULL);

  for (guint i = 0; i < n_accounts (cli); i++)
    {
      AbstainAccount *account = account_at (cli, i);

      g_string_append_printf (list, "\n  %s (%s, %s)", abstain_account_get_id (account),
                              abstain_account_get_email (account),
                              abstain_account_get_server (account));
    }

  return g_string_free (list, FALSE);
}

/* The accounts a command works on: --account, else all of them. */
static GPtrArray *
selected_accounts (Cli *cli)
{
  GPtrArray *accounts = g_ptr_array_new ();

  for (guint i = 0; i < n_accounts (cli); i++)
    if (account_matches_filter (account_at (cli, i), cli->account_filter))
      g_ptr_array_add (accounts, account_at (cli, i));

  return accounts;
}

static gboolean
check_account_filter (Cli *cli)
{
  g_autoptr(GPtrArray) accounts = NULL;
  g_autofree char *list = NULL;

  if (cli->account_filter == NULL)
    return TRUE;

  accounts = selected_accounts (cli);
  if (accounts->len > 0)
    return TRUE;

  list = list_accounts_inline (cli);
  g_printerr (_("abstain: no account “%s”. Signed-in accounts:%s\n"), cli->account_filter,
              n_accounts (cli) ? list : _(" none"));
  return FALSE;
}

/* Several accounts and no --account: the user has to say which. */
static gboolean
require_one_account (Cli             *cli,
                     AbstainAccount **out_account)
{
  g_autoptr(GPtrArray) accounts = selected_accounts (cli);
  g_autofree char *list = NULL;

  if (accounts->len == 1)
    {
      *out_account = g_ptr_array_index (accounts, 0);
      return TRUE;
    }

  if (n_accounts (cli) == 0)
    {
      print_error (_("No account is signed in. Sign in with “abstain sign-in”."));
      return FALSE;
    }

  list = list_accounts_inline (cli);
  g_printerr (_("abstain: several accounts are signed in; choose one with --account:%s\n"), list);
  return FALSE;
}

static gboolean
parse_options (GOptionContext  *context,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      print_error (error->message);
      return FALSE;
    }

  return TRUE;
}

static GOptionContext *
command_context (const char   *parameters,
                 const char   *summary,
                 GOptionEntry *entries)
{
  GOptionContext *context = g_option_context_new (parameters);

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);

  return context;
}

static void
print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static const char *
state_nick (AbstainAccountState state)
{
  GEnumClass *klass = g_type_class_ref (ABSTAIN_TYPE_ACCOUNT_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  g_type_class_unref (klass);
  return value ? value->value_nick : "unknown";
}

/* Waiting for queued changes, a bounded number of times */

static guint
retry_delay (const GError *error,
             guint         attempt)
{
  guint hint = abstain_error_get_retry_after (error);

  return MAX (hint, attempt);
}

static gboolean
on_wake (gpointer user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_seconds (guint seconds)
{
  gboolean done = FALSE;

  g_timeout_add_seconds (seconds, on_wake, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Returns the error of the last attempt, or NULL when nothing is queued. */
static GError *
flush_with_retries (Cli *cli)
{
  GError *error = NULL;
  guint waited = 0;

  for (guint attempt = 1; attempt <= CLI_ATTEMPTS; attempt++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      guint delay;

      g_clear_error (&error);
      abstain_manager_sync_async (cli->manager, NULL, NULL, on_async_done, cli);
      result = wait_for_result (cli);
      if (abstain_manager_sync_finish (cli->manager, result, &error) ||
          !abstain_manager_get_pending (cli->manager) ||
          !abstain_error_is_transient (error))
        break;

      delay = retry_delay (error, attempt);
      if (attempt == CLI_ATTEMPTS || waited + delay > CLI_MAX_WAIT_S)
        break;
      g_debug ("Queued change not confirmed (%s); trying again in %u s", error->message, delay);
      wait_seconds (delay);
      waited += delay;
    }

  return error;
}

static int
exit_code_for_queue (Cli *cli)
{
  g_autoptr(GPtrArray) accounts = selected_accounts (cli);
  gboolean queued = FALSE, sign_in = FALSE;

  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainAccount *account = g_ptr_array_index (accounts, i);
      GListModel *controls = abstain_account_get_controls (account);

      for (guint j = 0; j < g_list_model_get_n_items (controls); j++)
        {
          g_autoptr(AbstainControl) control = g_list_model_get_item (controls, j);

          if (!abstain_control_get_pending (control))
            continue;
          queued = TRUE;
          if (abstain_account_get_state (account) == ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN)
            sign_in = TRUE;
        }
    }

  if (cli->failures->len > 0)
    return EXIT_ERROR;
  if (sign_in)
    return EXIT_SIGN_IN;
  if (queued || abstain_manager_get_pending (cli->manager))
    return EXIT_QUEUED;

  return EXIT_OK;
}

static void
print_failures (Cli *cli)
{
  for (guint i = 0; i < cli->failures->len; i++)
    print_error (g_ptr_array_index (cli->failures, i));
}

static void
explain_queue (Cli    *cli,
               int     code,
               GError *error)
{
  if (code == EXIT_SIGN_IN)
    print_error (_("Sign in again with “abstain sign-in”; the changes stay queued."));
  else if (code == EXIT_QUEUED)
    {
      g_autofree char *message =
        g_strdup_printf (_("The change is queued and will be sent later: %s"),
                         error ? error->message : _("not confirmed yet"));
      print_error (message);
    }
}

static void
refresh (Cli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  abstain_manager_refresh_async (cli->manager, NULL, NULL, on_async_done, cli);
  result = wait_for_result (cli);
  /* Failures show in each account's state and last error. */
  if (!abstain_manager_refresh_finish (cli->manager, result, &error))
    g_debug ("Refresh failed: %s", error->message);
}

/* status */

static void
add_control_json (JsonBuilder    *builder,
                  AbstainControl *control)
{
  GDateTime *updated = abstain_control_get_updated_at (control);
  g_autofree char *updated_text = updated ? g_date_time_format_iso8601 (updated) : NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, abstain_control_get_id (control));
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, abstain_control_get_kind (control));
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, abstain_control_get_server_title (control));
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, abstain_control_get_enabled (control));
  json_builder_set_member_name (builder, "editable");
  json_builder_add_boolean_value (builder, abstain_control_get_editable (control));
  json_builder_set_member_name (builder, "locked_reason");
  if (abstain_control_get_locked_reason (control))
    json_builder_add_string_value (builder, abstain_control_get_locked_reason (control));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "pending");
  json_builder_add_boolean_value (builder, abstain_control_get_pending (control));
  json_builder_set_member_name (builder, "requested");
  json_builder_add_boolean_value (builder, abstain_control_get_requested (control));
  json_builder_set_member_name (builder, "updated_at");
  if (updated_text)
    json_builder_add_string_value (builder, updated_text);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

static void
add_account_status_json (JsonBuilder    *builder,
                         AbstainAccount *account)
{
  GListModel *controls = abstain_account_get_controls (account);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, abstain_account_get_id (account));
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, abstain_account_get_server (account));
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, abstain_account_get_email (account));
  json_builder_set_member_name (builder, "plan");
  json_builder_add_string_value (builder, abstain_account_get_plan (account));
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state_nick (abstain_account_get_state (account)));
  json_builder_set_member_name (builder, "controls");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (controls); i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);
      add_control_json (builder, control);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
print_status_json (GPtrArray *accounts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < accounts->len; i++)
    add_account_status_json (builder, g_ptr_array_index (accounts, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  print_json (root);
}

static const char *
describe_state (gboolean enabled)
{
  return enabled ? _("opted in (shared for training)") : _("opted out");
}

static char *
control_label (AbstainAccount *account,
               AbstainControl *control)
{
  const char *org_id = abstain_control_get_organization_id (control);
  AbstainOrganization *org = org_id ? abstain_account_find_organization (account, org_id) : NULL;

  if (org != NULL)
    return g_strdup_printf ("%s (%s)", abstain_control_get_title (control),
                            abstain_organization_get_name (org));

  return g_strdup (abstain_control_get_title (control));
}

static void
print_control (AbstainAccount *account,
               AbstainControl *control)
{
  g_autofree char *label = control_label (account, control);
  g_autofree char *lock = abstain_control_describe_lock (control);
  const GError *error = abstain_control_get_last_error (control);

  g_print ("  %s [%s]\n", label, abstain_control_get_id (control));
  g_print ("    %s\n", describe_state (abstain_control_get_enabled (control)));
  if (abstain_control_get_pending (control))
    /* Translators: %s is "opted in (shared for training)" or "opted out" */
    g_print (_("    Change to “%s” queued, not confirmed yet\n"),
             describe_state (abstain_control_get_requested (control)));
  if (lock != NULL)
    g_print (_("    Locked: %s\n"), lock);
  if (error != NULL)
    g_print (_("    Last error: %s\n"), error->message);
}

static char *
format_time (GDateTime *when)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (when);

  return g_date_time_format (local, "%x %X");
}

static void
print_account_state (AbstainAccount *account)
{
  const GError *error = abstain_account_get_last_error (account);
  GDateTime *verified = abstain_account_get_last_verified (account);
  g_autofree char *when = verified ? format_time (verified) : NULL;

  switch (abstain_account_get_state (account))
    {
    case ABSTAIN_ACCOUNT_STATE_ONLINE:
      break;
    case ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN:
      g_print ("  %s\n", _("Sign-in needed: showing the cached state"));
      break;
    case ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR:
      g_print ("  %s\n", _("The keyring could not be opened: showing the cached state, read-only"));
      break;
    case ABSTAIN_ACCOUNT_STATE_OFFLINE:
    case ABSTAIN_ACCOUNT_STATE_LOADING:
    default:
      if (when != NULL)
        g_print (_("  Offline: showing the cached state, last confirmed %s\n"), when);
      else
        g_print ("  %s\n", _("Offline: nothing confirmed by the server yet"));
      break;
    }

  if (error != NULL)
    g_print (_("  Last error: %s\n"), error->message);
}

static void
print_account_status (AbstainAccount *account)
{
  GListModel *controls = abstain_account_get_controls (account);
  g_autofree char *plan = abstain_plan_get_display_name (abstain_account_get_plan (account));

  /* Translators: name, email, plan and server of an account */
  g_print (_("%s <%s>, %s plan, %s\n"), abstain_account_get_display_name (account),
           abstain_account_get_email (account), plan, abstain_account_get_server (account));
  print_account_state (account);
  for (guint i = 0; i < g_list_model_get_n_items (controls); i++)
    {
      g_autoptr(AbstainControl) control = g_list_model_get_item (controls, i);
      print_control (account, control);
    }
}

static int
status_exit_code (GPtrArray *accounts)
{
  int code = EXIT_OK;

  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainAccount *account = g_ptr_array_index (accounts, i);
      const GError *error = abstain_account_get_last_error (account);

      if (abstain_account_get_state (account) == ABSTAIN_ACCOUNT_STATE_NEEDS_SIGN_IN)
        code = MAX (code, EXIT_SIGN_IN);
      else if (abstain_account_get_state (account) == ABSTAIN_ACCOUNT_STATE_KEYRING_ERROR)
        code = EXIT_ERROR;
      else if (error != NULL && !abstain_error_is_transient (error))
        code = EXIT_ERROR;
    }

  return code == EXIT_SIGN_IN || code == EXIT_OK ? code : EXIT_ERROR;
}

static int
command_status (Cli   *cli,
                int    argc,
                char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print JSON"), NULL },
    { "account", 0, 0, G_OPTION_ARG_STRING, &cli->account_filter,
      N_("Only this account (id or email)"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (NULL, _("Show each setting as the server last confirmed it."), entries);
  g_autoptr(GPtrArray) accounts = NULL;

  if (!parse_options (context, &argc, &argv) || argc > 1)
    return EXIT_USAGE;
  if (!load (cli))
    return EXIT_ERROR;
  if (!check_account_filter (cli))
    return EXIT_USAGE;

  refresh (cli);
  accounts = selected_accounts (cli);

  if (cli->json)
    print_status_json (accounts);
  else if (accounts->len == 0)
    g_print ("%s\n", _("No account is signed in. Sign in with “abstain sign-in”."));
  else
    for (guint i = 0; i < accounts->len; i++)
      print_account_status (g_ptr_array_index (accounts, i));

  return status_exit_code (accounts);
}

/* opt-out, opt-in */

static gboolean
find_controls (Cli        *cli,
               GPtrArray  *accounts,
               const char *id,
               GPtrArray  *out)
{
  AbstainControl *found = NULL;
  guint matches = 0;

  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainControl *control =
        abstain_account_find_control (g_ptr_array_index (accounts, i), id);

      if (control != NULL)
        {
          found = control;
          matches++;
        }
    }

  if (matches == 1)
    {
      g_ptr_array_add (out, found);
      return TRUE;
    }

  if (matches == 0)
    g_printerr (_("abstain: no setting “%s”; see “abstain status”\n"), id);
  else
    {
      g_autofree char *list = list_accounts_inline (cli);
      g_printerr (_("abstain: “%s” exists in several accounts; choose one with --account:%s\n"),
                  id, list);
    }

  return FALSE;
}

static void
collect_editable (GPtrArray *accounts,
                  GPtrArray *out)
{
  for (guint i = 0; i < accounts->len; i++)
    {
      GListModel *controls = abstain_account_get_controls (g_ptr_array_index (accounts, i));

      for (guint j = 0; j < g_list_model_get_n_items (controls); j++)
        {
          g_autoptr(AbstainControl) control = g_list_model_get_item (controls, j);

          g_ptr_array_add (out, control);
        }
    }
}

/* Returns FALSE when the request failed for good. */
static gboolean
request_one (Cli            *cli,
             AbstainControl *control,
             gboolean        enabled,
             gboolean        all)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *label = control_label (abstain_control_get_account (control), control);

  if (!abstain_control_get_editable (control))
    {
      g_autofree char *lock = abstain_control_describe_lock (control);

      /* Translators: a setting and why it cannot be changed */
      g_print (_("%s: locked: %s\n"), label, lock);
      return all;
    }

  if (!abstain_manager_request (cli->manager, control, enabled, &error))
    {
      g_autofree char *message = g_strdup_printf ("%s: %s", label, error->message);
      print_error (message);
      return FALSE;
    }

  return TRUE;
}

static void
report_results (GPtrArray *controls,
                gboolean   enabled)
{
  for (guint i = 0; i < controls->len; i++)
    {
      AbstainControl *control = g_ptr_array_index (controls, i);
      g_autofree char *label = NULL;

      if (!abstain_control_get_editable (control) && !abstain_control_get_pending (control))
        continue;

      label = control_label (abstain_control_get_account (control), control);
      if (abstain_control_get_pending (control))
        g_print (_("%s: queued, not confirmed yet\n"), label);
      else if (abstain_control_get_enabled (control) == enabled)
        g_print (_("%s: %s, confirmed by the server\n"), label, describe_state (enabled));
    }
}

static int
apply_requests (Cli       *cli,
                GPtrArray *controls,
                gboolean   enabled,
                gboolean   all)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  int code;

  for (guint i = 0; i < controls->len; i++)
    ok &= request_one (cli, g_ptr_array_index (controls, i), enabled, all);

  error = flush_with_retries (cli);
  report_results (controls, enabled);
  print_failures (cli);

  code = exit_code_for_queue (cli);
  explain_queue (cli, code, error);

  return ok ? code : EXIT_ERROR;
}

static int
command_switch (Cli      *cli,
                int       argc,
                char    **argv,
                gboolean  enabled)
{
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Every setting that can be changed"), NULL },
    { "account", 0, 0, G_OPTION_ARG_STRING, &cli->account_filter,
      N_("Only this account (id or email)"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (enabled ? _("ID…") : _("(--all | ID…)"),
                     enabled ? _("Share data for training: ID is a setting’s id or kind.")
                             : _("Stop sharing data for training: ID is a setting’s id or kind."),
                     enabled ? entries + 1 : entries);
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) controls = g_ptr_array_new ();

  if (!parse_options (context, &argc, &argv))
    return EXIT_USAGE;
  if ((all && argc > 1) || (!all && argc < 2))
    {
      print_error (enabled ? _("Name at least one setting; see --help")
                           : _("Use --all or name at least one setting; see --help"));
      return EXIT_USAGE;
    }
  if (!load (cli))
    return EXIT_ERROR;
  if (!check_account_filter (cli))
    return EXIT_USAGE;
  if (n_accounts (cli) == 0)
    {
      print_error (_("No account is signed in. Sign in with “abstain sign-in”."));
      return EXIT_ERROR;
    }

  refresh (cli);
  accounts = selected_accounts (cli);

  if (all)
    collect_editable (accounts, controls);
  for (int i = 1; i < argc; i++)
    if (!find_controls (cli, accounts, argv[i], controls))
      return EXIT_USAGE;

  return apply_requests (cli, controls, enabled, all);
}

static int
command_opt_out (Cli   *cli,
                 int    argc,
                 char **argv)
{
  return command_switch (cli, argc, argv, FALSE);
}

static int
command_opt_in (Cli   *cli,
                int    argc,
                char **argv)
{
  return command_switch (cli, argc, argv, TRUE);
}

/* sync */

static int
command_sync (Cli   *cli,
              int    argc,
              char **argv)
{
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &cli->account_filter,
      N_("Only this account (id or email)"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (NULL, _("Send the queued changes now and wait for the server."), entries);
  g_autoptr(GError) error = NULL;
  int code;

  if (!parse_options (context, &argc, &argv) || argc > 1)
    return EXIT_USAGE;
  if (!load (cli))
    return EXIT_ERROR;
  if (!check_account_filter (cli))
    return EXIT_USAGE;

  refresh (cli);
  error = flush_with_retries (cli);
  print_failures (cli);

  code = exit_code_for_queue (cli);
  explain_queue (cli, code, error);
  if (code == EXIT_OK)
    g_print ("%s\n", _("Every change is confirmed."));

  return code;
}

/* history */

static void
print_event (AbstainHistoryEvent *event)
{
  g_autofree char *when = format_time (abstain_history_event_get_at (event));
  g_autofree char *where = abstain_history_source_describe (abstain_history_event_get_source (event));

  /* Translators: date, setting id, old state, new state, where it was changed */
  g_print (_("%s  %s: %s → %s, %s\n"), when, abstain_history_event_get_control_id (event),
           describe_state (abstain_history_event_get_from (event)),
           describe_state (abstain_history_event_get_to (event)), where);
}

static GListModel *
filter_history (Cli        *cli,
                GListModel *events)
{
  GListStore *filtered = g_list_store_new (ABSTAIN_TYPE_HISTORY_EVENT);
  g_autoptr(GPtrArray) accounts = selected_accounts (cli);

  for (guint i = 0; i < g_list_model_get_n_items (events); i++)
    {
      g_autoptr(AbstainHistoryEvent) event = g_list_model_get_item (events, i);

      if (cli->account_filter == NULL)
        g_list_store_append (filtered, event);
      else
        for (guint j = 0; j < accounts->len; j++)
          if (g_strcmp0 (abstain_account_get_id (g_ptr_array_index (accounts, j)),
                         abstain_history_event_get_account_id (event)) == 0)
            {
              g_list_store_append (filtered, event);
              break;
            }
    }

  return G_LIST_MODEL (filtered);
}

static int
command_history (Cli   *cli,
                 int    argc,
                 char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print JSON"), NULL },
    { "account", 0, 0, G_OPTION_ARG_STRING, &cli->account_filter,
      N_("Only this account (id or email)"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (NULL, _("Show when each setting changed, newest first."), entries);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) events = NULL;
  g_autoptr(GListModel) filtered = NULL;
  g_autoptr(GError) error = NULL;

  if (!parse_options (context, &argc, &argv) || argc > 1)
    return EXIT_USAGE;
  if (!load (cli))
    return EXIT_ERROR;
  if (!check_account_filter (cli))
    return EXIT_USAGE;

  abstain_manager_history_async (cli->manager, NULL, NULL, on_async_done, cli);
  result = wait_for_result (cli);
  if (!(events = abstain_manager_history_finish (cli->manager, result, &error)))
    {
      print_error (error->message);
      return EXIT_ERROR;
    }

  filtered = filter_history (cli, events);
  if (cli->json)
    {
      g_autoptr(JsonNode) root = abstain_history_to_json (filtered);
      print_json (root);
    }
  else if (g_list_model_get_n_items (filtered) == 0)
    g_print ("%s\n", _("No change recorded yet."));
  else
    for (guint i = 0; i < g_list_model_get_n_items (filtered); i++)
      {
        g_autoptr(AbstainHistoryEvent) event = g_list_model_get_item (filtered, i);
        print_event (event);
      }

  return EXIT_OK;
}

/* accounts */

static void
add_account_json (JsonBuilder    *builder,
                  AbstainAccount *account)
{
  GListModel *orgs = abstain_account_get_organizations (account);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, abstain_account_get_id (account));
  json_builder_set_member_name (builder, "server");
  json_builder_add_string_value (builder, abstain_account_get_server (account));
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, abstain_account_get_email (account));
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, abstain_account_get_display_name (account));
  json_builder_set_member_name (builder, "plan");
  json_builder_add_string_value (builder, abstain_account_get_plan (account));
  json_builder_set_member_name (builder, "organizations");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (orgs); i++)
    {
      g_autoptr(AbstainOrganization) org = g_list_model_get_item (orgs, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, abstain_organization_get_id (org));
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, abstain_organization_get_name (org));
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, abstain_organization_get_role (org));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
print_account (AbstainAccount *account)
{
  GListModel *orgs = abstain_account_get_organizations (account);
  g_autofree char *plan = abstain_plan_get_display_name (abstain_account_get_plan (account));

  g_print (_("%s <%s>, %s plan\n"), abstain_account_get_display_name (account),
           abstain_account_get_email (account), plan);
  g_print (_("  Account %s on %s\n"), abstain_account_get_id (account),
           abstain_account_get_server (account));
  for (guint i = 0; i < g_list_model_get_n_items (orgs); i++)
    {
      g_autoptr(AbstainOrganization) org = g_list_model_get_item (orgs, i);
      gboolean admin = g_strcmp0 (abstain_organization_get_role (org), "admin") == 0;

      /* Translators: organization name and id, then the role in it */
      g_print (_("  %s (%s): %s\n"), abstain_organization_get_name (org),
               abstain_organization_get_id (org), admin ? _("admin") : _("member"));
    }
}

static int
command_accounts (Cli   *cli,
                  int    argc,
                  char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (NULL, _("List the signed-in accounts."), entries);

  if (!parse_options (context, &argc, &argv) || argc > 1)
    return EXIT_USAGE;
  if (!load (cli))
    return EXIT_ERROR;

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n_accounts (cli); i++)
        add_account_json (builder, account_at (cli, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_json (root);
    }
  else if (n_accounts (cli) == 0)
    g_print ("%s\n", _("No account is signed in. Sign in with “abstain sign-in”."));
  else
    for (guint i = 0; i < n_accounts (cli); i++)
      print_account (account_at (cli, i));

  return EXIT_OK;
}

/* sign-in */

static void
wipe_string (char *text)
{
  if (text != NULL)
    {
      explicit_bzero (text, strlen (text));
      g_free (text);
    }
}

/* Reads the token from stdin: never from argv or the environment. */
static char *
read_token (GError **error)
{
  char *buffer = g_malloc0 (TOKEN_READ_LIMIT + 1);
  gsize length = fread (buffer, 1, TOKEN_READ_LIMIT, stdin);

  if (length > 0 && buffer[length - 1] == '\n')
    buffer[--length] = '\0';

  if (length != strlen (buffer) || !abstain_protocol_token_is_valid (buffer))
    {
      explicit_bzero (buffer, TOKEN_READ_LIMIT);
      g_free (buffer);
      g_set_error_literal (error, ABSTAIN_ERROR, ABSTAIN_ERROR_INVALID,
                           _("The token on standard input is not valid: a token is 16 to 512 "
                             "printable ASCII characters on one line"));
      return NULL;
    }

  return buffer;
}

static int
finish_sign_in (Cli            *cli,
                AbstainAccount *account,
                GError         *error)
{
  if (account == NULL)
    {
      print_error (error->message);
      return EXIT_ERROR;
    }

  g_print (_("Signed in as %s on %s\n"), abstain_account_get_email (account),
           abstain_account_get_server (account));
  return EXIT_OK;
}

static int
sign_in_token (Cli        *cli,
               const char *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AbstainAccount) account = NULL;
  char *token = read_token (&error);

  if (token == NULL)
    {
      print_error (error->message);
      return EXIT_ERROR;
    }

  abstain_manager_sign_in_token_async (cli->manager, server, token, NULL, on_async_done, cli);
  wipe_string (token);
  result = wait_for_result (cli);
  account = abstain_manager_sign_in_token_finish (cli->manager, result, &error);

  return finish_sign_in (cli, account, error);
}

static int
sign_in_device (Cli        *cli,
                const char *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) begun = NULL;
  g_autoptr(GAsyncResult) waited = NULL;
  g_autoptr(AbstainDeviceFlow) flow = NULL;
  g_autoptr(AbstainAccount) account = NULL;

  abstain_manager_device_begin_async (cli->manager, server, NULL, on_async_done, cli);
  begun = wait_for_result (cli);
  if (!(flow = abstain_manager_device_begin_finish (cli->manager, begun, &error)))
    {
      print_error (error->message);
      return EXIT_ERROR;
    }

  g_print (_("To sign in, open %s in a browser and enter the code %s\n"),
           abstain_device_flow_get_verification_uri (flow),
           abstain_device_flow_get_user_code (flow));
  g_print ("%s\n", _("Waiting for approval…"));
  fflush (stdout);

  abstain_manager_device_wait_async (cli->manager, flow, NULL, on_async_done, cli);
  waited = wait_for_result (cli);
  account = abstain_manager_device_wait_finish (cli->manager, waited, &error);

  return finish_sign_in (cli, account, error);
}

static int
command_sign_in (Cli   *cli,
                 int    argc,
                 char **argv)
{
  g_autofree char *server = NULL;
  gboolean token_stdin = FALSE, device = FALSE;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, N_("The server’s address"), N_("URL") },
    { "token-stdin", 0, 0, G_OPTION_ARG_NONE, &token_stdin,
      N_("Read an access token from standard input"), NULL },
    { "device", 0, 0, G_OPTION_ARG_NONE, &device,
      N_("Sign in with a browser, on this or another device"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (NULL, _("Sign in to an account; the token is kept in the keyring."), entries);

  if (!parse_options (context, &argc, &argv) || argc > 1)
    return EXIT_USAGE;
  if (server == NULL || token_stdin == device)
    {
      print_error (_("Use --server URL with either --token-stdin or --device; see --help"));
      return EXIT_USAGE;
    }
  if (!load (cli))
    return EXIT_ERROR;

  return token_stdin ? sign_in_token (cli, server) : sign_in_device (cli, server);
}

/* sign-out */

static int
command_sign_out (Cli   *cli,
                  int    argc,
                  char **argv)
{
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &cli->account_filter,
      N_("The account to sign out (id or email)"), N_("ID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    command_context (NULL, _("Sign out: revoke the token and forget it; the history is kept."),
                     entries);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *email = NULL;
  AbstainAccount *account = NULL;

  if (!parse_options (context, &argc, &argv) || argc > 1)
    return EXIT_USAGE;
  if (!load (cli))
    return EXIT_ERROR;
  if (!check_account_filter (cli))
    return EXIT_USAGE;
  if (!require_one_account (cli, &account))
    return n_accounts (cli) == 0 ? EXIT_ERROR : EXIT_USAGE;

  email = g_strdup (abstain_account_get_email (account));
  abstain_manager_sign_out_async (cli->manager, account, NULL, on_async_done, cli);
  result = wait_for_result (cli);
  if (!abstain_manager_sign_out_finish (cli->manager, result, &error))
    {
      print_error (error->message);
      return EXIT_ERROR;
    }

  g_print (_("Signed out %s\n"), email);
  return EXIT_OK;
}

/* Dispatch */

static const Command commands[] = {
  { "status", command_status, N_("Show each setting as the server last confirmed it") },
  { "opt-out", command_opt_out, N_("Stop sharing data for training") },
  { "opt-in", command_opt_in, N_("Share data for training") },
  { "sync", command_sync, N_("Send the queued changes now") },
  { "history", command_history, N_("Show when each setting changed") },
  { "accounts", command_accounts, N_("List the signed-in accounts") },
  { "sign-in", command_sign_in, N_("Sign in to an account") },
  { "sign-out", command_sign_out, N_("Sign out of an account") },
};

static const Command *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];

  return NULL;
}

static void
print_help (void)
{
  g_print ("%s\n\n", _("Usage: abstain COMMAND [OPTION…]"));
  g_print ("%s\n\n", _("Show and change whether AI assistants may train on your data."));
  g_print ("%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-10s %s\n", commands[i].name, _(commands[i].summary));
  g_print ("\n%s\n", _("Run “abstain COMMAND --help” for the options of a command. "
                       "With no command, the window opens."));
}

static int
exec_window (char **argv)
{
  const char *window = g_getenv ("ABSTAIN_WINDOW");
  int saved;

  if (window == NULL || window[0] == '\0')
    window = LIBEXECDIR "/abstain-window";

  execv (window, argv);

  saved = errno;
  g_printerr (_("abstain: could not start the window “%s”: %s\n"), window, g_strerror (saved));
  return EXIT_ERROR;
}

/* Every write the command started reaches the disk before the exit. */
static void
wait_saved (Cli *cli)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  abstain_manager_wait_saved_async (cli->manager, NULL, on_async_done, cli);
  result = wait_for_result (cli);
  if (!abstain_manager_wait_saved_finish (cli->manager, result, &error))
    print_error (error->message);
}

static int
run_command (const Command  *command,
             int             argc,
             char          **argv)
{
  g_autofree char *prgname = g_strdup_printf ("abstain %s", command->name);
  Cli cli = { 0 };
  int code;

  g_set_prgname (prgname);
  cli.manager = abstain_manager_new (NULL);
  cli.failures = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (cli.manager, "store-error", G_CALLBACK (on_store_error), &cli);
  g_signal_connect (cli.manager, "change-failed", G_CALLBACK (on_change_failed), &cli);

  code = command->func (&cli, argc, argv);
  wait_saved (&cli);

  g_clear_object (&cli.manager);
  g_clear_pointer (&cli.failures, g_ptr_array_unref);
  g_clear_pointer (&cli.account_filter, g_free);

  return code;
}

int
main (int    argc,
      char **argv)
{
  const Command *command;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("abstain");

  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
                    g_str_equal (argv[1], "help")))
    {
      print_help ();
      return EXIT_OK;
    }

  if (argc >= 2 && g_str_equal (argv[1], "--version"))
    {
      g_print ("abstain %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  /* No command, or options for the window (--gapplication-service when
   * D-Bus starts it): the window. A word that is no command is a typo in a
   * script, and must not open a window. */
  if (argc < 2 || argv[1][0] == '-')
    return exec_window (argv);

  if (!(command = find_command (argv[1])))
    {
      g_autofree char *valid = NULL;
      g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
      g_auto(GStrv) strv = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
        g_strv_builder_add (names, commands[i].name);
      strv = g_strv_builder_end (names);
      valid = g_strjoinv (", ", strv);
      /* Translators: the second %s is the list of commands, separated by commas. */
      g_printerr (_("abstain: “%s” is not a command. The commands are: %s.\n"), argv[1], valid);
      g_printerr ("%s\n", _("Run “abstain --help” for how to use them."));
      return EXIT_USAGE;
    }

  return run_command (command, argc - 1, argv + 1);
}
