/* test-protocol.c: the protocol's parsers against valid and hostile bodies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "abstain-error.h"
#include "abstain-protocol.h"

#define CONTROL_CHAT \
  "{\"id\":\"ctl_chat_training\",\"kind\":\"chat.training\",\"product\":\"le_chat\"," \
  "\"scope\":\"account\",\"organization_id\":null," \
  "\"title\":\"Use my conversations to improve models\"," \
  "\"description\":\"Prompts, answers and the documents you upload.\"," \
  "\"enabled\":true,\"editable\":true,\"locked_reason\":null,\"revision\":7," \
  "\"updated_at\":\"2026-11-28T09:14:03Z\"}"

#define CONTROL_API \
  "{\"id\":\"ctl_api_9w1\",\"kind\":\"api.anonymous_improvement\",\"product\":\"la_plateforme\"," \
  "\"scope\":\"organization\",\"organization_id\":\"org_9w1\"," \
  "\"title\":\"Anonymous improvement data\"," \
  "\"description\":\"Let API calls of this organization improve the services.\"," \
  "\"enabled\":false,\"editable\":false,\"locked_reason\":\"role\",\"revision\":2," \
  "\"updated_at\":\"2026-11-02T17:40:11+01:00\"}"

#define ACCOUNT \
  "{\"id\":\"acc_5kq2\",\"email\":\"ada@example.org\",\"display_name\":\"Ada Lovelace\"," \
  "\"plan\":\"free\",\"organizations\":[{\"id\":\"org_9w1\",\"name\":\"Analytical Engines\"," \
  "\"role\":\"admin\"}]}"

#define CONTROLS "{\"revision\":41,\"controls\":[" CONTROL_CHAT "," CONTROL_API "]}"

#define HISTORY \
  "{\"events\":[{\"control_id\":\"ctl_chat_training\",\"kind\":\"chat.training\"," \
  "\"from\":true,\"to\":false,\"at\":\"2026-11-28T09:14:03Z\",\"source\":\"desktop\"}]}"

#define ERROR_BODY \
  "{\"error\":{\"code\":\"locked\",\"message\":\"This control is locked.\"," \
  "\"control\":" CONTROL_API "}}"

#define DEVICE \
  "{\"device_code\":\"dev_abcdefghijklmnopqrstuvwx\",\"user_code\":\"WDJB-MJHT\"," \
  "\"verification_uri\":\"https://example.org/device\"," \
  "\"verification_uri_complete\":\"https://example.org/device?user_code=WDJB-MJHT\"," \
  "\"expires_in\":600,\"interval\":5}"

#define OAUTH_ERROR \
  "{\"error\":\"authorization_pending\",\"error_description\":\"Not yet.\"}"

#define TOKEN \
  "{\"access_token\":\"at_0123456789abcdef\",\"token_type\":\"Bearer\",\"expires_in\":3600," \
  "\"refresh_token\":\"rt_0123456789abcdef\"}"

typedef gpointer (*ParseFunc) (const char  *data,
                               gsize        length,
                               GError     **error);

typedef struct
{
  const char        *name;
  ParseFunc          parse;
  GDestroyNotify     free_func;
  const char        *valid;
  const char *const *optional; /* members that may be absent */
  const char *const *ignored;  /* members the parser does not read */
} Parser;

static const char *const control_optional[] = { "organization_id", "locked_reason", NULL };
static const char *const error_optional[] = {
  "message", "control", "organization_id", "locked_reason", NULL
};
static const char *const device_optional[] = { "verification_uri_complete", "interval", NULL };
static const char *const token_optional[] = { "refresh_token", "expires_in", NULL };
static const char *const oauth_ignored[] = { "error_description", NULL };
static const char *const none[] = { NULL };

static void
ptr_array_unref (gpointer data)
{
  g_ptr_array_unref (data);
}

static const Parser parsers[] = {
  { "account", (ParseFunc) abstain_protocol_parse_account,
    (GDestroyNotify) abstain_account_data_free, ACCOUNT, none, none },
  { "controls", (ParseFunc) abstain_protocol_parse_controls,
    (GDestroyNotify) abstain_control_list_free, CONTROLS, control_optional, none },
  { "control", (ParseFunc) abstain_protocol_parse_control,
    (GDestroyNotify) abstain_control_data_free, CONTROL_CHAT, control_optional, none },
  { "history", (ParseFunc) abstain_protocol_parse_history,
    ptr_array_unref, HISTORY, none, none },
  { "error", (ParseFunc) abstain_protocol_parse_error,
    (GDestroyNotify) abstain_error_body_free, ERROR_BODY, error_optional, none },
  { "device", (ParseFunc) abstain_protocol_parse_device_auth,
    (GDestroyNotify) abstain_device_authorization_free, DEVICE, device_optional, none },
  { "oauth-error", (ParseFunc) abstain_protocol_parse_oauth_error,
    g_free, OAUTH_ERROR, none, oauth_ignored },
  { "token", (ParseFunc) abstain_protocol_parse_token,
    (GDestroyNotify) abstain_token_data_free, TOKEN, token_optional, none },
};

/* Parses @data with @parser; asserts a clear protocol error when it fails. */
static gboolean
try_parse (const Parser *parser,
           const char   *data,
           gsize         length)
{
  g_autoptr(GError) error = NULL;
  gpointer result = parser->parse (data, length, &error);

  if (result == NULL)
    {
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      g_assert_cmpuint (strlen (error->message), >, 10);
      return FALSE;
    }

  g_assert_no_error (error);
  parser->free_func (result);
  return TRUE;
}

static void
assert_refused (const Parser *parser,
                const char   *data,
                gsize         length,
                const char   *what)
{
  if (try_parse (parser, data, length))
    g_error ("parser %s accepted %s", parser->name, what);
}

static char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

/* Hostile bodies every parser refuses */

static void
test_hostile_common (void)
{
  static const char *const bodies[] = {
    "", " ", "{", "}", "[]", "[{}]", "null", "true", "42", "\"text\"", "{}",
    "{\"a\":}", "{\"a\" 1}", "{'a':1}", "{\"a\":1,}", "\xef\xbb\xbf{}",
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1></body></html>\n",
    "Internal Server Error",
    "{\"error\":\"\xff\xfe\"}", "{\"id\":\"acc_\xc3\x28\"}", "{\"a\":\"\xed\xa0\x80\"}",
    /* json-glib takes comments and single quotes: they must not hide nesting. */
    "{\"a\":['\"',[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    "{\"a\":/* \" */[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]/* \" */}",
    "{\"a\":1} // \"", "{\"a\":'x'}", "{\"a\":1,/**/\"b\":2}", "{\"a\":undefined}",
  };
  g_autofree char *open_deep = repeat ('[', 100000);
  g_autofree char *objects_deep = NULL;
  g_autoptr(GString) big = g_string_new ("{\"padding\":\"");

  while (big->len < 2 * 1024 * 1024)
    g_string_append (big, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_string_append (big, "\"}");

  {
    GString *s = g_string_new (NULL);

    for (guint i = 0; i < 100000; i++)
      g_string_append (s, "{\"a\":");
    g_string_append (s, "1");
    for (guint i = 0; i < 100000; i++)
      g_string_append_c (s, '}');
    objects_deep = g_string_free (s, FALSE);
  }

  for (guint p = 0; p < G_N_ELEMENTS (parsers); p++)
    {
      const Parser *parser = &parsers[p];
      gsize valid_len = strlen (parser->valid);

      for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
        assert_refused (parser, bodies[i], strlen (bodies[i]), bodies[i]);

      assert_refused (parser, open_deep, strlen (open_deep), "100000 levels of [");
      assert_refused (parser, objects_deep, strlen (objects_deep), "100000 levels of {");
      assert_refused (parser, big->str, big->len, "a 2 MiB body");
      assert_refused (parser, NULL, 0, "no body");

      /* Every truncation of the valid body, and the valid body with a NUL. */
      for (gsize cut = 0; cut < valid_len; cut++)
        assert_refused (parser, parser->valid, cut, "a truncated body");
      {
        g_autofree char *with_nul = g_strdup (parser->valid);

        with_nul[valid_len / 2] = '\0';
        assert_refused (parser, with_nul, valid_len, "a body with a NUL byte");
      }
    }
}

/* Structural mutations of each valid body */

typedef enum
{
  MUTATE_WRONG_TYPE,
  MUTATE_REMOVE,
  MUTATE_ADD_UNKNOWN,
} Mutation;

static JsonNode *
wrong_type (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node))
    return json_node_init_string (json_node_alloc (), "not a container");
  if (JSON_NODE_HOLDS_NULL (node))
    return json_node_init_boolean (json_node_alloc (), TRUE);
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_init_int (json_node_alloc (), 42);
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_init_string (json_node_alloc (), "true");

  return json_node_init_string (json_node_alloc (), "7");
}

/* Applies @mutation to the @n-th member (depth first) of the tree under
 * @node; returns TRUE when there was one, with its name in @out_name. */
static gboolean
mutate_nth (JsonNode     *node,
            guint        *n,
            Mutation      mutation,
            const char  **out_name)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GList) names = json_object_get_members (obj);

      if (mutation == MUTATE_ADD_UNKNOWN && (*n)-- == 0)
        {
          json_object_set_member (obj, "x_future_member",
                                  json_from_string ("{\"nested\":[1,2.5,\"x\",null]}", NULL));
          *out_name = "(added)";
          return TRUE;
        }

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *member = json_object_get_member (obj, l->data);

          if (mutation != MUTATE_ADD_UNKNOWN && (*n)-- == 0)
            {
              *out_name = g_intern_string (l->data);
              if (mutation == MUTATE_REMOVE)
                json_object_remove_member (obj, l->data);
              else
                json_object_set_member (obj, l->data, wrong_type (member));
              return TRUE;
            }
          if (mutate_nth (member, n, mutation, out_name))
            return TRUE;
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (mutate_nth (json_array_get_element (array, i), n, mutation, out_name))
          return TRUE;
    }

  return FALSE;
}

static gboolean
expect_accepted (const Parser *parser,
                 Mutation      mutation,
                 const char   *name)
{
  if (mutation == MUTATE_ADD_UNKNOWN || g_strv_contains (parser->ignored, name))
    return TRUE;
  if (mutation == MUTATE_REMOVE)
    return g_strv_contains (parser->optional, name);

  return FALSE;
}

static void
run_mutations (const Parser *parser,
               Mutation      mutation)
{
  for (guint i = 0;; i++)
    {
      g_autoptr(JsonNode) root = json_from_string (parser->valid, NULL);
      g_autofree char *text = NULL;
      const char *name = NULL;
      guint n = i;
      gboolean accepted;

      g_assert_nonnull (root);
      if (!mutate_nth (root, &n, mutation, &name))
        {
          g_assert_cmpuint (i, >, 0);
          return;
        }

      text = json_to_string (root, FALSE);
      accepted = try_parse (parser, text, strlen (text));
      if (accepted != expect_accepted (parser, mutation, name))
        g_error ("parser %s %s %s (mutation %d of “%s”)", parser->name,
                 accepted ? "accepted" : "refused", text, mutation, name);
    }
}

static void
test_mutations (void)
{
  for (guint p = 0; p < G_N_ELEMENTS (parsers); p++)
    {
      g_assert_true (try_parse (&parsers[p], parsers[p].valid, strlen (parsers[p].valid)));
      run_mutations (&parsers[p], MUTATE_WRONG_TYPE);
      run_mutations (&parsers[p], MUTATE_REMOVE);
      run_mutations (&parsers[p], MUTATE_ADD_UNKNOWN);
    }
}

/* Bad values of the right type */

typedef struct
{
  const char *body;
  gboolean    accepted;
} Case;

static void
run_cases (const Parser *parser,
           const Case   *cases,
           gsize         n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      gboolean accepted = try_parse (parser, cases[i].body, strlen (cases[i].body));

      if (accepted != cases[i].accepted)
        g_error ("parser %s %s %s", parser->name, accepted ? "accepted" : "refused",
                 cases[i].body);
    }
}

#define CONTROL_WITH(members) \
  "{\"id\":\"c\",\"kind\":\"k\",\"product\":\"p\",\"scope\":\"account\"," \
  "\"title\":\"T\",\"description\":\"D\",\"enabled\":true,\"editable\":true," members "}"

static void
test_control_values (void)
{
  static const Case cases[] = {
    { CONTROL_WITH ("\"revision\":0,\"updated_at\":\"2026-11-28T09:14:03Z\""), TRUE },
    { CONTROL_WITH ("\"revision\":9223372036854775807,\"updated_at\":\"2026-11-28T09:14:03Z\""), TRUE },
    { CONTROL_WITH ("\"revision\":-1,\"updated_at\":\"2026-11-28T09:14:03Z\""), FALSE },
    { CONTROL_WITH ("\"revision\":1.5,\"updated_at\":\"2026-11-28T09:14:03Z\""), FALSE },
    { CONTROL_WITH ("\"revision\":1e400,\"updated_at\":\"2026-11-28T09:14:03Z\""), FALSE },
    { CONTROL_WITH ("\"revision\":99999999999999999999999999,\"updated_at\":\"2026-11-28T09:14:03Z\""), FALSE },
    { CONTROL_WITH ("\"revision\":-99999999999999999999999999,\"updated_at\":\"2026-11-28T09:14:03Z\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"yesterday\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"2026-13-45T09:14:03Z\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"2026-11-28T09:14:03Z\",\"id\":\"\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"2026-11-28T09:14:03Z\",\"id\":\"a b\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"2026-11-28T09:14:03Z\",\"title\":\"a\\u0000b\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"2026-11-28T09:14:03Z\",\"title\":\"l\\nine\""), FALSE },
    { CONTROL_WITH ("\"revision\":1,\"updated_at\":\"2026-11-28T09:14:03Z\",\"title\":\"caf\\u00e9 \xe2\x80\x9cq\xe2\x80\x9d\""), TRUE },
    /* Duplicate keys: whichever wins, the result is checked. */
    { CONTROL_WITH ("\"revision\":1,\"revision\":2,\"updated_at\":\"2026-11-28T09:14:03Z\""), TRUE },
    { CONTROL_WITH ("\"revision\":1,\"revision\":\"2\",\"updated_at\":\"2026-11-28T09:14:03Z\""), FALSE },
  };
  g_autofree char *long_id = repeat ('a', 257);
  g_autofree char *body = g_strdup_printf (CONTROL_WITH ("\"revision\":1,\"updated_at\":"
                                                         "\"2026-11-28T09:14:03Z\",\"id\":\"%s\""),
                                           long_id);

  run_cases (&parsers[2], cases, G_N_ELEMENTS (cases));
  g_assert_false (try_parse (&parsers[2], body, strlen (body)));
}

static void
test_oauth_values (void)
{
  static const Case device_cases[] = {
    { "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x.org/d\","
      "\"expires_in\":600}", TRUE },
    { "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"ftp://x.org/d\","
      "\"expires_in\":600}", FALSE },
    { "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"not a uri\","
      "\"expires_in\":600}", FALSE },
    { "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x.org/d\","
      "\"expires_in\":0}", FALSE },
    { "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x.org/d\","
      "\"expires_in\":600,\"interval\":-5}", FALSE },
    { "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://x.org/d\","
      "\"expires_in\":600,\"interval\":4294967296}", FALSE },
  };
  static const Case token_cases[] = {
    { "{\"access_token\":\"short\",\"token_type\":\"Bearer\"}", FALSE },
    { "{\"access_token\":\"0123456789abcdef\",\"token_type\":\"bearer\"}", TRUE },
    { "{\"access_token\":\"0123456789abcdef\",\"token_type\":\"MAC\"}", FALSE },
    { "{\"access_token\":\"0123456789 abcdef\",\"token_type\":\"Bearer\"}", FALSE },
    { "{\"access_token\":\"0123456789abcdef\",\"token_type\":\"Bearer\",\"expires_in\":-1}", FALSE },
    { "{\"access_token\":\"0123456789abcdef\",\"token_type\":\"Bearer\",\"refresh_token\":null}", TRUE },
  };

  run_cases (&parsers[5], device_cases, G_N_ELEMENTS (device_cases));
  run_cases (&parsers[7], token_cases, G_N_ELEMENTS (token_cases));
}

/* Valid bodies, read field by field */

static void
test_valid_account (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainAccountData) account =
    abstain_protocol_parse_account (ACCOUNT, strlen (ACCOUNT), &error);
  AbstainOrganizationData *org;

  g_assert_no_error (error);
  g_assert_cmpstr (account->id, ==, "acc_5kq2");
  g_assert_cmpstr (account->email, ==, "ada@example.org");
  g_assert_cmpstr (account->display_name, ==, "Ada Lovelace");
  g_assert_cmpstr (account->plan, ==, "free");
  g_assert_cmpuint (account->organizations->len, ==, 1);
  org = g_ptr_array_index (account->organizations, 0);
  g_assert_cmpstr (org->id, ==, "org_9w1");
  g_assert_cmpstr (org->name, ==, "Analytical Engines");
  g_assert_cmpstr (org->role, ==, "admin");
}

static void
test_valid_controls (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AbstainControlList) list =
    abstain_protocol_parse_controls (CONTROLS, strlen (CONTROLS), &error);
  g_autoptr(AbstainControlData) copy = NULL;
  AbstainControlData *chat, *api;

  g_assert_no_error (error);
  g_assert_cmpint (list->revision, ==, 41);
  g_assert_cmpuint (list->controls->len, ==, 2);
  chat = g_ptr_array_index (list->controls, 0);
  api = g_ptr_array_index (list->controls, 1);
  g_assert_cmpstr (chat->id, ==, "ctl_chat_training");
  g_assert_cmpstr (chat->kind, ==, "chat.training");
  g_assert_cmpstr (chat->product, ==, "le_chat");
  g_assert_cmpstr (chat->scope, ==, "account");
  g_assert_null (chat->organization_id);
  g_assert_true (chat->enabled);
  g_assert_true (chat->editable);
  g_assert_null (chat->locked_reason);
  g_assert_cmpint (chat->revision, ==, 7);
  g_assert_cmpstr (chat->updated_at, ==, "2026-11-28T09:14:03Z");
  g_assert_cmpstr (chat->etag, ==, "\"ctl_chat_training-7\"");
  g_assert_cmpstr (api->organization_id, ==, "org_9w1");
  g_assert_false (api->enabled);
  g_assert_false (api->editable);
  g_assert_cmpstr (api->locked_reason, ==, "role");
  g_assert_cmpstr (api->title, ==, "Anonymous improvement data");

  copy = abstain_control_data_copy (api);
  g_assert_cmpstr (copy->locked_reason, ==, "role");
  g_assert_cmpstr (copy->etag, ==, "\"ctl_api_9w1-2\"");
  g_assert_cmpint (copy->revision, ==, 2);
}

static void
test_valid_others (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) history = abstain_protocol_parse_history (HISTORY, strlen (HISTORY), &error);
  g_autoptr(AbstainErrorBody) body = NULL;
  g_autoptr(AbstainDeviceAuthorization) device = NULL;
  g_autoptr(AbstainTokenData) token = NULL;
  g_autofree char *oauth = NULL;
  AbstainHistoryData *event;

  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  event = g_ptr_array_index (history, 0);
  g_assert_cmpstr (event->control_id, ==, "ctl_chat_training");
  g_assert_true (event->from);
  g_assert_false (event->to);
  g_assert_cmpstr (event->source, ==, "desktop");

  body = abstain_protocol_parse_error (ERROR_BODY, strlen (ERROR_BODY), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body->code, ==, "locked");
  g_assert_cmpstr (body->control->id, ==, "ctl_api_9w1");

  device = abstain_protocol_parse_device_auth (DEVICE, strlen (DEVICE), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->user_code, ==, "WDJB-MJHT");
  g_assert_cmpuint (device->expires_in, ==, 600);
  g_assert_cmpuint (device->interval, ==, 5);

  oauth = abstain_protocol_parse_oauth_error (OAUTH_ERROR, strlen (OAUTH_ERROR), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (oauth, ==, "authorization_pending");

  token = abstain_protocol_parse_token (TOKEN, strlen (TOKEN), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token->access_token, ==, "at_0123456789abcdef");
  g_assert_cmpstr (token->refresh_token, ==, "rt_0123456789abcdef");
  g_assert_cmpint (token->expires_in, ==, 3600);
}

/* The byte-level checks */

static char *
nested (guint       levels,
        const char *open,
        const char *inner,
        const char *close)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < levels; i++)
    g_string_append (s, open);
  g_string_append (s, inner);
  for (guint i = 0; i < levels; i++)
    g_string_append (s, close);

  return g_string_free (s, FALSE);
}

static void
test_check_body (void)
{
  static const char *const not_json[] = {
    "['\"',[1]]", "[/* \" */1]", "[1] // \"", "{'a':1}", "[1,/**/2]", "[undefined]", "[#]",
  };
  g_autofree char *at_limit = nested (ABSTAIN_PROTOCOL_MAX_DEPTH, "[", "1", "]");
  g_autofree char *over = nested (ABSTAIN_PROTOCOL_MAX_DEPTH + 1, "{\"a\":", "1", "}");
  g_autofree char *brackets = repeat ('[', 1000);
  g_autofree char *braces = repeat ('{', 1000);
  g_autofree char *in_string = g_strdup_printf ("{\"a\":\"%s\\\"%s\"}", brackets, braces);
  g_autofree char *max = g_malloc (ABSTAIN_PROTOCOL_MAX_BODY + 1);
  g_autoptr(GError) error = NULL;

  g_assert_true (abstain_protocol_check_body (at_limit, strlen (at_limit), NULL));
  g_assert_false (abstain_protocol_check_body (over, strlen (over), &error));
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
  g_clear_error (&error);
  /* Brackets inside strings (with an escaped quote) are not nesting. */
  g_assert_true (abstain_protocol_check_body (in_string, strlen (in_string), NULL));
  /* What json-glib takes but JSON does not, which could hide nesting. */
  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_assert_false (abstain_protocol_check_body (not_json[i], strlen (not_json[i]), &error));
      g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
      g_clear_error (&error);
    }

  memset (max, ' ', ABSTAIN_PROTOCOL_MAX_BODY + 1);
  max[0] = '{';
  max[ABSTAIN_PROTOCOL_MAX_BODY - 1] = '}';
  g_assert_true (abstain_protocol_check_body (max, ABSTAIN_PROTOCOL_MAX_BODY, NULL));
  g_assert_false (abstain_protocol_check_body (max, ABSTAIN_PROTOCOL_MAX_BODY + 1, &error));
  g_assert_error (error, ABSTAIN_ERROR, ABSTAIN_ERROR_PROTOCOL);
}

static void
test_token_is_valid (void)
{
  g_autofree char *longest = repeat ('t', 512);
  g_autofree char *too_long = repeat ('t', 513);

  g_assert_true (abstain_protocol_token_is_valid ("0123456789abcdef"));
  g_assert_true (abstain_protocol_token_is_valid (longest));
  g_assert_false (abstain_protocol_token_is_valid (too_long));
  g_assert_false (abstain_protocol_token_is_valid ("0123456789abcde"));
  g_assert_false (abstain_protocol_token_is_valid ("0123456789 abcdef"));
  g_assert_false (abstain_protocol_token_is_valid ("0123456789abcdef\n"));
  g_assert_false (abstain_protocol_token_is_valid ("0123456789abcdef\xc3\xa9"));
  g_assert_false (abstain_protocol_token_is_valid (""));
  g_assert_false (abstain_protocol_token_is_valid (NULL));
}

/* The error domain */

static void
test_errors (void)
{
  g_autoptr(GError) limited = abstain_error_new_rate_limited (7);
  g_autoptr(GError) clamped = abstain_error_new_rate_limited (100000);
  g_autoptr(GError) no_hint = abstain_error_new_rate_limited (0);
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) other = g_error_new_literal (ABSTAIN_ERROR, ABSTAIN_ERROR_SERVER, "x");
  g_autoptr(GError) foreign = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

  g_assert_error (limited, ABSTAIN_ERROR, ABSTAIN_ERROR_RATE_LIMITED);
  g_assert_cmpuint (abstain_error_get_retry_after (limited), ==, 7);
  g_assert_nonnull (strstr (limited->message, "7"));
  g_assert_cmpuint (abstain_error_get_retry_after (clamped), ==, 3600);
  g_assert_cmpuint (abstain_error_get_retry_after (no_hint), ==, 0);
  g_assert_cmpuint (abstain_error_get_retry_after (other), ==, 0);
  g_assert_cmpuint (abstain_error_get_retry_after (foreign), ==, 0);
  g_assert_cmpuint (abstain_error_get_retry_after (NULL), ==, 0);

  /* The hint survives a copy (the GError travels through GTask and queues). */
  copy = g_error_copy (limited);
  g_assert_cmpuint (abstain_error_get_retry_after (copy), ==, 7);

  g_assert_true (abstain_error_is_transient (limited));
  g_assert_true (abstain_error_is_transient (other));
  g_assert_false (abstain_error_is_transient (foreign));
  g_assert_false (abstain_error_is_transient (NULL));
  for (int code = ABSTAIN_ERROR_OFFLINE; code <= ABSTAIN_ERROR_DEVICE_EXPIRED; code++)
    {
      g_autoptr(GError) e = g_error_new_literal (ABSTAIN_ERROR, code, "x");
      gboolean transient = code == ABSTAIN_ERROR_OFFLINE || code == ABSTAIN_ERROR_TIMEOUT ||
                           code == ABSTAIN_ERROR_RATE_LIMITED || code == ABSTAIN_ERROR_SERVER;

      g_assert_cmpint (abstain_error_is_transient (e), ==, transient);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/abstain/protocol/hostile/common", test_hostile_common);
  g_test_add_func ("/abstain/protocol/hostile/mutations", test_mutations);
  g_test_add_func ("/abstain/protocol/hostile/control-values", test_control_values);
  g_test_add_func ("/abstain/protocol/hostile/oauth-values", test_oauth_values);
  g_test_add_func ("/abstain/protocol/valid/account", test_valid_account);
  g_test_add_func ("/abstain/protocol/valid/controls", test_valid_controls);
  g_test_add_func ("/abstain/protocol/valid/others", test_valid_others);
  g_test_add_func ("/abstain/protocol/check-body", test_check_body);
  g_test_add_func ("/abstain/protocol/token-is-valid", test_token_is_valid);
  g_test_add_func ("/abstain/protocol/errors", test_errors);

  return g_test_run ();
}
