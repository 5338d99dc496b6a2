# The Debian package from this build tree: cpack builds it, its control
# file depends on what pmbot needs at run time (libwebsockets-evlib-uv,
# which the shared-library scan cannot see, and the libraries that scan
# finds), and its unpacked contents run: the binary prints its version and
# accepts the shipped example configuration, the man page renders, and
# the systemd unit starts the packaged binary.  Installing the package
# into this machine is CI's job (.ci/run), not a test's.
set -u
: "${PMBOT:?PMBOT must name the pmbot binary}"
build=$(cd "$(dirname "$PMBOT")" && pwd)
skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}
command -v cpack >/dev/null || skip "cpack is not installed"
command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps is not installed (dpkg-dev)"
[ -f "$build/CPackConfig.cmake" ] || skip "no CPackConfig.cmake beside $PMBOT"
T=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-ops.XXXXXX")
trap 'rm -rf "$T"' EXIT

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/cpack.log" 2>&1 || {
  cat "$T/cpack.log"
  fail "cpack could not build the package"
}
deb=$(ls "$T"/pkg/pmbot_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "cpack made no pmbot_*.deb"
dpkg-deb --info "$deb" >/dev/null || fail "dpkg-deb cannot read $deb"

depends=$(dpkg-deb -f "$deb" Depends)
for d in libwebsockets-evlib-uv libwebsockets17 libhiredis0.14 libuv1 libcurl4 \
  libcjson1 libical3 libsystemd0 libc6 tzdata; do
  printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//' | grep -qE "^$d( |\$)" ||
    fail "Depends lacks $d: $depends"
done
[ "$(dpkg-deb -f "$deb" Package)" = pmbot ] || fail "the package is not called pmbot"
version=$("$PMBOT" --version | awk '{print $2}')
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version) is not $version"

dpkg-deb -x "$deb" "$T/root" || fail "cannot unpack $deb"
bin=$(find "$T/root" -path '*/bin/pmbot' -type f | head -n 1)
[ -n "$bin" ] && [ -x "$bin" ] || fail "no executable bin/pmbot in the package"
prefix=${bin%/bin/pmbot}
out=$("$bin" --version) || fail "pmbot --version failed"
[ "$out" = "pmbot $version" ] || fail "pmbot --version said \"$out\""
example=$prefix/share/pmbot/pmbot.example.json
[ -f "$example" ] || fail "no example configuration in the package"
[ -f "$prefix/share/pmbot/guide.md" ] || fail "no guide in the package"
out=$(env -i PATH="$PATH" HOME="$T" "$bin" check-config --config "$example" 2>&1)
[ "$out" = ok ] || fail "check-config on the shipped example: $out"

man=$(find "$T/root" -path '*/man1/pmbot.1*' | head -n 1)
[ -n "$man" ] || fail "no man page in the package"
if command -v man >/dev/null; then
  warn=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null)
  [ -z "$warn" ] || fail "the man page has problems: $warn"
fi
unit=$(find "$T/root" -name pmbot.service | head -n 1)
[ -n "$unit" ] || fail "no systemd unit in the package"
grep -qx "ExecStart=${prefix#"$T/root"}/bin/pmbot --config /etc/pmbot/pmbot.json" "$unit" ||
  fail "the unit does not start the packaged binary: $(grep ExecStart= "$unit")"
echo "ok: $(basename "$deb"): Depends has libwebsockets-evlib-uv; unpacked pmbot $version runs and accepts the example"
