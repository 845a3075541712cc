-- update: update_maintenance and the rpc method updateMaintenance.
-- A null argument (an absent JSON key) leaves its column as it is.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- What the maintenance is now; updated_now tells whether updated_at is the
-- time of the current transaction.
CREATE FUNCTION pg_temp.state(name text)
RETURNS TABLE (title text, description text, suppress boolean, status text,
               start_at timestamptz, end_at timestamptz, system_ids text[],
               created_kept boolean, updated_now boolean)
LANGUAGE sql STABLE AS $$
    SELECT v.title, v.description, v.suppress_notifications, v.status::text, v.start_at, v.end_at,
           v.system_ids, v.created_at < now(), v.updated_at = now()
      FROM maintenance.maintenances_with_systems v
     WHERE v.id = pg_temp.id($1)
$$;

SELECT pg_temp.label(id, 'm') AS id, title, system_ids
  FROM maintenance.create_maintenance('Original', '2031-04-01 10:00+00', '2031-04-01 12:00+00',
                                      '{a,b}', 'First description');
SELECT * FROM pg_temp.state('m');

-- Each argument alone changes its column only; every update sets updated_at.
BEGIN;
SELECT title, description, system_ids, updated_at = now() AS updated_now
  FROM maintenance.update_maintenance(pg_temp.id('m'), title => 'Renamed');
SELECT * FROM pg_temp.state('m');
COMMIT;
BEGIN;
SELECT title, description FROM maintenance.update_maintenance(pg_temp.id('m'), description => 'Second');
SELECT * FROM pg_temp.state('m');
COMMIT;
BEGIN;
SELECT suppress_notifications FROM maintenance.update_maintenance(pg_temp.id('m'), suppress_notifications => true);
SELECT * FROM pg_temp.state('m');
COMMIT;
-- Only the id: nothing changes but updated_at.
BEGIN;
SELECT title FROM maintenance.update_maintenance(pg_temp.id('m'));
SELECT * FROM pg_temp.state('m');
COMMIT;

-- clear_description sets the description to null; a null description alone
-- leaves it; giving both is refused.
SELECT description FROM maintenance.update_maintenance(pg_temp.id('m'), description => NULL);
SELECT description FROM maintenance.update_maintenance(pg_temp.id('m'), clear_description => true);
SELECT description FROM maintenance.update_maintenance(pg_temp.id('m'), clear_description => false);
SELECT pg_temp.try($$SELECT maintenance.update_maintenance(pg_temp.id('m'), description => 'x',
                                                           clear_description => true)$$);

-- system_ids replaces the whole set: duplicates once, sorted, the old rows
-- gone.
SELECT system_ids FROM maintenance.update_maintenance(pg_temp.id('m'), system_ids => '{c,a,c}');
SELECT system_id FROM maintenance.maintenance_systems
 WHERE maintenance_id = pg_temp.id('m') ORDER BY 1;

-- The window is checked with the stored start_at/end_at for the side that is
-- not given (stored window 10:00-12:00).
SELECT label, pg_temp.try(stmt) FROM (VALUES
  ('end before stored start', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                                  end_at => '2031-04-01 09:00+00')$$),
  ('end = stored start', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                             end_at => '2031-04-01 10:00+00')$$),
  ('start after stored end', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                                 start_at => '2031-04-01 13:00+00')$$),
  ('start = stored end', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                             start_at => '2031-04-01 12:00+00')$$),
  ('both, reversed', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                         start_at => '2031-04-02 12:00+00', end_at => '2031-04-02 10:00+00')$$),
  ('start infinite', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                         start_at => '-infinity')$$),
  ('end infinite', $$SELECT maintenance.update_maintenance(pg_temp.id('m'),
                       end_at => 'infinity')$$)
) AS t(label, stmt);
SELECT start_at, end_at FROM maintenance.maintenances WHERE id = pg_temp.id('m');
-- Moving one side within the stored other side is fine.
SELECT start_at, end_at
  FROM maintenance.update_maintenance(pg_temp.id('m'), start_at => '2031-04-01 11:00+00');
SELECT start_at, end_at
  FROM maintenance.update_maintenance(pg_temp.id('m'), end_at => '2031-04-01 11:00:00.001+00');
-- Moving both past the stored end at once is fine: the new pair is checked.
SELECT start_at, end_at
  FROM maintenance.update_maintenance(pg_temp.id('m'), start_at => '2031-04-05 10:00+00',
                                      end_at => '2031-04-05 14:00+02');

-- An unknown id: P0002 naming the id.
SELECT pg_temp.try($$SELECT maintenance.update_maintenance('00000000-0000-0000-0000-000000000000',
                                                           title => 'x')$$);

-- Update does not change the status, and works in any status.
SELECT status FROM maintenance.close_maintenance(pg_temp.id('m'));
SELECT title, status FROM maintenance.update_maintenance(pg_temp.id('m'), title => 'After close');

-- Through rpc: absent keys leave values, "description": null clears it.
SELECT pg_temp.label(id, 'r') AS id
  FROM maintenance.create_maintenance('Via rpc', '2031-05-01 10:00+00', '2031-05-01 12:00+00',
                                      '{x}', 'Described');
SELECT pg_temp.mask(r::text), r ->> 'updatedAt' = maintenance.iso_time(now()) AS updated_now
  FROM maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', pg_temp.id('r'), 'title', 'Via rpc, renamed')) AS r;
SELECT pg_temp.mask(maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', pg_temp.id('r'), 'description', NULL))::text);
SELECT pg_temp.mask(maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', pg_temp.id('r'), 'description', 'Described again',
                              'suppressNotifications', true,
                              'startAt', '2031-05-01T13:00:00+02:00',
                              'endAt', '2031-05-01T14:00:00.5+02:00',
                              'systemIds', jsonb_build_array('z', 'y')))::text);
SELECT pg_temp.mask(maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', pg_temp.id('r'), 'suppressNotifications', false))::text);
SELECT pg_temp.try($$SELECT maintenance.rpc('updateMaintenance',
           jsonb_build_object('id', pg_temp.id('r'), 'endAt', '2031-05-01T10:59:59Z'))$$);
SELECT pg_temp.try($$SELECT maintenance.rpc('updateMaintenance',
           '{"id": "00000000-0000-0000-0000-000000000000", "title": "x"}')$$);

DROP EXTENSION maintenance;
