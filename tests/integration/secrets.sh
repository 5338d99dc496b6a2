# Secrets given by variable or by *_FILE never reach the log, even at
# debug level and even when a component echoes them.
. "$(dirname "$0")/lib.bash"
start_redis
echo "xoxb-file-secret-4242" >"$T/bot-token"
echo "xapp-1-file-secret-9191" >"$T/app-token"
echo '{ "jira": { "project": "QA" } }' >"$PMBOT_CONFIG"
export PMBOT_LOG_LEVEL=debug
export PMBOT_JIRA_URL=http://127.0.0.1:9/ PMBOT_JIRA_TOKEN=jira-secret-777 PMBOT_JIRA_USER=pm@example.com
export PMBOT_SLACK_BOT_TOKEN_FILE=$T/bot-token PMBOT_SLACK_APP_TOKEN_FILE=$T/app-token
export PMBOT_CALENDAR_TOKEN=calendar-secret-555
start_bot
say "/pm help"
expect "/guide"
stop_bot || true
for s in xoxb-file-secret-4242 xapp-1-file-secret-9191 jira-secret-777 calendar-secret-555; do
  grep -q "$s" "$T/err" "$T/out" && fail "secret $s appeared in the output"
done
echo "ok: no secret in $(wc -l <"$T/err") log lines"
