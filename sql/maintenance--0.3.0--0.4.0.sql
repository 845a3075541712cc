/* maintenance--0.3.0--0.4.0.sql: from 0.3.0 to 0.4.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.4.0'" to load this file. \quit

/*
 * 0.4.0:
 * - the install script is built from per-object sources (sql/src); the
 *   objects of 0.3.0 are unchanged by that;
 * - event_envelope() is the C code that builds the NOTIFY envelope
 *   (same signature, volatility, grants, comment, and the same jsonb);
 * - webhooks: the table maintenance.webhook_failures and the functions
 *   record_webhook_failure, list_webhook_failures and
 *   resolve_webhook_failure (as in sql/src/11_webhooks.sql), EXECUTE
 *   revoked from PUBLIC;
 * - the comments of three functions say what their JSON is without
 *   pointing elsewhere;
 * - maintenance time for SLAs (sql/src/06_coverage.sql): the table
 *   maintenance_windows, derived from the timelines by triggers and filled
 *   here from the existing ones; under_maintenance, coverage and
 *   rpc('getCoverage').
 * - the calendar (sql/src/06_calendar.sql): maintenances.schedule_changes
 *   (0 for the maintenances of before: their earlier changes were not
 *   counted), calendar() and rpc('getCalendar'), built with libical.
 * - input limits (src/limits.c): get_bulk_maintenances_for_systems() takes
 *   at most 10,000 ids (checked_bulk_system_ids), register_consumer() a
 *   name of at most 1,024 bytes (check_consumer_name); the write functions
 *   check theirs in C;
 * - reminders (sql/src/03_reminders.sql): maintenances.reminders, the
 *   table maintenance_reminders and its triggers, duration_iso();
 *   create_maintenance and update_maintenance take reminders,
 *   run_transitions() reports reminded (each dropped and created again,
 *   with its grants kept); rpc createMaintenance and updateMaintenance
 *   take "reminders", MaintenanceWithSystems carries them.
 * - hot-path reads (issue 13): the partial index
 *   maintenances_suppressing_systems for has_active_maintenance_with_suppression;
 *   get_maintenance, get_maintenance_updates and
 *   has_active_maintenance_with_suppression in C (src/reads.c), the
 *   other read functions and rpc_text/rpc_boolean in PL/pgSQL (plans kept
 *   for the session instead of planned at every call); the JSON of maintenances
 *   and timeline entries built in C (maintenance_json, update_json, and the
 *   new maintenances_json); rpc in C (src/rpc.c), last: its hot-path reads
 *   in rpc_read (C, SECURITY DEFINER), its other methods in rpc_sql (the
 *   PL/pgSQL rpc of before without those reads).
 * - recurring windows (series): the tables series and
 *   series_deleted_occurrences, maintenances.series_id, occurrence_start
 *   and overridden (and series_id in maintenances_with_systems and its
 *   JSON), the series functions; rpc() dispatches the series methods to
 *   rpc_series(); run_transitions() also reports created.
 * - series in the calendar (sql/src/14_calendar_series.sql): a series is
 *   one VEVENT, its changed occurrences RECURRENCE-ID overrides;
 *   series.rule_changes (its SEQUENCE), calendar_check_size (the bound of
 *   a calendar, now also of its series and overrides), calendar_rows
 *   without the occurrences of series.
 */

CREATE OR REPLACE FUNCTION maintenance.event_envelope(e maintenance.events)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_event_envelope';

/* ---------------------------------------------------------------------
 * Webhooks (maintenance-listen --webhook), since 0.4.0
 *
 * An event whose every webhook attempt failed is recorded here before the
 * listener's cursor moves past it; `maintenance-listen --webhook URL
 * --retry-failed` delivers the recorded events of URL again and removes
 * the rows of those it delivered.  URLs are recorded without user name,
 * password, query or fragment (the listener strips them; the function
 * refuses a URL that still has them).  12_privileges.sql revokes
 * everything from PUBLIC: like the write functions, these three need an
 * explicit grant.
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.webhook_failures (
    event_id bigint NOT NULL,
    url text NOT NULL,
    attempts integer NOT NULL,
    last_status integer,
    last_error text NOT NULL,
    first_failed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    failed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT webhook_failures_pkey PRIMARY KEY (event_id, url),
    CONSTRAINT webhook_failures_attempts_check CHECK (attempts OPERATOR(pg_catalog.>) 0),
    CONSTRAINT webhook_failures_status_check
        CHECK (last_status OPERATOR(pg_catalog.>=) 100 AND last_status OPERATOR(pg_catalog.<=) 599)
);

COMMENT ON TABLE maintenance.webhook_failures IS
    'events a webhook endpoint did not take after every attempt (maintenance-listen --webhook); retried with --retry-failed';

-- pg_dump carries its rows, as those of the other tables.
SELECT pg_catalog.pg_extension_config_dump('maintenance.webhook_failures', '');

CREATE FUNCTION maintenance.record_webhook_failure(
    event_id bigint,
    url text,
    attempts integer,
    last_status integer,
    last_error text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF event_id IS NULL OR event_id OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'event_id must be a positive event id'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF url IS NULL OR url OPERATOR(pg_catalog.!~) '^https?://[^/?#@]+(/[^?#]*)?$'
       OR pg_catalog.length(url) OPERATOR(pg_catalog.>) 2048 THEN
        RAISE EXCEPTION 'url must be an http or https URL without credentials, query or fragment'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'At most 2048 characters: scheme, host, port and path.';
    END IF;
    IF attempts IS NULL OR attempts OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'attempts must be at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF last_status OPERATOR(pg_catalog.<) 100 OR last_status OPERATOR(pg_catalog.>) 599 THEN
        RAISE EXCEPTION 'last_status must be an HTTP status from 100 to 599, or null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF last_error IS NULL OR pg_catalog.length(last_error) OPERATOR(pg_catalog.>) 1000 THEN
        RAISE EXCEPTION 'last_error must be a text of at most 1000 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A failure recorded again (a retry that failed too) adds its attempts.
    INSERT INTO maintenance.webhook_failures AS f
           (event_id, url, attempts, last_status, last_error)
    VALUES (record_webhook_failure.event_id, record_webhook_failure.url,
            record_webhook_failure.attempts, record_webhook_failure.last_status,
            record_webhook_failure.last_error)
    ON CONFLICT ON CONSTRAINT webhook_failures_pkey DO UPDATE
       SET attempts = f.attempts OPERATOR(pg_catalog.+) excluded.attempts,
           last_status = excluded.last_status,
           last_error = excluded.last_error,
           failed_at = pg_catalog.now();
END
$$;

COMMENT ON FUNCTION maintenance.record_webhook_failure(bigint, text, integer, integer, text) IS
    'record that an event failed every webhook attempt to url (maintenance-listen does, before moving its cursor)';

CREATE FUNCTION maintenance.list_webhook_failures(url text DEFAULT NULL)
RETURNS SETOF maintenance.webhook_failures
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT f.* FROM maintenance.webhook_failures f
     WHERE list_webhook_failures.url IS NULL
        OR f.url OPERATOR(pg_catalog.=) list_webhook_failures.url
     ORDER BY f.event_id, f.url
$$;

COMMENT ON FUNCTION maintenance.list_webhook_failures(text) IS
    'the recorded webhook failures (of one URL, or all), in event id order';

CREATE FUNCTION maintenance.resolve_webhook_failure(event_id bigint, url text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM maintenance.webhook_failures f
         WHERE f.event_id OPERATOR(pg_catalog.=) resolve_webhook_failure.event_id
           AND f.url OPERATOR(pg_catalog.=) resolve_webhook_failure.url
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;

COMMENT ON FUNCTION maintenance.resolve_webhook_failure(bigint, text) IS
    'forget a recorded webhook failure (delivered since, or given up); false if unknown';

REVOKE ALL ON TABLE maintenance.webhook_failures FROM PUBLIC;
REVOKE ALL ON FUNCTION
    maintenance.record_webhook_failure(bigint, text, integer, integer, text),
    maintenance.list_webhook_failures(text),
    maintenance.resolve_webhook_failure(bigint, text)
FROM PUBLIC;

COMMENT ON FUNCTION maintenance.maintenance_json(maintenance.maintenances_with_systems) IS
    'a maintenance as MaintenanceWithSystems JSON, the shape maintenance.rpc returns';
COMMENT ON FUNCTION maintenance.update_json(maintenance.maintenance_updates) IS
    'a timeline entry as MaintenanceUpdate JSON, the shape maintenance.rpc returns';
COMMENT ON FUNCTION maintenance.rpc(text, jsonb) IS
    'every operation by its camelCase name (createMaintenance, ...), with camelCase JSON input and result';

/* ---------------------------------------------------------------------
 * 0.4.0: maintenance time for SLAs (as in sql/src/06_coverage.sql)
 * ------------------------------------------------------------------ */

/* ---------------------------------------------------------------------
 * Maintenance windows: when each maintenance was really in progress, per
 * system, from its timeline.  A derived table (doc/sla-calendar.md, "Maintenance time
 * for SLAs"): triggers on the timeline and on maintenance_systems keep it,
 * so every write path does (the C functions, the sweep, direct SQL, a
 * restore); pg_dump does not carry it.
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.maintenance_windows (
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    -- From the update that moved it to in_progress to the one that moved
    -- it to completed or cancelled; no upper bound while in progress.
    during tstzrange NOT NULL,
    CONSTRAINT maintenance_windows_pkey PRIMARY KEY (maintenance_id, system_id),
    CONSTRAINT maintenance_windows_during_not_empty CHECK (NOT pg_catalog.isempty(during))
);

COMMENT ON TABLE maintenance.maintenance_windows IS
    'when each maintenance was in progress, per system; derived from the timeline by triggers';

-- The key of the windows index: a window as a vertical segment in the plane
-- whose x is its system (a hash of the id) and y its time (epoch seconds).
-- One GiST index on it answers "system X during R" by the windows of X that
-- overlap R alone, without the contrib module btree_gist (a GiST index of
-- text equality).  Hash collisions only cost a recheck of system_id.  An
-- unbounded end is a finite y beyond every timestamptz (an infinite one
-- would make the GiST penalty NaN).
CREATE FUNCTION maintenance.window_key(system_id text, during tstzrange)
RETURNS box
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT pg_catalog.box(
        pg_catalog.point(pg_catalog.hashtext(system_id)::float8,
                         coalesce(pg_catalog.date_part('epoch', pg_catalog.lower(during)), -1e13::float8)),
        pg_catalog.point(pg_catalog.hashtext(system_id)::float8,
                         coalesce(pg_catalog.date_part('epoch', pg_catalog.upper(during)), 1e13::float8)))
$$;

COMMENT ON FUNCTION maintenance.window_key(text, tstzrange) IS
    'the key of maintenance_windows'' GiST index: (system, time) as a segment in the plane';

CREATE INDEX maintenance_windows_system_during
    ON maintenance.maintenance_windows USING gist (maintenance.window_key(system_id, during));

-- Recompute the windows of the given maintenances from their timelines and
-- systems.  Recomputing (not patching) makes the order of writes irrelevant:
-- a restore loads the timeline and the systems in either order.
CREATE FUNCTION maintenance.refresh_windows(maintenance_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    -- The statement triggers fire for statements that touched no row too
    -- (a DELETE of systems that matched none).
    IF pg_catalog.cardinality(maintenance_ids) OPERATOR(pg_catalog.=) 0 THEN
        RETURN;
    END IF;
    DELETE FROM maintenance.maintenance_windows w
     WHERE w.maintenance_id OPERATOR(pg_catalog.=) ANY (refresh_windows.maintenance_ids);
    INSERT INTO maintenance.maintenance_windows (maintenance_id, system_id, during)
    SELECT s.maintenance_id, s.system_id, pg_catalog.tstzrange(started.created_at, ended.created_at)
      FROM (SELECT DISTINCT x.id
              FROM pg_catalog.unnest(refresh_windows.maintenance_ids) AS x(id)
             WHERE x.id IS NOT NULL) AS asked
      CROSS JOIN LATERAL (
            SELECT u.created_at, u.position
              FROM maintenance.maintenance_updates u
             WHERE u.maintenance_id OPERATOR(pg_catalog.=) asked.id
               AND u.status_change OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status
             ORDER BY u.position
             LIMIT 1) AS started
      LEFT JOIN LATERAL (
            SELECT u.created_at
              FROM maintenance.maintenance_updates u
             WHERE u.maintenance_id OPERATOR(pg_catalog.=) asked.id
               AND u.position OPERATOR(pg_catalog.>) started.position
               AND u.status_change OPERATOR(pg_catalog.=) ANY
                   (ARRAY['completed', 'cancelled']::maintenance.status[])
             ORDER BY u.position
             LIMIT 1) AS ended ON true
      JOIN maintenance.maintenance_systems s
        ON s.maintenance_id OPERATOR(pg_catalog.=) asked.id
     -- Started and ended in one transaction (one now()): no time at all.
     WHERE ended.created_at IS NULL
        OR ended.created_at OPERATOR(pg_catalog.>) started.created_at;
END
$$;

COMMENT ON FUNCTION maintenance.refresh_windows(uuid[]) IS
    'recompute maintenance_windows for these maintenances from their timelines and systems';

-- Statement triggers on the timeline, set-based: a load of a million
-- timelines (a restore, a bulk INSERT) is one refresh, not a million.  Only
-- status changes matter: a message-only update refreshes nothing.
CREATE FUNCTION maintenance.refresh_windows_of_update()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM maintenance.maintenance_windows;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM maintenance.refresh_windows(ARRAY(
            SELECT DISTINCT c.maintenance_id FROM windows_new c WHERE c.status_change IS NOT NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM maintenance.refresh_windows(ARRAY(
            SELECT DISTINCT c.maintenance_id FROM windows_old c WHERE c.status_change IS NOT NULL));
    ELSE
        PERFORM maintenance.refresh_windows(ARRAY(
            SELECT c.maintenance_id FROM windows_new c WHERE c.status_change IS NOT NULL
            UNION SELECT c.maintenance_id FROM windows_old c WHERE c.status_change IS NOT NULL));
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.refresh_windows_of_update() IS
    'trigger: keep maintenance_windows right when status changes are written, changed or removed';

CREATE TRIGGER maintenance_updates_windows_insert
    AFTER INSERT ON maintenance.maintenance_updates
    REFERENCING NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();
CREATE TRIGGER maintenance_updates_windows_update
    AFTER UPDATE ON maintenance.maintenance_updates
    REFERENCING OLD TABLE AS windows_old NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();
CREATE TRIGGER maintenance_updates_windows_delete
    AFTER DELETE ON maintenance.maintenance_updates
    REFERENCING OLD TABLE AS windows_old
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();
CREATE TRIGGER maintenance_updates_windows_truncate
    AFTER TRUNCATE ON maintenance.maintenance_updates
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();

-- Systems replaced: the windows of those maintenances follow (a maintenance
-- that never started has none, and costs one probe of the timeline).
CREATE FUNCTION maintenance.refresh_windows_of_systems()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM maintenance.maintenance_windows;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM maintenance.refresh_windows(ARRAY(SELECT c.maintenance_id FROM windows_new c));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM maintenance.refresh_windows(ARRAY(SELECT c.maintenance_id FROM windows_old c));
    ELSE
        PERFORM maintenance.refresh_windows(ARRAY(SELECT c.maintenance_id FROM windows_new c
                                                  UNION SELECT c.maintenance_id FROM windows_old c));
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.refresh_windows_of_systems() IS
    'trigger: keep maintenance_windows right when the systems of maintenances change';

CREATE TRIGGER maintenance_systems_windows_insert
    AFTER INSERT ON maintenance.maintenance_systems
    REFERENCING NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();
CREATE TRIGGER maintenance_systems_windows_update
    AFTER UPDATE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS windows_old NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();
CREATE TRIGGER maintenance_systems_windows_delete
    AFTER DELETE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS windows_old
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();
CREATE TRIGGER maintenance_systems_windows_truncate
    AFTER TRUNCATE ON maintenance.maintenance_systems
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();

/* ---------------------------------------------------------------------
 * Reads: under_maintenance, coverage
 * ------------------------------------------------------------------ */

-- A window still in progress has no end yet: at a moment after now it is
-- still under maintenance as far as the timeline knows.
CREATE FUNCTION maintenance.under_maintenance(system_id text, at timestamptz DEFAULT pg_catalog.now())
RETURNS boolean
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM maintenance.maintenance_windows w
         WHERE maintenance.window_key(w.system_id, w.during) OPERATOR(pg_catalog.&&)
               maintenance.window_key(under_maintenance.system_id,
                                      pg_catalog.tstzrange(under_maintenance.at, under_maintenance.at, '[]'))
           AND w.system_id OPERATOR(pg_catalog.=) under_maintenance.system_id
           AND w.during OPERATOR(pg_catalog.@>) under_maintenance.at)
$$;

-- The number of systems one call may ask for (doc/security.md, "Limits").
CREATE FUNCTION maintenance.coverage_max_systems()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$ SELECT 10000 $$;

-- One probe of the windows index per distinct system asked, in one
-- statement.  Time after now has not passed: a window still in progress
-- counts up to now.
CREATE FUNCTION maintenance.coverage(system_ids text[], during tstzrange)
RETURNS TABLE (system_id text, ranges tstzmultirange, seconds double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    asked text[];
    counted tstzrange;
BEGIN
    IF coverage.system_ids IS NULL THEN
        RAISE EXCEPTION 'system_ids must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coverage.during IS NULL THEN
        RAISE EXCEPTION 'during must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    asked := ARRAY(SELECT DISTINCT a.system_id
                     FROM unnest(coverage.system_ids) AS a(system_id)
                    WHERE a.system_id IS NOT NULL);
    IF cardinality(asked) > maintenance.coverage_max_systems() THEN
        RAISE EXCEPTION 'system_ids must not hold more than % systems', maintenance.coverage_max_systems()
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s distinct systems were given.', cardinality(asked));
    END IF;
    counted := coverage.during * tstzrange(NULL, now());
    RETURN QUERY
        SELECT a.system_id, c.ranges,
               coalesce((SELECT sum(date_part('epoch', upper(r)) - date_part('epoch', lower(r)))
                           FROM unnest(c.ranges) AS r), 0)::float8
          FROM unnest(asked) AS a(system_id)
         CROSS JOIN LATERAL (
               SELECT coalesce(range_agg(w.during * counted), '{}'::tstzmultirange) AS ranges
                 FROM maintenance.maintenance_windows w
                WHERE NOT isempty(counted)
                  AND maintenance.window_key(w.system_id, w.during) && maintenance.window_key(a.system_id, counted)
                  AND w.system_id = a.system_id
                  AND w.during && counted) AS c
         ORDER BY a.system_id COLLATE "C";
END
$$;

COMMENT ON FUNCTION maintenance.coverage(text[], tstzrange) IS
    'for each system, when within during it was under maintenance, windows merged, and for how many seconds';

-- rpc('getCoverage'): every asked id a key, ISO times; errors name the JSON
-- fields.
CREATE FUNCTION maintenance.coverage_json(system_ids text[], from_time timestamptz, to_time timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF to_time < from_time THEN
        RAISE EXCEPTION 'field "to" must not be before field "from"'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('"from" is %s and "to" is %s.',
                                  maintenance.iso_time(from_time), maintenance.iso_time(to_time));
    END IF;
    RETURN (SELECT jsonb_build_object('coverage', coalesce(jsonb_object_agg(c.system_id, jsonb_build_object(
                       'seconds', c.seconds,
                       'ranges', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                                      'from', maintenance.iso_time(lower(r)),
                                                      'to', maintenance.iso_time(upper(r))) ORDER BY lower(r)), '[]')
                                    FROM unnest(c.ranges) AS r))), '{}'))
              FROM maintenance.coverage(system_ids, tstzrange(from_time, to_time)) c);
END
$$;

COMMENT ON FUNCTION maintenance.coverage_json(text[], timestamptz, timestamptz) IS
    'rpc getCoverage: coverage as {coverage: {<systemId>: {seconds, ranges: [{from, to}]}}}';

-- The windows of the timelines written before 0.4.0.
SELECT maintenance.refresh_windows(ARRAY(SELECT m.id FROM maintenance.maintenances m));

/* ---------------------------------------------------------------------
 * 0.4.0: occurrences of series (the columns as sql/src/02_tables.sql
 * creates them)
 * ------------------------------------------------------------------ */

-- overridden: added, filled, then given its default and NOT NULL, so that
-- the column is what a fresh install has (no "missing value" of a fast
-- default).
ALTER TABLE maintenance.maintenances
    ADD COLUMN series_id uuid,
    ADD COLUMN occurrence_start timestamp,
    ADD COLUMN overridden boolean,
    ADD CONSTRAINT maintenances_occurrence_of_series
        CHECK ((series_id IS NULL) OPERATOR(pg_catalog.=) (occurrence_start IS NULL));
UPDATE maintenance.maintenances SET overridden = false;
ALTER TABLE maintenance.maintenances
    ALTER COLUMN overridden SET DEFAULT false,
    ALTER COLUMN overridden SET NOT NULL;

-- An occurrence is never created twice, however runs overlap.
CREATE UNIQUE INDEX maintenances_series_occurrence
    ON maintenance.maintenances (series_id, occurrence_start)
    WHERE series_id IS NOT NULL;

/* ---------------------------------------------------------------------
 * 0.4.0: the calendar (as in sql/src/06_calendar.sql)
 * ------------------------------------------------------------------ */

/* ---------------------------------------------------------------------
 * SEQUENCE of RFC 5545: how many times a maintenance's start or end
 * changed, counted by a trigger so that every write path counts.
 * ------------------------------------------------------------------ */

ALTER TABLE maintenance.maintenances
    ADD COLUMN schedule_changes integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN maintenance.maintenances.schedule_changes IS
    'how many times start_at or end_at changed (the iCalendar SEQUENCE), counted by a trigger';

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

REVOKE ALL ON TABLE maintenance.maintenance_windows FROM PUBLIC;
REVOKE ALL ON FUNCTION
    maintenance.window_key(text, tstzrange),
    maintenance.under_maintenance(text, timestamptz),
    maintenance.coverage_max_systems(),
    maintenance.coverage(text[], tstzrange),
    maintenance.coverage_json(text[], timestamptz, timestamptz),
    maintenance.calendar_max_maintenances(),
    maintenance.calendar_check_size(bigint),
    maintenance.calendar_rows(text[], timestamptz, timestamptz),
    maintenance.calendar(text[], timestamptz, timestamptz),
    maintenance.count_schedule_change(),
    maintenance.refresh_windows(uuid[]),
    maintenance.refresh_windows_of_update(),
    maintenance.refresh_windows_of_systems()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    maintenance.window_key(text, tstzrange),
    maintenance.under_maintenance(text, timestamptz),
    maintenance.coverage_max_systems(),
    maintenance.coverage(text[], tstzrange),
    maintenance.coverage_json(text[], timestamptz, timestamptz),
    maintenance.calendar_max_maintenances(),
    maintenance.calendar_check_size(bigint),
    maintenance.calendar_rows(text[], timestamptz, timestamptz),
    maintenance.calendar(text[], timestamptz, timestamptz)
TO PUBLIC;

-- Input limits (doc/security.md "Limits"); the new helpers are internal: no PUBLIC EXECUTE.
CREATE FUNCTION maintenance.checked_bulk_system_ids(system_ids text[])
RETURNS text[]
LANGUAGE c IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'maintenance_checked_bulk_system_ids';

COMMENT ON FUNCTION maintenance.checked_bulk_system_ids(text[]) IS
    'the ids of get_bulk_maintenances_for_systems, refused beyond the limit; internal';

REVOKE ALL ON FUNCTION maintenance.checked_bulk_system_ids(text[]) FROM PUBLIC;

CREATE FUNCTION maintenance.check_consumer_name(name text)
RETURNS void
LANGUAGE c IMMUTABLE
AS 'MODULE_PATHNAME', 'maintenance_check_consumer_name';

COMMENT ON FUNCTION maintenance.check_consumer_name(text) IS
    'refuses a consumer name longer than the limit; internal to register_consumer';

REVOKE ALL ON FUNCTION maintenance.check_consumer_name(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION maintenance.register_consumer(name text)
RETURNS maintenance.event_consumers
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    consumer maintenance.event_consumers;
BEGIN
    PERFORM maintenance.check_consumer_name(register_consumer.name);
    IF name IS NULL OR btrim(name, E' \t\n\r\f\x0B') = '' THEN
        RAISE EXCEPTION 'consumer name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO maintenance.event_consumers AS c (name, updated_at)
    VALUES (register_consumer.name, now())
    ON CONFLICT ON CONSTRAINT event_consumers_pkey DO NOTHING;
    SELECT c.* INTO consumer FROM maintenance.event_consumers c
     WHERE c.name = register_consumer.name;
    RETURN consumer;
END
$$;

/* ---------------------------------------------------------------------
 * 0.4.0: reminders before a window starts (as sql/src/03_reminders.sql;
 * the column as in 02_tables.sql)
 * ------------------------------------------------------------------ */

-- Leads before start_at at which the reminders are sent (03_reminders.sql).
ALTER TABLE maintenance.maintenances
    ADD COLUMN reminders interval[] NOT NULL DEFAULT '{}';

COMMENT ON COLUMN maintenance.maintenances.reminders IS
    'leads before start_at at which a reminder is sent to each system (whole minutes, 1 minute to 366 days)';

/* ---------------------------------------------------------------------
 * Reminders (doc/scheduling.md, "Reminders"): one row per maintenance, start and
 * lead that is to be sent (sent_at null) or was sent.  Triggers on
 * maintenances arm the reminders of each new start, so every write path
 * does (the C functions, direct SQL, a restore); run_transitions
 * (src/reminders.c) sends the due ones and marks them sent in the
 * transaction of their events: the primary key makes each maintenance,
 * start and lead at most one reminder, however runs overlap.
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.maintenance_reminders (
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    start_at timestamptz NOT NULL,
    remind_before interval NOT NULL,
    -- start_at minus the lead, days counted as 24 hours
    remind_at timestamptz NOT NULL,
    sent_at timestamptz,
    CONSTRAINT maintenance_reminders_pkey PRIMARY KEY (maintenance_id, start_at, remind_before)
);

COMMENT ON TABLE maintenance.maintenance_reminders IS
    'the reminders of each maintenance''s start: to be sent (sent_at null) or sent';

-- run_transitions probes only the reminders still to be sent, by moment.
CREATE INDEX maintenance_reminders_due
    ON maintenance.maintenance_reminders (remind_at, maintenance_id, remind_before)
    WHERE sent_at IS NULL;

/*
 * Arm the reminders of a maintenance's start: those whose moment has not
 * passed yet (now(), the writing transaction's time).  A new start (insert,
 * or start_at moved) arms every lead and forgets the unsent reminders of
 * the old one; a change of the leads alone arms the new leads and forgets
 * the unsent reminders of those removed.  A reminder already sent for this
 * start and lead is not armed again (the primary key), and nothing is
 * armed for a maintenance that is no longer scheduled.  Runs as its owner:
 * a role allowed to write maintenances keeps the reminders right without a
 * grant on maintenance_reminders.
 */
CREATE FUNCTION maintenance.arm_reminders()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    new_start boolean := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
                         OR NEW.start_at OPERATOR(pg_catalog.<>) OLD.start_at;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        DELETE FROM maintenance.maintenance_reminders r
         WHERE r.maintenance_id OPERATOR(pg_catalog.=) OLD.id
           AND r.sent_at IS NULL
           AND (new_start OR NOT r.remind_before OPERATOR(pg_catalog.=) ANY (NEW.reminders));
    END IF;
    IF NEW.status OPERATOR(pg_catalog.<>) 'scheduled'::maintenance.status THEN
        RETURN NULL;
    END IF;
    INSERT INTO maintenance.maintenance_reminders (maintenance_id, start_at, remind_before, remind_at)
    SELECT NEW.id, NEW.start_at, l.lead, l.remind_at
      FROM (SELECT DISTINCT r.lead,
                   NEW.start_at OPERATOR(pg_catalog.-)
                       pg_catalog.make_interval(secs => pg_catalog.date_part('epoch', r.lead)) AS remind_at
              FROM pg_catalog.unnest(NEW.reminders) AS r(lead)
             WHERE r.lead IS NOT NULL
               AND (new_start OR NOT r.lead OPERATOR(pg_catalog.=) ANY (OLD.reminders))) l
     WHERE l.remind_at OPERATOR(pg_catalog.>=) pg_catalog.now()
    ON CONFLICT ON CONSTRAINT maintenance_reminders_pkey DO NOTHING;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.arm_reminders() IS
    'trigger: arm the reminders of a new start or of new leads whose moment has not passed';

CREATE TRIGGER maintenances_arm_reminders_insert
    AFTER INSERT ON maintenance.maintenances
    FOR EACH ROW
    WHEN (pg_catalog.cardinality(NEW.reminders) OPERATOR(pg_catalog.>) 0)
    EXECUTE FUNCTION maintenance.arm_reminders();

CREATE TRIGGER maintenances_arm_reminders_update
    AFTER UPDATE OF start_at, reminders ON maintenance.maintenances
    FOR EACH ROW
    WHEN ((OLD.start_at IS DISTINCT FROM NEW.start_at OR OLD.reminders IS DISTINCT FROM NEW.reminders)
          AND (pg_catalog.cardinality(OLD.reminders) OPERATOR(pg_catalog.>) 0
               OR pg_catalog.cardinality(NEW.reminders) OPERATOR(pg_catalog.>) 0))
    EXECUTE FUNCTION maintenance.arm_reminders();

-- The ISO 8601 form of a lead, as RFC 5545 writes durations (src/reminders.c).
CREATE FUNCTION maintenance.duration_iso(d interval)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_duration_iso';

COMMENT ON FUNCTION maintenance.duration_iso(interval) IS
    'an interval of days and time as an RFC 5545 duration (PT2H, PT1H30M, P1D, P1W)';

-- MaintenanceWithSystems gains reminders (the view's last column).
CREATE OR REPLACE VIEW maintenance.maintenances_with_systems AS
SELECT m.id,
       m.title,
       m.description,
       m.suppress_notifications,
       m.status,
       m.start_at,
       m.end_at,
       m.created_at,
       m.updated_at,
       m.system_ids,
       m.reminders
  FROM maintenance.maintenances m;

/*
 * create_maintenance and update_maintenance gain reminders,
 * run_transitions OUT reminded: each is dropped and created again, and
 * the EXECUTE grants it had are given again.
 */
CREATE TEMPORARY TABLE reminders_kept_grants ON COMMIT DROP AS
SELECT f.replaced_by, a.grantee::pg_catalog.regrole::text AS grantee
  FROM (VALUES
        ('maintenance.create_maintenance(text, timestamptz, timestamptz, text[], text, boolean)'::pg_catalog.regprocedure,
         'maintenance.create_maintenance(text, timestamptz, timestamptz, text[], text, boolean, interval[])'),
        ('maintenance.update_maintenance(uuid, text, text, boolean, timestamptz, timestamptz, text[], boolean)'::pg_catalog.regprocedure,
         'maintenance.update_maintenance(uuid, text, text, boolean, timestamptz, timestamptz, text[], boolean, interval[])'),
        ('maintenance.run_transitions(timestamptz)'::pg_catalog.regprocedure,
         'maintenance.run_transitions(timestamptz)')) AS f(function, replaced_by),
       pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
 WHERE p.oid OPERATOR(pg_catalog.=) f.function
   AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
   AND a.grantee OPERATOR(pg_catalog.<>) 0
   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner;

DROP FUNCTION maintenance.create_maintenance(text, timestamptz, timestamptz, text[], text, boolean);
DROP FUNCTION maintenance.update_maintenance(uuid, text, text, boolean, timestamptz, timestamptz, text[], boolean);
DROP FUNCTION maintenance.run_transitions(timestamptz);

CREATE FUNCTION maintenance.create_maintenance(
    title text,
    start_at timestamptz,
    end_at timestamptz,
    system_ids text[],
    description text DEFAULT NULL,
    suppress_notifications boolean DEFAULT false,
    reminders interval[] DEFAULT '{}')
RETURNS maintenance.maintenances_with_systems
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_create';

CREATE FUNCTION maintenance.update_maintenance(
    id uuid,
    title text DEFAULT NULL,
    description text DEFAULT NULL,
    suppress_notifications boolean DEFAULT NULL,
    start_at timestamptz DEFAULT NULL,
    end_at timestamptz DEFAULT NULL,
    system_ids text[] DEFAULT NULL,
    clear_description boolean DEFAULT false,
    reminders interval[] DEFAULT NULL)
RETURNS maintenance.maintenances_with_systems
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_update';

CREATE FUNCTION maintenance.run_transitions(
    as_of timestamptz DEFAULT NULL,
    OUT started integer,
    OUT completed integer,
    OUT failed integer,
    OUT reminded integer,
    OUT created integer)
RETURNS record
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_run_transitions';

COMMENT ON FUNCTION maintenance.run_transitions(timestamptz) IS
    'create the occurrences of series that come within the horizon, send the reminders that are due, start and complete every maintenance whose time has come (as_of defaults to the current time)';

REVOKE ALL ON FUNCTION
    maintenance.create_maintenance(text, timestamptz, timestamptz, text[], text, boolean, interval[]),
    maintenance.update_maintenance(uuid, text, text, boolean, timestamptz, timestamptz, text[], boolean, interval[]),
    maintenance.run_transitions(timestamptz)
FROM PUBLIC;

DO $grants$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT k.replaced_by, k.grantee FROM reminders_kept_grants k LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', g.replaced_by, g.grantee);
    END LOOP;
END
$grants$;

DROP TABLE reminders_kept_grants;

-- rpc: createMaintenance and updateMaintenance take "reminders".
-- An RFC 5545 duration (section 3.3.6): weeks alone, or days and time.
CREATE FUNCTION maintenance.rpc_duration(input jsonb, field text, required boolean DEFAULT false)
RETURNS interval
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text := maintenance.rpc_text(input, field, required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF value !~ '^P(\d{1,6}W|(\d{1,6}D)?(T(?=\d)(\d{1,8}H)?(\d{1,8}M)?(\d{1,8}S)?)?)$' OR value = 'P' THEN
        RAISE EXCEPTION 'field "%" must be an RFC 5545 duration', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', to_jsonb(value)),
                  HINT = 'Use weeks, or days and hours, minutes and seconds, such as "PT2H", "PT1H30M", "P1D" or "P1W".';
    END IF;
    RETURN value::interval;
END
$$;

CREATE FUNCTION maintenance.rpc_duration_array(input jsonb, field text)
RETURNS interval[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text[] := maintenance.rpc_text_array(input, field);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT maintenance.rpc_duration(jsonb_build_object(field, v), field, true)
                   FROM unnest(value) WITH ORDINALITY AS e(v, i) ORDER BY i);
END
$$;

REVOKE ALL ON TABLE maintenance.maintenance_reminders FROM PUBLIC;
REVOKE ALL ON FUNCTION
    maintenance.arm_reminders(),
    maintenance.duration_iso(interval),
    maintenance.rpc_duration(jsonb, text, boolean),
    maintenance.rpc_duration_array(jsonb, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    maintenance.duration_iso(interval),
    maintenance.rpc_duration(jsonb, text, boolean),
    maintenance.rpc_duration_array(jsonb, text)
TO PUBLIC;

/* ---------------------------------------------------------------------
 * Hot-path reads (issue 13)
 * ------------------------------------------------------------------ */

CREATE INDEX maintenances_suppressing_systems
    ON maintenance.maintenances USING gin (system_ids) WITH (fastupdate = off)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status
      AND suppress_notifications;

CREATE OR REPLACE FUNCTION maintenance.maintenance_json(m maintenance.maintenances_with_systems)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_maintenance_json';

CREATE OR REPLACE FUNCTION maintenance.update_json(u maintenance.maintenance_updates)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_update_json';

CREATE OR REPLACE FUNCTION maintenance.maintenances_json(ms maintenance.maintenances_with_systems[])
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_maintenances_json';

COMMENT ON FUNCTION maintenance.maintenances_json(maintenance.maintenances_with_systems[]) IS
    'maintenances as a JSON array of MaintenanceWithSystems, in the order given';

-- as 12_privileges.sql leaves them in a fresh install
REVOKE ALL ON FUNCTION
    maintenance.maintenances_json(maintenance.maintenances_with_systems[])
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    maintenance.maintenances_json(maintenance.maintenances_with_systems[])
TO PUBLIC;

CREATE OR REPLACE FUNCTION maintenance.get_maintenance(id uuid)
RETURNS maintenance.maintenances_with_systems
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_get_maintenance';

CREATE OR REPLACE FUNCTION maintenance.get_maintenance_updates(maintenance_id uuid)
RETURNS SETOF maintenance.maintenance_updates
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_get_maintenance_updates';

CREATE OR REPLACE FUNCTION maintenance.get_maintenances_for_system(system_id text)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT v.*
          FROM maintenance.maintenances_with_systems v
         WHERE v.system_ids @> ARRAY[get_maintenances_for_system.system_id]
           AND v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
         ORDER BY v.start_at, v.id;
END
$$;

CREATE OR REPLACE FUNCTION maintenance.get_bulk_maintenances_for_systems(system_ids text[])
RETURNS TABLE (system_id text, maintenances maintenance.maintenances_with_systems[])
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT asked.system_id,
               ARRAY(SELECT v
                       FROM maintenance.maintenances_with_systems v
                      WHERE v.system_ids @> ARRAY[asked.system_id]
                        AND v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
                      ORDER BY v.start_at, v.id)
          FROM (SELECT DISTINCT a.system_id
                  FROM unnest(maintenance.checked_bulk_system_ids(
                           get_bulk_maintenances_for_systems.system_ids)) AS a(system_id)
                 WHERE a.system_id IS NOT NULL) AS asked
         ORDER BY asked.system_id COLLATE "C";
END
$$;

CREATE OR REPLACE FUNCTION maintenance.has_active_maintenance_with_suppression(system_id text)
RETURNS boolean
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_has_active_maintenance_with_suppression';

CREATE OR REPLACE FUNCTION maintenance.rpc_text(input jsonb, field text, required boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.rpc_field(input, field, 'string', required) #>> '{}';
END
$$;

CREATE OR REPLACE FUNCTION maintenance.rpc_boolean(input jsonb, field text, required boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN (maintenance.rpc_field(input, field, 'boolean', required))::boolean;
END
$$;

-- The methods of rpc other than its hot-path reads (src/rpc.c sends those to
-- rpc_read).  Errors of the write functions name the JSON fields (endAt, not
-- end_at).
CREATE FUNCTION maintenance.rpc_sql(method text, input jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
SET maintenance.argument_names = json
AS $$
DECLARE
    result jsonb;
BEGIN
    IF method IS NULL THEN
        RAISE EXCEPTION 'method must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    input := coalesce(input, '{}'::jsonb);

    IF method = 'listMaintenances' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{status,systemId}');
        result := jsonb_build_object('maintenances', maintenance.maintenances_json(ARRAY(
                      SELECT v
                        FROM maintenance.list_maintenances(
                                 status => maintenance.rpc_status(input, 'status'),
                                 system_id => maintenance.rpc_text(input, 'systemId')) v
                       ORDER BY v.start_at, v.id)));

    ELSIF method = 'createMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{title,description,suppressNotifications,startAt,endAt,systemIds,reminders}');
        SELECT maintenance.maintenance_json(v) INTO result
          FROM maintenance.create_maintenance(
                   title => maintenance.rpc_text(input, 'title', true),
                   description => maintenance.rpc_text(input, 'description'),
                   suppress_notifications => coalesce(maintenance.rpc_boolean(input, 'suppressNotifications'), false),
                   start_at => maintenance.rpc_timestamptz(input, 'startAt', true),
                   end_at => maintenance.rpc_timestamptz(input, 'endAt', true),
                   system_ids => maintenance.rpc_text_array(input, 'systemIds', true),
                   reminders => maintenance.rpc_duration_array(input, 'reminders')) v;

    ELSIF method = 'updateMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{id,title,description,suppressNotifications,startAt,endAt,systemIds,reminders}');
        SELECT maintenance.maintenance_json(v) INTO result
          FROM maintenance.update_maintenance(
                   id => maintenance.rpc_uuid(input, 'id'),
                   title => maintenance.rpc_text(input, 'title'),
                   description => maintenance.rpc_text(input, 'description'),
                   -- "description": null clears it; an absent key leaves it
                   clear_description => input ? 'description'
                                        AND jsonb_typeof(input -> 'description') = 'null',
                   suppress_notifications => maintenance.rpc_boolean(input, 'suppressNotifications'),
                   start_at => maintenance.rpc_timestamptz(input, 'startAt'),
                   end_at => maintenance.rpc_timestamptz(input, 'endAt'),
                   system_ids => maintenance.rpc_text_array(input, 'systemIds'),
                   -- "reminders": [] clears them; an absent key (or null) leaves them
                   reminders => maintenance.rpc_duration_array(input, 'reminders')) v;

    ELSIF method = 'addUpdate' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{maintenanceId,message,statusChange}');
        SELECT maintenance.update_json(u) INTO result
          FROM maintenance.add_update(
                   maintenance_id => maintenance.rpc_uuid(input, 'maintenanceId'),
                   message => maintenance.rpc_text(input, 'message', true),
                   status_change => maintenance.rpc_status(input, 'statusChange')) u;

    ELSIF method = 'closeMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{id,message}');
        SELECT maintenance.maintenance_json(v) INTO result
          FROM maintenance.close_maintenance(
                   id => maintenance.rpc_uuid(input, 'id'),
                   message => maintenance.rpc_text(input, 'message')) v;

    ELSIF method = 'deleteMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{id}');
        result := jsonb_build_object('success',
                      maintenance.delete_maintenance(maintenance.rpc_uuid(input, 'id')));

    ELSIF method = 'getCoverage' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{systemIds,from,to}');
        result := maintenance.coverage_json(maintenance.rpc_text_array(input, 'systemIds', true),
                                            maintenance.rpc_timestamptz(input, 'from', true),
                                            maintenance.rpc_timestamptz(input, 'to', true));

    ELSIF method = 'getCalendar' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{systemIds,from,to}');
        result := jsonb_build_object('calendar', maintenance.calendar(
                      system_ids => maintenance.rpc_text_array(input, 'systemIds'),
                      since => maintenance.rpc_timestamptz(input, 'from'),
                      until => maintenance.rpc_timestamptz(input, 'to')));

    ELSIF method = ANY ('{createSeries,updateSeries,getSeries,listSeries,deleteSeries,previewSeries}') THEN
        result := maintenance.rpc_series(method, input);

    ELSE
        RAISE EXCEPTION 'unrecognized method "%"', method
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The methods are listMaintenances, getMaintenance, getMaintenancesForSystem, '
                         'getBulkMaintenancesForSystems, createMaintenance, updateMaintenance, addUpdate, '
                         'closeMaintenance, deleteMaintenance, hasActiveMaintenanceWithSuppression, getCoverage, '
                         'getCalendar, createSeries, updateSeries, getSeries, listSeries, deleteSeries and previewSeries.';
    END IF;

    RETURN result;
END
$$;


COMMENT ON FUNCTION maintenance.rpc_sql(text, jsonb) IS
    'the methods of rpc written in PL/pgSQL: the writes, listMaintenances, getCoverage, getCalendar, the series methods; called by rpc';

-- The hot-path reads of rpc in C, each query planned once per backend:
-- getMaintenance, getMaintenancesForSystem, getBulkMaintenancesForSystems,
-- hasActiveMaintenanceWithSuppression.
CREATE FUNCTION maintenance.rpc_read(method text, input jsonb)
RETURNS jsonb
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_rpc_read';

COMMENT ON FUNCTION maintenance.rpc_read(text, jsonb) IS
    'the reads of rpc (getMaintenance, getMaintenancesForSystem, getBulkMaintenancesForSystems, hasActiveMaintenanceWithSuppression); called by rpc';

-- The entry point runs no SQL itself: it calls rpc_read or rpc_sql, by OID,
-- checking the caller's EXECUTE right on it (src/rpc.c).
CREATE OR REPLACE FUNCTION maintenance.rpc(method text, input jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'maintenance_rpc';

-- as 12_privileges.sql leaves them in a fresh install
REVOKE ALL ON FUNCTION
    maintenance.rpc_sql(text, jsonb),
    maintenance.rpc_read(text, jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    maintenance.rpc_sql(text, jsonb),
    maintenance.rpc_read(text, jsonb)
TO PUBLIC;

/* ---------------------------------------------------------------------
 * 0.4.0: series_id in maintenances_with_systems (as sql/src/04_views.sql),
 * after the reminders; maintenance_json (C, above) puts it in the JSON
 * ------------------------------------------------------------------ */

CREATE OR REPLACE VIEW maintenance.maintenances_with_systems AS
SELECT m.id,
       m.title,
       m.description,
       m.suppress_notifications,
       m.status,
       m.start_at,
       m.end_at,
       m.created_at,
       m.updated_at,
       m.system_ids,
       m.reminders,
       m.series_id
  FROM maintenance.maintenances m;


/* ---------------------------------------------------------------------
 * 0.4.0: recurring windows (series), as sql/src/13_series.sql
 * ------------------------------------------------------------------ */

/* ---------------------------------------------------------------------
 * Recurrence (C, src/ical_recur.c, src/series_rule.c, src/series_preview.c)
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.preview_series(
    rrule text,
    time_zone text,
    first_start timestamp,
    duration interval,
    exdates timestamp[] DEFAULT '{}',
    from_time timestamptz DEFAULT NULL,
    count integer DEFAULT 10)
RETURNS TABLE (start_at timestamptz, end_at timestamptz)
LANGUAGE c STABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_preview_series';

COMMENT ON FUNCTION maintenance.preview_series(text, text, timestamp, interval, timestamp[], timestamptz, integer) IS
    'the first count windows of a recurrence rule in a time zone that start at or after from_time (default now); writes nothing';

/* ---------------------------------------------------------------------
 * Series: a recurring window described once; its occurrences are
 * ordinary maintenances (maintenances.series_id, occurrence_start)
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.series (
    id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    title text NOT NULL,
    description text,
    suppress_notifications boolean NOT NULL DEFAULT false,
    system_ids text[] NOT NULL,
    rrule text NOT NULL,
    time_zone text NOT NULL,
    first_start timestamp NOT NULL,
    duration interval NOT NULL,
    exdates timestamp[] NOT NULL DEFAULT '{}',
    reminders interval[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    ended_at timestamptz,
    -- Occurrences that had ended by then are not created (creation, or the
    -- last change of the rule).
    rule_changed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- The latest start that materialization has dealt with (created, or
    -- found deleted): later runs continue after it.
    materialized_through timestamptz,
    -- When run_transitions must materialize again (src/series.c): the next
    -- start minus the horizon, or the start of the latest occurrence.
    materialize_at timestamptz,
    CONSTRAINT series_pkey PRIMARY KEY (id),
    CONSTRAINT series_title_not_blank
        CHECK (pg_catalog.btrim(title, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT series_system_ids_not_empty
        CHECK (pg_catalog.cardinality(system_ids) OPERATOR(pg_catalog.>) 0)
);

COMMENT ON TABLE maintenance.series IS 'recurring maintenance windows; their occurrences are maintenances';

-- run_transitions probes only the series that have something to create.
CREATE INDEX series_materialize_at
    ON maintenance.series (materialize_at)
    WHERE ended_at IS NULL AND materialize_at IS NOT NULL;
CREATE INDEX series_created_at ON maintenance.series (created_at, id);

ALTER TABLE maintenance.maintenances
    ADD CONSTRAINT maintenances_series_id_fkey
    FOREIGN KEY (series_id) REFERENCES maintenance.series (id);

-- Occurrences that were deleted: never created again.
CREATE TABLE maintenance.series_deleted_occurrences (
    series_id uuid NOT NULL REFERENCES maintenance.series (id),
    occurrence_start timestamp NOT NULL,
    CONSTRAINT series_deleted_occurrences_pkey PRIMARY KEY (series_id, occurrence_start)
);

COMMENT ON TABLE maintenance.series_deleted_occurrences IS
    'the occurrences of each series that were deleted, so that they are never created again';

SELECT pg_catalog.pg_extension_config_dump('maintenance.series', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.series_deleted_occurrences', '');

CREATE FUNCTION maintenance.remember_deleted_occurrence()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    INSERT INTO maintenance.series_deleted_occurrences (series_id, occurrence_start)
    VALUES (OLD.series_id, OLD.occurrence_start)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.remember_deleted_occurrence() IS
    'trigger: a deleted occurrence of a series is never created again';

CREATE TRIGGER maintenances_remember_deleted_occurrence
    AFTER DELETE ON maintenance.maintenances
    FOR EACH ROW WHEN (OLD.series_id IS NOT NULL)
    EXECUTE FUNCTION maintenance.remember_deleted_occurrence();

-- An occurrence changed on its own (updateMaintenance) keeps its changes
-- when the series is edited: marked here, unless the series itself writes
-- (src/series.c).  A status change is not such a change.
CREATE FUNCTION maintenance.mark_overridden_occurrence()
RETURNS trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'maintenance_mark_overridden_occurrence';

CREATE TRIGGER maintenances_mark_overridden_occurrence
    BEFORE UPDATE OF title, description, suppress_notifications, start_at, end_at, system_ids
    ON maintenance.maintenances
    FOR EACH ROW WHEN (OLD.series_id IS NOT NULL
        AND (OLD.title, OLD.description, OLD.suppress_notifications, OLD.start_at, OLD.end_at, OLD.system_ids)
            IS DISTINCT FROM
            (NEW.title, NEW.description, NEW.suppress_notifications, NEW.start_at, NEW.end_at, NEW.system_ids))
    EXECUTE FUNCTION maintenance.mark_overridden_occurrence();

/* ---------------------------------------------------------------------
 * Series writes (C, src/series.c)
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.create_series(
    title text,
    system_ids text[],
    rrule text,
    time_zone text,
    first_start timestamp,
    duration interval,
    description text DEFAULT NULL,
    suppress_notifications boolean DEFAULT false,
    exdates timestamp[] DEFAULT '{}',
    reminders interval[] DEFAULT '{}')
RETURNS maintenance.series
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_create_series';

CREATE FUNCTION maintenance.update_series(
    id uuid,
    title text DEFAULT NULL,
    description text DEFAULT NULL,
    suppress_notifications boolean DEFAULT NULL,
    system_ids text[] DEFAULT NULL,
    rrule text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    first_start timestamp DEFAULT NULL,
    duration interval DEFAULT NULL,
    exdates timestamp[] DEFAULT NULL,
    reminders interval[] DEFAULT NULL,
    clear_description boolean DEFAULT false)
RETURNS maintenance.series
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_update_series';

CREATE FUNCTION maintenance.delete_series(id uuid)
RETURNS boolean
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_delete_series';

/* ---------------------------------------------------------------------
 * Series reads
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.get_series(id uuid)
RETURNS maintenance.series
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT s.* FROM maintenance.series s WHERE s.id = get_series.id
$$;

CREATE FUNCTION maintenance.list_series(system_id text DEFAULT NULL)
RETURNS SETOF maintenance.series
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT s.* FROM maintenance.series s
     WHERE list_series.system_id IS NULL OR list_series.system_id = ANY (s.system_ids)
     ORDER BY s.created_at, s.id
$$;

CREATE FUNCTION maintenance.get_series_occurrences(series_id uuid)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT v.* FROM maintenance.maintenances_with_systems v
     WHERE v.series_id = get_series_occurrences.series_id
     ORDER BY v.start_at, v.id
$$;

-- The windows of a stored series (its rule, zone and exceptions).
CREATE FUNCTION maintenance.preview_series(
    id uuid,
    from_time timestamptz DEFAULT NULL,
    count integer DEFAULT 10)
RETURNS TABLE (start_at timestamptz, end_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT p.start_at, p.end_at
      FROM maintenance.series s,
           maintenance.preview_series(s.rrule, s.time_zone, s.first_start, s.duration,
                                      s.exdates, preview_series.from_time, preview_series.count) p
     WHERE s.id = preview_series.id
$$;


/* ---------------------------------------------------------------------
 * JSON of series: local times and RFC 5545 durations
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.local_time_iso(ts timestamp)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT pg_catalog.to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS')
$$;

COMMENT ON FUNCTION maintenance.local_time_iso(timestamp) IS
    'a local date-time without an offset, as series JSON writes it (2026-03-01T02:30:00)';

CREATE FUNCTION maintenance.series_json(s maintenance.series)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT CASE WHEN s.id IS NULL THEN 'null'::jsonb ELSE
        jsonb_build_object(
            'id', s.id,
            'title', s.title,
            'suppressNotifications', s.suppress_notifications,
            'systemIds', to_jsonb(s.system_ids),
            'rrule', s.rrule,
            'timeZone', s.time_zone,
            'firstStart', maintenance.local_time_iso(s.first_start),
            'duration', maintenance.duration_iso(s.duration),
            'exdates', coalesce((SELECT jsonb_agg(maintenance.local_time_iso(e) ORDER BY e)
                                   FROM unnest(s.exdates) AS e), '[]'),
            'reminders', coalesce((SELECT jsonb_agg(maintenance.duration_iso(r) ORDER BY i)
                                     FROM unnest(s.reminders) WITH ORDINALITY AS x(r, i)), '[]'),
            'createdAt', maintenance.iso_time(s.created_at),
            'updatedAt', maintenance.iso_time(s.updated_at))
        || CASE WHEN s.description IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('description', s.description) END
        || CASE WHEN s.ended_at IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('endedAt', maintenance.iso_time(s.ended_at)) END
    END
$$;

COMMENT ON FUNCTION maintenance.series_json(maintenance.series) IS
    'a series as the Series JSON';

CREATE FUNCTION maintenance.rpc_local_time(input jsonb, field text, required boolean DEFAULT false)
RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text := maintenance.rpc_text(input, field, required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    -- a local time has no offset: the series' time zone gives it one
    IF value !~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$' THEN
        RAISE EXCEPTION 'field "%" must be a local date-time without an offset', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', to_jsonb(value)),
                  HINT = 'Use a form such as "2026-03-01T02:30:00".';
    END IF;
    BEGIN
        RETURN value::timestamp;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'field "%" must be a local date-time without an offset', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', to_jsonb(value));
    END;
END
$$;

CREATE FUNCTION maintenance.rpc_local_time_array(input jsonb, field text)
RETURNS timestamp[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text[] := maintenance.rpc_text_array(input, field);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT maintenance.rpc_local_time(jsonb_build_object(field, v), field, true)
                   FROM unnest(value) WITH ORDINALITY AS e(v, i) ORDER BY i);
END
$$;

CREATE FUNCTION maintenance.rpc_integer(input jsonb, field text, required boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value jsonb := maintenance.rpc_field(input, field, 'number', required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF value::text !~ '^-?\d{1,9}$' THEN
        RAISE EXCEPTION 'field "%" must be an integer', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', value);
    END IF;
    RETURN value::text::integer;
END
$$;


-- The series methods of maintenance.rpc (which sets argument_names = json).
CREATE FUNCTION maintenance.rpc_series(method text, input jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    result jsonb;
BEGIN
    IF method = 'createSeries' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{title,description,suppressNotifications,systemIds,rrule,timeZone,firstStart,duration,exdates,reminders}');
        SELECT maintenance.series_json(s) INTO result
          FROM maintenance.create_series(
                   title => maintenance.rpc_text(input, 'title', true),
                   system_ids => maintenance.rpc_text_array(input, 'systemIds', true),
                   rrule => maintenance.rpc_text(input, 'rrule', true),
                   time_zone => maintenance.rpc_text(input, 'timeZone', true),
                   first_start => maintenance.rpc_local_time(input, 'firstStart', true),
                   duration => maintenance.rpc_duration(input, 'duration', true),
                   description => maintenance.rpc_text(input, 'description'),
                   suppress_notifications => coalesce(maintenance.rpc_boolean(input, 'suppressNotifications'), false),
                   exdates => coalesce(maintenance.rpc_local_time_array(input, 'exdates'), '{}'),
                   reminders => coalesce(maintenance.rpc_duration_array(input, 'reminders'), '{}')) s;

    ELSIF method = 'updateSeries' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{id,title,description,suppressNotifications,systemIds,rrule,timeZone,firstStart,duration,exdates,reminders}');
        SELECT maintenance.series_json(s) INTO result
          FROM maintenance.update_series(
                   id => maintenance.rpc_uuid(input, 'id'),
                   title => maintenance.rpc_text(input, 'title'),
                   description => maintenance.rpc_text(input, 'description'),
                   clear_description => input ? 'description'
                                        AND jsonb_typeof(input -> 'description') = 'null',
                   suppress_notifications => maintenance.rpc_boolean(input, 'suppressNotifications'),
                   system_ids => maintenance.rpc_text_array(input, 'systemIds'),
                   rrule => maintenance.rpc_text(input, 'rrule'),
                   time_zone => maintenance.rpc_text(input, 'timeZone'),
                   first_start => maintenance.rpc_local_time(input, 'firstStart'),
                   duration => maintenance.rpc_duration(input, 'duration'),
                   exdates => maintenance.rpc_local_time_array(input, 'exdates'),
                   reminders => maintenance.rpc_duration_array(input, 'reminders')) s;

    ELSIF method = 'getSeries' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{id}');
        SELECT CASE WHEN s.id IS NULL THEN 'null'::jsonb ELSE
                   maintenance.series_json(s) || jsonb_build_object('occurrences',
                       coalesce((SELECT jsonb_agg(maintenance.maintenance_json(v) ORDER BY v.start_at, v.id)
                                   FROM maintenance.get_series_occurrences(s.id) v), '[]'))
               END
          INTO result
          FROM maintenance.get_series(maintenance.rpc_uuid(input, 'id')) s;

    ELSIF method = 'listSeries' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{systemId}');
        SELECT jsonb_build_object('series',
                   coalesce(jsonb_agg(maintenance.series_json(s) ORDER BY s.created_at, s.id), '[]'))
          INTO result
          FROM maintenance.list_series(maintenance.rpc_text(input, 'systemId')) s;

    ELSIF method = 'deleteSeries' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{id}');
        result := jsonb_build_object('success',
                      maintenance.delete_series(maintenance.rpc_uuid(input, 'id')));

    ELSIF method = 'previewSeries' AND input ? 'id' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{id,from,count}');
        IF maintenance.get_series(maintenance.rpc_uuid(input, 'id')) IS NULL THEN
            RAISE EXCEPTION 'series "%" does not exist', input ->> 'id'
                USING ERRCODE = 'no_data_found';
        END IF;
        SELECT jsonb_build_object('occurrences', coalesce(jsonb_agg(
                   jsonb_build_object('startAt', maintenance.iso_time(p.start_at),
                                      'endAt', maintenance.iso_time(p.end_at)) ORDER BY p.start_at), '[]'))
          INTO result
          FROM maintenance.preview_series(
                   id => maintenance.rpc_uuid(input, 'id'),
                   from_time => maintenance.rpc_timestamptz(input, 'from'),
                   count => coalesce(maintenance.rpc_integer(input, 'count'), 10)) p;

    ELSIF method = 'previewSeries' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{rrule,timeZone,firstStart,duration,exdates,from,count}');
        SELECT jsonb_build_object('occurrences', coalesce(jsonb_agg(
                   jsonb_build_object('startAt', maintenance.iso_time(p.start_at),
                                      'endAt', maintenance.iso_time(p.end_at)) ORDER BY p.start_at), '[]'))
          INTO result
          FROM maintenance.preview_series(
                   rrule => maintenance.rpc_text(input, 'rrule', true),
                   time_zone => maintenance.rpc_text(input, 'timeZone', true),
                   first_start => maintenance.rpc_local_time(input, 'firstStart', true),
                   duration => maintenance.rpc_duration(input, 'duration', true),
                   exdates => coalesce(maintenance.rpc_local_time_array(input, 'exdates'), '{}'),
                   from_time => maintenance.rpc_timestamptz(input, 'from'),
                   count => coalesce(maintenance.rpc_integer(input, 'count'), 10)) p;
    ELSE
        RAISE EXCEPTION 'unrecognized method "%"', method
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN result;
END
$$;

/* Privileges (as 12_privileges.sql, for the objects above) */
REVOKE ALL ON TABLE maintenance.series, maintenance.series_deleted_occurrences FROM PUBLIC;
REVOKE ALL ON FUNCTION
    maintenance.remember_deleted_occurrence(),
    maintenance.mark_overridden_occurrence(),
    maintenance.create_series(text, text[], text, text, timestamp, interval, text, boolean, timestamp[], interval[]),
    maintenance.update_series(uuid, text, text, boolean, text[], text, text, timestamp, interval, timestamp[], interval[], boolean),
    maintenance.delete_series(uuid),
    maintenance.get_series(uuid),
    maintenance.list_series(text),
    maintenance.get_series_occurrences(uuid),
    maintenance.preview_series(uuid, timestamptz, integer),
    maintenance.series_json(maintenance.series),
    maintenance.preview_series(text, text, timestamp, interval, timestamp[], timestamptz, integer),
    maintenance.local_time_iso(timestamp),
    maintenance.rpc_local_time(jsonb, text, boolean),
    maintenance.rpc_local_time_array(jsonb, text),
    maintenance.rpc_integer(jsonb, text, boolean),
    maintenance.rpc_series(text, jsonb)
FROM PUBLIC;
-- Reads, as those of maintenances: open once a role has USAGE on the schema.
GRANT EXECUTE ON FUNCTION
    maintenance.get_series(uuid),
    maintenance.list_series(text),
    maintenance.get_series_occurrences(uuid),
    maintenance.preview_series(uuid, timestamptz, integer),
    maintenance.series_json(maintenance.series),
    maintenance.preview_series(text, text, timestamp, interval, timestamp[], timestamptz, integer),
    maintenance.local_time_iso(timestamp),
    maintenance.rpc_local_time(jsonb, text, boolean),
    maintenance.rpc_local_time_array(jsonb, text),
    maintenance.rpc_integer(jsonb, text, boolean),
    maintenance.rpc_series(text, jsonb)
TO PUBLIC;

/* ---------------------------------------------------------------------
 * 0.4.0: series in the calendar (as sql/src/14_calendar_series.sql)
 * ------------------------------------------------------------------ */

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
