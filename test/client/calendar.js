#!/usr/bin/env node
'use strict';
/*
 * calendar.js — maintenance.calendar() and rpc('getCalendar') read by an
 * independent iCalendar parser (ical.js from npm, the one of Mozilla's
 * calendar), as a calendar application subscribing to the feed would.
 *
 * Checked: the text is RFC 5545 on the wire (every line ends in CRLF, no
 * line is longer than 75 octets, folding never splits a UTF-8 character);
 * VCALENDAR has PRODID, VERSION:2.0, CALSCALE:GREGORIAN; every maintenance
 * of the asked systems that overlaps [from, to) is one VEVENT, and no
 * other, with its UID, DTSTART/DTEND in UTC, STATUS, SEQUENCE (how many
 * times its start or end changed), LAST-MODIFIED and CATEGORIES; titles and
 * descriptions with commas, semicolons, backslashes, newlines, emoji and a
 * 200-character word come back exactly; getCalendar gives the same text.
 *
 * Usage: node calendar.js   (PGHOST, PGPORT, PGUSER from the environment;
 * creates and drops the database CALENDAR_DB, default calendar_test).
 * Prints "ok N - ..." / "not ok N - ..." and a summary; exits 1 on failure.
 */
const assert = require('node:assert/strict');

let Client;
let ICAL;
try {
	({ Client } = require('pg'));
	ICAL = require('ical.js');
} catch (err) {
	console.log(`not ok - a node module is missing (${err.message}): run "npm ci" in test/client`);
	console.log('# 0 passed, 1 failed');
	process.exit(1);
}

const DB = process.env.CALENDAR_DB || 'calendar_test';

let checks = 0;
let failures = 0;

async function check(name, fn) {
	checks++;
	try {
		await fn();
		console.log(`ok ${checks} - ${name}`);
	} catch (err) {
		failures++;
		console.log(`not ok ${checks} - ${name}`);
		const text = (err && err.stack) ? err.stack : String(err);
		for (const line of text.split('\n').slice(0, 30))
			console.log(`#   ${line}`);
	}
}

/* Untrusted text that must come back exactly. */
const WORD = 'W'.repeat(200);
const FIXTURES = [
	{ key: 'plain', title: 'Database upgrade', description: null,
	  start: '2030-01-01T10:00:00.000Z', end: '2030-01-01T12:00:00.000Z', systems: ['db', 'web'] },
	{ key: 'punctuation', title: 'a, b; c \\ d \\, e \\; f \\n not a newline',
	  description: 'commas, semicolons; backslashes \\ \\\\ and "quotes"',
	  start: '2030-01-02T10:00:00.000Z', end: '2030-01-02T11:00:00.000Z', systems: ['db'] },
	{ key: 'lines', title: 'Emoji 😀🛠️ and ünïcödé ✓',
	  description: `first line\nsecond line\n\n${'😀'.repeat(40)}\n${WORD}\nend`,
	  start: '2030-01-03T10:00:00.000Z', end: '2030-01-03T11:30:00.000Z', systems: ['web'] },
	{ key: 'long word', title: WORD, description: `${WORD} ${WORD}`,
	  start: '2030-01-04T10:00:00.000Z', end: '2030-01-04T11:00:00.000Z', systems: ['db', 'cache'] },
	{ key: 'cancelled', title: 'Called off', description: null,
	  start: '2030-01-05T10:00:00.000Z', end: '2030-01-05T11:00:00.000Z', systems: ['web'] },
	{ key: 'moved', title: 'Moved twice', description: 'start moved, then end moved',
	  start: '2030-01-06T10:00:00.000Z', end: '2030-01-06T11:00:00.000Z', systems: ['db'] },
	{ key: 'other system', title: 'Not asked', description: null,
	  start: '2030-01-02T00:00:00.000Z', end: '2030-01-02T01:00:00.000Z', systems: ['mail'] },
	{ key: 'too late', title: 'After the range', description: null,
	  start: '2030-03-01T00:00:00.000Z', end: '2030-03-01T01:00:00.000Z', systems: ['db'] },
];

async function setUp(db) {
	const ids = {};
	for (const f of FIXTURES) {
		const r = await db.query(
			`SELECT id FROM maintenance.create_maintenance(title => $1, description => $2,
			        start_at => $3, end_at => $4, system_ids => $5)`,
			[f.title, f.description, f.start, f.end, f.systems]);
		ids[f.key] = r.rows[0].id;
	}
	await db.query("SELECT maintenance.add_update($1, 'Called off', 'cancelled')", [ids.cancelled]);
	/* two changes of the schedule, and one change that is not one */
	await db.query('SELECT maintenance.update_maintenance($1, start_at => $2)',
		[ids.moved, '2030-01-06T09:00:00.000Z']);
	await db.query('SELECT maintenance.update_maintenance($1, end_at => $2)',
		[ids.moved, '2030-01-06T12:00:00.000Z']);
	await db.query("SELECT maintenance.update_maintenance($1, title => 'Moved twice', start_at => $2)",
		[ids.moved, '2030-01-06T09:00:00.000Z']);
	FIXTURES.find((f) => f.key === 'moved').start = '2030-01-06T09:00:00.000Z';
	FIXTURES.find((f) => f.key === 'moved').end = '2030-01-06T12:00:00.000Z';
	return ids;
}

/* The VEVENTs of a calendar text, by UID. */
function eventsOf(text) {
	const calendar = new ICAL.Component(ICAL.parse(text));
	const events = new Map();
	for (const v of calendar.getAllSubcomponents('vevent')) {
		const uid = v.getFirstPropertyValue('uid');
		assert.ok(!events.has(uid), `UID ${uid} appears twice`);
		events.set(uid, v);
	}
	return { calendar, events };
}

function utc(v, name) {
	const prop = v.getFirstProperty(name);
	const t = prop.getFirstValue();
	assert.ok(t.isDate === false && t.zone === ICAL.Timezone.utcTimezone, `${name} is a UTC DATE-TIME`);
	return t.toJSDate().toISOString();
}

async function run(db) {
	const ids = await setUp(db);
	const asked = FIXTURES.filter((f) => !['other system', 'too late'].includes(f.key));
	const r = await db.query(
		"SELECT maintenance.calendar(ARRAY['db', 'web'], '2030-01-01T00:00:00Z', '2030-02-01T00:00:00Z') AS text");
	const text = r.rows[0].text;

	await check('every line ends in CRLF, at most 75 octets, folded between UTF-8 characters', async () => {
		assert.ok(text.endsWith('\r\n'));
		const lines = text.slice(0, -2).split('\r\n');
		for (const line of lines) {
			assert.ok(!line.includes('\n') && !line.includes('\r'), `a bare line end in ${JSON.stringify(line)}`);
			assert.ok(Buffer.byteLength(line, 'utf8') <= 75, `a line of ${Buffer.byteLength(line)} octets`);
			assert.ok(!line.includes('\uFFFD'), 'a UTF-8 character split by folding');
		}
		assert.ok(lines.some((l) => l.startsWith(' ')), 'some line is folded');
	});

	const { calendar, events } = eventsOf(text);

	await check('VCALENDAR with PRODID, VERSION:2.0, CALSCALE:GREGORIAN', async () => {
		assert.equal(calendar.name, 'vcalendar');
		assert.ok(calendar.getFirstPropertyValue('prodid'));
		assert.equal(calendar.getFirstPropertyValue('version'), '2.0');
		assert.equal(calendar.getFirstPropertyValue('calscale'), 'GREGORIAN');
	});

	await check('one VEVENT per maintenance of the asked systems in the range, and no other', async () => {
		assert.deepEqual([...events.keys()].sort(), asked.map((f) => ids[f.key]).sort());
	});

	await check('times, status, sequence, last-modified and categories as in the database', async () => {
		const rows = await db.query(
			`SELECT id, status, schedule_changes, system_ids,
			        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS modified
			   FROM maintenance.maintenances`);
		const byId = new Map(rows.rows.map((x) => [x.id, x]));
		for (const f of asked) {
			const v = events.get(ids[f.key]);
			const row = byId.get(ids[f.key]);
			assert.equal(utc(v, 'dtstart'), f.start, `${f.key}: DTSTART`);
			assert.equal(utc(v, 'dtend'), f.end, `${f.key}: DTEND`);
			assert.equal(v.getFirstPropertyValue('status'),
				f.key === 'cancelled' ? 'CANCELLED' : 'CONFIRMED', `${f.key}: STATUS`);
			assert.equal(v.getFirstPropertyValue('sequence'), row.schedule_changes, `${f.key}: SEQUENCE`);
			assert.equal(utc(v, 'last-modified'), row.modified, `${f.key}: LAST-MODIFIED`);
			assert.equal(utc(v, 'dtstamp'), row.modified, `${f.key}: DTSTAMP`);
			const categories = v.getAllProperties('categories').flatMap((p) => p.getValues());
			assert.deepEqual(categories, row.system_ids, `${f.key}: CATEGORIES`);
		}
		assert.equal(events.get(ids.moved).getFirstPropertyValue('sequence'), 2, 'moved: two schedule changes');
		assert.equal(events.get(ids.plain).getFirstPropertyValue('sequence'), 0, 'plain: none');
	});

	await check('titles and descriptions round-trip exactly (commas, semicolons, backslashes, newlines, emoji, long words)', async () => {
		for (const f of asked) {
			const v = events.get(ids[f.key]);
			assert.equal(v.getFirstPropertyValue('summary'), f.title, `${f.key}: SUMMARY`);
			if (f.description === null)
				assert.equal(v.getFirstProperty('description'), null, `${f.key}: no DESCRIPTION`);
			else
				assert.equal(v.getFirstPropertyValue('description'), f.description, `${f.key}: DESCRIPTION`);
		}
	});

	await check('all systems, no range: every maintenance', async () => {
		const all = await db.query('SELECT maintenance.calendar() AS text');
		assert.deepEqual([...eventsOf(all.rows[0].text).events.keys()].sort(), Object.values(ids).sort());
	});

	await check("rpc('getCalendar') gives the same calendar", async () => {
		const j = await db.query(
			`SELECT maintenance.rpc('getCalendar', '{"systemIds": ["db", "web"],
			        "from": "2030-01-01T00:00:00Z", "to": "2030-02-01T00:00:00.000+00:00"}') AS result`);
		assert.deepEqual(Object.keys(j.rows[0].result), ['calendar']);
		assert.equal(j.rows[0].result.calendar, text);
	});
}

async function main() {
	const admin = new Client({ database: 'postgres' });
	await admin.connect();
	let db = null;
	try {
		await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
		await admin.query(`CREATE DATABASE ${DB} TEMPLATE template0 ENCODING 'UTF8'`);
		db = new Client({ database: DB });
		await db.connect();
		await db.query('SET client_min_messages = warning');
		await db.query('CREATE EXTENSION maintenance');
		await run(db);
	} finally {
		if (db)
			await db.end().catch(() => {});
		await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch((err) => {
			console.log(`# could not drop database ${DB}: ${err.message}`);
		});
		await admin.end();
	}
}

main()
	.catch((err) => {
		failures++;
		console.log(`not ok - ${err.message}`);
	})
	.finally(() => {
		console.log(`# ${checks - failures} passed, ${failures} failed`);
		process.exitCode = failures === 0 ? 0 : 1;
	});
