#!/bin/bash
# Twitter escalations end to end in the console on a real redis-server:
# the PM on duty and the area owner are named, an acknowledgement stops
# the timers, and an unacknowledged escalation is pinged again and then
# handed to the next PM with the announce channel told, by timers that
# outlive a restart of the bot.  Durations are seconds (ack_after).
. "$(dirname "$0")/lib.bash"
command -v redis-server >/dev/null || skip "redis-server is not installed"

cat >"$PMBOT_CONFIG" <<'JSON'
{
  "timezone": "UTC",
  "channels": {"ask": "ask-experimenter", "pm": ["pm"], "twitter": "twitter",
    "triage": "customer-requests", "announce": "pm"},
  "roles": {"admins": ["alice"], "pms": ["alice", "carol", "dave", "erin"],
    "marketing": ["mallory"], "pm_group": "pm-team"},
  "areas": [{"name": "Search", "owner": "dave",
    "keywords": ["search", "address bar"]}],
  "rotations": {
    "twitter": {"members": ["carol", "erin", "alice"],
      "handoff": {"weekday": "monday", "time": "09:00",
        "timezone": "America/Los_Angeles"},
      "ack_after": "3s", "escalate_after": "6s"}
  }
}
JSON

start_redis
start_bot --user mallory --channel twitter
say "/escalate Is the new tab page coming back?"
expect 'Escalation #1 for @carol \(on Twitter duty\)'
expect '\[DM @carol\] Escalation #1'
say "/escalate The search suggestions are broken"
expect 'Escalation #2 for @dave \(owner of Search\)'
say "/escalate ack 1"
expect 'permission denied'
stop_bot || fail "exit status $?"

# A restart in the middle: the timers are in Redis, not in the process.
start_bot --user dave --channel twitter
mark
say "/escalate ack 2"
expect_new 'Escalation #2 acknowledged by @dave'
expect_new '@carol, escalation #1 still needs an answer' 8
expect_new 'Escalation #1 was not acknowledged by @carol within 6 s; @erin, over to you' 8
expect_new '\[~pm\] Escalation #1 was not acknowledged by @carol' 2
expect_new '\[DM @erin\] Escalation #1 was not acknowledged' 2
sleep 1
grep -q 'escalation #2 still needs' "$T/out" && fail "an acknowledged escalation was pinged again"
grep -q '#2 was not acknowledged' "$T/out" && fail "an acknowledged escalation was escalated"
mark
say "/escalate list all"
expect_new '#2 for @dave .*acknowledged by dave'
expect_new '#1 for @erin .*escalated to erin, escalated 1'
mark
say "/escalate ack 1"
expect_new 'Escalation #1 acknowledged by @dave'
say "/escalate list"
expect_new 'No open escalations'
stop_bot || fail "exit status $?"
echo "ok: on-duty PM and area owner named; ack stops timers; re-ping and escalation to the next PM survive a restart"
