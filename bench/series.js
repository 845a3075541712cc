#!/usr/bin/env node
// bench/series.js: the recurring windows part of `make bench` (bench/bench.sh
// runs it on its cluster, in a database of its own, after coverage.js).
//
//  1. create_series' cost per occurrence it creates beside
//     create_maintenance's per row, side by side: rounds of 300
//     create_maintenance rows, then 10 daily series with a 30-day horizon
//     (30 occurrences each), so that both see the same load and the same
//     table; then the rest of the series (each batch timed too);
//  2. run_transitions with nothing to create (nor to start or end), with
//     1,000 series and with all of them: the server's execution time
//     (EXPLAIN ANALYZE), median of 50 (target: under 1 ms, within 1.2x);
//  3. preview_series of 1,000 occurrences of a weekly rule, the server's
//     execution time, median of 50 (target: under 10 ms).
//
// Full run: 10,000 series, 300,000 occurrences.  BENCH_QUICK=1: 100 and
// 1,000 series; the ratio from 3 rounds (900 occurrences); the series
// beyond those are created with maintenance.series_horizon = 1min (their
// next occurrence only), which the nothing-to-create probe does not
// depend on.  BENCH_SERIES=N: N series (the probe compares N / 10 with N),
// e.g. BENCH_QUICK=1 BENCH_SERIES=10000 for the probe at the full sizes
// in about a minute.  Environment: PGHOST/PGUSER, BENCH_SERIES_DB (created
// and dropped).  Prints a Markdown table.
'use strict';

const path = require('path');
const { Client } = require(path.join(__dirname, '..', 'test', 'client', 'node_modules', 'pg'));

const QUICK = process.env.BENCH_QUICK === '1';
const DB = process.env.BENCH_SERIES_DB || 'bench_series';
const SERIES = Number(process.env.BENCH_SERIES || (QUICK ? 1000 : 10000));
const FEW = SERIES / 10;
const ROUNDS = QUICK ? 3 : 10;
const ROWS_PER_ROUND = 300;
const SERIES_PER_ROUND = 10;
const BATCH = 500;
const PROBES = 50;

function now() { return Number(process.hrtime.bigint()) / 1e6; }
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
function say(s) { process.stderr.write(`    ${s}\n`); }

async function timed(c, sql) {
	const t0 = now();
	await c.query(sql);
	return now() - t0;
}

// The server's execution time of one statement, in ms.
async function serverMs(c, sql) {
	const r = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
	return r.rows[0]['QUERY PLAN'][0]['Execution Time'];
}

async function count(c, sql) {
	return Number((await c.query(sql)).rows[0].n);
}

// create_series for the series [from, to): daily at 02:00 Berlin time from tomorrow
function createSeries(from, to) {
	return `SELECT count(*) FROM pg_catalog.generate_series(${from}, ${to - 1}) AS i,
	        LATERAL maintenance.create_series(title => 'series ' || i, system_ids => ARRAY['sys' || i % 100, 'all'],
	            rrule => 'FREQ=DAILY', time_zone => 'Europe/Berlin',
	            first_start => (pg_catalog.now() AT TIME ZONE 'Europe/Berlin')::date + 1 + time '02:00',
	            duration => interval '2 hours') AS s`;
}

// create_maintenance for the rows [from, to): as many windows, a minute apart, from tomorrow
function createMaintenances(from, to) {
	return `SELECT count(*) FROM pg_catalog.generate_series(${from}, ${to - 1}) AS i,
	        LATERAL maintenance.create_maintenance(title => 'one-off ' || i, system_ids => ARRAY['sys' || i % 100, 'all'],
	            start_at => pg_catalog.now() + interval '1 day' + i * interval '1 minute',
	            end_at => pg_catalog.now() + interval '1 day' + i * interval '1 minute' + interval '2 hours') AS m`;
}

const OCCURRENCES = 'SELECT count(*) AS n FROM maintenance.maintenances WHERE series_id IS NOT NULL';

async function probeMs(c) {
	const ms = [];
	for (let i = 0; i < PROBES; i++) {
		const r = (await c.query('SELECT * FROM maintenance.run_transitions()')).rows[0];
		if (Number(r.created) !== 0 || Number(r.started) !== 0 || Number(r.completed) !== 0)
			throw new Error(`run_transitions had work to do: ${JSON.stringify(r)}`);
		ms.push(await serverMs(c, 'SELECT * FROM maintenance.run_transitions()'));
	}
	return median(ms);
}

// Create the series [from, to) in batches; returns the time and the occurrences created.
async function createSeriesBatches(c, from, to) {
	let ms = 0;
	const before = await count(c, OCCURRENCES);
	for (let i = from; i < to; i += BATCH) {
		ms += await timed(c, createSeries(i, Math.min(i + BATCH, to)));
		say(`create_series: ${Math.min(i + BATCH, to)} of ${SERIES} series`);
	}
	return { ms, occurrences: (await count(c, OCCURRENCES)) - before };
}

async function main() {
	const admin = new Client({ database: 'postgres' });
	await admin.connect();
	await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
	await admin.query(`CREATE DATABASE ${DB}`);
	const c = new Client({ database: DB });
	await c.connect();
	c.on('notice', () => {});
	const out = [];
	try {
		await c.query('SET client_min_messages = warning');
		await c.query('CREATE EXTENSION maintenance');
		await c.query('VACUUM ANALYZE');

		// 1. side by side: per row, per occurrence
		let rowMs = 0;
		let occMs = 0;
		for (let r = 0; r < ROUNDS; r++) {
			rowMs += await timed(c, createMaintenances(r * ROWS_PER_ROUND, (r + 1) * ROWS_PER_ROUND));
			occMs += await timed(c, createSeries(r * SERIES_PER_ROUND, (r + 1) * SERIES_PER_ROUND));
		}
		const rows = ROUNDS * ROWS_PER_ROUND;
		const roundOcc = await count(c, OCCURRENCES);
		const perRow = rowMs / rows;
		const perOcc = occMs / roundOcc;
		say(`side by side: ${rows} rows in ${rowMs.toFixed(0)} ms, ${roundOcc} occurrences in ${occMs.toFixed(0)} ms`);
		await c.query('DELETE FROM maintenance.maintenances WHERE series_id IS NULL');
		await c.query('VACUUM ANALYZE');

		// 2. the probe with FEW series, then with all of them
		const first = ROUNDS * SERIES_PER_ROUND;
		if (QUICK) await c.query("SET maintenance.series_horizon = '1min'");
		const few = await createSeriesBatches(c, first, FEW);
		await c.query('VACUUM ANALYZE');
		const probeFew = await probeMs(c);
		const rest = await createSeriesBatches(c, FEW, SERIES);
		const all = await count(c, OCCURRENCES);
		await c.query('VACUUM ANALYZE');
		const probeAll = await probeMs(c);
		const bulkOcc = few.occurrences + rest.occurrences;
		const perBulkOcc = (few.ms + rest.ms) / bulkOcc;

		// 3. preview of 1,000 weekly occurrences
		const previews = [];
		for (let i = 0; i < PROBES; i++) {
			previews.push(await serverMs(c, `SELECT * FROM maintenance.preview_series('FREQ=WEEKLY;BYDAY=SU',
			    'Europe/Berlin', '2026-03-01 02:00', '2 hours', from_time => '2026-01-01 00:00+00', count => 1000)`));
		}
		if (await count(c, `SELECT count(*) AS n FROM maintenance.preview_series('FREQ=WEEKLY;BYDAY=SU',
		    'Europe/Berlin', '2026-03-01 02:00', '2 hours', from_time => '2026-01-01 00:00+00', count => 1000)`) !== 1000)
			throw new Error('preview_series did not give 1000');
		const preview = median(previews);

		const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;
		out.push('| series | measured | target |', '|---|---|---|');
		out.push(`| create_maintenance, per row (${rows} rows, ${ROUNDS} rounds) | ${us(perRow)} | |`);
		out.push(`| create_series, per occurrence, the same rounds (${ROUNDS * SERIES_PER_ROUND} daily series, ${roundOcc} occurrences) | ${us(perOcc)} (${(perOcc / perRow).toFixed(2)}x) | ≤ 1.5x |`);
		out.push(`| create_series, per occurrence, the other ${SERIES - first} series in batches of ${BATCH} (${bulkOcc} occurrences${QUICK ? ', horizon 1 min' : ''}) | ${us(perBulkOcc)} (${(perBulkOcc / perRow).toFixed(2)}x) | |`);
		out.push(`| run_transitions, nothing to do, ${FEW} series (server time, median of ${PROBES}) | ${probeFew.toFixed(3)} ms | < 1 ms |`);
		out.push(`| run_transitions, nothing to do, ${SERIES} series, ${all} occurrences (server time, median of ${PROBES}) | ${probeAll.toFixed(3)} ms (${(probeAll / probeFew).toFixed(2)}x) | < 1 ms, ≤ 1.2x |`);
		out.push(`| preview_series, 1000 weekly occurrences (server time, median of ${PROBES}) | ${preview.toFixed(2)} ms | < 10 ms |`);
	} finally {
		await c.end();
		await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
		await admin.end();
	}
	console.log(out.join('\n'));
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
