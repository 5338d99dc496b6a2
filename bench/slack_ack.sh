#!/bin/bash
# Slash-command ack latency under a burst: the fake Slack sends N
# slash_commands envelopes at once (/pm help, answered in the ack) to one
# pmbot on one Socket Mode connection, and measures for each envelope the
# time from sending it to reading its ack.  Prints p50/p99/max, the acks
# per second of the burst, and pmbot's CPU time and peak RSS.
#
#   PMBOT=build/pmbot bench/slack_ack.sh [N] [ROUNDS]   (default 1000 3)
#
# Needs node with tests/fakes/node_modules, redis-server and curl; starts
# its own fake, redis-server and pmbot on 127.0.0.1 and a unix socket in
# a temporary folder, and stops them by PID.
set -u
N=${1:-1000}
ROUNDS=${2:-3}
: "${PMBOT:=$(cd "$(dirname "$0")/.." && pwd)/build/pmbot}"
export PMBOT
. "$(cd "$(dirname "$0")/.." && pwd)/tests/integration/slack_lib.bash"

start_slack
start_redis
slack_config
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'
# The router allows a user at most 1000 commands a minute (the most the
# configuration takes); N up to 1000 stays within one user's budget.
echo "pmbot $($PMBOT --version 2>/dev/null | head -1), N=$N per round, $ROUNDS rounds, $(nproc) CPUs"
total=0
for r in $(seq "$ROUNDS"); do
  ctl reset >/dev/null
  wait_connections 1
  t0=$(date +%s%N)
  ctl burst "{\"count\":$N,\"command\":\"/pm\",\"text\":\"help\",\"user\":\"$([ $((r % 2)) = 1 ] && echo alice || echo bob)\"}" >/dev/null
  until_js acks "s.length >= $N" 120
  fake_js acks "(() => { const l = s.map((a) => a.latency_ms).sort((a, b) => a - b);
    const q = (p) => l[Math.min(l.length - 1, Math.floor(p * l.length))];
    const span = (Math.max(...s.map((a) => a.at)) - $t0 / 1e6) / 1000;
    const ok = s.filter((a) => a.payload && /brief/.test(a.payload.text)).length;
    return 'round $r: ' + l.length + ' acks (' + ok + ' with the answer), p50 ' + q(0.5).toFixed(1) +
      ' ms, p99 ' + q(0.99).toFixed(1) + ' ms, max ' + l[l.length - 1].toFixed(1) + ' ms, ' +
      (l.length / span).toFixed(0) + ' acks/s'; })()"
  sleep 3.2
  [ "$(fake_js failed 's.length')" = 0 ] || echo "round $r: $(fake_js failed 's.length') dispatch_failed"
  # alice and bob take turns: each one's minute of budget renews.
  [ "$r" = "$ROUNDS" ] || sleep 30.5
done
read -r utime stime < <(awk '{print $14, $15}' "/proc/$BOT_PID/stat")
echo "pmbot CPU $(( (utime + stime) * 1000 / $(getconf CLK_TCK) )) ms," \
  "peak RSS $(awk '/VmHWM/{print $2, $3}' "/proc/$BOT_PID/status")"
