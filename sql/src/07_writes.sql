-- 07_writes.sql: write functions (C)

/* ---------------------------------------------------------------------
 * Writes (C, src/write.c, src/status_update.c)
 * ------------------------------------------------------------------ */

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

CREATE FUNCTION maintenance.add_update(
    maintenance_id uuid,
    message text,
    status_change maintenance.status DEFAULT NULL,
    created_by text DEFAULT NULL)
RETURNS maintenance.maintenance_updates
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_add_update';

CREATE FUNCTION maintenance.close_maintenance(
    id uuid,
    message text DEFAULT NULL,
    created_by text DEFAULT NULL)
RETURNS maintenance.maintenances_with_systems
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_close';

CREATE FUNCTION maintenance.delete_maintenance(id uuid)
RETURNS boolean
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_delete';
