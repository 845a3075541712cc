-- bench/setup.sql: data generator and the contenders of the benchmark
-- (bench/bench.sh runs it in its own throwaway database; nothing here is part
-- of the extension).
--
-- Data (bench.grow): maintenance i of 1..N gets 3 systems out of a pool of
-- 10,000 ("sys-0000".."sys-9999"); every 50th is scheduled far in the future,
-- the others are completed history with their two timeline entries.  On top,
-- bench.add_due(D) adds D maintenances due to start (scheduled, start_at in
-- the hour before T) and D due to complete (in_progress, end_at in the hour
-- before T), and remembers them in bench.due so that bench.reset() can put
-- them back in their starting state between contenders.
--
-- T, the moment every sweep runs for, is 2030-01-01 00:00 UTC.

CREATE SCHEMA bench;

CREATE FUNCTION bench.t() RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT timestamptz '2030-01-01 00:00:00+00' $$;

-- Three consecutive systems from a hash of i: spread evenly over the pool,
-- whatever i's residue (every 50th maintenance is a far-future one).
CREATE FUNCTION bench.system_ids(i bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['sys-' || lpad((b % 10000)::text, 4, '0'),
                 'sys-' || lpad(((b + 1) % 10000)::text, 4, '0'),
                 'sys-' || lpad(((b + 2) % 10000)::text, 4, '0')]
      FROM (SELECT (hashint8(i)::bigint + 2147483648) % 10000 AS b) AS h
$$;

CREATE FUNCTION bench.sorted(a text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY(SELECT x FROM unnest(a) AS x ORDER BY x COLLATE "C")
$$;

-- Rows loaded so far (bench.grow continues from here).
CREATE TABLE bench.loaded (n bigint NOT NULL);
INSERT INTO bench.loaded VALUES (0);

-- The due rows and their starting state.
CREATE TABLE bench.due (
    id uuid PRIMARY KEY,
    status maintenance.status NOT NULL,
    updated_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL
);

-- Everything written after these marks is a contender's output.
CREATE TABLE bench.marks (updates_position bigint NOT NULL, events_id bigint NOT NULL);

-- Rows for the add_update throughput test (pgbench picks one at random).
CREATE TABLE bench.targets (k int PRIMARY KEY, id uuid NOT NULL);

-- Grow the table to n maintenances of history and far future (set-based).
CREATE PROCEDURE bench.grow(n bigint)
LANGUAGE plpgsql AS $$
DECLARE
    first bigint := (SELECT loaded.n FROM bench.loaded) + 1;
BEGIN
    CREATE TEMP TABLE src ON COMMIT DROP AS
    SELECT i,
           gen_random_uuid() AS id,
           CASE WHEN i % 50 = 0 THEN 'scheduled' ELSE 'completed' END::maintenance.status AS status,
           CASE WHEN i % 50 = 0
                THEN bench.t() + interval '365 days' + i * interval '1 minute'
                ELSE bench.t() - interval '30 days' - i * interval '1 minute' END AS start_at
      FROM generate_series(first, n) AS i;

    -- system_ids as the write functions leave it (sorted), so that the
    -- trigger on maintenance_systems below finds every copy right
    INSERT INTO maintenance.maintenances
           (id, title, description, status, start_at, end_at, created_at, updated_at, system_ids)
    SELECT id, 'Maintenance ' || i, 'Planned work number ' || i, status,
           start_at, start_at + interval '1 hour',
           least(start_at, bench.t()) - interval '7 days',
           least(start_at, bench.t()) - interval '7 days',
           bench.sorted(bench.system_ids(i))
      FROM src ORDER BY i;

    INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
    SELECT id, unnest(bench.system_ids(i)) FROM src ORDER BY i;

    INSERT INTO maintenance.maintenance_updates
           (maintenance_id, message, status_change, created_at)
    SELECT id, u.message, u.status_change, u.created_at
      FROM src, LATERAL (VALUES
           ('Maintenance started automatically', 'in_progress'::maintenance.status, start_at),
           ('Maintenance completed automatically', 'completed'::maintenance.status,
            start_at + interval '1 hour')) AS u(message, status_change, created_at)
     WHERE status = 'completed'
     ORDER BY i, u.created_at;

    UPDATE bench.loaded SET n = grow.n;
END
$$;

-- Add d maintenances due to start and d due to complete at T.
CREATE PROCEDURE bench.add_due(d int)
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE due_src ON COMMIT DROP AS
    SELECT j, gen_random_uuid() AS id,
           CASE WHEN j <= d THEN 'scheduled' ELSE 'in_progress' END::maintenance.status AS status,
           bench.t() - interval '1 hour'
               + ((CASE WHEN j <= d THEN j ELSE j - d END) * 3600.0 / d) * interval '1 second' AS due_at
      FROM generate_series(1, 2 * d) AS j;

    INSERT INTO maintenance.maintenances
           (id, title, description, status, start_at, end_at, created_at, updated_at, system_ids)
    SELECT id, 'Due maintenance ' || j, 'Planned work due at T, number ' || j, status,
           CASE WHEN status = 'scheduled' THEN due_at ELSE due_at - interval '3 hours' END,
           CASE WHEN status = 'scheduled' THEN due_at + interval '3 hours' ELSE due_at END,
           bench.t() - interval '7 days', bench.t() - interval '7 days',
           bench.sorted(bench.system_ids(1000000 + j))
      FROM due_src ORDER BY j;

    INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
    SELECT id, unnest(bench.system_ids(1000000 + j)) FROM due_src ORDER BY j;

    INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
    SELECT id, 'Maintenance started automatically', 'in_progress', due_at - interval '3 hours'
      FROM due_src WHERE status = 'in_progress' ORDER BY j;

    INSERT INTO bench.due (id, status, updated_at, due_at)
    SELECT id, status, bench.t() - interval '7 days', due_at FROM due_src;
END
$$;

-- Add k maintenances in progress with suppress_notifications, from a day
-- before T to 30 days after it (the suppression check finds them; the sweep
-- at T never moves them), each with its start in the timeline.
CREATE PROCEDURE bench.add_suppressing(k int)
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE sup_src ON COMMIT DROP AS
    SELECT j, gen_random_uuid() AS id FROM generate_series(1, k) AS j;

    INSERT INTO maintenance.maintenances
           (id, title, description, suppress_notifications, status, start_at, end_at,
            created_at, updated_at, system_ids)
    SELECT id, 'Suppressing maintenance ' || j, NULL, true, 'in_progress',
           bench.t() - interval '1 day', bench.t() + interval '30 days',
           bench.t() - interval '7 days', bench.t() - interval '1 day',
           bench.sorted(bench.system_ids(2000000 + j))
      FROM sup_src ORDER BY j;

    INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
    SELECT id, unnest(bench.system_ids(2000000 + j)) FROM sup_src ORDER BY j;

    INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
    SELECT id, 'Maintenance started automatically', 'in_progress', bench.t() - interval '1 day'
      FROM sup_src ORDER BY j;
END
$$;

-- Remember where the contenders' output starts.
CREATE PROCEDURE bench.mark()
LANGUAGE sql AS $$
    DELETE FROM bench.marks;
    INSERT INTO bench.marks
    SELECT coalesce((SELECT max(position) FROM maintenance.maintenance_updates), 0),
           coalesce((SELECT max(id) FROM maintenance.events), 0);
$$;

-- Put the due rows back in their starting state and remove what a contender
-- wrote (the caller then runs VACUUM ANALYZE and CHECKPOINT).
CREATE FUNCTION bench.reset() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    UPDATE maintenance.maintenances m
       SET status = d.status, updated_at = d.updated_at
      FROM bench.due d
     WHERE m.id = d.id AND (m.status <> d.status OR m.updated_at <> d.updated_at);
    GET DIAGNOSTICS changed = ROW_COUNT;
    DELETE FROM maintenance.maintenance_updates
     WHERE position > (SELECT updates_position FROM bench.marks);
    DELETE FROM maintenance.events
     WHERE id > (SELECT events_id FROM bench.marks);
    RETURN changed;
END
$$;

-- How many of the due rows have their final status (checks a contender).
CREATE FUNCTION bench.moved() RETURNS TABLE (started bigint, completed bigint, updates bigint, events bigint)
LANGUAGE sql AS $$
    SELECT count(*) FILTER (WHERE d.status = 'scheduled' AND m.status = 'in_progress'),
           count(*) FILTER (WHERE d.status = 'in_progress' AND m.status = 'completed'),
           (SELECT count(*) FROM maintenance.maintenance_updates
             WHERE position > (SELECT updates_position FROM bench.marks)),
           (SELECT count(*) FROM maintenance.events
             WHERE id > (SELECT events_id FROM bench.marks))
      FROM bench.due d JOIN maintenance.maintenances m USING (id)
$$;

/* ---------------------------------------------------------------------
 * Contender (a): the write floor.  The same rows, written set-based with no
 * per-row logic: for each step one UPDATE ... RETURNING, one INSERT of the
 * updates, one INSERT of all events (payloads of the same shapes, built with
 * jsonb_build_object) and one pg_notify per event.  No failure isolation,
 * no claim order, no SKIP LOCKED: the least any implementation must write.
 * ------------------------------------------------------------------ */
CREATE FUNCTION bench.floor_step(as_of timestamptz, from_status maintenance.status,
                                 to_status maintenance.status, message text, event text)
RETURNS bigint
LANGUAGE sql AS $$
    WITH moved AS (
        UPDATE maintenance.maintenances m
           SET status = to_status, updated_at = now()
         WHERE m.status = from_status
           AND CASE WHEN from_status = 'scheduled' THEN m.start_at ELSE m.end_at END <= as_of
        RETURNING m.id, m.title, m.description, m.status, m.start_at, m.end_at,
                  m.system_ids
    ), updates AS (
        INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change)
        SELECT id, message, to_status FROM moved
    ), events AS (
        INSERT INTO maintenance.events (channel, name, payload)
        SELECT e.channel, e.name, e.payload
          FROM moved,
               LATERAL (
                   SELECT 'maintenance_signal', 'maintenance.updated',
                          jsonb_build_object('maintenanceId', moved.id,
                                             'systemIds', to_jsonb(moved.system_ids),
                                             'action', CASE WHEN to_status = 'completed' THEN 'closed' ELSE 'updated' END)
                   UNION ALL
                   SELECT 'maintenance_hook', 'maintenance.updated',
                          jsonb_build_object('maintenanceId', moved.id,
                                             'systemIds', to_jsonb(moved.system_ids),
                                             'title', moved.title,
                                             'description', moved.description,
                                             'status', moved.status,
                                             'startAt', maintenance.iso_time(moved.start_at),
                                             'endAt', maintenance.iso_time(moved.end_at),
                                             'action', CASE WHEN to_status = 'completed' THEN 'closed' ELSE 'updated' END)
                   UNION ALL
                   SELECT 'maintenance_notification', 'maintenance.notification',
                          jsonb_build_object('maintenanceId', moved.id,
                                             'systemId', sid,
                                             'event', event,
                                             'title', 'Maintenance ' || event,
                                             'body', 'A maintenance **"' || moved.title || '"** has been '
                                                     || event || ' for a system you''re subscribed to.',
                                             'importance', 'info',
                                             'action', jsonb_build_object('label', 'View Maintenance',
                                                                          'url', '/maintenance/' || moved.id),
                                             'includeGroupSubscribers', true)
                     FROM unnest(moved.system_ids) AS sid
               ) AS e(channel, name, payload)
        RETURNING id, occurred_at, channel, name, payload
    )
    SELECT count(pg_notify(channel,
                           jsonb_build_object('id', id, 'channel', channel, 'name', name,
                                              'occurredAt', maintenance.iso_time(occurred_at),
                                              'payload', payload)::text))
      FROM events
$$;

CREATE FUNCTION bench.floor_transitions(as_of timestamptz)
RETURNS bigint
LANGUAGE sql AS $$
    SELECT bench.floor_step(as_of, 'scheduled', 'in_progress',
                            'Maintenance started automatically', 'started')
         + bench.floor_step(as_of, 'in_progress', 'completed',
                            'Maintenance completed automatically', 'completed')
$$;

/* ---------------------------------------------------------------------
 * Contender (b): a straightforward PL/pgSQL implementation of the same
 * semantics: claim due rows (FOR NO KEY UPDATE SKIP LOCKED, in time order);
 * per row, in its own subtransaction (BEGIN ... EXCEPTION), update the
 * status, insert the update, build the payloads, insert the events and
 * pg_notify each one.
 * ------------------------------------------------------------------ */
CREATE FUNCTION bench.plpgsql_emit(channel text, name text, payload jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ev record;
BEGIN
    INSERT INTO maintenance.events AS e (channel, name, payload)
    VALUES (channel, name, payload)
    RETURNING e.id, e.occurred_at INTO ev;
    PERFORM pg_notify(channel,
                      jsonb_build_object('id', ev.id, 'channel', channel, 'name', name,
                                         'occurredAt', maintenance.iso_time(ev.occurred_at),
                                         'payload', payload)::text);
END
$$;

CREATE FUNCTION bench.plpgsql_transition_one(id uuid, to_status maintenance.status,
                                             message text, event text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m record;
    sys text[];
    action text := CASE WHEN to_status = 'completed' THEN 'closed' ELSE 'updated' END;
    sid text;
BEGIN
    UPDATE maintenance.maintenances AS t
       SET status = to_status, updated_at = now()
     WHERE t.id = plpgsql_transition_one.id
    RETURNING t.* INTO m;
    INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change)
    VALUES (m.id, message, to_status);
    sys := m.system_ids;

    PERFORM bench.plpgsql_emit('maintenance_signal', 'maintenance.updated',
        jsonb_build_object('maintenanceId', m.id, 'systemIds', to_jsonb(sys), 'action', action));
    PERFORM bench.plpgsql_emit('maintenance_hook', 'maintenance.updated',
        jsonb_build_object('maintenanceId', m.id, 'systemIds', to_jsonb(sys),
                           'title', m.title, 'description', m.description,
                           'status', m.status,
                           'startAt', maintenance.iso_time(m.start_at),
                           'endAt', maintenance.iso_time(m.end_at),
                           'action', action));
    FOREACH sid IN ARRAY sys LOOP
        PERFORM bench.plpgsql_emit('maintenance_notification', 'maintenance.notification',
            jsonb_build_object('maintenanceId', m.id, 'systemId', sid, 'event', event,
                               'title', 'Maintenance ' || event,
                               'body', 'A maintenance **"' || m.title || '"** has been '
                                       || event || ' for a system you''re subscribed to.',
                               'importance', 'info',
                               'action', jsonb_build_object('label', 'View Maintenance',
                                                            'url', '/maintenance/' || m.id),
                               'includeGroupSubscribers', true));
    END LOOP;
END
$$;

CREATE FUNCTION bench.plpgsql_transitions(as_of timestamptz,
                                          OUT started int, OUT completed int, OUT failed int)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    started := 0;
    completed := 0;
    failed := 0;
    FOR r IN SELECT m.id FROM maintenance.maintenances m
              WHERE m.status = 'scheduled' AND m.start_at <= as_of
              ORDER BY m.start_at, m.id
                FOR NO KEY UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM bench.plpgsql_transition_one(r.id, 'in_progress',
                                                 'Maintenance started automatically', 'started');
            started := started + 1;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'could not start maintenance "%": %', r.id, SQLERRM;
            failed := failed + 1;
        END;
    END LOOP;
    FOR r IN SELECT m.id FROM maintenance.maintenances m
              WHERE m.status = 'in_progress' AND m.end_at <= as_of
              ORDER BY m.end_at, m.id
                FOR NO KEY UPDATE SKIP LOCKED
    LOOP
        BEGIN
            PERFORM bench.plpgsql_transition_one(r.id, 'completed',
                                                 'Maintenance completed automatically', 'completed');
            completed := completed + 1;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'could not complete maintenance "%": %', r.id, SQLERRM;
            failed := failed + 1;
        END;
    END LOOP;
END
$$;
