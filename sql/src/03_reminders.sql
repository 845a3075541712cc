-- 03_reminders.sql: reminders before a window starts: what is due and what was sent, duration_iso

/* ---------------------------------------------------------------------
 * Reminders (doc/scheduling.md, "Reminders"): one row per maintenance, start and
 * lead that is to be sent (sent_at null) or was sent.  Triggers on
 * maintenances arm the reminders of each new start, so every write path
 * does (the C functions, direct SQL, a restore); run_transitions
 * (src/reminders.c) sends the due ones and marks them sent in the
 * transaction of their events: the primary key makes each maintenance,
 * start and lead at most one reminder, however runs overlap.
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.maintenance_reminders (
    maintenance_id uuid NOT NULL
        REFERENCES maintenance.maintenances (id) ON DELETE CASCADE,
    start_at timestamptz NOT NULL,
    remind_before interval NOT NULL,
    -- start_at minus the lead, days counted as 24 hours
    remind_at timestamptz NOT NULL,
    sent_at timestamptz,
    CONSTRAINT maintenance_reminders_pkey PRIMARY KEY (maintenance_id, start_at, remind_before)
);

COMMENT ON TABLE maintenance.maintenance_reminders IS
    'the reminders of each maintenance''s start: to be sent (sent_at null) or sent';

-- run_transitions probes only the reminders still to be sent, by moment.
CREATE INDEX maintenance_reminders_due
    ON maintenance.maintenance_reminders (remind_at, maintenance_id, remind_before)
    WHERE sent_at IS NULL;

/*
 * Arm the reminders of a maintenance's start: those whose moment has not
 * passed yet (now(), the writing transaction's time).  A new start (insert,
 * or start_at moved) arms every lead and forgets the unsent reminders of
 * the old one; a change of the leads alone arms the new leads and forgets
 * the unsent reminders of those removed.  A reminder already sent for this
 * start and lead is not armed again (the primary key), and nothing is
 * armed for a maintenance that is no longer scheduled.  Runs as its owner:
 * a role allowed to write maintenances keeps the reminders right without a
 * grant on maintenance_reminders.
 */
CREATE FUNCTION maintenance.arm_reminders()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
DECLARE
    new_start boolean := TG_OP OPERATOR(pg_catalog.=) 'INSERT'
                         OR NEW.start_at OPERATOR(pg_catalog.<>) OLD.start_at;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
        DELETE FROM maintenance.maintenance_reminders r
         WHERE r.maintenance_id OPERATOR(pg_catalog.=) OLD.id
           AND r.sent_at IS NULL
           AND (new_start OR NOT r.remind_before OPERATOR(pg_catalog.=) ANY (NEW.reminders));
    END IF;
    IF NEW.status OPERATOR(pg_catalog.<>) 'scheduled'::maintenance.status THEN
        RETURN NULL;
    END IF;
    INSERT INTO maintenance.maintenance_reminders (maintenance_id, start_at, remind_before, remind_at)
    SELECT NEW.id, NEW.start_at, l.lead, l.remind_at
      FROM (SELECT DISTINCT r.lead,
                   NEW.start_at OPERATOR(pg_catalog.-)
                       pg_catalog.make_interval(secs => pg_catalog.date_part('epoch', r.lead)) AS remind_at
              FROM pg_catalog.unnest(NEW.reminders) AS r(lead)
             WHERE r.lead IS NOT NULL
               AND (new_start OR NOT r.lead OPERATOR(pg_catalog.=) ANY (OLD.reminders))) l
     WHERE l.remind_at OPERATOR(pg_catalog.>=) pg_catalog.now()
    ON CONFLICT ON CONSTRAINT maintenance_reminders_pkey DO NOTHING;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION maintenance.arm_reminders() IS
    'trigger: arm the reminders of a new start or of new leads whose moment has not passed';

CREATE TRIGGER maintenances_arm_reminders_insert
    AFTER INSERT ON maintenance.maintenances
    FOR EACH ROW
    WHEN (pg_catalog.cardinality(NEW.reminders) OPERATOR(pg_catalog.>) 0)
    EXECUTE FUNCTION maintenance.arm_reminders();

CREATE TRIGGER maintenances_arm_reminders_update
    AFTER UPDATE OF start_at, reminders ON maintenance.maintenances
    FOR EACH ROW
    WHEN ((OLD.start_at IS DISTINCT FROM NEW.start_at OR OLD.reminders IS DISTINCT FROM NEW.reminders)
          AND (pg_catalog.cardinality(OLD.reminders) OPERATOR(pg_catalog.>) 0
               OR pg_catalog.cardinality(NEW.reminders) OPERATOR(pg_catalog.>) 0))
    EXECUTE FUNCTION maintenance.arm_reminders();

-- The ISO 8601 form of a lead, as RFC 5545 writes durations (src/reminders.c).
CREATE FUNCTION maintenance.duration_iso(d interval)
RETURNS text
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'maintenance_duration_iso';

COMMENT ON FUNCTION maintenance.duration_iso(interval) IS
    'an interval of days and time as an RFC 5545 duration (PT2H, PT1H30M, P1D, P1W)';
