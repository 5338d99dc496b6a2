#!/usr/bin/env bash
# Size limits a user can reach by typing (bot/limits.h): reminder,
# escalation and request texts, the customer's name, checklist item
# numbers, rotation members and overrides, pending reminders per user,
# words per command and command length.  Each is tried just at the limit
# (accepted) and just past it: past it the answer names the limit and
# Redis is byte for byte what it was before (DEBUG DIGEST).  Then
# check-config refuses a rotation or checklists bigger than the limits.
. "$(dirname "$0")/lib.bash"

pms=$(printf '"u%02d",' $(seq 1 51))
members=$(printf '"u%02d",' $(seq 1 49))
cat >"$T/cfg.json" <<EOF
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "twitter": "twitter" },
  "roles": { "admins": ["ada"], "pms": [${pms%,}], "marketing": ["mark"] },
  "rotations": { "twitter": { "members": ["u01"] },
                 "triage": { "members": [${members%,}] } } }
EOF
export PMBOT_CONFIG=$T/cfg.json
start_redis --enable-debug-command local
rc() { redis-cli -s "$T/redis.sock" "$@"; }
# digest: one line per key, its name and the digest of its value, so a
# change names the key that moved.
digest() {
  local k
  rc --scan | sort | while IFS= read -r k; do
    printf '%s %s\n' "$k" "$(rc debug digest-value "$k")"
  done
}
rep() { head -c "$2" /dev/zero | tr '\0' "$1"; }

start_bot --user ada --channel twitter
# The scheduler writes its start-up jobs (two per rotation, the checklist
# nudge) while the first commands are answered; wait for them, so the
# digests below see only what a command does.
for i in $(seq 600); do
  [ "$(rc --scan --pattern 'pmbot:sched:job:*' | grep -c .)" -ge 5 ] && break
  [ "$i" = 600 ] && fail "the scheduler's start-up jobs never appeared: $(rc --scan)"
  sleep 0.05
done
n=0
# run LINE: types LINE and a sentinel; the answer is left in $T/ans.
run() {
  n=$((n + 1))
  mark
  say "$1"
  say "/meeting sentinel-$n"
  expect_new "sentinel-$n" 30
  tail -n +"$((MARK + 1))" "$T/out" | sed "/sentinel-$n/,\$d" >"$T/ans"
}
# ok LINE PATTERN: accepted, with PATTERN in the answer and no error.
ok() {
  run "$1"
  grep -qE -- "$2" "$T/ans" || fail "'${1:0:60}...': no /$2/: $(head -c 300 "$T/ans")"
  grep -qiE 'too long|too many|at most|out of range|usage:|full' "$T/ans" &&
    fail "'${1:0:60}...' was refused: $(head -c 300 "$T/ans")"
  return 0
}
# refused LINE PATTERN: the answer matches PATTERN and Redis is unchanged.
refused() {
  digest >"$T/before"
  grep -qE ' [0-9a-f]{40}$' "$T/before" || fail "no Redis digest to compare: $(head -c 300 "$T/before")"
  run "$1"
  grep -qE -- "$2" "$T/ans" || fail "'${1:0:60}...': no /$2/: $(head -c 300 "$T/ans")"
  digest >"$T/after"
  cmp -s "$T/before" "$T/after" ||
    fail "'${1:0:60}...' was refused but changed Redis: $(diff "$T/before" "$T/after" | head -20)"
  checked=$((checked + 1))
}
checked=0

# Reminder text: 2000 bytes.
ok "/remind me in 2 hours $(rep r 2000)" 'Reminder 1 set'
refused "/remind me in 2 hours $(rep r 2001)" 'too long \(2001 bytes, at most 2000\)'
[ "$(rc --scan | grep -c .)" -gt 0 ] || fail "the reminder at the limit wrote nothing"

# Escalation text: 2000 bytes, words joined by one space.
ok "/escalate $(rep e 1000) $(rep e 999)" '.'
refused "/escalate $(rep e 1000) $(rep e 1000)" 'too long \(at most 2000 bytes\)'

# Customer request: text 2000 bytes, the customer's name 200.
ok "/request add $(rep c 200) $(rep q 2000)" '.'
refused "/request add acme $(rep q 2001)" 'too long \(at most 2000 bytes\)'
refused "/request add $(rep c 201) short" 'too long'

# Checklist item numbers: 1 to 99 (LIMIT_CHECKLIST_ITEMS).
ok "/brief add lim https://docs.example.com/lim" 'Registered brief lim'
ok "/checklist lim done 12" '.'
refused "/checklist lim done 100" '100 is out of range \(1 to 99\)'
refused "/checklist lim assign 100 @u01" 'out of range \(1 to 99\)'
refused "/checklist lim due 100 2030-01-01" 'out of range \(1 to 99\)'
refused "/checklist lim done 99" 'no item 99'

# Rotation members: 50.  The 50th joins, the 51st does not.
ok "/rotation triage add @u50" '.'
refused "/rotation triage add @u51" 'full \(50 members\)'
rc --scan | grep -q triage || fail "the rotation edit was not stored"

# Rotation overrides in force: 100.
for i in $(seq 1 100); do
  d=$(printf '20%02d' $((30 + i / 12)))-$(printf '%02d' $((i % 12 + 1)))
  ok "/rotation triage away @u$(printf '%02d' $((i % 49 + 1))) $d-01 $d-02" '.'
done
refused "/rotation triage away @u01 2040-01-10 2040-01-11" 'already has 100 overrides'

# Words per command (64) and command length (4096 bytes): refused before
# any handler runs.
ok "/brief find $(seq -s ' ' 1 62)" '.'
refused "/brief find $(seq -s ' ' 1 63)" 'more than 64 words'
ok "/brief find $(rep w 4084)" '.'
refused "/brief find $(rep w 4085)" 'command longer than 4096 bytes'

# Pending reminders per user: 200 (one is pending already).
for i in $(seq 2 200); do
  ok "/remind me in $i hours r$i" '.'
done
refused "/remind me in 201 hours r201" 'you have 200 reminders already'
stop_bot || fail "exit status $?"
echo "ok: $checked over-limit commands refused with Redis unchanged"

# Configured sizes: past the limits the configuration is refused.
members=$(printf '"u%02d",' $(seq 1 51))
cat >"$T/big.json" <<EOF
{ "roles": { "pms": [${members%,}] },
  "rotations": { "triage": { "members": [${members%,}] } } }
EOF
out=$("$PMBOT" check-config --config "$T/big.json")
[ $? = 2 ] || fail "a 51-member rotation was accepted: $out"
echo "$out" | grep -q '^\$\.rotations\.triage\.members: .*at most 50' ||
  fail "no problem for 51 members: $out"
items=$(for i in $(seq 1 100); do printf '{"id":"i%d","text":"item %d"},' "$i" "$i"; done)
cat >"$T/big.json" <<EOF
{ "checklists": { "pre-launch": [${items%,}] } }
EOF
out=$("$PMBOT" check-config --config "$T/big.json")
[ $? = 2 ] || fail "100 checklist items were accepted: $out"
echo "$out" | grep -q '^\$\.checklists: .*at most 99' || fail "no problem for 100 items: $out"
echo "ok: a 51-member rotation and 100 checklist items refused by check-config"
