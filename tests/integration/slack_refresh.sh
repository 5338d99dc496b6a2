#!/usr/bin/env bash
# Connection life: a refresh_requested disconnect is met by opening the
# replacement first, so there is never a moment without a connection and
# every envelope sent meanwhile is acknowledged in time; warning the same.
# too_many_websockets closes and backs off instead; link_disabled and a
# refused token stop the bot with status 1 and a plain reason.
. "$(dirname "$0")/slack_lib.bash"

start_slack
start_redis
slack_config
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'

# --- refresh with no gap ----------------------------------------------------------
for reason in refresh_requested warning; do
  opens=$(fake_js state 's.opens')
  ctl disconnect "{\"reason\":\"$reason\",\"close_after_ms\":4000}" >/dev/null
  gap=0
  for i in $(seq 40); do
    [ "$(fake_js state 's.connections')" -ge 1 ] || gap=$((gap + 1))
    ctl slash '{"command":"/pm","text":"help"}' >/dev/null
    sleep 0.05
  done
  [ "$gap" = 0 ] || fail "$reason: no connection at $gap of 40 looks"
  [ "$(fake_js state 's.opens')" = $((opens + 1)) ] || fail "$reason: expected one new connection"
  until_js state 's.connections === 1' 5
done
sleep 3.2
[ "$(fake_js failed 's.length')" = 0 ] || fail "commands failed during the refresh: $(fake_js failed 's')"
[ "$(fake_js acks 's.filter((a) => a.late || a.latency_ms > 3000).length')" = 0 ] || fail "late acks"
[ "$(fake_js acks 's.length')" = 80 ] || fail "acks: $(fake_js acks 's.length') of 80"
grep -q 'replaced by' "$T/bot.err" || fail "the old connection was not closed by the bot"

# --- link_disabled stops the bot ----------------------------------------------------
ctl disconnect '{"reason":"link_disabled"}' >/dev/null
for i in $(seq 100); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$BOT_PID" 2>/dev/null && fail "the bot kept running after link_disabled"
wait "$BOT_PID"
rc=$?
[ "$rc" = 1 ] || fail "exit status $rc after link_disabled"
grep -q 'Socket Mode is turned off for this app' "$T/bot.err" || fail "no reason logged for link_disabled"

# --- too_many_websockets: close and back off ---------------------------------------
start_slack_bot bot2
wait_connections 1
opens=$(fake_js state 's.opens')
ctl disconnect '{"reason":"too_many_websockets"}' >/dev/null
until_js state 's.connections === 0' 5
sleep 2
[ "$(fake_js state 's.opens')" = "$opens" ] || fail "reconnected at once after too_many_websockets"
grep -q 'too many connections for this app' "$T/bot2.err" || fail "no reason logged"
kill "$BOT_PID"
wait "$BOT_PID" 2>/dev/null

# --- refused tokens are fatal and say which ------------------------------------------
APP_TOKEN=xapp-1-A0FAKEAPP1-1-wrong slack_config
start_slack_bot badapp
for i in $(seq 100); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$BOT_PID"
rc=$?
[ "$rc" = 1 ] || fail "exit status $rc with a wrong app token"
grep -q 'app-level token was refused (invalid_auth)' "$T/badapp.err" || fail "no reason for the app token"

BOT_TOKEN=xoxb-wrong slack_config
start_slack_bot badbot
for i in $(seq 100); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$BOT_PID"
rc=$?
[ "$rc" = 1 ] || fail "exit status $rc with a wrong bot token"
grep -q 'bot token was refused (invalid_auth)' "$T/badbot.err" || fail "no reason for the bot token"
grep -q 'xoxb-wrong' "$T/badbot.err" && fail "the token reached the log"
echo ok
