/*-------------------------------------------------------------------------
 *
 * reads.c
 *	  The one-row reads in C: get_maintenance(id),
 *	  get_maintenance_updates(maintenance_id) and
 *	  has_active_maintenance_with_suppression(system_id).
 *
 *	  Their queries are one index probe each, so what a call costs beside
 *	  the query decides their speed: in PL/pgSQL the call and the statement
 *	  around the query cost a third of a read (BENCHMARKS.md).  Here each
 *	  query is planned once per backend (SPI_keepplan).  They stay SECURITY
 *	  DEFINER with the pinned search_path (sql/src/06_reads.sql), and every
 *	  name in the queries is schema-qualified, operators too.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(maintenance_get_maintenance);
PG_FUNCTION_INFO_V1(maintenance_get_maintenance_updates);
PG_FUNCTION_INFO_V1(maintenance_has_active_maintenance_with_suppression);

/*
 * maintenance.get_maintenance(id uuid) RETURNS
 * maintenance.maintenances_with_systems: the maintenance, NULL if unknown.
 */
Datum
maintenance_get_maintenance(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[] = {UUIDOID};
	Datum		args[1];
	Datum		result = (Datum) 0;
	bool		isnull = true;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	args[0] = PG_GETARG_DATUM(0);
	SPI_connect();
	run_plan(cached_plan(&plan,
						 "SELECT v FROM maintenance.maintenances_with_systems v"
						 " WHERE v.id OPERATOR(pg_catalog.=) $1",
						 1, argtypes),
			 args, NULL, true, SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		result = spi_datum(0, 1, &isnull);
		if (!isnull)
			result = SPI_datumTransfer(result, false, -1);
	}
	SPI_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * maintenance.get_maintenance_updates(maintenance_id uuid) RETURNS SETOF
 * maintenance.maintenance_updates: the timeline, in the order written.
 */
Datum
maintenance_get_maintenance_updates(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[] = {UUIDOID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		args[1];

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	args[0] = PG_GETARG_DATUM(0);
	SPI_connect();
	run_plan(cached_plan(&plan,
						 "SELECT u.* FROM maintenance.maintenance_updates u"
						 " WHERE u.maintenance_id OPERATOR(pg_catalog.=) $1"
						 " ORDER BY u.position",
						 1, argtypes),
			 args, NULL, true, SPI_OK_SELECT);
	for (uint64 row = 0; row < SPI_processed; row++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[row]);
	SPI_finish();
	return (Datum) 0;
}

/*
 * Whether the system has a maintenance in progress that suppresses
 * notifications; the caller is connected to SPI (rpc's read too).  The
 * predicate is the one of the partial index maintenances_suppressing_systems,
 * which holds exactly these rows, so the plan is one probe of it whatever
 * the system (the status written as the broader "scheduled or in progress"
 * made the planner AND the GIN probe with a scan of the whole
 * maintenances_due_to_complete index).
 */
bool
reads_suppressed(Datum system_id)
{
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[] = {TEXTOID};
	Datum		args[1];
	bool		isnull;

	args[0] = system_id;
	run_plan(cached_plan(&plan,
						 "SELECT EXISTS (SELECT 1 FROM maintenance.maintenances m"
						 " WHERE m.system_ids OPERATOR(pg_catalog.@>) ARRAY[$1]"
						 " AND m.status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status"
						 " AND m.suppress_notifications)",
						 1, argtypes),
			 args, NULL, true, SPI_OK_SELECT);
	return DatumGetBool(spi_datum(0, 1, &isnull));
}

/*
 * maintenance.has_active_maintenance_with_suppression(system_id text)
 * RETURNS boolean.  NULL is false, as the query answers it: ARRAY[NULL] is
 * contained in no array.
 */
Datum
maintenance_has_active_maintenance_with_suppression(PG_FUNCTION_ARGS)
{
	bool		suppressed;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	SPI_connect();
	suppressed = reads_suppressed(PG_GETARG_DATUM(0));
	SPI_finish();
	PG_RETURN_BOOL(suppressed);
}
