#!/usr/bin/env bash
# Builds recoil-lua into OUTDIR from Debian's `spring` source package (Spring 106.0, the engine Recoil was forked
# from): apt-get source with deb-src entries made from this machine's own apt sources, extract only the engine's
# Lua 5.1, LuaSocket and streflop, compile them with driver/ and stubs/ using the engine's compiler flags.
# Writes nothing outside OUTDIR (works from a read-only copy of this folder). Needs: g++, binutils (ar), xz-utils,
# apt-get (root, as on the project's machines and CI). About 25 s on 2 cores, plus a 9 MB download the first time.
#   build.sh OUTDIR   ->   OUTDIR/recoil-lua, OUTDIR/LuaSocket/socket.lua, OUTDIR/licenses/
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
CXX=${CXX:-g++}
VERSION=${SPRING_DEB_VERSION:-106.0+dfsg-1}
for tool in "$CXX:g++" "ar:binutils" "xz:xz-utils" "tar:tar" "apt-get:apt"; do
	command -v "${tool%%:*}" >/dev/null || { echo "build.sh: ${tool%%:*} not found; on Debian: apt-get install ${tool##*:}" >&2; exit 1; }
done

# ---- 1. the source package -------------------------------------------------------------------------------------
# apt-get source with our own sources list, lists and caches under OUTDIR: the machine's apt state is neither read
# for package indexes nor written. The deb-src entries are the machine's Debian mirrors (deb822 files and the
# classic sources.list, keeping Signed-By), plus Debian bookworm on deb.debian.org when no bookworm suite is listed
# (the package version is bookworm's, so a newer Debian still finds it).
D=$OUT/debian-src
mkdir -p "$D/lists/partial" "$D/archives/partial" "$D/cache"
list=$D/sources.list
: >"$list"
for f in /etc/apt/sources.list.d/*.sources; do # deb822 files: one deb-src line per suite of each "deb" stanza
	[ -f "$f" ] || continue
	awk 'function flush() { if (types ~ /deb/ && uris ~ /debian/ && suites != "") { n = split(suites, s, " ");
	       opt = (key != "") ? ("[signed-by=" key "] ") : "";
	       for (i = 1; i <= n; i++) print "deb-src " opt uris " " s[i] " " comps }
	       types = uris = suites = comps = key = "" }
	     /^[[:space:]]*$/ { flush(); next }
	     /^Types:/ { types = $0 } /^URIs:/ { uris = $2 } /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
	     /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
	     /^Signed-By:[[:space:]]*\// { key = $2 }
	     END { flush() }' "$f" >>"$list"
done
[ -f /etc/apt/sources.list ] && sed -n 's/^deb \(.*debian.*\)$/deb-src \1/p' /etc/apt/sources.list >>"$list"
if ! grep -q ' bookworm ' "$list"; then
	key=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$key" ] && opt="[signed-by=$key] " || opt=""
	echo "deb-src ${opt}${SPRING_DEB_MIRROR:-http://deb.debian.org/debian} bookworm main" >>"$list"
fi

APT=(apt-get -q -o Dir::Etc::sourcelist="$list" -o Dir::Etc::sourceparts=/nonexistent -o Dir::State::Lists="$D/lists"
	-o Dir::Cache="$D/cache" -o Dir::Cache::archives="$D/archives")
[ "$(id -u)" = 0 ] && APT+=(-o APT::Sandbox::User=root)
if ! ls "$D"/spring_*.orig.tar.xz >/dev/null 2>&1; then
	"${APT[@]}" update >"$D/apt-update.log" 2>&1 || { echo "build.sh: apt-get update failed ($D/apt-update.log):" >&2; tail -5 "$D/apt-update.log" >&2; exit 1; }
	(cd "$D" && "${APT[@]}" source --download-only "spring=$VERSION" >"$D/apt-source.log" 2>&1) ||
		{ echo "build.sh: apt-get source spring=$VERSION failed ($D/apt-source.log):" >&2; tail -5 "$D/apt-source.log" >&2; exit 1; }
fi

# only what recoil-lua compiles: the whole engine tree would shadow the stand-ins in stubs/
rm -rf "$D/tree"
mkdir -p "$D/tree"
top=$(tar -tJf "$D"/spring_*.orig.tar.xz | sed -n '1s|/.*||p')
tar -xJf "$D"/spring_*.orig.tar.xz -C "$D/tree" --wildcards \
	"$top/COPYING" "$top/LICENSE" "$top/gpl-2.0.txt" \
	"$top/rts/lib/lua/*" "$top/rts/lib/luasocket/*" "$top/rts/lib/streflop/*" "$top/rts/Lua/LuaAllocState.h" \
	"$top/rts/System/FastMath.h" "$top/rts/System/MainDefines.h" "$top/rts/System/MathConstants.h" \
	"$top/rts/System/BranchPrediction.h" "$top/rts/System/SafeUtil.h" "$top/rts/System/GlobalRNG.h"
SRC=$D/tree/$top/rts

# ---- 2. compile ------------------------------------------------------------------------------------------------
OBJ=$OUT/obj
mkdir -p "$OBJ" "$OUT/LuaSocket" "$OUT/licenses"

# The engine's compiler flags for GCC: STREFLOP_SSE, -mfpmath=sse, -fsingle-precision-constant, -frounding-math,
# -mieee-fp, -fno-strict-aliasing, NDEBUG, and for MARCH_FLAG=generic on x86-64: -march=x86-64 -msse with SSE3+,
# AVX and FMA off. DEBUG_LUANAN turns on Spring 106.0's check that raises on Inf/NaN arguments, which Recoil has on
# by default (as REPORT_LUANAN; kept here too for a Recoil tree).
FLAGS=(-std=c++20 -O2 -DNDEBUG -pipe -pthread -fno-strict-aliasing -fsingle-precision-constant -frounding-math
	-DREPORT_LUANAN -DDEBUG_LUANAN -DSTREFLOP_SSE)
# shellcheck disable=SC2206
FLAGS+=(${EXTRA_CXXFLAGS:-})
if [ "$(uname -m)" = "x86_64" ]; then
	FLAGS+=(-march=x86-64 -mtune=generic -msse -mno-sse3 -mno-ssse3 -mno-sse4.1 -mno-sse4.2 -mno-sse4 -mno-sse4a
		-mno-avx -mno-fma -mno-fma4 -mno-xop -mno-lwp -mno-avx2 -mfpmath=sse -mieee-fp)
fi
INCS=(-I"$SRC" -I"$SRC/lib/lua/include" -I"$SRC/lib/streflop" -I"$HERE/stubs")

LUA_SRCS=(lapi lauxlib lbaselib lcode ldblib ldebug ldo ldump lfunc lgc liolib llex lmathlib lmem lobject lopcodes
	loslib lparser lstate lstring lstrlib ltable ltablib ltm lundump lvm lzio)
[ -f "$SRC/lib/lua/src/lua_privileges.cpp" ] && LUA_SRCS+=(lua_privileges)
SOCK_SRCS=(auxiliar buffer except inet io luasocket options restrictions select tcp timeout udp usocket)
# streflop's float libm, with the flags of the engine's rts/lib/streflop/CMakeLists.txt
STREFLOP_LIBM=(e_acosf e_acoshf e_asinf e_atan2f e_atanhf e_coshf e_exp2f e_expf e_fmodf e_gammaf_r e_hypotf e_j0f e_j1f
	e_jnf e_lgammaf_r e_log10f e_log2f e_logf e_powf e_rem_pio2f e_remainderf e_sinhf e_sqrtf k_cosf k_rem_pio2f k_sinf
	k_tanf s_asinhf s_atanf s_cbrtf s_ceilf s_copysignf s_cosf s_erff s_expm1f s_fabsf s_finitef s_floorf s_fpclassifyf
	s_frexpf s_ilogbf s_isinff s_isnanf s_ldexpf s_llrintf s_llroundf s_log1pf s_logbf s_lrintf s_lroundf s_modff
	s_nearbyintf s_nextafterf s_remquof s_rintf s_roundf s_scalblnf s_scalbnf s_signbitf s_sincosf s_sinf s_tanf
	s_tanhf s_truncf w_expf)
LIBM_EXTRA="-DLIBM_COMPILING_FLT32 -I$SRC/lib/streflop/libm/headers -w -O3"
[ "$(uname -m)" = "x86_64" ] && LIBM_EXTRA="$LIBM_EXTRA -mfpmath=sse -msse"

jobs=("-w|$SRC/lib/streflop/SMath.cpp|$OBJ/streflop_SMath.o")
for s in "${STREFLOP_LIBM[@]}"; do jobs+=("$LIBM_EXTRA|$SRC/lib/streflop/libm/flt-32/$s.cpp|$OBJ/libm_$s.o"); done
for s in "${LUA_SRCS[@]}"; do jobs+=("-DLUA_USE_MKSTEMP -w|$SRC/lib/lua/src/$s.cpp|$OBJ/lua_$s.o"); done
jobs+=("-DLUA_USE_MKSTEMP -w|$SRC/lib/lua/include/LuaUser.cpp|$OBJ/lua_LuaUser.o")
for s in "${SOCK_SRCS[@]}"; do jobs+=("-w|$SRC/lib/luasocket/src/$s.cpp|$OBJ/socket_$s.o"); done
jobs+=("-Wall -Wno-unused-parameter|$HERE/driver/recoil-lua.cpp|$OBJ/recoil-lua.o")

compile() {
	local extra src obj
	IFS='|' read -r extra src obj <<<"$1"
	# shellcheck disable=SC2086
	"$CXX" "${FLAGS[@]}" $extra "${INCS[@]}" -c "$src" -o "$obj" || { echo "build.sh: failed: $src" >&2; return 1; }
}
NPROC=$(nproc 2>/dev/null || echo 2)
pids=()
fail=0
for j in "${jobs[@]}"; do
	compile "$j" &
	pids+=($!)
	if [ "${#pids[@]}" -ge "$NPROC" ]; then
		wait "${pids[0]}" || fail=1
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ "$fail" -eq 0 ] || exit 1

# static libraries as the engine builds them, so only the objects in use are linked
rm -f "$OBJ"/lib*.a
ar rcs "$OBJ/libstreflop.a" "$OBJ"/streflop_*.o "$OBJ"/libm_*.o
ar rcs "$OBJ/liblua.a" "$OBJ"/lua_*.o
ar rcs "$OBJ/libluasocket.a" "$OBJ"/socket_*.o
"$CXX" "${FLAGS[@]}" -o "$OUT/recoil-lua" "$OBJ/recoil-lua.o" "$OBJ/libluasocket.a" "$OBJ/liblua.a" "$OBJ/libstreflop.a" -lm

install -m 0644 "$SRC/lib/luasocket/src/socket.lua" "$OUT/LuaSocket/socket.lua"
install -m 0644 "$D/tree/$top/COPYING" "$OUT/licenses/spring-COPYING"
install -m 0644 "$D/tree/$top/LICENSE" "$OUT/licenses/spring-LICENSE"
install -m 0644 "$D/tree/$top/gpl-2.0.txt" "$OUT/licenses/gpl-2.0.txt"
install -m 0644 "$SRC/lib/lua/COPYRIGHT" "$OUT/licenses/lua-COPYRIGHT"
install -m 0644 "$SRC/lib/luasocket/LICENSE" "$OUT/licenses/luasocket-LICENSE"
install -m 0644 "$SRC/lib/streflop/LGPL.txt" "$OUT/licenses/streflop-LGPL.txt"
echo "built $OUT/recoil-lua (Spring $VERSION from Debian; + LuaSocket/socket.lua, licenses/)"
