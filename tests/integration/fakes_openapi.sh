#!/usr/bin/env bash
# Puts Prism proxies with the official Mattermost and Jira OpenAPI
# documents (from ../shared/reference/openapi, read at run time, never
# copied into the repository) in front of the fakes and drives pmbot's
# REST calls through them; any request or response the documents reject
# fails the test, apart from the few places listed in
# tests/fakes/contract/openapi.js where the documents are known to be
# wrong.  Exit 77 (skipped) when the shared folder, Node.js or Prism is
# missing.
set -u

src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fakes=$src/tests/fakes
specs=$src/../shared/reference/openapi
mm_spec=$specs/mattermost-v4.yaml
jira_spec=$specs/jira-cloud-platform-v3.json
prism=$fakes/node_modules/.bin/prism

if [ ! -f "$mm_spec" ] || [ ! -f "$jira_spec" ]; then
	echo "skip: the OpenAPI documents are not in ../shared/reference/openapi"
	exit 77
fi
if ! command -v node >/dev/null 2>&1; then
	echo "skip: node is not installed (run scripts/setup)"
	exit 77
fi
if [ ! -x "$prism" ] || [ ! -d "$fakes/node_modules/ws" ]; then
	echo "skip: Prism is not installed in tests/fakes/node_modules (run scripts/setup)"
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

# Waits for a line matching $2 in file $1 for up to $3 tenths of a second.
wait_line() {
	for _ in $(seq 1 "$3"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Starts a fake and sets $port; not in a subshell, so its pid is kept.
start_fake() {
	node "$fakes/$1.js" --port 0 >"$tmp/$1.out" 2>"$tmp/$1.err" &
	pids+=($!)
	if ! wait_line "$tmp/$1.out" '^listening ' 100; then
		echo "FAIL: the $1 fake did not start"
		cat "$tmp/$1.err"
		exit 1
	fi
	port=$(awk '/^listening /{print $2; exit}' "$tmp/$1.out")
}

# A free port for Prism, which cannot be told to pick one itself.
free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

start_fake mattermost
mm_port=$port
start_fake jira
jira_port=$port
mm_prism=$(free_port)
jira_prism=$(free_port)
while [ "$jira_prism" = "$mm_prism" ]; do jira_prism=$(free_port); done

# Both documents load in parallel (10-20 s each).
"$prism" proxy -h 127.0.0.1 -p "$mm_prism" "$mm_spec" \
    "http://127.0.0.1:$mm_port" >"$tmp/prism-mm.log" 2>&1 &
pids+=($!)
"$prism" proxy -h 127.0.0.1 -p "$jira_prism" "$jira_spec" \
    "http://127.0.0.1:$jira_port" >"$tmp/prism-jira.log" 2>&1 &
pids+=($!)
for log in prism-mm prism-jira; do
	if ! wait_line "$tmp/$log.log" 'Prism is listening' 450; then
		echo "skip: Prism did not start within 45 s ($log)"
		tail -5 "$tmp/$log.log"
		exit 77
	fi
done

status=0
(cd "$fakes" && MM_PRISM=http://127.0.0.1:$mm_prism \
    MM_URL=http://127.0.0.1:$mm_port \
    JIRA_PRISM=http://127.0.0.1:$jira_prism \
    JIRA_URL=http://127.0.0.1:$jira_port \
    timeout 60 node contract/openapi.js) || status=1
if [ $status -ne 0 ]; then
	echo "--- Prism violations logged"
	grep -h 'Violation' "$tmp"/prism-*.log | sort | uniq -c | head -40
fi
exit $status
