#!/usr/bin/env node
'use strict';
// The load side of bench/mm_run: drives pmbot through the fake Mattermost
// (tests/fakes/mattermost.js) the way people would, with a window of
// unanswered requests, and times each on one clock.
//
//   mention  N posts "@pmbot brief exp-XXXXX" in ~ask-experimenter from
//            many people, injected through the fake (pmbot gets them as
//            `posted` events over its WebSocket); a mention is answered
//            when pmbot's reply with that root_id reaches this script, a
//            user of the same server connected over the WebSocket.
//   slash    N "/brief exp-XXXXX" slash commands POSTed as Mattermost
//            sends them to pmbot's /mattermost/command; answered with the
//            HTTP response (the card, checked for the slug).
//
//   node bench/mm_load.js MODE N WINDOW FAKE_URL BOT_PORT COMMAND_TOKEN
//       TIMEOUT_S USERS
// prints one line of JSON: answered, good, per_s, p50_ms, p99_ms, wall_s,
// timed_out, and this script's own CPU seconds.
const path = require('path');
const http = require('http');
const WebSocket = require(path.join(__dirname,
    '../tests/fakes/node_modules/ws'));

const [mode, nArg, wArg, fake, botPort, token, toArg, usersArg] =
    process.argv.slice(2);
const N = Number(nArg), W = Number(wArg), TIMEOUT = Number(toArg) * 1000;
const USERS = Number(usersArg);
const slug = (i) => `exp-${String(i % 10000).padStart(5, '0')}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: W + 8 });

function request(url, method, headers, body) {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method, headers, agent },
		    (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode,
			    body: Buffer.concat(chunks).toString() }));
		});
		req.on('error', reject);
		if (body)
			req.write(body);
		req.end();
	});
}
const post = (url, obj) => {
	const s = JSON.stringify(obj);
	return request(url, 'POST', { 'Content-Type': 'application/json',
	    'Content-Length': Buffer.byteLength(s) }, s);
};

const lat = [];
let answered = 0, good = 0, sent = 0, t0 = 0, done = null, errShown = 0;
const cpu0 = process.cpuUsage();

function finish(timedOut) {
	if (done === null)
		return;
	const wall = (performance.now() - t0) / 1000;
	lat.sort((a, b) => a - b);
	const q = (p) => lat.length ? lat[Math.min(lat.length - 1,
	    Math.floor(p * lat.length))] : null;
	const c = process.cpuUsage(cpu0);
	console.log(JSON.stringify({ mode, n: N, window: W, answered, good,
	    per_s: answered / wall, p50_ms: q(0.5), p99_ms: q(0.99),
	    wall_s: wall, timed_out: timedOut,
	    load_cpu_s: (c.user + c.system) / 1e6 }));
	const d = done;
	done = null;
	d();
}

async function runMention() {
	const st = JSON.parse((await request(`${fake}/_fake/state`, 'GET',
	    {})).body);
	const botId = st.bot.id;
	const pending = new Map(); // mention id -> sent time
	const early = new Map();   // replies seen before their mention's id
	const ws = new WebSocket(`${fake.replace('http', 'ws')}/api/v4/websocket`,
	    { headers: { Authorization: 'Bearer alice-token' } });
	await new Promise((r) => ws.on('open', r));
	let next;
	const answer = (root, at, text) => {
		const t = pending.get(root);
		if (t === undefined)
			return false;
		pending.delete(root);
		lat.push(at - t);
		answered++;
		if (text.includes('exp-'))
			good++;
		if (answered === N)
			finish(false);
		else
			next();
		return true;
	};
	ws.on('message', (data) => {
		const ev = JSON.parse(data);
		if (ev.event !== 'posted')
			return;
		const p = JSON.parse(ev.data.post);
		if (p.user_id !== botId || !p.root_id)
			return;
		const text = p.message + JSON.stringify(p.props || {});
		if (!answer(p.root_id, performance.now(), text))
			early.set(p.root_id, [performance.now(), text]);
	});
	next = () => {
		while (sent < N && pending.size + inflight < W) {
			const i = sent++;
			const at = performance.now();
			inflight++;
			post(`${fake}/_fake/posts`, { user: `load${i % USERS}`,
			    channel: 'ask-experimenter',
			    message: `@pmbot brief ${slug(i)}` }).then((r) => {
				inflight--;
				const id = JSON.parse(r.body).id;
				pending.set(id, at);
				const e = early.get(id);
				if (e) {
					early.delete(id);
					answer(id, e[0], e[1]);
				}
			});
		}
	};
	let inflight = 0;
	t0 = performance.now();
	next();
}

async function runSlash() {
	const st = JSON.parse((await request(`${fake}/_fake/state`, 'GET',
	    {})).body);
	const ids = new Map(st.users.map((u) => [u.username, u.id]));
	let inflight = 0;
	const url = `http://127.0.0.1:${botPort}/mattermost/command`;
	const one = () => {
		while (sent < N && inflight < W) {
			const i = sent++;
			inflight++;
			const body = new URLSearchParams({ channel_id: 'c',
			    channel_name: 'ask-experimenter', command: '/brief',
			    team_domain: 'pm', text: slug(i), token,
			    user_id: ids.get(`load${i % USERS}`) || '',
			    user_name: `load${i % USERS}`,
			}).toString();
			const at = performance.now();
			request(url, 'POST', { 'Content-Type':
			    'application/x-www-form-urlencoded',
			    'Content-Length': Buffer.byteLength(body) },
			    body).then((r) => {
				inflight--;
				lat.push(performance.now() - at);
				answered++;
				if (r.status === 200 && r.body.includes(slug(i)))
					good++;
				else if (!errShown++)
					console.error(`slash: ${r.status} ${r.body.slice(0, 300)}`);
				if (answered === N)
					finish(false);
				else
					one();
			}, (e) => {
				inflight--;
				answered++;
				if (!errShown++)
					console.error(`slash: ${e.message}`);
				if (answered === N)
					finish(false);
				else
					one();
			});
		}
	};
	t0 = performance.now();
	one();
}

(async () => {
	await new Promise((resolve) => {
		done = resolve;
		setTimeout(() => finish(true), TIMEOUT);
		if (mode === 'mention')
			runMention();
		else
			runSlash();
	});
	process.exit(0);
})();
