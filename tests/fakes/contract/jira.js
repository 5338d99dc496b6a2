'use strict';
// Contract check of the fake Jira.  There is no official Jira client among
// the test packages, so this drives the REST calls pmbot makes with fetch
// and compares the answers with the shapes Jira documents: created issue
// {id,key,self}, ErrorCollection bodies, search/jql paging with
// nextPageToken, 410 for the removed search, remote-link upsert, auth.
// When the shared reference fixtures are present (SHARED_DIR), their
// request bodies are sent too and the answers compared with their
// response fixtures key by key.
//
//   JIRA_URL=http://127.0.0.1:PORT [SHARED_DIR=...] node contract/jira.js

const fs = require('fs');
const path = require('path');
const { check, finish, control } = require('./check');

const base = process.env.JIRA_URL;
const basic = 'Basic ' + Buffer.from('pmbot@example.com:jira-api-token')
    .toString('base64');

async function call(method, p, body, auth = basic) {
	const headers = { Accept: 'application/json' };
	if (auth)
		headers.Authorization = auth;
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const r = await fetch(base + p, { method, headers, body:
	    body === undefined ? undefined : JSON.stringify(body) });
	const text = await r.text();
	const ct = r.headers.get('content-type') || '';
	return {
		status: r.status, headers: r.headers, text,
		json: ct.startsWith('application/json') ? JSON.parse(text) :
		    undefined,
	};
}

function sameKeys(a, b) {
	return JSON.stringify(Object.keys(a).sort()) ===
	    JSON.stringify(Object.keys(b).sort());
}

function adf(text) {
	return { type: 'doc', version: 1, content: [{ type: 'paragraph',
	    content: [{ type: 'text', text }] }] };
}

async function main() {
	await control(base, 'reset', {});
	let r = await call('GET', '/rest/api/2/serverInfo', undefined, null);
	check('serverInfo answers without auth and says Cloud',
	    r.status === 200 && r.json.deploymentType === 'Cloud', r.json);
	r = await call('GET', '/rest/api/2/myself', undefined, null);
	check('no credentials: 401 with a plain-text body',
	    r.status === 401 && r.json === undefined &&
	    r.headers.get('x-seraph-loginreason') === 'AUTHENTICATED_FAILED',
	    r.status);
	r = await call('GET', '/rest/api/3/myself');
	check('basic email:token authenticates; myself has an accountId',
	    r.status === 200 && typeof r.json.accountId === 'string', r.json);
	r = await call('GET', '/rest/api/2/myself', undefined,
	    'Bearer jira-pat');
	check('a Bearer personal access token authenticates', r.status === 200,
	    r.status);

	const fields = {
		project: { key: 'QA' }, issuetype: { name: 'Nimbus/Remote ' +
		    'delivery' }, summary: 'QA: exp-one', labels:
		    ['experiment-qa', 'exp-one'], description: adf('brief'),
	};
	r = await call('POST', '/rest/api/3/issue', { fields });
	check('v3 create answers 201 {id,key,self}', r.status === 201 &&
	    sameKeys(r.json, { id: 1, key: 1, self: 1 }) &&
	    /^QA-\d+$/.test(r.json.key) && r.json.self.endsWith(
	    `/rest/api/3/issue/${r.json.id}`), r.json);
	const key = r.json.key;

	r = await call('POST', '/rest/api/3/issue', { fields: { ...fields,
	    description: 'plain string' } });
	check('v3 create with a string description is a 400 on description',
	    r.status === 400 && Array.isArray(r.json.errorMessages) &&
	    typeof r.json.errors.description === 'string', r.json);
	r = await call('POST', '/rest/api/2/issue', { fields: {
	    project: { key: 'QA' }, issuetype: { name: 'Task' },
	    labels: ['has space'] } });
	check('missing summary and a label with a space give per-field ' +
	    'errors', r.status === 400 && r.json.errors.summary ===
	    'You must specify a summary of the issue.' &&
	    /contain spaces/.test(r.json.errors.labels), r.json);
	r = await call('POST', '/rest/api/2/issue', { fields: { ...fields,
	    description: 'x', customfield_77777: 'y' } });
	check('an unknown field "cannot be set"', r.status === 400 &&
	    /cannot be set/.test(r.json.errors.customfield_77777), r.json);
	await control(base, 'config', { required: ['duedate'] });
	r = await call('POST', '/rest/api/2/issue', { fields: { ...fields,
	    description: 'x' } });
	check('a project-required field missing says "is required."',
	    r.status === 400 && r.json.errors.duedate === 'Due date is ' +
	    'required.', r.json);
	await control(base, 'config', { required: [] });

	r = await call('GET', `/rest/api/2/issue/${key}?fields=status,` +
	    'summary,assignee');
	check('get issue with fields returns only those fields',
	    r.status === 200 && r.json.key === key &&
	    sameKeys(r.json.fields, { status: 1, summary: 1, assignee: 1 }) &&
	    r.json.fields.status.statusCategory.key === 'new' &&
	    r.json.fields.assignee === null, r.json);
	r = await call('GET', '/rest/api/2/issue/QA-999');
	check('a missing issue is a 404 ErrorCollection', r.status === 404 &&
	    /does not exist/.test(r.json.errorMessages[0]), r.json);

	for (let i = 2; i <= 3; i++)
		await call('POST', '/rest/api/2/issue', { fields: { ...fields,
		    summary: `QA: exp-${i}`, description: 'x' } });
	r = await call('POST', '/rest/api/3/search/jql', { jql: 'project = ' +
	    '"QA" AND labels = "exp-one" ORDER BY created DESC',
	    fields: ['summary', 'status'], maxResults: 1 });
	check('search/jql by label finds the issue (all three carry it)',
	    r.status === 200 && r.json.issues.length === 1 &&
	    typeof r.json.nextPageToken === 'string' && r.json.isLast === false,
	    r.json);
	const page2 = await call('POST', '/rest/api/3/search/jql', {
	    jql: 'project = "QA" AND labels = "exp-one"', maxResults: 2,
	    nextPageToken: r.json.nextPageToken });
	check('nextPageToken gives the rest and the last page has isLast',
	    page2.status === 200 && page2.json.issues.length === 2 &&
	    page2.json.isLast === true && !page2.json.nextPageToken &&
	    page2.json.issues[0].fields === undefined, page2.json);
	r = await call('GET', '/rest/api/3/search/jql?jql=' +
	    encodeURIComponent('labels = "nope"'));
	check('GET search/jql with no hit is an empty last page',
	    r.status === 200 && r.json.issues.length === 0 && r.json.isLast,
	    r.json);
	r = await call('POST', '/rest/api/3/search/jql', { jql:
	    'ORDER BY created' });
	check('unbounded JQL is a 400', r.status === 400, r.json);
	r = await call('POST', '/rest/api/3/search', { jql: 'project = QA' });
	check('the removed /rest/api/3/search answers 410 with the ' +
	    'migration message', r.status === 410 &&
	    /search\/jql/.test(r.json.errorMessages[0]), r.json);

	const link = { globalId: 'experiment-brief:exp-one', object: {
	    url: 'https://wiki.example.com/exp-one', title: 'Brief' } };
	const l1 = await call('POST', `/rest/api/2/issue/${key}/remotelink`,
	    link);
	const l2 = await call('POST', `/rest/api/2/issue/${key}/remotelink`,
	    link);
	check('remote link: 201 then 200 with the same id (globalId upsert)',
	    l1.status === 201 && l2.status === 200 && l1.json.id ===
	    l2.json.id && typeof l1.json.id === 'number', [l1.json, l2.json]);
	r = await call('POST', `/rest/api/2/issue/${key}/remotelink`,
	    { object: { url: 'https://x' } });
	check('remote link without a title is a 400 on title',
	    r.status === 400 && r.json.errors.title === "'title' is required.",
	    r.json);

	// Failures: a 503 with Retry-After, then success.
	await control(base, 'fail', { status: 503, retry_after: 2, count: 1,
	    path: '/rest/api/2/issue' });
	r = await call('GET', `/rest/api/2/issue/${key}`);
	check('an injected 503 carries Retry-After', r.status === 503 &&
	    r.headers.get('retry-after') === '2', r.status);
	r = await call('GET', `/rest/api/2/issue/${key}`);
	check('the next call succeeds', r.status === 200, r.status);
	await control(base, 'fail', { mode: 'hang', count: 1 });
	let timedOut = false;
	try {
		await fetch(`${base}/rest/api/2/myself`, { headers: {
		    Authorization: basic }, signal: AbortSignal.timeout(300) });
	} catch (e) {
		timedOut = e.name === 'TimeoutError';
	}
	check('an injected hang never answers (the client times out)',
	    timedOut);
	const listed = await control(base, 'issues');
	check('/_fake/issues lists the three created issues with labels and ' +
	    'remote links', listed.length === 3 &&
	    listed[0].labels.includes('exp-one') &&
	    listed[0].remotelinks.length === 1, listed.length);

	// Data Center flavour.
	await control(base, 'config', { flavor: 'server' });
	r = await call('POST', '/rest/api/2/search', { jql: 'project = "QA"',
	    maxResults: 2 }, 'Bearer jira-pat');
	check('Server/DC /rest/api/2/search pages with startAt/total',
	    r.status === 200 && r.json.total === 3 &&
	    r.json.issues.length === 2 && r.json.startAt === 0, r.json);
	r = await call('POST', '/rest/api/3/issue', { fields });
	check('Server/DC has no /rest/api/3', r.status === 404, r.status);
	await control(base, 'config', { flavor: 'cloud' });

	await fixtureChecks();
	finish('jira');
}

// The reference fixtures, when the shared folder is there.
async function fixtureChecks() {
	const dir = process.env.SHARED_DIR &&
	    path.join(process.env.SHARED_DIR, 'reference/fixtures/jira');
	if (!dir || !fs.existsSync(dir)) {
		process.stdout.write('# skip fixture checks: no shared ' +
		    'reference fixtures\n');
		return;
	}
	const load = (f) => JSON.parse(fs.readFileSync(path.join(dir, f)));
	await control(base, 'reset', {});
	let r = await call('POST', '/rest/api/3/issue',
	    load('create-issue-v3.request.json'));
	check('fixture create-issue-v3.request.json: 201 shaped like ' +
	    'create-issue.201.response.json', r.status === 201 &&
	    sameKeys(r.json, load('create-issue.201.response.json')), r.json);
	const key = r.json.key;
	r = await call('GET', `/rest/api/2/issue/${key}?fields=status,` +
	    'summary,assignee');
	const want = load('get-issue-status.response.json');
	check('get issue is shaped like get-issue-status.response.json',
	    sameKeys(r.json, want) && sameKeys(r.json.fields, want.fields) &&
	    sameKeys(r.json.fields.status, want.fields.status), r.json);
	r = await call('POST', '/rest/api/3/search/jql', { jql:
	    'project = "QA" AND labels = "exp-checkout-cta-color"',
	    fields: ['summary', 'status', 'assignee'], maxResults: 1 });
	const sw = load('search-jql-v3.response.json');
	check('search/jql is shaped like search-jql-v3.response.json',
	    sameKeys(r.json, sw) && sameKeys(r.json.issues[0], sw.issues[0]),
	    r.json);
	r = await call('POST', '/rest/api/3/search', { jql: 'project = QA' });
	check('the 410 body equals search-removed.410.response.json',
	    JSON.stringify(r.json) === JSON.stringify(
	    load('search-removed.410.response.json')), r.json);
	r = await call('GET', '/rest/api/2/issue/QA-999');
	check('the 404 body equals get-issue.404.response.json',
	    JSON.stringify(r.json) === JSON.stringify(
	    load('get-issue.404.response.json')), r.json);
	r = await call('POST', `/rest/api/2/issue/${key}/remotelink`,
	    load('remotelink.request.json'));
	check('fixture remotelink.request.json is accepted (201)',
	    r.status === 201, r.json);
	await control(base, 'config', { flavor: 'server' });
	r = await call('POST', '/rest/api/2/issue',
	    load('create-issue-v2.request.json'), 'Bearer jira-pat');
	check('fixture create-issue-v2.request.json is accepted by the ' +
	    'Server/DC flavour', r.status === 201, r.json);
	r = await call('POST', '/rest/api/2/search', { jql: 'project = "QA"',
	    maxResults: 1 }, 'Bearer jira-pat');
	check('v2 search is shaped like search-v2.response.json',
	    sameKeys(r.json, load('search-v2.response.json')), r.json);
	await control(base, 'reset', {});
}

main().catch((e) => {
	process.stdout.write(`not ok - unexpected error: ${e.stack || e}\n`);
	process.exit(1);
});
