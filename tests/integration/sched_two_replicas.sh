# Exactly once with two replicas: two console bots on one Redis each set
# a reminder five seconds out at the same moment, so both wake together
# and race for both jobs; each reminder must appear exactly once across
# the two outputs, and nothing may stay leased.
. "$(dirname "$0")/lib.bash"
start_redis

B_PID=
cleanup_both() {
  [ -n "$B_PID" ] && kill -9 "$B_PID" 2>/dev/null
  cleanup
}
trap cleanup_both EXIT

mkfifo "$T/in2"
"$PMBOT" console --user bob <"$T/in2" >"$T/out2" 2>"$T/err2" &
B_PID=$!
exec 4>"$T/in2"
start_bot

# Both consoles answer once they are connected.
say "/remind list"
printf '%s\n' "/remind list" >&4
expect "no reminders"
for i in $(seq 100); do
  grep -q "no reminders" "$T/out2" && break
  sleep 0.05
done
grep -q "no reminders" "$T/out2" || fail "replica B did not answer"

say "/remind me in 5 seconds hello from alice"
printf '%s\n' "/remind me in 5 seconds hello from bob" >&4
expect "set for you"

# Wait for both, then a little longer for any second firing.
for i in $(seq 300); do
  [ "$(cat "$T/out" "$T/out2" | grep -c 'Reminder: hello from')" -ge 2 ] && break
  sleep 0.05
done
sleep 3
a=$(cat "$T/out" "$T/out2" | grep -c "Reminder: hello from alice")
b=$(cat "$T/out" "$T/out2" | grep -c "Reminder: hello from bob")
[ "$a" = 1 ] || fail "alice's reminder appeared $a times"
[ "$b" = 1 ] || fail "bob's reminder appeared $b times"
[ "$(redis-cli -s "$T/redis.sock" zcard pmbot:sched:lease)" = 0 ] || fail "a lease was left behind"
# Only the recurring checklist nudge (c:nudge) stays due.
[ "$(redis-cli -s "$T/redis.sock" zrange pmbot:sched:due 0 -1 | grep -vc '^c:nudge$')" = 0 ] ||
  fail "a fired one-off is still due"

exec 4>&-
stop_bot || fail "exit status $?"
wait "$B_PID" 2>/dev/null
B_PID=
echo "ok: two replicas, two reminders five seconds out, each posted once"
