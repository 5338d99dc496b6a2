#!/usr/bin/env bash
# pmbot's Web API requests against Slack's own OpenAPI document
# (../shared/reference/openapi/slack-web-v2.json, read at run time and
# never copied here): a Prism proxy sits between pmbot and the fake
# Slack's Web API, and the calls of a start (auth.test, the channel and
# user lists, apps.connections.open), of answers posted with
# chat.postMessage (a card in Block Kit, a threaded reply) and of an
# error shown with chat.postEphemeral must raise no request violation.
# One deliberately bad post (thread_ts as a number, what a ts parsed as a
# double would become) must raise one, so the check is known to bite.
#
# The document cannot be used as it is (reference/slack.md, section 7):
# it is Swagger 2.0 with every argument as a form field, the token as a
# required header named "token", and GET for the read methods, while
# pmbot POSTs JSON with the token as a bearer token, as Slack's docs
# recommend.  So the methods pmbot calls are turned, in the test's temp
# folder, into an OpenAPI 3 subset with the same arguments, types and
# required ones: a JSON body, bearer authentication, POST, and unknown
# arguments refused (a misspelt argument is ignored by Slack, silently).
# apps.connections.open postdates the document and is added by hand with
# no arguments.  Prism cannot carry the WebSocket, so Socket Mode talks
# to the fake directly.  Skipped when ../shared, Node.js or Prism is
# missing.
. "$(dirname "$0")/slack_lib.bash"

spec=$src/../shared/reference/openapi/slack-web-v2.json
prism=$fakes/node_modules/.bin/prism
[ -d "$src/../shared" ] || skip "../shared is absent (the OpenAPI document lives in ../shared/reference/openapi)"
[ -f "$spec" ] || skip "slack-web-v2.json is not in ../shared/reference/openapi"
[ -x "$prism" ] || skip "Prism is not installed in tests/fakes/node_modules (run scripts/setup)"

cat >"$T/derive.js" <<'EOF'
'use strict';
// Derives the OpenAPI 3 subset described at the top of slack_openapi.sh.
const fs = require('fs');
const [specPath, outPath, ...methods] = process.argv.slice(2);
const src = JSON.parse(fs.readFileSync(specPath, 'utf8'));
// In a JSON body, blocks and attachments are arrays; the form encoding
// carries them as JSON text, so both are accepted.
const arrayOrText = { oneOf: [{ type: 'string' },
    { type: 'array', items: { type: 'object' } }] };
const answer = { 200: { description: 'the Web API answer',
    content: { 'application/json': { schema: { type: 'object',
    required: ['ok'], properties: { ok: { type: 'boolean' } } } } } } };
const out = {
	openapi: '3.0.3',
	info: { title: `${src.info.title}, derived subset`,
	    version: src.info.version },
	paths: {},
	components: { securitySchemes: {
	    bearer: { type: 'http', scheme: 'bearer' } } },
	security: [{ bearer: [] }],
};
function post(name, properties, required) {
	const schema = { type: 'object', properties,
	    additionalProperties: false };
	if (required.length > 0)
		schema.required = required;
	out.paths[`/${name}`] = { post: { operationId: name,
	    requestBody: { required: required.length > 0,
	    content: { 'application/json': { schema } } },
	    responses: answer } };
}
for (const m of methods) {
	const item = src.paths[`/${m}`];
	if (item === undefined) {
		console.error(`${m} is not in ${specPath}`);
		process.exit(1);
	}
	const op = item.post || item.get;
	const properties = {}, required = [];
	for (const p of op.parameters || []) {
		if (p.name === 'token' || (p.in !== 'formData' && p.in !== 'query'))
			continue;
		properties[p.name] = ['blocks', 'attachments'].includes(p.name) ?
		    arrayOrText : { type: p.type };
		if (p.required)
			required.push(p.name);
	}
	post(m, properties, required);
}
post('apps.connections.open', {}, []);
fs.writeFileSync(outPath, JSON.stringify(out));
EOF
node "$T/derive.js" "$spec" "$T/slack-subset.json" auth.test \
  conversations.list conversations.info users.list users.info \
  chat.postMessage chat.postEphemeral || fail "cannot derive the subset from $spec"

start_slack
start_redis
pport=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')
"$prism" proxy -h 127.0.0.1 -p "$pport" "$T/slack-subset.json" "$S/api" >"$T/prism.log" 2>&1 &
EXTRA=$!
trap 'kill "$EXTRA" 2>/dev/null; slack_cleanup' EXIT
for i in $(seq 450); do
  grep -q 'Prism is listening' "$T/prism.log" && break
  sleep 0.1
done
grep -q 'Prism is listening' "$T/prism.log" || skip "Prism did not start within 45 s"
P=http://127.0.0.1:$pport

slack_config
export PMBOT_SLACK_API_URL=$P/
start_slack_bot bot
wait_connections 1 20
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)' 20

mention() { # mention TEXT: a person's mention in #general; prints its ts
  ctl message "{\"mention\":true,\"text\":\"<@U0FAKEBOT1> $1\"}" |
    node -pe 'JSON.parse(require("fs").readFileSync(0)).ts'
}
# A threaded answer, then a card in Block Kit (chat.postMessage) ...
ts=$(mention guide)
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 10
mention 'brief add onboarding <https://docs.example.com/b/onboarding>' >/dev/null
ts=$(mention 'brief onboarding')
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts' && Array.isArray(m.blocks))" 10
# ... and an error only its author sees (chat.postEphemeral).
mention 'nosuchcommand' >/dev/null
until_js ephemeral 's.some((m) => m.user === "U0HUMAN001")' 10

# Prism logs a request's violations before it forwards it.
violations() { grep -a -c 'Violation: request' "$T/prism.log"; }
for m in auth.test conversations.list users.list apps.connections.open \
  chat.postMessage chat.postEphemeral; do
  grep -a -q "post /$m" "$T/prism.log" || fail "pmbot's $m did not go through Prism"
done
if [ "$(violations)" != 0 ]; then
  grep -a -B2 'Violation: request' "$T/prism.log" | head -40
  fail "Prism found violations in pmbot's requests"
fi

# The check bites: the same post with thread_ts as a number.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer xoxb-fake-bot-token' \
  -H 'Content-Type: application/json; charset=utf-8' \
  --data '{"channel":"C0FAKE0000","thread_ts":1700000000.123456,"text":"x"}' "$P/chat.postMessage")
[ "$code" = 200 ] || fail "the bad post did not reach the fake through Prism ($code)"
for i in $(seq 20); do
  [ "$(violations)" != 0 ] && break
  sleep 0.1
done
grep -a -q 'Violation: request.body.thread_ts' "$T/prism.log" ||
  fail "Prism let thread_ts as a number pass: the check does not bite"
echo "ok: pmbot's Web API requests match Slack's OpenAPI document; a bad one does not"
