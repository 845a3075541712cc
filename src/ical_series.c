/*-------------------------------------------------------------------------
 *
 * ical_series.c
 *	  The series of maintenance.calendar(): one VEVENT per series (DTSTART
 *	  with TZID, DURATION, RRULE, EXDATE, RDATE), the VTIMEZONE of its zone
 *	  (ical_timezone.c), and a VEVENT with RECURRENCE-ID for each occurrence
 *	  that differs from what the rule gives.  Occurrences are never VEVENTs
 *	  of their own: a client shows each window once.
 *
 *	  The series are read by calendar_series_rows() and checked here
 *	  against [since, until) by expanding their rule, as their occurrences
 *	  were computed (series_rule.c).  Components are added to the calendar
 *	  as soon as they are created (ical_calendar.h).
 *
 *-------------------------------------------------------------------------
 */
#include "ical_calendar.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

/* The columns of calendar_series_rows() after the shared ones. */
enum
{
	ISER_COL_RRULE = ICAL_COL_SHARED_END,
	ISER_COL_TIME_ZONE,
	ISER_COL_FIRST_START,
	ISER_COL_DURATION,
	ISER_COL_EXDATES,
	ISER_COL_ENDED_AT,
	ISER_COL_IN_RANGE
};

/* The columns of calendar_override_rows() after the shared ones. */
enum
{
	IOVR_COL_OCCURRENCE_START = ICAL_COL_SHARED_END,
	IOVR_COL_CHANGED
};

/* How far beyond now (or the latest first start) a VTIMEZONE lists changes. */
#define ICAL_ZONE_YEARS		10

/* One series of the calendar, read and checked before it is written. */
typedef struct IcalSeries
{
	HeapTuple	row;
	char	   *uid;
	char	   *zone;
	SeriesRule	rule;			/* its exdates: those of the EXDATE */
	Occurrence	first;			/* the first the rule yields, exceptions or not */
	bool		ended;
	TimestampTz ended_at;
} IcalSeries;

/* A zone of the calendar's series and the earliest instant it must cover. */
typedef struct IcalZone
{
	char	   *name;
	pg_tz	   *tz;
	TimestampTz from;
} IcalZone;

/* The calendar's [since, until), DT_NOBEGIN and DT_NOEND when unbounded. */
typedef struct IcalRange
{
	TimestampTz since;
	TimestampTz until;
} IcalRange;

static Datum
ical_series_value(const IcalSeries *s, TupleDesc desc, int col, bool *isnull)
{
	return SPI_getbinval(s->row, desc, col, isnull);
}

/*
 * The exceptions of the EXDATE, as the expansion skips them: the rule is
 * checked as it was written (series_rule_init), the exceptions of the
 * calendar (with the deleted and cancelled occurrences) are set after.
 */
static void
ical_series_set_exdates(SeriesRule *rule, ArrayType *exdates)
{
	Datum	   *values;
	bool	   *nulls;
	int			n;

	deconstruct_array(exdates, TIMESTAMPOID, sizeof(Timestamp), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &values, &nulls, &n);
	rule->exdates = palloc(sizeof(Timestamp) * Max(n, 1));
	for (int i = 0; i < n; i++)
		rule->exdates[i] = DatumGetTimestamp(values[i]);
	qsort(rule->exdates, n, sizeof(Timestamp), series_timestamp_cmp);
	rule->nexdates = n;
}

/*
 * Read a row of calendar_series_rows(); false when no window of the series
 * overlaps the range.  An ended series has no window starting after it
 * ended (deleteSeries deleted those).
 */
static bool
ical_series_read(IcalSeries *s, HeapTuple row, TupleDesc desc, const IcalRange *range)
{
	bool		isnull;
	Occurrence	o;

	s->row = row;
	s->uid = SPI_getvalue(row, desc, ICAL_COL_ID);
	s->zone = SPI_getvalue(row, desc, ISER_COL_TIME_ZONE);
	series_rule_init(&s->rule, SPI_getvalue(row, desc, ISER_COL_RRULE), s->zone,
					 DatumGetTimestamp(ical_series_value(s, desc, ISER_COL_FIRST_START, &isnull)),
					 DatumGetIntervalP(ical_series_value(s, desc, ISER_COL_DURATION, &isnull)),
					 NULL);
	/* RFC 5545: DTSTART is the first instance; the first start need not be one */
	series_expand(&s->rule, DT_NOBEGIN, EXPAND_STARTING_AT_OR_AFTER, DT_NOEND, 1, &s->first);
	ical_series_set_exdates(&s->rule,
							DatumGetArrayTypeP(ical_series_value(s, desc, ISER_COL_EXDATES, &isnull)));
	s->ended_at = DatumGetTimestampTz(ical_series_value(s, desc, ISER_COL_ENDED_AT, &s->ended));
	s->ended = !s->ended;

	if (DatumGetBool(ical_series_value(s, desc, ISER_COL_IN_RANGE, &isnull)))
		return true;
	return series_expand(&s->rule, range->since, EXPAND_ENDING_AFTER,
						 s->ended ? Min(s->ended_at, range->until) : range->until,
						 1, &o) == 1;
}

/* The zone of a series among those of the calendar, covering its first start. */
static List *
ical_series_note_zone(List *zones, const IcalSeries *s)
{
	ListCell   *lc;
	IcalZone   *z;

	foreach(lc, zones)
	{
		z = lfirst(lc);
		if (strcmp(z->name, s->zone) == 0)
		{
			z->from = Min(z->from, s->first.start_at);
			return zones;
		}
	}
	z = palloc(sizeof(IcalZone));
	z->name = s->zone;
	z->tz = s->rule.tz;
	z->from = s->first.start_at;
	return lappend(zones, z);
}

/*
 * How far the VTIMEZONEs list changes: a day beyond until, or some years
 * beyond now and the latest first start (doc/sla-calendar.md, "The calendar").
 */
static TimestampTz
ical_series_zone_until(const IcalRange *range, const IcalSeries *series, int n)
{
	TimestampTz latest = GetCurrentTransactionStartTimestamp();
	const TimestampTz max_local = (TimestampTz) (date2j(SERIES_MAX_YEAR + 1, 1, 1) -
												 POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;

	if (!TIMESTAMP_NOT_FINITE(range->until))
		return Min(range->until, max_local) + USECS_PER_DAY;
	for (int i = 0; i < n; i++)
		latest = Max(latest, series[i].first.start_at);
	return Min(latest + (TimestampTz) ICAL_ZONE_YEARS * 366 * USECS_PER_DAY, max_local);
}

/*
 * The RRULE: UNTIL in UTC (RFC 5545 wants it so beside a DTSTART with a
 * TZID); an ended series ends when it ended, unless its rule ended before.
 */
static struct icalrecurrencetype
ical_series_rrule(const IcalSeries *s)
{
	struct icalrecurrencetype recur = recur_icalrecurrence(s->rule.rule);
	const RecurUntil *until = recur_until(s->rule.rule);
	Occurrence	after_end;

	if (until->kind == RECUR_UNTIL_UTC)
		recur.until = ical_utc_time(until->value);
	else if (until->kind == RECUR_UNTIL_LOCAL)
		recur.until = ical_utc_time(series_local_to_utc(until->value, s->rule.tz));
	if (s->ended &&
		series_expand(&s->rule, s->ended_at, EXPAND_STARTING_AT_OR_AFTER, DT_NOEND, 1,
					  &after_end) == 1)
	{
		recur.count = 0;
		recur.until = ical_utc_time(s->ended_at);
	}
	return recur;
}

/* The VEVENT of a series. */
static icalcomponent *
ical_series_event(icalcomponent *calendar, const IcalSeries *s, TupleDesc desc)
{
	icalcomponent *event = ical_new_event(calendar, s->uid, s->row, desc);
	const Interval *d = &s->rule.duration;
	struct icaldurationtype duration = icaldurationtype_null_duration();
	int64		secs = d->time / USECS_PER_SEC;

	ical_add_zoned(event, icalproperty_new_dtstart(recur_ical_time(s->first.local_start)),
				   s->zone, "DTSTART");
	duration.days = d->day;
	duration.hours = secs / 3600;
	duration.minutes = secs / 60 % 60;
	duration.seconds = secs % 60;
	ical_add(event, icalproperty_new_duration(duration), "DURATION");
	ical_add(event, icalproperty_new_rrule(ical_series_rrule(s)), "RRULE");
	for (int i = 0; i < s->rule.nexdates; i++)
		ical_add_zoned(event, icalproperty_new_exdate(recur_ical_time(s->rule.exdates[i])),
					   s->zone, "EXDATE");
	ical_describe_event(event, s->row, desc);
	return event;
}

/*
 * Whether an occurrence is the window the rule gives at its original local
 * start: false when the rule no longer yields that start (it changed after
 * the occurrence began), or gives it other times.
 */
static bool
ical_series_yields(const IcalSeries *s, Timestamp local, TimestampTz start_at,
				   TimestampTz end_at, bool *yielded)
{
	TimestampTz at = series_local_to_utc(local, s->rule.tz);
	Occurrence	o;

	*yielded = series_expand(&s->rule, at, EXPAND_STARTING_AT_OR_AFTER, at + 1, 1, &o) == 1 &&
		o.local_start == local;
	return *yielded && o.start_at == start_at && o.end_at == end_at;
}

/*
 * The overrides of a series: a VEVENT with its UID and a RECURRENCE-ID
 * (the original local start) for each occurrence that differs from the
 * rule; one the rule no longer yields is also an RDATE of the series.
 * Returns how many.
 */
static int64
ical_series_overrides(icalcomponent *calendar, icalcomponent *series_event,
					  const IcalSeries *s, TupleDesc series_desc, SPIPlanPtr plan,
					  Datum *args, const char *nulls)
{
	int64		n = 0;
	bool		isnull;

	args[0] = ical_series_value(s, series_desc, ICAL_COL_ID, &isnull);
	if (SPI_execute_plan(plan, args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the occurrences of a series of the calendar");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Timestamp	local = DatumGetTimestamp(SPI_getbinval(row, desc, IOVR_COL_OCCURRENCE_START, &isnull));
		bool		yielded;
		icalcomponent *event;

		CHECK_FOR_INTERRUPTS();
		if (ical_series_yields(s, local,
							   DatumGetTimestampTz(SPI_getbinval(row, desc, ICAL_COL_START_AT, &isnull)),
							   DatumGetTimestampTz(SPI_getbinval(row, desc, ICAL_COL_END_AT, &isnull)),
							   &yielded) &&
			!DatumGetBool(SPI_getbinval(row, desc, IOVR_COL_CHANGED, &isnull)))
			continue;
		if (!yielded)
		{
			struct icaldatetimeperiodtype rdate;

			rdate.time = recur_ical_time(local);
			rdate.period = icalperiodtype_null_period();
			ical_add_zoned(series_event, icalproperty_new_rdate(rdate), s->zone, "RDATE");
		}
		event = ical_new_event(calendar, s->uid, row, desc);
		ical_add_zoned(event, icalproperty_new_recurrenceid(recur_ical_time(local)),
					   s->zone, "RECURRENCE-ID");
		ical_add_window(event, row, desc);
		ical_describe_event(event, row, desc);
		n++;
	}
	SPI_freetuptable(SPI_tuptable);
	return n;
}

static IcalRange
ical_series_range(Datum *args, const bool *argnulls)
{
	IcalRange	range;

	range.since = argnulls[1] ? DT_NOBEGIN : DatumGetTimestampTz(args[1]);
	range.until = argnulls[2] ? DT_NOEND : DatumGetTimestampTz(args[2]);
	return range;
}

/*
 * The series of the calendar (args: its system_ids, since and until) and
 * their zones, after `events` VEVENTs.  Returns the number of VEVENTs.
 */
int64
ical_add_series(icalcomponent *calendar, Datum *args, const bool *argnulls, int64 events)
{
	static const Oid argtypes[] = {TEXTARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	static const Oid override_argtypes[] = {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	IcalRange	range = ical_series_range(args, argnulls);
	char		nulls[3];
	SPITupleTable *rows;
	IcalSeries *series;
	int			n = 0;
	List	   *zones = NIL;
	ListCell   *lc;
	SPIPlanPtr	override_plan;
	Datum		override_args[3] = {0, args[1], args[2]};
	TimestampTz zone_until;

	for (int i = 0; i < 3; i++)
		nulls[i] = argnulls[i] ? 'n' : ' ';
	if (SPI_execute_with_args("SELECT r.* FROM maintenance.calendar_series_rows($1, $2, $3) AS r",
							  3, (Oid *) argtypes, args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the series of the calendar");
	rows = SPI_tuptable;
	ical_check_size(events + (int64) SPI_processed);

	series = palloc(sizeof(IcalSeries) * Max(rows->numvals, 1));
	for (uint64 i = 0; i < rows->numvals; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (ical_series_read(&series[n], rows->vals[i], rows->tupdesc, &range))
			zones = ical_series_note_zone(zones, &series[n++]);
	}

	zone_until = ical_series_zone_until(&range, series, n);
	foreach(lc, zones)
	{
		IcalZone   *z = lfirst(lc);

		ical_add_vtimezone(calendar, z->name, z->tz, z->from - USECS_PER_DAY, zone_until);
	}

	override_plan = SPI_prepare("SELECT r.* FROM maintenance.calendar_override_rows($1, $2, $3) AS r",
								3, (Oid *) override_argtypes);
	if (override_plan == NULL)
		elog(ERROR, "could not prepare the reading of occurrences of the calendar");
	nulls[0] = ' ';
	events += n;
	for (int i = 0; i < n; i++)
	{
		icalcomponent *event;

		CHECK_FOR_INTERRUPTS();
		event = ical_series_event(calendar, &series[i], rows->tupdesc);
		events += ical_series_overrides(calendar, event, &series[i], rows->tupdesc,
										override_plan, override_args, nulls);
		ical_check_size(events);
	}
	return events;
}
