# `pmbot schedule` previews the example configuration's meetings across
# the US switch to daylight time on 2027-03-14: the PM Weekly Sync stays
# at 09:00 Pacific, so it moves from 17:00 to 16:00 UTC; its prep
# reminder the day before at 16:00 moves from 00:00 to 23:00 UTC.  The
# JSON and iCalendar forms carry the same instants.
. "$(dirname "$0")/lib.bash"
cfg=$PMBOT_SOURCE_DIR/config/pmbot.example.json
[ -f "$cfg" ] || cfg=$(dirname "$0")/../../config/pmbot.example.json

"$PMBOT" schedule --config "$cfg" --from 2027-03-08 --days 10 >"$T/out" 2>"$T/err" ||
  fail "schedule exited $?"
grep -q "^2027-03-10 00:00 UTC  Tue 2027-03-09 16:00 PST  pm-weekly-sync/prep  ~pm" "$T/out" || fail "prep before the change"
grep -q "^2027-03-10 17:00 UTC  Wed 2027-03-10 09:00 PST  pm-weekly-sync/start" "$T/out" || fail "start before the change"
grep -q "^2027-03-10 17:30 UTC  Wed 2027-03-10 09:30 PST  pm-weekly-sync/after" "$T/out" || fail "after before the change"
grep -q "^2027-03-16 23:00 UTC  Tue 2027-03-16 16:00 PDT  pm-weekly-sync/prep" "$T/out" || fail "prep after the change"
grep -q "^2027-03-17 16:00 UTC  Wed 2027-03-17 09:00 PDT  pm-weekly-sync/start" "$T/out" || fail "start after the change"
grep -q "^2027-03-12 19:00 UTC  Fri 2027-03-12 19:00 UTC  okr-update/start" "$T/out" || fail "the OKR update (a UTC meeting)"
grep -q "^2027-03-15 16:00 UTC  Mon 2027-03-15 09:00 PDT  twitter  ~twitter" "$T/out" || fail "the Monday handoff after the change"
# The triage deadlines before the weekly sync the triage rotation is tied
# to: the day before at 16:00 and two hours before, on the meeting's clock.
grep -q "^2027-03-10 00:00 UTC  Tue 2027-03-09 16:00 PST  triage/triage-eve  @on-duty" "$T/out" || fail "triage deadline the day before"
grep -q "^2027-03-10 15:00 UTC  Wed 2027-03-10 07:00 PST  triage/triage-2h  @on-duty" "$T/out" || fail "triage deadline two hours before"
grep -q "^2027-03-17 14:00 UTC  Wed 2027-03-17 07:00 PDT  triage/triage-2h  @on-duty" "$T/out" || fail "triage deadline two hours before, after the change"
[ "$(grep -c "triage/triage-" "$T/out")" = 4 ] || fail "two deadlines a week, no more"

# The sales call: first Monday of April 2027 is the 5th; prep three days
# before at 10:00 (a Friday), the after-reminder 15 minutes after the end.
"$PMBOT" schedule --config "$cfg" --from 2027-04-01 --days 5 >"$T/out" || fail "schedule exited $?"
grep -q "^2027-04-02 17:00 UTC  Fri 2027-04-02 10:00 PDT  product-sales-call/prep" "$T/out" || fail "sales prep"
grep -q "^2027-04-05 17:15 UTC  Mon 2027-04-05 10:15 PDT  product-sales-call/after" "$T/out" || fail "sales after"

"$PMBOT" schedule --config "$cfg" --from 2027-03-16 --days 2 --json >"$T/out" || fail "json exited $?"
grep -q '"utc": "2027-03-17T16:00:00Z", "local": "2027-03-17T09:00:00-07:00", "zone": "America/Los_Angeles", "kind": "meeting", "id": "pm-weekly-sync", "reminder": "start"' "$T/out" ||
  fail "JSON of the start after the change"
grep -q '"utc": "2027-03-17T14:00:00Z", "local": "2027-03-17T07:00:00-07:00", "zone": "America/Los_Angeles", "kind": "deadline", "id": "triage", "reminder": "triage-2h"' "$T/out" ||
  fail "JSON of the triage deadline"
command -v python3 >/dev/null && { python3 -m json.tool "$T/out" >/dev/null || fail "not valid JSON"; }

"$PMBOT" schedule --config "$cfg" --from 2027-03-17 --days 1 --ics >"$T/out" || fail "ics exited $?"
grep -q $'^DTSTART:20270317T160000Z\r$' "$T/out" || fail "iCalendar DTSTART"
grep -q $'^BEGIN:VCALENDAR\r$' "$T/out" || fail "iCalendar header"

"$PMBOT" schedule --config "$cfg" --from 2027-3-17 >"$T/out" 2>"$T/err"
[ $? = 2 ] || fail "a bad --from must exit 2"
grep -q "YYYY-MM-DD" "$T/err" || fail "a bad --from must say the format"
echo "ok: pmbot schedule previews the example meetings across the DST change"
