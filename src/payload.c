/*-------------------------------------------------------------------------
 *
 * payload.c
 *	  The JSON of every event (doc/events.md "Events") and of its envelope
 *	  {"id":..,"channel":..,"name":..,"occurredAt":..,"payload":{..}}, the
 *	  one text that NOTIFY sends (outbox.c) and that
 *	  maintenance.event_envelope() returns for replay and get_event().
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(maintenance_event_envelope);

#define CHANNEL_SIGNAL			"maintenance_signal"
#define CHANNEL_HOOK			"maintenance_hook"
#define CHANNEL_NOTIFICATION	"maintenance_notification"

/* A buffer for a payload, in the batch's memory context. */
static void
payload_begin(EventBatch *b, JsonBuilder *jb, StringInfo buf)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(b->cxt);

	initStringInfo(buf);
	MemoryContextSwitchTo(oldcxt);
	json_begin_object(jb, buf);
}

/* The members every maintenance payload starts with. */
static void
payload_begin_maintenance(EventBatch *b, JsonBuilder *jb, StringInfo buf,
						  const MaintenanceRow *m)
{
	payload_begin(b, jb, buf);
	json_add_string(jb, "maintenanceId", m->id);
	json_add_string_array(jb, "systemIds", m->nsystems, m->system_ids);
}

/* maintenance_signal / maintenance.updated: {maintenanceId, systemIds, action} */
void
payload_add_signal(EventBatch *b, const MaintenanceRow *m, const char *action)
{
	StringInfoData buf;
	JsonBuilder jb;

	payload_begin_maintenance(b, &jb, &buf, m);
	json_add_string(&jb, "action", action);
	json_end_object(&jb);
	event_batch_add(b, CHANNEL_SIGNAL, "maintenance.updated", &buf);
}

/*
 * maintenance_hook: maintenance.created when action is NULL, else
 * maintenance.updated with that action.
 */
void
payload_add_hook(EventBatch *b, const MaintenanceRow *m, const char *action)
{
	StringInfoData buf;
	JsonBuilder jb;

	payload_begin_maintenance(b, &jb, &buf, m);
	json_add_string(&jb, "title", m->title);
	json_add_string(&jb, "description", m->description);
	json_add_string(&jb, "status", status_name(m->status));
	json_add_time(&jb, "startAt", m->start_at);
	json_add_time(&jb, "endAt", m->end_at);
	json_add_string(&jb, "action", action);
	json_end_object(&jb);
	event_batch_add(b, CHANNEL_HOOK,
					action == NULL ? "maintenance.created" : "maintenance.updated",
					&buf);
}

/*
 * maintenance_notification: one maintenance.notification per system, in
 * the order of systemIds.  A reminder (remind_before given) also carries
 * startAt and remindBefore.
 */
static void
payload_add_notification_per_system(EventBatch *b, const MaintenanceRow *m,
									const char *event, const char *title,
									const char *body, const char *remind_before)
{
	char	   *url = psprintf("/maintenance/%s", m->id);
	StringInfoData action;
	JsonBuilder jb;

	/* {label, url} is the same for every system */
	initStringInfo(&action);
	json_begin_object(&jb, &action);
	json_add_string(&jb, "label", "View Maintenance");
	json_add_string(&jb, "url", url);
	json_end_object(&jb);

	for (int i = 0; i < m->nsystems; i++)
	{
		StringInfoData buf;

		payload_begin(b, &jb, &buf);
		json_add_string(&jb, "maintenanceId", m->id);
		json_add_string(&jb, "systemId", m->system_ids[i]);
		json_add_string(&jb, "event", event);
		json_add_string(&jb, "title", title);
		json_add_string(&jb, "body", body);
		json_add_string(&jb, "importance", "info");
		json_add_raw(&jb, "action", action.data);
		json_add_bool(&jb, "includeGroupSubscribers", true);
		if (remind_before != NULL)
		{
			json_add_time(&jb, "startAt", m->start_at);
			json_add_string(&jb, "remindBefore", remind_before);
		}
		json_end_object(&jb);
		event_batch_add(b, CHANNEL_NOTIFICATION, "maintenance.notification", &buf);
	}
	pfree(action.data);
	pfree(url);
}

/* The notifications of a status event (created, started, ...). */
void
payload_add_notifications(EventBatch *b, const MaintenanceRow *m, const char *event)
{
	/* "created" reads "scheduled" in the title and the body */
	const char *verb = strcmp(event, "created") == 0 ? "scheduled" : event;
	char	   *title = psprintf("Maintenance %s", verb);
	char	   *body = psprintf("A maintenance **\"%s\"** has been %s for a system you're subscribed to.",
								m->title, verb);

	payload_add_notification_per_system(b, m, event, title, body, NULL);
	pfree(body);
	pfree(title);
}

/*
 * The reminders of m's start, lead_words before it (reminders.c writes the
 * lead in words and as an ISO 8601 duration).
 */
void
payload_add_reminders(EventBatch *b, const MaintenanceRow *m,
					  const char *lead_words, const char *lead_iso)
{
	char	   *body = psprintf("A maintenance **\"%s\"** starts in %s for a system you're subscribed to.",
								m->title, lead_words);

	payload_add_notification_per_system(b, m, "reminder", "Maintenance reminder",
										body, lead_iso);
	pfree(body);
}

/*
 * The events of a timeline entry on maintenance m (m->status is the new
 * one): signal and hook with action, and, when the status really changed,
 * the notifications of the new status.
 */
void
payload_add_status_change(EventBatch *b, const MaintenanceRow *m,
						  const char *action, bool changed)
{
	payload_add_signal(b, m, action);
	payload_add_hook(b, m, action);
	if (!changed)
		return;
	switch (m->status)
	{
		case MAINTENANCE_IN_PROGRESS:
			payload_add_notifications(b, m, "started");
			break;
		case MAINTENANCE_COMPLETED:
			payload_add_notifications(b, m, "completed");
			break;
		case MAINTENANCE_CANCELLED:
			payload_add_notifications(b, m, "cancelled");
			break;
		case MAINTENANCE_SCHEDULED:
			payload_add_notifications(b, m, "updated");
			break;
	}
}

/* A member that is JSON null when value is. */
static void
payload_add_nullable_string(JsonBuilder *jb, const char *key, const char *value)
{
	if (value == NULL)
		json_add_raw(jb, key, "null");
	else
		json_add_string(jb, key, value);
}

/* The head of event e's envelope: {"id", "channel", "name", "occurredAt" */
static void
payload_envelope_head(JsonBuilder *jb, StringInfo buf, const EventEnvelope *e)
{
	initStringInfo(buf);
	json_begin_object(jb, buf);
	if (e->id_null)
		json_add_raw(jb, "id", "null");
	else
		json_add_int64(jb, "id", e->id);
	payload_add_nullable_string(jb, "channel", e->channel);
	payload_add_nullable_string(jb, "name", e->name);
	if (e->occurred_at_null)
		json_add_raw(jb, "occurredAt", "null");
	else
		json_add_time(jb, "occurredAt", e->occurred_at);
}

/*
 * The envelope of event e, palloc'd.  With limit > 0, an envelope of limit
 * bytes or more is sent without "payload" and with "truncated":true (the
 * head alone is far below NOTIFY's limit; the payload may not be).
 */
char *
payload_envelope(const EventEnvelope *e, int limit)
{
	StringInfoData buf;
	JsonBuilder jb;

	payload_envelope_head(&jb, &buf, e);
	if (limit <= 0 ||
		buf.len + strlen(",\"payload\":") + strlen(e->payload ? e->payload : "null") +
		strlen("}") < (size_t) limit)
		json_add_raw(&jb, "payload", e->payload ? e->payload : "null");
	else
		json_add_raw(&jb, "truncated", "true");
	json_end_object(&jb);
	return buf.data;
}

/*
 * The envelope of event e without its payload, palloc'd: what NOTIFY sends
 * with maintenance.notify_payload = id.
 */
char *
payload_envelope_id_only(const EventEnvelope *e)
{
	StringInfoData buf;
	JsonBuilder jb;

	payload_envelope_head(&jb, &buf, e);
	json_end_object(&jb);
	return buf.data;
}

/*
 * maintenance.event_envelope(maintenance.events) RETURNS jsonb: the whole
 * envelope of an event, as NOTIFY sends it when it fits.  Not strict: a
 * null row, or null fields, give the envelope with JSON nulls.
 */
Datum
maintenance_event_envelope(PG_FUNCTION_ARGS)
{
	EventEnvelope e = {true, 0, NULL, NULL, true, 0, NULL};

	if (!PG_ARGISNULL(0))
	{
		HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
		bool		isnull;
		Datum		value;

		value = GetAttributeByName(row, "id", &isnull);
		e.id_null = isnull;
		e.id = isnull ? 0 : DatumGetInt64(value);
		value = GetAttributeByName(row, "occurred_at", &isnull);
		e.occurred_at_null = isnull;
		e.occurred_at = isnull ? 0 : DatumGetTimestampTz(value);
		value = GetAttributeByName(row, "channel", &isnull);
		e.channel = isnull ? NULL : TextDatumGetCString(value);
		value = GetAttributeByName(row, "name", &isnull);
		e.name = isnull ? NULL : TextDatumGetCString(value);
		value = GetAttributeByName(row, "payload", &isnull);
		if (!isnull)
		{
			Jsonb	   *payload = DatumGetJsonbP(value);

			e.payload = JsonbToCString(NULL, &payload->root, VARSIZE(payload));
		}
	}
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(payload_envelope(&e, 0))));
}
