#!/usr/bin/env bash
# Two replicas on one Redis, three Socket Mode connections between them
# (slack.connections 2 and 1): Slack hands each envelope to one arbitrary
# connection, so retries and the app_mention twin of a post land on
# either replica.  Every post is answered exactly once, and every slash
# command acknowledged once, with its answer.
. "$(dirname "$0")/slack_lib.bash"

start_slack
start_redis
CFG_NAME=a slack_config '{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "ask": "general" }, "slack": { "connections": 2 } }'
start_slack_bot a
slack_config
start_slack_bot b
wait_connections 3
until_js requests 's.filter((r) => r.method === "users.list" && r.status === 200).length >= 2'

N=20
for i in $(seq $N); do
  out=$(ctl message '{"text":"<@U0FAKEBOT1> guide"}')
  ev=$(echo "$out" | node -pe 'JSON.parse(require("fs").readFileSync(0)).event_id')
  ts=$(echo "$out" | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
  for kind in "message $ev 1" "app_mention EvTWIN$i 0" "message $ev 2" "app_mention EvTWIN$i 1"; do
    set -- $kind
    ct=',"channel_type":"channel"'
    [ "$1" = app_mention ] && ct=
    ctl envelope "$(printf '{"type":"events_api","retry_attempt":%s,"retry_reason":"timeout","payload":{"type":"event_callback","event_id":"%s","event":{"type":"%s","user":"U0HUMAN001","text":"<@U0FAKEBOT1> guide","ts":"%s","channel":"C0FAKE0000"%s}}}' "$3" "$2" "$1" "$ts" "$ct")" >/dev/null
  done
done
ctl burst '{"count":50,"command":"/pm","text":"help"}' >/dev/null
until_js messages "s.filter((m) => m.user === 'U0FAKEBOT1').length >= $N" 30
until_js acks 's.length >= 150' 10
sleep 2
answers=$(fake_js messages 's.filter((m) => m.user === "U0FAKEBOT1").length')
threads=$(fake_js messages 'new Set(s.filter((m) => m.user === "U0FAKEBOT1").map((m) => m.thread_ts)).size')
[ "$answers" = $N ] || fail "$answers answers to $N posts"
[ "$threads" = $N ] || fail "answers went to $threads threads"
[ "$(fake_js acks 'new Set(s.map((a) => a.envelope_id)).size')" = 150 ] || fail "acks: $(fake_js acks 's.length')"
[ "$(fake_js acks 's.filter((a) => a.type === "slash_commands" && !(a.payload && /brief/.test(a.payload.text))).length')" = 0 ] ||
  fail "a slash command was acked without its answer"
# Both replicas served (each took envelopes).
for b in a b; do
  grep -q 'connection [0-9]* open' "$T/$b.err" || fail "replica $b never connected"
done
[ "$(fake_js failed 's.length')" = 0 ] || fail "dispatch_failed: $(fake_js failed 's')"
echo ok
