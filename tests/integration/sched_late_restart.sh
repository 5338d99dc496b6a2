# A reminder due while the bot was stopped fires when it comes back,
# marked late with the time it was due; one beyond the horizon (24 h by
# default) is reported to its owner as missed and not posted.  The time
# the bot spends down is simulated by moving the due time back in Redis,
# which is all the passing of ten minutes or a day would change there.
. "$(dirname "$0")/lib.bash"
start_redis
R() { redis-cli -s "$T/redis.sock" "$@"; }
now_ms() { date +%s%3N; }

start_bot
say "/remind me in 3 seconds check the late one"
expect "Reminder 1 set for you"
say "/remind me in 3 seconds check the missed one"
expect "Reminder 2 set for you"
stop_bot || fail "exit status $? at end of input"
grep -q "Reminder: check the" "$T/out" && fail "fired before the bot stopped"

due=$(( $(now_ms) - 600000 ))
R zadd pmbot:sched:due "$due" 1 >/dev/null
R hset pmbot:sched:job:1 due "$due" >/dev/null
missed=$(( $(now_ms) - 25 * 3600 * 1000 ))
R zadd pmbot:sched:due "$missed" 2 >/dev/null
R hset pmbot:sched:job:2 due "$missed" >/dev/null

start_bot
expect "Reminder: check the late one \(late: was due ([A-Z][a-z]{2} [0-9-]{10} )?[0-9]{2}:[0-9]{2} UTC\)" 15
expect "Missed reminder 2 for @alice: \"check the missed one\" was due" 15
sleep 2
[ "$(grep -c 'Reminder: check the late one' "$T/out")" = 1 ] || fail "the late one fired more than once"
grep -q "Reminder: check the missed one" "$T/out" && fail "a missed reminder was posted"
# Only the recurring checklist nudge (c:nudge) stays due.
[ "$(R zrange pmbot:sched:due 0 -1 | grep -vc '^c:nudge$')" = 0 ] || fail "jobs still due"
[ "$(R zcard pmbot:sched:lease)" = 0 ] || fail "a lease was left behind"
stop_bot || fail "exit status $?"
echo "ok: late reminder fired once and said so; the one beyond the horizon was reported missed"
