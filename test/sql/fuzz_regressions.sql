-- fuzz_regressions: edge-value calls from the fuzzer (test/fuzz/sqlsmith.sh,
-- pools of test/fuzz/arguments.sql), kept with their outcome.  The runs so
-- far found no crash and no internal error (XX000) in the extension; these
-- are the calls whose outcomes were the most telling, at least one for each
-- SQLSTATE the extension's functions returned to the fuzzer (22023, 22008,
-- 22P05, 55000, P0002) and for the accepted edge values.  A call the
-- fuzzer ever finds crashing or failing with XX000 gets its statement here.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- Everything the extension stores, as one fingerprint (the counts, then a
-- hash of every row): refused calls must leave it unchanged.
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s maintenances, %s systems, %s updates, %s events, %s consumers; %s',
        (SELECT count(*) FROM maintenance.maintenances),
        (SELECT count(*) FROM maintenance.maintenance_systems),
        (SELECT count(*) FROM maintenance.maintenance_updates),
        (SELECT count(*) FROM maintenance.events),
        (SELECT count(*) FROM maintenance.event_consumers),
        md5(concat(
            (SELECT string_agg(m::text, ',' ORDER BY id) FROM maintenance.maintenances m),
            (SELECT string_agg(s::text, ',' ORDER BY s::text) FROM maintenance.maintenance_systems s),
            (SELECT string_agg(u::text, ',' ORDER BY position) FROM maintenance.maintenance_updates u),
            (SELECT string_agg(e::text, ',' ORDER BY id) FROM maintenance.events e),
            (SELECT string_agg(c::text, ',' ORDER BY name) FROM maintenance.event_consumers c))))
$$;

-- The fuzzer's data, in small: one maintenance of each status, a consumer.
SELECT pg_temp.label(id, 'sched') FROM maintenance.create_maintenance('Scheduled', '2031-09-01 10:00+00', '2031-09-01 12:00+00', '{sys-1,sys-2}');
SELECT pg_temp.label(id, 'done') FROM maintenance.create_maintenance('Completed', '2031-09-02 10:00+00', '2031-09-02 12:00+00', '{sys-1}');
SELECT status FROM maintenance.close_maintenance(pg_temp.id('done'));
SELECT pg_temp.label(id, 'off') FROM maintenance.create_maintenance('Cancelled', '2031-09-03 10:00+00', '2031-09-03 12:00+00', '{big}');
SELECT status_change FROM maintenance.add_update(pg_temp.id('off'), 'off', 'cancelled');
SELECT name, last_event_id FROM maintenance.register_consumer('fuzz-consumer');
CREATE TEMP TABLE before AS SELECT pg_temp.fingerprint() AS f;

-- 22023 and P0002: refused arguments of the write functions, drawn from the
-- pools (nulls, other array bounds and dimensions, ids that do not exist,
-- statuses that cannot follow).
SELECT label, pg_temp.try(stmt) AS outcome FROM (VALUES
  ('create: 2-D system_ids with a null', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{{a},{NULL}}')$$),
  ('create: system ids {""}', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{""}')$$),
  ('create: start 9999-12-31, end year 1', $$SELECT maintenance.create_maintenance('t', '9999-12-31 23:59:59.999999+00', '0001-01-01 00:00:00+00', '{a}')$$),
  ('update: description and clear_description', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), NULL, 'd', NULL, NULL, NULL, NULL, true)$$),
  ('update: system_ids [-5:-5]={x} on unknown id', $$SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000', system_ids => '[-5:-5]={x}')$$),
  ('update: 2-D system_ids', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), system_ids => '{{a,b},{c,d}}')$$),
  ('add_update: completed -> cancelled', $$SELECT maintenance.add_update(pg_temp.id('done'), 'm', 'cancelled')$$),
  ('add_update: blank message, unknown id', $$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', E'\t\n\r\f\x0B', 'completed')$$),
  ('close: cancelled', $$SELECT maintenance.close_maintenance(pg_temp.id('off'), 'x', 'fuzz')$$),
  ('delete: null id', $$SELECT maintenance.delete_maintenance(NULL)$$),
  ('run_transitions: infinity', $$SELECT maintenance.run_transitions('infinity')$$),
  ('run_transitions: -infinity', $$SELECT maintenance.run_transitions('-infinity')$$)
) AS t(label, stmt);

-- Consumers and replay, with the extreme values of bigint and integer.
SELECT label, pg_temp.try(stmt) AS outcome FROM (VALUES
  ('register: blank name', $$SELECT maintenance.register_consumer(E'\t\n\r\f\x0B')$$),
  ('register: null name', $$SELECT maintenance.register_consumer(NULL)$$),
  ('ack: unknown consumer', $$SELECT maintenance.ack_events('id', 1)$$),
  ('ack: bigint max', $$SELECT maintenance.ack_events('fuzz-consumer', 9223372036854775807)$$),
  ('ack: bigint min', $$SELECT maintenance.ack_events('fuzz-consumer', -9223372036854775807 - 1)$$),
  ('replay: after -1', $$SELECT count(*) FROM maintenance.replay_events(-1, 10)$$),
  ('replay: max 0', $$SELECT count(*) FROM maintenance.replay_events(0, 0)$$),
  ('replay: max integer min', $$SELECT count(*) FROM maintenance.replay_events(0, -2147483647 - 1)$$),
  ('replay_for: max 0', $$SELECT count(*) FROM maintenance.replay_events_for('fuzz-consumer', 0)$$),
  ('replay_for: unknown consumer', $$SELECT count(*) FROM maintenance.replay_events_for('completed', 2147483647)$$),
  ('prune: negative retention', $$SELECT maintenance.prune_events('-1 day')$$),
  ('prune: zero retention', $$SELECT maintenance.prune_events('0')$$)
) AS t(label, stmt);

-- Accepted edge values: ids past every event read as nothing.
SELECT count(*) AS after_bigint_max FROM maintenance.replay_events(9223372036854775807, 2147483647);
SELECT maintenance.get_event(9223372036854775807) IS NULL AS no_event,
       maintenance.get_event(-9223372036854775807 - 1) IS NULL AS no_event_min;

-- 22008: a time outside what ISO-8601 output (or timestamptz arithmetic)
-- holds.  The JSON helpers take any row, so an infinite or far time comes
-- in through them, and prune_events() with a retention of 178000000 years
-- reaches before the first representable time.
SELECT label, pg_temp.try(stmt) AS outcome FROM (VALUES
  ('iso_time: infinity', $$SELECT maintenance.iso_time('infinity')$$),
  ('iso_time: -infinity', $$SELECT maintenance.iso_time('-infinity')$$),
  ('maintenance_json: infinite start', $$SELECT maintenance.maintenance_json(ROW(gen_random_uuid(), '', NULL, NULL, 'cancelled', 'infinity', '-infinity', NULL, now(), '{NULL,""}', NULL, NULL)::maintenance.maintenances_with_systems)$$),
  ('update_json: infinite created_at', $$SELECT maintenance.update_json(ROW(gen_random_uuid(), NULL, '', 'completed', 'infinity', E'\x02', -1)::maintenance.maintenance_updates)$$),
  ('event_envelope: -infinity', $$SELECT maintenance.event_envelope(ROW(-1, '-infinity', 'nowhere', '', '[1, 2]', '0')::maintenance.events)$$),
  ('prune: 178000000 years', $$SELECT maintenance.prune_events('178000000 years')$$)
) AS t(label, stmt);

-- ... and every finite time has one: years 1 and 9999, a leap day at
-- +14:00, fractional seconds cut to milliseconds, and the ends of the
-- timestamptz range in JavaScript's expanded years (astronomical: 4713 BC
-- is -004712).
SELECT t, maintenance.iso_time(t::timestamptz) FROM (VALUES
  ('0001-01-01 00:00:00+00'), ('9999-12-31 23:59:59.999999+00'),
  ('2000-02-29 12:00:00.5+14'), ('1970-01-01 00:00:00+00'),
  ('294276-12-31 23:59:59.999999+00'), ('4713-01-01 00:00:00+00 BC')) AS v(t);

-- The JSON helpers given rows of nulls (the fuzzer's ROW(NULL, ...)): a
-- maintenance without an id is JSON null, as getMaintenance answers for an
-- unknown id; an update or an event keeps its required fields, as null.
SELECT maintenance.maintenance_json(ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::maintenance.maintenances_with_systems);
SELECT maintenance.update_json(ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL)::maintenance.maintenance_updates);
SELECT maintenance.event_envelope(ROW(NULL, NULL, NULL, NULL, NULL, NULL)::maintenance.events);
SELECT maintenance.maintenance_json(NULL) IS NULL AS null_row, maintenance.update_json(NULL) IS NULL AS null_update;

-- 22P05: JSON text holding \u0000, which PostgreSQL text cannot; the
-- fuzzer's other JSON shapes, each refused with 22023 or P0002.
SELECT label, pg_temp.try(stmt) AS outcome FROM (VALUES
  ('createMaintenance: title \u0000', $$SELECT maintenance.rpc('createMaintenance', '{"title": "\u0000"}')$$),
  ('getMaintenance: {"id": 1}', $$SELECT maintenance.rpc('getMaintenance', '{"id": 1}')$$),
  ('getMaintenance: {"id": ["x"]}', $$SELECT maintenance.rpc('getMaintenance', '{"id": ["x"]}')$$),
  ('getMaintenance: {"id": "not-a-uuid"}', $$SELECT maintenance.rpc('getMaintenance', '{"id": "not-a-uuid"}')$$),
  ('deleteMaintenance: [{}]', $$SELECT maintenance.rpc('deleteMaintenance', '[{}]')$$),
  ('listMaintenances: "x"', $$SELECT maintenance.rpc('listMaintenances', '"x"')$$),
  ('listMaintenances: bad status', $$SELECT maintenance.rpc('listMaintenances', '{"title": null, "startAt": null, "systemIds": null, "status": "nope", "systemId": 3}')$$),
  ('createMaintenance: start after end', $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "9999-12-31T23:59:59Z", "endAt": "0001-01-01T00:00:00Z", "systemIds": ["a"]}')$$),
  ('createMaintenance: bad date, mixed ids', $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2030-13-45T99:00:00Z", "endAt": "2030-01-02T00:00:00Z", "systemIds": [1, null, {}]}')$$),
  ('createMaintenance: infinity', $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "infinity", "endAt": "2030-01-02T00:00:00Z", "systemIds": ["a"]}')$$),
  ('createMaintenance: systemIds "a"', $$SELECT maintenance.rpc('createMaintenance', '{"systemIds": "a"}')$$),
  ('updateMaintenance: suppressNotifications "yes"', $$SELECT maintenance.rpc('updateMaintenance', '{"id": "00000000-0000-0000-0000-000000000000", "suppressNotifications": "yes"}')$$),
  ('updateMaintenance: unknown id', $$SELECT maintenance.rpc('updateMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}')$$),
  ('null method', $$SELECT maintenance.rpc(NULL, '{}')$$),
  ('unknown method', $$SELECT maintenance.rpc('unknownMethod', '{"extra": 1}')$$)
) AS t(label, stmt);

-- 55000: pg_cron is not in this database.
SELECT label, pg_temp.try(stmt) AS outcome FROM (VALUES
  ('schedule_transitions: not a schedule', $$SELECT maintenance.schedule_transitions('not a schedule')$$),
  ('schedule_event_pruning: */5', $$SELECT maintenance.schedule_event_pruning('*/5 * * * *')$$),
  ('schedule_transitions: null', $$SELECT maintenance.schedule_transitions(NULL)$$)
) AS t(label, stmt);
SELECT maintenance.unschedule_transitions(), maintenance.unschedule_event_pruning();

-- None of the refused calls changed a row, wrote an event or moved a consumer.
SELECT f = pg_temp.fingerprint() AS unchanged, split_part(f, ';', 1) AS stored FROM before;

-- Accepted edge values of the write functions: duplicates and other array
-- bounds, control characters, long and multi-byte text, years 1 and 9999.
SELECT pg_temp.label(id, 'dups') AS created, system_ids
  FROM maintenance.create_maintenance(E'\x01\x02\x1f', '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999999+00', '{a,a,a}');
SELECT pg_temp.label(id, 'bounds') AS created, system_ids, title = repeat('é✓', 819) AS long_title
  FROM maintenance.create_maintenance(repeat('é✓', 819), '2031-09-09 10:00+00', '2031-09-09 12:00+00', '[0:1]={b,a}');
SELECT system_ids FROM maintenance.update_maintenance(pg_temp.id('bounds'), system_ids => '[-5:-5]={x}');
SELECT pg_temp.label(id, 'many') AS created, cardinality(system_ids) AS systems
  FROM maintenance.create_maintenance('Many', '2031-09-10 10:00+00', '2031-09-10 12:00+00',
                                      (SELECT array_agg('sys-' || i) FROM generate_series(1, 1000) i));
SELECT length(maintenance.iso_time(start_at)) AS iso_length, maintenance.iso_time(start_at), maintenance.iso_time(end_at)
  FROM maintenance.maintenances WHERE id = pg_temp.id('dups');
SELECT system_id, (SELECT string_agg(pg_temp.mask(m.id::text), ',') FROM unnest(maintenances) m) AS maintenances
  FROM maintenance.get_bulk_maintenances_for_systems('{NULL,a,a,x,""}');
SELECT count(*) AS systems, count(*) FILTER (WHERE cardinality(maintenances) = 1) AS with_one
  FROM maintenance.get_bulk_maintenances_for_systems((SELECT array_agg('sys-' || i) FROM generate_series(1, 2000) i));
SELECT maintenance.has_active_maintenance_with_suppression(NULL) AS null_system,
       maintenance.has_active_maintenance_with_suppression('') AS empty_system;
SELECT count(*) AS listed FROM maintenance.list_maintenances(NULL, E'\x01');
SELECT maintenance.delete_maintenance('00000000-0000-0000-0000-000000000000') AS deleted_unknown,
       maintenance.delete_maintenance(pg_temp.id('many')) AS deleted_many;

DROP EXTENSION maintenance;
