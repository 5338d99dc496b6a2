#!/bin/bash
# What 1,000,000 stored scheduler jobs cost: Redis memory per job, and
# the server-side time of the claim script (the one every replica runs
# on each wake-up) with that many jobs stored, both when nothing is due
# and when a batch of LIMIT_SCHED_BATCH jobs is.  The jobs have the
# layout /remind writes (bot/sched_jobs.c): a hash each, an entry in the
# due set and in the owner's set.  The claim script is taken verbatim
# from bot/sched_jobs.c, so the numbers are those of the real one.
#
#   bench/sched_jobs.sh [JOBS]        (default 1000000)
#
# Needs redis-server, redis-cli and python3; starts its own redis-server
# on a unix socket in a temporary folder and stops it by PID.
set -eu

jobs=${1:-1000000}
here=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-bench.XXXXXX")
RPID=
trap '[ -n "$RPID" ] && kill "$RPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

redis-server --port 0 --unixsocket "$T/r.sock" --dir "$T" --save '' \
	--appendonly no --daemonize no --logfile "$T/r.log" &
RPID=$!
for i in $(seq 100); do
	redis-cli -s "$T/r.sock" ping >/dev/null 2>&1 && break
	sleep 0.05
done
R() { redis-cli -s "$T/r.sock" "$@"; }

# The claim script, unquoted from its C string literal.
python3 - "$here/bot/sched_jobs.c" >"$T/claim.lua" <<'PY'
import ast, re, sys
src = open(sys.argv[1]).read()
body = re.search(r'sched_lua_claim\[\] =(.*?);\n', src, re.S).group(1)
print("".join(ast.literal_eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', body)), end="")
PY

mem() { R info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
now=$(date +%s%3N)
base=$(mem)

# Load: due times spread over the next year, 10,000 of them already due.
batch=20000
load='
local p, first, last, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = first, last do
  local due
  if i <= 10000 then due = now - i else due = now + 60000 + (i * 31536) % 31536000000 end
  local owner = "user" .. (i % 500)
  redis.call("HSET", p .. "sched:job:" .. i, "id", i, "owner", owner,
    "due", due, "kind", "remind", "v", "1", "target", "@" .. owner,
    "text", "check the enrollment of experiment " .. i,
    "tz", "America/Los_Angeles", "state", "pending", "created", now)
  redis.call("ZADD", p .. "sched:due", due, i)
  redis.call("SADD", p .. "sched:user:" .. owner, i)
end
return last'
start=$(date +%s%3N)
for ((first = 1; first <= jobs; first += batch)); do
	last=$((first + batch - 1))
	[ $last -gt "$jobs" ] && last=$jobs
	R eval "$load" 0 "pmbot:" "$first" "$last" "$now" >/dev/null
done
loaded=$(( $(date +%s%3N) - start ))
after=$(mem)
per=$(( (after - base) / jobs ))

claim() {
	R evalsha "$sha" 2 pmbot:sched:due pmbot:sched:lease "$1" 20000 \
		"bench:1:1" 50 "pmbot:" >/dev/null
}
usec() { R info commandstats | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p'; }
sha=$(R script load "$(cat "$T/claim.lua")")

# Nothing due: what every idle wake-up costs.
R config resetstat >/dev/null
for i in $(seq 200); do claim $((now - 20000)); done
idle=$(usec)

# A batch due each time: 200 claims drain the 10,000 due jobs.
R config resetstat >/dev/null
for i in $(seq 200); do claim "$now"; done
busy=$(usec)
leased=$(R zcard pmbot:sched:lease)

printf 'jobs stored:                 %d (loaded in %d ms)\n' "$jobs" "$loaded"
printf 'redis used_memory:           %d -> %d bytes (%d MiB)\n' "$base" "$after" $(( (after - base) / 1048576 ))
printf 'memory per job:              %d bytes\n' "$per"
printf 'claim, nothing due:          %s us per call (server side)\n' "$idle"
printf 'claim, 50 due per call:      %s us per call (server side)\n' "$busy"
printf 'jobs leased by 200 claims:   %s\n' "$leased"
