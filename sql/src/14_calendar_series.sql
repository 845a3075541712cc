-- 14_calendar_series.sql: series in the calendar: series.rule_changes (their
-- SEQUENCE), calendar_series_rows, calendar_override_rows

/* ---------------------------------------------------------------------
 * SEQUENCE of a series' VEVENT: how many times its windows changed (its
 * rule, zone, first start, duration or exceptions), counted by a trigger.
 * ------------------------------------------------------------------ */

ALTER TABLE maintenance.series
    ADD COLUMN rule_changes integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN maintenance.series.rule_changes IS
    'how many times rrule, time_zone, first_start, duration or exdates changed (the iCalendar SEQUENCE), counted by a trigger';

CREATE FUNCTION maintenance.count_rule_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    NEW.rule_changes := OLD.rule_changes + 1;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION maintenance.count_rule_change() IS
    'trigger: count a change of the windows of a series in rule_changes';

CREATE TRIGGER series_count_rule_changes
    BEFORE UPDATE OF rrule, time_zone, first_start, duration, exdates ON maintenance.series
    FOR EACH ROW
    WHEN ((OLD.rrule, OLD.time_zone, OLD.first_start, OLD.duration, OLD.exdates)
          IS DISTINCT FROM (NEW.rrule, NEW.time_zone, NEW.first_start, NEW.duration, NEW.exdates))
    EXECUTE FUNCTION maintenance.count_rule_change();

/* ---------------------------------------------------------------------
 * The series of a calendar (src/ical_series.c)
 * ------------------------------------------------------------------ */

-- The series that may be in a calendar, by created_at: those whose systems,
-- or the systems of one of their occurrences, include an asked one, and
-- whose windows may overlap [since, until): a first start before until
-- (local times differ from UTC by less than two days) and, for an ended
-- series, an end not long before since; or an occurrence in the range.
-- src/ical_series.c expands the rule to keep only those with a window in
-- the range.  The first nine columns are those of calendar_rows (start_at
-- and end_at null: a series has a rule instead).  exdates: its exceptions
-- (less those that exist as occurrences that are not cancelled), and the
-- local starts of its occurrences deleted or cancelled, near the range.
CREATE FUNCTION maintenance.calendar_series_rows(asked_systems text[], since timestamptz, until timestamptz)
RETURNS TABLE (id uuid, title text, description text, status maintenance.status,
               start_at timestamptz, end_at timestamptz, updated_at timestamptz,
               schedule_changes integer, system_ids text[],
               rrule text, time_zone text, first_start timestamp, duration interval,
               exdates timestamp[], ended_at timestamptz, occurs_in_range boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT s.id, s.title, s.description, 'scheduled'::maintenance.status, NULL::timestamptz,
           NULL::timestamptz, s.updated_at, s.rule_changes, s.system_ids,
           s.rrule, s.time_zone, s.first_start, s.duration,
           ARRAY(SELECT e FROM unnest(s.exdates) AS e
                  WHERE NOT EXISTS (SELECT FROM maintenance.maintenances m
                                     WHERE m.series_id = s.id AND m.occurrence_start = e
                                       AND m.status <> 'cancelled')
                 UNION
                 SELECT gone.start
                   FROM (SELECT d.occurrence_start FROM maintenance.series_deleted_occurrences d
                          WHERE d.series_id = s.id
                         UNION ALL
                         SELECT m.occurrence_start FROM maintenance.maintenances m
                          WHERE m.series_id = s.id AND m.status = 'cancelled') AS gone(start)
                  WHERE (calendar_series_rows.since IS NULL OR gone.start
                         > (calendar_series_rows.since AT TIME ZONE 'UTC') - s.duration - interval '2 days')
                    AND (calendar_series_rows.until IS NULL OR gone.start
                         < (calendar_series_rows.until AT TIME ZONE 'UTC') + interval '2 days')
                 ORDER BY 1),
           s.ended_at, o.in_range
      FROM maintenance.series s
     CROSS JOIN LATERAL (
           SELECT EXISTS (SELECT FROM maintenance.maintenances m
                           WHERE m.series_id = s.id AND m.status <> 'cancelled'
                             AND (calendar_series_rows.until IS NULL OR m.start_at < calendar_series_rows.until)
                             AND (calendar_series_rows.since IS NULL OR m.end_at > calendar_series_rows.since)
                             AND (calendar_series_rows.asked_systems IS NULL
                                  OR m.system_ids && calendar_series_rows.asked_systems)) AS in_range) o
     WHERE (calendar_series_rows.asked_systems IS NULL
            OR s.system_ids && calendar_series_rows.asked_systems
            OR o.in_range)
       AND (o.in_range
            OR ((calendar_series_rows.until IS NULL
                 OR s.first_start < (calendar_series_rows.until AT TIME ZONE 'UTC') + interval '2 days')
                AND (calendar_series_rows.since IS NULL OR s.ended_at IS NULL
                     OR s.ended_at + s.duration + interval '2 days' > calendar_series_rows.since)))
     ORDER BY s.created_at, s.id
     LIMIT maintenance.calendar_max_maintenances() + 1
$$;

COMMENT ON FUNCTION maintenance.calendar_series_rows(text[], timestamptz, timestamptz) IS
    'the series that may be in maintenance.calendar(), with their exceptions near the range';

-- The occurrences of a series that may need a VEVENT of their own (a
-- RECURRENCE-ID override), by original start: not cancelled, near the
-- range, and changed on their own, different from the series in title,
-- description or systems, or started before the rule last changed (so
-- perhaps not a window of the rule as it is now: src/ical_series.c
-- compares).  The first nine columns are those of calendar_rows; the
-- SEQUENCE is the series' plus the occurrence's own.
CREATE FUNCTION maintenance.calendar_override_rows(series_id uuid, since timestamptz, until timestamptz)
RETURNS TABLE (id uuid, title text, description text, status maintenance.status,
               start_at timestamptz, end_at timestamptz, updated_at timestamptz,
               schedule_changes integer, system_ids text[],
               occurrence_start timestamp, changed boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT m.id, m.title, m.description, m.status, m.start_at, m.end_at, m.updated_at,
           s.rule_changes + m.schedule_changes, m.system_ids, m.occurrence_start,
           m.overridden OR (m.title, m.description, m.system_ids)
                           IS DISTINCT FROM (s.title, s.description, s.system_ids)
      FROM maintenance.series s
      JOIN maintenance.maintenances m ON m.series_id = s.id
     WHERE s.id = calendar_override_rows.series_id
       AND m.status <> 'cancelled'
       AND (m.overridden
            OR (m.title, m.description, m.system_ids) IS DISTINCT FROM (s.title, s.description, s.system_ids)
            OR (m.status <> 'scheduled' AND m.start_at < s.rule_changed_at))
       AND ((calendar_override_rows.until IS NULL OR m.start_at < calendar_override_rows.until
             OR m.occurrence_start < (calendar_override_rows.until AT TIME ZONE 'UTC') + interval '2 days')
            AND (calendar_override_rows.since IS NULL OR m.end_at > calendar_override_rows.since
                 OR m.occurrence_start
                    > (calendar_override_rows.since AT TIME ZONE 'UTC') - s.duration - interval '2 days'))
     ORDER BY m.occurrence_start
     LIMIT maintenance.calendar_max_maintenances() + 1
$$;

COMMENT ON FUNCTION maintenance.calendar_override_rows(uuid, timestamptz, timestamptz) IS
    'the occurrences of a series that may be RECURRENCE-ID overrides in maintenance.calendar()';

REVOKE ALL ON FUNCTION
    maintenance.count_rule_change(),
    maintenance.calendar_series_rows(text[], timestamptz, timestamptz),
    maintenance.calendar_override_rows(uuid, timestamptz, timestamptz)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    maintenance.calendar_series_rows(text[], timestamptz, timestamptz),
    maintenance.calendar_override_rows(uuid, timestamptz, timestamptz)
TO PUBLIC;
