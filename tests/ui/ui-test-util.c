/* ui-test-util.c: driving the real window in tests
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "abstain-control-row.h"
#include "ui-test-util.h"

void
ui_iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_usleep (2000);
}

void
ui_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    ui_iterate ();
}

/* Destroys *@window and waits until it is finalized: a window that
 * outlives its destruction is held by a reference someone leaked. */
void
ui_destroy_window (GtkWidget **window)
{
  gpointer alive = *window;

  g_object_add_weak_pointer (alive, &alive);
  gtk_window_destroy (GTK_WINDOW (g_steal_pointer (window)));
  UI_WAIT_FOR (alive == NULL);
}

/* Like g_clear_object(), then waits until the object is finalized, which
 * pending callbacks may delay by a few iterations but must not prevent. */
void
ui_clear_finalized (gpointer object_ptr)
{
  GObject **object = object_ptr;
  gpointer alive = *object;

  if (alive == NULL)
    return;

  g_object_add_weak_pointer (alive, &alive);
  g_clear_object (object);
  UI_WAIT_FOR (alive == NULL);
}

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find (GtkWidget     *root,
      Match          match,
      gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
match_name (GtkWidget     *widget,
            gconstpointer  data)
{
  return g_strcmp0 (gtk_widget_get_name (widget), data) == 0;
}

static gboolean
match_type (GtkWidget     *widget,
            gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

static gboolean
match_label (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), data) != NULL;
}

static gboolean
match_button (GtkWidget     *widget,
              gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

GtkWidget *
ui_find_by_name (GtkWidget  *root,
                 const char *name)
{
  return find (root, match_name, name);
}

GtkWidget *
ui_find_by_type (GtkWidget *root,
                 GType      type)
{
  return find (root, match_type, GSIZE_TO_POINTER (type));
}

GtkWidget *
ui_find_label (GtkWidget  *root,
               const char *text)
{
  return find (root, match_label, text);
}

GtkWidget *
ui_find_button (GtkWidget  *root,
                const char *label)
{
  return find (root, match_button, label);
}

typedef struct {
  const char *kind;
  const char *org;
} RowQuery;

static gboolean
match_row (GtkWidget     *widget,
           gconstpointer  data)
{
  const RowQuery *query = data;
  AbstainControl *control;

  if (!ABSTAIN_IS_CONTROL_ROW (widget))
    return FALSE;

  control = abstain_control_row_get_control (ABSTAIN_CONTROL_ROW (widget));
  return g_strcmp0 (abstain_control_get_kind (control), query->kind) == 0 &&
         (query->org == NULL ||
          g_strcmp0 (abstain_control_get_organization_id (control), query->org) == 0);
}

GtkWidget *
ui_find_control_row (GtkWidget  *root,
                     const char *kind,
                     const char *organization_id)
{
  RowQuery query = { kind, organization_id };

  return find (root, match_row, &query);
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Returns: (transfer full): the account, which the manager also holds */
AbstainAccount *
ui_sign_in (AbstainManager     *manager,
            AbstainTestService *svc,
            const char         *plan)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  AbstainAccount *account;

  abstain_manager_sign_in_token_async (manager,
                                       abstain_test_service_get_url (svc),
                                       abstain_test_service_get_token (svc, plan),
                                       NULL, store_result, &result);
  UI_WAIT_FOR (result != NULL);
  account = abstain_manager_sign_in_token_finish (manager, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);

  return account;
}

static void
count_frame (GdkFrameClock *clock,
             guint         *frames)
{
  (*frames)++;
}

/* Saves @widget's window as $ABSTAIN_TEST_SCREENSHOTS/<page>-<variant>.png,
 * the variant being "fr" under a French LANGUAGE, else "dark" or "light". */
void
ui_screenshot (GtkWidget  *widget,
               const char *page)
{
  const char *dir = g_getenv ("ABSTAIN_TEST_SCREENSHOTS");
  const char *language = g_getenv ("LANGUAGE");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  const char *variant;
  GdkFrameClock *clock;
  gulong handler;
  guint frames = 0;
  int width, height;

  if (dir == NULL)
    return;

  if (language != NULL && g_str_has_prefix (language, "fr"))
    variant = "fr";
  else if (adw_style_manager_get_dark (adw_style_manager_get_default ()))
    variant = "dark";
  else
    variant = "light";

  /* Let layout, transitions and spinners settle, then wait for painted frames. */
  UI_WAIT_FOR (gtk_widget_get_mapped (widget));
  ui_spin (400);
  clock = gtk_widget_get_frame_clock (widget);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (count_frame), &frames);
  gtk_widget_queue_draw (widget);
  UI_WAIT_FOR (frames >= 1);
  gtk_widget_queue_draw (widget);
  UI_WAIT_FOR (frames >= 2);
  g_signal_handler_disconnect (clock, handler);

  /* A widget between two allocations draws nothing: try again shortly. */
  paintable = gtk_widget_paintable_new (widget);
  for (guint attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      if (attempt > 0)
        ui_spin (50);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  file = g_strdup_printf ("%s-%s.png", page, variant);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

void
ui_rm_rf (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };

  if (path != NULL)
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}
