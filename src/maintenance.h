/*-------------------------------------------------------------------------
 *
 * maintenance.h
 *	  What the C files of the maintenance extension share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MAINTENANCE_H
#define MAINTENANCE_H

#include "postgres.h"

#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* status.c: the status machine (doc/api.md "Status machine") */
typedef enum MaintenanceStatus
{
	MAINTENANCE_SCHEDULED,
	MAINTENANCE_IN_PROGRESS,
	MAINTENANCE_COMPLETED,
	MAINTENANCE_CANCELLED
} MaintenanceStatus;

extern const char *status_name(MaintenanceStatus status);
extern MaintenanceStatus status_from_name(const char *name);
extern bool status_change_allowed(MaintenanceStatus from, MaintenanceStatus to);
extern bool status_is_final(MaintenanceStatus status);

/*
 * limits.c: the size of every input (doc/security.md "Limits"), one place for all
 * of them.  Text is measured in bytes (of the database encoding), arrays
 * in elements as given.
 */
#define MAX_TITLE_BYTES			4096
#define MAX_DESCRIPTION_BYTES	(1024 * 1024)
#define MAX_MESSAGE_BYTES		(1024 * 1024)
#define MAX_AUTHOR_BYTES		1024	/* created_by, maintenance.actor */
#define MAX_SYSTEM_ID_BYTES		1024
#define MAX_SYSTEMS				1000	/* system_ids of one maintenance */
#define MAX_CONSUMER_NAME_BYTES	1024
#define MAX_BULK_SYSTEM_IDS		10000	/* get_bulk_maintenances_for_systems */
#define MAX_REMINDERS			10		/* reminders of one maintenance */

extern void limit_check_text(Datum value, const char *argument, int max_bytes);
extern void limit_check_system_ids(int n, const Datum *elems, const bool *nulls);
extern void limit_check_bulk_system_ids(struct ArrayType *ids, const char *argument);
extern void limit_check_reminders(int n);

/*
 * A maintenance as the write path and the events see it, read back after a
 * write.  Strings are palloc'd in the caller's context.
 */
typedef struct MaintenanceRow
{
	char	   *id;				/* uuid as text */
	char	   *title;
	char	   *description;	/* NULL when there is none */
	bool		suppress_notifications;
	MaintenanceStatus status;
	TimestampTz start_at;
	TimestampTz end_at;
	int			nsystems;
	char	  **system_ids;		/* sorted by byte order */
} MaintenanceRow;

/* spi_util.c: cached plans and small SPI helpers */
extern SPIPlanPtr cached_plan(SPIPlanPtr *slot, const char *sql,
							  int nargs, const Oid *argtypes);
extern void run_plan(SPIPlanPtr plan, const Datum *values, const bool *isnull,
					 bool read_only, int expected);
extern char *spi_text(int row, int col);
extern Datum uuid_array(const pg_uuid_t *ids, int n);
extern Datum spi_datum(int row, int col, bool *isnull);

/* json.c: JSON text with PostgreSQL's own string escaping */
typedef struct JsonBuilder
{
	StringInfo	buf;
	bool		first;			/* no member written yet at this level */
} JsonBuilder;

extern void json_begin_object(JsonBuilder *jb, StringInfo buf);
extern void json_end_object(JsonBuilder *jb);
extern void json_add_string(JsonBuilder *jb, const char *key, const char *value);
extern void json_add_bool(JsonBuilder *jb, const char *key, bool value);
extern void json_add_int64(JsonBuilder *jb, const char *key, int64 value);
extern void json_add_time(JsonBuilder *jb, const char *key, TimestampTz value);
extern void json_add_string_array(JsonBuilder *jb, const char *key,
								  int n, char *const *values);
extern void json_add_raw(JsonBuilder *jb, const char *key, const char *json);
extern void append_iso_time(StringInfo buf, TimestampTz ts);

/*
 * outbox.c: the events of one write, inserted by one statement, then
 * NOTIFYed (outbox.c explains the steps and the replay horizon).
 * Everything in it lives in the memory context that was current at
 * event_batch_init().
 */
typedef struct EventBatch
{
	MemoryContext cxt;
	int			n;
	int			cap;
	const char **channels;
	const char **names;
	char	  **payloads;		/* JSON text */
	char	  **envelopes;		/* NOTIFY payloads, once written */
} EventBatch;

/*
 * The outbox INSERT of a batch's events, for a WITH clause of the
 * statement that writes them: the text[] parameters channels, names and
 * payloads (event_batch_args()), ids taken in the order of the arrays.
 * Returns (id, occurred_at) per event, for event_batch_match_result().
 */
#define OUTBOX_INSERT_SQL(channels, names, payloads) \
	"INSERT INTO maintenance.events (channel, name, payload)" \
	" SELECT e.channel, e.name, e.payload::pg_catalog.jsonb" \
	" FROM ROWS FROM (pg_catalog.unnest(" channels "), pg_catalog.unnest(" names ")," \
	" pg_catalog.unnest(" payloads ")) WITH ORDINALITY AS e(channel, name, payload, ord)" \
	" ORDER BY e.ord" \
	" RETURNING id, occurred_at"

extern void event_batch_init(EventBatch *b);
extern void event_batch_add(EventBatch *b, const char *channel, const char *name,
							StringInfo payload);
extern void event_batch_args(EventBatch *b, Datum *channels, Datum *names, Datum *payloads);
extern void event_batch_match_result(EventBatch *b, int id_col);
extern void event_batch_notify(EventBatch *b);
extern void event_batch_write(EventBatch *b);

/* payload.c: the JSON of each event, and the envelope NOTIFY and replay send */
typedef struct EventEnvelope
{
	bool		id_null;
	int64		id;
	const char *channel;		/* NULL: JSON null, as every pointer here */
	const char *name;
	bool		occurred_at_null;
	TimestampTz occurred_at;
	const char *payload;		/* JSON text */
} EventEnvelope;

extern void payload_add_signal(EventBatch *b, const MaintenanceRow *m, const char *action);
extern void payload_add_hook(EventBatch *b, const MaintenanceRow *m, const char *action);
extern void payload_add_notifications(EventBatch *b, const MaintenanceRow *m, const char *event);
extern void payload_add_reminders(EventBatch *b, const MaintenanceRow *m,
								  const char *lead_words, const char *lead_iso);
extern void payload_add_status_change(EventBatch *b, const MaintenanceRow *m,
									  const char *action, bool changed);
extern char *payload_envelope(const EventEnvelope *e, int limit);
extern char *payload_envelope_id_only(const EventEnvelope *e);

/*
 * The value maintenances.system_ids (and series.system_ids) hold for the
 * text[] parameter arg: its distinct ids sorted bytewise, exactly what the
 * triggers on maintenance_systems compute, so that they find the row right.
 */
#define STORE_SORTED_SYSTEM_IDS(arg) \
	"ARRAY(SELECT DISTINCT s COLLATE \"C\" FROM pg_catalog.unnest(" arg ") AS s" \
	" ORDER BY 1)"

/*
 * store.c: every statement on the extension's tables, each prepared once.
 * The caller is connected to SPI.
 */
extern bool store_lock_for_delete(Datum id);
extern bool store_lock_read(Datum id, MaintenanceRow *m, MemoryContext cxt);
extern void store_load(Datum id, MaintenanceRow *m, Datum *row);
extern Datum store_insert(const Datum *values, const bool *nulls);
extern void store_update(const Datum *values, const bool *nulls);
extern void store_insert_systems(Datum id, Datum system_ids);
extern void store_remove_systems(Datum id, Datum system_ids);
extern void store_replace_systems(Datum id, Datum system_ids);
extern void store_delete(Datum id);
extern int64 store_write_status(const MaintenanceStatus *target, Datum ids,
								const char *message, const char *created_by,
								EventBatch *events, Datum *update_row);
extern int	store_claim_due(MaintenanceStatus from, TimestampTz as_of,
							TimestampTz *last_time, pg_uuid_t *last_id,
							int limit, pg_uuid_t **ids, MaintenanceRow **rows,
							MemoryContext cxt);
extern bool store_next_deadline(TimestampTz as_of, TimestampTz *next);
extern bool store_same_reminders(Datum id, Datum reminders);

/* A reminder due to be sent, claimed by store_claim_reminders() */
typedef struct DueReminder
{
	pg_uuid_t	maintenance_id;
	TimestampTz remind_at;
	Interval	remind_before;
	MaintenanceRow m;			/* m.start_at is the start it reminds of */
} DueReminder;

extern void store_drop_stale_reminders(TimestampTz as_of);
extern int	store_claim_reminders(TimestampTz as_of, DueReminder *last, int limit,
								  DueReminder **due, MemoryContext cxt);
extern int64 store_mark_reminders_sent(const DueReminder *due, int n,
									   EventBatch *events);

/* status_update.c: status changes, shared by the SQL functions and the transitions */
typedef struct StatusUpdateResult
{
	bool		changed;		/* the status really changed */
	Datum		update_row;		/* maintenance.maintenance_updates */
	Datum		maintenance_row;	/* maintenance.maintenances_with_systems */
} StatusUpdateResult;

/* which rows apply_status_update() returns */
#define WANT_UPDATE_ROW			0x01
#define WANT_MAINTENANCE_ROW	0x02

extern void apply_status_update(Datum id, const char *message,
								const MaintenanceStatus *requested,
								const char *created_by, int want,
								EventBatch *notify_later,
								StatusUpdateResult *result);
extern void apply_status_update_locked(Datum id, const MaintenanceRow *locked,
									   const char *message,
									   const MaintenanceStatus *requested,
									   const char *created_by, int want,
									   EventBatch *notify_later,
									   StatusUpdateResult *result);
extern void refuse_status_change(Datum id, MaintenanceStatus current,
								 MaintenanceStatus requested);

/* write_check.c: the checks of the writes' input, the errors they share */
extern const char *write_arg_name(const char *sql_name);
extern void write_require_arg(FunctionCallInfo fcinfo, int argno, const char *name);
extern void write_check_not_blank(const char *value, const char *name);
extern void write_check_size(FunctionCallInfo fcinfo, int argno, const char *name,
							 int max_bytes);
extern char *write_required_text(FunctionCallInfo fcinfo, int argno, const char *name,
								 int max_bytes);
extern char *write_optional_text(FunctionCallInfo fcinfo, int argno, const char *name,
								 int max_bytes);
extern void write_check_window(TimestampTz start_at, TimestampTz end_at);
extern void write_check_system_ids(ArrayType *array);
extern char *write_resolve_actor(char *created_by);
extern char *write_uuid_text(Datum id);
extern void write_raise_not_found(Datum id) pg_attribute_noreturn();

/* write.c: create, update and delete; an occurrence of a series is created too */
extern void write_create_checked(const Datum *values, const bool *nulls, Datum *row);

/*
 * transitions.c: a write of the sweep (a transition, reminders, the
 * occurrences of a series) in a subtransaction of its own; NULL
 * when it committed (its events then NOTIFYed), else its error, with
 * nothing written or queued.
 */
typedef void (*SweepWrite) (void *arg, EventBatch *events);
extern ErrorData *sweep_write_in_subtransaction(SweepWrite write, void *arg);

/* reads.c: the one-row reads in C, by direct index scans */
extern bool reads_maintenance(Datum id, Oid view_type, Datum *row);
extern void reads_timeline(Datum id, void (*each) (TupleTableSlot *slot, void *arg),
						   void *arg);
extern bool reads_suppressed(Datum system_id);

/* reminders.c: the leads of a maintenance (doc/scheduling.md "Reminders") */
extern Datum reminders_checked(ArrayType *reminders);
extern char *reminders_duration_iso(const Interval *d);
extern void reminders_sweep(TimestampTz as_of, int32 *reminded, int32 *failed);

/* worker_shared.c: the optional background worker (launcher.c, worker.c) */
extern char *maintenance_worker_databases;
extern void worker_init(void);
extern void worker_wake_on_commit(void);
extern void launcher_wake_on_commit(void);

/* version.c: the library serves the extension at its own version only */
extern char *extension_installed_version(void);
extern void check_extension_version(void);

/* maintenance.c */
extern char *maintenance_actor;

/* maintenance.argument_names */
typedef enum ArgumentNames
{
	ARGUMENT_NAMES_SQL,			/* end_at */
	ARGUMENT_NAMES_JSON			/* endAt */
} ArgumentNames;
extern int	maintenance_argument_names;

/* maintenance.notify_payload */
typedef enum NotifyPayload
{
	NOTIFY_PAYLOAD_FULL,		/* the envelope, truncated when too large */
	NOTIFY_PAYLOAD_ID			/* {id, channel, name, occurredAt} only */
} NotifyPayload;
extern int	maintenance_notify_payload;
extern int	maintenance_event_retention_minutes;

#endif							/* MAINTENANCE_H */
