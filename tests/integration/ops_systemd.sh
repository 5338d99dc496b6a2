# deploy/pmbot.service passes `systemd-analyze verify`: directives spelled
# right, the binary it starts exists and is executable, the man page it
# documents itself with is readable.  The unit names /usr/bin/pmbot (the
# package's path); here it is pointed at the binary under test.  Also
# checks the promises the unit makes in its comments: every credential it
# loads is named by the matching *_FILE variable, and the other way round.
set -u
: "${PMBOT:?PMBOT must name the pmbot binary}"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
unit=$src/deploy/pmbot.service

command -v systemd-analyze >/dev/null || {
  echo "SKIP: systemd-analyze is not installed"
  exit 77
}
T=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-ops.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}

mkdir -p "$T/man/man1"
cp "$src/docs/pmbot.1" "$T/man/man1/pmbot.1"
sed "s#/usr/bin/pmbot#$PMBOT#g" "$unit" >"$T/pmbot.service"
# verify prints problems and exits non-zero on errors; it also warns
# about other units on this machine, so only lines about ours count.
MANPATH=$T/man SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
  "$T/pmbot.service" >"$T/verify.out" 2>&1
rc=$?
grep -E '^pmbot\.service|pmbot\.service:' "$T/verify.out" >"$T/ours" || true
if [ "$rc" -ne 0 ] || [ -s "$T/ours" ]; then
  cat "$T/verify.out"
  fail "systemd-analyze verify reported problems (exit $rc)"
fi

# Each LoadCredential=NAME has Environment=PMBOT_..._FILE=%d/NAME, and the
# variables are ones pmbot reads (listed in its man page).
grep -E '^#?LoadCredential=' "$unit" | sed -E 's/^#?LoadCredential=([^:]+):.*/\1/' >"$T/creds"
[ -s "$T/creds" ] || fail "the unit loads no credential"
while read -r c; do
  var=$(grep -E "^#?Environment=PMBOT_[A-Z_]+_FILE=%d/$c\$" "$unit" |
    sed -E 's/^#?Environment=([A-Z_]+)=.*/\1/')
  [ -n "$var" ] || fail "credential $c has no *_FILE variable pointing at it"
  grep -qF "$var" "$src/docs/pmbot.1" ||
    fail "$var is not a variable pmbot documents"
done <"$T/creds"
n_env=$(grep -cE '^#?Environment=PMBOT_[A-Z_]+_FILE=%d/' "$unit")
[ "$n_env" -eq "$(wc -l <"$T/creds")" ] || fail "a *_FILE variable names no credential"
for d in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
  StateDirectory=pmbot DynamicUser=yes CapabilityBoundingSet= \
  SystemCallFilter=@system-service Restart=on-failure; do
  grep -qx "$d" "$unit" || fail "the unit lacks $d"
done
echo "ok: systemd-analyze verify accepts deploy/pmbot.service; $(wc -l <"$T/creds") credentials matched"
