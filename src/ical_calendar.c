/*-------------------------------------------------------------------------
 *
 * ical_calendar.c
 *	  maintenance.calendar(): the maintenances as an RFC 5545 iCalendar,
 *	  built and serialized by libical; one-off maintenances here, series
 *	  in ical_series.c.
 *
 * libical allocates with malloc and keeps its own error state (icalerrno).
 * Everything it allocates for one call hangs off one IcalHolder, whose
 * memory context reset callback frees it: an ereport anywhere in between
 * (a bad row, an interrupt, out of memory) cannot leak it.
 *
 *-------------------------------------------------------------------------
 */
#include "ical_calendar.h"

#include <stdlib.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(maintenance_calendar);

#define ICAL_PRODID "-//maintenance PostgreSQL extension//maintenance//EN"

/* What libical owns during one call; freed by the reset callback. */
typedef struct IcalHolder
{
	icalcomponent *calendar;	/* the VCALENDAR and, inside it, every VEVENT */
	char	   *text;			/* icalcomponent_as_ical_string_r's result */
} IcalHolder;

static void
ical_holder_free(void *arg)
{
	IcalHolder *holder = (IcalHolder *) arg;

	if (holder->calendar != NULL)
		icalcomponent_free(holder->calendar);
	holder->calendar = NULL;
	free(holder->text);
	holder->text = NULL;
}

/*
 * A NULL from libical is out of memory or an invalid value; icalerrno says
 * which.
 */
void *
ical_check(void *result, const char *what)
{
	if (result == NULL || icalerrno != ICAL_NO_ERROR)
		ereport(ERROR,
				(errcode(icalerrno == ICAL_NEWFAILED_ERROR ?
						 ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR),
				 errmsg("could not build iCalendar element \"%s\"", what),
				 errdetail("libical reported: %s.",
						   icalerror_strerror(icalerrno))));
	return result;
}

void
ical_add(icalcomponent *parent, icalproperty *property, const char *what)
{
	icalcomponent_add_property(parent, ical_check(property, what));
}

/* A property with a local time, in zone (TZID). */
icalproperty *
ical_add_zoned(icalcomponent *parent, icalproperty *property, const char *zone,
			   const char *what)
{
	ical_add(parent, property, what);
	icalproperty_add_parameter(property, ical_check(icalparameter_new_tzid(zone), what));
	return property;
}

/* A UTC DATE-TIME (seconds: iCalendar has no fractions). */
struct icaltimetype
ical_utc_time(TimestampTz ts)
{
	return icaltime_from_timet_with_zone(timestamptz_to_time_t(ts), 0,
										 icaltimezone_get_utc_timezone());
}

static TimestampTz
ical_row_time(HeapTuple row, TupleDesc desc, int col)
{
	bool		isnull;

	return DatumGetTimestampTz(SPI_getbinval(row, desc, col, &isnull));
}

/*
 * One CATEGORIES per system.  libical writes a comma or a semicolon in a
 * category as it is (a list separator), so a system id with a comma reads
 * back as two categories (doc/sla-calendar.md, "The calendar").
 */
static void
ical_add_categories(icalcomponent *event, HeapTuple row, TupleDesc desc)
{
	bool		isnull;
	Datum		ids = SPI_getbinval(row, desc, ICAL_COL_SYSTEM_IDS, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (isnull)
		return;
	deconstruct_array(DatumGetArrayTypeP(ids), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			ical_add(event, icalproperty_new_categories(TextDatumGetCString(elems[i])),
					 "CATEGORIES");
}

/*
 * A VEVENT with its UID and DTSTAMP, added to the calendar (which owns it
 * from here on, so that it is freed with it).
 */
icalcomponent *
ical_new_event(icalcomponent *calendar, const char *uid, HeapTuple row, TupleDesc desc)
{
	icalcomponent *event = ical_check(icalcomponent_new_vevent(), "VEVENT");

	icalcomponent_add_component(calendar, event);
	ical_add(event, icalproperty_new_uid(uid), "UID");
	/* A published calendar (no METHOD): DTSTAMP is the last revision. */
	ical_add(event, icalproperty_new_dtstamp(ical_utc_time(ical_row_time(row, desc,
																		 ICAL_COL_UPDATED_AT))),
			 "DTSTAMP");
	return event;
}

/* DTSTART and DTEND in UTC. */
void
ical_add_window(icalcomponent *event, HeapTuple row, TupleDesc desc)
{
	ical_add(event, icalproperty_new_dtstart(ical_utc_time(ical_row_time(row, desc, ICAL_COL_START_AT))),
			 "DTSTART");
	ical_add(event, icalproperty_new_dtend(ical_utc_time(ical_row_time(row, desc, ICAL_COL_END_AT))),
			 "DTEND");
}

/* SUMMARY, DESCRIPTION, STATUS, SEQUENCE, LAST-MODIFIED and CATEGORIES. */
void
ical_describe_event(icalcomponent *event, HeapTuple row, TupleDesc desc)
{
	char	   *description = SPI_getvalue(row, desc, ICAL_COL_DESCRIPTION);
	char	   *status = SPI_getvalue(row, desc, ICAL_COL_STATUS);
	bool		isnull;

	ical_add(event, icalproperty_new_summary(SPI_getvalue(row, desc, ICAL_COL_TITLE)), "SUMMARY");
	if (description != NULL)
		ical_add(event, icalproperty_new_description(description), "DESCRIPTION");
	ical_add(event, icalproperty_new_status(strcmp(status, "cancelled") == 0 ?
											ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED),
			 "STATUS");
	ical_add(event, icalproperty_new_sequence(DatumGetInt32(SPI_getbinval(row, desc,
																		  ICAL_COL_SCHEDULE_CHANGES,
																		  &isnull))),
			 "SEQUENCE");
	ical_add(event, icalproperty_new_lastmodified(ical_utc_time(ical_row_time(row, desc,
																			  ICAL_COL_UPDATED_AT))),
			 "LAST-MODIFIED");
	ical_add_categories(event, row, desc);
}

/* The VEVENT of a one-off maintenance. */
static void
ical_add_event(icalcomponent *calendar, HeapTuple row, TupleDesc desc)
{
	icalcomponent *event = ical_new_event(calendar, SPI_getvalue(row, desc, ICAL_COL_ID),
										  row, desc);

	ical_add_window(event, row, desc);
	ical_describe_event(event, row, desc);
}

/* Refuses (22023) a calendar of more than calendar_max_maintenances() VEVENTs. */
void
ical_check_size(int64 events)
{
	Datum		arg = Int64GetDatum(events);

	if (SPI_execute_with_args("SELECT maintenance.calendar_check_size($1)",
							  1, (Oid[]) {INT8OID}, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not check the size of the calendar");
}

/* The one-off maintenances, then the series. */
static void
ical_add_events(IcalHolder *holder, Datum *args, const bool *argnulls)
{
	static const Oid argtypes[] = {TEXTARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	char		nulls[3];

	for (int i = 0; i < 3; i++)
		nulls[i] = argnulls[i] ? 'n' : ' ';

	SPI_connect();
	if (SPI_execute_with_args("SELECT r.id, r.title, r.description, r.status, r.start_at,"
							  " r.end_at, r.updated_at, r.schedule_changes, r.system_ids"
							  " FROM maintenance.calendar_rows($1, $2, $3) AS r",
							  3, (Oid *) argtypes, args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the maintenances of the calendar");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ical_add_event(holder->calendar, SPI_tuptable->vals[i], SPI_tuptable->tupdesc);
	}
	ical_add_series(holder->calendar, args, argnulls, (int64) SPI_processed);
	SPI_finish();
}

/*
 * maintenance.calendar(system_ids text[], since timestamptz, until
 * timestamptz) RETURNS text
 */
Datum
maintenance_calendar(PG_FUNCTION_ARGS)
{
	MemoryContext call_context = AllocSetContextCreate(CurrentMemoryContext,
													   "maintenance calendar",
													   ALLOCSET_SMALL_SIZES);
	MemoryContextCallback *callback = MemoryContextAlloc(call_context, sizeof(*callback));
	IcalHolder *holder = MemoryContextAllocZero(call_context, sizeof(*holder));
	Datum		args[3];
	bool		argnulls[3];
	text	   *result;

	callback->func = ical_holder_free;
	callback->arg = holder;
	MemoryContextRegisterResetCallback(call_context, callback);

	for (int i = 0; i < 3; i++)
	{
		argnulls[i] = PG_ARGISNULL(i);
		args[i] = argnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}

	icalerror_set_errors_are_fatal(0);
	icalerror_clear_errno();
	holder->calendar = ical_check(icalcomponent_new_vcalendar(), "VCALENDAR");
	ical_add(holder->calendar, icalproperty_new_prodid(ICAL_PRODID), "PRODID");
	ical_add(holder->calendar, icalproperty_new_version("2.0"), "VERSION");
	ical_add(holder->calendar, icalproperty_new_calscale("GREGORIAN"), "CALSCALE");

	ical_add_events(holder, args, argnulls);

	/* CRLF line ends, folded at 75 octets, text escaped: libical's serializer. */
	holder->text = ical_check(icalcomponent_as_ical_string_r(holder->calendar), "text");
	result = cstring_to_text(holder->text);

	MemoryContextDelete(call_context);	/* frees what libical holds */
	PG_RETURN_TEXT_P(result);
}
