#!/usr/bin/env bash
# Runs the probes with a recoil-lua binary and compares each output with a directory of recorded outputs:
#   examples/check.sh PATH/TO/recoil-lua [EXPECTED_DIR]
# EXPECTED_DIR defaults to examples/expected (recorded from this folder's build.sh: Spring 106.0 from Debian).
# examples/recoil-c936b71 holds the same probes recorded from the Recoil engine's own sources at commit c936b71;
# the four lines where the two differ are listed in README.md. Lines that depend on time or ports print as
# booleans or types, so repeated runs give the same output.
set -uo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 PATH/TO/recoil-lua [EXPECTED_DIR]" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXP=${2:-$HERE/expected}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
BIN=$1
[[ "$BIN" == */* ]] && BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # run.sh runs it from a scratch directory
bash "$HERE/run.sh" "$BIN" "$OUT" || exit 1
pass=0 fail=0
for e in "$EXP"/*.txt; do
	n=$(basename "$e")
	if diff -u "$e" "$OUT/$n" >"$OUT/$n.diff"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "probe ${n%.txt} differs:"; cat "$OUT/$n.diff"
	fi
done
echo "probes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
