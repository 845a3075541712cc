/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The optional background worker: maintenance windows start and end on
 *	  the second instead of at pg_cron's next minute.
 *
 *	  With the library in shared_preload_libraries, a launcher (one static
 *	  background worker, connected to no database) starts one worker per
 *	  database named in maintenance.worker_databases.  The setting is read
 *	  again on reload: the launcher starts the workers of databases added to
 *	  it, and a worker whose database was removed stops.  Both start only
 *	  once recovery has finished, so a standby runs none, and a promoted
 *	  standby starts them.
 *
 *	  A worker loops: in one transaction, maintenance.run_transitions() for
 *	  the current time (its claiming with SKIP LOCKED makes it safe beside
 *	  the pg_cron job and manual runs), then an index probe of the partial
 *	  indexes maintenances_due_to_start / maintenances_due_to_complete for
 *	  the next start_at or end_at still ahead; it commits and sleeps on its
 *	  latch until then (at most WORKER_MAX_SLEEP_MS).
 *
 *	  The schedule lives in the table; the latch only wakes the worker
 *	  early.  A write that can move the next deadline (create, update, a
 *	  status change) calls worker_wake_on_commit(): at the COMMIT of that
 *	  transaction, once the row is visible to new snapshots, the writing
 *	  backend sets the latch of its database's worker, found in a small
 *	  shared memory array.  So a window created to start in 5 seconds makes
 *	  the worker probe again and sleep until then.  Without preloading there
 *	  is no shared memory and the call does nothing.
 *
 *	  Restarts are the launcher's: after a worker exits with an error, or is
 *	  terminated, it is started again WORKER_RESTART_INTERVAL_S later if its
 *	  database is still listed, still exists and allows connections.  The
 *	  launcher itself is restarted by the postmaster after the same interval.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"
#include "series.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

PGDLLEXPORT void maintenance_launcher_main(Datum main_arg);
PGDLLEXPORT void maintenance_worker_main(Datum main_arg);

/* The longest a worker sleeps: writes that bypass the functions (direct
 * table edits, COMMIT PREPARED) are seen within this time. */
#define WORKER_MAX_SLEEP_MS		60000
/* The first retry when due maintenances were left (locked, or failed). */
#define WORKER_RETRY_MIN_MS		1000
/* Before a worker or the launcher is started again after an exit. */
#define WORKER_RESTART_INTERVAL_S	10
/* A slot whose worker never started (launcher restarted meanwhile). */
#define WORKER_START_TIMEOUT_S	60

#define WORKER_TYPE		"maintenance worker"
#define LAUNCHER_TYPE	"maintenance launcher"

#define TRANSITIONS_SQL \
	"SELECT started, completed, failed FROM maintenance.run_transitions($1)"

/*
 * The next start_at or end_at after $1, and whether any maintenance due at
 * $1 is left (skipped because locked, or failed): each subquery is a probe
 * of a partial index.
 */
#define NEXT_DEADLINE_SQL \
	"SELECT LEAST(" \
	" (SELECT pg_catalog.min(m.start_at) FROM maintenance.maintenances m" \
	" WHERE m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status" \
	" AND m.start_at OPERATOR(pg_catalog.>) $1)," \
	" (SELECT pg_catalog.min(m.end_at) FROM maintenance.maintenances m" \
	" WHERE m.status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status" \
	" AND m.end_at OPERATOR(pg_catalog.>) $1))," \
	" EXISTS (SELECT FROM maintenance.maintenances m" \
	" WHERE m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status" \
	" AND m.start_at OPERATOR(pg_catalog.<=) $1)" \
	" OR EXISTS (SELECT FROM maintenance.maintenances m" \
	" WHERE m.status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status" \
	" AND m.end_at OPERATOR(pg_catalog.<=) $1)"

/* ----------------------------------------------------------------------
 * Shared memory: one slot per possible worker
 * ---------------------------------------------------------------------- */

typedef enum WorkerSlotState
{
	SLOT_FREE,
	SLOT_STARTING,				/* registered by the launcher, not yet running */
	SLOT_RUNNING
} WorkerSlotState;

typedef struct WorkerSlot
{
	WorkerSlotState state;
	Oid			dboid;			/* kept when FREE, for the restart interval */
	int			pgprocno;		/* of the running worker */
	TimestampTz launched_at;	/* STARTING since */
	TimestampTz exited_at;		/* 0: no restart delay */
} WorkerSlot;

typedef struct WorkerShared
{
	slock_t		mutex;			/* protects everything below */
	int			launcher_pgprocno;	/* -1 when no launcher runs */
	int			nslots;
	WorkerSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} WorkerShared;

/* maintenance.worker_databases */
char	   *maintenance_worker_databases = NULL;

static WorkerShared *worker_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* In a backend that writes maintenances: wake the worker at commit. */
static bool wake_callback_registered = false;
static bool wake_pending = false;

/* In a worker, which never wakes itself. */
static bool am_maintenance_worker = false;

/* Slots are as many as there can be background workers. */
static Size
worker_shmem_size(void)
{
	return add_size(offsetof(WorkerShared, slots),
					mul_size(sizeof(WorkerSlot), max_worker_processes));
}

static void
worker_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(worker_shmem_size());
}

static void
worker_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("maintenance worker", worker_shmem_size(),
									&found);
	if (!found)
	{
		SpinLockInit(&worker_shared->mutex);
		worker_shared->launcher_pgprocno = -1;
		worker_shared->nslots = max_worker_processes;
		for (int i = 0; i < worker_shared->nslots; i++)
		{
			WorkerSlot *slot = &worker_shared->slots[i];

			slot->state = SLOT_FREE;
			slot->dboid = InvalidOid;
			slot->pgprocno = -1;
			slot->launched_at = 0;
			slot->exited_at = 0;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* ----------------------------------------------------------------------
 * The setting
 * ---------------------------------------------------------------------- */

/*
 * Split a value of maintenance.worker_databases into a list of names
 * (char *, in the current memory context).  On invalid input, returns false
 * and a detail message.  Names are not case-folded: they are database names
 * as written (double quotes allow commas and spaces in them).
 */
static bool
split_database_list(const char *value, List **names, char **detail)
{
	char	   *copy = pstrdup(value);
	ListCell   *lc;

	*names = NIL;
	*detail = NULL;
	if (!SplitGUCList(copy, ',', names))
	{
		*detail = pstrdup("The value must be a comma-separated list of database names.");
		return false;
	}
	foreach(lc, *names)
	{
		const char *name = lfirst(lc);
		ListCell   *other;

		if (strlen(name) >= NAMEDATALEN)
		{
			*detail = psprintf("Database name \"%s\" is too long.", name);
			return false;
		}
		for_each_cell(other, *names, lnext(*names, lc))
		{
			if (strcmp(name, lfirst(other)) == 0)
			{
				*detail = psprintf("Database \"%s\" is listed more than once.", name);
				return false;
			}
		}
	}
	return true;
}

static bool
check_worker_databases(char **newval, void **extra, GucSource source)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "maintenance.worker_databases",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	List	   *names;
	char	   *detail;
	bool		valid;

	(void) extra;
	(void) source;
	valid = split_database_list(*newval, &names, &detail);
	MemoryContextSwitchTo(oldcxt);
	if (!valid)
		GUC_check_errdetail("%s", detail);	/* copied */
	MemoryContextDelete(cxt);
	return valid;
}

/* The names of maintenance.worker_databases now (validated by the hook). */
static List *
listed_databases(void)
{
	List	   *names;
	char	   *detail;

	if (!split_database_list(maintenance_worker_databases, &names, &detail))
		elog(ERROR, "invalid value of maintenance.worker_databases: %s", detail);
	return names;
}

static bool
database_listed(const char *dbname)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "maintenance.worker_databases",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	List	   *names = listed_databases();
	ListCell   *lc;
	bool		found = false;

	foreach(lc, names)
	{
		if (strcmp(lfirst(lc), dbname) == 0)
			found = true;
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return found;
}

/* ----------------------------------------------------------------------
 * Waking the worker at commit
 * ---------------------------------------------------------------------- */

/* Set the latch of the running worker of database dboid, if any. */
static void
wake_worker(Oid dboid)
{
	int			pgprocno = -1;

	SpinLockAcquire(&worker_shared->mutex);
	for (int i = 0; i < worker_shared->nslots; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];

		if (slot->state == SLOT_RUNNING && slot->dboid == dboid)
		{
			pgprocno = slot->pgprocno;
			break;
		}
	}
	SpinLockRelease(&worker_shared->mutex);

	/*
	 * Outside the spinlock.  Should the worker have exited meanwhile, this
	 * sets the latch of whatever process has its PGPROC now: a spurious
	 * wake-up, which every latch user tolerates.
	 */
	if (pgprocno >= 0)
		SetLatch(&GetPGProcByNumber(pgprocno)->procLatch);
}

/*
 * After ProcArrayEndTransaction(): the worker's next snapshot sees the
 * write.  Nothing here can fail.
 */
static void
worker_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (wake_pending)
				wake_worker(MyDatabaseId);
			wake_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			/* a prepared write is seen within WORKER_MAX_SLEEP_MS */
			wake_pending = false;
			break;
		default:
			break;
	}
}

/*
 * Called by a write that can move the next deadline (write.c): wake this
 * database's worker when the current transaction commits.
 */
void
worker_wake_on_commit(void)
{
	if (worker_shared == NULL || am_maintenance_worker)
		return;
	if (!wake_callback_registered)
	{
		RegisterXactCallback(worker_xact_callback, NULL);
		wake_callback_registered = true;
	}
	wake_pending = true;
}

/* ----------------------------------------------------------------------
 * The per-database worker
 * ---------------------------------------------------------------------- */

/* before_shmem_exit: free the slot, and let the launcher know. */
static void
worker_release_slot(int code, Datum arg)
{
	WorkerSlot *slot = &worker_shared->slots[DatumGetInt32(arg)];
	TimestampTz exit_time = GetCurrentTimestamp();
	int			launcher = -1;

	SpinLockAcquire(&worker_shared->mutex);
	slot->state = SLOT_FREE;
	slot->pgprocno = -1;
	/* a clean stop (database no longer listed) needs no restart delay */
	slot->exited_at = (code == 0) ? 0 : exit_time;
	launcher = worker_shared->launcher_pgprocno;
	SpinLockRelease(&worker_shared->mutex);

	if (launcher >= 0)
		SetLatch(&GetPGProcByNumber(launcher)->procLatch);
}

/*
 * One round: run the transitions due now and find the next deadline.
 * Returns how long to sleep, in milliseconds.
 */
static long
worker_round(const char *dbname, bool *extension_missing, long *retry_ms)
{
	static const Oid argtypes[] = {TIMESTAMPTZOID};
	TimestampTz as_of = GetCurrentTimestamp();
	TimestampTz next = TimestampTzPlusMilliseconds(as_of, WORKER_MAX_SLEEP_MS);
	Datum		arg = TimestampTzGetDatum(as_of);
	long		secs;
	int			usecs;
	long		sleep_ms;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());

	if (!OidIsValid(get_extension_oid("maintenance", true)))
	{
		/* Said once; a CREATE EXTENSION and the first write wake us. */
		if (!*extension_missing)
			ereport(LOG,
					(errmsg("extension \"maintenance\" is not installed in database \"%s\"; the maintenance worker waits for it",
							dbname)));
		*extension_missing = true;
	}
	else
	{
		bool		isnull;
		bool		left_due;

		if (*extension_missing)
			ereport(LOG,
					(errmsg("extension \"maintenance\" is now installed in database \"%s\"; the maintenance worker runs its transitions",
							dbname)));
		*extension_missing = false;

		debug_query_string = TRANSITIONS_SQL;
		pgstat_report_activity(STATE_RUNNING, TRANSITIONS_SQL);
		if (SPI_execute_with_args(TRANSITIONS_SQL, 1, (Oid *) argtypes, &arg,
								  NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not run maintenance.run_transitions()");

		debug_query_string = NEXT_DEADLINE_SQL;
		pgstat_report_activity(STATE_RUNNING, NEXT_DEADLINE_SQL);
		/* not read-only: a new snapshot, which sees the transitions */
		if (SPI_execute_with_args(NEXT_DEADLINE_SQL, 1, (Oid *) argtypes, &arg,
								  NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not find the next maintenance deadline");

		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull && DatumGetTimestampTz(d) < next)
				next = DatumGetTimestampTz(d);
		}
		/* and for the next materialization of a series */
		next = Min(next, series_next_materialization(as_of));
		left_due = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 2,
											  &isnull));

		/*
		 * Due maintenances left behind were locked (by a concurrent run or
		 * writer, whose commit wakes us) or failed (a WARNING said why):
		 * try again after a delay that doubles up to the longest sleep.
		 */
		if (left_due)
		{
			TimestampTz retry = TimestampTzPlusMilliseconds(as_of, *retry_ms);

			if (retry < next)
				next = retry;
			*retry_ms = Min(*retry_ms * 2, WORKER_MAX_SLEEP_MS);
		}
		else
			*retry_ms = WORKER_RETRY_MIN_MS;
	}

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

void
maintenance_worker_main(Datum main_arg)
{
	int			slotno = DatumGetInt32(main_arg);
	WorkerSlot *slot;
	Oid			dboid = InvalidOid;
	char	   *dbname;
	bool		extension_missing = false;
	long		retry_ms = WORKER_RETRY_MIN_MS;

	/*
	 * SIGTERM: die(), as in worker_spi, not a flag checked between rounds:
	 * a round waiting on a lock (say, an ALTER TABLE of the maintenances)
	 * must still end on pg_terminate_backend() and at shutdown.
	 */
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

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
	if (!database_listed(dbname))
		proc_exit(0);

	ereport(LOG,
			(errmsg("maintenance worker started for database \"%s\"", dbname),
			 errdetail("It runs maintenance.run_transitions() when a maintenance of this database is due to start or end.")));

	for (;;)
	{
		long		sleep_ms;

		CHECK_FOR_INTERRUPTS();

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (!database_listed(dbname))
			{
				ereport(LOG,
						(errmsg("maintenance worker for database \"%s\" stops: the database is no longer listed in \"maintenance.worker_databases\"",
								dbname)));
				proc_exit(0);
			}
		}

		sleep_ms = worker_round(dbname, &extension_missing, &retry_ms);

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ----------------------------------------------------------------------
 * The launcher
 * ---------------------------------------------------------------------- */

/* Per slot, the handle of the worker this launcher registered there. */
static BackgroundWorkerHandle **launcher_handles = NULL;

/* Names warned about (missing database, ...), so each is said once until
 * the next reload. */
static List *launcher_warned = NIL;

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

typedef struct ListedDatabase
{
	const char *name;
	Oid			oid;			/* InvalidOid: no such database */
	bool		allowconn;
} ListedDatabase;

/* Look the listed names up in pg_database (a shared catalog). */
static ListedDatabase *
lookup_databases(List *names)
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
										 WORKER_START_TIMEOUT_S * 1000))))
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
launch_worker(const ListedDatabase *db, TimestampTz round_start)
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
 * Start the workers that should run and do not.  Returns how long to sleep
 * before looking again (a worker's exit wakes the launcher sooner).
 */
static long
launcher_round(void)
{
	TimestampTz round_start = GetCurrentTimestamp();
	TimestampTz next = TimestampTzPlusMilliseconds(round_start, WORKER_MAX_SLEEP_MS);
	List	   *names;
	ListedDatabase *dbs;
	int			n;
	long		secs;
	int			usecs;

	launcher_reap_slots(round_start);

	names = listed_databases();
	n = list_length(names);
	if (n == 0)
		return WORKER_MAX_SLEEP_MS;
	dbs = lookup_databases(names);

	for (int i = 0; i < n; i++)
	{
		const ListedDatabase *db = &dbs[i];
		bool		covered = false;
		TimestampTz restart_at = 0;

		if (!OidIsValid(db->oid) || !db->allowconn)
		{
			if (launcher_warn_once(db->name))
				ereport(WARNING,
						(errcode(ERRCODE_UNDEFINED_DATABASE),
						 !OidIsValid(db->oid) ?
						 errmsg("database \"%s\" listed in \"maintenance.worker_databases\" does not exist",
								db->name) :
						 errmsg("database \"%s\" listed in \"maintenance.worker_databases\" does not allow connections",
								db->name),
						 errhint("The maintenance launcher looks again every %d seconds.",
								 WORKER_RESTART_INTERVAL_S)));
			next = Min(next, TimestampTzPlusMilliseconds(round_start, WORKER_RESTART_INTERVAL_S * 1000));
			continue;
		}

		SpinLockAcquire(&worker_shared->mutex);
		for (int j = 0; j < worker_shared->nslots; j++)
		{
			WorkerSlot *slot = &worker_shared->slots[j];

			if (slot->dboid != db->oid)
				continue;
			if (slot->state != SLOT_FREE)
				covered = true;
			else if (slot->exited_at != 0)
				restart_at = Max(restart_at,
								 TimestampTzPlusMilliseconds(slot->exited_at,
															 WORKER_RESTART_INTERVAL_S * 1000));
		}
		SpinLockRelease(&worker_shared->mutex);

		if (covered)
			continue;
		if (restart_at > round_start)
		{
			next = Min(next, restart_at);
			continue;
		}
		if (!launch_worker(db, round_start))
		{
			if (launcher_warn_once(db->name))
				ereport(WARNING,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("could not start the maintenance worker for database \"%s\"",
								db->name),
						 errdetail("No background worker slot is free."),
						 errhint("Raise \"max_worker_processes\" (each listed database needs one).")));
			next = Min(next, TimestampTzPlusMilliseconds(round_start, WORKER_RESTART_INTERVAL_S * 1000));
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
	}
}

/* ----------------------------------------------------------------------
 * Set-up, from _PG_init()
 * ---------------------------------------------------------------------- */

void
worker_init(void)
{
	BackgroundWorker launcher;

	DefineCustomStringVariable("maintenance.worker_databases",
							   "Databases whose maintenance transitions a background worker runs on time.",
							   "A comma-separated list of database names; empty (the default) runs no worker. "
							   "Takes effect only with maintenance in shared_preload_libraries.",
							   &maintenance_worker_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   check_worker_databases, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_startup;

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
