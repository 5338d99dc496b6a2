# Killing redis-server mid-session gives the user a clear error, the bot
# keeps running, and it recovers by itself when Redis is back.
. "$(dirname "$0")/lib.bash"
start_redis
start_bot
say "/brief add alpha https://docs.example.com/alpha title Alpha"
expect "alpha"
kill_redis
sleep 0.3
mark
say "/brief alpha"
expect_new "state store unavailable, try again shortly"
mark
say "/guide start"
expect_new "[Bb]rief"
restart_redis
# The append-only file brought the brief back; the store reconnects alone.
ok=
for i in $(seq 40); do
  mark
  say "/brief alpha"
  sleep 0.25
  if tail -n +"$((MARK + 1))" "$T/out" | grep -q "Alpha"; then ok=1; break; fi
done
[ -n "$ok" ] || fail "the bot did not recover after redis came back"
stop_bot || fail "exit status $?"
echo "ok: clear error while redis was down, recovered after restart"
