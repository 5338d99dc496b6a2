# A replica killed after claiming a job: the other fires it once its
# lease runs out.  To kill replica A exactly between its claim and its
# post, Redis is made to sleep across the due time: A's claim waits in
# Redis's socket buffer, A is killed with SIGKILL, and Redis then runs
# the claim for a replica that no longer exists.
. "$(dirname "$0")/lib.bash"
start_redis --enable-debug-command local
R() { redis-cli -s "$T/redis.sock" "$@"; }
now_ms() { date +%s%3N; }
sleep_ms() { sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", (ms > 0 ? ms : 0) / 1000 }')"; }

start_bot
say "/remind me in 6 seconds taken over"
expect "Reminder 1 set for you"
due=$(R zscore pmbot:sched:due 1)
due=${due%.*}
A_PID=$BOT_PID
# Wide margins on both sides, for a loaded machine: Redis sleeps from 2 s
# before the due time to 6 s after, and A is killed 4 s after it, long
# after its claim was sent and long before Redis reads it.
sleep_ms $(( due - $(now_ms) - 2000 ))
R debug sleep 8 >/dev/null &
SLEEPER=$!
sleep_ms $(( due - $(now_ms) + 4000 ))
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
BOT_PID=
wait "$SLEEPER"
exec 3>&-

grep -q "Reminder: taken over" "$T/out" && fail "replica A posted before it was killed"
owner=$(R hget pmbot:sched:job:1 lease_owner)
case "$owner" in
  *":$A_PID:"*) ;;
  *) fail "the job is not leased to the killed replica (lease_owner '$owner')" ;;
esac
[ -n "$(R zscore pmbot:sched:lease 1)" ] || fail "no lease on the job"
cp "$T/out" "$T/out.a"

start_bot
expect "Reminder: taken over" 40
took=$(( $(now_ms) - due ))
[ "$took" -ge 19000 ] || fail "fired after ${took} ms, before the lease ran out"
sleep 3
[ "$(grep -c 'Reminder: taken over' "$T/out")" = 1 ] || fail "posted more than once"
[ "$(R zcard pmbot:sched:lease)" = 0 ] || fail "the lease was left behind"
stop_bot || fail "exit status $?"
echo "ok: killed after claiming; the other replica fired it once after the lease (${took} ms after due)"
