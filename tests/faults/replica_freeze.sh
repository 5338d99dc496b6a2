#!/usr/bin/env bash
# Fault: a replica is frozen (SIGSTOP) past its leases while answers wait
# in its outbox and reminder jobs are claimed by it; the other replica
# takes over, and the frozen one, woken afterwards with stale leases and a
# claim answer in hand, must post nothing twice.  See replica.bash.
. "$(dirname "$0")/replica.bash"
replica_scenario stop
faults_report replica_freeze
