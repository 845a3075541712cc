/*-------------------------------------------------------------------------
 *
 * limits.c
 *	  The size of every input (doc/security.md "Limits"; the values are in
 *	  maintenance.h).  Each is far above what a deployment uses and keeps
 *	  every call bounded: a system id fits the indexes that hold it, a
 *	  create's events stay a few megabytes (the title goes into one
 *	  notification per system), and a bulk read's result is at most
 *	  MAX_BULK_SYSTEM_IDS x its systems' maintenances.  A value beyond a
 *	  limit is refused with 22023 naming the argument (as the SQL functions
 *	  or maintenance.rpc() call it) and the limit, before anything is
 *	  written.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(maintenance_check_consumer_name);
PG_FUNCTION_INFO_V1(maintenance_checked_bulk_system_ids);

/* The bytes of a text datum, without detoasting it. */
static Size
limits_text_bytes(Datum value)
{
	return toast_raw_datum_size(value) - VARHDRSZ;
}

/* A text argument of at most max_bytes bytes. */
void
limit_check_text(Datum value, const char *argument, int max_bytes)
{
	Size		bytes = limits_text_bytes(value);

	if (bytes > (Size) max_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be longer than %d bytes",
						write_arg_name(argument), max_bytes),
				 errdetail("The value given is %zu bytes long.", bytes)));
}

/*
 * The system ids of a maintenance: at most MAX_SYSTEMS elements (counted
 * as given, duplicates too), each at most MAX_SYSTEM_ID_BYTES bytes.
 */
void
limit_check_system_ids(int n, const Datum *elems, const bool *nulls)
{
	if (n > MAX_SYSTEMS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not have more than %d elements",
						write_arg_name("system_ids"), MAX_SYSTEMS),
				 errdetail("The array given has %d elements.", n)));
	for (int i = 0; i < n; i++)
	{
		Size		bytes;

		if (nulls[i])
			continue;
		bytes = limits_text_bytes(elems[i]);
		if (bytes > MAX_SYSTEM_ID_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain an id longer than %d bytes",
							write_arg_name("system_ids"), MAX_SYSTEM_ID_BYTES),
					 errdetail("Element %d is %zu bytes long.", i + 1, bytes)));
	}
}

/* The reminders of a maintenance: at most MAX_REMINDERS leads. */
void
limit_check_reminders(int n)
{
	if (n > MAX_REMINDERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not have more than %d elements",
						write_arg_name("reminders"), MAX_REMINDERS),
				 errdetail("The array given has %d elements.", n)));
}

/*
 * maintenance.check_consumer_name(name text) RETURNS void: the name of a
 * new named consumer is at most MAX_CONSUMER_NAME_BYTES bytes
 * (register_consumer(); the primary key of event_consumers holds it).
 */
Datum
maintenance_check_consumer_name(PG_FUNCTION_ARGS)
{
	Size		bytes;

	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	bytes = limits_text_bytes(PG_GETARG_DATUM(0));
	if (bytes > MAX_CONSUMER_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("consumer name must not be longer than %d bytes",
						MAX_CONSUMER_NAME_BYTES),
				 errdetail("The name given is %zu bytes long.", bytes)));
	PG_RETURN_VOID();
}

/*
 * Refuse the ids of a bulk read beyond MAX_BULK_SYSTEM_IDS elements
 * (counted as given, nulls and duplicates too); argument names them.
 */
void
limit_check_bulk_system_ids(ArrayType *ids, const char *argument)
{
	int			n = ArrayGetNItems(ARR_NDIM(ids), ARR_DIMS(ids));

	if (n > MAX_BULK_SYSTEM_IDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not have more than %d elements",
						argument, MAX_BULK_SYSTEM_IDS),
				 errdetail("A bulk read asks for at most %d systems; the array given has %d elements.",
						   MAX_BULK_SYSTEM_IDS, n)));
}

/*
 * maintenance.checked_bulk_system_ids(system_ids text[]) RETURNS text[]:
 * the ids of get_bulk_maintenances_for_systems(), checked, returned as
 * they are.
 */
Datum
maintenance_checked_bulk_system_ids(PG_FUNCTION_ARGS)
{
	ArrayType  *ids;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ids = PG_GETARG_ARRAYTYPE_P(0);
	limit_check_bulk_system_ids(ids, write_arg_name("system_ids"));
	PG_RETURN_ARRAYTYPE_P(ids);
}
