#!/usr/bin/env bash
# HTTP mode alone: with the bot token and the signing secret but no app
# token, pmbot runs the Slack adapter without Socket Mode.  It never asks
# for a socket (no apps.connections.open), it is ready once auth.test has
# answered (and not before), and Slack reaches it only through the signed
# routes: a slash command answered in the response, a mention answered in
# its thread with chat.postMessage, a button answered through its
# response_url.  The configuration check wants the bot token with the
# secret, and the app token or the secret with the bot token.
. "$(dirname "$0")/slack_lib.bash"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
SECRET=8f742231b10e8888abcd99yyyzzz85a5

start_slack
start_redis
slack_config
unset PMBOT_SLACK_APP_TOKEN

# --- the configuration check -------------------------------------------------
env -u PMBOT_SLACK_BOT_TOKEN PMBOT_SLACK_SIGNING_SECRET=$SECRET "$PMBOT" </dev/null >"$T/cfg1.out" 2>"$T/cfg1.log"
rc=$?
[ $rc = 2 ] || fail "the signing secret without a bot token: exit $rc"
grep -q 'PMBOT_SLACK_BOT_TOKEN: required when the Slack signing secret is set' "$T/cfg1.out" "$T/cfg1.log" ||
  fail "no problem named for the missing bot token: $(cat "$T/cfg1.out" "$T/cfg1.log")"
"$PMBOT" </dev/null >"$T/cfg2.out" 2>"$T/cfg2.log"
rc=$?
[ $rc = 2 ] || fail "the bot token alone: exit $rc"
grep -q 'PMBOT_SLACK_APP_TOKEN: required when a Slack token is set without the signing secret' "$T/cfg2.out" "$T/cfg2.log" ||
  fail "no problem named for the bot token alone: $(cat "$T/cfg2.out" "$T/cfg2.log")"

# --- start: ready when auth.test has answered --------------------------------
export PMBOT_SLACK_SIGNING_SECRET=$SECRET
# auth.test is refused once with a 503 and a Retry-After of 3 s, so
# there is a window in which pmbot runs but is not signed in.
ctl fail '{"path":"/api/auth.test","status":503,"retry_after":3}' >/dev/null
start_slack_bot bot
for i in $(seq 100); do
  H=$(sed -n 's/.*http: listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$T/bot.err" | head -1)
  [ -n "$H" ] && break
  sleep 0.05
done
[ -n "$H" ] || fail "no listener"
grep -q 'slack: HTTP mode on' "$T/bot.err" || fail "HTTP mode is not on"
code=$(curl -s -o "$T/ready" -w '%{http_code}' "http://$H/readyz")
[ "$code" = 503 ] || fail "ready before auth.test answered: $code $(cat "$T/ready")"
for i in $(seq 100); do
  code=$(curl -s -o "$T/ready" -w '%{http_code}' "http://$H/readyz")
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] || fail "not ready 10 s after start: $(cat "$T/ready")"
grep -q 'slack: signed in as pmbot' "$T/bot.err" || fail "ready without auth.test"

# --- Slack comes to pmbot ----------------------------------------------------
sign() { # sign TS BODY
  printf 'v0=%s' "$(printf 'v0:%s:%s' "$1" "$2" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= //')"
}
post() { # post PATH BODY [CONTENT-TYPE]: prints "status body"
  local ts ctype=${3:-application/x-www-form-urlencoded}
  ts=$(date +%s)
  curl -s -o "$T/resp" -w '%{http_code}' -X POST -H "Content-Type: $ctype" \
    -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $(sign "$ts" "$2")" \
    --data-binary "$2" "http://$H$1"
  echo " $(cat "$T/resp")"
}
enc() { node -pe 'encodeURIComponent(process.argv[1])' "$1"; }

form="team_id=T0FAKETEAM&channel_id=C0FAKE0000&channel_name=general&user_id=U0HUMAN001&user_name=alice&command=%2Fpm&text=help&response_url=$(enc "$S/_fake/response/cmd-1")"
out=$(post /slack/commands "$form")
case $out in
"200 {\"response_type\":\"ephemeral\""*'`/brief`'*) ;;
*) fail "signed command: $out" ;;
esac

ts=$(ctl message '{"text":"a thread to answer in"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
ev="{\"type\":\"event_callback\",\"event_id\":\"EvHTTPONLY1\",\"event\":{\"type\":\"app_mention\",\"user\":\"U0HUMAN001\",\"text\":\"<@U0FAKEBOT1> guide\",\"ts\":\"$ts\",\"channel\":\"C0FAKE0000\"}}"
out=$(post /slack/events "$ev" application/json)
[ "${out%% *}" = 200 ] || fail "event: $out"
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 5

payload="{\"type\":\"block_actions\",\"user\":{\"id\":\"U0HUMAN001\",\"username\":\"alice\"},\"channel\":{\"id\":\"C0FAKE0000\",\"name\":\"general\"},\"response_url\":\"$S/_fake/response/btn-1\",\"actions\":[{\"type\":\"button\",\"value\":\"guide\"}]}"
out=$(post /slack/actions "payload=$(enc "$payload")")
[ "${out%% *}" = 200 ] || fail "action: $out"
until_js responses "s.some((r) => r.id === 'btn-1' && /guide/.test(r.body.text))" 5

# No socket was ever asked for or opened.
[ "$(fake_js requests 's.filter((r) => r.method === "apps.connections.open").length')" = 0 ] ||
  fail "apps.connections.open was called without an app token"
[ "$(fake_js state 's.opens')" = 0 ] || fail "a Socket Mode connection was opened"
kill -0 "$BOT_PID" 2>/dev/null || fail "pmbot is gone"
echo ok
