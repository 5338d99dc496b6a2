'use strict';
// Contract check of the fake Mattermost's WebSocket against the official
// WebSocketClient from @mattermost/client.  That client is written for a
// browser: it calls the global WebSocket and CloseEvent, which Node 20 does
// not have.  It does take a newWebSocketFn, so we hand it the `ws` package
// (which also lets us send the Authorization header, the way a bot must for
// resumption to work) and define WebSocket and CloseEvent globally.  Then
// the client runs unmodified: hello, sequence checking, its own JSON ping,
// reconnection with connection_id and sequence_number, and the
// missed-message path.
//
//   MM_URL=http://127.0.0.1:PORT node contract/mattermost_ws.js

const WS = require('ws');
const { WebSocketClient } = require('@mattermost/client');
const { check, waitFor, finish, control } = require('./check');

const base = process.env.MM_URL;
const wsUrl = base.replace(/^http/, 'ws') + '/api/v4/websocket';

if (typeof globalThis.WebSocket === 'undefined')
	globalThis.WebSocket = WS;
if (typeof globalThis.CloseEvent === 'undefined')
	globalThis.CloseEvent = class CloseEvent {
		constructor(type, init) {
			this.type = type;
			Object.assign(this, init);
		}
	};

// The client logs every connect and close to the console; keep the
// output to the checks.
const quiet = console.log;
console.log = () => {};

function makeClient(headers) {
	const seen = { events: [], missed: 0, reconnects: 0, opened: [] };
	const client = new WebSocketClient({
		minWebSocketRetryTime: 100, reconnectJitterRange: 10,
		newWebSocketFn: (url) => {
			seen.opened.push(url);
			return new WS(url, { headers });
		},
	});
	client.addMessageListener((m) => seen.events.push(m));
	client.addMissedMessageListener(() => seen.missed++);
	client.addReconnectListener(() => seen.reconnects++);
	return { client, seen };
}

const posted = (seen, text) => seen.events.find((e) => e.event ===
    'posted' && JSON.parse(e.data.post).message === text);

async function main() {
	const state = await control(base, 'state');
	const bot = state.bot;

	// Header authentication.
	const { client, seen } = makeClient({
		Authorization: `Bearer ${state.token}` });
	client.initialize(wsUrl);
	const hello = await waitFor(() => seen.events.find((e) =>
	    e.event === 'hello'), 5000, 'hello');
	check('hello is the first event, seq 0, with a 26-character ' +
	    'connection_id', seen.events[0] === hello && hello.seq === 0 &&
	    /^[a-z0-9]{26}$/.test(hello.data.connection_id) &&
	    hello.broadcast.user_id === bot.id, hello);
	check('the client sent connection_id and sequence_number on the ' +
	    'first connect', /\?connection_id=&sequence_number=0$/.test(
	    seen.opened[0]), seen.opened[0]);

	const pong = await new Promise((resolve) => client.ping(resolve));
	check('the ping action is answered with seq_reply and "pong"',
	    pong.status === 'OK' && pong.data.text === 'pong' &&
	    pong.seq_reply > 0, pong);

	await control(base, 'posts', { user: 'alice', channel: 'town-square',
	    message: 'hey @pmbot brief foo' });
	const ev = await waitFor(() => posted(seen, 'hey @pmbot brief foo'),
	    5000, 'posted');
	const post = JSON.parse(ev.data.post);
	check('an injected post arrives as a posted event whose post is a ' +
	    'JSON string', typeof ev.data.post === 'string' && ev.seq === 1 &&
	    post.user_id === state.users.find((u) => u.username ===
	    'alice').id && ev.data.channel_name === 'town-square' &&
	    ev.data.sender_name === '@alice', ev);
	check('the mention names the bot in data.mentions (a JSON string)',
	    JSON.parse(ev.data.mentions || '[]')[0] === bot.id, ev.data);

	// Drop the socket; a post made while the bot is away must be
	// replayed on resume, with no new hello.
	const cid = client.connectionId;
	await control(base, 'drop', {});
	await control(base, 'posts', { user: 'bob', channel: 'pm',
	    message: 'while you were away' });
	const replayed = await waitFor(() => posted(seen,
	    'while you were away'), 5000, 'replayed post');
	check('after a drop the client resumed with connection_id and ' +
	    'sequence_number = last seq + 1', seen.opened[1] ===
	    `${wsUrl}?connection_id=${cid}&sequence_number=2` ||
	    seen.opened[1].startsWith(`${wsUrl}?connection_id=${cid}` +
	    '&sequence_number=2'), seen.opened[1]);
	check('the missed post is replayed with the next seq and no new hello',
	    replayed.seq === 2 && seen.events.filter((e) => e.event ===
	    'hello').length === 1 && seen.missed === 0 &&
	    client.connectionId === cid, { seq: replayed.seq,
	    missed: seen.missed });
	check('the reconnect listener fired once', seen.reconnects === 1,
	    seen.reconnects);

	// Forget the session, as a server restart would: the client gets a
	// hello with a new connection id and must re-sync.
	await control(base, 'expire', {});
	await waitFor(() => seen.events.filter((e) => e.event ===
	    'hello').length === 2, 5000, 'second hello');
	const hello2 = seen.events.filter((e) => e.event === 'hello')[1];
	check('after the session is forgotten the client gets a new ' +
	    'connection_id and seq restarts at 0', hello2.seq === 0 &&
	    hello2.data.connection_id !== cid, hello2);
	check('the client called its missed-message listener',
	    seen.missed === 1, seen.missed);
	await control(base, 'posts', { user: 'alice', channel: 'pm',
	    message: 'after restart' });
	const after = await waitFor(() => posted(seen, 'after restart'), 5000,
	    'post after restart');
	check('events continue at seq 1 on the new connection',
	    after.seq === 1, after.seq);
	client.close();

	// authentication_challenge with no header: hello, then the OK reply.
	const raw = new WS(wsUrl);
	const frames = [];
	raw.on('message', (d) => frames.push(d.toString()));
	await new Promise((resolve) => raw.on('open', resolve));
	raw.send(JSON.stringify({ seq: 1, action: 'authentication_challenge',
	    data: { token: state.token } }));
	await waitFor(() => frames.length >= 2, 5000, 'challenge answers');
	const f0 = JSON.parse(frames[0]);
	const f1 = JSON.parse(frames[1]);
	check('challenge authentication gives hello then {status:OK,' +
	    'seq_reply:1}', f0.event === 'hello' && f1.status === 'OK' &&
	    f1.seq_reply === 1 && f1.seq === undefined, frames);
	raw.send(JSON.stringify({ seq: 2, action: 'no_such_action' }));
	await waitFor(() => frames.length >= 3, 5000, 'error reply');
	const f2 = JSON.parse(frames[2]);
	check('an unknown action is a FAIL with bad_action, status 500',
	    f2.status === 'FAIL' && f2.seq_reply === 2 && f2.error.id ===
	    'api.web_socket_router.bad_action.app_error' &&
	    f2.error.status_code === 500, f2);
	raw.close();

	// A bad header token: the upgrade succeeds, but no hello comes and
	// an action is refused as not authenticated.
	const bad = new WS(wsUrl, { headers: { Authorization: 'Bearer nope' } });
	const badFrames = [];
	bad.on('message', (d) => badFrames.push(JSON.parse(d.toString())));
	await new Promise((resolve) => bad.on('open', resolve));
	bad.send(JSON.stringify({ seq: 1, action: 'ping' }));
	await waitFor(() => badFrames.length >= 1, 5000, 'refusal');
	check('a bad header token gets no hello and actions answer 401',
	    badFrames[0].status === 'FAIL' && badFrames[0].error.status_code ===
	    401, badFrames);
	bad.close();

	console.log = quiet;
	finish('mattermost_ws');
}

main().catch((e) => {
	console.log = quiet;
	process.stdout.write(`not ok - unexpected error: ${e.stack || e}\n`);
	process.exit(1);
});
