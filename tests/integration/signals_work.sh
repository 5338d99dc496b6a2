# What a signal does to work, not just to the process: SIGTERM while a
# command waits on Redis lets that command finish and answer before the
# bot exits 0, and a line typed after the signal is not run; SIGHUP makes
# a changed role take effect on the next command, and a change that needs
# a restart (the Redis prefix) is kept out with a warning while the running
# connection stays.
. "$(dirname "$0")/lib.bash"
start_redis --enable-debug-command local
R() { redis-cli -s "$T/redis.sock" "$@"; }
cat >"$T/cfg.json" <<'JSON'
{ "timezone": "UTC", "roles": { "admins": ["root"] } }
JSON
export PMBOT_CONFIG=$T/cfg.json

# --- SIGTERM with a command in flight ---------------------------------------
start_bot --user alice
say "/brief add alpha https://docs.example.com/alpha"
expect "Registered brief alpha"
R debug sleep 2 >/dev/null &
SLEEPER=$!
sleep 0.3 # Redis is asleep now: the next command waits on it
mark
say "/brief alpha"
for i in $(seq 40); do grep -q "console from alice" <(tail -n 2 "$T/err") && break; sleep 0.05; done
kill -TERM "$BOT_PID"
say "/guide rollout"
for i in $(seq 300); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$BOT_PID" 2>/dev/null && fail "still running 15 s after SIGTERM"
wait "$BOT_PID"; rc=$?; BOT_PID=
exec 3>&-
wait "$SLEEPER"
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM with work in flight"
grep -q "alpha" <(tail -n +"$((MARK + 1))" "$T/out") ||
  fail "the command in flight was not answered before the exit: $(cat "$T/out")"
grep -qi "rollout" <(tail -n +"$((MARK + 1))" "$T/out") &&
  fail "a line typed after SIGTERM was run"

# --- SIGHUP: a new admin takes effect; a new Redis URL waits for a restart ---
start_bot --user alice
mark
say "/pm status"
expect_new "permission|not allowed|admins"
cat >"$T/cfg.json" <<JSON
{ "timezone": "UTC", "roles": { "admins": ["root", "alice"] },
  "redis": { "prefix": "elsewhere:" } }
JSON
kill -HUP "$BOT_PID"
for i in $(seq 200); do grep -q "configuration reloaded" "$T/err" && break; sleep 0.05; done
grep -q "configuration reloaded" "$T/err" || fail "no reload after SIGHUP"
grep -q "connection settings changed; they take effect at the next restart" "$T/err" ||
  fail "no warning that the Redis prefix change needs a restart: $(tail -5 "$T/err")"
mark
say "/pm status"
expect_new "[Rr]edis"
grep -Eqi "permission|not allowed" <(tail -n +"$((MARK + 1))" "$T/out") &&
  fail "the new admin was still refused after the reload"
mark
say "/brief alpha"
expect_new "alpha"
grep -q "no brief" <(tail -n +"$((MARK + 1))" "$T/out") && fail "the reload switched to the new prefix"
stop_bot || fail "exit status $?"
echo "ok: SIGTERM finished the command in flight and ran nothing after; SIGHUP applied the role, kept Redis"
