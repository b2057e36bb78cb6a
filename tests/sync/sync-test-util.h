/* sync-test-util.h
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A fresh, empty state folder; removed by sync_test_remove_dir (). */
char     *sync_test_make_dir     (void);
void      sync_test_remove_dir   (const char *dir);

/* Iterates the default main context until @done is TRUE; fails the test
 * after @timeout_ms. */
void      sync_test_wait_flag    (gboolean   *done,
                                  guint       timeout_ms);
/* The same, until @predicate (@data) holds. */
void      sync_test_wait_until   (gboolean  (*predicate) (gpointer data),
                                  gpointer    data,
                                  guint       timeout_ms);
/* Lets the main context run for @ms. */
void      sync_test_spin         (guint       ms);

/* A GAsyncReadyCallback storing the result in *(GAsyncResult **)user_data. */
void      sync_test_store_result (GObject      *object,
                                  GAsyncResult *result,
                                  gpointer      user_data);
GAsyncResult *sync_test_wait_result (GAsyncResult **slot,
                                     guint          timeout_ms);

/* Runs $ABSTAIN_CLI with ABSTAIN_STATE_DIR=@state_dir and @args
 * (NULL-terminated), feeding @stdin_text (nullable). @env: extra
 * "NAME=VALUE" strings (nullable). Returns the exit status. */
int       sync_test_run_cli      (const char         *state_dir,
                                  const char         *stdin_text,
                                  const char * const *env,
                                  char              **out_stdout,
                                  char              **out_stderr,
                                  const char         *first_arg,
                                  ...) G_GNUC_NULL_TERMINATED;

/* Starts the CLI without waiting. */
GSubprocess *sync_test_spawn_cli (const char  *state_dir,
                                  const char  *first_arg,
                                  ...) G_GNUC_NULL_TERMINATED;

/* Concatenation of every regular file under @dir, recursively (for
 * before/after comparisons and secret scans). NULL-safe for missing dirs. */
GBytes   *sync_test_read_tree    (const char *dir);
gboolean  sync_test_bytes_contain (GBytes     *bytes,
                                   const char *needle);
char     *sync_test_read_file    (const char *dir,
                                  const char *name);

G_END_DECLS
