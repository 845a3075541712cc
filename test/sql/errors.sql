-- errors: every error of the typed functions: unknown maintenance
-- P0002, invalid input 22023, refused status change 55000, each message
-- naming the argument or the id.  A refused call changes nothing and emits
-- nothing.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- Everything the extension stores, as one fingerprint: the counts, then a
-- hash of every row (which differs from run to run).
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE sql AS $$
    SELECT format('%s maintenances, %s systems, %s updates, %s events; %s',
        (SELECT count(*) FROM maintenance.maintenances),
        (SELECT count(*) FROM maintenance.maintenance_systems),
        (SELECT count(*) FROM maintenance.maintenance_updates),
        (SELECT count(*) FROM maintenance.events),
        md5(concat(
            (SELECT string_agg(m::text, ',' ORDER BY id) FROM maintenance.maintenances m),
            (SELECT string_agg(s::text, ',' ORDER BY s::text) FROM maintenance.maintenance_systems s),
            (SELECT string_agg(u::text, ',' ORDER BY position) FROM maintenance.maintenance_updates u),
            (SELECT string_agg(e::text, ',' ORDER BY id) FROM maintenance.events e))))
$$;

SELECT pg_temp.label(id, 'sched') FROM maintenance.create_maintenance('Scheduled', '2031-09-01 10:00+00', '2031-09-01 12:00+00', '{a,b}');
SELECT pg_temp.label(id, 'done') FROM maintenance.create_maintenance('Completed', '2031-09-02 10:00+00', '2031-09-02 12:00+00', '{a}');
SELECT status FROM maintenance.close_maintenance(pg_temp.id('done'));
SELECT pg_temp.label(id, 'off') FROM maintenance.create_maintenance('Cancelled', '2031-09-03 10:00+00', '2031-09-03 12:00+00', '{b}');
SELECT status_change FROM maintenance.add_update(pg_temp.id('off'), 'Called off', 'cancelled');
CREATE TEMP TABLE before AS SELECT pg_temp.fingerprint() AS f;

-- create_maintenance
SELECT label, pg_temp.try(stmt, true) AS error FROM (VALUES
  ('null title', $$SELECT maintenance.create_maintenance(NULL, '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{a}')$$),
  ('empty title', $$SELECT maintenance.create_maintenance('', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{a}')$$),
  ('blank title', $$SELECT maintenance.create_maintenance(E' \t\r\n\f\x0B', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{a}')$$),
  ('null start_at', $$SELECT maintenance.create_maintenance('t', NULL, '2031-09-09 12:00+00', '{a}')$$),
  ('null end_at', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', NULL, '{a}')$$),
  ('end_at = start_at', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+02', '{a}')$$),
  ('end_at < start_at', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 09:00+00', '{a}')$$),
  ('start_at -infinity', $$SELECT maintenance.create_maintenance('t', '-infinity', '2031-09-09 12:00+00', '{a}')$$),
  ('end_at infinity', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', 'infinity', '{a}')$$),
  ('null system_ids', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', NULL)$$),
  ('empty system_ids', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{}')$$),
  ('null system id', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{a,NULL}')$$),
  ('empty system id', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', ARRAY['a', ''])$$),
  ('blank system id', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', ARRAY['a', 'b', E'\t '])$$),
  ('2-D system_ids', $$SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{{a,b},{c,d}}')$$)
) AS t(label, stmt);

-- update_maintenance
SELECT label, pg_temp.try(stmt, true) AS error FROM (VALUES
  ('null id', $$SELECT maintenance.update_maintenance(NULL, title => 't')$$),
  ('unknown id', $$SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000', title => 't')$$),
  ('empty title', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), title => '')$$),
  ('blank title', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), title => E'\n')$$),
  ('blank title, unknown id', $$SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000', title => ' ')$$),
  ('description and clear', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), description => 'd', clear_description => true)$$),
  ('end_at before stored start', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), end_at => '2031-09-01 09:00+00')$$),
  ('start_at after stored end', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), start_at => '2031-09-01 12:00+00')$$),
  ('start_at infinity', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), start_at => 'infinity')$$),
  ('end_at infinity', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), end_at => 'infinity')$$),
  ('empty system_ids', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), system_ids => '{}')$$),
  ('null system id', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), system_ids => '{a,NULL}')$$),
  ('blank system id', $$SELECT maintenance.update_maintenance(pg_temp.id('sched'), system_ids => ARRAY[' '])$$)
) AS t(label, stmt);

-- add_update.  An unknown status is refused by the enum type itself (22P02)
-- before the function runs; through rpc it is 22023 (see rpc).
SELECT label, pg_temp.try(stmt, true) AS error FROM (VALUES
  ('null maintenance_id', $$SELECT maintenance.add_update(NULL, 'm')$$),
  ('unknown maintenance_id', $$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', 'm')$$),
  ('null message', $$SELECT maintenance.add_update(pg_temp.id('sched'), NULL)$$),
  ('empty message', $$SELECT maintenance.add_update(pg_temp.id('sched'), '')$$),
  ('blank message', $$SELECT maintenance.add_update(pg_temp.id('sched'), E'  \n\t')$$),
  ('blank message, unknown id', $$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', ' ')$$),
  ('unknown status', $$SELECT maintenance.add_update(pg_temp.id('sched'), 'm', 'finished')$$),
  ('completed -> in_progress', $$SELECT maintenance.add_update(pg_temp.id('done'), 'm', 'in_progress')$$),
  ('cancelled -> completed', $$SELECT maintenance.add_update(pg_temp.id('off'), 'm', 'completed')$$)
) AS t(label, stmt);

-- close_maintenance
SELECT label, pg_temp.try(stmt, true) AS error FROM (VALUES
  ('null id', $$SELECT maintenance.close_maintenance(NULL)$$),
  ('unknown id', $$SELECT maintenance.close_maintenance('00000000-0000-0000-0000-000000000000')$$),
  ('blank message', $$SELECT maintenance.close_maintenance(pg_temp.id('sched'), ' ')$$),
  ('cancelled', $$SELECT maintenance.close_maintenance(pg_temp.id('off'))$$)
) AS t(label, stmt);

-- delete_maintenance: a null id is an error, an unknown one is not (false).
SELECT pg_temp.try($$SELECT maintenance.delete_maintenance(NULL)$$, true) AS error;
SELECT maintenance.delete_maintenance('00000000-0000-0000-0000-000000000000');

-- None of the refused calls changed a row or wrote an event.
SELECT f = pg_temp.fingerprint() AS unchanged, split_part(f, ';', 1) AS stored FROM before;

-- The same, as statements of their own (each its own transaction), with
-- this session listening on every channel: psql would print any
-- notification that arrived, and none does.  Errors show as SQLSTATE only.
LISTEN maintenance_signal;
LISTEN maintenance_hook;
LISTEN maintenance_notification;
\set VERBOSITY sqlstate
SELECT maintenance.create_maintenance(' ', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{a}');
SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 10:00+00', '{a}');
SELECT maintenance.create_maintenance('t', '2031-09-09 10:00+00', '2031-09-09 12:00+00', '{}');
SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000', title => 'x');
SELECT maintenance.update_maintenance(pg_temp.id('sched'), end_at => '2031-08-01 00:00+00');
SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', 'm');
SELECT maintenance.add_update(pg_temp.id('sched'), ' ');
SELECT maintenance.close_maintenance(pg_temp.id('off'));
SELECT maintenance.add_update(pg_temp.id('done'), 'Reopen', 'in_progress');
SELECT maintenance.delete_maintenance(NULL);
SELECT maintenance.rpc('createMaintenance', '{"title": "t"}');
SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000", "message": "m"}');
\set VERBOSITY default
UNLISTEN *;
SELECT f = pg_temp.fingerprint() AS unchanged FROM before;

-- A refused call inside a transaction aborts it: what the transaction wrote
-- before is gone as well.
LISTEN maintenance_signal;
BEGIN;
SELECT title FROM maintenance.update_maintenance(pg_temp.id('sched'), title => 'Renamed in a failed transaction');
\set VERBOSITY sqlstate
SELECT maintenance.add_update(pg_temp.id('done'), 'Reopen', 'scheduled');
\set VERBOSITY default
COMMIT;
UNLISTEN *;
SELECT f = pg_temp.fingerprint() AS unchanged FROM before;
SELECT title FROM maintenance.maintenances WHERE id = pg_temp.id('sched');

DROP EXTENSION maintenance;
