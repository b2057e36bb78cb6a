/* ui-test-util.h: driving the real window in tests
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "abstain-core.h"
#include "abstain-test-service.h"

G_BEGIN_DECLS

#define UI_TIMEOUT_MS 20000

/* Spins the main context until @expr holds; aborts after UI_TIMEOUT_MS. */
#define UI_WAIT_FOR(expr) G_STMT_START {                                    \
    gint64 ui_end_ = g_get_monotonic_time () + UI_TIMEOUT_MS * 1000;        \
    while (!(expr))                                                         \
      {                                                                     \
        if (g_get_monotonic_time () > ui_end_)                              \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #expr); \
        ui_iterate ();                                                      \
      }                                                                     \
  } G_STMT_END

void            ui_iterate            (void);
void            ui_spin               (guint        ms);
void            ui_destroy_window     (GtkWidget  **window);
void            ui_clear_finalized    (gpointer     object_ptr);
GtkWidget      *ui_find_by_name       (GtkWidget   *root,
                                       const char  *name);
GtkWidget      *ui_find_by_type       (GtkWidget   *root,
                                       GType        type);
GtkWidget      *ui_find_control_row   (GtkWidget   *root,
                                       const char  *kind,
                                       const char  *organization_id);
GtkWidget      *ui_find_label         (GtkWidget   *root,
                                       const char  *text);
GtkWidget      *ui_find_button        (GtkWidget   *root,
                                       const char  *label);
AbstainAccount *ui_sign_in            (AbstainManager     *manager,
                                       AbstainTestService *svc,
                                       const char         *plan);
void            ui_screenshot         (GtkWidget   *widget,
                                       const char  *page);
void            ui_rm_rf              (const char  *path);

G_END_DECLS
