-- 08_transitions.sql: automatic transitions (C)

/* ---------------------------------------------------------------------
 * Automatic transitions (C, src/transitions.c)
 * ------------------------------------------------------------------ */

CREATE FUNCTION maintenance.run_transitions(
    as_of timestamptz DEFAULT NULL,
    OUT started integer,
    OUT completed integer,
    OUT failed integer,
    OUT reminded integer,
    OUT created integer)
RETURNS record
LANGUAGE c VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS 'MODULE_PATHNAME', 'maintenance_run_transitions';

COMMENT ON FUNCTION maintenance.run_transitions(timestamptz) IS
    'create the occurrences of series that come within the horizon, send the reminders that are due, start and complete every maintenance whose time has come (as_of defaults to the current time)';
