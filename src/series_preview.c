/*-------------------------------------------------------------------------
 *
 * series_preview.c
 *	  maintenance.preview_series(): the windows a rule would give, written
 *	  nowhere.
 *
 *-------------------------------------------------------------------------
 */
#include "series.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(maintenance_preview_series);

#define PREVIEW_DEFAULT_COUNT	10

/*
 * preview_series(rrule, time_zone, first_start, duration, exdates,
 *                from_time, count): the first count occurrences whose start
 * is at or after from_time (default now).
 */
Datum
maintenance_preview_series(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SeriesRule	s;
	TimestampTz from = PG_ARGISNULL(5) ? GetCurrentTransactionStartTimestamp() :
		PG_GETARG_TIMESTAMPTZ(5);
	int			count = PG_ARGISNULL(6) ? PREVIEW_DEFAULT_COUNT : PG_GETARG_INT32(6);
	Occurrence *occ;
	int			n;

	if (count < 1 || count > SERIES_MAX_PREVIEW)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be between 1 and %d",
						write_arg_name("count"), SERIES_MAX_PREVIEW)));
	series_require(PG_ARGISNULL(2), "first_start");
	series_rule_init(&s,
					 PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)),
					 PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
					 PG_ARGISNULL(2) ? DT_NOBEGIN : PG_GETARG_TIMESTAMP(2),
					 PG_ARGISNULL(3) ? NULL : PG_GETARG_INTERVAL_P(3),
					 PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4));

	occ = palloc(sizeof(Occurrence) * count);
	n = series_expand(&s, from, EXPAND_STARTING_AT_OR_AFTER, DT_NOEND, count, occ);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = TimestampTzGetDatum(occ[i].start_at);
		values[1] = TimestampTzGetDatum(occ[i].end_at);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
