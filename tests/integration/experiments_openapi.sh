#!/usr/bin/env bash
# /qa's requests to Jira Cloud against Atlassian's own OpenAPI document
# (../shared/reference/openapi/jira-cloud-platform-v3.json, read at run
# time and never copied here): a Prism proxy sits between the console bot
# and the fake Jira (Cloud flavour), `/brief add`, `/qa` and `/qa status`
# are typed, and every call /qa makes (serverInfo, myself, the label
# search, the create, the remote link, the read-back) must go through
# Prism without a request violation.  One deliberately bad create (a
# wiki-markup string as the description, what REST v2 takes and v3
# refuses) must raise one, so the check is known to bite.
#
# What Prism can check is what the document says (reference/jira.md §6):
# routes, authentication, query parameters, and bodies whose schema has
# properties, such as the search (unknown members refused) and the remote
# link.  The create's "fields" is a free-form map there, its rules given
# in prose only: the description (and textarea fields) take an Atlassian
# Document Format tree, single-line fields a string.  So the create's
# schema is narrowed, in the test's temp folder, to those rules and to the
# fields /qa sends (project and issue type objects, a summary of at most
# 255 characters, labels without spaces, an assignee by accountId, extra
# fields as strings), with the ADF rules the reference lists: a doc of
# version 1 made of paragraphs, text nodes never empty, links as a link
# mark with href only.  Skipped when ../shared, Node.js or Prism is
# missing.
. "$(dirname "$0")/lib.bash"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fakes=$src/tests/fakes
spec=$src/../shared/reference/openapi/jira-cloud-platform-v3.json
prism=$fakes/node_modules/.bin/prism
[ -d "$src/../shared" ] || skip "../shared is absent (the OpenAPI document lives in ../shared/reference/openapi)"
[ -f "$spec" ] || skip "jira-cloud-platform-v3.json is not in ../shared/reference/openapi"
command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -x "$prism" ] || skip "Prism is not installed in tests/fakes/node_modules (run scripts/setup)"

JIRA_PID=
PRISM_PID=
openapi_cleanup() {
  [ -n "$PRISM_PID" ] && kill "$PRISM_PID" 2>/dev/null
  [ -n "$JIRA_PID" ] && kill "$JIRA_PID" 2>/dev/null
  cleanup
}
trap openapi_cleanup EXIT

cat >"$T/narrow.js" <<'EOF'
'use strict';
// Narrows the create operation of the Jira document as the header of
// experiments_openapi.sh describes; everything else is left as it is.
const fs = require('fs');
const [specPath, outPath] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const op = doc.paths['/rest/api/3/issue'] && doc.paths['/rest/api/3/issue'].post;
const body = op && op.requestBody && op.requestBody.content['application/json'];
const base = doc.components.schemas.IssueUpdateDetails;
if (!body || !base || !base.properties || !base.properties.fields) {
	console.error('the document has no createIssue with IssueUpdateDetails');
	process.exit(1);
}
const S = doc.components.schemas;
const str = { type: 'string', minLength: 1 };
const closed = (properties, required) => ({ type: 'object', properties,
    required, additionalProperties: false });
S.PmbotAdfLink = closed({ type: { enum: ['link'] },
    attrs: closed({ href: str }, ['href']) }, ['type', 'attrs']);
S.PmbotAdfText = closed({ type: { enum: ['text'] }, text: str,
    marks: { type: 'array', items: { $ref: '#/components/schemas/PmbotAdfLink' } } },
    ['type', 'text']);
S.PmbotAdfBreak = closed({ type: { enum: ['hardBreak'] } }, ['type']);
S.PmbotAdfParagraph = closed({ type: { enum: ['paragraph'] },
    content: { type: 'array', items: { anyOf: [
	{ $ref: '#/components/schemas/PmbotAdfText' },
	{ $ref: '#/components/schemas/PmbotAdfBreak' }] } } }, ['type']);
S.PmbotAdfDoc = closed({ type: { enum: ['doc'] }, version: { enum: [1] },
    content: { type: 'array', minItems: 1,
	items: { $ref: '#/components/schemas/PmbotAdfParagraph' } } },
    ['type', 'version', 'content']);
const keyOrId = { type: 'object', properties: { key: str, id: str, name: str },
    additionalProperties: false, minProperties: 1 };
const fields = {
	type: 'object',
	required: ['project', 'issuetype', 'summary'],
	properties: {
		project: keyOrId,
		issuetype: keyOrId,
		summary: { type: 'string', minLength: 1, maxLength: 255 },
		description: { $ref: '#/components/schemas/PmbotAdfDoc' },
		labels: { type: 'array', items: { type: 'string', pattern: '^\\S+$' } },
		components: { type: 'array', items: keyOrId },
		assignee: closed({ accountId: str }, ['accountId']),
	},
	additionalProperties: { type: 'string' },
};
body.schema = Object.assign({}, base, {
	properties: Object.assign({}, base.properties, { fields }),
	required: ['fields'],
});
fs.writeFileSync(outPath, JSON.stringify(doc));
EOF
node "$T/narrow.js" "$spec" "$T/jira-v3.json" || fail "cannot narrow $spec"

node "$fakes/jira.js" --port 0 --flavor cloud >"$T/jira.out" 2>"$T/jira.err" &
JIRA_PID=$!
for _ in $(seq 100); do grep -q '^listening ' "$T/jira.out" && break; sleep 0.05; done
JP=$(awk '/^listening /{print $2; exit}' "$T/jira.out")
[ -n "$JP" ] || fail "the fake Jira did not start: $(cat "$T/jira.err")"
J=http://127.0.0.1:$JP

pport=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')
"$prism" proxy -h 127.0.0.1 -p "$pport" "$T/jira-v3.json" "$J" >"$T/prism.log" 2>&1 &
PRISM_PID=$!
for _ in $(seq 600); do
  grep -q 'Prism is listening' "$T/prism.log" && break
  kill -0 "$PRISM_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q 'Prism is listening' "$T/prism.log" || skip "Prism did not start within 60 s: $(tail -3 "$T/prism.log")"
P=http://127.0.0.1:$pport

cat >"$T/cfg.json" <<'EOF'
{
  "timezone": "UTC",
  "jira": { "project": "QA", "labels": ["nimbus", "qa-request"],
            "components": ["Experimenter"],
            "assignee": "5b10a2844c20165700ede21g",
            "fields": { "customfield_10042": "nimbus-qa" } },
  "experimenter_url": "https://experimenter.example.com/nimbus/{slug}/summary"
}
EOF
export PMBOT_CONFIG=$T/cfg.json
export PMBOT_JIRA_URL=$P PMBOT_JIRA_USER=pmbot@example.com PMBOT_JIRA_TOKEN=jira-api-token

start_redis
start_bot
say '/brief add checkout-v2 https://docs.example.com/b/checkout-v2 title "Checkout \"v2\" [beta]"'
expect 'Registered brief checkout-v2'
mark
say '/qa checkout-v2'
expect_new 'Filed QA ticket QA-1 .* for checkout-v2' 20
say '/qa status checkout-v2'
expect_new 'QA ticket of checkout-v2: .* is To Do' 20
stop_bot || fail "exit status $?"

# Every call /qa makes went through Prism (it logs each request it
# validates), and none of them broke the document.
for call in 'get .*/rest/api/3/serverInfo' 'get .*/rest/api/3/myself' \
  'post .*/rest/api/3/search/jql' 'post .*/rest/api/3/issue' \
  'post .*/rest/api/3/issue/QA-1/remotelink' 'get .*/rest/api/3/issue/QA-1'; do
  grep -a -i -q "$call" "$T/prism.log" || fail "no request matching '$call' went through Prism: $(grep -a -i 'request' "$T/prism.log" | head -20)"
done
violations() { grep -a -c 'Violation: request' "$T/prism.log"; }
if [ "$(violations)" != 0 ]; then
  grep -a -B2 'Violation: request' "$T/prism.log" | head -40
  fail "Prism found violations in pmbot's requests to Jira"
fi
echo "ok: /qa's calls to Jira Cloud match Atlassian's OpenAPI document"

# The check bites: a create whose description is a wiki-markup string.
code=$(curl -s -o /dev/null -w '%{http_code}' -u pmbot@example.com:jira-api-token \
  -H 'Content-Type: application/json' \
  --data '{"fields":{"project":{"key":"QA"},"issuetype":{"name":"Task"},"summary":"QA: bad","description":"Brief: [brief|https://docs.example.com/b/bad]"}}' \
  "$P/rest/api/3/issue")
[ "$code" != 000 ] || fail "the bad create did not reach Prism"
for _ in $(seq 20); do
  [ "$(violations)" != 0 ] && break
  sleep 0.1
done
grep -a -q 'Violation: request.body.fields.description' "$T/prism.log" ||
  fail "Prism let a string description through on v3: the check does not bite ($(grep -a 'Violation' "$T/prism.log" | head -5))"
echo "ok: a v3 create with a string description is flagged"
