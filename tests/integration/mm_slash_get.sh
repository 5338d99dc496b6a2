#!/usr/bin/env bash
# A slash command sent by GET (a Mattermost command can be set to GET) is
# read exactly as the same command sent by POST: the query is decoded
# once, so an encoded '&' in the text stays text and cannot add a field
# (a user_name of an admin, say); a field named twice is refused with
# 400 and nothing is run, by GET and by POST alike.
. "$(dirname "$0")/mm_lib.bash"

cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "roles": { "admins": ["alice"] } }
JSON
export PMBOT_CONFIG=$T/cfg.json
token=gettoken0000000000000000000
export PMBOT_MATTERMOST_COMMAND_TOKENS=$token
start_redis
start_fake
start_mm_bot
base=http://127.0.0.1:$BOT_PORT/mattermost/command
uid() {
  curl -sf --max-time 10 -H 'Authorization: Bearer pmbot-token' "$FAKE/api/v4/users/username/$1" | js 'd.id'
}
alice=$(uid alice)
bob=$(uid bob)
[ -n "$alice" ] && [ -n "$bob" ] || fail "no user ids from the fake"
q() { # q USER USER_ID TEXT(encoded) [extra]: the query of a /pm command
  echo "channel_id=c1&channel_name=town-square&command=%2Fpm&text=$3&token=$token&user_id=$2&user_name=$1${4:-}"
}

# The admin's own /pm status, by GET, is the reference answer; "+" in a
# query is a space, as in a form.
curl -sf --max-time 10 "$base?$(q alice "$alice" status)" >"$T/admin.json" || bot_fail "GET /pm status failed"
js 'd.text' <"$T/admin.json" | grep -qi "denied\|not allowed\|unknown" && bot_fail "alice was refused: $(cat "$T/admin.json")"
curl -sf --max-time 10 "$base?$(q bob "$bob" 'nosuch+thing')" >"$T/plus.json" || bot_fail "GET with + failed"
js 'd.text' <"$T/plus.json" | grep -q 'nosuch' || bot_fail "no answer about nosuch: $(cat "$T/plus.json")"
js 'd.text' <"$T/plus.json" | grep -q 'nosuch+thing' && bot_fail "+ was not read as a space: $(cat "$T/plus.json")"

# bob smuggles "&user_name=alice" inside his text, with a user id the
# bot cannot look up, so that the name is all it has to go by.
curl -sf --max-time 10 "$base?$(q bob nosuchuser000000000000000 'status%26user_name%3Dalice')" >"$T/smuggled.json" ||
  bot_fail "the smuggling GET failed"
cmp -s "$T/admin.json" "$T/smuggled.json" && bot_fail "bob got alice's answer: $(cat "$T/smuggled.json")"
grep -q "from bob" "$T/bot.log" || bot_fail "the command was not bob's: $(grep request "$T/bot.log" | tail -3)"

# A field named twice: 400, by GET and by POST, and nothing run.
n=$(grep -c "request .*: mattermost" "$T/bot.log")
code=$(curl -s -o "$T/twice.out" -w '%{http_code}' --max-time 10 "$base?$(q bob "$bob" status '&user_name=alice')")
[ "$code" = 400 ] || bot_fail "a repeated field by GET got $code: $(cat "$T/twice.out")"
grep -q "field \"user_name\" appears twice" "$T/twice.out" || bot_fail "the 400 does not say why: $(cat "$T/twice.out")"
code=$(curl -s -o "$T/twice.out" -w '%{http_code}' --max-time 10 \
  -H 'Content-Type: application/x-www-form-urlencoded' --data "$(q bob "$bob" status '&user_name=alice')" "$base")
[ "$code" = 400 ] || bot_fail "a repeated field by POST got $code: $(cat "$T/twice.out")"
[ "$(grep -c "request .*: mattermost" "$T/bot.log")" = "$n" ] || bot_fail "a refused request reached the router"
echo "ok: GET decoded once, smuggled field stayed text, repeated fields refused"
