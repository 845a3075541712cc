-- reads: list_maintenances, get_maintenance(+updates), get_maintenances_for_system,
-- get_bulk_maintenances_for_systems, has_active_maintenance_with_suppression
-- and their rpc methods.  Lists are ordered by start_at, then id.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- Fixtures inserted directly with fixed ids, so that order by id is visible:
-- "e" and "a" start at the same time and e's id is the smaller.
INSERT INTO ids VALUES
  ('a', 'f0000000-0000-4000-8000-00000000000a'), ('b', '20000000-0000-4000-8000-00000000000b'),
  ('c', '30000000-0000-4000-8000-00000000000c'), ('d', '40000000-0000-4000-8000-00000000000d'),
  ('e', '10000000-0000-4000-8000-00000000000e'), ('f', '60000000-0000-4000-8000-00000000000f');
INSERT INTO maintenance.maintenances (id, title, suppress_notifications, status, start_at, end_at)
SELECT pg_temp.id(n), title, suppress, status::maintenance.status, start_at, end_at
  FROM (VALUES
    ('a', 'A scheduled, suppressing', true,  'scheduled',   '2031-07-01 10:00+00'::timestamptz, '2031-07-01 12:00+00'::timestamptz),
    ('b', 'B running, suppressing',   true,  'in_progress', '2031-06-30 08:00+00', '2031-07-02 08:00+00'),
    ('c', 'C completed, suppressing', true,  'completed',   '2031-06-01 08:00+00', '2031-06-01 09:00+00'),
    ('d', 'D cancelled',              false, 'cancelled',   '2031-06-15 08:00+00', '2031-06-15 09:00+00'),
    ('e', 'E scheduled',              false, 'scheduled',   '2031-07-01 10:00+00', '2031-07-01 11:00+00'),
    ('f', 'F running',                false, 'in_progress', '2031-07-02 00:00+00', '2031-07-03 00:00+00')
  ) AS v(n, title, suppress, status, start_at, end_at);
INSERT INTO maintenance.maintenance_systems
SELECT pg_temp.id(n), s FROM (VALUES
    ('a', 'api'), ('a', 'db'), ('b', 'api'), ('c', 'api'), ('c', 'web'),
    ('d', 'db'), ('e', 'web'), ('f', 'cache')) AS v(n, s);

-- Every maintenance: by start_at, then id.
SELECT id, title, status, start_at, system_ids FROM maintenance.list_maintenances();
-- Filtered by status, by system, by both.
SELECT s AS status, array_agg(pg_temp.mask(l.id::text) ORDER BY o) AS found
  FROM unnest(enum_range(NULL::maintenance.status)) AS s,
       LATERAL maintenance.list_maintenances(status => s) WITH ORDINALITY AS l(id, title, description, suppress_notifications, status, start_at, end_at, created_at, updated_at, system_ids, o)
 GROUP BY s ORDER BY s;
SELECT pg_temp.mask(id::text) AS id, title FROM maintenance.list_maintenances(system_id => 'api');
SELECT pg_temp.mask(id::text) AS id, title FROM maintenance.list_maintenances('scheduled', 'api');
SELECT pg_temp.mask(id::text) AS id, title FROM maintenance.list_maintenances(system_id => 'nothing');

-- Through rpc: {maintenances: [...]}, in the same order.
SELECT pg_temp.mask(maintenance.rpc('listMaintenances')::text);
SELECT pg_temp.mask(maintenance.rpc('listMaintenances', '{"status": "in_progress"}')::text);
SELECT pg_temp.mask(maintenance.rpc('listMaintenances', '{"systemId": "db"}')::text);
SELECT pg_temp.mask(maintenance.rpc('listMaintenances', '{"status": "cancelled", "systemId": "api"}')::text);
SELECT pg_temp.mask(maintenance.rpc('listMaintenances', NULL)::text);

-- One maintenance.  Unknown: a null row, and JSON null through rpc.
SELECT pg_temp.mask(id::text) AS id, title, status, system_ids FROM maintenance.get_maintenance(pg_temp.id('a'));
SELECT get_maintenance IS NULL AS is_null
  FROM maintenance.get_maintenance('00000000-0000-0000-0000-000000000000');
SELECT maintenance.rpc('getMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}');
SELECT jsonb_typeof(maintenance.rpc('getMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}'));
-- No updates yet: "updates" is an empty array.
SELECT pg_temp.mask(maintenance.rpc('getMaintenance', jsonb_build_object('id', pg_temp.id('e')))::text);

-- The timeline is in the order of writing, also for updates written in one
-- transaction (same created_at); the messages are not in alphabetical order.
BEGIN;
SELECT message FROM maintenance.add_update(pg_temp.id('e'), 'zulu: first');
SELECT message FROM maintenance.add_update(pg_temp.id('e'), 'alpha: second', created_by => 'alice');
SELECT message FROM maintenance.add_update(pg_temp.id('e'), 'mike: third', 'in_progress');
SELECT message FROM maintenance.add_update(pg_temp.id('e'), 'bravo: fourth');
COMMIT;
SELECT message FROM maintenance.add_update(pg_temp.id('e'), 'charlie: fifth, later');
SELECT message, status_change, created_by, maintenance_id = pg_temp.id('e') AS same_maintenance
  FROM maintenance.get_maintenance_updates(pg_temp.id('e'));
SELECT count(*) FROM maintenance.get_maintenance_updates('00000000-0000-0000-0000-000000000000');
SELECT jsonb_pretty(pg_temp.mask(maintenance.rpc('getMaintenance',
           jsonb_build_object('id', pg_temp.id('e')))::text)::jsonb);

-- For one system: only scheduled and in_progress maintenances, in list order.
SELECT s AS system_id, array(SELECT pg_temp.mask(m.id::text)
                               FROM maintenance.get_maintenances_for_system(s) m) AS found
  FROM unnest(ARRAY['api', 'db', 'web', 'cache', 'nothing']) AS s;
SELECT pg_temp.mask(maintenance.rpc('getMaintenancesForSystem', '{"systemId": "api"}')::text);
SELECT maintenance.rpc('getMaintenancesForSystem', '{"systemId": "nothing"}');

-- For many systems: every asked id is a key, once, even with no maintenance.
SELECT b.system_id, array(SELECT pg_temp.mask((m).id::text) FROM unnest(b.maintenances) AS m) AS found
  FROM maintenance.get_bulk_maintenances_for_systems(ARRAY['web', 'api', 'nothing', 'api', 'db']) AS b;
SELECT pg_temp.mask(maintenance.rpc('getBulkMaintenancesForSystems',
           '{"systemIds": ["web", "nothing", "api", "web"]}')::text);
SELECT jsonb_object_keys(maintenance.rpc('getBulkMaintenancesForSystems',
           '{"systemIds": ["web", "nothing", "api", "web", "db"]}') -> 'maintenances') AS keys
 ORDER BY 1;
SELECT maintenance.rpc('getBulkMaintenancesForSystems', '{"systemIds": []}');

-- Suppression: only an in_progress maintenance with suppress_notifications.
SELECT s AS system_id, maintenance.has_active_maintenance_with_suppression(s) AS suppressed
  FROM unnest(ARRAY['api', 'db', 'web', 'cache', 'nothing']) AS s;
SELECT maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "api"}'),
       maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "cache"}');
-- It follows the status: once b is completed, api is no longer suppressed
-- (a, suppressing too, is only scheduled).
SELECT status FROM maintenance.close_maintenance(pg_temp.id('b'));
SELECT maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "api"}');

DROP EXTENSION maintenance;
