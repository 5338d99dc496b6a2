#!/usr/bin/env bash
# A button click: Mattermost POSTs the button's context to
# /mattermost/action; with the HMAC the bot put there over the action and
# its expiry (key from PMBOT_ACTION_SECRET), the action runs as the
# clicking user and the answer comes back.  A context whose action or
# expiry was changed is refused; an expired button says so and runs
# nothing; the same click sent again runs once; a user id the server does
# not know is never taken for the name beside it.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
export PMBOT_ACTION_SECRET=button-secret-for-tests
start_mm_bot
st=$(fake_get /_fake/state)
ch=$(echo "$st" | js 'd.channels.find(c=>c.name==="ask-experimenter").id')
alice=$(echo "$st" | js 'd.users.find(u=>u.username==="alice").id')
exp=$(($(date +%s) + 3600))
mac() { # mac ACTION [EXP]
  node -e 'const c=require("crypto");const [s,a,e]=process.argv.slice(1);const k=c.createHmac("sha256",s).update("pmbot button key v1").digest("hex");console.log(c.createHmac("sha256",k).update(a+"\n"+e).digest("hex"))' "$PMBOT_ACTION_SECRET" "$1" "${2:-$exp}"
}
click() { # click ACTION MAC [USER_ID] [POST_ID] [EXP]
  curl -s -w '\n%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
    --data-binary "{\"user_id\":\"${3:-$alice}\",\"user_name\":\"alice\",\"channel_id\":\"$ch\",\"channel_name\":\"ask-experimenter\",\"post_id\":\"${4:-p1}\",\"type\":\"button\",\"context\":{\"action\":\"$1\",\"exp\":\"${5:-$exp}\",\"mac\":\"$2\"}}" \
    "http://127.0.0.1:$BOT_PORT/mattermost/action"
}
out=$(click "guide start" "$(mac "guide start")")
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "a signed click got: $out"
wait_answers 1 ask-experimenter
answers ask-experimenter | js 'd[0].message' | grep -qi 'start' || bot_fail "the click did not run the action"
out=$(click "guide" "$(mac "guide start")")
[ "$(echo "$out" | tail -1)" = 403 ] || bot_fail "a changed action got: $out"
# A later expiry with the old MAC: refused like any change.
out=$(click "guide start" "$(mac "guide start")" "$alice" p2 $((exp + 86400)))
[ "$(echo "$out" | tail -1)" = 403 ] || bot_fail "a changed expiry got: $out"
# The very same click again: told, not run.
out=$(click "guide start" "$(mac "guide start")")
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "a repeated click got: $out"
echo "$out" | grep -q "already used" || bot_fail "a repeated click was not told: $out"
# A button past its life: told, not run.
old=$(($(date +%s) - 60))
out=$(click "guide start" "$(mac "guide start" "$old")" "$alice" p3 "$old")
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "an expired click got: $out"
echo "$out" | grep -q "expired" || bot_fail "an expired click was not told: $out"
sleep 0.5
[ "$(answer_count)" = 1 ] || bot_fail "a refused click was answered"
# The same button on another post runs.
out=$(click "guide start" "$(mac "guide start")" "$alice" p4)
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "the button on another post got: $out"
wait_answers 2 ask-experimenter
# A signed click with a user id the server does not know, and an
# admin's name beside it: the name is not taken for who pressed.
out=$(click "guide start" "$(mac "guide start")" nosuchuser000000000000000 p5)
[ "$(echo "$out" | tail -1)" = 200 ] || bot_fail "an unknown user's click got: $out"
echo "$out" | grep -q "Could not tell who pressed that" || bot_fail "no word to the unknown user: $out"
sleep 0.5
[ "$(answer_count)" = 2 ] || bot_fail "the unknown user's click ran"
grep -q "button press by unknown user id nosuchuser" "$T/bot.log" || bot_fail "not logged"
echo "ok: a signed click runs once as the user; tampered, expired, repeated and unknown-user clicks are refused"
