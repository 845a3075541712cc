#!/usr/bin/env node
// bench/report.js RESULTS.json: the table of `make bench` (Markdown).
'use strict';

const fs = require('fs');
const os = require('os');

const r = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const env = {
	loadBefore: process.env.BENCH_LOAD_BEFORE || '?',
	loadAfter: process.env.BENCH_LOAD_AFTER || os.loadavg().map((x) => x.toFixed(2)).join(', '),
	seconds: process.env.BENCH_SECONDS || '?',
};

const fmtN = (n) => n.toLocaleString('en-US');
const best = (xs) => Math.min(...xs);
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const ms = (x) => `${x.toFixed(x < 10 ? 3 : 1)} ms`;
const x = (v) => `${v.toFixed(2)}x`;
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const kib2mib = (kb) => `${(kb / 1024).toFixed(1)} MiB`;

const cpu = (() => {
	try {
		const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
		return m ? m[1] : os.cpus()[0].model;
	} catch (e) {
		return os.cpus()[0].model;
	}
})();

// Plans print the array of 1,000 system ids in full: elide it.
const elide = (plan) => (plan || '').replace(/'\{[^}']{120,}\}'/g, "'{...}'");

const out = [];
const p = (line = '') => out.push(line);

const sizes = r.config.sizes;
const [small, big] = sizes;
const D = r.config.d;
const transitions = 2 * D;

p(`Machine: ${os.cpus().length} CPUs (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; ${r.server.split(',')[0]}.`);
p(`Load average (1, 5, 15 min) before: ${env.loadBefore}; after: ${env.loadAfter}. Whole run: ${env.seconds} s.`);
p(`Server settings: ${r.settings.map((s) => `${s.name}=${s.setting}${s.unit && s.unit !== 'ms' && s.unit !== 's' ? ` (${s.unit})` : ''}`).join(', ')}.`);
p();

// The sweep part (sweeps, memory, bulk, add_update), when it ran.
function sweepReport() {
	p(`### Transition sweep: D = ${fmtN(D)} due to start + ${fmtN(D)} due to complete (${fmtN(transitions)} transitions)`);
	p();
	p(`Best of ${r.config.reps} rounds (a round runs extension, floor, PL/pgSQL in turn; the upstream pattern runs once); each run from the same starting state, time including COMMIT.`);
	p();
	p(`| contender | N = ${fmtN(small)} | per transition | N = ${fmtN(big)} | per transition |`);
	p('|---|---:|---:|---:|---:|');
	const names = {
		extension: 'extension: `maintenance.run_transitions()`',
		floor: '(a) write floor: set-based SQL',
		plpgsql: '(b) PL/pgSQL, row by row',
		upstream: '(c) upstream pattern, client over the socket',
	};
	for (const k of Object.keys(names)) {
		const a = best(r.sweep[small][k]);
		const b = best(r.sweep[big][k]);
		p(`| ${names[k]} | ${s(a)} | ${(a * 1000 / transitions).toFixed(0)} µs | ${s(b)} | ${(b * 1000 / transitions).toFixed(0)} µs |`);
	}
	const ratio = (n, a, b) => best(r.sweep[n][a]) / best(r.sweep[n][b]);
	p(`| extension / write floor | ${x(ratio(small, 'extension', 'floor'))} | | ${x(ratio(big, 'extension', 'floor'))} | |`);
	p(`| PL/pgSQL / extension | ${x(ratio(small, 'plpgsql', 'extension'))} | | ${x(ratio(big, 'plpgsql', 'extension'))} | |`);
	p(`| upstream pattern / extension | ${x(ratio(small, 'upstream', 'extension'))} | | ${x(ratio(big, 'upstream', 'extension'))} | |`);
	// The runs of one round follow each other, so they share the machine's load:
	// the median of the per-round ratios is the other robust view of a noisy run.
	const paired = (n, a, b) => {
		const rs = r.sweep[n][a].map((v, i) => v / r.sweep[n][b][i]).sort((u, w) => u - w);
		return rs[Math.floor(rs.length / 2)];
	};
	if (r.config.reps > 1) {
		p(`| extension / write floor, median of the ${r.config.reps} rounds | ${x(paired(small, 'extension', 'floor'))} | | ${x(paired(big, 'extension', 'floor'))} | |`);
		p(`| PL/pgSQL / extension, median of the ${r.config.reps} rounds | ${x(paired(small, 'plpgsql', 'extension'))} | | ${x(paired(big, 'plpgsql', 'extension'))} | |`);
	}
	p();
	p('Every run, seconds: ' + sizes.map((n) => `N = ${fmtN(n)}: ` + Object.keys(names).map((k) => `${k} ${r.sweep[n][k].map((v) => (v / 1000).toFixed(2)).join(' / ')}`).join(', ')).join('; ') + '.');
	p();

	const scaling = best(r.sweep[big].extension) / best(r.sweep[small].extension);
	const scalingFloor = best(r.sweep[big].floor) / best(r.sweep[small].floor);
	p(`### Scaling: N = ${fmtN(big)} vs N = ${fmtN(small)}, same D`);
	p();
	p(`Sweep, best runs: extension ${x(scaling)}, write floor ${x(scalingFloor)}, PL/pgSQL ${x(best(r.sweep[big].plpgsql) / best(r.sweep[small].plpgsql))}.`);
	if (r.config.reps > 1) {
		const med = (xs) => [...xs].sort((u, w) => u - w)[Math.floor(xs.length / 2)];
		const ms2 = (k) => x(med(r.sweep[big][k]) / med(r.sweep[small][k]));
		p(`Median runs: extension ${ms2('extension')}, write floor ${ms2('floor')}, PL/pgSQL ${ms2('plpgsql')}.`);
	}
	if (r.emptyAt) {
		p(`Empty sweep (median inside the server): ${sizes.map((n) => `N = ${fmtN(n)}: ${ms(r.emptyAt[n].serverMedianMs)}`).join(', ')}.`);
	}
	p();

	const e = r.empty;
	p(`### Empty sweep on ${fmtN(big)} rows (nothing due)`);
	p();
	p(`Median of 25: ${ms(e.clientMedianMs)} from the client (round trip included), ${ms(e.serverMedianMs)} inside the server (EXPLAIN ANALYZE execution time); fastest ${ms(e.clientMinMs)} / ${ms(e.serverMinMs)}.`);
	p();
	p('```');
	p(e.explain);
	p('```');
	p();
	p('The two claim queries inside it (auto_explain, log_nested_statements):');
	p();
	p('```');
	for (const n of e.nested) p(n);
	p('```');
	p();

	const m = r.memory;
	p('### Memory of the sweep (one backend, sampled every ~20 ms from a second session)');
	p();
	p('| run | transitions | time | peak, all memory contexts | peak, TopTransactionContext (pending NOTIFYs) | peak, sweep batch + row contexts | RssAnon before → peak → after |');
	p('|---|---:|---:|---:|---:|---:|---:|');
	for (const [k, v] of Object.entries(m)) {
		const [name, size] = k.split('_');
		p(`| ${name === 'extension' ? 'extension' : 'write floor'}, D = ${fmtN(size === 'big' ? D : r.config.dSmall)} | ${fmtN(v.movedStarted + v.movedCompleted)} | ${s(v.ms)} | ${mib(v.peakContextsBytes)} (${v.dumps} dumps) | ${mib(v.peakTopTransactionBytes)} | ${name === 'extension' ? `${(v.peakSweepContextsBytes / 1024).toFixed(0)} KiB` : '-'} | ${kib2mib(v.rssAnonBeforeKb)} → ${kib2mib(v.peakRssAnonKb)} → ${kib2mib(v.rssAnonAfterKb)} |`);
	}
	const perTransition = (a, bb) => (m[bb].peakContextsBytes - m[a].peakContextsBytes) / ((m[bb].movedStarted + m[bb].movedCompleted) - (m[a].movedStarted + m[a].movedCompleted));
	p();
	p(`Growth between the two sizes, per transition: extension ${(perTransition('extension_small', 'extension_big') / 1024).toFixed(1)} KiB, write floor ${(perTransition('floor_small', 'floor_big') / 1024).toFixed(1)} KiB.`);
	p();

	const b = r.bulk;
	p(`### getBulkMaintenancesForSystems: ${fmtN(b.systems)} systems on the ${fmtN(big)} table (${fmtN(b.maintenances)} maintenances returned)`);
	p();
	p('| API | one bulk call | one call per system | ratio |');
	p('|---|---:|---:|---:|');
	p(`| typed SQL (\`get_bulk_maintenances_for_systems\` / \`get_maintenances_for_system\`) | ${ms(b.bulkTypedMs)} | ${ms(b.eachTypedMs)} | ${x(b.eachTypedMs / b.bulkTypedMs)} |`);
	p(`| JSON (\`rpc('getBulkMaintenancesForSystems')\` / \`rpc('getMaintenancesForSystem')\`) | ${ms(b.bulkRpcMs)} | ${ms(b.eachRpcMs)} | ${x(b.eachRpcMs / b.bulkRpcMs)} |`);
	p();
	p('The bulk query inside the function (auto_explain; no per-node timing):');
	p();
	p('```');
	p(elide(b.explain));
	p('```');
	p();
	p('One call per system, for the first system (auto_explain):');
	p();
	p('```');
	p(elide(b.explainEach));
	p('```');
	p();

	const a = r.addUpdate;
	const bestTps = (runs) => Math.max(...runs.map((t) => t.tps));
	const auRatio = bestTps(a.extension) / bestTps(a.floor);
	p(`### add_update throughput (pgbench, 2 clients, message-only updates of ${fmtN(a.targets)} active maintenances)`);
	p();
	p('| script | tps (each run) | best | latency |');
	p('|---|---:|---:|---:|');
	p(`| \`SELECT maintenance.add_update(...)\` | ${a.extension.map((t) => t.tps.toFixed(0)).join(' / ')} | ${bestTps(a.extension).toFixed(0)} | ${a.extension.map((t) => t.latencyMs.toFixed(3)).join(' / ')} ms |`);
	p(`| plain-SQL floor (one statement) | ${a.floor.map((t) => t.tps.toFixed(0)).join(' / ')} | ${bestTps(a.floor).toFixed(0)} | ${a.floor.map((t) => t.latencyMs.toFixed(3)).join(' / ')} ms |`);
	p(`| extension / floor | | ${x(auRatio)} | |`);
	p();

	const bulkRatio = b.eachTypedMs / b.bulkTypedMs;
	const memGrowth = m.extension_big.peakContextsBytes / Math.max(1, m.extension_small.peakContextsBytes);
	p('### Targets');
	p();
	p('| target | result | |');
	p('|---|---|---|');
	const row = (t, v, ok) => p(`| ${t} | ${v} | ${ok ? 'met' : '**missed**'} |`);
	row(`sweep per transition ≤ 1.5x the write floor (N = ${fmtN(big)})`, x(ratio(big, 'extension', 'floor')), ratio(big, 'extension', 'floor') <= 1.5);
	row(`sweep per transition ≤ 1.5x the write floor (N = ${fmtN(small)})`, x(ratio(small, 'extension', 'floor')), ratio(small, 'extension', 'floor') <= 1.5);
	row(`sweep ≥ 2x faster than PL/pgSQL (N = ${fmtN(big)})`, x(ratio(big, 'plpgsql', 'extension')), ratio(big, 'plpgsql', 'extension') >= 2);
	row(`sweep ≥ 2x faster than PL/pgSQL (N = ${fmtN(small)})`, x(ratio(small, 'plpgsql', 'extension')), ratio(small, 'plpgsql', 'extension') >= 2);
	row(`empty sweep on ${fmtN(big)} rows < 1 ms`, `${ms(e.serverMedianMs)} server, ${ms(e.clientMedianMs)} client`, e.serverMedianMs < 1);
	row(`N = ${fmtN(big)} ≤ 1.2x N = ${fmtN(small)}`, x(scaling), scaling <= 1.2);
	row('add_update throughput ≥ 0.8x the plain-SQL floor', x(auRatio), auRatio >= 0.8);
	row(`bulk ≥ 10x one query per system (${fmtN(b.systems)} systems)`, x(bulkRatio), bulkRatio >= 10);
	p(`| memory: peak of the sweep at D = ${fmtN(D)} vs D = ${fmtN(r.config.dSmall)} | ${x(memGrowth)} (write floor ${x(m.floor_big.peakContextsBytes / Math.max(1, m.floor_small.peakContextsBytes))}) | see above |`);
}
if (r.parts.includes('sweep')) sweepReport();
require('./report_reads')(r, p);

console.log(out.join('\n'));
