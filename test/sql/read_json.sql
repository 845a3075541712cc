-- read_json: the JSON that rpc's reads build in C (src/read_json.c, through
-- maintenance.rpc_read) is the JSON of maintenance_json() for the same row,
-- and both are, to the byte, what the SQL expression of MaintenanceWithSystems
-- gives (doc/api.md "JSON API": description, reminders and seriesId
-- left out when absent), for maintenances with and without each
-- optional member.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

-- MaintenanceWithSystems written as a SQL expression: the reference.
CREATE FUNCTION pg_temp.reference_json(m maintenance.maintenances_with_systems)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN m.id IS NULL THEN 'null'::jsonb ELSE
        jsonb_build_object(
            'id', m.id,
            'title', m.title,
            'suppressNotifications', m.suppress_notifications,
            'status', m.status,
            'startAt', maintenance.iso_time(m.start_at),
            'endAt', maintenance.iso_time(m.end_at),
            'createdAt', maintenance.iso_time(m.created_at),
            'updatedAt', maintenance.iso_time(m.updated_at),
            'systemIds', to_jsonb(m.system_ids))
        || CASE WHEN m.description IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('description', m.description) END
        || CASE WHEN coalesce(cardinality(m.reminders), 0) = 0 THEN '{}'::jsonb
                ELSE jsonb_build_object('reminders',
                         (SELECT jsonb_agg(maintenance.duration_iso(r.lead) ORDER BY r.i)
                            FROM unnest(m.reminders) WITH ORDINALITY AS r(lead, i))) END
        || CASE WHEN m.series_id IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('seriesId', m.series_id) END
    END
$$;

-- Four maintenances of system "rj": neither description nor reminders, both
-- (leads out of order, weeks, days and time), each alone; the last with a
-- timeline entry.
SELECT count(*) AS created FROM (
    SELECT maintenance.create_maintenance('plain', now() + interval '1 day', now() + interval '2 days', '{rj}')
    UNION ALL
    SELECT maintenance.create_maintenance('both', now() + interval '3 days', now() + interval '4 days', '{rj,b}',
               description => E'quote " backslash \\ tab \t é',
               reminders => ARRAY['1 hour 30 minutes', '14 days', '1 day', '1 day 2 hours 3 minutes']::interval[])
    UNION ALL
    SELECT maintenance.create_maintenance('described', now() + interval '5 days', now() + interval '6 days', '{rj}',
               description => '')
    UNION ALL
    SELECT maintenance.create_maintenance('reminded', now() + interval '7 days', now() + interval '8 days', '{rj}',
               suppress_notifications => true, reminders => '{PT5M}')) c;
-- Two occurrences of a series (seriesId), with its description and reminder.
SELECT s.title AS series
  FROM maintenance.create_series('series', '{rj}', 'FREQ=DAILY;COUNT=2', 'UTC',
           date_trunc('minute', (now() + interval '10 days') AT TIME ZONE 'UTC'), interval '1 hour',
           description => 'weekly', reminders => '{PT10M}') s;
SELECT count(*) AS updates
  FROM maintenance.maintenances m,
       LATERAL maintenance.add_update(m.id, 'heads up') u
 WHERE m.title = 'reminded';

-- The members each one has (key order is jsonb's: shorter keys first).
SELECT v.title, (SELECT string_agg(k, ' ') FROM jsonb_object_keys(maintenance.maintenance_json(v)) AS k) AS keys,
       maintenance.maintenance_json(v) -> 'reminders' AS reminders
  FROM maintenance.maintenances_with_systems v ORDER BY v.start_at;

-- maintenance_json(), getMaintenance (without its updates), the
-- maintenance's element in getMaintenancesForSystem and in
-- getBulkMaintenancesForSystems: each the reference's text.
SELECT v.title,
       maintenance.maintenance_json(v)::text = pg_temp.reference_json(v)::text AS maintenance_json,
       (maintenance.rpc('getMaintenance', jsonb_build_object('id', v.id)) - 'updates')::text
           = pg_temp.reference_json(v)::text AS get_maintenance,
       (SELECT e::text FROM jsonb_array_elements(
                maintenance.rpc('getMaintenancesForSystem', '{"systemId": "rj"}')) AS e
         WHERE e ->> 'id' = v.id::text) = pg_temp.reference_json(v)::text AS for_system,
       (SELECT e::text FROM jsonb_array_elements(
                maintenance.rpc('getBulkMaintenancesForSystems', '{"systemIds": ["rj", "b"]}')
                    -> 'maintenances' -> 'rj') AS e
         WHERE e ->> 'id' = v.id::text) = pg_temp.reference_json(v)::text AS bulk
  FROM maintenance.maintenances_with_systems v ORDER BY v.start_at;

-- getMaintenance's updates: the timeline entries of update_json(), in order.
SELECT v.title,
       (maintenance.rpc('getMaintenance', jsonb_build_object('id', v.id)) -> 'updates')::text
           = (SELECT coalesce(jsonb_agg(maintenance.update_json(u) ORDER BY u.position), '[]')::text
                FROM maintenance.get_maintenance_updates(v.id) u) AS updates,
       jsonb_array_length(maintenance.rpc('getMaintenance', jsonb_build_object('id', v.id)) -> 'updates') AS n
  FROM maintenance.maintenances_with_systems v ORDER BY v.start_at;

-- The writes of rpc (rpc_sql, PL/pgSQL) return the JSON that the reads
-- then return: reminders added, then reminders and description cleared.
CREATE TEMP TABLE written AS
SELECT v.title, maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', v.id, 'reminders', '["P1W", "PT1M"]'::jsonb)) AS j
  FROM maintenance.maintenances_with_systems v WHERE v.title = 'plain'
UNION ALL
SELECT v.title, maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', v.id, 'reminders', '[]'::jsonb, 'description', NULL))
  FROM maintenance.maintenances_with_systems v WHERE v.title = 'both';
SELECT w.title,
       w.j::text = (maintenance.rpc('getMaintenance', jsonb_build_object('id', w.j -> 'id'))
                    - 'updates')::text AS write_is_read,
       w.j::text = pg_temp.reference_json(maintenance.get_maintenance((w.j ->> 'id')::uuid))::text AS reference,
       w.j -> 'reminders' AS reminders, w.j ? 'description' AS described
  FROM written w ORDER BY w.title;

-- An unknown id: JSON null in both.
SELECT maintenance.rpc('getMaintenance', '{"id": "00000000-0000-0000-0000-000000000000"}')::text AS rpc,
       maintenance.maintenance_json(maintenance.get_maintenance('00000000-0000-0000-0000-000000000000'))::text
           AS maintenance_json;

DROP FUNCTION pg_temp.reference_json(maintenance.maintenances_with_systems);
DROP EXTENSION maintenance;
