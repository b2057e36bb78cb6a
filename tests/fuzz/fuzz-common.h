/* fuzz-common.h: what every fuzz target shares
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/* The libFuzzer entry point; replay.c calls it for every corpus file when
 * the target is built without libFuzzer. */
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Any warning or critical a parser logs is a bug: make it abort, so the
 * fuzzer (or the replay test) reports it as a crash. Idempotent. */
static inline void
fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
}

/* A NUL-terminated copy of the input, for functions that take a string. */
static inline char *
fuzz_strndup (const uint8_t *data,
              size_t         size)
{
  char *copy = g_malloc (size + 1);

  if (size > 0)
    memcpy (copy, data, size);
  copy[size] = '\0';
  return copy;
}

/* Checks a string the parser returned: never NULL when @nullable is FALSE,
 * always valid UTF-8. */
static inline void
fuzz_check_string (const char *s,
                   gboolean    nullable)
{
  if (s == NULL)
    {
      g_assert_true (nullable);
      return;
    }
  g_assert_true (g_utf8_validate (s, -1, NULL));
}

G_END_DECLS
