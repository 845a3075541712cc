/* maintenance--0.2.0--0.3.0.sql: from 0.2.0 to 0.3.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.3.0'" to load this file. \quit

/*
 * 0.3.0: list_maintenances(system_id => ...) finds the system's maintenances
 * through the index of maintenance_systems instead of reading every
 * maintenance ever written.  Same signature, result, privileges and comment;
 * only the body changes (CREATE OR REPLACE keeps the grants and comment).
 */

CREATE OR REPLACE FUNCTION maintenance.list_maintenances(
    status maintenance.status DEFAULT NULL,
    system_id text DEFAULT NULL)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    -- One query per filter, so that each can use its index: a system's
    -- maintenances through maintenance_systems (system_id, maintenance_id),
    -- not a scan of the whole history.
    IF list_maintenances.system_id IS NULL THEN
        RETURN QUERY
            SELECT v.*
              FROM maintenance.maintenances_with_systems v
             WHERE list_maintenances.status IS NULL OR v.status = list_maintenances.status
             ORDER BY v.start_at, v.id;
    ELSE
        RETURN QUERY
            SELECT v.*
              FROM maintenance.maintenances_with_systems v
             WHERE v.id IN (SELECT s.maintenance_id
                              FROM maintenance.maintenance_systems s
                             WHERE s.system_id = list_maintenances.system_id)
               AND (list_maintenances.status IS NULL OR v.status = list_maintenances.status)
             ORDER BY v.start_at, v.id;
    END IF;
END
$$;
