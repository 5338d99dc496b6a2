#!/usr/bin/env bash
# One post, one answer: an event Slack delivers again (retry_attempt 1,
# 2 with the same event_id) and the app_mention twin of a message that
# mentions the bot (another event_id, the same channel and ts) are
# acknowledged every time and answered once.  Malformed envelopes are
# acknowledged, ignored, and do not disturb the next command.
. "$(dirname "$0")/slack_lib.bash"

start_slack
start_redis
slack_config
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'

out=$(ctl message '{"text":"<@U0FAKEBOT1> guide"}')
ev=$(echo "$out" | node -pe 'JSON.parse(require("fs").readFileSync(0)).event_id')
ts=$(echo "$out" | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
event() { # event TYPE EVENT_ID RETRY
  local chtype=',"channel_type":"channel"'
  [ "$1" = app_mention ] && chtype=
  printf '{"type":"events_api","accepts_response_payload":false,"retry_attempt":%s,"retry_reason":"%s","payload":{"type":"event_callback","event_id":"%s","event_time":1,"event":{"type":"%s","user":"U0HUMAN001","text":"<@U0FAKEBOT1> guide","ts":"%s","channel":"C0FAKE0000","event_ts":"%s"%s}}}' \
    "$3" "$([ "$3" = 0 ] || echo timeout)" "$2" "$1" "$ts" "$ts" "$chtype"
}
ctl envelope "$(event message "$ev" 1)" >/dev/null
ctl envelope "$(event app_mention EvTWIN0001 0)" >/dev/null
ctl envelope "$(event message "$ev" 2)" >/dev/null
ctl envelope "$(event app_mention EvTWIN0001 1)" >/dev/null
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 5
sleep 1.5
n=$(fake_js messages "s.filter((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts').length")
[ "$n" = 1 ] || fail "answered $n times"
[ "$(fake_js acks 's.length')" = 5 ] || fail "not every delivery was acknowledged: $(fake_js acks 's.length')"
[ "$(redis-cli -s "$T/redis.sock" exists "pmbot:slack:event:$ev")" = 1 ] || fail "no event mark in Redis"

# --- malformed envelopes -------------------------------------------------------
ctl envelope '{"type":"events_api"}' >/dev/null
ctl envelope '{"type":"events_api","payload":"not an object"}' >/dev/null
ctl envelope '{"type":"events_api","payload":{"type":"event_callback"}}' >/dev/null
ctl envelope '{"type":"events_api","payload":{"type":"event_callback","event_id":"EvBAD1","event":{"type":"message","user":7,"text":null,"ts":"1.2","channel":"C0FAKE0000"}}}' >/dev/null
ctl envelope '{"type":"slash_commands","payload":{}}' >/dev/null
ctl envelope '{"type":"interactive","payload":{"type":"block_actions","actions":[]}}' >/dev/null
ctl envelope '{"type":"something_new","payload":{}}' >/dev/null
until_js acks 's.length >= 12' 5
[ "$(fake_js acks 's.filter((a) => a.late).length')" = 0 ] || fail "late acks"
env=$(ctl slash '{"command":"/pm","text":"help"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).envelope_id')
until_js acks "s.some((a) => a.envelope_id === '$env' && a.payload && /brief/.test(a.payload.text))" 5
kill -0 "$BOT_PID" || fail "the bot died"
echo ok
