/*-------------------------------------------------------------------------
 *
 * transitions.c
 *	  maintenance.run_transitions(): the automatic start and completion of
 *	  maintenance windows (doc/scheduling.md "Automatic transitions").
 *
 *	  The sweep claims due rows in batches, in (time, id) order, with
 *	  FOR NO KEY UPDATE SKIP LOCKED through the partial indexes on scheduled
 *	  and in-progress rows: overlapping runs and concurrent writers never
 *	  move the same maintenance twice and never wait on each other, and a run
 *	  with nothing due is one index probe.  The claim also reads what the
 *	  events need (the row and its systems).  A claimed batch is then written
 *	  by one statement in one subtransaction (transitions_write_batch(),
 *	  and store_write_status(), store.c): statuses, timeline entries and
 *	  events of every maintenance in it.  Should anything in it fail, that subtransaction is rolled back
 *	  and each maintenance of the batch goes through
 *	  apply_status_update_locked(), the code path of add_update after its
 *	  lock, in a subtransaction of its own: one failure is logged and counted
 *	  and the others go on, exactly as if each had had its own from the
 *	  start.  The NOTIFYs are sent once the subtransaction that wrote them
 *	  has committed.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"
#include "series.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(maintenance_run_transitions);

/* Rows claimed per query: bounds the memory of a large sweep. */
#define SWEEP_BATCH_SIZE 1000

typedef struct TransitionStep
{
	MaintenanceStatus from;		/* the status of the rows it claims */
	MaintenanceStatus target;
	const char *message;
	const char *failure;		/* the WARNING of a failure, whole */
} TransitionStep;

static const TransitionStep start_step = {
	MAINTENANCE_SCHEDULED,
	MAINTENANCE_IN_PROGRESS,
	"Maintenance started automatically",
	gettext_noop("could not start maintenance \"%s\": %s")
};

static const TransitionStep complete_step = {
	MAINTENANCE_IN_PROGRESS,
	MAINTENANCE_COMPLETED,
	"Maintenance completed automatically",
	gettext_noop("could not complete maintenance \"%s\": %s")
};

typedef struct SweepCounts
{
	int32		started;
	int32		completed;
	int32		failed;
	int32		reminded;
} SweepCounts;

/*
 * Move n maintenances, locked and read by the caller (the transition
 * sweep's claim) and all in a status from which target is allowed, to
 * target, with one statement: the status of each, a timeline entry each
 * (message, no author), and every event, in the order of the rows.  This
 * is apply_status_update_locked() (status_update.c) for many rows at once; the events are
 * left in *events (initialized by the caller) for the caller to NOTIFY
 * once its subtransaction has committed.
 */
static void
transitions_write_batch(const pg_uuid_t *ids, const MaintenanceRow *rows,
						int n, MaintenanceStatus target, const char *message,
						EventBatch *events)
{
	/* the sweep completes, it does not close: "closed" is asked for */
	const char *action = (target == MAINTENANCE_COMPLETED) ? "closed" : "updated";
	int64		changed;

	if (n == 0)
		return;

	for (int i = 0; i < n; i++)
	{
		MaintenanceRow m = rows[i];

		if (!status_change_allowed(m.status, target))
			refuse_status_change(UUIDPGetDatum(&ids[i]), m.status, target);
		m.status = target;
		payload_add_status_change(events, &m, action, true);
	}

	SPI_connect();
	changed = store_write_status(&target, uuid_array(ids, n), message,
								 NULL, events, NULL);
	if (changed != n)
		elog(ERROR, "the transition of %d maintenances changed %d",
			 n, (int) changed);
	SPI_finish();
	/* a new status: the deadline that matters is another one */
	worker_wake_on_commit();
}

/*
 * The writes of a transition: one maintenance (row != NULL, through
 * apply_status_update_locked()) or a whole claimed batch (through
 * transitions_write_batch()).
 */
typedef struct TransitionWrite
{
	const TransitionStep *step;
	const pg_uuid_t *ids;
	const MaintenanceRow *rows;
	int			n;
	bool		one;			/* one maintenance, the first of ids/rows */
	bool		changed;		/* out, for one: its status changed */
} TransitionWrite;

static void
transitions_write(void *arg, EventBatch *events)
{
	TransitionWrite *w = arg;

	if (w->one)
	{
		StatusUpdateResult result = {0};

		apply_status_update_locked(UUIDPGetDatum(&w->ids[0]), &w->rows[0],
								   w->step->message, &w->step->target, NULL, 0,
								   events, &result);
		w->changed = result.changed;
	}
	else
	{
		transitions_write_batch(w->ids, w->rows, w->n, w->step->target,
								w->step->message, events);
		w->changed = true;
	}
}

/*
 * Run write(arg) in a subtransaction of its own: the writes of a
 * transition, of reminders (reminders.c) or of a series' occurrences
 * (series_materialize.c).  Returns NULL when it
 * committed, its events then NOTIFYed; else the error (in the caller's
 * memory context), with the subtransaction rolled back and nothing written
 * or queued.  A cancel (pg_cancel_backend, statement_timeout) is no failure
 * of a maintenance: it is re-thrown and ends the run, as it does any other
 * statement (PL/pgSQL's WHEN OTHERS does not catch it either).
 */
ErrorData *
sweep_write_in_subtransaction(SweepWrite write, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	EventBatch	events;
	ErrorData  *volatile edata = NULL;

	/* in the caller's context, which outlives the subtransaction */
	event_batch_init(&events);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);

	PG_TRY();
	{
		write(arg, &events);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
	}
	PG_END_TRY();

	/*
	 * NOTIFY once the subtransaction has committed (outside the PG_TRY: an
	 * error here is no longer the subtransaction's): the pending
	 * notifications then live in the transaction's own memory, not in a
	 * memory context kept for each subtransaction until the end.
	 */
	if (edata == NULL)
		event_batch_notify(&events);
	return edata;
}

/*
 * Move one claimed maintenance in a subtransaction.  Returns true when its
 * status changed; a failure is reported as a WARNING and rolled back alone.
 */
static bool
transitions_one(const TransitionStep *step, pg_uuid_t *id,
			   const MaintenanceRow *claimed, bool *failed)
{
	TransitionWrite w = {step, id, claimed, 1, true, false};
	ErrorData  *edata = sweep_write_in_subtransaction(transitions_write, &w);

	*failed = (edata != NULL);
	if (edata != NULL)
	{
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg(step->failure,
						DatumGetCString(DirectFunctionCall1(uuid_out,
															UUIDPGetDatum(id))),
						edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
		FreeErrorData(edata);
	}
	return w.changed;
}

/*
 * Move a whole claimed batch at once: one statement in one subtransaction.
 * Returns false, with nothing written or queued, when anything in it failed
 * (a user's trigger, a constraint): the caller then moves the batch one
 * maintenance per subtransaction, so that the failure stays with its
 * maintenance and is said there.
 */
static bool
transitions_batch(const TransitionStep *step, const pg_uuid_t *ids,
				 const MaintenanceRow *rows, int n)
{
	TransitionWrite w = {step, ids, rows, n, false, false};
	ErrorData  *edata = sweep_write_in_subtransaction(transitions_write, &w);

	if (edata != NULL)
		FreeErrorData(edata);
	return edata == NULL;
}

/*
 * Claim and move every maintenance of one step that is due at as_of.
 * Rows are read in (time, id) order after the last one seen, so a row that
 * failed is not claimed again in this run.
 */
static void
transitions_sweep(const TransitionStep *step, TimestampTz as_of, int32 *moved,
				  int32 *failed)
{
	MemoryContext rowcxt;
	MemoryContext batchcxt;
	pg_uuid_t	last_id = {{0}};
	TimestampTz last_time = DT_NOBEGIN;

	batchcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "maintenance sweep batch",
									 ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "maintenance sweep row",
								   ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		pg_uuid_t  *ids;
		MaintenanceRow *rows;
		int			n;
		bool		batch_moved;
		MemoryContext oldcxt;

		CHECK_FOR_INTERRUPTS();
		n = store_claim_due(step->from, as_of, &last_time, &last_id,
							SWEEP_BATCH_SIZE, &ids, &rows, batchcxt);

		/*
		 * All of the batch in one statement; if any of it fails, one
		 * maintenance per subtransaction, which isolates the failure.
		 */
		oldcxt = MemoryContextSwitchTo(rowcxt);
		batch_moved = transitions_batch(step, ids, rows, n);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
		if (batch_moved)
			*moved += n;

		for (int i = 0; i < n && !batch_moved; i++)
		{
			bool		row_failed;

			oldcxt = MemoryContextSwitchTo(rowcxt);
			if (transitions_one(step, &ids[i], &rows[i], &row_failed))
				(*moved)++;
			if (row_failed)
				(*failed)++;
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(rowcxt);
			CHECK_FOR_INTERRUPTS();
		}
		MemoryContextReset(batchcxt);

		if (n < SWEEP_BATCH_SIZE)
			break;
	}

	MemoryContextDelete(rowcxt);
	MemoryContextDelete(batchcxt);
}

/*
 * maintenance.run_transitions(as_of timestamptz DEFAULT NULL,
 *							   OUT started, OUT completed, OUT failed,
 *							   OUT reminded, OUT created)
 *
 * as_of is the moment to sweep for (the current time when null); tests
 * pass a fixed one instead of waiting for time to pass.
 */
Datum
maintenance_run_transitions(PG_FUNCTION_ARGS)
{
	SweepCounts counts = {0, 0, 0, 0};
	TimestampTz as_of;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int			created = 0;

	check_extension_version();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	as_of = PG_ARGISNULL(0) ? GetCurrentTimestamp() : PG_GETARG_TIMESTAMPTZ(0);
	/* "infinity" would complete every maintenance there is */
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"as_of\" must be a finite timestamp")));

	if (RecoveryInProgress())
	{
		/* A standby follows its primary's transitions; nothing to do here. */
		ereport(DEBUG1,
				(errmsg("maintenance.run_transitions() does nothing during recovery")));
	}
	else
	{
		SPI_connect();
		/* series first: an occurrence due now starts in this run */
		created = series_materialize_due(as_of, &counts.failed);
		/* before the starts: a reminder is never sent once its window started */
		reminders_sweep(as_of, &counts.reminded, &counts.failed);
		transitions_sweep(&start_step, as_of, &counts.started, &counts.failed);
		transitions_sweep(&complete_step, as_of, &counts.completed, &counts.failed);
		SPI_finish();

		if (counts.started > 0 || counts.completed > 0 || counts.failed > 0 ||
			counts.reminded > 0)
			ereport(DEBUG1,
					(errmsg("maintenance transitions: %d started, %d completed, %d failed, %d reminded",
							counts.started, counts.completed, counts.failed,
							counts.reminded)));
	}

	values[0] = Int32GetDatum(counts.started);
	values[1] = Int32GetDatum(counts.completed);
	values[2] = Int32GetDatum(counts.failed);
	values[3] = Int32GetDatum(counts.reminded);
	values[4] = Int32GetDatum(created);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
