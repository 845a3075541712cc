-- 10_rpc.sql: the JSON entry point maintenance.rpc and its input parsing

/* ---------------------------------------------------------------------
 * JSON entry point (maintenance.rpc) and its input parsing helpers
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.rpc_field(input jsonb, field text, expected text, required boolean)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value jsonb := input -> field;
BEGIN
    IF value IS NULL OR jsonb_typeof(value) = 'null' THEN
        IF required THEN
            RAISE EXCEPTION 'field "%" is required', field
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN NULL;
    END IF;
    IF jsonb_typeof(value) <> expected THEN
        RAISE EXCEPTION 'field "%" must be a JSON %', field, expected
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is a JSON %s.', jsonb_typeof(value));
    END IF;
    RETURN value;
END
$$;

-- PL/pgSQL rather than SQL: with its pinned search_path a SQL function is
-- parsed and planned at every call, and rpc calls these for every field.
CREATE FUNCTION maintenance.rpc_text(input jsonb, field text, required boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.rpc_field(input, field, 'string', required) #>> '{}';
END
$$;

CREATE FUNCTION maintenance.rpc_boolean(input jsonb, field text, required boolean DEFAULT false)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN (maintenance.rpc_field(input, field, 'boolean', required))::boolean;
END
$$;

CREATE FUNCTION maintenance.rpc_text_array(input jsonb, field text, required boolean DEFAULT false)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value jsonb := maintenance.rpc_field(input, field, 'array', required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(value) e
                WHERE jsonb_typeof(e) <> 'string') THEN
        RAISE EXCEPTION 'field "%" must be an array of strings', field
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN ARRAY(SELECT jsonb_array_elements_text(value));
END
$$;

CREATE FUNCTION maintenance.rpc_uuid(input jsonb, field text, required boolean DEFAULT true)
RETURNS uuid
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text := maintenance.rpc_text(input, field, required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF value !~ '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' THEN
        RAISE EXCEPTION 'field "%" must be a UUID', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', to_jsonb(value));
    END IF;
    RETURN value::uuid;
END
$$;

CREATE FUNCTION maintenance.rpc_timestamptz(input jsonb, field text, required boolean DEFAULT false)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text := maintenance.rpc_text(input, field, required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    -- ISO-8601 with an explicit offset: a zone-less time would silently take
    -- the session's TimeZone.
    IF value !~ '^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$' THEN
        RAISE EXCEPTION 'field "%" must be an ISO-8601 timestamp with an offset', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', to_jsonb(value)),
                  HINT = 'Use a form such as "2026-11-28T14:00:00.000Z".';
    END IF;
    BEGIN
        RETURN value::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'field "%" must be an ISO-8601 timestamp with an offset', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', to_jsonb(value));
    END;
END
$$;

CREATE FUNCTION maintenance.rpc_status(input jsonb, field text, required boolean DEFAULT false)
RETURNS maintenance.status
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    value text := maintenance.rpc_text(input, field, required);
BEGIN
    IF value IS NULL THEN
        RETURN NULL;
    END IF;
    IF NOT value = ANY (enum_range(NULL::maintenance.status)::text[]) THEN
        RAISE EXCEPTION 'field "%" has an unrecognized status', field
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s; the statuses are scheduled, in_progress, completed and cancelled.', to_jsonb(value));
    END IF;
    RETURN value::maintenance.status;
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

CREATE FUNCTION maintenance.rpc_check_fields(method text, input jsonb, allowed text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    unknown text;
BEGIN
    IF input IS NULL OR jsonb_typeof(input) <> 'object' THEN
        RAISE EXCEPTION 'input of method "%" must be a JSON object', method
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT k INTO unknown
      FROM jsonb_object_keys(input) AS k
     WHERE NOT k = ANY (allowed)
     ORDER BY k
     LIMIT 1;
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unrecognized field "%" for method "%"', unknown, method
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The fields of %s are %s.', method, array_to_string(allowed, ', '));
    END IF;
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
CREATE FUNCTION maintenance.rpc(method text, input jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'maintenance_rpc';

COMMENT ON FUNCTION maintenance.rpc(text, jsonb) IS
    'every operation by its camelCase name (createMaintenance, ...), with camelCase JSON input and result';
