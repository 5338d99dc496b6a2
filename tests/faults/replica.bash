# The replica scenario shared by bot_kill.sh and replica_freeze.sh
# (sourced, not run).  Replica A, alone on the fake Mattermost, holds work
# of both kinds when the fault hits it:
#
#  - answers to mentions waiting in its outbox (POST /posts answers 503,
#    so each queue is leased to A and retried);
#  - reminder jobs claimed by it: Redis is made to sleep across their due
#    time, so A's claim waits in Redis's socket buffer, the fault hits A,
#    and Redis then runs the claim for A.
#
# Then replica B starts.  B must take over the outbox queues when their
# lease (LIMIT_OUTBOX_LEASE_MS) runs out and the jobs when theirs
# (LIMIT_SCHED_LEASE_MS) does.  For "stop", A was frozen with SIGSTOP, not
# killed: it is woken once B has delivered everything, with the claim's
# answer and its old leases in hand, and must post nothing again.
#
# Counted: each mention answered once, in its thread and in order; each
# reminder posted once; nothing left leased or queued; both replicas (or
# B alone) answer a new mention afterwards.
. "$(dirname "$0")/../integration/mm_lib.bash"
. "$(dirname "$0")/lib.bash"

R() { redis-cli -s "$T/redis.sock" "$@"; }
sleep_ms() { sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", (ms > 0 ? ms : 0) / 1000 }')"; }

# answers_per_root: "root count" lines for every threaded answer.
answers_per_root() {
  answers | js 'Object.entries(d.reduce((m,p)=>{if(p.root_id)m[p.root_id]=(m[p.root_id]||0)+1;return m;},{})).map(e=>e.join(" ")).join("\n")'
}
# posts_with TEXT: how many of the bot's posts contain TEXT.
posts_with() {
  answers | node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{
    console.log(JSON.parse(s).filter(p=>p.message.includes(process.argv[1])).length);});' "$1"
}

replica_scenario() {
  local mode=$1 k id due a_pid n queued leased
  cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "ask": "ask-experimenter", "pm": ["pm"] } }
JSON
  export PMBOT_CONFIG=$T/cfg.json
  start_redis --enable-debug-command local
  start_fake
  start_mm_bot bot
  a_pid=$BOT_PID

  # Reminders, acknowledged in their threads while posting still works.
  local rem=()
  for k in 1 2 3 4; do
    rem+=("$(mention alice ask-experimenter "@pmbot remind me in 30 seconds rf-$k")")
    FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
  done
  wait_answers 4 ask-experimenter 25
  for k in 1 2 3 4; do
    [ "$(answers ask-experimenter | js "d.filter(p=>/Reminder [0-9]+ set .*rf-$k/.test(p.message)).length")" = 1 ] ||
      bot_fail "reminder rf-$k was not acknowledged"
  done
  due=$(R zrange pmbot:sched:due 0 0 withscores | sed -n 2p)
  due=${due%.*}

  # Answers that cannot be delivered: they wait in A's outbox.
  fake_post /_fake/fail '{"status":503,"count":400,"path":"/api/v4/posts","method":"POST"}' >/dev/null
  injected_n 1 "POST /api/v4/posts answers 503 from now until replica B runs"
  local ask=() pm=()
  for k in 1 2 3; do
    ask+=("$(mention bob ask-experimenter "@pmbot guide")")
    pm+=("$(mention carol pm "@pmbot guide start")")
    FAULTS_COMMANDS=$((FAULTS_COMMANDS + 2))
  done
  for _ in $(seq 100); do
    [ "$(fake_get /_fake/requests | js 'd.filter(r=>r.status===503).length')" -ge 2 ] && break
    sleep 0.1
  done

  # Redis sleeps across the due time, so A's claim is in flight.
  [ $((due - $(now_ms))) -ge 1600 ] ||
    fail "the set-up took too long: the reminders fall due in $((due - $(now_ms))) ms"
  sleep_ms $((due - $(now_ms) - 1500))
  R debug sleep 3 >/dev/null &
  local sleeper=$!
  sleep_ms $((due - $(now_ms) + 500))
  if [ "$mode" = kill ]; then
    kill -9 "$a_pid"
    wait "$a_pid" 2>/dev/null
    BOT_PID=
    injected "replica A SIGKILLed with its claim of the due reminders in flight"
  else
    kill -STOP "$a_pid"
    injected "replica A frozen (SIGSTOP) with its claim of the due reminders in flight"
  fi
  wait "$sleeper"
  leased=$(R zcard pmbot:sched:lease)
  queued=0
  for q in $(R --scan --pattern 'pmbot:outbox:mm:q:*'); do
    queued=$((queued + $(R llen "$q")))
  done
  echo "at the fault: $leased reminder job(s) leased to A, $queued post(s) in A's outbox"
  [ "$leased" -ge 1 ] || fail "no job was leased to A; the fault came too late or too early"
  [ "$queued" -ge 1 ] || fail "nothing waited in the outbox"
  [ "$(posts_with 'Reminder:** rf-')" = 0 ] || fail "a reminder went out before the fault"

  # The server is healthy again for B: use up the failures still armed.
  for _ in $(seq 400); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer alice-token' \
      -H 'Content-Type: application/json' -d '{}' "$FAKE/api/v4/posts")
    [ "$code" = 503 ] || break
  done
  start_mm_bot bot2
  local t0 deadline
  t0=$(now_ms)
  # B can fire the reminders only once A's 20 s scheduler lease has run
  # out: wait by the clock, well past that, not by a count of tries.
  deadline=$((due + 20000 + 25000))
  [ "$deadline" -gt $((t0 + 25000)) ] || deadline=$((t0 + 25000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    [ "$(posts_with 'Reminder:** rf-')" -ge 4 ] &&
      [ "$(answers | js 'd.filter(p=>p.root_id).length')" -ge 10 ] && break
    sleep 0.2
  done
  echo "replica B delivered the answers and fired the reminders within $(($(now_ms) - t0)) ms"
  if [ "$mode" = stop ]; then
    kill -CONT "$a_pid"
    echo "replica A woken (SIGCONT) after $(($(now_ms) - due)) ms frozen"
  fi
  sleep 4 # a duplicate from A, or a second firing, would come now
  [ -n "${FAULTS_KEEP:-}" ] && cp -r "$T" "$FAULTS_KEEP"

  declare -A per
  while read -r id n; do per[$id]=$n; done < <(answers_per_root)
  for id in "${ask[@]}" "${pm[@]}"; do counted "answer to $id" "${per[$id]:-0}"; done
  for k in 1 2 3 4; do counted "reminder rf-$k" "$(posts_with "Reminder:** rf-$k")"; done
  local want got
  want=$(IFS=,; echo "${pm[*]}")
  got=$(answers pm | js 'd.filter(p=>p.root_id).map(p=>p.root_id).join(",")')
  [ "$got" = "$want" ] || bot_fail "answers in pm out of order: $got, mentions were $want"
  want=$(IFS=,; echo "${rem[*]},${ask[*]}")
  got=$(answers ask-experimenter | js 'd.filter(p=>p.root_id).map(p=>p.root_id).join(",")')
  [ "$got" = "$want" ] || bot_fail "answers in ask-experimenter out of order: $got, mentions were $want"
  [ "$(R zcard pmbot:sched:lease)" = 0 ] || fail "a job lease was left behind"
  for q in $(R --scan --pattern 'pmbot:outbox:mm:q:*'); do
    [ "$(R llen "$q")" = 0 ] || fail "posts left queued in $q"
  done
  late=$(answers | js 'd.filter(p=>/Reminder:\*\* rf-/.test(p.message)&&/late/.test(p.message)).length')
  echo "reminders fired about $(( ($(now_ms) - due) / 1000 )) s after due at most; $late marked late (over LIMIT_SCHED_LATE_MS)"

  # Serves normally afterwards, with every replica still alive.
  local m
  m=$(mention alice ask-experimenter "@pmbot guide")
  for _ in $(seq 50); do
    [ "$(answers | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] && break
    sleep 0.2
  done
  sleep 1
  counted "answer after the faults" "$(answers | js "d.filter(p=>p.root_id==='$m').length")"
  if [ "$mode" = stop ]; then
    kill -0 "$a_pid" 2>/dev/null || fail "replica A died after it was woken"
  fi
}
