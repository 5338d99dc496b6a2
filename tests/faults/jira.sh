#!/usr/bin/env bash
# Fault: Jira times out (the create call hangs past the HTTP client's
# 10 s timeout), then answers 503 with Retry-After twice, then
# loses one answer after creating the issue, then creates (201), while
# /qa is typed for four briefs at once.
#
# Counted: each brief ends up with exactly one QA ticket in Jira, linked
# to the brief, and its caller is told once which ticket it is (a /qa
# that met two unanswered creates says the ticket may exist and to run it
# again; run again, it finds that ticket); the bot serves normally
# afterwards.
. "$(dirname "$0")/../integration/lib.bash"
. "$(dirname "$0")/lib.bash"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -d "$src/tests/fakes/node_modules" ] || skip "tests/fakes/node_modules is missing"

JIRA_PID=
jira_cleanup() {
  [ -n "$JIRA_PID" ] && kill "$JIRA_PID" 2>/dev/null
  cleanup
}
trap jira_cleanup EXIT
node "$src/tests/fakes/jira.js" --port 0 --flavor cloud >"$T/jira.out" 2>"$T/jira.err" &
JIRA_PID=$!
for _ in $(seq 100); do grep -q '^listening ' "$T/jira.out" && break; sleep 0.05; done
J=http://127.0.0.1:$(awk '/^listening /{print $2; exit}' "$T/jira.out")
ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$J/_fake/$1" >/dev/null || fail "fake control $1"; }
issues_with() {
  curl -sf "$J/_fake/issues" | node -e '
    let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      console.log(JSON.parse(s).filter((i) => i.labels.includes(process.argv[1])).length);
    });' "$1"
}

cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "jira": { "project": "QA", "labels": ["nimbus"] } }
JSON
export PMBOT_CONFIG=$T/cfg.json
export PMBOT_JIRA_URL=$J PMBOT_JIRA_USER=pmbot@example.com PMBOT_JIRA_TOKEN=jira-api-token
start_redis
start_bot

slugs=(jf-one jf-two jf-three jf-four)
for s in "${slugs[@]}"; do
  say "/brief add $s https://docs.example.com/b/$s"
  expect "Registered brief $s "
done

create='"path":"/rest/api/3/issue","method":"POST"'
ctl fail "{\"mode\":\"hang\",\"count\":1,$create}"
injected "Jira create: hangs past the client's timeout"
ctl fail "{\"status\":503,\"retry_after\":1,\"count\":2,$create}"
injected_n 2 "Jira create: 503 with Retry-After 1 (twice)"
ctl fail "{\"mode\":\"lost\",\"count\":1,$create}"
injected "Jira create: the issue is created but the answer is lost"
mark
for s in "${slugs[@]}"; do
  say "/qa $s"
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
done
done_re='(Filed QA ticket QA-[0-9]+ .* for|now links QA ticket QA-[0-9]+ .*)'
# A /qa whose create went unanswered twice says so and asks to be run
# again (it then finds the ticket instead of filing a second one); the
# user does what it says.
again_re='the ticket may exist\. /qa [a-z-]+ again finds it'
final() { tail -n +"$((MARK + 1))" "$T/out" | grep -cE "$done_re|$again_re"; }
t0=$(now_ms)
for _ in $(seq 600); do
  [ "$(final)" -ge 4 ] && break
  kill -0 "$BOT_PID" 2>/dev/null || fail "the bot exited"
  sleep 0.1
done
[ "$(final)" -ge 4 ] || fail "only $(final) of four /qa finished"
echo "all four /qa answered $(($(now_ms) - t0)) ms after they were typed"
for s in $(tail -n +"$((MARK + 1))" "$T/out" | grep -oE "/qa [a-z-]+ again finds it" | awk '{print $2}'); do
  echo "the user runs /qa $s again, as told"
  say "/qa $s"
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
  expect_new "(Filed QA ticket|now links QA ticket) QA-[0-9]+ .*$s|$s.*(already has|now links)" 20
done
sleep 2
out=$(tail -n +"$((MARK + 1))" "$T/out")
for s in "${slugs[@]}"; do
  counted "ticket for $s in Jira" "$(issues_with "$s")"
  counted "answer naming the ticket of $s" "$(grep -E "$done_re|already has QA ticket" <<<"$out" | grep -c "$s")"
  key=$(redis-cli -s "$T/redis.sock" hget "pmbot:brief:$s" qa_key)
  [ -n "$key" ] || fail "no ticket key stored on $s"
done
echo "Jira saw $(curl -sf "$J/_fake/requests" | node -pe 'JSON.parse(require("fs").readFileSync(0)).length') calls"

mark
say '/brief add jf-after https://docs.example.com/b/jf-after'
expect_new 'Registered brief jf-after'
say '/qa jf-after'
expect_new 'Filed QA ticket QA-[0-9]+ .* for jf-after'
[ "$(issues_with jf-after)" = 1 ] || fail "not one ticket after the faults"
stop_bot || fail "exit status $?"
faults_report jira
