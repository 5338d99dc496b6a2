#!/usr/bin/env bash
# Rate limits: chat.postMessage answered 429 with Retry-After pauses the
# outbox for as long as Slack asked, the refused post stays first in its
# channel, and every post arrives once, in the order it was made.  A
# post Slack refuses for good (channel_not_found) is logged in words and
# does not hold up the ones behind it.  A post still waiting when the
# bot is killed goes out once from the next process.
. "$(dirname "$0")/slack_lib.bash"

start_slack
start_redis
slack_config
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'

ctl fail '{"status":429,"retry_after":1,"count":2,"path":"/api/chat.postMessage"}' >/dev/null
tss=()
for i in 1 2 3 4 5; do
  tss+=("$(ctl message '{"text":"<@U0FAKEBOT1> guide"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')")
  sleep 0.15
done
want=$(IFS=,; echo "${tss[*]}")
until_js messages 's.filter((m) => m.user === "U0FAKEBOT1").length >= 5' 20
got=$(fake_js messages 's.filter((m) => m.user === "U0FAKEBOT1").map((m) => m.thread_ts).join(",")')
[ "$got" = "$want" ] || fail "answers out of order: $got, asked $want"
n429=$(fake_js requests 's.filter((r) => r.method === "chat.postMessage" && r.status === 429).length')
[ "$n429" = 2 ] || fail "expected 2 rate-limited calls, saw $n429"
# Retry-After was honoured: no postMessage within 1 s of a 429.
fake_js requests '(() => { const p = s.filter((r) => r.method === "chat.postMessage");
  for (let i = 1; i < p.length; i++)
    if (p[i - 1].status === 429 && p[i].at - p[i - 1].at < 950) return "too soon";
  return "ok"; })()' | grep -qx ok || fail "posted again before Retry-After"
grep -q 'chat.postMessage rate limited; pausing posts' "$T/bot.err" || fail "no log line for the 429"
sleep 1
[ "$(fake_js messages 's.filter((m) => m.user === "U0FAKEBOT1").length')" = 5 ] || fail "a post went out twice"

# --- an ok:false error is logged plainly and the queue goes on -------------------
ctl fail '{"status":200,"count":1,"path":"/api/chat.postMessage","body":{"ok":false,"error":"not_in_channel"}}' >/dev/null
ts=$(ctl message '{"text":"<@U0FAKEBOT1> guide"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
ts2=$(ctl message '{"text":"<@U0FAKEBOT1> guide"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts2')" 10
grep -q 'failed: the bot is not a member; invite it with /invite (not_in_channel)' "$T/bot.err" ||
  fail "no plain log line for not_in_channel"

# --- killed while a post waits out a 429: the next process sends it --------------
ctl fail '{"status":429,"retry_after":30,"count":1,"path":"/api/chat.postMessage"}' >/dev/null
ts=$(ctl message '{"text":"<@U0FAKEBOT1> guide"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
until_js requests 's.some((r) => r.method === "chat.postMessage" && r.status === 429)' 5
kill -9 "$BOT_PID"
wait "$BOT_PID" 2>/dev/null
start_slack_bot bot2
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 40
sleep 1
[ "$(fake_js messages "s.filter((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts').length")" = 1 ] ||
  fail "the waiting post went out more than once"
echo ok
