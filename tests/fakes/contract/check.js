'use strict';
// The tiny assertion helper of the contract checks: each check prints
// what it verified ("ok - ...") or what differed ("not ok - ..."), and
// the process exits non-zero if any check failed.

let failed = 0;
let passed = 0;

function check(what, cond, detail) {
	if (cond) {
		passed++;
		process.stdout.write(`ok - ${what}\n`);
	} else {
		failed++;
		process.stdout.write(`not ok - ${what}` +
		    (detail !== undefined ? `: ${JSON.stringify(detail)}` : '') +
		    '\n');
	}
}

// Runs fn and returns the error it throws (or null), for checks on the
// errors the official client raises.
async function thrown(fn) {
	try {
		await fn();
		return null;
	} catch (e) {
		return e;
	}
}

function waitFor(pred, ms, what) {
	return new Promise((resolve, reject) => {
		const start = Date.now();
		const tick = () => {
			const v = pred();
			if (v)
				return resolve(v);
			if (Date.now() - start > ms)
				return reject(new Error(`timed out waiting ` +
				    `for ${what}`));
			setTimeout(tick, 20);
		};
		tick();
	});
}

function finish(name) {
	process.stdout.write(`${name}: ${passed} passed, ${failed} failed\n`);
	process.exit(failed ? 1 : 0);
}

async function control(base, path, body) {
	const r = await fetch(`${base}/_fake/${path}`, body === undefined ?
	    {} : { method: 'POST', body: JSON.stringify(body) });
	return r.json();
}

module.exports = { check, thrown, waitFor, finish, control };
