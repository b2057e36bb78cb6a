/* fuzz-service-state.c: the reference service's state file through svc_state_load()
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * svc_state_load() reads a path, so the input is put in an anonymous memory
 * file (memfd) and loaded through /proc/self/fd/N: no disk, no temporary
 * file to clean up, and the loader runs exactly as it does at start-up.
 */

#include "config.h"

#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "svc-state.h"

static const char *
memory_file (const uint8_t *data,
             size_t         size)
{
  static int fd = -1;
  static char *path;

  if (fd < 0)
    {
      fd = memfd_create ("state.json", MFD_CLOEXEC);
      g_assert_cmpint (fd, >=, 0);
      path = g_strdup_printf ("/proc/self/fd/%d", fd);
    }

  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  if (size > 0)
    g_assert_cmpint (pwrite (fd, data, size, 0), ==, (gssize) size);

  return path;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  SvcState *state;
  gboolean existed = FALSE;

  fuzz_init ();
  state = svc_state_new (memory_file (data, size));
  if (svc_state_load (state, &existed, &error))
    {
      g_assert_no_error (error);
      g_assert_true (existed);

      /* What the service does with a state it loaded: look everything up. */
      for (guint i = 0; i < state->users->len; i++)
        {
          SvcUser *user = g_ptr_array_index (state->users, i);
          g_autoptr(GPtrArray) controls = NULL;

          g_assert_nonnull (svc_state_find_user (state, user->id));
          g_assert_nonnull (svc_state_find_user_by_email (state, user->email));
          controls = svc_state_user_controls (state, user);
          for (guint j = 0; j < controls->len; j++)
            {
              SvcControl *control = g_ptr_array_index (controls, j);

              g_assert_nonnull (svc_state_find_control (state, user, control->id));
              (void) svc_state_lock_reason (state, user, control);
            }
          for (guint j = 0; j < state->history->len; j++)
            (void) svc_state_event_visible (state, user, g_ptr_array_index (state->history, j));
        }
    }
  else
    {
      g_assert_nonnull (error);
    }

  svc_state_free (state);
  return 0;
}
