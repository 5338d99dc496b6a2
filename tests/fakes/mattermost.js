#!/usr/bin/env node
'use strict';
// A fake Mattermost server (REST API v4 and the /api/v4/websocket event
// stream on one port) for pmbot's integration tests.  It keeps users,
// teams, channels, posts and slash commands in memory, answers with the
// status codes and error bodies of the real server, and has a control API
// under /_fake/ that lets a test inject posts, drop WebSocket connections,
// make the next calls fail, and read back what the bot posted.  See
// README.md beside this file.
//
//   node mattermost.js [--port N] [--token T] [--team NAME]
//
// prints "listening <port>" on stdout once bound to 127.0.0.1.

const { WebSocketServer } = require('ws');
const {
	newId, parseArgs, readBody, parseJson, send, Failures, listen,
	createServer,
} = require('./common');

const opts = parseArgs(process.argv.slice(2), {
	port: 0,
	token: 'pmbot-token',
	team: 'pm',
	version: '10.5.0',
	ping_interval: 60,
	pong_wait: 100,
	auth_timeout: 5,
	resume_window: 300,
});

// Limits of the real server that a client must respect.
const POST_MESSAGE_MAX_RUNES = 16383;
const WS_MAX_CLIENT_FRAME = 8192;
const DEAD_QUEUE_SIZE = 128;
const PENDING_POST_TTL_MS = 30 * 1000;
const COMMAND_TRIGGER_MAX = 128;
const COMMAND_URL_MAX = 1024;
const RESPONSE_URL_USES = 5;

const VERSION_ID = `${opts.version}.1.fakehash.false`;

// ---------------------------------------------------------------------------
// State

let state;
const failures = new Failures();
const requestLog = [];
let lastTime = 0;

// Timestamps are strictly increasing so that ?since= is deterministic even
// when two posts land in the same millisecond.
function now() {
	let t = Date.now();
	if (t <= lastTime)
		t = lastTime + 1;
	lastTime = t;
	return t;
}

function makeUser(username, extra = {}) {
	const t = now();
	return {
		id: newId(), create_at: t, update_at: t, delete_at: 0,
		username, auth_service: '', email: `${username}@localhost`,
		nickname: '', first_name: extra.first_name || username,
		last_name: '', position: '', roles: extra.roles ||
		    'system_user', locale: 'en',
		timezone: {
			automaticTimezone: '', manualTimezone:
			    extra.timezone || '',
			useAutomaticTimezone: extra.timezone ? 'false' : 'true',
		},
		is_bot: !!extra.is_bot,
		bot_description: extra.is_bot ? 'pmbot' : undefined,
		disable_welcome_email: false,
	};
}

function makeChannel(team, name, type, members, display) {
	const t = now();
	return {
		id: newId(), create_at: t, update_at: t, delete_at: 0,
		team_id: team ? team.id : '', type, display_name: display ||
		    name, name, header: '', purpose: '', last_post_at: 0,
		total_msg_count: 0, extra_update_at: 0, creator_id: '',
		scheme_id: null, props: null, group_constrained: null,
		shared: null, total_msg_count_root: 0, policy_id: null,
		last_root_post_at: 0,
		_members: new Set(members.map((u) => u.id)),
	};
}

// The seed: one team, the bot and three people, and the channels the
// example configuration names.  Tests add more through /_fake/users and
// /_fake/channels.
function seed() {
	state = {
		users: new Map(), tokens: new Map(), teams: new Map(),
		channels: new Map(), posts: new Map(), postOrder: [],
		ephemeral: [], commands: new Map(), hooks: new Map(),
		pending: new Map(), sessions: new Map(),
		config: { ephemeral_allowed: true, commands_enabled: true,
		    ws_refuse: false },
	};
	const bot = makeUser('pmbot', { is_bot: true, first_name: 'pmbot' });
	addUser(bot, opts.token);
	for (const name of ['alice', 'bob', 'carol'])
		addUser(makeUser(name), `${name}-token`);
	const t = now();
	const team = {
		id: newId(), create_at: t, update_at: t, delete_at: 0,
		display_name: opts.team, name: opts.team, description: '',
		email: '', type: 'O', company_name: '',
		allowed_domains: '', invite_id: newId(),
		allow_open_invite: false, scheme_id: null,
		group_constrained: null, policy_id: null,
		_members: new Set([...state.users.keys()]),
	};
	state.teams.set(team.id, team);
	const all = [...state.users.values()];
	for (const name of ['town-square', 'ask-experimenter', 'pm',
	    'twitter', 'triage', 'announce']) {
		const ch = makeChannel(team, name, 'O', all,
		    name === 'town-square' ? 'Town Square' : name);
		state.channels.set(ch.id, ch);
	}
	// A channel the bot is not in, to check it gets 404/403.
	const priv = makeChannel(team, 'secret', 'P',
	    all.filter((u) => !u.is_bot), 'Secret');
	state.channels.set(priv.id, priv);
}

function addUser(user, token) {
	state.users.set(user.id, user);
	if (token)
		state.tokens.set(token, user.id);
	for (const team of state.teams ? state.teams.values() : [])
		team._members.add(user.id);
}

function userByName(name) {
	for (const u of state.users.values())
		if (u.username === name)
			return u;
	return null;
}

function teamByName(name) {
	for (const t of state.teams.values())
		if (t.name === name)
			return t;
	return null;
}

function channelByName(team, name) {
	for (const c of state.channels.values())
		if (c.team_id === team.id && c.name === name)
			return c;
	return null;
}

// Accepts an id or a name ("town-square", "@alice" for the DM with the bot)
// so control-API callers need not look ids up first.
function resolveChannel(ref) {
	if (!ref)
		return null;
	if (state.channels.has(ref))
		return state.channels.get(ref);
	for (const c of state.channels.values())
		if (c.name === ref)
			return c;
	return null;
}

function resolveUser(ref) {
	if (!ref)
		return null;
	if (state.users.has(ref))
		return state.users.get(ref);
	return userByName(String(ref).replace(/^@/, ''));
}

function publicChannel(c) {
	const out = {};
	for (const [k, v] of Object.entries(c))
		if (!k.startsWith('_'))
			out[k] = v;
	return out;
}

function publicTeam(t) {
	return publicChannel(t);
}

function publicUser(u) {
	const out = { ...u };
	if (out.bot_description === undefined)
		delete out.bot_description;
	return out;
}

// ---------------------------------------------------------------------------
// Errors in the shape of model.AppError

function appError(res, status, id, message, req) {
	send(res, status, {
		id, message, detailed_error: '',
		request_id: res.getHeader('X-Request-Id') || '',
		status_code: status,
	});
}

const E = {
	unauthorized: (res) => appError(res, 401,
	    'api.context.session_expired.app_error',
	    'Invalid or expired session, please login again.'),
	forbidden: (res) => appError(res, 403,
	    'api.context.permissions.app_error',
	    'You do not have the appropriate permissions.'),
	notFoundRoute: (res) => appError(res, 404, 'api.context.404.app_error',
	    'Sorry, we could not find the page.'),
	badBody: (res, name) => appError(res, 400,
	    'api.context.invalid_body_param.app_error',
	    `Invalid or missing ${name} in request body.`),
	badParam: (res, name) => appError(res, 400,
	    'api.context.invalid_param.app_error',
	    `Invalid ${name} parameter.`),
	userMissing: (res) => appError(res, 404,
	    'app.user.missing_account.const', 'Unable to find the user.'),
	channelMissing: (res) => appError(res, 404,
	    'app.channel.get_by_name.missing.app_error',
	    'Channel does not exist.'),
	teamMissing: (res) => appError(res, 404,
	    'app.team.get_by_name.missing.app_error',
	    'Unable to find the existing team.'),
	postMissing: (res) => appError(res, 404, 'app.post.get.app_error',
	    'Unable to get the post.'),
};

// The session user from the Authorization header ("Bearer x" or "Token x",
// case-insensitive) or the MMAUTHTOKEN cookie, as the real server parses it.
function authUser(req) {
	let token = null;
	const cookie = req.headers.cookie || '';
	const m = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(cookie);
	if (m)
		token = m[1];
	const h = req.headers.authorization || '';
	if (!token && h.length > 7 && h.slice(0, 6).toUpperCase() === 'BEARER')
		token = h.slice(7).trim();
	else if (!token && h.length > 6 && h.slice(0, 5).toUpperCase() ===
	    'TOKEN')
		token = h.slice(6).trim();
	if (!token || !state.tokens.has(token))
		return null;
	return state.users.get(state.tokens.get(token));
}

// ---------------------------------------------------------------------------
// Posts and events

function postJson(p) {
	// Key order follows model.Post so the JSON reads like the real one.
	return {
		id: p.id, create_at: p.create_at, update_at: p.update_at,
		edit_at: 0, delete_at: 0, is_pinned: false, user_id: p.user_id,
		channel_id: p.channel_id, root_id: p.root_id, original_id: '',
		message: p.message, type: p.type, props: p.props,
		hashtags: '', file_ids: p.file_ids,
		pending_post_id: p.pending_post_id, reply_count:
		    p.reply_count || 0, last_reply_at: p.last_reply_at || 0,
		participants: null, metadata: p.metadata || {},
	};
}

// Creates a post as `user` after the checks the real server makes; returns
// { status, post } or { status, error: [id, message] }.
function createPost(user, body) {
	if (typeof body !== 'object' || body === null || Array.isArray(body))
		return { status: 400, badBody: 'post' };
	if (typeof body.channel_id !== 'string' || body.channel_id === '')
		return { status: 400, badBody: 'channel_id' };
	if (body.message !== undefined && typeof body.message !== 'string')
		return { status: 400, badBody: 'post' };
	if (typeof body.message !== 'string')
		return { status: 400, badBody: 'message' };
	const ch = state.channels.get(body.channel_id);
	if (!ch || !ch._members.has(user.id))
		return { status: 403, forbidden: true };
	if ([...body.message].length > POST_MESSAGE_MAX_RUNES)
		return {
			status: 400, error: [
			    'model.post.is_valid.message_length.app_error',
			    'Invalid Message property length.'],
		};
	const rootId = body.root_id || '';
	if (typeof rootId !== 'string')
		return { status: 400, badBody: 'post' };
	let root = null;
	if (rootId) {
		root = state.posts.get(rootId);
		if (!root || root.root_id !== '')
			return {
				status: 400, error: [
				    'api.post.create_post.root_id.app_error',
				    'Invalid RootId parameter.'],
			};
		if (root.channel_id !== ch.id)
			return {
				status: 500, error: [
				    'api.post.create_post.channel_root_id.app_error',
				    'Invalid ChannelId for RootId parameter.'],
			};
	}
	if (body.props !== undefined && (typeof body.props !== 'object' ||
	    Array.isArray(body.props)))
		return { status: 400, badBody: 'post' };
	if (body.file_ids !== undefined && !Array.isArray(body.file_ids))
		return { status: 400, badBody: 'post' };
	// The same pending_post_id within 30 s gives the first post back
	// instead of a second one: that is what makes client retries safe.
	const pending = typeof body.pending_post_id === 'string' ?
	    body.pending_post_id : '';
	if (pending) {
		const seen = state.pending.get(`${user.id}/${pending}`);
		if (seen && Date.now() - seen.at < PENDING_POST_TTL_MS)
			return { status: 201, post: state.posts.get(seen.id),
			    duplicate: true };
	}
	const t = now();
	const props = { ...(body.props || {}) };
	if (user.is_bot)
		props.from_bot = 'true';
	const post = {
		id: newId(), create_at: t, update_at: t, user_id: user.id,
		channel_id: ch.id, root_id: rootId, message: body.message,
		type: typeof body.type === 'string' ? body.type : '', props,
		file_ids: [], pending_post_id: pending, reply_count: 0,
		last_reply_at: 0, metadata: {},
	};
	state.posts.set(post.id, post);
	state.postOrder.push(post.id);
	if (pending)
		state.pending.set(`${user.id}/${pending}`, { id: post.id, at:
		    Date.now() });
	if (root) {
		root.reply_count = (root.reply_count || 0) + 1;
		root.last_reply_at = t;
		root.update_at = t;
	}
	ch.last_post_at = t;
	ch.total_msg_count++;
	if (!rootId)
		ch.total_msg_count_root++;
	emitPosted(ch, user, post);
	return { status: 201, post };
}

function channelDisplayFor(ch, sender) {
	if (ch.type === 'D')
		return `@${sender.username}`;
	return ch.display_name;
}

// A "posted" event goes to every member of the channel, the author too.
// data.post is the post as a JSON string, and data.mentions (also a JSON
// string) names only the recipient itself, as current servers do.
function emitPosted(ch, sender, post) {
	const postStr = JSON.stringify(postJson(post));
	for (const uid of ch._members) {
		const data = {
			channel_display_name: channelDisplayFor(ch, sender),
			channel_name: ch.name, channel_type: ch.type,
			post: postStr, sender_name: `@${sender.username}`,
			set_online: true, team_id: ch.team_id,
		};
		const u = state.users.get(uid);
		const mentioned = uid !== sender.id && (ch.type === 'D' ||
		    new RegExp(`(^|[^\\w.-])@${u.username}\\b`).test(
		    post.message));
		if (mentioned)
			data.mentions = JSON.stringify([uid]);
		emitToUser(uid, 'posted', data, { channel_id: ch.id });
	}
}

function broadcastObj(b) {
	return {
		omit_users: b.omit_users || null, user_id: b.user_id || '',
		channel_id: b.channel_id || '', team_id: b.team_id || '',
		connection_id: '', omit_connection_id: '',
	};
}

function sortedData(data) {
	const out = {};
	for (const k of Object.keys(data).sort())
		out[k] = data[k];
	return out;
}

function emitToUser(uid, event, data, broadcast) {
	for (const s of state.sessions.values())
		if (s.userId === uid)
			sessionEmit(s, event, data, broadcast, true);
}

// ---------------------------------------------------------------------------
// WebSocket sessions.  A session outlives its socket so that a client
// reconnecting with connection_id and sequence_number gets what it missed
// (the real server's dead queue of 128 events).  Events that happen while
// no socket is attached are queued the same way.

function newSession(user) {
	const s = {
		id: newId(), userId: user.id, seq: 0, queue: [], ws: null,
	};
	state.sessions.set(s.id, s);
	return s;
}

// Broadcast events are written the way the server's precomputed JSON is
// (a space after each top-level colon, no newline); hello, replays and
// responses go through an encoder that appends "\n".  A client must take
// both.
function frameFor(ev, precomputed) {
	if (precomputed)
		return `{"event": ${JSON.stringify(ev.event)}, "data": ` +
		    `${JSON.stringify(ev.data)}, "broadcast": ` +
		    `${JSON.stringify(ev.broadcast)}, "seq": ${ev.seq}}`;
	return JSON.stringify(ev) + '\n';
}

function sessionEmit(s, event, data, broadcast, precomputed) {
	const ev = {
		event, data: sortedData(data), broadcast:
		    broadcastObj(broadcast || {}), seq: s.seq++,
	};
	s.queue.push(ev);
	if (s.queue.length > DEAD_QUEUE_SIZE)
		s.queue.shift();
	if (s.ws && s.ws.readyState === 1)
		s.ws.send(frameFor(ev, precomputed));
}

function sendHello(s) {
	const u = state.users.get(s.userId);
	sessionEmit(s, 'hello', {
		connection_id: s.id, server_hostname: 'fake-mattermost',
		server_version: VERSION_ID,
	}, { user_id: u.id }, false);
}

function attach(s, ws) {
	if (s.ws && s.ws !== ws)
		s.ws.terminate();
	s.ws = ws;
	ws.session = s;
	s.detachedAt = 0;
	ws.on('close', () => {
		if (s.ws === ws) {
			s.ws = null;
			s.detachedAt = Date.now();
		}
	});
}

// Like the server's reaper, forget sessions that have had no socket for
// longer than the resume window; their ids then get a fresh hello.
setInterval(() => {
	const limit = Date.now() - opts.resume_window * 1000;
	for (const [id, s] of state.sessions)
		if (!s.ws && s.detachedAt && s.detachedAt < limit)
			state.sessions.delete(id);
}, 1000).unref();

// Header-authenticated upgrade: resume when the connection id is known and
// the requested sequence is in the queue (or the client is exactly caught
// up); otherwise start afresh with a new connection id and hello.
function openSession(ws, user, query) {
	const cid = query.get('connection_id') || '';
	const old = cid ? state.sessions.get(cid) : null;
	if (old && old.userId === user.id) {
		const raw = query.get('sequence_number');
		const want = raw === null || raw === '' ? NaN : Number(raw);
		if (!Number.isInteger(want) || want < 0) {
			ws.close(1008, 'bad sequence_number');
			return;
		}
		const idx = old.queue.findIndex((e) => e.seq === want);
		if (idx >= 0) {
			attach(old, ws);
			for (const ev of old.queue.slice(idx))
				ws.send(frameFor(ev, false));
			return;
		}
		if (want === old.seq) {
			attach(old, ws);
			return;
		}
		state.sessions.delete(old.id);
		if (old.ws)
			old.ws.terminate();
	}
	const s = newSession(user);
	attach(s, ws);
	sendHello(s);
}

function wsReply(ws, obj) {
	if (ws.readyState === 1)
		ws.send(JSON.stringify(obj) + '\n');
}

function wsFail(ws, seq, status, id, message) {
	wsReply(ws, {
		status: 'FAIL', seq_reply: seq, error: {
			id, message, detailed_error: '', status_code: status,
		},
	});
}

function onWsMessage(ws, raw) {
	const p = parseJson(raw.toString('utf8'));
	if (!p.ok || typeof p.value !== 'object' || p.value === null)
		return;
	const m = p.value;
	const seq = m.seq;
	if (!m.action) {
		wsFail(ws, seq, 400, 'api.web_socket_router.no_action.app_error',
		    'No websocket action.');
		return;
	}
	if (!Number.isInteger(seq) || seq <= 0) {
		wsFail(ws, seq, 400, 'api.web_socket_router.bad_seq.app_error',
		    'Invalid sequence for WebSocket message.');
		return;
	}
	if (m.action === 'authentication_challenge') {
		// Already authenticated: ignored without a reply.
		if (ws.session)
			return;
		const token = m.data && m.data.token;
		if (typeof token !== 'string' || !state.tokens.has(token)) {
			ws.terminate();
			return;
		}
		clearTimeout(ws.authTimer);
		// No resume with challenge authentication: always fresh.
		const s = newSession(state.users.get(state.tokens.get(token)));
		attach(s, ws);
		sendHello(s);
		wsReply(ws, { status: 'OK', seq_reply: seq });
		return;
	}
	if (!ws.session) {
		wsFail(ws, seq, 401,
		    'api.web_socket_router.not_authenticated.app_error',
		    'No authentication token provided for WebSocket action.');
		return;
	}
	switch (m.action) {
	case 'ping':
		wsReply(ws, {
			status: 'OK', seq_reply: seq, data: {
				node_id: '', server_time: Date.now(), text:
				    'pong', version: opts.version,
			},
		});
		return;
	case 'get_statuses': {
		const data = {};
		for (const s of state.sessions.values())
			if (s.ws)
				data[s.userId] = 'online';
		wsReply(ws, { status: 'OK', seq_reply: seq, data });
		return;
	}
	case 'user_typing': {
		const ch = m.data && state.channels.get(m.data.channel_id);
		if (!ch || !ch._members.has(ws.session.userId)) {
			wsFail(ws, seq, 400,
			    'api.websocket_handler.invalid_param.app_error',
			    'Invalid channel_id parameter.');
			return;
		}
		wsReply(ws, { status: 'OK', seq_reply: seq });
		return;
	}
	case 'user_update_active_status':
	case 'presence':
	case 'posted_notify_ack':
		wsReply(ws, { status: 'OK', seq_reply: seq });
		return;
	default:
		if (String(m.action).startsWith('custom_'))
			return;
		wsFail(ws, seq, 500, 'api.web_socket_router.bad_action.app_error',
		    'Unknown WebSocket action.');
	}
}

// Protocol-level PINGs every ping_interval; a socket whose last PONG is
// older than pong_wait is dropped, as the real server's read deadline does.
// JSON "ping" actions do not count.
function startKeepalive(ws) {
	ws.lastPong = Date.now();
	ws.on('pong', () => {
		ws.lastPong = Date.now();
	});
	ws.pingTimer = setInterval(() => {
		if (Date.now() - ws.lastPong > opts.pong_wait * 1000) {
			ws.terminate();
			return;
		}
		if (ws.readyState === 1)
			ws.ping();
	}, opts.ping_interval * 1000);
	ws.on('close', () => clearInterval(ws.pingTimer));
}

const wss = new WebSocketServer({
	noServer: true, maxPayload: WS_MAX_CLIENT_FRAME,
	perMessageDeflate: false,
});
const allSockets = new Set();

function onUpgrade(req, socket, head) {
	const url = new URL(req.url, 'http://127.0.0.1');
	if (!/^\/api\/v4\/websocket\/?$/.test(url.pathname)) {
		socket.destroy();
		return;
	}
	// With the default AllowCorsFrom, an Origin that does not match Host
	// is refused; a bot should send none.
	const origin = req.headers.origin;
	if (origin) {
		let host = '';
		try {
			host = new URL(origin).host;
		} catch (e) {
			host = '';
		}
		if (host !== req.headers.host) {
			socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
			socket.destroy();
			return;
		}
	}
	// ws_refuse (POST /_fake/config) turns upgrades away, as a server
	// that is restarting does, so a test can make posts while the
	// client cannot be connected.
	if (state.config.ws_refuse) {
		logRequest(req, url.pathname, 503);
		socket.write('HTTP/1.1 503 Service Unavailable\r\n' +
		    'Content-Length: 0\r\nConnection: close\r\n\r\n');
		socket.destroy();
		return;
	}
	logRequest(req, url.pathname, 101);
	const user = authUser(req);
	wss.handleUpgrade(req, socket, head, (ws) => {
		allSockets.add(ws);
		ws.on('close', () => allSockets.delete(ws));
		ws.on('message', (raw) => onWsMessage(ws, raw));
		ws.on('error', () => {});
		startKeepalive(ws);
		if (user) {
			openSession(ws, user, url.searchParams);
			return;
		}
		// Anonymous until an authentication_challenge; closed if none
		// comes in time.
		ws.authTimer = setTimeout(() => {
			if (!ws.session)
				ws.terminate();
		}, opts.auth_timeout * 1000);
	});
}

// ---------------------------------------------------------------------------
// REST routes

function logRequest(req, path, status, user) {
	requestLog.push({
		at: Date.now(), method: req.method, path, status,
		user: user ? user.username : null,
	});
	if (requestLog.length > 1000)
		requestLog.shift();
}

async function jsonBody(req, res, name) {
	const text = await readBody(req);
	const p = parseJson(text);
	if (!p.ok) {
		E.badBody(res, name);
		return undefined;
	}
	return p.value;
}

function postList(posts) {
	const sorted = [...posts].sort((a, b) => b.create_at - a.create_at);
	const out = {
		order: sorted.map((p) => p.id), posts: {}, next_post_id: '',
		prev_post_id: '', has_next: false,
		first_inaccessible_post_time: 0,
	};
	for (const p of sorted)
		out.posts[p.id] = postJson(p);
	return out;
}

function channelMember(ch, uid) {
	return {
		channel_id: ch.id, user_id: uid, roles: 'channel_user',
		last_viewed_at: 0, msg_count: 0, mention_count: 0,
		mention_count_root: 0, msg_count_root: 0, urgent_mention_count: 0,
		notify_props: {
			desktop: 'default', email: 'default', mark_unread: 'all',
			push: 'default', ignore_channel_mentions: 'default',
		},
		last_update_at: ch.update_at, scheme_guest: false,
		scheme_user: true, scheme_admin: false, explicit_roles: '',
	};
}

function commandPublic(c, withToken) {
	const out = { ...c };
	if (!withToken)
		out.token = '';
	return out;
}

function validateCommand(body, existingId) {
	const bad = (msgId, message) => ({ error: [msgId, message] });
	if (typeof body !== 'object' || body === null || Array.isArray(body))
		return { badBody: 'command' };
	if (!body.team_id || !state.teams.has(body.team_id))
		return bad('model.command.is_valid.team_id.app_error',
		    'Invalid team ID.');
	const trig = typeof body.trigger === 'string' ? body.trigger : '';
	if (trig.length < 1 || trig.length > COMMAND_TRIGGER_MAX ||
	    trig.startsWith('/') || /\s/.test(trig))
		return bad('model.command.is_valid.trigger.app_error',
		    'Invalid trigger.');
	if (typeof body.url !== 'string' || body.url.length === 0 ||
	    body.url.length > COMMAND_URL_MAX ||
	    !/^https?:\/\/[^\s]+$/.test(body.url))
		return bad('model.command.is_valid.url.app_error',
		    'Invalid URL.');
	if (body.method !== 'P' && body.method !== 'G')
		return bad('model.command.is_valid.method.app_error',
		    'Invalid Method.');
	if (body.display_name && String(body.display_name).length > 64)
		return bad('model.command.is_valid.display_name.app_error',
		    'Invalid title.');
	if (body.description && String(body.description).length > 128)
		return bad('model.command.is_valid.description.app_error',
		    'Invalid description.');
	for (const c of state.commands.values())
		if (c.id !== existingId && c.delete_at === 0 &&
		    c.team_id === body.team_id &&
		    c.trigger === trig.toLowerCase())
			return bad('api.command.duplicate_trigger.app_error',
			    'This trigger word is already in use. Please ' +
			    'choose another word.');
	return null;
}

function answerInvalid(res, v) {
	if (v.badBody)
		return E.badBody(res, v.badBody);
	return appError(res, 400, v.error[0], v.error[1]);
}

async function routeApi(req, res, path, url, user) {
	const m = (re) => re.exec(path);
	const method = req.method;
	let r;

	if (method === 'GET' && (r = m(/^\/users\/([A-Za-z0-9]+)$/))) {
		const u = r[1] === 'me' ? user : state.users.get(r[1]);
		return u ? send(res, 200, publicUser(u)) : E.userMissing(res);
	}
	if (method === 'GET' &&
	    (r = m(/^\/users\/username\/([A-Za-z0-9_.-]+)$/))) {
		const u = userByName(r[1]);
		return u ? send(res, 200, publicUser(u)) : E.userMissing(res);
	}
	if (method === 'POST' && path === '/users/usernames') {
		const body = await jsonBody(req, res, 'usernames');
		if (body === undefined)
			return;
		if (!Array.isArray(body))
			return E.badBody(res, 'usernames');
		return send(res, 200, body.map((n) => userByName(n))
		    .filter(Boolean).map(publicUser));
	}
	if (method === 'POST' && path === '/users/ids') {
		const body = await jsonBody(req, res, 'user_ids');
		if (body === undefined)
			return;
		if (!Array.isArray(body))
			return E.badBody(res, 'user_ids');
		return send(res, 200, body.map((id) => state.users.get(id))
		    .filter(Boolean).map(publicUser));
	}
	if (method === 'GET' && (r = m(/^\/teams\/name\/([^/]+)$/))) {
		const t = teamByName(r[1]);
		return t && t._members.has(user.id) ?
		    send(res, 200, publicTeam(t)) : E.teamMissing(res);
	}
	if (method === 'GET' && (r = m(/^\/teams\/([A-Za-z0-9]{26})$/))) {
		const t = state.teams.get(r[1]);
		return t && t._members.has(user.id) ?
		    send(res, 200, publicTeam(t)) : E.forbidden(res);
	}
	if (method === 'GET' && ((r = m(
	    /^\/teams\/name\/([^/]+)\/channels\/name\/([^/]+)$/)) ||
	    (r = m(/^\/teams\/([A-Za-z0-9]{26})\/channels\/name\/([^/]+)$/)))) {
		const t = path.startsWith('/teams/name/') ? teamByName(r[1]) :
		    state.teams.get(r[1]);
		if (!t)
			return E.teamMissing(res);
		const c = channelByName(t, r[2]);
		// Not found and not allowed read alike: 404.
		if (!c || (c.type === 'P' && !c._members.has(user.id)) ||
		    (c.delete_at && url.searchParams.get('include_deleted') !==
		    'true'))
			return E.channelMissing(res);
		return send(res, 200, publicChannel(c));
	}
	if (method === 'GET' && (r = m(/^\/channels\/([A-Za-z0-9]{26})$/))) {
		const c = state.channels.get(r[1]);
		if (!c)
			return E.channelMissing(res);
		if (!c._members.has(user.id) && c.type !== 'O')
			return E.forbidden(res);
		return send(res, 200, publicChannel(c));
	}
	if (method === 'GET' &&
	    (r = m(/^\/channels\/([A-Za-z0-9]{26})\/members$/))) {
		const c = state.channels.get(r[1]);
		if (!c)
			return E.channelMissing(res);
		if (!c._members.has(user.id) && c.type !== 'O')
			return E.forbidden(res);
		const page = Number(url.searchParams.get('page') || 0);
		const per = Math.min(Number(url.searchParams.get('per_page') ||
		    60), 200);
		const all = [...c._members].map((uid) => channelMember(c, uid));
		return send(res, 200, all.slice(page * per, page * per + per));
	}
	if (method === 'GET' && (r = m(
	    /^\/channels\/([A-Za-z0-9]{26})\/members\/([A-Za-z0-9]+)$/))) {
		const c = state.channels.get(r[1]);
		const uid = r[2] === 'me' ? user.id : r[2];
		if (!c)
			return E.channelMissing(res);
		if (!c._members.has(uid))
			return appError(res, 404,
			    'app.channel.get_member.missing.app_error',
			    'No channel member found for that user ID and ' +
			    'channel ID.');
		return send(res, 200, channelMember(c, uid));
	}
	if (method === 'POST' && path === '/channels/direct') {
		const body = await jsonBody(req, res, 'user_ids');
		if (body === undefined)
			return;
		if (!Array.isArray(body) || body.length !== 2 ||
		    !body.every((x) => typeof x === 'string'))
			return E.badBody(res, 'user_ids');
		const users = body.map((id) => state.users.get(id));
		if (users.some((u) => !u))
			return E.badParam(res, 'user_id');
		if (!body.includes(user.id))
			return E.forbidden(res);
		const name = [...body].sort().join('__');
		for (const c of state.channels.values())
			if (c.type === 'D' && c.name === name)
				return send(res, 201, publicChannel(c));
		const c = makeChannel(null, name, 'D', users, '');
		c.creator_id = user.id;
		state.channels.set(c.id, c);
		const other = users.find((u) => u.id !== user.id) || user;
		for (const u of users)
			emitToUser(u.id, 'direct_added', {
				creator_id: user.id, teammate_id: other.id,
			}, { channel_id: c.id });
		return send(res, 201, publicChannel(c));
	}
	if (method === 'POST' && path === '/posts') {
		const body = await jsonBody(req, res, 'post');
		if (body === undefined)
			return;
		const out = createPost(user, body);
		if (out.badBody)
			return E.badBody(res, out.badBody);
		if (out.forbidden)
			return E.forbidden(res);
		if (out.error)
			return appError(res, out.status, out.error[0],
			    out.error[1]);
		return send(res, 201, postJson(out.post));
	}
	if (method === 'POST' && path === '/posts/ephemeral') {
		const body = await jsonBody(req, res, 'post');
		if (body === undefined)
			return;
		if (!state.config.ephemeral_allowed)
			return E.forbidden(res);
		if (typeof body !== 'object' || body === null ||
		    typeof body.user_id !== 'string' ||
		    typeof body.post !== 'object' || body.post === null)
			return E.badBody(res, 'post');
		const target = state.users.get(body.user_id);
		if (!target)
			return E.badParam(res, 'user_id');
		const ch = state.channels.get(body.post.channel_id);
		if (!ch || !ch._members.has(user.id))
			return E.forbidden(res);
		if (typeof body.post.message !== 'string')
			return E.badBody(res, 'post');
		const t = now();
		const post = {
			id: newId(), create_at: t, update_at: t,
			user_id: user.id, channel_id: ch.id,
			root_id: body.post.root_id || '',
			message: body.post.message, type: 'system_ephemeral',
			props: body.post.props || {}, file_ids: [],
			pending_post_id: '',
		};
		state.ephemeral.push({ ...postJson(post), target_user_id:
		    target.id });
		emitToUser(target.id, 'ephemeral_message',
		    { post: JSON.stringify(postJson(post)) },
		    { user_id: target.id, channel_id: ch.id });
		return send(res, 201, postJson(post));
	}
	if (method === 'GET' && (r = m(/^\/posts\/([A-Za-z0-9]{26})$/))) {
		const p = state.posts.get(r[1]);
		const c = p && state.channels.get(p.channel_id);
		if (!p || !c._members.has(user.id))
			return E.postMissing(res);
		return send(res, 200, postJson(p));
	}
	if (method === 'GET' &&
	    (r = m(/^\/posts\/([A-Za-z0-9]{26})\/thread$/))) {
		const p = state.posts.get(r[1]);
		const c = p && state.channels.get(p.channel_id);
		if (!p || !c._members.has(user.id))
			return E.postMissing(res);
		const rootId = p.root_id || p.id;
		const list = [...state.posts.values()].filter((x) =>
		    x.id === rootId || x.root_id === rootId);
		return send(res, 200, postList(list));
	}
	if (method === 'GET' &&
	    (r = m(/^\/channels\/([A-Za-z0-9]{26})\/posts$/))) {
		const c = state.channels.get(r[1]);
		if (!c)
			return E.channelMissing(res);
		if (!c._members.has(user.id))
			return E.forbidden(res);
		let list = [...state.posts.values()].filter((p) =>
		    p.channel_id === c.id);
		const q = url.searchParams;
		if (q.has('since')) {
			// since ignores paging and compares update_at.
			const since = Number(q.get('since'));
			if (!Number.isFinite(since))
				return E.badParam(res, 'since');
			list = list.filter((p) => p.update_at > since);
			return send(res, 200, postList(list));
		}
		list.sort((a, b) => b.create_at - a.create_at);
		const page = Number(q.get('page') || 0);
		const per = Math.min(Number(q.get('per_page') || 60), 200);
		if (q.get('after')) {
			const a = state.posts.get(q.get('after'));
			list = a ? list.filter((p) => p.create_at > a.create_at) :
			    [];
		} else if (q.get('before')) {
			const b = state.posts.get(q.get('before'));
			list = b ? list.filter((p) => p.create_at < b.create_at) :
			    [];
		}
		return send(res, 200, postList(list.slice(page * per,
		    page * per + per)));
	}
	if (path === '/commands' && method === 'POST') {
		if (!state.config.commands_enabled)
			return appError(res, 501, 'api.command.disabled.app_error',
			    'Commands have been disabled by the system admin.');
		const body = await jsonBody(req, res, 'command');
		if (body === undefined)
			return;
		const v = validateCommand(body, null);
		if (v)
			return answerInvalid(res, v);
		const t = now();
		const c = {
			id: newId(), token: newId(), create_at: t, update_at: t,
			delete_at: 0, creator_id: user.id, team_id: body.team_id,
			trigger: body.trigger.toLowerCase(), method: body.method,
			username: body.username || '', icon_url:
			    body.icon_url || '', auto_complete:
			    !!body.auto_complete, auto_complete_desc:
			    body.auto_complete_desc || '', auto_complete_hint:
			    body.auto_complete_hint || '', display_name:
			    body.display_name || '', description:
			    body.description || '', url: body.url,
			plugin_id: '',
		};
		state.commands.set(c.id, c);
		return send(res, 201, commandPublic(c, true));
	}
	if (path === '/commands' && method === 'GET') {
		const teamId = url.searchParams.get('team_id');
		if (!teamId)
			return E.badParam(res, 'team_id');
		const list = [...state.commands.values()].filter((c) =>
		    c.team_id === teamId && c.delete_at === 0);
		return send(res, 200, list.map((c) => commandPublic(c, false)));
	}
	if ((r = m(/^\/commands\/([A-Za-z0-9]{26})$/))) {
		const c = state.commands.get(r[1]);
		if (!c || c.delete_at)
			return appError(res, 404, 'api.command.update.app_error',
			    'Unable to update the command.');
		if (method === 'GET')
			return send(res, 200, commandPublic(c, false));
		if (method === 'DELETE') {
			c.delete_at = now();
			return send(res, 200, { status: 'OK' });
		}
		if (method === 'PUT') {
			const body = await jsonBody(req, res, 'command');
			if (body === undefined)
				return;
			if (body && body.id !== c.id)
				return E.badParam(res, 'command_id');
			const v = validateCommand(body, c.id);
			if (v)
				return answerInvalid(res, v);
			for (const k of ['method', 'username', 'icon_url',
			    'auto_complete', 'auto_complete_desc',
			    'auto_complete_hint', 'display_name', 'description',
			    'url'])
				if (body[k] !== undefined)
					c[k] = body[k];
			c.trigger = body.trigger.toLowerCase();
			c.update_at = now();
			return send(res, 200, commandPublic(c, true));
		}
	}
	if (method === 'PUT' &&
	    (r = m(/^\/commands\/([A-Za-z0-9]{26})\/regen_token$/))) {
		const c = state.commands.get(r[1]);
		if (!c || c.delete_at)
			return appError(res, 404,
			    'api.command.regen.app_error',
			    'Unable to regenerate the command token.');
		c.token = newId();
		return send(res, 200, { token: c.token });
	}
	return E.notFoundRoute(res);
}

// A delayed slash-command answer on the response_url: at most 5 uses and
// 30 minutes.  Posted as the invoking user, like the real server.
async function routeHook(req, res, hookId) {
	const hook = state.hooks.get(hookId);
	if (!hook)
		return appError(res, 404, 'app.command_webhook.get.missing',
		    'Unable to find the webhook.');
	if (hook.uses >= RESPONSE_URL_USES || Date.now() > hook.expires)
		return appError(res, 400, 'app.command_webhook.try_use.invalid',
		    'Invalid webhook.');
	hook.uses++;
	const text = await readBody(req);
	const ct = req.headers['content-type'] || '';
	let resp;
	if (ct.split(';')[0].trim() === 'application/json') {
		const p = parseJson(text);
		if (!p.ok)
			return E.badBody(res, 'response');
		resp = p.value;
	} else {
		resp = { text };
	}
	applyCommandResponse(hook, resp);
	return send(res, 200, 'ok');
}

function applyCommandResponse(ctx, resp) {
	if (!resp || typeof resp !== 'object')
		return;
	const user = state.users.get(ctx.user_id);
	const ch = state.channels.get(resp.channel_id || ctx.channel_id) ||
	    state.channels.get(ctx.channel_id);
	if (resp.response_type === 'in_channel') {
		const props = { ...(resp.props || {}), from_webhook: 'true' };
		if (resp.attachments)
			props.attachments = resp.attachments;
		createPost(user, {
			channel_id: ch.id, message: resp.text || '', props,
			root_id: ctx.root_id || '',
		});
	} else if (resp.text || resp.attachments) {
		const t = now();
		const post = {
			id: newId(), create_at: t, update_at: t,
			user_id: user.id, channel_id: ch.id, root_id: '',
			message: resp.text || '', type: 'system_ephemeral',
			props: resp.attachments ?
			    { attachments: resp.attachments } : {},
			file_ids: [], pending_post_id: '',
		};
		state.ephemeral.push({ ...postJson(post), target_user_id:
		    user.id });
		emitToUser(user.id, 'ephemeral_message',
		    { post: JSON.stringify(postJson(post)) },
		    { user_id: user.id, channel_id: ch.id });
	}
	for (const extra of resp.extra_responses || [])
		applyCommandResponse(ctx, extra);
}

// Sends a slash command to the registered URL as the real server does
// (form body, sorted keys, Authorization: Token), and applies the answer.
async function runSlash(body) {
	const user = resolveUser(body.user || 'alice');
	const ch = resolveChannel(body.channel || 'town-square');
	if (!user || !ch)
		return { status: 400, body: { error: 'unknown user or channel' } };
	const line = String(body.command || '').replace(/^\//, '');
	const trigger = line.split(/\s+/)[0].toLowerCase();
	const text = line.slice(trigger.length).replace(/^\s+/, '');
	const cmd = [...state.commands.values()].find((c) =>
	    c.trigger === trigger && c.delete_at === 0);
	if (!cmd)
		return { status: 404, body: { error: `no command '${trigger}'` } };
	const team = state.teams.get(cmd.team_id);
	const hook = {
		id: newId(), user_id: user.id, channel_id: ch.id,
		root_id: body.root_id || '', uses: 0,
		expires: Date.now() + 30 * 60 * 1000,
	};
	state.hooks.set(hook.id, hook);
	const fields = {
		channel_id: ch.id, channel_name: ch.name,
		command: `/${trigger}`,
		response_url: `${body.base_url}/hooks/commands/${hook.id}`,
		team_domain: team.name, team_id: team.id, text,
		token: cmd.token, trigger_id: Buffer.from(
		    `${newId()}:${user.id}:${Date.now()}:fakesig`)
		    .toString('base64'),
		user_id: user.id, user_name: user.username,
	};
	const form = new URLSearchParams();
	for (const k of Object.keys(fields).sort())
		form.append(k, fields[k]);
	const headers = {
		Accept: 'application/json',
		Authorization: `Token ${cmd.token}`,
	};
	let target = cmd.url;
	const init = { method: cmd.method === 'G' ? 'GET' : 'POST', headers };
	if (cmd.method === 'G') {
		target += (target.includes('?') ? '&' : '?') + form.toString();
	} else {
		headers['Content-Type'] = 'application/x-www-form-urlencoded';
		init.body = form.toString();
	}
	init.signal = AbortSignal.timeout(30 * 1000);
	let r;
	try {
		r = await fetch(target, init);
	} catch (e) {
		return { status: 502, body: { error: String(e.message || e) } };
	}
	const ct = (r.headers.get('content-type') || '').split(';')[0].trim();
	const raw = await r.text();
	const out = { status: 200, body: {
		http_status: r.status, content_type: ct, body: raw,
		response_url: fields.response_url,
	} };
	if (r.status !== 200)
		return out;
	if (ct === 'application/json') {
		const p = parseJson(raw);
		if (!p.ok || raw.trim() === '') {
			out.body.error = 'invalid JSON from the integration';
			return out;
		}
		applyCommandResponse(hook, p.value);
		out.body.json = p.value;
	} else if (raw) {
		applyCommandResponse(hook, { text: raw });
	}
	return out;
}

// ---------------------------------------------------------------------------
// The control API for tests

function dropAll(code) {
	let n = 0;
	for (const ws of allSockets) {
		if (code)
			ws.close(code);
		else
			ws.terminate();
		n++;
	}
	return n;
}

async function routeControl(req, res, path, url) {
	const text = req.method === 'POST' || req.method === 'PUT' ?
	    await readBody(req) : '';
	let body = {};
	if (text) {
		const p = parseJson(text);
		if (!p.ok)
			return send(res, 400, { error: 'invalid JSON' });
		body = p.value || {};
	}
	const baseUrl = `http://${req.headers.host}`;
	switch (`${req.method} ${path}`) {
	case 'GET /_fake/state':
		return send(res, 200, {
			bot: publicUser(state.users.get(state.tokens.get(
			    opts.token))),
			token: opts.token,
			users: [...state.users.values()].map(publicUser),
			tokens: Object.fromEntries([...state.tokens].map(
			    ([t, id]) => [state.users.get(id).username, t])),
			teams: [...state.teams.values()].map(publicTeam),
			channels: [...state.channels.values()].map((c) => ({
				...publicChannel(c), members: [...c._members],
			})),
			commands: [...state.commands.values()],
			connections: [...state.sessions.values()].map((s) => ({
				connection_id: s.id, user_id: s.userId,
				seq: s.seq, connected: !!s.ws,
			})),
			config: state.config,
		});
	case 'GET /_fake/posts': {
		let list = state.postOrder.map((id) => postJson(
		    state.posts.get(id)));
		const ch = url.searchParams.get('channel');
		if (ch) {
			const c = resolveChannel(ch);
			list = list.filter((p) => c && p.channel_id === c.id);
		}
		const u = url.searchParams.get('user');
		if (u) {
			const usr = resolveUser(u);
			list = list.filter((p) => usr && p.user_id === usr.id);
		}
		return send(res, 200, list);
	}
	case 'GET /_fake/ephemeral':
		return send(res, 200, state.ephemeral);
	case 'GET /_fake/requests':
		return send(res, 200, requestLog);
	case 'POST /_fake/posts': {
		// Injects a post by someone else: the bot sees it as a
		// "posted" event, like a person typing it.
		const user = resolveUser(body.user || 'alice');
		const ch = resolveChannel(body.channel || 'town-square');
		if (!user || !ch)
			return send(res, 400, { error: 'unknown user or channel' });
		if (!ch._members.has(user.id))
			ch._members.add(user.id);
		const out = createPost(user, {
			channel_id: ch.id, message: body.message,
			root_id: body.root_id || '', props: body.props || {},
			type: body.type || '', pending_post_id:
			    body.pending_post_id || '',
		});
		if (!out.post)
			return send(res, out.status, { error: out.badBody ||
			    (out.error && out.error[1]) || 'forbidden' });
		return send(res, 201, postJson(out.post));
	}
	case 'POST /_fake/event': {
		// Any event to the connections of the given users (default:
		// everyone connected), for events the fake has no REST for.
		const uids = body.user ? [resolveUser(body.user)].filter(Boolean)
		    .map((u) => u.id) : [...new Set([...state.sessions.values()]
		    .map((s) => s.userId))];
		for (const uid of uids)
			emitToUser(uid, String(body.event), body.data || {},
			    body.broadcast || {});
		return send(res, 200, { sent_to: uids.length });
	}
	case 'POST /_fake/dm': {
		// A direct message from a person to the bot.
		const user = resolveUser(body.user || 'alice');
		const bot = state.users.get(state.tokens.get(opts.token));
		if (!user)
			return send(res, 400, { error: 'unknown user' });
		const name = [user.id, bot.id].sort().join('__');
		let ch = [...state.channels.values()].find((c) =>
		    c.type === 'D' && c.name === name);
		if (!ch) {
			ch = makeChannel(null, name, 'D', [user, bot], '');
			state.channels.set(ch.id, ch);
		}
		const out = createPost(user, { channel_id: ch.id, message:
		    body.message, root_id: body.root_id || '' });
		if (!out.post)
			return send(res, out.status, { error: 'bad post' });
		return send(res, 201, postJson(out.post));
	}
	case 'POST /_fake/drop':
		return send(res, 200, { dropped: dropAll(body.code) });
	case 'POST /_fake/raw': {
		// Sends text as is (no envelope, no seq) on every open socket,
		// to show how a client takes frames that are not events.
		let n = 0;
		for (const ws of allSockets)
			if (ws.readyState === 1) {
				ws.send(String(body.text === undefined ? '' :
				    body.text));
				n++;
			}
		return send(res, 200, { sent_to: n });
	}
	case 'POST /_fake/expire': {
		// Forget every resumable session: the next reconnect gets a
		// new connection id, as after a server restart.
		const n = state.sessions.size;
		for (const s of state.sessions.values())
			if (s.ws)
				s.ws.terminate();
		state.sessions.clear();
		return send(res, 200, { expired: n });
	}
	case 'POST /_fake/fail':
		try {
			const r = failures.add(body);
			return send(res, 200, { queued: r });
		} catch (e) {
			return send(res, 400, { error: e.message });
		}
	case 'POST /_fake/users': {
		if (typeof body.username !== 'string' ||
		    !/^[a-z0-9._-]{1,64}$/.test(body.username) ||
		    userByName(body.username))
			return send(res, 400, { error: 'bad or taken username' });
		const u = makeUser(body.username, body);
		addUser(u, body.token || `${body.username}-token`);
		for (const c of state.channels.values())
			if (c.type === 'O' && body.join !== false)
				c._members.add(u.id);
		return send(res, 201, publicUser(u));
	}
	case 'POST /_fake/channels': {
		const team = state.teams.values().next().value;
		if (typeof body.name !== 'string' || !body.name ||
		    channelByName(team, body.name))
			return send(res, 400, { error: 'bad or taken name' });
		const members = (body.members || [...state.users.keys()])
		    .map(resolveUser).filter(Boolean);
		const c = makeChannel(team, body.name, body.type || 'O',
		    members, body.display_name);
		state.channels.set(c.id, c);
		return send(res, 201, { ...publicChannel(c), members:
		    [...c._members] });
	}
	case 'POST /_fake/members': {
		const c = resolveChannel(body.channel);
		const u = resolveUser(body.user);
		if (!c || !u)
			return send(res, 400, { error: 'unknown user or channel' });
		if (body.remove)
			c._members.delete(u.id);
		else
			c._members.add(u.id);
		return send(res, 200, { members: [...c._members] });
	}
	case 'POST /_fake/config':
		for (const k of Object.keys(state.config))
			if (k in body)
				state.config[k] = !!body[k];
		return send(res, 200, state.config);
	case 'POST /_fake/slash': {
		const out = await runSlash({ ...body, base_url: baseUrl });
		return send(res, out.status, out.body);
	}
	case 'POST /_fake/reset':
		dropAll();
		failures.clear();
		requestLog.length = 0;
		seed();
		return send(res, 200, { ok: true });
	default:
		return send(res, 404, { error: `no control route ${path}` });
	}
}

function applyFailure(req, res, rule) {
	if (rule.mode === 'hang')
		return failures.hang(req, res);
	if (rule.mode === 'reset')
		return req.socket.destroy();
	const headers = {};
	if (rule.status === 429) {
		// The real limiter: Retry-After only on 429, X-Ratelimit-Reset
		// in seconds, and a plain-text body.
		const ra = rule.retry_after !== undefined ? rule.retry_after : 1;
		headers['Retry-After'] = String(ra);
		headers['X-Ratelimit-Limit'] = '101';
		headers['X-Ratelimit-Remaining'] = '0';
		headers['X-Ratelimit-Reset'] = String(rule.reset !== undefined ?
		    rule.reset : ra);
		return send(res, 429, rule.body || 'limit exceeded\n', headers);
	}
	if (rule.retry_after !== undefined)
		headers['Retry-After'] = String(rule.retry_after);
	if (rule.body !== undefined)
		return send(res, rule.status, rule.body, headers);
	return send(res, rule.status, {
		id: '', message: 'Internal Server Error', detailed_error: '',
		request_id: res.getHeader('X-Request-Id'), status_code:
		    rule.status,
	}, headers);
}

async function handle(req, res) {
	const url = new URL(req.url, 'http://127.0.0.1');
	const path = url.pathname;
	if (path.startsWith('/_fake/'))
		return routeControl(req, res, path, url);
	res.setHeader('X-Request-Id', newId());
	res.setHeader('X-Version-Id', VERSION_ID);
	if (path === '/api/v4/system/ping' && req.method === 'GET') {
		logRequest(req, path, 200);
		return send(res, 200, { status: 'OK' });
	}
	const hook = /^\/hooks\/commands\/([A-Za-z0-9]+)$/.exec(path);
	if (hook && req.method === 'POST') {
		logRequest(req, path, 200);
		return routeHook(req, res, hook[1]);
	}
	if (!path.startsWith('/api/v4/')) {
		logRequest(req, path, 404);
		return E.notFoundRoute(res);
	}
	const rule = failures.take(req, path);
	if (rule) {
		logRequest(req, path, rule.mode === 'status' ? rule.status :
		    rule.mode);
		return applyFailure(req, res, rule);
	}
	const user = authUser(req);
	if (!user) {
		logRequest(req, path, 401);
		return E.unauthorized(res);
	}
	res.on('finish', () => logRequest(req, path, res.statusCode, user));
	return routeApi(req, res, path.slice('/api/v4'.length), url, user);
}

seed();
const server = createServer(handle);
server.on('upgrade', onUpgrade);
listen(server, opts.port, 'mattermost');
