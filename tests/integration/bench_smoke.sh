#!/usr/bin/env bash
# Keeps bench/run from rotting: its smoke mode (N=200 of each workload,
# pmbot and the Bolt peer) must finish with every envelope answered with
# the card.  No timing is asserted; the numbers it prints are not
# checked.  Skipped when the peer's packages are not installed: the
# suite never downloads them (bench/run does, on first use).
set -u
: "${PMBOT:?PMBOT must name the pmbot binary}"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PMBOT=$PMBOT BENCH_TIMEOUT=30 BENCH_NO_INSTALL=1 timeout 180 "$src/bench/run" --smoke
