# What monitoring sees of reminders: pmbot_reminders_total counts each
# reminder once by its outcome -- fired on time, late (posted more than a
# minute after its time, and saying so) or missed (beyond the horizon:
# not posted, its owner told) -- and the lag gauge shows how late the
# scheduler ran.  The late and missed ones are made by moving two stored
# reminders back in time while the bot is stopped, as a bot that was down
# would find them.
. "$(dirname "$0")/lib.bash"
command -v curl >/dev/null || skip "curl is not installed"
start_redis
R() { redis-cli -s "$T/redis.sock" "$@"; }
cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "reminders": { "horizon_hours": 1 } }
JSON
export PMBOT_CONFIG=$T/cfg.json

port() {
  local p= i
  for i in $(seq 200); do
    p=$(sed -nE 's/.*http: listening on [^ ]*:([0-9]+).*/\1/p' "$T/err" | head -n 1)
    [ -n "$p" ] && break
    sleep 0.05
  done
  [ -n "$p" ] || fail "the listener did not say its port"
  echo "$p"
}
# count OUTCOME PORT: the counter's value, 0 when absent.
count() {
  curl -sf "http://127.0.0.1:$2/metrics" |
    awk -v o="outcome=\"$1\"" 'index($0, "pmbot_reminders_total{") == 1 && index($0, o) { print $2; f = 1 } END { if (!f) print 0 }'
}

start_bot --user ada
p=$(port)
say "/remind me in 2 seconds tea is ready"
expect "Reminder 1 set"
expect "Reminder: tea is ready" 30
[ "$(count fired "$p")" = 1 ] || fail "fired is not 1: $(curl -sf "http://127.0.0.1:$p/metrics" | grep reminders)"
[ "$(count late "$p")" = 0 ] || fail "an on-time reminder was counted late"
say "/remind me in 1 hour will be late"
expect "Reminder 2 set"
say "/remind me in 1 hour will be missed"
expect "Reminder 3 set"
stop_bot || fail "exit status $?"

now=$(date +%s%3N)
R zadd pmbot:sched:due $((now - 5 * 60000)) 2 >/dev/null
R hset pmbot:sched:job:2 due $((now - 5 * 60000)) >/dev/null
R zadd pmbot:sched:due $((now - 3 * 3600000)) 3 >/dev/null
R hset pmbot:sched:job:3 due $((now - 3 * 3600000)) >/dev/null

start_bot --user ada
p=$(port)
expect "will be late.*late: was due" 30
expect "Missed reminder 3 .*will be missed" 30
grep -q "Reminder: will be missed" "$T/out" && fail "a reminder beyond the horizon was posted"
for i in $(seq 200); do
  [ "$(count late "$p")" = 1 ] && [ "$(count missed "$p")" = 1 ] && break
  sleep 0.05
done
[ "$(count late "$p")" = 1 ] || fail "late is not 1"
[ "$(count missed "$p")" = 1 ] || fail "missed is not 1"
[ "$(count fired "$p")" = 0 ] || fail "a late or missed reminder was counted as fired"
lag=$(curl -sf "http://127.0.0.1:$p/metrics" | awk '/^pmbot_scheduler_lag_seconds /{print $2}')
[ -n "$lag" ] || fail "no lag gauge"
stop_bot || fail "exit status $?"
echo "ok: fired 1, then late 1 and missed 1; lag gauge $lag s"
