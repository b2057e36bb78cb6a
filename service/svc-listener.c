/* svc-listener.c: connections for a SoupServer without libsoup's listener
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <gio/gnetworking.h>
#include <sys/socket.h>
#include <unistd.h>

#include "svc-listener.h"

/* libsoup 3.2's own listener leaks the GSocket of every connection it
 * accepts, so the connections are accepted here and handed to the server.
 * Used by the reference service and by the tests' own local servers. */
struct _SvcListener
{
  SoupServer     *server;         /* not owned: it outlives the listener */
  GSocketService *service;
  int             idle_peer;
};

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  SvcListener *self = user_data;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GError) error = NULL;

  local = g_socket_connection_get_local_address (connection, &error);
  if (local != NULL)
    remote = g_socket_connection_get_remote_address (connection, &error);
  if (remote == NULL)
    {
      g_debug ("Dropping a connection: %s", error->message);
      return TRUE;
    }

  g_socket_set_option (g_socket_connection_get_socket (connection),
                       IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  if (!soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote,
                                    &error))
    g_debug ("Dropping a connection: %s", error->message);

  return TRUE;
}

/* A listening socket on @address, set up as SoupServer sets up its own. */
static GSocket *
listen_socket (GSocketAddress  *address,
               GError         **error)
{
  GSocketFamily family = g_socket_address_get_family (address);
  g_autoptr(GSocket) sock = NULL;

  sock = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return NULL;

  g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (sock, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  if (!g_socket_bind (sock, address, TRUE, error) || !g_socket_listen (sock, error))
    return NULL;

  return g_steal_pointer (&sock);
}

/* SoupServer keeps a connection open for the next request only while it
 * has a listener of its own, and otherwise closes it after each answer
 * without saying so. Its listener here is one end of a socket pair whose
 * other end never writes: it never has a connection to accept. */
static gboolean
add_idle_listener (SvcListener  *self,
                   GError      **error)
{
  g_autoptr(GSocket) sock = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "socketpair: %s", g_strerror (saved_errno));
      return FALSE;
    }

  self->idle_peer = fds[1];
  sock = g_socket_new_from_fd (fds[0], error);
  if (sock == NULL)
    {
      close (fds[0]);
      return FALSE;
    }

  return soup_server_listen_socket (self->server, sock, 0, error);
}

/**
 * svc_listener_new:
 * @server: the server to hand the connections to
 * @address: where to listen; port 0 picks a free one
 * @out_port: (out) (optional): the port listened on
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the listener, accepting until it is freed; or
 *   %NULL with @error set
 */
SvcListener *
svc_listener_new (SoupServer      *server,
                  GSocketAddress  *address,
                  guint16         *out_port,
                  GError         **error)
{
  g_autoptr(SvcListener) self = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) sock = NULL;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), NULL);

  self = g_new0 (SvcListener, 1);
  self->server = server;
  self->idle_peer = -1;

  if (!(sock = listen_socket (address, error)) ||
      !(bound = g_socket_get_local_address (sock, error)) ||
      !add_idle_listener (self, error))
    return NULL;

  self->service = g_socket_service_new ();
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), sock, NULL, error))
    return NULL;

  if (out_port != NULL)
    *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  return g_steal_pointer (&self);
}

void
svc_listener_free (SvcListener *self)
{
  if (self == NULL)
    return;

  if (self->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_object_unref (self->service);
    }
  if (self->idle_peer >= 0)
    close (self->idle_peer);
  g_free (self);
}
