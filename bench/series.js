#!/usr/bin/env node
// bench/series.js: the series part of `make bench` (bench/bench.sh runs it
// on its cluster, in a database of its own, after bench.js).
//
//  1. create_maintenance's cost per row, and create_series' cost per
//     occurrence it creates (daily series, first start tomorrow, a 30-day
//     horizon: 30 occurrences each), side by side in the same run;
//  2. run_transitions with nothing to create (nor to start or end): its
//     time with 1,000 and with all the series (target: under 1 ms, within
//     1.2x);
//  3. preview_series of 1,000 occurrences of a weekly rule (target: under
//     10 ms).
//
// Environment: PGHOST/PGUSER, BENCH_SERIES_DB (created and dropped),
// BENCH_QUICK=1 (1,000 series instead of 10,000).  Prints a Markdown table.
'use strict';

const path = require('path');
const { Client } = require(path.join(__dirname, '..', 'test', 'client', 'node_modules', 'pg'));

const QUICK = process.env.BENCH_QUICK === '1';
const DB = process.env.BENCH_SERIES_DB || 'bench_series';
const SERIES = QUICK ? 1000 : 10000;
const FEW = 1000;
const ROWS = QUICK ? 3000 : 30000;
const PROBES = 50;

function now() { return Number(process.hrtime.bigint()) / 1e6; }
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function timed(c, sql, params) {
	const t0 = now();
	const r = await c.query(sql, params);
	return { ms: now() - t0, rows: r.rows };
}

// create_series for series [from, to): daily at 02:00 Berlin time from tomorrow
function createSeries(from, to) {
	return `SELECT count(*) FROM pg_catalog.generate_series(${from}, ${to - 1}) AS i,
	        LATERAL maintenance.create_series(title => 'series ' || i, system_ids => ARRAY['sys' || i % 100, 'all'],
	            rrule => 'FREQ=DAILY', time_zone => 'Europe/Berlin',
	            first_start => (pg_catalog.now() AT TIME ZONE 'Europe/Berlin')::date + 1 + time '02:00',
	            duration => interval '2 hours') AS s`;
}

async function probeMs(c) {
	const ms = [];
	for (let i = 0; i < PROBES; i++) {
		const r = await timed(c, 'SELECT * FROM maintenance.run_transitions()');
		if (Number(r.rows[0].created) !== 0 || Number(r.rows[0].started) !== 0)
			throw new Error(`run_transitions had work to do: ${JSON.stringify(r.rows[0])}`);
		ms.push(r.ms);
	}
	return median(ms);
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

		// 1. per row and per occurrence, in the same run
		const rows = await timed(c, `SELECT count(*) FROM pg_catalog.generate_series(1, ${ROWS}) AS i,
		    LATERAL maintenance.create_maintenance(title => 'one-off ' || i, system_ids => ARRAY['sys' || i % 100, 'all'],
		        start_at => pg_catalog.now() + interval '1 day' + i * interval '1 minute',
		        end_at => pg_catalog.now() + interval '1 day' + i * interval '1 minute' + interval '2 hours') AS m`);
		const perRow = rows.ms / ROWS;
		process.stderr.write(`    create_maintenance: ${ROWS} rows in ${rows.ms.toFixed(0)} ms\n`);
		await c.query('DELETE FROM maintenance.maintenances');
		await c.query('DELETE FROM maintenance.events');
		await c.query('VACUUM ANALYZE');

		const few = await timed(c, createSeries(0, FEW));
		await c.query('VACUUM ANALYZE');
		const probeFew = await probeMs(c);
		const rest = await timed(c, createSeries(FEW, SERIES));
		const occ = Number((await c.query('SELECT count(*) AS n FROM maintenance.maintenances')).rows[0].n);
		const perOcc = (few.ms + rest.ms) / occ;
		process.stderr.write(`    create_series: ${SERIES} series, ${occ} occurrences in ${(few.ms + rest.ms).toFixed(0)} ms\n`);
		await c.query('VACUUM ANALYZE');
		const probeAll = await probeMs(c);

		// 3. preview of 1,000 weekly occurrences
		const previews = [];
		for (let i = 0; i < PROBES; i++) {
			const r = await timed(c, `SELECT count(*) FROM maintenance.preview_series('FREQ=WEEKLY;BYDAY=SU', 'Europe/Berlin',
			    '2026-03-01 02:00', '2 hours', from_time => '2026-01-01 00:00+00', count => 1000)`);
			if (Number(r.rows[0].count) !== 1000) throw new Error('preview_series did not give 1000');
			previews.push(r.ms);
		}
		const preview = median(previews);

		out.push('| series | measured | target |', '|---|---|---|');
		out.push(`| create_maintenance, per row (${ROWS} rows) | ${(perRow * 1000).toFixed(0)} µs | |`);
		out.push(`| create_series, per occurrence (${SERIES} daily series, ${occ} occurrences) | ${(perOcc * 1000).toFixed(0)} µs (${(perOcc / perRow).toFixed(2)}x) | ≤ 1.5x |`);
		out.push(`| run_transitions, nothing due, ${FEW} series (median of ${PROBES}) | ${probeFew.toFixed(3)} ms | < 1 ms |`);
		out.push(`| run_transitions, nothing due, ${SERIES} series (median of ${PROBES}) | ${probeAll.toFixed(3)} ms (${(probeAll / probeFew).toFixed(2)}x) | < 1 ms, ≤ 1.2x |`);
		out.push(`| preview_series, 1000 weekly occurrences (median of ${PROBES}) | ${preview.toFixed(2)} ms | < 10 ms |`);
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
