/* bench-baseline-window.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The baseline of the start-up and memory benchmarks: the least an
 * AdwApplication can show, an AdwApplicationWindow with a header bar and a
 * label. Built in the same tree with the same flags as the app, so the
 * difference between the two is what Abstain itself costs.
 */

#define G_LOG_DOMAIN "bench-baseline"

#include "config.h"

#include <adwaita.h>

static void
on_activate (GApplication *app)
{
  GtkWidget *window;
  GtkWidget *box;
  GtkWidget *label;

  window = adw_application_window_new (GTK_APPLICATION (app));
  gtk_window_set_title (GTK_WINDOW (window), "Baseline");
  gtk_window_set_default_size (GTK_WINDOW (window), 760, 680);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  label = gtk_label_new ("Baseline");
  gtk_widget_set_vexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;

  app = adw_application_new ("io.github.abstain.Abstain.BenchBaseline",
                             G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
