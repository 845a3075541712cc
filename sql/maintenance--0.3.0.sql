/* maintenance--0.3.0.sql: planned maintenance windows in PostgreSQL */

\echo Use "CREATE EXTENSION maintenance" to load this file. \quit

/*
 * Everything below is schema-qualified, operators included: CREATE EXTENSION
 * may run with a search_path that an untrusted role can write to.  Functions
 * that run with the owner's rights pin their own search_path.
 */

/*
 * Those functions belong to the installing superuser and look up objects in
 * the schema "maintenance" too.  CREATE EXTENSION creates the schema, or uses
 * one that exists already.  A role that is not a superuser and owns that
 * schema, may create objects in it, or has objects in it already could put
 * functions or operators there that those functions would run with
 * superuser rights (an owner could also drop the schema, and the extension
 * and its data with it).
 * Such a schema is refused, before anything is created.
 */
DO $guard$
DECLARE
    schema_oid pg_catalog.oid;
    owner_name pg_catalog.name;
    owner_is_super boolean;
    creators pg_catalog.text;
    foreign_object pg_catalog.text;
BEGIN
    SELECT n.oid, r.rolname, r.rolsuper
      INTO schema_oid, owner_name, owner_is_super
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'maintenance';

    IF NOT owner_is_super THEN
        RAISE EXCEPTION 'schema "maintenance" is owned by role "%", which is not a superuser', owner_name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The extension''s functions run with superuser rights and look up objects in this schema; its owner could take them over.',
                  HINT = 'Drop the schema, or make a superuser its owner, then create the extension again.';
    END IF;

    SELECT pg_catalog.string_agg(DISTINCT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                                ELSE pg_catalog.quote_ident(r.rolname) END, ', ')
      INTO creators
      FROM pg_catalog.pg_namespace n
     CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) schema_oid
       AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
       AND NOT coalesce(r.rolsuper, false);
    IF creators IS NOT NULL THEN
        RAISE EXCEPTION 'schema "maintenance" lets roles that are not superusers create objects in it: %', creators
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The extension''s functions run with superuser rights and look up objects in this schema.',
                  HINT = 'REVOKE CREATE ON SCHEMA maintenance FROM those roles, then create the extension again.';
    END IF;

    SELECT pg_catalog.pg_describe_object(o.classid, o.objid, 0)
      INTO foreign_object
      FROM (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, c.oid AS objid, c.relowner AS owner
              FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.proowner
              FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typowner
              FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprowner
              FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, c.oid, c.collowner
              FROM pg_catalog.pg_collation c WHERE c.collnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, c.conowner
              FROM pg_catalog.pg_conversion c WHERE c.connamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, c.opcowner
              FROM pg_catalog.pg_opclass c WHERE c.opcnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, f.opfowner
              FROM pg_catalog.pg_opfamily f WHERE f.opfnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, c.oid, c.cfgowner
              FROM pg_catalog.pg_ts_config c WHERE c.cfgnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, d.oid, d.dictowner
              FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid, s.stxowner
              FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace OPERATOR(pg_catalog.=) schema_oid) o
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) o.owner
     WHERE NOT r.rolsuper
     LIMIT 1;
    IF foreign_object IS NOT NULL THEN
        RAISE EXCEPTION 'schema "maintenance" holds % of a role that is not a superuser', foreign_object
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The extension''s functions run with superuser rights and look up objects in this schema.',
                  HINT = 'Move or drop the objects of other roles in schema "maintenance", then create the extension again.';
    END IF;
END
$guard$;

CREATE TYPE maintenance.status AS ENUM (
    'scheduled',
    'in_progress',
    'completed',
    'cancelled'
);

COMMENT ON TYPE maintenance.status IS
    'status of a maintenance: scheduled -> in_progress -> completed, or cancelled';

-- Sequences are separate objects so pg_dump carries their positions
-- (pg_extension_config_dump below).
CREATE SEQUENCE maintenance.maintenance_updates_position_seq;
CREATE SEQUENCE maintenance.events_id_seq;

CREATE TABLE maintenance.maintenances (
    id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    title text NOT NULL,
    description text,
    suppress_notifications boolean NOT NULL DEFAULT false,
    status maintenance.status NOT NULL DEFAULT 'scheduled',
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- A copy of this maintenance's rows of maintenance_systems, kept by the
    -- triggers below: beside the status, it lets one index answer "the
    -- active maintenances of system X" without the history.
    system_ids text[] NOT NULL DEFAULT '{}',
    CONSTRAINT maintenances_pkey PRIMARY KEY (id),
    CONSTRAINT maintenances_title_not_blank
        CHECK (pg_catalog.btrim(title, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT maintenances_start_at_finite
        CHECK (pg_catalog.isfinite(start_at)),
    CONSTRAINT maintenances_end_at_finite
        CHECK (pg_catalog.isfinite(end_at)),
    CONSTRAINT maintenances_end_after_start
        CHECK (end_at OPERATOR(pg_catalog.>) start_at)
);

COMMENT ON TABLE maintenance.maintenances IS 'planned maintenance windows';

COMMENT ON COLUMN maintenance.maintenances.system_ids IS
    'the ids of maintenance_systems for this maintenance, sorted (COLLATE "C"), kept by triggers on that table';

-- The transition sweep probes only the rows that can still move.
CREATE INDEX maintenances_due_to_start
    ON maintenance.maintenances (start_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status;
CREATE INDEX maintenances_due_to_complete
    ON maintenance.maintenances (end_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status;
-- Lists are ordered by start_at, then id.
CREATE INDEX maintenances_start_at ON maintenance.maintenances (start_at, id);
-- Holds only the maintenances that can still start or end: the history
-- that grows without end stays out of it.
CREATE INDEX maintenances_active_systems
    ON maintenance.maintenances USING gin (system_ids)
    WHERE status OPERATOR(pg_catalog.=) ANY
          (ARRAY['scheduled', 'in_progress']::maintenance.status[]);

CREATE TABLE maintenance.maintenance_systems (
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    CONSTRAINT maintenance_systems_pkey PRIMARY KEY (maintenance_id, system_id),
    CONSTRAINT maintenance_systems_system_id_not_blank
        CHECK (pg_catalog.btrim(system_id, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) '')
);

COMMENT ON TABLE maintenance.maintenance_systems IS 'the systems each maintenance affects';

CREATE INDEX maintenance_systems_system_id
    ON maintenance.maintenance_systems (system_id, maintenance_id);

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

CREATE TABLE maintenance.maintenance_updates (
    id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    message text NOT NULL,
    status_change maintenance.status,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by text,
    -- Timeline order: the order of writing, also within one transaction.
    position bigint NOT NULL
        DEFAULT pg_catalog.nextval('maintenance.maintenance_updates_position_seq'::pg_catalog.regclass),
    CONSTRAINT maintenance_updates_pkey PRIMARY KEY (id),
    CONSTRAINT maintenance_updates_position_key UNIQUE (position),
    CONSTRAINT maintenance_updates_message_not_blank
        CHECK (pg_catalog.btrim(message, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) '')
);

COMMENT ON TABLE maintenance.maintenance_updates IS 'the timeline of each maintenance';

ALTER SEQUENCE maintenance.maintenance_updates_position_seq
    OWNED BY maintenance.maintenance_updates.position;

CREATE INDEX maintenance_updates_timeline
    ON maintenance.maintenance_updates (maintenance_id, position);

CREATE TABLE maintenance.events (
    id bigint NOT NULL
        DEFAULT pg_catalog.nextval('maintenance.events_id_seq'::pg_catalog.regclass),
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    channel text NOT NULL,
    name text NOT NULL,
    payload jsonb NOT NULL,
    -- The writing transaction (for diagnostics: replay uses the horizon of
    -- src/events.c, not xids).
    xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT events_channel_known CHECK (channel OPERATOR(pg_catalog.=) ANY
        (ARRAY['maintenance_signal', 'maintenance_hook', 'maintenance_notification']::text[]))
);

COMMENT ON TABLE maintenance.events IS 'the outbox: every event, also sent with NOTIFY on its channel';

ALTER SEQUENCE maintenance.events_id_seq OWNED BY maintenance.events.id;

CREATE INDEX events_occurred_at ON maintenance.events (occurred_at);

-- Rows are user data: pg_dump must carry them and the sequence positions.
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenances', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenance_systems', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenance_updates', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.events', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenance_updates_position_seq', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.events_id_seq', '');

CREATE VIEW maintenance.maintenances_with_systems AS
SELECT m.id,
       m.title,
       m.description,
       m.suppress_notifications,
       m.status,
       m.start_at,
       m.end_at,
       m.created_at,
       m.updated_at,
       m.system_ids
  FROM maintenance.maintenances m;

COMMENT ON VIEW maintenance.maintenances_with_systems IS
    'each maintenance with its sorted system ids (MaintenanceWithSystems)';

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
    END
$$;

COMMENT ON FUNCTION maintenance.maintenance_json(maintenance.maintenances_with_systems) IS
    'a maintenance as the upstream''s MaintenanceWithSystems JSON';

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
    'a timeline entry as the upstream''s MaintenanceUpdate JSON';

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

CREATE FUNCTION maintenance.get_maintenance(id uuid)
RETURNS maintenance.maintenances_with_systems
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT v.* FROM maintenance.maintenances_with_systems v
     WHERE v.id = get_maintenance.id
$$;

CREATE FUNCTION maintenance.get_maintenance_updates(maintenance_id uuid)
RETURNS SETOF maintenance.maintenance_updates
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT u.* FROM maintenance.maintenance_updates u
     WHERE u.maintenance_id = get_maintenance_updates.maintenance_id
     ORDER BY u.position
$$;

CREATE FUNCTION maintenance.get_maintenances_for_system(system_id text)
RETURNS SETOF maintenance.maintenances_with_systems
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT v.*
      FROM maintenance.maintenances_with_systems v
     WHERE v.system_ids @> ARRAY[get_maintenances_for_system.system_id]
       AND v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
     ORDER BY v.start_at, v.id
$$;

-- One probe of maintenances_active_systems per distinct system asked, in
-- one statement: no round trip per system, and a plan that does not depend
-- on how many systems are asked.
CREATE FUNCTION maintenance.get_bulk_maintenances_for_systems(system_ids text[])
RETURNS TABLE (system_id text, maintenances maintenance.maintenances_with_systems[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT asked.system_id,
           ARRAY(SELECT v
                   FROM maintenance.maintenances_with_systems v
                  WHERE v.system_ids @> ARRAY[asked.system_id]
                    AND v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
                  ORDER BY v.start_at, v.id)
      FROM (SELECT DISTINCT a.system_id
              FROM unnest(get_bulk_maintenances_for_systems.system_ids) AS a(system_id)
             WHERE a.system_id IS NOT NULL) AS asked
     ORDER BY asked.system_id COLLATE "C"
$$;

CREATE FUNCTION maintenance.has_active_maintenance_with_suppression(system_id text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM maintenance.maintenances m
         WHERE m.system_ids @> ARRAY[has_active_maintenance_with_suppression.system_id]
           AND m.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])
           AND m.status = 'in_progress'
           AND m.suppress_notifications)
$$;

/* ---------------------------------------------------------------------
 * Writes (C, src/write.c)
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.create_maintenance(
    title text,
    start_at timestamptz,
    end_at timestamptz,
    system_ids text[],
    description text DEFAULT NULL,
    suppress_notifications boolean DEFAULT false)
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
    clear_description boolean DEFAULT false)
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

/* ---------------------------------------------------------------------
 * Automatic transitions (C, src/transitions.c)
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.run_transitions(
    as_of timestamptz DEFAULT NULL,
    OUT started integer,
    OUT completed integer,
    OUT failed integer)
RETURNS record
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_run_transitions';

COMMENT ON FUNCTION maintenance.run_transitions(timestamptz) IS
    'start and complete every maintenance whose time has come (as_of defaults to the current time)';

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

CREATE FUNCTION maintenance.rpc_text(input jsonb, field text, required boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT maintenance.rpc_field(input, field, 'string', required) #>> '{}'
$$;

CREATE FUNCTION maintenance.rpc_boolean(input jsonb, field text, required boolean DEFAULT false)
RETURNS boolean
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT (maintenance.rpc_field(input, field, 'boolean', required))::boolean
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

-- Errors of the write functions name the JSON fields (endAt, not end_at).
CREATE FUNCTION maintenance.rpc(method text, input jsonb DEFAULT '{}')
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

    ELSE
        RAISE EXCEPTION 'unrecognized method "%"', method
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The methods are listMaintenances, getMaintenance, getMaintenancesForSystem, '
                         'getBulkMaintenancesForSystems, createMaintenance, updateMaintenance, addUpdate, '
                         'closeMaintenance, deleteMaintenance and hasActiveMaintenanceWithSuppression.';
    END IF;

    RETURN result;
END
$$;

COMMENT ON FUNCTION maintenance.rpc(text, jsonb) IS
    'every operation by its upstream name, with the upstream''s camelCase JSON';

/* ---------------------------------------------------------------------
 * pg_cron integration
 * ------------------------------------------------------------------ */

-- The pg_cron jobs of the extension (schedule_transitions and
-- schedule_event_pruning, and their unschedule twins, are these with their
-- job's name and command).
CREATE FUNCTION maintenance.schedule_job(job text, schedule text, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    jobid bigint;
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('In the database where pg_cron is installed, run: '
                                'SELECT cron.schedule_in_database(%L, %L, %L, %L);',
                                job || '-' || current_database(), schedule,
                                -- From another database, DROP EXTENSION
                                -- cannot remove the job: once the extension
                                -- is gone, its command does nothing instead
                                -- of failing every minute.
                                format('DO $job$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_extension'
                                       ' WHERE extname OPERATOR(pg_catalog.=) %L) THEN EXECUTE %L;'
                                       ' END IF; END$job$', 'maintenance', command),
                                current_database());
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
       INTO jobid
      USING job, schedule, command;
    RETURN jobid;
END
$$;

COMMENT ON FUNCTION maintenance.schedule_job(text, text, text) IS
    'internal: (re)schedule the pg_cron job named job in this database';

CREATE FUNCTION maintenance.unschedule_job(job text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    removed boolean := false;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        EXECUTE 'SELECT count(cron.unschedule(jobid)) > 0 FROM cron.job
                  WHERE jobname = $1 AND database = current_database()'
           INTO removed
          USING job;
    END IF;
    RETURN removed;
END
$$;

COMMENT ON FUNCTION maintenance.unschedule_job(text) IS
    'internal: remove the pg_cron job named job of this database, if any';

CREATE FUNCTION maintenance.schedule_transitions(schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.schedule_job('maintenance-transitions', schedule, 'SELECT maintenance.run_transitions()');
END
$$;

COMMENT ON FUNCTION maintenance.schedule_transitions(text) IS
    '(re)schedule the pg_cron job "maintenance-transitions" in this database';

CREATE FUNCTION maintenance.unschedule_transitions()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.unschedule_job('maintenance-transitions');
END
$$;

COMMENT ON FUNCTION maintenance.unschedule_transitions() IS
    'remove the pg_cron job "maintenance-transitions" of this database, if any';

-- DROP EXTENSION must not leave a job behind that fails every minute.  An
-- extension's own sql_drop trigger does not fire for the DROP that removes it,
-- so this trigger only loads the library at the start of the command; the
-- library's object-access hook then removes the job when the extension itself
-- is dropped (src/maintenance.c).
CREATE FUNCTION maintenance.on_ddl_command_start()
RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'maintenance_on_ddl_command_start';

CREATE EVENT TRIGGER maintenance_drop_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION maintenance.on_ddl_command_start();

-- Not in a restore: a restore of pg_dump output (psql or pg_restore) brings
-- the jobs back with pg_cron's own data (cron.job, a configuration table of
-- pg_cron, loaded after this script has run), and jobs scheduled here too
-- would make that load fail on their ids and names.  pg_dump's scripts and
-- pg_restore run with row_security = off (the setting exists for them), so
-- a session with it off schedules nothing and says so.
DO $$
DECLARE
    hint text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        IF pg_catalog.current_setting('row_security') OPERATOR(pg_catalog.=) 'off' THEN
            PERFORM pg_catalog.set_config('client_min_messages', 'notice', true);
            RAISE NOTICE 'the pg_cron jobs of the extension are not scheduled: row_security is off, as in a restore of pg_dump output'
                USING DETAIL = 'A restore brings the jobs back with pg_cron''s data.',
                      HINT = 'If this is not a restore, run: SELECT maintenance.schedule_transitions(); SELECT maintenance.schedule_event_pruning();';
        ELSE
            PERFORM maintenance.schedule_transitions();
        END IF;
    ELSE
        -- schedule_transitions() refuses, with the statement to run in
        -- pg_cron's database as its HINT: the NOTICE passes it on.
        BEGIN
            PERFORM maintenance.schedule_transitions();
        EXCEPTION WHEN object_not_in_prerequisite_state THEN
            GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
        END;
        -- CREATE EXTENSION raises client_min_messages to WARNING for its
        -- script; this NOTICE is the one the user needs to see.
        PERFORM pg_catalog.set_config('client_min_messages', 'notice', true);
        RAISE NOTICE 'pg_cron is not installed in database "%"; maintenance.run_transitions() is not scheduled', pg_catalog.current_database()
            USING HINT = hint;
    END IF;
END
$$;

/* ---------------------------------------------------------------------
 * Consuming events: cursor replay, named consumers, retention
 *
 * replay_events() hands out ids in order, and only up to the replay
 * horizon: no id below it can still be taken by a running transaction
 * (src/events.c has the protocol and why it is sound).  The protocol needs
 * maintenance.events_id_seq to keep CACHE 1, and events written only
 * through the extension's functions.
 * ------------------------------------------------------------------ */

-- Consumers whose cursor the server keeps.  Pruning never removes an event
-- a registered consumer has not acknowledged.
CREATE TABLE maintenance.event_consumers (
    name text NOT NULL,
    last_event_id bigint NOT NULL DEFAULT 0,
    updated_at timestamptz,
    CONSTRAINT event_consumers_pkey PRIMARY KEY (name),
    CONSTRAINT event_consumers_name_not_blank
        CHECK (pg_catalog.btrim(name, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT event_consumers_last_event_id_not_negative
        CHECK (last_event_id OPERATOR(pg_catalog.>=) 0)
);

COMMENT ON TABLE maintenance.event_consumers IS
    'named event consumers and the id of the last event each has acknowledged';

SELECT pg_catalog.pg_extension_config_dump('maintenance.event_consumers', '');

CREATE FUNCTION maintenance.replay_horizon()
RETURNS bigint
LANGUAGE c VOLATILE STRICT
AS 'MODULE_PATHNAME', 'maintenance_replay_horizon';

COMMENT ON FUNCTION maintenance.replay_horizon() IS
    'the highest event id up to which every event is final (committed or gone); internal to replay_events';

CREATE FUNCTION maintenance.event_retention()
RETURNS interval
LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'maintenance_event_retention';

COMMENT ON FUNCTION maintenance.event_retention() IS
    'the setting maintenance.event_retention as an interval';

CREATE FUNCTION maintenance.event_envelope(e maintenance.events)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT jsonb_build_object(
               'id', e.id,
               'channel', e.channel,
               'name', e.name,
               'occurredAt', maintenance.iso_time(e.occurred_at),
               'payload', e.payload)
$$;

COMMENT ON FUNCTION maintenance.event_envelope(maintenance.events) IS
    'the whole envelope of an event, as NOTIFY sends it when it fits';

CREATE FUNCTION maintenance.get_event(id bigint)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT maintenance.event_envelope(e) FROM maintenance.events e
     WHERE e.id = get_event.id
$$;

COMMENT ON FUNCTION maintenance.get_event(bigint) IS
    'the whole envelope of one event (for a truncated NOTIFY envelope), or null';

-- VOLATILE, so that in READ COMMITTED the query below takes its snapshot
-- after replay_horizon() has looked at the running writers.
CREATE FUNCTION maintenance.replay_events(after_id bigint DEFAULT 0, max_events integer DEFAULT 1000)
RETURNS SETOF maintenance.events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    horizon bigint;
BEGIN
    IF after_id IS NULL OR after_id < 0 THEN
        RAISE EXCEPTION 'after_id must be a non-negative event id'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', coalesce(after_id::text, 'null'));
    END IF;
    IF max_events IS NULL OR max_events < 1 THEN
        RAISE EXCEPTION 'max_events must be at least 1'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', coalesce(max_events::text, 'null'));
    END IF;

    horizon := maintenance.replay_horizon();
    RETURN QUERY
        SELECT e.*
          FROM maintenance.events e
         WHERE e.id > replay_events.after_id
           AND e.id <= horizon
         ORDER BY e.id
         LIMIT replay_events.max_events;
END
$$;

COMMENT ON FUNCTION maintenance.replay_events(bigint, integer) IS
    'the events after a cursor, in id order, only ids no running transaction can still add below; move the cursor to the last id returned';

CREATE FUNCTION maintenance.register_consumer(name text)
RETURNS maintenance.event_consumers
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    consumer maintenance.event_consumers;
BEGIN
    IF name IS NULL OR btrim(name, E' \t\n\r\f\x0B') = '' THEN
        RAISE EXCEPTION 'consumer name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO maintenance.event_consumers AS c (name, updated_at)
    VALUES (register_consumer.name, now())
    ON CONFLICT ON CONSTRAINT event_consumers_pkey DO NOTHING;
    SELECT c.* INTO consumer FROM maintenance.event_consumers c
     WHERE c.name = register_consumer.name;
    RETURN consumer;
END
$$;

COMMENT ON FUNCTION maintenance.register_consumer(text) IS
    'register a named consumer (its cursor starts at 0), or return the existing one';

CREATE FUNCTION maintenance.unregister_consumer(name text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM maintenance.event_consumers c
         WHERE c.name = unregister_consumer.name
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;

COMMENT ON FUNCTION maintenance.unregister_consumer(text) IS
    'forget a named consumer, so that it no longer holds back pruning; false if unknown';

CREATE FUNCTION maintenance.ack_events(name text, up_to bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    last_id bigint;
    acked bigint;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'consumer name must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF up_to IS NULL OR up_to < 0 THEN
        RAISE EXCEPTION 'up_to must be a non-negative event id'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', coalesce(up_to::text, 'null'));
    END IF;
    last_id := coalesce(pg_sequence_last_value('maintenance.events_id_seq'::regclass), 0);
    IF up_to > last_id THEN
        RAISE EXCEPTION 'cannot acknowledge event % that has not been written', up_to
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The highest event id written so far is %s.', last_id);
    END IF;
    -- Never backwards: a late or repeated acknowledgement changes nothing.
    UPDATE maintenance.event_consumers c
       SET last_event_id = greatest(c.last_event_id, ack_events.up_to),
           updated_at = now()
     WHERE c.name = ack_events.name
    RETURNING c.last_event_id INTO acked;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consumer "%" does not exist', name
            USING ERRCODE = 'no_data_found',
                  HINT = 'Register it with maintenance.register_consumer().';
    END IF;
    RETURN acked;
END
$$;

COMMENT ON FUNCTION maintenance.ack_events(text, bigint) IS
    'move a named consumer''s cursor forward to up_to (never backwards); returns the stored cursor';

CREATE FUNCTION maintenance.replay_events_for(name text, max_events integer DEFAULT 1000)
RETURNS SETOF maintenance.events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    cursor_id bigint;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'consumer name must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.last_event_id INTO cursor_id
      FROM maintenance.event_consumers c
     WHERE c.name = replay_events_for.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consumer "%" does not exist', name
            USING ERRCODE = 'no_data_found',
                  HINT = 'Register it with maintenance.register_consumer().';
    END IF;
    RETURN QUERY SELECT * FROM maintenance.replay_events(cursor_id, max_events);
END
$$;

COMMENT ON FUNCTION maintenance.replay_events_for(text, integer) IS
    'replay_events after the cursor of a named consumer (acknowledge with ack_events)';

CREATE FUNCTION maintenance.prune_events(retention interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    keep interval := coalesce(retention, maintenance.event_retention());
    slowest bigint;
    pruned bigint;
BEGIN
    IF keep <= interval '0' THEN
        RAISE EXCEPTION 'retention must be positive'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', keep);
    END IF;
    SELECT min(c.last_event_id) INTO slowest FROM maintenance.event_consumers c;
    DELETE FROM maintenance.events e
     WHERE e.occurred_at < now() - keep
       AND (slowest IS NULL OR e.id <= slowest);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN pruned;
END
$$;

COMMENT ON FUNCTION maintenance.prune_events(interval) IS
    'delete events older than the retention (default: the setting maintenance.event_retention), never one a registered consumer has not acknowledged; returns how many';

CREATE FUNCTION maintenance.schedule_event_pruning(schedule text DEFAULT '17 3 * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.schedule_job('maintenance-prune-events', schedule, 'SELECT maintenance.prune_events()');
END
$$;

COMMENT ON FUNCTION maintenance.schedule_event_pruning(text) IS
    '(re)schedule the pg_cron job "maintenance-prune-events" in this database (daily by default)';

CREATE FUNCTION maintenance.unschedule_event_pruning()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    RETURN maintenance.unschedule_job('maintenance-prune-events');
END
$$;

COMMENT ON FUNCTION maintenance.unschedule_event_pruning() IS
    'remove the pg_cron job "maintenance-prune-events" of this database, if any';

-- Without pg_cron, the NOTICE of the transitions job above already names
-- the missing scheduler; README "Consuming events" gives the prune job.
DO $$
BEGIN
    -- not in a restore (see the transitions job above)
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'pg_cron')
       AND pg_catalog.current_setting('row_security') OPERATOR(pg_catalog.<>) 'off' THEN
        PERFORM maintenance.schedule_event_pruning();
    END IF;
END
$$;

/* ---------------------------------------------------------------------
 * Privileges: nothing is writable by PUBLIC (README, "Privileges")
 * ------------------------------------------------------------------ */

REVOKE ALL ON ALL TABLES IN SCHEMA maintenance FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA maintenance FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA maintenance FROM PUBLIC;

-- Reads may be granted widely: EXECUTE is open, but PUBLIC has no USAGE on
-- the schema, so a role needs GRANT USAGE ON SCHEMA maintenance first.
GRANT EXECUTE ON FUNCTION
    maintenance.iso_time(timestamptz),
    maintenance.maintenance_json(maintenance.maintenances_with_systems),
    maintenance.update_json(maintenance.maintenance_updates),
    maintenance.list_maintenances(maintenance.status, text),
    maintenance.get_maintenance(uuid),
    maintenance.get_maintenance_updates(uuid),
    maintenance.get_maintenances_for_system(text),
    maintenance.get_bulk_maintenances_for_systems(text[]),
    maintenance.has_active_maintenance_with_suppression(text),
    maintenance.rpc_field(jsonb, text, text, boolean),
    maintenance.rpc_text(jsonb, text, boolean),
    maintenance.rpc_boolean(jsonb, text, boolean),
    maintenance.rpc_text_array(jsonb, text, boolean),
    maintenance.rpc_uuid(jsonb, text, boolean),
    maintenance.rpc_timestamptz(jsonb, text, boolean),
    maintenance.rpc_status(jsonb, text, boolean),
    maintenance.rpc_check_fields(text, jsonb, text[]),
    maintenance.rpc(text, jsonb),
    maintenance.event_envelope(maintenance.events),
    maintenance.get_event(bigint),
    maintenance.replay_events(bigint, integer),
    maintenance.replay_events_for(text, integer)
TO PUBLIC;
