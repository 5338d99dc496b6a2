#!/usr/bin/env bash
# pmbot is killed (SIGKILL) while an answer waits in its outbox because
# the server answers 503; the answer is in Redis, and the next pmbot
# delivers it, once, in the mention's thread.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot

fake_post /_fake/fail '{"status":503,"count":3,"path":"/api/v4/posts","method":"POST"}' >/dev/null
m=$(mention alice ask-experimenter "@pmbot guide")
for i in $(seq 100); do
  [ "$(fake_get /_fake/requests | js 'd.filter(r=>r.status===503).length')" -ge 1 ] && break
  sleep 0.1
done
kill -9 "$BOT_PID"
wait "$BOT_PID" 2>/dev/null
BOT_PID=
queued=$(redis-cli -s "$T/redis.sock" --scan --pattern 'pmbot:outbox:mm:q:*' | head -1)
[ -n "$queued" ] || fail "nothing queued in Redis"
[ "$(redis-cli -s "$T/redis.sock" llen "$queued")" -ge 1 ] || fail "the queue in Redis is empty"
[ "$(answer_count ask-experimenter)" = 0 ] || fail "the answer went out before the kill"

# Use up the failures still armed, so the next pmbot meets a healthy server.
for i in 1 2 3 4; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer alice-token' \
    -H 'Content-Type: application/json' -d '{}' "$FAKE/api/v4/posts")
  [ "$code" = 503 ] || break
done

start_mm_bot
wait_answers 1 ask-experimenter 40
sleep 2
a=$(answers ask-experimenter)
[ "$(echo "$a" | js 'd.length')" = 1 ] || bot_fail "expected exactly one answer: $a"
[ "$(echo "$a" | js 'd[0].root_id')" = "$m" ] || bot_fail "the answer is not in the thread: $a"
[ "$(redis-cli -s "$T/redis.sock" llen "$queued")" = 0 ] || bot_fail "the queue was not emptied"
echo "ok: a queued answer survived SIGKILL and went out once after restart"
