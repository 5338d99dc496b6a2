# pmbot on Redis Cluster: with the key prefix made a hash tag ({pmbot}:),
# every key lands in one slot, so the multi-key Lua scripts (a brief and
# its indexes, a checklist and its log, the scheduler's due and lease
# sets and jobs) run where a cluster would refuse them with CROSSSLOT.
# A one-node cluster that owns all 16384 slots enforces the same rule as
# a real one.  docs/operations.md says why one tag for everything.
. "$(dirname "$0")/lib.bash"
[ -x "$REDIS_SERVER" ] || skip "redis-server is not installed"
command -v redis-cli >/dev/null || skip "redis-cli is not installed"

"$REDIS_SERVER" --port 0 --unixsocket "$T/redis.sock" --dir "$T" --save '' \
  --appendonly no --cluster-enabled yes --cluster-config-file "$T/nodes.conf" \
  --daemonize no --logfile "$T/redis.log" 3>&- &
REDIS_PID=$!
rcli() { redis-cli -s "$T/redis.sock" "$@"; }
for _ in $(seq 100); do rcli ping >/dev/null 2>&1 && break; sleep 0.05; done
[ "$(rcli cluster addslotsrange 0 16383)" = OK ] || fail "cannot assign the slots"
for _ in $(seq 100); do
  rcli cluster info | grep -q '^cluster_state:ok' && break
  sleep 0.05
done
rcli cluster info | grep -q '^cluster_state:ok' || fail "the cluster did not come up"
[ "$(rcli dbsize)" = 0 ] || fail "redis did not start empty"
# The server really refuses keys of two slots in one command.
rcli mset a 1 b 2 | grep -q CROSSSLOT || fail "the cluster does not enforce slots"

export PMBOT_REDIS_URL="unix://$T/redis.sock"
export PMBOT_REDIS_PREFIX='{pmbot}:'
start_bot
say "/brief add alpha https://docs.example.com/alpha title Alpha"
expect "Registered brief alpha"
say "/checklist alpha done 1"
expect "ticked item 1 of alpha"
say "/brief stage alpha review"
expect "moved from draft to review"
say "/remind me in 10 minutes stand up"
expect "Reminder [0-9]+ set for you"
say "/remind list"
expect "stand up"
say "/brief remove alpha"
expect "Removed brief alpha"
# Let the scheduler's own scripts run a few rounds.
sleep 1.5
stop_bot || fail "exit status $?"
grep -iE 'CROSSSLOT|refused' "$T/out" "$T/err" && fail "a command crossed slots"
bad=$(rcli --scan | grep -v '^{pmbot}:' || true)
[ -z "$bad" ] || fail "keys outside the hash tag: $bad"
echo "ok: briefs, checklists and reminders on Redis Cluster in one slot ($(rcli dbsize) keys)"
