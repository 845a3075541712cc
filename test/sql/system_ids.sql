-- system_ids: maintenances.system_ids (0.2.0) is a sorted copy of the
-- maintenance's rows of maintenance_systems, kept by statement triggers
-- whoever writes that table: the write functions, direct INSERT, UPDATE,
-- DELETE, TRUNCATE, and the cascade of a deleted maintenance.  The reads of
-- "active maintenances of a system" rely on it (and on its GIN index).
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- Every maintenance whose copy differs from its rows: none, each time.
CREATE FUNCTION pg_temp.drift() RETURNS TABLE (title text, copy text[], rows text[])
LANGUAGE sql AS $$
    SELECT m.title, m.system_ids,
           ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s
                  WHERE s.maintenance_id = m.id ORDER BY s.system_id COLLATE "C")
      FROM maintenance.maintenances m
     WHERE m.system_ids IS DISTINCT FROM
           ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s
                  WHERE s.maintenance_id = m.id ORDER BY s.system_id COLLATE "C")
$$;

-- create: sorted by byte order ("B" before "a"), duplicates once
SELECT pg_temp.label(id, 'one'), system_ids
  FROM maintenance.create_maintenance('one', '2031-01-01 10:00+00', '2031-01-01 11:00+00',
                                      ARRAY['web', 'a', 'B', 'web', 'é']);
SELECT system_ids FROM maintenance.maintenances WHERE id = pg_temp.id('one');
SELECT pg_temp.label(id, 'two'), system_ids
  FROM maintenance.create_maintenance('two', '2031-01-02 10:00+00', '2031-01-02 11:00+00',
                                      ARRAY['db']);
SELECT * FROM pg_temp.drift();

-- update with new systems; without systems the copy stays
SELECT system_ids FROM maintenance.update_maintenance(pg_temp.id('one'), system_ids => ARRAY['z', 'db']);
SELECT system_ids FROM maintenance.update_maintenance(pg_temp.id('one'), title => 'one, renamed');
SELECT * FROM pg_temp.drift();

-- The write functions write the copy themselves: the triggers find it right
-- and add no row version.  Counted as differences of this backend's
-- not-yet-reported counters, which do not move inside a transaction block
-- but for its own writes: a create updates no maintenance row, an update
-- with systems updates it once; ids that stay keep their rows.
CREATE FUNCTION pg_temp.row_writes(OUT m_upd bigint, OUT s_ins bigint, OUT s_del bigint)
LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_tuples_updated('maintenance.maintenances'::regclass),
           pg_stat_get_xact_tuples_inserted('maintenance.maintenance_systems'::regclass),
           pg_stat_get_xact_tuples_deleted('maintenance.maintenance_systems'::regclass)
$$;
BEGIN;
SELECT m_upd AS m0, s_ins AS i0, s_del AS d0 FROM pg_temp.row_writes() \gset
SELECT pg_temp.label(id, 'three')
  FROM maintenance.create_maintenance('three', '2031-01-03 10:00+00', '2031-01-03 11:00+00',
                                      ARRAY['b', 'a', 'b']);
SELECT m_upd - :m0 AS maintenances_updated, s_ins - :i0 AS systems_inserted,
       s_del - :d0 AS systems_deleted
  FROM pg_temp.row_writes();
SELECT m_upd AS m0, s_ins AS i0, s_del AS d0 FROM pg_temp.row_writes() \gset
SELECT system_ids FROM maintenance.update_maintenance(pg_temp.id('three'), system_ids => ARRAY['c', 'a']);
SELECT m_upd - :m0 AS maintenances_updated, s_ins - :i0 AS systems_inserted,
       s_del - :d0 AS systems_deleted
  FROM pg_temp.row_writes();
SELECT * FROM pg_temp.drift();
ROLLBACK;

-- direct writes of maintenance_systems, one maintenance or several per statement
INSERT INTO maintenance.maintenance_systems VALUES
    (pg_temp.id('one'), 'cache'), (pg_temp.id('two'), 'cache'), (pg_temp.id('two'), 'api');
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
UPDATE maintenance.maintenance_systems SET system_id = 'cache-2' WHERE system_id = 'cache';
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
-- a system moved from one maintenance to the other: both copies change
UPDATE maintenance.maintenance_systems SET maintenance_id = pg_temp.id('two')
 WHERE maintenance_id = pg_temp.id('one') AND system_id = 'z';
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
DELETE FROM maintenance.maintenance_systems WHERE system_id = 'cache-2';
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
SELECT * FROM pg_temp.drift();

-- the reads follow the copy
SELECT title FROM maintenance.get_maintenances_for_system('z');
SELECT title FROM maintenance.get_maintenances_for_system('db') ORDER BY 1;
SELECT system_id, array_length(maintenances, 1)
  FROM maintenance.get_bulk_maintenances_for_systems(ARRAY['z', 'db', 'none', NULL, 'z']);
SELECT title FROM maintenance.list_maintenances(system_id => 'api');

-- a rolled-back direct write leaves the copy as it was
BEGIN;
DELETE FROM maintenance.maintenance_systems;
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
ROLLBACK;
SELECT * FROM pg_temp.drift();

-- TRUNCATE empties every copy
BEGIN;
TRUNCATE maintenance.maintenance_systems;
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
ROLLBACK;

-- deleting a maintenance removes its rows (cascade); the other keeps its copy
SELECT maintenance.delete_maintenance(pg_temp.id('one'));
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
SELECT * FROM pg_temp.drift();

-- a role that may write maintenance_systems but not maintenances still
-- keeps the copy right (the trigger function runs as its owner)
CREATE ROLE system_ids_writer;
GRANT USAGE ON SCHEMA maintenance TO system_ids_writer;
GRANT INSERT, DELETE ON maintenance.maintenance_systems TO system_ids_writer;
SELECT pg_temp.id('two') AS two \gset
SET ROLE system_ids_writer;
INSERT INTO maintenance.maintenance_systems VALUES (:'two', 'mail');
UPDATE maintenance.maintenances SET system_ids = '{}';
RESET ROLE;
SELECT title, system_ids FROM maintenance.maintenances ORDER BY title;
SELECT * FROM pg_temp.drift();
DROP OWNED BY system_ids_writer;
DROP ROLE system_ids_writer;

-- list_maintenances(system_id => ...) (0.3.0) reads the system's rows of
-- maintenance_systems through its index, not every maintenance ever
-- written: no sequential scan of maintenances on 4,000 past ones.
INSERT INTO maintenance.maintenances (title, status, start_at, end_at)
SELECT 'past ' || g, 'completed', '2020-01-01 00:00+00'::timestamptz + g * interval '1 minute',
       '2020-02-01 00:00+00'::timestamptz + g * interval '1 minute'
  FROM pg_catalog.generate_series(1, 4000) AS g;
INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
SELECT id, 'sys' || (substr(title, 6)::int % 500) FROM maintenance.maintenances
 WHERE title LIKE 'past %';
ANALYZE maintenance.maintenances;
ANALYZE maintenance.maintenance_systems;
BEGIN;
SELECT pg_stat_get_xact_numscans('maintenance.maintenances'::regclass) AS seq0 \gset
SELECT count(*) FROM maintenance.list_maintenances(system_id => 'sys7');
SELECT count(*) FROM maintenance.list_maintenances(status => 'completed', system_id => 'sys7');
SELECT pg_stat_get_xact_numscans('maintenance.maintenances'::regclass) - :seq0 AS seq_scans;
COMMIT;

DROP EXTENSION maintenance;
