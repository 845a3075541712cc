/*-------------------------------------------------------------------------
 *
 * read_json.c
 *	  The JSON shapes of the reads: a maintenance (MaintenanceWithSystems)
 *	  and a timeline entry (MaintenanceUpdate), built as jsonb from the row.
 *
 *	  These run once per row of every rpc read; built in C they cost a
 *	  fraction of the SQL expression they replace (jsonb_build_object of
 *	  nine members, three concatenations and four calls of iso_time()).  jsonb
 *	  orders the members of an object itself, so the result is the same
 *	  value, to the byte, whatever the order in which they are pushed.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"
#include "read_json.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(maintenance_maintenance_json);
PG_FUNCTION_INFO_V1(maintenance_maintenances_json);
PG_FUNCTION_INFO_V1(maintenance_update_json);

/* Columns of maintenance.maintenances_with_systems, in the view's order. */
static const char *const read_json_maintenance_columns[] = {
	"id", "title", "description", "suppress_notifications", "status",
	"start_at", "end_at", "created_at", "updated_at", "system_ids", "reminders",
	"series_id"
};
enum
{
	M_ID, M_TITLE, M_DESCRIPTION, M_SUPPRESS, M_STATUS,
	M_START_AT, M_END_AT, M_CREATED_AT, M_UPDATED_AT, M_SYSTEM_IDS,
	M_REMINDERS, M_SERIES_ID, M_NCOLUMNS
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
 * cache (a call site's fn_extra) by name, so that the code does not depend
 * on the order of the columns.
 */
typedef struct ReadJsonRowType
{
	Oid			type_id;
	int32		typmod;
	int			natts;
	int			attnums[M_NCOLUMNS];	/* the larger of the two lists */
} ReadJsonRowType;

struct ReadJsonCache
{
	MemoryContext mcxt;
	ReadJsonRowType *maintenance;
	ReadJsonRowType *update;
};

ReadJsonCache *
read_json_cache(MemoryContext mcxt)
{
	ReadJsonCache *cache = MemoryContextAllocZero(mcxt, sizeof(ReadJsonCache));

	cache->mcxt = mcxt;
	return cache;
}

/* The cache of a SQL-callable function, in its fn_extra. */
static ReadJsonCache *
read_json_fn_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = read_json_cache(fcinfo->flinfo->fn_mcxt);
	return fcinfo->flinfo->fn_extra;
}

static ReadJsonRowType *
read_json_row_type(MemoryContext mcxt, ReadJsonRowType **slot, HeapTupleHeader row,
				   const char *const *columns, int ncolumns)
{
	ReadJsonRowType *rt = *slot;
	Oid			type_id = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);
	TupleDesc	tupdesc;

	if (rt != NULL && rt->type_id == type_id && rt->typmod == typmod)
		return rt;

	if (rt == NULL)
		rt = MemoryContextAllocZero(mcxt, sizeof(ReadJsonRowType));
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
	*slot = rt;
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
read_json_columns(MemoryContext mcxt, ReadJsonRowType **slot, HeapTupleHeader row,
				  const char *const *columns, int ncolumns, Datum *v, bool *n)
{
	ReadJsonRowType *rt = read_json_row_type(mcxt, slot, row, columns, ncolumns);
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

void
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

/* A member left out when NULL (the optional members of doc/contract.md). */
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
		CHECK_FOR_INTERRUPTS();
		if (elem_nulls[i])
			read_json_null(state, true);
		else
			read_json_text(state, elems[i], true);
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
	(void) in_array;
}

/*
 * The leads of a maintenance as RFC 5545 durations (duration_iso()), in
 * their order; the member is left out when there are none.
 */
static void
read_json_reminders(JsonbParseState **state, Datum d, bool isnull)
{
	ArrayType  *array;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;

	if (isnull)
		return;
	array = DatumGetArrayTypeP(d);
	deconstruct_array(array, INTERVALOID, sizeof(Interval), false, TYPALIGN_DOUBLE,
					  &elems, &elem_nulls, &n);
	if (n == 0)
		return;
	read_json_key(state, "reminders");
	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
	{
		if (elem_nulls[i])
			read_json_null(state, true);
		else
		{
			char	   *s = reminders_duration_iso(DatumGetIntervalP(elems[i]));

			read_json_cstring(state, s, strlen(s), true);
		}
	}
	pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

static Datum
read_json_null_result(void)
{
	JsonbValue	v;

	v.type = jbvNull;
	PG_RETURN_JSONB_P(JsonbValueToJsonb(&v));
}

/*
 * Begin one maintenance: its object's members, the object left open for
 * more (getMaintenance's updates).  False, with nothing pushed, for a row
 * without id (what a read of an unknown id returns).
 */
bool
read_json_begin_maintenance(ReadJsonCache *cache, JsonbParseState **state,
							HeapTupleHeader row)
{
	Datum		v[M_NCOLUMNS];
	bool		n[M_NCOLUMNS];

	read_json_columns(cache->mcxt, &cache->maintenance, row,
					  read_json_maintenance_columns, M_NCOLUMNS, v, n);
	if (n[M_ID])
		return false;

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
	read_json_reminders(state, v[M_REMINDERS], n[M_REMINDERS]);
	read_json_optional(state, "seriesId", v[M_SERIES_ID], n[M_SERIES_ID], read_json_uuid);
	return true;
}

/*
 * Push one maintenance: its object, or JSON null for a row without id.
 * Returns what pushJsonbValue() returns for the end of the object (the
 * finished value when it is outermost), or NULL for the null.
 */
JsonbValue *
read_json_push_maintenance(ReadJsonCache *cache, JsonbParseState **state,
						   HeapTupleHeader row, bool in_array)
{
	if (!read_json_begin_maintenance(cache, state, row))
	{
		if (in_array)
			read_json_null(state, true);
		return NULL;
	}
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
	result = read_json_push_maintenance(read_json_fn_cache(fcinfo), &state,
										PG_GETARG_HEAPTUPLEHEADER(0), false);
	if (result == NULL)
		return read_json_null_result();
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/*
 * Begin a JSON array of the maintenances of an array, in its order; the
 * caller ends it.
 */
void
read_json_push_list(ReadJsonCache *cache, JsonbParseState **state, ArrayType *array)
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
			read_json_push_maintenance(cache, state,
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
		read_json_push_list(read_json_fn_cache(fcinfo), &state, PG_GETARG_ARRAYTYPE_P(0));
	result = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/*
 * Push one timeline entry; statusChange and createdBy only when set.  A
 * NULL row (row == NULL) is an entry of NULL members, as in the SQL form.
 */
JsonbValue *
read_json_push_update(ReadJsonCache *cache, JsonbParseState **state,
					  HeapTupleHeader row)
{
	Datum		v[U_NCOLUMNS];
	bool		n[U_NCOLUMNS];

	memset(v, 0, sizeof(v));
	memset(n, true, sizeof(n));
	if (row != NULL)
		read_json_columns(cache->mcxt, &cache->update, row,
						  read_json_update_columns, U_NCOLUMNS, v, n);

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	read_json_member(state, "id", v[U_ID], n[U_ID], read_json_uuid);
	read_json_member(state, "maintenanceId", v[U_MAINTENANCE_ID], n[U_MAINTENANCE_ID], read_json_uuid);
	read_json_member(state, "message", v[U_MESSAGE], n[U_MESSAGE], read_json_text);
	read_json_member(state, "createdAt", v[U_CREATED_AT], n[U_CREATED_AT], read_json_time);
	read_json_optional(state, "statusChange", v[U_STATUS_CHANGE], n[U_STATUS_CHANGE], read_json_status);
	read_json_optional(state, "createdBy", v[U_CREATED_BY], n[U_CREATED_BY], read_json_text);
	return pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/*
 * maintenance.update_json(maintenance.maintenance_updates) RETURNS jsonb:
 * the timeline entry.
 */
Datum
maintenance_update_json(PG_FUNCTION_ARGS)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;

	result = read_json_push_update(read_json_fn_cache(fcinfo), &state,
								   PG_ARGISNULL(0) ? NULL : PG_GETARG_HEAPTUPLEHEADER(0));
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
