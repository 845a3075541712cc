-- calendar_series: series in maintenance.calendar(): one VEVENT per series
-- (DTSTART with TZID, DURATION, RRULE, EXDATE, RDATE), the VTIMEZONE of its
-- zone from PostgreSQL's zone data, RECURRENCE-ID overrides for the
-- occurrences that differ from the rule, never a VEVENT per occurrence.
-- Expanded by an independent client in test/client/calendar.js; here: the
-- exact text of a small calendar, the filters, SEQUENCE and the bound.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- Fixed ids and times, so that the text is the same on every run.
-- A: weekly on Sunday 02:30 Berlin, across the change of 2030-03-31 (02:30
-- does not exist that day: 03:30 CEST), one exception.
INSERT INTO maintenance.series (id, title, description, system_ids, rrule, time_zone, first_start,
                                duration, exdates, created_at, updated_at, rule_changed_at)
VALUES ('20000000-0000-4000-8000-00000000000a', E'Patch night, db; web \\ "✓"', E'line one\nline two',
        '{db,web}', 'FREQ=WEEKLY;BYDAY=SU;UNTIL=20300421T000000Z', 'Europe/Berlin', '2030-03-03 02:30',
        'PT2H', '{2030-03-17 02:30}', '2030-01-01 00:00+00', '2030-01-02 00:00+00', '2030-01-01 00:00+00'),
-- B: the second Tuesday of each month, 22:00 New York, for a day, twelve
-- times, from a first start the rule does not yield; ended in June.
       ('20000000-0000-4000-8000-00000000000b', 'Monthly drill', NULL,
        '{mail}', 'RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=12', 'America/New_York', '2030-01-01 22:00',
        'P1D', '{}', '2030-01-01 00:01+00', '2030-01-03 00:00+00', '2030-01-01 00:01+00'),
-- C: weekly on Monday 10:00 UTC since its rule changed on 2030-01-05; a
-- Wednesday of the rule before had already happened.
       ('20000000-0000-4000-8000-00000000000c', 'Backup check', NULL,
        '{ops}', 'FREQ=WEEKLY;BYDAY=MO', 'UTC', '2030-01-07 10:00',
        'PT30M', '{}', '2030-01-01 00:02+00', '2030-01-05 00:00+00', '2030-01-05 00:00+00');
UPDATE maintenance.series SET ended_at = '2030-06-01 00:00+00' WHERE id = '20000000-0000-4000-8000-00000000000b';
INSERT INTO maintenance.maintenances (id, title, description, status, start_at, end_at, created_at, updated_at,
                                      series_id, occurrence_start, overridden)
VALUES -- as the rule gives it: no VEVENT of its own
       ('21000000-0000-4000-8000-000000000001', E'Patch night, db; web \\ "✓"', E'line one\nline two', 'completed',
        '2030-03-03 01:30+00', '2030-03-03 03:30+00', '2030-01-01 00:00+00', '2030-03-03 03:30+00',
        '20000000-0000-4000-8000-00000000000a', '2030-03-03 02:30', false),
       -- cancelled: an EXDATE
       ('21000000-0000-4000-8000-000000000002', E'Patch night, db; web \\ "✓"', E'line one\nline two', 'cancelled',
        '2030-03-10 01:30+00', '2030-03-10 03:30+00', '2030-01-01 00:00+00', '2030-03-01 00:00+00',
        '20000000-0000-4000-8000-00000000000a', '2030-03-10 02:30', false),
       -- changed on its own (an hour later, another title, another system): an override
       ('21000000-0000-4000-8000-000000000003', 'Moved, once', NULL, 'scheduled',
        '2030-03-24 02:30+00', '2030-03-24 04:30+00', '2030-01-01 00:00+00', '2030-03-02 00:00+00',
        '20000000-0000-4000-8000-00000000000a', '2030-03-24 02:30', true),
       -- inside the gap, as the rule gives it (03:30 CEST): no VEVENT of its own
       ('21000000-0000-4000-8000-000000000004', E'Patch night, db; web \\ "✓"', E'line one\nline two', 'scheduled',
        '2030-03-31 01:30+00', '2030-03-31 03:30+00', '2030-01-01 00:00+00', '2030-01-01 00:00+00',
        '20000000-0000-4000-8000-00000000000a', '2030-03-31 02:30', false),
       -- of the rule before the change of C: an RDATE and an override
       ('21000000-0000-4000-8000-000000000005', 'Backup check', NULL, 'completed',
        '2030-01-02 10:00+00', '2030-01-02 10:30+00', '2030-01-01 00:02+00', '2030-01-02 10:30+00',
        '20000000-0000-4000-8000-00000000000c', '2030-01-02 10:00', false);
INSERT INTO maintenance.maintenance_systems VALUES
  ('21000000-0000-4000-8000-000000000001', 'db'), ('21000000-0000-4000-8000-000000000001', 'web'),
  ('21000000-0000-4000-8000-000000000002', 'db'), ('21000000-0000-4000-8000-000000000002', 'web'),
  ('21000000-0000-4000-8000-000000000003', 'ops'),
  ('21000000-0000-4000-8000-000000000004', 'db'), ('21000000-0000-4000-8000-000000000004', 'web'),
  ('21000000-0000-4000-8000-000000000005', 'ops');
-- (the systems written above mark the occurrences as changed on their own)
UPDATE maintenance.maintenances SET overridden = (id = '21000000-0000-4000-8000-000000000003')
 WHERE series_id IS NOT NULL;
-- deleted: an EXDATE
INSERT INTO maintenance.series_deleted_occurrences VALUES ('20000000-0000-4000-8000-00000000000a', '2030-04-07 02:30');
-- a one-off beside them
INSERT INTO maintenance.maintenances (id, title, start_at, end_at, created_at, updated_at)
VALUES ('22000000-0000-4000-8000-000000000001', 'One-off', '2030-02-01 10:00+00', '2030-02-01 11:00+00',
        '2030-01-01 00:00+00', '2030-01-01 00:00+00');
INSERT INTO maintenance.maintenance_systems VALUES ('22000000-0000-4000-8000-000000000001', 'db');

-- The text, CRLF shown as <CRLF>.
\pset format unaligned
\pset tuples_only on
SELECT replace(maintenance.calendar(NULL, '2030-01-01', '2030-05-01'), E'\r\n', E'<CRLF>\n');
\pset tuples_only off
\pset format aligned

-- Which series (UIDs) and overrides each filter keeps.
CREATE FUNCTION pg_temp.uids(cal text) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(m[1] || coalesce(' ' || m[2], ''), ', ' ORDER BY n), '(none)')
      FROM regexp_matches(cal, E'BEGIN:VEVENT\r\nUID:([^\r]*)\r\n(?:DTSTAMP:[^\r]*\r\n)(?:RECURRENCE-ID;TZID=[^:]*:([^\r]*)\r\n)?', 'g')
           WITH ORDINALITY AS x(m, n)
$$;
SELECT label, pg_temp.uids(maintenance.calendar(systems, since, until))
  FROM (VALUES
    ('all', NULL::text[], NULL::timestamptz, NULL::timestamptz),
    -- A by its systems; the override of A is on ops, so ops has A too
    ('db', '{db}', NULL, NULL),
    ('ops', '{ops}', NULL, NULL),
    ('mail', '{mail}', NULL, NULL),
    ('nobody', '{nobody}', NULL, NULL),
    -- A ends with its UNTIL, B when it ended: only C goes on
    ('2031', NULL, '2031-01-01', '2031-02-01'),
    -- the weekend of A's exception (the 17th): no window of A overlaps, nor of B
    ('exception week', '{db,mail}', '2030-03-16', '2030-03-18'),
    -- before any of them
    ('2029', NULL, '2029-01-01', '2029-12-01')
  ) AS v(label, systems, since, until);

-- SEQUENCE of a series: how many times its windows changed (rule, zone,
-- first start, duration, exceptions); a new title does not count.
UPDATE maintenance.series SET title = 'Renamed' WHERE id = '20000000-0000-4000-8000-00000000000c';
UPDATE maintenance.series SET duration = 'PT45M' WHERE id = '20000000-0000-4000-8000-00000000000c';
UPDATE maintenance.series SET exdates = '{2030-02-04 10:00}', duration = 'PT45M' WHERE id = '20000000-0000-4000-8000-00000000000c';
UPDATE maintenance.series SET duration = 'PT45M' WHERE id = '20000000-0000-4000-8000-00000000000c';
SELECT title, rule_changes FROM maintenance.series ORDER BY id;
SELECT substring(maintenance.calendar('{ops}', '2030-01-01', '2030-02-01') FROM E'SEQUENCE:[0-9]+') AS c_sequence;
-- rpc gives the same text
SELECT maintenance.rpc('getCalendar', '{"systemIds": ["ops"], "from": "2030-01-01T00:00:00Z"}') ->> 'calendar'
       = maintenance.calendar('{ops}', '2030-01-01') AS same;

-- The bound counts series and overrides with the one-offs: 10,000 VEVENTs
-- (here 1 one-off, 3 series, 2 overrides and the bulk).
INSERT INTO maintenance.series (title, system_ids, rrule, time_zone, first_start, duration)
SELECT 'bulk ' || i, '{bulk}', 'FREQ=DAILY', 'UTC', '2040-01-01', 'PT1H'
  FROM generate_series(1, 9994) AS i;
SELECT length(maintenance.calendar()) > 0 AS ten_thousand_fit;
INSERT INTO maintenance.series (title, system_ids, rrule, time_zone, first_start, duration)
VALUES ('one too many', '{bulk}', 'FREQ=DAILY', 'UTC', '2040-01-01', 'PT1H');
DO $$
BEGIN
    PERFORM maintenance.calendar();
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END
$$;
SELECT length(maintenance.calendar(NULL, '2030-01-01', '2031-01-01')) > 0 AS the_range_fits;

DROP EXTENSION maintenance;
