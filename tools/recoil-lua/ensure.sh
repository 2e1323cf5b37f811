#!/usr/bin/env bash
# Prints the path of the project's recoil-lua (the engine's own Lua, see README.md), building it first into
# target/recoil-lua/ when it is missing or when build.sh, driver/ or stubs/ changed since it was built.
#   tools/recoil-lua/ensure.sh            -> .../target/recoil-lua/recoil-lua on stdout; build output on stderr
# The Debian source package is downloaded once and kept in target/recoil-lua/debian-src/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${RECOIL_LUA_DIR:-$ROOT/target/recoil-lua}
stamp=$(cd "$HERE" && cat build.sh driver/* $(find stubs -type f | sort) | sha256sum | cut -c1-16)
if [ -x "$OUT/recoil-lua" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$OUT/recoil-lua"
	exit 0
fi
echo "recoil-lua: building the engine's Lua into $OUT (about 25 s)" >&2
rm -f "$OUT/.stamp"
bash "$HERE/build.sh" "$OUT" >&2
echo "$stamp" >"$OUT/.stamp"
echo "$OUT/recoil-lua"
