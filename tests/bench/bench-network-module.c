/* bench-network-module.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GIO module whose network monitor says what the bench tells it, so an
 * unmodified program can be run "offline": load it with
 * GIO_EXTRA_MODULES=<folder of this module> and GIO_USE_NETWORK_MONITOR=
 * bench. The network starts down ($BENCH_NETWORK=up starts it up); SIGUSR1
 * brings it up, SIGUSR2 takes it down again.
 *
 * With $BENCH_CA_FILE set, it also makes the certificates in that file the
 * process's trusted TLS roots (before any connection is made: the monitor is
 * created with the first manager), so the program can reach the bench's
 * https proxy in front of the reference service.
 */

#define G_LOG_DOMAIN "bench-network"

#include "config.h"

#include <signal.h>

#include <gio/gio.h>
#include <glib-unix.h>

#define BENCH_TYPE_NETWORK_MONITOR (bench_network_monitor_get_type ())
G_DECLARE_FINAL_TYPE (BenchNetworkMonitor, bench_network_monitor, BENCH, NETWORK_MONITOR, GObject)

struct _BenchNetworkMonitor
{
  GObject  parent_instance;
  gboolean available;
};

enum {
  PROP_0,
  PROP_NETWORK_AVAILABLE,
  PROP_NETWORK_METERED,
  PROP_CONNECTIVITY,
};

static void bench_network_monitor_iface_init (GNetworkMonitorInterface *iface);
static void bench_network_monitor_initable_iface_init (GInitableIface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (BenchNetworkMonitor, bench_network_monitor, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (G_TYPE_INITABLE,
                                                               bench_network_monitor_initable_iface_init)
                                G_IMPLEMENT_INTERFACE_DYNAMIC (G_TYPE_NETWORK_MONITOR,
                                                               bench_network_monitor_iface_init))

static void
set_available (BenchNetworkMonitor *self,
               gboolean             available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
  g_object_notify (G_OBJECT (self), "connectivity");
  g_signal_emit_by_name (self, "network-changed", available);
}

static gboolean
on_sigusr1 (gpointer user_data)
{
  set_available (user_data, TRUE);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigusr2 (gpointer user_data)
{
  set_available (user_data, FALSE);
  return G_SOURCE_CONTINUE;
}

static gboolean
bench_network_monitor_can_reach (GNetworkMonitor     *monitor,
                                 GSocketConnectable  *connectable,
                                 GCancellable        *cancellable,
                                 GError             **error)
{
  if (BENCH_NETWORK_MONITOR (monitor)->available)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                       "Network unreachable (bench)");
  return FALSE;
}

static void
bench_network_monitor_can_reach_async (GNetworkMonitor     *monitor,
                                       GSocketConnectable  *connectable,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (monitor, cancellable, callback, user_data);
  GError *error = NULL;

  if (bench_network_monitor_can_reach (monitor, connectable, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
bench_network_monitor_can_reach_finish (GNetworkMonitor  *monitor,
                                        GAsyncResult     *result,
                                        GError          **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
bench_network_monitor_initable_init (GInitable     *initable,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  return TRUE;
}

static void
bench_network_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = bench_network_monitor_initable_init;
}

static void
bench_network_monitor_iface_init (GNetworkMonitorInterface *iface)
{
  iface->can_reach = bench_network_monitor_can_reach;
  iface->can_reach_async = bench_network_monitor_can_reach_async;
  iface->can_reach_finish = bench_network_monitor_can_reach_finish;
}

static void
bench_network_monitor_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  BenchNetworkMonitor *self = BENCH_NETWORK_MONITOR (object);

  switch (prop_id)
    {
    case PROP_NETWORK_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_NETWORK_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bench_network_monitor_constructed (GObject *object)
{
  BenchNetworkMonitor *self = BENCH_NETWORK_MONITOR (object);

  G_OBJECT_CLASS (bench_network_monitor_parent_class)->constructed (object);

  /* Down unless told otherwise. */
  self->available = g_strcmp0 (g_getenv ("BENCH_NETWORK"), "up") == 0;

  if (g_getenv ("BENCH_CA_FILE") != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (g_getenv ("BENCH_CA_FILE"), &error);

      if (database == NULL)
        g_warning ("BENCH_CA_FILE: %s", error->message);
      else
        g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
    }

  g_unix_signal_add (SIGUSR1, on_sigusr1, self);
  g_unix_signal_add (SIGUSR2, on_sigusr2, self);
}

static void
bench_network_monitor_class_init (BenchNetworkMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = bench_network_monitor_constructed;
  object_class->get_property = bench_network_monitor_get_property;

  g_object_class_override_property (object_class, PROP_NETWORK_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_NETWORK_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
bench_network_monitor_class_finalize (BenchNetworkMonitorClass *klass)
{
}

static void
bench_network_monitor_init (BenchNetworkMonitor *self)
{
}

/* The module's entry points, looked up by name by GIO (declared in
 * giomodule.h). */

void
g_io_module_load (GIOModule *module)
{
  bench_network_monitor_register_type (G_TYPE_MODULE (module));
  /* Never unloaded: the monitor lives as long as the process. */
  g_type_module_use (G_TYPE_MODULE (module));
  g_io_extension_point_implement (G_NETWORK_MONITOR_EXTENSION_POINT_NAME,
                                  BENCH_TYPE_NETWORK_MONITOR, "bench", -1000);
}

void
g_io_module_unload (GIOModule *module)
{
}

char **
g_io_module_query (void)
{
  char *eps[] = { (char *)G_NETWORK_MONITOR_EXTENSION_POINT_NAME, NULL };

  return g_strdupv (eps);
}
