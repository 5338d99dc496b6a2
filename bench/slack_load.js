#!/usr/bin/env node
'use strict';
// The load side of bench/run: a small Slack (the Web API methods a bot
// calls at start and to post, and Socket Mode) that also drives the
// workload itself, so that sending an envelope, reading its ack and
// seeing the resulting chat.postMessage are all timed by one clock in
// one process.  Both bots of a run (pmbot and the @slack/bolt peer) are
// pointed at the same instance, one after the other.
//
// tests/fakes/slack.js is the fake the scenarios check behaviour
// against; this one keeps only what the bench needs, with a window of
// unanswered envelopes instead of an all-at-once burst, and records as
// little as it can per envelope so that the fake's own CPU limits the
// run as late as possible.  It reports its CPU time so a reader can see
// when it did anyway.
//
//   node bench/slack_load.js [--port N] [--users N] [--briefs N]
//
// prints "listening <port>"; binds 127.0.0.1 only.  Control:
//   GET  /_bench/state            {connections, users_listed}
//   POST /_bench/run {mode, n, window, timeout_s}
//        mode "slash": /brief <slug> slash commands, answered in the ack
//        mode "dm":    "brief <slug>" direct messages, acked on arrival
//                      and answered with one chat.postMessage
//        answers when every envelope was answered or at the timeout,
//        with the measurements.
//   POST /_bench/drop             cuts every socket

const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = require(path.join(__dirname,
    '../tests/fakes/node_modules/ws'));

const opts = { port: 0, users: 10000, briefs: 10000,
    app_token: 'xapp-1-A0BENCHAPP-1-bench', bot_token: 'xoxb-bench' };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i].replace(/^--/, '').replace(/-/g, '_');
	if (!(k in opts))
		throw new Error(`unknown option ${process.argv[i]}`);
	opts[k] = typeof opts[k] === 'number' ? Number(process.argv[i + 1]) :
	    process.argv[i + 1];
}

const TEAM = 'T0BENCHTM1';
const BOT_USER = 'U0BENCHBOT';
const BOT_ID = 'B0BENCHBOT';
const pad = (i, n) => String(i).padStart(n, '0');
const userId = (i) => `U${pad(i, 9)}`;
const dmId = (i) => `D${pad(i, 9)}`;
const CHANNELS = ['general', 'pm', 'ask-experimenter', 'twitter', 'triage',
    'announce'].map((name, i) => ({ id: `C0BENCH${pad(i, 3)}`, name }));

const sockets = new Set();
let usersListed = false;
let run = null; // the workload in progress

function json(res, status, body) {
	const s = JSON.stringify(body);
	res.writeHead(status, { 'Content-Type':
	    'application/json; charset=utf-8', 'Content-Length':
	    Buffer.byteLength(s) });
	res.end(s);
}

function readBody(req) {
	return new Promise((resolve) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks).toString()));
	});
}

function userObj(i) {
	return { id: userId(i), team_id: TEAM, name: `user${i}`,
	    deleted: false, is_bot: false, tz: 'UTC', tz_offset: 0,
	    profile: { display_name: `user${i}`, real_name: `user${i}` } };
}

// A post answers the oldest unanswered envelope of its channel (both
// bots keep a channel's posts in order).
function onPost(args) {
	if (!run || run.mode !== 'dm')
		return;
	const q = run.byChannel.get(args.channel);
	if (!q || q.length === 0) {
		run.stray++;
		return;
	}
	const k = q.shift();
	const now = process.hrtime.bigint();
	run.postLat.push(Number(now - run.sent[k]) / 1e6);
	// The card names the slug (in its text or its blocks).
	if (JSON.stringify(args).includes(run.slugs[k]))
		run.good++;
	run.answered++;
	slotFree();
}

async function api(req, res, method, url) {
	const text = await readBody(req);
	let args = Object.fromEntries(url.searchParams);
	const ct = req.headers['content-type'] || '';
	if (text && ct.startsWith('application/json'))
		Object.assign(args, JSON.parse(text));
	else if (text)
		for (const [k, v] of new URLSearchParams(text))
			args[k] = v;
	switch (method) {
	case 'apps.connections.open':
		return json(res, 200, { ok: true, url:
		    `ws://127.0.0.1:${server.address().port}/link/` });
	case 'auth.test':
		return json(res, 200, { ok: true, url: 'https://bench.slack.com/',
		    team: 'bench', user: 'pmbot', team_id: TEAM, user_id:
		    BOT_USER, bot_id: BOT_ID, is_enterprise_install: false });
	case 'conversations.list':
		return json(res, 200, { ok: true, channels: CHANNELS.map((c) =>
		    ({ id: c.id, name: c.name, is_channel: true,
		    is_member: true, is_private: false, is_archived: false })),
		    response_metadata: { next_cursor: '' } });
	case 'users.list': {
		const limit = Math.min(Number(args.limit) || 100, 1000);
		const start = Number(args.cursor || 0) || 0;
		const members = [];
		for (let i = start; i < Math.min(start + limit, opts.users); i++)
			members.push(userObj(i));
		if (start === 0)
			members.unshift({ id: BOT_USER, name: 'pmbot',
			    is_bot: true, deleted: false, tz: 'UTC' });
		const next = start + limit < opts.users ?
		    String(start + limit) : '';
		if (!next)
			usersListed = true;
		return json(res, 200, { ok: true, members,
		    response_metadata: { next_cursor: next } });
	}
	case 'users.info': {
		const m = /^U(\d{9})$/.exec(args.user || '');
		if (!m)
			return json(res, 200, { ok: false, error:
			    'user_not_found' });
		return json(res, 200, { ok: true, user: userObj(Number(m[1])) });
	}
	case 'chat.postMessage': {
		onPost(args);
		const ts = `${Math.floor(Date.now() / 1000)}.${pad(
		    Math.floor(Math.random() * 1e6), 6)}`;
		return json(res, 200, { ok: true, channel: args.channel, ts,
		    message: { type: 'message', user: BOT_USER, bot_id: BOT_ID,
		    text: args.text || '', ts } });
	}
	case 'chat.postEphemeral':
		if (run)
			run.ephemeral++;
		return json(res, 200, { ok: true, message_ts: '1.000001' });
	default:
		return json(res, 200, { ok: false, error: 'unknown_method' });
	}
}

// --- the workload ----------------------------------------------------------

function slashEnvelope(id, k, slug, u) {
	return `{"envelope_id":"${id}","type":"slash_commands",` +
	    '"accepts_response_payload":true,"payload":{"token":"bench",' +
	    `"team_id":"${TEAM}","team_domain":"bench","channel_id":` +
	    `"${CHANNELS[0].id}","channel_name":"general","user_id":` +
	    `"${userId(u)}","user_name":"user${u}","command":"/brief",` +
	    `"text":"${slug}","api_app_id":"A0BENCHAPP","response_url":` +
	    `"http://127.0.0.1:${server.address().port}/_bench/response/${k}",` +
	    `"trigger_id":"${k}.1.bench"}}`;
}

function dmEnvelope(id, k, slug, u) {
	const ts = `1700000000.${pad(k, 6)}`;
	return `{"envelope_id":"${id}","type":"events_api",` +
	    '"accepts_response_payload":false,"retry_attempt":0,' +
	    '"retry_reason":"","payload":{"token":"bench","team_id":' +
	    `"${TEAM}","api_app_id":"A0BENCHAPP","type":"event_callback",` +
	    `"event_id":"Ev${run.tag}${pad(k, 8)}","event_time":1700000000,` +
	    '"event":{"type":"message","channel_type":"im","user":' +
	    `"${userId(u)}","text":"brief ${slug}","ts":"${ts}",` +
	    `"event_ts":"${ts}","channel":"${dmId(u)}","team":"${TEAM}"}}}`;
}

function sendNext() {
	const k = run.next++;
	const u = k % opts.users;
	const slug = `exp-${pad(k % opts.briefs, 5)}`;
	const id = `${run.tag}-${k}`;
	const ws = run.ws[k % run.ws.length];
	run.slugs[k] = slug;
	run.inflight++;
	if (run.mode === 'dm') {
		const ch = dmId(u);
		let q = run.byChannel.get(ch);
		if (!q)
			run.byChannel.set(ch, q = []);
		q.push(k);
	}
	run.sent[k] = process.hrtime.bigint();
	ws.send(run.mode === 'slash' ? slashEnvelope(id, k, slug, u) :
	    dmEnvelope(id, k, slug, u));
}

function slotFree() {
	run.inflight--;
	while (run.inflight < run.window && run.next < run.n)
		sendNext();
	if (run.answered >= run.n)
		finish(false);
}

function onAck(raw) {
	if (!run)
		return;
	const now = process.hrtime.bigint();
	let a;
	try {
		a = JSON.parse(raw);
	} catch (e) {
		run.badAcks++;
		return;
	}
	const k = Number(String(a.envelope_id).split('-')[1]);
	if (!(k >= 0 && k < run.next) || run.acked[k]) {
		run.badAcks++;
		return;
	}
	run.acked[k] = 1;
	run.nacked++;
	run.ackLat.push(Number(now - run.sent[k]) / 1e6);
	if (run.mode !== 'slash')
		return;
	// The answer rides in the ack: the card names the slug.
	const p = a.payload;
	if (p && JSON.stringify(p).includes(run.slugs[k]))
		run.good++;
	run.answered++;
	slotFree();
}

function q(a, p) {
	if (a.length === 0)
		return null;
	return a[Math.min(a.length - 1, Math.floor(p * a.length))];
}

function finish(timedOut) {
	const r = run;
	run = null;
	clearTimeout(r.timer);
	const wall = Number(process.hrtime.bigint() - r.t0) / 1e9;
	const cpu = process.cpuUsage(r.cpu0);
	r.ackLat.sort((x, y) => x - y);
	r.postLat.sort((x, y) => x - y);
	const round = (x) => x === null ? null : Math.round(x * 100) / 100;
	json(r.res, 200, {
		mode: r.mode, n: r.n, window: r.window, sent: r.next,
		acked: r.nacked, answered: r.answered, good: r.good,
		timed_out: timedOut, wall_s: round(wall),
		envelopes_per_s: round(r.answered / wall),
		ack_p50_ms: round(q(r.ackLat, 0.5)),
		ack_p99_ms: round(q(r.ackLat, 0.99)),
		post_p50_ms: round(q(r.postLat, 0.5)),
		post_p99_ms: round(q(r.postLat, 0.99)),
		stray_posts: r.stray, ephemeral: r.ephemeral,
		bad_acks: r.badAcks,
		fake_cpu_s: round((cpu.user + cpu.system) / 1e6),
	});
}

function startRun(res, body) {
	const open = [...sockets].filter((w) => w.readyState === 1);
	if (run)
		return json(res, 409, { error: 'a run is in progress' });
	if (open.length === 0)
		return json(res, 409, { error: 'no Socket Mode connection' });
	const n = Number(body.n) || 200;
	run = {
		mode: body.mode === 'dm' ? 'dm' : 'slash', n,
		window: Number(body.window) || 100, ws: open, res,
		tag: crypto.randomBytes(4).toString('hex'), next: 0,
		inflight: 0, nacked: 0, answered: 0, good: 0, stray: 0,
		ephemeral: 0, badAcks: 0, sent: new Array(n),
		acked: new Uint8Array(n), slugs: new Array(n), ackLat: [],
		postLat: [], byChannel: new Map(),
		t0: process.hrtime.bigint(), cpu0: process.cpuUsage(),
	};
	run.timer = setTimeout(() => finish(true),
	    (Number(body.timeout_s) || 60) * 1000);
	while (run && run.inflight < run.window && run.next < run.n)
		sendNext();
}

// --- the server --------------------------------------------------------------

const server = http.createServer(async (req, res) => {
	const url = new URL(req.url, 'http://127.0.0.1');
	const m = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname);
	if (m)
		return api(req, res, m[1], url);
	if (req.method === 'GET' && url.pathname === '/_bench/state')
		return json(res, 200, { connections: [...sockets].filter((w) =>
		    w.readyState === 1).length, users_listed: usersListed });
	if (req.method === 'POST' && url.pathname === '/_bench/run')
		return startRun(res, JSON.parse(await readBody(req) || '{}'));
	if (req.method === 'POST' && url.pathname === '/_bench/drop') {
		for (const w of sockets)
			w.terminate();
		usersListed = false;
		return json(res, 200, { ok: true });
	}
	if (req.method === 'POST' && url.pathname.startsWith('/_bench/response/')) {
		await readBody(req);
		return json(res, 200, { ok: true });
	}
	json(res, 404, { error: 'not found' });
});

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
	wss.handleUpgrade(req, socket, head, (ws) => {
		sockets.add(ws);
		ws.on('close', () => sockets.delete(ws));
		ws.on('error', () => {});
		ws.on('message', onAck);
		ws.send(JSON.stringify({ type: 'hello', num_connections:
		    sockets.size, debug_info: { host: 'bench',
		    approximate_connection_time: 18060 },
		    connection_info: { app_id: 'A0BENCHAPP' } }));
	});
});
server.keepAliveTimeout = 60000;
server.listen(opts.port, '127.0.0.1', () => {
	console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
