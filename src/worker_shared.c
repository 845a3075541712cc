/*-------------------------------------------------------------------------
 *
 * worker_shared.c
 *	  The optional background worker's shared state: the setting
 *	  maintenance.worker_databases, the shared memory slots of the launcher
 *	  (launcher.c) and of the per-database workers (worker.c), and the
 *	  wake-ups a writing backend sends them at commit.
 *
 *	  The schedule lives in the table; the latches only wake the processes
 *	  early.  A write that can move the next deadline (create, update, a
 *	  status change) calls worker_wake_on_commit(): at the COMMIT of that
 *	  transaction, once the row is visible to new snapshots, the writing
 *	  backend sets the latch of its database's worker, found in the slots.
 *	  CREATE and ALTER EXTENSION call launcher_wake_on_commit() too: a
 *	  database listed before it existed gets its worker at once, not at the
 *	  launcher's next look.  Without preloading there is no shared memory
 *	  and these calls do nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "worker_shared.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

/* maintenance.worker_databases */
char	   *maintenance_worker_databases = NULL;

WorkerShared *worker_shared = NULL;

/* In a worker, which never wakes itself. */
bool		am_maintenance_worker = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* In a backend that writes: whom to wake at commit. */
static bool wake_callback_registered = false;
static bool wake_worker_pending = false;
static bool wake_launcher_pending = false;

/* Slots are as many as there can be background workers. */
static Size
worker_shared_size(void)
{
	return add_size(offsetof(WorkerShared, slots),
					mul_size(sizeof(WorkerSlot), max_worker_processes));
}

static void
worker_shared_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(worker_shared_size());
}

static void
worker_shared_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("maintenance worker", worker_shared_size(),
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
worker_shared_split_list(const char *value, List **names, char **detail)
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
worker_shared_check_list(char **newval, void **extra, GucSource source)
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
	valid = worker_shared_split_list(*newval, &names, &detail);
	MemoryContextSwitchTo(oldcxt);
	if (!valid)
		GUC_check_errdetail("%s", detail);	/* copied */
	MemoryContextDelete(cxt);
	return valid;
}

/* The names of maintenance.worker_databases now (validated by the hook). */
List *
worker_listed_databases(void)
{
	List	   *names;
	char	   *detail;

	if (!worker_shared_split_list(maintenance_worker_databases, &names, &detail))
		elog(ERROR, "invalid value of maintenance.worker_databases: %s", detail);
	return names;
}

bool
worker_database_listed(const char *dbname)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "maintenance.worker_databases",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	List	   *names = worker_listed_databases();
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
 * Wake-ups
 * ---------------------------------------------------------------------- */

/*
 * Set the latch of the process with this PGPROC (-1: none).  Called outside
 * the spinlock: should the process have exited meanwhile, this sets the
 * latch of whatever process has its PGPROC now, a spurious wake-up, which
 * every latch user tolerates.
 */
void
worker_set_latch(int pgprocno)
{
	if (pgprocno >= 0)
		SetLatch(&GetPGProcByNumber(pgprocno)->procLatch);
}

/* Set the latch of the running worker of database dboid, if any. */
static void
worker_shared_wake_worker(Oid dboid)
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
	worker_set_latch(pgprocno);
}

static void
worker_shared_wake_launcher(void)
{
	int			pgprocno;

	SpinLockAcquire(&worker_shared->mutex);
	pgprocno = worker_shared->launcher_pgprocno;
	SpinLockRelease(&worker_shared->mutex);
	worker_set_latch(pgprocno);
}

/*
 * After ProcArrayEndTransaction(): the woken process's next snapshot sees
 * the write.  Nothing here can fail.
 */
static void
worker_shared_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (wake_worker_pending)
				worker_shared_wake_worker(MyDatabaseId);
			if (wake_launcher_pending)
				worker_shared_wake_launcher();
			wake_worker_pending = false;
			wake_launcher_pending = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			/* a prepared write is seen within WORKER_MAX_SLEEP_MS */
			wake_worker_pending = false;
			wake_launcher_pending = false;
			break;
		default:
			break;
	}
}

static bool
worker_shared_wake_registered(void)
{
	if (worker_shared == NULL || am_maintenance_worker)
		return false;
	if (!wake_callback_registered)
	{
		RegisterXactCallback(worker_shared_xact_callback, NULL);
		wake_callback_registered = true;
	}
	return true;
}

/*
 * Called by a write that can move the next deadline (write.c, status_update.c): wake this
 * database's worker when the current transaction commits.
 */
void
worker_wake_on_commit(void)
{
	if (worker_shared_wake_registered())
		wake_worker_pending = true;
}

/*
 * Called when an extension is created or altered in this database: wake
 * the launcher (a listed database may have become ready for a worker) and
 * this database's worker (it may wait for the extension or its update) when
 * the current transaction commits.
 */
void
launcher_wake_on_commit(void)
{
	if (worker_shared_wake_registered())
	{
		wake_launcher_pending = true;
		wake_worker_pending = true;
	}
}

/* ----------------------------------------------------------------------
 * Set-up, from _PG_init()
 * ---------------------------------------------------------------------- */

void
worker_init(void)
{
	DefineCustomStringVariable("maintenance.worker_databases",
							   "Databases whose maintenance transitions a background worker runs on time.",
							   "A comma-separated list of database names; empty (the default) runs no worker. "
							   "Takes effect only with maintenance in shared_preload_libraries.",
							   &maintenance_worker_databases,
							   "",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   worker_shared_check_list, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shared_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shared_startup;
	launcher_register();
}
