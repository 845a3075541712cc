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
 *	  listed, each as a STANDARD or DAYLIGHT of its own whose DTSTART is the
 *	  local time before the change (RFC 5545 section 3.6.5).  No RRULE: the
 *	  zone's history is not a rule.  No RDATE: ical.js, for one, leaves out
 *	  the DTSTART of an observance that has RDATEs.  After the last change
 *	  listed, a client keeps the last offset (doc/sla-calendar.md, "The calendar").
 *
 *-------------------------------------------------------------------------
 */
#include "ical_calendar.h"

#include "miscadmin.h"
#include "utils/timestamp.h"

/* A local time (offset seconds east of UTC) of an instant, floating. */
static struct icaltimetype
ical_tz_local(pg_time_t t, long offset)
{
	return recur_ical_time((Timestamp) time_t_to_timestamptz(t + offset));
}

/* The change at instant t from offset `from` to `to`: a STANDARD or DAYLIGHT. */
static void
ical_tz_change(icalcomponent *vtimezone, pg_time_t t, long from, long to, bool is_dst,
			   const char *name)
{
	icalcomponent *observance = ical_check(is_dst ? icalcomponent_new_xdaylight() :
										   icalcomponent_new_xstandard(),
										   "VTIMEZONE");

	icalcomponent_add_component(vtimezone, observance);
	ical_add(observance, icalproperty_new_dtstart(ical_tz_local(t, from)), "DTSTART");
	ical_add(observance, icalproperty_new_tzoffsetfrom((int) from), "TZOFFSETFROM");
	ical_add(observance, icalproperty_new_tzoffsetto((int) to), "TZOFFSETTO");
	if (name[0] != '\0')
		ical_add(observance, icalproperty_new_tzname(name), "TZNAME");
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

	icalcomponent_add_component(calendar, vtimezone);
	ical_add(vtimezone, icalproperty_new_tzid(zone), "TZID");
	if (tm == NULL)
		elog(ERROR, "could not read the offset of time zone \"%s\"", zone);
	ical_tz_change(vtimezone, t, tm->tm_gmtoff, tm->tm_gmtoff, tm->tm_isdst > 0,
				   ical_tz_name_at(t, tz));
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
		ical_tz_change(vtimezone, boundary, before_offset, after_offset, after_dst > 0,
					   ical_tz_name_at(boundary, tz));
		t = boundary;
	}
}
