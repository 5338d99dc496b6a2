# A console session under valgrind: no leak of any kind, no error.
. "$(dirname "$0")/lib.bash"
[ "${PMBOT_SANITIZE:-OFF}" = ON ] && skip "sanitizer build: valgrind runs on the plain build"
[ -x "${VALGRIND:-}" ] || skip "valgrind is not installed"
start_redis
BOT_WRAPPER="$VALGRIND --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 --log-file=$T/valgrind.log"
start_bot
say "/pm help"
expect "/guide" 60
say "/guide rollout"
say "/brief add vg https://docs.example.com/vg"
expect "vg" 60
say "/nope"
expect "unknown command" 60
exec 3>&-
for i in $(seq 600); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$BOT_PID"; rc=$?; BOT_PID=
cat "$T/valgrind.log"
[ "$rc" = 0 ] || fail "exit status $rc under valgrind (99 = errors or leaks)"
echo "ok: valgrind reports no errors and no leaks"
