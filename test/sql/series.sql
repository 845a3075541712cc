-- series: recurring windows (doc/contract.md, "Recurring windows") as stored series: create, get, list,
-- update, delete; their occurrences as maintenances, materialized up to the
-- horizon by create, update and run_transitions; overrides, exceptions,
-- deletion and history, each with its events.  The series start in 2030,
-- after now: time is run_transitions' as_of.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- The events since the last call, one line each, masked.
CREATE TEMP TABLE seen (last bigint);
INSERT INTO seen VALUES (0);
CREATE FUNCTION pg_temp.events() RETURNS SETOF text LANGUAGE sql AS $$
    WITH e AS (SELECT * FROM maintenance.events WHERE id > (SELECT last FROM seen) ORDER BY id),
         u AS (UPDATE seen SET last = coalesce((SELECT max(id) FROM e), last))
    SELECT pg_temp.mask(format('%s %s %s', e.channel, e.name,
               CASE WHEN e.channel = 'maintenance_notification'
                    THEN format('%s %s', e.payload ->> 'systemId', e.payload ->> 'event')
                    ELSE format('%s %s', e.payload ->> 'maintenanceId',
                                coalesce(e.payload ->> 'action', e.payload ->> 'startAt')) END))
      FROM e ORDER BY e.id
$$;
-- The occurrences of a series: local start, window, status, override.
CREATE FUNCTION pg_temp.occ(series uuid) RETURNS TABLE (local_start timestamp, start_at timestamptz,
    end_at timestamptz, status maintenance.status, title text, overridden boolean) LANGUAGE sql AS $$
    SELECT m.occurrence_start, m.start_at, m.end_at, m.status, m.title, m.overridden
      FROM maintenance.maintenances m WHERE m.series_id = series ORDER BY m.start_at
$$;

-- createSeries: weekly Sunday 02:00 Europe/Berlin for 2 hours.  The first
-- occurrence is months away: it exists (the next one, when none is within
-- the horizon), with the events of createMaintenance.
SELECT pg_temp.mask(maintenance.rpc('createSeries', '{"title": "Patch night", "systemIds": ["db", "api", "db"],
    "rrule": "RRULE:FREQ=WEEKLY;BYDAY=SU", "timeZone": "Europe/Berlin", "firstStart": "2030-03-03T02:00:00",
    "duration": "PT2H", "exdates": ["2030-03-17T02:00:00"], "reminders": ["P1D", "PT1H"]}')::text);
SELECT pg_temp.label(id, 'weekly') FROM maintenance.series;
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT * FROM pg_temp.events();

-- run_transitions materializes up to as_of + maintenance.series_horizon
-- (30 days): 10 March, 24 March (17 March is an exception); 31 March is
-- 00:00 UTC, not before the horizon.
SHOW maintenance.series_horizon;
SELECT * FROM maintenance.run_transitions(as_of => '2030-03-01 00:00+00');
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT count(*) AS events FROM pg_temp.events();
-- Again at the same time: nothing to create, nothing created twice.
SELECT * FROM maintenance.run_transitions(as_of => '2030-03-01 00:00+00');
-- The occurrence of 3 March starts; 31 March comes within the horizon.
SELECT * FROM maintenance.run_transitions(as_of => '2030-03-03 01:00+00');
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));

-- MaintenanceWithSystems gains seriesId.
SELECT pg_temp.mask((maintenance.rpc('getMaintenance', jsonb_build_object('id', m.id)) - 'updates')::text)
  FROM maintenance.maintenances m WHERE m.occurrence_start = '2030-03-10 02:00';

-- An occurrence changed with updateMaintenance is overridden; one deleted or
-- cancelled is never created again.
SELECT pg_temp.label(m.id, 'mar10') FROM maintenance.maintenances m WHERE m.occurrence_start = '2030-03-10 02:00';
SELECT pg_temp.label(m.id, 'mar24') FROM maintenance.maintenances m WHERE m.occurrence_start = '2030-03-24 02:00';
SELECT pg_temp.label(m.id, 'mar31') FROM maintenance.maintenances m WHERE m.occurrence_start = '2030-03-31 02:00';
SELECT title FROM maintenance.update_maintenance(pg_temp.id('mar10'), title => 'Patch night (extended)',
                                                 end_at => '2030-03-10 05:00+00');
SELECT maintenance.delete_maintenance(pg_temp.id('mar24'));
SELECT status_change FROM maintenance.add_update(pg_temp.id('mar31'), 'Not this week', 'cancelled');
SELECT count(*) AS events FROM pg_temp.events();
SELECT * FROM maintenance.run_transitions(as_of => '2030-03-03 01:00+00');
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));

-- A longer horizon: more occurrences, from the next time the series is due
-- (its due time was computed with the horizon of then).
SET maintenance.series_horizon = '60d';
SELECT * FROM maintenance.run_transitions(as_of => '2030-03-08 00:00+00');
SELECT count(*) AS events FROM pg_temp.events();

-- updateSeries of the title: the unstarted, unchanged occurrences follow
-- with the events of updateMaintenance; the overridden, cancelled and
-- started ones stay as they are.
SELECT pg_temp.mask((maintenance.rpc('updateSeries', jsonb_build_object('id', pg_temp.id('weekly'),
    'title', 'Sunday patch night', 'description', 'Kernel updates')) - '{createdAt,updatedAt}'::text[])::text);
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT * FROM pg_temp.events();

-- updateSeries of the duration (the rule changes, the local starts stay):
-- the series is walked again from now; the deleted 24 March is not created
-- again, the cancelled 31 March stays cancelled, the overridden 10 March
-- keeps its end, the started 3 March is not touched.
SELECT maintenance.rpc('updateSeries', jsonb_build_object('id', pg_temp.id('weekly'), 'duration', 'PT3H')) ->> 'duration';
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT * FROM pg_temp.events();

-- updateSeries of the rule: 02:30 instead of 02:00.  The occurrences at
-- 02:00 that the rule no longer yields are deleted (deleteMaintenance's
-- events), the new ones created; the started and overridden ones stay.
SELECT maintenance.rpc('updateSeries', jsonb_build_object('id', pg_temp.id('weekly'),
    'firstStart', '2030-03-03T02:30:00')) ->> 'firstStart';
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT * FROM pg_temp.events();
-- description: null clears it
SELECT maintenance.rpc('updateSeries', jsonb_build_object('id', pg_temp.id('weekly'), 'description', NULL)) ? 'description' AS has_description;
SELECT DISTINCT description FROM maintenance.maintenances WHERE series_id = pg_temp.id('weekly') AND NOT overridden AND status = 'scheduled';

-- getSeries: the series and the occurrences that exist; listSeries
SELECT jsonb_array_length(maintenance.rpc('getSeries', jsonb_build_object('id', pg_temp.id('weekly'))) -> 'occurrences') AS occurrences;
SELECT maintenance.rpc('getSeries', '{"id": "00000000-0000-0000-0000-000000000000"}');
SELECT pg_temp.label((maintenance.create_series('Failover drill', '{db}', 'FREQ=MONTHLY;BYDAY=2TU', 'America/New_York',
                                                '2030-01-08 22:00', '1 hour')).id, 'drill');
SELECT pg_temp.mask(s ->> 'id') AS id, s ->> 'title' AS title
  FROM jsonb_array_elements(maintenance.rpc('listSeries', '{}') -> 'series') s;
SELECT pg_temp.mask(s ->> 'id') AS id FROM jsonb_array_elements(maintenance.rpc('listSeries', '{"systemId": "api"}') -> 'series') s;
-- previewSeries of a stored series
SELECT maintenance.rpc('previewSeries', jsonb_build_object('id', pg_temp.id('drill'), 'from', '2030-03-01T00:00:00Z', 'count', 2));

-- deleteSeries: the scheduled occurrences are deleted (with their
-- events), the one in progress runs on, the series stays with endedAt.
SELECT count(*) AS events FROM pg_temp.events();
SELECT maintenance.rpc('deleteSeries', jsonb_build_object('id', pg_temp.id('weekly')));
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT * FROM pg_temp.events();
SELECT maintenance.rpc('getSeries', jsonb_build_object('id', pg_temp.id('weekly'))) ? 'endedAt' AS ended;
SELECT * FROM maintenance.run_transitions(as_of => '2030-04-20 00:00+00');
SELECT * FROM pg_temp.occ(pg_temp.id('weekly'));
SELECT maintenance.rpc('deleteSeries', jsonb_build_object('id', pg_temp.id('weekly')));
SELECT maintenance.rpc('deleteSeries', '{"id": "00000000-0000-0000-0000-000000000000"}');

-- Refused: an ended series, an unknown one, bad fields (nothing changes)
SELECT pg_temp.try($$SELECT maintenance.rpc('updateSeries', jsonb_build_object('id', pg_temp.id('weekly'), 'title', 'x'))$$);
SELECT pg_temp.try($$SELECT maintenance.rpc('updateSeries', '{"id": "00000000-0000-0000-0000-000000000000", "title": "x"}')$$);
SELECT pg_temp.try($$SELECT maintenance.rpc('previewSeries', '{"id": "00000000-0000-0000-0000-000000000000"}')$$);
SELECT pg_temp.try(format('SELECT maintenance.rpc(%L, %L)', m, i))
  FROM (VALUES
    ('createSeries', '{"systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": " ", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": "t", "systemIds": [], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": "t", "systemIds": [" "], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "Nowhere", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00+01:00", "duration": "PT1H"}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "P1M"}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H", "reminders": ["PT30S"]}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H", "reminders": ["P367D"]}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H", "reminders": ["P1D", "PT24H"]}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H", "reminders": ["PT1M","PT2M","PT3M","PT4M","PT5M","PT6M","PT7M","PT8M","PT9M","PT10M","PT11M"]}'),
    ('createSeries', '{"title": "t", "systemIds": ["a"], "rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T10:00:00", "duration": "PT1H", "startAt": "x"}'),
    ('updateSeries', '{"title": "t"}'),
    ('updateSeries', '{"id": "not-a-uuid"}'),
    ('getSeries', '{}'),
    ('deleteSeries', '{"id": 3}')
  ) AS t(m, i);
-- The limits of a maintenance's inputs hold for a series (22023, naming the
-- field and the limit)
SELECT pg_temp.try(format('SELECT maintenance.create_series(%s)', a))
  FROM (VALUES
    ($$repeat('t', 4097), '{a}', 'FREQ=DAILY', 'UTC', '2030-01-01 10:00', 'PT1H'$$),
    ($$'t', '{a}', 'FREQ=DAILY', 'UTC', '2030-01-01 10:00', 'PT1H', description => repeat('d', 1048577)$$),
    ($$'t', ARRAY['a', repeat('s', 1025)], 'FREQ=DAILY', 'UTC', '2030-01-01 10:00', 'PT1H'$$),
    ($$'t', ARRAY(SELECT 's' || i FROM generate_series(1, 1001) i), 'FREQ=DAILY', 'UTC', '2030-01-01 10:00', 'PT1H'$$)
  ) AS t(a);
SELECT pg_temp.try(format('SELECT maintenance.update_series(%L, %s)', pg_temp.id('drill'), a))
  FROM (VALUES ($$title => repeat('é', 2049)$$), ($$description => repeat('d', 1048577)$$),
               ($$system_ids => ARRAY[repeat('s', 1025)]$$), ($$reminders => '{NULL}'$$),
               ($$reminders => '{90 seconds}'$$)) AS t(a);
SELECT pg_temp.try($$SELECT maintenance.rpc('createSeries', jsonb_build_object('title', 't', 'rrule', 'FREQ=DAILY',
    'timeZone', 'UTC', 'firstStart', '2030-01-01T10:00:00', 'duration', 'PT1H',
    'systemIds', (SELECT jsonb_agg('s' || i) FROM generate_series(1, 1001) i)))$$);

-- A finished occurrence is a record, as every finished maintenance: its
-- times and systems are refused (55000); the series' edits never touch it.
SELECT status FROM maintenance.maintenances WHERE occurrence_start = '2030-03-03 02:00';
SELECT pg_temp.try(format($$SELECT maintenance.update_maintenance(%L, end_at => '2030-03-03 04:00+00')$$, m.id)),
       pg_temp.try(format($$SELECT maintenance.update_maintenance(%L, system_ids => '{db}')$$, m.id))
  FROM maintenance.maintenances m WHERE m.occurrence_start = '2030-03-03 02:00';
SELECT pg_temp.try(format($$SELECT maintenance.update_series(%L, duration => 'PT4H')$$, pg_temp.id('drill')));
SELECT m.status, m.end_at - m.start_at AS length, count(*), min(m.occurrence_start), max(m.occurrence_start)
  FROM maintenance.maintenances m WHERE m.series_id = pg_temp.id('drill')
 GROUP BY 1, 2 ORDER BY 4;

-- Occurrences take their series' reminders (doc/contract.md, "Reminders"), whoever creates them
-- (createSeries, run_transitions), and each is sent once at its moment.
SELECT count(*) AS earlier_events FROM pg_temp.events() \gset
SELECT pg_temp.label((maintenance.create_series(title => 'Reminded', system_ids => '{r2,r1}',
    rrule => 'FREQ=WEEKLY', time_zone => 'UTC', first_start => '2031-01-06 10:00',
    duration => '1 hour', reminders => '{1 hour}')).id, 'reminded');
SELECT * FROM pg_temp.events();
SELECT m.occurrence_start, m.reminders, r.remind_at, r.sent_at
  FROM maintenance.maintenances m JOIN maintenance.maintenance_reminders r ON r.maintenance_id = m.id
 WHERE m.series_id = pg_temp.id('reminded') ORDER BY m.start_at;
-- A second before its moment: not yet (the run creates the occurrences up
-- to the horizon, each with the PT1H lead).
SELECT reminded, created FROM maintenance.run_transitions(as_of => '2031-01-06 08:59:59+00');
SELECT m.occurrence_start, m.reminders, count(r.*) AS armed
  FROM maintenance.maintenances m LEFT JOIN maintenance.maintenance_reminders r ON r.maintenance_id = m.id
 WHERE m.series_id = pg_temp.id('reminded') GROUP BY m.id ORDER BY m.start_at;
SELECT count(*) AS events FROM pg_temp.events();
-- At its moment: one reminder per system; again later: nothing.
SELECT reminded, created FROM maintenance.run_transitions(as_of => '2031-01-06 09:00+00');
SELECT * FROM pg_temp.events();
SELECT reminded FROM maintenance.run_transitions(as_of => '2031-01-06 09:29+00');
-- One occurrence changed on its own keeps its reminders; changing the
-- series' reminders changes the others that have not started (the events of
-- updateMaintenance) and arms the new lead: PT30M is sent at 09:30.
SELECT (maintenance.update_maintenance(m.id, title => 'Reminded, moved')).title
  FROM maintenance.maintenances m WHERE m.occurrence_start = '2031-01-13 10:00';
SELECT count(*) AS events FROM pg_temp.events();
SELECT maintenance.rpc('updateSeries', jsonb_build_object('id', pg_temp.id('reminded'),
    'reminders', '["PT30M"]'::jsonb)) -> 'reminders' AS reminders;
SELECT * FROM pg_temp.events();
SELECT m.occurrence_start, m.overridden, m.reminders
  FROM maintenance.maintenances m WHERE m.series_id = pg_temp.id('reminded') ORDER BY m.start_at;
SELECT reminded FROM maintenance.run_transitions(as_of => '2031-01-06 09:30+00');
SELECT * FROM pg_temp.events();
SELECT reminded FROM maintenance.run_transitions(as_of => '2031-01-06 09:45+00');


-- A series whose occurrence cannot be written fails alone: a WARNING names
-- it, run_transitions counts it in failed, nothing of it is written (no
-- occurrence beyond the one createSeries made, no event of it), its
-- occurrences wait for the next run, and the other series due in the same
-- run are created.
SELECT pg_temp.label(s.id, 'doomed') FROM maintenance.create_series(title => 'Doomed',
    system_ids => '{x}', rrule => 'FREQ=DAILY', time_zone => 'UTC',
    first_start => '2032-01-01 00:00', duration => '1 hour') s;
SELECT pg_temp.label(s.id, 'fine') FROM maintenance.create_series(title => 'Fine',
    system_ids => '{y}', rrule => 'FREQ=DAILY', time_zone => 'UTC',
    first_start => '2032-01-01 00:00', duration => '1 hour') s;
SELECT count(*) AS doomed_hooks FROM maintenance.events e WHERE e.payload ->> 'title' = 'Doomed';
CREATE FUNCTION pg_temp.refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title = 'Doomed' THEN RAISE EXCEPTION 'doomed occurrence'; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_doomed BEFORE INSERT ON maintenance.maintenances
    FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_doomed();
-- (the WARNING names the series by its random id: not echoed)
SET client_min_messages = error;
SELECT failed, created > 0 AS created_others
  FROM maintenance.run_transitions(as_of => '2031-12-05 00:00+00');
RESET client_min_messages;
SELECT s.title, count(m.*) AS occurrences
  FROM maintenance.series s LEFT JOIN maintenance.maintenances m ON m.series_id = s.id
 WHERE s.id IN (pg_temp.id('doomed'), pg_temp.id('fine')) GROUP BY s.title ORDER BY s.title;
SELECT count(*) AS doomed_hooks FROM maintenance.events e WHERE e.payload ->> 'title' = 'Doomed';
DROP TRIGGER refuse_doomed ON maintenance.maintenances;
SELECT failed, created FROM maintenance.run_transitions(as_of => '2031-12-05 00:00+00');
SELECT s.title, count(m.*) AS occurrences
  FROM maintenance.series s LEFT JOIN maintenance.maintenances m ON m.series_id = s.id
 WHERE s.id IN (pg_temp.id('doomed'), pg_temp.id('fine')) GROUP BY s.title ORDER BY s.title;

SELECT count(*) AS series, (SELECT count(*) FROM maintenance.maintenances) AS maintenances FROM maintenance.series;

DROP FUNCTION pg_temp.occ(uuid);
DROP EXTENSION maintenance;
