# What an operator's monitoring sees: on a Redis started from the shipped
# deploy/redis.conf, /healthz and /readyz answer 200, /metrics passes
# `promtool check metrics` and follows the naming conventions (counters
# end in _total, histograms in _seconds, pmbot_build_info names this
# version), the log follows one command by its request id from arrival to
# reply, and once Redis is killed /readyz says 503 with the reason while
# /healthz stays 200.
. "$(dirname "$0")/lib.bash"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v promtool >/dev/null ||
  skip "promtool is not installed (Debian package prometheus; scripts/setup installs it)"
command -v curl >/dev/null || skip "curl is not installed"
[ -x "$REDIS_SERVER" ] || skip "redis-server is not installed"

# The shipped configuration, with only where it listens and writes moved
# into this test's folder.
"$REDIS_SERVER" "$src/deploy/redis.conf" --port 0 --bind 127.0.0.1 \
  --unixsocket "$T/redis.sock" --unixsocketperm 700 --dir "$T" \
  --daemonize no --logfile "$T/redis.log" 3>&- &
REDIS_PID=$!
for _ in $(seq 100); do
  redis-cli -s "$T/redis.sock" ping >/dev/null 2>&1 && break
  sleep 0.05
done
[ "$(redis-cli -s "$T/redis.sock" dbsize)" = 0 ] || fail "redis did not start empty (see $T/redis.log)"
for kv in "appendonly yes" "appendfsync everysec" "maxmemory-policy noeviction"; do
  set -- $kv
  [ "$(redis-cli -s "$T/redis.sock" config get "$1" | tail -n 1)" = "$2" ] ||
    fail "deploy/redis.conf does not set $1 $2"
done
export PMBOT_REDIS_URL="unix://$T/redis.sock"

start_bot
port=
for _ in $(seq 100); do
  port=$(sed -nE 's/.*http: listening on [^ ]*:([0-9]+).*/\1/p' "$T/err" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "the listener did not say its port"
url=http://127.0.0.1:$port

# status BODYFILE PATH: prints the HTTP status of GET PATH.
status() {
  curl -s -o "$1" -w '%{http_code}' --max-time 5 "$url$2"
}

ready=
for _ in $(seq 100); do
  [ "$(status "$T/ready" /readyz)" = 200 ] && { ready=1; break; }
  sleep 0.05
done
[ -n "$ready" ] || fail "/readyz did not become 200: $(cat "$T/ready")"
[ "$(status "$T/health" /healthz)" = 200 ] || fail "/healthz is not 200"

say "/pm help"
expect "brief"
say "/nosuchcommand"
expect "unknown command"
[ "$(status "$T/metrics" /metrics)" = 200 ] || fail "/metrics is not 200"

if ! promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1; then
  cat "$T/promtool"
  echo "--- /metrics"
  cat "$T/metrics"
  fail "promtool check metrics rejected /metrics"
fi
version=$("$PMBOT" --version | awk '{print $2}')
grep -qE "^pmbot_build_info\{version=\"$version\",[^}]*\} 1\$" "$T/metrics" ||
  fail "no pmbot_build_info for version $version"
grep -q '^pmbot_commands_total{command="pm help",outcome="ok"} 1$' "$T/metrics" ||
  fail "the help command was not counted"
grep -q '^pmbot_command_duration_seconds_count 2$' "$T/metrics" ||
  fail "the latency histogram did not count both commands"
awk '$1 == "#" && $2 == "TYPE" && $4 == "counter" && $3 !~ /_total$/ { bad = 1; print }
     $1 == "#" && $2 == "TYPE" && $4 == "histogram" && $3 !~ /_seconds$/ { bad = 1; print }
     $1 == "#" && $2 == "TYPE" && $3 !~ /^pmbot_/ { bad = 1; print }
     END { exit bad }' "$T/metrics" || fail "metric names break the conventions"

# One id follows the command from its arrival to its answer.
id=$(sed -nE 's/.*request ([0-9a-f]{16}): console from alice.*/\1/p' "$T/err" | head -n 1)
[ -n "$id" ] || fail "no request id logged when the command arrived"
grep -qE "request $id: pm help ok, [0-9]+ repl(y|ies) in [0-9]+ ms" "$T/err" ||
  fail "request $id has no completion line"

kill_redis
gone=
for _ in $(seq 100); do
  [ "$(status "$T/ready" /readyz)" = 503 ] && { gone=1; break; }
  sleep 0.05
done
[ -n "$gone" ] || fail "/readyz stayed 200 with Redis killed"
grep -q '^redis' "$T/ready" || fail "/readyz's 503 does not say why: $(cat "$T/ready")"
[ "$(status "$T/health" /healthz)" = 200 ] || fail "/healthz is not 200 while only Redis is down"

stop_bot || fail "exit status $?"
echo "ok: /healthz, /readyz 200 then 503 ($(cat "$T/ready")), promtool accepts $(grep -vc '^#' "$T/metrics") samples"
