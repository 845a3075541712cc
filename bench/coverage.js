#!/usr/bin/env node
// bench/coverage.js: maintenance time for SLAs and the calendar, measured by
// `make bench` (bench/bench.sh) after bench/bench.js, on the table that one
// grew (BENCH_SIZE maintenances, 1,000,000 in the full run).  Prints its
// own Markdown table on stdout.
//
//   coverage()  of 1,000 systems over 30 days, against two floors with the
//               same ranges: plain SQL with range_agg over the timeline
//               (what one writes without the extension's windows table),
//               and plain SQL over maintenance_windows (the same table and
//               index, no function around it)
//   calendar()  of one system with 1,000 maintenances
//
// The generator's history lies in 2028-2029 (bench/setup.sql), after now:
// coverage counts no time after now, so the history is first moved five
// years back; bench.js loads without triggers, so the windows are then
// filled as the upgrade to 0.4.0 fills them (and that is timed).  Each contender runs
// REPS times, alternating; medians of the client-side time.
'use strict';

const path = require('path');

const clientDir = path.join(__dirname, '..', 'test', 'client', 'node_modules');
const { Client } = require(path.join(clientDir, 'pg'));

const QUICK = process.env.BENCH_QUICK === '1';
const DB = process.env.BENCH_DB || 'bench';
const REPS = QUICK ? 3 : 11;
const SYSTEMS = 1000;
const CALENDAR_WINDOWS = 1000;
const SHIFT = '5 years';

function log(msg) {
	process.stderr.write(`    ${msg}\n`);
}

function clock() {
	return Number(process.hrtime.bigint()) / 1e6; // ms
}

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.floor(s.length / 2)];
}

async function timeQuery(c, sql, params) {
	const t0 = clock();
	const r = await c.query(sql, params);
	return { ms: clock() - t0, rows: r.rows };
}

// The same ranges as maintenance.coverage(), from the timeline: the first
// in_progress and the next completed/cancelled update of each maintenance.
const FLOOR_TIMELINE = `
SELECT a.system_id, coalesce(range_agg(w.during * $2::tstzrange), '{}') AS ranges
  FROM unnest($1::text[]) AS a(system_id)
  LEFT JOIN (
        SELECT s.system_id, tstzrange(st.created_at, en.created_at) AS during
          FROM maintenance.maintenance_systems s
          JOIN maintenance.maintenance_updates st
            ON st.maintenance_id = s.maintenance_id AND st.status_change = 'in_progress'
          JOIN maintenance.maintenance_updates en
            ON en.maintenance_id = s.maintenance_id AND en.position > st.position
           AND en.status_change IN ('completed', 'cancelled')
         WHERE s.system_id = ANY ($1::text[])
           AND st.created_at < upper($2::tstzrange) AND en.created_at > lower($2::tstzrange)
       ) AS w ON w.system_id = a.system_id
 GROUP BY a.system_id`;

// The same ranges from maintenance_windows and its index, no function.
const FLOOR_WINDOWS = `
SELECT a.system_id,
       (SELECT coalesce(range_agg(w.during * $2::tstzrange), '{}')
          FROM maintenance.maintenance_windows w
         WHERE maintenance.window_key(w.system_id, w.during) && maintenance.window_key(a.system_id, $2::tstzrange)
           AND w.system_id = a.system_id AND w.during && $2::tstzrange) AS ranges
  FROM unnest($1::text[]) AS a(system_id)`;

const COVERAGE = 'SELECT system_id, ranges FROM maintenance.coverage($1::text[], $2::tstzrange)';

async function main() {
	const c = new Client({ database: DB });
	await c.connect();
	c.on('notice', () => {});
	const n = Number((await c.query('SELECT count(*) FROM maintenance.maintenances')).rows[0].count);

	// bench.js loads with session_replication_role = replica (no triggers):
	// the history has no windows yet.  Move it back, then fill the windows
	// as the upgrade to 0.4.0 does, and time that.
	await c.query('SET session_replication_role = replica');
	const shifted = await c.query(`UPDATE maintenance.maintenance_updates SET created_at = created_at - interval '${SHIFT}'
	                WHERE status_change IS NOT NULL AND created_at < bench.t() - interval '1 day'`);
	await c.query('RESET session_replication_role');
	const t0 = clock();
	await c.query('SELECT maintenance.refresh_windows(ARRAY(SELECT m.id FROM maintenance.maintenances m))');
	const fillMs = clock() - t0;
	await c.query('VACUUM ANALYZE maintenance.maintenance_updates, maintenance.maintenance_windows, maintenance.maintenance_systems');
	const windows = Number((await c.query('SELECT count(*) FROM maintenance.maintenance_windows')).rows[0].count);
	log(`coverage: history moved back ${SHIFT} (${shifted.rowCount} status changes); windows filled in ${(fillMs / 1000).toFixed(1)} s (${windows})`);

	const during = (await c.query(
		`SELECT tstzrange(bench.t() - interval '${SHIFT}' - interval '60 days',
		                  bench.t() - interval '${SHIFT}' - interval '30 days')::text AS r`)).rows[0].r;
	const systems = (await c.query(
		`SELECT array_agg(format('sys-%s', lpad((i * 7)::text, 4, '0'))) AS a
		   FROM generate_series(0, ${SYSTEMS - 1}) AS i`)).rows[0].a;
	const inRange = Number((await c.query(
		`SELECT count(*) FROM maintenance.maintenance_windows w
		  WHERE w.system_id = ANY ($1) AND w.during && $2::tstzrange`, [systems, during])).rows[0].count);

	// Same answers first.
	const canon = (rows) => JSON.stringify(rows.map((r) => [r.system_id, r.ranges]).sort());
	const a = await c.query(COVERAGE, [systems, during]);
	const b = await c.query(FLOOR_TIMELINE, [systems, during]);
	const d = await c.query(FLOOR_WINDOWS, [systems, during]);
	if (canon(a.rows) !== canon(b.rows) || canon(a.rows) !== canon(d.rows))
		throw new Error('coverage() and the floors disagree');

	const times = { coverage: [], timeline: [], windows: [] };
	for (let i = 0; i < REPS; i++) {
		times.coverage.push((await timeQuery(c, COVERAGE, [systems, during])).ms);
		times.timeline.push((await timeQuery(c, FLOOR_TIMELINE, [systems, during])).ms);
		times.windows.push((await timeQuery(c, FLOOR_WINDOWS, [systems, during])).ms);
	}

	// calendar(): one system with CALENDAR_WINDOWS maintenances of its own.
	await c.query(`
		WITH m AS (
		  INSERT INTO maintenance.maintenances (title, description, start_at, end_at, system_ids)
		  SELECT 'Calendar window ' || i, 'Planned work, number ' || i || '; with text to escape',
		         bench.t() + i * interval '1 day', bench.t() + i * interval '1 day' + interval '2 hours',
		         ARRAY['cal-system', 'sys-0001']
		    FROM generate_series(1, ${CALENDAR_WINDOWS}) AS i
		  RETURNING id)
		INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
		SELECT m.id, s FROM m, unnest(ARRAY['cal-system', 'sys-0001']) AS s`);
	await c.query('VACUUM ANALYZE maintenance.maintenances, maintenance.maintenance_systems');
	const cal = [];
	let bytes = 0;
	for (let i = 0; i < REPS; i++) {
		const r = await timeQuery(c, "SELECT maintenance.calendar(ARRAY['cal-system']) AS t");
		cal.push(r.ms);
		bytes = r.rows[0].t.length;
	}
	await c.end();

	const m = { coverage: median(times.coverage), timeline: median(times.timeline), windows: median(times.windows) };
	const out = [];
	out.push('');
	out.push(`### Maintenance time and calendar (${n.toLocaleString('en-US')} maintenances, ${windows.toLocaleString('en-US')} windows)`);
	out.push('');
	out.push(`Coverage of ${SYSTEMS} systems over 30 days (${inRange.toLocaleString('en-US')} windows in the range), median of ${REPS}:`);
	out.push('');
	out.push('| contender | median ms | coverage() / contender |');
	out.push('|---|---:|---:|');
	out.push(`| maintenance.coverage() | ${m.coverage.toFixed(1)} | 1.00 |`);
	out.push(`| floor: plain SQL, range_agg over the timeline | ${m.timeline.toFixed(1)} | ${(m.coverage / m.timeline).toFixed(2)} |`);
	out.push(`| floor: plain SQL over maintenance_windows | ${m.windows.toFixed(1)} | ${(m.coverage / m.windows).toFixed(2)} |`);
	out.push('');
	out.push(`calendar() of one system with ${CALENDAR_WINDOWS} maintenances: median ${median(cal).toFixed(1)} ms ` +
		`(goal < 50 ms), ${bytes.toLocaleString('en-US')} characters.`);
	out.push('');
	out.push(`Filling maintenance_windows from every timeline (refresh_windows() of all ${n.toLocaleString('en-US')}` +
		` maintenances, as the upgrade to 0.4.0 does): ${(fillMs / 1000).toFixed(1)} s.`);
	process.stdout.write(out.join('\n') + '\n');
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
