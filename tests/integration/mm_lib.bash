# Shared helpers of the Mattermost scenarios (mm_*.sh; sourced, not run):
# the fake Mattermost server (tests/fakes/mattermost.js) on a free port,
# pmbot itself (not the console) pointed at it, and small readers of the
# fake's control API.  Everything started is stopped by PID on exit.
# shellcheck source=lib.bash
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

SRC=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FAKES=$SRC/tests/fakes
FAKE_PID=
BOT2_PID=
EXTRA_PIDS=()

command -v node >/dev/null 2>&1 || skip "node is not installed (run scripts/setup)"
[ -d "$FAKES/node_modules/ws" ] || skip "tests/fakes/node_modules is missing (cd tests/fakes && npm ci)"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"

mm_cleanup() {
  [ -n "$BOT2_PID" ] && kill -9 "$BOT2_PID" 2>/dev/null
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  cleanup
}
trap mm_cleanup EXIT

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# start_fake [fake args...]: sets FAKE (its base URL).
start_fake() {
  node "$FAKES/mattermost.js" --port 0 "$@" >"$T/fake.out" 2>"$T/fake.err" &
  FAKE_PID=$!
  local i
  for i in $(seq 100); do
    grep -q '^listening ' "$T/fake.out" 2>/dev/null && break
    sleep 0.1
  done
  FAKE_PORT=$(awk '/^listening /{print $2; exit}' "$T/fake.out")
  [ -n "$FAKE_PORT" ] || fail "the fake Mattermost did not start: $(cat "$T/fake.err")"
  FAKE=http://127.0.0.1:$FAKE_PORT
}

# fake_get PATH / fake_post PATH JSON: the control API, body on stdout.
fake_get() {
  curl -sf --max-time 10 "$FAKE$1"
}

fake_post() {
  curl -sf --max-time 10 -H 'Content-Type: application/json' -d "$2" "$FAKE$1"
}

# jq-free JSON reading: js EXPR reads stdin as `d`.
js() {
  node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const d=JSON.parse(s);const r=('"$1"');console.log(typeof r==="string"?r:JSON.stringify(r));});'
}

mm_env() {
  export PMBOT_MATTERMOST_URL=$FAKE
  export PMBOT_MATTERMOST_TOKEN=pmbot-token
  export PMBOT_MATTERMOST_TEAM=pm
  : "${PMBOT_MATTERMOST_COMMAND_TOKENS:=unused-token-0000}"
  export PMBOT_MATTERMOST_COMMAND_TOKENS
  export PMBOT_LOG_LEVEL=${PMBOT_LOG_LEVEL:-info}
}

# start_mm_bot [log name]: pmbot on the fake; waits until it is connected.
# Sets BOT_PID (or BOT2_PID for the log name "bot2") and BOT_PORT.
start_mm_bot() {
  local name=${1:-bot} pid i
  mm_env
  : >"$T/$name.log"
  ${BOT_WRAPPER:-} "$PMBOT" </dev/null >"$T/$name.out" 2>"$T/$name.log" &
  pid=$!
  if [ "$name" = bot2 ]; then BOT2_PID=$pid; else BOT_PID=$pid; fi
  for i in $(seq 200); do
    grep -q 'mattermost: connected as @pmbot' "$T/$name.log" && break
    kill -0 "$pid" 2>/dev/null || { cp "$T/$name.log" "$T/err"; fail "$name exited at start-up"; }
    sleep 0.05
  done
  grep -q 'mattermost: connected as @pmbot' "$T/$name.log" || { cp "$T/$name.log" "$T/err"; fail "$name did not connect within 10 s"; }
  BOT_PORT=$(sed -n 's/.*http: listening on [^:]*:\([0-9]*\).*/\1/p' "$T/$name.log" | head -1)
}

# mention USER CHANNEL TEXT [ROOT]: a person's post; prints its id.
mention() {
  local body
  body=$(node -e 'const [u,c,m,r]=process.argv.slice(1);console.log(JSON.stringify({user:u,channel:c,message:m,root_id:r||""}))' "$1" "$2" "$3" "${4:-}")
  fake_post /_fake/posts "$body" | js 'd.id'
}

# answers [CHANNEL]: what the bot said, posts and ephemeral posts
# together (ephemeral ones marked "eph":true), oldest first, as JSON.
answers() {
  node -e '
const [base, ch] = process.argv.slice(1);
(async () => {
  const get = async (p) => (await fetch(base + p)).json();
  const st = await get("/_fake/state");
  const bot = st.bot.id;
  let cid = "";
  if (ch) { const c = st.channels.find((x) => x.name === ch || x.id === ch); cid = c ? c.id : "none"; }
  const posts = (await get("/_fake/posts")).filter((p) => p.user_id === bot);
  const eph = (await get("/_fake/ephemeral")).filter((p) => p.user_id === bot).map((p) => ({ ...p, eph: true }));
  const all = posts.concat(eph).filter((p) => !cid || p.channel_id === cid);
  all.sort((a, b) => a.create_at - b.create_at);
  console.log(JSON.stringify(all));
})().catch((e) => { console.error(e); process.exit(1); });
' "$FAKE" "${1:-}"
}

answer_count() {
  answers "${1:-}" | js 'd.length'
}

# wait_answers N [CHANNEL] [SECONDS]: until the bot has said N things.
wait_answers() {
  local want=$1 ch=${2:-} limit=${3:-15} i n=0
  for i in $(seq $((limit * 5))); do
    n=$(answer_count "$ch")
    [ "$n" -ge "$want" ] && return 0
    sleep 0.2
  done
  bot_fail "the bot answered $n time(s) ${ch:+in $ch }within ${limit}s, expected $want"
}

# bot_log_fail MESSAGE: fails showing the bot's log.
bot_fail() {
  cp "$T/bot.log" "$T/err" 2>/dev/null
  fail "$*"
}
