/* maintenance--0.1.0--0.2.0.sql: from 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.2.0'" to load this file. \quit

/*
 * 0.2.0 keeps each maintenance's sorted system ids in the maintenance's own
 * row (maintenances.system_ids), beside its status, with a GIN index over
 * the maintenances that are still scheduled or in progress.  The reads "which
 * active maintenances affect system X" (get_maintenances_for_system,
 * has_active_maintenance_with_suppression, get_bulk_maintenances_for_systems)
 * then probe that index instead of looking up the status of every past
 * maintenance of the system, and every read of a maintenance gets its system
 * list without a subquery.
 *
 * maintenance_systems stays the table of record (SPEC §2): its triggers keep
 * the column equal to it, whoever writes it.
 *
 * As the install script, everything is schema-qualified, operators included.
 */

-- Added without a default, filled, then given its default and NOT NULL:
-- the catalog ends up as a fresh install's (a default given to ADD COLUMN
-- would stay behind as the column's "missing value").  Every row is
-- written once.
ALTER TABLE maintenance.maintenances ADD COLUMN system_ids text[];

COMMENT ON COLUMN maintenance.maintenances.system_ids IS
    'the ids of maintenance_systems for this maintenance, sorted (COLLATE "C"), kept by triggers on that table';

UPDATE maintenance.maintenances m
   SET system_ids = ARRAY(SELECT s.system_id
                            FROM maintenance.maintenance_systems s
                           WHERE s.maintenance_id OPERATOR(pg_catalog.=) m.id
                           ORDER BY s.system_id COLLATE "C");

ALTER TABLE maintenance.maintenances
    ALTER COLUMN system_ids SET DEFAULT '{}',
    ALTER COLUMN system_ids SET NOT NULL;

-- Holds only the maintenances that can still start or end: the history
-- that grows without end stays out of it.
CREATE INDEX maintenances_active_systems
    ON maintenance.maintenances USING gin (system_ids)
    WHERE status OPERATOR(pg_catalog.=) ANY
          (ARRAY['scheduled', 'in_progress']::maintenance.status[]);

-- Runs as its owner: a role allowed to write maintenance_systems keeps the
-- copy right without a grant on maintenances.
CREATE FUNCTION maintenance.sync_system_ids()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    changed uuid[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE maintenance.maintenances m SET system_ids = '{}'
         WHERE m.system_ids <> '{}';
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT DISTINCT c.maintenance_id FROM sync_new c);
    ELSIF TG_OP = 'DELETE' THEN
        changed := ARRAY(SELECT DISTINCT c.maintenance_id FROM sync_old c);
    ELSE
        changed := ARRAY(SELECT c.maintenance_id FROM sync_new c
                         UNION SELECT c.maintenance_id FROM sync_old c);
    END IF;
    -- Rows whose copy is right already (the write functions and a restore
    -- write both) are left alone: no new row version.
    UPDATE maintenance.maintenances m
       SET system_ids = c.ids
      FROM (SELECT t.id,
                   ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s
                          WHERE s.maintenance_id = t.id
                          ORDER BY s.system_id COLLATE "C") AS ids
              FROM unnest(changed) AS t(id)) AS c
     WHERE m.id = c.id
       AND m.system_ids IS DISTINCT FROM c.ids;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.sync_system_ids() IS
    'trigger: keep maintenances.system_ids equal to the rows of maintenance_systems';

REVOKE ALL ON FUNCTION maintenance.sync_system_ids() FROM PUBLIC;

CREATE TRIGGER maintenance_systems_sync_insert
    AFTER INSERT ON maintenance.maintenance_systems
    REFERENCING NEW TABLE AS sync_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
CREATE TRIGGER maintenance_systems_sync_update
    AFTER UPDATE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS sync_old NEW TABLE AS sync_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
CREATE TRIGGER maintenance_systems_sync_delete
    AFTER DELETE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS sync_old
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
CREATE TRIGGER maintenance_systems_sync_truncate
    AFTER TRUNCATE ON maintenance.maintenance_systems
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();

CREATE OR REPLACE VIEW maintenance.maintenances_with_systems AS
SELECT m.id,
       m.title,
       m.description,
       m.suppress_notifications,
       m.status,
       m.start_at,
       m.end_at,
       m.created_at,
       m.updated_at,
       m.system_ids
  FROM maintenance.maintenances m;

CREATE OR REPLACE FUNCTION maintenance.list_maintenances(
    status maintenance.status DEFAULT NULL,
    system_id text DEFAULT NULL)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT v.*
      FROM maintenance.maintenances_with_systems v
     WHERE (list_maintenances.status IS NULL OR v.status = list_maintenances.status)
       AND (list_maintenances.system_id IS NULL
            OR v.system_ids @> ARRAY[list_maintenances.system_id])
     ORDER BY v.start_at, v.id
$$;

CREATE OR REPLACE FUNCTION maintenance.get_maintenances_for_system(system_id text)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT v.*
      FROM maintenance.maintenances_with_systems v
     WHERE v.system_ids @> ARRAY[get_maintenances_for_system.system_id]
       AND v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
     ORDER BY v.start_at, v.id
$$;

-- One probe of maintenances_active_systems per distinct system asked, in
-- one statement: no round trip per system, and a plan that does not depend
-- on how many systems are asked.
CREATE OR REPLACE FUNCTION maintenance.get_bulk_maintenances_for_systems(system_ids text[])
RETURNS TABLE (system_id text, maintenances maintenance.maintenances_with_systems[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT asked.system_id,
           ARRAY(SELECT v
                   FROM maintenance.maintenances_with_systems v
                  WHERE v.system_ids @> ARRAY[asked.system_id]
                    AND v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
                  ORDER BY v.start_at, v.id)
      FROM (SELECT DISTINCT a.system_id
              FROM unnest(get_bulk_maintenances_for_systems.system_ids) AS a(system_id)
             WHERE a.system_id IS NOT NULL) AS asked
     ORDER BY asked.system_id COLLATE "C"
$$;

CREATE OR REPLACE FUNCTION maintenance.has_active_maintenance_with_suppression(system_id text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM maintenance.maintenances m
         WHERE m.system_ids @> ARRAY[has_active_maintenance_with_suppression.system_id]
           AND m.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
           AND m.status = 'in_progress'
           AND m.suppress_notifications)
$$;

-- Errors of the write functions name the JSON fields (endAt, not end_at)
-- when called by rpc(); the setting is new in this version's library.
ALTER FUNCTION maintenance.rpc(text, jsonb) SET maintenance.argument_names = json;

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
                                command, current_database());
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

REVOKE ALL ON FUNCTION maintenance.schedule_job(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION maintenance.unschedule_job(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION maintenance.schedule_transitions(schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.schedule_job('maintenance-transitions', schedule, 'SELECT maintenance.run_transitions()');
END
$$;

CREATE OR REPLACE FUNCTION maintenance.unschedule_transitions()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.unschedule_job('maintenance-transitions');
END
$$;

CREATE OR REPLACE FUNCTION maintenance.schedule_event_pruning(schedule text DEFAULT '17 3 * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.schedule_job('maintenance-prune-events', schedule, 'SELECT maintenance.prune_events()');
END
$$;

CREATE OR REPLACE FUNCTION maintenance.unschedule_event_pruning()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.unschedule_job('maintenance-prune-events');
END
$$;
