'use strict';
// Contract check of the fake Slack against the official clients:
// @slack/socket-mode's SocketModeClient (apps.connections.open, hello,
// envelopes, acks with and without payload, reconnect after a disconnect
// frame) and @slack/web-api's WebClient (auth.test, chat.postMessage,
// chat.postEphemeral, errors as ok:false, 429 with Retry-After).
//
//   SLACK_URL=http://127.0.0.1:PORT node contract/slack.js

const { SocketModeClient, LogLevel } = require('@slack/socket-mode');
const { WebClient } = require('@slack/web-api');
const { check, thrown, waitFor, finish, control } = require('./check');

const base = process.env.SLACK_URL;
const apiUrl = `${base}/api/`;

async function webApi(state) {
	const web = new WebClient(state.bot_token, { slackApiUrl: apiUrl,
	    retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
	const auth = await web.auth.test();
	check('auth.test gives the bot user and bot ids', auth.ok &&
	    auth.user_id === state.bot.user_id && auth.bot_id ===
	    state.bot.bot_id, auth);
	const ch = state.channels.find((c) => c.name === 'pm');
	const m = await web.chat.postMessage({ channel: ch.id, text: 'hello',
	    blocks: [{ type: 'section', text: { type: 'mrkdwn',
	    text: '*hi*' } }] });
	check('chat.postMessage (form body, blocks as a JSON string) echoes ' +
	    'channel and a string ts', m.ok && m.channel === ch.id &&
	    /^\d{10}\.\d{6}$/.test(m.ts) && m.message.blocks.length === 1 &&
	    m.message.bot_id === state.bot.bot_id, m);
	const reply = await web.chat.postMessage({ channel: ch.id,
	    text: 'in thread', thread_ts: m.ts });
	check('a reply with thread_ts carries it', reply.message.thread_ts ===
	    m.ts, reply.message);
	let e = await thrown(() => web.chat.postMessage({ channel: 'C0NOPE',
	    text: 'x' }));
	check('an unknown channel is ok:false channel_not_found (HTTP 200)',
	    e && e.data && e.data.error === 'channel_not_found', e && e.data);
	e = await thrown(() => web.chat.postMessage({ channel: ch.id }));
	check('no text and no blocks is no_text', e && e.data &&
	    e.data.error === 'no_text', e && e.data);
	const eph = await web.chat.postEphemeral({ channel: ch.id,
	    user: 'U0HUMAN001', text: 'only you' });
	check('chat.postEphemeral answers message_ts', eph.ok &&
	    /^\d+\.\d{6}$/.test(eph.message_ts), eph);
	const bad = new WebClient('xoxb-wrong', { slackApiUrl: apiUrl,
	    retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
	e = await thrown(() => bad.auth.test());
	check('a wrong token is invalid_auth', e && e.data &&
	    e.data.error === 'invalid_auth', e && e.data);
	await control(base, 'fail', { status: 429, retry_after: 7, count: 1 });
	const strict = new WebClient(state.bot_token, { slackApiUrl: apiUrl,
	    rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
	e = await thrown(() => strict.auth.test());
	check('an injected 429 reaches the client with Retry-After 7',
	    e && e.code === 'slack_webapi_rate_limited_error' &&
	    e.retryAfter === 7, e && e.code);

	// JSON body without charset: accepted with a warning.
	const r = await fetch(`${apiUrl}chat.postMessage`, { method: 'POST',
	    headers: { Authorization: `Bearer ${state.bot_token}`,
	    'Content-Type': 'application/json' }, body: JSON.stringify({
	    channel: ch.id, text: 'json' }) });
	const j = await r.json();
	check('a JSON body without charset gets the missing_charset warning',
	    j.ok && j.warnings && j.warnings[0] === 'missing_charset', j);
}

async function socketMode(state) {
	const client = new SocketModeClient({ appToken: state.app_token,
	    clientOptions: { slackApiUrl: apiUrl }, logLevel: LogLevel.ERROR,
	    clientPingTimeout: 1000 });
	const got = { slash: [], messages: [], mentions: [] };
	client.on('slash_commands', async ({ ack, body }) => {
		got.slash.push(body);
		await ack({ response_type: 'ephemeral', text: `ok ${body.text}` });
	});
	client.on('message', async ({ ack, event, retry_num }) => {
		got.messages.push({ event, retry_num });
		// The first delivery of "ignore me" is left unacknowledged
		// to see Slack's retry.
		if (event.text === 'ignore me' && retry_num === 0)
			return;
		await ack();
	});
	client.on('app_mention', async ({ ack, event }) => {
		got.mentions.push(event);
		await ack();
	});
	await client.start();
	check('SocketModeClient connects: apps.connections.open and hello',
	    (await control(base, 'state')).connections === 1);

	const s = await control(base, 'slash', { command: '/brief',
	    text: 'weekly status', user: 'alice', channel: 'pm' });
	await waitFor(() => got.slash.length === 1, 5000, 'slash command');
	const sb = got.slash[0];
	check('a slash_commands envelope arrives with string fields',
	    sb.command === '/brief' && sb.text === 'weekly status' &&
	    sb.is_enterprise_install === 'false' && sb.user_name === 'alice',
	    sb);
	const acks = await waitForAck(s.envelope_id);
	check('the ack carries the response payload', acks.payload &&
	    acks.payload.text === 'ok weekly status' && !acks.late, acks);

	await control(base, 'message', { text: '<@U0FAKEBOT1> brief foo',
	    user: 'bob', channel: 'pm', mention: true });
	await waitFor(() => got.mentions.length === 1, 5000, 'app_mention');
	check('an app_mention event arrives without channel_type',
	    got.mentions[0].type === 'app_mention' &&
	    got.mentions[0].channel_type === undefined &&
	    typeof got.mentions[0].ts === 'string', got.mentions[0]);

	await control(base, 'message', { text: 'ignore me', user: 'alice',
	    channel: 'pm' });
	await waitFor(() => got.messages.filter((m) => m.event.text ===
	    'ignore me').length === 2, 8000, 'redelivery');
	const tries = got.messages.filter((m) => m.event.text === 'ignore me');
	check('an unacknowledged event is delivered again with retry_attempt ' +
	    '1 and the same event', tries[0].retry_num === 0 &&
	    tries[1].retry_num === 1 && tries[0].event.ts ===
	    tries[1].event.ts, tries.map((t) => t.retry_num));

	// A disconnect frame: the client closes and reconnects with a new
	// apps.connections.open.
	const before = (await control(base, 'state')).opens;
	await control(base, 'disconnect', { reason: 'refresh_requested' });
	const reopened = await waitForOpens(before + 1);
	check('after a disconnect frame the client calls ' +
	    'apps.connections.open again and connects', reopened);
	await control(base, 'message', { text: 'after refresh', user: 'alice',
	    channel: 'pm' });
	const flowed = await waitFor(() => got.messages.some((m) =>
	    m.event.text === 'after refresh'), 10000, 'event after reconnect')
	    .catch(() => false);
	check('events reach the client on the new connection', flowed);
	await client.disconnect();
}

async function waitForAck(id) {
	for (let i = 0; i < 100; i++) {
		const acks = await control(base, 'acks');
		const a = acks.find((x) => x.envelope_id === id);
		if (a)
			return a;
		await new Promise((r) => setTimeout(r, 50));
	}
	return {};
}

async function waitForOpens(n) {
	for (let i = 0; i < 300; i++) {
		const s = await control(base, 'state');
		if (s.opens >= n && s.connections === 1)
			return true;
		await new Promise((r) => setTimeout(r, 50));
	}
	return false;
}

async function main() {
	const state = await control(base, 'state');
	await webApi(state);
	await socketMode(state);
	finish('slack');
}

main().catch((e) => {
	process.stdout.write(`not ok - unexpected error: ${e.stack || e}\n`);
	process.exit(1);
});
