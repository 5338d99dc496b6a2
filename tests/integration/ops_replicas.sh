#!/usr/bin/env bash
# Three replicas on one Redis and one (fake) Mattermost, each with its own
# WebSocket receiving every event: a burst of mixed work (mentions, direct
# messages, a brief registered by a first-time owner, reminders due a few
# seconds later), then one replica killed with SIGKILL while the reminders
# are still pending, then a second burst.  Every effect must happen
# exactly once: one answer per event, one brief and one welcome DM, each
# reminder posted once by a survivor, no lease or queued post left over.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot bot
start_mm_bot bot2
# The third replica, by hand (mm_lib names two).
mm_env
"$PMBOT" </dev/null >"$T/bot3.out" 2>"$T/bot3.log" &
BOT3_PID=$!
EXTRA_PIDS+=("$BOT3_PID")
for _ in $(seq 200); do
  grep -q 'mattermost: connected as @pmbot' "$T/bot3.log" && break
  sleep 0.05
done
grep -q 'mattermost: connected as @pmbot' "$T/bot3.log" || { cp "$T/bot3.log" "$T/err"; fail "bot3 did not connect"; }
n=$(fake_get /_fake/state | js 'd.connections.filter(c=>c.connected&&c.user_id===d.bot.id).length')
[ "$n" = 3 ] || fail "three bot sockets expected, $n connected"

# count_text PATTERN: how many of the bot's posts contain PATTERN.
count_text() {
  answers | node -e '
let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{
  console.log(JSON.parse(s).filter(p=>p.message.includes(process.argv[1])).length);});' "$1"
}
# once_each IDS...: every event id has exactly one answer in its thread.
once_each() {
  local a m
  a=$(answers)
  for m in "$@"; do
    [ "$(echo "$a" | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] ||
      bot_fail "event $m was not answered exactly once"
  done
}

# Burst 1: everything at once, all three replicas up.
ids=()
for u in alice bob carol alice bob carol; do
  ids+=("$(mention "$u" ask-experimenter "@pmbot guide")")
done
for k in 1 2 3; do
  ids+=("$(mention alice ask-experimenter "@pmbot remind me in 8 seconds ping-$k")")
done
ids+=("$(mention carol ask-experimenter "@pmbot brief add ops-alpha https://docs.example.com/alpha title Alpha")")
for _ in 1 2 3; do
  ids+=("$(fake_post /_fake/dm '{"user":"bob","message":"guide"}' | js 'd.id')")
done
# Every answer goes in the event's thread (DMs too); the welcome DM is
# the only unthreaded post so far.
for _ in $(seq 100); do
  [ "$(answers | js "d.filter(p=>p.root_id).length")" -ge ${#ids[@]} ] && break
  sleep 0.2
done
sleep 1
once_each "${ids[@]}"

# A replica dies outright while the reminders are still pending.
kill -9 "$BOT2_PID"
wait "$BOT2_PID" 2>/dev/null
BOT2_PID=

# Burst 2 on the two survivors.
ids2=()
for u in bob carol alice bob; do
  ids2+=("$(mention "$u" ask-experimenter "@pmbot guide")")
done
for _ in $(seq 100); do
  [ "$(answers | js "d.filter(p=>p.root_id).length")" -ge $((${#ids[@]} + ${#ids2[@]})) ] && break
  sleep 0.2
done

# The reminders fall due about 8 s after burst 1; give them time, then
# a little more for any second firing.
for _ in $(seq 100); do
  [ "$(count_text ping-)" -ge 6 ] && break # 3 confirmations + 3 firings
  sleep 0.2
done
sleep 2
once_each "${ids[@]}" "${ids2[@]}"
for k in 1 2 3; do
  c=$(count_text "ping-$k")
  [ "$c" = 2 ] || bot_fail "reminder ping-$k: $c posts, expected its confirmation and one firing"
done
w=$(count_text "is your first experiment brief")
[ "$w" = 1 ] || bot_fail "the new owner was welcomed $w times"
total=$(answers | js 'd.length')
want=$((${#ids[@]} + ${#ids2[@]} + 1 + 3)) # + the welcome + 3 firings
[ "$total" = "$want" ] || bot_fail "the bot said $total things, expected $want"

r() { redis-cli -s "$T/redis.sock" "$@"; }
[ "$(r hget pmbot:brief:ops-alpha owner)" = carol ] || fail "the brief was not registered once for carol"
[ "$(r zcard pmbot:briefs)" = 1 ] || fail "the brief index holds $(r zcard pmbot:briefs) entries"
[ "$(r zcard pmbot:sched:lease)" = 0 ] || fail "a scheduler lease was left behind"
left=$(r --scan --pattern 'pmbot:outbox:*:q:*' | while read -r k; do r llen "$k"; done | awk '{s+=$1} END {print s+0}')
[ "$left" = 0 ] || fail "$left posts still queued in the outbox"
# The log follows one event to its answer: one replica's request line
# names the post, and the same request id says how it ended.
line=$(cat "$T"/bot.log "$T"/bot2.log "$T"/bot3.log | grep -E "request [0-9a-f]{16}: mention from .*, event ${ids[0]}\$")
[ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] || fail "event ${ids[0]} was not logged by exactly one request"
rid=$(printf '%s\n' "$line" | sed -E 's/.*request ([0-9a-f]{16}).*/\1/')
cat "$T"/bot.log "$T"/bot2.log "$T"/bot3.log | grep -qE "request $rid: guide ok, 1 reply in" ||
  fail "request $rid has no completion line"
h=0
for f in bot bot2 bot3; do
  h=$((h + $(grep -c 'mattermost: mention from' "$T/$f.log")))
done
echo "ok: three replicas, one killed: ${#ids[@]}+${#ids2[@]} events (mentions, DMs, /remind, /brief add), 3 reminders, one welcome: each exactly once ($h mentions handled)"
