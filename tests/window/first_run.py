#!/usr/bin/env python3
"""What a newcomer sees 5 s after `bar-overlay --demo`: a game minutes in, armies on the field, graph lines.

    first_run.py SCREENSHOT.png RELAY_HOST:PORT

Reads the window's game through its relay (a client joining mid-game gets the hello and a full snapshot of what the
window holds) and checks it against the screenshot taken at the same moment:
  - the game is at least 5 minutes in, and every side has a non-zero army value (finished army units' metal cost);
  - every team's line color covers a third of the width, and all teams together most of it (graph lines across
    the time axis, not only names; lines overlap, so one team's may hide another's over stretches);
  - the army panel's bars are drawn (a non-zero army on screen: a run of land/air/sea color, not only the labels).
Standard library only; the PNG is read through ImageMagick's `convert` (installed by scripts/ui-smoke).
"""
import json
import socket
import subprocess
import sys

ARMY = {"army_land", "army_air", "army_sea"}
# src/ui/theme.rs: LAND, AIR, SEA.
BAR_COLORS = [(150, 190, 90), (120, 180, 255), (60, 130, 200)]


def fail(msg):
    print(f"first_run: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def read_game(addr):
    host, port = addr.rsplit(":", 1)
    hello = snap = None
    with socket.create_connection((host, int(port)), timeout=10) as s:
        f = s.makefile("rb")
        while hello is None or snap is None:
            line = f.readline()
            if not line:
                fail("the relay closed before a hello and a full snapshot")
            msg = json.loads(line)
            if msg.get("type") == "hello":
                hello = msg
            elif msg.get("type") == "snapshot" and hello is not None:
                snap = msg
    return hello, snap


def team_color(rgb):
    """src/ui/theme.rs team_color: dark team colors are lifted toward white to stay readable."""
    r, g, b = rgb
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    if luma >= 110:
        return tuple(rgb)
    t = (110 - luma) / max(255 - luma, 1)
    return tuple(min(255, max(0, round(c + (255 - c) * t))) for c in rgb)


def read_png(path):
    ppm = subprocess.run(["convert", path, "ppm:-"], check=True, capture_output=True).stdout
    # P6\n<w> <h>\n<max>\n<bytes>, as ImageMagick writes it.
    parts = ppm.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]


def near(px, color, tol):
    return all(abs(a - b) <= tol for a, b in zip(px, color))


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    shot, addr = sys.argv[1], sys.argv[2]
    hello, snap = read_game(addr)

    seconds = snap.get("game_seconds", 0)
    if seconds < 300:
        fail(f"the game is only at {seconds:.0f} s (a first run should start minutes in)")
    defs = {d["def_id"]: d for d in hello.get("unit_defs", [])}
    ally_of = {t["team_id"]: t["ally_team_id"] for t in hello.get("teams", [])}
    army = {a: 0.0 for a in ally_of.values()}
    for u in snap.get("units", []):
        d = defs.get(u.get("def_id"))
        if d and d["category"] in ARMY and u.get("build_progress", 1.0) >= 1.0:
            army[ally_of.get(u["team"], -1)] = army.get(ally_of.get(u["team"], -1), 0.0) + d["metal_cost"]
    print(f"game at {seconds:.0f} s, army value per side: {army}")
    if not army or any(v <= 0 for v in army.values()):
        fail(f"a side has no army: {army}")

    w, h, px = read_png(shot)
    pixel = lambda x, y: tuple(px[(y * w + x) * 3:(y * w + x) * 3 + 3])
    # Lines of close teams overlap and the last one drawn hides the others over stretches of the axis, so each team's
    # color needs only a share of the width; together they must cross the plots.
    union = set()
    for t in hello["teams"]:
        c = team_color(t["color"])
        cols = {x for y in range(h) for x in range(w) if near(pixel(x, y), c, 24)}
        union |= cols
        print(f"team {t['name']!r} color {c}: {len(cols)} of {w} columns")
        if len(cols) < w * 0.3:
            fail(f"no graph line for {t['name']!r} ({len(cols)} columns of {w})")
    if len(union) < w * 0.6:
        fail(f"the graph lines do not cross the plots ({len(union)} columns of {w})")
    bars = 0
    for y in range(h):
        run = 0
        for x in range(w):
            run = run + 1 if any(near(pixel(x, y), c, 6) for c in BAR_COLORS) else 0
            if run >= 20:
                bars += 1
                break
    print(f"rows with an army bar: {bars}")
    if bars < 3:
        fail("no army bar on screen")
    print("first_run: ok")


if __name__ == "__main__":
    main()
