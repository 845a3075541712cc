/* maintenance--0.3.0--0.4.0.sql: from 0.3.0 to 0.4.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.4.0'" to load this file. \quit

/*
 * 0.4.0:
 * - the install script is built from per-object sources (sql/src); the
 *   objects of 0.3.0 are unchanged by that.
 * - recurring windows (series): preview_series() and the JSON helpers of
 *   series; rpc() dispatches the series methods to rpc_series().
 */

/* ---------------------------------------------------------------------
 * 0.4.0: recurring windows (series)
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

-- RFC 5545 section 3.3.6 writes a duration as weeks alone, or days and
-- time; PostgreSQL's interval keeps days and time apart, as RFC 5545 does.
CREATE FUNCTION maintenance.duration_iso(d interval)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    days bigint := extract(day FROM d);
    secs bigint := extract(epoch FROM d - make_interval(days => extract(day FROM d)::integer));
    t text := '';
BEGIN
    IF secs = 0 AND days > 0 AND days % 7 = 0 THEN
        RETURN 'P' || days / 7 || 'W';
    END IF;
    IF secs / 3600 > 0 THEN t := t || secs / 3600 || 'H'; END IF;
    IF secs / 60 % 60 > 0 THEN t := t || secs / 60 % 60 || 'M'; END IF;
    IF secs % 60 > 0 OR (secs = 0 AND days = 0) THEN t := t || secs % 60 || 'S'; END IF;
    RETURN 'P' || CASE WHEN days > 0 THEN days || 'D' ELSE '' END
               || CASE WHEN t = '' THEN '' ELSE 'T' || t END;
END
$$;

COMMENT ON FUNCTION maintenance.duration_iso(interval) IS
    'an interval of days and time as an RFC 5545 duration (PT2H, PT1H30M, P1D, P1W)';

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
    IF method = 'previewSeries' THEN
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
REVOKE ALL ON FUNCTION
    maintenance.preview_series(text, text, timestamp, interval, timestamp[], timestamptz, integer),
    maintenance.local_time_iso(timestamp),
    maintenance.duration_iso(interval),
    maintenance.rpc_local_time(jsonb, text, boolean),
    maintenance.rpc_local_time_array(jsonb, text),
    maintenance.rpc_duration(jsonb, text, boolean),
    maintenance.rpc_integer(jsonb, text, boolean),
    maintenance.rpc_series(text, jsonb)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    maintenance.preview_series(text, text, timestamp, interval, timestamp[], timestamptz, integer),
    maintenance.local_time_iso(timestamp),
    maintenance.duration_iso(interval),
    maintenance.rpc_local_time(jsonb, text, boolean),
    maintenance.rpc_local_time_array(jsonb, text),
    maintenance.rpc_duration(jsonb, text, boolean),
    maintenance.rpc_integer(jsonb, text, boolean),
    maintenance.rpc_series(text, jsonb)
TO PUBLIC;

-- Errors of the write functions name the JSON fields (endAt, not end_at).
CREATE OR REPLACE FUNCTION maintenance.rpc(method text, input jsonb DEFAULT '{}')
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
        SELECT jsonb_build_object('maintenances',
                   coalesce(jsonb_agg(maintenance.maintenance_json(v) ORDER BY v.start_at, v.id), '[]'))
          INTO result
          FROM maintenance.list_maintenances(
                   status => maintenance.rpc_status(input, 'status'),
                   system_id => maintenance.rpc_text(input, 'systemId')) v;

    ELSIF method = 'getMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{id}');
        SELECT CASE WHEN v.id IS NULL THEN 'null'::jsonb ELSE
                   maintenance.maintenance_json(v) || jsonb_build_object('updates',
                       coalesce((SELECT jsonb_agg(maintenance.update_json(u) ORDER BY u.position)
                                   FROM maintenance.get_maintenance_updates(v.id) u), '[]'))
               END
          INTO result
          FROM maintenance.get_maintenance(maintenance.rpc_uuid(input, 'id')) v;

    ELSIF method = 'getMaintenancesForSystem' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{systemId}');
        SELECT coalesce(jsonb_agg(maintenance.maintenance_json(v) ORDER BY v.start_at, v.id), '[]')
          INTO result
          FROM maintenance.get_maintenances_for_system(maintenance.rpc_text(input, 'systemId', true)) v;

    ELSIF method = 'getBulkMaintenancesForSystems' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{systemIds}');
        SELECT jsonb_build_object('maintenances', coalesce(jsonb_object_agg(b.system_id,
                   (SELECT coalesce(jsonb_agg(maintenance.maintenance_json(b.maintenances[i]) ORDER BY i), '[]')
                      FROM generate_subscripts(b.maintenances, 1) AS i)), '{}'))
          INTO result
          FROM maintenance.get_bulk_maintenances_for_systems(
                   maintenance.rpc_text_array(input, 'systemIds', true)) b;

    ELSIF method = 'createMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{title,description,suppressNotifications,startAt,endAt,systemIds}');
        SELECT maintenance.maintenance_json(v) INTO result
          FROM maintenance.create_maintenance(
                   title => maintenance.rpc_text(input, 'title', true),
                   description => maintenance.rpc_text(input, 'description'),
                   suppress_notifications => coalesce(maintenance.rpc_boolean(input, 'suppressNotifications'), false),
                   start_at => maintenance.rpc_timestamptz(input, 'startAt', true),
                   end_at => maintenance.rpc_timestamptz(input, 'endAt', true),
                   system_ids => maintenance.rpc_text_array(input, 'systemIds', true)) v;

    ELSIF method = 'updateMaintenance' THEN
        PERFORM maintenance.rpc_check_fields(method, input,
            '{id,title,description,suppressNotifications,startAt,endAt,systemIds}');
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
                   system_ids => maintenance.rpc_text_array(input, 'systemIds')) v;

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

    ELSIF method = 'hasActiveMaintenanceWithSuppression' THEN
        PERFORM maintenance.rpc_check_fields(method, input, '{systemId}');
        result := jsonb_build_object('suppressed',
                      maintenance.has_active_maintenance_with_suppression(
                          maintenance.rpc_text(input, 'systemId', true)));

    ELSIF method = ANY ('{createSeries,updateSeries,getSeries,listSeries,deleteSeries,previewSeries}') THEN
        result := maintenance.rpc_series(method, input);

    ELSE
        RAISE EXCEPTION 'unrecognized method "%"', method
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The methods are listMaintenances, getMaintenance, getMaintenancesForSystem, '
                         'getBulkMaintenancesForSystems, createMaintenance, updateMaintenance, addUpdate, '
                         'closeMaintenance, deleteMaintenance, hasActiveMaintenanceWithSuppression, '
                         'createSeries, updateSeries, getSeries, listSeries, deleteSeries and previewSeries.';
    END IF;

    RETURN result;
END
$$;

COMMENT ON FUNCTION maintenance.rpc(text, jsonb) IS
    'every operation by its upstream name, with the upstream''s camelCase JSON';
