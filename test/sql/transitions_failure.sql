-- run_transitions(): one maintenance that fails (here a trigger a user
-- added raises) is logged as a WARNING naming it, counted in "failed", and
-- rolled back alone: the others still move and the run goes on.
CREATE EXTENSION maintenance;
SET timezone = 'UTC';

-- The maintenances that fail get fixed ids, so that the WARNING that names
-- them is deterministic; they are written straight into the tables.
INSERT INTO maintenance.maintenances (id, title, start_at, end_at)
VALUES ('00000000-0000-4000-8000-00000000000a', 'refused', '2100-06-01 10:00+00', '2100-06-01 14:00+00'),
       ('00000000-0000-4000-8000-00000000000b', 'refused to complete', '2100-06-01 08:30+00', '2100-06-01 09:30+00');
INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
VALUES ('00000000-0000-4000-8000-00000000000a', 'web'),
       ('00000000-0000-4000-8000-00000000000b', 'web');
-- The others around them in the sweep's order (start_at, then id).
SELECT count(*) FROM (
  SELECT maintenance.create_maintenance('before', '2100-06-01 09:00+00', '2100-06-01 15:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('after', '2100-06-01 11:00+00', '2100-06-01 15:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('same start', '2100-06-01 10:00+00', '2100-06-01 15:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('both', '2100-06-01 08:00+00', '2100-06-01 09:00+00', ARRAY['web'])
) created;

CREATE FUNCTION public.refuse_some() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'refused'
       OR (NEW.title = 'refused to complete' AND NEW.status = 'completed') THEN
        RAISE EXCEPTION 'refused by a user trigger'
            USING ERRCODE = 'check_violation', DETAIL = 'Title is ' || NEW.title || '.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse_some BEFORE UPDATE ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION public.refuse_some();

CREATE TEMP VIEW statuses AS
SELECT m.title, m.status,
       (SELECT pg_catalog.count(*) FROM maintenance.maintenance_updates u
         WHERE u.maintenance_id = m.id) AS updates,
       (SELECT pg_catalog.count(*) FROM maintenance.events e
         WHERE e.payload->>'maintenanceId' = m.id::text) AS events
  FROM maintenance.maintenances m ORDER BY m.title;
SELECT * FROM statuses;

-- At 12:00: "refused" cannot start, "refused to complete" starts but cannot
-- complete.  Each failure is one WARNING that names the maintenance and the
-- step; the run goes on and returns its counts.
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
-- "before", "same start" and "after" started (the ones after the failure in
-- the sweep's order too), "both" went through both steps, "refused" did not
-- move and has no update and no event, and "refused to complete" kept its
-- start (update and events) but not its completion.
SELECT * FROM statuses;
SELECT m.title, u.message, u.status_change
  FROM maintenance.maintenance_updates u
  JOIN maintenance.maintenances m ON m.id = u.maintenance_id
 WHERE m.title LIKE 'refused%'
 ORDER BY m.title, u.position;
SELECT e.name, e.payload->>'action' AS action, e.payload->>'status' AS status,
       e.payload->>'event' AS event
  FROM maintenance.events e
 WHERE e.payload->>'maintenanceId' = '00000000-0000-4000-8000-00000000000b'
 ORDER BY e.id;

-- The failed ones are still due: the next run tries them again (and fails
-- again).  A failure does not abort the caller's transaction: it goes on
-- writing and commits.
BEGIN;
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
SELECT u.message, u.status_change
  FROM maintenance.maintenances m,
       LATERAL maintenance.add_update(m.id, 'Still refused', NULL, 'alice') u
 WHERE m.title = 'refused';
COMMIT;
SELECT u.message, u.created_by
  FROM maintenance.maintenance_updates u
 WHERE u.maintenance_id = '00000000-0000-4000-8000-00000000000a';

-- Called from PL/pgSQL inside an exception block (itself a subtransaction),
-- the failures stay WARNINGs and the caller gets the counts.
DO $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
    RAISE NOTICE 'started %, completed %, failed %', r.started, r.completed, r.failed;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'run_transitions raised: %', SQLERRM;
END
$$;

-- With the trigger gone, the next run moves them.
DROP TRIGGER refuse_some ON maintenance.maintenances;
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
SELECT * FROM statuses;

-- A cancel is no failure of one maintenance: a run that is cancelled (here
-- by statement_timeout, in the first maintenance it moves) fails as a whole,
-- and nothing of it stays.
CREATE FUNCTION public.slow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.pg_sleep(0.2);
    RETURN NEW;
END
$$;
CREATE TRIGGER slow BEFORE UPDATE ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION public.slow();
\set VERBOSITY terse
SET statement_timeout = '100ms';
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 16:00+00');
RESET statement_timeout;
\set VERBOSITY default
DROP TRIGGER slow ON maintenance.maintenances;
SELECT * FROM statuses;

-- A BEFORE UPDATE trigger that skips the row (returns NULL) is a failure
-- too: no timeline entry, no event announces a change that did not happen;
-- by the sweep (a WARNING, counted) and by add_update (refused, 09000).
SELECT count(*) FROM maintenance.run_transitions(as_of => '2100-06-30 00:00+00');
\set skipped_id '00000000-0000-4000-8000-0000000000aa'
INSERT INTO maintenance.maintenances (id, title, start_at, end_at)
VALUES (:'skipped_id', 'skipped', '2100-07-01 09:00+00', '2100-07-01 20:00+00');
CREATE FUNCTION public.skip_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'skipped' THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER skip_row BEFORE UPDATE ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION public.skip_row();
SELECT max(id) AS last_event FROM maintenance.events \gset
\set VERBOSITY terse
SELECT * FROM maintenance.run_transitions(as_of => '2100-07-01 12:00+00');
\set VERBOSITY default
SELECT maintenance.add_update(:'skipped_id', 'Starting', 'in_progress');
\echo :LAST_ERROR_SQLSTATE
SELECT status, (SELECT count(*) FROM maintenance.maintenance_updates u
                 WHERE u.maintenance_id = m.id) AS updates
  FROM maintenance.maintenances m WHERE m.title = 'skipped';
SELECT count(*) AS new_events FROM maintenance.events WHERE id > :last_event;
DROP TRIGGER skip_row ON maintenance.maintenances;

DROP VIEW statuses;
DROP FUNCTION public.refuse_some(), public.slow(), public.skip_row();
DROP EXTENSION maintenance;
