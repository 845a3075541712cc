-- iso_time: maintenance.iso_time(timestamptz), the time format of the JSON
-- API and the events: UTC, milliseconds, as JavaScript's toISOString()
-- prints it, whatever the session's time zone.
CREATE EXTENSION maintenance;
SET TimeZone = 'America/St_Johns';
\pset null '(null)'

SELECT input, maintenance.iso_time(input::timestamptz) FROM (VALUES
  ('2026-11-28 14:00:00+00'),
  ('2026-11-28 15:00:00+01'),
  ('2026-11-28 10:30:00-03:30'),
  ('2026-07-01 10:00:00 America/New_York'),
  ('2000-02-29 23:59:59.5+00'),
  -- milliseconds are truncated, never rounded up
  ('2031-01-01 00:00:00.123999+00'),
  ('2031-01-01 00:00:00.000999+00'),
  ('2031-12-31 23:59:59.999999+00'),
  -- before 1970 as well
  ('1969-12-31 23:59:59.9999+00'),
  ('1900-01-01 00:00:00.001+00'),
  -- four-digit years, zero-padded
  ('0001-01-01 00:00:00+00'),
  ('0999-06-15 12:00:00+00'),
  ('9999-12-31 23:59:59.999999+00'),
  -- other years: JavaScript's expanded form, six digits and a sign, years
  -- numbered astronomically (1 BC is year 0, 2 BC is year -1)
  ('10000-01-01 00:00:00+00'),
  ('0001-12-31 23:59:59.999+00 BC'),
  ('0002-12-31 00:00:00+00 BC'),
  ('4714-11-24 00:00:00+00 BC'),
  ('294276-12-31 23:59:59.999999+00')
) AS t(input);

-- For ordinary years it agrees with to_char in UTC.
SELECT count(*) AS compared,
       count(*) FILTER (WHERE maintenance.iso_time(ts) <>
                              to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS different
  FROM generate_series('0001-01-01 00:00:00.123456+00'::timestamptz, '9999-01-01+00',
                       '1 year 37 days 5 hours 7 minutes 11.654321 seconds') AS ts;

-- Infinite times have no ISO-8601 form (22008); null stays null.
DO $$
DECLARE
    ts timestamptz;
BEGIN
    FOREACH ts IN ARRAY ARRAY['infinity', '-infinity']::timestamptz[] LOOP
        BEGIN
            PERFORM maintenance.iso_time(ts);
            RAISE NOTICE '%: no error', ts;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE '%: %: %', ts, SQLSTATE, SQLERRM;
        END;
    END LOOP;
END
$$;
SELECT maintenance.iso_time(NULL);

DROP EXTENSION maintenance;
