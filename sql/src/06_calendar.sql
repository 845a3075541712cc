-- 06_calendar.sql: the iCalendar feed: schedule_changes (SEQUENCE), calendar_rows, calendar

/* ---------------------------------------------------------------------
 * SEQUENCE of RFC 5545: how many times a maintenance's start or end
 * changed, counted by a trigger so that every write path counts.
 * ------------------------------------------------------------------ */

-- The column maintenances.schedule_changes is added in 02_tables.sql.

CREATE FUNCTION maintenance.count_schedule_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    NEW.schedule_changes := OLD.schedule_changes + 1;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION maintenance.count_schedule_change() IS
    'trigger: count a change of start_at or end_at in schedule_changes';

CREATE TRIGGER maintenances_count_schedule_changes
    BEFORE UPDATE OF start_at, end_at ON maintenance.maintenances
    FOR EACH ROW
    WHEN (OLD.start_at IS DISTINCT FROM NEW.start_at OR OLD.end_at IS DISTINCT FROM NEW.end_at)
    EXECUTE FUNCTION maintenance.count_schedule_change();

/* ---------------------------------------------------------------------
 * The calendar
 * ------------------------------------------------------------------ */

-- The number of maintenances one calendar may hold (doc/security.md, "Limits").
CREATE FUNCTION maintenance.calendar_max_maintenances()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$ SELECT 10000 $$;

-- The bound of a calendar: one-off maintenances, series and changed
-- occurrences (each a VEVENT) together.
CREATE FUNCTION maintenance.calendar_check_size(events bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF calendar_check_size.events > maintenance.calendar_max_maintenances() THEN
        RAISE EXCEPTION 'a calendar must not hold more than % maintenances', maintenance.calendar_max_maintenances()
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Ask for fewer systems or a shorter time (since, until).';
    END IF;
END
$$;

COMMENT ON FUNCTION maintenance.calendar_check_size(bigint) IS
    'refuses (22023) a calendar of more VEVENTs than calendar_max_maintenances()';

-- The one-off maintenances of a calendar, in start order: those touching
-- any of the systems (all when null) whose planned window overlaps [since,
-- until).  Occurrences of series are there through their series
-- (calendar_series_rows, calendar_override_rows).
CREATE FUNCTION maintenance.calendar_rows(asked_systems text[], since timestamptz, until timestamptz)
RETURNS TABLE (id uuid, title text, description text, status maintenance.status,
               start_at timestamptz, end_at timestamptz, updated_at timestamptz,
               schedule_changes integer, system_ids text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    picked uuid[];
BEGIN
    IF calendar_rows.until < calendar_rows.since THEN
        RAISE EXCEPTION 'until must not be before since'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One query per case, so that each has its plan: with systems asked,
    -- their maintenances through the index of maintenance_systems, not a
    -- walk of every maintenance in start order.
    IF calendar_rows.asked_systems IS NULL THEN
        picked := ARRAY(
            SELECT m.id
              FROM maintenance.maintenances m
             WHERE m.series_id IS NULL
               AND (calendar_rows.until IS NULL OR m.start_at < calendar_rows.until)
               AND (calendar_rows.since IS NULL OR m.end_at > calendar_rows.since)
             ORDER BY m.start_at, m.id
             LIMIT maintenance.calendar_max_maintenances() + 1);
    ELSE
        picked := ARRAY(
            SELECT m.id
              FROM (SELECT DISTINCT s.maintenance_id
                      FROM maintenance.maintenance_systems s
                     WHERE s.system_id = ANY (calendar_rows.asked_systems)) AS asked
              JOIN maintenance.maintenances m ON m.id = asked.maintenance_id
             WHERE m.series_id IS NULL
               AND (calendar_rows.until IS NULL OR m.start_at < calendar_rows.until)
               AND (calendar_rows.since IS NULL OR m.end_at > calendar_rows.since)
             ORDER BY m.start_at, m.id
             LIMIT maintenance.calendar_max_maintenances() + 1);
    END IF;
    PERFORM maintenance.calendar_check_size(cardinality(picked));
    RETURN QUERY
        SELECT m.id, m.title, m.description, m.status, m.start_at, m.end_at, m.updated_at,
               m.schedule_changes, m.system_ids
          FROM unnest(picked) WITH ORDINALITY AS p(id, n)
          JOIN maintenance.maintenances m ON m.id = p.id
         ORDER BY p.n;
END
$$;

COMMENT ON FUNCTION maintenance.calendar_rows(text[], timestamptz, timestamptz) IS
    'the maintenances of maintenance.calendar(), in start order';

CREATE FUNCTION maintenance.calendar(
    system_ids text[] DEFAULT NULL,
    since timestamptz DEFAULT NULL,
    until timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_calendar';

COMMENT ON FUNCTION maintenance.calendar(text[], timestamptz, timestamptz) IS
    'the maintenances as an RFC 5545 iCalendar (text/calendar), one VEVENT each';
