-- 12_privileges.sql: privileges: nothing is writable by PUBLIC

/* ---------------------------------------------------------------------
 * Privileges: nothing is writable by PUBLIC (doc/security.md, "Privileges")
 * ------------------------------------------------------------------ */

REVOKE ALL ON ALL TABLES IN SCHEMA maintenance FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA maintenance FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA maintenance FROM PUBLIC;

-- Reads may be granted widely: EXECUTE is open, but PUBLIC has no USAGE on
-- the schema, so a role needs GRANT USAGE ON SCHEMA maintenance first.
GRANT EXECUTE ON FUNCTION
    maintenance.iso_time(timestamptz),
    maintenance.duration_iso(interval),
    maintenance.maintenance_json(maintenance.maintenances_with_systems),
    maintenance.maintenances_json(maintenance.maintenances_with_systems[]),
    maintenance.update_json(maintenance.maintenance_updates),
    maintenance.list_maintenances(maintenance.status, text),
    maintenance.get_maintenance(uuid),
    maintenance.get_maintenance_updates(uuid),
    maintenance.get_maintenances_for_system(text),
    maintenance.get_bulk_maintenances_for_systems(text[]),
    maintenance.has_active_maintenance_with_suppression(text),
    maintenance.window_key(text, tstzrange),
    maintenance.under_maintenance(text, timestamptz),
    maintenance.coverage_max_systems(),
    maintenance.coverage(text[], tstzrange),
    maintenance.coverage_json(text[], timestamptz, timestamptz),
    maintenance.calendar_max_maintenances(),
    maintenance.calendar_check_size(bigint),
    maintenance.calendar_rows(text[], timestamptz, timestamptz),
    maintenance.calendar(text[], timestamptz, timestamptz),
    maintenance.rpc_field(jsonb, text, text, boolean),
    maintenance.rpc_text(jsonb, text, boolean),
    maintenance.rpc_boolean(jsonb, text, boolean),
    maintenance.rpc_text_array(jsonb, text, boolean),
    maintenance.rpc_uuid(jsonb, text, boolean),
    maintenance.rpc_timestamptz(jsonb, text, boolean),
    maintenance.rpc_status(jsonb, text, boolean),
    maintenance.rpc_duration(jsonb, text, boolean),
    maintenance.rpc_duration_array(jsonb, text),
    maintenance.rpc_check_fields(text, jsonb, text[]),
    maintenance.rpc_sql(text, jsonb),
    maintenance.rpc_read(text, jsonb),
    maintenance.rpc(text, jsonb),
    maintenance.event_envelope(maintenance.events),
    maintenance.get_event(bigint),
    maintenance.replay_events(bigint, integer),
    maintenance.replay_events_for(text, integer)
TO PUBLIC;
