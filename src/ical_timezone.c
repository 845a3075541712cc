/*-------------------------------------------------------------------------
 *
 * ical_timezone.c
 *	  The VTIMEZONE of a series' zone, from PostgreSQL's own time zone
 *	  database: the zone whose offsets the occurrences were computed with
 *	  (series_rule.c), so that a client expanding the series gets the same
 *	  instants.  libical's builtin zones would be another copy of the data,
 *	  of another date, and summarized in rules that need not agree with it.
 *
 *	  Every change of offset, abbreviation or DST between two instants is
 *	  listed: one STANDARD or DAYLIGHT per kind of change (its offsets and
 *	  name), its first change in DTSTART and the later ones in RDATE (local
 *	  times before the change, as RFC 5545 section 3.6.5 wants them).
 *	  After the last one listed, a client keeps the last offset (README,
 *	  "The calendar").
 *
 *-------------------------------------------------------------------------
 */
#include "ical_calendar.h"

#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/timestamp.h"

/* One STANDARD or DAYLIGHT: a kind of change of the zone. */
typedef struct IcalObservance
{
	bool		is_dst;
	long		offset_from;	/* seconds east of UTC */
	long		offset_to;
	char		name[TZ_STRLEN_MAX + 1];
	icalcomponent *component;	/* owned by the VTIMEZONE */
} IcalObservance;

/* A local time (offset seconds east of UTC) of an instant, floating. */
static struct icaltimetype
ical_tz_local(pg_time_t t, long offset)
{
	return recur_ical_time((Timestamp) time_t_to_timestamptz(t + offset));
}

static IcalObservance *
ical_tz_find(List *observances, bool is_dst, long from, long to, const char *name)
{
	ListCell   *lc;

	foreach(lc, observances)
	{
		IcalObservance *o = lfirst(lc);

		if (o->is_dst == is_dst && o->offset_from == from && o->offset_to == to &&
			strcmp(o->name, name) == 0)
			return o;
	}
	return NULL;
}

/*
 * The change at instant t from offset `from` to `to`: a DTSTART of a new
 * observance, or an RDATE of the one of the same kind.
 */
static List *
ical_tz_change(icalcomponent *vtimezone, List *observances, pg_time_t t,
			   long from, long to, bool is_dst, const char *name)
{
	IcalObservance *o = ical_tz_find(observances, is_dst, from, to, name);
	struct icaltimetype local = ical_tz_local(t, from);
	struct icaldatetimeperiodtype rdate;

	if (o != NULL)
	{
		rdate.time = local;
		rdate.period = icalperiodtype_null_period();
		ical_add(o->component, icalproperty_new_rdate(rdate), "RDATE");
		return observances;
	}
	o = palloc0(sizeof(IcalObservance));
	o->is_dst = is_dst;
	o->offset_from = from;
	o->offset_to = to;
	strlcpy(o->name, name, sizeof(o->name));
	o->component = ical_check(is_dst ? icalcomponent_new_xdaylight() : icalcomponent_new_xstandard(),
							  "VTIMEZONE");
	icalcomponent_add_component(vtimezone, o->component);
	ical_add(o->component, icalproperty_new_dtstart(local), "DTSTART");
	ical_add(o->component, icalproperty_new_tzoffsetfrom((int) from), "TZOFFSETFROM");
	ical_add(o->component, icalproperty_new_tzoffsetto((int) to), "TZOFFSETTO");
	if (name[0] != '\0')
		ical_add(o->component, icalproperty_new_tzname(name), "TZNAME");
	return lappend(observances, o);
}

static const char *
ical_tz_name_at(pg_time_t t, pg_tz *tz)
{
	struct pg_tm *tm = pg_localtime(&t, tz);

	return tm != NULL && tm->tm_zone != NULL ? tm->tm_zone : "";
}

/*
 * The VTIMEZONE of zone: its offset at `from`, then every change before
 * `until`.
 */
void
ical_add_vtimezone(icalcomponent *calendar, const char *zone, pg_tz *tz,
				   TimestampTz from, TimestampTz until)
{
	icalcomponent *vtimezone = ical_check(icalcomponent_new_vtimezone(), "VTIMEZONE");
	pg_time_t	t = timestamptz_to_time_t(from);
	pg_time_t	end = timestamptz_to_time_t(until);
	struct pg_tm *tm = pg_localtime(&t, tz);
	List	   *observances = NIL;

	icalcomponent_add_component(calendar, vtimezone);
	ical_add(vtimezone, icalproperty_new_tzid(zone), "TZID");
	if (tm == NULL)
		elog(ERROR, "could not read the offset of time zone \"%s\"", zone);
	observances = ical_tz_change(vtimezone, observances, t, tm->tm_gmtoff, tm->tm_gmtoff,
								 tm->tm_isdst > 0, ical_tz_name_at(t, tz));
	for (;;)
	{
		long		before_offset;
		long		after_offset;
		int			before_dst;
		int			after_dst;
		pg_time_t	boundary;

		CHECK_FOR_INTERRUPTS();
		if (pg_next_dst_boundary(&t, &before_offset, &before_dst, &boundary,
								 &after_offset, &after_dst, tz) != 1 ||
			boundary <= t || boundary >= end)
			break;
		observances = ical_tz_change(vtimezone, observances, boundary, before_offset,
									 after_offset, after_dst > 0,
									 ical_tz_name_at(boundary, tz));
		t = boundary;
	}
}
