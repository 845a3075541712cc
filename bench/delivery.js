// bench/delivery.js: event delivery (issue 13).
//
// delivery(): maintenance-listen against a bare LISTEN client (Node.js
// `pg`) on the same stream of add_update writers (pgbench, 2 clients: a
// steady rate, then as fast as they go).  Each event's latency is from the
// commit of the transaction that wrote it (pg_xact_commit_timestamp of the
// event row: the benchmark's cluster has track_commit_timestamp = on) to
// the moment the client has it: the line read from maintenance-listen's
// standard output, the notification received by the bare client.  Both run
// on this machine, so they share the clock.
//
// listeners(): add_update's throughput with 0, 10 and 100 idle sessions
// LISTENing on the three channels.
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');
const { performance } = require('perf_hooks');
const { pgbenchAsync } = require('./pgbench');

const CHANNELS = ['maintenance_signal', 'maintenance_hook', 'maintenance_notification'];
const wall = () => performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms

function percentile(sorted, p) {
	if (sorted.length === 0) return null;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function bareClient(connect) {
	const c = await connect();
	const got = new Map();
	c.on('notification', (n) => {
		const t = wall();
		got.set(JSON.parse(n.payload).id, t);
	});
	for (const ch of CHANNELS) await c.query(`LISTEN ${ch}`);
	return { got, end: () => c.end() };
}

function listenerClient(db, cursor) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maintenance-listen-'));
	const cursorFile = path.join(dir, 'cursor');
	fs.writeFileSync(cursorFile, `${cursor}\n`);
	const child = spawn(process.env.BENCH_LISTEN || 'maintenance-listen', ['-d', `dbname=${db}`, '--cursor-file', cursorFile],
		{ stdio: ['ignore', 'pipe', 'inherit'] });
	const got = new Map();
	readline.createInterface({ input: child.stdout }).on('line', (line) => {
		const t = wall();
		got.set(JSON.parse(line).id, t);
	});
	return {
		got,
		end: () => new Promise((resolve) => {
			child.on('exit', () => { fs.rmSync(dir, { recursive: true, force: true }); resolve(); });
			child.kill('SIGTERM');
		}),
	};
}

async function waitFor(clients, n, ms) {
	const until = Date.now() + ms;
	while (Date.now() < until && clients.some((cl) => cl.got.size < n)) {
		await new Promise((r) => setTimeout(r, 50));
	}
}

function summary(got, commits) {
	const lat = [];
	for (const [id, t] of got) {
		const at = commits.get(String(id));
		if (at !== undefined) lat.push(t - at);
	}
	lat.sort((a, b) => a - b);
	const times = [...got.values()].sort((a, b) => a - b);
	const span = (times[times.length - 1] - times[0]) / 1000;
	return {
		events: got.size,
		perSecond: span > 0 ? got.size / span : null,
		p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), maxMs: lat[lat.length - 1],
	};
}

// One phase: both clients listening, writers for `seconds` (rate: tps of
// add_update, or none for as fast as they go).
async function phase(c, connect, db, targets, seconds, rate) {
	const start = Number((await c.query('SELECT coalesce(max(id), 0) AS id FROM maintenance.events')).rows[0].id);
	const bare = await bareClient(connect);
	const listener = listenerClient(db, start);
	await new Promise((r) => setTimeout(r, 500)); // the listener has connected and replayed nothing
	const w = await pgbenchAsync('add_update.pgbench', seconds, { targets }, rate ? ['-R', String(rate)] : []);
	const rows = (await c.query(`SELECT id, extract(epoch FROM pg_catalog.pg_xact_commit_timestamp(xmin)) * 1000 AS at
	                               FROM maintenance.events WHERE id > $1`, [start])).rows;
	const commits = new Map(rows.map((r) => [String(r.id), Number(r.at)]));
	await waitFor([bare, listener], rows.length, 15000);
	await bare.end();
	await listener.end();
	const commitTimes = [...commits.values()].sort((a, b) => a - b);
	return {
		rate: rate || null,
		writes: w,
		written: rows.length,
		writtenPerSecond: rows.length / ((commitTimes[commitTimes.length - 1] - commitTimes[0]) / 1000),
		bare: summary(bare.got, commits),
		listener: summary(listener.got, commits),
	};
}

async function delivery(c, connect, { db, seconds = 6, rate = 400, log }) {
	const targets = Number((await c.query('SELECT count(*) AS n FROM bench.targets')).rows[0].n);
	const res = {};
	for (const [name, r] of [['steady', rate], ['full', null]]) {
		await c.query('CHECKPOINT');
		res[name] = await phase(c, connect, db, targets, seconds, r);
		log(`delivery ${name}: ${JSON.stringify(res[name])}`);
	}
	return res;
}

async function listeners(c, connect, { counts = [0, 10, 100], rounds = 2, seconds = 5, log }) {
	const targets = Number((await c.query('SELECT count(*) AS n FROM bench.targets')).rows[0].n);
	const res = {};
	for (let r = 0; r < rounds; r++) {
		for (const k of counts) {
			const idle = [];
			for (let i = 0; i < k; i++) {
				const s = await connect();
				for (const ch of CHANNELS) await s.query(`LISTEN ${ch}`);
				idle.push(s);
			}
			await c.query('CHECKPOINT');
			// the idle sessions' clients keep reading their notifications
			const w = await pgbenchAsync('add_update.pgbench', seconds, { targets });
			(res[k] = res[k] || []).push(w);
			log(`add_update with ${k} idle listeners: ${w.tps.toFixed(0)} tps`);
			await Promise.all(idle.map((s) => s.end()));
		}
	}
	return res;
}

module.exports = { delivery, listeners };
