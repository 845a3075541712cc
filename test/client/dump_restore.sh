#!/usr/bin/env bash
# dump_restore.sh — pg_dump of a database with the extension, restored into a
# fresh database, gives back every row and a working extension (the
# extension's tables are configuration tables, pg_extension_config_dump).
#
# Two scenarios:
#
#   A. In the cluster of PGHOST/PGPORT/PGUSER (a superuser), a database
#      without pg_cron: maintenances in every status (by hand, by close, by
#      the transition sweep), several systems, a changed maintenance, a
#      deleted one, a timeline with several updates written in one
#      transaction, a title with quotes, a backslash, a tab and non-ASCII
#      text, an event whose envelope is too large for NOTIFY (sent
#      truncated), two named event consumers (one has acknowledged), and a
#      grant to a role.  Dumped with pg_dump in plain format (restored with
#      psql) and in custom format (restored with pg_restore), each into a
#      fresh database.
#   B. In a throwaway cluster of its own (scripts/cluster.sh) whose pg_cron
#      lives in the extension's database: CREATE EXTENSION scheduled the
#      jobs "maintenance-transitions" and "maintenance-prune-events", the
#      user moved the transitions job to another schedule and has a job of
#      their own.  pg_cron's own data (cron.job) carries the jobs; the
#      restore must not fail on them, and must leave each job once, as it
#      was.  Restored (plain and custom) into a fresh database of the same
#      name (pg_cron only works in cron.database_name).
#
# Checked after each restore:
#   - the restore itself runs without an error (psql ON_ERROR_STOP,
#     pg_restore --exit-on-error);
#   - every table of the extension is one whose rows pg_dump carries
#     (pg_extension_config_dump), but maintenance_windows, which the
#     triggers derive from the restored timelines and systems; every row of
#     every table (that one too) is identical
#     (COPY of each table, ordered by all its columns), and so are the
#     sequence positions, the JSON the reads give, and the schema (pg_dump
#     --schema-only: grants and comments included);
#   - without pg_cron, the dump holds no pg_cron statement at all;
#   - the extension works: create_maintenance, add_update (the timeline
#     position continues after the restored ones), run_transitions (as
#     many started and completed as were due), replay_events and a named
#     consumer's cursor, and the new events' ids come after every restored
#     one;
#   - B: cron.job has each job exactly once, with the schedule the source
#     had, and the user's own job; a DROP EXTENSION then CREATE EXTENSION
#     in the restored database still removes and schedules the jobs.
#
# Usage: test/client/dump_restore.sh   (PGHOST, PGPORT, PGUSER of a superuser;
# PostgreSQL 15's bin directory first in PATH; run from the repository root.
# Creates and drops the databases DUMP_RESTORE_DB (default dump_restore)
# with the suffixes _src, _plain and _custom, and the role
# DUMP_RESTORE_DB_reader; starts and removes its own cluster for B;
# DUMP_RESTORE_KEEP=1 keeps the files and the databases of A, for
# debugging).  Prints TAP-like lines; exit status 0 = pass.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DB=${DUMP_RESTORE_DB:-dump_restore}
SRC=${DB}_src
PLAIN=${DB}_plain
CUSTOM=${DB}_custom
READER=${DB}_reader
CRON_DB=${DB}_cron
export PGCLIENTENCODING=UTF8 LC_ALL=C LANGUAGE=C
unset PGDATABASE PGOPTIONS PGSERVICE
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dump_restore.XXXXXX")
cron_cluster=

# The cluster of the runner, saved so that B's can be used in between.
MAIN_PGHOST=${PGHOST:-}
MAIN_PGPORT=${PGPORT:-}

use_main_cluster() {
	export PGHOST=$MAIN_PGHOST PGPORT=$MAIN_PGPORT
	[ -n "$PGHOST" ] || unset PGHOST
	[ -n "$PGPORT" ] || unset PGPORT
}

cleanup() {
	status=$?
	if [ -n "$cron_cluster" ]; then
		"$REPO_ROOT/scripts/cluster.sh" stop "$cron_cluster" >/dev/null 2>&1 || true
		rm -rf "$cron_cluster"
	fi
	if [ -n "${DUMP_RESTORE_KEEP:-}" ]; then
		echo "# DUMP_RESTORE_KEEP is set: $tmp and the databases $SRC, $PLAIN, $CUSTOM are left behind"
		exit "$status"
	fi
	use_main_cluster
	timeout 60 psql -X -q -d postgres -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<-SQL || true
		SET client_min_messages = warning;
		DROP DATABASE IF EXISTS $SRC WITH (FORCE);
		DROP DATABASE IF EXISTS $PLAIN WITH (FORCE);
		DROP DATABASE IF EXISTS $CUSTOM WITH (FORCE);
		DROP ROLE IF EXISTS $READER;
	SQL
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# q DB [psql args]: quiet, unaligned, stop at the first error
q() {
	local db=$1
	shift
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# ---------------------------------------------------------------- SQL
# The data of the source database.  Times are fixed or far from now, so that
# the checks after the restore know what is due.
populate_sql() {
	cat <<'SQL'
SET TimeZone = 'UTC';
SET maintenance.actor = 'ops@example.com';
-- scheduled, with a description, suppressing notifications
SELECT id AS m_sched FROM maintenance.create_maintenance(
    'Database upgrade', '2031-03-01 10:00+00', '2031-03-01 12:00+00',
    ARRAY['db-1', 'db-2', 'db-1'], 'Primary and replica', true) \gset
-- several updates in one transaction: their order is the order of writing
BEGIN;
SELECT 1 FROM maintenance.add_update(:'m_sched', 'first');
SELECT 1 FROM maintenance.add_update(:'m_sched', 'second', created_by => 'alice');
SELECT 1 FROM maintenance.add_update(:'m_sched', 'third, same status', 'scheduled');
SELECT 1 FROM maintenance.add_update(:'m_sched', 'fourth');
COMMIT;
-- in progress, by hand
SELECT id AS m_prog FROM maintenance.create_maintenance(
    'Network work', '2020-06-01 00:00+00', '2099-01-01 00:00+00', ARRAY['net']) \gset
SELECT 1 FROM maintenance.add_update(:'m_prog', 'Started by hand', 'in_progress');
-- completed early (close)
SELECT id AS m_closed FROM maintenance.create_maintenance(
    'Closed early', '2031-04-01 00:00+00', '2031-04-02 00:00+00', ARRAY['web']) \gset
SELECT 1 FROM maintenance.close_maintenance(:'m_closed', created_by => 'bob');
-- cancelled
SELECT id AS m_cancelled FROM maintenance.create_maintenance(
    'Cancelled', '2031-05-01 00:00+00', '2031-05-02 00:00+00', ARRAY['web', 'api']) \gset
SELECT 1 FROM maintenance.add_update(:'m_cancelled', 'Called off', 'cancelled');
-- started and completed by the sweep, in one run
SELECT id AS m_auto FROM maintenance.create_maintenance(
    'Past window', '2020-01-01 00:00+00', '2020-01-01 01:00+00', ARRAY['batch']) \gset
SELECT started = 1 AND completed = 1 AND failed = 0 AS sweep_ok
  FROM maintenance.run_transitions(as_of => '2020-01-02 00:00+00') \gset
\if :sweep_ok
\else
\warn 'run_transitions did not start and complete "Past window"'
SELECT 1/0;
\endif
-- changed: title, description cleared, other systems
SELECT id AS m_changed FROM maintenance.create_maintenance(
    'Old title', '2031-06-01 00:00+00', '2031-06-01 03:00+00', ARRAY['a', 'b'], 'to be cleared') \gset
SELECT 1 FROM maintenance.update_maintenance(:'m_changed', title => E'New "title" \\ with\ttab, ünïcödé ✓',
    system_ids => ARRAY['b', 'c'], clear_description => true);
-- an envelope too large for NOTIFY: sent truncated, the row has it all
SELECT id AS m_large FROM maintenance.create_maintenance(
    'Large', '2031-07-01 00:00+00', '2031-07-01 01:00+00', ARRAY['big'], repeat('0123456789', 1000)) \gset
-- deleted: its rows go, its events stay
SELECT id AS m_deleted FROM maintenance.create_maintenance(
    'Deleted', '2031-08-01 00:00+00', '2031-08-01 01:00+00', ARRAY['gone']) \gset
SELECT maintenance.delete_maintenance(:'m_deleted') AS deleted \gset
-- event consumers: one has acknowledged some events, one none
SELECT 1 FROM maintenance.register_consumer('billing');
SELECT 1 FROM maintenance.ack_events('billing', 7);
SELECT 1 FROM maintenance.register_consumer('audit');
-- started and completed by hand in two transactions: a closed maintenance
-- window (derived, not dumped)
SELECT id AS m_window FROM maintenance.create_maintenance(
    'Closed window', '2020-02-01 00:00+00', '2099-02-01 00:00+00', ARRAY['net', 'web']) \gset
SELECT 1 FROM maintenance.add_update(:'m_window', 'Started', 'in_progress');
SELECT 1 FROM maintenance.add_update(:'m_window', 'Done', 'completed');
SQL
}

# The source must really hold what the scenario claims.
source_checks() {
	local db=$1
	q "$db" -c "SELECT array_agg(DISTINCT status ORDER BY status)::text[]
	                 = '{scheduled,in_progress,completed,cancelled}'
	              FROM maintenance.maintenances" | check_t "source: maintenances in every status"
	q "$db" -c "SELECT count(*) >= 4 FROM maintenance.maintenance_updates u
	              JOIN maintenance.maintenances m ON m.id = u.maintenance_id
	             WHERE m.title = 'Database upgrade'
	            HAVING count(DISTINCT u.created_at) = 1" |
		check_t "source: several updates written in one transaction"
	q "$db" -c "SELECT count(*) > 0 FROM maintenance.events e
	             WHERE octet_length(maintenance.event_envelope(e)::text) >= 8000" |
		check_t "source: an event too large for NOTIFY"
	q "$db" -c "SELECT count(*) = 2 AND max(last_event_id) = 7 AND min(last_event_id) = 0
	              FROM maintenance.event_consumers" | check_t "source: two event consumers, one acknowledged"
	q "$db" -c "SELECT count(*) FILTER (WHERE upper_inf(during)) > 0 AND count(*) FILTER (WHERE NOT upper_inf(during)) > 0
	              FROM maintenance.maintenance_windows" |
		check_t "source: maintenance windows open and closed (not dumped: the restore derives them)"
}

# A text snapshot of everything the extension holds, for comparison.
snapshot() { # snapshot DB FILE
	q "$1" >"$2" <<'SQL'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 3;
\echo '# tables of the extension whose rows pg_dump does not carry'
SELECT c.oid::regclass
  FROM pg_class c
 WHERE c.relnamespace = 'maintenance'::regnamespace AND c.relkind IN ('r', 'p', 'S')
   AND c.oid <> ALL (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'maintenance')
 ORDER BY 1;
\echo '# rows of each table'
SELECT format('SELECT %L', '## ' || c.oid::regclass::text),
       format('COPY (SELECT * FROM %s ORDER BY %s) TO STDOUT', c.oid::regclass,
              (SELECT string_agg(a.attnum::text, ', ' ORDER BY a.attnum)
                 FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped))
  FROM pg_class c
 WHERE c.relnamespace = 'maintenance'::regnamespace AND c.relkind = 'r'
 ORDER BY c.relname
\gexec
\echo '# sequences'
SELECT format('SELECT %L, last_value, is_called FROM %s', c.oid::regclass::text, c.oid::regclass)
  FROM pg_class c
 WHERE c.relnamespace = 'maintenance'::regnamespace AND c.relkind = 'S'
 ORDER BY c.relname
\gexec
\echo '# the reads'
SELECT maintenance.rpc('listMaintenances');
SELECT maintenance.rpc('getMaintenance', jsonb_build_object('id', id)) FROM maintenance.maintenances ORDER BY id;
SELECT maintenance.rpc('getBulkMaintenancesForSystems', '{"systemIds": ["db-1", "db-2", "net", "web", "big", "c", "gone"]}');
SELECT e.id, maintenance.event_envelope(e) FROM maintenance.replay_events(0, 100000) e;
SELECT e.id FROM maintenance.replay_events_for('billing') e;
SELECT maintenance.rpc('getCoverage', '{"systemIds": ["db-1", "db-2", "net", "web", "big", "c", "gone"],
                                        "from": "2000-01-01T00:00:00Z", "to": "2001-01-01T00:00:00Z"}');
SELECT c.system_id, lower(c.ranges) FROM maintenance.coverage('{db-1,db-2,net,web,big,c,gone}', '[2000-01-01,)') c;
SQL
}

# The schema as pg_dump sees it (grants and comments included), without the
# lines that differ between two dumps of equal databases.
schema_of() { # schema_of DB FILE
	pg_dump --schema-only -d "$1" | grep -Ev '^\\(un)?restrict |^-- Dumped (from|by)' >"$2"
}

# The extension works in a restored database, and goes on where the source
# stopped.
works_after_restore() { # works_after_restore DB LABEL
	local db=$1 label=$2 out
	out=$(q "$db" 2>&1 <<'SQL'
SET TimeZone = 'UTC';
SELECT max(id) AS max_event, count(*) AS n_events FROM maintenance.events \gset
SELECT max(position) AS max_position FROM maintenance.maintenance_updates \gset
SELECT last_event_id AS billing_cursor FROM maintenance.event_consumers WHERE name = 'billing' \gset
-- what the sweep below must do, counted before: "After restore" starts and
-- completes as well, and "Database upgrade" is started by hand before it
SELECT count(*) FILTER (WHERE status = 'scheduled' AND start_at <= '2032-01-01 02:00+00') AS due_start,
       count(*) FILTER (WHERE status IN ('scheduled', 'in_progress') AND end_at <= '2032-01-01 02:00+00') AS due_end
  FROM maintenance.maintenances \gset
SELECT id AS m_new FROM maintenance.create_maintenance(
    'After restore', '2032-01-01 00:00+00', '2032-01-01 01:00+00', ARRAY['db-1']) \gset
SELECT 'create', count(*) = 3 AND min(id) > :max_event
  FROM maintenance.events WHERE payload ->> 'maintenanceId' = :'m_new';
SELECT 'add_update', (u).position > :max_position AND (u).created_by IS NULL
  FROM (SELECT maintenance.add_update(:'m_new', 'after the restore') AS u) x;
SELECT 'add_update to a restored maintenance',
       (maintenance.add_update(m.id, 'restored ones work too', 'in_progress')).position > :max_position
  FROM maintenance.maintenances m WHERE m.title = 'Database upgrade';
SELECT 'run_transitions', started = :due_start AND completed = :due_end + 1 AND failed = 0
  FROM maintenance.run_transitions(as_of => '2032-01-01 02:00+00');
SELECT 'timeline order', array_agg(u.message ORDER BY u.position)
       = ARRAY['first', 'second', 'third, same status', 'fourth', 'restored ones work too',
               'Maintenance completed automatically']
  FROM maintenance.maintenance_updates u JOIN maintenance.maintenances m ON m.id = u.maintenance_id
 WHERE m.title = 'Database upgrade';
SELECT 'new event ids after the restored ones',
       (SELECT count(*) FROM maintenance.events WHERE id <= :max_event) = :n_events
       AND (SELECT count(*) FROM maintenance.events) > :n_events + 10;
SELECT 'replay_events', array_agg(e.id ORDER BY e.id) = (SELECT array_agg(id ORDER BY id)
                                                           FROM maintenance.events WHERE id > :max_event)
  FROM maintenance.replay_events(:max_event) e;
SELECT 'consumer cursor', min(e.id) = :billing_cursor + 1 FROM maintenance.replay_events_for('billing') e;
SELECT 'ack_events', maintenance.ack_events('billing', :max_event + 1) = :max_event + 1;
SELECT 'rpc', (maintenance.rpc('getMaintenance', jsonb_build_object('id', :'m_new')) -> 'updates' -> 0 ->> 'message')
              = 'after the restore';
SELECT 'no event id twice', count(*) = count(DISTINCT id) FROM maintenance.events;
SQL
	) || {
		not_ok "$label: the extension works after the restore" "$out"
		return 0
	}
	local bad
	bad=$(grep -v '|t$' <<<"$out" || true)
	if [ -z "$bad" ] && [ "$(grep -c '|t$' <<<"$out")" -eq 11 ]; then
		ok "$label: the extension works after the restore (create, add_update, run_transitions, replay, consumers, rpc; ids continue)"
	else
		not_ok "$label: the extension works after the restore" "$out"
	fi
}

# compare_restored SRC-SNAPSHOT SRC-SCHEMA DB LABEL
compare_restored() {
	local snap=$1 schema=$2 db=$3 label=$4
	snapshot "$db" "$tmp/$label.snapshot" 2>"$tmp/$label.snapshot.err" ||
		cat "$tmp/$label.snapshot.err" >>"$tmp/$label.snapshot"
	same "$label: identical rows, sequence positions and reads" "$snap" "$tmp/$label.snapshot"
	schema_of "$db" "$tmp/$label.schema"
	same "$label: identical schema, grants and comments (pg_dump --schema-only)" "$schema" "$tmp/$label.schema"
}

# restore_plain FILE DB LABEL / restore_custom FILE DB LABEL: into a fresh
# database; passes when the restore has no error.
restore_plain() {
	local file=$1 db=$2 label=$3
	q postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
	if psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$file" >"$tmp/$label.log" 2>&1 &&
		! grep -q 'ERROR' "$tmp/$label.log"; then
		ok "$label: psql restores the plain dump without an error"
	else
		not_ok "$label: psql restores the plain dump without an error" "$tmp/$label.log"
		return 1
	fi
}

restore_custom() {
	local file=$1 db=$2 label=$3
	q postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
	if pg_restore --exit-on-error -d "$db" "$file" >"$tmp/$label.log" 2>&1 &&
		! grep -q 'ERROR' "$tmp/$label.log"; then
		ok "$label: pg_restore restores the custom dump without an error"
	else
		not_ok "$label: pg_restore restores the custom dump without an error" "$tmp/$label.log"
		return 1
	fi
}

# ---------------------------------------------------------------- A: no pg_cron
echo "# A: a database without pg_cron ($SRC), restored into $PLAIN and $CUSTOM"
use_main_cluster
q postgres <<SQL
DROP DATABASE IF EXISTS $SRC WITH (FORCE);
DROP DATABASE IF EXISTS $PLAIN WITH (FORCE);
DROP DATABASE IF EXISTS $CUSTOM WITH (FORCE);
DROP ROLE IF EXISTS $READER;
CREATE ROLE $READER;
CREATE DATABASE $SRC;
SQL
q "$SRC" -c 'CREATE EXTENSION maintenance'
q "$SRC" -c "GRANT USAGE ON SCHEMA maintenance TO $READER" \
	-c "GRANT EXECUTE ON FUNCTION maintenance.add_update(uuid, text, maintenance.status, text) TO $READER" \
	-c "GRANT SELECT ON maintenance.events TO $READER"
populate_sql | q "$SRC" >/dev/null
source_checks "$SRC"
snapshot "$SRC" "$tmp/src.snapshot"
schema_of "$SRC" "$tmp/src.schema"

pg_dump -Fp -d "$SRC" -f "$tmp/src.sql"
pg_dump -Fc -d "$SRC" -f "$tmp/src.dump"
if grep -n 'cron' "$tmp/src.sql" >"$tmp/cron-lines"; then
	not_ok "A: the dump holds no pg_cron statement" "$tmp/cron-lines"
else
	ok "A: the dump holds no pg_cron statement"
fi

if restore_plain "$tmp/src.sql" "$PLAIN" "A plain"; then
	compare_restored "$tmp/src.snapshot" "$tmp/src.schema" "$PLAIN" "A plain"
	q "$PLAIN" -c "SELECT has_function_privilege('$READER', 'maintenance.add_update(uuid, text, maintenance.status, text)', 'EXECUTE')
	                  AND NOT has_function_privilege('$READER', 'maintenance.close_maintenance(uuid, text, text)', 'EXECUTE')
	                  AND has_table_privilege('$READER', 'maintenance.events', 'SELECT')
	                  AND NOT has_table_privilege('$READER', 'maintenance.maintenances', 'SELECT')" |
		check_t "A plain: the grants to a role are restored, and only they"
	works_after_restore "$PLAIN" "A plain"
fi
if restore_custom "$tmp/src.dump" "$CUSTOM" "A custom"; then
	compare_restored "$tmp/src.snapshot" "$tmp/src.schema" "$CUSTOM" "A custom"
	works_after_restore "$CUSTOM" "A custom"
fi

# ---------------------------------------------------------------- B: pg_cron in the database
echo "# B: pg_cron in the extension's database ($CRON_DB), in a cluster of its own"
cron_cluster=$(mktemp -d "${TMPDIR:-/tmp}/dump_restore_pg.XXXXXX")
if ! "$REPO_ROOT/scripts/cluster.sh" start "$cron_cluster" "cron.database_name = '$CRON_DB'" \
	>"$tmp/cluster.log" 2>&1; then
	cat "$cron_cluster/server.log" >>"$tmp/cluster.log" 2>/dev/null || true
	not_ok "B: start a cluster with cron.database_name = '$CRON_DB'" "$tmp/cluster.log"
else
	export PGHOST=$cron_cluster PGPORT=5432
	cron_jobs() { # the jobs of the database, as the source had them
		q "$CRON_DB" -c "SELECT jobname, schedule, command, database, username, active
		                   FROM cron.job ORDER BY jobname, jobid"
	}
	q postgres -c "CREATE DATABASE $CRON_DB"
	q "$CRON_DB" -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION maintenance'
	q "$CRON_DB" -c "SELECT count(*) = 2 FROM cron.job
	                  WHERE jobname IN ('maintenance-transitions', 'maintenance-prune-events')" |
		check_t "B: CREATE EXTENSION scheduled both jobs"
	q "$CRON_DB" >/dev/null <<-'SQL'
		SELECT maintenance.schedule_transitions('*/5 * * * *');
		SELECT cron.schedule('users-own-job', '0 4 * * *', 'SELECT 1');
	SQL
	populate_sql | q "$CRON_DB" >/dev/null
	snapshot "$CRON_DB" "$tmp/cron-src.snapshot"
	schema_of "$CRON_DB" "$tmp/cron-src.schema"
	cron_jobs >"$tmp/cron-src.jobs"
	pg_dump -Fp -d "$CRON_DB" -f "$tmp/cron.sql"
	pg_dump -Fc -d "$CRON_DB" -f "$tmp/cron.dump"
	grep -c "maintenance-transitions" "$tmp/cron.sql" | sed 's/^1$/t/' |
		check_t "B: the dump carries the transitions job once (pg_cron's data)"

	for format in plain custom; do
		if [ "$format" = plain ]; then
			restore_plain "$tmp/cron.sql" "$CRON_DB" "B $format" || continue
		else
			restore_custom "$tmp/cron.dump" "$CRON_DB" "B $format" || continue
		fi
		cron_jobs >"$tmp/cron-$format.jobs"
		same "B $format: each pg_cron job once, as the source had it" "$tmp/cron-src.jobs" "$tmp/cron-$format.jobs"
		compare_restored "$tmp/cron-src.snapshot" "$tmp/cron-src.schema" "$CRON_DB" "B $format"
		works_after_restore "$CRON_DB" "B $format"
	done
	q "$CRON_DB" -c 'DROP EXTENSION maintenance' -c 'CREATE EXTENSION maintenance' \
		-c "SELECT string_agg(jobname || ' ' || schedule, ', ' ORDER BY jobname)
		       = 'maintenance-prune-events 17 3 * * *, maintenance-transitions * * * * *, users-own-job 0 4 * * *'
		      FROM cron.job" 2>&1 |
		check_t "B: after the restore, DROP and CREATE EXTENSION still remove and schedule the jobs"
	use_main_cluster
fi

tap_summary
