-- series_preview: previewSeries (doc/contract.md, "Recurring windows") across the DST changes of four
-- zones, the rule parts users need, and every refused input with its
-- SQLSTATE.  Each window shows in UTC and in the series' zone.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.p(rrule text, tz text, first timestamp, dur interval,
                          from_time timestamptz DEFAULT '1900-01-01 00:00+00',
                          n integer DEFAULT 10, ex timestamp[] DEFAULT '{}')
RETURNS TABLE (start_utc text, end_utc text, local_start text, local_end text)
LANGUAGE sql AS $$
    SELECT to_char(p.start_at, 'YYYY-MM-DD HH24:MI'), to_char(p.end_at, 'YYYY-MM-DD HH24:MI'),
           to_char(p.start_at AT TIME ZONE tz, 'Dy YYYY-MM-DD HH24:MI'),
           to_char(p.end_at AT TIME ZONE tz, 'Dy YYYY-MM-DD HH24:MI')
      FROM maintenance.preview_series(rrule, tz, first, dur, ex, from_time, n) p
$$;

-- Run a statement; show "SQLSTATE: message" if it fails.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN state || ': ' || msg;
END
$$;

-- Which instant each path gives for a local time in the gap and in the
-- overlap: the gap agrees (the offset from before it); in the overlap
-- PostgreSQL's AT TIME ZONE takes the second instant, RFC 5545 (and so
-- previewSeries) the first.
SELECT z.tz, z.local, (z.local AT TIME ZONE z.tz) AS at_time_zone,
       (SELECT start_at FROM maintenance.preview_series('FREQ=DAILY;COUNT=1', z.tz, z.local, 'PT1H', from_time => '-infinity')) AS rfc_5545
  FROM (VALUES ('America/New_York', '2026-03-08 02:30'::timestamp),
               ('America/New_York', '2026-11-01 01:30'),
               ('Europe/Berlin', '2026-03-29 02:30'),
               ('Europe/Berlin', '2026-10-25 02:30'),
               ('Australia/Sydney', '2026-10-04 02:30'),
               ('Australia/Sydney', '2026-04-05 02:30'),
               ('Australia/Lord_Howe', '2026-10-04 02:15'),
               ('Australia/Lord_Howe', '2026-04-05 01:45')) AS z(tz, local);

-- Europe/Berlin: weekly Sunday 02:30 for 2 h, across the spring change
-- (02:30 does not exist on 29 March: 03:30 CEST) and the autumn one
-- (02:30 happens twice on 25 October: the first, CEST).
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=SU', 'Europe/Berlin', '2026-03-22 02:30', 'PT2H', n => 3);
SELECT * FROM pg_temp.p('RRULE:FREQ=WEEKLY;BYDAY=SU', 'Europe/Berlin', '2026-10-18 02:30', 'PT2H', n => 3);
-- A PT3H window spanning a change lasts 3 real hours; a P1D one ends at
-- the same local time the next day (23 or 25 real hours).
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Europe/Berlin', '2026-03-28 01:00', 'PT3H', n => 3);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Europe/Berlin', '2026-03-28 01:00', 'P1D', n => 3);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Europe/Berlin', '2026-10-24 01:00', 'P1D', n => 3);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Europe/Berlin', '2026-10-24 01:00', 'P1DT1H', n => 2);

-- America/New_York: daily at 02:30 (in the gap on 8 March) and 01:30 (in
-- the overlap on 1 November).
SELECT * FROM pg_temp.p('FREQ=DAILY', 'America/New_York', '2026-03-07 02:30', 'PT1H', n => 3);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'America/New_York', '2026-10-31 01:30', 'PT3H', n => 3);
-- the second Tuesday of each month (BYDAY=2TU), across both changes
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYDAY=2TU', 'America/New_York', '2026-01-01 22:00', 'PT2H', n => 12);

-- Australia/Sydney (southern hemisphere: forward in October, back in
-- April): the last Sunday (BYDAY=-1SU) and the first Sunday of the month
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYDAY=-1SU', 'Australia/Sydney', '2026-03-01 02:30', 'PT2H', n => 8);
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYDAY=1SU', 'Australia/Sydney', '2026-04-01 02:30', 'PT2H', n => 7);

-- Australia/Lord_Howe: the clocks move 30 minutes (02:00 -> 02:30 in
-- October, 02:00 -> 01:30 in April)
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Australia/Lord_Howe', '2026-10-03 02:15', 'PT1H', n => 3);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Australia/Lord_Howe', '2026-04-04 01:45', 'PT1H', n => 3);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'Australia/Lord_Howe', '2026-04-04 01:00', 'P1D', n => 2);

-- BYMONTHDAY=31 skips the short months; BYMONTHDAY=-1 is the last day
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYMONTHDAY=31', 'UTC', '2026-01-01 03:00', 'PT1H', n => 7);
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYMONTHDAY=-1', 'Europe/Berlin', '2026-01-01 03:00', 'PT1H', n => 4);
-- BYSETPOS: the last weekday of the month, and the first and last
-- Saturday (BYSETPOS in a WEEKLY rule works in this libical, too)
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1', 'Europe/Berlin', '2026-01-01 22:00', 'PT2H', n => 4);
SELECT * FROM pg_temp.p('FREQ=MONTHLY;BYDAY=SA;BYSETPOS=1,-1', 'Europe/Berlin', '2026-01-01 22:00', 'PT2H', n => 4);
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2', 'UTC', '2026-01-01 22:00', 'PT2H', n => 3);
-- COUNT counts from the first start, whatever from_time is
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=SU;COUNT=3', 'Europe/Berlin', '2026-03-22 02:30', 'PT2H');
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=SU;COUNT=3', 'Europe/Berlin', '2026-03-22 02:30', 'PT2H', from_time => '2026-03-29 00:00+00');
-- UNTIL in UTC is inclusive of that instant; without Z it is local; a date
-- is the whole local day
SELECT * FROM pg_temp.p('FREQ=DAILY;UNTIL=20260103T010000Z', 'Europe/Berlin', '2026-01-01 02:00', 'PT1H');
SELECT * FROM pg_temp.p('FREQ=DAILY;UNTIL=20260103T020000', 'Europe/Berlin', '2026-01-01 02:00', 'PT1H');
SELECT * FROM pg_temp.p('FREQ=DAILY;UNTIL=20260103', 'Europe/Berlin', '2026-01-01 02:00', 'PT1H');
-- INTERVAL, and every weekday at 22:00 except holidays (EXDATE)
SELECT * FROM pg_temp.p('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU', 'Europe/Berlin', '2026-03-01 22:00', 'PT1H', n => 4);
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'Europe/Berlin', '2026-12-21 22:00', 'PT2H', n => 6,
                        ex => '{2026-12-24 22:00,2026-12-25 22:00,2026-12-23 21:00}');
-- a first start that the rule does not yield is not an occurrence
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=SU', 'UTC', '2026-03-04 10:00', 'PT1H', n => 2);
-- from_time: the first windows that start at or after it
SELECT * FROM pg_temp.p('FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', from_time => '2026-06-15 10:00+00', n => 2);
SELECT * FROM pg_temp.p('FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', from_time => '2026-06-15 10:00:01+00', n => 2);
SELECT count(*) FROM maintenance.preview_series('FREQ=WEEKLY', 'UTC', '2026-01-01 10:00', 'PT1H', count => 1000);
-- the weekly rule in 2400, from a first start in 1950: libical skips ahead
SELECT * FROM pg_temp.p('FREQ=WEEKLY;BYDAY=SU', 'Europe/Berlin', '1950-01-01 02:00', 'PT1H', from_time => '2400-01-01 00:00+00', n => 2);
-- nothing left after the last one
SELECT count(*) FROM maintenance.preview_series('FREQ=DAILY;COUNT=2', 'UTC', '2026-01-01 10:00', 'PT1H', from_time => '2027-01-01 00:00+00');

-- Refused inputs: 22023, naming the argument (rpc: the JSON field)
SELECT pg_temp.try(format('SELECT * FROM maintenance.preview_series(%s)', a))
  FROM (VALUES
    ($$NULL, 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', NULL, '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', NULL, 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', NULL$$),
    ($$'FREQ=SOMETIMES', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'BYDAY=SU', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=WEEKLY;BYDAY=XX', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=WEEKLY;FOO=1', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY;INTERVAL=0', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY;COUNT=2;UNTIL=20260110T000000Z', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$repeat('FREQ=DAILY;', 100), 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=MINUTELY', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=SECONDLY', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO', 'UTC', '2026-12-28 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY;RSCALE=HEBREW', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY;UNTIL=20251231T000000Z', 'UTC', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', 'Mars/Olympus_Mons', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', 'XYZ3', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', '../../etc/passwd', '2026-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', '1899-12-31 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', '2501-01-01 10:00', 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', 'infinity', 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00:00.5', 'PT1H'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', '0'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', '-1 hour'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'P1DT-1H'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'P1M'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'P1Y'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT0.5S'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'P367D'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', '{NULL}'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', '{3000-01-01}'$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', (SELECT array_agg(timestamp '2026-01-01' + i * interval '1 day') FROM generate_series(1, 1001) i)$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', count => 0$$),
    ($$'FREQ=DAILY', 'UTC', '2026-01-01 10:00', 'PT1H', count => 1001$$),
    ($$'FREQ=DAILY;COUNT=200000', 'UTC', '1950-01-01 10:00', 'PT1H', from_time => '2400-01-01 00:00+00'$$)
  ) AS t(a);

-- A rule that never occurs answers within a second (libical searches up
-- to the year 2582 for it), whatever its frequency.
SELECT pg_temp.try($$SELECT * FROM maintenance.preview_series('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'UTC', '2026-01-01 10:00', 'PT1H')$$);
SELECT pg_temp.try($$SELECT * FROM maintenance.preview_series('FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30', 'UTC', '2026-01-01 10:00', 'PT1H')$$);

-- rpc('previewSeries'): the JSON form, its defaults and its field errors
SELECT maintenance.rpc('previewSeries', '{"rrule": "FREQ=WEEKLY;BYDAY=SU", "timeZone": "Europe/Berlin",
    "firstStart": "2026-03-22T02:30:00", "duration": "PT2H", "from": "2026-03-22T00:00:00Z", "count": 3}');
SELECT maintenance.rpc('previewSeries', '{"rrule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "timeZone": "Europe/Berlin",
    "firstStart": "2026-12-21T22:00:00", "duration": "P1DT2H", "from": "2026-12-21T00:00:00+01:00",
    "exdates": ["2026-12-24T22:00:00", "2026-12-25T22:00:00"], "count": 3}');
SELECT jsonb_array_length(maintenance.rpc('previewSeries', '{"rrule": "FREQ=DAILY", "timeZone": "UTC",
    "firstStart": "2026-01-01T10:00", "duration": "P1W"}') -> 'occurrences') AS default_count;
SELECT pg_temp.try(format('SELECT maintenance.rpc(''previewSeries'', %L)', i))
  FROM (VALUES
    ('{"timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H"}'),
    ('{"rrule": 7, "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=NEVER", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "Europe/Nowhere", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00Z", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-02-30T10:00:00", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00.5", "duration": "PT1H"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "1 hour"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "P1M"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT0S"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "P1W2D"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "exdates": "2026-01-02T10:00:00"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "exdates": ["tomorrow"]}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "from": "2026-01-01T10:00:00"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "count": 2.5}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "count": "3"}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "count": 1001}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "count": 99999999999}'),
    ('{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2026-01-01T10:00:00", "duration": "PT1H", "until": "x"}')
  ) AS t(i);

-- duration_iso: intervals as RFC 5545 writes them
SELECT d, maintenance.duration_iso(d)
  FROM unnest('{PT2H,PT1H30M,P1D,P1W,P2W,P1DT12H,PT45S,P10D,PT36H}'::interval[]) AS d;

DROP EXTENSION maintenance;
