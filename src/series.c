/*-------------------------------------------------------------------------
 *
 * series.c
 *	  The write path of series: create and delete, and the materialization
 *	  of their occurrences (by create, and by run_transitions).
 *
 *	  An occurrence is created through maintenance.create_maintenance(),
 *	  the write path of every maintenance, so it emits the events of
 *	  createMaintenance; then it is tied to its series and its original
 *	  local start.  The series row is locked first: runs that overlap
 *	  materialize a series one after the other, and the unique index on
 *	  (series_id, occurrence_start) holds whatever happens.
 *
 *	  Each series remembers the latest start it has dealt with
 *	  (materialized_through) and when it is due again (materialize_at: the
 *	  next start minus the horizon, or the latest start once that has come,
 *	  so that the next occurrence exists when none is that close).  With
 *	  nothing to create, run_transitions probes one partial index.
 *
 *-------------------------------------------------------------------------
 */
#include "series.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(maintenance_create_series);
PG_FUNCTION_INFO_V1(maintenance_delete_series);
PG_FUNCTION_INFO_V1(maintenance_mark_overridden_occurrence);

/* maintenance.series_horizon: how far ahead occurrences exist */
int			series_horizon_minutes = 30 * 24 * 60;

/* occurrences one materialization of one series creates at most */
#define SERIES_MAX_PER_RUN		1000
/* series one run_transitions materializes per probe */
#define SERIES_PROBE_BATCH		100

/* The series' own writes to its occurrences are not overrides. */
static bool series_writing = false;

static SPIPlanPtr insert_series_plan;
static SPIPlanPtr lock_series_plan;
static SPIPlanPtr read_series_plan;
static SPIPlanPtr create_occurrence_plan;
static SPIPlanPtr tie_occurrence_plan;
static SPIPlanPtr mark_series_plan;
static SPIPlanPtr end_series_plan;
static SPIPlanPtr delete_scheduled_plan;
static SPIPlanPtr due_series_plan;

void
series_init(void)
{
	DefineCustomIntVariable("maintenance.series_horizon",
							"How far ahead the occurrences of a series exist as maintenances.",
							"Every occurrence that starts before now plus this exists, and the next one when none is that close.",
							&series_horizon_minutes,
							30 * 24 * 60,
							1,
							SERIES_MAX_DURATION_DAYS * 24 * 60,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);
}

/* ----------------------------------------------------------------------
 * Input validation
 * ---------------------------------------------------------------------- */

static bool
series_is_blank(const char *s)
{
	return s[strspn(s, " \t\n\r\f\v")] == '\0';
}

static void
series_check_title(FunctionCallInfo fcinfo, int argno)
{
	series_require(PG_ARGISNULL(argno), "title", "title");
	if (series_is_blank(text_to_cstring(PG_GETARG_TEXT_PP(argno))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be blank", "title")));
}

static void
series_check_system_ids(FunctionCallInfo fcinfo, int argno)
{
	const char *name = series_arg_name("system_ids", "systemIds");
	Datum	   *values;
	bool	   *nulls;
	int			n;

	series_require(PG_ARGISNULL(argno), "system_ids", "systemIds");
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), TEXTOID, -1, false,
					  TYPALIGN_INT, &values, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be empty", name)));
	for (int i = 0; i < n; i++)
		if (nulls[i] || series_is_blank(TextDatumGetCString(values[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain a null or blank id", name)));
}

/* Reminders (stored for SPEC section 9): whole minutes, 1 minute to 366 days. */
static void
series_check_reminders(FunctionCallInfo fcinfo, int argno)
{
	Datum	   *values;
	bool	   *nulls;
	int			n;

	if (PG_ARGISNULL(argno))
		return;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), INTERVALOID, sizeof(Interval),
					  false, TYPALIGN_DOUBLE, &values, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		Interval   *r = nulls[i] ? NULL : DatumGetIntervalP(values[i]);
		int64		usecs = r ? r->day * USECS_PER_DAY + r->time : 0;

		if (r == NULL || r->month != 0 || r->time < 0 || r->day < 0 ||
			usecs % USECS_PER_MINUTE != 0 || usecs < USECS_PER_MINUTE ||
			usecs > SERIES_MAX_DURATION_DAYS * USECS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must be leads of whole minutes, from 1 minute to %d days",
							"reminders", SERIES_MAX_DURATION_DAYS)));
	}
}

/* ----------------------------------------------------------------------
 * Materialization
 * ---------------------------------------------------------------------- */

/* What an occurrence copies from its series, and where the series stands. */
typedef struct SeriesState
{
	SeriesRule	rule;
	Datum		values[4];		/* title, description, suppress, system_ids */
	bool		nulls[4];
	TimestampTz rule_changed_at;
	bool		has_through;
	TimestampTz materialized_through;
	bool		ended;
} SeriesState;

/* Read a series (locked by the caller); false if there is none. */
static bool
series_read(Datum series_id, SeriesState *st)
{
	bool		isnull;

	run_plan(cached_plan(&read_series_plan,
						 "SELECT s.rrule, s.time_zone, s.first_start, s.duration, s.exdates,"
						 " s.title, s.description, s.suppress_notifications, s.system_ids,"
						 " s.rule_changed_at, s.materialized_through, s.ended_at IS NOT NULL"
						 " FROM maintenance.series s WHERE s.id OPERATOR(pg_catalog.=) $1",
						 1, (Oid[]) {UUIDOID}),
			 &series_id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	series_rule_init(&st->rule, spi_text(0, 1), spi_text(0, 2),
					 DatumGetTimestamp(spi_datum(0, 3, &isnull)),
					 DatumGetIntervalP(spi_datum(0, 4, &isnull)),
					 DatumGetArrayTypeP(spi_datum(0, 5, &isnull)));
	for (int i = 0; i < 4; i++)
		st->values[i] = spi_datum(0, 6 + i, &st->nulls[i]);
	st->rule_changed_at = DatumGetTimestampTz(spi_datum(0, 10, &isnull));
	st->materialized_through = DatumGetTimestampTz(spi_datum(0, 11, &isnull));
	st->has_through = !isnull;
	st->ended = DatumGetBool(spi_datum(0, 12, &isnull));
	return true;
}

/*
 * Create one occurrence through create_maintenance(), unless it exists or
 * was deleted; then tie it to its series.  Returns whether it was created.
 */
static bool
series_create_occurrence(Datum series_id, const SeriesState *st, const Occurrence *o)
{
	Datum		values[8];
	bool		nulls[8] = {false};
	Datum		tie[3];
	bool		isnull;

	values[0] = series_id;
	values[1] = st->values[0];
	values[2] = TimestampTzGetDatum(o->start_at);
	values[3] = TimestampTzGetDatum(o->end_at);
	values[4] = st->values[3];
	values[5] = st->values[1];
	nulls[5] = st->nulls[1];
	values[6] = st->values[2];
	values[7] = TimestampGetDatum(o->local_start);
	run_plan(cached_plan(&create_occurrence_plan,
						 "SELECT (maintenance.create_maintenance(title => $2, start_at => $3,"
						 " end_at => $4, system_ids => $5, description => $6,"
						 " suppress_notifications => $7)).id"
						 " WHERE NOT EXISTS (SELECT FROM maintenance.maintenances m"
						 "  WHERE m.series_id OPERATOR(pg_catalog.=) $1"
						 "  AND m.occurrence_start OPERATOR(pg_catalog.=) $8)"
						 " AND NOT EXISTS (SELECT FROM maintenance.series_deleted_occurrences d"
						 "  WHERE d.series_id OPERATOR(pg_catalog.=) $1"
						 "  AND d.occurrence_start OPERATOR(pg_catalog.=) $8)",
						 8, (Oid[]) {UUIDOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
						 TEXTARRAYOID, TEXTOID, BOOLOID, TIMESTAMPOID}),
			 values, nulls, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;

	tie[0] = spi_datum(0, 1, &isnull);
	tie[1] = series_id;
	tie[2] = TimestampGetDatum(o->local_start);
	run_plan(cached_plan(&tie_occurrence_plan,
						 "UPDATE maintenance.maintenances SET series_id = $2, occurrence_start = $3"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 3, (Oid[]) {UUIDOID, UUIDOID, TIMESTAMPOID}),
			 tie, NULL, false, SPI_OK_UPDATE);
	return true;
}

/* Record how far the series is materialized and when it is due again. */
static void
series_mark(Datum series_id, bool has_through, TimestampTz through,
			bool has_due, TimestampTz due)
{
	Datum		values[3] = {series_id, TimestampTzGetDatum(through), TimestampTzGetDatum(due)};
	bool		nulls[3] = {false, !has_through, !has_due};

	run_plan(cached_plan(&mark_series_plan,
						 "UPDATE maintenance.series SET materialized_through = $2, materialize_at = $3"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 3, (Oid[]) {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID}),
			 values, nulls, false, SPI_OK_UPDATE);
}

/*
 * Create the occurrences of a locked series that start before now plus the
 * horizon, and the next one when none is that close.  Returns how many
 * were created.
 */
static int
series_materialize_locked(Datum series_id, TimestampTz now)
{
	const int64 horizon = (int64) series_horizon_minutes * USECS_PER_MINUTE;
	SeriesState st;
	Occurrence *occ = palloc(sizeof(Occurrence) * SERIES_MAX_PER_RUN);
	Occurrence	next;
	TimestampTz from;
	ExpandFrom	mode;
	int			n;
	int			created = 0;
	bool		has_due;
	TimestampTz due = 0;

	if (!series_read(series_id, &st) || st.ended)
		return 0;
	/* first time: all that had not ended when the rule was set; then onwards */
	from = st.has_through ? st.materialized_through + 1 : st.rule_changed_at;
	mode = st.has_through ? EXPAND_STARTING_AT_OR_AFTER : EXPAND_ENDING_AFTER;
	n = series_expand(&st.rule, from, mode, now + horizon, SERIES_MAX_PER_RUN, occ);
	if (n == 0 && (!st.has_through || st.materialized_through < now))
		n = series_expand(&st.rule, from, mode, DT_NOEND, 1, occ);

	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (series_create_occurrence(series_id, &st, &occ[i]))
			created++;
	}
	if (n > 0)
	{
		st.has_through = true;
		st.materialized_through = occ[n - 1].start_at;
	}

	/* due again: more to do now, or when the next start nears */
	has_due = true;
	if (n == SERIES_MAX_PER_RUN)
		due = now;
	else if (series_expand(&st.rule, st.has_through ? st.materialized_through + 1 : from,
						   st.has_through ? EXPAND_STARTING_AT_OR_AFTER : mode,
						   DT_NOEND, 1, &next) == 1)
		due = st.has_through ? Min(next.start_at - horizon, st.materialized_through) :
			next.start_at - horizon;
	else
		has_due = false;
	series_mark(series_id, st.has_through, st.materialized_through, has_due, due);
	return created;
}

/* The occurrences of one series, locked first (create and update). */
static int
series_materialize(Datum series_id, TimestampTz now)
{
	run_plan(cached_plan(&lock_series_plan,
						 "SELECT FROM maintenance.series s WHERE s.id OPERATOR(pg_catalog.=) $1"
						 " FOR NO KEY UPDATE",
						 1, (Oid[]) {UUIDOID}),
			 &series_id, NULL, false, SPI_OK_SELECT);
	return series_materialize_locked(series_id, now);
}

/*
 * Materialize one series in a subtransaction: a failure is a WARNING and
 * undoes only this series.  A cancel ends the run.
 */
static int
series_materialize_in_subtransaction(Datum series_id, TimestampTz now, bool *failed)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile int created = 0;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		created = series_materialize_locked(series_id, now);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not create the occurrences of series \"%s\": %s",
						DatumGetCString(DirectFunctionCall1(uuid_out, series_id)),
						edata->message)));
		FreeErrorData(edata);
		created = 0;
		*failed = true;
	}
	PG_END_TRY();
	return created;
}

/*
 * For run_transitions (SPI connected): materialize every series that is
 * due at as_of, walking the partial index in order; a series locked by
 * another run is that run's to do.  Returns how many occurrences were
 * created; failed counts the series that failed.
 */
int
series_materialize_due(TimestampTz as_of, int *failed)
{
	TimestampTz after_at = DT_NOBEGIN;
	Datum		after_id = DirectFunctionCall1(uuid_in, CStringGetDatum("00000000-0000-0000-0000-000000000000"));
	int			created = 0;

	for (;;)
	{
		Datum		values[3] = {TimestampTzGetDatum(as_of), TimestampTzGetDatum(after_at), after_id};
		Datum		ids[SERIES_PROBE_BATCH];
		TimestampTz ats[SERIES_PROBE_BATCH];
		uint64		n;
		bool		isnull;

		run_plan(cached_plan(&due_series_plan,
							 "SELECT s.id, s.materialize_at FROM maintenance.series s"
							 " WHERE s.ended_at IS NULL AND s.materialize_at IS NOT NULL"
							 " AND s.materialize_at OPERATOR(pg_catalog.<=) $1"
							 " AND (s.materialize_at, s.id) OPERATOR(pg_catalog.>) ($2, $3)"
							 " ORDER BY s.materialize_at, s.id LIMIT " CppAsString2(SERIES_PROBE_BATCH)
							 " FOR NO KEY UPDATE SKIP LOCKED",
							 3, (Oid[]) {TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID}),
				 values, NULL, false, SPI_OK_SELECT);
		n = SPI_processed;
		for (uint64 i = 0; i < n; i++)
		{
			ids[i] = datumCopy(spi_datum(i, 1, &isnull), false, UUID_LEN);
			ats[i] = DatumGetTimestampTz(spi_datum(i, 2, &isnull));
		}
		for (uint64 i = 0; i < n; i++)
		{
			bool		one_failed = false;

			created += series_materialize_in_subtransaction(ids[i], as_of, &one_failed);
			if (one_failed)
				(*failed)++;
		}
		if (n < SERIES_PROBE_BATCH)
			break;
		after_at = ats[n - 1];
		after_id = ids[n - 1];
	}
	return created;
}

/* ----------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------- */

/* The series row as maintenance.series, out of SPI's memory. */
static Datum
series_row(Datum series_id)
{
	static SPIPlanPtr plan;
	bool		isnull;

	run_plan(cached_plan(&plan,
						 "SELECT s FROM maintenance.series s WHERE s.id OPERATOR(pg_catalog.=) $1",
						 1, (Oid[]) {UUIDOID}),
			 &series_id, NULL, false, SPI_OK_SELECT);
	return SPI_datumTransfer(spi_datum(0, 1, &isnull), false, -1);
}

/*
 * create_series(title, system_ids, rrule, time_zone, first_start, duration,
 *               description, suppress_notifications, exdates, reminders)
 */
Datum
maintenance_create_series(PG_FUNCTION_ARGS)
{
	SeriesRule	rule;
	Datum		values[10];
	bool		nulls[10];
	Datum		id;
	Datum		result;
	bool		isnull;

	series_check_title(fcinfo, 0);
	series_check_system_ids(fcinfo, 1);
	series_require(PG_ARGISNULL(4), "first_start", "firstStart");
	series_rule_init(&rule,
					 PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)),
					 PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
					 PG_GETARG_TIMESTAMP(4),
					 PG_ARGISNULL(5) ? NULL : PG_GETARG_INTERVAL_P(5),
					 PG_ARGISNULL(8) ? NULL : PG_GETARG_ARRAYTYPE_P(8));
	series_check_reminders(fcinfo, 9);

	for (int i = 0; i < 10; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i);
	}
	SPI_connect();
	run_plan(cached_plan(&insert_series_plan,
						 "INSERT INTO maintenance.series (title, system_ids, rrule, time_zone,"
						 " first_start, duration, description, suppress_notifications, exdates,"
						 " reminders)"
						 " VALUES ($1, " SORTED_SYSTEM_IDS("$2") ", $3, $4, $5, $6, $7,"
						 " COALESCE($8, false), COALESCE($9, '{}'),"
						 " COALESCE($10, '{}'))"
						 " RETURNING id",
						 10, (Oid[]) {TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID, TIMESTAMPOID,
						 INTERVALOID, TEXTOID, BOOLOID, TIMESTAMPARRAYOID, INTERVALARRAYOID}),
			 values, nulls, false, SPI_OK_INSERT_RETURNING);
	id = datumCopy(spi_datum(0, 1, &isnull), false, UUID_LEN);
	series_materialize(id, GetCurrentTransactionStartTimestamp());
	result = series_row(id);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * delete_series(id): the series ends.  Its scheduled occurrences are
 * deleted through delete_maintenance() (with its events); one in progress
 * runs on; past ones stay.  False when there is no such series.
 */
Datum
maintenance_delete_series(PG_FUNCTION_ARGS)
{
	Datum		id;

	series_require(PG_ARGISNULL(0), "id", "id");
	id = PG_GETARG_DATUM(0);
	SPI_connect();
	run_plan(cached_plan(&end_series_plan,
						 "UPDATE maintenance.series"
						 " SET ended_at = pg_catalog.coalesce(ended_at, pg_catalog.now()),"
						 " updated_at = CASE WHEN ended_at IS NULL THEN pg_catalog.now() ELSE updated_at END,"
						 " materialize_at = NULL"
						 " WHERE id OPERATOR(pg_catalog.=) $1",
						 1, (Oid[]) {UUIDOID}),
			 &id, NULL, false, SPI_OK_UPDATE);
	if (SPI_processed == 0)
	{
		SPI_finish();
		PG_RETURN_BOOL(false);
	}
	run_plan(cached_plan(&delete_scheduled_plan,
						 "SELECT maintenance.delete_maintenance(m.id) FROM maintenance.maintenances m"
						 " WHERE m.series_id OPERATOR(pg_catalog.=) $1"
						 " AND m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status"
						 " ORDER BY m.start_at, m.id",
						 1, (Oid[]) {UUIDOID}),
			 &id, NULL, false, SPI_OK_SELECT);
	SPI_finish();
	PG_RETURN_BOOL(true);
}

/*
 * Trigger (BEFORE UPDATE OF the fields a series gives its occurrences, on
 * an occurrence whose fields changed): mark it changed on its own, unless
 * the series itself is writing.
 */
Datum
maintenance_mark_overridden_occurrence(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	int			attnum;
	Datum		value = BoolGetDatum(true);
	bool		isnull = false;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"maintenance.mark_overridden_occurrence\" must be fired BEFORE UPDATE FOR EACH ROW")));
	tuple = trigdata->tg_newtuple;
	if (series_writing)
		return PointerGetDatum(tuple);
	attnum = SPI_fnumber(trigdata->tg_relation->rd_att, "overridden");
	if (attnum <= 0)
		elog(ERROR, "maintenances has no column \"overridden\"");
	tuple = heap_modify_tuple_by_cols(tuple, trigdata->tg_relation->rd_att,
									  1, &attnum, &value, &isnull);
	return PointerGetDatum(tuple);
}
