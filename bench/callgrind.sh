#!/usr/bin/env bash
# Instructions pmbot executes per command, counted by valgrind's
# callgrind, so that a regression shows whatever the machine's noise.
# pmbot runs under callgrind with instrumentation off; it is switched
# on only around each workload (bench/slack_load.js, the same as
# bench/run's), so start-up is not counted.  Per envelope, each of:
#   slash  a /brief <slug> slash command: envelope in -> card in the ack
#   dm     a DM "brief <slug>": envelope in -> ack, de-duplication,
#          command, post queued in the outbox and sent as chat.postMessage
# Prints "slash: N instructions per command" and the same for dm, with
# the Redis commands pmbot sent per envelope (each a round trip unless
# queued with others), and with -v the ten functions that cost the most.
#
#   PMBOT=build/pmbot bench/callgrind.sh [-v] [N]     (N defaults to 1000)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
N=${1:-1000}
WINDOW=100
BRIEFS=10000
USERS=10000
: "${PMBOT:=$src/build/pmbot}"
: "${BENCH_TIMEOUT:=300}"
skip() { echo "SKIP: $*"; exit 77; }
die() { echo "callgrind: $*" >&2; exit 1; }
[ -x "$PMBOT" ] || die "no pmbot at $PMBOT (build it, or set PMBOT)"
command -v valgrind >/dev/null || skip "valgrind is not installed"
command -v callgrind_control >/dev/null || skip "callgrind_control is missing"
command -v node >/dev/null || skip "node is not installed"
[ -d "$src/tests/fakes/node_modules/ws" ] || skip "tests/fakes/node_modules is missing"

. "$here/lib.bash"
start_redis_briefs
start_fake
start_pmbot valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$T/cg.%p"
wait_ready 1 120 || die "pmbot did not connect: $(tail -5 "$T/pmbot.err")"

# measure MODE: the instructions of one workload, per envelope.
measure() {
  local before after
  callgrind_control -i on "$PM_PID" >/dev/null 2>&1
  callgrind_control -z "$PM_PID" >/dev/null 2>&1
  R config resetstat >/dev/null
  phase "cg-$1" "$1"
  cmds=$(R info stats | tr -d '\r' | awk -F: '/^total_commands_processed:/{print $2}')
  callgrind_control -d "$1" "$PM_PID" >/dev/null 2>&1
  callgrind_control -i off "$PM_PID" >/dev/null 2>&1
  grep -q "\"answered\":$N," "$T/cg-$1.json" ||
    die "$1: not every envelope was answered: $(cat "$T/cg-$1.json")"
  after=$(ls -t "$T"/cg.* 2>/dev/null | head -1)
  [ -n "$after" ] || die "no callgrind dump for $1"
  before=$(awk '/^summary:/{print $2}' "$after")
  echo "$1: $((before / N)) instructions per command (N=$N)," \
    "$(awk -v c="$cmds" -v n="$N" 'BEGIN{printf "%.2f", c / n}') Redis commands"
  if [ "$verbose" = 1 ]; then
    R info commandstats | tr -d '\r' | awk -F'[:=,]' -v n="$N" \
      '/^cmdstat_/{sub("cmdstat_", "", $1); printf "  %-12s %6.2f per envelope\n", $1, $3 / n}'
    callgrind_annotate "$after" 2>/dev/null | sed -n '/^Ir/,$p' | sed -n 3,14p
  fi
}
measure slash
measure dm
