#!/usr/bin/env bash
# Slash commands: `pmbot register-commands` creates one command per
# command word (with autocomplete hints) and prints the tokens; the fake
# then sends "/pm help" as Mattermost does and the answer comes back as
# JSON; a wrong token is refused with 401 and nothing is run; a
# second registration updates instead of duplicating.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
port=$(free_port)
export PMBOT_HTTP_LISTEN=127.0.0.1:$port
export PMBOT_PUBLIC_URL=http://127.0.0.1:$port
mm_env
"$PMBOT" register-commands >"$T/reg.out" 2>"$T/reg.err" || { cat "$T/reg.err"; fail "register-commands failed"; }
grep -q '^/pm [a-z0-9]\{26\}$' "$T/reg.out" || fail "no token printed for /pm: $(cat "$T/reg.out")"
tokens=$(sed -n 's/^PMBOT_MATTERMOST_COMMAND_TOKENS=//p' "$T/reg.out")
[ -n "$tokens" ] || fail "no token list printed"
ncmd=$(fake_get /_fake/state | js 'd.commands.length')
fake_get /_fake/state | js 'd.commands.find(c=>c.trigger==="brief")' | grep -q '"auto_complete":true' || fail "no autocomplete on /brief"
fake_get /_fake/state | js 'd.commands.find(c=>c.trigger==="pm").url' | grep -q "127.0.0.1:$port/mattermost/command" || fail "wrong command URL"

# Again: updated in place, no duplicates.
"$PMBOT" register-commands >"$T/reg2.out" 2>"$T/reg2.err" || { cat "$T/reg2.err"; fail "second register-commands failed"; }
[ "$(fake_get /_fake/state | js 'd.commands.length')" = "$ncmd" ] || fail "the second registration added commands"

export PMBOT_MATTERMOST_COMMAND_TOKENS=$tokens
start_mm_bot

out=$(fake_post /_fake/slash '{"command":"/pm help","user":"alice","channel":"ask-experimenter"}')
[ "$(echo "$out" | js 'd.http_status')" = 200 ] || bot_fail "slash answer: $out"
[ "$(echo "$out" | js 'd.content_type')" = application/json ] || bot_fail "not JSON: $out"
echo "$out" | js 'd.json.text' | grep -qi brief || bot_fail "no command list in $out"
echo "$out" | js 'd.json.response_type' | grep -Eq '^(in_channel|ephemeral)$' || bot_fail "no response_type: $out"

# An unknown word: an ephemeral error, only the caller sees it.
out=$(fake_post /_fake/slash '{"command":"/pm nosuchthing","user":"alice","channel":"ask-experimenter"}')
[ "$(echo "$out" | js 'd.json.response_type')" = ephemeral ] || bot_fail "an error was not ephemeral: $out"

# The same command on its own trigger.
out=$(fake_post /_fake/slash '{"command":"/guide","user":"bob","channel":"town-square"}')
[ "$(echo "$out" | js 'd.http_status')" = 200 ] || bot_fail "/guide: $out"

# A wrong token: 401, nothing run, nothing posted.
before=$(fake_get /_fake/posts | js 'd.length')
code=$(curl -s -o "$T/bad.out" -w '%{http_code}' --max-time 5 \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  --data 'channel_id=x&channel_name=town-square&command=%2Fpm&text=help&token=wrongtoken00000000000000000&user_id=u&user_name=mallory' \
  "http://127.0.0.1:$port/mattermost/command")
[ "$code" = 401 ] || bot_fail "a wrong token got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Token ${tokens%%,*}x" \
  --data 'channel_id=x&command=%2Fpm&text=help&user_id=u&user_name=mallory' "http://127.0.0.1:$port/mattermost/command")
[ "$code" = 401 ] || bot_fail "a wrong header token got $code"
sleep 0.5
[ "$(fake_get /_fake/posts | js 'd.length')" = "$before" ] || bot_fail "something was posted for a refused command"
grep -q "mallory" "$T/bot.log" && bot_fail "a refused command reached the router"
echo "ok: register-commands, /pm help, errors ephemeral, bad tokens refused"
