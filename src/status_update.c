/*-------------------------------------------------------------------------
 *
 * status_update.c
 *	  Status changes: add_update, close and the transition sweep.
 *
 *	  add_update, close and the transition sweep (transitions.c) share
 *	  apply_status_update_locked(), so a status change has exactly one
 *	  implementation: the row is locked and read first (by
 *	  apply_status_update(), or by the sweep's claim), then the status, the
 *	  timeline entry and the events are written by one statement
 *	  (store_write_status()), all in the caller's transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(maintenance_add_update);
PG_FUNCTION_INFO_V1(maintenance_close);

#define DEFAULT_CLOSE_MESSAGE "Maintenance completed early"

/*
 * The UPDATE of a status change changed no row: a BEFORE UPDATE trigger
 * someone added on maintenances returned NULL.  Refused, so that no
 * timeline entry or event announces a change that did not happen.
 */
static void
status_update_raise_not_written(Datum id, MaintenanceStatus status)
{
	ereport(ERROR,
			(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
			 errmsg("the status of maintenance \"%s\" was not changed to %s",
					write_uuid_text(id), status_name(status)),
			 errdetail("A BEFORE UPDATE trigger on maintenance.maintenances skipped the row.")));
}

void
refuse_status_change(Datum id, MaintenanceStatus current,
					 MaintenanceStatus requested)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot change status of maintenance \"%s\" from \"%s\" to \"%s\"",
					write_uuid_text(id), status_name(current),
					status_name(requested)),
			 status_is_final(current) ?
			 errdetail("A maintenance that is \"%s\" keeps that status.",
					   status_name(current)) :
			 errdetail("A maintenance that is \"%s\" can only become \"completed\" or \"cancelled\".",
					   status_name(current))));
}

/*
 * Add an update to the timeline of maintenance id, changing its status to
 * *requested when given, like apply_status_update(), for a caller that has
 * locked the row (FOR NO KEY UPDATE, in this transaction) and read it into
 * *locked: the transition sweep claims and reads its rows in batches.
 *
 * want tells which of result->update_row and result->maintenance_row to set
 * (in the caller's memory context).  The events are NOTIFYed before this
 * returns, unless notify_later is given: then they are left in that batch
 * (initialized by the caller, in a context that outlives the call) for the
 * caller to send with event_batch_notify(), as the transition sweep does
 * once the subtransaction of the maintenance has committed.
 */
void
apply_status_update_locked(Datum id, const MaintenanceRow *locked,
						   const char *message,
						   const MaintenanceStatus *requested,
						   const char *created_by, int want,
						   EventBatch *notify_later, StatusUpdateResult *result)
{
	EventBatch	own_events;
	EventBatch *events = notify_later;
	MaintenanceRow m = *locked;
	bool		changed = false;
	pg_uuid_t	uuid;

	write_check_not_blank(message, "message");

	if (requested != NULL && *requested != m.status)
	{
		if (!status_change_allowed(m.status, *requested))
			refuse_status_change(id, m.status, *requested);
		m.status = *requested;
		changed = true;
	}

	if (events == NULL)
	{
		/* before SPI_connect: the batch must outlive SPI_finish */
		event_batch_init(&own_events);
		events = &own_events;
	}

	SPI_connect();

	/* "closed" whenever completion was asked for, else "updated" */
	payload_add_status_change(events, &m,
							  (requested != NULL && *requested == MAINTENANCE_COMPLETED) ?
							  "closed" : "updated",
							  changed);
	memcpy(&uuid, DatumGetUUIDP(id), sizeof(uuid));
	if (store_write_status(changed ? &m.status : NULL, uuid_array(&uuid, 1),
						   message, created_by, events,
						   (want & WANT_UPDATE_ROW) ? &result->update_row : NULL)
		!= (changed ? 1 : 0))
		status_update_raise_not_written(id, m.status);

	if (want & WANT_MAINTENANCE_ROW)
	{
		MaintenanceRow again;

		store_load(id, &again, &result->maintenance_row);
	}

	SPI_finish();

	if (notify_later == NULL)
		event_batch_notify(events);
	/* a new status: the deadline that matters is another one */
	if (changed)
		worker_wake_on_commit();
	result->changed = changed;
}

/*
 * Add an update to the timeline of maintenance id, changing its status to
 * *requested when given.  Asking for the status it already has is no change:
 * the update is recorded as a message only.  A change the status machine
 * does not allow is refused with 55000.  Locks and reads the row, then
 * writes as apply_status_update_locked().
 */
void
apply_status_update(Datum id, const char *message,
					const MaintenanceStatus *requested,
					const char *created_by, int want,
					EventBatch *notify_later, StatusUpdateResult *result)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MaintenanceRow m;

	write_check_not_blank(message, "message");

	SPI_connect();
	/* into the caller's context: SPI_finish below frees SPI's memory */
	if (!store_lock_read(id, &m, callercxt))
		write_raise_not_found(id);
	SPI_finish();

	apply_status_update_locked(id, &m, message, requested, created_by, want,
							   notify_later, result);
}

/* ----------------------------------------------------------------------
 * SQL-callable functions
 * ---------------------------------------------------------------------- */

/* maintenance.add_update(maintenance_id, message, status_change, created_by) */
Datum
maintenance_add_update(PG_FUNCTION_ARGS)
{
	MaintenanceStatus requested;
	StatusUpdateResult result;

	check_extension_version();
	write_require_arg(fcinfo, 0, "maintenance_id");
	write_require_arg(fcinfo, 1, "message");
	write_check_size(fcinfo, 1, "message", MAX_MESSAGE_BYTES);
	if (!PG_ARGISNULL(2))
		requested = status_from_name(DatumGetCString(
			DirectFunctionCall1(enum_out, PG_GETARG_DATUM(2))));

	apply_status_update(PG_GETARG_DATUM(0),
						text_to_cstring(PG_GETARG_TEXT_PP(1)),
						PG_ARGISNULL(2) ? NULL : &requested,
						write_resolve_actor(write_optional_text(fcinfo, 3, "created_by",
															  MAX_AUTHOR_BYTES)),
						WANT_UPDATE_ROW, NULL, &result);
	PG_RETURN_DATUM(result.update_row);
}

/* maintenance.close_maintenance(id, message, created_by) */
Datum
maintenance_close(PG_FUNCTION_ARGS)
{
	MaintenanceStatus requested = MAINTENANCE_COMPLETED;
	StatusUpdateResult result;
	char	   *message;
	char	   *created_by;

	check_extension_version();
	write_require_arg(fcinfo, 0, "id");
	message = write_optional_text(fcinfo, 1, "message", MAX_MESSAGE_BYTES);
	created_by = write_optional_text(fcinfo, 2, "created_by", MAX_AUTHOR_BYTES);

	apply_status_update(PG_GETARG_DATUM(0),
						message ? message : DEFAULT_CLOSE_MESSAGE, &requested,
						write_resolve_actor(created_by),
						WANT_MAINTENANCE_ROW, NULL, &result);
	PG_RETURN_DATUM(result.maintenance_row);
}
