#!/usr/bin/env bash
# Fault: redis-server is killed with SIGKILL in the middle of a burst of
# commands while reminders fall due, stays down for a few seconds, and is
# restarted on the same append-only file (deploy/redis.conf's settings:
# appendonly yes, appendfsync everysec).
#
# Counted: every command the bot acknowledged ("Registered brief ...",
# "Reminder N set ...") has its effect exactly once afterwards (the brief
# is listed once, the reminder fires once, late if its time passed during
# the outage); a command answered with an error may or may not have
# happened but never twice; the bot then serves normally.  The console
# adapter is used because it answers each command on its own line, so
# acknowledged and refused commands can be told apart exactly.
. "$(dirname "$0")/../integration/lib.bash"
. "$(dirname "$0")/lib.bash"

N=${FAULTS_REDIS_BURST:-40}
cat >"$T/cfg.json" <<'EOF'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 } }
EOF
export PMBOT_CONFIG=$T/cfg.json
start_redis
start_bot

# Reminders set before the burst, due while Redis will be down.
for i in $(seq 8); do
  say "/remind me in 4 seconds pre-$i"
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
done
expect "Reminder [0-9]+ set for you: .*: pre-8$"

# The burst: a brief and a reminder per step, Redis killed a third of the
# way through and restarted two thirds through (about 3 s later).
kill_at=$((N / 3))
back_at=$((2 * N / 3))
for i in $(seq "$N"); do
  if [ "$i" = "$kill_at" ]; then
    kill_redis
    injected "redis-server SIGKILL after $((8 + 2 * (i - 1))) commands"
    down_since=$(now_ms)
  fi
  if [ "$i" = "$back_at" ]; then
    restart_redis
    echo "redis-server restarted from its append-only file after $(($(now_ms) - down_since)) ms"
  fi
  say "/brief add fk-$i https://docs.example.com/fk-$i"
  say "/remind me in 3 seconds rk-$i"
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 2))
  if [ "$i" -ge "$kill_at" ] && [ "$i" -lt "$back_at" ]; then
    sleep 0.25
  else
    sleep 0.05
  fi
done

# Every command gets an answer, one way or the other (a command caught in
# flight by the kill waits out LIMIT_REDIS_COMMAND_MS).
answered() {
  grep -cE '^(Registered brief fk-|Reminder [0-9]+ set for you: .*: (rk|pre)-|.*state store unavailable)' "$T/out"
}
for _ in $(seq 200); do
  [ "$(answered)" -ge $((FAULTS_COMMANDS)) ] && break
  sleep 0.05
done
[ "$(answered)" -ge $((FAULTS_COMMANDS)) ] ||
  fail "only $(answered) of $FAULTS_COMMANDS commands were answered"
refused=$(grep -c 'state store unavailable' "$T/out")
echo "answers: $((FAULTS_COMMANDS - refused)) acknowledged, $refused refused while Redis was down"
[ "$refused" -ge 1 ] || fail "no command met the outage; the kill came too late"

acked_briefs=()
acked_rem=()
for i in $(seq "$N"); do
  grep -q "^Registered brief fk-$i " "$T/out" && acked_briefs+=("$i")
  grep -qE "^Reminder [0-9]+ set for you: .*: rk-$i\$" "$T/out" && acked_rem+=("rk-$i")
done
for i in $(seq 8); do
  grep -qE "^Reminder [0-9]+ set for you: .*: pre-$i\$" "$T/out" && acked_rem+=("pre-$i")
done

# Every acknowledged reminder fires; a claim the kill interrupted waits
# for its lease (LIMIT_SCHED_LEASE_MS) to run out.
fired() { grep -cE '^\[DM @alice\] Reminder: (rk|pre)-' "$T/out"; }
for _ in $(seq 600); do
  [ "$(fired)" -ge "${#acked_rem[@]}" ] && break
  sleep 0.1
done
sleep 2 # a duplicate would come now

mark
say "/brief list"
expect_new "^- fk-"
sleep 0.5
listed=$(tail -n +"$((MARK + 1))" "$T/out")
for i in $(seq "$N"); do
  n=$(grep -c "^- fk-$i: " <<<"$listed")
  if [[ " ${acked_briefs[*]} " == *" $i "* ]]; then
    counted "brief fk-$i" "$n"
  else
    at_most_once "brief fk-$i" "$n"
  fi
  n=$(grep -cE "^\[DM @alice\] Reminder: rk-$i( |\$)" "$T/out")
  if [[ " ${acked_rem[*]} " == *" rk-$i "* ]]; then
    counted "reminder rk-$i" "$n"
  else
    at_most_once "reminder rk-$i" "$n"
  fi
done
for i in $(seq 8); do
  counted "reminder pre-$i" "$(grep -cE "^\[DM @alice\] Reminder: pre-$i( |\$)" "$T/out")"
done
echo "acknowledged: ${#acked_briefs[@]} briefs, ${#acked_rem[@]} reminders; fired $(fired) reminders"

# Serves normally afterwards.
mark
say "/brief add after-fault https://docs.example.com/after"
expect_new "^Registered brief after-fault "
say "/remind me in 1 second after-fault"
expect_new "Reminder: after-fault" 10
stop_bot || fail "exit status $?"
faults_report redis_kill
