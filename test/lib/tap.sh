# shellcheck shell=bash
# TAP-like checks for the shell tests in test/client, test/cron and test/ha (source
# it, do not run it; not executable, so scripts/test.sh skips it).
#
#   ok NAME                      a check that passed
#   not_ok NAME [DETAIL]         a check that failed; DETAIL (a file, of which
#                                the first 60 lines, or a text) is shown as
#                                "#   " comment lines
#   is NAME GOT EXPECTED         passes when the two strings are equal
#   check NAME COMMAND...        passes when COMMAND succeeds
#   CMD | check_t NAME           passes when CMD printed exactly "t"
#   same NAME FILE1 FILE2        passes when the files are identical and
#                                FILE1 is not empty (the diff is shown)
#   fail MESSAGE                 a set-up step failed: say so and exit 1
#   tap_summary                  the plan "1..N" and "# N passed, M failed";
#                                status 0 when no check failed
#
# Each check prints "ok N - NAME" or "not ok N - NAME"; checks and failures
# count them.  Sourcing the library turns on lastpipe, so that check_t, run
# at the end of a pipeline, counts in the test's own shell.

checks=0
failures=0
shopt -s lastpipe

ok() {
	checks=$((checks + 1))
	echo "ok $checks - $1"
}

not_ok() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "not ok $checks - $1"
	if [ -n "${2:-}" ]; then
		if [ -f "$2" ]; then head -n 60 "$2"; else printf '%s\n' "$2"; fi | sed 's/^/#   /'
	fi
	return 0
}

is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "$(printf 'got:      %q\nexpected: %q' "$2" "$3")"
	fi
}

check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

check_t() {
	local got
	got=$(cat)
	if [ "$got" = t ]; then ok "$1"; else not_ok "$1" "$got"; fi
}

same() {
	local diff
	if [ ! -s "$2" ]; then
		not_ok "$1" "$2 is empty"
	elif diff=$(diff -u "$2" "$3" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$(head -n 60 <<<"$diff")"
	fi
}

fail() {
	echo "not ok - $*"
	echo "# $((checks - failures)) passed, $((failures + 1)) failed"
	exit 1
}

tap_summary() {
	echo "1..$checks"
	echo "# $((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}
