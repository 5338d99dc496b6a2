#!/usr/bin/env bash
# Slash commands, mentions, DMs and buttons over Socket Mode against the
# fake Slack: a slash command is acknowledged with its answer in the ack
# (ephemeral for private answers, in_channel for the team's), a command
# registered through Slack is there for the next one, a mention is
# answered in its thread, a DM in the DM, the card comes as Block Kit
# whose buttons run their command when pressed, and the bot's own posts
# and other bots' are never answered.
. "$(dirname "$0")/slack_lib.bash"

start_slack
start_redis
slack_config
start_slack_bot bot
wait_connections 1
until_js requests 's.some((r) => r.method === "auth.test" && r.status === 200)'

# --- a slash command's answer rides in its ack --------------------------------
env=$(ctl slash '{"command":"/pm","text":"help"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).envelope_id')
until_js acks "s.some((a) => a.envelope_id === '$env')" 5
[ "$(fake_js acks "s.find((a) => a.envelope_id === '$env').payload.response_type")" = ephemeral ] ||
  fail "help is not ephemeral: $(fake_js acks 's')"
fake_js acks "s.find((a) => a.envelope_id === '$env').payload.text" | grep -q '`/brief`' ||
  fail "help text not in the ack: $(fake_js acks 's')"
[ "$(fake_js acks "s.find((a) => a.envelope_id === '$env').late")" = false ] || fail "ack was late"

# --- a command that writes to Redis, then its card ---------------------------
env=$(ctl slash '{"command":"/brief","text":"add checkout-v2 <https://docs.example.com/b/checkout-v2> title \"Checkout v2\""}' |
  node -pe 'JSON.parse(require("fs").readFileSync(0)).envelope_id')
until_js acks "s.some((a) => a.envelope_id === '$env')" 5
fake_js acks "s.find((a) => a.envelope_id === '$env').payload.text" | grep -q 'checkout-v2' ||
  fail "no answer to /brief add: $(fake_js acks "s.find((a) => a.envelope_id === '$env')")"
[ "$(redis-cli -s "$T/redis.sock" hget pmbot:brief:checkout-v2 url)" = https://docs.example.com/b/checkout-v2 ] ||
  fail "the link was not read back from Slack's <url> form: $(redis-cli -s "$T/redis.sock" hgetall pmbot:brief:checkout-v2)"

# --- a mention is answered in its thread, with the card as Block Kit ----------
ts=$(ctl message '{"text":"<@U0FAKEBOT1> brief checkout-v2","mention":true}' |
  node -pe 'JSON.parse(require("fs").readFileSync(0)).ts')
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')" 5
card=$(fake_js messages "s.find((m) => m.user === 'U0FAKEBOT1' && m.thread_ts === '$ts')")
echo "$card" | grep -q '"type":"section"' || fail "the card has no blocks: $card"
echo "$card" | grep -q 'https://docs.example.com/b/checkout-v2|' || fail "no linked title: $card"

# --- a DM is answered in the DM -------------------------------------------------
ctl message '{"text":"guide","channel_type":"im"}' >/dev/null
until_js messages "s.some((m) => m.user === 'U0FAKEBOT1' && m.channel === 'D0HUMAN001' && /guide/.test(m.text))" 5

# --- a button press runs its command; the answer goes to response_url --------
ctl envelope '{"type":"interactive","accepts_response_payload":false,"payload":{"type":"block_actions","user":{"id":"U0HUMAN001","username":"alice","name":"alice"},"channel":{"id":"C0FAKE0000","name":"general"},"container":{"type":"message","channel_id":"C0FAKE0000","message_ts":"1"},"response_url":"'"$S"'/_fake/response/btn-1","actions":[{"type":"button","action_id":"pmbot_0","value":"brief checkout-v2"}]}}' >/dev/null
until_js responses "s.some((r) => r.id === 'btn-1' && /checkout-v2/.test(JSON.stringify(r.body)))" 5

# --- the bot's own posts, other bots' and edits are not commands ---------------
before=$(fake_js messages 's.filter((m) => m.user === "U0FAKEBOT1").length')
ctl envelope '{"type":"events_api","payload":{"type":"event_callback","event_id":"EvOWN1","event":{"type":"message","user":"U0FAKEBOT1","bot_id":"B0FAKEBOT1","text":"<@U0FAKEBOT1> help","ts":"1700000400.000100","channel":"C0FAKE0000","channel_type":"channel"}}}' >/dev/null
ctl envelope '{"type":"events_api","payload":{"type":"event_callback","event_id":"EvEDIT1","event":{"type":"message","subtype":"message_changed","text":"<@U0FAKEBOT1> help","ts":"1700000401.000100","channel":"C0FAKE0000"}}}' >/dev/null
sleep 1
after=$(fake_js messages 's.filter((m) => m.user === "U0FAKEBOT1").length')
[ "$before" = "$after" ] || fail "answered a bot or an edit: $before -> $after"
[ "$(fake_js failed 's.length')" = 0 ] || fail "commands failed: $(fake_js failed 's')"
kill -0 "$BOT_PID" || fail "the bot died"
echo ok
