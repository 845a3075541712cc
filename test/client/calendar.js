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
 * Series: ical.js expands each series' VEVENT (DTSTART;TZID, DURATION,
 * RRULE, EXDATE, RDATE) with the VTIMEZONE the calendar carries, and its
 * RECURRENCE-ID overrides: the UTC instants are exactly those of
 * preview_series() (rules across the DST changes of Europe/Berlin and
 * America/New_York: starts in the gap and in the overlap, PT3H and P1D
 * windows over a change), and, for a series with an occurrence changed on
 * its own, one deleted and one cancelled, exactly the occurrences that
 * exist as maintenances; no occurrence is a VEVENT of its own; series
 * titles round-trip as one-off titles do.
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
		if (v.hasProperty('recurrence-id'))
			continue;
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

/* ------------------------------------------------------------- series */

/* Rules whose windows cross the DST changes of 2030 (Berlin: 31 March and
 * 27 October; New York: 10 March and 3 November). */
const SERIES = [
	{ key: 'berlin weekly', title: 'Patch night, db; web \\ ✓', rrule: 'FREQ=WEEKLY;BYDAY=SU',
	  timeZone: 'Europe/Berlin', firstStart: '2030-03-03 02:30:00', duration: 'PT3H',
	  exdates: ['2030-04-14 02:30:00'] },
	{ key: 'berlin last sunday', title: 'Monthly; last Sunday, 02:30', rrule: 'FREQ=MONTHLY;BYDAY=-1SU;COUNT=14',
	  timeZone: 'Europe/Berlin', firstStart: '2030-01-27 02:30:00', duration: 'P1D', exdates: [] },
	/* not one rule with BYHOUR=1,2: ical.js drops an instance that BYHOUR
	 * puts in a gap, where RFC 5545 (and the extension) keeps it */
	{ key: 'new york gap', title: 'Emoji 😀 in a series', rrule: 'FREQ=WEEKLY;BYDAY=SU',
	  timeZone: 'America/New_York', firstStart: '2030-02-24 02:30:00', duration: 'PT3H', exdates: [] },
	{ key: 'new york overlap', title: 'Sunday 01:30', rrule: 'FREQ=WEEKLY;BYDAY=SU;INTERVAL=1',
	  timeZone: 'America/New_York', firstStart: '2030-09-01 01:30:00', duration: 'PT3H', exdates: [] },
	{ key: 'new york second sunday', title: 'Second Sunday', rrule: 'FREQ=MONTHLY;BYDAY=2SU;UNTIL=20311231T000000Z',
	  timeZone: 'America/New_York', firstStart: '2030-01-01 01:30:00', duration: 'P1D', exdates: [] },
];
const EXPAND = 40;

/*
 * Local times to instants.  ical.js reads a local time inside a gap with
 * the offset after it and one inside an overlap as the second: RFC 5545
 * section 3.3.5 says the offset from before the gap, and the first.  So the
 * instants are computed here from ical.js's local occurrence times and
 * ical.js's reading of the calendar's VTIMEZONE (its list of changes), by
 * the RFC's rule; ical.js's own instants are checked to differ only there.
 */
const HOUR = 3600 * 1000;
function zoneOffsets(zone, year) {
	const tz = new ICAL.Timezone(zone);
	tz._ensureCoverage(year);
	const changes = tz.changes.map((c) => ({
		at: Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second), offset: c.utcOffset * 1000,
		before: c.prevUtcOffset * 1000 }));
	return (utcMs) => { // the offset in force at an instant
		let offset = changes.length ? changes[0].before : 0;
		for (const c of changes)
			if (c.at <= utcMs)
				offset = c.offset;
		return offset;
	};
}
function localToUtc(localMs, offsetAt) {
	const before = offsetAt(localMs - 25 * HOUR);
	const after = offsetAt(localMs + 25 * HOUR);
	const real = [before, after].filter((o) => offsetAt(localMs - o) === o).map((o) => localMs - o);
	if (real.length === 0) return localMs - before; // the gap: the offset from before it
	return Math.min(...real); // the overlap: the first
}
const localMsOf = (t) => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);

/* The VEVENT of a series and its overrides, expanded by ical.js. */
function expandSeries(text, id, count) {
	const calendar = new ICAL.Component(ICAL.parse(text));
	const mine = calendar.getAllSubcomponents('vevent').filter((v) => v.getFirstPropertyValue('uid') === id);
	const masters = mine.filter((v) => !v.hasProperty('recurrence-id'));
	assert.equal(masters.length, 1, `one VEVENT without RECURRENCE-ID for series ${id}`);
	const tzid = masters[0].getFirstProperty('dtstart').getParameter('tzid');
	const zone = calendar.getAllSubcomponents('vtimezone').find((z) => z.getFirstPropertyValue('tzid') === tzid);
	assert.ok(zone, `the calendar has the VTIMEZONE ${tzid}`);
	const offsetAt = zoneOffsets(zone, 2040);
	const event = new ICAL.Event(masters[0], { strictExceptions: true });
	for (const v of mine.filter((x) => x.hasProperty('recurrence-id')))
		event.relateException(v);
	const duration = masters[0].getFirstPropertyValue('duration');
	const days = duration.weeks * 7 + duration.days;
	const exact = ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000;
	const it = event.iterator();
	const out = [];
	const icaljs = [];
	for (let next = it.next(); next && out.length < count; next = it.next()) {
		const d = event.getOccurrenceDetails(next);
		const own = { startAt: d.startDate.toJSDate().toISOString(), endAt: d.endDate.toJSDate().toISOString() };
		let rfc = own;
		if (d.item === event) { // the rule's window: the RFC's instants
			const local = localMsOf(next);
			rfc = { startAt: new Date(localToUtc(local, offsetAt)).toISOString(),
				endAt: new Date((days ? localToUtc(local + days * 24 * HOUR, offsetAt) : localToUtc(local, offsetAt))
					+ exact).toISOString() };
		}
		out.push({ ...rfc, title: d.item.summary });
		icaljs.push({ ...own, local: next.toString() });
	}
	return { out, icaljs, master: masters[0], overrides: mine.length - 1 };
}

async function preview(db, id, count) {
	const r = await db.query(
		`SELECT to_char(p.start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS "startAt",
		        to_char(p.end_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS "endAt"
		   FROM maintenance.preview_series(id => $1, from_time => '-infinity', count => $2) p`, [id, count]);
	return r.rows;
}

async function createSeries(db, f) {
	const r = await db.query(
		`SELECT id FROM maintenance.create_series(title => $1, system_ids => $2, rrule => $3, time_zone => $4,
		        first_start => $5, duration => $6, exdates => $7, description => $8)`,
		[f.title, f.systems || ['db'], f.rrule, f.timeZone, f.firstStart, f.duration, f.exdates,
			f.description || null]);
	return r.rows[0].id;
}

async function runSeries(db) {
	const ids = {};
	for (const f of SERIES)
		ids[f.key] = await createSeries(db, f);
	const all = (await db.query('SELECT maintenance.calendar() AS text')).rows[0].text;

	for (const f of SERIES) {
		await check(`series ${f.key}: ical.js with the VTIMEZONE gives the instants of preview_series`, async () => {
			const want = await preview(db, ids[f.key], EXPAND);
			const { out, icaljs } = expandSeries(all, ids[f.key], EXPAND);
			assert.ok(want.length >= 14, `${want.length} occurrences previewed`);
			assert.deepEqual(out.map(({ startAt, endAt }) => ({ startAt, endAt })), want);
			/* ical.js's own instants differ only for starts in a gap or an overlap */
			const offsetAt = zoneOffsets(new ICAL.Component(ICAL.parse(all)).getAllSubcomponents('vtimezone')
				.find((z) => z.getFirstPropertyValue('tzid') === f.timeZone), 2040);
			icaljs.forEach((o, i) => {
				if (o.startAt === want[i].startAt)
					return;
				const local = localMsOf(ICAL.Time.fromDateTimeString(o.local));
				const before = offsetAt(local - 25 * HOUR);
				const after = offsetAt(local + 25 * HOUR);
				const real = [before, after].filter((x) => offsetAt(local - x) === x);
				assert.ok(before !== after && new Set(real).size !== 1,
					`ical.js differs at ${o.local}, which is neither in a gap nor in an overlap`);
			});
			if (['berlin weekly', 'new york gap', 'new york overlap'].includes(f.key))
				assert.ok(icaljs.some((o, i) => o.startAt !== want[i].startAt), 'some start is in a gap or an overlap');
		});
	}

	await check('series: the VEVENT has DTSTART;TZID, DURATION, RRULE, EXDATE, SUMMARY, SEQUENCE, CATEGORIES; titles round-trip', async () => {
		for (const f of SERIES) {
			const { master } = expandSeries(all, ids[f.key], 1);
			const dtstart = master.getFirstProperty('dtstart');
			assert.equal(dtstart.getParameter('tzid'), f.timeZone, `${f.key}: TZID`);
			assert.ok(master.getFirstProperty('rrule'), `${f.key}: RRULE`);
			assert.equal(master.getFirstPropertyValue('duration').toString(), f.duration, `${f.key}: DURATION`);
			assert.equal(master.getFirstPropertyValue('summary'), f.title, `${f.key}: SUMMARY`);
			assert.equal(master.getFirstPropertyValue('sequence'), 0, `${f.key}: SEQUENCE`);
			assert.equal(master.getFirstPropertyValue('status'), 'CONFIRMED', `${f.key}: STATUS`);
			assert.deepEqual(master.getAllProperties('categories').flatMap((p) => p.getValues()), ['db']);
			assert.equal(master.getAllProperties('exdate').length, f.exdates.length, `${f.key}: EXDATE`);
		}
		const zones = new ICAL.Component(ICAL.parse(all)).getAllSubcomponents('vtimezone')
			.map((z) => z.getFirstPropertyValue('tzid')).sort();
		assert.deepEqual(zones, ['America/New_York', 'Europe/Berlin']);
	});

	/* Occurrences that exist: a daily series from tomorrow, within the horizon. */
	const r = await db.query(
		`SELECT (current_date + 1)::text || ' 02:30:00' AS first_start`);
	const daily = { key: 'daily', title: 'Daily, with changes; \\ ✓', description: 'first\nsecond',
		rrule: 'FREQ=DAILY;COUNT=10', timeZone: 'Europe/Berlin', firstStart: r.rows[0].first_start,
		duration: 'PT3H', exdates: [], systems: ['db', 'web'] };
	ids.daily = await createSeries(db, daily);
	const occ = (await db.query(
		`SELECT id, start_at FROM maintenance.maintenances WHERE series_id = $1 ORDER BY start_at`, [ids.daily])).rows;
	const movedTitle = 'Moved once, 😀; \\ "quoted"\nsecond line';
	await db.query(`SELECT maintenance.update_maintenance($1, title => $2, start_at => start_at + interval '1 hour',
	                       end_at => end_at + interval '2 hours')
	                  FROM maintenance.maintenances WHERE id = $1`, [occ[2].id, movedTitle]);
	await db.query('SELECT maintenance.delete_maintenance($1)', [occ[4].id]);
	await db.query("SELECT maintenance.add_update($1, 'Not this time', 'cancelled')", [occ[6].id]);
	const text = (await db.query("SELECT maintenance.calendar(ARRAY['web']) AS text")).rows[0].text;

	await check('series with changes: ical.js gives exactly the occurrences that exist (changed at their times, deleted and cancelled absent)', async () => {
		const exist = (await db.query(
			`SELECT to_char(start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS "startAt",
			        to_char(end_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') AS "endAt", title
			   FROM maintenance.maintenances WHERE series_id = $1 AND status <> 'cancelled' ORDER BY start_at`,
			[ids.daily])).rows;
		assert.equal(exist.length, 8);
		const { out, overrides } = expandSeries(text, ids.daily, 100);
		assert.deepEqual(out, exist);
		assert.equal(overrides, 1, 'one override');
		assert.ok(out.some((o) => o.title === movedTitle), 'the override carries its title exactly');
	});

	await check('series: the override replaces its occurrence; no occurrence is a VEVENT of its own', async () => {
		const want = await preview(db, ids.daily, 10);
		const { out } = expandSeries(text, ids.daily, 100);
		const moved = out.find((o) => o.title === movedTitle);
		assert.ok(!out.some((o) => o.startAt === want[2].startAt), 'the original time is gone');
		assert.equal(new Date(moved.startAt) - new Date(want[2].startAt), 3600 * 1000);
		assert.equal(new Date(moved.endAt) - new Date(want[2].endAt), 2 * 3600 * 1000);
		const uids = new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent')
			.map((v) => v.getFirstPropertyValue('uid'));
		for (const o of occ)
			assert.ok(!uids.includes(o.id), `occurrence ${o.id} is not a VEVENT`);
		assert.equal(uids.filter((u) => u === ids.daily).length, 2, 'the series and its override');
	});

	await check('series: a new rule counts in SEQUENCE, overrides keep theirs above it', async () => {
		await db.query("SELECT maintenance.update_series($1, duration => 'PT4H')", [ids.daily]);
		const t = (await db.query("SELECT maintenance.calendar(ARRAY['web']) AS text")).rows[0].text;
		const { master } = expandSeries(t, ids.daily, 1);
		assert.equal(master.getFirstPropertyValue('sequence'), 1);
		const override = new ICAL.Component(ICAL.parse(t)).getAllSubcomponents('vevent')
			.find((v) => v.hasProperty('recurrence-id'));
		assert.ok(override.getFirstPropertyValue('sequence') >= 1);
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
		await runSeries(db);
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
