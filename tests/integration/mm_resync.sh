#!/usr/bin/env bash
# Events lost for good: the server forgets the session (as after its
# restart) and refuses connections for a while, during which people
# mention the bot.  When pmbot gets back in, the new connection id tells
# it events were lost; it re-reads the channel over REST since the last
# post it saw and answers each missed mention exactly once, in its
# thread, without answering the first one again.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot

m1=$(mention alice ask-experimenter "@pmbot guide")
wait_answers 1 ask-experimenter

fake_post /_fake/config '{"ws_refuse":true}' >/dev/null
fake_post /_fake/expire '{}' >/dev/null
sleep 0.3
m2=$(mention bob ask-experimenter "@pmbot guide")
mention alice ask-experimenter "nothing for the bot here" >/dev/null
m3=$(mention carol ask-experimenter "@pmbot guide start")
m4=$(mention alice ask-experimenter "@pmbot guide" "$m2")
sleep 0.5
[ "$(answer_count ask-experimenter)" = 1 ] || bot_fail "answers arrived while the bot could not be connected"
fake_post /_fake/config '{"ws_refuse":false}' >/dev/null

wait_answers 4 ask-experimenter 30
sleep 2
a=$(answers ask-experimenter)
[ "$(echo "$a" | js 'd.length')" = 4 ] || bot_fail "expected 4 answers: $a"
for m in "$m1" "$m3"; do
  [ "$(echo "$a" | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] || bot_fail "mention $m was not answered exactly once: $a"
done
# m2's own answer and that of m4, a reply in m2's thread: both at the
# root, never pointing at the reply.
[ "$(echo "$a" | js "d.filter(p=>p.root_id==='$m2').length")" = 2 ] || bot_fail "m2 and its thread reply were not answered at the root: $a"
[ "$(echo "$a" | js "d.filter(p=>p.root_id==='$m4').length")" = 0 ] || bot_fail "an answer points at a reply"
grep -q 'started a new session' "$T/bot.log" || bot_fail "the lost session was not noticed"
grep -q 're-sync of' "$T/bot.log" || bot_fail "no re-sync"
echo "ok: lost events re-read over REST, each missed mention answered once"
