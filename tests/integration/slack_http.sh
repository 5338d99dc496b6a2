#!/usr/bin/env bash
# HTTP mode: /slack/commands, /slack/events and /slack/actions on the
# listener, each signed with the v0 scheme.  A signed slash command is
# answered in the response; the URL verification challenge is echoed; a
# signed event and a button press are answered like their Socket Mode
# twins.  A bad signature, an old timestamp (a replay) or no signature is
# refused with 401 before anything in the body is read; the very same
# signed request sent again inside the window is answered 200 and not run.
. "$(dirname "$0")/slack_lib.bash"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
SECRET=8f742231b10e8888abcd99yyyzzz85a5

start_slack
start_redis
slack_config
export PMBOT_SLACK_SIGNING_SECRET=$SECRET
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'
for i in $(seq 100); do
  H=$(sed -n 's/.*http: listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$T/bot.err" | head -1)
  [ -n "$H" ] && break
  sleep 0.05
done
[ -n "$H" ] || fail "no listener"

sign() { # sign TS BODY
  printf 'v0=%s' "$(printf 'v0:%s:%s' "$1" "$2" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/.*= //')"
}
# post PATH BODY [TS] [SIGNATURE] [CONTENT-TYPE]: prints "status body".
post() {
  local ts=${3:-$(date +%s)} ctype=${5:-application/x-www-form-urlencoded}
  local sig=${4:-$(sign "$ts" "$2")}
  curl -s -o "$T/resp" -w '%{http_code}' -X POST -H "Content-Type: $ctype" \
    -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" \
    --data-binary "$2" "http://$H$1"
  echo " $(cat "$T/resp")"
}

form="token=x&team_id=T0FAKETEAM&channel_id=C0FAKE0000&channel_name=general&user_id=U0HUMAN001&user_name=alice&command=%2Fpm&text=help&response_url=$(node -pe 'encodeURIComponent(process.argv[1])' "$S/_fake/response/http-1")"
out=$(post /slack/commands "$form")
case $out in
"200 {\"response_type\":\"ephemeral\""*'`/brief`'*) ;;
*) fail "signed command: $out" ;;
esac

# --- refused -----------------------------------------------------------------------
out=$(post /slack/commands "$form" "" "v0=$(printf '0%.0s' $(seq 64))")
[ "${out%% *}" = 401 ] || fail "bad signature: $out"
old=$(($(date +%s) - 400))
out=$(post /slack/commands "$form" "$old" "$(sign "$old" "$form")")
[ "${out%% *}" = 401 ] || fail "old timestamp: $out"
out=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$form" "http://$H/slack/commands")
[ "$out" = 401 ] || fail "unsigned: $out"
out=$(post /slack/commands "${form}x" "" "$(sign "$(date +%s)" "$form")")
[ "${out%% *}" = 401 ] || fail "body changed after signing: $out"
grep -q 'refused /slack/commands: timestamp outside the 5-minute window' "$T/bot.err" || fail "no log line for the replay"
# The very same signed request twice, inside the window: run once.
form2="$form&trigger_id=replay.1"
now=$(date +%s)
sig=$(sign "$now" "$form2")
out=$(post /slack/commands "$form2" "$now" "$sig")
case $out in "200 {"*'`/brief`'*) ;; *) fail "the first of two identical requests: $out" ;; esac
out=$(post /slack/commands "$form2" "$now" "$sig")
[ "$out" = "200 " ] || fail "an identical request sent again was run: $out"
grep -q 'refused /slack/commands: a replay of a request already run' "$T/bot.err" || fail "no log line for the identical request"

# --- events ----------------------------------------------------------------------------
out=$(post /slack/events '{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}' "" "" application/json)
[ "$out" = "200 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" ] || fail "challenge: $out"
ts=$(ctl message '{"text":"seed for a thread"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
ev="{\"type\":\"event_callback\",\"event_id\":\"EvHTTP1\",\"event\":{\"type\":\"app_mention\",\"user\":\"U0HUMAN001\",\"text\":\"<@U0FAKEBOT1> guide\",\"ts\":\"$ts\",\"channel\":\"C0FAKE0000\"}}"
out=$(post /slack/events "$ev" "" "" application/json)
[ "${out%% *}" = 200 ] || fail "event: $out"
post /slack/events "$ev" "" "" application/json >/dev/null # Slack's retry
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 5
sleep 0.5
[ "$(fake_js messages "s.filter((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts').length")" = 1 ] || fail "event answered twice"

# --- a button --------------------------------------------------------------------------
payload="{\"type\":\"block_actions\",\"user\":{\"id\":\"U0HUMAN001\",\"username\":\"alice\"},\"channel\":{\"id\":\"C0FAKE0000\",\"name\":\"general\"},\"response_url\":\"$S/_fake/response/http-btn\",\"actions\":[{\"type\":\"button\",\"value\":\"guide\"}]}"
out=$(post /slack/actions "payload=$(node -pe 'encodeURIComponent(process.argv[1])' "$payload")")
[ "${out%% *}" = 200 ] || fail "action: $out"
until_js responses "s.some((r) => r.id === 'http-btn' && /guide/.test(r.body.text))" 5
echo ok
