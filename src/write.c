/*-------------------------------------------------------------------------
 *
 * write.c
 *	  The writes of a maintenance: create, update and delete.
 *
 *	  Every write checks its input first (write_check.c), locks the
 *	  maintenance it changes, writes, reads the maintenance back and emits its
 *	  events (payload.c, outbox.c), all in the caller's transaction; the
 *	  statements are store.c's.  Status changes (add_update, close, the
 *	  transition sweep) are status_update.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(maintenance_create);
PG_FUNCTION_INFO_V1(maintenance_update);
PG_FUNCTION_INFO_V1(maintenance_delete);

/* ----------------------------------------------------------------------
 * A finished maintenance: its record can be corrected, not changed
 * ---------------------------------------------------------------------- */

static void
write_refuse_final_change(const MaintenanceRow *m, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot change \"%s\" of maintenance \"%s\": it is \"%s\"",
					write_arg_name(name), m->id, status_name(m->status)),
			 errdetail("Only the title and the description of a maintenance that is \"%s\" can change.",
					   status_name(m->status))));
}

/*
 * Compare system_ids (checked, maybe with duplicates) with the distinct,
 * sorted ids m has: *added when it holds an id m does not have, *removed
 * when m has an id it does not hold.
 */
static void
write_compare_systems(ArrayType *system_ids, const MaintenanceRow *m,
					  bool *added, bool *removed)
{
	Datum	   *elems;
	int			n;
	int			have = 0;
	char	  **ids;

	deconstruct_array(system_ids, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, NULL, &n);
	ids = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		ids[i] = TextDatumGetCString(elems[i]);
	/* byte order, as maintenances.system_ids is sorted (COLLATE "C") */
	qsort(ids, n, sizeof(char *), pg_qsort_strcmp);
	*added = false;
	*removed = false;
	for (int i = 0; i < n; i++)
	{
		int			cmp = 1;

		if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
			continue;
		/* m's ids before this one are not in system_ids */
		while (have < m->nsystems &&
			   (cmp = strcmp(ids[i], m->system_ids[have])) > 0)
		{
			*removed = true;
			have++;
		}
		if (have < m->nsystems && cmp == 0)
			have++;
		else
			*added = true;
	}
	if (have < m->nsystems)
		*removed = true;
}

/* Whether system_ids holds exactly the ids of m. */
static bool
write_same_systems(ArrayType *system_ids, const MaintenanceRow *m)
{
	bool		added;
	bool		removed;

	write_compare_systems(system_ids, m, &added, &removed);
	return !added && !removed;
}

/*
 * Write the systems of update_maintenance to maintenance_systems, m being
 * the maintenance before the update.  Each statement on that table costs
 * a run of its statement triggers (store.c): ids that stay need none, ids
 * only added or only removed one statement.
 */
static void
write_update_systems(Datum id, Datum system_ids, const MaintenanceRow *m)
{
	bool		added;
	bool		removed;

	write_compare_systems(DatumGetArrayTypeP(system_ids), m, &added, &removed);
	if (added && removed)
		store_replace_systems(id, system_ids);
	else if (added)
		store_insert_systems(id, system_ids);
	else if (removed)
		store_remove_systems(id, system_ids);
}

/*
 * update_maintenance of a completed or cancelled maintenance m: its title
 * and description can be corrected; suppress_notifications, start_at,
 * end_at, system_ids and reminders are refused with 55000, unless given
 * the value they have (no change).
 */
static void
write_check_final_unchanged(FunctionCallInfo fcinfo, const MaintenanceRow *m)
{
	if (!PG_ARGISNULL(3) && PG_GETARG_BOOL(3) != m->suppress_notifications)
		write_refuse_final_change(m, "suppress_notifications");
	if (!PG_ARGISNULL(4) && PG_GETARG_TIMESTAMPTZ(4) != m->start_at)
		write_refuse_final_change(m, "start_at");
	if (!PG_ARGISNULL(5) && PG_GETARG_TIMESTAMPTZ(5) != m->end_at)
		write_refuse_final_change(m, "end_at");
	if (!PG_ARGISNULL(6) && !write_same_systems(PG_GETARG_ARRAYTYPE_P(6), m))
		write_refuse_final_change(m, "system_ids");
	if (!PG_ARGISNULL(8) &&
		!store_same_reminders(PG_GETARG_DATUM(0), PG_GETARG_DATUM(8)))
		write_refuse_final_change(m, "reminders");
}

/* ----------------------------------------------------------------------
 * SQL-callable functions
 * ---------------------------------------------------------------------- */

/*
 * Write a new maintenance from checked values (those of store_insert()),
 * with the events of createMaintenance; *row, when given, gets it as
 * maintenances_with_systems.  The caller is connected to SPI.  The write
 * path of create_maintenance() and of the occurrences of series.
 */
void
write_create_checked(const Datum *values, const bool *nulls, Datum *row)
{
	Datum		id;
	MaintenanceRow m;
	EventBatch	events;

	event_batch_init(&events);
	id = store_insert(values, nulls);
	/* a new maintenance has no systems yet: nothing to remove */
	store_insert_systems(id, values[5]);

	store_load(id, &m, row);
	payload_add_signal(&events, &m, "created");
	payload_add_hook(&events, &m, NULL);
	payload_add_notifications(&events, &m, "created");
	event_batch_write(&events);
	/* a new deadline: the worker looks again at commit */
	worker_wake_on_commit();
}

/*
 * maintenance.create_maintenance(title, start_at, end_at, system_ids,
 *								  description, suppress_notifications,
 *								  reminders)
 */
Datum
maintenance_create(PG_FUNCTION_ARGS)
{
	char	   *title = write_required_text(fcinfo, 0, "title", MAX_TITLE_BYTES);
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, true, true};
	Datum		row;

	check_extension_version();
	write_require_arg(fcinfo, 1, "start_at");
	write_require_arg(fcinfo, 2, "end_at");
	write_require_arg(fcinfo, 3, "system_ids");
	write_check_window(PG_GETARG_TIMESTAMPTZ(1), PG_GETARG_TIMESTAMPTZ(2));
	write_check_system_ids(PG_GETARG_ARRAYTYPE_P(3));
	write_check_size(fcinfo, 4, "description", MAX_DESCRIPTION_BYTES);

	values[0] = CStringGetTextDatum(title);
	nulls[1] = PG_ARGISNULL(4);
	values[1] = nulls[1] ? (Datum) 0 : PG_GETARG_DATUM(4);
	values[2] = BoolGetDatum(PG_ARGISNULL(5) ? false : PG_GETARG_BOOL(5));
	values[3] = PG_GETARG_DATUM(1);
	values[4] = PG_GETARG_DATUM(2);
	values[5] = PG_GETARG_DATUM(3);
	/* a null means none, as the default '{}' does */
	values[6] = PG_ARGISNULL(6) ?
		PointerGetDatum(construct_empty_array(INTERVALOID)) :
		reminders_checked(PG_GETARG_ARRAYTYPE_P(6));
	values[7] = (Datum) 0;
	values[8] = (Datum) 0;

	SPI_connect();
	write_create_checked(values, nulls, &row);
	SPI_finish();

	PG_RETURN_DATUM(row);
}

/*
 * maintenance.update_maintenance(id, title, description,
 *								  suppress_notifications, start_at, end_at,
 *								  system_ids, clear_description, reminders)
 *
 * Null arguments leave their column as it is; clear_description sets the
 * description to null.
 */
Datum
maintenance_update(PG_FUNCTION_ARGS)
{
	Datum		id;
	bool		clear_description;
	TimestampTz start_at;
	TimestampTz end_at;
	Datum		values[9];
	bool		nulls[9];
	Datum		row;
	MaintenanceRow current;
	MaintenanceRow m;
	EventBatch	events;

	check_extension_version();
	write_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);
	write_check_size(fcinfo, 1, "title", MAX_TITLE_BYTES);
	if (!PG_ARGISNULL(1))
		write_check_not_blank(text_to_cstring(PG_GETARG_TEXT_PP(1)), "title");
	write_check_size(fcinfo, 2, "description", MAX_DESCRIPTION_BYTES);
	clear_description = !PG_ARGISNULL(7) && PG_GETARG_BOOL(7);
	if (clear_description && !PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" and \"%s\" cannot both be given",
						write_arg_name("description"), write_arg_name("clear_description"))));
	if (!PG_ARGISNULL(6))
		write_check_system_ids(PG_GETARG_ARRAYTYPE_P(6));
	if (!PG_ARGISNULL(8))
		(void) reminders_checked(PG_GETARG_ARRAYTYPE_P(8));

	event_batch_init(&events);
	SPI_connect();
	if (!store_lock_read(id, &current, CurrentMemoryContext))
		write_raise_not_found(id);
	if (status_is_final(current.status))
		write_check_final_unchanged(fcinfo, &current);
	start_at = PG_ARGISNULL(4) ? current.start_at : PG_GETARG_TIMESTAMPTZ(4);
	end_at = PG_ARGISNULL(5) ? current.end_at : PG_GETARG_TIMESTAMPTZ(5);
	write_check_window(start_at, end_at);

	values[0] = id;
	values[1] = PG_GETARG_DATUM(1);
	values[2] = BoolGetDatum(clear_description);
	values[3] = PG_GETARG_DATUM(2);
	values[4] = PG_GETARG_DATUM(3);
	values[5] = TimestampTzGetDatum(start_at);
	values[6] = TimestampTzGetDatum(end_at);
	values[7] = PG_GETARG_DATUM(6);
	values[8] = PG_GETARG_DATUM(8);
	nulls[0] = false;
	nulls[1] = PG_ARGISNULL(1);
	nulls[2] = false;
	nulls[3] = PG_ARGISNULL(2);
	nulls[4] = PG_ARGISNULL(3);
	nulls[5] = false;
	nulls[6] = false;
	nulls[7] = PG_ARGISNULL(6);
	nulls[8] = PG_ARGISNULL(8);
	store_update(values, nulls);
	if (!PG_ARGISNULL(6))
		write_update_systems(id, PG_GETARG_DATUM(6), &current);

	store_load(id, &m, &row);
	payload_add_signal(&events, &m, "updated");
	payload_add_hook(&events, &m, "updated");
	event_batch_write(&events);
	SPI_finish();
	/* start_at or end_at may have moved */
	worker_wake_on_commit();

	PG_RETURN_DATUM(row);
}


/*
 * maintenance.delete_maintenance(id) RETURNS boolean
 *
 * False when there is no such maintenance (the JSON API answers
 * {"success": false}).
 */
Datum
maintenance_delete(PG_FUNCTION_ARGS)
{
	Datum		id;
	MaintenanceRow m;
	EventBatch	events;

	check_extension_version();
	write_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);

	event_batch_init(&events);
	SPI_connect();
	if (!store_lock_for_delete(id))
	{
		SPI_finish();
		PG_RETURN_BOOL(false);
	}
	/* the signal names the systems the maintenance had */
	store_load(id, &m, NULL);
	store_delete(id);
	payload_add_signal(&events, &m, "closed");
	event_batch_write(&events);
	SPI_finish();

	PG_RETURN_BOOL(true);
}
