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
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* status.c: the status machine of SPEC section 3 */
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

/* events.c: the outbox row and the NOTIFY of every event (SPEC section 5) */
extern void emit_signal(const MaintenanceRow *m, const char *action);

/*
 * The events of one write, inserted by one statement (events.c explains the
 * steps).  Everything in it lives in the memory context that was current at
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

extern void event_batch_init(EventBatch *b);
extern void add_signal_event(EventBatch *b, const MaintenanceRow *m, const char *action);
extern void add_hook_event(EventBatch *b, const MaintenanceRow *m, const char *action);
extern void add_notification_events(EventBatch *b, const MaintenanceRow *m, const char *event);
extern void event_batch_args(EventBatch *b, Datum *channels, Datum *names, Datum *payloads);
extern void event_batch_written(EventBatch *b, int i, int64 id, TimestampTz occurred_at);
extern void event_batch_match_result(EventBatch *b, int id_col);
extern void event_batch_notify(EventBatch *b);
extern void event_batch_write(EventBatch *b);

/* write.c: the write path shared by the SQL functions and the transitions */
typedef struct StatusUpdateResult
{
	bool		changed;		/* the status really changed */
	Datum		update_row;		/* maintenance.maintenance_updates */
	Datum		maintenance_row;	/* maintenance.maintenances_with_systems */
} StatusUpdateResult;

/*
 * The columns of a maintenance that its events need, for a query on
 * maintenance.maintenances aliased m, in the order
 * maintenance_row_from_result() reads them: the values of
 * maintenances_with_systems (system ids sorted bytewise).
 */
#define EVENT_ROW_COLUMNS \
	"m.id::pg_catalog.text, m.title, m.description, m.suppress_notifications," \
	" m.status::pg_catalog.text, m.start_at, m.end_at, m.system_ids"

/*
 * The value maintenances.system_ids holds for the text[] parameter
 * arg: its distinct ids sorted bytewise, exactly what the triggers on
 * maintenance_systems compute, so that they find the row right.
 */
#define SORTED_SYSTEM_IDS(arg) \
	"ARRAY(SELECT DISTINCT s COLLATE \"C\" FROM pg_catalog.unnest(" arg ") AS s" \
	" ORDER BY 1)"

extern void maintenance_row_from_result(uint64 row, int first, MaintenanceRow *m,
										MemoryContext cxt);

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
extern void apply_transitions_locked(const pg_uuid_t *ids,
									 const MaintenanceRow *rows, int n,
									 MaintenanceStatus target,
									 const char *message, EventBatch *events);

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
extern int	maintenance_event_retention_minutes;

#endif							/* MAINTENANCE_H */
