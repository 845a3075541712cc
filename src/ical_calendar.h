/*-------------------------------------------------------------------------
 *
 * ical_calendar.h
 *	  maintenance.calendar(): what its files share.  ical_calendar.c owns
 *	  the libical tree of one call (freed by a memory context reset
 *	  callback); ical_series.c adds the series and their overrides,
 *	  ical_timezone.c their VTIMEZONEs.  Every component they create is
 *	  added to that tree before anything can ereport.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ICAL_CALENDAR_H
#define ICAL_CALENDAR_H

#include "series.h"

#include <libical/ical.h>

#include "executor/spi.h"

/*
 * The first columns of maintenance.calendar_rows(), calendar_series_rows()
 * and calendar_override_rows(), in their order.
 */
enum
{
	ICAL_COL_ID = 1,
	ICAL_COL_TITLE,
	ICAL_COL_DESCRIPTION,
	ICAL_COL_STATUS,
	ICAL_COL_START_AT,
	ICAL_COL_END_AT,
	ICAL_COL_UPDATED_AT,
	ICAL_COL_SCHEDULE_CHANGES,
	ICAL_COL_SYSTEM_IDS,
	ICAL_COL_SHARED_END
};

/* ical_calendar.c */
extern void *ical_check(void *result, const char *what);
extern void ical_add(icalcomponent *parent, icalproperty *property, const char *what);
extern icalproperty *ical_add_zoned(icalcomponent *parent, icalproperty *property,
									const char *zone, const char *what);
extern struct icaltimetype ical_utc_time(TimestampTz ts);
extern icalcomponent *ical_new_event(icalcomponent *calendar, const char *uid,
									 HeapTuple row, TupleDesc desc);
extern void ical_describe_event(icalcomponent *event, HeapTuple row, TupleDesc desc);
extern void ical_add_window(icalcomponent *event, HeapTuple row, TupleDesc desc);
extern void ical_check_size(int64 events);

/* ical_series.c */
extern int64 ical_add_series(icalcomponent *calendar, Datum *args, const bool *argnulls,
							 int64 events);

/* ical_timezone.c */
extern void ical_add_vtimezone(icalcomponent *calendar, const char *zone, pg_tz *tz,
							   TimestampTz from, TimestampTz until);

/* ical_recur.c */
extern struct icalrecurrencetype recur_icalrecurrence(const RecurRule *rule);
extern struct icaltimetype recur_ical_time(Timestamp local);

#endif							/* ICAL_CALENDAR_H */
