/* client-test-util.h: waiting for async results in the client's tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GAsyncReadyCallback that keeps the result in *(GAsyncResult **) @user_data. */
void          client_test_keep_result (GObject      *object,
                                       GAsyncResult *result,
                                       gpointer      user_data);
/* Iterates the default main context until *@slot is set; fails the test
 * after @timeout_ms. Returns the result (owned by the caller). */
GAsyncResult *client_test_wait        (GAsyncResult **slot,
                                       guint          timeout_ms);

/* Calls @func (@data) with LeakSanitizer off in the processes it starts
 * (ASAN_OPTIONS gets detect_leaks=0, then is restored); memory errors are
 * still caught. Only where a library's leak cannot be suppressed without
 * hiding one of ours: the caller says which. A plain call without ASan. */
void          client_test_without_leak_checks (GFunc         func,
                                               gpointer      data);

/* A private session bus with no service at all (no activation), for the
 * "no Secret Service" and "locked keyring" cases. */
typedef struct _ClientTestBus ClientTestBus;

ClientTestBus *client_test_bus_new         (void);
const char    *client_test_bus_get_address (ClientTestBus *bus);
/* Starts a gnome-keyring-daemon, unlocked, on the bus with its own data
 * directories; FALSE when there is none to start. */
gboolean       client_test_bus_add_keyring (ClientTestBus *bus);
void           client_test_bus_free        (ClientTestBus *bus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClientTestBus, client_test_bus_free)

G_END_DECLS
