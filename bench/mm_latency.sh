#!/usr/bin/env bash
# Mention -> reply latency through the fake Mattermost on loopback: N
# mentions of "@pmbot guide" in #ask-experimenter, one after another;
# each latency is the reply's create_at minus the mention's, both taken
# by the fake's clock, so polling does not skew it.  Prints p50, p90, p99
# and max in milliseconds.
#
#   PMBOT=build/pmbot bench/mm_latency.sh [N]      (N defaults to 200)
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PMBOT:=$here/../build/pmbot}"
export PMBOT PMBOT_SOURCE_DIR=${PMBOT_SOURCE_DIR:-$here/..}
export PMBOT_LOG_LEVEL=warn
N=${1:-200}
set -- # mm_lib.bash reads no arguments
. "$here/../tests/integration/mm_lib.bash"
start_redis
start_fake
mm_env
"$PMBOT" </dev/null >"$T/bot.out" 2>"$T/bot.log" &
BOT_PID=$!
for i in $(seq 200); do
  [ "$(fake_get /_fake/state | js 'd.connections.filter(c=>c.connected).length')" -ge 1 ] && break
  sleep 0.05
done
node -e '
const [base, n] = [process.argv[1], Number(process.argv[2])];
const post = async (p, b) => (await fetch(base + p, { method: "POST",
  headers: { "Content-Type": "application/json" }, body: JSON.stringify(b) })).json();
const get = async (p) => (await fetch(base + p)).json();
(async () => {
  const lat = [];
  // The router allows each person 20 commands a minute: spread the
  // mentions over enough people that the limit never answers instead.
  const people = Math.ceil(n / 15);
  for (let u = 0; u < people; u++)
    await post("/_fake/users", { username: "bench" + u });
  for (let i = 0; i < n; i++) {
    const m = await post("/_fake/posts", { user: "bench" + (i % people), channel: "ask-experimenter", message: "@pmbot guide" });
    let reply = null;
    for (let k = 0; k < 5000 && !reply; k++) {
      const ps = await get("/_fake/posts?user=pmbot&channel=ask-experimenter");
      reply = ps.find((p) => p.root_id === m.id);
      if (!reply) await new Promise((r) => setTimeout(r, 2));
    }
    if (!reply) { console.error("no reply to mention " + i); process.exit(1); }
    lat.push(reply.create_at - m.create_at);
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  console.log(`mentions ${n}: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${lat[lat.length - 1]} ms`);
})();
' "$FAKE" "$N"
