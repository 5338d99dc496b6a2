# Shared helpers of the fault scenarios (tests/faults/*.sh; sourced, not
# run).  A fault scenario is an integration scenario that injects one kind
# of fault many times and then counts: what it injected, what it sent,
# which effects it found, and how many of those were duplicated or lost.
# The last line it prints is machine-readable, so docs/RELIABILITY.md can
# quote a run:
#
#   faults: <name> injected=N commands=N effects=N duplicates=0 losses=0
#
# A scenario sources the integration helper it needs (lib.bash,
# mm_lib.bash or slack_lib.bash) first, then this file.

FAULTS_INJECTED=0
FAULTS_COMMANDS=0
FAULTS_EFFECTS=0
FAULTS_DUPLICATES=0
FAULTS_LOSSES=0

# injected WHAT: counts one injected fault and says what it was.
injected() {
  FAULTS_INJECTED=$((FAULTS_INJECTED + 1))
  echo "inject: $*"
}

# injected_n N WHAT: counts N faults of one kind armed at once (the next
# N calls answered with an error, say).
injected_n() {
  FAULTS_INJECTED=$((FAULTS_INJECTED + $1))
  shift
  echo "inject: $*"
}

# counted NAME N_EXPECTED N_FOUND: one effect that must be there exactly
# once; more is a duplicate, none is a loss.  Nothing is printed for a
# clean count, so the log stays readable.
counted() {
  local name=$1 found=$2
  FAULTS_EFFECTS=$((FAULTS_EFFECTS + 1))
  if [ "$found" -gt 1 ]; then
    FAULTS_DUPLICATES=$((FAULTS_DUPLICATES + found - 1))
    echo "DUPLICATE: $name seen $found times"
  elif [ "$found" -lt 1 ]; then
    FAULTS_LOSSES=$((FAULTS_LOSSES + 1))
    echo "LOST: $name"
  fi
}

# at_most_once NAME N_FOUND: an effect the user was not told about (the
# command got an error); it may or may not have happened, but not twice.
at_most_once() {
  if [ "$2" -gt 1 ]; then
    FAULTS_DUPLICATES=$((FAULTS_DUPLICATES + $2 - 1))
    echo "DUPLICATE: $1 (unacknowledged) seen $2 times"
  fi
}

# faults_report NAME: prints the summary line and fails the scenario when
# anything was duplicated or lost.
faults_report() {
  echo "faults: $1 injected=$FAULTS_INJECTED commands=$FAULTS_COMMANDS" \
    "effects=$FAULTS_EFFECTS duplicates=$FAULTS_DUPLICATES losses=$FAULTS_LOSSES"
  [ "$FAULTS_DUPLICATES" = 0 ] && [ "$FAULTS_LOSSES" = 0 ] ||
    fail "$FAULTS_DUPLICATES duplicate(s), $FAULTS_LOSSES loss(es)"
}

now_ms() { date +%s%3N; }
