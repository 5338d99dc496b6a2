# pmbot(1) documents every command line, variable and file: each command
# and option `pmbot --help` prints, each variable the code reads (getenv
# and the configuration's key table, with the _FILE form of every secret)
# appears in docs/pmbot.1, and the page renders without warnings.  A new
# option or variable without its line in the manual fails here.
set -u
: "${PMBOT:?PMBOT must name the pmbot binary}"
src=${PMBOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
page=$src/docs/pmbot.1
fail() {
  echo "FAIL: $*"
  exit 1
}
# The page as text, with roff's escaped hyphens plain.
text=$(sed 's/\\-/-/g' "$page")
has() { printf '%s\n' "$text" | grep -qF -- "$1"; }

help=$("$PMBOT" --help) || fail "pmbot --help failed"
n=0
for opt in $(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
  has "$opt" || fail "option $opt is not in the man page"
  n=$((n + 1))
done
for cmd in $(printf '%s\n' "$help" | sed -nE 's/^ *(usage:)? *pmbot ([a-z][a-z-]*).*/\2/p' | sort -u); do
  has ".B pmbot $cmd" || fail "command \"pmbot $cmd\" has no synopsis in the man page"
  n=$((n + 1))
done

vars=$(grep -rhoE 'getenv\("[A-Z_]+"\)' "$src/bot" "$src/handlers" | sed -E 's/getenv\("(.*)"\)/\1/')
vars+=" $(grep -hoE '"PMBOT_[A-Z_]+"' "$src/bot/config.c" | tr -d '"')"
vars+=" $(grep -hoE 'KEY_SECRET(_LIST)?\([^;]*' "$src/bot/config.c" | tr -d '\n\t ' |
  grep -oE '"PMBOT_[A-Z_]+"' | tr -d '"' | sed 's/$/_FILE/')"
for v in $(printf '%s\n' $vars | sort -u); do
  has "$v" || fail "variable $v is read by pmbot but not in the man page"
  n=$((n + 1))
done
[ "$n" -gt 30 ] || fail "only $n names found: the extraction is broken"

if command -v man >/dev/null; then
  warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warn" ] || fail "man reports: $warn"
fi
echo "ok: $n commands, options and variables documented in pmbot(1)"
