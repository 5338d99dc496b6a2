# A console session under valgrind: no leak of any kind, no error.
. "$(dirname "$0")/lib.bash"
[ "${PMBOT_SANITIZE:-OFF}" = ON ] && skip "sanitizer build: valgrind runs on the plain build"
[ -x "${VALGRIND:-}" ] || skip "valgrind is not installed"
start_redis
supp=$PMBOT_SOURCE_DIR/tests/valgrind.supp
[ -f "$supp" ] || supp=$(dirname "$0")/../valgrind.supp
BOT_WRAPPER="$VALGRIND --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 --suppressions=$supp --log-file=$T/valgrind.log"
export PMBOT_CALENDAR_TOKEN=vg-token
# The example configuration, so meetings, rotations and their zones are
# loaded and the scheduler seeds and computes with them.
cfg=$PMBOT_SOURCE_DIR/config/pmbot.example.json
[ -f "$cfg" ] || cfg=$(dirname "$0")/../../config/pmbot.example.json
start_bot --config "$cfg"
say "/pm help"
expect "/guide" 60
say "/guide rollout"
say "/brief add vg https://docs.example.com/vg"
expect "vg" 60
say "/nope"
expect "unknown command" 60
# Time zones and recurrence: meetings, rotations, a repeating reminder,
# and both calendar feeds.
say "/meeting"
expect "PM Weekly Sync" 60
say "/rotation triage"
expect "triage rotation" 60
say "/remind me every weekday at 9am stand up"
expect "stand up" 60
port=$(grep -o "http: listening on 127.0.0.1:[0-9]*" "$T/err" | head -1 | sed 's/.*://')
if [ -n "$port" ] && command -v curl >/dev/null; then
  curl -sf -o "$T/m.ics" "http://127.0.0.1:$port/calendar/vg-token/meetings.ics" || fail "meetings feed"
  curl -sf -o "$T/r.ics" "http://127.0.0.1:$port/calendar/vg-token/rotations/triage.ics" || fail "rotation feed"
  grep -q "BEGIN:VTIMEZONE" "$T/m.ics" || fail "no zone in the meetings feed"
fi
exec 3>&-
for i in $(seq 600); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$BOT_PID"; rc=$?; BOT_PID=
cat "$T/valgrind.log"
[ "$rc" = 0 ] || fail "exit status $rc under valgrind (99 = errors or leaks)"
echo "ok: valgrind reports no errors and no leaks"
