/*-------------------------------------------------------------------------
 *
 * rpc.c
 *	  maintenance.rpc(method, input), the JSON entry point, and the reads it
 *	  answers in C.
 *
 *	  rpc sends the hot-path reads (getMaintenance, getMaintenancesForSystem,
 *	  getBulkMaintenancesForSystems, hasActiveMaintenanceWithSuppression) to
 *	  maintenance.rpc_read() and every other method to the PL/pgSQL
 *	  maintenance.rpc_sql() (sql/src/10_rpc.sql).  rpc_read is SECURITY
 *	  DEFINER with the pinned search_path, like the read functions of
 *	  sql/src/06_reads.sql, and runs their reads itself (getMaintenance and
 *	  the suppression check by the direct scans of reads.c, the two list
 *	  reads by their queries, each planned once per backend): one PL/pgSQL
 *	  read through rpc made seven nested function calls, each switching
 *	  search_path, which cost several times the query (BENCHMARKS.md).  rpc itself runs no SQL, so it has no search_path of
 *	  its own to pin; it calls each of the two by OID, with the caller's
 *	  EXECUTE right checked as a SQL call would.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"
#include "read_json.h"
#include "rpc_input.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

PG_FUNCTION_INFO_V1(maintenance_rpc);
PG_FUNCTION_INFO_V1(maintenance_rpc_read);

typedef enum RpcRead
{
	RPC_NOT_A_READ,
	RPC_GET_MAINTENANCE,
	RPC_MAINTENANCES_FOR_SYSTEM,
	RPC_BULK_MAINTENANCES,
	RPC_SUPPRESSION
} RpcRead;

/* The two functions rpc calls, looked up once per call site. */
typedef struct RpcTargets
{
	Oid			read_oid;
	Oid			sql_oid;
	FmgrInfo	read;
	FmgrInfo	sql;
} RpcTargets;

static RpcRead
rpc_read_of(const char *method)
{
	if (strcmp(method, "getMaintenance") == 0)
		return RPC_GET_MAINTENANCE;
	if (strcmp(method, "getMaintenancesForSystem") == 0)
		return RPC_MAINTENANCES_FOR_SYSTEM;
	if (strcmp(method, "getBulkMaintenancesForSystems") == 0)
		return RPC_BULK_MAINTENANCES;
	if (strcmp(method, "hasActiveMaintenanceWithSuppression") == 0)
		return RPC_SUPPRESSION;
	return RPC_NOT_A_READ;
}

static Oid
rpc_lookup(const char *name, FmgrInfo *finfo, MemoryContext mcxt)
{
	static const Oid argtypes[] = {TEXTOID, JSONBOID};
	Oid			oid = LookupFuncName(stringToQualifiedNameList(name), 2, argtypes, false);

	fmgr_info_cxt(oid, finfo, mcxt);
	return oid;
}

static RpcTargets *
rpc_targets(FunctionCallInfo fcinfo)
{
	RpcTargets *t = fcinfo->flinfo->fn_extra;

	if (t == NULL)
	{
		MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;

		t = MemoryContextAllocZero(mcxt, sizeof(RpcTargets));
		t->read_oid = rpc_lookup("maintenance.rpc_read", &t->read, mcxt);
		t->sql_oid = rpc_lookup("maintenance.rpc_sql", &t->sql, mcxt);
		fcinfo->flinfo->fn_extra = t;
	}
	return t;
}

/*
 * maintenance.rpc(method text, input jsonb DEFAULT '{}') RETURNS jsonb:
 * every method by its camelCase name (doc/api.md "JSON API").
 */
Datum
maintenance_rpc(PG_FUNCTION_ARGS)
{
	RpcTargets *t = rpc_targets(fcinfo);
	bool		read = !PG_ARGISNULL(0) &&
		rpc_read_of(text_to_cstring(PG_GETARG_TEXT_PP(0))) != RPC_NOT_A_READ;
	Oid			oid = read ? t->read_oid : t->sql_oid;
	AclResult	aclresult = pg_proc_aclcheck(oid, GetUserId(), ACL_EXECUTE);
	/* cppcheck-suppress unusedStructMember */
	LOCAL_FCINFO(call, 2);
	Datum		result;

	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, get_func_name(oid));
	InitFunctionCallInfoData(*call, read ? &t->read : &t->sql, 2,
							 PG_GET_COLLATION(), NULL, NULL);
	call->args[0] = fcinfo->args[0];
	call->args[1] = fcinfo->args[1];
	result = FunctionCallInvoke(call);
	fcinfo->isnull = call->isnull;
	return result;
}

/* What rpc_push_update needs to push a timeline entry. */
typedef struct RpcTimeline
{
	ReadJsonCache *cache;
	JsonbParseState **state;
} RpcTimeline;

static void
rpc_push_update(TupleTableSlot *slot, void *arg)
{
	RpcTimeline *t = (RpcTimeline *) arg;

	read_json_push_update(t->cache, t->state,
						  DatumGetHeapTupleHeader(ExecFetchSlotHeapTupleDatum(slot)));
}

/*
 * getMaintenance: the maintenance with its timeline, or JSON null.  Both read
 * by the direct index scans of reads.c, as get_maintenance and
 * get_maintenance_updates do.
 */
static JsonbValue *
rpc_get_maintenance(ReadJsonCache *cache, Jsonb *input, JsonbParseState **state)
{
	static const char *const fields[] = {"id"};
	Oid			view_type;
	Datum		id;
	Datum		row;
	RpcTimeline timeline = {cache, state};

	rpc_input_check_fields("getMaintenance", input, fields, lengthof(fields));
	id = rpc_input_uuid(input, "id");
	view_type = get_rel_type_id(get_relname_relid("maintenances_with_systems",
												  get_namespace_oid("maintenance", false)));
	if (!reads_maintenance(id, view_type, &row))
	{
		JsonbValue *null = palloc(sizeof(JsonbValue));

		null->type = jbvNull;
		return null;
	}

	(void) read_json_begin_maintenance(cache, state, DatumGetHeapTupleHeader(row));
	read_json_key(state, "updates");
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	reads_timeline(id, rpc_push_update, &timeline);
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* getMaintenancesForSystem: the system's scheduled and in-progress ones. */
static JsonbValue *
rpc_maintenances_for_system(ReadJsonCache *cache, Jsonb *input, JsonbParseState **state)
{
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[] = {TEXTOID};
	static const char *const fields[] = {"systemId"};
	Datum		args[1];

	rpc_input_check_fields("getMaintenancesForSystem", input, fields, lengthof(fields));
	args[0] = PointerGetDatum(rpc_input_text(input, "systemId", true));
	run_plan(cached_plan(&plan,
						 "SELECT v FROM maintenance.maintenances_with_systems v"
						 " WHERE v.system_ids OPERATOR(pg_catalog.@>) ARRAY[$1]"
						 " AND v.status OPERATOR(pg_catalog.=)"
						 " ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])"
						 " ORDER BY v.start_at, v.id",
						 1, argtypes),
			 args, NULL, true, SPI_OK_SELECT);

	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;

		read_json_push_maintenance(cache, state,
								   DatumGetHeapTupleHeader(spi_datum(row, 1, &isnull)), true);
	}
	return pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/*
 * getBulkMaintenancesForSystems: {"maintenances": {system id: [...], ...}},
 * the query of get_bulk_maintenances_for_systems() (the same limit on the
 * ids, checked here to name the JSON field), built as one value.
 */
static JsonbValue *
rpc_bulk_maintenances(ReadJsonCache *cache, Jsonb *input, JsonbParseState **state)
{
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[] = {TEXTARRAYOID};
	static const char *const fields[] = {"systemIds"};
	Datum		args[1];

	rpc_input_check_fields("getBulkMaintenancesForSystems", input, fields, lengthof(fields));
	args[0] = rpc_input_text_array(input, "systemIds");
	limit_check_bulk_system_ids(DatumGetArrayTypeP(args[0]), "systemIds");
	run_plan(cached_plan(&plan,
						 "SELECT asked.system_id, ARRAY(SELECT v"
						 " FROM maintenance.maintenances_with_systems v"
						 " WHERE v.system_ids OPERATOR(pg_catalog.@>) ARRAY[asked.system_id]"
						 " AND v.status OPERATOR(pg_catalog.=)"
						 " ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])"
						 " ORDER BY v.start_at, v.id)"
						 " FROM (SELECT DISTINCT a.system_id"
						 " FROM pg_catalog.unnest($1) AS a(system_id)"
						 " WHERE a.system_id IS NOT NULL) AS asked"
						 " ORDER BY asked.system_id COLLATE \"C\"",
						 1, argtypes),
			 args, NULL, true, SPI_OK_SELECT);

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	read_json_key(state, "maintenances");
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		Datum		system_id = spi_datum(row, 1, &isnull);
		Datum		list = spi_datum(row, 2, &isnull);

		CHECK_FOR_INTERRUPTS();
		read_json_key(state, text_to_cstring(DatumGetTextPP(system_id)));
		read_json_push_list(cache, state, DatumGetArrayTypeP(list));
		pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* hasActiveMaintenanceWithSuppression: {"suppressed": boolean}. */
static JsonbValue *
rpc_suppression(Jsonb *input, JsonbParseState **state)
{
	static const char *const fields[] = {"systemId"};
	JsonbValue	v;

	rpc_input_check_fields("hasActiveMaintenanceWithSuppression", input, fields,
						   lengthof(fields));
	v.type = jbvBool;
	v.val.boolean = reads_suppressed(PointerGetDatum(rpc_input_text(input, "systemId", true)));

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	read_json_key(state, "suppressed");
	pushJsonbValue(state, WJB_VALUE, &v);
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * maintenance.rpc_read(method text, input jsonb) RETURNS jsonb: the reads
 * of rpc, SECURITY DEFINER (the roles have no rights on the tables).
 */
Datum
maintenance_rpc_read(PG_FUNCTION_ARGS)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	RpcRead		method;
	Jsonb	   *input;
	ReadJsonCache *cache = fcinfo->flinfo->fn_extra;
	JsonbParseState *state = NULL;
	JsonbValue *result = NULL;
	Jsonb	   *jsonb;
	bool		uses_spi;

	if (PG_ARGISNULL(0))
		elog(ERROR, "rpc_read: the method must not be null");
	method = rpc_read_of(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	input = PG_ARGISNULL(1)
		? DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")))
		: PG_GETARG_JSONB_P(1);
	if (cache == NULL)
		fcinfo->flinfo->fn_extra = cache = read_json_cache(fcinfo->flinfo->fn_mcxt);

	/* getMaintenance and the suppression check scan their indexes directly */
	uses_spi = method == RPC_MAINTENANCES_FOR_SYSTEM || method == RPC_BULK_MAINTENANCES;
	if (uses_spi)
		SPI_connect();
	switch (method)
	{
		case RPC_GET_MAINTENANCE:
			result = rpc_get_maintenance(cache, input, &state);
			break;
		case RPC_MAINTENANCES_FOR_SYSTEM:
			result = rpc_maintenances_for_system(cache, input, &state);
			break;
		case RPC_BULK_MAINTENANCES:
			result = rpc_bulk_maintenances(cache, input, &state);
			break;
		case RPC_SUPPRESSION:
			result = rpc_suppression(input, &state);
			break;
		case RPC_NOT_A_READ:
			elog(ERROR, "rpc_read: \"%s\" is not a read",
				 text_to_cstring(PG_GETARG_TEXT_PP(0)));
	}

	/* the result outlives SPI's memory, where the tree was built */
	MemoryContextSwitchTo(caller_cxt);
	jsonb = JsonbValueToJsonb(result);
	if (uses_spi)
		SPI_finish();
	PG_RETURN_JSONB_P(jsonb);
}
