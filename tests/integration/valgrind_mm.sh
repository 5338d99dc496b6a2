#!/usr/bin/env bash
# pmbot on the fake Mattermost under valgrind: start-up, a mention, a
# slash command, an escalation in the Twitter channel, a WebSocket drop
# and resume, then SIGTERM; no error and no leak of any kind.
. "$(dirname "$0")/mm_lib.bash"
[ "${PMBOT_SANITIZE:-OFF}" = ON ] && skip "sanitizer build: valgrind runs on the plain build"
[ -x "${VALGRIND:-}" ] || skip "valgrind is not installed"
supp=$SRC/tests/valgrind.supp
cat >"$T/pm.json" <<'JSON'
{
  "channels": { "ask": "ask-experimenter", "pm": ["pm"], "twitter": "twitter" },
  "roles": { "pms": ["alice", "bob"], "marketing": ["carol"], "pm_group": "pm-team" },
  "rotations": { "twitter": { "members": ["bob", "alice"],
    "handoff": { "weekday": "monday", "time": "09:00", "timezone": "UTC" } } }
}
JSON
export PMBOT_CONFIG=$T/pm.json
port=$(free_port)
export PMBOT_HTTP_LISTEN=127.0.0.1:$port PMBOT_MATTERMOST_COMMAND_TOKENS=vg-slash-token-0001
start_redis
start_fake
BOT_WRAPPER="$VALGRIND --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 --suppressions=$supp --log-file=$T/valgrind.log"
# Start-up under valgrind is slow: wait longer than start_mm_bot does.
mm_env
$BOT_WRAPPER "$PMBOT" </dev/null >"$T/bot.out" 2>"$T/bot.log" &
BOT_PID=$!
for i in $(seq 600); do
  grep -q 'mattermost: connected as @pmbot' "$T/bot.log" && break
  kill -0 "$BOT_PID" 2>/dev/null || bot_fail "pmbot exited at start-up under valgrind"
  sleep 0.1
done
grep -q 'mattermost: connected as @pmbot' "$T/bot.log" || bot_fail "no connection within 60 s under valgrind"

mention alice ask-experimenter "@pmbot guide rollout" >/dev/null
wait_answers 1 ask-experimenter 60
alice=$(fake_get /_fake/state | js 'd.users.find(u=>u.username==="alice").id')
ask=$(fake_get /_fake/state | js 'd.channels.find(c=>c.name==="ask-experimenter").id')
out=$(curl -s --max-time 30 -d "token=vg-slash-token-0001&team_domain=pm&channel_id=$ask&channel_name=ask-experimenter&user_id=$alice&user_name=alice&command=%2Fbrief&text=add+vg+https%3A%2F%2Fdocs.example.com%2Fvg" "http://127.0.0.1:$port/mattermost/command")
echo "$out" | grep -q '"text"' || bot_fail "no JSON answer to the slash command: $out"
mention carol twitter "@pm-team a customer asks about pricing" >/dev/null
wait_answers 1 twitter 60
fake_post /_fake/drop '{}' >/dev/null || true
sleep 3
mention bob ask-experimenter "@pmbot help" >/dev/null
wait_answers 3 "" 60
kill -TERM "$BOT_PID"
for i in $(seq 600); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$BOT_PID"; rc=$?; BOT_PID=
cat "$T/valgrind.log"
[ "$rc" = 0 ] || bot_fail "exit status $rc under valgrind (99 = errors or leaks)"
echo "ok: a Mattermost session under valgrind ends with no error and no leak"
