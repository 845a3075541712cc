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

DROP FUNCTION public.refuse_hundredths();
DROP EXTENSION maintenance;
