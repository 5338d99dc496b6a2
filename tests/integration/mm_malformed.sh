#!/usr/bin/env bash
# Bad input from the server and on the listener: frames that are not
# JSON or not events, posted events with wrong types, a post that is not
# JSON, text that is not UTF-8, a frame over the 1 MiB reassembly limit,
# slash-command forms with bad percent-encoding, button clicks without a
# valid signature.  Nothing crashes, nothing wrong is answered, and the
# next good mention is served.
. "$(dirname "$0")/mm_lib.bash"

start_redis
start_fake
export PMBOT_MATTERMOST_COMMAND_TOKENS=goodtoken00000000000000000
start_mm_bot

m1=$(mention alice ask-experimenter "@pmbot guide")
wait_answers 1 ask-experimenter
st=$(fake_get /_fake/state)
ch=$(echo "$st" | js 'd.channels.find(c=>c.name==="ask-experimenter").id')
alice=$(echo "$st" | js 'd.users.find(u=>u.username==="alice").id')
botid=$(echo "$st" | js 'd.bot.id')

raw() {
  fake_post /_fake/raw "$(node -e 'console.log(JSON.stringify({text:process.argv[1]}))' "$1")" >/dev/null
}
event() {
  fake_post /_fake/event "{\"event\":\"posted\",\"user\":\"pmbot\",\"data\":$1,\"broadcast\":{\"channel_id\":\"$ch\"}}" >/dev/null
}
post_json() { # id user message -> the post as a JSON string literal
  node -e 'const [id,u,c,m]=process.argv.slice(1);console.log(JSON.stringify(JSON.stringify({id,user_id:u,channel_id:c,root_id:"",message:m,type:"",props:{},create_at:Date.now()})))' "$1" "$2" "$ch" "$3"
}

raw 'not json at all'
raw '{"event":"posted"}'
raw '{"event":"posted","seq":"seven","data":{}}'
raw '[1,2,3]'
raw '{"status":"OK","seq_reply":99}'
event '{"post":"this is not json @pmbot help"}'
event '{"post":{"id":"x","message":"@pmbot help"}}'
event "{\"post\":$(node -e 'console.log(JSON.stringify(JSON.stringify({id:7,user_id:[],channel_id:{},message:5})))')}"
# A lone surrogate is not text: the inner post does not parse.
event "{\"post\":$(node -e 'const [u,c]=process.argv.slice(1);console.log(JSON.stringify(JSON.stringify({id:"aaaaaaaaaaaaaaaaaaaaaaaaa1",user_id:u,channel_id:c,root_id:"",message:"@pmbot help \udc00",type:"",props:{}})))' "$alice" "$ch")}"
# The bot's own post mentioning itself.
event "{\"channel_type\":\"O\",\"post\":$(post_json aaaaaaaaaaaaaaaaaaaaaaaaa2 "$botid" '@pmbot help')}"
# A system message.
event "{\"channel_type\":\"O\",\"post\":$(node -e 'const [u,c]=process.argv.slice(1);console.log(JSON.stringify(JSON.stringify({id:"aaaaaaaaaaaaaaaaaaaaaaaaa3",user_id:u,channel_id:c,root_id:"",message:"@pmbot help",type:"system_join_channel",props:{}})))' "$alice" "$ch")}"
# Over the 1 MiB limit: dropped unread, and the stream goes on.
node -e 'console.log(JSON.stringify({event:"posted",user:"pmbot",data:{post:"x".repeat(1100000)}}))' >"$T/big.json"
curl -sf --max-time 10 -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$FAKE/_fake/event" >/dev/null || fail "could not send the big frame"
sleep 1
kill -0 "$BOT_PID" 2>/dev/null || bot_fail "the bot died on bad frames"
[ "$(answer_count)" = 1 ] || bot_fail "bad frames were answered: $(answers)"

# Forms: bad encodings with a good token are 400, nothing run.
cmd() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "$1" \
    "http://127.0.0.1:$BOT_PORT/mattermost/command"
}
base="channel_id=$ch&channel_name=ask-experimenter&command=%2Fpm&token=goodtoken00000000000000000&user_id=$alice&user_name=alice"
[ "$(cmd "$base&text=help%zz")" = 400 ] || bot_fail "a bad escape was not refused"
[ "$(cmd "$base&text=help%")" = 400 ] || bot_fail "a cut escape was not refused"
[ "$(cmd "$base&text=%ff%fe")" = 400 ] || bot_fail "invalid UTF-8 was not refused"
[ "$(cmd "$base&text=a%00b")" = 400 ] || bot_fail "a NUL was not refused"
[ "$(cmd "token=goodtoken00000000000000000&text=help")" = 400 ] || bot_fail "missing fields were not refused"
[ "$(cmd '{"token":"goodtoken00000000000000000"}')" = 401 ] || bot_fail "JSON was not refused"
big_form=$(node -e 'console.log("text="+"a".repeat(70000))')
code=$(cmd "$base&$big_form")
[ "$code" = 413 ] || bot_fail "a 70 KB form got $code"

# Buttons: bad JSON, no signature, a wrong one.
act() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
    --data-binary "$1" "http://127.0.0.1:$BOT_PORT/mattermost/action"
}
[ "$(act 'nope')" = 400 ] || bot_fail "bad JSON click"
[ "$(act "{\"user_id\":\"$alice\",\"channel_id\":\"$ch\",\"context\":{\"action\":\"guide\"}}")" = 400 ] || bot_fail "unsigned click"
[ "$(act "{\"user_id\":\"$alice\",\"channel_id\":\"$ch\",\"context\":{\"action\":\"guide\",\"exp\":\"9999999999\",\"mac\":\"00\"}}")" = 403 ] || bot_fail "badly signed click"
sleep 0.5
[ "$(answer_count)" = 1 ] || bot_fail "bad requests were answered: $(answers)"

# And the next good mention is served.
m2=$(mention bob ask-experimenter "@pmbot guide")
wait_answers 2 ask-experimenter
[ "$(answers ask-experimenter | js "d.filter(p=>p.root_id==='$m2').length")" = 1 ] || bot_fail "the good mention after the bad input was not answered"
[ "$(fake_get /_fake/state | js 'd.connections.filter(c=>c.user_id===d.bot.id).length')" = 1 ] || bot_fail "the bad frames cost the session"
echo "ok: bad frames, forms and clicks refused; the next mention served"
