# SIGTERM and SIGINT end the bot cleanly with status 0; SIGHUP reloads the
# configuration and a broken one is refused while the bot keeps running.
. "$(dirname "$0")/lib.bash"
start_redis
for sig in TERM INT; do
  start_bot
  say "/pm help"
  expect "/guide"
  kill -"$sig" "$BOT_PID"
  for i in $(seq 100); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$BOT_PID" 2>/dev/null && fail "still running 5 s after SIG$sig"
  wait "$BOT_PID"; rc=$?; BOT_PID=
  exec 3>&-
  [ "$rc" = 0 ] || fail "exit status $rc after SIG$sig, expected 0"
  grep -q "shutting down" "$T/err" || fail "no shutdown line in the log"
done

start_bot
say "/pm help"
expect "/guide"
echo '{ "log": { "level": "debug" } }' >"$PMBOT_CONFIG"
kill -HUP "$BOT_PID"
for i in $(seq 40); do grep -q "configuration reloaded" "$T/err" && break; sleep 0.05; done
grep -q "configuration reloaded" "$T/err" || fail "no reload after SIGHUP"
echo '{ "log": { "level": "loud" } }' >"$PMBOT_CONFIG"
kill -HUP "$BOT_PID"
for i in $(seq 40); do grep -q "keeping the running one" "$T/err" && break; sleep 0.05; done
grep -q "keeping the running one" "$T/err" || fail "a broken reload was not refused"
mark
say "/guide"
expect_new "rollout"
stop_bot || fail "exit status $?"
echo "ok: TERM and INT exit 0; HUP reloads, refuses a broken file, keeps serving"
