// bench/pgbench.js: run one pgbench script (-M prepared, 2 clients) and
// read its tps, latency and transaction count.
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const DB = process.env.BENCH_DB || 'bench';

// script: a file name in bench/ or an absolute path; vars: pgbench -D
// variables.
// extra: more pgbench arguments (e.g. ['-R', '400']); db: another database.
function pgbenchArgs(script, seconds, vars, extra, db = DB) {
	const args = ['-n', '-M', 'prepared', '-c', '2', '-j', '2', '-T', String(seconds), ...extra];
	for (const [k, v] of Object.entries(vars)) args.push('-D', `${k}=${v}`);
	args.push('-f', path.isAbsolute(script) ? script : path.join(__dirname, script), db);
	return args;
}

function parse(script, status, stdout, stderr) {
	if (status !== 0) throw new Error(`pgbench ${script} failed: ${stderr}`);
	const m = stdout.match(/tps = ([\d.]+) \(without initial connection time\)/);
	const lat = stdout.match(/latency average = ([\d.]+) ms/);
	const n = stdout.match(/number of transactions actually processed: (\d+)/);
	return { tps: Number(m[1]), latencyMs: Number(lat[1]), transactions: Number(n[1]) };
}

function pgbench(script, seconds, vars = {}, extra = [], db = DB) {
	const r = spawnSync('pgbench', pgbenchArgs(script, seconds, vars, extra, db), { encoding: 'utf8' });
	return parse(script, r.status, r.stdout, r.stderr);
}

// The same without blocking Node's event loop (for clients that must keep
// receiving while pgbench runs).
function pgbenchAsync(script, seconds, vars = {}, extra = []) {
	return new Promise((resolve, reject) => {
		const child = spawn('pgbench', pgbenchArgs(script, seconds, vars, extra));
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => { stdout += d; });
		child.stderr.on('data', (d) => { stderr += d; });
		child.on('close', (status) => {
			try {
				resolve(parse(script, status, stdout, stderr));
			} catch (e) {
				reject(e);
			}
		});
	});
}

module.exports = { pgbench, pgbenchAsync };
