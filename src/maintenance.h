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
extern void emit_hook(const MaintenanceRow *m, const char *action);
extern void emit_notifications(const MaintenanceRow *m, const char *event);

/* write.c: the write path shared by the SQL functions and the transitions */
typedef struct StatusUpdateResult
{
	bool		changed;		/* the status really changed */
	Datum		update_row;		/* maintenance.maintenance_updates */
	Datum		maintenance_row;	/* maintenance.maintenances_with_systems */
} StatusUpdateResult;

extern void apply_status_update(Datum id, const char *message,
								const MaintenanceStatus *requested,
								const char *created_by, bool want_rows,
								StatusUpdateResult *result);

/* maintenance.c */
extern char *maintenance_actor;
extern int	maintenance_event_retention_minutes;

#endif							/* MAINTENANCE_H */
