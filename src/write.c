/*-------------------------------------------------------------------------
 *
 * write.c
 *	  The write path: create, update, add_update, close and delete.
 *
 *	  Every write validates its input before it touches a row, locks the
 *	  maintenance it changes, writes, reads the maintenance back and emits its
 *	  events (payload.c, outbox.c), all in the caller's transaction; the
 *	  statements are store.c's.  add_update, close and the transition sweep
 *	  (transitions.c) share apply_status_update_locked() and
 *	  apply_transitions_locked(), so a status change has exactly one
 *	  implementation: the row is locked and read first (by
 *	  apply_status_update(), or by the sweep's claim), then the status, the
 *	  timeline entry and the events are written by one statement
 *	  (store_write_status()).
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(maintenance_create);
PG_FUNCTION_INFO_V1(maintenance_update);
PG_FUNCTION_INFO_V1(maintenance_add_update);
PG_FUNCTION_INFO_V1(maintenance_close);
PG_FUNCTION_INFO_V1(maintenance_delete);

#define DEFAULT_CLOSE_MESSAGE "Maintenance completed early"

/* The whitespace that makes a text blank; the tables' CHECKs use the same. */
#define BLANK_CHARACTERS " \t\n\r\f\v"

/* ----------------------------------------------------------------------
 * Input validation: every check runs before the first write
 * ---------------------------------------------------------------------- */

/*
 * An argument's name for an error message: as the SQL functions call it
 * (system_ids), or, with maintenance.argument_names = json (which
 * maintenance.rpc() sets for its calls), as its JSON field (systemIds).
 */
const char *
write_arg_name(const char *sql_name)
{
	StringInfoData buf;

	if (maintenance_argument_names != ARGUMENT_NAMES_JSON)
		return sql_name;
	initStringInfo(&buf);
	for (const char *c = sql_name; *c; c++)
	{
		if (*c == '_' && c[1] != '\0')
			appendStringInfoChar(&buf, pg_ascii_toupper((unsigned char) *++c));
		else
			appendStringInfoChar(&buf, *c);
	}
	return buf.data;
}

void
write_require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be null", write_arg_name(name))));
}

static bool
write_is_blank(const char *value)
{
	return value[strspn(value, BLANK_CHARACTERS)] == '\0';
}

void
write_check_not_blank(const char *value, const char *name)
{
	if (write_is_blank(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be blank", write_arg_name(name))));
}

/* A text argument, when given, of at most max_bytes (limits.c). */
void
write_check_size(FunctionCallInfo fcinfo, int argno, const char *name,
				 int max_bytes)
{
	if (!PG_ARGISNULL(argno))
		limit_check_text(PG_GETARG_DATUM(argno), name, max_bytes);
}

/*
 * A text argument that must be present, not blank and at most max_bytes,
 * as a C string.
 */
char *
write_required_text(FunctionCallInfo fcinfo, int argno, const char *name,
					int max_bytes)
{
	char	   *value;

	write_require_arg(fcinfo, argno, name);
	write_check_size(fcinfo, argno, name, max_bytes);
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	write_check_not_blank(value, name);
	return value;
}

/* An optional text argument of at most max_bytes, as a C string or NULL. */
static char *
write_optional_text(FunctionCallInfo fcinfo, int argno, const char *name,
					int max_bytes)
{
	write_check_size(fcinfo, argno, name, max_bytes);
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static void
write_check_finite(TimestampTz ts, const char *name)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a finite timestamp", write_arg_name(name))));
}

static void
write_check_window(TimestampTz start_at, TimestampTz end_at)
{
	write_check_finite(start_at, "start_at");
	write_check_finite(end_at, "end_at");
	if (end_at <= start_at)
	{
		/* timestamptz_to_str() returns a static buffer: copy each result */
		char	   *start_str = pstrdup(timestamptz_to_str(start_at));
		char	   *end_str = pstrdup(timestamptz_to_str(end_at));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be later than \"%s\"",
						write_arg_name("end_at"), write_arg_name("start_at")),
				 errdetail("\"%s\" is %s and \"%s\" is %s.",
						   write_arg_name("start_at"), start_str,
						   write_arg_name("end_at"), end_str)));
	}
}

/*
 * system_ids must hold at least one id and at most MAX_SYSTEMS, none of
 * them null, blank or longer than MAX_SYSTEM_ID_BYTES.  Duplicates are
 * allowed and stored once.
 */
void
write_check_system_ids(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a one-dimensional array", write_arg_name("system_ids"))));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be empty", write_arg_name("system_ids")),
				 errdetail("A maintenance affects at least one system.")));
	limit_check_system_ids(n, elems, nulls);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain null", write_arg_name("system_ids"))));
		if (write_is_blank(TextDatumGetCString(elems[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain a blank id", write_arg_name("system_ids")),
					 errdetail("Element %d is blank.", i + 1)));
	}
}

/* The author of an update: the argument, else maintenance.actor, else none. */
static char *
write_resolve_actor(char *created_by)
{
	if (created_by != NULL)
		return created_by;
	if (maintenance_actor != NULL && maintenance_actor[0] != '\0')
		return pstrdup(maintenance_actor);
	return NULL;
}

/* ----------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------- */

static char *
write_uuid_text(Datum id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, id));
}

static void
write_raise_not_found(Datum id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("maintenance \"%s\" does not exist", write_uuid_text(id))));
}

/*
 * The UPDATE of a status change changed no row: a BEFORE UPDATE trigger
 * someone added on maintenances returned NULL.  Refused, so that no
 * timeline entry or event announces a change that did not happen.
 */
static void
write_raise_status_not_written(Datum id, MaintenanceStatus status)
{
	ereport(ERROR,
			(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
			 errmsg("the status of maintenance \"%s\" was not changed to %s",
					write_uuid_text(id), status_name(status)),
			 errdetail("A BEFORE UPDATE trigger on maintenance.maintenances skipped the row.")));
}

/* ----------------------------------------------------------------------
 * Status changes: add_update, close and the transition sweep
 * ---------------------------------------------------------------------- */

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
		write_raise_status_not_written(id, m.status);

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
 * A finished maintenance: its record can be corrected, not changed
 * ---------------------------------------------------------------------- */

static void
write_refuse_final_change(const MaintenanceRow *m, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot change \"%s\" of maintenance \"%s\": it is \"%s\"",
					write_arg_name(name), m->id, status_name(m->status)),
			 errdetail("Only the title and the description of a maintenance that is \"%s\" can change.",
					   status_name(m->status))));
}

/* Whether system_ids holds exactly the (distinct, sorted) ids of m. */
static bool
write_same_systems(ArrayType *system_ids, const MaintenanceRow *m)
{
	Datum	   *elems;
	int			n;
	int			distinct = 0;
	char	  **ids;

	deconstruct_array(system_ids, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, NULL, &n);
	ids = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		ids[i] = TextDatumGetCString(elems[i]);
	/* byte order, as maintenances.system_ids is sorted (COLLATE "C") */
	qsort(ids, n, sizeof(char *), pg_qsort_strcmp);
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
			continue;
		if (distinct >= m->nsystems || strcmp(ids[i], m->system_ids[distinct]) != 0)
			return false;
		distinct++;
	}
	return distinct == m->nsystems;
}

/*
 * update_maintenance of a completed or cancelled maintenance m: its title
 * and description can be corrected; suppress_notifications, start_at,
 * end_at, system_ids and reminders are refused with 55000, unless given
 * the value they have (no change).
 */
static void
write_check_final_unchanged(FunctionCallInfo fcinfo, const MaintenanceRow *m)
{
	if (!PG_ARGISNULL(3) && PG_GETARG_BOOL(3) != m->suppress_notifications)
		write_refuse_final_change(m, "suppress_notifications");
	if (!PG_ARGISNULL(4) && PG_GETARG_TIMESTAMPTZ(4) != m->start_at)
		write_refuse_final_change(m, "start_at");
	if (!PG_ARGISNULL(5) && PG_GETARG_TIMESTAMPTZ(5) != m->end_at)
		write_refuse_final_change(m, "end_at");
	if (!PG_ARGISNULL(6) && !write_same_systems(PG_GETARG_ARRAYTYPE_P(6), m))
		write_refuse_final_change(m, "system_ids");
	if (!PG_ARGISNULL(8) &&
		!store_same_reminders(PG_GETARG_DATUM(0), PG_GETARG_DATUM(8)))
		write_refuse_final_change(m, "reminders");
}

/* ----------------------------------------------------------------------
 * SQL-callable functions
 * ---------------------------------------------------------------------- */

/*
 * Write a new maintenance from checked values (those of store_insert()),
 * with the events of createMaintenance; *row, when given, gets it as
 * maintenances_with_systems.  The caller is connected to SPI.  The write
 * path of create_maintenance() and of the occurrences of series.
 */
void
write_create_checked(const Datum *values, const bool *nulls, Datum *row)
{
	Datum		id;
	MaintenanceRow m;
	EventBatch	events;

	event_batch_init(&events);
	id = store_insert(values, nulls);
	store_replace_systems(id, values[5]);

	store_load(id, &m, row);
	payload_add_signal(&events, &m, "created");
	payload_add_hook(&events, &m, NULL);
	payload_add_notifications(&events, &m, "created");
	event_batch_write(&events);
	/* a new deadline: the worker looks again at commit */
	worker_wake_on_commit();
}

/*
 * maintenance.create_maintenance(title, start_at, end_at, system_ids,
 *								  description, suppress_notifications,
 *								  reminders)
 */
Datum
maintenance_create(PG_FUNCTION_ARGS)
{
	char	   *title = write_required_text(fcinfo, 0, "title", MAX_TITLE_BYTES);
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, true, true};
	Datum		row;

	check_extension_version();
	write_require_arg(fcinfo, 1, "start_at");
	write_require_arg(fcinfo, 2, "end_at");
	write_require_arg(fcinfo, 3, "system_ids");
	write_check_window(PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2));
	write_check_system_ids(PG_GETARG_ARRAYTYPE_P(3));
	write_check_size(fcinfo, 4, "description", MAX_DESCRIPTION_BYTES);

	values[0] = CStringGetTextDatum(title);
	nulls[1] = PG_ARGISNULL(4);
	values[1] = nulls[1] ? (Datum) 0 : PG_GETARG_DATUM(4);
	values[2] = BoolGetDatum(PG_ARGISNULL(5) ? false : PG_GETARG_BOOL(5));
	values[3] = PG_GETARG_DATUM(1);
	values[4] = PG_GETARG_DATUM(2);
	values[5] = PG_GETARG_DATUM(3);
	/* a null means none, as the default '{}' does */
	values[6] = PG_ARGISNULL(6) ?
		PointerGetDatum(construct_empty_array(INTERVALOID)) :
		reminders_checked(PG_GETARG_ARRAYTYPE_P(6));
	values[7] = (Datum) 0;
	values[8] = (Datum) 0;

	SPI_connect();
	write_create_checked(values, nulls, &row);
	SPI_finish();

	PG_RETURN_DATUM(row);
}

/*
 * maintenance.update_maintenance(id, title, description,
 *								  suppress_notifications, start_at, end_at,
 *								  system_ids, clear_description, reminders)
 *
 * Null arguments leave their column as it is; clear_description sets the
 * description to null.
 */
Datum
maintenance_update(PG_FUNCTION_ARGS)
{
	Datum		id;
	bool		clear_description;
	TimestampTz start_at;
	TimestampTz end_at;
	Datum		values[9];
	bool		nulls[9];
	Datum		row;
	MaintenanceRow current;
	MaintenanceRow m;
	EventBatch	events;

	check_extension_version();
	write_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);
	write_check_size(fcinfo, 1, "title", MAX_TITLE_BYTES);
	if (!PG_ARGISNULL(1))
		write_check_not_blank(text_to_cstring(PG_GETARG_TEXT_PP(1)), "title");
	write_check_size(fcinfo, 2, "description", MAX_DESCRIPTION_BYTES);
	clear_description = !PG_ARGISNULL(7) && PG_GETARG_BOOL(7);
	if (clear_description && !PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" and \"%s\" cannot both be given",
						write_arg_name("description"), write_arg_name("clear_description"))));
	if (!PG_ARGISNULL(6))
		write_check_system_ids(PG_GETARG_ARRAYTYPE_P(6));
	if (!PG_ARGISNULL(8))
		(void) reminders_checked(PG_GETARG_ARRAYTYPE_P(8));

	event_batch_init(&events);
	SPI_connect();
	if (!store_lock_read(id, &current, CurrentMemoryContext))
		write_raise_not_found(id);
	if (status_is_final(current.status))
		write_check_final_unchanged(fcinfo, &current);
	start_at = PG_ARGISNULL(4) ? current.start_at : PG_GETARG_TIMESTAMPTZ(4);
	end_at = PG_ARGISNULL(5) ? current.end_at : PG_GETARG_TIMESTAMPTZ(5);
	write_check_window(start_at, end_at);

	values[0] = id;
	values[1] = PG_GETARG_DATUM(1);
	values[2] = BoolGetDatum(clear_description);
	values[3] = PG_GETARG_DATUM(2);
	values[4] = PG_GETARG_DATUM(3);
	values[5] = TimestampTzGetDatum(start_at);
	values[6] = TimestampTzGetDatum(end_at);
	values[7] = PG_GETARG_DATUM(6);
	values[8] = PG_GETARG_DATUM(8);
	nulls[0] = false;
	nulls[1] = PG_ARGISNULL(1);
	nulls[2] = false;
	nulls[3] = PG_ARGISNULL(2);
	nulls[4] = PG_ARGISNULL(3);
	nulls[5] = false;
	nulls[6] = false;
	nulls[7] = PG_ARGISNULL(6);
	nulls[8] = PG_ARGISNULL(8);
	store_update(values, nulls);
	if (!PG_ARGISNULL(6))
		store_replace_systems(id, PG_GETARG_DATUM(6));

	store_load(id, &m, &row);
	payload_add_signal(&events, &m, "updated");
	payload_add_hook(&events, &m, "updated");
	event_batch_write(&events);
	SPI_finish();
	/* start_at or end_at may have moved */
	worker_wake_on_commit();

	PG_RETURN_DATUM(row);
}

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

/*
 * maintenance.delete_maintenance(id) RETURNS boolean
 *
 * False when there is no such maintenance (the JSON API answers
 * {"success": false}).
 */
Datum
maintenance_delete(PG_FUNCTION_ARGS)
{
	Datum		id;
	MaintenanceRow m;
	EventBatch	events;

	check_extension_version();
	write_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);

	event_batch_init(&events);
	SPI_connect();
	if (!store_lock_for_delete(id))
	{
		SPI_finish();
		PG_RETURN_BOOL(false);
	}
	/* the signal names the systems the maintenance had */
	store_load(id, &m, NULL);
	store_delete(id);
	payload_add_signal(&events, &m, "closed");
	event_batch_write(&events);
	SPI_finish();

	PG_RETURN_BOOL(true);
}
