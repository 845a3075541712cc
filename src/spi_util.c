/*-------------------------------------------------------------------------
 *
 * spi_util.c
 *	  Cached SPI plans and small helpers around SPI results.
 *
 *	  Every statement the write path runs is prepared once per backend and
 *	  kept (SPI_keepplan): the transition sweep runs them once per row.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/namespace.h"
#include "lib/stringinfo.h"
#include "utils/lsyscache.h"

/* Whether maintenance.maintenances has the column system_ids (0.2.0). */
static bool
system_ids_column_exists(void)
{
	Oid			nsp = get_namespace_oid("maintenance", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("maintenances", nsp) : InvalidOid;

	return OidIsValid(rel) && get_attnum(rel, "system_ids") != InvalidAttrNumber;
}

/* sql with every SYSTEM_IDS_OF_M replaced (see maintenance.h). */
static const char *
expand_system_ids(const char *sql)
{
	const char *expr = system_ids_column_exists() ?
		"m.system_ids" :
		"ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s"
		" WHERE s.maintenance_id OPERATOR(pg_catalog.=) m.id"
		" ORDER BY s.system_id COLLATE \"C\")";
	size_t		marker_len = strlen(SYSTEM_IDS_OF_M);
	const char *at;
	StringInfoData buf;

	if (strstr(sql, SYSTEM_IDS_OF_M) == NULL)
		return sql;
	initStringInfo(&buf);
	while ((at = strstr(sql, SYSTEM_IDS_OF_M)) != NULL)
	{
		appendBinaryStringInfo(&buf, sql, at - sql);
		appendStringInfoString(&buf, expr);
		sql = at + marker_len;
	}
	appendStringInfoString(&buf, sql);
	return buf.data;
}

/*
 * Prepare sql once and keep the plan in *slot for the life of the backend.
 * The plan cache revalidates it when the objects it uses change.  The text
 * is fixed at the first call: a backend that started before ALTER EXTENSION
 * UPDATE keeps reading the system ids the 0.1.0 way, which stays correct.
 */
SPIPlanPtr
cached_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan;

		sql = expand_system_ids(sql);
		plan = SPI_prepare(sql, nargs, (Oid *) argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*slot = plan;
	}
	return *slot;
}

/*
 * cached_plan() of sql_0_2 where maintenances has the column system_ids, else
 * of sql_0_1: for writes of that column.  Like SYSTEM_IDS_OF_M, the choice is
 * made once per backend.
 */
SPIPlanPtr
cached_plan_for_schema(SPIPlanPtr *slot, const char *sql_0_2,
					   const char *sql_0_1, int nargs, const Oid *argtypes)
{
	if (*slot != NULL)
		return *slot;
	return cached_plan(slot, system_ids_column_exists() ? sql_0_2 : sql_0_1,
					   nargs, argtypes);
}

/*
 * Run a prepared plan.  isnull may be NULL when no argument is null.
 * expected is the SPI result code the statement must give.
 */
void
run_plan(SPIPlanPtr plan, const Datum *values, const bool *isnull,
		 bool read_only, int expected)
{
	char		nulls[FUNC_MAX_ARGS];
	int			nargs = SPI_getargcount(plan);
	int			rc;

	for (int i = 0; i < nargs; i++)
		nulls[i] = (isnull != NULL && isnull[i]) ? 'n' : ' ';

	rc = SPI_execute_plan(plan, (Datum *) values, nulls, read_only, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute_plan returned %s, expected %s",
			 SPI_result_code_string(rc), SPI_result_code_string(expected));
}

/* Column col (1-based) of row of the last result as text, or NULL. */
char *
spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/* Column col (1-based) of row of the last result as a Datum. */
Datum
spi_datum(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}
