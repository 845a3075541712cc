-- pgTAP: properties of the write path and the sweep.
--   - a refused call leaves no row and no event (SPEC section 4);
--   - every write emits events with increasing ids;
--   - a timeline keeps the order of writing, also within one transaction;
--   - a window that passed entirely goes through both steps in one run.
BEGIN;
SELECT plan(30);

-- The number of rows in every table, as one comparable value.
CREATE FUNCTION pg_temp.footprint() RETURNS bigint[] LANGUAGE sql AS $$
    SELECT ARRAY[(SELECT count(*) FROM maintenance.maintenances),
                 (SELECT count(*) FROM maintenance.maintenance_systems),
                 (SELECT count(*) FROM maintenance.maintenance_updates),
                 (SELECT count(*) FROM maintenance.events),
                 (SELECT coalesce(sum(hashtext(m::text)), 0) FROM maintenance.maintenances m)]
$$;

SELECT id AS sched FROM maintenance.create_maintenance('scheduled one', '2030-01-01Z', '2030-01-02Z', '{db,api}') \gset
SELECT id AS done FROM maintenance.create_maintenance('completed one', '2030-01-01Z', '2030-01-02Z', '{db}') \gset
SELECT maintenance.close_maintenance(:'done') IS NOT NULL AS closed \gset

SELECT pg_temp.footprint() AS before \gset

-- Each refused call: the right SQLSTATE, and nothing changed or emitted.
CREATE FUNCTION pg_temp.refused(call text, sqlstate text, label text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    before bigint[] := pg_temp.footprint();
BEGIN
    RETURN NEXT throws_ok(call, sqlstate, NULL, label || ' is refused with ' || sqlstate);
    RETURN NEXT is(pg_temp.footprint(), before, label || ' leaves no row and no event');
END
$$;

SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.create_maintenance(E' \n', '2030-01-01Z', '2030-01-02Z', '{db}')$$,
    '22023', 'a blank title');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.create_maintenance('t', '2030-01-02Z', '2030-01-01Z', '{db}')$$,
    '22023', 'end before start');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-02Z', '{}')$$,
    '22023', 'no systems');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.create_maintenance('t', '2030-01-01Z', '2030-01-02Z', '{db,"  "}')$$,
    '22023', 'a blank system id');
SELECT * FROM pg_temp.refused(
    format($$SELECT maintenance.update_maintenance(%L, end_at => '2029-01-01Z')$$, :'sched'),
    '22023', 'an update that ends the window before it starts');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000', title => 'x')$$,
    'P0002', 'an update of an unknown id');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', 'x')$$,
    'P0002', 'an update message for an unknown id');
SELECT * FROM pg_temp.refused(
    format($$SELECT maintenance.add_update(%L, 'restart', 'in_progress')$$, :'done'),
    '55000', 'a refused status change');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.close_maintenance('00000000-0000-0000-0000-000000000000')$$,
    'P0002', 'closing an unknown id');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.rpc('createMaintenance', '{"title": "x", "startAt": "2030-01-01T00:00:00Z",
                             "endAt": "2030-01-02T00:00:00Z", "systemIds": "db"}')$$,
    '22023', 'rpc with a string where an array belongs');
SELECT * FROM pg_temp.refused(
    $$SELECT maintenance.rpc('createMaintenance', '[1, 2]')$$,
    '22023', 'rpc with an array where an object belongs');

SELECT is(pg_temp.footprint(), :'before'::bigint[], 'after all refused calls, nothing changed');

-- Every write emits events, with increasing ids.
SELECT max(id) AS last_event FROM maintenance.events \gset
SELECT maintenance.add_update(:'sched', 'first') IS NOT NULL AS x \gset
SELECT cmp_ok((SELECT min(id) FROM maintenance.events WHERE id > :last_event), '>', :last_event::bigint,
              'a message-only update emits events after the earlier ones');
SELECT is((SELECT array_agg(channel ORDER BY id) FROM maintenance.events WHERE id > :last_event),
          ARRAY['maintenance_signal', 'maintenance_hook'],
          'a message-only update emits a signal and a hook, no notification');

-- The timeline keeps the order of writing, within one transaction too.
SELECT count(maintenance.add_update(:'sched', 'update ' || n)) AS x
  FROM generate_series(1, 50) AS n \gset
SELECT is((SELECT array_agg(message ORDER BY position)
             FROM maintenance.get_maintenance_updates(:'sched')),
          ARRAY['first'] || ARRAY(SELECT 'update ' || n FROM generate_series(1, 50) AS n),
          'the timeline is in write order, even for 51 updates in one transaction');
SELECT is((SELECT jsonb_agg(u ->> 'message') FROM jsonb_array_elements(
              maintenance.rpc('getMaintenance', jsonb_build_object('id', :'sched'::uuid)) -> 'updates') u),
          (SELECT jsonb_agg(message ORDER BY position) FROM maintenance.maintenance_updates
            WHERE maintenance_id = :'sched'),
          'getMaintenance returns the timeline in the same order');

-- A window that passed entirely while scheduled: both steps in one run.
SELECT id AS past FROM maintenance.create_maintenance('past window', '2031-01-01 10:00Z',
                                                      '2031-01-01 11:00Z', '{web}') \gset
SELECT results_eq(
    $$SELECT started, completed, failed FROM maintenance.run_transitions(as_of => '2031-01-02Z')$$,
    $$VALUES (2, 2, 0)$$,
    'the sweep starts and completes both due windows in one run');
SELECT results_eq(
    format($$SELECT message, status_change::text, created_by
               FROM maintenance.get_maintenance_updates(%L)$$, :'past'),
    $$VALUES ('Maintenance started automatically', 'in_progress', NULL::text),
             ('Maintenance completed automatically', 'completed', NULL::text)$$,
    'its timeline is started then completed, with no author');
SELECT results_eq(
    $$SELECT started, completed, failed FROM maintenance.run_transitions(as_of => '2031-01-02Z')$$,
    $$VALUES (0, 0, 0)$$,
    'a second run at the same time finds nothing due');

SELECT * FROM finish();
ROLLBACK;
