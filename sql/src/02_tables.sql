-- 02_tables.sql: tables, sequences and indexes; their rows are user data (pg_dump)

-- Sequences are separate objects so pg_dump carries their positions
-- (pg_extension_config_dump below).
CREATE SEQUENCE maintenance.maintenance_updates_position_seq;
CREATE SEQUENCE maintenance.events_id_seq;

CREATE TABLE maintenance.maintenances (
    id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    title text NOT NULL,
    description text,
    suppress_notifications boolean NOT NULL DEFAULT false,
    status maintenance.status NOT NULL DEFAULT 'scheduled',
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- A copy of this maintenance's rows of maintenance_systems, kept by the
    -- triggers below: beside the status, it lets one index answer "the
    -- active maintenances of system X" without the history.
    system_ids text[] NOT NULL DEFAULT '{}',
    -- An occurrence of a series (13_series.sql): the series, the local
    -- start the rule gave it, and whether it was changed on its own.
    series_id uuid,
    occurrence_start timestamp,
    overridden boolean NOT NULL DEFAULT false,
    CONSTRAINT maintenances_pkey PRIMARY KEY (id),
    CONSTRAINT maintenances_title_not_blank
        CHECK (pg_catalog.btrim(title, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT maintenances_start_at_finite
        CHECK (pg_catalog.isfinite(start_at)),
    CONSTRAINT maintenances_end_at_finite
        CHECK (pg_catalog.isfinite(end_at)),
    CONSTRAINT maintenances_end_after_start
        CHECK (end_at OPERATOR(pg_catalog.>) start_at),
    CONSTRAINT maintenances_occurrence_of_series
        CHECK ((series_id IS NULL) OPERATOR(pg_catalog.=) (occurrence_start IS NULL))
);

COMMENT ON TABLE maintenance.maintenances IS 'planned maintenance windows';

COMMENT ON COLUMN maintenance.maintenances.system_ids IS
    'the ids of maintenance_systems for this maintenance, sorted (COLLATE "C"), kept by triggers on that table';

-- The columns of 0.4.0 are added as the upgrade adds them (ALTER TABLE, in
-- its order), so that a fresh install has the same columns in the same
-- order, with the same stored default for the rows of before.
ALTER TABLE maintenance.maintenances
    ADD COLUMN schedule_changes integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN maintenance.maintenances.schedule_changes IS
    'how many times start_at or end_at changed (the iCalendar SEQUENCE), counted by a trigger';

-- Leads before start_at at which the reminders are sent (03_reminders.sql).
ALTER TABLE maintenance.maintenances
    ADD COLUMN reminders interval[] NOT NULL DEFAULT '{}';

COMMENT ON COLUMN maintenance.maintenances.reminders IS
    'leads before start_at at which a reminder is sent to each system (whole minutes, 1 minute to 366 days)';

-- The transition sweep probes only the rows that can still move.
CREATE INDEX maintenances_due_to_start
    ON maintenance.maintenances (start_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'scheduled'::maintenance.status;
CREATE INDEX maintenances_due_to_complete
    ON maintenance.maintenances (end_at, id)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status;
-- An occurrence is never created twice, however runs overlap.
CREATE UNIQUE INDEX maintenances_series_occurrence
    ON maintenance.maintenances (series_id, occurrence_start)
    WHERE series_id IS NOT NULL;
-- Lists are ordered by start_at, then id.
CREATE INDEX maintenances_start_at ON maintenance.maintenances (start_at, id);
-- Holds only the maintenances that can still start or end: the history
-- that grows without end stays out of it.
CREATE INDEX maintenances_active_systems
    ON maintenance.maintenances USING gin (system_ids)
    WHERE status OPERATOR(pg_catalog.=) ANY
          (ARRAY['scheduled', 'in_progress']::maintenance.status[]);
-- The question of has_active_maintenance_with_suppression(), and nothing
-- else: one small probe for any system, whatever the size of the table.
-- Without GIN's pending list: every probe would read the entries inserted
-- since the last vacuum, and only rows entering in_progress with
-- suppression are inserted here, few enough to go straight into the tree.
CREATE INDEX maintenances_suppressing_systems
    ON maintenance.maintenances USING gin (system_ids) WITH (fastupdate = off)
    WHERE status OPERATOR(pg_catalog.=) 'in_progress'::maintenance.status
      AND suppress_notifications;

CREATE TABLE maintenance.maintenance_systems (
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    system_id text NOT NULL,
    CONSTRAINT maintenance_systems_pkey PRIMARY KEY (maintenance_id, system_id),
    CONSTRAINT maintenance_systems_system_id_not_blank
        CHECK (pg_catalog.btrim(system_id, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) '')
);

COMMENT ON TABLE maintenance.maintenance_systems IS 'the systems each maintenance affects';

CREATE INDEX maintenance_systems_system_id
    ON maintenance.maintenance_systems (system_id, maintenance_id);

CREATE TABLE maintenance.maintenance_updates (
    id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    message text NOT NULL,
    status_change maintenance.status,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by text,
    -- Timeline order: the order of writing, also within one transaction.
    position bigint NOT NULL
        DEFAULT pg_catalog.nextval('maintenance.maintenance_updates_position_seq'::pg_catalog.regclass),
    CONSTRAINT maintenance_updates_pkey PRIMARY KEY (id),
    CONSTRAINT maintenance_updates_position_key UNIQUE (position),
    CONSTRAINT maintenance_updates_message_not_blank
        CHECK (pg_catalog.btrim(message, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) '')
);

COMMENT ON TABLE maintenance.maintenance_updates IS 'the timeline of each maintenance';

ALTER SEQUENCE maintenance.maintenance_updates_position_seq
    OWNED BY maintenance.maintenance_updates.position;

CREATE INDEX maintenance_updates_timeline
    ON maintenance.maintenance_updates (maintenance_id, position);

CREATE TABLE maintenance.events (
    id bigint NOT NULL
        DEFAULT pg_catalog.nextval('maintenance.events_id_seq'::pg_catalog.regclass),
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    channel text NOT NULL,
    name text NOT NULL,
    payload jsonb NOT NULL,
    -- The writing transaction (for diagnostics: replay uses the horizon of
    -- src/outbox.c, not xids).
    xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT events_channel_known CHECK (channel OPERATOR(pg_catalog.=) ANY
        (ARRAY['maintenance_signal', 'maintenance_hook', 'maintenance_notification']::text[]))
);

COMMENT ON TABLE maintenance.events IS 'the outbox: every event, also sent with NOTIFY on its channel';

ALTER SEQUENCE maintenance.events_id_seq OWNED BY maintenance.events.id;

CREATE INDEX events_occurred_at ON maintenance.events (occurred_at);

-- Consumers whose cursor the server keeps.  Pruning never removes an event
-- a registered consumer has not acknowledged.
CREATE TABLE maintenance.event_consumers (
    name text NOT NULL,
    last_event_id bigint NOT NULL DEFAULT 0,
    updated_at timestamptz,
    CONSTRAINT event_consumers_pkey PRIMARY KEY (name),
    CONSTRAINT event_consumers_name_not_blank
        CHECK (pg_catalog.btrim(name, E' \t\n\r\f\x0B') OPERATOR(pg_catalog.<>) ''),
    CONSTRAINT event_consumers_last_event_id_not_negative
        CHECK (last_event_id OPERATOR(pg_catalog.>=) 0)
);

COMMENT ON TABLE maintenance.event_consumers IS
    'named event consumers and the id of the last event each has acknowledged';

SELECT pg_catalog.pg_extension_config_dump('maintenance.event_consumers', '');

-- Rows are user data: pg_dump must carry them and the sequence positions.
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenances', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenance_systems', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenance_updates', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.events', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.maintenance_updates_position_seq', '');
SELECT pg_catalog.pg_extension_config_dump('maintenance.events_id_seq', '');
