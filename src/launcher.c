/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The launcher of the optional background worker: one static background
 *	  worker, connected to no database, that starts one worker (worker.c)
 *	  per database named in maintenance.worker_databases.
 *
 *	  The setting is read again on reload: the launcher starts the workers
 *	  of databases added to it (a worker whose database was removed stops by
 *	  itself).  It starts only once recovery has finished, so a standby runs
 *	  none, and a promoted standby starts them.  Restarts are the
 *	  launcher's: after a worker exits with an error, or is terminated, it is
 *	  started again WORKER_RESTART_INTERVAL_S later if its database is still
 *	  listed, still exists and allows connections.  The launcher itself is
 *	  restarted by the postmaster after the same interval.
 *
 *	  Every wait of its loop ends on its latch, which a ProcSignalBarrier
 *	  sets too (DROP DATABASE, ALTER DATABASE SET TABLESPACE wait for every
 *	  process to absorb one), and is followed by CHECK_FOR_INTERRUPTS(),
 *	  which absorbs it: whatever the state, those commands never wait on
 *	  the launcher.
 *
 *-------------------------------------------------------------------------
 */
#include "worker_shared.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

/* A slot whose worker never started (launcher restarted meanwhile). */
#define LAUNCHER_START_TIMEOUT_S	60

/* Per slot, the handle of the worker this launcher registered there. */
static BackgroundWorkerHandle **launcher_handles = NULL;

/* Names warned about (missing database, ...), so each is said once until
 * the next reload. */
static List *launcher_warned = NIL;

typedef struct ListedDatabase
{
	const char *name;
	Oid			oid;			/* InvalidOid: no such database */
	bool		allowconn;
} ListedDatabase;

static void
launcher_clear_slot(int code, Datum arg)
{
	(void) code;
	(void) arg;
	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->launcher_pgprocno = -1;
	SpinLockRelease(&worker_shared->mutex);
}

/* True the first time for this name since the last reload. */
static bool
launcher_warn_once(const char *name)
{
	MemoryContext oldcxt;

	if (list_member(launcher_warned, makeString((char *) name)))
		return false;
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	launcher_warned = lappend(launcher_warned, makeString(pstrdup(name)));
	MemoryContextSwitchTo(oldcxt);
	return true;
}

/* Look the listed names up in pg_database (a shared catalog). */
static ListedDatabase *
launcher_lookup_databases(List *names)
{
	ListedDatabase *dbs = palloc0(sizeof(ListedDatabase) * Max(list_length(names), 1));
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	int			i = 0;
	ListCell   *lc;
	MemoryContext cxt = CurrentMemoryContext;

	foreach(lc, names)
		dbs[i++].name = lfirst(lc);

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		for (i = 0; i < list_length(names); i++)
		{
			if (strcmp(NameStr(db->datname), dbs[i].name) == 0)
			{
				dbs[i].oid = db->oid;
				dbs[i].allowconn = db->datallowconn;
			}
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	/* the commit left us in TopMemoryContext */
	MemoryContextSwitchTo(cxt);
	return dbs;
}

/* Forget the slots whose worker never came up. */
static void
launcher_reap_slots(TimestampTz round_start)
{
	for (int i = 0; i < worker_shared->nslots; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];
		BgwHandleStatus status = BGWH_STARTED;
		pid_t		pid;

		if (launcher_handles[i] != NULL)
		{
			status = GetBackgroundWorkerPid(launcher_handles[i], &pid);
			if (status == BGWH_POSTMASTER_DIED)
				proc_exit(1);
		}

		SpinLockAcquire(&worker_shared->mutex);
		if (slot->state == SLOT_STARTING &&
			(status == BGWH_STOPPED ||
			 (launcher_handles[i] == NULL &&
			  TimestampDifferenceExceeds(slot->launched_at, round_start,
										 LAUNCHER_START_TIMEOUT_S * 1000))))
		{
			slot->state = SLOT_FREE;
			slot->exited_at = round_start;
		}
		SpinLockRelease(&worker_shared->mutex);

		if (status == BGWH_STOPPED)
		{
			pfree(launcher_handles[i]);
			launcher_handles[i] = NULL;
		}
	}
}

/*
 * Reserve a slot for database dboid and start its worker.  Returns false
 * when none can be started now.
 */
static bool
launcher_start_worker(const ListedDatabase *db, TimestampTz round_start)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext oldcxt;
	bool		registered;
	int			slotno = -1;
	WorkerSlot *slot = NULL;

	SpinLockAcquire(&worker_shared->mutex);
	/* a free slot: this database's own, else an unused one, else any */
	for (int pass = 0; pass < 3 && slotno < 0; pass++)
	{
		for (int i = 0; i < worker_shared->nslots; i++)
		{
			WorkerSlot *s = &worker_shared->slots[i];

			if (s->state != SLOT_FREE || launcher_handles[i] != NULL)
				continue;
			if ((pass == 0 && s->dboid == db->oid) ||
				(pass == 1 && !OidIsValid(s->dboid)) ||
				pass == 2)
			{
				slotno = i;
				break;
			}
		}
	}
	if (slotno >= 0)
	{
		slot = &worker_shared->slots[slotno];
		slot->state = SLOT_STARTING;
		slot->dboid = db->oid;
		slot->pgprocno = -1;
		slot->launched_at = round_start;
		slot->exited_at = 0;
	}
	SpinLockRelease(&worker_shared->mutex);
	if (slotno < 0)
		return false;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;	/* the launcher restarts it */
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "maintenance");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "maintenance_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, WORKER_TYPE " for database %s", db->name);
	snprintf(worker.bgw_type, BGW_MAXLEN, WORKER_TYPE);
	worker.bgw_main_arg = Int32GetDatum(slotno);
	worker.bgw_notify_pid = MyProcPid;

	/*
	 * The handle outlives this round: it is allocated in the current memory
	 * context, which is the round's and is reset at its end.
	 */
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(oldcxt);
	if (!registered)
	{
		SpinLockAcquire(&worker_shared->mutex);
		slot->state = SLOT_FREE;
		slot->exited_at = round_start;
		SpinLockRelease(&worker_shared->mutex);
		return false;
	}
	launcher_handles[slotno] = handle;
	return true;
}

/*
 * Whether database db has a worker (running or starting); if not, and it
 * must wait before its restart, *restart_at is when.
 */
static bool
launcher_database_covered(const ListedDatabase *db, TimestampTz *restart_at)
{
	bool		covered = false;

	*restart_at = 0;
	SpinLockAcquire(&worker_shared->mutex);
	for (int j = 0; j < worker_shared->nslots; j++)
	{
		WorkerSlot *slot = &worker_shared->slots[j];

		if (slot->dboid != db->oid)
			continue;
		if (slot->state != SLOT_FREE)
			covered = true;
		else if (slot->exited_at != 0)
			*restart_at = Max(*restart_at,
							  TimestampTzPlusMilliseconds(slot->exited_at,
														  WORKER_RESTART_INTERVAL_S * 1000));
	}
	SpinLockRelease(&worker_shared->mutex);
	return covered;
}

/*
 * Start the workers that should run and do not.  Returns how long to sleep
 * before looking again (a worker's exit, a reload and CREATE EXTENSION wake
 * the launcher sooner).
 */
static long
launcher_round(void)
{
	TimestampTz round_start = GetCurrentTimestamp();
	TimestampTz next = TimestampTzPlusMilliseconds(round_start, WORKER_MAX_SLEEP_MS);
	TimestampTz look_again = TimestampTzPlusMilliseconds(round_start,
														 WORKER_RESTART_INTERVAL_S * 1000);
	List	   *names;
	ListedDatabase *dbs;
	int			n;
	long		secs;
	int			usecs;

	launcher_reap_slots(round_start);

	names = worker_listed_databases();
	n = list_length(names);
	if (n == 0)
		return WORKER_MAX_SLEEP_MS;
	dbs = launcher_lookup_databases(names);

	for (int i = 0; i < n; i++)
	{
		const ListedDatabase *db = &dbs[i];
		TimestampTz restart_at;

		if (!OidIsValid(db->oid) || !db->allowconn)
		{
			if (launcher_warn_once(db->name))
				ereport(WARNING,
						(errcode(!OidIsValid(db->oid) ? ERRCODE_UNDEFINED_DATABASE :
								 ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 !OidIsValid(db->oid) ?
						 errmsg("database \"%s\" listed in \"maintenance.worker_databases\" does not exist",
								db->name) :
						 errmsg("database \"%s\" listed in \"maintenance.worker_databases\" does not allow connections",
								db->name),
						 errhint("The maintenance launcher looks again every %d seconds, and when an extension is created.",
								 WORKER_RESTART_INTERVAL_S)));
			next = Min(next, look_again);
			continue;
		}
		if (launcher_database_covered(db, &restart_at))
			continue;
		if (restart_at > round_start)
		{
			next = Min(next, restart_at);
			continue;
		}
		if (!launcher_start_worker(db, round_start))
		{
			if (launcher_warn_once(db->name))
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("could not start the maintenance worker for database \"%s\"",
								db->name),
						 errdetail("No background worker slot is free."),
						 errhint("Raise \"max_worker_processes\" (each listed database needs one).")));
			next = Min(next, look_again);
		}
	}

	TimestampDifference(GetCurrentTimestamp(), next, &secs, &usecs);
	return secs * 1000 + (usecs + 999) / 1000;
}

void
maintenance_launcher_main(Datum main_arg)
{
	MemoryContext roundcxt;

	(void) main_arg;

	/*
	 * SIGTERM sets a flag that the loop checks after every wait; the
	 * launcher waits on nothing else (no lock, no query of a table).
	 */
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	/* no database: pg_database is a shared catalog */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	launcher_handles = MemoryContextAllocZero(TopMemoryContext,
											  sizeof(BackgroundWorkerHandle *) * worker_shared->nslots);
	roundcxt = AllocSetContextCreate(TopMemoryContext,
									 "maintenance launcher round",
									 ALLOCSET_DEFAULT_SIZES);

	SpinLockAcquire(&worker_shared->mutex);
	worker_shared->launcher_pgprocno = MyProc->pgprocno;
	SpinLockRelease(&worker_shared->mutex);
	before_shmem_exit(launcher_clear_slot, (Datum) 0);

	ereport(LOG,
			(errmsg("maintenance launcher started"),
			 errdetail("\"maintenance.worker_databases\" is \"%s\".",
					   maintenance_worker_databases)));

	for (;;)
	{
		long		sleep_ms;
		MemoryContext oldcxt;

		if (ShutdownRequestPending)
			proc_exit(1);		/* restarted unless the server is stopping */

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			list_free_deep(launcher_warned);
			launcher_warned = NIL;
		}

		oldcxt = MemoryContextSwitchTo(roundcxt);
		sleep_ms = launcher_round();
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(roundcxt);

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(sleep_ms, 0), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		/* absorbs ProcSignalBarriers (see the header comment) */
		CHECK_FOR_INTERRUPTS();
	}
}

/* From _PG_init() when preloaded: the launcher, a static background worker. */
void
launcher_register(void)
{
	BackgroundWorker launcher;

	memset(&launcher, 0, sizeof(launcher));
	launcher.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	launcher.bgw_start_time = BgWorkerStart_RecoveryFinished;
	launcher.bgw_restart_time = WORKER_RESTART_INTERVAL_S;
	snprintf(launcher.bgw_library_name, BGW_MAXLEN, "maintenance");
	snprintf(launcher.bgw_function_name, BGW_MAXLEN, "maintenance_launcher_main");
	snprintf(launcher.bgw_name, BGW_MAXLEN, LAUNCHER_TYPE);
	snprintf(launcher.bgw_type, BGW_MAXLEN, LAUNCHER_TYPE);
	RegisterBackgroundWorker(&launcher);
}
