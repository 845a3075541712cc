-- 06_reads.sql: read functions

/* ---------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.list_maintenances(
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

-- The reads below are not SQL functions: being SECURITY DEFINER with a
-- pinned search_path, a SQL function cannot be inlined into the caller's
-- query and its body is parsed and planned again at every call (most of the
-- cost of a one-row read).  The two one-row reads and the suppression check
-- are C (src/reads.c), each query planned once per backend: in PL/pgSQL the
-- call around their one index probe cost a third of the read.  The others
-- are PL/pgSQL, which keeps its plans for the session too.
CREATE FUNCTION maintenance.get_maintenance(id uuid)
RETURNS maintenance.maintenances_with_systems
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_get_maintenance';

CREATE FUNCTION maintenance.get_maintenance_updates(maintenance_id uuid)
RETURNS SETOF maintenance.maintenance_updates
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_get_maintenance_updates';

CREATE FUNCTION maintenance.get_maintenances_for_system(system_id text)
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

-- The ids of a bulk read, returned as given; more than the limit (src/limits.c)
-- is refused with 22023.
CREATE FUNCTION maintenance.checked_bulk_system_ids(system_ids text[])
RETURNS text[]
LANGUAGE c IMMUTABLE STRICT
AS 'MODULE_PATHNAME', 'maintenance_checked_bulk_system_ids';

COMMENT ON FUNCTION maintenance.checked_bulk_system_ids(text[]) IS
    'the ids of get_bulk_maintenances_for_systems, refused beyond the limit; internal';

-- One probe of maintenances_active_systems per distinct system asked, in
-- one statement: no round trip per system, and a plan that does not depend
-- on how many systems are asked (at most a limit: the cost and the result
-- grow with it).
CREATE FUNCTION maintenance.get_bulk_maintenances_for_systems(system_ids text[])
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

-- C (src/reads.c) like the one-row reads: its query, one probe of the partial
-- index maintenances_suppressing_systems (which holds exactly the rows it
-- asks about), planned once per backend; it runs for every health check
-- result about to be notified.
CREATE FUNCTION maintenance.has_active_maintenance_with_suppression(system_id text)
RETURNS boolean
LANGUAGE c STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_has_active_maintenance_with_suppression';
