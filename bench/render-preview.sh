#!/usr/bin/env bash
# Screenshots of a few representative messages as Slack and Mattermost
# would draw them, to check pmbot's renderers by eye (docs/slack.md,
# "Rendering").  bench/render_preview.c renders the samples with pmbot's
# own code (Block Kit and mrkdwn from bot/slack_render.c, posts and
# attachments from bot/mattermost.c); bench/render_preview.html draws
# them; Debian's chromium takes one PNG per sample.  Not a ctest test:
# what it shows is for a person to look at.
#
#   bench/render-preview.sh [BUILD_DIR [OUT_DIR]]
#
# BUILD_DIR is a configured and built pmbot build (default: build); the
# PNGs go to OUT_DIR (default: a new temporary folder), which is printed.
# Needs cc, node and npm (marked, pinned below, is installed once into
# BUILD_DIR/render-preview-node) and chromium (apt-get install chromium).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/pmbot-render.XXXXXX")}
mkdir -p "$out"
marked_version=18.2.1

link=$build/CMakeFiles/pmbot.dir/link.txt
[ -f "$build/libpmbotcore.a" ] && [ -f "$link" ] ||
	{ echo "render-preview: $build is not a built pmbot build (cmake --build $build --target pmbot)" >&2; exit 1; }
command -v chromium >/dev/null ||
	{ echo "render-preview: chromium is not installed (apt-get install chromium)" >&2; exit 1; }

# The driver links like pmbot does: the same libraries, in the same order.
libs=$(sed 's/.* -o pmbot //' "$link")
# shellcheck disable=SC2086
(cd "$build" && cc -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter -g \
	-iquote "$src/bot" -iquote "$src/handlers" \
	-isystem /usr/include/cjson -isystem /usr/include/hiredis \
	"$src/bench/render_preview.c" -o "$out/render_preview" $libs)
# The shipped guide has no links; one more topic shows them, with the
# characters Slack wants escaped.
cp "$src/config/guide.md" "$out/guide.md"
cat >>"$out/guide.md" <<'EOF'

## preview
**Links and lists in a guide answer**
Read the [brief template](https://docs.example.com/brief?team=pm&v=2) and the _Nimbus_ docs first:
- Register the brief with `/brief add <slug> <brief-url>`.
- Ask in #ask-experimenter, or come to [office hours](https://calendar.example.com/ds).
- Metrics: retention > 2% & crash rate < 0.1% (**both**).
Questions? See [the PM wiki](https://wiki.example.com/pm) or `/guide shadow`.
EOF
"$out/render_preview" "$out/guide.md" >"$out/samples.json" 2>"$out/render_preview.log"
{ printf 'const SAMPLES = '; cat "$out/samples.json"; printf ';\n'; } >"$out/samples.js"

node_dir=$build/render-preview-node
if [ ! -f "$node_dir/node_modules/marked/lib/marked.umd.js" ]; then
	mkdir -p "$node_dir"
	(cd "$node_dir" && npm install --no-audit --no-fund --no-save --silent "marked@$marked_version")
fi
cp "$node_dir/node_modules/marked/lib/marked.umd.js" "$src/bench/render_preview.html" "$out/"

n=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).length)' "$out/samples.json")
profile=$(mktemp -d "${TMPDIR:-/tmp}/pmbot-chromium.XXXXXX")
trap 'rm -rf "$profile"' EXIT
for ((i = 0; i < n; i++)); do
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --disable-quic --no-first-run --hide-scrollbars \
		--user-data-dir="$profile" --window-size=1400,1100 \
		--screenshot="$out/sample-$i.png" \
		"file://$out/render_preview.html?n=$i" >/dev/null 2>>"$out/chromium.log"
	echo "$out/sample-$i.png"
done
