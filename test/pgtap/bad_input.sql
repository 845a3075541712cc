-- pgTAP: bad input.  Every argument of every write
-- function null, empty and blank strings, null and duplicate system ids,
-- infinite times, years 1 and 9999, control characters and NUL, every
-- size at its limit and one past it, changes to a finished maintenance, and
-- malformed JSON for rpc: each is refused with the contract's SQLSTATE
-- (22023, P0002, 55000; doc/api.md "Errors") and a message naming the argument
-- or field, or has the accepted meaning doc/api.md ("Errors") documents.
--
-- A refused call must change nothing and emit nothing.  Its rows would be
-- rolled back with the savepoint throws_ok() runs it in, so the footprint
-- compared before and after each refused call also holds the positions of
-- the event and timeline sequences (nextval() is not rolled back) and this
-- transaction's counts of rows inserted, updated and deleted in every table
-- of the extension (kept when a savepoint is rolled back): a call that got
-- as far as writing a row or an event before it failed moves them.
BEGIN;
SELECT plan(819);

SET LOCAL TimeZone = 'Pacific/Kiritimati';	-- UTC+14: JSON times must still be UTC
SET LOCAL maintenance.actor = '';

CREATE FUNCTION pg_temp.footprint() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ',
        (SELECT count(*) FROM maintenance.maintenances),
        (SELECT count(*) FROM maintenance.maintenance_systems),
        (SELECT count(*) FROM maintenance.maintenance_updates),
        (SELECT count(*) FROM maintenance.events),
        (SELECT count(*) FROM maintenance.event_consumers),
        coalesce(pg_sequence_last_value('maintenance.events_id_seq'), 0),
        coalesce(pg_sequence_last_value('maintenance.maintenance_updates_position_seq'), 0),
        (SELECT md5(string_agg(concat_ws('|', id, md5(title), md5(description), suppress_notifications,
                                         status, start_at, end_at, updated_at, reminders), ',' ORDER BY id))
           FROM maintenance.maintenances),
        (SELECT md5(string_agg(concat_ws('|', maintenance_id, system_id), ',' ORDER BY maintenance_id, system_id))
           FROM maintenance.maintenance_systems),
        (SELECT md5(string_agg(c::text, ',' ORDER BY name)) FROM maintenance.event_consumers c),
        (SELECT count(*) FROM maintenance.maintenance_reminders),
        -- rows this transaction inserted, updated or deleted in each table,
        -- counted even when their savepoint was rolled back
        (SELECT string_agg(concat_ws('/', c.relname, pg_stat_get_xact_tuples_inserted(c.oid),
                                     pg_stat_get_xact_tuples_updated(c.oid),
                                     pg_stat_get_xact_tuples_deleted(c.oid)), ' ' ORDER BY c.relname)
           FROM pg_class c
          WHERE c.relnamespace = 'maintenance'::regnamespace AND c.relkind = 'r'))
$$;

-- A refused call: its SQLSTATE and message (any message when msg is null),
-- and nothing written.
CREATE FUNCTION pg_temp.refused(call text, state text, msg text, label text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    before text := pg_temp.footprint();
BEGIN
    RETURN NEXT throws_ok(call, state, msg, label || ': ' || state);
    RETURN NEXT is(pg_temp.footprint(), before, label || ': nothing written');
END
$$;

-- The cases, run in order by pg_temp.run_cases().
CREATE TEMP TABLE cases (n serial PRIMARY KEY, label text NOT NULL, call text NOT NULL,
                         state text NOT NULL, msg text);
CREATE FUNCTION pg_temp.run_cases() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM cases ORDER BY n LOOP
        RETURN QUERY SELECT * FROM pg_temp.refused(c.call, c.state, c.msg, c.label);
    END LOOP;
    DELETE FROM cases;
END
$$;

-- A scheduled, a completed and a cancelled maintenance, and a consumer.
SELECT id AS sched FROM maintenance.create_maintenance('Scheduled', '2130-01-01 10:00Z', '2130-01-01 12:00Z',
                                                       '{db,api}', 'kept') \gset
SELECT id AS done FROM maintenance.create_maintenance('Completed', '2130-01-02 10:00Z', '2130-01-02 12:00Z', '{db}') \gset
SELECT status AS x FROM maintenance.close_maintenance(:'done') \gset
SELECT id AS off FROM maintenance.create_maintenance('Cancelled', '2130-01-03 10:00Z', '2130-01-03 12:00Z', '{db}') \gset
SELECT status_change AS x FROM maintenance.add_update(:'off', 'Called off', 'cancelled') \gset
SELECT name AS x FROM maintenance.register_consumer('tap consumer') \gset
\set unknown '00000000-0000-0000-0000-000000000000'

-- ---------------------------------------------------------------------
-- 1. NULL in every argument: refused, naming the argument ...
INSERT INTO cases (label, call, state, msg) VALUES
  ('create_maintenance, null title',
   $$SELECT maintenance.create_maintenance(NULL, '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$,
   '22023', '"title" must not be null'),
  ('create_maintenance, null start_at',
   $$SELECT maintenance.create_maintenance('t', NULL, '2130-06-01 11:00Z', '{db}')$$,
   '22023', '"start_at" must not be null'),
  ('create_maintenance, null end_at',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', NULL, '{db}')$$,
   '22023', '"end_at" must not be null'),
  ('create_maintenance, null system_ids',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', NULL)$$,
   '22023', '"system_ids" must not be null'),
  ('create_maintenance, every argument null',
   $$SELECT maintenance.create_maintenance(NULL, NULL, NULL, NULL, NULL, NULL)$$,
   '22023', '"title" must not be null'),
  ('update_maintenance, null id',
   $$SELECT maintenance.update_maintenance(NULL, title => 't')$$,
   '22023', '"id" must not be null'),
  ('update_maintenance, every argument null',
   $$SELECT maintenance.update_maintenance(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)$$,
   '22023', '"id" must not be null'),
  ('add_update, null maintenance_id',
   $$SELECT maintenance.add_update(NULL, 'm')$$,
   '22023', '"maintenance_id" must not be null'),
  ('add_update, null message',
   format($$SELECT maintenance.add_update(%L, NULL)$$, :'sched'),
   '22023', '"message" must not be null'),
  ('add_update, every argument null',
   $$SELECT maintenance.add_update(NULL, NULL, NULL, NULL)$$,
   '22023', '"maintenance_id" must not be null'),
  ('close_maintenance, null id',
   $$SELECT maintenance.close_maintenance(NULL, 'm', 'me')$$,
   '22023', '"id" must not be null'),
  ('delete_maintenance, null id',
   $$SELECT maintenance.delete_maintenance(NULL)$$,
   '22023', '"id" must not be null'),
  ('register_consumer, null name',
   $$SELECT maintenance.register_consumer(NULL)$$,
   '22023', 'consumer name must not be empty'),
  ('ack_events, null name',
   $$SELECT maintenance.ack_events(NULL, 0)$$,
   '22023', 'consumer name must not be null'),
  ('ack_events, null up_to',
   $$SELECT maintenance.ack_events('tap consumer', NULL)$$,
   '22023', 'up_to must be a non-negative event id'),
  ('replay_events, null after_id',
   $$SELECT maintenance.replay_events(NULL)$$,
   '22023', 'after_id must be a non-negative event id'),
  ('replay_events, null max_events',
   $$SELECT maintenance.replay_events(0, NULL)$$,
   '22023', 'max_events must be at least 1'),
  ('replay_events_for, null name',
   $$SELECT maintenance.replay_events_for(NULL)$$,
   '22023', 'consumer name must not be null'),
  ('replay_events_for, null max_events',
   $$SELECT maintenance.replay_events_for('tap consumer', NULL)$$,
   '22023', 'max_events must be at least 1'),
  ('schedule_transitions, null schedule',
   $$SELECT maintenance.schedule_transitions(NULL)$$,
   '22023', 'schedule must not be null'),
  ('schedule_event_pruning, null schedule',
   $$SELECT maintenance.schedule_event_pruning(NULL)$$,
   '22023', 'schedule must not be null'),
  ('rpc, null method',
   $$SELECT maintenance.rpc(NULL, '{}')$$,
   '22023', 'method must not be null'),
  ('rpc, null method and input',
   $$SELECT maintenance.rpc(NULL, NULL)$$,
   '22023', 'method must not be null');
SELECT * FROM pg_temp.run_cases();

-- ... or with the documented meaning.
SELECT results_eq(
    $$SELECT description, suppress_notifications, status::text
        FROM maintenance.create_maintenance('Null options', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}', NULL, NULL)$$,
    $$VALUES (NULL::text, false, 'scheduled')$$,
    'create_maintenance: a null description is none, a null suppress_notifications is false');
SELECT ok(NOT maintenance.maintenance_json(m) ? 'description', 'create_maintenance: no description in the JSON')
  FROM maintenance.list_maintenances() m WHERE m.title = 'Null options';
SELECT pg_temp.footprint() AS before_noop \gset
SELECT results_eq(
    format($$SELECT title, description, suppress_notifications, start_at, end_at, system_ids
               FROM maintenance.update_maintenance(%L, NULL, NULL, NULL, NULL, NULL, NULL, NULL)$$, :'sched'),
    $$VALUES ('Scheduled', 'kept', false, '2130-01-01 10:00Z'::timestamptz, '2130-01-01 12:00Z'::timestamptz, '{api,db}'::text[])$$,
    'update_maintenance: null arguments (and a null clear_description) leave every column as it is');
SELECT is((SELECT array_agg(channel ORDER BY id) FROM maintenance.events
            WHERE id > split_part(:'before_noop', ' ', 6)::bigint),
          ARRAY['maintenance_signal', 'maintenance_hook'],
          'update_maintenance: an update that changes nothing is still an update (a signal and a hook)');
SELECT results_eq(
    format($$SELECT message, status_change::text, created_by FROM maintenance.add_update(%L, 'note', NULL, NULL)$$, :'sched'),
    $$VALUES ('note', NULL::text, NULL::text)$$,
    'add_update: a null status_change is a message only; a null created_by with no maintenance.actor is the system');
SET LOCAL maintenance.actor = 'tap actor';
SELECT is((SELECT created_by FROM maintenance.add_update(:'sched', 'note 2', created_by => NULL)), 'tap actor',
          'add_update: a null created_by is maintenance.actor when it is set');
SELECT id AS closing FROM maintenance.create_maintenance('To close', '2130-06-02 10:00Z', '2130-06-02 11:00Z', '{db}') \gset
SELECT is((SELECT status::text FROM maintenance.close_maintenance(:'closing', NULL, NULL)), 'completed',
          'close_maintenance: null message and created_by are accepted');
SELECT results_eq(
    format($$SELECT message, created_by FROM maintenance.get_maintenance_updates(%L)$$, :'closing'),
    $$VALUES ('Maintenance completed early', 'tap actor')$$,
    'close_maintenance: a null message is "Maintenance completed early", a null created_by is maintenance.actor');
SET LOCAL maintenance.actor = '';
SELECT results_eq($$SELECT * FROM maintenance.run_transitions(NULL)$$,
                  $$SELECT * FROM maintenance.run_transitions(now())$$,
                  'run_transitions: a null as_of is the current time');
SELECT is(maintenance.prune_events(NULL), 0::bigint,
          'prune_events: a null retention is the setting maintenance.event_retention (7 days: nothing is that old)');
SELECT is(maintenance.unregister_consumer(NULL), false, 'unregister_consumer: no consumer has a null name (false)');
SELECT is(maintenance.rpc('listMaintenances', NULL), maintenance.rpc('listMaintenances', '{}'),
          'rpc: a null input is {}');
SELECT is((SELECT count(*) FROM maintenance.list_maintenances(NULL, NULL)),
          (SELECT count(*) FROM maintenance.maintenances), 'list_maintenances: null filters list everything');
SELECT ok((SELECT m.id IS NULL FROM maintenance.get_maintenance(NULL) m), 'get_maintenance(NULL): no maintenance');
SELECT is_empty($$SELECT * FROM maintenance.get_maintenance_updates(NULL)$$, 'get_maintenance_updates(NULL): nothing');
SELECT is_empty($$SELECT * FROM maintenance.get_maintenances_for_system(NULL)$$, 'get_maintenances_for_system(NULL): nothing');
SELECT is_empty($$SELECT * FROM maintenance.get_bulk_maintenances_for_systems(NULL)$$,
                'get_bulk_maintenances_for_systems(NULL): nothing');
SELECT is_empty($$SELECT * FROM maintenance.get_bulk_maintenances_for_systems('{NULL}')$$,
                'get_bulk_maintenances_for_systems: null entries are skipped');
SELECT is(maintenance.has_active_maintenance_with_suppression(NULL), false, 'has_active_maintenance_with_suppression(NULL): false');
SELECT is(maintenance.get_event(NULL), NULL::jsonb, 'get_event(NULL): null');
SELECT is(maintenance.iso_time(NULL), NULL::text, 'iso_time(NULL): null');

-- ---------------------------------------------------------------------
-- 2. Empty and blank strings (blank: only spaces, tabs, newlines, carriage
-- returns, form feeds and vertical tabs)
INSERT INTO cases (label, call, state, msg) VALUES
  ('create_maintenance, empty title',
   $$SELECT maintenance.create_maintenance('', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$,
   '22023', '"title" must not be blank'),
  ('create_maintenance, blank title',
   $$SELECT maintenance.create_maintenance(E' \t\n\r\f\x0B', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$,
   '22023', '"title" must not be blank'),
  ('update_maintenance, empty title',
   format($$SELECT maintenance.update_maintenance(%L, title => '')$$, :'sched'),
   '22023', '"title" must not be blank'),
  ('update_maintenance, blank title',
   format($$SELECT maintenance.update_maintenance(%L, title => E'\t \n')$$, :'sched'),
   '22023', '"title" must not be blank'),
  ('add_update, empty message',
   format($$SELECT maintenance.add_update(%L, '')$$, :'sched'),
   '22023', '"message" must not be blank'),
  ('add_update, blank message',
   format($$SELECT maintenance.add_update(%L, E'\r\n  ', 'in_progress')$$, :'sched'),
   '22023', '"message" must not be blank'),
  ('close_maintenance, empty message',
   format($$SELECT maintenance.close_maintenance(%L, '')$$, :'sched'),
   '22023', '"message" must not be blank'),
  ('close_maintenance, blank message',
   format($$SELECT maintenance.close_maintenance(%L, '   ')$$, :'sched'),
   '22023', '"message" must not be blank'),
  ('create_maintenance, an empty system id',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', ARRAY[''])$$,
   '22023', '"system_ids" must not contain a blank id'),
  ('create_maintenance, a blank system id after a good one',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', ARRAY['db', E'\t'])$$,
   '22023', '"system_ids" must not contain a blank id'),
  ('update_maintenance, a blank system id',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => ARRAY[' '])$$, :'sched'),
   '22023', '"system_ids" must not contain a blank id'),
  ('register_consumer, empty name',
   $$SELECT maintenance.register_consumer('')$$,
   '22023', 'consumer name must not be empty'),
  ('register_consumer, blank name',
   $$SELECT maintenance.register_consumer(E' \n')$$,
   '22023', 'consumer name must not be empty'),
  ('rpc, empty method',
   $$SELECT maintenance.rpc('', '{}')$$,
   '22023', 'unrecognized method ""'),
  ('rpc, method with a space',
   $$SELECT maintenance.rpc(' listMaintenances', '{}')$$,
   '22023', 'unrecognized method " listMaintenances"'),
  ('rpc createMaintenance, empty title',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}')$$,
   '22023', '"title" must not be blank'),
  ('rpc createMaintenance, blank title',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": " \n\t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}')$$,
   '22023', '"title" must not be blank'),
  ('rpc createMaintenance, no systemIds',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": []}')$$,
   '22023', '"systemIds" must not be empty'),
  ('rpc createMaintenance, an empty system id',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db", ""]}')$$,
   '22023', '"systemIds" must not contain a blank id'),
  ('rpc addUpdate, empty message',
   format($$SELECT maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', %L, 'message', ''))$$, :'sched'),
   '22023', '"message" must not be blank'),
  ('rpc closeMaintenance, blank message',
   format($$SELECT maintenance.rpc('closeMaintenance', jsonb_build_object('id', %L, 'message', E'\n'))$$, :'sched'),
   '22023', '"message" must not be blank');
SELECT * FROM pg_temp.run_cases();

SELECT results_eq(
    $$SELECT description, title FROM maintenance.create_maintenance(E'\u00a0\u3000\u200b', '2130-06-01 10:00Z',
                                                                     '2130-06-01 11:00Z', '{db}', '')$$,
    $$VALUES ('', E'\u00a0\u3000\u200b')$$,
    'an empty description is stored as given; a title of other (Unicode) spaces is not blank');
SELECT is((SELECT created_by FROM maintenance.add_update(:'sched', 'by nobody', created_by => '')), '',
          'an empty created_by is stored as given');
SELECT is(maintenance.rpc('createMaintenance', '{"title": "t", "description": "", "startAt": "2130-06-01T10:00:00Z",
              "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}') -> 'description', '""'::jsonb,
          'rpc: an empty description is stored as given');
SELECT is_empty($$SELECT * FROM maintenance.get_maintenances_for_system('')$$, 'reads: an empty system id has no maintenances');

-- ---------------------------------------------------------------------
-- 3. Null and duplicate system ids
INSERT INTO cases (label, call, state, msg) VALUES
  ('create_maintenance, only a null system id',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{NULL}')$$,
   '22023', '"system_ids" must not contain null'),
  ('create_maintenance, a null system id after a good one',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', ARRAY['db', NULL])$$,
   '22023', '"system_ids" must not contain null'),
  ('create_maintenance, no system id',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{}')$$,
   '22023', '"system_ids" must not be empty'),
  ('create_maintenance, two-dimensional system_ids',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{{db},{api}}')$$,
   '22023', '"system_ids" must be a one-dimensional array'),
  ('update_maintenance, a null system id',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => '{db,NULL}')$$, :'sched'),
   '22023', '"system_ids" must not contain null'),
  ('update_maintenance, no system id',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => '{}')$$, :'sched'),
   '22023', '"system_ids" must not be empty'),
  ('rpc createMaintenance, a null system id',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db", null]}')$$,
   '22023', 'field "systemIds" must be an array of strings');
SELECT * FROM pg_temp.run_cases();

SELECT max(id) AS last_event FROM maintenance.events \gset
SELECT id AS dup FROM maintenance.create_maintenance('Duplicates', '2130-06-01 10:00Z', '2130-06-01 11:00Z',
                                                     '{db,api,db,api,db}') \gset
SELECT is((SELECT system_ids FROM maintenance.get_maintenance(:'dup')), '{api,db}',
          'duplicate system ids are stored once');
SELECT is((SELECT count(*) FROM maintenance.events WHERE id > :last_event AND channel = 'maintenance_notification'),
          2::bigint, 'duplicate system ids notify each system once');
SELECT is((SELECT system_ids FROM maintenance.update_maintenance(:'dup', system_ids => '{web,web}')), '{web}',
          'update_maintenance: duplicate system ids are stored once');
SELECT is((SELECT system_ids FROM maintenance.create_maintenance('Bounds', '2130-06-01 10:00Z', '2130-06-01 11:00Z',
                                                                 '[5:6]={y,x}')), '{x,y}',
          'an array with other bounds is taken as its elements');
SELECT is(ARRAY(SELECT system_id FROM maintenance.get_bulk_maintenances_for_systems('{db,NULL,db,api}')), '{api,db}',
          'get_bulk_maintenances_for_systems: duplicates are one key, nulls are skipped');
SELECT is(jsonb_object_keys_count, 2, 'rpc getBulkMaintenancesForSystems: a duplicate id is one key')
  FROM (SELECT count(*)::int AS jsonb_object_keys_count
          FROM jsonb_object_keys(maintenance.rpc('getBulkMaintenancesForSystems',
                                                 '{"systemIds": ["db", "db", "api"]}') -> 'maintenances')) k;

-- ---------------------------------------------------------------------
-- 4. Control characters, and NUL (which PostgreSQL's text cannot hold: it is
-- refused before any function of the extension runs)
SELECT id AS ctl FROM maintenance.create_maintenance(E'\x01', '2130-06-01 10:00Z', '2130-06-01 11:00Z',
                                                     ARRAY[E'a\x01b'], E'\x1f\x7f') \gset
SELECT results_eq(
    format($$SELECT title, description, system_ids FROM maintenance.get_maintenance(%L)$$, :'ctl'),
    $$VALUES (E'\x01', E'\x1f\x7f', ARRAY[E'a\x01b'])$$,
    'control characters are data: a title of one U+0001 is not blank, and everything is stored as given');
SELECT is((SELECT maintenance.maintenance_json(m) ->> 'title' FROM maintenance.get_maintenance(:'ctl') m), E'\x01',
          'control characters round-trip through the JSON');
SELECT is((SELECT payload ->> 'title' FROM maintenance.events
            WHERE payload ->> 'maintenanceId' = :'ctl' AND name = 'maintenance.created'), E'\x01',
          'control characters round-trip through the event payload (built in C)');
SELECT is((SELECT message FROM maintenance.add_update(:'ctl', E'a\x01b')), E'a\x01b', 'a message with U+0001 is stored');
INSERT INTO cases (label, call, state, msg) VALUES
  ('a title with NUL (E''\x00'')',
   $$SELECT maintenance.create_maintenance(E'a\x00b', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$,
   '22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
  ('a title with NUL (chr(0))',
   $$SELECT maintenance.create_maintenance('a' || chr(0), '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$,
   '54000', 'null character not permitted'),
  ('a message with NUL (from bytes)',
   format($$SELECT maintenance.add_update(%L, convert_from('\x6100'::bytea, 'UTF8'))$$, :'sched'),
   '22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
  ('rpc, a title with \u0000',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "a\u0000b", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}')$$,
   '22P05', 'unsupported Unicode escape sequence');
SELECT * FROM pg_temp.run_cases();

-- ---------------------------------------------------------------------
-- 5. Infinite times
INSERT INTO cases (label, call, state, msg) VALUES
  ('create_maintenance, start_at -infinity',
   $$SELECT maintenance.create_maintenance('t', '-infinity', '2130-06-01 11:00Z', '{db}')$$,
   '22023', '"start_at" must be a finite timestamp'),
  ('create_maintenance, end_at infinity',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', 'infinity', '{db}')$$,
   '22023', '"end_at" must be a finite timestamp'),
  ('create_maintenance, -infinity to infinity',
   $$SELECT maintenance.create_maintenance('t', '-infinity', 'infinity', '{db}')$$,
   '22023', '"start_at" must be a finite timestamp'),
  ('update_maintenance, start_at -infinity',
   format($$SELECT maintenance.update_maintenance(%L, start_at => '-infinity')$$, :'sched'),
   '22023', '"start_at" must be a finite timestamp'),
  ('update_maintenance, end_at infinity',
   format($$SELECT maintenance.update_maintenance(%L, end_at => 'infinity')$$, :'sched'),
   '22023', '"end_at" must be a finite timestamp'),
  ('run_transitions, as_of infinity (would complete everything)',
   $$SELECT maintenance.run_transitions('infinity')$$,
   '22023', '"as_of" must be a finite timestamp'),
  ('run_transitions, as_of -infinity',
   $$SELECT maintenance.run_transitions(as_of => '-infinity')$$,
   '22023', '"as_of" must be a finite timestamp'),
  ('rpc createMaintenance, startAt "-infinity"',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "-infinity",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}')$$,
   '22023', 'field "startAt" must be an ISO-8601 timestamp with an offset'),
  ('rpc updateMaintenance, endAt "infinity"',
   format($$SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', %L, 'endAt', 'infinity'))$$, :'sched'),
   '22023', 'field "endAt" must be an ISO-8601 timestamp with an offset');
SELECT * FROM pg_temp.run_cases();

-- ---------------------------------------------------------------------
-- 6. Years 1 and 9999, as JavaScript's toISOString() prints them, whatever
-- the session's time zone (here UTC+14)
SELECT id AS ages FROM maintenance.create_maintenance('Ages', '0001-01-01 00:00:00Z', '9999-12-31 23:59:59.999Z', '{db}') \gset
SELECT results_eq(
    format($$SELECT j ->> 'startAt', j ->> 'endAt'
               FROM maintenance.get_maintenance(%L) m, maintenance.maintenance_json(m) j$$, :'ages'),
    $$VALUES ('0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z')$$,
    'years 1 and 9999 are accepted, and their JSON times are right');
SELECT results_eq(
    format($$SELECT payload ->> 'startAt', payload ->> 'endAt' FROM maintenance.events
              WHERE payload ->> 'maintenanceId' = %L AND name = 'maintenance.created'$$, :'ages'),
    $$VALUES ('0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z')$$,
    'years 1 and 9999 in the event payload (formatted in C) are right');
SELECT results_eq(
    $$SELECT j ->> 'startAt', j ->> 'endAt' FROM maintenance.rpc('createMaintenance',
        '{"title": "t", "startAt": "0001-01-01T00:00:00.000Z", "endAt": "9999-12-31T23:59:59.999Z",
          "systemIds": ["db"]}') j$$,
    $$VALUES ('0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z')$$,
    'rpc reads and writes years 1 and 9999');
SELECT results_eq(
    $$SELECT j ->> 'startAt', j ->> 'endAt' FROM maintenance.rpc('createMaintenance',
        '{"title": "t", "startAt": "0001-01-01T00:00:00+01:00", "endAt": "9999-12-31T23:59:59.999-01:00",
          "systemIds": ["db"]}') j$$,
    $$VALUES ('0000-12-31T23:00:00.000Z', '+010000-01-01T00:59:59.999Z')$$,
    'an offset that crosses into year 0 or 10000 gives JavaScript''s forms (0000, +010000)');
INSERT INTO cases (label, call, state, msg) VALUES
  ('rpc, a five-digit year',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "10000-01-01T00:00:00Z",
       "endAt": "10000-01-02T00:00:00Z", "systemIds": ["db"]}')$$,
   '22023', 'field "startAt" must be an ISO-8601 timestamp with an offset'),
  ('rpc, year 0',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "0000-01-01T00:00:00Z",
       "endAt": "2130-01-02T00:00:00Z", "systemIds": ["db"]}')$$,
   '22023', 'field "startAt" must be an ISO-8601 timestamp with an offset');
SELECT * FROM pg_temp.run_cases();

-- ---------------------------------------------------------------------
-- 7. Malformed JSON for rpc
-- Input that is not an object, for every method.
INSERT INTO cases (label, call, state, msg)
SELECT format('rpc %s, input %s', m, i), format('SELECT maintenance.rpc(%L, %L)', m, i),
       '22023', format('input of method "%s" must be a JSON object', m)
  FROM unnest(ARRAY['listMaintenances', 'getMaintenance', 'getMaintenancesForSystem', 'getBulkMaintenancesForSystems',
                    'createMaintenance', 'updateMaintenance', 'addUpdate', 'closeMaintenance', 'deleteMaintenance',
                    'hasActiveMaintenanceWithSuppression']) WITH ORDINALITY AS m(m, k),
       unnest(ARRAY['[]', format('[{"id": "%s"}]', :'sched'), 'null']) AS i
 ORDER BY k, i;
INSERT INTO cases (label, call, state, msg)
SELECT format('rpc createMaintenance, input %s', i), format('SELECT maintenance.rpc(%L, %L)', 'createMaintenance', i),
       '22023', 'input of method "createMaintenance" must be a JSON object'
  FROM unnest(ARRAY['"title"', '5', 'true', '""']) AS i;
SELECT * FROM pg_temp.run_cases();

-- Every field of every method, with a value of each wrong JSON type.  The
-- rest of the input is valid, so the field is the only reason to refuse.
CREATE TEMP TABLE fields (method text, field text, kind text, required boolean, base jsonb);
INSERT INTO fields
SELECT f.method, f.field, f.kind, f.required, b.base
  FROM (VALUES
    ('listMaintenances', 'status', 'status', false),
    ('listMaintenances', 'systemId', 'string', false),
    ('getMaintenance', 'id', 'uuid', true),
    ('getMaintenancesForSystem', 'systemId', 'string', true),
    ('getBulkMaintenancesForSystems', 'systemIds', 'array', true),
    ('createMaintenance', 'title', 'string', true),
    ('createMaintenance', 'description', 'string', false),
    ('createMaintenance', 'suppressNotifications', 'boolean', false),
    ('createMaintenance', 'startAt', 'time', true),
    ('createMaintenance', 'endAt', 'time', true),
    ('createMaintenance', 'systemIds', 'array', true),
    ('updateMaintenance', 'id', 'uuid', true),
    ('updateMaintenance', 'title', 'string', false),
    ('updateMaintenance', 'description', 'string', false),
    ('updateMaintenance', 'suppressNotifications', 'boolean', false),
    ('updateMaintenance', 'startAt', 'time', false),
    ('updateMaintenance', 'endAt', 'time', false),
    ('updateMaintenance', 'systemIds', 'array', false),
    ('addUpdate', 'maintenanceId', 'uuid', true),
    ('addUpdate', 'message', 'string', true),
    ('addUpdate', 'statusChange', 'status', false),
    ('closeMaintenance', 'id', 'uuid', true),
    ('closeMaintenance', 'message', 'string', false),
    ('deleteMaintenance', 'id', 'uuid', true),
    ('hasActiveMaintenanceWithSuppression', 'systemId', 'string', true)
  ) AS f(method, field, kind, required)
  JOIN (VALUES
    ('listMaintenances', '{}'::jsonb),
    ('getMaintenance', jsonb_build_object('id', :'sched')),
    ('getMaintenancesForSystem', '{"systemId": "db"}'),
    ('getBulkMaintenancesForSystems', '{"systemIds": ["db"]}'),
    ('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z", "endAt": "2130-06-01T11:00:00Z",
                            "systemIds": ["db"]}'),
    ('updateMaintenance', jsonb_build_object('id', :'sched')),
    ('addUpdate', jsonb_build_object('maintenanceId', :'sched', 'message', 'm')),
    ('closeMaintenance', jsonb_build_object('id', :'sched')),
    ('deleteMaintenance', jsonb_build_object('id', :'sched')),
    ('hasActiveMaintenanceWithSuppression', '{"systemId": "db"}')
  ) AS b(method, base) USING (method);
SELECT is((SELECT count(*) FROM fields), 25::bigint, 'the matrix covers the 25 fields of the 10 methods');

-- The JSON type each kind of field must have, and the wrong values tried.
CREATE TEMP TABLE wrong_types (kind text, json_type text, value jsonb);
INSERT INTO wrong_types
SELECT k.kind, k.json_type, v.value
  FROM (VALUES ('string', 'string'), ('uuid', 'string'), ('time', 'string'), ('status', 'string'),
               ('boolean', 'boolean'), ('array', 'array')) AS k(kind, json_type),
       (VALUES ('5'::jsonb), ('true'), ('"db"'), ('["db"]'), ('{"value": "db"}')) AS v(value)
 WHERE jsonb_typeof(v.value) <> k.json_type;
INSERT INTO cases (label, call, state, msg)
SELECT format('rpc %s, "%s": %s', f.method, f.field, w.value),
       format('SELECT maintenance.rpc(%L, %L)', f.method, f.base || jsonb_build_object(f.field, w.value)),
       '22023', format('field "%s" must be a JSON %s', f.field, w.json_type)
  FROM fields f JOIN wrong_types w USING (kind)
 ORDER BY f.method, f.field, w.value;
SELECT * FROM pg_temp.run_cases();

-- Arrays whose elements are not strings.
INSERT INTO cases (label, call, state, msg)
SELECT format('rpc %s, "%s": %s', f.method, f.field, v),
       format('SELECT maintenance.rpc(%L, %L)', f.method, f.base || jsonb_build_object(f.field, v)),
       '22023', format('field "%s" must be an array of strings', f.field)
  FROM fields f,
       unnest(ARRAY['[1]', '[null]', '[["db"]]', '[{"id": "db"}]', '["db", true]']::jsonb[]) AS v
 WHERE f.kind = 'array'
 ORDER BY f.method, v;
SELECT * FROM pg_temp.run_cases();

-- Strings that are not UUIDs, times with an offset, or statuses.
INSERT INTO cases (label, call, state, msg)
SELECT format('rpc %s, "%s": %s', f.method, f.field, v),
       format('SELECT maintenance.rpc(%L, %L)', f.method, f.base || jsonb_build_object(f.field, v)),
       '22023', format(CASE f.kind WHEN 'uuid' THEN 'field "%s" must be a UUID'
                                   WHEN 'time' THEN 'field "%s" must be an ISO-8601 timestamp with an offset'
                                   ELSE 'field "%s" has an unrecognized status' END, f.field)
  FROM fields f
  JOIN (VALUES
    ('uuid', 'not a uuid'), ('uuid', ''), ('uuid', '{' || :'sched' || '}'), ('uuid', replace(:'sched', '-', '')),
    ('uuid', ' ' || :'sched'), ('uuid', :'sched' || '0'), ('uuid', '''; DROP TABLE maintenance.events; --'),
    ('time', '2130-06-01T10:00:00'), ('time', '2130-06-01'), ('time', 'tomorrow'), ('time', 'now'),
    ('time', '2130-13-01T10:00:00Z'), ('time', '2130-02-30T10:00:00Z'), ('time', '1700000000'),
    ('status', 'COMPLETED'), ('status', ''), ('status', 'done'), ('status', 'in progress')
  ) AS v(kind, v) USING (kind)
 ORDER BY f.method, f.field, v;
SELECT * FROM pg_temp.run_cases();

-- Required fields: missing, or JSON null.
INSERT INTO cases (label, call, state, msg)
SELECT format('rpc %s, "%s" %s', f.method, f.field, how),
       format('SELECT maintenance.rpc(%L, %L)', f.method,
              CASE how WHEN 'missing' THEN f.base - f.field ELSE f.base || jsonb_build_object(f.field, NULL) END),
       '22023', format('field "%s" is required', f.field)
  FROM fields f, unnest(ARRAY['missing', 'null']) AS how
 WHERE f.required
 ORDER BY f.method, f.field, how;
SELECT * FROM pg_temp.run_cases();

-- Unknown fields, and unknown methods.
INSERT INTO cases (label, call, state, msg) VALUES
  ('rpc createMaintenance, an id',
   $$SELECT maintenance.rpc('createMaintenance', '{"id": "00000000-0000-0000-0000-000000000000", "title": "t",
       "startAt": "2130-06-01T10:00:00Z", "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}')$$,
   '22023', 'unrecognized field "id" for method "createMaintenance"'),
  ('rpc createMaintenance, "Title" for "title"',
   $$SELECT maintenance.rpc('createMaintenance', '{"Title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}')$$,
   '22023', 'unrecognized field "Title" for method "createMaintenance"'),
  ('rpc createMaintenance, "system_ids" for "systemIds"',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "system_ids": ["db"]}')$$,
   '22023', 'unrecognized field "system_ids" for method "createMaintenance"'),
  ('rpc getMaintenance, an extra field',
   format($$SELECT maintenance.rpc('getMaintenance', jsonb_build_object('id', %L, 'extra', 1))$$, :'sched'),
   '22023', 'unrecognized field "extra" for method "getMaintenance"'),
  ('rpc listMaintenances, an empty key',
   $$SELECT maintenance.rpc('listMaintenances', '{"": 1}')$$,
   '22023', 'unrecognized field "" for method "listMaintenances"'),
  ('rpc updateMaintenance, nested input',
   format($$SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('input', jsonb_build_object('id', %L)))$$, :'sched'),
   '22023', 'unrecognized field "input" for method "updateMaintenance"'),
  ('rpc, method in another case',
   $$SELECT maintenance.rpc('CreateMaintenance', '{}')$$,
   '22023', 'unrecognized method "CreateMaintenance"'),
  ('rpc, method in snake_case',
   $$SELECT maintenance.rpc('create_maintenance', '{}')$$,
   '22023', 'unrecognized method "create_maintenance"'),
  ('rpc, method that looks like SQL',
   $$SELECT maintenance.rpc('listMaintenances''); DROP TABLE maintenance.events; --', '{}')$$,
   '22023', 'unrecognized method "listMaintenances''); DROP TABLE maintenance.events; --"'),
  ('rpc updateMaintenance, unknown id',
   format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "title": "t"}')$$, :'unknown'),
   'P0002', format('maintenance "%s" does not exist', :'unknown')),
  ('rpc addUpdate, unknown id',
   format($$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "%s", "message": "m"}')$$, :'unknown'),
   'P0002', format('maintenance "%s" does not exist', :'unknown')),
  ('rpc closeMaintenance, unknown id',
   format($$SELECT maintenance.rpc('closeMaintenance', '{"id": "%s"}')$$, :'unknown'),
   'P0002', format('maintenance "%s" does not exist', :'unknown')),
  ('rpc addUpdate, a completed maintenance back to in_progress',
   format($$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "%s", "message": "m", "statusChange": "in_progress"}')$$, :'done'),
   '55000', format('cannot change status of maintenance "%s" from "completed" to "in_progress"', :'done'));
SELECT * FROM pg_temp.run_cases();

-- Accepted meanings of JSON input.
SELECT results_eq(
    $$SELECT j ? 'description', j -> 'suppressNotifications' FROM maintenance.rpc('createMaintenance',
        '{"title": "t", "description": null, "suppressNotifications": null, "startAt": "2130-06-01T10:00:00Z",
          "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}') j$$,
    $$VALUES (false, 'false'::jsonb)$$,
    'rpc: an optional field that is JSON null is absent');
SELECT is(maintenance.rpc('listMaintenances', '{"status": null, "systemId": null}'),
          maintenance.rpc('listMaintenances', '{}'), 'rpc listMaintenances: null filters are absent');
SELECT is(maintenance.rpc('updateMaintenance', jsonb_build_object('id', :'sched', 'title', NULL)) ->> 'title', 'Scheduled',
          'rpc updateMaintenance: "title": null leaves the title');
SELECT is(maintenance.rpc('updateMaintenance', jsonb_build_object('id', :'sched', 'description', NULL)) ? 'description', false,
          'rpc updateMaintenance: "description": null clears the description');
SELECT is(maintenance.rpc('getMaintenance', jsonb_build_object('id', upper(:'sched'))) ->> 'id', :'sched',
          'rpc: a UUID in capitals is the same id');
SELECT is(maintenance.rpc('createMaintenance', '{"title": "first", "title": "second", "startAt": "2130-06-01T10:00:00Z",
              "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"]}') ->> 'title', 'second',
          'rpc: of a key given twice the last one counts (jsonb)');
SELECT is(maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', :'sched', 'message', 'm', 'statusChange', NULL))
              -> 'statusChange', NULL, 'rpc addUpdate: "statusChange": null is a message only');
SELECT is(maintenance.rpc('getMaintenance', format('{"id": "%s"}', :'unknown')::jsonb), 'null'::jsonb,
          'rpc getMaintenance: an unknown id is JSON null');
SELECT is(maintenance.rpc('deleteMaintenance', format('{"id": "%s"}', :'unknown')::jsonb), '{"success": false}'::jsonb,
          'rpc deleteMaintenance: an unknown id is {"success": false}');

-- ---------------------------------------------------------------------
-- 8. Text that looks like SQL stays data
SELECT id AS inj FROM maintenance.create_maintenance(
    $t$'); DROP TABLE maintenance.events; --$t$, '2130-06-01 10:00Z', '2130-06-01 11:00Z',
    ARRAY[$t$db'; DELETE FROM maintenance.maintenances; --$t$, '$$; SELECT 1; $$'],
    $d$%s %L %I \'; SELECT pg_sleep(10); --$d$) \gset
SELECT results_eq(
    format($q$SELECT title, description, system_ids FROM maintenance.get_maintenance(%L)$q$, :'inj'),
    $q$VALUES ($t$'); DROP TABLE maintenance.events; --$t$, $d$%s %L %I \'; SELECT pg_sleep(10); --$d$,
              ARRAY['$$; SELECT 1; $$', $t$db'; DELETE FROM maintenance.maintenances; --$t$])$q$,
    'a title, a description and system ids that look like SQL are stored as given');
SELECT is((SELECT message FROM maintenance.add_update(:'inj', $t$'); TRUNCATE maintenance.events; --$t$,
                                                      created_by => $t$x'); DROP SCHEMA maintenance CASCADE; --$t$)),
          $t$'); TRUNCATE maintenance.events; --$t$, 'a message that looks like SQL is stored as given');
SELECT is((SELECT count(*) FROM maintenance.events WHERE payload ->> 'maintenanceId' = :'inj'), 6::bigint,
          'the events of those calls are all there (no statement ran)');
SELECT is((SELECT last_event_id FROM maintenance.register_consumer($t$c'); DROP TABLE maintenance.event_consumers; --$t$)),
          0::bigint, 'a consumer name that looks like SQL is a name');

-- ---------------------------------------------------------------------
-- 9. Sizes (doc/security.md "Limits"): every input at its limit is accepted, one
-- byte or element past it is refused with 22023 naming the argument (the
-- JSON field through rpc) and the limit, and writes nothing.

-- Text that compresses badly, like a random id: n bytes of hex digits.
CREATE FUNCTION pg_temp.noise(n integer, seed text) RETURNS text LANGUAGE sql AS $$
    SELECT substr(string_agg(md5(seed || i), '' ORDER BY i), 1, n) FROM generate_series(0, n / 32) AS i
$$;
SELECT pg_temp.noise(1025, 'id') AS id1025, pg_temp.noise(3000, 'id') AS id3000,
       pg_temp.noise(1025, 'consumer') AS name1025, repeat('a', 1025) AS author1025,
       repeat('t', 4097) AS title4097, repeat('é', 2049) AS title_wide, repeat('d', 1048577) AS text1m1 \gset
INSERT INTO cases (label, call, state, msg) VALUES
  ('create_maintenance, a title of 4097 bytes',
   format($$SELECT maintenance.create_maintenance(%L, '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$, :'title4097'),
   '22023', '"title" must not be longer than 4096 bytes'),
  ('create_maintenance, a title of 2049 characters and 4098 bytes',
   format($$SELECT maintenance.create_maintenance(%L, '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}')$$, :'title_wide'),
   '22023', '"title" must not be longer than 4096 bytes'),
  ('create_maintenance, a description of 1 MiB + 1 byte',
   format($$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}', %L)$$, :'text1m1'),
   '22023', '"description" must not be longer than 1048576 bytes'),
  ('create_maintenance, a system id of 1025 bytes',
   format($$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', ARRAY['db', %L])$$, :'id1025'),
   '22023', '"system_ids" must not contain an id longer than 1024 bytes'),
  ('create_maintenance, a random system id of 3000 bytes (was 54000 from the index)',
   format($$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', ARRAY[%L])$$, :'id3000'),
   '22023', '"system_ids" must not contain an id longer than 1024 bytes'),
  ('create_maintenance, 1001 systems',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z',
       ARRAY(SELECT 's' || i FROM generate_series(1, 1001) AS i))$$,
   '22023', '"system_ids" must not have more than 1000 elements'),
  ('create_maintenance, 1001 elements that are one system',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', array_fill('db'::text, ARRAY[1001]))$$,
   '22023', '"system_ids" must not have more than 1000 elements'),
  ('update_maintenance, a title of 4097 bytes',
   format($$SELECT maintenance.update_maintenance(%L, title => %L)$$, :'sched', :'title4097'),
   '22023', '"title" must not be longer than 4096 bytes'),
  ('update_maintenance, a description of 1 MiB + 1 byte',
   format($$SELECT maintenance.update_maintenance(%L, description => %L)$$, :'sched', :'text1m1'),
   '22023', '"description" must not be longer than 1048576 bytes'),
  ('update_maintenance, a system id of 1025 bytes',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => ARRAY[%L])$$, :'sched', :'id1025'),
   '22023', '"system_ids" must not contain an id longer than 1024 bytes'),
  ('update_maintenance, 1001 systems',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => ARRAY(SELECT 's' || i FROM generate_series(1, 1001) AS i))$$, :'sched'),
   '22023', '"system_ids" must not have more than 1000 elements'),
  ('add_update, a message of 1 MiB + 1 byte',
   format($$SELECT maintenance.add_update(%L, %L)$$, :'sched', :'text1m1'),
   '22023', '"message" must not be longer than 1048576 bytes'),
  ('add_update, a created_by of 1025 bytes',
   format($$SELECT maintenance.add_update(%L, 'm', created_by => %L)$$, :'sched', :'author1025'),
   '22023', '"created_by" must not be longer than 1024 bytes'),
  ('close_maintenance, a message of 1 MiB + 1 byte',
   format($$SELECT maintenance.close_maintenance(%L, %L)$$, :'sched', :'text1m1'),
   '22023', '"message" must not be longer than 1048576 bytes'),
  ('close_maintenance, a created_by of 1025 bytes',
   format($$SELECT maintenance.close_maintenance(%L, 'm', %L)$$, :'sched', :'author1025'),
   '22023', '"created_by" must not be longer than 1024 bytes'),
  ('register_consumer, a name of 1025 bytes',
   format($$SELECT maintenance.register_consumer(%L)$$, :'name1025'),
   '22023', 'consumer name must not be longer than 1024 bytes'),
  ('register_consumer, a name of 1 MiB + 1 byte (was 54000 from the index)',
   format($$SELECT maintenance.register_consumer(%L)$$, :'text1m1'),
   '22023', 'consumer name must not be longer than 1024 bytes'),
  ('get_bulk_maintenances_for_systems, 10001 ids',
   $$SELECT maintenance.get_bulk_maintenances_for_systems(ARRAY(SELECT 's' || i FROM generate_series(1, 10001) AS i))$$,
   '22023', '"system_ids" must not have more than 10000 elements'),
  ('SET maintenance.actor to 1025 bytes',
   format($$SET maintenance.actor = %L$$, :'author1025'),
   '22023', format('invalid value for parameter "maintenance.actor": "%s"', :'author1025')),
  ('rpc createMaintenance, a title of 4097 bytes',
   format($$SELECT maintenance.rpc('createMaintenance', jsonb_build_object('title', %L::text,
       'startAt', '2130-06-01T10:00:00Z', 'endAt', '2130-06-01T11:00:00Z', 'systemIds', jsonb_build_array('db')))$$, :'title4097'),
   '22023', '"title" must not be longer than 4096 bytes'),
  ('rpc createMaintenance, a description of 1 MiB + 1 byte',
   format($$SELECT maintenance.rpc('createMaintenance', jsonb_build_object('title', 't', 'description', %L::text,
       'startAt', '2130-06-01T10:00:00Z', 'endAt', '2130-06-01T11:00:00Z', 'systemIds', jsonb_build_array('db')))$$, :'text1m1'),
   '22023', '"description" must not be longer than 1048576 bytes'),
  ('rpc createMaintenance, a random system id of 3000 bytes (was 54000 from the index)',
   format($$SELECT maintenance.rpc('createMaintenance', jsonb_build_object('title', 't',
       'startAt', '2130-06-01T10:00:00Z', 'endAt', '2130-06-01T11:00:00Z', 'systemIds', jsonb_build_array(%L::text)))$$, :'id3000'),
   '22023', '"systemIds" must not contain an id longer than 1024 bytes'),
  ('rpc createMaintenance, 1001 systems',
   $$SELECT maintenance.rpc('createMaintenance', jsonb_build_object('title', 't',
       'startAt', '2130-06-01T10:00:00Z', 'endAt', '2130-06-01T11:00:00Z',
       'systemIds', (SELECT jsonb_agg('s' || i) FROM generate_series(1, 1001) AS i)))$$,
   '22023', '"systemIds" must not have more than 1000 elements'),
  ('rpc updateMaintenance, a title of 4097 bytes',
   format($$SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', %L::text, 'title', %L::text))$$, :'sched', :'title4097'),
   '22023', '"title" must not be longer than 4096 bytes'),
  ('rpc updateMaintenance, a system id of 1025 bytes',
   format($$SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', %L::text, 'systemIds', jsonb_build_array(%L::text)))$$, :'sched', :'id1025'),
   '22023', '"systemIds" must not contain an id longer than 1024 bytes'),
  ('rpc addUpdate, a message of 1 MiB + 1 byte',
   format($$SELECT maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', %L::text, 'message', %L::text))$$, :'sched', :'text1m1'),
   '22023', '"message" must not be longer than 1048576 bytes'),
  ('rpc closeMaintenance, a message of 1 MiB + 1 byte',
   format($$SELECT maintenance.rpc('closeMaintenance', jsonb_build_object('id', %L::text, 'message', %L::text))$$, :'sched', :'text1m1'),
   '22023', '"message" must not be longer than 1048576 bytes'),
  ('rpc getBulkMaintenancesForSystems, 10001 ids',
   $$SELECT maintenance.rpc('getBulkMaintenancesForSystems',
       jsonb_build_object('systemIds', (SELECT jsonb_agg('s' || i) FROM generate_series(1, 10001) AS i)))$$,
   '22023', '"systemIds" must not have more than 10000 elements');
SELECT * FROM pg_temp.run_cases();

-- At the limits: a title of 4096 bytes (2048 two-byte characters), a
-- description of 1 MiB, 1000 systems, one of them of 1024 random bytes;
-- its events hold all of it.  (Short ids for the others: the index entries
-- of this rolled-back test stay in the index until a vacuum, and the plan
-- checks of test/pgtap/schema.sql run later in the same database.)
SELECT max(id) AS last_event FROM maintenance.events \gset
SELECT id AS big FROM maintenance.create_maintenance(repeat('é', 2048), '2130-06-01 10:00Z', '2130-06-01 11:00Z',
    pg_temp.noise(1024, 'sys7') || ARRAY(SELECT 's' || i FROM generate_series(2, 1000) AS i), repeat('d', 1048576)) \gset
SELECT results_eq(
    format($$SELECT octet_length(title), octet_length(description), cardinality(system_ids),
                    (SELECT max(octet_length(s)) FROM unnest(system_ids) AS s)
               FROM maintenance.get_maintenance(%L)$$, :'big'),
    $$VALUES (4096, 1048576, 1000, 1024)$$,
    'a title, a description and system ids at their limits are accepted and stored whole');
SELECT results_eq(
    format($$SELECT count(*), count(*) FILTER (WHERE name = 'maintenance.notification'),
                    max(octet_length(payload ->> 'description')), max(octet_length(payload ->> 'title'))
               FROM maintenance.events WHERE id > %s$$, :last_event),
    $$VALUES (1002::bigint, 1000::bigint, 1048576, 4096)$$,
    'its signal, its hook (with the whole title and description) and 1000 notifications');
SELECT is((SELECT m.id FROM maintenance.get_maintenances_for_system(pg_temp.noise(1024, 'sys7')) m), :'big'::uuid,
          'a system id of 1024 random bytes is found through the index');
SELECT max(id) AS last_event FROM maintenance.events \gset
SELECT is((SELECT octet_length(message) FROM maintenance.add_update(:'sched', repeat('m', 1048576),
                                                                    created_by => repeat('a', 1024))), 1048576,
          'a message of 1 MiB and an author of 1024 bytes are accepted and stored whole');
SELECT is((SELECT max(pg_column_size(payload)) < 1000 FROM maintenance.events WHERE id > :last_event), true,
          'its events do not carry the message');
SELECT lives_ok(format($$SET maintenance.actor = %L$$, repeat('a', 1024)), 'maintenance.actor of 1024 bytes is accepted');
SET LOCAL maintenance.actor = '';
SELECT is((SELECT octet_length(name) FROM maintenance.register_consumer(pg_temp.noise(1024, 'consumer'))), 1024,
          'a consumer name of 1024 random bytes is accepted');
SELECT is((SELECT count(*) FROM maintenance.get_bulk_maintenances_for_systems(
              ARRAY(SELECT 'q' || i FROM generate_series(1, 10000) AS i))), 10000::bigint,
          'a bulk read of 10000 ids is accepted');
SELECT is((SELECT count(*) FROM jsonb_object_keys(maintenance.rpc('getBulkMaintenancesForSystems',
              jsonb_build_object('systemIds', (SELECT jsonb_agg('q' || i) FROM generate_series(1, 10000) AS i))) -> 'maintenances')),
          10000::bigint, 'rpc getBulkMaintenancesForSystems of 10000 ids is accepted');
SELECT is(octet_length(maintenance.rpc('createMaintenance', jsonb_build_object('title', repeat('t', 4096),
              'description', repeat('d', 1048576), 'startAt', '2130-06-01T10:00:00Z', 'endAt', '2130-06-01T11:00:00Z',
              'systemIds', to_jsonb(pg_temp.noise(1024, 'rpc') || ARRAY(SELECT 's' || i FROM generate_series(2, 1000) AS i)))) ->> 'title'),
          4096, 'rpc createMaintenance at every limit is accepted');

-- ---------------------------------------------------------------------
-- 10. A completed or cancelled maintenance is a record: its title and
-- description can be corrected; its times, systems and
-- suppress_notifications are refused with 55000 (a value it has already is
-- no change, and allowed).
INSERT INTO cases (label, call, state, msg) VALUES
  ('update_maintenance of a completed one, start_at',
   format($$SELECT maintenance.update_maintenance(%L, start_at => '2130-01-02 09:00Z')$$, :'done'),
   '55000', format('cannot change "start_at" of maintenance "%s": it is "completed"', :'done')),
  ('update_maintenance of a completed one, end_at',
   format($$SELECT maintenance.update_maintenance(%L, title => 'ok', end_at => '2130-01-02 13:00Z')$$, :'done'),
   '55000', format('cannot change "end_at" of maintenance "%s": it is "completed"', :'done')),
  ('update_maintenance of a completed one, system_ids',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => '{db,api}')$$, :'done'),
   '55000', format('cannot change "system_ids" of maintenance "%s": it is "completed"', :'done')),
  ('update_maintenance of a completed one, suppress_notifications',
   format($$SELECT maintenance.update_maintenance(%L, suppress_notifications => true)$$, :'done'),
   '55000', format('cannot change "suppress_notifications" of maintenance "%s": it is "completed"', :'done')),
  ('update_maintenance of a cancelled one, start_at and end_at',
   format($$SELECT maintenance.update_maintenance(%L, start_at => '2130-01-03 11:00Z', end_at => '2130-01-03 13:00Z')$$, :'off'),
   '55000', format('cannot change "start_at" of maintenance "%s": it is "cancelled"', :'off')),
  ('update_maintenance of a cancelled one, system_ids',
   format($$SELECT maintenance.update_maintenance(%L, system_ids => '{api}')$$, :'off'),
   '55000', format('cannot change "system_ids" of maintenance "%s": it is "cancelled"', :'off')),
  ('rpc updateMaintenance of a completed one, endAt',
   format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "endAt": "2130-01-02T13:00:00Z"}')$$, :'done'),
   '55000', format('cannot change "endAt" of maintenance "%s": it is "completed"', :'done')),
  ('rpc updateMaintenance of a completed one, systemIds',
   format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "systemIds": ["api"]}')$$, :'done'),
   '55000', format('cannot change "systemIds" of maintenance "%s": it is "completed"', :'done')),
  ('rpc updateMaintenance of a cancelled one, suppressNotifications',
   format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "title": "t", "suppressNotifications": true}')$$, :'off'),
   '55000', format('cannot change "suppressNotifications" of maintenance "%s": it is "cancelled"', :'off')),
  ('rpc updateMaintenance of a cancelled one, startAt',
   format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "startAt": "2130-01-03T09:00:00Z"}')$$, :'off'),
   '55000', format('cannot change "startAt" of maintenance "%s": it is "cancelled"', :'off'));
SELECT * FROM pg_temp.run_cases();
CREATE FUNCTION pg_temp.detail_of(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE call;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END
$$;
SELECT is(pg_temp.detail_of(format($$SELECT maintenance.update_maintenance(%L, end_at => '2130-01-02 13:00Z')$$, :'done')),
          'Only the title and the description of a maintenance that is "completed" can change.',
          'update_maintenance of a completed one: the detail says what it allows');

-- The title and the description can change, with the other fields at
-- their values (no change): a signal and a hook, the status stays.
SELECT max(id) AS last_event FROM maintenance.events \gset
SELECT results_eq(
    format($$SELECT title, description, status::text, start_at, end_at, system_ids, suppress_notifications
               FROM maintenance.update_maintenance(%L, title => 'Completed (corrected)', description => 'A note',
                        start_at => '2130-01-02 10:00Z', end_at => '2130-01-02 12:00Z',
                        system_ids => '{db,db}', suppress_notifications => false)$$, :'done'),
    $$VALUES ('Completed (corrected)', 'A note', 'completed', '2130-01-02 10:00Z'::timestamptz,
              '2130-01-02 12:00Z'::timestamptz, '{db}'::text[], false)$$,
    'update_maintenance of a completed one: title and description change, the same times and systems are no change');
SELECT results_eq(
    format($$SELECT channel, name, payload ->> 'action', payload ->> 'status', payload ->> 'title'
               FROM maintenance.events WHERE id > %s ORDER BY id$$, :last_event),
    $$VALUES ('maintenance_signal', 'maintenance.updated', 'updated', NULL, NULL),
             ('maintenance_hook', 'maintenance.updated', 'updated', 'completed', 'Completed (corrected)')$$,
    'the correction emits its signal and its hook, and no notification');
SELECT max(id) AS last_event FROM maintenance.events \gset
SELECT is(maintenance.rpc('updateMaintenance', jsonb_build_object('id', :'off', 'title', 'Called off (typo)',
              'description', NULL, 'systemIds', jsonb_build_array('db'))) - 'updatedAt' - 'createdAt' - 'id',
          jsonb_build_object('title', 'Called off (typo)', 'status', 'cancelled', 'startAt', '2130-01-03T10:00:00.000Z',
              'endAt', '2130-01-03T12:00:00.000Z', 'systemIds', jsonb_build_array('db'), 'suppressNotifications', false),
          'rpc updateMaintenance of a cancelled one: the title changes, the description is cleared');
SELECT is((SELECT count(*) FROM maintenance.events WHERE id > :last_event), 2::bigint,
          'that correction emits a signal and a hook');

-- ---------------------------------------------------------------------
-- Reminders (doc/scheduling.md "Reminders"): leads of whole minutes from 1 minute to
-- 366 days, at most 10, none null or twice; a finished maintenance keeps
-- its own.
INSERT INTO cases (label, call, state, msg) VALUES
  ('create_maintenance, a reminder of seconds',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => '{90 seconds}')$$,
   '22023', '"reminders" must hold leads of whole minutes from 1 minute to 366 days'),
  ('create_maintenance, a reminder of 0',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => '{0}')$$,
   '22023', '"reminders" must hold leads of whole minutes from 1 minute to 366 days'),
  ('create_maintenance, a reminder of a month',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => '{1 mon}')$$,
   '22023', '"reminders" must hold leads of whole minutes from 1 minute to 366 days'),
  ('create_maintenance, a reminder one minute past 366 days',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => '{366 days 1 minute}')$$,
   '22023', '"reminders" must hold leads of whole minutes from 1 minute to 366 days'),
  ('create_maintenance, a null reminder',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => '{NULL}')$$,
   '22023', '"reminders" must not contain null'),
  ('create_maintenance, one lead twice',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => '{1 day, 24 hours}')$$,
   '22023', '"reminders" must not hold the same lead twice'),
  ('create_maintenance, 11 reminders',
   $$SELECT maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
       reminders => ARRAY(SELECT i * interval '1 minute' FROM generate_series(1, 11) AS i))$$,
   '22023', '"reminders" must not have more than 10 elements'),
  ('update_maintenance, a reminder of seconds',
   format($$SELECT maintenance.update_maintenance(%L, reminders => '{1 second}')$$, :'sched'),
   '22023', '"reminders" must hold leads of whole minutes from 1 minute to 366 days'),
  ('update_maintenance of a completed one, reminders',
   format($$SELECT maintenance.update_maintenance(%L, reminders => '{1 hour}')$$, :'done'),
   '55000', format('cannot change "reminders" of maintenance "%s": it is "completed"', :'done')),
  ('rpc createMaintenance, a reminder that is no ISO duration',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"], "reminders": ["1 hour"]}')$$,
   '22023', 'field "reminders" must be an RFC 5545 duration'),
  ('rpc createMaintenance, reminders not an array',
   $$SELECT maintenance.rpc('createMaintenance', '{"title": "t", "startAt": "2130-06-01T10:00:00Z",
       "endAt": "2130-06-01T11:00:00Z", "systemIds": ["db"], "reminders": "PT1H"}')$$,
   '22023', 'field "reminders" must be a JSON array'),
  ('rpc updateMaintenance, 11 reminders',
   format($$SELECT maintenance.rpc('updateMaintenance', jsonb_build_object('id', %L,
       'reminders', (SELECT jsonb_agg('PT' || i || 'M') FROM generate_series(1, 11) AS i)))$$, :'sched'),
   '22023', '"reminders" must not have more than 10 elements');
SELECT * FROM pg_temp.run_cases();
-- At the limits: 10 leads, from 1 minute to 366 days.
SELECT is(cardinality((maintenance.create_maintenance('t', '2130-06-01 10:00Z', '2130-06-01 11:00Z', '{db}',
              reminders => ARRAY['1 minute', '366 days']::interval[]
                           || ARRAY(SELECT i * interval '1 hour' FROM generate_series(1, 8) AS i))).reminders),
          10, 'create_maintenance: 10 reminders, 1 minute and 366 days, are accepted');

SELECT * FROM finish();
ROLLBACK;
