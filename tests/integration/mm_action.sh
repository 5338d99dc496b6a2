#!/usr/bin/env bash
# A button click: Mattermost POSTs the button's context to
# /mattermost/action; with the HMAC the bot put there (key from
# PMBOT_ACTION_SECRET), the action runs as the clicking user and the
# answer comes back; a context whose action was changed is refused.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
export PMBOT_ACTION_SECRET=button-secret-for-tests
start_mm_bot
st=$(fake_get /_fake/state)
ch=$(echo "$st" | js 'd.channels.find(c=>c.name==="ask-experimenter").id')
alice=$(echo "$st" | js 'd.users.find(u=>u.username==="alice").id')
mac() {
  node -e 'const c=require("crypto");const [s,a]=process.argv.slice(1);const k=c.createHmac("sha256",s).update("pmbot button key v1").digest("hex");console.log(c.createHmac("sha256",k).update(a).digest("hex"))' "$PMBOT_ACTION_SECRET" "$1"
}
click() {
  curl -s -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    --data-binary "{\"user_id\":\"${3:-$alice}\",\"user_name\":\"alice\",\"channel_id\":\"$ch\",\"channel_name\":\"ask-experimenter\",\"post_id\":\"p\",\"type\":\"button\",\"context\":{\"action\":\"$1\",\"mac\":\"$2\"}}" \
    "http://127.0.0.1:$BOT_PORT/mattermost/action"
}
out=$(click "guide start" "$(mac "guide start")")
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "a signed click got: $out"
wait_answers 1 ask-experimenter
answers ask-experimenter | js 'd[0].message' | grep -qi 'start' || bot_fail "the click did not run the action"
out=$(click "guide" "$(mac "guide start")")
[ "$(echo "$out" | tail -1)" = 403 ] || bot_fail "a changed action got: $out"
sleep 0.5
[ "$(answer_count)" = 1 ] || bot_fail "the refused click was answered"
# A signed click with a user id the server does not know, and an
# admin's name beside it: the name is not taken for who pressed.
out=$(click "guide start" "$(mac "guide start")" nosuchuser000000000000000)
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "an unknown user's click got: $out"
echo "$out" | grep -q "Could not tell who pressed that" || bot_fail "no word to the unknown user: $out"
sleep 0.5
[ "$(answer_count)" = 1 ] || bot_fail "the unknown user's click ran"
grep -q "button press by unknown user id nosuchuser" "$T/bot.log" || bot_fail "not logged"
echo "ok: signed click runs as the user, a tampered one and an unknown user's are refused"
