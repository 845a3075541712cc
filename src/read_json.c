/*-------------------------------------------------------------------------
 *
 * read_json.c
 *	  The JSON shapes of the reads: a maintenance (MaintenanceWithSystems)
 *	  and a timeline entry (MaintenanceUpdate), built as jsonb from the row.
 *
 *	  These run once per row of every rpc read; built in C they cost a
 *	  fraction of the SQL expression they replace (jsonb_build_object of
 *	  nine members, a concatenation and four calls of iso_time()).  jsonb
 *	  orders the members of an object itself, so the result is the same
 *	  value, to the byte, whatever the order in which they are pushed.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(maintenance_maintenance_json);
PG_FUNCTION_INFO_V1(maintenance_maintenances_json);
PG_FUNCTION_INFO_V1(maintenance_bulk_maintenances_json);
PG_FUNCTION_INFO_V1(maintenance_update_json);

/* Columns of maintenance.maintenances_with_systems, in the view's order. */
static const char *const read_json_maintenance_columns[] = {
	"id", "title", "description", "suppress_notifications", "status",
	"start_at", "end_at", "created_at", "updated_at", "system_ids"
};
enum
{
	M_ID, M_TITLE, M_DESCRIPTION, M_SUPPRESS, M_STATUS,
	M_START_AT, M_END_AT, M_CREATED_AT, M_UPDATED_AT, M_SYSTEM_IDS,
	M_NCOLUMNS
};

/* Columns of maintenance.maintenance_updates. */
static const char *const read_json_update_columns[] = {
	"id", "maintenance_id", "message", "status_change", "created_at", "created_by"
};
enum
{
	U_ID, U_MAINTENANCE_ID, U_MESSAGE, U_STATUS_CHANGE, U_CREATED_AT,
	U_CREATED_BY, U_NCOLUMNS
};

/*
 * The attribute numbers of the named columns in a row type, found once per
 * call site (fn_extra) by name, so that the code does not depend on the
 * order of the columns.
 */
typedef struct ReadJsonRowType
{
	Oid			type_id;
	int32		typmod;
	int			natts;
	int			attnums[M_NCOLUMNS];	/* the larger of the two lists */
} ReadJsonRowType;

static ReadJsonRowType *
read_json_row_type(FunctionCallInfo fcinfo, HeapTupleHeader row,
				   const char *const *columns, int ncolumns)
{
	ReadJsonRowType *rt = fcinfo->flinfo->fn_extra;
	Oid			type_id = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	tupdesc;

	if (rt != NULL && rt->type_id == type_id && rt->typmod == typmod)
		return rt;

	if (rt == NULL)
		rt = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ReadJsonRowType));
	tupdesc = lookup_rowtype_tupdesc(type_id, typmod);
	for (int c = 0; c < ncolumns; c++)
	{
		rt->attnums[c] = -1;
		for (int a = 0; a < tupdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), columns[c]) == 0)
				rt->attnums[c] = a;
		}
		if (rt->attnums[c] < 0)
			elog(ERROR, "row type %s has no column \"%s\"",
				 format_type_be(type_id), columns[c]);
	}
	rt->natts = tupdesc->natts;
	rt->type_id = type_id;
	rt->typmod = typmod;
	ReleaseTupleDesc(tupdesc);
	fcinfo->flinfo->fn_extra = rt;
	return rt;
}

/* The columns of a composite argument, deformed. */
static void
read_json_deform(HeapTupleHeader row, Datum *values, bool *nulls)
{
	HeapTupleData tuple;
	TupleDesc	tupdesc;

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	tupdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row),
									 HeapTupleHeaderGetTypMod(row));
	heap_deform_tuple(&tuple, tupdesc, values, nulls);
	ReleaseTupleDesc(tupdesc);
}

/* The named columns of a composite argument, in the order of columns. */
static void
read_json_columns(FunctionCallInfo fcinfo, HeapTupleHeader row,
				  const char *const *columns, int ncolumns, Datum *v, bool *n)
{
	ReadJsonRowType *rt = read_json_row_type(fcinfo, row, columns, ncolumns);
	Datum	   *values = palloc(rt->natts * sizeof(Datum));
	bool	   *nulls = palloc(rt->natts * sizeof(bool));

	read_json_deform(row, values, nulls);
	for (int c = 0; c < ncolumns; c++)
	{
		v[c] = values[rt->attnums[c]];
		n[c] = nulls[rt->attnums[c]];
	}
	pfree(values);
	pfree(nulls);
}

static void
read_json_key(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &v);
}

static void
read_json_push(JsonbParseState **state, JsonbValue *v, bool in_array)
{
	pushJsonbValue(state, in_array ? WJB_ELEM : WJB_VALUE, v);
}

static void
read_json_null(JsonbParseState **state, bool in_array)
{
	JsonbValue	v;

	v.type = jbvNull;
	read_json_push(state, &v, in_array);
}

static void
read_json_cstring(JsonbParseState **state, char *s, int len, bool in_array)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = s;
	v.val.string.len = len;
	read_json_push(state, &v, in_array);
}

static void
read_json_text(JsonbParseState **state, Datum d, bool in_array)
{
	text	   *t = DatumGetTextPP(d);

	read_json_cstring(state, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), in_array);
}

/* A member: key and value, SQL NULL as JSON null (jsonb_build_object). */
static void
read_json_member(JsonbParseState **state, const char *key, Datum d, bool isnull,
				 void (*push_value) (JsonbParseState **state, Datum d, bool in_array))
{
	read_json_key(state, key);
	if (isnull)
		read_json_null(state, false);
	else
		push_value(state, d, false);
}

/* A member left out when NULL (the upstream's optional fields). */
static void
read_json_optional(JsonbParseState **state, const char *key, Datum d, bool isnull,
				   void (*push_value) (JsonbParseState **state, Datum d, bool in_array))
{
	if (!isnull)
		read_json_member(state, key, d, false, push_value);
}

static void
read_json_uuid(JsonbParseState **state, Datum d, bool in_array)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(uuid_out, d));

	read_json_cstring(state, s, strlen(s), in_array);
}

static void
read_json_status(JsonbParseState **state, Datum d, bool in_array)
{
	char	   *s = DatumGetCString(DirectFunctionCall1(enum_out, d));

	read_json_cstring(state, s, strlen(s), in_array);
}

static void
read_json_time(JsonbParseState **state, Datum d, bool in_array)
{
	StringInfoData buf;

	/* room for the longest form; initStringInfo's 1 kB a time adds up */
	buf.maxlen = 32;
	buf.data = palloc(buf.maxlen);
	resetStringInfo(&buf);
	append_iso_time(&buf, DatumGetTimestampTz(d));
	read_json_cstring(state, buf.data, buf.len, in_array);
}

static void
read_json_bool(JsonbParseState **state, Datum d, bool in_array)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = DatumGetBool(d);
	read_json_push(state, &v, in_array);
}

/* A text[] as a JSON array of strings (to_jsonb), NULL elements as null. */
static void
read_json_text_array(JsonbParseState **state, Datum d, bool in_array)
{
	ArrayType  *array = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls, &n);
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		if (elem_nulls[i])
			read_json_null(state, true);
		else
			read_json_text(state, elems[i], true);
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
	(void) in_array;
}

static Datum
read_json_null_result(void)
{
	JsonbValue	v;

	v.type = jbvNull;
	PG_RETURN_JSONB_P(JsonbValueToJsonb(&v));
}

/*
 * Push one maintenance: its object, or JSON null for a row without id (what
 * a read of an unknown id returns).  Returns what pushJsonbValue() returns
 * for the end of the object (the finished value when it is outermost), or
 * NULL for the null.
 */
static JsonbValue *
read_json_push_maintenance(FunctionCallInfo fcinfo, JsonbParseState **state,
						   HeapTupleHeader row, bool in_array)
{
	Datum		v[M_NCOLUMNS];
	bool		n[M_NCOLUMNS];

	read_json_columns(fcinfo, row, read_json_maintenance_columns, M_NCOLUMNS, v, n);
	if (n[M_ID])
	{
		if (in_array)
			read_json_null(state, true);
		return NULL;
	}

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	read_json_member(state, "id", v[M_ID], false, read_json_uuid);
	read_json_member(state, "title", v[M_TITLE], n[M_TITLE], read_json_text);
	read_json_member(state, "suppressNotifications", v[M_SUPPRESS], n[M_SUPPRESS], read_json_bool);
	read_json_member(state, "status", v[M_STATUS], n[M_STATUS], read_json_status);
	read_json_member(state, "startAt", v[M_START_AT], n[M_START_AT], read_json_time);
	read_json_member(state, "endAt", v[M_END_AT], n[M_END_AT], read_json_time);
	read_json_member(state, "createdAt", v[M_CREATED_AT], n[M_CREATED_AT], read_json_time);
	read_json_member(state, "updatedAt", v[M_UPDATED_AT], n[M_UPDATED_AT], read_json_time);
	read_json_member(state, "systemIds", v[M_SYSTEM_IDS], n[M_SYSTEM_IDS], read_json_text_array);
	read_json_optional(state, "description", v[M_DESCRIPTION], n[M_DESCRIPTION], read_json_text);
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * maintenance.maintenance_json(maintenance.maintenances_with_systems)
 * RETURNS jsonb
 */
Datum
maintenance_maintenance_json(PG_FUNCTION_ARGS)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	if (PG_ARGISNULL(0))
		return read_json_null_result();
	result = read_json_push_maintenance(fcinfo, &state, PG_GETARG_HEAPTUPLEHEADER(0), false);
	if (result == NULL)
		return read_json_null_result();
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/* Push an array of maintenances as a JSON array, in its order. */
static void
read_json_push_list(FunctionCallInfo fcinfo, JsonbParseState **state, ArrayType *array)
{
	Oid			elem_type = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;

	get_typlenbyvalalign(elem_type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elem_type, typlen, typbyval, typalign,
					  &elems, &elem_nulls, &n);
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		if (elem_nulls[i])
			read_json_null(state, true);
		else
			read_json_push_maintenance(fcinfo, state,
									   DatumGetHeapTupleHeader(elems[i]), true);
	}
	pfree(elems);
	pfree(elem_nulls);
}

/*
 * maintenance.maintenances_json(maintenance.maintenances_with_systems[])
 * RETURNS jsonb: the maintenances as a JSON array, in the array's order
 * (rpc's lists: one call per list instead of one per maintenance and
 * jsonb_agg).  A NULL array is the empty list.
 */
Datum
maintenance_maintenances_json(PG_FUNCTION_ARGS)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	if (PG_ARGISNULL(0))
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	else
		read_json_push_list(fcinfo, &state, PG_GETARG_ARRAYTYPE_P(0));
	result = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/*
 * maintenance.bulk_maintenances_json(system_ids text[]) RETURNS jsonb: the
 * answer of rpc's getBulkMaintenancesForSystems, {"maintenances": {system
 * id: [maintenance, ...], ...}}, from get_bulk_maintenances_for_systems(),
 * built as one value (aggregating a thousand lists with jsonb_object_agg
 * and wrapping them with jsonb_build_object copies them twice, which cost
 * more than the read itself).
 */
Datum
maintenance_bulk_maintenances_json(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[] = {TEXTARRAYOID};
	MemoryContext caller_cxt = CurrentMemoryContext;
	Datum		args[1] = {PG_GETARG_DATUM(0)};
	JsonbParseState *state = NULL;
	JsonbValue *result;
	Jsonb	   *jsonb;

	SPI_connect();
	run_plan(cached_plan(&plan,
						 "SELECT b.system_id, b.maintenances"
						 " FROM maintenance.get_bulk_maintenances_for_systems($1) b",
						 1, argtypes),
			 args, NULL, true, SPI_OK_SELECT);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	read_json_key(&state, "maintenances");
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		Datum		system_id = spi_datum(row, 1, &isnull);
		Datum		list;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;			/* the read skips NULL ids; never a key */
		read_json_key(&state, text_to_cstring(DatumGetTextPP(system_id)));
		list = spi_datum(row, 2, &isnull);
		if (isnull)
			pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		else
			read_json_push_list(fcinfo, &state, DatumGetArrayTypeP(list));
		pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);

	/* the result outlives SPI's memory, where the tree was built */
	MemoryContextSwitchTo(caller_cxt);
	jsonb = JsonbValueToJsonb(result);
	SPI_finish();
	PG_RETURN_JSONB_P(jsonb);
}

/*
 * maintenance.update_json(maintenance.maintenance_updates) RETURNS jsonb:
 * the timeline entry; statusChange and createdBy only when set.
 */
Datum
maintenance_update_json(PG_FUNCTION_ARGS)
{
	Datum		v[U_NCOLUMNS];
	bool		n[U_NCOLUMNS];
	JsonbParseState *state = NULL;
	JsonbValue *result;

	/* a NULL row is an entry of NULL members, as in the SQL form */
	memset(v, 0, sizeof(v));
	memset(n, true, sizeof(n));
	if (!PG_ARGISNULL(0))
		read_json_columns(fcinfo, PG_GETARG_HEAPTUPLEHEADER(0),
						  read_json_update_columns, U_NCOLUMNS, v, n);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	read_json_member(&state, "id", v[U_ID], n[U_ID], read_json_uuid);
	read_json_member(&state, "maintenanceId", v[U_MAINTENANCE_ID], n[U_MAINTENANCE_ID], read_json_uuid);
	read_json_member(&state, "message", v[U_MESSAGE], n[U_MESSAGE], read_json_text);
	read_json_member(&state, "createdAt", v[U_CREATED_AT], n[U_CREATED_AT], read_json_time);
	read_json_optional(&state, "statusChange", v[U_STATUS_CHANGE], n[U_STATUS_CHANGE], read_json_status);
	read_json_optional(&state, "createdBy", v[U_CREATED_BY], n[U_CREATED_BY], read_json_text);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
