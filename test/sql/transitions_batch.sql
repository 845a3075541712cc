-- run_transitions() claims due rows in batches of 1000 in (time, id) order:
-- one call moves every due maintenance however many there are, and a
-- maintenance that fails is not claimed again in the same run.
CREATE EXTENSION maintenance;
SET timezone = 'UTC';

-- 2500 windows that passed entirely while scheduled, on only three distinct
-- start and end times, so that batch boundaries fall between rows with the
-- same time and only the id orders them.
SELECT pg_catalog.count(*) AS created
  FROM pg_catalog.generate_series(1, 2500) AS g,
       LATERAL maintenance.create_maintenance(
           pg_catalog.format('m%s', pg_catalog.lpad(g::text, 4, '0')),
           '2100-06-01 08:00+00'::timestamptz + (g % 3) * interval '1 minute',
           '2100-06-01 10:00+00'::timestamptz + (g % 3) * interval '1 minute',
           ARRAY['web']) AS m;

-- Every hundredth one fails, in both steps: 25 failures spread over all
-- the batches.
CREATE FUNCTION public.refuse_hundredths() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title LIKE 'm__00' THEN
        RAISE EXCEPTION 'refused by a user trigger';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse_hundredths BEFORE UPDATE ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION public.refuse_hundredths();

SELECT pg_catalog.max(id) AS ev FROM maintenance.events \gset
-- (25 WARNINGs, one per failure, are checked in transitions_failure.)
SET client_min_messages = error;
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
RESET client_min_messages;

SELECT status, pg_catalog.count(*) FROM maintenance.maintenances
 GROUP BY status ORDER BY status;
SELECT pg_catalog.count(*) AS refused_still_scheduled
  FROM maintenance.maintenances
 WHERE title LIKE 'm__00' AND status = 'scheduled';

-- Each moved maintenance has exactly its two automatic updates, started
-- before completed; each refused one has none.
SELECT n_updates, first_change, last_change, pg_catalog.count(*) AS maintenances
  FROM (SELECT m.id, pg_catalog.count(u.id) AS n_updates,
               (pg_catalog.array_agg(u.status_change ORDER BY u.position))[1] AS first_change,
               (pg_catalog.array_agg(u.status_change ORDER BY u.position DESC))[1] AS last_change
          FROM maintenance.maintenances m
          LEFT JOIN maintenance.maintenance_updates u ON u.maintenance_id = m.id
         GROUP BY m.id) per
 GROUP BY n_updates, first_change, last_change
 ORDER BY n_updates;

-- Six events per moved maintenance (signal, hook, notification for each
-- step) and none for a refused one.
SELECT e.channel, e.payload->>'event' AS event, pg_catalog.count(*),
       pg_catalog.count(DISTINCT e.payload->>'maintenanceId') AS maintenances
  FROM maintenance.events e
 WHERE e.id > :ev
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT pg_catalog.count(*) AS events_of_refused
  FROM maintenance.events e
  JOIN maintenance.maintenances m ON m.id::text = e.payload->>'maintenanceId'
 WHERE e.id > :ev AND m.title LIKE 'm__00';

-- Without the trigger the 25 go through both steps on the next run.
DROP TRIGGER refuse_hundredths ON maintenance.maintenances;
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
SELECT status, pg_catalog.count(*) FROM maintenance.maintenances
 GROUP BY status ORDER BY status;

-- 2500 due to start only: one call starts them all.
SELECT pg_catalog.count(*) AS created
  FROM pg_catalog.generate_series(1, 2500) AS g,
       LATERAL maintenance.create_maintenance(
           pg_catalog.format('n%s', g), '2100-07-01 08:00+00', '2100-07-01 10:00+00',
           ARRAY['web']) AS m;
SELECT * FROM maintenance.run_transitions(as_of => '2100-07-01 09:00+00');
SELECT * FROM maintenance.run_transitions(as_of => '2100-07-01 09:00+00');
SELECT * FROM maintenance.run_transitions(as_of => '2100-07-01 10:00+00');
SELECT status, pg_catalog.count(*) FROM maintenance.maintenances
 GROUP BY status ORDER BY status;

-- How the sweep writes: one UPDATE statement per claimed batch (1000 rows)
-- when all of it goes through; when a row of a batch fails, that statement
-- is rolled back and the batch is written one maintenance per statement,
-- each in its own subtransaction.  A sequence counts the UPDATE statements
-- that completed (nextval() is not rolled back with them) and the rows
-- they updated (AFTER triggers fire only for a statement that completed).
CREATE SEQUENCE public.update_statements;
CREATE SEQUENCE public.updated_rows;
CREATE FUNCTION public.count_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.update_statements');
    RETURN NULL;
END
$$;
CREATE FUNCTION public.count_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.updated_rows');
    RETURN NULL;
END
$$;
CREATE TRIGGER count_statement AFTER UPDATE ON maintenance.maintenances
    FOR EACH STATEMENT EXECUTE FUNCTION public.count_statement();
CREATE TRIGGER count_row AFTER UPDATE ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION public.count_row();

SELECT pg_catalog.count(*) AS created
  FROM pg_catalog.generate_series(1, 2500) AS g,
       LATERAL maintenance.create_maintenance(
           pg_catalog.format('p%s', pg_catalog.lpad(g::text, 4, '0')),
           '2100-08-01 08:00+00'::timestamptz + (g % 7) * interval '1 second',
           '2100-08-01 10:00+00'::timestamptz + g * interval '1 second',
           ARRAY['web', 'db']) AS m;
SELECT pg_catalog.setval('public.update_statements', 1, false),
       pg_catalog.setval('public.updated_rows', 1, false);
SELECT pg_catalog.max(id) AS ev FROM maintenance.events \gset
SELECT pg_catalog.max(position) AS pos FROM maintenance.maintenance_updates \gset
SELECT * FROM maintenance.run_transitions(as_of => '2100-08-01 09:00+00');
-- 3 statements (1000 + 1000 + 500 rows), each row once
SELECT pg_catalog.nextval('public.update_statements') - 1 AS update_statements,
       pg_catalog.nextval('public.updated_rows') - 1 AS updated_rows;

-- The timeline entries and the events follow the claim order, (start_at,
-- id), as one write per maintenance would: for each maintenance in that
-- order, its entry's position and its events' ids come after the previous
-- maintenance's, and its events are signal, hook, then one notification
-- per system (in the order of its system ids).
WITH claimed AS (
    SELECT m.id, pg_catalog.row_number() OVER (ORDER BY m.start_at, m.id) AS k
      FROM maintenance.maintenances m WHERE m.title LIKE 'p%'
), entries AS (
    SELECT c.k, u.position FROM claimed c
      JOIN maintenance.maintenance_updates u ON u.maintenance_id = c.id AND u.position > :pos
), evs AS (
    SELECT c.k, e.id, e.channel, e.payload->>'systemId' AS system_id
      FROM claimed c
      JOIN maintenance.events e ON e.payload->>'maintenanceId' = c.id::text AND e.id > :ev
)
SELECT (SELECT pg_catalog.count(*) FROM entries) AS entries,
       (SELECT bool_and(ordered) FROM (
            SELECT position > pg_catalog.lag(position, 1, 0::bigint) OVER (ORDER BY k) AS ordered
              FROM entries) x) AS positions_in_claim_order,
       (SELECT pg_catalog.count(*) FROM evs) AS events,
       (SELECT bool_and(ordered) FROM (
            SELECT id > pg_catalog.lag(id, 1, 0::bigint) OVER (ORDER BY k, id) AS ordered
              FROM evs) x) AS event_ids_in_claim_order,
       (SELECT pg_catalog.count(DISTINCT seq) FROM (
            SELECT pg_catalog.string_agg(coalesce(system_id, channel), ',' ORDER BY id) AS seq
              FROM evs GROUP BY k) x) AS event_sequences,
       (SELECT min(seq) FROM (
            SELECT pg_catalog.string_agg(coalesce(system_id, channel), ',' ORDER BY id) AS seq
              FROM evs GROUP BY k) x) AS event_sequence;

-- One maintenance in the middle batch fails (they end one second apart,
-- so p1500 is the 500th row of the second batch): that batch's statement
-- is rolled back, then its 1000 rows go one by one, each its own statement
-- (999 succeed, the refused one fails again); the other two batches are one
-- statement each.  Statements 1 + 999 + 1, rows 1000 + 999 + 500.
CREATE FUNCTION public.refuse_one() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'p1500' THEN
        RAISE EXCEPTION 'refused by a user trigger';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refuse_one BEFORE UPDATE ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION public.refuse_one();
SELECT pg_catalog.setval('public.update_statements', 1, false),
       pg_catalog.setval('public.updated_rows', 1, false);
SET client_min_messages = error;
SELECT * FROM maintenance.run_transitions(as_of => '2100-08-01 11:00+00');
RESET client_min_messages;
SELECT pg_catalog.nextval('public.update_statements') - 1 AS update_statements,
       pg_catalog.nextval('public.updated_rows') - 1 AS updated_rows;
SELECT title, status FROM maintenance.maintenances
 WHERE title IN ('p1499', 'p1500', 'p1501') ORDER BY title;
SELECT status, pg_catalog.count(*) FROM maintenance.maintenances
 WHERE title LIKE 'p%' GROUP BY status ORDER BY status;

-- Nothing due is an index probe, in the queries run_transitions() really
-- runs: one scan of each partial index, no sequential scan of maintenances
-- (counted as differences of this backend's counters inside a transaction
-- block, where they move only with its own work).  4,000 rows, none due.
DROP TRIGGER refuse_one ON maintenance.maintenances;
DROP TRIGGER count_statement ON maintenance.maintenances;
DROP TRIGGER count_row ON maintenance.maintenances;
TRUNCATE maintenance.maintenances CASCADE;
INSERT INTO maintenance.maintenances (title, status, start_at, end_at)
SELECT 'n' || g, s, '2100-01-01 00:00+00'::timestamptz + g * interval '1 minute',
       '2100-02-01 00:00+00'::timestamptz + g * interval '1 minute'
  FROM pg_catalog.generate_series(1, 2000) AS g,
       unnest(ARRAY['scheduled', 'in_progress']::maintenance.status[]) AS s;
ANALYZE maintenance.maintenances;
CREATE FUNCTION pg_temp.scans(OUT seq bigint, OUT due_to_start bigint, OUT due_to_complete bigint)
LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_numscans('maintenance.maintenances'::regclass),
           pg_stat_get_xact_numscans('maintenance.maintenances_due_to_start'::regclass),
           pg_stat_get_xact_numscans('maintenance.maintenances_due_to_complete'::regclass)
$$;
BEGIN;
SELECT seq AS seq0, due_to_start AS s0, due_to_complete AS c0 FROM pg_temp.scans() \gset
SELECT * FROM maintenance.run_transitions(as_of => '2099-12-31 00:00+00');
SELECT seq - :seq0 AS seq_scans, due_to_start - :s0 AS due_to_start_scans,
       due_to_complete - :c0 AS due_to_complete_scans
  FROM pg_temp.scans();
COMMIT;

DROP FUNCTION public.refuse_hundredths();
DROP EXTENSION maintenance;
DROP FUNCTION public.count_statement();
DROP FUNCTION public.count_row();
DROP FUNCTION public.refuse_one();
DROP SEQUENCE public.update_statements;
DROP SEQUENCE public.updated_rows;
