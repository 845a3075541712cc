// bench/report_reads.js: the reads and event delivery parts of the report
// (issue 13), appended by bench/report.js.
'use strict';

const fmtN = (n) => Math.round(n).toLocaleString('en-US');
const x = (v) => `${v.toFixed(2)}x`;
const maxOf = (xs) => Math.max(...xs);
const median = (xs) => {
	const a = [...xs].sort((p, q) => p - q);
	return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const perRound = (a, b) => median(a.map((v, i) => v / b[i]));
const ms2 = (v) => (v === null || v === undefined ? '-' : `${v.toFixed(2)} ms`);

module.exports = function reportReads(r, p) {
	const targets = [];
	const target = (t, v, ok) => targets.push(`| ${t} | ${v} | ${ok ? 'met' : '**missed**'} |`);

	if (r.reads) {
		const big = r.config.sizes[r.config.sizes.length - 1];
		p(`### Reads against the same query inline (N = ${fmtN(big)}; pgbench -M prepared, 2 clients, ${r.reads.seconds} s a run, the two interleaved, ${r.reads.rounds} rounds)`);
		p();
		p('| read | through the extension, tps | the query inline, tps | best / best | median of the rounds |');
		p('|---|---:|---:|---:|---:|');
		for (const q of r.reads.pairs) {
			const ratio = maxOf(q.tps) / maxOf(q.inlineTps);
			const med = perRound(q.tps, q.inlineTps);
			p(`| \`${q.label}\` | ${q.tps.map(fmtN).join(' / ')} | ${q.inlineTps.map(fmtN).join(' / ')} (${q.inline}) | ${x(ratio)} | ${x(med)} |`);
			const isRpc = q.name.startsWith('rpc');
			target(`\`${q.label}\` ≥ ${isRpc ? '0.5' : '0.8'}x inline`, `${x(ratio)} (median ${x(med)})`, ratio >= (isRpc ? 0.5 : 0.8));
		}
		p();
		p('What one call of `has_active_maintenance_with_suppression` reads (it runs no statement inside: a direct scan of its index, src/reads.c):');
		p();
		p('```');
		p(r.reads.suppressionReads.trim());
		p('```');
		p();
	}
	if (r.suppression && Object.keys(r.suppression).length === 2) {
		const [a, b] = Object.keys(r.suppression).map(Number).sort((m, n) => m - n);
		const sa = r.suppression[a];
		const sb = r.suppression[b];
		const scale = maxOf(sb.tps) / maxOf(sa.tps);
		const scaleInline = maxOf(sb.inlineTps) / maxOf(sa.inlineTps);
		p(`### Suppression check: N = ${fmtN(b)} against N = ${fmtN(a)}`);
		p();
		p(`The same data in two databases, grown to each size; every round runs both sizes in turn (function, inline, then the other size).`);
		p();
		p(`| N | function, tps | inline, tps |`);
		p('|---:|---:|---:|');
		p(`| ${fmtN(a)} | ${sa.tps.map(fmtN).join(' / ')} | ${sa.inlineTps.map(fmtN).join(' / ')} |`);
		p(`| ${fmtN(b)} | ${sb.tps.map(fmtN).join(' / ')} | ${sb.inlineTps.map(fmtN).join(' / ')} |`);
		p(`| ratio of the best | ${x(scale)} | ${x(scaleInline)} |`);
		p();
		target(`suppression check at N = ${fmtN(b)} ≥ 0.9x N = ${fmtN(a)}`, `${x(scale)} (inline ${x(scaleInline)})`, scale >= 0.9);
	}
	if (r.bulk) {
		const ratio = r.bulk.bulkRpcMs / r.bulk.bulkTypedMs;
		if (!r.parts.includes('sweep')) {
			// report.js prints the bulk table with the sweep part
			p(`### getBulkMaintenancesForSystems: ${fmtN(r.bulk.systems)} systems, one call`);
			p();
			p(`typed SQL (\`get_bulk_maintenances_for_systems\`) ${r.bulk.bulkTypedMs.toFixed(1)} ms, JSON (\`rpc('getBulkMaintenancesForSystems')\`) ${r.bulk.bulkRpcMs.toFixed(1)} ms, each until its text is in the client (neither parsed there).`);
			p();
		}
		target(`bulk through rpc within 2x of the SQL function (${fmtN(r.bulk.systems)} systems)`,
			`${x(ratio)}: ${r.bulk.bulkRpcMs.toFixed(1)} ms against ${r.bulk.bulkTypedMs.toFixed(1)} ms`, ratio <= 2);
	}
	if (r.delivery) {
		p('### Event delivery: `maintenance-listen` against a bare LISTEN client (Node.js `pg`), same stream');
		p();
		p('Writers: `bench/add_update.pgbench` (2 clients; 2 events a transaction). Latency from the writing transaction\'s commit (`pg_xact_commit_timestamp`) to the line on `maintenance-listen`\'s stdout / the notification in the bare client.');
		p();
		p('| phase | events written | written / s | client | received | received / s | p50 | p99 | max |');
		p('|---|---:|---:|---|---:|---:|---:|---:|---:|');
		for (const [name, d] of Object.entries(r.delivery)) {
			const label = d.rate ? `steady, ${d.rate} add_update/s` : 'as fast as the writers go';
			for (const [who, c] of [['bare LISTEN', d.bare], ['maintenance-listen', d.listener]]) {
				p(`| ${label} | ${fmtN(d.written)} | ${fmtN(d.writtenPerSecond)} | ${who} | ${fmtN(c.events)} | ${fmtN(c.perSecond)} | ${ms2(c.p50Ms)} | ${ms2(c.p99Ms)} | ${ms2(c.maxMs)} |`);
			}
			void name;
		}
		p();
		const st = r.delivery.steady;
		const full = r.delivery.full;
		const p99 = st.listener.p99Ms / st.bare.p99Ms;
		target('maintenance-listen p99 within 2x of the bare client\'s (steady stream)', `${x(p99)}: ${ms2(st.listener.p99Ms)} against ${ms2(st.bare.p99Ms)}`, p99 <= 2);
		// keeping up: everything delivered, at (within 5 %) the rate it was written
		const kept = full.listener.events === full.written && full.listener.perSecond >= 0.95 * full.writtenPerSecond;
		target('maintenance-listen keeps up with add_update at full speed',
			`${fmtN(full.listener.events)} of ${fmtN(full.written)} events, ${fmtN(full.listener.perSecond)}/s received, ${fmtN(full.writtenPerSecond)}/s written`, kept);
	}
	if (r.listeners) {
		const base = maxOf(r.listeners[0].map((w) => w.tps));
		p('### add_update throughput with idle LISTEN sessions (pgbench, 2 clients)');
		p();
		p('| idle sessions LISTENing on the 3 channels | tps (each run) | best | vs none |');
		p('|---:|---:|---:|---:|');
		for (const [k, runs] of Object.entries(r.listeners)) {
			const bestK = maxOf(runs.map((w) => w.tps));
			p(`| ${k} | ${runs.map((w) => fmtN(w.tps)).join(' / ')} | ${fmtN(bestK)} | ${x(bestK / base)} |`);
		}
		p();
	}
	if (targets.length) {
		p('### Targets of issue 13');
		p();
		p('| target | result | |');
		p('|---|---|---|');
		targets.forEach((t) => p(t));
	}
};
