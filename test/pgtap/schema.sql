-- pgTAP: the data model and the security rules that the catalogs show -- tables, columns, keys, cascades, checks, indexes and
-- that the planner uses them, the status enum, the view, config-dump
-- registration, the functions and their signatures, pinned search_path.
--
-- Run with: pg_prove -d DB test/pgtap/schema.sql, in a database where
-- CREATE EXTENSION pgtap; CREATE EXTENSION maintenance; have been run.
BEGIN;
SELECT plan(531);

/* ---------------------------------------------------------------------
 * Schema, enum, tables, view
 * ------------------------------------------------------------------ */

SELECT has_schema('maintenance');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'maintenance'), false,
          'the extension is not relocatable');
SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'maintenance'),
          'maintenance', 'the extension lives in schema maintenance');

SELECT has_enum('maintenance'::name, 'status'::name, 'enum maintenance.status');
SELECT enum_has_labels('maintenance', 'status',
                       ARRAY['scheduled', 'in_progress', 'completed', 'cancelled'],
                       'maintenance.status has the labels scheduled, in_progress, completed, cancelled, in that order');

SELECT tables_are('maintenance',
    ARRAY['maintenances', 'maintenance_systems', 'maintenance_updates', 'events', 'event_consumers',
          'webhook_failures', 'maintenance_windows', 'maintenance_reminders', 'series',
          'series_deleted_occurrences']);
SELECT has_table('maintenance', 'maintenances', 'table maintenance.maintenances');
SELECT has_table('maintenance', 'maintenance_systems', 'table maintenance.maintenance_systems');
SELECT has_table('maintenance', 'maintenance_updates', 'table maintenance.maintenance_updates');
SELECT has_table('maintenance', 'events', 'table maintenance.events');
SELECT has_table('maintenance', 'event_consumers', 'table maintenance.event_consumers');
SELECT has_table('maintenance', 'webhook_failures', 'table maintenance.webhook_failures');
SELECT has_table('maintenance', 'series', 'table maintenance.series');
SELECT has_table('maintenance', 'series_deleted_occurrences', 'table maintenance.series_deleted_occurrences');
SELECT has_table('maintenance', 'maintenance_reminders', 'table maintenance.maintenance_reminders');
SELECT views_are('maintenance', ARRAY['maintenances_with_systems']);
SELECT has_view('maintenance', 'maintenances_with_systems', 'view maintenance.maintenances_with_systems');
SELECT sequences_are('maintenance', ARRAY['maintenance_updates_position_seq', 'events_id_seq']);

/* ---------------------------------------------------------------------
 * Columns: for each, its existence, type, nullability and default.
 * ------------------------------------------------------------------ */

CREATE TEMP TABLE expected_columns (
    tbl name NOT NULL,
    col name NOT NULL,
    type text NOT NULL,
    not_null boolean NOT NULL,
    dflt text,			-- NULL: no default
    ord serial
);
INSERT INTO expected_columns (tbl, col, type, not_null, dflt) VALUES
    ('maintenances', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('maintenances', 'title', 'text', true, NULL),
    ('maintenances', 'description', 'text', false, NULL),
    ('maintenances', 'suppress_notifications', 'boolean', true, 'false'),
    ('maintenances', 'status', 'maintenance.status', true, 'scheduled'),
    ('maintenances', 'start_at', 'timestamp with time zone', true, NULL),
    ('maintenances', 'end_at', 'timestamp with time zone', true, NULL),
    ('maintenances', 'created_at', 'timestamp with time zone', true, 'now()'),
    ('maintenances', 'updated_at', 'timestamp with time zone', true, 'now()'),
    -- 0.2.0: a copy of maintenance_systems beside the status
    ('maintenances', 'system_ids', 'text[]', true, '{}'),
    -- 0.4.0: an occurrence of a series, its original local start, changed on its own
    ('maintenances', 'series_id', 'uuid', false, NULL),
    ('maintenances', 'occurrence_start', 'timestamp without time zone', false, NULL),
    ('maintenances', 'overridden', 'boolean', true, 'false'),
    -- 0.4.0: how many times start_at or end_at changed (iCalendar SEQUENCE)
    ('maintenances', 'schedule_changes', 'integer', true, '0'),
    -- 0.4.0: the leads of its reminders
    ('maintenances', 'reminders', 'interval[]', true, '{}'),
    ('maintenance_systems', 'maintenance_id', 'uuid', true, NULL),
    ('maintenance_systems', 'system_id', 'text', true, NULL),
    ('maintenance_updates', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('maintenance_updates', 'maintenance_id', 'uuid', true, NULL),
    ('maintenance_updates', 'message', 'text', true, NULL),
    ('maintenance_updates', 'status_change', 'maintenance.status', false, NULL),
    ('maintenance_updates', 'created_at', 'timestamp with time zone', true, 'now()'),
    ('maintenance_updates', 'created_by', 'text', false, NULL),
    ('maintenance_updates', 'position', 'bigint', true,
        'nextval(''maintenance.maintenance_updates_position_seq''::regclass)'),
    ('events', 'id', 'bigint', true, 'nextval(''maintenance.events_id_seq''::regclass)'),
    ('events', 'occurred_at', 'timestamp with time zone', true, 'now()'),
    ('events', 'channel', 'text', true, NULL),
    ('events', 'name', 'text', true, NULL),
    ('events', 'payload', 'jsonb', true, NULL),
    ('events', 'xid', 'xid8', true, 'pg_current_xact_id()'),
    ('event_consumers', 'name', 'text', true, NULL),
    ('event_consumers', 'last_event_id', 'bigint', true, '0'),
    ('event_consumers', 'updated_at', 'timestamp with time zone', false, NULL),
    -- 0.4.0: events a webhook endpoint did not take (maintenance-listen)
    ('webhook_failures', 'event_id', 'bigint', true, NULL),
    ('webhook_failures', 'url', 'text', true, NULL),
    ('webhook_failures', 'attempts', 'integer', true, NULL),
    ('webhook_failures', 'last_status', 'integer', false, NULL),
    ('webhook_failures', 'last_error', 'text', true, NULL),
    ('webhook_failures', 'first_failed_at', 'timestamp with time zone', true, 'now()'),
    ('webhook_failures', 'failed_at', 'timestamp with time zone', true, 'now()'),
    -- 0.4.0: recurring windows
    ('series', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('series', 'title', 'text', true, NULL),
    ('series', 'description', 'text', false, NULL),
    ('series', 'suppress_notifications', 'boolean', true, 'false'),
    ('series', 'system_ids', 'text[]', true, NULL),
    ('series', 'rrule', 'text', true, NULL),
    ('series', 'time_zone', 'text', true, NULL),
    ('series', 'first_start', 'timestamp without time zone', true, NULL),
    ('series', 'duration', 'interval', true, NULL),
    ('series', 'exdates', 'timestamp without time zone[]', true, '{}'),
    ('series', 'reminders', 'interval[]', true, '{}'),
    ('series', 'created_at', 'timestamp with time zone', true, 'now()'),
    ('series', 'updated_at', 'timestamp with time zone', true, 'now()'),
    ('series', 'ended_at', 'timestamp with time zone', false, NULL),
    ('series', 'rule_changed_at', 'timestamp with time zone', true, 'now()'),
    ('series', 'materialized_through', 'timestamp with time zone', false, NULL),
    ('series', 'materialize_at', 'timestamp with time zone', false, NULL),
    ('series', 'rule_changes', 'integer', true, '0'),
    ('series_deleted_occurrences', 'series_id', 'uuid', true, NULL),
    ('series_deleted_occurrences', 'occurrence_start', 'timestamp without time zone', true, NULL),
    -- 0.4.0: the reminders of each start, to be sent or sent
    ('maintenance_reminders', 'maintenance_id', 'uuid', true, NULL),
    ('maintenance_reminders', 'start_at', 'timestamp with time zone', true, NULL),
    ('maintenance_reminders', 'remind_before', 'interval', true, NULL),
    ('maintenance_reminders', 'remind_at', 'timestamp with time zone', true, NULL),
    ('maintenance_reminders', 'sent_at', 'timestamp with time zone', false, NULL);

-- Exactly these columns, in this order, per table (9 tests).
SELECT is(
    ARRAY(SELECT a.attname FROM pg_attribute a
           WHERE a.attrelid = ('maintenance.' || t.tbl)::regclass AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attnum),
    ARRAY(SELECT e.col FROM expected_columns e WHERE e.tbl = t.tbl ORDER BY e.ord),
    format('maintenance.%s has exactly the columns of the data model, in order', t.tbl))
  FROM (SELECT DISTINCT tbl FROM expected_columns) t
 ORDER BY t.tbl;

CREATE FUNCTION pg_temp.column_ok(e expected_columns) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    what text := format('maintenance.%s.%s', e.tbl, e.col);
BEGIN
    RETURN NEXT has_column('maintenance', e.tbl, e.col, what || ' exists');
    RETURN NEXT col_type_is('maintenance', e.tbl, e.col, e.type, what || ' is ' || e.type);
    IF e.not_null THEN
        RETURN NEXT col_not_null('maintenance', e.tbl, e.col, what || ' is NOT NULL');
    ELSE
        RETURN NEXT col_is_null('maintenance', e.tbl, e.col, what || ' allows NULL');
    END IF;
    IF e.dflt IS NULL THEN
        RETURN NEXT col_hasnt_default('maintenance', e.tbl, e.col, what || ' has no default');
    ELSE
        RETURN NEXT col_default_is('maintenance', e.tbl, e.col, e.dflt, what || ' defaults to ' || e.dflt);
    END IF;
END
$$;

-- 56 columns x 4 tests.
SELECT pg_temp.column_ok(e) FROM expected_columns e ORDER BY e.ord;

-- The view: MaintenanceWithSystems, the table's columns plus sorted system ids.
SELECT columns_are('maintenance', 'maintenances_with_systems',
    ARRAY['id', 'title', 'description', 'suppress_notifications', 'status', 'start_at', 'end_at',
          'created_at', 'updated_at', 'system_ids', 'reminders', 'series_id']);
SELECT col_type_is('maintenance', 'maintenances_with_systems', 'system_ids', 'text[]',
                   'maintenances_with_systems.system_ids is text[]');
SELECT col_type_is('maintenance', 'maintenances_with_systems', 'status', 'maintenance.status',
                   'maintenances_with_systems.status is maintenance.status');

/* ---------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------ */

SELECT col_is_pk('maintenance', 'maintenances', 'id', 'maintenances: PRIMARY KEY (id)');
SELECT col_is_pk('maintenance', 'maintenance_systems', ARRAY['maintenance_id', 'system_id'],
                 'maintenance_systems: PRIMARY KEY (maintenance_id, system_id)');
SELECT col_is_pk('maintenance', 'maintenance_updates', 'id', 'maintenance_updates: PRIMARY KEY (id)');
SELECT col_is_pk('maintenance', 'events', 'id', 'events: PRIMARY KEY (id)');
SELECT col_is_pk('maintenance', 'event_consumers', 'name', 'event_consumers: PRIMARY KEY (name)');
SELECT col_is_pk('maintenance', 'webhook_failures', ARRAY['event_id', 'url'],
                 'webhook_failures: PRIMARY KEY (event_id, url)');
SELECT col_is_pk('maintenance', 'maintenance_reminders', ARRAY['maintenance_id', 'start_at', 'remind_before'],
                 'maintenance_reminders: PRIMARY KEY (maintenance_id, start_at, remind_before)');
SELECT col_is_unique('maintenance', 'maintenance_updates', 'position',
                     'maintenance_updates.position is unique (the timeline order)');

SELECT fk_ok('maintenance', 'maintenance_systems', 'maintenance_id', 'maintenance', 'maintenances', 'id');
SELECT fk_ok('maintenance', 'maintenance_updates', 'maintenance_id', 'maintenance', 'maintenances', 'id');
SELECT fk_ok('maintenance', 'maintenances', 'series_id', 'maintenance', 'series', 'id');
SELECT fk_ok('maintenance', 'series_deleted_occurrences', 'series_id', 'maintenance', 'series', 'id');
-- A series is never deleted (deleteSeries ends it): its references need
-- no cascade.
SELECT is(
    ARRAY(SELECT format('%s %s', conrelid::regclass, confdeltype)
            FROM pg_constraint
           WHERE contype = 'f' AND connamespace = 'maintenance'::regnamespace
           ORDER BY conrelid::regclass::text),
    ARRAY['maintenance.maintenance_reminders c', 'maintenance.maintenance_systems c',
          'maintenance.maintenance_updates c', 'maintenance.maintenance_windows c',
          'maintenance.maintenances a', 'maintenance.series_deleted_occurrences a'],
    'the schema has six foreign keys: the four of a maintenance''s rows ON DELETE CASCADE, the two to a series NO ACTION');

-- The cascade, by deleting: one maintenance goes with its systems and
-- updates, the other keeps its own.
INSERT INTO maintenance.maintenances (id, title, start_at, end_at) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'goes', '2030-01-01Z', '2030-01-02Z'),
    ('00000000-0000-0000-0000-0000000000a2', 'stays', '2030-01-01Z', '2030-01-02Z');
INSERT INTO maintenance.maintenance_systems VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'db'), ('00000000-0000-0000-0000-0000000000a1', 'web'),
    ('00000000-0000-0000-0000-0000000000a2', 'db');
INSERT INTO maintenance.maintenance_updates (maintenance_id, message) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'one'), ('00000000-0000-0000-0000-0000000000a1', 'two'),
    ('00000000-0000-0000-0000-0000000000a2', 'kept');
SELECT lives_ok($$DELETE FROM maintenance.maintenances WHERE id = '00000000-0000-0000-0000-0000000000a1'$$,
                'a maintenance with systems and updates can be deleted');
SELECT is((SELECT count(*)::int FROM maintenance.maintenance_systems
            WHERE maintenance_id = '00000000-0000-0000-0000-0000000000a1'), 0,
          'deleting a maintenance deletes its systems (ON DELETE CASCADE)');
SELECT is((SELECT count(*)::int FROM maintenance.maintenance_updates
            WHERE maintenance_id = '00000000-0000-0000-0000-0000000000a1'), 0,
          'deleting a maintenance deletes its updates (ON DELETE CASCADE)');
SELECT is((SELECT count(*)::int FROM maintenance.maintenance_systems
            WHERE maintenance_id = '00000000-0000-0000-0000-0000000000a2'), 1,
          'the other maintenance keeps its systems');
SELECT is((SELECT count(*)::int FROM maintenance.maintenance_updates
            WHERE maintenance_id = '00000000-0000-0000-0000-0000000000a2'), 1,
          'the other maintenance keeps its updates');
SELECT throws_ok($$INSERT INTO maintenance.maintenance_systems
                   VALUES ('00000000-0000-0000-0000-0000000000a1', 'db')$$,
                 '23503', NULL, 'a system of a maintenance that does not exist is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
                   VALUES ('00000000-0000-0000-0000-0000000000a1', 'orphan')$$,
                 '23503', NULL, 'an update of a maintenance that does not exist is refused');
SELECT throws_ok($$INSERT INTO maintenance.maintenance_systems
                   VALUES ('00000000-0000-0000-0000-0000000000a2', 'db')$$,
                 '23505', NULL, 'a maintenance lists a system once');

/* ---------------------------------------------------------------------
 * Check constraints: the list, then each one refusing a bad row (23514,
 * named in the message) while a row just inside the rule is accepted.
 * ------------------------------------------------------------------ */

SELECT set_eq(
    $$SELECT conname::text FROM pg_constraint
       WHERE contype = 'c' AND connamespace = 'maintenance'::regnamespace$$,
    ARRAY['maintenances_title_not_blank', 'maintenances_start_at_finite',
          'maintenances_end_at_finite', 'maintenances_end_after_start',
          'maintenance_systems_system_id_not_blank', 'maintenance_updates_message_not_blank',
          'events_channel_known',
          'event_consumers_name_not_blank', 'event_consumers_last_event_id_not_negative',
          'webhook_failures_attempts_check', 'webhook_failures_status_check',
          'maintenance_windows_during_not_empty',
          'maintenances_occurrence_of_series', 'series_title_not_blank', 'series_system_ids_not_empty'],
    'the check constraints are the fourteen tested below and that of maintenance_windows (test/sql/coverage.sql)');

CREATE FUNCTION pg_temp.violates(stmt text, tbl text, con text, label text) RETURNS text
LANGUAGE sql AS $$
    SELECT throws_ok(stmt, '23514',
                     format('new row for relation "%s" violates check constraint "%s"', tbl, con),
                     con || ': ' || label)
$$;

-- Blank means empty or only whitespace: space, tab, newline, CR, FF, VT.
SELECT pg_temp.violates(format($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                                 VALUES (%L, '2030-01-01Z', '2030-01-02Z')$$, t),
                        'maintenances', 'maintenances_title_not_blank',
                        format('title %s is refused', to_jsonb(t)))
  FROM unnest(ARRAY['', ' ', E'\t', E'\n', E'\r', E'\f', E'\x0B', E' \t\n\r\f\x0B ']) WITH ORDINALITY AS b(t, n)
 ORDER BY n;
SELECT lives_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                  VALUES (E' v\t', '2030-01-01Z', '2030-01-02Z')$$,
                'a title with one visible character is accepted');
SELECT pg_temp.violates($$UPDATE maintenance.maintenances SET title = ' ' WHERE title = 'stays'$$,
                        'maintenances', 'maintenances_title_not_blank', 'an UPDATE to a blank title is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                          VALUES ('t', '-infinity', '2030-01-01Z')$$,
                        'maintenances', 'maintenances_start_at_finite', 'an infinite start is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                          VALUES ('t', '2030-01-01Z', 'infinity')$$,
                        'maintenances', 'maintenances_end_at_finite', 'an infinite end is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                          VALUES ('t', '2030-01-02Z', '2030-01-01Z')$$,
                        'maintenances', 'maintenances_end_after_start', 'an end before the start is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                          VALUES ('t', '2030-01-01Z', '2030-01-01Z')$$,
                        'maintenances', 'maintenances_end_after_start', 'an end equal to the start is refused');
SELECT pg_temp.violates($$UPDATE maintenance.maintenances SET end_at = start_at WHERE title = 'stays'$$,
                        'maintenances', 'maintenances_end_after_start', 'an UPDATE to an empty window is refused');
SELECT lives_ok($$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                  VALUES ('t', '2030-01-01 00:00:00Z', '2030-01-01 00:00:00.000001Z')$$,
                'a window of one microsecond is accepted');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenance_systems
                          VALUES ('00000000-0000-0000-0000-0000000000a2', E' \x0B')$$,
                        'maintenance_systems', 'maintenance_systems_system_id_not_blank',
                        'a blank system id is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenance_systems
                          VALUES ('00000000-0000-0000-0000-0000000000a2', '')$$,
                        'maintenance_systems', 'maintenance_systems_system_id_not_blank',
                        'an empty system id is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
                          VALUES ('00000000-0000-0000-0000-0000000000a2', E'\n')$$,
                        'maintenance_updates', 'maintenance_updates_message_not_blank',
                        'a blank update message is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.events (channel, name, payload)
                          VALUES ('maintenance_elsewhere', 'x', '{}')$$,
                        'events', 'events_channel_known', 'an unknown event channel is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.event_consumers (name) VALUES (E'\t')$$,
                        'event_consumers', 'event_consumers_name_not_blank', 'a blank consumer name is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.event_consumers (name, last_event_id) VALUES ('c', -1)$$,
                        'event_consumers', 'event_consumers_last_event_id_not_negative',
                        'a negative cursor is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.webhook_failures (event_id, url, attempts, last_error)
                          VALUES (1, 'http://h/', 0, 'x')$$,
                        'webhook_failures', 'webhook_failures_attempts_check', 'zero webhook attempts are refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.webhook_failures (event_id, url, attempts, last_status, last_error)
                          VALUES (1, 'http://h/', 1, 600, 'x')$$,
                        'webhook_failures', 'webhook_failures_status_check', 'an HTTP status over 599 is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.maintenances (title, start_at, end_at, occurrence_start)
                          VALUES ('t', '2030-01-01Z', '2030-01-02Z', '2030-01-01 00:00')$$,
                        'maintenances', 'maintenances_occurrence_of_series',
                        'an original local start without a series is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.series (title, system_ids, rrule, time_zone, first_start, duration)
                          VALUES (E' \t', '{db}', 'FREQ=DAILY', 'UTC', '2030-01-01 00:00', '1 hour')$$,
                        'series', 'series_title_not_blank', 'a blank series title is refused');
SELECT pg_temp.violates($$INSERT INTO maintenance.series (title, system_ids, rrule, time_zone, first_start, duration)
                          VALUES ('t', '{}', 'FREQ=DAILY', 'UTC', '2030-01-01 00:00', '1 hour')$$,
                        'series', 'series_system_ids_not_empty', 'a series without systems is refused');

/* ---------------------------------------------------------------------
 * Indexes
 * ------------------------------------------------------------------ */

SELECT indexes_are('maintenance', 'maintenances',
    ARRAY['maintenances_pkey', 'maintenances_due_to_start', 'maintenances_due_to_complete',
          'maintenances_start_at', 'maintenances_active_systems', 'maintenances_series_occurrence',
          'maintenances_suppressing_systems']);
SELECT indexes_are('maintenance', 'series',
    ARRAY['series_pkey', 'series_materialize_at', 'series_created_at']);
SELECT indexes_are('maintenance', 'maintenance_systems',
    ARRAY['maintenance_systems_pkey', 'maintenance_systems_system_id']);
SELECT indexes_are('maintenance', 'maintenance_updates',
    ARRAY['maintenance_updates_pkey', 'maintenance_updates_position_key', 'maintenance_updates_timeline']);
SELECT has_index('maintenance', 'maintenances', 'maintenances_due_to_start', ARRAY['start_at', 'id'],
                 'index maintenances_due_to_start on (start_at, id)');
SELECT has_index('maintenance', 'maintenances', 'maintenances_due_to_complete', ARRAY['end_at', 'id'],
                 'index maintenances_due_to_complete on (end_at, id)');
SELECT has_index('maintenance', 'maintenances', 'maintenances_start_at', ARRAY['start_at', 'id'],
                 'index maintenances_start_at on (start_at, id) (list order)');
SELECT has_index('maintenance', 'maintenance_systems', 'maintenance_systems_system_id',
                 ARRAY['system_id', 'maintenance_id'],
                 'index maintenance_systems_system_id on (system_id, maintenance_id)');
SELECT has_index('maintenance', 'maintenance_updates', 'maintenance_updates_timeline',
                 ARRAY['maintenance_id', '"position"'],
                 'index maintenance_updates_timeline on (maintenance_id, position)');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index
            WHERE indexrelid = to_regclass('maintenance.maintenances_due_to_start')),
          '(status = ''scheduled''::maintenance.status)',
          'maintenances_due_to_start is partial: only scheduled rows');
SELECT is((SELECT pg_get_expr(indpred, indrelid) FROM pg_index
            WHERE indexrelid = to_regclass('maintenance.maintenances_due_to_complete')),
          '(status = ''in_progress''::maintenance.status)',
          'maintenances_due_to_complete is partial: only in-progress rows');
SELECT is((SELECT pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indexrelid = to_regclass('maintenance.maintenances_active_systems')),
          'CREATE INDEX maintenances_active_systems ON maintenance.maintenances USING gin (system_ids) '
          'WHERE (status = ANY (ARRAY[''scheduled''::maintenance.status, ''in_progress''::maintenance.status]))',
          'maintenances_active_systems: GIN on system_ids of the scheduled and in-progress rows only');
SELECT is((SELECT pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indexrelid = to_regclass('maintenance.maintenances_suppressing_systems')),
          'CREATE INDEX maintenances_suppressing_systems ON maintenance.maintenances USING gin (system_ids) '
          'WITH (fastupdate=off) WHERE ((status = ''in_progress''::maintenance.status) AND suppress_notifications)',
          'maintenances_suppressing_systems: GIN on system_ids of the in-progress rows that suppress notifications only');
SELECT is((SELECT pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indexrelid = to_regclass('maintenance.maintenances_series_occurrence')),
          'CREATE UNIQUE INDEX maintenances_series_occurrence ON maintenance.maintenances '
          'USING btree (series_id, occurrence_start) WHERE (series_id IS NOT NULL)',
          'maintenances_series_occurrence: an occurrence is unique per series and original local start');
SELECT is((SELECT pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indexrelid = to_regclass('maintenance.series_materialize_at')),
          'CREATE INDEX series_materialize_at ON maintenance.series USING btree (materialize_at) '
          'WHERE ((ended_at IS NULL) AND (materialize_at IS NOT NULL))',
          'series_materialize_at holds only the series that have occurrences to create');
SELECT triggers_are('maintenance', 'maintenance_systems',
    ARRAY['maintenance_systems_sync_insert', 'maintenance_systems_sync_update',
          'maintenance_systems_sync_delete', 'maintenance_systems_sync_truncate',
          'maintenance_systems_windows_insert', 'maintenance_systems_windows_update',
          'maintenance_systems_windows_delete', 'maintenance_systems_windows_truncate'],
    'maintenance_systems has the triggers that keep maintenances.system_ids and maintenance_windows');
SELECT is(
    ARRAY(SELECT indexrelid::regclass::text FROM pg_index
           WHERE indrelid = 'maintenance.maintenances'::regclass AND indpred IS NOT NULL
           ORDER BY 1),
    ARRAY['maintenance.maintenances_active_systems', 'maintenance.maintenances_due_to_complete',
          'maintenance.maintenances_due_to_start', 'maintenance.maintenances_series_occurrence',
          'maintenance.maintenances_suppressing_systems'],
    'only the two sweep indexes, the active systems index, the occurrence index and the suppressing systems index are partial');

-- The planner uses them.  A realistic table: 10000 maintenances, 1% still
-- scheduled, 1% in progress, the rest completed, each on two of 1000
-- systems and with two updates, and its statistics (the rows and the
-- statistics of ANALYZE roll back with the test; pg_class.reltuples does
-- not, which only touches the planner's guesses in this test database).
INSERT INTO maintenance.maintenances (id, title, status, start_at, end_at)
SELECT ('10000000-0000-0000-0000-' || lpad(to_hex(n), 12, '0'))::uuid, 'bulk ' || n,
       CASE n % 100 WHEN 0 THEN 'scheduled' WHEN 1 THEN 'in_progress' ELSE 'completed' END::maintenance.status,
       '2020-01-01Z'::timestamptz + n * interval '1 hour',
       '2020-01-01Z'::timestamptz + n * interval '1 hour' + interval '2 hours'
  FROM generate_series(1, 10000) AS n;
INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
SELECT ('10000000-0000-0000-0000-' || lpad(to_hex(n), 12, '0'))::uuid, 'sys-' || ((n + k * 7) % 1000)
  FROM generate_series(1, 10000) AS n, generate_series(0, 1) AS k;
INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
SELECT ('10000000-0000-0000-0000-' || lpad(to_hex(n), 12, '0'))::uuid, 'note ' || k
  FROM generate_series(1, 10000) AS n, generate_series(1, 2) AS k;
ANALYZE maintenance.maintenances;
ANALYZE maintenance.maintenance_systems;
ANALYZE maintenance.maintenance_updates;

-- The plan of a statement, its parameters typed: a generic plan (as saved
-- SPI plans and SQL function bodies get), or one made for the values given
-- (as PL/pgSQL's EXECUTE ... USING gets).
CREATE FUNCTION pg_temp.plan_of(stmt text, argtypes text, args text, generic boolean DEFAULT true)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    PERFORM set_config('plan_cache_mode',
                       CASE WHEN generic THEN 'force_generic_plan' ELSE 'force_custom_plan' END, true);
    EXECUTE format('PREPARE tap_plan(%s) AS %s', argtypes, stmt);
    EXECUTE format('EXPLAIN (FORMAT JSON) EXECUTE tap_plan(%s)', args) INTO plan;
    DEALLOCATE tap_plan;
    PERFORM set_config('plan_cache_mode', 'auto', true);
    RETURN plan::jsonb;
END
$$;

-- The query of a read function (a PL/pgSQL body of one RETURN QUERY, or of
-- one RETURN of an expression), its parameters (written
-- function.parameter) replaced by $1, $2, ...
CREATE FUNCTION pg_temp.body_of(fn regprocedure) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    p pg_proc;
    src text;
    parts text[];
BEGIN
    SELECT * INTO p FROM pg_proc WHERE oid = fn;
    parts := regexp_match(p.prosrc, '^\s*BEGIN\s+RETURN\s+(QUERY\s+)?(.*);\s*END\s*$');
    src := CASE WHEN parts[1] IS NULL THEN 'SELECT ' ELSE '' END || parts[2];
    FOR i IN 1 .. p.pronargs LOOP
        src := replace(src, p.proname || '.' || p.proargnames[i], '$' || i);
    END LOOP;
    RETURN src;
END
$$;

CREATE FUNCTION pg_temp.indexes_used(plan jsonb) RETURNS text[] LANGUAGE sql AS $$
    SELECT ARRAY(SELECT DISTINCT i #>> '{}' FROM jsonb_path_query(plan, 'strict $.**."Index Name"') AS i ORDER BY 1)
$$;
CREATE FUNCTION pg_temp.seq_scans(plan jsonb) RETURNS text[] LANGUAGE sql AS $$
    SELECT ARRAY(SELECT DISTINCT r #>> '{}'
                   FROM jsonb_path_query(plan, 'strict $.** ? (@."Node Type" == "Seq Scan")."Relation Name"') AS r
                  ORDER BY 1)
$$;

-- The sweep's claims, copied from src/transitions.c (keep them in step):
-- as_of, then the (time, id) of the last row of the previous batch, then
-- the batch size, with EVENT_ROW_COLUMNS of src/maintenance.h (0.2.0:
-- SYSTEM_IDS_OF_M is the column m.system_ids).
CREATE TEMP TABLE plans (name text PRIMARY KEY, plan jsonb);
INSERT INTO plans VALUES ('start claim', pg_temp.plan_of($q$
    SELECT m.id, m.start_at, m.id::pg_catalog.text, m.title, m.description, m.suppress_notifications,
           m.status::pg_catalog.text, m.start_at, m.end_at,
           m.system_ids
      FROM maintenance.maintenances m
     WHERE m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status
       AND m.start_at OPERATOR(pg_catalog.<=) $1
       AND (m.start_at, m.id) OPERATOR(pg_catalog.>) ($2, $3)
     ORDER BY m.start_at, m.id LIMIT $4
       FOR NO KEY UPDATE OF m SKIP LOCKED$q$,
    'timestamptz, timestamptz, uuid, int4',
    $$'2030-01-01Z', '-infinity', '00000000-0000-0000-0000-000000000000', 1000$$));
INSERT INTO plans VALUES ('reminders claim', pg_temp.plan_of($q$
    SELECT r.maintenance_id, r.remind_at, r.remind_before, m.id::pg_catalog.text, m.title, m.description,
           m.suppress_notifications, m.status::pg_catalog.text, m.start_at, m.end_at, m.system_ids
      FROM maintenance.maintenance_reminders r
      JOIN maintenance.maintenances m ON m.id OPERATOR(pg_catalog.=) r.maintenance_id
     WHERE r.sent_at IS NULL AND r.remind_at OPERATOR(pg_catalog.<=) $1
       AND (r.remind_at, r.maintenance_id, r.remind_before) OPERATOR(pg_catalog.>) ($2, $3, $4)
       AND m.status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status
       AND m.start_at OPERATOR(pg_catalog.=) r.start_at AND m.start_at OPERATOR(pg_catalog.>) $1
     ORDER BY r.remind_at, r.maintenance_id, r.remind_before LIMIT $5
       FOR NO KEY UPDATE OF r SKIP LOCKED FOR SHARE OF m SKIP LOCKED$q$,
    'timestamptz, timestamptz, uuid, interval, int4',
    $$'2030-01-01Z', '-infinity', '00000000-0000-0000-0000-000000000000', '0', 1000$$));
INSERT INTO plans VALUES ('complete claim', pg_temp.plan_of($q$
    SELECT m.id, m.end_at, m.id::pg_catalog.text, m.title, m.description, m.suppress_notifications,
           m.status::pg_catalog.text, m.start_at, m.end_at,
           m.system_ids
      FROM maintenance.maintenances m
     WHERE m.status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status
       AND m.end_at OPERATOR(pg_catalog.<=) $1
       AND (m.end_at, m.id) OPERATOR(pg_catalog.>) ($2, $3)
     ORDER BY m.end_at, m.id LIMIT $4
       FOR NO KEY UPDATE OF m SKIP LOCKED$q$,
    'timestamptz, timestamptz, uuid, int4',
    $$'2030-01-01Z', '-infinity', '00000000-0000-0000-0000-000000000000', 1000$$));
INSERT INTO plans VALUES ('get_maintenances_for_system', pg_temp.plan_of(
    pg_temp.body_of('maintenance.get_maintenances_for_system(text)'), 'text', $$'sys-5'$$));
SELECT ok(pg_temp.indexes_used(plan) @> ARRAY['maintenances_due_to_start'],
          'the start claim of the sweep probes maintenances_due_to_start')
  FROM plans WHERE name = 'start claim';
SELECT is(pg_temp.seq_scans(plan), '{}', 'the start claim scans no table sequentially')
  FROM plans WHERE name = 'start claim';
SELECT ok(pg_temp.indexes_used(plan) @> ARRAY['maintenance_reminders_due'],
          'the reminders claim probes maintenance_reminders_due')
  FROM plans WHERE name = 'reminders claim';
SELECT is(pg_temp.seq_scans(plan), '{}', 'the reminders claim scans no table sequentially')
  FROM plans WHERE name = 'reminders claim';
SELECT ok(pg_temp.indexes_used(plan) @> ARRAY['maintenances_due_to_complete'],
          'the complete claim of the sweep probes maintenances_due_to_complete')
  FROM plans WHERE name = 'complete claim';
SELECT is(pg_temp.seq_scans(plan), '{}', 'the complete claim scans no table sequentially')
  FROM plans WHERE name = 'complete claim';
SELECT ok(pg_temp.indexes_used(plan) @> ARRAY['maintenances_active_systems'],
          'get_maintenances_for_system probes maintenances_active_systems, not the history')
  FROM plans WHERE name = 'get_maintenances_for_system';
SELECT is(pg_temp.seq_scans(plan), '{}', 'get_maintenances_for_system scans no table sequentially')
  FROM plans WHERE name = 'get_maintenances_for_system';
-- get_maintenance, get_maintenance_updates and
-- has_active_maintenance_with_suppression scan one index each, directly, in C
-- (src/reads.c, no plan to look at): what one call reads is counted instead,
-- as this transaction's scans of the table and of each of its indexes.
CREATE FUNCTION pg_temp.scans_by(call text, tbl regclass) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    before jsonb;
    after jsonb;
BEGIN
    SELECT jsonb_object_agg(c.relname, pg_stat_get_xact_numscans(c.oid)) INTO before
      FROM pg_class c WHERE c.oid = tbl OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = tbl);
    EXECUTE call;
    SELECT jsonb_object_agg(c.relname, pg_stat_get_xact_numscans(c.oid)) INTO after
      FROM pg_class c WHERE c.oid = tbl OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = tbl);
    RETURN ARRAY(SELECT k || ' ' || ((after ->> k)::bigint - (before ->> k)::bigint)
                   FROM jsonb_object_keys(after) AS k
                  WHERE after -> k <> before -> k ORDER BY 1);
END
$$;
SELECT is(pg_temp.scans_by($$SELECT maintenance.has_active_maintenance_with_suppression('sys-5')$$,
                           'maintenance.maintenances'),
          ARRAY['maintenances_suppressing_systems 1'],
          'has_active_maintenance_with_suppression probes maintenances_suppressing_systems once and reads no other index and no table sequentially');
SELECT is(pg_temp.scans_by($$SELECT maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "sys-5"}')$$,
                           'maintenance.maintenances'),
          ARRAY['maintenances_suppressing_systems 1'],
          'rpc hasActiveMaintenanceWithSuppression probes maintenances_suppressing_systems once and nothing else');
SELECT is(pg_temp.scans_by($$SELECT maintenance.get_maintenance('10000000-0000-0000-0000-000000000001')$$,
                           'maintenance.maintenances'),
          ARRAY['maintenances_pkey 1'],
          'get_maintenance probes maintenances_pkey once and nothing else');
SELECT is(pg_temp.scans_by($$SELECT count(*) FROM maintenance.get_maintenance_updates('10000000-0000-0000-0000-000000000001')$$,
                           'maintenance.maintenance_updates'),
          ARRAY['maintenance_updates_timeline 1'],
          'get_maintenance_updates reads the timeline through maintenance_updates_timeline once and nothing else');

-- The bulk read: one probe of the active systems index per system asked,
-- whatever the number of systems (a generic plan, as its SQL body gets).
INSERT INTO plans VALUES ('get_bulk_maintenances_for_systems', pg_temp.plan_of(
    pg_temp.body_of('maintenance.get_bulk_maintenances_for_systems(text[])'), 'text[]',
    $$'{sys-5,sys-6}'$$));
SELECT ok(pg_temp.indexes_used(plan) @> ARRAY['maintenances_active_systems'],
          'get_bulk_maintenances_for_systems probes maintenances_active_systems')
  FROM plans WHERE name = 'get_bulk_maintenances_for_systems';
SELECT is(pg_temp.seq_scans(plan), '{}', 'get_bulk_maintenances_for_systems scans no table sequentially')
  FROM plans WHERE name = 'get_bulk_maintenances_for_systems';

/* ---------------------------------------------------------------------
 * pg_dump carries the rows: every table and both sequences are
 * extension config objects, dumped whole.
 * ------------------------------------------------------------------ */

SELECT set_eq(
    $$SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'maintenance'$$,
    ARRAY['maintenance.maintenances', 'maintenance.maintenance_systems',
          'maintenance.maintenance_updates', 'maintenance.events', 'maintenance.event_consumers',
          'maintenance.webhook_failures', 'maintenance.series', 'maintenance.series_deleted_occurrences',
          'maintenance.maintenance_updates_position_seq', 'maintenance.events_id_seq'],
    'pg_extension.extconfig holds every table and both sequences');
SELECT is(
    (SELECT array_agg(DISTINCT c) FROM pg_extension, unnest(extcondition) AS c WHERE extname = 'maintenance'),
    ARRAY[''], 'config tables are dumped with all their rows (no WHERE condition)');

/* ---------------------------------------------------------------------
 * Functions: the set, and each API function's signature (named
 * parameters with defaults, result), language and volatility.
 * ------------------------------------------------------------------ */

SELECT functions_are('maintenance', ARRAY[
    'create_maintenance', 'update_maintenance', 'add_update', 'close_maintenance', 'delete_maintenance',
    'list_maintenances', 'get_maintenance', 'get_maintenance_updates', 'get_maintenances_for_system',
    'get_bulk_maintenances_for_systems', 'has_active_maintenance_with_suppression',
    'run_transitions', 'schedule_transitions', 'unschedule_transitions', 'on_ddl_command_start',
    'rpc', 'rpc_field', 'rpc_text', 'rpc_boolean', 'rpc_text_array', 'rpc_uuid', 'rpc_timestamptz',
    'rpc_status', 'rpc_check_fields', 'rpc_sql', 'rpc_read', 'maintenance_json', 'maintenances_json',
    'update_json', 'iso_time',
    'replay_horizon', 'event_retention', 'event_envelope', 'get_event', 'replay_events',
    'checked_bulk_system_ids', 'check_consumer_name',
    'register_consumer', 'unregister_consumer', 'ack_events', 'replay_events_for', 'prune_events',
    'schedule_event_pruning', 'unschedule_event_pruning', 'sync_system_ids', 'schedule_job', 'unschedule_job',
    'record_webhook_failure', 'list_webhook_failures', 'resolve_webhook_failure',
    -- 0.4.0: maintenance time for SLAs, the calendar
    'window_key', 'refresh_windows', 'refresh_windows_of_update', 'refresh_windows_of_systems',
    'under_maintenance', 'coverage_max_systems', 'coverage', 'coverage_json',
    'count_schedule_change', 'calendar_max_maintenances', 'calendar_check_size', 'calendar_rows', 'calendar',
    -- 0.4.0: reminders
    'arm_reminders', 'duration_iso', 'rpc_duration', 'rpc_duration_array',
    -- 0.4.0: recurring windows
    'create_series', 'update_series', 'delete_series', 'get_series', 'list_series',
    'get_series_occurrences', 'preview_series', 'remember_deleted_occurrence',
    'mark_overridden_occurrence', 'local_time_iso', 'series_json',
    'rpc_local_time', 'rpc_local_time_array', 'rpc_integer', 'rpc_series',
    -- 0.4.0: series in the calendar
    'count_rule_change', 'calendar_series_rows', 'calendar_override_rows']);

CREATE TEMP TABLE expected_functions (
    fn text PRIMARY KEY,		-- regprocedure text
    arguments text NOT NULL,	-- pg_get_function_arguments
    result text NOT NULL,		-- pg_get_function_result
    lang name NOT NULL,
    volatility text NOT NULL,
    ord serial
);
INSERT INTO expected_functions (fn, arguments, result, lang, volatility) VALUES
    ('maintenance.create_maintenance(text,timestamp with time zone,timestamp with time zone,text[],text,boolean,interval[])',
     'title text, start_at timestamp with time zone, end_at timestamp with time zone, system_ids text[], '
     'description text DEFAULT NULL::text, suppress_notifications boolean DEFAULT false, '
     'reminders interval[] DEFAULT ''{}''::interval[]',
     'maintenance.maintenances_with_systems', 'c', 'volatile'),
    ('maintenance.update_maintenance(uuid,text,text,boolean,timestamp with time zone,timestamp with time zone,text[],boolean,interval[])',
     'id uuid, title text DEFAULT NULL::text, description text DEFAULT NULL::text, '
     'suppress_notifications boolean DEFAULT NULL::boolean, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
     'end_at timestamp with time zone DEFAULT NULL::timestamp with time zone, system_ids text[] DEFAULT NULL::text[], '
     'clear_description boolean DEFAULT false, reminders interval[] DEFAULT NULL::interval[]',
     'maintenance.maintenances_with_systems', 'c', 'volatile'),
    ('maintenance.add_update(uuid,text,maintenance.status,text)',
     'maintenance_id uuid, message text, status_change maintenance.status DEFAULT NULL::maintenance.status, '
     'created_by text DEFAULT NULL::text',
     'maintenance.maintenance_updates', 'c', 'volatile'),
    ('maintenance.close_maintenance(uuid,text,text)',
     'id uuid, message text DEFAULT NULL::text, created_by text DEFAULT NULL::text',
     'maintenance.maintenances_with_systems', 'c', 'volatile'),
    ('maintenance.delete_maintenance(uuid)', 'id uuid', 'boolean', 'c', 'volatile'),
    ('maintenance.list_maintenances(maintenance.status,text)',
     'status maintenance.status DEFAULT NULL::maintenance.status, system_id text DEFAULT NULL::text',
     'SETOF maintenance.maintenances_with_systems', 'plpgsql', 'stable'),
    ('maintenance.get_maintenance(uuid)', 'id uuid', 'maintenance.maintenances_with_systems', 'c', 'stable'),
    ('maintenance.get_maintenance_updates(uuid)', 'maintenance_id uuid',
     'SETOF maintenance.maintenance_updates', 'c', 'stable'),
    ('maintenance.get_maintenances_for_system(text)', 'system_id text',
     'SETOF maintenance.maintenances_with_systems', 'plpgsql', 'stable'),
    ('maintenance.get_bulk_maintenances_for_systems(text[])', 'system_ids text[]',
     'TABLE(system_id text, maintenances maintenance.maintenances_with_systems[])', 'plpgsql', 'stable'),
    ('maintenance.has_active_maintenance_with_suppression(text)', 'system_id text', 'boolean', 'c', 'stable'),
    ('maintenance.run_transitions(timestamp with time zone)',
     'as_of timestamp with time zone DEFAULT NULL::timestamp with time zone, '
     'OUT started integer, OUT completed integer, OUT failed integer, OUT reminded integer, OUT created integer',
     'record', 'c', 'volatile'),
    ('maintenance.schedule_transitions(text)', 'schedule text DEFAULT ''* * * * *''::text', 'bigint',
     'plpgsql', 'volatile'),
    ('maintenance.unschedule_transitions()', '', 'boolean', 'plpgsql', 'volatile'),
    ('maintenance.rpc(text,jsonb)', 'method text, input jsonb DEFAULT ''{}''::jsonb', 'jsonb',
     'c', 'volatile'),
    ('maintenance.maintenance_json(maintenance.maintenances_with_systems)',
     'm maintenance.maintenances_with_systems', 'jsonb', 'c', 'immutable'),
    ('maintenance.update_json(maintenance.maintenance_updates)', 'u maintenance.maintenance_updates',
     'jsonb', 'c', 'immutable'),
    ('maintenance.iso_time(timestamp with time zone)', 'ts timestamp with time zone', 'text', 'c', 'immutable'),
    ('maintenance.duration_iso(interval)', 'd interval', 'text', 'c', 'immutable'),
    ('maintenance.record_webhook_failure(bigint,text,integer,integer,text)',
     'event_id bigint, url text, attempts integer, last_status integer, last_error text',
     'void', 'plpgsql', 'volatile'),
    ('maintenance.list_webhook_failures(text)', 'url text DEFAULT NULL::text',
     'SETOF maintenance.webhook_failures', 'sql', 'stable'),
    ('maintenance.resolve_webhook_failure(bigint,text)', 'event_id bigint, url text', 'boolean', 'sql', 'volatile'),
    ('maintenance.create_series(text,text[],text,text,timestamp without time zone,interval,text,boolean,timestamp without time zone[],interval[])',
     'title text, system_ids text[], rrule text, time_zone text, first_start timestamp without time zone, '
     'duration interval, description text DEFAULT NULL::text, suppress_notifications boolean DEFAULT false, '
     'exdates timestamp without time zone[] DEFAULT ''{}''::timestamp without time zone[], '
     'reminders interval[] DEFAULT ''{}''::interval[]',
     'maintenance.series', 'c', 'volatile'),
    ('maintenance.update_series(uuid,text,text,boolean,text[],text,text,timestamp without time zone,interval,timestamp without time zone[],interval[],boolean)',
     'id uuid, title text DEFAULT NULL::text, description text DEFAULT NULL::text, '
     'suppress_notifications boolean DEFAULT NULL::boolean, system_ids text[] DEFAULT NULL::text[], '
     'rrule text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, '
     'first_start timestamp without time zone DEFAULT NULL::timestamp without time zone, '
     'duration interval DEFAULT NULL::interval, '
     'exdates timestamp without time zone[] DEFAULT NULL::timestamp without time zone[], '
     'reminders interval[] DEFAULT NULL::interval[], clear_description boolean DEFAULT false',
     'maintenance.series', 'c', 'volatile'),
    ('maintenance.delete_series(uuid)', 'id uuid', 'boolean', 'c', 'volatile'),
    ('maintenance.get_series(uuid)', 'id uuid', 'maintenance.series', 'sql', 'stable'),
    ('maintenance.list_series(text)', 'system_id text DEFAULT NULL::text', 'SETOF maintenance.series', 'sql', 'stable'),
    ('maintenance.get_series_occurrences(uuid)', 'series_id uuid',
     'SETOF maintenance.maintenances_with_systems', 'sql', 'stable'),
    ('maintenance.preview_series(text,text,timestamp without time zone,interval,timestamp without time zone[],timestamp with time zone,integer)',
     'rrule text, time_zone text, first_start timestamp without time zone, duration interval, '
     'exdates timestamp without time zone[] DEFAULT ''{}''::timestamp without time zone[], '
     'from_time timestamp with time zone DEFAULT NULL::timestamp with time zone, count integer DEFAULT 10',
     'TABLE(start_at timestamp with time zone, end_at timestamp with time zone)', 'c', 'stable'),
    ('maintenance.preview_series(uuid,timestamp with time zone,integer)',
     'id uuid, from_time timestamp with time zone DEFAULT NULL::timestamp with time zone, count integer DEFAULT 10',
     'TABLE(start_at timestamp with time zone, end_at timestamp with time zone)', 'sql', 'stable'),
    ('maintenance.series_json(maintenance.series)', 's maintenance.series', 'jsonb', 'sql', 'immutable');

CREATE FUNCTION pg_temp.function_ok(e expected_functions) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    f regprocedure := to_regprocedure(e.fn);
    short text := regexp_replace(e.fn, '\(.*', '()');
BEGIN
    RETURN NEXT ok(f IS NOT NULL, short || ' exists with argument types ' || substring(e.fn FROM '\(.*'));
    RETURN NEXT is(pg_get_function_arguments(f), e.arguments, short || ' has named parameters ' || e.arguments);
    RETURN NEXT is(pg_get_function_result(f), e.result, short || ' returns ' || e.result);
    RETURN NEXT is((SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = f),
                   e.lang, short || ' is written in ' || e.lang);
    RETURN NEXT is((SELECT CASE provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END
                      FROM pg_proc WHERE oid = f),
                   e.volatility, short || ' is ' || e.volatility);
END
$$;

-- 30 functions x 5 tests.
SELECT pg_temp.function_ok(e) FROM expected_functions e ORDER BY e.ord;

/* ---------------------------------------------------------------------
 * Elevated rights pin search_path.
 * ------------------------------------------------------------------ */

SELECT set_eq(
    $$SELECT proname::text FROM pg_proc WHERE pronamespace = 'maintenance'::regnamespace AND prosecdef$$,
    ARRAY['create_maintenance', 'update_maintenance', 'add_update', 'close_maintenance', 'delete_maintenance',
          'run_transitions', 'list_maintenances', 'get_maintenance', 'get_maintenance_updates',
          'get_maintenances_for_system', 'get_bulk_maintenances_for_systems',
          'has_active_maintenance_with_suppression', 'rpc_read', 'get_event', 'replay_events', 'replay_events_for',
          'register_consumer', 'unregister_consumer', 'ack_events', 'prune_events', 'sync_system_ids',
          'record_webhook_failure', 'list_webhook_failures', 'resolve_webhook_failure',
          'under_maintenance', 'coverage', 'calendar_rows', 'calendar',
          'refresh_windows', 'refresh_windows_of_update', 'refresh_windows_of_systems', 'arm_reminders',
          'create_series', 'update_series', 'delete_series', 'get_series', 'list_series',
          'get_series_occurrences', 'preview_series', 'remember_deleted_occurrence',
          'calendar_series_rows', 'calendar_override_rows'],
    'the SECURITY DEFINER functions are the API reads (rpc''s too) and writes, the event consumers'' and webhook listeners'' functions, the triggers that keep maintenances.system_ids, maintenance_windows and maintenance_reminders, and that which remembers deleted occurrences');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text
        FROM pg_proc p
       WHERE p.pronamespace = 'maintenance'::regnamespace
         AND p.prosecdef
         AND NOT coalesce('search_path=pg_catalog, maintenance, pg_temp' = ANY (p.proconfig), false)$$,
    'every SECURITY DEFINER function has proconfig search_path=pg_catalog, maintenance, pg_temp');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = 'maintenance'::regnamespace
         AND l.lanname IN ('sql', 'plpgsql')
         AND NOT coalesce('search_path=pg_catalog, maintenance, pg_temp' = ANY (p.proconfig), false)$$,
    'every SQL and PL/pgSQL function of the extension pins the same search_path');

SELECT * FROM finish();
ROLLBACK;
