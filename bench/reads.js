// bench/reads.js: the reads of the API against the same query inline
// (issue 13), each pair measured by pgbench side by side in rounds.
//
// Each contender is one pgbench script of one statement.  :s is a random
// system of the pool, :k a random maintenance of bench.targets (the
// far-future ones, which have the timeline entries add_update wrote).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pgbench } = require('./pgbench');

const SYS = "'sys-' || lpad(:s::text, 4, '0')";
const TEN = "ARRAY(SELECT 'sys-' || lpad(((:s + i) % 10000)::text, 4, '0') FROM generate_series(0, 9) AS i)";
const ID = '(SELECT t.id FROM bench.targets t WHERE t.k = :k)';
const ACTIVE = "v.status = ANY (ARRAY['scheduled', 'in_progress']::maintenance.status[])";

// The inline queries are the functions' bodies, parameters substituted.
const INLINE = {
	list: `SELECT v.* FROM maintenance.maintenances_with_systems v
	        WHERE v.id IN (SELECT s.maintenance_id FROM maintenance.maintenance_systems s WHERE s.system_id = ${SYS})
	        ORDER BY v.start_at, v.id`,
	get: `SELECT v.* FROM maintenance.maintenances_with_systems v WHERE v.id = ${ID}`,
	updates: `SELECT u.* FROM maintenance.maintenance_updates u WHERE u.maintenance_id = ${ID} ORDER BY u.position`,
	forSystem: `SELECT v.* FROM maintenance.maintenances_with_systems v
	             WHERE v.system_ids @> ARRAY[${SYS}] AND ${ACTIVE} ORDER BY v.start_at, v.id`,
	bulk: `SELECT asked.system_id,
	              ARRAY(SELECT v FROM maintenance.maintenances_with_systems v
	                     WHERE v.system_ids @> ARRAY[asked.system_id] AND ${ACTIVE} ORDER BY v.start_at, v.id)
	         FROM (SELECT DISTINCT a.system_id FROM unnest(${TEN}) AS a(system_id)
	                WHERE a.system_id IS NOT NULL) AS asked
	        ORDER BY asked.system_id COLLATE "C"`,
	suppressed: `SELECT EXISTS (SELECT 1 FROM maintenance.maintenances m
	               WHERE m.system_ids @> ARRAY[${SYS}] AND m.status = 'in_progress' AND m.suppress_notifications)`,
};

// [name, label, SQL of the contender, inline query it is compared with]
const PAIRS = [
	['list', 'list_maintenances(system_id => s)', `SELECT * FROM maintenance.list_maintenances(system_id => ${SYS})`, 'list'],
	['get', 'get_maintenance(id)', `SELECT * FROM maintenance.get_maintenance(${ID})`, 'get'],
	['updates', 'get_maintenance_updates(id)', `SELECT * FROM maintenance.get_maintenance_updates(${ID})`, 'updates'],
	['forSystem', 'get_maintenances_for_system(s)', `SELECT * FROM maintenance.get_maintenances_for_system(${SYS})`, 'forSystem'],
	['bulk', 'get_bulk_maintenances_for_systems(10 systems)', `SELECT * FROM maintenance.get_bulk_maintenances_for_systems(${TEN})`, 'bulk'],
	['suppressed', 'has_active_maintenance_with_suppression(s)', `SELECT maintenance.has_active_maintenance_with_suppression(${SYS})`, 'suppressed'],
	['rpcGet', "rpc('getMaintenance')", `SELECT maintenance.rpc('getMaintenance', jsonb_build_object('id', ${ID}))`, 'get'],
	['rpcForSystem', "rpc('getMaintenancesForSystem')", `SELECT maintenance.rpc('getMaintenancesForSystem', jsonb_build_object('systemId', ${SYS}))`, 'forSystem'],
	['rpcSuppressed', "rpc('hasActiveMaintenanceWithSuppression')", `SELECT maintenance.rpc('hasActiveMaintenanceWithSuppression', jsonb_build_object('systemId', ${SYS}))`, 'suppressed'],
];

function scriptFile(dir, name, sql) {
	const file = path.join(dir, `${name}.pgbench`);
	fs.writeFileSync(file, `\\set s random(0, 9999)\n\\set k random(1, :targets)\n${sql.replace(/\s*\n\s*/g, ' ')};\n`);
	return file;
}

// Runs every contender of names once per round, in turn; returns each one's tps per round.
function rounds(names, files, rounds_, seconds, targets) {
	const tps = {};
	for (let r = 0; r < rounds_; r++) {
		for (const name of names) {
			const res = pgbench(files[name], seconds, { targets });
			(tps[name] = tps[name] || []).push(res.tps);
		}
	}
	return tps;
}

function scripts(dir, pairs) {
	const files = {};
	for (const [name, , sql, inline] of pairs) {
		files[name] = scriptFile(dir, name, sql);
		files[`inline_${inline}`] = scriptFile(dir, `inline_${inline}`, INLINE[inline]);
	}
	return files;
}

async function targetsCount(c) {
	return Number((await c.query('SELECT count(*) AS n FROM bench.targets')).rows[0].n) || 1;
}

// All the pairs, on the table as it is.
async function reads(c, { rounds: n = 3, seconds = 3, log }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maintenance-reads-'));
	try {
		const files = scripts(dir, PAIRS);
		const targets = await targetsCount(c);
		const res = { pairs: [] };
		for (const [name, label, , inline] of PAIRS) {
			const tps = rounds([name, `inline_${inline}`], files, n, seconds, targets);
			const pair = { name, label, inline, tps: tps[name], inlineTps: tps[`inline_${inline}`] };
			res.pairs.push(pair);
			log(`reads ${label}: ${pair.tps.map(Math.round).join(' / ')} tps, inline ${pair.inlineTps.map(Math.round).join(' / ')}`);
		}
		// what one suppression check reads: it runs no statement inside (a
		// direct scan, src/reads.c), so its buffers and index scans are those
		// of the call
		res.suppressionReads = await callReads(c, "SELECT maintenance.has_active_maintenance_with_suppression('sys-0042')");
		return res;
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

// The suppression check alone (the scaling target), at one size.
// The suppression check at two sizes, side by side: the same data grown to
// N = small in the database small.db and to N = big in big.db, the runs of
// both in turns in every round (measured minutes apart, the load of the
// machine decided the ratio).  Returns { [n]: { tps, inlineTps } }.
function suppressionScaling(small, big, { rounds: n = 3, seconds = 3, log }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maintenance-reads-'));
	try {
		const files = scripts(dir, PAIRS.filter((p) => p[0] === 'suppressed'));
		const res = { [small.n]: { tps: [], inlineTps: [] }, [big.n]: { tps: [], inlineTps: [] } };
		for (let r = 0; r < n; r++) {
			for (const size of [small, big]) {
				res[size.n].tps.push(pgbench(files.suppressed, seconds, { targets: 1 }, [], size.db).tps);
				res[size.n].inlineTps.push(pgbench(files.inline_suppressed, seconds, { targets: 1 }, [], size.db).tps);
			}
		}
		for (const size of [small, big]) {
			log(`suppression check at N=${size.n}: ${res[size.n].tps.map(Math.round).join(' / ')} tps, inline ${res[size.n].inlineTps.map(Math.round).join(' / ')}`);
		}
		return res;
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

// EXPLAIN (ANALYZE, BUFFERS) of the statements a function runs, from auto_explain.
// EXPLAIN (ANALYZE, BUFFERS) of one call, and the index scans it made
// (this transaction's counts of each index of maintenance.maintenances).
async function callReads(c, sql) {
	const scans = `SELECT coalesce(jsonb_object_agg(i.indexrelid::regclass::text, pg_stat_get_xact_numscans(i.indexrelid)), '{}') AS s
	                 FROM pg_index i WHERE i.indrelid = 'maintenance.maintenances'::regclass`;
	await c.query('BEGIN');
	try {
		const before = (await c.query(scans)).rows[0].s;
		const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${sql}`)).rows.map((r) => r['QUERY PLAN']);
		const after = (await c.query(scans)).rows[0].s;
		const used = Object.keys(after).filter((k) => after[k] !== before[k]).map((k) => `${k} ${after[k] - before[k]}`);
		return `${plan.join('\n')}\nindex scans: ${used.join(', ') || 'none'}`;
	} finally {
		await c.query('COMMIT');
	}
}

module.exports = { reads, suppressionScaling };
