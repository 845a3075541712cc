/*-------------------------------------------------------------------------
 *
 * series_rule.c
 *	  A series' rule, validated, and its expansion into windows in UTC.
 *
 *	  libical (ical_recur.c) yields local start times; the zone is
 *	  PostgreSQL's own time zone database.  Local times follow RFC 5545
 *	  section 3.3.5: one that does not exist (clocks go forward) is read
 *	  with the offset from before the gap, one that occurs twice (clocks go
 *	  back) is the first.  PostgreSQL's own "timestamp AT TIME ZONE" takes
 *	  the second in the overlap, so the choice is made here.  Durations
 *	  follow section 3.3.6: days and weeks are nominal (the same local time
 *	  on a later day), hours, minutes and seconds exact.
 *
 *-------------------------------------------------------------------------
 */
#include "series.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

/* how far from an instant a zone's other offset is looked for */
#define SERIES_OFFSET_PROBE		(25 * USECS_PER_HOUR)
/* SERIES_MAX_YEAR-12-31, as a Timestamp (days from 2000-01-01) */
#define SERIES_MAX_LOCAL \
	((Timestamp) (date2j(SERIES_MAX_YEAR, 12, 31) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY)

/* A required argument (named as write_arg_name() names it). */
void
series_require(bool isnull, const char *name)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not be null", write_arg_name(name))));
}

/*
 * The names of PostgreSQL's time zone database, loaded once per backend:
 * pg_tzset() alone would also accept POSIX zone specifications ("XYZ3"),
 * which are not IANA zones and have no history.
 */
static bool
series_zone_is_known(const char *name)
{
	static HTAB *names = NULL;
	bool		found;

	if (strlen(name) >= TZ_STRLEN_MAX)
		return false;
	if (names == NULL)
	{
		HASHCTL		ctl;
		pg_tzenum  *tzenum;
		pg_tz	   *tz;
		HTAB	   *h;

		ctl.keysize = TZ_STRLEN_MAX + 1;
		ctl.entrysize = TZ_STRLEN_MAX + 1;
		h = hash_create("maintenance time zone names", 1024, &ctl,
						HASH_ELEM | HASH_STRINGS);
		tzenum = pg_tzenumerate_start();
		while ((tz = pg_tzenumerate_next(tzenum)) != NULL)
		{
			CHECK_FOR_INTERRUPTS();
			if (pg_tz_acceptable(tz))
				hash_search(h, pg_get_timezone_name(tz), HASH_ENTER, NULL);
		}
		pg_tzenumerate_end(tzenum);
		hash_search(h, "UTC", HASH_ENTER, NULL);
		names = h;
	}
	hash_search(names, name, HASH_FIND, &found);
	return found;
}

static pg_tz *
series_zone(const char *name)
{
	pg_tz	   *tz = NULL;

	if (series_zone_is_known(name))
		tz = pg_tzset(name);
	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a known time zone",
						write_arg_name("time_zone")),
				 errdetail("The value given is \"%s\".", name),
				 errhint("Use an IANA zone name from pg_timezone_names, such as \"Europe/Berlin\".")));
	return tz;
}

static void
series_check_local(Timestamp local, const char *name)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(local) ||
		timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < SERIES_MIN_YEAR || tm.tm_year > SERIES_MAX_YEAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a local time between the years %d and %d",
						write_arg_name(name),
						SERIES_MIN_YEAR, SERIES_MAX_YEAR)));
	if (fsec != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a local time in whole seconds",
						write_arg_name(name))));
}

static void
series_check_duration(const Interval *d)
{
	const char *name = write_arg_name("duration");

	if (d->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not have months or years", name),
				 errhint("Use weeks, days, hours, minutes and seconds, such as PT2H or P1D.")));
	if (d->day < 0 || d->time < 0 || (d->day == 0 && d->time == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be positive", name)));
	if (d->time % USECS_PER_SEC != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be whole seconds", name)));
	if (d->day + d->time / USECS_PER_DAY > SERIES_MAX_DURATION_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be at most %d days", name,
						SERIES_MAX_DURATION_DAYS)));
}

/* qsort() and bsearch() order of Timestamps */
int
series_timestamp_cmp(const void *a, const void *b)
{
	Timestamp	x = *(const Timestamp *) a;
	Timestamp	y = *(const Timestamp *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static void
series_read_exdates(SeriesRule *s, ArrayType *exdates)
{
	Datum	   *values;
	bool	   *nulls;
	int			n;

	s->nexdates = 0;
	s->exdates = NULL;
	if (exdates == NULL)
		return;
	deconstruct_array(exdates, TIMESTAMPOID, sizeof(Timestamp), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &values, &nulls, &n);
	if (n > SERIES_MAX_EXDATES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" has more than %d elements",
						write_arg_name("exdates"), SERIES_MAX_EXDATES)));
	s->exdates = palloc(sizeof(Timestamp) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		series_require(nulls[i], "exdates");
		series_check_local(DatumGetTimestamp(values[i]), "exdates");
		s->exdates[i] = DatumGetTimestamp(values[i]);
	}
	qsort(s->exdates, n, sizeof(Timestamp), series_timestamp_cmp);
	s->nexdates = n;
}

static bool
series_is_exdate(const SeriesRule *s, Timestamp local)
{
	return s->nexdates > 0 &&
		bsearch(&local, s->exdates, s->nexdates, sizeof(Timestamp),
				series_timestamp_cmp) != NULL;
}

/*
 * Validate and keep a series' rule; every check names its argument.  The
 * rule must yield an occurrence at or after the first start.
 */
void
series_rule_init(SeriesRule *s, const char *rrule, const char *time_zone,
				 Timestamp first_start, const Interval *duration,
				 ArrayType *exdates)
{
	Occurrence	first;

	series_require(rrule == NULL, "rrule");
	series_require(time_zone == NULL, "time_zone");
	series_require(duration == NULL, "duration");
	series_check_local(first_start, "first_start");
	s->rule = recur_parse(rrule, write_arg_name("rrule"));
	s->tz = series_zone(time_zone);
	s->first_start = first_start;
	s->duration = *duration;
	series_check_duration(duration);
	series_read_exdates(s, exdates);

	if (series_expand(s, DT_NOBEGIN, EXPAND_STARTING_AT_OR_AFTER, DT_NOEND, 1, &first) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" has no occurrence at or after the first start",
						write_arg_name("rrule")),
				 errdetail("The rule given is \"%s\".", rrule)));
}

/* The UTC offset (seconds east) of tz at instant t. */
static long
series_offset_at(TimestampTz t, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzwest;

	if (timestamp2tm(t, &tzwest, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return -tzwest;
}

/*
 * The instant of a local time in tz, per RFC 5545 section 3.3.5.  The
 * offsets in force a day before and a day after give the candidates
 * local - offset; a candidate is real when tz has that offset at it.  Two
 * real ones: the overlap, the earlier wins.  None: the gap, read with the
 * offset from before it.  (Zones change offset at most once a day.)
 */
TimestampTz
series_local_to_utc(Timestamp local, pg_tz *tz)
{
	long		before = series_offset_at(local - SERIES_OFFSET_PROBE, tz);
	long		after = series_offset_at(local + SERIES_OFFSET_PROBE, tz);
	TimestampTz by_before = local - before * USECS_PER_SEC;
	TimestampTz by_after = local - after * USECS_PER_SEC;
	bool		before_real = series_offset_at(by_before, tz) == before;
	bool		after_real = series_offset_at(by_after, tz) == after;

	if (before_real && after_real)
		return Min(by_before, by_after);
	if (after_real)
		return by_after;
	return by_before;
}

/* One occurrence's window: nominal days in local time, then exact time. */
static void
series_window(const SeriesRule *s, Timestamp local, Occurrence *o)
{
	o->local_start = local;
	o->start_at = series_local_to_utc(local, s->tz);
	o->end_at = s->duration.day == 0 ? o->start_at :
		series_local_to_utc(local + s->duration.day * USECS_PER_DAY, s->tz);
	o->end_at += s->duration.time;
}

static bool
series_past_until(const RecurUntil *until, const Occurrence *o)
{
	switch (until->kind)
	{
		case RECUR_UNTIL_UTC:
			return o->start_at > until->value;
		case RECUR_UNTIL_LOCAL:
			return o->local_start > until->value;
		case RECUR_UNTIL_NONE:
			break;
	}
	return false;
}

static void
series_too_many_steps(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("recurrence expansion stopped after %d steps", SERIES_MAX_STEPS),
			 errdetail("Occurrences before the requested time are too many to walk through."),
			 errhint("Use a later first start, or a rule without COUNT.")));
}

/*
 * Up to max occurrences (not exdates), in order, that start at or after
 * from (or end after it, by mode) and start before `before` (DT_NOEND: no
 * bound).  Returns how many were written to out.  At most
 * SERIES_MAX_STEPS steps of libical, cancellable between steps.
 */
int
series_expand(const SeriesRule *s, TimestampTz from, ExpandFrom mode,
			  TimestampTz before, int max, Occurrence *out)
{
	/* the local time from which libical may skip: a margin for offsets */
	const int64 margin = 2 * SERIES_OFFSET_PROBE +
		(s->duration.day + 1) * USECS_PER_DAY + s->duration.time;
	const RecurUntil *until = recur_until(s->rule);
	Timestamp	skip_to = s->first_start;
	RecurIter  *ri;
	Timestamp	local;
	int			n = 0;

	if (!TIMESTAMP_NOT_FINITE(from) && from > s->first_start + margin)
		skip_to = Min(from, SERIES_MAX_LOCAL) - margin;
	ri = recur_begin(s->rule, s->first_start, skip_to);
	if (ri == NULL)
		return 0;
	for (int step = 0; n < max; step++)
	{
		Occurrence o;

		CHECK_FOR_INTERRUPTS();
		if (step >= SERIES_MAX_STEPS)
			series_too_many_steps();
		if (!recur_next(ri, &local))
			break;
		if (local < s->first_start || series_is_exdate(s, local))
			continue;
		series_window(s, local, &o);
		if (series_past_until(until, &o) || o.start_at >= before)
			break;
		if (mode == EXPAND_STARTING_AT_OR_AFTER ? o.start_at < from : o.end_at <= from)
			continue;
		out[n++] = o;
	}
	recur_end(ri);
	return n;
}
