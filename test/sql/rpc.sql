-- rpc: maintenance.rpc(method, input) for every method: the exact JSON shapes
-- of the results, the time format, and the 22023 errors of bad input, each
-- naming the field.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- The keys of a JSON object with the JSON type of each value, in key order.
CREATE FUNCTION pg_temp.shape(j jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT CASE jsonb_typeof(j) WHEN 'object' THEN
        (SELECT string_agg(k || ':' || jsonb_typeof(j -> k), ' ' ORDER BY k)
           FROM jsonb_object_keys(j) AS k)
        ELSE jsonb_typeof(j) END
$$;
-- The times in j (any depth): how many, and how many are not in the form
-- of toISOString(), YYYY-MM-DDTHH:MM:SS.mmmZ.
CREATE FUNCTION pg_temp.times(j jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s times, %s malformed', count(*),
                  count(*) FILTER (WHERE m[2] !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$'))
      FROM regexp_matches(j::text, '"(createdAt|updatedAt|startAt|endAt)": "([^"]*)"', 'g') AS m
$$;

-- The session's time zone does not show in the JSON.
SET TimeZone = 'Asia/Kolkata';

-- createMaintenance -> MaintenanceWithSystems.  Offsets are converted to Z.
SELECT pg_temp.label((r ->> 'id')::uuid, 'm') AS id, pg_temp.shape(r),
       r ->> 'startAt' AS "startAt", r ->> 'endAt' AS "endAt",
       r ->> 'createdAt' = r ->> 'updatedAt' AS same_times
  FROM maintenance.rpc('createMaintenance', '{
           "title": "Shapes", "description": "All fields",
           "startAt": "2031-08-01T12:00:00+02:00", "endAt": "2031-08-01T09:30:00.123456-05:30",
           "systemIds": ["s2", "s1"], "suppressNotifications": false}') AS r;
-- Without the optional description the key is absent (not null).
SELECT pg_temp.label((r ->> 'id')::uuid, 'plain') AS id, pg_temp.shape(r)
  FROM maintenance.rpc('createMaintenance', '{
           "title": "Plain", "startAt": "2031-08-02T00:00:00Z",
           "endAt": "2031-08-02T01:00:00Z", "systemIds": ["s1"]}') AS r;

-- Accepted forms of input times: Z or z, an offset with or without colon or
-- minutes, "T", "t" or a space, fractions to microseconds (shown truncated to
-- milliseconds).
SELECT t AS input, maintenance.rpc('updateMaintenance', jsonb_build_object(
           'id', pg_temp.id('plain'), 'startAt', t, 'endAt', '2032-01-01T00:00:00Z')) ->> 'startAt' AS "startAt"
  FROM unnest(ARRAY['2031-08-02T00:00:00Z', '2031-08-02t00:00:00z', '2031-08-02 02:00:00+02',
                    '2031-08-02T02:00:00+0200', '2031-08-01T19:00-05:00', '2031-08-02T00:00:00.999999Z',
                    '2031-08-02T05:45:00.1+05:45', '2031-08-02T00:00:00.000999Z']) AS t;

-- Every timestamp is UTC with milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ".
SELECT pg_temp.mask(maintenance.rpc('getMaintenance', jsonb_build_object('id', pg_temp.id('m')))::text);

-- addUpdate -> MaintenanceUpdate; statusChange and createdBy only when set.
SET maintenance.actor = 'ops@example.com';
SELECT pg_temp.shape(r), r ->> 'maintenanceId' = pg_temp.id('m')::text AS same_maintenance,
       r ->> 'message' AS message, r ->> 'statusChange' AS "statusChange", r ->> 'createdBy' AS "createdBy",
       r ->> 'createdAt' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS time_ok
  FROM maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', pg_temp.id('m'),
           'message', 'Starting', 'statusChange', 'in_progress')) AS r;
RESET maintenance.actor;
SELECT pg_temp.shape(r), r ->> 'message' AS message
  FROM maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', pg_temp.id('m'),
           'message', 'Just a note')) AS r;

-- getMaintenance -> MaintenanceDetail: MaintenanceWithSystems plus updates.
SELECT pg_temp.shape(r) AS detail,
       (SELECT array_agg(pg_temp.shape(u) ORDER BY o) FROM jsonb_array_elements(r -> 'updates') WITH ORDINALITY AS x(u, o)) AS updates,
       pg_temp.times(r)
  FROM maintenance.rpc('getMaintenance', jsonb_build_object('id', pg_temp.id('m'))) AS r;
SELECT maintenance.rpc('getMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}') AS unknown;

-- updateMaintenance and closeMaintenance -> MaintenanceWithSystems.
SELECT pg_temp.shape(maintenance.rpc('updateMaintenance', jsonb_build_object('id', pg_temp.id('m'), 'title', 'Shapes 2')));
SELECT pg_temp.shape(r), r ->> 'status' AS status
  FROM maintenance.rpc('closeMaintenance', jsonb_build_object('id', pg_temp.id('m'), 'message', 'Done')) AS r;

-- The lists and the other results.
SELECT pg_temp.shape(maintenance.rpc('listMaintenances')) AS list,
       pg_temp.shape(maintenance.rpc('listMaintenances') -> 'maintenances' -> 0) AS item,
       pg_temp.times(maintenance.rpc('listMaintenances'));
SELECT pg_temp.shape(maintenance.rpc('getMaintenancesForSystem', '{"systemId": "s1"}')) AS for_system,
       pg_temp.shape(maintenance.rpc('getMaintenancesForSystem', '{"systemId": "s1"}') -> 0) AS item;
SELECT pg_temp.shape(r) AS bulk, pg_temp.shape(r -> 'maintenances') AS by_system,
       pg_temp.shape(r -> 'maintenances' -> 's1' -> 0) AS item
  FROM maintenance.rpc('getBulkMaintenancesForSystems', '{"systemIds": ["s1", "s9"]}') AS r;
SELECT maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "s1"}');
SELECT maintenance.rpc('deleteMaintenance', jsonb_build_object('id', pg_temp.id('m'))) AS first,
       maintenance.rpc('deleteMaintenance', jsonb_build_object('id', pg_temp.id('m'))) AS again;

-- Bad input: 22023, and the message names the field (or the method).
SELECT label, pg_temp.try(format('SELECT maintenance.rpc(%L, %L)', method, input)) AS error
  FROM (VALUES
    ('unknown method', 'getMaintenances', '{}'),
    ('method case', 'listmaintenances', '{}'),
    ('snake_case method', 'list_maintenances', '{}'),
    ('input an array', 'listMaintenances', '[]'),
    ('input a string', 'createMaintenance', '"title"'),
    ('input JSON null', 'listMaintenances', 'null'),
    ('extra key', 'listMaintenances', '{"status": "scheduled", "limit": 10}'),
    ('snake_case key', 'createMaintenance', '{"title": "t", "start_at": "2031-08-01T00:00:00Z"}'),
    ('unknown status', 'listMaintenances', '{"status": "running"}'),
    ('status not a string', 'listMaintenances', '{"status": 1}'),
    ('systemId not a string', 'listMaintenances', '{"systemId": ["a"]}'),
    ('missing id', 'getMaintenance', '{}'),
    ('id null', 'getMaintenance', '{"id": null}'),
    ('id not a uuid', 'getMaintenance', '{"id": "42"}'),
    ('id a number', 'getMaintenance', '{"id": 42}'),
    ('missing systemId', 'getMaintenancesForSystem', '{}'),
    ('missing systemIds', 'getBulkMaintenancesForSystems', '{}'),
    ('systemIds an object', 'getBulkMaintenancesForSystems', '{"systemIds": {"a": 1}}'),
    ('systemIds of numbers', 'getBulkMaintenancesForSystems', '{"systemIds": [1, 2]}'),
    ('systemIds with null', 'getBulkMaintenancesForSystems', '{"systemIds": ["a", null]}'),
    ('missing title', 'createMaintenance', '{"startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('title a number', 'createMaintenance', '{"title": 5, "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('blank title', 'createMaintenance', '{"title": " ", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('description a number', 'createMaintenance', '{"title": "t", "description": 1, "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('suppress a string', 'createMaintenance', '{"title": "t", "suppressNotifications": "yes", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('missing startAt', 'createMaintenance', '{"title": "t", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('missing endAt', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('startAt a number', 'createMaintenance', '{"title": "t", "startAt": 1924992000000, "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('startAt without offset', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('startAt a date', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('startAt no such day', 'createMaintenance', '{"title": "t", "startAt": "2031-02-30T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a"]}'),
    ('endAt infinity', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00Z", "endAt": "infinity", "systemIds": ["a"]}'),
    ('endAt not after startAt', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T02:00:00+02:00", "systemIds": ["a"]}'),
    ('missing systemIds', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z"}'),
    ('systemIds empty', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": []}'),
    ('systemIds a string', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": "a"}'),
    ('systemIds blank', 'createMaintenance', '{"title": "t", "startAt": "2031-08-01T00:00:00Z", "endAt": "2031-08-01T01:00:00Z", "systemIds": ["a", " "]}'),
    ('update without id', 'updateMaintenance', '{"title": "t"}'),
    ('update extra key', 'updateMaintenance', '{"id": "00000000-0000-0000-0000-000000000000", "status": "completed"}'),
    ('addUpdate without maintenanceId', 'addUpdate', '{"message": "m"}'),
    ('addUpdate without message', 'addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000"}'),
    ('addUpdate unknown status', 'addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000", "message": "m", "statusChange": "done"}'),
    ('addUpdate status a boolean', 'addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000", "message": "m", "statusChange": true}'),
    ('addUpdate with createdBy', 'addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000", "message": "m", "createdBy": "x"}'),
    ('close without id', 'closeMaintenance', '{"message": "m"}'),
    ('close message a number', 'closeMaintenance', '{"id": "00000000-0000-0000-0000-000000000000", "message": 1}'),
    ('delete without id', 'deleteMaintenance', '{}'),
    ('suppression without systemId', 'hasActiveMaintenanceWithSuppression', '{}')
  ) AS t(label, method, input);
SELECT pg_temp.try('SELECT maintenance.rpc(NULL, ''{}'')');

-- Unknown ids through rpc: P0002, except getMaintenance (null) and
-- deleteMaintenance (success false).
SELECT label, pg_temp.try(format('SELECT maintenance.rpc(%L, %L)', method, input)) AS error
  FROM (VALUES
    ('updateMaintenance', 'updateMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}'),
    ('addUpdate', 'addUpdate', '{"maintenanceId": "00000000-0000-0000-0000-000000000000", "message": "m"}'),
    ('closeMaintenance', 'closeMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}')
  ) AS t(label, method, input);
SELECT maintenance.rpc('deleteMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}');

-- The refused calls above wrote nothing: only "plain" is left.
SELECT title FROM maintenance.maintenances;

-- Errors name what the caller wrote: rpc() runs with
-- maintenance.argument_names = json (its own SET clause), the typed
-- functions with the session's setting, sql unless set.
SHOW maintenance.argument_names;
SELECT pg_temp.try($$SELECT maintenance.create_maintenance('t', '2031-01-02Z', '2031-01-01Z', ARRAY['a'])$$, true);
SELECT pg_temp.try($$SELECT maintenance.rpc('createMaintenance', '{"title": "t",
    "startAt": "2031-01-02T00:00:00Z", "endAt": "2031-01-01T00:00:00Z", "systemIds": ["a"]}')$$, true);
SELECT pg_temp.try($$SELECT maintenance.add_update('00000000-0000-0000-0000-000000000000', NULL)$$);
SHOW maintenance.argument_names;
SET maintenance.argument_names = json;
SELECT pg_temp.try($$SELECT maintenance.create_maintenance('t', '2031-01-01Z', '2031-01-02Z', ARRAY[NULL])$$);
SELECT pg_temp.try($$SELECT maintenance.add_update(NULL, 'm')$$);
RESET maintenance.argument_names;
SELECT pg_temp.try($$SET maintenance.argument_names = camel$$, true);

DROP EXTENSION maintenance;
