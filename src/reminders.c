/*-------------------------------------------------------------------------
 *
 * reminders.c
 *	  Reminders before a maintenance window starts (doc/scheduling.md "Reminders"):
 *	  the leads of a maintenance (checked here), their words and ISO 8601
 *	  form, and the sweep of run_transitions() that sends the due ones.
 *
 *	  What is due lives in maintenance.maintenance_reminders, one row per
 *	  maintenance, start and lead, armed by triggers on maintenances
 *	  (sql/src/03_reminders.sql) when the moment is still ahead.  The sweep
 *	  forgets the due rows that can no longer be sent (cancelled, started,
 *	  starting now), then claims the others in batches with SKIP LOCKED and
 *	  writes each batch with one statement in a subtransaction: the rows
 *	  marked sent, and one notification per system.  The row and its events
 *	  commit together, so a reminder is sent once: a second run skips it or
 *	  finds it sent, a crash before the commit leaves it to be sent by the
 *	  next run.  As in transitions.c, a batch that fails is written again
 *	  one reminder per subtransaction; a reminder that fails is logged,
 *	  counted and skipped.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(maintenance_duration_iso);

/* Reminders claimed per query: bounds the memory of a large sweep. */
#define REMINDERS_BATCH_SIZE	1000

/* The longest lead (doc/scheduling.md "Reminders"). */
#define REMINDERS_MAX_DAYS		366

/* ----------------------------------------------------------------------
 * Leads
 * ---------------------------------------------------------------------- */

/*
 * A lead in whole minutes, days counted as 24 hours; -1 when it has
 * months, a negative part, or seconds.
 */
static int64
reminders_lead_minutes(const Interval *lead)
{
	if (lead->month != 0 || lead->day < 0 || lead->time < 0 ||
		lead->time % USECS_PER_MINUTE != 0)
		return -1;
	return (int64) lead->day * MINS_PER_HOUR * HOURS_PER_DAY +
		lead->time / USECS_PER_MINUTE;
}

static char *reminders_lead_words(const Interval *lead);

static char *
reminders_interval_text(const Interval *lead)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum(lead)));
}

/*
 * The leads given to create_maintenance or update_maintenance: at most
 * MAX_REMINDERS, each of whole minutes from 1 minute to 366 days, none
 * null, none twice (1 day and 24 hours are the same lead).  Returns them
 * as given, or raises 22023 naming the argument.
 */
Datum
reminders_checked(ArrayType *reminders)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *minutes;
	int			n;

	if (ARR_NDIM(reminders) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" must be a one-dimensional array", write_arg_name("reminders"))));
	deconstruct_array(reminders, INTERVALOID, sizeof(Interval), false,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	limit_check_reminders(n);
	minutes = palloc(sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		const Interval *lead;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must not contain null", write_arg_name("reminders"))));
		lead = DatumGetIntervalP(elems[i]);
		minutes[i] = reminders_lead_minutes(lead);
		if (minutes[i] < 1 ||
			minutes[i] > (int64) REMINDERS_MAX_DAYS * MINS_PER_HOUR * HOURS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" must hold leads of whole minutes from 1 minute to %d days",
							write_arg_name("reminders"), REMINDERS_MAX_DAYS),
					 errdetail("Element %d is %s.", i + 1, reminders_interval_text(lead))));
		for (int j = 0; j < i; j++)
			if (minutes[j] == minutes[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("\"%s\" must not hold the same lead twice",
								write_arg_name("reminders")),
						 errdetail("Elements %d and %d are both %s.", j + 1, i + 1,
								   reminders_lead_words(lead))));
	}
	return PointerGetDatum(reminders);
}

/* "1 day", "2 hours", "1 hour 30 minutes": days, hours, minutes when not 0 */
static void
reminders_append_unit(StringInfo buf, int64 count, const char *unit)
{
	if (count == 0)
		return;
	appendStringInfo(buf, "%s" INT64_FORMAT " %s%s", buf->len > 0 ? " " : "",
					 count, unit, count == 1 ? "" : "s");
}

static char *
reminders_lead_words(const Interval *lead)
{
	int64		minutes = reminders_lead_minutes(lead);
	StringInfoData buf;

	initStringInfo(&buf);
	reminders_append_unit(&buf, minutes / (MINS_PER_HOUR * HOURS_PER_DAY), "day");
	reminders_append_unit(&buf, minutes / MINS_PER_HOUR % HOURS_PER_DAY, "hour");
	reminders_append_unit(&buf, minutes % MINS_PER_HOUR, "minute");
	return buf.data;
}

/*
 * An interval of days and time as RFC 5545 writes a duration (section
 * 3.3.6): whole weeks alone as weeks (P1W), else days and a time of hours,
 * minutes and seconds, each when not zero (P1DT12H, PT1H30M, PT0S).  Days
 * and time stay apart, as they are in the interval (PT36H is not P1DT12H).
 */
char *
reminders_duration_iso(const Interval *d)
{
	int64		secs = d->time / USECS_PER_SEC;
	StringInfoData buf;

	if (d->month != 0 || d->day < 0 || d->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("interval %s has no RFC 5545 duration form",
						reminders_interval_text(d)),
				 errdetail("A duration has no months or years, and no negative part.")));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, 'P');
	if (secs == 0 && d->day > 0 && d->day % 7 == 0)
	{
		appendStringInfo(&buf, "%dW", d->day / 7);
		return buf.data;
	}
	if (d->day > 0)
		appendStringInfo(&buf, "%dD", d->day);
	if (secs > 0 || d->day == 0)
	{
		appendStringInfoChar(&buf, 'T');
		if (secs / SECS_PER_HOUR > 0)
			appendStringInfo(&buf, INT64_FORMAT "H", secs / SECS_PER_HOUR);
		if (secs / SECS_PER_MINUTE % MINS_PER_HOUR > 0)
			appendStringInfo(&buf, INT64_FORMAT "M", secs / SECS_PER_MINUTE % MINS_PER_HOUR);
		if (secs % SECS_PER_MINUTE > 0 || secs == 0)
			appendStringInfo(&buf, INT64_FORMAT "S", secs % SECS_PER_MINUTE);
	}
	return buf.data;
}

/* maintenance.duration_iso(interval) RETURNS text */
Datum
maintenance_duration_iso(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(reminders_duration_iso(PG_GETARG_INTERVAL_P(0))));
}

/* ----------------------------------------------------------------------
 * The sweep
 * ---------------------------------------------------------------------- */

/* The writes of n claimed reminders, in a subtransaction (transitions.c). */
typedef struct ReminderWrite
{
	const DueReminder *due;
	int			n;
} ReminderWrite;

static void
reminders_write(void *arg, EventBatch *events)
{
	ReminderWrite *w = arg;
	int64		marked;

	for (int i = 0; i < w->n; i++)
		payload_add_reminders(events, &w->due[i].m,
							  reminders_lead_words(&w->due[i].remind_before),
							  reminders_duration_iso(&w->due[i].remind_before));
	SPI_connect();
	marked = store_mark_reminders_sent(w->due, w->n, events);
	if (marked != w->n)
		elog(ERROR, "sending %d reminders recorded %d", w->n, (int) marked);
	SPI_finish();
}

/* Send one claimed reminder in a subtransaction; false when it failed. */
static bool
reminders_one(const DueReminder *due)
{
	ReminderWrite w = {due, 1};
	ErrorData  *edata = sweep_write_in_subtransaction(reminders_write, &w);

	if (edata == NULL)
		return true;
	ereport(WARNING,
			(errcode(edata->sqlerrcode),
			 errmsg("could not send the reminder %s before maintenance \"%s\": %s",
					reminders_duration_iso(&due->remind_before), due->m.id,
					edata->message),
			 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
	FreeErrorData(edata);
	return false;
}

/*
 * Send every reminder due at as_of.  The caller is connected to SPI.
 * Reminders are claimed in (moment, maintenance, lead) order after the
 * last one seen, so one that failed is not claimed again in this run.
 */
void
reminders_sweep(TimestampTz as_of, int32 *reminded, int32 *failed)
{
	MemoryContext batchcxt;
	MemoryContext rowcxt;
	DueReminder last;

	memset(&last, 0, sizeof(last));
	last.remind_at = DT_NOBEGIN;

	store_drop_stale_reminders(as_of);

	batchcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "maintenance reminders batch",
									 ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "maintenance reminders row",
								   ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		DueReminder *due;
		ReminderWrite w;
		ErrorData  *edata;
		MemoryContext oldcxt;
		int			n;

		n = store_claim_reminders(as_of, &last, REMINDERS_BATCH_SIZE, &due, batchcxt);
		if (n == 0)
			break;

		oldcxt = MemoryContextSwitchTo(rowcxt);
		w.due = due;
		w.n = n;
		edata = sweep_write_in_subtransaction(reminders_write, &w);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
		if (edata == NULL)
			*reminded += n;
		else
		{
			FreeErrorData(edata);
			/* one per subtransaction, which isolates the failure */
			for (int i = 0; i < n; i++)
			{
				oldcxt = MemoryContextSwitchTo(rowcxt);
				if (reminders_one(&due[i]))
					(*reminded)++;
				else
					(*failed)++;
				MemoryContextSwitchTo(oldcxt);
				MemoryContextReset(rowcxt);
				CHECK_FOR_INTERRUPTS();
			}
		}
		MemoryContextReset(batchcxt);
		if (n < REMINDERS_BATCH_SIZE)
			break;
	}
	MemoryContextDelete(rowcxt);
	MemoryContextDelete(batchcxt);
}
