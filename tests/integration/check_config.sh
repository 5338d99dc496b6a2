# `pmbot check-config`: ok for the example, every problem with its path
# and exit 2 for a broken file; secrets never printed.
. "$(dirname "$0")/lib.bash"
src=${PMBOT_SOURCE_DIR:?}
out=$("$PMBOT" check-config --config "$src/config/pmbot.example.json") ||
  fail "example config: exit $?: $out"
[ "$out" = ok ] || fail "example config printed: $out"

cat >"$T/bad.json" <<'JSON'
{
  // two mistakes and a typo
  "timezone": "Mars/Olympus",
  "meetings": [ { "id": "sync", "title": "Sync", "channel": "pm",
                  "timezone": "UTC", "start": "2026-01-07T09:00",
                  "duration_minutes": 30, "rrule": "FREQ=SOMETIMES" } ],
  "chanels": {}
}
JSON
out=$(PMBOT_MATTERMOST_TOKEN=secret-token-123 "$PMBOT" check-config --config "$T/bad.json")
rc=$?
[ "$rc" = 2 ] || fail "broken config: exit $rc, expected 2"
echo "$out"
echo "$out" | grep -q '^\$\.timezone: ' || fail "no problem reported for \$.timezone"
echo "$out" | grep -q '^\$\.meetings\[0\]\.rrule: ' || fail "no problem for the rrule"
echo "$out" | grep -q '^\$\.chanels: ' || fail "no problem for the unknown key"
echo "$out" | grep -q 'secret-token-123' && fail "a secret was printed"
"$PMBOT" check-config --config "$T/missing.json" >/dev/null 2>&1
[ $? = 2 ] || fail "a missing file should be a problem"
"$PMBOT" check-config --bogus >/dev/null 2>&1
[ $? = 2 ] || fail "a bad option should exit 2"
echo "ok: example ok; broken file lists each problem with its path, exit 2"
