/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The per-database background worker, started by the launcher
 *	  (launcher.c): maintenance windows start and end on the second instead
 *	  of at pg_cron's next minute.
 *
 *	  A worker loops: in one transaction, maintenance.run_transitions() for
 *	  the current time (its claiming with SKIP LOCKED makes it safe beside
 *	  the pg_cron job and manual runs), then store_next_deadline(), index
 *	  probes for the next start_at or end_at still ahead; it commits and sleeps on its
 *	  latch until then (at most WORKER_MAX_SLEEP_MS).  A write that moves the
 *	  next deadline sets the latch at its commit (worker_shared.c).
 *
 *	  Where the extension is not installed, or installed at another version
 *	  than this library's (before ALTER EXTENSION UPDATE), the worker says
 *	  so once and waits; CREATE and ALTER EXTENSION wake it.
 *
 *	  Every wait ends on the latch, which a ProcSignalBarrier sets too, and
 *	  is followed by CHECK_FOR_INTERRUPTS(), which absorbs it and ends the
 *	  worker on SIGTERM (die()).
 *
 *-------------------------------------------------------------------------
 */
#include "worker_shared.h"
#include "series.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/* The first retry when due maintenances were left (locked, or failed). */
#define WORKER_RETRY_MIN_MS		1000

#define WORKER_TRANSITIONS_SQL \
	"SELECT started, completed, failed FROM maintenance.run_transitions($1)"

/* What the worker found in its database at its last round. */
typedef enum WorkerState
{
	WORKER_STARTING,
	WORKER_RUNS,				/* the extension, at this library's version */
	WORKER_NO_EXTENSION,
	WORKER_OTHER_VERSION
} WorkerState;

/* before_shmem_exit: free the slot, and let the launcher know. */
static void
worker_release_slot(int code, Datum arg)
{
	WorkerSlot *slot = &worker_shared->slots[DatumGetInt32(arg)];
	TimestampTz exit_time = GetCurrentTimestamp();
	int			launcher;

	SpinLockAcquire(&worker_shared->mutex);
	slot->state = SLOT_FREE;
	slot->pgprocno = -1;
	/* a clean stop (database no longer listed) needs no restart delay */
	slot->exited_at = (code == 0) ? 0 : exit_time;
	launcher = worker_shared->launcher_pgprocno;
	SpinLockRelease(&worker_shared->mutex);

	worker_set_latch(launcher);
}

/*
 * What this database has (in the round's transaction); logs a change of
 * state, so that each is said once.
 */
static WorkerState
worker_find_state(const char *dbname, WorkerState previous)
{
	const char *version = extension_installed_version();
	WorkerState state;

	if (version == NULL)
		state = WORKER_NO_EXTENSION;
	else if (strcmp(version, MAINTENANCE_VERSION) != 0)
		state = WORKER_OTHER_VERSION;
	else
		state = WORKER_RUNS;

	if (state == previous)
		return state;
	if (state == WORKER_NO_EXTENSION)
		ereport(LOG,
				(errmsg("extension \"maintenance\" is not installed in database \"%s\"; the maintenance worker waits for it",
						dbname)));
	else if (state == WORKER_OTHER_VERSION)
		ereport(LOG,
				(errmsg("extension \"maintenance\" in database \"%s\" is at version %s, but its library is at version %s; the maintenance worker waits for the update",
						dbname, version, MAINTENANCE_VERSION),
				 errhint("Run ALTER EXTENSION maintenance UPDATE.")));
	else if (previous != WORKER_STARTING)
		ereport(LOG,
				(errmsg("extension \"maintenance\" is now installed in database \"%s\"; the maintenance worker runs its transitions",
						dbname)));
	return state;
}

/*
 * Run the transitions due at as_of and find the next deadline after it:
 * lowers *next to it, and to the next retry when due maintenances were
 * left behind.
 */
static void
worker_run_transitions(TimestampTz as_of, TimestampTz *next, long *retry_ms)
{
	static const Oid argtypes[] = {TIMESTAMPTZOID};
	Datum		arg = TimestampTzGetDatum(as_of);
	bool		left_due;

	debug_query_string = WORKER_TRANSITIONS_SQL;
	pgstat_report_activity(STATE_RUNNING, WORKER_TRANSITIONS_SQL);
	if (SPI_execute_with_args(WORKER_TRANSITIONS_SQL, 1, (Oid *) argtypes, &arg,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run maintenance.run_transitions()");

	/* a new snapshot, which sees the transitions */
	debug_query_string = "maintenance worker: next deadline";
	pgstat_report_activity(STATE_RUNNING, debug_query_string);
	left_due = store_next_deadline(as_of, next);
	/* and for the next materialization of a series */
	*next = Min(*next, series_next_materialization(as_of));

	/*
	 * Due maintenances left behind were locked (by a concurrent run or
	 * writer, whose commit wakes us) or failed (a WARNING said why): try
	 * again after a delay that doubles up to the longest sleep.
	 */
	if (left_due)
	{
		TimestampTz retry = TimestampTzPlusMilliseconds(as_of, *retry_ms);

		if (retry < *next)
			*next = retry;
		*retry_ms = Min(*retry_ms * 2, WORKER_MAX_SLEEP_MS);
	}
	else
		*retry_ms = WORKER_RETRY_MIN_MS;
}

/*
 * One round: run the transitions due now and find the next deadline.
 * Returns how long to sleep, in milliseconds.
 */
static long
worker_round(const char *dbname, WorkerState *state, long *retry_ms)
{
	TimestampTz as_of = GetCurrentTimestamp();
	TimestampTz next = TimestampTzPlusMilliseconds(as_of, WORKER_MAX_SLEEP_MS);
	long		secs;
	int			usecs;
	long		sleep_ms;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	*state = worker_find_state(dbname, *state);
	if (*state == WORKER_RUNS)
		worker_run_transitions(as_of, &next, retry_ms);

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	debug_query_string = NULL;
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);

	/* rounded up: never wake before the deadline */
	TimestampDifference(GetCurrentTimestamp(), next, &secs, &usecs);
	sleep_ms = secs * 1000 + (usecs + 999) / 1000;
	return Min(sleep_ms, WORKER_MAX_SLEEP_MS);
}

/* Take the slot the launcher reserved; its database, or InvalidOid. */
static Oid
worker_take_slot(int slotno)
{
	WorkerSlot *slot;
	Oid			dboid = InvalidOid;

	if (worker_shared == NULL || slotno < 0 || slotno >= worker_shared->nslots)
		elog(ERROR, "maintenance worker started without its shared memory slot");
	slot = &worker_shared->slots[slotno];

	SpinLockAcquire(&worker_shared->mutex);
	if (slot->state == SLOT_STARTING)
	{
		slot->state = SLOT_RUNNING;
		slot->pgprocno = MyProc->pgprocno;
		dboid = slot->dboid;
	}
	SpinLockRelease(&worker_shared->mutex);
	return dboid;
}

void
maintenance_worker_main(Datum main_arg)
{
	int			slotno = DatumGetInt32(main_arg);
	Oid			dboid;
	char	   *dbname;
	WorkerState state = WORKER_STARTING;
	long		retry_ms = WORKER_RETRY_MIN_MS;

	/*
	 * SIGTERM: die(), as in worker_spi, not a flag checked between rounds:
	 * a round waiting on a lock (say, an ALTER TABLE of the maintenances)
	 * must still end on pg_terminate_backend() and at shutdown.
	 */
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	dboid = worker_take_slot(slotno);
	if (!OidIsValid(dboid))
		proc_exit(0);			/* the launcher gave up on this slot */

	am_maintenance_worker = true;
	before_shmem_exit(worker_release_slot, Int32GetDatum(slotno));

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

	StartTransactionCommand();
	dbname = get_database_name(MyDatabaseId);
	dbname = MemoryContextStrdup(TopMemoryContext, dbname ? dbname : "?");
	CommitTransactionCommand();

	/* started with an older list: leave quietly */
	if (!worker_database_listed(dbname))
		proc_exit(0);

	ereport(LOG,
			(errmsg("maintenance worker started for database \"%s\"", dbname),
			 errdetail("It runs maintenance.run_transitions() when a maintenance of this database is due to start or end.")));

	for (;;)
	{
		long		sleep_ms;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (!worker_database_listed(dbname))
			{
				ereport(LOG,
						(errmsg("maintenance worker for database \"%s\" stops: the database is no longer listed in \"maintenance.worker_databases\"",
								dbname)));
				proc_exit(0);
			}
		}

		sleep_ms = worker_round(dbname, &state, &retry_ms);

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		/* SIGTERM, and the ProcSignalBarriers (see the header comment) */
		CHECK_FOR_INTERRUPTS();
	}
}
