#!/bin/bash
# /rotation and /request in the console on a real redis-server: a swap
# and an away period change who is on duty and both people are told;
# bad input (unknown user, unknown rotation, dates in the wrong order,
# removing the last member, someone else's entry) gets a clear error and
# changes nothing; the state survives a restart; a processed request is
# told to its reporter.
. "$(dirname "$0")/lib.bash"
command -v redis-server >/dev/null || skip "redis-server is not installed"

cat >"$PMBOT_CONFIG" <<'JSON'
{
  "timezone": "UTC",
  "channels": {"ask": "ask-experimenter", "pm": ["pm"], "twitter": "twitter",
    "triage": "customer-requests", "announce": "pm"},
  "roles": {"admins": ["alice"], "pms": ["alice", "carol", "dave", "erin"],
    "marketing": ["mallory"], "pm_group": "pm-team"},
  "rotations": {
    "twitter": {"members": ["carol", "erin", "alice"],
      "handoff": {"weekday": "monday", "time": "09:00",
        "timezone": "America/Los_Angeles"}},
    "triage": {"members": ["erin", "carol"],
      "handoff": {"weekday": "monday", "time": "09:00",
        "timezone": "America/Los_Angeles"}}
  }
}
JSON
today=$(TZ=America/Los_Angeles date +%F)
tomorrow=$(TZ=America/Los_Angeles date -d tomorrow +%F)
yesterday=$(TZ=America/Los_Angeles date -d yesterday +%F)

start_redis
start_bot --user alice --channel pm
say "/rotation twitter"
expect 'twitter rotation: @carol is on duty since'
say "/rotation twitter swap @carol @erin"
expect '@carol and @erin swap .*@erin is on duty then'
expect '\[DM @carol\] @alice changed the twitter rotation'
expect '\[DM @erin\] @alice changed the twitter rotation'
mark
say "/rotation twitter"
expect_new '@erin is on duty \(swap\)'
expect_new '@carol \(swap\) from'
say "/rotation twitter away @erin $today $tomorrow"
expect '@erin is away .*@alice takes the turn'
expect '\[DM @erin\] @alice changed the twitter rotation: @erin is away'
mark
say "/rotation twitter"
expect_new '@alice is on duty \(away cover\)'

# Bad input: an error that says what is wrong, and nothing changes.
mark
say "/rotation twitter away @erin $tomorrow $yesterday"
expect_new 'the dates are in the wrong order; nothing changed'
say "/rotation nope"
expect_new 'unknown rotation "nope"; the rotations are "twitter" or "triage"'
say "/rotation twitter add @zed"
expect_new 'unknown user "@zed": not one of the configured PMs'
say "/rotation twitter cover @dave 2027-02-30 2027-03-02"
expect_new '"2027-02-30" is not a date'
say "/rotation triage remove @erin"
expect_new '@erin left; @carol is on duty now'
say "/rotation triage remove @carol"
expect_new '@carol is the last member of the triage rotation'
mark
say "/rotation triage"
expect_new 'triage rotation: @carol is on duty'
say "/request add Acme \"export to CSV times out\""
expect_new 'Request #1 for Acme filed; 1 unassigned'
say "/request assign 1 @zed"
expect_new 'unknown user "@zed"'
say "/request assign 1 @carol"
expect_new '\[DM @carol\] @alice assigned you request #1 from Acme'
stop_bot || fail "exit status $?"

# Someone else's entry; and the state after a restart.
start_bot --user carol --channel pm
mark
say "/rotation twitter away @erin $today $tomorrow"
expect_new 'permission denied'
say "/rotation twitter"
expect_new '@alice is on duty \(away cover\)'
say "/request list unassigned"
expect_new 'No unassigned requests'
say "/request done 1"
expect_new 'Request #1 \(Acme\) is Processed'
expect_new '\[DM @alice\] Your request #1 for Acme is Processed \(by @carol\)'
say "/rotation twitter handoff"
expect_new '\[~pm\] \*?\*?twitter rotation:?\*?\*? @alice'
say "/rotation twitter history"
expect_new 'Turns taken: @'
stop_bot || fail "exit status $?"
echo "ok: swaps and away periods move the duty and tell both; bad input changes nothing; state survives a restart"
