#!/usr/bin/env node
'use strict';
/*
 * notify.js — the events of every write as a separate, real client sees them.
 *
 * One pg.Client LISTENs on the three channels; a second one writes; a third
 * reads maintenance.events and sends "barriers".  After every write the
 * reader sends NOTIFY notify_test_barrier: NOTIFY delivers in commit order,
 * so when the listener has the barrier it has everything that committed
 * before it, and the test knows both what arrived and that nothing else did,
 * without sleeping (each wait resolves on arrival, with a timeout).
 *
 * For every envelope it checks: the channel; the keys, exactly
 * {id, channel, name, occurredAt, payload} or, for one whose whole form
 * would be 8000 bytes or more (NOTIFY's limit, counted in UTF-8 bytes),
 * {id, channel, name, occurredAt, truncated: true}; that its id is the
 * matching row of maintenance.events, whose payload is the expected one;
 * occurredAt; compact JSON with canonical escaping; and that notifications
 * arrive in event id order, one per event row, none for rolled-back or
 * refused writes.
 *
 * Usage: node notify.js   (PGHOST, PGPORT, PGUSER from the environment;
 * creates and drops the database NOTIFY_TEST_DB, default notify_test).
 * Prints "ok N - ..." / "not ok N - ..." and a summary; exits 1 on failure.
 */
const assert = require('node:assert/strict');

let Client;
try {
	({ Client } = require('pg'));
} catch (err) {
	console.log('not ok - the node module "pg" is missing: run "npm ci" in test/client');
	console.log('# 0 passed, 1 failed');
	process.exit(1);
}

const DB = process.env.NOTIFY_TEST_DB || 'notify_test';
const CHANNELS = ['maintenance_signal', 'maintenance_hook', 'maintenance_notification'];
const BARRIER = 'notify_test_barrier';
const LIMIT = 8000;				/* NOTIFY needs payload bytes < 8000 */
const TIMEOUT_MS = 20000;
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const START = '2026-11-28T14:00:00.125Z';
const END = '2026-11-28T16:30:00.000Z';

/* ---------------------------------------------------------------- output */

const { check, bail, summary } = require('./tap');
const { Listener } = require('./barrier');

/* ---------------------------------------------------------- expectations */

/* system ids as the view gives them: distinct, ORDER BY ... COLLATE "C" */
function cSorted(ids) {
	return [...new Set(ids)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function signal(m, action) {
	return {
		channel: 'maintenance_signal',
		name: 'maintenance.updated',
		payload: { maintenanceId: m.id, systemIds: m.systemIds, action },
	};
}

/* action undefined: maintenance.created (no action member) */
function hook(m, action) {
	const payload = { maintenanceId: m.id, systemIds: m.systemIds, title: m.title };
	if (m.description !== null)
		payload.description = m.description;
	Object.assign(payload, { status: m.status, startAt: m.startAt, endAt: m.endAt });
	if (action !== undefined)
		payload.action = action;
	return {
		channel: 'maintenance_hook',
		name: action === undefined ? 'maintenance.created' : 'maintenance.updated',
		payload,
	};
}

function notifications(m, event) {
	const verb = event === 'created' ? 'scheduled' : event;
	return m.systemIds.map((systemId) => ({
		channel: 'maintenance_notification',
		name: 'maintenance.notification',
		payload: {
			maintenanceId: m.id,
			systemId,
			event,
			title: `Maintenance ${verb}`,
			body: `A maintenance **"${m.title}"** has been ${verb} for a system you're subscribed to.`,
			importance: 'info',
			action: { label: 'View Maintenance', url: `/maintenance/${m.id}` },
			includeGroupSubscribers: true,
		},
	}));
}

function bytes(s) {
	return Buffer.byteLength(s, 'utf8');
}

/* Bytes of the envelope with the whole payload, as compact JSON. */
function wholeLength(env, payload) {
	return bytes(JSON.stringify({
		id: env.id, channel: env.channel, name: env.name,
		occurredAt: env.occurredAt, payload,
	}));
}

function sortedKeys(o) {
	return Object.keys(o).sort();
}

/* ------------------------------------------------------------------ main */

let lastId = 0;					/* every event id seen, across the run */

async function main() {
	const admin = new Client({ database: 'postgres' });
	await admin.connect();
	let listenerClient;
	let writer;
	let reader;
	try {
		await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
		await admin.query(`CREATE DATABASE ${DB} TEMPLATE template0 ENCODING 'UTF8'`);

		listenerClient = new Client({ database: DB });
		writer = new Client({ database: DB });
		reader = new Client({ database: DB });
		await Promise.all([listenerClient.connect(), writer.connect(), reader.connect()]);
		await reader.query('CREATE EXTENSION maintenance');

		const listener = new Listener(listenerClient, BARRIER, TIMEOUT_MS);
		for (const ch of [...CHANNELS, BARRIER])
			await listenerClient.query(`LISTEN ${ch}`);
		const writerPid = (await writer.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;

		await run({ listener, writer, reader, writerPid });
	} finally {
		for (const c of [listenerClient, writer, reader])
			if (c)
				await c.end().catch(() => {});
		await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch((err) => {
			console.log(`# could not drop database ${DB}: ${err.message}`);
		});
		await admin.end();
	}
}

async function run({ listener, writer, reader, writerPid }) {
	let barriers = 0;

	async function maxEventId() {
		const r = await reader.query('SELECT coalesce(max(id), 0)::text AS id FROM maintenance.events');
		return Number(r.rows[0].id);
	}

	/*
	 * Run write(), then wait for the barrier; return the notifications that
	 * arrived and the event rows written meanwhile.
	 */
	async function observe(write) {
		const before = await maxEventId();
		const result = await write();
		const token = `b${++barriers}`;
		await reader.query('SELECT pg_notify($1, $2)', [BARRIER, token]);
		const msgs = await listener.until(token);
		const rows = (await reader.query(
			`SELECT id::text AS id, channel, name, payload,
					maintenance.iso_time(occurred_at) AS occurred_at
			   FROM maintenance.events e WHERE e.id > $1 ORDER BY e.id`, [before])).rows;
		return { result, msgs, rows };
	}

	/*
	 * Assert that msgs are exactly the envelopes of expected (in order) and
	 * of the event rows.  Returns the parsed envelopes.
	 */
	function verify({ msgs, rows }, expected) {
		assert.deepEqual(msgs.map((m) => m.channel), expected.map((e) => e.channel),
						 'channels of the notifications, in order');
		assert.equal(rows.length, expected.length, 'event rows written');
		return msgs.map((msg, i) => {
			const exp = expected[i];
			const row = rows[i];
			const raw = msg.payload;
			const where = `notification ${i + 1} (${exp.channel} ${exp.name})`;
			assert.equal(msg.processId, writerPid, `${where}: sent by the writer's backend`);
			const env = JSON.parse(raw);
			assert.equal(typeof env.id, 'number', `${where}: id is a JSON number`);
			assert.equal(env.id, Number(row.id),
						 `${where}: id is the event row in event id order`);
			assert.ok(env.id > lastId, `${where}: id ${env.id} after ${lastId}`);
			lastId = env.id;
			assert.equal(env.channel, exp.channel, `${where}: channel member`);
			assert.equal(env.name, exp.name, `${where}: name`);
			assert.match(env.occurredAt, ISO_RE, `${where}: occurredAt format`);
			assert.equal(row.channel, exp.channel, `${where}: events.channel`);
			assert.equal(row.name, exp.name, `${where}: events.name`);
			assert.equal(env.occurredAt, row.occurred_at, `${where}: occurredAt = events.occurred_at`);
			assert.deepEqual(row.payload, exp.payload, `${where}: events.payload`);
			/* compact JSON, canonical escaping (as JSON.stringify writes it) */
			assert.equal(raw, JSON.stringify(env), `${where}: compact canonical JSON`);
			if (wholeLength(env, exp.payload) < LIMIT) {
				assert.deepEqual(sortedKeys(env),
								 ['channel', 'id', 'name', 'occurredAt', 'payload'],
								 `${where}: envelope keys`);
				assert.deepEqual(env.payload, exp.payload, `${where}: payload`);
				assert.deepEqual(env.payload, row.payload, `${where}: payload = events.payload`);
			} else {
				assert.deepEqual(sortedKeys(env),
								 ['channel', 'id', 'name', 'occurredAt', 'truncated'],
								 `${where}: truncated envelope keys (whole: ${wholeLength(env, exp.payload)} bytes)`);
				assert.equal(env.truncated, true, `${where}: truncated is true`);
			}
			assert.ok(bytes(raw) < LIMIT, `${where}: ${bytes(raw)} bytes`);
			return env;
		});
	}

	/* the writes, as SQL returning the maintenances_with_systems row */
	const ROW = `m.id::text AS id, m.title, m.description, m.status::text AS status,
				 maintenance.iso_time(m.start_at) AS start_at,
				 maintenance.iso_time(m.end_at) AS end_at, m.system_ids`;

	async function create(title, systemIds, description = null) {
		const r = await writer.query(
			`SELECT ${ROW} FROM maintenance.create_maintenance(
				title => $1, start_at => $2, end_at => $3, system_ids => $4,
				description => $5) m`, [title, START, END, systemIds, description]);
		const row = r.rows[0];
		return {
			id: row.id, title, description, status: 'scheduled',
			startAt: START, endAt: END, systemIds: cSorted(systemIds), row,
		};
	}

	async function addUpdate(m, message, status = null) {
		await writer.query(
			'SELECT * FROM maintenance.add_update($1::uuid, $2, $3::maintenance.status)',
			[m.id, message, status]);
	}

	async function noEvents(write) {
		const o = await observe(write);
		verify(o, []);
	}

	/* ---------------------------------------------------------- the run */

	const title1 = 'Quote " backslash \\ slash / newline\n tab\t CR\r '
		+ 'ctrl \u0001 \u001f del \u007f é € 日本 emoji 🚀 non-BMP 𝄞 😀 '
		+ 'LS \u2028 end';
	const description1 = 'Line 1\r\nLine "2" \\n is not a newline; \b\f <script>';
	const systems1 = ['sys-b', 'sys-a', 'sys-"q"\\', 'sys-ü', 'sys-a', 'sys-🚀'];
	let m1;

	await check('create: signal, hook, one notification per system, in event id order', async () => {
		const o = await observe(async () => { m1 = await create(title1, systems1, description1); });
		assert.equal(m1.row.title, title1);
		assert.deepEqual(m1.row.system_ids, m1.systemIds, 'systems stored distinct, sorted');
		assert.equal(m1.systemIds.length, 5);
		verify(o, [signal(m1, 'created'), hook(m1), ...notifications(m1, 'created')]);
	});
	if (!m1)
		throw new Error('cannot go on without the first maintenance');

	await check('create: title and description round-trip byte for byte', async () => {
		/* verify() compared them already; this states it on its own */
		const r = await reader.query(
			`SELECT payload FROM maintenance.events
			  WHERE channel = 'maintenance_hook' AND payload->>'maintenanceId' = $1
			  ORDER BY id LIMIT 1`, [m1.id]);
		const p = r.rows[0].payload;
		assert.ok(Buffer.from(p.title, 'utf8').equals(Buffer.from(title1, 'utf8')));
		assert.ok(Buffer.from(p.description, 'utf8').equals(Buffer.from(description1, 'utf8')));
	});

	await check('update: title, description and systems change; signal and hook "updated"', async () => {
		const title2 = 'Renamed: "tab"\there \\ 🛠 \u0002';
		const description2 = 'new description ✓';
		const o = await observe(() => writer.query(
			`SELECT * FROM maintenance.update_maintenance($1::uuid, title => $2,
				description => $3, system_ids => $4)`,
			[m1.id, title2, description2, ['sys-c', 'sys-a', 'sys-c']]));
		Object.assign(m1, { title: title2, description: description2, systemIds: ['sys-a', 'sys-c'] });
		verify(o, [signal(m1, 'updated'), hook(m1, 'updated')]);
	});

	await check('update with clear_description: the hook leaves description out', async () => {
		const o = await observe(() => writer.query(
			'SELECT * FROM maintenance.update_maintenance($1::uuid, clear_description => true)',
			[m1.id]));
		m1.description = null;
		const envs = verify(o, [signal(m1, 'updated'), hook(m1, 'updated')]);
		assert.ok(!('description' in envs[1].payload));
	});

	await check('add_update, message only: signal and hook, no notification', async () => {
		const o = await observe(() => addUpdate(m1, 'Still planned — "on track"\n✓'));
		verify(o, [signal(m1, 'updated'), hook(m1, 'updated')]);
	});

	await check('add_update to in_progress: signal, hook, "started" notifications', async () => {
		const o = await observe(() => addUpdate(m1, 'Starting now', 'in_progress'));
		m1.status = 'in_progress';
		verify(o, [signal(m1, 'updated'), hook(m1, 'updated'), ...notifications(m1, 'started')]);
	});

	await check('add_update to the same status: message only, no notification', async () => {
		const o = await observe(() => addUpdate(m1, 'Still in progress', 'in_progress'));
		verify(o, [signal(m1, 'updated'), hook(m1, 'updated')]);
	});

	await check('refused status change (55000) delivers nothing', async () => {
		await noEvents(() => assert.rejects(addUpdate(m1, 'Back to planning', 'scheduled'),
											(err) => err.code === '55000'));
	});

	await check('refused create with a blank title (22023) delivers nothing', async () => {
		await noEvents(() => assert.rejects(create(' \t\n', ['sys-a']),
											(err) => err.code === '22023'));
	});

	await check('update of an unknown maintenance (P0002) delivers nothing', async () => {
		await noEvents(() => assert.rejects(writer.query(
			`SELECT * FROM maintenance.update_maintenance(
				'00000000-0000-4000-8000-000000000000'::uuid, title => 'x')`),
		(err) => err.code === 'P0002'));
	});

	await check('rolled-back transaction delivers nothing and leaves no event', async () => {
		await noEvents(async () => {
			await writer.query('BEGIN');
			await create('Never committed', ['sys-r']);
			await addUpdate(m1, 'Never committed either');
			await writer.query('ROLLBACK');
		});
	});

	let m2;
	await check('nothing is delivered before COMMIT; everything after', async () => {
		await writer.query('BEGIN');
		try {
			/* open transaction: a barrier passes, nothing else arrives */
			const open = await observe(async () => { m2 = await create('Committed later', ['sys-x']); });
			assert.deepEqual(open.msgs, [], 'notifications before COMMIT');
			assert.deepEqual(open.rows, [], 'event rows visible to others before COMMIT');
		} catch (err) {
			await writer.query('ROLLBACK');
			throw err;
		}
		const o = await observe(() => writer.query('COMMIT'));
		verify(o, [signal(m2, 'created'), hook(m2), ...notifications(m2, 'created')]);
	});

	await check('a rolled-back savepoint delivers nothing; the rest of the transaction does', async () => {
		const o = await observe(async () => {
			await writer.query('BEGIN');
			await writer.query('SAVEPOINT s');
			await create('Rolled back to savepoint', ['sys-s']);
			await writer.query('ROLLBACK TO SAVEPOINT s');
			await addUpdate(m2, 'Kept');
			await writer.query('COMMIT');
		});
		verify(o, [signal(m2, 'updated'), hook(m2, 'updated')]);
	});

	await check('close: signal and hook "closed", "completed" notifications', async () => {
		const o = await observe(() => writer.query(
			'SELECT * FROM maintenance.close_maintenance($1::uuid, $2)', [m1.id, 'Done "early" ✓']));
		m1.status = 'completed';
		verify(o, [signal(m1, 'closed'), hook(m1, 'closed'), ...notifications(m1, 'completed')]);
	});

	await check('delete: one signal "closed" naming the systems it had', async () => {
		const o = await observe(() => writer.query(
			'SELECT maintenance.delete_maintenance($1::uuid) AS ok', [m1.id]));
		assert.equal(o.result.rows[0].ok, true);
		verify(o, [signal(m1, 'closed')]);
	});

	await check('delete of an unknown maintenance: false, nothing delivered', async () => {
		await noEvents(async () => {
			const r = await writer.query('SELECT maintenance.delete_maintenance($1::uuid) AS ok', [m1.id]);
			assert.equal(r.rows[0].ok, false);
		});
	});

	/* ------------------------------------------------------ truncation */

	await check('500 systems: signal and hook truncated, 500 notifications whole, write committed', async () => {
		const systems = [];
		for (let i = 500; i >= 1; i--)
			systems.push(`host-${String(i).padStart(4, '0')}.rack-${i % 17}.eu-west.example.net`);
		let m;
		const o = await observe(async () => { m = await create('Rack move "A/B" 🚚', systems); });
		const envs = verify(o, [signal(m, 'created'), hook(m), ...notifications(m, 'created')]);
		assert.equal(envs.length, 502);
		assert.deepEqual(envs.slice(0, 2).map((e) => e.truncated), [true, true],
						 'signal and hook are truncated');
		assert.ok(envs.slice(2).every((e) => e.payload !== undefined), 'notifications are whole');
		for (const e of envs.slice(0, 2)) {
			const full = await reader.query(
				'SELECT payload FROM maintenance.events WHERE id = $1', [e.id]);
			assert.equal(full.rows[0].payload.systemIds.length, 500, `event ${e.id}: full payload`);
			assert.ok(wholeLength(e, full.rows[0].payload) >= LIMIT);
		}
		const stored = await reader.query(
			'SELECT cardinality(system_ids) AS n FROM maintenance.maintenances_with_systems WHERE id = $1',
			[m.id]);
		assert.deepEqual(stored.rows, [{ n: 500 }], 'the maintenance committed with 500 systems');
	});

	/*
	 * The boundary: a create whose signal envelope is exactly `size` bytes.
	 * Its nine system ids (each at most 1,024 bytes, the limit of a system
	 * id) are mostly "é" (2 bytes, 1 character), so the size in characters
	 * is far below the limit: only a count in bytes is right.
	 */
	async function signalOfSize(size, label) {
		const n = 9;
		const seq = await reader.query(
			`SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text AS next
			   FROM maintenance.events_id_seq`);
		const nextId = Number(seq.rows[0].next);
		const base = wholeLength(
			{ id: nextId, channel: 'maintenance_signal', name: 'maintenance.updated',
			  occurredAt: START },
			{ maintenanceId: '00000000-0000-0000-0000-000000000000',
			  systemIds: Array(n).fill(''), action: 'created' });
		const need = size - base;
		const systemIds = [];
		for (let i = 0; i < n; i++) {
			const prefix = `${label}-${i}-`;
			const pad = Math.floor(need / n) + (i < need % n ? 1 : 0) - prefix.length;
			systemIds.push(prefix + 'é'.repeat(pad >> 1) + (pad % 2 ? 'x' : ''));
		}
		assert.equal(systemIds.reduce((total, id) => total + bytes(id), 0), need);
		assert.ok(systemIds.every((id) => bytes(id) <= 1024), 'every system id within its limit');
		let m;
		const o = await observe(async () => { m = await create(`Boundary ${size}`, systemIds); });
		const envs = verify(o, [signal(m, 'created'), hook(m), ...notifications(m, 'created')]);
		assert.equal(envs[0].id, nextId, 'the event id was predicted');
		const whole = wholeLength(envs[0], signal(m, 'created').payload);
		assert.equal(whole, size, 'whole signal envelope size');
		assert.ok(systemIds.join('').length < 4100, 'far fewer characters than bytes');
		return envs[0];
	}

	await check('boundary: a signal envelope of 7999 bytes is sent whole', async () => {
		const env = await signalOfSize(LIMIT - 1, 'under');
		assert.ok(env.payload !== undefined && env.truncated === undefined);
	});

	await check('boundary: a signal envelope of 8000 bytes is sent truncated', async () => {
		const env = await signalOfSize(LIMIT, 'over');
		assert.equal(env.truncated, true);
		assert.equal(env.payload, undefined);
	});

	await check('every event row was notified, in event id order, across the run', async () => {
		const r = await reader.query('SELECT count(*)::int AS n, max(id)::text AS max FROM maintenance.events');
		assert.equal(Number(r.rows[0].max), lastId);
		assert.deepEqual(listener.received, [], 'no stray notifications');
	});
}

main().catch(bail).then(() => process.exit(summary()));
