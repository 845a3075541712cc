/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  The outbox of events (doc/events.md "Events"): one row in maintenance.events
 *	  and one NOTIFY on the event's channel, both in the writing
 *	  transaction, so they are delivered only if it commits; the replay
 *	  horizon; the retention setting.
 *
 *	  The NOTIFY payload is the envelope of payload.c, without "payload" and
 *	  with "truncated":true when the whole would not fit NOTIFY's limit, or,
 *	  with maintenance.notify_payload = id, always without "payload" (LISTEN
 *	  needs no privilege; replay_events() and get_event() do); the outbox
 *	  row always has the whole payload.
 *
 *	  Replay (maintenance.replay_events) hands the events out by id, after a
 *	  cursor.  Transactions commit in another order than they take ids, so
 *	  replay may only hand out ids below which no event can still appear: the
 *	  replay horizon.  The protocol:
 *
 *	  Writer: before its first event id, a transaction reads the id sequence's
 *	  last value b (a lower bound of every id it will take) and takes a
 *	  transaction-level advisory lock whose key is b (EVENT_WRITER_LOCK_SPACE
 *	  below), held until it ends.  The server releases locks after the
 *	  commit is visible to new snapshots.
 *
 *	  Reader (replay_horizon): read the sequence's last value h, then every
 *	  writer lock; the horizon is min(h, every b).  Then the replay query
 *	  takes a fresh snapshot and returns visible events with ids up to the
 *	  horizon.  An event e <= h was taken before h was read, so its writer
 *	  held its lock from then on: either the lock was still there when the
 *	  locks were read, and then the horizon is <= its b < e, or the writer had
 *	  ended before, and then the snapshot taken later sees its outcome.  So
 *	  every event up to the horizon is final: visible if it committed, gone
 *	  forever if it rolled back, and a consumer that moves its cursor to the
 *	  last id handed out never misses an event and never gets one twice.
 *
 *	  (Comparing each event's xid with the snapshot's xmin is not enough: a
 *	  transaction that got its xid first can take higher event ids and commit
 *	  while a younger one that took lower ids is still running.)
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(maintenance_replay_horizon);
PG_FUNCTION_INFO_V1(maintenance_event_retention);

/*
 * NOTIFY refuses a payload of this many bytes or more.  The server's
 * constant (NOTIFY_PAYLOAD_MAX_LENGTH) is private to async.c; this is its
 * definition.
 */
#define NOTIFY_PAYLOAD_LIMIT	(BLCKSZ - NAMEDATALEN - 128)

/*
 * The advisory locks of event writers: locktag_field4 (pg_locks.objsubid)
 * is this value, which SQL's advisory lock functions never use (they use 1
 * and 2); field2 and field3 (classid, objid) are the high and low halves of
 * the writer's lower bound b.
 */
#define EVENT_WRITER_LOCK_SPACE	0x6576

static SPIPlanPtr insert_events_plan;
static SPIPlanPtr last_event_id_plan;

/* The top-level transaction that holds its writer lock already. */
static LocalTransactionId registered_lxid = InvalidLocalTransactionId;

/*
 * The last id the events sequence has handed out (0 before the first).
 * The caller is connected to SPI.  Relies on the sequence's CACHE 1: with
 * cached values a backend could take ids below the last value.
 */
static int64
outbox_last_event_id(void)
{
	bool		isnull;
	Datum		value;

	run_plan(cached_plan(&last_event_id_plan,
						 "SELECT pg_catalog.pg_sequence_last_value("
						 "'maintenance.events_id_seq'::pg_catalog.regclass)",
						 0, NULL),
			 NULL, NULL, true, SPI_OK_SELECT);
	value = spi_datum(0, 1, &isnull);
	SPI_freetuptable(SPI_tuptable);
	return isnull ? 0 : DatumGetInt64(value);
}

static void
outbox_writer_locktag(LOCKTAG *tag, int64 bound)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId,
						 (uint32) ((uint64) bound >> 32),
						 (uint32) bound,
						 EVENT_WRITER_LOCK_SPACE);
}

/*
 * Announce this transaction as an event writer before it takes its first
 * event id (protocol in the header comment).  The lock belongs to the
 * top-level transaction, so a rolled-back subtransaction does not release
 * it while the transaction goes on writing events.
 */
static void
outbox_register_writer(void)
{
	LOCKTAG		tag;
	ResourceOwner save_owner = CurrentResourceOwner;

	if (registered_lxid == MyProc->lxid)
		return;

	outbox_writer_locktag(&tag, outbox_last_event_id());
	CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		(void) LockAcquire(&tag, ShareLock, false, false);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save_owner;
	}
	PG_END_TRY();
	registered_lxid = MyProc->lxid;
}

/* ----------------------------------------------------------------------
 * Event batches: the events of one write, inserted by one statement
 *
 * A write adds its events in order (signal, hook, notifications); their ids
 * are taken in that order by one INSERT (OUTBOX_INSERT_SQL), either in
 * event_batch_write()'s own statement or in a statement of the caller's
 * (store_write_status() writes the status and the timeline with it).  Each
 * written event then gets its envelope and its NOTIFY (event_batch_notify).
 * Everything is allocated in the memory context that was current at
 * event_batch_init(), so a batch survives the caller's SPI_finish().
 * ---------------------------------------------------------------------- */

void
event_batch_init(EventBatch *b)
{
	b->cxt = CurrentMemoryContext;
	b->n = 0;
	b->cap = 0;
	b->channels = NULL;
	b->names = NULL;
	b->payloads = NULL;
	b->envelopes = NULL;
}

/* Add an event; takes over payload->data, which must be in b->cxt. */
void
event_batch_add(EventBatch *b, const char *channel, const char *name,
				StringInfo payload)
{
	if (b->n == b->cap)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(b->cxt);

		b->cap = Max(8, b->cap * 2);
		if (b->channels == NULL)
		{
			b->channels = palloc(sizeof(char *) * b->cap);
			b->names = palloc(sizeof(char *) * b->cap);
			b->payloads = palloc(sizeof(char *) * b->cap);
			b->envelopes = palloc0(sizeof(char *) * b->cap);
		}
		else
		{
			b->channels = repalloc(b->channels, sizeof(char *) * b->cap);
			b->names = repalloc(b->names, sizeof(char *) * b->cap);
			b->payloads = repalloc(b->payloads, sizeof(char *) * b->cap);
			b->envelopes = repalloc(b->envelopes, sizeof(char *) * b->cap);
			for (int i = b->n; i < b->cap; i++)
				b->envelopes[i] = NULL;
		}
		MemoryContextSwitchTo(oldcxt);
	}
	b->channels[b->n] = channel;
	b->names[b->n] = name;
	b->payloads[b->n] = payload->data;
	b->n++;
}

static Datum
outbox_text_array(MemoryContext cxt, int n, const char *const *values)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ArrayType  *array;

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(values[i]);
	array = construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
	MemoryContextSwitchTo(oldcxt);
	return PointerGetDatum(array);
}

/*
 * The three text[] arguments (channels, names, payloads) of the INSERT that
 * writes the batch, in the order the ids must be taken.  Registers this
 * transaction as an event writer first: call it right before that INSERT.
 * The caller is connected to SPI.
 */
void
event_batch_args(EventBatch *b, Datum *channels, Datum *names, Datum *payloads)
{
	/* Before the INSERT takes the ids: see the header comment. */
	outbox_register_writer();

	*channels = outbox_text_array(b->cxt, b->n, b->channels);
	*names = outbox_text_array(b->cxt, b->n, b->names);
	*payloads = outbox_text_array(b->cxt, b->n, (const char *const *) b->payloads);
}

/* Event i of the batch was written with this id and time: its envelope. */
static void
outbox_written(EventBatch *b, int i, int64 id, TimestampTz occurred_at)
{
	EventEnvelope e = {false, id, b->channels[i], b->names[i],
	false, occurred_at, b->payloads[i]};
	MemoryContext oldcxt = MemoryContextSwitchTo(b->cxt);

	/* Any role that can connect may LISTEN: the setting says what it gets. */
	if (maintenance_notify_payload == NOTIFY_PAYLOAD_ID)
		b->envelopes[i] = payload_envelope_id_only(&e);
	else
		b->envelopes[i] = payload_envelope(&e, NOTIFY_PAYLOAD_LIMIT);
	MemoryContextSwitchTo(oldcxt);
}

/* NOTIFY every written event of the batch, in order, in this transaction. */
void
event_batch_notify(EventBatch *b)
{
	for (int i = 0; i < b->n; i++)
	{
		if (b->envelopes[i] == NULL)
			elog(ERROR, "event %d of %d was not written", i + 1, b->n);
		Async_Notify(b->channels[i], b->envelopes[i]);
	}
}

/* Insert the batch's outbox rows with one statement, then NOTIFY them. */
void
event_batch_write(EventBatch *b)
{
	static const Oid argtypes[] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[3];

	if (b->n == 0)
		return;
	event_batch_args(b, &values[0], &values[1], &values[2]);
	run_plan(cached_plan(&insert_events_plan,
						 OUTBOX_INSERT_SQL("$1", "$2", "$3"),
						 3, argtypes),
			 values, NULL, false, SPI_OK_INSERT_RETURNING);
	event_batch_match_result(b, 1);
	SPI_freetuptable(SPI_tuptable);
	event_batch_notify(b);
}

typedef struct OutboxWritten
{
	int64		id;
	TimestampTz occurred_at;
} OutboxWritten;

static int
outbox_compare_written(const void *a, const void *b)
{
	int64		x = ((const OutboxWritten *) a)->id;
	int64		y = ((const OutboxWritten *) b)->id;

	return (x > y) - (x < y);
}

/*
 * The last SPI result has one row per event of the batch, (id, occurred_at)
 * in columns id_col and id_col + 1, in any order: the ids were taken in the
 * order of the batch's rows, so the i-th smallest id is event i.
 */
void
event_batch_match_result(EventBatch *b, int id_col)
{
	OutboxWritten *written;
	bool		isnull;

	if (SPI_processed != (uint64) b->n)
		elog(ERROR, "inserted %d events, expected %d", (int) SPI_processed, b->n);
	written = palloc(sizeof(OutboxWritten) * Max(b->n, 1));
	for (int i = 0; i < b->n; i++)
	{
		written[i].id = DatumGetInt64(spi_datum(i, id_col, &isnull));
		written[i].occurred_at = DatumGetTimestampTz(spi_datum(i, id_col + 1, &isnull));
	}
	qsort(written, b->n, sizeof(OutboxWritten), outbox_compare_written);
	for (int i = 0; i < b->n; i++)
		outbox_written(b, i, written[i].id, written[i].occurred_at);
	pfree(written);
}

/*
 * maintenance.replay_horizon() RETURNS bigint
 *
 * The highest event id up to which every event is final (header comment).
 * The caller must read the events with a snapshot taken after this returns:
 * maintenance.replay_events() does, in READ COMMITTED.
 */
Datum
maintenance_replay_horizon(PG_FUNCTION_ARGS)
{
	int64		horizon;
	LockData   *locks;

	(void) fcinfo;				/* no arguments */
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot replay events during recovery"),
				 errdetail("A standby cannot see which transactions on the primary are writing events."),
				 errhint("Replay events from the primary server.")));
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot replay events in a transaction with isolation level %s",
						IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("Replay reads the events with a snapshot taken after it has looked at the running writers."),
				 errhint("Replay events in a READ COMMITTED transaction.")));

	SPI_connect();
	horizon = outbox_last_event_id();
	SPI_finish();

	/* Only after the last id: see the header comment. */
	locks = GetLockStatusData();
	for (int i = 0; i < locks->nelements; i++)
	{
		const LOCKTAG *tag = &locks->locks[i].locktag;
		int64		bound;

		if (tag->locktag_type != LOCKTAG_ADVISORY ||
			tag->locktag_field1 != MyDatabaseId ||
			tag->locktag_field4 != EVENT_WRITER_LOCK_SPACE)
			continue;
		bound = (int64) (((uint64) tag->locktag_field2 << 32) |
						 (uint64) tag->locktag_field3);
		if (bound < horizon)
			horizon = bound;
	}

	PG_RETURN_INT64(horizon);
}

/*
 * maintenance.event_retention() RETURNS interval: the setting
 * maintenance.event_retention (calling this loads the library, so the
 * setting is defined and validated).
 */
Datum
maintenance_event_retention(PG_FUNCTION_ARGS)
{
	Interval   *result = (Interval *) palloc0(sizeof(Interval));

	(void) fcinfo;				/* no arguments */
	/* Whole days as days, so that "7d" reads back as '7 days'. */
	result->day = maintenance_event_retention_minutes / (MINS_PER_HOUR * HOURS_PER_DAY);
	result->time = (int64) (maintenance_event_retention_minutes % (MINS_PER_HOUR * HOURS_PER_DAY))
		* USECS_PER_MINUTE;
	PG_RETURN_INTERVAL_P(result);
}
