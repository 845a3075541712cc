'use strict';
/*
 * tap.js — the TAP-like output of the Node.js client tests (a helper, not a
 * test: not executable, so scripts/test.sh skips it).
 *
 *   const tap = require('./tap');
 *   await tap.check('name', async () => { ...assert... });   // "ok N - name" or "not ok N - name"
 *   tap.bail(err);              // a failure outside any check
 *   process.exit(tap.summary()) // "# P passed, F failed"; 0 when all passed
 */

let checks = 0;
let passed = 0;
let failures = 0;

async function check(name, fn, { traceLines = 40 } = {}) {
	checks++;
	try {
		await fn();
		passed++;
		console.log(`ok ${checks} - ${name}`);
	} catch (err) {
		failures++;
		console.log(`not ok ${checks} - ${name}`);
		const text = (err && err.stack) ? err.stack : String(err);
		for (const line of text.split('\n').slice(0, traceLines))
			console.log(`#   ${line}`);
	}
}

function bail(err) {
	failures++;
	console.log(`not ok - ${(err && err.stack) || err}`);
}

/* Print the summary; the exit status: 0 when something passed and nothing failed. */
function summary() {
	console.log(`# ${passed} passed, ${failures} failed`);
	return failures === 0 && checks > 0 ? 0 : 1;
}

module.exports = { check, bail, summary };
