/* bench-responsiveness.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real window in this process (the same objects as abstain-window)
 * or, with --baseline, a bare AdwApplicationWindow with a switch and a
 * spinner; keeps the window repainting every frame; flips the first
 * sensitive switch it finds as a user would (GtkWidget::activate) and waits
 * until the switch shows the server's confirmation. Prints
 *
 *   max-gap-ms G flip-to-confirm-ms T frames N
 *
 * where G is the longest time between two painted frames (after-paint of
 * the window's frame clock) from the flip until 250 ms after the
 * confirmation (the baseline confirms at once and is watched for
 * --baseline-ms, default 2500).
 *
 * With --opt-out-everywhere it presses the overview's Opt Out Everywhere
 * button instead and prints "opt-out-everywhere-ms T" once the manager has
 * nothing pending (the requests are counted by the service).
 */

#define G_LOG_DOMAIN "bench-responsiveness"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-application.h"
#include "abstain-overview-page.h"

#define SETTLE_MS     1000  /* after the first frame, before the flip */
#define AFTER_MS      250   /* watched after the confirmation */
#define TIMEOUT_S     30

typedef struct
{
  GApplication *app;
  GtkWidget    *window;
  GtkSwitch    *sw;
  gboolean      baseline;
  gboolean      opt_out;
  gboolean      was_pending;
  int           baseline_ms;

  GArray       *paints;      /* gint64 µs, monotonic */
  gint64        first_frame;
  gint64        flipped;
  gint64        confirmed;
  gboolean      target;
  gboolean      failed;
  char         *failure;
} Bench;

static Bench bench;

static void
finish (void)
{
  gint64 end;
  double max_gap = 0;
  guint frames = 0;
  gint64 prev = 0;

  if (bench.failed)
    {
      g_print ("failed: %s\n", bench.failure ? bench.failure : "unknown");
      g_application_quit (bench.app);
      return;
    }

  end = bench.confirmed + AFTER_MS * 1000;
  for (guint i = 0; i < bench.paints->len; i++)
    {
      gint64 t = g_array_index (bench.paints, gint64, i);

      /* The gap that straddles the flip counts too. */
      if (t < bench.flipped)
        {
          prev = t;
          continue;
        }
      if (t > end)
        break;
      if (prev != 0)
        max_gap = MAX (max_gap, (t - prev) / 1000.0);
      prev = t;
      frames++;
    }

  g_print ("max-gap-ms %.1f flip-to-confirm-ms %.0f frames %u\n",
           max_gap, (bench.confirmed - bench.flipped) / 1000.0, frames);
  g_application_quit (bench.app);
}

static void
fail (const char *message)
{
  bench.failed = TRUE;
  bench.failure = g_strdup (message);
  finish ();
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  gint64 t = g_get_monotonic_time ();

  if (bench.first_frame == 0)
    bench.first_frame = t;
  g_array_append_val (bench.paints, t);
}

/* Keeps a frame coming every refresh, painted, like a running animation. */
static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  static GdkFrameClock *hooked;

  if (hooked != clock)
    {
      hooked = clock;
      g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
    }
  gtk_widget_queue_draw (widget);

  return G_SOURCE_CONTINUE;
}

static GtkWidget *
find_type (GtkWidget *widget,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);

      if (found)
        return found;
    }

  return NULL;
}

static GtkSwitch *
find_switch (GtkWidget *widget)
{
  if (GTK_IS_SWITCH (widget) && gtk_widget_get_mapped (widget) &&
      gtk_widget_is_sensitive (widget) &&
      gtk_switch_get_state (GTK_SWITCH (widget)) == gtk_switch_get_active (GTK_SWITCH (widget)))
    return GTK_SWITCH (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkSwitch *found = find_switch (child);

      if (found)
        return found;
    }

  return NULL;
}

static gboolean
on_after_baseline (gpointer user_data)
{
  bench.confirmed = bench.flipped + (gint64)(bench.baseline_ms - AFTER_MS) * 1000;
  finish ();
  return G_SOURCE_REMOVE;
}

static gboolean
on_after_confirm (gpointer user_data)
{
  finish ();
  return G_SOURCE_REMOVE;
}

static void
on_state_changed (GtkSwitch  *sw,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  if (bench.confirmed != 0 || bench.flipped == 0)
    return;
  if (g_getenv ("BENCH_DEBUG"))
    g_printerr ("%.0f ms after the flip: state %d, active %d\n",
                (g_get_monotonic_time () - bench.flipped) / 1000.0,
                gtk_switch_get_state (sw), gtk_switch_get_active (sw));
  if (gtk_switch_get_state (sw) == bench.target && gtk_switch_get_active (sw) == bench.target)
    {
      bench.confirmed = g_get_monotonic_time ();
      g_timeout_add (AFTER_MS + 50, on_after_confirm, NULL);
    }
}

/* --opt-out-everywhere: presses the overview's button and waits until the
 * manager has nothing pending any more. */
static void
on_pending_changed (AbstainManager *manager,
                    GParamSpec     *pspec,
                    gpointer        user_data)
{
  if (abstain_manager_get_pending (manager))
    {
      bench.was_pending = TRUE;
      return;
    }
  if (bench.was_pending && bench.confirmed == 0)
    {
      bench.confirmed = g_get_monotonic_time ();
      g_print ("opt-out-everywhere-ms %.0f\n", (bench.confirmed - bench.flipped) / 1000.0);
      g_application_quit (bench.app);
    }
}

static gboolean
opt_out_everywhere (void)
{
  AbstainManager *manager = abstain_application_get_manager (ABSTAIN_APPLICATION (bench.app));
  GtkWidget *page = bench.window ? find_type (bench.window, ABSTAIN_TYPE_OVERVIEW_PAGE) : NULL;
  GtkWidget *button = page ? find_type (page, GTK_TYPE_BUTTON) : NULL;

  if (button == NULL || !gtk_widget_is_sensitive (button))
    {
      if (g_get_monotonic_time () - bench.first_frame > 15 * G_USEC_PER_SEC)
        {
          fail ("no sensitive Opt Out Everywhere button within 15 s");
          return G_SOURCE_REMOVE;
        }
      return G_SOURCE_CONTINUE;
    }

  g_signal_connect (manager, "notify::pending", G_CALLBACK (on_pending_changed), NULL);
  bench.flipped = g_get_monotonic_time ();
  /* What a click does. */
  g_signal_emit_by_name (button, "clicked");

  return G_SOURCE_REMOVE;
}

static gboolean
on_poll (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();

  if (bench.flipped != 0)
    return G_SOURCE_REMOVE;
  if (bench.first_frame == 0 || now - bench.first_frame < SETTLE_MS * 1000)
    return G_SOURCE_CONTINUE;

  if (bench.opt_out)
    return opt_out_everywhere ();

  if (bench.window == NULL || !(bench.sw = find_switch (bench.window)))
    {
      GtkWidget *stack = bench.window ? find_type (bench.window, ADW_TYPE_VIEW_STACK) : NULL;

      /* The switches are on the Privacy page: go there, as a user would. */
      if (stack != NULL &&
          g_strcmp0 (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack)), "privacy") != 0)
        adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (stack), "privacy");

      if (now - bench.first_frame > 15 * G_USEC_PER_SEC)
        {
          fail ("no sensitive switch was shown within 15 s");
          return G_SOURCE_REMOVE;
        }
      return G_SOURCE_CONTINUE;
    }

  bench.target = !gtk_switch_get_state (bench.sw);
  if (g_getenv ("BENCH_DEBUG"))
    {
      GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (bench.sw), ADW_TYPE_PREFERENCES_ROW);

      g_printerr ("flipping the switch of “%s” to %d, %.0f ms after the first frame\n",
                  row ? adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)) : "?",
                  bench.target, (g_get_monotonic_time () - bench.first_frame) / 1000.0);
    }
  g_signal_connect (bench.sw, "notify::state", G_CALLBACK (on_state_changed), NULL);
  g_signal_connect (bench.sw, "notify::active", G_CALLBACK (on_state_changed), NULL);
  bench.flipped = g_get_monotonic_time ();
  gtk_widget_activate (GTK_WIDGET (bench.sw));

  if (bench.baseline)
    g_timeout_add (bench.baseline_ms, on_after_baseline, NULL);

  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer user_data)
{
  if (bench.flipped == 0)
    fail ("the switch was never flipped");
  else
    fail ("the switch was not confirmed within the time limit");
  return G_SOURCE_REMOVE;
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  if (bench.window != NULL)
    return;
  bench.window = GTK_WIDGET (window);
  gtk_widget_add_tick_callback (bench.window, on_tick, NULL, NULL);
}

static void
on_baseline_activate (GApplication *app)
{
  GtkWidget *window, *box, *row, *sw, *spinner, *label;

  window = adw_application_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 760, 680);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (row, GTK_ALIGN_CENTER);
  label = gtk_label_new ("Baseline");
  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  sw = gtk_switch_new ();
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), spinner);
  gtk_box_append (GTK_BOX (row), sw);
  gtk_box_append (GTK_BOX (box), row);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GApplication) app = NULL;
  gboolean subject = FALSE;
  g_autofree char *state_dir = NULL;
  const GOptionEntry entries[] = {
    { "subject", 0, 0, G_OPTION_ARG_NONE, &subject, "The real window", NULL },
    { "baseline", 0, 0, G_OPTION_ARG_NONE, &bench.baseline, "A bare window", NULL },
    { "opt-out-everywhere", 0, 0, G_OPTION_ARG_NONE, &bench.opt_out,
      "Press Opt Out Everywhere in the real window instead", NULL },
    { "baseline-ms", 0, 0, G_OPTION_ARG_INT, &bench.baseline_ms, "Watch time of the baseline", "MS" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, "The store ($ABSTAIN_STATE_DIR)", "DIR" },
    { NULL }
  };
  char *app_argv[] = { argv[0], NULL };

  bench.baseline_ms = 2500;
  context = g_option_context_new ("- frame gaps while a switch is flipped");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (subject || bench.opt_out) == bench.baseline)
    {
      g_printerr ("bench-responsiveness: use --subject, --opt-out-everywhere or --baseline%s%s\n",
                  error ? ": " : "", error ? error->message : "");
      return 2;
    }
  if (state_dir != NULL)
    g_setenv ("ABSTAIN_STATE_DIR", state_dir, TRUE);

  bench.paints = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (bench.baseline)
    {
      app = G_APPLICATION (adw_application_new ("io.github.abstain.Abstain.BenchBaseline",
                                                G_APPLICATION_DEFAULT_FLAGS));
      g_signal_connect (app, "activate", G_CALLBACK (on_baseline_activate), NULL);
    }
  else
    {
      app = G_APPLICATION (abstain_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS));
    }
  bench.app = app;

  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  g_timeout_add (50, on_poll, NULL);
  g_timeout_add_seconds (TIMEOUT_S, on_timeout, NULL);
  /* Keep running while no window is open (the run ends through finish()). */
  g_application_hold (app);

  g_application_run (app, 1, app_argv);

  return bench.failed ? 1 : 0;
}
