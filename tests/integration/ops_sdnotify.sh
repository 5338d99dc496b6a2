# Under systemd (Type=notify, WatchdogSec=) pmbot says READY=1 only once
# Redis is up, keeps STATUS= in step with /readyz's reason, pings the
# watchdog from its loop, and says STOPPING=1 on SIGTERM.  A small Python
# listener plays systemd's notification socket.
. "$(dirname "$0")/lib.bash"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v redis-cli >/dev/null || skip "redis-cli is not installed"

cat >"$T/listen.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    data = s.recv(4096).decode()
    for line in data.splitlines():
        out.write(line + "\n")
PY
: >"$T/notify"
python3 "$T/listen.py" "$T/notify.sock" "$T/notify" &
LISTEN_PID=$!
trap 'kill "$LISTEN_PID" 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done
[ -S "$T/notify.sock" ] || fail "the listener did not start"

wait_notify() {
  local pattern=$1 limit=${2:-10} i
  for i in $(seq $((limit * 20))); do
    grep -qE -- "$pattern" "$T/notify" && return 0
    sleep 0.05
  done
  echo "--- notifications"; cat "$T/notify"
  fail "no notification /$pattern/ within ${limit}s"
}

# Redis is not there yet: the bot must not claim to be ready.
REDIS_SOCK=$T/redis.sock
export PMBOT_REDIS_URL="unix://$REDIS_SOCK"
rm -f "$T/in"; mkfifo "$T/in"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=1000000 \
  bash -c 'export WATCHDOG_PID=$$; exec "$0" console --user alice' "$PMBOT" \
  <"$T/in" >"$T/out" 2>"$T/err" &
BOT_PID=$!
exec 3>"$T/in"
wait_notify '^STATUS=redis' 5
sleep 0.5
grep -q '^READY=1' "$T/notify" && fail "READY=1 while Redis was down"
wait_notify '^WATCHDOG=1' 3

restart_redis
wait_notify '^READY=1' 10
wait_notify '^STATUS=ready' 2
before=$(grep -c '^WATCHDOG=1' "$T/notify")
sleep 1.2
after=$(grep -c '^WATCHDOG=1' "$T/notify")
[ "$after" -ge $((before + 2)) ] || fail "the watchdog was pinged $((after - before)) times in 1.2 s with a 1 s period"

kill_redis
wait_notify '^STATUS=redis: ' 5

kill -TERM "$BOT_PID"
wait_notify '^STOPPING=1' 5
for _ in $(seq 100); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.05; done
wait "$BOT_PID"
rc=$?
BOT_PID=
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
echo "ok: READY=1 only with Redis up, STATUS follows readiness, watchdog pinged, STOPPING=1 on SIGTERM"
