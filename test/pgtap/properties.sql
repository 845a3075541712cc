-- pgTAP: properties of the write path and the sweep.
--   - a refused call leaves no row and no event;
--   - every write emits events, and event ids grow in the order of writing;
--   - a timeline keeps the order of writing, also within one transaction;
--   - run_transitions() at a fixed time: nothing due changes nothing, a
--     window that passed entirely goes through both steps in one run, with
--     no author.
BEGIN;
SELECT plan(130);

-- An author is set for the whole test, so that "no author" below means the
-- sweep ignores it rather than that nobody was named.
SET LOCAL maintenance.actor = 'tap-actor';

/* ---------------------------------------------------------------------
 * A refused call leaves no row and no event.
 *
 * throws_ok() runs the call in a savepoint, which would undo its rows in
 * any case; so besides the row counts of every table and a digest of their
 * contents, the footprint holds the positions of the event and timeline
 * sequences (nextval() is not undone): a call that wrote a row or an event
 * before it failed moves them.
 * ------------------------------------------------------------------ */

CREATE FUNCTION pg_temp.footprint() RETURNS text LANGUAGE sql AS $$
    SELECT format('maintenances=%s systems=%s updates=%s events=%s consumers=%s event_seq=%s position_seq=%s digest=%s',
        (SELECT count(*) FROM maintenance.maintenances),
        (SELECT count(*) FROM maintenance.maintenance_systems),
        (SELECT count(*) FROM maintenance.maintenance_updates),
        (SELECT count(*) FROM maintenance.events),
        (SELECT count(*) FROM maintenance.event_consumers),
        coalesce(pg_sequence_last_value('maintenance.events_id_seq'), 0),
        coalesce(pg_sequence_last_value('maintenance.maintenance_updates_position_seq'), 0),
        md5(concat(
            (SELECT string_agg(m::text, ',' ORDER BY m.id) FROM maintenance.maintenances m),
            (SELECT string_agg(s::text, ',' ORDER BY s.maintenance_id, s.system_id) FROM maintenance.maintenance_systems s),
            (SELECT string_agg(u::text, ',' ORDER BY u.position) FROM maintenance.maintenance_updates u))))
$$;

-- One maintenance in each state a refused call can meet.
SELECT id AS sched FROM maintenance.create_maintenance('scheduled one', '2030-01-01Z', '2030-01-02Z', '{db,api}') \gset
SELECT id AS running FROM maintenance.create_maintenance('running one', '2030-01-01Z', '2030-01-02Z', '{db}') \gset
SELECT id AS done FROM maintenance.create_maintenance('completed one', '2030-01-01Z', '2030-01-02Z', '{db}') \gset
SELECT id AS gone FROM maintenance.create_maintenance('cancelled one', '2030-01-01Z', '2030-01-02Z', '{web}') \gset
SELECT (maintenance.add_update(:'running', 'go', 'in_progress')).position AS p1 \gset
SELECT (maintenance.close_maintenance(:'done')).status AS s1 \gset
SELECT (maintenance.add_update(:'gone', 'called off', 'cancelled')).position AS p2 \gset

SELECT pg_temp.footprint() AS before_refused \gset

CREATE TEMP TABLE refused_calls (n serial, label text NOT NULL, state text NOT NULL, stmt text NOT NULL);
INSERT INTO refused_calls (label, state, stmt) VALUES
    -- invalid input
    ('create with an empty title', '22023',
     $$SELECT maintenance.create_maintenance('', '2030-01-01Z', '2030-01-02Z', '{db}')$$),
    ('create with a blank title', '22023',
     $$SELECT maintenance.create_maintenance(E' \t\n', '2030-01-01Z', '2030-01-02Z', '{db}')$$),
    ('create with end before start', '22023',
     $$SELECT maintenance.create_maintenance('t', '2030-01-02Z', '2030-01-01Z', '{db}')$$),
    ('create with end equal to start', '22023',
     $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-01Z', '{db}')$$),
    ('create with no system ids', '22023',
     $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-02Z', '{}')$$),
    ('create with null system ids', '22023',
     $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-02Z', NULL)$$),
    ('create with a blank system id', '22023',
     $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-02Z', '{db,"  "}')$$),
    ('create with a null system id', '22023',
     $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-02Z', '{db,NULL}')$$),
    ('update to a blank title', '22023',
     format($$SELECT maintenance.update_maintenance(%L, title => ' ')$$, :'sched')),
    ('update that ends the window before it starts', '22023',
     format($$SELECT maintenance.update_maintenance(%L, end_at => '2029-01-01Z')$$, :'sched')),
    ('update that starts the window at its end', '22023',
     format($$SELECT maintenance.update_maintenance(%L, start_at => '2030-01-02Z')$$, :'sched')),
    ('update to no system ids', '22023',
     format($$SELECT maintenance.update_maintenance(%L, system_ids => '{}')$$, :'sched')),
    ('update to a blank system id', '22023',
     format($$SELECT maintenance.update_maintenance(%L, system_ids => '{db,""}')$$, :'sched')),
    ('add_update with a blank message', '22023',
     format($$SELECT maintenance.add_update(%L, E'\n')$$, :'sched')),
    -- unknown maintenance
    ('update of an unknown id', 'P0002',
     $$SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000', title => 'x')$$),
    ('add_update for an unknown id', 'P0002',
     $$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', 'x')$$),
    ('add_update with a status change for an unknown id', 'P0002',
     $$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', 'x', 'completed')$$),
    ('close of an unknown id', 'P0002',
     $$SELECT maintenance.close_maintenance('00000000-0000-0000-0000-000000000000')$$),
    -- refused status changes
    ('completed back to in_progress', '55000',
     format($$SELECT maintenance.add_update(%L, 'again', 'in_progress')$$, :'done')),
    ('completed back to scheduled', '55000',
     format($$SELECT maintenance.add_update(%L, 'again', 'scheduled')$$, :'done')),
    ('completed to cancelled', '55000',
     format($$SELECT maintenance.add_update(%L, 'never mind', 'cancelled')$$, :'done')),
    ('cancelled to in_progress', '55000',
     format($$SELECT maintenance.add_update(%L, 'after all', 'in_progress')$$, :'gone')),
    ('cancelled to completed', '55000',
     format($$SELECT maintenance.add_update(%L, 'after all', 'completed')$$, :'gone')),
    ('in_progress back to scheduled', '55000',
     format($$SELECT maintenance.add_update(%L, 'later', 'scheduled')$$, :'running')),
    -- rpc with bad JSON
    ('rpc createMaintenance with a string where an array belongs', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '{"title": "x", "startAt": "2030-01-01T00:00:00Z",
                               "endAt": "2030-01-02T00:00:00Z", "systemIds": "db"}')$$),
    ('rpc createMaintenance with a number where a string belongs', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '{"title": 5, "startAt": "2030-01-01T00:00:00Z",
                               "endAt": "2030-01-02T00:00:00Z", "systemIds": ["db"]}')$$),
    ('rpc createMaintenance with an array as input', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '[1, 2]')$$),
    ('rpc createMaintenance without systemIds', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '{"title": "x", "startAt": "2030-01-01T00:00:00Z",
                               "endAt": "2030-01-02T00:00:00Z"}')$$),
    ('rpc createMaintenance with an unknown field', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '{"title": "x", "startAt": "2030-01-01T00:00:00Z",
                               "endAt": "2030-01-02T00:00:00Z", "systemIds": ["db"], "owner": "me"}')$$),
    ('rpc createMaintenance with a time without offset', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '{"title": "x", "startAt": "2030-01-01T00:00:00",
                               "endAt": "2030-01-02T00:00:00Z", "systemIds": ["db"]}')$$),
    ('rpc createMaintenance with a time that is no time', '22023',
     $$SELECT maintenance.rpc('createMaintenance', '{"title": "x", "startAt": "2030-02-30T00:00:00Z",
                               "endAt": "2030-03-02T00:00:00Z", "systemIds": ["db"]}')$$),
    ('rpc updateMaintenance with an id that is no uuid', '22023',
     $$SELECT maintenance.rpc('updateMaintenance', '{"id": "42", "title": "x"}')$$),
    ('rpc updateMaintenance with an empty title', '22023',
     format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "title": ""}')$$, :'sched')),
    ('rpc addUpdate with an unknown status', '22023',
     format($$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "%s", "message": "x",
                                       "statusChange": "paused"}')$$, :'sched')),
    ('rpc addUpdate for an unknown id', 'P0002',
     $$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000",
                                             "message": "x"}')$$),
    ('rpc addUpdate with a refused status change', '55000',
     format($$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "%s", "message": "x",
                                       "statusChange": "in_progress"}')$$, :'done')),
    ('rpc closeMaintenance for an unknown id', 'P0002',
     $$SELECT maintenance.rpc('closeMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}')$$),
    ('rpc with an unknown method', '22023',
     $$SELECT maintenance.rpc('dropEverything', '{}')$$);

CREATE FUNCTION pg_temp.refused(c refused_calls) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    before text := pg_temp.footprint();
BEGIN
    RETURN NEXT throws_ok(c.stmt, c.state, NULL, c.label || ': refused with ' || c.state);
    RETURN NEXT is(pg_temp.footprint(), before, c.label || ': no row, no event');
END
$$;

-- 38 refused calls x 2 tests.
SELECT pg_temp.refused(c) FROM refused_calls c ORDER BY c.n;

SELECT is(pg_temp.footprint(), :'before_refused', 'after all the refused calls, everything is as before');

-- Deleting what does not exist is not refused, but it changes nothing
-- either, and so emits nothing.
SELECT is(maintenance.delete_maintenance('00000000-0000-0000-0000-000000000000'), false,
          'delete of an unknown id answers false');
SELECT is(pg_temp.footprint(), :'before_refused', 'delete of an unknown id: no row, no event');

/* ---------------------------------------------------------------------
 * Every write emits events, and ids grow in the order of writing.
 * ------------------------------------------------------------------ */

-- Each write in turn, with the events it emitted.
CREATE TEMP TABLE writes (n serial, label text NOT NULL, stmt text NOT NULL, events maintenance.events[]);
CREATE FUNCTION pg_temp.write(label text, stmt text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    mark bigint := coalesce((SELECT max(id) FROM maintenance.events), 0);
BEGIN
    EXECUTE stmt;
    INSERT INTO writes (label, stmt, events)
    VALUES (label, stmt, ARRAY(SELECT e FROM maintenance.events e WHERE e.id > mark ORDER BY e.id));
END
$$;

SELECT id AS w FROM maintenance.create_maintenance('writes', '2032-01-01Z', '2032-01-02Z', '{db,web}') \gset
SELECT pg_temp.write('create_maintenance',
    $$SELECT maintenance.create_maintenance('another', '2032-02-01Z', '2032-02-02Z', '{api}')$$);
SELECT pg_temp.write('update_maintenance',
    format($$SELECT maintenance.update_maintenance(%L, title => 'writes, renamed')$$, :'w'));
SELECT pg_temp.write('add_update, message only',
    format($$SELECT maintenance.add_update(%L, 'a note')$$, :'w'));
SELECT pg_temp.write('add_update to the same status (message only)',
    format($$SELECT maintenance.add_update(%L, 'still scheduled', 'scheduled')$$, :'w'));
SELECT pg_temp.write('add_update to in_progress',
    format($$SELECT maintenance.add_update(%L, 'started', 'in_progress')$$, :'w'));
SELECT pg_temp.write('close_maintenance',
    format($$SELECT maintenance.close_maintenance(%L)$$, :'w'));
SELECT pg_temp.write('rpc createMaintenance',
    $$SELECT maintenance.rpc('createMaintenance', '{"title": "via rpc", "startAt": "2032-03-01T00:00:00Z",
                             "endAt": "2032-03-02T00:00:00Z", "systemIds": ["rpc"]}')$$);
SELECT pg_temp.write('rpc updateMaintenance',
    format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "description": "d"}')$$, :'w'));
SELECT pg_temp.write('rpc addUpdate',
    format($$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "%s", "message": "rpc note"}')$$, :'w'));
SELECT pg_temp.write('rpc closeMaintenance',
    format($$SELECT maintenance.rpc('closeMaintenance', '{"id": "%s", "message": "done"}')$$, :'w'));
SELECT pg_temp.write('delete_maintenance',
    format($$SELECT maintenance.delete_maintenance(%L)$$, :'w'));
SELECT pg_temp.write('rpc deleteMaintenance',
    $$SELECT maintenance.rpc('deleteMaintenance', jsonb_build_object('id',
        (SELECT id FROM maintenance.maintenances WHERE title = 'another')))$$);

-- 13 writes x 2 tests, then the maintenance each names.
SELECT ok(cardinality(events) >= 1, label || ' emits at least one event') FROM writes ORDER BY n;
SELECT is((SELECT count(DISTINCT e.payload ->> 'maintenanceId') FROM unnest(events) e
            WHERE e.payload ->> 'maintenanceId' IS NOT NULL), 1::bigint,
          label || ': all its events name one and the same maintenance')
  FROM writes ORDER BY n;
SELECT is(ARRAY(SELECT DISTINCT e.payload ->> 'maintenanceId' FROM unnest(events) e), ARRAY[:'w'],
          label || ' names the maintenance written')
  FROM writes WHERE stmt LIKE '%' || :'w' || '%' ORDER BY n;
SELECT is(ARRAY(SELECT e.payload ->> 'title' FROM unnest(events) e
                 WHERE e.channel = 'maintenance_hook' AND e.name = 'maintenance.created'),
          ARRAY[title], label || ' announces the maintenance it created')
  FROM writes, (VALUES ('create_maintenance', 'another'), ('rpc createMaintenance', 'via rpc')) AS c(l, title)
 WHERE label = l ORDER BY n;
SELECT is_empty(
    $$SELECT a.label FROM writes a JOIN writes b ON b.n = a.n + 1
       WHERE (SELECT min(e.id) FROM unnest(b.events) e) <= (SELECT max(e.id) FROM unnest(a.events) e)$$,
    'each write''s events have greater ids than the events of the write before');
SELECT is((SELECT array_agg(e.payload ->> 'maintenanceId' ORDER BY e.id)
             FROM maintenance.events e
            WHERE e.channel = 'maintenance_hook' AND e.name = 'maintenance.created'
              AND e.payload ->> 'title' IN ('scheduled one', 'running one', 'completed one', 'cancelled one')),
          ARRAY[:'sched', :'running', :'done', :'gone'],
          'creation hooks are in id order the order of the creates');

/* ---------------------------------------------------------------------
 * The timeline is the order of writing, even for many updates in one
 * transaction (they share one created_at: the order cannot come from it).
 * ------------------------------------------------------------------ */

SELECT id AS t FROM maintenance.create_maintenance('timeline', '2033-01-01Z', '2033-01-02Z', '{db}') \gset
SELECT count(maintenance.add_update(:'t', 'note ' || n)) AS c FROM generate_series(1, 60) AS n \gset
SELECT (maintenance.add_update(:'t', 'begun', 'in_progress')).position AS p3 \gset
SELECT count(maintenance.add_update(:'t', 'later ' || n)) AS c FROM generate_series(1, 30) AS n \gset
SELECT (maintenance.close_maintenance(:'t')).status AS s2 \gset

CREATE TEMP TABLE timeline_written AS
SELECT row_number() OVER () AS n, message FROM (
    SELECT 'note ' || n AS message FROM generate_series(1, 60) AS n
    UNION ALL SELECT 'begun'
    UNION ALL SELECT 'later ' || n FROM generate_series(1, 30) AS n
    UNION ALL SELECT 'Maintenance completed early') AS w;

SELECT is(ARRAY(SELECT message FROM maintenance.get_maintenance_updates(:'t')),
          ARRAY(SELECT message FROM timeline_written ORDER BY n),
          'get_maintenance_updates: the 92 updates of one transaction in the order written');
SELECT is(ARRAY(SELECT u ->> 'message'
                  FROM jsonb_array_elements(maintenance.rpc('getMaintenance', jsonb_build_object('id', :'t'::uuid))
                                            -> 'updates') AS u),
          ARRAY(SELECT message FROM timeline_written ORDER BY n),
          'rpc getMaintenance: the same timeline, in the same order');
SELECT is((SELECT count(DISTINCT created_at) FROM maintenance.maintenance_updates WHERE maintenance_id = :'t'),
          1::bigint, 'all of them have the same created_at');
SELECT is((SELECT array_agg(status_change::text ORDER BY position) FILTER (WHERE status_change IS NOT NULL)
             FROM maintenance.maintenance_updates WHERE maintenance_id = :'t'),
          ARRAY['in_progress', 'completed'], 'the status changes sit where they were written');

/* ---------------------------------------------------------------------
 * run_transitions() at a fixed time.
 * ------------------------------------------------------------------ */

-- Leave only the windows of this part (the earlier ones are in 2030-2033).
DELETE FROM maintenance.maintenances;
SELECT id AS past FROM maintenance.create_maintenance('past window', '2040-01-01 10:00Z', '2040-01-01 11:00Z', '{web,db}') \gset
SELECT id AS current FROM maintenance.create_maintenance('current window', '2040-01-01 10:00Z', '2040-01-03Z', '{api}') \gset
SELECT id AS future FROM maintenance.create_maintenance('future window', '2040-02-01Z', '2040-02-02Z', '{api}') \gset

SELECT pg_temp.footprint() AS before_idle_run \gset
SELECT results_eq($$SELECT started, completed, failed FROM maintenance.run_transitions(as_of => '2040-01-01 09:59:59Z')$$,
                  $$VALUES (0, 0, 0)$$, 'nothing due: run_transitions returns (0, 0, 0)');
SELECT is(pg_temp.footprint(), :'before_idle_run', 'nothing due: no row and no event changes');

SELECT max(id) AS before_run FROM maintenance.events \gset
SELECT results_eq($$SELECT started, completed, failed FROM maintenance.run_transitions(as_of => '2040-01-02Z')$$,
                  $$VALUES (2, 1, 0)$$,
                  'one run starts the past and the current window and completes the past one');
SELECT results_eq(
    format($$SELECT message, status_change::text, created_by
               FROM maintenance.get_maintenance_updates(%L)$$, :'past'),
    $$VALUES ('Maintenance started automatically', 'in_progress', NULL::text),
             ('Maintenance completed automatically', 'completed', NULL::text)$$,
    'the past window''s timeline: started, then completed automatically, with created_by NULL');
SELECT is((maintenance.get_maintenance(:'past')).status::text, 'completed', 'the past window is completed');
SELECT results_eq(
    format($$SELECT message, status_change::text, created_by
               FROM maintenance.get_maintenance_updates(%L)$$, :'current'),
    $$VALUES ('Maintenance started automatically', 'in_progress', NULL::text)$$,
    'the current window only started');
SELECT is((maintenance.get_maintenance(:'future')).status::text, 'scheduled', 'the future window did not move');
SELECT is(ARRAY(SELECT payload ->> 'event' FROM maintenance.events
                 WHERE id > :before_run AND channel = 'maintenance_notification'
                   AND payload ->> 'maintenanceId' = :'past' AND payload ->> 'systemId' = 'db'
                 ORDER BY id),
          ARRAY['started', 'completed'],
          'the past window notifies "started" then "completed", in that order');

SELECT pg_temp.footprint() AS before_second_run \gset
SELECT results_eq($$SELECT started, completed, failed FROM maintenance.run_transitions(as_of => '2040-01-02Z')$$,
                  $$VALUES (0, 0, 0)$$, 'a second run at the same time finds nothing due');
SELECT is(pg_temp.footprint(), :'before_second_run', 'the second run changes nothing and emits nothing');

SELECT * FROM finish();
ROLLBACK;
