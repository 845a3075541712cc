/* maintenance--0.3.0--0.4.0.sql: from 0.3.0 to 0.4.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.4.0'" to load this file. \quit

/*
 * 0.4.0:
 * - the install script is built from per-object sources (sql/src); the
 *   objects of 0.3.0 are unchanged by that.
 * - event_envelope() is the C code that builds the NOTIFY envelope
 *   (same signature, volatility, grants, comment, and the same jsonb).
 * - the comments of three functions say what their JSON is without
 *   pointing elsewhere.
 */

CREATE OR REPLACE FUNCTION maintenance.event_envelope(e maintenance.events)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_event_envelope';

COMMENT ON FUNCTION maintenance.maintenance_json(maintenance.maintenances_with_systems) IS
    'a maintenance as MaintenanceWithSystems JSON, the shape maintenance.rpc returns';
COMMENT ON FUNCTION maintenance.update_json(maintenance.maintenance_updates) IS
    'a timeline entry as MaintenanceUpdate JSON, the shape maintenance.rpc returns';
COMMENT ON FUNCTION maintenance.rpc(text, jsonb) IS
    'every operation by its camelCase name (createMaintenance, ...), with camelCase JSON input and result';
