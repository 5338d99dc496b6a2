#!/usr/bin/env node
'use strict';
// A fake Slack (Web API under /api/ and Socket Mode) for pmbot's tests.
// apps.connections.open hands out a single-use ws:// URL on the same port;
// the socket says hello, carries envelopes the test injects through the
// control API, and expects each to be acknowledged within the deadline:
// an unacknowledged events_api envelope is delivered again with
// retry_attempt and retry_reason "timeout", as Slack does.  Web API errors
// are HTTP 200 {"ok":false,...}; 429 only for rate limits.  See README.md.
//
//   node slack.js [--port N] [--app-token T] [--bot-token T]
//
// prints "listening <port>" on stdout once bound to 127.0.0.1.

const crypto = require('crypto');
const { WebSocketServer } = require('ws');
const {
	parseArgs, readBody, parseJson, send, Failures, listen, createServer,
} = require('./common');

const opts = parseArgs(process.argv.slice(2), {
	port: 0,
	app_token: 'xapp-1-A0FAKEAPP1-1-fake',
	bot_token: 'xoxb-fake-bot-token',
	ack_timeout: 3,
	max_retries: 3,
});

const TEAM = { id: 'T0FAKETEAM', domain: 'fake-team', name: 'Fake Team' };
const APP_ID = 'A0FAKEAPP1';
const BOT = { user_id: 'U0FAKEBOT1', bot_id: 'B0FAKEBOT1', name: 'pmbot' };
// Slack allows 40,000 characters of text in chat.postMessage.
const MSG_MAX = 40000;

let state;
const failures = new Failures();
const requestLog = [];
let lastTs = 0;

// ts values are strings "seconds.micro6" and unique per message.
function nextTs() {
	let t = Date.now() * 1000;
	if (t <= lastTs)
		t = lastTs + 1;
	lastTs = t;
	return `${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, '0')}`;
}

function seed() {
	const users = [
		{ id: BOT.user_id, name: BOT.name, is_bot: true, tz: 'UTC' },
		{ id: 'U0HUMAN001', name: 'alice', is_bot: false, tz:
		    'America/Los_Angeles' },
		{ id: 'U0HUMAN002', name: 'bob', is_bot: false, tz:
		    'Europe/Berlin' },
	];
	const channels = ['general', 'ask-experimenter', 'pm', 'twitter',
	    'triage', 'announce'].map((name, i) => ({
		id: `C0FAKE${String(i).padStart(4, '0')}`, name,
		is_private: false, is_member: true,
	}));
	state = {
		users, channels, messages: [], ephemeral: [], acks: [],
		pending: new Map(), tickets: new Set(), sockets: new Set(),
		failedCommands: [], opens: 0, dms: [], responses: [],
	};
}

function userObj(u) {
	return {
		id: u.id, team_id: TEAM.id, name: u.name, deleted: false,
		real_name: u.name, tz: u.tz, tz_offset: 0, is_bot: u.is_bot,
		is_app_user: false, profile: { real_name: u.name,
		    display_name: u.name, email: `${u.name}@example.com` },
	};
}

function channelObj(c) {
	return {
		id: c.id, name: c.name, is_channel: true, is_group: false,
		is_im: false, is_mpim: false, is_private: c.is_private,
		is_archived: false, is_general: c.name === 'general',
		is_member: c.is_member, created: 1449252889,
		creator: 'U0HUMAN001', name_normalized: c.name,
		topic: { value: '', creator: '', last_set: 0 },
		purpose: { value: '', creator: '', last_set: 0 },
	};
}

function resolveChannel(ref) {
	return state.channels.find((c) => c.id === ref || c.name === ref ||
	    `#${c.name}` === ref) || state.dms.find((c) => c.id === ref) ||
	    null;
}

// The app's direct-message channel with a person (chat.postMessage to a
// user id posts there, as Slack does).
function dmChannel(u) {
	let c = state.dms.find((d) => d.user === u.id);
	if (!c) {
		c = { id: `D${u.id.slice(1)}`, name: `@${u.name}`, user: u.id,
		    is_private: true, is_member: true, is_im: true };
		state.dms.push(c);
	}
	return c;
}

function resolveUser(ref) {
	return state.users.find((u) => u.id === ref || u.name === ref ||
	    `@${u.name}` === ref) || null;
}

// Arguments come as JSON (with a charset, or a warning), as a form, or
// in the query string; the token in the header or, for forms, as `token`.
async function readArgs(req, url) {
	const args = Object.fromEntries(url.searchParams);
	const ct = req.headers['content-type'] || '';
	const text = await readBody(req);
	const warnings = [];
	if (text && ct.startsWith('application/json')) {
		if (!/charset=/i.test(ct))
			warnings.push('missing_charset');
		const p = parseJson(text);
		if (!p.ok || typeof p.value !== 'object' || p.value === null)
			return { error: 'invalid_json' };
		Object.assign(args, p.value);
		delete args.token;
	} else if (text) {
		for (const [k, v] of new URLSearchParams(text))
			args[k] = v;
	}
	const h = req.headers.authorization || '';
	const token = /^Bearer /i.test(h) ? h.slice(7).trim() : args.token;
	return { args, token, warnings };
}

function ok(res, body, warnings) {
	const out = { ok: true, ...body };
	if (warnings.length) {
		out.warnings = warnings;
		out.response_metadata = { ...(out.response_metadata || {}),
		    warnings, messages: ['[WARN] A Content-Type HTTP header ' +
		    'was presented but did not declare a charset, such as ' +
		    "a 'utf-8'"] };
	}
	send(res, 200, out, { 'Content-Type':
	    'application/json; charset=utf-8' });
}

function fail(res, error, extra = {}) {
	send(res, 200, { ok: false, error, ...extra }, { 'Content-Type':
	    'application/json; charset=utf-8' });
}

function parseBlocks(v) {
	if (v === undefined)
		return undefined;
	if (typeof v === 'string') {
		const p = parseJson(v);
		return p.ok ? p.value : null;
	}
	return v;
}

function postMessage(res, args, warnings) {
	let ch = resolveChannel(args.channel);
	if (!ch && args.channel && /^[UW]/.test(args.channel) &&
	    resolveUser(args.channel))
		ch = dmChannel(resolveUser(args.channel));
	if (!args.channel || !ch)
		return fail(res, 'channel_not_found');
	if (!ch.is_member)
		return fail(res, 'not_in_channel');
	const blocks = parseBlocks(args.blocks);
	if (blocks === null || (blocks !== undefined && !Array.isArray(blocks)))
		return fail(res, 'invalid_blocks');
	const attachments = parseBlocks(args.attachments);
	if (!args.text && !blocks && !attachments)
		return fail(res, 'no_text');
	if (args.text && String(args.text).length > MSG_MAX)
		return fail(res, 'msg_too_long');
	if (args.thread_ts) {
		const parent = state.messages.find((m) => m.channel === ch.id &&
		    m.ts === String(args.thread_ts));
		if (!parent)
			return fail(res, 'thread_not_found');
		if (parent.thread_ts && parent.thread_ts !== parent.ts)
			return fail(res, 'invalid_thread_ts');
	}
	const ts = nextTs();
	const message = {
		user: BOT.user_id, type: 'message', ts, bot_id: BOT.bot_id,
		app_id: APP_ID, text: args.text || '', team: TEAM.id,
		bot_profile: { id: BOT.bot_id, app_id: APP_ID, name: BOT.name,
		    deleted: false, updated: 1690000000, team_id: TEAM.id },
	};
	if (args.thread_ts)
		message.thread_ts = String(args.thread_ts);
	if (blocks)
		message.blocks = blocks;
	if (attachments)
		message.attachments = attachments;
	state.messages.push({ ...message, channel: ch.id });
	return ok(res, { channel: ch.id, ts, message }, warnings);
}

async function routeApi(req, res, method, url) {
	const r = await readArgs(req, url);
	if (r.error)
		return fail(res, r.error);
	const { args, token, warnings } = r;
	if (method === 'apps.connections.open') {
		// The app-level token, in the header only.
		const h = req.headers.authorization || '';
		if (!/^Bearer /i.test(h))
			return fail(res, 'not_authed');
		if (h.slice(7).trim() !== opts.app_token)
			return fail(res, 'invalid_auth');
		const ticket = crypto.randomUUID();
		state.tickets.add(ticket);
		state.opens++;
		return ok(res, { url: `ws://${req.headers.host}/link/?ticket=` +
		    `${ticket}&app_id=${APP_ID}` }, warnings);
	}
	if (!token)
		return fail(res, 'not_authed');
	if (token !== opts.bot_token)
		return fail(res, 'invalid_auth');
	switch (method) {
	case 'auth.test':
		return ok(res, { url: `https://${TEAM.domain}.slack.com/`,
		    team: TEAM.name, user: BOT.name, team_id: TEAM.id,
		    user_id: BOT.user_id, bot_id: BOT.bot_id,
		    is_enterprise_install: false }, warnings);
	case 'chat.postMessage':
		return postMessage(res, args, warnings);
	case 'chat.postEphemeral': {
		const ch = resolveChannel(args.channel);
		if (!ch)
			return fail(res, 'channel_not_found');
		const u = resolveUser(args.user);
		if (!u)
			return fail(res, 'user_not_in_channel');
		if (!args.text && !args.blocks)
			return fail(res, 'no_text');
		const ts = nextTs();
		state.ephemeral.push({ channel: ch.id, user: u.id, text:
		    args.text || '', blocks: parseBlocks(args.blocks),
		    thread_ts: args.thread_ts, message_ts: ts });
		return ok(res, { message_ts: ts }, warnings);
	}
	case 'chat.update': {
		const m = state.messages.find((x) => x.channel === args.channel &&
		    x.ts === String(args.ts));
		if (!m)
			return fail(res, 'message_not_found');
		if (args.text !== undefined)
			m.text = args.text;
		if (args.blocks !== undefined)
			m.blocks = parseBlocks(args.blocks);
		return ok(res, { channel: m.channel, ts: m.ts, text: m.text },
		    warnings);
	}
	case 'conversations.list': {
		const limit = Math.min(Number(args.limit) || 100, 1000);
		const start = args.cursor ? Number(Buffer.from(args.cursor,
		    'base64').toString()) || 0 : 0;
		const page = state.channels.slice(start, start + limit);
		const next = start + limit < state.channels.length ?
		    Buffer.from(String(start + limit)).toString('base64') : '';
		return ok(res, { channels: page.map(channelObj),
		    response_metadata: { next_cursor: next } }, warnings);
	}
	case 'conversations.info': {
		const ch = resolveChannel(args.channel);
		return ch ? ok(res, { channel: channelObj(ch) }, warnings) :
		    fail(res, 'channel_not_found');
	}
	case 'users.list': {
		const limit = Math.min(Number(args.limit) || 100, 1000);
		const start = args.cursor ? Number(Buffer.from(args.cursor,
		    'base64').toString()) || 0 : 0;
		const page = state.users.slice(start, start + limit);
		const next = start + limit < state.users.length ?
		    Buffer.from(String(start + limit)).toString('base64') : '';
		return ok(res, { members: page.map(userObj),
		    response_metadata: { next_cursor: next } }, warnings);
	}
	case 'users.info': {
		const u = resolveUser(args.user);
		return u ? ok(res, { user: userObj(u) }, warnings) :
		    fail(res, 'user_not_found');
	}
	default:
		return fail(res, 'unknown_method', { req_method: method });
	}
}

// ---------------------------------------------------------------------------
// Socket Mode

function envelopeSend(env) {
	const open = [...state.sockets].filter((ws) => ws.readyState === 1);
	if (open.length === 0)
		return false;
	// Slack gives each payload to one arbitrary open connection.
	open[Math.floor(Math.random() * open.length)].send(
	    JSON.stringify(env));
	return true;
}

// Sends an envelope and watches for its ack; events are redelivered with
// a higher retry_attempt, commands fail as "dispatch_failed".
function deliver(env) {
	const entry = { env, timer: null, sent: process.hrtime.bigint() };
	state.pending.set(env.envelope_id, entry);
	envelopeSend(env);
	entry.timer = setTimeout(() => {
		if (!state.pending.has(env.envelope_id))
			return;
		state.pending.delete(env.envelope_id);
		if (env.type !== 'events_api') {
			state.failedCommands.push({ envelope_id:
			    env.envelope_id, error: 'dispatch_failed' });
			return;
		}
		if (env.retry_attempt >= opts.max_retries)
			return;
		deliver({ ...env, envelope_id: crypto.randomUUID(),
		    retry_attempt: env.retry_attempt + 1,
		    retry_reason: 'timeout' });
	}, opts.ack_timeout * 1000);
}

function onSocketMessage(ws, raw) {
	const p = parseJson(raw.toString('utf8'));
	if (!p.ok || !p.value || typeof p.value.envelope_id !== 'string')
		return;
	const entry = state.pending.get(p.value.envelope_id);
	// latency_ms: from sending the envelope to reading its ack.
	state.acks.push({ envelope_id: p.value.envelope_id, payload:
	    p.value.payload, at: Date.now(), late: !entry,
	    type: entry ? entry.env.type : null, latency_ms: entry ?
	    Number(process.hrtime.bigint() - entry.sent) / 1e6 : null });
	if (entry) {
		clearTimeout(entry.timer);
		state.pending.delete(p.value.envelope_id);
	}
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

function onUpgrade(req, socket, head) {
	const url = new URL(req.url, 'http://127.0.0.1');
	const ticket = url.searchParams.get('ticket');
	// Tickets are single use.
	if (url.pathname !== '/link/' || !ticket || !state.tickets.has(ticket)) {
		socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
		socket.destroy();
		return;
	}
	state.tickets.delete(ticket);
	wss.handleUpgrade(req, socket, head, (ws) => {
		state.sockets.add(ws);
		ws.on('close', () => state.sockets.delete(ws));
		ws.on('error', () => {});
		ws.on('message', (raw) => onSocketMessage(ws, raw));
		ws.send(JSON.stringify({
			type: 'hello', num_connections: state.sockets.size,
			debug_info: { host: 'applink-fake', build_number: 1,
			    approximate_connection_time: url.searchParams.get(
			    'debug_reconnects') === 'true' ? 360 : 18060 },
			connection_info: { app_id: APP_ID },
		}));
	});
}

function eventEnvelope(event) {
	const t = Math.floor(Date.now() / 1000);
	return {
		envelope_id: crypto.randomUUID(), type: 'events_api',
		accepts_response_payload: false, retry_attempt: 0,
		retry_reason: '', payload: {
			token: 'fakeVerificationToken', team_id: TEAM.id,
			api_app_id: APP_ID, event, type: 'event_callback',
			event_id: `Ev${crypto.randomBytes(5).toString('hex')
			    .toUpperCase()}`, event_time: t,
			authorizations: [{ enterprise_id: null, team_id:
			    TEAM.id, user_id: BOT.user_id, is_bot: true,
			    is_enterprise_install: false }],
			is_ext_shared_channel: false, event_context:
			    '1-message-fake',
		},
	};
}

// ---------------------------------------------------------------------------
// Control API

function deliverSlash(req, body) {
	const u = resolveUser(body.user || 'alice');
	const ch = resolveChannel(body.channel || 'general');
	const env = {
		envelope_id: crypto.randomUUID(), type: 'slash_commands',
		accepts_response_payload: true, payload: {
			token: 'fakeVerificationToken', team_id: TEAM.id,
			team_domain: TEAM.domain, channel_id: ch.id,
			channel_name: ch.name, user_id: u.id, user_name: u.name,
			command: body.command || '/pm', text:
			    String(body.text || ''), api_app_id: APP_ID,
			is_enterprise_install: 'false', response_url:
			    `http://${req.headers.host}/_fake/response/` +
			    crypto.randomUUID(), trigger_id: `${Date.now()}.1.` +
			    crypto.randomBytes(8).toString('hex'),
		},
	};
	deliver(env);
	return env;
}

async function routeControl(req, res, path) {
	let body = {};
	if (req.method === 'POST') {
		const text = await readBody(req);
		if (text) {
			const p = parseJson(text);
			if (!p.ok)
				return send(res, 400, { error: 'invalid JSON' });
			body = p.value || {};
		}
	}
	switch (`${req.method} ${path}`) {
	case 'GET /_fake/state':
		return send(res, 200, { team: TEAM, bot: BOT, app_id: APP_ID,
		    app_token: opts.app_token, bot_token: opts.bot_token,
		    users: state.users, channels: state.channels,
		    connections: state.sockets.size, opens: state.opens });
	case 'POST /_fake/message': {
		// A person's message; `mention: true` makes it an
		// app_mention (no channel_type), as Slack sends both kinds.
		const u = resolveUser(body.user || 'alice');
		const ch = body.channel_type === 'im' && u ? dmChannel(u) :
		    resolveChannel(body.channel || 'general');
		if (!u || !ch)
			return send(res, 400, { error: 'unknown user or channel' });
		const ts = nextTs();
		const event = { client_msg_id: crypto.randomUUID(), type:
		    body.mention ? 'app_mention' : 'message', text:
		    String(body.text || ''), user: u.id, ts, team: TEAM.id,
		    channel: ch.id, event_ts: ts };
		if (!body.mention)
			event.channel_type = body.channel_type || 'channel';
		if (body.thread_ts)
			event.thread_ts = body.thread_ts;
		state.messages.push({ ...event, channel: ch.id });
		const env = eventEnvelope(event);
		deliver(env);
		return send(res, 200, { envelope_id: env.envelope_id,
		    event_id: env.payload.event_id, ts });
	}
	case 'POST /_fake/burst': {
		// count slash commands at once (ack latency under load).
		const ids = [];
		for (let i = 0; i < Math.min(Number(body.count) || 1, 100000);
		    i++)
			ids.push(deliverSlash(req, body).envelope_id);
		return send(res, 200, { envelope_ids: ids });
	}
	case 'POST /_fake/slash': {
		const u = resolveUser(body.user || 'alice');
		const ch = resolveChannel(body.channel || 'general');
		if (!u || !ch)
			return send(res, 400, { error: 'unknown user or channel' });
		const env = {
			envelope_id: crypto.randomUUID(), type: 'slash_commands',
			accepts_response_payload: true, payload: {
				token: 'fakeVerificationToken', team_id: TEAM.id,
				team_domain: TEAM.domain, channel_id: ch.id,
				channel_name: ch.name, user_id: u.id,
				user_name: u.name, command: body.command ||
				    '/pm', text: String(body.text || ''),
				api_app_id: APP_ID, is_enterprise_install:
				    'false', response_url:
				    `http://${req.headers.host}/_fake/response/` +
				    crypto.randomUUID(), trigger_id:
				    `${Date.now()}.1.${crypto.randomBytes(8)
				    .toString('hex')}`,
			},
		};
		deliver(env);
		return send(res, 200, { envelope_id: env.envelope_id });
	}
	case 'POST /_fake/envelope': {
		const env = { envelope_id: crypto.randomUUID(), ...body };
		deliver(env);
		return send(res, 200, { envelope_id: env.envelope_id });
	}
	case 'POST /_fake/disconnect': {
		// Sends a disconnect frame; the socket is closed after
		// close_after_ms unless the client closes it first.
		const reason = body.reason || 'refresh_requested';
		const n = state.sockets.size;
		for (const ws of state.sockets) {
			ws.send(JSON.stringify({ type: 'disconnect', reason,
			    debug_info: { host: 'applink-fake' } }));
			if (body.close_after_ms !== undefined)
				setTimeout(() => ws.terminate(),
				    body.close_after_ms);
		}
		return send(res, 200, { sent: n });
	}
	case 'POST /_fake/drop': {
		const n = state.sockets.size;
		for (const ws of state.sockets)
			ws.terminate();
		return send(res, 200, { dropped: n });
	}
	case 'GET /_fake/acks':
		return send(res, 200, state.acks);
	case 'GET /_fake/messages':
		return send(res, 200, state.messages);
	case 'GET /_fake/ephemeral':
		return send(res, 200, state.ephemeral);
	case 'GET /_fake/responses':
		return send(res, 200, state.responses);
	case 'GET /_fake/failed':
		return send(res, 200, state.failedCommands);
	case 'GET /_fake/requests':
		return send(res, 200, requestLog);
	case 'POST /_fake/fail':
		try {
			return send(res, 200, { queued: failures.add(body) });
		} catch (e) {
			return send(res, 400, { error: e.message });
		}
	case 'POST /_fake/reset':
		for (const ws of state.sockets)
			ws.terminate();
		for (const e of state.pending.values())
			clearTimeout(e.timer);
		failures.clear();
		requestLog.length = 0;
		seed();
		return send(res, 200, { ok: true });
	default:
		if (path.startsWith('/_fake/response/') && req.method === 'POST') {
			// A reply through a slash command's response_url.
			state.responses.push({ id: path.slice(16), at: Date.now(),
			    body: body });
			return send(res, 200, 'ok');
		}
		return send(res, 404, { error: `no control route ${path}` });
	}
}

async function handle(req, res) {
	const url = new URL(req.url, 'http://127.0.0.1');
	const path = url.pathname;
	if (path.startsWith('/_fake/'))
		return routeControl(req, res, path);
	const m = /^\/api\/([A-Za-z.]+)$/.exec(path);
	const entry = { at: Date.now(), method: m ? m[1] : path, status: 0 };
	requestLog.push(entry);
	if (requestLog.length > 1000)
		requestLog.shift();
	res.on('finish', () => {
		entry.status = res.statusCode;
	});
	if (!m)
		return send(res, 404, 'Not Found');
	const rule = failures.take(req, path);
	if (rule) {
		if (rule.mode === 'hang')
			return failures.hang(req, res);
		if (rule.mode === 'reset')
			return req.socket.destroy();
		const headers = { 'Content-Type':
		    'application/json; charset=utf-8' };
		if (rule.status === 429 || rule.retry_after !== undefined)
			headers['Retry-After'] = String(rule.retry_after !==
			    undefined ? rule.retry_after : 30);
		return send(res, rule.status, rule.body || { ok: false, error:
		    rule.status === 429 ? 'ratelimited' : 'fatal_error' },
		    headers);
	}
	return routeApi(req, res, m[1], url);
}

seed();
const server = createServer(handle);
server.on('upgrade', onUpgrade);
listen(server, opts.port, 'slack');
