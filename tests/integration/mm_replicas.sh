#!/usr/bin/env bash
# Two pmbot replicas on one Redis, each with its own WebSocket to the same
# server: every mention and direct message is answered exactly once.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot bot
start_mm_bot bot2
[ "$(fake_get /_fake/state | js 'd.connections.filter(c=>c.connected&&c.user_id===d.bot.id).length')" = 2 ] || fail "two sockets expected"

ids=()
for i in 1 2 3 4 5 6; do
  ids+=("$(mention alice ask-experimenter "@pmbot guide")")
done
fake_post /_fake/dm '{"user":"bob","message":"guide"}' >/dev/null
wait_answers 7 "" 20
sleep 2
a=$(answers)
[ "$(echo "$a" | js 'd.length')" = 7 ] || bot_fail "expected 7 answers: $(echo "$a" | js 'd.length')"
for m in "${ids[@]}"; do
  [ "$(echo "$a" | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] || bot_fail "mention $m not answered exactly once"
done
h1=$(grep -c 'mattermost: mention from' "$T/bot.log")
h2=$(grep -c 'mattermost: mention from' "$T/bot2.log")
[ $((h1 + h2)) = 6 ] || bot_fail "the replicas handled $h1 + $h2 mentions"
echo "ok: two replicas, one answer per event ($h1 + $h2 mentions)"
