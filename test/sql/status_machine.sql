-- status_machine: which status changes are allowed, which refused (55000).
--
--   scheduled --> in_progress --> completed
--       |              |
--       +--------------+--------> cancelled
--       +-----------------------> completed   (closed before it started)
--
-- completed and cancelled are final.  A refused change is 55000 naming both
-- states; asking for the status a maintenance already has is a message only.
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

-- A new maintenance brought to status "from" the allowed way, then
-- add_update(..., status_change => "to"): the outcome, the status after, the
-- status_change recorded, the notifications sent and the action signalled by
-- that add_update.
CREATE FUNCTION pg_temp.attempt(from_status text, to_status text,
    OUT outcome text, OUT status_after text, OUT recorded text,
    OUT notifications bigint, OUT signal_action text, OUT hook_action text)
LANGUAGE plpgsql AS $$
DECLARE
    m uuid;
    before bigint;
    u maintenance.maintenance_updates;
BEGIN
    SELECT id INTO m FROM maintenance.create_maintenance(from_status || ' to ' || coalesce(to_status, 'nothing'),
        '2031-06-01 10:00+00', '2031-06-01 12:00+00', '{s1,s2}');
    IF from_status IN ('in_progress', 'completed') THEN
        PERFORM maintenance.add_update(m, 'Started', 'in_progress');
    END IF;
    IF from_status = 'completed' THEN
        PERFORM maintenance.add_update(m, 'Done', 'completed');
    ELSIF from_status = 'cancelled' THEN
        PERFORM maintenance.add_update(m, 'Called off', 'cancelled');
    END IF;
    SELECT max(id) INTO before FROM maintenance.events;
    BEGIN
        u := maintenance.add_update(m, 'Asked for ' || coalesce(to_status, 'nothing'),
                                    to_status::maintenance.status);
        outcome := 'ok';
        recorded := coalesce(u.status_change::text, '(message only)');
    EXCEPTION WHEN OTHERS THEN
        outcome := SQLSTATE || ': ' || replace(SQLERRM, m::text, '<m>');
    END;
    SELECT x.status::text INTO status_after FROM maintenance.maintenances x WHERE x.id = m;
    SELECT count(*) FILTER (WHERE e.channel = 'maintenance_notification'),
           max(e.payload ->> 'action') FILTER (WHERE e.channel = 'maintenance_signal'),
           max(e.payload ->> 'action') FILTER (WHERE e.channel = 'maintenance_hook')
      INTO notifications, signal_action, hook_action
      FROM maintenance.events e WHERE e.id > before;
END
$$;

-- Every pair of statuses.
SELECT f AS "from", t AS "to", a.*
  FROM unnest(enum_range(NULL::maintenance.status)::text[]) WITH ORDINALITY AS x(f, i),
       unnest(enum_range(NULL::maintenance.status)::text[]) WITH ORDINALITY AS y(t, j),
       LATERAL pg_temp.attempt(f, t) AS a
 ORDER BY i, j;

-- A plain message, with no status change asked for, is fine in every status,
-- final ones included.
SELECT f AS "from", a.*
  FROM unnest(enum_range(NULL::maintenance.status)::text[]) WITH ORDINALITY AS x(f, i),
       LATERAL pg_temp.attempt(f, NULL) AS a
 ORDER BY i;

-- A refused change, in full: the message names the maintenance and both
-- states, the detail says why.
SELECT pg_temp.label(id, 'done') FROM maintenance.create_maintenance('Done', '2031-06-02 10:00+00',
                                                            '2031-06-02 12:00+00', '{s}');
SELECT status_change FROM maintenance.add_update(pg_temp.id('done'), 'Finished', 'completed');
SELECT pg_temp.try($$SELECT maintenance.add_update(pg_temp.id('done'), 'Again', 'in_progress')$$, true);
SELECT pg_temp.label(id, 'running') FROM maintenance.create_maintenance('Running', '2031-06-02 10:00+00',
                                                               '2031-06-02 12:00+00', '{s}');
SELECT status_change FROM maintenance.add_update(pg_temp.id('running'), 'Go', 'in_progress');
SELECT pg_temp.try($$SELECT maintenance.add_update(pg_temp.id('running'), 'Back', 'scheduled')$$, true);
-- The refused updates left nothing in the timeline.
SELECT name, u.message, u.status_change
  FROM ids JOIN maintenance.maintenance_updates u ON u.maintenance_id = ids.id
 ORDER BY u.position;

-- close_maintenance in each status: it asks for "completed".  Without a
-- message it records "Maintenance completed early".
CREATE FUNCTION pg_temp.close_in(from_status text, message text DEFAULT NULL,
    OUT outcome text, OUT status_after text, OUT last_message text, OUT recorded text,
    OUT notifications bigint, OUT signal_action text)
LANGUAGE plpgsql AS $$
DECLARE
    m uuid;
    before bigint;
BEGIN
    SELECT id INTO m FROM maintenance.create_maintenance('Close when ' || from_status,
        '2031-06-03 10:00+00', '2031-06-03 12:00+00', '{s1,s2,s3}');
    IF from_status IN ('in_progress', 'completed') THEN
        PERFORM maintenance.add_update(m, 'Started', 'in_progress');
    END IF;
    IF from_status = 'completed' THEN
        PERFORM maintenance.add_update(m, 'Done', 'completed');
    ELSIF from_status = 'cancelled' THEN
        PERFORM maintenance.add_update(m, 'Called off', 'cancelled');
    END IF;
    SELECT max(id) INTO before FROM maintenance.events;
    BEGIN
        SELECT c.status::text INTO status_after FROM maintenance.close_maintenance(m, message) c;
        outcome := 'ok';
    EXCEPTION WHEN OTHERS THEN
        outcome := SQLSTATE || ': ' || replace(SQLERRM, m::text, '<m>');
        SELECT x.status::text INTO status_after FROM maintenance.maintenances x WHERE x.id = m;
    END;
    SELECT u.message, coalesce(u.status_change::text, '(message only)')
      INTO last_message, recorded
      FROM maintenance.maintenance_updates u WHERE u.maintenance_id = m
     ORDER BY u.position DESC LIMIT 1;
    SELECT count(*) FILTER (WHERE e.channel = 'maintenance_notification'),
           max(e.payload ->> 'action') FILTER (WHERE e.channel = 'maintenance_signal')
      INTO notifications, signal_action
      FROM maintenance.events e WHERE e.id > before;
END
$$;
SELECT f AS "from", a.*
  FROM unnest(enum_range(NULL::maintenance.status)::text[]) WITH ORDINALITY AS x(f, i),
       LATERAL pg_temp.close_in(f) AS a
 ORDER BY i;
SELECT a.* FROM pg_temp.close_in('in_progress', 'All done, thanks') AS a;

-- The same through rpc.
SELECT pg_temp.label(id, 'rpc') FROM maintenance.create_maintenance('Via rpc', '2031-06-04 10:00+00',
                                                           '2031-06-04 12:00+00', '{s}');
SELECT pg_temp.mask(maintenance.rpc('addUpdate', jsonb_build_object(
           'maintenanceId', pg_temp.id('rpc'), 'message', 'Same', 'statusChange', 'scheduled'))::text);
SELECT pg_temp.mask(maintenance.rpc('addUpdate', jsonb_build_object(
           'maintenanceId', pg_temp.id('rpc'), 'message', 'Go', 'statusChange', 'in_progress'))::text);
SELECT pg_temp.try(format($$SELECT maintenance.rpc('addUpdate', %L)$$, jsonb_build_object(
           'maintenanceId', pg_temp.id('rpc'), 'message', 'Back', 'statusChange', 'scheduled')));
SELECT pg_temp.mask(maintenance.rpc('closeMaintenance', jsonb_build_object('id', pg_temp.id('rpc')))::text);
SELECT pg_temp.try(format($$SELECT maintenance.rpc('addUpdate', %L)$$, jsonb_build_object(
           'maintenanceId', pg_temp.id('rpc'), 'message', 'Cancel', 'statusChange', 'cancelled')));
SELECT message, status_change FROM maintenance.maintenance_updates
 WHERE maintenance_id = pg_temp.id('rpc') ORDER BY position;

DROP EXTENSION maintenance;
