'use strict';
// Contract check of the fake Mattermost's REST half against the official
// JavaScript client, @mattermost/client's Client4: if the client a real
// webapp uses can talk to the fake and reads back what it expects, the
// fake's routes, status codes, content types and error bodies are right.
//
//   MM_URL=http://127.0.0.1:PORT node contract/mattermost_rest.js

const { Client4 } = require('@mattermost/client');
const { check, thrown, finish, control } = require('./check');

const base = process.env.MM_URL;

async function main() {
	const state = await control(base, 'state');
	const c = new Client4();
	c.setUrl(base);
	c.setToken(state.token);

	const me = await c.getMe();
	check('getMe returns the bot user', me.username === 'pmbot' &&
	    me.is_bot === true && /^[a-z0-9]{26}$/.test(me.id), me);

	const anon = new Client4();
	anon.setUrl(base);
	anon.setToken('not-a-token');
	let e = await thrown(() => anon.getMe());
	check('a bad token gives 401 session_expired as a ClientError',
	    e && e.status_code === 401 &&
	    e.server_error_id === 'api.context.session_expired.app_error', e);

	const team = await c.getTeamByName('pm');
	check('getTeamByName finds the team', team.name === 'pm' &&
	    team.id.length === 26, team);
	e = await thrown(() => c.getTeamByName('nope'));
	check('getTeamByName on an unknown team is a 404',
	    e && e.status_code === 404, e);

	const ts = await c.getChannelByName(team.id, 'town-square');
	check('getChannelByName (team id) finds town-square',
	    ts.name === 'town-square' && ts.type === 'O' &&
	    ts.team_id === team.id, ts);
	const ask = await c.getChannelByNameAndTeamName('pm',
	    'ask-experimenter');
	check('getChannelByNameAndTeamName finds ask-experimenter',
	    ask.name === 'ask-experimenter', ask);
	e = await thrown(() => c.getChannelByNameAndTeamName('pm', 'secret'));
	check('a private channel the bot is not in answers 404, not 403',
	    e && e.status_code === 404 && e.server_error_id ===
	    'app.channel.get_by_name.missing.app_error', e);

	const members = await c.getChannelMembers(ts.id);
	check('getChannelMembers lists the bot among the members',
	    Array.isArray(members) && members.some((m) => m.user_id === me.id),
	    members.length);

	const alice = state.users.find((u) => u.username === 'alice');
	const u = await c.getUser(alice.id);
	check('getUser by id', u.username === 'alice', u);
	const byName = await c.getUserByUsername('bob');
	check('getUserByUsername', byName.username === 'bob', byName);
	const list = await c.getProfilesByUsernames(['alice', 'carol', 'zed']);
	check('getProfilesByUsernames returns the known users only',
	    list.map((x) => x.username).sort().join() === 'alice,carol', list);

	const since = Date.now() - 1;
	const p = await c.createPost({ channel_id: ts.id, message: 'hello',
	    pending_post_id: `${me.id}:${Date.now()}` });
	check('createPost returns the post with an id and from_bot',
	    p.id.length === 26 && p.message === 'hello' &&
	    p.user_id === me.id && p.props.from_bot === 'true' &&
	    Array.isArray(p.file_ids), p);
	const again = await c.createPost({ channel_id: ts.id,
	    message: 'hello', pending_post_id: p.pending_post_id });
	check('the same pending_post_id gives back the same post',
	    again.id === p.id, again);
	const reply = await c.createPost({ channel_id: ts.id,
	    message: 'in thread', root_id: p.id });
	check('a reply with root_id is accepted', reply.root_id === p.id,
	    reply);
	e = await thrown(() => c.createPost({ channel_id: ts.id,
	    message: 'x', root_id: reply.id }));
	check('root_id pointing at a reply is a 400 root_id error',
	    e && e.status_code === 400 && e.server_error_id ===
	    'api.post.create_post.root_id.app_error', e);
	e = await thrown(() => c.createPost({ channel_id: ts.id,
	    message: 'x'.repeat(16384) }));
	check('a message over 16383 characters is a 400',
	    e && e.status_code === 400 && e.server_error_id ===
	    'model.post.is_valid.message_length.app_error', e);
	const edge = await c.createPost({ channel_id: ts.id,
	    message: '\u00e9'.repeat(16383) });
	check('a message of exactly 16383 runes (two bytes each) is accepted',
	    edge.message.length === 16383, edge.id);
	e = await thrown(() => c.createPost({ message: 'no channel' }));
	check('a post without channel_id is a 400 invalid_body_param',
	    e && e.status_code === 400 && e.server_error_id ===
	    'api.context.invalid_body_param.app_error', e);

	const got = await c.getPostsSince(ts.id, since);
	check('getPostsSince returns the new posts newest first',
	    got.order.length === 3 && got.order[0] === edge.id &&
	    got.posts[p.id].message === 'hello', got.order);

	const eph = await c.createPostEphemeral(alice.id, { channel_id: ts.id,
	    message: 'only alice' });
	check('createPostEphemeral returns a system_ephemeral post',
	    eph.type === 'system_ephemeral' && eph.message === 'only alice',
	    eph);

	const dm = await c.createDirectChannel([me.id, alice.id]);
	const dm2 = await c.createDirectChannel([alice.id, me.id]);
	check('createDirectChannel is get-or-create with the sorted name',
	    dm.type === 'D' && dm.id === dm2.id &&
	    dm.name === [me.id, alice.id].sort().join('__'), dm);

	const cmd = await c.addCommand({ team_id: team.id, trigger: 'Brief',
	    method: 'P', url: 'http://127.0.0.1:9/mattermost/command',
	    auto_complete: true, auto_complete_desc: 'briefs' });
	check('addCommand returns the command with its token, trigger ' +
	    'lower-cased', cmd.token.length === 26 && cmd.trigger === 'brief',
	    cmd);
	e = await thrown(() => c.addCommand({ team_id: team.id,
	    trigger: 'brief', method: 'P', url: 'http://127.0.0.1:9/x' }));
	check('a duplicate trigger is a 400', e && e.status_code === 400, e);
	e = await thrown(() => c.addCommand({ team_id: team.id,
	    trigger: 'qa', method: 'POST', url: 'http://127.0.0.1:9/x' }));
	check('method "POST" (not "P") is a 400', e && e.status_code === 400,
	    e);
	const cmds = await c.getCustomTeamCommands(team.id);
	check('getCustomTeamCommands lists it without the token',
	    cmds.length === 1 && cmds[0].id === cmd.id && cmds[0].token === '',
	    cmds);
	const edited = await c.editCommand({ ...cmd,
	    url: 'http://127.0.0.1:9/other' });
	check('editCommand changes the URL', edited.url ===
	    'http://127.0.0.1:9/other', edited);
	const regen = await c.regenCommandToken(cmd.id);
	check('regenCommandToken gives a new token', regen.token &&
	    regen.token !== cmd.token, regen);

	// Rate limiting and 5xx through the control API.  The client cannot
	// read a text 429 body as an AppError, so the raw answer is checked.
	await control(base, 'fail', { status: 429, retry_after: 2, count: 1 });
	const r429 = await fetch(`${base}/api/v4/users/me`, { headers:
	    { Authorization: `Bearer ${state.token}` } });
	check('an injected 429 has Retry-After, X-Ratelimit-Reset and a ' +
	    'plain-text body', r429.status === 429 &&
	    r429.headers.get('retry-after') === '2' &&
	    r429.headers.get('x-ratelimit-reset') === '2' &&
	    (await r429.text()) === 'limit exceeded\n', r429.status);
	await control(base, 'fail', { status: 503, count: 1 });
	e = await thrown(() => c.getMe());
	check('an injected 503 reaches the client as status 503',
	    e && e.status_code === 503, e);
	const after = await c.getMe();
	check('the call after the injected failures succeeds',
	    after.id === me.id);

	const recorded = await control(base, `posts?channel=town-square`);
	check('/_fake/posts records what the bot posted, in order',
	    recorded.length === 3 && recorded[0].id === p.id, recorded.length);
	finish('mattermost_rest');
}

main().catch((e) => {
	process.stdout.write(`not ok - unexpected error: ${e.stack || e}\n`);
	process.exit(1);
});
