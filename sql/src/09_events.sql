-- 09_events.sql: consuming events: replay, named consumers, retention

/* ---------------------------------------------------------------------
 * Consuming events: cursor replay, named consumers, retention
 *
 * replay_events() hands out ids in order, and only up to the replay
 * horizon: no id below it can still be taken by a running transaction
 * (src/outbox.c has the protocol and why it is sound).  The protocol needs
 * maintenance.events_id_seq to keep CACHE 1, and events written only
 * through the extension's functions.
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.replay_horizon()
RETURNS bigint
LANGUAGE c VOLATILE STRICT
AS 'MODULE_PATHNAME', 'maintenance_replay_horizon';

COMMENT ON FUNCTION maintenance.replay_horizon() IS
    'the highest event id up to which every event is final (committed or gone); internal to replay_events';

CREATE FUNCTION maintenance.event_retention()
RETURNS interval
LANGUAGE c STABLE STRICT
AS 'MODULE_PATHNAME', 'maintenance_event_retention';

COMMENT ON FUNCTION maintenance.event_retention() IS
    'the setting maintenance.event_retention as an interval';

CREATE FUNCTION maintenance.get_event(id bigint)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT maintenance.event_envelope(e) FROM maintenance.events e
     WHERE e.id = get_event.id
$$;

COMMENT ON FUNCTION maintenance.get_event(bigint) IS
    'the whole envelope of one event (for a truncated NOTIFY envelope), or null';

-- VOLATILE, so that in READ COMMITTED the query below takes its snapshot
-- after replay_horizon() has looked at the running writers.
CREATE FUNCTION maintenance.replay_events(after_id bigint DEFAULT 0, max_events integer DEFAULT 1000)
RETURNS SETOF maintenance.events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    horizon bigint;
BEGIN
    IF after_id IS NULL OR after_id < 0 THEN
        RAISE EXCEPTION 'after_id must be a non-negative event id'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', coalesce(after_id::text, 'null'));
    END IF;
    IF max_events IS NULL OR max_events < 1 THEN
        RAISE EXCEPTION 'max_events must be at least 1'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', coalesce(max_events::text, 'null'));
    END IF;

    horizon := maintenance.replay_horizon();
    RETURN QUERY
        SELECT e.*
          FROM maintenance.events e
         WHERE e.id > replay_events.after_id
           AND e.id <= horizon
         ORDER BY e.id
         LIMIT replay_events.max_events;
END
$$;

COMMENT ON FUNCTION maintenance.replay_events(bigint, integer) IS
    'the events after a cursor, in id order, only ids no running transaction can still add below; move the cursor to the last id returned';

-- A consumer name longer than the limit (src/limits.c) is refused with 22023.
CREATE FUNCTION maintenance.check_consumer_name(name text)
RETURNS void
LANGUAGE c IMMUTABLE
AS 'MODULE_PATHNAME', 'maintenance_check_consumer_name';

COMMENT ON FUNCTION maintenance.check_consumer_name(text) IS
    'refuses a consumer name longer than the limit; internal to register_consumer';

CREATE FUNCTION maintenance.register_consumer(name text)
RETURNS maintenance.event_consumers
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    consumer maintenance.event_consumers;
BEGIN
    PERFORM maintenance.check_consumer_name(register_consumer.name);
    IF name IS NULL OR btrim(name, E' \t\n\r\f\x0B') = '' THEN
        RAISE EXCEPTION 'consumer name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO maintenance.event_consumers AS c (name, updated_at)
    VALUES (register_consumer.name, now())
    ON CONFLICT ON CONSTRAINT event_consumers_pkey DO NOTHING;
    SELECT c.* INTO consumer FROM maintenance.event_consumers c
     WHERE c.name = register_consumer.name;
    RETURN consumer;
END
$$;

COMMENT ON FUNCTION maintenance.register_consumer(text) IS
    'register a named consumer (its cursor starts at 0), or return the existing one';

CREATE FUNCTION maintenance.unregister_consumer(name text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM maintenance.event_consumers c
         WHERE c.name = unregister_consumer.name
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;

COMMENT ON FUNCTION maintenance.unregister_consumer(text) IS
    'forget a named consumer, so that it no longer holds back pruning; false if unknown';

CREATE FUNCTION maintenance.ack_events(name text, up_to bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    last_id bigint;
    acked bigint;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'consumer name must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF up_to IS NULL OR up_to < 0 THEN
        RAISE EXCEPTION 'up_to must be a non-negative event id'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', coalesce(up_to::text, 'null'));
    END IF;
    last_id := coalesce(pg_sequence_last_value('maintenance.events_id_seq'::regclass), 0);
    IF up_to > last_id THEN
        RAISE EXCEPTION 'cannot acknowledge event % that has not been written', up_to
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The highest event id written so far is %s.', last_id);
    END IF;
    -- Never backwards: a late or repeated acknowledgement changes nothing.
    UPDATE maintenance.event_consumers c
       SET last_event_id = greatest(c.last_event_id, ack_events.up_to),
           updated_at = now()
     WHERE c.name = ack_events.name
    RETURNING c.last_event_id INTO acked;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consumer "%" does not exist', name
            USING ERRCODE = 'no_data_found',
                  HINT = 'Register it with maintenance.register_consumer().';
    END IF;
    RETURN acked;
END
$$;

COMMENT ON FUNCTION maintenance.ack_events(text, bigint) IS
    'move a named consumer''s cursor forward to up_to (never backwards); returns the stored cursor';

CREATE FUNCTION maintenance.replay_events_for(name text, max_events integer DEFAULT 1000)
RETURNS SETOF maintenance.events
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    cursor_id bigint;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'consumer name must not be null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT c.last_event_id INTO cursor_id
      FROM maintenance.event_consumers c
     WHERE c.name = replay_events_for.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'consumer "%" does not exist', name
            USING ERRCODE = 'no_data_found',
                  HINT = 'Register it with maintenance.register_consumer().';
    END IF;
    RETURN QUERY SELECT * FROM maintenance.replay_events(cursor_id, max_events);
END
$$;

COMMENT ON FUNCTION maintenance.replay_events_for(text, integer) IS
    'replay_events after the cursor of a named consumer (acknowledge with ack_events)';

CREATE FUNCTION maintenance.prune_events(retention interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    keep interval := coalesce(retention, maintenance.event_retention());
    slowest bigint;
    pruned bigint;
BEGIN
    IF keep <= interval '0' THEN
        RAISE EXCEPTION 'retention must be positive'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given is %s.', keep);
    END IF;
    SELECT min(c.last_event_id) INTO slowest FROM maintenance.event_consumers c;
    DELETE FROM maintenance.events e
     WHERE e.occurred_at < now() - keep
       AND (slowest IS NULL OR e.id <= slowest);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN pruned;
END
$$;

COMMENT ON FUNCTION maintenance.prune_events(interval) IS
    'delete events older than the retention (default: the setting maintenance.event_retention), never one a registered consumer has not acknowledged; returns how many';
