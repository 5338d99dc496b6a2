#!/usr/bin/env bash
# Proves the fake chat and Jira servers against the official clients
# (@mattermost/client's Client4 and WebSocketClient) and against Jira's
# documented shapes, so the integration tests that run pmbot against the
# fakes test pmbot and not the fakes' mistakes.  Exit 77 (skipped) when
# Node.js or the fakes' node_modules are missing (scripts/setup installs
# them with npm ci).
set -u

src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fakes=$src/tests/fakes
shared=$src/../shared

if ! command -v node >/dev/null 2>&1; then
	echo "skip: node is not installed (run scripts/setup)"
	exit 77
fi
if [ ! -d "$fakes/node_modules/@mattermost/client" ] ||
    [ ! -d "$fakes/node_modules/ws" ]; then
	echo "skip: $fakes/node_modules is missing (run scripts/setup, or npm ci in tests/fakes)"
	exit 77
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Starts a fake and sets $port from its "listening <port>" line.
start_fake() {
	local name=$1
	shift
	node "$fakes/$name.js" --port 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids+=($!)
	port=
	for _ in $(seq 1 100); do
		port=$(awk '/^listening /{print $2; exit}' "$tmp/$name.out")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "FAIL: the $name fake did not start"
	cat "$tmp/$name.err"
	exit 1
}

start_fake mattermost
mm_port=$port
start_fake jira
jira_port=$port

status=0
run() {
	echo "# $1"
	if ! (cd "$fakes" && MM_URL=http://127.0.0.1:$mm_port \
	    JIRA_URL=http://127.0.0.1:$jira_port SHARED_DIR=$shared \
	    timeout 60 node "contract/$1.js"); then
		echo "FAIL: contract/$1.js"
		status=1
	fi
	curl -s -o /dev/null -X POST "http://127.0.0.1:$mm_port/_fake/reset"
}

run mattermost_rest
run mattermost_ws
run jira
if [ -f "$fakes/slack.js" ] && [ -f "$fakes/contract/slack.js" ]; then
	start_fake slack
	slack_port=$port
	echo "# slack"
	(cd "$fakes" && SLACK_URL=http://127.0.0.1:$slack_port \
	    timeout 60 node contract/slack.js) || { echo "FAIL: contract/slack.js"; status=1; }
fi

if [ $status -ne 0 ]; then
	echo "--- fake server logs"
	cat "$tmp"/*.err
fi
exit $status
