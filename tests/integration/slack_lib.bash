# Helpers of the Slack scenarios (sourced by tests/integration/slack_*.sh,
# not run on its own): the fake Slack (tests/fakes/slack.js) on
# 127.0.0.1, a private redis-server, and pmbot in its chat mode pointed at
# the fake.  Everything started here is stopped by PID on exit.
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
fakes=$src/tests/fakes
command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
[ -d "$fakes/node_modules/ws" ] ||
  skip "$fakes/node_modules is missing (run scripts/setup, or npm ci in tests/fakes)"

SLACK_PID=
BOTS=()
slack_cleanup() {
  local p
  for p in "${BOTS[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -n "$SLACK_PID" ] && kill "$SLACK_PID" 2>/dev/null
  cleanup
}
trap slack_cleanup EXIT

# start_slack [fake args...]: the fake; sets $S (its base URL).
start_slack() {
  node "$fakes/slack.js" --port 0 "$@" >"$T/slack.out" 2>"$T/slack.err" &
  SLACK_PID=$!
  local i port=
  for i in $(seq 100); do
    port=$(awk '/^listening /{print $2; exit}' "$T/slack.out")
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || fail "the fake Slack did not start: $(cat "$T/slack.err")"
  S=http://127.0.0.1:$port
}

# slack_config [json]: the configuration every bot here reads.
slack_config() {
  local def='{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
    "channels": { "ask": "general", "pm": ["pm"] } }'
  printf '%s\n' "${1:-$def}" >"$T/${CFG_NAME:-cfg}.json"
  export PMBOT_CONFIG=$T/${CFG_NAME:-cfg}.json
  export PMBOT_SLACK_APP_TOKEN=${APP_TOKEN:-xapp-1-A0FAKEAPP1-1-fake}
  export PMBOT_SLACK_BOT_TOKEN=${BOT_TOKEN:-xoxb-fake-bot-token}
  export PMBOT_SLACK_API_URL=$S/api/
}

# start_slack_bot NAME: pmbot (chat mode) with output in $T/NAME.{out,err};
# sets BOT_PID and appends it to BOTS.
start_slack_bot() {
  local name=${1:-bot}
  ${BOT_WRAPPER:-} "$PMBOT" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
  BOT_PID=$!
  BOTS+=("$BOT_PID")
}

# wait_connections N [seconds]: until the fake counts N open sockets.
wait_connections() {
  local want=$1 limit=${2:-${PMBOT_TEST_WAIT:-30}} i
  for i in $(seq $((limit * 20))); do
    [ "$(fake_js state 's.connections')" -ge "$want" ] 2>/dev/null && return 0
    sleep 0.05
  done
  fail "no $want Socket Mode connection(s) within ${limit}s (have $(fake_js state 's.connections'))"
}

ctl() {
  curl -sf -X POST -H 'Content-Type: application/json' -d "${2:-{\}}" "$S/_fake/$1" ||
    fail "fake control $1"
}

# fake_js WHAT EXPR: evaluates EXPR with `s` the JSON of GET /_fake/WHAT.
fake_js() {
  curl -sf "$S/_fake/$1" | node -e '
    let d = ""; process.stdin.on("data", (c) => d += c).on("end", () => {
      const s = JSON.parse(d);
      const v = eval(process.argv[1]);
      console.log(typeof v === "string" ? v : JSON.stringify(v));
    });' "$2"
}

# until_js WHAT EXPR [seconds]: waits until EXPR is true.
until_js() {
  local limit=${3:-${PMBOT_TEST_WAIT:-30}} i
  for i in $(seq $((limit * 10))); do
    [ "$(fake_js "$1" "$2")" = true ] && return 0
    sleep 0.1
  done
  fail "not true within ${limit}s: $1: $2 ($(fake_js "$1" "$2"))"
}

# botlog: every bot's stderr, for failure messages.
botlogs() {
  local f
  for f in "$T"/*.err; do echo "--- $f"; tail -n 30 "$f"; done
}

fail() {
  echo "FAIL: $*"
  botlogs
  exit 1
}
