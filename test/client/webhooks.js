#!/usr/bin/env node
'use strict';
/*
 * webhooks.js — maintenance-listen --webhook against a real Node.js `http`
 * receiver that verifies every request with the npm package
 * `standardwebhooks` (the Standard Webhooks reference library).
 *
 * It starts a PostgreSQL cluster of its own (scripts/cluster.sh, so that it
 * may restart it), creates the extension, and checks, while writers commit
 * events:
 * - every event arrives, in id order, its body exactly event_envelope(), its
 *   signature verified, webhook-id the same across the retries of an event
 *   and different between events;
 * - 500, 500, 200: three arrivals, the cursor moves once; 429 and 503 with
 *   Retry-After are waited for (the gap is measured); a timeout, a reset
 *   connection and a refused connection are retried; 410 stops with exit
 *   status 3 and the cursor stays before that event;
 * - after the last attempt the event is in maintenance.webhook_failures (its
 *   URL without credentials) and the next one is delivered; --retry-failed
 *   delivers it and removes the record;
 * - two secrets give two signatures that each verify; a receiver with a
 *   wrong secret rejects;
 * - kill -9 of the listener and a restart of PostgreSQL lose no event (the
 *   one in flight may arrive twice, with the same webhook-id);
 * - SIGTERM during an attempt and during a backoff wait exits 0 promptly.
 *
 * Retry delays are options of the listener (tiny here); every wait resolves
 * on arrival, with a deadline; nothing sleeps to let time pass.
 *
 * Usage: node test/client/webhooks.js   (needs pg_config on PATH, or
 * LISTEN_BIN and PGBIN).  Prints TAP-like "ok N - ..." lines; exit 1 on failure.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');

let Client, Webhook;
try {
	({ Client } = require('pg'));
	({ Webhook } = require('standardwebhooks'));
} catch (err) {
	console.log('not ok - node modules missing (pg, standardwebhooks): run "npm ci" in test/client');
	console.log('# 0 passed, 1 failed');
	process.exit(1);
}

const REPO = path.resolve(__dirname, '../..');
const PGBIN = process.env.PGBIN || execFileSync('pg_config', ['--bindir']).toString().trim();
const LISTEN_BIN = process.env.LISTEN_BIN || path.join(PGBIN, 'maintenance-listen');
const DB = 'webhooks_test';
const DEADLINE_MS = 20000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'maintenance-webhooks.'));
const clusterDir = path.join(tmp, 'pg');
fs.chmodSync(tmp, 0o755);	/* the server runs as postgres */

const SECRET_A = 'whsec_' + Buffer.from('a'.repeat(32)).toString('base64');
const SECRET_B = 'whsec_' + Buffer.from('the second key, rotated in.').toString('base64');
const SECRET_WRONG = 'whsec_' + Buffer.from('not the key of the listener!!').toString('base64');

/* ---------------------------------------------------------------- output */

const { check, bail, summary } = require('./tap');

/* Resolve when cond() is true (checked on every arrival and every 20 ms). */
async function until(what, cond, ms = DEADLINE_MS) {
	const end = Date.now() + ms;
	while (!(await cond())) {
		if (Date.now() > end)
			throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/* ------------------------------------------------------------- receiver */

/*
 * A Standard Webhooks receiver.  Every request is verified with each of
 * `secrets` and recorded; plan(req) decides the answer: a status, or
 * 'hang' (never answer), 'reset' (destroy the connection).  Without a plan,
 * a verified request gets 204 and an unverified one 401.
 */
class Receiver {
	constructor(secrets = [SECRET_A]) {
		this.hooks = secrets.map((s) => new Webhook(s));
		this.requests = [];
		this.plan = null;
		this.server = http.createServer((req, res) => this.handle(req, res));
		this.server.keepAliveTimeout = 60000;
	}

	listen(port = 0) {
		return new Promise((resolve) => this.server.listen(port, '127.0.0.1', () => {
			this.port = this.server.address().port;
			this.url = `http://127.0.0.1:${this.port}/hook`;
			resolve(this);
		}));
	}

	close() {
		this.server.closeAllConnections();
		return new Promise((r) => this.server.close(r));
	}

	handle(req, res) {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			const headers = {
				'webhook-id': req.headers['webhook-id'],
				'webhook-timestamp': req.headers['webhook-timestamp'],
				'webhook-signature': req.headers['webhook-signature'],
			};
			const verified = this.hooks.map((h) => {
				try {
					h.verify(body, headers);
					return true;
				} catch (err) {
					return false;
				}
			});
			const r = {
				at: Date.now(), body, headers, verified, socket: req.socket,
				contentType: req.headers['content-type'], method: req.method, path: req.url,
				id: JSON.parse(body).id, ok: verified.every((v) => v),
			};
			this.requests.push(r);
			const action = this.plan ? this.plan(r, this.requests) : null;
			r.action = action == null ? (r.ok ? 204 : 401) : action;
			if (r.action === 'hang')
				return;
			if (r.action === 'reset')
				return req.socket.destroy();
			if (typeof r.action === 'object') {
				res.writeHead(r.action.status, r.action.headers || {});
				r.action = r.action.status;
			} else
				res.writeHead(r.action);
			res.end();
		});
	}

	/* the requests answered 2xx */
	delivered() {
		return this.requests.filter((r) => typeof r.action === 'number' && r.action < 300);
	}
}

/* ------------------------------------------------------------- listener */

let secretFile;

class Listener {
	constructor(url, extra = [], { cursor = null, secrets = secretFile } = {}) {
		this.cursorFile = cursor || path.join(tmp, `cursor-${Math.random().toString(36).slice(2)}`);
		this.stderr = '';
		this.exited = new Promise((resolve) => {
			this.proc = spawn(LISTEN_BIN, [
				'-d', DB, '-f', this.cursorFile, '--webhook', url,
				'--webhook-secret-file', secrets, '--poll-interval', '1',
				'--webhook-backoff', '0.05', '--webhook-backoff-max', '0.2', ...extra,
			], { stdio: ['ignore', 'pipe', 'pipe'], env: pgEnv() });
			this.proc.stderr.on('data', (d) => { this.stderr += d; });
			this.proc.stdout.on('data', (d) => { this.stdout = (this.stdout || '') + d; });
			this.proc.on('exit', (code, signal) => resolve({ code, signal }));
		});
	}

	cursor() {
		try {
			return Number(fs.readFileSync(this.cursorFile, 'utf8'));
		} catch (err) {
			return null;
		}
	}

	async stop() {
		this.proc.kill('SIGTERM');
		return this.exited;
	}
}

function pgEnv() {
	return { ...process.env, PGHOST: clusterDir, PGPORT: '5432', PGUSER: 'postgres' };
}

/* ------------------------------------------------------------- database */

function cluster(...args) {
	execFileSync(path.join(REPO, 'scripts/cluster.sh'), args,
		{ env: { ...process.env, PGBIN }, stdio: ['ignore', 'ignore', 'pipe'] });
}

function pgCtl(...args) {
	const cmd = [path.join(PGBIN, 'pg_ctl'), '-D', path.join(clusterDir, 'data'), '-w', ...args];
	if (process.getuid() === 0)
		execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd.map((a) => `'${a}'`).join(' ')], { stdio: 'ignore' });
	else
		execFileSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });
}

async function connect(database = DB) {
	const c = new Client({ host: clusterDir, port: 5432, user: 'postgres', database });
	c.on('error', () => {});
	await c.connect();
	return c;
}

let db;
let nCreated = 0;

/* One maintenance: 1 signal + 1 hook + 1 notification event (one system). */
async function createOne(client = db) {
	nCreated++;
	const r = await client.query(
		`SELECT id FROM maintenance.create_maintenance($1, '2030-01-01T10:00:00Z',
		   '2030-01-01T12:00:00Z', ARRAY['sys'])`, [`window ${nCreated} "é" \\ <b>`]);
	return r.rows[0].id;
}

async function lastEventId() {
	const r = await db.query('SELECT coalesce(max(id), 0)::int AS id FROM maintenance.events');
	return r.rows[0].id;
}

async function envelopes(after, upTo) {
	const r = await db.query(
		`SELECT e.id::int, maintenance.event_envelope(e)::text AS json FROM maintenance.events e
		  WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id`, [after, upTo]);
	return r.rows;
}

/* A cursor file that starts after every event written so far. */
async function freshCursor() {
	const file = path.join(tmp, `cursor-${Math.random().toString(36).slice(2)}`);
	fs.writeFileSync(file, `${await lastEventId()}\n`);
	return file;
}

function freePort() {
	return new Promise((resolve) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/* ------------------------------------------------------------------ main */

async function main() {
	cluster('start', clusterDir);
	const admin = await connect('postgres');
	await admin.query(`CREATE DATABASE ${DB} TEMPLATE template0 ENCODING 'UTF8'`);
	await admin.end();
	db = await connect();
	await db.query('CREATE EXTENSION maintenance');
	const ident = (await db.query(
		`SELECT s.system_identifier::text || '_' || d.oid::text AS src FROM pg_control_system() s,
		        pg_database d WHERE d.datname = current_database()`)).rows[0].src;
	secretFile = path.join(tmp, 'secrets');
	fs.writeFileSync(secretFile, `${SECRET_A}\n`, { mode: 0o600 });

	await orderAndSignatures(ident);
	await retries();
	await gone();
	await lastAttempt();
	await secrets();
	await disconnectDuringBackoff();
	await crashes();
	await stops();
	await badArguments();
}

/* Every event, in id order, verified, as event_envelope(), while writers commit. */
async function orderAndSignatures(ident) {
	const rec = await new Receiver().listen();
	const start = await lastEventId();
	const l = new Listener(rec.url, [], { cursor: await freshCursor() });
	const writers = await Promise.all([connect(), connect(), connect()]);
	await Promise.all(writers.map(async (w) => {
		for (let i = 0; i < 10; i++)
			await createOne(w);
	}));
	await Promise.all(writers.map((w) => w.end()));
	const end = await lastEventId();
	const expected = await envelopes(start, end);
	await check(`every one of the ${expected.length} events arrives (3 writers)`, async () => {
		await until('every event', () => rec.delivered().length >= expected.length);
		assert.equal(rec.requests.length, expected.length);
	});
	await check('in id order, each body exactly event_envelope(), POST application/json', () => {
		assert.deepEqual(rec.requests.map((r) => r.id), expected.map((e) => e.id));
		assert.deepEqual(rec.requests.map((r) => r.body), expected.map((e) => e.json));
		for (const r of rec.requests) {
			assert.equal(r.method, 'POST');
			assert.equal(r.contentType, 'application/json');
			assert.equal(r.path, '/hook');
		}
	});
	await check('every signature verifies (standardwebhooks)', () => {
		assert.ok(rec.requests.every((r) => r.ok));
	});
	await check('webhook-id: evt_<system identifier>_<database oid>_<event id>, different per event', () => {
		for (const r of rec.requests)
			assert.equal(r.headers['webhook-id'], `evt_${ident}_${r.id}`);
		assert.equal(new Set(rec.requests.map((r) => r.headers['webhook-id'])).size, rec.requests.length);
	});
	await check('webhook-timestamp: Unix seconds of the attempt', () => {
		for (const r of rec.requests)
			assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - r.at / 1000) < 5);
	});
	await check('one connection for all of them (keep-alive)', () => {
		assert.equal(new Set(rec.requests.map((r) => r.socket)).size, 1);
	});
	await check('the cursor file holds the last event id', () => until('cursor', () => l.cursor() === end));
	await check('SIGTERM: exit 0', async () => assert.deepEqual(await l.stop(), { code: 0, signal: null }));
	await rec.close();
}

/* The attempts at the one event of a write on the signal channel. */
async function oneEvent(rec, plan, extra = []) {
	const l = new Listener(rec.url, ['--channel', 'maintenance_signal', ...extra],
		{ cursor: await freshCursor() });
	const before = l.cursor();
	rec.requests = [];
	rec.plan = plan;
	await createOne();
	const id = (await db.query(
		"SELECT max(id)::int AS id FROM maintenance.events WHERE channel = 'maintenance_signal'")).rows[0].id;
	await until('the event delivered', () => rec.delivered().length === 1 && l.cursor() >= id);
	await l.stop();
	return { l, before, id, attempts: rec.requests };
}

async function retries() {
	const rec = await new Receiver().listen();
	let l, r;

	r = await oneEvent(rec, (req, all) => (all.length <= 2 ? 500 : null));
	await check('500, 500, then 200: the event arrives three times', () => {
		assert.deepEqual(r.attempts.map((a) => a.action), [500, 500, 204]);
		assert.ok(r.attempts.every((a) => a.id === r.id && a.ok));
	});
	await check('webhook-id is the same for the three attempts', () => {
		assert.equal(new Set(r.attempts.map((a) => a.headers['webhook-id'])).size, 1);
	});
	await check('the listener logs each failed attempt and its retry', () => {
		assert.match(r.l.stderr, /webhook attempt 1 for event \d+ failed \(HTTP status 500\); retrying/);
		assert.match(r.l.stderr, /webhook attempt 2 for event \d+ failed/);
	});

	/* The cursor, read by the receiver while each attempt is in progress. */
	const cursors = [];
	const cursorFile = await freshCursor();
	const start = Number(fs.readFileSync(cursorFile, 'utf8'));
	rec.requests = [];
	rec.plan = (req, all) => {
		cursors.push(Number(fs.readFileSync(cursorFile, 'utf8')));
		return all.length <= 2 ? 500 : null;
	};
	l = new Listener(rec.url, ['--channel', 'maintenance_signal'], { cursor: cursorFile });
	await createOne();
	await until('delivered', () => rec.delivered().length === 1 && l.cursor() > start);
	await check('the cursor stays before the event during its attempts, then moves once', () => {
		assert.deepEqual(cursors, [start, start, start]);
		assert.ok(l.cursor() >= rec.requests[2].id);
	});
	await l.stop();

	r = await oneEvent(rec, (req, all) => (all.length === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : null));
	await check('429 with Retry-After: 2 is waited for (>= 2 s between the attempts, backoff 0.05 s)', () => {
		assert.deepEqual(r.attempts.map((a) => a.action), [429, 204]);
		assert.ok(r.attempts[1].at - r.attempts[0].at >= 2000, `gap ${r.attempts[1].at - r.attempts[0].at} ms`);
	});
	r = await oneEvent(rec, (req, all) => (all.length === 1 ? { status: 503, headers: { 'Retry-After': '1' } } : null));
	await check('503 with Retry-After: 1 is waited for too (>= 1 s)', () => {
		assert.deepEqual(r.attempts.map((a) => a.action), [503, 204]);
		assert.ok(r.attempts[1].at - r.attempts[0].at >= 1000, `gap ${r.attempts[1].at - r.attempts[0].at} ms`);
	});
	r = await oneEvent(rec, (req, all) => (all.length === 1 ? 'hang' : null), ['--webhook-timeout', '0.5']);
	await check('an answer later than --webhook-timeout is retried', () => {
		assert.deepEqual(r.attempts.map((a) => a.action), ['hang', 204]);
		assert.ok(r.attempts[1].at - r.attempts[0].at >= 500);
		assert.match(r.l.stderr, /attempt 1 for event \d+ failed \(.*timed out.*\); retrying/);
	});
	r = await oneEvent(rec, (req, all) => (all.length === 1 ? 'reset' : null));
	await check('a reset connection is retried', () => {
		assert.deepEqual(r.attempts.map((a) => a.action), ['reset', 204]);
		assert.equal(r.attempts[0].headers['webhook-id'], r.attempts[1].headers['webhook-id']);
	});
	r = await oneEvent(rec, (req, all) => (all.length === 1 ? 400 : null));
	await check('another 4xx (400) is retried', () => {
		assert.deepEqual(r.attempts.map((a) => a.action), [400, 204]);
	});
	await rec.close();

	/* Refused: nothing listens on the port until the first attempt failed. */
	const port = await freePort();
	l = new Listener(`http://127.0.0.1:${port}/hook`, ['--channel', 'maintenance_signal'],
		{ cursor: await freshCursor() });
	await createOne();
	await check('a refused connection is retried (the receiver starts after the first attempt)', async () => {
		await until('a refused attempt', () => /attempt \d+ for event \d+ failed \(.*(refused|connect).*\)/i.test(l.stderr));
		const late = await new Receiver().listen(port);
		await until('the delivery', () => late.delivered().length === 1);
		await late.close();
	});
	await l.stop();
}

async function gone() {
	const rec = await new Receiver().listen();
	const cursor = await freshCursor();
	const start = Number(fs.readFileSync(cursor, 'utf8'));
	rec.plan = () => 410;
	const l = new Listener(rec.url, ['--channel', 'maintenance_signal'], { cursor });
	await createOne();
	await check('410 Gone: the listener exits with status 3 after one attempt', async () => {
		assert.deepEqual(await l.exited, { code: 3, signal: null });
		assert.equal(rec.requests.length, 1);
		assert.match(l.stderr, /410 Gone/);
	});
	await check('410: the cursor stays before that event', () => assert.equal(l.cursor(), start));
	rec.plan = null;
	const again = new Listener(rec.url, ['--channel', 'maintenance_signal'], { cursor });
	await check('restarted, the listener delivers that event (same webhook-id)', async () => {
		await until('delivery', () => rec.delivered().length === 1);
		assert.equal(rec.requests[1].headers['webhook-id'], rec.requests[0].headers['webhook-id']);
	});
	await again.stop();
	await rec.close();
}

async function lastAttempt() {
	const rec = await new Receiver().listen();
	const url = `http://user:pa55word@127.0.0.1:${rec.port}/hook?token=s3cret#frag`;
	const recorded = `http://127.0.0.1:${rec.port}/hook`;
	let failedId = null;
	rec.plan = (req) => {
		if (failedId === null)
			failedId = req.id;
		return req.id === failedId ? 500 : null;
	};
	const l = new Listener(url, ['--channel', 'maintenance_signal', '--webhook-attempts', '3'],
		{ cursor: await freshCursor() });
	await createOne();
	await createOne();
	await until('the next event', () => rec.delivered().length === 1);
	await check('after the last of 3 attempts the next event is delivered', () => {
		assert.deepEqual(rec.requests.map((r) => r.action), [500, 500, 500, 204]);
		assert.ok(rec.requests[3].id > failedId);
	});
	const rows = (await db.query('SELECT event_id::int, url, attempts, last_status, last_error FROM maintenance.webhook_failures')).rows;
	await check('the failed event is in maintenance.webhook_failures, its URL without credentials', () => {
		assert.deepEqual(rows, [{ event_id: failedId, url: recorded, attempts: 3, last_status: 500, last_error: 'HTTP status 500' }]);
	});
	await check('no secret and no credential in the listener\'s messages', () => {
		for (const s of ['pa55word', 's3cret', SECRET_A, SECRET_A.slice(6)])
			assert.ok(!l.stderr.includes(s), s);
	});
	await l.stop();

	rec.requests = [];
	rec.plan = null;
	const retry = spawn(LISTEN_BIN, ['-d', DB, '--webhook', url, '--webhook-secret-file', secretFile,
		'--retry-failed'], { env: pgEnv(), stdio: 'ignore' });
	const code = await new Promise((r) => retry.on('exit', r));
	await check('--retry-failed delivers it (same webhook-id), removes the record, exits 0', async () => {
		assert.equal(code, 0);
		assert.deepEqual(rec.requests.map((r) => [r.id, r.action]), [[failedId, 204]]);
		assert.match(rec.requests[0].headers['webhook-id'], new RegExp(`_${failedId}$`));
		assert.equal((await db.query('SELECT count(*)::int AS n FROM maintenance.webhook_failures')).rows[0].n, 0);
	});
	await check('record_webhook_failure refuses a URL with credentials (22023)', async () => {
		await assert.rejects(db.query(
			"SELECT maintenance.record_webhook_failure(1, 'http://u:p@h/x', 1, 500, 'x')"),
			(err) => err.code === '22023');
	});
	await rec.close();
}

async function secrets() {
	const two = path.join(tmp, 'two-secrets');
	fs.writeFileSync(two, `${SECRET_A}\n\n  ${SECRET_B}  \n`, { mode: 0o600 });
	const rec = await new Receiver([SECRET_A, SECRET_B]).listen();
	let l = new Listener(rec.url, ['--channel', 'maintenance_signal'], { cursor: await freshCursor(), secrets: two });
	await createOne();
	await until('delivery', () => rec.delivered().length === 1);
	await l.stop();
	await check('two secrets: two signatures, each verifies with its own secret alone', () => {
		const r = rec.requests[0];
		const sigs = r.headers['webhook-signature'].split(' ');
		assert.equal(sigs.length, 2);
		assert.ok(sigs.every((s) => s.startsWith('v1,')));
		for (const [i, secret] of [SECRET_A, SECRET_B].entries()) {
			const h = { ...r.headers, 'webhook-signature': sigs[i] };
			new Webhook(secret).verify(r.body, h);
			assert.throws(() => new Webhook(secret).verify(r.body, { ...r.headers, 'webhook-signature': sigs[1 - i] }));
		}
	});
	await rec.close();

	const wrong = await new Receiver([SECRET_WRONG]).listen();
	l = new Listener(wrong.url, ['--channel', 'maintenance_signal', '--webhook-attempts', '2'],
		{ cursor: await freshCursor() });
	await createOne();
	await check('a receiver with a wrong secret rejects every attempt (401), then the event is recorded', async () => {
		await until('the record', async () => (await db.query(
			'SELECT 1 FROM maintenance.webhook_failures WHERE last_status = 401')).rowCount === 1);
		assert.deepEqual(wrong.requests.map((r) => [r.ok, r.action]), [[false, 401], [false, 401]]);
	});
	await l.stop();
	await db.query('DELETE FROM maintenance.webhook_failures');
	await wrong.close();
}

/* The listener's session is terminated while it waits to retry the endpoint. */
async function disconnectDuringBackoff() {
	const rec = await new Receiver().listen();
	let terminated = null;
	rec.plan = (req, all) => {
		if (all.length > 1)
			return null;
		terminated = db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		                        WHERE application_name = 'maintenance-listen' AND datname = current_database()`);
		return 500;
	};
	const l = new Listener(rec.url, ['--channel', 'maintenance_signal', '--consumer', 'webhooks-backoff',
		'--webhook-backoff', '1', '--webhook-backoff-max', '1'], { cursor: await freshCursor() });
	await until('the consumer registered', async () => (await db.query(
		"SELECT 1 FROM maintenance.event_consumers WHERE name = 'webhooks-backoff'")).rowCount === 1);
	await db.query("SELECT maintenance.ack_events('webhooks-backoff', $1)", [await lastEventId()]);
	await createOne();
	await until('the retry', () => rec.delivered().length === 1);
	await terminated;
	await createOne();
	await until('the next event', () => rec.delivered().length === 2);
	const last = rec.requests[rec.requests.length - 1].id;
	await check('a session lost during a backoff wait: the event is retried once, delivered once, then the next', async () => {
		assert.deepEqual(rec.requests.map((r) => r.action), [500, 204, 204]);
		assert.equal(rec.requests[0].id, rec.requests[1].id);
		assert.ok(rec.requests[2].id > rec.requests[1].id);
		assert.match(l.stderr, /lost the connection|could not/);
		await until('the consumer acknowledged', async () => Number((await db.query(
			"SELECT last_event_id FROM maintenance.event_consumers WHERE name = 'webhooks-backoff'")).rows[0].last_event_id) >= last);
	});
	await l.stop();
	await rec.close();
}

/* kill -9 of the listener, then a restart of PostgreSQL, while writers write. */
async function crashes() {
	const rec = await new Receiver().listen();
	const cursor = await freshCursor();
	const start = Number(fs.readFileSync(cursor, 'utf8'));
	const extra = ['--consumer', 'webhooks-crash'];
	let l = new Listener(rec.url, extra, { cursor });
	let writing = true;
	const writer = (async () => {
		let w = await connect();
		while (writing) {
			try {
				await createOne(w);
			} catch (err) {
				/* the restart: reconnect and go on */
				await w.end().catch(() => {});
				await until('the server back', async () => {
					try {
						w = await connect();
						return true;
					} catch (e) {
						return false;
					}
				});
			}
		}
		await w.end();
	})();
	await until('some deliveries', () => rec.delivered().length >= 10);
	l.proc.kill('SIGKILL');
	await l.exited;
	const atKill = rec.delivered().length;
	l = new Listener(rec.url, extra, { cursor });
	await until('deliveries after the restart', () => rec.delivered().length >= atKill + 10);
	pgCtl('restart', '-m', 'fast');
	await until('deliveries after the PostgreSQL restart', () => /lost the connection|could not/.test(l.stderr) &&
		rec.delivered().length >= atKill + 30);
	writing = false;
	await writer;
	db = await connect();
	const end = await lastEventId();
	const expected = (await envelopes(start, end)).map((e) => e.id);
	await until('every event', () => new Set(rec.delivered().map((r) => r.id)).size >= expected.length);
	await l.stop();
	const got = rec.delivered();
	await check(`kill -9 and a PostgreSQL restart: every one of the ${expected.length} events arrives, in order`, () => {
		const firsts = [];
		for (const r of got)
			if (!firsts.includes(r.id))
				firsts.push(r.id);
		assert.deepEqual(firsts, expected);
		assert.ok(got.every((r) => r.ok));
	});
	await check('at most the event in flight arrives twice, with the same webhook-id', () => {
		const dup = got.length - new Set(got.map((r) => r.id)).size;
		console.log(`# ${dup} event(s) delivered twice`);
		assert.ok(dup <= 2, `${dup} duplicates`);
		const seen = new Map();
		for (const r of got) {
			if (seen.has(r.id))
				assert.equal(seen.get(r.id), r.headers['webhook-id']);
			seen.set(r.id, r.headers['webhook-id']);
		}
	});
	await check('the listener reconnected after the PostgreSQL restart', () => assert.match(l.stderr, /reconnecting/));
	await rec.close();
}

/* SIGTERM during an attempt, and during a backoff wait. */
async function stops() {
	const rec = await new Receiver().listen();
	rec.plan = () => 'hang';
	let l = new Listener(rec.url, ['--channel', 'maintenance_signal', '--webhook-timeout', '60'],
		{ cursor: await freshCursor() });
	const before = l.cursor();
	await createOne();
	await until('the attempt', () => rec.requests.length === 1);
	let t0 = Date.now();
	await check('SIGTERM during an attempt: exit 0 within 2 s, the cursor before the event', async () => {
		assert.deepEqual(await l.stop(), { code: 0, signal: null });
		assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
		assert.equal(l.cursor(), before);
	});
	rec.plan = () => 500;
	rec.requests = [];
	l = new Listener(rec.url, ['--channel', 'maintenance_signal', '--webhook-backoff', '60',
		'--webhook-backoff-max', '60'], { cursor: await freshCursor() });
	await createOne();
	await until('the failed attempt', () => /retrying in [4-7]\d\.\d+ s/.test(l.stderr));
	t0 = Date.now();
	await check('SIGTERM during a backoff wait: exit 0 at once', async () => {
		assert.deepEqual(await l.stop(), { code: 0, signal: null });
		assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
	});
	await rec.close();
}

async function badArguments() {
	const run = (args) => {
		try {
			execFileSync(LISTEN_BIN, args, { stdio: 'pipe', env: pgEnv() });
			return { code: 0, err: '' };
		} catch (e) {
			return { code: e.status, err: e.stderr.toString() };
		}
	};
	const empty = path.join(tmp, 'empty');
	fs.writeFileSync(empty, '\n');
	const bad = path.join(tmp, 'bad');
	fs.writeFileSync(bad, 'whsec_not*base64\n');
	await check('--webhook without --webhook-secret-file exits 2', () => {
		assert.equal(run(['--webhook', 'http://127.0.0.1:1/']).code, 2);
	});
	await check('a URL that is not http(s) exits 2', () => {
		assert.equal(run(['--webhook', 'ftp://x/', '--webhook-secret-file', secretFile]).code, 2);
	});
	await check('a secret file without a secret, or with a bad one, exits 1 without printing it', () => {
		assert.equal(run(['--webhook', 'http://127.0.0.1:1/', '--webhook-secret-file', empty]).code, 1);
		const r = run(['--webhook', 'http://127.0.0.1:1/', '--webhook-secret-file', bad]);
		assert.equal(r.code, 1);
		assert.match(r.err, /line 1 of secret file/);
		assert.ok(!r.err.includes('not*base64'));
	});
}

main()
	.catch(bail)
	.finally(async () => {
		try {
			if (db)
				await db.end();
		} catch (err) { /* gone */ }
		try {
			cluster('stop', clusterDir);
		} catch (err) { /* already */ }
		fs.rmSync(tmp, { recursive: true, force: true });
		process.exit(summary());
	});
