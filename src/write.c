/*-------------------------------------------------------------------------
 *
 * write.c
 *	  The write path: create, update, add_update, close and delete.
 *
 *	  Every write validates its input before it touches a row, locks the
 *	  maintenance it changes, writes, reads the maintenance back and emits its
 *	  events (events.c), all in the caller's transaction.  add_update, close
 *	  and the transition sweep (transitions.c) share
 *	  apply_status_update_locked(), so a status change has exactly one
 *	  implementation: the row is locked and read first (by
 *	  apply_status_update(), or by the sweep's claim), then the status, the
 *	  timeline entry and the events are written by one statement.
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

static SPIPlanPtr lock_plan;
static SPIPlanPtr lock_for_delete_plan;
static SPIPlanPtr load_plan;
static SPIPlanPtr insert_maintenance_plan;
static SPIPlanPtr update_maintenance_plan;
static SPIPlanPtr replace_systems_plan;
static SPIPlanPtr lock_read_plan;
static SPIPlanPtr write_change_plan;
static SPIPlanPtr write_message_plan;
static SPIPlanPtr write_batch_plan;
static SPIPlanPtr delete_plan;

/* ----------------------------------------------------------------------
 * Input validation: every check runs before the first write
 * ---------------------------------------------------------------------- */

/*
 * An argument's name for an error message: as the SQL functions call it
 * (system_ids), or, with maintenance.argument_names = json (which
 * maintenance.rpc() sets for its calls), as its JSON field (systemIds).
 */
static const char *
arg_name(const char *sql_name)
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

static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be null", arg_name(name))));
}

static bool
is_blank(const char *value)
{
	return value[strspn(value, BLANK_CHARACTERS)] == '\0';
}

static void
check_not_blank(const char *value, const char *name)
{
	if (is_blank(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be blank", arg_name(name))));
}

/* A text argument that must be present and not blank, as a C string. */
static char *
required_text(FunctionCallInfo fcinfo, int argno, const char *name)
{
	char	   *value;

	require_arg(fcinfo, argno, name);
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	check_not_blank(value, name);
	return value;
}

static char *
optional_text(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static void
check_finite(TimestampTz ts, const char *name)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a finite timestamp", arg_name(name))));
}

static void
check_window(TimestampTz start_at, TimestampTz end_at)
{
	check_finite(start_at, "start_at");
	check_finite(end_at, "end_at");
	if (end_at <= start_at)
	{
		/* timestamptz_to_str() returns a static buffer: copy each result */
		char	   *start_str = pstrdup(timestamptz_to_str(start_at));
		char	   *end_str = pstrdup(timestamptz_to_str(end_at));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be later than \"%s\"",
						arg_name("end_at"), arg_name("start_at")),
				 errdetail("\"%s\" is %s and \"%s\" is %s.",
						   arg_name("start_at"), start_str,
						   arg_name("end_at"), end_str)));
	}
}

/*
 * system_ids must hold at least one id, none of them null or blank.
 * Duplicates are allowed and stored once.
 */
static void
check_system_ids(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a one-dimensional array", arg_name("system_ids"))));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be empty", arg_name("system_ids")),
				 errdetail("A maintenance affects at least one system.")));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain null", arg_name("system_ids"))));
		if (is_blank(TextDatumGetCString(elems[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain a blank id", arg_name("system_ids")),
					 errdetail("Element %d is blank.", i + 1)));
	}
}

/* The author of an update: the argument, else maintenance.actor, else none. */
static char *
resolve_actor(char *created_by)
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
uuid_text(Datum id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, id));
}

static void
raise_not_found(Datum id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("maintenance \"%s\" does not exist", uuid_text(id))));
}

/*
 * The UPDATE of a status change changed no row: a BEFORE UPDATE trigger
 * someone added on maintenances returned NULL.  Refused, so that no
 * timeline entry or event announces a change that did not happen.
 */
static void
raise_status_not_written(Datum id, MaintenanceStatus status)
{
	ereport(ERROR,
			(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
			 errmsg("the status of maintenance \"%s\" was not changed to %s",
					uuid_text(id), status_name(status)),
			 errdetail("A BEFORE UPDATE trigger on maintenance.maintenances skipped the row.")));
}

/*
 * Lock the maintenance against concurrent writers and the transition sweep.
 * Returns false when there is none.  The current start_at and end_at are
 * returned for the caller's checks when the pointers are given.
 */
static bool
lock_maintenance(Datum id, bool for_delete, MaintenanceStatus *status,
				 TimestampTz *start_at, TimestampTz *end_at)
{
	static const Oid argtypes[] = {UUIDOID};
	SPIPlanPtr	plan;
	bool		isnull;

	if (for_delete)
		plan = cached_plan(&lock_for_delete_plan,
						   "SELECT status::pg_catalog.text, start_at, end_at"
						   " FROM maintenance.maintenances"
						   " WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
						   1, argtypes);
	else
		plan = cached_plan(&lock_plan,
						   "SELECT status::pg_catalog.text, start_at, end_at"
						   " FROM maintenance.maintenances"
						   " WHERE id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
						   1, argtypes);
	run_plan(plan, &id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	if (status != NULL)
		*status = status_from_name(spi_text(0, 1));
	if (start_at != NULL)
		*start_at = DatumGetTimestampTz(spi_datum(0, 2, &isnull));
	if (end_at != NULL)
		*end_at = DatumGetTimestampTz(spi_datum(0, 3, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/*
 * Row row of the last SPI result, from column first on: EVENT_ROW_COLUMNS,
 * or the same columns of maintenances_with_systems; allocated in cxt.
 */
void
maintenance_row_from_result(uint64 row, int first, MaintenanceRow *m,
							MemoryContext cxt)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	HeapTuple	tuple = SPI_tuptable->vals[row];
	TupleDesc	tupdesc = SPI_tuptable->tupdesc;
	bool		isnull;
	Datum	   *elems;
	int			n;

	m->id = SPI_getvalue(tuple, tupdesc, first);
	m->title = SPI_getvalue(tuple, tupdesc, first + 1);
	m->description = SPI_getvalue(tuple, tupdesc, first + 2);
	m->suppress_notifications = DatumGetBool(SPI_getbinval(tuple, tupdesc, first + 3, &isnull));
	m->status = status_from_name(SPI_getvalue(tuple, tupdesc, first + 4));
	m->start_at = DatumGetTimestampTz(SPI_getbinval(tuple, tupdesc, first + 5, &isnull));
	m->end_at = DatumGetTimestampTz(SPI_getbinval(tuple, tupdesc, first + 6, &isnull));
	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tuple, tupdesc, first + 7, &isnull)),
					  TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, NULL, &n);
	m->nsystems = n;
	m->system_ids = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		m->system_ids[i] = TextDatumGetCString(elems[i]);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Read the maintenance back after a write, for the events; with row given,
 * also as a maintenances_with_systems value for the caller's result.
 */
static void
load_maintenance(Datum id, MaintenanceRow *m, Datum *row)
{
	static const Oid argtypes[] = {UUIDOID};
	SPIPlanPtr	plan;
	bool		isnull;

	plan = cached_plan(&load_plan,
					   "SELECT v, v.id::pg_catalog.text, v.title, v.description,"
					   " v.suppress_notifications, v.status::pg_catalog.text,"
					   " v.start_at, v.end_at, v.system_ids"
					   " FROM maintenance.maintenances_with_systems v"
					   " WHERE v.id OPERATOR(pg_catalog.=) $1",
					   1, argtypes);
	run_plan(plan, &id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed != 1)
		elog(ERROR, "maintenance %s vanished during a write", uuid_text(id));

	if (row != NULL)
		*row = SPI_datumTransfer(spi_datum(0, 1, &isnull), false, -1);
	maintenance_row_from_result(0, 2, m, CurrentMemoryContext);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Make the maintenance's rows of maintenance_systems the distinct ids of
 * system_ids.  One statement: ids that stay keep their rows, and the
 * statement triggers that keep maintenances.system_ids (0.2.0) run once,
 * after both parts, and find the column already right (the caller wrote it,
 * see SORTED_SYSTEM_IDS) instead of rewriting the row twice.
 */
static void
replace_systems(Datum id, Datum system_ids)
{
	static const Oid argtypes[] = {UUIDOID, TEXTARRAYOID};
	Datum		values[2] = {id, system_ids};

	run_plan(cached_plan(&replace_systems_plan,
						 "WITH gone AS ("
						 " DELETE FROM maintenance.maintenance_systems"
						 " WHERE maintenance_id OPERATOR(pg_catalog.=) $1"
						 " AND system_id OPERATOR(pg_catalog.<>) ALL ($2))"
						 " INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)"
						 " SELECT DISTINCT $1, s FROM pg_catalog.unnest($2) AS s"
						 " ON CONFLICT DO NOTHING",
						 2, argtypes),
			 values, NULL, false, SPI_OK_INSERT);
}

/* ----------------------------------------------------------------------
 * Status changes: add_update, close and the transition sweep
 * ---------------------------------------------------------------------- */

/* The notification event of a real status change into status. */
static const char *
notification_event(MaintenanceStatus status)
{
	switch (status)
	{
		case MAINTENANCE_IN_PROGRESS:
			return "started";
		case MAINTENANCE_COMPLETED:
			return "completed";
		case MAINTENANCE_CANCELLED:
			return "cancelled";
		case MAINTENANCE_SCHEDULED:
			break;
	}
	return "updated";
}

static void
refuse_status_change(Datum id, MaintenanceStatus current,
					 MaintenanceStatus requested)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot change status of maintenance \"%s\" from \"%s\" to \"%s\"",
					uuid_text(id), status_name(current),
					status_name(requested)),
			 (current == MAINTENANCE_COMPLETED ||
			  current == MAINTENANCE_CANCELLED) ?
			 errdetail("A maintenance that is \"%s\" keeps that status.",
					   status_name(current)) :
			 errdetail("A maintenance that is \"%s\" can only become \"completed\" or \"cancelled\".",
					   status_name(current))));
}

/*
 * Add an update to the timeline of maintenance id, changing its status to
 * *requested when given, like apply_status_update(), for a caller that has
 * locked the row (FOR NO KEY UPDATE, in this transaction) and read it into
 * *m with EVENT_ROW_COLUMNS: the transition sweep claims and reads its rows
 * in batches.  The change of status, the timeline entry and every event are
 * written by one statement.
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
	static const Oid argtypes[] = {UUIDOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	EventBatch	own_events;
	EventBatch *events = notify_later;
	MaintenanceRow m = *locked;
	bool		changed = false;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	bool		isnull;
	const char *action;
	SPIPlanPtr	plan;

	check_not_blank(message, "message");

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

	/* Upstream: "closed" whenever completion was asked for, else "updated". */
	action = (requested != NULL && *requested == MAINTENANCE_COMPLETED) ?
		"closed" : "updated";
	add_signal_event(events, &m, action);
	add_hook_event(events, &m, action);
	if (changed)
		add_notification_events(events, &m, notification_event(m.status));

	values[0] = id;
	values[1] = CStringGetTextDatum(message);
	nulls[2] = !changed;
	values[2] = changed ? CStringGetTextDatum(status_name(m.status)) : (Datum) 0;
	nulls[3] = (created_by == NULL);
	values[3] = created_by ? CStringGetTextDatum(created_by) : (Datum) 0;
	event_batch_args(events, &values[4], &values[5], &values[6]);

	/*
	 * The status (when it changes), the timeline entry and the events, in
	 * one statement: each of them is a small write, and a statement's own
	 * cost (executor start, constraint expressions) is what a sweep of
	 * thousands of them would otherwise pay several times per maintenance.
	 */
#define WRITE_UPDATE_AND_EVENTS \
	" new_update AS (" \
	" INSERT INTO maintenance.maintenance_updates AS u" \
	" (maintenance_id, message, status_change, created_by)" \
	" VALUES ($1, $2, $3::maintenance.status, $4)" \
	" RETURNING u)," \
	" new_events AS (" \
	" INSERT INTO maintenance.events (channel, name, payload)" \
	" SELECT e.channel, e.name, e.payload::pg_catalog.jsonb" \
	" FROM ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6)," \
	" pg_catalog.unnest($7)) AS e(channel, name, payload)" \
	" RETURNING id, occurred_at)" \
	" SELECT (SELECT new_update.u FROM new_update)," \
	" new_events.id, new_events.occurred_at"

	if (changed)
		plan = cached_plan(&write_change_plan,
						   "WITH changed AS ("
						   " UPDATE maintenance.maintenances"
						   " SET status = $3::maintenance.status,"
						   " updated_at = pg_catalog.now()"
						   " WHERE id OPERATOR(pg_catalog.=) $1"
						   " RETURNING 1),"
						   WRITE_UPDATE_AND_EVENTS ","
						   " (SELECT pg_catalog.count(*) FROM changed)"
						   " FROM new_events",
						   7, argtypes);
	else
		plan = cached_plan(&write_message_plan,
						   "WITH" WRITE_UPDATE_AND_EVENTS " FROM new_events",
						   7, argtypes);
#undef WRITE_UPDATE_AND_EVENTS
	run_plan(plan, values, nulls, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		elog(ERROR, "no event was written for maintenance %s", uuid_text(id));
	if (changed && DatumGetInt64(spi_datum(0, 4, &isnull)) != 1)
		raise_status_not_written(id, m.status);
	if (want & WANT_UPDATE_ROW)
		result->update_row = SPI_datumTransfer(spi_datum(0, 1, &isnull),
											   false, -1);
	event_batch_match_result(events, 2);
	SPI_freetuptable(SPI_tuptable);

	if (want & WANT_MAINTENANCE_ROW)
	{
		MaintenanceRow again;

		load_maintenance(id, &again, &result->maintenance_row);
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
 * Move n maintenances, locked and read by the caller (the transition
 * sweep's claim, EVENT_ROW_COLUMNS) and all in a status from which target
 * is allowed, to target, with one statement: the status of each, a timeline
 * entry each (message, no author), and every event, in the order of the
 * rows.  This is apply_status_update_locked() for many rows at once; the
 * events are left in *events (initialized by the caller) for the caller to
 * NOTIFY once its subtransaction has committed.
 */
void
apply_transitions_locked(const pg_uuid_t *ids, const MaintenanceRow *rows,
						 int n, MaintenanceStatus target, const char *message,
						 EventBatch *events)
{
	static const Oid argtypes[] = {TEXTOID, UUIDARRAYOID, TEXTOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	/* the sweep completes, it does not close: "closed" is asked for */
	const char *action = (target == MAINTENANCE_COMPLETED) ? "closed" : "updated";
	Datum	   *id_datums;
	Datum		values[6];
	bool		isnull;

	if (n == 0)
		return;

	id_datums = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		MaintenanceRow m = rows[i];

		if (!status_change_allowed(m.status, target))
			refuse_status_change(UUIDPGetDatum(&ids[i]), m.status, target);
		m.status = target;
		add_signal_event(events, &m, action);
		add_hook_event(events, &m, action);
		add_notification_events(events, &m, notification_event(target));
		id_datums[i] = UUIDPGetDatum(&ids[i]);
	}

	SPI_connect();
	values[0] = CStringGetTextDatum(status_name(target));
	values[1] = PointerGetDatum(construct_array(id_datums, n, UUIDOID,
												UUID_LEN, false, TYPALIGN_CHAR));
	values[2] = CStringGetTextDatum(message);
	event_batch_args(events, &values[3], &values[4], &values[5]);

	/*
	 * The timeline entries and the events are inserted in the order of the
	 * arrays (WITH ORDINALITY ... ORDER BY): positions and event ids follow
	 * the rows, as n calls of apply_status_update_locked() would take them.
	 */
	run_plan(cached_plan(&write_batch_plan,
						 "WITH changed AS ("
						 " UPDATE maintenance.maintenances m"
						 " SET status = $1::maintenance.status,"
						 " updated_at = pg_catalog.now()"
						 " WHERE m.id OPERATOR(pg_catalog.=) ANY ($2)"
						 " RETURNING 1),"
						 " new_updates AS ("
						 " INSERT INTO maintenance.maintenance_updates"
						 " (maintenance_id, message, status_change)"
						 " SELECT t.id, $3, $1::maintenance.status"
						 " FROM pg_catalog.unnest($2) WITH ORDINALITY AS t(id, ord)"
						 " ORDER BY t.ord),"
						 " new_events AS ("
						 " INSERT INTO maintenance.events (channel, name, payload)"
						 " SELECT e.channel, e.name, e.payload::pg_catalog.jsonb"
						 " FROM ROWS FROM (pg_catalog.unnest($4), pg_catalog.unnest($5),"
						 " pg_catalog.unnest($6)) WITH ORDINALITY AS e(channel, name, payload, ord)"
						 " ORDER BY e.ord"
						 " RETURNING id, occurred_at)"
						 " SELECT new_events.id, new_events.occurred_at,"
						 " (SELECT pg_catalog.count(*) FROM changed)"
						 " FROM new_events",
						 6, argtypes),
			 values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed > 0 &&
		DatumGetInt64(spi_datum(0, 3, &isnull)) != n)
		elog(ERROR, "the transition of %d maintenances changed %d",
			 n, (int) DatumGetInt64(spi_datum(0, 3, &isnull)));
	event_batch_match_result(events, 1);
	SPI_freetuptable(SPI_tuptable);
	SPI_finish();
	pfree(id_datums);
	/* a new status: the deadline that matters is another one */
	worker_wake_on_commit();
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
	static const Oid argtypes[] = {UUIDOID};
	MemoryContext callercxt = CurrentMemoryContext;
	MaintenanceRow m;

	check_not_blank(message, "message");

	SPI_connect();
	run_plan(cached_plan(&lock_read_plan,
						 "SELECT " EVENT_ROW_COLUMNS
						 " FROM maintenance.maintenances m"
						 " WHERE m.id OPERATOR(pg_catalog.=) $1"
						 " FOR NO KEY UPDATE OF m",
						 1, argtypes),
			 &id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		raise_not_found(id);
	/* into the caller's context: SPI_finish below frees SPI's memory */
	maintenance_row_from_result(0, 1, &m, callercxt);
	SPI_freetuptable(SPI_tuptable);
	SPI_finish();

	apply_status_update_locked(id, &m, message, requested, created_by, want,
							   notify_later, result);
}

/* ----------------------------------------------------------------------
 * SQL-callable functions
 * ---------------------------------------------------------------------- */

/*
 * maintenance.create_maintenance(title, start_at, end_at, system_ids,
 *								  description, suppress_notifications)
 */
Datum
maintenance_create(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {TEXTOID, TEXTOID, BOOLOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTARRAYOID};
	char	   *title = required_text(fcinfo, 0, "title");
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	bool		isnull;
	Datum		id;
	Datum		row;
	MaintenanceRow m;
	EventBatch	events;

	check_extension_version();
	require_arg(fcinfo, 1, "start_at");
	require_arg(fcinfo, 2, "end_at");
	require_arg(fcinfo, 3, "system_ids");
	check_window(PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2));
	check_system_ids(PG_GETARG_ARRAYTYPE_P(3));

	values[0] = CStringGetTextDatum(title);
	nulls[1] = PG_ARGISNULL(4);
	values[1] = nulls[1] ? (Datum) 0 : PG_GETARG_DATUM(4);
	values[2] = BoolGetDatum(PG_ARGISNULL(5) ? false : PG_GETARG_BOOL(5));
	values[3] = PG_GETARG_DATUM(1);
	values[4] = PG_GETARG_DATUM(2);
	values[5] = PG_GETARG_DATUM(3);

	event_batch_init(&events);
	SPI_connect();
	run_plan(cached_plan(&insert_maintenance_plan,
						 "INSERT INTO maintenance.maintenances"
						 " (title, description, suppress_notifications,"
						 " start_at, end_at, system_ids)"
						 " VALUES ($1, $2, $3, $4, $5, " SORTED_SYSTEM_IDS("$6") ")"
						 " RETURNING id",
						 6, argtypes),
			 values, nulls, false, SPI_OK_INSERT_RETURNING);
	id = spi_datum(0, 1, &isnull);
	replace_systems(id, PG_GETARG_DATUM(3));

	load_maintenance(id, &m, &row);
	add_signal_event(&events, &m, "created");
	add_hook_event(&events, &m, NULL);
	add_notification_events(&events, &m, "created");
	event_batch_write(&events);
	SPI_finish();
	/* a new deadline: the worker (worker.c) looks again at commit */
	worker_wake_on_commit();

	PG_RETURN_DATUM(row);
}

/*
 * maintenance.update_maintenance(id, title, description,
 *								  suppress_notifications, start_at, end_at,
 *								  system_ids, clear_description)
 *
 * Null arguments leave their column as it is; clear_description sets the
 * description to null.
 */
Datum
maintenance_update(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {UUIDOID, TEXTOID, BOOLOID, TEXTOID, BOOLOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTARRAYOID};
	Datum		id;
	bool		clear_description;
	TimestampTz start_at;
	TimestampTz end_at;
	Datum		values[8];
	bool		nulls[8];
	Datum		row;
	MaintenanceRow m;
	EventBatch	events;

	check_extension_version();
	require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);
	if (!PG_ARGISNULL(1))
		check_not_blank(text_to_cstring(PG_GETARG_TEXT_PP(1)), "title");
	clear_description = !PG_ARGISNULL(7) && PG_GETARG_BOOL(7);
	if (clear_description && !PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" and \"%s\" cannot both be given",
						arg_name("description"), arg_name("clear_description"))));
	if (!PG_ARGISNULL(6))
		check_system_ids(PG_GETARG_ARRAYTYPE_P(6));

	event_batch_init(&events);
	SPI_connect();
	if (!lock_maintenance(id, false, NULL, &start_at, &end_at))
		raise_not_found(id);
	if (!PG_ARGISNULL(4))
		start_at = PG_GETARG_TIMESTAMPTZ(4);
	if (!PG_ARGISNULL(5))
		end_at = PG_GETARG_TIMESTAMPTZ(5);
	check_window(start_at, end_at);

	values[0] = id;
	values[1] = PG_GETARG_DATUM(1);
	values[2] = BoolGetDatum(clear_description);
	values[3] = PG_GETARG_DATUM(2);
	values[4] = PG_GETARG_DATUM(3);
	values[5] = TimestampTzGetDatum(start_at);
	values[6] = TimestampTzGetDatum(end_at);
	values[7] = PG_GETARG_DATUM(6);
	nulls[0] = false;
	nulls[1] = PG_ARGISNULL(1);
	nulls[2] = false;
	nulls[3] = PG_ARGISNULL(2);
	nulls[4] = PG_ARGISNULL(3);
	nulls[5] = false;
	nulls[6] = false;
	nulls[7] = PG_ARGISNULL(6);
	run_plan(cached_plan(&update_maintenance_plan,
						 "UPDATE maintenance.maintenances SET"
						 " title = COALESCE($2, title),"
						 " description = CASE WHEN $3 THEN NULL"
						 " ELSE COALESCE($4, description) END,"
						 " suppress_notifications = COALESCE($5, suppress_notifications),"
						 " start_at = $6, end_at = $7,"
						 " system_ids = CASE WHEN $8 IS NULL THEN system_ids"
						 " ELSE " SORTED_SYSTEM_IDS("$8") " END,"
						 " updated_at = pg_catalog.now()"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 8, argtypes),
			 values, nulls, false, SPI_OK_UPDATE);
	if (!PG_ARGISNULL(6))
		replace_systems(id, PG_GETARG_DATUM(6));

	load_maintenance(id, &m, &row);
	add_signal_event(&events, &m, "updated");
	add_hook_event(&events, &m, "updated");
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
	require_arg(fcinfo, 0, "maintenance_id");
	require_arg(fcinfo, 1, "message");
	if (!PG_ARGISNULL(2))
		requested = status_from_name(DatumGetCString(
			DirectFunctionCall1(enum_out, PG_GETARG_DATUM(2))));

	apply_status_update(PG_GETARG_DATUM(0),
						text_to_cstring(PG_GETARG_TEXT_PP(1)),
						PG_ARGISNULL(2) ? NULL : &requested,
						resolve_actor(optional_text(fcinfo, 3)),
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

	check_extension_version();
	require_arg(fcinfo, 0, "id");
	message = PG_ARGISNULL(1) ? DEFAULT_CLOSE_MESSAGE :
		text_to_cstring(PG_GETARG_TEXT_PP(1));

	apply_status_update(PG_GETARG_DATUM(0), message, &requested,
						resolve_actor(optional_text(fcinfo, 2)),
						WANT_MAINTENANCE_ROW, NULL, &result);
	PG_RETURN_DATUM(result.maintenance_row);
}

/*
 * maintenance.delete_maintenance(id) RETURNS boolean
 *
 * False when there is no such maintenance, as upstream's {success: false}.
 */
Datum
maintenance_delete(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {UUIDOID};
	Datum		id;
	MaintenanceRow m;

	check_extension_version();
	require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);

	SPI_connect();
	if (!lock_maintenance(id, true, NULL, NULL, NULL))
	{
		SPI_finish();
		PG_RETURN_BOOL(false);
	}
	/* the signal names the systems the maintenance had */
	load_maintenance(id, &m, NULL);
	run_plan(cached_plan(&delete_plan,
						 "DELETE FROM maintenance.maintenances"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 1, argtypes),
			 &id, NULL, false, SPI_OK_DELETE);
	emit_signal(&m, "closed");
	SPI_finish();

	PG_RETURN_BOOL(true);
}
