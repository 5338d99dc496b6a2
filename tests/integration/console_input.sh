# The console reads a regular file as well as a pipe (epoll refuses
# files: this once aborted the bot), keeps a long script in bounded
# memory, answers every line in order, and refuses an over-long line
# without losing the next one.
. "$(dirname "$0")/lib.bash"
start_redis
for i in $(seq 300); do echo "/brief add s$i https://docs.example.com/$i"; done >"$T/script"
for i in $(seq 300); do echo "/brief s$i"; done >>"$T/script"
"$PMBOT" console <"$T/script" >"$T/out" 2>"$T/err" || fail "exit status $? reading a file"
[ "$(grep -c '^Registered brief' "$T/out")" = 300 ] || fail "not every add answered from a file"
[ "$(grep -c 'Owner: @' "$T/out")" = 300 ] || fail "not every card answered from a file"
grep -n 'Registered brief s1 ' "$T/out" | head -1 | grep -q '^1:' || fail "answers out of order"

{ head -c 20000 /dev/zero | tr '\0' 'x'; echo; echo "/guide rollout"; } |
  "$PMBOT" console >"$T/out" 2>"$T/err" || fail "exit status $? after a long line"
grep -q "line too long: the limit is 8192 bytes" "$T/out" || fail "no error for a 20000-byte line"
grep -qi "rollout" "$T/out" || fail "the line after the long one was lost"
[ "$(grep -c . "$T/out")" -lt 20 ] || fail "the long line was answered piecemeal"
echo "ok: 600 commands from a file answered in order; a 20000-byte line refused, the next served"
