-- 13_series.sql: recurring windows (series): preview, JSON helpers, rpc

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
