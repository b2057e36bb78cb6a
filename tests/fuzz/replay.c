/* replay.c: runs a fuzz target over files, without libFuzzer
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: fuzz-TARGET FILE_OR_FOLDER...
 *
 * Feeds every file (every regular file of each folder, in name order) to
 * LLVMFuzzerTestOneInput(), once each. This is how the corpora run as
 * regression tests in the ordinary build: a crash, a sanitizer report or a
 * fatal warning fails the test.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static void
replay_file (const char *path,
             guint      *n_inputs)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree guint8 *copy = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &data, &length, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      exit (EXIT_FAILURE);
    }

  /* An exact-size copy, so AddressSanitizer sees any read past the end. */
  copy = g_memdup2 (data, length);
  fprintf (stderr, "replay: %s (%" G_GSIZE_FORMAT " bytes)\n", path, length);
  LLVMFuzzerTestOneInput (copy, length);
  (*n_inputs)++;
}

static void
replay_folder (const char *path,
               guint      *n_inputs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      exit (EXIT_FAILURE);
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);

      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        replay_file (file, n_inputs);
    }
}

int
main (int   argc,
      char *argv[])
{
  guint n_inputs = 0;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
      return EXIT_FAILURE;
    }

  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        replay_folder (argv[i], &n_inputs);
      else
        replay_file (argv[i], &n_inputs);
    }

  if (n_inputs == 0)
    {
      fprintf (stderr, "replay: no input found\n");
      return EXIT_FAILURE;
    }

  printf ("replay: %u inputs, no crash\n", n_inputs);
  return EXIT_SUCCESS;
}
