#!/usr/bin/env bash
# Fault: pmbot is killed with SIGKILL while answers wait in its outbox and
# reminder jobs are claimed by it; a second process takes everything over
# once the leases run out.  See replica.bash for the scenario and what is
# counted.
. "$(dirname "$0")/replica.bash"
replica_scenario kill
faults_report bot_kill
