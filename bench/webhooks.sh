#!/usr/bin/env bash
# bench/webhooks.sh: events per second and commit-to-receiver latency of
# maintenance-listen --webhook, against --exec 'curl ...' on the same stream
# (about a minute; bench/bench.sh runs it last).
#
#   bench/webhooks.sh                     600 events per contender
#   BENCH_EVENTS=N BENCH_LATENCY_EVENTS=M BENCH_RATE=R   other sizes
#   BENCH_MD=FILE                         also write the result table to FILE
#
# It builds and installs the extension and the listener, starts its own
# cluster (scripts/lib.sh cluster_start: Unix socket in a temp dir, removed at
# the end)
# and runs bench/webhooks.js, which starts a local receiver (Node.js http,
# 204 at once) and measures both contenders (see there).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
check_pg_config
build
install_extension
command -v curl >/dev/null || { warn "curl (the contender of --webhook) is not installed"; exit 1; }
if [ ! -d test/client/node_modules/pg ]; then
	say "installing the Node.js client's dependencies (npm ci in test/client)"
	run_logged npm-ci npm --prefix test/client ci --no-audit --no-fund
fi

cluster_start "synchronous_commit = off"
run_logged createdb createdb bench
run_logged setup psql -X -q -v ON_ERROR_STOP=1 -d bench -c "CREATE EXTENSION maintenance"

say "webhooks: --webhook against --exec 'curl ...' (load average before: $LOAD_BEFORE)"
BENCH_DB=bench LISTEN_BIN=$REPO_ROOT/client/maintenance-listen node bench/webhooks.js
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
