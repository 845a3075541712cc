-- 03_triggers.sql: the triggers that keep maintenances.system_ids equal to maintenance_systems

-- Runs as its owner: a role allowed to write maintenance_systems keeps the
-- copy right without a grant on maintenances.
CREATE FUNCTION maintenance.sync_system_ids()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    changed uuid[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE maintenance.maintenances m SET system_ids = '{}'
         WHERE m.system_ids <> '{}';
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        changed := ARRAY(SELECT DISTINCT c.maintenance_id FROM sync_new c);
    ELSIF TG_OP = 'DELETE' THEN
        changed := ARRAY(SELECT DISTINCT c.maintenance_id FROM sync_old c);
    ELSE
        changed := ARRAY(SELECT c.maintenance_id FROM sync_new c
                         UNION SELECT c.maintenance_id FROM sync_old c);
    END IF;
    -- Rows whose copy is right already (the write functions and a restore
    -- write both) are left alone: no new row version.
    UPDATE maintenance.maintenances m
       SET system_ids = c.ids
      FROM (SELECT t.id,
                   ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s
                          WHERE s.maintenance_id = t.id
                          ORDER BY s.system_id COLLATE "C") AS ids
              FROM unnest(changed) AS t(id)) AS c
     WHERE m.id = c.id
       AND m.system_ids IS DISTINCT FROM c.ids;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.sync_system_ids() IS
    'trigger: keep maintenances.system_ids equal to the rows of maintenance_systems';

CREATE TRIGGER maintenance_systems_sync_insert
    AFTER INSERT ON maintenance.maintenance_systems
    REFERENCING NEW TABLE AS sync_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
CREATE TRIGGER maintenance_systems_sync_update
    AFTER UPDATE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS sync_old NEW TABLE AS sync_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
CREATE TRIGGER maintenance_systems_sync_delete
    AFTER DELETE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS sync_old
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
CREATE TRIGGER maintenance_systems_sync_truncate
    AFTER TRUNCATE ON maintenance.maintenance_systems
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.sync_system_ids();
