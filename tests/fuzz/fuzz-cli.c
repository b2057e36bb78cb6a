/* fuzz-cli.c: the command line's arguments through the real `abstain` main()
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * src/cli/abstain-cli.c is compiled into this target with its main()
 * renamed abstain_cli_main(). The first byte picks a command that needs no
 * network, keyring or terminal (status, opt-out, opt-in, sync, history,
 * accounts); the rest, split at NUL bytes, are its arguments. The state
 * folder is an empty folder in memory, so each command parses and checks
 * its arguments, loads the (empty) store and answers. Arguments that would
 * make GOption print the help and exit() are left out.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "fuzz-common.h"

int abstain_cli_main (int    argc,
                      char **argv);

#define MAX_ARGS 64

static const char *const commands[] = {
  "status", "opt-out", "opt-in", "sync", "history", "accounts",
};

static char *folder;

static void
empty_folder (void)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
}

static void
remove_folder (void)
{
  empty_folder ();
  g_rmdir (folder);
}

static void
discard (const char *text)
{
}

/* GOption prints the help and exits on --help*, -h and -? (also inside a
 * group of short options such as -ah). */
static gboolean
asks_for_help (const char *arg)
{
  if (g_str_has_prefix (arg, "--"))
    return g_str_has_prefix (arg, "--help");
  if (arg[0] == '-')
    return strchr (arg, 'h') != NULL || strchr (arg, '?') != NULL;
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) args = NULL;
  g_autofree char **argv = NULL;
  g_autofree char *text = NULL;
  const char *p, *end;
  int code;

  fuzz_init ();
  if (folder == NULL)
    {
      const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
      g_autofree char *template = g_build_filename (base, "abstain-fuzz-cli-XXXXXX", NULL);

      folder = g_mkdtemp (g_steal_pointer (&template));
      g_assert_nonnull (folder);
      atexit (remove_folder);
      g_setenv ("ABSTAIN_STATE_DIR", folder, TRUE);
      g_setenv ("ABSTAIN_WINDOW", "/nonexistent", TRUE);
      g_set_print_handler (discard);
      g_set_printerr_handler (discard);
    }

  if (size == 0)
    return 0;

  args = g_ptr_array_new ();
  g_ptr_array_add (args, (char *) "abstain");
  g_ptr_array_add (args, (char *) commands[data[0] % G_N_ELEMENTS (commands)]);

  text = fuzz_strndup (data + 1, size - 1);
  end = text + (size - 1);
  for (p = text; p < end && args->len < MAX_ARGS; p += strlen (p) + 1)
    if (!asks_for_help (p))
      g_ptr_array_add (args, (char *) p);

  /* GOption moves the pointers around: give it a copy of the array. */
  argv = g_new0 (char *, args->len + 1);
  memcpy (argv, args->pdata, args->len * sizeof (char *));

  empty_folder ();
  code = abstain_cli_main ((int) args->len, argv);
  g_assert_cmpint (code, >=, 0);
  g_assert_cmpint (code, <, 128);

  return 0;
}
