#!/usr/bin/env bash
# Run every test of the maintenance extension.
#
#   scripts/test.sh
#
# On a fresh Debian 12 machine as root it installs the Debian packages it needs
# (only when some are missing), builds with warnings as errors (gcc, and clang
# in a throwaway copy), runs cppcheck,
# installs the extension into PostgreSQL 15, installs the Node.js client's
# dependencies, starts a throwaway cluster (pg_cron preloaded, Unix socket in a
# temp dir; stopped and removed on exit whatever happens) and runs the suites:
#
#   pg_regress       test/sql/*.sql      (make installcheck, REGRESS part)
#   isolation        test/specs/*.spec   (make installcheck, ISOLATION part)
#   pgTAP            test/pgtap/*.sql    (pg_prove, database maintenance_tap)
#   client           test/client/*.sh, test/client/*.js (node), test/cron/*.sh
#   TAP              test/t/*.pl         (prove, servers of their own)
#   HA               test/ha/*.sh        (pg_auto_failover: monitor + two nodes)
#
# The last line of output is "N passed, M failed", summed over all suites; the
# exit status is non-zero when M > 0.  A set-up step that fails (packages,
# build, clang build, cppcheck, install, npm, cluster start) counts as one
# failure.
#
# As a non-root user it works when the packages are installed already and
# `make install` may write to PostgreSQL's directories (or sudo -n works).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PASSED=0
FAILED=0
STARTED_AT=$SECONDS

# Per-suite lines deliberately do not look like the final "N passed, M failed".
record() { # record SUITE PASSED FAILED
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	printf '    suite %-10s  passed: %d  failed: %d\n' "$1" "$2" "$3"
}

finish() {
	say "done in $((SECONDS - STARTED_AT)) s"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# record_prove SUITE RUNNER LOG STATUS: count the assertions of a run of
# prove or pg_prove from its summary: passed = "Tests=N" minus the failed
# assertions listed in the "Test Summary Report"; a file that fails without a
# failed assertion (died, wrong plan, non-zero exit) adds one failure, and so
# does a runner that exits non-zero without any.  Returns 1 when any failed.
record_prove() {
	local suite=$1 runner=$2 log=$3 rc=$4 tests failed bad_files passed
	read -r tests failed bad_files < <(awk '
		/^Files=[0-9]+, Tests=[0-9]+/ { sub(/^Files=[0-9]+, Tests=/, ""); sub(/,.*/, ""); tests = $0 }
		/\(Wstat: .*Tests: [0-9]+ Failed: [0-9]+\)/ {
			f = $0; sub(/.*Failed: /, "", f); sub(/\).*/, "", f)
			failed += f; if (f == 0) bad++
		}
		END { printf "%d %d %d\n", tests, failed, bad }' "$log")
	passed=$((tests - failed))
	failed=$((failed + bad_files))
	if [ "$rc" != 0 ] && [ "$failed" -eq 0 ]; then
		warn "$suite: $runner failed (exit $rc) without a failed test"
		failed=1
	fi
	record "$suite" "$passed" "$failed"
	[ "$failed" -eq 0 ]
}

# A set-up step failed: count it, and stop if nothing can run after it.
step_failed() { # step_failed NAME [fatal]
	warn "set-up step failed: $1"
	FAILED=$((FAILED + 1))
	if [ "${2:-}" = fatal ]; then
		finish || true
		exit 1
	fi
}

# ---------------------------------------------------------------- set-up
client_commands=()
[ -f test/client/package.json ] && client_commands=(node:nodejs npm:npm)
ensure_packages "${client_commands[@]}" || step_failed packages fatal
check_pg_config || step_failed pg_config fatal
build clean || step_failed build fatal
build_clang || step_failed clang-build
cppcheck_start
install_extension || step_failed install fatal

if [ -f test/client/package.json ]; then
	# Skip the network when node_modules already satisfies package.json.
	if [ -d test/client/node_modules ] &&
		(cd test/client && npm ls --omit=dev --depth=0 >/dev/null 2>&1); then
		say "Node.js client dependencies already installed (test/client/node_modules)"
	else
		say "installing the Node.js client's dependencies (test/client)"
		if [ -f test/client/package-lock.json ]; then
			npm_cmd=(npm ci)
		else
			npm_cmd=(npm install)
		fi
		(cd test/client && run_logged npm "${npm_cmd[@]}" --no-audit --no-fund --loglevel=error) ||
			step_failed npm
	fi
fi

cluster_start || step_failed "cluster start" fatal

psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# ---------------------------------------------------------------- pg_regress / isolation
# `make installcheck` runs pg_regress and then pg_isolation_regress in one
# recipe, so a regress failure would skip the isolation specs.  We run the two
# halves separately (REGRESS= / ISOLATION= on the make command line empties the
# other), and count per test from pg_regress's "... ok" / "... FAILED" lines.
# Each half may take at most 5 minutes.  If the runner itself fails without
# reporting a failed test (cannot connect, timed out), it counts one failure.
run_pg_regress() { # run_pg_regress SUITE MAKEVAR-ASSIGNMENTS...
	local suite=$1
	shift
	local log="$LIB_LOGDIR/$suite.log" rc=0 ok failed
	say "$suite: make installcheck $*"
	timeout 300 make installcheck PG_CONFIG="$PG_CONFIG" "$@" 2>&1 | tee "$log" || rc=$?
	ok=$(grep -cE '\.\.\. +ok( |$)' "$log" || true)
	failed=$(grep -cE '\.\.\. +FAILED( |$)' "$log" || true)
	if [ "$rc" != 0 ] && [ "$failed" -eq 0 ]; then
		warn "$suite: make installcheck failed (exit $rc) without a failed test"
		failed=1
	fi
	if [ "$failed" -gt 0 ]; then
		if [ -s test/regression.diffs ]; then
			say "test/regression.diffs"
			cat test/regression.diffs
		fi
	fi
	record "$suite" "$ok" "$failed"
}

shopt -s nullglob
# A spec whose step blocks for good fails after 2 x 30 s instead of 2 x 180 s.
export PGISOLATIONTIMEOUT=${PGISOLATIONTIMEOUT:-30}
rm -f test/regression.diffs

sql_tests=(test/sql/*.sql)
if [ ${#sql_tests[@]} -gt 0 ]; then
	run_pg_regress pg_regress ISOLATION= TAP_TESTS=
else
	say "pg_regress: no tests in test/sql"
fi

spec_tests=(test/specs/*.spec)
if [ ${#spec_tests[@]} -gt 0 ]; then
	run_pg_regress isolation REGRESS= TAP_TESTS=
else
	say "isolation: no specs in test/specs"
fi

# ---------------------------------------------------------------- pgTAP
# Counted per test (assertion), by record_prove.  Each file runs in its own
# transaction (BEGIN ... ROLLBACK in the file), so files do not see each other.
pgtap_tests=(test/pgtap/*.sql)
if [ ${#pgtap_tests[@]} -gt 0 ]; then
	say "pgTAP: pg_prove -d maintenance_tap test/pgtap/*.sql"
	log="$LIB_LOGDIR/pgtap.log"
	rc=0
	{
		psql_admin -d postgres -c 'DROP DATABASE IF EXISTS maintenance_tap' \
			-c 'CREATE DATABASE maintenance_tap' &&
			psql_admin -d maintenance_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION maintenance'
	} || rc=$?
	if [ "$rc" = 0 ]; then
		timeout 300 pg_prove -d maintenance_tap "${pgtap_tests[@]}" 2>&1 | tee "$log" || rc=$?
		record_prove pgtap pg_prove "$log" "$rc" || true
	else
		warn "pgTAP: could not prepare database maintenance_tap"
		record pgtap 0 1
	fi
else
	say "pgTAP: no tests in test/pgtap"
fi

# ---------------------------------------------------------------- client / integration
# Every executable test/client/*.sh, test/client/*.js (run with node) and
# test/cron/*.sh is one test, passed or failed by its exit status.  They run
# from the repository root with PGHOST/PGPORT/PGUSER of the throwaway cluster
# exported, at most 3 minutes each; the output is shown only on failure.
# Non-executable files there are helpers and are skipped (and listed).
client_tests=(test/client/*.sh test/client/*.js test/cron/*.sh)
if [ ${#client_tests[@]} -gt 0 ]; then
	c_passed=0
	c_failed=0
	for t in "${client_tests[@]}"; do
		if [ ! -x "$t" ]; then
			say "client: skipping $t (not executable: a helper, or chmod +x it)"
			continue
		fi
		case "$t" in
		*.js) cmd=(node "$t") ;;
		*) cmd=("$t") ;;
		esac
		out="$LIB_LOGDIR/client-$(basename "$t").log"
		t0=$SECONDS
		rc=0
		timeout 180 "${cmd[@]}" >"$out" 2>&1 </dev/null || rc=$?
		if [ "$rc" = 0 ]; then
			printf 'ok      %s (%d s)\n' "$t" "$((SECONDS - t0))"
			c_passed=$((c_passed + 1))
		else
			printf 'FAILED  %s (exit %d, %d s); its output:\n' "$t" "$rc" "$((SECONDS - t0))"
			if [ -s "$out" ]; then sed 's/^/    | /' "$out"; else echo '    | (no output)'; fi
			[ "$rc" = 124 ] && echo '    | (killed after 180 s)'
			c_failed=$((c_failed + 1))
		fi
	done
	record client "$c_passed" "$c_failed"
else
	say "client: no tests in test/client or test/cron"
fi

# ---------------------------------------------------------------- TAP
# test/t/*.pl (PostgreSQL::Test::Cluster) start servers of their own, with the
# library preloaded, restarts and a standby: `make installcheck REGRESS=
# ISOLATION=` runs only them.  The server refuses root, so as root they run as
# the postgres user, in a copy of the files they need that it may write to
# (tmp_check/).  Counted per assertion, as the pgTAP suite is; at most 10 min.
tap_tests=(test/t/*.pl)
if [ ${#tap_tests[@]} -gt 0 ]; then
	say "TAP: make installcheck REGRESS= ISOLATION= (prove test/t/*.pl)"
	log="$LIB_LOGDIR/tap.log"
	tapdir=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-tap.XXXXXX")
	add_cleanup "rm -rf '$tapdir'"
	mkdir -p "$tapdir/test"
	cp -r Makefile maintenance.control META.json sql "$tapdir/"
	cp -r test/t "$tapdir/test/"
	tap_cmd=(make -C "$tapdir" installcheck REGRESS= ISOLATION= PG_CONFIG="$PG_CONFIG")
	rc=0
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres "$tapdir"
		timeout 600 su postgres -s /bin/bash -c "$(printf '%q ' "${tap_cmd[@]}")" 2>&1 | tee "$log" || rc=$?
	else
		timeout 600 "${tap_cmd[@]}" 2>&1 | tee "$log" || rc=$?
	fi
	if ! record_prove tap prove "$log" "$rc"; then
		for f in "$tapdir"/tmp_check/log/regress_log_*; do
			[ -f "$f" ] && { say "$f"; cat "$f"; }
		done
		# the servers' own logs: a crash shows there, not in the test's log
		for f in "$tapdir"/tmp_check/log/*.log; do
			[ -f "$f" ] && { say "$f (last 60 lines)"; tail -n 60 "$f"; }
		done
	fi
else
	say "TAP: no tests in test/t"
fi

# ---------------------------------------------------------------- HA
# test/ha/*.sh: pg_auto_failover clusters of their own (a monitor and two
# nodes on loopback ports, as the postgres user); counted per check from
# their "ok N" / "not ok N" lines; a script that fails without a failed
# check (bailed out, timed out) adds one failure.  At most 5 minutes each.
ha_tests=(test/ha/*.sh)
if [ ${#ha_tests[@]} -gt 0 ]; then
	h_passed=0
	h_failed=0
	for t in "${ha_tests[@]}"; do
		out="$LIB_LOGDIR/ha-$(basename "$t").log"
		t0=$SECONDS
		rc=0
		say "HA: $t"
		timeout 300 "$t" </dev/null 2>&1 | tee "$out" || rc=$?
		p=$(grep -cE '^ok [0-9]+' "$out" || true)
		f=$(grep -cE '^not ok [0-9]+' "$out" || true)
		if [ "$rc" != 0 ] && [ "$f" -eq 0 ]; then
			warn "HA: $t failed (exit $rc) without a failed check"
			f=1
		fi
		say "HA: $t took $((SECONDS - t0)) s"
		h_passed=$((h_passed + p))
		h_failed=$((h_failed + f))
	done
	record ha "$h_passed" "$h_failed"
else
	say "HA: no tests in test/ha"
fi

cppcheck_wait || step_failed cppcheck

finish
