#!/usr/bin/env bash
# Faults on Slack: first the Socket Mode connection is cut many times
# during a burst of mentions, each sent as Slack does, as a message event
# and its app_mention twin (events sent while no socket is open come
# again after the ack timeout, as Slack retries them); then, on a steady
# connection, chat.postMessage answers 429 with Retry-After and 500, 502
# and 503 for a while.
#
# Counted: every mention answered exactly once, in its thread; during the
# REST errors the answers in each channel come in the order of the
# mentions; the bot serves normally afterwards.
. "$(dirname "$0")/../integration/slack_lib.bash"
. "$(dirname "$0")/lib.bash"

N=${FAULTS_SLACK_BURST:-24}
start_slack
start_redis
slack_config '{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "ask": "general", "pm": ["pm"] } }'
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'
general=$(fake_js state 's.channels.find((c) => c.name === "general").id')
pm=$(fake_js state 's.channels.find((c) => c.name === "pm").id')

# post CHANNEL_NAME CHANNEL_ID: a mention and its app_mention twin; prints ts.
post() {
  local out ts
  out=$(ctl message "{\"text\":\"<@U0FAKEBOT1> guide\",\"channel\":\"$1\",\"user\":\"alice\"}")
  ts=$(node -pe 'JSON.parse(process.argv[1]).ts' "$out")
  ctl envelope "$(printf '{"type":"events_api","retry_attempt":0,"retry_reason":"","payload":{"type":"event_callback","event_id":"EvTWIN%s","event":{"type":"app_mention","user":"U0HUMAN001","text":"<@U0FAKEBOT1> guide","ts":"%s","channel":"%s"}}}' "${ts/./}" "$ts" "$2")" >/dev/null
  echo "$ts"
}

# count_once TS...: each ts has exactly one answer in its thread.
count_once() {
  local line ts n
  declare -A per
  while read -r ts n; do per[$ts]=$n; done < <(fake_js messages '
    Object.entries(s.filter((m) => m.user === "U0FAKEBOT1" && m.thread_ts)
      .reduce((a, m) => (a[m.thread_ts] = (a[m.thread_ts] || 0) + 1, a), {}))
      .map((e) => e.join(" ")).join("\n")')
  for ts in "$@"; do counted "answer to $ts" "${per[$ts]:-0}"; done
}
bot_answers() { fake_js messages 's.filter((m) => m.user === "U0FAKEBOT1" && m.thread_ts).length'; }

# --- phase 1: the socket cut during the burst -------------------------------
tss=()
for i in $(seq "$N"); do
  if [ $((i % 2)) = 0 ]; then tss+=("$(post general "$general")"); else tss+=("$(post pm "$pm")"); fi
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
  if [ $((i % 4)) = 0 ]; then
    ctl drop >/dev/null
    injected "Socket Mode connection cut after mention $i"
  fi
done
t0=$(now_ms)
for _ in $(seq 300); do
  [ "$(bot_answers)" -ge "$N" ] && break
  sleep 0.1
done
echo "phase 1: all answered $(($(now_ms) - t0)) ms after the last mention," \
  "$(fake_js state 's.opens') connections opened"
sleep 2
count_once "${tss[@]}"

# --- phase 2: 429 and server errors on chat.postMessage ---------------------
base=$(bot_answers)
ctl fail '{"status":429,"retry_after":1,"count":2,"path":"/api/chat.postMessage"}' >/dev/null
injected_n 2 "chat.postMessage: 429 with Retry-After 1, twice"
for st in 500 502 503; do
  ctl fail "{\"status\":$st,\"count\":1,\"path\":\"/api/chat.postMessage\"}" >/dev/null
  injected "chat.postMessage: $st"
done
g=()
p=()
for i in $(seq 10); do
  if [ $((i % 2)) = 0 ]; then g+=("$(post general "$general")"); else p+=("$(post pm "$pm")"); fi
  FAULTS_COMMANDS=$((FAULTS_COMMANDS + 1))
  sleep 0.1
done
for _ in $(seq 300); do
  [ "$(bot_answers)" -ge $((base + 10)) ] && break
  sleep 0.1
done
sleep 2
count_once "${g[@]}" "${p[@]}"
for c in general pm; do
  if [ "$c" = general ]; then id=$general want=$(IFS=,; echo "${g[*]}"); else id=$pm want=$(IFS=,; echo "${p[*]}"); fi
  got=$(fake_js messages "s.filter((m) => m.user === 'U0FAKEBOT1' && m.channel === '$id' && m.thread_ts).map((m) => m.thread_ts).slice(-5).join(',')")
  [ "$got" = "$want" ] || fail "answers in $c out of order: $got, mentions were $want"
done
errs=$(fake_js requests 's.filter((r) => r.method === "chat.postMessage" && r.status >= 429).length')
echo "phase 2: $errs chat.postMessage calls refused, answers in order per channel"

# --- afterwards -------------------------------------------------------------
ts=$(post general "$general")
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 10
faults_report slack_chat
