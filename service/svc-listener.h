/* svc-listener.h: connections for a SoupServer without libsoup's listener
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _SvcListener SvcListener;

SvcListener *svc_listener_new  (SoupServer      *server,
                                GSocketAddress  *address,
                                guint16         *out_port,
                                GError         **error);
void         svc_listener_free (SvcListener     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvcListener, svc_listener_free)

G_END_DECLS
