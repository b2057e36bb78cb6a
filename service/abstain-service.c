/* abstain-service.c: the reference data-controls service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-service"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>

#include "svc-http.h"

typedef struct
{
  char     *listen;
  char     *state_file;
  char     *seed;
  gboolean  test_hooks;
  int       token_lifetime;
  int       rate_limit;
  int       device_interval;
  int       device_lifetime;
} Options;

static void
options_clear (Options *opts)
{
  g_clear_pointer (&opts->listen, g_free);
  g_clear_pointer (&opts->state_file, g_free);
  g_clear_pointer (&opts->seed, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_options (Options  *opts,
               int      *argc,
               char   ***argv,
               GError  **error)
{
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &opts->listen,
      N_("Listen on this IP address and port; port 0 picks a free one (default 127.0.0.1:0)"),
      N_("ADDRESS:PORT") },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &opts->state_file,
      N_("Keep the accounts, controls, tokens and history in this file (required)"), N_("FILE") },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &opts->seed,
      N_("Create the demo accounts in a new state file and print a fresh token for each "
         "on standard error (the only seed is “demo”)"), N_("NAME") },
    { "test-hooks", 0, 0, G_OPTION_ARG_NONE, &opts->test_hooks,
      N_("Enable the /_test/ endpoints that script faults and remote changes"), NULL },
    { "token-lifetime", 0, 0, G_OPTION_ARG_INT, &opts->token_lifetime,
      N_("Lifetime of the access tokens issued by sign-in (default 3600)"), N_("SECONDS") },
    { "rate-limit", 0, 0, G_OPTION_ARG_INT, &opts->rate_limit,
      N_("Answer 429 beyond this many requests per second per token (default 0: no limit)"),
      N_("N") },
    { "device-interval", 0, 0, G_OPTION_ARG_INT, &opts->device_interval,
      N_("Polling interval asked of devices signing in (default 5)"), N_("SECONDS") },
    { "device-code-lifetime", 0, 0, G_OPTION_ARG_INT, &opts->device_lifetime,
      N_("Lifetime of a device sign-in code (default 600)"), N_("SECONDS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("The reference data-controls service of Abstain. "
                                           "It prints “listening on URL” on standard output "
                                           "once it accepts connections, and stops on "
                                           "SIGINT or SIGTERM."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (opts->state_file == NULL)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("--state is required"));
  else if (opts->seed != NULL && g_strcmp0 (opts->seed, "demo") != 0)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("Unknown seed “%s”; the only seed is “demo”"), opts->seed);
  else if (opts->token_lifetime < 1 || opts->rate_limit < 0 ||
           opts->device_interval < 1 || opts->device_lifetime < 1)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 _("Lifetimes and intervals must be positive, the rate limit not negative"));
  else
    return TRUE;

  return FALSE;
}

/* Loads the state, seeding a new one, and prints a fresh token for each
 * demo user. */
static gboolean
prepare_state (SvcState  *state,
               Options   *opts,
               GError   **error)
{
  gboolean existed = FALSE;
  gboolean demo = g_strcmp0 (opts->seed, "demo") == 0;

  if (!svc_state_load (state, &existed, error))
    return FALSE;
  if (!existed && demo)
    svc_state_seed_demo (state);

  if (demo)
    {
      for (guint i = 0; i < state->users->len; i++)
        {
          SvcUser *u = g_ptr_array_index (state->users, i);
          g_autofree char *token = NULL;

          if (!svc_state_is_demo_user (u))
            continue;
          token = svc_state_issue_token (state, u, "access", 0);
          fprintf (stderr, "demo-token %s %s %s\n", u->plan, u->email, token);
        }
      fflush (stderr);
    }

  return svc_state_save (state, error);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Options) opts = { NULL, NULL, NULL, FALSE, 3600, 0, 5, 600 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  SvcOptions options;
  SvcState *state;
  SvcServer *server;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!parse_options (&opts, &argc, &argv, &error))
    {
      g_printerr ("abstain-service: %s\n", error->message);
      return 2;
    }

  state = svc_state_new (opts.state_file);
  if (!prepare_state (state, &opts, &error))
    {
      g_printerr (_("abstain-service: refusing to start: %s\n"), error->message);
      svc_state_free (state);
      return 1;
    }

  options.token_lifetime = (guint) opts.token_lifetime;
  options.rate_limit = (guint) opts.rate_limit;
  options.device_interval = (guint) opts.device_interval;
  options.device_lifetime = (guint) opts.device_lifetime;
  options.test_hooks = opts.test_hooks;
  server = svc_server_new (state, &options);
  if (!svc_server_listen (server, opts.listen ? opts.listen : "127.0.0.1:0", &error))
    {
      g_printerr (_("abstain-service: cannot listen: %s\n"), error->message);
      svc_server_free (server);
      svc_state_free (state);
      return 3;
    }

  /* Handle the signals before anyone knows where to reach us. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);

  printf ("listening on %s\n", server->base_url);
  fflush (stdout);
  g_main_loop_run (loop);

  svc_server_free (server);
  svc_state_free (state);

  return 0;
}
