/* sync-test-util.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sync-test-util.h"

char *
sync_test_make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("abstain-sync-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      remove_tree (child);
      g_object_unref (info);
    }

  g_file_delete (file, NULL, NULL);
}

void
sync_test_remove_dir (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);

  remove_tree (file);
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
sync_test_wait_until (gboolean (*predicate) (gpointer data),
                      gpointer   data,
                      guint      timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &expired);
  /* Wakes the loop up to look at things outside this process (files). */
  guint tick = g_timeout_add (50, on_tick, NULL);

  while (!predicate (data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);
  if (!expired)
    g_source_remove (id);
  g_assert_true (predicate (data));
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *)data;
}

void
sync_test_wait_flag (gboolean *done,
                     guint     timeout_ms)
{
  sync_test_wait_until (flag_is_set, done, timeout_ms);
}

void
sync_test_spin (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, on_timeout, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

void
sync_test_store_result (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static gboolean
slot_is_set (gpointer data)
{
  return *(GAsyncResult **)data != NULL;
}

GAsyncResult *
sync_test_wait_result (GAsyncResult **slot,
                       guint          timeout_ms)
{
  sync_test_wait_until (slot_is_set, slot, timeout_ms);
  return g_steal_pointer (slot);
}

static GSubprocessLauncher *
cli_launcher (const char         *state_dir,
              const char * const *env,
              GSubprocessFlags    flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "ABSTAIN_STATE_DIR", state_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      if (pair[1] == NULL)
        g_subprocess_launcher_unsetenv (launcher, pair[0]);
      else
        g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }

  return launcher;
}

static GPtrArray *
cli_argv (const char *first_arg,
          va_list     args)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *cli = g_getenv ("ABSTAIN_CLI");

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *)cli);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  g_ptr_array_add (argv, NULL);

  return argv;
}

int
sync_test_run_cli (const char         *state_dir,
                   const char         *stdin_text,
                   const char * const *env,
                   char              **out_stdout,
                   char              **out_stderr,
                   const char         *first_arg,
                   ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    cli_launcher (state_dir, env, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                  G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  va_list args;

  va_start (args, first_arg);
  argv = cli_argv (first_arg, args);
  va_end (args);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, stdin_text ? stdin_text : "", NULL, &out, &err, &error);
  g_assert_no_error (error);

  if (g_test_verbose ())
    g_printerr ("abstain %s -> %d\n%s%s", first_arg, g_subprocess_get_exit_status (process),
                out, err);

  if (out_stdout)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr)
    *out_stderr = g_steal_pointer (&err);

  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

GSubprocess *
sync_test_spawn_cli (const char *state_dir,
                     const char *first_arg,
                     ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    cli_launcher (state_dir, NULL, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                  G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  va_list args;

  va_start (args, first_arg);
  argv = cli_argv (first_arg, args);
  va_end (args);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);

  return process;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **)a, *(const char **)b);
}

/* In name order, so two readings of the same files compare equal. */
static void
read_tree (GFile      *file,
           GByteArray *out)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GFileInfo *info;

  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_ptr_array_add (names, g_strdup (g_file_info_get_name (info)));
      g_object_unref (info);
    }
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_ptr_array_index (names, i));
      GFileType type = g_file_query_file_type (child, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (type == G_FILE_TYPE_DIRECTORY)
        read_tree (child, out);
      else if (type == G_FILE_TYPE_REGULAR &&
               g_file_load_contents (child, NULL, &contents, &length, NULL, NULL))
        {
          g_autofree char *name = g_file_get_path (child);

          g_byte_array_append (out, (guint8 *)name, strlen (name));
          g_byte_array_append (out, (guint8 *)"\n", 1);
          g_byte_array_append (out, (guint8 *)contents, length);
        }
    }
}

GBytes *
sync_test_read_tree (const char *dir)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr(GFile) file = NULL;

  if (dir != NULL)
    {
      file = g_file_new_for_path (dir);
      read_tree (file, out);
    }

  return g_byte_array_free_to_bytes (out);
}

gboolean
sync_test_bytes_contain (GBytes     *bytes,
                         const char *needle)
{
  gsize length = 0, needle_length = strlen (needle);
  const char *data = g_bytes_get_data (bytes, &length);

  for (gsize i = 0; data != NULL && needle_length <= length && i <= length - needle_length; i++)
    if (memcmp (data + i, needle, needle_length) == 0)
      return TRUE;

  return FALSE;
}

char *
sync_test_read_file (const char *dir,
                     const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;

  return contents;
}
