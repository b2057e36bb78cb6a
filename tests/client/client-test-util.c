/* client-test-util.c: waiting for async results in the client's tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "client-test-util.h"

void
client_test_keep_result (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

GAsyncResult *
client_test_wait (GAsyncResult **slot,
                  guint          timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("no result after %u ms", timeout_ms);
  g_source_remove (id);

  return g_steal_pointer (slot);
}

/* The private bus */

struct _ClientTestBus
{
  char        *dir;
  char        *address;
  GSubprocess *bus;
  GSubprocess *keyring;
};

static const char bus_config[] =
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
  "<busconfig>\n"
  "  <type>session</type>\n"
  "  <listen>unix:tmpdir=/tmp</listen>\n"
  "  <policy context=\"default\">\n"
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
  "    <allow eavesdrop=\"true\"/>\n"
  "    <allow own=\"*\"/>\n"
  "  </policy>\n"
  "</busconfig>\n";

/* The daemons end with the test, even when it aborts. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

static char *
read_line (GSubprocess *proc)
{
  g_autoptr(GDataInputStream) in =
    g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in), FALSE);
  return g_data_input_stream_read_line (in, NULL, NULL, NULL);
}

ClientTestBus *
client_test_bus_new (void)
{
  ClientTestBus *bus = g_new0 (ClientTestBus, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *config = NULL;
  g_autofree char *option = NULL;
  g_autoptr(GError) error = NULL;

  bus->dir = g_dir_make_tmp ("abstain-test-bus-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (bus->dir, "bus.conf", NULL);
  g_file_set_contents (config, bus_config, -1, &error);
  g_assert_no_error (error);

  option = g_strdup_printf ("--config-file=%s", config);
  launcher = new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  bus->bus = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", option, "--nofork",
                                          "--print-address=1", NULL);
  g_assert_no_error (error);
  bus->address = read_line (bus->bus);
  g_assert_nonnull (bus->address);
  g_assert_true (g_str_has_prefix (bus->address, "unix:"));

  return bus;
}

const char *
client_test_bus_get_address (ClientTestBus *bus)
{
  return bus->address;
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);

  return owned;
}

static void
wait_for_name (ClientTestBus *bus,
               const char    *name)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  connection = g_dbus_connection_new_for_address_sync (bus->address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  while (!name_has_owner (connection, name))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
  g_dbus_connection_close_sync (connection, NULL, NULL);
}

gboolean
client_test_bus_add_keyring (ClientTestBus *bus)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_build_filename (bus->dir, "data", NULL);
  g_autofree char *runtime = g_build_filename (bus->dir, "runtime", NULL);
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  GOutputStream *in;

  if (program == NULL)
    return FALSE;

  g_assert_cmpint (g_mkdir_with_parents (data, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);
  launcher = new_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                           G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                           G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", bus->dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "GNOME_KEYRING_CONTROL");
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  /* gnome-keyring-daemon logs criticals of its own when locking. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  bus->keyring = g_subprocess_launcher_spawn (launcher, &error, program, "--unlock",
                                              "--components=secrets", "--foreground", NULL);
  g_assert_no_error (error);

  in = g_subprocess_get_stdin_pipe (bus->keyring);
  g_output_stream_write_all (in, "abstain-test", 12, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, NULL);

  wait_for_name (bus, "org.freedesktop.secrets");
  return TRUE;
}

static void
stop (GSubprocess *proc)
{
  if (proc == NULL)
    return;

  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  g_object_unref (proc);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
client_test_bus_free (ClientTestBus *bus)
{
  stop (bus->keyring);
  stop (bus->bus);
  remove_tree (bus->dir);
  g_free (bus->dir);
  g_free (bus->address);
  g_free (bus);
}

void
client_test_without_leak_checks (GFunc    func,
                                 gpointer data)
{
#ifdef __SANITIZE_ADDRESS__
  g_autofree char *saved = g_strdup (g_getenv ("ASAN_OPTIONS"));
  g_autofree char *options = g_strconcat (saved ? saved : "", ":detect_leaks=0", NULL);

  g_setenv ("ASAN_OPTIONS", options, TRUE);
#endif
  func (data, NULL);
#ifdef __SANITIZE_ADDRESS__
  if (saved != NULL)
    g_setenv ("ASAN_OPTIONS", saved, TRUE);
  else
    g_unsetenv ("ASAN_OPTIONS");
#endif
}
