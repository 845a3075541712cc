-- maintenance.run_transitions(): the automatic start and
-- completion of maintenance windows, with a fixed "now" (as_of).
CREATE EXTENSION maintenance;
SET timezone = 'UTC';

-- Every event written after the mark :ev, with each maintenance id replaced
-- by its title so that the output is deterministic.
SELECT pg_catalog.set_config('test.ev', '0', false) IS NOT NULL AS marked;
CREATE TEMP VIEW new_events AS
SELECT pg_catalog.row_number() OVER (ORDER BY e.id) AS n, e.channel, e.name, m.title,
       pg_catalog.replace(e.payload::text, m.id::text, '<' || m.title || '>') AS payload
  FROM maintenance.events e
  LEFT JOIN maintenance.maintenances m ON m.id = (e.payload->>'maintenanceId')::uuid
 WHERE e.id > pg_catalog.current_setting('test.ev')::bigint
 ORDER BY e.id;

-- The timeline of every maintenance, in timeline order.
CREATE TEMP VIEW timeline AS
SELECT m.title, u.message, u.status_change, u.created_by
  FROM maintenance.maintenance_updates u
  JOIN maintenance.maintenances m ON m.id = u.maintenance_id
 ORDER BY m.title, u.position;

CREATE TEMP VIEW statuses AS
SELECT title, status FROM maintenance.maintenances ORDER BY title;

-- The fixed "now" of this test is 2100-06-01 12:00 UTC.
SELECT count(*) FROM (
  SELECT maintenance.create_maintenance('start', '2100-06-01 11:00+00', '2100-06-01 14:00+00', ARRAY['web', 'db'])
  UNION ALL
  SELECT maintenance.create_maintenance('start at now', '2100-06-01 12:00+00', '2100-06-01 13:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('both', '2100-06-01 08:00+00', '2100-06-01 10:00+00', ARRAY['db'])
  UNION ALL
  SELECT maintenance.create_maintenance('complete', '2100-06-01 09:00+00', '2100-06-01 11:30+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('end at now', '2100-06-01 09:30+00', '2100-06-01 12:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('running', '2100-06-01 09:45+00', '2100-06-01 15:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('future', '2100-06-01 13:00+00', '2100-06-01 17:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('cancelled', '2100-06-01 07:00+00', '2100-06-01 08:00+00', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('closed early', '2100-06-01 07:30+00', '2100-06-01 08:30+00', ARRAY['web'])
) created;

-- Started by hand (with an author), and the two that are final.
SELECT m.title, u.status_change, u.created_by
  FROM maintenance.maintenances m,
       LATERAL maintenance.add_update(m.id, 'Work begun', 'in_progress', 'alice') u
 WHERE m.title IN ('complete', 'end at now', 'running')
 ORDER BY m.title;
SELECT u.status_change
  FROM maintenance.maintenances m,
       LATERAL maintenance.add_update(m.id, 'Called off', 'cancelled', 'alice') u
 WHERE m.title = 'cancelled';
SELECT c.status
  FROM maintenance.maintenances m,
       LATERAL maintenance.close_maintenance(m.id, NULL, 'alice') c
 WHERE m.title = 'closed early';
SELECT * FROM statuses;

-- Nothing due: before every window, a run changes and emits nothing
-- ("cancelled" and "closed early" began earlier, but they are final).
SELECT pg_catalog.max(id) AS ev FROM maintenance.events \gset
SELECT pg_catalog.set_config('test.ev', :'ev', false) IS NOT NULL AS marked;
SELECT pg_catalog.count(*) AS updates_before FROM maintenance.maintenance_updates \gset
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 07:59:59+00');
SELECT pg_catalog.count(*) - :updates_before AS new_updates FROM maintenance.maintenance_updates;
SELECT pg_catalog.count(*) AS new_events FROM new_events;
SELECT * FROM statuses;

-- The run at 12:00.  Its updates are authorless even when the session has
-- an actor set: the system wrote them.
SET maintenance.actor = 'bob';
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
RESET maintenance.actor;
-- started: "start", "start at now" (start_at = as_of starts) and "both";
-- completed: "both" (its window passed while it was scheduled), "complete"
-- and "end at now" (end_at = as_of completes).  "running" and "future" are
-- not due; "cancelled" and "closed early" are final and never touched.
SELECT * FROM statuses;
SELECT * FROM timeline;
-- "both" went through both steps, in order: started, then completed.
SELECT u.message, u.status_change, u.created_by IS NULL AS authorless
  FROM maintenance.maintenance_updates u
  JOIN maintenance.maintenances m ON m.id = u.maintenance_id
 WHERE m.title = 'both'
 ORDER BY u.position;
-- The same in the JSON of maintenance.rpc, timeline order.
SELECT pg_catalog.jsonb_path_query_array(
         maintenance.rpc('getMaintenance', pg_catalog.jsonb_build_object('id', id)),
         '$.updates[*] ? (@.statusChange != "scheduled").message') AS timeline_json
  FROM maintenance.maintenances WHERE title = 'both';
SELECT pg_catalog.jsonb_path_query_array(
         maintenance.rpc('getMaintenance', pg_catalog.jsonb_build_object('id', id)),
         '$.updates[*].createdBy') AS authors_json
  FROM maintenance.maintenances WHERE title = 'both';

-- Each transition emits what add_update emits: the signal and the hook
-- (action "updated" for a start, "closed" for a completion) and one
-- notification per system ("started", "completed").  Starts come first, in
-- start_at order, then completions, in end_at order.
SELECT n, channel, name, title FROM new_events;
SELECT payload FROM new_events WHERE channel <> 'maintenance_notification';
SELECT payload FROM new_events WHERE channel = 'maintenance_notification';
-- No event names a maintenance that did not move.
SELECT pg_catalog.count(*) AS events_of_unmoved
  FROM new_events
 WHERE title IN ('running', 'future', 'cancelled', 'closed early');

-- The same moment again: nothing left to do, nothing emitted.
SELECT pg_catalog.max(id) AS ev FROM maintenance.events \gset
SELECT pg_catalog.set_config('test.ev', :'ev', false) IS NOT NULL AS marked;
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 12:00+00');
SELECT pg_catalog.count(*) AS new_events FROM new_events;

-- Later, at 16:00: "future" starts; "start", "start at now" and "running"
-- complete.  The final ones still do not move.
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 16:00+00');
SELECT * FROM statuses;
SELECT n, channel, name, title,
       CASE channel WHEN 'maintenance_notification' THEN payload::jsonb->>'event'
                    ELSE payload::jsonb->>'action' END AS action_or_event,
       payload::jsonb->>'status' AS hook_status
  FROM new_events;
SELECT title, pg_catalog.count(*) AS updates,
       pg_catalog.count(*) FILTER (WHERE created_by IS NULL) AS authorless
  FROM timeline GROUP BY title ORDER BY title;

-- A run in a transaction that rolls back leaves everything as it was.
SELECT pg_catalog.count(*) AS updates_before FROM maintenance.maintenance_updates \gset
BEGIN;
SELECT * FROM maintenance.run_transitions(as_of => '2100-06-01 18:00+00');
ROLLBACK;
SELECT pg_catalog.count(*) - :updates_before AS new_updates FROM maintenance.maintenance_updates;
SELECT status FROM maintenance.maintenances WHERE title = 'future';

-- Without as_of, "now" is the current time: a window that began an hour ago
-- starts, one that begins in an hour does not.
SELECT count(*) FROM (
  SELECT maintenance.create_maintenance('began an hour ago', pg_catalog.now() - interval '1 hour', pg_catalog.now() + interval '1 hour', ARRAY['web'])
  UNION ALL
  SELECT maintenance.create_maintenance('begins in an hour', pg_catalog.now() + interval '1 hour', pg_catalog.now() + interval '2 hours', ARRAY['web'])
) created;
SELECT * FROM maintenance.run_transitions();
SELECT title, status FROM statuses WHERE title LIKE 'beg%';
-- An explicit NULL is the same as no argument.
SELECT * FROM maintenance.run_transitions(NULL);

-- It writes: PUBLIC may not run it (nothing is writable by PUBLIC).
SELECT pg_catalog.has_function_privilege('public', 'maintenance.run_transitions(timestamptz)', 'EXECUTE') AS public_may_run;

DROP VIEW new_events, timeline, statuses;
DROP EXTENSION maintenance;
