-- Consuming events: cursor replay, named consumers, retention (the delivery
-- guarantees of the outbox).  The commit-order case is
-- test/specs/events_commit_order.spec.
CREATE EXTENSION maintenance;

-- Three maintenances with one system each: three events apiece, ids 1 to 9.
SELECT title FROM maintenance.create_maintenance('one', '2030-01-01 10:00+00', '2030-01-01 12:00+00', ARRAY['sys-a']);
SELECT title FROM maintenance.create_maintenance('two', '2030-01-02 10:00+00', '2030-01-02 12:00+00', ARRAY['sys-b']);
SELECT title FROM maintenance.create_maintenance('three', '2030-01-03 10:00+00', '2030-01-03 12:00+00', ARRAY['sys-c']);

-- Replay from the start: every event, in id order.
SELECT id, channel, name FROM maintenance.replay_events();

-- With a limit, page by page: the cursor is the last id handed out.
SELECT id FROM maintenance.replay_events(0, 4);
SELECT id FROM maintenance.replay_events(4, 4);
SELECT id FROM maintenance.replay_events(8, 4);
-- Caught up.
SELECT id FROM maintenance.replay_events(9);

-- The envelope is NOTIFY's, always with the whole payload.
SELECT e.id,
       maintenance.event_envelope(e) - 'occurredAt' - 'payload' AS head,
       maintenance.event_envelope(e) -> 'payload' = e.payload AS whole_payload,
       maintenance.event_envelope(e) ->> 'occurredAt' = maintenance.iso_time(e.occurred_at) AS occurred_at
  FROM maintenance.replay_events(0, 3) e;
SELECT maintenance.get_event(2) = maintenance.event_envelope(e) AS same
  FROM maintenance.events e WHERE e.id = 2;
SELECT maintenance.get_event(1000) IS NULL AS unknown_is_null;

-- A transaction does not get its own uncommitted events, nor any after
-- them, even when the subtransaction that wrote its first event rolled back:
-- the writer stays announced until the transaction ends.
BEGIN;
SAVEPOINT first_try;
SELECT title FROM maintenance.create_maintenance('rolled back', '2030-01-04 10:00+00', '2030-01-04 12:00+00', ARRAY['sys-d']);
ROLLBACK TO SAVEPOINT first_try;
SELECT title FROM maintenance.create_maintenance('four', '2030-01-04 10:00+00', '2030-01-04 12:00+00', ARRAY['sys-d']);
SELECT array_agg(id ORDER BY id) AS visible_to_itself FROM maintenance.events WHERE id > 9;
SELECT count(*) AS replayed FROM maintenance.replay_events(9);
COMMIT;
-- Committed: handed out; ids 10 to 12 were rolled back and never exist.
SELECT id, channel, name FROM maintenance.replay_events(9);

-- Bad arguments.
SELECT * FROM maintenance.replay_events(-1);
SELECT * FROM maintenance.replay_events(NULL);
SELECT * FROM maintenance.replay_events(0, 0);
-- Replay needs a fresh snapshot after it has looked at the running writers.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM maintenance.replay_events();
ROLLBACK;

-- Named consumers: the server keeps their cursor.
SELECT name, last_event_id, updated_at IS NOT NULL AS has_updated_at
  FROM maintenance.register_consumer('slow');
-- Registering again returns the existing consumer.
SELECT name, last_event_id FROM maintenance.register_consumer('slow');
SELECT name, last_event_id FROM maintenance.register_consumer('fast');
SELECT * FROM maintenance.register_consumer(' ');
SELECT * FROM maintenance.register_consumer(NULL);

-- Acknowledgements move the cursor forward, never back.
SELECT maintenance.ack_events('slow', 2);
SELECT maintenance.ack_events('slow', 1);
SELECT maintenance.ack_events('fast', 15);
SELECT name, last_event_id FROM maintenance.event_consumers ORDER BY name;
SELECT maintenance.ack_events('nobody', 1);
SELECT maintenance.ack_events('slow', 16);
SELECT maintenance.ack_events('slow', NULL);

-- replay_events_for() replays after the consumer's cursor.
SELECT id FROM maintenance.replay_events_for('slow', 3);
SELECT id FROM maintenance.replay_events_for('fast');
SELECT id FROM maintenance.replay_events_for('nobody');

-- The consumers are user data that pg_dump carries.
SELECT 'maintenance.event_consumers'::regclass = ANY (extconfig) AS dumped
  FROM pg_extension WHERE extname = 'maintenance';

-- Privileges: a reader may replay, not acknowledge, prune or change the
-- retention.
CREATE ROLE events_replay_reader;
GRANT USAGE ON SCHEMA maintenance TO events_replay_reader;
SET ROLE events_replay_reader;
SELECT count(*) FROM maintenance.replay_events();
SELECT count(*) FROM maintenance.replay_events_for('slow');
SELECT maintenance.get_event(1) ->> 'name' AS name;
SELECT maintenance.ack_events('slow', 3);
SELECT maintenance.register_consumer('mine');
SELECT maintenance.prune_events();
SELECT count(*) FROM maintenance.events;
SET maintenance.event_retention = '1d';
RESET ROLE;
REVOKE USAGE ON SCHEMA maintenance FROM events_replay_reader;
DROP ROLE events_replay_reader;

-- Retention.  Ages are set here: ids 1-3 ten days old, 4-6 three days old,
-- 7-9 and 13-15 just written.
UPDATE maintenance.events SET occurred_at = now() - interval '10 days' WHERE id <= 3;
UPDATE maintenance.events SET occurred_at = now() - interval '3 days' WHERE id BETWEEN 4 AND 6;

-- The default retention is the setting maintenance.event_retention.
SHOW maintenance.event_retention;
SELECT maintenance.event_retention();
-- Older than 7 days: 1 to 3; but "slow" has acknowledged only up to 2, so
-- 3 is kept.
SELECT maintenance.prune_events() AS pruned;
SELECT array_agg(id ORDER BY id) AS kept FROM maintenance.events;
-- A shorter retention prunes nothing more while "slow" stays at 2.
SELECT maintenance.prune_events('1 day') AS pruned;
-- Once "slow" has acknowledged 5: 3, 4 and 5 go; 6 is as old but stays.
SELECT maintenance.ack_events('slow', 5);
SELECT maintenance.prune_events('1 day') AS pruned;
SELECT array_agg(id ORDER BY id) AS kept FROM maintenance.events;
-- A consumer that is gone no longer holds events back.
SELECT maintenance.unregister_consumer('slow');
SELECT maintenance.unregister_consumer('slow');
SELECT maintenance.prune_events('1 day') AS pruned;
SELECT array_agg(id ORDER BY id) AS kept FROM maintenance.events;

-- The setting, in minutes with units, validated.
SET maintenance.event_retention = '2d';
SHOW maintenance.event_retention;
SELECT maintenance.event_retention();
SET maintenance.event_retention = '36h';
SELECT maintenance.event_retention();
SET maintenance.event_retention = 'a week';
SET maintenance.event_retention = 0;
SET maintenance.event_retention = '2d';
UPDATE maintenance.events SET occurred_at = now() - interval '3 days' WHERE id = 7;
UPDATE maintenance.events SET occurred_at = now() - interval '1 day' WHERE id = 8;
SELECT maintenance.prune_events() AS pruned;
SELECT array_agg(id ORDER BY id) AS kept FROM maintenance.events;
RESET maintenance.event_retention;

-- Without any consumer, only the age counts.
SELECT maintenance.unregister_consumer('fast');
SELECT maintenance.prune_events('12 hours') AS pruned;
SELECT array_agg(id ORDER BY id) AS kept FROM maintenance.events;
SELECT maintenance.prune_events('0');
SELECT maintenance.prune_events('-1 day');

-- Replay goes on after pruning.
SELECT id FROM maintenance.replay_events();
SELECT id FROM maintenance.replay_events(9);

DROP EXTENSION maintenance;
