#!/usr/bin/env bash
# pmbot's memory with a big team's state: BRIEFS briefs and JOBS
# scheduled jobs in Redis (the layouts handlers/brief.c and
# bot/sched_jobs.c write, due over the next year), both adapters
# connected (the bench's fake Slack with 10,000 users, and the test
# fake Mattermost), after N slash commands and N DMs through Slack.
# Prints pmbot's peak RSS (VmHWM) and current RSS, and Redis's memory.
#
#   PMBOT=build/pmbot bench/memory.sh [JOBS] [N]   (100000 and 20000)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
JOBS=${1:-100000}
N=${2:-20000}
WINDOW=100
BRIEFS=10000
USERS=10000
: "${PMBOT:=$src/build/pmbot}"
: "${BENCH_TIMEOUT:=120}"
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "memory: $*" >&2; exit 1; }
[ -x "$PMBOT" ] || die "no pmbot at $PMBOT (build it, or set PMBOT)"
command -v node >/dev/null || skip "node is not installed"
[ -d "$src/tests/fakes/node_modules/ws" ] || skip "tests/fakes/node_modules is missing"

. "$here/lib.bash"
start_redis_briefs
R eval '
local now = tonumber(ARGV[2])
for i = 1, tonumber(ARGV[1]) do
  local due = now + 600000 + (i * 31536) % 31536000000
  local owner = "user" .. (i % 500)
  redis.call("HSET", "pmbot:sched:job:" .. i, "id", i, "owner", owner,
    "due", due, "kind", "remind", "v", "1", "target", "@" .. owner,
    "text", "check the enrollment of experiment " .. i,
    "tz", "America/Los_Angeles", "state", "pending", "created", now)
  redis.call("ZADD", "pmbot:sched:due", due, i)
  redis.call("SADD", "pmbot:sched:user:" .. owner, i)
end
return 1' 0 "$JOBS" "$(date +%s%3N)" >/dev/null || die "cannot seed the jobs"
start_fake
node "$src/tests/fakes/mattermost.js" --port 0 >"$T/mm.out" 2>"$T/mm.err" &
PIDS+=("$!")
for _ in $(seq 100); do
  mport=$(awk '/^listening /{print $2; exit}' "$T/mm.out")
  [ -n "$mport" ] && break
  sleep 0.05
done
[ -n "${mport:-}" ] || die "the Mattermost fake did not start"
PMBOT_MATTERMOST_URL=http://127.0.0.1:$mport PMBOT_MATTERMOST_TOKEN=pmbot-token \
  PMBOT_MATTERMOST_TEAM=pm PMBOT_MATTERMOST_COMMAND_TOKENS=unused-token-0000 \
  start_pmbot
wait_ready 1 || die "pmbot did not connect to Slack: $(tail -5 "$T/pmbot.err")"
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$mport/_fake/state" | grep -q '"connected":true' && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$mport/_fake/state" | grep -q '"connected":true' ||
  die "pmbot did not connect to Mattermost: $(tail -5 "$T/pmbot.err")"
# split: the resident memory that is pmbot's own (anonymous: heap, stacks)
# and what is mapped from files (the shared libraries' code and data,
# shared with every other process using them), and the proportional set.
split() {
  printf 'RssAnon %d kB, RssFile %d kB, Pss %d kB' \
    "$(awk '/^RssAnon/{print $2}' "/proc/$PM_PID/status")" \
    "$(awk '/^RssFile/{print $2}' "/proc/$PM_PID/status")" \
    "$(awk '/^Pss:/{print $2}' "/proc/$PM_PID/smaps_rollup")"
}
echo "idle, both adapters connected: VmHWM $(hwm_kb "$PM_PID") kB ($(split))"
phase mem-slash slash
phase mem-dm dm
sleep 1
printf 'after %d slash commands and %d DMs: VmHWM %d kB, VmRSS %d kB (%s)\n' \
  "$N" "$N" "$(hwm_kb "$PM_PID")" "$(awk '/^VmRSS/{print $2}' "/proc/$PM_PID/status")" "$(split)"
echo "redis: $(R dbsize) keys, used_memory $(R info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"
grep -q "\"answered\":$N," "$T/mem-slash.json" || echo "slash: $(cat "$T/mem-slash.json")"
grep -q "\"answered\":$N," "$T/mem-dm.json" || echo "dm: $(cat "$T/mem-dm.json")"
