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

-- Built in C from the row (src/read_json.c): rpc converts every maintenance
-- it returns with it.
CREATE FUNCTION maintenance.maintenance_json(m maintenance.maintenances_with_systems)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_maintenance_json';

COMMENT ON FUNCTION maintenance.maintenance_json(maintenance.maintenances_with_systems) IS
    'a maintenance as MaintenanceWithSystems JSON, the shape maintenance.rpc returns';

CREATE FUNCTION maintenance.maintenances_json(ms maintenance.maintenances_with_systems[])
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_maintenances_json';

COMMENT ON FUNCTION maintenance.maintenances_json(maintenance.maintenances_with_systems[]) IS
    'maintenances as a JSON array of MaintenanceWithSystems, in the order given';

CREATE FUNCTION maintenance.update_json(u maintenance.maintenance_updates)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_update_json';

COMMENT ON FUNCTION maintenance.update_json(maintenance.maintenance_updates) IS
    'a timeline entry as MaintenanceUpdate JSON, the shape maintenance.rpc returns';

-- The envelope NOTIFY sends, built by the same C code (src/payload.c).
CREATE FUNCTION maintenance.event_envelope(e maintenance.events)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_event_envelope';

COMMENT ON FUNCTION maintenance.event_envelope(maintenance.events) IS
    'the whole envelope of an event, as NOTIFY sends it when it fits';
