# The calendar feeds a PM subscribes to: a console bot with the example
# configuration and a calendar token serves the triage rotation (with a
# swap made in chat) and the meetings as valid iCalendar; a wrong token
# and an unknown rotation get the same 404.
. "$(dirname "$0")/lib.bash"
command -v curl >/dev/null || skip "curl is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
cfg=$PMBOT_SOURCE_DIR/config/pmbot.example.json
[ -f "$cfg" ] || cfg=$(dirname "$0")/../../config/pmbot.example.json
start_redis
export PMBOT_CALENDAR_TOKEN=feed-secret-42
start_bot --config "$cfg"
say "/rotation triage"
expect "triage rotation"
port=$(grep -o "http: listening on 127.0.0.1:[0-9]*" "$T/err" | head -1 | sed 's/.*://')
[ -n "$port" ] || fail "no listening port in the log"
base=http://127.0.0.1:$port/calendar

get() { # get PATH FILE: prints the status, the body in FILE
  curl -s -o "$2" -w '%{http_code} %{content_type}' "$base/$1"
}

r=$(get wrong-token/meetings.ics "$T/a") ; [ "${r%% *}" = 404 ] || fail "wrong token: $r"
r=$(get feed-secret-42/rotations/nope.ics "$T/b") ; [ "${r%% *}" = 404 ] || fail "unknown rotation: $r"
cmp -s "$T/a" "$T/b" || fail "the two 404s differ, telling which part was wrong"
r=$(get wrong-token/rotations/triage.ics "$T/c") ; [ "${r%% *}" = 404 ] || fail "wrong token, real rotation: $r"
r=$(get feed-secret-42/meetings.icsx "$T/c") ; [ "${r%% *}" = 404 ] || fail "unknown feed: $r"
grep -q feed-secret "$T/err" && fail "the token reached the log"

# Swap next week's triage duty in chat: the feed shows it at once.
current=$(grep -oE "@[a-z]+ is on duty" "$T/out" | head -1 | sed 's/@//; s/ .*//')
next=$(grep -A1 "^Next:" "$T/out" | grep -oE "@[a-z]+" | head -1 | sed 's/@//')
[ -n "$current" ] && [ -n "$next" ] || fail "could not read the rotation"
say "/rotation triage swap @$current @$next"
expect "[Ss]wap"

r=$(get feed-secret-42/rotations/triage.ics "$T/rot.ics")
[ "${r%% *}" = 200 ] || fail "rotation feed: $r"
case "$r" in *text/calendar*) ;; *) fail "rotation feed type: $r" ;; esac
r=$(get feed-secret-42/meetings.ics "$T/meet.ics")
[ "${r%% *}" = 200 ] || fail "meetings feed: $r"

# RFC 5545 by hand: CRLF everywhere, no line over 75 octets, folded lines
# unfold into properties, components balanced, each VEVENT with UID and
# DTSTAMP; then what a calendar would show.
python3 - "$T/rot.ics" "$T/meet.ics" "$current" "$next" <<'EOF' || fail "the feeds are not what a calendar needs"
import sys, datetime
def parse(path):
    raw = open(path, 'rb').read()
    assert raw.endswith(b'\r\n'), 'no final CRLF'
    lines = raw[:-2].split(b'\r\n')
    for l in lines:
        assert b'\n' not in l and b'\r' not in l, 'bare newline'
        assert len(l) <= 75, 'line over 75 octets: %r' % l
    props = []
    for l in lines:
        if l.startswith(b' '):
            props[-1] += l[1:]
        else:
            props.append(l)
    stack, events, cur = [], [], None
    for p in props:
        name, _, value = p.decode('utf-8').partition(':')
        if name == 'BEGIN':
            stack.append(value)
            if value == 'VEVENT':
                cur = {}
        elif name == 'END':
            assert stack.pop() == value, 'unbalanced ' + value
            if value == 'VEVENT':
                assert 'UID' in cur and 'DTSTAMP' in cur, 'VEVENT without UID/DTSTAMP'
                events.append(cur)
        elif cur is not None and stack[-1] == 'VEVENT':
            cur[name] = value
    assert not stack, 'unclosed ' + str(stack)
    return events
def utc(s):
    return datetime.datetime.strptime(s, '%Y%m%dT%H%M%SZ')
rot = parse(sys.argv[1])
cur, nxt = sys.argv[3], sys.argv[4]
assert 28 <= len(rot) <= 34, '%d turns for 30 weeks' % len(rot)
uids = [e['UID'] for e in rot]
assert len(set(uids)) == len(uids), 'duplicate UIDs'
for a, b in zip(rot, rot[1:]):
    assert a['DTEND'] == b['DTSTART'], 'a gap or overlap between turns'
now = datetime.datetime.utcnow()
held = [e for e in rot if utc(e['DTSTART']) <= now < utc(e['DTEND'])]
assert len(held) == 1, 'who is on duty now?'
after = rot[rot.index(held[0]) + 1]
assert held[0]['SUMMARY'] == nxt + ' on triage duty (swap)', held[0]['SUMMARY']
assert after['SUMMARY'].startswith(cur + ' on triage duty'), after['SUMMARY']
assert utc(rot[0]['DTSTART']) < now - datetime.timedelta(weeks=3), 'no past turns'
assert utc(rot[-1]['DTEND']) > now + datetime.timedelta(weeks=25), 'not half a year ahead'
# A Monday 09:00 Pacific handoff is 17:00 or 16:00 UTC, never anything else.
for e in rot:
    t = utc(e['DTSTART'])
    assert t.weekday() == 0 and t.hour in (16, 17) and t.minute == 0, e['DTSTART']
meet = {e['UID']: e for e in parse(sys.argv[2])}
sync = meet['meeting-pm-weekly-sync@pmbot']
assert sync['DTSTART;TZID=America/Los_Angeles'] == '20250108T090000', sync
assert sync['RRULE'] == 'FREQ=WEEKLY;BYDAY=WE'
assert sync['SUMMARY'] == 'PM Weekly Sync'
assert '\\,' in sync['DESCRIPTION'], 'commas must be escaped'
assert meet['meeting-okr-update@pmbot']['DTSTART'].endswith('Z'), 'a UTC meeting'
assert meet['meeting-product-sales-call@pmbot']['RRULE'] == 'FREQ=MONTHLY;BYDAY=1MO'
raw = open(sys.argv[2], newline='').read()
assert 'BEGIN:VTIMEZONE\r\nTZID:America/Los_Angeles\r\n' in raw, 'no VTIMEZONE'
assert raw.count('BEGIN:VTIMEZONE') == 1, 'one VTIMEZONE per zone'
EOF

stop_bot || fail "exit status $?"
echo "ok: the rotation and meeting feeds are valid iCalendar behind their token"
