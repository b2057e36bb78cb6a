/* abstain-json-scan.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "abstain-json-scan.h"

/* json-glib 1.6 parses recursively, wraps integers beyond 64 bits around,
 * accepts comments and single-quoted strings, and leaks what it built when
 * a second value follows the first or when a \u escape is half of a
 * surrogate pair. Every text from outside the process goes through this
 * scan first, which refuses all of that without building anything.
 *
 * The scan is not a validator: json-glib still has the last word. It only
 * guarantees that what it lets through is one object or array, nested no
 * deeper than asked, with nothing json-glib mishandles. */

/* All a JSON text may hold outside its strings, brackets aside. */
static const char json_outside_strings[] = " \t\r\n,:-+.0123456789eEtrufalsn";

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The four hex digits after "\u" at @pos, or -1. */
static int
read_hex4 (const char *data,
           gsize       length,
           gsize       pos)
{
  int value = 0;

  if (pos + 4 > length)
    return -1;

  for (gsize i = pos; i < pos + 4; i++)
    {
      int digit = g_ascii_xdigit_value (data[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }

  return value;
}

/* The escape starting with the backslash at *pos; on success *pos is left
 * on its last byte. */
static AbstainJsonScan
scan_escape (const char *data,
             gsize       length,
             gsize      *pos)
{
  gsize i = *pos + 1;
  int unit;

  if (i >= length)
    return ABSTAIN_JSON_SCAN_NOT_JSON;

  if (data[i] != 'u')
    {
      if (data[i] == '\0' || strchr ("\"\\/bfnrt", data[i]) == NULL)
        return ABSTAIN_JSON_SCAN_NOT_JSON;
      *pos = i;
      return ABSTAIN_JSON_SCAN_OK;
    }

  unit = read_hex4 (data, length, i + 1);
  if (unit < 0)
    return ABSTAIN_JSON_SCAN_NOT_JSON;
  if (unit == 0)
    return ABSTAIN_JSON_SCAN_NUL;
  i += 4;

  if (unit >= 0xDC00 && unit <= 0xDFFF)
    return ABSTAIN_JSON_SCAN_NOT_JSON;

  if (unit >= 0xD800 && unit <= 0xDBFF)
    {
      int low;

      if (i + 2 >= length || data[i + 1] != '\\' || data[i + 2] != 'u')
        return ABSTAIN_JSON_SCAN_NOT_JSON;
      low = read_hex4 (data, length, i + 3);
      if (low < 0xDC00 || low > 0xDFFF)
        return ABSTAIN_JSON_SCAN_NOT_JSON;
      i += 6;
    }

  *pos = i;
  return ABSTAIN_JSON_SCAN_OK;
}

/* The number starting at *pos; *pos is left on its last byte. */
static AbstainJsonScan
scan_number (const char *data,
             gsize       length,
             gsize      *pos)
{
  gsize start = *pos;
  gsize end = start;
  gboolean integer = TRUE;
  char buf[32];

  while (end < length && data[end] != '\0' && strchr ("-+0123456789.eE", data[end]) != NULL)
    {
      if (data[end] == '.' || data[end] == 'e' || data[end] == 'E')
        integer = FALSE;
      end++;
    }
  *pos = end - 1;

  if (!integer)
    return ABSTAIN_JSON_SCAN_OK;
  if (end - start >= sizeof buf)
    return ABSTAIN_JSON_SCAN_BAD_NUMBER;

  memcpy (buf, data + start, end - start);
  buf[end - start] = '\0';
  if (!g_ascii_string_to_signed (buf, 10, G_MININT64, G_MAXINT64, NULL, NULL))
    return ABSTAIN_JSON_SCAN_BAD_NUMBER;

  return ABSTAIN_JSON_SCAN_OK;
}

/**
 * abstain_json_scan:
 * @data: the text, not necessarily nul-terminated
 * @length: its length in bytes
 * @max_depth: the deepest nesting of arrays and objects allowed
 *
 * Walks @data once, before json-glib is given it. The text must be one
 * object or array, with only white space around it.
 *
 * Returns: %ABSTAIN_JSON_SCAN_OK, or what is wrong
 */
AbstainJsonScan
abstain_json_scan (const char *data,
                   gsize       length,
                   guint       max_depth)
{
  gboolean in_string = FALSE;
  gboolean started = FALSE;
  guint depth = 0;

  g_return_val_if_fail (data != NULL || length == 0, ABSTAIN_JSON_SCAN_NOT_JSON);

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];
      AbstainJsonScan result;

      if (in_string)
        {
          if (c == '\\')
            {
              if ((result = scan_escape (data, length, &i)) != ABSTAIN_JSON_SCAN_OK)
                return result;
            }
          else if (c == '"')
            in_string = FALSE;
          else if ((guchar) c < 0x20)
            return ABSTAIN_JSON_SCAN_NOT_JSON;
        }
      else if (is_space (c))
        continue;
      else if (started && depth == 0)
        return ABSTAIN_JSON_SCAN_NOT_JSON;
      else if (c == '[' || c == '{')
        {
          started = TRUE;
          if (++depth > max_depth)
            return ABSTAIN_JSON_SCAN_TOO_DEEP;
        }
      else if (!started)
        return ABSTAIN_JSON_SCAN_NOT_JSON;
      else if (c == ']' || c == '}')
        depth--;
      else if (c == '"')
        in_string = TRUE;
      else if (c == '-' || g_ascii_isdigit (c))
        {
          if ((result = scan_number (data, length, &i)) != ABSTAIN_JSON_SCAN_OK)
            return result;
        }
      else if (c == '\0' || strchr (json_outside_strings, c) == NULL)
        return ABSTAIN_JSON_SCAN_NOT_JSON;
    }

  if (!started || depth != 0 || in_string)
    return ABSTAIN_JSON_SCAN_NOT_JSON;

  return ABSTAIN_JSON_SCAN_OK;
}
