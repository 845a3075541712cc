-- calendar: maintenance.calendar() and rpc('getCalendar') (the iCalendar
-- feed, built by libical), schedule_changes (its SEQUENCE).  Parsed by an
-- independent client in test/client/calendar.js; here: the exact text of a
-- small calendar, the counting of schedule changes, the bounds.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

-- Fixed ids and times, so that the text is the same on every run.
INSERT INTO maintenance.maintenances (id, title, description, status, start_at, end_at, created_at, updated_at)
VALUES ('10000000-0000-4000-8000-000000000001', 'Database upgrade', E'Primary, then replica; \\ and\nnewline',
        'scheduled', '2030-01-01 10:00:00.75+00', '2030-01-01 12:00+00', '2029-12-01 08:00+00', '2029-12-02 09:30:15+00'),
       ('10000000-0000-4000-8000-000000000002', 'Called off', NULL,
        'cancelled', '2030-01-02 10:00+00', '2030-01-02 11:00+00', '2029-12-01 08:00+00', '2029-12-03 10:00+00'),
       ('10000000-0000-4000-8000-000000000003', 'Other system', NULL,
        'completed', '2030-01-03 10:00+00', '2030-01-03 11:00+00', '2029-12-01 08:00+00', '2029-12-01 08:00+00');
INSERT INTO maintenance.maintenance_systems VALUES
  ('10000000-0000-4000-8000-000000000001', 'db'), ('10000000-0000-4000-8000-000000000001', 'web'),
  ('10000000-0000-4000-8000-000000000002', 'web'), ('10000000-0000-4000-8000-000000000003', 'mail');

-- SEQUENCE: a change of start_at or end_at counts once per statement; a
-- change of anything else, or to the same times, does not.
UPDATE maintenance.maintenances SET start_at = start_at - interval '1 hour', updated_at = '2029-12-03 10:00+00'
 WHERE id = '10000000-0000-4000-8000-000000000002';
UPDATE maintenance.maintenances SET start_at = start_at + interval '1 hour', end_at = end_at + interval '1 hour',
       updated_at = '2029-12-03 10:00+00'
 WHERE id = '10000000-0000-4000-8000-000000000002';
UPDATE maintenance.maintenances SET title = 'Called off', start_at = start_at, updated_at = '2029-12-03 10:00+00'
 WHERE id = '10000000-0000-4000-8000-000000000002';
SELECT title, schedule_changes FROM maintenance.maintenances ORDER BY id;

-- The text, CRLF shown as <CRLF>: UTC times to the second, escaped text,
-- one CATEGORIES per system, no DESCRIPTION when there is none.
\pset format unaligned
\pset tuples_only on
SELECT replace(maintenance.calendar(ARRAY['web', 'db']), E'\r\n', E'<CRLF>\n');
-- The range [since, until): windows that touch it but do not overlap are out.
SELECT replace(maintenance.calendar(NULL, '2030-01-02 11:00+00', '2030-01-03 10:00+00'), E'\r\n', E'<CRLF>\n');
SELECT replace(maintenance.calendar(ARRAY['nobody']), E'\r\n', E'<CRLF>\n');
\pset tuples_only off
\pset format aligned
SELECT maintenance.rpc('getCalendar', '{"systemIds": ["mail"]}') ->> 'calendar' = maintenance.calendar(ARRAY['mail']) AS same;
SELECT maintenance.rpc('getCalendar', '{"from": "2030-01-02T11:00:00Z", "to": "2030-01-03T10:00:00.000+00:00"}') ->> 'calendar'
       = maintenance.calendar(NULL, '2030-01-02 11:00+00', '2030-01-03 10:00+00') AS same;

-- The write functions count too.
SELECT end_at FROM maintenance.update_maintenance('10000000-0000-4000-8000-000000000001',
       end_at => '2030-01-01 13:00+00');
SELECT title FROM maintenance.update_maintenance('10000000-0000-4000-8000-000000000001',
       title => 'Renamed');
SELECT schedule_changes FROM maintenance.maintenances WHERE id = '10000000-0000-4000-8000-000000000001';

-- Bad input: 22023.
CREATE FUNCTION pg_temp.error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT pg_temp.error_of(q) FROM (VALUES
  ($$SELECT maintenance.calendar(NULL, '2030-01-02', '2030-01-01')$$),
  ($$SELECT maintenance.rpc('getCalendar', '{"systemIds": "db"}')$$),
  ($$SELECT maintenance.rpc('getCalendar', '{"from": "tomorrow"}')$$),
  ($$SELECT maintenance.rpc('getCalendar', '{"until": "2030-01-01T00:00:00Z"}')$$)
) AS v(q);
-- The bound: 10,000 maintenances per calendar.
INSERT INTO maintenance.maintenances (title, start_at, end_at)
SELECT 'bulk ' || i, '2031-01-01'::timestamptz + i * interval '1 minute', '2031-01-01'::timestamptz + i * interval '1 minute' + interval '30 seconds'
  FROM generate_series(1, 10000) AS i;
SELECT pg_temp.error_of($$SELECT maintenance.calendar()$$);
SELECT length(maintenance.calendar(NULL, '2031-01-01')) > 0 AS ten_thousand_fit;

DROP EXTENSION maintenance;
