#!/usr/bin/env bash
# The pg_cron job of the maintenance extension.
#
# Runs against the cluster named by PGHOST/PGPORT/PGUSER (a superuser), whose
# pg_cron lives in database "postgres" (cron.database_name), as set up by
# scripts/cluster.sh:
#   - CREATE EXTENSION maintenance in "postgres" schedules the job
#     "maintenance-transitions" at "* * * * *" running
#     "SELECT maintenance.run_transitions()";
#   - DROP EXTENSION, DROP SCHEMA maintenance CASCADE and DROP OWNED remove it
#     (a rolled-back DROP keeps it);
#   - maintenance.schedule_transitions() / unschedule_transitions() work;
#   - in a database without pg_cron, CREATE EXTENSION says in a NOTICE the
#     exact cron.schedule_in_database(...) statement to run, and that
#     statement works in "postgres".
# It leaves "postgres" as it found it.  Exit status 0 when every check passed.
set -uo pipefail

: "${PGHOST:?set PGHOST to the test cluster}"
export PGUSER=${PGUSER:-postgres}
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
CRON_DB=postgres
OTHER_DB=maintenance_cron_nopg
OWNER_ROLE=maintenance_cron_owner
JOB=maintenance-transitions
COMMAND='SELECT maintenance.run_transitions()'
# The command of a job scheduled from pg_cron's database for another one: it
# does nothing once the extension is dropped there (DROP EXTENSION cannot
# reach that job); as it stands in cron.job, and as an SQL literal.
GUARDED="DO \$job\$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'maintenance') THEN EXECUTE '$COMMAND'; END IF; END\$job\$"
GUARDED_LITERAL=${GUARDED//\'/\'\'}

created_pg_cron=0
tmp=$(mktemp -d)

# psql, unaligned and quiet, stopping at the first error
q() {
	local db=$1
	shift
	psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# The jobs named "maintenance-transitions" as "jobname|schedule|command|database|username|active"
jobs_of() {
	q "$CRON_DB" -c "SELECT jobname, schedule, command, database, username, active
	                   FROM cron.job WHERE jobname = '$1' ORDER BY jobid"
}

cleanup() {
	q "$CRON_DB" -c "DROP EXTENSION IF EXISTS maintenance" >/dev/null 2>&1
	q "$CRON_DB" -c "SELECT cron.unschedule(jobid) FROM cron.job
	                  WHERE jobname IN ('$JOB', '$JOB-$OTHER_DB', 'maintenance-prune-events')" >/dev/null 2>&1
	q "$CRON_DB" -c "DROP ROLE IF EXISTS $OWNER_ROLE" >/dev/null 2>&1
	dropdb --if-exists "$OTHER_DB" >/dev/null 2>&1
	if [ "$created_pg_cron" = 1 ]; then
		q "$CRON_DB" -c "DROP EXTENSION IF EXISTS pg_cron" >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- preconditions ------------------------------------------------------
if [ "$(q "$CRON_DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'maintenance'")" != 0 ]; then
	echo "Bail out! database \"$CRON_DB\" already has the extension maintenance; refusing to touch it"
	trap - EXIT
	exit 2
fi
if [ "$(q "$CRON_DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")" = 0 ]; then
	q "$CRON_DB" -c "CREATE EXTENSION pg_cron" || { echo "Bail out! cannot create pg_cron in $CRON_DB"; exit 2; }
	created_pg_cron=1
fi
is "no job \"$JOB\" before the test" "$(jobs_of "$JOB")" ""

# --- CREATE EXTENSION schedules the job, without a NOTICE ----------------
q "$CRON_DB" -c "CREATE EXTENSION maintenance" 2>"$tmp/create.err"
is "CREATE EXTENSION in the pg_cron database says nothing" "$(cat "$tmp/create.err")" ""
is "CREATE EXTENSION schedules the job" \
	"$(jobs_of "$JOB")" "$JOB|* * * * *|$COMMAND|$CRON_DB|$PGUSER|t"

PRUNE_JOB=maintenance-prune-events
PRUNE_COMMAND='SELECT maintenance.prune_events()'
is "CREATE EXTENSION schedules the daily pruning of old events" \
	"$(jobs_of "$PRUNE_JOB")" "$PRUNE_JOB|17 3 * * *|$PRUNE_COMMAND|$CRON_DB|$PGUSER|t"
is "schedule_event_pruning('0 * * * *') reschedules it" \
	"$(q "$CRON_DB" -c "SELECT maintenance.schedule_event_pruning('0 * * * *')" >/dev/null; jobs_of "$PRUNE_JOB")" \
	"$PRUNE_JOB|0 * * * *|$PRUNE_COMMAND|$CRON_DB|$PGUSER|t"
is "unschedule_event_pruning() removes it" "$(q "$CRON_DB" -c "SELECT maintenance.unschedule_event_pruning()")|$(jobs_of "$PRUNE_JOB")" \
	"t|"
is "schedule_event_pruning() puts it back daily" \
	"$(q "$CRON_DB" -c "SELECT maintenance.schedule_event_pruning()" >/dev/null; jobs_of "$PRUNE_JOB")" \
	"$PRUNE_JOB|17 3 * * *|$PRUNE_COMMAND|$CRON_DB|$PGUSER|t"
is "the pruning job's command runs" "$(q "$CRON_DB" -c "$PRUNE_COMMAND")" "0"

# --- schedule_transitions() / unschedule_transitions() --------------------
jobid=$(q "$CRON_DB" -c "SELECT jobid FROM cron.job WHERE jobname = '$JOB'")
is "schedule_transitions('*/5 * * * *') returns the job's id" \
	"$(q "$CRON_DB" -c "SELECT maintenance.schedule_transitions('*/5 * * * *')")" "$jobid"
is "schedule_transitions('*/5 * * * *') reschedules the one job" \
	"$(jobs_of "$JOB")" "$JOB|*/5 * * * *|$COMMAND|$CRON_DB|$PGUSER|t"
is "schedule_transitions() puts it back at every minute" \
	"$(q "$CRON_DB" -c "SELECT maintenance.schedule_transitions()" >/dev/null; jobs_of "$JOB")" \
	"$JOB|* * * * *|$COMMAND|$CRON_DB|$PGUSER|t"
is "unschedule_transitions() returns true when it removed the job" \
	"$(q "$CRON_DB" -c "SELECT maintenance.unschedule_transitions()")" "t"
is "unschedule_transitions() removed the job" "$(jobs_of "$JOB")" ""
is "unschedule_transitions() returns false when there is no job" \
	"$(q "$CRON_DB" -c "SELECT maintenance.unschedule_transitions()")" "f"
q "$CRON_DB" -c "SELECT maintenance.schedule_transitions()" >/dev/null
is "schedule_transitions() schedules it again" \
	"$(jobs_of "$JOB")" "$JOB|* * * * *|$COMMAND|$CRON_DB|$PGUSER|t"
is "the job's command runs" "$(q "$CRON_DB" -c "SELECT started, completed, failed FROM maintenance.run_transitions(as_of => '1999-01-01')")" \
	"0|0|0"

# --- DROP EXTENSION removes the job --------------------------------------
q "$CRON_DB" -c "BEGIN" -c "DROP EXTENSION maintenance" -c "ROLLBACK"
is "a rolled-back DROP EXTENSION keeps the job" \
	"$(jobs_of "$JOB")" "$JOB|* * * * *|$COMMAND|$CRON_DB|$PGUSER|t"
q "$CRON_DB" -c "DROP EXTENSION maintenance"
is "DROP EXTENSION removes the job" "$(jobs_of "$JOB")" ""
is "DROP EXTENSION removes the pruning job" "$(jobs_of "$PRUNE_JOB")" ""
is "DROP EXTENSION leaves no job for the database's transitions at all" "$(q "$CRON_DB" -c "SELECT count(*) FROM cron.job WHERE command LIKE '%maintenance.run_transitions%'")" \
	"0"

# --- DROP SCHEMA maintenance CASCADE removes the extension and the job ----
q "$CRON_DB" -c "CREATE EXTENSION maintenance"
is "CREATE EXTENSION again schedules exactly one job" \
	"$(jobs_of "$JOB")" "$JOB|* * * * *|$COMMAND|$CRON_DB|$PGUSER|t"
q "$CRON_DB" -c "SET client_min_messages = warning" -c "DROP SCHEMA maintenance CASCADE"
is "DROP SCHEMA maintenance CASCADE drops the extension" "$(q "$CRON_DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'maintenance'")" \
	"0"
is "DROP SCHEMA maintenance CASCADE removes the job" "$(jobs_of "$JOB")" ""

# --- DROP OWNED BY the extension's owner removes the job too --------------
q "$CRON_DB" -c "CREATE ROLE $OWNER_ROLE SUPERUSER LOGIN"
PGUSER=$OWNER_ROLE q "$CRON_DB" -c "CREATE EXTENSION maintenance"
is "CREATE EXTENSION by another role schedules the job as that role" \
	"$(jobs_of "$JOB")" "$JOB|* * * * *|$COMMAND|$CRON_DB|$OWNER_ROLE|t"
q "$CRON_DB" -c "SET client_min_messages = warning" -c "DROP OWNED BY $OWNER_ROLE"
is "DROP OWNED BY the owner drops the extension" "$(q "$CRON_DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'maintenance'")" \
	"0"
is "DROP OWNED BY the owner removes the job" "$(jobs_of "$JOB")" ""
q "$CRON_DB" -c "DROP ROLE $OWNER_ROLE"

# --- a database without pg_cron: the NOTICE names the statement to run ----
createdb "$OTHER_DB"
q "$OTHER_DB" -c "CREATE EXTENSION maintenance" 2>"$tmp/nopg.err"
expected_notice="NOTICE:  pg_cron is not installed in database \"$OTHER_DB\"; maintenance.run_transitions() is not scheduled
HINT:  In the database where pg_cron is installed, run: SELECT cron.schedule_in_database('$JOB-$OTHER_DB', '* * * * *', '$GUARDED_LITERAL', '$OTHER_DB');"
is "CREATE EXTENSION without pg_cron gives the NOTICE with the exact statement" \
	"$(cat "$tmp/nopg.err")" "$expected_notice"
is "CREATE EXTENSION without pg_cron schedules nothing" "$(q "$CRON_DB" -c "SELECT jobname FROM cron.job WHERE database = '$OTHER_DB'")" \
	""
q "$OTHER_DB" -c '\set VERBOSITY verbose' -c "SELECT maintenance.schedule_transitions()" \
	>/dev/null 2>"$tmp/sched.err"
is "schedule_transitions() without pg_cron fails with 55000 and the same statement" \
	"$(grep -E '^(ERROR|HINT):' "$tmp/sched.err")" \
	"ERROR:  55000: pg_cron is not installed in database \"$OTHER_DB\"
HINT:  In the database where pg_cron is installed, run: SELECT cron.schedule_in_database('$JOB-$OTHER_DB', '* * * * *', '$GUARDED_LITERAL', '$OTHER_DB');"
is "unschedule_transitions() without pg_cron returns false" \
	"$(q "$OTHER_DB" -c "SELECT maintenance.unschedule_transitions()")" "f"

# The statement of the HINT, run as given in pg_cron's database, schedules
# the job for the other database.
statement=$(sed -n 's/^HINT:  In the database where pg_cron is installed, run: //p' "$tmp/nopg.err")
q "$CRON_DB" -c "$statement" >/dev/null
is "the HINT's statement schedules the job for the other database" \
	"$(jobs_of "$JOB-$OTHER_DB")" "$JOB-$OTHER_DB|* * * * *|$GUARDED|$OTHER_DB|$PGUSER|t"
job_command=$(q "$CRON_DB" -c "SELECT command FROM cron.job WHERE jobname = '$JOB-$OTHER_DB'")
q "$OTHER_DB" -c "SELECT maintenance.create_maintenance('due', now() - interval '1 minute',
                    now() + interval '1 hour', ARRAY['a'])" >/dev/null
q "$OTHER_DB" -c "$job_command" 2>"$tmp/job.err"
is "its command runs the transitions there" "$(q "$OTHER_DB" -c "SELECT status FROM maintenance.maintenances")|$(cat "$tmp/job.err")" \
	"in_progress|"
q "$OTHER_DB" -c "DROP EXTENSION maintenance" 2>/dev/null
status=0
q "$OTHER_DB" -c "$job_command" 2>"$tmp/job.err" || status=$?
is "after DROP EXTENSION there, its command does nothing and does not fail" "$status|$(cat "$tmp/job.err")" \
	"0|"
q "$CRON_DB" -c "SELECT cron.unschedule('$JOB-$OTHER_DB')" >/dev/null

# --- postgres is left clean ----------------------------------------------
cleanup
trap - EXIT
is "postgres has no extension maintenance afterwards" "$(q "$CRON_DB" -c "SELECT count(*) FROM pg_extension WHERE extname = 'maintenance'")" \
	"0"
if [ "$created_pg_cron" = 0 ]; then
	is "postgres has no transitions job afterwards" "$(q "$CRON_DB" -c "SELECT count(*) FROM cron.job WHERE command LIKE '%run_transitions%'")" \
		"0"
fi

tap_summary
