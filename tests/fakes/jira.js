#!/usr/bin/env node
'use strict';
// A fake Jira (Cloud REST v3 and Server/Data Center REST v2 paths) for
// pmbot's /qa tests: create, get and search issues, remote links, basic
// (email:token) and Bearer auth, with Jira's status codes and error bodies.
// A control API under /_fake/ makes the next calls fail (503 with
// Retry-After, 429, a hang, a cut connection), lists what was created,
// seeds issues and resets.  See README.md beside this file.
//
//   node jira.js [--port N] [--flavor cloud|server] [--email E] [--token T]
//                [--pat P] [--project QA]
//
// prints "listening <port>" on stdout once bound to 127.0.0.1.

const {
	parseArgs, readBody, parseJson, send, Failures, listen, createServer,
} = require('./common');

const opts = parseArgs(process.argv.slice(2), {
	port: 0,
	flavor: 'cloud',
	email: 'pmbot@example.com',
	token: 'jira-api-token',
	pat: 'jira-pat',
	project: 'QA',
});

// Fields the default create screen of a project offers; anything else is
// "cannot be set".  customfield_10042 stands for a text custom field.
const SCREEN_FIELDS = new Set(['project', 'issuetype', 'summary',
	'description', 'labels', 'components', 'assignee', 'priority',
	'reporter', 'duedate', 'customfield_10042']);
const ISSUE_TYPES = ['Task', 'Bug', 'Story', 'Nimbus/Remote delivery'];
const SEARCH_MAX_RESULTS_DEFAULT = 50;
const GLOBAL_ID_MAX = 255;

const REMOVED_SEARCH_MESSAGE = 'The requested API has been removed. ' +
    'Please migrate to the /rest/api/3/search/jql API. A full migration ' +
    'guideline is available at ' +
    'https://developer.atlassian.com/changelog/#CHANGE-2046';

let state;
const failures = new Failures();
const requestLog = [];

function seed() {
	state = {
		flavor: opts.flavor,
		projects: new Map([[opts.project, {
			id: '10000', key: opts.project, name: 'QA',
			required: ['summary', 'issuetype', 'project'],
		}]]),
		issues: new Map(), nextId: 10042, nextNum: new Map(),
		links: new Map(), nextLinkId: 10000,
	};
}

function errors(res, status, errorMessages, errs, headers) {
	send(res, status, { errorMessages: errorMessages || [],
	    errors: errs || {} }, headers);
}

// Basic email:token (Cloud API token) or Bearer PAT (Data Center); the
// 401 body is plain text on purpose: Jira's often is, and a client must
// not assume JSON without looking at Content-Type.
function authenticate(req) {
	const h = req.headers.authorization || '';
	if (/^Basic /i.test(h)) {
		const dec = Buffer.from(h.slice(6).trim(), 'base64')
		    .toString('utf8');
		const i = dec.indexOf(':');
		if (i > 0 && dec.slice(0, i) === opts.email &&
		    dec.slice(i + 1) === opts.token)
			return { kind: 'basic', user: opts.email };
		return null;
	}
	if (/^Bearer /i.test(h) && h.slice(7).trim() === opts.pat)
		return { kind: 'bearer', user: 'pmbot' };
	return null;
}

function unauthorized(res) {
	send(res, 401, 'Client must be authenticated to access this resource.',
	    {
		    'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED',
		    'WWW-Authenticate': 'OAuth realm="127.0.0.1"',
	    });
}

function base(req) {
	return `http://${req.headers.host}`;
}

function statusObj(req, v, name) {
	const cat = name === 'Done' ? { id: 3, key: 'done', colorName:
	    'green', name: 'Done' } : name === 'To Do' ? { id: 2, key: 'new',
	    colorName: 'blue-gray', name: 'To Do' } : { id: 4, key:
	    'indeterminate', colorName: 'yellow', name: 'In Progress' };
	const ids = { 'To Do': '10000', 'In Progress': '3', Done: '10001' };
	const id = ids[name] || '3';
	return {
		self: `${base(req)}/rest/api/${v}/status/${id}`, name, id,
		statusCategory: cat,
	};
}

function userObj(req, v, a) {
	if (!a)
		return null;
	if (a.accountId)
		return { accountId: a.accountId, displayName: a.displayName ||
		    a.accountId, active: true };
	return {
		self: `${base(req)}/rest/api/${v}/user?username=${a.name}`,
		name: a.name, key: a.name, displayName: a.displayName || a.name,
		active: true,
	};
}

// The issue as GET /issue/{key} shows it, limited to `fields` when given
// (a list, or "*all"/"*navigable" for everything).
function issueBean(req, v, issue, fields) {
	const all = {
		summary: issue.summary,
		status: statusObj(req, v, issue.status),
		assignee: userObj(req, v, issue.assignee),
		labels: issue.labels,
		issuetype: { name: issue.issuetype },
		project: { id: issue.projectId, key: issue.project },
		description: issue.description === undefined ? null :
		    issue.description,
		created: issue.created, updated: issue.updated,
	};
	for (const [k, val] of Object.entries(issue.extra))
		all[k] = val;
	let f = all;
	if (fields && !fields.includes('*all') &&
	    !fields.includes('*navigable')) {
		f = {};
		for (const k of fields)
			if (k in all)
				f[k] = all[k];
	}
	const out = {
		expand: 'renderedFields,names,schema,operations,editmeta,' +
		    'changelog,versionedRepresentations',
		id: issue.id, self: `${base(req)}/rest/api/${v}/issue/${issue.id}`,
		key: issue.key,
	};
	if (fields === null)
		return out;
	out.fields = f;
	return out;
}

function findIssue(ref) {
	if (state.issues.has(ref))
		return state.issues.get(ref);
	for (const i of state.issues.values())
		if (i.id === ref)
			return i;
	return null;
}

function isAdf(d) {
	return d && typeof d === 'object' && d.type === 'doc' &&
	    d.version === 1 && Array.isArray(d.content);
}

function humanName(field) {
	const n = { duedate: 'Due date', labels: 'Labels', components:
	    'Component/s', priority: 'Priority', assignee: 'Assignee' };
	return n[field] || field;
}

// Checks a create body the way Jira reports problems: per-field messages
// in `errors`, general ones in `errorMessages`.  Returns null when fine.
function validateCreate(v, body) {
	if (typeof body !== 'object' || body === null || Array.isArray(body) ||
	    typeof body.fields !== 'object' || body.fields === null ||
	    Array.isArray(body.fields))
		return { errorMessages: ['Can not deserialize instance of ' +
		    'com.atlassian.jira.rest.v2.issue.IssueUpdateBean'],
		    errors: {} };
	const f = body.fields;
	const errs = {};
	const proj = f.project && (state.projects.get(f.project.key) ||
	    [...state.projects.values()].find((p) => p.id === f.project.id));
	if (!f.project)
		errs.project = 'Specify a valid project ID or key';
	else if (!proj)
		errs.project = 'valid project is required';
	if (!f.issuetype)
		errs.issuetype = 'Specify an issue type';
	else if (!ISSUE_TYPES.includes(f.issuetype.name) &&
	    !(f.issuetype.id && /^\d+$/.test(f.issuetype.id)))
		errs.issuetype = 'The issue type selected is invalid.';
	if (f.summary === undefined || f.summary === '')
		errs.summary = 'You must specify a summary of the issue.';
	else if (typeof f.summary !== 'string')
		errs.summary = 'Operation value must be a string';
	else if (f.summary.length > 255)
		errs.summary = 'Summary must be less than 255 characters.';
	if (f.description !== undefined && f.description !== null) {
		if (v === '3' && !isAdf(f.description))
			errs.description = 'Operation value must be an ' +
			    'Atlassian Document (see the Atlassian Document ' +
			    'Format)';
		if (v === '2' && typeof f.description !== 'string')
			errs.description = 'Operation value must be a string';
	}
	if (f.labels !== undefined) {
		if (!Array.isArray(f.labels) ||
		    !f.labels.every((l) => typeof l === 'string'))
			errs.labels = 'Operation value must be a string';
		else
			for (const l of f.labels)
				if (/\s/.test(l))
					errs.labels = state.flavor === 'cloud' ?
					    `The label '${l}' can't contain ` +
					    'spaces.' : `The label '${l}' ` +
					    'contains spaces which is invalid.';
	}
	if (f.assignee !== undefined && f.assignee !== null) {
		const a = f.assignee;
		if (a.accountId && a.name)
			errs.assignee = "The query parameters 'accountId' " +
			    "and 'username' are mutually exclusive.";
		else if (state.flavor === 'cloud' && !a.accountId && !a.id)
			errs.assignee = 'Specify a valid value for assignee';
		else if (state.flavor === 'server' && !a.name)
			errs.assignee = "Specify a valid 'name' for assignee";
	}
	for (const k of Object.keys(f))
		if (!SCREEN_FIELDS.has(k))
			errs[k] = `Field '${k}' cannot be set. It is not on ` +
			    'the appropriate screen, or unknown.';
	if (proj)
		for (const k of proj.required)
			if (!(k in errs) && (f[k] === undefined ||
			    f[k] === null || f[k] === '' ||
			    (Array.isArray(f[k]) && f[k].length === 0)))
				errs[k] = `${humanName(k)} is required.`;
	if (Object.keys(errs).length)
		return { errorMessages: [], errors: errs };
	return null;
}

function createIssue(req, v, body) {
	const f = body.fields;
	const proj = state.projects.get(f.project.key) ||
	    [...state.projects.values()].find((p) => p.id === f.project.id);
	const n = (state.nextNum.get(proj.key) || 0) + 1;
	state.nextNum.set(proj.key, n);
	const t = new Date().toISOString().replace('Z', '+0000');
	const extra = {};
	for (const k of Object.keys(f))
		if (!['project', 'issuetype', 'summary', 'description',
		    'labels', 'assignee'].includes(k))
			extra[k] = f[k];
	const issue = {
		id: String(state.nextId++), key: `${proj.key}-${n}`,
		project: proj.key, projectId: proj.id,
		issuetype: f.issuetype.name || f.issuetype.id,
		summary: f.summary, description: f.description,
		labels: f.labels || [], assignee: f.assignee || null,
		status: 'To Do', created: t, updated: t, extra,
		properties: body.properties || [], api: v,
		auth: req.auth.kind,
	};
	state.issues.set(issue.key, issue);
	return issue;
}

// A small JQL: clauses joined by AND, each `field = "value"`,
// `field in ("a", "b")` or `field ~ "text"` on project, key, labels,
// status, summary, issuetype; then an optional ORDER BY created|key.
// Anything else is a 400 like Jira's parser gives, so a query the fake
// cannot read is noticed rather than matching everything.
function parseJql(jql) {
	const s = String(jql || '');
	const out = { clauses: [], order: null };
	const orderAt = s.search(/\border\s+by\b/i);
	let where = orderAt >= 0 ? s.slice(0, orderAt) : s;
	if (orderAt >= 0) {
		const m = /^order\s+by\s+(\w+)(?:\s+(asc|desc))?\s*$/i.exec(
		    s.slice(orderAt));
		if (!m)
			return { error: 'Error in the JQL Query: bad ORDER BY.' };
		out.order = { field: m[1].toLowerCase(), desc:
		    (m[2] || 'asc').toLowerCase() === 'desc' };
	}
	where = where.trim();
	if (!where)
		return out;
	const value = '"((?:[^"\\\\]|\\\\.)*)"|\'((?:[^\'\\\\]|\\\\.)*)\'|' +
	    '([A-Za-z0-9._-]+)';
	const clause = new RegExp(`^\\s*(\\w+)\\s*(=|!=|~|in)\\s*(?:${value}|` +
	    '\\(([^)]*)\\))\\s*', 'i');
	let rest = where;
	for (;;) {
		const m = clause.exec(rest);
		if (!m)
			return { error: 'Error in the JQL Query: Expecting ' +
			    `a clause but got '${rest.trim().slice(0, 40)}'.` };
		const unq = (x) => x.replace(/\\(.)/g, (a, c) =>
		    ({ n: '\n', t: '\t', r: '\r' })[c] || c);
		let vals;
		if (m[6] !== undefined)
			vals = m[6].split(',').map((x) => x.trim()
			    .replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'))
			    .map(unq);
		else
			vals = [unq(m[3] !== undefined ? m[3] : m[4] !==
			    undefined ? m[4] : m[5])];
		const field = m[1].toLowerCase();
		if (!['project', 'key', 'labels', 'status', 'summary',
		    'issuetype', 'assignee'].includes(field))
			return { error: `Field '${m[1]}' does not exist or ` +
			    'you do not have permission to view it.' };
		out.clauses.push({ field, op: m[2].toLowerCase(), vals });
		rest = rest.slice(m[0].length);
		if (!rest.trim())
			break;
		const and = /^and\s+/i.exec(rest);
		if (!and)
			return { error: 'Error in the JQL Query: only AND is ' +
			    'supported by this fake.' };
		rest = rest.slice(and[0].length);
	}
	return out;
}

function matches(issue, c) {
	const low = (x) => String(x).toLowerCase();
	let have;
	switch (c.field) {
	case 'project': have = [issue.project, issue.projectId]; break;
	case 'key': have = [issue.key, issue.id]; break;
	case 'labels': have = issue.labels; break;
	case 'status': have = [issue.status]; break;
	case 'summary': have = [issue.summary]; break;
	case 'issuetype': have = [issue.issuetype]; break;
	case 'assignee': have = issue.assignee ? [issue.assignee.name ||
	    issue.assignee.accountId] : []; break;
	default: have = [];
	}
	if (c.op === '~')
		return have.some((h) => low(h).includes(low(c.vals[0])));
	const hit = have.some((h) => c.vals.some((x) => low(h) === low(x)));
	return c.op === '!=' ? !hit : hit;
}

function runJql(q) {
	let list = [...state.issues.values()].filter((i) =>
	    q.clauses.every((c) => matches(i, c)));
	const ord = q.order || { field: 'created', desc: true };
	list.sort((a, b) => Number(a.id) - Number(b.id));
	if (ord.desc)
		list.reverse();
	return list;
}

// Parameters of a search from the query string (GET) or the body (POST).
async function searchParams(req, url) {
	if (req.method === 'GET') {
		const q = url.searchParams;
		return {
			jql: q.get('jql') || '', fields: q.get('fields') ?
			    q.get('fields').split(',') : undefined,
			maxResults: q.get('maxResults'), startAt:
			    q.get('startAt'), nextPageToken:
			    q.get('nextPageToken'),
		};
	}
	const p = parseJson(await readBody(req));
	if (!p.ok || typeof p.value !== 'object' || p.value === null)
		return null;
	return p.value;
}

function intOr(v, dflt) {
	if (v === undefined || v === null || v === '')
		return dflt;
	const n = Number(v);
	return Number.isInteger(n) && n >= 0 ? n : NaN;
}

async function searchJql(req, res, v, url) {
	const p = await searchParams(req, url);
	if (!p)
		return errors(res, 400, ['Invalid request payload. Refer to ' +
		    'the REST API documentation and try again.']);
	const max = intOr(p.maxResults, SEARCH_MAX_RESULTS_DEFAULT);
	if (Number.isNaN(max))
		return errors(res, 400, ['maxResults must be a number.']);
	const q = parseJql(p.jql);
	if (q.error)
		return errors(res, 400, [q.error]);
	// Cloud refuses a query with no restriction on this endpoint.
	if (q.clauses.length === 0)
		return errors(res, 400, ['Unbounded JQL queries are not ' +
		    'allowed here. Please add a search restriction to your ' +
		    'query.']);
	let start = 0;
	if (p.nextPageToken) {
		start = Number(Buffer.from(String(p.nextPageToken), 'base64')
		    .toString('utf8').replace(/^page:/, ''));
		if (!Number.isInteger(start) || start < 0)
			return errors(res, 400, ['Invalid nextPageToken.']);
	}
	const list = runJql(q);
	const page = list.slice(start, start + max);
	// Only the id comes back unless fields are asked for.
	const fields = p.fields === undefined ? null : p.fields;
	const out = {
		issues: page.map((i) => {
			const b = issueBean(req, v, i, fields);
			b.expand = '';
			return b;
		}),
	};
	if (start + max < list.length)
		out.nextPageToken = Buffer.from(`page:${start + max}`)
		    .toString('base64');
	out.isLast = !out.nextPageToken;
	return send(res, 200, out);
}

async function searchV2(req, res, url) {
	const p = await searchParams(req, url);
	if (!p)
		return errors(res, 400, ['Invalid request payload.']);
	const max = intOr(p.maxResults, SEARCH_MAX_RESULTS_DEFAULT);
	const start = intOr(p.startAt, 0);
	if (Number.isNaN(max) || Number.isNaN(start))
		return errors(res, 400, ['startAt and maxResults must be ' +
		    'numbers.']);
	const q = parseJql(p.jql);
	if (q.error)
		return errors(res, 400, [q.error]);
	const list = runJql(q);
	return send(res, 200, {
		expand: 'names,schema', startAt: start, maxResults: max,
		total: list.length, issues: list.slice(start, start + max)
		    .map((i) => issueBean(req, '2', i, p.fields || ['*navigable'])),
	});
}

async function remoteLink(req, res, v, issue) {
	if (req.method === 'GET')
		return send(res, 200, (state.links.get(issue.key) || []).map(
		    (l) => ({ id: l.id, self: l.self, globalId: l.globalId,
		    application: l.application, relationship: l.relationship,
		    object: l.object })));
	const p = parseJson(await readBody(req));
	if (!p.ok || typeof p.value !== 'object' || p.value === null)
		return errors(res, 400, ['Invalid request payload.']);
	const b = p.value;
	const errs = {};
	if (!b.object || typeof b.object !== 'object')
		errs.object = "'object' is required.";
	else {
		if (!b.object.url)
			errs.url = "'url' is required.";
		if (!b.object.title)
			errs.title = "'title' is required.";
	}
	if (b.globalId !== undefined && (typeof b.globalId !== 'string' ||
	    b.globalId.length > GLOBAL_ID_MAX))
		errs.globalId = 'globalId must be a string of at most 255 ' +
		    'characters.';
	if (Object.keys(errs).length)
		return errors(res, 400, [], errs);
	const links = state.links.get(issue.key) || [];
	state.links.set(issue.key, links);
	// With a globalId the call is an upsert: 200 and the same id.
	const old = b.globalId ? links.find((l) => l.globalId === b.globalId) :
	    null;
	if (old) {
		Object.assign(old, { application: b.application,
		    relationship: b.relationship, object: b.object });
		return send(res, 200, { id: old.id, self: old.self });
	}
	const id = state.nextLinkId++;
	const l = {
		id, self: `${base(req)}/rest/api/${v}/issue/${issue.key}/` +
		    `remotelink/${id}`, globalId: b.globalId, application:
		    b.application, relationship: b.relationship, object: b.object,
	};
	links.push(l);
	return send(res, 201, { id: l.id, self: l.self });
}

async function routeApi(req, res, v, rest, url) {
	let r;
	if (rest === '/serverInfo' && req.method === 'GET')
		return send(res, 200, {
			baseUrl: base(req), version: state.flavor === 'cloud' ?
			    '1001.0.0-SNAPSHOT' : '9.12.0', versionNumbers:
			    state.flavor === 'cloud' ? [1001, 0, 0] : [9, 12, 0],
			deploymentType: state.flavor === 'cloud' ? 'Cloud' :
			    'Server', buildNumber: 100242, serverTitle: 'Jira',
		});
	req.auth = authenticate(req);
	if (!req.auth)
		return unauthorized(res);
	if (rest === '/myself' && req.method === 'GET') {
		if (state.flavor === 'cloud')
			return send(res, 200, { accountId:
			    '5b10a2844c20165700ede21g', emailAddress: opts.email,
			    displayName: 'pmbot', active: true, timeZone: 'UTC',
			    accountType: 'atlassian' });
		return send(res, 200, { name: 'pmbot', key: 'JIRAUSER10000',
		    displayName: 'pmbot', active: true, timeZone: 'UTC' });
	}
	if (rest === '/issue' && req.method === 'POST') {
		const p = parseJson(await readBody(req));
		if (!p.ok)
			return errors(res, 400, ['Unexpected character in the ' +
			    'request body: not valid JSON.']);
		const bad = validateCreate(v, p.value);
		if (bad)
			return send(res, 400, bad);
		const issue = createIssue(req, v, p.value);
		return send(res, 201, { id: issue.id, key: issue.key, self:
		    `${base(req)}/rest/api/${v}/issue/${issue.id}` });
	}
	if ((r = /^\/issue\/([A-Za-z0-9-]+)$/.exec(rest)) &&
	    req.method === 'GET') {
		const issue = findIssue(r[1]);
		if (!issue)
			return errors(res, 404, ['Issue does not exist or you ' +
			    'do not have permission to see it.']);
		const f = url.searchParams.get('fields');
		return send(res, 200, issueBean(req, v, issue, f ? f.split(',') :
		    ['*all']));
	}
	if ((r = /^\/issue\/([A-Za-z0-9-]+)\/remotelink$/.exec(rest)) &&
	    (req.method === 'POST' || req.method === 'GET')) {
		const issue = findIssue(r[1]);
		if (!issue)
			return errors(res, 404, ['Issue does not exist or you ' +
			    'do not have permission to see it.']);
		return remoteLink(req, res, v, issue);
	}
	if (rest === '/search/jql' && (req.method === 'GET' ||
	    req.method === 'POST')) {
		if (state.flavor === 'server')
			return send(res, 404, 'Not Found');
		return searchJql(req, res, v, url);
	}
	if (rest === '/search' && (req.method === 'GET' ||
	    req.method === 'POST')) {
		// Cloud removed both; Server/DC still serves v2.
		if (v === '3' || state.flavor === 'cloud')
			return errors(res, 410, [REMOVED_SEARCH_MESSAGE]);
		return searchV2(req, res, url);
	}
	return errors(res, 404, ['null for uri: ' + url.pathname]);
}

function applyFailure(req, res, rule) {
	if (rule.mode === 'hang')
		return failures.hang(req, res);
	if (rule.mode === 'reset')
		return req.socket.destroy();
	const headers = {};
	if (rule.retry_after !== undefined)
		headers['Retry-After'] = String(rule.retry_after);
	if (rule.status === 429) {
		const ra = rule.retry_after !== undefined ? rule.retry_after : 1;
		headers['Retry-After'] = String(ra);
		const at = new Date(Date.now() + ra * 1000).toISOString();
		headers['X-RateLimit-Reset'] = at.slice(0, 16) + 'Z';
		headers['X-RateLimit-Limit'] = '100';
		headers['X-RateLimit-Remaining'] = '0';
		headers['RateLimit-Reason'] = 'jira-burst-based';
	}
	if (rule.body !== undefined)
		return send(res, rule.status, rule.body, headers);
	if (rule.status === 429)
		return send(res, 429, 'Rate limit exceeded.', headers);
	return errors(res, rule.status, [rule.status === 503 ?
	    'Service Unavailable' : 'Internal server error'], {},
	    headers);
}

async function routeControl(req, res, path, url) {
	let body = {};
	if (req.method === 'POST' || req.method === 'PUT') {
		const text = await readBody(req);
		if (text) {
			const p = parseJson(text);
			if (!p.ok)
				return send(res, 400, { error: 'invalid JSON' });
			body = p.value || {};
		}
	}
	let r;
	if (req.method === 'GET' && path === '/_fake/issues')
		return send(res, 200, [...state.issues.values()].map((i) => ({
			id: i.id, key: i.key, project: i.project,
			issuetype: i.issuetype, summary: i.summary,
			description: i.description, labels: i.labels,
			assignee: i.assignee, status: i.status, fields: i.extra,
			properties: i.properties, api: i.api, auth: i.auth,
			remotelinks: state.links.get(i.key) || [],
		})));
	if (req.method === 'POST' && path === '/_fake/issues') {
		// Seeds an issue as if someone had created it earlier.
		const fake = { auth: { kind: 'seed' } };
		const fields = { project: { key: body.project || opts.project },
		    issuetype: { name: body.issuetype || 'Task' },
		    summary: body.summary || 'seeded', labels: body.labels || [],
		    assignee: body.assignee || null };
		const issue = createIssue(fake, '2', { fields });
		if (body.status)
			issue.status = body.status;
		return send(res, 201, { id: issue.id, key: issue.key });
	}
	if (req.method === 'POST' &&
	    (r = /^\/_fake\/issues\/([A-Za-z0-9-]+)$/.exec(path))) {
		const issue = findIssue(r[1]);
		if (!issue)
			return send(res, 404, { error: 'no such issue' });
		if (body.status)
			issue.status = body.status;
		if (body.assignee !== undefined)
			issue.assignee = body.assignee;
		return send(res, 200, { key: issue.key, status: issue.status });
	}
	if (req.method === 'GET' && path === '/_fake/requests')
		return send(res, 200, requestLog);
	if (req.method === 'POST' && path === '/_fake/fail') {
		try {
			return send(res, 200, { queued: failures.add(body) });
		} catch (e) {
			return send(res, 400, { error: e.message });
		}
	}
	if (req.method === 'POST' && path === '/_fake/config') {
		if (body.flavor === 'cloud' || body.flavor === 'server')
			state.flavor = body.flavor;
		if (Array.isArray(body.required)) {
			const p = state.projects.get(body.project || opts.project);
			p.required = ['summary', 'issuetype', 'project',
			    ...body.required];
		}
		return send(res, 200, { flavor: state.flavor, projects:
		    [...state.projects.values()] });
	}
	if (req.method === 'POST' && path === '/_fake/reset') {
		failures.clear();
		requestLog.length = 0;
		seed();
		return send(res, 200, { ok: true });
	}
	return send(res, 404, { error: `no control route ${path}` });
}

async function handle(req, res) {
	const url = new URL(req.url, 'http://127.0.0.1');
	const path = url.pathname;
	if (path.startsWith('/_fake/'))
		return routeControl(req, res, path, url);
	const entry = { at: Date.now(), method: req.method, path, status: 0 };
	requestLog.push(entry);
	if (requestLog.length > 1000)
		requestLog.shift();
	res.on('finish', () => {
		entry.status = res.statusCode;
	});
	const rule = failures.take(req, path);
	if (rule && rule.mode === 'lost') {
		// The call takes effect but its answer never arrives: the
		// connection is cut where the answer would go (a create that
		// succeeded although the client timed out).
		entry.status = 'lost';
		res.writeHead = () => res;
		res.write = () => true;
		res.end = () => req.socket.destroy();
	} else if (rule) {
		entry.status = rule.mode === 'status' ? rule.status : rule.mode;
		return applyFailure(req, res, rule);
	}
	// Cloud serves v3 and v2; Server/DC v2 (and "latest") only.
	const m = /^\/rest\/api\/(2|3|latest)(\/.*)$/.exec(path);
	if (!m || (m[1] === '3' && state.flavor === 'server'))
		return send(res, 404, 'Not Found');
	return routeApi(req, res, m[1] === 'latest' ? '2' : m[1], m[2], url);
}

seed();
listen(createServer(handle), opts.port, 'jira');
