/* maintenance--0.2.0--0.3.0.sql: from 0.2.0 to 0.3.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.3.0'" to load this file. \quit

/*
 * 0.3.0:
 * - list_maintenances(system_id => ...) finds the system's maintenances
 *   through the index of maintenance_systems instead of reading every
 *   maintenance ever written;
 * - the statement the extension gives for scheduling a job from pg_cron's
 *   database, when pg_cron is elsewhere, schedules a command that does
 *   nothing once the extension is dropped (DROP EXTENSION cannot reach that
 *   job), instead of one that fails every minute.
 * Same signatures, results, privileges and comments; only bodies change
 * (CREATE OR REPLACE keeps the grants and comments).
 */

CREATE OR REPLACE FUNCTION maintenance.list_maintenances(
    status maintenance.status DEFAULT NULL,
    system_id text DEFAULT NULL)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    -- One query per filter, so that each can use its index: a system's
    -- maintenances through maintenance_systems (system_id, maintenance_id),
    -- not a scan of the whole history.
    IF list_maintenances.system_id IS NULL THEN
        RETURN QUERY
            SELECT v.*
              FROM maintenance.maintenances_with_systems v
             WHERE list_maintenances.status IS NULL OR v.status = list_maintenances.status
             ORDER BY v.start_at, v.id;
    ELSE
        RETURN QUERY
            SELECT v.*
              FROM maintenance.maintenances_with_systems v
             WHERE v.id IN (SELECT s.maintenance_id
                              FROM maintenance.maintenance_systems s
                             WHERE s.system_id = list_maintenances.system_id)
               AND (list_maintenances.status IS NULL OR v.status = list_maintenances.status)
             ORDER BY v.start_at, v.id;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION maintenance.schedule_job(job text, schedule text, command text)
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
