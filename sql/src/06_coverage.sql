-- 06_coverage.sql: maintenance time for SLAs: the windows table, its triggers, coverage, under_maintenance

/* ---------------------------------------------------------------------
 * Maintenance windows: when each maintenance was really in progress, per
 * system, from its timeline.  A derived table (doc/sla-calendar.md, "Maintenance time
 * for SLAs"): triggers on the timeline and on maintenance_systems keep it,
 * so every write path does (the C functions, the sweep, direct SQL, a
 * restore); pg_dump does not carry it.
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.maintenance_windows (
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    -- From the update that moved it to in_progress to the one that moved
    -- it to completed or cancelled; no upper bound while in progress.
    during tstzrange NOT NULL,
    CONSTRAINT maintenance_windows_pkey PRIMARY KEY (maintenance_id, system_id),
    CONSTRAINT maintenance_windows_during_not_empty CHECK (NOT pg_catalog.isempty(during))
);

COMMENT ON TABLE maintenance.maintenance_windows IS
    'when each maintenance was in progress, per system; derived from the timeline by triggers';

-- The key of the windows index: a window as a vertical segment in the plane
-- whose x is its system (a hash of the id) and y its time (epoch seconds).
-- One GiST index on it answers "system X during R" by the windows of X that
-- overlap R alone, without the contrib module btree_gist (a GiST index of
-- text equality).  Hash collisions only cost a recheck of system_id.  An
-- unbounded end is a finite y beyond every timestamptz (an infinite one
-- would make the GiST penalty NaN).
CREATE FUNCTION maintenance.window_key(system_id text, during tstzrange)
RETURNS box
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT pg_catalog.box(
        pg_catalog.point(pg_catalog.hashtext(system_id)::float8,
                         coalesce(pg_catalog.date_part('epoch', pg_catalog.lower(during)), -1e13::float8)),
        pg_catalog.point(pg_catalog.hashtext(system_id)::float8,
                         coalesce(pg_catalog.date_part('epoch', pg_catalog.upper(during)), 1e13::float8)))
$$;

COMMENT ON FUNCTION maintenance.window_key(text, tstzrange) IS
    'the key of maintenance_windows'' GiST index: (system, time) as a segment in the plane';

CREATE INDEX maintenance_windows_system_during
    ON maintenance.maintenance_windows USING gist (maintenance.window_key(system_id, during));

-- Recompute the windows of the given maintenances from their timelines and
-- systems.  Recomputing (not patching) makes the order of writes irrelevant:
-- a restore loads the timeline and the systems in either order.  PL/pgSQL,
-- not SQL: it runs in every write's triggers, and a non-inlined SQL
-- function is planned again on every call (a third of create_maintenance).
CREATE FUNCTION maintenance.refresh_windows(maintenance_ids uuid[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    -- The statement triggers fire for statements that touched no row too
    -- (a DELETE of systems that matched none).
    IF pg_catalog.cardinality(maintenance_ids) OPERATOR(pg_catalog.=) 0 THEN
        RETURN;
    END IF;
    DELETE FROM maintenance.maintenance_windows w
     WHERE w.maintenance_id OPERATOR(pg_catalog.=) ANY (refresh_windows.maintenance_ids);
    INSERT INTO maintenance.maintenance_windows (maintenance_id, system_id, during)
    SELECT s.maintenance_id, s.system_id, pg_catalog.tstzrange(started.created_at, ended.created_at)
      FROM (SELECT DISTINCT x.id
              FROM pg_catalog.unnest(refresh_windows.maintenance_ids) AS x(id)
             WHERE x.id IS NOT NULL) AS asked
      CROSS JOIN LATERAL (
            SELECT u.created_at, u.position
              FROM maintenance.maintenance_updates u
             WHERE u.maintenance_id OPERATOR(pg_catalog.=) asked.id
               AND u.status_change OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status
             ORDER BY u.position
             LIMIT 1) AS started
      LEFT JOIN LATERAL (
            SELECT u.created_at
              FROM maintenance.maintenance_updates u
             WHERE u.maintenance_id OPERATOR(pg_catalog.=) asked.id
               AND u.position OPERATOR(pg_catalog.>) started.position
               AND u.status_change OPERATOR(pg_catalog.=) ANY
                   (ARRAY['completed', 'cancelled']::maintenance.status[])
             ORDER BY u.position
             LIMIT 1) AS ended ON true
      JOIN maintenance.maintenance_systems s
        ON s.maintenance_id OPERATOR(pg_catalog.=) asked.id
     -- Started and ended in one transaction (one now()): no time at all.
     WHERE ended.created_at IS NULL
        OR ended.created_at OPERATOR(pg_catalog.>) started.created_at;
END
$$;

COMMENT ON FUNCTION maintenance.refresh_windows(uuid[]) IS
    'recompute maintenance_windows for these maintenances from their timelines and systems';

-- Statement triggers on the timeline, set-based: a load of a million
-- timelines (a restore, a bulk INSERT) is one refresh, not a million.  Only
-- status changes matter: a message-only update refreshes nothing.
CREATE FUNCTION maintenance.refresh_windows_of_update()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM maintenance.maintenance_windows;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM maintenance.refresh_windows(ARRAY(
            SELECT DISTINCT c.maintenance_id FROM windows_new c WHERE c.status_change IS NOT NULL));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM maintenance.refresh_windows(ARRAY(
            SELECT DISTINCT c.maintenance_id FROM windows_old c WHERE c.status_change IS NOT NULL));
    ELSE
        PERFORM maintenance.refresh_windows(ARRAY(
            SELECT c.maintenance_id FROM windows_new c WHERE c.status_change IS NOT NULL
            UNION SELECT c.maintenance_id FROM windows_old c WHERE c.status_change IS NOT NULL));
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.refresh_windows_of_update() IS
    'trigger: keep maintenance_windows right when status changes are written, changed or removed';

CREATE TRIGGER maintenance_updates_windows_insert
    AFTER INSERT ON maintenance.maintenance_updates
    REFERENCING NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();
CREATE TRIGGER maintenance_updates_windows_update
    AFTER UPDATE ON maintenance.maintenance_updates
    REFERENCING OLD TABLE AS windows_old NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();
CREATE TRIGGER maintenance_updates_windows_delete
    AFTER DELETE ON maintenance.maintenance_updates
    REFERENCING OLD TABLE AS windows_old
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();
CREATE TRIGGER maintenance_updates_windows_truncate
    AFTER TRUNCATE ON maintenance.maintenance_updates
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_update();

-- Systems replaced: the windows of those maintenances follow (a maintenance
-- that never started has none, and costs one probe of the timeline).
CREATE FUNCTION maintenance.refresh_windows_of_systems()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM maintenance.maintenance_windows;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM maintenance.refresh_windows(ARRAY(SELECT c.maintenance_id FROM windows_new c));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM maintenance.refresh_windows(ARRAY(SELECT c.maintenance_id FROM windows_old c));
    ELSE
        PERFORM maintenance.refresh_windows(ARRAY(SELECT c.maintenance_id FROM windows_new c
                                                  UNION SELECT c.maintenance_id FROM windows_old c));
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.refresh_windows_of_systems() IS
    'trigger: keep maintenance_windows right when the systems of maintenances change';

CREATE TRIGGER maintenance_systems_windows_insert
    AFTER INSERT ON maintenance.maintenance_systems
    REFERENCING NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();
CREATE TRIGGER maintenance_systems_windows_update
    AFTER UPDATE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS windows_old NEW TABLE AS windows_new
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();
CREATE TRIGGER maintenance_systems_windows_delete
    AFTER DELETE ON maintenance.maintenance_systems
    REFERENCING OLD TABLE AS windows_old
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();
CREATE TRIGGER maintenance_systems_windows_truncate
    AFTER TRUNCATE ON maintenance.maintenance_systems
    FOR EACH STATEMENT EXECUTE FUNCTION maintenance.refresh_windows_of_systems();

/* ---------------------------------------------------------------------
 * Reads: under_maintenance, coverage
 * ------------------------------------------------------------------ */

-- A window still in progress has no end yet: at a moment after now it is
-- still under maintenance as far as the timeline knows.
CREATE FUNCTION maintenance.under_maintenance(system_id text, at timestamptz DEFAULT pg_catalog.now())
RETURNS boolean
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1
          FROM maintenance.maintenance_windows w
         WHERE maintenance.window_key(w.system_id, w.during) OPERATOR(pg_catalog.&&)
               maintenance.window_key(under_maintenance.system_id,
                                      pg_catalog.tstzrange(under_maintenance.at, under_maintenance.at, '[]'))
           AND w.system_id OPERATOR(pg_catalog.=) under_maintenance.system_id
           AND w.during OPERATOR(pg_catalog.@>) under_maintenance.at)
$$;

-- The number of systems one call may ask for (doc/security.md, "Limits").
CREATE FUNCTION maintenance.coverage_max_systems()
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$ SELECT 10000 $$;

-- One probe of the windows index per distinct system asked, in one
-- statement.  Time after now has not passed: a window still in progress
-- counts up to now.
CREATE FUNCTION maintenance.coverage(system_ids text[], during tstzrange)
RETURNS TABLE (system_id text, ranges tstzmultirange, seconds double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    asked text[];
    counted tstzrange;
BEGIN
    IF coverage.system_ids IS NULL THEN
        RAISE EXCEPTION 'system_ids must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coverage.during IS NULL THEN
        RAISE EXCEPTION 'during must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    asked := ARRAY(SELECT DISTINCT a.system_id
                     FROM unnest(coverage.system_ids) AS a(system_id)
                    WHERE a.system_id IS NOT NULL);
    IF cardinality(asked) > maintenance.coverage_max_systems() THEN
        RAISE EXCEPTION 'system_ids must not hold more than % systems', maintenance.coverage_max_systems()
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('%s distinct systems were given.', cardinality(asked));
    END IF;
    counted := coverage.during * tstzrange(NULL, now());
    RETURN QUERY
        SELECT a.system_id, c.ranges,
               coalesce((SELECT sum(date_part('epoch', upper(r)) - date_part('epoch', lower(r)))
                           FROM unnest(c.ranges) AS r), 0)::float8
          FROM unnest(asked) AS a(system_id)
         CROSS JOIN LATERAL (
               SELECT coalesce(range_agg(w.during * counted), '{}'::tstzmultirange) AS ranges
                 FROM maintenance.maintenance_windows w
                WHERE NOT isempty(counted)
                  AND maintenance.window_key(w.system_id, w.during) && maintenance.window_key(a.system_id, counted)
                  AND w.system_id = a.system_id
                  AND w.during && counted) AS c
         ORDER BY a.system_id COLLATE "C";
END
$$;

COMMENT ON FUNCTION maintenance.coverage(text[], tstzrange) IS
    'for each system, when within during it was under maintenance, windows merged, and for how many seconds';

-- rpc('getCoverage'): every asked id a key, ISO times; errors name the JSON
-- fields.
CREATE FUNCTION maintenance.coverage_json(system_ids text[], from_time timestamptz, to_time timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF to_time < from_time THEN
        RAISE EXCEPTION 'field "to" must not be before field "from"'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('"from" is %s and "to" is %s.',
                                  maintenance.iso_time(from_time), maintenance.iso_time(to_time));
    END IF;
    RETURN (SELECT jsonb_build_object('coverage', coalesce(jsonb_object_agg(c.system_id, jsonb_build_object(
                       'seconds', c.seconds,
                       'ranges', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                                      'from', maintenance.iso_time(lower(r)),
                                                      'to', maintenance.iso_time(upper(r))) ORDER BY lower(r)), '[]')
                                    FROM unnest(c.ranges) AS r))), '{}'))
              FROM maintenance.coverage(system_ids, tstzrange(from_time, to_time)) c);
END
$$;

COMMENT ON FUNCTION maintenance.coverage_json(text[], timestamptz, timestamptz) IS
    'rpc getCoverage: coverage as {coverage: {<systemId>: {seconds, ranges: [{from, to}]}}}';
