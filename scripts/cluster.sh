#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests, demos and benchmarks.
#
#   scripts/cluster.sh start DIR [extra postgresql.conf lines...]
#   scripts/cluster.sh stop DIR
#
# The cluster lives in DIR (created, handed to the postgres user, since the
# server refuses to run as root), listens only on a Unix socket in DIR, and
# preloads pg_cron with cron.database_name = postgres.  After start, use
#   PGHOST=DIR PGPORT=5432 PGUSER=postgres
set -euo pipefail

PGBIN=${PGBIN:-$(pg_config --bindir)}
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
shift 2

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres "$dir"
	as_postgres "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres \
		--encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "shared_preload_libraries = 'pg_cron'"
		echo "cron.database_name = 'postgres'"
		# pg_cron connects over libpq; without TCP it must use the socket
		echo "cron.host = '$dir'"
		echo "fsync = off"
		echo "max_prepared_transactions = 10"
		for line in "$@"; do echo "$line"; done
	} | as_postgres tee -a "$dir/data/postgresql.conf" >/dev/null
	as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	fi
	;;
*)
	echo "usage: cluster.sh start|stop DIR" >&2
	exit 2
	;;
esac
