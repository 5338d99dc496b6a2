#!/usr/bin/env bash
# Marketing escalates a Twitter question by mentioning the PM team in the
# Twitter channel, without naming the bot: the bot answers in the post's
# thread with the PM on Twitter duty, and a reply in that thread
# acknowledges it.  A mention of the bot with a command word there is
# still a command; chatter there gets nothing.
. "$(dirname "$0")/mm_lib.bash"

cat >"$T/pm.json" <<'JSON'
{
  "channels": { "ask": "ask-experimenter", "pm": ["pm"], "twitter": "twitter",
                "triage": "triage", "announce": "announce" },
  "roles": { "admins": ["alice"], "pms": ["alice", "bob"], "marketing": ["carol"],
             "pm_group": "pm-team" },
  "rotations": {
    "twitter": { "members": ["bob", "alice"],
                 "handoff": { "weekday": "monday", "time": "09:00", "timezone": "UTC" } }
  }
}
JSON
export PMBOT_CONFIG=$T/pm.json
start_redis
start_fake
start_mm_bot

root=$(mention carol twitter "@pm-team a customer asks when dark mode ships, can someone answer?")
wait_answers 1 twitter
first=$(answers twitter | js 'd[0]')
[ "$(echo "$first" | js 'd.root_id')" = "$root" ] || bot_fail "the escalation was not answered in its thread: $first"
echo "$first" | js 'd.message' | grep -Eq '@(bob|alice)' || bot_fail "no PM named in the answer: $first"

n=$(answer_count twitter)
mention bob twitter "on it, answering now" "$root" >/dev/null
for i in $(seq 50); do
  [ "$(answer_count twitter)" -gt "$n" ] && break
  sleep 0.2
done
answers twitter | js 'd.map(p=>p.message).join("\n")' | grep -q "acknowledged by @bob" ||
  bot_fail "a reply in the thread did not acknowledge: $(answers twitter)"

n=$(answer_count)
mention carol twitter "just sharing a nice tweet" >/dev/null
sleep 1.5
[ "$(answer_count)" = "$n" ] || bot_fail "chatter in the Twitter channel was answered: $(answers twitter)"

mention carol twitter "@pmbot help" >/dev/null
wait_answers $((n + 1))
answers | js 'd[d.length-1].message' | grep -q "brief" || bot_fail "@pmbot help in the Twitter channel was not a command"
echo "ok: escalation without a mention answered in its thread, acknowledged by a reply; commands still work"
