/*-------------------------------------------------------------------------
 *
 * worker_shared.h
 *	  What the launcher (launcher.c) and the per-database workers
 *	  (worker.c) share: their shared memory slots (worker_shared.c) and
 *	  their timings.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MAINTENANCE_WORKER_SHARED_H
#define MAINTENANCE_WORKER_SHARED_H

#include "maintenance.h"

#include "nodes/pg_list.h"
#include "storage/spin.h"

/* The longest a worker or the launcher sleeps: writes that bypass the
 * functions (direct table edits, COMMIT PREPARED) are seen within this time. */
#define WORKER_MAX_SLEEP_MS		60000
/* Before a worker or the launcher is started again after an exit. */
#define WORKER_RESTART_INTERVAL_S	10

#define WORKER_TYPE		"maintenance worker"
#define LAUNCHER_TYPE	"maintenance launcher"

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

/* worker_shared.c; NULL unless the library is preloaded */
extern WorkerShared *worker_shared;
extern bool am_maintenance_worker;
extern List *worker_listed_databases(void);
extern bool worker_database_listed(const char *dbname);
extern void worker_set_latch(int pgprocno);

/* launcher.c, worker.c: the background workers' entry points */
extern void launcher_register(void);
extern PGDLLEXPORT void maintenance_launcher_main(Datum main_arg);
extern PGDLLEXPORT void maintenance_worker_main(Datum main_arg);

#endif							/* MAINTENANCE_WORKER_SHARED_H */
