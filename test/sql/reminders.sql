-- reminders: leads before a window starts, sent by run_transitions() with a
-- fixed "now" (as_of) once per maintenance, lead and start; what they send
-- and what they change (nothing else); the checks of the leads.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- The reminders written since the last call, in id order: title, system
-- and lead (remindBefore).
CREATE TEMP TABLE seen (last bigint NOT NULL);
INSERT INTO seen VALUES (0);
CREATE FUNCTION pg_temp.sent()
RETURNS TABLE (title text, system_id text, remind_before text, start_at text)
LANGUAGE sql AS $$
    WITH s AS (SELECT last FROM seen),
         u AS (UPDATE seen SET last = (SELECT coalesce(max(e.id), 0) FROM maintenance.events e))
    SELECT m.title, e.payload->>'systemId', e.payload->>'remindBefore', e.payload->>'startAt'
      FROM maintenance.events e
      JOIN maintenance.maintenances m ON m.id = (e.payload->>'maintenanceId')::uuid, s
     WHERE e.id > s.last AND e.payload->>'event' = 'reminder'
     ORDER BY e.id
$$;
-- A run of the sweep at as_of, its counts as one line.
CREATE FUNCTION pg_temp.run(as_of timestamptz)
RETURNS text LANGUAGE sql AS $$
    SELECT format('started %s, completed %s, failed %s, reminded %s',
                  r.started, r.completed, r.failed, r.reminded)
      FROM maintenance.run_transitions(as_of => as_of) r
$$;

-- run_transitions reports reminded as its last column.
SELECT * FROM maintenance.run_transitions(as_of => '2100-01-01 00:00+00');

-- A P1D and a PT1H reminder: each sent once, at its moment, not before;
-- one notification per system, in the order of systemIds.
SELECT pg_temp.label(id, 'day and hour'), reminders
  FROM maintenance.create_maintenance('day and hour', '2100-06-02 12:00+00', '2100-06-02 14:00+00',
       ARRAY['web', 'db'], reminders => ARRAY['1 day', '1 hour']::interval[]);
SELECT * FROM pg_temp.sent();
SELECT pg_temp.run('2100-06-01 11:59:59.999999+00');
SELECT * FROM pg_temp.sent();
SELECT pg_temp.run('2100-06-01 12:00+00');
SELECT * FROM pg_temp.sent();
SELECT pg_temp.run('2100-06-01 12:00+00');
SELECT pg_temp.run('2100-06-02 10:59:59+00');
SELECT * FROM pg_temp.sent();
SELECT pg_temp.run('2100-06-02 11:00+00');
SELECT * FROM pg_temp.sent();
SELECT pg_temp.run('2100-06-02 11:30+00');
SELECT * FROM pg_temp.sent();

-- The whole notification, exactly (keys in the order of the envelope).
SELECT pg_temp.mask(payload::text) FROM maintenance.events
 WHERE payload->>'event' = 'reminder' AND payload->>'systemId' = 'db'
 ORDER BY id;
SELECT pg_temp.mask(maintenance.event_envelope(e)::text) FROM maintenance.events e
 WHERE e.payload->>'event' = 'reminder' ORDER BY e.id DESC LIMIT 1;

-- A reminder changes nothing else: no timeline entry, no signal, no hook,
-- not updated_at; what was sent is recorded.
SELECT pg_temp.label(id, 'quiet') FROM maintenance.create_maintenance('quiet',
       '2100-07-01 12:00+00', '2100-07-01 13:00+00', ARRAY['web'], reminders => '{2 hours}');
SELECT updated_at AS quiet_updated_at FROM maintenance.maintenances WHERE id = pg_temp.id('quiet') \gset
SELECT max(id) AS before_ev FROM maintenance.events \gset
SELECT pg_temp.run('2100-07-01 10:00+00');
SELECT channel, name, payload->>'event' AS event FROM maintenance.events
 WHERE id > :before_ev AND payload->>'maintenanceId' = pg_temp.id('quiet')::text ORDER BY id;
SELECT count(*) AS timeline FROM maintenance.maintenance_updates WHERE maintenance_id = pg_temp.id('quiet');
SELECT status, updated_at = :'quiet_updated_at' AS same_updated_at
  FROM maintenance.maintenances WHERE id = pg_temp.id('quiet');
SELECT remind_before, remind_at, sent_at IS NOT NULL AS sent
  FROM maintenance.maintenance_reminders WHERE maintenance_id = pg_temp.id('quiet');
SELECT * FROM pg_temp.sent();

-- Missed by an hour (no run meanwhile): sent late, but never at or after
-- the start, and not for a cancelled window.
SELECT pg_temp.label(id, 'late') FROM maintenance.create_maintenance('late',
       '2100-08-01 12:00+00', '2100-08-01 13:00+00', ARRAY['web'], reminders => '{3 hours}');
SELECT pg_temp.label(id, 'at start') FROM maintenance.create_maintenance('at start',
       '2100-08-01 12:00+00', '2100-08-01 13:00+00', ARRAY['db'], reminders => '{1 hour}');
SELECT pg_temp.label(id, 'cancelled') FROM maintenance.create_maintenance('cancelled',
       '2100-08-01 12:00+00', '2100-08-01 13:00+00', ARRAY['api'], reminders => '{2 hours}');
SELECT status_change FROM maintenance.add_update(pg_temp.id('cancelled'), 'Called off', 'cancelled');
SELECT pg_temp.run('2100-08-01 10:00+00');
SELECT * FROM pg_temp.sent();
-- "at start" missed its moment (11:00) and the run comes at 12:00: the
-- window starts, and no reminder is sent.
SELECT pg_temp.run('2100-08-01 12:00+00');
SELECT * FROM pg_temp.sent();
SELECT m.title, count(r.*) AS unsent
  FROM maintenance.maintenances m
  LEFT JOIN maintenance.maintenance_reminders r ON r.maintenance_id = m.id AND r.sent_at IS NULL
 WHERE m.title IN ('late', 'at start', 'cancelled')
 GROUP BY m.title ORDER BY m.title;

-- Moved later: the reminders of the new start are sent, again.
SELECT pg_temp.label(id, 'moved later') FROM maintenance.create_maintenance('moved later',
       '2100-09-02 12:00+00', '2100-09-02 13:00+00', ARRAY['web'], reminders => '{1 day}');
SELECT pg_temp.run('2100-09-01 12:00+00');
SELECT start_at FROM maintenance.update_maintenance(pg_temp.id('moved later'),
       start_at => '2100-09-03 12:00+00', end_at => '2100-09-03 13:00+00');
SELECT pg_temp.run('2100-09-01 12:00+00');
SELECT pg_temp.run('2100-09-02 11:59+00');
SELECT pg_temp.run('2100-09-02 12:00+00');
SELECT * FROM pg_temp.sent();
-- Back to the first start: its reminder was sent already, once is once.
SELECT start_at FROM maintenance.update_maintenance(pg_temp.id('moved later'),
       start_at => '2100-09-02 12:00+00', end_at => '2100-09-02 13:00+00');
SELECT pg_temp.run('2100-09-02 11:00+00');
SELECT * FROM pg_temp.sent();

-- Windows whose moment had passed when they were created or moved: not
-- sent.  These are relative to the real time (the moment is compared with
-- the writing transaction's).
SELECT pg_temp.label(id, 'created inside') FROM maintenance.create_maintenance('created inside',
       now() + interval '30 minutes', now() + interval '90 minutes', ARRAY['web'],
       reminders => '{1 hour}');
SELECT pg_temp.run(now() + interval '1 minute') AS created_inside_run;
SELECT count(*) AS armed FROM maintenance.maintenance_reminders
 WHERE maintenance_id = pg_temp.id('created inside');
-- Moved earlier past the day lead: that lead is not sent, the hour lead is.
SELECT pg_temp.label(id, 'moved earlier') FROM maintenance.create_maintenance('moved earlier',
       now() + interval '3 days', now() + interval '3 days 1 hour', ARRAY['web'],
       reminders => ARRAY['1 day', '1 hour']::interval[]);
SELECT count(*) AS armed_before FROM maintenance.maintenance_reminders
 WHERE maintenance_id = pg_temp.id('moved earlier');
SELECT pg_temp.run(now()) AS nothing_yet;
SELECT count(*) FROM maintenance.update_maintenance(pg_temp.id('moved earlier'),
       start_at => now() + interval '2 hours', end_at => now() + interval '3 hours');
SELECT remind_before FROM maintenance.maintenance_reminders
 WHERE maintenance_id = pg_temp.id('moved earlier') AND sent_at IS NULL;
SELECT pg_temp.run(now() + interval '90 minutes') AS run_at_the_hour_lead;
SELECT title, remind_before FROM pg_temp.sent();
-- A lead added when its moment has passed is not sent; one removed is
-- forgotten.
SELECT pg_temp.label(id, 'leads changed') FROM maintenance.create_maintenance('leads changed',
       now() + interval '2 hours', now() + interval '3 hours', ARRAY['web'],
       reminders => ARRAY['30 minutes']::interval[]);
SELECT reminders FROM maintenance.update_maintenance(pg_temp.id('leads changed'),
       reminders => ARRAY['1 hour', '3 hours']::interval[]);
SELECT remind_before FROM maintenance.maintenance_reminders
 WHERE maintenance_id = pg_temp.id('leads changed') ORDER BY remind_at;

-- The lead in words: days, hours and minutes, each when not zero.
SELECT pg_temp.label(id, 'words') FROM maintenance.create_maintenance('words',
       '2100-10-10 12:00+00', '2100-10-10 13:00+00', ARRAY['web'],
       reminders => ARRAY['PT1M', 'PT90M', 'P1D', 'P1DT12H', 'P2D', 'P1W']::interval[]);
SELECT pg_temp.run('2100-10-10 11:59+00');
SELECT e.payload->>'remindBefore' AS remind_before, e.payload->>'body' AS body
  FROM maintenance.events e
 WHERE e.payload->>'maintenanceId' = pg_temp.id('words')::text AND e.payload->>'event' = 'reminder'
 ORDER BY e.id;
SELECT * FROM pg_temp.sent();

-- JSON: reminders as ISO durations, in the order given, left out when
-- there are none; updateMaintenance's [] clears them, an absent key keeps them.
SELECT pg_temp.mask(maintenance.rpc('createMaintenance', '{"title": "json", "startAt": "2100-11-01T12:00:00Z",
       "endAt": "2100-11-01T13:00:00Z", "systemIds": ["web"], "reminders": ["PT90M", "P1DT12H", "P1W"]}')::text);
SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', id, 'title', 'json 2')) -> 'reminders'
  FROM maintenance.maintenances WHERE title = 'json';
SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', id, 'reminders', '[]'::jsonb)) ? 'reminders'
  FROM maintenance.maintenances WHERE title = 'json 2';
SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', id, 'reminders', '["PT5M"]'::jsonb)) -> 'reminders'
  FROM maintenance.maintenances WHERE title = 'json 2';
SELECT maintenance.rpc('getMaintenance', jsonb_build_object('id', pg_temp.id('quiet'))) -> 'reminders';
SELECT maintenance.rpc('listMaintenances', '{}') -> 'maintenances' -> 0 ? 'reminders' AS first_has_reminders;
SELECT maintenance.duration_iso(d)
  FROM unnest(ARRAY['1 minute', '36 hours', '1 day 1 second', '0', '14 days']::interval[]) AS d;
SELECT pg_temp.try($$SELECT maintenance.duration_iso('1 month')$$);

-- Refused with 22023 naming the field (SQL and JSON), writing nothing.
SELECT max(id) AS before_ev FROM maintenance.events \gset
SELECT count(*) AS before_m FROM maintenance.maintenances \gset
SELECT pg_temp.try(format($$SELECT maintenance.create_maintenance('bad', '2100-12-01 12:00+00',
       '2100-12-01 13:00+00', '{web}', reminders => %L)$$, r), true)
  FROM unnest(ARRAY['{"30 seconds"}', '{"1 minute 1 second"}', '{0}', '{"-1 hour"}', '{"1 month"}',
                    '{"366 days 1 minute"}', '{"1 day","24 hours"}', '{NULL}', '{{1 hour},{2 hours}}',
                    '{1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,11m}']) AS r;
SELECT pg_temp.try($$SELECT maintenance.create_maintenance('edge', '2100-12-01 12:00+00',
       '2100-12-01 13:00+00', '{web}', reminders => '{1 minute, 366 days, 2m,3m,4m,5m,6m,7m,8m,9m}')$$);
SELECT pg_temp.try($$SELECT maintenance.create_maintenance('no reminders', '2100-12-01 12:00+00',
       '2100-12-01 13:00+00', '{web}', reminders => NULL)$$);
SELECT pg_temp.try(format($$SELECT maintenance.rpc('createMaintenance', %L)$$,
       jsonb_build_object('title', 'bad', 'startAt', '2100-12-01T12:00:00Z', 'endAt', '2100-12-01T13:00:00Z',
                          'systemIds', '["web"]'::jsonb, 'reminders', r)), true)
  FROM unnest(ARRAY['"PT1H"', '[1]', '["1 hour"]', '["PT30S"]', '["P1Y"]', '["PT1H", "PT60M"]']::jsonb[]) AS r;
SELECT pg_temp.try(format($$SELECT maintenance.update_maintenance(%L, reminders => '{"10 seconds"}')$$,
       pg_temp.id('quiet')));
SELECT count(*) - :before_m AS new_maintenances FROM maintenance.maintenances WHERE title <> 'edge'
   AND title <> 'no reminders';
SELECT count(*) AS new_events FROM maintenance.events WHERE id > :before_ev
   AND payload->>'maintenanceId' NOT IN (SELECT id::text FROM maintenance.maintenances
                                          WHERE title IN ('edge', 'no reminders'));

-- A finished maintenance keeps its reminders (55000), unless given the
-- same leads.
SELECT pg_temp.try(format($$SELECT maintenance.update_maintenance(%L, reminders => '{1 hour}')$$,
       pg_temp.id('cancelled')), true);
SELECT pg_temp.try(format($$SELECT maintenance.update_maintenance(%L, reminders => '{2 hours}')$$,
       pg_temp.id('cancelled')));

-- Deleting a maintenance deletes its reminders.
SELECT maintenance.delete_maintenance(pg_temp.id('words'));
SELECT count(*) FROM maintenance.maintenance_reminders WHERE maintenance_id = pg_temp.id('words');

DROP EXTENSION maintenance;
