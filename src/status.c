/*-------------------------------------------------------------------------
 *
 * status.c
 *	  The status machine of a maintenance (doc/api.md "Status machine").
 *
 *	  scheduled -> in_progress -> completed
 *	  scheduled -> completed (closed before it started)
 *	  scheduled, in_progress -> cancelled
 *	  completed and cancelled are final.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

static const char *const status_names[] = {
	[MAINTENANCE_SCHEDULED] = "scheduled",
	[MAINTENANCE_IN_PROGRESS] = "in_progress",
	[MAINTENANCE_COMPLETED] = "completed",
	[MAINTENANCE_CANCELLED] = "cancelled",
};

const char *
status_name(MaintenanceStatus status)
{
	return status_names[status];
}

/* The enum's labels come from our own type, so anything else is a bug. */
MaintenanceStatus
status_from_name(const char *name)
{
	for (int i = 0; i < (int) lengthof(status_names); i++)
	{
		if (strcmp(name, status_names[i]) == 0)
			return (MaintenanceStatus) i;
	}
	elog(ERROR, "unrecognized maintenance status \"%s\"", name);
	pg_unreachable();
}

bool
status_change_allowed(MaintenanceStatus from, MaintenanceStatus to)
{
	switch (from)
	{
		case MAINTENANCE_SCHEDULED:
			return to == MAINTENANCE_IN_PROGRESS ||
				to == MAINTENANCE_COMPLETED ||
				to == MAINTENANCE_CANCELLED;
		case MAINTENANCE_IN_PROGRESS:
			return to == MAINTENANCE_COMPLETED ||
				to == MAINTENANCE_CANCELLED;
		case MAINTENANCE_COMPLETED:
		case MAINTENANCE_CANCELLED:
			return false;
	}
	return false;
}

/* completed and cancelled: no status change leaves them */
bool
status_is_final(MaintenanceStatus status)
{
	return status == MAINTENANCE_COMPLETED || status == MAINTENANCE_CANCELLED;
}
