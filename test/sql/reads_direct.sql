-- reads_direct: get_maintenance, get_maintenance_updates and
-- has_active_maintenance_with_suppression read their index directly, without
-- SPI (src/reads.c).  Their answers must stay those of the view and of the
-- query they replace, row for row: through deletes (dead index entries),
-- updates (new row versions), status changes, long timelines, and a bitmap
-- too large to be exact, whose pages hold rows that do not match.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';

-- 600 maintenances over 40 systems, 3 each; every status, a third suppressing.
INSERT INTO maintenance.maintenances (id, title, suppress_notifications, status, start_at, end_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       'M' || n, n % 3 = 0,
       (ARRAY['scheduled', 'in_progress', 'completed', 'cancelled'])[1 + n % 4]::maintenance.status,
       '2031-01-01Z'::timestamptz + n * interval '1 hour',
       '2031-01-01Z'::timestamptz + n * interval '1 hour' + interval '2 hours'
  FROM generate_series(1, 600) AS n;
INSERT INTO maintenance.maintenance_systems
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'sys-' || ((n * 7 + k) % 40)
  FROM generate_series(1, 600) AS n, generate_series(0, 2) AS k;
-- Timelines written in an order that is not the order of the maintenances.
INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(1 + (i * 37) % 60), 12, '0'))::uuid, 'update ' || i
  FROM generate_series(1, 900) AS i;

-- The three reads against what they replace; each count of differences must
-- be 0, and the answers must not be trivial (some suppressed, some not).
CREATE FUNCTION pg_temp.differences(OUT get bigint, OUT updates bigint, OUT rpc_get bigint,
                                    OUT suppressed bigint, OUT suppressing_systems bigint)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM generate_series(1, 620) AS n,
                   LATERAL (SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS id) i
             WHERE maintenance.get_maintenance(i.id) IS DISTINCT FROM
                   (SELECT v FROM maintenance.maintenances_with_systems v WHERE v.id = i.id)),
           (SELECT count(*) FROM generate_series(1, 70) AS n,
                   LATERAL (SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS id) i
             WHERE ARRAY(SELECT u FROM maintenance.get_maintenance_updates(i.id) u) IS DISTINCT FROM
                   ARRAY(SELECT u FROM maintenance.maintenance_updates u
                          WHERE u.maintenance_id = i.id ORDER BY u.position)),
           (SELECT count(*) FROM generate_series(1, 620) AS n,
                   LATERAL (SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS id) i
             WHERE maintenance.rpc('getMaintenance', jsonb_build_object('id', i.id)) IS DISTINCT FROM
                   coalesce((SELECT maintenance.maintenance_json(v) || jsonb_build_object('updates',
                                    coalesce((SELECT jsonb_agg(maintenance.update_json(u) ORDER BY u.position)
                                                FROM maintenance.maintenance_updates u
                                               WHERE u.maintenance_id = i.id), '[]'))
                               FROM maintenance.maintenances_with_systems v WHERE v.id = i.id), 'null')),
           (SELECT count(*) FROM generate_series(0, 44) AS k, LATERAL (SELECT 'sys-' || k AS s) q
             WHERE maintenance.has_active_maintenance_with_suppression(q.s) IS DISTINCT FROM
                   EXISTS (SELECT 1 FROM maintenance.maintenances m
                            WHERE m.system_ids @> ARRAY[q.s] AND m.status = 'in_progress'
                              AND m.suppress_notifications)),
           (SELECT count(*) FROM generate_series(0, 44) AS k
             WHERE maintenance.has_active_maintenance_with_suppression('sys-' || k))
$$;

SELECT * FROM pg_temp.differences();

-- Dead index entries: deleted maintenances are not returned, their
-- timelines are gone, and they suppress nothing.
DELETE FROM maintenance.maintenances WHERE title IN ('M2', 'M6', 'M10', 'M14', 'M17', 'M21');
SELECT * FROM pg_temp.differences();
SELECT maintenance.get_maintenance('00000000-0000-4000-8000-000000000002') IS NULL AS deleted_is_null,
       count(*) AS deleted_timeline
  FROM maintenance.get_maintenance_updates('00000000-0000-4000-8000-000000000002');

-- New row versions: the new title only; the suppressing ones completed, in
-- this transaction (its own snapshot sees the change) and after it.
UPDATE maintenance.maintenances SET title = title || ' (renamed)' WHERE id::text LIKE '%1';
SELECT title FROM maintenance.get_maintenance('00000000-0000-4000-8000-000000000021');
BEGIN;
UPDATE maintenance.maintenances SET status = 'completed'
 WHERE status = 'in_progress' AND suppress_notifications AND 'sys-3' = ANY (system_ids);
SELECT * FROM pg_temp.differences();
SELECT maintenance.has_active_maintenance_with_suppression('sys-3') AS sys3_suppressed;
ROLLBACK;
SELECT maintenance.has_active_maintenance_with_suppression('sys-3') AS sys3_suppressed;
UPDATE maintenance.maintenances SET status = 'in_progress'
 WHERE status = 'scheduled' AND suppress_notifications AND title LIKE 'M4%';
SELECT * FROM pg_temp.differences();

-- A long timeline comes back whole, in position order.
INSERT INTO maintenance.maintenance_updates (maintenance_id, message)
SELECT '00000000-0000-4000-8000-000000000001', 'late ' || i FROM generate_series(1, 2000) AS i;
SELECT count(*) AS updates,
       bool_and(position > coalesce(previous, 0)) AS in_position_order
  FROM (SELECT position, lag(position) OVER () AS previous
          FROM maintenance.get_maintenance_updates('00000000-0000-4000-8000-000000000001')) t;
SELECT * FROM pg_temp.differences();

-- Null arguments.
SELECT maintenance.get_maintenance(NULL) IS NULL AS get_null,
       (SELECT count(*) FROM maintenance.get_maintenance_updates(NULL)) AS updates_null,
       maintenance.has_active_maintenance_with_suppression(NULL) AS suppression_null;

-- A bitmap too large for work_mem is lossy: for its pages it gives every
-- visible row, and the rows must be checked.  3,000 in-progress suppressing
-- maintenances of "hot", each next to one of "cold", four to a page (their
-- descriptions are long), then every "hot" one completed: the index still
-- points at the old versions of all of them, on some 1,500 pages that now
-- hold "cold" rows and the completed "hot" ones.  "hot" is suppressed by
-- none of them.
INSERT INTO maintenance.maintenances (id, title, description, suppress_notifications, status, start_at, end_at)
SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'L' || n, repeat('x', 1800),
       true, 'in_progress', '2031-01-01Z', '2031-02-01Z'
  FROM generate_series(1, 6000) AS n;
INSERT INTO maintenance.maintenance_systems
SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       CASE WHEN n % 2 = 0 THEN 'hot' ELSE 'cold' END
  FROM generate_series(1, 6000) AS n;
SELECT maintenance.has_active_maintenance_with_suppression('hot') AS hot_before;
UPDATE maintenance.maintenances SET status = 'completed' WHERE 'hot' = ANY (system_ids);
SET work_mem = '64kB';
SELECT maintenance.has_active_maintenance_with_suppression('hot') AS hot_after,
       maintenance.has_active_maintenance_with_suppression('cold') AS cold_after,
       maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "hot"}') AS hot_through_rpc;
RESET work_mem;
SELECT * FROM pg_temp.differences();
DROP EXTENSION maintenance;
