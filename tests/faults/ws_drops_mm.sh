#!/usr/bin/env bash
# Fault: the Mattermost WebSocket is cut many times during a burst of
# mentions and direct messages: abruptly, with a close code, and twice
# after the server forgot every session (a server restart, so the bot
# must re-sync over REST instead of resuming).
#
# Counted: every mention and DM is answered exactly once in its thread;
# in each channel the answers come in the order of the mentions; the bot
# is connected and serves normally afterwards.
. "$(dirname "$0")/../integration/mm_lib.bash"
. "$(dirname "$0")/lib.bash"

N=${FAULTS_WS_BURST:-24}
cat >"$T/cfg.json" <<'EOF'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "ask": "ask-experimenter", "pm": ["pm"] } }
EOF
export PMBOT_CONFIG=$T/cfg.json
start_redis
start_fake
start_mm_bot

users=(alice bob carol)
ids=()
declare -A chan_of
for i in $(seq "$N"); do
  u=${users[$((i % 3))]}
  case $((i % 4)) in
    0) id=$(fake_post /_fake/dm "{\"user\":\"$u\",\"message\":\"guide\"}" | js 'd.id'); c=dm-$u ;;
    1 | 3) id=$(mention "$u" ask-experimenter "@pmbot guide"); c=ask-experimenter ;;
    2) id=$(mention "$u" pm "@pmbot guide start"); c=pm ;;
  esac
  [ -n "$id" ] || fail "the fake did not take post $i"
  ids+=("$id")
  chan_of[$id]=$c
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
  if [ $((i % 3)) = 0 ]; then
    case $(((i / 3) % 6)) in
      0) fake_post /_fake/drop '{"code":1001}' >/dev/null
         injected "WebSocket closed with 1001 after post $i" ;;
      3) fake_post /_fake/expire '{}' >/dev/null
         fake_post /_fake/drop '{}' >/dev/null
         injected "server forgot every session and cut the socket after post $i" ;;
      *) fake_post /_fake/drop '{}' >/dev/null
         injected "WebSocket cut abruptly after post $i" ;;
    esac
  fi
  sleep 0.1
done

# Wait for every event's answer (replies go in the event's thread).
threaded() { answers | js 'd.filter(p=>p.root_id).length'; }
t0=$(now_ms)
for _ in $(seq 150); do
  [ "$(threaded)" -ge "$N" ] && break
  sleep 0.2
done
echo "all answered $(($(now_ms) - t0)) ms after the last post"
sleep 2 # a duplicate would come now
a=$(answers)
# One pass over the answers: how many each post got.
declare -A got_n
while read -r id n; do got_n[$id]=$n; done < <(echo "$a" |
  js 'Object.entries(d.reduce((m,p)=>{if(p.root_id)m[p.root_id]=(m[p.root_id]||0)+1;return m;},{})).map(e=>e.join(" ")).join("\n")')
for id in "${ids[@]}"; do
  counted "answer to $id (${chan_of[$id]})" "${got_n[$id]:-0}"
done
# Order per channel: the answers' roots in post order equal the mentions'.
for c in ask-experimenter pm; do
  want=$(for id in "${ids[@]}"; do [ "${chan_of[$id]}" = "$c" ] && echo "$id"; done | paste -sd,)
  got=$(answers "$c" | js 'd.filter(p=>p.root_id).map(p=>p.root_id).filter((v,i,a)=>a.indexOf(v)===i).join(",")')
  [ "$got" = "$want" ] || fail "answers in $c out of order: $got, mentions were $want"
done
reconnects=$(grep -c 'mattermost: connected\|mattermost: resumed' "$T/bot.log")
echo "the bot connected or resumed $reconnects times"

# Serves normally afterwards.
m=$(mention alice ask-experimenter "@pmbot guide")
for _ in $(seq 50); do
  [ "$(answers | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] && break
  sleep 0.2
done
[ "$(answers | js "d.filter(p=>p.root_id==='$m').length")" = 1 ] || bot_fail "no answer after the faults"
faults_report ws_drops_mm
