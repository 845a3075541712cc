#!/usr/bin/env bash
# End to end with pg_cron itself (issue 3): CREATE EXTENSION maintenance in
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
CRON_DB=postgres
JOB=maintenance-transitions
TIMEOUT=70

passed=0
failed=0
created_pg_cron=0

q() {
	psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$CRON_DB" "$@"
}

check() {
	local what=$1 expected=$2 actual=$3
	if [ "$expected" == "$actual" ]; then
		passed=$((passed + 1))
		echo "ok - $what"
	else
		failed=$((failed + 1))
		echo "not ok - $what"
		echo "  expected: $(printf '%q' "$expected")"
		echo "  actual:   $(printf '%q' "$actual")"
	fi
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
check "CREATE EXTENSION scheduled the job" "* * * * *|SELECT maintenance.run_transitions()" \
	"$(q -c "SELECT schedule, command FROM cron.job WHERE jobid = ${jobid:-0}")"

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

check "cron.job_run_details shows a succeeded run of the job" "succeeded" "$(run_status)"
check "the run ran the job's command" "SELECT maintenance.run_transitions()|1 row" \
	"$(q -c "SELECT command, return_message FROM cron.job_run_details
	          WHERE jobid = ${jobid:-0} AND runid > $r0 AND status = 'succeeded'
	          ORDER BY runid LIMIT 1")"
check "the statuses changed on their own" "$want_statuses" "$(statuses)"
check "the automatic updates, authorless, in timeline order" \
"due to complete|Started by hand|in_progress|alice
due to complete|Maintenance completed automatically|completed|
due to start|Maintenance started automatically|in_progress|
window passed|Maintenance started automatically|in_progress|
window passed|Maintenance completed automatically|completed|" \
	"$(q -c "SELECT m.title, u.message, u.status_change, u.created_by
	           FROM maintenance.maintenance_updates u
	           JOIN maintenance.maintenances m ON m.id = u.maintenance_id
	          ORDER BY m.title, u.position")"
check "the notifications of the moves, and nothing else" \
"due to complete|completed
due to start|started
window passed|completed
window passed|started" \
	"$(q -c "SELECT m.title, e.payload->>'event'
	           FROM maintenance.events e
	           JOIN maintenance.maintenances m ON m.id::text = e.payload->>'maintenanceId'
	          WHERE e.channel = 'maintenance_notification' AND e.id > $ev0
	          ORDER BY 1, 2")"

q -c "DROP EXTENSION maintenance"
check "DROP EXTENSION removed the job" "0" \
	"$(q -c "SELECT count(*) FROM cron.job WHERE jobname = '$JOB' AND database = current_database()")"

cleanup
trap - EXIT
echo "cron_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
