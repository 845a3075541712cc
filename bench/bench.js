#!/usr/bin/env node
// bench/bench.js: the measurements of `make bench` (bench/bench.sh starts the
// cluster, builds and installs the extension, then runs this).
//
// Environment: PGHOST/PGUSER of the throwaway cluster, BENCH_DB (a database
// with bench/setup.sql loaded), BENCH_LOG (the server's log file, for the
// memory contexts), BENCH_OUT (where the JSON results go), BENCH_QUICK=1
// (smaller sizes, for trying the benchmark itself).
//
// Every contender of the transition sweep starts from the same state: the
// due rows are put back with set-based SQL (bench.reset()), then VACUUM
// ANALYZE and CHECKPOINT, so each one begins with clean tables and no
// pending full-page writes.  Each contender runs in autocommit, so its time
// includes its COMMIT (and with it the delivery of its NOTIFYs to the queue).
'use strict';

const fs = require('fs');
const path = require('path');
const { pgbench } = require('./pgbench');
const { reads, suppressionScaling } = require('./reads');
const { delivery, listeners } = require('./delivery');

const clientDir = path.join(__dirname, '..', 'test', 'client', 'node_modules');
const { Client } = require(path.join(clientDir, 'pg'));

const QUICK = process.env.BENCH_QUICK === '1';
const DB = process.env.BENCH_DB || 'bench';
const SMALL_DB = process.env.BENCH_SMALL_DB || `${DB}_small`; // the reads' small size
const LOG = process.env.BENCH_LOG;
const OUT = process.env.BENCH_OUT || '/dev/stdout';
const SIZES = QUICK ? [10000, 100000] : [100000, 1000000];
const D = QUICK ? 1000 : 10000;
const D_SMALL = D / 5;
const REPS = QUICK ? 1 : 5;
const T = new Date('2030-01-01T00:00:00Z');
// with the due times spread over the hour before T, this as_of has D/5 of each due
const T_SMALL = new Date(T.getTime() - 3600e3 + 720e3);
const T_EMPTY = new Date(T.getTime() - 2 * 3600e3);
const BULK_SYSTEMS = 1000;
// in progress with suppress_notifications, ending long after T: the sweep never moves them
const SUPPRESSING = QUICK ? 400 : 4000;
const PGBENCH_SECONDS = QUICK ? 2 : 5;

const results = { config: { sizes: SIZES, d: D, dSmall: D_SMALL, reps: REPS, quick: QUICK }, sweep: {} };

function log(msg) {
	process.stderr.write(`    ${msg}\n`);
}

function now() {
	return Number(process.hrtime.bigint()) / 1e6; // ms
}

async function connect(database = DB) {
	const c = new Client({ database });
	await c.connect();
	c.on('notice', () => {});
	return c;
}

async function timed(fn) {
	const t0 = now();
	const r = await fn();
	return { ms: now() - t0, result: r };
}

// Put the due rows back, remove every contender's output, clean up.
async function prepare(c) {
	await c.query('SELECT bench.reset()');
	await c.query('VACUUM ANALYZE maintenance.maintenances, maintenance.maintenance_updates, maintenance.events');
	await c.query('CHECKPOINT');
}

async function moved(c) {
	const r = await c.query('SELECT * FROM bench.moved()');
	const m = r.rows[0];
	return { started: Number(m.started), completed: Number(m.completed), updates: Number(m.updates), events: Number(m.events) };
}

function checkMoved(name, m, d) {
	// 2 events (signal, hook) + 3 notifications per transition
	if (m.started !== d || m.completed !== d || m.updates !== 2 * d || m.events !== 10 * d)
		throw new Error(`${name} did not do the work: ${JSON.stringify(m)}, expected ${d} + ${d}`);
}

/* ------------------------------------------------------------------
 * The contenders of the sweep
 * ---------------------------------------------------------------- */

const contenders = {
	extension: async (c, asOf) => {
		const r = await c.query('SELECT * FROM maintenance.run_transitions(as_of => $1)', [asOf]);
		return r.rows[0];
	},
	floor: async (c, asOf) => {
		const r = await c.query('SELECT bench.floor_transitions($1) AS events', [asOf]);
		return r.rows[0];
	},
	plpgsql: async (c, asOf) => {
		const r = await c.query('SELECT * FROM bench.plpgsql_transitions($1)', [asOf]);
		return r.rows[0];
	},
	// "upstream": the job of the service this extension ports (the checkstack
	// platform's maintenance service, in TypeScript): fetch every scheduled
	// row, filter in the client, one query per row for its systems, then one
	// addUpdate per row (here maintenance.add_update, each in its own
	// transaction, as that service's RPC does); then the same for
	// in_progress rows.
	upstream: async (c, asOf) => {
		const steps = [
			['scheduled', 'in_progress', 'Maintenance started automatically', 'start_at'],
			['in_progress', 'completed', 'Maintenance completed automatically', 'end_at'],
		];
		let done = 0;
		let failed = 0;
		for (const [from, to, message, col] of steps) {
			const rows = (await c.query('SELECT * FROM maintenance.maintenances WHERE status = $1', [from])).rows;
			const due = rows.filter((m) => m[col] <= asOf);
			const withSystems = [];
			for (const m of due) {
				const s = await c.query({
					name: 'upstream_systems',
					text: 'SELECT system_id FROM maintenance.maintenance_systems WHERE maintenance_id = $1',
					values: [m.id],
				});
				withSystems.push({ ...m, systemIds: s.rows.map((r) => r.system_id) });
			}
			for (const m of withSystems) {
				try {
					await c.query({
						name: 'upstream_add_update',
						text: 'SELECT id FROM maintenance.add_update(maintenance_id => $1, message => $2, status_change => $3)',
						values: [m.id, message, to],
					});
					done++;
				} catch (e) {
					failed++;
				}
			}
		}
		return { done, failed };
	},
};

async function sweepAt(c, n) {
	const res = {};
	const order = ['extension', 'floor', 'plpgsql'];
	for (let rep = 0; rep < REPS; rep++) {
		for (const name of order) {
			await prepare(c);
			const { ms } = await timed(() => contenders[name](c, T));
			checkMoved(name, await moved(c), D);
			(res[name] = res[name] || []).push(ms);
			log(`N=${n} ${name}: ${(ms / 1000).toFixed(2)} s`);
		}
	}
	await prepare(c);
	const { ms } = await timed(() => contenders.upstream(c, T));
	checkMoved('upstream', await moved(c), D);
	res.upstream = [ms];
	log(`N=${n} upstream: ${(ms / 1000).toFixed(2)} s`);
	await prepare(c);
	return res;
}

/* ------------------------------------------------------------------
 * Empty sweep
 * ---------------------------------------------------------------- */

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}

async function emptySweep(c, withPlans) {
	const client = [];
	const server = [];
	for (let i = 0; i < 25; i++) {
		const { ms, result } = await timed(() => contenders.extension(c, T_EMPTY));
		if (result.started !== 0 || result.completed !== 0) throw new Error('empty sweep moved rows');
		client.push(ms);
	}
	for (let i = 0; i < 25; i++) {
		const r = await c.query('EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM maintenance.run_transitions(as_of => $1)', [T_EMPTY]);
		server.push(r.rows[0]['QUERY PLAN'][0]['Execution Time']);
	}
	const times = {
		clientMedianMs: median(client),
		clientMinMs: Math.min(...client),
		serverMedianMs: median(server),
		serverMinMs: Math.min(...server),
	};
	if (!withPlans) return times;
	// The plans of the two claim queries inside, with their buffers.
	const notices = [];
	const onNotice = (n) => notices.push(n.message);
	c.on('notice', onNotice);
	await c.query("LOAD 'auto_explain'");
	await c.query("SET auto_explain.log_min_duration = 0");
	await c.query("SET auto_explain.log_analyze = on");
	await c.query("SET auto_explain.log_buffers = on");
	await c.query("SET auto_explain.log_timing = on");
	await c.query("SET auto_explain.log_nested_statements = on");
	await c.query("SET auto_explain.log_level = notice");
	const top = await c.query('EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM maintenance.run_transitions(as_of => $1)', [T_EMPTY]);
	await c.query("SET auto_explain.log_min_duration = -1");
	c.removeListener('notice', onNotice);
	return {
		...times,
		explain: top.rows.map((r) => r['QUERY PLAN']).join('\n'),
		nested: notices.filter((n) => n.includes('maintenances')).map((n) => n.trim()),
	};
}

/* ------------------------------------------------------------------
 * Memory of the biggest sweep: sampled from a second session while it runs
 * ---------------------------------------------------------------- */

function procStatus(pid) {
	try {
		const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]);
		return { rssAnonKb: kb('RssAnon'), hwmKb: kb('VmHWM') };
	} catch (e) {
		return null;
	}
}

async function memoryOf(c, watcher, name, asOf) {
	await prepare(c);
	const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
	const logStart = LOG ? fs.statSync(LOG).size : 0;
	const before = procStatus(pid);
	let peakAnon = before ? before.rssAnonKb : 0;
	let running = true;
	const sweep = timed(() => contenders[name](c, asOf)).finally(() => { running = false; });
	let samples = 0;
	while (running) {
		await watcher.query('SELECT pg_log_backend_memory_contexts($1)', [pid]);
		const s = procStatus(pid);
		if (s) peakAnon = Math.max(peakAnon, s.rssAnonKb);
		samples++;
		await new Promise((r) => setTimeout(r, 20));
	}
	const { ms } = await sweep;
	// Grand totals that this backend logged while the sweep ran.
	let peakContexts = 0;
	let peakTop = 0;
	let peakSweep = 0;
	let dumps = 0;
	if (LOG) {
		const fd = fs.openSync(LOG, 'r');
		const size = fs.fstatSync(fd).size;
		const buf = Buffer.alloc(size - logStart);
		fs.readSync(fd, buf, 0, buf.length, logStart);
		fs.closeSync(fd);
		// per dump: the grand total, the transaction's own context (where
		// PostgreSQL keeps the pending NOTIFYs until commit) and the sweep's
		// batch and row contexts
		let top = 0;
		let sweepCxt = 0;
		const prefix = `[${pid}] LOG:  `;
		for (const line of buf.toString('utf8').split('\n')) {
			const at = line.indexOf(prefix);
			if (at < 0) continue;
			const msg = line.slice(at + prefix.length);
			let m = msg.match(/^level: \d+; ([^:]+): (\d+) total/);
			if (m) {
				if (m[1] === 'TopTransactionContext') top = Number(m[2]);
				if (m[1].startsWith('maintenance sweep')) sweepCxt += Number(m[2]);
				continue;
			}
			m = msg.match(/^Grand total: (\d+) bytes/);
			if (m) {
				dumps++;
				peakContexts = Math.max(peakContexts, Number(m[1]));
				peakTop = Math.max(peakTop, top);
				peakSweep = Math.max(peakSweep, sweepCxt);
				top = 0;
				sweepCxt = 0;
			}
		}
	}
	const after = procStatus(pid);
	const mv = await moved(c);
	return {
		ms, samples, dumps, movedStarted: mv.started, movedCompleted: mv.completed,
		peakContextsBytes: peakContexts,
		peakTopTransactionBytes: peakTop,
		peakSweepContextsBytes: peakSweep,
		rssAnonBeforeKb: before ? before.rssAnonKb : null,
		peakRssAnonKb: peakAnon,
		rssAnonAfterKb: after ? after.rssAnonKb : null,
	};
}

async function memory(c) {
	const watcher = await connect();
	const res = {};
	for (const name of ['extension', 'floor']) {
		for (const [label, asOf] of [['small', T_SMALL], ['big', T]]) {
			// a fresh backend for each, so that one run's memory does not hide the next's
			const cc = await connect();
			res[`${name}_${label}`] = await memoryOf(cc, watcher, name, asOf);
			await cc.end();
			log(`memory ${name} ${label}: ${JSON.stringify(res[`${name}_${label}`])}`);
		}
	}
	await prepare(c);
	await watcher.end();
	return res;
}

/* ------------------------------------------------------------------
 * getBulkMaintenancesForSystems vs one query per system
 * ---------------------------------------------------------------- */

async function bulk(c) {
	const ids = Array.from({ length: BULK_SYSTEMS }, (_, i) => `sys-${String(i * 10).padStart(4, '0')}`);
	const res = { systems: ids.length };
	const bulkTyped = [];
	const bulkRpc = [];
	let bulkCount = 0;
	for (let i = 0; i < 3; i++) {
		let r = await timed(() => c.query('SELECT system_id, maintenances FROM maintenance.get_bulk_maintenances_for_systems($1)', [ids]));
		bulkTyped.push(r.ms);
		// Both answers are timed as the text the client receives: the typed
		// one's maintenances arrive as the text of an array of rows, which
		// the client does not parse, so the JSON is not parsed either
		// (JSON.parse of these megabytes is the client's cost, not the
		// extension's); it is parsed after, for the count.
		r = await timed(() => c.query({
			text: 'SELECT maintenance.rpc($1, $2) AS result',
			values: ['getBulkMaintenancesForSystems', { systemIds: ids }],
			types: { getTypeParser: () => (text) => text },
		}));
		bulkRpc.push(r.ms);
		const m = JSON.parse(r.result.rows[0].result).maintenances;
		bulkCount = Object.values(m).reduce((a, l) => a + l.length, 0);
	}
	const eachTyped = [];
	const eachRpc = [];
	let eachCount = 0;
	for (let i = 0; i < 2; i++) {
		let t0 = now();
		for (const id of ids) {
			await c.query({ name: 'for_system', text: 'SELECT * FROM maintenance.get_maintenances_for_system($1)', values: [id] });
		}
		eachTyped.push(now() - t0);
		t0 = now();
		eachCount = 0;
		for (const id of ids) {
			const r = await c.query({ name: 'for_system_rpc', text: 'SELECT maintenance.rpc($1, $2) AS result', values: ['getMaintenancesForSystem', { systemId: id }] });
			eachCount += r.rows[0].result.length;
		}
		eachRpc.push(now() - t0);
	}
	if (bulkCount !== eachCount) throw new Error(`bulk returned ${bulkCount} maintenances, one per system ${eachCount}`);
	// the plans inside (auto_explain, no per-node timing: it is costly here)
	const notices = [];
	const onNotice = (n) => notices.push(n.message);
	await c.query("LOAD 'auto_explain'");
	for (const set of ['log_min_duration = 0', 'log_analyze = on', 'log_buffers = on', 'log_timing = off',
		'log_nested_statements = on', 'log_level = notice']) {
		await c.query(`SET auto_explain.${set}`);
	}
	c.on('notice', onNotice);
	await c.query('SELECT count(*) FROM maintenance.get_bulk_maintenances_for_systems($1)', [ids]);
	const bulkPlan = notices.filter((n) => n.includes('SELECT asked.system_id')).join('\n');
	notices.length = 0;
	await c.query('SELECT count(*) FROM maintenance.get_maintenances_for_system($1)', [ids[0]]);
	const eachPlan = notices.filter((n) => n.includes('WHERE v.system_ids @> ARRAY[get_maintenances_for_system.system_id]')).join('\n');
	c.removeListener('notice', onNotice);
	await c.query('SET auto_explain.log_min_duration = -1');
	Object.assign(res, {
		maintenances: bulkCount,
		bulkTypedMs: Math.min(...bulkTyped), bulkRpcMs: Math.min(...bulkRpc),
		eachTypedMs: Math.min(...eachTyped), eachRpcMs: Math.min(...eachRpc),
		explain: bulkPlan,
		explainEach: eachPlan,
	});
	log(`bulk: ${JSON.stringify({ ...res, explain: undefined })}`);
	return res;
}

/* ------------------------------------------------------------------
 * add_update throughput with pgbench
 * ---------------------------------------------------------------- */

async function addUpdate(c) {
	const targets = Number((await c.query('SELECT count(*) AS n FROM bench.targets')).rows[0].n);
	const res = { targets, extension: [], floor: [] };
	for (let i = 0; i < (QUICK ? 1 : 3); i++) {
		for (const [name, script] of [['extension', 'add_update.pgbench'], ['floor', 'add_update_floor.pgbench']]) {
			await c.query('CHECKPOINT');
			const r = pgbench(script, PGBENCH_SECONDS, { targets });
			res[name].push(r);
			log(`pgbench ${name}: ${JSON.stringify(r)}`);
		}
	}
	return res;
}

/* ------------------------------------------------------------------ */

async function grow(c, n) {
	const { ms } = await timed(async () => {
		await c.query('SET session_replication_role = replica'); // no FK checks while loading generated rows
		await c.query('CALL bench.grow($1)', [n - 2 * D]); // N rows in all, the due ones included
		await c.query('RESET session_replication_role');
		await c.query('VACUUM ANALYZE');
		await c.query('CALL bench.mark()');
	});
	log(`loaded N=${n} in ${(ms / 1000).toFixed(1)} s`);
	return ms;
}

// BENCH_PARTS (bench.sh's arguments): sweep (sweeps, empty sweep, memory,
// bulk, add_update), reads (the reads against inline queries, the
// suppression check at both sizes), events (delivery, idle listeners).
const PARTS = (process.env.BENCH_PARTS || 'sweep reads events').split(/[\s,]+/).filter(Boolean);
const READ_ROUNDS = QUICK ? 1 : 3;
const READ_SECONDS = QUICK ? 1 : 3;

async function main() {
	const c = await connect();
	results.parts = PARTS;
	results.server = (await c.query('SELECT version() AS v')).rows[0].v;
	results.settings = (await c.query(`SELECT name, setting, unit FROM pg_settings
		WHERE name IN ('shared_buffers', 'max_wal_size', 'synchronous_commit', 'fsync', 'autovacuum',
		               'checkpoint_timeout', 'full_page_writes', 'wal_level', 'jit', 'track_commit_timestamp')`)).rows;
	results.load = {};
	const has = (part) => PARTS.includes(part);
	// the events alone need no table of a million rows
	const sizes = has('sweep') || has('reads') ? SIZES : SIZES.slice(0, 1);

	// the due rows and the suppressing ones first, then the table grows around them
	await c.query('SET session_replication_role = replica');
	await c.query('CALL bench.add_due($1)', [D]);
	await c.query('CALL bench.add_suppressing($1)', [SUPPRESSING]);
	await c.query('RESET session_replication_role');
	for (const n of sizes) {
		results.load[n] = await grow(c, n);
		if (has('sweep')) {
			results.sweep[n] = await sweepAt(c, n);
			results.emptyAt = results.emptyAt || {};
			results.emptyAt[n] = await emptySweep(c, false);
			log(`N=${n} empty sweep: client median ${results.emptyAt[n].clientMedianMs.toFixed(3)} ms, server median ${results.emptyAt[n].serverMedianMs.toFixed(3)} ms`);
		}
	}
	if (has('reads')) {
		// the same data at the small size in a database of its own (bench.sh)
		const small = await connect(SMALL_DB);
		await small.query('SET session_replication_role = replica');
		await small.query('CALL bench.add_due($1)', [D]);
		await small.query('CALL bench.add_suppressing($1)', [SUPPRESSING]);
		await small.query('RESET session_replication_role');
		await grow(small, SIZES[0]);
		await small.end();
		results.suppression = suppressionScaling({ n: SIZES[0], db: SMALL_DB }, { n: SIZES[SIZES.length - 1], db: DB },
			{ rounds: READ_ROUNDS, seconds: READ_SECONDS, log });
	}
	if (has('sweep')) {
		results.empty = await emptySweep(c, true);
		results.memory = await memory(c);
	}
	// a read: with the sweep (the full run) and with the reads
	if (has('sweep') || has('reads')) results.bulk = await bulk(c);

	await c.query(`INSERT INTO bench.targets
		SELECT row_number() OVER (ORDER BY id), id FROM maintenance.maintenances
		 WHERE status = 'scheduled' AND start_at > bench.t()`);
	await c.query('ANALYZE bench.targets');
	if (has('sweep')) results.addUpdate = await addUpdate(c);
	if (has('reads')) {
		results.reads = await reads(c, { rounds: READ_ROUNDS, seconds: READ_SECONDS, log });
		Object.assign(results.reads, { rounds: READ_ROUNDS, seconds: READ_SECONDS });
	}
	if (has('events')) {
		results.delivery = await delivery(c, connect, { db: DB, seconds: QUICK ? 2 : 6, log });
		results.listeners = await listeners(c, connect, { rounds: QUICK ? 1 : 2, seconds: PGBENCH_SECONDS, log });
	}
	await c.end();
	fs.writeFileSync(OUT, JSON.stringify(results, null, 2));
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
