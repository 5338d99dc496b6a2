# State written survives a bot restart: first on the private redis-server
# the console starts itself (no Redis configured), which must also be
# stopped when the bot exits, then on a Redis the operator runs.
. "$(dirname "$0")/lib.bash"
command -v redis-server >/dev/null || skip "redis-server is not installed"

start_bot
say "/brief add checkout-v2 https://docs.example.com/checkout-v2 title \"Checkout v2\""
expect "checkout-v2"
stop_bot || fail "exit status $? at end of input"
[ -S "$PMBOT_STATE_DIR/redis.sock" ] && fail "private redis-server still has its socket after exit"
pgrep -f "$PMBOT_STATE_DIR/redis.sock" >/dev/null && fail "private redis-server still runs after exit"

start_bot
mark
say "/brief checkout-v2"
expect_new "Checkout v2"
stop_bot || fail "exit status $? at end of input"

start_redis
start_bot
say "/brief add search-ranking https://docs.example.com/search title Ranking"
expect "search-ranking"
stop_bot || fail "exit status $?"
start_bot
mark
say "/brief search-ranking"
expect_new "Ranking"
stop_bot || fail "exit status $?"
echo "ok: a brief written before a restart is read after it (private and external Redis)"
