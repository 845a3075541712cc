/*-------------------------------------------------------------------------
 *
 * series.c
 *	  Series: the setting maintenance.series_horizon, the SQL functions
 *	  that write series (create, update, delete; their occurrences in
 *	  series_materialize.c) and the trigger that marks an occurrence
 *	  changed on its own.
 *
 *-------------------------------------------------------------------------
 */
#include "series.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(maintenance_create_series);
PG_FUNCTION_INFO_V1(maintenance_update_series);
PG_FUNCTION_INFO_V1(maintenance_delete_series);
PG_FUNCTION_INFO_V1(maintenance_mark_overridden_occurrence);

/* maintenance.series_horizon: how far ahead occurrences exist */
int			series_horizon_minutes = 30 * 24 * 60;

/* The series' own writes to its occurrences are not overrides. */
bool		series_writing = false;

static SPIPlanPtr insert_series_plan;
static SPIPlanPtr end_series_plan;
static SPIPlanPtr delete_scheduled_plan;
static SPIPlanPtr update_series_plan;

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

/* The series' reminders, checked as a maintenance's (its occurrences get them). */
static void
series_check_reminders(FunctionCallInfo fcinfo, int argno)
{
	if (!PG_ARGISNULL(argno))
		(void) reminders_checked(PG_GETARG_ARRAYTYPE_P(argno));
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

	check_extension_version();
	write_required_text(fcinfo, 0, "title", MAX_TITLE_BYTES);
	write_require_arg(fcinfo, 1, "system_ids");
	write_check_system_ids(PG_GETARG_ARRAYTYPE_P(1));
	write_check_size(fcinfo, 6, "description", MAX_DESCRIPTION_BYTES);
	series_require(PG_ARGISNULL(4), "first_start");
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
						 " VALUES ($1, " STORE_SORTED_SYSTEM_IDS("$2") ", $3, $4, $5, $6, $7,"
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
 * update_series(id, title, description, suppress_notifications,
 *               system_ids, rrule, time_zone, first_start, duration,
 *               exdates, reminders, clear_description): null leaves a
 * field as it is.  A changed rule (rrule, zone, first start, duration,
 * exceptions) is materialized afresh from now.
 */
Datum
maintenance_update_series(PG_FUNCTION_ARGS)
{
	Datum		values[12];
	bool		nulls[12];
	Datum		id;
	Datum		result;
	SeriesState st;
	TimestampTz started = GetCurrentTransactionStartTimestamp();

	check_extension_version();
	series_require(PG_ARGISNULL(0), "id");
	write_check_size(fcinfo, 1, "title", MAX_TITLE_BYTES);
	if (!PG_ARGISNULL(1))
		write_check_not_blank(text_to_cstring(PG_GETARG_TEXT_PP(1)), "title");
	write_check_size(fcinfo, 2, "description", MAX_DESCRIPTION_BYTES);
	if (!PG_ARGISNULL(4))
		write_check_system_ids(PG_GETARG_ARRAYTYPE_P(4));
	series_check_reminders(fcinfo, 10);
	for (int i = 0; i < 12; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i);
	}
	if (nulls[11])
	{
		values[11] = BoolGetDatum(false);
		nulls[11] = false;
	}
	id = values[0];

	SPI_connect();
	if (!series_lock(id))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("series \"%s\" does not exist",
						DatumGetCString(DirectFunctionCall1(uuid_out, id)))));
	if (series_read(id, &st) && st.ended)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("series \"%s\" has ended",
						DatumGetCString(DirectFunctionCall1(uuid_out, id))),
				 errdetail("A deleted series is kept for its history and cannot be changed.")));

	run_plan(cached_plan(&update_series_plan,
						 "UPDATE maintenance.series s SET"
						 " title = COALESCE($2, s.title),"
						 " description = CASE WHEN $12 THEN NULL ELSE COALESCE($3, s.description) END,"
						 " suppress_notifications = COALESCE($4, s.suppress_notifications),"
						 " system_ids = CASE WHEN $5 IS NULL THEN s.system_ids ELSE " STORE_SORTED_SYSTEM_IDS("$5") " END,"
						 " rrule = COALESCE($6, s.rrule), time_zone = COALESCE($7, s.time_zone),"
						 " first_start = COALESCE($8, s.first_start),"
						 " duration = COALESCE($9, s.duration), exdates = COALESCE($10, s.exdates),"
						 " reminders = COALESCE($11, s.reminders),"
						 " updated_at = pg_catalog.now(),"
						 " rule_changed_at = CASE WHEN r.changed THEN pg_catalog.now() ELSE s.rule_changed_at END,"
						 " materialized_through = CASE WHEN r.changed THEN NULL ELSE s.materialized_through END"
						 " FROM (SELECT (x.rrule, x.time_zone, x.first_start, x.duration, x.exdates)"
						 "  IS DISTINCT FROM (COALESCE($6, x.rrule), COALESCE($7, x.time_zone),"
						 "  COALESCE($8, x.first_start), COALESCE($9, x.duration),"
						 "  COALESCE($10, x.exdates)) AS changed"
						 "  FROM maintenance.series x WHERE x.id OPERATOR(pg_catalog.=) $1) r"
						 " WHERE s.id OPERATOR(pg_catalog.=) $1",
						 12, (Oid[]) {UUIDOID, TEXTOID, TEXTOID, BOOLOID, TEXTARRAYOID,
						 TEXTOID, TEXTOID, TIMESTAMPOID, INTERVALOID, TIMESTAMPARRAYOID,
						 INTERVALARRAYOID, BOOLOID}),
			 values, nulls, false, SPI_OK_UPDATE);

	/* validates the rule as it now is (an error undoes the update) */
	series_read(id, &st);
	series_reconcile(id, &st, started);
	series_materialize_locked(id, started);
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

	check_extension_version();
	series_require(PG_ARGISNULL(0), "id");
	id = PG_GETARG_DATUM(0);
	SPI_connect();
	run_plan(cached_plan(&end_series_plan,
						 "UPDATE maintenance.series"
						 " SET ended_at = COALESCE(ended_at, pg_catalog.now()),"
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
