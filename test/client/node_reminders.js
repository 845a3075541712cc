#!/usr/bin/env node
'use strict';
/*
 * node_reminders.js — a reminder as a Node.js `pg` listener receives it.
 *
 * A window with two leads (1 day 12 hours, 1 hour) and three systems; a
 * writer runs run_transitions(as_of => ...) at each moment.  A listener on
 * the three channels checks, for the first lead, that exactly one NOTIFY
 * per system arrives, on maintenance_notification, in the order of
 * systemIds, and nothing else: each envelope's text has the keys
 * {id, channel, name, occurredAt, payload} in that order, its payload the
 * keys {maintenanceId, systemId, event, title, body, importance, action
 * {label, url}, includeGroupSubscribers, startAt, remindBefore} in that
 * order, with the values of the contract (the title round-trips exactly),
 * and is the payload of the outbox row with its id.  With
 * maintenance.notify_payload = id in the writer's session, the second lead
 * arrives as {id, channel, name, occurredAt} only, like every other event.
 * A barrier NOTIFY after each run (NOTIFY delivers in commit order) tells
 * that everything of the run has arrived, without sleeping.
 *
 * Usage: node node_reminders.js   (PGHOST, PGPORT, PGUSER of a superuser;
 * creates and drops the database REMINDERS_TEST_DB, default reminders_test).
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

const { check, bail, summary } = require('./tap');
const { Listener } = require('./barrier');

const DB = process.env.REMINDERS_TEST_DB || 'reminders_test';
const CHANNELS = ['maintenance_signal', 'maintenance_hook', 'maintenance_notification'];
const BARRIER = 'reminders_test_barrier';
const TIMEOUT_MS = 20000;
const TITLE = 'Reminder "quoted" \\ back\u2713 \u00e9 ✓ \n newline';
const START = '2100-06-02T12:00:00.000Z';
const SYSTEMS = ['web', 'db', 'api'];

/* Run the sweep as of a moment, then the barrier; what arrived before it. */
async function runAt(writer, listener, asOf, token) {
	const r = await writer.query('SELECT * FROM maintenance.run_transitions(as_of => $1)', [asOf]);
	await writer.query(`NOTIFY ${BARRIER}, '${token}'`);
	return { counts: r.rows[0], received: await listener.until(token) };
}

async function run(writer, reader, listener) {
	const { id } = (await writer.query(
		`SELECT id FROM maintenance.create_maintenance($1, $2, $3, $4,
		        reminders => ARRAY['1 day 12 hours', '1 hour']::interval[])`,
		[TITLE, START, '2100-06-02T13:00:00Z', SYSTEMS])).rows[0];
	await writer.query(`NOTIFY ${BARRIER}, 'created'`);
	await listener.until('created');

	const early = await runAt(writer, listener, '2100-05-31T23:59:59.999Z', 'early');
	await check('nothing is sent before the moment', async () => {
		assert.deepEqual(early.received, []);
		assert.equal(early.counts.reminded, 0);
	});

	const first = await runAt(writer, listener, '2100-06-01T00:00:00.001Z', 'first');
	await check('run_transitions reports one reminder; one NOTIFY per system, nothing else', async () => {
		assert.deepEqual(Object.keys(first.counts), ['started', 'completed', 'failed', 'reminded', 'created']);
		assert.equal(first.counts.reminded, 1);
		assert.equal(first.received.length, 3);
		for (const msg of first.received)
			assert.equal(msg.channel, 'maintenance_notification');
	});

	const envelopes = first.received.map((m) => ({ raw: m.payload, json: JSON.parse(m.payload) }));
	await check('each envelope is {id, channel, name, occurredAt, payload}, in that order', async () => {
		for (const e of envelopes) {
			assert.deepEqual(Object.keys(e.json), ['id', 'channel', 'name', 'occurredAt', 'payload']);
			assert.equal(e.json.channel, 'maintenance_notification');
			assert.equal(e.json.name, 'maintenance.notification');
			assert.match(e.json.occurredAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		}
	});
	await check('each payload has exactly the reminder shape, keys in order', async () => {
		for (const e of envelopes) {
			assert.deepEqual(Object.keys(e.json.payload), ['maintenanceId', 'systemId', 'event', 'title',
				'body', 'importance', 'action', 'includeGroupSubscribers', 'startAt', 'remindBefore']);
			assert.deepEqual(Object.keys(e.json.payload.action), ['label', 'url']);
		}
	});
	await check('the values: one per system in the order of systemIds, the lead in words and as ISO', async () => {
		assert.deepEqual(envelopes.map((e) => e.json.payload.systemId), [...SYSTEMS].sort());
		for (const e of envelopes)
			assert.deepEqual(e.json.payload, {
				maintenanceId: id,
				systemId: e.json.payload.systemId,
				event: 'reminder',
				title: 'Maintenance reminder',
				body: `A maintenance **"${TITLE}"** starts in 1 day 12 hours for a system you're subscribed to.`,
				importance: 'info',
				action: { label: 'View Maintenance', url: `/maintenance/${id}` },
				includeGroupSubscribers: true,
				startAt: START,
				remindBefore: 'P1DT12H',
			});
	});
	await check('each envelope is the outbox row of its id, ids in order', async () => {
		const ids = envelopes.map((e) => e.json.id);
		assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
		const rows = (await reader.query(
			`SELECT e.id::int, e.payload, maintenance.iso_time(e.occurred_at) AS occurred_at
			   FROM maintenance.events e WHERE e.id = ANY ($1) ORDER BY e.id`, [ids])).rows;
		assert.equal(rows.length, 3);
		rows.forEach((row, i) => {
			assert.deepEqual(row.payload, envelopes[i].json.payload);
			assert.equal(row.occurred_at, envelopes[i].json.occurredAt);
		});
	});

	const again = await runAt(writer, listener, '2100-06-01T00:00:00.001Z', 'again');
	await check('a second run at the same moment sends nothing', async () => {
		assert.deepEqual(again.received, []);
		assert.equal(again.counts.reminded, 0);
	});

	await writer.query('SET maintenance.notify_payload = id');
	const idMode = await runAt(writer, listener, '2100-06-02T11:00:00Z', 'id mode');
	await check('with notify_payload = id: {id, channel, name, occurredAt} only, per system', async () => {
		assert.equal(idMode.counts.reminded, 1);
		assert.equal(idMode.received.length, 3);
		const json = idMode.received.map((m) => JSON.parse(m.payload));
		for (const e of json) {
			assert.deepEqual(Object.keys(e), ['id', 'channel', 'name', 'occurredAt']);
			assert.equal(e.channel, 'maintenance_notification');
		}
		const rows = (await reader.query(
			`SELECT e.payload->>'remindBefore' AS lead, e.payload->>'systemId' AS system
			   FROM maintenance.events e WHERE e.id = ANY ($1) ORDER BY e.id`,
			[json.map((e) => e.id)])).rows;
		assert.deepEqual(rows, [...SYSTEMS].sort().map((s) => ({ lead: 'PT1H', system: s })));
		assert.ok(!idMode.received.some((m) => m.payload.includes('Reminder')));
	});
}

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
		await reader.query("SET client_min_messages = warning");
		await reader.query('CREATE EXTENSION maintenance');
		const listener = new Listener(listenerClient, BARRIER, TIMEOUT_MS);
		for (const ch of [...CHANNELS, BARRIER])
			await listenerClient.query(`LISTEN ${ch}`);
		await run(writer, reader, listener);
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

main().catch(bail).then(() => process.exit(summary()));
