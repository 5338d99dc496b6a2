#!/usr/bin/env bash
# A new user's first contact: "@pmbot help" in #ask-experimenter is
# answered in its thread (the command list is private, so only the asker
# sees it there); a mention inside a thread is answered at the thread's
# root; a direct message is answered in the DM; chatter without a
# mention, a mention in a channel the bot does not listen in and a
# near-miss of its name get nothing.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
start_mm_bot

root=$(mention alice ask-experimenter "@pmbot help")
wait_answers 1 ask-experimenter
reply=$(answers ask-experimenter | js 'd[0]')
[ "$(echo "$reply" | js 'd.root_id')" = "$root" ] || bot_fail "the answer is not in the mention's thread: $reply"
echo "$reply" | js 'd.message' | grep -q 'brief' || bot_fail "the answer is not the command list: $reply"
alice=$(fake_get /_fake/state | js 'd.users.find(u=>u.username==="alice").id')
[ "$(echo "$reply" | js 'd.target_user_id')" = "$alice" ] || bot_fail "the private answer is not for alice: $reply"

# A public answer, in a thread: the reply goes to the root, never to the
# reply (that would be a 400).
inner=$(mention bob ask-experimenter "@pmbot guide" "$root")
[ -n "$inner" ] || fail "no inner post id"
wait_answers 2 ask-experimenter
second=$(answers ask-experimenter | js 'd[1]')
[ "$(echo "$second" | js 'd.root_id')" = "$root" ] || bot_fail "a mention in a thread was not answered at its root: $second"
echo "$second" | js 'd.pending_post_id' | grep -q . || bot_fail "the post carries no pending_post_id: $second"

# A direct message needs no mention.
fake_post /_fake/dm '{"user":"carol","message":"guide"}' >/dev/null
wait_answers 3

# Nothing for these.
mention alice ask-experimenter "just chatting about pmbot here" >/dev/null
mention alice town-square "@pmbot help" >/dev/null
mention alice ask-experimenter "@pmbotx help" >/dev/null
sleep 1.5
total=$(answer_count)
[ "$total" = 3 ] || bot_fail "expected 3 answers, found $total: $(answers)"

curl -sf "http://127.0.0.1:$BOT_PORT/readyz" | grep -q ready || bot_fail "/readyz is not ready"
curl -sf "http://127.0.0.1:$BOT_PORT/metrics" | grep -q 'pmbot_events_total{kind="mm_posted"}' || bot_fail "events are not counted"
echo "ok: mention, thread, DM and the ignored cases"
