#!/usr/bin/env bash
# The WebSocket drops (abruptly, then with a close code) while someone is
# mentioning the bot: pmbot reconnects with connection_id and the next
# sequence_number, the server replays what it missed on the same
# session (no new hello), and each mention is answered exactly once.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot

session() {
  fake_get /_fake/state | js 'd.connections.filter(c=>c.user_id===d.bot.id)'
}

m1=$(mention alice ask-experimenter "@pmbot guide")
wait_answers 1 ask-experimenter
cid=$(session | js 'd[0].connection_id')

fake_post /_fake/drop '{}' >/dev/null
m2=$(mention bob ask-experimenter "@pmbot guide")
wait_answers 2 ask-experimenter 20

fake_post /_fake/drop '{"code":1001}' >/dev/null
m3=$(mention carol ask-experimenter "@pmbot guide")
wait_answers 3 ask-experimenter 20
sleep 1

s=$(session)
[ "$(echo "$s" | js 'd.length')" = 1 ] || bot_fail "the bot opened new sessions instead of resuming: $s"
[ "$(echo "$s" | js 'd[0].connection_id')" = "$cid" ] || bot_fail "the session was not resumed: $s"
[ "$(echo "$s" | js 'd[0].connected')" = true ] || bot_fail "the bot is not connected: $s"
grep -q 'started a new session' "$T/bot.log" && bot_fail "a resume was taken for a lost session"
a=$(answers ask-experimenter)
for m in "$m1" "$m2" "$m3"; do
  [ "$(echo "$a" | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] || bot_fail "mention $m was not answered exactly once: $a"
done
[ "$(echo "$a" | js 'd.length')" = 3 ] || bot_fail "extra answers: $a"
curl -sf "http://127.0.0.1:$BOT_PORT/metrics" | grep -q 'pmbot_reconnects_total{adapter="mattermost"} 2' || bot_fail "reconnects not counted"
echo "ok: resumed twice on the same session, every mention answered once"
