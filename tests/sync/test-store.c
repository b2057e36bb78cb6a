/* test-store.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "abstain-error.h"
#include "abstain-history-private.h"
#include "abstain-store.h"
#include "sync-test-util.h"

#define SERVER "https://controls.example.org"

static AbstainAccountData *
make_account (const char *id)
{
  AbstainAccountData *data = g_new0 (AbstainAccountData, 1);
  AbstainOrganizationData *org = g_new0 (AbstainOrganizationData, 1);

  data->id = g_strdup (id);
  data->email = g_strdup ("ada@example.org");
  data->display_name = g_strdup ("Ada Lovelace");
  data->plan = g_strdup ("free");
  data->organizations =
    g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_organization_data_free);
  org->id = g_strdup ("org_9w1");
  org->name = g_strdup ("Analytical Engines");
  org->role = g_strdup ("admin");
  g_ptr_array_add (data->organizations, org);

  return data;
}

static GPtrArray *
make_controls (void)
{
  GPtrArray *controls = g_ptr_array_new_with_free_func ((GDestroyNotify)abstain_control_data_free);
  AbstainControlData *control = g_new0 (AbstainControlData, 1);

  control->id = g_strdup ("ctl_chat_training");
  control->kind = g_strdup ("chat.training");
  control->product = g_strdup ("le_chat");
  control->scope = g_strdup ("account");
  control->title = g_strdup ("Use my conversations to improve models");
  control->description = g_strdup ("Prompts, answers and the documents you upload.");
  control->enabled = TRUE;
  control->editable = TRUE;
  control->revision = 7;
  control->updated_at = g_strdup ("2026-11-28T09:14:03Z");
  control->etag = g_strdup ("\"ctl_chat_training-7\"");
  g_ptr_array_add (controls, control);

  return controls;
}

static void
save_store (AbstainStore      *store,
            AbstainStoreFiles  files)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;

  abstain_store_save_async (store, files, NULL, sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, 10000);
  g_assert_true (abstain_store_save_finish (store, result, &error));
  g_assert_no_error (error);
}

static AbstainStore *
load_store (const char  *dir,
            GPtrArray  **out_problems)
{
  AbstainStore *store = abstain_store_new (dir);
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *problems = NULL;

  abstain_store_load_async (store, NULL, sync_test_store_result, &slot);
  result = sync_test_wait_result (&slot, 10000);
  g_assert_true (abstain_store_load_finish (store, result, &problems, &error));
  g_assert_no_error (error);

  if (out_problems)
    *out_problems = problems;
  else
    {
      g_assert_cmpuint (problems->len, ==, 0);
      g_ptr_array_unref (problems);
    }

  return store;
}

static AbstainStore *
fill_store (const char *dir)
{
  AbstainStore *store = abstain_store_new (dir);
  g_autoptr(AbstainAccountData) account = make_account ("acc_5kq2");
  g_autoptr(GPtrArray) controls = make_controls ();
  g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 ("2026-11-28T09:14:03Z", NULL);
  g_autoptr(AbstainHistoryEvent) event =
    abstain_history_event_new (SERVER, "acc_5kq2", "ctl_chat_training", "chat.training",
                               TRUE, FALSE, at, "desktop", "local");
  AbstainStoreAccount *stored = abstain_store_add_account (store, SERVER, account);

  abstain_store_account_set_controls (stored, controls, "\"list-41\"");
  abstain_store_outbox_add (store, SERVER, "acc_5kq2", "ctl_chat_training", FALSE);
  abstain_store_history_append (store, event);
  save_store (store, ABSTAIN_STORE_ALL);

  return store;
}

static void
test_outbox_survives_restart (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  g_autoptr(AbstainStore) first = fill_store (dir);
  g_autoptr(AbstainStore) second = load_store (dir, NULL);
  AbstainOutboxEntry *before = g_ptr_array_index (abstain_store_get_outbox (first), 0);
  AbstainOutboxEntry *after;
  AbstainStoreAccount *account;
  const AbstainControlData *control;

  g_assert_cmpuint (abstain_store_get_outbox (second)->len, ==, 1);
  after = g_ptr_array_index (abstain_store_get_outbox (second), 0);
  g_assert_cmpstr (after->idempotency_key, ==, before->idempotency_key);
  g_assert_true (g_uuid_string_is_valid (after->idempotency_key));
  g_assert_cmpstr (after->control_id, ==, "ctl_chat_training");
  g_assert_false (after->enabled);
  g_assert_true (after->persisted);
  g_assert_cmpint (after->created_at, ==, before->created_at);

  account = abstain_store_lookup_account (second, SERVER, "acc_5kq2");
  g_assert_nonnull (account);
  g_assert_cmpstr (account->list_etag, ==, "\"list-41\"");
  g_assert_cmpuint (account->account->organizations->len, ==, 1);
  control = abstain_store_account_lookup_control (account, "ctl_chat_training");
  g_assert_nonnull (control);
  g_assert_true (control->enabled);
  g_assert_cmpint (control->revision, ==, 7);
  g_assert_cmpstr (control->etag, ==, "\"ctl_chat_training-7\"");
  g_assert_cmpuint (abstain_store_get_history (second)->len, ==, 1);

  sync_test_remove_dir (dir);
}

static void
test_atomic_write (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  g_autoptr(AbstainStore) store = fill_store (dir);
  g_autoptr(AbstainStore) reloaded = NULL;
  g_autoptr(GDir) listing = NULL;
  GAsyncResult *slots[20] = { NULL };
  const char *name;
  guint n_files = 0;

  /* Many overlapping writes: the last state wins, no temporary file stays. */
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      abstain_store_outbox_add (store, SERVER, "acc_5kq2", "ctl_chat_training", i % 2);
      abstain_store_save_async (store, ABSTAIN_STORE_OUTBOX, NULL, sync_test_store_result, &slots[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      g_autoptr(GAsyncResult) result = sync_test_wait_result (&slots[i], 10000);
      g_assert_true (abstain_store_save_finish (store, result, NULL));
    }

  listing = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (listing)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      g_assert_true (g_str_has_suffix (name, ".json"));
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      n_files++;
    }
  g_assert_cmpuint (n_files, ==, 4);

  reloaded = load_store (dir, NULL);
  g_assert_cmpuint (abstain_store_get_outbox (reloaded)->len, ==, 21);
  for (guint i = 0; i < 21; i++)
    {
      AbstainOutboxEntry *a = g_ptr_array_index (abstain_store_get_outbox (store), i);
      AbstainOutboxEntry *b = g_ptr_array_index (abstain_store_get_outbox (reloaded), i);

      g_assert_cmpstr (a->idempotency_key, ==, b->idempotency_key);
      g_assert_true (a->persisted);
    }

  sync_test_remove_dir (dir);
}

static void
assert_moved_aside (const char *dir,
                    const char *name)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  g_autofree char *prefix = g_strconcat (name, ".corrupt-", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *entry;
  gboolean found = FALSE;

  while ((entry = g_dir_read_name (listing)))
    found |= g_str_has_prefix (entry, prefix);

  g_assert_true (found);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

#define DEEP10 "[[[[[[[[[["
#define DEEP DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10 DEEP10

typedef struct
{
  const char *file;
  const char *contents;
} Damage;

static const Damage damages[] = {
  { "outbox.json", "not json at all" },
  { "outbox.json", "{\"version\":1,\"changes\":[{\"server\":\"" SERVER "\",\"account_id\":\"acc_5kq2\","
                   "\"control_id\":\"ctl_chat_training\",\"enabled\":\"no\",\"idempotency_key\":"
                   "\"0b0e5e36-6c5e-4a43-9c87-0a1f4c5b8f11\",\"created_at\":\"2026-11-28T09:14:03Z\","
                   "\"attempts\":0}]}" },
  { "outbox.json", "{\"version\":1,\"changes\":[{\"server\":\"" SERVER "\",\"account_id\":\"acc_5kq2\","
                   "\"control_id\":\"ctl_chat_training\",\"enabled\":false,\"idempotency_key\":"
                   "\"not-a-uuid\",\"created_at\":\"2026-11-28T09:14:03Z\",\"attempts\":0}]}" },
  { "accounts.json", "{\"version\":1,\"accounts\":[{\"server\":\"ftp://x\",\"id\":\"a\"}]}" },
  { "accounts.json", "{\"version\":2,\"accounts\":[]}" },
  { "state.json", "{\"version\":1,\"accounts\":[{\"server\":\"" SERVER "\",\"account_id\":"
                  "\"acc_5kq2\",\"etag\":null,\"last_verified\":null,\"controls\":[{\"id\":7}]}]}" },
  { "history.json", "{\"version\":1,\"events\":" DEEP "}" },
  { "state.json", "{\"version\":1,\"accounts\":['\"'," DEEP "]}" },
  { "history.json", "{\"version\":1,\"events\":[{\"server\":\"\xff\xfe\"}]}" },
};

static void
test_corrupt_moved_aside (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (damages); i++)
    {
      g_autofree char *dir = sync_test_make_dir ();
      g_autoptr(AbstainStore) store = fill_store (dir);
      g_autofree char *path = g_build_filename (dir, damages[i].file, NULL);
      g_autoptr(GPtrArray) problems = NULL;
      g_autoptr(GPtrArray) again = NULL;
      g_autoptr(AbstainStore) reloaded = NULL;
      g_autoptr(AbstainStore) third = NULL;
      const GError *problem;

      g_test_message ("damage %u: %s", i, damages[i].file);
      g_assert_true (g_file_set_contents (path, damages[i].contents, -1, NULL));

      reloaded = load_store (dir, &problems);
      g_assert_cmpuint (problems->len, ==, 1);
      problem = g_ptr_array_index (problems, 0);
      g_assert_error (problem, ABSTAIN_ERROR, ABSTAIN_ERROR_STORE);
      g_assert_nonnull (strstr (problem->message, damages[i].file));
      assert_moved_aside (dir, damages[i].file);

      /* The rest still loads. */
      if (!g_str_equal (damages[i].file, "accounts.json"))
        g_assert_nonnull (abstain_store_lookup_account (reloaded, SERVER, "acc_5kq2"));

      /* Reported once: the next start finds nothing wrong. */
      third = load_store (dir, &again);
      g_assert_cmpuint (again->len, ==, 0);

      sync_test_remove_dir (dir);
    }
}

static void
test_history_kept_across_processes (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  g_autoptr(AbstainStore) window = fill_store (dir);
  g_autoptr(AbstainStore) cli = load_store (dir, NULL);
  g_autoptr(AbstainStore) reloaded = NULL;
  g_autoptr(GDateTime) later = g_date_time_new_from_iso8601 ("2026-11-29T10:00:00Z", NULL);
  g_autoptr(GDateTime) latest = g_date_time_new_from_iso8601 ("2026-11-29T11:00:00Z", NULL);
  g_autoptr(AbstainHistoryEvent) by_cli =
    abstain_history_event_new (SERVER, "acc_5kq2", "ctl_chat_training", "chat.training",
                               FALSE, TRUE, later, "desktop", "local");
  g_autoptr(AbstainHistoryEvent) by_window =
    abstain_history_event_new (SERVER, "acc_5kq2", "ctl_chat_training", "chat.training",
                               TRUE, FALSE, latest, "desktop", "local");

  /* Two processes append to the same history: neither loses the other's. */
  abstain_store_history_append (cli, by_cli);
  save_store (cli, ABSTAIN_STORE_HISTORY);
  abstain_store_history_append (window, by_window);
  save_store (window, ABSTAIN_STORE_HISTORY);

  reloaded = load_store (dir, NULL);
  g_assert_cmpuint (abstain_store_get_history (reloaded)->len, ==, 3);
  g_assert_true (abstain_history_event_get_to (g_ptr_array_index (abstain_store_get_history (reloaded), 1)));
  g_assert_false (abstain_history_event_get_to (g_ptr_array_index (abstain_store_get_history (reloaded), 2)));

  sync_test_remove_dir (dir);
}

static void
test_outbox_kept_across_processes (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  g_autoptr(AbstainStore) window = fill_store (dir);
  g_autoptr(AbstainStore) cli = load_store (dir, NULL);
  g_autoptr(AbstainStore) first = NULL;
  g_autoptr(AbstainStore) second = NULL;
  AbstainOutboxEntry *queued;

  /* The command line queues a change; the window writes its own outbox
   * afterwards: the change stays queued. */
  queued = abstain_store_outbox_add (cli, SERVER, "acc_5kq2", "ctl_api_9w1", TRUE);
  save_store (cli, ABSTAIN_STORE_OUTBOX);
  save_store (window, ABSTAIN_STORE_OUTBOX);
  first = load_store (dir, NULL);
  g_assert_cmpuint (abstain_store_get_outbox (first)->len, ==, 2);
  g_assert_nonnull (abstain_store_outbox_lookup (first, SERVER, "acc_5kq2", "ctl_api_9w1"));

  /* What a process removed does not come back from the disk. */
  abstain_store_outbox_remove (cli, queued);
  save_store (cli, ABSTAIN_STORE_OUTBOX);
  second = load_store (dir, NULL);
  g_assert_cmpuint (abstain_store_get_outbox (second)->len, ==, 1);
  g_assert_null (abstain_store_outbox_lookup (second, SERVER, "acc_5kq2", "ctl_api_9w1"));

  sync_test_remove_dir (dir);
}

static void
test_accounts_kept_across_processes (void)
{
  g_autofree char *dir = sync_test_make_dir ();
  g_autoptr(AbstainStore) window = fill_store (dir);
  g_autoptr(AbstainStore) cli = load_store (dir, NULL);
  g_autoptr(AbstainAccountData) other = make_account ("acc_7hp4");
  g_autoptr(AbstainStore) first = NULL;
  g_autoptr(AbstainStore) second = NULL;

  /* Signed in by the command line while the window runs. */
  abstain_store_add_account (cli, SERVER, other);
  save_store (cli, ABSTAIN_STORE_ACCOUNTS);
  save_store (window, ABSTAIN_STORE_ACCOUNTS);
  first = load_store (dir, NULL);
  g_assert_nonnull (abstain_store_lookup_account (first, SERVER, "acc_7hp4"));
  g_assert_nonnull (abstain_store_lookup_account (first, SERVER, "acc_5kq2"));

  /* Signed out by the window: it stays out. */
  abstain_store_remove_account (window, SERVER, "acc_5kq2");
  save_store (window, ABSTAIN_STORE_ACCOUNTS);
  second = load_store (dir, NULL);
  g_assert_null (abstain_store_lookup_account (second, SERVER, "acc_5kq2"));
  g_assert_nonnull (abstain_store_lookup_account (second, SERVER, "acc_7hp4"));

  sync_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/abstain/store/outbox/survives-restart", test_outbox_survives_restart);
  g_test_add_func ("/abstain/store/atomic-write", test_atomic_write);
  g_test_add_func ("/abstain/store/corrupt/moved-aside", test_corrupt_moved_aside);
  g_test_add_func ("/abstain/store/history/kept-across-processes", test_history_kept_across_processes);
  g_test_add_func ("/abstain/store/outbox/kept-across-processes", test_outbox_kept_across_processes);
  g_test_add_func ("/abstain/store/accounts/kept-across-processes", test_accounts_kept_across_processes);

  return g_test_run ();
}
