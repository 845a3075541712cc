-- pgTAP: SPEC section 7 — nothing is writable by PUBLIC, and the grants the
-- README names for a read-only and a managing role work as documented.
BEGIN;
SELECT plan(34);

-- What PUBLIC has, read from the catalogs.
SELECT is_empty(
    $$SELECT c.relname FROM pg_class c
       WHERE c.relnamespace = 'maintenance'::regnamespace
         AND c.relkind IN ('r', 'v', 'S')
         AND EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                      WHERE a.grantee = 0)$$,
    'PUBLIC has no privilege on any table, view or sequence');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'maintenance'::regnamespace
         AND p.proname IN ('create_maintenance', 'update_maintenance', 'add_update',
                           'close_maintenance', 'delete_maintenance', 'run_transitions',
                           'schedule_transitions', 'unschedule_transitions',
                           'register_consumer', 'unregister_consumer', 'ack_events',
                           'prune_events', 'schedule_event_pruning', 'unschedule_event_pruning')
         AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
    'PUBLIC cannot execute any writing function');
SELECT ok(has_function_privilege('public', 'maintenance.list_maintenances(maintenance.status, text)', 'EXECUTE'),
          'reading functions are executable by PUBLIC');
SELECT ok(has_function_privilege('public', 'maintenance.rpc(text, jsonb)', 'EXECUTE'),
          'rpc is executable by PUBLIC (each method checks its own function)');
SELECT ok(NOT has_schema_privilege('public', 'maintenance', 'USAGE'),
          'PUBLIC has no USAGE on the schema');
SELECT ok(NOT has_schema_privilege('public', 'maintenance', 'CREATE'),
          'PUBLIC cannot create objects in the schema');

-- Three roles, as the README describes them (rolled back with the test).
CREATE ROLE mt_nobody;
CREATE ROLE mt_reader;
CREATE ROLE mt_manager;
GRANT USAGE ON SCHEMA maintenance TO mt_reader;
GRANT USAGE ON SCHEMA maintenance TO mt_manager;
GRANT EXECUTE ON FUNCTION
    maintenance.create_maintenance, maintenance.update_maintenance,
    maintenance.add_update, maintenance.close_maintenance,
    maintenance.delete_maintenance
  TO mt_manager;

SELECT maintenance.create_maintenance('existing', '2030-01-01Z', '2030-01-02Z', '{db}') IS NOT NULL
    AS created \gset
SELECT id AS existing FROM maintenance.maintenances WHERE title = 'existing' \gset

-- A role with no grants reaches nothing.
SET LOCAL ROLE mt_nobody;
SELECT throws_ok($$SELECT * FROM maintenance.list_maintenances()$$, '42501', NULL,
                 'no grants: cannot read through functions');
SELECT throws_ok($$SELECT maintenance.rpc('listMaintenances')$$, '42501', NULL,
                 'no grants: cannot call rpc');
SELECT throws_ok($$SELECT * FROM maintenance.maintenances$$, '42501', NULL,
                 'no grants: cannot read the table');
SELECT throws_ok($$SELECT * FROM maintenance.events$$, '42501', NULL,
                 'no grants: cannot read events');
SELECT throws_ok($$SELECT maintenance.create_maintenance('x', '2030-01-01Z', '2030-01-02Z', '{db}')$$,
                 '42501', NULL, 'no grants: cannot create');
SELECT throws_ok($$SELECT maintenance.run_transitions()$$, '42501', NULL,
                 'no grants: cannot run transitions');
SELECT throws_ok($$INSERT INTO maintenance.events (channel, name, payload)
                   VALUES ('maintenance_signal', 'forged', '{}')$$,
                 '42501', NULL, 'no grants: cannot forge an event');
RESET ROLE;

-- The read-only role reads, through functions and rpc, and writes nothing.
SET LOCAL ROLE mt_reader;
SELECT is((SELECT count(*)::int FROM maintenance.list_maintenances()), 1,
          'reader: list_maintenances works');
SELECT is(maintenance.rpc('getMaintenance', jsonb_build_object('id', :'existing'::uuid)) ->> 'title',
          'existing', 'reader: rpc getMaintenance works');
SELECT is(maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "db"}'),
          '{"suppressed": false}'::jsonb, 'reader: rpc hasActiveMaintenanceWithSuppression works');
SELECT is((SELECT count(*)::int FROM maintenance.get_bulk_maintenances_for_systems('{db,web}')), 2,
          'reader: bulk read works');
SELECT throws_ok($$SELECT maintenance.create_maintenance('x', '2030-01-01Z', '2030-01-02Z', '{db}')$$,
                 '42501', NULL, 'reader: cannot create');
SELECT throws_ok($$SELECT maintenance.rpc('createMaintenance',
                     '{"title": "x", "startAt": "2030-01-01T00:00:00Z",
                       "endAt": "2030-01-02T00:00:00Z", "systemIds": ["db"]}')$$,
                 '42501', NULL, 'reader: cannot create through rpc');
SELECT throws_ok(format($$SELECT maintenance.close_maintenance(%L)$$, :'existing'),
                 '42501', NULL, 'reader: cannot close');
SELECT throws_ok(format($$SELECT maintenance.rpc('deleteMaintenance', '{"id": "%s"}')$$, :'existing'),
                 '42501', NULL, 'reader: cannot delete through rpc');
SELECT throws_ok($$SELECT maintenance.run_transitions()$$, '42501', NULL,
                 'reader: cannot run transitions');
SELECT throws_ok($$UPDATE maintenance.maintenances SET title = 'x'$$, '42501', NULL,
                 'reader: cannot write the table directly');
RESET ROLE;

-- The managing role writes through the functions (and rpc), not the tables.
SET LOCAL ROLE mt_manager;
SELECT lives_ok($$SELECT maintenance.create_maintenance('by manager', '2030-02-01Z', '2030-02-02Z', '{api}')$$,
                'manager: can create');
SELECT lives_ok($$SELECT maintenance.rpc('createMaintenance',
                    '{"title": "by manager via rpc", "startAt": "2030-03-01T00:00:00Z",
                      "endAt": "2030-03-02T00:00:00Z", "systemIds": ["api"]}')$$,
                'manager: can create through rpc');
SELECT lives_ok(format($$SELECT maintenance.add_update(%L, 'note')$$, :'existing'),
                'manager: can add an update');
SELECT lives_ok(format($$SELECT maintenance.close_maintenance(%L)$$, :'existing'),
                'manager: can close');
SELECT is(maintenance.rpc('deleteMaintenance', jsonb_build_object('id', :'existing'::uuid)),
          '{"success": true}'::jsonb, 'manager: can delete through rpc');
SELECT throws_ok($$SELECT maintenance.run_transitions()$$, '42501', NULL,
                 'manager: transitions need their own grant');
SELECT throws_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES ('direct', '2030-01-01Z', '2030-01-02Z')$$,
                 '42501', NULL, 'manager: cannot write the table directly');
SELECT throws_ok($$DELETE FROM maintenance.events$$, '42501', NULL,
                 'manager: cannot delete events');
RESET ROLE;

SELECT is((SELECT created_by FROM maintenance.maintenance_updates
            WHERE message = 'note'), NULL, 'an update by a role without maintenance.actor has no author');

-- Running transitions by grant.
GRANT EXECUTE ON FUNCTION maintenance.run_transitions TO mt_manager;
SET LOCAL ROLE mt_manager;
SELECT lives_ok($$SELECT maintenance.run_transitions(as_of => '2030-02-01 12:00Z')$$,
                'manager with the grant: can run transitions');
RESET ROLE;
SELECT is((SELECT status::text FROM maintenance.maintenances WHERE title = 'by manager'),
          'in_progress', 'the granted run moved the due maintenance');

SELECT * FROM finish();
ROLLBACK;
