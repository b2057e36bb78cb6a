/* fuzz-store.c: the state folder's files through abstain_store_load_async()
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store reads its files only from a folder, so each input becomes one
 * file of a folder in memory (/dev/shm when there is one): the first byte
 * picks the file (accounts.json, state.json, outbox.json or history.json),
 * the rest is its content. The other files are a fixed, valid accounts.json
 * (so that state, outbox and history entries can name a known account) or
 * absent. What loads must save and load again with no problem and the same
 * content: the store never loses what it accepted.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "abstain-error.h"
#include "abstain-store.h"
#include "fuzz-common.h"

static const char *const file_names[] = {
  "accounts.json", "state.json", "outbox.json", "history.json",
};

static const char accounts_json[] =
  "{\"version\":1,\"accounts\":[{\"server\":\"http://127.0.0.1:8080\","
  "\"id\":\"acc_5kq2\",\"email\":\"ada@example.org\",\"display_name\":\"Ada Lovelace\","
  "\"plan\":\"free\",\"organizations\":[{\"id\":\"org_9w1\",\"name\":\"Analytical Engines\","
  "\"role\":\"admin\"}]}]}";

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
write_file (const char *name,
            const void *data,
            gsize       size)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, size ? data : "", size, &error);
  g_assert_no_error (error);
}

static void
on_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* Loads the folder; returns the number of problems. */
static guint
load (AbstainStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;

  abstain_store_load_async (store, NULL, on_done, &result);
  g_assert_true (abstain_store_load_finish (store, wait_for (&result), &problems, &error));
  g_assert_no_error (error);

  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      const GError *problem = g_ptr_array_index (problems, i);

      g_assert_true (problem->domain == ABSTAIN_ERROR);
      g_assert_true (g_utf8_validate (problem->message, -1, NULL));
    }

  return problems != NULL ? problems->len : 0;
}

static void
save (AbstainStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  abstain_store_save_async (store, ABSTAIN_STORE_ALL, NULL, on_done, &result);
  g_assert_true (abstain_store_save_finish (store, wait_for (&result), &error));
  g_assert_no_error (error);
}

/* A digest of what the store holds, to compare before and after a save. */
static char *
describe (AbstainStore *store)
{
  GPtrArray *accounts = abstain_store_get_accounts (store);
  GPtrArray *outbox = abstain_store_get_outbox (store);
  GPtrArray *history = abstain_store_get_history (store);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < accounts->len; i++)
    {
      AbstainStoreAccount *account = g_ptr_array_index (accounts, i);

      g_assert_nonnull (account->server);
      g_assert_nonnull (account->account);
      g_string_append_printf (out, "account %s %s %s orgs=%u etag=%s verified=%" G_GINT64_FORMAT "\n",
                              account->server, account->account->id, account->account->email,
                              account->account->organizations->len,
                              account->list_etag ? account->list_etag : "-",
                              account->last_verified);
      for (guint j = 0; account->controls != NULL && j < account->controls->len; j++)
        {
          const AbstainControlData *control = g_ptr_array_index (account->controls, j);

          g_string_append_printf (out, "  control %s %s %d %d rev=%" G_GINT64_FORMAT " %s\n",
                                  control->id, control->kind, control->enabled,
                                  control->editable, control->revision, control->updated_at);
        }
    }
  for (guint i = 0; i < outbox->len; i++)
    {
      AbstainOutboxEntry *entry = g_ptr_array_index (outbox, i);

      g_string_append_printf (out, "outbox %s %s %s %s %d attempts=%u at=%" G_GINT64_FORMAT "\n",
                              entry->server, entry->account_id, entry->control_id,
                              entry->idempotency_key, entry->enabled, entry->attempts,
                              entry->created_at);
    }
  for (guint i = 0; i < history->len; i++)
    {
      AbstainHistoryEvent *event = g_ptr_array_index (history, i);
      g_autofree char *at = g_date_time_format_iso8601 (abstain_history_event_get_at (event));

      g_string_append_printf (out, "event %s %s %d %d %s %s\n",
                              abstain_history_event_get_control_id (event),
                              abstain_history_event_get_kind (event),
                              abstain_history_event_get_from (event),
                              abstain_history_event_get_to (event),
                              at, abstain_history_event_get_source (event));
    }

  return g_string_free (out, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(AbstainStore) store = NULL;
  g_autoptr(AbstainStore) again = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint which;

  fuzz_init ();
  if (folder == NULL)
    {
      const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : g_get_tmp_dir ();
      g_autofree char *template = g_build_filename (base, "abstain-fuzz-store-XXXXXX", NULL);

      folder = g_mkdtemp (g_steal_pointer (&template));
      g_assert_nonnull (folder);
      atexit (remove_folder);
    }

  if (size == 0)
    return 0;

  empty_folder ();
  which = data[0] % G_N_ELEMENTS (file_names);
  if (which != 0)
    write_file ("accounts.json", accounts_json, sizeof accounts_json - 1);
  write_file (file_names[which], data + 1, size - 1);

  store = abstain_store_new (folder);
  load (store);
  before = describe (store);

  /* What was accepted survives a save and a load unchanged. */
  save (store);
  again = abstain_store_new (folder);
  g_assert_cmpuint (load (again), ==, 0);
  after = describe (again);
  g_assert_cmpstr (before, ==, after);

  return 0;
}
