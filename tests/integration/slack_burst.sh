#!/usr/bin/env bash
# 200 slash commands arrive at once: every envelope is acknowledged within
# Slack's 3 s, each with its answer in the ack, none late and none
# recorded as dispatch_failed.  Prints the ack latency p50/p99 the fake
# measured (from sending the envelope to reading the ack).
. "$(dirname "$0")/slack_lib.bash"
N=${SLACK_BURST:-200}

start_slack
start_redis
slack_config
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "users.list" && r.status === 200)'

ctl burst "{\"count\":$N,\"command\":\"/pm\",\"text\":\"help\"}" >/dev/null
until_js acks "s.length >= $N" 20
[ "$(fake_js acks 's.filter((a) => a.late).length')" = 0 ] || fail "late acks"
[ "$(fake_js acks 's.filter((a) => !a.payload || !/brief/.test(a.payload.text)).length')" = 0 ] ||
  fail "acks without the answer: $(fake_js acks 's.filter((a) => !a.payload).slice(0, 3)')"
sleep 3.2 # anything not acknowledged by now has failed at the fake
[ "$(fake_js failed 's.length')" = 0 ] || fail "dispatch_failed: $(fake_js failed 's.length')"
max=$(fake_js acks 'Math.max(...s.map((a) => a.latency_ms))')
fake_js acks '(() => { const l = s.map((a) => a.latency_ms).sort((a, b) => a - b);
  const q = (p) => l[Math.min(l.length - 1, Math.floor(p * l.length))];
  return `acks ${l.length}: p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${l[l.length - 1].toFixed(1)} ms`; })()'
node -e 'process.exit(Number(process.argv[1]) < 3000 ? 0 : 1)' "$max" || fail "an ack took $max ms"
echo ok
