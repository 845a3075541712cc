/*-------------------------------------------------------------------------
 *
 * ical_recur.c
 *	  libical's recurrence rules: parse an RFC 5545 RRULE and iterate its
 *	  local start times (the calendar, ical_calendar.c, builds iCalendar
 *	  text with libical too).
 *
 *	  libical allocates with malloc and reports errors through icalerrno.
 *	  Every libical call for rules is made here (the calendar's are in
 *	  ical_calendar.c, ical_series.c and ical_timezone.c, under the same
 *	  rules), between icalerror_clear_errno() and a look at icalerrno, and nothing that can ereport runs while libical
 *	  holds memory that is not yet tied to a memory context: the iterator is
 *	  freed by a reset callback of the context it was created in, so an
 *	  error (or a cancel) anywhere later frees it too.
 *
 *	  Iteration is in floating local time (no libical zone data): the
 *	  conversion to UTC is PostgreSQL's, in series_rule.c.
 *
 *-------------------------------------------------------------------------
 */
#include "ical_calendar.h"

#include "utils/datetime.h"
#include "utils/memutils.h"

struct RecurRule
{
	struct icalrecurrencetype recur;	/* no rscale, no until: see below */
	bool		has_count;
	RecurUntil	until;
};

struct RecurIter
{
	icalrecur_iterator *it;		/* NULL once freed */
	MemoryContextCallback cb;
};

/* libical's own error handling must never abort(): it reports, we decide */
static void
recur_init_library(void)
{
	static bool done = false;

	if (!done)
	{
		icalerror_set_errors_are_fatal(0);
		done = true;
	}
}

static Timestamp recur_timestamp(struct icaltimetype t);

/*
 * UNTIL bounds the occurrences' instants (UTC, as RFC 5545 wants it beside
 * a DTSTART with a zone) or, written without Z, their local starts (a date:
 * the whole day).  libical would compare it with our floating local times
 * as if they were UTC, so the bound is taken out of the rule and applied
 * by the caller.
 */
static void
recur_take_until(struct icalrecurrencetype *recur, RecurUntil *until)
{
	struct icaltimetype t = recur->until;

	until->kind = RECUR_UNTIL_NONE;
	if (icaltime_is_null_time(t))
		return;
	if (t.is_date)
	{
		t.is_date = 0;
		t.hour = 23;
		t.minute = 59;
		t.second = 59;
	}
	until->kind = icaltime_is_utc(recur->until) ? RECUR_UNTIL_UTC : RECUR_UNTIL_LOCAL;
	t.zone = NULL;
	until->value = recur_timestamp(t);
	recur->until = icaltime_null_time();
}

/*
 * Parse rrule (with or without the "RRULE:" prefix).  Refuses what libical
 * cannot parse and what a maintenance window has no use for (see
 * doc/scheduling.md, "Recurring windows"): frequencies under an hour, RSCALE,
 * BYWEEKNO (libical 3.0 gets it wrong: a Tuesday for BYWEEKNO=1;BYDAY=MO),
 * and an hourly rule with day filters, whose impossible forms (BYMONTH=2;
 * BYMONTHDAY=30) libical would search for seconds without a way to cancel.
 */
RecurRule *
recur_parse(const char *rrule, const char *field)
{
	RecurRule  *r = palloc0(sizeof(RecurRule));
	const char *text = rrule;
	struct icalrecurrencetype recur;
	icalerrorenum err;
	bool		has_rscale;

	recur_init_library();
	if (pg_strncasecmp(text, "RRULE:", 6) == 0)
		text += 6;
	if (strlen(text) > RECUR_MAX_RULE_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is too long", field),
				 errdetail("A recurrence rule has at most %d characters.",
						   RECUR_MAX_RULE_LENGTH)));

	icalerror_clear_errno();
	recur = icalrecurrencetype_from_string(text);
	err = icalerrno;
	icalerror_clear_errno();
	has_rscale = recur.rscale != NULL;
	free(recur.rscale);			/* before any ereport */
	recur.rscale = NULL;

	if (err != ICAL_NO_ERROR || recur.freq == ICAL_NO_RECURRENCE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a valid RFC 5545 recurrence rule", field),
				 errdetail("The value given is \"%s\".", rrule),
				 errhint("Use a rule such as \"FREQ=WEEKLY;BYDAY=SU\".")));
	if (has_rscale)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not use RSCALE", field),
				 errdetail("Only the Gregorian calendar is supported.")));
	if (recur.freq == ICAL_SECONDLY_RECURRENCE || recur.freq == ICAL_MINUTELY_RECURRENCE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not recur more often than hourly", field),
				 errdetail("The frequency given is %s.",
						   recur.freq == ICAL_SECONDLY_RECURRENCE ? "SECONDLY" : "MINUTELY")));
	if (recur.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not use BYWEEKNO", field),
				 errdetail("The version of libical in use yields wrong dates for BYWEEKNO."),
				 errhint("Use BYMONTH with BYDAY or BYMONTHDAY instead.")));
	if (recur.freq == ICAL_HOURLY_RECURRENCE &&
		(recur.by_month[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		 recur.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		 recur.by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
		 recur.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must not combine FREQ=HOURLY with BYMONTH, BYMONTHDAY, BYYEARDAY or BYWEEKNO", field),
				 errhint("Use FREQ=DAILY with BYHOUR instead.")));

	r->has_count = recur.count > 0;
	recur_take_until(&recur, &r->until);
	r->recur = recur;
	return r;
}

/*
 * The rule as libical holds it, for an RRULE property: without UNTIL,
 * which the caller writes back from recur_until() as it needs it.
 */
struct icalrecurrencetype
recur_icalrecurrence(const RecurRule *rule)
{
	return rule->recur;
}

bool
recur_has_count(const RecurRule *rule)
{
	return rule->has_count;
}

const RecurUntil *
recur_until(const RecurRule *rule)
{
	return &rule->until;
}

/* A local (floating) DATE-TIME. */
struct icaltimetype
recur_ical_time(Timestamp local)
{
	struct icaltimetype t = icaltime_null_time();
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	t.year = tm.tm_year;
	t.month = tm.tm_mon;
	t.day = tm.tm_mday;
	t.hour = tm.tm_hour;
	t.minute = tm.tm_min;
	t.second = tm.tm_sec;
	return t;
}

static Timestamp
recur_timestamp(struct icaltimetype t)
{
	struct pg_tm tm;
	Timestamp	result;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = t.year;
	tm.tm_mon = t.month;
	tm.tm_mday = t.day;
	tm.tm_hour = t.hour;
	tm.tm_min = t.minute;
	tm.tm_sec = t.second;
	if (tm2timestamp(&tm, 0, NULL, &result) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

static void
recur_free_iterator(void *arg)
{
	RecurIter  *ri = (RecurIter *) arg;

	if (ri->it != NULL)
		icalrecur_iterator_free(ri->it);
	ri->it = NULL;
}

/*
 * An iterator over the local starts of rule from dtstart on, in the current
 * memory context (freed with it).  When skip_to is after dtstart and the
 * rule has no COUNT (which counts from dtstart), libical jumps there
 * instead of walking every earlier occurrence.  NULL when libical finds
 * that the rule can never occur.
 */
RecurIter *
recur_begin(const RecurRule *rule, Timestamp dtstart, Timestamp skip_to)
{
	struct icaltimetype start = recur_ical_time(dtstart);
	struct icaltimetype skip = recur_ical_time(Max(skip_to, dtstart));
	RecurIter  *ri = palloc0(sizeof(RecurIter));
	icalrecur_iterator *it;
	bool		skip_failed = false;

	ri->cb.func = recur_free_iterator;
	ri->cb.arg = ri;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &ri->cb);

	icalerror_clear_errno();
	it = icalrecur_iterator_new(rule->recur, start);
	ri->it = it;
	if (it != NULL && skip_to > dtstart && !rule->has_count)
		skip_failed = icalrecur_iterator_set_start(it, skip) == 0;
	icalerror_clear_errno();
	if (it == NULL)
		return NULL;
	if (skip_failed)
		elog(ERROR, "libical could not move a recurrence iterator forward");
	return ri;
}

/* The next local start, or false when the rule has no more. */
bool
recur_next(RecurIter *ri, Timestamp *local)
{
	struct icaltimetype t;

	Assert(ri->it != NULL);
	icalerror_clear_errno();
	t = icalrecur_iterator_next(ri->it);
	icalerror_clear_errno();
	if (icaltime_is_null_time(t))
		return false;
	*local = recur_timestamp(t);
	return true;
}

/* Free the iterator now (its context's reset would do it later). */
void
recur_end(RecurIter *ri)
{
	recur_free_iterator(ri);
}
