-- pgTAP: the schema of SPEC section 2 — tables, columns, keys, checks,
-- indexes, config-dump registration and pinned search_path.
BEGIN;
SELECT plan(58);

SELECT has_schema('maintenance');
SELECT enum_has_labels('maintenance', 'status',
                       ARRAY['scheduled', 'in_progress', 'completed', 'cancelled']);

SELECT tables_are('maintenance',
    ARRAY['maintenances', 'maintenance_systems', 'maintenance_updates', 'events', 'event_consumers']);
SELECT has_view('maintenance', 'maintenances_with_systems', 'the MaintenanceWithSystems view');

-- maintenances
SELECT col_type_is('maintenance'::name, 'maintenances'::name, 'id'::name, 'uuid');
SELECT col_is_pk('maintenance'::name, 'maintenances'::name, 'id'::name, 'maintenances.id is the primary key');
SELECT col_has_default('maintenance'::name, 'maintenances'::name, 'id'::name, 'maintenances.id has default');
SELECT col_not_null('maintenance'::name, 'maintenances'::name, 'title'::name, 'maintenances.title not null');
SELECT col_is_null('maintenance'::name, 'maintenances'::name, 'description'::name, 'maintenances.description is null');
SELECT col_default_is('maintenance'::name, 'maintenances'::name, 'suppress_notifications'::name, 'false'::text, 'maintenances.suppress_notifications defaults to false');
SELECT col_type_is('maintenance'::name, 'maintenances'::name, 'status'::name, 'maintenance.status');
SELECT col_default_is('maintenance'::name, 'maintenances'::name, 'status'::name, 'scheduled'::text, 'maintenances.status defaults to scheduled');
SELECT col_type_is('maintenance'::name, 'maintenances'::name, 'start_at'::name, 'timestamp with time zone');
SELECT col_type_is('maintenance'::name, 'maintenances'::name, 'end_at'::name, 'timestamp with time zone');
SELECT col_type_is('maintenance'::name, 'maintenances'::name, 'created_at'::name, 'timestamp with time zone');
SELECT col_type_is('maintenance'::name, 'maintenances'::name, 'updated_at'::name, 'timestamp with time zone');

-- maintenance_systems
SELECT col_is_pk('maintenance'::name, 'maintenance_systems'::name, ARRAY['maintenance_id', 'system_id']::name[], 'maintenance_systems (maintenance_id, system_id) is the primary key');
SELECT fk_ok('maintenance'::name, 'maintenance_systems'::name, 'maintenance_id',
             'maintenance', 'maintenances', 'id');
SELECT has_index('maintenance'::name, 'maintenance_systems'::name, 'maintenance_systems_system_id'::name, ARRAY['system_id', 'maintenance_id']::name[], 'index maintenance_systems_system_id');

-- maintenance_updates
SELECT col_is_pk('maintenance'::name, 'maintenance_updates'::name, 'id'::name, 'maintenance_updates.id is the primary key');
SELECT fk_ok('maintenance'::name, 'maintenance_updates'::name, 'maintenance_id',
             'maintenance', 'maintenances', 'id');
SELECT col_is_null('maintenance'::name, 'maintenance_updates'::name, 'status_change'::name, 'maintenance_updates.status_change is null');
SELECT col_is_null('maintenance'::name, 'maintenance_updates'::name, 'created_by'::name, 'maintenance_updates.created_by is null');
SELECT col_type_is('maintenance'::name, 'maintenance_updates'::name, 'created_at'::name, 'timestamp with time zone');
SELECT col_is_unique('maintenance'::name, 'maintenance_updates'::name, 'position'::name, 'maintenance_updates.position is unique');
SELECT has_index('maintenance'::name, 'maintenance_updates'::name, 'maintenance_updates_timeline'::name, ARRAY['maintenance_id', '"position"']::name[], 'index maintenance_updates_timeline');

-- events
SELECT col_is_pk('maintenance'::name, 'events'::name, 'id'::name, 'events.id is the primary key');
SELECT col_type_is('maintenance'::name, 'events'::name, 'payload'::name, 'jsonb');
SELECT col_type_is('maintenance'::name, 'events'::name, 'occurred_at'::name, 'timestamp with time zone');

-- Foreign keys cascade: deleting a maintenance deletes its systems and updates.
SELECT is(
    (SELECT array_agg(confdeltype::text ORDER BY conrelid::regclass::text)
       FROM pg_constraint
      WHERE contype = 'f' AND connamespace = 'maintenance'::regnamespace),
    ARRAY['c', 'c'],
    'both foreign keys are ON DELETE CASCADE');

INSERT INTO maintenance.maintenances (id, title, start_at, end_at)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'cascade', '2030-01-01Z', '2030-01-02Z');
INSERT INTO maintenance.maintenance_systems VALUES ('00000000-0000-0000-0000-0000000000a1', 'db');
INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'note');
DELETE FROM maintenance.maintenances WHERE id = '00000000-0000-0000-0000-0000000000a1';
SELECT is((SELECT count(*) FROM maintenance.maintenance_systems
            WHERE maintenance_id = '00000000-0000-0000-0000-0000000000a1'), 0::bigint,
          'systems are deleted with their maintenance');
SELECT is((SELECT count(*) FROM maintenance.maintenance_updates
            WHERE maintenance_id = '00000000-0000-0000-0000-0000000000a1'), 0::bigint,
          'updates are deleted with their maintenance');

-- Check constraints refuse bad rows even when the tables are written directly.
SELECT throws_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES (E' \t\n', '2030-01-01Z', '2030-01-02Z')$$,
                 '23514', NULL, 'a blank title is refused');
SELECT lives_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                  VALUES ('v', '2030-01-01Z', '2030-01-02Z')$$,
                'a title made of the letter v is not blank');
SELECT throws_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES ('t', '2030-01-02Z', '2030-01-01Z')$$,
                 '23514', NULL, 'end_at before start_at is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES ('t', '2030-01-01Z', '2030-01-01Z')$$,
                 '23514', NULL, 'an empty window is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES ('t', '-infinity', '2030-01-01Z')$$,
                 '23514', NULL, 'an infinite start is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES ('t', '2030-01-01Z', 'infinity')$$,
                 '23514', NULL, 'an infinite end is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenance_systems
                   SELECT id, E'\x0B ' FROM maintenance.maintenances LIMIT 1$$,
                 '23514', NULL, 'a blank system id is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
                   SELECT id, '' FROM maintenance.maintenances LIMIT 1$$,
                 '23514', NULL, 'an empty update message is refused');
SELECT throws_ok($$INSERT INTO maintenance.events (channel, name, payload)
                   VALUES ('elsewhere', 'x', '{}')$$,
                 '23514', NULL, 'an unknown event channel is refused');

-- Indexes that serve the sweep and the lists.
SELECT has_index('maintenance'::name, 'maintenances'::name, 'maintenances_due_to_start'::name, ARRAY['start_at', 'id']::name[], 'index maintenances_due_to_start');
SELECT has_index('maintenance'::name, 'maintenances'::name, 'maintenances_due_to_complete'::name, ARRAY['end_at', 'id']::name[], 'index maintenances_due_to_complete');
SELECT has_index('maintenance'::name, 'maintenances'::name, 'maintenances_start_at'::name, ARRAY['start_at', 'id']::name[], 'index maintenances_start_at');
SELECT is(pg_get_expr(indpred, indrelid), '(status = ''scheduled''::maintenance.status)',
          'the due-to-start index holds only scheduled rows')
  FROM pg_index WHERE indexrelid = 'maintenance.maintenances_due_to_start'::regclass;
SELECT is(pg_get_expr(indpred, indrelid), '(status = ''in_progress''::maintenance.status)',
          'the due-to-complete index holds only in-progress rows')
  FROM pg_index WHERE indexrelid = 'maintenance.maintenances_due_to_complete'::regclass;

-- The planner uses them: the sweep's claim and a system lookup are index scans
-- even on a table the planner believes is large.
CREATE FUNCTION pg_temp.plan_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN plan::text;
END
$$;
SET LOCAL enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT id FROM maintenance.maintenances
                                  WHERE status = 'scheduled' AND start_at <= now()
                                  ORDER BY start_at, id LIMIT 1000 FOR NO KEY UPDATE SKIP LOCKED$$),
               'maintenances_due_to_start', 'the start claim uses the partial index');
SELECT matches(pg_temp.plan_of($$SELECT id FROM maintenance.maintenances
                                  WHERE status = 'in_progress' AND end_at <= now()
                                  ORDER BY end_at, id LIMIT 1000 FOR NO KEY UPDATE SKIP LOCKED$$),
               'maintenances_due_to_complete', 'the complete claim uses the partial index');
SELECT matches(pg_temp.plan_of($$SELECT maintenance_id FROM maintenance.maintenance_systems
                                  WHERE system_id = 'db'$$),
               'maintenance_systems_system_id', 'a system lookup uses the system_id index');
RESET enable_seqscan;

-- pg_dump carries the rows: every table and both sequences are config objects.
SELECT set_eq(
    $$SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'maintenance'$$,
    ARRAY['maintenance.maintenances', 'maintenance.maintenance_systems',
          'maintenance.maintenance_updates', 'maintenance.events', 'maintenance.event_consumers',
          'maintenance.maintenance_updates_position_seq', 'maintenance.events_id_seq'],
    'every table and sequence is dumped with its rows');

-- Not relocatable, one schema.
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'maintenance'), false,
          'the extension is not relocatable');

-- Every SECURITY DEFINER function pins search_path, pg_temp last.
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text
        FROM pg_proc p
       WHERE p.pronamespace = 'maintenance'::regnamespace
         AND p.prosecdef
         AND (p.proconfig IS NULL
              OR NOT 'search_path=pg_catalog, maintenance, pg_temp' = ANY (p.proconfig))$$,
    'every SECURITY DEFINER function has search_path = pg_catalog, maintenance, pg_temp');
SELECT cmp_ok(
    (SELECT count(*)::int FROM pg_proc
      WHERE pronamespace = 'maintenance'::regnamespace AND prosecdef), '>=', 12,
    'the API functions run with the owner''s rights');

-- The write functions are C, in the extension's library.
SELECT is(
    (SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc
      WHERE pronamespace = 'maintenance'::regnamespace
        AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
        AND proname IN ('create_maintenance', 'update_maintenance', 'add_update',
                        'close_maintenance', 'delete_maintenance', 'run_transitions')),
    ARRAY['add_update', 'close_maintenance', 'create_maintenance', 'delete_maintenance',
          'run_transitions', 'update_maintenance']::text[],
    'the write path and the sweep are C functions');

-- Typed, named parameters with defaults.
SELECT function_returns('maintenance', 'create_maintenance',
                        ARRAY['text', 'timestamp with time zone', 'timestamp with time zone',
                              'text[]', 'text', 'boolean'],
                        'maintenance.maintenances_with_systems');
SELECT function_returns('maintenance', 'add_update',
                        ARRAY['uuid', 'text', 'maintenance.status', 'text'],
                        'maintenance.maintenance_updates');
SELECT function_returns('maintenance', 'rpc', ARRAY['text', 'jsonb'], 'jsonb');
SELECT is(
    (SELECT pg_get_function_arguments('maintenance.close_maintenance(uuid, text, text)'::regprocedure)),
    'id uuid, message text DEFAULT NULL::text, created_by text DEFAULT NULL::text',
    'close_maintenance has named parameters with defaults');

SELECT * FROM finish();
ROLLBACK;
