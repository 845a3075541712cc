#!/usr/bin/env node
'use strict';
/*
 * node_replay.js — a Node.js `pg` consumer of the events by LISTEN + replay,
 * as doc/events.md "Consuming events" describes it: LISTEN first, then replay the
 * events after the cursor with maintenance.replay_events(); a notification
 * only says "replay now".
 *
 * The consumer connects, LISTENs, replays, and follows notifications; then
 * it disconnects, events are written while it is away, and it reconnects
 * and replays from its cursor: it must get exactly the missed events, in id
 * order, once each.  The same with the cursor kept on the server (a named
 * consumer: register_consumer, replay_events_for, ack_events).  Also: a
 * notification whose envelope was truncated is resolved by the replay and
 * by get_event(); and two writers committing in another order than their
 * event ids are both delivered, once, in order.
 *
 * Every wait resolves on arrival, with a timeout; nothing sleeps.
 *
 * Usage: node node_replay.js   (PGHOST, PGPORT, PGUSER from the environment;
 * creates and drops the database NODE_REPLAY_DB, default node_replay_test).
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

const DB = process.env.NODE_REPLAY_DB || 'node_replay_test';
const CHANNELS = ['maintenance_signal', 'maintenance_hook', 'maintenance_notification'];
const TIMEOUT_MS = 20000;
const BATCH = 100;

/* ---------------------------------------------------------------- output */

const { check, bail, summary } = require('./tap');

/* -------------------------------------------------------------- consumer */

const consumers = [];			/* all of them, to close at the end */

/*
 * The consumer of doc/events.md ("Consuming events"): a connection that LISTENs, a cursor, and
 * replay.  delivered holds every envelope handed to the application.
 */
class Consumer {
	constructor({ cursor = 0, name = null } = {}) {
		this.cursor = cursor;	/* id of the last event delivered */
		this.name = name;		/* named consumer: cursor on the server */
		this.delivered = [];
		this.notified = [];		/* the NOTIFY envelopes, for inspection */
		this.wake = null;
		this.pending = false;	/* a notification came while no one waited */
		this.client = null;
		consumers.push(this);
	}

	async connect() {
		this.client = new Client({ database: DB, application_name: 'node_replay_test' });
		this.client.on('notification', (msg) => {
			this.notified.push(JSON.parse(msg.payload));
			if (this.wake)
				this.wake();
			else
				this.pending = true;
		});
		/* DROP DATABASE ... WITH (FORCE) at the end of a failed run */
		this.client.on('error', () => {});
		await this.client.connect();
		/* LISTEN first: whatever commits after the replay below wakes us. */
		for (const ch of CHANNELS)
			await this.client.query(`LISTEN ${ch}`);
		if (this.name !== null) {
			const r = await this.client.query(
				'SELECT last_event_id FROM maintenance.register_consumer($1)', [this.name]);
			this.cursor = Number(r.rows[0].last_event_id);
		}
		return this.replay();
	}

	async disconnect() {
		const c = this.client;
		this.client = null;
		if (c)
			await c.end();
	}

	/* Replay until caught up; returns the envelopes delivered now. */
	async replay() {
		const now = [];
		for (;;) {
			const r = this.name === null
				? await this.client.query(
					'SELECT maintenance.event_envelope(e) AS envelope'
					+ ' FROM maintenance.replay_events($1, $2) e ORDER BY e.id',
					[this.cursor, BATCH])
				: await this.client.query(
					'SELECT maintenance.event_envelope(e) AS envelope'
					+ ' FROM maintenance.replay_events_for($1, $2) e ORDER BY e.id',
					[this.name, BATCH]);
			for (const { envelope } of r.rows) {
				assert.ok(envelope.id > this.cursor,
						  `replay handed out ${envelope.id} after cursor ${this.cursor}`);
				now.push(envelope);
				this.cursor = envelope.id;
			}
			if (this.name !== null && r.rows.length > 0)
				await this.client.query('SELECT maintenance.ack_events($1, $2)',
										[this.name, this.cursor]);
			if (r.rows.length < BATCH)
				break;
		}
		this.delivered.push(...now);
		return now;
	}

	/* Resolve at the next notification (or reject after the deadline). */
	nextWake(deadline, what) {
		return new Promise((resolve, reject) => {
			if (this.pending) {
				this.pending = false;
				resolve();
				return;
			}
			const timer = setTimeout(() => {
				this.wake = null;
				reject(new Error(`${what}: nothing within ${TIMEOUT_MS} ms; cursor ${this.cursor}`));
			}, Math.max(deadline - Date.now(), 1));
			this.wake = () => {
				clearTimeout(timer);
				this.wake = null;
				resolve();
			};
		});
	}

	/* Wait until the notification of event id has arrived. */
	async notifiedOf(id) {
		const deadline = Date.now() + TIMEOUT_MS;
		while (!this.notified.some((e) => e.id === id))
			await this.nextWake(deadline, `notification of event ${id}`);
	}

	/*
	 * Follow notifications, replaying on each, until the event with id
	 * lastId has been delivered.  Returns the envelopes delivered meanwhile.
	 */
	async follow(lastId) {
		const got = [];
		const deadline = Date.now() + TIMEOUT_MS;
		for (;;) {
			got.push(...await this.replay());
			if (this.cursor >= lastId)
				return got;
			await this.nextWake(deadline, `delivery of event ${lastId}`);
		}
	}
}

/* ------------------------------------------------------------------ main */

async function main() {
	const admin = new Client({ database: 'postgres' });
	await admin.connect();
	const clients = [];
	const open = async () => {
		const c = new Client({ database: DB });
		await c.connect();
		clients.push(c);
		return c;
	};
	try {
		await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
		await admin.query(`CREATE DATABASE ${DB} TEMPLATE template0 ENCODING 'UTF8'`);
		const writer = await open();
		await writer.query('SET client_min_messages = warning');
		await writer.query('CREATE EXTENSION maintenance');
		await run(writer, open);
	} finally {
		for (const c of consumers)
			await c.disconnect().catch(() => {});
		for (const c of clients)
			await c.end().catch(() => {});
		await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch((err) => {
			console.log(`# could not drop database ${DB}: ${err.message}`);
		});
		await admin.end();
	}
}

let created = 0;

/* A maintenance with systems; returns the id of the last event written. */
async function create(client, systems = ['sys-a', 'sys-b']) {
	created++;
	await client.query(
		'SELECT 1 FROM maintenance.create_maintenance($1, $2, $3, $4)',
		[`node ${created}`, '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z', systems]);
	return lastEventId(client);
}

async function lastEventId(client) {
	const r = await client.query('SELECT coalesce(max(id), 0) AS id FROM maintenance.events');
	return Number(r.rows[0].id);
}

/* The envelopes of the committed events with after < id <= upTo, in id order. */
async function eventsBetween(client, after, upTo) {
	const r = await client.query(
		'SELECT maintenance.event_envelope(e) AS envelope FROM maintenance.events e'
		+ ' WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id', [after, upTo]);
	return r.rows.map((row) => row.envelope);
}

function ids(envelopes) {
	return envelopes.map((e) => e.id);
}

async function run(writer, open) {
	const consumer = new Consumer();

	/* --- connected: replay on start, then notifications ------------------ */
	const before = await create(writer);
	await check('on connect, the consumer replays the events written before it', async () => {
		const got = await consumer.connect();
		assert.deepEqual(got, await eventsBetween(writer, 0, before));
	});

	await check('while connected, each notification leads to the new events, once, in order', async () => {
		const from = consumer.cursor;
		await create(writer);
		const last = await create(writer, ['sys-c']);
		await consumer.notifiedOf(last);
		const got = await consumer.replay();
		assert.deepEqual(got, await eventsBetween(writer, from, last));
	});

	await check('a truncated notification is resolved by the replay and by get_event()', async () => {
		const systems = Array.from({ length: 400 }, (_, i) => `a-rather-long-system-name-${String(i).padStart(3, '0')}`);
		const from = consumer.cursor;
		consumer.notified.length = 0;
		const last = await create(writer, systems);
		const got = await consumer.follow(last);
		const hook = got.find((e) => e.channel === 'maintenance_hook');
		assert.ok(hook, 'no hook event replayed');
		const notifiedHook = consumer.notified.find((e) => e.id === hook.id);
		assert.ok(notifiedHook, 'the hook event was not notified');
		assert.equal(notifiedHook.truncated, true, 'the hook envelope was not truncated');
		assert.equal(notifiedHook.payload, undefined);
		assert.deepEqual(hook.payload.systemIds, systems);
		const r = await writer.query('SELECT maintenance.get_event($1) AS envelope', [hook.id]);
		assert.deepEqual(r.rows[0].envelope, hook);
		assert.deepEqual(got, await eventsBetween(writer, from, last));
	});

	/* --- away: events written while disconnected ------------------------- */
	await check('after a reconnection, exactly the events missed, in order, once', async () => {
		await consumer.disconnect();
		const away = consumer.cursor;
		await create(writer);
		await writer.query(
			"SELECT 1 FROM maintenance.add_update("
			+ " (SELECT id FROM maintenance.maintenances WHERE title = 'node 1'),"
			+ " 'started early', 'in_progress')");
		const last = await create(writer, ['sys-d']);
		assert.ok(last > away + 8, 'too few events were written while away');
		const got = await consumer.connect();
		assert.deepEqual(got, await eventsBetween(writer, away, last));
		assert.equal(consumer.cursor, last);
	});

	await check('then notifications again: only the new events', async () => {
		const from = consumer.cursor;
		const last = await create(writer, ['sys-e']);
		await consumer.notifiedOf(last);
		const got = await consumer.replay();
		assert.deepEqual(got, await eventsBetween(writer, from, last));
	});

	await check('all along, every event once, in id order', async () => {
		assert.deepEqual(consumer.delivered, await eventsBetween(writer, 0, consumer.cursor));
		assert.equal(new Set(ids(consumer.delivered)).size, consumer.delivered.length);
	});

	/* --- commit order ------------------------------------------------------ */
	await check('writers committing out of id order: both delivered, once, in order', async () => {
		const from = consumer.cursor;
		const slow = await open();
		await slow.query('BEGIN');
		await create(slow, ['sys-slow']);	/* lower ids, still open */
		const last = await create(writer, ['sys-fast']);	/* higher ids, committed */
		/* The fast writer's notification arrives, but replay may not hand
		 * out its events while lower ids can still commit. */
		await consumer.notifiedOf(last);
		assert.deepEqual(await consumer.replay(), []);
		assert.equal(consumer.cursor, from);
		await slow.query('COMMIT');
		const got = await consumer.follow(last);
		assert.deepEqual(got, await eventsBetween(writer, from, last));
		assert.deepEqual(ids(got), [...ids(got)].sort((a, b) => a - b));
	});
	await consumer.disconnect();

	/* --- a named consumer: the cursor on the server ----------------------- */
	const named = new Consumer({ name: 'node-consumer' });
	await check('a named consumer starts at 0 and replays everything retained', async () => {
		const got = await named.connect();
		const last = await lastEventId(writer);
		assert.deepEqual(got, await eventsBetween(writer, 0, last));
		const r = await writer.query(
			"SELECT last_event_id FROM maintenance.event_consumers WHERE name = 'node-consumer'");
		assert.equal(Number(r.rows[0].last_event_id), last);
	});

	await check('a named consumer that reconnects with a fresh process gets exactly the missed events', async () => {
		const away = named.cursor;
		await named.disconnect();
		await create(writer);
		const last = await create(writer, ['sys-f']);
		const again = new Consumer({ name: 'node-consumer' });	/* no local state */
		const got = await again.connect();
		assert.equal(again.cursor, last);
		assert.deepEqual(got, await eventsBetween(writer, away, last));
		await again.disconnect();
	});
}

main()
	.catch(bail)
	.finally(() => {
		process.exitCode = summary();
	});
