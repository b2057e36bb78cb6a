/* abstain-history.c
 *
 * Copyright 2026 The Abstain authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "abstain-history"

#include "config.h"

#include <glib/gi18n.h>

#include "abstain-history-private.h"

struct _AbstainHistoryEvent
{
  GObject    parent_instance;

  char      *server;
  char      *account_id;
  char      *control_id;
  char      *kind;
  char      *source;
  char      *origin;
  GDateTime *at;
  guint      from : 1;
  guint      to : 1;
};

G_DEFINE_FINAL_TYPE (AbstainHistoryEvent, abstain_history_event, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT_ID,
  PROP_AT,
  PROP_CONTROL_ID,
  PROP_FROM,
  PROP_KIND,
  PROP_ORIGIN,
  PROP_SOURCE,
  PROP_TO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
abstain_history_event_finalize (GObject *object)
{
  AbstainHistoryEvent *self = (AbstainHistoryEvent *)object;

  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->account_id, g_free);
  g_clear_pointer (&self->control_id, g_free);
  g_clear_pointer (&self->kind, g_free);
  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->origin, g_free);
  g_clear_pointer (&self->at, g_date_time_unref);

  G_OBJECT_CLASS (abstain_history_event_parent_class)->finalize (object);
}

static void
abstain_history_event_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  AbstainHistoryEvent *self = ABSTAIN_HISTORY_EVENT (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT_ID:
      g_value_set_string (value, self->account_id);
      break;
    case PROP_AT:
      g_value_set_boxed (value, self->at);
      break;
    case PROP_CONTROL_ID:
      g_value_set_string (value, self->control_id);
      break;
    case PROP_FROM:
      g_value_set_boolean (value, self->from);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_ORIGIN:
      g_value_set_string (value, self->origin);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_TO:
      g_value_set_boolean (value, self->to);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define READ_ONLY (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)

static void
abstain_history_event_class_init (AbstainHistoryEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = abstain_history_event_finalize;
  object_class->get_property = abstain_history_event_get_property;

  properties[PROP_ACCOUNT_ID] = g_param_spec_string ("account-id", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_AT] = g_param_spec_boxed ("at", NULL, NULL, G_TYPE_DATE_TIME, READ_ONLY);
  properties[PROP_CONTROL_ID] = g_param_spec_string ("control-id", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_FROM] = g_param_spec_boolean ("from", NULL, NULL, FALSE, READ_ONLY);
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_ORIGIN] = g_param_spec_string ("origin", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_SOURCE] = g_param_spec_string ("source", NULL, NULL, NULL, READ_ONLY);
  properties[PROP_TO] = g_param_spec_boolean ("to", NULL, NULL, FALSE, READ_ONLY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
abstain_history_event_init (AbstainHistoryEvent *self)
{
}

AbstainHistoryEvent *
abstain_history_event_new (const char *server,
                           const char *account_id,
                           const char *control_id,
                           const char *kind,
                           gboolean    from,
                           gboolean    to,
                           GDateTime  *at,
                           const char *source,
                           const char *origin)
{
  AbstainHistoryEvent *self;

  g_return_val_if_fail (at != NULL, NULL);

  self = g_object_new (ABSTAIN_TYPE_HISTORY_EVENT, NULL);
  self->server = g_strdup (server);
  self->account_id = g_strdup (account_id);
  self->control_id = g_strdup (control_id);
  self->kind = g_strdup (kind);
  self->from = !!from;
  self->to = !!to;
  self->at = g_date_time_ref (at);
  self->source = g_strdup (source);
  self->origin = g_strdup (origin);

  return self;
}

AbstainHistoryEvent *
abstain_history_event_copy_with_origin (AbstainHistoryEvent *self,
                                        const char          *origin)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);

  return abstain_history_event_new (self->server, self->account_id, self->control_id,
                                    self->kind, self->from, self->to, self->at,
                                    self->source, origin);
}

gboolean
abstain_history_event_same (AbstainHistoryEvent *a,
                            AbstainHistoryEvent *b)
{
  return g_strcmp0 (a->server, b->server) == 0 &&
         g_strcmp0 (a->account_id, b->account_id) == 0 &&
         g_strcmp0 (a->control_id, b->control_id) == 0 &&
         a->to == b->to &&
         g_date_time_equal (a->at, b->at);
}

int
abstain_history_event_compare (gconstpointer a,
                               gconstpointer b,
                               gpointer      user_data)
{
  const AbstainHistoryEvent *ea = a;
  const AbstainHistoryEvent *eb = b;

  return g_date_time_compare (eb->at, ea->at);
}

const char *
abstain_history_event_get_server (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->server;
}

const char *
abstain_history_event_get_account_id (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->account_id;
}

const char *
abstain_history_event_get_control_id (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->control_id;
}

const char *
abstain_history_event_get_kind (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->kind;
}

gboolean
abstain_history_event_get_from (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), FALSE);
  return self->from;
}

gboolean
abstain_history_event_get_to (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), FALSE);
  return self->to;
}

GDateTime *
abstain_history_event_get_at (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->at;
}

const char *
abstain_history_event_get_source (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->source;
}

const char *
abstain_history_event_get_origin (AbstainHistoryEvent *self)
{
  g_return_val_if_fail (ABSTAIN_IS_HISTORY_EVENT (self), NULL);
  return self->origin;
}

char *
abstain_history_source_describe (const char *source)
{
  if (g_strcmp0 (source, "web") == 0)
    return g_strdup (_("on the web"));
  if (g_strcmp0 (source, "mobile") == 0)
    return g_strdup (_("in the mobile app"));
  if (g_strcmp0 (source, "desktop") == 0)
    return g_strdup (_("on this computer"));
  if (g_strcmp0 (source, "api") == 0)
    return g_strdup (_("through the API"));
  if (g_strcmp0 (source, "system") == 0)
    return g_strdup (_("by a plan change"));

  /* Translators: %s is the raw name of an unknown place a change came from */
  return g_strdup_printf (_("from “%s”"), source ? source : "?");
}

static void
add_event (JsonBuilder         *builder,
           AbstainHistoryEvent *event)
{
  g_autofree char *at = g_date_time_format_iso8601 (event->at);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "account_id");
  json_builder_add_string_value (builder, event->account_id);
  json_builder_set_member_name (builder, "control_id");
  json_builder_add_string_value (builder, event->control_id);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, event->kind);
  json_builder_set_member_name (builder, "from");
  json_builder_add_boolean_value (builder, event->from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_boolean_value (builder, event->to);
  json_builder_set_member_name (builder, "at");
  json_builder_add_string_value (builder, at);
  json_builder_set_member_name (builder, "source");
  json_builder_add_string_value (builder, event->source);
  json_builder_set_member_name (builder, "origin");
  json_builder_add_string_value (builder, event->origin);
  json_builder_end_object (builder);
}

JsonNode *
abstain_history_to_json (GListModel *events)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (events), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);

  n = g_list_model_get_n_items (events);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AbstainHistoryEvent) event = g_list_model_get_item (events, i);
      add_event (builder, event);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
