#!/bin/bash
# Run the LiveTest game in Debian's Spring 106 headless engine with one LuaUI widget under test.
#
#   run.sh OUTDIR [spectator|player] [GAME_SECONDS]
#
#   spectator (default): the host is a spectator with full view; NullAI controls both teams
#   player             : the host plays team 0 (fog of war / LOS view) against a NullAI team
#   GAME_SECONDS       : game time until the game's LuaRules calls GameOver (default 60, minimum 10)
#
# Environment:
#   WIDGET       path of the widget file to install into LuaUI/Widgets/ (empty: run without a widget)
#   WIDGET_NAME  its GetInfo() name (default: read from the file); it is enabled via LuaUI/Config/LT.lua
#   RECEIVER     optional command prefix that records the stream, run as: $RECEIVER OUTFILE --port PORT --until-bye
#                (e.g. RECEIVER="/path/bar-overlay record"); output OUTDIR/stream.ndjson, log OUTDIR/receiver.log
#   PORT         TCP port the widget connects to (written into the widget's config data; default 47800)
#   DETAIL       the widget's detail level (config data; default: the widget's own, standard)
#   BUDGET       the widget's budgetMs (config data; 0 turns its throttling off, as the cost benchmark does)
#   PROBE        1: also install the cost probes (probe/*.lua: [LiveProbe] lines in infolog; benches/engine.rs)
#   NETNS        auto (default) | 1 | 0: run receiver + engine in a private network namespace (unshare -n, else -rn)
#   SPEED        game speed factor (MinSpeed/MaxSpeed; default 20)
#   EXTRA        tanks per team added behind each base, pacing up and down (mod option lt_extra; default 0), for cost runs
#   STRUCTURES   structures per team added beside each base, three solars to a radar tower (mod option lt_structures;
#                default 0), for cost runs
#   ALLOW_CONNECT the engine's TCPAllowConnect setting (default *; 127.0.0.1:* makes Spring 106 deny every connect)
#   TIMEOUT      hard wall-clock limit for the engine in seconds (default 120 + GAME_SECONDS)
#   SPRING       engine binary (default /usr/games/spring-headless)
#
# Leaves in OUTDIR: W/ (the engine's write dir), script.txt, spring.out, infolog.txt, and with RECEIVER
# stream.ndjson + receiver.log. Exit status: the engine's (124 = hard timeout), or 3 if infolog.txt is missing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { sed -n '2,24p' "$0"; exit 2; }
mkdir -p "$1"; OUT=$(cd "$1" && pwd)
MODE=${2:-spectator}
SECS=${3:-60}
case "$MODE" in spectator|player) ;; *) echo "mode must be spectator or player" >&2; exit 2;; esac
[ "$SECS" -ge 10 ] 2>/dev/null || { echo "GAME_SECONDS must be an integer >= 10" >&2; exit 2; }
SPEED=${SPEED:-20}
EXTRA=${EXTRA:-0}
STRUCTURES=${STRUCTURES:-0}
ALLOW_CONNECT=${ALLOW_CONNECT:-*}
PORT=${PORT:-47800}
DETAIL=${DETAIL:-}
PROBE=${PROBE:-0}
BUDGET=${BUDGET:-}
TIMEOUT=${TIMEOUT:-$((120 + SECS))}
SPRING=${SPRING:-/usr/games/spring-headless}
NETNS=${NETNS:-auto}
WIDGET=${WIDGET:-}
RECEIVER=${RECEIVER:-}

if [ ! -x "$SPRING" ]; then
  echo "engine not found: $SPRING (Debian: apt-get install -y --no-install-recommends spring)" >&2; exit 2
fi

# 1. fresh write dir: game, settings, start script
W=$OUT/W
rm -rf "$W" "$OUT/home" "$OUT/receiver.log" "$OUT/infolog.txt" "$OUT/spring.out"
[ -z "$RECEIVER" ] || rm -f "$OUT/stream.ndjson"   # without RECEIVER the caller may be recording it already
mkdir -p "$W/games" "$W/LuaUI/Widgets" "$W/LuaUI/Config" "$OUT/home"
cp -r "$HERE/LiveTest.sdd" "$W/games/"
sed -e "s/@SPEED@/$SPEED/g" -e "s|@ALLOW_CONNECT@|$ALLOW_CONNECT|g" "$HERE/springsettings.cfg" > "$W/springsettings.cfg"
sed -e "s/@SPEED@/$SPEED/g" -e "s/@GAME_SECONDS@/$SECS/g" -e "s/@EXTRA@/$EXTRA/g" -e "s/@STRUCTURES@/$STRUCTURES/g" \
  "$HERE/script_$MODE.txt" > "$OUT/script.txt"

# 2. the widget under test (and the cost probes), enabled by the engine's base widget handler config
#    (LuaUI/Config/<modShortName>.lua)
ORDER=; DATA=
if [ -n "$WIDGET" ]; then
  [ -f "$WIDGET" ] || { echo "WIDGET not found: $WIDGET" >&2; exit 2; }
  cp "$WIDGET" "$W/LuaUI/Widgets/"
  NAME=${WIDGET_NAME:-$(grep -m1 -oE 'name *= *"[^"]+"' "$WIDGET" | sed -E 's/^name *= *"(.*)"$/\1/')}
  [ -n "$NAME" ] || { echo "cannot read the widget name from $WIDGET; set WIDGET_NAME" >&2; exit 2; }
  DETAIL_LUA=${DETAIL:+", detail = \"$DETAIL\""}${BUDGET:+", budgetMs = $BUDGET"}
  ORDER="[\"$NAME\"] = 1,"
  DATA="[\"$NAME\"] = { port = $PORT$DETAIL_LUA },"
fi
if [ "$PROBE" = 1 ]; then
  cp "$HERE"/probe/livetest_probe_*.lua "$W/LuaUI/Widgets/"
  ORDER="$ORDER [\"LiveTest probe begin\"] = 2, [\"LiveTest probe end\"] = 3,"
fi
cat > "$W/LuaUI/Config/LT.lua" <<CFG
-- written by run.sh: order > 0 enables a widget; data is handed to widget:SetConfigData()
return {
  order = { $ORDER },
  data = { $DATA },
}
CFG

# 3. receiver + engine, in a private network namespace when possible (nothing else can use the port)
cat > "$OUT/inner.sh" <<INNER
#!/bin/bash
set -u
cd "$OUT"
if [ "\${IN_NETNS:-0}" = 1 ]; then ip link set lo up; fi
REC=
if [ -n "$RECEIVER" ]; then
  $RECEIVER "$OUT/stream.ndjson" --port $PORT --until-bye > "$OUT/receiver.log" 2>&1 &
  REC=\$!
  sleep 0.5
fi
T0=\$(date +%s.%N)
HOME="$OUT/home" timeout -k 10 $TIMEOUT "$SPRING" --write-dir "$W" --config "$W/springsettings.cfg" "$OUT/script.txt" > "$OUT/spring.out" 2>&1
RC=\$?
echo "engine exit \$RC after \$(awk "BEGIN{printf \"%.1f\", \$(date +%s.%N) - \$T0}") s wall"
if [ -n "\$REC" ]; then
  for i in \$(seq 1 50); do kill -0 \$REC 2>/dev/null || break; sleep 0.1; done
  kill \$REC 2>/dev/null && echo "receiver did not see a bye; stopped it"
  wait \$REC 2>/dev/null
fi
exit \$RC
INNER
chmod +x "$OUT/inner.sh"
USE_NS=0; NS_CMD=
if [ "$NETNS" != 0 ] && command -v ip >/dev/null; then
  if unshare -n true 2>/dev/null; then NS_CMD="unshare -n"          # root
  elif unshare -rn true 2>/dev/null; then NS_CMD="unshare -rn"      # unprivileged user namespace
  fi
fi
[ -n "$NS_CMD" ] && USE_NS=1
if [ "$NETNS" = 1 ] && [ $USE_NS = 0 ]; then echo "NETNS=1 but unshare -n / -rn is not usable here" >&2; exit 2; fi
echo "LiveTest: mode=$MODE game_seconds=$SECS speed=$SPEED port=$PORT netns=$USE_NS${NS_CMD:+ ($NS_CMD)} widget=${WIDGET:-none} out=$OUT"
set +e
if [ $USE_NS = 1 ]; then IN_NETNS=1 $NS_CMD "$OUT/inner.sh"; else "$OUT/inner.sh"; fi
RC=$?
set -e
if [ -f "$W/infolog.txt" ]; then cp "$W/infolog.txt" "$OUT/infolog.txt"; else echo "no infolog.txt" >&2; exit 3; fi
grep -E '\[LiveTest\]' "$OUT/infolog.txt" | sed -E 's/^\[t=[^]]*\]//' | tail -n 6
ERRS=$(grep -cE 'Error: \[LuaUI|Error: \[LuaRules|Failed to load|\[Internal Lua error' "$OUT/infolog.txt" || true)
echo "Lua errors in infolog: $ERRS"
if [ -n "$RECEIVER" ]; then
  if [ -f "$OUT/stream.ndjson" ]; then echo "stream lines: $(wc -l < "$OUT/stream.ndjson")"
  else echo "the receiver wrote no stream.ndjson: $(tail -n 1 "$OUT/receiver.log" 2>/dev/null)" >&2; fi
fi
exit $RC
