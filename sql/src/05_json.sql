-- 05_json.sql: JSON shapes of the API: times, maintenances, updates, event envelopes

/* ---------------------------------------------------------------------
 * JSON helpers
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.iso_time(ts timestamptz)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_iso_time';

COMMENT ON FUNCTION maintenance.iso_time(timestamptz) IS
    'UTC ISO-8601 with milliseconds, as JavaScript''s toISOString() prints it';

CREATE FUNCTION maintenance.maintenance_json(m maintenance.maintenances_with_systems)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT CASE WHEN m.id IS NULL THEN 'null'::jsonb ELSE
        jsonb_build_object(
            'id', m.id,
            'title', m.title,
            'suppressNotifications', m.suppress_notifications,
            'status', m.status,
            'startAt', maintenance.iso_time(m.start_at),
            'endAt', maintenance.iso_time(m.end_at),
            'createdAt', maintenance.iso_time(m.created_at),
            'updatedAt', maintenance.iso_time(m.updated_at),
            'systemIds', to_jsonb(m.system_ids))
        || CASE WHEN m.description IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('description', m.description) END
        || CASE WHEN coalesce(cardinality(m.reminders), 0) = 0 THEN '{}'::jsonb
                ELSE jsonb_build_object('reminders',
                         (SELECT jsonb_agg(maintenance.duration_iso(r.lead) ORDER BY r.i)
                            FROM unnest(m.reminders) WITH ORDINALITY AS r(lead, i))) END
        || CASE WHEN m.series_id IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('seriesId', m.series_id) END
    END
$$;

COMMENT ON FUNCTION maintenance.maintenance_json(maintenance.maintenances_with_systems) IS
    'a maintenance as MaintenanceWithSystems JSON, the shape maintenance.rpc returns';

CREATE FUNCTION maintenance.update_json(u maintenance.maintenance_updates)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT jsonb_build_object(
               'id', u.id,
               'maintenanceId', u.maintenance_id,
               'message', u.message,
               'createdAt', maintenance.iso_time(u.created_at))
        || CASE WHEN u.status_change IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('statusChange', u.status_change) END
        || CASE WHEN u.created_by IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('createdBy', u.created_by) END
$$;

COMMENT ON FUNCTION maintenance.update_json(maintenance.maintenance_updates) IS
    'a timeline entry as MaintenanceUpdate JSON, the shape maintenance.rpc returns';

-- The envelope NOTIFY sends, built by the same C code (src/payload.c).
CREATE FUNCTION maintenance.event_envelope(e maintenance.events)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_event_envelope';

COMMENT ON FUNCTION maintenance.event_envelope(maintenance.events) IS
    'the whole envelope of an event, as NOTIFY sends it when it fits';
