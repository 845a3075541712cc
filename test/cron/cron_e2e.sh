#!/usr/bin/env bash
# End to end with pg_cron itself: CREATE EXTENSION maintenance in
# pg_cron's database schedules "maintenance-transitions"; at the next minute
# boundary pg_cron runs it, and the maintenances whose time has come move on
# their own.  This is the one test that waits for real time: it polls every
# second, for at most 70 seconds, until cron.job_run_details shows a
# succeeded run of the job and the statuses changed.
#
# Runs against the cluster named by PGHOST/PGPORT/PGUSER (a superuser), whose
# pg_cron lives in database "postgres", as set up by scripts/cluster.sh.  It
# leaves "postgres" as it found it.  Exit status 0 when every check passed.
set -uo pipefail

: "${PGHOST:?set PGHOST to the test cluster}"
export PGUSER=${PGUSER:-postgres}
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
CRON_DB=postgres
JOB=maintenance-transitions
TIMEOUT=70

created_pg_cron=0

q() {
	psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$CRON_DB" "$@"
}

cleanup() {
	q -c "DROP EXTENSION IF EXISTS maintenance" >/dev/null 2>&1
	if [ "$created_pg_cron" = 1 ]; then
		q -c "DROP EXTENSION IF EXISTS pg_cron" >/dev/null 2>&1
	fi
}
trap cleanup EXIT

if [ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'maintenance'")" != 0 ]; then
	echo "Bail out! database \"$CRON_DB\" already has the extension maintenance; refusing to touch it"
	trap - EXIT
	exit 2
fi
if [ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")" = 0 ]; then
	q -c "CREATE EXTENSION pg_cron" || { echo "Bail out! cannot create pg_cron in $CRON_DB"; exit 2; }
	created_pg_cron=1
fi

# The extension, its job and the maintenances appear in one transaction, so
# the first run of the job already sees the maintenances.
r0=$(q -c "SELECT coalesce(max(runid), 0) FROM cron.job_run_details")
q >/dev/null <<'SQL'
BEGIN;
CREATE EXTENSION maintenance;
SELECT maintenance.create_maintenance('due to start', now() - interval '1 minute', now() + interval '1 hour', ARRAY['web']);
SELECT maintenance.create_maintenance('window passed', now() - interval '2 hours', now() - interval '1 hour', ARRAY['web']);
SELECT maintenance.create_maintenance('due to complete', now() - interval '2 hours', now() - interval '1 minute', ARRAY['db']);
SELECT maintenance.add_update(id, 'Started by hand', 'in_progress', 'alice')
  FROM maintenance.maintenances WHERE title = 'due to complete';
SELECT maintenance.create_maintenance('not yet', now() + interval '1 hour', now() + interval '2 hours', ARRAY['web']);
COMMIT;
SQL
jobid=$(q -c "SELECT jobid FROM cron.job WHERE jobname = '$JOB' AND database = current_database()")
ev0=$(q -c "SELECT max(id) FROM maintenance.events")
is "CREATE EXTENSION scheduled the job" "$(q -c "SELECT schedule, command FROM cron.job WHERE jobid = ${jobid:-0}")" \
	"* * * * *|SELECT maintenance.run_transitions()"

statuses() {
	q -c "SELECT string_agg(title || '=' || status, ',' ORDER BY title) FROM maintenance.maintenances"
}
want_statuses="due to complete=completed,due to start=in_progress,not yet=scheduled,window passed=completed"
run_status() {
	q -c "SELECT status FROM cron.job_run_details
	       WHERE jobid = ${jobid:-0} AND runid > $r0
	       ORDER BY runid DESC LIMIT 1"
}

echo "# waiting for pg_cron to run job ${jobid:-?} at the next minute boundary (at most ${TIMEOUT}s)"
waited=0
while :; do
	run=$(run_status)
	now=$(statuses)
	if [ "$run" = succeeded ] && [ "$now" = "$want_statuses" ]; then
		break
	fi
	if [ "$run" = failed ]; then
		echo "# the job failed: $(q -c "SELECT return_message FROM cron.job_run_details
		                                   WHERE jobid = $jobid ORDER BY runid DESC LIMIT 1")"
		echo "# (\"connection failed\": pg_cron cannot connect; with no TCP listener it needs"
		echo "#  cron.host set to the socket directory, or cron.use_background_workers = on)"
		break
	fi
	if [ "$waited" -ge "$TIMEOUT" ]; then
		echo "# gave up after ${waited}s: last run status '${run:-none}', statuses $now"
		break
	fi
	sleep 1
	waited=$((waited + 1))
done
echo "# waited ${waited}s"

is "cron.job_run_details shows a succeeded run of the job" "$(run_status)" "succeeded"
is "the run ran the job's command" "$(q -c "SELECT command, return_message FROM cron.job_run_details
	          WHERE jobid = ${jobid:-0} AND runid > $r0 AND status = 'succeeded'
	          ORDER BY runid LIMIT 1")" \
	"SELECT maintenance.run_transitions()|1 row"
is "the statuses changed on their own" "$(statuses)" "$want_statuses"
is "the automatic updates, authorless, in timeline order" \
"$(q -c "SELECT m.title, u.message, u.status_change, u.created_by
	           FROM maintenance.maintenance_updates u
	           JOIN maintenance.maintenances m ON m.id = u.maintenance_id
	          ORDER BY m.title, u.position")" \
	"due to complete|Started by hand|in_progress|alice
due to complete|Maintenance completed automatically|completed|
due to start|Maintenance started automatically|in_progress|
window passed|Maintenance started automatically|in_progress|
window passed|Maintenance completed automatically|completed|"
is "the notifications of the moves, and nothing else" \
"$(q -c "SELECT m.title, e.payload->>'event'
	           FROM maintenance.events e
	           JOIN maintenance.maintenances m ON m.id::text = e.payload->>'maintenanceId'
	          WHERE e.channel = 'maintenance_notification' AND e.id > $ev0
	          ORDER BY 1, 2")" \
	"due to complete|completed
due to start|started
window passed|completed
window passed|started"

q -c "DROP EXTENSION maintenance"
is "DROP EXTENSION removed the job" "$(q -c "SELECT count(*) FROM cron.job WHERE jobname = '$JOB' AND database = current_database()")" \
	"0"

cleanup
trap - EXIT
tap_summary
