-- create: create_maintenance and the rpc method createMaintenance.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- The typed function: every argument by name.  The result is a row of
-- maintenance.maintenances_with_systems; created_at and updated_at are the
-- time of the creating transaction.
BEGIN;
SELECT pg_temp.label(id, 'full') AS id, title, description, suppress_notifications,
       status, start_at, end_at, system_ids,
       created_at = now() AS created_now, updated_at = now() AS updated_now
  FROM maintenance.create_maintenance(
           title => 'Database upgrade',
           start_at => '2031-03-01 10:00+00',
           end_at => '2031-03-01 12:00+00',
           system_ids => ARRAY['db', 'api'],
           description => 'Upgrade to 16',
           suppress_notifications => true);
COMMIT;

-- Only the four required arguments: no description, notifications not
-- suppressed, status scheduled.
SELECT pg_temp.label(id, 'minimal') AS id, title, description, suppress_notifications,
       status, start_at, end_at, system_ids
  FROM maintenance.create_maintenance('Network check', '2031-03-02 08:00+00',
                                      '2031-03-02 08:30+00', '{net}');

-- Times with any offset are stored as the instant they name.
SELECT pg_temp.label(id, 'offsets') AS id, start_at, end_at
  FROM maintenance.create_maintenance('Offsets', '2031-03-03 12:00+02',
                                      '2031-03-03 09:30-05:30', '{x}');

-- A system id given twice is stored once; system ids are sorted by byte
-- order (collation "C"), whatever the database's collation.
SELECT pg_temp.label(id, 'systems') AS id, system_ids
  FROM maintenance.create_maintenance('Systems', '2031-03-04 00:00+00', '2031-03-04 01:00+00',
           ARRAY['b', 'a', 'B', 'b', '_x', 'Z', '10', '9', 'é', 'a']);
SELECT system_id FROM maintenance.maintenance_systems
 WHERE maintenance_id = pg_temp.id('systems') ORDER BY system_id COLLATE "C";

-- What the table holds matches what create returned.
SELECT name, m.title, m.description, m.suppress_notifications, m.status, m.start_at, m.end_at,
       m.created_at = m.updated_at AS created_is_updated
  FROM ids JOIN maintenance.maintenances m USING (id)
 ORDER BY m.start_at;

-- Creating writes no timeline entry.
SELECT count(*) AS updates FROM maintenance.maintenance_updates;

-- The same through rpc: the result is MaintenanceWithSystems, createdAt and
-- updatedAt the time of the transaction.  An optional field that is null
-- (description) is left out of the JSON.
SELECT pg_temp.mask(r::text),
       r ->> 'createdAt' = maintenance.iso_time(now()) AND r ->> 'updatedAt' = maintenance.iso_time(now()) AS times_now
  FROM maintenance.rpc('createMaintenance', '{
    "title": "Cache flush",
    "startAt": "2031-03-05T10:00:00.000Z",
    "endAt": "2031-03-05T11:00:00Z",
    "systemIds": ["cache", "api", "cache"]}') AS r;
SELECT pg_temp.mask(maintenance.rpc('createMaintenance', '{
    "title": "Cache flush",
    "description": "Flush everything",
    "suppressNotifications": true,
    "startAt": "2031-03-05T12:00:00+02:00",
    "endAt": "2031-03-05T13:00:00.250+02:00",
    "systemIds": ["cache"]}')::text);
-- "description": null is the same as leaving it out.
SELECT pg_temp.mask(maintenance.rpc('createMaintenance', '{
    "title": "Null description",
    "description": null,
    "startAt": "2031-03-06T10:00:00Z",
    "endAt": "2031-03-06T11:00:00Z",
    "systemIds": ["api"]}')::text);
-- An empty description is a description.
SELECT pg_temp.mask(maintenance.rpc('createMaintenance', '{
    "title": "Empty description",
    "description": "",
    "startAt": "2031-03-06T10:00:00Z",
    "endAt": "2031-03-06T11:00:00Z",
    "systemIds": ["api"]}')::text);

-- Every maintenance created above is there, nothing else.
SELECT title, description, suppress_notifications, status, system_ids
  FROM maintenance.maintenances_with_systems
 ORDER BY start_at, title, description NULLS FIRST;

DROP EXTENSION maintenance;
