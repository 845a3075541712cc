-- schema: the data model exists, and the tables themselves refuse bad
-- rows, even when a row is inserted directly rather than through the API.
CREATE EXTENSION maintenance;

-- Run a statement; show "SQLSTATE: message" if it fails, "ok" if it does not.
CREATE FUNCTION pg_temp.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    msg text;
BEGIN
    EXECUTE stmt;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN state || ': ' || msg;
END
$$;

-- Control characters as \xNN, so that definitions print on one line.
CREATE FUNCTION pg_temp.visible(t text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(CASE WHEN ascii(c) < 32 THEN '\x' || lpad(to_hex(ascii(c)), 2, '0')
                           ELSE c END, '' ORDER BY i)
      FROM unnest(string_to_array(t, NULL)) WITH ORDINALITY AS x(c, i)
$$;

-- The status type, its labels in order.
SELECT enum_range(NULL::maintenance.status);

-- The tables, the view and their columns.
SELECT c.relname, c.relkind, a.attnum, a.attname,
       format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS "default"
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE n.nspname = 'maintenance' AND c.relkind IN ('r', 'v')
 ORDER BY c.relname, a.attnum;

-- Constraints: keys, foreign keys (ON DELETE CASCADE) and checks.  "Blank"
-- is made of space, tab, newline, carriage return, form feed and vertical tab.
SELECT conrelid::regclass AS "table", conname, contype,
       pg_temp.visible(pg_get_constraintdef(oid)) AS definition
  FROM pg_constraint
 WHERE connamespace = 'maintenance'::regnamespace AND contype <> 't'
 ORDER BY conrelid::regclass::text, conname;

-- Indexes: lists, the transition sweep, the per-system lookup, the timeline.
SELECT indrelid::regclass AS "table", indexrelid::regclass AS index,
       pg_get_indexdef(indexrelid) AS definition
  FROM pg_index
 WHERE indrelid::regclass::text LIKE 'maintenance.%'
 ORDER BY indrelid::regclass::text, indexrelid::regclass::text;

-- pg_dump carries the rows: every table and sequence is an extension config
-- table.
SELECT c::regclass AS dumped
  FROM pg_extension, unnest(extconfig) AS c
 WHERE extname = 'maintenance'
 ORDER BY c::regclass::text;

-- Rows inserted directly, with fixed ids, around the API: the defaults.
BEGIN;
INSERT INTO maintenance.maintenances (id, title, start_at, end_at)
VALUES ('00000000-0000-0000-0000-000000000001', 'Direct',
        '2031-03-01 10:00+00', '2031-03-01 12:00+00');
SELECT title, description, suppress_notifications, status,
       created_at = now() AS created_now, updated_at = now() AS updated_now
  FROM maintenance.maintenances;
COMMIT;

-- The checks on maintenances.
SELECT label, pg_temp.try(stmt) FROM (VALUES
  ('empty title', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                    VALUES ('', '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('blank title', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                    VALUES (E' \t\n\r\f\x0B', '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('vertical tab title', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                           VALUES (E'\x0B', '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('title "v" is not blank', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                               VALUES ('v', '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('null title', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES (NULL, '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('end = start', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                    VALUES ('t', '2031-03-01 10:00+00', '2031-03-01 10:00+00')$$),
  ('end < start', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                    VALUES ('t', '2031-03-01 10:00+00', '2031-03-01 09:59:59.999999+00')$$),
  ('start -infinity', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                        VALUES ('t', '-infinity', '2031-03-01 10:00+00')$$),
  ('end infinity', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                     VALUES ('t', '2031-03-01 10:00+00', 'infinity')$$),
  ('null start', $$INSERT INTO maintenance.maintenances (title, start_at, end_at)
                   VALUES ('t', NULL, '2031-03-01 10:00+00')$$),
  ('unknown status', $$INSERT INTO maintenance.maintenances (title, status, start_at, end_at)
                       VALUES ('t', 'running', '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('duplicate id', $$INSERT INTO maintenance.maintenances (id, title, start_at, end_at)
                     VALUES ('00000000-0000-0000-0000-000000000001', 't',
                             '2031-03-01 10:00+00', '2031-03-01 12:00+00')$$),
  ('end moved before start', $$UPDATE maintenance.maintenances SET end_at = start_at$$)
) AS t(label, stmt);

-- The checks on maintenance_systems.
INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
VALUES ('00000000-0000-0000-0000-000000000001', 'db');
SELECT label, pg_temp.try(stmt) FROM (VALUES
  ('blank system id', $$INSERT INTO maintenance.maintenance_systems VALUES
                        ('00000000-0000-0000-0000-000000000001', E' \t')$$),
  ('empty system id', $$INSERT INTO maintenance.maintenance_systems VALUES
                        ('00000000-0000-0000-0000-000000000001', '')$$),
  ('same system twice', $$INSERT INTO maintenance.maintenance_systems VALUES
                          ('00000000-0000-0000-0000-000000000001', 'db')$$),
  ('unknown maintenance', $$INSERT INTO maintenance.maintenance_systems VALUES
                            ('00000000-0000-0000-0000-000000000009', 'db')$$)
) AS t(label, stmt);

-- The checks on maintenance_updates.
INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
VALUES ('00000000-0000-0000-0000-000000000001', 'note');
SELECT label, pg_temp.try(stmt) FROM (VALUES
  ('blank message', $$INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
                      VALUES ('00000000-0000-0000-0000-000000000001', E'\n ')$$),
  ('null message', $$INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
                     VALUES ('00000000-0000-0000-0000-000000000001', NULL)$$),
  ('unknown maintenance', $$INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
                            VALUES ('00000000-0000-0000-0000-000000000009', 'x')$$),
  ('unknown status change', $$INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change)
                              VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'done')$$)
) AS t(label, stmt);

-- The events outbox takes only the three channels.
SELECT pg_temp.try($$INSERT INTO maintenance.events (channel, name, payload)
                     VALUES ('maintenance_other', 'x', '{}')$$);

-- Deleting a maintenance deletes its systems and its timeline.
SELECT (SELECT count(*) FROM maintenance.maintenance_systems) AS systems,
       (SELECT count(*) FROM maintenance.maintenance_updates) AS updates;
DELETE FROM maintenance.maintenances;
SELECT (SELECT count(*) FROM maintenance.maintenance_systems) AS systems,
       (SELECT count(*) FROM maintenance.maintenance_updates) AS updates;

DROP EXTENSION maintenance;
