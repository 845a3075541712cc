-- events: what each write emits, and in what order.  Every event is a row in
-- maintenance.events, written in the writing transaction (same time, same
-- transaction id), in this order: the signal, the hook, then one notification
-- per system in system order.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- The events written since the last call, in id order.  Run inside the
-- writing transaction, "now" and "this_xact" tell that the event belongs to it.
CREATE TEMP TABLE seen (last bigint NOT NULL);
INSERT INTO seen VALUES (0);
CREATE FUNCTION pg_temp.new_events()
RETURNS TABLE (id bigint, channel text, name text, payload text, now boolean, this_xact boolean)
LANGUAGE sql AS $$
    WITH s AS (SELECT last FROM seen),
         u AS (UPDATE seen SET last = (SELECT coalesce(max(e.id), 0) FROM maintenance.events e))
    SELECT e.id, e.channel, e.name, pg_temp.mask(e.payload::text),
           e.occurred_at = now(), e.xid = pg_current_xact_id_if_assigned()
      FROM maintenance.events e, s
     WHERE e.id > s.last
     ORDER BY e.id
$$;

-- create: the signal "created", the hook maintenance.created (no action;
-- description only when there is one) and a notification "created" with
-- the verb "scheduled" for each system.
BEGIN;
SELECT pg_temp.label(id, 'm') FROM maintenance.create_maintenance('Database upgrade',
    '2031-10-01 10:00+00', '2031-10-01 12:00+00', '{web,api,db}', 'Postgres 16');
SELECT * FROM pg_temp.new_events();
COMMIT;
SELECT pg_temp.label(id, 'plain') FROM maintenance.create_maintenance('No description',
    '2031-10-02 10:00+00', '2031-10-02 12:00+00', '{api}');
SELECT name, payload FROM pg_temp.new_events() WHERE channel = 'maintenance_hook';

-- update: the signal and the hook maintenance.updated, both with action
-- "updated"; no notification.  The payload shows the maintenance after the
-- update (here: other systems, no description).
BEGIN;
SELECT title FROM maintenance.update_maintenance(pg_temp.id('m'), title => 'Database upgrade, longer',
    end_at => '2031-10-01 13:00+00', system_ids => '{db,api}', clear_description => true);
SELECT * FROM pg_temp.new_events();
COMMIT;

-- add_update with a message only: signal and hook, action "updated".
BEGIN;
SELECT message FROM maintenance.add_update(pg_temp.id('m'), 'Preparing');
SELECT * FROM pg_temp.new_events();
COMMIT;
-- Asking for the status it already has: the same, no notification.
SELECT status_change FROM maintenance.add_update(pg_temp.id('m'), 'Still scheduled', 'scheduled');
SELECT id, channel, name, payload FROM pg_temp.new_events();

-- add_update with a real change: notifications "started", verb "started".
BEGIN;
SELECT status_change FROM maintenance.add_update(pg_temp.id('m'), 'Starting now', 'in_progress');
SELECT * FROM pg_temp.new_events();
COMMIT;

-- add_update to "completed": action "closed", notifications "completed".
SELECT status_change FROM maintenance.add_update(pg_temp.id('m'), 'Finished', 'completed');
SELECT id, channel, name, payload FROM pg_temp.new_events();
-- Asking for "completed" again: a message only, action still "closed", no
-- notification.
SELECT status_change FROM maintenance.add_update(pg_temp.id('m'), 'Really finished', 'completed');
SELECT id, channel, name, payload FROM pg_temp.new_events();

-- Cancelling: action "updated", notifications "cancelled".
SELECT pg_temp.label(id, 'c') FROM maintenance.create_maintenance('To cancel',
    '2031-10-03 10:00+00', '2031-10-03 12:00+00', '{api}');
SELECT count(*) FROM pg_temp.new_events();
SELECT status_change FROM maintenance.add_update(pg_temp.id('c'), 'Not needed', 'cancelled');
SELECT id, channel, name, payload FROM pg_temp.new_events();

-- close: action "closed", notifications "completed".
BEGIN;
SELECT status FROM maintenance.close_maintenance(pg_temp.id('plain'));
SELECT * FROM pg_temp.new_events();
COMMIT;

-- delete: only the signal, action "closed", with the systems it had.
BEGIN;
SELECT maintenance.delete_maintenance(pg_temp.id('m'));
SELECT * FROM pg_temp.new_events();
COMMIT;
-- Deleting an unknown maintenance emits nothing.
SELECT maintenance.delete_maintenance(pg_temp.id('m'));
SELECT count(*) FROM pg_temp.new_events();

-- The rpc methods emit the same events as the typed functions.
SELECT pg_temp.label((maintenance.rpc('createMaintenance', '{"title": "Via rpc",
    "startAt": "2031-10-04T10:00:00Z", "endAt": "2031-10-04T11:00:00Z", "systemIds": ["b", "a"]}') ->> 'id')::uuid, 'r');
SELECT id, channel, name, payload FROM pg_temp.new_events();
SELECT maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', pg_temp.id('r'),
    'message', 'Go', 'statusChange', 'in_progress')) ->> 'statusChange';
SELECT id, channel, name, payload FROM pg_temp.new_events();
SELECT maintenance.rpc('closeMaintenance', jsonb_build_object('id', pg_temp.id('r'))) ->> 'status';
SELECT id, channel, name, payload FROM pg_temp.new_events();
SELECT maintenance.rpc('deleteMaintenance', jsonb_build_object('id', pg_temp.id('r')));
SELECT id, channel, name, payload FROM pg_temp.new_events();

-- Events are delivered only if the write commits: a rolled-back create
-- leaves no event (its ids are skipped).
BEGIN;
SELECT title FROM maintenance.create_maintenance('Rolled back', '2031-10-05 10:00+00', '2031-10-05 11:00+00', '{a}');
ROLLBACK;
SELECT count(*) FROM pg_temp.new_events();

-- A large maintenance: the write succeeds and the outbox keeps the whole
-- payload (800 system ids), even where NOTIFY gets the truncated envelope.
SELECT pg_temp.label(id, 'big'), cardinality(system_ids)
  FROM maintenance.create_maintenance('Everything', '2031-10-06 10:00+00', '2031-10-06 11:00+00',
           ARRAY(SELECT format('system-%s', lpad(i::text, 4, '0')) FROM generate_series(1, 800) AS i));
SELECT channel, name, count(*), max(jsonb_array_length(e.payload -> 'systemIds')) AS system_ids,
       max(octet_length(e.payload::text)) > 8000 AS over_notify_limit
  FROM maintenance.events e WHERE e.id > (SELECT last FROM seen)
 GROUP BY channel, name ORDER BY min(e.id);
SELECT count(*) FROM pg_temp.new_events();

-- Who wrote an update: the explicit created_by, else the setting
-- maintenance.actor, else null (the system).
SELECT pg_temp.label(id, 'a') FROM maintenance.create_maintenance('Authors',
    '2031-10-07 10:00+00', '2031-10-07 12:00+00', '{x}');
SHOW maintenance.actor;
SELECT message, created_by FROM maintenance.add_update(pg_temp.id('a'), 'Nobody set');
SET maintenance.actor = 'alice@example.com';
SELECT message, created_by FROM maintenance.add_update(pg_temp.id('a'), 'From the setting');
SELECT message, created_by FROM maintenance.add_update(pg_temp.id('a'), 'Explicit', created_by => 'bob');
BEGIN;
SET LOCAL maintenance.actor = 'carol';
SELECT message, created_by FROM maintenance.add_update(pg_temp.id('a'), 'Per request');
SELECT maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', pg_temp.id('a'),
    'message', 'Per request, rpc')) ->> 'createdBy' AS "createdBy";
COMMIT;
SELECT status FROM maintenance.close_maintenance(pg_temp.id('a'), created_by => 'dave');
RESET maintenance.actor;
SELECT message, created_by FROM maintenance.add_update(pg_temp.id('a'), 'Reset again');
SELECT message, created_by FROM maintenance.get_maintenance_updates(pg_temp.id('a'));
-- Authors do not appear in the events.
SELECT count(*) FROM maintenance.events WHERE payload::text ~ 'alice|bob|carol|dave';

DROP EXTENSION maintenance;
