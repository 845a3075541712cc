/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  Library entry point: settings, and the removal of the pg_cron job when
 *	  the extension is dropped.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"
#include "series.h"

#include "catalog/objectaccess.h"
#include "catalog/pg_extension.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(maintenance_on_ddl_command_start);

/* maintenance.actor: the default author of updates */
char	   *maintenance_actor = NULL;

/* maintenance.event_retention: how long maintenance.prune_events() keeps events */
int			maintenance_event_retention_minutes = 7 * 24 * 60;

/* maintenance.argument_names: how errors of the write functions name arguments */
int			maintenance_argument_names = ARGUMENT_NAMES_SQL;

/* maintenance.notify_payload: what NOTIFY sends of each event */
int			maintenance_notify_payload = NOTIFY_PAYLOAD_FULL;

static const struct config_enum_entry notify_payload_options[] = {
	{"full", NOTIFY_PAYLOAD_FULL, false},
	{"id", NOTIFY_PAYLOAD_ID, false},
	{NULL, 0, false}
};

static const struct config_enum_entry argument_names_options[] = {
	{"sql", ARGUMENT_NAMES_SQL, false},
	{"json", ARGUMENT_NAMES_JSON, false},
	{NULL, 0, false}
};

static object_access_hook_type prev_object_access_hook = NULL;

void		_PG_init(void);

/* maintenance.actor is an author: at most MAX_AUTHOR_BYTES (limits.c). */
static bool
maintenance_check_actor(char **newval, void **extra, GucSource source)
{
	(void) extra;
	(void) source;
	if (*newval != NULL && strlen(*newval) > MAX_AUTHOR_BYTES)
	{
		GUC_check_errdetail("\"maintenance.actor\" must not be longer than %d bytes.",
							MAX_AUTHOR_BYTES);
		return false;
	}
	return true;
}

/*
 * Unschedule this database's pg_cron jobs of the extension
 * ("maintenance-transitions" and "maintenance-prune-events"), if pg_cron is
 * installed here and has them.
 */
static void
maintenance_unschedule_cron_jobs(void)
{
	int			rc;

	if (!OidIsValid(get_extension_oid("pg_cron", true)))
	{
		const char *dbname = get_database_name(MyDatabaseId);

		/*
		 * A job scheduled from pg_cron's database is out of reach here.  The
		 * hint is a statement to paste: the job name is quoted as a literal,
		 * whatever the database is called.
		 */
		ereport(NOTICE,
				(errmsg("pg_cron is not installed in database \"%s\"; a transitions job scheduled from another database is not removed",
						dbname),
				 errhint("In the database where pg_cron is installed, run: SELECT cron.unschedule(%s);",
						 quote_literal_cstr(psprintf("maintenance-transitions-%s", dbname)))));
		return;
	}

	SPI_connect();
	rc = SPI_execute("SELECT cron.unschedule(j.jobid) FROM cron.job j"
					 " WHERE j.jobname OPERATOR(pg_catalog.=) ANY"
					 " (ARRAY['maintenance-transitions', 'maintenance-prune-events']::pg_catalog.text[])"
					 " AND j.database OPERATOR(pg_catalog.=) pg_catalog.current_database()",
					 false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not unschedule the pg_cron jobs: %s",
			 SPI_result_code_string(rc));
	SPI_finish();
}

/* Catch the drop of this extension, however it comes (DROP EXTENSION,
 * DROP SCHEMA ... CASCADE, DROP OWNED), while its objects still exist. */
static void
maintenance_object_access(ObjectAccessType access, Oid classId, Oid objectId,
						  int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (classId != ExtensionRelationId)
		return;

	/*
	 * CREATE EXTENSION (of any extension: the new row is not visible yet to
	 * look its name up) or ALTER EXTENSION: a listed database may now be
	 * ready for its worker, or a waiting worker for its tables.
	 */
	if (access == OAT_POST_CREATE || access == OAT_POST_ALTER)
		launcher_wake_on_commit();
	else if (access == OAT_DROP &&
			 objectId == get_extension_oid("maintenance", true))
		maintenance_unschedule_cron_jobs();
}

/*
 * Event trigger at the start of the commands that can drop the extension.
 * Calling it loads this library, and so installs the object-access hook
 * above; there is nothing else to do.
 */
Datum
maintenance_on_ddl_command_start(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"maintenance.on_ddl_command_start\" must be called as an event trigger")));
	PG_RETURN_NULL();
}

/* The server's loader calls it by name: no caller in our code. */
void
_PG_init(void)					/* cppcheck-suppress unusedFunction */
{
	DefineCustomStringVariable("maintenance.actor",
							   "Author recorded on updates written without an explicit author.",
							   "An application can SET LOCAL it once per request.",
							   &maintenance_actor,
							   "",
							   PGC_USERSET,
							   0,
							   maintenance_check_actor, NULL, NULL);
	DefineCustomIntVariable("maintenance.event_retention",
							"How long maintenance.prune_events() keeps events.",
							"Used when prune_events() is called without a retention, as the daily pg_cron job does.",
							&maintenance_event_retention_minutes,
							7 * 24 * 60,
							1,
							INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MIN,
							NULL, NULL, NULL);
	DefineCustomEnumVariable("maintenance.argument_names",
							 "How errors of the write functions name the arguments they refuse.",
							 "sql: as the SQL functions' parameters (end_at); json: as maintenance.rpc()'s fields (endAt). maintenance.rpc() sets json for its own calls.",
							 &maintenance_argument_names,
							 ARGUMENT_NAMES_SQL,
							 argument_names_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("maintenance.notify_payload",
							 "What the NOTIFY of each event carries.",
							 "full: the whole envelope when it fits; id: only its id, channel, name and time, for roles with the privileges of maintenance.replay_events() or get_event() to read the payload.",
							 &maintenance_notify_payload,
							 NOTIFY_PAYLOAD_FULL,
							 notify_payload_options,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	/* maintenance.series_horizon */
	series_init();
	/* maintenance.worker_databases; the launcher when preloaded */
	worker_init();
	MarkGUCPrefixReserved("maintenance");

	prev_object_access_hook = object_access_hook;
	object_access_hook = maintenance_object_access;
}
