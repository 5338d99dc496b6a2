#!/usr/bin/env bash
# Fault: Mattermost's REST API refuses posts for a while: 429 with
# Retry-After, 500, 502, 503 and connections cut before an answer, mixed,
# while mentions arrive in two channels.
#
# Counted: every mention answered exactly once, in its thread; the
# answers in each channel in the order of the mentions; the bot serves
# normally afterwards.
. "$(dirname "$0")/../integration/mm_lib.bash"
. "$(dirname "$0")/lib.bash"

cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "ask": "ask-experimenter", "pm": ["pm"] } }
JSON
export PMBOT_CONFIG=$T/cfg.json
start_redis
start_fake
start_mm_bot

for f in '{"status":429,"count":3,"retry_after":1}' '{"status":500,"count":2}' \
  '{"status":502,"count":1}' '{"status":503,"count":2}' '{"status":500,"count":2,"mode":"reset"}'; do
  fake_post /_fake/fail "$(echo "$f" | sed 's/}$/,"path":"\/api\/v4\/posts","method":"POST"}/')" >/dev/null
  injected_n "$(echo "$f" | js 'd.count')" "POST /api/v4/posts: $f"
done
ask=()
pm=()
for i in $(seq 12); do
  if [ $((i % 2)) = 0 ]; then
    ask+=("$(mention alice ask-experimenter "@pmbot guide")")
  else
    pm+=("$(mention bob pm "@pmbot guide start")")
  fi
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
  sleep 0.1
done
t0=$(now_ms)
for _ in $(seq 200); do
  [ "$(answers | js 'd.filter(p=>p.root_id).length')" -ge 12 ] && break
  sleep 0.2
done
echo "all answered $(($(now_ms) - t0)) ms after the last mention"
sleep 2
a=$(answers)
declare -A per
while read -r id n; do per[$id]=$n; done < <(echo "$a" |
  js 'Object.entries(d.reduce((m,p)=>{if(p.root_id)m[p.root_id]=(m[p.root_id]||0)+1;return m;},{})).map(e=>e.join(" ")).join("\n")')
for id in "${ask[@]}" "${pm[@]}"; do counted "answer to $id" "${per[$id]:-0}"; done
for c in ask-experimenter pm; do
  if [ "$c" = pm ]; then want=$(IFS=,; echo "${pm[*]}"); else want=$(IFS=,; echo "${ask[*]}"); fi
  got=$(answers "$c" | js 'd.filter(p=>p.root_id).map(p=>p.root_id).join(",")')
  [ "$got" = "$want" ] || bot_fail "answers in $c out of order: $got, mentions were $want"
done
refused=$(fake_get /_fake/requests | js 'd.filter(r=>r.method==="POST"&&r.path==="/api/v4/posts"&&r.status>=429).length')
echo "$refused post calls refused; every answer in order per channel"

m=$(mention alice ask-experimenter "@pmbot guide")
for _ in $(seq 50); do
  [ "$(answers | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] && break
  sleep 0.2
done
[ "$(answers | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] || bot_fail "no answer after the faults"
faults_report rest_errors_mm
