-- arguments.sql — the second phase of test/fuzz/sqlsmith.sh: every function
-- of the extension, set-returning ones included, called at random with
-- arguments drawn from pools of edge values of each argument type (nulls,
-- blanks, control characters, huge texts, infinite and extreme timestamps,
-- arrays with nulls, duplicates, other bounds and dimensions, composite
-- values with null or impossible fields, JSON of every shape, ids that
-- exist and ids that do not).  SQLsmith rarely gives the write functions an
-- argument that is not null; this does, for every argument.
--
-- Loaded once into the fuzz database; then test/fuzz/sqlsmith.sh calls
--   SELECT fuzz.call_random(N)
-- repeatedly.  Each call runs in its own subtransaction; the outcome of each
-- (function, SQLSTATE) is counted in fuzz.outcomes with one example.  A
-- crash shows in the server log, an internal error too (sqlsmith.sh reads
-- both).

CREATE SCHEMA fuzz;

-- fuzz.pool: SQL expressions per type, evaluated at call time (so "an id
-- that exists" is one that exists then).
CREATE TABLE fuzz.pool (type regtype NOT NULL, expr text NOT NULL);

INSERT INTO fuzz.pool (type, expr)
SELECT 'uuid'::regtype, e FROM unnest(ARRAY[
    'NULL', '''00000000-0000-0000-0000-000000000000''', 'gen_random_uuid()',
    '(SELECT id FROM maintenance.maintenances ORDER BY random() LIMIT 1)',
    '(SELECT id FROM maintenance.maintenances ORDER BY random() LIMIT 1)',
    '(SELECT id FROM maintenance.maintenances WHERE status = ''scheduled'' ORDER BY random() LIMIT 1)',
    '(SELECT id FROM maintenance.maintenances WHERE status = ''in_progress'' ORDER BY random() LIMIT 1)',
    '(SELECT maintenance_id FROM maintenance.maintenance_updates ORDER BY random() LIMIT 1)']) AS e
UNION ALL
SELECT 'text', e FROM unnest(ARRAY[
    'NULL', '''''', ''' ''', 'E''\t\n\r\f\x0B''', '''x''', 'E''\x01\x02\x1f''', 'E''a\x7fb''',
    'repeat(''long '', 40000)', 'repeat(''é✓'', 5000)', 'E''quote''''"\\ -- ; DROP TABLE x''',
    '''sys-1''', '''big''', '''scheduled''', '''completed''', '''fuzz-consumer''', '''*/5 * * * *''',
    '''not a schedule''', '''listMaintenances''', '''getMaintenance''', '''createMaintenance''',
    '''updateMaintenance''', '''addUpdate''', '''closeMaintenance''', '''deleteMaintenance''',
    '''getMaintenancesForSystem''', '''getBulkMaintenancesForSystems''',
    '''hasActiveMaintenanceWithSuppression''', '''unknownMethod''', '''string''', '''array''',
    '''object''', '''boolean''', '''number''', '''null''', '''id''', '''systemIds''',
    '(SELECT title FROM maintenance.maintenances ORDER BY random() LIMIT 1)',
    '(SELECT system_id FROM maintenance.maintenance_systems ORDER BY random() LIMIT 1)']) AS e
UNION ALL
SELECT 'timestamptz', e FROM unnest(ARRAY[
    'NULL', '''infinity''', '''-infinity''', 'now()', 'now() + interval ''1 hour''',
    'now() - interval ''1 hour''', 'now() + interval ''10 years''', '''0001-01-01 00:00:00+00''',
    '''9999-12-31 23:59:59.999999+00''', '''294276-12-31 23:59:59.999999+00''',
    '''4713-01-01 00:00:00+00 BC''', '''2000-02-29 12:00:00.5+14''', '''1970-01-01 00:00:00+00''']) AS e
UNION ALL
SELECT 'text[]', e FROM unnest(ARRAY[
    'NULL', '''{}''', '''{NULL}''', '''{a,NULL}''', '''{""}''', E'E''{" ", "\\t"}''', '''{a,a,a}''',
    '''{sys-1}''', '''{sys-1,sys-2,big}''', '''[0:1]={a,b}''', '''[-5:-5]={x}''', '''{{a,b},{c,d}}''',
    '''{{a},{NULL}}''', 'ARRAY[repeat(''s'', 10000)]',
    '(SELECT array_agg(''sys-'' || i) FROM generate_series(1, 2000) i)',
    '(SELECT array_agg(system_id) FROM maintenance.maintenance_systems)']) AS e
UNION ALL
SELECT 'boolean', e FROM unnest(ARRAY['NULL', 'true', 'false']) AS e
UNION ALL
SELECT 'maintenance.status', e FROM unnest(ARRAY[
    'NULL', '''scheduled''', '''in_progress''', '''completed''', '''cancelled''']) AS e
UNION ALL
SELECT 'jsonb', e FROM unnest(ARRAY[
    'NULL', '''{}''', '''[]''', '''null''', '''"x"''', '''1''', '''true''', '''[{}]''',
    '''{"id": null}''', '''{"id": "not-a-uuid"}''', '''{"id": 1}''', '''{"id": ["x"]}''',
    '''{"id": "00000000-0000-0000-0000-000000000000"}''',
    '(SELECT jsonb_build_object(''id'', id, ''maintenanceId'', id, ''message'', ''m'', ''statusChange'', ''completed'') FROM maintenance.maintenances ORDER BY random() LIMIT 1)',
    '(SELECT jsonb_build_object(''id'', id, ''title'', '' '', ''description'', NULL, ''systemIds'', ''[]''::jsonb) FROM maintenance.maintenances ORDER BY random() LIMIT 1)',
    '''{"title": "t", "startAt": "2030-01-01T00:00:00Z", "endAt": "2030-01-02T00:00:00.000+02:00", "systemIds": ["a", "a"]}''',
    '''{"title": "t", "startAt": "infinity", "endAt": "2030-01-02T00:00:00Z", "systemIds": ["a"]}''',
    '''{"title": "t", "startAt": "9999-12-31T23:59:59Z", "endAt": "0001-01-01T00:00:00Z", "systemIds": ["a"]}''',
    '''{"title": "t", "startAt": "2030-13-45T99:00:00Z", "endAt": "2030-01-02T00:00:00Z", "systemIds": [1, null, {}]}''',
    '''{"title": null, "startAt": null, "systemIds": null, "status": "nope", "systemId": 3}''',
    '''{"systemIds": "a"}''', '''{"systemIds": [["a"]]}''', '''{"status": "in_progress", "systemId": "sys-1"}''',
    '''{"suppressNotifications": "yes"}''', '''{"extra": 1}''', E'''{"title": "\\u0000"}''',
    '(SELECT jsonb_build_object(''systemIds'', array_agg(''s'' || i)) FROM generate_series(1, 3000) i)',
    '(SELECT jsonb_agg(i) FROM generate_series(1, 100) i)']) AS e
UNION ALL
SELECT 'bigint', e FROM unnest(ARRAY[
    'NULL', '0', '-1', '1', '5', '9223372036854775807', '(-9223372036854775807 - 1)',
    '(SELECT max(id) FROM maintenance.events)', '(SELECT max(id) + 1000 FROM maintenance.events)']) AS e
UNION ALL
SELECT 'integer', e FROM unnest(ARRAY['NULL', '0', '-1', '1', '3', '100000', '2147483647', '(-2147483647 - 1)']) AS e
UNION ALL
SELECT 'interval', e FROM unnest(ARRAY[
    'NULL', '''0''', '''-1 day''', '''1 microsecond''', '''1 hour''', '''178000000 years''', '''-178000000 years''']) AS e
UNION ALL
SELECT 'maintenance.maintenances_with_systems', e FROM unnest(ARRAY[
    'NULL',
    '(SELECT v FROM maintenance.maintenances_with_systems v ORDER BY random() LIMIT 1)',
    'ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::maintenance.maintenances_with_systems',
    'ROW(gen_random_uuid(), '''', NULL, NULL, ''cancelled'', ''infinity'', ''-infinity'', NULL, now(), ''{NULL,""}'')::maintenance.maintenances_with_systems',
    'ROW(gen_random_uuid(), E''\x01'', ''d'', true, ''scheduled'', ''294276-12-31 23:59:59+00'', ''4713-01-01 00:00:00+00 BC'', now(), now(), ''{{a},{b}}'')::maintenance.maintenances_with_systems']) AS e
UNION ALL
SELECT 'maintenance.maintenance_updates', e FROM unnest(ARRAY[
    'NULL',
    '(SELECT u FROM maintenance.maintenance_updates u ORDER BY random() LIMIT 1)',
    'ROW(NULL, NULL, NULL, NULL, NULL, NULL, NULL)::maintenance.maintenance_updates',
    'ROW(gen_random_uuid(), NULL, '''', ''completed'', ''infinity'', E''\x02'', -1)::maintenance.maintenance_updates']) AS e
UNION ALL
SELECT 'maintenance.events', e FROM unnest(ARRAY[
    'NULL',
    '(SELECT e FROM maintenance.events e ORDER BY random() LIMIT 1)',
    'ROW(NULL, NULL, NULL, NULL, NULL, NULL)::maintenance.events',
    'ROW(-1, ''-infinity'', ''nowhere'', '''', ''[1, 2]'', ''0'')::maintenance.events']) AS e;

CREATE TABLE fuzz.outcomes (
    function text NOT NULL,
    sqlstate text NOT NULL,
    calls bigint NOT NULL DEFAULT 0,
    example_message text,
    example_statement text,
    PRIMARY KEY (function, sqlstate)
);

-- The functions to call: every one of the extension (but its trigger and
-- event trigger functions, which SQL cannot call), with their argument types.
CREATE VIEW fuzz.targets AS
SELECT p.oid, p.proname::text AS name, p.proargtypes::regtype[] AS argtypes, p.proretset
  FROM pg_proc p
 WHERE p.pronamespace = 'maintenance'::regnamespace
   AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype);

CREATE FUNCTION fuzz.call_random(n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    stmt text;
    args text[];
    state text;
    msg text;
    errors bigint := 0;
BEGIN
    FOR i IN 1 .. n LOOP
        SELECT * INTO t FROM fuzz.targets ORDER BY random() LIMIT 1;
        SELECT array_agg('(' || coalesce((SELECT p.expr FROM fuzz.pool p WHERE p.type = a.type
                                          ORDER BY random() LIMIT 1), 'NULL')
                         || ')::' || a.type::text ORDER BY a.n)
          INTO args
          FROM unnest(t.argtypes) WITH ORDINALITY AS a(type, n);
        -- in FROM, for set-returning functions and the others alike (a
        -- plain function there is a one-row table)
        stmt := format('SELECT count(*) FROM maintenance.%I(%s) x',
                       t.name, array_to_string(coalesce(args, '{}'), ', '));
        state := '00000';
        msg := NULL;
        BEGIN
            EXECUTE stmt;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            errors := errors + 1;
        END;
        INSERT INTO fuzz.outcomes AS o (function, sqlstate, calls, example_message, example_statement)
        VALUES (t.name, state, 1, left(msg, 300), left(stmt, 2000))
        ON CONFLICT (function, sqlstate) DO UPDATE SET calls = o.calls + 1;
    END LOOP;
    RETURN errors;
END
$$;
