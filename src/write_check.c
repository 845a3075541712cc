/*-------------------------------------------------------------------------
 *
 * write_check.c
 *	  The checks of the write functions' input, and the errors they share.
 *
 *	  Every write (write.c, status_update.c, series.c) checks its whole
 *	  input with these before it touches a row; an argument is named as the
 *	  caller knows it (write_arg_name()).
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/uuid.h"


/* The whitespace that makes a text blank; the tables' CHECKs use the same. */
#define BLANK_CHARACTERS " \t\n\r\f\v"

/* ----------------------------------------------------------------------
 * Input validation: every check runs before the first write
 * ---------------------------------------------------------------------- */

/*
 * An argument's name for an error message: as the SQL functions call it
 * (system_ids), or, with maintenance.argument_names = json (which
 * maintenance.rpc() sets for its calls), as its JSON field (systemIds).
 */
const char *
write_arg_name(const char *sql_name)
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

void
write_require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be null", write_arg_name(name))));
}

static bool
write_check_is_blank(const char *value)
{
	return value[strspn(value, BLANK_CHARACTERS)] == '\0';
}

void
write_check_not_blank(const char *value, const char *name)
{
	if (write_check_is_blank(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be blank", write_arg_name(name))));
}

/* A text argument, when given, of at most max_bytes (limits.c). */
void
write_check_size(FunctionCallInfo fcinfo, int argno, const char *name,
				 int max_bytes)
{
	if (!PG_ARGISNULL(argno))
		limit_check_text(PG_GETARG_DATUM(argno), name, max_bytes);
}

/*
 * A text argument that must be present, not blank and at most max_bytes,
 * as a C string.
 */
char *
write_required_text(FunctionCallInfo fcinfo, int argno, const char *name,
					int max_bytes)
{
	char	   *value;

	write_require_arg(fcinfo, argno, name);
	write_check_size(fcinfo, argno, name, max_bytes);
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	write_check_not_blank(value, name);
	return value;
}

/* An optional text argument of at most max_bytes, as a C string or NULL. */
char *
write_optional_text(FunctionCallInfo fcinfo, int argno, const char *name,
					int max_bytes)
{
	write_check_size(fcinfo, argno, name, max_bytes);
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

static void
write_check_finite(TimestampTz ts, const char *name)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a finite timestamp", write_arg_name(name))));
}

void
write_check_window(TimestampTz start_at, TimestampTz end_at)
{
	write_check_finite(start_at, "start_at");
	write_check_finite(end_at, "end_at");
	if (end_at <= start_at)
	{
		/* timestamptz_to_str() returns a static buffer: copy each result */
		char	   *start_str = pstrdup(timestamptz_to_str(start_at));
		char	   *end_str = pstrdup(timestamptz_to_str(end_at));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be later than \"%s\"",
						write_arg_name("end_at"), write_arg_name("start_at")),
				 errdetail("\"%s\" is %s and \"%s\" is %s.",
						   write_arg_name("start_at"), start_str,
						   write_arg_name("end_at"), end_str)));
	}
}

/*
 * system_ids must hold at least one id and at most MAX_SYSTEMS, none of
 * them null, blank or longer than MAX_SYSTEM_ID_BYTES.  Duplicates are
 * allowed and stored once.
 */
void
write_check_system_ids(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a one-dimensional array", write_arg_name("system_ids"))));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be empty", write_arg_name("system_ids")),
				 errdetail("A maintenance affects at least one system.")));
	limit_check_system_ids(n, elems, nulls);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain null", write_arg_name("system_ids"))));
		if (write_check_is_blank(TextDatumGetCString(elems[i])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain a blank id", write_arg_name("system_ids")),
					 errdetail("Element %d is blank.", i + 1)));
	}
}

/* The author of an update: the argument, else maintenance.actor, else none. */
char *
write_resolve_actor(char *created_by)
{
	if (created_by != NULL)
		return created_by;
	if (maintenance_actor != NULL && maintenance_actor[0] != '\0')
		return pstrdup(maintenance_actor);
	return NULL;
}

/* ----------------------------------------------------------------------
 * Errors the writes share
 * ---------------------------------------------------------------------- */

char *
write_uuid_text(Datum id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, id));
}

void
write_raise_not_found(Datum id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("maintenance \"%s\" does not exist", write_uuid_text(id))));
}
