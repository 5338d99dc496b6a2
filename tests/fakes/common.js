'use strict';
// Pieces every fake server shares: command-line options, reading request
// bodies, JSON answers, the "listening <port>" line tests wait for, and the
// failure injector (the next N calls answer an error, hang, or are cut).
// The fakes bind 127.0.0.1 only: they are for tests on this machine.

const http = require('http');
const crypto = require('crypto');

// Mattermost ids are 26 characters of this base32 alphabet; using it for
// every fake id keeps a C parser's id checks honest.
const ID_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

function newId() {
	const bytes = crypto.randomBytes(26);
	let s = '';
	for (const b of bytes)
		s += ID_ALPHABET[b & 31];
	return s;
}

// --name value and --flag; unknown options are an error so a typo in a
// test script does not silently run with defaults.
function parseArgs(argv, defaults) {
	const opts = { ...defaults };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (!a.startsWith('--'))
			throw new Error(`unexpected argument '${a}'`);
		const key = a.slice(2).replace(/-/g, '_');
		if (!(key in defaults))
			throw new Error(`unknown option '${a}'`);
		if (typeof defaults[key] === 'boolean') {
			opts[key] = true;
			continue;
		}
		if (i + 1 >= argv.length)
			throw new Error(`option '${a}' needs a value`);
		const v = argv[++i];
		opts[key] = typeof defaults[key] === 'number' ? Number(v) : v;
	}
	return opts;
}

// Bodies are capped so a runaway client cannot eat the test machine.
const MAX_BODY = 4 * 1024 * 1024;

function readBody(req) {
	return new Promise((resolve, reject) => {
		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size > MAX_BODY) {
				reject(new Error('body too large'));
				req.destroy();
				return;
			}
			chunks.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		req.on('error', reject);
	});
}

// Returns { ok: true, value } or { ok: false } so callers can answer with
// the server's own "bad body" error rather than a generic one.
function parseJson(text) {
	try {
		return { ok: true, value: JSON.parse(text) };
	} catch (e) {
		return { ok: false, error: e.message };
	}
}

function send(res, status, body, headers = {}) {
	const isText = typeof body === 'string';
	const payload = body === undefined ? '' :
	    (isText ? body : JSON.stringify(body));
	const h = { ...headers };
	if (!('Content-Type' in h) && body !== undefined)
		h['Content-Type'] = isText ? 'text/plain; charset=utf-8' :
		    'application/json';
	h['Content-Length'] = Buffer.byteLength(payload);
	res.writeHead(status, h);
	res.end(payload);
}

// The failure injector.  A rule is { count, status, mode, retry_after,
// reset, path, body }: mode "status" answers with status (and headers
// fitting it), "hang" holds the request open without answering (until the
// client gives up or the fake is reset), "reset" destroys the socket.
// Rules apply in order; each takes `count` matching requests.
class Failures {
	constructor() {
		this.rules = [];
		this.hung = new Set();
	}

	add(rule) {
		const r = {
			count: Number.isInteger(rule.count) && rule.count > 0 ?
			    rule.count : 1,
			status: rule.status || 503,
			mode: rule.mode || 'status',
			retry_after: rule.retry_after,
			reset: rule.reset,
			path: rule.path || '',
			method: rule.method ? String(rule.method).toUpperCase() :
			    '',
			body: rule.body,
		};
		if (!['status', 'hang', 'reset', 'lost'].includes(r.mode))
			throw new Error(`unknown failure mode '${r.mode}'`);
		this.rules.push(r);
		return r;
	}

	// Takes the first rule matching this request, or null.
	take(req, path) {
		for (let i = 0; i < this.rules.length; i++) {
			const r = this.rules[i];
			if (r.path && !path.startsWith(r.path))
				continue;
			if (r.method && r.method !== req.method)
				continue;
			r.count--;
			if (r.count <= 0)
				this.rules.splice(i, 1);
			return r;
		}
		return null;
	}

	hang(req, res) {
		this.hung.add(res);
		res.on('close', () => this.hung.delete(res));
	}

	clear() {
		this.rules = [];
		for (const res of this.hung)
			res.destroy();
		this.hung.clear();
	}
}

// Starts an HTTP server on 127.0.0.1 and prints "listening <port>" once it
// is bound, which is what the test scripts wait for.
function listen(server, port, name) {
	server.listen(port, '127.0.0.1', () => {
		const p = server.address().port;
		process.stdout.write(`listening ${p}\n`);
		process.stderr.write(`${name}: listening on 127.0.0.1:${p}\n`);
	});
	const stop = () => {
		server.close();
		process.exit(0);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	// A test script killed before its cleanup ran would leave the fake
	// behind; exit once the process that started us is gone.
	const parent = process.ppid;
	setInterval(() => {
		if (process.ppid !== parent)
			stop();
	}, 1000).unref();
}

function createServer(handler) {
	return http.createServer((req, res) => {
		Promise.resolve(handler(req, res)).catch((e) => {
			process.stderr.write(`fake: ${req.method} ${req.url}: ` +
			    `${e.stack || e}\n`);
			if (!res.headersSent)
				send(res, 500, { error: String(e.message || e) });
			else
				res.destroy();
		});
	});
}

module.exports = {
	newId, parseArgs, readBody, parseJson, send, Failures, listen,
	createServer,
};
