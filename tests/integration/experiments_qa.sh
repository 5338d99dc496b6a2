# /brief, /checklist and /qa end to end: the console bot on a private
# redis-server against the fake Jira (tests/fakes/jira.js, Cloud flavour).
# Each scenario asserts on what the fake recorded, not only on what the
# bot said: one ticket with the right fields; ten concurrent /qa from two
# replicas -> one ticket; 503 then success -> one ticket; a create whose
# answer is lost -> found by label, not filed twice; a ticket that exists
# only in Jira is adopted; a required-field 400 is explained; bad input
# changes nothing; and all of it survives a restart.  Jira Cloud (this
# flavour, PMBOT_JIRA_USER set) is spoken to through REST v3 with an ADF
# description, the configured assignee as an accountId and jira.fields;
# a Data Center (no user) through v2 with wiki markup and a user name.
# A Jira that hangs or answers 503 for longer than LIMIT_JIRA_SLOW_MS
# gets the caller a "Jira is slow" notice, then the ticket.
. "$(dirname "$0")/lib.bash"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fakes=$src/tests/fakes
command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -f "$fakes/jira.js" ] || skip "no fake Jira"

JIRA_PID=
BOT2_PID=
qa_cleanup() {
  [ -n "$BOT2_PID" ] && kill -9 "$BOT2_PID" 2>/dev/null
  [ -n "$JIRA_PID" ] && kill "$JIRA_PID" 2>/dev/null
  cleanup
}
trap qa_cleanup EXIT

node "$fakes/jira.js" --port 0 --flavor cloud >"$T/jira.out" 2>"$T/jira.err" &
JIRA_PID=$!
for _ in $(seq 100); do grep -q '^listening ' "$T/jira.out" && break; sleep 0.05; done
JP=$(awk '/^listening /{print $2; exit}' "$T/jira.out")
[ -n "$JP" ] || fail "the fake Jira did not start: $(cat "$T/jira.err")"
J=http://127.0.0.1:$JP

ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$J/_fake/$1" >/dev/null || fail "fake control $1"; }
# count_label LABEL: how many issues the fake holds with that label.
count_label() {
  curl -sf "$J/_fake/issues" | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      console.log(JSON.parse(s).filter((i) => i.labels.includes(process.argv[1])).length);
    });' "$1"
}
# issue_js LABEL EXPR: evaluates EXPR with `i` the issue carrying LABEL.
issue_js() {
  curl -sf "$J/_fake/issues" | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      const i = JSON.parse(s).find((x) => x.labels.includes(process.argv[1]));
      console.log(eval(process.argv[2]));
    });' "$1" "$2"
}
rcli() { redis-cli -s "$T/redis.sock" "$@"; }

cat >"$T/cfg.json" <<'EOF'
{
  "timezone": "UTC",
  "limits": { "commands_per_minute": 1000 },
  "jira": { "project": "QA", "labels": ["nimbus", "qa-request"],
            "assignee": "5b10a2844c20165700ede21g",
            "fields": { "customfield_10042": "nimbus-qa" } },
  "experimenter_url": "https://experimenter.example.com/nimbus/{slug}/summary"
}
EOF
export PMBOT_CONFIG=$T/cfg.json
export PMBOT_JIRA_URL=$J PMBOT_JIRA_USER=pmbot@example.com PMBOT_JIRA_TOKEN=jira-api-token

start_redis
start_bot
# Jira is checked at start-up, before anyone types /qa.
for i in $(seq 600); do grep -q "jira: .* answers and accepts our credentials" "$T/err" && break; sleep 0.05; done
grep -q "jira: .* answers and accepts our credentials" "$T/err" || fail "no Jira check at start-up: $(tail -5 "$T/err")"

# --- one ticket with the right fields -------------------------------------
say '/brief add checkout-v2 https://docs.example.com/b/checkout-v2 title "Checkout v2"'
expect 'Registered brief checkout-v2'
mark
say '/qa checkout-v2'
expect_new 'Filed QA ticket QA-1 .* for checkout-v2\. Ticked checklist item 3 \(QA ticket created\)'
[ "$(count_label checkout-v2)" = 1 ] || fail "not exactly one ticket for checkout-v2"
[ "$(issue_js checkout-v2 'i.summary')" = 'QA: checkout-v2 (Checkout v2)' ] || fail "summary: $(issue_js checkout-v2 'i.summary')"
[ "$(issue_js checkout-v2 'i.issuetype + "|" + i.project + "|" + i.labels.join(",") + "|" + i.api + "|" + i.auth')" = \
  'Nimbus/Remote delivery|QA|nimbus,qa-request,checkout-v2|3|basic' ] || fail "fields: $(issue_js checkout-v2 'JSON.stringify(i)')"
# v3: the description is an ADF document whose links are link marks.
[ "$(issue_js checkout-v2 'i.description.type + "|" + i.description.version')" = 'doc|1' ] || fail "description is not ADF: $(issue_js checkout-v2 'JSON.stringify(i.description)')"
issue_js checkout-v2 'JSON.stringify(i.description)' | grep -q '"marks":\[{"type":"link","attrs":{"href":"https://docs.example.com/b/checkout-v2"}}\]' || fail "no brief link in the description"
issue_js checkout-v2 'JSON.stringify(i.description)' | grep -q '"href":"https://experimenter.example.com/nimbus/checkout-v2/summary"' || fail "no Experimenter link"
issue_js checkout-v2 'JSON.stringify(i.description)' | grep -q '@alice' || fail "no owner in the description"
[ "$(issue_js checkout-v2 'i.assignee.accountId + "|" + i.fields.customfield_10042')" = '5b10a2844c20165700ede21g|nimbus-qa' ] || fail "assignee or jira.fields: $(issue_js checkout-v2 'JSON.stringify(i)')"
grep -q 'Jira is slow' "$T/out" && fail "a quick /qa was told Jira is slow"
[ "$(issue_js checkout-v2 'i.remotelinks.length + "|" + i.remotelinks[0].globalId + "|" + i.remotelinks[0].object.url')" = \
  '1|pmbot-brief:checkout-v2|https://docs.example.com/b/checkout-v2' ] || fail "remote link: $(issue_js checkout-v2 'JSON.stringify(i.remotelinks)')"
[ "$(rcli hget pmbot:brief:checkout-v2 qa_key)" = QA-1 ] || fail "qa_key not stored on the brief"
[ "$(rcli exists pmbot:qa-lock:checkout-v2)" = 0 ] || fail "the claim was not released"
mark
say '/qa checkout-v2'
expect_new 'already has QA ticket QA-1'
[ "$(count_label checkout-v2)" = 1 ] || fail "a second /qa filed a second ticket"
echo "ok: /qa files one ticket with the right fields and links it"

# --- /qa status reads Jira --------------------------------------------------
ctl issues/QA-1 '{"status":"In Progress","assignee":{"accountId":"5b10a2844c20165700ede21g","displayName":"Jane Smith"}}'
mark
say '/qa status checkout-v2'
expect_new 'QA-1 .* is In Progress, assigned to Jane Smith'
echo "ok: /qa status reads the status and assignee from Jira"

# --- ten concurrent /qa on two replicas -> one ticket -----------------------
say '/brief add burst-1 https://docs.example.com/b/burst-1'
expect 'Registered brief burst-1'
# The first create waits a second behind a 503 so the others overlap it.
ctl fail '{"status":503,"retry_after":1,"path":"/rest/api/3/issue","method":"POST"}'
rm -f "$T/in2"; mkfifo "$T/in2"
"$PMBOT" console --user bob <"$T/in2" >"$T/out2" 2>"$T/err2" &
BOT2_PID=$!
exec 4>"$T/in2"
mark
for i in 1 2 3 4 5; do say '/qa burst-1'; printf '/qa burst-1\n' >&4; done
# Every one of the ten gets an answer, on whichever replica it reached.
burst_answers() { (tail -n +"$((MARK + 1))" "$T/out"; cat "$T/out2") | grep -c 'burst-1'; }
for _ in $(seq 300); do [ "$(burst_answers)" -ge 10 ] && break; sleep 0.05; done
[ "$(burst_answers)" -ge 10 ] || fail "only $(burst_answers) of ten /qa were answered"
[ "$(count_label burst-1)" = 1 ] || fail "ten concurrent /qa filed $(count_label burst-1) tickets"
filed=$( (tail -n +"$((MARK + 1))" "$T/out"; cat "$T/out2") | grep -c 'Filed QA ticket')
[ "$filed" = 1 ] || fail "$filed replies say they filed a ticket"
exec 4>&-
for _ in $(seq 100); do kill -0 "$BOT2_PID" 2>/dev/null || break; sleep 0.05; done
wait "$BOT2_PID" 2>/dev/null
BOT2_PID=
echo "ok: ten concurrent /qa on two replicas file one ticket"

# --- 503 then success -> one ticket ------------------------------------------
say '/brief add retry-1 https://docs.example.com/b/retry-1'
expect 'Registered brief retry-1'
ctl fail '{"status":503,"retry_after":1,"count":2,"path":"/rest/api/3/issue","method":"POST"}'
mark
say '/qa retry-1'
expect_new 'Filed QA ticket QA-[0-9]+ .* for retry-1' 15
[ "$(count_label retry-1)" = 1 ] || fail "503 then success filed $(count_label retry-1) tickets"
echo "ok: 503 with Retry-After, then success: one ticket"

# --- the create's answer is lost -> searched, adopted, not filed twice ------
say '/brief add lost-1 https://docs.example.com/b/lost-1'
expect 'Registered brief lost-1'
ctl fail '{"mode":"lost","path":"/rest/api/3/issue","method":"POST"}'
mark
say '/qa lost-1'
expect_new 'lost-1 now links QA ticket QA-[0-9]+ .* found in Jira' 20
[ "$(count_label lost-1)" = 1 ] || fail "a lost answer led to $(count_label lost-1) tickets"
echo "ok: a create whose answer is lost is found by label, not repeated"

# --- a slow Jira: the caller is told, then gets the ticket ------------------
# A create that hangs until the HTTP client gives up (10 s), then is
# searched for and filed; and a 503 whose Retry-After keeps /qa waiting.
say '/brief add slow-hang https://docs.example.com/b/slow-hang'
expect 'Registered brief slow-hang'
ctl fail '{"mode":"hang","path":"/rest/api/3/issue","method":"POST"}'
mark
say '/qa slow-hang'
expect_new 'Jira is slow; I will post the ticket here when it is filed\.' 5
tail -n +"$((MARK + 1))" "$T/out" | grep -q 'Filed QA ticket' && fail "the ticket was announced before Jira answered"
expect_new 'Filed QA ticket QA-[0-9]+ .* for slow-hang' 30
[ "$(tail -n +"$((MARK + 1))" "$T/out" | grep -c 'Jira is slow')" = 1 ] || fail "the slow notice was not given exactly once"
[ "$(count_label slow-hang)" = 1 ] || fail "a hung create led to $(count_label slow-hang) tickets"
say '/brief add slow-503 https://docs.example.com/b/slow-503'
expect 'Registered brief slow-503'
ctl fail '{"status":503,"retry_after":2,"count":2,"path":"/rest/api/3/issue","method":"POST"}'
mark
say '/qa slow-503'
expect_new 'Jira is slow; I will post the ticket here when it is filed\.' 5
expect_new 'Filed QA ticket QA-[0-9]+ .* for slow-503' 20
[ "$(count_label slow-503)" = 1 ] || fail "503s led to $(count_label slow-503) tickets"
echo "ok: a slow Jira gets the caller a notice, then the ticket"

# --- a ticket only Jira knows is adopted ------------------------------------
key=$(curl -sf -X POST -H 'Content-Type: application/json' \
  -d '{"summary":"QA for adopt-me, filed by hand","labels":["adopt-me"]}' "$J/_fake/issues" |
  node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).key))')
say '/brief add adopt-me https://docs.example.com/b/adopt-me'
expect 'Registered brief adopt-me'
mark
say '/qa adopt-me'
expect_new "adopt-me now links QA ticket $key .* found in Jira by its label"
[ "$(count_label adopt-me)" = 1 ] || fail "an existing ticket was duplicated"
[ "$(rcli hget pmbot:brief:adopt-me qa_key)" = "$key" ] || fail "the adopted key was not stored"
echo "ok: a ticket found in Jira by label is adopted"

# --- a required field: the 400 explained, nothing stored, claim released ----
ctl config '{"required":["duedate"]}'
say '/brief add req-1 https://docs.example.com/b/req-1'
expect 'Registered brief req-1'
mark
say '/qa req-1'
expect_new 'could not file the QA ticket for "req-1": Jira rejected the request \(HTTP 400\)'
expect_new 'duedate: Due date is required\. \(the project requires a field pmbot does not fill'
[ "$(rcli hexists pmbot:brief:req-1 qa_key)" = 0 ] || fail "a failed create stored a key"
[ "$(rcli exists pmbot:qa-lock:req-1)" = 0 ] || fail "a failed create kept the claim"
ctl config '{"required":[]}'
mark
say '/qa req-1'
expect_new 'Filed QA ticket QA-[0-9]+ .* for req-1'
echo "ok: a required-field 400 is explained and can be retried"

# --- bad input changes nothing ----------------------------------------------
before=$(curl -sf "$J/_fake/issues" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
keys=$(rcli dbsize)
mark
say '/qa Bad_Slug'
expect_new 'invalid slug "Bad_Slug"'
say '/qa no-such-brief'
expect_new 'no brief "no-such-brief"'
say '/qa chekout-v2'
expect_new 'did you mean "checkout-v2"'
say '/brief add good-slug ftp://docs.example.com/x'
expect_new '"ftp://docs.example.com/x" is not an http\(s\) URL'
say '/checklist checkout-v2 done 40'
expect_new 'no item 40'
after=$(curl -sf "$J/_fake/issues" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
[ "$before" = "$after" ] || fail "bad input created tickets"
[ "$keys" = "$(rcli dbsize)" ] || fail "bad input wrote to Redis"
echo "ok: bad slugs, URLs and unknown briefs change nothing"

# --- restart keeps everything -----------------------------------------------
say '/checklist checkout-v2 assign 4 @bob'
expect 'assigned item 4'
stop_bot || fail "exit status $?"
start_bot
mark
say '/brief checkout-v2'
expect_new "QA ticket: QA-1 <$J/browse/QA-1>"
expect_new 'Checklist: 1/12 done'
say '/checklist checkout-v2'
expect_new '3\. \[x\] QA ticket created'
expect_new '4\. \[ \] Reviewers identified - @bob'
say '/qa checkout-v2'
expect_new 'already has QA ticket QA-1'
[ "$(count_label checkout-v2)" = 1 ] || fail "a restart led to a second ticket"
stop_bot || fail "exit status $?"
echo "ok: briefs, checklists and tickets survive a restart"

# --- credentials rejected: said plainly ---------------------------------------
PMBOT_JIRA_TOKEN=wrong-token start_bot
for i in $(seq 600); do grep -q "warn  jira: .*credentials" "$T/err" && break; sleep 0.05; done
grep -q "warn  jira: .*credentials" "$T/err" || fail "bad credentials not reported at start-up: $(tail -5 "$T/err")"
say '/brief add creds-1 https://docs.example.com/b/creds-1'
expect 'Registered brief creds-1'
mark
say '/qa creds-1'
expect_new "rejected pmbot's credentials \(HTTP 401\): check PMBOT_JIRA_USER and PMBOT_JIRA_TOKEN"
grep -q wrong-token "$T/err" && fail "the token reached the log"
stop_bot || fail "exit status $?"
[ "$(count_label creds-1)" = 0 ] || fail "a ticket was filed with bad credentials"
echo "ok: rejected credentials are explained, without the token"

# --- Data Center: REST v2, wiki markup, a Bearer token, a user name ----------
ctl config '{"flavor":"server"}'
sed -i 's/"assignee": "5b10a2844c20165700ede21g"/"assignee": "jsmith"/' "$T/cfg.json"
PMBOT_JIRA_USER= PMBOT_JIRA_TOKEN=jira-pat start_bot
say '/brief add dc-1 https://docs.example.com/b/dc-1'
expect 'Registered brief dc-1'
mark
say '/qa dc-1'
expect_new 'Filed QA ticket QA-[0-9]+ .* for dc-1'
[ "$(issue_js dc-1 'i.api + "|" + i.auth + "|" + i.assignee.name + "|" + typeof i.description')" = '2|bearer|jsmith|string' ] ||
  fail "Data Center create: $(issue_js dc-1 'JSON.stringify(i)')"
issue_js dc-1 'i.description' | grep -qF '[experiment brief|https://docs.example.com/b/dc-1]' || fail "no wiki-markup brief link: $(issue_js dc-1 'i.description')"
mark
say '/qa status dc-1'
expect_new 'QA ticket of dc-1: .* is To Do'
stop_bot || fail "exit status $?"
echo "ok: a Data Center Jira gets REST v2 with wiki markup and a user name"
