# shellcheck shell=bash
# Common set-up for scripts/test.sh and scripts/demo.sh (source it, do not run).
#
#   ensure_packages    install the Debian packages we need (root only, only if missing)
#   build              make (warnings are errors; the Makefile sets -Werror)
#   cppcheck_start/_wait  make cppcheck in the background, then its result
#   install_extension  make install into PostgreSQL 15
#   cluster_start      throwaway cluster in a temp dir (scripts/cluster.sh), torn
#                      down by an EXIT trap whatever happens; exports PGHOST etc.
#
# Everything uses PostgreSQL 15 explicitly: PG_CONFIG and PGBIN point into
# /usr/lib/postgresql/15, and that bin directory comes first in PATH, so a newer
# server-dev package on the machine cannot change what we build against.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

PG_MAJOR=15
# MAINTENANCE_PG_PREFIX: another installation of PostgreSQL 15 (a copy, say)
PG_PREFIX=${MAINTENANCE_PG_PREFIX:-/usr/lib/postgresql/$PG_MAJOR}
PG_CONFIG=$PG_PREFIX/bin/pg_config
PGBIN=$PG_PREFIX/bin
PATH=$PGBIN:$PATH
export PG_CONFIG PGBIN PATH

# The Debian packages both commands need.  postgresql-server-dev-15 brings
# clang-14/llvm (for the JIT bitcode PGXS builds) but not gcc or make, nor
# the `clang` command of test.sh's clang build;
# postgresql-15-pgtap only recommends the package that ships pg_prove;
# PostgreSQL::Test::Cluster (the TAP tests, test/t) needs IPC::Run;
# the failover test (test/ha) needs pg_auto_failover (extension and pg_autoctl).
# test/client/listen_reconnect.sh reads the listener's JSON with jq.
DEB_PACKAGES=(
	postgresql-$PG_MAJOR
	postgresql-server-dev-$PG_MAJOR
	postgresql-$PG_MAJOR-cron
	postgresql-$PG_MAJOR-auto-failover
	pg-auto-failover-cli
	postgresql-$PG_MAJOR-pgtap
	libtap-parser-sourcehandler-pgtap-perl
	libipc-run-perl
	libpq-dev
	libical-dev
	cppcheck
	clang
	jq
	make
	gcc
	libc6-dev
	libcurl4-openssl-dev
	libssl-dev
	pkg-config
	curl
)

# Log files of the set-up steps go here (removed on exit).
LIB_LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-logs.XXXXXX")

say() { printf '==> %s\n' "$*"; }
warn() { printf '!!! %s\n' "$*" >&2; }

# run_logged NAME CMD...: run quietly; on failure print the command's output.
run_logged() {
	local name=$1
	shift
	local log="$LIB_LOGDIR/$name.log" rc=0
	"$@" >"$log" 2>&1 || rc=$?
	[ "$rc" = 0 ] && return 0
	warn "$name failed (exit $rc): $*"
	cat "$log" >&2
	return "$rc"
}

# ensure_packages [COMMAND:PACKAGE...]: install the missing DEB_PACKAGES, and
# PACKAGE for each COMMAND that is not on PATH (python3, node and npm may come
# from elsewhere than Debian's packages, so they are checked as commands).
ensure_packages() {
	local missing=() p
	for p in "${DEB_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	for p in "$@"; do
		command -v "${p%%:*}" >/dev/null || missing+=("${p#*:}")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		warn "missing Debian packages: ${missing[*]}"
		warn "run as root, or install them: apt-get install ${missing[*]}"
		return 1
	fi
	say "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	run_logged apt-get-update apt-get update -qq &&
		run_logged apt-get-install apt-get install -y -qq --no-install-recommends \
			-o Dpkg::Use-Pty=0 "${missing[@]}"
}

check_pg_config() {
	if [ ! -x "$PG_CONFIG" ]; then
		warn "$PG_CONFIG not found (postgresql-server-dev-$PG_MAJOR missing?)"
		return 1
	fi
	local v
	v=$("$PG_CONFIG" --version)
	case "$v" in
	"PostgreSQL $PG_MAJOR".*) say "using $PG_CONFIG ($v)" ;;
	*)
		warn "$PG_CONFIG reports '$v', expected PostgreSQL $PG_MAJOR"
		return 1
		;;
	esac
}

# build [clean]: with "clean", rebuild every object so that every warning
# (an error, -Werror) is seen, not hidden by an up-to-date object file.
build() {
	if [ "${1:-}" = clean ]; then
		run_logged make-clean make clean PG_CONFIG="$PG_CONFIG" || return
	fi
	say "building (make, -Wall -Wextra -Werror)"
	run_logged make make PG_CONFIG="$PG_CONFIG"
}

# build_clang: the same build with clang (`make CC=clang`, warnings as
# errors), in a throwaway copy of the sources so that the gcc build stays.
build_clang() {
	local dir rc=0
	dir=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-clang.XXXXXX")
	cp -r Makefile maintenance.control META.json sql src client "$dir/"
	say "building with clang (make CC=clang, -Wall -Wextra -Werror), in $dir"
	# the copy has the gcc build's objects: clean them first
	run_logged make-clang-clean make -C "$dir" clean PG_CONFIG="$PG_CONFIG" &&
		run_logged make-clang make -C "$dir" CC=clang PG_CONFIG="$PG_CONFIG" || rc=$?
	rm -rf "$dir"
	return "$rc"
}

# cppcheck takes minutes (it expands the server headers in every #ifdef
# configuration), so test.sh runs it beside the tests: cppcheck_start, then
# cppcheck_wait (returns its status and shows its output on failure).
cppcheck_start() {
	say "static analysis (make cppcheck), in the background"
	# setsid: its own process group, so that an early exit can stop all of it.
	setsid make cppcheck PG_CONFIG="$PG_CONFIG" >"$LIB_LOGDIR/cppcheck.log" 2>&1 </dev/null &
	CPPCHECK_PID=$!
	add_cleanup 'kill -- -"$CPPCHECK_PID" 2>/dev/null'
}

cppcheck_wait() {
	local rc=0
	say "waiting for make cppcheck"
	wait "$CPPCHECK_PID" || rc=$?
	if [ "$rc" != 0 ]; then
		warn "make cppcheck failed (exit $rc):"
		cat "$LIB_LOGDIR/cppcheck.log" >&2
	fi
	return "$rc"
}

# make install needs write access to PostgreSQL's directories: root, or a
# user who may use sudo without a password.
install_extension() {
	say "installing into PostgreSQL $PG_MAJOR (make install)"
	if [ -w "$("$PG_CONFIG" --pkglibdir)" ] && [ -w "$("$PG_CONFIG" --sharedir)/extension" ]; then
		run_logged make-install make install PG_CONFIG="$PG_CONFIG"
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		run_logged make-install sudo -n make install PG_CONFIG="$PG_CONFIG"
	else
		warn "cannot write to $("$PG_CONFIG" --pkglibdir): run as root (or with password-less sudo)"
		return 1
	fi
}

# Cleanup actions run by the EXIT trap, last registered first.
LIB_CLEANUP=()
lib_on_exit() {
	local i
	for ((i = ${#LIB_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${LIB_CLEANUP[$i]}" || true
	done
	rm -rf "$LIB_LOGDIR"
}
trap lib_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
add_cleanup() { LIB_CLEANUP+=("$1"); }

# cluster_start: throwaway cluster in a fresh temp dir; stopped and removed on
# exit.  Exports CLUSTER_DIR, PGHOST, PGPORT, PGUSER.
# cluster_start [extra postgresql.conf lines...]
cluster_start() {
	CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-pg.XXXXXX")
	add_cleanup "cluster_stop"
	say "starting a throwaway PostgreSQL $PG_MAJOR cluster in $CLUSTER_DIR"
	if ! run_logged cluster-start "$REPO_ROOT/scripts/cluster.sh" start "$CLUSTER_DIR" "$@"; then
		[ -f "$CLUSTER_DIR/server.log" ] && cat "$CLUSTER_DIR/server.log" >&2
		return 1
	fi
	PGHOST=$CLUSTER_DIR
	PGPORT=5432
	PGUSER=postgres
	PGCLIENTENCODING=UTF8
	export CLUSTER_DIR PGHOST PGPORT PGUSER PGCLIENTENCODING
	unset PGDATABASE PGSERVICE PGPASSWORD
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	"$REPO_ROOT/scripts/cluster.sh" stop "$CLUSTER_DIR" >/dev/null 2>&1 || true
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
}
