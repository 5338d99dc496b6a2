#!/usr/bin/env bash
# Who may do what, and where.  Part one is the table of every command
# against every role (an admin, a PM, someone in marketing, anyone else),
# typed on the console, with what SPEC.md allows written out here rather
# than read from the code: "/pm status" is for admins, "/escalate" for
# marketing and PMs (and admins), "/brief remove" for the brief's owner or
# an admin, rotation edits for admins or the people concerned, assigning
# and closing customer requests for PMs; everything else for anyone.  A
# refusal must say "permission denied"; an allowed command must not, nor
# any other error ("unknown", "usage:", "invalid", "no brief", ...).
#
# Part two is where: on Mattermost, a mention in a channel the bot listens
# in and a direct message are served; the same mention in a channel it
# does not listen in gets no answer and changes nothing.
. "$(dirname "$0")/mm_lib.bash"

cat >"$T/cfg.json" <<'EOF'
{ "timezone": "UTC", "limits": { "commands_per_minute": 1000 },
  "channels": { "ask": "ask-experimenter", "pm": ["pm"], "twitter": "twitter" },
  "roles": { "admins": ["ada"], "pms": ["pam", "pia"], "marketing": ["mark"] },
  "rotations": { "twitter": { "members": ["pam"] },
                 "triage": { "members": ["pam", "pia"] } } }
EOF
export PMBOT_CONFIG=$T/cfg.json
start_redis

# as USER LINES...: runs the lines on a console as USER; after each, a
# sentinel line, so each command's answer is cut out exactly.  Writes
# $T/ans.<user>.<n>.
as() {
  local user=$1 n=0 line
  shift
  start_bot --user "$user" --channel ask-experimenter
  for line in "$@"; do
    n=$((n + 1))
    mark
    say "$line"
    say "/meeting sentinel-$n"
    expect_new "sentinel-$n"
    tail -n +"$((MARK + 1))" "$T/out" | sed "/sentinel-$n/,\$d" >"$T/ans.$user.$n"
  done
  stop_bot || fail "exit status $? for $user"
}

# Set-up: briefs owned by pam, one per role to remove; a request to act on.
as pam '/brief add perm-card https://docs.example.com/perm' \
  '/brief add rm-ada https://docs.example.com/r' '/brief add rm-pam https://docs.example.com/r' \
  '/brief add rm-mark https://docs.example.com/r' '/brief add rm-olly https://docs.example.com/r' \
  '/request add acme first' '/request add acme second' '/request add acme third' \
  '/request add acme fourth' '/request add acme fifth' '/request add acme sixth' \
  '/request add acme seventh' '/request add acme eighth'
grep -q 'permission denied' "$T"/ans.pam.* && fail "set-up refused: $(cat "$T"/ans.pam.*)"

# The table: command | admin pm marketing other (y allowed, n refused).
# {u} is the role's user name; {n} its index (requests 1..8 are split so
# each role acts on its own).
TABLE=$(cat <<'EOF'
/pm help                                   | y y y y
/pm help brief                             | y y y y
/help                                      | y y y y
/brief perm-card                           | y y y y
/brief add perm-{u} https://docs.example.com/x | y y y y
/brief stage perm-{u} review               | y y y y
/brief list                                | y y y y
/brief find perm                           | y y y y
/brief remove rm-{u}                       | y y n n
/checklist perm-card                       | y y y y
/checklist perm-{u} done 1                 | y y y y
/checklist perm-{u} assign 2 @pam          | y y y y
/checklist perm-{u} due 2 2030-01-01       | y y y y
/checklist perm-{u} undo 1                 | y y y y
/qa status perm-card                       | y y y y
/rotation twitter                          | y y y y
/rotation twitter history                  | y y y y
/rotation twitter add @pia                 | y n n n
/rotation triage swap @pam @pia            | y y n n
/rotation triage away @pia 2030-01-01 2030-01-05 | y n n n
/rotation twitter remove @pia              | y n n n
/escalate a customer asks about pricing    | y y y n
/request add acme another one             | y y y y
/request list                              | y y y y
/request list unassigned                   | y y y y
/request assign {n} @pia                   | y y n n
/request done {m}                          | y y n n
/remind me in 2 hours check perms          | y y y y
/remind list                               | y y y y
/meeting                                   | y y y y
/guide rollout                             | y y y y
/pm status                                 | y n n n
EOF
)
roles=(ada pam mark olly)
# What an error answer says, whichever command gave it.
ERRORS='unknown|usage:|invalid|no brief|no item|no request|not found|not in the|not one of|out of range|already|could not|cannot|unavailable|too long|failed|error'
checked=0
for r in 0 1 2 3; do
  user=${roles[$r]}
  lines=()
  while IFS='|' read -r cmd _; do
    cmd=${cmd%"${cmd##*[![:space:]]}"}
    cmd=${cmd//\{u\}/$user}
    cmd=${cmd//\{n\}/$((r * 2 + 1))}
    cmd=${cmd//\{m\}/$((r * 2 + 2))}
    lines+=("$cmd")
  done <<<"$TABLE"
  as "$user" "${lines[@]}"
  n=0
  while IFS='|' read -r cmd allowed; do
    n=$((n + 1))
    read -ra cols <<<"$allowed"
    want=${cols[$r]}
    [ -s "$T/ans.$user.$n" ] || fail "$user: no answer to '$cmd'"
    if grep -q 'permission denied' "$T/ans.$user.$n"; then got=n; else got=y; fi
    [ "$got" = "$want" ] || fail "$user: '$cmd' should be $([ "$want" = y ] && echo allowed || echo refused): $(cat "$T/ans.$user.$n")"
    # Allowed means done, not merely not refused: an allowed command
    # answered with any error would hide a broken permission check.
    # The help on /brief quotes its usage, so it is known by its title.
    checked=$((checked + 1))
    [ "$want" = y ] || continue
    case $cmd in
    '/pm help brief '*) marker='^/brief — the experiment brief registry' ;;
    *) marker= ;;
    esac
    if [ -n "$marker" ]; then
      grep -qE -- "$marker" "$T/ans.$user.$n" ||
        fail "$user: '$cmd' is allowed but did not answer /$marker/: $(cat "$T/ans.$user.$n")"
    elif grep -qiE -- "$ERRORS" "$T/ans.$user.$n"; then
      fail "$user: '$cmd' is allowed but was answered with an error: $(cat "$T/ans.$user.$n")"
    fi
  done <<<"$TABLE"
done
echo "ok: $checked command x role cases as SPEC allows"

# --- part two: where the bot listens ----------------------------------------
start_fake
start_mm_bot
keys=$(redis-cli -s "$T/redis.sock" dbsize)
words=('help' 'brief perm-card' 'brief add where-unlisted https://docs.example.com/w' \
  'checklist perm-card' 'rotation twitter' 'request list' 'remind me in 1 hour where' \
  'meeting' 'guide' 'pm status' 'escalate pricing')
quiet=()
for w in "${words[@]}"; do quiet+=("$(mention alice town-square "@pmbot $w")"); done
served=()
for w in "${words[@]}"; do served+=("$(mention alice ask-experimenter "@pmbot ${w/where-unlisted/where-listed}")"); done
dms=()
for w in "${words[@]}"; do dms+=("$(fake_post /_fake/dm "{\"user\":\"alice\",\"message\":\"${w/where-unlisted/where-dm}\"}" | js 'd.id')"); done
for _ in $(seq 100); do
  [ "$(answers | js 'd.filter(p=>p.root_id).length')" -ge $((2 * ${#words[@]})) ] && break
  sleep 0.2
done
sleep 1
a=$(answers)
for id in "${served[@]}" "${dms[@]}"; do
  [ "$(echo "$a" | js "d.filter(p=>p.root_id==='$id').length")" -ge 1 ] || bot_fail "no answer to $id"
done
for id in "${quiet[@]}"; do
  [ "$(echo "$a" | js "d.filter(p=>p.root_id==='$id').length")" = 0 ] ||
    bot_fail "answered a mention in a channel it does not listen in"
done
[ "$(redis-cli -s "$T/redis.sock" exists pmbot:brief:where-unlisted)" = 0 ] ||
  fail "a mention in an unlisted channel registered a brief"
for b in where-listed where-dm; do
  [ "$(redis-cli -s "$T/redis.sock" exists "pmbot:brief:$b")" = 1 ] || fail "brief $b was not registered"
done
echo "ok: ${#words[@]} command words served in a listened channel and a DM, ignored in an unlisted one"
