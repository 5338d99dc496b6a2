#!/usr/bin/env bash
# pmbot's own REST requests against the official Mattermost OpenAPI
# document (../shared/reference/openapi/mattermost-v4.yaml, read at run
# time): a Prism proxy sits between pmbot and the fake, and the calls of
# `pmbot register-commands` (users/me, the team, the command list,
# creating commands) and of a post (channel lookup, POST /posts with a
# pending_post_id, made by a button click) must raise no request
# violation.  Prism cannot carry the WebSocket, so the stream is not
# part of this check.  Skipped when the document, Node.js or Prism is
# missing.
. "$(dirname "$0")/mm_lib.bash"

spec=$SRC/../shared/reference/openapi/mattermost-v4.yaml
prism=$FAKES/node_modules/.bin/prism
[ -f "$spec" ] || skip "the OpenAPI document is not in ../shared/reference/openapi"
[ -x "$prism" ] || skip "Prism is not installed in tests/fakes/node_modules (run scripts/setup)"

start_redis
start_fake
pport=$(free_port)
"$prism" proxy -h 127.0.0.1 -p "$pport" "$spec" "$FAKE" >"$T/prism.log" 2>&1 &
EXTRA_PIDS+=($!)
for i in $(seq 450); do
  grep -q 'Prism is listening' "$T/prism.log" && break
  sleep 0.1
done
grep -q 'Prism is listening' "$T/prism.log" || skip "Prism did not start within 45 s"

fake=$FAKE
FAKE=http://127.0.0.1:$pport
port=$(free_port)
export PMBOT_HTTP_LISTEN=127.0.0.1:$port PMBOT_PUBLIC_URL=http://127.0.0.1:$port
export PMBOT_ACTION_SECRET=openapi-test-secret
mm_env
"$PMBOT" register-commands >"$T/reg.out" 2>"$T/reg.err" || { cat "$T/reg.err" "$T/prism.log" | tail -30; fail "register-commands through Prism failed"; }
grep -q '^/pm ' "$T/reg.out" || fail "no command registered through Prism"

# A post: the bot runs against Prism (its WebSocket cannot connect there,
# REST works), and a signed click makes it post into the channel.
"$PMBOT" </dev/null >"$T/bot.out" 2>"$T/bot.log" &
BOT_PID=$!
for i in $(seq 100); do
  grep -q 'listening in' "$T/bot.log" && break
  sleep 0.1
done
grep -q 'listening in' "$T/bot.log" || bot_fail "the bot did not start through Prism"
FAKE=$fake
st=$(fake_get /_fake/state)
ch=$(echo "$st" | js 'd.channels.find(c=>c.name==="ask-experimenter").id')
alice=$(echo "$st" | js 'd.users.find(u=>u.username==="alice").id')
exp=$(($(date +%s) + 3600))
mac=$(node -e 'const c=require("crypto");const [s,a,e]=process.argv.slice(1);const k=c.createHmac("sha256",s).update("pmbot button key v1").digest("hex");console.log(c.createHmac("sha256",k).update(a+"\n"+e).digest("hex"))' "$PMBOT_ACTION_SECRET" guide "$exp")
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
  --data "{\"user_id\":\"$alice\",\"user_name\":\"alice\",\"channel_id\":\"$ch\",\"post_id\":\"p1\",\"context\":{\"action\":\"guide\",\"exp\":\"$exp\",\"mac\":\"$mac\"}}" \
  "http://127.0.0.1:$port/mattermost/action")
[ "$code" = 200 ] || bot_fail "the click got $code"
wait_answers 1 ask-experimenter 20

# Request violations only: the fake's answers are checked by
# fakes_openapi.sh.
if grep -q 'Violation: request' "$T/prism.log"; then
  grep 'Violation: request' "$T/prism.log" | head -20
  fail "Prism found violations in pmbot's requests"
fi
grep -q 'POST http://127.0.0.1:[0-9]*/api/v4/posts\|/api/v4/posts' "$T/prism.log" || fail "the post did not go through Prism"
echo "ok: register-commands and POST /posts match the OpenAPI document"
