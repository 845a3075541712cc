/*-------------------------------------------------------------------------
 *
 * series_materialize.c
 *	  The occurrences of a series as maintenances: created up to the
 *	  horizon (by create, update and run_transitions), and brought to the
 *	  series again when it changes (updateSeries).
 *
 *	  An occurrence is created through the write path of
 *	  create_maintenance() (write_create_checked()), so it emits the events
 *	  of createMaintenance, with its series and its original local start.  The series row is locked first: runs that overlap
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
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* occurrences one materialization of one series creates at most */
#define SERIES_MAX_PER_RUN		1000
/* series one run_transitions materializes per probe */
#define SERIES_PROBE_BATCH		100

static SPIPlanPtr lock_series_plan;
static SPIPlanPtr read_series_plan;
static SPIPlanPtr known_starts_plan;
static SPIPlanPtr mark_series_plan;
static SPIPlanPtr due_series_plan;
static SPIPlanPtr unstarted_plan;
static SPIPlanPtr lock_unchanged_plan;
static SPIPlanPtr update_occurrence_plan;
static SPIPlanPtr delete_occurrence_plan;
static SPIPlanPtr forget_deleted_plan;
static SPIPlanPtr next_materialization_plan;

/* ----------------------------------------------------------------------
 * Materialization
 * ---------------------------------------------------------------------- */


/* Read a series (locked by the caller); false if there is none. */
bool
series_read(Datum series_id, SeriesState *st)
{
	bool		isnull;

	run_plan(cached_plan(&read_series_plan,
						 "SELECT s.rrule, s.time_zone, s.first_start, s.duration, s.exdates,"
						 " s.title, s.description, s.suppress_notifications, s.system_ids,"
						 " s.reminders, s.rule_changed_at, s.materialized_through,"
						 " s.ended_at IS NOT NULL"
						 " FROM maintenance.series s WHERE s.id OPERATOR(pg_catalog.=) $1",
						 1, (Oid[]) {UUIDOID}),
			 &series_id, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return false;
	series_rule_init(&st->rule, spi_text(0, 1), spi_text(0, 2),
					 DatumGetTimestamp(spi_datum(0, 3, &isnull)),
					 DatumGetIntervalP(spi_datum(0, 4, &isnull)),
					 DatumGetArrayTypeP(spi_datum(0, 5, &isnull)));
	for (int i = 0; i < 5; i++)
		st->values[i] = spi_datum(0, 6 + i, &st->nulls[i]);
	st->rule_changed_at = DatumGetTimestampTz(spi_datum(0, 11, &isnull));
	st->materialized_through = DatumGetTimestampTz(spi_datum(0, 12, &isnull));
	st->has_through = !isnull;
	st->ended = DatumGetBool(spi_datum(0, 13, &isnull));
	return true;
}

/*
 * The local starts at or after from_local that the series has already
 * dealt with: its occurrences and those that were deleted, sorted.
 * Returns how many, in *starts.
 */
static int
series_known_starts(Datum series_id, Timestamp from_local, Timestamp **starts)
{
	Datum		values[2] = {series_id, TimestampGetDatum(from_local)};
	bool		isnull;
	int			n;

	run_plan(cached_plan(&known_starts_plan,
						 "SELECT m.occurrence_start FROM maintenance.maintenances m"
						 " WHERE m.series_id OPERATOR(pg_catalog.=) $1"
						 " AND m.occurrence_start OPERATOR(pg_catalog.>=) $2"
						 " UNION ALL"
						 " SELECT d.occurrence_start FROM maintenance.series_deleted_occurrences d"
						 " WHERE d.series_id OPERATOR(pg_catalog.=) $1"
						 " AND d.occurrence_start OPERATOR(pg_catalog.>=) $2"
						 " ORDER BY 1",
						 2, (Oid[]) {UUIDOID, TIMESTAMPOID}),
			 values, NULL, false, SPI_OK_SELECT);
	n = (int) SPI_processed;
	*starts = palloc(sizeof(Timestamp) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*starts)[i] = DatumGetTimestamp(spi_datum(i, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/*
 * Create one occurrence through the write path of create_maintenance(),
 * with its events, tied to its series and its original local start.
 */
static void
series_create_occurrence(Datum series_id, const SeriesState *st, const Occurrence *o)
{
	Datum		values[9];
	bool		nulls[9] = {false};

	values[0] = st->values[0];
	values[1] = st->values[1];
	nulls[1] = st->nulls[1];
	values[2] = st->values[2];
	values[3] = TimestampTzGetDatum(o->start_at);
	values[4] = TimestampTzGetDatum(o->end_at);
	values[5] = st->values[3];
	values[6] = st->values[4];
	values[7] = series_id;
	values[8] = TimestampGetDatum(o->local_start);
	write_create_checked(values, nulls, NULL);
}

/*
 * Create the occurrences occ[0..n) (in the order of their starts) that do
 * not exist and were not deleted.  Returns how many were created.
 */
static int
series_create_occurrences(Datum series_id, const SeriesState *st,
						  const Occurrence *occ, int n)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "series occurrence",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt;
	Timestamp  *known;
	int			nknown;
	int			created = 0;

	if (n == 0)
		return 0;
	nknown = series_known_starts(series_id, occ[0].local_start, &known);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (bsearch(&occ[i].local_start, known, nknown, sizeof(Timestamp),
					series_timestamp_cmp) != NULL)
			continue;
		/* each occurrence's rows and events live only while it is written */
		oldcxt = MemoryContextSwitchTo(cxt);
		series_create_occurrence(series_id, st, &occ[i]);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(cxt);
		created++;
	}
	MemoryContextDelete(cxt);
	return created;
}

/* Whether this database's schema has series (0.4.0 on). */
static bool
series_schema_present(void)
{
	return OidIsValid(get_relname_relid("series", get_namespace_oid("maintenance", false)));
}

/*
 * For the background worker (SPI connected): the next time after as_of at
 * which a series is due to be materialized, or DT_NOEND.
 */
TimestampTz
series_next_materialization(TimestampTz as_of)
{
	Datum		arg = TimestampTzGetDatum(as_of);
	bool		isnull;
	Datum		d;

	if (!series_schema_present())
		return DT_NOEND;
	run_plan(cached_plan(&next_materialization_plan,
						 "SELECT pg_catalog.min(s.materialize_at) FROM maintenance.series s"
						 " WHERE s.ended_at IS NULL AND s.materialize_at IS NOT NULL"
						 " AND s.materialize_at OPERATOR(pg_catalog.>) $1",
						 1, (Oid[]) {TIMESTAMPTZOID}),
			 &arg, NULL, false, SPI_OK_SELECT);
	d = spi_datum(0, 1, &isnull);
	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
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
	/* the background worker sleeps until the next deadline: it may be this */
	worker_wake_on_commit();
}

/*
 * Create the occurrences of a locked series that start before now plus the
 * horizon, and the next one when none is that close.  Returns how many
 * were created.
 */
int
series_materialize_locked(Datum series_id, TimestampTz now)
{
	const int64 horizon = (int64) series_horizon_minutes * USECS_PER_MINUTE;
	SeriesState st;
	Occurrence *occ = palloc(sizeof(Occurrence) * SERIES_MAX_PER_RUN);
	Occurrence	next;
	TimestampTz from;
	ExpandFrom	mode;
	int			n;
	int			created;
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

	created = series_create_occurrences(series_id, &st, occ, n);
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

/* Lock a series (for its writes and its materialization); false if there is none. */
bool
series_lock(Datum series_id)
{
	run_plan(cached_plan(&lock_series_plan,
						 "SELECT FROM maintenance.series s WHERE s.id OPERATOR(pg_catalog.=) $1"
						 " FOR NO KEY UPDATE",
						 1, (Oid[]) {UUIDOID}),
			 &series_id, NULL, false, SPI_OK_SELECT);
	return SPI_processed == 1;
}

/* The occurrences of one series, locked first (create and update). */
int
series_materialize(Datum series_id, TimestampTz now)
{
	series_lock(series_id);
	return series_materialize_locked(series_id, now);
}

/* One series to materialize, as a write of the sweep (transitions.c). */
typedef struct SeriesMaterializeWrite
{
	Datum		series_id;
	TimestampTz now;
	int			created;
} SeriesMaterializeWrite;

/* Its occurrences NOTIFY through the write path of create_maintenance. */
static void
series_materialize_write(void *arg, EventBatch *events)
{
	SeriesMaterializeWrite *w = (SeriesMaterializeWrite *) arg;

	(void) events;
	w->created = series_materialize_locked(w->series_id, w->now);
}

/*
 * Materialize one series in a subtransaction: a failure is a WARNING and
 * undoes only this series.  A cancel ends the run.
 */
static int
series_materialize_in_subtransaction(Datum series_id, TimestampTz now, bool *failed)
{
	SeriesMaterializeWrite w = {series_id, now, 0};
	ErrorData  *edata = sweep_write_in_subtransaction(series_materialize_write, &w);

	if (edata == NULL)
		return w.created;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("could not create the occurrences of series \"%s\": %s",
					DatumGetCString(DirectFunctionCall1(uuid_out, series_id)),
					edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
	FreeErrorData(edata);
	*failed = true;
	return 0;
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

	/* a schema from before 0.4.0 (this library before ALTER EXTENSION UPDATE) */
	if (!series_schema_present())
		return 0;
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
 * updateSeries
 * ---------------------------------------------------------------------- */

static int
series_occurrence_cmp(const void *a, const void *b)
{
	Timestamp	x = ((const Occurrence *) a)->local_start;
	Timestamp	y = ((const Occurrence *) b)->local_start;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Lock an occurrence that the series may still change: scheduled, not yet
 * started, not changed on its own.  A locking read waits for a concurrent
 * updateMaintenance and looks at the row it wrote.
 */
static bool
series_lock_unchanged(Datum occurrence_id, TimestampTz now)
{
	Datum		values[2] = {occurrence_id, TimestampTzGetDatum(now)};

	run_plan(cached_plan(&lock_unchanged_plan,
						 "SELECT FROM maintenance.maintenances m WHERE m.id OPERATOR(pg_catalog.=) $1"
						 " AND m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status"
						 " AND m.start_at OPERATOR(pg_catalog.>) $2 AND NOT m.overridden"
						 " FOR NO KEY UPDATE",
						 2, (Oid[]) {UUIDOID, TIMESTAMPTZOID}),
			 values, NULL, false, SPI_OK_SELECT);
	return SPI_processed == 1;
}

/* An occurrence to the series' new fields, reminders and window, through update_maintenance(). */
static void
series_update_occurrence(Datum occurrence_id, const SeriesState *st, const Occurrence *o)
{
	Datum		values[8];
	bool		nulls[8] = {false};

	values[0] = occurrence_id;
	values[1] = st->values[0];
	values[2] = st->values[1];
	nulls[2] = st->nulls[1];
	values[3] = st->values[2];
	values[4] = TimestampTzGetDatum(o->start_at);
	values[5] = TimestampTzGetDatum(o->end_at);
	values[6] = st->values[3];
	values[7] = st->values[4];
	/* only when something differs: no events for nothing */
	run_plan(cached_plan(&update_occurrence_plan,
						 "SELECT maintenance.update_maintenance(id => m.id, title => $2,"
						 " description => $3, clear_description => $3 IS NULL,"
						 " suppress_notifications => $4, start_at => $5, end_at => $6,"
						 " system_ids => $7, reminders => $8)"
						 " FROM maintenance.maintenances m WHERE m.id OPERATOR(pg_catalog.=) $1"
						 " AND (m.title, m.description, m.suppress_notifications, m.start_at,"
						 " m.end_at, m.system_ids, m.reminders) IS DISTINCT FROM"
						 " ($2, $3, $4, $5, $6, " STORE_SORTED_SYSTEM_IDS("$7") ", $8)",
						 8, (Oid[]) {UUIDOID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID,
						 TIMESTAMPTZOID, TEXTARRAYOID, INTERVALARRAYOID}),
			 values, nulls, false, SPI_OK_SELECT);
}

/* An occurrence the rule no longer yields, through delete_maintenance(). */
static void
series_delete_occurrence(Datum occurrence_id, Datum series_id, Timestamp local_start)
{
	Datum		values[3] = {occurrence_id, series_id, TimestampGetDatum(local_start)};

	run_plan(cached_plan(&delete_occurrence_plan,
						 "SELECT maintenance.delete_maintenance($1)",
						 1, (Oid[]) {UUIDOID}),
			 values, NULL, false, SPI_OK_SELECT);
	/* not an exception: a later rule that yields it again creates it */
	run_plan(cached_plan(&forget_deleted_plan,
						 "DELETE FROM maintenance.series_deleted_occurrences x"
						 " WHERE x.series_id OPERATOR(pg_catalog.=) $1"
						 " AND x.occurrence_start OPERATOR(pg_catalog.=) $2",
						 2, (Oid[]) {UUIDOID, TIMESTAMPOID}),
			 values + 1, NULL, false, SPI_OK_DELETE);
}

/*
 * Bring the occurrences that have not started and were not changed on
 * their own to the series as it now is: changed, or deleted when the rule
 * no longer yields their local start.
 */
void
series_reconcile(Datum series_id, const SeriesState *st, TimestampTz now)
{
	Datum		values[2] = {series_id, TimestampTzGetDatum(now)};
	int			nexisting;
	Datum	   *ids;
	Timestamp  *starts;
	TimestampTz last = now;
	Occurrence *yields;
	int			nyields;
	bool		isnull;

	run_plan(cached_plan(&unstarted_plan,
						 "SELECT m.id, m.occurrence_start, m.start_at FROM maintenance.maintenances m"
						 " WHERE m.series_id OPERATOR(pg_catalog.=) $1"
						 " AND m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status"
						 " AND m.start_at OPERATOR(pg_catalog.>) $2 AND NOT m.overridden"
						 " ORDER BY m.start_at, m.id",
						 2, (Oid[]) {UUIDOID, TIMESTAMPTZOID}),
			 values, NULL, false, SPI_OK_SELECT);
	nexisting = (int) SPI_processed;
	if (nexisting == 0)
		return;
	ids = palloc(sizeof(Datum) * nexisting);
	starts = palloc(sizeof(Timestamp) * nexisting);
	for (int i = 0; i < nexisting; i++)
	{
		ids[i] = datumCopy(spi_datum(i, 1, &isnull), false, UUID_LEN);
		starts[i] = DatumGetTimestamp(spi_datum(i, 2, &isnull));
		last = Max(last, DatumGetTimestampTz(spi_datum(i, 3, &isnull)));
	}

	/* what the rule yields now, a margin beyond the latest of them */
	yields = palloc(sizeof(Occurrence) * SERIES_MAX_PER_RUN);
	nyields = series_expand(&st->rule, now, EXPAND_ENDING_AFTER,
							last + 2 * USECS_PER_DAY + st->rule.duration.day * USECS_PER_DAY,
							SERIES_MAX_PER_RUN, yields);
	qsort(yields, nyields, sizeof(Occurrence), series_occurrence_cmp);

	series_writing = true;
	PG_TRY();
	{
		for (int i = 0; i < nexisting; i++)
		{
			Occurrence	key = {0};
			Occurrence *o;

			CHECK_FOR_INTERRUPTS();
			if (!series_lock_unchanged(ids[i], now))
				continue;
			key.local_start = starts[i];
			o = bsearch(&key, yields, nyields, sizeof(Occurrence), series_occurrence_cmp);
			if (o != NULL && o->start_at > now)
				series_update_occurrence(ids[i], st, o);
			else
				series_delete_occurrence(ids[i], series_id, starts[i]);
		}
	}
	PG_FINALLY();
	{
		series_writing = false;
	}
	PG_END_TRY();
}
