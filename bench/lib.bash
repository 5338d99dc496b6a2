# What the bench scripts share (sourced by bench/run and
# bench/callgrind.sh, not run on its own): a temporary folder, a
# redis-server on a unix socket there seeded with BRIEFS briefs, the
# load-driving fake Slack (bench/slack_load.js) and pmbot pointed at
# both.  Everything started here is stopped by PID on exit.
#
# Expects: here (bench/), src (the source tree), PMBOT, N, WINDOW,
# BRIEFS, USERS, BENCH_TIMEOUT; defines T, F, REDIS_PID, FAKE_PID, PM_PID.

T=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-bench.XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

APP_TOKEN=xapp-1-A0BENCHAPP-1-bench
BOT_TOKEN=xoxb-bench

R() { redis-cli -s "$T/redis.sock" "$@"; }

# start_redis_briefs: Redis as deploy/redis.conf runs it (append-only,
# fsync every second), with BRIEFS briefs in the layout handlers/brief.c
# writes with /brief add.
start_redis_briefs() {
  redis-server --port 0 --unixsocket "$T/redis.sock" --dir "$T" --save '' \
    --appendonly yes --daemonize no --logfile "$T/redis.log" &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do R ping >/dev/null 2>&1 && break; sleep 0.05; done
  R eval '
local now = ARGV[2]
for i = 0, tonumber(ARGV[1]) - 1 do
  local slug = string.format("exp-%05d", i)
  redis.call("HSET", "pmbot:brief:" .. slug, "slug", slug,
    "url", "https://docs.example.com/briefs/" .. slug,
    "owner", "user" .. (i % 1000), "title", "Experiment " .. i,
    "stage", "draft", "created_at", now, "created_by", "user" .. (i % 1000),
    "updated_at", now, "v", "1")
  redis.call("ZADD", "pmbot:briefs", now, slug)
  redis.call("SADD", "pmbot:briefs:owner:user" .. (i % 1000), slug)
end
return 1' 0 "$BRIEFS" "$(date +%s%3N)" >/dev/null || die "cannot seed Redis"
}

# start_fake: the fake Slack; sets F (its base URL).
start_fake() {
  local port=
  node "$here/slack_load.js" --port 0 --users "$USERS" --briefs "$BRIEFS" \
    >"$T/fake.out" 2>"$T/fake.err" &
  FAKE_PID=$!
  PIDS+=("$FAKE_PID")
  for _ in $(seq 100); do
    port=$(awk '/^listening /{print $2; exit}' "$T/fake.out")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || die "the fake did not start: $(cat "$T/fake.err")"
  F=http://127.0.0.1:$port
}

# start_pmbot [wrapper...]: pmbot on the fake and the Redis; PM_PID is
# pmbot's own PID even with a wrapper that execs it (valgrind does).
start_pmbot() {
  cat >"$T/pmbot.json" <<'EOF'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "experimenter_url": "https://experimenter.example.com/nimbus/{slug}/summary",
  "channels": { "ask": "general", "pm": ["pm"] } }
EOF
  PMBOT_CONFIG=$T/pmbot.json PMBOT_REDIS_URL=unix://$T/redis.sock \
    PMBOT_REDIS_PREFIX=pmbot: PMBOT_HTTP_LISTEN=127.0.0.1:0 \
    PMBOT_SLACK_APP_TOKEN=$APP_TOKEN PMBOT_SLACK_BOT_TOKEN=$BOT_TOKEN \
    PMBOT_SLACK_API_URL=$F/api/ PMBOT_LOG_LEVEL=warn \
    PMBOT_STATE_DIR=$T/state \
    "$@" "$PMBOT" >"$T/pmbot.out" 2>"$T/pmbot.err" &
  PM_PID=$!
  PIDS+=("$PM_PID")
}

state() { curl -sf "$F/_bench/state"; }

# wait_ready WANT_USERS [SECONDS]: one Socket Mode connection (and, when
# WANT_USERS is 1, the user list read).
wait_ready() {
  local i s
  for i in $(seq $((${2:-30} * 10))); do
    s=$(state)
    case "$s" in *'"connections":1'*) ;; *) sleep 0.1; continue ;; esac
    [ "$1" = 0 ] && return 0
    case "$s" in *'"users_listed":true'*) return 0 ;; esac
    sleep 0.1
  done
  return 1
}

cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / t)}' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }
redis_cpu_ms() { R info cpu | awk -F: '/^used_cpu_(sys|user):/{s += $2} END {print int(s * 1000)}'; }

# phase NAME MODE: runs one workload; its JSON goes to $T/NAME.json.
phase() {
  curl -sf --max-time $((BENCH_TIMEOUT + 15)) -X POST \
    -H 'Content-Type: application/json' \
    -d "{\"mode\":\"$2\",\"n\":$N,\"window\":$WINDOW,\"timeout_s\":$BENCH_TIMEOUT}" \
    "$F/_bench/run" >"$T/$1.json" || echo '{}' >"$T/$1.json"
  [ -n "${BENCH_JSON:-}" ] && printf '{"phase":"%s",%s\n' "$1" "$(tail -c +2 "$T/$1.json")" >>"$BENCH_JSON"
  return 0
}
