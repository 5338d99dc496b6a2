#!/usr/bin/env bash
# A 429 storm on POST /posts: the server answers "limit exceeded" with
# Retry-After and X-Ratelimit-Reset six times in a row while five
# mentions wait for answers.  Every answer is delivered once, in the
# order of the mentions, after the waits the server asked for.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot

fake_post /_fake/fail '{"status":429,"count":6,"retry_after":1,"path":"/api/v4/posts","method":"POST"}' >/dev/null
ids=()
for i in 1 2 3 4 5; do
  ids+=("$(mention alice ask-experimenter "@pmbot guide")")
  sleep 0.2
done
wait_answers 5 ask-experimenter 40
sleep 1
a=$(answers ask-experimenter)
[ "$(echo "$a" | js 'd.length')" = 5 ] || bot_fail "expected 5 answers: $a"
order=$(echo "$a" | js 'd.map(p=>p.root_id).join(" ")')
[ "$order" = "${ids[*]}" ] || bot_fail "answers out of order: got $order, mentions were ${ids[*]}"
n429=$(fake_get /_fake/requests | js 'd.filter(r=>r.status===429).length')
[ "$n429" = 6 ] || bot_fail "the fake answered 429 $n429 times, expected 6"
grep -q 'rate limited' "$T/bot.log" || bot_fail "the pause was not logged"
echo "ok: six 429s waited out, five answers in order"
