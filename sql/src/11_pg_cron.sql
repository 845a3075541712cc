-- 11_pg_cron.sql: pg_cron jobs: transitions every minute, event pruning daily

/* ---------------------------------------------------------------------
 * pg_cron integration
 * ------------------------------------------------------------------ */

-- The pg_cron jobs of the extension (schedule_transitions and
-- schedule_event_pruning, and their unschedule twins, are these with their
-- job's name and command).
CREATE FUNCTION maintenance.schedule_job(job text, schedule text, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    jobid bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('In the database where pg_cron is installed, run: '
                                'SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                job || '-' || current_database(), schedule,
                                -- From another database, DROP EXTENSION
                                -- cannot remove the job: once the extension
                                -- is gone, its command does nothing instead
                                -- of failing every minute.
                                format('DO $job$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_extension'
                                       ' WHERE extname OPERATOR(pg_catalog.=) %L) THEN EXECUTE %L;'
                                       ' END IF; END$job$', 'maintenance', command),
                                current_database());
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
       INTO jobid
      USING job, schedule, command;
    RETURN jobid;
END
$$;

COMMENT ON FUNCTION maintenance.schedule_job(text, text, text) IS
    'internal: (re)schedule the pg_cron job named job in this database';

CREATE FUNCTION maintenance.unschedule_job(job text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    removed boolean := false;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        EXECUTE 'SELECT count(cron.unschedule(jobid)) > 0 FROM cron.job
                  WHERE jobname = $1 AND database = current_database()'
           INTO removed
          USING job;
    END IF;
    RETURN removed;
END
$$;

COMMENT ON FUNCTION maintenance.unschedule_job(text) IS
    'internal: remove the pg_cron job named job of this database, if any';

CREATE FUNCTION maintenance.schedule_transitions(schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.schedule_job('maintenance-transitions', schedule, 'SELECT maintenance.run_transitions()');
END
$$;

COMMENT ON FUNCTION maintenance.schedule_transitions(text) IS
    '(re)schedule the pg_cron job "maintenance-transitions" in this database';

CREATE FUNCTION maintenance.unschedule_transitions()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.unschedule_job('maintenance-transitions');
END
$$;

COMMENT ON FUNCTION maintenance.unschedule_transitions() IS
    'remove the pg_cron job "maintenance-transitions" of this database, if any';

-- DROP EXTENSION must not leave a job behind that fails every minute.  An
-- extension's own sql_drop trigger does not fire for the DROP that removes it,
-- so this trigger only loads the library at the start of the command; the
-- library's object-access hook then removes the job when the extension itself
-- is dropped (src/maintenance.c).
CREATE FUNCTION maintenance.on_ddl_command_start()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'maintenance_on_ddl_command_start';

CREATE EVENT TRIGGER maintenance_drop_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION maintenance.on_ddl_command_start();

-- Not in a restore: a restore of pg_dump output (psql or pg_restore) brings
-- the jobs back with pg_cron's own data (cron.job, a configuration table of
-- pg_cron, loaded after this script has run), and jobs scheduled here too
-- would make that load fail on their ids and names.  pg_dump's scripts and
-- pg_restore run with row_security = off (the setting exists for them), so
-- a session with it off schedules nothing and says so.
DO $$
DECLARE
    hint text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        IF pg_catalog.current_setting('row_security') OPERATOR(pg_catalog.=) 'off' THEN
            PERFORM pg_catalog.set_config('client_min_messages', 'notice', true);
            RAISE NOTICE 'the pg_cron jobs of the extension are not scheduled: row_security is off, as in a restore of pg_dump output'
                USING DETAIL = 'A restore brings the jobs back with pg_cron''s data.',
                      HINT = 'If this is not a restore, run: SELECT maintenance.schedule_transitions(); SELECT maintenance.schedule_event_pruning();';
        ELSE
            PERFORM maintenance.schedule_transitions();
        END IF;
    ELSE
        -- schedule_transitions() refuses, with the statement to run in
        -- pg_cron's database as its HINT: the NOTICE passes it on.
        BEGIN
            PERFORM maintenance.schedule_transitions();
        EXCEPTION WHEN object_not_in_prerequisite_state THEN
            GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
        END;
        -- CREATE EXTENSION raises client_min_messages to WARNING for its
        -- script; this NOTICE is the one the user needs to see.
        PERFORM pg_catalog.set_config('client_min_messages', 'notice', true);
        RAISE NOTICE 'pg_cron is not installed in database "%"; maintenance.run_transitions() is not scheduled', pg_catalog.current_database()
            USING HINT = hint;
    END IF;
END
$$;

CREATE FUNCTION maintenance.schedule_event_pruning(schedule text DEFAULT '17 3 * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.schedule_job('maintenance-prune-events', schedule, 'SELECT maintenance.prune_events()');
END
$$;

COMMENT ON FUNCTION maintenance.schedule_event_pruning(text) IS
    '(re)schedule the pg_cron job "maintenance-prune-events" in this database (daily by default)';

CREATE FUNCTION maintenance.unschedule_event_pruning()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.unschedule_job('maintenance-prune-events');
END
$$;

COMMENT ON FUNCTION maintenance.unschedule_event_pruning() IS
    'remove the pg_cron job "maintenance-prune-events" of this database, if any';

-- Without pg_cron, the NOTICE of the transitions job above already names
-- the missing scheduler; doc/events.md "Consuming events" gives the prune job.
DO $$
BEGIN
    -- not in a restore (see the transitions job above)
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron')
       AND pg_catalog.current_setting('row_security') OPERATOR(pg_catalog.<>) 'off' THEN
        PERFORM maintenance.schedule_event_pruning();
    END IF;
END
$$;
