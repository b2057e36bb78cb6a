/* test-json-scan.c: what the scan lets through to json-glib and what not
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "abstain-json-scan.h"

typedef struct
{
  const char      *text;
  AbstainJsonScan  expected;
} Case;

static const Case cases[] = {
  /* What every file and answer looks like */
  { "{}", ABSTAIN_JSON_SCAN_OK },
  { " \r\n\t{ \"a\" : [1, -2.5e3, true, false, null, \"x\"] }\n", ABSTAIN_JSON_SCAN_OK },
  { "[{\"a\": {\"b\": []}}]", ABSTAIN_JSON_SCAN_OK },
  { "{\"brackets in text\": \"{{{{[[[[\"}", ABSTAIN_JSON_SCAN_OK },
  { "{\"escapes\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"}", ABSTAIN_JSON_SCAN_OK },
  { "{\"pair\": \"\\ud83d\\ude00\"}", ABSTAIN_JSON_SCAN_OK },
  { "{\"n\": 9223372036854775807, \"m\": -9223372036854775808}", ABSTAIN_JSON_SCAN_OK },
  { "{\"big float\": 1e400}", ABSTAIN_JSON_SCAN_OK },

  /* json-glib leaks what it built on these */
  { "{} {}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "[]{}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{}}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\ud800\\u0041\"}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\udc00\\ud800\"}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\ud800\"}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\udfff\"}", ABSTAIN_JSON_SCAN_NOT_JSON },

  /* json-glib reads these, JSON does not allow them */
  { "{'a': 1}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{/* [[[[ */}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{} // x", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\x41\"}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\u00g0\"}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"\\u00\"}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"tab\there\"}", ABSTAIN_JSON_SCAN_NOT_JSON },

  /* Not one object or array */
  { "", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "   ", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "1", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "\"text\"", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "null", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"unterminated}", ABSTAIN_JSON_SCAN_NOT_JSON },
  { "{\"a\": \"ends in a backslash\\", ABSTAIN_JSON_SCAN_NOT_JSON },

  /* What json-glib mishandles in other ways */
  { "{\"n\": 9223372036854775808}", ABSTAIN_JSON_SCAN_BAD_NUMBER },
  { "{\"n\": -9223372036854775809}", ABSTAIN_JSON_SCAN_BAD_NUMBER },
  { "{\"n\": 123456789012345678901234567890123}", ABSTAIN_JSON_SCAN_BAD_NUMBER },
  { "{\"a\": \"cut\\u0000short\"}", ABSTAIN_JSON_SCAN_NUL },
};

static void
test_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *text = cases[i].text;

      g_test_message ("%s", text);
      g_assert_cmpint (abstain_json_scan (text, strlen (text), 8), ==, cases[i].expected);

      /* What passes the scan is JSON that json-glib reads. */
      if (cases[i].expected == ABSTAIN_JSON_SCAN_OK)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
        }
    }
}

static void
test_depth (void)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < 8; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < 8; i++)
    g_string_append_c (text, ']');
  g_assert_cmpint (abstain_json_scan (text->str, text->len, 8), ==, ABSTAIN_JSON_SCAN_OK);
  g_assert_cmpint (abstain_json_scan (text->str, text->len, 7), ==, ABSTAIN_JSON_SCAN_TOO_DEEP);

  /* Brackets inside strings do not count. */
  g_string_assign (text, "[\"[[[[[[[[[[[[[[[[\"]");
  g_assert_cmpint (abstain_json_scan (text->str, text->len, 1), ==, ABSTAIN_JSON_SCAN_OK);
}

static void
test_length (void)
{
  const char text[] = "{\"a\": 1}{\"b\": 2}";

  /* Only the given length is read: no terminating NUL is needed, and what
   * follows it is not looked at. */
  g_assert_cmpint (abstain_json_scan (text, 8, 8), ==, ABSTAIN_JSON_SCAN_OK);
  g_assert_cmpint (abstain_json_scan (text, sizeof text - 1, 8), ==, ABSTAIN_JSON_SCAN_NOT_JSON);
  g_assert_cmpint (abstain_json_scan (text, 7, 8), ==, ABSTAIN_JSON_SCAN_NOT_JSON);

  /* A NUL byte outside a string is not JSON. */
  g_assert_cmpint (abstain_json_scan ("{}\0{}", 5, 8), ==, ABSTAIN_JSON_SCAN_NOT_JSON);
  g_assert_cmpint (abstain_json_scan ("{\"a\0\": 1}", 9, 8), ==, ABSTAIN_JSON_SCAN_NOT_JSON);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/abstain/json-scan/cases", test_cases);
  g_test_add_func ("/abstain/json-scan/depth", test_depth);
  g_test_add_func ("/abstain/json-scan/length", test_length);

  return g_test_run ();
}
