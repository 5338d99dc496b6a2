# `pmbot schedule` lists the reminders set with /remind beside the
# configured ones: a one-off in the window once, a recurring one at each
# occurrence in the window, a reminder past the window not at all; and
# without a reachable Redis it says the stored ones are missing instead
# of passing over them in silence.
. "$(dirname "$0")/lib.bash"
start_redis
cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "channels": { "pm": ["pm"] } }
JSON
export PMBOT_CONFIG=$T/cfg.json
start_bot --user ada --channel pm
say "/remind me in 3 hours send the readout"
expect "Reminder 1 set"
say "/remind me every weekday at 9am stand up"
expect "Reminder 2 set"
say "/remind me in 30 days far away"
expect "Reminder 3 set"
stop_bot || fail "exit status $?"

today=$(date -u +%F)
"$PMBOT" schedule --from "$today" --days 8 >"$T/sched" 2>"$T/sched.err" ||
  fail "schedule exited $?: $(cat "$T/sched.err")"
[ "$(grep -c "reminder #1 from @ada: send the readout" "$T/sched")" = 1 ] ||
  fail "the one-off reminder is not listed once: $(cat "$T/sched")"
# Weekdays among the 8 days from today (9:00 UTC each); today's only if
# 9:00 is still ahead.
want=0
for d in $(seq 0 7); do
  day=$(date -u -d "$today + $d days" +%F)
  [ "$(date -u -d "$day" +%u)" -le 5 ] || continue
  [ "$(date -u -d "$day 09:00" +%s)" -gt "$(date -u +%s)" ] || continue
  want=$((want + 1))
  grep -q "^$day 09:00 UTC .*reminder #2 from @ada: stand up" "$T/sched" ||
    fail "no stand-up on $day: $(cat "$T/sched")"
done
[ "$(grep -c "reminder #2 from @ada: stand up" "$T/sched")" = "$want" ] ||
  fail "the stand-up is not listed $want times: $(cat "$T/sched")"
grep -q "far away" "$T/sched" && fail "a reminder past the window was listed"
[ -s "$T/sched.err" ] && fail "complained with Redis up: $(cat "$T/sched.err")"

"$PMBOT" schedule --from "$today" --days 8 --json >"$T/json" || fail "json exited $?"
grep -q '"kind": "reminder", "id": "1", "reminder": "", "channel": "@ada"' "$T/json" ||
  fail "JSON of the one-off: $(cat "$T/json")"

kill_redis
"$PMBOT" schedule --from "$today" --days 8 >"$T/sched" 2>"$T/sched.err" ||
  fail "schedule without Redis exited $?"
grep -q "reminders set with /remind are not shown: cannot reach Redis" "$T/sched.err" ||
  fail "no word about the missing reminders: $(cat "$T/sched.err")"
echo "ok: stored reminders listed in the preview ($want stand-ups)"
