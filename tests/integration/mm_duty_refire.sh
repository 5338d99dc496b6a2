#!/usr/bin/env bash
# A rotation handoff fired a second time -- as when the replica that fired
# it died before confirming, and another takes the job over after its
# lease -- says nothing twice: the announcement and the DMs carry the
# job's id and due time as their de-duplication key in the outbox.  The
# job is made due now, fired, then put back exactly as it was and fired
# again by a restarted bot.
. "$(dirname "$0")/mm_lib.bash"

cat >"$T/pm.json" <<'JSON'
{
  "channels": { "ask": "ask-experimenter", "pm": ["pm"], "twitter": "twitter",
                "announce": "announce" },
  "roles": { "admins": ["alice"], "pms": ["alice", "bob"] },
  "rotations": {
    "twitter": { "members": ["bob", "alice"],
                 "handoff": { "weekday": "monday", "time": "09:00", "timezone": "UTC" } }
  }
}
JSON
export PMBOT_CONFIG=$T/pm.json
start_redis
start_fake
R() { redis-cli -s "$T/redis.sock" "$@"; }
job=pmbot:sched:job:d:twitter:handoff
stop() {
  kill "$BOT_PID"
  wait "$BOT_PID" 2>/dev/null
  BOT_PID=
}
# fired DUE: waits until the job has been fired and moved on from DUE.
fired() {
  local i
  for i in $(seq 300); do
    [ "$(R zscore pmbot:sched:due d:twitter:handoff)" != "$1" ] &&
      [ "$(R zscore pmbot:sched:lease d:twitter:handoff)" = "" ] && return 0
    sleep 0.1
  done
  bot_fail "the handoff due at $1 did not fire"
}

start_mm_bot
for i in $(seq 200); do [ "$(R exists $job)" = 1 ] && break; sleep 0.05; done
[ "$(R exists $job)" = 1 ] || bot_fail "the handoff job was not scheduled"
stop

due=$(($(date +%s%3N) - 1000))
R hset $job due $due >/dev/null
R zadd pmbot:sched:due $due d:twitter:handoff >/dev/null
R copy $job pmbot:test:saved >/dev/null

start_mm_bot
fired "$due"
wait_answers 1 announce
for i in $(seq 100); do [ "$(R get pmbot:outbox:mm:depth)" = 0 ] && break; sleep 0.1; done
sleep 1
first=$(answer_count)
answers announce | js 'd.map(p=>p.message).join("\n")' | grep -q "twitter" || bot_fail "no handoff announcement: $(answers announce)"
stop

# Back as it was before it fired: another replica finds it due again.
R copy pmbot:test:saved $job replace >/dev/null
R zadd pmbot:sched:due $due d:twitter:handoff >/dev/null
start_mm_bot
fired "$due"
for i in $(seq 100); do [ "$(R get pmbot:outbox:mm:depth)" = 0 ] && break; sleep 0.1; done
sleep 2
again=$(answer_count)
[ "$again" = "$first" ] || bot_fail "fired again, the handoff posted $((again - first)) more time(s): $(answers | js 'd.map(p=>p.message).join("\n")')"
stop
echo "ok: a handoff fired twice posted its $first message(s) once"
