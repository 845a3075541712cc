-- coverage: maintenance_windows from the timeline, under_maintenance,
-- coverage and rpc('getCoverage') (maintenance time for SLAs), against a
-- hand-computed table.  Timelines are written with fixed times (direct SQL
-- is a write path too); the C write path is checked within one transaction,
-- whose now() is fixed.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

-- One maintenance with its systems and timeline: started at started (null:
-- never), ended at ended by final ('completed' or 'cancelled'; null: still
-- in progress).
CREATE FUNCTION pg_temp.window(title text, systems text[], started timestamptz,
                               ended timestamptz, final text DEFAULT 'completed')
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    m uuid;
BEGIN
    INSERT INTO maintenance.maintenances (title, start_at, end_at, status)
    VALUES (title, coalesce(started, '2025-01-01'), coalesce(ended, '2099-01-01'),
            CASE WHEN ended IS NOT NULL THEN final
                 WHEN started IS NOT NULL THEN 'in_progress' ELSE final END::maintenance.status)
    RETURNING id INTO m;
    INSERT INTO maintenance.maintenance_systems SELECT m, s FROM unnest(systems) AS s;
    INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
    VALUES (m, 'created', NULL, coalesce(started, ended, '2025-03-01') - interval '1 day');
    IF started IS NOT NULL THEN
        INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
        VALUES (m, 'started', 'in_progress', started);
        INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
        VALUES (m, 'a message while running', NULL, started + interval '1 minute');
    END IF;
    IF ended IS NOT NULL THEN
        INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
        VALUES (m, 'ended', final::maintenance.status, ended);
    END IF;
    RETURN m;
END
$$;

-- The hand-computed table, over during = [2025-03-01 00:00, 2025-03-02 00:00):
--   overlap  [10,12) + [11,13)                       -> [10,13)          10800 s
--   touch    [10,11) + [11,12)                       -> [10,12)           7200 s
--   nest     [10,14) + [11,12)                       -> [10,14)          14400 s
--   cancel   planned 10-14, started 10, cancelled 11 -> [10,11)           3600 s
--   early    planned 10-14, started 10:30, closed 12 -> [10:30,12)        5400 s
--   running  started 10, still in progress          -> [10,24)          50400 s
--   outside  [Feb 28 22, Mar 1 02) + [23, Mar 2 01) -> [0,2) + [23,24)  10800 s
--   never    scheduled, and closed before it started -> {}                   0 s
--   none     no maintenance at all                   -> {}                   0 s
SELECT count(*) FROM (VALUES
  (pg_temp.window('overlap 1', '{overlap}', '2025-03-01 10:00+00', '2025-03-01 12:00+00')),
  (pg_temp.window('overlap 2', '{overlap}', '2025-03-01 11:00+00', '2025-03-01 13:00+00')),
  (pg_temp.window('touch 1', '{touch}', '2025-03-01 10:00+00', '2025-03-01 11:00+00')),
  (pg_temp.window('touch 2', '{touch}', '2025-03-01 11:00+00', '2025-03-01 12:00+00')),
  (pg_temp.window('nest outer', '{nest}', '2025-03-01 10:00+00', '2025-03-01 14:00+00')),
  (pg_temp.window('nest inner', '{nest}', '2025-03-01 11:00+00', '2025-03-01 12:00+00')),
  (pg_temp.window('cancel', '{cancel}', '2025-03-01 10:00+00', '2025-03-01 11:00+00', 'cancelled')),
  (pg_temp.window('early', '{early}', '2025-03-01 10:30+00', '2025-03-01 12:00+00')),
  (pg_temp.window('running', '{running}', '2025-03-01 10:00+00', NULL)),
  (pg_temp.window('outside 1', '{outside}', '2025-02-28 22:00+00', '2025-03-01 02:00+00')),
  (pg_temp.window('outside 2', '{outside}', '2025-03-01 23:00+00', '2025-03-02 01:00+00')),
  (pg_temp.window('never', '{never}', NULL, NULL, 'scheduled')),
  (pg_temp.window('closed before start', '{never}', NULL, '2025-03-01 09:00+00'))
) AS v(id);
-- The planned times of cancel and early say 10-14: what counts is the timeline.
UPDATE maintenance.maintenances SET start_at = '2025-03-01 10:00+00', end_at = '2025-03-01 14:00+00'
 WHERE title IN ('cancel', 'early');

SELECT c.system_id, c.ranges, c.seconds
  FROM maintenance.coverage('{overlap,touch,nest,cancel,early,running,outside,never,none}',
                            '[2025-03-01 00:00+00, 2025-03-02 00:00+00)') c;
-- Every asked id once, nulls and duplicates left out, sorted.
SELECT c.system_id, c.seconds
  FROM maintenance.coverage('{touch,NULL,cancel,touch}', '[2025-03-01 00:00+00, 2025-03-02 00:00+00)') c;
-- A window still in progress counts up to now when during goes further.
SELECT c.ranges = tstzmultirange(tstzrange('2025-03-01 10:00+00', now())) AS up_to_now,
       c.seconds = date_part('epoch', now()) - date_part('epoch', '2025-03-01 10:00+00'::timestamptz) AS seconds_up_to_now
  FROM maintenance.coverage('{running}', '[2025-03-01 00:00+00,)') c;
-- Entirely before, entirely after the windows; an empty range.
SELECT c.system_id, c.ranges, c.seconds
  FROM maintenance.coverage('{overlap}', '[2025-01-01 00:00+00, 2025-02-01 00:00+00)') c
UNION ALL
SELECT c.system_id, c.ranges, c.seconds
  FROM maintenance.coverage('{overlap}', '[2025-03-01 13:00+00, 2025-03-01 14:00+00)') c
UNION ALL
SELECT c.system_id, c.ranges, c.seconds
  FROM maintenance.coverage('{overlap}', 'empty') c;

-- under_maintenance, half-open windows: the end is no longer maintenance.
SELECT s.system_id, s.at, maintenance.under_maintenance(s.system_id, s.at)
  FROM (VALUES ('cancel', '2025-03-01 09:59:59+00'::timestamptz), ('cancel', '2025-03-01 10:00+00'),
               ('cancel', '2025-03-01 10:59:59.999999+00'), ('cancel', '2025-03-01 11:00+00'),
               ('cancel', '2025-03-01 13:00+00'),
               ('touch', '2025-03-01 11:00+00'), ('nest', '2025-03-01 13:59+00'),
               ('early', '2025-03-01 10:15+00'), ('early', '2025-03-01 11:59+00'),
               ('outside', '2025-02-28 23:00+00'), ('outside', '2025-03-01 12:00+00'),
               ('running', '2025-03-01 10:00+00'), ('running', '2099-01-01 00:00+00'),
               ('never', '2025-03-01 08:00+00'), ('none', '2025-03-01 10:00+00')) AS s(system_id, at);
SELECT maintenance.under_maintenance('running') AS running_now, maintenance.under_maintenance('cancel') AS cancel_now,
       maintenance.under_maintenance(NULL) AS null_system, maintenance.under_maintenance('running', NULL) AS null_at;

-- The windows follow the timeline and the systems on every write path.
-- Systems replaced by SQL: cancel's window moves to cancel2.
UPDATE maintenance.maintenance_systems SET system_id = 'cancel2' WHERE system_id = 'cancel';
SELECT w.system_id, w.during FROM maintenance.maintenance_windows w
 WHERE w.system_id IN ('cancel', 'cancel2');
-- The end removed from the timeline: early is in progress again.
DELETE FROM maintenance.maintenance_updates u USING maintenance.maintenances m
 WHERE u.maintenance_id = m.id AND m.title = 'early' AND u.status_change = 'completed';
SELECT w.during FROM maintenance.maintenance_windows w WHERE w.system_id = 'early';
-- A message-only update changes nothing; a moved start moves the window.
UPDATE maintenance.maintenance_updates u SET created_at = '2025-03-01 10:45+00' FROM maintenance.maintenances m
 WHERE u.maintenance_id = m.id AND m.title = 'early' AND u.status_change = 'in_progress';
SELECT w.during FROM maintenance.maintenance_windows w WHERE w.system_id = 'early';
-- A maintenance deleted takes its windows along.
DELETE FROM maintenance.maintenances WHERE title = 'early';
SELECT count(*) AS early_windows FROM maintenance.maintenance_windows w WHERE w.system_id = 'early';

-- The C functions and the sweep, within one transaction (one now()).
BEGIN;
SELECT id AS live FROM maintenance.create_maintenance(title => 'live', start_at => now() - interval '1 hour',
       end_at => now() + interval '1 hour', system_ids => '{live-a,live-b}') \gset
SELECT count(*) AS windows_before_start FROM maintenance.maintenance_windows WHERE maintenance_id = :'live';
SELECT started FROM maintenance.run_transitions(as_of => now());
SELECT w.system_id, lower(w.during) = now() AS from_now, upper_inf(w.during) AS open
  FROM maintenance.maintenance_windows w WHERE w.maintenance_id = :'live' ORDER BY 1;
SELECT maintenance.under_maintenance('live-a') AS live_a, maintenance.under_maintenance('live-c') AS live_c;
SELECT system_ids FROM maintenance.update_maintenance(id => :'live', system_ids => '{live-c}');
SELECT w.system_id FROM maintenance.maintenance_windows w WHERE w.maintenance_id = :'live';
SELECT maintenance.under_maintenance('live-a') AS live_a, maintenance.under_maintenance('live-c') AS live_c;
-- Systems only added, only removed, unchanged: update_maintenance writes
-- maintenance_systems with one statement, or none (src/write.c); the copy
-- and the windows follow each time.
SELECT system_ids FROM maintenance.update_maintenance(id => :'live', system_ids => '{live-d,live-c,live-a}');
SELECT w.system_id FROM maintenance.maintenance_windows w WHERE w.maintenance_id = :'live' ORDER BY 1;
SELECT maintenance.under_maintenance('live-a') AS live_a, maintenance.under_maintenance('live-d') AS live_d;
SELECT system_ids FROM maintenance.update_maintenance(id => :'live', system_ids => '{live-d}');
SELECT w.system_id FROM maintenance.maintenance_windows w WHERE w.maintenance_id = :'live' ORDER BY 1;
SELECT maintenance.under_maintenance('live-a') AS live_a, maintenance.under_maintenance('live-c') AS live_c,
       maintenance.under_maintenance('live-d') AS live_d;
SELECT pg_stat_get_xact_tuples_inserted('maintenance.maintenance_systems'::regclass) AS i0,
       pg_stat_get_xact_tuples_deleted('maintenance.maintenance_systems'::regclass) AS d0 \gset
SELECT system_ids FROM maintenance.update_maintenance(id => :'live', system_ids => '{live-d,live-d}');
SELECT pg_stat_get_xact_tuples_inserted('maintenance.maintenance_systems'::regclass) - :i0 AS systems_inserted,
       pg_stat_get_xact_tuples_deleted('maintenance.maintenance_systems'::regclass) - :d0 AS systems_deleted;
SELECT w.system_id FROM maintenance.maintenance_windows w WHERE w.maintenance_id = :'live';
SELECT m.system_ids, ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s
                            WHERE s.maintenance_id = m.id ORDER BY 1) AS rows
  FROM maintenance.maintenances m WHERE m.id = :'live';
-- Closed in the transaction that started it: no time at all.
SELECT status FROM maintenance.close_maintenance(:'live');
SELECT count(*) AS windows_after_close FROM maintenance.maintenance_windows WHERE maintenance_id = :'live';
ROLLBACK;

-- TRUNCATE of the timeline empties the windows (inside a rolled-back
-- transaction).
BEGIN;
TRUNCATE maintenance.maintenance_updates;
SELECT count(*) AS windows_after_truncate FROM maintenance.maintenance_windows;
ROLLBACK;

-- Coverage of one system reads only that system's windows: 1,000 other
-- windows in the same hours, and the counters of this transaction show one
-- index scan of maintenance_windows per call, each fetching overlap's 2
-- rows, and no read of maintenances, maintenance_systems or
-- maintenance_updates.
SELECT count(pg_temp.window('busy ' || i, ARRAY['busy-' || i],
                            '2025-03-01 09:00+00'::timestamptz + i * interval '1 second',
                            '2025-03-01 15:00+00'))
  FROM generate_series(1, 1000) AS i;
ANALYZE maintenance.maintenance_windows;
BEGIN;
SELECT seconds FROM maintenance.coverage('{overlap}', '[2025-03-01 00:00+00, 2025-03-02 00:00+00)');
SELECT maintenance.under_maintenance('overlap', '2025-03-01 12:00+00');
SELECT relname, seq_scan, idx_scan, idx_tup_fetch
  FROM pg_stat_xact_user_tables
 WHERE schemaname = 'maintenance'
   AND relname IN ('maintenances', 'maintenance_systems', 'maintenance_updates', 'maintenance_windows')
 ORDER BY relname;
COMMIT;

-- rpc('getCoverage'): every asked id a key, ISO times.
SELECT jsonb_pretty(maintenance.rpc('getCoverage', '{"systemIds": ["outside", "none", "touch"],
        "from": "2025-03-01T00:00:00Z", "to": "2025-03-02T00:00:00.000+00:00"}'));
SELECT maintenance.rpc('getCoverage', '{"systemIds": [], "from": "2025-03-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"}');

-- Bad input: 22023, the field named.
CREATE FUNCTION pg_temp.error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT pg_temp.error_of(q) FROM (VALUES
  ($$SELECT maintenance.rpc('getCoverage', '{"systemIds": ["a"], "from": "2025-03-02T00:00:00Z", "to": "2025-03-01T00:00:00Z"}')$$),
  ($$SELECT maintenance.rpc('getCoverage', '{"systemIds": ["a"], "from": "2025-03-02T00:00:00Z"}')$$),
  ($$SELECT maintenance.rpc('getCoverage', '{"systemIds": "a", "from": "2025-03-01T00:00:00Z", "to": "2025-03-02T00:00:00Z"}')$$),
  ($$SELECT maintenance.rpc('getCoverage', '{"systemIds": ["a"], "from": "2025-03-01", "to": "2025-03-02T00:00:00Z"}')$$),
  ($$SELECT maintenance.rpc('getCoverage', '{"systemIds": ["a"], "from": "2025-03-01T00:00:00Z", "to": "2025-03-02T00:00:00Z", "x": 1}')$$),
  ($$SELECT * FROM maintenance.coverage(NULL, '[2025-03-01, 2025-03-02)')$$),
  ($$SELECT * FROM maintenance.coverage('{a}', NULL)$$),
  ($$SELECT count(*) FROM maintenance.coverage(ARRAY(SELECT 's' || i FROM generate_series(1, 10001) AS i), 'empty')$$)
) AS v(q);
-- The bound is 10,000 distinct systems (10,001 is refused above); duplicates
-- count once.
SELECT count(*) FROM maintenance.coverage(ARRAY(SELECT 's' || i % 10000 FROM generate_series(1, 20000) AS i), 'empty');

DROP EXTENSION maintenance;
