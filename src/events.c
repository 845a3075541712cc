/*-------------------------------------------------------------------------
 *
 * events.c
 *	  Events of SPEC section 5: one row in maintenance.events and one NOTIFY
 *	  on the event's channel, both in the writing transaction, so they are
 *	  delivered only if it commits.
 *
 *	  The NOTIFY payload is the envelope
 *	    {"id":..,"channel":..,"name":..,"occurredAt":..,"payload":{..}}
 *	  and, when that would not fit NOTIFY's limit, the same envelope without
 *	  "payload" and with "truncated":true; the outbox row always has the whole
 *	  payload.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "utils/builtins.h"

#define CHANNEL_SIGNAL			"maintenance_signal"
#define CHANNEL_HOOK			"maintenance_hook"
#define CHANNEL_NOTIFICATION	"maintenance_notification"

/*
 * NOTIFY refuses a payload of this many bytes or more.  The server's
 * constant (NOTIFY_PAYLOAD_MAX_LENGTH) is private to async.c; this is its
 * definition.
 */
#define NOTIFY_PAYLOAD_LIMIT	(BLCKSZ - NAMEDATALEN - 128)

static SPIPlanPtr insert_event_plan;

/* Insert the outbox row and send the envelope; returns the event id. */
static int64
emit_event(const char *channel, const char *name, const StringInfo payload)
{
	static const Oid argtypes[] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	int64		id;
	TimestampTz occurred_at;
	StringInfoData envelope;
	JsonBuilder jb;
	SPIPlanPtr	plan;

	plan = cached_plan(&insert_event_plan,
					   "INSERT INTO maintenance.events (channel, name, payload)"
					   " VALUES ($1, $2, $3::pg_catalog.jsonb)"
					   " RETURNING id, occurred_at",
					   3, argtypes);
	values[0] = CStringGetTextDatum(channel);
	values[1] = CStringGetTextDatum(name);
	values[2] = PointerGetDatum(cstring_to_text_with_len(payload->data,
														 payload->len));
	run_plan(plan, values, NULL, false, SPI_OK_INSERT_RETURNING);
	id = DatumGetInt64(spi_datum(0, 1, &isnull));
	occurred_at = DatumGetTimestampTz(spi_datum(0, 2, &isnull));
	SPI_freetuptable(SPI_tuptable);

	initStringInfo(&envelope);
	json_begin_object(&jb, &envelope);
	json_add_int64(&jb, "id", id);
	json_add_string(&jb, "channel", channel);
	json_add_string(&jb, "name", name);
	json_add_time(&jb, "occurredAt", occurred_at);

	/* The head alone is far below the limit; the payload may not be. */
	if (envelope.len + strlen(",\"payload\":") + payload->len + strlen("}")
		< NOTIFY_PAYLOAD_LIMIT)
		json_add_raw(&jb, "payload", payload->data);
	else
		json_add_raw(&jb, "truncated", "true");
	json_end_object(&jb);

	Async_Notify(channel, envelope.data);

	pfree(envelope.data);
	return id;
}

/* The members every maintenance payload starts with. */
static void
begin_maintenance_payload(JsonBuilder *jb, StringInfo buf,
						  const MaintenanceRow *m)
{
	json_begin_object(jb, buf);
	json_add_string(jb, "maintenanceId", m->id);
	json_add_string_array(jb, "systemIds", m->nsystems, m->system_ids);
}

/* maintenance_signal / maintenance.updated: {maintenanceId, systemIds, action} */
void
emit_signal(const MaintenanceRow *m, const char *action)
{
	StringInfoData buf;
	JsonBuilder jb;

	initStringInfo(&buf);
	begin_maintenance_payload(&jb, &buf, m);
	json_add_string(&jb, "action", action);
	json_end_object(&jb);
	emit_event(CHANNEL_SIGNAL, "maintenance.updated", &buf);
	pfree(buf.data);
}

/*
 * maintenance_hook: maintenance.created when action is NULL, else
 * maintenance.updated with that action.
 */
void
emit_hook(const MaintenanceRow *m, const char *action)
{
	StringInfoData buf;
	JsonBuilder jb;

	initStringInfo(&buf);
	begin_maintenance_payload(&jb, &buf, m);
	json_add_string(&jb, "title", m->title);
	json_add_string(&jb, "description", m->description);
	json_add_string(&jb, "status", status_name(m->status));
	json_add_time(&jb, "startAt", m->start_at);
	json_add_time(&jb, "endAt", m->end_at);
	json_add_string(&jb, "action", action);
	json_end_object(&jb);
	emit_event(CHANNEL_HOOK,
			   action == NULL ? "maintenance.created" : "maintenance.updated",
			   &buf);
	pfree(buf.data);
}

/* The verb of the notification's title and body for each event. */
static const char *
notification_verb(const char *event)
{
	return strcmp(event, "created") == 0 ? "scheduled" : event;
}

/* maintenance_notification: one maintenance.notification per system. */
void
emit_notifications(const MaintenanceRow *m, const char *event)
{
	const char *verb = notification_verb(event);
	char	   *title = psprintf("Maintenance %s", verb);
	char	   *body = psprintf("A maintenance **\"%s\"** has been %s for a system you're subscribed to.",
								m->title, verb);
	StringInfoData action;
	StringInfoData buf;
	JsonBuilder jb;

	/* {label, url} is the same for every system */
	initStringInfo(&action);
	json_begin_object(&jb, &action);
	json_add_string(&jb, "label", "View Maintenance");
	json_add_string(&jb, "url", psprintf("/maintenance/%s", m->id));
	json_end_object(&jb);

	initStringInfo(&buf);
	for (int i = 0; i < m->nsystems; i++)
	{
		resetStringInfo(&buf);
		json_begin_object(&jb, &buf);
		json_add_string(&jb, "maintenanceId", m->id);
		json_add_string(&jb, "systemId", m->system_ids[i]);
		json_add_string(&jb, "event", event);
		json_add_string(&jb, "title", title);
		json_add_string(&jb, "body", body);
		json_add_string(&jb, "importance", "info");
		json_add_raw(&jb, "action", action.data);
		json_add_bool(&jb, "includeGroupSubscribers", true);
		json_end_object(&jb);
		emit_event(CHANNEL_NOTIFICATION, "maintenance.notification", &buf);
	}
	pfree(buf.data);
	pfree(action.data);
	pfree(body);
	pfree(title);
}
