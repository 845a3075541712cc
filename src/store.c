/*-------------------------------------------------------------------------
 *
 * store.c
 *	  Every statement on the extension's tables, each written once and
 *	  prepared once per backend (cached_plan(), spi_util.c): the write
 *	  path's lock, read-back, insert, update, systems and delete; the one
 *	  statement of every status change (status, timeline entries, events);
 *	  the transition sweep's claim; the reminders' claim and record; the
 *	  worker's look for the next deadline.
 *	  The caller is connected to SPI.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

/*
 * The columns of a maintenance that its events need, for a query on
 * maintenance.maintenances aliased m, in the order store_row_from_result()
 * reads them: the values of maintenances_with_systems.
 */
#define STORE_ROW_COLUMNS \
	"m.id::pg_catalog.text, m.title, m.description, m.suppress_notifications," \
	" m.status::pg_catalog.text, m.start_at, m.end_at, m.system_ids"

/* The claim of the sweep: due rows after (time, id), in that order. */
#define STORE_CLAIM_SQL(status, column) \
	"SELECT m.id, m." column ", " STORE_ROW_COLUMNS \
	" FROM maintenance.maintenances m" \
	" WHERE m.status OPERATOR(pg_catalog.=) '" status "'::maintenance.status" \
	" AND m." column " OPERATOR(pg_catalog.<=) $1" \
	" AND (m." column ", m.id) OPERATOR(pg_catalog.>) ($2, $3)" \
	" ORDER BY m." column ", m.id LIMIT $4" \
	" FOR NO KEY UPDATE OF m SKIP LOCKED"

static SPIPlanPtr lock_for_delete_plan;
static SPIPlanPtr lock_read_plan;
static SPIPlanPtr load_plan;
static SPIPlanPtr insert_plan;
static SPIPlanPtr update_plan;
static SPIPlanPtr insert_systems_plan;
static SPIPlanPtr remove_systems_plan;
static SPIPlanPtr replace_systems_plan;
static SPIPlanPtr delete_plan;
static SPIPlanPtr write_status_plan;
static SPIPlanPtr claim_start_plan;
static SPIPlanPtr claim_complete_plan;
static SPIPlanPtr next_deadline_plan;
static SPIPlanPtr same_reminders_plan;
static SPIPlanPtr drop_stale_reminders_plan;
static SPIPlanPtr claim_reminders_plan;
static SPIPlanPtr mark_reminders_sent_plan;

static const Oid store_uuid_arg[] = {UUIDOID};

/*
 * Row row of the last SPI result, from column first on: STORE_ROW_COLUMNS,
 * or the same columns of maintenances_with_systems; allocated in cxt.
 */
static void
store_row_from_result(uint64 row, int first, MaintenanceRow *m,
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
 * Lock the maintenance that is to be deleted (FOR UPDATE, against
 * concurrent writers and the transition sweep).  Returns false when there
 * is none.
 */
bool
store_lock_for_delete(Datum id)
{
	bool		found;

	run_plan(cached_plan(&lock_for_delete_plan,
						 "SELECT FROM maintenance.maintenances"
						 " WHERE id OPERATOR(pg_catalog.=) $1 FOR UPDATE",
						 1, store_uuid_arg),
			 &id, NULL, false, SPI_OK_SELECT);
	found = SPI_processed > 0;
	SPI_freetuptable(SPI_tuptable);
	return found;
}

/* Lock the maintenance (FOR NO KEY UPDATE) and read it into *m, in cxt. */
bool
store_lock_read(Datum id, MaintenanceRow *m, MemoryContext cxt)
{
	run_plan(cached_plan(&lock_read_plan,
						 "SELECT " STORE_ROW_COLUMNS
						 " FROM maintenance.maintenances m"
						 " WHERE m.id OPERATOR(pg_catalog.=) $1"
						 " FOR NO KEY UPDATE OF m",
						 1, store_uuid_arg),
			 &id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	store_row_from_result(0, 1, m, cxt);
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/*
 * Read the maintenance back after a write, for the events; with row given,
 * also as a maintenances_with_systems value for the caller's result.
 */
void
store_load(Datum id, MaintenanceRow *m, Datum *row)
{
	bool		isnull;

	run_plan(cached_plan(&load_plan,
						 "SELECT v, v.id::pg_catalog.text, v.title, v.description,"
						 " v.suppress_notifications, v.status::pg_catalog.text,"
						 " v.start_at, v.end_at, v.system_ids"
						 " FROM maintenance.maintenances_with_systems v"
						 " WHERE v.id OPERATOR(pg_catalog.=) $1",
						 1, store_uuid_arg),
			 &id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed != 1)
		elog(ERROR, "maintenance %s vanished during a write",
			 DatumGetCString(DirectFunctionCall1(uuid_out, id)));

	if (row != NULL)
		*row = SPI_datumTransfer(spi_datum(0, 1, &isnull), false, -1);
	store_row_from_result(0, 2, m, CurrentMemoryContext);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Insert a maintenance: title, description, suppress_notifications,
 * start_at, end_at, system_ids, reminders (checked), series_id,
 * occurrence_start (both null but for an occurrence of a series).  Returns
 * its id; the caller then writes its systems with store_insert_systems().
 */
Datum
store_insert(const Datum *values, const bool *nulls)
{
	static const Oid argtypes[] = {TEXTOID, TEXTOID, BOOLOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTARRAYOID, INTERVALARRAYOID, UUIDOID,
	TIMESTAMPOID};
	bool		isnull;

	run_plan(cached_plan(&insert_plan,
						 "INSERT INTO maintenance.maintenances"
						 " (title, description, suppress_notifications,"
						 " start_at, end_at, system_ids, reminders, series_id, occurrence_start)"
						 " VALUES ($1, $2, $3, $4, $5, " STORE_SORTED_SYSTEM_IDS("$6") ", $7, $8, $9)"
						 " RETURNING id",
						 9, argtypes),
			 values, nulls, false, SPI_OK_INSERT_RETURNING);
	return spi_datum(0, 1, &isnull);
}

/*
 * Update a maintenance: id, title, clear_description, description,
 * suppress_notifications, start_at, end_at, system_ids, reminders
 * (checked).  A null leaves its column as it is; clear_description sets the
 * description to null.
 */
void
store_update(const Datum *values, const bool *nulls)
{
	static const Oid argtypes[] = {UUIDOID, TEXTOID, BOOLOID, TEXTOID, BOOLOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTARRAYOID, INTERVALARRAYOID};

	run_plan(cached_plan(&update_plan,
						 "UPDATE maintenance.maintenances SET"
						 " title = COALESCE($2, title),"
						 " description = CASE WHEN $3 THEN NULL"
						 " ELSE COALESCE($4, description) END,"
						 " suppress_notifications = COALESCE($5, suppress_notifications),"
						 " start_at = $6, end_at = $7,"
						 " system_ids = CASE WHEN $8 IS NULL THEN system_ids"
						 " ELSE " STORE_SORTED_SYSTEM_IDS("$8") " END,"
						 " reminders = COALESCE($9, reminders),"
						 " updated_at = pg_catalog.now()"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 9, argtypes),
			 values, nulls, false, SPI_OK_UPDATE);
}

/*
 * The statements on maintenance_systems below.  Each fires the statement
 * triggers that keep maintenances.system_ids and maintenance_windows
 * (sql/src/03_triggers.sql, 06_coverage.sql), even when it touches no row:
 * the caller runs only the one its change needs.  Each time the triggers
 * find maintenances.system_ids already right (the caller wrote it, see
 * STORE_SORTED_SYSTEM_IDS) and leave the row alone.
 */
#define STORE_INSERT_SYSTEMS_SQL \
	"INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)" \
	" SELECT DISTINCT $1, s FROM pg_catalog.unnest($2) AS s" \
	" ON CONFLICT DO NOTHING"
#define STORE_REMOVE_SYSTEMS_SQL \
	"DELETE FROM maintenance.maintenance_systems" \
	" WHERE maintenance_id OPERATOR(pg_catalog.=) $1" \
	" AND system_id OPERATOR(pg_catalog.<>) ALL ($2)"

/* Run one of the statements below with the maintenance and its system ids. */
static void
store_run_systems(SPIPlanPtr *plan, const char *sql, int expected,
				  Datum id, Datum system_ids)
{
	static const Oid argtypes[] = {UUIDOID, TEXTARRAYOID};
	Datum		values[2] = {id, system_ids};

	run_plan(cached_plan(plan, sql, 2, argtypes), values, NULL, false, expected);
}

/*
 * Add the distinct ids of system_ids the maintenance does not have yet:
 * all of them for a new maintenance.
 */
void
store_insert_systems(Datum id, Datum system_ids)
{
	store_run_systems(&insert_systems_plan, STORE_INSERT_SYSTEMS_SQL,
					  SPI_OK_INSERT, id, system_ids);
}

/* Remove the systems of the maintenance that system_ids does not hold. */
void
store_remove_systems(Datum id, Datum system_ids)
{
	store_run_systems(&remove_systems_plan, STORE_REMOVE_SYSTEMS_SQL,
					  SPI_OK_DELETE, id, system_ids);
}

/*
 * Make the maintenance's rows of maintenance_systems the distinct ids of
 * system_ids, when some are added and others removed.  One statement: ids
 * that stay keep their rows, and the triggers run after both parts (after
 * a DELETE alone they would see the systems half replaced).
 */
void
store_replace_systems(Datum id, Datum system_ids)
{
	store_run_systems(&replace_systems_plan,
					  "WITH gone AS (" STORE_REMOVE_SYSTEMS_SQL ") " STORE_INSERT_SYSTEMS_SQL,
					  SPI_OK_INSERT, id, system_ids);
}

void
store_delete(Datum id)
{
	run_plan(cached_plan(&delete_plan,
						 "DELETE FROM maintenance.maintenances"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 1, store_uuid_arg),
			 &id, NULL, false, SPI_OK_DELETE);
}

/*
 * The one statement of every status change and timeline message: for each
 * maintenance of ids (uuid[], locked by the caller), the status becomes
 * *target (none when target is NULL: a message only), a timeline entry
 * (message, created_by, which may be NULL) is added, and the events of the
 * batch are inserted, all in the order of the arrays: positions and event
 * ids follow the rows.  One statement, because each of these is a small
 * write and a statement's own cost (executor start, constraint
 * expressions) is what a sweep of thousands of them would otherwise pay
 * several times per maintenance.  Returns how many maintenances changed
 * status; *update_row, when given, is the (first) timeline entry, in the
 * caller's memory context.
 */
int64
store_write_status(const MaintenanceStatus *target, Datum ids,
				   const char *message, const char *created_by,
				   EventBatch *events, Datum *update_row)
{
	static const Oid argtypes[] = {TEXTOID, UUIDARRAYOID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};
	bool		isnull;
	int64		changed;

	nulls[0] = (target == NULL);
	values[0] = target ? CStringGetTextDatum(status_name(*target)) : (Datum) 0;
	values[1] = ids;
	values[2] = CStringGetTextDatum(message);
	nulls[3] = (created_by == NULL);
	values[3] = created_by ? CStringGetTextDatum(created_by) : (Datum) 0;
	event_batch_args(events, &values[4], &values[5], &values[6]);

	run_plan(cached_plan(&write_status_plan,
						 "WITH changed AS ("
						 " UPDATE maintenance.maintenances m"
						 " SET status = $1::maintenance.status,"
						 " updated_at = pg_catalog.now()"
						 " WHERE $1 IS NOT NULL AND m.id OPERATOR(pg_catalog.=) ANY ($2)"
						 " RETURNING 1),"
						 " new_updates AS ("
						 " INSERT INTO maintenance.maintenance_updates AS u"
						 " (maintenance_id, message, status_change, created_by)"
						 " SELECT t.id, $3, $1::maintenance.status, $4"
						 " FROM pg_catalog.unnest($2) WITH ORDINALITY AS t(id, ord)"
						 " ORDER BY t.ord"
						 " RETURNING u),"
						 " new_events AS (" OUTBOX_INSERT_SQL("$5", "$6", "$7") ")"
						 " SELECT new_events.id, new_events.occurred_at,"
						 " (SELECT pg_catalog.count(*) FROM changed),"
						 " (SELECT new_updates.u FROM new_updates LIMIT 1)"
						 " FROM new_events",
						 7, argtypes),
			 values, nulls, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		elog(ERROR, "a status change wrote no event");
	changed = DatumGetInt64(spi_datum(0, 3, &isnull));
	if (update_row != NULL)
		*update_row = SPI_datumTransfer(spi_datum(0, 4, &isnull), false, -1);
	event_batch_match_result(events, 1);
	SPI_freetuptable(SPI_tuptable);
	return changed;
}

/*
 * Claim up to limit maintenances in status from (scheduled: due to start,
 * in_progress: due to complete) at as_of, after (*last_time, *last_id) in
 * (time, id) order, with FOR NO KEY UPDATE SKIP LOCKED.  Returns how many;
 * *ids and *rows are allocated in cxt, and *last_time, *last_id move to the
 * last row claimed.
 */
int
store_claim_due(MaintenanceStatus from, TimestampTz as_of,
				TimestampTz *last_time, pg_uuid_t *last_id, int limit,
				pg_uuid_t **ids, MaintenanceRow **rows, MemoryContext cxt)
{
	static const Oid argtypes[] = {TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID, INT4OID};
	Datum		values[4];
	SPIPlanPtr	plan;
	MemoryContext oldcxt;
	bool		isnull;
	int			n;

	if (from == MAINTENANCE_SCHEDULED)
		plan = cached_plan(&claim_start_plan,
						   STORE_CLAIM_SQL("scheduled", "start_at"), 4, argtypes);
	else
		plan = cached_plan(&claim_complete_plan,
						   STORE_CLAIM_SQL("in_progress", "end_at"), 4, argtypes);
	values[0] = TimestampTzGetDatum(as_of);
	values[1] = TimestampTzGetDatum(*last_time);
	values[2] = UUIDPGetDatum(last_id);
	values[3] = Int32GetDatum(limit);
	run_plan(plan, values, NULL, false, SPI_OK_SELECT);

	n = (int) SPI_processed;
	oldcxt = MemoryContextSwitchTo(cxt);
	*ids = palloc(sizeof(pg_uuid_t) * Max(n, 1));
	*rows = palloc(sizeof(MaintenanceRow) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		memcpy(&(*ids)[i], DatumGetUUIDP(spi_datum(i, 1, &isnull)),
			   sizeof(pg_uuid_t));
		store_row_from_result(i, 3, &(*rows)[i], cxt);
	}
	if (n > 0)
	{
		*last_time = DatumGetTimestampTz(spi_datum(n - 1, 2, &isnull));
		*last_id = (*ids)[n - 1];
	}
	MemoryContextSwitchTo(oldcxt);
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/*
 * The worker's look: lowers *next to the next start_at, end_at or reminder
 * after as_of, and returns whether any maintenance or reminder due at as_of
 * is left (skipped because locked, or failed).  Each subquery is a probe of
 * a partial index (maintenances_due_to_start, maintenances_due_to_complete,
 * maintenance_reminders_due).
 */
bool
store_next_deadline(TimestampTz as_of, TimestampTz *next)
{
	static const Oid argtypes[] = {TIMESTAMPTZOID};
	Datum		arg = TimestampTzGetDatum(as_of);
	Datum		deadline;
	bool		isnull;
	bool		left_due;

	run_plan(cached_plan(&next_deadline_plan,
						 "SELECT LEAST("
						 " (SELECT pg_catalog.min(m.start_at) FROM maintenance.maintenances m"
						 " WHERE m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status"
						 " AND m.start_at OPERATOR(pg_catalog.>) $1),"
						 " (SELECT pg_catalog.min(m.end_at) FROM maintenance.maintenances m"
						 " WHERE m.status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status"
						 " AND m.end_at OPERATOR(pg_catalog.>) $1),"
						 " (SELECT pg_catalog.min(r.remind_at) FROM maintenance.maintenance_reminders r"
						 " WHERE r.sent_at IS NULL AND r.remind_at OPERATOR(pg_catalog.>) $1)),"
						 " EXISTS (SELECT FROM maintenance.maintenances m"
						 " WHERE m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status"
						 " AND m.start_at OPERATOR(pg_catalog.<=) $1)"
						 " OR EXISTS (SELECT FROM maintenance.maintenances m"
						 " WHERE m.status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status"
						 " AND m.end_at OPERATOR(pg_catalog.<=) $1)"
						 " OR EXISTS (SELECT FROM maintenance.maintenance_reminders r"
						 " WHERE r.sent_at IS NULL AND r.remind_at OPERATOR(pg_catalog.<=) $1)",
						 1, argtypes),
			 &arg, NULL, false, SPI_OK_SELECT);
	if (SPI_processed != 1)
		elog(ERROR, "could not find the next maintenance deadline");
	deadline = spi_datum(0, 1, &isnull);
	if (!isnull && DatumGetTimestampTz(deadline) < *next)
		*next = DatumGetTimestampTz(deadline);
	left_due = DatumGetBool(spi_datum(0, 2, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return left_due;
}

/* ----------------------------------------------------------------------
 * Reminders (reminders.c; the table maintenance_reminders)
 * ---------------------------------------------------------------------- */

/* Whether maintenance id has exactly the leads of reminders (interval[]). */
bool
store_same_reminders(Datum id, Datum reminders)
{
	static const Oid argtypes[] = {UUIDOID, INTERVALARRAYOID};
	Datum		values[2] = {id, reminders};
	bool		isnull;
	bool		same;

	run_plan(cached_plan(&same_reminders_plan,
						 "SELECT m.reminders OPERATOR(pg_catalog.@>) $2"
						 " AND m.reminders OPERATOR(pg_catalog.<@) $2"
						 " FROM maintenance.maintenances m WHERE m.id OPERATOR(pg_catalog.=) $1",
						 2, argtypes),
			 values, NULL, true, SPI_OK_SELECT);
	same = SPI_processed == 1 && DatumGetBool(spi_datum(0, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return same;
}

/*
 * The condition under which a due reminder r of maintenance m is sent: m
 * is scheduled, at the start r reminds of, and has not started at $1.
 */
#define STORE_REMINDER_LIVE \
	"m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status" \
	" AND m.start_at OPERATOR(pg_catalog.=) r.start_at" \
	" AND m.start_at OPERATOR(pg_catalog.>) $1"

/*
 * Forget the unsent reminders due at as_of that will never be sent: their
 * maintenance was cancelled, completed or started, or starts at as_of or
 * before.  Rows someone else holds are left (SKIP LOCKED).
 */
void
store_drop_stale_reminders(TimestampTz as_of)
{
	static const Oid argtypes[] = {TIMESTAMPTZOID};
	Datum		arg = TimestampTzGetDatum(as_of);

	run_plan(cached_plan(&drop_stale_reminders_plan,
						 "DELETE FROM maintenance.maintenance_reminders d"
						 " USING (SELECT r.maintenance_id, r.start_at, r.remind_before"
						 " FROM maintenance.maintenance_reminders r"
						 " JOIN maintenance.maintenances m ON m.id OPERATOR(pg_catalog.=) r.maintenance_id"
						 " WHERE r.sent_at IS NULL AND r.remind_at OPERATOR(pg_catalog.<=) $1"
						 " AND NOT (" STORE_REMINDER_LIVE ")"
						 " FOR UPDATE OF r SKIP LOCKED) s"
						 " WHERE d.maintenance_id OPERATOR(pg_catalog.=) s.maintenance_id"
						 " AND d.start_at OPERATOR(pg_catalog.=) s.start_at"
						 " AND d.remind_before OPERATOR(pg_catalog.=) s.remind_before",
						 1, argtypes),
			 &arg, NULL, false, SPI_OK_DELETE);
}

/*
 * Claim up to limit reminders due at as_of that are to be sent, after *last
 * in (remind_at, maintenance_id, remind_before) order: the reminder row
 * FOR NO KEY UPDATE and its maintenance FOR SHARE (a concurrent cancel or
 * move waits, or is waited for), both SKIP LOCKED.  Returns how many;
 * *due is allocated in cxt, and *last moves to the last one claimed.
 */
int
store_claim_reminders(TimestampTz as_of, DueReminder *last, int limit,
					  DueReminder **due, MemoryContext cxt)
{
	static const Oid argtypes[] = {TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID,
	INTERVALOID, INT4OID};
	Datum		values[5];
	MemoryContext oldcxt;
	bool		isnull;
	int			n;

	values[0] = TimestampTzGetDatum(as_of);
	values[1] = TimestampTzGetDatum(last->remind_at);
	values[2] = UUIDPGetDatum(&last->maintenance_id);
	values[3] = IntervalPGetDatum(&last->remind_before);
	values[4] = Int32GetDatum(limit);
	run_plan(cached_plan(&claim_reminders_plan,
						 "SELECT r.maintenance_id, r.remind_at, r.remind_before, " STORE_ROW_COLUMNS
						 " FROM maintenance.maintenance_reminders r"
						 " JOIN maintenance.maintenances m ON m.id OPERATOR(pg_catalog.=) r.maintenance_id"
						 " WHERE r.sent_at IS NULL AND r.remind_at OPERATOR(pg_catalog.<=) $1"
						 " AND (r.remind_at, r.maintenance_id, r.remind_before)"
						 " OPERATOR(pg_catalog.>) ($2, $3, $4)"
						 " AND " STORE_REMINDER_LIVE
						 " ORDER BY r.remind_at, r.maintenance_id, r.remind_before LIMIT $5"
						 " FOR NO KEY UPDATE OF r SKIP LOCKED FOR SHARE OF m SKIP LOCKED",
						 5, argtypes),
			 values, NULL, false, SPI_OK_SELECT);

	n = (int) SPI_processed;
	oldcxt = MemoryContextSwitchTo(cxt);
	*due = palloc(sizeof(DueReminder) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		DueReminder *d = &(*due)[i];

		memcpy(&d->maintenance_id, DatumGetUUIDP(spi_datum(i, 1, &isnull)),
			   sizeof(pg_uuid_t));
		d->remind_at = DatumGetTimestampTz(spi_datum(i, 2, &isnull));
		memcpy(&d->remind_before, DatumGetIntervalP(spi_datum(i, 3, &isnull)),
			   sizeof(Interval));
		store_row_from_result(i, 4, &d->m, cxt);
	}
	if (n > 0)
		*last = (*due)[n - 1];
	MemoryContextSwitchTo(oldcxt);
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/*
 * Record the n claimed reminders of due as sent and insert their events,
 * with one statement.  Returns how many were recorded.
 */
int64
store_mark_reminders_sent(const DueReminder *due, int n, EventBatch *events)
{
	static const Oid argtypes[] = {UUIDARRAYOID, TIMESTAMPTZARRAYOID,
	INTERVALARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[6];
	Datum	   *ids = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *starts = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *leads = palloc(sizeof(Datum) * Max(n, 1));
	bool		isnull;
	int64		marked;

	for (int i = 0; i < n; i++)
	{
		ids[i] = UUIDPGetDatum(&due[i].maintenance_id);
		starts[i] = TimestampTzGetDatum(due[i].m.start_at);
		leads[i] = IntervalPGetDatum(&due[i].remind_before);
	}
	values[0] = PointerGetDatum(construct_array(ids, n, UUIDOID, UUID_LEN, false,
												TYPALIGN_CHAR));
	values[1] = PointerGetDatum(construct_array(starts, n, TIMESTAMPTZOID,
												sizeof(TimestampTz), FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_array(leads, n, INTERVALOID,
												sizeof(Interval), false,
												TYPALIGN_DOUBLE));
	event_batch_args(events, &values[3], &values[4], &values[5]);

	run_plan(cached_plan(&mark_reminders_sent_plan,
						 "WITH sent AS ("
						 " UPDATE maintenance.maintenance_reminders r"
						 " SET sent_at = pg_catalog.now()"
						 " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
						 " pg_catalog.unnest($3)) AS k(id, start_at, lead)"
						 " WHERE r.maintenance_id OPERATOR(pg_catalog.=) k.id"
						 " AND r.start_at OPERATOR(pg_catalog.=) k.start_at"
						 " AND r.remind_before OPERATOR(pg_catalog.=) k.lead"
						 " AND r.sent_at IS NULL"
						 " RETURNING 1),"
						 " new_events AS (" OUTBOX_INSERT_SQL("$4", "$5", "$6") ")"
						 " SELECT (SELECT pg_catalog.count(*) FROM sent),"
						 " e.id, e.occurred_at"
						 " FROM (SELECT 1) AS one LEFT JOIN new_events e ON true",
						 6, argtypes),
			 values, NULL, false, SPI_OK_SELECT);
	marked = DatumGetInt64(spi_datum(0, 1, &isnull));
	if (events->n > 0)
		event_batch_match_result(events, 2);
	SPI_freetuptable(SPI_tuptable);
	return marked;
}
