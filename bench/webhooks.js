#!/usr/bin/env node
'use strict';
/*
 * bench/webhooks.js (run by bench/webhooks.sh): maintenance-listen --webhook
 * against --exec 'curl ...' on the same stream of events, to a local
 * receiver that answers 204 at once.
 *
 * For each contender:
 *   throughput  BENCH_EVENTS events written beforehand; the listener starts
 *               from the cursor before them: events per second from its
 *               start to the arrival of the last one;
 *   latency     the listener caught up, a writer commits one event every
 *               1000/BENCH_RATE ms (BENCH_LATENCY_EVENTS of them); latency
 *               is the arrival at the receiver minus the moment the writer
 *               sent its committing statement: p50 and p99.
 * Only the maintenance_signal channel is delivered (one event per write);
 * the other events of the stream are skipped by both alike.
 *
 * Prints a Markdown table; BENCH_MD=FILE also writes it there.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Client } = require(path.resolve(__dirname, '../test/client/node_modules/pg'));

const LISTEN_BIN = process.env.LISTEN_BIN;
const EVENTS = Number(process.env.BENCH_EVENTS || 600);
const LATENCY_EVENTS = Number(process.env.BENCH_LATENCY_EVENTS || 50);
const RATE = Number(process.env.BENCH_RATE || 10);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maintenance-bench-webhooks.'));
const secretFile = path.join(tmp, 'secret');
fs.writeFileSync(secretFile, `whsec_${Buffer.from('b'.repeat(32)).toString('base64')}\n`);

let arrivals = [];				/* [event id, ms] */
let onArrival = () => {};
const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		arrivals.push([JSON.parse(Buffer.concat(chunks).toString()).id, performance.now()]);
		res.writeHead(204);
		res.end();
		onArrival();
	});
});
server.keepAliveTimeout = 60000;

function waitArrivals(n) {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`timed out: ${arrivals.length} of ${n} arrived`)), 300000);
		onArrival = () => {
			if (arrivals.length >= n) {
				clearTimeout(timer);
				onArrival = () => {};
				resolve();
			}
		};
		onArrival();
	});
}

async function lastId(db) {
	return Number((await db.query('SELECT coalesce(max(id), 0) AS id FROM maintenance.events')).rows[0].id);
}

async function write(db, i) {
	await db.query(`SELECT maintenance.create_maintenance('bench ' || $1::text, '2030-01-01T10:00:00Z',
	                 '2030-01-01T12:00:00Z', ARRAY['sys'])`, [i]);
}

function startListener(args, cursor) {
	const cursorFile = path.join(tmp, `cursor-${Math.random().toString(36).slice(2)}`);
	fs.writeFileSync(cursorFile, `${cursor}\n`);
	const proc = spawn(LISTEN_BIN, ['-d', process.env.BENCH_DB, '-f', cursorFile,
		'--channel', 'maintenance_signal', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
	const exited = new Promise((r) => proc.on('exit', r));
	return { stop: () => { proc.kill('SIGTERM'); return exited; } };
}

function percentile(sorted, p) {
	return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
}

async function measure(name, args, db) {
	/* throughput: a backlog of EVENTS writes */
	const cursor = await lastId(db);
	for (let i = 0; i < EVENTS; i++)
		await write(db, i);
	arrivals = [];
	const t0 = performance.now();
	const l = startListener(args, cursor);
	await waitArrivals(EVENTS);
	const seconds = (arrivals[arrivals.length - 1][1] - t0) / 1000;

	/* latency: one write every 1000/RATE ms, the listener caught up */
	arrivals = [];
	const sent = [];
	for (let i = 0; i < LATENCY_EVENTS; i++) {
		const due = performance.now() + 1000 / RATE;
		sent.push(performance.now());
		await write(db, i);
		const left = due - performance.now();
		if (left > 0)
			await new Promise((r) => setTimeout(r, left));	/* the write rate */
	}
	await waitArrivals(LATENCY_EVENTS);
	await l.stop();
	const lat = arrivals.map(([, at], i) => at - sent[i]).sort((a, b) => a - b);
	const row = { name, events: EVENTS, seconds, rate: EVENTS / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99) };
	console.error(`${name}: ${row.rate.toFixed(0)} events/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms`);
	return row;
}

async function main() {
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	const url = `http://127.0.0.1:${server.address().port}/hook`;
	const db = new Client({ database: process.env.BENCH_DB });
	await db.connect();
	const rows = [];
	rows.push(await measure("--exec 'curl ...'", ['--exec',
		`curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @- ${url}`], db));
	rows.push(await measure('--webhook (libcurl, signed)', ['--webhook', url, '--webhook-secret-file', secretFile], db));
	await db.end();
	server.close();
	fs.rmSync(tmp, { recursive: true, force: true });

	const [exec, hook] = rows;
	const lines = [
		`| delivery | events | events/s | latency p50 (ms) | latency p99 (ms) |`,
		`|---|---:|---:|---:|---:|`,
		...rows.map((r) => `| ${r.name} | ${r.events} | ${r.rate.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`),
		'',
		`Ratio of events per second, --webhook / --exec curl: ${(hook.rate / exec.rate).toFixed(1)}x (target: at least 10x).`,
	];
	console.log(lines.join('\n'));
	if (process.env.BENCH_MD)
		fs.writeFileSync(process.env.BENCH_MD, lines.join('\n') + '\n');
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
