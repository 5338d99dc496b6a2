# Shared helpers of the integration scenarios (sourced, not run).  Each
# scenario gets its own temporary folder, its own redis-server on a unix
# socket there, and its own bot; everything it started is stopped by PID
# on exit, whatever happens.
set -u

: "${PMBOT:?PMBOT must name the pmbot binary}"
: "${REDIS_SERVER:=$(command -v redis-server || true)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-it.XXXXXX")
REDIS_PID=
BOT_PID=
export PMBOT_HTTP_LISTEN=127.0.0.1:0
export PMBOT_STATE_DIR=$T/state
unset PMBOT_CONFIG PMBOT_REDIS_URL PMBOT_MATTERMOST_URL PMBOT_SLACK_APP_TOKEN \
  PMBOT_JIRA_URL 2>/dev/null || true
export PMBOT_CONFIG=$T/empty.json
echo '{}' >"$PMBOT_CONFIG"

cleanup() {
  [ -n "$BOT_PID" ] && kill -9 "$BOT_PID" 2>/dev/null
  [ -n "$REDIS_PID" ] && kill -9 "$REDIS_PID" 2>/dev/null
  exec 3>&- 2>/dev/null
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  if [ -f "$T/out" ]; then echo "--- bot stdout"; tail -n 40 "$T/out"; fi
  if [ -f "$T/err" ]; then echo "--- bot stderr"; tail -n 40 "$T/err"; fi
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

# start_redis [extra args...]: a redis-server on $T/redis.sock, checked empty.
start_redis() {
  [ -x "$REDIS_SERVER" ] || skip "redis-server is not installed"
  "$REDIS_SERVER" --port 0 --unixsocket "$T/redis.sock" --dir "$T" \
    --save '' --appendonly yes --daemonize no --logfile "$T/redis.log" "$@" 3>&- &
  REDIS_PID=$!
  local i
  for i in $(seq 400); do
    redis-cli -s "$T/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  [ "$(redis-cli -s "$T/redis.sock" dbsize 2>&1)" = 0 ] ||
    fail "redis did not start (or not empty): $(tail -5 "$T/redis.log" 2>/dev/null)"
  export PMBOT_REDIS_URL="unix://$T/redis.sock"
}

kill_redis() {
  kill -9 "$REDIS_PID" 2>/dev/null
  wait "$REDIS_PID" 2>/dev/null
  REDIS_PID=
}

restart_redis() {
  "$REDIS_SERVER" --port 0 --unixsocket "$T/redis.sock" --dir "$T" \
    --save '' --appendonly yes --daemonize no --logfile "$T/redis.log" 3>&- &
  REDIS_PID=$!
  local i
  for i in $(seq 100); do
    redis-cli -s "$T/redis.sock" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  fail "redis did not restart"
}

# start_bot [pmbot args...]: the console reading from a FIFO kept open on fd 3.
start_bot() {
  rm -f "$T/in"
  mkfifo "$T/in"
  : >"$T/out"
  : >"$T/err"
  ${BOT_WRAPPER:-} "$PMBOT" console --user alice "$@" <"$T/in" >"$T/out" 2>"$T/err" &
  BOT_PID=$!
  exec 3>"$T/in"
}

# say LINE: types one line into the console.
say() {
  printf '%s\n' "$1" >&3
}

# expect PATTERN [seconds]: waits until stdout holds PATTERN (grep -E).
expect() {
  local pattern=$1 limit=${2:-${PMBOT_TEST_WAIT:-30}} i
  for i in $(seq $((limit * 20))); do
    grep -qE -- "$pattern" "$T/out" && return 0
    kill -0 "$BOT_PID" 2>/dev/null || fail "bot exited while waiting for /$pattern/"
    sleep 0.05
  done
  fail "no /$pattern/ within ${limit}s"
}

# mark: remembers the output so far; expect_new only looks past it.
mark() {
  MARK=$(wc -l <"$T/out")
}

expect_new() {
  local pattern=$1 limit=${2:-${PMBOT_TEST_WAIT:-30}} i
  for i in $(seq $((limit * 20))); do
    tail -n +"$((MARK + 1))" "$T/out" | grep -qE -- "$pattern" && return 0
    kill -0 "$BOT_PID" 2>/dev/null || fail "bot exited while waiting for /$pattern/"
    sleep 0.05
  done
  fail "no new /$pattern/ within ${limit}s"
}

# stop_bot: closes input (end of file) and waits; prints the exit status.
stop_bot() {
  exec 3>&-
  local i
  for i in $(seq 200); do
    kill -0 "$BOT_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$BOT_PID" 2>/dev/null && fail "bot did not exit at end of input"
  wait "$BOT_PID"
  local rc=$?
  BOT_PID=
  return $rc
}
