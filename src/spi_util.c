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

#include "catalog/pg_type.h"
#include "utils/array.h"


/*
 * Prepare sql once and keep the plan in *slot for the life of the backend.
 * The plan cache revalidates it when the objects it uses change.
 */
SPIPlanPtr
cached_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *argtypes)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan;

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

/* A uuid[] of n ids, in the current memory context. */
Datum
uuid_array(const pg_uuid_t *ids, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = UUIDPGetDatum(&ids[i]);
	return PointerGetDatum(construct_array(elems, n, UUIDOID, UUID_LEN, false,
										   TYPALIGN_CHAR));
}
