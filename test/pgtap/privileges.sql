-- pgTAP: privileges -- nothing is writable by PUBLIC, and the grants
-- the doc/security.md ("Privileges") names for a read-only and a managing role work
-- as documented:
--
--   GRANT USAGE ON SCHEMA maintenance TO reader;
--
--   GRANT USAGE ON SCHEMA maintenance TO manager;
--   GRANT EXECUTE ON FUNCTION
--       maintenance.create_maintenance, maintenance.update_maintenance,
--       maintenance.add_update, maintenance.close_maintenance,
--       maintenance.delete_maintenance,
--       maintenance.create_series, maintenance.update_series, maintenance.delete_series
--     TO manager;
--
--   GRANT EXECUTE ON FUNCTION maintenance.run_transitions TO manager;
--
--   GRANT EXECUTE ON FUNCTION maintenance.record_webhook_failure,
--       maintenance.list_webhook_failures, maintenance.resolve_webhook_failure
--     TO webhook_listener;
--
-- The roles are created inside the transaction and roll back with it.
BEGIN;
SELECT plan(207);

/* ---------------------------------------------------------------------
 * What PUBLIC has, read from the catalogs.
 * ------------------------------------------------------------------ */

SELECT is_empty(
    $$SELECT c.oid::regclass::text || ' ' || a.privilege_type
        FROM pg_class c
       CROSS JOIN LATERAL aclexplode(coalesce(c.relacl,
                   acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
       WHERE c.relnamespace = 'maintenance'::regnamespace
         AND c.relkind IN ('r', 'v', 'S', 'm', 'p', 'f')
         AND a.grantee = 0$$,
    'PUBLIC has no privilege on any table, view or sequence of the schema');

-- The same, per table and sequence, through the privilege functions.
SELECT ok(NOT has_table_privilege('public', c.oid, p),
          format('PUBLIC has no %s on %s', p, c.oid::regclass))
  FROM pg_class c,
       unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) WITH ORDINALITY AS x(p, n)
 WHERE c.relnamespace = 'maintenance'::regnamespace AND c.relkind = 'r'
 ORDER BY c.relname, n;
SELECT ok(NOT has_sequence_privilege('public', c.oid, p),
          format('PUBLIC has no %s on sequence %s', p, c.oid::regclass))
  FROM pg_class c, unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) WITH ORDINALITY AS x(p, n)
 WHERE c.relnamespace = 'maintenance'::regnamespace AND c.relkind = 'S'
 ORDER BY c.relname, n;

-- No writing function is executable by PUBLIC.
SELECT ok(NOT has_function_privilege('public', f, 'EXECUTE'), 'PUBLIC cannot execute ' || f)
  FROM unnest(ARRAY[
        'maintenance.create_maintenance(text,timestamptz,timestamptz,text[],text,boolean,interval[])',
        'maintenance.update_maintenance(uuid,text,text,boolean,timestamptz,timestamptz,text[],boolean,interval[])',
        'maintenance.add_update(uuid,text,maintenance.status,text)',
        'maintenance.close_maintenance(uuid,text,text)',
        'maintenance.delete_maintenance(uuid)',
        'maintenance.run_transitions(timestamptz)',
        'maintenance.schedule_transitions(text)',
        'maintenance.unschedule_transitions()',
        'maintenance.register_consumer(text)',
        'maintenance.unregister_consumer(text)',
        'maintenance.ack_events(text,bigint)',
        'maintenance.prune_events(interval)',
        'maintenance.schedule_event_pruning(text)',
        'maintenance.unschedule_event_pruning()',
        'maintenance.record_webhook_failure(bigint,text,integer,integer,text)',
        'maintenance.list_webhook_failures(text)',
        'maintenance.resolve_webhook_failure(bigint,text)',
        'maintenance.refresh_windows(uuid[])',
        'maintenance.refresh_windows_of_update()',
        'maintenance.refresh_windows_of_systems()',
        'maintenance.count_schedule_change()',
        'maintenance.count_rule_change()',
        'maintenance.arm_reminders()',
        'maintenance.create_series(text,text[],text,text,timestamp,interval,text,boolean,timestamp[],interval[])',
        'maintenance.update_series(uuid,text,text,boolean,text[],text,text,timestamp,interval,timestamp[],interval[],boolean)',
        'maintenance.delete_series(uuid)',
        'maintenance.remember_deleted_occurrence()',
        'maintenance.mark_overridden_occurrence()']) WITH ORDINALITY AS w(f, n)
 ORDER BY n;

-- The reading functions are executable by PUBLIC ...
SELECT ok(has_function_privilege('public', f, 'EXECUTE'), 'PUBLIC can execute ' || f)
  FROM unnest(ARRAY[
        'maintenance.list_maintenances(maintenance.status,text)',
        'maintenance.get_maintenance(uuid)',
        'maintenance.get_maintenance_updates(uuid)',
        'maintenance.get_maintenances_for_system(text)',
        'maintenance.get_bulk_maintenances_for_systems(text[])',
        'maintenance.has_active_maintenance_with_suppression(text)',
        'maintenance.rpc(text,jsonb)',
        'maintenance.under_maintenance(text,timestamptz)',
        'maintenance.coverage(text[],tstzrange)',
        'maintenance.calendar(text[],timestamptz,timestamptz)',
        'maintenance.duration_iso(interval)',
        'maintenance.get_series(uuid)',
        'maintenance.list_series(text)',
        'maintenance.get_series_occurrences(uuid)',
        'maintenance.preview_series(uuid,timestamptz,integer)',
        'maintenance.preview_series(text,text,timestamp,interval,timestamp[],timestamptz,integer)']) WITH ORDINALITY AS r(f, n)
 ORDER BY n;
-- ... but PUBLIC cannot reach the schema: someone must grant USAGE first.
SELECT ok(NOT has_schema_privilege('public', 'maintenance', 'USAGE'), 'PUBLIC has no USAGE on schema maintenance');
SELECT ok(NOT has_schema_privilege('public', 'maintenance', 'CREATE'), 'PUBLIC has no CREATE on schema maintenance');

/* ---------------------------------------------------------------------
 * Three roles: no grants, the read-only role of doc/security.md ("Privileges"), its managing role.
 * ------------------------------------------------------------------ */

CREATE ROLE tap_nobody;
CREATE ROLE tap_reader;
CREATE ROLE tap_manager;
GRANT USAGE ON SCHEMA maintenance TO tap_reader;
GRANT USAGE ON SCHEMA maintenance TO tap_manager;
GRANT EXECUTE ON FUNCTION
    maintenance.create_maintenance, maintenance.update_maintenance,
    maintenance.add_update, maintenance.close_maintenance,
    maintenance.delete_maintenance,
    maintenance.create_series, maintenance.update_series, maintenance.delete_series
  TO tap_manager;

-- Data to read, made by the owner: one in progress with suppression on "db".
SELECT id AS existing FROM maintenance.create_maintenance('existing', '2030-01-01Z', '2030-01-02Z', '{db,web}') \gset
SELECT id AS active FROM maintenance.create_maintenance('active', '2020-01-01Z', '2040-01-01Z', '{db}',
                                                        suppress_notifications => true) \gset
SELECT status_change AS active_status FROM maintenance.add_update(:'active', 'begun', 'in_progress') \gset
SELECT id AS weekly FROM maintenance.create_series('weekly', '{ops}', 'FREQ=WEEKLY;BYDAY=SU', 'Europe/Berlin',
                                                   '2030-01-06 02:00', '2 hours') \gset
SELECT count(*) AS events_before FROM maintenance.events \gset
SELECT count(*) AS maintenances_before FROM maintenance.maintenances \gset

-- Every write attempt below, by a role that may not write (42501).
-- msg: the error of a role that may use the schema (the object refused).
CREATE TEMP TABLE forbidden_writes (n serial, label text, stmt text, msg text);
GRANT SELECT ON forbidden_writes TO PUBLIC;
INSERT INTO forbidden_writes (label, stmt, msg) VALUES
    ('create_maintenance', $$SELECT maintenance.create_maintenance('x', '2030-01-01Z', '2030-01-02Z', '{db}')$$,
        'permission denied for function create_maintenance'),
    ('update_maintenance', format($$SELECT maintenance.update_maintenance(%L, title => 'x')$$, :'existing'),
        'permission denied for function update_maintenance'),
    ('add_update', format($$SELECT maintenance.add_update(%L, 'x')$$, :'existing'),
        'permission denied for function add_update'),
    ('close_maintenance', format($$SELECT maintenance.close_maintenance(%L)$$, :'existing'),
        'permission denied for function close_maintenance'),
    ('delete_maintenance', format($$SELECT maintenance.delete_maintenance(%L)$$, :'existing'),
        'permission denied for function delete_maintenance'),
    ('run_transitions', $$SELECT maintenance.run_transitions(as_of => '2031-01-01Z')$$,
        'permission denied for function run_transitions'),
    ('schedule_transitions', $$SELECT maintenance.schedule_transitions()$$,
        'permission denied for function schedule_transitions'),
    ('unschedule_transitions', $$SELECT maintenance.unschedule_transitions()$$,
        'permission denied for function unschedule_transitions'),
    ('rpc createMaintenance', $$SELECT maintenance.rpc('createMaintenance',
        '{"title": "x", "startAt": "2030-01-01T00:00:00Z", "endAt": "2030-01-02T00:00:00Z", "systemIds": ["db"]}')$$,
        'permission denied for function create_maintenance'),
    ('rpc updateMaintenance', format($$SELECT maintenance.rpc('updateMaintenance', '{"id": "%s", "title": "x"}')$$, :'existing'),
        'permission denied for function update_maintenance'),
    ('rpc addUpdate', format($$SELECT maintenance.rpc('addUpdate', '{"maintenanceId": "%s", "message": "x"}')$$, :'existing'),
        'permission denied for function add_update'),
    ('rpc closeMaintenance', format($$SELECT maintenance.rpc('closeMaintenance', '{"id": "%s"}')$$, :'existing'),
        'permission denied for function close_maintenance'),
    ('rpc deleteMaintenance', format($$SELECT maintenance.rpc('deleteMaintenance', '{"id": "%s"}')$$, :'existing'),
        'permission denied for function delete_maintenance'),
    ('INSERT into the table', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                                VALUES ('direct', '2030-01-01Z', '2030-01-02Z')$$,
        'permission denied for table maintenances'),
    ('UPDATE of the table', $$UPDATE maintenance.maintenances SET title = 'x'$$,
        'permission denied for table maintenances'),
    ('DELETE from the table', $$DELETE FROM maintenance.maintenance_systems$$,
        'permission denied for table maintenance_systems'),
    ('forging an event', $$INSERT INTO maintenance.events (channel, name, payload)
                           VALUES ('maintenance_signal', 'maintenance.updated', '{}')$$,
        'permission denied for table events'),
    ('advancing a sequence', $$SELECT nextval('maintenance.events_id_seq')$$,
        'permission denied for sequence events_id_seq'),
    ('create_series', $$SELECT maintenance.create_series('x', '{db}', 'FREQ=DAILY', 'UTC', '2030-01-01 00:00', '1 hour')$$,
        'permission denied for function create_series'),
    ('update_series', format($$SELECT maintenance.update_series(%L, title => 'x')$$, :'weekly'),
        'permission denied for function update_series'),
    ('delete_series', format($$SELECT maintenance.delete_series(%L)$$, :'weekly'),
        'permission denied for function delete_series'),
    ('rpc createSeries', $$SELECT maintenance.rpc('createSeries',
        '{"title": "x", "systemIds": ["db"], "rrule": "FREQ=DAILY", "timeZone": "UTC",
          "firstStart": "2030-01-01T00:00:00", "duration": "PT1H"}')$$,
        'permission denied for function create_series'),
    ('rpc deleteSeries', format($$SELECT maintenance.rpc('deleteSeries', '{"id": "%s"}')$$, :'weekly'),
        'permission denied for function delete_series'),
    ('INSERT into the series table', $$INSERT INTO maintenance.series (title, system_ids, rrule, time_zone, first_start, duration)
                                       VALUES ('direct', '{db}', 'FREQ=DAILY', 'UTC', '2030-01-01 00:00', '1 hour')$$,
        'permission denied for table series');

-- A role with no grants reaches nothing: not the reads, not rpc, not the
-- tables, no write.
SET LOCAL ROLE tap_nobody;
SELECT throws_ok($$SELECT * FROM maintenance.list_maintenances()$$, '42501', NULL,
                 'no grants: list_maintenances is refused');
SELECT throws_ok(format($$SELECT maintenance.get_maintenance(%L)$$, :'existing'), '42501', NULL,
                 'no grants: get_maintenance is refused');
SELECT throws_ok($$SELECT maintenance.rpc('listMaintenances')$$, '42501', NULL,
                 'no grants: rpc listMaintenances is refused');
SELECT throws_ok($$SELECT * FROM maintenance.maintenances$$, '42501', NULL,
                 'no grants: the table cannot be read');
SELECT throws_ok($$SELECT * FROM maintenance.events$$, '42501', NULL,
                 'no grants: the events cannot be read');
SELECT throws_ok(stmt, '42501', 'permission denied for schema maintenance',
                 'no grants: ' || label || ' is refused')
  FROM forbidden_writes ORDER BY n;
RESET ROLE;

-- The read-only role reads through the functions and the rpc read methods,
-- and writes nothing.
SET LOCAL ROLE tap_reader;
SELECT is(ARRAY(SELECT title FROM maintenance.list_maintenances() WHERE series_id IS NULL), ARRAY['active', 'existing'],
          'reader: list_maintenances');
SELECT is((maintenance.get_maintenance(:'existing')).title, 'existing', 'reader: get_maintenance');
SELECT is(ARRAY(SELECT message FROM maintenance.get_maintenance_updates(:'active')), ARRAY['begun'],
          'reader: get_maintenance_updates');
SELECT is(ARRAY(SELECT title FROM maintenance.get_maintenances_for_system('web')), ARRAY['existing'],
          'reader: get_maintenances_for_system');
SELECT is(ARRAY(SELECT system_id || ':' || cardinality(maintenances)
                  FROM maintenance.get_bulk_maintenances_for_systems('{db,web,none}')),
          ARRAY['db:2', 'none:0', 'web:1'], 'reader: get_bulk_maintenances_for_systems');
SELECT is(maintenance.has_active_maintenance_with_suppression('db'), true,
          'reader: has_active_maintenance_with_suppression');
SELECT is(jsonb_array_length(maintenance.rpc('listMaintenances', '{"systemId": "db"}') -> 'maintenances'), 2,
          'reader: rpc listMaintenances');
SELECT is(maintenance.rpc('getMaintenance', jsonb_build_object('id', :'existing'::uuid)) ->> 'title',
          'existing', 'reader: rpc getMaintenance');
SELECT is(jsonb_array_length(maintenance.rpc('getMaintenancesForSystem', '{"systemId": "db"}')), 2,
          'reader: rpc getMaintenancesForSystem');
SELECT is(jsonb_array_length(maintenance.rpc('getBulkMaintenancesForSystems',
                                             '{"systemIds": ["web"]}') #> '{maintenances,web}'), 1,
          'reader: rpc getBulkMaintenancesForSystems');
SELECT is(maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "db"}'),
          '{"suppressed": true}'::jsonb, 'reader: rpc hasActiveMaintenanceWithSuppression');
SELECT is((maintenance.get_series(:'weekly')).title, 'weekly', 'reader: get_series');
SELECT is(ARRAY(SELECT title FROM maintenance.list_series('ops')), ARRAY['weekly'], 'reader: list_series');
SELECT is((SELECT count(*)::int FROM maintenance.preview_series(:'weekly', '2030-01-01Z', 3)), 3,
          'reader: preview_series of a series');
SELECT is(maintenance.rpc('getSeries', jsonb_build_object('id', :'weekly'::uuid)) ->> 'title',
          'weekly', 'reader: rpc getSeries');
SELECT is(jsonb_array_length(maintenance.rpc('previewSeries',
              '{"rrule": "FREQ=DAILY", "timeZone": "UTC", "firstStart": "2030-01-01T00:00:00",
                "duration": "PT1H", "from": "2030-01-01T00:00:00Z", "count": 2}') -> 'occurrences'), 2,
          'reader: rpc previewSeries of a rule');
SELECT throws_ok($$SELECT * FROM maintenance.maintenances$$, '42501', NULL,
                 'reader: the table itself cannot be read (the extra grant of doc/security.md is not given)');
SELECT throws_ok(stmt, '42501', msg, 'reader: ' || label || ' is refused')
  FROM forbidden_writes ORDER BY n;
RESET ROLE;

SELECT is((SELECT count(*) FROM maintenance.events), :'events_before'::bigint,
          'the refused writes emitted no event');
SELECT is((SELECT count(*) FROM maintenance.maintenances), :'maintenances_before'::bigint,
          'the refused writes created no maintenance');
SELECT is(ARRAY(SELECT title || ' ' || status FROM maintenance.maintenances WHERE series_id IS NULL ORDER BY title),
          ARRAY['active in_progress', 'existing scheduled'], 'the refused writes changed nothing');
SELECT is(ARRAY(SELECT title || ' ' || (ended_at IS NULL) FROM maintenance.series), ARRAY['weekly true'],
          'the refused writes changed no series');

-- The managing role writes through every write function and rpc, and still
-- cannot touch the tables or run the transitions without their own grant.
SET LOCAL ROLE tap_manager;
SELECT id AS by_manager FROM maintenance.create_maintenance('by manager', '2030-02-01Z', '2030-02-02Z', '{api}') \gset
SELECT is((maintenance.get_maintenance(:'by_manager')).title, 'by manager', 'manager: create_maintenance');
SELECT is((maintenance.update_maintenance(:'by_manager', title => 'renamed')).title, 'renamed',
          'manager: update_maintenance');
SELECT is((maintenance.add_update(:'existing', 'note')).message, 'note', 'manager: add_update');
SELECT is((maintenance.close_maintenance(:'existing')).status, 'completed', 'manager: close_maintenance');
SELECT is(maintenance.delete_maintenance(:'existing'), true, 'manager: delete_maintenance');
SELECT is(maintenance.rpc('createMaintenance',
              '{"title": "via rpc", "startAt": "2030-03-01T00:00:00Z",
                "endAt": "2030-03-02T00:00:00Z", "systemIds": ["api"]}') ->> 'title',
          'via rpc', 'manager: rpc createMaintenance');
SELECT is(maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', :'active'::uuid,
                                                          'message', 'rpc note')) ->> 'message',
          'rpc note', 'manager: rpc addUpdate');
SELECT is(maintenance.rpc('deleteMaintenance', jsonb_build_object('id', :'by_manager'::uuid)),
          '{"success": true}'::jsonb, 'manager: rpc deleteMaintenance');
SELECT is((maintenance.create_series('by manager', '{api}', 'FREQ=MONTHLY', 'UTC', '2030-04-01 00:00',
                                     '1 hour')).title, 'by manager', 'manager: create_series');
SELECT is((maintenance.update_series(:'weekly', title => 'weekly, renamed')).title, 'weekly, renamed',
          'manager: update_series');
SELECT is(maintenance.rpc('deleteSeries', jsonb_build_object('id', :'weekly'::uuid)),
          '{"success": true}'::jsonb, 'manager: rpc deleteSeries');
SELECT throws_ok(stmt, '42501', msg, 'manager: ' || label || ' is refused')
  FROM forbidden_writes
 WHERE label IN ('run_transitions', 'schedule_transitions', 'unschedule_transitions',
                 'INSERT into the table', 'UPDATE of the table', 'DELETE from the table',
                 'INSERT into the series table',
                 'forging an event', 'advancing a sequence')
 ORDER BY n;
SELECT throws_ok($$SELECT * FROM maintenance.maintenances$$, '42501', NULL,
                 'manager: the table itself cannot be read');
RESET ROLE;

SELECT is((SELECT created_by FROM maintenance.maintenance_updates WHERE message = 'note'), NULL,
          'an update by a role, without maintenance.actor, has no author (not the role)');

-- The transitions, by their own grant.
GRANT EXECUTE ON FUNCTION maintenance.run_transitions TO tap_manager;
SET LOCAL ROLE tap_manager;
SELECT results_eq($$SELECT started, completed, failed, reminded FROM maintenance.run_transitions(as_of => '2030-03-01 12:00Z')$$,
                  $$VALUES (1, 0, 0, 0)$$, 'manager with the grant: run_transitions');
RESET ROLE;
SELECT is((SELECT status::text FROM maintenance.maintenances WHERE title = 'via rpc'), 'in_progress',
          'the run moved the due maintenance');

-- The webhook listener's role (doc/security.md "Privileges"): the failure functions
-- by their own grant; the managing role has not got them.
CREATE ROLE tap_webhooks;
GRANT USAGE ON SCHEMA maintenance TO tap_webhooks;
GRANT EXECUTE ON FUNCTION
    maintenance.record_webhook_failure, maintenance.list_webhook_failures,
    maintenance.resolve_webhook_failure
  TO tap_webhooks;
SET LOCAL ROLE tap_manager;
SELECT throws_ok($$SELECT maintenance.record_webhook_failure(1, 'http://h/x', 1, 500, 'e')$$, '42501', NULL,
                 'manager without the grant: record_webhook_failure is refused');
SELECT throws_ok($$SELECT * FROM maintenance.list_webhook_failures()$$, '42501', NULL,
                 'manager without the grant: list_webhook_failures is refused');
RESET ROLE;
SET LOCAL ROLE tap_webhooks;
SELECT lives_ok($$SELECT maintenance.record_webhook_failure(1, 'http://h/x', 2, NULL, 'timed out')$$,
                'webhook role: record_webhook_failure');
SELECT results_eq($$SELECT event_id, url, attempts, last_status FROM maintenance.list_webhook_failures('http://h/x')$$,
                  $$VALUES (1::bigint, 'http://h/x'::text, 2, NULL::integer)$$,
                  'webhook role: list_webhook_failures shows the record');
SELECT is(maintenance.resolve_webhook_failure(1, 'http://h/x'), true, 'webhook role: resolve_webhook_failure');
SELECT throws_ok($$SELECT * FROM maintenance.webhook_failures$$, '42501', NULL,
                 'webhook role: the table itself cannot be read');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
