# The console on a terminal (libedit's line editing, as a person runs
# `pmbot console`): a pseudo-terminal from util-linux's `script` types a
# command, the answer comes back on the terminal, and end of input
# (Ctrl-D) ends the bot with status 0.
. "$(dirname "$0")/lib.bash"
command -v script >/dev/null || skip "script (util-linux) is not installed"
start_redis
# The commands reach the pty slowly enough for the line editor to read
# them one by one; Ctrl-D (\004) on an empty line is end of input.
{
  sleep 1
  printf '/guide rollout\r'
  sleep 2
  printf '\004'
  sleep 1
} | TERM=dumb timeout 60 script -qfec "$PMBOT console --user ada" /dev/null >"$T/tty" 2>&1
rc=$?
tr -d '\r' <"$T/tty" >"$T/tty.txt"
[ "$rc" = 0 ] || fail "exit status $rc on a terminal: $(tail -c 600 "$T/tty.txt")"
# The terminal echoes what is typed, so the answer is looked for by a
# phrase of the guide's rollout entry (config/guide.md), not the word.
grep -q "growing share of users" "$T/tty.txt" || fail "no answer on the terminal: $(tail -c 600 "$T/tty.txt")"
echo "ok: a command typed on a terminal was answered; Ctrl-D exited 0"
